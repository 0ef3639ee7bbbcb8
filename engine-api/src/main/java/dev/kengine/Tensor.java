package dev.kengine;

import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
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
     * storage is not referenced here, so a leaked tensor's array goes in the same collection as the
     * tensor.
     */
    private static final class State implements Runnable {
        private static final long CLOSED = 1L << 62;

        final Storage nativeStorage;
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
            if (!closedExplicitly && !isClosed()) {
                Leaks.report(shape, site);
            }
            markClosed();
        }

        private void free() {
            live.remove(this);
            account.freed(bytes, nativeStorage != null);
            if (nativeStorage != null) {
                nativeStorage.release();
            }
        }

        /** Frees the storage because the backend closes; the tensor reads as closed from now on. */
        void releaseWithBackend() {
            closedExplicitly = true;
            markClosed();
        }
    }

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
     * @return the dtype; {@link DType#FLOAT32} for every tensor today
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
     * The elements, in row-major order (waits for pending work).
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
        backend.download(this, MemorySegment.ofArray(dst));
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
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(FloatBuffer): the destination buffer is read-only");
        }
        checkLength("copyTo(FloatBuffer)", dst.remaining());
        if (dst.order() == ByteOrder.nativeOrder() || dst.hasArray()) {
            backend.download(this, MemorySegment.ofBuffer(dst));
        } else {
            dst.duplicate().put(toArray());
        }
    }

    /**
     * Copies the elements into {@code dst} as native-order floats; its byte size must be exactly
     * {@code 4·size()}, it must be writable, its arena open and accessible from this thread. Waits for
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
     * copied before the call returns.
     *
     * @param src the new elements in row-major order; exactly {@link #size()} long
     * @throws InvalidArgumentException if the tensor is closed, {@code src} is null or its length differs
     * @throws InvalidStateException if its backend is closed
     */
    public void copyFrom(float[] src) {
        requireNonNull(src, "copyFrom(float[]): src");
        checkLength("copyFrom(float[])", src.length);
        backend.upload(this, MemorySegment.ofArray(src));
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
        checkLength("copyFrom(FloatBuffer)", src.remaining());
        if (src.order() == ByteOrder.nativeOrder() || src.hasArray()) {
            backend.upload(this, MemorySegment.ofBuffer(src));
        } else {
            float[] a = new float[src.remaining()];
            src.duplicate().get(a);
            backend.upload(this, MemorySegment.ofArray(a));
        }
    }

    /**
     * Replaces the elements with native-order floats from {@code src}, whose byte size must be
     * {@code 4·size()}, whose arena must be open and accessible from this thread. The bytes are
     * copied before the call returns.
     *
     * @param src the new elements in row-major order as native-order float32; need not be aligned
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
        if (seg.byteSize() != size() * ValueLayout.JAVA_FLOAT.byteSize()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " needs " + size() * 4
                    + " bytes but the segment has " + seg.byteSize());
        }
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
