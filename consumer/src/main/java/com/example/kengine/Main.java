package com.example.kengine;

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

/**
 * Opens a backend (the CPU one unless a name is given), runs one training step of a fused dense
 * layer with a softmax cross-entropy loss, and prints the loss before and after the SGD step.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "cpu";
        try (Backend backend = Engine.open(name); Scope scope = Scope.open()) {
            Tensor x = backend.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);          // 2 samples, 3 features
            Tensor w = backend.init(Shape.of(3, 4), Init.heUniform(), 42);       // same bits on every backend
            Tensor b = backend.zeros(4);
            int[] labels = {1, 3};

            LinearOutput h = backend.linear(x, w, b, Activation.RELU);          // fused x·W + b, ReLU
            LossAndGradient ce = backend.softmaxCrossEntropy(h.output(), labels, Reduction.MEAN);
            float before = ce.loss().item();
            LinearGradients g = backend.linearBackward(ce.gradient(), h, false); // a first layer: no input gradient
            backend.sgdStep(w, g.dw(), null, SgdConfig.of(0.1f));               // in place
            backend.sgdStep(b, g.db(), null, SgdConfig.of(0.1f));
            float after = backend.softmaxCrossEntropy(backend.linear(x, w, b, Activation.RELU).output(),
                    labels, Reduction.MEAN).loss().item();

            System.out.printf("kengine %s backend (module %s, %s): loss %.6f, after one SGD step %.6f%n",
                    backend.name(), Engine.class.getModule().getName(),
                    backend.capabilities().details().getOrDefault("simd", backend.capabilities().deviceName()),
                    before, after);
            if (!Float.isFinite(before) || !(after < before)) {
                System.err.println("consumer: the loss did not go down");
                System.exit(1);
            }
        }
    }
}
