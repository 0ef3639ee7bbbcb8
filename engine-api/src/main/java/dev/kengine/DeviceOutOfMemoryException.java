package dev.kengine;

/**
 * An allocation did not fit in the backend's memory. Nothing was allocated and the backend stays
 * usable; free tensors and try again.
 */
public final class DeviceOutOfMemoryException extends EngineException {
    private final long requestedBytes;

    public DeviceOutOfMemoryException(String message, long requestedBytes, Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }
}
