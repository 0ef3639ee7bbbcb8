package dev.kengine.cpu;

import dev.kengine.Conversions;
import dev.kengine.DType;

/**
 * Conversions between the dtypes of two CPU storages, element by element by the rules of
 * {@link Conversions}. The common pairs (float32 to and from the half types) have their own loops so
 * the JIT can unroll them; the rest go through {@link Conversions#convert}.
 */
final class Casts {
    private Casts() {
    }

    /** Converts elements [s, e) of {@code a} into {@code b}. */
    static void cast(CpuStorage a, CpuStorage b, int s, int e) {
        DType from = a.dtype;
        DType to = b.dtype;
        if (from == DType.FLOAT32 && to == DType.BFLOAT16) {
            float[] x = a.data;
            short[] y = b.shorts();
            for (int i = s; i < e; i++) {
                y[i] = Conversions.toBFloat16(x[i]);
            }
        } else if (from == DType.FLOAT32 && to == DType.FLOAT16) {
            float[] x = a.data;
            short[] y = b.shorts();
            for (int i = s; i < e; i++) {
                y[i] = Conversions.toFloat16(x[i]);
            }
        } else if (from == DType.BFLOAT16 && to == DType.FLOAT32) {
            short[] x = a.shorts();
            float[] y = b.data;
            for (int i = s; i < e; i++) {
                y[i] = Float.intBitsToFloat(x[i] << 16);
            }
        } else if (from == DType.FLOAT16 && to == DType.FLOAT32) {
            short[] x = a.shorts();
            float[] y = b.data;
            for (int i = s; i < e; i++) {
                y[i] = Conversions.fromFloat16(x[i]);
            }
        } else {
            for (int i = s; i < e; i++) {
                write(b, i, Conversions.convert(from, read(a, i), to));
            }
        }
    }

    private static int read(CpuStorage c, int i) {
        return switch (c.dtype) {
            case FLOAT32 -> Float.floatToRawIntBits(c.data[i]);
            case FLOAT16, BFLOAT16 -> c.shorts()[i];
            case INT32 -> c.ints()[i];
            case UINT8 -> c.bytes()[i] & 0xFF;
        };
    }

    private static void write(CpuStorage c, int i, int bits) {
        switch (c.dtype) {
            case FLOAT32 -> c.data[i] = Float.intBitsToFloat(bits);
            case FLOAT16, BFLOAT16 -> c.shorts()[i] = (short) bits;
            case INT32 -> c.ints()[i] = bits;
            case UINT8 -> c.bytes()[i] = (byte) bits;
        }
    }
}
