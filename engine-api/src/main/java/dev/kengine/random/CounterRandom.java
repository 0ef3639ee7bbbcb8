package dev.kengine.random;

/**
 * The engine's random numbers, specified so that every backend reproduces them bit for bit. All
 * randomness is a pure function of (seed, offset, element index): it never depends on thread
 * count, grid shape, tiling or backend. The element index i is the row-major linear index of the
 * element in its tensor, starting at 0.
 *
 * <h2>Key and counters</h2>
 * key = (k0, k1) = (low 32 bits of seed, high 32 bits of seed). For a 64-bit value x, lo(x) and
 * hi(x) are its low and high 32 bits. All words are unsigned.
 *
 * <h2>Uniform bits (dropout, uniform initialisation)</h2>
 * Element i takes word {@code i mod 4} of {@link Philox#block Philox4x32-10} with counter
 * (lo(q), hi(q), lo(offset), hi(offset)) where q = ⌊i / 4⌋: one block serves four consecutive
 * elements. The word w becomes a float u = (w >>> 8) · 2⁻²⁴, exactly representable, in [0, 1).
 *
 * <h2>Dropout with probability p</h2>
 * Element i is kept when u ≥ p, compared in float32. The mask holds 1.0f for kept and 0.0f for
 * dropped elements; y = x · s for kept elements and y = x · 0.0f for dropped ones, where the scale
 * s = (float) (1.0 / (1.0 − (double) p)) is rounded once from double. p = 0 keeps everything with
 * s = 1, the exact identity.
 *
 * <h2>Uniform initialisation U(lo, hi)</h2>
 * value = (float) (lo + (hi − lo) · (double) u), evaluated in IEEE double precision, each
 * operation rounded to nearest and no fused multiply-add, then rounded once to float32.
 *
 * <h2>Normal initialisation N(mean, std)</h2>
 * Element i takes words w0, w1 of Philox4x32-10 with counter (lo(i), hi(i), lo(offset), hi(offset)):
 * <pre>
 *   u1 = ((double) w0 + 1.0) · 2⁻³²        in (0, 1]
 *   u2 = (double) w1 · 2⁻³²                in [0, 1)
 *   z  = sqrt(−2.0 · ln(u1)) · cos2pi(u2)   (Box–Muller, cosine branch)
 *   value = (float) (mean + std · z)
 * </pre>
 * in IEEE double, round to nearest, no fused multiply-add, {@code sqrt} correctly rounded, and
 * {@code ln} and {@code cos2pi} the portable routines {@link #ln} and {@link #cos2pi} below, which
 * use only +, −, ×, ÷ and exact bit manipulation so that they give the same double on every
 * conforming platform (GPU kernels must disable contraction, e.g. {@code -fmad=false} or
 * {@code #pragma OPENCL FP_CONTRACT OFF}).
 *
 * <p>Every method here is a pure function of its arguments, safe from any thread, and throws
 * nothing.
 */
public final class CounterRandom {
    private static final double TWO_POW_M32 = 0x1p-32;
    private static final float TWO_POW_M24 = 0x1p-24f;
    private static final double LN2 = 0x1.62e42fefa39efp-1;
    private static final double SQRT2 = 0x1.6a09e667f3bcdp0;
    private static final double TWO_PI = 0x1.921fb54442d18p2;

    private CounterRandom() {}

    /**
     * The 32 uniform bits of element {@code index} (see "Uniform bits").
     *
     * @param seed the key; any long
     * @param offset the stream; any long
     * @param index the element's row-major index in its tensor, ≥ 0
     * @return word {@code index mod 4} of the Philox block, as a signed int holding 32 unsigned bits
     */
    public static int bits(long seed, long offset, long index) {
        int[] out = new int[4];
        long q = index >>> 2;
        Philox.block((int) q, (int) (q >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32), out);
        return out[(int) (index & 3)];
    }

    /**
     * The float in [0, 1) made from 32 uniform bits: (bits &gt;&gt;&gt; 8) · 2⁻²⁴.
     *
     * @param bits 32 uniform bits, as from {@link #bits}
     * @return a multiple of 2⁻²⁴ in [0, 1)
     */
    public static float unitFloat(int bits) {
        return (bits >>> 8) * TWO_POW_M24;
    }

    /**
     * The dropout scale 1 / (1 − p), rounded once from double.
     *
     * @param p the drop probability, in [0, 1)
     * @return (float) (1.0 / (1.0 − p)); exactly 1 for p = 0
     */
    public static float dropoutScale(float p) {
        return (float) (1.0 / (1.0 - (double) p));
    }

    /**
     * Whether dropout keeps element {@code index}: {@code unitFloat(bits(seed, offset, index)) >= p}.
     *
     * @param seed the key; any long
     * @param offset the stream; any long
     * @param index the element's row-major index, ≥ 0
     * @param p the drop probability, in [0, 1)
     * @return true when the element is kept (mask 1.0f)
     */
    public static boolean keep(long seed, long offset, long index, float p) {
        return unitFloat(bits(seed, offset, index)) >= p;
    }

    /**
     * The uniform initial value of element {@code index} (see "Uniform initialisation").
     *
     * @param seed the key; any long
     * @param offset the stream; any long
     * @param index the element's row-major index, ≥ 0
     * @param lo the lower bound, inclusive
     * @param hi the upper bound
     * @return the value, rounded once to float
     */
    public static float uniform(long seed, long offset, long index, double lo, double hi) {
        return uniformFromBits(bits(seed, offset, index), lo, hi);
    }

