package dev.kengine.opencl;

import dev.kengine.Backend;
import dev.kengine.Engine;
import java.util.Map;

/**
 * The whole conformance kit on the OpenCL backend in the GPUs' launch shape (option
 * {@code shape=grid-stride}: grid-stride loops, a work-group per row, the local-memory matmul tiles),
 * so that the kernels GPUs run are checked wherever the tests run, PoCL included.
 */
class OpenClGridStrideConformanceTest extends dev.kengine.conformance.BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        OpenClAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("opencl", Map.of("shape", "grid-stride"));
    }
}
