package dev.kengine.conformance;

import java.util.SplittableRandom;

/**
 * The kit's deterministic test data: seeded random values with the special inputs mixed in at
 * positions that differ between sizes, so that heads, bodies and tails of vector loops all meet them.
 */
public final class Inputs {
    /** Every special input of the requirement, in the order they are mixed in. */
    public static final float[] SPECIALS = {
        0f, -0f, 1e-7f, -1e-7f, 30f, -30f, 90f, -90f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN
    };
    /** The ends of the float range, where a product such as βx overflows to ±∞ though x is finite. */
    public static final float[] EXTREMES = {
        Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY
    };
    /** The finite specials, for ops defined only on finite inputs. */
    public static final float[] FINITE_SPECIALS = {0f, -0f, 1e-7f, -1e-7f, 30f, -30f, 90f, -90f};
    /**
     * Past three times 2¹⁶ with an odd tail: where backends split work across threads, blocks or a grid-stride loop
     * (the CPU backend from 2¹⁶ elements), which the small sizes never reach.
     */
    public static final int LARGE = 3 * 65536 + 17;

    /** Tiny, odd, prime, around vector widths and past 1024: for transfers, fills and the memory-safety canaries. */
    public static final int[] SMALL_SIZES = {1, 2, 7, 17, 64, 1021, 1025};

    /** The sizes of the computing ops: {@link #SMALL_SIZES} and {@link #LARGE}. */
    public static final int[] SIZES = {1, 2, 7, 17, 64, 1021, 1025, LARGE};

    /**
     * SIZES and one size past five blocks of 16 × 256 elements with a 13-element tail: the activations' sixteen-lane
     * kernels on CPU OpenCL devices run only over whole blocks of that size, the per-element kernel over the rest.
     */
    public static final int[] ACTIVATION_SIZES = {1, 2, 7, 17, 64, 1021, 1025, 5 * 4096 + 13, LARGE};

    /**
     * SIZES and one size past three blocks of 128 × 256 elements with a tail of 23 (five groups of four and three):
     * dropout's sixteen-lane kernel on CPU OpenCL devices runs only over whole blocks of that size.
     */
    public static final int[] DROPOUT_SIZES = {1, 2, 7, 17, 64, 1021, 1025, 3 * 32768 + 23, LARGE};

    private Inputs() {}

    /**
     * Values drawn from N(0, scale²), reproducible from the seed.
     *
     * @param n the number of values, ≥ 0
     * @param seed the seed of the {@link SplittableRandom} they come from
     * @param scale the standard deviation
     * @return a new array of n values, the same for the same arguments on every JVM
     */
    public static float[] gaussian(int n, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (nextGaussian(r) * scale);
        }
        return a;
    }

    /**
     * Uniform values in [lo, hi), reproducible from the seed.
     *
     * @param n the number of values, ≥ 0
     * @param seed the seed of the {@link SplittableRandom} they come from
     * @param lo the lower bound, inclusive
     * @param hi the upper bound, exclusive (up to rounding to float)
     * @return a new array of n values
     */
    public static float[] uniform(int n, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    /**
     * Values of magnitude in [lo, hi] with random sign: away from kinks at 0.
     *
     * @param n the number of values, ≥ 0
     * @param seed the seed of the {@link SplittableRandom} they come from
     * @param lo the smallest magnitude, ≥ 0
     * @param hi the largest magnitude
     * @return a new array of n values
     */
    public static float[] awayFromZero(int n, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * r.nextDouble();
            a[i] = (float) (r.nextBoolean() ? v : -v);
        }
        return a;
    }

    /**
     * Gaussian data with the given specials placed at about every fifth position, starting at a
     * size-dependent point; arrays of one or two elements hold specials chosen by the seed.
     *
     * @param n the number of values, ≥ 0
     * @param seed the seed of the Gaussian values and of where the specials go
     * @param scale the standard deviation of the Gaussian values
     * @param specials the values mixed in, cycled in order (such as {@link #SPECIALS}); empty for none
     * @return a new array of n values
     */
    public static float[] withSpecials(int n, long seed, double scale, float[] specials) {
        float[] a = gaussian(n, seed, scale);
        if (specials.length == 0) {
            return a;
        }
        int start = (int) Math.floorMod(seed, specials.length);
        int stride = n < 10 ? 1 : 5;
        int k = start;
        for (int i = n < 10 ? n / 2 : (int) Math.floorMod(seed * 7, 5); i < n; i += stride) {
            a[i] = specials[k % specials.length];
            k++;
            if (n < 10 && k - start >= 2) {
                break;
            }
        }
        return a;
    }

    private static double nextGaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }

    /**
     * Integer labels in [0, classes), reproducible from the seed.
     *
     * @param rows the number of labels, ≥ 0
     * @param classes the number of classes, ≥ 1
     * @param seed the seed of the {@link SplittableRandom} they come from
     * @return a new array of {@code rows} labels
     */
    public static int[] labels(int rows, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] l = new int[rows];
        for (int i = 0; i < rows; i++) {
            l[i] = r.nextInt(classes);
        }
        return l;
    }

    /**
     * Rows of probabilities (each row sums to 1, up to rounding), reproducible from the seed.
     *
     * @param rows the number of rows, ≥ 0
     * @param cols the row length, ≥ 1
     * @param seed the seed of the {@link SplittableRandom} they come from
     * @return a new row-major array {@code [rows, cols]}
     */
    public static float[] probabilities(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] t = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            double[] w = new double[cols];
            for (int c = 0; c < cols; c++) {
                w[c] = r.nextDouble();
                s += w[c];
            }
            for (int c = 0; c < cols; c++) {
                t[i * cols + c] = (float) (w[c] / s);
            }
        }
        return t;
    }

    /**
     * Widen to double.
     *
     * @param f the values, not null
     * @return a new array holding the same values exactly
     */
    public static double[] widen(float[] f) {
        return Agreement.toDouble(f);
    }

    /**
     * Narrow to float.
     *
     * @param d the values, not null
     * @return a new array, each element rounded to nearest
     */
    public static float[] narrow(double[] d) {
        return Agreement.toFloat(d);
    }
}
