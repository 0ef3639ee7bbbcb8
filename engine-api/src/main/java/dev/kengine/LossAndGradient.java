package dev.kengine;

/**
 * A loss (a scalar tensor) and its gradient with respect to the prediction or logits, computed in one pass.
 * The caller owns both (or the enclosing {@link Scope} does).
 *
 * @param loss the reduced loss, rank 0
 * @param gradient ∂loss/∂pred (or ∂loss/∂logits), the prediction's shape, including the 1/n of
 *     {@link dev.kengine.op.Reduction#MEAN}
 */
public record LossAndGradient(Tensor loss, Tensor gradient) implements AutoCloseable {
    /** Closes the loss and the gradient; idempotent. */
    @Override
    public void close() {
        loss.close();
        gradient.close();
    }
}
