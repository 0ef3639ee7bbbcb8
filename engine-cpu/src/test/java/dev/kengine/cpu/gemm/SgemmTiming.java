package dev.kengine.cpu.gemm;

import dev.kengine.cpu.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Times SGEMM at square sizes on 1 and 2 threads (not a unit test; run with java directly, see
 * engine-cpu/GEMM-NOTES.md). Each figure is the median of several repetitions after a warm-up;
 * GFLOP/s = 2*m*n*k / time. Arguments (all optional): {@code sizes=64,128 threads=1,2 simd=true
 * trans=NN reps=7 kernel=true openblas=true}. When libopenblas.so.0 is installed, OpenBLAS's
 * cblas_sgemm is timed beside it in the same run (called through java.lang.foreign, so no
 * dependency is needed); run with --enable-native-access=ALL-UNNAMED to silence the warning.
 */
public final class SgemmTiming {

    private SgemmTiming() {
    }

    public static void main(String[] args) {
        int[] sizes = {64, 128, 256, 512, 1024, 2048};
        int[] threadCounts = {1, 2};
        boolean simd = true;
        boolean ta = false;
        boolean tb = false;
        int reps = 7;
        boolean kernel = true;
        boolean useOpenBlas = true;
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "sizes" -> sizes = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "threads" -> threadCounts = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "simd" -> simd = Boolean.parseBoolean(kv[1]);
                case "trans" -> {
                    ta = kv[1].charAt(0) == 'T';
                    tb = kv[1].charAt(1) == 'T';
                }
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "kernel" -> kernel = Boolean.parseBoolean(kv[1]);
                case "openblas" -> useOpenBlas = Boolean.parseBoolean(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        if (kernel && simd) {
            kernelInL1(reps);
        }
        OpenBlas blas = useOpenBlas ? OpenBlas.load() : null;
        System.out.printf(Locale.ROOT, "SGEMM simd=%b op=%s%s, GFLOP/s median/best of %d%n", simd, ta ? "T" : "N",
                tb ? "T" : "N", reps);
        System.out.printf(Locale.ROOT, "%6s", "size");
        for (int t : threadCounts) {
            System.out.printf(Locale.ROOT, " %11s", t + " thr");
            if (blas != null) {
                System.out.printf(Locale.ROOT, " %11s %5s", "OpenBLAS " + t, "ratio");
            }
        }
        System.out.println();
        for (int size : sizes) {
            System.out.printf(Locale.ROOT, "%6d", size);
            for (int t : threadCounts) {
                double median;
                try (Parallel par = new Parallel(t)) {
                    best = 0;
                    median = measure(par, simd, ta, tb, size, reps);
                    System.out.printf(Locale.ROOT, " %5.1f/%5.1f", median, best);
                }
                if (blas != null) {
                    best = 0;
                    double ref = blas.measure(t, ta, tb, size, reps);
                    System.out.printf(Locale.ROOT, " %5.1f/%5.1f %5.2f", ref, best, median / ref);
                }
            }
            System.out.println();
        }
    }

    private static double measure(Parallel par, boolean simd, boolean ta, boolean tb, int n, int reps) {
        var rnd = new SplittableRandom(n);
        float[] a = new float[n * n];
        float[] b = new float[n * n];
        float[] c = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextDouble();
            b[i] = (float) rnd.nextDouble();
        }
        Runnable call = () -> Sgemm.sgemm(par, simd, ta, tb, n, n, n, 1f, a, 0, b, 0, 0f, c, 0);
        return time(call, n, reps);
    }

    /** Median GFLOP/s of {@code call} (an n^3 product) over reps after a warm-up; also updates {@link #best}. */
    private static double time(Runnable call, int n, int reps) {
        double flops = 2.0 * n * n * n;
        int calls = (int) Math.max(1, 2e9 / flops);
        long warmEnd = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < warmEnd) {
            call.run();
        }
        double[] gflops = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                call.run();
            }
            gflops[r] = flops * calls / (System.nanoTime() - t0);
        }
        Arrays.sort(gflops);
        best = Math.max(best, gflops[reps - 1]);
        return gflops[reps / 2];
    }

    /** The best repetition of the last {@link #measure} call: less sensitive to other processes on a shared machine. */
    private static double best;

    /** OpenBLAS's cblas_sgemm through java.lang.foreign, on heap arrays (critical downcalls). */
    @SuppressWarnings("restricted")
    private record OpenBlas(MethodHandle sgemm, MethodHandle setThreads) {

        static OpenBlas load() {
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup("libopenblas.so.0", Arena.global());
                Linker linker = Linker.nativeLinker();
                var i = ValueLayout.JAVA_INT;
                var f = ValueLayout.JAVA_FLOAT;
                var p = ValueLayout.ADDRESS;
                MethodHandle sgemm = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(),
                        FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i),
                        Linker.Option.critical(true));
                MethodHandle threads = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                        FunctionDescriptor.ofVoid(i));
                return new OpenBlas(sgemm, threads);
            } catch (RuntimeException | LinkageError e) {
                System.out.println("OpenBLAS not timed: " + e);
                return null;
            }
        }

        double measure(int threads, boolean ta, boolean tb, int n, int reps) {
            try {
                setThreads.invokeExact(threads);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
            var rnd = new SplittableRandom(n);
            float[] a = new float[n * n];
            float[] b = new float[n * n];
            float[] c = new float[n * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextDouble();
                b[i] = (float) rnd.nextDouble();
            }
            MemorySegment sa = MemorySegment.ofArray(a);
            MemorySegment sb = MemorySegment.ofArray(b);
            MemorySegment sc = MemorySegment.ofArray(c);
            // CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112
            int opA = ta ? 112 : 111;
            int opB = tb ? 112 : 111;
            return time(() -> {
                try {
                    sgemm.invokeExact(101, opA, opB, n, n, n, 1f, sa, n, sb, n, 0f, sc, n);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
            }, n, reps);
        }
    }

    /** The SIMD macro-kernel alone on one 14 x 32 tile with kc = 256 (all operands in L1): the ceiling. */
    private static void kernelInL1(int reps) {
        GemmKernel k = new dev.kengine.cpu.simd.GemmSimdKernel();
        int kc = 256;
        int mc = k.mr() * 2;
        int nc = k.nr();
        float[] ap = new float[k.packedASize(mc, kc)];
        float[] bp = new float[nc * kc];
        float[] c = new float[mc * nc];
        Arrays.fill(ap, 0.5f);
        Arrays.fill(bp, 0.25f);
        int calls = 20_000;
        for (boolean transA : new boolean[] {false, true}) {
            double[] gflops = new double[reps];
            for (int r = -3; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    k.macroKernel(transA, mc, nc, kc, ap, bp, 0, c, 0, nc, 1f, 0f);
                }
                if (r >= 0) {
                    gflops[r] = 2.0 * mc * nc * kc * calls / (System.nanoTime() - t0);
                }
            }
            Arrays.sort(gflops);
            System.out.printf(Locale.ROOT, "micro-kernel %dx%d, kc=%d, A packed %s, in L1: %.1f GFLOP/s%n", k.mr(),
                    k.nr(), kc, transA ? "interleaved" : "row-major", gflops[reps / 2]);
        }
    }
}
