package dev.kengine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend's count of the bytes its tensors hold, and the policy that lets leaked device memory
 * come back in time. The garbage collector sees a leaked tensor as a few dozen bytes of heap, not as
 * the megabytes of device or native memory behind it, so left alone it may never collect: the
 * account therefore prompts a collection whenever the native bytes held pass a threshold, waits
 * briefly for the cleaner to free what was unreachable, and sets the next threshold at twice what
 * stayed live (never below {@link #FLOOR}). Memory held by leaks thus stays within about twice the
 * memory in real use plus the floor. When an allocation still fails for lack of memory, the facade
 * collects, waits, and tries once more before reporting {@link DeviceOutOfMemoryException}.
 *
 * <p>Heap-managed storage (the CPU backend's arrays) is counted but never prompts a collection: the
 * collector already sees those bytes.
 */
final class MemoryAccount {
    /** The lowest threshold, in bytes, at which leaked native memory prompts a collection. */
    static final long FLOOR = 256L << 20;
    private static final long WAIT_NANOS = 200_000_000L;

    private final AtomicLong live = new AtomicLong();
    private final AtomicLong nativeLive = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong collections = new AtomicLong();
    private volatile long threshold = FLOOR;

    /**
     * Called before allocating {@code bytes}: collects when the native memory held would pass the
     * threshold. A request larger than the device's {@code capacity} (0 if unknown) is left to the
     * driver to reject.
     */
    void beforeNative(long bytes, long capacity) {
        if (capacity > 0 && bytes > capacity) {
            return;
        }
        if (nativeLive.get() > 0 && nativeLive.get() + bytes > threshold) {
            synchronized (this) {
                if (nativeLive.get() + bytes > threshold) {
                    collect(nativeLive.get() + bytes - threshold);
                    threshold = Math.max(FLOOR, 2 * nativeLive.get());
                }
            }
        }
    }

    /** Prompts a collection and waits (at most 200 ms) until {@code wanted} bytes were freed or nothing was freed for 50 ms. */
    void collect(long wanted) {
        collections.incrementAndGet();
        long before = nativeLive.get();
        System.gc();
        long deadline = System.nanoTime() + WAIT_NANOS;
        long last = before;
        int quiet = 0;
        while (System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = nativeLive.get();
            if (before - now >= wanted) {
                return;
            }
            quiet = now == last ? quiet + 1 : 0;
            last = now;
            if (quiet >= 50) {
                return; // the cleaner has freed what this collection found
            }
        }
    }

    /**
     * Whether collecting could make room for {@code bytes}: some native memory is held (perhaps by
     * leaks) and the request alone does not exceed the device's {@code capacity} (0 if unknown).
     */
    boolean mayReclaim(long bytes, long capacity) {
        return nativeLive.get() > 0 && (capacity <= 0 || bytes <= capacity);
    }

    void allocated(long bytes, boolean nativeMemory) {
        long now = live.addAndGet(bytes);
        peak.accumulateAndGet(now, Math::max);
        if (nativeMemory) {
            nativeLive.addAndGet(bytes);
        }
    }

    void freed(long bytes, boolean nativeMemory) {
        live.addAndGet(-bytes);
        if (nativeMemory) {
            nativeLive.addAndGet(-bytes);
        }
    }

    long liveBytes() {
        return live.get();
    }

    long peakBytes() {
        return peak.get();
    }

    long collections() {
        return collections.get();
    }
}
