package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.CrossBackendRandomKit;

/**
 * Dropout masks and initial values on CUDA, bit for bit those of the CPU backend and of the
 * specification; skipped, with the probe's reason, where CUDA cannot run.
 */
class CudaRandomBitIdentityTest extends CrossBackendRandomKit {

    @Override
    protected Backend openBackend() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("cuda");
    }

    @Override
    protected Backend openReference() {
        return Engine.open("cpu");
    }
}
