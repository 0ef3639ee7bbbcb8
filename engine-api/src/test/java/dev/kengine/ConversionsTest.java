package dev.kengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The conversion rules against independent references: the JDK's float16, double arithmetic, BigDecimal. */
class ConversionsTest {

    @Test
    void float16FromEveryPatternIsTheJdksValueAndRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Conversions.fromFloat16((short) h);
            boolean nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
            if (nan) {
                assertTrue(Float.isNaN(f), Integer.toHexString(h));
                int bits = Float.floatToRawIntBits(f);
                assertEquals(h >>> 15, bits >>> 31, "sign of " + Integer.toHexString(h));
                assertEquals(h & 0x3FF, (bits >>> 13) & 0x3FF, "payload of " + Integer.toHexString(h));
                // A quiet half NaN comes back unchanged; a signalling one comes back quiet.
                int back = Conversions.toFloat16(f) & 0xFFFF;
                assertEquals(h | 0x200, back, Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat((short) h)), Float.floatToRawIntBits(f),
                        Integer.toHexString(h));
                assertEquals(h, Conversions.toFloat16(f) & 0xFFFF, Integer.toHexString(h));
            }
        }
    }

    @Test
    void bfloat16FromEveryPatternRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Conversions.fromBFloat16((short) h);
            assertEquals(h << 16, Float.floatToRawIntBits(f));
            int back = Conversions.toBFloat16(f) & 0xFFFF;
            boolean nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0;
            assertEquals(nan ? h | 0x40 : h, back, Integer.toHexString(h));
        }
    }

    /** Every float's float16, against the JDK's rounding (NaN aside, whose payload rule is ours). */
    @Test
    void float16RoundingMatchesTheJdkOnASweepOfFloats() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 4_000_000; i++) {
            int bits = i < 2_000_000 ? r.nextInt() : (0x33000000 + r.nextInt(0x14800000)) | (r.nextBoolean() ? 0x80000000 : 0);
            checkFloat16(bits);
        }
        // Every midpoint and its neighbours, for every float16 exponent, subnormals included.
        for (int h = 0; h < 0x7C00; h++) {
            float lo = Conversions.fromFloat16((short) h);
            float hi = Conversions.fromFloat16((short) (h + 1));
            float mid = (float) (((double) lo + hi) / 2);
            for (int d = -2; d <= 2; d++) {
                checkFloat16(Float.floatToRawIntBits(mid) + d);
                checkFloat16(Float.floatToRawIntBits(-mid) + d);
            }
        }
    }

    private static void checkFloat16(int bits) {
        float f = Float.intBitsToFloat(bits);
        if (!Float.isNaN(f)) {
            assertEquals(Float.floatToFloat16(f), Conversions.toFloat16(f), () -> Integer.toHexString(bits));
        }
    }

    @Test
    void float16EdgeValues() {
        assertEquals(0x7BFF, Conversions.toFloat16(65504f) & 0xFFFF);
        assertEquals(0x7BFF, Conversions.toFloat16(Math.nextDown(65520f)) & 0xFFFF);
        assertEquals(0x7C00, Conversions.toFloat16(65520f) & 0xFFFF);
        assertEquals(0xFC00, Conversions.toFloat16(Float.NEGATIVE_INFINITY) & 0xFFFF);
        assertEquals(0x8000, Conversions.toFloat16(-0f) & 0xFFFF);
        assertEquals(0x0000, Conversions.toFloat16(0x1p-25f) & 0xFFFF);
        assertEquals(0x0001, Conversions.toFloat16(Math.nextUp(0x1p-25f)) & 0xFFFF);
        assertEquals(0x0002, Conversions.toFloat16(0x1.4p-23f) & 0xFFFF); // 2.5 · 2⁻²⁴: tie to even
        assertEquals(0x0004, Conversions.toFloat16(0x1.cp-23f) & 0xFFFF); // 3.5 · 2⁻²⁴
        assertEquals(0x7E00, Conversions.toFloat16(Float.NaN) & 0xFFFF);
        assertEquals(0xFE00 | 0x1FF, Conversions.toFloat16(Float.intBitsToFloat(0xFFFFFFFF)) & 0xFFFF);
    }

    /** float32 → bfloat16 against rounding the exact value with BigDecimal-free double arithmetic. */
    @Test
    void bfloat16RoundsToNearestEven() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 2_000_000; i++) {
            int bits = r.nextInt();
            float f = Float.intBitsToFloat(bits);
            if (Float.isNaN(f)) {
                assertEquals((bits >>> 16) | 0x40, Conversions.toBFloat16(f) & 0xFFFF);
                continue;
            }
            int lo = bits & 0xFFFF0000;
            int rest = bits & 0xFFFF;
            int expect = lo >>> 16;
            if (rest > 0x8000 || (rest == 0x8000 && (expect & 1) == 1)) {
                expect++;
            }
            assertEquals(expect & 0xFFFF, Conversions.toBFloat16(f) & 0xFFFF, Integer.toHexString(bits));
        }
        assertEquals(0x7F80, Conversions.toBFloat16(Float.MAX_VALUE) & 0xFFFF);
        assertEquals(0x7F7F, Conversions.toBFloat16(Float.intBitsToFloat(0x7F7F7FFF)) & 0xFFFF);
        assertEquals(0x0001, Conversions.toBFloat16(Float.intBitsToFloat(0x00008001)) & 0xFFFF);
        assertEquals(0x0000, Conversions.toBFloat16(Float.intBitsToFloat(0x00008000)) & 0xFFFF);
        assertEquals(0x8000, Conversions.toBFloat16(-0f) & 0xFFFF);
    }

    /** int32 → bfloat16 rounds once: the exact value, rounded by BigDecimal to 8 significant bits. */
    @Test
    void int32ToBFloat16RoundsOnce() {
        SplittableRandom r = new SplittableRandom(3);
        int[] special = {0, 1, -1, 255, 256, 257, 16_777_217, 0x01018000, 0x01028000, Integer.MAX_VALUE, Integer.MIN_VALUE,
            -0x01018000};
        for (int i = 0; i < 200_000 + special.length; i++) {
            int x = i < special.length ? special[i] : (r.nextBoolean() ? r.nextInt() : r.nextInt() >> r.nextInt(31));
            float got = Conversions.fromBFloat16(Conversions.int32ToBFloat16(x));
            assertEquals(nearestBFloat16(x), got, 0f, () -> Integer.toString(x));
        }
        // 2²⁴ + 2¹⁶ + 1: float32 rounds it to the bfloat16 midpoint 2²⁴ + 2¹⁶, which then ties down to 2²⁴;
        // rounded once it goes up to 2²⁴ + 2¹⁷.
        int x = 0x01010001;
        float twice = Conversions.fromBFloat16(Conversions.toBFloat16((float) x));
        float once = Conversions.fromBFloat16(Conversions.int32ToBFloat16(x));
        assertEquals(0x1p24f, twice, 0f);
        assertEquals(0x1p24f + 0x1p17f, once, 0f);
        assertEquals(Conversions.int32ToBFloat16(x) & 0xFFFF, Conversions.convert(DType.INT32, x, DType.BFLOAT16));
    }

    private static float nearestBFloat16(int x) {
        BigDecimal v = new BigDecimal(x);
        float best = 0;
        BigDecimal bestErr = null;
        float f = (float) x;
        short c = Conversions.toBFloat16(f);
        for (int d = -2; d <= 2; d++) {
            float cand = Conversions.fromBFloat16((short) (c + d));
            if (Float.isInfinite(cand) || Float.isNaN(cand)) {
                continue;
            }
            BigDecimal err = new BigDecimal(cand).subtract(v).abs();
            int cmp = bestErr == null ? -1 : err.compareTo(bestErr);
            boolean even = ((Conversions.toBFloat16(cand)) & 1) == 0;
            if (cmp < 0 || (cmp == 0 && even)) {
                best = cand;
                bestErr = err;
            }
        }
        return best;
    }

    @Test
    void integerConversionsSaturateAndTruncate() {
        assertEquals(0, Conversions.toInt32(Float.NaN));
        assertEquals(Integer.MAX_VALUE, Conversions.toInt32(3e9f));
        assertEquals(Integer.MIN_VALUE, Conversions.toInt32(Float.NEGATIVE_INFINITY));
        assertEquals(-2, Conversions.toInt32(-2.9f));
        assertEquals(0, Conversions.toUint8(-0.5f));
        assertEquals(0, Conversions.toUint8(Float.NaN));
        assertEquals(255, Conversions.toUint8(1e9f) & 0xFF);
        assertEquals(254, Conversions.toUint8(254.99f) & 0xFF);
        assertEquals(0, Conversions.int32ToUint8(-7));
        assertEquals(255, Conversions.int32ToUint8(256) & 0xFF);
        assertEquals(200, Conversions.convert(DType.UINT8, 200, DType.INT32));
        assertEquals(Float.floatToRawIntBits(200f), Conversions.convert(DType.UINT8, 200, DType.FLOAT32));
        assertEquals(Conversions.toFloat16(16_777_216f) & 0xFFFF, Conversions.convert(DType.INT32, 16_777_217, DType.FLOAT16));
        // Half to half goes through float32 exactly: one rounding.
        short h = Conversions.toFloat16(1.00390625f); // 1 + 2⁻⁸, exact in float16
        assertEquals(Conversions.toBFloat16(1.00390625f) & 0xFFFF, Conversions.convert(DType.FLOAT16, h, DType.BFLOAT16));
        assertEquals(0x3F80, Conversions.toBFloat16(1.00390625f) & 0xFFFF); // tie to even: down to 1
    }
}
