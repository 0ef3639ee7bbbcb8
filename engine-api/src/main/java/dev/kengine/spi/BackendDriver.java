package dev.kengine.spi;

import dev.kengine.DType;
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
 *
 * <p>Threads: the facade does not serialise calls. Several threads may call a driver at once, on
 * different storages or reading the same ones; a driver must be safe under that (a device driver
 * typically enqueues everything on one in-order queue or stream). The facade never frees a storage
 * while an op that uses it runs, and calls {@link #close()} only after every call has returned.
 *
 * <p>Errors: a driver reports failures only with the engine's exceptions:
 * {@link dev.kengine.DeviceOutOfMemoryException} when memory runs out,
 * {@link dev.kengine.DeviceException} for any other device or driver error, and
 * {@link dev.kengine.KernelCompilationException} when a kernel does not compile (which may happen
 * at an op's first use). Counts and dimensions are element counts; the facade has checked them.
 */
public interface BackendDriver extends AutoCloseable {

    /**
     * The backend's name, as its provider gives it.
     *
     * @return the name, such as {@code cpu}; constant
     */
    String name();

    /**
     * What this driver offers. The facade reads it once, when the backend opens, and rejects every op
     * outside {@link Capabilities#supportedOps()} before calling the driver.
     *
     * @return the capabilities, not null
     */
    Capabilities capabilities();

    /**
     * Allocates {@code elements} float32 elements, contents undefined.
     *
     * @param elements the element count, ≥ 0 (0 for an empty tensor)
     * @return a new storage of this driver, released by the facade exactly once
     * @throws dev.kengine.DeviceOutOfMemoryException when they do not fit; the driver stays usable
     */
    Storage allocate(long elements);

    /**
     * Allocates {@code elements} elements of {@code dtype}, contents undefined. The storage remembers its
     * dtype: {@link #write}, {@link #read}, {@link #copy} and {@link #fillBits} count in its elements.
     * The default serves {@link DType#FLOAT32} through {@link #allocate(long)} and rejects the rest; a
     * driver that lists more dtypes in {@link Capabilities#dtypes()} overrides it.
     *
     * @param elements the element count, ≥ 0
     * @param dtype one of the driver's {@link Capabilities#dtypes()}
     * @return a new storage of this driver, released by the facade exactly once
     * @throws dev.kengine.DeviceOutOfMemoryException when they do not fit
     */
    default Storage allocate(long elements, DType dtype) {
        if (dtype == DType.FLOAT32) {
            return allocate(elements);
        }
        throw new UnsupportedOpException(Op.UPLOAD, dtype, "backend '" + name() + "' does not store " + dtype);
    }

    /**
     * Copies {@code count} native-order elements (floats for a float32 storage; the raw bits of the
     * storage's dtype otherwise, so 2 bytes each for the half types) from {@code src} into {@code dst}
     * from element {@code dstOffset}. The segment may be heap or native, of any backing array type, and need not
     * be aligned to 4 bytes. Returns only once {@code src} has been read, so the caller may then change
     * or free it.
     *
     * @param dst a storage of this driver with at least {@code dstOffset + count} elements
     * @param dstOffset the first element written, ≥ 0
     * @param src at least {@code count} elements' bytes; its arena may be closed by another thread meanwhile,
     *     which makes the segment access throw {@link IllegalStateException} (let it propagate: the
     *     facade reports it as an {@link dev.kengine.InvalidArgumentException})
     * @param count the number of elements of the storage's dtype, ≥ 0
     * @throws dev.kengine.DeviceException when the device fails
     */
    void write(Storage dst, long dstOffset, MemorySegment src, long count);

    /**
     * Copies {@code count} elements (raw native-order bits of the storage's dtype) from element
     * {@code srcOffset} of {@code src} into {@code dst}, waiting for pending work.
     *
     * @param src a storage of this driver with at least {@code srcOffset + count} elements
     * @param srcOffset the first element read, ≥ 0
     * @param dst at least {@code count} elements' writable bytes, heap or native, perhaps unaligned; a closed
     *     arena surfaces as {@link IllegalStateException}, as for {@link #write}
     * @param count the number of elements of the storage's dtype, ≥ 0
     * @throws dev.kengine.DeviceException when the device fails, now or in the pending work
     */
    void read(Storage src, long srcOffset, MemorySegment dst, long count);

    /**
     * Waits until every enqueued op has finished. The default does nothing, for drivers whose ops
     * finish before they return.
     *
     * @throws dev.kengine.DeviceException when the device reports an error of the pending work
     */
    default void synchronize() {}

    /**
     * Releases the driver's own resources; storages were released before. Called once, after every
     * call on the driver has returned.
     */
    @Override
    void close();

    // ---- basics -------------------------------------------------------------------------

    /**
     * x[i] = value for the first n elements.
     *
     * @param x the storage written
     * @param n the element count
     * @param value the value; any float
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void fill(Storage x, long n, float value) {
        throw unsupported(Op.FILL);
    }

    /**
     * dst[i] = src[i] for the first n elements (of the storages' dtype, the same for both); src and dst
     * are different storages.
     *
     * @param src the storage read
     * @param dst the storage written
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void copy(Storage src, Storage dst, long n) {
        throw unsupported(Op.COPY);
    }

    /**
     * Sets the first n elements of a storage of any dtype to one raw bit pattern (the facade has
     * converted the value by {@link dev.kengine.Conversions}). The default serves float32 storages
     * through {@link #fill}.
     *
     * @param x the storage written
     * @param dtype the storage's dtype
     * @param n the element count
     * @param bits the pattern, in the low {@code 8·dtype.byteSize()} bits
     * @throws UnsupportedOpException if the driver does not override it and the dtype is not float32
     */
    default void fillBits(Storage x, DType dtype, long n, int bits) {
        if (dtype != DType.FLOAT32) {
            throw unsupported(Op.FILL);
        }
        fill(x, n, Float.intBitsToFloat(bits));
    }

    /**
     * dst[i] = src[i] converted from {@code from} to {@code to} for the first n elements, bit for bit
     * by the rules of {@link dev.kengine.Conversions}; from ≠ to.
     *
     * @param src the storage read, of dtype {@code from}
     * @param from the source dtype
     * @param dst the storage written, of dtype {@code to}
     * @param to the destination dtype
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void cast(Storage src, DType from, Storage dst, DType to, long n) {
        throw unsupported(Op.CAST);
    }

    /** The elementwise binary operations. */
    enum Binary {
        /** a + b. */
        ADD,
        /** a − b. */
        SUB,
        /** a · b. */
        MUL,
        /** a / b, IEEE division. */
        DIV
    }

    /**
     * out[r, c] = a[r, c] ∘ b[r, c], or ∘ b[c] when {@code broadcastRow}; a and out are
     * {@code [rows, cols]}. out may alias a, and b when b is not a broadcast row.
     *
     * @param op the operation ∘
     * @param a the left operand, {@code [rows, cols]}
     * @param b the right operand, {@code [rows, cols]}, or {@code [cols]} when {@code broadcastRow}
     * @param out the result, {@code [rows, cols]}
     * @param rows the number of rows, ≥ 1 (the product of every dimension but the last)
     * @param cols the row length, ≥ 1
     * @param broadcastRow whether b is one row applied to every row of a
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void binary(Binary op, Storage a, Storage b, Storage out, long rows, long cols, boolean broadcastRow) {
        throw unsupported(Op.valueOf(op.name()));
    }

    /**
     * out = s · x. out may alias x.
     *
     * @param x the input
     * @param s the factor; any float
     * @param out the result
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void scale(Storage x, float s, Storage out, long n) {
        throw unsupported(Op.SCALE);
    }

    /**
     * y = y + alpha · x. y may alias x.
     *
     * @param alpha the factor of x; any float
     * @param x the tensor added
     * @param y the tensor updated in place
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void axpy(float alpha, Storage x, Storage y, long n) {
        throw unsupported(Op.AXPY);
    }

    /**
     * Sum (or mean when {@code mean}) over the middle axis of x viewed as {@code [outer, axis, inner]}
     * into out {@code [outer, inner]}. An empty axis sums to 0 (its mean is NaN).
     *
     * @param x the input, {@code outer·axis·inner} elements
     * @param out the result, {@code outer·inner} elements, at least 1
     * @param outer the product of the dimensions before the reduced axis
     * @param axis the length of the reduced axis, ≥ 0
     * @param inner the product of the dimensions after the reduced axis
     * @param mean whether to divide the sums by {@code axis}
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void reduce(Storage x, Storage out, long outer, long axis, long inner, boolean mean) {
        throw unsupported(mean ? Op.MEAN : Op.SUM);
    }

    /**
     * out[0] = √Σx², without overflow or underflow for any finite x.
     *
     * @param x the input
     * @param n the element count, ≥ 0 (0 gives 0)
     * @param out the result, one element
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void l2Norm(Storage x, long n, Storage out) {
        throw unsupported(Op.L2_NORM);
    }

    /**
     * out[r] = max over c of x[r, c]; NaN if the row holds a NaN; −∞ for an empty row.
     *
     * @param x the input, {@code [rows, cols]}
     * @param out the result, {@code rows} elements
     * @param rows the number of rows
     * @param cols the row length (the facade passes ≥ 1)
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void max(Storage x, Storage out, long rows, long cols) {
        throw unsupported(Op.MAX);
    }

    /**
     * out[r] = the first index of the row maximum (the first NaN if any); −1 for an empty row. Waits
     * for pending work, since the result is host data.
     *
     * @param x the input, {@code [rows, cols]}
     * @param out the host array receiving one index per row, {@code rows} long
     * @param rows the number of rows
     * @param cols the row length, 1 to {@code Integer.MAX_VALUE} from the facade
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void argmax(Storage x, int[] out, long rows, long cols) {
        throw unsupported(Op.ARGMAX);
    }

    // ---- matmul and linear -------------------------------------------------------------

    /**
     * For each batch index i: C_i = alpha · op(A_i) · op(B_i) + beta · C_i, op(A_i) being
     * {@code [m, k]} and op(B_i) {@code [k, n]}, row-major and contiguous; A_i starts at element
     * i·strideA (0 to share one matrix across the batch), likewise B and C. With beta = 0, C is
     * not read (NaN in C does not propagate). C never aliases A or B.
     *
     * @param a A, stored {@code [m, k]} per batch entry, or {@code [k, m]} when {@code transA}
     * @param transA whether op(A) is Aᵀ
     * @param b B, stored {@code [k, n]} per batch entry, or {@code [n, k]} when {@code transB}
     * @param transB whether op(B) is Bᵀ
     * @param c C, {@code [m, n]} per batch entry, updated in place
     * @param batch the number of products, ≥ 1
     * @param m the rows of op(A) and C, ≥ 1
     * @param n the columns of op(B) and C, ≥ 1
     * @param k the inner dimension, ≥ 0 (0 makes C = beta · C)
     * @param alpha the factor of the product
     * @param beta the factor of the old C
     * @param strideA elements between consecutive A_i; 0 for one shared A
     * @param strideB elements between consecutive B_i; 0 for one shared B
     * @param strideC elements between consecutive C_i ({@code m·n})
     * @throws UnsupportedOpException if the driver does not override it
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
     *
     * @param x the input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param bias the bias, {@code [out]}; null for none
     * @param z receives the pre-activation, {@code [rows, out]}
     * @param y receives the output, {@code [rows, out]}
     * @param rows the batch size, ≥ 1
     * @param in the input features, ≥ 0
     * @param out the output features, ≥ 1
     * @param act the activation
     * @throws UnsupportedOpException if the ops the default composes are not implemented
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
     * activationBackward, matmul and reduce, with a scratch storage for dz.
     *
     * @param dy ∂L/∂y, {@code [rows, out]}
     * @param x the forward input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param z the forward pre-activation, {@code [rows, out]}
     * @param y the forward output, {@code [rows, out]}
     * @param dx receives ∂L/∂x, {@code [rows, in]}; null to skip it
     * @param dw receives ∂L/∂w, {@code [in, out]}
     * @param db receives ∂L/∂bias, {@code [out]}; null for a layer without bias
     * @param rows the batch size
     * @param in the input features
     * @param out the output features
     * @param act the forward activation
     * @throws UnsupportedOpException if the ops the default composes are not implemented
     * @throws dev.kengine.DeviceOutOfMemoryException if the default's scratch storage does not fit
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
            try {
                synchronize(); // the enqueued work still reads dz
            } finally {
                dz.release();
            }
        }
    }

    // ---- activations ------------------------------------------------------------------

    /**
     * y = act(x) elementwise (see {@link Activation}). y may alias x.
     *
     * @param act the activation
     * @param x the input
     * @param y the output
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void activation(Activation act, Storage x, Storage y, long n) {
        throw unsupported(Op.ACTIVATION);
    }

    /**
     * dx = act'(x) ⊙ dy, given x and the forward output y. dx may alias dy, x or y: read each element before
     * writing it.
     *
     * @param act the forward activation
     * @param dy ∂L/∂y
     * @param x the forward input
     * @param y the forward output act(x)
     * @param dx receives ∂L/∂x
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void activationBackward(Activation act, Storage dy, Storage x, Storage y, Storage dx, long n) {
        throw unsupported(Op.ACTIVATION_BACKWARD);
    }

    /**
     * PReLU over x viewed as {@code [outer, channels, inner]}: y = x if x &gt; 0 else alpha[c]·x (alpha has {@code channels} elements).
     *
     * @param x the input, {@code outer·channels·inner} elements
     * @param alpha the slopes, {@code channels} elements
     * @param y the output, x's size
     * @param outer the product of the dimensions before the channel axis (1 for a shared alpha)
     * @param channels the number of channels (1 for a shared alpha)
     * @param inner the product of the dimensions after the channel axis
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void prelu(Storage x, Storage alpha, Storage y, long outer, long channels, long inner) {
        throw unsupported(Op.PRELU);
    }

    /**
     * dx = dy if x &gt; 0 else alpha[c]·dy; dAlpha[c] = Σ over x ≤ 0 in channel c of dy·x.
     *
     * @param dy ∂L/∂y, x's size
     * @param x the forward input, {@code [outer, channels, inner]}
     * @param alpha the slopes, {@code channels} elements
     * @param dx receives ∂L/∂x, x's size
     * @param dAlpha receives ∂L/∂alpha, {@code channels} elements (overwritten, not accumulated)
     * @param outer the product of the dimensions before the channel axis
     * @param channels the number of channels
     * @param inner the product of the dimensions after the channel axis
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void preluBackward(Storage dy, Storage x, Storage alpha, Storage dx, Storage dAlpha,
                               long outer, long channels, long inner) {
        throw unsupported(Op.PRELU_BACKWARD);
    }

    /**
     * Softmax (or log-softmax) of each row of {@code [rows, cols]}, by the max-shifted form; a row
     * holding NaN or +∞, or only −∞, comes out all NaN.
     *
     * @param x the input, {@code [rows, cols]}
     * @param y the output, {@code [rows, cols]}
     * @param rows the number of rows, ≥ 1
     * @param cols the row length, ≥ 1
     * @param log whether to compute log-softmax
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void softmax(Storage x, Storage y, long rows, long cols, boolean log) {
        throw unsupported(log ? Op.LOG_SOFTMAX : Op.SOFTMAX);
    }

    /**
     * From the forward output y: softmax dx = y ⊙ (dy − Σ_row dy·y); log-softmax
     * dx = dy − exp(y)·Σ_row dy.
     *
     * @param dy ∂L/∂y, {@code [rows, cols]}
     * @param y the forward output, {@code [rows, cols]}
     * @param dx receives ∂L/∂x, {@code [rows, cols]}
     * @param rows the number of rows, ≥ 1
     * @param cols the row length, ≥ 1
     * @param log whether y came from log-softmax
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void softmaxBackward(Storage dy, Storage y, Storage dx, long rows, long cols, boolean log) {
        throw unsupported(log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD);
    }

    // ---- losses -----------------------------------------------------------------------

    /**
     * The loss (see {@link Loss}) of n elements into {@code loss[0]} and/or its gradient with respect
     * to {@code pred} into {@code grad}; either output may be null.
     *
     * @param loss the loss function
     * @param reduction the reduction; MEAN divides the loss and the gradient by n
     * @param pred the prediction, n elements
     * @param target the target, n elements
     * @param lossOut receives the reduced loss in element 0; null when only the gradient is wanted
     * @param grad receives ∂loss/∂pred, n elements; null when only the loss is wanted
     * @param n the element count
     * @throws UnsupportedOpException if the driver does not override it
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
     *
     * @param logits the scores, {@code [rows, cols]}
     * @param labels one class per row, a copy the driver may keep; null when {@code targets} is given
     * @param targets the target distributions, {@code [rows, cols]}; null when {@code labels} is given
     * @param reduction the reduction over rows
     * @param lossOut receives the reduced loss in element 0; null for the gradient alone
     * @param grad receives ∂loss/∂logits, {@code [rows, cols]}; null for the loss alone
     * @param rows the number of rows
     * @param cols the number of classes, ≥ 1
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void softmaxCrossEntropy(Storage logits, int[] labels, Storage targets, Reduction reduction,
                                     Storage lossOut, Storage grad, long rows, long cols) {
        throw unsupported(Op.SOFTMAX_CROSS_ENTROPY);
    }

    /**
     * {@link #softmaxCrossEntropy(Storage, int[], Storage, Reduction, Storage, Storage, long, long)} with
     * the labels in an INT32 storage of this driver (already checked: each in [0, cols)). The facade
     * has also read them to the host for that check; the default passes that copy to the int[] path, a
     * device driver overrides it to let its kernel read the labels where they are.
     *
     * @param logits the scores, {@code [rows, cols]}
     * @param labels an INT32 storage of {@code rows} labels
     * @param hostLabels the same labels on the host
     * @param reduction the reduction over rows
     * @param lossOut receives the reduced loss; null for the gradient alone
     * @param grad receives ∂loss/∂logits; null for the loss alone
     * @param rows the number of rows
     * @param cols the number of classes
     */
    default void softmaxCrossEntropy(Storage logits, Storage labels, int[] hostLabels, Reduction reduction, Storage lossOut,
                                     Storage grad, long rows, long cols) {
        softmaxCrossEntropy(logits, hostLabels, null, reduction, lossOut, grad, rows, cols);
    }

    // ---- finite checks (dynamic loss scaling) ---------------------------------------------

    /**
     * Whether {@link #allFinite} is implemented: {@link dev.kengine.Backend#allFinite} and
     * {@link dev.kengine.Backend#unscaleIfFinite} then test a whole list of tensors through it, each read once and the
     * answer read back once. When false, the default, they compose {@link #scale} by 0 and a sum for each tensor
     * (two passes, two temporaries and a read-back each).
     *
     * @return true when {@link #allFinite} is implemented
     */
    default boolean finiteChecks() {
        return false;
    }

    /**
     * Whether every element of every tensor listed is finite: no ±∞ and no NaN (in the half types, no exponent
     * field of all ones). Tensor i is the first {@code sizes[i]} elements of {@code tensors[i]}, stored in
     * {@code dtypes[i]} (FLOAT32, BFLOAT16 or FLOAT16). Blocks until the ops enqueued before it that write them have
     * finished and the answer is on the host; a device driver should wait once for the whole list, not once per
     * tensor (the test of a training step's gradients). Called only where {@link #finiteChecks()}.
     *
     * @param tensors the storages to test, at least one
     * @param dtypes their element types, one per storage
     * @param sizes the elements to test in each, each at least 1
     * @return true when none is ±∞ or NaN
     */
    default boolean allFinite(Storage[] tensors, DType[] dtypes, long[] sizes) {
        throw new UnsupportedOperationException("allFinite: this driver does not declare finiteChecks()");
    }

    // ---- dropout and initialisation ------------------------------------------------------

    /**
     * Inverted dropout, exactly as {@link dev.kengine.random.CounterRandom} specifies; mask gets 1.0f or 0.0f.
     *
     * @param x the input
     * @param y the output; may alias x
     * @param mask receives 1.0f for kept and 0.0f for dropped elements (1 and 0 in a UINT8 mask where
     *     {@link #byteMasks()}); aliases neither x nor y
     * @param n the element count
     * @param p the drop probability, in [0, 1)
     * @param seed the generator's key
     * @param offset the generator's stream
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void dropout(Storage x, Storage y, Storage mask, long n, float p, long seed, long offset) {
        throw unsupported(Op.DROPOUT);
    }

    /**
     * Whether {@link #dropout} and {@link #dropoutBackward} take a {@link dev.kengine.DType#UINT8} mask themselves (one
     * byte an element: 1 kept, 0 dropped; backward keeps where it is not 0). When false, the default, the facade runs
     * them on a FLOAT32 mask and casts it. The dtypes of x, y, dy and dx a driver runs dropout on are its
     * {@link Capabilities#opDtypes()} for {@link Op#DROPOUT} and {@link Op#DROPOUT_BACKWARD}, as for every op.
     *
     * @return true when the driver's dropout kernels read and write UINT8 masks
     */
    default boolean byteMasks() {
        return false;
    }

    /**
     * dx = dy · (mask ≠ 0 ? scale : 0), scale = CounterRandom.dropoutScale(p).
     *
     * @param dy ∂L/∂y
     * @param mask the forward mask
     * @param dx receives ∂L/∂x; may alias dy
     * @param n the element count
     * @param p the forward drop probability, in [0, 1)
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void dropoutBackward(Storage dy, Storage mask, Storage dx, long n, float p) {
        throw unsupported(Op.DROPOUT_BACKWARD);
    }

    /**
     * Uniform initial values, bit-exact per {@link dev.kengine.random.CounterRandom}.
     *
     * @param x the storage filled
     * @param n the element count
     * @param seed the generator's key
     * @param offset the generator's stream
     * @param lo the lower bound, inclusive
     * @param hi the upper bound, ≥ lo
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void initUniform(Storage x, long n, long seed, long offset, double lo, double hi) {
        throw unsupported(Op.INIT_UNIFORM);
    }

    /**
     * Normal initial values, bit-exact per {@link dev.kengine.random.CounterRandom}.
     *
     * @param x the storage filled
     * @param n the element count
     * @param seed the generator's key
     * @param offset the generator's stream
     * @param mean the mean
     * @param std the standard deviation, ≥ 0
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void initNormal(Storage x, long n, long seed, long offset, double mean, double std) {
        throw unsupported(Op.INIT_NORMAL);
    }

    // ---- optimisers ---------------------------------------------------------------------

    /**
     * One SGD step in place (see {@link SgdConfig}); velocity is null when momentum is 0.
     *
     * @param w the parameter, updated in place
     * @param g the gradient
     * @param velocity the momentum buffer, updated in place; null when the config has no momentum
     * @param n the element count
     * @param config the step's settings
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void sgdStep(Storage w, Storage g, Storage velocity, long n, SgdConfig config) {
        throw unsupported(Op.SGD_STEP);
    }

    /**
     * One Adam/AdamW step in place (see {@link AdamConfig}) at step t ≥ 1.
     *
     * @param w the parameter, updated in place
     * @param g the gradient
     * @param m the first moment, updated in place
     * @param v the second moment, updated in place
     * @param n the element count
     * @param config the step's settings
     * @param step t, the 1-based step number
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void adamStep(Storage w, Storage g, Storage m, Storage v, long n, AdamConfig config, long step) {
        throw unsupported(Op.ADAM_STEP);
    }

    /**
     * {@link #sgdStep} on float32 master weights from a gradient stored as {@code gradType} (FLOAT32, FLOAT16 or
     * BFLOAT16), and, when {@code halfWeights} is not null, w's new values rounded to {@code halfType} (FLOAT16 or
     * BFLOAT16, by {@link dev.kengine.Conversions}) written into it, in one pass over the data. The result must equal,
     * bit for bit, the gradient widened exactly, {@link #sgdStep}, then {@link #cast} of w. A driver that overrides it
     * declares (SGD_STEP, FLOAT16) and (SGD_STEP, BFLOAT16) among its capabilities' pairs; the facade then calls it
     * for half-precision gradients and for half copies instead of widening and casting itself.
     *
     * @param w the float32 master weights, updated in place
     * @param g the gradient
     * @param gradType g's dtype
     * @param velocity the float32 momentum buffer, updated in place; null when the config has no momentum
     * @param n the element count
     * @param config the step's settings
     * @param halfWeights receives w rounded to {@code halfType}; null for no copy
     * @param halfType halfWeights' dtype; null when halfWeights is null
     * @throws UnsupportedOpException if the driver does not override it and a half type is involved
     */
    default void sgdStep(Storage w, Storage g, DType gradType, Storage velocity, long n, SgdConfig config,
                         Storage halfWeights, DType halfType) {
        if (gradType == DType.FLOAT32 && halfWeights == null) {
            sgdStep(w, g, velocity, n, config);
            return;
        }
        throw unsupported(Op.SGD_STEP);
    }

    /**
     * {@link #adamStep} from a gradient stored as {@code gradType}, with w's rounded copy into {@code halfWeights},
     * in one pass, as {@link #sgdStep(Storage, Storage, DType, Storage, long, SgdConfig, Storage, DType)} does for SGD.
     *
     * @param w the float32 master weights, updated in place
     * @param g the gradient
     * @param gradType g's dtype
     * @param m the float32 first moment, updated in place
     * @param v the float32 second moment, updated in place
     * @param n the element count
     * @param config the step's settings
     * @param step t, the 1-based step number
     * @param halfWeights receives w rounded to {@code halfType}; null for no copy
     * @param halfType halfWeights' dtype; null when halfWeights is null
     * @throws UnsupportedOpException if the driver does not override it and a half type is involved
     */
    default void adamStep(Storage w, Storage g, DType gradType, Storage m, Storage v, long n, AdamConfig config,
                          long step, Storage halfWeights, DType halfType) {
        if (gradType == DType.FLOAT32 && halfWeights == null) {
            adamStep(w, g, m, v, n, config, step);
            return;
        }
        throw unsupported(Op.ADAM_STEP);
    }

    /**
     * out[0] = l1·Σ|w| + l2/2·Σw².
     *
     * @param w the parameter
     * @param n the element count
     * @param l1 the L1 factor, finite and ≥ 0
     * @param l2 the L2 factor, finite and ≥ 0
     * @param out receives the penalty, one element
     * @throws UnsupportedOpException if the driver does not override it
     */
    default void penalty(Storage w, long n, float l1, float l2, Storage out) {
        throw unsupported(Op.PENALTY);
    }

    /**
     * An {@link UnsupportedOpException} for {@code op} naming this backend.
     *
     * @param op the op that is not implemented
     * @return the exception, to throw
     */
    default UnsupportedOpException unsupported(Op op) {
        return new UnsupportedOpException(op, "backend '" + name() + "' does not implement " + op);
    }
}
