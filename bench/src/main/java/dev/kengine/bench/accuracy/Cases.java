package dev.kengine.bench.accuracy;

import static dev.kengine.conformance.Inputs.narrow;
import static dev.kengine.conformance.Inputs.widen;

import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.Tensor;
import dev.kengine.bench.accuracy.AccuracyCase.Definition;
import dev.kengine.bench.accuracy.AccuracyCase.Input;
import dev.kengine.bench.accuracy.AccuracyCase.Output;
import dev.kengine.bench.accuracy.AccuracyCase.Result;
import dev.kengine.conformance.ErrorScales;
import dev.kengine.conformance.Inputs;
import dev.kengine.conformance.Tolerance;
import dev.kengine.conformance.Tolerances;
import dev.kengine.conformance.oracle.ActivationOracle;
import dev.kengine.conformance.oracle.LinalgOracle;
import dev.kengine.conformance.oracle.LossOracle;
import dev.kengine.conformance.oracle.OptimizerOracle;
import dev.kengine.conformance.oracle.ReductionOracle;
import dev.kengine.conformance.oracle.SoftmaxOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The fixed, seeded cases of {@code ./engine accuracy}: every op family, with the oracle's float64
 * value of every output computed on the float32 inputs, and the kit's tolerance and error scale
 * (as {@code BackendConformanceKit} passes them) for each.
 *
 * <p>Backward passes are measured as a caller meets them: the backend's own forward output is fed
 * to its backward, and the result is compared with the exact gradient dy·f'(x) (PyTorch's autograd
 * does the same with its own forward). The kit instead feeds the float32-rounded oracle output, so
 * the "tol" column of a backward row comes from a second call made that way.
 */
public final class Cases {
    private static final double U = Tolerance.U32;

    /** The activations measured: every kind, leaky ReLU, ELU and swish with two parameters each where it matters. */
    static final Activation[] ACTIVATIONS = {
        Activation.IDENTITY, Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.leakyRelu(),
        Activation.elu(1f), Activation.SILU, Activation.swish(1.5f), Activation.SOFTPLUS, Activation.GELU, Activation.GELU_TANH
    };

    /** The losses measured: every {@link Loss.Kind}, Huber with two thresholds. */
    static final Loss[] LOSSES = {
        Loss.MSE, Loss.MAE, Loss.huber(1f), Loss.huber(0.25f), Loss.BINARY_CROSS_ENTROPY, Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS
    };

    private Cases() {}

