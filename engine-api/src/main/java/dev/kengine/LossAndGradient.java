package dev.kengine;

/** A loss (a scalar tensor) and its gradient with respect to the prediction or logits, computed in one pass. */
public record LossAndGradient(Tensor loss, Tensor gradient) implements AutoCloseable {
    @Override
    public void close() {
        loss.close();
        gradient.close();
    }
}
