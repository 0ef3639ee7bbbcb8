package dev.kengine.cpu;

import dev.kengine.DType;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The arrays of closed tensors, kept for the next allocation of the same dtype and length: a training loop allocates
 * the same activations and gradients every step, and a new Java array is zeroed by the JVM (the 30 MB a step of a
 * 784-1024-1024-10 MLP at batch 256 allocates cost about a millisecond of zeroing) and, from half a G1 region up,
 * allocated as a humongous object that starts a concurrent collection cycle. {@link dev.kengine.spi.Storage}
 * promises undefined contents, so a recycled array is handed out as it is.
 *
 * <p>Only arrays of at least {@value #MIN_BYTES} bytes are kept (smaller ones come cheaply from the thread's
 * allocation buffer), at most {@value #PER_SIZE} per dtype and length, and at most an eighth of the maximum heap in all.
 * Each is held through a {@link SoftReference}, so the collector may take them back before it would throw
 * {@link OutOfMemoryError}. A tensor that leaks is not recycled: its array goes with it in a collection, as before.
 *
 * <p>With the system property {@code kengine.cpu.poisonRecycled=true} every recycled array is filled with NaN (float32),
 * a quiet-NaN pattern (the half types), −1 (int32) or 0xFF (uint8) before it is kept, so that code which wrongly
 * relies on a new storage being zero fails instead of passing by chance; the engine's own tests run with it.
 *
 * <p>Thread-safe: storages are released on any thread.
 */
final class ArrayPool {
    /** The smallest array kept, in bytes. */
    static final int MIN_BYTES = 1 << 16;
    /** Arrays kept per dtype and length. */
    static final int PER_SIZE = 8;
    private static final boolean POISON = Boolean.getBoolean("kengine.cpu.poisonRecycled");

    private final long capacityBytes;
    private final Map<Long, ArrayDeque<SoftReference<Object>>> free = new HashMap<>();
    /** Bytes of the arrays in {@link #free}, counting those the collector has cleared until they are looked at. */
    private long keptBytes;
    private boolean closed;

    ArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** A pool of at most an eighth of the maximum heap. */
    static ArrayPool forHeap() {
        return new ArrayPool(Runtime.getRuntime().maxMemory() / 8);
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
        while (q != null && !q.isEmpty()) {
            Object a = q.pollLast().get();
            keptBytes -= bytes;
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    /** Keeps the array of a storage that nothing uses any more, if there is room. */
    void recycle(CpuStorage s) {
        long bytes = s.size() * s.dtype().byteSize();
        if (POISON) {
            s.poison();
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            if (keptBytes + bytes > capacityBytes) {
                purgeCleared();
                if (keptBytes + bytes > capacityBytes) {
                    return;
                }
            }
            ArrayDeque<SoftReference<Object>> q = free.computeIfAbsent(key(s.dtype(), (int) s.size()), k -> new ArrayDeque<>());
            if (q.size() >= PER_SIZE) {
                return;
            }
            q.addLast(new SoftReference<>(s.array()));
            keptBytes += bytes;
        }
    }

    /** Drops the references the collector has cleared, and their bytes. */
    private void purgeCleared() {
        for (var e : free.entrySet()) {
            long each = (e.getKey() >>> 3) * DType.values()[(int) (e.getKey() & 7)].byteSize();
            int before = e.getValue().size();
            e.getValue().removeIf(r -> r.get() == null);
            keptBytes -= (before - e.getValue().size()) * each;
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
        keptBytes = 0;
    }

    private static long key(DType dtype, int n) {
        return (long) n << 3 | dtype.ordinal();
    }
}
