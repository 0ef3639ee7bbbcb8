package dev.kengine.cpu;

import dev.kengine.random.CounterRandom;
import dev.kengine.random.Philox;

/**
 * Dropout and initialisation over a range of elements, bit-identical to {@link CounterRandom}: the
 * scalar path, which calls the reference {@link Philox#block} once per block of four words (the
 * SIMD path, {@code simd.VectorRandom}, runs eight blocks per vector). The tests check every element
 * against the reference functions.
 */
final class CounterRandomKernels {
    private static final float TWO_POW_M24 = 0x1p-24f;

    private CounterRandomKernels() {}

    /**
     * Inverted dropout of elements [from, to) of the arrays, which are elements first + i of the tensor (first a
     * multiple of 4): tensor element e uses word e mod 4 of the block with counter (lo(e/4), hi(e/4), lo(offset),
     * hi(offset)). The mask is written to {@code mask} (1f, 0f) or, when that is null, to {@code bytes} (1, 0).
     */
    static void dropout(float[] x, float[] y, float[] mask, byte[] bytes, float p, float scale, long seed, long offset,
                        long first, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) offset;
        int c3 = (int) (offset >>> 32);
        int[] words = new int[4];
        for (long q = (first + from) >>> 2; (q << 2) < first + to; q++) {
            Philox.block((int) q, (int) (q >>> 32), c2, c3, k0, k1, words);
            int a0 = words[0];
            int a1 = words[1];
            int a2 = words[2];
            int a3 = words[3];
            int base = (int) ((q << 2) - first);
            if (base >= from && base + 4 <= to) {
                dropOne(x, y, mask, bytes, p, scale, base, a0);
                dropOne(x, y, mask, bytes, p, scale, base + 1, a1);
                dropOne(x, y, mask, bytes, p, scale, base + 2, a2);
                dropOne(x, y, mask, bytes, p, scale, base + 3, a3);
            } else {
                for (int i = Math.max(base, from); i < Math.min(base + 4, to); i++) {
                    dropOne(x, y, mask, bytes, p, scale, i, word(i & 3, a0, a1, a2, a3));
                }
            }
        }
    }

    private static void dropOne(float[] x, float[] y, float[] mask, byte[] bytes, float p, float scale, int i, int bits) {
        boolean keep = (bits >>> 8) * TWO_POW_M24 >= p;
        y[i] = x[i] * (keep ? scale : 0.0f);
        if (mask != null) {
            mask[i] = keep ? 1f : 0f;
        } else {
            bytes[i] = (byte) (keep ? 1 : 0);
        }
    }

    /** Uniform values U(lo, hi) for elements [from, to), from the same words as dropout. */
    static void uniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) offset;
        int c3 = (int) (offset >>> 32);
        int[] words = new int[4];
        for (long q = from >>> 2; (q << 2) < to; q++) {
            Philox.block((int) q, (int) (q >>> 32), c2, c3, k0, k1, words);
            int a0 = words[0];
            int a1 = words[1];
            int a2 = words[2];
            int a3 = words[3];
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
        int[] words = new int[4];
        for (int i = from; i < to; i++) {
            Philox.block(i, 0, c2, c3, k0, k1, words);
            int a0 = words[0];
            int a1 = words[1];
            int a2 = words[2];
            int a3 = words[3];
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
