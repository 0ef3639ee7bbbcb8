package dev.kengine.conformance.oracle;

/**
 * erf and erfc in double precision, about 1e-15 relative, for the GELU oracle. Small arguments
 * use the all-positive series erf x = (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)), which has no
 * cancellation; large ones use the Laplace continued fraction for erfc, evaluated backwards, so
 * that tails such as erfc(20) keep full relative precision.
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563; // 1/√π
    /** Above this the continued fraction converges fast and 1 − erf would cancel. */
    static final double SPLIT = 1.5;
    private static final int FRACTION_TERMS = 4000;

    private Erf() {}

    /**
     * The error function erf x = (2/√π)∫₀ˣ e^(−t²) dt, to about 1e-15 relative.
     *
     * @param x any double; NaN gives NaN, ±∞ gives ±1
     * @return erf x, in [−1, 1], odd in x
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r = a < SPLIT ? series(a) : 1.0 - fraction(a);
        return Math.copySign(r, x);
    }

    /**
     * The complementary error function 1 − erf x, with full relative accuracy in the upper tail.
     *
     * @param x any double; NaN gives NaN
     * @return erfc x, in [0, 2]
     */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return 2.0 - erfc(-x);
        }
        return x < SPLIT ? 1.0 - series(x) : fraction(x);
    }

    /** e^(−x²) with the rounding error of x² folded back in, so that large x keep relative accuracy. */
    static double expMinusSquare(double x) {
        double sq = x * x;
        double err = Math.fma(x, x, -sq);
        return Math.exp(-sq) * (1.0 - err);
    }

    /** erf by the positive series, for 0 ≤ x &lt; SPLIT. */
    static double series(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-18) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
    }

    /** erfc by the continued fraction x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …))), for x ≥ SPLIT. */
    static double fraction(double x) {
        return fraction(x, FRACTION_TERMS);
    }

    static double fraction(double x, int terms) {
        if (x == Double.POSITIVE_INFINITY) {
            return 0.0;
        }
        double f = x;
        for (int k = terms; k >= 1; k--) {
            f = x + (k * 0.5) / f;
        }
        return ONE_OVER_SQRT_PI * expMinusSquare(x) / f;
    }
}
