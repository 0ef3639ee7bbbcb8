package dev.kengine.cpu;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;

/**
 * The CPU backend's elementwise and row kernels over ranges of {@code float[]}, implemented once
 * with plain scalar Java ({@link ScalarElementwise}) and once with the Vector API (in package
 * {@code dev.kengine.cpu.simd}). The driver splits work across threads and calls these on one
 * range at a time; implementations never allocate and never validate.
 *
 * <p>Both implementations follow the same formulas, so they agree to within a few float ulps
 * (the SIMD exp and expm1 are faithfully rounded or within 2 ulp, tanh within 2.5 ulp, log about 1 ulp); sums are
 * accumulated in double in both.
 */
public interface Elementwise {

    /** What this implementation is, for people: "scalar" or the vector shape. */
    String description();

    /** Floats per vector (1 for scalar); thread ranges are aligned to it. */
    int lanes();

    /**
     * dst[dOff + i] = the float value of the half-precision bits src[sOff + i] (exact), for i in [0, n).
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void widen(boolean bf16, short[] src, int sOff, float[] dst, int dOff, int n) {
        if (bf16) {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = Float.intBitsToFloat(src[sOff + i] << 16);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = dev.kengine.Conversions.fromFloat16(src[sOff + i]);
            }
        }
    }

    /**
     * dst[dOff + i] = src[sOff + i] rounded to half precision by {@link dev.kengine.Conversions}, for i in [0, n).
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void narrow(boolean bf16, float[] src, int sOff, short[] dst, int dOff, int n) {
        if (bf16) {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = dev.kengine.Conversions.toBFloat16(src[sOff + i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = dev.kengine.Conversions.toFloat16(src[sOff + i]);
            }
        }
    }

    /**
     * y[yOff + i] = act(x[xOff + i]) on half-precision bits, for i in [0, n): each element widened exactly, the
     * float32 kernel of {@link #activation} applied, and the result rounded once by {@link dev.kengine.Conversions},
     * so that the bits are those of widening, {@link #activation} and {@link #narrow} in turn. The default does
     * exactly that through float scratch in blocks that stay in L1 ({@link HalfBlocks}); an implementation may
     * convert in registers instead but must give the same bits.
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void halfActivation(boolean bf16, Activation.Kind kind, float parameter, short[] x, int xOff, short[] y,
                                int yOff, int n) {
        HalfBlocks.activation(this, bf16, kind, parameter, x, xOff, y, yOff, n);
    }

    /**
     * dx[i] = act'(x[i]) · dy[i] on half-precision bits, for i in [from, to): the bits of widening dy, x and y,
     * {@link #activationBackward} and {@link #narrow} in turn (see {@link #halfActivation}).
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void halfActivationBackward(boolean bf16, Activation.Kind kind, float parameter, short[] dy, short[] x,
                                        short[] y, short[] dx, int from, int to) {
        HalfBlocks.activationBackward(this, bf16, kind, parameter, dy, x, y, dx, from, to);
    }

    /** y[yOff + i] = act(x[xOff + i]) for i in [0, n). */
    void activation(Activation.Kind kind, float parameter, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * z[zOff + i] += bias[i] (skipped when bias is null), then y[yOff + i] = act(z[zOff + i]), in one
     * pass: the epilogue of the fused linear layer.
     */
    void biasActivation(Activation.Kind kind, float parameter, float[] z, int zOff, float[] bias, float[] y, int yOff, int n);

    /** dx[i] = act'(x[i]) · dy[i] for i in [from, to), using y[i] = act(x[i]) where the formula does. */
    void activationBackward(Activation.Kind kind, float parameter, float[] dy, float[] x, float[] y, float[] dx, int from, int to);

    /** out[outOff + i] = a[aOff + i] ∘ b[bOff + i]. */
    void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /**
     * {@link #binary} on half-precision bits of one type: each element widened exactly, the float32 operation, one
     * rounding by {@link dev.kengine.Conversions}. The default runs blocks widened into L1.
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void halfBinary(Binary op, boolean bf16, short[] a, int aOff, short[] b, int bOff, short[] out, int outOff,
                            int n) {
        HalfBlocks.binary(this, op, bf16, a, aOff, b, bOff, out, outOff, n);
    }

    /**
     * {@link #scale} on half-precision bits: each element widened exactly, multiplied in float32, rounded once. The
     * default runs blocks widened into L1.
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void halfScale(float s, boolean bf16, short[] x, int xOff, short[] out, int outOff, int n) {
        HalfBlocks.scale(this, s, bf16, x, xOff, out, outOff, n);
    }

    /** out[outOff + i] = s · x[xOff + i]. */
    void scale(float s, float[] x, int xOff, float[] out, int outOff, int n);

    /** y[yOff + i] += alpha · x[xOff + i]. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** The maximum of n elements (NaN if any is NaN, −∞ when n = 0). */
    float max(float[] x, int off, int n);

    /** Whether x[off, off + n) holds no ±∞ and no NaN. */
    boolean allFinite(float[] x, int off, int n);

    /**
     * Whether the half-precision bits h[off, off + n) hold no ±∞ and no NaN: no exponent field of all ones (0x7F80
     * in bfloat16, 0x7C00 in float16).
     *
     * @param bf16 true for bfloat16, false for float16
     */
    boolean allFiniteHalf(boolean bf16, short[] h, int off, int n);

    /** Σ exp(x[xOff + i] − shift) accumulated in double; when y is non-null each term is also stored at y[yOff + i]. */
    double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n);

