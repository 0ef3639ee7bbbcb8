package dev.kengine.conformance.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.random.CounterRandom;
import dev.kengine.random.Philox;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The oracle checked against published answers and against the engine's reference generator. */
class OracleSelfTest {
    private static long[] kat(long c0, long c1, long c2, long c3, long k0, long k1) {
        return Philox4x32.block(c0, c1, c2, c3, k0, k1);
    }

    @Test
    @DisplayName("the directional difference is v·∇f, the sensitivity Σ|s_j·∂g_i/∂s_j| with zeros skipped")
    void directionalAndSensitivity() {
        // f(x) = x0²·x1 + sin(x2): ∇f = (2x0x1, x0², cos x2)
        double[] x = {1.5, -2.25, 0.75};
        double[] v = {0.3, -1.1, 2.0};
        double expected = 0.3 * 2 * 1.5 * -2.25 + -1.1 * 1.5 * 1.5 + 2.0 * Math.cos(0.75);
        double d = FiniteDifference.directional(p -> p[0] * p[0] * p[1] + Math.sin(p[2]), x, v);
        assertEquals(expected, d, 1e-8 * Math.abs(expected));
        // g(s) = (s0·s1, s0², 5): S = (|s0·s1| + |s1·s0|, |2s0²|, 0); s2 = 0 is exact and skipped.
        double[] s = {2, 3, 0};
        double[] sens = FiniteDifference.sensitivity(p -> new double[] {p[0] * p[1], p[0] * p[0], 5 + p[2]}, s);
        assertEquals(12, sens[0], 1e-6);
        assertEquals(8, sens[1], 1e-6);
        assertEquals(0, sens[2], 0);
    }

    @Test
    @DisplayName("the oracle's Philox4x32-10 reproduces the Random123 known-answer vectors")
    void philoxKnownAnswers() {
        assertArrayEquals(new long[] {0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L}, kat(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new long[] {0x408f276dL, 0x41c83b0eL, 0xa20bc7c6L, 0x6d5451fdL},
                kat(0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL, 0xffffffffL));
        assertArrayEquals(new long[] {0xd16cfe09L, 0x94fdccebL, 0x5001e420L, 0x24126ea1L},
                kat(0x243f6a88L, 0x85a308d3L, 0x13198a2eL, 0x03707344L, 0xa4093822L, 0x299f31d0L));
    }

    @Test
    @DisplayName("engine-api's Philox and CounterRandom agree with the oracle bit for bit")
    void counterRandomAgrees() {
        SplittableRandom r = new SplittableRandom(1);
        int[] out = new int[4];
        for (int i = 0; i < 20_000; i++) {
            int c0 = r.nextInt(), c1 = r.nextInt(), c2 = r.nextInt(), c3 = r.nextInt(), k0 = r.nextInt(), k1 = r.nextInt();
            Philox.block(c0, c1, c2, c3, k0, k1, out);
            long[] mine = Philox4x32.block(c0, c1, c2, c3, k0, k1);
            for (int j = 0; j < 4; j++) {
                assertEquals(mine[j], out[j] & 0xFFFFFFFFL);
            }
            long seed = r.nextLong(), offset = r.nextLong(), index = r.nextLong() >>> r.nextInt(64);
            assertEquals(RandomOracle.uniformBits(seed, offset, index), CounterRandom.bits(seed, offset, index) & 0xFFFFFFFFL);
            float p = (float) r.nextDouble();
            assertEquals(RandomOracle.kept(seed, offset, index, p), CounterRandom.keep(seed, offset, index, p));
            assertEquals(Float.floatToRawIntBits(RandomOracle.uniform(seed, offset, index, -0.3, 1.7)),
                    Float.floatToRawIntBits(CounterRandom.uniform(seed, offset, index, -0.3, 1.7)));
            assertEquals(Float.floatToRawIntBits(RandomOracle.normal(seed, offset, index, 0.25, 3.0)),
                    Float.floatToRawIntBits(CounterRandom.normal(seed, offset, index, 0.25, 3.0)));
            assertEquals(Float.floatToRawIntBits(RandomOracle.dropoutScale(p)), Float.floatToRawIntBits(CounterRandom.dropoutScale(p)));
        }
    }

    @Test
    @DisplayName("the portable ln and cos2pi match the engine's to the bit and the JDK's to 1e-15")
    void portableMath() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 100_000; i++) {
            double u = r.nextDouble();
            double x = Math.scalb(1.0 + r.nextDouble(), r.nextInt(-1000, 1000));
            assertEquals(Double.doubleToRawLongBits(CounterRandom.ln(x)), Double.doubleToRawLongBits(PortableMath.ln(x)), "ln " + x);
            assertEquals(Double.doubleToRawLongBits(CounterRandom.cos2pi(u)), Double.doubleToRawLongBits(PortableMath.cos2pi(u)), "cos2pi " + u);
            assertEquals(Math.log(x), PortableMath.ln(x), 4e-16 * Math.max(1, Math.abs(Math.log(x))), "ln " + x);
            assertEquals(Math.cos(2 * Math.PI * u), PortableMath.cos2pi(u), 2e-15, "cos2pi " + u);
        }
    }

    @Test
    @DisplayName("erf and erfc are accurate to about 1e-15 relative")
    void erf() {
        assertEquals(0.5204998778130465, Erf.erf(0.5), 3e-16);
        assertEquals(0.8427007929497149, Erf.erf(1.0), 2e-16);
        assertEquals(0.9953222650189527, Erf.erf(2.0), 2e-16);
        assertEquals(0.15729920705028513, Erf.erfc(1.0), 2e-16);
        assertEquals(2.209049699858544e-05, Erf.erfc(3.0), 2.209049699858544e-05 * 1e-14);
        assertEquals(1.5374597944280349e-12, Erf.erfc(5.0), 1.5374597944280349e-12 * 1e-14);
        assertEquals(2.088487583762545e-45, Erf.erfc(10.0), 2.088487583762545e-45 * 1e-14);
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        // The two methods agree where they meet, and the fraction has converged.
        for (double x = 1.5; x <= 3.0; x += 0.125) {
            double viaSeries = 1.0 - Erf.series(x);
            double viaFraction = Erf.fraction(x);
            assertEquals(viaFraction, viaSeries, 1e-15, "erfc " + x); // 1 − erf loses only absolute precision
            assertEquals(Erf.fraction(x, 8000), viaFraction, Math.abs(viaFraction) * 1e-15, "fraction converged at " + x);
        }
        for (double x = -6; x <= 6; x += 0.01) {
            assertEquals(1.0, Erf.erf(x) + Erf.erfc(x), 4e-16);
            assertEquals(-Erf.erf(x), Erf.erf(-x), 0.0);
        }
    }

    @Test
    @DisplayName("the normal CDF keeps relative accuracy deep in the lower tail")
    void normalCdfTail() {
        // Φ(−10) = 7.619853024160527e-24 (tables of the normal distribution)
        assertEquals(7.619853024160527e-24, ActivationOracle.normalCdf(-10), 7.6e-24 * 1e-13);
        assertTrue(ActivationOracle.normalCdf(-30) > 0);
    }
}
