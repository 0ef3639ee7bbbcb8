package dev.kengine.examples.mlp;

import dev.kengine.op.Activation;

/** One dense layer: its number of units and the activation applied to x·W + b. */
public record LayerSpec(int units, Activation activation) {
    public LayerSpec {
        if (units < 1) {
            throw new ConfigException("a layer size must be at least 1, got " + units);
        }
        if (activation == null) {
            throw new ConfigException("a layer needs an activation");
        }
    }
}
