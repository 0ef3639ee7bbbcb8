package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.PreluGradients;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hand-computed values, on both the SIMD and the scalar kernels. */
@DisplayName("Golden values")
class GoldenValuesTest {
    static final float INF = Float.POSITIVE_INFINITY;
    static Backend simd;
    static Backend scalar;

    @BeforeAll
    static void open() {
        simd = Engine.open("cpu", Map.of("simd", "true", "threads", "2"));
        scalar = Engine.open("cpu", Map.of("simd", "false", "threads", "2"));
    }

    @AfterAll
    static void close() {
        simd.close();
        scalar.close();
    }

    static Backend backend(boolean useSimd) {
        return useSimd ? simd : scalar;
    }

    /** act applied to each value, padded with copies to 37 elements so the vector path sees them too. */
    static float[] act(Backend b, Activation a, float... x) {
        float[] padded = new float[37];
        for (int i = 0; i < padded.length; i++) {
            padded[i] = x[i % x.length];
        }
        try (Tensor t = b.of(padded); Tensor y = b.activation(t, a)) {
            float[] all = y.toArray();
            // Vector lanes and the scalar tail round differently, so they agree to a few ulps, not bits.
            for (int i = x.length; i < all.length; i++) {
                float first = all[i % x.length];
                assertEquals(first, all[i], Float.isFinite(first) ? Math.abs(first) * 1e-5f : 0f,
                        a + " element " + i + " differs from the same input at " + (i % x.length));
            }
            return Arrays.copyOf(all, x.length);
        }
    }

