package dev.kengine.random;

/**
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
 * the block function every backend uses for random bits. It maps a 128-bit counter
 * (c0, c1, c2, c3) and a 64-bit key (k0, k1) to four 32-bit words. One round:
 * <pre>
 *   (hi0, lo0) = 0xD2511F53 × c0        (full 64-bit unsigned product)
 *   (hi1, lo1) = 0xCD9E8D57 × c2
 *   (c0, c1, c2, c3) = (hi1 ⊕ c1 ⊕ k0, lo1, hi0 ⊕ c3 ⊕ k1, lo0)
 * </pre>
 * Ten rounds; between consecutive rounds the key is bumped: k0 += 0x9E3779B9, k1 += 0xBB67AE85
 * (mod 2³²). This is the reference implementation the conformance kit checks against published
 * known-answer vectors.
 *
 * <p>All words are unsigned 32-bit values held in Java {@code int}s. Pure and thread-safe.
 */
public final class Philox {
    static final int M0 = 0xD2511F53;
    static final int M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;

    private Philox() {}

    /**
     * Philox4x32-10 of counter (c0..c3) under key (k0, k1); the four output words go to {@code out[0..3]}.
     *
     * @param c0 counter word 0 (the lowest)
     * @param c1 counter word 1
     * @param c2 counter word 2
     * @param c3 counter word 3 (the highest)
     * @param k0 key word 0 (the low half of the seed)
     * @param k1 key word 1 (the high half of the seed)
     * @param out receives the four output words in {@code out[0..3]}; at least 4 long, not null
     * @throws ArrayIndexOutOfBoundsException if {@code out} has fewer than 4 elements
     * @throws NullPointerException if {@code out} is null
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
