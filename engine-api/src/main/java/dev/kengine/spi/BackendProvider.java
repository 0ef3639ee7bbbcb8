package dev.kengine.spi;

import java.util.Map;

/**
 * A backend, as {@link java.util.ServiceLoader} finds it (list the implementation in
 * {@code META-INF/services/dev.kengine.spi.BackendProvider}). A provider is cheap to construct and
 * touches no native library until {@link #probe()} or {@link #open(Map)} is called.
 */
public interface BackendProvider {

    /** A short lower-case name users select it by, such as {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** Preference when the user names no backend: the available backend of highest rank wins. */
    int rank();

    /**
     * Whether this backend can run here and, if so, its capabilities. Must never throw: a missing
     * native library, a missing device or kernels that were not built are reported as
     * {@link Availability#unavailable(String)} with a reason a user can act on.
     */
    Availability probe();

    /**
     * Opens a driver. Options are backend-specific strings (for example {@code threads=2} or
     * {@code device=1}); unknown keys are ignored, malformed values are an
     * {@link dev.kengine.InvalidArgumentException}.
     *
     * @throws dev.kengine.BackendUnavailableException when the backend cannot run here
     */
    BackendDriver open(Map<String, String> options);
}
