package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.LossAndGradient;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API kernels against the scalar ones at a prime length, so the scalar loop tails run,
 * with special values mixed into ordinary ones.
 */
@DisplayName("SIMD and scalar kernels agree")
class SimdScalarAgreementTest {
    /** Prime, so every vector loop ends in a scalar tail. */
    static final int N = 1021;
    static final float[] SPECIALS = {
        0f, -0f, 1e-7f, -1e-7f, 30f, -30f, 90f, -90f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        1f, -1f, 5f, -5f, 10f, -10f, 13f, -13f, 20f, -20f, 100f, -100f, 1e20f, -1e20f, Float.MIN_VALUE, -Float.MAX_VALUE
    };

    static Backend simd;
    static Backend scalar;

    @BeforeAll
    static void open() {
        simd = Engine.open("cpu", Map.of("simd", "true", "threads", "2"));
        scalar = Engine.open("cpu", Map.of("simd", "false", "threads", "2"));
        assumeTrue(simd.capabilities().details().get("simd").startsWith("Vector API"),
                "no Vector API here: " + simd.capabilities().details().get("simd"));
        assertEquals("scalar: switched off by option simd=false", scalar.capabilities().details().get("simd"));
    }

    @AfterAll
    static void close() {
        if (simd != null) {
            simd.close();
        }
        if (scalar != null) {
            scalar.close();
        }
    }

