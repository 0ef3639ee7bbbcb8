package dev.kengine.op;

import dev.kengine.InvalidArgumentException;
import java.util.Locale;

/**
 * An elementwise activation function with its parameter. Forward and backward are defined as
 * follows (σ is the logistic sigmoid, Φ the standard normal CDF, φ its density):
 *
 * <table>
 * <caption>Activations</caption>
 * <tr><th>kind</th><th>y = f(x)</th><th>dx = dy · f'(x)</th></tr>
 * <tr><td>IDENTITY</td><td>x</td><td>dy</td></tr>
 * <tr><td>SIGMOID</td><td>σ(x), evaluated without overflow for any x</td><td>dy · y(1 − y)</td></tr>
 * <tr><td>TANH</td><td>tanh x</td><td>dy · (1 − y²)</td></tr>
 * <tr><td>RELU</td><td>x if x &gt; 0, else +0</td><td>dy if x &gt; 0, else 0 (subgradient 0 at 0)</td></tr>
 * <tr><td>LEAKY_RELU(α)</td><td>x if x &gt; 0, else αx</td><td>dy if x &gt; 0, else α·dy</td></tr>
 * <tr><td>ELU(α)</td><td>x if x &gt; 0, else α(eˣ − 1)</td><td>dy if x &gt; 0, else dy·(y + α)</td></tr>
 * <tr><td>SWISH(β)</td><td>x · σ(βx) (SiLU when β = 1)</td><td>dy · (σ(βx) + βx·σ(βx)(1 − σ(βx)))</td></tr>
 * <tr><td>SOFTPLUS</td><td>ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|)</td><td>dy · σ(x)</td></tr>
 * <tr><td>GELU</td><td>x · Φ(x)</td><td>dy · (Φ(x) + x·φ(x))</td></tr>
 * <tr><td>GELU_TANH</td><td>x/2 · (1 + tanh(√(2/π)(x + 0.044715x³)))</td><td>its exact derivative</td></tr>
 * </table>
 *
 * <p>NaN in gives NaN out, forward and backward (for RELU and LEAKY_RELU backward, NaN in x or in
 * dy gives NaN; otherwise the derivative selects dy, 0 or α·dy, so dy = ±∞ at x &lt; 0 gives 0 for
 * RELU). Deliberate exceptions to plain IEEE evaluation: where a product ∞·0 would appear at
 * x = ±∞ but the function has a limit, the limit is returned: SWISH (for every β) and both GELUs
 * give their limits at x = ±∞ (for β &gt; 0 and the GELUs: +0 at −∞ and +∞ at +∞; for β &lt; 0:
 * −∞ at −∞ and +0 at +∞; for β = 0, where SWISH is x/2: ±∞), with derivatives equal to the limits
 * of f' (0 and 1, or 1/2 for β = 0); where σ'(βx) is 0 for a large finite x, SWISH's derivative is
 * σ(βx)·dy, the limit, even where βx overflows to ±∞ (|β| &gt; 1 near ±{@code Float.MAX_VALUE}); where the sigmoid or the CDF underflows for a
 * large finite negative x, SWISH and GELU_TANH may return +0 instead of −0. RELU of −0 is +0.
 */
public record Activation(Kind kind, float parameter) {

    /** The activation functions. */
    public enum Kind {
        IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SWISH, SOFTPLUS, GELU, GELU_TANH
    }

    public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0f);
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
    public static final Activation TANH = new Activation(Kind.TANH, 0f);
    public static final Activation RELU = new Activation(Kind.RELU, 0f);
    public static final Activation SOFTPLUS = new Activation(Kind.SOFTPLUS, 0f);
    public static final Activation GELU = new Activation(Kind.GELU, 0f);
    public static final Activation GELU_TANH = new Activation(Kind.GELU_TANH, 0f);
    /** Swish with β = 1, also called SiLU. */
    public static final Activation SILU = new Activation(Kind.SWISH, 1f);

    /** The default negative slope of leaky ReLU. */
    public static final float DEFAULT_LEAKY_SLOPE = 0.01f;

    public Activation {
        if (kind == null) {
            throw new InvalidArgumentException("activation kind is null");
        }
        if (!Float.isFinite(parameter)) {
            throw new InvalidArgumentException("activation " + kind + " parameter must be finite, got " + parameter);
        }
    }

    public static Activation leakyRelu() {
        return leakyRelu(DEFAULT_LEAKY_SLOPE);
    }

    public static Activation leakyRelu(float alpha) {
        return new Activation(Kind.LEAKY_RELU, alpha);
    }

    public static Activation elu(float alpha) {
        if (!(alpha >= 0f)) {
            throw new InvalidArgumentException("ELU alpha must be >= 0, got " + alpha);
        }
        return new Activation(Kind.ELU, alpha);
    }

    public static Activation swish(float beta) {
        return new Activation(Kind.SWISH, beta);
    }

    /** True for the activations whose derivative is computed from the saved output y, not from x. */
    public boolean backwardUsesOutput() {
        return kind == Kind.SIGMOID || kind == Kind.TANH || kind == Kind.ELU;
    }

    /**
     * Parses a name such as {@code relu}, {@code leaky_relu}, {@code leaky_relu:0.2}, {@code elu:1},
     * {@code swish:1.5}, {@code silu}, {@code gelu}, {@code gelu_tanh}.
     *
     * @throws InvalidArgumentException naming the accepted names when {@code text} is not one
     */
    public static Activation parse(String text) {
        if (text == null) {
            throw new InvalidArgumentException("activation text is null");
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        String name = t;
        Float p = null;
        int colon = t.indexOf(':');
        if (colon >= 0) {
            name = t.substring(0, colon);
            try {
                p = Float.parseFloat(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException("activation parameter in '" + text + "' is not a number");
            }
        }
        return switch (name) {
            case "identity", "linear", "none" -> IDENTITY;
            case "sigmoid" -> SIGMOID;
            case "tanh" -> TANH;
            case "relu" -> RELU;
            case "leaky_relu", "leakyrelu" -> leakyRelu(p == null ? DEFAULT_LEAKY_SLOPE : p);
            case "elu" -> elu(p == null ? 1f : p);
            case "swish" -> swish(p == null ? 1f : p);
            case "silu" -> SILU;
            case "softplus" -> SOFTPLUS;
            case "gelu" -> GELU;
            case "gelu_tanh" -> GELU_TANH;
            default -> throw new InvalidArgumentException("unknown activation '" + text + "'; accepted: identity, sigmoid, "
                    + "tanh, relu, leaky_relu[:alpha], elu[:alpha], swish[:beta], silu, softplus, gelu, gelu_tanh");
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LEAKY_RELU, ELU, SWISH -> kind.name().toLowerCase(Locale.ROOT) + "(" + parameter + ")";
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }
}
