package dev.kengine.opencl;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;

/** The whole conformance kit on the OpenCL backend (PoCL on these machines); skipped, loudly, without OpenCL. */
class OpenClConformanceTest extends BackendConformanceKit {

    @Override
    protected Backend openBackend() {
        OpenClAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("opencl");
    }
}
