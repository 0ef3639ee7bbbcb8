package dev.kengine.cpu.simd;

import dev.kengine.cpu.gemm.ThreadBuffers;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with at most 16 columns of C (a classifier's last layer: 256 × 1024 · 1024 × 10, and its weight gradient
 * 1024 × 256 · 256 × 10): one vector of C's columns per row, 16 rows at a time. The 14 × 32 tile would compute 32
 * columns for these 10, about a third of its FMAs useful, and pack A for it; here 10 of every 16 lanes are, A is read
 * where it lies (either layout: each step broadcasts one element of 16 rows), and B is copied once per k slice into
 * rows of 16 floats, zero past n.
 *
 * <p>The arithmetic per element of C is the packed path's: k cut into the same equal slices of at most
 * {@link GemmSimdKernel#KC}, each slice into runs of {@link GemmSimdKernel#SUB_K} steps, each run an FMA chain from
 * +0 in k order (A's element times B's, as the tile forms it), added into C as alpha·acc (the first run, beta = 0) or
 * fma(acc, alpha, beta·C) (beta = 1 after the first run). So which path ran never shows in the result, and a row split
 * across threads gives the bits of one thread.
 *
 * <p>The tile methods keep their 16 (or 4) accumulators in registers and have no branch; a short strip repeats its
 * last row of A in the tile's spare rows (computed, never stored). Loads are never masked (the B rows are whole
 * vectors); only the store into C is, as in {@link GemmSimdKernel#storeEdge}.
 */
final class GemmNarrow {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    /** Columns of C one vector holds, and rows of a full tile. */
    static final int W = 16;

    /** Row stride of the copied strip of a row-major A: a run's SUB_K steps plus one cache line. */
    private static final int STRIP_STRIDE = GemmSimdKernel.SUB_K + 16;
    /** Where the copied strip starts in the scratch array, after the tile's 16 × 16 floats. */
    private static final int STRIP_AT = W * W;

    /** Per-thread B panel (kc × 16 floats) and tile scratch (16 × 16 floats). */
    private static final ThreadLocal<ThreadBuffers> BUFFERS = ThreadLocal.withInitial(ThreadBuffers::new);

    private GemmNarrow() {
    }

    /** Whether this path takes a product with n columns of C. */
    static boolean applies(int n) {
        return n >= 1 && n <= W;
    }

    /**
     * C[m, n] (row stride ldc) = alpha·op(A)·op(B) + beta·C for n ≤ 16, beta == 0 meaning C is not read; op(A)[i, p] is
     * {@code a[aOff + i·lda + p]}, or {@code a[aOff + p·lda + i]} when transA; likewise B.
     */
    static void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                         float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        int kSlices = (k + GemmSimdKernel.KC - 1) / GemmSimdKernel.KC;
        int kcMax = (k + kSlices - 1) / kSlices;
        ThreadBuffers buffers = BUFFERS.get();
        float[] panel = buffers.a(kcMax * W);
        // One scratch array: the tile's 16 rows of 16 floats, then (for a row-major A) the copied strip at STRIP_AT.
        float[] scratch = buffers.b(STRIP_AT + W * STRIP_STRIDE);
        int rs = transA ? 1 : lda;
        int ps = transA ? lda : 1;
        for (int pc = 0; pc < k; pc += kcMax) {
            int kc = Math.min(kcMax, k - pc);
            for (int p = 0; p < kc; p++) {
                int d = p * W;
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        panel[d + j] = b[bOff + j * ldb + pc + p];
                    }
                } else {
                    System.arraycopy(b, bOff + (pc + p) * ldb, panel, d, n);
                }
                for (int j = n; j < W; j++) {
                    panel[d + j] = 0f;
                }
            }
            for (int i0 = 0; i0 < m; i0 += W) {
                int rows = Math.min(W, m - i0);
                for (int p0 = 0; p0 < kc; p0 += GemmSimdKernel.SUB_K) {
                    int len = Math.min(GemmSimdKernel.SUB_K, kc - p0);
                    float[] as = a;
                    int ao = aOff + i0 * rs + (pc + p0) * ps;
                    int ars = rs;
                    if (!transA) {
                        // Rows of a row-major A lie a whole row stride apart: at 1024 floats (4 KiB) all 16 map to
                        // one 8-way L1 set and every broadcast missed. They are copied to rows STRIP_STRIDE apart.
                        for (int i = 0; i < rows; i++) {
                            System.arraycopy(a, ao + i * lda, scratch, STRIP_AT + i * STRIP_STRIDE, len);
                        }
                        as = scratch;
                        ao = STRIP_AT;
                        ars = STRIP_STRIDE;
                    }
                    if (rows == W) {
                        tile16(len, as, ao, ars, ps, panel, p0 * W, scratch);
                    } else {
                        for (int g = 0; g < rows; g += 4) {
                            tile4(len, as, ao + g * ars, ars * Math.min(1, rows - g - 1),
                                    ars * Math.min(2, rows - g - 1), ars * Math.min(3, rows - g - 1), ps, panel,
                                    p0 * W, scratch, g * W);
                        }
                    }
                    store(scratch, rows, n, c, cOff + i0 * ldc, ldc, alpha, pc == 0 && p0 == 0 ? beta : 1f);
                }
            }
        }
    }

    /** C's rows from the tile scratch: alpha·acc (beta == 0: C unread) or fma(acc, alpha, beta·C), n lanes a row. */
    private static void store(float[] acc, int rows, int n, float[] c, int co, int ldc, float alpha, float beta) {
        VectorMask<Float> cols = S.indexInRange(0, n);
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        for (int i = 0; i < rows; i++) {
            int ci = co + i * ldc;
            FloatVector v = FloatVector.fromArray(S, acc, i * W);
            if (beta == 0f) {
                v.mul(va).intoArray(c, ci, cols);
            } else {
                v.fma(va, FloatVector.fromArray(S, c, ci, cols).mul(vb)).intoArray(c, ci, cols);
            }
        }
    }

    /** 16 rows, len steps: acc row i = Σ_p A(i, p)·B(p, 0..15), A(i, p) at a[ao + i·rs + p·ps], B row p at bp[bo + p·16]. */
    private static void tile16(int len, float[] a, int ao, int rs, int ps, float[] bp, int bo, float[] acc) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        FloatVector c4 = FloatVector.zero(S), c5 = FloatVector.zero(S), c6 = FloatVector.zero(S), c7 = FloatVector.zero(S);
        FloatVector c8 = FloatVector.zero(S), c9 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S), c13 = FloatVector.zero(S), c14 = FloatVector.zero(S), c15 = FloatVector.zero(S);
        int o1 = rs, o2 = 2 * rs, o3 = 3 * rs, o4 = 4 * rs, o5 = 5 * rs, o6 = 6 * rs, o7 = 7 * rs;
        int o8 = 8 * rs, o9 = 9 * rs, o10 = 10 * rs, o11 = 11 * rs, o12 = 12 * rs, o13 = 13 * rs, o14 = 14 * rs;
        int o15 = 15 * rs;
        for (int p = 0, ai = ao, bi = bo; p < len; p++, ai += ps, bi += W) {
            FloatVector b = FloatVector.fromArray(S, bp, bi);
            c0 = FloatVector.broadcast(S, a[ai]).fma(b, c0);
            c1 = FloatVector.broadcast(S, a[ai + o1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, a[ai + o2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, a[ai + o3]).fma(b, c3);
            c4 = FloatVector.broadcast(S, a[ai + o4]).fma(b, c4);
            c5 = FloatVector.broadcast(S, a[ai + o5]).fma(b, c5);
            c6 = FloatVector.broadcast(S, a[ai + o6]).fma(b, c6);
            c7 = FloatVector.broadcast(S, a[ai + o7]).fma(b, c7);
            c8 = FloatVector.broadcast(S, a[ai + o8]).fma(b, c8);
            c9 = FloatVector.broadcast(S, a[ai + o9]).fma(b, c9);
            c10 = FloatVector.broadcast(S, a[ai + o10]).fma(b, c10);
            c11 = FloatVector.broadcast(S, a[ai + o11]).fma(b, c11);
            c12 = FloatVector.broadcast(S, a[ai + o12]).fma(b, c12);
            c13 = FloatVector.broadcast(S, a[ai + o13]).fma(b, c13);
            c14 = FloatVector.broadcast(S, a[ai + o14]).fma(b, c14);
            c15 = FloatVector.broadcast(S, a[ai + o15]).fma(b, c15);
        }
        c0.intoArray(acc, 0);
        c1.intoArray(acc, W);
        c2.intoArray(acc, 2 * W);
        c3.intoArray(acc, 3 * W);
        c4.intoArray(acc, 4 * W);
        c5.intoArray(acc, 5 * W);
        c6.intoArray(acc, 6 * W);
        c7.intoArray(acc, 7 * W);
        c8.intoArray(acc, 8 * W);
        c9.intoArray(acc, 9 * W);
        c10.intoArray(acc, 10 * W);
        c11.intoArray(acc, 11 * W);
        c12.intoArray(acc, 12 * W);
        c13.intoArray(acc, 13 * W);
        c14.intoArray(acc, 14 * W);
        c15.intoArray(acc, 15 * W);
    }

    /**
     * 4 rows, len steps, into acc from row offset {@code at}: rows 1–3 of A at offsets o1–o3 from row 0 (a short
     * group passes the last real row's offset again for the rows past it).
     */
    private static void tile4(int len, float[] a, int ao, int o1, int o2, int o3, int ps, float[] bp, int bo,
                              float[] acc, int at) {
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        for (int p = 0, ai = ao, bi = bo; p < len; p++, ai += ps, bi += W) {
            FloatVector b = FloatVector.fromArray(S, bp, bi);
            c0 = FloatVector.broadcast(S, a[ai]).fma(b, c0);
            c1 = FloatVector.broadcast(S, a[ai + o1]).fma(b, c1);
            c2 = FloatVector.broadcast(S, a[ai + o2]).fma(b, c2);
            c3 = FloatVector.broadcast(S, a[ai + o3]).fma(b, c3);
        }
        c0.intoArray(acc, at);
        c1.intoArray(acc, at + W);
        c2.intoArray(acc, at + 2 * W);
        c3.intoArray(acc, at + 3 * W);
    }
}
