package dev.kengine.cpu.simd;

import dev.kengine.cpu.gemm.GemmKernel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM kernel for machines whose preferred vectors are narrower than 512 bits (AVX2, NEON): the
 * same packing and blocking as the other kernels with a 4 x (2 vectors) register tile, 8 accumulators
 * plus two B vectors and the broadcast A values. Without it such machines ran the scalar 4 x 4 tile
 * (7 GFLOP/s a core here with -XX:UseAVX=2), since {@link GemmSimdKernel}'s 14 x 32 tile needs 512-bit
 * vectors. With -XX:UseAVX=2 on this Zen 4 it runs at 79–88 GFLOP/s on one core (128–1024). A 6-row
 * tile (12 accumulators) ran at 40 and a 5-row one at 36: with AVX2's 16 registers C2 spilled an
 * accumulator to the stack and every k step waited on the store and reload.
 *
 * <p>The tile leaves its accumulators in a small array and {@link #macroKernel} writes C from there
 * (alpha·acc, plus beta·C when beta ≠ 0): the branches on the edge and on beta stay out of the tile,
 * so a first edge tile or a first beta ≠ 0 cannot deoptimise the compiled loop (see GEMM-NOTES.md).
 */
public final class GemmVectorKernel implements GemmKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 4;
    private static final int NR = 2 * L;
    private static final int KC = 256;
    /** 60 strips of 4 rows at depth 256: 240 KiB of packed A, for a core's L2. */
    private static final int MC = MR * 60;
    private static final int NC = 4096;

    public GemmVectorKernel() {
    }

    /** Whether the preferred vectors are wide enough for this kernel to beat the scalar tile. */
    public static boolean usable() {
        return L >= 4;
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
    public void macroKernel(boolean transA, int mc, int nc, int kc, float[] ap, float[] bp, int bpOff, float[] c,
                            int cOff, int ldc, float alpha, float beta) {
        float[] acc = new float[MR * NR];
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int bOff = bpOff + jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                tile(kc, ap, ir * kc, bp, bOff, acc);
                int co = cOff + ir * ldc + jr;
                if (cols == NR) {
                    for (int i = 0; i < rows; i++) {
                        int ci = co + i * ldc;
                        FloatVector v0 = FloatVector.fromArray(S, acc, i * NR).mul(alpha);
                        FloatVector v1 = FloatVector.fromArray(S, acc, i * NR + L).mul(alpha);
                        if (beta != 0f) {
                            v0 = v0.add(FloatVector.fromArray(S, c, ci).mul(beta));
                            v1 = v1.add(FloatVector.fromArray(S, c, ci + L).mul(beta));
                        }
                        v0.intoArray(c, ci);
                        v1.intoArray(c, ci + L);
                    }
                } else {
                    GemmKernel.storeTile(acc, NR, rows, cols, c, co, ldc, alpha, beta);
                }
            }
        }
    }

    /** acc = Ap(4 x kc) · Bp(kc x 2L), row i at acc[i·NR]. */
    private static void tile(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] acc) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, NR);
        c11.intoArray(acc, NR + L);
        c20.intoArray(acc, 2 * NR);
        c21.intoArray(acc, 2 * NR + L);
        c30.intoArray(acc, 3 * NR);
        c31.intoArray(acc, 3 * NR + L);
    }
}
