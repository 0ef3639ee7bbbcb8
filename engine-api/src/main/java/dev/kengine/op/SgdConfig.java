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
 */
public record SgdConfig(float learningRate, float momentum, boolean nesterov, float l2, float l1) {

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

    /** Plain SGD with the given learning rate. */
    public static SgdConfig of(float learningRate) {
        return new SgdConfig(learningRate, 0f, false, 0f, 0f);
    }

    public SgdConfig withMomentum(float m, boolean nesterovMomentum) {
        return new SgdConfig(learningRate, m, nesterovMomentum, l2, l1);
    }

    public SgdConfig withL2(float decay) {
        return new SgdConfig(learningRate, momentum, nesterov, decay, l1);
    }

    public SgdConfig withL1(float penalty) {
        return new SgdConfig(learningRate, momentum, nesterov, l2, penalty);
    }

    static void requireNonNegative(String what, float v) {
        if (!(v >= 0f) || Float.isInfinite(v)) {
            throw new InvalidArgumentException(what + " must be finite and >= 0, got " + v);
        }
    }
}
