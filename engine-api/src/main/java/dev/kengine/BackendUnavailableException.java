package dev.kengine;

/** The named backend is unknown, or known but unusable here; the message says why. */
public final class BackendUnavailableException extends EngineException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
