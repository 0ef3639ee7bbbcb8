package dev.kengine.bench.peer;

import dev.kengine.bench.report.Timing;

/**
 * How a peer times an op, the same in {@code torch_peer.py} (with {@code time.perf_counter}) and in
 * {@link Nd4jServer} (with {@link System#nanoTime}): a warm-up of at least {@value #MIN_WARMUP_RUNS} runs and the
 * plan's warm-up time, then repetitions of R runs each (R so that a repetition lasts the plan's minimum), each timed
 * around its R runs; the seconds per run of each repetition go back to the report, which takes their median
 * ({@link Timing#of}). The engine's own rows are timed by {@link Timing#measure} under the same plan; a peer's row and
 * the CPU backend's are then compared as the ratio of their medians.
 */
public final class PeerTiming {
    /** Warm-up runs at least, within the plan's cap. */
    public static final int MIN_WARMUP_RUNS = 3;

    private PeerTiming() {}

    /** What a peer measured: runs per repetition and seconds per run of each repetition. */
    public record Measured(int runs, double[] seconds) {}

    /** Times {@code op} under {@code plan}. */
    public static Measured measure(Runnable op, Timing.Plan plan) {
        long begin = System.nanoTime();
        double cap = Math.max(plan.warmupSeconds() * 4, plan.maxSeconds());
        double best = Double.POSITIVE_INFINITY;
        int warm = 0;
        while (true) {
            long t0 = System.nanoTime();
            op.run();
            double one = (System.nanoTime() - t0) * 1e-9;
            best = Math.min(best, one);
            warm++;
            double elapsed = (System.nanoTime() - begin) * 1e-9;
            if ((warm >= MIN_WARMUP_RUNS && elapsed >= plan.warmupSeconds()) || elapsed >= cap) {
                break;
            }
        }
        int runs = runsPerRepetition(plan, best);
        int reps = repetitions(plan, best, runs);
        double[] seconds = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < runs; i++) {
                op.run();
            }
            seconds[r] = (System.nanoTime() - t0) * 1e-9 / runs;
        }
        return new Measured(runs, seconds);
    }

    /** Runs per repetition: enough for the plan's minimum repetition time (as {@link Timing} does). */
    public static int runsPerRepetition(Timing.Plan plan, double secondsPerRun) {
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(plan.minRepetitionSeconds() / Math.max(secondsPerRun, 1e-9))));
    }

    /** Repetitions: the plan's, fewer for a slow op so that the row stays within the plan's time, never fewer than 3. */
    public static int repetitions(Timing.Plan plan, double secondsPerRun, int runs) {
        return (int) Math.max(3, Math.min(plan.repetitions(), plan.maxSeconds() / Math.max(secondsPerRun * runs, 1e-9)));
    }
}
