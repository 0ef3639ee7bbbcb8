package dev.kengine.cpu;

import dev.kengine.DType;
import dev.kengine.spi.Storage;

/**
 * A CPU tensor's elements: a Java array (so the JIT can drop bounds checks in hot loops), of
 * {@code float} for float32, {@code short} for the half types (raw bits), {@code int} for int32 and
 * {@code byte} for uint8.
 */
public final class CpuStorage implements Storage {
    /** The float32 elements; null for the other dtypes. */
    final float[] data;
    /** The array of any dtype (the same object as {@link #data} for float32). */
    final Object array;
    final DType dtype;
    private final int length;

    CpuStorage(float[] data) {
        this.data = data;
        this.array = data;
        this.dtype = DType.FLOAT32;
        this.length = data.length;
    }

    private CpuStorage(Object array, DType dtype, int length) {
        this.data = null;
        this.array = array;
        this.dtype = dtype;
        this.length = length;
    }

    /** A new zeroed storage of {@code n} elements of {@code dtype}. */
    static CpuStorage of(DType dtype, int n) {
        return switch (dtype) {
            case FLOAT32 -> new CpuStorage(new float[n]);
            case FLOAT16, BFLOAT16 -> new CpuStorage(new short[n], dtype, n);
            case INT32 -> new CpuStorage(new int[n], dtype, n);
            case UINT8 -> new CpuStorage(new byte[n], dtype, n);
        };
    }

    /** The backing float array; null unless the dtype is float32. */
    public float[] data() {
        return data;
    }

    /**
     * The backing array of any dtype: {@code float[]}, {@code short[]}, {@code int[]} or {@code byte[]}.
     *
     * @return the array the elements live in
     */
    public Object array() {
        return array;
    }

    /**
     * The dtype of the elements.
     *
     * @return the dtype it was allocated with
     */
    public DType dtype() {
        return dtype;
    }

    short[] shorts() {
        return (short[]) array;
    }

    int[] ints() {
        return (int[]) array;
    }

    byte[] bytes() {
        return (byte[]) array;
    }

    @Override
    public long size() {
        return length;
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
