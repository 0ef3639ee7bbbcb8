package dev.kengine.cpu;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A timing harness (not a unit test): each op on 16M elements in FLOAT32, BFLOAT16 and FLOAT16 through
 * the public API on the CPU backend (2 threads), the three dtypes alternating, median of 9 wall-clock
 * runs after untimed ones (at least {@value #WARMUP} rounds, and at least three seconds of them per op). Prints G
 * elements/s per dtype and the half/float32 ratios measured in the same run. The backend is opened with
 * {@code simd=true}, so every call runs the vector kernels (the default
 * {@code auto} starts on the scalar ones while the JIT compiles them). Arguments: {@code acts=relu,gelu,...} (the
 * activations to time; default relu, sigmoid, gelu, tanh), {@code matmul=false} (skip the products),
 * {@code elementwise=false} (only the products). Run after test-compile:
 * <pre>
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
 *   CP=engine-api/target/classes:engine-cpu/target/classes:engine-cpu/target/test-classes
 *   $J --add-modules jdk.incubator.vector -cp $CP dev.kengine.cpu.HalfThroughputTiming
 * </pre>
 */
public final class HalfThroughputTiming {
    private static final int N = 1 << 24;
    /**
     * Untimed calls of each op in each dtype before its nine timed ones. Three were too few for a kernel the run had
     * not called before: at 16M elements on two threads its first calls run through the JIT's on-stack replacement,
     * and a half-precision cast timed first in its JVM read 0.9–1.0× where, warmed by earlier ops, it read 1.3–1.4×.
     */
    private static final int WARMUP = 10;
    /** And untimed rounds for at least this long per op (see the loop). */
    private static final long WARMUP_NANOS = 3_000_000_000L;

    /** Square matmul at 512, 1024, 2048 in each dtype (operands and result), GFLOP/s, median of 7 after 5 warm-up runs. */
    private static void matmul() {
        try (Backend b = Engine.open("cpu", Map.of("threads", "2", "simd", "true"))) {
            for (int n : new int[] {512, 1024, 2048}) {
                float[] x = new float[n * n];
                java.util.SplittableRandom r = new java.util.SplittableRandom(n);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                DType[] types = {DType.FLOAT32, DType.BFLOAT16, DType.FLOAT16};
                Tensor[] a = new Tensor[3];
                Tensor[] c = new Tensor[3];
                for (int t = 0; t < 3; t++) {
                    a[t] = b.of(x, types[t], n, n);
                    c[t] = b.empty(types[t], n, n);
                }
                double[][] times = new double[3][7];
                for (int rep = -5; rep < 7; rep++) {
                    for (int t = 0; t < 3; t++) {
                        long t0 = System.nanoTime();
                        b.matmul(a[t], false, a[t], false, c[t], 1f, 0f);
                        b.synchronize();
                        if (rep >= 0) {
                            times[t][rep] = System.nanoTime() - t0;
                        }
                    }
                }
                double[] med = new double[3];
                for (int t = 0; t < 3; t++) {
                    Arrays.sort(times[t]);
                    med[t] = times[t][3];
                }
                double flop = 2.0 * n * n * n;
                System.out.printf("matmul %4d            float32 %6.1f  bfloat16 %6.1f (%.2fx)  float16 %6.1f (%.2fx) GFLOP/s%n", n,
                        flop / med[0], flop / med[1], med[0] / med[1], flop / med[2], med[0] / med[2]);
                for (int t = 0; t < 3; t++) {
                    a[t].close();
                    c[t].close();
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        List<Activation> acts = new ArrayList<>(List.of(Activation.RELU, Activation.SIGMOID, Activation.GELU, Activation.TANH));
        boolean products = true;
        boolean elementwise = true;
        for (String arg : args) {
            if (arg.startsWith("acts=") && arg.length() > 5) {
                acts.clear();
                for (String name : arg.substring(5).split(",")) {
                    acts.add(Activation.parse(name));
                }
            } else if (arg.equals("matmul=false")) {
                products = false;
            } else if (arg.equals("acts=")) {
                acts.clear();
            } else if (arg.equals("elementwise=false")) {
                elementwise = false;
            } else {
                throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        String load = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim();
        System.out.println("CPU backend, 2 threads, simd=true, " + N + " elements, wall clock, median of 9; load at start: " + load);
        if (elementwise) {
            elementwise(acts);
        }
        if (products) {
            matmul();
        }
        String end = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).trim();
        System.out.println("load at end: " + end);
    }

    private static void elementwise(List<Activation> acts) {
        try (Backend b = Engine.open("cpu", Map.of("threads", "2", "simd", "true"))) {
            float[] x = new float[N];
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            for (int i = 0; i < N; i++) {
                x[i] = (float) (r.nextDouble() * 8 - 4);
            }
            DType[] types = {DType.FLOAT32, DType.BFLOAT16, DType.FLOAT16};
            Tensor[] xs = new Tensor[3];
            Tensor[] ys = new Tensor[3];
            Tensor[] dys = new Tensor[3];
            Tensor[] dxs = new Tensor[3];
            for (int t = 0; t < 3; t++) {
                xs[t] = b.of(x, types[t]);
                ys[t] = b.empty(types[t], N);
                dys[t] = b.of(x, types[t]);
                dxs[t] = b.empty(types[t], N);
            }
            Tensor f32 = b.of(x);
            List<String> names = new ArrayList<>();
            List<Consumer<Integer>> ops = new ArrayList<>();
            for (Activation act : acts) {
                names.add(act + " forward");
                ops.add(t -> b.activation(xs[t], act, ys[t]));
                names.add(act + " backward");
                ops.add(t -> b.activationBackward(dys[t], xs[t], ys[t], act, dxs[t]));
            }
            names.add("cast from float32");
            ops.add(t -> b.cast(f32, ys[t]));
            names.add("cast to float32");
            Tensor out32 = b.empty(N);
            ops.add(t -> b.cast(xs[t], out32));
            for (int o = 0; o < ops.size(); o++) {
                double[][] times = new double[3][9];
                // Untimed rounds: at least WARMUP, and at least WARMUP_NANOS of them, so that C2 has installed the
                // op's compiled loops (a large kernel takes 0.5–1.6 s to compile on a loaded 2-core host; ten calls
                // of 16M elements are over in 40 ms, and the timed calls had run the earlier tiers' code).
                long warmStart = System.nanoTime();
                for (int rep = 0; rep < WARMUP || System.nanoTime() - warmStart < WARMUP_NANOS; rep++) {
                    for (int t = 0; t < 3; t++) {
                        ops.get(o).accept(t);
                        b.synchronize();
                    }
                }
                for (int rep = 0; rep < 9; rep++) {
                    for (int t = 0; t < 3; t++) {
                        long t0 = System.nanoTime();
                        ops.get(o).accept(t);
                        b.synchronize();
                        times[t][rep] = System.nanoTime() - t0;
                    }
                }
                double[] med = new double[3];
                for (int t = 0; t < 3; t++) {
                    Arrays.sort(times[t]);
                    med[t] = times[t][4];
                }
                System.out.printf("%-22s float32 %6.2f  bfloat16 %6.2f (%.2fx)  float16 %6.2f (%.2fx) G elements/s%n",
                        names.get(o), N / med[0], N / med[1], med[0] / med[1], N / med[2], med[0] / med[2]);
            }
        }
    }
}
