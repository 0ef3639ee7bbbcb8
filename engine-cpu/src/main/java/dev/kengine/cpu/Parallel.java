package dev.kengine.cpu;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's worker threads. Work is split into contiguous ranges, one or a few per thread;
 * a range too small to be worth a hand-off runs on the calling thread, so small ops pay no
 * scheduling cost. The calling thread works too, and threads − 1 workers help it.
 *
 * <p>A worker that has just finished its share waits for the next one by spinning for {@link #SPIN_NANOS} before it
 * parks: waking a parked thread took 20–60 µs on the 2-vCPU EPYC, which made two threads slower than one on an op of
 * 70 µs (two 36 µs tasks: 76–100 µs on two threads against 73 on one, through a {@code ForkJoinPool}), and a training
 * step runs a dozen such hand-offs back to back. The spin is bounded, so an idle backend parks its workers within
 * that time.
 *
 * <p>One call at a time uses the workers: a call made while another runs (from another thread, or from inside a task)
 * runs all of its tasks on its own thread. The workers are daemons and end with {@link #close()}.
 */
public final class Parallel implements AutoCloseable {

    /** A body over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(long start, long end);
    }

    /** Ranges per thread for a large forRange, so the threads balance each other at the end. */
    static final int OVERSPLIT = 4;

    /** How long a worker, and a caller waiting for its workers, spins before parking. */
    static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final int threads;
    private final Worker[] workers;
    /** Held by the call that is using the workers. */
    private final AtomicBoolean inUse = new AtomicBoolean();
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        // The calling thread is one of the threads, so the pool holds the others.
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i]::loop, "kengine-cpu-" + i);
            t.setDaemon(true);
            workers[i].thread = t;
            try {
                t.start();
            } catch (OutOfMemoryError | RuntimeException e) {
                // The system refused a thread ("unable to create native thread"): stop the ones started, which
                // nothing else would ever close, and report it as the open's failure.
                closed = true;
                for (int j = 0; j < i; j++) {
                    LockSupport.unpark(workers[j].thread);
                }
                throw new IllegalStateException("could start only " + (i + 1) + " of " + threads + " threads (the "
                        + "calling thread and " + i + " workers): " + e, e);
            }
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over [0, n) split into at most {@code threads}·{@value #OVERSPLIT} ranges of at least
     * {@code grain} elements each, or one range per thread of at least grain / {@value #OVERSPLIT} elements where
     * that gives more (range boundaries are multiples of {@code align}, which keeps SIMD loops aligned to whole
     * vectors), and returns when all are done.
     */
    public void forRange(long n, long grain, long align, RangeBody body) {
        if (n <= 0) {
            return;
        }
        // Up to OVERSPLIT ranges per thread (each still >= grain), claimed dynamically from one counter: with one
        // range per thread the two halves finished up to 40% apart (a late or busier worker), and silu/gelu_tanh
        // forward at 2 threads ran slower than at 1 in ./engine compare (see ELEMENTWISE-NOTES.md, 2026-11-22).
        // Below that, one range per thread down to a quarter of the grain: with the workers spinning between calls
        // a hand-off costs about a microsecond, and a sigmoid over 32K floats went from 8.1 to 4.5 µs on two threads.
        long fine = Math.min((long) threads * OVERSPLIT, n / Math.max(1, grain));
        long coarse = Math.min(threads, n / Math.max(1, grain / OVERSPLIT));
        int parts = (int) Math.max(1, Math.max(fine, coarse));
        if (parts <= 1 || threads == 1) {
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
        if (tasks == 1 || threads == 1) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        run(tasks, t -> body.accept((int) t));
    }

    /**
     * The calling thread takes part: it and up to threads − 1 workers claim task indices from one counter until none
     * are left. The caller starts on its share at once, so handing the job to a parked worker overlaps with useful
     * work instead of preceding it, and uneven tasks balance themselves.
     */
    private void run(int tasks, java.util.function.LongConsumer body) {
        if (closed || !inUse.compareAndSet(false, true)) {
            // Another call has the workers (or this is a task of one, or the pool is closed): run here.
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        try {
            Job job = new Job(tasks, body, Thread.currentThread());
            int helpers = Math.min(workers.length, tasks - 1);
            job.pending.set(helpers);
            for (int h = 0; h < helpers; h++) {
                workers[h].hand(job);
            }
            try {
                job.share();
            } finally {
                // Whatever share() let out, the workers finish before the call returns: they may still be writing
                // into the caller's arrays, which the caller reuses or frees next. A worker that has not taken its
                // hand-off yet (still waking) is not waited for: the tasks are all claimed, so it is taken back.
                job.next.set(tasks);
                for (int h = 0; h < helpers; h++) {
                    if (workers[h].revoke(job)) {
                        job.pending.decrementAndGet();
                    }
                }
                job.awaitHelpers();
            }
            Throwable failure = job.failure.get();
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException("a parallel task failed: " + failure, failure);
            }
        } finally {
            inUse.set(false);
        }
    }

    /** One call's tasks, claimed from a counter by the caller and the workers it was handed to. */
    private static final class Job {
        final int tasks;
        final java.util.function.LongConsumer body;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        /** Workers handed this job that have not finished their share. */
        final AtomicInteger pending = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean callerParked;

        Job(int tasks, java.util.function.LongConsumer body, Thread caller) {
            this.tasks = tasks;
            this.body = body;
            this.caller = caller;
        }

        /** Claims and runs tasks until none are left; the first failure stops the claiming and is kept. */
        void share() {
            try {
                for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                    body.accept(t);
                }
            } catch (Throwable e) { // also a checked exception a body throws sneakily: it must reach the caller
                // Nothing here may throw: a failure that left share() would kill a worker (its caller then waiting
                // for it forever) or skip the caller's wait for its workers. No task is claimed after a failure.
                next.set(tasks);
                if (!failure.compareAndSet(null, e)) {
                    Throwable first = failure.get();
                    if (first != e) { // the JVM may throw one object twice: its preallocated OutOfMemoryError, say
                        try {
                            first.addSuppressed(e);
                        } catch (RuntimeException | Error ignored) {
                            // Out of memory for the suppressed list: the first failure is what the caller sees.
                        }
                    }
                }
            }
        }

        /** A worker's share is done. */
        void helperDone() {
            if (pending.decrementAndGet() == 0 && callerParked) {
                LockSupport.unpark(caller);
            }
        }

        /**
         * The caller waits for the workers' shares: spinning, then parked until the last one unparks it. An interrupt
         * does not end the wait (the shares write the caller's output); it is cleared while parked, where it would
         * make every park return at once, and set again after.
         */
        void awaitHelpers() {
            long start = System.nanoTime();
            boolean interrupted = false;
            while (pending.get() > 0) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                callerParked = true;
                if (pending.get() > 0) {
                    LockSupport.parkNanos(this, SPIN_NANOS);
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A worker thread: runs the jobs it is handed, spinning for {@link #SPIN_NANOS} after each before it parks. */
    private final class Worker {
        Thread thread;
        /** The job handed over and not yet taken: the worker takes it, or the caller takes it back, never both. */
        private final AtomicReference<Job> slot = new AtomicReference<>();
        private volatile boolean parked;

        /** Gives this worker a job (the caller holds {@code inUse}, so the worker is idle or about to be). */
        void hand(Job j) {
            slot.set(j);
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        /** Takes back a job this worker has not taken; true if it had not. */
        boolean revoke(Job j) {
            return slot.compareAndSet(j, null);
        }

        void loop() {
            long idleSince = System.nanoTime();
            while (!closed) {
                Job j = slot.get();
                if (j != null) {
                    if (slot.compareAndSet(j, null)) {
                        try {
                            j.share();
                        } finally {
                            j.helperDone();
                        }
                    }
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    // hand() writes the slot, then reads parked; this writes parked, then reads the slot: one of the
                    // two sees the other's write, so a job is never left waiting for a parked worker.
                    if (slot.get() == null && !closed) {
                        LockSupport.park(this);
                    }
                    // An interrupt from outside means nothing to a worker (close sets closed and unparks it); left set,
                    // every later park would return at once and the idle worker would spin on its core for good.
                    Thread.interrupted();
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /** This pool's worker threads (for tests). */
    java.util.List<Thread> workerThreads() {
        java.util.List<Thread> ts = new java.util.ArrayList<>();
        for (Worker w : workers) {
            ts.add(w.thread);
        }
        return ts;
    }

    /** Whether any of this pool's worker threads is still alive (for tests of {@link #close}). */
    boolean workersAlive() {
        for (Worker w : workers) {
            if (w.thread.isAlive()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }
}
