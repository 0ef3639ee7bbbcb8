package dev.kengine.cpu.gemm;

import dev.kengine.cpu.Parallel;

/**
 * Single-precision matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
 *
 * <p>Goto/BLIS blocking: for each kc-deep slice of k, a panel of op(B) is packed into micro-panels
 * of NR columns, then blocks of op(A) into micro-panels of MR rows, and a register-blocked
 * micro-kernel ({@link GemmKernel}) sweeps them. Transposes cost only in packing; edge tiles are
 * zero-padded in the packed panels; alpha and beta are applied when a tile is written to C.
 *
 * <p>Threads split C into row (or column) slices; each slice is an independent blocked GEMM on one
 * thread, so every element of C is computed by one thread in the same order whatever the thread
 * count: results are bitwise identical for 1 and N threads on the same path. Small batched
 * problems are spread across the batch instead.
 *
 * <p>The Vector API classes are reached only when {@code simd} is true, so a JVM without
 * {@code jdk.incubator.vector} never loads them.
 */
public final class Sgemm {

    /**
     * Below this many multiply-adds per matrix (2^22, about 160^3) one thread is as fast. Since the
     * calling thread takes a share of the work itself, waking a parked worker overlaps with useful
     * work: 256^3 on two threads measured 188 GFLOP/s against 109 on one, while 128^3 gained
     * nothing reliable (median 105 against 101).
     */
    static final long PARALLEL_MIN_WORK = Long.getLong("kengine.sgemm.parallelMinWork", 1L << 22);

    private Sgemm() {
    }

    /** Loaded on first use with simd == true only. */
    private static final class Simd {
        static final GemmKernel KERNEL = dev.kengine.cpu.simd.GemmSimdKernel.fullWidth()
                ? new dev.kengine.cpu.simd.GemmSimdKernel()
                // Without 512-bit vectors the 14 x 32 tile would run in the Vector API's Java fallback;
                // the 6 x (2 vectors) tile runs at any width (AVX2, NEON).
                : dev.kengine.cpu.simd.GemmVectorKernel.usable()
                        ? new dev.kengine.cpu.simd.GemmVectorKernel()
                        : ScalarGemmKernel.INSTANCE;
    }

    /** Per-thread packing buffers, grown on demand and kept, so small calls allocate nothing. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** One matrix: C[m,n] = alpha * op(A) * op(B) + beta * C, all contiguous row-major. */
    public static void sgemm(Parallel par, boolean simd, boolean transA, boolean transB, int m, int n, int k,
                             float alpha, float[] a, int aOff, float[] b, int bOff, float beta, float[] c, int cOff) {
        sgemmBatched(par, simd, transA, transB, 1, m, n, k, alpha, a, aOff, 0, b, bOff, 0, beta, c, cOff, 0);
    }

