package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import java.util.Map;

/**
 * The conformance kit on the CUDA backend restricted to the kernel text it shares with OpenCL
 * ({@code kernels=shared}), so that a failure of a CUDA-specific kernel and one of the shared text
 * are told apart on a GPU.
 */
class CudaSharedKernelsConformanceTest extends BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("cuda", Map.of("kernels", "shared"));
    }
}
