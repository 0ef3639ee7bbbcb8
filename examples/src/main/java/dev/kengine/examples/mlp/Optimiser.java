package dev.kengine.examples.mlp;

import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.Backend;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.SgdConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies the engine's in-place optimiser steps to a network's parameters and holds their state
 * (velocities, or Adam's two moments). The L1 and L2 penalties and weight decay apply to the
 * weights only, never to the biases, as is usual: they are passed to the engine in the
 * optimiser's configuration, which adds their gradient inside the step.
 */
public final class Optimiser implements AutoCloseable {
    private final Backend backend;
    private final OptimiserConfig config;
    private final List<Tensor> parameters;
    private final List<Tensor> halfCopies;
    private final List<Tensor> state1 = new ArrayList<>();
    private final List<Tensor> state2 = new ArrayList<>();
    private final SgdConfig sgdWeights;
    private final SgdConfig sgdBiases;
    private final AdamConfig adamWeights;
    private final AdamConfig adamBiases;

    /** {@code parameters} alternate weight, bias, weight, bias, as {@link Mlp#parameters()} gives them. */
    public Optimiser(Backend backend, OptimiserConfig config, float l1, float l2, List<Tensor> parameters) {
        this(backend, config, l1, l2, parameters, List.of());
    }

    /**
     * As above, for float32 master parameters whose half-precision copies ({@code halfCopies}, in the
     * same order, or empty) each step rewrites.
     */
    public Optimiser(Backend backend, OptimiserConfig config, float l1, float l2, List<Tensor> parameters,
                     List<Tensor> halfCopies) {
        this.backend = backend;
        this.config = config;
        this.parameters = List.copyOf(parameters);
        this.halfCopies = List.copyOf(halfCopies);
        float lr = config.learningRate();
        if (config.isAdam()) {
            boolean decoupled = config.kind() == OptimiserConfig.Kind.ADAMW;
            adamWeights = new AdamConfig(lr, 0.9f, 0.999f, 1e-8f, decoupled ? config.weightDecay() : l2, decoupled);
            adamBiases = AdamConfig.adam(lr);
            sgdWeights = null;
            sgdBiases = null;
        } else {
            float m = config.usesMomentum() ? config.momentum() : 0f;
            boolean nesterov = config.kind() == OptimiserConfig.Kind.NESTEROV;
            sgdWeights = new SgdConfig(lr, m, nesterov, l2, l1);
            sgdBiases = new SgdConfig(lr, m, nesterov, 0f, 0f);
            adamWeights = null;
            adamBiases = null;
        }
        try {
            for (Tensor p : this.parameters) {
                Shape s = p.shape();
                if (config.isAdam()) {
                    state1.add(backend.full(s, 0f));
                    state2.add(backend.full(s, 0f));
                } else if (config.usesMomentum()) {
                    state1.add(backend.full(s, 0f));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** One update of every parameter with its gradient; {@code step} counts from 1. */
    public void step(List<Tensor> gradients, long step, OpMeter meter) {
        for (int i = 0; i < parameters.size(); i++) {
            boolean weight = i % 2 == 0;
            Tensor p = parameters.get(i);
            Tensor g = gradients.get(i);
            Tensor half = halfCopies.isEmpty() ? null : halfCopies.get(i);
            if (config.isAdam()) {
                AdamConfig c = weight ? adamWeights : adamBiases;
                if (half == null) {
                    backend.adamStep(p, g, state1.get(i), state2.get(i), c, step);
                } else {
                    backend.adamStep(p, g, state1.get(i), state2.get(i), c, step, half);
                }
                meter.op("adamStep");
            } else {
                Tensor velocity = config.usesMomentum() ? state1.get(i) : null;
                SgdConfig c = weight ? sgdWeights : sgdBiases;
                if (half == null) {
                    backend.sgdStep(p, g, velocity, c);
                } else {
                    backend.sgdStep(p, g, velocity, c, half);
                }
                meter.op("sgdStep");
            }
        }
    }

    /** Bytes of optimiser state (velocities or moments), all float32. */
    public long stateBytes() {
        long b = 0;
        for (Tensor t : state1) {
            b += t.size() * 4;
        }
        for (Tensor t : state2) {
            b += t.size() * 4;
        }
        return b;
    }

    @Override
    public void close() {
        state1.forEach(Tensor::close);
        state2.forEach(Tensor::close);
    }
}
