package dev.kengine.spark;

import dev.kengine.op.Activation;
import java.util.List;

/**
 * The forward pass in plain Java float32, for scoring one row at a time inside a Spark
 * transformation without opening an engine. It evaluates what the engine's fused linear op
 * evaluates, for every {@link Activation} the engine has (the estimator accepts exactly those);
 * the two agree to float32 rounding.
 */
final class PlainMath {
    /** The activations as {@link Activation#parse} reads them; a parameter follows a colon ({@code leaky_relu:0.2}). */
    static final List<String> ACTIVATIONS = List.of("identity", "sigmoid", "tanh", "relu", "leaky_relu[:alpha]",
            "elu[:alpha]", "swish[:beta]", "silu", "softplus", "gelu", "gelu_tanh");
    /** Numerical Recipes' erfcc: erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), fractional error below 1.2e-7 for z ≥ 0. */
    private static final double[] ERFC = {
        -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
        0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277
    };
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;

    private PlainMath() {}

    /** Whether the engine reads {@code activation} ({@link Activation#parse}). */
    static boolean accepts(String activation) {
        try {
            Activation.parse(activation);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static void check(String activation) {
        if (!accepts(activation)) {
            throw new IllegalArgumentException("activation must be one of " + ACTIVATIONS + ", got '" + activation + "'");
        }
    }

    /** The class scores (logits) of one row. */
    static double[] logits(NetworkSpec spec, float[] params, double[] features) {
        float[] h = new float[spec.inputs()];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) features[i];
        }
        Activation act = Activation.parse(spec.activation());
        for (int l = 0; l < spec.layers(); l++) {
            int in = spec.in(l);
            int out = spec.out(l);
            int w = spec.weightOffset(l);
            int b = spec.biasOffset(l);
            float[] y = new float[out];
            for (int j = 0; j < out; j++) {
                y[j] = params[b + j];
            }
            for (int i = 0; i < in; i++) {
                float x = h[i];
                if (x == 0f) {
                    continue;
                }
                int row = w + i * out;
                for (int j = 0; j < out; j++) {
                    y[j] += x * params[row + j];
                }
            }
            if (l < spec.layers() - 1) {
                for (int j = 0; j < out; j++) {
                    y[j] = activate(act, y[j]);
                }
            }
            h = y;
        }
        double[] r = new double[h.length];
        for (int i = 0; i < h.length; i++) {
            r[i] = h[i];
        }
        return r;
    }

    /** f(x) as {@link Activation} defines it, in double rounded to float; the limits at ±∞ where x·0 would appear. */
    static float activate(Activation a, float x) {
        float p = a.parameter();
        return switch (a.kind()) {
            case IDENTITY -> x;
            case RELU -> x > 0f ? x : x != x ? x : 0f;
            case LEAKY_RELU -> x > 0f ? x : p * x;
            case ELU -> x > 0f ? x : (float) (p * Math.expm1(x));
            case SIGMOID -> (float) sigmoid(x);
            case TANH -> (float) Math.tanh(x);
            case SOFTPLUS -> (float) (Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs((double) x))));
            case SWISH -> Float.isInfinite(x) ? swishLimit(p, x) : (float) (x * sigmoid((double) p * x));
            case GELU -> Float.isInfinite(x) ? (x > 0 ? x : 0f) : (float) (x * normalCdf(x));
            case GELU_TANH -> Float.isInfinite(x) ? (x > 0 ? x : 0f)
                    : (float) (0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * (double) x * x * x))));
        };
    }

    private static double sigmoid(double x) {
        return x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    }

    /** x·σ(βx) at x = ±∞: x where βx → +∞, +0 where βx → −∞, x/2 for β = 0. */
    private static float swishLimit(float beta, float x) {
        if (beta == 0f) {
            return x;
        }
        return (beta > 0) == (x > 0) ? x : 0f;
    }

    /** Φ(x), from erfc with relative accuracy in the lower tail. */
    static double normalCdf(double x) {
        double z = Math.abs(x) * 0.7071067811865476;
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = ERFC[9];
        for (int k = 8; k >= 0; k--) {
            poly = poly * t + ERFC[k];
        }
        double half = 0.5 * t * Math.exp(poly - 0.5 * x * x);
        return x < 0 ? half : 1.0 - half;
    }
    /** Softmax of {@code raw} into a new array, stable for large scores. */
    static double[] softmax(double[] raw) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : raw) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            p[i] = Math.exp(raw[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < raw.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
