package dev.kengine.cpu;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * When each vector kernel may run: only once HotSpot's C2 compiler has compiled it. Until then the Vector API runs
 * in the interpreter or in C1 code, one to two orders of magnitude slower than the scalar kernels (its operations
 * become allocations and loops over lanes), and C2 compiles a kernel only after thousands of calls. So a backend
 * opened with {@code simd} unset runs each kernel's scalar version until the vector version is compiled, and
 * compiles it on one background thread, which starts {@link #START_DELAY_MILLIS} after the first call: the first call
 * of a kernel (per variant and size class, a <em>key</em>) queues a description of the call; once the job has spent
 * about as long in the scalar kernels of the key's method as deciding a key is expected to cost ({@link #due}), the
 * thread builds a {@link Probe} over private arrays of that call's size (capped) and runs its vector and scalar
 * versions in alternating rounds until one of:
 * <ul>
 *   <li>the vector rounds are no slower than the scalar ones twice in a row: the key turns {@link #VECTOR} and
 *       every later call of it runs the vector kernel;</li>
 *   <li>the vector rounds stay slower than the scalar ones while the JIT has finished nothing for
 *       {@link #QUIET_NANOS}, or within 1.5× of them for twice that (for example at a size where the scalar loop,
 *       which C2 also vectorises, wins), or {@link #LIMIT_NANOS} passes (a JVM without C2): the key turns
 *       {@link #SCALAR} and stays on the scalar kernel.</li>
 * </ul>
 * Between rounds, and before each probe, the thread sleeps while C2's threads are at work ({@link
 * Clock#yieldToCompiler}), so that the warm-up and the compiler take one core between them, not two.
 * The state is per JVM, since compiled code is. Results: the two versions agree within the kit's tolerances, and
 * dropout, masks and initialisation are bit-identical in both, but other kernels round differently; a run's bits
 * therefore depend on when each key turned, i.e. on timing. {@code simd=true} (vector kernels from the first call)
 * and {@code simd=false} keep every run bit-reproducible.
 *
 * <p>The thread is a daemon that exists only while probes wait (a key that never becomes due waits for good: the
 * thread then looks at the queue once a second); it allocates only the probes' arrays and never touches a caller's
 * data.
 */
final class Warmup {
    private static final System.Logger LOG = System.getLogger(Warmup.class.getName());

    /** Not seen yet. */
    static final int COLD = 0;
    /** A probe is queued or running. */
    static final int PROBING = 1;
    /** Run the vector kernel. */
    static final int VECTOR = 2;
    /** Run the scalar kernel (the vector one was not faster). */
    static final int SCALAR = 3;

    /** Variants per method and size classes per variant. */
    static final int VARIANTS = 64;
    static final int SIZE_CLASSES = 4;
    /** Methods: the {@link TieredElementwise} kernels and matmul. */
    static final int METHODS = 32;

    /** The longest a probe runs before its key stays scalar. */
    static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Rounds, once the vector kernel is within 1.5× of the scalar one, whose median ratio decides. */
    private static final int COMPARE_ROUNDS = 9;
    /** How long the thread waits, when it starts, before its first probe. */
    static final long START_DELAY_MILLIS = 2000;
    /**
     * The cost of deciding an elementwise key before one of its method was measured: on the 2-vCPU EPYC a probe of an
     * activation, dropout or Adam key took 0.04–0.9 s of the warm-up thread (compiling, then comparing), most of them
     * 0.1–0.5 s. Matmul's probes, 0.1–1.9 s, start from {@code CpuDriver}'s own figure.
     */
    static final long ELEMENTWISE_COST_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How long the JIT must have finished no compilation before a probe may keep a key on its scalar kernel. */
    static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The thread's first and longest wait between looks at the queue while no key is due. */
    private static final long POLL_MIN_MILLIS = 100;
    private static final long POLL_MAX_MILLIS = 1000;

    /** The target length of one round of scalar calls. */
    private static final long ROUND_NANOS = TimeUnit.MICROSECONDS.toNanos(300);

    private static final AtomicIntegerArray STATE = new AtomicIntegerArray(METHODS * VARIANTS * SIZE_CLASSES);
    /**
     * The work each key has done on its scalar kernel since it was queued or decided (elements, or multiply-adds):
     * with the scalar kernel's measured time per unit, the time the job has spent in it, which decides when the key
     * is due ({@link #due}); of the keys due, the thread takes the one with the most time first. Plain adds from any
     * thread: a lost update only delays a key a little.
     */
    private static final long[] WAITING_WORK = new long[METHODS * VARIANTS * SIZE_CLASSES];
    /** Elements (or multiply-adds) on the scalar kernel after which a key kept there is probed again. */
    static final long REPROBE_WORK = 1L << 28;
    /** The most probes one key gets. */
    static final int MAX_PROBES = 3;
    /** Guarded by Warmup.class: probes submitted per key. */
    private static final byte[] PROBES = new byte[METHODS * VARIANTS * SIZE_CLASSES];
    /**
     * Per method, the cost of its last decided probe (the warm-up thread's processor time plus the JIT's compilation
     * time meanwhile, in nanoseconds), or 0 before one: the next
     * key of the method is due when its scalar kernel has run that long. Written and read by the warm-up thread only.
     */
    private static final long[] METHOD_COST = new long[METHODS];
    /** Guarded by Warmup.class: the probes waiting, and whether the thread is running. */
    private static final List<Pending> QUEUE = new ArrayList<>();
    private static boolean running;

    private Warmup() {}

    /**
     * A kernel call's two versions over the probe's own arrays.
     *
     * @param key         the key it decides
     * @param name        for logs, e.g. "adam"
     * @param work        the work of one call of {@code vector} or {@code scalar}, in the unit the key's callers
     *                    count (elements, or multiply-adds for matmul): see {@link #waited}
     * @param vector      one call of the vector kernel at the probe's size
     * @param scalar      the same call of the scalar kernel
     * @param vectorSmall a call of the vector kernel over a few vectors and a tail
     * @param scalarSmall the same call of the scalar kernel
     * @param vectorEmpty a call of the vector kernel too short for one vector (set-up and tail only), or null
     */
    record Probe(int key, String name, long work, Runnable vector, Runnable scalar, Runnable vectorSmall,
                 Runnable scalarSmall, Runnable vectorEmpty) {}

    /**
     * What a caller hands over on a key's first call: the call's description only. The probe (its arrays and the
     * calls over them) is built on the warm-up thread, so that a job's first calls pay for no more than this object.
     */
    interface Request {
        /** The key it decides. */
        int key();

        /** Builds the probe (on the warm-up thread). */
        Probe build();

        /**
         * What deciding the key is expected to cost (compiling its vector kernel and timing both versions), in
         * nanoseconds of the warm-up thread, until a probe of the same method has been measured: the key is probed
         * once its scalar kernel has run about that long (see {@link #due}).
         */
        default long costNanos() {
            return ELEMENTWISE_COST_NANOS;
        }

        /** The method the key belongs to; probes of one method share their measured cost. */
        default int method() {
            return key() / (VARIANTS * SIZE_CLASSES);
        }
    }

    /** The key of a method, its variant and a size (elements of the call, or multiply-adds for matmul). */
    static int key(int method, int variant, long size) {
        int sizeClass = size < 64 ? 0 : size < 4096 ? 1 : size < (1 << 21) ? 2 : 3;
        return (method * VARIANTS + variant) * SIZE_CLASSES + sizeClass;
    }

    /** Whether the key's vector kernel runs. */
    static boolean vector(int key) {
        return STATE.get(key) == VECTOR;
    }

    /** The key's state. */
    static int state(int key) {
        return STATE.get(key);
    }

    /**
     * A queued request, with its probe and its scalar kernel's time per unit of work once the warm-up thread has
     * built and timed it. Touched by the warm-up thread only.
     */
    private static final class Pending {
        final Request request;
        Probe probe;
        /** Nanoseconds per unit of work of the scalar kernel at the probe's size; NaN until timed. */
        double scalarNanosPerWork = Double.NaN;

        Pending(Request request) {
            this.request = request;
        }
    }

    /**
     * Whether the keys of a method are due for their probes: "rent before buying". Deciding a key costs the warm-up
     * thread and the JIT (whose one C2 thread the job's own methods queue behind) about {@code costNanos}, most of it
     * compiling the method's vector kernel, which every key of the method then shares; running the scalar kernels
     * instead costs the job at most their time. So a method's keys are probed only once the job has spent about as
     * long in their scalar kernels ({@code spentNanos}: the work counted by {@link #waited} at each scalar kernel's
     * time per unit, measured on its probe) as a probe is expected to cost: a job that ends sooner never pays for a
     * compilation it could not earn back, and one that goes on pays at most about twice what the best choice in
     * hindsight would have. Kernels a job calls rarely (the weights' initialisation, a loss evaluated once an epoch)
     * are then never compiled.
     */
    static boolean due(double spentNanos, long costNanos) {
        return spentNanos >= costNanos;
    }

    /** Whether the caller should submit a probe for this key: true exactly once per key. */
    static boolean claim(int key) {
        return STATE.get(key) == COLD && STATE.compareAndSet(key, COLD, PROBING);
    }

    /**
     * Counts work a key did on its scalar kernel (see {@link #WAITING_WORK}). A key kept on the scalar kernel is
     * probed again after {@link #REPROBE_WORK} more work, up to {@link #MAX_PROBES} probes in all, so that one
     * decision taken while the machine was busy does not hold for the rest of a long job.
     */
    static void waited(int key, long work) {
        long w = WAITING_WORK[key] += work;
        if (w > REPROBE_WORK && STATE.get(key) == SCALAR && PROBES[key] < MAX_PROBES) {
            WAITING_WORK[key] = 0;
            STATE.compareAndSet(key, SCALAR, COLD);
        }
    }

    /** The open {@code simd=auto} backends: with none left, the thread drops its queue and ends. */
    private static final java.util.concurrent.atomic.AtomicInteger BACKENDS = new java.util.concurrent.atomic.AtomicInteger();

    static void backendOpened() {
        BACKENDS.incrementAndGet();
    }

    static void backendClosed() {
        BACKENDS.decrementAndGet();
    }

    /** Whether the warm-up thread is running (for tests). */
    static synchronized boolean running() {
        return running;
    }

    /** Queues a probe claimed with {@link #claim} and starts the thread if it is not running. */
    static void submit(Request request) {
        synchronized (Warmup.class) {
            Pending pending;
            try {
                pending = new Pending(request);
                QUEUE.add(pending);
            } catch (RuntimeException | Error e) {
                // Out of memory for the entry, say: the key goes back to its scalar kernel, to be probed again later,
                // instead of staying claimed with no probe queued.
                STATE.set(request.key(), SCALAR);
                throw e;
            }
            PROBES[request.key()]++;
            if (!running) {
                try {
                    Thread t = new Thread(Warmup::drain, "kengine-cpu-warmup");
                    t.setDaemon(true);
                    t.setPriority(Thread.MIN_PRIORITY);
                    t.start();
                    running = true;
                } catch (RuntimeException | Error e) {
                    // No thread (out of memory for its stack, say): the key runs its scalar kernel, as a key the warm-up
                    // kept there, and is probed again after REPROBE_WORK; the op that asked is not failed for it.
                    QUEUE.remove(pending);
                    STATE.set(request.key(), SCALAR);
                    LOG.log(Level.DEBUG, "kengine cpu: the warm-up thread could not start ({0}); scalar kernels meanwhile", e);
                }
            }
        }
    }

    /**
     * The warm-up thread's body. Should anything escape its loop (an Error outside a probe), the thread ends with the
     * state consistent: not running, and every queued key on its scalar kernel until it is probed again, instead of a
     * thread marked running that no longer exists and keys waiting for it for good.
     */
    private static void drain() {
        boolean ended = false;
        try {
            drainQueue();
            ended = true;
        } finally {
            if (!ended) {
                synchronized (Warmup.class) {
                    for (Pending p : QUEUE) {
                        STATE.set(p.request.key(), SCALAR);
                    }
                    QUEUE.clear();
                    running = false;
                }
            }
        }
    }

    private static void drainQueue() {
        // Rent before buying, for the whole job: compiling a job's vector kernels costs one to a few seconds of a
        // core, and while it runs it slows the job (C2 is one compiler thread here, and the job's own methods queue
        // behind the kernels). A job that ends within the wait runs exactly as on the scalar path. Meanwhile the
        // kernels of its first steps queue up; after it, each is probed once it is due (see due()).
        sleep(START_DELAY_MILLIS);
        PacedClock clock = new PacedClock();
        long poll = POLL_MIN_MILLIS;
        while (true) {
            List<Pending> queued;
            synchronized (Warmup.class) {
                if (BACKENDS.get() <= 0) {
                    // Every backend that asked is closed: nothing would run what a probe decides, and a thread polling
                    // for the life of the JVM would keep the engine's classes loaded after an application unloads it.
                    // The queued keys start over if a backend asks for them again.
                    for (Pending p : QUEUE) {
                        STATE.compareAndSet(p.request.key(), PROBING, COLD);
                    }
                    QUEUE.clear();
                }
                if (QUEUE.isEmpty()) {
                    running = false;
                    return;
                }
                queued = new ArrayList<>(QUEUE);
            }
            double[] methodSpent = new double[METHODS];
            for (Pending p : queued) {
                if (Double.isNaN(p.scalarNanosPerWork) && !time(p)) {
                    finish(p, SCALAR);
                    continue;
                }
                methodSpent[p.request.method()] += spent(p);
            }
            Pending next = null;
            for (Pending p : queued) {
                if (!Double.isNaN(p.scalarNanosPerWork) && due(methodSpent[p.request.method()], cost(p))
                        && (next == null || spent(p) > spent(next))) {
                    next = p;
                }
            }
            if (next == null) {
                // Nothing due: look again later, less often while nothing is.
                sleep(poll);
                poll = Math.min(2 * poll, POLL_MAX_MILLIS);
                continue;
            }
            poll = POLL_MIN_MILLIS;
            clock.yieldToCompiler();
            long cpu = clock.cpuNanos();
            long jit = clock.compilerMillis();
            int decided;
            try {
                decided = decide(next.probe, clock);
            } catch (RuntimeException | Error e) {
                decided = SCALAR;
                LOG.log(Level.DEBUG, "kengine cpu: warm-up probe for {0} failed ({1}); it keeps the scalar kernel",
                        next.probe.name(), e);
            }
            // What the probe cost the machine: this thread's processor time and the JIT's compilation time meanwhile
            // (C2's work is what the job feels most: it queues behind it), not the time it slept waiting.
            METHOD_COST[next.request.method()] = Math.max(1,
                    clock.cpuNanos() - cpu + TimeUnit.MILLISECONDS.toNanos(clock.compilerMillis() - jit));
            finish(next, decided);
        }
    }

    /** The time the job has spent in p's scalar kernel since it was queued (estimated). */
    private static double spent(Pending p) {
        return WAITING_WORK[p.request.key()] * p.scalarNanosPerWork;
    }

    /** The cost expected of deciding p's key: its method's last probe's, or the request's own estimate. */
    private static long cost(Pending p) {
        long measured = METHOD_COST[p.request.method()];
        return measured > 0 ? measured : p.request.costNanos();
    }

    /**
     * Builds p's probe and times its scalar call at the probe's size (the fastest of three, after one call):
     * false when building or calling it failed.
     */
    private static boolean time(Pending p) {
        try {
            p.probe = p.request.build();
            Runnable scalar = p.probe.scalar();
            scalar.run();
            long best = Long.MAX_VALUE;
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                scalar.run();
                best = Math.min(best, System.nanoTime() - t0);
            }
            p.scalarNanosPerWork = (double) best / Math.max(1, p.probe.work());
            return true;
        } catch (RuntimeException | Error e) {
            LOG.log(Level.DEBUG, "kengine cpu: warm-up probe for {0} failed ({1}); it keeps the scalar kernel",
                    p.probe == null ? p.request : p.probe.name(), e);
            return false;
        }
    }

    /** Takes p off the queue with its key decided; the key's work on the scalar kernel counts again from here. */
    private static void finish(Pending p, int decided) {
        synchronized (Warmup.class) {
            QUEUE.remove(p);
        }
        WAITING_WORK[p.request.key()] = 0;
        STATE.set(p.request.key(), decided);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // The warm-up thread is the engine's own and has nothing to stop early for: an interrupt from outside (a
            // container stopping every thread) is dropped. Re-asserting it made every later sleep return at once, and
            // the thread spun on a core while a key waited.
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** The thread's clock and its pace, replaceable in tests. */
    interface Clock {
        long nanoTime();

        /**
         * The JIT's total compilation time so far in milliseconds ({@code CompilationMXBean}), or a constant where the
         * JVM does not report it: only its changes are used, to tell whether the compiler is at work.
         */
        default long compilerMillis() {
            return 0;
        }

        /** The processor time of the calling thread in nanoseconds, or the clock's time where the JVM does not say. */
        default long cpuNanos() {
            return nanoTime();
        }

        /** Called after each round of {@code roundNanos} of work; may sleep to leave the CPU to others. */
        default void rest(long roundNanos) {}

        /**
         * Called after each round and before each probe: sleeps while the JIT's optimising compiler is at work (at
         * most {@link #YIELD_MAX_NANOS}), so that the warm-up and C2 never take two cores at once.
         */
        default void yieldToCompiler() {}

        /**
         * Called after a round whose vector calls were still far slower than the scalar ones at the probe's full
         * size: C2 has the kernel's full-size path queued or is compiling it, and more calls now would only run the
         * slow code again, taking the core from the compiler and the job. Sleeps about as long as the round's vector
         * calls took.
         */
        default void awaitCompiler(long vectorNanos) {}
    }

    /**
     * Whether other processes leave this one less than one and a half cores: {@code systemLoad} and
     * {@code processLoad} are the machine's and this process's CPU use in [0, 1] over the same span.
     */
    static boolean busy(double systemLoad, double processLoad, int cores) {
        return (systemLoad - processLoad) * cores > cores - 1.5;
    }

    /** The longest one {@link Clock#yieldToCompiler} waits: a JIT busy for longer still lets a round through. */
    static final long YIELD_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** How often {@link Clock#yieldToCompiler} looks at the compiler threads. */
    private static final long YIELD_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /**
     * Whether the compiler ran for most of a span: C2's threads' run time over it against its length. A compiler
     * thread that ran for at least a fifth of the span counts as at work (a poll of 5 ms sees whole compilations of
     * the job's small methods, which take a millisecond or two, as well as a kernel's, which take hundreds).
     */
    static boolean compilerWorking(long compilerRunNanos, long spanNanos) {
        return compilerRunNanos * 5 >= spanNanos;
    }

    /**
     * The C2 compiler threads' run time, read from Linux's per-thread scheduler statistics
     * ({@code /proc/self/task/TID/schedstat}, whose first field is the nanoseconds the thread has run): HotSpot's
     * compiler threads are hidden from {@code ThreadMXBean}, and {@code CompilationMXBean}'s total only moves when a
     * compilation ends. Where there is no such file (another OS, a JVM without C2), {@link #open} returns null.
     */
    static final class CompilerThreads {
        private static final java.nio.file.Path TASKS = java.nio.file.Path.of("/proc/self/task");
        private static final long RESCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
        private List<java.nio.file.Path> threads = List.of();
        private long scanned;

        private CompilerThreads() {}

        /** The reader, or null where this JVM's compiler threads cannot be found. */
        static CompilerThreads open() {
            CompilerThreads c = new CompilerThreads();
            return c.scan() && c.runNanos() >= 0 ? c : null;
        }

        /** Finds the C2 threads (HotSpot names them "C2 CompilerThreadN"; Linux keeps 15 characters of a name). */
        private boolean scan() {
            List<java.nio.file.Path> found = new ArrayList<>();
            try (var tasks = java.nio.file.Files.newDirectoryStream(TASKS)) {
                for (java.nio.file.Path t : tasks) {
                    try {
                        if (java.nio.file.Files.readString(t.resolve("comm")).startsWith("C2 CompilerThre")) {
                            found.add(t.resolve("schedstat"));
                        }
                    } catch (java.io.IOException | RuntimeException e) {
                        // The thread ended while we looked.
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                return false;
            }
            threads = found;
            scanned = System.nanoTime();
            return !found.isEmpty();
        }

        /** The C2 threads' total run time in nanoseconds, or -1 when it cannot be read. */
        long runNanos() {
            if (System.nanoTime() - scanned > RESCAN_NANOS) {
                scan(); // HotSpot starts and stops compiler threads as its queue grows and shrinks
            }
            long sum = 0;
            for (java.nio.file.Path stat : threads) {
                try {
                    String line = java.nio.file.Files.readString(stat);
                    int end = line.indexOf(' ');
                    sum += Long.parseLong(end < 0 ? line.trim() : line.substring(0, end));
                } catch (java.io.IOException | RuntimeException e) {
                    // A thread that stopped: its time no longer grows, which is what matters here.
                }
            }
            return threads.isEmpty() ? -1 : sum;
        }
    }

    /**
     * The real clock, which keeps the warm-up from taking other processes' share of the machine: after each round
     * it reads the CPU use of the machine and of this process since the last round
     * ({@code OperatingSystemMXBean.getCpuLoad} and {@code getProcessCpuLoad}), and when other processes leave this
     * one less than one and a half cores (the job's and the warm-up's), it sleeps nine times the round, so that the
     * warm-up takes at most a tenth of a core from them. The job itself is not a reason to rest: its contention
     * with the warm-up (a shared JIT queue, often a hyper-thread sibling) lasts as long as the warm-up's work
     * whatever its pace, so the work is best done at once.
     */
    static final class PacedClock implements Clock {
        private final com.sun.management.OperatingSystemMXBean os;
        private final java.lang.management.CompilationMXBean jit;
        private final java.lang.management.ThreadMXBean threads;
        private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
        private final int cores = Runtime.getRuntime().availableProcessors();
        private final CompilerThreads compiler = CompilerThreads.open();
        private long sampled = System.nanoTime();
        private boolean busy;

        PacedClock() {
            os = bean(() -> java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean b ? b : null, b -> {
                        b.getCpuLoad();
                        b.getProcessCpuLoad();
                        return true;
                    });
            jit = bean(java.lang.management.ManagementFactory::getCompilationMXBean,
                    java.lang.management.CompilationMXBean::isCompilationTimeMonitoringSupported);
            threads = bean(java.lang.management.ManagementFactory::getThreadMXBean,
                    java.lang.management.ThreadMXBean::isCurrentThreadCpuTimeSupported);
        }

        /** A management bean, or null where the JVM has none, it throws, or it cannot give what is asked of it. */
        private static <T> T bean(java.util.function.Supplier<T> get, java.util.function.Predicate<T> usable) {
            try {
                T b = get.get();
                return b != null && usable.test(b) ? b : null;
            } catch (RuntimeException | LinkageError e) {
                return null;
            }
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long compilerMillis() {
            return jit == null ? 0 : jit.getTotalCompilationTime();
        }

        @Override
        public long cpuNanos() {
            long t = threads == null ? -1 : threads.getCurrentThreadCpuTime();
            return t >= 0 ? t : System.nanoTime();
        }

        @Override
        public void awaitCompiler(long vectorNanos) {
            try {
                Thread.sleep(Math.max(1, Math.min(50, vectorNanos / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * The warm-up's round and C2's compilation would otherwise take two cores at once: on two cores with a
         * one-thread job, that left the job two thirds of a core while the warm-up worked (the digits job's main
         * thread ran for the same processor time, 4.0 s, with and without the warm-up, and finished 0.7 s later with
         * it), where one of the two fits in the core the job leaves idle.
         */
        @Override
        public void yieldToCompiler() {
            if (compiler == null) {
                return;
            }
            long start = System.nanoTime();
            long run = compiler.runNanos();
            long at = start;
            while (at - start < YIELD_MAX_NANOS) {
                try {
                    Thread.sleep(YIELD_POLL_NANOS / 1_000_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long now = System.nanoTime();
                long r = compiler.runNanos();
                if (r < 0 || !compilerWorking(r - run, now - at)) {
                    return;
                }
                run = r;
                at = now;
            }
        }

        @Override
        public void rest(long roundNanos) {
            if (os == null) {
                return;
            }
            long now = System.nanoTime();
            // The loads come from the kernel's tick counts (100 a second): over less than a fifth of a second they
            // mean little, so the verdict is renewed at most that often.
            if (now - sampled >= SAMPLE_NANOS) {
                double system = os.getCpuLoad();
                double process = os.getProcessCpuLoad();
                busy = system >= 0 && process >= 0 && Warmup.busy(system, process, cores);
                sampled = now;
            }
            if (busy) {
                try {
                    Thread.sleep(Math.max(1, 9 * roundNanos / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * Decides a probe in two phases. First the JIT is brought to compile the vector kernel as cheaply as possible:
     * mostly calls too short for one vector (they raise its invocation counter for the cost of the set-up), with a
     * few calls over two vectors and a tail among them so that the loop's profile is not empty, until a short call of
     * the vector kernel costs at most twice the scalar one (compiled: before, it costs ten to a hundred times more).
     * Then both versions run in alternating rounds at the probe's size until the vector one is no slower twice in a
     * row ({@link #VECTOR}), or nine rounds within 1.5× of the scalar one decide by their median ratio (for the scalar
     * kernel only once the JIT has finished no compilation for {@link #QUIET_NANOS}: the digits job's 32 × 128 × 64
     * product read 1.3× the scalar one while C2 recompiled it, and is 0.06× once compiled), or the limit passes
     * ({@link #SCALAR}).
     */
    static int decide(Probe probe, Clock clock) {
        // Time spent working, not resting (see Clock.rest): the limits count only that.
        long worked = 0;
        while (true) {
            long round = clock.nanoTime();
            if (probe.vectorEmpty() != null) {
                for (int r = 0; r < 64; r++) {
                    probe.vectorEmpty().run();
                }
            }
            for (int r = 0; r < 8; r++) {
                probe.vectorSmall().run();
            }
            long t0 = clock.nanoTime();
            for (int r = 0; r < 8; r++) {
                probe.vectorSmall().run();
            }
            long t1 = clock.nanoTime();
            for (int r = 0; r < 8; r++) {
                probe.scalarSmall().run();
            }
            long t2 = clock.nanoTime();
            worked += t2 - round;
            if (t1 - t0 <= 2 * (t2 - t1)) {
                break;
            }
            if (worked > LIMIT_NANOS) {
                LOG.log(Level.DEBUG, "kengine cpu: {0}: scalar kernel kept (the vector one was not compiled in {1} s)",
                        probe.name(), LIMIT_NANOS / 1_000_000_000L);
                return SCALAR;
            }
            clock.rest(t2 - round);
            clock.yieldToCompiler();
        }
        long compiled = worked;
        int reps = 1;
        int wins = 0;
        int rounds = 0;
        double[] ratios = new double[COMPARE_ROUNDS];
        long lastCompiling = clock.compilerMillis();
        long quietSince = clock.nanoTime();
        long settledSince = -1;
        while (true) {
            long t0 = clock.nanoTime();
            for (int r = 0; r < reps; r++) {
                probe.vector().run();
            }
            long t1 = clock.nanoTime();
            for (int r = 0; r < reps; r++) {
                probe.scalar().run();
            }
            long t2 = clock.nanoTime();
            worked += t2 - t0;
            long vector = t1 - t0;
            long scalar = Math.max(1, t2 - t1);
            wins = vector <= scalar ? wins + 1 : 0;
            if (wins >= 2) {
                LOG.log(Level.DEBUG, "kengine cpu: {0}: vector kernel from now on ({1} ms to compile, {2} ms to compare)",
                        probe.name(), compiled / 1_000_000, (worked - compiled) / 1_000_000);
                return VECTOR;
            }
            // Once the vector kernel is within reach of the scalar one (compiled), a few rounds settle it by their
            // median; before that (C2 still compiling a big kernel's full-size path) only the limit ends the wait.
            // Whether the JIT has finished a compilation lately: while it compiles, the vector kernel may still be
            // getting faster (C2 compiles a big kernel's full-size path, or recompiles it after a shape its first
            // profile had not seen, while the calls run interpreted), so a verdict against it waits until the JIT has
            // finished nothing for QUIET_NANOS (its total time only grows when a compilation ends, and one compilation
            // of a big kernel takes hundreds of milliseconds).
            long compiling = clock.compilerMillis();
            if (compiling != lastCompiling) {
                lastCompiling = compiling;
                quietSince = t2;
            }
            boolean quiet = t2 - quietSince >= QUIET_NANOS;
            if (2 * vector <= 3 * scalar) {
                ratios[rounds++ % COMPARE_ROUNDS] = (double) vector / scalar;
                if (rounds >= COMPARE_ROUNDS) {
                    if (settledSince < 0) {
                        settledSince = t2;
                    }
                    double median = median(ratios);
                    boolean faster = median <= 1.0;
                    // A JIT that keeps finishing compilations (the job's own methods, for seconds after a warm-up
                    // starts) must not hold the thread and the keys queued behind it: once the ratios have stayed
                    // within 1.5x for twice the quiet time, their median decides.
                    boolean settled = t2 - settledSince >= 2 * QUIET_NANOS;
                    if (faster || quiet || settled || worked > LIMIT_NANOS) {
                        LOG.log(Level.DEBUG, "kengine cpu: {0}: {1} kernel from now on (vector/scalar {2}; {3} ms to compile, {4} ms to compare)",
                                probe.name(), faster ? "vector" : "scalar", median,
                                compiled / 1_000_000, (worked - compiled) / 1_000_000);
                        return faster ? VECTOR : SCALAR;
                    }
                }
            }
            if (worked > LIMIT_NANOS) {
                LOG.log(Level.DEBUG, "kengine cpu: {0}: scalar kernel kept (vector {1} ns, scalar {2} ns per call)",
                        probe.name(), vector / reps, scalar / reps);
                return SCALAR;
            }
            clock.rest(t2 - t0);
            clock.yieldToCompiler();
            if (2 * vector > 3 * scalar || (vector > scalar && !quiet)) {
                // Waiting for the compiler counts toward the limit: a kernel that never gets compiled must not hold
                // the thread (and the probes queued behind it) longer than one that is called throughout.
                long waitStart = clock.nanoTime();
                clock.awaitCompiler(vector);
                worked += clock.nanoTime() - waitStart;
            }
            // Rounds of about ROUND_NANOS of scalar calls, so that both sides are timed over many calls.
            long scalarPerCall = Math.max(1, scalar / reps);
            reps = (int) Math.max(1, Math.min(10_000, ROUND_NANOS / scalarPerCall));
        }
    }
}
