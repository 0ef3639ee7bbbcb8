package dev.kengine.cpu;

import dev.kengine.random.CounterRandom;

/**
 * Dropout and initialisation over a range of elements, bit-identical to {@link CounterRandom}.
 * Philox4x32-10 is inlined into locals here (the reference {@link dev.kengine.random.Philox#block}
 * returns its words through an array), which lets the JIT keep the whole block in registers; the
 * tests check every element against the reference functions.
 */
final class CounterRandomKernels {
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;
    private static final float TWO_POW_M24 = 0x1p-24f;

    private CounterRandomKernels() {}

    /**
     * Inverted dropout of elements [from, to): element i uses word i mod 4 of the block with counter
     * (lo(i/4), hi(i/4), lo(offset), hi(offset)).
     */
    static void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) offset;
        int c3 = (int) (offset >>> 32);
        for (long q = from >>> 2; (q << 2) < to; q++) {
            int a0 = (int) q;
            int a1 = (int) (q >>> 32);
            int a2 = c2;
            int a3 = c3;
            int key0 = k0;
            int key1 = k1;
            for (int round = 0; round < 10; round++) {
                long p0 = M0 * (a0 & 0xFFFFFFFFL);
                long p1 = M1 * (a2 & 0xFFFFFFFFL);
                a0 = (int) (p1 >>> 32) ^ a1 ^ key0;
                a1 = (int) p1;
                a2 = (int) (p0 >>> 32) ^ a3 ^ key1;
                a3 = (int) p0;
                key0 += W0;
                key1 += W1;
            }
            int base = (int) (q << 2);
            if (base >= from && base + 4 <= to) {
                dropOne(x, y, mask, p, scale, base, a0);
                dropOne(x, y, mask, p, scale, base + 1, a1);
                dropOne(x, y, mask, p, scale, base + 2, a2);
                dropOne(x, y, mask, p, scale, base + 3, a3);
            } else {
                for (int i = Math.max(base, from); i < Math.min(base + 4, to); i++) {
                    dropOne(x, y, mask, p, scale, i, word(i & 3, a0, a1, a2, a3));
                }
            }
        }
    }

    private static void dropOne(float[] x, float[] y, float[] mask, float p, float scale, int i, int bits) {
        boolean keep = (bits >>> 8) * TWO_POW_M24 >= p;
        y[i] = x[i] * (keep ? scale : 0.0f);
        mask[i] = keep ? 1f : 0f;
    }

    /** Uniform values U(lo, hi) for elements [from, to), from the same words as dropout. */
    static void uniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) offset;
        int c3 = (int) (offset >>> 32);
        for (long q = from >>> 2; (q << 2) < to; q++) {
            int a0 = (int) q;
            int a1 = (int) (q >>> 32);
            int a2 = c2;
            int a3 = c3;
            int key0 = k0;
            int key1 = k1;
            for (int round = 0; round < 10; round++) {
                long p0 = M0 * (a0 & 0xFFFFFFFFL);
                long p1 = M1 * (a2 & 0xFFFFFFFFL);
                a0 = (int) (p1 >>> 32) ^ a1 ^ key0;
                a1 = (int) p1;
                a2 = (int) (p0 >>> 32) ^ a3 ^ key1;
                a3 = (int) p0;
                key0 += W0;
                key1 += W1;
            }
            int base = (int) (q << 2);
            for (int i = Math.max(base, from); i < Math.min(base + 4, to); i++) {
                a[i] = CounterRandom.uniformFromBits(word(i & 3, a0, a1, a2, a3), lo, hi);
            }
        }
    }

    /** Normal values N(mean, std) for elements [from, to): element i uses words 0 and 1 of block (lo(i), hi(i), ...). */
    static void normal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) offset;
        int c3 = (int) (offset >>> 32);
        for (int i = from; i < to; i++) {
            int a0 = i;
            int a1 = 0;
            int a2 = c2;
            int a3 = c3;
            int key0 = k0;
            int key1 = k1;
            for (int round = 0; round < 10; round++) {
                long p0 = M0 * (a0 & 0xFFFFFFFFL);
                long p1 = M1 * (a2 & 0xFFFFFFFFL);
                a0 = (int) (p1 >>> 32) ^ a1 ^ key0;
                a1 = (int) p1;
                a2 = (int) (p0 >>> 32) ^ a3 ^ key1;
                a3 = (int) p0;
                key0 += W0;
                key1 += W1;
            }
            a[i] = CounterRandom.normalFromWords(a0, a1, mean, std);
        }
    }

    private static int word(int index, int a0, int a1, int a2, int a3) {
        return switch (index) {
            case 0 -> a0;
            case 1 -> a1;
            case 2 -> a2;
            default -> a3;
        };
    }
}
