package dev.kengine.cuda;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import dev.kengine.conformance.Tolerance;
import dev.kengine.conformance.Tolerances;
import java.util.Map;

/**
 * The whole conformance kit on the CUDA backend in its opt-in TF32 precision mode: every row as
 * declared except matmul and the linear layer (and its finite-difference check), whose tensor-core
 * products see inputs rounded to TF32's 10-bit mantissa. Skipped, with the probe's reason, where CUDA cannot run.
 */
class CudaTf32ConformanceTest extends BackendConformanceKit {
    /** TF32 keeps 10 explicit mantissa bits: each input rounds with relative error up to 2⁻¹¹. */
    private static final double TF32_PRODUCT = 0x1p-10;

    @Override
    protected Backend openBackend() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        return Engine.open("cuda", Map.of("precision", "tf32"));
    }

    @Override
    protected Tolerance tolerance(Tolerance declared) {
        if (declared == Tolerances.MATMUL || declared == Tolerances.LINEAR || declared == Tolerances.LINEAR_BACKWARD) {
            return new Tolerance(declared.op() + " (TF32)", declared.phase(), declared.rel(),
                    declared.refRel() + TF32_PRODUCT, declared.abs(), declared.signedZero(),
                    "TF32 tensor cores round both factors to 10 mantissa bits (2⁻¹⁰ relative per product, FP32 "
                            + "accumulation), added per accumulated term to: " + declared.reason());
        }
        if (declared == Tolerances.LINEAR_GRADIENT_CHECK) {
            // Measured on an H100: up to 0.56·2⁻¹⁰ of the rms (dx of the GELU layer).
            return new Tolerance(declared.op() + " (TF32)", declared.phase(), declared.rel(),
                    declared.refRel() + 4 * TF32_PRODUCT, declared.abs(), declared.signedZero(),
                    "TF32 enters twice, in the forward (z, so act′ and the saved y) and in the backward's products, each "
                            + "within 2⁻¹⁰ per product of its terms' magnitudes, which in these 3- to 5-term sums stay within "
                            + "twice the gradient's rms: 4·2⁻¹⁰ of the rms, added to: " + declared.reason());
        }
        return declared;
    }
}
