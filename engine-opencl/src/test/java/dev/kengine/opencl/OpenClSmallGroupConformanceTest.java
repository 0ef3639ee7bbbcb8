package dev.kengine.opencl;

import dev.kengine.Backend;
import dev.kengine.Engine;
import java.util.Map;

/**
 * The whole conformance kit on the OpenCL backend in the GPUs' launch shape with every kernel taken to allow at most
 * 32 work-items per group (option {@code group=32}), as a register-heavy kernel on a mobile GPU reports through
 * CL_KERNEL_WORK_GROUP_SIZE: the elementwise families (built for groups of 256) and the row families are rebuilt for
 * groups of 32 when their first kernel is created, and every launch computes its sizes for the groups it gets.
 */
class OpenClSmallGroupConformanceTest extends dev.kengine.conformance.BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        OpenClAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("opencl", Map.of("shape", "grid-stride", "group", "32"));
    }
}
