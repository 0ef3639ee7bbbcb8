package dev.kengine.op;

import dev.kengine.InvalidArgumentException;
import dev.kengine.Shape;
import java.util.Locale;

/**
 * A weight initialisation. Every kind resolves, from the tensor's shape, to a uniform U(lo, hi) or
 * a normal N(mean, std), computed here in double precision so every backend uses the same
 * parameters; the values then come from the counter-based generator specified in
 * {@link dev.kengine.random.CounterRandom}, so one seed gives bit-identical weights everywhere.
 *
 * <p>Fans: rank 0 and 1 have fan-in = fan-out = size; rank 2 is a weight {@code [in, out]} as used
 * by {@code linear} (y = x·W), fan-in = dim 0, fan-out = dim 1; rank 3 and 4 follow the
 * convolution layout {@code [out, in, k...]}: fan-in = in·receptive, fan-out = out·receptive,
 * receptive = the product of the dimensions after the second.
 *
 * <ul>
 * <li>Xavier/Glorot uniform: ±√(6 / (fanIn + fanOut)); normal: std √(2 / (fanIn + fanOut)).
 * <li>He uniform: ±√(6 / fanIn); normal: std √(2 / fanIn).
 * </ul>
 *
 * <p>Immutable.
 *
 * <p>Each value is rounded once to float32 from a double in [lo, hi) (uniform), so where floats near hi are
 * coarser than the range (U(10⁶, 10⁶ + 1): floats 1/16 apart) a value can round to hi itself, as in every library
 * that rounds a double draw to float; bounds that are not floats round to the nearest float likewise.
 *
 * @param kind the initialisation, not null
 * @param a the lower bound for UNIFORM, the mean for NORMAL; 0 for the fan-based kinds; finite, at most
 *     {@code Float.MAX_VALUE} in magnitude
 * @param b the upper bound (≥ a) for UNIFORM, the standard deviation (≥ 0) for NORMAL; 0 for the
 *     fan-based kinds; finite, at most {@code Float.MAX_VALUE} in magnitude; for NORMAL, |a| + 7b at most
 *     {@code Float.MAX_VALUE} (the generator's draws stay within 6.7 standard deviations), so that no value
 *     overflows float32
 */
public record Init(Kind kind, double a, double b) {

    /** The initialisations. */
    public enum Kind {
        /** U(a, b), as given. */
        UNIFORM,
        /** N(a, b²): mean a, standard deviation b, as given. */
        NORMAL,
        /** Xavier/Glorot uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)). */
        XAVIER_UNIFORM,
        /** Xavier/Glorot normal: N(0, 2 / (fanIn + fanOut)). */
        XAVIER_NORMAL,
        /** He uniform: U(−l, l) with l = √(6 / fanIn). */
        HE_UNIFORM,
        /** He normal: N(0, 2 / fanIn). */
        HE_NORMAL
    }

    /**
     * A resolved distribution: uniform over [p0, p1) or normal with mean p0 and standard deviation p1.
     *
     * @param normal true for a normal distribution, false for a uniform one
     * @param p0 the lower bound (uniform) or the mean (normal)
     * @param p1 the upper bound (uniform) or the standard deviation (normal)
     */
    public record Distribution(boolean normal, double p0, double p1) {}

