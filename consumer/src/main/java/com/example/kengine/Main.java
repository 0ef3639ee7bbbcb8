package com.example.kengine;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
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
 * Opens each backend named (the CPU one when none is), runs one training step of a fused dense layer with a softmax
 * cross-entropy loss, and prints the loss before and after the SGD step; a backend this machine cannot run is
 * reported and skipped.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        for (String name : args.length > 0 ? args : new String[] {"cpu"}) {
            BackendInfo info = Engine.explain().stream().filter(i -> i.name().equals(name)).findFirst().orElse(null);
            if (info == null) {
                System.err.println("consumer: no backend " + name + " on the module path");
                System.exit(1);
            }
            if (!info.available()) {
                System.out.println("kengine " + name + " backend: skipped, unavailable here: " + info.reason());
                continue;
            }
            step(name);
        }
    }

    private static void step(String name) {
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
                System.err.println("consumer: the loss did not go down on " + name);
                System.exit(1);
            }
        }
    }
}
