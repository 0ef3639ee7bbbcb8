package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import dev.kengine.op.Activation;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The GELU kernels take a double-precision path, out of line, for vectors with a lane below −4. While that path was
 * called from inside the per-vector functions, a kernel compiled after it had been taken boxed its vectors on every
 * step, taken or not: float32
 * GELU forward on 1M elements with no lane below −4 allocated 6.3 MB a call and ran at 2.6–2.8 G elements/s against
 * 4.3–4.5 (ELEMENTWISE-NOTES.md, 2026-12-07). Here each GELU form, forward and backward, in float32, bfloat16 and
 * float16, first runs on inputs with such lanes, then on inputs without, until a call allocates less than a boxed
 * vector per 16 elements would (for at least a second, at most {@value #LIMIT_NANOS} ns each).
 */
class GeluTailInRegistersTest {
    private static final long LIMIT_NANOS = 30_000_000_000L;

    @Test
    @DisplayName("GELU kernels after their tail path was taken: no boxed vectors once compiled")
    void noBoxingAfterTheTail() {
        ThreadMXBean mx = allocationCounts();
        Elementwise k = SimdSelection.VECTOR;
        int small = 4096;
        int n = 1 << 20;
        float[] tail = new float[small];
        for (int i = 0; i < small; i++) {
            tail[i] = (i % 1000) / 100f - 5f;
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 779) / 100f - 3.89f;
        }
        float[] y = new float[n];
        short[] tailHalf = new short[small];
        short[] xHalf = new short[n];
        short[] yHalf = new short[n];
        long perBoxedVector = 16L * n / jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (Activation.Kind kind : new Activation.Kind[] {Activation.Kind.GELU, Activation.Kind.GELU_TANH}) {
            for (int type = 0; type < 3; type++) {
                boolean bf = type == 1;
                if (type > 0) {
                    k.narrow(bf, tail, 0, tailHalf, 0, small);
                    k.narrow(bf, x, 0, xHalf, 0, n);
                }
                for (boolean forward : new boolean[] {true, false}) {
                    for (int r = 0; r < 3000; r++) {
                        run(k, type, forward, kind, tail, tail, tailHalf, tailHalf, small);
                    }
                    int t = type;
                    boolean f = forward;
                    // A second at least: the kernel compiled from the small calls' profile is compiled again once
                    // the large calls run, and the second compilation is the one that boxed.
                    long allocated = allocationOnceCompiled(mx, perBoxedVector, 1_000_000_000L,
                            () -> run(k, t, f, kind, x, y, xHalf, yHalf, n));
                    if (allocated >= perBoxedVector) {
                        fail(name(type, kind, forward) + " allocates " + allocated + " bytes per call of " + n
                                + " elements after its tail path was taken: its vectors are boxed");
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("GELU kernels on inputs whose tails are frequent: the tail path keeps its vectors in registers")
    void noBoxingInTheTail() {
        ThreadMXBean mx = allocationCounts();
        Elementwise k = SimdSelection.VECTOR;
        int n = 1 << 18;
        // Values over [−9, 3]: most vectors have a lane below −4, as a layer's inputs with a spread of 2 or more do.
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = ((i * 7919) % 1201) / 100f - 9f;
        }
        float[] y = new float[n];
        short[] xHalf = new short[n];
        short[] yHalf = new short[n];
        // The tail path allocates nothing; a boxed vector takes at least 16 bytes, so a tenth of one per vector of
        // elements is far below what an out-of-line double helper costs (several boxes for each half vector).
        long bound = n / jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length() * 16 / 10;
        for (Activation.Kind kind : new Activation.Kind[] {Activation.Kind.GELU, Activation.Kind.GELU_TANH}) {
            for (int type = 0; type < 3; type++) {
                boolean bf = type == 1;
                if (type > 0) {
                    k.narrow(bf, x, 0, xHalf, 0, n);
                }
                for (boolean forward : new boolean[] {true, false}) {
                    int t = type;
                    boolean f = forward;
                    long allocated = allocationOnceCompiled(mx, bound, 500_000_000L,
                            () -> run(k, t, f, kind, x, y, xHalf, yHalf, n));
                    if (allocated >= bound) {
                        fail(name(type, kind, forward) + " allocates " + allocated + " bytes per call of " + n
                                + " elements whose tails are frequent: its tail path boxes vectors");
                    }
                }
            }
        }
    }

    /** The thread's allocation counter; the test is skipped without the Vector API, a JIT or allocation counts. */
    private static ThreadMXBean allocationCounts() {
        assumeTrue(SimdSelection.VECTOR != null, "no Vector API");
        assumeTrue(ManagementFactory.getCompilationMXBean() != null, "no JIT");
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no allocation counts");
        return mx;
    }

    /**
     * The bytes one call allocates, calling it until that is below {@code bound} after at least {@code minNanos}, for
     * at most {@value #LIMIT_NANOS} ns (the JIT has compiled the kernel by then, or never will).
     */
    private static long allocationOnceCompiled(ThreadMXBean mx, long bound, long minNanos, Runnable call) {
        long start = System.nanoTime();
        long allocated = Long.MAX_VALUE;
        while (System.nanoTime() - start < LIMIT_NANOS && (allocated >= bound || System.nanoTime() - start < minNanos)) {
            long a0 = mx.getCurrentThreadAllocatedBytes();
            call.run();
            allocated = mx.getCurrentThreadAllocatedBytes() - a0;
        }
        return allocated;
    }

    private static String name(int type, Activation.Kind kind, boolean forward) {
        return new String[] {"float32 ", "bfloat16 ", "float16 "}[type] + kind + (forward ? " forward" : " backward");
    }

    private static void run(Elementwise k, int type, boolean forward, Activation.Kind kind, float[] x, float[] y,
                            short[] xHalf, short[] yHalf, int n) {
        if (type == 0) {
            if (forward) {
                k.activation(kind, 0f, x, 0, y, 0, n);
            } else {
                k.activationBackward(kind, 0f, x, x, y, y, 0, n);
            }
        } else if (forward) {
            k.halfActivation(type == 1, kind, 0f, xHalf, 0, yHalf, 0, n);
        } else {
            k.halfActivationBackward(type == 1, kind, 0f, xHalf, xHalf, yHalf, yHalf, 0, n);
        }
    }
}
