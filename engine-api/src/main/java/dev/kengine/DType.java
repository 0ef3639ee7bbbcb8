package dev.kengine;

/**
 * Element type of a tensor. Every backend stores all five; which ops accept which dtype is in
 * {@link dev.kengine.spi.Capabilities#supports(dev.kengine.op.Op, DType)}, and a pair a backend
 * lacks is reported before any work starts, never computed in another dtype.
 *
 * <p>Conversions between dtypes (uploads from {@code float[]} into a half-precision tensor,
 * downloads into {@code float[]}, {@link Backend#cast}) follow the rules of {@link Conversions},
 * bit for bit on every backend.
 */
public enum DType {
    /** IEEE 754 binary32. */
    FLOAT32(4, true),
    /** IEEE 754 binary16: 1 sign, 5 exponent, 10 fraction bits; largest finite 65504, subnormals from 2⁻²⁴. */
    FLOAT16(2, true),
    /** bfloat16: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 fraction bits); float32's range. */
    BFLOAT16(2, true),
    /** Two's-complement 32-bit integers: class labels, indices, argmax results. */
    INT32(4, false),
    /** Unsigned 8-bit integers, 0 to 255: dropout masks, byte data. */
    UINT8(1, false);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /**
     * Bytes one element occupies.
     *
     * @return 4 for {@link #FLOAT32} and {@link #INT32}, 2 for the half-precision types, 1 for {@link #UINT8}
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Whether the dtype holds floating-point numbers.
     *
     * @return true for {@link #FLOAT32}, {@link #FLOAT16} and {@link #BFLOAT16}
     */
    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /**
     * Whether the dtype is one of the two 16-bit floating-point types.
     *
     * @return true for {@link #FLOAT16} and {@link #BFLOAT16}
     */
    public boolean isHalf() {
        return this == FLOAT16 || this == BFLOAT16;
    }
}
