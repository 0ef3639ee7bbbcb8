package dev.kengine.conformance.oracle;

/**
 * Dropout masks and initial values exactly as the engine's random-number specification words
 * them (key = seed halves, counter = (block index halves, offset halves)), computed with the
 * oracle's own Philox and portable math.
 */
public final class RandomOracle {
    private static final long LOW = 0xFFFFFFFFL;

    private RandomOracle() {}

    /**
     * The 32 uniform bits (as an unsigned value) of element {@code index}.
     *
     * @param seed the key; its low and high halves are key words 0 and 1
     * @param offset the stream; its halves are counter words 2 and 3
     * @param index the element's row-major index, ≥ 0; index / 4 gives counter words 0 and 1
     * @return word {@code index mod 4} of the block, in [0, 2³²)
     */
    public static long uniformBits(long seed, long offset, long index) {
        long block = index >>> 2;
        long[] w = Philox4x32.block(block & LOW, block >>> 32, offset & LOW, offset >>> 32, seed & LOW, seed >>> 32);
        return w[(int) (index & 3)];
    }

    /**
     * u = (w >>> 8)·2⁻²⁴ in [0, 1), exact in float.
     *
     * @param bits 32 uniform bits, in [0, 2³²)
     * @return a multiple of 2⁻²⁴ in [0, 1)
     */
    public static float unit(long bits) {
        return (float) ((bits >>> 8) * 0x1p-24);
    }

    /**
     * The dropout scale (float)(1/(1 − p)), rounded once from double.
     *
     * @param p the drop probability, in [0, 1)
     * @return the scale of kept elements; exactly 1 for p = 0
     */
    public static float dropoutScale(float p) {
        return (float) (1.0 / (1.0 - (double) p));
    }

    /**
     * Whether element {@code index} survives dropout with probability p: u ≥ p in float32.
     *
     * @param seed the key
     * @param offset the stream
     * @param index the element's row-major index, ≥ 0
     * @param p the drop probability, in [0, 1)
     * @return true when the element is kept
     */
    public static boolean kept(long seed, long offset, long index, float p) {
        return unit(uniformBits(seed, offset, index)) >= p;
    }

    /**
     * The dropout mask (true = kept) of n elements.
     *
     * @param seed the key
     * @param offset the stream
     * @param n the element count, ≥ 0
     * @param p the drop probability, in [0, 1)
     * @return a new array of n flags, element i for index i
     */
    public static boolean[] dropoutMask(long seed, long offset, int n, float p) {
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            m[i] = kept(seed, offset, i, p);
        }
        return m;
    }

    /**
     * The dropout output: x·scale where kept, x·0.0f where dropped (so NaN and ∞ give NaN there).
     *
     * @param x the input
     * @param mask the kept flags, at least as many as {@code x}
     * @param p the drop probability the mask was drawn with, in [0, 1)
     * @return a new array of x's length, each element one float32 multiply
     */
    public static float[] dropout(float[] x, boolean[] mask, float p) {
        float s = dropoutScale(p);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = mask[i] ? x[i] * s : x[i] * 0.0f;
        }
        return y;
    }

    /**
     * U(lo, hi) value of element {@code index}: (float) (lo + (hi − lo)·u), in double.
     *
     * @param seed the key
     * @param offset the stream
     * @param index the element's row-major index, ≥ 0
     * @param lo the lower bound, inclusive
     * @param hi the upper bound
     * @return the value, rounded once to float
     */
    public static float uniform(long seed, long offset, long index, double lo, double hi) {
        double u = unit(uniformBits(seed, offset, index));
        double width = hi - lo;
        double scaled = width * u;
        return (float) (lo + scaled);
    }

    /**
     * N(mean, std) value of element {@code index} (Box–Muller, cosine branch).
     *
     * @param seed the key
     * @param offset the stream
     * @param index the element's row-major index, ≥ 0; here the counter itself, not index / 4
     * @param mean the mean
     * @param std the standard deviation
     * @return the value, rounded once to float
     */
    public static float normal(long seed, long offset, long index, double mean, double std) {
        long[] w = Philox4x32.block(index & LOW, index >>> 32, offset & LOW, offset >>> 32, seed & LOW, seed >>> 32);
        double u1 = ((double) w[0] + 1.0) * 0x1p-32;
        double u2 = (double) w[1] * 0x1p-32;
        double radius = Math.sqrt(-2.0 * PortableMath.ln(u1));
        double z = radius * PortableMath.cos2pi(u2);
        double spread = std * z;
        return (float) (mean + spread);
    }

    /**
     * A resolved initial distribution: uniform over [p0, p1) or normal with mean p0 and std p1.
     *
     * @param normal true for a normal distribution, false for a uniform one
     * @param p0 the lower bound (uniform) or the mean (normal)
     * @param p1 the upper bound (uniform) or the standard deviation (normal)
     */
    public record Dist(boolean normal, double p0, double p1) {}

    /**
     * Fan-in and fan-out as the Init spec defines them for a shape of rank 0..4.
     *
     * @param dims the shape's dimensions, 0 to 4 of them
     * @return a new array {fanIn, fanOut}
     */
    public static long[] fans(long[] dims) {
        long size = 1;
        for (long d : dims) {
            size *= d;
        }
        if (dims.length <= 1) {
            return new long[] {size, size};
        }
        if (dims.length == 2) {
            return new long[] {dims[0], dims[1]};
        }
        long field = 1;
        for (int i = 2; i < dims.length; i++) {
            field *= dims[i];
        }
        return new long[] {dims[1] * field, dims[0] * field};
    }

    /**
     * The distribution an Init kind (by name: UNIFORM, NORMAL, XAVIER_UNIFORM, ...) resolves to.
     *
     * @param kind the {@link dev.kengine.op.Init.Kind} constant's name
     * @param a the lower bound or mean, for UNIFORM and NORMAL; ignored otherwise
     * @param b the upper bound or standard deviation, for UNIFORM and NORMAL; ignored otherwise
     * @param dims the tensor's dimensions, for the fans
     * @return the distribution, its parameters in double
     * @throws IllegalArgumentException if {@code kind} names no kind
     */
    public static Dist resolve(String kind, double a, double b, long[] dims) {
        long[] f = fans(dims);
        double fanIn = f[0];
        double both = (double) f[0] + (double) f[1];
        return switch (kind) {
            case "UNIFORM" -> new Dist(false, a, b);
            case "NORMAL" -> new Dist(true, a, b);
            case "XAVIER_UNIFORM" -> new Dist(false, -Math.sqrt(6.0 / both), Math.sqrt(6.0 / both));
            case "XAVIER_NORMAL" -> new Dist(true, 0.0, Math.sqrt(2.0 / both));
            case "HE_UNIFORM" -> new Dist(false, -Math.sqrt(6.0 / fanIn), Math.sqrt(6.0 / fanIn));
            case "HE_NORMAL" -> new Dist(true, 0.0, Math.sqrt(2.0 / fanIn));
            default -> throw new IllegalArgumentException("unknown init kind " + kind);
        };
    }

    /**
     * n initial values from a resolved distribution.
     *
     * @param d the distribution
     * @param n the element count, ≥ 0
     * @param seed the key
     * @param offset the stream
     * @return a new array of n values, element i for index i
     */
    public static float[] init(Dist d, int n, long seed, long offset) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = d.normal() ? normal(seed, offset, i, d.p0(), d.p1()) : uniform(seed, offset, i, d.p0(), d.p1());
        }
        return out;
    }
}
