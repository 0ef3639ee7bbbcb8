package dev.kengine.bench.report;

import java.util.Arrays;

/**
 * The timing of one op: warm-up until the JIT (or the device's kernel cache) has settled, then
 * repetitions, each long enough to dwarf the clock's resolution; seconds per run as median, spread
 * (min, max, quartiles). The synchronise hook runs inside the timed region so that a device's
 * asynchronous work is counted.
 */
public record Timing(double median, double min, double max, double q1, double q3, int repetitions, int runsPerRepetition) {

    /**
     * A row whose interquartile range is wider than this fraction of its median is measured again. It was 0.25
     * until a two-thread matmul row whose median fell to one-thread speed partway through (the host took a core)
     * came in at 0.244 and was kept (the full report of 8f89038).
     */
    static final double CALM = 0.10;

    /** How long to warm up and measure. */
    public record Plan(double warmupSeconds, int repetitions, double minRepetitionSeconds, double maxSeconds) {
        public static final Plan QUICK = new Plan(0.05, 5, 0.01, 0.4);
        public static final Plan FULL = new Plan(0.4, 11, 0.03, 6.0);
        /** For tests: next to no time. */
        public static final Plan TINY = new Plan(0.0, 3, 0.0, 0.2);
    }

    /**
     * Runs of the op a timed warm-up makes at least (within the plan's cap): a kernel method called only a few times
     * per run, such as an edge tile, reaches C2 only after some dozens of runs, and until then runs at a steady
     * interpreted or C1 speed that does not look like warming up. In a --quick report (50 ms of warm-up) the
     * one-thread 512³ matmul row was measured so, at 15–42 GFLOP/s with a spread under 4 % (106 when warm): its
     * 8-row edge tile reached C2 only after the row (-XX:+PrintCompilation), because the 128³ rows before it no
     * longer used the packed kernels. Waiting for the JIT's compilation counter to stop moving did not catch it.
     */
    static final int MIN_WARMUP_RUNS = 20;

    /**
     * The longest a timed warm-up goes on while the JIT keeps finishing compilations, whatever the plan's own cap.
     * A large kernel met for the first time late in a report can wait behind other compilations: in a --quick
     * report the one-thread dropout row (a 2665-byte method, two Philox chains written out) ran at 55 ms a call,
     * in C1, for the plan's whole 0.4 s, and at 2.75 ms once C2 had it.
     */
    static final double JIT_WAIT_SECONDS = 1.5;

    /** Milliseconds the JIT has spent compiling so far (it moves as compilations finish); 0 without a JIT. */
    static long jitMillis() {
        java.lang.management.CompilationMXBean c = java.lang.management.ManagementFactory.getCompilationMXBean();
        return c != null && c.isCompilationTimeMonitoringSupported() ? c.getTotalCompilationTime() : 0;
    }

    /** Measures {@code op} (followed by {@code sync}) under {@code plan}. */
    public static Timing measure(Runnable op, Runnable sync, Plan plan) {
        return measure(op, sync, plan, System::nanoTime, Timing::jitMillis);
    }

    /** As {@link #measure(Runnable, Runnable, Plan)} with the given clocks (tests drive simulated ones). */
    static Timing measure(Runnable op, Runnable sync, Plan plan, java.util.function.LongSupplier clock,
                          java.util.function.LongSupplier jit) {
        // Warm-up: MIN_WARMUP_RUNS runs (two for a plan without warm-up time; one for a very slow op), then until
        // the warm-up time is spent and the runs have stopped getting faster (a JIT still compiling a library's
        // kernels), within the plan's cap; and, within JIT_WAIT_SECONDS, until a run goes by in which the JIT
        // finished no compilation.
        long begin = clock.getAsLong();
        long warmEnd = begin + (long) (plan.warmupSeconds * 1e9);
        long hardEnd = begin + (long) (Math.max(plan.warmupSeconds * 4, plan.maxSeconds) * 1e9);
        boolean waitForJit = plan.warmupSeconds > 0;
        long jitEnd = Math.max(hardEnd, begin + (long) (JIT_WAIT_SECONDS * 1e9));
        long compiled = jit.getAsLong();
        boolean compiling;
        int warm = 0;
        int minWarm = plan.warmupSeconds > 0 ? MIN_WARMUP_RUNS : 2;
        double one;
        double best = Double.POSITIVE_INFINITY;
        boolean improving;
        do {
            long t0 = clock.getAsLong();
            op.run();
            sync.run();
            one = (clock.getAsLong() - t0) * 1e-9;
            long compiledNow = jit.getAsLong();
            compiling = compiledNow != compiled;
            compiled = compiledNow;
            improving = one < best * 0.9;
            best = Math.min(best, one);
            warm++;
        } while ((((warm < minWarm && one < plan.maxSeconds / 2) || clock.getAsLong() < warmEnd || improving)
                && clock.getAsLong() < hardEnd) || (waitForJit && compiling && clock.getAsLong() < jitEnd));
        one = best;
        int inner = runsPerRepetition(plan, one);
        // A slow op gets fewer repetitions (never fewer than 3) so that one row stays within maxSeconds.
        int reps = (int) Math.max(3, Math.min(plan.repetitions, plan.maxSeconds / Math.max(one * inner, 1e-9)));
        // On a shared machine another process can land in the middle of a measurement: a row whose
        // spread is wide is measured again (twice at most) and the calmest attempt is kept.
        Timing chosen = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            double[] t = new double[reps];
            for (int r = 0; r < reps; r++) {
                t[r] = secondsPerRun(op, sync, inner, clock);
            }
            Timing timing = of(t, inner);
            if (chosen == null || timing.relativeIqr() < chosen.relativeIqr()) {
                chosen = timing;
            }
            if (chosen.relativeIqr() <= CALM || timing.median() * reps * inner > plan.maxSeconds) {
                break;
            }
        }
        return chosen;
    }

    /** How many runs of an op taking {@code secondsPerRun} one repetition makes: enough to last the plan's minimum. */
    static int runsPerRepetition(Plan plan, double secondsPerRun) {
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(plan.minRepetitionSeconds / Math.max(secondsPerRun, 1e-9))));
    }

    /** One repetition: {@code runs} runs of {@code op}, then {@code sync}, timed together; seconds per run. */
    static double secondsPerRun(Runnable op, Runnable sync, int runs, java.util.function.LongSupplier clock) {
        long t0 = clock.getAsLong();
        for (int i = 0; i < runs; i++) {
            op.run();
        }
        sync.run();
        return (clock.getAsLong() - t0) * 1e-9 / runs;
    }

    /** Summarises per-run times measured elsewhere (an external harness). */
    public static Timing of(double[] seconds, int runsPerRepetition) {
        double[] t = seconds.clone();
        Arrays.sort(t);
        return new Timing(quantile(t, 0.5), t[0], t[t.length - 1], quantile(t, 0.25), quantile(t, 0.75), t.length,
                runsPerRepetition);
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /** The spread as a fraction of the median: (q3 − q1) / median. */
    public double relativeIqr() {
        return (q3 - q1) / median;
    }
}
