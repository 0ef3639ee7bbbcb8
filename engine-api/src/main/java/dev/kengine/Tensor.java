package dev.kengine;

import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A row-major tensor of rank 0 to 4, owned by the backend that made it. Closing frees its memory;
 * {@code close()} is idempotent and any use after it is an {@link InvalidArgumentException}
 * naming the tensor; once its backend is closed, use is an {@link IllegalStateException} naming
 * the backend. A tensor that becomes unreachable unclosed is freed by a cleaner, with a
 * warning, because that is a leak in the caller's code.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final System.Logger LOG = System.getLogger(Tensor.class.getName());

    private final Backend backend;
    private final Shape shape;
    private final DType dtype;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    /** What the cleaner needs, held apart from the tensor so the tensor can become unreachable. */
    private static final class State implements Runnable {
        final Storage storage;
        final Shape shape;
        final java.util.Set<State> live;
        final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean closedExplicitly;

        State(Storage storage, Shape shape, java.util.Set<State> live) {
            this.storage = storage;
            this.shape = shape;
            this.live = live;
            live.add(this);
        }

        @Override
        public void run() {
            if (closed.compareAndSet(false, true)) {
                live.remove(this);
                if (!closedExplicitly) {
                    LOG.log(System.Logger.Level.WARNING, "a tensor " + shape + " was never closed; freed by the garbage collector");
                }
                storage.release();
            }
        }

        /** Frees the storage because the backend closes; the tensor reads as closed from now on. */
        void releaseWithBackend() {
            closedExplicitly = true;
            run();
        }
    }

    Tensor(Backend backend, Shape shape, DType dtype, Storage storage, java.util.Set<Object> live) {
        this.backend = backend;
        this.shape = shape;
        this.dtype = dtype;
        @SuppressWarnings({"unchecked", "rawtypes"})
        java.util.Set<State> states = (java.util.Set) live;
        this.state = new State(storage, shape, states);
        this.cleanable = CLEANER.register(this, state);
        Scope.registerWithCurrent(this);
    }

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    public Backend backend() {
        return backend;
    }

    public int rank() {
        return shape.rank();
    }

    /** Number of elements. */
    public long size() {
        return shape.size();
    }

    public boolean isClosed() {
        return state.closed.get();
    }

    /** Frees a live tensor's storage when its backend closes. */
    static void releaseWithBackend(Object state) {
        ((State) state).releaseWithBackend();
    }

    /** The driver's storage; for backends and the facade, not for applications. */
    Storage storage(String name) {
        if (state.closed.get()) {
            throw new InvalidArgumentException(name + " " + shape + " is closed"
                    + (backend.isClosed() ? " (its backend '" + backend.name() + "' was closed)" : ""));
        }
        return state.storage;
    }

    /** The elements, in row-major order (waits for pending work). */
    public float[] toArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidArgumentException("tensor " + shape + " has " + n + " elements, too many for a float[]");
        }
        float[] a = new float[(int) n];
        copyTo(a);
        return a;
    }

    /** The single element of a tensor of size 1 (waits for pending work). */
    public float item() {
        if (size() != 1) {
            throw new InvalidArgumentException("item() needs a tensor of one element, this one is " + shape);
        }
        return toArray()[0];
    }

    /** Copies the elements into {@code dst}, whose length must equal {@link #size()}. */
    public void copyTo(float[] dst) {
        checkLength("copyTo(float[])", dst.length);
        copyTo(MemorySegment.ofArray(dst));
    }

    /** Copies the elements into {@code dst} from its position; it must have exactly {@link #size()} remaining. The position is not moved. */
    public void copyTo(FloatBuffer dst) {
        checkLength("copyTo(FloatBuffer)", dst.remaining());
        if (dst.order() == ByteOrder.nativeOrder() || dst.hasArray()) {
            copyTo(MemorySegment.ofBuffer(dst));
        } else {
            dst.duplicate().put(toArray());
        }
    }

    /** Copies the elements into {@code dst} as native-order floats; its byte size must be exactly {@code 4·size()}. */
    public void copyTo(MemorySegment dst) {
        checkBytes("copyTo(MemorySegment)", dst.byteSize());
        if (dst.isReadOnly()) {
            throw new InvalidArgumentException("copyTo(MemorySegment): the destination segment is read-only");
        }
        backend.download(this, dst);
    }

    /** Replaces the elements with {@code src}, whose length must equal {@link #size()}. */
    public void copyFrom(float[] src) {
        checkLength("copyFrom(float[])", src.length);
        backend.upload(this, MemorySegment.ofArray(src));
    }

    /** Replaces the elements with the {@link #size()} remaining floats of {@code src}; its position is not moved. */
    public void copyFrom(FloatBuffer src) {
        checkLength("copyFrom(FloatBuffer)", src.remaining());
        if (src.order() == ByteOrder.nativeOrder() || src.hasArray()) {
            backend.upload(this, MemorySegment.ofBuffer(src));
        } else {
            float[] a = new float[src.remaining()];
            src.duplicate().get(a);
            backend.upload(this, MemorySegment.ofArray(a));
        }
    }

    /** Replaces the elements with native-order floats from {@code src}, whose byte size must be {@code 4·size()}. */
    public void copyFrom(MemorySegment src) {
        checkBytes("copyFrom(MemorySegment)", src.byteSize());
        backend.upload(this, src);
    }

    private void checkLength(String what, long length) {
        if (length != size()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " has " + size()
                    + " elements but the array or buffer has " + length);
        }
    }

    private void checkBytes(String what, long bytes) {
        if (bytes != size() * ValueLayout.JAVA_FLOAT.byteSize()) {
            throw new InvalidArgumentException(what + ": tensor " + shape + " needs " + size() * 4
                    + " bytes but the segment has " + bytes);
        }
    }

    /** Frees the memory; idempotent. */
    @Override
    public void close() {
        if (!state.closed.get()) {
            state.closedExplicitly = true;
            cleanable.clean();
            Scope.forget(this);
        }
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype + " on " + backend.name() + (isClosed() ? " (closed)" : "");
    }
}
