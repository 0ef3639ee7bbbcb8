package dev.kengine.bench.anchor;

import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.report.Timing;

/**
 * A library a user would otherwise pick for the same work, measured in the same run so that the
 * comparison is honest. Anchors run plain row-major SGEMM only, live in bench only, and are never
 * required: one that is not present says why.
 */
public interface Anchor extends AutoCloseable {

    /** The anchor's short name in the report: openblas, netlib-java, clblast. */
    String name();

    /** Null when the anchor can run here, else why not ("libopenblas0 is not installed"). */
    String unavailableReason();

    /** What was actually loaded (library, version, device), for the report's header. */
    String implementation();

    /** True when the anchor runs at each of the report's thread counts; false: once, on its own device. */
    boolean threaded();

    /** The result of one measured SGEMM: the timing and C = A·B of the last call. */
    record Result(Timing timing, float[] c) {}

    /** Measures row-major C = A·B for A [m, k], B [k, n]. */
    Result sgemm(GemmShape shape, float[] a, float[] b, int threads, Timing.Plan plan);

    /**
     * One row-major C = A·B on {@code threads} threads, to be timed in alternation with the CPU backend (a
     * {@link #threaded()} anchor: one that runs on the CPU); closing it restores what it set (OpenBLAS's thread
     * count). Anchors on a device of their own do not offer it.
     */
    default Call call(GemmShape shape, float[] a, float[] b, float[] c, int threads) {
        throw new UnsupportedOperationException(name() + " runs on its own device: it is not timed in alternation");
    }

    /** A prepared call of {@link #call}. */
    interface Call extends AutoCloseable {
        void run();

        @Override
        void close();
    }

    @Override
    default void close() {}
}
