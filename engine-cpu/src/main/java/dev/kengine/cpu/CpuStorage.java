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
    /** Where {@link #release()} returns the array; null to leave it to the collector. */
    private final ArrayPool pool;
    /** 1 once {@link #release()} has run. */
    private volatile int released;
    private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<CpuStorage> RELEASED =
            java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(CpuStorage.class, "released");

    CpuStorage(float[] data) {
        this(data, DType.FLOAT32, data.length, null);
    }

    private CpuStorage(Object array, DType dtype, int length, ArrayPool pool) {
        this.data = dtype == DType.FLOAT32 ? (float[]) array : null;
        this.array = array;
        this.dtype = dtype;
        this.length = length;
        this.pool = pool;
    }

    /** A new zeroed storage of {@code n} elements of {@code dtype}, whose release returns its array to {@code pool}. */
    static CpuStorage of(DType dtype, int n, ArrayPool pool) {
        Object a = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT16, BFLOAT16 -> new short[n];
            case INT32 -> new int[n];
            case UINT8 -> new byte[n];
        };
        return new CpuStorage(a, dtype, n, pool);
    }

    /** A storage over an existing array of {@code n} elements of {@code dtype} (a recycled one). */
    static CpuStorage wrap(Object array, DType dtype, int n, ArrayPool pool) {
        return new CpuStorage(array, dtype, n, pool);
    }

    /** Fills the array with a value no op writes by accident: NaN, a quiet-NaN pattern, −1 or 0xFF ({@link ArrayPool}). */
    void poison() {
        switch (dtype) {
            case FLOAT32 -> java.util.Arrays.fill(data, Float.NaN);
            case FLOAT16 -> java.util.Arrays.fill(shorts(), (short) 0x7E00);
            case BFLOAT16 -> java.util.Arrays.fill(shorts(), (short) 0x7FC0);
            case INT32 -> java.util.Arrays.fill(ints(), -1);
            case UINT8 -> java.util.Arrays.fill(bytes(), (byte) 0xFF);
        }
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

    /**
     * Returns the array to the driver's {@link ArrayPool} for a later allocation of the same dtype and length (the
     * facade calls this once a closed tensor's last op has returned; never for a tensor that leaked), or leaves it to
     * the garbage collector. Nothing native to free.
     */
    @Override
    public void release() {
        // Once only: an array recycled twice would be handed to two live storages.
        if (pool != null && RELEASED.compareAndSet(this, 0, 1)) {
            pool.recycle(this);
        }
    }

    @Override
    public boolean heapManaged() {
        return true;
    }
}
