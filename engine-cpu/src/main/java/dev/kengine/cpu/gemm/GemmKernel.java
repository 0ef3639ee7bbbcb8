package dev.kengine.cpu.gemm;

/**
 * One register-blocked SGEMM implementation: its tile and cache-block sizes, how it packs operand
 * panels, and the macro-kernel that multiplies a packed block of A by a packed panel of B into C.
 *
 * <p>Packed layouts (shared by every implementation so the packers can be reused): op(A) is cut into
 * micro-panels of {@link #mr()} rows, micro-panel r at {@code r*mr*kc}, element (i, p) at
 * {@code + p*mr + i}; op(B) into micro-panels of {@link #nr()} columns, micro-panel q at
 * {@code q*nr*kc}, element (p, j) at {@code + p*nr + j}. Rows and columns past the matrix edge are
 * packed as zeros, so micro-kernels always run full tiles and never read outside an array. The packers read
 * float32 or half-precision operands ({@link GemmOperand}); the panels are float32 either way.
 *
 * <p>Public only so that the SIMD implementation in {@code dev.kengine.cpu.simd} can implement it.
 */
public interface GemmKernel {

    /** Rows of C per micro-tile. */
    int mr();

    /** Columns of C per micro-tile. */
    int nr();

    /** Depth of a packed block (the k extent kept in cache per pass). */
    int kc();

    /** Rows of A packed per block (a multiple of {@link #mr()}), sized for L2. */
    int mc();

    /** Columns of B packed per panel (a multiple of {@link #nr()}). */
    int nc();

    /**
     * Computes C[m, n] (row stride ldc) = alpha * op(A) * op(B) + beta * C without packing, where this
     * kernel has such a path for the problem, and says whether it did; otherwise the caller packs. The
     * result must be bitwise the packed path's. None by default.
     */
    default boolean direct(boolean transA, boolean transB, int m, int n, int k, float alpha, GemmOperand a, int aOff,
                           int lda, GemmOperand b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        return false;
    }

    /** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into {@code dst} (see the class comment); the scalar packers by default. */
    default void packA(boolean transA, GemmOperand a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        PanelPacking.packA(transA, a, aOff, lda, i0, mc, p0, kc, mr(), dst);
    }

    /**
     * Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into {@code dst} from {@code dstOff} (see the class comment); the scalar
     * packers by default. Each micro-panel is packed on its own, so packing a whole block at once or its panels in
     * groups (at {@code dstOff} = first column · kc) gives the same floats.
     */
    default void packB(boolean transB, GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst,
                       int dstOff) {
        PanelPacking.packB(transB, b, bOff, ldb, p0, kc, j0, nc, nr(), dst, dstOff);
    }

    /** Whether {@link #direct} takes problems of this shape (then there is no B to pack). */
    default boolean takesDirect(boolean transA, boolean transB, int n, int k) {
        return false;
    }

    /** Floats {@link #packA} writes for an mc x kc block. */
    default int packedASize(int mc, int kc) {
        return (mc + mr() - 1) / mr() * mr() * kc;
    }

    /**
     * C[0..mc, 0..nc] (at {@code cOff}, row stride {@code ldc}) = alpha * Ap * Bp + beta * C, where
     * Ap and Bp are packed with depth kc, Ap by {@code packA(transA, ...)} (an implementation may lay
     * out A differently for the two cases) and Bp from {@code bpOff}. beta == 0 means C is not read.
     */
    void macroKernel(boolean transA, int mc, int nc, int kc, float[] ap, float[] bp, int bpOff, float[] c, int cOff,
                     int ldc, float alpha, float beta);

    /**
     * Writes a tile left in {@code acc} (row i at {@code i*accStride}) to C: rows x cols elements at
     * {@code co}, row stride {@code ldc}, as alpha·acc (beta == 0: C unread) or alpha·acc + beta·C.
     */
    static void storeTile(float[] acc, int accStride, int rows, int cols, float[] c, int co, int ldc,
                          float alpha, float beta) {
        for (int i = 0; i < rows; i++) {
            int ci = co + i * ldc;
            for (int j = 0; j < cols; j++) {
                float v = acc[i * accStride + j];
                c[ci + j] = beta == 0f ? alpha * v : alpha * v + beta * c[ci + j];
            }
        }
    }
}
