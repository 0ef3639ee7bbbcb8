package dev.kengine.conformance.example;

import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.op.Activation;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The heap example's ops. Arithmetic is plain float32 (IEEE, as the kit demands bit for bit); the
 * activations are evaluated in double and rounded once, the simplest way to stay within the kit's
 * tolerances, with the limits the {@link Activation} contract sets at ±∞.
 */
final class HeapDriver implements BackendDriver {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private final Capabilities capabilities;
    private final Binary broken;

    HeapDriver(Capabilities capabilities, Binary broken) {
        this.capabilities = capabilities;
        this.broken = broken;
    }

    /** A storage: a Java array, reclaimed by the garbage collector. */
    record Heap(float[] a) implements Storage {
        @Override
        public long size() {
            return a.length;
        }

        @Override
        public void release() {}

        @Override
        public boolean heapManaged() {
            return true;
        }
    }

    private static float[] f(Storage s) {
        return ((Heap) s).a();
    }

    @Override
    public String name() {
        return "heap";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public Storage allocate(long elements) {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new DeviceOutOfMemoryException("heap: " + elements + " floats do not fit in a Java array", elements * 4, null);
        }
        try {
            return new Heap(new float[(int) elements]);
        } catch (OutOfMemoryError e) {
            throw new DeviceOutOfMemoryException("heap: out of Java heap for " + elements + " floats", elements * 4, e);
        }
    }

    @Override
    public void write(Storage dst, long dstOffset, MemorySegment src, long count) {
        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, f(dst), (int) dstOffset, (int) count);
    }

    @Override
    public void read(Storage src, long srcOffset, MemorySegment dst, long count) {
        MemorySegment.copy(f(src), (int) srcOffset, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, (int) count);
    }

    @Override
    public void close() {}

    @Override
    public void fill(Storage x, long n, float value) {
        Arrays.fill(f(x), 0, (int) n, value);
    }

    @Override
    public void copy(Storage src, Storage dst, long n) {
        System.arraycopy(f(src), 0, f(dst), 0, (int) n);
    }

    @Override
    public void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        float[] x = f(a);
        float[] y = f(b);
        float[] o = f(out);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = (int) (r * cols + c);
                float v = y[broadcastRow ? c : i];
                float result = switch (op) {
                    case ADD -> x[i] + v;
                    case SUB -> x[i] - v;
                    case MUL -> x[i] * v;
                    case DIV -> x[i] / v;
                };
                o[i] = op == broken ? Math.nextUp(result) : result;
            }
        }
    }

    @Override
    public void scale(Storage x, float s, Storage out, long n) {
        float[] a = f(x);
        float[] o = f(out);
        for (int i = 0; i < n; i++) {
            o[i] = s * a[i];
        }
    }

    @Override
    public void axpy(float alpha, Storage x, Storage y, long n) {
        float[] a = f(x);
        float[] o = f(y);
        for (int i = 0; i < n; i++) {
            o[i] += alpha * a[i];
        }
    }

    @Override
    public void activation(Activation act, Storage x, Storage y, long n) {
        float[] in = f(x);
        float[] out = f(y);
        for (int i = 0; i < n; i++) {
            out[i] = (float) forward(act, in[i]);
        }
    }

    @Override
    public void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        float[] g = f(dy);
        float[] in = f(x);
        float[] out = f(y);
        float[] d = f(dx);
        for (int i = 0; i < n; i++) {
            d[i] = (float) backward(act, g[i], in[i], out[i]);
        }
    }

    static double forward(Activation act, double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = act.parameter();
        return switch (act.kind()) {
            case IDENTITY -> x;
            case SIGMOID -> sigmoid(x);
            case TANH -> Math.tanh(x);
            case RELU -> x > 0 ? x : 0.0; // RELU(−0) = +0
            case LEAKY_RELU -> x > 0 ? x : a * x;
            case ELU -> x > 0 ? x : a * Math.expm1(x);
            case SWISH -> {
                if (a == 0) {
                    yield x / 2;
                }
                double s = sigmoid(a * x);
                yield Double.isInfinite(x) && s == 0 ? 0.0 : x * s; // x·σ(βx) → +0 where σ → 0
            }
            case SOFTPLUS -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
            case GELU -> Double.isInfinite(x) ? (x > 0 ? x : -0.0) : x * phi(x); // −0 at −∞, the limit from below
            case GELU_TANH -> Double.isInfinite(x) ? (x > 0 ? x : -0.0) : x * sigmoid(2 * geluTanhInner(x));
        };
    }

    static double backward(Activation act, double dy, double x, double y) {
        if (act.kind() == Activation.Kind.IDENTITY) {
            return dy;
        }
        if (Double.isNaN(x) || Double.isNaN(dy)) {
            return Double.NaN;
        }
        double a = act.parameter();
        return switch (act.kind()) {
            case SIGMOID -> dy * (y * (1 - y)); // from the saved output, as the contract says
            case TANH -> dy * (1 - y * y);
            case RELU -> x > 0 ? dy : 0.0;
            case LEAKY_RELU -> x > 0 ? dy : a * dy;
            case ELU -> x > 0 ? dy : dy * a * Math.exp(x);
            case SWISH -> {
                if (a == 0) {
                    yield dy / 2;
                }
                double s = sigmoid(a * x);
                yield dy * (Double.isInfinite(x) ? s : s + a * x * s * (1 - s));
            }
            case SOFTPLUS -> dy * sigmoid(x);
            case GELU -> Double.isInfinite(x) ? (x > 0 ? dy : 0.0) : dy * (phi(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
            case GELU_TANH -> {
                if (Double.isInfinite(x)) {
                    yield x > 0 ? dy : 0.0;
                }
                double s = sigmoid(2 * geluTanhInner(x));
                double du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
                yield dy * (s + x * 2 * du * s * (1 - s));
            }
            case IDENTITY -> dy;
        };
    }

    private static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    private static double geluTanhInner(double x) {
        return SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    }

    /** Φ(x) = erfc(−x/√2)/2, keeping its relative accuracy in the lower tail. */
    private static double phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    /** erfc by the Chebyshev fit of Numerical Recipes (§6.2): relative error below 1.2e-7 everywhere. */
    private static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
