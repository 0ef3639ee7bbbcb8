package dev.kengine.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class CounterRandomTest {

    @Test
    @DisplayName("Philox4x32-10 matches the published known-answer vectors")
    void philoxKnownAnswers() {
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    @DisplayName("the portable ln agrees with Math.log to within 2 ulp over (0, 1]")
    void portableLn() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            double u = ((r.nextInt() & 0xFFFFFFFFL) + 1.0) * 0x1p-32;
            double expected = Math.log(u);
            assertEquals(expected, CounterRandom.ln(u), 2 * Math.ulp(expected), "ln(" + u + ")");
        }
        assertEquals(0.0, CounterRandom.ln(1.0));
        assertEquals(Math.log(0x1p-32), CounterRandom.ln(0x1p-32), 1e-14);
    }

    @Test
    @DisplayName("the portable cos2pi agrees with Math.cos(2πu) to within 1e-15 over [0, 1)")
    void portableCos() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 200_000; i++) {
            double u = (r.nextInt() & 0xFFFFFFFFL) * 0x1p-32;
            assertEquals(Math.cos(2 * Math.PI * u), CounterRandom.cos2pi(u), 1e-15, "cos2pi(" + u + ")");
        }
        for (double u : new double[] {0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875}) {
            assertEquals(Math.cos(2 * Math.PI * u), CounterRandom.cos2pi(u), 1e-15, "cos2pi(" + u + ")");
        }
    }

    @Test
    @DisplayName("uniform bits: four consecutive elements share one Philox block, lanes in order")
    void bitsLayout() {
        int[] out = new int[4];
        long seed = 0x0123456789ABCDEFL;
        long offset = 0xFEDCBA9876543210L;
        long q = 5;
        Philox.block((int) q, 0, (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32), out);
        for (int lane = 0; lane < 4; lane++) {
            assertEquals(out[lane], CounterRandom.bits(seed, offset, 4 * q + lane));
        }
    }

    @Test
    @DisplayName("dropout scale is exactly 1 at p = 0 and a float in [0, 1) is produced from bits")
    void scaleAndUnit() {
        assertEquals(1f, CounterRandom.dropoutScale(0f));
        assertEquals(2f, CounterRandom.dropoutScale(0.5f));
        assertEquals(0f, CounterRandom.unitFloat(0));
        assertTrue(CounterRandom.unitFloat(-1) < 1f);
        assertEquals(1f - 0x1p-24f, CounterRandom.unitFloat(-1));
    }

    @Test
    @DisplayName("normal values have mean 0 and variance 1 within statistical bounds")
    void normalMoments() {
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            double z = CounterRandom.normal(42, 7, i, 0, 1);
            sum += z;
            sumSq += z * z;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        assertEquals(0, mean, 6 / Math.sqrt(n));
        assertEquals(1, var, 6 * Math.sqrt(2.0 / n));
    }
}
