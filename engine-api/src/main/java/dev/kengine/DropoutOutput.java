package dev.kengine;

/**
 * The result of {@link Backend#dropout}: the output, and the mask (1 kept, 0 dropped; UINT8 where the backend stores it) for the backward pass.
 * The caller owns both (or the enclosing {@link Scope} does).
 *
 * @param output y, the input's shape: x·1/(1 − p) where kept, x·0 where dropped (0, −0 for a negative x, NaN for a
 *     NaN or infinite x)
 * @param mask 1 where the element was kept, 0 where dropped (a UINT8 tensor on every backend that stores UINT8, else FLOAT32), the input's shape; pass it to
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
