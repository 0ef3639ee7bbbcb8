package dev.kengine.conformance.oracle;

import dev.kengine.op.Activation;

/**
 * Every activation and its derivative in double precision, including the limits the Activation
 * contract prescribes at ±∞ (where plain IEEE evaluation would produce ∞·0 = NaN) and RELU(−0) = +0.
 */
public final class ActivationOracle {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    private ActivationOracle() {}

    /**
     * The logistic function, without overflow.
     *
     * @param x any double; NaN gives NaN
     * @return σ(x), in [0, 1]
     */
    public static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    /**
     * Φ(x), the standard normal CDF, with full relative accuracy in the lower tail.
     *
     * @param x any double
     * @return Φ(x), in [0, 1]
     */
    public static double normalCdf(double x) {
        return 0.5 * Erf.erfc(-x / Math.sqrt(2.0));
    }

    /**
     * act(x) in double, with the limits the {@link Activation} contract prescribes at ±∞ and RELU(−0) = +0.
     *
     * @param act the activation
     * @param x the input; NaN gives NaN
     * @return the exact value of the activation, before any rounding to float
     */
    public static double forward(Activation act, double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = act.parameter();
        return switch (act.kind()) {
            case IDENTITY -> x;
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case RELU -> x > 0 ? x : 0.0;
            case LEAKY_RELU -> x > 0 ? x : a * x;
            case ELU -> x > 0 ? x : a * Math.expm1(x);
            case SWISH -> swish(x, a);
            case SOFTPLUS -> Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x)));
            case GELU -> Double.isInfinite(x) ? (x > 0 ? x : 0.0) : x * normalCdf(x);
            case GELU_TANH -> Double.isInfinite(x) ? (x > 0 ? x : 0.0) : x * sigmoid(2.0 * geluTanhInner(x));
        };
    }

    private static double swish(double x, double beta) {
        if (beta == 0.0) {
            return x / 2; // σ(0·x) = 1/2 for every x, ±∞ included
        }
        if (Double.isInfinite(x)) {
            double s = sigmoid(beta * x);
            // The limit of x·σ(βx): the function tends to x where σ → 1, and to +0 where σ → 0 (β ≠ 0).
            if (s == 0.0) {
                return 0.0;
            }
            return x * s;
        }
        return x * sigmoid(beta * x);
    }

    /** √(2/π)(x + 0.044715x³); 1 + tanh(u) = 2σ(2u) avoids cancellation for negative x. */
    private static double geluTanhInner(double x) {
        return SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x);
    }

    /**
     * f'(x) from x alone (the oracle's exact derivative, used for checks against finite differences).
     *
     * @param act the activation
     * @param x the input; NaN gives NaN; ±∞ gives the limit of f'
     * @return f'(x)
     */
    public static double derivative(Activation act, double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = act.parameter();
        return switch (act.kind()) {
            case IDENTITY -> 1.0;
            case SIGMOID -> {
                double s = sigmoid(x);
                yield s * (1.0 - s);
            }
            case TANH -> {
                double t = Math.tanh(x);
                yield 1.0 - t * t;
            }
            case RELU -> x > 0 ? 1.0 : 0.0;
            case LEAKY_RELU -> x > 0 ? 1.0 : a;
            case ELU -> x > 0 ? 1.0 : a * Math.exp(x);
            case SWISH -> {
                if (a == 0.0) {
                    yield 0.5;
                }
                if (Double.isInfinite(x)) {
                    yield sigmoid(a * x) == 0.0 ? 0.0 : sigmoid(a * x);
                }
                double s = sigmoid(a * x);
                yield s + a * x * s * (1.0 - s);
            }
            case SOFTPLUS -> sigmoid(x);
            case GELU -> {
                if (Double.isInfinite(x)) {
                    yield x > 0 ? 1.0 : 0.0;
                }
                yield normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
            }
            case GELU_TANH -> {
                if (Double.isInfinite(x)) {
                    yield x > 0 ? 1.0 : 0.0;
                }
                double s = sigmoid(2.0 * geluTanhInner(x));
                double du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
                yield s + x * 2.0 * du * s * (1.0 - s);
            }
        };
    }

    /**
     * dx as the contract specifies it: from the saved output y for SIGMOID (dy·y(1−y)) and TANH
     * (dy·(1−y²)); from x for the others (ELU at x ≤ 0: dy·α·eˣ, which keeps its digits where y + α
     * would cancel). NaN in x or dy gives NaN,
     * except for IDENTITY, whose dx = dy never reads x.
     *
     * @param act the activation
     * @param dy ∂L/∂y
     * @param x the forward input
     * @param y the forward output act(x), as the backward pass receives it
     * @return ∂L/∂x
     */
    public static double backward(Activation act, double dy, double x, double y) {
        if (act.kind() == Activation.Kind.IDENTITY) {
            return dy; // dx = dy: x is not consulted
        }
        if (Double.isNaN(x) || Double.isNaN(dy)) {
            return Double.NaN;
        }
        return switch (act.kind()) {
            case SIGMOID -> dy * (y * (1.0 - y));
            case TANH -> dy * (1.0 - y * y);
            case RELU -> x > 0 ? dy : 0.0;
            case LEAKY_RELU -> x > 0 ? dy : act.parameter() * dy;
            default -> dy * derivative(act, x);
        };
    }
}
