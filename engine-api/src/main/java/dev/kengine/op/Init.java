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
 */
public record Init(Kind kind, double a, double b) {

    public enum Kind { UNIFORM, NORMAL, XAVIER_UNIFORM, XAVIER_NORMAL, HE_UNIFORM, HE_NORMAL }

    /** A resolved distribution: uniform over [p0, p1) or normal with mean p0 and standard deviation p1. */
    public record Distribution(boolean normal, double p0, double p1) {}

    public Init {
        if (kind == null) {
            throw new InvalidArgumentException("init kind is null");
        }
        if (!Double.isFinite(a) || !Double.isFinite(b)) {
            throw new InvalidArgumentException("init " + kind + " parameters must be finite, got " + a + ", " + b);
        }
        if (kind == Kind.UNIFORM && !(a <= b)) {
            throw new InvalidArgumentException("uniform(a, b) needs a <= b, got a=" + a + " b=" + b);
        }
        if (kind == Kind.NORMAL && !(b >= 0)) {
            throw new InvalidArgumentException("normal(mean, std) needs std >= 0, got " + b);
        }
    }

    public static Init uniform(double lo, double hi) {
        return new Init(Kind.UNIFORM, lo, hi);
    }

    public static Init normal(double mean, double std) {
        return new Init(Kind.NORMAL, mean, std);
    }

    public static Init xavierUniform() {
        return new Init(Kind.XAVIER_UNIFORM, 0, 0);
    }

    public static Init xavierNormal() {
        return new Init(Kind.XAVIER_NORMAL, 0, 0);
    }

    public static Init heUniform() {
        return new Init(Kind.HE_UNIFORM, 0, 0);
    }

    public static Init heNormal() {
        return new Init(Kind.HE_NORMAL, 0, 0);
    }

    /** Fan-in of a tensor of this shape (see the class comment). */
    public static long fanIn(Shape s) {
        return switch (s.rank()) {
            case 0, 1 -> s.size();
            case 2 -> s.dim(0);
            default -> s.dim(1) * receptive(s);
        };
    }

    /** Fan-out of a tensor of this shape (see the class comment). */
    public static long fanOut(Shape s) {
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

    /** The distribution for a tensor of this shape. */
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

    /** Parses {@code uniform:a:b}, {@code normal:mean:std}, {@code xavier}, {@code xavier_normal}, {@code he}, {@code he_normal}. */
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