    static float[] grad(Backend b, Activation a, float... x) {
        float[] y = act(b, a, x);
        float[] dy = new float[x.length];
        Arrays.fill(dy, 1f);
        try (Tensor tdy = b.of(dy); Tensor tx = b.of(x); Tensor ty = b.of(y); Tensor g = b.activationBackward(tdy, tx, ty, a)) {
            return g.toArray();
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void activations(boolean useSimd) {
        Backend b = backend(useSimd);
        float[] s = act(b, Activation.SIGMOID, 100f, -100f, 0f, INF, -INF);
        assertEquals(1f, s[0]);
        assertEquals(3.720076e-44f, s[1], 1.5e-45f);
        assertEquals(0.5f, s[2]);
        assertEquals(1f, s[3]);
        assertEquals(0f, s[4]);

        float[] sp = act(b, Activation.SOFTPLUS, 1000f, -1000f, 0f, INF, -INF);
        assertArrayEquals(new float[] {1000f, 0f, (float) Math.log(2), INF, 0f}, sp, 1e-7f);

        float[] r = act(b, Activation.RELU, -0f, Float.NaN, 2f, -3f);
        assertEquals(0, Float.floatToRawIntBits(r[0]), "relu(-0) is +0");
        assertTrue(Float.isNaN(r[1]));
        assertEquals(2f, r[2]);
        assertEquals(0, Float.floatToRawIntBits(r[3]));

        float[] g = act(b, Activation.GELU, 1f, -1f, -10f, INF, -INF, Float.NaN);
        assertEquals(0.8413447460685429f, g[0], 1e-7f);
        assertEquals(-0.15865525393145707f, g[1], 1e-7f);
        // Both kernels keep the far tail's relative accuracy (erfc's, within 1.2e-7, plus the rounding).
        assertEquals(-7.619853024160593e-23f, g[2], 7.62e-23f * 3e-7f);
        assertTrue(g[2] <= 0f, "gelu(-10) = " + g[2]);
        assertEquals(INF, g[3]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(g[4]), "gelu(-inf) is -0");
        assertTrue(Float.isNaN(g[5]));
        assertArrayEquals(new float[] {1.0833154705876864f, 0f, 1f}, grad(b, Activation.GELU, 1f, -INF, INF), 1e-6f);

        float[] gt = act(b, Activation.GELU_TANH, 1f, -1f, -3f, INF, -INF);
        assertEquals(0.8411919906082768f, gt[0], 1e-6f);
        assertEquals(-0.15880800939172324f, gt[1], 1e-6f);
        // The vector kernel's x/2·(1 + tanh) cancels here: within a few 2⁻²⁴·|x| (the kit allows 16).
        assertEquals(-0.0036373920817729943f, gt[2], useSimd ? 4 * 0x1p-24f * 3 : 1e-8f);
        assertEquals(INF, gt[3]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(gt[4]), "gelu_tanh(-inf) is -0");
        // The slope's limit at −∞ is 0 approached from below: ±0 both pass.
        assertArrayEquals(new float[] {0f, 1f}, grad(b, Activation.GELU_TANH, -INF, INF), 0f);
        // In the negative tail both forms keep relative accuracy (the vector kernel by its double tail path).
        float[] tail = act(b, Activation.GELU_TANH, -5f, -9f);
        assertEquals(-2.2917958e-7f, tail[0], 2.3e-7f * 1e-6f);
        assertEquals(-9.0 * 1 / (1 + Math.exp(1.5957691216057308 * 9 * (1 + 0.044715 * 81))), tail[1], 1e-5 * Math.abs(tail[1]));

        float[] sw = act(b, Activation.SILU, -INF, INF, 1f);
        assertEquals(0, Float.floatToRawIntBits(sw[0]), "silu(-inf) is +0");
        assertEquals(INF, sw[1]);
        assertEquals(0.7310585786300049f, sw[2], 1e-7f);
        assertArrayEquals(new float[] {0f, 1f}, grad(b, Activation.SILU, -INF, INF));

        assertArrayEquals(new float[] {-1f, 2f}, act(b, Activation.elu(1f), -INF, 2f));
        assertArrayEquals(new float[] {-1f, 1f}, act(b, Activation.TANH, -INF, INF));
        assertArrayEquals(new float[] {-0.5f, 3f}, act(b, Activation.leakyRelu(0.25f), -2f, 3f));
        float[] nanGrads = grad(b, Activation.RELU, Float.NaN, -1f, 1f);
        assertTrue(Float.isNaN(nanGrads[0]));
        assertEquals(0f, nanGrads[1]);
        assertEquals(1f, nanGrads[2]);
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void softmaxAndLosses(boolean useSimd) {
        Backend b = backend(useSimd);
        try (Tensor x = b.of(new float[] {1000f, 0f}, 1, 2); Tensor ls = b.logSoftmax(x); Tensor sm = b.softmax(x)) {
            assertArrayEquals(new float[] {0f, -1000f}, ls.toArray());
            assertArrayEquals(new float[] {1f, 0f}, sm.toArray());
            try (LossAndGradient ce = b.softmaxCrossEntropy(x, new int[] {1}, Reduction.MEAN)) {
                assertEquals(1000f, ce.loss().item());
                assertArrayEquals(new float[] {1f, -1f}, ce.gradient().toArray());
            }
        }
        try (Tensor x = b.of(new float[] {0f, 0f, 1f, 2f}, 2, 2);
             Tensor t = b.of(new float[] {0.5f, 0.5f, 0f, 1f}, 2, 2);
             LossAndGradient ce = b.softmaxCrossEntropy(x, t, Reduction.SUM)) {
            double second = Math.log(Math.exp(1) + Math.exp(2)) - 2;
            assertEquals((float) (Math.log(2) + second), ce.loss().item(), 1e-6f);
        }
        try (Tensor p = b.of(new float[] {0f, 1f, 0.5f}); Tensor t = b.of(new float[] {1f, 1f, 0.5f});
             Tensor l = b.loss(p, t, Loss.BINARY_CROSS_ENTROPY, Reduction.SUM)) {
            assertEquals((float) (100 + Math.log(2)), l.item(), 1e-4f);
        }
        try (Tensor p = b.of(new float[] {3f, -1f, 0.5f}); Tensor t = b.of(new float[] {0f, 0f, 0f});
             LossAndGradient h = b.lossWithGradient(p, t, Loss.huber(1f), Reduction.MEAN)) {
            assertEquals((2.5f + 0.5f + 0.125f) / 3, h.loss().item(), 1e-7f);
            assertArrayEquals(new float[] {1f / 3, -1f / 3, 0.5f / 3}, h.gradient().toArray(), 1e-7f);
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void reductions(boolean useSimd) {
        Backend b = backend(useSimd);
        float[] tenth = new float[10_000_000];
        Arrays.fill(tenth, 0.1f);
        try (Tensor t = b.of(tenth); Tensor s = b.sum(t); Tensor m = b.mean(t)) {
            assertEquals(1e7 * (double) 0.1f, s.item(), 0.07);
            assertEquals(0.1f, m.item());
        }
        // Each square is far beyond float range; the norm √5·1e38 is not.
        try (Tensor t = b.of(new float[] {2e38f, 1e38f}); Tensor n = b.l2Norm(t)) {
            assertEquals((float) Math.sqrt(4.0 * 1e76 + 1e76), n.item(), 2.3e38f * 1e-7f);
        }
        try (Tensor t = b.of(new float[] {3e-40f, 4e-40f}); Tensor n = b.l2Norm(t)) {
            assertEquals(5e-40f, n.item(), 3e-45f);
        }
        try (Tensor t = b.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 3, 2); Tensor s = b.sum(t, 1)) {
            assertArrayEquals(new float[] {9, 12, 27, 30}, s.toArray());
        }
        try (Tensor t = b.zeros(3, 0); Tensor m = b.mean(t, 1); Tensor s = b.sum(t, 1)) {
            assertTrue(Float.isNaN(m.toArray()[2]));
            assertArrayEquals(new float[3], s.toArray());
        }
        try (Tensor t = b.of(new float[] {1, 5, 5, 2, Float.NaN, 7, -INF, -INF, -INF}, 3, 3); Tensor m = b.max(t)) {
            float[] mx = m.toArray();
            assertEquals(5f, mx[0]);
            assertTrue(Float.isNaN(mx[1]));
            assertEquals(-INF, mx[2]);
            assertArrayEquals(new int[] {1, 1, 0}, b.argmax(t));
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    void layers(boolean useSimd) {
        Backend b = backend(useSimd);
        try (Tensor x = b.of(new float[] {1, 2, 3, 4}, 2, 2); Tensor w = b.of(new float[] {1, 0, -1, 0, -1, 2}, 2, 3);
             Tensor bias = b.of(new float[] {0.5f, 0f, -10f});
             LinearOutput out = b.linear(x, w, bias, Activation.RELU)) {
            assertArrayEquals(new float[] {1.5f, -2f, -7f, 3.5f, -4f, -5f}, out.preActivation().toArray());
            assertArrayEquals(new float[] {1.5f, 0f, 0f, 3.5f, 0f, 0f}, out.output().toArray());
        }
        try (Tensor x = b.of(new float[] {1, -2, 3, -4}, 1, 2, 2); Tensor a = b.of(new float[] {0.1f, 0.5f});
             Tensor y = b.prelu(x, a); Tensor dy = b.of(new float[] {1, 1, 1, 1}, 1, 2, 2);
             PreluGradients g = b.preluBackward(dy, x, a)) {
            assertArrayEquals(new float[] {1f, -0.2f, 3f, -2f}, y.toArray(), 1e-7f);
            assertArrayEquals(new float[] {1f, 0.1f, 1f, 0.5f}, g.dx().toArray(), 1e-7f);
            assertArrayEquals(new float[] {-2f, -4f}, g.dAlpha().toArray());
        }
    }
}
