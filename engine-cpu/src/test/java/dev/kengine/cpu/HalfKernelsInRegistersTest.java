package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import dev.kengine.op.Activation;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels' float16 and bfloat16 activations keep their vectors in registers once compiled, also when a
 * cast, which every mixed-precision step makes, ran before them: a compiled call allocates nothing per element. The
 * casts had shared the activations' store helper, whose call of the activation's function C2 then judged by a
 * profile the cast dominated; in about half of the JVMs the function was left out of line and each 16 elements boxed
 * three vectors (ELEMENTWISE-NOTES.md, 2026-12-07). The activation is called until one call allocates less than a
 * boxed vector per 16 elements would, for at most {@value #LIMIT_NANOS} ns; a JVM without C2 skips the check.
 */
class HalfKernelsInRegistersTest {
    /** Elements per call: as large as a layer's activations, so that the first calls run long in the interpreter. */
    private static final int N = 1 << 24;
    private static final long LIMIT_NANOS = 30_000_000_000L;

    @Test
    @DisplayName("half-precision activations after a cast: no boxed vectors once compiled")
    void noBoxingAfterACast() {
        assumeTrue(SimdSelection.VECTOR != null, "no Vector API");
        assumeTrue(ManagementFactory.getCompilationMXBean() != null, "no JIT");
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no allocation counts");
        Elementwise k = SimdSelection.VECTOR;
        float[] f = new float[N];
        for (int i = 0; i < N; i++) {
            f[i] = (i % 997) / 100f - 5f;
        }
        short[] x = new short[N];
        short[] y = new short[N];
        long perBoxedVector = 16L * N / jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (boolean bf : new boolean[] {false, true}) {
            // A cast first, as a mixed-precision step runs one, on its first (interpreted) call.
            k.narrow(bf, f, 0, x, 0, N);
            long start = System.nanoTime();
            long allocated = Long.MAX_VALUE;
            while (System.nanoTime() - start < LIMIT_NANOS && allocated >= perBoxedVector) {
                long a0 = mx.getCurrentThreadAllocatedBytes();
                k.halfActivation(bf, Activation.Kind.SIGMOID, 0f, x, 0, y, 0, N);
                allocated = mx.getCurrentThreadAllocatedBytes() - a0;
            }
            if (allocated >= perBoxedVector) {
                fail((bf ? "bfloat16" : "float16") + " sigmoid still allocates " + allocated + " bytes per call of " + N
                        + " elements after a cast: its vectors are boxed");
            }
        }
    }

    /**
     * Every kind, forward and backward, in both half types, one after the other in one JVM as a model's layers call
     * them: each compiled kernel allocates nothing per element. With the kinds' functions reached through one shared
     * lambda store, the sigmoid or tanh gradient was left out of line, three vectors boxed per 16 elements, in about
     * half of the JVMs that ran this sequence (ELEMENTWISE-NOTES.md, 2026-12-07). Inputs stay above −4, where GELU's
     * double tail (which allocates by design) is not taken.
     */
    @Test
    @DisplayName("every half-precision activation in turn: no boxed vectors once compiled")
    void noBoxingAcrossKinds() {
        assumeTrue(SimdSelection.VECTOR != null, "no Vector API");
        assumeTrue(ManagementFactory.getCompilationMXBean() != null, "no JIT");
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(), "no allocation counts");
        Elementwise k = SimdSelection.VECTOR;
        int n = 1 << 20;
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (i % 779) / 100f - 3.89f;
        }
        short[] x = new short[n];
        short[] y = new short[n];
        short[] dx = new short[n];
        long perBoxedVector = 16L * n / jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (Activation.Kind kind : Activation.Kind.values()) {
            for (boolean bf : new boolean[] {true, false}) {
                k.narrow(bf, f, 0, x, 0, n);
                for (boolean forward : new boolean[] {true, false}) {
                    long start = System.nanoTime();
                    long allocated = Long.MAX_VALUE;
                    // At least half a second per kernel, as a layer's calls would: an early verdict, taken while
                        // the compiler is still busy, would leave the next kernels a different queue.
                    while (System.nanoTime() - start < LIMIT_NANOS
                            && (allocated >= perBoxedVector || System.nanoTime() - start < 500_000_000L)) {
                        long a0 = mx.getCurrentThreadAllocatedBytes();
                        if (forward) {
                            k.halfActivation(bf, kind, 1f, x, 0, y, 0, n);
                        } else {
                            k.halfActivationBackward(bf, kind, 1f, x, x, y, dx, 0, n);
                        }
                        allocated = mx.getCurrentThreadAllocatedBytes() - a0;
                    }
                    if (allocated >= perBoxedVector) {
                        fail((bf ? "bfloat16 " : "float16 ") + kind + (forward ? " forward" : " backward")
                                + " still allocates " + allocated + " bytes per call of " + n + " elements: its vectors are boxed");
                    }
                }
            }
        }
    }
}
