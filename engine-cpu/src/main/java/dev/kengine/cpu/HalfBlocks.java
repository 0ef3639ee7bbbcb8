package dev.kengine.cpu;

import dev.kengine.op.Activation;

/**
 * Half-precision kernels through float32 scratch: each block of {@value #BLOCK} elements is widened into
 * arrays that stay in the L1 cache, the float32 kernel runs there, and the result is rounded once. The default of
 * {@link Elementwise#halfActivation}, {@link Elementwise#halfActivationBackward}, {@link Elementwise#halfBinary},
 * {@link Elementwise#halfScale} and {@link Elementwise#halfDropout}, so of the scalar kernels and
 * of the tiered ones (each step dispatched as the float32 call would be); the vector kernels convert in registers
 * instead, with the same bits.
 */
final class HalfBlocks {
    /**
     * Elements per block. Measured on Zen 4: 256 to 512 ran bfloat16 ReLU 1.3–1.4× faster than float32 on one
     * thread; from 1024 (4 KB of floats per scratch array, so loads and stores alias modulo 4 KB) it fell below.
     */
    static final int BLOCK = 512;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][BLOCK]);

    private static final ThreadLocal<byte[]> BYTES = ThreadLocal.withInitial(() -> new byte[BLOCK]);

    private HalfBlocks() {}

    /**
     * Each block's x widened, the float32 kernel drawing the block's own elements of the stream (first = the
     * block's first element), the block's mask copied out and y rounded.
     */
    static void dropout(Elementwise k, boolean bf16, short[] x, short[] y, float[] mask, byte[] bytes, float p,
                        float scale, long seed, long offset, int from, int to) {
        float[][] t = SCRATCH.get();
        for (int b = from; b < to; b += BLOCK) {
            int len = Math.min(BLOCK, to - b);
            k.widen(bf16, x, b, t[0], 0, len);
            if (mask == null) {
                byte[] tb = BYTES.get();
                k.dropoutBytes(t[0], t[1], tb, p, scale, seed, offset, b, 0, len);
                System.arraycopy(tb, 0, bytes, b, len);
            } else {
                k.dropout(t[0], t[1], t[2], p, scale, seed, offset, b, 0, len);
                System.arraycopy(t[2], 0, mask, b, len);
            }
            k.narrow(bf16, t[1], 0, y, b, len);
        }
    }

    static void activation(Elementwise k, boolean bf16, Activation.Kind kind, float p, short[] x, int xOff, short[] y,
                           int yOff, int n) {
        float[][] t = SCRATCH.get();
        for (int i = 0; i < n; i += BLOCK) {
            int len = Math.min(BLOCK, n - i);
            k.widen(bf16, x, xOff + i, t[0], 0, len);
            k.activation(kind, p, t[0], 0, t[1], 0, len);
            k.narrow(bf16, t[1], 0, y, yOff + i, len);
        }
    }

    static void binary(Elementwise k, dev.kengine.spi.BackendDriver.Binary op, boolean bf16, short[] a, int aOff,
                       short[] b, int bOff, short[] out, int outOff, int n) {
        float[][] t = SCRATCH.get();
        for (int i = 0; i < n; i += BLOCK) {
            int len = Math.min(BLOCK, n - i);
            k.widen(bf16, a, aOff + i, t[0], 0, len);
            k.widen(bf16, b, bOff + i, t[1], 0, len);
            k.binary(op, t[0], 0, t[1], 0, t[2], 0, len);
            k.narrow(bf16, t[2], 0, out, outOff + i, len);
        }
    }

    static void scale(Elementwise k, float s, boolean bf16, short[] x, int xOff, short[] out, int outOff, int n) {
        float[][] t = SCRATCH.get();
        for (int i = 0; i < n; i += BLOCK) {
            int len = Math.min(BLOCK, n - i);
            k.widen(bf16, x, xOff + i, t[0], 0, len);
            k.scale(s, t[0], 0, t[1], 0, len);
            k.narrow(bf16, t[1], 0, out, outOff + i, len);
        }
    }

    static void activationBackward(Elementwise k, boolean bf16, Activation.Kind kind, float p, short[] dy, short[] x,
                                   short[] y, short[] dx, int from, int to) {
        float[][] t = SCRATCH.get();
        for (int i = from; i < to; i += BLOCK) {
            int len = Math.min(BLOCK, to - i);
            k.widen(bf16, dy, i, t[0], 0, len);
            k.widen(bf16, x, i, t[1], 0, len);
            k.widen(bf16, y, i, t[2], 0, len);
            k.activationBackward(kind, p, t[0], t[1], t[2], t[3], 0, len);
            k.narrow(bf16, t[3], 0, dx, i, len);
        }
    }
}
