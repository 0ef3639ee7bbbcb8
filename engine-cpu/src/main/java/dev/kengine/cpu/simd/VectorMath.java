package dev.kengine.cpu.simd;

import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transcendentals written out in Vector API arithmetic, so that the JIT keeps them in the caller's
 * loop. The lanewise {@code EXP} is a call into SVML: every use spills the loop's live vectors around
 * the call, and on the activations that call and its spills cost as much as the rest of the loop
 * (see ELEMENTWISE-NOTES.md, 2026-11-22, third round).
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Below this e^x is under half the smallest subnormal: the result rounds to 0 (or 2⁻¹⁴⁹). */
    private static final float EXP_LO = -104f;
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts: the fma forms x − n·LN2_HI with one rounding, the second part corrects it. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.42860682030941723e-6f;
    /** 1.5·2²³: adding it rounds to an integer in the low mantissa bits, which hold n afterwards. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    // e^r on |r| ≤ ln2/2, degree 6 with c0 = c1 = 1, fitted for relative error (3.3e-9 before rounding).
    private static final float C2 = 0.49999991059303284f;
    private static final float C3 = 0.1666651964187622f;
    private static final float C4 = 0.04166880249977112f;
    private static final float C5 = 0.008368829265236855f;
    private static final float C6 = 0.0013791731325909495f;

    private VectorMath() {}

    /**
     * e^x lane by lane for x ≤ 0 (every caller's case: −|v|, x − max, −x²/2, a log-probability), faithfully rounded
     * (one of the two floats around the exact value: 0.89 ulp at most, measured at every third float in
     * [−104, 0]; {@code VectorMathTest} checks every fifth), with gradual underflow, e^−∞ = +0 and NaN kept. Positive x up to 88.3 still come out right;
     * above that, and for +∞, the result is unspecified.
     *
     * <p>x = n·ln2 + r with n = round(x/ln2); e^r by a polynomial; then 2ⁿ. Where 2ⁿ is not a normal float
     * (n < −126) the scale is 2^(n+64) and the product is multiplied by 2⁻⁶⁴ afterwards, both by masked
     * instructions, so the only rounding after the polynomial is the last multiply, also where the result is
     * subnormal. That costs three instructions more than flushing such results to zero, and three fewer than
     * scaling every lane by two factors (which cost 12–20 % of the activation loops, measured).
     */
    static FloatVector expNonPositive(FloatVector x) {
        // The clamp is a compare and a blend: the lanewise MAX follows Math.max, whose NaN and ±0 rules cost C2
        // six instructions on AVX-512. A NaN compares false, stays NaN and stays NaN through the polynomial.
        FloatVector t = x.blend(EXP_LO, x.compare(LT, EXP_LO));
        FloatVector k = t.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = k.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), t);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(S, C6).fma(r, FloatVector.broadcast(S, C5));
        p = p.fma(r, FloatVector.broadcast(S, C4));
        p = p.fma(r, FloatVector.broadcast(S, C3));
        p = p.fma(r, FloatVector.broadcast(S, C2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector biased = k.reinterpretAsInts().add(127 - ROUNDER_BITS);
        VectorMask<Integer> subnormal = biased.compare(LT, 1);
        FloatVector scale = biased.add(64, subnormal).lanewise(LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).mul(0x1p-64f, subnormal.cast(S));
    }

    /** Below this e^x − 1 is −1 in float (e^−88 is under half an ulp of 1); n ≥ −127 keeps the scale's bits valid. */
    private static final float EXPM1_LO = -88f;

    /**
     * e^x − 1 for x ≤ 0, lane by lane, with full relative accuracy near 0 (NaN kept, −∞ gives −1). The result
     * for x > 0 is unspecified: callers use it only where x ≤ 0 and blend the other lanes away. The sign of a
     * zero result is not kept (e^−0 − 1 gives +0).
     *
     * <p>With x = n·ln2 + r as in {@link #expNonPositive}: e^r − 1 = r + r²·q(r) is formed without cancellation,
     * and e^x − 1 = 2ⁿ·(e^r − 1) + (2ⁿ − 1) by one fma, 2ⁿ − 1 being exact for n ≥ −24. Below that (x < −16.98)
     * 2ⁿ − 1 rounds to −1 and so does the result, which is still faithful: the exact −1 + 2ⁿ·e^r is within 2⁻²⁵·√2
     * of −1, short of the next float up, −1 + 2⁻²⁴. (Keeping that last bit took four instructions more, and moved only
     * the point where tanh reaches 1 from 8.49 to 9.01: ELEMENTWISE-NOTES.md.) For x ≤ −87.68 the
     * scale's bits are +0 and the result −1. Faithfully rounded: 0.93 ulp at most, measured at every third float in
     * [−90, 0).
     */
    static FloatVector expm1ForNonPositive(FloatVector x) {
        FloatVector t = x.blend(EXPM1_LO, x.compare(LT, EXPM1_LO));
        FloatVector k = t.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = k.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), t);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector q = FloatVector.broadcast(S, C6).fma(r, FloatVector.broadcast(S, C5));
        q = q.fma(r, FloatVector.broadcast(S, C4));
        q = q.fma(r, FloatVector.broadcast(S, C3));
        q = q.fma(r, FloatVector.broadcast(S, C2));
        FloatVector em1 = r.mul(r).fma(q, r);
        FloatVector scale = k.reinterpretAsInts().add(127 - ROUNDER_BITS).lanewise(LSHL, 23).reinterpretAsFloats();
        return scale.fma(em1, scale.sub(1f));
    }

    // ---- polynomials with constant coefficients, lowest degree first ----

    /**
     * c0 + c1·s + c2·s² by Horner, one fma a step; the overloads below add one degree each. Each is written out
     * rather than built on the next lower one, so that a polynomial costs one level of inlining depth: the
     * half-precision kernels reach the arithmetic through two more calls than the float32 loops, and C2 stops
     * inlining at depth 15.
     */
    static FloatVector poly(FloatVector s, float c0, float c1, float c2) {
        return FloatVector.broadcast(S, c2).fma(s, FloatVector.broadcast(S, c1)).fma(s, FloatVector.broadcast(S, c0));
    }

    static FloatVector poly(FloatVector s, float c0, float c1, float c2, float c3) {
        return FloatVector.broadcast(S, c3).fma(s, FloatVector.broadcast(S, c2)).fma(s, FloatVector.broadcast(S, c1))
                .fma(s, FloatVector.broadcast(S, c0));
    }

    static FloatVector poly(FloatVector s, float c0, float c1, float c2, float c3, float c4) {
        return FloatVector.broadcast(S, c4).fma(s, FloatVector.broadcast(S, c3)).fma(s, FloatVector.broadcast(S, c2))
                .fma(s, FloatVector.broadcast(S, c1)).fma(s, FloatVector.broadcast(S, c0));
    }

    static FloatVector poly(FloatVector s, float c0, float c1, float c2, float c3, float c4, float c5) {
        return FloatVector.broadcast(S, c5).fma(s, FloatVector.broadcast(S, c4)).fma(s, FloatVector.broadcast(S, c3))
                .fma(s, FloatVector.broadcast(S, c2)).fma(s, FloatVector.broadcast(S, c1)).fma(s, FloatVector.broadcast(S, c0));
    }

    static FloatVector poly(FloatVector s, float c0, float c1, float c2, float c3, float c4, float c5, float c6) {
        return FloatVector.broadcast(S, c6).fma(s, FloatVector.broadcast(S, c5)).fma(s, FloatVector.broadcast(S, c4))
                .fma(s, FloatVector.broadcast(S, c3)).fma(s, FloatVector.broadcast(S, c2)).fma(s, FloatVector.broadcast(S, c1))
                .fma(s, FloatVector.broadcast(S, c0));
    }

    static FloatVector poly(FloatVector s, float c0, float c1, float c2, float c3, float c4, float c5, float c6, float c7) {
        return FloatVector.broadcast(S, c7).fma(s, FloatVector.broadcast(S, c6)).fma(s, FloatVector.broadcast(S, c5))
                .fma(s, FloatVector.broadcast(S, c4)).fma(s, FloatVector.broadcast(S, c3)).fma(s, FloatVector.broadcast(S, c2))
                .fma(s, FloatVector.broadcast(S, c1)).fma(s, FloatVector.broadcast(S, c0));
    }

    // ---- e^x·2³² with a table of 2^(j/L) that is one vector ----

    /** The factor on {@link #expNonPositiveScaled}'s results: it keeps them normal down to e^−104 (2⁻¹¹⁸). */
    static final float EXP_SCALE = 0x1p32f;

    private static final VectorSpecies<Integer> SI = S.withLanes(int.class);
    /** One table entry per lane, so the table lives in a register and a lookup is one permute. */
    private static final int TABLE_BITS = Integer.numberOfTrailingZeros(S.length());
    private static final int TABLE_SHIFT = 23 - TABLE_BITS;
    private static final IntVector EXP2_TABLE = exp2Table();
    /**
     * Degree of the Taylor polynomial for e^r on |r| ≤ ln2/(2L): remainders 9e-9 at 16 lanes (degree 3), 1.3e-9 at 8
     * (degree 4), 6e-10 at 4 (degree 5), 9e-10 at 2 (degree 6). Constant, so C2 keeps one branch below.
     */
    private static final int TABLE_DEGREE = S.length() >= 16 ? 3 : S.length() >= 8 ? 4 : S.length() >= 4 ? 5 : 6;

    /**
     * Entry j is the float 2^(32 + j/L) with (j << TABLE_SHIFT) taken off its bits: adding k << TABLE_SHIFT for
     * k = nL + j then adds n to the exponent and gives back the j that the shift moved into the mantissa.
     */
    private static IntVector exp2Table() {
        int lanes = S.length();
        int[] bits = new int[lanes];
        for (int j = 0; j < lanes; j++) {
            bits[j] = Float.floatToRawIntBits((float) Math.pow(2, 32 + (double) j / lanes)) - (j << TABLE_SHIFT);
        }
        return IntVector.fromArray(SI, bits, 0);
    }

    /**
     * e^x lane by lane for x ≤ 0 as {@link #expNonPositive} (NaN kept, −∞ gives +0, gradual underflow), but with
     * k = round(x·L/ln2) = nL + j, e^x = 2ⁿ·2^(j/L)·e^r and |r| ≤ ln2/(2L): the table of 2^(j/L) is one vector, so the
     * lookup is one permute, e^r's polynomial is short (degree 3 at 16 lanes against 6) and 2ⁿ is an integer add into
     * the entry's exponent. Within 2 ulp instead of faithfully rounded, and about a third fewer
     * instructions (no subnormal masks: the 2³² in the table keeps e^x·2³² normal down to e^−104, and the final
     * multiply by 2⁻³² rounds once into the subnormals). For the activations, whose tolerances are several ulp.
     */
    static FloatVector expNonPositiveFast(FloatVector x) {
        int lanes = S.length();
        FloatVector t = x.blend(EXP_LO, x.compare(LT, EXP_LO));
        FloatVector k = t.fma(FloatVector.broadcast(S, LOG2E * lanes), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = k.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI / lanes), t);
        return tableTimesPolynomial(k, n.fma(FloatVector.broadcast(S, -LN2_LO / lanes), r)).mul(1 / EXP_SCALE);
    }

    /**
     * e^x·{@link #EXP_SCALE} for x ≤ 0: {@link #expNonPositiveFast} without its last multiply, for callers that fold
     * the scale into a ratio (σ = e/(1 + e) as e′/(2³² + e′)) or into constants. Written out again rather than
     * shared: each level of small vector methods is one more place where C2 may stop inlining.
     */
    static FloatVector expNonPositiveScaled(FloatVector x) {
        int lanes = S.length();
        FloatVector t = x.blend(EXP_LO, x.compare(LT, EXP_LO));
        FloatVector k = t.fma(FloatVector.broadcast(S, LOG2E * lanes), FloatVector.broadcast(S, ROUNDER));
        FloatVector n = k.sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI / lanes), t);
        return tableTimesPolynomial(k, n.fma(FloatVector.broadcast(S, -LN2_LO / lanes), r));
    }

    /** 2^(32 + k/L)·e^r: the table entry for k mod L, 2^⌊k/L⌋ added into its exponent, times e^r's polynomial. */
    private static FloatVector tableTimesPolynomial(FloatVector k, FloatVector r) {
        // The wide case is written here and the narrow ones in a helper, so that this method stays under the JIT's
        // inlining size: at 372 bytes of bytecode it was "hot method too big", and GELU ran on boxed vectors.
        FloatVector p = TABLE_DEGREE == 3
                ? FloatVector.broadcast(S, 1f / 6).fma(r, FloatVector.broadcast(S, 0.5f))
                : taylorAboveSecond(r);
        FloatVector one = FloatVector.broadcast(S, 1f);
        p = p.fma(r, one).fma(r, one);
        // k's float bits are ROUNDER's plus k in the low mantissa bits; shifted left, ROUNDER's bits fall out.
        // The permute reads the low TABLE_BITS bits of each lane: j = k mod L.
        IntVector ki = k.reinterpretAsInts();
        return p.mul(ki.lanewise(LSHL, TABLE_SHIFT).add(ki.selectFrom(EXP2_TABLE)).reinterpretAsFloats());
    }

    /** 1/2 + r/6 + … up to the degree {@link #TABLE_DEGREE} term over r², for the narrower vector widths. */
    private static FloatVector taylorAboveSecond(FloatVector r) {
        FloatVector p = TABLE_DEGREE == 4
                ? FloatVector.broadcast(S, 1f / 24)
                : TABLE_DEGREE == 5
                ? FloatVector.broadcast(S, 1f / 120).fma(r, FloatVector.broadcast(S, 1f / 24))
                : FloatVector.broadcast(S, 1f / 720).fma(r, FloatVector.broadcast(S, 1f / 120))
                        .fma(r, FloatVector.broadcast(S, 1f / 24));
        return p.fma(r, FloatVector.broadcast(S, 1f / 6)).fma(r, FloatVector.broadcast(S, 0.5f));
    }
}
