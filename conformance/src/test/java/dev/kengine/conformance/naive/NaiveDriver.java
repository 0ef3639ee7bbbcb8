package dev.kengine.conformance.naive;

import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.conformance.oracle.ActivationOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import dev.kengine.random.CounterRandom;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Straightforward float32 loops for every op; float32 accumulation where a real backend would use it. A storage of
 * float16 or bfloat16 holds its values widened to float (exactly), so that the float32 loops read it as it is; the
 * facade computes the half-precision ops through float32, except those a {@link Broken} mode runs natively.
 */
final class NaiveDriver implements BackendDriver {
    private final Capabilities capabilities;
    private final Broken broken;

    /**
     * A deliberate fault in a gradient, for the kit's self-test: each must fail the half-precision finite-difference
     * checks of its op. The modes marked native run the op on half-precision storages themselves (the float32 path
     * stays right); the others change the float32 loop that every dtype goes through.
     */
    enum Broken {
        /** Native half activation backward evaluated where the input was before rounding: 0.45 ulp further from 0. */
        UNROUNDED,
        /** Native half GELU backward with the wrong sign on its second term: Φ(x) − xφ(x). */
        GELU_SIGN,
        /** Native half ELU backward without its factor α at x ≤ 0. */
        ELU_ALPHA,
        /** Dropout's backward pass without the 1/(1 − p) of the kept elements. */
        DROPOUT_SCALE,
        /** Softmax backward with the wrong sign on its row sum: y(dy + Σdy·y). */
        SOFTMAX_SIGN,
        /** The dense layer's dW summed over every row of the batch but the last (a loop-bound fault). */
        LINEAR_LAST_ROW,
        /** The dense layer's dW 1/16 too large (a wrong normalising constant). */
        LINEAR_DW_SCALE;

        /** Whether the mode runs ACTIVATION_BACKWARD natively on half-precision storages. */
        boolean nativeHalf() {
            return this == UNROUNDED || this == GELU_SIGN || this == ELU_ALPHA;
        }
    }

    NaiveDriver(Capabilities capabilities) {
        this(capabilities, null);
    }

    NaiveDriver(Capabilities capabilities, Broken broken) {
        this.capabilities = capabilities;
        this.broken = broken;
    }

    record Mem(float[] a, DType dtype) implements Storage {
        Mem(float[] a) {
            this(a, DType.FLOAT32);
        }

        @Override
        public long size() {
            return a.length;
        }

        @Override
        public void release() {}
    }

    private static float[] f(Storage s) {
        return ((Mem) s).a();
    }

    @Override
    public String name() {
        return "naive";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public Storage allocate(long elements) {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new DeviceOutOfMemoryException("naive: " + elements + " floats do not fit in a Java array", elements * 4, null);
        }
        try {
            return new Mem(new float[(int) elements]);
        } catch (OutOfMemoryError e) {
            throw new DeviceOutOfMemoryException("naive: out of heap for " + elements + " floats", elements * 4, e);
        }
    }

    @Override
    public Storage allocate(long elements, DType dtype) {
        if (dtype == DType.FLOAT32 || !capabilities.dtypes().contains(dtype)) {
            return BackendDriver.super.allocate(elements, dtype);
        }
        Mem m = (Mem) allocate(elements);
        return new Mem(m.a(), dtype);
    }

    private static DType dtype(Storage s) {
        return ((Mem) s).dtype();
    }

    /** The raw bits of a stored value in its storage's dtype. */
    private static int bits(DType dtype, float v) {
        int f32 = Float.floatToRawIntBits(v);
        return dtype == DType.FLOAT32 ? f32 : Conversions.convert(DType.FLOAT32, f32, dtype);
    }

    /** v rounded to the dtype, as float. */
    private static float round(DType dtype, float v) {
        return Conversions.toFloat(dtype, bits(dtype, v));
    }

