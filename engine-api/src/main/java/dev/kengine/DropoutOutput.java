package dev.kengine;

/** The result of {@link Backend#dropout}: the output, and the mask (1.0f kept, 0.0f dropped) for the backward pass. */
public record DropoutOutput(Tensor output, Tensor mask) implements AutoCloseable {
    @Override
    public void close() {
        output.close();
        mask.close();
    }
}
