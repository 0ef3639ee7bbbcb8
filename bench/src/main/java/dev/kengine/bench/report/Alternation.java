package dev.kengine.bench.report;

import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * The CPU backend and an anchor timed in alternation (cpu, anchor, anchor, cpu, cpu, anchor, …), each
 * repetition paired with the other's next to it, so that a ratio the targets judge comes from the same minutes
 * on both sides. On this shared 2-core host a row measured on its own can land in a window where another tenant
 * holds a core: a two-thread 2048³ row ran at 0.75 of OpenBLAS with its minimum 20 % under its median, and a
 * two-thread 256³ row at one-thread speed (bench/RESULTS.md, rounds 18, 19 and 21). Within a pair both sides see
 * the host alike, and the median of the pairs' ratios passes over the few pairs a change of window splits.
 *
 * @param cpu    the CPU backend's time per run over the repetitions
 * @param other  the anchor's
 * @param ratio  the median over pairs of the anchor's time over the CPU backend's: the CPU backend's speed-up
 */
public record Alternation(Timing cpu, Timing other, double ratio) {

    /**
     * Times {@code cpu} and {@code other}, each run followed by its own synchronisation. {@code cpuSeconds} and
     * {@code otherSeconds} are their times per run measured just before (both are warm): each repetition runs an
     * op often enough to last the plan's minimum repetition, and the repetitions are as many as the plan allows
     * within its time cap, never fewer than three pairs.
     */
    static Alternation measure(Runnable cpu, Runnable cpuSync, double cpuSeconds, Runnable other, Runnable otherSync,
                               double otherSeconds, Timing.Plan plan) {
        return measure(cpu, cpuSync, cpuSeconds, other, otherSync, otherSeconds, plan, System::nanoTime);
    }

    /** As the other {@code measure}, on the given clock (tests drive a simulated one). */
    static Alternation measure(Runnable cpu, Runnable cpuSync, double cpuSeconds, Runnable other, Runnable otherSync,
                               double otherSeconds, Timing.Plan plan, LongSupplier clock) {
        int cpuInner = inner(plan, cpuSeconds);
        int otherInner = inner(plan, otherSeconds);
        double pair = cpuSeconds * cpuInner + otherSeconds * otherInner;
        int reps = (int) Math.max(3, Math.min(plan.repetitions(), plan.maxSeconds() / Math.max(pair, 1e-9)));
        double[] c = new double[reps];
        double[] o = new double[reps];
        double[] ratios = new double[reps];
        for (int r = 0; r < reps; r++) {
            // Which side goes first alternates, so that neither always follows the other's cache footprint.
            if ((r & 1) == 0) {
                c[r] = time(cpu, cpuSync, cpuInner, clock);
                o[r] = time(other, otherSync, otherInner, clock);
            } else {
                o[r] = time(other, otherSync, otherInner, clock);
                c[r] = time(cpu, cpuSync, cpuInner, clock);
            }
            ratios[r] = o[r] / c[r];
        }
        Arrays.sort(ratios);
        double mid = (reps - 1) / 2.0;
        double ratio = (ratios[(int) Math.floor(mid)] + ratios[(int) Math.ceil(mid)]) / 2;
        return new Alternation(Timing.of(c, cpuInner), Timing.of(o, otherInner), ratio);
    }

    private static int inner(Timing.Plan plan, double seconds) {
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(plan.minRepetitionSeconds() / Math.max(seconds, 1e-9))));
    }

    private static double time(Runnable op, Runnable sync, int inner, LongSupplier clock) {
        long t0 = clock.getAsLong();
        for (int i = 0; i < inner; i++) {
            op.run();
        }
        sync.run();
        return (clock.getAsLong() - t0) * 1e-9 / inner;
    }
}
