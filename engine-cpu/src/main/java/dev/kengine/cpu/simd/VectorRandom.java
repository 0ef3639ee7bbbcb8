package dev.kengine.cpu.simd;

import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.XOR;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Philox4x32-10 for many counters at once, bit-identical to {@link dev.kengine.random.Philox#block}:
 * each lane of a {@link LongVector} holds one counter's 32-bit word zero-extended (or with garbage
 * above bit 31 where only the low half is used later), so one 64-bit lane product gives the full
 * unsigned 32×32 product, hi = p >>> 32 and lo = the low half. One vector holds NL counters (8 with
 * 512-bit vectors), i.e. 4·NL consecutive elements; ten rounds of independent lanes hide the
 * multiply latency that makes the scalar block slow.
 *
 * <p>The caller handles ranges: these methods cover only whole groups of 4·NL elements starting at
 * a multiple of 4·NL, and require every element index to be below 2³¹ (so hi(i/4) = 0).
 */
public final class VectorRandom {
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int NL = LS.length();
    /** Bytes, as many lanes as a float vector: a UINT8 mask's vector; null below 8 lanes (no 32-bit shape). */
    private static final VectorSpecies<Byte> BS = FS.length() >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(FS.length() * 8)) : null;
    private static final byte ONE_BYTE = 1;
    /** Shorts, as many lanes as a float vector: bfloat16 x, widened in registers. */
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, VectorShape.forBitSize(FS.length() * 16));
    private static final VectorSpecies<Integer> IS = FS.withLanes(int.class);
    /** Elements per group: four words per counter. */
    public static final int GROUP = 4 * NL;
    private static final long M32 = 0xFFFFFFFFL;
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    /** Lanes of (a, b) in the order a0 b0 a1 b1 … over the first half of each vector, then over the second. */
    private static final VectorShuffle<Long> FIRST_HALF = interleave(0);
    private static final VectorShuffle<Long> SECOND_HALF = interleave(NL / 2);

    private static VectorShuffle<Long> interleave(int from) {
        int[] idx = new int[NL];
        for (int i = 0; i < NL / 2; i++) {
            idx[2 * i] = from + i;
            idx[2 * i + 1] = NL + from + i;   // an index ≥ NL picks the second vector's lane (index − NL)
        }
        return VectorShuffle.fromValues(LS, idx);
    }

    private VectorRandom() {}

    /** Whether this shape works: two float vectors per group of 4·NL elements, and at least two counters a vector. */
    public static boolean supported() {
        return FS.length() == 2 * NL && NL >= 2;
    }

    /** Whether {@link #dropoutBytes} works too: a byte vector of as many lanes as a float vector (8 or more). */
    public static boolean supportsBytes() {
        return supported() && BS != null;
    }

    /** The round keys: k0 + r·W0 and k1 + r·W1 (mod 2³²) for r = 0..9, zero-extended. */
    private static long[] roundKeys(long seed) {
        long[] k = new long[20];
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            k[2 * r] = k0 & M32;
            k[2 * r + 1] = k1 & M32;
            k0 += W0;
            k1 += W1;
        }
        return k;
    }

    /** Elements {@link #dropout} takes at a time: two groups. */
    public static final int DROPOUT_BLOCK = 2 * GROUP;

    /**
     * Inverted dropout over [from, to), both multiples of {@link #DROPOUT_BLOCK}: array element i, element first + i
     * of the tensor (first a multiple of DROPOUT_BLOCK), is kept when (bits(first + i) >>> 8) ≥ {@code threshold}
     * (the integer form of u ≥ p), y = x · (keep ? scale : 0), mask = keep ? 1 : 0.
     *
     * <p>Two groups are in flight per iteration: each round of one group waits on its multiplies, and a second,
     * independent chain fills that wait (1.32 → 1.51 G elements/s in L1 on one thread). The words go to element
     * order by two two-vector permutes and the test is made in 32-bit lanes (→ 1.54–1.59; the per-word masks
     * spread through a table cost more). Whole pairs only: storing the second group conditionally cost 6 %. The
     * rounds are a loop, not written out: see the comment at the loop.
     */
    public static void dropout(float[] x, float[] y, float[] mask, long threshold, float scale, long seed, long offset,
                               long first, int from, int to) {
        dropout(x, y, mask, null, threshold, scale, seed, offset, first, from, to);
    }

    /** {@link #dropout} with a UINT8 mask: 1 kept, 0 dropped, one byte an element. */
    public static void dropoutBytes(float[] x, float[] y, byte[] mask, long threshold, float scale, long seed, long offset,
                                    long first, int from, int to) {
        dropout(x, y, null, mask, threshold, scale, seed, offset, first, from, to);
    }

    /** The mask into {@code mask} (1f, 0f) or, where that is null, into {@code bytes} (1, 0). */
    private static void dropout(float[] x, float[] y, float[] mask, byte[] bytes, long threshold, float scale, long seed,
                                long offset, long first, int from, int to) {
        long[] k = roundKeys(seed);
        int th = (int) threshold;
        LongVector iota = LongVector.zero(LS).addIndex(1);
        // The multipliers as AndV nodes (an AND with 2³² − 1 that changes nothing): C2 emits vpmuludq for a
        // long-vector multiply only when it can see both inputs fit in 32 bits, and a plain constant does not
        // show it; otherwise it is vpmullq. On this Zen 4 the two run alike (1.29 against 1.31 G elements/s);
        // on Intel cores vpmullq is three µops with a 15-cycle latency.
        LongVector mul0 = LongVector.broadcast(LS, M0).and(M32);
        LongVector mul1 = LongVector.broadcast(LS, M1).and(M32);
        LongVector c2 = LongVector.broadcast(LS, offset & M32);
        LongVector c3 = LongVector.broadcast(LS, offset >>> 32);
        LongVector zeroL = LongVector.zero(LS);
        FloatVector zero = FloatVector.zero(FS);
        ByteVector zeroB = bytes == null ? null : ByteVector.zero(BS);
        int lanes = FS.length();
        for (int base = from; base < to; base += 2 * GROUP) {
            LongVector a0 = iota.add((first + base) >>> 2);
            LongVector b0 = iota.add((first + base + GROUP) >>> 2);
            LongVector a1 = zeroL, b1 = zeroL;
            LongVector a2 = c2, b2 = c2;
            LongVector a3 = c3, b3 = c3;
            // The ten rounds as a loop. Written out (2665 bytes of bytecode), the method was big enough that C2 inlined
            // the calls at its end late; after a mix of other vector code in the JVM, the last multiplies and stores
            // stayed calls on boxed vectors, and dropout ran at half speed in some runs (engine-cpu/
            // ELEMENTWISE-NOTES.md). As a loop, every run compiled fast, at the same speed.
            for (int r = 0; r < 20; r += 2) {
                LongVector p0 = a0.and(M32).mul(mul0), p1 = a2.and(M32).mul(mul1);
                LongVector q0 = b0.and(M32).mul(mul0), q1 = b2.and(M32).mul(mul1);
                long kr0 = k[r], kr1 = k[r + 1];
                a0 = p1.lanewise(LSHR, 32).lanewise(XOR, a1).lanewise(XOR, kr0); a1 = p1;
                a2 = p0.lanewise(LSHR, 32).lanewise(XOR, a3).lanewise(XOR, kr1); a3 = p0;
                b0 = q1.lanewise(LSHR, 32).lanewise(XOR, b1).lanewise(XOR, kr0); b1 = q1;
                b2 = q0.lanewise(LSHR, 32).lanewise(XOR, b3).lanewise(XOR, kr1); b3 = q0;
            }
            // Word w of counter j is element 4j + w: the words' low halves are paired into 64-bit lanes (w0|w1,
            // w2|w3), and two permutes put the pairs of counters 0..NL/2-1, then NL/2..NL-1, in order.
            LongVector a01 = a0.and(M32).or(a1.lanewise(LSHL, 32));
            LongVector a23 = a2.and(M32).or(a3.lanewise(LSHL, 32));
            VectorMask<Float> aLo = a01.rearrange(FIRST_HALF, a23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            VectorMask<Float> aHi = a01.rearrange(SECOND_HALF, a23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            FloatVector.fromArray(FS, x, base).mul(zero.blend(scale, aLo)).intoArray(y, base);
            FloatVector.fromArray(FS, x, base + lanes).mul(zero.blend(scale, aHi)).intoArray(y, base + lanes);
            if (bytes == null) {
                zero.blend(1f, aLo).intoArray(mask, base);
                zero.blend(1f, aHi).intoArray(mask, base + lanes);
            } else {
                zeroB.blend(ONE_BYTE, aLo.cast(BS)).intoArray(bytes, base);
                zeroB.blend(ONE_BYTE, aHi.cast(BS)).intoArray(bytes, base + lanes);
            }
            LongVector b01 = b0.and(M32).or(b1.lanewise(LSHL, 32));
            LongVector b23 = b2.and(M32).or(b3.lanewise(LSHL, 32));
            VectorMask<Float> bLo = b01.rearrange(FIRST_HALF, b23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            VectorMask<Float> bHi = b01.rearrange(SECOND_HALF, b23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            FloatVector.fromArray(FS, x, base + GROUP).mul(zero.blend(scale, bLo)).intoArray(y, base + GROUP);
            FloatVector.fromArray(FS, x, base + GROUP + lanes).mul(zero.blend(scale, bHi)).intoArray(y, base + GROUP + lanes);
            if (bytes == null) {
                zero.blend(1f, bLo).intoArray(mask, base + GROUP);
                zero.blend(1f, bHi).intoArray(mask, base + GROUP + lanes);
            } else {
                zeroB.blend(ONE_BYTE, bLo.cast(BS)).intoArray(bytes, base + GROUP);
                zeroB.blend(ONE_BYTE, bHi.cast(BS)).intoArray(bytes, base + GROUP + lanes);
            }
        }
    }

    /**
     * {@link #dropoutBytes} from bfloat16 x, for i in [from, to): x[xOff + i] widened exactly (its bits moved into
     * the upper half of a float lane), y[i] = that times (keep ? scale : 0) in float32 for the caller to round, the
     * mask at mask[xOff + i]; element first + i of the tensor decides keep. One pass where widening x into scratch
     * and copying the mask out took two more. {@link #dropout}'s loop with other loads and stores, a method of its
     * own: the same loop choosing its loads by a test of x ran the float32 kernel at 0.4× its speed. The widening is
     * written out with Vector API calls only: as a helper method, parsed after the rounds' nodes, C2 left it out of
     * line on boxed vectors (0.4× again).
     */
    public static void dropoutBFloat16(short[] x, int xOff, float[] y, byte[] mask, long threshold, float scale,
                                       long seed, long offset, long first, int from, int to) {
        long[] k = roundKeys(seed);
        int th = (int) threshold;
        LongVector iota = LongVector.zero(LS).addIndex(1);
        // The multipliers as AndV nodes, as in dropout.
        LongVector mul0 = LongVector.broadcast(LS, M0).and(M32);
        LongVector mul1 = LongVector.broadcast(LS, M1).and(M32);
        LongVector c2 = LongVector.broadcast(LS, offset & M32);
        LongVector c3 = LongVector.broadcast(LS, offset >>> 32);
        LongVector zeroL = LongVector.zero(LS);
        FloatVector zero = FloatVector.zero(FS);
        ByteVector zeroB = ByteVector.zero(BS);
        int lanes = FS.length();
        for (int base = from; base < to; base += 2 * GROUP) {
            LongVector a0 = iota.add((first + base) >>> 2);
            LongVector b0 = iota.add((first + base + GROUP) >>> 2);
            LongVector a1 = zeroL, b1 = zeroL;
            LongVector a2 = c2, b2 = c2;
            LongVector a3 = c3, b3 = c3;
            // The rounds as a loop, as in dropout.
            for (int r = 0; r < 20; r += 2) {
                LongVector p0 = a0.and(M32).mul(mul0), p1 = a2.and(M32).mul(mul1);
                LongVector q0 = b0.and(M32).mul(mul0), q1 = b2.and(M32).mul(mul1);
                long kr0 = k[r], kr1 = k[r + 1];
                a0 = p1.lanewise(LSHR, 32).lanewise(XOR, a1).lanewise(XOR, kr0); a1 = p1;
                a2 = p0.lanewise(LSHR, 32).lanewise(XOR, a3).lanewise(XOR, kr1); a3 = p0;
                b0 = q1.lanewise(LSHR, 32).lanewise(XOR, b1).lanewise(XOR, kr0); b1 = q1;
                b2 = q0.lanewise(LSHR, 32).lanewise(XOR, b3).lanewise(XOR, kr1); b3 = q0;
            }
            LongVector a01 = a0.and(M32).or(a1.lanewise(LSHL, 32));
            LongVector a23 = a2.and(M32).or(a3.lanewise(LSHL, 32));
            VectorMask<Float> aLo = a01.rearrange(FIRST_HALF, a23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            VectorMask<Float> aHi = a01.rearrange(SECOND_HALF, a23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            ((IntVector) ShortVector.fromArray(HS, x, xOff + base).convertShape(S2I, IS, 0)).lanewise(LSHL, 16)
                    .reinterpretAsFloats().mul(zero.blend(scale, aLo)).intoArray(y, base);
            ((IntVector) ShortVector.fromArray(HS, x, xOff + base + lanes).convertShape(S2I, IS, 0)).lanewise(LSHL, 16)
                    .reinterpretAsFloats().mul(zero.blend(scale, aHi)).intoArray(y, base + lanes);
            zeroB.blend(ONE_BYTE, aLo.cast(BS)).intoArray(mask, xOff + base);
            zeroB.blend(ONE_BYTE, aHi.cast(BS)).intoArray(mask, xOff + base + lanes);
            LongVector b01 = b0.and(M32).or(b1.lanewise(LSHL, 32));
            LongVector b23 = b2.and(M32).or(b3.lanewise(LSHL, 32));
            VectorMask<Float> bLo = b01.rearrange(FIRST_HALF, b23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            VectorMask<Float> bHi = b01.rearrange(SECOND_HALF, b23).reinterpretAsInts().lanewise(LSHR, 8).compare(GE, th).cast(FS);
            ((IntVector) ShortVector.fromArray(HS, x, xOff + base + GROUP).convertShape(S2I, IS, 0)).lanewise(LSHL, 16)
                    .reinterpretAsFloats().mul(zero.blend(scale, bLo)).intoArray(y, base + GROUP);
            ((IntVector) ShortVector.fromArray(HS, x, xOff + base + GROUP + lanes).convertShape(S2I, IS, 0)).lanewise(LSHL, 16)
                    .reinterpretAsFloats().mul(zero.blend(scale, bHi)).intoArray(y, base + GROUP + lanes);
            zeroB.blend(ONE_BYTE, bLo.cast(BS)).intoArray(mask, xOff + base + GROUP);
            zeroB.blend(ONE_BYTE, bHi.cast(BS)).intoArray(mask, xOff + base + GROUP + lanes);
        }
    }

    /**
     * The four words of Philox blocks with counters (c, 0, lo(offset), hi(offset)) for c in
     * [first, first + count), count a multiple of {@link #lanes()}: word w of counter first + j goes
     * to {@code out[4j + w]}. With first = i/4 this is the uniform bits of elements [i, i + 4·count)
     * in element order; with first = i, words 0 and 1 of entry j are element i + j's normal words.
     * The counters must stay below 2³².
     */
    public static void blocks(long seed, long offset, long first, int count, int[] out) {
        long[] k = roundKeys(seed);
        LongVector iota = LongVector.zero(LS).addIndex(1);
        // The multipliers as AndV nodes (an AND with 2³² − 1 that changes nothing): C2 emits vpmuludq for a
        // long-vector multiply only when it can see both inputs fit in 32 bits, and a plain constant does not
        // show it; otherwise it is vpmullq. On this Zen 4 the two run alike (1.29 against 1.31 G elements/s);
        // on Intel cores vpmullq is three µops with a 15-cycle latency.
        LongVector mul0 = LongVector.broadcast(LS, M0).and(M32);
        LongVector mul1 = LongVector.broadcast(LS, M1).and(M32);
        LongVector c2 = LongVector.broadcast(LS, offset & M32);
        LongVector c3 = LongVector.broadcast(LS, offset >>> 32);
        long[] w = new long[4 * NL];
        for (int j0 = 0; j0 < count; j0 += NL) {
            LongVector a0 = iota.add(first + j0);
            LongVector a1 = LongVector.zero(LS);
            LongVector a2 = c2;
            LongVector a3 = c3;
            for (int r = 0; r < 10; r++) {
                LongVector p0 = a0.and(M32).mul(mul0);
                LongVector p1 = a2.and(M32).mul(mul1);
                a0 = p1.lanewise(LSHR, 32).lanewise(XOR, a1).lanewise(XOR, k[2 * r]);
                a1 = p1;
                a2 = p0.lanewise(LSHR, 32).lanewise(XOR, a3).lanewise(XOR, k[2 * r + 1]);
                a3 = p0;
            }
            a0.intoArray(w, 0);
            a1.intoArray(w, NL);
            a2.intoArray(w, 2 * NL);
            a3.intoArray(w, 3 * NL);
            int o = 4 * j0;
            for (int j = 0; j < NL; j++) {
                out[o + 4 * j] = (int) w[j];
                out[o + 4 * j + 1] = (int) w[NL + j];
                out[o + 4 * j + 2] = (int) w[2 * NL + j];
                out[o + 4 * j + 3] = (int) w[3 * NL + j];
            }
        }
    }

    /** Counters per vector. */
    public static int lanes() {
        return NL;
    }

    /**
     * The integer form of dropout's test: u = (w >>> 8)·2⁻²⁴ ≥ p exactly when (w >>> 8) ≥ the
     * returned value, ⌈p·2²⁴⌉ clamped to [0, 2²⁴] (p·2²⁴ is exact in double; NaN keeps nothing).
     */
    public static long keepThreshold(float p) {
        if (p != p) {
            return 1L << 24;
        }
        double t = Math.ceil((double) p * 0x1p24);
        return (long) Math.max(0.0, Math.min(t, 0x1p24));
    }
}
