package dev.kengine.cpu;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;

/**
 * The kernels of a backend opened with {@code simd} unset: each call runs the vector kernel once {@link Warmup}
 * has seen it compiled for that call's key, and the scalar kernel until then (the first call of a key also
 * submits the probe that decides it). The choice is made per call on the thread that calls, before any element is
 * touched, so one call never mixes the two versions.
 */
final class TieredElementwise implements Elementwise {
    // Methods, in the order of Elementwise.
    private static final int WIDEN = 0;
    private static final int NARROW = 1;
    static final int ACTIVATION = 2;
    private static final int BIAS_ACTIVATION = 3;
    private static final int ACTIVATION_BACKWARD = 4;
    private static final int BINARY = 5;
    private static final int SCALE = 6;
    private static final int AXPY = 7;
    private static final int MAX = 8;
    private static final int EXP_SUM = 9;
    private static final int SOFTMAX_CE_ROWS = 10;
    private static final int EXP_SCALED = 11;
    private static final int SUBTRACT_TWICE = 12;
    private static final int DOT = 13;
    private static final int SOFTMAX_GRADIENT = 14;
    private static final int LOSS = 15;
    private static final int SGD = 16;
    private static final int ADAM = 17;
    private static final int DROPOUT = 18;
    private static final int DROPOUT_BACKWARD = 19;
    private static final int INIT_UNIFORM = 20;
    private static final int INIT_NORMAL = 21;
    /** Matmul's key method (see {@link CpuDriver}). */
    static final int MATMUL = 22;

    /** The most elements a probe works on: enough for the vector loops' steady state, small enough for L1. */
    static final int PROBE_ELEMENTS = 4096;

    private final Elementwise vector;
    private final Elementwise scalar;

    TieredElementwise(Elementwise vector, Elementwise scalar) {
        this.vector = vector;
        this.scalar = scalar;
    }

    @Override
    public String description() {
        return vector.description() + ", each kernel once compiled (scalar until then)";
    }

    @Override
    public int lanes() {
        return vector.lanes();
    }

    /** The kernels to run for this key and n elements: the vector ones once {@link Warmup} has decided so. */
    private Elementwise pick(int key, long n) {
        if (Warmup.vector(key)) {
            return vector;
        }
        Warmup.waited(key, n);
        return scalar;
    }

    /** Whether this is the key's first call, which must {@link #submit} its probe. */
    private static boolean first(int key) {
        return Warmup.state(key) == Warmup.COLD && Warmup.claim(key);
    }

    /**
     * Hands the key's probe, built from both versions of the kernel, to the warm-up thread: calls over {@code size}
     * elements, over a few vectors and a tail, and over less than one vector (only the vector kernel's set-up and
     * scalar tail run: the cheap calls that raise the JIT's counters).
     */
    private void submit(int key, String name, int size, ProbeFactory probe) {
        int lanes = vector.lanes();
        int small = Math.min(size, 2 * lanes + 1);
        int empty = Math.min(size, lanes - 1);
        Warmup.submit(new Warmup.Probe(key, name, probe.call(vector, size), probe.call(scalar, size),
                probe.call(vector, small), probe.call(scalar, small), probe.call(vector, empty)));
    }

    /** As {@link #submit(int, String, int, ProbeFactory)} for kernels whose smallest vector call is {@code block}. */
    private void submitBlocks(int key, String name, int size, int block, ProbeFactory probe) {
        int small = Math.min(size, 2 * block);
        Warmup.submit(new Warmup.Probe(key, name, probe.call(vector, size), probe.call(scalar, size),
                probe.call(vector, small), probe.call(scalar, small), null));
    }

    /** Builds one call of a kernel over the first n elements of the probe's own arrays (shared by both versions). */
    private interface ProbeFactory {
        Runnable call(Elementwise kernels, int n);
    }

    /** The probe's element count for a call of n elements. */
    static int probeSize(long n) {
        return (int) Math.max(1, Math.min(n, PROBE_ELEMENTS));
    }

