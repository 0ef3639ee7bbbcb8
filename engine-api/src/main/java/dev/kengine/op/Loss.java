package dev.kengine.op;

import dev.kengine.InvalidArgumentException;
import java.util.Locale;

/**
 * An elementwise loss between a prediction p and a target t, reduced by {@link Reduction} over all
 * n elements. Per element, with d = p − t:
 *
 * <table>
 * <caption>Losses</caption>
 * <tr><th>kind</th><th>loss</th><th>∂loss/∂p (before the 1/n of MEAN)</th></tr>
 * <tr><td>MSE</td><td>d²</td><td>2d</td></tr>
 * <tr><td>MAE</td><td>|d|</td><td>sign(d), 0 at d = 0</td></tr>
 * <tr><td>HUBER(δ)</td><td>d²/2 if |d| ≤ δ, else δ(|d| − δ/2)</td><td>d if |d| ≤ δ, else δ·sign(d)</td></tr>
 * <tr><td>BINARY_CROSS_ENTROPY (p a probability)</td><td>−(t·ln p + (1 − t)·ln(1 − p)), each log clamped to ≥ −100;
 *     ln(1 − p) as log1p(−p), accurate for tiny p</td>
 *     <td>(p − t) / max(p(1 − p), 1e-12); NaN for p outside [0, 1], as the loss</td></tr>
 * <tr><td>BINARY_CROSS_ENTROPY_WITH_LOGITS (p a logit)</td><td>max(p, 0) − p·t + ln(1 + e^−|p|)</td><td>σ(p) − t, computed
 *     as (1 − t)·σ(p) − t·σ(−p) so that a confident logit keeps its small gradient (t = 1, p = 20: −2.1·10⁻⁹, not 0)</td></tr>
 * </table>
 *
 * <p>The clamp of the logarithms in BINARY_CROSS_ENTROPY is a deliberate exception to IEEE
 * propagation, so that p = 0 or 1 gives a large finite loss rather than ∞ (NaN still propagates).
 *
 * <p>Immutable. Softmax cross-entropy is not a {@code Loss}: it has its own op,
 * {@link dev.kengine.Backend#softmaxCrossEntropy(dev.kengine.Tensor, int[], Reduction)}.
 *
 * @param kind the function, not null
 * @param delta δ of HUBER, finite and &gt; 0; ignored (0 by convention) for the other kinds
 */
public record Loss(Kind kind, float delta) {

    /** The loss functions (formulas in the table above). */
    public enum Kind {
        /** Mean squared error: d². */
        MSE,
        /** Mean absolute error: |d|. */
        MAE,
        /** Huber: quadratic within δ of the target, linear beyond. */
        HUBER,
        /** Binary cross-entropy of a probability p in [0, 1] against a target t in [0, 1]. */
        BINARY_CROSS_ENTROPY,
        /** Binary cross-entropy of a logit p (the sigmoid applied inside, stably) against a target t. */
        BINARY_CROSS_ENTROPY_WITH_LOGITS
    }

    /** Mean squared error. */
    public static final Loss MSE = new Loss(Kind.MSE, 0f);
    /** Mean absolute error. */
    public static final Loss MAE = new Loss(Kind.MAE, 0f);
    /** Binary cross-entropy on probabilities. */
    public static final Loss BINARY_CROSS_ENTROPY = new Loss(Kind.BINARY_CROSS_ENTROPY, 0f);
    /** Binary cross-entropy on logits. */
    public static final Loss BINARY_CROSS_ENTROPY_WITH_LOGITS = new Loss(Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS, 0f);

    /**
     * Checks the components; prefer the constants and {@link #huber(float)}.
     *
     * @throws InvalidArgumentException if {@code kind} is null, or δ of HUBER is not finite and &gt; 0
     */
    public Loss {
        if (kind == null) {
            throw new InvalidArgumentException("loss kind is null");
        }
        if (kind == Kind.HUBER && !(delta > 0f && Float.isFinite(delta))) {
            throw new InvalidArgumentException("Huber delta must be finite and > 0, got " + delta);
        }
    }

    /**
     * The Huber loss with threshold δ.
     *
     * @param delta δ, where the loss turns from quadratic to linear, in the units of the prediction;
     *     finite and &gt; 0
     * @return the loss
     * @throws InvalidArgumentException if {@code delta} is not finite and &gt; 0
     */
    public static Loss huber(float delta) {
        return new Loss(Kind.HUBER, delta);
    }

    /**
     * Parses {@code mse}, {@code mae}, {@code huber[:delta]}, {@code bce}, {@code bce_logits}.
     *
     * @param text a name, case-insensitive, surrounding blanks ignored; {@code huber} alone has δ = 1
     * @return the loss
     * @throws InvalidArgumentException naming the accepted names when {@code text} is null or not one
     *     of them, or when δ is not a number or not &gt; 0
     */
    public static Loss parse(String text) {
        if (text == null) {
            throw new InvalidArgumentException("loss text is null");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("huber")) {
            float d = 1f;
            if (t.startsWith("huber:")) {
                try {
                    d = Float.parseFloat(t.substring(6));
                } catch (NumberFormatException e) {
                    throw new InvalidArgumentException("Huber delta in '" + text + "' is not a number");
                }
            } else if (!t.equals("huber")) {
                t = "?";
            }
            if (!t.equals("?")) {
                return huber(d);
            }
        }
        return switch (t) {
            case "mse" -> MSE;
            case "mae" -> MAE;
            case "bce" -> BINARY_CROSS_ENTROPY;
            case "bce_logits" -> BINARY_CROSS_ENTROPY_WITH_LOGITS;
            default -> throw new InvalidArgumentException(
                    "unknown loss '" + text + "'; accepted: mse, mae, huber[:delta], bce, bce_logits (softmax cross-entropy has its own op)");
        };
    }

    /**
     * The lower-case name, with δ for HUBER: {@code mse}, {@code huber(1.0)}.
     *
     * @return the name
     */
    @Override
    public String toString() {
        return kind == Kind.HUBER ? "huber(" + delta + ")" : kind.name().toLowerCase(Locale.ROOT);
    }
}
