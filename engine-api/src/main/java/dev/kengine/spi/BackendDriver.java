package dev.kengine.spi;

import dev.kengine.UnsupportedOpException;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Loss;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import java.lang.foreign.MemorySegment;

/**
 * What a backend implements. The facade ({@link dev.kengine.Backend}) has already checked every
 * argument: storages belong to this driver, are open and large enough, sizes are consistent and
 * within range, parameters are valid. A driver therefore computes; it does not validate. Element
 * counts and dimensions are {@code long}; a driver that cannot address that many elements rejects
 * the allocation, not the op.
 *
 * <p>Outputs are written into storages the facade allocated. Unless an op says otherwise, an output
 * may be the same storage as an input of the same size (elementwise ops run in place); for matmul,
 * linear and reductions it never is. Ops may run asynchronously; {@link #read} and
 * {@link #synchronize} wait for everything enqueued before them.
 *
 * <p>An op a driver does not implement keeps the default, which throws
 * {@link UnsupportedOpException}; it must also be left out of
 * {@link Capabilities#supportedOps()}, so the facade reports it before any work starts.
 */
public interface BackendDriver extends AutoCloseable {

    /** The backend's name, as its provider gives it. */
    String name();

    Capabilities capabilities();

    /**
     * Allocates {@code elements} float32 elements, contents undefined.
     *
     * @throws dev.kengine.DeviceOutOfMemoryException when they do not fit; the driver stays usable
     */
    Storage allocate(long elements);

    /**
     * Copies {@code count} native-order floats from {@code src} into {@code dst} from element
     * {@code dstOffset}. The segment may be heap or native, of any backing array type, and need not
     * be aligned to 4 bytes.
     */
    void write(Storage dst, long dstOffset, MemorySegment src, long count);

    /** Copies {@code count} floats from element {@code srcOffset} of {@code src} into {@code dst} (native order), waiting for pending work. */
    void read(Storage src, long srcOffset, MemorySegment dst, long count);

    /** Waits until every enqueued op has finished. */
    default void synchronize() {}

    /** Releases the driver's own resources; storages were released before. */
    @Override
    void close();

    // ---- basics -------------------------------------------------------------------------

    default void fill(Storage x, long n, float value) {
        throw unsupported(Op.FILL);
    }

    default void copy(Storage src, Storage dst, long n) {
        throw unsupported(Op.COPY);
    }

    /** The elementwise binary operations. */
    enum Binary { ADD, SUB, MUL, DIV }

