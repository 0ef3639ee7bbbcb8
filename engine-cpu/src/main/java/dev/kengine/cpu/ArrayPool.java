package dev.kengine.cpu;

import dev.kengine.DType;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The arrays of closed tensors, kept for the next allocation of the same dtype and length: a training loop allocates
 * the same activations and gradients every step, and a new Java array is zeroed by the JVM (the 30 MB a step of a
 * 784-1024-1024-10 MLP at batch 256 allocates cost about a millisecond of zeroing) and, from half a G1 region up,
 * allocated as a humongous object that starts a concurrent collection cycle. {@link dev.kengine.spi.Storage}
 * promises undefined contents, so a recycled array is handed out as it is.
 *
 * <p>Only arrays of at least {@link #MIN_BYTES} bytes are kept (64 KiB; smaller ones come cheaply from the thread's
 * allocation buffer), at most {@value #PER_SIZE} per dtype and length, and at most an eighth of the maximum heap in all
 * the CPU backends of the JVM together (Spark opens one per running task). Each is held through a
 * {@link SoftReference}, so the collector may take them back before it would throw {@link OutOfMemoryError}. A tensor
 * that leaks is not recycled: its array goes with it in a collection, as before.
 *
 * <p>With the system property {@code kengine.cpu.poisonRecycled=true} every array kept is filled with NaN (float32),
 * a quiet-NaN pattern (the half types), −1 (int32) or 0xFF (uint8), so that code which wrongly relies on a new storage
 * being zero fails instead of passing by chance; the engine's own tests run with it, and with
 * {@code kengine.cpu.poolMinBytes=64}, so that their small tensors are recycled too.
 *
 * <p>Thread-safe: storages are released on any thread.
 */
final class ArrayPool {
    /** The smallest array kept, in bytes (64 KiB; the tests lower it through {@code kengine.cpu.poolMinBytes}). */
    static final int MIN_BYTES = Integer.getInteger("kengine.cpu.poolMinBytes", 1 << 16);
    /** Arrays kept per dtype and length. */
    static final int PER_SIZE = 8;
    private static final boolean POISON = Boolean.getBoolean("kengine.cpu.poisonRecycled");
    /** The bytes every heap-sized pool of the JVM keeps, together ({@link #forHeap}). */
    private static final AtomicLong HEAP_POOLS_KEPT = new AtomicLong();

    private final long capacityBytes;
    /** The count this pool's bytes are added to as well, against the same capacity; null for a pool on its own. */
    private final AtomicLong shared;
    private final Map<Long, ArrayDeque<SoftReference<Object>>> free = new HashMap<>();
    /** Bytes of the arrays in {@link #free}, counting those the collector has cleared until they are looked at. */
    private long keptBytes;
    private boolean closed;

    ArrayPool(long capacityBytes) {
        this(capacityBytes, null);
    }

    private ArrayPool(long capacityBytes, AtomicLong shared) {
        this.capacityBytes = capacityBytes;
        this.shared = shared;
    }

    /** A pool whose arrays count, with those of every other such pool, against an eighth of the maximum heap. */
    static ArrayPool forHeap() {
        return new ArrayPool(Runtime.getRuntime().maxMemory() / 8, HEAP_POOLS_KEPT);
    }

    /**
     * A storage of {@code n} elements of {@code dtype}: a kept array of that dtype and length, contents undefined, or
     * a new (zeroed) one.
     *
     * @throws OutOfMemoryError when a new array does not fit
     */
    CpuStorage allocate(DType dtype, int n) {
        long bytes = (long) n * dtype.byteSize();
        if (bytes < MIN_BYTES) {
            return CpuStorage.of(dtype, n, null);
        }
        Object kept = take(key(dtype, n), bytes);
        return kept != null ? CpuStorage.wrap(kept, dtype, n, this) : CpuStorage.of(dtype, n, this);
    }

    private synchronized Object take(long key, long bytes) {
        ArrayDeque<SoftReference<Object>> q = free.get(key);
        Object a = null;
        while (a == null && q != null && !q.isEmpty()) {
            a = q.pollLast().get();
            forget(bytes);
        }
        if (q != null && q.isEmpty()) {
            free.remove(key);
        }
        return a;
    }

    /**
     * Keeps the array of a storage that nothing uses any more, if there is room: the pool is open, the bytes kept stay
     * within the capacity and fewer than {@value #PER_SIZE} arrays of its dtype and length are kept.
     */
    void recycle(CpuStorage s) {
        long bytes = s.size() * s.dtype().byteSize();
        long key = key(s.dtype(), (int) s.size());
        synchronized (this) {
            if (closed) {
                return;
            }
            if (kept() + bytes > capacityBytes) {
                purgeCleared();
                if (kept() + bytes > capacityBytes) {
                    return;
                }
            }
            ArrayDeque<SoftReference<Object>> q = free.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (q.size() >= PER_SIZE) {
                int before = q.size();
                q.removeIf(r -> r.get() == null);
                forget((before - q.size()) * bytes);
                if (q.size() >= PER_SIZE) {
                    return;
                }
            }
            if (POISON) {
                s.poison();
            }
            q.addLast(new SoftReference<>(s.array()));
            keptBytes += bytes;
            if (shared != null) {
                shared.addAndGet(bytes);
            }
        }
    }

    /** The bytes counted against the capacity: this pool's, or all the heap pools' together. */
    private long kept() {
        return shared != null ? shared.get() : keptBytes;
    }

    private void forget(long bytes) {
        keptBytes -= bytes;
        if (shared != null) {
            shared.addAndGet(-bytes);
        }
    }

    /** Drops the references the collector has cleared, and their bytes, and the lengths with nothing kept. */
    private void purgeCleared() {
        for (var it = free.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            long each = (e.getKey() >>> 3) * DType.values()[(int) (e.getKey() & 7)].byteSize();
            int before = e.getValue().size();
            e.getValue().removeIf(r -> r.get() == null);
            forget((before - e.getValue().size()) * each);
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    /** Bytes kept now (arrays the collector has cleared included until they are looked at). */
    synchronized long keptBytes() {
        return keptBytes;
    }

    /** Lets every kept array go; later releases keep nothing. */
    synchronized void close() {
        closed = true;
        free.clear();
        forget(keptBytes);
    }

    private static long key(DType dtype, int n) {
        return (long) n << 3 | dtype.ordinal();
    }
}
