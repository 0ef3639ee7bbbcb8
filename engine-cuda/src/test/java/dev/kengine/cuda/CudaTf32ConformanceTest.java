package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import java.util.Map;

/**
 * The whole conformance kit on the CUDA backend in its opt-in TF32 precision mode: every row as
 * declared except matmul and the linear layer (and its finite-difference check), which the kit widens
 * by the per-product error the backend declares in this mode ({@code matmul.productError} = 2⁻¹⁰:
 * tensor-core products see inputs rounded to TF32's 10-bit mantissa), as {@code ./engine conformance}
 * does. Skipped, with the probe's reason, where CUDA cannot run.
 */
class CudaTf32ConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("cuda", Map.of("precision", "tf32"));
    }
}
