package dev.kengine.spark;

import java.util.Locale;
import java.util.Set;

/**
 * The forward pass in plain Java float32, for scoring one row at a time inside a Spark
 * transformation without opening an engine. It evaluates what the engine's fused linear op
 * evaluates; the two agree to float32 rounding.
 */
final class PlainMath {
    /** The hidden activations a model may use (those with a one-line float32 definition). */
    static final Set<String> ACTIVATIONS = Set.of("relu", "leaky_relu", "tanh", "sigmoid", "elu", "silu", "softplus", "identity");

    private PlainMath() {}

    static void check(String activation) {
        if (!ACTIVATIONS.contains(activation)) {
            throw new IllegalArgumentException("activation must be one of " + new java.util.TreeSet<>(ACTIVATIONS)
                    + ", got '" + activation + "'");
        }
    }

    /** The class scores (logits) of one row. */
    static double[] logits(NetworkSpec spec, float[] params, double[] features) {
        float[] h = new float[spec.inputs()];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) features[i];
        }
        String act = spec.activation().toLowerCase(Locale.ROOT);
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

    static float activate(String act, float x) {
        return switch (act) {
            case "relu" -> Math.max(x, 0f);
            case "leaky_relu" -> x > 0f ? x : 0.01f * x;
            case "tanh" -> (float) Math.tanh(x);
            case "sigmoid" -> (float) (1.0 / (1.0 + Math.exp(-x)));
            case "elu" -> x > 0f ? x : (float) Math.expm1(x);
            case "silu" -> (float) (x / (1.0 + Math.exp(-x)));
            case "softplus" -> (float) (Math.max(x, 0.0) + Math.log1p(Math.exp(-Math.abs(x))));
            default -> x;
        };
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
