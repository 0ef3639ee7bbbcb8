package dev.kengine.bench;

import dev.kengine.Backend;
import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.DropoutOutput;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Tensor;
import dev.kengine.bench.OpDescriptor.Bound;
import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.OpDescriptor.Instance;
import dev.kengine.conformance.oracle.ActivationOracle;
import dev.kengine.conformance.oracle.Erf;
import dev.kengine.conformance.oracle.LossOracle;
import dev.kengine.conformance.oracle.OptimizerOracle;
import dev.kengine.conformance.oracle.RandomOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The catalogue: one {@link OpDescriptor} per benchmarked op. Byte counts are the compulsory
 * traffic (every input read once, every output written once, 4 bytes a float); flop counts take
 * an FMA as 2 flops.
 */
public final class Ops {
    private Ops() {}

    /** Rows of the mini-batch in the linear layers and the skinny matmul. */
    public static final int BATCH = 64;
    /** Classes per row in the softmax cross-entropy benchmark. */
    public static final int CLASSES = 1024;
    /** Dropout probability in the dropout benchmarks. */
    public static final float DROP_P = 0.5f;
    /** The name of the training-step descriptor ({@link TrainStep}). */
    public static final String TRAIN_STEP = "train_step";
    /** The family of the bfloat16 and float16 rows. */
    public static final String HALF_PRECISION = "half precision";

    /**
     * Agreement of two GEMMs that sum in different orders: with k up to 4096 random-sign products
     * the results differ by a few hundred ulps of the row's magnitude, measured here against the
     * 2⁻¹⁰·max|ref| floor (OpenBLAS against the CPU backend: about 3e-4 at k = 1024).
     */
    static final double GEMM_TOLERANCE = 2e-3;

    static final long M = 1L << 20;
    static final long[] ELEMENTWISE_QUICK = {4 * M};
    static final long[] ELEMENTWISE_FULL = {M, 16 * M};

    /** The activations benchmarked forward and backward (identity is a copy, measured as the ceiling). */
    public static final List<Activation> ACTIVATIONS = List.of(Activation.RELU, Activation.leakyRelu(),
            Activation.elu(1f), Activation.SIGMOID, Activation.TANH, Activation.SILU, Activation.SOFTPLUS,
            Activation.GELU, Activation.GELU_TANH);

    private static final List<OpDescriptor> ALL = build();

    /** Every descriptor, in report order. */
    public static List<OpDescriptor> all() {
        return ALL;
    }

    /** The descriptor of this name. */
    public static OpDescriptor byName(String name) {
        for (OpDescriptor d : ALL) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("no op descriptor '" + name + "'; known: "
                + ALL.stream().map(OpDescriptor::name).toList());
    }

    /**
     * 1e-5, except for the GELU forms: the conformance kit bounds those by 8·2⁻²⁴·|y| + 16·2⁻²⁴·|x|, absolute where
     * x/2·(1 + erf) and x/2·(1 + tanh) cancel (x < 0), as the CPU's vector kernels and the GPU kernels compute them.
     * Over x in [−4, 4] this check's floor (2⁻¹⁰ of max|y| = 4) reads that bound as 24·2⁻²⁴·4 / (2⁻¹⁰·4) = 1.5e-3;
     * the kernels measure about 1e-4.
     */
    static double forwardTolerance(Activation a) {
        return a.kind() == Activation.Kind.GELU || a.kind() == Activation.Kind.GELU_TANH ? 24 * 0x1p-24 / 0x1p-10 : 1e-5;
    }

    /** The name of an activation as used in descriptor names: relu, leaky_relu, gelu_tanh. */
    public static String activationName(Activation a) {
        return a.kind().name().toLowerCase(Locale.ROOT) .replace("swish", "silu");
    }

