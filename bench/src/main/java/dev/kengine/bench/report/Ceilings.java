package dev.kengine.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's own ceilings, measured first in every report so that each op is judged against the
 * hardware it actually ran on, in the same conditions: FMA throughput (a Vector API loop of
 * independent FMA chains, enough of them to cover the FMA latency on both ports) and copy
 * bandwidth (a plain loop copying a float[] far larger than the caches, counted as 8 bytes per
 * element: one read, one write, as the ops' byte counts are). Each on 1 and on N threads at once.
 */
public final class Ceilings {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** GFLOP/s and GB/s at one thread count. */
    public record Ceiling(int threads, double fmaGflops, double copyGBs, double arraycopyGBs) {}

    private Ceilings() {}

    public static List<Ceiling> measure(List<Integer> threadCounts, long copyFloats, double seconds) {
        List<Ceiling> out = new ArrayList<>();
        for (int t : threadCounts) {
            out.add(new Ceiling(t, fma(t, seconds), copy(t, copyFloats, seconds, false), copy(t, copyFloats, seconds, true)));
        }
        return out;
    }

    /** The vector width in floats of the preferred species (16 with AVX-512). */
    public static int lanes() {
        return S.length();
    }

    // 12 chains × 4-cycle latency / 2 ports: enough independent FMAs in flight to saturate both ports.
    static float fmaKernel(long iterations, float seed) {
        FloatVector a = FloatVector.broadcast(S, 0.999999f);
        FloatVector b = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, seed), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3);
        FloatVector c4 = c0.add(4), c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7);
        FloatVector c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        for (long i = 0; i < iterations; i++) {
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    static double fma(int threads, double seconds) {
        // Warm up until C2 has compiled the kernel as a whole method (not just an OSR loop), then
        // size one run to a third of the time asked for, and keep the best of three.
        long warmEnd = System.nanoTime() + 150_000_000L;
        for (int i = 0; i < 3000 || System.nanoTime() < warmEnd; i++) {
            sink += fmaKernel(256, i);
        }
        long calib = 1 << 14;
        double t;
        while (true) {
            long t0 = System.nanoTime();
            sink += fmaKernel(calib, 1f);
            t = (System.nanoTime() - t0) * 1e-9;
            if (t >= 0.01) {
                break;
            }
            calib *= 2;
        }
        long iters = Math.max(calib, (long) (calib * (seconds / 3) / t));
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            double el = parallel(threads, id -> sink += fmaKernel(iters, id));
            best = Math.max(best, threads * iters * 12.0 * S.length() * 2 / el / 1e9);
        }
        return best;
    }

    static volatile float sink;

    static double copy(int threads, long floats, double seconds, boolean arraycopy) {
        int n = (int) Math.min(floats, Integer.MAX_VALUE - 16);
        float[] src = new float[n];
        float[] dst = new float[n];
        for (int i = 0; i < n; i++) {
            src[i] = i;
        }
        int chunk = (n + threads - 1) / threads;
        double best = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int reps = 0;
        do {
            double el = parallel(threads, id -> {
                int lo = Math.min(n, id * chunk);
                int hi = Math.min(n, lo + chunk);
                if (arraycopy) {
                    System.arraycopy(src, lo, dst, lo, hi - lo);
                } else {
                    copyLoop(src, dst, lo, hi);
                }
            });
            best = Math.max(best, 8.0 * n / el / 1e9);
            reps++;
        } while (reps < 4 || System.nanoTime() < end);
        return best;
    }

    /**
     * The copy loop on {@code threads} threads over the first {@code floats} floats of {@code buffers} (source and
     * destination, as {@link #interleaved} takes them): the best of at least four repetitions and as many more as fit
     * in {@code seconds}, each repetition copying often enough to last about a millisecond (so that a copy which fits
     * in a cache is not timed by the thread start alone). 8 bytes a float, as the ops' byte counts are.
     */
    static double copyOn(int threads, float[][] buffers, long floats, double seconds) {
        float[] src = buffers[0];
        float[] dst = buffers[1];
        int n = (int) Math.max(1, Math.min(floats, src.length));
        int chunk = (n + threads - 1) / threads;
        Work once = id -> copyLoop(src, dst, Math.min(n, id * chunk), Math.min(n, id * chunk + chunk));
        double first = parallel(threads, once);
        int inner = (int) Math.max(1, Math.min(1 << 16, 1e-3 / Math.max(first, 1e-9)));
        double best = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int reps = 0;
        do {
            double el = parallel(threads, id -> {
                for (int i = 0; i < inner; i++) {
                    once.run(id);
                }
            });
            best = Math.max(best, 8.0 * n * inner / el / 1e9);
            reps++;
        } while (reps < 4 || System.nanoTime() < end);
        return best;
    }

    /**
     * An op's time per run and the copy loop's bandwidth, measured in alternation (copy, op, copy, op, …), so that
     * both see the same host. On this shared machine the copy loop measured anywhere from 26 to 48 GB/s on two
     * threads within minutes (the full report of bebc07b); a ceiling taken at the start of a run judges a row
     * against conditions it may never have had. Each op repetition runs it often enough to last about as long as
     * the plan's minimum repetition; each copy repetition copies {@code floats} floats once on {@code threads}
     * threads (the caller passes the op's own traffic, bytes / 8, so that both touch as much memory).
     *
     * The op's fraction of the copy loop is the median of each pair's ratio (op GB/s over the copy loop's just
     * before it), as the anchors' alternations are judged: a burst of the host that lasts a pair moves both sides
     * of it, while the ratio of the two medians can take them from different minutes.
     *
     * @return {median seconds per op run, median copy-loop GB/s, median of the pairs' op/copy bandwidth ratios}
     */
    static double[] interleaved(Runnable op, Runnable sync, double opSeconds, int threads, float[][] buffers,
                                long floats, Timing.Plan plan) {
        float[] src = buffers[0];
        float[] dst = buffers[1];
        int n = (int) Math.max(1, Math.min(floats, src.length));
        int chunk = (n + threads - 1) / threads;
        int inner = Timing.runsPerRepetition(plan, opSeconds);
        // The copy repeats as often as fills the same time, so that both see the caches the same way (the op's
        // arrays stay warm across its inner runs; at a few MiB they partly fit the L3).
        double once = parallel(threads, id -> copyLoop(src, dst, Math.min(n, id * chunk), Math.min(n, id * chunk + chunk)));
        int copyInner = Timing.runsPerRepetition(plan, once);
        int reps = Math.max(3, plan.repetitions());
        double[] opT = new double[reps];
        double[] copy = new double[reps];
        for (int r = 0; r < reps; r++) {
            double el = parallel(threads, id -> {
                int lo = Math.min(n, id * chunk);
                int hi = Math.min(n, lo + chunk);
                for (int i = 0; i < copyInner; i++) {
                    copyLoop(src, dst, lo, hi);
                }
            });
            copy[r] = 8.0 * n * copyInner / el / 1e9;
            opT[r] = Timing.secondsPerRun(op, sync, inner, System::nanoTime);
        }
        return new double[] {Timing.of(opT, inner).median(), Timing.of(copy, 1).median(), pairedFraction(opT, copy, 8.0 * floats)};
    }

    /**
     * The median over pairs of the op's bandwidth ({@code bytes} per {@code opSeconds[r]}) over the copy loop's
     * ({@code copyGBs[r]}, measured just before it).
     */
    static double pairedFraction(double[] opSeconds, double[] copyGBs, double bytes) {
        double[] ratio = new double[opSeconds.length];
        for (int r = 0; r < ratio.length; r++) {
            ratio[r] = bytes / opSeconds[r] / 1e9 / copyGBs[r];
        }
        return Timing.of(ratio, 1).median();
    }

    static void copyLoop(float[] src, float[] dst, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            dst[i] = src[i];
        }
    }

    interface Work {
        void run(int id);
    }

    /** Runs work on {@code threads} threads started together; the wall time of the slowest, in seconds. */
    static double parallel(int threads, Work work) {
        if (threads == 1) {
            long t0 = System.nanoTime();
            work.run(0);
            return (System.nanoTime() - t0) * 1e-9;
        }
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        CyclicBarrier done = new CyclicBarrier(threads + 1);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    work.run(id);
                    done.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            th.setDaemon(true);
            th.start();
            ts.add(th);
        }
        try {
            // The clock starts before the release: on a busy machine the workers may finish before
            // this thread is scheduled again after the barrier trips.
            long t0 = System.nanoTime();
            start.await();
            done.await();
            double el = (System.nanoTime() - t0) * 1e-9;
            for (Thread th : ts) {
                th.join();
            }
            return el;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
