package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kengine.Backend;
import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU backend's own half-precision dense layer (forward and backward) and elementwise arithmetic against the
 * float32 ops on the widened values, each result rounded once: bit for bit, for bfloat16 and float16, with and without
 * a bias and the input gradient, several activations, shapes whose rows split across threads and whose columns end
 * off a vector, with the Vector API kernels and with the scalar ones (the arithmetic also under simd=auto, whose
 * kernels start scalar).
 */
class HalfLayerTest {

    private static final int[][] SHAPES = {{1, 1, 1}, {7, 13, 5}, {33, 40, 17}, {300, 70, 33}, {64, 129, 250}};
    private static final Activation[] ACTIVATIONS = {Activation.IDENTITY, Activation.RELU, Activation.GELU,
        Activation.SIGMOID, Activation.leakyRelu(0.1f)};

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(strings = {"true", "false"})
    void sameBitsAsTheFloat32LayerOnTheWidenedValues(String simd) {
        try (Backend be = Engine.open("cpu", Map.of("simd", simd, "threads", "2"))) {
            long seed = 1;
            for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (int[] s : SHAPES) {
                    for (Activation act : ACTIVATIONS) {
                        check(be, h, s[0], s[1], s[2], act, seed % 2 == 0, seed % 3 != 0, seed);
                        seed++;
                    }
                }
            }
        }
    }

    private static short[] halves(DType h, SplittableRandom rnd, int len, double scale) {
        short[] x = new short[len];
        for (int i = 0; i < len; i++) {
            float f = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            x[i] = h == DType.BFLOAT16 ? Conversions.toBFloat16(f) : Conversions.toFloat16(f);
        }
        return x;
    }

    private static void check(Backend be, DType h, int rows, int in, int out, Activation act, boolean withBias,
                              boolean inputGradient, long seed) {
        var rnd = new SplittableRandom(seed);
        String what = h + " " + rows + "x" + in + "x" + out + " " + act + (withBias ? " bias" : "")
                + (inputGradient ? " dx" : "");
        try (Tensor x = be.of(halves(h, rnd, rows * in, 2), h, rows, in);
             Tensor w = be.of(halves(h, rnd, in * out, 0.5), h, in, out);
             Tensor b = withBias ? be.of(halves(h, rnd, out, 0.2), h, out) : null;
             Tensor dy = be.of(halves(h, rnd, rows * out, 1), h, rows, out);
             Tensor xf = be.cast(x, DType.FLOAT32);
             Tensor wf = be.cast(w, DType.FLOAT32);
             Tensor bf = withBias ? be.cast(b, DType.FLOAT32) : null;
             Tensor dyf = be.cast(dy, DType.FLOAT32);
             LinearOutput half = be.linear(x, w, b, act);
             LinearOutput single = be.linear(xf, wf, bf, act)) {
            assertEquals(h, half.output().dtype(), what);
            assertEquals(h, half.preActivation().dtype(), what);
            assertArrayEquals(rounded(be, single.output(), h), half.output().toShortArray(), what + ": y");
            assertArrayEquals(rounded(be, single.preActivation(), h), half.preActivation().toShortArray(), what + ": z");
            // The backward pass from the half layer's own (rounded) z and y; its float32 reference reads the same values.
            try (Tensor zf = be.cast(half.preActivation(), DType.FLOAT32);
                 Tensor yf = be.cast(half.output(), DType.FLOAT32);
                 LinearGradients g = be.linearBackward(dy, half, inputGradient);
                 LinearGradients gf = be.linearBackward(dyf, new LinearOutput(yf, zf, xf, wf, bf, act), inputGradient)) {
                assertEquals(h, g.dw().dtype(), what);
                assertArrayEquals(rounded(be, gf.dw(), h), g.dw().toShortArray(), what + ": dw");
                if (inputGradient) {
                    assertArrayEquals(rounded(be, gf.dx(), h), g.dx().toShortArray(), what + ": dx");
                } else {
                    assertNull(g.dx(), what + ": no dx asked for");
                }
                if (withBias) {
                    assertArrayEquals(rounded(be, gf.db(), h), g.db().toShortArray(), what + ": db");
                } else {
                    assertNull(g.db(), what + ": no bias, no db");
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(strings = {"true", "false", "auto"})
    void arithmeticSameBitsAsFloat32OnTheWidenedValues(String simd) {
        try (Backend be = Engine.open("cpu", Map.of("simd", simd, "threads", "2"))) {
            long seed = 100;
            for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                // 3 x 1100: rows longer than a block; 70,001 x 1: ranges on both threads; 1 x 5: less than a vector.
                for (int[] s : new int[][] {{3, 1100}, {70_001, 1}, {1, 5}, {129, 33}}) {
                    var rnd = new SplittableRandom(seed++);
                    int rows = s[0];
                    int cols = s[1];
                    try (Tensor a = be.of(halves(h, rnd, rows * cols, 3), h, rows, cols);
                         Tensor b = be.of(halves(h, rnd, rows * cols, 3), h, rows, cols);
                         Tensor row = be.of(halves(h, rnd, cols, 3), h, cols);
                         Tensor af = be.cast(a, DType.FLOAT32);
                         Tensor bf = be.cast(b, DType.FLOAT32);
                         Tensor rowf = be.cast(row, DType.FLOAT32)) {
                        String what = h + " " + rows + "x" + cols;
                        assertSame(be, h, be.add(af, bf), be.add(a, b), what + " add");
                        assertSame(be, h, be.sub(af, bf), be.sub(a, b), what + " sub");
                        assertSame(be, h, be.mul(af, bf), be.mul(a, b), what + " mul");
                        assertSame(be, h, be.div(af, bf), be.div(a, b), what + " div");
                        assertSame(be, h, be.add(af, rowf), be.add(a, row), what + " add a row");
                        assertSame(be, h, be.div(af, rowf), be.div(a, row), what + " div by a row");
                        assertSame(be, h, be.scale(af, -0.3f), be.scale(a, -0.3f), what + " scale");
                        // In place: out = a.
                        Tensor expected = be.mul(af, bf);
                        be.mul(a, b, a);
                        assertSame(be, h, expected, be.cast(a, h), what + " mul in place");
                        Tensor scaled = be.scale(be.cast(a, DType.FLOAT32), 2.5f);
                        be.scale(a, 2.5f, a);
                        assertSame(be, h, scaled, be.cast(a, h), what + " scale in place");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(strings = {"true", "false"})
    void softmaxCrossEntropySameBitsAsFloat32OnTheWidenedLogits(String simd) {
        try (Backend be = Engine.open("cpu", Map.of("simd", simd, "threads", "2"))) {
            long seed = 200;
            for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (int[] s : new int[][] {{1, 1}, {7, 10}, {300, 33}, {64, 1030}}) {
                    var rnd = new SplittableRandom(seed++);
                    int rows = s[0];
                    int cols = s[1];
                    int[] labels = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        labels[r] = rnd.nextInt(cols);
                    }
                    String what = h + " " + rows + "x" + cols;
                    try (Tensor x = be.of(halves(h, rnd, rows * cols, 6), h, rows, cols);
                         Tensor t = be.of(halves(h, rnd, rows * cols, 1), h, rows, cols);
                         Tensor xf = be.cast(x, DType.FLOAT32);
                         Tensor tf = be.cast(t, DType.FLOAT32);
                         var half = be.softmaxCrossEntropy(x, labels, dev.kengine.op.Reduction.MEAN);
                         var single = be.softmaxCrossEntropy(xf, labels, dev.kengine.op.Reduction.MEAN);
                         var halfT = be.softmaxCrossEntropy(x, t, dev.kengine.op.Reduction.SUM);
                         var singleT = be.softmaxCrossEntropy(xf, tf, dev.kengine.op.Reduction.SUM);
                         Tensor lossOnly = be.softmaxCrossEntropyLoss(x, labels, dev.kengine.op.Reduction.SUM);
                         Tensor lossOnlyF = be.softmaxCrossEntropyLoss(xf, labels, dev.kengine.op.Reduction.SUM);
                         Tensor loss = be.scalar(0f);
                         Tensor grad = be.empty(h, rows, cols)) {
                        assertEquals(DType.FLOAT32, half.loss().dtype(), what);
                        assertEquals(single.loss().item(), half.loss().item(), 0f, what + " loss");
                        assertArrayEquals(rounded(be, single.gradient(), h), half.gradient().toShortArray(), what + " gradient");
                        assertEquals(singleT.loss().item(), halfT.loss().item(), 0f, what + " loss against targets");
                        assertArrayEquals(rounded(be, singleT.gradient(), h), halfT.gradient().toShortArray(),
                                what + " gradient against targets");
                        assertEquals(lossOnlyF.item(), lossOnly.item(), 0f, what + " loss alone");
                        be.softmaxCrossEntropy(x, labels, dev.kengine.op.Reduction.MEAN, loss, grad);
                        assertEquals(single.loss().item(), loss.item(), 0f, what + " loss into a tensor");
                        assertArrayEquals(rounded(be, single.gradient(), h), grad.toShortArray(), what + " gradient into a tensor");
                    }
                }
            }
        }
    }

    private static void assertSame(Backend be, DType h, Tensor single, Tensor half, String what) {
        try (single; half) {
            assertEquals(h, half.dtype(), what);
            assertArrayEquals(rounded(be, single, h), half.toShortArray(), what);
        }
    }

    private static short[] rounded(Backend be, Tensor f, DType h) {
        try (Tensor t = be.cast(f, h)) {
            return t.toShortArray();
        }
    }
}
