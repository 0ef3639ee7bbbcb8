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
 * <tr><td>BINARY_CROSS_ENTROPY (p a probability)</td><td>−(t·ln p + (1 − t)·ln(1 − p)), each log clamped to ≥ −100</td>
 *     <td>(p − t) / max(p(1 − p), 1e-12)</td></tr>
 * <tr><td>BINARY_CROSS_ENTROPY_WITH_LOGITS (p a logit)</td><td>max(p, 0) − p·t + ln(1 + e^−|p|)</td><td>σ(p) − t</td></tr>
 * </table>
 *
 * <p>The clamp of the logarithms in BINARY_CROSS_ENTROPY is a deliberate exception to IEEE
 * propagation, so that p = 0 or 1 gives a large finite loss rather than ∞ (NaN still propagates).
 */
public record Loss(Kind kind, float delta) {

    public enum Kind { MSE, MAE, HUBER, BINARY_CROSS_ENTROPY, BINARY_CROSS_ENTROPY_WITH_LOGITS }

    public static final Loss MSE = new Loss(Kind.MSE, 0f);
    public static final Loss MAE = new Loss(Kind.MAE, 0f);
    public static final Loss BINARY_CROSS_ENTROPY = new Loss(Kind.BINARY_CROSS_ENTROPY, 0f);
    public static final Loss BINARY_CROSS_ENTROPY_WITH_LOGITS = new Loss(Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS, 0f);

    public Loss {
        if (kind == null) {
            throw new InvalidArgumentException("loss kind is null");
        }
        if (kind == Kind.HUBER && !(delta > 0f && Float.isFinite(delta))) {
            throw new InvalidArgumentException("Huber delta must be finite and > 0, got " + delta);
        }
    }

    public static Loss huber(float delta) {
        return new Loss(Kind.HUBER, delta);
    }

    /** Parses {@code mse}, {@code mae}, {@code huber[:delta]}, {@code bce}, {@code bce_logits}. */
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

    @Override
    public String toString() {
        return kind == Kind.HUBER ? "huber(" + delta + ")" : kind.name().toLowerCase(Locale.ROOT);
    }
}
