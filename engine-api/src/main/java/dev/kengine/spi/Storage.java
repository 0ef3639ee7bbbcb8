package dev.kengine.spi;

/**
 * A backend's memory for one tensor: a flat run of elements. The facade hands a driver only
 * storages that driver allocated, of the size the op needs; a driver casts to its own type.
 *
 * <p>{@link #release()} may run on any thread, also while the driver runs ops for other tensors on
 * other threads, so it must be thread-safe; the facade calls it only after every op that used the
 * storage has returned.
 */
public interface Storage {

    /**
     * Number of elements.
     *
     * @return the element count it was allocated with
     */
    long size();

    /** Frees the memory. Called once, possibly from a cleaner thread. */
    void release();

    /**
     * Whether the garbage collector reclaims this storage's memory together with the storage object
     * (a Java array, say), so that {@link #release()} has nothing to do. The facade then lets a
     * leaked tensor's memory go in the same collection as the tensor instead of holding it until
     * its cleaner has run. Native and device memory answer {@code false} (the default).
     *
     * @return true when the memory is on the Java heap
     */
    default boolean heapManaged() {
        return false;
    }
}
