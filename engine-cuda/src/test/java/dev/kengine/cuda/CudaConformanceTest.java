package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;

/**
 * The whole conformance kit on the CUDA backend with its default kernels (the CUDA-specific ones
 * where they exist), dropout masks and initial values bit for bit included; skipped, with the
 * probe's reason printed, where CUDA cannot run.
 */
class CudaConformanceTest extends BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("cuda");
    }
}
