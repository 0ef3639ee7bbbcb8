package dev.kengine.spi;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A backend, as {@link java.util.ServiceLoader} finds it (list the implementation in
 * {@code META-INF/services/dev.kengine.spi.BackendProvider}). A provider is cheap to construct and
 * touches no native library until {@link #probe()} or {@link #open(Map)} is called. Its methods may
 * be called from any thread, and more than once.
 */
public interface BackendProvider {

    /**
     * A short lower-case name users select it by, such as {@code cpu}, {@code opencl}, {@code cuda}.
     *
     * @return the name; constant, unique among the backends on the class path
     */
    String name();

    /**
     * Preference when the user names no backend: the available backend of highest rank wins.
     *
     * @return the rank; constant
     */
    int rank();

    /**
     * Whether this backend can run here and, if so, its capabilities. Must never throw: a missing
     * native library, a missing device or kernels that were not built are reported as
     * {@link Availability#unavailable(String)} with a reason a user can act on.
     *
     * @return the availability, not null
     */
    Availability probe();

    /**
     * As {@link #probe()}, for opening with {@code options} (the system properties' options with the caller's over
     * them): a backend whose availability depends on an option (which device) answers for these options, so that a
     * caller's option overrides a property that names a device this machine lacks. Throws nothing but an
     * {@link dev.kengine.InvalidArgumentException} for a malformed option (as {@link #open(Map)} would). The default
     * ignores the options and calls {@link #probe()}.
     *
     * @param options the options {@link #open(Map)} will get, keys without the {@code kengine.<name>.} prefix; not null
     * @return the availability, not null
     */
    default Availability probe(Map<String, String> options) {
        return probe();
    }

    /**
     * Opens a driver. Options are backend-specific strings (for example {@code threads=2} or
     * {@code device=1}); malformed values are an {@link dev.kengine.InvalidArgumentException}. Keys the
     * backend does not read are ignored here: {@link dev.kengine.Engine#open(String, Map)} rejects the
     * caller's unknown keys beforehand when the provider declares its {@link #optionNames()}.
     *
     * @param options the options, keys without the {@code kengine.<name>.} prefix; not null
     * @return a new, open driver, owned by the facade that closes it
     * @throws dev.kengine.BackendUnavailableException when the backend cannot run here
     * @throws dev.kengine.InvalidArgumentException when an option's value is malformed
     * @throws dev.kengine.DeviceException when the device fails while opening
     */
    BackendDriver open(Map<String, String> options);

    /**
     * The keys {@link #open(Map)} reads, so that {@link dev.kengine.Engine#open(String, Map)} can reject a
     * caller's misspelt option ({@code simd-false}, {@code thread=2}) instead of ignoring it. Empty (the
     * default) where the provider does not declare them: then every key is passed through unchecked.
     * Options from system properties are never rejected (they may be set for a whole installation).
     *
     * @return the option names, lower-case, without the {@code kengine.<name>.} prefix; constant
     */
    default Optional<Set<String>> optionNames() {
        return Optional.empty();
    }
}
