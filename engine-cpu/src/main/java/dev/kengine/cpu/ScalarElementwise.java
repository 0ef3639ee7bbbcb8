package dev.kengine.cpu;

import dev.kengine.Conversions;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;

/**
 * The plain-Java kernels: the fallback when the Vector API is absent or switched off, and the
 * reference the SIMD kernels are tested against. Transcendentals are evaluated in double and
 * rounded once to float.
 */
public final class ScalarElementwise implements Elementwise {
    public static final ScalarElementwise INSTANCE = new ScalarElementwise();

    /** √(2/π), the GELU tanh approximation's scale, in double (its float rounding would be 4e-8 off, which e^(2u) magnifies in the tail). */
    public static final double GELU_TANH_SCALE = 0.7978845608028654;
    /** The cubic term's factor in the GELU tanh approximation, in double as the formula writes it. */
    public static final double GELU_TANH_CUBIC = 0.044715;

    private ScalarElementwise() {}

    @Override
    public String description() {
        return "scalar";
    }

    @Override
    public int lanes() {
        return 1;
    }

    // ---- activations ------------------------------------------------------------------

    /** σ(x) by the e^−|x| form, which never overflows. */
    static float sigmoid(float x) {
        double e = Math.exp(-Math.abs((double) x));
        double r = 1.0 / (1.0 + e);
        return (float) (x < 0 ? e * r : r);
    }

    /** σ(x)·(1 − σ(x)) = e^−|x| / (1 + e^−|x|)², free of the cancellation in 1 − σ. */
    static double sigmoidSlope(double x) {
        double e = Math.exp(-Math.abs(x));
        double r = 1.0 / (1.0 + e);
        return e * r * r;
    }