    /**
     * The uniform value for already drawn bits: (float) (lo + (hi − lo) · unitFloat(bits)).
     *
     * @param bits 32 uniform bits, as from {@link #bits}
     * @param lo the lower bound, inclusive
     * @param hi the upper bound
     * @return the value, rounded once to float
     */
    public static float uniformFromBits(int bits, double lo, double hi) {
        double u = unitFloat(bits);
        return (float) (lo + (hi - lo) * u);
    }

    /**
     * The normal initial value of element {@code index} (see "Normal initialisation").
     *
     * @param seed the key; any long
     * @param offset the stream; any long
     * @param index the element's row-major index, ≥ 0 (here the counter itself, not index / 4)
     * @param mean the mean
     * @param std the standard deviation
     * @return the value, rounded once to float
     */
    public static float normal(long seed, long offset, long index, double mean, double std) {
        int[] out = new int[4];
        Philox.block((int) index, (int) (index >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32), out);
        return normalFromWords(out[0], out[1], mean, std);
    }

    /**
     * The normal value for the two words w0, w1 of a Philox block, by the Box–Muller cosine branch.
     *
     * @param w0 the first word, 32 unsigned bits; gives u1 in (0, 1]
     * @param w1 the second word, 32 unsigned bits; gives u2 in [0, 1)
     * @param mean the mean
     * @param std the standard deviation
     * @return the value, rounded once to float
     */
    public static float normalFromWords(int w0, int w1, double mean, double std) {
        double u1 = ((double) (w0 & 0xFFFFFFFFL) + 1.0) * TWO_POW_M32;
        double u2 = (double) (w1 & 0xFFFFFFFFL) * TWO_POW_M32;
        double z = Math.sqrt(-2.0 * ln(u1)) * cos2pi(u2);
        return (float) (mean + std * z);
    }

    /**
     * Natural logarithm of a positive normal double x, portable to the last bit. x = m·2ᵉ with m in
     * [1, 2) taken from the bits; if m &gt; √2 then m = m/2, e = e + 1. With s = (m − 1)/(m + 1) and
     * s2 = s·s, t starts at 1/21 (k = 10) and for k = 9 down to 0 becomes t·s2 + 1/(2k+1), and
     * ln x = e·ln2 + (2s)·t. The constants are the doubles nearest 1/(2k+1).
     *
     * @param x a positive normal double (not zero, subnormal, infinite or NaN, for which the result
     *     is meaningless)
     * @return ln x, the same double on every conforming platform
     */
    public static double ln(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int e = (int) ((bits >>> 52) & 0x7FF) - 1023;
        double m = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > SQRT2) {
            m = m * 0.5;
            e = e + 1;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        double t = 1.0 / 21.0;
        for (int k = 9; k >= 0; k--) {
            t = t * s2 + 1.0 / (2 * k + 1);
        }
        return (double) e * LN2 + (2.0 * s) * t;
    }

    /**
     * cos(2πu) for u in [0, 1), portable to the last bit. Reduction, each step exact: if u &gt; 0.5
     * then u = 1 − u; sign = +1; if u &gt; 0.25 then u = 0.5 − u and sign = −1; then if u &gt; 0.125
     * the result is sign·sin(2π(0.25 − u)), else sign·cos(2πu), with θ = 2π·u (2π the nearest
     * double) and the Taylor polynomials cos θ = Σ_{k=0..10} (−1)ᵏθ²ᵏ/(2k)! and
     * sin θ = θ·Σ_{k=0..10} (−1)ᵏθ²ᵏ/(2k+1)!, both evaluated by Horner in θ² from the highest term,
     * the coefficients being the doubles nearest ±1/(2k)! and ±1/(2k+1)!.
     *
     * @param u the fraction of a turn, in [0, 1)
     * @return cos(2πu), the same double on every conforming platform
     */
    public static double cos2pi(double u) {
        if (u > 0.5) {
            u = 1.0 - u;
        }
        double sign = 1.0;
        if (u > 0.25) {
            u = 0.5 - u;
            sign = -1.0;
        }
        if (u > 0.125) {
            double th = TWO_PI * (0.25 - u);
            return sign * (th * horner(th * th, SIN_COEFFS));
        }
        double th = TWO_PI * u;
        return sign * horner(th * th, COS_COEFFS);
    }

    private static double horner(double x2, double[] c) {
        double t = c[c.length - 1];
        for (int k = c.length - 2; k >= 0; k--) {
            t = t * x2 + c[k];
        }
        return t;
    }

    /** (−1)ᵏ/(2k)! for k = 0..10, each the nearest double. */
    static final double[] COS_COEFFS = coefficients(0);
    /** (−1)ᵏ/(2k+1)! for k = 0..10, each the nearest double. */
    static final double[] SIN_COEFFS = coefficients(1);

    // Every n! with n <= 22 is exactly representable as a double, so 1.0 / n! is the nearest double
    // to the true reciprocal, on any IEEE platform.
    private static double[] coefficients(int start) {
        double[] c = new double[11];
        for (int k = 0; k <= 10; k++) {
            double factorial = 1.0;
            for (int j = 2; j <= 2 * k + start; j++) {
                factorial *= j;
            }
            c[k] = (k % 2 == 0 ? 1.0 : -1.0) / factorial;
        }
        return c;
    }
}
