package dev.kengine.bench.accuracy;

import dev.kengine.conformance.Tolerance;

/**
 * The error of one float32 result array against the float64 oracle: the largest absolute error,
 * the largest error in ulps of the float32-rounded reference, and where the worst element is.
 * The ulp of a reference below float32's normal range is taken as 2⁻¹²⁶ (the smallest normal), so
 * that a result flushed to zero or rounded in the subnormal range counts at most about one ulp,
 * as the kit's TINY floor treats it.
 *
 * <p>Non-finite values: NaN agrees with NaN, an infinity only with the same infinity where the
 * reference is one or rounds to one in float32; any other mismatch is an infinite error.
 *
 * @param maxAbs the largest |actual − expected| over the elements (∞ for a mismatch of specials)
 * @param maxUlp the largest |actual − expected| / ulp(float(expected)), ulp floored at 2⁻¹²⁶
 * @param worst the index of the element with the largest ulp error, −1 for an empty array
 * @param outputUlp the ulp of the largest finite |expected|: the "1 ulp of the output's magnitude"
 *     of the absolute-error criterion
 */
public record Measure(double maxAbs, double maxUlp, int worst, double outputUlp) {
    /** The smallest normal float32, the floor of the ulp. */
    public static final double MIN_ULP = 0x1p-126;

    /**
     * Measures {@code actual} against {@code expected}.
     *
     * @param expected the oracle's values
     * @param actual the float32 results, as many
     * @return the errors
     * @throws IllegalArgumentException if the lengths differ
     */
    public static Measure of(double[] expected, float[] actual) {
        if (expected.length != actual.length) {
            throw new IllegalArgumentException("expected " + expected.length + " values, got " + actual.length);
        }
        double maxAbs = 0;
        double maxUlp = 0;
        int worst = expected.length == 0 ? -1 : 0;
        double biggest = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            if (Double.isFinite(e)) {
                biggest = Math.max(biggest, Math.abs(e));
            }
            double abs = absError(e, a);
            double ulp = abs == 0 ? 0 : abs / ulp(e);
            if (abs > maxAbs) {
                maxAbs = abs;
            }
            if (ulp > maxUlp) {
                maxUlp = ulp;
                worst = i;
            }
        }
        return new Measure(maxAbs, maxUlp, worst, ulp(biggest));
    }

    /**
     * |actual − expected|, 0 where both are the same special and ∞ where the specials disagree.
     *
     * @param expected the oracle's value
     * @param actual the float32 result
     * @return the absolute error
     */
    public static double absError(double expected, float actual) {
        if (Double.isNaN(expected) || Float.isNaN(actual)) {
            return Double.isNaN(expected) && Float.isNaN(actual) ? 0 : Double.POSITIVE_INFINITY;
        }
        float rounded = (float) expected;
        if (Double.isInfinite(expected) || Float.isInfinite(actual) || Float.isInfinite(rounded)) {
            return actual == rounded ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs((double) actual - expected);
    }

    /**
     * The ulp of the float32 rounding of {@code v}, floored at 2⁻¹²⁶.
     *
     * @param v a finite value
     * @return the unit in the last place, ≥ 2⁻¹²⁶
     */
    public static double ulp(double v) {
        float f = (float) v;
        if (Float.isInfinite(f) || Float.isNaN(f)) {
            return Math.ulp(Float.MAX_VALUE);
        }
        return Math.max(Math.ulp(f), MIN_ULP);
    }

    /**
     * The largest fraction of the kit's tolerance any element uses: 0 where the result is the
     * correctly rounded float32 of the reference (the kit always accepts it) or the same special,
     * else |actual − expected| / {@link Tolerance#bound}; ∞ where the kit would fail whatever the
     * bound (NaN, an infinity or the sign of a zero where the tolerance checks it).
     *
     * @param tol the kit's tolerance for the op
     * @param expected the oracle's values, as the kit computes them
     * @param actual the backend's results
     * @param ref the per-element error scale the kit passes, null for 0 everywhere
     * @return the largest fraction; above 1 where the kit would report a failure
     */
    public static double toleranceUsed(Tolerance tol, double[] expected, float[] actual, double[] ref) {
        double used = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            double u;
            if (Double.isNaN(e) || Float.isNaN(a)) {
                u = Double.isNaN(e) && Float.isNaN(a) ? 0 : Double.POSITIVE_INFINITY;
            } else {
                float rounded = (float) e;
                if (Double.isInfinite(e) || Float.isInfinite(a)) {
                    u = a == rounded ? 0 : Double.POSITIVE_INFINITY;
                } else if (a == 0 && (e == 0 || rounded == 0)) {
                    u = !tol.signedZero() || Math.copySign(1.0, e) == Math.copySign(1.0, a) ? 0 : Double.POSITIVE_INFINITY;
                } else if (a == rounded) {
                    u = 0;
                } else {
                    double bound = tol.bound(e, ref == null ? 0 : ref[i]);
                    double err = Math.abs((double) a - e);
                    u = bound > 0 ? err / bound : Double.POSITIVE_INFINITY;
                }
            }
            used = Math.max(used, u);
        }
        return used;
    }
}
