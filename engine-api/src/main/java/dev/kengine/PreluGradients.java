package dev.kengine;

/** The gradients of PReLU: dx, shaped like x, and dAlpha, shaped like alpha. */
public record PreluGradients(Tensor dx, Tensor dAlpha) implements AutoCloseable {
    @Override
    public void close() {
        dx.close();
        dAlpha.close();
    }
}
