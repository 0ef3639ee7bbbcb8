package dev.kengine.conformance.oracle;

/**
 * Philox4x32-10, written for the oracle from the paper (Salmon et al., SC 2011) and checked
 * against the published Random123 known-answer vectors. Kept apart from engine-api's copy on
 * purpose: the kit must not judge the engine's generator with the engine's own code.
 */
public final class Philox4x32 {
    private static final long MUL_A = 0xD2511F53L;
    private static final long MUL_B = 0xCD9E8D57L;
    private static final long BUMP_A = 0x9E3779B9L;
    private static final long BUMP_B = 0xBB67AE85L;
    private static final long MASK = 0xFFFFFFFFL;

    private Philox4x32() {}

    /**
     * The four 32-bit output words, each in the low half of a long, for counter (x0..x3) and
     * key (key0, key1); all inputs are taken modulo 2³².
     *
     * @param x0 counter word 0 (the lowest)
     * @param x1 counter word 1
     * @param x2 counter word 2
     * @param x3 counter word 3 (the highest)
     * @param key0 key word 0
     * @param key1 key word 1
     * @return a new array of the four output words, each in [0, 2³²)
     */
    public static long[] block(long x0, long x1, long x2, long x3, long key0, long key1) {
        long c0 = x0 & MASK, c1 = x1 & MASK, c2 = x2 & MASK, c3 = x3 & MASK;
        long k0 = key0 & MASK, k1 = key1 & MASK;
        for (int round = 0; round < 10; round++) {
            long prodA = MUL_A * c0; // < 2^64 as unsigned; the signed long holds its bits
            long prodB = MUL_B * c2;
            long hiA = prodA >>> 32, loA = prodA & MASK;
            long hiB = prodB >>> 32, loB = prodB & MASK;
            long n0 = (hiB ^ c1 ^ k0) & MASK;
            long n2 = (hiA ^ c3 ^ k1) & MASK;
            c0 = n0;
            c1 = loB;
            c2 = n2;
            c3 = loA;
            k0 = (k0 + BUMP_A) & MASK;
            k1 = (k1 + BUMP_B) & MASK;
        }
        return new long[] {c0, c1, c2, c3};
    }
}
