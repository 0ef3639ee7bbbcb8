package dev.kengine.conformance.oracle;

/**
 * The portable ln and cos(2πu) of the normal-initialisation spec, re-derived here from the
 * specification's prose (not copied from engine-api), so that the kit can tell whether the
 * engine's reference agrees with the words of its own spec.
 */
public final class PortableMath {
    private static final double LN2 = 0x1.62e42fefa39efp-1; // nearest double to ln 2
    private static final double SQRT2 = 0x1.6a09e667f3bcdp0; // nearest double to √2
    private static final double TWO_PI = 0x1.921fb54442d18p2; // nearest double to 2π
    private static final double[] INV_ODD = new double[11]; // 1/(2k+1), k = 0..10
    private static final double[] COS_TERMS = new double[11]; // (−1)^k/(2k)!
    private static final double[] SIN_TERMS = new double[11]; // (−1)^k/(2k+1)!

    static {
        for (int k = 0; k <= 10; k++) {
            INV_ODD[k] = 1.0 / (2 * k + 1);
            COS_TERMS[k] = alternating(k) / factorial(2 * k);
            SIN_TERMS[k] = alternating(k) / factorial(2 * k + 1);
        }
    }

    private PortableMath() {}

    private static double alternating(int k) {
        return (k & 1) == 0 ? 1.0 : -1.0;
    }

    /** n! for n ≤ 22, exact in double, so ±1/n! is the correctly rounded reciprocal. */
    private static double factorial(int n) {
        double f = 1.0;
        for (int j = 2; j <= n; j++) {
            f *= j;
        }
        return f;
    }

    /**
     * ln x for a positive normal double, by the spec's atanh series (see CounterRandom's javadoc).
     *
     * @param x a positive normal double
     * @return ln x, as the specification computes it, bit for bit
     */
    public static double ln(double x) {
        long raw = Double.doubleToRawLongBits(x);
        int exponent = (int) ((raw >>> 52) & 0x7FF) - 1023;
        double mantissa = Double.longBitsToDouble((raw & ((1L << 52) - 1)) | (1023L << 52));
        if (mantissa > SQRT2) {
            mantissa = mantissa * 0.5;
            exponent = exponent + 1;
        }
        double s = (mantissa - 1.0) / (mantissa + 1.0);
        double s2 = s * s;
        double t = INV_ODD[10];
        for (int k = 9; k >= 0; k--) {
            t = t * s2 + INV_ODD[k];
        }
        return (double) exponent * LN2 + (2.0 * s) * t;
    }

    /**
     * cos(2πu) for u in [0, 1), by the spec's exact reduction and degree-20 Taylor polynomials.
     *
     * @param u the fraction of a turn, in [0, 1)
     * @return cos(2πu), as the specification computes it, bit for bit
     */
    public static double cos2pi(double u) {
        double v = u > 0.5 ? 1.0 - u : u;
        double sign = 1.0;
        if (v > 0.25) {
            v = 0.5 - v;
            sign = -1.0;
        }
        if (v > 0.125) {
            double theta = TWO_PI * (0.25 - v);
            return sign * (theta * horner(theta * theta, SIN_TERMS));
        }
        double theta = TWO_PI * v;
        return sign * horner(theta * theta, COS_TERMS);
    }

    private static double horner(double x, double[] c) {
        double t = c[10];
        for (int k = 9; k >= 0; k--) {
            t = t * x + c[k];
        }
        return t;
    }
}
