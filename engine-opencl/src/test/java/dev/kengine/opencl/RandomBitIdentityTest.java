package dev.kengine.opencl;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.CrossBackendRandomKit;

/** Dropout masks and initial values on OpenCL, bit for bit those of the CPU backend and of the specification. */
class RandomBitIdentityTest extends CrossBackendRandomKit {

    @Override
    protected Backend openBackend() {
        OpenClAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("opencl");
    }

    @Override
    protected Backend openReference() {
        return Engine.open("cpu");
    }
}