    /**
     * Softmax cross-entropy with integer labels over rows [r0, r1) of width c: for each row r,
     * rowLoss[r] = (max − x[label]) + ln Σ exp(x − max) (when rowLoss is non-null) and, when g is non-null,
     * g = exp(x − max) · (gradScale / Σ) with gradScale subtracted at the label. The default composes
     * {@link #max}, {@link #expSum} and {@link #scale}; an implementation may fuse the passes but must give
     * the same bits.
     */
    default void softmaxCrossEntropyLabelRows(float[] x, int[] labels, float[] g, double gradScale, double[] rowLoss,
                                              int r0, int r1, int c) {
        for (int r = r0; r < r1; r++) {
            int off = r * c;
            float m = max(x, off, c);
            int label = labels[r];
            float atLabel = x[off + label];
            double s = expSum(x, off, m, g, off, c);
            if (rowLoss != null) {
                rowLoss[r] = ((double) m - atLabel) + Math.log(s);
            }
            if (g != null) {
                scale((float) (gradScale / s), g, off, g, off, c);
                g[off + label] -= (float) gradScale;
            }
        }
    }

    /** y[yOff + i] = exp(x[xOff + i] − shift) · factor. */
    void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n);

    /** y[yOff + i] = (x[xOff + i] − a) − b, the last step of log-softmax. */
    void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n);

    /** Σ a[aOff + i] · b[bOff + i] accumulated in double. */
    double dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * One row of the softmax gradient from the forward output y: dx = y ⊙ (dy − s) for softmax,
     * dx = dy − exp(y) · s for log-softmax, s being the row's Σ dy·y (softmax) or Σ dy (log-softmax).
     */
    void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n);

    /**
     * The elementwise loss over [from, to): returns Σ loss accumulated in double, and when grad is
     * non-null writes ∂loss/∂pred · gradScale into it.
     */
    double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale, int from, int to);

    /**
     * One SGD step over [from, to) (see {@link dev.kengine.op.SgdConfig}); velocity is null when momentum is 0. The
     * gradient of w[i] is g[gOff + i − from] (gOff = from when g is laid out as w; 0 for a chunk's scratch).
     */
    void sgd(float[] w, float[] g, int gOff, float[] velocity, float lr, float momentum, boolean nesterov, float l2,
             float l1, int from, int to);

    /**
     * One Adam step over [from, to) (see {@link dev.kengine.op.AdamConfig}); c1 = 1/(1 − β1ᵗ) and
     * c2 = 1/(1 − β2ᵗ) come from double-precision bias corrections. The gradient of w[i] is g[gOff + i − from], as
     * in {@link #sgd}.
     */
    void adam(float[] w, float[] g, int gOff, float[] m, float[] v, float lr, float beta1, float beta2, float epsilon,
              float weightDecay, boolean decoupled, float c1, float c2, int from, int to);

    /** {@link #sgd} in mixed precision, in one loop, as {@link #adamHalf} is for Adam. */
    void sgdHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] velocity, float lr, float momentum,
                 boolean nesterov, float l2, float l1, short[] out, boolean outBf16, int from, int to);

    /**
     * {@link #adam} in mixed precision, in one loop: the gradient from {@code gh} (bfloat16 when {@code gBf16}, else
     * float16) at {@code gOff + i − from} when it is not null, else from {@code g} as in {@link #adam}; and, when
     * {@code out} is not null, w[i]'s new value rounded to bfloat16 ({@code outBf16}) or float16 by
     * {@link dev.kengine.Conversions} into out[i]. Bit for bit {@link #widen}, {@link #adam}, {@link #narrow}.
     */
    void adamHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] m, float[] v, float lr,
                  float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled, float c1, float c2,
                  short[] out, boolean outBf16, int from, int to);

    /**
     * Inverted dropout of elements [from, to), bit-identical to {@link dev.kengine.random.CounterRandom}:
     * y[i] = x[i] · (keep ? scale : 0), mask[i] = keep ? 1 : 0, where keep is that of element {@code first + i} of
     * the tensor: the arrays may be a block of it copied to scratch from element {@code first}, a multiple of
     * {@link dev.kengine.cpu.simd.VectorRandom#DROPOUT_BLOCK} (0 when they are the tensor's own arrays), with
     * {@code first + to} at most 2³¹ (a CPU tensor is one Java array).
     */
    void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, long first, int from,
                 int to);

    /** dx[i] = dy[i] · (mask[i] ≠ 0 ? scale : 0) for i in [from, to). */
    void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to);

    /** {@link #dropout} with a UINT8 mask: mask[i] = keep ? 1 : 0, one byte an element. */
    void dropoutBytes(float[] x, float[] y, byte[] mask, float p, float scale, long seed, long offset, long first,
                      int from, int to);

    /**
     * {@link #dropout} (a float mask) or {@link #dropoutBytes} (a UINT8 mask, where {@code mask} is null) on
     * half-precision x and y of one type, elements [from, to) of the tensors' own arrays, from a multiple of 64:
     * each x widened exactly, multiplied by keep ? scale : 0 in float32 and rounded once by
     * {@link dev.kengine.Conversions}, so the bits of widening, dropout and narrowing in turn. The default runs
     * blocks widened into L1.
     *
     * @param bf16 true for bfloat16, false for float16
     */
    default void halfDropout(boolean bf16, short[] x, short[] y, float[] mask, byte[] bytes, float p, float scale,
                             long seed, long offset, int from, int to) {
        HalfBlocks.dropout(this, bf16, x, y, mask, bytes, p, scale, seed, offset, from, to);
    }

    /** {@link #dropoutBackward} with a UINT8 mask: dx[i] = dy[i] · (mask[i] ≠ 0 ? scale : 0). */
    void dropoutBackwardBytes(float scale, float[] dy, byte[] mask, float[] dx, int from, int to);

    /** a[i] = CounterRandom.uniform(seed, offset, i, lo, hi) for i in [from, to). */
    void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to);

    /** a[i] = CounterRandom.normal(seed, offset, i, mean, std) for i in [from, to). */
    void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to);
}
