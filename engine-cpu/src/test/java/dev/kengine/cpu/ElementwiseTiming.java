package dev.kengine.cpu;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import dev.kengine.spi.Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A timing harness (not a unit test) for the memory-bound elementwise ops, over 16M floats, with 1
 * and 2 threads, next to copy loops measured in the same run. Run after test-compile:
 * <pre>
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
 *   $J --add-modules jdk.incubator.vector -Xmx3g -cp engine-api/target/classes:engine-cpu/target/classes:engine-cpu/target/test-classes \
 *      dev.kengine.cpu.ElementwiseTiming [reps=7] [threads=1,2] [simd=true] [filter=substring] [n=16777216]
 * </pre>
 * Each figure is the median of {@code reps} timed calls after warm-up calls. Bytes are counted
 * honestly: every array an op must read or write, once (a loop copy reads 4 and writes 4 bytes an
 * element; write-allocate traffic is not counted for anyone). "plain" is the fraction of the
 * plain-loop copy bandwidth with the same thread count, "acopy" of System.arraycopy's.
 */
public final class ElementwiseTiming {

    private record Result(String op, int threads, double gbs, double gElems) {}

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int reps = 7;
        int[] threadCounts = {1, 2};
        boolean simd = true;
        String filter = "";
        int n = 1 << 24;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "threads" -> threadCounts = Arrays.stream(kv[1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "simd" -> simd = Boolean.parseBoolean(kv[1]);
                case "filter" -> filter = kv[1];
                case "n" -> n = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException(a);
            }
        }
        System.out.printf("n=%d reps=%d simd=%b kernels=%s java=%s%n", n, reps, simd,
                SimdSelection.kernels(simd, false).description(), Runtime.version());
        List<Result> all = new ArrayList<>();
        for (int t : threadCounts) {
            all.addAll(runAll(t, simd, n, reps, filter));
        }
    }

    private static List<Result> runAll(int threads, boolean simd, int n, int reps, String filter) {
        CpuDriver d = (CpuDriver) new CpuProvider().open(Map.of("threads", Integer.toString(threads), "simd", Boolean.toString(simd)));
        List<Result> results = new ArrayList<>();
        Random r = new Random(1);
        float[] xa = new float[n];
        float[] ya = new float[n];
        float[] ta = new float[n];
        for (int i = 0; i < n; i++) {
            xa[i] = (float) (r.nextGaussian() * 3);
            ya[i] = r.nextFloat();
            ta[i] = r.nextFloat() < 0.5f ? 0f : 1f;
        }
        Storage x = new CpuStorage(xa);
        Storage y = new CpuStorage(ya);
        Storage dy = new CpuStorage(ta.clone());
        Storage dx = new CpuStorage(new float[n]);
        Storage t = new CpuStorage(ta);
        Storage mask = new CpuStorage(new float[n]);
        Storage probs = new CpuStorage(new float[n]);
        for (int i = 0; i < n; i++) {
            ((CpuStorage) probs).data[i] = 0.001f + 0.998f * r.nextFloat();
        }
        Parallel par = new Parallel(threads);
        float[] src = new float[n];
        float[] dst = new float[n];

        double copyArray = time(results, filter, "copy arraycopy", threads, reps, 8L * n, n,
                () -> d.copy(new CpuStorage(src), new CpuStorage(dst), n));
        double copyLoop = time(results, filter, "copy plain loop", threads, reps, 8L * n, n,
                () -> par.forRange(n, CpuDriver.GRAIN, 16, (s, e) -> {
                    for (int i = (int) s; i < e; i++) {
                        dst[i] = src[i];
                    }
                }));
        Ref ref = new Ref(copyLoop, copyArray);
        List<Activation> acts = List.of(Activation.IDENTITY, Activation.RELU, Activation.leakyRelu(), Activation.elu(1f),
                Activation.SIGMOID, Activation.TANH, Activation.SILU, Activation.SOFTPLUS, Activation.GELU, Activation.GELU_TANH);
        for (Activation a : acts) {
            report(ref, time(results, filter, "fwd " + a, threads, reps, 8L * n, n, () -> d.activation(a, x, y, n)));
        }
        for (Activation a : acts) {
            // dy and dx always; x unless the formula uses only y; ELU reads both x and y.
            long bytes = a.kind() == Activation.Kind.ELU ? 16L * n : 12L * n;
            if (a.kind() == Activation.Kind.IDENTITY) {
                bytes = 8L * n;
            }
            report(ref, time(results, filter, "bwd " + a, threads, reps, bytes, n, () -> d.activationBackward(a, dy, x, y, dx, n)));
        }
        long[] seed = {42};
        report(ref, time(results, filter, "dropout p=0.1", threads, reps, 12L * n, n,
                () -> d.dropout(x, y, mask, n, 0.1f, seed[0]++, 7)));
        report(ref, time(results, filter, "dropoutBackward", threads, reps, 12L * n, n,
                () -> d.dropoutBackward(dy, mask, dx, n, 0.1f)));
        int cols = 1024;
        int rows = n / cols;
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = r.nextInt(cols);
        }
        Storage lossOut = new CpuStorage(new float[1]);
        report(ref, time(results, filter, "softmaxCE [" + rows + "," + cols + "] labels", threads, reps, 8L * n, n,
                () -> d.softmaxCrossEntropy(x, labels, null, Reduction.MEAN, lossOut, dx, rows, cols)));
        report(ref, time(results, filter, "softmax fwd [" + rows + "," + cols + "]", threads, reps, 8L * n, n,
                () -> d.softmax(x, y, rows, cols, false)));
        report(ref, time(results, filter, "loss BCE", threads, reps, 12L * n, n,
                () -> d.loss(Loss.BINARY_CROSS_ENTROPY, Reduction.MEAN, probs, t, lossOut, dx, n)));
        report(ref, time(results, filter, "loss BCE-logits", threads, reps, 12L * n, n,
                () -> d.loss(Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS, Reduction.MEAN, x, t, lossOut, dx, n)));
        report(ref, time(results, filter, "loss MSE", threads, reps, 12L * n, n,
                () -> d.loss(Loss.MSE, Reduction.MEAN, x, t, lossOut, dx, n)));
        par.close();
        d.close();
        return results;
    }

    private record Ref(double plain, double arraycopy) {}

    private static void report(Ref ref, double gbs) {
        if (gbs > 0) {
            System.out.printf("      %6.1f%% of plain copy, %6.1f%% of arraycopy%n", 100 * gbs / ref.plain, 100 * gbs / ref.arraycopy);
        }
    }

    /** Median GB/s over reps timed calls, after warm-up; 0 when filtered out. */
    private static double time(List<Result> out, String filter, String op, int threads, int reps, long bytes, long elems,
                               Runnable body) {
        if (!op.startsWith("copy") && !op.contains(filter)) {
            return 0;
        }
        for (int w = 0; w < 3; w++) {
            body.run();
        }
        double[] ns = new double[reps];
        for (int k = 0; k < reps; k++) {
            long t0 = System.nanoTime();
            body.run();
            ns[k] = System.nanoTime() - t0;
        }
        Arrays.sort(ns);
        double med = ns[reps / 2];
        double gbs = bytes / med;
        double spread = (ns[reps - 1] - ns[0]) / med;
        System.out.printf("t=%d %-34s %7.2f GB/s  %6.3f G elem/s  (min %.2f max %.2f ms, spread %.0f%%)%n", threads, op, gbs,
                elems / med, ns[0] / 1e6, ns[reps - 1] / 1e6, 100 * spread);
        out.add(new Result(op, threads, gbs, elems / med));
        return gbs;
    }
}
