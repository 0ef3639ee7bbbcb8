package dev.kengine.bench;

import dev.kengine.Backend;
import dev.kengine.op.Op;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * What one benchmarked op is, in one place, in the spirit of CLBlast's test descriptors: its name
 * and family, the sizes to run in quick and full mode, how many flops it does and how many bytes it
 * must move at a size, what bounds it (the FMA units or memory), how to set it up and run it on any
 * {@link Backend}, and how to check its result. The JMH benchmarks and {@code ./engine compare}
 * both run ops through these descriptors, so a figure from one can be reproduced with the other.
 *
 * <p>The meaning of {@code size} belongs to the descriptor: the edge n of a square matmul, the
 * number of elements of an elementwise op; {@link #shape(long)} spells it out.
 */
public final class OpDescriptor {

    /** What limits the op on a CPU, and so which measured ceiling its throughput is compared to. */
    public enum Bound {
        /** Limited by FMA throughput: compared with the FMA-loop peak, reported in GFLOP/s. */
        COMPUTE,
        /** Limited by memory bandwidth: compared with the copy-loop bandwidth, reported in GB/s. */
        MEMORY
    }

    /** Sets the op up on a backend at a size: uploads deterministic inputs, allocates outputs. */
    @FunctionalInterface
    public interface Preparer {
        Instance prepare(Backend backend, long size, long seed);
    }

    /**
     * One prepared op on one backend. {@link #run()} enqueues one execution (it may return before
     * a device has finished: callers time {@code run(); backend.synchronize()}); {@link #result()}
     * waits and downloads the output(s) of the last run, concatenated, for the check.
     */
    public interface Instance extends AutoCloseable {
        void run();

        float[] result();

        /**
         * A float64 evaluation of the op at some flat indices of {@link #result()}, used to check the
         * reference backend itself; null when this descriptor has no oracle.
         */
        default double[] oracle(int[] indices) {
            return null;
        }

        @Override
        void close();
    }

    /** The matrix shape of a GEMM-like op, for anchors (OpenBLAS, CLBlast) that run plain SGEMM. */
    public record GemmShape(int m, int n, int k) {
        public double flops() {
            return 2.0 * m * n * k;
        }
    }

    private final String name;
    private final String family;
    private final String description;
    private final Op op;
    private final Bound bound;
    private final long[] quickSizes;
    private final long[] fullSizes;
    private final Formula flops;
    private final Formula bytes;
    private final ShapeText shape;
    private final Preparer preparer;
    private final GemmOf gemm;
    private final double tolerance;

    @FunctionalInterface
    public interface Formula {
        double at(long size);
    }

    @FunctionalInterface
    public interface ShapeText {
        String of(long size);
    }

    @FunctionalInterface
    public interface GemmOf {
        GemmShape of(long size);
    }

    OpDescriptor(String name, String family, String description, Op op, Bound bound, long[] quickSizes,
                 long[] fullSizes, Formula flops, Formula bytes, ShapeText shape, Preparer preparer, GemmOf gemm,
                 double tolerance) {
        this.name = Objects.requireNonNull(name);
        this.family = Objects.requireNonNull(family);
        this.description = description;
        this.op = op;
        this.bound = bound;
        this.quickSizes = quickSizes.clone();
        this.fullSizes = fullSizes.clone();
        this.flops = flops;
        this.bytes = bytes;
        this.shape = shape;
        this.preparer = preparer;
        this.gemm = gemm;
        this.tolerance = tolerance;
    }

    public String name() {
        return name;
    }

    /** The op family: matmul, linear, activation, loss, dropout, optimiser. */
    public String family() {
        return family;
    }

    public String description() {
        return description;
    }

    /** The engine op a backend must support to run this descriptor. */
    public Op op() {
        return op;
    }

    public Bound bound() {
        return bound;
    }

    public long[] sizes(boolean quick) {
        return (quick ? quickSizes : fullSizes).clone();
    }

    /** Floating-point operations of one run (an FMA counts 2; a transcendental counts 1). */
    public double flops(long size) {
        return flops.at(size);
    }

    /** Bytes one run must read and write at least (each input read once, each output written once). */
    public double bytes(long size) {
        return bytes.at(size);
    }

    /** The size spelt out: {@code 1024x1024x1024}, {@code 16M}. */
    public String shape(long size) {
        return shape.of(size);
    }

    /** The GEMM this op is at a size, or null when it is no plain GEMM (anchors then do not run it). */
    public GemmShape gemm(long size) {
        return gemm == null ? null : gemm.of(size);
    }

    /** The largest max relative error against the reference that still counts as agreeing. */
    public double tolerance() {
        return tolerance;
    }

    public Instance prepare(Backend backend, long size, long seed) {
        return preparer.prepare(backend, size, seed);
    }

    /** Throughput in the op's own unit (GFLOP/s for compute-bound ops, GB/s for memory-bound ones). */
    public double throughput(long size, double seconds) {
        return (bound == Bound.COMPUTE ? flops(size) : bytes(size)) / seconds / 1e9;
    }

    public String throughputUnit() {
        return bound == Bound.COMPUTE ? "GFLOP/s" : "GB/s";
    }

    @Override
    public String toString() {
        return name;
    }

    // ----------------------------------------------------------------------------------------
    // Checks
    // ----------------------------------------------------------------------------------------

    /**
     * The largest elementwise relative error of {@code got} against {@code ref}:
     * max |got − ref| / max(|ref|, 2⁻¹⁰·max|ref|). The floor keeps elements that are near zero by
     * cancellation (common in a matmul of random signs) from dominating. A NaN where the reference
     * has none, or a length mismatch, gives +∞; NaN in both places agrees.
     */
    public static double maxRelativeError(float[] got, float[] ref) {
        if (got.length != ref.length) {
            return Double.POSITIVE_INFINITY;
        }
        double scale = 0;
        for (float r : ref) {
            if (Float.isFinite(r)) {
                scale = Math.max(scale, Math.abs(r));
            }
        }
        double floor = Math.max(scale * 0x1p-10, Double.MIN_NORMAL);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, relative(got[i], ref[i], floor));
        }
        return worst;
    }

    /** As {@link #maxRelativeError(float[], float[])} at the given indices of {@code got}, against float64 values. */
    public static double maxRelativeError(float[] got, int[] indices, double[] ref) {
        double scale = 0;
        for (double r : ref) {
            if (Double.isFinite(r)) {
                scale = Math.max(scale, Math.abs(r));
            }
        }
        double floor = Math.max(scale * 0x1p-10, Double.MIN_NORMAL);
        double worst = 0;
        for (int i = 0; i < indices.length; i++) {
            worst = Math.max(worst, relative(got[indices[i]], ref[i], floor));
        }
        return worst;
    }

    private static double relative(double g, double r, double floor) {
        if (Double.isNaN(g) || Double.isNaN(r)) {
            return Double.isNaN(g) && Double.isNaN(r) ? 0 : Double.POSITIVE_INFINITY;
        }
        if (g == r) {
            return 0; // equal infinities too
        }
        if (Double.isInfinite(g) || Double.isInfinite(r)) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.abs(g - r) / Math.max(Math.abs(r), floor);
    }

    /** Evenly spread sample indices into a result of {@code length} elements, first and last included. */
    public static int[] sampleIndices(int length, int count) {
        if (length <= count) {
            int[] all = new int[length];
            Arrays.setAll(all, i -> i);
            return all;
        }
        int[] idx = new int[count];
        SplittableRandom r = new SplittableRandom(length);
        for (int i = 0; i < count; i++) {
            idx[i] = i == 0 ? 0 : i == count - 1 ? length - 1 : r.nextInt(length);
        }
        Arrays.sort(idx);
        return idx;
    }

    /** A size in readable form: 1024 → 1K elements when a power of 1024, else the number. */
    public static String elements(long n) {
        if (n >= 1 << 20 && n % (1 << 20) == 0) {
            return (n >> 20) + "M";
        }
        if (n >= 1 << 10 && n % (1 << 10) == 0) {
            return (n >> 10) + "K";
        }
        return Long.toString(n);
    }

    /** Looks descriptors up by exact name, family, or a name prefix ({@code act_}); comma-separated. */
    public static List<OpDescriptor> select(List<OpDescriptor> all, String filter) {
        if (filter == null || filter.isBlank()) {
            return all;
        }
        List<String> wanted = Arrays.stream(filter.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty()).toList();
        return all.stream().filter(d -> wanted.stream().anyMatch(w -> d.name().equals(w) || d.family().equals(w)
                || d.name().startsWith(w))).toList();
    }
}
