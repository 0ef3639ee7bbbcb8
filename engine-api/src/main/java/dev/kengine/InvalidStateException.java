package dev.kengine;

/**
 * A call that the object's state or the calling thread does not allow: an op on a closed backend,
 * a closed scope asked to keep a tensor, or a scope closed or used from a thread other than the one
 * that opened it. Nothing was done; objects that are still open stay usable.
 */
public final class InvalidStateException extends EngineException {
    /**
     * Creates the exception.
     *
     * @param message what was called and the state or thread that does not allow it
     */
    public InvalidStateException(String message) {
        super(message);
    }
}
