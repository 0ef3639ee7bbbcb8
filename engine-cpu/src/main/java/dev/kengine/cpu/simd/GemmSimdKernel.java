package dev.kengine.cpu.simd;

import dev.kengine.cpu.gemm.GemmKernel;
import dev.kengine.cpu.gemm.PanelPacking;
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
 * <p>Blocking: a B micro-panel (kc x 32 floats, 32 KiB at kc = 256) stays in L1 while the packed
 * A block (mc x kc, 336 KiB) streams from L2 under it; the whole packed B panel sits in L3.
 * The tile loop body was generated (it is 14 rows of the same two FMAs); keep it regular.
 */
public final class GemmSimdKernel implements GemmKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final int MR = 14;
    private static final int NR = 32;
    private static final int KC = 256;
    private static final int MC = MR * 24;
    private static final int NC = 4096;
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
        return (mc + MR - 1) / MR * MR * KC;
    }

    @Override
    public void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] dst) {
        if (!transA) {
            // A is [m, k]: strips are packed row-major with the constant row stride KC, a plain copy
            // of each row. The tile then broadcasts A[i, p] from ap[p + i*KC]: a constant
            // displacement per row, so no transpose is needed and no extra registers are used.
            for (int r = 0; r < mc; r += MR) {
                int rows = Math.min(MR, mc - r);
                int d = r * KC;
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(a, aOff + (i0 + r + i) * lda + p0, dst, d + i * KC, kc);
                }
                for (int i = rows; i < MR; i++) {
                    Arrays.fill(dst, d + i * KC, d + i * KC + kc, 0f);
                }
            }
            return;
        }
        // A is stored [k, m]: interleaved strips (element (i, p) at p*MR + i); the 14 rows at a fixed
        // p are contiguous, one masked copy per p. Lanes past the last row load as zero: the padding.
        for (int r = 0; r < mc; r += MR) {
            VectorMask<Float> load = S.indexInRange(0, Math.min(MR, mc - r));
            int src = aOff + p0 * lda + i0 + r;
            int d = r * kc;
            for (int p = 0; p < kc; p++) {
                FloatVector.fromArray(S, a, src, load).intoArray(dst, d, STORE_MR);
                src += lda;
                d += MR;
            }
        }
    }

    @Override
    public void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst) {
        if (transB) {
            // A transpose; gathers were slower than the scalar packer here (see packA).
            PanelPacking.packB(true, b, bOff, ldb, p0, kc, j0, nc, NR, dst);
            return;
        }
        // Row-major B: each packed row of a micro-panel is two whole vectors copied from one B row.
        for (int q = 0; q < nc; q += NR) {
            int cols = Math.min(NR, nc - q);
            int d = q * kc;
            int src = bOff + p0 * ldb + j0 + q;
            if (cols == NR) {
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, b, src).intoArray(dst, d);
                    FloatVector.fromArray(S, b, src + 16).intoArray(dst, d + 16);
                    src += ldb;
                    d += NR;
                }
            } else {
                VectorMask<Float> lo = S.indexInRange(0, cols);
                VectorMask<Float> hi = S.indexInRange(16, cols);
                for (int p = 0; p < kc; p++) {
                    FloatVector.fromArray(S, b, src, lo).intoArray(dst, d);
                    FloatVector.fromArray(S, b, src + 16, hi).intoArray(dst, d + 16);
                    src += ldb;
                    d += NR;
                }
            }
        }
    }

    @Override
    public void macroKernel(boolean transA, int mc, int nc, int kc, float[] ap, float[] bp, float[] c,
                            int cOff, int ldc, float alpha, float beta) {
        // The choice of tile variant is made here, not inside the big tile methods: a branch C2 has
        // never seen taken becomes an uncommon trap, and deoptimising a tile method sends it back to
        // the interpreter (where the Vector API is ~100x slower) until it is recompiled.
        float[] scratch = null;
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int bOff = jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                int co = cOff + ir * ldc + jr;
                int aOff = transA ? ir * kc : ir * KC;
                if (rows == MR && cols == NR) {
                    if (beta == 0f) {
                        if (transA) {
                            tileBeta0I(kc, ap, aOff, bp, bOff, c, co, ldc, alpha);
                        } else {
                            tileBeta0R(kc, ap, aOff, bp, bOff, c, co, ldc, alpha);
                        }
                    } else {
                        if (transA) {
                            tileBetaI(kc, ap, aOff, bp, bOff, c, co, ldc, alpha, beta);
                        } else {
                            tileBetaR(kc, ap, aOff, bp, bOff, c, co, ldc, alpha, beta);
                        }
                    }
                } else {
                    if (scratch == null) {
                        scratch = new float[MR * NR];
                    }
                    if (transA) {
                        tileToScratchI(kc, ap, aOff, bp, bOff, scratch);
                    } else {
                        tileToScratchR(kc, ap, aOff, bp, bOff, scratch);
                    }
                    storeEdge(scratch, c, co, ldc, alpha, beta, rows, cols);
                }
            }
        }
    }

    /** A full tile, beta == 0 (C not read); A strips row-major (row i of the strip at i*KC). */
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
            a = FloatVector.broadcast(S, ap[ai + KC]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * KC]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * KC]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * KC]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * KC]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * KC]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * KC]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * KC]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * KC]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * KC]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * KC]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * KC]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * KC]);
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

    /** A full tile, C = alpha*A*B + beta*C; A strips row-major (row i of the strip at i*KC). */
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
            a = FloatVector.broadcast(S, ap[ai + KC]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * KC]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * KC]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * KC]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * KC]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * KC]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * KC]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * KC]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * KC]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * KC]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * KC]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * KC]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * KC]);
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

    /** An edge tile: raw accumulators to scratch, row-major; A strips row-major (row i of the strip at i*KC). */
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
            a = FloatVector.broadcast(S, ap[ai + KC]);
            c010 = a.fma(b0, c010); c011 = a.fma(b1, c011);
            a = FloatVector.broadcast(S, ap[ai + 2 * KC]);
            c020 = a.fma(b0, c020); c021 = a.fma(b1, c021);
            a = FloatVector.broadcast(S, ap[ai + 3 * KC]);
            c030 = a.fma(b0, c030); c031 = a.fma(b1, c031);
            a = FloatVector.broadcast(S, ap[ai + 4 * KC]);
            c040 = a.fma(b0, c040); c041 = a.fma(b1, c041);
            a = FloatVector.broadcast(S, ap[ai + 5 * KC]);
            c050 = a.fma(b0, c050); c051 = a.fma(b1, c051);
            a = FloatVector.broadcast(S, ap[ai + 6 * KC]);
            c060 = a.fma(b0, c060); c061 = a.fma(b1, c061);
            a = FloatVector.broadcast(S, ap[ai + 7 * KC]);
            c070 = a.fma(b0, c070); c071 = a.fma(b1, c071);
            a = FloatVector.broadcast(S, ap[ai + 8 * KC]);
            c080 = a.fma(b0, c080); c081 = a.fma(b1, c081);
            a = FloatVector.broadcast(S, ap[ai + 9 * KC]);
            c090 = a.fma(b0, c090); c091 = a.fma(b1, c091);
            a = FloatVector.broadcast(S, ap[ai + 10 * KC]);
            c100 = a.fma(b0, c100); c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(S, ap[ai + 11 * KC]);
            c110 = a.fma(b0, c110); c111 = a.fma(b1, c111);
            a = FloatVector.broadcast(S, ap[ai + 12 * KC]);
            c120 = a.fma(b0, c120); c121 = a.fma(b1, c121);
            a = FloatVector.broadcast(S, ap[ai + 13 * KC]);
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

    private static void storeEdge(float[] acc, float[] c, int co, int ldc, float alpha, float beta,
                                  int rows, int cols) {
        for (int i = 0; i < rows; i++) {
            int ci = co + i * ldc;
            for (int j = 0; j < cols; j++) {
                float v = acc[i * NR + j];
                // Same rounding as the vector path: fma(acc, alpha, beta*c), so a C element's value
                // does not depend on whether it fell in an edge tile.
                c[ci + j] = beta == 0f ? v * alpha : Math.fma(v, alpha, c[ci + j] * beta);
            }
        }
    }
}
