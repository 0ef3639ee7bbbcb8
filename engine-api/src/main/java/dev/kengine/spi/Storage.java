package dev.kengine.spi;

/**
 * A backend's memory for one tensor: a flat run of elements. The facade hands a driver only
 * storages that driver allocated, of the size the op needs; a driver casts to its own type.
 */
public interface Storage {

    /** Number of elements. */
    long size();

    /** Frees the memory. Called once, possibly from a cleaner thread. */
    void release();

    /**
     * Whether the garbage collector reclaims this storage's memory together with the storage object
     * (a Java array, say), so that {@link #release()} has nothing to do. The facade then lets a
     * leaked tensor's memory go in the same collection as the tensor instead of holding it until
     * its cleaner has run. Native and device memory answer {@code false} (the default).
     */
    default boolean heapManaged() {
        return false;
    }
}
