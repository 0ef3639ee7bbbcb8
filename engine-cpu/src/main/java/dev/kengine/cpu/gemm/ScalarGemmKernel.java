package dev.kengine.cpu.gemm;

/**
 * The scalar SGEMM path, used where the Vector API is unavailable: the same packing and blocking as
 * the SIMD path with a 4 x 4 register tile (16 accumulators fit the register file without spills).
 * C is updated as {@code alpha*acc + beta*c} (beta == 0: {@code alpha*acc}, C unread).
 */
final class ScalarGemmKernel implements GemmKernel {

    static final ScalarGemmKernel INSTANCE = new ScalarGemmKernel();

    private static final int MR = 4;
    private static final int NR = 4;

    private ScalarGemmKernel() {
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
        return 256;
    }

    @Override
    public int mc() {
        return 128;
    }

    @Override
    public int nc() {
        return 4096;
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
                GemmKernel.storeTile(acc, NR, rows, cols, c, cOff + ir * ldc + jr, ldc, alpha, beta);
            }
        }
    }

    private static void tile(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] acc) {
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR;
            int bi = bOff + p * NR;
            float b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
            float a0 = ap[ai];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            float a1 = ap[ai + 1];
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            float a2 = ap[ai + 2];
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            float a3 = ap[ai + 3];
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03;
        acc[4] = c10; acc[5] = c11; acc[6] = c12; acc[7] = c13;
        acc[8] = c20; acc[9] = c21; acc[10] = c22; acc[11] = c23;
        acc[12] = c30; acc[13] = c31; acc[14] = c32; acc[15] = c33;
    }
}
