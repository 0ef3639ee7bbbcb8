package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Conversions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API conversions between float32 and the half types against {@link Conversions}, bit for
 * bit, on every 16-bit pattern and on millions of floats, repeated until the JIT has compiled them
 * (interpreted and compiled vector code must agree).
 */
class HalfConversionSimdTest {

    @Test
    void widenAndNarrowMatchTheRulesBitForBit() {
        Elementwise k = SimdSelection.VECTOR;
        assumeTrue(k != null, "no Vector API here: " + SimdSelection.DESCRIPTION);
        short[] all = new short[0x10000];
        for (int h = 0; h < all.length; h++) {
            all[h] = (short) h;
        }
        float[] wide = new float[all.length];
        short[] back = new short[all.length];
        SplittableRandom r = new SplittableRandom(99);
        float[] x = new float[1 << 16];
        short[] narrow = new short[x.length];
        for (int round = 0; round < 40; round++) {
            for (boolean bf : new boolean[] {true, false}) {
                k.widen(bf, all, 0, wide, 0, all.length);
                for (int h = 0; h < all.length; h++) {
                    float want = bf ? Conversions.fromBFloat16(all[h]) : Conversions.fromFloat16(all[h]);
                    if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(wide[h])) {
                        assertEquals(Integer.toHexString(Float.floatToRawIntBits(want)),
                                Integer.toHexString(Float.floatToRawIntBits(wide[h])), (bf ? "bf16 " : "fp16 ") + Integer.toHexString(h));
                    }
                }
                k.narrow(bf, wide, 0, back, 0, wide.length);
                for (int i = 0; i < x.length; i++) {
                    x[i] = switch (i % 4) {
                        case 0 -> Float.intBitsToFloat(r.nextInt());
                        case 1 -> (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-30, 20)));
                        case 2 -> Float.intBitsToFloat(r.nextInt(0x33000000, 0x39000000) | (r.nextBoolean() ? 0x80000000 : 0));
                        default -> Float.intBitsToFloat((r.nextInt(0x7F80) << 16) | 0x8000 | r.nextInt(3) - 1);
                    };
                }
                k.narrow(bf, x, 3, narrow, 5, x.length - 7);
                for (int i = 3; i < x.length - 4; i++) {
                    short want = bf ? Conversions.toBFloat16(x[i]) : Conversions.toFloat16(x[i]);
                    if (want != narrow[i + 2]) {
                        assertEquals(Integer.toHexString(want & 0xFFFF), Integer.toHexString(narrow[i + 2] & 0xFFFF),
                                (bf ? "bf16 of " : "fp16 of ") + Integer.toHexString(Float.floatToRawIntBits(x[i])));
                    }
                }
            }
        }
    }
}
