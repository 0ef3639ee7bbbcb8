package dev.kengine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Runs with jdk.incubator.vector added by the build (surefire argLine), as the rest of this package. */
@DisplayName("VectorMath.expNonPositive, expm1ForNonPositive and expScaled64 against the double-precision functions")
class VectorMathTest {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float[] exp(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) {
            VectorMath.expNonPositive(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        return y;
    }

    /** |got − e^x| in units of the float spacing at e^x (subnormal spacing below 2⁻¹²⁶). */
    static double ulps(float got, float x) {
        double exact = Math.exp(x);
        return Math.abs(got - exact) / Math.ulp((float) exact);
    }

    /** Whether got is one of the two floats around exact (exact itself when it is a float). */
    static boolean faithful(float got, double exact) {
        float nearest = (float) exact;
        if (got == nearest) {
            return true;
        }
        return got == (exact > nearest ? Math.nextUp(nearest) : Math.nextDown(nearest));
    }

    /** The outcome of {@link #sweep}: the largest error in ulps and where, results not faithfully rounded, values. */
    record Sweep(double worst, float worstAt, long unfaithful, long checked) {}

    /**
     * Runs every {@code stride}-th float bit pattern from {@code fromBits} to {@code toBits} through {@code f} and
     * compares with {@code exact}: the error in units of the float spacing at the exact value (the subnormal spacing
     * below 2⁻¹²⁶), and whether the result is one of the two floats around it.
     */
    static Sweep sweep(int fromBits, int toBits, int stride, java.util.function.UnaryOperator<FloatVector> f,
                       java.util.function.DoubleUnaryOperator exact) {
        float[] x = new float[1 << 16];
        float[] y = new float[x.length];
        double worst = 0;
        float worstAt = Float.NaN;
        long checked = 0;
        long unfaithful = 0;
        int bits = fromBits;
        while (bits <= toBits) {
            int n = 0;
            while (n < x.length && bits <= toBits) {
                x[n++] = Float.intBitsToFloat(bits);
                bits += stride;
            }
            for (int i = 0; i < x.length; i += S.length()) {
                f.apply(FloatVector.fromArray(S, x, i)).intoArray(y, i);
            }
            for (int i = 0; i < n; i++) {
                double e = exact.applyAsDouble(x[i]);
                double u = Math.abs(y[i] - e) / Math.ulp((float) e);
                if (!(u <= worst)) {
                    worst = u;
                    worstAt = x[i];
                }
                if (!faithful(y[i], e)) {
                    unfaithful++;
                }
            }
            checked += n;
        }
        return new Sweep(worst, worstAt, unfaithful, checked);
    }

    @Test
    @DisplayName("exp is faithfully rounded for every 5th float from 0 down to the underflow threshold")
    void faithfulEverywhere() {
        // Every float bit pattern in [−104, −0] with a stride of 5: about 220 million values in all ranges of the
        // reduction, the subnormal results (x below −87.3) included. The stride is odd so every low-bit pattern occurs.
        Sweep r = sweep(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(-104f), 5, VectorMath::expNonPositive, Math::exp);
        assertTrue(r.checked() > 200_000_000L, "checked " + r.checked());
        assertEquals(0, r.unfaithful(), "results not one of the two floats around e^x; worst " + r.worst() + " ulp at x = " + r.worstAt());
    }

    @Test
    @DisplayName("exp keeps NaN, gives +0 at −∞, 1 at ±0, and rounds into the subnormals once")
    void specials() {
        float[] x = {Float.NaN, Float.NEGATIVE_INFINITY, 0f, -0f, -1000f, -Float.MAX_VALUE, -87.3365f, -87.34f,
                     -100f, -103.28f, -103.9f, -103.98f, -104f, -104.5f, -Float.MIN_VALUE, -1e-30f, -1e-7f, 1e-7f,
                     10f, 88f};
        float[] padded = new float[(x.length + S.length() - 1) / S.length() * S.length()];
        System.arraycopy(x, 0, padded, 0, x.length);
        float[] y = exp(padded);
        assertTrue(Float.isNaN(y[0]), "e^NaN");
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(y[1]), "e^−∞ is +0");
        assertEquals(1f, y[2], "e^0");
        assertEquals(1f, y[3], "e^−0");
        assertEquals(0f, y[4], "e^−1000");
        assertEquals(0f, y[5], "e^−MAX");
        for (int i = 6; i < x.length; i++) {
            float expected = (float) Math.exp(x[i]);
            if (expected == 0f) {
                assertEquals(0f, y[i], "e^" + x[i]);
            } else {
                assertTrue(ulps(y[i], x[i]) < 1.0, "e^" + x[i] + " = " + y[i] + ", expected about " + expected);
            }
        }
    }

