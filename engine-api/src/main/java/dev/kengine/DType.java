package dev.kengine;

/**
 * Element type of a tensor. The dtype is an explicit part of every tensor so that half-precision
 * types can be added without changing signatures; today every backend stores {@link #FLOAT32}.
 */
public enum DType {
    /** IEEE 754 binary32. */
    FLOAT32(4),
    /** IEEE 754 binary16 (reserved: no backend stores it yet). */
    FLOAT16(2),
    /** bfloat16, the upper half of a binary32 (reserved: no backend stores it yet). */
    BFLOAT16(2);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * Bytes one element occupies.
     *
     * @return 4 for {@link #FLOAT32}, 2 for the half-precision types
     */
    public int byteSize() {
        return byteSize;
    }
}
