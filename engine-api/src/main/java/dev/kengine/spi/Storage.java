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

    /**
     * Frees the memory. Called once, possibly from a cleaner thread. For a {@linkplain #heapManaged()
     * heap-managed} storage it is called when its tensor is closed (once the tensor's last running op
     * has returned), and not when a leaked tensor is collected: the driver may keep the array for a
     * later allocation, or do nothing.
     */
    void release();

    /**
     * Whether the garbage collector reclaims this storage's memory together with the storage object
     * (a Java array, say). The facade then holds the storage only weakly, so that a leaked tensor's
     * memory goes in the same collection as the tensor instead of being held until its cleaner has
     * run. Native and device memory answer {@code false} (the default).
     *
     * @return true when the memory is on the Java heap
     */
    default boolean heapManaged() {
        return false;
    }
}
