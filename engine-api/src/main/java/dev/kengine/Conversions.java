package dev.kengine;

/**
 * The conversions between dtypes, written out so that every backend produces the same bits. Uploads
 * of {@code float[]} into a half-precision tensor, downloads of one into {@code float[]} and
 * {@link Backend#cast} all follow these rules; the conformance kit checks every backend against this
 * class on all 65,536 patterns of each 16-bit type and on every rounding midpoint.
 *
 * <ul>
 *   <li><b>float32 → bfloat16</b>: round to nearest, ties to even, on the upper 16 bits. Values past
 *       the largest bfloat16 (by half a unit in the last place or more) become ±∞; ±∞ and ±0 are kept;
 *       float32 subnormals round like any other value (so bfloat16 subnormals are produced). A NaN
 *       becomes a quiet NaN that keeps the sign and the upper 6 payload bits:
 *       {@code (bits >>> 16) | 0x0040}.
 *   <li><b>float32 → float16</b>: round to nearest, ties to even. Magnitudes from 65520 up (the
 *       midpoint between 65504 and 2¹⁶) become ±∞; magnitudes up to 2⁻²⁵ (the midpoint between 0 and
 *       the smallest subnormal 2⁻²⁴) become ±0; between, float16 subnormals are produced. ±∞ and ±0 are
 *       kept. A NaN becomes {@code sign | 0x7E00 | ((bits >>> 13) & 0x1FF)}: quiet, sign and upper 9
 *       payload bits kept.
 *   <li><b>bfloat16 / float16 → float32</b>: exact (every half value, subnormals included, is a
 *       float32); a NaN's payload moves up unchanged, so a quiet NaN stays quiet.
 *   <li><b>float16 ↔ bfloat16</b>: exactly to float32, then rounded once by the rules above.
 *   <li><b>floating point → int32</b>: toward zero; NaN → 0; out of range saturates to
 *       {@link Integer#MIN_VALUE} / {@link Integer#MAX_VALUE} (Java's {@code (int)} cast).
 *   <li><b>floating point → uint8</b>: toward zero; NaN → 0; below 0 → 0, above 255 → 255.
 *   <li><b>int32 → float32</b>: round to nearest, ties to even (exact up to 2²⁴ in magnitude).
 *       <b>int32 → bfloat16</b>: rounded once, to nearest, ties to even (not through float32, which
 *       could round twice). <b>int32 → float16</b>: through float32 (exact for every int32 that does
 *       not overflow float16), then the float16 rule.
 *   <li><b>uint8 → anything</b>: exact. <b>int32 → uint8</b>: saturates to 0..255.
 * </ul>
 *
 * <p>Half-precision values are passed as their raw 16 bits in a {@code short}.
 */
public final class Conversions {
    private Conversions() {
    }

