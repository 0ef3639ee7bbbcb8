package dev.kengine.examples.mlp;

import java.util.List;

/**
 * The epochs of a training run. {@code divergedAt} is the epoch whose training loss was no longer
 * finite (training stops there), or 0.
 */
public record History(List<EpochStats> epochs, int divergedAt, long steps, double opsPerStep, double seconds) {

    public History {
        epochs = List.copyOf(epochs);
    }

    public EpochStats last() {
        return epochs.getLast();
    }

    public boolean diverged() {
        return divergedAt > 0;
    }

    /** A per-epoch series, for charts. */
    public double[] series(java.util.function.ToDoubleFunction<EpochStats> f) {
        return epochs.stream().mapToDouble(f).toArray();
    }

    public double[] epochNumbers() {
        return series(EpochStats::epoch);
    }

    /** Samples per second over all epochs but the first (which includes warm-up), or over the only one. */
    public double samplesPerSecond() {
        List<EpochStats> steady = epochs.size() > 1 ? epochs.subList(1, epochs.size()) : epochs;
        double s = 0;
        long n = 0;
        for (EpochStats e : steady) {
            s += e.seconds();
            n += e.samples();
        }
        return s > 0 ? n / s : Double.NaN;
    }

    /** Mean wall time of a training step over the same epochs as {@link #samplesPerSecond()}, in seconds. */
    public double secondsPerStep() {
        List<EpochStats> steady = epochs.size() > 1 ? epochs.subList(1, epochs.size()) : epochs;
        double s = 0;
        long n = 0;
        for (EpochStats e : steady) {
            s += e.seconds();
            n += e.steps();
        }
        return n > 0 ? s / n : Double.NaN;
    }
}
