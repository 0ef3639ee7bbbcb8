package dev.kengine.bench.report;

/**
 * One measured (implementation, op, size). {@code threads} is 0 for an implementation that has no
 * thread count of its own (a device). Fractions and ratios are NaN when they do not apply;
 * {@code error} is non-null when the row could not be measured (the reason). For the CPU backend's
 * memory-bound rows at the most threads, {@code interleavedCopyGBs} and {@code interleavedOpGBs} are the
 * medians of the copy loop and of the op measured in alternation, and {@code interleavedFraction} the median
 * of each pair's ratio of the two (see {@link Ceilings#interleaved}); NaN elsewhere. For an anchor's matmul row, {@code alternation} is the
 * anchor and the CPU backend at the same thread count timed in alternation; for the CPU backend's row of a
 * half-precision op, that op and its float32 op at the same size and threads (the float32 op in the other's place);
 * null elsewhere.
 */
public record Row(String impl, String kind, String backendOrAnchor, int threads, String op, String family, long size,
                  String shape, String bound, Timing timing, double flops, double bytes, double throughput, String unit,
                  double fractionOfCeiling, double speedupVsCpu, double maxRelError, String checkedAgainst,
                  boolean checkPassed, String error, double interleavedCopyGBs, double interleavedOpGBs,
                  double interleavedFraction, Alternation alternation) {

    public boolean ok() {
        return error == null;
    }

    public Row withSpeedup(double s) {
        return new Row(impl, kind, backendOrAnchor, threads, op, family, size, shape, bound, timing, flops, bytes,
                throughput, unit, fractionOfCeiling, s, maxRelError, checkedAgainst, checkPassed, error, interleavedCopyGBs,
                interleavedOpGBs, interleavedFraction, alternation);
    }

    /**
     * The row with the op and the copy loop measured in alternation: its fraction of the ceiling becomes the median of
     * the pairs' ratios, the figure the targets state for the same row.
     */
    public Row withInterleaved(double copyGBs, double opGBs, double fraction) {
        return new Row(impl, kind, backendOrAnchor, threads, op, family, size, shape, bound, timing, flops, bytes,
                throughput, unit, fraction, speedupVsCpu, maxRelError, checkedAgainst, checkPassed, error, copyGBs,
                opGBs, fraction, alternation);
    }

    public Row withAlternation(Alternation a) {
        return new Row(impl, kind, backendOrAnchor, threads, op, family, size, shape, bound, timing, flops, bytes,
                throughput, unit, fractionOfCeiling, speedupVsCpu, maxRelError, checkedAgainst, checkPassed, error,
                interleavedCopyGBs, interleavedOpGBs, interleavedFraction, a);
    }

    public double gflops() {
        return timing == null ? Double.NaN : flops / timing.median() / 1e9;
    }

    public double gbs() {
        return timing == null ? Double.NaN : bytes / timing.median() / 1e9;
    }
}
