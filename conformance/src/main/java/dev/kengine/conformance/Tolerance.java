package dev.kengine.conformance;

/**
 * How far a backend's float32 result may lie from the float64 oracle, for one op and one direction.
 * An element passes when |actual − expected| ≤ abs + rel·|expected| + refRel·ref, where ref is a
 * per-element error scale the test supplies and {@link #reason} names (for example Σ|a||b| times
 * the accumulation length for a dot product, or |x| where the contract's formula cancels).
 * NaN must match NaN and ±∞ must match exactly; the sign of a zero is checked only when
 * {@link #signedZero} is set, that is where the op defines it.
 *
 * @param op the op, as the table prints it
 * @param phase forward or backward
 * @param rel relative term, in units of the expected value
 * @param refRel factor on the test's per-element error scale
 * @param abs absolute floor
 * @param signedZero whether −0 and +0 must be told apart
 * @param reason one line: why this bound is right
 */
public record Tolerance(String op, Phase phase, double rel, double refRel, double abs, boolean signedZero, String reason) {

    /** Forward result, or a backward (gradient) result. */
    public enum Phase {
        /** The op's result. */
        FORWARD,
        /** A gradient the op's backward computes. */
        BACKWARD
    }

    /** The unit roundoff of float32, 2⁻²⁴: half an ulp at 1. */
    public static final double U32 = 0x1p-24;
    /** The unit roundoff of float16 (11 significant bits), 2⁻¹¹. */
    public static final double U_FLOAT16 = 0x1p-11;
    /** The unit roundoff of bfloat16 (8 significant bits), 2⁻⁸. */
    public static final double U_BFLOAT16 = 0x1p-8;

    /**
     * The unit roundoff of a floating-point dtype: the largest relative error of one rounding to nearest
     * in its normal range.
     *
     * @param dtype {@link dev.kengine.DType#FLOAT32}, {@link dev.kengine.DType#FLOAT16} or
     *     {@link dev.kengine.DType#BFLOAT16}
     * @return 2⁻²⁴, 2⁻¹¹ or 2⁻⁸
     * @throws IllegalArgumentException for an integer dtype or null
     */
    public static double unitRoundoff(dev.kengine.DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is null");
        }
        return switch (dtype) {
            case FLOAT32 -> U32;
            case FLOAT16 -> U_FLOAT16;
            case BFLOAT16 -> U_BFLOAT16;
            default -> throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
        };
    }

    /**
     * Checks that the tolerance gives its reason.
     *
     * @throws IllegalArgumentException if {@code reason} is null or blank
     */
    public Tolerance {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("tolerance for " + op + " " + phase + " needs a reason");
        }
    }

    /**
     * The largest error allowed for an element: abs + rel·|expected| + refRel·ref.
     *
     * @param expected the oracle's value
     * @param ref the element's error scale, as the reason describes it; a non-finite one counts as 0
     * @return the bound on |actual − expected|, in the units of the value
     */
    public double bound(double expected, double ref) {
        double r = Double.isFinite(ref) ? ref : 0;
        return abs + rel * Math.abs(expected) + refRel * r;
    }

    /**
     * Bit-exact results (NaN payloads aside).
     *
     * @return true when rel, refRel and abs are all 0, so only the correctly rounded value passes
     */
    public boolean exact() {
        return rel == 0 && refRel == 0 && abs == 0;
    }

    /**
     * One row of the table {@link Tolerances#describe()} prints: op, phase, the three terms, ±0 when
     * the sign of zero is checked, and the reason.
     *
     * @return the row, without a line break
     */
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%-22s %-8s rel %-9.3g refRel %-9.3g abs %-9.3g%s  %s",
                op, phase == Phase.FORWARD ? "fwd" : "bwd", rel, refRel, abs, signedZero ? " ±0" : "", reason);
    }
}
