package dev.kengine.bench.report;

/**
 * One measured (implementation, op, size). {@code threads} is 0 for an implementation that has no
 * thread count of its own (a device). Fractions and ratios are NaN when they do not apply;
 * {@code error} is non-null when the row could not be measured (the reason).
 */
public record Row(String impl, String kind, String backendOrAnchor, int threads, String op, String family, long size,
                  String shape, String bound, Timing timing, double flops, double bytes, double throughput, String unit,
                  double fractionOfCeiling, double speedupVsCpu, double maxRelError, String checkedAgainst,
                  boolean checkPassed, String error) {

    public boolean ok() {
        return error == null;
    }

    public Row withSpeedup(double s) {
        return new Row(impl, kind, backendOrAnchor, threads, op, family, size, shape, bound, timing, flops, bytes,
                throughput, unit, fractionOfCeiling, s, maxRelError, checkedAgainst, checkPassed, error);
    }

    public double gflops() {
        return timing == null ? Double.NaN : flops / timing.median() / 1e9;
    }

    public double gbs() {
        return timing == null ? Double.NaN : bytes / timing.median() / 1e9;
    }
}