    /**
     * Every case, in table order.
     *
     * @return new definitions; each builds its inputs and oracle values when asked
     */
    public static List<Definition> all() {
        List<Definition> d = new ArrayList<>();
        // x on a grid of 4096 over [-15,-3] and [3,15]; 4096 near 0; 8192 uniform in [-3,3]; 8192 uniform in [-10,10].
        String[] sets = {"tails", "near0", "mid", "uniform"};
        for (boolean backward : new boolean[] {false, true}) {
            for (Activation act : ACTIVATIONS) {
                for (String set : sets) {
                    String name = act + (backward ? " bwd " : " fwd ") + set;
                    d.add(new Definition(backward ? "activation backward" : "activation", name,
                            () -> activation(name, act, set, backward)));
                }
            }
        }
        for (boolean log : new boolean[] {false, true}) {
            for (boolean backward : new boolean[] {false, true}) {
                String name = (log ? "logSoftmax" : "softmax") + (backward ? " bwd" : " fwd") + " 64x1000";
                d.add(new Definition(log ? "log-softmax" : "softmax", name, () -> softmax(name, log, backward)));
            }
        }
        for (Loss loss : LOSSES) {
            String name = "loss " + loss + " mean n=8192";
            d.add(new Definition("loss", name, () -> loss(name, loss)));
        }
        d.add(new Definition("cross-entropy", "softmaxCrossEntropy 64x1000 mean", () -> crossEntropy("softmaxCrossEntropy 64x1000 mean")));
        SgdConfig[] sgd = {SgdConfig.of(0.1f), SgdConfig.of(0.1f).withMomentum(0.9f, false), SgdConfig.of(0.05f).withMomentum(0.9f, true),
            SgdConfig.of(0.1f).withMomentum(0.9f, false).withL2(0.01f)};
        String[] sgdNames = {"sgd lr=0.1", "sgd momentum=0.9", "sgd nesterov=0.9", "sgd momentum=0.9 l2=0.01"};
        for (int i = 0; i < sgd.length; i++) {
            SgdConfig cfg = sgd[i];
            String name = sgdNames[i] + " random state";
            d.add(new Definition("sgd", name, () -> sgd(name, cfg)));
        }
        d.add(new Definition("adam", "adam g=90 5 steps from 0", () -> adamConstant("adam g=90 5 steps from 0")));
        AdamConfig[] adam = {AdamConfig.adam(1e-3f), new AdamConfig(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, false), AdamConfig.adamW(1e-3f, 0.01f)};
        String[] adamNames = {"adam", "adam l2=0.01", "adamW wd=0.01"};
        for (int i = 0; i < adam.length; i++) {
            AdamConfig cfg = adam[i];
            String name = adamNames[i] + " random state t=10";
            d.add(new Definition("adam", name, () -> adamRandom(name, cfg)));
        }
        String[][] magnitudes = {{"N(0.5,1)", "1"}, {"huge 1e19", "1e19"}, {"tiny 1e-25", "1e-25"}};
        for (String kind : new String[] {"sum", "mean", "l2Norm"}) {
            for (String[] m : magnitudes) {
                String name = kind + " n=1e6 " + m[0];
                double scale = Double.parseDouble(m[1]);
                d.add(new Definition(kind, name, () -> reduction(name, kind, scale)));
            }
        }
        for (int k : new int[] {33, 1000, 4097}) {
            String name = "matmul 64x" + k + "x64";
            d.add(new Definition("matmul", name, () -> matmul(name, 1, 64, k, 64)));
        }
        d.add(new Definition("batched matmul", "matmul batch=4 64x4097x64", () -> matmul("matmul batch=4 64x4097x64", 4, 64, 4097, 64)));
        for (int in : new int[] {33, 1000}) {
            String fwd = "linear fwd rows=64 in=" + in + " out=" + in;
            String bwd = "linearBackward rows=64 in=" + in + " out=" + in;
            d.add(new Definition("linear", fwd, () -> linear(fwd, 64, in, in, false)));
            d.add(new Definition("linear backward", bwd, () -> linear(bwd, 64, in, in, true)));
        }
        return d;
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs
    // ---------------------------------------------------------------------------------------------

    /** n evenly spaced floats from lo to hi, both included. */
    static float[] grid(int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * i / (n - 1));
        }
        return a;
    }

    /**
     * The activation inputs of a set: the tails on a grid, values near 0, uniform in [-3, 3] (the
     * body of the functions, short of where tanh and σ round to ±1), or uniform in [-10, 10].
     */
    static float[] activationInput(String set, long seed) {
        return switch (set) {
            case "tails" -> {
                float[] a = new float[4096];
                System.arraycopy(grid(2048, -15, -3), 0, a, 0, 2048);
                System.arraycopy(grid(2048, 3, 15), 0, a, 2048, 2048);
                yield a;
            }
            case "near0" -> {
                // Half uniform in [-0.5, 0.5], half ±10^u for u uniform in [-12, -1].
                SplittableRandom r = new SplittableRandom(seed);
                float[] a = new float[4096];
                for (int i = 0; i < a.length; i++) {
                    double v = i % 2 == 0 ? r.nextDouble() - 0.5 : Math.pow(10, -12 + 11 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1);
                    a[i] = (float) v;
                }
                yield a;
            }
            case "mid" -> Inputs.uniform(8192, seed, -3, 3);
            case "uniform" -> Inputs.uniform(8192, seed, -10, 10);
            default -> throw new IllegalArgumentException(set);
        };
    }

    private static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static double[] abs(double[] v) {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    // ---------------------------------------------------------------------------------------------
    // Activations
    // ---------------------------------------------------------------------------------------------

    private static AccuracyCase activation(String name, Activation act, String set, boolean backward) {
        long seed = 100 + act.kind().ordinal() * 10L + set.length();
        float[] x = activationInput(set, seed);
        int n = x.length;
        Map<String, Object> p = params("kind", act.kind().name().toLowerCase(Locale.ROOT), "param", (double) act.parameter());
        if (!backward) {
            double[] expected = new double[n];
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = ActivationOracle.forward(act, x[i]);
                ref[i] = ErrorScales.activation(act, x[i]);
            }
            return new AccuracyCase("activation", name, "activation", p, List.of(Input.of("x", x, n)),
                    List.of(new Output("y", name, expected, Tolerances.activation(act), ref)),
                    b -> new Result().put("y", b.activation(b.of(x, n), act).toArray()));
        }
        float[] dy = Inputs.uniform(n, seed + 1, -3, 3);
        double[] expected = new double[n];
        float[] kitY = new float[n];
        double[] kitExpected = new double[n];
        double[] kitRef = new double[n];
        for (int i = 0; i < n; i++) {
            expected[i] = act.kind() == Activation.Kind.IDENTITY ? dy[i] : dy[i] * ActivationOracle.derivative(act, x[i]);
            kitY[i] = (float) ActivationOracle.forward(act, x[i]);
            kitExpected[i] = ActivationOracle.backward(act, dy[i], x[i], kitY[i]);
            kitRef[i] = ErrorScales.activationBackward(dy[i], x[i]);
        }
        Tolerance tol = Tolerances.activationBackward(act);
        return new AccuracyCase("activation backward", name, "activation_backward", p,
                List.of(Input.of("x", x, n), Input.of("dy", dy, n)),
                List.of(new Output("dx", name, expected, tol, null)),
                b -> {
                    Tensor tx = b.of(x, n);
                    Tensor tdy = b.of(dy, n);
                    Tensor y = b.activation(tx, act);
                    float[] dx = b.activationBackward(tdy, tx, y, act).toArray();
                    float[] kit = b.activationBackward(tdy, tx, b.of(kitY, n), act).toArray();
                    return new Result().put("dx", dx).kit("dx", Measure.toleranceUsed(tol, kitExpected, kit, kitRef));
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Softmax
    // ---------------------------------------------------------------------------------------------

    /** Logits with spread: row r is N(0, (1 + 19r/(rows−1))²) plus an offset uniform in [−50, 50]. */
    static float[] spreadLogits(int rows, int cols, long seed) {
        float[] x = new float[rows * cols];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < rows; i++) {
            float[] g = Inputs.gaussian(cols, seed + 1 + i, 1 + 19.0 * i / Math.max(1, rows - 1));
            double offset = -50 + 100 * r.nextDouble();
            for (int c = 0; c < cols; c++) {
                x[i * cols + c] = (float) (g[c] + offset);
            }
        }
        return x;
    }

    private static AccuracyCase softmax(String name, boolean log, boolean backward) {
        int rows = 64;
        int cols = 1000;
        int n = rows * cols;
        float[] x = spreadLogits(rows, cols, log ? 300 : 200);
        double[] xd = widen(x);
        double[] y = SoftmaxOracle.forward(xd, rows, cols, log);
        Map<String, Object> p = params("log", log);
        if (!backward) {
            double[] ref = new double[n];
            for (int r = 0; r < rows; r++) {
                double m = ReductionOracle.max(Arrays.copyOfRange(xd, r * cols, (r + 1) * cols), 1, cols)[0];
                double lse = LossOracle.logSumExp(xd, r, cols);
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    double shift = Math.abs(xd[i] - m);
                    ref[i] = log ? shift + Math.abs(lse - m) + cols + 4 : Math.abs(y[i]) * (cols + 2 + shift);
                }
            }
            return new AccuracyCase(log ? "log-softmax" : "softmax", name, "softmax", p, List.of(Input.of("x", x, rows, cols)),
                    List.of(new Output("y", name, y, log ? Tolerances.LOG_SOFTMAX : Tolerances.SOFTMAX, ref)),
                    b -> new Result().put("y", (log ? b.logSoftmax(b.of(x, rows, cols)) : b.softmax(b.of(x, rows, cols))).toArray()));
        }
        float[] dy = Inputs.gaussian(n, log ? 301 : 201, 1);
        double[] expected = SoftmaxOracle.backward(widen(dy), y, rows, cols, log);
        float[] yf = narrow(y);
        double[] kitExpected = SoftmaxOracle.backward(widen(dy), widen(yf), rows, cols, log);
        double[] kitRef = ErrorScales.softmaxBackward(dy, yf, rows, cols, log);
        Tolerance tol = log ? Tolerances.LOG_SOFTMAX_BACKWARD : Tolerances.SOFTMAX_BACKWARD;
        return new AccuracyCase(log ? "log-softmax" : "softmax", name, "softmax_backward", p,
                List.of(Input.of("x", x, rows, cols), Input.of("dy", dy, rows, cols)),
                List.of(new Output("dx", name, expected, tol, null)),
                b -> {
                    Tensor tx = b.of(x, rows, cols);
                    Tensor tdy = b.of(dy, rows, cols);
                    Tensor ty = log ? b.logSoftmax(tx) : b.softmax(tx);
                    float[] dx = (log ? b.logSoftmaxBackward(tdy, ty) : b.softmaxBackward(tdy, ty)).toArray();
                    Tensor tyf = b.of(yf, rows, cols);
                    float[] kit = (log ? b.logSoftmaxBackward(tdy, tyf) : b.softmaxBackward(tdy, tyf)).toArray();
                    return new Result().put("dx", dx).kit("dx", Measure.toleranceUsed(tol, kitExpected, kit, kitRef));
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Losses
    // ---------------------------------------------------------------------------------------------

    /** Predictions and targets for a loss: N(0, 2²) for the regressions, probabilities for BCE, logits for its logits form. */
    static float[][] lossData(Loss loss, int n, long seed) {
        return switch (loss.kind()) {
            case BINARY_CROSS_ENTROPY -> {
                float[] p = Inputs.uniform(n, seed, 0, 1);
                float[] t = Inputs.uniform(n, seed + 1, 0, 1);
                float[] edges = {1e-7f, 0.9999999f, 1e-4f, 0.9999f, 0.5f, 1e-30f};
                for (int i = 3; i < n; i += 97) {
                    p[i] = edges[(i / 97) % edges.length];
                }
                yield new float[][] {p, t};
            }
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> new float[][] {Inputs.uniform(n, seed, -20, 20), Inputs.uniform(n, seed + 1, 0, 1)};
            default -> new float[][] {Inputs.gaussian(n, seed, 2), Inputs.gaussian(n, seed + 1, 2)};
        };
    }

    private static AccuracyCase loss(String name, Loss loss) {
        int n = 8192;
        Reduction red = Reduction.MEAN;
        float[][] pt = lossData(loss, n, 400 + loss.kind().ordinal() * 10L + (long) (loss.delta() * 4));
        double[] p = widen(pt[0]);
        double[] t = widen(pt[1]);
        double ref = 0;
        for (int i = 0; i < n; i++) {
            ref += LossOracle.elementMagnitude(loss, p[i], t[i]);
        }
        ref = ref * (n + 4) / n;
        double[] gref = new double[n];
        if (loss.kind() == Loss.Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS) {
            for (int i = 0; i < n; i++) {
                gref[i] = (ActivationOracle.sigmoid(p[i]) + Math.abs(t[i])) / n;
            }
        }
        Map<String, Object> params = params("kind", loss.kind().name().toLowerCase(Locale.ROOT), "delta", (double) loss.delta(),
                "reduction", "mean");
        return new AccuracyCase("loss", name, "loss", params, List.of(Input.of("p", pt[0], n), Input.of("t", pt[1], n)),
                List.of(new Output("loss", name + " loss", new double[] {LossOracle.loss(loss, red, p, t)}, Tolerances.LOSS, new double[] {ref}),
                        new Output("grad", name + " grad", LossOracle.gradient(loss, red, p, t), Tolerances.LOSS_BACKWARD, gref)),
                b -> {
                    Tensor tp = b.of(pt[0], n);
                    Tensor tt = b.of(pt[1], n);
                    return new Result().put("loss", new float[] {b.loss(tp, tt, loss, red).item()})
                            .put("grad", b.lossBackward(tp, tt, loss, red).toArray());
                });
    }

    private static AccuracyCase crossEntropy(String name) {
        int rows = 64;
        int cols = 1000;
        float[] x = spreadLogits(rows, cols, 500);
        int[] labels = Inputs.labels(rows, cols, 501);
        Reduction red = Reduction.MEAN;
        double[] xd = widen(x);
        double expected = LossOracle.crossEntropy(xd, labels, null, rows, cols, red);
        double[] grad = LossOracle.crossEntropyGradient(xd, labels, null, rows, cols, red);
        // The kit's error scales (BackendConformanceKit.crossEntropyCase with labels).
        double k = 1.0 / rows;
        double ref = 0;
        double[] gref = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double m = ReductionOracle.max(Arrays.copyOfRange(xd, r * cols, (r + 1) * cols), 1, cols)[0];
            double lse = LossOracle.logSumExp(xd, r, cols);
            ref += Math.abs(m) + Math.abs(lse) + Math.abs(xd[r * cols + labels[r]]) + cols + 4
                    + rows * Math.abs(lse - xd[r * cols + labels[r]]);
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double tc = labels[r] == c ? 1 : 0;
                gref[i] = (Math.exp(xd[i] - lse) * (cols + 6 + Math.abs(xd[i] - m)) + tc) * k;
            }
        }
        ref *= k;
        return new AccuracyCase("cross-entropy", name, "cross_entropy", params("reduction", "mean"),
                List.of(Input.of("x", x, rows, cols), Input.ints("labels", labels, rows)),
                List.of(new Output("loss", name + " loss", new double[] {expected}, Tolerances.SOFTMAX_CROSS_ENTROPY, new double[] {ref}),
                        new Output("grad", name + " grad", grad, Tolerances.SOFTMAX_CROSS_ENTROPY_GRAD, gref)),
                b -> {
                    var lg = b.softmaxCrossEntropy(b.of(x, rows, cols), labels, red);
                    return new Result().put("loss", new float[] {lg.loss().item()}).put("grad", lg.gradient().toArray());
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Optimisers
    // ---------------------------------------------------------------------------------------------

    private static AccuracyCase sgd(String name, SgdConfig cfg) {
        int n = 8192;
        long seed = 600 + (long) (cfg.momentum() * 10) + (cfg.nesterov() ? 1 : 0) + (long) (cfg.l2() * 1000);
        float[] w = Inputs.gaussian(n, seed, 1);
        float[] g = Inputs.gaussian(n, seed + 1, 1);
        boolean momentum = cfg.momentum() != 0;
        float[] v = momentum ? Inputs.gaussian(n, seed + 2, 0.5) : null;
        double[][] r = OptimizerOracle.sgd(widen(w), widen(g), momentum ? widen(v) : null, cfg);
        List<Input> inputs = new ArrayList<>(List.of(Input.of("w", w, n), Input.of("g", g, n)));
        List<Output> outputs = new ArrayList<>(List.of(new Output("w", name + " w", r[0], Tolerances.SGD, r[2])));
        if (momentum) {
            inputs.add(Input.of("v", v, n));
            outputs.add(new Output("v", name + " velocity", r[1], Tolerances.SGD, r[3]));
        }
        Map<String, Object> p = params("lr", (double) cfg.learningRate(), "momentum", (double) cfg.momentum(),
                "nesterov", cfg.nesterov(), "weight_decay", (double) cfg.l2());
        return new AccuracyCase("sgd", name, "sgd", p, inputs, outputs, b -> {
            Tensor tw = b.of(w, n);
            Tensor tv = momentum ? b.of(v, n) : null;
            b.sgdStep(tw, b.of(g, n), tv, cfg);
            Result res = new Result().put("w", tw.toArray());
            if (momentum) {
                res.put("v", tv.toArray());
            }
            return res;
        });
    }

    private static Map<String, Object> adamParams(AdamConfig cfg, long firstStep, int steps) {
        return params("lr", (double) cfg.learningRate(), "beta1", (double) cfg.beta1(), "beta2", (double) cfg.beta2(),
                "eps", (double) cfg.epsilon(), "weight_decay", (double) cfg.weightDecay(), "decoupled", cfg.decoupled(),
                "first_step", firstStep, "steps", steps);
    }

    /**
     * Adam from m = v = 0 with the gradient 90 in every element for five steps: the reference is the
     * float64 recursion from the same start; the kit's bound is checked at every step against the
     * oracle's step from the backend's own state before it, as the kit does.
     */
    private static AccuracyCase adamConstant(String name) {
        int n = 1024;
        int steps = 5;
        AdamConfig cfg = AdamConfig.adam(1e-3f);
        float[] w0 = Inputs.gaussian(n, 700, 1);
        float[] g = new float[n];
        Arrays.fill(g, 90f);
        double[] w = widen(w0);
        double[] m = new double[n];
        double[] v = new double[n];
        for (int t = 1; t <= steps; t++) {
            double[][] r = OptimizerOracle.adam(w, widen(g), m, v, cfg, t);
            w = r[0];
            m = r[1];
            v = r[2];
        }
        return new AccuracyCase("adam", name, "adam", adamParams(cfg, 1, steps),
                List.of(Input.of("w", w0, n), Input.of("m", new float[n], n), Input.of("v", new float[n], n), Input.of("g", g, n)),
                List.of(new Output("w", name + " w", w, Tolerances.ADAM, null), new Output("m", name + " m", m, Tolerances.ADAM, null),
                        new Output("v", name + " v", v, Tolerances.ADAM, null)),
                b -> {
                    Tensor tw = b.of(w0, n);
                    Tensor tm = b.zeros(n);
                    Tensor tv = b.zeros(n);
                    Tensor tg = b.of(g, n);
                    Result res = new Result();
                    for (int t = 1; t <= steps; t++) {
                        float[] wb = tw.toArray();
                        double[][] r = OptimizerOracle.adam(widen(wb), widen(g), widen(tm.toArray()), widen(tv.toArray()), cfg, t);
                        b.adamStep(tw, tg, tm, tv, cfg, t);
                        res.kit("w", Measure.toleranceUsed(Tolerances.ADAM, r[0], tw.toArray(), r[3]));
                        res.kit("m", Measure.toleranceUsed(Tolerances.ADAM, r[1], tm.toArray(), r[4]));
                        res.kit("v", Measure.toleranceUsed(Tolerances.ADAM, r[2], tv.toArray(), r[5]));
                    }
                    return res.put("w", tw.toArray()).put("m", tm.toArray()).put("v", tv.toArray());
                });
    }

    /** One Adam step at t = 10 from random moments (m ~ N(0, 0.1²), v uniform in [0, 2)). */
    private static AccuracyCase adamRandom(String name, AdamConfig cfg) {
        int n = 8192;
        long t = 10;
        long seed = 710 + (long) (cfg.weightDecay() * 1000) + (cfg.decoupled() ? 1 : 0);
        float[] w = Inputs.gaussian(n, seed, 1);
        float[] g = Inputs.gaussian(n, seed + 1, 1);
        float[] m = Inputs.gaussian(n, seed + 2, 0.1);
        float[] v = Inputs.uniform(n, seed + 3, 0, 2);
        double[][] r = OptimizerOracle.adam(widen(w), widen(g), widen(m), widen(v), cfg, t);
        return new AccuracyCase("adam", name, "adam", adamParams(cfg, t, 1),
                List.of(Input.of("w", w, n), Input.of("m", m, n), Input.of("v", v, n), Input.of("g", g, n)),
                List.of(new Output("w", name + " w", r[0], Tolerances.ADAM, r[3]), new Output("m", name + " m", r[1], Tolerances.ADAM, r[4]),
                        new Output("v", name + " v", r[2], Tolerances.ADAM, r[5])),
                b -> {
                    Tensor tw = b.of(w, n);
                    Tensor tm = b.of(m, n);
                    Tensor tv = b.of(v, n);
                    b.adamStep(tw, b.of(g, n), tm, tv, cfg, t);
                    return new Result().put("w", tw.toArray()).put("m", tm.toArray()).put("v", tv.toArray());
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Reductions
    // ---------------------------------------------------------------------------------------------

    private static final Map<Double, float[]> REDUCTION_INPUTS = new java.util.concurrent.ConcurrentHashMap<>();

    /** 10⁶ values of N(0.5, 1) times the scale; one array per scale, shared by sum, mean and l2Norm. */
    static float[] reductionInput(double scale) {
        return REDUCTION_INPUTS.computeIfAbsent(scale, s -> {
            float[] a = Inputs.gaussian(1_000_000, 800, 1);
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((a[i] + 0.5) * s);
            }
            return a;
        });
    }

    /** Σx with Neumaier's compensation in double, and Σ|x|. */
    private static double[] accurateSum(float[] x) {
        double s = 0;
        double c = 0;
        double mag = 0;
        for (float f : x) {
            double v = f;
            double t = s + v;
            c += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
            s = t;
            mag += Math.abs(v);
        }
        return new double[] {s + c, mag};
    }

    private static AccuracyCase reduction(String name, String kind, double scale) {
        float[] x = reductionInput(scale);
        int n = x.length;
        double[] sm = accurateSum(x);
        double expected;
        double ref;
        Tolerance tol;
        switch (kind) {
            case "sum" -> {
                expected = sm[0];
                ref = (n + 1) * sm[1];
                tol = Tolerances.SUM;
            }
            case "mean" -> {
                expected = sm[0] / n;
                ref = (n + 2) * sm[1] / n;
                tol = Tolerances.MEAN;
            }
            default -> {
                expected = ReductionOracle.l2Norm(widen(x));
                ref = (n + 4) * expected;
                tol = Tolerances.L2_NORM;
            }
        }
        return new AccuracyCase(kind, name, "reduce", params("kind", kind), List.of(Input.of("x", x, n)),
                List.of(new Output("r", name, new double[] {expected}, tol, new double[] {ref})),
                b -> {
                    Tensor t = b.of(x, n);
                    Tensor r = switch (kind) {
                        case "sum" -> b.sum(t);
                        case "mean" -> b.mean(t);
                        default -> b.l2Norm(t);
                    };
                    return new Result().put("r", new float[] {r.item()});
                });
    }

    // ---------------------------------------------------------------------------------------------
    // Matmul and the dense layer
    // ---------------------------------------------------------------------------------------------

    private static AccuracyCase matmul(String name, int batch, int m, int k, int n) {
        long seed = 900 + k + batch;
        float[] a = Inputs.gaussian(batch * m * k, seed, 1);
        float[] bm = Inputs.gaussian(batch * k * n, seed + 1, 1);
        double[] mag = new double[batch * m * n];
        double[] expected = LinalgOracle.matmul(widen(a), false, widen(bm), false, null, batch, m, n, k, 1, 0, batch == 1, batch == 1, mag);
        for (int i = 0; i < mag.length; i++) {
            mag[i] *= k + 2;
        }
        long[] aDims = batch == 1 ? new long[] {m, k} : new long[] {batch, m, k};
        long[] bDims = batch == 1 ? new long[] {k, n} : new long[] {batch, k, n};
        return new AccuracyCase(batch == 1 ? "matmul" : "batched matmul", name, "matmul", params(),
                List.of(Input.of("a", a, aDims), Input.of("b", bm, bDims)),
                List.of(new Output("c", name, expected, Tolerances.MATMUL, mag)),
                b -> new Result().put("c", b.matmul(b.of(a, aDims), b.of(bm, bDims)).toArray()));
    }

    private static AccuracyCase linear(String name, int rows, int in, int out, boolean backward) {
        long seed = 1000 + in;
        float[] x = Inputs.gaussian(rows * in, seed, 1);
        float[] w = Inputs.gaussian(in * out, seed + 1, 1 / Math.sqrt(in));
        float[] bias = Inputs.gaussian(out, seed + 2, 0.5);
        List<Input> inputs = new ArrayList<>(List.of(Input.of("x", x, rows, in), Input.of("w", w, in, out), Input.of("b", bias, out)));
        if (!backward) {
            double[] mag = new double[rows * out];
            double[] z = LinalgOracle.linearPre(widen(x), widen(w), widen(bias), rows, in, out, mag);
            for (int i = 0; i < mag.length; i++) {
                mag[i] *= in + 2;
            }
            return new AccuracyCase("linear", name, "linear", params(), inputs,
                    List.of(new Output("y", name, z, Tolerances.LINEAR, mag)),
                    b -> new Result().put("y", b.linear(b.of(x, rows, in), b.of(w, in, out), b.of(bias, out), Activation.IDENTITY)
                            .output().toArray()));
        }
        float[] dy = Inputs.gaussian(rows * out, seed + 3, 1);
        inputs.add(Input.of("dy", dy, rows, out));
        double[] dz = widen(dy); // the identity activation: dz = dy exactly
        double[][] expected = LinalgOracle.linearBackward(dz, widen(x), widen(w), rows, in, out);
        double[][] magnitude = LinalgOracle.linearBackwardMagnitude(abs(dz), widen(x), widen(w), rows, in, out);
        double[] dzBound = new double[dz.length];
        for (int i = 0; i < dz.length; i++) {
            dzBound[i] = U * Math.abs(dz[i]); // the identity's own bound is 0; its rounding to float when kept
        }
        double[][] carried = LinalgOracle.linearBackwardMagnitude(dzBound, widen(x), widen(w), rows, in, out);
        int[] terms = {out, rows, rows};
        String[] names = {"dx", "dw", "db"};
        List<Output> outputs = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            double[] ref = new double[expected[k].length];
            for (int i = 0; i < ref.length; i++) {
                ref[i] = (terms[k] + 2) * magnitude[k][i] + carried[k][i] / Tolerances.LINEAR_BACKWARD.refRel();
            }
            outputs.add(new Output(names[k], name + " " + names[k], expected[k], Tolerances.LINEAR_BACKWARD, ref));
        }
        return new AccuracyCase("linear backward", name, "linear_backward", params(), inputs, outputs, b -> {
            LinearOutput fwd = b.linear(b.of(x, rows, in), b.of(w, in, out), b.of(bias, out), Activation.IDENTITY);
            LinearGradients g = b.linearBackward(b.of(dy, rows, out), fwd);
            return new Result().put("dx", g.dx().toArray()).put("dw", g.dw().toArray()).put("db", g.db().toArray());
        });
    }

    /**
     * Builds every case whose family or name contains one of the filters (case-insensitive), or
     * every case for none.
     *
     * @param filters substrings; empty for all
     * @return the cases, in table order
     */
    public static List<AccuracyCase> build(List<String> filters) {
        List<AccuracyCase> out = new ArrayList<>();
        for (Definition d : all()) {
            if (matches(d, filters)) {
                out.add(d.build().get());
            }
        }
        return out;
    }

    static boolean matches(Definition d, List<String> filters) {
        if (filters.isEmpty()) {
            return true;
        }
        String hay = (d.family() + " " + d.name()).toLowerCase(Locale.ROOT);
        for (String f : filters) {
            if (hay.contains(f.toLowerCase(Locale.ROOT).trim())) {
                return true;
            }
        }
        return false;
    }
}
