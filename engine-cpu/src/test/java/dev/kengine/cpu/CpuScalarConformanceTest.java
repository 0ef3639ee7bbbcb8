package dev.kengine.cpu;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import java.util.Map;

/** The conformance kit against the CPU backend with its Scalar kernels (simd=false). */
class CpuScalarConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return Engine.open("cpu", Map.of("simd", "false"));
    }
}
