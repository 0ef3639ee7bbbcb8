package dev.kengine.examples.data;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The four two-dimensional data sets of the TensorFlow playground, two classes each, with points
 * roughly in [−1, 1]². {@code noise} is the standard deviation of Gaussian noise added to each
 * coordinate, relative to that unit scale (0.1 is moderate). Points alternate between the classes
 * so the classes are balanced; the same seed gives the same points.
 */
public enum Playground {
    /** Class 1 inside a disc, class 0 in a ring around it. */
    CIRCLE,
    /** The quadrants: class 1 where x·y &gt; 0. */
    XOR,
    /** Two Gaussian blobs, centred at (−0.4, −0.4) and (0.4, 0.4). */
    GAUSSIANS,
    /** Two interleaved spirals of about one and a half turns. */
    SPIRALS;

    public static final String ACCEPTED = "circle, xor, gaussians, spirals";

    public static Playground parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "circle" -> CIRCLE;
            case "xor" -> XOR;
            case "gaussians", "gauss", "gaussian" -> GAUSSIANS;
            case "spirals", "spiral" -> SPIRALS;
            default -> throw new DataException("unknown data set '" + text + "'; accepted: " + ACCEPTED);
        };
    }

    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The most points a generated set holds (its two coordinates then fill 800 MB of float arrays). */
    public static final int MAX_SAMPLES = 100_000_000;

    /** {@code samples} points with labels, from a generator seeded with {@code seed}. */
    public Dataset generate(int samples, double noise, long seed) {
        if (samples < 4 || samples > MAX_SAMPLES) {
            throw new DataException("--samples must be from 4 to " + MAX_SAMPLES + ", got " + samples);
        }
        if (!(noise >= 0 && noise <= 2)) {
            throw new DataException("--noise must be in [0, 2], got " + noise);
        }
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[samples * 2];
        int[] y = new int[samples];
        for (int i = 0; i < samples; i++) {
            int label = i % 2;
            double[] p = point(label, i / 2, (samples + 1) / 2, random);
            x[2 * i] = (float) (p[0] + noise * random.nextGaussian());
            x[2 * i + 1] = (float) (p[1] + noise * random.nextGaussian());
            y[i] = label;
        }
        return new Dataset(displayName(), x, samples, 2, y, 2);
    }

    private double[] point(int label, int k, int perClass, SplittableRandom random) {
        return switch (this) {
            case CIRCLE -> {
                // Class 1 in the disc r < 0.5, class 0 in the ring 0.7 < r < 1, as in the playground.
                double r = label == 1 ? 0.5 * Math.sqrt(random.nextDouble()) : 0.7 + 0.3 * random.nextDouble();
                double angle = 2 * Math.PI * random.nextDouble();
                yield new double[] {r * Math.cos(angle), r * Math.sin(angle)};
            }
            case XOR -> {
                // Keep a small margin around the axes so the quadrant of a noiseless point is clear.
                double a = 0.05 + 0.95 * random.nextDouble();
                double b = 0.05 + 0.95 * random.nextDouble();
                boolean flip = random.nextBoolean();
                double sx = flip ? 1 : -1;
                double sy = label == 1 ? sx : -sx;
                yield new double[] {sx * a, sy * b};
            }
            case GAUSSIANS -> {
                double c = label == 1 ? 0.4 : -0.4;
                yield new double[] {c + 0.2 * random.nextGaussian(), c + 0.2 * random.nextGaussian()};
            }
            case SPIRALS -> {
                double t = (double) k / perClass;
                double r = 0.05 + 0.95 * t;
                double angle = 1.75 * 2 * Math.PI * t + (label == 1 ? Math.PI : 0);
                yield new double[] {r * Math.sin(angle), r * Math.cos(angle)};
            }
        };
    }
}
