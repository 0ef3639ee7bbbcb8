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
}