    @Override
    public void write(Storage dst, long dstOffset, MemorySegment src, long count) {
        DType d = dtype(dst);
        if (d == DType.FLOAT32) {
            MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, f(dst), (int) dstOffset, (int) count);
            return;
        }
        float[] a = f(dst);
        for (int i = 0; i < count; i++) {
            a[(int) dstOffset + i] = Conversions.toFloat(d, src.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i) & 0xFFFF);
        }
    }

    @Override
    public void read(Storage src, long srcOffset, MemorySegment dst, long count) {
        DType d = dtype(src);
        if (d == DType.FLOAT32) {
            MemorySegment.copy(f(src), (int) srcOffset, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (int) count);
            return;
        }
        float[] a = f(src);
        for (int i = 0; i < count; i++) {
            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) bits(d, a[(int) srcOffset + i]));
        }
    }

    @Override
    public void fillBits(Storage x, DType dtype, long n, int bits) {
        java.util.Arrays.fill(f(x), 0, (int) n, Conversions.toFloat(dtype, bits));
    }

    @Override
    public void cast(Storage src, DType from, Storage dst, DType to, long n) {
        float[] a = f(src), o = f(dst);
        for (int i = 0; i < n; i++) {
            o[i] = Conversions.toFloat(to, Conversions.convert(from, bits(from, a[i]), to));
        }
    }

    @Override
    public void close() {}

    @Override
    public void fill(Storage x, long n, float value) {
        java.util.Arrays.fill(f(x), 0, (int) n, value);
    }

    @Override
    public void copy(Storage src, Storage dst, long n) {
        System.arraycopy(f(src), 0, f(dst), 0, (int) n);
    }

    @Override
    public void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean row) {
        float[] x = f(a), y = f(b), o = f(out);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = (int) (r * cols + c);
                float v = y[row ? c : i];
                o[i] = switch (op) {
                    case ADD -> x[i] + v;
                    case SUB -> x[i] - v;
                    case MUL -> x[i] * v;
                    case DIV -> x[i] / v;
                };
            }
        }
    }

    @Override
    public void scale(Storage x, float s, Storage out, long n) {
        float[] a = f(x), o = f(out);
        for (int i = 0; i < n; i++) {
            o[i] = s * a[i];
        }
    }

    @Override
    public void axpy(float alpha, Storage x, Storage y, long n) {
        float[] a = f(x), o = f(y);
        for (int i = 0; i < n; i++) {
            o[i] += alpha * a[i];
        }
    }

    @Override
    public void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        float[] a = f(x), o = f(out);
        for (int p = 0; p < outer; p++) {
            for (int q = 0; q < inner; q++) {
                float s = 0;
                for (int k = 0; k < axis; k++) {
                    s += a[(int) ((p * axis + k) * inner + q)];
                }
                o[(int) (p * inner + q)] = mean ? s / axis : s;
            }
        }
    }

    @Override
    public void l2Norm(Storage x, long n, Storage out) {
        float[] a = f(x);
        float big = 0;
        boolean nan = false;
        for (int i = 0; i < n; i++) {
            nan |= Float.isNaN(a[i]);
            big = Math.max(big, Math.abs(a[i]));
        }
        if (nan) {
            f(out)[0] = Float.NaN;
            return;
        }
        if (big == 0 || Float.isInfinite(big)) {
            f(out)[0] = big;
            return;
        }
        float s = 0;
        float inv = 1f / big;
        for (int i = 0; i < n; i++) {
            float r = a[i] / big;
            s += r * r;
        }
        f(out)[0] = big * (float) Math.sqrt(s);
        assert inv > 0;
    }

    @Override
    public void max(Storage x, Storage out, long rows, long cols) {
        float[] a = f(x), o = f(out);
        for (int r = 0; r < rows; r++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                float v = a[(int) (r * cols + c)];
                m = Math.max(m, v); // NaN wins; +0 over −0
                if (Float.isNaN(v)) {
                    break;
                }
            }
            o[r] = m;
        }
    }

    @Override
    public void argmax(Storage x, int[] out, long rows, long cols) {
        float[] a = f(x);
        for (int r = 0; r < rows; r++) {
            int best = cols == 0 ? -1 : 0;
            for (int c = 0; c < cols; c++) {
                float v = a[(int) (r * cols + c)];
                if (Float.isNaN(v)) {
                    best = c;
                    break;
                }
                if (v > a[(int) (r * cols + best)]) {
                    best = c;
                }
            }
            out[r] = best;
        }
    }

    @Override
    public void matmul(Storage a, boolean transA, Storage b, boolean transB, Storage c, long batch, long m, long n, long k,
                       float alpha, float beta, long strideA, long strideB, long strideC) {
        float[] x = f(a), y = f(b), z = f(c);
        for (int q = 0; q < batch; q++) {
            int oa = (int) (q * strideA), ob = (int) (q * strideB), oc = (int) (q * strideC);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    // Runs of 256 products added into the total, as the kit asks of long dot products.
                    float s = 0;
                    for (int p0 = 0; p0 < k; p0 += 256) {
                        float run = 0;
                        for (int p = p0; p < Math.min(k, p0 + 256); p++) {
                            float av = transA ? x[(int) (oa + p * m + i)] : x[(int) (oa + i * k + p)];
                            float bv = transB ? y[(int) (ob + j * k + p)] : y[(int) (ob + p * n + j)];
                            run += av * bv;
                        }
                        s += run;
                    }
                    int o = (int) (oc + i * n + j);
                    z[o] = beta == 0 ? alpha * s : alpha * s + beta * z[o];
                }
            }
        }
    }

    static float act(Activation act, float x) {
        double a = act.parameter();
        return switch (act.kind()) {
            case IDENTITY -> x;
            case SIGMOID -> sigmoid(x);
            case TANH -> (float) Math.tanh(x);
            case RELU -> Float.isNaN(x) ? x : x > 0 ? x : 0f;
            case LEAKY_RELU -> x > 0 ? x : act.parameter() * x;
            case ELU -> x >= 0 ? x : (float) (a * (Math.exp(x) - 1)); // ELU(−0) = −0
            case SWISH -> {
                double beta = act.parameter();
                if (beta == 0) {
                    yield x * 0.5f;
                }
                double sg = 1 / (1 + Math.exp(-beta * x));
                yield Float.isInfinite(x) ? (sg == 0 ? 0f : x) : (float) (x * sg);
            }
            case SOFTPLUS -> (float) (Math.max(x, 0) + Math.log(1 + Math.exp(-Math.abs(x))));
            // The tails keep relative accuracy (the kit checks it below −3), which x/2·(1 + erf) and 1 + tanh lose:
            // the double forms of the oracle, as a backend computing in double would write them.
            case GELU, GELU_TANH -> x == Float.NEGATIVE_INFINITY ? -0f : x == Float.POSITIVE_INFINITY ? x
                    : (float) ActivationOracle.forward(act, x);
        };
    }

    static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    static float actGrad(Activation act, float dy, float x, float y) {
        float a = act.parameter();
        return switch (act.kind()) {
            case IDENTITY -> dy;
            case SIGMOID -> dy * (y * (1 - y));
            case TANH -> dy * (1 - y * y);
            case RELU -> Float.isNaN(x) ? x : x > 0 ? dy : Float.isNaN(dy) ? dy : 0f;
            case LEAKY_RELU -> Float.isNaN(x) ? x : x > 0 ? dy : a * dy;
            case ELU -> Float.isNaN(x) ? x : x > 0 ? dy : (float) (dy * a * Math.exp(x));
            case SWISH -> {
                if (Float.isNaN(x)) {
                    yield x;
                }
                if (a == 0f) {
                    yield dy * 0.5f;
                }
                double bx = (double) a * x;
                double sg = 1 / (1 + Math.exp(-bx));
                if (Float.isInfinite(x)) {
                    yield dy * (float) sg;
                }
                double g = sg * (1 - sg);
                yield (float) (dy * (sg + (g == 0 ? 0 : bx * g)));
            }
            case SOFTPLUS -> dy * sigmoid(x);
            case GELU -> {
                if (Float.isInfinite(x)) {
                    yield x > 0 ? dy : dy * 0f;
                }
                yield (float) (dy * ActivationOracle.derivative(act, x));
            }
            case GELU_TANH -> {
                if (Float.isInfinite(x)) {
                    yield x > 0 ? dy : dy * 0f;
                }
                yield (float) (dy * ActivationOracle.derivative(act, x));
            }
        };
    }

    @Override
    public void activation(Activation act, Storage x, Storage y, long n) {
        float[] a = f(x), o = f(y);
        for (int i = 0; i < n; i++) {
            o[i] = act(act, a[i]);
        }
    }

    @Override
    public void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        float[] g = f(dy), a = f(x), b = f(y), o = f(dx);
        DType h = dtype(dx);
        if (h != DType.FLOAT32) {
            // Native half precision (only a Broken mode declares it): float32 arithmetic, the fault, one rounding.
            for (int i = 0; i < n; i++) {
                o[i] = round(h, brokenGrad(act, h, g[i], a[i], b[i]));
            }
            return;
        }
        for (int i = 0; i < n; i++) {
            o[i] = actGrad(act, g[i], a[i], b[i]);
        }
    }

    private float brokenGrad(Activation act, DType h, float dy, float x, float y) {
        switch (broken) {
            case UNROUNDED -> {
                // Where a float32 input that rounds to x could have been: 0.45 of its ulp further from 0.
                double halfUlp = Math.scalb((double) Math.ulp(x), h == DType.FLOAT16 ? 13 : 16);
                float moved = (float) (x + Math.copySign(0.45 * halfUlp, x));
                float movedY = act.kind() == Activation.Kind.SIGMOID || act.kind() == Activation.Kind.TANH ? act(act, moved) : y;
                return actGrad(act, dy, moved, movedY);
            }
            case GELU_SIGN -> {
                if (act.kind() != Activation.Kind.GELU) {
                    return actGrad(act, dy, x, y);
                }
                double phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
                return (float) (dy * (ActivationOracle.normalCdf(x) - x * phi));
            }
            case ELU_ALPHA -> {
                if (act.kind() != Activation.Kind.ELU || x > 0) {
                    return actGrad(act, dy, x, y);
                }
                return (float) (dy * Math.exp(x));
            }
            default -> throw new IllegalStateException(broken + " does not run natively in half precision");
        }
    }

    @Override
    public void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        float[] a = f(x), al = f(alpha), o = f(y);
        for (int i = 0; i < outer * channels * inner; i++) {
            float s = al[(int) ((i / inner) % channels)];
            o[i] = a[i] > 0 ? a[i] : s * a[i];
        }
    }

    @Override
    public void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha, long outer, long channels, long inner) {
        float[] g = f(dy), a = f(x), al = f(alpha), o = f(dx), da = f(dAlpha);
        java.util.Arrays.fill(da, 0f);
        for (int i = 0; i < outer * channels * inner; i++) {
            int c = (int) ((i / inner) % channels);
            if (a[i] > 0) {
                o[i] = g[i];
            } else {
                o[i] = al[c] * g[i];
                da[c] += g[i] * a[i];
            }
        }
    }

    @Override
    public void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        float[] a = f(x), o = f(y);
        for (int r = 0; r < rows; r++) {
            int base = (int) (r * cols);
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                m = Math.max(m, a[base + c]);
            }
            // The sum in double, as every backend of the engine takes it: a float sum of hundreds of terms can
            // leave log-softmax just outside the kit's bound.
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += (float) Math.exp(a[base + c] - m);
            }
            float ls = (float) Math.log(s);
            for (int c = 0; c < cols; c++) {
                o[base + c] = log ? a[base + c] - m - ls : (float) (Math.exp(a[base + c] - m) / s);
            }
        }
    }

    @Override
    public void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        float[] g = f(dy), b = f(y), o = f(dx);
        for (int r = 0; r < rows; r++) {
            int base = (int) (r * cols);
            float s = 0;
            for (int c = 0; c < cols; c++) {
                s += log ? g[base + c] : g[base + c] * b[base + c];
            }
            for (int c = 0; c < cols; c++) {
                float sum = broken == Broken.SOFTMAX_SIGN && !log ? -s : s;
                o[base + c] = log ? g[base + c] - (float) Math.exp(b[base + c]) * sum : b[base + c] * (g[base + c] - sum);
            }
        }
    }

    @Override
    public void loss(Loss loss, Reduction reduction, Storage pred, Storage target, Storage lossOut, Storage grad, long n) {
        float[] p = f(pred), t = f(target);
        float total = 0;
        float k = reduction == Reduction.MEAN ? 1f / n : 1f;
        for (int i = 0; i < n; i++) {
            float d = p[i] - t[i];
            float l;
            float g;
            switch (loss.kind()) {
                case MSE -> { l = d * d; g = 2 * d; }
                case MAE -> { l = Math.abs(d); g = Float.isNaN(d) ? d : Math.signum(d); }
                case HUBER -> {
                    float delta = loss.delta();
                    boolean small = Math.abs(d) <= delta;
                    l = small ? 0.5f * d * d : delta * (Math.abs(d) - 0.5f * delta);
                    g = Float.isNaN(d) ? d : small ? d : delta * Math.signum(d);
                }
                case BINARY_CROSS_ENTROPY -> {
                    float lp = Float.isNaN(p[i]) ? p[i] : Math.max((float) Math.log(p[i]), -100f);
                    float lq = Float.isNaN(p[i]) ? p[i] : Math.max((float) Math.log1p(-(double) p[i]), -100f);
                    l = -(t[i] * lp + (1 - t[i]) * lq);
                    float q = p[i] * (1 - p[i]);
                    g = q < 0 ? Float.NaN : d / Math.max(q, 1e-12f);
                }
                default -> {
                    l = Math.max(p[i], 0) - p[i] * t[i] + (float) Math.log(1 + Math.exp(-Math.abs(p[i])));
                    g = (1 - t[i]) * sigmoid(p[i]) - t[i] * sigmoid(-p[i]);
                }
            }
            total += l;
            if (grad != null) {
                f(grad)[i] = g * k;
            }
        }
        if (lossOut != null) {
            f(lossOut)[0] = reduction == Reduction.MEAN ? total / n : total;
        }
    }

    @Override
    public void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction, Storage lossOut, Storage grad,
                                    long rows, long cols) {
        float[] x = f(logits);
        float[] t = targets == null ? null : f(targets);
        float total = 0;
        float k = reduction == Reduction.MEAN ? 1f / rows : 1f;
        for (int r = 0; r < rows; r++) {
            int base = (int) (r * cols);
            float m = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                m = Math.max(m, x[base + c]);
            }
            float s = 0;
            for (int c = 0; c < cols; c++) {
                s += (float) Math.exp(x[base + c] - m);
            }
            float logs = (float) Math.log(s);
            float lse = m + logs;
            float mass = 0;
            float rowLoss = 0; // per row, then over rows: one float sum of every row's terms drifts past the kit's bound
            for (int c = 0; c < cols; c++) {
                float tc = labels != null ? (labels[r] == c ? 1f : 0f) : t[base + c];
                mass += tc;
                rowLoss += tc == 0 ? 0 : tc * ((m - x[base + c]) + logs);
            }
            total += rowLoss;
            if (grad != null) {
                for (int c = 0; c < cols; c++) {
                    float tc = labels != null ? (labels[r] == c ? 1f : 0f) : t[base + c];
                    f(grad)[base + c] = ((float) Math.exp(x[base + c] - lse) * mass - tc) * k;
                }
            }
        }
        if (lossOut != null) {
            f(lossOut)[0] = reduction == Reduction.MEAN ? total / rows : total;
        }
    }

    @Override
    public void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        float[] a = f(x), o = f(y), m = f(mask);
        float s = CounterRandom.dropoutScale(p);
        for (int i = 0; i < n; i++) {
            boolean keep = CounterRandom.keep(seed, offset, i, p);
            m[i] = keep ? 1f : 0f;
            o[i] = keep ? a[i] * s : a[i] * 0f;
        }
    }

    @Override
    public void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        float[] g = f(dy), m = f(mask), o = f(dx);
        float s = broken == Broken.DROPOUT_SCALE ? 1f : CounterRandom.dropoutScale(p);
        for (int i = 0; i < n; i++) {
            o[i] = m[i] != 0 ? g[i] * s : g[i] * 0f;
        }
    }

    @Override
    public void linearBackward(Storage dy, Storage x, Storage w, Storage z, Storage y, Storage dx, Storage dw, Storage db,
                               long rows, long in, long out, Activation act) {
        BackendDriver.super.linearBackward(dy, x, w, z, y, dx, dw, db, rows, in, out, act);
        if (broken == Broken.LINEAR_DW_SCALE) {
            float[] o = f(dw);
            for (int i = 0; i < in * out; i++) {
                o[i] *= 17f / 16f;
            }
        }
        if (broken != Broken.LINEAR_LAST_ROW || rows < 2) {
            return;
        }
        // Take the last row's contribution x[last]ᵀ·dz[last] back out of dW.
        float[] g = f(dy), a = f(x), zz = f(z), yy = f(y), o = f(dw);
        int last = (int) rows - 1;
        for (int c = 0; c < out; c++) {
            int k = (int) (last * out + c);
            float dz = actGrad(act, g[k], zz[k], yy[k]);
            for (int p = 0; p < in; p++) {
                o[(int) (p * out + c)] -= a[(int) (last * in + p)] * dz;
            }
        }
    }

    @Override
    public void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        float[] a = f(x);
        for (int i = 0; i < n; i++) {
            a[i] = CounterRandom.uniform(seed, offset, i, lo, hi);
        }
    }

    @Override
    public void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        float[] a = f(x);
        for (int i = 0; i < n; i++) {
            a[i] = CounterRandom.normal(seed, offset, i, mean, std);
        }
    }

    @Override
    public void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig cfg) {
        float[] a = f(w), b = f(g), v = velocity == null ? null : f(velocity);
        for (int i = 0; i < n; i++) {
            // Fused multiply-adds, as the kit asks where w − lr·g nearly cancels.
            float gi = Math.fma(cfg.l2(), a[i], b[i]) + cfg.l1() * Math.signum(a[i]);
            if (cfg.momentum() != 0) {
                v[i] = Math.fma(cfg.momentum(), v[i], gi);
                gi = cfg.nesterov() ? Math.fma(cfg.momentum(), v[i], gi) : v[i];
            }
            a[i] = Math.fma(-cfg.learningRate(), gi, a[i]);
        }
    }

    @Override
    public void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig cfg, long step) {
        float[] a = f(w), b = f(g), mm = f(m), vv = f(v);
        float c1 = (float) cfg.biasCorrection1(step), c2 = (float) cfg.biasCorrection2(step);
        for (int i = 0; i < n; i++) {
            float gi = b[i];
            if (!cfg.decoupled()) {
                gi += cfg.weightDecay() * a[i];
            }
            // The moments in double, rounded once.
            mm[i] = (float) ((double) cfg.beta1() * mm[i] + (1 - (double) cfg.beta1()) * gi);
            vv[i] = (float) ((double) cfg.beta2() * vv[i] + (1 - (double) cfg.beta2()) * ((double) gi * gi));
            if (cfg.decoupled()) {
                a[i] -= cfg.learningRate() * cfg.weightDecay() * a[i];
            }
            a[i] -= cfg.learningRate() * (mm[i] / c1) / ((float) Math.sqrt(vv[i] / c2) + cfg.epsilon());
        }
    }

    @Override
    public void penalty(Storage w, long n, float l1, float l2, Storage out) {
        float[] a = f(w);
        float s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            s1 += Math.abs(a[i]);
            s2 += a[i] * a[i];
        }
        f(out)[0] = l1 * s1 + l2 / 2 * s2;
    }
}
