package dev.kengine.bench;

import dev.kengine.Backend;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Tensor;
import dev.kengine.bench.OpDescriptor.Instance;
import dev.kengine.conformance.oracle.LossOracle;
import dev.kengine.conformance.oracle.OptimizerOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Reduction;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One training step of a multi-layer perceptron, the same on every backend and every peer: 784 → 1024 → 1024 → 10,
 * ReLU after the two hidden layers, a batch of {@value #BATCH}, mean softmax cross-entropy with integer labels, and
 * Adam (lr {@value #LEARNING_RATE}, β1 0.9, β2 0.999, ε 1e-8) on every weight and bias. The data (x uniform in
 * [0, 1), labels uniform in 0..9) and the initial weights (uniform in ±1/√fan-in, PyTorch's default range for
 * {@code nn.Linear}) come from one seed, so that the peers are handed the very same numbers.
 *
 * <p>On a backend: three {@code linear} calls, {@code softmaxCrossEntropy}, three {@code linearBackward} calls (the
 * first layer's without the input gradient: {@code linearBackward(dy, forward, false)}) and six {@code adamStep}
 * calls, all in a {@link Scope}. The step's loss (before that step's update) of the first {@value #LOSS_STEPS} steps
 * is its checked result: every implementation must agree with the float64 oracle ({@link #float64Losses}) within
 * {@link #LOSS_TOLERANCE}.
 */
public final class TrainStep {
    /** Layer widths, input first. */
    public static final int[] LAYERS = {784, 1024, 1024, 10};
    public static final int BATCH = 256;
    public static final float LEARNING_RATE = 1e-3f;
    /** Steps whose losses are compared between implementations. */
    public static final int LOSS_STEPS = 3;
    /**
     * Largest relative difference of a step's loss from the reference's that still agrees: 1e-3. The first loss is a
     * forward pass only (float32 sums in another order: about 1e-6); the second and third follow Adam updates, whose
     * first steps move every weight by about ±lr whatever its gradient's size, so a gradient within rounding of zero can
     * take either sign; the losses then differ by some 1e-5 (measured: PyTorch and ND4J against the CPU backend).
     */
    public static final double LOSS_TOLERANCE = 1e-3;

    private TrainStep() {}

    /** Parameters (weights and biases) of the network. */
    public static long parameters() {
        long p = 0;
        for (int l = 0; l + 1 < LAYERS.length; l++) {
            p += (long) LAYERS[l] * LAYERS[l + 1] + LAYERS[l + 1];
        }
        return p;
    }

    /**
     * Floating-point operations of one step: the forward matmuls (2·batch·weights), the weight gradients (as many),
     * the input gradients of every layer but the first, and Adam's dozen per parameter; the elementwise ReLU and
     * softmax work is left out.
     */
    public static double flops() {
        double forward = 0;
        double inputGrads = 0;
        for (int l = 0; l + 1 < LAYERS.length; l++) {
            double w = (double) LAYERS[l] * LAYERS[l + 1];
            forward += 2.0 * BATCH * w;
            if (l > 0) {
                inputGrads += 2.0 * BATCH * w;
            }
        }
        return 2 * forward + inputGrads + 12.0 * parameters();
    }

    /** Bytes a step must move at least: the batch in, and Adam reading w, g, m, v and writing w, m, v. */
    public static double bytes() {
        return 4.0 * ((double) BATCH * LAYERS[0] + 7.0 * parameters());
    }

    /** The data and initial weights of the step, from one seed. */
    public record Data(float[] x, int[] labels, List<float[]> weights, List<float[]> biases) {
        public static Data of(long seed) {
            float[] x = Ops.uniform(BATCH * LAYERS[0], seed, 0, 1);
            int[] labels = new int[BATCH];
            SplittableRandom r = new SplittableRandom(seed + 1);
            for (int i = 0; i < BATCH; i++) {
                labels[i] = r.nextInt(LAYERS[LAYERS.length - 1]);
            }
            List<float[]> w = new ArrayList<>();
            List<float[]> b = new ArrayList<>();
            for (int l = 0; l + 1 < LAYERS.length; l++) {
                float bound = (float) (1 / Math.sqrt(LAYERS[l]));
                w.add(Ops.uniform(LAYERS[l] * LAYERS[l + 1], seed + 10 + 2L * l, -bound, bound));
                b.add(Ops.uniform(LAYERS[l + 1], seed + 11 + 2L * l, -bound, bound));
            }
            return new Data(x, labels, List.copyOf(w), List.copyOf(b));
        }
    }

    /** "256x784-1024-1024-10": the batch and the layer widths. */
    public static String shape() {
        StringBuilder sb = new StringBuilder().append(BATCH).append('x');
        for (int l = 0; l < LAYERS.length; l++) {
            sb.append(l == 0 ? "" : "-").append(LAYERS[l]);
        }
        return sb.toString();
    }

    /**
     * The largest relative difference between two loss sequences, |a − b| / |b|, over the first
     * {@value #LOSS_STEPS} steps; +∞ when one is shorter or holds a non-finite loss.
     */
    public static double lossDisagreement(float[] got, float[] ref) {
        if (got.length < LOSS_STEPS || ref.length < LOSS_STEPS) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < LOSS_STEPS; i++) {
            if (!Float.isFinite(got[i]) || !Float.isFinite(ref[i])) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, Math.abs((double) got[i] - ref[i]) / Math.max(Math.abs((double) ref[i]), 1e-30));
        }
        return worst;
    }

    private static final java.util.concurrent.ConcurrentHashMap<Long, double[]> FLOAT64_LOSSES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The float64 oracle of the step: the losses of the first {@value #LOSS_STEPS} steps computed in double
     * precision from the same data and initial weights (the float32 values, exactly): z = x·W + b, ReLU (slope 0 at
     * 0), the loss and its gradient and the Adam steps by the conformance kit's own float64 oracles
     * ({@link LossOracle}, {@link OptimizerOracle}, with the backends' float configuration values), the products and
     * their gradients in double here (in parallel: about 3 G multiply-adds). Each step's loss is taken before that
     * step's update, as the backends report it. Computed once per seed and kept.
     */
    public static double[] float64Losses(long seed) {
        return FLOAT64_LOSSES.computeIfAbsent(seed, TrainStep::computeFloat64Losses).clone();
    }

    private static double[] computeFloat64Losses(long seed) {
        Data d = Data.of(seed);
        int layers = LAYERS.length - 1;
        double[] x = widen(d.x());
        double[][] w = new double[layers][];
        double[][] b = new double[layers][];
        double[][][] moments = new double[2 * layers][2][];
        for (int l = 0; l < layers; l++) {
            w[l] = widen(d.weights().get(l));
            b[l] = widen(d.biases().get(l));
            moments[2 * l] = new double[][] {new double[w[l].length], new double[w[l].length]};
            moments[2 * l + 1] = new double[][] {new double[b[l].length], new double[b[l].length]};
        }
        double[] losses = new double[LOSS_STEPS];
        for (int step = 1; step <= LOSS_STEPS; step++) {
            // Forward: h[0] = x, z[l] = h[l]·W[l] + b[l], h[l + 1] = ReLU(z[l]) but for the last layer.
            double[][] h = new double[layers + 1][];
            double[][] z = new double[layers][];
            h[0] = x;
            for (int l = 0; l < layers; l++) {
                z[l] = product(h[l], w[l], BATCH, LAYERS[l], LAYERS[l + 1], b[l]);
                h[l + 1] = l + 1 < layers ? relu(z[l]) : z[l];
            }
            // The loss and its gradient by the conformance kit's float64 oracle (max-shifted log-sum-exp).
            double[] logits = z[layers - 1];
            int classes = LAYERS[layers];
            losses[step - 1] = LossOracle.crossEntropy(logits, d.labels(), null, BATCH, classes, Reduction.MEAN);
            double[] g = LossOracle.crossEntropyGradient(logits, d.labels(), null, BATCH, classes, Reduction.MEAN);
            if (step == LOSS_STEPS) {
                break;
            }
            // Backward, last layer first: dW = hᵀ·g, db = Σ rows of g, and g·Wᵀ through the ReLU to the layer below.
            double[][] dw = new double[layers][];
            double[][] db = new double[layers][];
            for (int l = layers - 1; l >= 0; l--) {
                int in = LAYERS[l];
                int out = LAYERS[l + 1];
                dw[l] = transposedProduct(h[l], g, BATCH, in, out);
                db[l] = new double[out];
                for (int r = 0; r < BATCH; r++) {
                    for (int c = 0; c < out; c++) {
                        db[l][c] += g[r * out + c];
                    }
                }
                if (l > 0) {
                    double[] below = productTransposed(g, w[l], BATCH, out, in);
                    double[] zBelow = z[l - 1];
                    for (int i = 0; i < below.length; i++) {
                        below[i] = zBelow[i] > 0 ? below[i] : 0;
                    }
                    g = below;
                }
            }
            for (int l = 0; l < layers; l++) {
                adam(w[l], dw[l], moments[2 * l], step);
                adam(b[l], db[l], moments[2 * l + 1], step);
            }
        }
        return losses;
    }

    private static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[] relu(double[] z) {
        double[] h = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            h[i] = z[i] > 0 ? z[i] : 0;
        }
        return h;
    }

    /** a·b + bias for a {@code [m, k]}, b {@code [k, n]}, by rows in parallel. */
    private static double[] product(double[] a, double[] b, int m, int k, int n, double[] bias) {
        double[] c = new double[m * n];
        java.util.stream.IntStream.range(0, m).parallel().forEach(i -> {
            int row = i * n;
            System.arraycopy(bias, 0, c, row, n);
            for (int p = 0; p < k; p++) {
                double aip = a[i * k + p];
                int brow = p * n;
                for (int j = 0; j < n; j++) {
                    c[row + j] += aip * b[brow + j];
                }
            }
        });
        return c;
    }

    /** aᵀ·g for a {@code [m, k]}, g {@code [m, n]}: {@code [k, n]}, by rows of the result in parallel. */
    private static double[] transposedProduct(double[] a, double[] g, int m, int k, int n) {
        double[] c = new double[k * n];
        java.util.stream.IntStream.range(0, k).parallel().forEach(i -> {
            int row = i * n;
            for (int r = 0; r < m; r++) {
                double ari = a[r * k + i];
                if (ari != 0) {
                    int grow = r * n;
                    for (int j = 0; j < n; j++) {
                        c[row + j] += ari * g[grow + j];
                    }
                }
            }
        });
        return c;
    }

    /** g·wᵀ for g {@code [m, n]}, w {@code [k, n]}: {@code [m, k]}, by rows in parallel. */
    private static double[] productTransposed(double[] g, double[] w, int m, int n, int k) {
        double[] c = new double[m * k];
        java.util.stream.IntStream.range(0, m).parallel().forEach(r -> {
            for (int i = 0; i < k; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += g[r * n + j] * w[i * n + j];
                }
                c[r * k + i] = s;
            }
        });
        return c;
    }

    /** One Adam step by the conformance kit's float64 oracle, with the backends' configuration (its float values). */
    private static void adam(double[] p, double[] g, double[][] mv, int step) {
        double[][] next = OptimizerOracle.adam(p, g, mv[0], mv[1], AdamConfig.adam(LEARNING_RATE), step);
        System.arraycopy(next[0], 0, p, 0, p.length);
        mv[0] = next[1];
        mv[1] = next[2];
    }

    /** The step on a backend; {@link #result()} is the losses of the first {@value #LOSS_STEPS} steps. */
    static final class StepInstance implements Instance {
        private final Backend backend;
        private final Tensor x;
        private final int[] labels;
        private final Tensor[] params;
        private final Tensor[] m;
        private final Tensor[] v;
        private final AdamConfig adam = AdamConfig.adam(LEARNING_RATE);
        private final float[] losses = new float[LOSS_STEPS];
        private long step;
        private final long seed;

        StepInstance(Backend backend, long seed) {
            this.backend = backend;
            this.seed = seed;
            Data d = Data.of(seed);
            x = backend.of(d.x(), BATCH, LAYERS[0]);
            labels = d.labels();
            int layers = LAYERS.length - 1;
            params = new Tensor[2 * layers];
            m = new Tensor[2 * layers];
            v = new Tensor[2 * layers];
            for (int l = 0; l < layers; l++) {
                params[2 * l] = backend.of(d.weights().get(l), LAYERS[l], LAYERS[l + 1]);
                params[2 * l + 1] = backend.of(d.biases().get(l), LAYERS[l + 1]);
            }
            for (int i = 0; i < params.length; i++) {
                m[i] = backend.zeros(params[i].shape());
                v[i] = backend.zeros(params[i].shape());
            }
        }

        @Override
        public void run() {
            try (Scope s = Scope.open()) {
                LinearOutput l1 = backend.linear(x, params[0], params[1], Activation.RELU);
                LinearOutput l2 = backend.linear(l1.output(), params[2], params[3], Activation.RELU);
                LinearOutput l3 = backend.linear(l2.output(), params[4], params[5], Activation.IDENTITY);
                LossAndGradient lg = backend.softmaxCrossEntropy(l3.output(), labels, Reduction.MEAN);
                LinearGradients g3 = backend.linearBackward(lg.gradient(), l3, true);
                LinearGradients g2 = backend.linearBackward(g3.dx(), l2, true);
                LinearGradients g1 = backend.linearBackward(g2.dx(), l1, false);
                step++;
                LinearGradients[] g = {g1, g2, g3};
                for (int l = 0; l < g.length; l++) {
                    backend.adamStep(params[2 * l], g[l].dw(), m[2 * l], v[2 * l], adam, step);
                    backend.adamStep(params[2 * l + 1], g[l].db(), m[2 * l + 1], v[2 * l + 1], adam, step);
                }
                if (step <= LOSS_STEPS) {
                    losses[(int) step - 1] = lg.loss().item(); // waits for the step: only the first few
                }
            }
        }

        /** The losses of the first {@value #LOSS_STEPS} steps, taking the steps still missing. */
        @Override
        public float[] result() {
            while (step < LOSS_STEPS) {
                run();
            }
            return losses.clone();
        }

        /** The losses' float64 oracle ({@link #float64Losses}) at the given steps. */
        @Override
        public double[] oracle(int[] indices) {
            double[] all = float64Losses(seed);
            double[] out = new double[indices.length];
            for (int i = 0; i < indices.length; i++) {
                out[i] = all[indices[i]];
            }
            return out;
        }

        @Override
        public void close() {
            Ops.closeAll(x);
            Ops.closeAll(params);
            Ops.closeAll(m);
            Ops.closeAll(v);
        }
    }
}
