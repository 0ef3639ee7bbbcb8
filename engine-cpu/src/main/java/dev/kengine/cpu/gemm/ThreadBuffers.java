package dev.kengine.cpu.gemm;

/**
 * Two float arrays for one thread, grown on demand and kept, so that a product's packing buffers (or a half-precision
 * operand's widened copy) cost small calls no allocation. Held in a {@link ThreadLocal} by their users; not shared.
 */
public final class ThreadBuffers {
    private float[] a = new float[0];
    private float[] b = new float[0];

    /**
     * The first array.
     *
     * @param size the length needed
     * @return an array of at least {@code size} floats, its contents left from earlier use
     */
    public float[] a(int size) {
        if (a.length < size) {
            a = new float[size];
        }
        return a;
    }

    /**
     * The second array.
     *
     * @param size the length needed
     * @return an array of at least {@code size} floats, its contents left from earlier use
     */
    public float[] b(int size) {
        if (b.length < size) {
            b = new float[size];
        }
        return b;
    }
}
