package dev.kengine.op;

import dev.kengine.InvalidArgumentException;

/**
 * Stochastic gradient descent, applied in place to a parameter w with gradient g:
 * <pre>
 *   g' = g + l2·w + l1·sign(w)            (sign(0) = 0)
 *   if momentum ≠ 0:  v = momentum·v + g';  g' = nesterov ? g' + momentum·v : v
 *   w  = w − lr·g'
 * </pre>
 * The velocity v starts at zero. {@code l2} is the classic weight decay (the gradient of
 * l2/2·‖w‖²), {@code l1} the gradient of l1·‖w‖₁ (see {@code Backend.penalty}).
 *
 * <p>Immutable; the {@code with} methods return modified copies.
 *
 * @param learningRate lr, the step size; finite and ≥ 0
 * @param momentum the momentum factor, in [0, 1); 0 for none
 * @param nesterov whether to use Nesterov momentum; needs momentum &gt; 0
 * @param l2 the L2 weight decay factor; finite and ≥ 0
 * @param l1 the L1 penalty factor; finite and ≥ 0
 */
public record SgdConfig(float learningRate, float momentum, boolean nesterov, float l2, float l1) {

    /**
     * Checks the components.
     *
     * @throws InvalidArgumentException if a component is out of the range given above, or
     *     {@code nesterov} is set with momentum 0
     */
    public SgdConfig {
        requireNonNegative("learning rate", learningRate);
        if (!(momentum >= 0f && momentum < 1f)) {
            throw new InvalidArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        }
        if (nesterov && momentum == 0f) {
            throw new InvalidArgumentException("Nesterov momentum needs momentum > 0");
        }
        requireNonNegative("L2 weight decay", l2);
        requireNonNegative("L1 penalty", l1);
    }

    /**
     * Plain SGD with the given learning rate.
     *
     * @param learningRate the step size; finite and ≥ 0
     * @return a config without momentum or penalties
     * @throws InvalidArgumentException if {@code learningRate} is negative, NaN or infinite
     */
    public static SgdConfig of(float learningRate) {
        return new SgdConfig(learningRate, 0f, false, 0f, 0f);
    }

    /**
     * This config with another momentum.
     *
     * @param m the momentum factor, in [0, 1)
     * @param nesterovMomentum whether to use Nesterov momentum; needs m &gt; 0
     * @return a new config, the other components unchanged
     * @throws InvalidArgumentException if m is outside [0, 1), or Nesterov is asked with m = 0
     */
    public SgdConfig withMomentum(float m, boolean nesterovMomentum) {
        return new SgdConfig(learningRate, m, nesterovMomentum, l2, l1);
    }

    /**
     * This config with another L2 weight decay.
     *
     * @param decay the L2 factor; finite and ≥ 0
     * @return a new config, the other components unchanged
     * @throws InvalidArgumentException if {@code decay} is negative, NaN or infinite
     */
    public SgdConfig withL2(float decay) {
        return new SgdConfig(learningRate, momentum, nesterov, decay, l1);
    }

    /**
     * This config with another L1 penalty.
     *
     * @param penalty the L1 factor; finite and ≥ 0
     * @return a new config, the other components unchanged
     * @throws InvalidArgumentException if {@code penalty} is negative, NaN or infinite
     */
    public SgdConfig withL1(float penalty) {
        return new SgdConfig(learningRate, momentum, nesterov, l2, penalty);
    }

    static void requireNonNegative(String what, float v) {
        if (!(v >= 0f) || Float.isInfinite(v)) {
            throw new InvalidArgumentException(what + " must be finite and >= 0, got " + v);
        }
    }
}