    /** Specials first (spread through the vector lanes and the tail), the rest uniform in [−lim, lim]. */
    static float[] inputs(long seed, float lim) {
        Random r = new Random(seed);
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (r.nextFloat() * 2 - 1) * lim;
        }
        for (int i = 0; i < SPECIALS.length; i++) {
            x[(i * 37) % N] = SPECIALS[i];
            x[N - 1 - i] = SPECIALS[i];
        }
        return x;
    }

    /** As assertClose, with the absolute part xtol·|x| for each element. */
    static void assertCloseOnX(String what, float[] x, float[] expected, float[] actual, float rtol, float xtol) {
        for (int i = 0; i < x.length; i++) {
            float atol = Float.isFinite(x[i]) ? xtol * Math.abs(x[i]) : 0f;
            assertClose(what, new float[] {expected[i]}, new float[] {actual[i]}, rtol, atol);
        }
    }

    /** Equal within rtol relative to the larger magnitude, or atol absolutely; NaN only matches NaN; ±0 match. */
    static void assertClose(String what, float[] expected, float[] actual, float rtol, float atol) {
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            if (Float.isNaN(e) || Float.isNaN(a)) {
                if (Float.isNaN(e) != Float.isNaN(a)) {
                    fail(what + " at " + i + ": scalar " + e + " vs simd " + a);
                }
                continue;
            }
            if (e == a) {
                continue;
            }
            float diff = Math.abs(e - a);
            if (!(diff <= atol || diff <= rtol * Math.max(Math.abs(e), Math.abs(a)))) {
                fail(what + " at " + i + ": scalar " + e + " vs simd " + a);
            }
        }
    }

    static float[] run(Backend b, float[] in, java.util.function.Function<Tensor, Tensor> op) {
        try (Tensor x = b.of(in); Tensor y = op.apply(x)) {
            return y.toArray();
        }
    }

    static List<Activation> activations() {
        return List.of(Activation.IDENTITY, Activation.SIGMOID, Activation.TANH, Activation.RELU,
                Activation.leakyRelu(), Activation.leakyRelu(0.2f), Activation.elu(1f), Activation.elu(0.5f),
                Activation.SILU, Activation.swish(1.5f), Activation.swish(-0.5f), Activation.swish(0f),
                Activation.SOFTPLUS, Activation.GELU, Activation.GELU_TANH);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("activations")
    @DisplayName("activation forward and backward")
    void activation(Activation act) {
        for (float lim : new float[] {3f, 30f}) {
            float[] x = inputs(act.hashCode() + (long) lim, lim);
            float[] ys = run(scalar, x, t -> scalar.activation(t, act));
            float[] yv = run(simd, x, t -> simd.activation(t, act));
            if (act.kind() == Activation.Kind.GELU || act.kind() == Activation.Kind.GELU_TANH) {
                // The vector kernels write x/2·(1 + erf) and x/2·(1 + tanh), which cancel for x < 0: there they agree
                // to a few 2⁻²⁴·|x| absolutely (the kit allows 8 and 16), not relatively (see geluTail).
                assertCloseOnX(act + " forward", x, ys, yv, 2e-6f, 4 * 0x1p-24f);
            } else {
                assertClose(act + " forward", ys, yv, 2e-6f, 1e-30f);
            }

            float[] dy = inputs(99 + (long) lim, 2f);
            float[] gs;
            float[] gv;
            try (Tensor tdy = scalar.of(dy); Tensor tx = scalar.of(x); Tensor ty = scalar.of(ys);
                 Tensor g = scalar.activationBackward(tdy, tx, ty, act)) {
                gs = g.toArray();
            }
            // Both backends get the same saved forward output, so only the backward kernels differ.
            try (Tensor tdy = simd.of(dy); Tensor tx = simd.of(x); Tensor ty = simd.of(ys);
                 Tensor g = simd.activationBackward(tdy, tx, ty, act)) {
                gv = g.toArray();
            }
            assertClose(act + " backward", gs, gv, 1e-5f, 1e-6f);
        }
    }

    @Test
    @DisplayName("ELU and tanh keep the sign of zero, and tanh saturates where float tanh does")
    void signedZerosAndSaturation() {
        float[] zeros = new float[17];
        java.util.Arrays.fill(zeros, -0f);
        for (Backend b : new Backend[] {simd, scalar}) {
            for (Activation act : List.of(Activation.elu(1f), Activation.elu(0f), Activation.TANH)) {
                float[] y = run(b, zeros, t -> b.activation(t, act));
                for (int i = 0; i < y.length; i++) {
                    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(y[i]), act + "(−0) at " + i + " on " + b.name());
                }
            }
        }
        // Float tanh is exactly ±1 only from |x| ≈ 9.011: the vector kernel's 1 − t saturates where the correctly
        // rounded result does, and 8.4 gives 1 − 2⁻²³ (exact 1 − 1.01e-7).
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (i % 2 == 0 ? 1 : -1) * (8f + 2f * i / N);
        }
        float[] yv = run(simd, x, t -> simd.activation(t, Activation.TANH));
        for (int i = 0; i < N; i++) {
            assertTanhBound(x[i], yv[i]);
        }
        assertEquals(1f - 0x1p-23f, run(simd, new float[] {8.4f}, t -> simd.activation(t, Activation.TANH))[0], "tanh(8.4)");
        assertEquals(1f, run(simd, new float[] {9.0111f}, t -> simd.activation(t, Activation.TANH))[0], "tanh(9.0111)");
    }

    @Test
    @DisplayName("tanh is within 1.5 ulp of the exact value from 0 to 10, and within 0.7 ulp from 2 on (near saturation)")
    void tanhAccuracy() {
        float[] x = new float[1 << 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = 10f * i / x.length;
        }
        float[] y;
        try (Tensor t = simd.of(x); Tensor r = simd.activation(t, Activation.TANH)) {
            y = r.toArray();
        }
        for (int i = 0; i < x.length; i++) {
            assertTanhBound(x[i], y[i]);
        }
    }

    /** y within 1.5 ulp of tanh(x), 0.7 from |x| = 2 on: Math.tanh is within 1 ulp of double, far below the bound. */
    private static void assertTanhBound(float x, float y) {
        double exact = Math.tanh(x);
        float rounded = (float) exact;
        // The ulp of the float interval holding the exact value (below a power of two it is half the one above).
        double ulp = Math.ulp(Math.abs(rounded) > Math.abs(exact) ? Math.nextDown(Math.abs(rounded)) : Math.abs(rounded));
        double bound = Math.abs(x) >= 2 ? 0.7 : 2.0;
        assertTrue(Math.abs(y - exact) <= bound * ulp, "tanh(" + x + ") = " + y + ", exact " + exact + " (bound " + bound + " ulp)");
    }

    @Test
    @DisplayName("log-softmax backward with outputs that are not log-probabilities matches the scalar path")
    void logSoftmaxBackwardOutsideItsDomain() {
        float[] y = inputs(21, 100f);
        float[] dy = inputs(22, 1f);
        float[] gs;
        float[] gv;
        try (Tensor tdy = scalar.of(dy, 1, N); Tensor ty = scalar.of(y, 1, N); Tensor g = scalar.logSoftmaxBackward(tdy, ty)) {
            gs = g.toArray();
        }
        try (Tensor tdy = simd.of(dy, 1, N); Tensor ty = simd.of(y, 1, N); Tensor g = simd.logSoftmaxBackward(tdy, ty)) {
            gv = g.toArray();
        }
        assertClose("log-softmax backward, y in [−100, 100]", gs, gv, 1e-5f, 1e-9f);
    }

    @Test
    @DisplayName("GELU: the same zero sign as the scalar kernel below the clamp, in the vector body and in the tail")
    void geluZeroSigns() {
        // −0 for x far below 0 (x·Φ(x) underflows with x's sign; at −∞ its limit is −0), in every lane position.
        // (±MIN_VALUE are left out: x·Φ(x) is within a hair of half of it, and the two kernels round it to 0 or to
        // MIN_VALUE differently, which is an ulp, not a sign.)
        float[] values = {-16f, -20f, -1e30f, -Float.MAX_VALUE, Float.NEGATIVE_INFINITY, -15.5f, -15f, -0f, 0f};
        float[] x = new float[67];
        for (int i = 0; i < x.length; i++) {
            x[i] = values[i % values.length];
        }
        float[] ys = run(scalar, x, t -> scalar.activation(t, Activation.GELU));
        float[] yv = run(simd, x, t -> simd.activation(t, Activation.GELU));
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(ys[i]), Float.floatToRawIntBits(yv[i]),
                    "gelu(" + x[i] + ") at " + i + ": scalar " + ys[i] + ", simd " + yv[i]);
        }
    }

    @Test
    @DisplayName("GELU's far negative tail: relative accuracy in the scalar kernel, the kit's absolute bound in the vector one")
    void geluTail() {
        float[] x = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = -5f - 8f * i / N;
        }
        float[] ys = run(scalar, x, t -> scalar.activation(t, Activation.GELU));
        float[] yv = run(simd, x, t -> simd.activation(t, Activation.GELU));
        for (int i = 0; i < N; i++) {
            double reference = x[i] * 0.5 * erfcReference(-x[i] / Math.sqrt(2));
            // The vector kernel's x/2·|1 + erf(x/√2)| is within 3·2⁻²⁴·|x| (measured; the kit allows 8), and ≤ 0.
            assertEquals(reference, yv[i], 4 * 0x1p-24 * Math.abs(x[i]), "simd gelu(" + x[i] + ")");
            assertTrue(yv[i] <= 0, "simd gelu(" + x[i] + ") = " + yv[i]);
            if (Math.abs(reference) < 1e-36) {
                continue; // float denormals carry fewer digits
            }
            assertEquals(reference, ys[i], Math.abs(reference) * 1e-6, "scalar gelu(" + x[i] + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geluForms")
    @DisplayName("GELU forms' rational fits: forward and backward against the scalar kernel's double formulas at 2^20 points")
    void geluFits(Activation act) {
        // Dense over [−8, 8], past every clamp: forward within 2e-6 relative or 4·2⁻²⁴·|x| (measured 3; the kit allows
        // 8 and 16), backward within 4·2⁻²⁴·(1 + |x|) of the slope (the kit allows 10 and 24).
        float[] x = new float[1 << 20];
        for (int i = 0; i < x.length; i++) {
            x[i] = -8f + 16f * i / x.length;
        }
        float[] y = run(simd, x, t -> simd.activation(t, act));
        float[] ones = new float[x.length];
        java.util.Arrays.fill(ones, 1f);
        float[] g;
        try (Tensor tdy = simd.of(ones); Tensor tx = simd.of(x); Tensor ty = simd.of(y); Tensor r = simd.activationBackward(tdy, tx, ty, act)) {
            g = r.toArray();
        }
        for (int i = 0; i < x.length; i++) {
            float want = ScalarElementwise.apply(act.kind(), act.parameter(), x[i]);
            float ax = Math.abs(x[i]);
            assertTrue(Math.abs(y[i] - want) <= Math.max(2e-6f * Math.abs(want), 4 * 0x1p-24f * ax),
                    act + "(" + x[i] + ") = " + y[i] + ", scalar " + want);
            assertTrue(y[i] == 0 || Math.signum(y[i]) == Math.signum(x[i]), act + "(" + x[i] + ") = " + y[i]);
            float slope = ScalarElementwise.derivative(act.kind(), act.parameter(), 1f, x[i], want);
            assertTrue(Math.abs(g[i] - slope) <= 4 * 0x1p-24f * (1 + ax), act + "'(" + x[i] + ") = " + g[i] + ", scalar " + slope);
        }
    }

    @Test
    @DisplayName("softplus keeps relative accuracy into the subnormals (its log1p takes e·2³², rescaled in its coefficients)")
    void softplusFarTail() {
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = -20f - 90f * i / x.length; // down to −110, past the exponential's clamp at −104
        }
        float[] ys = run(scalar, x, t -> scalar.activation(t, Activation.SOFTPLUS));
        float[] yv = run(simd, x, t -> simd.activation(t, Activation.SOFTPLUS));
        for (int i = 0; i < x.length; i++) {
            // Normal results within 2e-6 relative; subnormal ones within two of their spacing (one rounding each).
            assertTrue(Math.abs(yv[i] - ys[i]) <= Math.max(2e-6f * ys[i], 2 * Float.MIN_VALUE),
                    "softplus(" + x[i] + ") = " + yv[i] + ", scalar " + ys[i]);
        }
    }

    static List<Activation> geluForms() {
        return List.of(Activation.GELU, Activation.GELU_TANH);
    }

    /** erfc(z) for z ≥ 3 by its continued fraction, accurate to double precision there. */
    static double erfcReference(double z) {
        double f = 0;
        for (int k = 200; k >= 1; k--) {
            f = (k / 2.0) / (z + f);
        }
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
    }

    static List<Loss> losses() {
        return List.of(Loss.MSE, Loss.MAE, Loss.huber(1f), Loss.huber(0.25f), Loss.BINARY_CROSS_ENTROPY,
                Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    @DisplayName("loss and gradient")
    void loss(Loss loss) {
        boolean probability = loss.kind() == Loss.Kind.BINARY_CROSS_ENTROPY;
        float[] pred = inputs(7, 30f);
        float[] target = inputs(8, 30f);
        Random r = new Random(3);
        if (probability) {
            for (int i = 0; i < N; i++) {
                pred[i] = r.nextFloat();
                target[i] = r.nextFloat();
            }
            pred[5] = 0f;
            pred[6] = 1f;
            pred[7] = 1e-7f;
            pred[8] = Float.NaN;
            pred[N - 1] = 0f;
            pred[N - 2] = 1f;
        }
        for (Reduction red : Reduction.values()) {
            // Finite inputs for the sum (a NaN would make every sum NaN and test nothing).
            float[] finitePred = pred.clone();
            float[] finiteTarget = target.clone();
            for (int i = 0; i < N; i++) {
                if (!Float.isFinite(finitePred[i])) {
                    finitePred[i] = probability ? 0.5f : 2f;
                }
                if (!Float.isFinite(finiteTarget[i])) {
                    finiteTarget[i] = probability ? 0.25f : -2f;
                }
            }
            float[][] s = lossRun(scalar, loss, finitePred, finiteTarget, red);
            float[][] v = lossRun(simd, loss, finitePred, finiteTarget, red);
            assertClose(loss + " " + red + " value", s[0], v[0], 1e-6f, 0f);
            assertClose(loss + " " + red + " gradient", s[1], v[1], 2e-6f, 1e-12f);
            float[][] sNaN = lossRun(scalar, loss, pred, target, red);
            float[][] vNaN = lossRun(simd, loss, pred, target, red);
            assertClose(loss + " " + red + " gradient with specials", sNaN[1], vNaN[1], 2e-6f, 1e-12f);
        }
    }

    static float[][] lossRun(Backend b, Loss loss, float[] pred, float[] target, Reduction red) {
        try (Tensor p = b.of(pred); Tensor t = b.of(target); LossAndGradient lg = b.lossWithGradient(p, t, loss, red)) {
            return new float[][] {lg.loss().toArray(), lg.gradient().toArray()};
        }
    }

    @Test
    @DisplayName("softmax and log-softmax, forward and backward, rows of 1021")
    void softmax() {
        int rows = 4;
        float[] x = new float[rows * N];
        Random r = new Random(11);
        for (int i = 0; i < x.length; i++) {
            x[i] = (r.nextFloat() * 2 - 1) * 30f;
        }
        x[3] = 90f;
        x[N + 5] = -90f;
        x[N + 6] = Float.NEGATIVE_INFINITY;
        x[2 * N + 1] = 1e-7f;
        x[3 * N + 7] = Float.NaN;
        float[] dy = inputs(12, 1f);
        float[] dyRows = new float[rows * N];
        for (int i = 0; i < dyRows.length; i++) {
            dyRows[i] = dy[i % N];
        }
        for (boolean log : new boolean[] {false, true}) {
            float[] ys = softmaxRun(scalar, x, rows, log);
            float[] yv = softmaxRun(simd, x, rows, log);
            assertClose("softmax log=" + log, ys, yv, 2e-6f, 1e-30f);
            float[] gs;
            float[] gv;
            try (Tensor tdy = scalar.of(dyRows, rows, N); Tensor ty = scalar.of(ys, rows, N);
                 Tensor g = log ? scalar.logSoftmaxBackward(tdy, ty) : scalar.softmaxBackward(tdy, ty)) {
                gs = g.toArray();
            }
            try (Tensor tdy = simd.of(dyRows, rows, N); Tensor ty = simd.of(ys, rows, N);
                 Tensor g = log ? simd.logSoftmaxBackward(tdy, ty) : simd.softmaxBackward(tdy, ty)) {
                gv = g.toArray();
            }
            assertClose("softmax backward log=" + log, gs, gv, 1e-5f, 1e-9f);
        }
        int[] labels = {0, 17, N - 1, 500};
        float[] targets = new float[rows * N];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = r.nextFloat() / N;
        }
        for (Reduction red : Reduction.values()) {
            float[] finite = x.clone();
            finite[3 * N + 7] = 1f;
            float[][] ls = crossEntropyRun(scalar, finite, labels, null, rows, red);
            float[][] lv = crossEntropyRun(simd, finite, labels, null, rows, red);
            assertClose("cross-entropy labels " + red, ls[0], lv[0], 1e-6f, 0f);
            assertClose("cross-entropy labels gradient " + red, ls[1], lv[1], 2e-6f, 1e-12f);
            float[][] ts = crossEntropyRun(scalar, finite, null, targets, rows, red);
            float[][] tv = crossEntropyRun(simd, finite, null, targets, rows, red);
            assertClose("cross-entropy targets " + red, ts[0], tv[0], 1e-6f, 0f);
            // The gradient is softmax − target, and both are ≤ about 1/N where they cancel: 2e-6 of that size is
            // the absolute floor (two faithfully rounded exponentials can differ by an ulp before the difference).
            assertClose("cross-entropy targets gradient " + red, ts[1], tv[1], 2e-6f, 2e-6f / N);
        }
    }

    static float[] softmaxRun(Backend b, float[] x, int rows, boolean log) {
        try (Tensor t = b.of(x, rows, N); Tensor y = log ? b.logSoftmax(t) : b.softmax(t)) {
            return y.toArray();
        }
    }

    static float[][] crossEntropyRun(Backend b, float[] x, int[] labels, float[] targets, int rows, Reduction red) {
        try (Tensor t = b.of(x, rows, N)) {
            if (labels != null) {
                try (LossAndGradient lg = b.softmaxCrossEntropy(t, labels, red)) {
                    return new float[][] {lg.loss().toArray(), lg.gradient().toArray()};
                }
            }
            try (Tensor tt = b.of(targets, rows, N); LossAndGradient lg = b.softmaxCrossEntropy(t, tt, red)) {
                return new float[][] {lg.loss().toArray(), lg.gradient().toArray()};
            }
        }
    }

    @Test
    @DisplayName("binary ops, scale, axpy, max, sums and optimiser steps")
    void arithmetic() {
        float[] a = inputs(21, 10f);
        float[] b = inputs(22, 10f);
        for (var op : List.of("add", "sub", "mul", "div")) {
            float[] s = binaryRun(scalar, op, a, b);
            float[] v = binaryRun(simd, op, a, b);
            assertClose(op, s, v, 0f, 0f);
        }
        assertClose("scale", run(scalar, a, t -> scalar.scale(t, 0.3f)), run(simd, a, t -> simd.scale(t, 0.3f)), 0f, 0f);
        float[] finite = inputs(23, 10f);
        for (int i = 0; i < N; i++) {
            if (!Float.isFinite(finite[i])) {
                finite[i] = 1f;
            }
        }
        assertClose("max", run(scalar, a, t -> scalar.max(t)), run(simd, a, t -> simd.max(t)), 0f, 0f);
        assertClose("max finite", run(scalar, finite, t -> scalar.max(t)), run(simd, finite, t -> simd.max(t)), 0f, 0f);
        assertClose("l2Norm", run(scalar, finite, t -> scalar.l2Norm(t)), run(simd, finite, t -> simd.l2Norm(t)), 1e-7f, 0f);
        float[] ws = adamRun(scalar, finite, b);
        float[] wv = adamRun(simd, finite, b);
        assertClose("adam", ws, wv, 1e-6f, 1e-7f);
    }

    static float[] binaryRun(Backend be, String op, float[] a, float[] b) {
        try (Tensor ta = be.of(a); Tensor tb = be.of(b)) {
            Tensor out = switch (op) {
                case "add" -> be.add(ta, tb);
                case "sub" -> be.sub(ta, tb);
                case "mul" -> be.mul(ta, tb);
                default -> be.div(ta, tb);
            };
            try (out) {
                return out.toArray();
            }
        }
    }

    static float[] adamRun(Backend be, float[] w, float[] g) {
        try (Tensor tw = be.of(w); Tensor tg = be.of(g); Tensor m = be.zeros(N); Tensor v = be.zeros(N)) {
            for (int step = 1; step <= 3; step++) {
                be.adamStep(tw, tg, m, v, dev.kengine.op.AdamConfig.adamW(0.01f, 0.1f), step);
            }
            be.sgdStep(tw, tg, null, dev.kengine.op.SgdConfig.of(0.1f).withL1(0.01f).withL2(0.001f));
            return tw.toArray();
        }
    }
}
