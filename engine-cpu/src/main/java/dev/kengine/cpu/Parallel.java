package dev.kengine.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

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

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
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
     * Runs {@code body} over [0, n) split into at most {@code threads} ranges of at least
     * {@code grain} elements each (range boundaries are multiples of {@code align}, which keeps
     * SIMD loops aligned to whole vectors), and returns when all are done.
     */
    public void forRange(long n, long grain, long align, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int parts = (int) Math.min(threads, Math.max(1, n / Math.max(1, grain)));
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

    private void run(int tasks, java.util.function.LongConsumer body) {
        RecursiveAction[] actions = new RecursiveAction[tasks];
        for (int t = 0; t < tasks; t++) {
            final int id = t;
            actions[t] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.accept(id);
                }
            };
        }
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
            ForkJoinTask.invokeAll(actions);
        } else {
            pool.invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    ForkJoinTask.invokeAll(actions);
                }
            });
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