    static float[] expm1(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) {
            VectorMath.expm1ForNonPositive(FloatVector.fromArray(S, x, i)).intoArray(y, i);
        }
        return y;
    }

    @Test
    @DisplayName("expm1 is faithfully rounded for every 7th float from −90 to 0, so relatively accurate near 0")
    void expm1NonPositive() {
        Sweep r = sweep(Float.floatToRawIntBits(-0f) + 1, Float.floatToRawIntBits(-90f), 7, VectorMath::expm1ForNonPositive,
                Math::expm1);
        assertTrue(r.checked() > 100_000_000L, "checked " + r.checked());
        assertEquals(0, r.unfaithful(), "results not one of the two floats around e^x − 1; worst " + r.worst() + " ulp at x = " + r.worstAt());
    }

    @Test
    @DisplayName("expm1 keeps NaN, gives −1 at −∞, 0 at ±0 (sign not kept) and keeps the last bit near −1")
    void expm1Specials() {
        float[] x = new float[Math.max(16, S.length() * 2)]; // 16: a whole number of vectors at any width
        x[0] = Float.NaN;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = -0f;
        x[3] = -1000f;
        x[4] = -88f;
        x[5] = -Float.MIN_VALUE;
        x[6] = -1e-30f;
        x[7] = 0f;
        x[8] = -17f;
        x[9] = -16.6f;
        x[10] = -17.3f;
        float[] y = expm1(x);
        assertTrue(Float.isNaN(y[0]), "expm1(NaN)");
        assertEquals(-1f, y[1], "expm1(−∞)");
        assertEquals(0f, Math.abs(y[2]), "expm1(−0)");
        assertEquals(-1f, y[3], "expm1(−1000)");
        assertEquals(-1f, y[4], "expm1(−88)");
        assertEquals(-Float.MIN_VALUE, y[5], "expm1(−2⁻¹⁴⁹)");
        assertEquals(-1e-30f, y[6], "expm1(−1e-30)");
        assertEquals(0f, y[7], "expm1(0)");
        for (int i = 8; i <= 10; i++) {
            // Here 2ⁿ − 1 is not a float; the last bit of the result near −1 still follows e^x.
            assertEquals((float) Math.expm1(x[i]), y[i], "expm1(" + x[i] + ")");
        }
    }

    @Test
    @DisplayName("expScaled64: e^(hi + lo)·2⁶⁴ within 2 ulp over [−120.2, 0], with the split of −x²/2 that GELU makes")
    void expScaled64() {
        assertWithinTwoUlpOverHalfSquares("expScaled64", false);
        // NaN stays NaN; hi = 0 is exactly 2⁶⁴, and the bottom of the domain is normal.
        int len = Math.max(16, S.length()); // a whole number of vectors at any width
        float[] h = new float[len];
        float[] l = new float[len];
        h[0] = Float.NaN;
        h[1] = -0f;
        h[2] = -120.125f;
        float[] out = new float[len];
        for (int i = 0; i < len; i += S.length()) {
            VectorMath.expScaled64(FloatVector.fromArray(S, h, i), FloatVector.fromArray(S, l, i)).intoArray(out, i);
        }
        assertTrue(Float.isNaN(out[0]));
        assertEquals(0x1p64f, out[1]);
        assertEquals(Math.scalb(Math.exp(-120.125), 64), out[2], Math.ulp(out[2]) * 2);
    }

    @Test
    @DisplayName("expScaled64OfHalfSquare: e^(−z²/2)·2⁶⁴ within 2 ulp for z over [0, 15.5]; NaN, 0 and the ends")
    void expScaled64OfHalfSquare() {
        assertWithinTwoUlpOverHalfSquares("expScaled64OfHalfSquare", true);
        int len = Math.max(16, S.length());
        float[] z = new float[len];
        z[0] = Float.NaN;
        z[1] = 0f;
        z[2] = 15.5f;
        z[3] = Float.MIN_VALUE;
        float[] out = new float[len];
        for (int i = 0; i < len; i += S.length()) {
            VectorMath.expScaled64OfHalfSquare(FloatVector.fromArray(S, z, i)).intoArray(out, i);
        }
        assertTrue(Float.isNaN(out[0]));
        assertEquals(0x1p64f, out[1]);
        assertEquals(Math.scalb(Math.exp(-0.5 * 15.5 * 15.5), 64), out[2], Math.ulp(out[2]) * 2);
        assertEquals(0x1p64f, out[3]);
    }

    /**
     * Every 3rd float x in [0, 15.5] (about 110 million, so every table entry and every low-bit pattern of k
     * occurs): the worst error in ulp of e^(−x²/2)·2⁶⁴, and where, either from x itself (expScaled64OfHalfSquare)
     * or from GELU's split of −x²/2 (expScaled64: hi = (−x/2)·x rounded, lo its exact remainder).
     */
    private static void assertWithinTwoUlpOverHalfSquares(String name, boolean direct) {
        float[] worst = worstUlpOverHalfSquares(direct);
        System.out.println(name + ": worst " + worst[0] + " ulp at x = " + worst[1] + " (" + S + ")");
        assertTrue(worst[0] <= 2, name + ": worst " + worst[0] + " ulp at x = " + worst[1]);
    }

    private static float[] worstUlpOverHalfSquares(boolean direct) {
        float[] hi = new float[1 << 16];
        float[] lo = new float[hi.length];
        float[] y = new float[hi.length];
        float[] xs = new float[hi.length];
        double worst = 0;
        float worstAt = Float.NaN;
        int last = Float.floatToRawIntBits(15.5f);
        int bits = 0;
        while (bits <= last) {
            int n = 0;
            while (n < hi.length && bits <= last) {
                float x = Float.intBitsToFloat(bits);
                float h = -0.5f * x * x;
                xs[n] = x;
                hi[n] = h;
                lo[n] = Math.fma(-0.5f * x, x, -h);
                n++;
                bits += 3;
            }
            for (int i = 0; i < hi.length; i += S.length()) {
                FloatVector e = direct
                        ? VectorMath.expScaled64OfHalfSquare(FloatVector.fromArray(S, xs, i))
                        : VectorMath.expScaled64(FloatVector.fromArray(S, hi, i), FloatVector.fromArray(S, lo, i));
                e.intoArray(y, i);
            }
            for (int i = 0; i < n; i++) {
                double x = xs[i];
                double exact = Math.scalb(Math.exp(-0.5 * x * x), 64);
                double u = Math.abs(y[i] - exact) / Math.ulp((float) exact);
                if (!(u <= worst)) {
                    worst = u;
                    worstAt = xs[i];
                }
            }
        }
        return new float[] {(float) worst, worstAt};
    }

    @Test
    @DisplayName("expNonPositiveFast: within 2 ulp for every 5th float from 0 down to the underflow threshold")
    void expNonPositiveFast() {
        // As faithfulEverywhere, but the bound is 2 ulp of e^x (the subnormal spacing below 2⁻¹²⁶, where the last
        // multiply rounds once, so within one spacing).
        Sweep r = sweep(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(-104f), 5, VectorMath::expNonPositiveFast,
                Math::exp);
        double worst = r.worst();
        float worstAt = r.worstAt();
        System.out.println("expNonPositiveFast: worst " + worst + " ulp at x = " + worstAt + " (" + S + ")");
        assertTrue(worst <= 2, "worst " + worst + " ulp at x = " + worstAt);
        int len = Math.max(16, S.length()); // a whole number of vectors at any width
        float[] sp = new float[len];
        sp[0] = Float.NaN;
        sp[1] = Float.NEGATIVE_INFINITY;
        sp[2] = -0f;
        sp[3] = 0f;
        sp[4] = -200f;
        float[] out = new float[len];
        for (int i = 0; i < len; i += S.length()) {
            VectorMath.expNonPositiveFast(FloatVector.fromArray(S, sp, i)).intoArray(out, i);
        }
        assertTrue(Float.isNaN(out[0]));
        assertEquals(0, Float.floatToRawIntBits(out[1]), "e^−∞ is +0");
        assertEquals(1f, out[2]);
        assertEquals(1f, out[3]);
        assertEquals(0, Float.floatToRawIntBits(out[4]), "e^−200 is +0");
    }
}
