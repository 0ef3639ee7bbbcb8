package dev.kengine;

import dev.kengine.op.Activation;

/**
 * The result of {@link Backend#linear}: the activated output y = act(x·W + b), the pre-activation
 * z = x·W + b, and what the layer was computed from, so that {@link Backend#linearBackward(Tensor,
 * LinearOutput)} needs nothing else. The caller owns y and z; x, W and b remain the caller's own
 * tensors, referenced here, not copied.
 *
 * @param output y {@code [rows, out]}
 * @param preActivation z {@code [rows, out]}
 * @param input x {@code [rows, in]}, as given to the forward call
 * @param weight W {@code [in, out]}, as given
 * @param bias b {@code [out]} as given, or null for a layer without bias
 * @param activation the activation applied ({@link Activation#IDENTITY} under PReLU)
 * @param preluAlpha PReLU's α (one element or {@code [out]}) for a layer made by
 *     {@link Backend#linear(Tensor, Tensor, Tensor, Tensor)}, else null
 */
public record LinearOutput(Tensor output, Tensor preActivation, Tensor input, Tensor weight, Tensor bias,
                           Activation activation, Tensor preluAlpha) implements AutoCloseable {
    /**
     * The output of a layer without PReLU.
     *
     * @param output y {@code [rows, out]}
     * @param preActivation z {@code [rows, out]}
     * @param input x {@code [rows, in]}
     * @param weight W {@code [in, out]}
     * @param bias b {@code [out]}, or null
     * @param activation the activation applied
     */
    public LinearOutput(Tensor output, Tensor preActivation, Tensor input, Tensor weight, Tensor bias, Activation activation) {
        this(output, preActivation, input, weight, bias, activation, null);
    }

    /** Closes y and z (not the inputs, which belong to the caller). */
    @Override
    public void close() {
        output.close();
        preActivation.close();
    }
}