    private static List<OpDescriptor> build() {
        List<OpDescriptor> l = new ArrayList<>();
        l.add(new OpDescriptor("matmul", "matmul", "C = A·B, square n×n, row-major, into a preallocated C (β = 0)",
                Op.MATMUL, Bound.COMPUTE, new long[] {128, 512}, new long[] {64, 128, 256, 512, 1024, 2048},
                n -> 2.0 * n * n * n, n -> 4.0 * 3 * n * n, n -> n + "x" + n + "x" + n,
                (b, n, seed) -> new MatmulInstance(b, (int) n, (int) n, (int) n, seed),
                n -> new GemmShape((int) n, (int) n, (int) n), GEMM_TOLERANCE));
        l.add(new OpDescriptor("matmul_skinny", "matmul", "C = A·B with A " + BATCH + "×n (a mini-batch through an n×n layer)",
                Op.MATMUL, Bound.COMPUTE, new long[] {1024}, new long[] {256, 1024, 4096},
                n -> 2.0 * BATCH * n * n, n -> 4.0 * (2.0 * BATCH * n + (double) n * n),
                n -> BATCH + "x" + n + "x" + n,
                (b, n, seed) -> new MatmulInstance(b, BATCH, (int) n, (int) n, seed),
                n -> new GemmShape(BATCH, (int) n, (int) n), GEMM_TOLERANCE));
        l.add(new OpDescriptor("linear", "linear", "y = relu(x·W + b), x " + BATCH * 4 + "×n, W n×n (fused)",
                Op.LINEAR, Bound.COMPUTE, new long[] {512}, new long[] {256, 1024, 2048},
                n -> 2.0 * 4 * BATCH * n * n + 2.0 * 4 * BATCH * n,
                n -> 4.0 * (4.0 * BATCH * n + (double) n * n + n + 2.0 * 4 * BATCH * n),
                n -> 4 * BATCH + "x" + n + "x" + n,
                (b, n, seed) -> new LinearInstance(b, 4 * BATCH, (int) n, (int) n, seed, false), null, GEMM_TOLERANCE));
        l.add(new OpDescriptor("linear_backward", "linear", "dx, dW, db of y = relu(x·W + b), x " + BATCH * 4 + "×n, W n×n",
                Op.LINEAR_BACKWARD, Bound.COMPUTE, new long[] {512}, new long[] {256, 1024, 2048},
                n -> 4.0 * 4 * BATCH * n * n + 3.0 * 4 * BATCH * n,
                n -> 4.0 * (4 * 4.0 * BATCH * n + 2.0 * n * n + n),
                n -> 4 * BATCH + "x" + n + "x" + n,
                (b, n, seed) -> new LinearInstance(b, 4 * BATCH, (int) n, (int) n, seed, true), null, GEMM_TOLERANCE));
        for (Activation a : ACTIVATIONS) {
            String an = activationName(a);
            l.add(new OpDescriptor("act_" + an, "activation", an + " forward, y = f(x) into a preallocated y",
                    Op.ACTIVATION, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                    n -> (double) n, n -> 8.0 * n, OpDescriptor::elements,
                    (b, n, seed) -> new ActivationInstance(b, a, (int) n, seed, false), null, forwardTolerance(a)));
            l.add(new OpDescriptor("act_" + an + "_backward", "activation",
                    an + " backward, dx = f'(x)·dy given x and y, into a preallocated dx",
                    Op.ACTIVATION_BACKWARD, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                    n -> (double) n, n -> 12.0 * n, OpDescriptor::elements,
                    // 1e-4: the derivative crosses zero (SiLU, GELU) where a few ulps of cancellation are large relative errors.
                    (b, n, seed) -> new ActivationInstance(b, a, (int) n, seed, true), null, 1e-4));
        }
        // Half precision: the same ops on bfloat16 and float16 tensors, beside their float32 rows (compute in float32,
        // one rounding on store; tolerance two units of the half type's last place).
        for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
            String hn = h == DType.BFLOAT16 ? "bf16" : "fp16";
            double tol = h == DType.BFLOAT16 ? 0x1p-7 : 0x1p-10;
            for (Activation a : List.of(Activation.RELU, Activation.SIGMOID, Activation.GELU)) {
                String an = activationName(a);
                l.add(new OpDescriptor("act_" + an + "_" + hn, HALF_PRECISION, an + " forward in " + h + ", into a preallocated y",
                        Op.ACTIVATION, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                        n -> (double) n, n -> 4.0 * n, OpDescriptor::elements,
                        (b, n, seed) -> new ActivationInstance(b, a, (int) n, seed, false, h), null, tol));
                l.add(new OpDescriptor("act_" + an + "_backward_" + hn, HALF_PRECISION,
                        an + " backward in " + h + ", dx = f'(x)·dy given x and y, into a preallocated dx",
                        // dy and one of x or y read, dx written: three arrays, as the float32 row's 12 bytes.
                        Op.ACTIVATION_BACKWARD, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                        n -> (double) n, n -> 6.0 * n, OpDescriptor::elements,
                        (b, n, seed) -> new ActivationInstance(b, a, (int) n, seed, true, h), null, 2 * tol));
            }
            l.add(new OpDescriptor("matmul_" + hn, HALF_PRECISION, "C = A·B in " + h + " (float32 accumulation), square n×n",
                    Op.MATMUL, Bound.COMPUTE, new long[] {512}, new long[] {512, 1024, 2048},
                    n -> 2.0 * n * n * n, n -> 2.0 * 3 * n * n, n -> n + "x" + n + "x" + n,
                    (b, n, seed) -> new MatmulInstance(b, (int) n, (int) n, (int) n, seed, h), null, tol));
        }
        l.add(new OpDescriptor("softmax_cross_entropy", "loss",
                "mean softmax cross-entropy with integer labels and its gradient, logits [n/" + CLASSES + ", " + CLASSES + "]",
                Op.SOFTMAX_CROSS_ENTROPY, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                n -> 4.0 * n, n -> 8.0 * n + 4.0 * (n / CLASSES), n -> n / CLASSES + "x" + CLASSES,
                (b, n, seed) -> new CrossEntropyInstance(b, (int) n, seed), null, 1e-5));
        l.add(new OpDescriptor("dropout", "dropout", "inverted dropout p = " + DROP_P + ": y and the mask",
                Op.DROPOUT, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                n -> (double) n, n -> 12.0 * n, OpDescriptor::elements,
                (b, n, seed) -> new DropoutInstance(b, (int) n, seed, false), null, 0));
        l.add(new OpDescriptor("dropout_backward", "dropout", "dx = dy·mask/(1 − p)",
                Op.DROPOUT_BACKWARD, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                n -> (double) n, n -> 12.0 * n, OpDescriptor::elements,
                (b, n, seed) -> new DropoutInstance(b, (int) n, seed, true), null, 1e-6));
        // Dropout in half precision, after its float32 rows so that each half row can be timed in alternation with
        // them: x and y in the half type, the mask in UINT8.
        for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
            String hn = h == DType.BFLOAT16 ? "bf16" : "fp16";
            double tol = h == DType.BFLOAT16 ? 0x1p-7 : 0x1p-10;
            l.add(new OpDescriptor("dropout_" + hn, HALF_PRECISION, "inverted dropout p = " + DROP_P + " in " + h
                    + ": y and a UINT8 mask", Op.DROPOUT, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                    n -> (double) n, n -> 5.0 * n, OpDescriptor::elements,
                    (b, n, seed) -> new DropoutInstance(b, (int) n, seed, false, h), null, tol));
            l.add(new OpDescriptor("dropout_backward_" + hn, HALF_PRECISION, "dx = dy·mask/(1 − p) in " + h
                    + ", the mask UINT8", Op.DROPOUT_BACKWARD, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                    n -> (double) n, n -> 5.0 * n, OpDescriptor::elements,
                    (b, n, seed) -> new DropoutInstance(b, (int) n, seed, true, h), null, tol));
        }
        l.add(new OpDescriptor("sgd_momentum", "optimiser", "SGD step with momentum 0.9, in place on w and v",
                Op.SGD_STEP, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                n -> 4.0 * n, n -> 20.0 * n, OpDescriptor::elements,
                (b, n, seed) -> new OptimiserInstance(b, (int) n, seed, false), null, 1e-5));
        l.add(new OpDescriptor("adam", "optimiser", "Adam step, in place on w, m and v",
                Op.ADAM_STEP, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                n -> 12.0 * n, n -> 28.0 * n, OpDescriptor::elements,
                (b, n, seed) -> new OptimiserInstance(b, (int) n, seed, true), null, 1e-5));
        // Mixed-precision Adam after its float32 row, so that each half row is timed in alternation with it.
        for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
            String hn = h == DType.BFLOAT16 ? "bf16" : "fp16";
            l.add(new OpDescriptor("adam_" + hn, HALF_PRECISION, "Adam step from a " + h + " gradient on float32 master "
                    + "weights and state, writing their " + h + " copy (mixed-precision training's step)",
                    Op.ADAM_STEP, Bound.MEMORY, ELEMENTWISE_QUICK, ELEMENTWISE_FULL,
                    n -> 12.0 * n, n -> 28.0 * n, OpDescriptor::elements,
                    (b, n, seed) -> new OptimiserInstance(b, (int) n, seed, true, h), null, 1e-5));
        }
        l.add(new OpDescriptor(TRAIN_STEP, "step", "one training step of the MLP " + TrainStep.shape()
                + " (ReLU, mean softmax cross-entropy, Adam); the checked result is the first " + TrainStep.LOSS_STEPS + " losses",
                Op.LINEAR_BACKWARD, Bound.COMPUTE, new long[] {TrainStep.BATCH}, new long[] {TrainStep.BATCH},
                n -> TrainStep.flops(), n -> TrainStep.bytes(), n -> TrainStep.shape(),
                (b, n, seed) -> new TrainStep.StepInstance(b, seed), null, TrainStep.LOSS_TOLERANCE));
        return List.copyOf(l);
    }

    // ----------------------------------------------------------------------------------------
    // Inputs
    // ----------------------------------------------------------------------------------------

    /** Deterministic uniform floats in [lo, hi): the same on every backend and in every run. */
    public static float[] uniform(int n, long seed, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        float w = hi - lo;
        for (int i = 0; i < n; i++) {
            a[i] = lo + w * (float) r.nextDouble();
        }
        return a;
    }

    /** The logits [n / CLASSES, CLASSES] of the softmax cross-entropy descriptor at {@code n} elements (peers get the same). */
    public static float[] crossEntropyLogits(long n, long seed) {
        return uniform((int) (n / CLASSES) * CLASSES, seed, -8, 8);
    }

    /** The integer labels of the softmax cross-entropy descriptor at {@code n} elements. */
    public static int[] crossEntropyLabels(long n, long seed) {
        int rows = (int) (n / CLASSES);
        int[] labels = new int[rows];
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int i = 0; i < rows; i++) {
            labels[i] = r.nextInt(CLASSES);
        }
        return labels;
    }

    /** The x of the activation descriptors at {@code n} elements, uniform in [−4, 4) (peers get the same). */
    public static float[] activationInput(long n, long seed) {
        return uniform((int) n, seed, -4, 4);
    }

    /** The A [m, k] and B [k, n] of a GEMM-like descriptor, as its instances upload them (anchors get the same). */
    public static float[][] gemmInputs(GemmShape s, long seed) {
        return new float[][] {uniform(s.m() * s.k(), seed, -1, 1), uniform(s.k() * s.n(), seed + 1, -1, 1)};
    }

    /** {@code x} rounded to {@code dtype} and back (itself for float32), by the engine's conversion rules. */
    static float[] rounded(float[] x, DType dtype) {
        if (dtype == DType.FLOAT32) {
            return x;
        }
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = Conversions.toFloat(dtype, Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits(x[i]), dtype));
        }
        return r;
    }

    static void closeAll(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // best effort: a failed close must not hide the measurement
                }
            }
        }
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    // ----------------------------------------------------------------------------------------
    // Instances
    // ----------------------------------------------------------------------------------------

    /** C = A·B for row-major A [m, k] and B [k, n]. */
    static final class MatmulInstance implements Instance {
        final Backend backend;
        final int m;
        final int n;
        final int k;
        final float[] a;
        final float[] b;
        final Tensor ta;
        final Tensor tb;
        final Tensor tc;

        MatmulInstance(Backend backend, int m, int n, int k, long seed) {
            this(backend, m, n, k, seed, DType.FLOAT32);
        }

        /** Operands and result in {@code dtype}; the oracle takes the operands as rounded to it. */
        MatmulInstance(Backend backend, int m, int n, int k, long seed, DType dtype) {
            this.backend = backend;
            this.m = m;
            this.n = n;
            this.k = k;
            float[][] ab = gemmInputs(new GemmShape(m, n, k), seed);
            a = rounded(ab[0], dtype);
            b = rounded(ab[1], dtype);
            ta = backend.of(a, dtype, m, k);
            tb = backend.of(b, dtype, k, n);
            tc = backend.zeros(dtype, m, n);
        }

        @Override
        public void run() {
            backend.matmul(ta, false, tb, false, tc, 1f, 0f);
        }

        @Override
        public float[] result() {
            return tc.toArray();
        }

        @Override
        public double[] oracle(int[] indices) {
            double[] r = new double[indices.length];
            for (int t = 0; t < indices.length; t++) {
                int i = indices[t] / n;
                int j = indices[t] % n;
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * b[p * n + j];
                }
                r[t] = s;
            }
            return r;
        }

        @Override
        public void close() {
            closeAll(ta, tb, tc);
        }
    }

    /** The fused dense layer with ReLU, forward or backward. */
    static final class LinearInstance implements Instance {
        private static final java.util.Map<String, float[]> Z_CACHE = new java.util.HashMap<>();
        final Backend backend;
        final boolean backward;
        final int rows;
        final int in;
        final int out;
        final float[] x;
        final float[] w;
        final float[] bias;
        final Tensor tx;
        final Tensor tw;
        final Tensor tb;
        final Tensor tdy;
        /** dy and the saved pre-activation z, on the host, for the backward oracle; null forward. */
        final float[] dy;
        final float[] z;
        LinearOutput forward;
        LinearGradients grads;

        LinearInstance(Backend backend, int rows, int in, int out, long seed, boolean backward) {
            this.backend = backend;
            this.backward = backward;
            this.rows = rows;
            this.in = in;
            this.out = out;
            x = uniform(rows * in, seed, -1, 1);
            w = uniform(in * out, seed + 1, -1, 1);
            bias = uniform(out, seed + 2, -1, 1);
            tx = backend.of(x, rows, in);
            tw = backend.of(w, in, out);
            tb = backend.of(bias, out);
            dy = backward ? uniform(rows * out, seed + 3, -1, 1) : null;
            tdy = backward ? backend.of(dy, rows, out) : null;
            z = backward ? preActivation(x, w, bias, rows, in, out, seed) : null;
            if (backward) {
                // Every backend gets the same saved forward pass (z rounded from float64 on the host), so the check
                // compares backward kernels only. From each backend's own forward, a pre-activation within rounding of
                // 0 can fall on either side of ReLU's kink: that row of the mask flips, and dW and db differ by O(1)
                // there (the report showed relative errors of 4 to 15 at n = 2048 that no kernel caused).
                float[] y = new float[z.length];
                for (int i = 0; i < z.length; i++) {
                    y[i] = Math.max(z[i], 0f);
                }
                forward = new LinearOutput(backend.of(y, rows, out), backend.of(z, rows, out), tx, tw, tb, Activation.RELU);
            }
        }

        /** z = x·W + b in float64, rounded to float; cached (one size is built once per backend). */
        private static float[] preActivation(float[] x, float[] w, float[] bias, int rows, int in, int out, long seed) {
            String key = rows + "x" + in + "x" + out + "@" + seed;
            synchronized (Z_CACHE) {
                float[] cached = Z_CACHE.get(key);
                if (cached != null) {
                    return cached;
                }
            }
            float[] z = new float[rows * out];
            double[] acc = new double[out];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < out; j++) {
                    acc[j] = bias[j];
                }
                for (int p = 0; p < in; p++) {
                    double xv = x[i * in + p];
                    int wo = p * out;
                    for (int j = 0; j < out; j++) {
                        acc[j] += xv * w[wo + j];
                    }
                }
                for (int j = 0; j < out; j++) {
                    z[i * out + j] = (float) acc[j];
                }
            }
            synchronized (Z_CACHE) {
                Z_CACHE.clear(); // one size at a time: the rows of a size run together
                Z_CACHE.put(key, z);
            }
            return z;
        }

        @Override
        public void run() {
            if (backward) {
                LinearGradients old = grads;
                grads = backend.linearBackward(tdy, forward);
                closeAll(old);
            } else {
                LinearOutput old = forward;
                forward = backend.linear(tx, tw, tb, Activation.RELU);
                closeAll(old);
            }
        }

        @Override
        public float[] result() {
            if (backward) {
                return concat(grads.dx().toArray(), grads.dw().toArray(), grads.db().toArray());
            }
            return forward.output().toArray();
        }

        /**
         * Forward: relu(x·W + b) in float64. Backward: dx = dz·Wᵀ, dW = xᵀ·dz and db = Σ dz over rows, in float64, where
         * dz = dy where the saved z is positive and 0 elsewhere (the ReLU mask every backend gets); the result is
         * dx, dW and db concatenated, as {@link #result()} returns them.
         */
        @Override
        public double[] oracle(int[] indices) {
            double[] r = new double[indices.length];
            if (backward) {
                int dxEnd = rows * in;
                int dwEnd = dxEnd + in * out;
                for (int t = 0; t < indices.length; t++) {
                    int f = indices[t];
                    double s = 0;
                    if (f < dxEnd) { // dx[i, p] = Σ_j dz[i, j]·W[p, j]
                        int i = f / in;
                        int p = f % in;
                        for (int j = 0; j < out; j++) {
                            s += dz(i, j) * w[p * out + j];
                        }
                    } else if (f < dwEnd) { // dW[p, j] = Σ_i x[i, p]·dz[i, j]
                        int p = (f - dxEnd) / out;
                        int j = (f - dxEnd) % out;
                        for (int i = 0; i < rows; i++) {
                            s += (double) x[i * in + p] * dz(i, j);
                        }
                    } else { // db[j] = Σ_i dz[i, j]
                        int j = f - dwEnd;
                        for (int i = 0; i < rows; i++) {
                            s += dz(i, j);
                        }
                    }
                    r[t] = s;
                }
                return r;
            }
            for (int t = 0; t < indices.length; t++) {
                int i = indices[t] / out;
                int j = indices[t] % out;
                double s = bias[j];
                for (int p = 0; p < in; p++) {
                    s += (double) x[i * in + p] * w[p * out + j];
                }
                r[t] = Math.max(s, 0);
            }
            return r;
        }

        private double dz(int i, int j) {
            return z[i * out + j] > 0 ? dy[i * out + j] : 0.0;
        }

        @Override
        public void close() {
            closeAll(grads, forward, tx, tw, tb, tdy);
        }
    }

    /** An activation forward (into a preallocated y) or backward (into a preallocated dx). */
    static final class ActivationInstance implements Instance {
        final Backend backend;
        final Activation act;
        final boolean backward;
        final float[] x;
        final Tensor tx;
        final Tensor ty;
        final Tensor tdy;
        final Tensor tdx;
        /** dy and the saved y on the host, for the backward oracle (y null for GELU, whose backward reads x only). */
        final float[] dy;
        final float[] y;

        ActivationInstance(Backend backend, Activation act, int n, long seed, boolean backward) {
            this(backend, act, n, seed, backward, DType.FLOAT32);
        }

        /** In {@code dtype}: inputs rounded to it on the host, so the oracle sees the values the tensors hold. */
        ActivationInstance(Backend backend, Activation act, int n, long seed, boolean backward, DType dtype) {
            this.backend = backend;
            this.act = act;
            this.backward = backward;
            x = rounded(activationInput(n, seed), dtype);
            tx = backend.of(x, dtype);
            y = backward && act.kind() != Activation.Kind.GELU ? rounded(forward64(act, x), dtype) : null;
            ty = y != null ? backend.of(y, dtype) : backend.empty(dtype, n);
            if (backward && act.kind() == Activation.Kind.GELU) {
                // GELU's backward reads x, not y, and the kit's float64 erfc over 16M elements would take seconds.
                backend.activation(tx, act, ty);
            }
            // Otherwise the backward row gives every backend the same saved output y (rounded from float64): from each
            // backend's own forward, y differs in its last bits, and 1 − y² (tanh) or y(1 − y) (sigmoid) turn those
            // bits into relative errors beyond the row's tolerance where the derivative is small.
            dy = backward ? rounded(uniform(n, seed + 1, -1, 1), dtype) : null;
            tdy = backward ? backend.of(dy, dtype) : null;
            tdx = backward ? backend.empty(dtype, n) : null;
        }

        @Override
        public void run() {
            if (backward) {
                backend.activationBackward(tdy, tx, ty, act, tdx);
            } else {
                backend.activation(tx, act, ty);
            }
        }

        @Override
        public float[] result() {
            return backward ? tdx.toArray() : ty.toArray();
        }

        /**
         * Forward: f(x) in float64. Backward: the conformance kit's float64 dx from dy, x and the saved y (sigmoid and
         * tanh from y, as the contract specifies, the others from x).
         */
        @Override
        public double[] oracle(int[] indices) {
            double[] r = new double[indices.length];
            for (int t = 0; t < indices.length; t++) {
                int i = indices[t];
                r[t] = backward ? ActivationOracle.backward(act, dy[i], x[i], y == null ? value64(act, x[i]) : y[i])
                        : value64(act, x[i]);
            }
            return r;
        }

        /** The activation in float64 (GELU through the conformance kit's erfc, which the JDK lacks). */
        static double value64(Activation act, double v) {
            double p = act.parameter();
            return switch (act.kind()) {
                case IDENTITY -> v;
                case RELU -> Math.max(v, 0);
                case LEAKY_RELU -> v > 0 ? v : p * v;
                case ELU -> v > 0 ? v : p * Math.expm1(v);
                case SIGMOID -> 1 / (1 + Math.exp(-v));
                case TANH -> Math.tanh(v);
                case SWISH -> v / (1 + Math.exp(-p * v));
                case SOFTPLUS -> Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
                case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                case GELU -> 0.5 * v * Erf.erfc(-v / Math.sqrt(2));
            };
        }

        /** y = act(x) rounded from float64. */
        static float[] forward64(Activation act, float[] x) {
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = (float) value64(act, x[i]);
            }
            return y;
        }

        @Override
        public void close() {
            closeAll(tx, ty, tdy, tdx);
        }
    }

    /** Softmax cross-entropy with integer labels: the loss and the gradient. */
    static final class CrossEntropyInstance implements Instance {
        final Backend backend;
        final Tensor logits;
        final int[] labels;
        final Tensor loss;
        final Tensor gradient;
        final float[] host;
        final int rows;

        CrossEntropyInstance(Backend backend, int n, long seed) {
            this.backend = backend;
            rows = n / CLASSES;
            host = crossEntropyLogits(n, seed);
            logits = backend.of(host, rows, CLASSES);
            labels = crossEntropyLabels(n, seed);
            loss = backend.scalar(0f);
            gradient = backend.empty(logits.shape());
        }

        /** The timed call writes into a loss and gradient allocated once, as a training loop would. */
        @Override
        public void run() {
            backend.softmaxCrossEntropy(logits, labels, Reduction.MEAN, loss, gradient);
        }

        @Override
        public float[] result() {
            return concat(new float[] {loss.item()}, gradient.toArray());
        }

        /**
         * The conformance kit's float64 softmax cross-entropy: index 0 the mean loss, then the gradient,
         * (softmax(x) − onehot)/rows, as {@link #result()} concatenates them.
         */
        @Override
        public double[] oracle(int[] indices) {
            double[] x = new double[host.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = host[i];
            }
            double[] lse = new double[rows];
            for (int i = 0; i < rows; i++) {
                lse[i] = LossOracle.logSumExp(x, i, CLASSES);
            }
            double[] r = new double[indices.length];
            for (int t = 0; t < indices.length; t++) {
                if (indices[t] == 0) {
                    r[t] = LossOracle.crossEntropy(x, labels, null, rows, CLASSES, Reduction.MEAN);
                } else {
                    int f = indices[t] - 1;
                    int i = f / CLASSES;
                    int c = f % CLASSES;
                    r[t] = (Math.exp(x[f] - lse[i]) - (labels[i] == c ? 1.0 : 0.0)) / rows;
                }
            }
            return r;
        }

        @Override
        public void close() {
            closeAll(loss, gradient, logits);
        }
    }

    /** Dropout forward (y and mask) or backward (dx from dy and a mask). */
    static final class DropoutInstance implements Instance {
        final Backend backend;
        final boolean backward;
        final Tensor x;
        final Tensor mask;
        final Tensor out;
        final float[] host;
        final long maskSeed;

        /** The forward row's generator key (the backward row's mask comes from the instance's seed). */
        static final long FORWARD_SEED = 42;

        DropoutInstance(Backend backend, int n, long seed, boolean backward) {
            this(backend, n, seed, backward, DType.FLOAT32);
        }

        /**
         * In {@code dtype}: x (dy) and y (dx) in it, rounded on the host first so that the oracle sees what the tensors
         * hold; the mask a UINT8 tensor in half precision (a byte an element, as mixed-precision training keeps it), a
         * FLOAT32 one in float32.
         */
        DropoutInstance(Backend backend, int n, long seed, boolean backward, DType dtype) {
            this.backend = backend;
            this.backward = backward;
            host = rounded(uniform(n, seed, -1, 1), dtype);
            maskSeed = backward ? seed : FORWARD_SEED;
            x = backend.of(host, dtype);
            mask = backend.empty(dtype == DType.FLOAT32 ? DType.FLOAT32 : DType.UINT8, n);
            out = backend.empty(dtype, n);
            if (backward) {
                backend.dropout(x, DROP_P, seed, 0, out, mask);
            }
        }

        /** Like the activations, the timed call writes into tensors allocated once. */
        @Override
        public void run() {
            if (backward) {
                backend.dropoutBackward(x, mask, DROP_P, out);
            } else {
                backend.dropout(x, DROP_P, FORWARD_SEED, 0, out, mask);
            }
        }

        @Override
        public float[] result() {
            return backward ? out.toArray() : concat(out.toArray(), mask.toArray());
        }

        /**
         * The conformance kit's Philox mask (kept where u ≥ p) and scale (float)(1/(1 − p)): forward, y = x·scale where
         * kept and 0 elsewhere, then the mask as 1 and 0; backward (x as dy, the mask of the instance's seed),
         * dx = dy·scale where kept and 0 elsewhere.
         */
        @Override
        public double[] oracle(int[] indices) {
            int n = host.length;
            float scale = RandomOracle.dropoutScale(DROP_P);
            double[] r = new double[indices.length];
            for (int t = 0; t < indices.length; t++) {
                int f = indices[t];
                int i = f % n;
                boolean kept = RandomOracle.kept(maskSeed, 0, i, DROP_P);
                r[t] = f >= n ? (kept ? 1.0 : 0.0) : kept ? host[i] * scale : host[i] * 0.0f;
            }
            return r;
        }

        @Override
        public void close() {
            closeAll(out, x, mask);
        }
    }

    /** One optimiser step in place: SGD with momentum, or Adam. */
    static final class OptimiserInstance implements Instance {
        final Backend backend;
        final boolean adam;
        final Tensor w;
        final Tensor g;
        final Tensor m;
        final Tensor v;
        final SgdConfig sgd = SgdConfig.of(0.01f).withMomentum(0.9f, false);
        final AdamConfig adamConfig = AdamConfig.adam(1e-3f);
        final float[] w0;
        final float[] g0;
        long step;

        /** The half-precision copy of w a mixed-precision step writes, or null for a float32 step. */
        final Tensor copy;

        OptimiserInstance(Backend backend, int n, long seed, boolean adam) {
            this(backend, n, seed, adam, DType.FLOAT32);
        }

        /** With {@code dtype} half: the gradient stored in it, and w's copy in it written by the same step. */
        OptimiserInstance(Backend backend, int n, long seed, boolean adam, DType dtype) {
            this.backend = backend;
            this.adam = adam;
            w0 = uniform(n, seed, -1, 1);
            g0 = rounded(uniform(n, seed + 1, -1, 1), dtype);
            w = backend.of(w0);
            g = backend.of(g0, dtype);
            m = backend.zeros(n);
            v = adam ? backend.zeros(n) : null;
            copy = dtype == DType.FLOAT32 ? null : backend.zeros(dtype, n);
        }

        @Override
        public void run() {
            step++;
            if (adam && copy != null) {
                backend.adamStep(w, g, m, v, adamConfig, step, copy);
            } else if (adam) {
                backend.adamStep(w, g, m, v, adamConfig, step);
            } else {
                backend.sgdStep(w, g, m, sgd);
            }
        }

        @Override
        public float[] result() {
            return adam ? concat(w.toArray(), m.toArray(), v.toArray()) : concat(w.toArray(), m.toArray());
        }

        /**
         * The conformance kit's float64 step from the initial w and g with zero moments, as after the first run (the
         * check reads the result of exactly one run): w and the velocity for SGD, w, m and v for Adam.
         */
        @Override
        public double[] oracle(int[] indices) {
            if (step != 1) {
                return null; // the oracle is of the first step only
            }
            int n = w0.length;
            double[] r = new double[indices.length];
            for (int t = 0; t < indices.length; t++) {
                int part = indices[t] / n;
                int i = indices[t] % n;
                double[] wi = {w0[i]};
                double[] gi = {g0[i]};
                double[][] next = adam ? OptimizerOracle.adam(wi, gi, new double[1], new double[1], adamConfig, 1)
                        : OptimizerOracle.sgd(wi, gi, new double[1], sgd);
                r[t] = next[part][0];
            }
            return r;
        }

        @Override
        public void close() {
            closeAll(w, g, m, v, copy);
        }
    }
}
