package dev.kengine.examples.data;

/** A data file or data-set parameter that cannot be used; the message says what is wrong and what is accepted. */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
