package dev.kengine.cpu.gemm;

import dev.kengine.Conversions;

/**
 * One operand of a product, as the packers read it: float32 values, or bfloat16 or float16 bits that the packers
 * widen to float32 as they copy them into the packed panels. Widening is exact, so a half-precision operand packs
 * into the very floats that packing its float32 copy gives, and the product has the same bits; what it saves is the
 * copy (a pass that writes twice the operand's size and one that reads it back).
 *
 * <p>Offsets and leading dimensions count elements, whatever the element type. The kernels that read an operand
 * without packing it ({@link GemmKernel#direct}) widen a half-precision one into float32 scratch first.
 */
public final class GemmOperand {

    private final float[] floats;
    private final short[] halves;
    private final boolean bf16;

    private GemmOperand(float[] floats, short[] halves, boolean bf16) {
        this.floats = floats;
        this.halves = halves;
        this.bf16 = bf16;
    }

    /** float32 values. */
    public static GemmOperand of(float[] values) {
        return new GemmOperand(values, null, false);
    }

    /** bfloat16 bits. */
    public static GemmOperand bfloat16(short[] bits) {
        return new GemmOperand(null, bits, true);
    }

    /** float16 bits. */
    public static GemmOperand float16(short[] bits) {
        return new GemmOperand(null, bits, false);
    }

    /** Whether the elements are half-precision bits ({@link #halves}) rather than floats ({@link #floats}). */
    public boolean isHalf() {
        return halves != null;
    }

    /** The float32 values; null for a half-precision operand. */
    public float[] floats() {
        return floats;
    }

    /** The half-precision bits; null for a float32 operand. */
    public short[] halves() {
        return halves;
    }

    /** Whether the half-precision bits are bfloat16 (else float16). */
    public boolean bf16() {
        return bf16;
    }

    /**
     * A contiguous run of n elements from {@code from}, as floats: a float32 operand's own array (the run at
     * {@code from}), or a half-precision one's widened into {@code scratch} (the run at 0); {@link #runStart} says
     * which.
     */
    float[] run(int from, int n, float[] scratch) {
        if (halves == null) {
            return floats;
        }
        widen(halves, bf16, from, scratch, 0, n);
        return scratch;
    }

    /** Where {@link #run} puts its first element. */
    int runStart(int from) {
        return halves == null ? from : 0;
    }

    /** dst[dOff + i] = the float value of the half-precision bits src[sOff + i] (exact), for i in [0, n). */
    public static void widen(short[] src, boolean bf16, int sOff, float[] dst, int dOff, int n) {
        if (bf16) {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = Float.intBitsToFloat(src[sOff + i] << 16);
            }
        } else {
            for (int i = 0; i < n; i++) {
                dst[dOff + i] = Conversions.fromFloat16(src[sOff + i]);
            }
        }
    }
}
