package dev.kengine.opencl;

import dev.kengine.Backend;
import dev.kengine.Engine;
import java.util.Map;

/**
 * The whole conformance kit on the OpenCL backend with every kernel in its 64-bit index variant
 * (option {@code index=64}), which otherwise only tensors of 2³¹ elements or more take: on CPU
 * devices that variant has no other test at sizes a test machine can hold.
 */
class OpenClWideIndexConformanceTest extends dev.kengine.conformance.BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        OpenClAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("opencl", Map.of("index", "64"));
    }
}
