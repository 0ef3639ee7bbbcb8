package dev.kengine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.examples.data.Playground;
import dev.kengine.examples.data.Split;
import dev.kengine.examples.mlp.BatchMode;
import dev.kengine.examples.mlp.History;
import dev.kengine.examples.mlp.OptimiserConfig;
import dev.kengine.examples.mlp.Trainer;
import dev.kengine.examples.mlp.TrainingConfig;
import dev.kengine.op.Activation;
import dev.kengine.op.Init;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The same seed gives the same training on every backend: bit-identical initial weights (and
 * dropout masks, by the engine's counter-based generator), and a loss curve within 1e-4 relative
 * of the CPU backend's at every one of 20 epochs, since only rounding differs. Runs against every
 * available backend; where the CPU is the only one, the CPU's SIMD path is compared with its
 * scalar path instead, and each unavailable backend is reported as skipped with its reason.
 */
class ReproducibilityTest {
    private static final int EPOCHS = 20;
    private static final double RELATIVE = 1e-4;

    private static final Split DATA = Split.stratified(Playground.CIRCLE.generate(240, 0.1, 7), 0.25, 7);

    /** Exercises every op of a training step: fused linear, dropout, cross-entropy, penalty, momentum and Adam. */
    private static final Map<String, TrainingConfig> CONFIGS = Map.of(
            "momentum + L2 + dropout", TrainingConfig.builder()
                    .hidden(Activation.TANH, 24, 24).init(Init.xavierUniform()).dropout(0.1f).l2(1e-3f)
                    .optimiser(OptimiserConfig.momentum(0.05f, 0.9f)).batch(BatchMode.MINI_BATCH, 16)
                    .epochs(EPOCHS).seed(11).build(),
            "adam + relu + clipping", TrainingConfig.builder()
                    .hidden(Activation.RELU, 32, 16).init(Init.heNormal()).clipNorm(5f)
                    .optimiser(OptimiserConfig.adam(0.005f)).batch(BatchMode.MINI_BATCH, 16)
                    .epochs(EPOCHS).seed(12).build());

    @TestFactory
    List<DynamicTest> lossCurvesMatchTheCpuBackend() {
        List<DynamicTest> tests = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (BackendInfo info : Engine.explain()) {
            if (info.name().equals("cpu")) {
                continue;
            }
            if (info.available()) {
                others.add(info.name());
            } else {
                tests.add(dynamicTest(info.name() + " is not available here, so it is not compared", () ->
                        Assumptions.abort(info.name() + " not available: " + info.reason())));
            }
        }
        for (Map.Entry<String, TrainingConfig> c : CONFIGS.entrySet()) {
            for (String other : others) {
                tests.add(dynamicTest(other + " matches cpu within 1e-4 relative over 20 epochs (" + c.getKey() + ")",
                        () -> compare(c.getValue(), () -> Engine.open("cpu"), () -> Engine.open(other), other)));
            }
            if (others.isEmpty()) {
                tests.add(dynamicTest("no OpenCL or other backend available: cpu SIMD matches cpu scalar within 1e-4"
                                + " relative over 20 epochs (" + c.getKey() + ")",
                        () -> compare(c.getValue(), () -> Engine.open("cpu", Map.of("simd", "true")),
                                () -> Engine.open("cpu", Map.of("simd", "false")), "cpu scalar")));
            }
        }
        return tests;
    }

    private static void compare(TrainingConfig config, Supplier<Backend> reference, Supplier<Backend> candidate,
                                String candidateName) {
        History ref;
        History got;
        float[][] refWeights;
        float[][] gotWeights;
        try (Backend b = reference.get(); Trainer t = new Trainer(b, config, DATA.train(), DATA.test())) {
            refWeights = weights(t);
            ref = t.fit(e -> { });
        }
        try (Backend b = candidate.get(); Trainer t = new Trainer(b, config, DATA.train(), DATA.test())) {
            gotWeights = weights(t);
            got = t.fit(e -> { });
        }
        for (int l = 0; l < refWeights.length; l++) {
            for (int i = 0; i < refWeights[l].length; i++) {
                assertEquals(Float.floatToRawIntBits(refWeights[l][i]), Float.floatToRawIntBits(gotWeights[l][i]),
                        "initial weight " + i + " of layer " + l + " differs on " + candidateName);
            }
        }
        assertEquals(EPOCHS, ref.epochs().size());
        assertEquals(EPOCHS, got.epochs().size());
        double worst = 0;
        for (int e = 0; e < EPOCHS; e++) {
            double a = ref.epochs().get(e).trainLoss();
            double b = got.epochs().get(e).trainLoss();
            double rel = Math.abs(a - b) / Math.max(Math.abs(a), 1e-30);
            worst = Math.max(worst, rel);
            assertTrue(rel <= RELATIVE, String.format(Locale.ROOT,
                    "epoch %d: cpu loss %.9g but %s loss %.9g, relative difference %.3g > %.0e",
                    e + 1, a, candidateName, b, rel, RELATIVE));
        }
        System.out.printf(Locale.ROOT, "reproducibility cpu vs %s: largest relative loss difference over %d epochs %.3g"
                + " (final loss %.6f)%n", candidateName, EPOCHS, worst, ref.last().trainLoss());
    }

    private static float[][] weights(Trainer t) {
        List<Tensor> w = t.network().weights();
        float[][] out = new float[w.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = w.get(i).toArray();
        }
        return out;
    }
}
