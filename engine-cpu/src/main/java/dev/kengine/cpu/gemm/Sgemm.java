package dev.kengine.cpu.gemm;

import dev.kengine.cpu.Parallel;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Single-precision matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C.
 *
 * <p>Goto/BLIS blocking: for each kc-deep slice of k, a panel of op(B) is packed into micro-panels
 * of NR columns, then blocks of op(A) into micro-panels of MR rows, and a register-blocked
 * micro-kernel ({@link GemmKernel}) sweeps them. Transposes cost only in packing; edge tiles are
 * zero-padded in the packed panels; alpha and beta are applied when a tile is written to C.
 *
 * <p>Threads split C into row (or column) slices; each slice is a blocked GEMM on one thread (row
 * slices of a mid-sized product share one packed B, see {@link #rowSlicesSharingB}), so every
 * element of C is computed by one thread in the same order whatever the thread count: results are
 * bitwise identical for 1 and N threads on the same path. Small batched problems are spread across
 * the batch instead.
 *
 * <p>A and B may hold bfloat16 or float16 bits ({@link GemmOperand}): the packers widen them to float32 as they copy
 * them into the panels (exact), so a half-precision product multiplies the floats its float32 copies would give,
 * with the same bits, and makes no such copies. The accumulation and C are float32.
 *
 * <p>The Vector API classes are reached only when {@code simd} is true, so a JVM without
 * {@code jdk.incubator.vector} never loads them.
 */
public final class Sgemm {

    /**
     * Below this many multiply-adds per matrix (2^19, about 80^3) one thread is as fast. The calling thread takes a
     * share itself, and the workers spin for a while after each share ({@link Parallel}), so a product of tens of
     * microseconds gains from a second thread: on two threads 128^3 went from 38 to 21 µs and 100^3 from 25 to 15
     * (2^22 was the limit while a hand-off woke a parked worker, 20–60 µs; 128^3 then gained nothing reliable). At
     * 2^18 a 64^3 product read 12.6 µs on two threads against 6.2 on one in one run.
     */
    static final long PARALLEL_MIN_WORK = Long.getLong("kengine.sgemm.parallelMinWork", 1L << 19);

    private Sgemm() {
    }

    /**
     * The work {@link #PARALLEL_MIN_WORK} is compared with: multiply-adds counted over at least 16 columns (a kernel
     * computes a whole vector of columns however few C has: 256 × 10 × 1024 costs a 256 × 16 × 1024 product), and at
     * least 16 per element of C, whose writing is what a shallow product costs (256 × 1024 × 10 writes 1 MiB).
     */
    static long parallelWork(int m, int n, int k) {
        return (long) m * Math.max(n, 16) * Math.max(k, 16);
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

    /** Per-thread packing buffers. */
    private static final ThreadLocal<ThreadBuffers> BUFFERS = ThreadLocal.withInitial(ThreadBuffers::new);

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
        sgemmBatched(par, simd, transA, transB, batch, m, n, k, alpha, GemmOperand.of(a), aOff, strideA,
                GemmOperand.of(b), bOff, strideB, beta, c, cOff, strideC);
    }

    /**
     * As above, with operands that may be half precision: their elements are widened to float32 (exactly) as they
     * are packed, so the result has the bits of the product of their float32 copies, without the copies.
     */
    public static void sgemmBatched(Parallel par, boolean simd, boolean transA, boolean transB, int batch,
                                    int m, int n, int k, float alpha, GemmOperand a, int aOff, long strideA,
                                    GemmOperand b, int bOff, long strideB, float beta, float[] c, int cOff,
                                    long strideC) {
        sgemmBatched(par, simd, transA, transB, batch, m, n, k, alpha, a, aOff, strideA, b, bOff, strideB, beta, c,
                cOff, strideC, null);
    }

    /**
     * Called with each block of C once its values are final, on the thread that computed it, while the block is
     * still in that core's cache: a half-precision C is rounded there instead of in a pass of its own over C.
     */
    @FunctionalInterface
    public interface Finished {
        /** C[off + i·ldc + j], i &lt; rows, j &lt; cols, is final. */
        void block(int off, int rows, int cols, int ldc);
    }

    /** As above, calling {@code finished} (unless null) for every block of C once it is final. */
    public static void sgemmBatched(Parallel par, boolean simd, boolean transA, boolean transB, int batch,
                                    int m, int n, int k, float alpha, GemmOperand a, int aOff, long strideA,
                                    GemmOperand b, int bOff, long strideB, float beta, float[] c, int cOff,
                                    long strideC, Finished finished) {
        if (batch <= 0 || m <= 0 || n <= 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < batch; i++) {
                int off = Math.toIntExact(cOff + i * strideC);
                scale(c, off, m * n, beta);
                if (finished != null) {
                    finished.block(off, m, n, n);
                }
            }
            return;
        }
        sgemmBatched(kernel(simd), par, transA, transB, batch, m, n, k, alpha,
                a, aOff, strideA, b, bOff, strideB, beta, c, cOff, strideC, finished);
    }

    /** As the public sgemmBatched with a given kernel (for tests of kernels this machine would not pick). */
    static void sgemmBatched(GemmKernel kern, Parallel par, boolean transA, boolean transB, int batch,
                             int m, int n, int k, float alpha, float[] a, int aOff, long strideA,
                             float[] b, int bOff, long strideB, float beta, float[] c, int cOff, long strideC) {
        sgemmBatched(kern, par, transA, transB, batch, m, n, k, alpha, GemmOperand.of(a), aOff, strideA,
                GemmOperand.of(b), bOff, strideB, beta, c, cOff, strideC, null);
    }

    /** As the public sgemmBatched with a given kernel, for operands of any element type. */
    static void sgemmBatched(GemmKernel kern, Parallel par, boolean transA, boolean transB, int batch,
                             int m, int n, int k, float alpha, GemmOperand a, int aOff, long strideA,
                             GemmOperand b, int bOff, long strideB, float beta, float[] c, int cOff, long strideC,
                             Finished finished) {
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
                            Math.toIntExact(cOff + i * strideC), n, finished);
                }
            });
            return;
        }
        for (int i = 0; i < batch; i++) {
            gemm(par, threads, kern, transA, transB, m, n, k, alpha, a, Math.toIntExact(aOff + i * strideA), lda,
                    b, Math.toIntExact(bOff + i * strideB), ldb, beta, c, Math.toIntExact(cOff + i * strideC),
                    finished, null);
        }
    }

    /**
     * One contiguous matrix split across the threads by rows of C, whatever {@link #splitsByRows} would choose (for
     * tests of the row split, and of the row slices sharing a packed B, at shapes the choice gives to columns).
     */
    static void sgemmByRows(Parallel par, boolean simd, boolean transA, boolean transB, int m, int n, int k,
                            float alpha, float[] a, float[] b, float beta, float[] c) {
        gemm(par, par.threads(), kernel(simd), transA, transB, m, n, k, alpha, GemmOperand.of(a), 0, transA ? m : k,
                GemmOperand.of(b), 0, transB ? k : n, beta, c, 0, null, Boolean.TRUE);
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

    /**
     * One matrix, split across threads by rows or columns of C when it is big enough: by rows when {@code split} is
     * true, by columns when false, as {@link #splitsByRows} chooses when null.
     */
    private static void gemm(Parallel par, int threads, GemmKernel kern, boolean transA, boolean transB,
                             int m, int n, int k, float alpha, GemmOperand a, int aOff, int lda,
                             GemmOperand b, int bOff, int ldb, float beta, float[] c, int cOff, Finished finished,
                             Boolean split) {
        if (threads <= 1 || parallelWork(m, n, k) < PARALLEL_MIN_WORK) {
            blocked(kern, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, n, finished);
            return;
        }
        int mr = kern.mr();
        int nr = kern.nr();
        int mPanels = (m + mr - 1) / mr;
        int nPanels = (n + nr - 1) / nr;
        boolean byRows = split != null ? split : splitsByRows(kern, threads, m, n);
        if (byRows) {
            int parts = Math.min(threads, mPanels);
            int per = (mPanels + parts - 1) / parts * mr;
            if (parts > 1 && sharesPackedB(kern, transA, transB, n, k)) {
                rowSlicesSharingB(par, parts, per, kern, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb,
                        beta, c, cOff, finished);
                return;
            }
            par.forEach(parts, t -> {
                int r0 = t * per;
                int rows = Math.min(m, r0 + per) - r0;
                if (rows > 0) {
                    blocked(kern, transA, transB, rows, n, k, alpha, a, aOff + (transA ? r0 : r0 * lda), lda,
                            b, bOff, ldb, beta, c, cOff + r0 * n, n, finished);
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
                            b, bOff + (transB ? j0 * ldb : j0), ldb, beta, c, cOff + j0, n, finished);
                }
            });
        }
    }

    /**
     * How {@link #gemm} splits C across threads. By columns when op(A) is no larger than each thread's share of op(B)
     * (m ≤ n / threads), unless the columns deal out much worse than the rows: each thread then packs all of A and
     * only its own columns of B, which stay in its own caches, where a row slice reads all of the packed B (half of it
     * packed by, and read from, another core, or all of it packed again). The dense layers of a mini-batch are this
     * shape: 256 × 1024 × 1024 on two threads ran at 284–287 GFLOP/s by rows and 308–316 by columns, 256 × 1024 × 784
     * 261–265 and 300–312 (GEMM-NOTES.md). Otherwise by rows: each slice then re-packs B (a cheap copy when B is not
     * transposed) rather than A (a transposing copy), and columns only when rows divide much worse (1100 × 1000 × 300
     * ran 12 % slower by columns).
     */
    static boolean splitsByRows(GemmKernel kern, int threads, int m, int n) {
        double rows = balance((m + kern.mr() - 1) / kern.mr(), threads);
        double columns = balance((n + kern.nr() - 1) / kern.nr(), threads);
        return (long) m * threads <= n ? columns < rows - 0.05 : rows >= columns - 0.05;
    }

    /**
     * Row slices on {@code parts} threads that share one packed op(B), instead of each packing all of it: at 1024³
     * on two threads each thread packed 4 MiB of B for 10 ms of multiplying. The packed panels of every k slice
     * and column block have their own place in one buffer, packed in groups of {@link #SHARED_B_PANELS} panels by
     * whichever thread claims a group first (each thread starts at its own share), so a thread never waits for
     * another except on a group that is being packed at that moment. A thread that starts late finds its groups
     * packed; if the threads run one after the other, the first packs everything. Packing a group gives the floats
     * that packing the whole block gives, and each row slice's ic loop is the one {@link #blocked} runs, so the
     * result is bitwise the same for any thread count.
     */
    private static void rowSlicesSharingB(Parallel par, int parts, int per, GemmKernel kern, boolean transA,
                                          boolean transB, int m, int n, int k, float alpha, GemmOperand a, int aOff,
                                          int lda, GemmOperand b, int bOff, int ldb, float beta, float[] c, int cOff,
                                          Finished finished) {
        int nr = kern.nr();
        int kcMax = sliceDepth(kern, k);
        int kSlices = (k + kcMax - 1) / kcMax;
        int ncMax = Math.min(kern.nc(), n);
        int blockFloats = roundUp(ncMax, nr) * kcMax;
        int groupsPerBlock = (ncMax + nr * SHARED_B_PANELS - 1) / (nr * SHARED_B_PANELS);
        int blocks = (n + ncMax - 1) / ncMax * kSlices;
        AtomicIntegerArray groups = new AtomicIntegerArray(blocks * groupsPerBlock);
        float[] packed = SharedB.take((long) blocks * blockFloats);
        try {
            par.forEach(parts, t -> {
                int r0 = t * per;
                int rows = Math.min(m, r0 + per) - r0;
                int mcMax = Math.min(kern.mc(), Math.max(rows, 1));
                float[] ap = BUFFERS.get().a(kern.packedASize(mcMax, kcMax));
                int block = 0;
                for (int jc = 0; jc < n; jc += ncMax) {
                    int nc = Math.min(ncMax, n - jc);
                    int groupCount = (nc + nr * SHARED_B_PANELS - 1) / (nr * SHARED_B_PANELS);
                    for (int pc = 0; pc < k; pc += kcMax, block++) {
                        int kc = Math.min(kcMax, k - pc);
                        int bpOff = block * blockFloats;
                        int first = groupCount * t / parts;
                        for (int q = 0; q < groupCount; q++) {
                            int g = (first + q) % groupCount;
                            int state = block * groupsPerBlock + g;
                            if (groups.compareAndSet(state, UNPACKED, PACKING)) {
                                int j0 = g * nr * SHARED_B_PANELS;
                                int cols = Math.min(nc - j0, nr * SHARED_B_PANELS);
                                try {
                                    kern.packB(transB, b, bOff, ldb, pc, kc, jc + j0, cols, packed, bpOff + j0 * kc);
                                } catch (Throwable e) {
                                    groups.set(state, FAILED);
                                    throw e;
                                }
                                groups.set(state, PACKED);
                            }
                        }
                        for (int g = 0; g < groupCount; g++) {
                            awaitPacked(groups, block * groupsPerBlock + g);
                        }
                        if (rows <= 0) {
                            continue;
                        }
                        float betaPc = pc == 0 ? beta : 1f;
                        for (int ic = 0; ic < rows; ic += mcMax) {
                            int mc = Math.min(mcMax, rows - ic);
                            kern.packA(transA, a, aOff, lda, r0 + ic, mc, pc, kc, ap);
                            kern.macroKernel(transA, mc, nc, kc, ap, packed, bpOff, c, cOff + (r0 + ic) * n + jc, n,
                                    alpha, betaPc);
                            if (finished != null && pc + kc == k) {
                                finished.block(cOff + (r0 + ic) * n + jc, mc, nc, n);
                            }
                        }
                    }
                }
            });
        } finally {
            SharedB.give(packed);
        }
    }

    /** Whether row slices of this product share one packed B (see {@link #rowSlicesSharingB}). */
    static boolean sharesPackedB(GemmKernel kern, boolean transA, boolean transB, int n, int k) {
        long packedB = (long) k * roundUp(n, kern.nr());
        return packedB >= SHARED_B_MIN && packedB <= SHARED_B_MAX && !kern.takesDirect(transA, transB, n, k);
    }

    /** The kernel {@link #sgemmBatched} uses. */
    static GemmKernel kernel(boolean simd) {
        return simd ? Simd.KERNEL : ScalarGemmKernel.INSTANCE;
    }

    private static final int UNPACKED = 0;
    private static final int PACKING = 1;
    private static final int PACKED = 2;
    private static final int FAILED = 3;
    /**
     * Panels per claimed group: 8 panels of 32 columns read 1 KiB of each B row at a time (the packers read B a
     * band of rows across all the panels they are given; a single panel read 128 bytes a row and packed slower).
     */
    private static final int SHARED_B_PANELS = 8;
    /**
     * The smallest packed B that threads share, in floats (4 MiB, 1024²). A smaller one mostly stays in the L2 of the
     * core that packed it; shared, half of it was read from the other core's cache, and 512³ on two threads measured
     * 1.5-3 % slower than with each thread packing its own (GEMM-NOTES.md).
     */
    static final long SHARED_B_MIN = 1L << 20;
    /** The largest shared packed B, in floats (16 MiB: all of op(B) at 2048²); larger products pack per thread. */
    static final long SHARED_B_MAX = 1L << 22;

    /** Waits (spinning: a group takes microseconds to pack) until another thread has packed group {@code i}. */
    private static void awaitPacked(AtomicIntegerArray groups, int i) {
        int spins = 0;
        int state;
        while ((state = groups.get(i)) != PACKED) {
            if (state == FAILED) {
                throw new IllegalStateException("packing B failed on another thread");
            }
            if (++spins % 1024 == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * The shared packed-B buffer, kept between calls (one caller at a time takes it; others allocate), softly: up to
     * 16 MiB the collector may take back under memory pressure.
     */
    private static final class SharedB {
        private static final java.util.concurrent.atomic.AtomicReference<java.lang.ref.SoftReference<float[]>> KEPT =
                new java.util.concurrent.atomic.AtomicReference<>();

        static float[] take(long floats) {
            java.lang.ref.SoftReference<float[]> ref = KEPT.getAndSet(null);
            float[] kept = ref == null ? null : ref.get();
            return kept != null && kept.length >= floats ? kept : new float[Math.toIntExact(floats)];
        }

        static void give(float[] buffer) {
            java.lang.ref.SoftReference<float[]> ref = KEPT.get();
            float[] kept = ref == null ? null : ref.get();
            if (kept == null || kept.length < buffer.length) {
                KEPT.compareAndSet(ref, new java.lang.ref.SoftReference<>(buffer));
            }
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
                        GemmOperand a, int aOff, int lda, GemmOperand b, int bOff, int ldb, float beta,
                        float[] c, int cOff, int ldc, Finished finished) {
        if (kern.direct(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc)) {
            if (finished != null) {
                finished.block(cOff, m, n, ldc);
            }
            return;
        }
        int mr = kern.mr();
        int nr = kern.nr();
        int kcMax = sliceDepth(kern, k);
        int ncMax = Math.min(kern.nc(), n);
        int mcMax = Math.min(kern.mc(), m);
        ThreadBuffers buf = BUFFERS.get();
        float[] bp = buf.b(roundUp(ncMax, nr) * kcMax);
        float[] ap = buf.a(kern.packedASize(mcMax, kcMax));
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                kern.packB(transB, b, bOff, ldb, pc, kc, jc, nc, bp, 0);
                float betaPc = pc == 0 ? beta : 1f;
                for (int ic = 0; ic < m; ic += mcMax) {
                    int mc = Math.min(mcMax, m - ic);
                    kern.packA(transA, a, aOff, lda, ic, mc, pc, kc, ap);
                    kern.macroKernel(transA, mc, nc, kc, ap, bp, 0, c, cOff + ic * ldc + jc, ldc, alpha, betaPc);
                    if (finished != null && pc + kc == k) {
                        finished.block(cOff + ic * ldc + jc, mc, nc, ldc);
                    }
                }
            }
        }
    }

    /**
     * The depth of each k slice: equal slices (k = 300 runs as 150 + 150, not 256 + 44). The slicing depends on k
     * only, which keeps the summation order, and so the result, independent of the thread split and of whether the
     * threads share a packed B.
     */
    private static int sliceDepth(GemmKernel kern, int k) {
        int kSlices = (k + kern.kc() - 1) / kern.kc();
        return (k + kSlices - 1) / kSlices;
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }
}
