package dev.kengine.cpu;

import dev.kengine.cpu.gemm.Sgemm;
import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Has the JIT compile the Vector API kernels before a {@code simd=auto} backend uses them: a daemon
 * thread calls every vector kernel (and the SIMD SGEMM) on small arrays until C2 has compiled them,
 * which it sees when a round of calls stops getting faster, and then declares them {@link #ready()}.
 * Once per JVM, started by the first auto backend; a few hundred milliseconds of one core. Until
 * then {@link WarmingElementwise} runs the scalar kernels, so no caller waits for it.
 */
final class VectorWarmup {
    /** At least this many rounds (every kernel once per round): past C2's invocation thresholds. */
    static final int MIN_ROUNDS = 3000;
    private static final int MAX_ROUNDS = 40_000;
    private static final long MAX_NANOS = 60_000_000_000L;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean ready;
    private static volatile long readyAfterNanos = -1;

    private VectorWarmup() {}

    /** Whether the vector kernels are compiled (or warming gave up, in which case they are used anyway). */
    static boolean ready() {
        return ready;
    }

    /** How long warming took, in nanoseconds; −1 while it runs. */
    static long readyAfterNanos() {
        return readyAfterNanos;
    }

    /** Starts warming {@code vector} on a daemon thread, once per JVM. */
    static void start(Elementwise vector) {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread.ofPlatform().daemon().name("kengine-simd-warmup").start(() -> {
            long t0 = System.nanoTime();
            try {
                warm(vector, t0);
            } catch (RuntimeException | Error e) {
                // A kernel that cannot run here fails in real calls too, with a proper report.
            } finally {
                readyAfterNanos = System.nanoTime() - t0;
                ready = true;
            }
        });
    }

    private static void warm(Elementwise v, long t0) {
        int n = 4 * v.lanes() + 3; // whole vectors and a tail, as real ranges have
        float[] x = ramp(n, -3f);
        float[] y = ramp(n, 0.01f);
        float[] z = new float[n];
        float[] g = ramp(n, 0.5f);
        float[] m = new float[n];
        float[] s = new float[n];
        float[] bias = ramp(n, 0.1f);
        int[] labels = {1, 2, 3};
        double[] rowLoss = new double[3];
        int cols = n / 3;
        float[] a = ramp(24 * 24, 0.2f);
        float[] b = ramp(24 * 24, -0.1f);
        float[] c = new float[24 * 24];
        Activation.Kind[] kinds = Activation.Kind.values();
        Binary[] ops = Binary.values();
        Loss.Kind[] losses = Loss.Kind.values();
        long best = Long.MAX_VALUE;
        int calm = 0;
        try (Parallel one = new Parallel(1)) {
            for (int round = 0; round < MAX_ROUNDS && System.nanoTime() - t0 < MAX_NANOS; round++) {
                long r0 = System.nanoTime();
                for (Activation.Kind k : kinds) {
                    v.activation(k, 0.5f, x, 0, z, 0, n);
                    v.biasActivation(k, 0.5f, z, 0, bias, y, 0, n);
                    v.activationBackward(k, 0.5f, g, x, z, s, 0, n);
                }
                for (Binary op : ops) {
                    v.binary(op, x, 0, y, 0, z, 0, n);
                }
                v.scale(0.5f, x, 0, z, 0, n);
                v.axpy(0.5f, x, 0, z, 0, n);
                float max = v.max(x, 0, n);
                v.expSum(x, 0, max, null, 0, n);
                v.expSum(x, 0, max, z, 0, n);
                v.expScaled(x, 0, max, 0.5f, z, 0, n);
                v.subtractTwice(x, 0, max, 1f, z, 0, n);
                v.dot(x, 0, y, 0, n);
                v.softmaxGradient(false, 0.5f, g, y, z, 0, n);
                v.softmaxGradient(true, 0.5f, g, y, z, 0, n);
                v.softmaxCrossEntropyLabelRows(x, labels, z, 1.0 / 3, rowLoss, 0, 3, cols);
                for (Loss.Kind k : losses) {
                    v.loss(k, 1f, y, g, z, 1f / n, 0, n);
                }
                System.arraycopy(y, 0, s, 0, n);
                v.sgd(s, g, m, 0.01f, 0.9f, (round & 1) == 0, 1e-4f, 1e-5f, 0, n);
                v.sgd(s, g, null, 0.01f, 0f, false, 0f, 0f, 0, n);
                v.adam(s, g, m, z, 0.001f, 0.9f, 0.999f, 1e-8f, 0.01f, (round & 1) == 0, 0.1f, 0.001f, 0, n);
                v.dropout(x, z, m, 0.3f, 1f / 0.7f, 7, round, 0, n);
                v.dropoutBackward(1f / 0.7f, g, m, z, 0, n);
                v.initUniform(z, 1, round, -1, 1, 0, n);
                v.initNormal(z, 1, round, 0, 1, 0, n);
                Sgemm.sgemm(one, true, (round & 1) != 0, (round & 2) != 0, 24, 24, 24, 1f, a, 0, b, 0, 0f, c, 0);
                long took = System.nanoTime() - r0;
                if (round >= MIN_ROUNDS) {
                    // Compiled: no round in the last 200 was more than 10 % faster than the best so far.
                    calm = took * 10 < best * 9 ? 0 : calm + 1;
                    if (calm >= 200) {
                        return;
                    }
                }
                best = Math.min(best, took);
            }
        }
    }

    private static float[] ramp(int n, float start) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) {
            r[i] = start + 0.37f * (i % 11) - 0.05f * i;
        }
        return r;
    }
}
