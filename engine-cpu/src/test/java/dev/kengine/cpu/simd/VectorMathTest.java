package dev.kengine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Runs with jdk.incubator.vector added by the build (surefire argLine), as the rest of this package. */
@DisplayName("VectorMath.expNonPositive, expNonPositiveFast, expm1ForNonPositive and poly against double precision")
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
    @DisplayName("expm1 keeps NaN, gives −1 at −∞, 0 at ±0 (sign not kept) and is faithful near −1")
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
        // −16.6 is the last n (−24) where 2ⁿ − 1 is a float and the last bit follows e^x; below it the result is −1,
        // which is faithful: e^x − 1 lies between −1 and −1 + 2⁻²⁴ there.
        assertEquals((float) Math.expm1(-16.6f), y[9], "expm1(−16.6)");
        for (int i : new int[] {8, 10}) {
            double exact = Math.expm1(x[i]);
            assertTrue(exact > -1 && exact < -1 + 0x1p-24, "expm1(" + x[i] + ") = " + exact);
            assertEquals(-1f, y[i], "expm1(" + x[i] + ")");
        }
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

    @Test
    @DisplayName("expNonPositiveScaled is expNonPositiveFast times 2³², bit for bit, from 0 down to −104 and at the ends")
    void expNonPositiveScaled() {
        float[] x = new float[1 << 16];
        float[] fast = new float[x.length];
        float[] scaled = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = -104f * i / (x.length - 16);
        }
        x[x.length - 3] = Float.NEGATIVE_INFINITY;
        x[x.length - 2] = Float.NaN;
        x[x.length - 1] = -0f;
        for (int i = 0; i < x.length; i += S.length()) {
            VectorMath.expNonPositiveFast(FloatVector.fromArray(S, x, i)).intoArray(fast, i);
            VectorMath.expNonPositiveScaled(FloatVector.fromArray(S, x, i)).intoArray(scaled, i);
        }
        for (int i = 0; i < x.length; i++) {
            if (fast[i] >= Float.MIN_NORMAL) {
                assertEquals(fast[i] * VectorMath.EXP_SCALE, scaled[i], "at x = " + x[i]);
            }
            assertTrue(Float.isNaN(x[i]) ? Float.isNaN(scaled[i]) : scaled[i] >= Float.MIN_NORMAL, "normal at x = " + x[i]);
        }
    }

    @Test
    @DisplayName("poly evaluates c0 + c1·s + … by Horner with one rounding per step, at every degree it offers")
    void poly() {
        int len = Math.max(16, S.length());
        float[] s = new float[len];
        for (int i = 0; i < len; i++) {
            s[i] = i * 0.375f - 2f;
        }
        float[][] got = new float[5][len];
        for (int i = 0; i < len; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, s, i);
            VectorMath.poly(v, 1f, 2f, 3f, 4f).intoArray(got[0], i);
            VectorMath.poly(v, 1f, 2f, 3f, 4f, 5f).intoArray(got[1], i);
            VectorMath.poly(v, 1f, 2f, 3f, 4f, 5f, 6f).intoArray(got[2], i);
            VectorMath.poly(v, 1f, 2f, 3f, 4f, 5f, 6f, 7f).intoArray(got[3], i);
            VectorMath.poly(v, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f).intoArray(got[4], i);
        }
        for (int d = 0; d < 5; d++) {
            for (int i = 0; i < len; i++) {
                float acc = d + 4; // the highest coefficient
                for (int c = d + 3; c >= 1; c--) {
                    acc = Math.fma(acc, s[i], c);
                }
                assertEquals(acc, got[d][i], "degree " + (d + 3) + " at s = " + s[i]);
            }
        }
    }
}