    /**
     * Checks the components; prefer the factories.
     *
     * @throws InvalidArgumentException if {@code kind} is null, a or b is not finite or beyond float32's range,
     *     a &gt; b for UNIFORM, b &lt; 0 or |a| + 7b beyond float32's range for NORMAL, or a or b is not 0 for a
     *     fan-based kind
     */
    public Init {
        if (kind == null) {
            throw new InvalidArgumentException("init kind is null");
        }
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            throw new InvalidArgumentException("init " + kind + " parameters must be finite, got " + a + ", " + b);
        }
        if (Math.abs(a) > Float.MAX_VALUE || Math.abs(b) > Float.MAX_VALUE) {
            throw new InvalidArgumentException("init " + kind + " parameters must be within float32's range (±"
                    + Float.MAX_VALUE + "), got " + a + ", " + b + "; every value would be ±Infinity");
        }
        switch (kind) {
            case UNIFORM -> {
                if (!(a <= b)) {
                    throw new InvalidArgumentException("uniform(a, b) needs a <= b, got a=" + a + " b=" + b);
                }
            }
            case NORMAL -> {
                if (!(b >= 0)) {
                    throw new InvalidArgumentException("normal(mean, std) needs std >= 0, got " + b);
                }
                if (Math.abs(a) + 7 * b > Float.MAX_VALUE) {
                    throw new InvalidArgumentException("normal(mean, std): |mean| + 7·std = " + (Math.abs(a) + 7 * b)
                            + " is beyond float32's range (" + Float.MAX_VALUE + "); values would overflow to ±Infinity");
                }
            }
            default -> {
                if (a != 0 || b != 0) {
                    throw new InvalidArgumentException(kind + " takes its scale from the tensor's fans, not from "
                            + "parameters; got " + a + ", " + b + " (use " + kind.name().toLowerCase(Locale.ROOT)
                            + "() or pass 0, 0)");
                }
            }
        }
    }

    /**
     * The uniform distribution U(lo, hi).
     *
     * @param lo the lower bound, inclusive; finite, within float32's range
     * @param hi the upper bound, exclusive before the rounding to float32 (see the class comment); finite, within
     *     float32's range and ≥ lo
     * @return the initialisation
     * @throws InvalidArgumentException if a bound is not finite or beyond float32's range, or lo &gt; hi
     */
    public static Init uniform(double lo, double hi) {
        return new Init(Kind.UNIFORM, lo, hi);
    }

    /**
     * The normal distribution N(mean, std²).
     *
     * @param mean the mean; finite
     * @param std the standard deviation; finite and ≥ 0, with |mean| + 7·std within float32's range
     * @return the initialisation
     * @throws InvalidArgumentException if a parameter is not finite, std &lt; 0, or |mean| + 7·std is beyond
     *     float32's range
     */
    public static Init normal(double mean, double std) {
        return new Init(Kind.NORMAL, mean, std);
    }

    /**
     * Xavier/Glorot uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)).
     *
     * @return the initialisation
     */
    public static Init xavierUniform() {
        return new Init(Kind.XAVIER_UNIFORM, 0, 0);
    }

    /**
     * Xavier/Glorot normal: standard deviation √(2 / (fanIn + fanOut)), mean 0.
     *
     * @return the initialisation
     */
    public static Init xavierNormal() {
        return new Init(Kind.XAVIER_NORMAL, 0, 0);
    }

    /**
     * He uniform: U(−l, l) with l = √(6 / fanIn), for ReLU layers.
     *
     * @return the initialisation
     */
    public static Init heUniform() {
        return new Init(Kind.HE_UNIFORM, 0, 0);
    }

    /**
     * He normal: standard deviation √(2 / fanIn), mean 0, for ReLU layers.
     *
     * @return the initialisation
     */
    public static Init heNormal() {
        return new Init(Kind.HE_NORMAL, 0, 0);
    }

    /**
     * Fan-in of a tensor of this shape (see the class comment).
     *
     * @param s the weight's shape
     * @return the number of inputs each output sees
     * @throws InvalidArgumentException when {@code s} is null
     */
    public static long fanIn(Shape s) {
        if (s == null) {
            throw new InvalidArgumentException("shape is null");
        }
        return switch (s.rank()) {
            case 0, 1 -> s.size();
            case 2 -> s.dim(0);
            default -> s.dim(1) * receptive(s);
        };
    }

    /**
     * Fan-out of a tensor of this shape (see the class comment).
     *
     * @param s the weight's shape
     * @return the number of outputs each input feeds
     * @throws InvalidArgumentException when {@code s} is null
     */
    public static long fanOut(Shape s) {
        if (s == null) {
            throw new InvalidArgumentException("shape is null");
        }
        return switch (s.rank()) {
            case 0, 1 -> s.size();
            case 2 -> s.dim(1);
            default -> s.dim(0) * receptive(s);
        };
    }

    private static long receptive(Shape s) {
        long r = 1;
        for (int i = 2; i < s.rank(); i++) {
            r *= s.dim(i);
        }
        return r;
    }

    /**
     * The distribution for a tensor of this shape, its parameters computed in double.
     *
     * @param shape the shape of the tensor to fill
     * @return the uniform or normal distribution with its two parameters
     * @throws InvalidArgumentException if {@code shape} is null, or a fan-based kind meets a shape with fan-in 0
     *     (an empty shape)
     */
    public Distribution resolve(Shape shape) {
        double fanIn = fanIn(shape);
        double fanOut = fanOut(shape);
        if (kind != Kind.UNIFORM && kind != Kind.NORMAL && (fanIn == 0 || fanIn + fanOut == 0)) {
            throw new InvalidArgumentException(kind + " needs a non-empty shape to take its fans from, got " + shape);
        }
        return switch (kind) {
            case UNIFORM -> new Distribution(false, a, b);
            case NORMAL -> new Distribution(true, a, b);
            case XAVIER_UNIFORM -> symmetric(Math.sqrt(6.0 / (fanIn + fanOut)));
            case XAVIER_NORMAL -> new Distribution(true, 0.0, Math.sqrt(2.0 / (fanIn + fanOut)));
            case HE_UNIFORM -> symmetric(Math.sqrt(6.0 / fanIn));
            case HE_NORMAL -> new Distribution(true, 0.0, Math.sqrt(2.0 / fanIn));
        };
    }

    private static Distribution symmetric(double limit) {
        return new Distribution(false, -limit, limit);
    }

    /**
     * Parses {@code uniform:a:b}, {@code normal:mean:std}, {@code xavier}, {@code xavier_normal}, {@code he}, {@code he_normal}.
     * {@code glorot}, {@code glorot_uniform}, {@code xavier_uniform}, {@code glorot_normal} and
     * {@code he_uniform} are accepted too.
     *
     * @param text a name, case-insensitive, with the parameters separated by colons; uniform defaults
     *     to ±0.05, normal to mean 0 and std 0.05
     * @return the initialisation
     * @throws InvalidArgumentException naming the accepted names when {@code text} is null or not one
     *     of them, or when a parameter is not a number or out of range
     */
    public static Init parse(String text) {
        if (text == null) {
            throw new InvalidArgumentException("initialisation text is null");
        }
        String[] p = text.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            return switch (p[0]) {
                case "uniform" -> uniform(p.length > 1 ? Double.parseDouble(p[1]) : -0.05, p.length > 2 ? Double.parseDouble(p[2]) : 0.05);
                case "normal" -> normal(p.length > 1 ? Double.parseDouble(p[1]) : 0, p.length > 2 ? Double.parseDouble(p[2]) : 0.05);
                case "xavier", "xavier_uniform", "glorot", "glorot_uniform" -> xavierUniform();
                case "xavier_normal", "glorot_normal" -> xavierNormal();
                case "he", "he_uniform" -> heUniform();
                case "he_normal" -> heNormal();
                default -> throw new InvalidArgumentException("unknown initialisation '" + text
                        + "'; accepted: uniform[:a:b], normal[:mean:std], xavier, xavier_normal, he, he_normal");
            };
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException("initialisation parameters in '" + text + "' are not numbers");
        }
    }
}
