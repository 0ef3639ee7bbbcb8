package dev.kengine;

/** The named backend is unknown, or known but unusable here; the message says why. */
public final class BackendUnavailableException extends EngineException {
    /**
     * Creates the exception.
     *
     * @param message which backend and why it cannot be used
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the error that made the backend unusable.
     *
     * @param message which backend and why it cannot be used
     * @param cause the underlying error (a failed native load, say); may be null
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
