package dev.kengine;

/**
 * An allocation did not fit in the backend's memory. Nothing was allocated and the backend stays
 * usable; free tensors and try again.
 */
public final class DeviceOutOfMemoryException extends EngineException {
    /** The size of the failed request, in bytes. */
    private final long requestedBytes;

    /**
     * Creates the exception.
     *
     * @param message what was being allocated, and the device's own error where there is one
     * @param requestedBytes the size of the failed request in bytes; {@code Long.MAX_VALUE} when it
     *     does not fit in a long; -1 when the device ran out later than the request (a driver that
     *     allocates at first use) and no size is known
     * @param cause the native error; may be null
     */
    public DeviceOutOfMemoryException(String message, long requestedBytes, Throwable cause) {
        super(message, cause);
        this.requestedBytes = requestedBytes;
    }

    /**
     * The size of the allocation that failed.
     *
     * @return bytes requested; {@code Long.MAX_VALUE} when the request did not fit in a long; -1 when
     *     the device ran out after the request (at a first write, launch or wait) and no size is known
     */
    public long requestedBytes() {
        return requestedBytes;
    }
}
