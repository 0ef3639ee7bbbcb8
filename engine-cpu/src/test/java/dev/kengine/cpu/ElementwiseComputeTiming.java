package dev.kengine.cpu;

import dev.kengine.op.Activation;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;

/**
 * A timing harness (not a unit test) for the compute side of the activation kernels: one thread, 4096
 * floats (in L1), the SIMD kernels called directly, timed in thread CPU time (so a descheduled thread
 * on this shared host does not count), best of 15 batches of 2000 calls after 20,000 warm-up calls.
 * Prints G elements/s. An optional third argument, bf16 or fp16, times the half-precision kernels on the same
 * values (rounded), and a fourth the element count (4096 unless given). Run after test-compile, one JVM per
 * direction and type:
 * <pre>
 *   J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
 *   CP=engine-api/target/classes:engine-cpu/target/classes:engine-cpu/target/test-classes
 *   $J --add-modules jdk.incubator.vector -cp $CP dev.kengine.cpu.ElementwiseComputeTiming sigmoid,tanh,elu,silu,softplus,gelu,gelu_tanh
 *   $J --add-modules jdk.incubator.vector -cp $CP dev.kengine.cpu.ElementwiseComputeTiming sigmoid,tanh,gelu backward
 *   $J --add-modules jdk.incubator.vector -cp $CP dev.kengine.cpu.ElementwiseComputeTiming sigmoid,tanh,gelu forward bf16
 * </pre>
 * A memory-bound op needs about 2.4 G elements/s per thread to keep up with two threads' copy loop
 * (38 GB/s at 8 bytes an element); below that, the op is compute-bound at 16M floats.
 */
public final class ElementwiseComputeTiming {

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        if (SimdSelection.VECTOR == null) {
            System.out.println("no Vector API: " + SimdSelection.DESCRIPTION);
            return;
        }
        Elementwise k = SimdSelection.VECTOR;
        boolean backward = args.length > 1 && args[1].equals("backward");
        String type = args.length > 2 ? args[2] : "f32";
        boolean half = !type.equals("f32");
        boolean bf16 = type.equals("bf16");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 4096;
        int batch = Math.max(1, 2000 * 4096 / n);
        float[] x = new float[n];
        float[] y = new float[n];
        float[] dy = new float[n];
        float[] dx = new float[n];
        Random r = new Random(5);
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 8 - 4;
            dy[i] = r.nextFloat();
        }
        short[] hx = new short[n];
        short[] hy = new short[n];
        short[] hdy = new short[n];
        short[] hdx = new short[n];
        k.narrow(bf16, x, 0, hx, 0, n);
        k.narrow(bf16, dy, 0, hdy, 0, n);
        StringBuilder out = new StringBuilder((backward ? "backward " : "forward ") + type);
        for (String name : args[0].split(",")) {
            Activation act = Activation.parse(name);
            k.activation(act.kind(), act.parameter(), x, 0, y, 0, n);
            k.halfActivation(bf16, act.kind(), act.parameter(), hx, 0, hy, 0, n);
            Runnable call;
            if (half) {
                call = backward
                        ? () -> k.halfActivationBackward(bf16, act.kind(), act.parameter(), hdy, hx, hy, hdx, 0, n)
                        : () -> k.halfActivation(bf16, act.kind(), act.parameter(), hx, 0, hy, 0, n);
            } else {
                call = backward
                        ? () -> k.activationBackward(act.kind(), act.parameter(), dy, x, y, dx, 0, n)
                        : () -> k.activation(act.kind(), act.parameter(), x, 0, y, 0, n);
            }
            for (int w = 0; w < Math.max(20, 20_000 * 4096 / n); w++) {
                call.run();
            }
            long best = Long.MAX_VALUE;
            for (int rep = 0; rep < 15; rep++) {
                long t0 = mx.getCurrentThreadCpuTime();
                for (int q = 0; q < batch; q++) {
                    call.run();
                }
                best = Math.min(best, mx.getCurrentThreadCpuTime() - t0);
            }
            out.append(String.format("  %s %.2f", name, (double) n * batch / best));
        }
        System.out.println(out + "  (G elements/s, one thread, " + n + " elements)");
    }
}