    /** act(x) for one element. */
    public static float apply(Activation.Kind kind, float p, float x) {
        switch (kind) {
            case IDENTITY:
                return x;
            case SIGMOID:
                return sigmoid(x);
            case TANH:
                return (float) Math.tanh(x);
            case RELU:
                // Math.max gives +0 for −0 and keeps NaN, exactly the contract.
                return Math.max(x, 0f);
            case LEAKY_RELU:
                return x > 0f ? x : p * x;
            case ELU:
                return x > 0f ? x : (float) (p * Math.expm1(x));
            case SWISH: {
                // β = 0 makes βx = 0·∞ = NaN at x = ±∞; σ(0·x) is 1/2 for every x, so take βx = 0 there.
                float s = sigmoid(p == 0f ? 0f : p * x);
                // s = 0 only where βx → −∞; there x·s is 0 (or ∞·0 at x = ±∞), whose limit is +0.
                return s == 0f ? 0f : x * s;
            }
            case SOFTPLUS:
                return (float) (Math.max((double) x, 0.0) + Math.log1p(Math.exp(-Math.abs((double) x))));
            case GELU: {
                if (x == Float.NEGATIVE_INFINITY) {
                    return -0f; // x·Φ(x) < 0 for every x < 0, so its limit is −0 (∞·0 has no sign to keep)
                }
                return (float) (x * Gaussian.cdf(x));
            }
            case GELU_TANH: {
                double xd = x;
                double u = GELU_TANH_SCALE * (xd + GELU_TANH_CUBIC * xd * xd * xd);
                // (1 + tanh u)/2 = σ(2u): the sigmoid form keeps relative accuracy where tanh u → −1.
                double s = 1.0 / (1.0 + Math.exp(-2.0 * u));
                // s = 0 only far below 0, where x·s is −0 or (at −∞) ∞·0, whose limit from below is −0, as for GELU.
                return s == 0.0 ? -0f : (float) (xd * s);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /** act'(x)·dy for one element, y being act(x). */
    public static float derivative(Activation.Kind kind, float p, float dy, float x, float y) {
        switch (kind) {
            case IDENTITY:
                return dy;
            case SIGMOID:
                return dy * (y * (1f - y));
            case TANH:
                // (1 − y)(1 + y), not 1 − y·y: near saturation 1 − y is exact and keeps the slope's relative accuracy.
                return dy * ((1f - y) * (1f + y));
            case RELU:
                return x > 0f ? dy : (x <= 0f && dy == dy ? 0f : Float.NaN);
            case LEAKY_RELU:
                return x > 0f ? dy : (x <= 0f ? p * dy : Float.NaN);
            case ELU:
                // From x: α·eˣ keeps its digits where y + α would cancel (x ≪ 0).
                return x > 0f ? dy : dy * (float) (p * Math.exp(x));
            case SWISH: {
                double bx = p == 0f && x == x ? 0.0 : (double) p * x;
                double s = 1.0 / (1.0 + Math.exp(-bx));
                double slope = sigmoidSlope(bx);
                // Where σ'(βx) underflows (including βx = ±∞) the βx·σ' term's limit is 0, not ∞·0.
                double term = slope == 0.0 ? 0.0 : bx * slope;
                return (float) (dy * (s + term));
            }
            case SOFTPLUS:
                return dy * sigmoid(x);
            case GELU: {
                double xd = x;
                double cdf = Gaussian.cdf(xd);
                double pdf = Gaussian.pdf(xd);
                double term = pdf == 0.0 ? 0.0 : xd * pdf;
                return (float) (dy * (cdf + term));
            }
            case GELU_TANH: {
                double xd = x;
                double u2 = 2.0 * GELU_TANH_SCALE * (xd + GELU_TANH_CUBIC * xd * xd * xd);
                double s = 1.0 / (1.0 + Math.exp(-u2));
                double slope = sigmoidSlope(u2);
                double du2 = 2.0 * GELU_TANH_SCALE * (1.0 + 3.0 * GELU_TANH_CUBIC * xd * xd);
                double term = slope == 0.0 ? 0.0 : xd * slope * du2;
                return (float) (dy * (s + term));
            }
            default:
                throw new AssertionError(kind);
        }
    }

    @Override
    public void activation(Activation.Kind kind, float p, float[] x, int xOff, float[] y, int yOff, int n) {
        switch (kind) {
            case IDENTITY -> {
                if (x != y || xOff != yOff) {
                    System.arraycopy(x, xOff, y, yOff, n);
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = Math.max(x[xOff + i], 0f);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    y[yOff + i] = apply(kind, p, x[xOff + i]);
                }
            }
        }
    }

    @Override
    public void biasActivation(Activation.Kind kind, float p, float[] z, int zOff, float[] bias, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = bias == null ? z[zOff + i] : z[zOff + i] + bias[i];
            z[zOff + i] = v;
            y[yOff + i] = apply(kind, p, v);
        }
    }

    @Override
    public void activationBackward(Activation.Kind kind, float p, float[] dy, float[] x, float[] y, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = derivative(kind, p, dy[i], x[i], y[i]);
        }
    }

    // ---- arithmetic -------------------------------------------------------------------

    @Override
    public void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = a[aOff + i] + b[bOff + i];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = a[aOff + i] - b[bOff + i];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = a[aOff + i] * b[bOff + i];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    out[outOff + i] = a[aOff + i] / b[bOff + i];
                }
            }
        }
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = s * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public boolean allFinite(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) {
            if ((Float.floatToRawIntBits(x[off + i]) & 0x7F80_0000) == 0x7F80_0000) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean allFiniteHalf(boolean bf16, short[] h, int off, int n) {
        int exponent = bf16 ? 0x7F80 : 0x7C00;
        for (int i = 0; i < n; i++) {
            if ((h[off + i] & exponent) == exponent) {
                return false;
            }
        }
        return true;
    }

    // ---- softmax pieces ---------------------------------------------------------------

    @Override
    public double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - shift);
            if (y != null) {
                y[yOff + i] = e;
            }
            sum += e;
        }
        return sum;
    }

    @Override
    public void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (float) Math.exp(x[xOff + i] - shift) * factor;
        }
    }

    @Override
    public void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = (x[xOff + i] - a) - b;
        }
    }

    @Override
    public double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            s0 += (double) a[aOff + i] * b[bOff + i];
            s1 += (double) a[aOff + i + 1] * b[bOff + i + 1];
        }
        if (i < n) {
            s0 += (double) a[aOff + i] * b[bOff + i];
        }
        return s0 + s1;
    }

    @Override
    public void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n) {
        if (log) {
            for (int i = off; i < off + n; i++) {
                dx[i] = dy[i] - (float) Math.exp(y[i]) * s;
            }
        } else {
            for (int i = off; i < off + n; i++) {
                dx[i] = y[i] * (dy[i] - s);
            }
        }
    }

    // ---- losses -----------------------------------------------------------------------

    /** The loss of one element. */
    static double lossOf(Loss.Kind kind, float delta, float p, float t) {
        float d = p - t;
        return switch (kind) {
            case MSE -> (double) d * d;
            case MAE -> Math.abs(d);
            case HUBER -> Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs((double) d) - 0.5 * delta);
            case BINARY_CROSS_ENTROPY -> -(t * Math.max(Math.log(p), -100.0) + (1.0 - t) * Math.max(Math.log(1.0 - p), -100.0));
            case BINARY_CROSS_ENTROPY_WITH_LOGITS ->
                    Math.max((double) p, 0.0) - (double) p * t + Math.log1p(Math.exp(-Math.abs((double) p)));
        };
    }

    /**
     * (p − t)/max(p(1 − p), 10⁻¹²): the clamp keeps p = 0 and 1 finite; a p outside [0, 1], where the loss is NaN,
     * gives NaN too (the clamp would make it about ±10¹²).
     */
    private static float bceGradient(float p, float d) {
        double q = (double) p * (1.0 - p);
        return q < 0 ? Float.NaN : (float) ((double) d / Math.max(q, 1e-12));
    }

    /** ∂loss/∂p of one element. */
    static float gradientOf(Loss.Kind kind, float delta, float p, float t) {
        float d = p - t;
        return switch (kind) {
            case MSE -> 2f * d;
            case MAE -> Math.signum(d);
            case HUBER -> Math.abs(d) <= delta ? d : delta * Math.signum(d);
            case BINARY_CROSS_ENTROPY -> bceGradient(p, d);
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> bceLogitsGradient(p, t);
        };
    }

    /**
     * σ(p) − t as (1 − t)·σ(p) − t·σ(−p), each sigmoid from e^−|p|: for a confident logit of the right sign (t = 1,
     * p ≫ 0) σ(p) − t cancels to 0 from p ≈ 17 where the true gradient is −σ(−p) ≈ −e^−p, which this keeps.
     */
    static float bceLogitsGradient(float p, float t) {
        double e = Math.exp(-Math.abs((double) p));
        double r = 1.0 / (1.0 + e);
        double sp = p < 0 ? e * r : r;
        double sn = p < 0 ? r : e * r;
        return (float) ((1.0 - t) * sp - t * sn);
    }

    @Override
    public double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += lossOf(kind, delta, pred[i], target[i]);
            if (grad != null) {
                grad[i] = gradientOf(kind, delta, pred[i], target[i]) * gradScale;
            }
        }
        return sum;
    }

    // ---- optimisers -------------------------------------------------------------------

    @Override
    public void sgd(float[] w, float[] g, int gOff, float[] velocity, float lr, float momentum, boolean nesterov,
                    float l2, float l1, int from, int to) {
        sgdHalf(w, g, null, false, gOff, velocity, lr, momentum, nesterov, l2, l1, null, false, from, to);
    }

    /**
     * β·a + (1 − β)·b with both products exact (the fma gives each one's rounding error): the sum of the rounded
     * products, then of their errors, so within about half an ulp even where the two products cancel, as Adam's
     * first moment does when the gradient changes sign (583 ulp for the plain form there, 222 for PyTorch's). Where
     * the sum is not finite (a product overflowed, or an input is ±∞ or NaN) it is the result: the errors of an
     * infinite product are ∞ − ∞, which would turn an infinite moment into NaN.
     */
    static float blend(float beta, float a, float oneMinusBeta, float b) {
        float p = beta * a;
        float q = oneMinusBeta * b;
        float sum = p + q;
        return Float.isFinite(sum) ? sum + (Math.fma(beta, a, -p) + Math.fma(oneMinusBeta, b, -q)) : sum;
    }

    @Override
    public void adam(float[] w, float[] g, int gOff, float[] m, float[] v, float lr, float beta1, float beta2,
                     float epsilon, float weightDecay, boolean decoupled, float c1, float c2, int from, int to) {
        adamHalf(w, g, null, false, gOff, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1, c2, null, false,
                from, to);
    }

    @Override
    public void sgdHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] velocity, float lr,
                        float momentum, boolean nesterov, float l2, float l1, short[] out, boolean outBf16, int from,
                        int to) {
        int shift = gOff - from;
        for (int i = from; i < to; i++) {
            float wi = w[i];
            float g0 = gh == null ? g[i + shift]
                    : gBf16 ? Conversions.fromBFloat16(gh[i + shift]) : Conversions.fromFloat16(gh[i + shift]);
            // Every multiply-add fused, as PyTorch's kernels do: w − lr·step as one rounding rather than two (33 ulp
            // of a small w against 0.5 where lr·step and w nearly cancel).
            float step = Math.fma(l2, wi, g0) + l1 * Math.signum(wi);
            if (velocity != null) {
                float v = Math.fma(momentum, velocity[i], step);
                velocity[i] = v;
                step = nesterov ? Math.fma(momentum, v, step) : v;
            }
            float r = Math.fma(-lr, step, wi);
            w[i] = r;
            if (out != null) {
                out[i] = outBf16 ? Conversions.toBFloat16(r) : Conversions.toFloat16(r);
            }
        }
    }

    @Override
    public void adamHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] m, float[] v, float lr,
                         float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled, float c1,
                         float c2, short[] out, boolean outBf16, int from, int to) {
        float oneMinusBeta1 = 1f - beta1;
        float oneMinusBeta2 = 1f - beta2;
        float step = lr * c1;
        float decay = lr * weightDecay;
        int shift = gOff - from;
        for (int i = from; i < to; i++) {
            float wi = w[i];
            float g0 = gh == null ? g[i + shift]
                    : gBf16 ? Conversions.fromBFloat16(gh[i + shift]) : Conversions.fromFloat16(gh[i + shift]);
            float gi = decoupled ? g0 : Math.fma(weightDecay, wi, g0);
            float mi = blend(beta1, m[i], oneMinusBeta1, gi);
            // g² is rounded once before its blend; the moment is within about an ulp (PyTorch's addcmul rounds it too).
            float vi = blend(beta2, v[i], oneMinusBeta2, gi * gi);
            m[i] = mi;
            v[i] = vi;
            if (decoupled) {
                wi = Math.fma(-decay, wi, wi);
            }
            // w − (lr·c1)·m/(√(v·c2) + ε), the last multiply-subtract fused.
            float r = Math.fma(-step, mi / ((float) Math.sqrt(vi * c2) + epsilon), wi);
            w[i] = r;
            if (out != null) {
                out[i] = outBf16 ? Conversions.toBFloat16(r) : Conversions.toFloat16(r);
            }
        }
    }

    // ---- dropout and initialisation ---------------------------------------------------

    @Override
    public void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, long first,
                        int from, int to) {
        CounterRandomKernels.dropout(x, y, mask, null, p, scale, seed, offset, first, from, to);
    }

    @Override
    public void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = dy[i] * (mask[i] != 0f ? scale : 0f);
        }
    }

    @Override
    public void dropoutBytes(float[] x, float[] y, byte[] mask, float p, float scale, long seed, long offset, long first,
                             int from, int to) {
        CounterRandomKernels.dropout(x, y, null, mask, p, scale, seed, offset, first, from, to);
    }

    @Override
    public void dropoutBackwardBytes(float scale, float[] dy, byte[] mask, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) {
            dx[i] = dy[i] * (mask[i] != 0 ? scale : 0f);
        }
    }

    @Override
    public void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        CounterRandomKernels.uniform(a, seed, offset, lo, hi, from, to);
    }

    @Override
    public void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        CounterRandomKernels.normal(a, seed, offset, mean, std, from, to);
    }
}
