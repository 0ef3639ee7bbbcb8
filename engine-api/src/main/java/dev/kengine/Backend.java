package dev.kengine;

import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Init;
import dev.kengine.op.Loss;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendDriver.Binary;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One opened backend: it makes tensors and runs every op on them. This class is the single place
 * where arguments are checked (shapes, ranges, ownership, closed tensors), so that every backend
 * receives only valid work and every bad input gets the same clear exception, before any work
 * starts, whatever the backend. Obtain one from {@link Engine}; close it when done, which frees
 * every tensor it still owns.
 *
 * <p>Ops that return a tensor allocate it; the caller owns it (or the enclosing {@link Scope}
 * does); if an op fails, what it allocated is freed before the exception leaves. Ops may run
 * asynchronously on a device; reading a result ({@link Tensor#toArray()}, {@link Tensor#item()})
 * waits for it.
 *
 * <p>Threads: ops on one backend may be called from several threads (device backends serialise
 * them on one queue or stream). Every call holds the tensors it was given until it returns, so a
 * tensor closed by another thread meanwhile is freed only when the call is done, and a call that
 * starts after the close rejects it. Closing the backend makes new calls fail with
 * {@link InvalidStateException}, waits for the calls already running, then frees every tensor.
 * Scopes belong to the thread that opened them.
 *
 * <p>Arguments come in one order for every op: first the tensors the op reads or updates in place,
 * in the order its formula names them, each followed by its own modifier (a transpose flag); then
 * what selects and tunes the op (an {@link Activation}, {@link Loss}, {@link Init} or config record,
 * a {@link Reduction}), then plain scalars; last the tensors the caller supplies to receive the
 * results, in overloads that write into them instead of allocating. So {@code activation(x, act)},
 * {@code loss(pred, target, loss, reduction)}, {@code axpy(x, y, alpha)} (y += alpha·x),
 * {@code matmul(a, transA, b, transB, c, alpha, beta)} (c = alpha·op(a)·op(b) + beta·c) and
 * {@code activation(x, act, y)}. A forward result carries what its backward needs:
 * {@code linearBackward(dy, linear(x, w, b, act))}. The float32 factories have a {@link Shape} form and a
 * {@code long...} form with the same arguments and the dimensions last; the typed ones
 * ({@code empty(DType, …)}, {@code of(short[], DType, …)}) take the dtype first.
 *
 * <p>Exceptions: every method throws only {@link EngineException}s, chiefly
 * {@link InvalidArgumentException} for a bad argument (a null, a closed tensor, a tensor of another
 * backend, a shape or value out of range), {@link InvalidStateException} once the backend is closed,
 * {@link UnsupportedOpException} for an op the backend lacks and {@link DeviceOutOfMemoryException}
 * when memory runs out, which any call that allocates may throw, including one that writes into
 * tensors the caller supplies (a half-precision op the backend computes through float32 copies
 * allocates them); the backend stays usable after any of them. On a device backend any call
 * may also throw {@link DeviceException} when the device or its driver reports an error (an error
 * of asynchronous work can surface in a later call, at the latest in the next read or
 * {@link #synchronize()}), and the first use of an op may throw {@link KernelCompilationException}
 * when its kernels do not compile on this device. Each method lists the argument checks that
 * apply to it; "of another backend" means a tensor this backend did not make.
 *
 * <p>Sizes are element counts of float32 elements unless a name says bytes; seeds and offsets are
 * the inputs of the counter-based generator specified in {@link dev.kengine.random.CounterRandom}.
 */
public final class Backend implements AutoCloseable {
    private final BackendDriver driver;
    private final Capabilities capabilities;
    /** The driver's own (op, dtype) pairs, before the facade adds the half-precision ones it computes through float32. */
    private final Capabilities nativePairs;
    private final Set<Object> live = ConcurrentHashMap.newKeySet();
    private final MemoryAccount memory = new MemoryAccount();
    /** Calls running now, on any thread; {@link #close()} waits for them. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Counted down when the first close has freed everything: a concurrent second close waits for it. */
    private final java.util.concurrent.CountDownLatch closedFully = new java.util.concurrent.CountDownLatch(1);
    /** The thread running the first close. */
    private volatile Thread closer;
    private volatile boolean closed;
    /**
     * The system property that, read when a backend opens, has it fill every tensor it allocates with NaN (all ones in
     * the integer dtypes) before an op writes it: an op that adds into its output instead of writing it, or leaves
     * part of it unwritten, then gives NaN rather than the right answer by the chance of zeroed memory. The
     * conformance kit opens the backend under test with it; it costs a fill per allocation.
     */
    public static final String POISON_PROPERTY = "kengine.poisonOutputs";
    private final boolean poisonOutputs = Boolean.getBoolean(POISON_PROPERTY);

    /** Frees the driver and the live tensors of a backend the program dropped without closing it. */
    private final Abandoned abandoned;
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    private static final java.lang.ref.Cleaner BACKENDS = java.lang.ref.Cleaner.create();
    private static final System.Logger LOG = System.getLogger(Backend.class.getName());

    /**
     * The cleaner's action for a backend that became unreachable unclosed: what {@link #close()} frees, with a
     * warning. It holds the driver and the live set, never the backend (the backend could not become unreachable).
     * No call can be running then (a running call holds the backend).
     */
    private static final class Abandoned implements Runnable {
        final BackendDriver driver;
        final Set<Object> live;
        volatile boolean closed;

        Abandoned(BackendDriver driver, Set<Object> live) {
            this.driver = driver;
            this.live = live;
        }

        @Override
        public void run() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                LOG.log(System.Logger.Level.WARNING, "kengine: backend ''{0}'' was never closed; the garbage collector "
                        + "freed it and its {1} open tensors (close a backend when done with it, e.g. in "
                        + "try-with-resources: its threads and device resources are held until then)", driver.name(),
                        live.size());
            } finally {
                freeAll(live, driver);
            }
        }
    }

    /** Frees every live tensor, then the driver: the end of {@link #close()} and of {@link Abandoned}. */
    private static void freeAll(Set<Object> live, BackendDriver driver) {
        try {
            for (Object state : live.toArray()) {
                Tensor.releaseWithBackend(state);
            }
        } finally {
            driver.close();
        }
    }

    /** The calls running on this thread: the innermost one and the tensors it holds. */
    private static final ThreadLocal<Call> CALLS = new ThreadLocal<>();

    /**
     * One public call and the calls it makes on the same backend: it holds the tensors it touches
     * (so another thread's close cannot free them under it), counts itself in the backend's calls
     * in flight, and closes the tensors it allocated if it fails.
     */
    private static final class Call {
        final Backend backend;
        final Call outer;
        int depth = 1;
        boolean failed;
        Tensor[] held = new Tensor[8];
        int heldCount;
        Tensor[] made = new Tensor[4];
        int madeCount;

        Call(Backend backend, Call outer) {
            this.backend = backend;
            this.outer = outer;
        }

        void hold(Tensor t) {
            if (heldCount == held.length) {
                held = java.util.Arrays.copyOf(held, heldCount * 2);
            }
            held[heldCount++] = t;
        }

        void made(Tensor t) {
            if (madeCount == made.length) {
                made = java.util.Arrays.copyOf(made, madeCount * 2);
            }
            made[madeCount++] = t;
        }

        void fail() {
            if (depth == 1) {
                failed = true;
            }
        }

        /** Leaves one level; the outermost frees what it made if it failed, then lets go of its tensors. */
        void exit() {
            if (--depth > 0) {
                return;
            }
            try {
                if (failed) {
                    for (int i = madeCount - 1; i >= 0; i--) {
                        made[i].close();
                    }
                }
                for (int i = 0; i < heldCount; i++) {
                    held[i].releaseHold();
                }
            } finally {
                if (outer == null) {
                    CALLS.remove();
                } else {
                    CALLS.set(outer);
                }
                backend.inFlight.decrementAndGet();
            }
        }
    }

    Backend(BackendDriver driver) {
        this.driver = driver;
        this.nativePairs = driver.capabilities();
        this.capabilities = withHalfPrecision(nativePairs);
        this.abandoned = new Abandoned(driver, live);
        this.cleanable = BACKENDS.register(this, abandoned);
    }

    /**
     * The backend's name, such as {@code cpu}, as given to {@link Engine#open(String)}.
     *
     * @return the provider's lower-case name; available after {@link #close()} too
     */
    public String name() {
        return driver.name();
    }

    /**
     * What this backend offers: its device, memory, compute units, dtypes and supported ops. Read once
     * when the backend opened; the same object is returned every time, also after {@link #close()}.
     *
     * @return the capabilities, never null
     */
    public Capabilities capabilities() {
        return capabilities;
    }

    /**
     * Whether this backend implements {@code op}. A call that needs an op the backend lacks throws
     * {@link UnsupportedOpException} before any work starts. Answers after {@link #close()} too.
     *
     * @param op the op to ask about
     * @return true when {@code op} is among {@link Capabilities#supportedOps()}
     * @throws InvalidArgumentException when {@code op} is null
     */
    public boolean supports(Op op) {
        return capabilities.supports(op);
    }

    /**
     * Whether {@link #close()} has been called (it may still be waiting for other threads' calls).
     *
     * @return true once closing has begun; from then on every op throws {@link InvalidStateException}
     */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Number of tensors of this backend not yet closed.
     *
     * @return tensors that are open now, counting leaked ones the garbage collector has not freed yet
     */
    public int liveTensors() {
        return live.size();
    }

    /**
     * Bytes held by this backend's tensors now: open ones, and leaked ones the garbage collector has
     * not yet freed. Device memory for device backends, heap for the CPU backend.
     *
     * @return bytes (4 per float32 element), at least 0
     */
    public long allocatedBytes() {
        return memory.liveBytes();
    }

    /**
     * The most bytes {@link #allocatedBytes()} has read since the backend opened.
     *
     * @return the high-water mark in bytes
     */
    public long peakAllocatedBytes() {
        return memory.peakBytes();
    }

    /**
     * How often leaked device memory made this backend prompt a garbage collection.
     *
     * @return the number of collections prompted since the backend opened
     */
    public long collectionsPrompted() {
        return memory.collections();
    }

    /**
     * Waits until every op enqueued so far, by any thread, has finished. A no-op on backends that run
     * ops synchronously (the CPU backend).
     *
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceException if the device reports an error of the work it was running
     */
    public void synchronize() {
        run(() -> {
            checkOpen();
            driver.synchronize();
        });
    }

    /**
     * Frees every tensor still open, then the backend's own resources. Calls made from now on fail
     * with {@link InvalidStateException}; calls already running on other threads finish first.
     * Idempotent: a second close, from any thread, returns once the first has finished. Must not be
     * called from inside a call on this backend.
     *
     * @throws InvalidStateException if called from inside a call on this backend; the backend then
     *     stays open
     * @throws DeviceException if waiting for the device's pending work fails; the tensors and the
     *     backend's resources are freed nevertheless
     */
    @Override
    public void close() {
        for (Call c = CALLS.get(); c != null; c = c.outer) {
            if (c.backend == this) {
                throw new InvalidStateException("backend '" + name() + "' cannot be closed from inside one of its own calls");
            }
        }
        if (!closing.compareAndSet(false, true)) {
            if (closer == Thread.currentThread()) {
                return; // closed again from inside its own close (a driver's callback, say)
            }
            // Another thread closes it: its resources are gone once that close returns, and so must this one.
            boolean interrupted = false;
            while (closedFully.getCount() > 0) {
                try {
                    closedFully.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        closer = Thread.currentThread();
        closed = true;
        abandoned.closed = true; // closed here, not by the cleaner
        boolean interrupted = false;
        try {
            while (inFlight.get() > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                // Cleared while waiting (a set flag makes every park return at once), set again after.
                interrupted |= Thread.interrupted();
            }
            try {
                driver.synchronize();
            } finally {
                freeAll(live, driver);
            }
        } finally {
            cleanable.clean(); // deregisters; the action sees closed and does nothing
            closedFully.countDown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The name and device, for messages: {@code Backend[cpu on <device name>]}.
     *
     * @return a one-line description
     */
    @Override
    public String toString() {
        return "Backend[" + name() + " on " + capabilities.deviceName() + "]";
    }

    // =====================================================================================
    // Tensors
    // =====================================================================================

    /**
     * A tensor of the given shape with undefined contents.
     *
     * @param shape the shape of the new tensor, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code shape} is null
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor empty(Shape shape) {
        return call(() -> {
            checkOpen();
            requireNonNull(shape, "shape");
            return allocate(shape);
        });
    }

    /**
     * A tensor of the given dimensions with undefined contents.
     *
     * @param dims the dimensions, 0 to 4 of them, each at least 0 (none: a scalar)
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code dims} is null or not a valid {@link Shape}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor empty(long... dims) {
        return call(() -> {
            return empty(Shape.of(dims));
        });
    }

    /**
     * A tensor of zeros of the given shape.
     *
     * @param shape the shape of the new tensor, not null
     * @return a new tensor of +0.0f, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code shape} is null
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor zeros(Shape shape) {
        return full(shape, 0f);
    }

    /**
     * A tensor of zeros of the given dimensions.
     *
     * @param dims the dimensions, 0 to 4 of them, each at least 0 (none: a scalar)
     * @return a new tensor of +0.0f, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code dims} is null or not a valid {@link Shape}
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor zeros(long... dims) {
        return call(() -> {
            return full(Shape.of(dims), 0f);
        });
    }

    /**
     * A tensor with every element {@code value}.
     *
     * @param shape the shape of the new tensor, not null
     * @param value the value of every element; any float, NaN and ±∞ included
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code shape} is null
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor full(Shape shape, float value) {
        return call(() -> {
            require(Op.FILL);
            requireNonNull(shape, "shape");
            Tensor t = empty(shape);
            driver.fill(t.storage("t"), t.size(), value);
            return t;
        });
    }

    /**
     * A tensor of the given dimensions with every element {@code value}.
     *
     * @param value the value of every element; any float, NaN and ±∞ included
     * @param dims the dimensions, 0 to 4 of them, each at least 0 (none: a scalar)
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code dims} is null or not a valid {@link Shape}
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor full(float value, long... dims) {
        return call(() -> {
            return full(Shape.of(dims), value);
        });
    }

    /**
     * A rank-0 tensor holding {@code value}.
     *
     * @param value the element; any float
     * @return a new rank-0 tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor scalar(float value) {
        return call(() -> {
            return full(Shape.scalar(), value);
        });
    }

    /**
     * Uploads {@code data} as a tensor of the given dimensions (all of {@code data} when none are given: rank 1).
     * The array is copied before the call returns and may be reused at once.
     *
     * @param data the elements in row-major order, not null
     * @param dims the dimensions, 0 to 4 of them, whose product is {@code data.length}; none for a
     *     rank-1 tensor of {@code data.length} elements
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code data} or {@code dims} is null, {@code dims} is not a valid
     *     {@link Shape}, or its element count differs from {@code data.length}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(float[] data, long... dims) {
        return call(() -> {
            requireNonNull(data, "data");
            requireNonNull(dims, "dims");
            Shape shape = dims.length == 0 ? Shape.of(data.length) : Shape.of(dims);
            if (shape.size() != data.length) {
                throw new InvalidArgumentException("upload: shape " + shape + " has " + shape.size()
                        + " elements but the array has " + data.length);
            }
            Tensor t = empty(shape);
            upload(t, MemorySegment.ofArray(data));
            return t;
        });
    }

    /**
     * Uploads {@code data}, whose length must be the shape's size, as a tensor of that shape. The array
     * is copied before the call returns and may be reused at once.
     *
     * @param data the elements in row-major order, not null
     * @param shape the shape of the new tensor, not null, with {@code data.length} elements
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code data} or {@code shape} is null, or the shape's size
     *     differs from {@code data.length}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(float[] data, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            requireNonNull(shape, "shape");
            if (shape.size() != data.length) {
                throw new InvalidArgumentException("upload: shape " + shape + " has " + shape.size()
                        + " elements but the array has " + data.length);
            }
            Tensor t = empty(shape);
            upload(t, MemorySegment.ofArray(data));
            return t;
        });
    }

    /**
     * Uploads the remaining floats of {@code data} as a tensor of the given shape. The buffer's position
     * is not moved; any byte order, heap or direct, is accepted. The floats are copied before the call
     * returns.
     *
     * @param data the elements in row-major order, from its position to its limit, not null
     * @param shape the shape of the new tensor, not null, with {@code data.remaining()} elements
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code data} or {@code shape} is null, or the shape's size
     *     differs from {@code data.remaining()}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(FloatBuffer data, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            requireNonNull(shape, "shape");
            if (shape.size() != data.remaining()) {
                throw new InvalidArgumentException("upload: shape " + shape + " has " + shape.size()
                        + " elements but the buffer has " + data.remaining() + " remaining");
            }
            Tensor t = empty(shape);
            t.copyFrom(data);
            return t;
        });
    }

    /**
     * Uploads native-order floats from {@code data} as a tensor of the given shape. The bytes are copied
     * before the call returns; the segment need not be aligned.
     *
     * @param data the elements in row-major order as native-order float32, exactly {@code 4·shape.size()}
     *     bytes; its arena must be open and the segment accessible from this thread; not null
     * @param shape the shape of the new tensor, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code data} or {@code shape} is null, the byte size is not
     *     4·size, or the segment's arena is closed (also while the copy runs) or confined to another thread
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(MemorySegment data, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            requireNonNull(shape, "shape");
            Tensor.checkSegmentUsable("upload", data);
            if (shape.size() > Long.MAX_VALUE / 4 || data.byteSize() != shape.size() * 4) {
                throw new InvalidArgumentException("upload: shape " + shape + " needs " + shape.size() * 4
                        + " bytes but the segment has " + data.byteSize());
            }
            Tensor t = empty(shape);
            upload(t, data);
            return t;
        });
    }

    // ---- other dtypes ----------------------------------------------------------------------

    /**
     * A tensor of the given dtype and shape with undefined contents.
     *
     * @param dtype the element type, one of {@link Capabilities#dtypes()}; not null
     * @param shape the shape, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor empty(DType dtype, Shape shape) {
        return call(() -> {
            checkOpen();
            requireNonNull(shape, "shape");
            requireStored(dtype);
            return allocate(shape, dtype);
        });
    }

    /**
     * A tensor of the given dtype and dimensions with undefined contents.
     *
     * @param dtype the element type, not null
     * @param dims the dimensions, 0 to 4 of them (none: a scalar)
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or {@code dims} is not a valid {@link Shape}
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor empty(DType dtype, long... dims) {
        return call(() -> empty(dtype, Shape.of(dims)));
    }

    /**
     * A tensor of zeros (+0) of the given dtype and dimensions.
     *
     * @param dtype the element type, not null
     * @param dims the dimensions, 0 to 4 of them (none: a scalar)
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or {@code dims} is not a valid {@link Shape}
     * @throws UnsupportedOpException if the backend does not store {@code dtype} or lacks {@link Op#FILL}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor zeros(DType dtype, long... dims) {
        return call(() -> full(dtype, Shape.of(dims), 0f));
    }

    /**
     * A tensor of the given dtype with every element {@code value}, converted by {@link Conversions}.
     *
     * @param dtype the element type, not null
     * @param shape the shape, not null
     * @param value the value: any float for the floating-point dtypes (rounded once for the half
     *     types); an integer in range for {@link DType#INT32} and {@link DType#UINT8}
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, or {@code value} is not a value of an
     *     integer dtype
     * @throws UnsupportedOpException if the backend does not store {@code dtype} or lacks {@link Op#FILL}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor full(DType dtype, Shape shape, float value) {
        return call(() -> {
            require(Op.FILL);
            requireNonNull(dtype, "dtype");
            checkFillValue(dtype, value); // before the tensor is allocated
            Tensor t = empty(dtype, shape);
            fillConverted(t, t.storage("t"), value);
            return t;
        });
    }

    /**
     * {@link #full(DType, Shape, float)} with an int value: exact in an INT32 tensor across its whole range (a float
     * holds integers exactly only up to 2<sup>24</sup>), converted by {@link Conversions} for the floating-point
     * dtypes.
     *
     * @param dtype the element type, not null
     * @param shape the shape, not null
     * @param value the value; for {@link DType#UINT8} from 0 to 255
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, or {@code value} is outside UINT8's range
     * @throws UnsupportedOpException if the backend does not store {@code dtype} or lacks {@link Op#FILL}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor full(DType dtype, Shape shape, int value) {
        return call(() -> {
            require(Op.FILL);
            requireNonNull(dtype, "dtype");
            int bits = intFillBits(dtype, value); // before the tensor is allocated
            Tensor t = empty(dtype, shape);
            if (dtype == DType.FLOAT32) {
                driver.fill(t.storage("t"), t.size(), (float) value);
            } else {
                driver.fillBits(t.storage("t"), dtype, t.size(), bits);
            }
            return t;
        });
    }

    /**
     * Uploads floats into a tensor of {@code dtype}, each converted by {@link Conversions} (rounded to
     * nearest even for the half types; toward zero and saturated for the integer types).
     *
     * @param data the values in row-major order, not null
     * @param dtype the element type of the new tensor, not null
     * @param dims the dimensions, whose product is {@code data.length}; none for rank 1
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, {@code dims} is not a valid shape or its
     *     element count differs from {@code data.length}
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(float[] data, DType dtype, long... dims) {
        return call(() -> {
            requireNonNull(data, "data");
            Tensor t = empty(dtype, uploadShape(data.length, dims));
            upload(t, Tensor.converted(data, dtype));
            return t;
        });
    }

    /**
     * Uploads raw 16-bit patterns as a {@link DType#FLOAT16} or {@link DType#BFLOAT16} tensor.
     *
     * @param bits the elements' bits in row-major order, not null
     * @param dtype {@link DType#FLOAT16} or {@link DType#BFLOAT16}
     * @param dims the dimensions, whose product is {@code bits.length}; none for rank 1
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, {@code dtype} is not a half type, or the
     *     shape does not match the array
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(short[] bits, DType dtype, long... dims) {
        return call(() -> {
            requireNonNull(bits, "bits");
            requireNonNull(dtype, "dtype");
            if (!dtype.isHalf()) {
                throw new InvalidArgumentException("upload: a short[] holds FLOAT16 or BFLOAT16 bits, not " + dtype);
            }
            Tensor t = empty(dtype, uploadShape(bits.length, dims));
            upload(t, MemorySegment.ofArray(bits));
            return t;
        });
    }

    /**
     * Uploads ints as an {@link DType#INT32} tensor.
     *
     * @param data the elements in row-major order, not null
     * @param dims the dimensions, whose product is {@code data.length}; none for rank 1
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or the shape does not match the array
     * @throws UnsupportedOpException if the backend does not store int32
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(int[] data, long... dims) {
        return call(() -> {
            requireNonNull(data, "data");
            Tensor t = empty(DType.INT32, uploadShape(data.length, dims));
            upload(t, MemorySegment.ofArray(data));
            return t;
        });
    }

    /**
     * Uploads bytes, read unsigned, as a {@link DType#UINT8} tensor.
     *
     * @param data the elements in row-major order, not null
     * @param dims the dimensions, whose product is {@code data.length}; none for rank 1
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or the shape does not match the array
     * @throws UnsupportedOpException if the backend does not store uint8
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(byte[] data, long... dims) {
        return call(() -> {
            requireNonNull(data, "data");
            Tensor t = empty(DType.UINT8, uploadShape(data.length, dims));
            upload(t, MemorySegment.ofArray(data));
            return t;
        });
    }

    /**
     * Uploads raw elements of {@code dtype} from a byte buffer, in the buffer's byte order, from its
     * position (not moved); exactly {@code shape.size()·dtype.byteSize()} bytes must remain.
     *
     * @param data the raw elements in row-major order, not null
     * @param dtype the element type, not null
     * @param shape the shape, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or the byte counts differ
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(ByteBuffer data, DType dtype, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            Tensor t = empty(dtype, shape);
            t.copyFrom(data);
            return t;
        });
    }

    /**
     * Uploads raw 16-bit patterns from a short buffer (either byte order) as a half-precision tensor,
     * from its position (not moved); exactly {@code shape.size()} must remain.
     *
     * @param bits the elements' bits in row-major order, not null
     * @param dtype {@link DType#FLOAT16} or {@link DType#BFLOAT16}
     * @param shape the shape, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, {@code dtype} is not a half type, or the
     *     counts differ
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(ShortBuffer bits, DType dtype, Shape shape) {
        return call(() -> {
            requireNonNull(bits, "bits");
            requireNonNull(dtype, "dtype");
            if (!dtype.isHalf()) {
                throw new InvalidArgumentException("upload: a ShortBuffer holds FLOAT16 or BFLOAT16 bits, not " + dtype);
            }
            Tensor t = empty(dtype, shape);
            t.copyFrom(bits);
            return t;
        });
    }

    /**
     * Uploads ints from a buffer (either byte order) as an {@link DType#INT32} tensor, from its
     * position (not moved); exactly {@code shape.size()} must remain.
     *
     * @param data the elements in row-major order, not null
     * @param shape the shape, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null or the counts differ
     * @throws UnsupportedOpException if the backend does not store int32
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(IntBuffer data, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            Tensor t = empty(DType.INT32, shape);
            t.copyFrom(data);
            return t;
        });
    }

    /**
     * Uploads native-order raw elements of {@code dtype} from a segment of exactly
     * {@code shape.size()·dtype.byteSize()} bytes; its arena must be open and accessible from this thread.
     *
     * @param data the raw elements in row-major order, not null
     * @param dtype the element type, not null
     * @param shape the shape, not null
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, the byte size differs, or the segment's
     *     arena is closed or confined to another thread
     * @throws UnsupportedOpException if the backend does not store {@code dtype}
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor of(MemorySegment data, DType dtype, Shape shape) {
        return call(() -> {
            requireNonNull(data, "data");
            requireNonNull(shape, "shape");
            requireNonNull(dtype, "dtype");
            Tensor.checkSegmentUsable("upload", data);
            if (shape.size() > Long.MAX_VALUE / dtype.byteSize() || data.byteSize() != shape.size() * dtype.byteSize()) {
                throw new InvalidArgumentException("upload: shape " + shape + " of " + dtype + " needs "
                        + shape.size() * dtype.byteSize() + " bytes but the segment has " + data.byteSize());
            }
            Tensor t = empty(dtype, shape);
            upload(t, data);
            return t;
        });
    }

    /**
     * {@code x} converted to {@code dtype} by the rules of {@link Conversions}, bit for bit the same on
     * every backend.
     *
     * @param x the tensor converted, of any dtype
     * @param dtype the dtype of the result, not null
     * @return a new tensor of {@code x}'s shape (a copy when the dtype is the same), owned by the caller
     *     (or the current {@link Scope})
     * @throws InvalidArgumentException if an argument is null, or {@code x} is closed or of another backend
     * @throws UnsupportedOpException if the backend does not store {@code dtype} or lacks {@link Op#CAST}
     *     for either dtype
     * @throws InvalidStateException if this backend is closed
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor cast(Tensor x, DType dtype) {
        return call(() -> {
            require(Op.CAST);
            ownAny(x, "x");
            requireStored(dtype);
            Tensor out = allocate(x.shape(), dtype);
            castInto(x, out);
            return out;
        });
    }

    /**
     * Writes {@code x} converted to {@code out}'s dtype into {@code out}, by the rules of
     * {@link Conversions}; the shapes must be equal.
     *
     * @param x the tensor converted
     * @param out the tensor written, shaped like {@code x}, of any dtype
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or the shapes
     *     differ (casting a tensor onto itself does nothing)
     * @throws UnsupportedOpException if the backend lacks {@link Op#CAST} for either dtype
     * @throws InvalidStateException if this backend is closed
     */
    public void cast(Tensor x, Tensor out) {
        run(() -> {
            require(Op.CAST);
            ownAny(x, "x");
            ownAny(out, "out");
            sameShape("cast", "x", x, "out", out);
            if (x == out) {
                return;
            }
            castInto(x, out);
        });
    }

    private void castInto(Tensor x, Tensor out) {
        for (Tensor t : new Tensor[] {x, out}) {
            if (!capabilities.supports(Op.CAST, t.dtype())) {
                throw new UnsupportedOpException(Op.CAST, t.dtype(), "backend '" + name() + "' does not cast " + t.dtype());
            }
        }
        if (x.size() == 0) {
            return;
        }
        if (x.dtype() == out.dtype()) {
            driver.copy(x.storage("x"), out.storage("out"), x.size());
        } else {
            driver.cast(x.storage("x"), x.dtype(), out.storage("out"), out.dtype(), x.size());
        }
    }

    private void requireStored(DType dtype) {
        requireNonNull(dtype, "dtype");
        if (!capabilities.dtypes().contains(dtype)) {
            throw new UnsupportedOpException(Op.UPLOAD, dtype, "backend '" + name() + "' does not store " + dtype
                    + " (it stores " + capabilities.dtypes() + ")");
        }
    }

    private static Shape uploadShape(int length, long[] dims) {
        requireNonNull(dims, "dims");
        Shape shape = dims.length == 0 ? Shape.of(length) : Shape.of(dims);
        if (shape.size() != length) {
            throw new InvalidArgumentException("upload: shape " + shape + " has " + shape.size()
                    + " elements but the array has " + length);
        }
        return shape;
    }

    void upload(Tensor t, MemorySegment src) {
        run(() -> {
            checkOpen();
            // Every public path checks its segment (or buffer) first; this is the last gate before native code.
            Tensor.checkSegmentUsable("upload", src);
            Storage s = ownAny(t, "upload target");
            try {
                driver.write(s, 0, src, t.size());
            } catch (IllegalStateException | WrongThreadException e) {
                throw segmentGone("upload", src, e);
            } catch (InternalError e) {
                // The JDK's report of a fault reading the segment: a mapped file truncated under it, say.
                InvalidArgumentException x = new InvalidArgumentException("upload: reading the source segment faulted ("
                        + e.getMessage() + "); a mapped file shorter than its mapping?");
                x.initCause(e);
                throw x;
            }
        });
    }

    void download(Tensor t, MemorySegment dst) {
        run(() -> {
            checkOpen();
            Tensor.checkSegmentUsable("download", dst);
            Storage s = ownAny(t, "download source");
            try {
                driver.read(s, 0, dst, t.size());
            } catch (IllegalStateException | WrongThreadException e) {
                throw segmentGone("download", dst, e);
            } catch (InternalError e) {
                InvalidArgumentException x = new InvalidArgumentException("download: writing the destination segment faulted ("
                        + e.getMessage() + "); a mapped file shorter than its mapping?");
                x.initCause(e);
                throw x;
            }
        });
    }

    /**
     * A segment closed by another thread while a transfer ran, or used from the wrong thread, is
     * reported as the bad argument it is; any other state error is the backend's own.
     */
    private RuntimeException segmentGone(String what, MemorySegment seg, RuntimeException e) {
        if (e instanceof WrongThreadException || !seg.scope().isAlive()) {
            InvalidArgumentException x = new InvalidArgumentException(what + ": the segment's memory was closed or is "
                    + "confined to another thread while the copy ran");
            x.initCause(e);
            return x;
        }
        return e;
    }

    /**
     * Runs a public call's body as one call on this backend (see {@link Call}): its tensors held
     * until it returns, counted among the calls in flight, what it allocated closed if it fails.
     */
    private <T> T call(java.util.function.Supplier<T> body) {
        Call call = enter();
        try {
            return body.get();
        } catch (OutOfMemoryError e) {
            // The Java heap is the CPU backend's memory, and every backend's scratch: reported as every allocation's
            // failure is (the class's contract), not as an Error that escapes the engine's exception family.
            call.fail();
            throw new DeviceOutOfMemoryException("backend '" + name() + "': the Java heap ran out during the call ("
                    + e.getMessage() + "); a larger -Xmx, or smaller tensors", -1, e);
        } catch (RuntimeException | Error e) {
            call.fail();
            throw e;
        } finally {
            call.exit();
        }
    }

    /** {@link #call} for a body without a result. */
    private void run(Runnable body) {
        call(() -> {
            body.run();
            return null;
        });
    }

    /** Enters a call on this backend from the current thread; fails once the backend is closed. */
    private Call enter() {
        Call c = CALLS.get();
        if (c != null && c.backend == this) {
            c.depth++;
            return c;
        }
        inFlight.incrementAndGet();
        if (closed) {
            inFlight.decrementAndGet();
            throw closedException();
        }
        Call call = new Call(this, c);
        CALLS.set(call);
        return call;
    }

    private Call current() {
        Call c = CALLS.get();
        if (c == null || c.backend != this) {
            throw new AssertionError("kengine: a tensor was touched outside a call on its backend");
        }
        return c;
    }

    private InvalidStateException closedException() {
        return new InvalidStateException("backend '" + name() + "' is closed");
    }

    /**
     * A new tensor, held by the current call (and closed if the call fails). Device memory that
     * leaked tensors hold is reclaimed first when it has grown; an allocation that fails for lack of
     * memory is tried once more after a collection when leaked device memory could be what is missing.
     */
    private Tensor allocate(Shape shape) {
        return allocate(shape, DType.FLOAT32);
    }

    private Tensor allocate(Shape shape, DType dtype) {
        long elements = shape.size();
        int width = dtype.byteSize();
        long bytes = elements > Long.MAX_VALUE / width ? Long.MAX_VALUE : elements * width;
        memory.beforeNative(bytes, capabilities.memoryBytes());
        Storage s;
        try {
            s = driver.allocate(elements, dtype);
        } catch (DeviceOutOfMemoryException e) {
            if (!memory.mayReclaim(bytes, capabilities.memoryBytes())) {
                throw e;
            }
            memory.collect(bytes);
            s = driver.allocate(elements, dtype);
        }
        if (poisonOutputs && elements > 0) {
            poison(s, dtype, elements);
        }
        Tensor t = new Tensor(this, shape, dtype, s, live, memory);
        Call c = current();
        t.hold("new tensor");
        c.hold(t);
        c.made(t);
        return t;
    }

    /**
     * Fills a new storage with a value no op writes by accident ({@link #POISON_PROPERTY}): a NaN in the floating-point
     * dtypes, all ones in the integer ones. A driver without a fill is left as it is.
     */
    private void poison(Storage s, DType dtype, long elements) {
        int bits = switch (dtype) {
            case FLOAT32 -> 0x7FC0_0000;
            case FLOAT16 -> 0x7E00;
            case BFLOAT16 -> 0x7FC0;
            case INT32 -> -1;
            case UINT8 -> 0xFF;
        };
        try {
            driver.fillBits(s, dtype, elements, bits);
        } catch (UnsupportedOpException e) {
            // nothing to poison with
        }
    }

    /** Allocates one tensor per shape (none for a null shape); the call closes them all if it fails. */
    private Tensor[] allocate(Shape... shapes) {
        Tensor[] out = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            if (shapes[i] != null) {
                out[i] = allocate(shapes[i]);
            }
        }
        return out;
    }


    // =====================================================================================
    // Basics
    // =====================================================================================

    /**
     * Sets every element of {@code t} to {@code value}, in place.
     *
     * @param t the tensor to overwrite, of any shape
     * @param value the value of every element; any float for a floating-point tensor (rounded once to
     *     a half type), a whole number in the dtype's range for INT32 and UINT8
     * @throws InvalidArgumentException if {@code t} is null, closed or of another backend, or the value
     *     is not a whole number in an integer tensor's range
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     */
    public void fill(Tensor t, float value) {
        run(() -> {
            require(Op.FILL);
            Storage s = ownAny(t, "t");
            fillConverted(t, s, value);
        });
    }

    /**
     * {@link #fill(Tensor, float)} with an int value: exact in an INT32 tensor across its whole range, converted by
     * {@link Conversions} in a floating-point one.
     *
     * @param t the tensor to overwrite, of any shape
     * @param value the value of every element; for a UINT8 tensor from 0 to 255
     * @throws InvalidArgumentException if {@code t} is null, closed or of another backend, or the value is outside a
     *     UINT8 tensor's range
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#FILL}
     */
    public void fill(Tensor t, int value) {
        run(() -> {
            require(Op.FILL);
            Storage s = ownAny(t, "t");
            DType d = t.dtype();
            if (d == DType.FLOAT32) {
                driver.fill(s, t.size(), (float) value);
                return;
            }
            driver.fillBits(s, d, t.size(), intFillBits(d, value));
        });
    }

    /** The bits of an int value in dtype {@code d}: exact for INT32, range-checked for UINT8, converted for the rest. */
    private static int intFillBits(DType d, int value) {
        return switch (d) {
            case INT32 -> value;
            case UINT8 -> {
                if (value < 0 || value > 255) {
                    throw new InvalidArgumentException("fill: " + value + " is not a value of UINT8 (an integer from 0 to 255)");
                }
                yield value;
            }
            default -> Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits((float) value), d);
        };
    }

    /** Rejects a float that is not a value of an integer dtype {@code d} (whole and in range); any float otherwise. */
    private static void checkFillValue(DType d, float value) {
        if (!d.isFloatingPoint()) {
            double max = d == DType.INT32 ? Integer.MAX_VALUE : 255;
            double min = d == DType.INT32 ? Integer.MIN_VALUE : 0;
            if (value != Math.rint(value) || value < min || value > max) {
                throw new InvalidArgumentException("fill: " + value + " is not a value of " + d + " (an integer from "
                        + (long) min + " to " + (long) max + ")");
            }
        }
    }

    /** Fills a held tensor of any dtype with {@code value} converted to it. */
    private void fillConverted(Tensor t, Storage s, float value) {
        DType d = t.dtype();
        if (d == DType.FLOAT32) {
            driver.fill(s, t.size(), value);
            return;
        }
        checkFillValue(d, value);
        driver.fillBits(s, d, t.size(), Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits(value), d));
    }

    /**
     * Copies {@code src} into {@code dst}; shapes must be equal. Copying a tensor onto itself does nothing.
     *
     * @param src the tensor read
     * @param dst the tensor overwritten, shaped like {@code src}
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, the shapes differ, or
     *     the dtypes differ (convert with {@link #cast(Tensor, Tensor)})
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#COPY}
     */
    public void copy(Tensor src, Tensor dst) {
        run(() -> {
            require(Op.COPY);
            Storage a = ownAny(src, "src");
            Storage b = ownAny(dst, "dst");
            sameShape("copy", "src", src, "dst", dst);
            sameDtype("copy", "src", src, "dst", dst);
            if (a != b) {
                driver.copy(a, b, src.size());
            }
        });
    }

    /**
     * A new tensor equal to {@code src}.
     *
     * @param src the tensor copied
     * @return a new tensor of {@code src}'s shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code src} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#COPY}
     * @throws DeviceOutOfMemoryException if the copy does not fit
     */
    public Tensor copyOf(Tensor src) {
        return call(() -> {
            require(Op.COPY);
            ownAny(src, "src");
            Tensor t = allocate(src.shape(), src.dtype());
            driver.copy(src.storage("src"), t.storage("copy"), src.size());
            return t;
        });
    }

    /**
     * a + b elementwise; b has a's shape or is a row {@code [cols]} broadcast over a's rows.
     *
     * @param a the left operand, of any shape
     * @param b the right operand: a's shape, or rank 1 with a's last dimension (a of rank ≥ 1), added
     *     to every row of a
     * @return a new tensor of a's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or b is
     *     neither a's shape nor a broadcast row
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ADD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor add(Tensor a, Tensor b) {
        return call(() -> {
            return binary(Binary.ADD, a, b, null);
        });
    }

    /**
     * a − b elementwise; broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the minuend, of any shape
     * @param b the subtrahend: a's shape, or a row {@code [cols]} subtracted from every row of a
     * @return a new tensor of a's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or b is
     *     neither a's shape nor a broadcast row
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SUB}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor sub(Tensor a, Tensor b) {
        return call(() -> {
            return binary(Binary.SUB, a, b, null);
        });
    }

    /**
     * a ⊙ b, the elementwise product; broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the left factor, of any shape
     * @param b the right factor: a's shape, or a row {@code [cols]} multiplying every row of a
     * @return a new tensor of a's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or b is
     *     neither a's shape nor a broadcast row
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MUL}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor mul(Tensor a, Tensor b) {
        return call(() -> {
            return binary(Binary.MUL, a, b, null);
        });
    }

    /**
     * a / b elementwise, IEEE division (x/0 is ±∞ or NaN); broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the dividend, of any shape
     * @param b the divisor: a's shape, or a row {@code [cols]} dividing every row of a
     * @return a new tensor of a's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or b is
     *     neither a's shape nor a broadcast row
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DIV}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor div(Tensor a, Tensor b) {
        return call(() -> {
            return binary(Binary.DIV, a, b, null);
        });
    }

    /**
     * a + b into {@code out} (which may be a); broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the left operand, of any shape
     * @param b the right operand: a's shape, or a row {@code [cols]} broadcast over a's rows
     * @param out receives the sum; a's shape; may be a, or b when b is not a broadcast row
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, b is neither
     *     a's shape nor a broadcast row, out is not a's shape, or out is the broadcast row b
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ADD}
     */
    public void add(Tensor a, Tensor b, Tensor out) {
        run(() -> {
            requireNonNull(out, "add: out");
            binary(Binary.ADD, a, b, out);
        });
    }

    /**
     * a − b into {@code out} (which may be a); broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the minuend, of any shape
     * @param b the subtrahend: a's shape, or a row {@code [cols]} broadcast over a's rows
     * @param out receives the difference; a's shape; may be a, or b when b is not a broadcast row
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, b is neither
     *     a's shape nor a broadcast row, out is not a's shape, or out is the broadcast row b
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SUB}
     */
    public void sub(Tensor a, Tensor b, Tensor out) {
        run(() -> {
            requireNonNull(out, "sub: out");
            binary(Binary.SUB, a, b, out);
        });
    }

    /**
     * a ⊙ b into {@code out} (which may be a); broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the left factor, of any shape
     * @param b the right factor: a's shape, or a row {@code [cols]} broadcast over a's rows
     * @param out receives the product; a's shape; may be a, or b when b is not a broadcast row
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, b is neither
     *     a's shape nor a broadcast row, out is not a's shape, or out is the broadcast row b
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MUL}
     */
    public void mul(Tensor a, Tensor b, Tensor out) {
        run(() -> {
            requireNonNull(out, "mul: out");
            binary(Binary.MUL, a, b, out);
        });
    }

    /**
     * a / b into {@code out} (which may be a); broadcasting as for {@link #add(Tensor, Tensor)}.
     *
     * @param a the dividend, of any shape
     * @param b the divisor: a's shape, or a row {@code [cols]} broadcast over a's rows
     * @param out receives the quotient; a's shape; may be a, or b when b is not a broadcast row
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, b is neither
     *     a's shape nor a broadcast row, out is not a's shape, or out is the broadcast row b
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DIV}
     */
    public void div(Tensor a, Tensor b, Tensor out) {
        run(() -> {
            requireNonNull(out, "div: out");
            binary(Binary.DIV, a, b, out);
        });
    }

    private Tensor binary(Binary op, Tensor a, Tensor b, Tensor out) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        DType h = halfOf(Op.valueOf(op.name()), names("a", "b", "out"), a, b, out);
        if (h != null && !nativePairs.supports(Op.valueOf(op.name()), h)) {
            try (Widened w = new Widened(h)) {
                Tensor fo = w.out(out);
                Tensor r = binary(op, w.in(a), w.in(b), fo);
                w.commit();
                return out == null ? w.result(r) : out;
            }
        }
        Storage sa = arg(Op.valueOf(op.name()), a, "a");
        Storage sb = own(Op.valueOf(op.name()), b, "b");
        boolean row;
        if (a.shape().equals(b.shape())) {
            row = false;
        } else if (b.rank() == 1 && a.rank() >= 1 && b.shape().dim(0) == a.shape().lastDim()) {
            row = true;
        } else {
            throw new InvalidArgumentException(name + ": a is " + a.shape() + " but b is " + b.shape()
                    + "; b must have a's shape or be a row [" + a.shape().lastDim() + "]");
        }
        long cols = a.shape().lastDim();
        long rows = cols == 0 ? 0 : a.size() / cols;
        Tensor result = out;
        if (out == null) {
            result = allocate(a.shape(), a.dtype());
        } else {
            own(Op.valueOf(op.name()), out, "out");
            sameShape(name, "a", a, "out", out);
            if (out == b && row) {
                throw new InvalidArgumentException(name + ": out " + out.shape() + " may not be the broadcast row b "
                        + b.shape());
            }
        }
        if (a.size() > 0) {
            driver.binary(op, sa, sb, result.storage("out"), rows, cols, row);
        }
        return out == null ? result : null;
    }

    /**
     * s · x as a new tensor.
     *
     * @param x the tensor scaled, of any shape
     * @param s the factor; any float
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SCALE}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor scale(Tensor x, float s) {
        return call(() -> {
            DType h = halfOf(Op.SCALE, names("x"), x);
            if (h != null && !nativePairs.supports(Op.SCALE, h)) {
                try (Widened w = new Widened(h)) {
                    return w.result(scale(w.in(x), s));
                }
            }
            Storage sx = arg(Op.SCALE, x, "x");
            Tensor out = allocate(x.shape(), x.dtype());
            driver.scale(sx, s, out.storage("out"), x.size());
            return out;
        });
    }

    /**
     * out = s · x; out may be x.
     *
     * @param x the tensor scaled, of any shape
     * @param s the factor; any float
     * @param out receives the result; x's shape; may be x
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or out's shape
     *     differs from x's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SCALE}
     */
    public void scale(Tensor x, float s, Tensor out) {
        run(() -> {
            DType h = halfOf(Op.SCALE, names("x", "out"), x, out);
            if (h != null && !nativePairs.supports(Op.SCALE, h)) {
                try (Widened w = new Widened(h)) {
                    scale(w.in(x), s, w.out(out));
                    w.commit();
                }
                return;
            }
            Storage sx = arg(Op.SCALE, x, "x");
            Storage so = own(Op.SCALE, out, "out");
            sameShape("scale", "x", x, "out", out);
            driver.scale(sx, s, so, x.size());
        });
    }

    /**
     * y += alpha · x; shapes must be equal (y may be x: y + alpha·y, rounded as written, not as (1 + alpha)·y).
     *
     * @param x the tensor added, read only
     * @param y the tensor updated in place, x's shape
     * @param alpha the factor of x; any float
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#AXPY}
     */
    public void axpy(Tensor x, Tensor y, float alpha) {
        run(() -> {
            Storage sx = arg(Op.AXPY, x, "x");
            Storage sy = own(y, "y");
            sameShape("axpy", "x", x, "y", y);
            driver.axpy(alpha, sx, sy, x.size());
        });
    }

    /**
     * The sum over {@code axis} (negative counts from the end); the result drops that axis. An empty
     * axis sums to 0.
     *
     * @param x the tensor summed, of rank ≥ 1
     * @param axis the axis summed over, in {@code [-rank, rank)}
     * @return a new tensor of x's shape without {@code axis} (rank 0 for a rank-1 x), owned by the
     *     caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, of rank 0, or
     *     {@code axis} is out of range
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SUM}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor sum(Tensor x, int axis) {
        return call(() -> {
            return reduce(x, axis, false);
        });
    }

    /**
     * The mean over {@code axis} (negative counts from the end); the result drops that axis. The mean
     * over an empty axis is NaN.
     *
     * @param x the tensor averaged, of rank ≥ 1
     * @param axis the axis averaged over, in {@code [-rank, rank)}
     * @return a new tensor of x's shape without {@code axis} (rank 0 for a rank-1 x), owned by the
     *     caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, of rank 0, or
     *     {@code axis} is out of range
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MEAN}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor mean(Tensor x, int axis) {
        return call(() -> {
            return reduce(x, axis, true);
        });
    }

    /**
     * The sum of all elements, as a rank-0 tensor; 0 for an empty tensor.
     *
     * @param x the tensor summed, of any shape
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SUM}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor sum(Tensor x) {
        return call(() -> {
            return reduceAll(x, false);
        });
    }

    /**
     * The mean of all elements, as a rank-0 tensor; NaN for an empty tensor.
     *
     * @param x the tensor averaged, of any shape
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MEAN}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor mean(Tensor x) {
        return call(() -> {
            return reduceAll(x, true);
        });
    }

    private Tensor reduce(Tensor x, int axis, boolean mean) {
        DType h = halfOf(mean ? Op.MEAN : Op.SUM, names("x"), x);
        if (h != null) {
            try (Widened w = new Widened(h)) {
                return w.result(reduce(w.in(x), axis, mean));
            }
        }
        Storage sx = arg(mean ? Op.MEAN : Op.SUM, x, "x");
        Shape s = x.shape();
        if (s.rank() == 0) {
            throw new InvalidArgumentException((mean ? "mean" : "sum") + ": x is a scalar; it has no axis " + axis);
        }
        int a = s.normalizeAxis(axis);
        long outer = 1;
        long inner = 1;
        for (int i = 0; i < a; i++) {
            outer *= s.dim(i);
        }
        for (int i = a + 1; i < s.rank(); i++) {
            inner *= s.dim(i);
        }
        Tensor out = allocate(s.without(a));
        if (out.size() > 0) {
            driver.reduce(sx, out.storage("out"), outer, s.dim(a), inner, mean);
        }
        return out;
    }

    private Tensor reduceAll(Tensor x, boolean mean) {
        DType h = halfOf(mean ? Op.MEAN : Op.SUM, names("x"), x);
        if (h != null) {
            try (Widened w = new Widened(h)) {
                return w.result(reduceAll(w.in(x), mean));
            }
        }
        Storage sx = arg(mean ? Op.MEAN : Op.SUM, x, "x");
        Tensor out = allocate(Shape.scalar());
        driver.reduce(sx, out.storage("out"), 1, x.size(), 1, mean);
        return out;
    }

    /**
     * The L2 norm √Σx² of all elements, as a rank-0 tensor, without overflow for large elements.
     *
     * @param x the tensor measured, of any shape (0 for an empty one)
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#L2_NORM}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor l2Norm(Tensor x) {
        return call(() -> {
            DType h = halfOf(Op.L2_NORM, names("x"), x);
            if (h != null) {
                try (Widened w = new Widened(h)) {
                    return l2Norm(w.in(x)); // float32: a half-precision norm would overflow long before its elements do
                }
            }
            Storage sx = arg(Op.L2_NORM, x, "x");
            Tensor out = allocate(Shape.scalar());
            driver.l2Norm(sx, x.size(), out.storage("out"));
            return out;
        });
    }

    /**
     * The maximum over the last axis (NaN where a row holds NaN; +0 over −0, as IEEE 754-2019's maximum); the
     * result drops that axis.
     *
     * @param x the tensor, of rank ≥ 1 with a last dimension ≥ 1
     * @return a new tensor of x's shape without its last axis (rank 0 for a rank-1 x), owned by the
     *     caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, of rank 0, or
     *     its last axis is empty
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MAX}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor max(Tensor x) {
        return call(() -> {
            Storage sx = arg(Op.MAX, x, "x");
            requireRankAtLeast("max", "x", x, 1);
            if (x.shape().lastDim() == 0) {
                throw new InvalidArgumentException("max: x " + x.shape() + " has an empty last axis");
            }
            Tensor out = allocate(x.shape().without(-1));
            driver.max(sx, out.storage("out"), x.shape().rows(), x.shape().lastDim());
            return out;
        });
    }

    /**
     * The index of the maximum over the last axis, for each row: the first NaN if the row holds one,
     * else the first of equal maxima (−0 and +0 are equal). Waits for the work that produces x.
     *
     * @param x the tensor, of rank ≥ 1 with a last dimension from 1 to {@code Integer.MAX_VALUE}
     * @return one index in {@code [0, lastDim)} per row (per element of x's shape without its last
     *     axis, in row-major order), in a new array
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, of rank 0, its
     *     last axis is empty or longer than an int can index, or it has more rows than an array can hold
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ARGMAX}
     */
    public int[] argmax(Tensor x) {
        return call(() -> {
            DType h = halfOf(Op.ARGMAX, names("x"), x);
            if (h != null) {
                try (Widened w = new Widened(h)) {
                    return argmax(w.in(x));
                }
            }
            Storage sx = arg(Op.ARGMAX, x, "x");
            requireRankAtLeast("argmax", "x", x, 1);
            if (x.shape().lastDim() == 0) {
                throw new InvalidArgumentException("argmax: x " + x.shape() + " has an empty last axis");
            }
            if (x.shape().lastDim() > Integer.MAX_VALUE) {
                throw new InvalidArgumentException("argmax: x " + x.shape() + " has more columns than an int index can name");
            }
            long rows = x.shape().rows();
            if (rows > Integer.MAX_VALUE - 8) {
                throw new InvalidArgumentException("argmax: x " + x.shape() + " has too many rows for an int[]");
            }
            int[] out = new int[(int) rows];
            driver.argmax(sx, out, rows, x.shape().lastDim());
            return out;
        });
    }

    /**
     * {@link #argmax(Tensor)} into an {@link DType#INT32} tensor of this backend, for a caller that keeps
     * predictions on the device (to compare with INT32 labels, say). A half-precision x is compared in
     * its own values (exactly widened). The indices are found as {@link #argmax(Tensor)} finds them and
     * written into {@code out} (rows × 4 bytes through the host).
     *
     * @param x the tensor, of rank ≥ 1 with a non-empty last axis, float32 or half precision
     * @param out an INT32 tensor with one element per row of x (any shape of that size)
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code out} is
     *     not INT32 or has another size, or x is not valid for {@link #argmax(Tensor)}
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ARGMAX} or does not store INT32
     */
    public void argmax(Tensor x, Tensor out) {
        run(() -> {
            ownAny(x, "x"); // the tensors in their order: x before out
            Storage so = ownAny(out, "out");
            if (out.dtype() != DType.INT32) {
                throw new InvalidArgumentException("argmax: out " + out.shape() + " is " + out.dtype() + "; it must be INT32");
            }
            long rows = x == null || x.rank() == 0 ? -1 : x.shape().rows();
            if (x != null && x.rank() > 0 && out.size() != rows) { // before the work: the row count is known
                throw new InvalidArgumentException("argmax: x " + x.shape() + " has " + rows + " rows but out "
                        + out.shape() + " has " + out.size() + " elements");
            }
            int[] idx;
            if (x != null && x.dtype().isHalf()) {
                try (Tensor f = cast(x, DType.FLOAT32)) {
                    idx = argmax(f);
                }
            } else {
                idx = argmax(x);
            }
            if (out.size() != rows) {
                throw new InvalidArgumentException("argmax: x " + x.shape() + " has " + rows + " rows but out "
                        + out.shape() + " has " + out.size() + " elements");
            }
            driver.write(so, 0, MemorySegment.ofArray(idx), idx.length);
        });
    }

    // =====================================================================================
    // Matmul and linear
    // =====================================================================================

    /**
     * A·B for A {@code [m, k]} and B {@code [k, n]}, or batched {@code [batch, m, k]}·{@code [batch, k, n]};
     * a rank-2 operand is shared by every batch entry of a rank-3 one.
     *
     * @param a the left matrix, {@code [m, k]} or {@code [batch, m, k]}
     * @param b the right matrix, {@code [k, n]} or {@code [batch, k, n]}
     * @return a new tensor {@code [m, n]}, or {@code [batch, m, n]} when either operand has rank 3,
     *     owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, not of rank 2
     *     or 3, or the inner or batch dimensions disagree
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MATMUL}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor matmul(Tensor a, Tensor b) {
        return call(() -> {
            return matmul(a, false, b, false);
        });
    }

    /**
     * op(A)·op(B) where op transposes the last two dimensions when asked; batching as for
     * {@link #matmul(Tensor, Tensor)}.
     *
     * @param a the left matrix, rank 2 or 3, such that op(A) is {@code [m, k]} (per batch entry)
     * @param transA whether to use Aᵀ (the last two dimensions swapped) instead of A
     * @param b the right matrix, rank 2 or 3, such that op(B) is {@code [k, n]} (per batch entry)
     * @param transB whether to use Bᵀ instead of B
     * @return a new tensor {@code [m, n]}, or {@code [batch, m, n]} when either operand has rank 3,
     *     owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, not of rank 2
     *     or 3, or the inner or batch dimensions disagree
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MATMUL}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        return call(() -> {
            DType h = halfOf(Op.MATMUL, names("a", "b"), a, b);
            if (h != null && !nativePairs.supports(Op.MATMUL, h)) {
                try (Widened w = new Widened(h)) {
                    return w.result(matmul(w.in(a), transA, w.in(b), transB));
                }
            }
            MatmulDims d = matmulDims(a, transA, b, transB);
            Tensor c = allocate(d.cShape(), a.dtype());
            if (c.size() == 0) {
                return c;
            }
            driver.matmul(a.storage("a"), transA, b.storage("b"), transB, c.storage("c"), d.batch, d.m, d.n, d.k, 1f, 0f,
                    d.strideA, d.strideB, d.strideC);
            return c;
        });
    }

    /**
     * C = alpha · op(A)·op(B) + beta · C, in place. A and B are rank 2 or 3; a rank-2 operand is
     * shared by every batch entry. C must have the result's shape and be neither A nor B. With
     * beta = 0 the old C is not read.
     *
     * @param a the left matrix, rank 2 or 3, such that op(A) is {@code [m, k]} (per batch entry)
     * @param transA whether to use Aᵀ (the last two dimensions swapped) instead of A
     * @param b the right matrix, rank 2 or 3, such that op(B) is {@code [k, n]} (per batch entry)
     * @param transB whether to use Bᵀ instead of B
     * @param c the result, updated in place: {@code [m, n]}, or {@code [batch, m, n]} when either
     *     operand has rank 3; neither a nor b
     * @param alpha the factor of the product; any float
     * @param beta the factor of the old C; with 0 the old C is not read, so NaN or ∞ in it does not
     *     propagate
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, a or b is not
     *     of rank 2 or 3, the inner or batch dimensions disagree, c has another shape, or c is a or b
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#MATMUL}
     */
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, float alpha, float beta) {
        run(() -> {
            DType h = halfOf(Op.MATMUL, names("a", "b", "c"), a, b, c);
            if (h != null && !nativePairs.supports(Op.MATMUL, h)) {
                if (c == a || c == b) {
                    throw new InvalidArgumentException("matmul: c must not be a or b");
                }
                try (Widened w = new Widened(h)) {
                    matmul(w.in(a), transA, w.in(b), transB, beta == 0f ? w.out(c) : w.inOut(c), alpha, beta);
                    w.commit();
                }
                return;
            }
            MatmulDims d = matmulDims(a, transA, b, transB);
            Storage sc = own(Op.MATMUL, c, "c");
            if (!c.shape().equals(d.cShape())) {
                throw new InvalidArgumentException("matmul: a is " + a.shape() + (transA ? " (transposed)" : "") + " and b is "
                        + b.shape() + (transB ? " (transposed)" : "") + " so c must be " + d.cShape() + ", but c is " + c.shape());
            }
            if (c == a || c == b) {
                throw new InvalidArgumentException("matmul: c " + c.shape() + " must not be the same tensor as "
                        + (c == a ? "a" : "b"));
            }
            if (c.size() == 0) {
                return;
            }
            driver.matmul(a.storage("a"), transA, b.storage("b"), transB, sc, d.batch, d.m, d.n, d.k,
                    alpha, beta, d.strideA, d.strideB, d.strideC);
        });
    }

    private record MatmulDims(long batch, long m, long n, long k, long strideA, long strideB, long strideC, Shape cShape) {}

    private MatmulDims matmulDims(Tensor a, boolean transA, Tensor b, boolean transB) {
        arg(Op.MATMUL, a, "a");
        own(Op.MATMUL, b, "b");
        if (a.rank() < 2 || a.rank() > 3 || b.rank() < 2 || b.rank() > 3) {
            throw new InvalidArgumentException("matmul: a is " + a.shape() + " and b is " + b.shape()
                    + "; both must have rank 2 or 3");
        }
        long ar = a.shape().dim(-2);
        long ac = a.shape().dim(-1);
        long br = b.shape().dim(-2);
        long bc = b.shape().dim(-1);
        long m = transA ? ac : ar;
        long k = transA ? ar : ac;
        long kb = transB ? bc : br;
        long n = transB ? br : bc;
        if (k != kb) {
            throw new InvalidArgumentException("matmul: a is " + a.shape() + (transA ? " (transposed)" : "") + " but b is "
                    + b.shape() + (transB ? " (transposed)" : "") + "; inner dimensions must agree (" + k + " vs " + kb + ")");
        }
        long batchA = a.rank() == 3 ? a.shape().dim(0) : -1;
        long batchB = b.rank() == 3 ? b.shape().dim(0) : -1;
        if (batchA >= 0 && batchB >= 0 && batchA != batchB) {
            throw new InvalidArgumentException("matmul: a is " + a.shape() + " but b is " + b.shape()
                    + "; batch dimensions must agree (" + batchA + " vs " + batchB + ")");
        }
        long batch = Math.max(batchA, batchB);
        Shape cShape = batch >= 0 ? Shape.of(batch, m, n) : Shape.of(m, n);
        // No batch dimension means one matrix; a batch dimension of 0 means none at all.
        return new MatmulDims(batch < 0 ? 1 : batch, m, n, k,
                batchA >= 0 ? m * k : 0, batchB >= 0 ? k * n : 0, m * n, cShape);
    }

    /**
     * The fused dense layer y = act(x·W + b) for x {@code [rows, in]}, W {@code [in, out]} and b
     * {@code [out]} (or null for no bias). Keeps the pre-activation for the backward pass.
     *
     * @param x the input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param b the bias, {@code [out]}, added to every row; null for a layer without bias
     * @param act the activation applied to x·W + b, not null ({@link Activation#IDENTITY} for none)
     * @return y and z = x·W + b, both new {@code [rows, out]} tensors owned by the caller (or the
     *     current {@link Scope}), with references to x, w, b and act for
     *     {@link #linearBackward(Tensor, LinearOutput)}
     * @throws InvalidArgumentException if a tensor is null (b excepted), closed or of another backend,
     *     the shapes do not fit together, or {@code act} is null
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LINEAR}
     * @throws DeviceOutOfMemoryException if the results do not fit
     */
    public LinearOutput linear(Tensor x, Tensor w, Tensor b, Activation act) {
        return call(() -> {
            DType h = halfOf(Op.LINEAR, names("x", "w", "b"), x, w, b);
            if (h != null && !nativePairs.supports(Op.LINEAR, h)) {
                try (Widened wd = new Widened(h)) {
                    LinearOutput f = linear(wd.in(x), wd.in(w), wd.in(b), act);
                    Tensor y = wd.result(f.output());
                    Tensor z = wd.result(f.preActivation());
                    return new LinearOutput(y, z, x, w, b, act);
                }
            }
            Storage sx = arg(Op.LINEAR, x, "x");
            Storage sw = own(Op.LINEAR, w, "w");
            Storage sb = b == null ? null : own(Op.LINEAR, b, "b");
            requireNonNull(act, "activation");
            long[] d = linearDims("linear", x, w, b);
            DType outType = h == null ? DType.FLOAT32 : h;
            Tensor z = allocate(Shape.of(d[0], d[2]), outType);
            Tensor y = allocate(Shape.of(d[0], d[2]), outType);
            LinearOutput result = new LinearOutput(y, z, x, w, b, act);
            if (y.size() == 0) {
                return result;
            }
            driver.linear(sx, sw, sb, z.storage("z"), y.storage("y"), d[0], d[1], d[2], act);
            return result;
        });
    }

    /**
     * The dense layer with a PReLU activation, y = PReLU_α(x·W + b): z &gt; 0 gives z, else α_c·z,
     * with α of one element (shared) or {@code [out]} (one per output unit), a learnable tensor as in
     * {@link #prelu}. {@link #linearBackward(Tensor, LinearOutput)} then also returns ∂L/∂α (in α's
     * dtype). The backends compute z with the fused layer and apply PReLU to it in the same call. With
     * half-precision x, W and b, z and PReLU are computed in float32 and z and y rounded once to their
     * dtype; α is then float32 (a master copy) or that dtype.
     *
     * @param x the input {@code [rows, in]}
     * @param w the weights {@code [in, out]}
     * @param b the bias {@code [out]}, or null for none
     * @param alpha PReLU's slopes for z ≤ 0: one element, or {@code [out]}
     * @return y, z and what the backward pass needs, α included; the caller owns y and z
     * @throws InvalidArgumentException when a tensor is null (but b), closed, of another backend, or of the wrong shape
     * @throws InvalidStateException when this backend is closed
     * @throws UnsupportedOpException when the backend lacks linear or PReLU
     * @throws DeviceOutOfMemoryException when y and z do not fit
     */
    public LinearOutput linear(Tensor x, Tensor w, Tensor b, Tensor alpha) {
        return call(() -> {
            require(Op.PRELU);
            DType h = halfOf(Op.LINEAR, names("x", "w", "b", "alpha"), x, w, b, alpha);
            if (h != null) {
                halfOf(Op.PRELU, names("x", "alpha"), x, alpha);
                // The product, bias and PReLU in float32, z and y rounded once: no driver fuses PReLU in half precision.
                try (Widened wd = new Widened(h)) {
                    LinearOutput f = linear(wd.in(x), wd.in(w), wd.in(b), wd.in(alpha));
                    Tensor y = wd.result(f.output());
                    Tensor z = wd.result(f.preActivation());
                    return new LinearOutput(y, z, x, w, b, Activation.IDENTITY, alpha);
                }
            }
            Storage sx = arg(Op.LINEAR, x, "x");
            Storage sw = own(w, "w");
            Storage sb = b == null ? null : own(b, "b");
            Storage sa = own(alpha, "alpha");
            long[] d = linearDims("linear", x, w, b);
            long channels = preluChannels(alpha, d[2]);
            Tensor[] t = allocate(Shape.of(d[0], d[2]), Shape.of(d[0], d[2]));
            Tensor z = t[0];
            Tensor y = t[1];
            LinearOutput result = new LinearOutput(y, z, x, w, b, Activation.IDENTITY, alpha);
            if (y.size() == 0) {
                return result;
            }
            driver.linear(sx, sw, sb, z.storage("z"), y.storage("y"), d[0], d[1], d[2], Activation.IDENTITY);
            driver.prelu(z.storage("z"), sa, y.storage("y"), channels == 1 ? 1 : d[0], channels,
                    channels == 1 ? d[0] * d[2] : 1);
            return result;
        });
    }

    /** The channels of PReLU's α after a linear layer of {@code out} units: 1 (shared) or out. */
    private static long preluChannels(Tensor alpha, long out) {
        if (alpha.size() == 1) {
            return 1;
        }
        if (alpha.rank() != 1 || alpha.shape().dim(0) != out) {
            throw new InvalidArgumentException("linear: the layer has " + out + " outputs but alpha is " + alpha.shape()
                    + "; PReLU's alpha must have one element or be [" + out + "]");
        }
        return out;
    }

    /**
     * Gradients of the layer that {@code forward} came from ({@code forward = linear(x, w, b, act)}),
     * given dy = ∂L/∂y: dx, dW and, when the layer had a bias, db. The forward output carries x, W,
     * b and the activation, so the two calls cannot disagree; x and W must still be open.
     *
     * @param dy ∂L/∂y, {@code [rows, out]} like {@code forward.output()}
     * @param forward the result of the forward call, not null; its output, pre-activation, input and
     *     weight must be open
     * @return dx {@code [rows, in]}, dW {@code [in, out]} and db {@code [out]} (null without bias), new
     *     tensors owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code dy} or {@code forward} is null, a tensor is closed or of
     *     another backend, or dy's shape is not the output's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LINEAR_BACKWARD}, or {@link Op#PRELU_BACKWARD}
     *     for a PReLU layer
     * @throws DeviceOutOfMemoryException if the gradients do not fit
     */
    public LinearGradients linearBackward(Tensor dy, LinearOutput forward) {
        return linearBackward(dy, forward, true);
    }

    /**
     * {@link #linearBackward(Tensor, LinearOutput)}, with the input gradient dx = dz·Wᵀ computed only
     * when {@code inputGradient} is true: a network's first layer has no use for it, and skipping it
     * saves a matmul as large as the layer's forward one. Without it {@link LinearGradients#dx()} is null.
     *
     * @param dy ∂L/∂y, {@code [rows, out]} like {@code forward.output()}
     * @param forward the result of the forward call, not null; its output, pre-activation, input and
     *     weight must be open
     * @param inputGradient whether to compute dx
     * @return dx {@code [rows, in]} (null unless {@code inputGradient}), dW {@code [in, out]} and db
     *     {@code [out]} (null without bias), new tensors owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code dy} or {@code forward} is null, a tensor is closed or of
     *     another backend, or dy's shape is not the output's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LINEAR_BACKWARD}, or {@link Op#PRELU_BACKWARD}
     *     for a PReLU layer
     * @throws DeviceOutOfMemoryException if the gradients do not fit
     */
    public LinearGradients linearBackward(Tensor dy, LinearOutput forward, boolean inputGradient) {
        return call(() -> {
            DType h = forward == null ? null : halfOf(Op.LINEAR_BACKWARD, names("dy", "forward.input", "forward.weight",
                    "forward.preActivation", "forward.output"), dy, forward.input(), forward.weight(),
                    forward.preActivation(), forward.output());
            if (h != null && (!nativePairs.supports(Op.LINEAR_BACKWARD, h) || forward.preluAlpha() != null)) {
                Tensor alpha = forward.preluAlpha();
                if (alpha != null) {
                    halfOf(Op.PRELU_BACKWARD, names("forward.preActivation", "alpha"), forward.preActivation(), alpha);
                }
                try (Widened wd = new Widened(h)) {
                    LinearOutput f = new LinearOutput(wd.in(forward.output()), wd.in(forward.preActivation()),
                            wd.in(forward.input()), wd.in(forward.weight()), forward.bias(), forward.activation(),
                            wd.in(alpha));
                    LinearGradients g = linearBackward(wd.in(dy), f, inputGradient);
                    // dα in α's own dtype: float32 (a master copy) or the layer's.
                    Tensor dAlpha = g.dAlpha() == null || alpha.dtype() == DType.FLOAT32 ? g.dAlpha() : wd.result(g.dAlpha());
                    return new LinearGradients(g.dx() == null ? null : wd.result(g.dx()), wd.result(g.dw()),
                            g.db() == null ? null : wd.result(g.db()), dAlpha);
                }
            }
            Storage sdy = arg(Op.LINEAR_BACKWARD, dy, "dy");
            requireNonNull(forward, "forward");
            Tensor x = forward.input();
            Tensor w = forward.weight();
            Activation act = forward.activation();
            if (act == null && forward.preluAlpha() == null) {
                throw new InvalidArgumentException("linearBackward: forward.activation is null (a LinearOutput made by hand "
                        + "needs the activation its forward pass applied)");
            }
            Storage sx = own(Op.LINEAR_BACKWARD, x, "forward.input");
            Storage sw = own(Op.LINEAR_BACKWARD, w, "forward.weight");
            Storage sz = own(Op.LINEAR_BACKWARD, forward.preActivation(), "forward.preActivation");
            Storage sy = own(Op.LINEAR_BACKWARD, forward.output(), "forward.output");
            long[] d = linearDims("linearBackward", x, w, null);
            Shape yShape = Shape.of(d[0], d[2]);
            if (!dy.shape().equals(yShape)) {
                throw new InvalidArgumentException("linearBackward: x is " + x.shape() + " and w is " + w.shape()
                        + " so dy must be " + yShape + ", but dy is " + dy.shape());
            }
            sameShape("linearBackward", "dy", dy, "forward.output", forward.output());
            sameShape("linearBackward", "forward.output", forward.output(), "forward.preActivation", forward.preActivation());
            boolean withBias = forward.bias() != null;
            Tensor alpha = forward.preluAlpha();
            Storage sa = alpha == null ? null : own(alpha, "forward.preluAlpha");
            long channels = alpha == null ? 0 : preluChannels(alpha, d[2]);
            if (alpha != null) {
                require(Op.PRELU_BACKWARD);
            }
            // Half-precision gradients where the layer is half precision (its own pass, computed in float32 and rounded
            // once), float32 otherwise.
            DType gradType = h == null ? DType.FLOAT32 : h;
            Tensor dx = inputGradient ? allocate(x.shape(), gradType) : null;
            Tensor dw = allocate(w.shape(), gradType);
            Tensor db = withBias ? allocate(Shape.of(d[2]), gradType) : null;
            Tensor dAlpha = alpha == null ? null : allocate(alpha.shape());
            Tensor[] t = {dx, dw, db, dAlpha};
            LinearGradients result = new LinearGradients(dx, dw, db, dAlpha);
            if (dy.size() == 0) {
                for (Tensor g : t) {
                    if (g != null && g.size() > 0) {
                        fillConverted(g, g.storage("gradient"), 0f); // no element contributes (in the gradients' dtype)
                    }
                }
                return result;
            }
            if (alpha == null) {
                driver.linearBackward(sdy, sx, sw, sz, sy, dx == null ? null : dx.storage("dx"), dw.storage("dw"),
                        db == null ? null : db.storage("db"), d[0], d[1], d[2], act);
                return result;
            }
            // PReLU: dz and dα from dy and z, then the identity layer's backward from dz.
            try (Tensor dz = allocate(dy.shape())) {
                driver.preluBackward(sdy, sz, sa, dz.storage("dz"), dAlpha.storage("dAlpha"),
                        channels == 1 ? 1 : d[0], channels, channels == 1 ? d[0] * d[2] : 1);
                driver.linearBackward(dz.storage("dz"), sx, sw, sz, sz, dx == null ? null : dx.storage("dx"),
                        dw.storage("dw"), db == null ? null : db.storage("db"), d[0], d[1], d[2], Activation.IDENTITY);
                return result;
            }
        });
    }

    private static long[] linearDims(String op, Tensor x, Tensor w, Tensor b) {
        if (x.rank() != 2) {
            throw new InvalidArgumentException(op + ": x must be [rows, in], got " + x.shape());
        }
        if (w.rank() != 2) {
            throw new InvalidArgumentException(op + ": w must be [in, out], got " + w.shape());
        }
        if (x.shape().dim(1) != w.shape().dim(0)) {
            throw new InvalidArgumentException(op + ": x is " + x.shape() + " but w is " + w.shape()
                    + "; x's columns must equal w's rows");
        }
        if (b != null && (b.rank() != 1 || b.shape().dim(0) != w.shape().dim(1))) {
            throw new InvalidArgumentException(op + ": w is " + w.shape() + " so b must be [" + w.shape().dim(1)
                    + "], but b is " + b.shape());
        }
        return new long[] {x.shape().dim(0), x.shape().dim(1), w.shape().dim(1)};
    }

    // =====================================================================================
    // Activations
    // =====================================================================================

    /**
     * act(x) elementwise as a new tensor (formulas in {@link Activation}).
     *
     * @param x the input, of any shape
     * @param act the activation, not null
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, or {@code act}
     *     is null
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor activation(Tensor x, Activation act) {
        return call(() -> {
            DType h = halfOf(Op.ACTIVATION, names("x"), x);
            if (h != null && !nativePairs.supports(Op.ACTIVATION, h)) {
                try (Widened w = new Widened(h)) {
                    return w.result(activation(w.in(x), act));
                }
            }
            Storage sx = arg(Op.ACTIVATION, x, "x");
            requireNonNull(act, "activation");
            Tensor y = allocate(x.shape(), x.dtype());
            driver.activation(act, sx, y.storage("y"), x.size());
            return y;
        });
    }

    /**
     * y = act(x); y may be x.
     *
     * @param x the input, of any shape
     * @param act the activation, not null
     * @param y receives the result; x's shape; may be x
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code act} is
     *     null, or y's shape differs from x's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION}
     */
    public void activation(Tensor x, Activation act, Tensor y) {
        run(() -> {
            DType h = halfOf(Op.ACTIVATION, names("x", "y"), x, y);
            if (h != null && !nativePairs.supports(Op.ACTIVATION, h)) {
                try (Widened w = new Widened(h)) {
                    activation(w.in(x), act, w.out(y));
                    w.commit();
                }
                return;
            }
            Storage sx = arg(Op.ACTIVATION, x, "x");
            Storage sy = own(Op.ACTIVATION, y, "y");
            requireNonNull(act, "activation");
            sameShape("activation", "x", x, "y", y);
            driver.activation(act, sx, sy, x.size());
        });
    }

    /**
     * dx = act'(x) ⊙ dy, given the input x and the output y of the forward pass (formulas in
     * {@link Activation}; {@link Activation#backwardUsesOutput()} says which of the two the derivative is computed
     * from; both must be the forward pass's own, as a backend may read both).
     *
     * @param dy ∂L/∂y, of any shape
     * @param x the forward input, dy's shape
     * @param y the forward output act(x), dy's shape
     * @param act the activation of the forward pass, not null
     * @return ∂L/∂x, a new tensor of dy's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code act} is
     *     null, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION_BACKWARD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor activationBackward(Tensor dy, Tensor x, Tensor y, Activation act) {
        return call(() -> {
            DType h = halfOf(Op.ACTIVATION_BACKWARD, names("dy", "x", "y"), dy, x, y);
            if (h != null && !nativePairs.supports(Op.ACTIVATION_BACKWARD, h)) {
                try (Widened w = new Widened(h)) {
                    return w.result(activationBackward(w.in(dy), w.in(x), w.in(y), act));
                }
            }
            Storage sdy = arg(Op.ACTIVATION_BACKWARD, dy, "dy");
            Storage sx = own(Op.ACTIVATION_BACKWARD, x, "x");
            Storage sy = own(Op.ACTIVATION_BACKWARD, y, "y");
            requireNonNull(act, "activation");
            sameShape("activationBackward", "dy", dy, "x", x);
            sameShape("activationBackward", "dy", dy, "y", y);
            Tensor dx = allocate(dy.shape(), dy.dtype());
            driver.activationBackward(act, sdy, sx, sy, dx.storage("dx"), dy.size());
            return dx;
        });
    }

    /**
     * dx = act'(x) ⊙ dy into dx, which may be dy, x or y (each element is read before it is written).
     *
     * @param dy ∂L/∂y, of any shape
     * @param x the forward input, dy's shape
     * @param y the forward output act(x), dy's shape
     * @param act the activation of the forward pass, not null
     * @param dx receives ∂L/∂x; dy's shape; may be dy, x or y
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code act} is
     *     null, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION_BACKWARD}
     */
    public void activationBackward(Tensor dy, Tensor x, Tensor y, Activation act, Tensor dx) {
        run(() -> {
            DType h = halfOf(Op.ACTIVATION_BACKWARD, names("dy", "x", "y", "dx"), dy, x, y, dx);
            if (h != null && !nativePairs.supports(Op.ACTIVATION_BACKWARD, h)) {
                try (Widened w = new Widened(h)) {
                    activationBackward(w.in(dy), w.in(x), w.in(y), act, w.out(dx));
                    w.commit();
                }
                return;
            }
            Storage sdy = arg(Op.ACTIVATION_BACKWARD, dy, "dy");
            Storage sx = own(Op.ACTIVATION_BACKWARD, x, "x");
            Storage sy = own(Op.ACTIVATION_BACKWARD, y, "y");
            Storage sdx = own(Op.ACTIVATION_BACKWARD, dx, "dx");
            requireNonNull(act, "activation");
            sameShape("activationBackward", "dy", dy, "x", x);
            sameShape("activationBackward", "dy", dy, "y", y);
            sameShape("activationBackward", "dy", dy, "dx", dx);
            driver.activationBackward(act, sdy, sx, sy, sdx, dy.size());
        });
    }

    /**
     * {@link #activation(Tensor, Activation) activation(x, Activation.RELU)}: max(x, 0) elementwise.
     *
     * @param x the input, of any shape
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor relu(Tensor x) {
        return call(() -> {
            return activation(x, Activation.RELU);
        });
    }

    /**
     * {@link #activation(Tensor, Activation) activation(x, Activation.SIGMOID)}: 1 / (1 + e⁻ˣ) elementwise.
     *
     * @param x the input, of any shape
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor sigmoid(Tensor x) {
        return call(() -> {
            return activation(x, Activation.SIGMOID);
        });
    }

    /**
     * {@link #activation(Tensor, Activation) activation(x, Activation.TANH)}: tanh x elementwise.
     *
     * @param x the input, of any shape
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ACTIVATION}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor tanh(Tensor x) {
        return call(() -> {
            return activation(x, Activation.TANH);
        });
    }

    /**
     * PReLU: y = x where x &gt; 0, else α_c·x, with α a learnable tensor of one element (shared) or
     * of {@code [C]} elements for x of rank ≥ 2 whose channel axis is axis 1 (C = x.dim(1)). A
     * half-precision x is computed in float32 and y rounded once to x's dtype; α is then float32 (a
     * master copy) or x's dtype.
     *
     * @param x the input, of any shape (rank ≥ 2 for per-channel α); float32, bfloat16 or float16
     * @param alpha the negative slopes: one element of any rank, or {@code [C]} with C = x.dim(1)
     * @return a new tensor of x's shape and dtype, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, alpha has
     *     neither one element nor {@code [x.dim(1)]} elements, or the dtypes do not match as above
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#PRELU}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor prelu(Tensor x, Tensor alpha) {
        return call(() -> {
            DType h = halfOf(Op.PRELU, names("x", "alpha"), x, alpha);
            if (h != null && !nativePairs.supports(Op.PRELU, h)) {
                try (Widened wd = new Widened(h)) {
                    return wd.result(prelu(wd.in(x), wd.in(alpha)));
                }
            }
            Storage sx = arg(Op.PRELU, x, "x");
            Storage sa = own(alpha, "alpha");
            long[] v = preluView(x, alpha);
            Tensor y = allocate(x.shape());
            if (x.size() > 0) {
                driver.prelu(sx, sa, y.storage("y"), v[0], v[1], v[2]);
            }
            return y;
        });
    }

    /**
     * The gradients of PReLU with respect to x and to α: dx = dy where x &gt; 0, else α_c·dy; dα_c =
     * the sum of dy·x over the elements of channel c with x ≤ 0 (all elements for a shared α). With
     * half-precision dy and x (one dtype), both are computed in float32 and rounded once: dx to x's dtype,
     * dα to α's (float32 or x's dtype).
     *
     * @param dy ∂L/∂y, x's shape and dtype
     * @param x the forward input
     * @param alpha the slopes of the forward pass, as for {@link #prelu(Tensor, Tensor)}
     * @return dx (x's shape and dtype) and dAlpha (alpha's shape and dtype), new tensors owned by the
     *     caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, dy's shape
     *     differs from x's, or alpha does not fit x as {@link #prelu(Tensor, Tensor)} requires
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#PRELU_BACKWARD}
     * @throws DeviceOutOfMemoryException if the gradients do not fit
     */
    public PreluGradients preluBackward(Tensor dy, Tensor x, Tensor alpha) {
        return call(() -> {
            DType h = halfOf(Op.PRELU_BACKWARD, names("dy", "x", "alpha"), dy, x, alpha);
            if (h != null && !nativePairs.supports(Op.PRELU_BACKWARD, h)) {
                try (Widened wd = new Widened(h)) {
                    PreluGradients g = preluBackward(wd.in(dy), wd.in(x), wd.in(alpha));
                    // dα in α's own dtype: float32 (a master copy) or the half type.
                    return new PreluGradients(wd.result(g.dx()), alpha.dtype() == h ? wd.result(g.dAlpha()) : g.dAlpha());
                }
            }
            Storage sdy = arg(Op.PRELU_BACKWARD, dy, "dy");
            Storage sx = own(x, "x");
            Storage sa = own(alpha, "alpha");
            sameShape("preluBackward", "dy", dy, "x", x);
            long[] v = preluView(x, alpha);
            Tensor[] t = allocate(x.shape(), alpha.shape());
            if (x.size() == 0) {
                driver.fill(t[1].storage("dAlpha"), alpha.size(), 0f); // no element contributes
                return new PreluGradients(t[0], t[1]);
            }
            driver.preluBackward(sdy, sx, sa, t[0].storage("dx"), t[1].storage("dAlpha"), v[0], v[1], v[2]);
            return new PreluGradients(t[0], t[1]);
        });
    }

    private static long[] preluView(Tensor x, Tensor alpha) {
        if (alpha.size() == 1) {
            return new long[] {1, 1, x.size()};
        }
        if (x.rank() < 2 || alpha.rank() != 1 || alpha.shape().dim(0) != x.shape().dim(1)) {
            throw new InvalidArgumentException("prelu: x is " + x.shape() + " but alpha is " + alpha.shape()
                    + "; alpha must have one element or be [channels] with channels = x.dim(1)");
        }
        long channels = x.shape().dim(1);
        long inner = 1;
        for (int i = 2; i < x.rank(); i++) {
            inner *= x.shape().dim(i);
        }
        return new long[] {x.shape().dim(0), channels, inner};
    }

    /**
     * Softmax over the last axis, by the max-shifted form. A row holding NaN, or +∞, or only −∞,
     * comes out all NaN, as the arithmetic gives.
     *
     * @param x the logits, of rank ≥ 1; each row (along the last axis) is normalised on its own
     * @return a new tensor of x's shape whose rows sum to 1, owned by the caller (or the current
     *     {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, or of rank 0
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor softmax(Tensor x) {
        return call(() -> {
            return softmax(x, false);
        });
    }

    /**
     * Log-softmax over the last axis: x − max − ln Σ exp(x − max) per row, by the max-shifted form.
     *
     * @param x the logits, of rank ≥ 1; each row (along the last axis) is normalised on its own
     * @return a new tensor of x's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, or of rank 0
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LOG_SOFTMAX}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor logSoftmax(Tensor x) {
        return call(() -> {
            return softmax(x, true);
        });
    }

    private Tensor softmax(Tensor x, boolean log) {
        DType h = halfOf(log ? Op.LOG_SOFTMAX : Op.SOFTMAX, names("x"), x);
        if (h != null) {
            try (Widened w = new Widened(h)) {
                return w.result(softmax(w.in(x), log));
            }
        }
        Storage sx = arg(log ? Op.LOG_SOFTMAX : Op.SOFTMAX, x, "x");
        requireRankAtLeast(log ? "logSoftmax" : "softmax", "x", x, 1);
        Tensor y = allocate(x.shape());
        if (x.size() > 0) {
            driver.softmax(sx, y.storage("y"), x.shape().rows(), x.shape().lastDim(), log);
        }
        return y;
    }

    /**
     * The gradient of softmax given its output y and dy: dx = y ⊙ (dy − Σ_row dy·y).
     *
     * @param dy ∂L/∂y, of rank ≥ 1
     * @param y the forward output {@link #softmax(Tensor) softmax(x)}, dy's shape
     * @return ∂L/∂x, a new tensor of dy's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, dy is of rank 0,
     *     or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX_BACKWARD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor softmaxBackward(Tensor dy, Tensor y) {
        return call(() -> {
            return softmaxBackward(dy, y, false);
        });
    }

    /**
     * The gradient of log-softmax given its output y and dy: dx = dy − exp(y)·Σ_row dy.
     *
     * @param dy ∂L/∂y, of rank ≥ 1
     * @param y the forward output {@link #logSoftmax(Tensor) logSoftmax(x)}, dy's shape
     * @return ∂L/∂x, a new tensor of dy's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, dy is of rank 0,
     *     or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LOG_SOFTMAX_BACKWARD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor logSoftmaxBackward(Tensor dy, Tensor y) {
        return call(() -> {
            return softmaxBackward(dy, y, true);
        });
    }

    private Tensor softmaxBackward(Tensor dy, Tensor y, boolean log) {
        String name = log ? "logSoftmaxBackward" : "softmaxBackward";
        DType h = halfOf(log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD, names("dy", "y"), dy, y);
        if (h != null) {
            try (Widened w = new Widened(h)) {
                return w.result(softmaxBackward(w.in(dy), w.in(y), log));
            }
        }
        Storage sdy = arg(log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD, dy, "dy");
        Storage sy = own(y, "y");
        requireRankAtLeast(name, "dy", dy, 1);
        sameShape(name, "dy", dy, "y", y);
        Tensor dx = allocate(dy.shape());
        if (dy.size() > 0) {
            driver.softmaxBackward(sdy, sy, dx.storage("dx"), dy.shape().rows(), dy.shape().lastDim(), log);
        }
        return dx;
    }

    // =====================================================================================
    // Losses
    // =====================================================================================

    /**
     * The loss between {@code pred} and {@code target} (equal shapes), as a rank-0 tensor (formulas in
     * {@link Loss}).
     *
     * @param pred the prediction (probabilities for binary cross-entropy, logits for its logits form)
     * @param target the target, pred's shape
     * @param loss the loss function, not null
     * @param reduction how the per-element losses become one number, not null
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code loss} or
     *     {@code reduction} is null, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LOSS}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor loss(Tensor pred, Tensor target, Loss loss, Reduction reduction) {
        return call(() -> {
            DType h = halfOf(Op.LOSS, names("pred", "target"), pred, target);
            if (h != null) {
                try (Widened w = new Widened(h)) {
                    return loss(w.in(pred), w.in(target), loss, reduction);
                }
            }
            Storage[] s = lossArgs(Op.LOSS, loss, pred, target, reduction);
            Tensor out = allocate(Shape.scalar());
            driver.loss(loss, reduction, s[0], s[1], out.storage("loss"), null, pred.size());
            return out;
        });
    }

    /**
     * ∂loss/∂pred, shaped like {@code pred}, including the 1/n of {@link Reduction#MEAN}.
     *
     * @param pred the prediction, as for {@link #loss(Tensor, Tensor, Loss, Reduction)}
     * @param target the target, pred's shape
     * @param loss the loss function, not null
     * @param reduction the reduction of the loss whose gradient is taken, not null
     * @return a new tensor of pred's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code loss} or
     *     {@code reduction} is null, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LOSS_BACKWARD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor lossBackward(Tensor pred, Tensor target, Loss loss, Reduction reduction) {
        return call(() -> {
            DType h = halfOf(Op.LOSS_BACKWARD, names("pred", "target"), pred, target);
            if (h != null) {
                try (Widened w = new Widened(h)) {
                    return w.result(lossBackward(w.in(pred), w.in(target), loss, reduction));
                }
            }
            Storage[] s = lossArgs(Op.LOSS_BACKWARD, loss, pred, target, reduction);
            Tensor grad = allocate(pred.shape());
            driver.loss(loss, reduction, s[0], s[1], null, grad.storage("grad"), pred.size());
            return grad;
        });
    }

    /**
     * The loss and its gradient in one pass: {@link #loss(Tensor, Tensor, Loss, Reduction) loss} and
     * {@link #lossBackward(Tensor, Tensor, Loss, Reduction) lossBackward} with the same arguments.
     *
     * @param pred the prediction, as for {@link #loss(Tensor, Tensor, Loss, Reduction)}
     * @param target the target, pred's shape
     * @param loss the loss function, not null
     * @param reduction how the per-element losses become one number, not null
     * @return the rank-0 loss and ∂loss/∂pred (pred's shape), new tensors owned by the caller (or the
     *     current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code loss} or
     *     {@code reduction} is null, or the shapes differ
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#LOSS} or {@link Op#LOSS_BACKWARD}
     * @throws DeviceOutOfMemoryException if the results do not fit
     */
    public LossAndGradient lossWithGradient(Tensor pred, Tensor target, Loss loss, Reduction reduction) {
        return call(() -> {
            DType h = halfOf(Op.LOSS, names("pred", "target"), pred, target);
            if (h != null) {
                try (Widened w = new Widened(h)) {
                    LossAndGradient r = lossWithGradient(w.in(pred), w.in(target), loss, reduction);
                    return new LossAndGradient(r.loss(), w.result(r.gradient()));
                }
            }
            Storage[] s = lossArgs(Op.LOSS, loss, pred, target, reduction);
            require(Op.LOSS_BACKWARD);
            Tensor[] t = allocate(Shape.scalar(), pred.shape());
            driver.loss(loss, reduction, s[0], s[1], t[0].storage("loss"), t[1].storage("grad"), pred.size());
            return new LossAndGradient(t[0], t[1]);
        });
    }

    private Storage[] lossArgs(Op op, Loss loss, Tensor pred, Tensor target, Reduction reduction) {
        Storage sp = arg(op, pred, "pred");
        Storage st = own(target, "target");
        requireNonNull(loss, "loss");
        requireNonNull(reduction, "reduction");
        sameShape("loss " + loss, "pred", pred, "target", target);
        return new Storage[] {sp, st};
    }

    /**
     * Softmax cross-entropy of {@code logits [rows, classes]} against one integer label per row, in
     * [0, classes), computed by log-sum-exp; returns the loss and ∂loss/∂logits. Row loss:
     * logsumexp(x) − x[label]; gradient: softmax(x) − onehot(label); {@link Reduction#MEAN} divides both
     * by rows.
     *
     * @param logits the unnormalised scores, {@code [rows, classes]} with classes ≥ 1
     * @param labels the class of each row, {@code rows} of them, each in {@code [0, classes)}; copied,
     *     so the array may be reused at once
     * @param reduction how the row losses become one number, not null
     * @return the rank-0 loss and ∂loss/∂logits (logits' shape), new tensors owned by the caller (or
     *     the current {@link Scope})
     * @throws InvalidArgumentException if {@code logits} is null, closed or of another backend, not
     *     {@code [rows, classes ≥ 1]}, {@code labels} or {@code reduction} is null, there is not one label
     *     per row, or a label is outside {@code [0, classes)}
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX_CROSS_ENTROPY}
     * @throws DeviceOutOfMemoryException if the results do not fit
     */
    public LossAndGradient softmaxCrossEntropy(Tensor logits, int[] labels, Reduction reduction) {
        return call(() -> {
            DType h = halfOf(Op.SOFTMAX_CROSS_ENTROPY, names("logits"), logits);
            if (h != null && !nativePairs.supports(Op.SOFTMAX_CROSS_ENTROPY, h)) {
                try (Widened w = new Widened(h)) {
                    LossAndGradient r = softmaxCrossEntropy(w.in(logits), labels, reduction);
                    return new LossAndGradient(r.loss(), w.result(r.gradient()));
                }
            }
            Storage sl = crossEntropyArgs(logits, reduction);
            int[] copy = checkedLabels(logits, labels);
            Tensor[] t = {allocate(Shape.scalar()), allocate(logits.shape(), logits.dtype())};
            driver.softmaxCrossEntropy(sl, copy, null, reduction, t[0].storage("loss"), t[1].storage("grad"),
                    logits.shape().dim(0), logits.shape().dim(1));
            return new LossAndGradient(t[0], t[1]);
        });
    }

    /**
     * {@link #softmaxCrossEntropy(Tensor, int[], Reduction)} into a rank-0 {@code loss} and a
     * {@code gradient} shaped like the logits, for training loops that reuse their buffers.
     *
     * @param logits the unnormalised scores, {@code [rows, classes]} with classes ≥ 1
     * @param labels the class of each row, {@code rows} of them, each in {@code [0, classes)}
     * @param reduction how the row losses become one number, not null
     * @param loss receives the loss; rank 0
     * @param gradient receives ∂loss/∂logits; logits' shape; not the logits tensor itself
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code logits}
     *     is not {@code [rows, classes ≥ 1]}, {@code labels} or {@code reduction} is null, there is not one
     *     label per row, a label is out of range, {@code loss} is not rank 0, or {@code gradient} is not
     *     logits' shape or is the logits
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX_CROSS_ENTROPY}
     */
    public void softmaxCrossEntropy(Tensor logits, int[] labels, Reduction reduction, Tensor loss, Tensor gradient) {
        run(() -> {
            if (gradient != null && gradient == logits) { // before any widening, whose copies are never the same tensor
                throw new InvalidArgumentException("softmaxCrossEntropy: the gradient must not be the logits tensor");
            }
            DType h = halfOf(Op.SOFTMAX_CROSS_ENTROPY, names("logits", "gradient"), logits, gradient);
            if (h != null && !nativePairs.supports(Op.SOFTMAX_CROSS_ENTROPY, h)) {
                try (Widened w = new Widened(h)) {
                    softmaxCrossEntropy(w.in(logits), labels, reduction, loss, w.out(gradient));
                    w.commit();
                }
                return;
            }
            Storage sl = crossEntropyArgs(logits, reduction);
            int[] copy = checkedLabels(logits, labels);
            Storage so = own(loss, "loss");
            Storage sg = own(Op.SOFTMAX_CROSS_ENTROPY, gradient, "gradient");
            if (loss.rank() != 0) {
                throw new InvalidArgumentException("softmaxCrossEntropy: loss must be a scalar (rank 0), got " + loss.shape());
            }
            sameShape("softmaxCrossEntropy", "logits", logits, "gradient", gradient);
            if (gradient == logits) {
                throw new InvalidArgumentException("softmaxCrossEntropy: the gradient must not be the logits tensor");
            }
            driver.softmaxCrossEntropy(sl, copy, null, reduction, so, sg, logits.shape().dim(0), logits.shape().dim(1));
        });
    }

    /**
     * Softmax cross-entropy against probability targets shaped like the logits. Row loss:
     * Σ_c t_c·(logsumexp(x) − x_c); gradient: softmax(x)·Σ_c t_c − t; {@link Reduction#MEAN} divides
     * both by rows. A class whose target is 0 adds nothing to the loss, even where its logit is −∞ (a masked class).
     * The targets are not checked to be probabilities.
     *
     * @param logits the unnormalised scores, {@code [rows, classes]} with classes ≥ 1
     * @param targets the target distribution of each row, logits' shape; or an {@link DType#INT32} tensor {@code [rows]}
     *     of class labels, which stay on the device (they are checked on the host: rows × 4 bytes read back, one
     *     wait for the device)
     * @param reduction how the row losses become one number, not null
     * @return the rank-0 loss and ∂loss/∂logits (logits' shape), new tensors owned by the caller (or
     *     the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code logits}
     *     is not {@code [rows, classes ≥ 1]}, {@code reduction} is null, or the shapes differ; for INT32 labels, if
     *     they are not of rank 1, there is not one per row, or a label is outside {@code [0, classes)} (checked before
     *     any work on the logits)
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX_CROSS_ENTROPY}
     * @throws DeviceOutOfMemoryException if the results do not fit
     */
    public LossAndGradient softmaxCrossEntropy(Tensor logits, Tensor targets, Reduction reduction) {
        return call(() -> {
            if (targets != null && targets.dtype() == DType.INT32) {
                return softmaxCrossEntropyLabels(logits, targets, reduction);
            }
            DType h = halfOf(Op.SOFTMAX_CROSS_ENTROPY, names("logits", "targets"), logits, targets);
            if (h != null && !nativePairs.supports(Op.SOFTMAX_CROSS_ENTROPY, h)) {
                try (Widened w = new Widened(h)) {
                    LossAndGradient r = softmaxCrossEntropy(w.in(logits), w.in(targets), reduction);
                    return new LossAndGradient(r.loss(), w.result(r.gradient()));
                }
            }
            Storage sl = crossEntropyArgs(logits, reduction);
            Storage st = own(Op.SOFTMAX_CROSS_ENTROPY, targets, "targets");
            sameShape("softmaxCrossEntropy", "logits", logits, "targets", targets);
            Tensor[] t = {allocate(Shape.scalar()), allocate(logits.shape(), logits.dtype())};
            driver.softmaxCrossEntropy(sl, null, st, reduction, t[0].storage("loss"), t[1].storage("grad"),
                    logits.shape().dim(0), logits.shape().dim(1));
            return new LossAndGradient(t[0], t[1]);
        });
    }

    /** Labels in an INT32 tensor on this backend: checked on the host (rows × 4 bytes read back), read by the kernel where they are. */
    private LossAndGradient softmaxCrossEntropyLabels(Tensor logits, Tensor labels, Reduction reduction) {
        DType h = halfOf(Op.SOFTMAX_CROSS_ENTROPY, names("logits"), logits);
        if (h != null && !nativePairs.supports(Op.SOFTMAX_CROSS_ENTROPY, h)) {
            // The labels are checked before the logits are widened: a bad label costs no float32 copy (and no
            // out-of-memory error in its place where memory is short).
            if (logits.rank() == 2) {
                checkLabels(logits, labelsOnHost(labels));
            }
            try (Widened w = new Widened(h)) {
                LossAndGradient r = softmaxCrossEntropyLabels(w.in(logits), labels, reduction);
                return new LossAndGradient(r.loss(), w.result(r.gradient()));
            }
        }
        Storage sl = crossEntropyArgs(logits, reduction);
        Storage slab = ownAny(labels, "labels");
        int[] host = labelsOnHost(labels);
        checkLabels(logits, host);
        Tensor[] t = {allocate(Shape.scalar()), allocate(logits.shape(), logits.dtype())};
        driver.softmaxCrossEntropy(sl, slab, host, reduction, t[0].storage("loss"), t[1].storage("grad"),
                logits.shape().dim(0), logits.shape().dim(1));
        return new LossAndGradient(t[0], t[1]);
    }

    /**
     * The softmax cross-entropy loss alone, as a rank-0 tensor; as
     * {@link #softmaxCrossEntropy(Tensor, int[], Reduction)} without the gradient.
     *
     * @param logits the unnormalised scores, {@code [rows, classes]} with classes ≥ 1
     * @param labels the class of each row, {@code rows} of them, each in {@code [0, classes)}
     * @param reduction how the row losses become one number, not null
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code logits} is null, closed or of another backend, not
     *     {@code [rows, classes ≥ 1]}, {@code labels} or {@code reduction} is null, there is not one label
     *     per row, or a label is outside {@code [0, classes)}
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SOFTMAX_CROSS_ENTROPY}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor softmaxCrossEntropyLoss(Tensor logits, int[] labels, Reduction reduction) {
        return call(() -> {
            DType h = halfOf(Op.SOFTMAX_CROSS_ENTROPY, names("logits"), logits);
            if (h != null && !nativePairs.supports(Op.SOFTMAX_CROSS_ENTROPY, h)) {
                try (Widened w = new Widened(h)) {
                    return softmaxCrossEntropyLoss(w.in(logits), labels, reduction);
                }
            }
            Storage sl = crossEntropyArgs(logits, reduction);
            int[] copy = checkedLabels(logits, labels);
            Tensor out = allocate(Shape.scalar());
            driver.softmaxCrossEntropy(sl, copy, null, reduction, out.storage("loss"), null,
                    logits.shape().dim(0), logits.shape().dim(1));
            return out;
        });
    }

    private Storage crossEntropyArgs(Tensor logits, Reduction reduction) {
        Storage sl = arg(Op.SOFTMAX_CROSS_ENTROPY, logits, "logits");
        requireNonNull(reduction, "reduction");
        if (logits.rank() != 2 || logits.shape().dim(1) == 0) {
            throw new InvalidArgumentException("softmaxCrossEntropy: logits must be [rows, classes] with classes >= 1, got "
                    + logits.shape());
        }
        return sl;
    }

    /**
     * The L2 norm of t's elements in double on the host, scaled by the largest magnitude so that no square overflows:
     * ∞ where an element is ±∞, NaN where one is NaN. For the rare tensor whose norm a float cannot hold.
     */
    private static double hostNorm(Tensor t) {
        float[] a = t.toArray();
        double max = 0;
        for (float x : a) {
            if (Float.isNaN(x)) {
                return Double.NaN;
            }
            max = Math.max(max, Math.abs((double) x));
        }
        if (max == 0 || Double.isInfinite(max)) {
            return max;
        }
        double sum = 0;
        for (float x : a) {
            double y = x / max;
            sum += y * y;
        }
        return max * Math.sqrt(sum);
    }

    /**
     * The caller's list, read once: every later step of the call uses these tensors, the ones it checked and holds,
     * however the list changes meanwhile (another thread, or a list that answers differently each time it is read).
     */
    private static List<Tensor> snapshot(List<Tensor> list, String name) {
        requireNonNull(list, name);
        Object[] items;
        try {
            items = list.toArray();
        } catch (RuntimeException e) {
            InvalidArgumentException x = new InvalidArgumentException(name + ": the list could not be read (" + e + ")");
            x.initCause(e);
            throw x;
        }
        Tensor[] tensors = new Tensor[items.length];
        for (int i = 0; i < items.length; i++) {
            if (items[i] != null && !(items[i] instanceof Tensor)) {
                throw new InvalidArgumentException(name + "[" + i + "] is a " + items[i].getClass().getName()
                        + ", not a Tensor");
            }
            tensors[i] = (Tensor) items[i];
        }
        return java.util.Arrays.asList(tensors);
    }

    /** The labels, copied and then checked: the caller's array may change meanwhile, the copy cannot. */
    private static int[] checkedLabels(Tensor logits, int[] labels) {
        requireNonNull(labels, "labels");
        int[] copy = labels.clone();
        checkLabels(logits, copy);
        return copy;
    }

    /** An INT32 labels tensor, checked to be rank 1 and read back (rows × 4 bytes, one wait). */
    private int[] labelsOnHost(Tensor labels) {
        ownAny(labels, "labels");
        if (labels.rank() != 1) {
            throw new InvalidArgumentException("softmaxCrossEntropy: labels must be a rank-1 INT32 tensor [rows], got "
                    + labels.shape());
        }
        return labels.toIntArray();
    }

    private static void checkLabels(Tensor logits, int[] labels) {
        requireNonNull(labels, "labels");
        long rows = logits.shape().dim(0);
        long classes = logits.shape().dim(1);
        if (labels.length != rows) {
            throw new InvalidArgumentException("softmaxCrossEntropy: logits " + logits.shape() + " has " + rows
                    + " rows but there are " + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new InvalidArgumentException("softmaxCrossEntropy: label " + labels[i] + " at row " + i
                        + " is outside [0, " + classes + ")");
            }
        }
    }

    // =====================================================================================
    // Dropout and initialisation
    // =====================================================================================

    /**
     * Inverted dropout: each element is dropped with probability p, kept ones are scaled by
     * 1/(1 − p). The mask is a pure function of (seed, offset, element index), specified in
     * {@link dev.kengine.random.CounterRandom}, so it is the same on every backend. Use a new offset
     * (or seed) for each call in training.
     *
     * @param x the input, of any shape
     * @param p the probability of dropping an element, in [0, 1); 0 keeps every element, unscaled
     * @param seed the generator's key; any long
     * @param offset selects an independent stream under the same seed (for example the step number);
     *     any long
     * @return the output (x's dtype) and the mask (1 kept, 0 dropped: a {@link DType#UINT8} tensor, one byte per
     *     element, on every backend that stores UINT8; FLOAT32 1.0f/0.0f otherwise), both of x's shape, new tensors owned
     *     by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code x} is null, closed or of another backend, or p is not in
     *     [0, 1) (NaN included)
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DROPOUT}
     * @throws DeviceOutOfMemoryException if the results do not fit
     */
    public DropoutOutput dropout(Tensor x, float p, long seed, long offset) {
        return call(() -> {
            DType h = halfOf(Op.DROPOUT, names("x"), x);
            if (h != null && !nativePairs.supports(Op.DROPOUT, h)) {
                try (Widened w = new Widened(h)) {
                    DropoutOutput r = dropout(w.in(x), p, seed, offset);
                    return new DropoutOutput(w.result(r.output()), r.mask());
                }
            }
            Storage sx = arg(Op.DROPOUT, x, "x");
            checkDropoutP(p);
            if (byteMasks() && driver.byteMasks()) {
                // The driver writes the UINT8 mask itself: no float32 mask, no cast.
                Tensor y = allocate(x.shape(), x.dtype());
                Tensor mask = allocate(x.shape(), DType.UINT8);
                driver.dropout(sx, y.storage("y"), mask.storage("mask"), x.size(), p, seed, offset);
                return new DropoutOutput(y, mask);
            }
            Tensor[] t = {allocate(x.shape(), x.dtype()), allocate(x.shape())};
            driver.dropout(sx, t[0].storage("y"), t[1].storage("mask"), x.size(), p, seed, offset);
            if (byteMasks()) {
                Tensor bytes = cast(t[1], DType.UINT8);
                t[1].close();
                return new DropoutOutput(t[0], bytes);
            }
            return new DropoutOutput(t[0], t[1]);
        });
    }

    /**
     * {@link #dropout(Tensor, float, long, long)} into {@code y} and {@code mask}, both shaped like x (y may be x).
     *
     * @param x the input, of any shape
     * @param p the probability of dropping an element, in [0, 1)
     * @param seed the generator's key; any long
     * @param offset selects an independent stream under the same seed; any long
     * @param y receives the output; x's shape; may be x
     * @param mask receives 1 for kept and 0 for dropped elements, as FLOAT32 or UINT8; x's shape; neither x nor y
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, p is not in
     *     [0, 1), a shape differs from x's, or mask is x or y
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DROPOUT}
     */
    public void dropout(Tensor x, float p, long seed, long offset, Tensor y, Tensor mask) {
        run(() -> {
            boolean byteMask = mask != null && mask.dtype() == DType.UINT8 && mask.backend() == this;
            if (byteMask && (mask == x || mask == y)) {
                throw new InvalidArgumentException("dropout: mask " + mask.shape() + " must be a tensor of its own, not "
                        + (mask == x ? "x" : "y"));
            }
            // Every argument before a float32 copy or a float mask is made: a bad one is rejected with nothing done.
            ownAny(x, "x");
            ownAny(y, "y");
            ownAny(mask, "mask");
            checkDropoutP(p);
            sameShape("dropout", "x", x, "y", y);
            sameShape("dropout", "x", x, "mask", mask);
            DType h = halfOf(Op.DROPOUT, names("x", "y"), x, y);
            if (h != null && !nativePairs.supports(Op.DROPOUT, h)) {
                try (Widened w = new Widened(h)) {
                    dropout(w.in(x), p, seed, offset, w.out(y), mask);
                    w.commit();
                }
                return;
            }
            if (byteMask && !driver.byteMasks()) {
                try (Tensor f = empty(mask.shape())) {
                    dropout(x, p, seed, offset, y, f);
                    cast(f, mask);
                }
                return;
            }
            Storage sx = arg(Op.DROPOUT, x, "x");
            Storage sy = own(Op.DROPOUT, y, "y");
            Storage sm = byteMask ? ownAny(mask, "mask") : own(mask, "mask"); // p and the shapes checked above
            if (mask == x || mask == y) {
                throw new InvalidArgumentException("dropout: mask " + mask.shape() + " must be a tensor of its own, not "
                        + (mask == x ? "x" : "y"));
            }
            driver.dropout(sx, sy, sm, x.size(), p, seed, offset);
        });
    }

    /**
     * {@link #dropoutBackward(Tensor, Tensor, float)} into {@code dx} (which may be dy).
     *
     * @param dy ∂L/∂y, of any shape
     * @param mask the mask of the forward pass (FLOAT32 or UINT8), dy's shape
     * @param p the probability the forward pass used, in [0, 1)
     * @param dx receives ∂L/∂x; dy's shape; may be dy
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, p is not in
     *     [0, 1), or a shape differs from dy's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DROPOUT_BACKWARD}
     */
    public void dropoutBackward(Tensor dy, Tensor mask, float p, Tensor dx) {
        run(() -> {
            boolean byteMask = mask != null && mask.dtype() == DType.UINT8 && mask.backend() == this;
            DType h = halfOf(Op.DROPOUT_BACKWARD, names("dy", "dx"), dy, dx);
            if (h != null && !nativePairs.supports(Op.DROPOUT_BACKWARD, h)) {
                try (Widened w = new Widened(h)) {
                    dropoutBackward(w.in(dy), mask, p, w.out(dx));
                    w.commit();
                }
                return;
            }
            if (byteMask && !driver.byteMasks()) {
                // Every argument before the mask's float copy is made.
                ownAny(dy, "dy");
                ownAny(dx, "dx");
                checkDropoutP(p);
                sameShape("dropoutBackward", "dy", dy, "mask", mask);
                sameShape("dropoutBackward", "dy", dy, "dx", dx);
                try (Tensor f = cast(mask, DType.FLOAT32)) {
                    dropoutBackward(dy, f, p, dx);
                }
                return;
            }
            Storage sdy = arg(Op.DROPOUT_BACKWARD, dy, "dy");
            Storage sm = byteMask ? ownAny(mask, "mask") : own(mask, "mask");
            Storage sdx = own(Op.DROPOUT_BACKWARD, dx, "dx");
            checkDropoutP(p);
            sameShape("dropoutBackward", "dy", dy, "mask", mask);
            sameShape("dropoutBackward", "dy", dy, "dx", dx);
            driver.dropoutBackward(sdy, sm, sdx, dy.size(), p);
        });
    }

    /**
     * dx = dy · mask / (1 − p), the scale rounded as {@link dev.kengine.random.CounterRandom#dropoutScale(float)} gives it.
     *
     * @param dy ∂L/∂y, of any shape
     * @param mask the mask of the forward pass (FLOAT32 or UINT8), dy's shape
     * @param p the probability the forward pass used, in [0, 1)
     * @return ∂L/∂x, a new tensor of dy's shape, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, p is not in
     *     [0, 1), or mask's shape differs from dy's
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#DROPOUT_BACKWARD}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor dropoutBackward(Tensor dy, Tensor mask, float p) {
        return call(() -> {
            boolean byteMask = mask != null && mask.dtype() == DType.UINT8 && mask.backend() == this;
            DType h = halfOf(Op.DROPOUT_BACKWARD, names("dy"), dy);
            if (h != null && !nativePairs.supports(Op.DROPOUT_BACKWARD, h)) {
                try (Widened w = new Widened(h)) {
                    return w.result(dropoutBackward(w.in(dy), mask, p));
                }
            }
            if (byteMask && !driver.byteMasks()) {
                ownAny(dy, "dy"); // every argument before the mask's float copy is made
                checkDropoutP(p);
                sameShape("dropoutBackward", "dy", dy, "mask", mask);
                try (Tensor f = cast(mask, DType.FLOAT32)) {
                    return dropoutBackward(dy, f, p);
                }
            }
            Storage sdy = arg(Op.DROPOUT_BACKWARD, dy, "dy");
            Storage sm = byteMask ? ownAny(mask, "mask") : own(mask, "mask");
            checkDropoutP(p);
            sameShape("dropoutBackward", "dy", dy, "mask", mask);
            Tensor dx = allocate(dy.shape(), dy.dtype());
            driver.dropoutBackward(sdy, sm, dx.storage("dx"), dy.size(), p);
            return dx;
        });
    }

    private static void checkDropoutP(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new InvalidArgumentException("dropout: p must be in [0, 1), got " + p);
        }
    }

    /**
     * Fills {@code t} with initial values; the same (seed, offset) gives the same bits on every backend.
     * The distribution is resolved from t's shape ({@link Init#resolve(Shape)}).
     *
     * @param t the tensor overwritten
     * @param init the initialisation, not null
     * @param seed the generator's key; any long
     * @param offset selects an independent stream under the same seed (give each tensor its own seed
     *     or offset); any long
     * @throws InvalidArgumentException if {@code t} is null, closed or of another backend, {@code init}
     *     is null, or a fan-based initialisation meets a shape with no fan-in
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#INIT_UNIFORM} or
     *     {@link Op#INIT_NORMAL}, whichever the distribution needs
     */
    public void init(Tensor t, Init init, long seed, long offset) {
        run(() -> {
            ownAny(t, "t"); // the tensor before what selects the op
            requireNonNull(init, "init");
            if (t != null && t.dtype().isHalf() && t.backend() == this) {
                // The float32 values (bit-identical on every backend), rounded once: so are these.
                Init.Distribution d = init.resolve(t.shape());
                halfOf(d.normal() ? Op.INIT_NORMAL : Op.INIT_UNIFORM, names("t"), t);
                try (Tensor f = empty(t.shape())) {
                    init(f, init, seed, offset);
                    cast(f, t);
                }
                return;
            }
            own(t, "t");
            Init.Distribution d = init.resolve(t.shape());
            Storage s = arg(d.normal() ? Op.INIT_NORMAL : Op.INIT_UNIFORM, t, "t");
            if (d.normal()) {
                driver.initNormal(s, t.size(), seed, offset, d.p0(), d.p1());
            } else {
                driver.initUniform(s, t.size(), seed, offset, d.p0(), d.p1());
            }
        });
    }

    /**
     * A new tensor of the given shape filled by {@link #init(Tensor, Init, long, long)} with offset 0.
     *
     * @param shape the shape of the new tensor, not null
     * @param init the initialisation, not null
     * @param seed the generator's key; any long
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code shape} or {@code init} is null, or a fan-based
     *     initialisation meets a shape with no fan-in
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks the op the distribution needs
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor init(Shape shape, Init init, long seed) {
        return call(() -> {
            Tensor t = empty(shape);
            init(t, init, seed, 0);
            return t;
        });
    }

    /**
     * {@link #init(Shape, Init, long)} for the given dimensions.
     *
     * @param init the initialisation, not null
     * @param seed the generator's key; any long
     * @param dims the dimensions, 0 to 4 of them, each at least 0 (none: a scalar)
     * @return a new tensor owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code init} or {@code dims} is null, {@code dims} is not a
     *     valid {@link Shape}, or a fan-based initialisation meets a shape with no fan-in
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks the op the distribution needs
     * @throws DeviceOutOfMemoryException if the tensor does not fit
     */
    public Tensor init(Init init, long seed, long... dims) {
        return call(() -> {
            return init(Shape.of(dims), init, seed);
        });
    }

    // =====================================================================================
    // Optimisers
    // =====================================================================================

    /**
     * One SGD step on {@code w} in place; {@code velocity} (same shape, starts at zero) is needed only
     * with momentum, and when given without momentum it is checked but neither read nor written.
     * The update rule is in {@link SgdConfig}.
     *
     * @param w the parameter, updated in place
     * @param grad ∂L/∂w, w's shape; read only
     * @param velocity the momentum buffer, w's shape, updated in place; null allowed when the config has
     *     no momentum
     * @param config the learning rate, momentum and penalties, not null
     * @throws InvalidArgumentException if w or grad is null, a tensor is closed or of another backend,
     *     {@code config} is null, a shape differs from w's, velocity is null with momentum, or the same
     *     tensor is passed twice
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SGD_STEP}
     */
    public void sgdStep(Tensor w, Tensor grad, Tensor velocity, SgdConfig config) {
        run(() -> {
            DType h = halfOf(Op.SGD_STEP, names("w", "grad", "velocity"), w, grad, velocity);
            if (h != null && !nativePairs.supports(Op.SGD_STEP, h)) {
                try (Widened wd = new Widened(h)) {
                    sgdStep(w, wd.in(grad), velocity, config);
                }
                return;
            }
            sgdChecked(w, grad, velocity, config, null);
        });
    }

    /**
     * The checks of {@link #sgdStep} and the driver's call: w and velocity float32, grad float32 or a half type the
     * driver steps from itself, and w's rounded copy into {@code halfWeights} in the same pass when not null.
     */
    private void sgdChecked(Tensor w, Tensor grad, Tensor velocity, SgdConfig config, Tensor halfWeights) {
        {
            require(Op.SGD_STEP);
            Storage sw = own(w, "w");
            Storage sg = own(Op.SGD_STEP, grad, "grad");
            // checked even when momentum 0 leaves it unread; the tensors before the config
            Storage checked = velocity != null ? own(velocity, "velocity") : null;
            requireNonNull(config, "config");
            sameShape("sgdStep", "w", w, "grad", grad);
            if (config.momentum() != 0f && velocity == null) {
                throw new InvalidArgumentException("sgdStep: momentum " + config.momentum() + " needs a velocity tensor");
            }
            Storage sv = null;
            if (velocity != null) {
                sameShape("sgdStep", "w", w, "velocity", velocity);
                sv = config.momentum() != 0f ? checked : null;
            }
            distinct("sgdStep", w, grad, velocity);
            if (grad.dtype() == DType.FLOAT32 && halfWeights == null) {
                driver.sgdStep(sw, sg, sv, w.size(), config);
            } else {
                Storage sh = halfWeights == null ? null : ownAny(halfWeights, "halfWeights");
                driver.sgdStep(sw, sg, grad.dtype(), sv, w.size(), config, sh,
                        halfWeights == null ? null : halfWeights.dtype());
            }
        }
    }

    /**
     * One Adam/AdamW step on {@code w} in place; m and v have w's shape and start at zero; step counts
     * from 1. The update rule is in {@link AdamConfig}.
     *
     * @param w the parameter, updated in place
     * @param grad ∂L/∂w, w's shape; read only
     * @param m the first-moment buffer, w's shape, updated in place
     * @param v the second-moment buffer, w's shape, updated in place
     * @param config the learning rate, betas, ε and weight decay, not null
     * @param step the 1-based number of this step, t in the bias corrections 1 − βᵗ
     * @throws InvalidArgumentException if a tensor is null, closed or of another backend, {@code config}
     *     is null, a shape differs from w's, {@code step} is below 1, or the same tensor is passed twice
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ADAM_STEP}
     */
    public void adamStep(Tensor w, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step) {
        run(() -> {
            DType h = halfOf(Op.ADAM_STEP, names("w", "grad", "m", "v"), w, grad, m, v);
            if (h != null && !nativePairs.supports(Op.ADAM_STEP, h)) {
                try (Widened wd = new Widened(h)) {
                    adamStep(w, wd.in(grad), m, v, config, step);
                }
                return;
            }
            adamChecked(w, grad, m, v, config, step, null);
        });
    }

    /** As {@link #sgdChecked}, for Adam. */
    private void adamChecked(Tensor w, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step,
                             Tensor halfWeights) {
        {
            require(Op.ADAM_STEP);
            Storage sw = own(w, "w");
            Storage sg = own(Op.ADAM_STEP, grad, "grad");
            Storage sm = own(m, "m");
            Storage sv = own(v, "v");
            requireNonNull(config, "config");
            sameShape("adamStep", "w", w, "grad", grad);
            sameShape("adamStep", "w", w, "m", m);
            sameShape("adamStep", "w", w, "v", v);
            if (step < 1) {
                throw new InvalidArgumentException("adamStep: step counts from 1, got " + step);
            }
            distinct("adamStep", w, grad, m, v);
            if (grad.dtype() == DType.FLOAT32 && halfWeights == null) {
                driver.adamStep(sw, sg, sm, sv, w.size(), config, step);
            } else {
                Storage sh = halfWeights == null ? null : ownAny(halfWeights, "halfWeights");
                driver.adamStep(sw, sg, grad.dtype(), sm, sv, w.size(), config, step, sh,
                        halfWeights == null ? null : halfWeights.dtype());
            }
        }
    }

    /**
     * The regularisation penalty l1·Σ|w| + l2/2·Σw² (whose gradient {@link #sgdStep} adds), as a rank-0 tensor.
     *
     * @param w the parameter, of any shape
     * @param l1 the L1 factor, finite and ≥ 0
     * @param l2 the L2 factor, finite and ≥ 0
     * @return a new rank-0 tensor, owned by the caller (or the current {@link Scope})
     * @throws InvalidArgumentException if {@code w} is null, closed or of another backend, or l1 or l2 is
     *     negative, infinite or NaN
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#PENALTY}
     * @throws DeviceOutOfMemoryException if the result does not fit
     */
    public Tensor penalty(Tensor w, float l1, float l2) {
        return call(() -> {
            Storage sw = arg(Op.PENALTY, w, "w");
            if (!(l1 >= 0f) || !(l2 >= 0f) || Float.isInfinite(l1) || Float.isInfinite(l2)) {
                throw new InvalidArgumentException("penalty: l1 and l2 must be finite and >= 0, got " + l1 + ", " + l2);
            }
            Tensor out = allocate(Shape.scalar());
            driver.penalty(sw, w.size(), l1, l2, out.storage("penalty"));
            return out;
        });
    }

    /**
     * Clips gradients by their global L2 norm: when the norm exceeds {@code maxNorm}, every gradient
     * is scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping. A NaN element makes the
     * norm NaN and every gradient NaN; a ±∞ element makes the norm ∞ and the factor 0, so that element
     * becomes NaN (∞·0) and every finite element of every gradient 0, as in PyTorch: test the returned
     * norm, or {@link #allFinite}, before stepping. The norm √(Σ over tensors of ‖g‖²) is combined in
     * double on the host, so the call waits for the work that produces the gradients. A tensor of
     * finite elements whose own norm exceeds float's range (each one read as ∞ by {@link #l2Norm})
     * is measured again on the host in double, so that the gradients are still scaled by the finite
     * factor the formula gives (the returned norm, rounded to float, is then ∞).
     *
     * @param grads the gradients, scaled in place; each an open tensor of this backend, none twice;
     *     an empty list gives 0
     * @param maxNorm the largest global norm left unscaled, finite and &gt; 0
     * @return the global norm before clipping, rounded to float
     * @throws InvalidArgumentException if {@code grads} or an element is null, closed or of another
     *     backend, a tensor appears twice, or {@code maxNorm} is not finite and &gt; 0
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#CLIP_GRAD_NORM}, {@link Op#L2_NORM}
     *     or {@link Op#SCALE}
     */
    public float clipGradNorm(List<Tensor> grads, float maxNorm) {
        return call(() -> {
            require(Op.CLIP_GRAD_NORM);
            require(Op.L2_NORM);
            require(Op.SCALE);
            List<Tensor> gs = snapshot(grads, "grads");
            for (int i = 0; i < gs.size(); i++) {
                Tensor g = gs.get(i);
                if (g != null && g.dtype().isHalf()) {
                    halfOf(Op.L2_NORM, names("grads[" + i + "]"), g);
                    halfOf(Op.SCALE, names("grads[" + i + "]"), g);
                    ownAny(g, "grads[" + i + "]");
                } else {
                    own(g, "grads[" + i + "]");
                }
                for (int j = 0; j < i; j++) {
                    if (gs.get(j) == gs.get(i)) {
                        throw new InvalidArgumentException("clipGradNorm: grads[" + j + "] and grads[" + i + "] are the same tensor "
                                + gs.get(i).shape() + "; it would be counted and scaled twice");
                    }
                }
            }
            // The scalar after the tensors, as every op checks its arguments.
            if (!(maxNorm > 0f) || Float.isInfinite(maxNorm)) {
                throw new InvalidArgumentException("clipGradNorm: maxNorm must be finite and > 0, got " + maxNorm);
            }
            double sumSq = 0;
            for (Tensor g : gs) {
                double v;
                try (Tensor n = l2Norm(g)) {
                    v = n.item();
                }
                if (v == Double.POSITIVE_INFINITY) {
                    v = hostNorm(g); // its float norm overflowed: finite elements can still have a norm past float's range
                }
                sumSq += v * v;
            }
            double norm = Math.sqrt(sumSq);
            if (!(norm <= maxNorm)) {
                float factor = (float) (maxNorm / (norm + 1e-6));
                for (Tensor g : gs) {
                    if (g.dtype().isHalf()) {
                        scale(g, factor, g);
                    } else {
                        driver.scale(g.storage("grad"), factor, g.storage("grad"), g.size());
                    }
                }
            }
            return (float) norm;
        });
    }

    // =====================================================================================
    // Mixed precision
    // =====================================================================================

    /**
     * Unscales every gradient in place (multiplies it by the float32 reciprocal of {@code lossScale})
     * and says whether all of them are finite: the step of dynamic loss scaling for float16 training.
     * When it returns false the caller skips the optimiser step and lowers the scale; when true the
     * gradients are unscaled and ready, every element finite. Each tensor is read twice: the test of
     * {@link #allFinite}, then the scaling. A scale below 1 enlarges the gradients, which may overflow
     * their dtype (float16 past 65,504): then the unscaled values go to copies first, are tested too, and
     * replace the gradients only when all are finite (a third pass and the copies' memory).
     *
     * @param grads the gradients, float32 or half precision, each once
     * @param lossScale the factor the loss was multiplied by, finite and &gt; 0, with a finite
     *     reciprocal in float (at least about 2.9·10⁻³⁹)
     * @return true when every element of every gradient is finite, and stays finite once unscaled (they
     *     are then unscaled); false when one is ±∞ or NaN, or would overflow to ±∞ when unscaled (the
     *     gradients are left as they were)
     * @throws InvalidArgumentException if the list or a tensor is null, closed, of another backend or
     *     not floating point, a tensor appears twice, or the scale is not finite and &gt; 0 or its
     *     reciprocal is not finite
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SCALE}, or {@link Op#SUM} where it has no
     *     finite check of its own ({@link BackendDriver#finiteChecks()})
     */
    public boolean unscaleIfFinite(List<Tensor> grads, float lossScale) {
        return call(() -> {
            List<Tensor> gs = snapshot(grads, "grads");
            for (int i = 0; i < gs.size(); i++) {
                Tensor g = gs.get(i);
                ownAny(g, "grads[" + i + "]");
                if (!g.dtype().isFloatingPoint()) {
                    throw new InvalidArgumentException("unscaleIfFinite: grads[" + i + "] " + g.shape() + " is " + g.dtype()
                            + "; gradients are floating point");
                }
                for (int j = 0; j < i; j++) {
                    if (gs.get(j) == g) {
                        throw new InvalidArgumentException("unscaleIfFinite: grads[" + j + "] and grads[" + i
                                + "] are the same tensor " + g.shape() + "; it would be unscaled twice");
                    }
                }
            }
            // The scalar after the tensors, as every op checks its arguments.
            if (!(lossScale > 0f) || Float.isInfinite(lossScale) || Float.isInfinite(1f / lossScale)) {
                throw new InvalidArgumentException("unscaleIfFinite: lossScale must be finite and > 0 with a finite "
                        + "reciprocal, got " + lossScale);
            }
            if (!allFinite(gs)) {
                return false;
            }
            float inverse = 1f / lossScale;
            if (inverse > 1f) {
                // A scale below 1 enlarges the gradients, which may then overflow (float16 past 65,504): unscale into
                // copies, and keep them only if they are all finite, so that false leaves the gradients as they were.
                List<Tensor> unscaled = new java.util.ArrayList<>(gs.size());
                try {
                    for (Tensor g : gs) {
                        unscaled.add(scale(g, inverse));
                    }
                    if (!allFinite(unscaled)) {
                        return false;
                    }
                    for (int i = 0; i < gs.size(); i++) {
                        copy(unscaled.get(i), gs.get(i));
                    }
                } finally {
                    for (Tensor u : unscaled) {
                        u.close();
                    }
                }
            } else if (inverse != 1f) {
                for (Tensor g : gs) {
                    scale(g, inverse, g);
                }
            }
            return true;
        });
    }

    /**
     * Whether every element of every tensor is finite (no ±∞, no NaN).
     *
     * @param tensors floating-point tensors of this backend
     * @return true when all are finite
     * @throws InvalidArgumentException if the list or a tensor is null, closed, of another backend or
     *     not floating point
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend has no finite check of its own
     *     ({@link BackendDriver#finiteChecks()}) and lacks {@link Op#SCALE} or {@link Op#SUM}
     */
    public boolean allFinite(List<Tensor> tensors) {
        return call(() -> {
            List<Tensor> ts = snapshot(tensors, "tensors");
            for (int i = 0; i < ts.size(); i++) {
                Tensor t = ts.get(i);
                ownAny(t, "tensors[" + i + "]");
                if (!t.dtype().isFloatingPoint()) {
                    throw new InvalidArgumentException("allFinite: tensors[" + i + "] " + t.shape() + " is " + t.dtype()
                            + "; only floating-point tensors hold non-finite values");
                }
            }
            if (driver.finiteChecks()) {
                // The driver reads each tensor once, in its own dtype (a half type's test is on its exponent bits),
                // and answers for the whole list at once (a device driver waits once, not once per tensor).
                List<Storage> storages = new java.util.ArrayList<>();
                List<DType> dtypes = new java.util.ArrayList<>();
                List<Long> sizes = new java.util.ArrayList<>();
                for (int i = 0; i < ts.size(); i++) {
                    Tensor t = ts.get(i);
                    if (t.size() > 0) {
                        storages.add(t.storage("tensors[" + i + "]"));
                        dtypes.add(t.dtype());
                        sizes.add(t.size());
                    }
                }
                return storages.isEmpty() || driver.allFinite(storages.toArray(Storage[]::new), dtypes.toArray(DType[]::new),
                        sizes.stream().mapToLong(Long::longValue).toArray());
            }
            for (int i = 0; i < ts.size(); i++) {
                Tensor t = ts.get(i);
                if (t.size() == 0) {
                    continue;
                }
                // 0·x is ±0 for a finite x and NaN for ±∞ or NaN; the sum keeps a NaN.
                try (Tensor zero = scale(t, 0f); Tensor s = sum(zero)) {
                    if (Float.isNaN(s.item())) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    /**
     * {@link #adamStep} on float32 master weights, then their rounded copy into {@code halfWeights}, the
     * half-precision weights the next forward pass reads. A backend that declares {@link Op#ADAM_STEP} in the
     * copy's dtype among its own pairs does both in one pass over the data (each element's gradient read, its
     * step taken and its copy written together; the CPU, OpenCL and CUDA backends do); the result is the same bit
     * for bit as the step followed by {@link #cast}.
     *
     * @param w the float32 master weights, updated in place
     * @param grad the gradient, float32 or half precision (already unscaled)
     * @param m the float32 first moment
     * @param v the float32 second moment
     * @param config the optimiser's settings
     * @param step the step number, from 1
     * @param halfWeights receives w rounded to its dtype (FLOAT16 or BFLOAT16); w's shape
     * @throws InvalidArgumentException as {@link #adamStep}, or if {@code halfWeights} is null, not half
     *     precision, of another shape, or {@code w}, {@code grad}, {@code m} or {@code v} itself
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#ADAM_STEP} or {@link Op#CAST}
     */
    public void adamStep(Tensor w, Tensor grad, Tensor m, Tensor v, AdamConfig config, long step, Tensor halfWeights) {
        run(() -> {
            checkHalfCopy("adamStep", w, halfWeights, names("grad", "m", "v"), grad, m, v);
            if (fusesHalfCopy(Op.ADAM_STEP, grad, halfWeights)) {
                halfOf(Op.ADAM_STEP, names("w", "grad", "m", "v"), w, grad, m, v);
                adamChecked(w, grad, m, v, config, step, halfWeights);
                return;
            }
            adamStep(w, grad, m, v, config, step);
            cast(w, halfWeights);
        });
    }

    /**
     * {@link #sgdStep} on float32 master weights, then their rounded copy into {@code halfWeights}, in one pass
     * where the backend declares it (see {@link #adamStep(Tensor, Tensor, Tensor, Tensor, AdamConfig, long, Tensor)}).
     *
     * @param w the float32 master weights, updated in place
     * @param grad the gradient, float32 or half precision (already unscaled)
     * @param velocity the float32 momentum buffer, or null without momentum
     * @param config the optimiser's settings
     * @param halfWeights receives w rounded to its dtype (FLOAT16 or BFLOAT16); w's shape
     * @throws InvalidArgumentException as {@link #sgdStep}, or if {@code halfWeights} is null, not half
     *     precision, of another shape, or {@code w}, {@code grad} or {@code velocity} itself
     * @throws InvalidStateException if this backend is closed
     * @throws UnsupportedOpException if the backend lacks {@link Op#SGD_STEP} or {@link Op#CAST}
     */
    public void sgdStep(Tensor w, Tensor grad, Tensor velocity, SgdConfig config, Tensor halfWeights) {
        run(() -> {
            checkHalfCopy("sgdStep", w, halfWeights, names("grad", "velocity"), grad, velocity);
            if (fusesHalfCopy(Op.SGD_STEP, grad, halfWeights)) {
                halfOf(Op.SGD_STEP, names("w", "grad", "velocity"), w, grad, velocity);
                sgdChecked(w, grad, velocity, config, halfWeights);
                return;
            }
            sgdStep(w, grad, velocity, config);
            cast(w, halfWeights);
        });
    }

    /**
     * Whether the driver steps from this gradient and writes the half copy in the same pass: it declares the copy's
     * dtype for the op, and the gradient is float32 or of a half type it declares too. Otherwise the facade steps,
     * then casts.
     */
    private boolean fusesHalfCopy(Op op, Tensor grad, Tensor halfWeights) {
        if (!nativePairs.supports(op, halfWeights.dtype()) || grad == null) {
            return false;
        }
        DType g = grad.dtype();
        return g == DType.FLOAT32 || (g.isHalf() && nativePairs.supports(op, g));
    }

    private void checkHalfCopy(String op, Tensor w, Tensor half, String[] otherNames, Tensor... others) {
        ownAny(half, "halfWeights");
        ownAny(w, "w");
        if (!half.dtype().isHalf()) {
            throw new InvalidArgumentException(op + ": halfWeights " + half.shape() + " is " + half.dtype()
                    + "; it must be FLOAT16 or BFLOAT16");
        }
        sameShape(op, "w", w, "halfWeights", half);
        if (half == w) {
            throw new InvalidArgumentException(op + ": halfWeights must not be w");
        }
        for (int i = 0; i < others.length; i++) {
            if (others[i] == half) {
                // The step would still be right (each gradient element is read before its copy is written), but the
                // gradient would be lost: the same tensor twice, which every optimiser step rejects.
                throw new InvalidArgumentException(op + ": halfWeights must not be " + otherNames[i]
                        + " (the same tensor passed twice)");
            }
        }

    }

    // =====================================================================================
    // Half precision through float32
    // =====================================================================================

    /**
     * The ops that take float16 and bfloat16 tensors on every backend that stores and casts them: the
     * facade widens the half-precision arguments to float32 exactly, runs the float32 op, and rounds
     * each half-precision result once (a backend with its own half kernels declares them itself and
     * gives the same values within the float32 tolerance).
     */
    private static final Set<Op> HALF_THROUGH_FLOAT32 = java.util.EnumSet.of(Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.SCALE,
            Op.SUM, Op.MEAN, Op.L2_NORM, Op.ARGMAX, Op.MATMUL, Op.LINEAR, Op.LINEAR_BACKWARD, Op.CLIP_GRAD_NORM, Op.ACTIVATION, Op.ACTIVATION_BACKWARD, Op.SOFTMAX, Op.SOFTMAX_BACKWARD,
            Op.LOG_SOFTMAX, Op.LOG_SOFTMAX_BACKWARD, Op.LOSS, Op.LOSS_BACKWARD, Op.SOFTMAX_CROSS_ENTROPY, Op.DROPOUT,
            Op.DROPOUT_BACKWARD, Op.SGD_STEP, Op.ADAM_STEP, Op.INIT_UNIFORM, Op.INIT_NORMAL, Op.PRELU, Op.PRELU_BACKWARD);

    /** Whether dropout masks are UINT8 here: the backend stores bytes and casts to them. */
    private boolean byteMasks() {
        return capabilities.supports(Op.CAST, DType.UINT8) && capabilities.supports(Op.CAST, DType.FLOAT32);
    }

    /** {@code c} with the half-precision pairs the facade computes through float32 added. */
    static Capabilities withHalfPrecision(Capabilities c) {
        java.util.Map<Op, Set<DType>> pairs = new java.util.EnumMap<>(Op.class);
        pairs.putAll(c.opDtypes());
        for (Op op : HALF_THROUGH_FLOAT32) {
            if (!c.supports(op) || !c.supports(op, DType.FLOAT32)) {
                continue;
            }
            Set<DType> d = java.util.EnumSet.copyOf(c.dtypes(op));
            for (DType h : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
                if (c.supports(Op.CAST, h) && c.supports(Op.CAST, DType.FLOAT32)) {
                    d.add(h);
                }
            }
            pairs.put(op, d);
        }
        return new Capabilities(c.deviceName(), c.memoryBytes(), c.computeUnits(), c.dtypes(), c.supportedOps(),
                c.details(), pairs);
    }

    /**
     * The half-precision dtype of a call's floating-point tensors, or null when none is half. All of
     * them must share it; the op must take it here.
     */
    private DType halfOf(Op op, String[] names, Tensor... ts) {
        DType half = null;
        int first = -1;
        for (int i = 0; i < ts.length; i++) {
            Tensor t = ts[i];
            if (t == null || !t.dtype().isHalf()) {
                continue;
            }
            if (half == null) {
                half = t.dtype();
                first = i;
            } else if (t.dtype() != half) {
                throw new InvalidArgumentException(op + ": " + names[first] + " " + ts[first].shape() + " is " + half
                        + " but " + names[i] + " " + t.shape() + " is " + t.dtype()
                        + "; half-precision arguments of one op share a dtype (convert with cast)");
            }
        }
        if (half == null) {
            return null;
        }
        for (int i = 0; i < ts.length; i++) {
            // Before any widening: a backend that computes this op through float32 copies would otherwise convert
            // an integer tensor too, and accept what a backend running the half op itself rejects.
            if (ts[i] != null && !ts[i].dtype().isFloatingPoint()) {
                throw new InvalidArgumentException(op + ": " + names[first] + " " + ts[first].shape() + " is " + half
                        + " but " + names[i] + " " + ts[i].shape() + " is " + ts[i].dtype()
                        + "; this op takes floating-point tensors (convert with cast)");
            }
        }
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] != null && ts[i].dtype() == DType.FLOAT32 && !floatAllowed(op, names[i])) {
                throw new InvalidArgumentException(op + ": " + names[first] + " " + ts[first].shape() + " is " + half
                        + " but " + names[i] + " " + ts[i].shape() + " is FLOAT32; they must have the same dtype "
                        + "(convert with cast)");
            }
        }
        require(op);
        if (!capabilities.supports(op, half)) {
            throw new UnsupportedOpException(op, half, "backend '" + name() + "' does not run " + op + " on " + half
                    + " tensors (it takes " + capabilities.dtypes(op) + ")");
        }
        return half;
    }

    /** The tensors that stay float32 beside half-precision ones: optimiser state, master weights, matmul's c. */
    private static boolean floatAllowed(Op op, String name) {
        return switch (op) {
            case SGD_STEP, ADAM_STEP -> !name.equals("grad");
            case MATMUL -> name.equals("c");
            // PReLU's α may stay a float32 master parameter beside half-precision activations.
            case PRELU, PRELU_BACKWARD, LINEAR -> name.equals("alpha");
            default -> false;
        };
    }

    /** Float32 stand-ins for the half-precision tensors of one call. */
    private final class Widened implements AutoCloseable {
        private final DType half;
        private final List<Tensor> temps = new java.util.ArrayList<>();
        private final List<Tensor[]> outs = new java.util.ArrayList<>();

        Widened(DType half) {
            this.half = half;
        }

        /** An input: itself when float32, else an exact float32 copy. */
        Tensor in(Tensor t) {
            if (t == null || t.dtype() == DType.FLOAT32) {
                return t;
            }
            Tensor f = cast(t, DType.FLOAT32);
            temps.add(f);
            return f;
        }

        /** An output written by the op: a float32 tensor rounded into {@code t} by {@link #commit()}. */
        Tensor out(Tensor t) {
            if (t == null || t.dtype() == DType.FLOAT32) {
                return t;
            }
            ownAny(t, "out"); // checked now, before any output is written: not first at commit, after the op ran
            Tensor f = empty(t.shape());
            temps.add(f);
            outs.add(new Tensor[] {f, t});
            return f;
        }

        /** A tensor read and written (matmul's c with beta, optimiser state): widened now, rounded back at commit. */
        Tensor inOut(Tensor t) {
            if (t == null || t.dtype() == DType.FLOAT32) {
                return t;
            }
            Tensor f = in(t);
            outs.add(new Tensor[] {f, t});
            return f;
        }

        /** A new float32 result as a new tensor of the half dtype; the float32 one is closed. */
        Tensor result(Tensor f) {
            Tensor h = cast(f, half);
            f.close();
            return h;
        }

        /** Rounds every output into its half-precision tensor. */
        void commit() {
            for (Tensor[] o : outs) {
                cast(o[0], o[1]);
            }
        }

        @Override
        public void close() {
            for (Tensor t : temps) {
                t.close();
            }
        }
    }

    private static String[] names(String... n) {
        return n;
    }

    // =====================================================================================
    // Checks
    // =====================================================================================

    private void checkOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private void require(Op op) {
        checkOpen();
        if (!capabilities.supports(op)) {
            String why = capabilities.details().get("unsupported." + op.name());
            throw new UnsupportedOpException(op, "backend '" + name() + "' does not support " + op + (why == null ? "" : ": " + why));
        }
    }

    /** Checks that the op is supported and the tensor is usable here; returns its storage. */
    private Storage arg(Op op, Tensor t, String name) {
        require(op);
        return own(op, t, name);
    }

    /**
     * {@link #own(Tensor, String)} for an argument of {@code op}, which also takes a dtype the driver itself runs the op
     * in ({@code nativePairs}); the dtypes the facade computes through float32 never get here.
     */
    private Storage own(Op op, Tensor t, String name) {
        if (t != null && t.dtype() != DType.FLOAT32 && t.backend() == this) {
            if (nativePairs.supports(op, t.dtype())) {
                return ownAny(t, name);
            }
            throw new InvalidArgumentException(op + ": " + name + " " + t.shape() + " is " + t.dtype() + " but " + op
                    + " takes " + new java.util.TreeSet<>(capabilities.dtypes(op)) + " tensors on backend '" + name()
                    + "' (convert with cast)");
        }
        return own(t, name);
    }

    /** Checks that {@code t} is an open float32 tensor of this backend and holds it for the current call. */
    private Storage own(Tensor t, String name) {
        if (t != null && t.dtype() != DType.FLOAT32 && t.backend() == this) {
            throw new InvalidArgumentException(name + " " + t.shape() + " is " + t.dtype() + " but must be FLOAT32 "
                    + "here on backend '" + name() + "' (the dtypes each op takes: Capabilities.dtypes(op); convert "
                    + "with cast)");
        }
        return ownAny(t, name);
    }

    /** Checks that {@code t} is an open tensor of this backend, of any dtype, and holds it for the current call. */
    private Storage ownAny(Tensor t, String name) {
        checkOpen();
        if (t == null) {
            throw new InvalidArgumentException(name + " is null");
        }
        if (t.backend() != this) {
            throw new InvalidArgumentException(name + " " + t.shape() + " belongs to backend '" + t.backend().name()
                    + "' (" + t.backend().capabilities().deviceName() + ") but this call runs on backend '" + name()
                    + "'; tensors of two backends cannot meet in one op (copy through toArray() first)");
        }
        Call c = current();
        Storage s = t.hold(name);
        c.hold(t);
        return s;
    }

    private static void sameDtype(String op, String na, Tensor a, String nb, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new InvalidArgumentException(op + ": " + na + " " + a.shape() + " is " + a.dtype() + " but " + nb + " "
                    + b.shape() + " is " + b.dtype() + "; they must have the same dtype (convert with cast)");
        }
    }

    private static void sameShape(String op, String na, Tensor a, String nb, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new InvalidArgumentException(op + ": " + na + " is " + a.shape() + " but " + nb + " is " + b.shape()
                    + "; they must have the same shape");
        }
    }

    private static void requireRankAtLeast(String op, String name, Tensor t, int rank) {
        if (t.rank() < rank) {
            throw new InvalidArgumentException(op + ": " + name + " must have rank >= " + rank + ", got " + t.shape());
        }
    }

    private static void requireNonNull(Object o, String name) {
        if (o == null) {
            throw new InvalidArgumentException(name + " is null");
        }
    }

    private static void distinct(String op, Tensor... ts) {
        for (int i = 0; i < ts.length; i++) {
            for (int j = i + 1; j < ts.length; j++) {
                if (ts[i] != null && ts[i] == ts[j]) {
                    throw new InvalidArgumentException(op + ": the same tensor " + ts[i].shape() + " was passed twice");
                }
            }
        }
    }
}