    /** Values spread over [lo, hi), the same for every probe. */
    static float[] values(int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * ((i * 37 % 101) / 101f);
        }
        return a;
    }

    // ---- the kernels ------------------------------------------------------------------------------

    @Override
    public void widen(boolean bf16, short[] src, int sOff, float[] dst, int dOff, int n) {
        int key = Warmup.key(WIDEN, bf16 ? 1 : 0, n);
        if (first(key)) {
            submit(key, "widen", probeSize(n), widenProbe(bf16, probeSize(n)));
        }
        pick(key, n).widen(bf16, src, sOff, dst, dOff, n);
    }

    private static ProbeFactory widenProbe(boolean bf16, int n) {
        short[] src = new short[n];
        for (int i = 0; i < n; i++) {
            src[i] = (short) (i * 2654435761L >>> 20);
        }
        float[] dst = new float[n];
        return (k, c) -> () -> k.widen(bf16, src, 0, dst, 0, c);
    }

    @Override
    public void narrow(boolean bf16, float[] src, int sOff, short[] dst, int dOff, int n) {
        int key = Warmup.key(NARROW, bf16 ? 1 : 0, n);
        if (first(key)) {
            int m = probeSize(n);
            float[] ps = values(m, -100f, 100f);
            short[] pd = new short[m];
            submit(key, "narrow", m, (k, c) -> () -> k.narrow(bf16, ps, 0, pd, 0, c));
        }
        pick(key, n).narrow(bf16, src, sOff, dst, dOff, n);
    }

    @Override
    public void activation(Activation.Kind kind, float parameter, float[] x, int xOff, float[] y, int yOff, int n) {
        int key = Warmup.key(ACTIVATION, kind.ordinal(), n);
        if (first(key)) {
            int m = probeSize(n);
            float[] px = values(m, -6f, 6f);
            float[] py = new float[m];
            submit(key, "activation " + kind, m, (k, c) -> () -> k.activation(kind, parameter, px, 0, py, 0, c));
        }
        pick(key, n).activation(kind, parameter, x, xOff, y, yOff, n);
    }

    @Override
    public void biasActivation(Activation.Kind kind, float parameter, float[] z, int zOff, float[] bias, float[] y,
                               int yOff, int n) {
        int key = Warmup.key(BIAS_ACTIVATION, kind.ordinal() * 2 + (bias == null ? 0 : 1), n);
        if (first(key)) {
            submit(key, "bias and activation " + kind, probeSize(n), biasActivationProbe(kind, parameter, bias != null, probeSize(n)));
        }
        pick(key, n).biasActivation(kind, parameter, z, zOff, bias, y, yOff, n);
    }

    private static ProbeFactory biasActivationProbe(Activation.Kind kind, float parameter, boolean withBias, int n) {
        float[] z0 = values(n, -6f, 6f);
        float[] z = z0.clone();
        float[] bias = withBias ? values(n, -0.5f, 0.5f) : null;
        float[] y = new float[n];
        // The kernel adds the bias into z: each call starts again from the same z.
        return (k, c) -> () -> {
            System.arraycopy(z0, 0, z, 0, c);
            k.biasActivation(kind, parameter, z, 0, bias, y, 0, c);
        };
    }

    @Override
    public void activationBackward(Activation.Kind kind, float parameter, float[] dy, float[] x, float[] y, float[] dx,
                                   int from, int to) {
        int key = Warmup.key(ACTIVATION_BACKWARD, kind.ordinal(), to - from);
        if (first(key)) {
            int m = probeSize(to - from);
            float[] px = values(m, -6f, 6f);
            float[] py = new float[m];
            ScalarElementwise.INSTANCE.activation(kind, parameter, px, 0, py, 0, m);
            float[] pdy = values(m, -1f, 1f);
            float[] pdx = new float[m];
            submit(key, "activation backward " + kind, m, (k, c) -> () -> k.activationBackward(kind, parameter, pdy, px, py, pdx, 0, c));
        }
        pick(key, to - from).activationBackward(kind, parameter, dy, x, y, dx, from, to);
    }

    @Override
    public void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int key = Warmup.key(BINARY, op.ordinal(), n);
        if (first(key)) {
            int m = probeSize(n);
            float[] pa = values(m, -4f, 4f);
            float[] pb = values(m, 0.5f, 4f);
            float[] po = new float[m];
            submit(key, "binary " + op, m, (k, c) -> () -> k.binary(op, pa, 0, pb, 0, po, 0, c));
        }
        pick(key, n).binary(op, a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int key = Warmup.key(SCALE, 0, n);
        if (first(key)) {
            submit(key, "scale", probeSize(n), unaryProbe(probeSize(n), (k, x1, y1, m) -> k.scale(0.5f, x1, 0, y1, 0, m)));
        }
        pick(key, n).scale(s, x, xOff, out, outOff, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int key = Warmup.key(AXPY, 0, n);
        if (first(key)) {
            submit(key, "axpy", probeSize(n), unaryProbe(probeSize(n), (k, x1, y1, m) -> k.axpy(1e-3f, x1, 0, y1, 0, m)));
        }
        pick(key, n).axpy(alpha, x, xOff, y, yOff, n);
    }

    private interface Unary {
        void run(Elementwise k, float[] x, float[] y, int n);
    }

    private static ProbeFactory unaryProbe(int n, Unary op) {
        float[] x = values(n, -4f, 4f);
        float[] y = new float[n];
        return (k, c) -> () -> op.run(k, x, y, c);
    }

    @Override
    public float max(float[] x, int off, int n) {
        int key = Warmup.key(MAX, 0, n);
        if (first(key)) {
            int m = probeSize(n);
            float[] px = values(m, -4f, 4f);
            submit(key, "max", m, (k, c) -> () -> k.max(px, 0, c));
        }
        return pick(key, n).max(x, off, n);
    }

    @Override
    public double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        boolean store = y != null;
        int key = Warmup.key(EXP_SUM, store ? 1 : 0, n);
        if (first(key)) {
            int m = probeSize(n);
            float[] px = values(m, -8f, 0f);
            float[] py = store ? new float[m] : null;
            submit(key, "expSum", m, (k, c) -> () -> k.expSum(px, 0, 0f, py, 0, c));
        }
        return pick(key, n).expSum(x, xOff, shift, y, yOff, n);
    }

    @Override
    public void softmaxCrossEntropyLabelRows(float[] x, int[] labels, float[] g, double gradScale, double[] rowLoss,
                                             int r0, int r1, int c) {
        int key = Warmup.key(SOFTMAX_CE_ROWS, (g == null ? 0 : 1) + (rowLoss == null ? 0 : 2), (long) (r1 - r0) * c);
        if (first(key)) {
            submitRows(key, softmaxCeProbe(g != null, rowLoss != null, r1 - r0, c));
        }
        pick(key, (long) (r1 - r0) * c).softmaxCrossEntropyLabelRows(x, labels, g, gradScale, rowLoss, r0, r1, c);
    }

    /** Probe rows of the softmax cross-entropy: {@code rows} of width c (capped), and one row as the small call. */
    private void submitRows(int key, RowsProbe probe) {
        Warmup.submit(new Warmup.Probe(key, "softmax cross-entropy rows", probe.call(vector, probe.rows), probe.call(scalar, probe.rows),
                probe.call(vector, 1), probe.call(scalar, 1), null));
    }

    private record RowsProbe(int rows, ProbeFactory factory) {
        Runnable call(Elementwise k, int r) {
            return factory.call(k, r);
        }
    }

    private static RowsProbe softmaxCeProbe(boolean grad, boolean losses, int rows, int c) {
        int r = Math.max(1, Math.min(rows, PROBE_ELEMENTS / Math.max(1, c)));
        int n = Math.multiplyExact(r, c);
        float[] x = values(n, -4f, 4f);
        int[] labels = new int[r];
        for (int i = 0; i < r; i++) {
            labels[i] = i % c;
        }
        float[] g = grad ? new float[n] : null;
        double[] rowLoss = losses ? new double[r] : null;
        return new RowsProbe(r, (k, q) -> () -> k.softmaxCrossEntropyLabelRows(x, labels, g, 1.0 / q, rowLoss, 0, q, c));
    }

    @Override
    public void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n) {
        int key = Warmup.key(EXP_SCALED, 0, n);
        if (first(key)) {
            submit(key, "expScaled", probeSize(n), unaryProbe(probeSize(n), (k, x1, y1, m) -> k.expScaled(x1, 0, 4f, 0.5f, y1, 0, m)));
        }
        pick(key, n).expScaled(x, xOff, shift, factor, y, yOff, n);
    }

    @Override
    public void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
        int key = Warmup.key(SUBTRACT_TWICE, 0, n);
        if (first(key)) {
            submit(key, "subtractTwice", probeSize(n), unaryProbe(probeSize(n), (k, x1, y1, m) -> k.subtractTwice(x1, 0, 1.5f, 0.25f, y1, 0, m)));
        }
        pick(key, n).subtractTwice(x, xOff, a, b, y, yOff, n);
    }

    @Override
    public double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int key = Warmup.key(DOT, 0, n);
        if (first(key)) {
            int m = probeSize(n);
            float[] pa = values(m, -1f, 1f);
            float[] pb = values(m, -2f, 2f);
            submit(key, "dot", m, (k, c) -> () -> k.dot(pa, 0, pb, 0, c));
        }
        return pick(key, n).dot(a, aOff, b, bOff, n);
    }

    @Override
    public void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n) {
        int key = Warmup.key(SOFTMAX_GRADIENT, log ? 1 : 0, n);
        if (first(key)) {
            int m = probeSize(n);
            float[] py = values(m, 0f, 0.01f);
            float[] pdy = values(m, -1f, 1f);
            float[] pdx = new float[m];
            submit(key, "softmaxGradient", m, (k, c) -> () -> k.softmaxGradient(log, 0.25f, pdy, py, pdx, 0, c));
        }
        pick(key, n).softmaxGradient(log, s, dy, y, dx, off, n);
    }

    @Override
    public double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale,
                       int from, int to) {
        int key = Warmup.key(LOSS, kind.ordinal() * 2 + (grad == null ? 0 : 1), to - from);
        if (first(key)) {
            int m = probeSize(to - from);
            // Probabilities and targets in [0, 1] suit every loss, the cross-entropies included.
            float[] pp = values(m, 0.05f, 0.95f);
            float[] pt = values(m, 0f, 1f);
            float[] pg = grad != null ? new float[m] : null;
            submit(key, "loss " + kind, m, (k, c) -> () -> k.loss(kind, delta, pp, pt, pg, 1f / m, 0, c));
        }
        return pick(key, to - from).loss(kind, delta, pred, target, grad, gradScale, from, to);
    }

    @Override
    public void sgd(float[] w, float[] g, float[] velocity, float lr, float momentum, boolean nesterov, float l2,
                    float l1, int from, int to) {
        int variant = (nesterov ? 1 : 0) + (momentum != 0f ? 2 : 0) + (l2 != 0f ? 4 : 0) + (l1 != 0f ? 8 : 0)
                + (velocity == null ? 16 : 0);
        int key = Warmup.key(SGD, variant, to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] pw = values(n, -1f, 1f);
            float[] pg = values(n, -1e-2f, 1e-2f);
            float[] pv = velocity == null ? null : new float[n];
            submit(key, "sgd", n, (k, c) -> () -> k.sgd(pw, pg, pv, 1e-3f, momentum, nesterov, l2, l1, 0, c));
        }
        pick(key, to - from).sgd(w, g, velocity, lr, momentum, nesterov, l2, l1, from, to);
    }

    @Override
    public void adam(float[] w, float[] g, float[] m, float[] v, float lr, float beta1, float beta2, float epsilon,
                     float weightDecay, boolean decoupled, float c1, float c2, int from, int to) {
        int key = Warmup.key(ADAM, (decoupled ? 1 : 0) + (weightDecay != 0f ? 2 : 0), to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] pw = values(n, -1f, 1f);
            float[] pg = values(n, -1e-2f, 1e-2f);
            float[] pm = new float[n];
            float[] pv = new float[n];
            submit(key, "adam", n, (k, c) -> () -> k.adam(pw, pg, pm, pv, 1e-3f, beta1, beta2, epsilon, weightDecay,
                    decoupled, c1, c2, 0, c));
        }
        pick(key, to - from).adam(w, g, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1, c2, from, to);
    }

    @Override
    public void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, int from, int to) {
        int key = Warmup.key(DROPOUT, 0, to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] px = values(n, -1f, 1f);
            float[] py = new float[n];
            float[] pm = new float[n];
            submitBlocks(key, "dropout", n, dev.kengine.cpu.simd.VectorRandom.DROPOUT_BLOCK,
                    (k, c) -> () -> k.dropout(px, py, pm, 0.25f, 4f / 3f, 42L, 0L, 0, c));
        }
        pick(key, to - from).dropout(x, y, mask, p, scale, seed, offset, from, to);
    }

    @Override
    public void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to) {
        int key = Warmup.key(DROPOUT_BACKWARD, 0, to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] pdy = values(n, -1f, 1f);
            float[] pm = values(n, 0f, 2f);
            for (int i = 0; i < n; i++) {
                pm[i] = pm[i] < 0.5f ? 0f : 1f;
            }
            float[] pdx = new float[n];
            submit(key, "dropoutBackward", n, (k, c) -> () -> k.dropoutBackward(4f / 3f, pdy, pm, pdx, 0, c));
        }
        pick(key, to - from).dropoutBackward(scale, dy, mask, dx, from, to);
    }

    @Override
    public void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        int key = Warmup.key(INIT_UNIFORM, 0, to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] pa = new float[n];
            submitBlocks(key, "initUniform", n, dev.kengine.cpu.simd.VectorRandom.GROUP,
                    (k, c) -> () -> k.initUniform(pa, 7L, 0L, -1, 1, 0, c));
        }
        pick(key, to - from).initUniform(a, seed, offset, lo, hi, from, to);
    }

    @Override
    public void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        int key = Warmup.key(INIT_NORMAL, 0, to - from);
        if (first(key)) {
            int n = probeSize(to - from);
            float[] pa = new float[n];
            submitBlocks(key, "initNormal", n, dev.kengine.cpu.simd.VectorRandom.GROUP,
                    (k, c) -> () -> k.initNormal(pa, 7L, 0L, 0, 1, 0, c));
        }
        pick(key, to - from).initNormal(a, seed, offset, mean, std, from, to);
    }
}
