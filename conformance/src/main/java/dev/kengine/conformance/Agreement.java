package dev.kengine.conformance;

import dev.kengine.Conversions;
import dev.kengine.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.opentest4j.AssertionFailedError;

/**
 * Compares a backend's float32 results with the oracle's float64 ones under a {@link Tolerance},
 * and fails with the first few mismatches: index, input, expected, actual, error and bound.
 */
public final class Agreement {
    private static final int SHOWN = 6;

    private Agreement() {}

    /** Whether {@code actual} agrees with {@code expected} within {@code bound} under the tolerance's rules. */
    static boolean agrees(Tolerance tol, double expected, float actual, double bound) {
        if (Double.isNaN(expected)) {
            return Float.isNaN(actual);
        }
        if (Float.isNaN(actual)) {
            return false;
        }
        float rounded = (float) expected;
        if (Double.isInfinite(expected) || Float.isInfinite(actual)) {
            return actual == rounded; // an infinity only where the oracle's value is one, or overflows float32
        }
        if (actual == 0 && (expected == 0 || rounded == 0)) {
            return !tol.signedZero() || Math.copySign(1.0, expected) == Math.copySign(1.0, actual);
        }
        if (actual == rounded) {
            return true;
        }
        return Math.abs((double) actual - expected) <= bound;
    }

