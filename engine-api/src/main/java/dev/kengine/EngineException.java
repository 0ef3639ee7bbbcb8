package dev.kengine;

/**
 * The engine's runtime exceptions. The family is sealed and small so a caller can tell what went
 * wrong without parsing messages: a backend that cannot be used, an op a backend lacks, a bad
 * argument, a call made in a state or on a thread that does not allow it, a device failure, device
 * memory exhausted, or a kernel that did not compile. Backends
 * translate their native errors into these at their edge; no native exception type escapes.
 */
public sealed abstract class EngineException extends RuntimeException
        permits BackendUnavailableException, UnsupportedOpException, InvalidArgumentException, InvalidStateException,
                DeviceException, DeviceOutOfMemoryException, KernelCompilationException {
    /**
     * Creates the exception.
     *
     * @param message what went wrong, for people to read
     */
    protected EngineException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what went wrong, for people to read
     * @param cause the underlying error (a native exception, say); may be null
     */
    protected EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
