package dev.kengine.cpu;

import dev.kengine.spi.Storage;

/** A CPU tensor's elements: a Java float array (so the JIT can drop bounds checks in hot loops). */
public final class CpuStorage implements Storage {
    final float[] data;

    CpuStorage(float[] data) {
        this.data = data;
    }

    /** The backing array. */
    public float[] data() {
        return data;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public void release() {
        // The array is reclaimed by the garbage collector; nothing native to free.
    }

    @Override
    public boolean heapManaged() {
        return true;
    }
}
