package dev.kengine;

/**
 * The gradients of PReLU: dx, shaped like x, and dAlpha, shaped like alpha.
 * The caller owns both (or the enclosing {@link Scope} does).
 *
 * @param dx ∂L/∂x, x's shape
 * @param dAlpha ∂L/∂α, alpha's shape (one element, or one per channel)
 */
public record PreluGradients(Tensor dx, Tensor dAlpha) implements AutoCloseable {
    /** Closes both gradients; idempotent. */
    @Override
    public void close() {
        dx.close();
        dAlpha.close();
    }
}
