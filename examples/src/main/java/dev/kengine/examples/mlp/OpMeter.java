package dev.kengine.examples.mlp;

import dev.kengine.Backend;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts the engine calls a training step makes and, when timing, measures each one. Timing puts
 * a {@link Backend#synchronize()} after every call so that the time between two marks is that
 * op's full cost on the host: the facade's checks, the backend's dispatch, the kernel and the
 * wait for it. It is meant for a few profiling steps; the synchronisation serialises an
 * asynchronous backend, so timed steps are slower than normal ones.
 */
public final class OpMeter {
    /** Calls and total nanoseconds of one kind of op. */
    public record Tally(long calls, long nanos) {}

    private final Backend backend;
    private final boolean timed;
    private final Map<String, long[]> tallies = new LinkedHashMap<>();
    private long calls;
    private long steps;
    private long last;

    private OpMeter(Backend backend, boolean timed) {
        this.backend = backend;
        this.timed = timed;
    }

    /** Counts calls only; costs nothing measurable. */
    public static OpMeter counting(Backend backend) {
        return new OpMeter(backend, false);
    }

    /** Counts and times every call, synchronising after each. */
    public static OpMeter timing(Backend backend) {
        return new OpMeter(backend, true);
    }

    /** Marks the start of a step: the next op's time is measured from here. */
    public void startStep() {
        steps++;
        if (timed) {
            backend.synchronize();
            last = System.nanoTime();
        }
    }

    /** Records that {@code count} ops of this kind just ran (count &gt; 1 for calls that run several). */
    public void op(String kind, int count) {
        calls += count;
        long[] t = tallies.computeIfAbsent(kind, k -> new long[2]);
        t[0] += count;
        if (timed) {
            backend.synchronize();
            long now = System.nanoTime();
            t[1] += now - last;
            last = now;
        }
    }

    public void op(String kind) {
        op(kind, 1);
    }

    /** Steps started so far. */
    public long steps() {
        return steps;
    }

    /** Engine calls counted so far. */
    public long calls() {
        return calls;
    }

    public Map<String, Tally> tallies() {
        Map<String, Tally> m = new LinkedHashMap<>();
        tallies.forEach((k, v) -> m.put(k, new Tally(v[0], v[1])));
        return m;
    }

    /**
     * The engine's fixed cost of one op, in microseconds: the best mean, over batches of 200, of
     * an in-place scale of a one-element tensor followed by a synchronize. With almost no
     * arithmetic, what remains is the facade's checks, the backend's dispatch (a kernel launch on a
     * device) and the round trip of the synchronisation.
     */
    public static double floorMicros(Backend backend) {
        try (dev.kengine.Tensor t = backend.scalar(1f)) {
            double best = Double.POSITIVE_INFINITY;
            for (int batch = 0; batch < 12; batch++) {
                long start = System.nanoTime();
                for (int i = 0; i < 200; i++) {
                    backend.scale(t, 1f, t);
                    backend.synchronize();
                }
                double mean = (System.nanoTime() - start) / 200.0 / 1e3;
                if (batch >= 2) {
                    best = Math.min(best, mean);
                }
            }
            return best;
        }
    }

    public void reset() {
        tallies.clear();
        calls = 0;
        steps = 0;
    }
}
