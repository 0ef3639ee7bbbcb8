package dev.kengine.cpu.gemm;

/**
 * Scalar packing of op(A) and op(B) into the micro-panel layout described in {@link GemmKernel}.
 * A transposed operand costs only here: the packed layout is the same either way.
 *
 * <p>Every packer reads its source as contiguous runs (a row of A or B, or a column of a transposed one); a
 * half-precision operand's run is widened into a small per-thread buffer first ({@link GemmOperand#run}), so the
 * loops are the same for every element type and pack the same floats.
 */
public final class PanelPacking {

    private PanelPacking() {
    }

    /** Per-thread buffer for one widened run of a half-precision source. */
    private static final ThreadLocal<float[]> RUN = ThreadLocal.withInitial(() -> new float[0]);

    /** A buffer for runs of up to n elements when {@code src} is half precision; null when it is float32. */
    private static float[] runBuffer(GemmOperand src, int n) {
        if (!src.isHalf()) {
            return null;
        }
        float[] r = RUN.get();
        if (r.length < n) {
            r = new float[n];
            RUN.set(r);
        }
        return r;
    }

    /** Packs op(A)[i0.., p0..] (mc x kc) of float32 values into micro-panels of {@code mr} rows. */
    public static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                             int mr, float[] dst) {
        packA(transA, GemmOperand.of(a), aOff, lda, i0, mc, p0, kc, mr, dst);
    }

    /** Packs op(A)[i0.., p0..] (mc x kc) into micro-panels of {@code mr} rows. */
    public static void packA(boolean transA, GemmOperand a, int aOff, int lda, int i0, int mc, int p0, int kc,
                             int mr, float[] dst) {
        float[] scratch = runBuffer(a, Math.max(kc, mr));
        for (int r = 0; r < mc; r += mr) {
            int rows = Math.min(mr, mc - r);
            int base = r * kc;
            if (!transA) {
                // A is [m, k]: each row is contiguous along p; the write is strided by mr.
                for (int i = 0; i < rows; i++) {
                    int from = aOff + (i0 + r + i) * lda + p0;
                    float[] run = a.run(from, kc, scratch);
                    int src = a.runStart(from);
                    int d = base + i;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * mr] = run[src + p];
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
                    int from = aOff + (p0 + p) * lda + i0 + r;
                    float[] run = a.run(from, rows, scratch);
                    int src = a.runStart(from);
                    int d = base + p * mr;
                    for (int i = 0; i < rows; i++) {
                        dst[d + i] = run[src + i];
                    }
                    for (int i = rows; i < mr; i++) {
                        dst[d + i] = 0f;
                    }
                }
            }
        }
    }

    /** Packs op(B)[p0.., j0..] (kc x nc) of float32 values into micro-panels of {@code nr} columns. */
    public static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst) {
        packB(transB, GemmOperand.of(b), bOff, ldb, p0, kc, j0, nc, nr, dst, 0, kc);
    }

    /** Packs op(B)[p0.., j0..] (kc x nc) into micro-panels of {@code nr} columns, starting at {@code dstOff}. */
    public static void packB(boolean transB, GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst, int dstOff) {
        packB(transB, b, bOff, ldb, p0, kc, j0, nc, nr, dst, dstOff, kc);
    }

    /**
     * As above, for part of a packed block: the rows p0 .. p0+kc of micro-panels whose full depth is
     * {@code panelDepth} (micro-panel q starts at {@code dstOff + q*panelDepth}).
     */
    public static void packB(boolean transB, GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                             int nr, float[] dst, int dstOff, int panelDepth) {
        float[] scratch = runBuffer(b, Math.max(kc, nr));
        for (int q = 0; q < nc; q += nr) {
            int cols = Math.min(nr, nc - q);
            int base = dstOff + q * panelDepth;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int from = bOff + (p0 + p) * ldb + j0 + q;
                    int d = base + p * nr;
                    if (scratch == null) {
                        System.arraycopy(b.floats(), from, dst, d, cols);
                    } else {
                        GemmOperand.widen(b.halves(), b.bf16(), from, dst, d, cols);
                    }
                    for (int j = cols; j < nr; j++) {
                        dst[d + j] = 0f;
                    }
                }
            } else {
                // B is stored [n, k]: each column of op(B) is contiguous along p.
                for (int j = 0; j < cols; j++) {
                    int from = bOff + (j0 + q + j) * ldb + p0;
                    float[] run = b.run(from, kc, scratch);
                    int src = b.runStart(from);
                    int d = base + j;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * nr] = run[src + p];
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
