package dev.kengine.cpu.simd;

import dev.kengine.cpu.gemm.GemmKernel;
import dev.kengine.cpu.gemm.GemmOperand;
import dev.kengine.cpu.gemm.PanelPacking;
import dev.kengine.cpu.gemm.ThreadBuffers;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API SGEMM micro-kernel: a 14 x 32 tile of C held in 28 vector accumulators of 16
 * floats (AVX-512 has 32 registers: 28 accumulators, 2 B vectors and one broadcast A element, so
 * the loop runs without spills). Each step of p loads one 32-float row of the packed B micro-panel
 * and broadcasts 14 packed A elements: 28 FMAs per 16 loads.
 *
 * <p>Blocking: the packed A block (112 rows of up to 1024 k steps) lives in L2, a B micro-panel
 * (kc x 32 floats) streams through L1 as each of the block's strips multiplies it, and the whole
 * packed B panel (kc x 2048) sits in L3. The long k slice is what pays: C is read and written once
 * per 1024 steps of k.
 *
 * <p>Packed A comes in two layouts so that packing is always a copy, never a transpose: from a
 * row-major A, strips are row-major with the constant row stride AS = KC + 16 (the tile broadcasts
 * {@code ap[p + i*AS]}, a constant displacement per row); from a transposed A, strips are
 * interleaved ({@code ap[p*MR + i]}). Packing a transposed B is the one transpose, done with 16 x 16
 * register transposes. Packed buffers are plain float[]: their 16-byte alignment measured no cost
 * on this Zen 4 (see engine-cpu/GEMM-NOTES.md).
 *
 * <p>Half-precision operands ({@link GemmOperand}) are widened by the packers with the elementwise kernels' vector
 * conversions ({@link VectorElementwise#widenHalves}): rows of A straight into the packed strips, rows of B 32 floats
 * at a time straight into the panels, and the blocks that the transposing packers read (a band of rows of a
 * transposed A, a 16 x 16 block of a transposed B) into a small float32 buffer in L1 that the float32 code then reads.
 * The direct path widens them into float32 scratch first.
 *
 * <p>The tile methods were generated (they are rows of the same two FMAs); keep them regular, and
 * keep branches out of them (see {@link #macroKernel}).
 */
public final class GemmSimdKernel implements GemmKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final int MR = 14;
    private static final int NR = 32;
    // Blocking, swept on the Zen 4 (GEMM-NOTES.md, "kc = 1024"): a long k slice writes each C tile back once
    // per 1024 steps instead of four times at 1024³, which was worth 6-9 % there; the B micro-panel (128 KiB)
    // then streams from L2 with the A block (112 x 1040 floats, 455 KiB) rather than sitting in L1.
    static final int KC = 1024;
    /**
     * Steps of k that one FMA chain runs before its sums are added into C (then the next run starts from zero):
     * a dot product's rounding error grows with the length of its chain, and a whole kc = 1024 slice in one chain
     * was 3–6× OpenBLAS's error at k = 1000–4097. Each run's tile is added into C while C's tile is still in L1
     * (28 vector loads, adds and stores per 256 × 28 FMAs, about 1 %), unlike a shorter kc, which writes C back
     * after each pass over the whole panel (10 % slower, GEMM-NOTES.md). The direct path runs the same lengths, so
     * the two give the same bits.
     */
    static final int SUB_K = 256;
    /**
     * Row stride of a packed row-major A strip: KC plus one cache line, so that the strip's 14 rows do not map
     * to one L1 set (a stride of 4 KiB put them all in one 8-way set and cost about 30 % at kc = 1024).
     */
    private static final int AS = KC + 16;
    private static final int MC = MR * 8;
    /** kc x nc floats of packed B (8 MiB) stay within the L3. */
    private static final int NC = 2048;
    /** Rows of stored B (or transposed A) packed across all full panels before moving down (see {@link #packB}). */
    private static final int PACK_ROWS = 8;
    /** Stores the first MR lanes of a vector: one packed column of an A micro-panel. */
    private static final VectorMask<Float> STORE_MR = S.indexInRange(0, MR);

    public GemmSimdKernel() {
    }

    /** Whether this JVM runs 512-bit float vectors (otherwise the SIMD kernel would be slow, not wrong). */
    public static boolean fullWidth() {
        return FloatVector.SPECIES_PREFERRED.length() >= S.length();
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public int kc() {
        return KC;
    }

    @Override
    public int mc() {
        return MC;
    }

    @Override
    public int nc() {
        return NC;
    }

    @Override
    public int packedASize(int mc, int kc) {
        return (mc + MR - 1) / MR * MR * AS;
    }

    @Override
    public boolean direct(boolean transA, boolean transB, int m, int n, int k, float alpha, GemmOperand a, int aOff,
                          int lda, GemmOperand b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (GemmNarrow.applies(n) && !a.isHalf() && !b.isHalf()) {
            GemmNarrow.multiply(transA, transB, m, n, k, alpha, a.floats(), aOff, lda, b.floats(), bOff, ldb, beta, c,
                    cOff, ldc);
            return true;
        }
        if (!takesDirect(transA, transB, n, k)) {
            return false;
        }
        if (!a.isHalf() && !b.isHalf()) {
            GemmDirect.multiply(m, n, k, alpha, a.floats(), aOff, lda, b.floats(), bOff, ldb, beta, c, cOff, ldc);
            return true;
        }
        // The direct path reads its operands where they are, as floats: a half-precision B (at most MAX_B floats) is
        // widened whole, a half-precision A DIRECT_ROWS rows at a time (whole 14-row strips, which the direct path
        // multiplies one by one, so the strips and the bits are those of one call).
        ThreadBuffers w = WIDENED.get();
        float[] bf = b.floats();
        int bo = bOff;
        int lb = ldb;
        if (b.isHalf()) {
            bf = w.b(k * n);
            for (int p = 0; p < k; p++) {
                VectorElementwise.widenHalves(b.bf16(), b.halves(), bOff + p * ldb, bf, p * n, n);
            }
            bo = 0;
            lb = n;
        }
        if (!a.isHalf()) {
            GemmDirect.multiply(m, n, k, alpha, a.floats(), aOff, lda, bf, bo, lb, beta, c, cOff, ldc);
            return true;
        }
        float[] af = w.a(Math.min(m, DIRECT_ROWS) * k);
        for (int i0 = 0; i0 < m; i0 += DIRECT_ROWS) {
            int rows = Math.min(DIRECT_ROWS, m - i0);
            for (int i = 0; i < rows; i++) {
                VectorElementwise.widenHalves(a.bf16(), a.halves(), aOff + (i0 + i) * lda, af, i * k, k);
            }
            GemmDirect.multiply(rows, n, k, alpha, af, 0, k, bf, bo, lb, beta, c, cOff + i0 * ldc, ldc);
        }
        return true;
    }

    /** Rows of a half-precision A that the direct path widens at a time: whole strips, at most 336 KiB of floats. */
    private static final int DIRECT_ROWS = MR * 16;

    /** Per-thread float32 copies of half-precision operands for the direct path. */
    private static final ThreadLocal<ThreadBuffers> WIDENED = ThreadLocal.withInitial(ThreadBuffers::new);

    @Override
    public boolean takesDirect(boolean transA, boolean transB, int n, int k) {
        // k ≤ KC: the packed path would then run k as one slice too, which makes the two bitwise alike.
        return k <= KC && GemmDirect.applies(transA, transB, n, k);
    }

    @Override
    public void packA(boolean transA, GemmOperand a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        if (!transA) {
            // A is [m, k]: strips are packed row-major with the constant row stride AS, a plain copy
            // of each row (widened, for a half-precision A). The tile then broadcasts A[i, p] from ap[p + i*AS]: a
            // constant displacement per row, so no transpose is needed and no extra registers are used.
            // The copies are vector loops (at 64^3 they took A's packing from 0.55 to 0.45 us, before such small
            // products stopped packing at all). Padding rows are zeroed only as far as the tile macroKernel picks
            // for the strip reads (4, 8 or 14 rows).
            VectorMask<Float> tail = S.indexInRange(kc & -16, kc);
            for (int r = 0; r < mc; r += MR) {
                int rows = Math.min(MR, mc - r);
                int d = r * AS;
                for (int i = 0; i < rows; i++) {
                    int src = aOff + (i0 + r + i) * lda + p0;
                    if (a.isHalf()) {
                        VectorElementwise.widenHalves(a.bf16(), a.halves(), src, dst, d + i * AS, kc);
                    } else {
                        copyRow(a.floats(), src, dst, d + i * AS, kc, tail);
                    }
                }
                int tileRows = rows <= 4 ? 4 : rows <= 8 ? 8 : MR;
                for (int i = rows; i < tileRows; i++) {
                    Arrays.fill(dst, d + i * AS, d + i * AS + kc, 0f);
                }
            }
            return;
        }
        // A is stored [k, m]: interleaved strips (element (i, p) at p*MR + i); the 14 rows at a fixed
        // p are contiguous, one masked copy per p. Lanes past the last row load as zero: the padding.
        // Bands of PACK_ROWS rows of the stored A across all strips, each row read left to right (as in packB); a
        // half-precision band is first widened into a float32 buffer (PACK_ROWS x mc floats, in L1).
        float[] band = a.isHalf() ? buffers().band : null;
        for (int p1 = 0; p1 < kc; p1 += PACK_ROWS) {
            int rows = Math.min(PACK_ROWS, kc - p1);
            float[] from = a.floats();
            int first = aOff + (p0 + p1) * lda + i0;
            int ld = lda;
            if (band != null) {
                for (int p = 0; p < rows; p++) {
                    VectorElementwise.widenHalves(a.bf16(), a.halves(), first + p * lda, band, p * mc, mc);
                }
                from = band;
                first = 0;
                ld = mc;
            }
            for (int r = 0; r < mc; r += MR) {
                VectorMask<Float> load = S.indexInRange(0, Math.min(MR, mc - r));
                int src = first + r;
                int d = r * kc + p1 * MR;
                for (int p = 0; p < rows; p++) {
                    FloatVector.fromArray(S, from, src, load).intoArray(dst, d, STORE_MR);
                    src += ld;
                    d += MR;
                }
            }
        }
    }

    /** dst[d .. d+len) = src[s .. s+len); {@code tail} masks the last len % 16 elements. */
    private static void copyRow(float[] src, int s, float[] dst, int d, int len, VectorMask<Float> tail) {
        int full = len & -16;
        for (int q = 0; q < full; q += 16) {
            FloatVector.fromArray(S, src, s + q).intoArray(dst, d + q);
        }
        if (full < len) {
            FloatVector.fromArray(S, src, s + full, tail).intoArray(dst, d + full, tail);
        }
    }

    /** Per-thread float32 buffers for the half-precision blocks that the transposing packers read. */
    private static final class PackBuffers {
        /**
         * A band of PACK_ROWS rows of a transposed A, mc ≤ MC floats each (see {@link #packA}), and a vector's
         * worth past it, so that the masked loads of the last strip stay within the array (the JDK's fast path).
         */
        final float[] band = new float[PACK_ROWS * MC + 16];
        /** A 16 x 16 block of a transposed B, row-major (see {@link #packTransposedB}). */
        final float[] block = new float[16 * 16];
    }

    private static final ThreadLocal<PackBuffers> PACK_BUFFERS = ThreadLocal.withInitial(PackBuffers::new);

    private static PackBuffers buffers() {
        return PACK_BUFFERS.get();
    }

    @Override
    public void packB(boolean transB, GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst,
                      int dstOff) {
        if (transB) {
            packTransposedB(b, bOff, ldb, p0, kc, j0, nc, dst, dstOff);
            return;
        }
        // Row-major B: each packed row of a micro-panel is two whole vectors copied (or 32 halves widened) from one B
        // row. The full panels are filled a band of PACK_ROWS rows at a time, each row read from left to right:
        // walking one panel down all kc rows instead read B at stride ldb, a new page per row, and at
        // 64 x 4096 x 4096 packing took 13-14 ms of a 36 ms product.
        int fullCols = nc - nc % NR;
        float[] bf = b.floats();
        short[] bh = b.halves();
        boolean bf16 = b.bf16();
        for (int p1 = 0; p1 < kc; p1 += PACK_ROWS) {
            int rows = Math.min(PACK_ROWS, kc - p1);
            for (int q = 0; q < fullCols; q += NR) {
                int d = dstOff + q * kc + p1 * NR;
                int src = bOff + (p0 + p1) * ldb + j0 + q;
                if (bh != null) {
                    for (int p = 0; p < rows; p++) {
                        VectorElementwise.widenHalves(bf16, bh, src, dst, d, NR);
                        src += ldb;
                        d += NR;
                    }
                    continue;
                }
                for (int p = 0; p < rows; p++) {
                    FloatVector.fromArray(S, bf, src).intoArray(dst, d);
                    FloatVector.fromArray(S, bf, src + 16).intoArray(dst, d + 16);
                    src += ldb;
                    d += NR;
                }
            }
        }
        if (fullCols < nc) {
            // The last, short panel: masked loads (widened columns), zeros past the matrix edge.
            int cols = nc - fullCols;
            int d = dstOff + fullCols * kc;
            int src = bOff + p0 * ldb + j0 + fullCols;
            if (bh != null) {
                for (int p = 0; p < kc; p++) {
                    VectorElementwise.widenHalves(bf16, bh, src, dst, d, cols);
                    Arrays.fill(dst, d + cols, d + NR, 0f);
                    src += ldb;
                    d += NR;
                }
                return;
            }
            VectorMask<Float> lo = S.indexInRange(0, cols);
            VectorMask<Float> hi = S.indexInRange(16, cols);
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(S, bf, src, lo).intoArray(dst, d);
                FloatVector.fromArray(S, bf, src + 16, hi).intoArray(dst, d + 16);
                src += ldb;
                d += NR;
            }
        }
    }

    /**
     * B stored [n, k]: each micro-panel is a transpose of 32 rows of B. Whole 16 x 16 blocks are
     * transposed in registers (4 rounds of 16 two-vector permutes, see {@link #transpose16}); the
     * p tail and short panels (fewer than 32 columns) use the scalar packer. Gathers measured 1.7x
     * slower than the scalar loop on this Zen 4, the register transpose several times faster.
     */
    private static void packTransposedB(GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc,
                                        float[] dst, int dstOff) {
        int fullCols = nc - nc % NR;
        int fullP = kc - kc % 16;
        float[] block = b.isHalf() ? buffers().block : null;
        for (int q = 0; q < fullCols; q += NR) {
            for (int half = 0; half < NR; half += 16) {
                int src = bOff + (j0 + q + half) * ldb + p0;
                for (int p = 0; p < fullP; p += 16) {
                    int d = dstOff + q * kc + p * NR + half;
                    if (block == null) {
                        transpose16(b.floats(), src + p, ldb, dst, d);
                    } else {
                        // A half-precision block widened into 16 rows of 16 floats in L1, then transposed.
                        for (int r = 0; r < 16; r++) {
                            VectorElementwise.widenHalves(b.bf16(), b.halves(), src + p + r * ldb, block, r * 16, 16);
                        }
                        transpose16(block, 0, 16, dst, d);
                    }
                }
            }
            if (fullP < kc) {
                PanelPacking.packB(true, b, bOff, ldb, p0 + fullP, kc - fullP, j0 + q, NR, NR, dst,
                        dstOff + q * kc + fullP * NR, kc);
            }
        }
        if (fullCols < nc) {
            PanelPacking.packB(true, b, bOff, ldb, p0, kc, j0 + fullCols, nc - fullCols, NR, dst, dstOff + fullCols * kc,
                    kc);
        }
    }

    /**
     * Index vectors for {@link #transpose16}: round t swaps bit t of the row index with bit t of the
     * lane index, so rows r and r|m (m = 1 << t, bit t of r clear) become
     * {@code lo[c] = c&m ? row(r|m)[c^m] : row(r)[c]} and {@code hi[c] = c&m ? row(r|m)[c] : row(r)[c^m]}.
     */
    private static final FloatVector SWAP_LO0 = swapIndex(0, true);
    private static final FloatVector SWAP_HI0 = swapIndex(0, false);
    private static final FloatVector SWAP_LO1 = swapIndex(1, true);
    private static final FloatVector SWAP_HI1 = swapIndex(1, false);
    private static final FloatVector SWAP_LO2 = swapIndex(2, true);
    private static final FloatVector SWAP_HI2 = swapIndex(2, false);
    private static final FloatVector SWAP_LO3 = swapIndex(3, true);
    private static final FloatVector SWAP_HI3 = swapIndex(3, false);

    private static FloatVector swapIndex(int t, boolean lo) {
        int m = 1 << t;
        float[] idx = new float[16];
        for (int c = 0; c < 16; c++) {
            idx[c] = lo ? ((c & m) == 0 ? c : 16 + (c ^ m)) : ((c & m) == 0 ? (c ^ m) : 16 + c);
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    /**
     * Transposes the 16 x 16 block whose row r starts at {@code b[src + r*ldb]} into
     * {@code dst[d + c*NR ..]} (row c of the transpose, 16 floats). Round t swaps bit t of the row
     * index with bit t of the lane index with one two-vector permute per output (vpermi2ps); the
     * vectors stay in locals, as an array of vectors would be boxed. Generated; keep it regular.
     */
    private static void transpose16(float[] b, int src, int ldb, float[] dst, int d) {
        FloatVector v0 = FloatVector.fromArray(S, b, src);
        FloatVector v1 = FloatVector.fromArray(S, b, src + 1 * ldb);
        FloatVector v2 = FloatVector.fromArray(S, b, src + 2 * ldb);
        FloatVector v3 = FloatVector.fromArray(S, b, src + 3 * ldb);
        FloatVector v4 = FloatVector.fromArray(S, b, src + 4 * ldb);
        FloatVector v5 = FloatVector.fromArray(S, b, src + 5 * ldb);
        FloatVector v6 = FloatVector.fromArray(S, b, src + 6 * ldb);
        FloatVector v7 = FloatVector.fromArray(S, b, src + 7 * ldb);
        FloatVector v8 = FloatVector.fromArray(S, b, src + 8 * ldb);
        FloatVector v9 = FloatVector.fromArray(S, b, src + 9 * ldb);
        FloatVector v10 = FloatVector.fromArray(S, b, src + 10 * ldb);
        FloatVector v11 = FloatVector.fromArray(S, b, src + 11 * ldb);
        FloatVector v12 = FloatVector.fromArray(S, b, src + 12 * ldb);
        FloatVector v13 = FloatVector.fromArray(S, b, src + 13 * ldb);
        FloatVector v14 = FloatVector.fromArray(S, b, src + 14 * ldb);
        FloatVector v15 = FloatVector.fromArray(S, b, src + 15 * ldb);
        FloatVector x;
        // round 0
        x = v0; v0 = SWAP_LO0.selectFrom(x, v1); v1 = SWAP_HI0.selectFrom(x, v1);
        x = v2; v2 = SWAP_LO0.selectFrom(x, v3); v3 = SWAP_HI0.selectFrom(x, v3);
        x = v4; v4 = SWAP_LO0.selectFrom(x, v5); v5 = SWAP_HI0.selectFrom(x, v5);
        x = v6; v6 = SWAP_LO0.selectFrom(x, v7); v7 = SWAP_HI0.selectFrom(x, v7);
        x = v8; v8 = SWAP_LO0.selectFrom(x, v9); v9 = SWAP_HI0.selectFrom(x, v9);
        x = v10; v10 = SWAP_LO0.selectFrom(x, v11); v11 = SWAP_HI0.selectFrom(x, v11);
        x = v12; v12 = SWAP_LO0.selectFrom(x, v13); v13 = SWAP_HI0.selectFrom(x, v13);
        x = v14; v14 = SWAP_LO0.selectFrom(x, v15); v15 = SWAP_HI0.selectFrom(x, v15);
        // round 1
        x = v0; v0 = SWAP_LO1.selectFrom(x, v2); v2 = SWAP_HI1.selectFrom(x, v2);
        x = v1; v1 = SWAP_LO1.selectFrom(x, v3); v3 = SWAP_HI1.selectFrom(x, v3);
        x = v4; v4 = SWAP_LO1.selectFrom(x, v6); v6 = SWAP_HI1.selectFrom(x, v6);
        x = v5; v5 = SWAP_LO1.selectFrom(x, v7); v7 = SWAP_HI1.selectFrom(x, v7);
        x = v8; v8 = SWAP_LO1.selectFrom(x, v10); v10 = SWAP_HI1.selectFrom(x, v10);
        x = v9; v9 = SWAP_LO1.selectFrom(x, v11); v11 = SWAP_HI1.selectFrom(x, v11);
        x = v12; v12 = SWAP_LO1.selectFrom(x, v14); v14 = SWAP_HI1.selectFrom(x, v14);
        x = v13; v13 = SWAP_LO1.selectFrom(x, v15); v15 = SWAP_HI1.selectFrom(x, v15);
        // round 2
        x = v0; v0 = SWAP_LO2.selectFrom(x, v4); v4 = SWAP_HI2.selectFrom(x, v4);
        x = v1; v1 = SWAP_LO2.selectFrom(x, v5); v5 = SWAP_HI2.selectFrom(x, v5);
        x = v2; v2 = SWAP_LO2.selectFrom(x, v6); v6 = SWAP_HI2.selectFrom(x, v6);
        x = v3; v3 = SWAP_LO2.selectFrom(x, v7); v7 = SWAP_HI2.selectFrom(x, v7);
        x = v8; v8 = SWAP_LO2.selectFrom(x, v12); v12 = SWAP_HI2.selectFrom(x, v12);
        x = v9; v9 = SWAP_LO2.selectFrom(x, v13); v13 = SWAP_HI2.selectFrom(x, v13);
        x = v10; v10 = SWAP_LO2.selectFrom(x, v14); v14 = SWAP_HI2.selectFrom(x, v14);
        x = v11; v11 = SWAP_LO2.selectFrom(x, v15); v15 = SWAP_HI2.selectFrom(x, v15);
        // round 3
        x = v0; v0 = SWAP_LO3.selectFrom(x, v8); v8 = SWAP_HI3.selectFrom(x, v8);
        x = v1; v1 = SWAP_LO3.selectFrom(x, v9); v9 = SWAP_HI3.selectFrom(x, v9);
        x = v2; v2 = SWAP_LO3.selectFrom(x, v10); v10 = SWAP_HI3.selectFrom(x, v10);
        x = v3; v3 = SWAP_LO3.selectFrom(x, v11); v11 = SWAP_HI3.selectFrom(x, v11);
        x = v4; v4 = SWAP_LO3.selectFrom(x, v12); v12 = SWAP_HI3.selectFrom(x, v12);
        x = v5; v5 = SWAP_LO3.selectFrom(x, v13); v13 = SWAP_HI3.selectFrom(x, v13);
        x = v6; v6 = SWAP_LO3.selectFrom(x, v14); v14 = SWAP_HI3.selectFrom(x, v14);
        x = v7; v7 = SWAP_LO3.selectFrom(x, v15); v15 = SWAP_HI3.selectFrom(x, v15);
        v0.intoArray(dst, d);
        v1.intoArray(dst, d + 1 * NR);
        v2.intoArray(dst, d + 2 * NR);
        v3.intoArray(dst, d + 3 * NR);
        v4.intoArray(dst, d + 4 * NR);
        v5.intoArray(dst, d + 5 * NR);
        v6.intoArray(dst, d + 6 * NR);
        v7.intoArray(dst, d + 7 * NR);
        v8.intoArray(dst, d + 8 * NR);
        v9.intoArray(dst, d + 9 * NR);
        v10.intoArray(dst, d + 10 * NR);
        v11.intoArray(dst, d + 11 * NR);
        v12.intoArray(dst, d + 12 * NR);
        v13.intoArray(dst, d + 13 * NR);
        v14.intoArray(dst, d + 14 * NR);
        v15.intoArray(dst, d + 15 * NR);
    }

    @Override
    public void macroKernel(boolean transA, int mc, int nc, int kc, float[] ap, float[] bp, int bpOff, float[] c,
                            int cOff, int ldc, float alpha, float beta) {
        // The choice of tile variant is made here, not inside the big tile methods: a branch C2 has
        // never seen taken becomes an uncommon trap, and deoptimising a tile method sends it back to
        // the interpreter (where the Vector API is ~100x slower) until it is recompiled.
        float[] scratch = null;
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int bOff = bpOff + jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                int co = cOff + ir * ldc + jr;
                int aOff = transA ? ir * kc : ir * AS;
                if (rows < MR || cols < NR) {
                    if (scratch == null) {
                        scratch = new float[MR * NR];
                    }
                }
                // The slice in runs of SUB_K, each added into C while its tile is still in L1 (see SUB_K).
                for (int p0 = 0; p0 < kc; p0 += SUB_K) {
                    int len = Math.min(SUB_K, kc - p0);
                    float b = p0 == 0 ? beta : 1f;
                    int ao = aOff + (transA ? p0 * MR : p0);
                    int bo = bOff + p0 * NR;
                    if (rows == MR && cols == NR) {
                        tile(transA, len, ap, ao, bp, bo, c, co, ldc, alpha, b);
                    } else {
                        edgeTile(transA, rows, len, ap, ao, bp, bo, scratch);
                        storeEdge(scratch, c, co, ldc, alpha, b, rows, cols);
                    }
                }
            }
        }
    }

    /** A full tile of kc steps: C = alpha·A·B + beta·C (C not read when beta is 0). */
    private static void tile(boolean transA, int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int co,
                             int ldc, float alpha, float beta) {
        if (beta == 0f) {
            if (transA) {
                tileBeta0I(kc, ap, aOff, bp, bOff, c, co, ldc, alpha);
            } else {
                tileBeta0R(kc, ap, aOff, bp, bOff, c, co, ldc, alpha);
            }
        } else if (transA) {
            tileBetaI(kc, ap, aOff, bp, bOff, c, co, ldc, alpha, beta);
        } else {
            tileBetaR(kc, ap, aOff, bp, bOff, c, co, ldc, alpha, beta);
        }
    }

    /**
     * An edge tile's kc steps into scratch. A short last strip runs a 4- or 8-row tile: at m = 64 (4 x 14 + 8)
     * that saves the 6 padding rows' FMAs, 9% of the work.
     */
    private static void edgeTile(boolean transA, int rows, int kc, float[] ap, int aOff, float[] bp, int bOff,
                                 float[] scratch) {
        if (rows <= 4) {
            if (transA) {
                tileToScratchI4(kc, ap, aOff, bp, bOff, scratch);
            } else {
                tileToScratchR4(kc, ap, aOff, bp, bOff, scratch);
            }
        } else if (rows <= 8) {
            if (transA) {
                tileToScratchI8(kc, ap, aOff, bp, bOff, scratch);
            } else {
                tileToScratchR8(kc, ap, aOff, bp, bOff, scratch);
            }
        } else if (transA) {
            tileToScratchI(kc, ap, aOff, bp, bOff, scratch);
        } else {
            tileToScratchR(kc, ap, aOff, bp, bOff, scratch);
        }
    }

    /** A full tile, beta == 0 (C not read); A strips row-major (row i of the strip at i*AS). */
    private static void tileBeta0R(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                   float[] c, int co, int ldc, float alpha) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + AS]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * AS]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * AS]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * AS]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * AS]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * AS]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * AS]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * AS]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * AS]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * AS]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * AS]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * AS]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * AS]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c000.mul(va).intoArray(c, co);
        c001.mul(va).intoArray(c, co + 16);
        c010.mul(va).intoArray(c, co + 1 * ldc);
        c011.mul(va).intoArray(c, co + 1 * ldc + 16);
        c020.mul(va).intoArray(c, co + 2 * ldc);
        c021.mul(va).intoArray(c, co + 2 * ldc + 16);
        c030.mul(va).intoArray(c, co + 3 * ldc);
        c031.mul(va).intoArray(c, co + 3 * ldc + 16);
        c040.mul(va).intoArray(c, co + 4 * ldc);
        c041.mul(va).intoArray(c, co + 4 * ldc + 16);
        c050.mul(va).intoArray(c, co + 5 * ldc);
        c051.mul(va).intoArray(c, co + 5 * ldc + 16);
        c060.mul(va).intoArray(c, co + 6 * ldc);
        c061.mul(va).intoArray(c, co + 6 * ldc + 16);
        c070.mul(va).intoArray(c, co + 7 * ldc);
        c071.mul(va).intoArray(c, co + 7 * ldc + 16);
        c080.mul(va).intoArray(c, co + 8 * ldc);
        c081.mul(va).intoArray(c, co + 8 * ldc + 16);
        c090.mul(va).intoArray(c, co + 9 * ldc);
        c091.mul(va).intoArray(c, co + 9 * ldc + 16);
        c100.mul(va).intoArray(c, co + 10 * ldc);
        c101.mul(va).intoArray(c, co + 10 * ldc + 16);
        c110.mul(va).intoArray(c, co + 11 * ldc);
        c111.mul(va).intoArray(c, co + 11 * ldc + 16);
        c120.mul(va).intoArray(c, co + 12 * ldc);
        c121.mul(va).intoArray(c, co + 12 * ldc + 16);
        c130.mul(va).intoArray(c, co + 13 * ldc);
        c131.mul(va).intoArray(c, co + 13 * ldc + 16);
    }

    /** A full tile, C = alpha*A*B + beta*C; A strips row-major (row i of the strip at i*AS). */
    private static void tileBetaR(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                  float[] c, int co, int ldc, float alpha, float beta) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + AS]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * AS]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * AS]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * AS]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * AS]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * AS]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * AS]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * AS]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * AS]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * AS]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * AS]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * AS]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * AS]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        c000.fma(va, FloatVector.fromArray(S, c, co).mul(vb)).intoArray(c, co);
        c001.fma(va, FloatVector.fromArray(S, c, co + 16).mul(vb)).intoArray(c, co + 16);
        c010.fma(va, FloatVector.fromArray(S, c, co + 1 * ldc).mul(vb)).intoArray(c, co + 1 * ldc);
        c011.fma(va, FloatVector.fromArray(S, c, co + 1 * ldc + 16).mul(vb)).intoArray(c, co + 1 * ldc + 16);
        c020.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
        c021.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc + 16).mul(vb)).intoArray(c, co + 2 * ldc + 16);
        c030.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
        c031.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc + 16).mul(vb)).intoArray(c, co + 3 * ldc + 16);
        c040.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
        c041.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc + 16).mul(vb)).intoArray(c, co + 4 * ldc + 16);
        c050.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
        c051.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc + 16).mul(vb)).intoArray(c, co + 5 * ldc + 16);
        c060.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc).mul(vb)).intoArray(c, co + 6 * ldc);
        c061.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc + 16).mul(vb)).intoArray(c, co + 6 * ldc + 16);
        c070.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc).mul(vb)).intoArray(c, co + 7 * ldc);
        c071.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc + 16).mul(vb)).intoArray(c, co + 7 * ldc + 16);
        c080.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc).mul(vb)).intoArray(c, co + 8 * ldc);
        c081.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc + 16).mul(vb)).intoArray(c, co + 8 * ldc + 16);
        c090.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc).mul(vb)).intoArray(c, co + 9 * ldc);
        c091.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc + 16).mul(vb)).intoArray(c, co + 9 * ldc + 16);
        c100.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc).mul(vb)).intoArray(c, co + 10 * ldc);
        c101.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc + 16).mul(vb)).intoArray(c, co + 10 * ldc + 16);
        c110.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc).mul(vb)).intoArray(c, co + 11 * ldc);
        c111.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc + 16).mul(vb)).intoArray(c, co + 11 * ldc + 16);
        c120.fma(va, FloatVector.fromArray(S, c, co + 12 * ldc).mul(vb)).intoArray(c, co + 12 * ldc);
        c121.fma(va, FloatVector.fromArray(S, c, co + 12 * ldc + 16).mul(vb)).intoArray(c, co + 12 * ldc + 16);
        c130.fma(va, FloatVector.fromArray(S, c, co + 13 * ldc).mul(vb)).intoArray(c, co + 13 * ldc);
        c131.fma(va, FloatVector.fromArray(S, c, co + 13 * ldc + 16).mul(vb)).intoArray(c, co + 13 * ldc + 16);
    }

    /** An edge tile: raw accumulators to scratch, row-major; A strips row-major (row i of the strip at i*AS). */
    private static void tileToScratchR(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                       float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + AS]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * AS]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * AS]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * AS]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * AS]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * AS]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * AS]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * AS]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * AS]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * AS]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * AS]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * AS]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * AS]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
        c040.intoArray(scratch, 128);
        c041.intoArray(scratch, 144);
        c050.intoArray(scratch, 160);
        c051.intoArray(scratch, 176);
        c060.intoArray(scratch, 192);
        c061.intoArray(scratch, 208);
        c070.intoArray(scratch, 224);
        c071.intoArray(scratch, 240);
        c080.intoArray(scratch, 256);
        c081.intoArray(scratch, 272);
        c090.intoArray(scratch, 288);
        c091.intoArray(scratch, 304);
        c100.intoArray(scratch, 320);
        c101.intoArray(scratch, 336);
        c110.intoArray(scratch, 352);
        c111.intoArray(scratch, 368);
        c120.intoArray(scratch, 384);
        c121.intoArray(scratch, 400);
        c130.intoArray(scratch, 416);
        c131.intoArray(scratch, 432);
    }

    /** A full tile, beta == 0 (C not read); A strips interleaved (element (i, p) at p*MR + i). */
    private static void tileBeta0I(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                   float[] c, int co, int ldc, float alpha) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        c000.mul(va).intoArray(c, co);
        c001.mul(va).intoArray(c, co + 16);
        c010.mul(va).intoArray(c, co + 1 * ldc);
        c011.mul(va).intoArray(c, co + 1 * ldc + 16);
        c020.mul(va).intoArray(c, co + 2 * ldc);
        c021.mul(va).intoArray(c, co + 2 * ldc + 16);
        c030.mul(va).intoArray(c, co + 3 * ldc);
        c031.mul(va).intoArray(c, co + 3 * ldc + 16);
        c040.mul(va).intoArray(c, co + 4 * ldc);
        c041.mul(va).intoArray(c, co + 4 * ldc + 16);
        c050.mul(va).intoArray(c, co + 5 * ldc);
        c051.mul(va).intoArray(c, co + 5 * ldc + 16);
        c060.mul(va).intoArray(c, co + 6 * ldc);
        c061.mul(va).intoArray(c, co + 6 * ldc + 16);
        c070.mul(va).intoArray(c, co + 7 * ldc);
        c071.mul(va).intoArray(c, co + 7 * ldc + 16);
        c080.mul(va).intoArray(c, co + 8 * ldc);
        c081.mul(va).intoArray(c, co + 8 * ldc + 16);
        c090.mul(va).intoArray(c, co + 9 * ldc);
        c091.mul(va).intoArray(c, co + 9 * ldc + 16);
        c100.mul(va).intoArray(c, co + 10 * ldc);
        c101.mul(va).intoArray(c, co + 10 * ldc + 16);
        c110.mul(va).intoArray(c, co + 11 * ldc);
        c111.mul(va).intoArray(c, co + 11 * ldc + 16);
        c120.mul(va).intoArray(c, co + 12 * ldc);
        c121.mul(va).intoArray(c, co + 12 * ldc + 16);
        c130.mul(va).intoArray(c, co + 13 * ldc);
        c131.mul(va).intoArray(c, co + 13 * ldc + 16);
    }

    /** A full tile, C = alpha*A*B + beta*C; A strips interleaved (element (i, p) at p*MR + i). */
    private static void tileBetaI(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                  float[] c, int co, int ldc, float alpha, float beta) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        c000.fma(va, FloatVector.fromArray(S, c, co).mul(vb)).intoArray(c, co);
        c001.fma(va, FloatVector.fromArray(S, c, co + 16).mul(vb)).intoArray(c, co + 16);
        c010.fma(va, FloatVector.fromArray(S, c, co + 1 * ldc).mul(vb)).intoArray(c, co + 1 * ldc);
        c011.fma(va, FloatVector.fromArray(S, c, co + 1 * ldc + 16).mul(vb)).intoArray(c, co + 1 * ldc + 16);
        c020.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
        c021.fma(va, FloatVector.fromArray(S, c, co + 2 * ldc + 16).mul(vb)).intoArray(c, co + 2 * ldc + 16);
        c030.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
        c031.fma(va, FloatVector.fromArray(S, c, co + 3 * ldc + 16).mul(vb)).intoArray(c, co + 3 * ldc + 16);
        c040.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
        c041.fma(va, FloatVector.fromArray(S, c, co + 4 * ldc + 16).mul(vb)).intoArray(c, co + 4 * ldc + 16);
        c050.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
        c051.fma(va, FloatVector.fromArray(S, c, co + 5 * ldc + 16).mul(vb)).intoArray(c, co + 5 * ldc + 16);
        c060.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc).mul(vb)).intoArray(c, co + 6 * ldc);
        c061.fma(va, FloatVector.fromArray(S, c, co + 6 * ldc + 16).mul(vb)).intoArray(c, co + 6 * ldc + 16);
        c070.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc).mul(vb)).intoArray(c, co + 7 * ldc);
        c071.fma(va, FloatVector.fromArray(S, c, co + 7 * ldc + 16).mul(vb)).intoArray(c, co + 7 * ldc + 16);
        c080.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc).mul(vb)).intoArray(c, co + 8 * ldc);
        c081.fma(va, FloatVector.fromArray(S, c, co + 8 * ldc + 16).mul(vb)).intoArray(c, co + 8 * ldc + 16);
        c090.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc).mul(vb)).intoArray(c, co + 9 * ldc);
        c091.fma(va, FloatVector.fromArray(S, c, co + 9 * ldc + 16).mul(vb)).intoArray(c, co + 9 * ldc + 16);
        c100.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc).mul(vb)).intoArray(c, co + 10 * ldc);
        c101.fma(va, FloatVector.fromArray(S, c, co + 10 * ldc + 16).mul(vb)).intoArray(c, co + 10 * ldc + 16);
        c110.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc).mul(vb)).intoArray(c, co + 11 * ldc);
        c111.fma(va, FloatVector.fromArray(S, c, co + 11 * ldc + 16).mul(vb)).intoArray(c, co + 11 * ldc + 16);
        c120.fma(va, FloatVector.fromArray(S, c, co + 12 * ldc).mul(vb)).intoArray(c, co + 12 * ldc);
        c121.fma(va, FloatVector.fromArray(S, c, co + 12 * ldc + 16).mul(vb)).intoArray(c, co + 12 * ldc + 16);
        c130.fma(va, FloatVector.fromArray(S, c, co + 13 * ldc).mul(vb)).intoArray(c, co + 13 * ldc);
        c131.fma(va, FloatVector.fromArray(S, c, co + 13 * ldc + 16).mul(vb)).intoArray(c, co + 13 * ldc + 16);
    }

    /** An edge tile: raw accumulators to scratch, row-major; A strips interleaved (element (i, p) at p*MR + i). */
    private static void tileToScratchI(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                       float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        FloatVector c080 = FloatVector.zero(S), c081 = FloatVector.zero(S);
        FloatVector c090 = FloatVector.zero(S), c091 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        FloatVector c120 = FloatVector.zero(S), c121 = FloatVector.zero(S);
        FloatVector c130 = FloatVector.zero(S), c131 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13]);
            c130 = a.fma(b0, c130); c131 = a.fma(b1, c131);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
        c040.intoArray(scratch, 128);
        c041.intoArray(scratch, 144);
        c050.intoArray(scratch, 160);
        c051.intoArray(scratch, 176);
        c060.intoArray(scratch, 192);
        c061.intoArray(scratch, 208);
        c070.intoArray(scratch, 224);
        c071.intoArray(scratch, 240);
        c080.intoArray(scratch, 256);
        c081.intoArray(scratch, 272);
        c090.intoArray(scratch, 288);
        c091.intoArray(scratch, 304);
        c100.intoArray(scratch, 320);
        c101.intoArray(scratch, 336);
        c110.intoArray(scratch, 352);
        c111.intoArray(scratch, 368);
        c120.intoArray(scratch, 384);
        c121.intoArray(scratch, 400);
        c130.intoArray(scratch, 416);
        c131.intoArray(scratch, 432);
    }

    /** An edge tile of at most 4 rows: raw accumulators to scratch; A strips row-major. */
    private static void tileToScratchR4(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                        float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + AS]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * AS]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * AS]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
    }

    /** An edge tile of at most 8 rows: raw accumulators to scratch; A strips row-major. */
    private static void tileToScratchR8(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                        float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + AS]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * AS]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * AS]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * AS]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * AS]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * AS]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * AS]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
        c040.intoArray(scratch, 128);
        c041.intoArray(scratch, 144);
        c050.intoArray(scratch, 160);
        c051.intoArray(scratch, 176);
        c060.intoArray(scratch, 192);
        c061.intoArray(scratch, 208);
        c070.intoArray(scratch, 224);
        c071.intoArray(scratch, 240);
    }

    /** An edge tile of at most 4 rows: raw accumulators to scratch; A strips interleaved. */
    private static void tileToScratchI4(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                        float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
    }

    /** An edge tile of at most 8 rows: raw accumulators to scratch; A strips interleaved. */
    private static void tileToScratchI8(int kc, float[] ap, int aOff, float[] bp, int bOff,
                                        float[] scratch) {
        FloatVector c000 = FloatVector.zero(S), c001 = FloatVector.zero(S);
        FloatVector c010 = FloatVector.zero(S), c011 = FloatVector.zero(S);
        FloatVector c020 = FloatVector.zero(S), c021 = FloatVector.zero(S);
        FloatVector c030 = FloatVector.zero(S), c031 = FloatVector.zero(S);
        FloatVector c040 = FloatVector.zero(S), c041 = FloatVector.zero(S);
        FloatVector c050 = FloatVector.zero(S), c051 = FloatVector.zero(S);
        FloatVector c060 = FloatVector.zero(S), c061 = FloatVector.zero(S);
        FloatVector c070 = FloatVector.zero(S), c071 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai]);
            c000 = a.fma(b0, c000); c001 = a.fma(b1, c001);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
        }
        c000.intoArray(scratch, 0);
        c001.intoArray(scratch, 16);
        c010.intoArray(scratch, 32);
        c011.intoArray(scratch, 48);
        c020.intoArray(scratch, 64);
        c021.intoArray(scratch, 80);
        c030.intoArray(scratch, 96);
        c031.intoArray(scratch, 112);
        c040.intoArray(scratch, 128);
        c041.intoArray(scratch, 144);
        c050.intoArray(scratch, 160);
        c051.intoArray(scratch, 176);
        c060.intoArray(scratch, 192);
        c061.intoArray(scratch, 208);
        c070.intoArray(scratch, 224);
        c071.intoArray(scratch, 240);
    }

    static void storeEdge(float[] acc, float[] c, int co, int ldc, float alpha, float beta,
                                  int rows, int cols) {
        // Masked vector stores: at small sizes edge tiles are a large share of all tiles. The
        // arithmetic is the full-tile path's (alpha*acc, or fma(acc, alpha, beta*c)), so a C element's
        // value does not depend on whether it fell in an edge tile.
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        for (int j = 0; j < cols; j += 16) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            for (int i = 0; i < rows; i++) {
                int ci = co + i * ldc + j;
                FloatVector v = FloatVector.fromArray(S, acc, i * NR + j);
                if (beta == 0f) {
                    v.mul(va).intoArray(c, ci, m);
                } else {
                    v.fma(va, FloatVector.fromArray(S, c, ci, m).mul(vb)).intoArray(c, ci, m);
                }
            }
        }
    }
}
