package dev.kengine.conformance;

import dev.kengine.Backend;
import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.EngineException;
import dev.kengine.InvalidArgumentException;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.conformance.oracle.ActivationOracle;
import dev.kengine.conformance.oracle.LinalgOracle;
import dev.kengine.conformance.oracle.LossOracle;
import dev.kengine.conformance.oracle.OptimizerOracle;
import dev.kengine.conformance.oracle.ReductionOracle;
import dev.kengine.conformance.oracle.SoftmaxOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Init;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Calls every public op of a backend with random arguments, as a hostile caller would, and checks
 * the engine's contract on each call:
 * <ul>
 *   <li>only exceptions of the documented family ({@link EngineException}) leave a call: any other
 *       type, a JVM error, or a call that runs past {@link #HANG_MILLIS} is a failure;</li>
 *   <li>a rejected call leaves no tensor behind ({@link Backend#liveTensors()} unchanged);</li>
 *   <li>a valid call on clean inputs agrees with the float64 oracle within the kit's tolerances;</li>
 *   <li>after every case the backend still computes a known result.</li>
 * </ul>
 * Shapes are random (rank 0–4, and 5 to be rejected; dimensions 0, 1, odd, and huge leading
 * dimensions of empty tensors), parameters random (negative, NaN, ±∞, huge), and about a third of
 * the cases inject one fault: a null, a closed tensor, a tensor of another backend instance, a
 * wrong shape, a wrong dtype, a bad parameter, a segment (or a buffer viewing one) whose arena is closed or confined to another
 * thread, a read-only buffer, a tensor closed by another thread, a scope used after close or from
 * another thread. The dtype surface has cases of its own: every dtype through every upload and
 * download, casts between every pair (bit for bit against {@link Conversions}), the finite test and
 * unscale of loss scaling, half-precision arithmetic and activations, mixed-precision optimiser steps
 * with their half copy, INT32 labels, argmax into INT32 and UINT8 dropout masks. Every case derives
 * from (seed, case index), so a failure names the seed that replays it.
 */
public final class Fuzzer {
    /** A call running longer than this is reported as a hang. */
    public static final long HANG_MILLIS = 30_000;
    private static final int MAX_ELEMENTS = 3000;
    private static final long[] DIMS = {0, 1, 1, 2, 3, 3, 4, 5, 7, 8, 16, 17, 31};

    /**
     * What a run found.
     *
     * @param backend the backend's name
     * @param seed the run's seed
     * @param cases cases run
     * @param succeeded calls that completed
     * @param rejected calls rejected with an exception of the family
     * @param checked completed calls whose results were compared with the oracle
     * @param faults cases that injected a fault
     * @param exceptionTypes how often each exception type left a call
     * @param failures what broke the contract, each with the case that replays it
     * @param outcomes per case in order, "ok" or the simple name of the exception that rejected it: the same seed on
     *     two backends should give the same list (but for running out of memory, which depends on the device)
     */
    public record Report(String backend, long seed, long cases, long succeeded, long rejected, long checked, long faults,
                         Map<String, Long> exceptionTypes, List<String> failures, List<String> outcomes) {
        /**
         * No crash, hang, undocumented exception, leak or wrong answer.
         *
         * @return true when {@link #failures()} is empty
         */
        public boolean clean() {
            return failures.isEmpty();
        }

        /**
         * One paragraph for a log or a report.
         *
         * @return the counts, the exception types and the first 20 failures, one a line
         */
        public String summary() {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "fuzz %s seed %d: %d cases (%d with an injected fault): %d completed (%d checked against the oracle), "
                            + "%d rejected %s; %d failures",
                    backend, seed, cases, faults, succeeded, checked, rejected, exceptionTypes, failures.size()));
            for (String f : failures.subList(0, Math.min(20, failures.size()))) {
                sb.append("\n  ").append(f);
            }
            return sb.toString();
        }
    }

    private final Supplier<Backend> opener;
    private final long seed;
    private java.util.function.UnaryOperator<Tolerance> tolerance = t -> t;

    /**
     * Applies a backend's widened tolerances (as {@link BackendConformanceKit#tolerance} does) to the checks.
     * Call before {@link #run}.
     *
     * @param tolerance maps each declared tolerance to the one to apply; not null
     * @return this fuzzer
     */
    public Fuzzer withTolerances(java.util.function.UnaryOperator<Tolerance> tolerance) {
        this.tolerance = tolerance;
        return this;
    }

    /**
     * A fuzzer over backends from {@code opener}.
     *
     * @param opener opens a new, independent instance of the backend under test on each call: three
     *     per {@link #run} (the backend, a foreign instance, one closed on purpose) and one per round
     *     of {@link #races}; the fuzzer closes them all
     * @param seed the seed every case derives from, with the case's index; the same seed replays the
     *     same cases
     */
    public Fuzzer(Supplier<Backend> opener, long seed) {
        this.opener = opener;
        this.seed = seed;
    }

    /**
     * Runs up to {@code maxCases} cases, stopping early when {@code budgetMillis} have passed. Each
     * case runs on a worker thread; one that gives no answer within {@link #HANG_MILLIS} ends the run.
     * The run also stops after 50 failures.
     *
     * @param maxCases the most cases to run, ≥ 0
     * @param budgetMillis the time budget in milliseconds; a case already started is finished
     * @return what the run found; {@link Report#clean()} tells whether the contract held
     * @throws dev.kengine.EngineException if the opener cannot open the backend
     */
    public Report run(long maxCases, long budgetMillis) {
        List<String> failures = new ArrayList<>();
        List<String> outcomes = new ArrayList<>();
        Map<String, Long> types = new TreeMap<>();
        long[] counts = new long[5]; // cases, succeeded, rejected, checked, faults
        long deadline = System.nanoTime() + budgetMillis * 1_000_000L;
        ExecutorService worker = newWorker();
        String name = "?";
        try (Backend backend = opener.get(); Backend foreign = opener.get(); Backend closed = opener.get()) {
            name = backend.name();
            Tensor dead = closed.zeros(2);
            closed.close();
            for (long i = 0; i < maxCases && System.nanoTime() < deadline && failures.size() < 50; i++) {
                Case c = new Case(backend, foreign, closed, dead, seed, i);
                c.tolerance = tolerance;
                Future<?> f = worker.submit(c::run);
                try {
                    f.get(HANG_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    failures.add(c.describe() + ": no answer after " + HANG_MILLIS + " ms (a hang)");
                    worker.shutdownNow();
                    worker = newWorker();
                    break; // the hung call may hold the backend; stop here
                } catch (ExecutionException e) {
                    failures.add(c.describe() + ": the harness itself failed: " + e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                counts[0]++;
                outcomes.add(c.succeeded ? "ok" : c.rejectedWith != null ? c.rejectedWith : "failed");
                counts[1] += c.succeeded ? 1 : 0;
                counts[2] += c.rejectedWith != null ? 1 : 0;
                counts[3] += c.checked ? 1 : 0;
                counts[4] += c.fault != Fault.NONE ? 1 : 0;
                if (c.rejectedWith != null) {
                    types.merge(c.rejectedWith, 1L, Long::sum);
                }
                failures.addAll(c.failures);
            }
        } finally {
            worker.shutdownNow();
        }
        return new Report(name, seed, counts[0], counts[1], counts[2], counts[3], counts[4], types, failures, outcomes);
    }

    /**
     * The cases two runs of the same seed on two backends answered differently: one accepted what the other
     * rejected, or they rejected it with different exception types. Running out of memory depends on the device and
     * is not counted. One API on every backend means an empty list.
     *
     * @param a one backend's report
     * @param b another backend's report of the same seed
     * @return one line per differing case, "case i: name a outcome, name b outcome", in case order
     * @throws IllegalArgumentException if the reports are of different seeds
     */
    public static List<String> disagreements(Report a, Report b) {
        if (a.seed() != b.seed()) {
            throw new IllegalArgumentException("reports of seeds " + a.seed() + " and " + b.seed() + " hold different cases");
        }
        List<String> differ = new ArrayList<>();
        int n = Math.min(a.outcomes().size(), b.outcomes().size());
        for (int i = 0; i < n; i++) {
            String x = a.outcomes().get(i);
            String y = b.outcomes().get(i);
            boolean memory = x.equals("DeviceOutOfMemoryException") || y.equals("DeviceOutOfMemoryException");
            if (!x.equals(y) && !memory) {
                differ.add("case " + i + ": " + a.backend() + " " + x + ", " + b.backend() + " " + y);
            }
        }
        return differ;
    }

    /**
     * Runs {@code cases} cases of one seed on two backends and fails unless both keep the contract and answer every
     * case alike ({@link #disagreements}): a backend's own test of one API on every backend.
     *
     * @param reference opens the backend to agree with (the CPU backend, say)
     * @param tested opens the backend under test
     * @param seed the seed of the cases
     * @param cases how many, at least 1
     * @throws org.opentest4j.AssertionFailedError naming the seed and the first 20 differing cases
     */
    public static void assertAgree(Supplier<Backend> reference, Supplier<Backend> tested, long seed, int cases) {
        Report a = new Fuzzer(reference, seed).run(cases, 600_000);
        Report b = new Fuzzer(tested, seed).run(cases, 600_000);
        for (Report r : new Report[] {a, b}) {
            if (!r.clean() || r.outcomes().size() != cases) {
                throw new org.opentest4j.AssertionFailedError(r.summary());
            }
        }
        List<String> differ = disagreements(a, b);
        if (!differ.isEmpty()) {
            throw new org.opentest4j.AssertionFailedError(differ.size() + " cases answered differently (replay with seed "
                    + seed + "):\n" + String.join("\n", differ.subList(0, Math.min(20, differ.size()))));
        }
    }

    /**
     * Breaks the threading contract on purpose, {@code rounds} times: two threads run ops on a tensor
     * (float32, and a bfloat16 cast of it where the backend has one) while a third closes it, or closes
     * the whole backend. Every call must complete or fail with an
     * exception of the family (a closed tensor, a closed backend), none may hang, the process must
     * survive, and after a tensor close the backend must still compute. Returns what broke.
     *
     * @param rounds the number of rounds, ≥ 0; every third closes the backend instead of a tensor
     * @return the failures, each naming the seed and round that replay it; empty when the contract
     *     held (stops after 20)
     */
    public List<String> races(int rounds) {
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < rounds && failures.size() < 20; round++) {
            boolean closeBackend = round % 3 == 2;
            String what = String.format(Locale.ROOT, "[seed %d race %d] closing the %s under running ops", seed, round,
                    closeBackend ? "backend" : "tensor");
            Backend b = opener.get();
            try {
                int n = 1 << (10 + rnd.nextInt(8));
                Tensor x = b.of(Inputs.gaussian(n, round, 1), n);
                Tensor w = b.of(Inputs.gaussian(64 * 64, round + 1, 1), 64, 64);
                boolean halves = b.capabilities().supports(dev.kengine.op.Op.CAST, DType.BFLOAT16)
                        && b.capabilities().supports(dev.kengine.op.Op.ACTIVATION, DType.BFLOAT16);
                java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(2);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int id = t;
                    threads.add(Thread.ofPlatform().name("kengine-race-" + t).start(() -> {
                        started.countDown();
                        for (int i = 0; i < 400; i++) {
                            try {
                                switch ((i + id) % (halves ? 5 : 4)) {
                                    case 0 -> b.relu(x).close();
                                    case 1 -> b.sum(x).close();
                                    case 2 -> b.activation(x, Activation.GELU, x);
                                    case 4 -> {
                                        try (Tensor h = b.cast(x, DType.BFLOAT16)) {
                                            b.activation(h, Activation.GELU, h);
                                        }
                                    }
                                    default -> {
                                        try (Tensor m = b.of(Inputs.gaussian(64 * 64, i, 1), 64, 64); Tensor p = b.matmul(m, w)) {
                                            p.toArray();
                                        }
                                    }
                                }
                            } catch (EngineException e) {
                                return; // the tensor or the backend is closed: the expected end
                            } catch (Throwable e) {
                                failures.add(what + ": an op on another thread threw an undocumented " + e);
                                return;
                            }
                        }
                    }));
                }
                started.await();
                Thread.sleep(rnd.nextInt(3));
                if (closeBackend) {
                    b.close();
                } else {
                    x.close();
                }
                for (Thread t : threads) {
                    t.join(HANG_MILLIS);
                    if (t.isAlive()) {
                        failures.add(what + ": an op did not return after " + HANG_MILLIS + " ms (a hang)");
                    }
                }
                if (!closeBackend) {
                    try (Tensor y = b.full(Shape.of(4), 2f); Tensor z = b.add(y, y)) {
                        if (z.toArray()[3] != 4f) {
                            failures.add(what + ": afterwards the backend computed 2 + 2 = " + z.toArray()[3]);
                        }
                    }
                    if (b.liveTensors() != 1) {
                        failures.add(what + ": " + b.liveTensors() + " tensors open where only w should be");
                    }
                }
            } catch (Throwable e) {
                failures.add(what + ": " + e);
            } finally {
                b.close();
            }
        }
        return failures;
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kengine-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    /** The fault a case injects into one of its arguments. */
    enum Fault { NONE, NULL, CLOSED, FOREIGN, WRONG_SHAPE, BAD_PARAM, CLOSED_BY_OTHER_THREAD, WRONG_DTYPE }

    private static final Fault[] FAULTS = Fault.values();
    /** Every dtype, in the order a case draws them. */
    private static final DType[] DTYPES = DType.values();


    @FunctionalInterface
    private interface Op {
        /** Makes the call; returns true when it checked the result against the oracle. */
        boolean call(Case c);
    }

    private record Named(String name, Op op) {}

    /** One call with its arguments, fault and outcome. */
    private static final class Case {
        final Backend b;
        final Backend foreign;
        final Backend closedBackend;
        final Tensor deadTensor;
        final long runSeed;
        final long index;
        final SplittableRandom rnd;
        final Fault fault;
        final int faultAt;
        final Named op;
        int argIndex;
        int paramIndex;
        boolean faultUsed;
        boolean succeeded;
        boolean checked;
        String rejectedWith;
        final List<String> failures = new ArrayList<>();
        java.util.function.UnaryOperator<Tolerance> tolerance = t -> t;

        void agree(String what, Tolerance tol, double[] expected, float[] actual, double[] ref, float[] input) {
            Agreement.assertAgree(what, tolerance.apply(tol), expected, actual, ref, input);
        }

        void agree(String what, Tolerance tol, double expected, float actual, double ref) {
            Agreement.assertAgree(what, tolerance.apply(tol), expected, actual, ref);
        }

        Case(Backend b, Backend foreign, Backend closedBackend, Tensor deadTensor, long runSeed, long index) {
            this.b = b;
            this.foreign = foreign;
            this.closedBackend = closedBackend;
            this.deadTensor = deadTensor;
            this.runSeed = runSeed;
            this.index = index;
            this.rnd = new SplittableRandom(runSeed * 0x9E3779B97F4A7C15L + index);
            this.op = NAMED.get(rnd.nextInt(NAMED.size()));
            this.fault = rnd.nextInt(3) == 0 ? FAULTS[1 + rnd.nextInt(FAULTS.length - 1)] : Fault.NONE;
            this.faultAt = rnd.nextInt(4);
        }

        String describe() {
            return String.format(Locale.ROOT, "[seed %d case %d] %s%s", runSeed, index, op.name(),
                    fault == Fault.NONE ? "" : " with fault " + fault + " at argument " + faultAt);
        }

        /** Whether the call's inputs are exactly as drawn, so its result can be checked. */
        boolean clean() {
            return !faultUsed;
        }

        void run() {
            int before = b.liveTensors();
            try (Scope scope = Scope.open()) {
                try {
                    checked = op.op().call(this);
                    succeeded = true;
                } catch (EngineException e) {
                    rejectedWith = e.getClass().getSimpleName();
                    if (e.getMessage() == null || e.getMessage().isBlank()) {
                        failures.add(describe() + ": " + rejectedWith + " without a message");
                    }
                } catch (org.opentest4j.AssertionFailedError e) {
                    failures.add(describe() + ": a wrong answer: " + e.getMessage());
                } catch (Throwable t) {
                    failures.add(describe() + ": an undocumented " + t.getClass().getName() + ": " + t.getMessage());
                }
            } catch (Throwable t) {
                failures.add(describe() + ": closing the case's scope threw " + t);
            }
            int after = b.liveTensors();
            if (after != before) {
                failures.add(describe() + ": " + (after - before) + " tensors left open after the case's scope closed"
                        + (rejectedWith != null ? " (the call was rejected with " + rejectedWith + ")" : ""));
            }
            sanity();
        }

        /** The backend still computes 2 + 3 = 5 after whatever the case did. */
        private void sanity() {
            try (Tensor x = b.full(Shape.of(3), 2f); Tensor y = b.full(Shape.of(3), 3f); Tensor z = b.add(x, y)) {
                float[] r = z.toArray();
                if (r[0] != 5f || r[1] != 5f || r[2] != 5f) {
                    failures.add(describe() + ": afterwards the backend computed 2 + 3 = " + r[0]);
                }
            } catch (Throwable t) {
                failures.add(describe() + ": afterwards the backend failed a known computation: " + t);
            }
        }

        // ---- argument drawing ---------------------------------------------------------------

        /** Whether this argument is the one the fault targets (the fault is used at most once). */
        private boolean hit(boolean tensorArg) {
            int i = tensorArg ? argIndex++ : paramIndex++;
            boolean target = !faultUsed && i == faultAt && fault != Fault.NONE
                    && (tensorArg ? fault != Fault.BAD_PARAM : fault == Fault.BAD_PARAM);
            if (target) {
                faultUsed = true;
            }
            return target;
        }

        int dim(int max) {
            return rnd.nextInt(max + 1);
        }

        /** A shape of rank 0–4 with at most MAX_ELEMENTS elements (now and then rank 5, which must be rejected). */
        Shape shape() {
            if (rnd.nextInt(80) == 0) {
                return Shape.of(1, 2, 1, 2, 1); // rank 5: rejected by Shape itself
            }
            int rank = rnd.nextInt(5);
            long[] d = new long[rank];
            long size = 1;
            for (int i = 0; i < rank; i++) {
                d[i] = DIMS[rnd.nextInt(DIMS.length)];
                size *= Math.max(1, d[i]);
            }
            if (size > MAX_ELEMENTS) {
                return Shape.of(7, 3);
            }
            if (rank >= 2 && rnd.nextInt(40) == 0) {
                d[0] = 1L << 40; // a huge leading dimension of an empty tensor: must return at once
                d[rank - 1] = 0;
            }
            return Shape.of(d);
        }

        Shape shape(long... dims) {
            return Shape.of(dims);
        }

        float[] values(long n, boolean specials) {
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * 2);
                if (specials && rnd.nextInt(12) == 0) {
                    x[i] = Inputs.SPECIALS[rnd.nextInt(Inputs.SPECIALS.length)];
                }
            }
            return x;
        }

        /** Uploads values for {@code shape}, or injects the case's tensor fault here. */
        Arg tensor(Shape shape, boolean specials) {
            return tensor(shape, specials, 0f, 0f);
        }

        /** As {@link #tensor(Shape, boolean)} with values uniform in [lo, hi) when lo < hi. */
        Arg tensor(Shape shape, boolean specials, float lo, float hi) {
            boolean target = hit(true);
            Shape s = shape;
            if (target && fault == Fault.WRONG_SHAPE) {
                s = otherShape(shape);
            }
            float[] data = lo < hi ? uniform(s.size(), lo, hi) : values(s.size(), specials);
            return place(target, s, DType.FLOAT32, data);
        }

        /**
         * A tensor of {@code dtype} holding {@code data} (converted by {@link Conversions}' rules), or the case's
         * tensor fault here: a wrong shape gets fresh values of its own size.
         */
        Arg tensor(Shape shape, DType dtype, float[] data) {
            boolean target = hit(true);
            if (target && fault == Fault.WRONG_SHAPE) {
                Shape s = otherShape(shape);
                return place(true, s, dtype, values(s.size(), false));
            }
            return place(target, shape, dtype, data);
        }

        private Shape otherShape(Shape shape) {
            Shape other = shape();
            return other.equals(shape) ? Shape.of(shape.size() + 1) : other;
        }

        /** Uploads data as a dtype tensor of shape s, injecting the fault when this argument is its target. */
        private Arg place(boolean target, Shape s, DType dtype, float[] data) {
            if (target && fault == Fault.NULL) {
                return new Arg(null, data);
            }
            if (target && fault == Fault.WRONG_DTYPE) {
                DType other = dtype;
                while (other == dtype) {
                    other = DTYPES[rnd.nextInt(DTYPES.length)];
                }
                dtype = other;
            }
            Backend on = target && fault == Fault.FOREIGN ? foreign : b;
            Tensor t = dtype != DType.FLOAT32 ? on.empty(dtype, s) : s.rank() == 0 ? on.scalar(data[0]) : on.of(data, s.dims());
            if (on == foreign) {
                foreignTensors.add(t);
            }
            if (dtype != DType.FLOAT32) {
                t.copyFrom(data);
            }
            if (target && fault == Fault.CLOSED) {
                t.close();
            } else if (target && fault == Fault.CLOSED_BY_OTHER_THREAD) {
                Tensor victim = t;
                Thread closer = Thread.ofPlatform().start(victim::close);
                try {
                    closer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new Arg(t, data);
        }

        /** One of the five dtypes. */
        DType dtype() {
            return DTYPES[rnd.nextInt(DTYPES.length)];
        }

        /** bfloat16 or float16. */
        DType half() {
            return rnd.nextBoolean() ? DType.BFLOAT16 : DType.FLOAT16;
        }

        /** n values as {@link #values(long, boolean)}, with these specials mixed in (now and then). */
        float[] values(long n, float[] specials) {
            float[] x = values(n, false);
            for (int i = 0; i < x.length; i++) {
                if (specials.length > 0 && rnd.nextInt(12) == 0) {
                    x[i] = specials[rnd.nextInt(specials.length)];
                }
            }
            return x;
        }

        final List<Tensor> foreignTensors = new ArrayList<>();

        float[] uniform(long n, float lo, float hi) {
            float[] x = new float[(int) n];
            for (int i = 0; i < x.length; i++) {
                x[i] = lo + (hi - lo) * (float) rnd.nextDouble();
            }
            return x;
        }

        /** A parameter: {@code normal}, or a hostile value where the fault targets it. */
        float param(float normal) {
            if (hit(false)) {
                float[] bad = {Float.NaN, -1f, -normal, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -0f, 1f, 0f};
                return bad[rnd.nextInt(bad.length)];
            }
            return normal;
        }

        long longParam(long normal) {
            if (hit(false)) {
                long[] bad = {-1, 0, Long.MIN_VALUE, Long.MAX_VALUE};
                return bad[rnd.nextInt(bad.length)];
            }
            return normal;
        }

        /** An object argument (an activation, a loss, a config), or null where the fault targets it. */
        <T> T object(T normal) {
            return fault == Fault.NULL && hit(true) ? null : normal;
        }

        Activation activation() {
            Activation[] acts = {
                Activation.IDENTITY, Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.leakyRelu(),
                Activation.elu(1f), Activation.SILU, Activation.swish(0f), Activation.swish(-1.5f), Activation.swish(3f),
                Activation.SOFTPLUS, Activation.GELU, Activation.GELU_TANH
            };
            return object(acts[rnd.nextInt(acts.length)]);
        }

        void closeForeign() {
            for (Tensor t : foreignTensors) {
                t.close();
            }
        }
    }

    /** A tensor argument and the values uploaded into it. */
    private record Arg(Tensor t, float[] v) {
        double[] d() {
            return Inputs.widen(v);
        }
    }

    private static final List<Named> NAMED = new ArrayList<>();

    static {
        ops();
    }

    private static void op(String name, Op op) {
        NAMED.add(new Named(name, c -> {
            try {
                return op.call(c);
            } finally {
                c.closeForeign();
            }
        }));
    }

    private static void ops() {
        op("empty/zeros/full/scalar", c -> {
            Shape s = c.rnd.nextInt(20) == 0 ? null : c.shape();
            switch (c.rnd.nextInt(4)) {
                case 0 -> c.b.empty(s);
                case 1 -> c.b.zeros(s == null ? null : s.dims());
                case 2 -> {
                    float v = c.param(1.5f);
                    float[] r = c.b.full(s, v).toArray();
                    for (float x : r) {
                        if (Float.floatToRawIntBits(x) != Float.floatToRawIntBits(v)) {
                            throw new org.opentest4j.AssertionFailedError("full(" + v + ") gave " + x);
                        }
                    }
                    return s != null;
                }
                default -> c.b.scalar(c.param(2f));
            }
            return false;
        });
        op("of(float[]/FloatBuffer/MemorySegment)", c -> {
            Shape s = c.shape();
            float[] data = c.values(s.size(), true);
            int wrong = c.fault == Fault.WRONG_SHAPE && c.hit(true) ? 1 : 0;
            float[] given = java.util.Arrays.copyOf(data, data.length + wrong);
            Tensor t;
            switch (c.rnd.nextInt(4)) {
                case 0 -> t = c.b.of(c.fault == Fault.NULL && c.hit(true) ? null : given, s.rank() == 0 ? new long[] {1} : s.dims());
                case 1 -> t = c.b.of(FloatBuffer.wrap(given), s);
                case 2 -> {
                    ByteBuffer bb = ByteBuffer.allocateDirect(given.length * 4).order(c.rnd.nextBoolean() ? ByteOrder.nativeOrder()
                            : ByteOrder.BIG_ENDIAN);
                    bb.asFloatBuffer().put(given);
                    t = c.b.of(bb.asFloatBuffer(), s);
                    if (bb.order() != ByteOrder.nativeOrder()) {
                        return false;
                    }
                }
                default -> {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment seg = arena.allocate(given.length * 4L + 1, 4).asSlice(0, given.length * 4L);
                        MemorySegment.copy(given, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, given.length);
                        t = c.b.of(seg, s);
                    }
                }
            }
            c.agree("of", Tolerances.COPY, Inputs.widen(data), t.toArray(), null, data);
            return true;
        });
        op("copyTo/copyFrom with hostile buffers and segments", c -> {
            Arg a = c.tensor(c.shape(), true);
            long n = a.t() == null ? 3 : a.t().size();
            int kind = c.rnd.nextInt(10);
            Tensor t = a.t();
            if (t == null) {
                c.b.copy(t, t);
                return false;
            }
            switch (kind) {
                case 0 -> t.copyTo(c.rnd.nextInt(8) == 0 ? null : new float[(int) n + (c.rnd.nextInt(6) == 0 ? 1 : 0)]);
                case 1 -> t.copyTo(FloatBuffer.allocate((int) n).asReadOnlyBuffer());
                case 2 -> {
                    Arena arena = Arena.ofConfined();
                    MemorySegment seg = arena.allocate(n * 4 + 4, 16).asSlice(0, n * 4);
                    arena.close();
                    if (c.rnd.nextBoolean()) {
                        t.copyTo(seg);
                    } else {
                        t.copyFrom(seg);
                    }
                }
                case 3 -> {
                    boolean down = c.rnd.nextBoolean();
                    withForeignSegment(n * 4, seg -> {
                        if (down) {
                            t.copyTo(seg);
                        } else {
                            t.copyFrom(seg);
                        }
                    });
                }
                case 4 -> t.copyTo(MemorySegment.ofArray(new float[(int) n]).asReadOnly());
                case 5 -> {
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment seg = arena.allocate(n * 4, 4);
                        t.copyTo(seg);
                        float[] back = seg.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                        if (!c.clean()) {
                            return false;
                        }
                        c.agree("copyTo(shared segment)", Tolerances.COPY, a.d(), back, null, a.v());
                        t.copyFrom(seg);
                        return true;
                    }
                }
                case 6 -> t.copyFrom(c.rnd.nextBoolean() ? (FloatBuffer) null : FloatBuffer.allocate((int) n + 1));
                case 8 -> {
                    // A buffer viewing a closed arena's memory: as the dead segment, never read or written.
                    Arena arena = Arena.ofConfined();
                    ByteBuffer bb = arena.allocate(n * 4 + 4, 16).asSlice(0, n * 4).asByteBuffer()
                            .order(c.rnd.nextBoolean() ? ByteOrder.nativeOrder() : ByteOrder.BIG_ENDIAN);
                    arena.close();
                    switch (c.rnd.nextInt(4)) {
                        case 0 -> t.copyTo(bb);
                        case 1 -> t.copyFrom(bb);
                        case 2 -> t.copyTo(bb.asFloatBuffer());
                        default -> t.copyFrom(bb.asFloatBuffer());
                    }
                }
                case 9 -> {
                    // A buffer viewing memory confined to another thread, which may free it at any moment.
                    boolean down = c.rnd.nextBoolean();
                    withForeignSegment(n * 4, seg -> {
                        ByteBuffer bb = seg.asByteBuffer().order(ByteOrder.nativeOrder());
                        if (down) {
                            t.copyTo(bb.asFloatBuffer());
                        } else {
                            t.copyFrom(bb);
                        }
                    });
                }
                default -> {
                    FloatBuffer fb = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
                    t.copyTo(fb);
                    float[] back = new float[(int) n];
                    fb.get(0, back);
                    if (!c.clean()) {
                        return false;
                    }
                    c.agree("copyTo(big-endian buffer)", Tolerances.COPY, a.d(), back, null, a.v());
                    return true;
                }
            }
            return false;
        });
        op("item/toArray", c -> {
            Arg a = c.tensor(c.rnd.nextBoolean() ? Shape.scalar() : c.shape(), true);
            if (a.t() == null) {
                c.b.copyOf(null);
            }
            if (c.rnd.nextBoolean()) {
                a.t().item();
            } else {
                float[] r = a.t().toArray();
                if (c.clean()) {
                    c.agree("toArray", Tolerances.COPY, a.d(), r, null, a.v());
                    return true;
                }
            }
            return false;
        });
        op("fill/copy/copyOf", c -> {
            Shape s = c.shape();
            Arg a = c.tensor(s, true);
            Arg d = c.tensor(s, true);
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    float v = c.param(-3.25f);
                    c.b.fill(a.t(), v);
                    if (c.clean()) {
                        double[] e = new double[a.v().length];
                        java.util.Arrays.fill(e, v);
                        c.agree("fill", Tolerances.FILL, e, a.t().toArray(), null, null);
                        return true;
                    }
                }
                case 1 -> {
                    c.b.copy(a.t(), d.t());
                    if (c.clean()) {
                        c.agree("copy", Tolerances.COPY, a.d(), d.t().toArray(), null, a.v());
                        return true;
                    }
                }
                default -> {
                    Tensor r = c.b.copyOf(a.t());
                    if (c.clean()) {
                        c.agree("copyOf", Tolerances.COPY, a.d(), r.toArray(), null, a.v());
                        return true;
                    }
                }
            }
            return false;
        });
        op("add/sub/mul/div", c -> {
            Shape s = c.shape();
            boolean row = s.rank() >= 1 && c.rnd.nextBoolean();
            Arg a = c.tensor(s, true);
            Arg bb = c.tensor(row ? Shape.of(s.lastDim()) : s, true);
            String[] names = {"ADD", "SUB", "MUL", "DIV"};
            int k = c.rnd.nextInt(4);
            Tensor out;
            if (c.rnd.nextBoolean()) {
                out = switch (k) {
                    case 0 -> c.b.add(a.t(), bb.t());
                    case 1 -> c.b.sub(a.t(), bb.t());
                    case 2 -> c.b.mul(a.t(), bb.t());
                    default -> c.b.div(a.t(), bb.t());
                };
            } else {
                out = c.rnd.nextInt(6) == 0 ? null : c.tensor(s, false).t();
                if (c.fault == Fault.NULL && c.hit(true)) {
                    out = null;
                }
                switch (k) {
                    case 0 -> c.b.add(a.t(), bb.t(), out);
                    case 1 -> c.b.sub(a.t(), bb.t(), out);
                    case 2 -> c.b.mul(a.t(), bb.t(), out);
                    default -> c.b.div(a.t(), bb.t(), out);
                }
                if (out == null) {
                    throw new org.opentest4j.AssertionFailedError("a null out was accepted");
                }
            }
            if (!c.clean()) {
                return false;
            }
            long cols = s.lastDim();
            int rows = (int) (cols == 0 ? 0 : s.size() / cols);
            double[] e = ReductionOracle.binary(names[k], a.d(), bb.d(), rows, (int) cols, row);
            Tolerance tol = switch (k) {
                case 0 -> Tolerances.ADD;
                case 1 -> Tolerances.SUB;
                case 2 -> Tolerances.MUL;
                default -> Tolerances.DIV;
            };
            c.agree(names[k], tol, e, out.toArray(), null, a.v());
            return true;
        });
        op("scale/axpy", c -> {
            Shape s = c.shape();
            Arg x = c.tensor(s, true);
            float alpha = c.param(1.75f);
            if (c.rnd.nextBoolean()) {
                Tensor y = c.rnd.nextBoolean() ? c.b.scale(x.t(), alpha) : x.t();
                if (y == x.t()) {
                    c.b.scale(x.t(), alpha, x.t());
                }
                if (c.clean()) {
                    double[] e = x.d();
                    for (int i = 0; i < e.length; i++) {
                        e[i] = (float) (e[i] * alpha);
                    }
                    c.agree("scale", Tolerances.SCALE, e, y.toArray(), null, x.v());
                    return true;
                }
            } else {
                Arg y = c.tensor(s, false);
                c.b.axpy(x.t(), y.t(), alpha);
                if (c.clean()) {
                    double[] e = new double[x.v().length];
                    double[] ref = new double[e.length];
                    for (int i = 0; i < e.length; i++) {
                        e[i] = y.v()[i] + (double) alpha * x.v()[i];
                        ref[i] = Math.abs(y.v()[i]) + Math.abs((double) alpha * x.v()[i]);
                    }
                    c.agree("axpy", Tolerances.AXPY, e, y.t().toArray(), ref, x.v());
                    return true;
                }
            }
            return false;
        });
        op("sum/mean over an axis or all", c -> {
            Shape s = c.shape();
            Arg x = c.tensor(s, false);
            boolean mean = c.rnd.nextBoolean();
            if (c.rnd.nextBoolean()) {
                int axis = c.rnd.nextInt(Math.max(1, s.rank()) + 2) - 1;
                if (c.fault == Fault.BAD_PARAM && c.hit(false)) {
                    axis = 7;
                }
                Tensor r = mean ? c.b.mean(x.t(), axis) : c.b.sum(x.t(), axis);
                if (!c.clean()) {
                    return false;
                }
                int a = s.normalizeAxis(axis);
                int outer = 1;
                int inner = 1;
                for (int i = 0; i < a; i++) {
                    outer *= (int) s.dim(i);
                }
                for (int i = a + 1; i < s.rank(); i++) {
                    inner *= (int) s.dim(i);
                }
                int len = (int) s.dim(a);
                double[] e = ReductionOracle.reduce(x.d(), outer, len, inner, mean, false);
                double[] ref = ReductionOracle.reduce(x.d(), outer, len, inner, mean, true);
                for (int i = 0; i < ref.length; i++) {
                    ref[i] *= len;
                }
                c.agree(mean ? "mean(axis)" : "sum(axis)", mean ? Tolerances.MEAN : Tolerances.SUM, e, r.toArray(), ref, null);
            } else {
                Tensor r = mean ? c.b.mean(x.t()) : c.b.sum(x.t());
                if (!c.clean()) {
                    return false;
                }
                int n = x.v().length;
                double e = ReductionOracle.reduce(x.d(), 1, n, 1, mean, false)[0];
                double ref = ReductionOracle.reduce(x.d(), 1, n, 1, mean, true)[0] * n;
                c.agree(mean ? "mean" : "sum", mean ? Tolerances.MEAN : Tolerances.SUM, e, r.item(), ref);
            }
            return true;
        });
        op("l2Norm/max/argmax", c -> {
            Shape s = c.shape();
            Arg x = c.tensor(s, true);
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    float r = c.b.l2Norm(x.t()).item();
                    if (c.clean()) {
                        double e = ReductionOracle.l2Norm(x.d());
                        c.agree("l2Norm", Tolerances.L2_NORM, e, r, Math.abs(e) * Math.max(1, x.v().length));
                        return true;
                    }
                }
                case 1 -> {
                    Tensor r = c.b.max(x.t());
                    if (c.clean()) {
                        int cols = (int) s.lastDim();
                        double[] e = ReductionOracle.max(x.d(), (int) s.rows(), cols);
                        c.agree("max", Tolerances.MAX, e, r.toArray(), null, null);
                        return true;
                    }
                }
                default -> {
                    int[] r = c.b.argmax(x.t());
                    if (c.clean()) {
                        int[] e = ReductionOracle.argmax(x.d(), (int) s.rows(), (int) s.lastDim());
                        if (!java.util.Arrays.equals(e, r)) {
                            throw new org.opentest4j.AssertionFailedError("argmax " + java.util.Arrays.toString(r)
                                    + " but the oracle says " + java.util.Arrays.toString(e));
                        }
                        return true;
                    }
                }
            }
            return false;
        });
        op("matmul", c -> {
            int m = c.dim(9);
            int k = c.dim(12);
            int n = c.dim(9);
            int batch = c.rnd.nextInt(3) == 0 ? 1 + c.dim(3) : 0;
            boolean ta = c.rnd.nextBoolean();
            boolean tb = c.rnd.nextBoolean();
            Shape sa = batch > 0 ? Shape.of(batch, ta ? k : m, ta ? m : k) : Shape.of(ta ? k : m, ta ? m : k);
            Shape sb = Shape.of(tb ? n : k, tb ? k : n);
            Arg a = c.tensor(sa, false);
            Arg bm = c.tensor(sb, false);
            Shape sc = batch > 0 ? Shape.of(batch, m, n) : Shape.of(m, n);
            Tensor out;
            float alpha = 1f;
            float beta = 0f;
            double[] c0 = null;
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    out = c.b.matmul(a.t(), bm.t());
                    if (ta || tb) {
                        return false; // the plain form does not transpose
                    }
                }
                case 1 -> out = c.b.matmul(a.t(), ta, bm.t(), tb);
                default -> {
                    Arg cc = c.tensor(sc, false);
                    alpha = c.param(0.5f);
                    beta = c.param(2f);
                    c0 = cc.d();
                    c.b.matmul(a.t(), ta, bm.t(), tb, cc.t(), alpha, beta);
                    out = cc.t();
                }
            }
            if (!c.clean() || !Float.isFinite(alpha) || !Float.isFinite(beta) || Math.abs(alpha) > 1e6 || Math.abs(beta) > 1e6) {
                return false;
            }
            int bn = Math.max(1, batch);
            double[] e = new double[bn * m * n];
            double[] ref = new double[e.length];
            double[] ad = a.d();
            double[] bd = bm.d();
            for (int q = 0; q < bn; q++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        double mag = 0;
                        for (int p = 0; p < k; p++) {
                            double av = ad[q * m * k + (ta ? p * m + i : i * k + p)];
                            double bv = bd[tb ? j * k + p : p * n + j];
                            s += av * bv;
                            mag += Math.abs(av * bv);
                        }
                        int o = q * m * n + i * n + j;
                        double prev = c0 == null || beta == 0f ? 0 : beta * c0[o];
                        e[o] = alpha * s + prev;
                        ref[o] = (Math.abs(alpha) * mag + Math.abs(prev)) * (k + 2);
                    }
                }
            }
            c.agree("matmul", Tolerances.MATMUL, e, out.toArray(), ref, null);
            return true;
        });
        op("linear/linearBackward", c -> {
            int rows = c.dim(9);
            int in = c.dim(9);
            int outDim = c.dim(9);
            if (c.rnd.nextInt(30) == 0) {
                try (Tensor x = c.b.empty(1L << 40, 0); Tensor w = c.b.empty(0, 0)) {
                    LinearOutput o = c.b.linear(x, w, null, Activation.RELU);
                    c.b.linearBackward(o.output(), o);
                    return false;
                }
            }
            Arg x = c.tensor(Shape.of(rows, in), false);
            Arg w = c.tensor(Shape.of(in, outDim), false);
            Arg bias = c.rnd.nextBoolean() ? c.tensor(Shape.of(outDim), false) : null;
            Activation act = c.activation();
            LinearOutput o = c.rnd.nextInt(5) == 0
                    ? c.b.linear(x.t(), w.t(), bias == null ? null : bias.t(), c.tensor(c.rnd.nextBoolean() ? Shape.of(1)
                            : Shape.of(outDim), false, 0f, 0.5f).t())
                    : c.b.linear(x.t(), w.t(), bias == null ? null : bias.t(), act);
            if (c.rnd.nextBoolean()) {
                Arg dy = c.tensor(Shape.of(rows, outDim), false);
                LinearGradients g = c.b.linearBackward(dy.t(), o, c.rnd.nextBoolean());
                return false;
            }
            if (!c.clean() || o.preluAlpha() != null) {
                return false;
            }
            double[] mag = new double[rows * outDim];
            double[] z = LinalgOracle.linearPre(x.d(), w.d(), bias == null ? null : bias.d(), rows, in, outDim, mag);
            for (int i = 0; i < mag.length; i++) {
                mag[i] *= in + 2;
            }
            c.agree("linear z", Tolerances.LINEAR, z, o.preActivation().toArray(), mag, null);
            return true;
        });
        op("activation/activationBackward", c -> {
            Shape s = c.shape();
            Arg x = c.tensor(s, true);
            Activation act = c.activation();
            float[] xv = x.v();
            double[] e = new double[xv.length];
            double[] ref = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                e[i] = ActivationOracle.forward(act == null ? Activation.IDENTITY : act, xv[i]);
                ref[i] = ErrorScales.activation(act == null ? Activation.IDENTITY : act, xv[i]);
            }
            switch (c.rnd.nextInt(4)) {
                case 0 -> {
                    Tensor y = c.b.activation(x.t(), act);
                    if (c.clean()) {
                        c.agree(act + " forward", Tolerances.activation(act), e, y.toArray(), ref, xv);
                        return true;
                    }
                }
                case 1 -> {
                    Arg y = c.tensor(s, false);
                    c.b.activation(x.t(), act, y.t());
                    if (c.clean()) {
                        c.agree(act + " forward into y", Tolerances.activation(act), e, y.t().toArray(), ref, xv);
                        return true;
                    }
                }
                case 2 -> {
                    Tensor y = switch (c.rnd.nextInt(3)) {
                        case 0 -> c.b.relu(x.t());
                        case 1 -> c.b.sigmoid(x.t());
                        default -> c.b.tanh(x.t());
                    };
                    return false;
                }
                default -> {
                    Arg y = c.tensor(s, false);
                    Arg dy = c.tensor(s, false);
                    Tensor dx;
                    if (c.rnd.nextBoolean()) {
                        dx = c.b.activationBackward(dy.t(), x.t(), y.t(), act);
                    } else {
                        dx = c.tensor(s, false).t();
                        c.b.activationBackward(dy.t(), x.t(), y.t(), act, dx);
                    }
                    return false; // y was not act(x): only the contract on arguments is checked here
                }
            }
            return false;
        });
        op("prelu/preluBackward", c -> {
            Shape s = c.rnd.nextInt(20) == 0 ? Shape.of(1L << 40, 2, 0) : c.shape();
            boolean channels = s.rank() >= 2 && c.rnd.nextBoolean();
            Arg x = s.size() == 0 && s.rank() == 3 && s.dim(0) == 1L << 40
                    ? new Arg(c.b.empty(s), new float[0]) : c.tensor(s, true);
            Arg alpha = c.tensor(channels ? Shape.of(s.dim(1)) : Shape.of(1), false);
            if (c.rnd.nextBoolean()) {
                c.b.prelu(x.t(), alpha.t());
            } else {
                Arg dy = c.tensor(s, false);
                c.b.preluBackward(dy.t(), x.t(), alpha.t());
            }
            return false;
        });
        op("softmax/logSoftmax and backward", c -> {
            Shape s = c.rnd.nextInt(20) == 0 ? Shape.of(1L << 40, 0) : c.shape();
            boolean log = c.rnd.nextBoolean();
            Arg x = s.size() == 0 && s.rank() == 2 && s.dim(0) == 1L << 40 ? new Arg(c.b.empty(s), new float[0]) : c.tensor(s, false);
            if (c.rnd.nextBoolean()) {
                Tensor y = log ? c.b.logSoftmax(x.t()) : c.b.softmax(x.t());
                if (c.clean() && s.rank() >= 1 && s.size() > 0) {
                    int cols = (int) s.lastDim();
                    double[] e = SoftmaxOracle.forward(x.d(), (int) s.rows(), cols, log);
                    double[] ref = new double[e.length];
                    for (int i = 0; i < e.length; i++) {
                        ref[i] = log ? Math.abs(x.v()[i]) + 1 : Math.abs(e[i]) * cols;
                    }
                    c.agree(log ? "logSoftmax" : "softmax", log ? Tolerances.LOG_SOFTMAX : Tolerances.SOFTMAX, e,
                            y.toArray(), ref, x.v());
                    return true;
                }
            } else {
                Arg dy = c.tensor(s, false);
                Tensor y = x.t() == null ? null : (log ? c.b.logSoftmax(x.t()) : c.b.softmax(x.t()));
                Tensor dx = log ? c.b.logSoftmaxBackward(dy.t(), y) : c.b.softmaxBackward(dy.t(), y);
            }
            return false;
        });
        op("loss/lossBackward/lossWithGradient", c -> {
            Shape s = c.shape();
            Loss[] losses = {Loss.MSE, Loss.MAE, Loss.huber(1f), Loss.BINARY_CROSS_ENTROPY, Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS};
            Loss loss = c.object(losses[c.rnd.nextInt(losses.length)]);
            boolean bce = loss == Loss.BINARY_CROSS_ENTROPY;
            Arg p = bce ? c.tensor(s, false, 0.02f, 0.98f) : c.tensor(s, false);
            Arg t = c.tensor(s, false, 0f, 1f);
            Reduction r = c.object(c.rnd.nextBoolean() ? Reduction.MEAN : Reduction.SUM);
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    float v = c.b.loss(p.t(), t.t(), loss, r).item();
                    if (c.clean() && s.size() > 0) {
                        double e = LossOracle.loss(loss, r, p.d(), t.d());
                        double ref = 0;
                        for (int i = 0; i < p.v().length; i++) {
                            ref += LossOracle.elementMagnitude(loss, p.v()[i], t.v()[i]);
                        }
                        ref *= (r == Reduction.MEAN ? 1.0 / p.v().length : 1.0) * (p.v().length + 2);
                        c.agree("loss " + loss, Tolerances.LOSS, e, v, ref);
                        return true;
                    }
                }
                case 1 -> c.b.lossBackward(p.t(), t.t(), loss, r);
                default -> {
                    LossAndGradient lg = c.b.lossWithGradient(p.t(), t.t(), loss, r);
                }
            }
            return false;
        });
        op("softmaxCrossEntropy", c -> {
            int rows = c.dim(9);
            int classes = c.dim(9);
            Arg logits = c.tensor(Shape.of(rows, classes), false);
            int[] labels = new int[rows + (c.fault == Fault.WRONG_SHAPE && c.rnd.nextBoolean() ? 1 : 0)];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = classes == 0 ? 0 : c.rnd.nextInt(classes);
            }
            if (c.fault == Fault.BAD_PARAM && labels.length > 0 && c.hit(false)) {
                labels[c.rnd.nextInt(labels.length)] = c.rnd.nextBoolean() ? -1 : classes;
            }
            if (c.fault == Fault.NULL && c.hit(true)) {
                labels = null;
            }
            Reduction r = c.object(Reduction.MEAN);
            switch (c.rnd.nextInt(4)) {
                case 0 -> {
                    LossAndGradient lg = c.b.softmaxCrossEntropy(logits.t(), labels, r);
                    if (c.clean() && rows > 0) {
                        double e = LossOracle.crossEntropy(logits.d(), labels, null, rows, classes, r);
                        c.agree("softmaxCrossEntropy", Tolerances.SOFTMAX_CROSS_ENTROPY, e, lg.loss().item(),
                                (Math.abs(e) + 1) * classes);
                        return true;
                    }
                }
                case 1 -> {
                    Arg loss = c.tensor(Shape.scalar(), false);
                    Arg grad = c.tensor(Shape.of(rows, classes), false);
                    c.b.softmaxCrossEntropy(logits.t(), labels, r, loss.t(), grad.t());
                }
                case 2 -> {
                    Arg targets = c.tensor(Shape.of(rows, classes), false, 0f, 1f);
                    c.b.softmaxCrossEntropy(logits.t(), targets.t(), r);
                }
                default -> c.b.softmaxCrossEntropyLoss(logits.t(), labels, r);
            }
            return false;
        });
        op("dropout/dropoutBackward", c -> {
            Shape s = c.shape();
            Arg x = c.tensor(s, true);
            float p = c.param(0.3f);
            long seed = c.rnd.nextLong();
            switch (c.rnd.nextInt(4)) {
                case 0 -> c.b.dropout(x.t(), p, seed, c.longParam(5));
                case 1 -> {
                    Arg y = c.tensor(s, false);
                    Arg mask = c.tensor(s, false);
                    c.b.dropout(x.t(), p, seed, 0, y.t(), mask.t());
                }
                case 2 -> {
                    Arg mask = c.tensor(s, false);
                    c.b.dropoutBackward(x.t(), mask.t(), p);
                }
                default -> {
                    Arg mask = c.tensor(s, false);
                    Arg dx = c.tensor(s, false);
                    c.b.dropoutBackward(x.t(), mask.t(), p, dx.t());
                }
            }
            return false;
        });
        op("init", c -> {
            Init[] inits = {Init.uniform(-1, 1), Init.normal(0, 1), Init.xavierUniform(), Init.xavierNormal(), Init.heUniform(),
                Init.heNormal()};
            Init init = c.object(inits[c.rnd.nextInt(inits.length)]);
            Shape s = c.shape();
            if (c.rnd.nextBoolean()) {
                c.b.init(c.rnd.nextInt(20) == 0 ? null : s, init, c.rnd.nextLong());
            } else {
                Arg t = c.tensor(s, false);
                c.b.init(t.t(), init, c.rnd.nextLong(), c.longParam(3));
            }
            return false;
        });
        op("sgdStep/adamStep/penalty/clipGradNorm", c -> {
            Shape s = c.shape();
            Arg w = c.tensor(s, false);
            Arg g = c.tensor(s, false);
            switch (c.rnd.nextInt(4)) {
                case 0 -> {
                    float momentum = c.rnd.nextBoolean() ? 0f : 0.9f;
                    Arg v = c.rnd.nextBoolean() || momentum != 0f ? c.tensor(s, false) : null;
                    SgdConfig cfg = new SgdConfig(c.param(0.1f), momentum, false, 0f, 0f);
                    c.b.sgdStep(w.t(), g.t(), v == null ? null : v.t(), cfg);
                    if (c.clean() && momentum == 0f) {
                        double[] e = new double[w.v().length];
                        double[] ref = new double[e.length];
                        for (int i = 0; i < e.length; i++) {
                            e[i] = w.v()[i] - (double) 0.1f * g.v()[i];
                            ref[i] = Math.abs(w.v()[i]) + Math.abs((double) 0.1f * g.v()[i]);
                        }
                        c.agree("sgdStep", Tolerances.SGD, e, w.t().toArray(), ref, null);
                        return true;
                    }
                }
                case 1 -> {
                    Arg m = c.tensor(s, false);
                    Arg v = c.tensor(s, false, 0f, 1f);
                    c.b.adamStep(w.t(), g.t(), m.t(), v.t(), AdamConfig.adam(c.param(1e-3f)), c.longParam(1));
                }
                case 2 -> c.b.penalty(w.t(), c.param(0.01f), c.param(0.02f));
                default -> {
                    List<Tensor> grads = new ArrayList<>();
                    grads.add(w.t());
                    grads.add(g.t());
                    if (c.rnd.nextInt(10) == 0) {
                        grads.add(w.t());
                    }
                    c.b.clipGradNorm(c.rnd.nextInt(20) == 0 ? null : grads, c.param(1f));
                }
            }
            return false;
        });
        dtypeOps();
        op("scopes", c -> {
            Scope inner = Scope.open();
            Tensor t = c.b.zeros(3);
            switch (c.rnd.nextInt(5)) {
                case 0 -> {
                    inner.close();
                    inner.keep(t);
                }
                case 1 -> {
                    try {
                        inner.keep(null);
                    } finally {
                        inner.close();
                    }
                }
                case 2 -> {
                    RuntimeException[] thrown = new RuntimeException[1];
                    Thread other = Thread.ofPlatform().start(() -> {
                        try {
                            inner.close();
                        } catch (RuntimeException e) {
                            thrown[0] = e;
                        }
                    });
                    try {
                        other.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    boolean stillOpen = !t.isClosed();
                    inner.close();
                    if (thrown[0] == null || !stillOpen) {
                        throw new org.opentest4j.AssertionFailedError("a scope was closed from another thread");
                    }
                    throw thrown[0];
                }
                case 3 -> {
                    try (Tensor foreignT = c.foreign.zeros(2)) {
                        inner.keep(foreignT);
                    } finally {
                        inner.close();
                    }
                }
                default -> {
                    Tensor kept = inner.keep(t);
                    inner.close();
                    if (kept.isClosed()) {
                        throw new org.opentest4j.AssertionFailedError("a kept tensor was closed with its scope");
                    }
                    kept.close();
                }
            }
            return false;
        });
        op("synchronize", c -> {
            c.b.synchronize();
            return false;
        });
        op("closed backend", c -> {
            switch (c.rnd.nextInt(3)) {
                case 0 -> c.closedBackend.zeros(2);
                case 1 -> c.b.copyOf(c.deadTensor);
                default -> c.deadTensor.toArray();
            }
            return false;
        });
    }

    /** Values for conversions: the specials, the float range's ends, fp16's and the integers' edges. */
    private static final float[] CONVERSION_VALUES = {
        0f, -0f, 1e-7f, -1e-7f, 30f, -30f, 90f, -90f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        Float.intBitsToFloat(0x7F800001), Float.intBitsToFloat(0xFFC12345), Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.MIN_VALUE, -Float.MIN_NORMAL, 65504f, 65520f, -65536f, 6e-8f, 1.00390625f, 1.01171875f, 255.5f, 256f, -1.5f,
        3e9f, -3e9f, 16777217f, 0x1p-133f, 0x1.8p-134f
    };

    /** The raw bits of each value converted to {@code d} by {@link Conversions}' rules (zero-extended). */
    private static int[] converted(float[] v, DType d) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits(v[i]), d);
        }
        return r;
    }

    /** Raw elements of {@code d} in a buffer of the given byte order, direct or on the heap, position 0. */
    private static ByteBuffer encode(int[] raw, DType d, ByteOrder order, boolean direct) {
        int bytes = raw.length * d.byteSize();
        ByteBuffer bb = (direct ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes)).order(order);
        for (int i = 0; i < raw.length; i++) {
            switch (d) {
                case FLOAT32, INT32 -> bb.putInt(4 * i, raw[i]);
                case FLOAT16, BFLOAT16 -> bb.putShort(2 * i, (short) raw[i]);
                case UINT8 -> bb.put(i, (byte) raw[i]);
            }
        }
        return bb;
    }

    /** Fails at the first element whose bits differ. */
    private static void sameBits(String what, DType d, int[] expected, int[] actual) {
        if (expected.length != actual.length) {
            throw new org.opentest4j.AssertionFailedError(what + ": " + actual.length + " elements where " + expected.length
                    + " were expected");
        }
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                throw new org.opentest4j.AssertionFailedError(String.format(Locale.ROOT,
                        "%s: element %d of %d holds %s 0x%x where Conversions' rules give 0x%x", what, i, expected.length, d,
                        actual[i], expected[i]));
            }
        }
    }

    /** A call that should have been rejected returned normally. */
    private static org.opentest4j.AssertionFailedError accepted(String what) {
        return new org.opentest4j.AssertionFailedError("accepted " + what + " without an exception");
    }

    private static long[] dimsOf(Shape s) {
        return s.rank() == 0 ? new long[] {1} : s.dims();
    }

    /**
     * The dtype surface: every dtype uploaded and downloaded through every array, buffer (either byte order) and
     * segment, casts between every pair (bit for bit against {@link Conversions}), the finite test and the unscale
     * of dynamic loss scaling, half-precision arithmetic and activations against the oracle, mixed-precision
     * optimiser steps with their half copy, INT32 labels, argmax into INT32 and UINT8 dropout masks.
     */
    private static void dtypeOps() {
        op("of/copyFrom/copyTo in every dtype", c -> {
            DType d = c.dtype();
            Shape s = c.shape();
            float[] v = c.values(s.size(), CONVERSION_VALUES);
            int n = v.length;
            int[] bits = converted(v, d);
            boolean wrongLength = c.fault == Fault.WRONG_SHAPE && c.hit(true);
            boolean nul = c.fault == Fault.NULL && c.hit(true);
            int m = n + (wrongLength ? 1 : 0);
            int[] given = java.util.Arrays.copyOf(bits, m);
            ByteOrder order = c.rnd.nextBoolean() ? ByteOrder.nativeOrder() : ByteOrder.BIG_ENDIAN;
            Tensor t;
            switch (c.rnd.nextInt(5)) {
                case 0 -> t = c.b.of(nul ? null : java.util.Arrays.copyOf(v, m), d, dimsOf(s));
                case 1 -> {
                    ByteBuffer bb = encode(given, d, ByteOrder.nativeOrder(), false);
                    t = switch (d) {
                        case FLOAT32 -> {
                            float[] f = new float[m];
                            bb.asFloatBuffer().get(f);
                            yield c.b.of(nul ? null : f, dimsOf(s));
                        }
                        case FLOAT16, BFLOAT16 -> {
                            short[] h = new short[m];
                            bb.asShortBuffer().get(h);
                            yield c.b.of(nul ? null : h, d, dimsOf(s));
                        }
                        case INT32 -> c.b.of(nul ? null : given, dimsOf(s));
                        case UINT8 -> c.b.of(nul ? null : bb.array(), dimsOf(s));
                    };
                }
                case 2 -> t = c.b.of(nul ? null : encode(given, d, order, c.rnd.nextBoolean()), d, s);
                case 3 -> {
                    ByteBuffer bb = encode(given, d, order, c.rnd.nextBoolean());
                    t = switch (d) {
                        case FLOAT32 -> c.b.of(nul ? null : bb.asFloatBuffer(), s);
                        case FLOAT16, BFLOAT16 -> c.b.of(nul ? null : bb.asShortBuffer(), d, s);
                        case INT32 -> c.b.of(nul ? null : bb.asIntBuffer(), s);
                        case UINT8 -> c.b.of(nul ? null : bb, d, s);
                    };
                }
                default -> {
                    Arena arena = Arena.ofConfined();
                    MemorySegment seg = arena.allocate(m * (long) d.byteSize() + 1, 4).asSlice(0, m * (long) d.byteSize());
                    MemorySegment.copy(MemorySegment.ofBuffer(encode(given, d, ByteOrder.nativeOrder(), false)), 0, seg, 0,
                            seg.byteSize());
                    boolean closed = c.rnd.nextInt(8) == 0;
                    if (closed) {
                        arena.close();
                    }
                    try {
                        t = c.b.of(nul ? null : seg, d, s);
                    } finally {
                        if (!closed) {
                            arena.close();
                        }
                    }
                    if (closed) {
                        throw accepted("a segment whose arena is closed");
                    }
                }
            }
            if (nul || wrongLength) {
                throw accepted(nul ? "a null source" : "a source one element too long");
            }
            if (t.dtype() != d || t.size() != n) {
                throw new org.opentest4j.AssertionFailedError("uploaded " + n + " elements of " + d + " into " + t.dtype() + " "
                        + t.shape());
            }
            String what = "upload of " + d + " and download";
            switch (c.rnd.nextInt(4)) {
                case 0 -> {
                    float[] back = t.toArray();
                    int[] asFloat = new int[n];
                    int[] expected = new int[n];
                    for (int i = 0; i < n; i++) {
                        asFloat[i] = Float.floatToRawIntBits(back[i]);
                        expected[i] = Float.floatToRawIntBits(Conversions.toFloat(d, bits[i]));
                    }
                    sameBits(what + " through toArray()", DType.FLOAT32, expected, asFloat);
                }
                case 1 -> sameBits(what + " through its own array type", d, bits, Agreement.rawBits(t));
                case 2 -> {
                    ByteBuffer bb = (c.rnd.nextBoolean() ? ByteBuffer.allocateDirect(n * d.byteSize())
                            : ByteBuffer.allocate(n * d.byteSize())).order(order);
                    t.copyTo(bb);
                    sameBits(what + " through a " + order + " ByteBuffer", d, bits, Agreement.decodeBits(bb, d, n));
                }
                default -> {
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment seg = arena.allocate(Math.max(1, n * (long) d.byteSize()), 4).asSlice(0, n * (long) d.byteSize());
                        if (c.rnd.nextInt(6) == 0) {
                            t.copyTo(seg.asReadOnly());
                            throw accepted("a read-only segment as a destination");
                        }
                        t.copyTo(seg);
                        sameBits(what + " through a segment", d, bits,
                                Agreement.decodeBits(seg.asByteBuffer().order(ByteOrder.nativeOrder()), d, n));
                    }
                }
            }
            return true;
        });
        op("cast between every pair of dtypes", c -> {
            DType from = c.dtype();
            DType to = c.dtype();
            Shape s = c.shape();
            float[] v = c.values(s.size(), CONVERSION_VALUES);
            Arg x = c.tensor(s, from, v);
            DType given = c.object(to);
            Tensor y;
            if (c.rnd.nextBoolean()) {
                y = c.b.cast(x.t(), given);
            } else {
                Arg out = c.tensor(s, to, new float[v.length]);
                c.b.cast(x.t(), out.t());
                y = out.t();
            }
            if (!c.clean()) {
                return false;
            }
            int[] src = converted(v, from);
            int[] expected = new int[src.length];
            for (int i = 0; i < src.length; i++) {
                expected[i] = Conversions.convert(from, src[i], to);
            }
            if (y.dtype() != to) {
                throw new org.opentest4j.AssertionFailedError("cast to " + to + " returned " + y.dtype());
            }
            sameBits("cast " + from + " → " + to, to, expected, Agreement.rawBits(y));
            return true;
        });
        op("allFinite/unscaleIfFinite", c -> {
            int k = 1 + c.rnd.nextInt(3);
            List<Tensor> tensors = new ArrayList<>();
            List<float[]> values = new ArrayList<>();
            List<DType> types = new ArrayList<>();
            boolean integer = false;
            for (int j = 0; j < k; j++) {
                DType d = c.rnd.nextInt(12) == 0 ? (c.rnd.nextBoolean() ? DType.INT32 : DType.UINT8)
                        : c.rnd.nextBoolean() ? DType.FLOAT32 : c.half();
                Shape s = c.shape();
                float[] v = c.rnd.nextInt(3) == 0 ? c.values(s.size(), CONVERSION_VALUES) : c.values(s.size(), false);
                Arg a = c.tensor(s, d, v);
                d = a.t() == null ? d : a.t().dtype(); // a WRONG_DTYPE fault changes it
                integer |= !d.isFloatingPoint();
                tensors.add(a.t());
                values.add(v);
                types.add(d);
            }
            boolean twice = c.rnd.nextInt(15) == 0;
            if (twice) {
                tensors.add(tensors.get(0));
                values.add(values.get(0));
                types.add(types.get(0));
            }
            List<Tensor> given = c.rnd.nextInt(30) == 0 ? null : tensors;
            boolean finite = true;
            for (int j = 0; j < values.size(); j++) {
                if (types.get(j).isFloatingPoint()) {
                    for (int bitsOf : converted(values.get(j), types.get(j))) {
                        finite &= Float.isFinite(Conversions.toFloat(types.get(j), bitsOf));
                    }
                }
            }
            if (c.rnd.nextBoolean()) {
                boolean r = c.b.allFinite(given);
                if (given == null || integer) {
                    throw accepted(given == null ? "a null list" : "an integer tensor");
                }
                if (c.clean() && r != finite) {
                    throw new org.opentest4j.AssertionFailedError("allFinite said " + r + " for tensors of " + types);
                }
                return c.clean();
            }
            float scale = c.param(1024f);
            boolean r = c.b.unscaleIfFinite(given, scale);
            if (given == null || integer || twice) {
                throw accepted(given == null ? "a null list" : integer ? "an integer tensor" : "a tensor listed twice");
            }
            if (!c.clean()) {
                return false;
            }
            if (r != finite) {
                throw new org.opentest4j.AssertionFailedError("unscaleIfFinite said " + r + " for tensors of " + types);
            }
            float inverse = 1f / 1024f;
            for (int j = 0; j < tensors.size(); j++) {
                DType d = types.get(j);
                int[] before = converted(values.get(j), d);
                if (!r) {
                    sameBits("unscaleIfFinite left tensor " + j + " as it was", d, before, Agreement.rawBits(tensors.get(j)));
                    continue;
                }
                double[] e = new double[before.length];
                for (int i = 0; i < e.length; i++) {
                    e[i] = (double) Conversions.toFloat(d, before[i]) * inverse;
                }
                if (d == DType.FLOAT32) {
                    c.agree("unscaleIfFinite tensor " + j, Tolerances.SCALE, e, tensors.get(j).toArray(), null, null);
                } else {
                    Agreement.assertHalfNear("unscaleIfFinite tensor " + j + " in " + d, d, e, tensors.get(j).toArray(), 1e-7);
                }
            }
            return true;
        });
        op("arithmetic and activations in bf16 and fp16", c -> {
            DType h = c.half();
            Shape s = c.shape();
            int n = (int) s.size();
            int kind = c.rnd.nextInt(5);
            float[] a = Agreement.roundedTo(h, c.values(n, kind < 2 ? Inputs.SPECIALS : Inputs.FINITE_SPECIALS));
            Arg x = c.tensor(s, h, a);
            double[] e = new double[n];
            Tensor y;
            double slack = 1e-7;
            String what;
            switch (kind) {
                case 0 -> {
                    float[] bv = Agreement.roundedTo(h, c.values(n, Inputs.SPECIALS));
                    Arg other = c.tensor(s, h, bv);
                    int op = c.rnd.nextInt(3);
                    what = new String[] {"add", "sub", "mul"}[op] + " in " + h;
                    y = switch (op) {
                        case 0 -> c.b.add(x.t(), other.t());
                        case 1 -> c.b.sub(x.t(), other.t());
                        default -> c.b.mul(x.t(), other.t());
                    };
                    for (int i = 0; i < n; i++) {
                        e[i] = op == 0 ? (double) a[i] + bv[i] : op == 1 ? (double) a[i] - bv[i] : (double) a[i] * bv[i];
                    }
                }
                case 1 -> {
                    float f = c.param(1.7f);
                    what = "scale in " + h;
                    y = c.b.scale(x.t(), f);
                    for (int i = 0; i < n; i++) {
                        e[i] = (double) a[i] * f;
                    }
                }
                case 2 -> {
                    Activation act = c.activation();
                    what = act + " forward in " + h;
                    y = c.b.activation(x.t(), act);
                    slack = 1e-6;
                    for (int i = 0; act != null && i < n; i++) {
                        e[i] = ActivationOracle.forward(act, a[i]);
                    }
                }
                case 4 -> {
                    DType alphaType = c.rnd.nextBoolean() ? DType.FLOAT32 : h;
                    float av = Agreement.roundedTo(alphaType, new float[] {c.param(0.25f)})[0];
                    what = "PReLU in " + h + " with α " + av + " in " + alphaType;
                    Arg alpha = c.tensor(Shape.of(1), alphaType, new float[] {av});
                    y = c.b.prelu(x.t(), alpha.t());
                    for (int i = 0; i < n; i++) {
                        e[i] = a[i] > 0 ? a[i] : (double) av * a[i];
                    }
                }
                default -> {
                    Activation act = c.activation();
                    what = act + " backward in " + h;
                    float[] dyv = Agreement.roundedTo(h, c.values(n, false));
                    Arg dy = c.tensor(s, h, dyv);
                    Tensor fwd = x.t() == null || act == null ? null : c.b.activation(x.t(), act);
                    y = c.b.activationBackward(dy.t(), x.t(), fwd, act);
                    if (!c.clean()) {
                        return false;
                    }
                    float[] yv = fwd.toArray();
                    slack = 2e-5;
                    for (int i = 0; i < n; i++) {
                        e[i] = ActivationOracle.backward(act, dyv[i], a[i], yv[i]);
                    }
                }
            }
            if (!c.clean()) {
                return false;
            }
            if (y.dtype() != h) {
                throw new org.opentest4j.AssertionFailedError(what + " returned " + y.dtype());
            }
            Agreement.assertHalfNear(what, h, e, y.toArray(), slack);
            return true;
        });
        op("matmul, linear and softmax in bf16 and fp16", c -> {
            DType h = c.half();
            double u = 0x1p-24;
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    int m = c.dim(40);
                    int k = c.dim(40);
                    int n = c.dim(40);
                    boolean transA = c.rnd.nextBoolean();
                    boolean transB = c.rnd.nextBoolean();
                    float[] a = Agreement.roundedTo(h, c.values((long) m * k, false));
                    float[] bv = Agreement.roundedTo(h, c.values((long) k * n, false));
                    Arg ta = c.tensor(transA ? Shape.of(k, m) : Shape.of(m, k), h, a);
                    Arg tb = c.tensor(transB ? Shape.of(n, k) : Shape.of(k, n), h, bv);
                    DType outType = c.rnd.nextBoolean() ? DType.FLOAT32 : h;
                    float alpha = 1.5f;
                    float beta = c.rnd.nextBoolean() ? 0f : 0.5f;
                    float[] c0 = Agreement.roundedTo(outType, c.values((long) m * n, false));
                    Tensor out;
                    if (!transA && !transB && c.rnd.nextInt(3) == 0) {
                        outType = h;
                        alpha = 1f;
                        beta = 0f;
                        out = c.b.matmul(ta.t(), tb.t());
                    } else {
                        out = c.tensor(Shape.of(m, n), outType, c0).t();
                        c.b.matmul(ta.t(), transA, tb.t(), transB, out, alpha, beta);
                    }
                    if (!c.clean()) {
                        return false;
                    }
                    if (out.dtype() != outType) {
                        throw new org.opentest4j.AssertionFailedError("matmul of " + h + " operands wrote " + out.dtype()
                                + " where " + outType + " was asked");
                    }
                    float[] got = out.toArray();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double e = beta * (double) c0[i * n + j];
                            double mag = Math.abs(e);
                            for (int q = 0; q < k; q++) {
                                double prod = alpha * (double) a[transA ? q * m + i : i * k + q]
                                        * bv[transB ? j * k + q : q * n + j];
                                e += prod;
                                mag += Math.abs(prod);
                            }
                            // float32 accumulation (k-scaled), then one rounding to a half-precision C.
                            double bound = (k + 2) * u * mag + (outType == DType.FLOAT32 ? 0 : Agreement.halfUlp(h, e));
                            if (!(Math.abs(got[i * n + j] - e) <= bound)) {
                                throw new org.opentest4j.AssertionFailedError(String.format(Locale.ROOT,
                                        "matmul of %s operands (m=%d k=%d n=%d, transA=%b, transB=%b, beta=%s) into %s: C[%d][%d] is %s, "
                                                + "the reference %s, allowed %s", h, m, k, n, transA, transB, beta, outType, i, j,
                                        got[i * n + j], e, bound));
                            }
                        }
                    }
                    return true;
                }
                case 1 -> {
                    int rows = c.dim(9);
                    int in = c.dim(20);
                    int outDim = c.dim(20);
                    float[] xv = Agreement.roundedTo(h, c.values((long) rows * in, false));
                    float[] wv = Agreement.roundedTo(h, c.values((long) in * outDim, false));
                    float[] bv = Agreement.roundedTo(h, c.values(outDim, false));
                    Arg x = c.tensor(Shape.of(rows, in), h, xv);
                    Arg w = c.tensor(Shape.of(in, outDim), h, wv);
                    Arg bias = c.rnd.nextBoolean() ? c.tensor(Shape.of(outDim), h, bv) : null;
                    Activation act = c.object(c.rnd.nextBoolean() ? Activation.RELU : Activation.IDENTITY);
                    LinearOutput o = c.b.linear(x.t(), w.t(), bias == null ? null : bias.t(), act);
                    if (!c.clean()) {
                        return false;
                    }
                    if (o.output().dtype() != h || o.preActivation().dtype() != h) {
                        throw new org.opentest4j.AssertionFailedError("linear on " + h + " wrote " + o.output().dtype());
                    }
                    float[] y = o.output().toArray();
                    float[] z = o.preActivation().toArray();
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < outDim; j++) {
                            double e = bias == null ? 0 : bv[j];
                            double mag = Math.abs(e);
                            for (int q = 0; q < in; q++) {
                                double prod = (double) xv[r * in + q] * wv[q * outDim + j];
                                e += prod;
                                mag += Math.abs(prod);
                            }
                            double bound = (in + 2) * u * mag + Agreement.halfUlp(h, e);
                            double ey = act == Activation.RELU ? Math.max(0, e) : e;
                            if (!(Math.abs(z[r * outDim + j] - e) <= bound) || !(Math.abs(y[r * outDim + j] - ey) <= bound)) {
                                throw new org.opentest4j.AssertionFailedError(String.format(Locale.ROOT,
                                        "linear %s in %s (rows=%d in=%d out=%d, bias=%b): [%d][%d] z %s y %s, the reference z %s, "
                                                + "allowed %s", act, h, rows, in, outDim, bias != null, r, j, z[r * outDim + j],
                                        y[r * outDim + j], e, bound));
                            }
                        }
                    }
                    return true;
                }
                default -> {
                    int rows = c.dim(9);
                    int cols = 1 + c.dim(40);
                    boolean log = c.rnd.nextBoolean();
                    float[] xv = Agreement.roundedTo(h, c.values((long) rows * cols, Inputs.FINITE_SPECIALS));
                    Arg x = c.tensor(Shape.of(rows, cols), h, xv);
                    Tensor y = log ? c.b.logSoftmax(x.t()) : c.b.softmax(x.t());
                    if (!c.clean()) {
                        return false;
                    }
                    if (y.dtype() != h) {
                        throw new org.opentest4j.AssertionFailedError((log ? "logSoftmax" : "softmax") + " on " + h + " wrote "
                                + y.dtype());
                    }
                    double[] e = SoftmaxOracle.forward(Inputs.widen(xv), rows, cols, log);
                    Agreement.assertHalfNear((log ? "logSoftmax" : "softmax") + " in " + h + " over " + cols + " columns", h, e,
                            y.toArray(), 1e-6 + cols * 1e-7);
                    return true;
                }
            }
        });
        op("adamStep/sgdStep with a half gradient and a half copy", c -> {
            Shape s = c.shape();
            int n = (int) s.size();
            DType gh = c.rnd.nextInt(3) == 0 ? DType.FLOAT32 : c.half();
            DType ch = c.half();
            float[] wv = c.values(n, false);
            float[] gv = Agreement.roundedTo(gh, c.values(n, false));
            Arg w = c.tensor(s, DType.FLOAT32, wv);
            Arg g = c.tensor(s, gh, gv);
            boolean self = c.rnd.nextInt(25) == 0;
            Arg copy = self ? w : c.tensor(s, ch, new float[n]);
            double[][] r;
            if (c.rnd.nextBoolean()) {
                float[] mv = c.values(n, false);
                float[] vv = c.uniform(n, 0f, 1f);
                Arg m = c.tensor(s, DType.FLOAT32, mv);
                Arg v = c.tensor(s, DType.FLOAT32, vv);
                AdamConfig cfg = AdamConfig.adam(c.param(1e-3f));
                long step = c.longParam(3);
                c.b.adamStep(w.t(), g.t(), m.t(), v.t(), cfg, step, copy.t());
                if (self) {
                    throw accepted("w as its own half copy");
                }
                if (!c.clean()) {
                    return false;
                }
                r = OptimizerOracle.adam(Inputs.widen(wv), Inputs.widen(gv), Inputs.widen(mv), Inputs.widen(vv), cfg, step);
                c.agree("adam w with a " + gh + " gradient", Tolerances.ADAM, r[0], w.t().toArray(), r[3], wv);
                c.agree("adam m with a " + gh + " gradient", Tolerances.ADAM, r[1], m.t().toArray(), r[4], null);
                c.agree("adam v with a " + gh + " gradient", Tolerances.ADAM, r[2], v.t().toArray(), r[5], null);
            } else {
                float momentum = c.rnd.nextBoolean() ? 0f : 0.9f;
                float[] velv = c.values(n, false);
                Arg vel = momentum != 0f || c.rnd.nextBoolean() ? c.tensor(s, DType.FLOAT32, velv) : null;
                SgdConfig cfg = new SgdConfig(c.param(0.1f), momentum, false, 0f, 0f);
                c.b.sgdStep(w.t(), g.t(), vel == null ? null : vel.t(), cfg, copy.t());
                if (self) {
                    throw accepted("w as its own half copy");
                }
                if (!c.clean()) {
                    return false;
                }
                r = OptimizerOracle.sgd(Inputs.widen(wv), Inputs.widen(gv), vel == null ? null : Inputs.widen(velv), cfg);
                c.agree("sgd w with a " + gh + " gradient", Tolerances.SGD, r[0], w.t().toArray(), r[2], wv);
                if (vel != null) {
                    c.agree("sgd velocity with a " + gh + " gradient", Tolerances.SGD, r[1], vel.t().toArray(), r[3], velv);
                }
            }
            sameBits("the " + ch + " copy of the updated w", ch, converted(w.t().toArray(), ch), Agreement.rawBits(copy.t()));
            return true;
        });
        op("INT32 labels, argmax into INT32, UINT8 masks", c -> {
            switch (c.rnd.nextInt(3)) {
                case 0 -> {
                    int rows = c.dim(9);
                    int classes = 1 + c.dim(8);
                    Arg logits = c.tensor(Shape.of(rows, classes), false);
                    int[] labels = new int[rows];
                    for (int i = 0; i < rows; i++) {
                        labels[i] = c.rnd.nextInt(classes);
                    }
                    boolean outOfRange = rows > 0 && c.fault == Fault.BAD_PARAM && c.hit(false);
                    if (outOfRange) {
                        labels[c.rnd.nextInt(rows)] = c.rnd.nextBoolean() ? -1 : classes;
                    }
                    float[] lf = new float[rows];
                    for (int i = 0; i < rows; i++) {
                        lf[i] = labels[i];
                    }
                    Arg lt = c.tensor(Shape.of(rows), DType.INT32, lf);
                    Reduction r = c.object(c.rnd.nextBoolean() ? Reduction.MEAN : Reduction.SUM);
                    LossAndGradient lg = c.b.softmaxCrossEntropy(logits.t(), lt.t(), r);
                    if (outOfRange) {
                        throw accepted("an INT32 label outside [0, " + classes + ")");
                    }
                    if (!c.clean() || rows == 0) {
                        return false;
                    }
                    double e = LossOracle.crossEntropy(logits.d(), labels, null, rows, classes, r);
                    c.agree("softmaxCrossEntropy with INT32 labels", Tolerances.SOFTMAX_CROSS_ENTROPY, e, lg.loss().item(),
                            (Math.abs(e) + 1) * classes);
                    return true;
                }
                case 1 -> {
                    int rows = c.dim(9);
                    int cols = c.dim(9);
                    DType xd = c.rnd.nextBoolean() ? DType.FLOAT32 : c.half();
                    float[] xv = Agreement.roundedTo(xd, c.values((long) rows * cols, true));
                    Arg x = c.tensor(Shape.of(rows, cols), xd, xv);
                    Arg out = c.tensor(Shape.of(rows), DType.INT32, new float[rows]);
                    c.b.argmax(x.t(), out.t());
                    if (x.t().shape().lastDim() == 0) {
                        throw accepted("argmax over an empty last axis");
                    }
                    if (!c.clean()) {
                        return false;
                    }
                    int[] expected = c.b.argmax(x.t());
                    sameBits("argmax into INT32 against argmax into int[]", DType.INT32, expected, out.t().toIntArray());
                    return true;
                }
                default -> {
                    Shape s = c.shape();
                    int n = (int) s.size();
                    DType xd = c.rnd.nextBoolean() ? DType.FLOAT32 : c.half();
                    float[] xv = Agreement.roundedTo(xd, c.values(n, true));
                    Arg x = c.tensor(s, xd, xv);
                    Arg y = c.tensor(s, xd, new float[n]);
                    Arg mask = c.tensor(s, DType.UINT8, new float[n]);
                    float p = c.param(0.3f);
                    long seed = c.rnd.nextLong();
                    c.b.dropout(x.t(), p, seed, 7, y.t(), mask.t());
                    if (!c.clean()) {
                        return false;
                    }
                    // The float mask path of the same backend: the same draws, so the same bits.
                    Tensor y2 = c.b.empty(xd, s);
                    Tensor m2 = c.b.empty(DType.FLOAT32, s);
                    c.b.dropout(x.t(), p, seed, 7, y2, m2);
                    sameBits("dropout's y with a UINT8 mask against a float mask", xd, Agreement.rawBits(y2), Agreement.rawBits(y.t()));
                    sameBits("the UINT8 mask against the float mask", DType.UINT8, converted(m2.toArray(), DType.UINT8),
                            Agreement.rawBits(mask.t()));
                    float[] dyv = Agreement.roundedTo(xd, c.values(n, false));
                    Tensor dy = c.b.empty(xd, s);
                    dy.copyFrom(dyv);
                    sameBits("dropoutBackward with a UINT8 mask against a float mask", xd,
                            Agreement.rawBits(c.b.dropoutBackward(dy, m2, p)), Agreement.rawBits(c.b.dropoutBackward(dy, mask.t(), p)));
                    return true;
                }
            }
        });
    }

    /**
     * Runs {@code use} on {@code bytes} of memory confined to another thread, which frees it once {@code use} has
     * returned (or thrown): the memory a caller must not be able to reach from this thread.
     */
    private static void withForeignSegment(long bytes, java.util.function.Consumer<MemorySegment> use) {
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        MemorySegment[] seg = new MemorySegment[1];
        Thread other = Thread.ofPlatform().daemon().start(() -> {
            try (Arena arena = Arena.ofConfined()) {
                try {
                    seg[0] = arena.allocate(bytes + 4, 16).asSlice(0, bytes);
                } finally {
                    ready.countDown();
                }
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            ready.await();
            use.accept(seg[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            done.countDown();
            try {
                other.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
