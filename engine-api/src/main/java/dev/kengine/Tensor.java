package dev.kengine;

import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A row-major tensor of rank 0 to 4, owned by the backend that made it. Closing frees its memory;
 * {@code close()} is idempotent and any use after it is an {@link InvalidArgumentException}
 * naming the tensor; once its backend is closed, the backend's calls throw
 * {@link InvalidStateException} naming the backend.
 *
 * <p>Threads: a tensor may be read by ops on several threads at once. Closing it while another
 * thread's op is using it is safe: the op keeps the memory until it finishes, and the memory is
 * freed then; ops that start after the close reject the tensor as closed.
 *
 * <p>A tensor that becomes unreachable unclosed is freed by a cleaner and reported as a leak
 * (one warning per allocation site, at counts 1, 10, 100, …; the site is named when the JVM runs
 * with {@code -Dkengine.leakSites=true}). Device memory held by leaked tensors prompts a garbage
 * collection when it grows, so a leaking loop runs in bounded memory.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Backend backend;
    private final Shape shape;
    private final DType dtype;
    private final Storage storage;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    /**
     * The tensor's life, held apart from the tensor so the tensor can become unreachable: whether it
     * is closed, how many running ops use it, and what to free. The cleaner runs it. A heap-managed
     * storage is referenced only weakly here, so a leaked tensor's array goes in the same collection as
     * the tensor.
     */
    private static final class State implements Runnable {
        private static final long CLOSED = 1L << 62;

        final Storage nativeStorage;
        /**
         * A heap-managed storage, weakly: released with the tensor when the tensor is closed (the driver may reuse
         * its array), cleared by the collector together with a leaked tensor.
         */
        final WeakReference<Storage> heapStorage;
        final Shape shape;
        final long bytes;
        final Set<State> live;
        final MemoryAccount account;
        final String site;
        /** The CLOSED bit and the number of running ops that hold the storage. */
        final AtomicLong word = new AtomicLong();
        volatile boolean closedExplicitly;

        State(Storage storage, Shape shape, long bytes, Set<State> live, MemoryAccount account, String site) {
            this.nativeStorage = storage.heapManaged() ? null : storage;
            this.heapStorage = storage.heapManaged() ? new WeakReference<>(storage) : null;
            this.shape = shape;
            this.bytes = bytes;
            this.live = live;
            this.account = account;
            this.site = site;
            account.allocated(bytes, nativeStorage != null);
            live.add(this);
        }

        boolean isClosed() {
            return (word.get() & CLOSED) != 0;
        }

        /** Counts one more running op; false when the tensor is closed. */
        boolean acquire() {
            while (true) {
                long v = word.get();
                if ((v & CLOSED) != 0) {
                    return false;
                }
                if (word.compareAndSet(v, v + 1)) {
                    return true;
                }
            }
        }

        /** An op that held the storage has finished; the last one out after a close frees it. */
        void release() {
            if (word.decrementAndGet() == CLOSED) {
                free();
            }
        }

        /** Marks the tensor closed; frees now unless ops still hold it. Idempotent. */
        void markClosed() {
            long before = word.getAndUpdate(v -> v | CLOSED);
            if (before == 0) {
                free();
            }
        }

        @Override
        public void run() {
            try {
                if (!closedExplicitly && !isClosed()) {
                    Leaks.report(shape, site);
                }
            } finally {
                markClosed(); // the memory goes back even when the report fails (out of memory, a failing logger)
            }
        }

        private void free() {
            live.remove(this);
            account.freed(bytes, nativeStorage != null);
            if (nativeStorage != null) {
                nativeStorage.release();
            } else {
                Storage heap = heapStorage.get();
                if (heap != null) {
                    heap.release();
                }
            }
        }

        /** Frees the storage because the backend closes; the tensor reads as closed from now on. */
        void releaseWithBackend() {
            closedExplicitly = true;
            markClosed();
        }
    }

    /** The scope that owns this tensor, or null; written under that scope's monitor ({@link Scope}). */
    volatile Scope scope;

    Tensor(Backend backend, Shape shape, DType dtype, Storage storage, Set<Object> live, MemoryAccount account) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        this.storage = storage;
        @SuppressWarnings({"unchecked", "rawtypes"})
        Set<State> states = (Set) live;
        this.state = new State(storage, shape, shape.size() * dtype.byteSize(), states, account, Leaks.site());
        this.cleanable = CLEANER.register(this, state);
        Scope.registerWithCurrent(this);
    }

    /**
     * The dimensions.
     *
     * @return the shape, fixed for the tensor's life; readable after {@link #close()} too
     */
    public Shape shape() {
        return shape;
    }

    /**
     * The element type.
     *
     * @return the dtype, fixed for the tensor's life
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The backend that owns this tensor.
     *
     * @return the backend that made it; only its ops accept this tensor
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The number of dimensions, 0 to 4.
     *
     * @return {@code shape().rank()}
     */
    public int rank() {
        return shape.rank();
    }

    /**
     * Number of elements.
     *
     * @return {@code shape().size()}: the product of the dimensions, 1 for a scalar
     */
    public long size() {
        return shape.size();
    }

    /**
     * Whether {@link #close()} was called, its scope or backend closed it, or the collector freed it.
     *
     * @return true once the tensor can no longer be used
     */
    public boolean isClosed() {
        return state.isClosed();
    }

    /** Frees a live tensor's storage when its backend closes. */
    static void releaseWithBackend(Object state) {
        ((State) state).releaseWithBackend();
    }

    /**
     * Holds the storage for a running op (released by {@link #releaseHold()}); throws when closed.
     * The facade calls this once per argument of a call.
     */
    Storage hold(String name) {
        if (!state.acquire()) {
            throw closed(name);
        }
        return storage;
    }

    void releaseHold() {
        state.release();
    }

    /** The driver's storage of a tensor this call already holds. */
    Storage storage(String name) {
        if (state.isClosed()) {
            throw closed(name);
        }
        return storage;
    }

    private InvalidArgumentException closed(String name) {
        return new InvalidArgumentException(name + " " + shape + " is closed"
                + (backend.isClosed() ? " (its backend '" + backend.name() + "' was closed)" : ""));
    }

    /**
     * The elements as floats, in row-major order (waits for pending work): exact for every dtype but
     * int32, whose values beyond 2²⁴ in magnitude round to nearest even (see {@link Conversions}).
     *
     * @return a new array of {@link #size()} elements
     * @throws InvalidArgumentException if the tensor is closed or has more elements than an array can hold
     * @throws InvalidStateException if its backend is closed
     */
    public float[] toArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidArgumentException("tensor " + shape + " has " + n + " elements, too many for a float[]");
        }
        float[] a = new float[(int) n];
        copyTo(a);
        return a;
    }

    /**
     * The single element of a tensor of size 1 (waits for pending work).
     *
     * @return the element
     * @throws InvalidArgumentException if the tensor is closed or its size is not 1
     * @throws InvalidStateException if its backend is closed
     */
    public float item() {
        if (size() != 1) {
            throw new InvalidArgumentException("item() needs a tensor of one element, this one is " + shape);
        }
        return toArray()[0];
    }

    /**
     * Copies the elements into {@code dst}, whose length must equal {@link #size()} (waits for pending work).
     *
     * @param dst receives the elements in row-major order; exactly {@link #size()} long
     * @throws InvalidArgumentException if the tensor is closed, {@code dst} is null or its length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(float[] dst) {
        requireNonNull(dst, "copyTo(float[]): dst");
        checkLength("copyTo(float[])", dst.length);
        if (dtype == DType.FLOAT32) {
            backend.download(this, MemorySegment.ofArray(dst));
            return;
        }
        switch (dtype) {
            case FLOAT16, BFLOAT16 -> {
                short[] raw = new short[dst.length];
                backend.download(this, MemorySegment.ofArray(raw));
                for (int i = 0; i < raw.length; i++) {
                    dst[i] = Conversions.toFloat(dtype, raw[i]);
                }
            }
            case INT32 -> {
                int[] raw = new int[dst.length];
                backend.download(this, MemorySegment.ofArray(raw));
                for (int i = 0; i < raw.length; i++) {
                    dst[i] = raw[i];
                }
            }
            default -> {
                byte[] raw = new byte[dst.length];
                backend.download(this, MemorySegment.ofArray(raw));
                for (int i = 0; i < raw.length; i++) {
                    dst[i] = raw[i] & 0xFF;
                }
            }
        }
    }

    /**
     * The raw bits of a half-precision tensor, in row-major order (waits for pending work).
     *
     * @return a new array of {@link #size()} elements
     * @throws InvalidArgumentException if the tensor is closed, not {@link DType#FLOAT16} or
     *     {@link DType#BFLOAT16}, or too large for an array
     * @throws InvalidStateException if its backend is closed
     */
    public short[] toShortArray() {
        short[] a = new short[arrayLength("toShortArray()")];
        copyTo(a);
        return a;
    }

    /**
     * Copies the raw bits of a half-precision tensor into {@code dst}, exactly {@link #size()} long.
     *
     * @param dst receives the bits in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not half precision, {@code dst} is null
     *     or its length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(short[] dst) {
        requireNonNull(dst, "copyTo(short[]): dst");
        requireHalf("copyTo(short[])");
        checkLength("copyTo(short[])", dst.length);
        backend.download(this, MemorySegment.ofArray(dst));
    }

    /**
     * The elements of an int32 tensor, in row-major order (waits for pending work).
     *
     * @return a new array of {@link #size()} elements
     * @throws InvalidArgumentException if the tensor is closed, not {@link DType#INT32}, or too large
     * @throws InvalidStateException if its backend is closed
     */
    public int[] toIntArray() {
        int[] a = new int[arrayLength("toIntArray()")];
        copyTo(a);
        return a;
    }

    /**
     * Copies the elements of an int32 tensor into {@code dst}, exactly {@link #size()} long.
     *
     * @param dst receives the elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not int32, {@code dst} is null or its
     *     length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(int[] dst) {
        requireNonNull(dst, "copyTo(int[]): dst");
        requireDtype("copyTo(int[])", DType.INT32);
        checkLength("copyTo(int[])", dst.length);
        backend.download(this, MemorySegment.ofArray(dst));
    }

    /**
     * The elements of a uint8 tensor, in row-major order, as bytes to be read unsigned
     * ({@code b & 0xFF}); waits for pending work.
     *
     * @return a new array of {@link #size()} elements
     * @throws InvalidArgumentException if the tensor is closed, not {@link DType#UINT8}, or too large
     * @throws InvalidStateException if its backend is closed
     */
    public byte[] toByteArray() {
        byte[] a = new byte[arrayLength("toByteArray()")];
        copyTo(a);
        return a;
    }

    /**
     * Copies the elements of a uint8 tensor into {@code dst}, exactly {@link #size()} long.
     *
     * @param dst receives the elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not uint8, {@code dst} is null or its
     *     length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(byte[] dst) {
        requireNonNull(dst, "copyTo(byte[]): dst");
        requireDtype("copyTo(byte[])", DType.UINT8);
        checkLength("copyTo(byte[])", dst.length);
        backend.download(this, MemorySegment.ofArray(dst));
    }

    /**
     * Copies the raw elements of a tensor of any dtype into {@code dst} from its position, in the
     * buffer's byte order; it must have exactly {@code size()·dtype().byteSize()} bytes remaining and
     * be writable. The position is not moved. Waits for pending work.
     *
     * @param dst receives the elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed, {@code dst} is null or read-only, or its
     *     remaining byte count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(ByteBuffer dst) {
        requireNonNull(dst, "copyTo(ByteBuffer): dst");
        checkBufferUsable("copyTo(ByteBuffer)", dst);
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(ByteBuffer): the destination buffer is read-only");
        }
        checkBytes("copyTo(ByteBuffer)", dst.remaining());
        if (dst.order() == ByteOrder.nativeOrder() || dtype.byteSize() == 1) {
            backend.download(this, MemorySegment.ofBuffer(dst));
            return;
        }
        byte[] raw = new byte[dst.remaining()];
        backend.download(this, MemorySegment.ofArray(raw));
        swapBytes(raw, dtype.byteSize());
        bufferAccess("copyTo(ByteBuffer)", () -> dst.duplicate().put(raw));
    }

    /**
     * Replaces the elements of a tensor of any dtype with raw elements from {@code src}'s position, in
     * the buffer's byte order; exactly {@code size()·dtype().byteSize()} bytes must remain. The
     * position is not moved; the bytes are copied before the call returns.
     *
     * @param src the new elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed, {@code src} is null or its remaining byte
     *     count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(ByteBuffer src) {
        requireNonNull(src, "copyFrom(ByteBuffer): src");
        checkBufferUsable("copyFrom(ByteBuffer)", src);
        checkBytes("copyFrom(ByteBuffer)", src.remaining());
        if (src.order() == ByteOrder.nativeOrder() || dtype.byteSize() == 1) {
            backend.upload(this, MemorySegment.ofBuffer(src));
            return;
        }
        byte[] raw = new byte[src.remaining()];
        bufferAccess("copyFrom(ByteBuffer)", () -> src.duplicate().get(raw));
        swapBytes(raw, dtype.byteSize());
        backend.upload(this, MemorySegment.ofArray(raw));
    }

    /**
     * Replaces the raw bits of a half-precision tensor with {@code src}, exactly {@link #size()} long.
     *
     * @param src the new bits in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not half precision, {@code src} is null
     *     or its length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(short[] src) {
        requireNonNull(src, "copyFrom(short[]): src");
        requireHalf("copyFrom(short[])");
        checkLength("copyFrom(short[])", src.length);
        backend.upload(this, MemorySegment.ofArray(src));
    }

    /**
     * Replaces the raw bits of a half-precision tensor with the {@link #size()} remaining shorts of
     * {@code src}, of either byte order; its position is not moved.
     *
     * @param src the new bits in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not half precision, {@code src} is null
     *     or its remaining count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(ShortBuffer src) {
        requireNonNull(src, "copyFrom(ShortBuffer): src");
        checkBufferUsable("copyFrom(ShortBuffer)", src);
        requireHalf("copyFrom(ShortBuffer)");
        checkLength("copyFrom(ShortBuffer)", src.remaining());
        short[] a = new short[src.remaining()];
        bufferAccess("copyFrom(ShortBuffer)", () -> src.duplicate().get(a));
        backend.upload(this, MemorySegment.ofArray(a));
    }

    /**
     * Copies the raw bits of a half-precision tensor into {@code dst} from its position (either byte
     * order); exactly {@link #size()} must remain and it must be writable. The position is not moved.
     *
     * @param dst receives the bits in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not half precision, {@code dst} is null
     *     or read-only, or its remaining count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(ShortBuffer dst) {
        requireNonNull(dst, "copyTo(ShortBuffer): dst");
        checkBufferUsable("copyTo(ShortBuffer)", dst);
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(ShortBuffer): the destination buffer is read-only");
        }
        requireHalf("copyTo(ShortBuffer)");
        checkLength("copyTo(ShortBuffer)", dst.remaining());
        short[] bits = toShortArray();
        bufferAccess("copyTo(ShortBuffer)", () -> dst.duplicate().put(bits));
    }

    /**
     * Replaces the elements of an int32 tensor with {@code src}, exactly {@link #size()} long.
     *
     * @param src the new elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not int32, {@code src} is null or its
     *     length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(int[] src) {
        requireNonNull(src, "copyFrom(int[]): src");
        requireDtype("copyFrom(int[])", DType.INT32);
        checkLength("copyFrom(int[])", src.length);
        backend.upload(this, MemorySegment.ofArray(src));
    }

    /**
     * Replaces the elements of an int32 tensor with the {@link #size()} remaining ints of {@code src},
     * of either byte order; its position is not moved.
     *
     * @param src the new elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not int32, {@code src} is null or its
     *     remaining count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(IntBuffer src) {
        requireNonNull(src, "copyFrom(IntBuffer): src");
        checkBufferUsable("copyFrom(IntBuffer)", src);
        requireDtype("copyFrom(IntBuffer)", DType.INT32);
        checkLength("copyFrom(IntBuffer)", src.remaining());
        int[] a = new int[src.remaining()];
        bufferAccess("copyFrom(IntBuffer)", () -> src.duplicate().get(a));
        backend.upload(this, MemorySegment.ofArray(a));
    }

    /**
     * Copies the elements of an int32 tensor into {@code dst} from its position (either byte order);
     * exactly {@link #size()} must remain and it must be writable. The position is not moved.
     *
     * @param dst receives the elements in row-major order
     * @throws InvalidArgumentException if the tensor is closed or not int32, {@code dst} is null or
     *     read-only, or its remaining count differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(IntBuffer dst) {
        requireNonNull(dst, "copyTo(IntBuffer): dst");
        checkBufferUsable("copyTo(IntBuffer)", dst);
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(IntBuffer): the destination buffer is read-only");
        }
        requireDtype("copyTo(IntBuffer)", DType.INT32);
        checkLength("copyTo(IntBuffer)", dst.remaining());
        int[] values = toIntArray();
        bufferAccess("copyTo(IntBuffer)", () -> dst.duplicate().put(values));
    }

    /**
     * Replaces the elements of a uint8 tensor with {@code src}, exactly {@link #size()} long.
     *
     * @param src the new elements in row-major order, read unsigned
     * @throws InvalidArgumentException if the tensor is closed or not uint8, {@code src} is null or its
     *     length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(byte[] src) {
        requireNonNull(src, "copyFrom(byte[]): src");
        requireDtype("copyFrom(byte[])", DType.UINT8);
        checkLength("copyFrom(byte[])", src.length);
        backend.upload(this, MemorySegment.ofArray(src));
    }

    private int arrayLength(String what) {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " has " + n + " elements, too many for an array");
        }
        return (int) n;
    }

    private void requireHalf(String what) {
        if (!dtype.isHalf()) {
            throw new InvalidArgumentException(what + ": the tensor " + shape + " is " + dtype
                    + "; raw 16-bit patterns need a FLOAT16 or BFLOAT16 tensor");
        }
    }

    private void requireDtype(String what, DType wanted) {
        if (dtype != wanted) {
            throw new InvalidArgumentException(what + ": the tensor " + shape + " is " + dtype + ", not " + wanted);
        }
    }

    private void checkBytes(String what, long bytes) {
        if (bytes != size() * dtype.byteSize()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " of " + dtype + " needs "
                    + size() * dtype.byteSize() + " bytes but the buffer has " + bytes + " remaining");
        }
    }

    private static void swapBytes(byte[] raw, int width) {
        for (int i = 0; i + width <= raw.length; i += width) {
            for (int a = i, b = i + width - 1; a < b; a++, b--) {
                byte t = raw[a];
                raw[a] = raw[b];
                raw[b] = t;
            }
        }
    }

    /**
     * Copies the elements into {@code dst} from its position; it must have exactly {@link #size()}
     * remaining and be writable. The position is not moved. Waits for pending work.
     *
     * @param dst receives the elements in row-major order; any byte order, heap or direct
     * @throws InvalidArgumentException if the tensor is closed, {@code dst} is null or read-only, or its
     *     remaining count differs from the size
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(FloatBuffer dst) {
        requireNonNull(dst, "copyTo(FloatBuffer): dst");
        checkBufferUsable("copyTo(FloatBuffer)", dst);
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(FloatBuffer): the destination buffer is read-only");
        }
        checkLength("copyTo(FloatBuffer)", dst.remaining());
        if (dtype == DType.FLOAT32 && (dst.order() == ByteOrder.nativeOrder() || dst.hasArray())) {
            backend.download(this, MemorySegment.ofBuffer(dst));
        } else {
            float[] values = toArray();
            bufferAccess("copyTo(FloatBuffer)", () -> dst.duplicate().put(values));
        }
    }

    /**
     * Copies the raw elements into {@code dst} in native order (floats for float32; the dtype's bits
     * otherwise); its byte size must be exactly {@code size()·dtype().byteSize()}, it must be writable, its arena open and accessible from this thread. Waits for
     * pending work.
     *
     * @param dst receives the elements in row-major order; need not be aligned
     * @throws InvalidArgumentException if the tensor is closed, {@code dst} is null, read-only, of
     *     another byte size, or its arena is closed (also while the copy runs) or confined to another thread
     * @throws InvalidStateException if its backend is closed
     */
    public void copyTo(MemorySegment dst) {
        checkSegment("copyTo(MemorySegment)", dst);
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(MemorySegment): the destination segment is read-only");
        }
        backend.download(this, dst);
    }

    /**
     * Replaces the elements with {@code src}, whose length must equal {@link #size()}. The array is
     * copied before the call returns. Into a tensor of another dtype each value is converted as {@link Conversions}
     * says: rounded to nearest even into FLOAT16 and BFLOAT16, truncated toward zero and saturated into INT32 and
     * UINT8 (NaN to 0).
     *
     * @param src the new elements in row-major order; exactly {@link #size()} long
     * @throws InvalidArgumentException if the tensor is closed, {@code src} is null or its length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(float[] src) {
        requireNonNull(src, "copyFrom(float[]): src");
        checkLength("copyFrom(float[])", src.length);
        backend.upload(this, converted(src, dtype));
    }

    /** {@code src} as raw elements of {@code dtype}, converted by {@link Conversions}. */
    static MemorySegment converted(float[] src, DType dtype) {
        switch (dtype) {
            case FLOAT32:
                return MemorySegment.ofArray(src);
            case FLOAT16:
            case BFLOAT16: {
                short[] raw = new short[src.length];
                boolean bf = dtype == DType.BFLOAT16;
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = bf ? Conversions.toBFloat16(src[i]) : Conversions.toFloat16(src[i]);
                }
                return MemorySegment.ofArray(raw);
            }
            case INT32: {
                int[] raw = new int[src.length];
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = Conversions.toInt32(src[i]);
                }
                return MemorySegment.ofArray(raw);
            }
            default: {
                byte[] raw = new byte[src.length];
                for (int i = 0; i < raw.length; i++) {
                    raw[i] = Conversions.toUint8(src[i]);
                }
                return MemorySegment.ofArray(raw);
            }
        }
    }

    /**
     * Replaces the elements with the {@link #size()} remaining floats of {@code src}; its position is
     * not moved. The floats are copied before the call returns.
     *
     * @param src the new elements in row-major order; any byte order, heap or direct
     * @throws InvalidArgumentException if the tensor is closed, {@code src} is null or its remaining
     *     count differs from the size
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(FloatBuffer src) {
        requireNonNull(src, "copyFrom(FloatBuffer): src");
        checkBufferUsable("copyFrom(FloatBuffer)", src);
        checkLength("copyFrom(FloatBuffer)", src.remaining());
        if (dtype == DType.FLOAT32 && (src.order() == ByteOrder.nativeOrder() || src.hasArray())) {
            backend.upload(this, MemorySegment.ofBuffer(src));
        } else {
            float[] a = new float[src.remaining()];
            bufferAccess("copyFrom(FloatBuffer)", () -> src.duplicate().get(a));
            backend.upload(this, converted(a, dtype));
        }
    }

    /**
     * Replaces the elements with native-order raw elements of the tensor's dtype from {@code src},
     * whose byte size must be {@code size()·dtype().byteSize()}, whose arena must be open and accessible from this thread. The bytes are
     * copied before the call returns.
     *
     * @param src the new elements in row-major order, raw elements of the tensor's dtype in native byte order; need
     *     not be aligned
     * @throws InvalidArgumentException if the tensor is closed, {@code src} is null, of another byte
     *     size, or its arena is closed (also while the copy runs) or confined to another thread
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(MemorySegment src) {
        checkSegment("copyFrom(MemorySegment)", src);
        backend.upload(this, src);
    }

    private void checkSegment(String what, MemorySegment seg) {
        requireNonNull(seg, what + ": the segment");
        checkSegmentUsable(what, seg);
        if (seg.byteSize() != size() * dtype.byteSize()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " of " + dtype + " needs "
                    + size() * dtype.byteSize() + " bytes but the segment has " + seg.byteSize());
        }
    }

    /**
     * Rejects a direct buffer whose memory is gone or belongs to another thread: a view of a memory segment
     * ({@code segment.asByteBuffer()}) shares its arena, and reaching it after the arena closed would read or write
     * freed memory in native code. A heap buffer, or one of global memory, is always usable.
     */
    static void checkBufferUsable(String what, java.nio.Buffer b) {
        if (!b.isDirect()) {
            return;
        }
        MemorySegment seg;
        try {
            seg = MemorySegment.ofBuffer(b);
        } catch (IllegalStateException | WrongThreadException e) {
            throw bufferGone(what, e);
        }
        if (!seg.scope().isAlive()) {
            throw new InvalidArgumentException(what + ": the buffer's memory belongs to a closed arena; it is gone");
        }
        if (!seg.isAccessibleBy(Thread.currentThread())) {
            throw new InvalidArgumentException(what + ": the buffer's memory is confined to another thread");
        }
    }

    /** Runs a read or write of a caller's buffer, whose arena another thread may close meanwhile. */
    private static void bufferAccess(String what, Runnable access) {
        try {
            access.run();
        } catch (IllegalStateException | WrongThreadException e) {
            throw bufferGone(what, e);
        }
    }

    private static InvalidArgumentException bufferGone(String what, RuntimeException e) {
        InvalidArgumentException x = new InvalidArgumentException(what + ": the buffer's memory was closed or is "
                + "confined to another thread while the copy ran");
        x.initCause(e);
        return x;
    }

    /** Rejects a segment whose memory is gone or belongs to another thread. */
    static void checkSegmentUsable(String what, MemorySegment seg) {
        if (!seg.scope().isAlive()) {
            throw new InvalidArgumentException(what + ": the segment's arena is closed; its memory is gone");
        }
        if (!seg.isAccessibleBy(Thread.currentThread())) {
            throw new InvalidArgumentException(what + ": the segment is confined to another thread");
        }
    }

    private void checkLength(String what, long length) {
        if (length != size()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " has " + size()
                    + " elements but the array or buffer has " + length);
        }
    }

    static void requireNonNull(Object o, String name) {
        if (o == null) {
            throw new InvalidArgumentException(name + " is null");
        }
    }

    /**
     * Frees the memory (at once, or when the ops of other threads that use it finish); idempotent.
     * May be called from any thread, and after the backend closed (it then does nothing).
     */
    @Override
    public void close() {
        if (!state.isClosed()) {
            state.closedExplicitly = true;
            cleanable.clean();
            Scope.forget(this);
        }
    }

    /**
     * Shape, dtype, backend and whether closed, for messages, such as {@code Tensor[2, 3] FLOAT32 on cpu}.
     *
     * @return a one-line description
     */
    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype + " on " + backend.name() + (isClosed() ? " (closed)" : "");
    }
}
