package dev.kengine.cpu.gemm;

/**
 * Scalar packing of op(A) and op(B) into the micro-panel layout described in {@link GemmKernel}.
 * A transposed operand costs only here: the packed layout is the same either way.
 */
public final class PanelPacking {

    private PanelPacking() {
    }

    /** Packs op(A)[i0.., p0..] (mc x kc) into micro-panels of {@code mr} rows. */
    public static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                             int mr, float[] dst) {
        for (int r = 0; r < mc; r += mr) {
            int rows = Math.min(mr, mc - r);
            int base = r * kc;
            if (!transA) {
                // A is [m, k]: each row is contiguous along p; the write is strided by mr.
                for (int i = 0; i < rows; i++) {
                    int src = aOff + (i0 + r + i) * lda + p0;
                    int d = base + i;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * mr] = a[src + p];
                    }
                }
                if (rows < mr) {
                    for (int p = 0; p < kc; p++) {
                        for (int i = rows; i < mr; i++) {
                            dst[base + p * mr + i] = 0f;
                        }
                    }
                }
            } else {
                // A is stored [k, m]: for a fixed p the mr rows are contiguous, as in the packed layout.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + r;
                    int d = base + p * mr;
                    for (int i = 0; i < rows; i++) {
                        dst[d + i] = a[src + i];
                    }
                    for (int i = rows; i < mr; i++) {
                        dst[d + i] = 0f;
                    }
                }
            }
        }
    }

    /** Packs op(B)[p0.., j0..] (kc x nc) into micro-panels of {@code nr} columns. */
    public static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst) {
        packB(transB, b, bOff, ldb, p0, kc, j0, nc, nr, dst, 0);
    }

    /** As {@link #packB(boolean, float[], int, int, int, int, int, int, int, float[])}, starting at {@code dstOff}. */
    public static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst, int dstOff) {
        packB(transB, b, bOff, ldb, p0, kc, j0, nc, nr, dst, dstOff, kc);
    }

    /**
     * As above, for part of a packed block: the rows p0 .. p0+kc of micro-panels whose full depth is
     * {@code panelDepth} (micro-panel q starts at {@code dstOff + q*panelDepth}).
     */
    public static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst, int dstOff, int panelDepth) {
        for (int q = 0; q < nc; q += nr) {
            int cols = Math.min(nr, nc - q);
            int base = dstOff + q * panelDepth;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int src = bOff + (p0 + p) * ldb + j0 + q;
                    int d = base + p * nr;
                    System.arraycopy(b, src, dst, d, cols);
                    for (int j = cols; j < nr; j++) {
                        dst[d + j] = 0f;
                    }
                }
            } else {
                // B is stored [n, k]: each column of op(B) is contiguous along p.
                for (int j = 0; j < cols; j++) {
                    int src = bOff + (j0 + q + j) * ldb + p0;
                    int d = base + j;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * nr] = b[src + p];
                    }
                }
                if (cols < nr) {
                    for (int p = 0; p < kc; p++) {
                        for (int j = cols; j < nr; j++) {
                            dst[base + p * nr + j] = 0f;
                        }
                    }
                }
            }
        }
    }
}
