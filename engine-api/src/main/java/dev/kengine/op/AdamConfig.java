package dev.kengine.op;

import dev.kengine.InvalidArgumentException;

/**
 * Adam and AdamW, applied in place to a parameter w with gradient g, first moment m and second
 * moment v (both start at zero), at step t ≥ 1:
 * <pre>
 *   if !decoupled: g = g + weightDecay·w                      (Adam with L2)
 *   m = β1·m + (1 − β1)·g
 *   v = β2·v + (1 − β2)·g²
 *   if decoupled:  w = w − lr·weightDecay·w                   (AdamW)
 *   w = w − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
 * </pre>
 * The bias corrections 1 − βᵗ are computed in double precision on the host. Everything else is float
 * arithmetic (each moment's two products with their rounding errors added back), so a gradient whose
 * square exceeds float's range (|g| &gt; 1.8·10¹⁹) makes that element's v +∞ and its step 0, as in
 * PyTorch's float32 Adam, never NaN; ±∞ and NaN gradients propagate as IEEE arithmetic does.
 *
 * <p>Immutable.
 *
 * @param learningRate lr, the step size; finite and ≥ 0 (the step forms lr·c1 in float, c1 = 1/(1 − β1ᵗ), 10 at the
 *     first step with β1 = 0.9, so an lr above {@code Float.MAX_VALUE} / c1 overflows there and turns zero gradients'
 *     steps into NaN; no training rate comes near it)
 * @param beta1 β1, the decay of the first moment, in [0, 1)
 * @param beta2 β2, the decay of the second moment, in [0, 1)
 * @param epsilon ε, added to the denominator; finite and &gt; 0
 * @param weightDecay the weight decay factor; finite and ≥ 0; 0 for none
 * @param decoupled true for AdamW (decay applied to w directly), false for Adam with the decay
 *     added to the gradient as L2
 */
public record AdamConfig(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled) {

    /**
     * Checks the components.
     *
     * @throws InvalidArgumentException if a component is out of the range given above
     */
    public AdamConfig {
        SgdConfig.requireNonNegative("learning rate", learningRate);
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new InvalidArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(epsilon > 0f) || Float.isInfinite(epsilon)) {
            throw new InvalidArgumentException("Adam epsilon must be finite and > 0, got " + epsilon);
        }
        SgdConfig.requireNonNegative("weight decay", weightDecay);
    }

    /**
     * Adam with β1 = 0.9, β2 = 0.999, ε = 1e-8 and no weight decay.
     *
     * @param learningRate the step size; finite and ≥ 0
     * @return the config
     * @throws InvalidArgumentException if {@code learningRate} is negative, NaN or infinite
     */
    public static AdamConfig adam(float learningRate) {
        return new AdamConfig(learningRate, 0.9f, 0.999f, 1e-8f, 0f, false);
    }

    /**
     * AdamW with β1 = 0.9, β2 = 0.999, ε = 1e-8 and decoupled weight decay.
     *
     * @param learningRate the step size; finite and ≥ 0
     * @param weightDecay the decoupled decay factor; finite and ≥ 0
     * @return the config
     * @throws InvalidArgumentException if a parameter is negative, NaN or infinite
     */
    public static AdamConfig adamW(float learningRate, float weightDecay) {
        return new AdamConfig(learningRate, 0.9f, 0.999f, 1e-8f, weightDecay, true);
    }

    /**
     * 1 − β1ᵗ, the first moment's bias correction, in double.
     *
     * @param step t, the 1-based step number
     * @return the correction, in (0, 1] for t ≥ 1
     */
    public double biasCorrection1(long step) {
        return 1.0 - Math.pow(beta1, step);
    }

    /**
     * 1 − β2ᵗ, the second moment's bias correction, in double.
     *
     * @param step t, the 1-based step number
     * @return the correction, in (0, 1] for t ≥ 1
     */
    public double biasCorrection2(long step) {
        return 1.0 - Math.pow(beta2, step);
    }
}