    /**
     * float32 to bfloat16, rounded to nearest even.
     *
     * @param f any float
     * @return the bfloat16 bits
     */
    public static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * float32 to float16, rounded to nearest even.
     *
     * @param f any float
     * @return the float16 bits
     */
    public static short toFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int a = bits & 0x7FFFFFFF;
        if (a > 0x7F800000) {
            return (short) (sign | 0x7E00 | ((a >>> 13) & 0x1FF));
        }
        if (a >= 0x477FF000) {
            return (short) (sign | 0x7C00);
        }
        if (a >= 0x38800000) {
            int r = a + 0xFFF + ((a >>> 13) & 1);
            return (short) (sign | ((r - 0x38000000) >>> 13));
        }
        if (a <= 0x33000000) {
            return (short) sign;
        }
        int e = a >>> 23;
        int m = (a & 0x7FFFFF) | 0x800000;
        int shift = 126 - e;
        int h = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rem > half || (rem == half && (h & 1) != 0)) {
            h++;
        }
        return (short) (sign | h);
    }

    /**
     * bfloat16 to float32, exactly.
     *
     * @param bits the bfloat16 bits
     * @return the float whose upper half is {@code bits}
     */
    public static float fromBFloat16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * float16 to float32, exactly.
     *
     * @param bits the float16 bits
     * @return the same value as a float; a NaN keeps its sign and payload
     */
    public static float fromFloat16(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int frac = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (frac << 13));
        }
        if (exp != 0) {
            return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (frac << 13));
        }
        if (frac == 0) {
            return Float.intBitsToFloat(sign);
        }
        // Subnormal: frac · 2⁻²⁴, exact in float32.
        float v = frac * 0x1p-24f;
        return sign != 0 ? -v : v;
    }

    /**
     * int32 to bfloat16, rounded once to nearest even.
     *
     * @param x any int
     * @return the bfloat16 bits
     */
    public static short int32ToBFloat16(int x) {
        if (x == 0) {
            return 0;
        }
        int sign = x < 0 ? 0x8000 : 0;
        long a = Math.abs((long) x);
        int p = 63 - Long.numberOfLeadingZeros(a);
        long mant;
        if (p <= 7) {
            mant = a << (7 - p);
        } else {
            int shift = p - 7;
            mant = a >>> shift;
            long rem = a & ((1L << shift) - 1);
            long half = 1L << (shift - 1);
            if (rem > half || (rem == half && (mant & 1) != 0)) {
                mant++;
                if (mant == 0x100) {
                    mant = 0x80;
                    p++;
                }
            }
        }
        return (short) (sign | ((127 + p) << 7) | (int) (mant & 0x7F));
    }

    /**
     * A float to int32: toward zero, NaN to 0, saturating.
     *
     * @param f any float
     * @return {@code (int) f}
     */
    public static int toInt32(float f) {
        return (int) f;
    }

    /**
     * A float to uint8: toward zero, NaN to 0, saturating to 0..255.
     *
     * @param f any float
     * @return the byte, to be read as unsigned
     */
    public static byte toUint8(float f) {
        if (!(f > 0)) {
            return 0;
        }
        return f >= 255 ? (byte) 255 : (byte) (int) f;
    }

    /**
     * An int32 to uint8, saturating to 0..255.
     *
     * @param x any int
     * @return the byte, to be read as unsigned
     */
    public static byte int32ToUint8(int x) {
        return (byte) Math.max(0, Math.min(255, x));
    }

    /**
     * An element's value as a float, from its raw bits in the given dtype: exact for the half types
     * and uint8, rounded to nearest even for int32.
     *
     * @param dtype the element's dtype
     * @param bits the raw bits, in the low {@code 8·dtype.byteSize()} bits
     * @return the value
     */
    public static float toFloat(DType dtype, int bits) {
        return switch (dtype) {
            case FLOAT32 -> Float.intBitsToFloat(bits);
            case FLOAT16 -> fromFloat16((short) bits);
            case BFLOAT16 -> fromBFloat16((short) bits);
            case INT32 -> (float) bits;
            case UINT8 -> (float) (bits & 0xFF);
        };
    }

    /**
     * Converts one element between dtypes by the rules above.
     *
     * @param from the source dtype
     * @param bits the source element's raw bits, in the low bits
     * @param to the destination dtype
     * @return the destination element's raw bits, in the low bits (zero-extended)
     */
    public static int convert(DType from, int bits, DType to) {
        if (from == to) {
            return bits & mask(to);
        }
        if (from == DType.INT32) {
            switch (to) {
                case BFLOAT16:
                    return int32ToBFloat16(bits) & 0xFFFF;
                case UINT8:
                    return int32ToUint8(bits) & 0xFF;
                default:
                    break;
            }
        }
        if (from == DType.UINT8 && to == DType.INT32) {
            return bits & 0xFF;
        }
        float f = toFloat(from, bits);
        return switch (to) {
            case FLOAT32 -> Float.floatToRawIntBits(f);
            case FLOAT16 -> toFloat16(f) & 0xFFFF;
            case BFLOAT16 -> toBFloat16(f) & 0xFFFF;
            case INT32 -> toInt32(f);
            case UINT8 -> toUint8(f) & 0xFF;
        };
    }

    private static int mask(DType t) {
        return switch (t.byteSize()) {
            case 1 -> 0xFF;
            case 2 -> 0xFFFF;
            default -> -1;
        };
    }
}
