package dev.kengine.cpu;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;

/**
 * The kernels of a backend opened with {@code simd} unset: each call runs the vector kernel once {@link Warmup}
 * has seen it compiled for that call's key, and the scalar kernel until then (the first call of a key also
 * submits the probe that decides it). The choice is made per kernel call on the thread that calls, before any element
 * is touched, so one kernel call never mixes the two versions; an op made of several kernel calls (a softmax's
 * maximum, sum and scaling, or one range per worker) may meet a key that turned between two of them, within the
 * kit's tolerances either way (dropout, masks and initial values are bit-identical in both).
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
    private static final int HALF_ACTIVATION = 23;
    private static final int HALF_ACTIVATION_BACKWARD = 24;
    private static final int ADAM_HALF = 25;
    private static final int SGD_HALF = 26;
    private static final int HALF_BINARY = 27;
    private static final int HALF_SCALE = 28;
    private static final int HALF_DROPOUT = 29;
    private static final int ALL_FINITE = 30;

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

    /**
     * On a key's first call (callers test for {@link Warmup#COLD} first, so that later calls build no argument
     * array), hands {@link Warmup} the call's description: the method, its enum (activation kind,
     * binary op or loss kind), two flags, its size and its float parameters. The probe is built from it on the
     * warm-up thread ({@link Call#build}), so that the caller pays for one small object, no arrays and no lambda.
     */
    private void first(int key, int method, Enum<?> kind, boolean a, boolean b, long n, int c, float... f) {
        if (Warmup.claim(key)) {
            Warmup.submit(new Call(this, key, method, kind, a, b, n, c, f));
        }
    }

    /** A first call's description; see {@link #first}. */
    private record Call(TieredElementwise kernels, int key, int method, Enum<?> kind, boolean a, boolean b, long n,
                        int c, float[] f) implements Warmup.Request {
        @Override
        public Warmup.Probe build() {
            return kernels.probe(this);
        }
    }

    /** Builds one call of a kernel over the first n elements of the probe's own arrays (shared by both versions). */
    private interface ProbeFactory {
        Runnable call(Elementwise kernels, int n);
    }

    /**
     * The probe of a first call: calls over its size (capped at {@link #PROBE_ELEMENTS}), over a few vectors and a
     * tail, and over less than one vector (only the vector kernel's set-up and scalar tail run: the cheap calls that
     * raise the JIT's counters). The kernels that work in blocks of random numbers have no such cheap call.
     */
    private Warmup.Probe probe(Call call) {
        int size = probeSize(call.n());
        int lanes = vector.lanes();
        int small = Math.min(size, 2 * lanes + 1);
        int empty = Math.min(size, lanes - 1);
        String name = METHOD_NAMES[call.method()] + (call.kind() == null ? "" : " " + call.kind());
        ProbeFactory factory;
        switch (call.method()) {
            case WIDEN -> factory = widenProbe(call.a(), size);
            case NARROW -> {
                float[] src = values(size, -100f, 100f);
                short[] dst = new short[size];
                boolean bf16 = call.a();
                factory = (k, c) -> () -> k.narrow(bf16, src, 0, dst, 0, c);
            }
            case ACTIVATION -> {
                Activation.Kind kind = (Activation.Kind) call.kind();
                float p = call.f()[0];
                float[] x = values(size, -6f, 6f);
                float[] y = new float[size];
                factory = (k, c) -> () -> k.activation(kind, p, x, 0, y, 0, c);
            }
            case BIAS_ACTIVATION -> factory = biasActivationProbe((Activation.Kind) call.kind(), call.f()[0], call.a(), size);
            case ACTIVATION_BACKWARD -> {
                Activation.Kind kind = (Activation.Kind) call.kind();
                float p = call.f()[0];
                float[] x = values(size, -6f, 6f);
                float[] y = new float[size];
                ScalarElementwise.INSTANCE.activation(kind, p, x, 0, y, 0, size);
                float[] dy = values(size, -1f, 1f);
                float[] dx = new float[size];
                factory = (k, c) -> () -> k.activationBackward(kind, p, dy, x, y, dx, 0, c);
            }
            case BINARY -> {
                Binary op = (Binary) call.kind();
                float[] a = values(size, -4f, 4f);
                float[] b = values(size, 0.5f, 4f);
                float[] out = new float[size];
                factory = (k, c) -> () -> k.binary(op, a, 0, b, 0, out, 0, c);
            }
            case HALF_BINARY -> {
                Binary op = (Binary) call.kind();
                boolean bf16 = call.a();
                short[] a = halfValues(bf16, size, -4f, 4f);
                short[] b = halfValues(bf16, size, 0.5f, 4f);
                short[] out = new short[size];
                factory = (k, c) -> () -> k.halfBinary(op, bf16, a, 0, b, 0, out, 0, c);
            }
            case HALF_DROPOUT -> {
                boolean bf16 = call.a();
                short[] x = halfValues(bf16, size, -1f, 1f);
                short[] y = new short[size];
                float[] mask = call.b() ? null : new float[size];
                byte[] bytes = call.b() ? new byte[size] : null;
                factory = (k, c) -> () -> k.halfDropout(bf16, x, y, mask, bytes, 0.25f, 4f / 3f, 42L, 0L, 0, c);
                small = Math.min(size, 2 * dev.kengine.cpu.simd.VectorRandom.DROPOUT_BLOCK);
                empty = -1;
            }
            case HALF_SCALE -> {
                boolean bf16 = call.a();
                short[] x = halfValues(bf16, size, -4f, 4f);
                short[] out = new short[size];
                factory = (k, c) -> () -> k.halfScale(0.5f, bf16, x, 0, out, 0, c);
            }
            case SCALE -> factory = unaryProbe(size, (k, x, y, c) -> k.scale(0.5f, x, 0, y, 0, c));
            case AXPY -> factory = unaryProbe(size, (k, x, y, c) -> k.axpy(1e-3f, x, 0, y, 0, c));
            case EXP_SCALED -> factory = unaryProbe(size, (k, x, y, c) -> k.expScaled(x, 0, 4f, 0.5f, y, 0, c));
            case SUBTRACT_TWICE -> factory = unaryProbe(size, (k, x, y, c) -> k.subtractTwice(x, 0, 1.5f, 0.25f, y, 0, c));
            case MAX -> {
                float[] x = values(size, -4f, 4f);
                factory = (k, c) -> () -> k.max(x, 0, c);
            }
            case ALL_FINITE -> {
                boolean half = call.a();
                boolean bf16 = call.b();
                float[] x = values(size, -4f, 4f);
                short[] h = half ? halfValues(bf16, size, -4f, 4f) : null;
                factory = half ? (k, c) -> () -> k.allFiniteHalf(bf16, h, 0, c) : (k, c) -> () -> k.allFinite(x, 0, c);
            }
            case DOT -> {
                float[] a = values(size, -1f, 1f);
                float[] b = values(size, -2f, 2f);
                factory = (k, c) -> () -> k.dot(a, 0, b, 0, c);
            }
            case EXP_SUM -> {
                float[] x = values(size, -8f, 0f);
                float[] y = call.a() ? new float[size] : null;
                factory = (k, c) -> () -> k.expSum(x, 0, 0f, y, 0, c);
            }
            case SOFTMAX_CE_ROWS -> {
                // Rows of width c: the probe's size is its rows, and one row is its small call.
                int width = call.c();
                int rows = (int) Math.max(1, Math.min(call.n(), PROBE_ELEMENTS / Math.max(1, width)));
                ProbeFactory rowsFactory = softmaxCeProbe(call.a(), call.b(), rows, width);
                return new Warmup.Probe(call.key(), name, (long) rows * width, rowsFactory.call(vector, rows),
                        rowsFactory.call(scalar, rows),
                        rowsFactory.call(vector, 1), rowsFactory.call(scalar, 1), null);
            }
            case SOFTMAX_GRADIENT -> {
                boolean log = call.a();
                float[] y = values(size, 0f, 0.01f);
                float[] dy = values(size, -1f, 1f);
                float[] dx = new float[size];
                factory = (k, c) -> () -> k.softmaxGradient(log, 0.25f, dy, y, dx, 0, c);
            }
            case LOSS -> {
                Loss.Kind kind = (Loss.Kind) call.kind();
                float delta = call.f()[0];
                // Probabilities and targets in [0, 1] suit every loss, the cross-entropies included.
                float[] pred = values(size, 0.05f, 0.95f);
                float[] target = values(size, 0f, 1f);
                float[] grad = call.a() ? new float[size] : null;
                factory = (k, c) -> () -> k.loss(kind, delta, pred, target, grad, 1f / c, 0, c);
            }
            case SGD -> {
                float[] f = call.f();
                boolean nesterov = call.a();
                float[] w = values(size, -1f, 1f);
                float[] g = values(size, -1e-2f, 1e-2f);
                float[] velocity = call.b() ? new float[size] : null;
                factory = (k, c) -> () -> k.sgd(w, g, 0, velocity, 1e-3f, f[0], nesterov, f[1], f[2], 0, c);
            }
            case ADAM -> {
                float[] f = call.f();
                boolean decoupled = call.a();
                float[] w = values(size, -1f, 1f);
                float[] g = values(size, -1e-2f, 1e-2f);
                float[] m = new float[size];
                float[] v = new float[size];
                factory = (k, c) -> () -> k.adam(w, g, 0, m, v, 1e-3f, f[0], f[1], f[2], f[3], decoupled, f[4], f[5], 0, c);
            }
            case SGD_HALF -> {
                float[] f = call.f();
                boolean nesterov = call.a();
                MixedStep a = mixedStep(call.c(), size);
                float[] velocity = call.b() ? new float[size] : null;
                factory = (k, c) -> () -> k.sgdHalf(a.w(), a.g(), a.gh(), a.gBf16(), 0, velocity, 1e-3f, f[0], nesterov,
                        f[1], f[2], a.out(), a.outBf16(), 0, c);
            }
            case ADAM_HALF -> {
                float[] f = call.f();
                boolean decoupled = call.a();
                MixedStep a = mixedStep(call.c(), size);
                float[] m = new float[size];
                float[] v = new float[size];
                factory = (k, c) -> () -> k.adamHalf(a.w(), a.g(), a.gh(), a.gBf16(), 0, m, v, 1e-3f, f[0], f[1], f[2],
                        f[3], decoupled, f[4], f[5], a.out(), a.outBf16(), 0, c);
            }
            case DROPOUT -> {
                float[] x = values(size, -1f, 1f);
                float[] y = new float[size];
                if (call.a()) {
                    byte[] bytes = new byte[size];
                    factory = (k, c) -> () -> k.dropoutBytes(x, y, bytes, 0.25f, 4f / 3f, 42L, 0L, 0L, 0, c);
                } else {
                    float[] mask = new float[size];
                    factory = (k, c) -> () -> k.dropout(x, y, mask, 0.25f, 4f / 3f, 42L, 0L, 0L, 0, c);
                }
                small = Math.min(size, 2 * dev.kengine.cpu.simd.VectorRandom.DROPOUT_BLOCK);
                empty = -1;
            }
            case DROPOUT_BACKWARD -> {
                float[] dy = values(size, -1f, 1f);
                float[] mask = values(size, 0f, 2f);
                for (int i = 0; i < size; i++) {
                    mask[i] = mask[i] < 0.5f ? 0f : 1f;
                }
                float[] dx = new float[size];
                if (call.a()) {
                    byte[] bytes = new byte[size];
                    for (int i = 0; i < size; i++) {
                        bytes[i] = (byte) mask[i];
                    }
                    factory = (k, c) -> () -> k.dropoutBackwardBytes(4f / 3f, dy, bytes, dx, 0, c);
                } else {
                    factory = (k, c) -> () -> k.dropoutBackward(4f / 3f, dy, mask, dx, 0, c);
                }
            }
            case INIT_UNIFORM -> {
                float[] a = new float[size];
                factory = (k, c) -> () -> k.initUniform(a, 7L, 0L, -1, 1, 0, c);
                small = Math.min(size, 2 * dev.kengine.cpu.simd.VectorRandom.GROUP);
                empty = -1;
            }
            case INIT_NORMAL -> {
                float[] a = new float[size];
                factory = (k, c) -> () -> k.initNormal(a, 7L, 0L, 0, 1, 0, c);
                small = Math.min(size, 2 * dev.kengine.cpu.simd.VectorRandom.GROUP);
                empty = -1;
            }
            case HALF_ACTIVATION -> {
                Activation.Kind kind = (Activation.Kind) call.kind();
                float p = call.f()[0];
                boolean bf16 = call.a();
                short[] x = halfValues(bf16, size, -6f, 6f);
                short[] y = new short[size];
                factory = (k, c) -> () -> k.halfActivation(bf16, kind, p, x, 0, y, 0, c);
            }
            case HALF_ACTIVATION_BACKWARD -> {
                Activation.Kind kind = (Activation.Kind) call.kind();
                float p = call.f()[0];
                boolean bf16 = call.a();
                short[] x = halfValues(bf16, size, -6f, 6f);
                short[] y = new short[size];
                ScalarElementwise.INSTANCE.halfActivation(bf16, kind, p, x, 0, y, 0, size);
                short[] dy = halfValues(bf16, size, -1f, 1f);
                short[] dx = new short[size];
                factory = (k, c) -> () -> k.halfActivationBackward(bf16, kind, p, dy, x, y, dx, 0, c);
            }
            default -> throw new IllegalStateException("no probe for method " + call.method());
        }
        return new Warmup.Probe(call.key(), name, size, factory.call(vector, size), factory.call(scalar, size),
                factory.call(vector, small), factory.call(scalar, small), empty < 0 ? null : factory.call(vector, empty));
    }

    /** A mixed-precision step probe's weights, gradient (float32, or half in gh) and half copy (or none). */
    private record MixedStep(float[] w, float[] g, short[] gh, boolean gBf16, short[] out, boolean outBf16) {}

    /** The arrays of a mixed-precision step probe, from the call's flags (see {@link #adamHalf}). */
    private MixedStep mixedStep(int flags, int size) {
        float[] g = values(size, -1e-2f, 1e-2f);
        boolean gBf16 = (flags & 2) != 0;
        short[] gh = (flags & 1) == 0 ? null : new short[size];
        if (gh != null) {
            vector.narrow(gBf16, g, 0, gh, 0, size);
        }
        return new MixedStep(values(size, -1f, 1f), g, gh, gBf16, (flags & 4) == 0 ? null : new short[size],
                (flags & 8) != 0);
    }

    private static final String[] METHOD_NAMES = {
        "widen", "narrow", "activation", "bias and activation", "activation backward", "binary", "scale", "axpy",
        "max", "expSum", "softmax cross-entropy rows", "expScaled", "subtractTwice", "dot", "softmaxGradient", "loss",
        "sgd", "adam", "dropout", "dropoutBackward", "initUniform", "initNormal", "matmul", "half activation",
        "half activation backward", "mixed-precision adam", "mixed-precision sgd", "half binary",
        "half scale", "half dropout", "allFinite"
    };

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

    /** {@link #values} rounded to half precision. */
    static short[] halfValues(boolean bf16, int n, float lo, float hi) {
        float[] f = values(n, lo, hi);
        short[] h = new short[n];
        ScalarElementwise.INSTANCE.narrow(bf16, f, 0, h, 0, n);
        return h;
    }

    private static ProbeFactory widenProbe(boolean bf16, int n) {
        short[] src = new short[n];
        for (int i = 0; i < n; i++) {
            src[i] = (short) (i * 2654435761L >>> 20);
        }
        float[] dst = new float[n];
        return (k, c) -> () -> k.widen(bf16, src, 0, dst, 0, c);
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

    private interface Unary {
        void run(Elementwise k, float[] x, float[] y, int n);
    }

    private static ProbeFactory unaryProbe(int n, Unary op) {
        float[] x = values(n, -4f, 4f);
        float[] y = new float[n];
        return (k, c) -> () -> op.run(k, x, y, c);
    }

    private static ProbeFactory softmaxCeProbe(boolean grad, boolean losses, int rows, int c) {
        int n = Math.multiplyExact(rows, c);
        float[] x = values(n, -4f, 4f);
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = i % c;
        }
        float[] g = grad ? new float[n] : null;
        double[] rowLoss = losses ? new double[rows] : null;
        return (k, r) -> () -> k.softmaxCrossEntropyLabelRows(x, labels, g, 1.0 / r, rowLoss, 0, r, c);
    }

    // ---- the kernels ------------------------------------------------------------------------------

    @Override
    public void widen(boolean bf16, short[] src, int sOff, float[] dst, int dOff, int n) {
        int key = Warmup.key(WIDEN, bf16 ? 1 : 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, WIDEN, null, bf16, false, n, 0);
        }
        pick(key, n).widen(bf16, src, sOff, dst, dOff, n);
    }

    @Override
    public void narrow(boolean bf16, float[] src, int sOff, short[] dst, int dOff, int n) {
        int key = Warmup.key(NARROW, bf16 ? 1 : 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, NARROW, null, bf16, false, n, 0);
        }
        pick(key, n).narrow(bf16, src, sOff, dst, dOff, n);
    }

    @Override
    public void activation(Activation.Kind kind, float parameter, float[] x, int xOff, float[] y, int yOff, int n) {
        int key = Warmup.key(ACTIVATION, kind.ordinal(), n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ACTIVATION, kind, false, false, n, 0, parameter);
        }
        pick(key, n).activation(kind, parameter, x, xOff, y, yOff, n);
    }

    @Override
    public void halfActivation(boolean bf16, Activation.Kind kind, float parameter, short[] x, int xOff, short[] y,
                               int yOff, int n) {
        int key = Warmup.key(HALF_ACTIVATION, kind.ordinal() * 2 + (bf16 ? 1 : 0), n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, HALF_ACTIVATION, kind, bf16, false, n, 0, parameter);
        }
        pick(key, n).halfActivation(bf16, kind, parameter, x, xOff, y, yOff, n);
    }

    @Override
    public void halfActivationBackward(boolean bf16, Activation.Kind kind, float parameter, short[] dy, short[] x,
                                       short[] y, short[] dx, int from, int to) {
        int key = Warmup.key(HALF_ACTIVATION_BACKWARD, kind.ordinal() * 2 + (bf16 ? 1 : 0), to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, HALF_ACTIVATION_BACKWARD, kind, bf16, false, to - from, 0, parameter);
        }
        pick(key, to - from).halfActivationBackward(bf16, kind, parameter, dy, x, y, dx, from, to);
    }

    @Override
    public void biasActivation(Activation.Kind kind, float parameter, float[] z, int zOff, float[] bias, float[] y,
                               int yOff, int n) {
        int key = Warmup.key(BIAS_ACTIVATION, kind.ordinal() * 2 + (bias == null ? 0 : 1), n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, BIAS_ACTIVATION, kind, bias != null, false, n, 0, parameter);
        }
        pick(key, n).biasActivation(kind, parameter, z, zOff, bias, y, yOff, n);
    }

    @Override
    public void activationBackward(Activation.Kind kind, float parameter, float[] dy, float[] x, float[] y, float[] dx,
                                   int from, int to) {
        int key = Warmup.key(ACTIVATION_BACKWARD, kind.ordinal(), to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ACTIVATION_BACKWARD, kind, false, false, to - from, 0, parameter);
        }
        pick(key, to - from).activationBackward(kind, parameter, dy, x, y, dx, from, to);
    }

    @Override
    public void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int key = Warmup.key(BINARY, op.ordinal(), n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, BINARY, op, false, false, n, 0);
        }
        pick(key, n).binary(op, a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void halfScale(float s, boolean bf16, short[] x, int xOff, short[] out, int outOff, int n) {
        int key = Warmup.key(HALF_SCALE, bf16 ? 1 : 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, HALF_SCALE, null, bf16, false, n, 0);
        }
        pick(key, n).halfScale(s, bf16, x, xOff, out, outOff, n);
    }

    @Override
    public void halfBinary(Binary op, boolean bf16, short[] a, int aOff, short[] b, int bOff, short[] out, int outOff,
                           int n) {
        int key = Warmup.key(HALF_BINARY, 2 * op.ordinal() + (bf16 ? 1 : 0), n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, HALF_BINARY, op, bf16, false, n, 0);
        }
        pick(key, n).halfBinary(op, bf16, a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int key = Warmup.key(SCALE, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SCALE, null, false, false, n, 0);
        }
        pick(key, n).scale(s, x, xOff, out, outOff, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int key = Warmup.key(AXPY, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, AXPY, null, false, false, n, 0);
        }
        pick(key, n).axpy(alpha, x, xOff, y, yOff, n);
    }

    @Override
    public boolean allFinite(float[] x, int off, int n) {
        int key = Warmup.key(ALL_FINITE, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ALL_FINITE, null, false, false, n, 0);
        }
        return pick(key, n).allFinite(x, off, n);
    }

    @Override
    public boolean allFiniteHalf(boolean bf16, short[] h, int off, int n) {
        int key = Warmup.key(ALL_FINITE, bf16 ? 2 : 1, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ALL_FINITE, null, true, bf16, n, 0);
        }
        return pick(key, n).allFiniteHalf(bf16, h, off, n);
    }

    @Override
    public float max(float[] x, int off, int n) {
        int key = Warmup.key(MAX, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, MAX, null, false, false, n, 0);
        }
        return pick(key, n).max(x, off, n);
    }

    @Override
    public double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        int key = Warmup.key(EXP_SUM, y != null ? 1 : 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, EXP_SUM, null, y != null, false, n, 0);
        }
        return pick(key, n).expSum(x, xOff, shift, y, yOff, n);
    }

    @Override
    public void softmaxCrossEntropyLabelRows(float[] x, int[] labels, float[] g, double gradScale, double[] rowLoss,
                                             int r0, int r1, int c) {
        long size = (long) (r1 - r0) * c;
        int key = Warmup.key(SOFTMAX_CE_ROWS, (g == null ? 0 : 1) + (rowLoss == null ? 0 : 2), size);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SOFTMAX_CE_ROWS, null, g != null, rowLoss != null, r1 - r0, c);
        }
        pick(key, size).softmaxCrossEntropyLabelRows(x, labels, g, gradScale, rowLoss, r0, r1, c);
    }

    @Override
    public void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n) {
        int key = Warmup.key(EXP_SCALED, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, EXP_SCALED, null, false, false, n, 0);
        }
        pick(key, n).expScaled(x, xOff, shift, factor, y, yOff, n);
    }

    @Override
    public void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
        int key = Warmup.key(SUBTRACT_TWICE, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SUBTRACT_TWICE, null, false, false, n, 0);
        }
        pick(key, n).subtractTwice(x, xOff, a, b, y, yOff, n);
    }

    @Override
    public double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int key = Warmup.key(DOT, 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, DOT, null, false, false, n, 0);
        }
        return pick(key, n).dot(a, aOff, b, bOff, n);
    }

    @Override
    public void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n) {
        int key = Warmup.key(SOFTMAX_GRADIENT, log ? 1 : 0, n);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SOFTMAX_GRADIENT, null, log, false, n, 0);
        }
        pick(key, n).softmaxGradient(log, s, dy, y, dx, off, n);
    }

    @Override
    public double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale,
                       int from, int to) {
        int key = Warmup.key(LOSS, kind.ordinal() * 2 + (grad == null ? 0 : 1), to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, LOSS, kind, grad != null, false, to - from, 0, delta);
        }
        return pick(key, to - from).loss(kind, delta, pred, target, grad, gradScale, from, to);
    }

    @Override
    public void sgd(float[] w, float[] g, int gOff, float[] velocity, float lr, float momentum, boolean nesterov,
                    float l2, float l1, int from, int to) {
        int variant = (nesterov ? 1 : 0) + (momentum != 0f ? 2 : 0) + (l2 != 0f ? 4 : 0) + (l1 != 0f ? 8 : 0)
                + (velocity == null ? 16 : 0);
        int key = Warmup.key(SGD, variant, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SGD, null, nesterov, velocity != null, to - from, 0, momentum, l2, l1);
        }
        pick(key, to - from).sgd(w, g, gOff, velocity, lr, momentum, nesterov, l2, l1, from, to);
    }

    @Override
    public void sgdHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] velocity, float lr,
                        float momentum, boolean nesterov, float l2, float l1, short[] out, boolean outBf16, int from,
                        int to) {
        int flags = (gh != null ? 1 : 0) | (gBf16 ? 2 : 0) | (out != null ? 4 : 0) | (outBf16 ? 8 : 0);
        int variant = (nesterov ? 1 : 0) + (momentum != 0f ? 2 : 0) + 4 * flags;
        int key = Warmup.key(SGD_HALF, variant, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, SGD_HALF, null, nesterov, velocity != null, to - from, flags, momentum, l2, l1);
        }
        pick(key, to - from).sgdHalf(w, g, gh, gBf16, gOff, velocity, lr, momentum, nesterov, l2, l1, out, outBf16,
                from, to);
    }

    @Override
    public void adamHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] m, float[] v, float lr,
                         float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled, float c1,
                         float c2, short[] out, boolean outBf16, int from, int to) {
        int flags = (gh != null ? 1 : 0) | (gBf16 ? 2 : 0) | (out != null ? 4 : 0) | (outBf16 ? 8 : 0);
        int key = Warmup.key(ADAM_HALF, (decoupled ? 1 : 0) + (weightDecay != 0f ? 2 : 0) + 4 * flags, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ADAM_HALF, null, decoupled, false, to - from, flags, beta1, beta2, epsilon, weightDecay, c1, c2);
        }
        pick(key, to - from).adamHalf(w, g, gh, gBf16, gOff, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled,
                c1, c2, out, outBf16, from, to);
    }

    @Override
    public void adam(float[] w, float[] g, int gOff, float[] m, float[] v, float lr, float beta1, float beta2,
                     float epsilon, float weightDecay, boolean decoupled, float c1, float c2, int from, int to) {
        int key = Warmup.key(ADAM, (decoupled ? 1 : 0) + (weightDecay != 0f ? 2 : 0), to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, ADAM, null, decoupled, false, to - from, 0, beta1, beta2, epsilon, weightDecay, c1, c2);
        }
        pick(key, to - from).adam(w, g, gOff, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1, c2, from,
                to);
    }

    @Override
    public void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, long first,
                        int from, int to) {
        int key = Warmup.key(DROPOUT, 0, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, DROPOUT, null, false, false, to - from, 0);
        }
        pick(key, to - from).dropout(x, y, mask, p, scale, seed, offset, first, from, to);
    }

    @Override
    public void dropoutBytes(float[] x, float[] y, byte[] mask, float p, float scale, long seed, long offset, long first,
                             int from, int to) {
        int key = Warmup.key(DROPOUT, 1, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, DROPOUT, null, true, false, to - from, 0);
        }
        pick(key, to - from).dropoutBytes(x, y, mask, p, scale, seed, offset, first, from, to);
    }

    @Override
    public void halfDropout(boolean bf16, short[] x, short[] y, float[] mask, byte[] bytes, float p, float scale,
                            long seed, long offset, int from, int to) {
        int key = Warmup.key(HALF_DROPOUT, (bf16 ? 1 : 0) + (mask == null ? 2 : 0), to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, HALF_DROPOUT, null, bf16, mask == null, to - from, 0);
        }
        pick(key, to - from).halfDropout(bf16, x, y, mask, bytes, p, scale, seed, offset, from, to);
    }

    @Override
    public void dropoutBackwardBytes(float scale, float[] dy, byte[] mask, float[] dx, int from, int to) {
        int key = Warmup.key(DROPOUT_BACKWARD, 1, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, DROPOUT_BACKWARD, null, true, false, to - from, 0);
        }
        pick(key, to - from).dropoutBackwardBytes(scale, dy, mask, dx, from, to);
    }

    @Override
    public void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to) {
        int key = Warmup.key(DROPOUT_BACKWARD, 0, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, DROPOUT_BACKWARD, null, false, false, to - from, 0);
        }
        pick(key, to - from).dropoutBackward(scale, dy, mask, dx, from, to);
    }

    @Override
    public void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        int key = Warmup.key(INIT_UNIFORM, 0, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, INIT_UNIFORM, null, false, false, to - from, 0);
        }
        pick(key, to - from).initUniform(a, seed, offset, lo, hi, from, to);
    }

    @Override
    public void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        int key = Warmup.key(INIT_NORMAL, 0, to - from);
        if (Warmup.state(key) == Warmup.COLD) {
            first(key, INIT_NORMAL, null, false, false, to - from, 0);
        }
        pick(key, to - from).initNormal(a, seed, offset, mean, std, from, to);
    }
}
