package dev.kengine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The CPU backend's worker threads. Work is split into contiguous ranges, one or a few per thread;
 * a range too small to be worth a hand-off runs on the calling thread, so small ops pay no
 * scheduling cost. The pool's threads are daemons and end with {@link #close()}.
 */
public final class Parallel implements AutoCloseable {

    /** A body over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(long start, long end);
    }

    /** Ranges per thread for a large forRange, so the threads balance each other at the end. */
    static final int OVERSPLIT = 4;

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        // The calling thread is one of the threads, so the pool holds the others.
        this.pool = threads == 1 ? null : new ForkJoinPool(threads - 1, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setDaemon(true);
            t.setName("kengine-cpu-" + t.getPoolIndex());
            return t;
        }, null, false);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@code threads}·{@value #OVERSPLIT} ranges of at least
     * {@code grain} elements each (range boundaries are multiples of {@code align}, which keeps
     * SIMD loops aligned to whole vectors), and returns when all are done.
     */
    public void forRange(long n, long grain, long align, RangeBody body) {
        if (n <= 0) {
            return;
        }
        // Up to OVERSPLIT ranges per thread (each still >= grain), claimed dynamically from one counter: with one
        // range per thread the two halves finished up to 40% apart (a late or busier worker), and silu/gelu_tanh
        // forward at 2 threads ran slower than at 1 in ./engine compare (see ELEMENTWISE-NOTES.md, 2026-11-22).
        int parts = (int) Math.min((long) threads * OVERSPLIT, Math.max(1, n / Math.max(1, grain)));
        if (parts <= 1 || pool == null) {
            body.run(0, n);
            return;
        }
        long chunk = (n + parts - 1) / parts;
        if (align > 1) {
            chunk = (chunk + align - 1) / align * align;
        }
        final long step = chunk;
        int count = (int) ((n + step - 1) / step);
        if (count <= 1) {
            body.run(0, n);
            return;
        }
        run(count, t -> body.run(t * step, Math.min(n, (t + 1) * step)));
    }

    /** Runs {@code body.accept(t)} for every t in [0, tasks) across the threads, returning when all are done. */
    public void forEach(int tasks, java.util.function.IntConsumer body) {
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || pool == null) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        run(tasks, t -> body.accept((int) t));
    }

    /**
     * The calling thread takes part: it and up to threads − 1 pool workers claim task indices from
     * one counter until none are left. The caller starts on its share at once, so waking a parked
     * worker overlaps with useful work instead of preceding it, and uneven tasks balance themselves.
     */
    private void run(int tasks, java.util.function.LongConsumer body) {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable share = () -> {
            for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                body.accept(t);
            }
        };
        int helpers = Math.min(threads - 1, tasks - 1);
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) {
            forked[h] = pool.submit(share);
        }
        Throwable failure = null;
        try {
            share.run();
        } catch (RuntimeException | Error e) {
            failure = e;
            next.set(tasks);
        }
        for (ForkJoinTask<?> f : forked) {
            try {
                f.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
