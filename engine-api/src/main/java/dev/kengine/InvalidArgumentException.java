package dev.kengine;

/**
 * An argument was rejected before any work started: mismatched or impossible shapes, a value out
 * of range, tensors of two backends in one call, a closed tensor, a buffer of the wrong length.
 * The backend stays usable.
 */
public final class InvalidArgumentException extends EngineException {
    /**
     * Creates the exception.
     *
     * @param message which argument was rejected and why, with the shapes or values involved
     */
    public InvalidArgumentException(String message) {
        super(message);
    }
}
