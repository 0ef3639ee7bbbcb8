package dev.kengine;

/**
 * The result of {@link Backend#linear}: the activated output y = act(x·W + b) and the
 * pre-activation z = x·W + b that {@link Backend#linearBackward} needs. Closing closes both.
 */
public record LinearOutput(Tensor output, Tensor preActivation) implements AutoCloseable {
    @Override
    public void close() {
        output.close();
        preActivation.close();
    }
}