    /**
     * out[r, c] = a[r, c] ∘ b[r, c], or ∘ b[c] when {@code broadcastRow}; a and out are
     * {@code [rows, cols]}. out may alias a.
     */
    default void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        throw unsupported(Op.valueOf(op.name()));
    }

    /** out = s · x. out may alias x. */
    default void scale(Storage x, float s, Storage out, long n) {
        throw unsupported(Op.SCALE);
    }

    /** y = y + alpha · x. */
    default void axpy(float alpha, Storage x, Storage y, long n) {
        throw unsupported(Op.AXPY);
    }

    /**
     * Sum (or mean when {@code mean}) over the middle axis of x viewed as {@code [outer, axis, inner]}
     * into out {@code [outer, inner]}. An empty axis sums to 0 (its mean is NaN).
     */
    default void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        throw unsupported(mean ? Op.MEAN : Op.SUM);
    }

    /** out[0] = √Σx², without overflow or underflow for any finite x. */
    default void l2Norm(Storage x, long n, Storage out) {
        throw unsupported(Op.L2_NORM);
    }

    /** out[r] = max over c of x[r, c]; NaN if the row holds a NaN; −∞ for an empty row. */
    default void max(Storage x, Storage out, long rows, long cols) {
        throw unsupported(Op.MAX);
    }

    /** out[r] = the first index of the row maximum (the first NaN if any); −1 for an empty row. */
    default void argmax(Storage x, int[] out, long rows, long cols) {
        throw unsupported(Op.ARGMAX);
    }

    // ---- matmul and linear -------------------------------------------------------------

    /**
     * For each batch index i: C_i = alpha · op(A_i) · op(B_i) + beta · C_i, op(A_i) being
     * {@code [m, k]} and op(B_i) {@code [k, n]}, row-major and contiguous; A_i starts at element
     * i·strideA (0 to share one matrix across the batch), likewise B and C. With beta = 0, C is
     * not read (NaN in C does not propagate).
     */
    default void matmul(Storage a, boolean transA, Storage b, boolean transB, Storage c,
                        long batch, long m, long n, long k, float alpha, float beta,
                        long strideA, long strideB, long strideC) {
        throw unsupported(Op.MATMUL);
    }

    /**
     * z = x·w + bias (bias broadcast over rows, null for none), y = act(z); x {@code [rows, in]},
     * w {@code [in, out]}, z and y {@code [rows, out]}. The default composes matmul, binary and
     * activation; a backend overrides it with a fused kernel.
     */
    default void linear(Storage x, Storage w, Storage bias, Storage z, Storage y,
                        long rows, long in, long out, Activation act) {
        matmul(x, false, w, false, z, 1, rows, out, in, 1f, 0f, 0, 0, 0);
        if (bias != null) {
            binary(Binary.ADD, z, bias, z, rows, out, true);
        }
        activation(act, z, y, rows * out);
    }

    /**
     * From dy = ∂L/∂y: dz = act'(z) ⊙ dy, dx = dz·wᵀ (skipped when dx is null: a first layer needs
     * no input gradient), dw = xᵀ·dz, db = Σ_rows dz (skipped when db is null). The default composes
     * activationBackward, matmul and reduce.
     */
    default void linearBackward(Storage dy, Storage x, Storage w, Storage z, Storage y,
                                Storage dx, Storage dw, Storage db, long rows, long in, long out, Activation act) {
        Storage dz = allocate(rows * out);
        try {
            activationBackward(act, dy, z, y, dz, rows * out);
            if (dx != null) {
                matmul(dz, false, w, true, dx, 1, rows, in, out, 1f, 0f, 0, 0, 0);
            }
            matmul(x, true, dz, false, dw, 1, in, out, rows, 1f, 0f, 0, 0, 0);
            if (db != null) {
                reduce(dz, db, 1, rows, out, false);
            }
        } finally {
            synchronize();
            dz.release();
        }
    }

    // ---- activations ------------------------------------------------------------------

    /** y = act(x) elementwise (see {@link Activation}). y may alias x. */
    default void activation(Activation act, Storage x, Storage y, long n) {
        throw unsupported(Op.ACTIVATION);
    }

    /** dx = act'(x) ⊙ dy, given x and the forward output y. dx may alias dy. */
    default void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        throw unsupported(Op.ACTIVATION_BACKWARD);
    }

    /** PReLU over x viewed as {@code [outer, channels, inner]}: y = x if x &gt; 0 else alpha[c]·x (alpha has {@code channels} elements). */
    default void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        throw unsupported(Op.PRELU);
    }

    /** dx = dy if x &gt; 0 else alpha[c]·dy; dAlpha[c] = Σ over x ≤ 0 in channel c of dy·x. */
    default void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha,
                               long outer, long channels, long inner) {
        throw unsupported(Op.PRELU_BACKWARD);
    }

    /**
     * Softmax (or log-softmax) of each row of {@code [rows, cols]}, by the max-shifted form; a row
     * holding NaN or +∞, or only −∞, comes out all NaN.
     */
    default void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        throw unsupported(log ? Op.LOG_SOFTMAX : Op.SOFTMAX);
    }

    /**
     * From the forward output y: softmax dx = y ⊙ (dy − Σ_row dy·y); log-softmax
     * dx = dy − exp(y)·Σ_row dy.
     */
    default void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        throw unsupported(log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD);
    }

    // ---- losses -----------------------------------------------------------------------

    /**
     * The loss (see {@link Loss}) of n elements into {@code loss[0]} and/or its gradient with respect
     * to {@code pred} into {@code grad}; either output may be null.
     */
    default void loss(Loss loss, Reduction reduction, Storage pred, Storage target, Storage lossOut, Storage grad, long n) {
        throw unsupported(lossOut != null ? Op.LOSS : Op.LOSS_BACKWARD);
    }

    /**
     * Softmax cross-entropy of logits {@code [rows, cols]} against integer labels (one per row, in
     * [0, cols), already checked) or against probability targets {@code [rows, cols]}; exactly one of
     * {@code labels}, {@code targets} is non-null. Row loss: logsumexp(x) − x[label], or
     * Σ_c t_c·(logsumexp(x) − x_c). Gradient: softmax(x)·Σ_c t_c − t (the one-hot for labels). MEAN
     * divides by rows. Either output may be null.
     */
    default void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction,
                                     Storage lossOut, Storage grad, long rows, long cols) {
        throw unsupported(Op.SOFTMAX_CROSS_ENTROPY);
    }

    // ---- dropout and initialisation ------------------------------------------------------

    /** Inverted dropout, exactly as {@link dev.kengine.random.CounterRandom} specifies; mask gets 1.0f or 0.0f. */
    default void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        throw unsupported(Op.DROPOUT);
    }

    /** dx = dy · (mask ≠ 0 ? scale : 0), scale = CounterRandom.dropoutScale(p). */
    default void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        throw unsupported(Op.DROPOUT_BACKWARD);
    }

    /** Uniform initial values, bit-exact per {@link dev.kengine.random.CounterRandom}. */
    default void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        throw unsupported(Op.INIT_UNIFORM);
    }

    /** Normal initial values, bit-exact per {@link dev.kengine.random.CounterRandom}. */
    default void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        throw unsupported(Op.INIT_NORMAL);
    }

    // ---- optimisers ---------------------------------------------------------------------

    /** One SGD step in place (see {@link SgdConfig}); velocity is null when momentum is 0. */
    default void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig config) {
        throw unsupported(Op.SGD_STEP);
    }

    /** One Adam/AdamW step in place (see {@link AdamConfig}) at step t ≥ 1. */
    default void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig config, long step) {
        throw unsupported(Op.ADAM_STEP);
    }

    /** out[0] = l1·Σ|w| + l2/2·Σw². */
    default void penalty(Storage w, long n, float l1, float l2, Storage out) {
        throw unsupported(Op.PENALTY);
    }

    /** An {@link UnsupportedOpException} for {@code op} naming this backend. */
    default UnsupportedOpException unsupported(Op op) {
        return new UnsupportedOpException(op, "backend '" + name() + "' does not implement " + op);
    }
}
