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
 * <tr><td>ELU(α)</td><td>x if x &gt; 0, else α(eˣ − 1)</td><td>dy if x &gt; 0, else dy·α·eˣ</td></tr>
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
 * give their limits at x = ±∞ (for β &gt; 0: +0 at −∞ and +∞ at +∞; for the GELUs: −0, their limit from below,
 * at −∞ and +∞ at +∞; for β &lt; 0:
 * −∞ at −∞ and +0 at +∞; for β = 0, where SWISH is x/2: ±∞), with derivatives equal to the limits
 * of f' (0 and 1, or 1/2 for β = 0); where σ'(βx) is 0 for a large finite x, SWISH's derivative is
 * σ(βx)·dy, the limit, even where βx overflows to ±∞ (|β| &gt; 1 near ±{@code Float.MAX_VALUE}); where the sigmoid or the CDF underflows for a
 * large finite negative x, SWISH and GELU_TANH may return +0 instead of −0. RELU of −0 is +0; ELU of −0 is −0.
 *
 * <p>Immutable; the constructor and factories throw {@link InvalidArgumentException} for a null
 * kind or a parameter out of range.
 *
 * @param kind the function, not null
 * @param parameter α for LEAKY_RELU (the negative slope) and ELU (the saturation, ≥ 0), β for SWISH;
 *     finite; ignored (0 by convention) for the other kinds
 */
public record Activation(Kind kind, float parameter) {

    /** The activation functions. */
    public enum Kind {
        /** y = x. */
        IDENTITY,
        /** The logistic sigmoid σ(x) = 1 / (1 + e⁻ˣ). */
        SIGMOID,
        /** The hyperbolic tangent. */
        TANH,
        /** max(x, 0). */
        RELU,
        /** x for x &gt; 0, else α·x, α the parameter. */
        LEAKY_RELU,
        /** x for x &gt; 0, else α(eˣ − 1), α ≥ 0 the parameter. */
        ELU,
        /** x·σ(βx), β the parameter (SiLU when β = 1). */
        SWISH,
        /** ln(1 + eˣ). */
        SOFTPLUS,
        /** x·Φ(x) with the exact normal CDF Φ. */
        GELU,
        /** The tanh approximation of GELU. */
        GELU_TANH
    }

    /** y = x: no activation (a linear layer). */
    public static final Activation IDENTITY = new Activation(Kind.IDENTITY, 0f);
    /** The logistic sigmoid. */
    public static final Activation SIGMOID = new Activation(Kind.SIGMOID, 0f);
    /** The hyperbolic tangent. */
    public static final Activation TANH = new Activation(Kind.TANH, 0f);
    /** max(x, 0). */
    public static final Activation RELU = new Activation(Kind.RELU, 0f);
    /** ln(1 + eˣ). */
    public static final Activation SOFTPLUS = new Activation(Kind.SOFTPLUS, 0f);
    /** GELU with the exact normal CDF. */
    public static final Activation GELU = new Activation(Kind.GELU, 0f);
    /** GELU by its tanh approximation. */
    public static final Activation GELU_TANH = new Activation(Kind.GELU_TANH, 0f);
    /** Swish with β = 1, also called SiLU. */
    public static final Activation SILU = new Activation(Kind.SWISH, 1f);

    /** The default negative slope of leaky ReLU. */
    public static final float DEFAULT_LEAKY_SLOPE = 0.01f;

    /**
     * Checks the components; prefer the constants and factories, which give each kind its parameter.
     *
     * @throws InvalidArgumentException if {@code kind} is null, {@code parameter} is not finite, or ELU's α is negative
     */
    public Activation {
        if (kind == null) {
            throw new InvalidArgumentException("activation kind is null");
        }
        if (!Float.isFinite(parameter)) {
            throw new InvalidArgumentException("activation " + kind + " parameter must be finite, got " + parameter);
        }
        if (kind == Kind.ELU && !(parameter >= 0f)) {
            throw new InvalidArgumentException("ELU alpha must be >= 0, got " + parameter);
        }
    }

    /**
     * Leaky ReLU with the slope {@value #DEFAULT_LEAKY_SLOPE}.
     *
     * @return the activation
     */
    public static Activation leakyRelu() {
        return leakyRelu(DEFAULT_LEAKY_SLOPE);
    }

    /**
     * Leaky ReLU: x for x &gt; 0, else α·x.
     *
     * @param alpha the slope for x ≤ 0; finite (any sign)
     * @return the activation
     * @throws InvalidArgumentException if {@code alpha} is not finite
     */
    public static Activation leakyRelu(float alpha) {
        return new Activation(Kind.LEAKY_RELU, alpha);
    }

    /**
     * ELU: x for x &gt; 0, else α(eˣ − 1).
     *
     * @param alpha the value −α approached as x → −∞; finite and ≥ 0
     * @return the activation
     * @throws InvalidArgumentException if {@code alpha} is negative, NaN or infinite
     */
    public static Activation elu(float alpha) {
        if (!(alpha >= 0f)) {
            throw new InvalidArgumentException("ELU alpha must be >= 0, got " + alpha);
        }
        return new Activation(Kind.ELU, alpha);
    }

    /**
     * Swish: x·σ(βx); β = 1 is SiLU ({@link #SILU}).
     *
     * @param beta the slope inside the sigmoid; finite (any sign; 0 gives x/2)
     * @return the activation
     * @throws InvalidArgumentException if {@code beta} is not finite
     */
    public static Activation swish(float beta) {
        return new Activation(Kind.SWISH, beta);
    }

    /**
     * True for the activations whose derivative is a function of the saved output y (sigmoid: y(1 − y), tanh:
     * 1 − y²); the others compute it from the input x (ELU's α·eˣ for x ≤ 0 included). Either way a backward pass
     * must be given the forward pass's true x and y: a backend may read both (OpenCL reads x to keep a NaN input NaN).
     *
     * @return true for SIGMOID and TANH
     */
    public boolean backwardUsesOutput() {
        return kind == Kind.SIGMOID || kind == Kind.TANH;
    }

    /**
     * Parses a name such as {@code relu}, {@code leaky_relu}, {@code leaky_relu:0.2}, {@code elu:1},
     * {@code swish:1.5}, {@code silu}, {@code gelu}, {@code gelu_tanh}.
     *
     * @param text a name, case-insensitive, optionally followed by {@code :parameter} (LEAKY_RELU
     *     defaults to {@value #DEFAULT_LEAKY_SLOPE}, ELU and SWISH to 1); {@code linear} and
     *     {@code none} mean IDENTITY
     * @return the activation
     * @throws InvalidArgumentException naming the accepted names when {@code text} is not one, or when
     *     it is null or its parameter is not a valid number
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

    /**
     * The lower-case name, with the parameter where the kind has one: {@code relu}, {@code elu(1.0)}.
     *
     * @return the name
     */
    @Override
    public String toString() {
        return switch (kind) {
            case LEAKY_RELU, ELU, SWISH -> kind.name().toLowerCase(Locale.ROOT) + "(" + parameter + ")";
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }
}