    /**
     * For each i in [0, batch): C_i = alpha * op(A_i) * op(B_i) + beta * C_i, where A_i starts at
     * {@code aOff + i*strideA} (stride 0 shares one matrix across the batch), likewise B_i and C_i.
     * op(A_i) is [m,k] (stored [k,m] when transA), op(B_i) is [k,n] (stored [n,k] when transB),
     * C_i is [m,n]. beta == 0 means C is not read. Arguments are validated by the caller.
     */
    public static void sgemmBatched(Parallel par, boolean simd, boolean transA, boolean transB, int batch,
                                    int m, int n, int k, float alpha, float[] a, int aOff, long strideA,
                                    float[] b, int bOff, long strideB, float beta, float[] c, int cOff,
                                    long strideC) {
        if (batch <= 0 || m <= 0 || n <= 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < batch; i++) {
                scale(c, Math.toIntExact(cOff + i * strideC), m * n, beta);
            }
            return;
        }
        sgemmBatched(simd ? Simd.KERNEL : ScalarGemmKernel.INSTANCE, par, transA, transB, batch, m, n, k, alpha,
                a, aOff, strideA, b, bOff, strideB, beta, c, cOff, strideC);
    }

    /** As the public sgemmBatched with a given kernel (for tests of kernels this machine would not pick). */
    static void sgemmBatched(GemmKernel kern, Parallel par, boolean transA, boolean transB, int batch,
                             int m, int n, int k, float alpha, float[] a, int aOff, long strideA,
                             float[] b, int bOff, long strideB, float beta, float[] c, int cOff, long strideC) {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        long work = (long) m * n * k;
        int threads = par == null ? 1 : par.threads();
        // Across the batch when each C_i is separate and the batch divides well, or matrices are small.
        boolean acrossBatch = threads > 1 && batch > 1 && strideC >= (long) m * n
                && (work < PARALLEL_MIN_WORK * 16 || batch % threads == 0 || batch >= 4 * threads);
        if (acrossBatch) {
            int tasks = Math.min(threads, batch);
            par.forEach(tasks, t -> {
                int lo = (int) ((long) batch * t / tasks);
                int hi = (int) ((long) batch * (t + 1) / tasks);
                for (int i = lo; i < hi; i++) {
                    blocked(kern, transA, transB, m, n, k, alpha, a, Math.toIntExact(aOff + i * strideA), lda,
                            b, Math.toIntExact(bOff + i * strideB), ldb, beta, c,
                            Math.toIntExact(cOff + i * strideC), n);
                }
            });
            return;
        }
        for (int i = 0; i < batch; i++) {
            gemm(par, threads, kern, transA, transB, m, n, k, alpha, a, Math.toIntExact(aOff + i * strideA), lda,
                    b, Math.toIntExact(bOff + i * strideB), ldb, beta, c, Math.toIntExact(cOff + i * strideC));
        }
    }

    private static void scale(float[] c, int off, int len, float beta) {
        if (beta == 0f) {
            java.util.Arrays.fill(c, off, off + len, 0f);
        } else if (beta != 1f) {
            for (int i = off; i < off + len; i++) {
                c[i] *= beta;
            }
        }
    }

    /** One matrix, split across threads by rows or columns of C when it is big enough. */
    private static void gemm(Parallel par, int threads, GemmKernel kern, boolean transA, boolean transB,
                             int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb, float beta, float[] c, int cOff) {
        if (threads <= 1 || (long) m * n * k < PARALLEL_MIN_WORK) {
            blocked(kern, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, n);
            return;
        }
        int mr = kern.mr();
        int nr = kern.nr();
        int mPanels = (m + mr - 1) / mr;
        int nPanels = (n + nr - 1) / nr;
        // Prefer splitting rows: each slice then re-packs B (a cheap copy when B is not transposed)
        // rather than A (a transposing copy). Split columns only when rows divide much worse.
        boolean byRows = balance(mPanels, threads) >= balance(nPanels, threads) - 0.05;
        if (byRows) {
            int parts = Math.min(threads, mPanels);
            int per = (mPanels + parts - 1) / parts * mr;
            par.forEach(parts, t -> {
                int r0 = t * per;
                int rows = Math.min(m, r0 + per) - r0;
                if (rows > 0) {
                    blocked(kern, transA, transB, rows, n, k, alpha, a, aOff + (transA ? r0 : r0 * lda), lda,
                            b, bOff, ldb, beta, c, cOff + r0 * n, n);
                }
            });
        } else {
            int parts = Math.min(threads, nPanels);
            int per = (nPanels + parts - 1) / parts * nr;
            par.forEach(parts, t -> {
                int j0 = t * per;
                int cols = Math.min(n, j0 + per) - j0;
                if (cols > 0) {
                    blocked(kern, transA, transB, m, cols, k, alpha, a, aOff, lda,
                            b, bOff + (transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0, n);
                }
            });
        }
    }

    /** Fraction of the busiest thread's time that is useful when {@code panels} are dealt out evenly. */
    private static double balance(int panels, int threads) {
        int parts = Math.min(threads, panels);
        int per = (panels + parts - 1) / parts;
        return (double) panels / ((long) per * threads);
    }

    /** The single-threaded blocked GEMM on one slice; C has row stride {@code ldc}. */
    static void blocked(GemmKernel kern, boolean transA, boolean transB, int m, int n, int k, float alpha,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
                        float[] c, int cOff, int ldc) {
        if (kern.direct(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc)) {
            return;
        }
        int mr = kern.mr();
        int nr = kern.nr();
        // Equal kc slices (k = 300 runs as 150 + 150, not 256 + 44): the slicing depends on k only,
        // which keeps the summation order, and so the result, independent of the thread split.
        int kSlices = (k + kern.kc() - 1) / kern.kc();
        int kcMax = (k + kSlices - 1) / kSlices;
        int ncMax = Math.min(kern.nc(), n);
        int mcMax = Math.min(kern.mc(), m);
        Buffers buf = BUFFERS.get();
        float[] bp = buf.b(roundUp(ncMax, nr) * kcMax);
        float[] ap = buf.a(kern.packedASize(mcMax, kcMax));
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                kern.packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp);
                float betaPc = pc == 0 ? beta : 1f;
                for (int ic = 0; ic < m; ic += mcMax) {
                    int mc = Math.min(mcMax, m - ic);
                    kern.packA(transA, a, aOff, lda, ic, mc, pc, kc, ap);
                    kern.macroKernel(transA, mc, nc, kc, ap, bp, c, cOff + ic * ldc + jc, ldc, alpha, betaPc);
                }
            }
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }
}
