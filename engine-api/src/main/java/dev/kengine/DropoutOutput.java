package dev.kengine;

/**
 * The result of {@link Backend#dropout}: the output, and the mask (1.0f kept, 0.0f dropped) for the backward pass.
 * The caller owns both (or the enclosing {@link Scope} does).
 *
 * @param output y, the input's shape: x·1/(1 − p) where kept, 0 where dropped
 * @param mask 1.0f where the element was kept, 0.0f where dropped, the input's shape; pass it to
 *     {@link Backend#dropoutBackward(Tensor, Tensor, float)}
 */
public record DropoutOutput(Tensor output, Tensor mask) implements AutoCloseable {
    /** Closes the output and the mask; idempotent. */
    @Override
    public void close() {
        output.close();
        mask.close();
    }
}
