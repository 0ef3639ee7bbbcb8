package dev.kengine.cpu.gemm;

import java.lang.ref.SoftReference;

/**
 * Two float arrays for one thread, grown on demand and kept, so that a product's packing buffers (or a half-precision
 * operand's widened copy) cost small calls no allocation. Held in a {@link ThreadLocal} by their users; not shared.
 * Kept softly: a large product's buffers (about 9 MiB) stay with every thread that ran one, which the collector may
 * take back under memory pressure (the next call allocates them again); the caller's own reference keeps an array
 * alive while it is in use.
 */
public final class ThreadBuffers {
    private SoftReference<float[]> a = new SoftReference<>(new float[0]);
    private SoftReference<float[]> b = new SoftReference<>(new float[0]);

    /**
     * The first array.
     *
     * @param size the length needed
     * @return an array of at least {@code size} floats, its contents left from earlier use
     */
    public float[] a(int size) {
        float[] x = a.get();
        if (x == null || x.length < size) {
            x = new float[size];
            a = new SoftReference<>(x);
        }
        return x;
    }

    /**
     * The second array.
     *
     * @param size the length needed
     * @return an array of at least {@code size} floats, its contents left from earlier use
     */
    public float[] b(int size) {
        float[] x = b.get();
        if (x == null || x.length < size) {
            x = new float[size];
            b = new SoftReference<>(x);
        }
        return x;
    }
}
