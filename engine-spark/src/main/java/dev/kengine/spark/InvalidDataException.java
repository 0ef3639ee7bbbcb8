package dev.kengine.spark;

/** The training data cannot be used: a missing or mistyped column, a bad row, or no rows at all. The message names the column and, for a bad row, the row. */
public final class InvalidDataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
