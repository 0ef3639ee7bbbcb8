package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.op.Init;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import org.junit.jupiter.api.Test;

/** The README's embedding example, as written there, and what it should do: one step lowers the loss. */
class ReadmeExampleTest {

    @Test
    void theEmbeddingExampleRunsAndLearns() {
        float first;
        float second;
        try (Backend cpu = Engine.open("cpu"); Scope scope = Scope.open()) {
            Tensor x = cpu.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);            // 2 samples, 3 features
            Tensor w = cpu.init(Shape.of(3, 4), Init.heUniform(), 42);           // same bits on every backend
            Tensor b = cpu.zeros(4);
            LinearOutput h = cpu.linear(x, w, b, Activation.RELU);              // fused x·W + b, ReLU
            LossAndGradient ce = cpu.softmaxCrossEntropy(h.output(), new int[] {1, 3}, Reduction.MEAN);
            LinearGradients g = cpu.linearBackward(ce.gradient(), h);
            cpu.sgdStep(w, g.dw(), null, SgdConfig.of(0.1f));                   // in place
            first = ce.loss().item();

            LinearOutput h2 = cpu.linear(x, w, b, Activation.RELU);
            second = cpu.softmaxCrossEntropyLoss(h2.output(), new int[] {1, 3}, Reduction.MEAN).item();
            assertTrue(scope.size() > 0);
        }
        assertTrue(Float.isFinite(first) && first > 0, "loss " + first);
        assertTrue(second < first, "one SGD step lowers the loss: " + first + " -> " + second);
    }
}