    /**
     * Asserts every element agrees. {@code ref} (per element, may be null for none) is the error
     * scale the tolerance's reason names; {@code input} (may be null) is shown in the report.
     * An element agrees when it is the float32 rounding of the expected value, or NaN where that is
     * NaN, or within {@link Tolerance#bound}; an infinity only where the rounded oracle value is one,
     * and the sign of a zero is checked only where {@link Tolerance#signedZero()} is set.
     *
     * @param what the check's name, for the failure message
     * @param tol the op's tolerance
     * @param expected the oracle's float64 values
     * @param actual the backend's results, as many as {@code expected}
     * @param ref the error scale of each element, as many as {@code expected}; null for 0 everywhere
     * @param input the input of each element, shown next to a mismatch; null for none
     * @throws AssertionFailedError if the lengths differ or any element disagrees; the message gives the
     *     count and the first six mismatches with index, input, expected, actual, error and bound
     */
    public static void assertAgree(String what, Tolerance tol, double[] expected, float[] actual, double[] ref, float[] input) {
        if (expected.length != actual.length) {
            throw new AssertionFailedError(what + ": expected " + expected.length + " elements but the backend returned " + actual.length);
        }
        EvidenceLog.agreement(tol, expected, actual, ref);
        List<String> bad = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            double r = ref == null ? 0 : ref[i];
            double bound = tol.bound(expected[i], r);
            if (!agrees(tol, expected[i], actual[i], bound)) {
                count++;
                if (bad.size() < SHOWN) {
                    bad.add(String.format(Locale.ROOT, "  [%d]%s expected %s, actual %s (error %.3g, bound %.3g)", i,
                            input == null || i >= input.length ? "" : " input " + show(input[i]),
                            show(expected[i]), show(actual[i]),
                            Math.abs(actual[i] - expected[i]), bound));
                }
            }
        }
        if (count > 0) {
            throw new AssertionFailedError(what + ": " + count + " of " + expected.length + " elements disagree with the float64 oracle"
                    + " beyond the tolerance [" + tol + "]:\n" + String.join("\n", bad));
        }
    }

    /**
     * Asserts one value agrees, as {@link #assertAgree(String, Tolerance, double[], float[], double[], float[])}.
     *
     * @param what the check's name, for the failure message
     * @param tol the op's tolerance
     * @param expected the oracle's float64 value
     * @param actual the backend's result
     * @param ref the value's error scale (0 for none)
     * @throws AssertionFailedError if the value disagrees
     */
    public static void assertAgree(String what, Tolerance tol, double expected, float actual, double ref) {
        assertAgree(what, tol, new double[] {expected}, new float[] {actual}, new double[] {ref}, null);
    }

    /**
     * Asserts the float32 results are bit for bit the expected floats (any NaN matches any NaN).
     *
     * @param what the check's name, for the failure message
     * @param expected the exact floats, −0 and +0 told apart
     * @param actual the backend's results, as many as {@code expected}
     * @param input the input of each element, shown next to a mismatch; null for none
     * @throws AssertionFailedError if the lengths differ or any element's bits differ; the message shows
     *     the first six with their bits in hex
     */
    public static void assertBits(String what, float[] expected, float[] actual, float[] input) {
        if (expected.length != actual.length) {
            throw new AssertionFailedError(what + ": expected " + expected.length + " elements but got " + actual.length);
        }
        EvidenceLog.bits(expected, actual);
        List<String> bad = new ArrayList<>();
        int count = 0;
        for (int i = 0; i < expected.length; i++) {
            boolean same = Float.isNaN(expected[i]) ? Float.isNaN(actual[i])
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
            if (!same) {
                count++;
                if (bad.size() < SHOWN) {
                    bad.add(String.format(Locale.ROOT, "  [%d]%s expected %s (0x%08x), actual %s (0x%08x)", i,
                            input == null ? "" : " input " + show(input[i]),
                            show(expected[i]), Float.floatToRawIntBits(expected[i]), show(actual[i]), Float.floatToRawIntBits(actual[i])));
                }
            }
        }
        if (count > 0) {
            throw new AssertionFailedError(what + ": " + count + " of " + expected.length + " elements differ in their bits:\n"
                    + String.join("\n", bad));
        }
    }

    static String show(double v) {
        if (v == 0) {
            return 1 / v < 0 ? "-0" : "0";
        }
        return Double.isNaN(v) || Double.isInfinite(v) ? Double.toString(v) : String.format(Locale.ROOT, "%.9g", v);
    }

    /**
     * The float32 rounding of every element.
     *
     * @param d the values, not null
     * @return a new array, each element rounded to nearest
     */
    public static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /**
     * A float array widened to double.
     *
     * @param f the values, not null
     * @return a new array holding the same values exactly
     */
    public static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /**
     * One unit in the last place of a half-precision value of magnitude |v| (the subnormal step below the normals).
     *
     * @param h {@link DType#FLOAT16} or {@link DType#BFLOAT16}
     * @param v the value
     * @return the spacing of h's values at |v|
     */
    static double halfUlp(DType h, double v) {
        double a = Math.abs(v);
        if (h == DType.FLOAT16) {
            return a < 0x1p-14 ? 0x1p-24 : Math.scalb(1.0, Math.getExponent(a) - 10);
        }
        return a < Float.MIN_NORMAL ? 0x1p-133 : Math.scalb(1.0, Math.getExponent(a) - 7);
    }

    /**
     * Asserts half-precision results against float64 references: within one correct rounding of the output (half
     * an ulp of h, the ulp of the larger of the two magnitudes, so that a rounding up to a power of two counts by the
     * binade it lands in) plus {@code floatSlack}·max(1, |expected|) for the float32 arithmetic before it; NaN
     * where the reference is NaN, and an infinity only where the reference rounds to one. A kernel that truncates
     * to h instead of rounding to nearest is off by up to a whole ulp and fails.
     *
     * @param what the check's name, for the failure message
     * @param h the results' dtype, {@link DType#FLOAT16} or {@link DType#BFLOAT16}
     * @param expected the references
     * @param actual the results, widened to float
     * @param floatSlack the float32 computation's relative error allowed before the rounding
     * @throws AssertionFailedError at the first element outside the bound
     */
    static void assertHalfNear(String what, DType h, double[] expected, float[] actual, double floatSlack) {
        if (expected.length != actual.length) {
            throw new AssertionFailedError(what + ": expected " + expected.length + " elements but the backend returned "
                    + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            if (Double.isNaN(e)) {
                if (!Float.isNaN(a)) {
                    throw new AssertionFailedError(what + ": element " + i + " should be NaN, got " + a);
                }
                continue;
            }
            double rounded = Conversions.toFloat(h, Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits((float) e), h));
            if (Double.isInfinite(rounded) || Double.isInfinite(e)) {
                if (rounded != a) {
                    throw new AssertionFailedError(what + ": element " + i + " is " + a + ", the reference " + e
                            + " rounds to " + rounded + " in " + h);
                }
                continue;
            }
            double allowed = 0.5 * halfUlp(h, Math.max(Math.abs(e), Math.abs(a))) + floatSlack * Math.max(1, Math.abs(e));
            if (!(Math.abs(a - e) <= allowed)) {
                throw new AssertionFailedError(what + ": element " + i + " is " + a + ", the reference " + e + " (rounded to "
                        + h + ": " + rounded + "); allowed " + allowed + " = half an " + h + " ulp (one rounding to nearest)"
                        + " + float32 slack " + floatSlack);
            }
        }
    }

    /**
     * Each element of {@code x} rounded to {@code h} and back: the values an h tensor uploaded from x holds.
     *
     * @param h the dtype
     * @param x the values
     * @return a new array, x's length
     */
    static float[] roundedTo(DType h, float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = Conversions.toFloat(h, Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits(x[i]), h));
        }
        return r;
    }

    /**
     * A tensor's elements as raw bits, zero-extended (a float32's 32, a half type's 16, an int32, a uint8's byte),
     * read through the download of its own type ({@code toArray}, {@code toShortArray}, {@code toIntArray},
     * {@code toByteArray}).
     *
     * @param t the tensor, of at most an array's worth of elements
     * @return a new array, one element per element of t
     */
    static int[] rawBits(dev.kengine.Tensor t) {
        return switch (t.dtype()) {
            case FLOAT32 -> {
                float[] f = t.toArray();
                int[] r = new int[f.length];
                for (int i = 0; i < f.length; i++) {
                    r[i] = Float.floatToRawIntBits(f[i]);
                }
                yield r;
            }
            case FLOAT16, BFLOAT16 -> {
                short[] h = t.toShortArray();
                int[] r = new int[h.length];
                for (int i = 0; i < h.length; i++) {
                    r[i] = h[i] & 0xFFFF;
                }
                yield r;
            }
            case INT32 -> t.toIntArray();
            case UINT8 -> {
                byte[] b = t.toByteArray();
                int[] r = new int[b.length];
                for (int i = 0; i < b.length; i++) {
                    r[i] = b[i] & 0xFF;
                }
                yield r;
            }
        };
    }

    /**
     * n raw elements of {@code d} from the start of {@code bb}, in its byte order, zero-extended.
     *
     * @param bb the bytes
     * @param d their dtype
     * @param n how many elements
     * @return a new array of n elements
     */
    static int[] decodeBits(java.nio.ByteBuffer bb, DType d, int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = switch (d) {
                case FLOAT32, INT32 -> bb.getInt(4 * i);
                case FLOAT16, BFLOAT16 -> bb.getShort(2 * i) & 0xFFFF;
                case UINT8 -> bb.get(i) & 0xFF;
            };
        }
        return r;
    }
}
