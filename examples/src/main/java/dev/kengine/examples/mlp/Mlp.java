package dev.kengine.examples.mlp;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.DropoutOutput;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Init;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-layer perceptron of dense layers y = act(x·W + b), each one call of the engine's fused
 * {@link Backend#linear}. Weights are {@code [in, out]}; layer l is initialised with
 * {@code backend.init(W, init, seed, l)}, so the initial weights are bit-identical on every backend;
 * biases start at zero. The parameters belong to the network (not to any scope) until
 * {@link #close()}.
 *
 * <p>In half precision (bfloat16 or float16) the parameters stay float32 master copies, which the
 * optimiser updates; the forward and backward passes read half-precision copies of them, which the
 * optimiser step rewrites from the masters.
 */
public final class Mlp implements AutoCloseable {
    private final Backend backend;
    private final int inputs;
    private final List<LayerSpec> specs;
    private final List<Tensor> weights = new ArrayList<>();
    private final List<Tensor> biases = new ArrayList<>();
    private final DType precision;
    private final List<Tensor> halfWeights = new ArrayList<>();
    private final List<Tensor> halfBiases = new ArrayList<>();

    /** What the forward pass keeps for the backward pass: each layer's input, its linear output and its dropout mask. */
    public record Pass(List<Tensor> inputs, List<LinearOutput> linear, List<DropoutOutput> dropout, Tensor output) {}

    public Mlp(Backend backend, int inputs, List<LayerSpec> layers, Init init, long seed) {
        this(backend, inputs, layers, init, seed, DType.FLOAT32);
    }

    public Mlp(Backend backend, int inputs, List<LayerSpec> layers, Init init, long seed, DType precision) {
        if (inputs < 1) {
            throw new ConfigException("the network needs at least one input, got " + inputs);
        }
        this.backend = backend;
        this.inputs = inputs;
        this.specs = List.copyOf(layers);
        this.precision = precision;
        try {
            int in = inputs;
            for (int l = 0; l < specs.size(); l++) {
                int out = specs.get(l).units();
                Tensor w = backend.empty(Shape.of(in, out));
                weights.add(w);
                backend.init(w, init, seed, l);
                biases.add(backend.zeros(out));
                if (precision != DType.FLOAT32) {
                    halfWeights.add(backend.cast(w, precision));
                    halfBiases.add(backend.cast(biases.getLast(), precision));
                }
                in = out;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public int inputs() {
        return inputs;
    }

    public int outputs() {
        return specs.getLast().units();
    }

    public List<LayerSpec> layers() {
        return specs;
    }

    public List<Tensor> weights() {
        return weights;
    }

    /** The dtype of the forward and backward passes. */
    public DType precision() {
        return precision;
    }

    /** The half-precision copies the passes read, interleaved as {@link #parameters()}; empty in float32. */
    public List<Tensor> halfParameters() {
        List<Tensor> p = new ArrayList<>();
        for (int l = 0; l < halfWeights.size(); l++) {
            p.add(halfWeights.get(l));
            p.add(halfBiases.get(l));
        }
        return p;
    }

    /** Weights and biases interleaved: W0, b0, W1, b1, ... (the float32 masters in half precision) */
    public List<Tensor> parameters() {
        List<Tensor> p = new ArrayList<>();
        for (int l = 0; l < specs.size(); l++) {
            p.add(weights.get(l));
            p.add(biases.get(l));
        }
        return p;
    }

    /**
     * Runs the layers on {@code x [rows, inputs]}. With {@code dropout > 0}, each hidden layer's
     * output goes through inverted dropout whose mask comes from (dropoutSeed, dropoutOffset + l),
     * so a given step drops the same units on every backend. The tensors are created in the
     * caller's scope.
     */
    public Pass forward(Tensor x, float dropout, long dropoutSeed, long dropoutOffset, OpMeter meter) {
        List<Tensor> in = new ArrayList<>();
        List<LinearOutput> lin = new ArrayList<>();
        List<DropoutOutput> drop = new ArrayList<>();
        Tensor h = x;
        for (int l = 0; l < specs.size(); l++) {
            in.add(h);
            boolean half = precision != DType.FLOAT32;
            LinearOutput o = backend.linear(h, (half ? halfWeights : weights).get(l), (half ? halfBiases : biases).get(l),
                    specs.get(l).activation());
            meter.op("linear");
            lin.add(o);
            h = o.output();
            boolean hidden = l < specs.size() - 1;
            if (hidden && dropout > 0f) {
                DropoutOutput d = backend.dropout(h, dropout, dropoutSeed, dropoutOffset + l);
                meter.op("dropout");
                drop.add(d);
                h = d.output();
            } else {
                drop.add(null);
            }
        }
        return new Pass(in, lin, drop, h);
    }

    /**
     * Back-propagates {@code dOutput} = ∂loss/∂output through the layers; returns the gradients in
     * the order of {@link #parameters()}.
     */
    public List<Tensor> backward(Pass pass, Tensor dOutput, float dropout, OpMeter meter) {
        Tensor[] grads = new Tensor[2 * specs.size()];
        Tensor dy = dOutput;
        for (int l = specs.size() - 1; l >= 0; l--) {
            DropoutOutput d = pass.dropout().get(l);
            if (d != null) {
                dy = backend.dropoutBackward(dy, d.mask(), dropout);
                meter.op("dropoutBackward");
            }
            // The first layer's input gradient (∂loss/∂data) has no use: it is not computed.
            LinearGradients g = backend.linearBackward(dy, pass.linear().get(l), l > 0);
            meter.op("linearBackward");
            grads[2 * l] = g.dw();
            grads[2 * l + 1] = g.db();
            dy = g.dx();
        }
        return List.of(grads);
    }

    @Override
    public void close() {
        weights.forEach(Tensor::close);
        biases.forEach(Tensor::close);
        halfWeights.forEach(Tensor::close);
        halfBiases.forEach(Tensor::close);
    }
}
