package dev.kengine.examples.mlp;

import dev.kengine.DType;
import dev.kengine.op.Activation;
import dev.kengine.op.Init;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that decides a training run. The same configuration and seed give the same initial
 * weights, the same sample order and the same dropout masks on every backend.
 *
 * @param hidden the hidden layers, input side first
 * @param outputActivation the activation of the output layer (identity for cross-entropy, whose softmax is fused into the loss)
 * @param l1 the L1 penalty l1·Σ|w| on the weights (not the biases); SGD family only
 * @param l2 the L2 penalty l2/2·Σw² on the weights (not the biases); SGD family and Adam
 * @param dropout the probability of dropping a hidden unit in training; 0 for none
 * @param clipNorm the largest global gradient norm; larger gradients are scaled down to it; 0 for no clipping
 * @param batchSize rows per step in {@link BatchMode#MINI_BATCH} mode
 * @param trackGradientNorm whether to measure the global gradient norm every step (one extra read per step)
 * @param precision the dtype of the forward and backward passes: FLOAT32, or BFLOAT16 / FLOAT16 with
 *     float32 master weights and optimiser state (FLOAT16 with dynamic loss scaling)
 */
public record TrainingConfig(List<LayerSpec> hidden, Activation outputActivation, Init init, Objective objective,
                             OptimiserConfig optimiser, float l1, float l2, float dropout, float clipNorm,
                             BatchMode batchMode, int batchSize, int epochs, long seed, boolean trackGradientNorm,
                             DType precision) {

    public TrainingConfig {
        hidden = List.copyOf(hidden);
        if (outputActivation == null || init == null || objective == null || optimiser == null || batchMode == null) {
            throw new ConfigException("incomplete training configuration");
        }
        if (objective.crossEntropy() && outputActivation.kind() != Activation.Kind.IDENTITY) {
            throw new ConfigException("cross_entropy applies the softmax itself, so the output activation must be identity, got "
                    + outputActivation);
        }
        if (!objective.crossEntropy() && objective.elementwise().kind() == dev.kengine.op.Loss.Kind.BINARY_CROSS_ENTROPY
                && outputActivation.kind() != Activation.Kind.SIGMOID) {
            throw new ConfigException("bce takes probabilities, so the output activation must be sigmoid, got "
                    + outputActivation + "; or use bce_logits, which applies the sigmoid itself");
        }
        requireFiniteNonNegative("--l1", l1);
        requireFiniteNonNegative("--l2", l2);
        if (l1 > 0f && optimiser.isAdam()) {
            throw new ConfigException("--l1 works with the sgd, momentum and nesterov optimisers; Adam takes --l2"
                    + " (or adamw with --weight-decay)");
        }
        if (l2 > 0f && optimiser.kind() == OptimiserConfig.Kind.ADAMW) {
            throw new ConfigException("adamw decays the weights with --weight-decay, not --l2");
        }
        if (!(dropout >= 0f && dropout < 1f)) {
            throw new ConfigException("--dropout must be in [0, 1), got " + dropout);
        }
        requireFiniteNonNegative("--clip", clipNorm);
        if (batchSize < 1) {
            throw new ConfigException("--batch-size must be at least 1, got " + batchSize);
        }
        if (epochs < 1) {
            throw new ConfigException("--epochs must be at least 1, got " + epochs);
        }
        if (precision == null || !precision.isFloatingPoint()) {
            throw new ConfigException("--precision must be fp32, bf16 or fp16, got " + precision);
        }
    }

    /** Parses {@code fp32}, {@code bf16} or {@code fp16} (or the dtype names). */
    public static DType parsePrecision(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "fp32", "float32" -> DType.FLOAT32;
            case "bf16", "bfloat16" -> DType.BFLOAT16;
            case "fp16", "float16" -> DType.FLOAT16;
            default -> throw new ConfigException("--precision must be fp32, bf16 or fp16, got '" + s + "'");
        };
    }

    private static void requireFiniteNonNegative(String what, float v) {
        if (!(v >= 0f) || !Float.isFinite(v)) {
            throw new ConfigException(what + " must be a finite number >= 0, got " + v);
        }
    }

    /** Whether the loss reported in training includes a penalty term. */
    public boolean penalised() {
        return l1 > 0f || l2 > 0f;
    }

    /** The layers including the output layer of {@code classes} units. */
    public List<LayerSpec> layers(int classes) {
        List<LayerSpec> all = new ArrayList<>(hidden);
        all.add(new LayerSpec(classes, outputActivation));
        return all;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.hidden = new ArrayList<>(hidden);
        b.outputActivation = outputActivation;
        b.init = init;
        b.objective = objective;
        b.optimiser = optimiser;
        b.l1 = l1;
        b.l2 = l2;
        b.dropout = dropout;
        b.clipNorm = clipNorm;
        b.batchMode = batchMode;
        b.batchSize = batchSize;
        b.epochs = epochs;
        b.seed = seed;
        b.trackGradientNorm = trackGradientNorm;
        b.precision = precision;
        return b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A one-line summary for logs and chart titles. */
    public String describe(int inputs, int classes) {
        StringBuilder sb = new StringBuilder().append(inputs);
        for (LayerSpec l : hidden) {
            sb.append('-').append(l.units()).append(' ').append(l.activation());
        }
        sb.append('-').append(classes);
        sb.append(", ").append(objective).append(", ").append(optimiser).append(", init ").append(describe(init));
        sb.append(", ").append(batchMode.displayName());
        if (batchMode == BatchMode.MINI_BATCH) {
            sb.append(' ').append(batchSize);
        }
        if (l1 > 0f) {
            sb.append(", L1 ").append(l1);
        }
        if (l2 > 0f) {
            sb.append(", L2 ").append(l2);
        }
        if (dropout > 0f) {
            sb.append(", dropout ").append(dropout);
        }
        if (clipNorm > 0f) {
            sb.append(", clip ").append(clipNorm);
        }
        if (precision != DType.FLOAT32) {
            sb.append(", ").append(precision == DType.BFLOAT16 ? "bf16" : "fp16").append(" (float32 master weights)");
        }
        return sb.append(", seed ").append(seed).toString();
    }

    static String describe(Init init) {
        return switch (init.kind()) {
            case UNIFORM -> "uniform(" + init.a() + ", " + init.b() + ")";
            case NORMAL -> "normal(" + init.a() + ", " + init.b() + ")";
            default -> init.kind().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Collects settings; defaults: two hidden layers of 32 ReLU units, He init, cross-entropy, Adam 0.01, mini-batch 32, 20 epochs, seed 42. */
    public static final class Builder {
        private List<LayerSpec> hidden = new ArrayList<>(List.of(new LayerSpec(32, Activation.RELU), new LayerSpec(32, Activation.RELU)));
        private Activation outputActivation = Activation.IDENTITY;
        private Init init = Init.heUniform();
        private Objective objective = Objective.CROSS_ENTROPY;
        private OptimiserConfig optimiser = OptimiserConfig.adam(0.01f);
        private float l1;
        private float l2;
        private float dropout;
        private float clipNorm;
        private BatchMode batchMode = BatchMode.MINI_BATCH;
        private int batchSize = 32;
        private int epochs = 20;
        private long seed = 42;
        private boolean trackGradientNorm;
        private DType precision = DType.FLOAT32;

        public Builder hidden(List<LayerSpec> layers) {
            this.hidden = new ArrayList<>(layers);
            return this;
        }

        /** Hidden layers of the given sizes, all with the same activation. */
        public Builder hidden(Activation activation, int... sizes) {
            List<LayerSpec> layers = new ArrayList<>();
            for (int s : sizes) {
                layers.add(new LayerSpec(s, activation));
            }
            return hidden(layers);
        }

        public Builder outputActivation(Activation a) {
            this.outputActivation = a;
            return this;
        }

        public Builder init(Init i) {
            this.init = i;
            return this;
        }

        public Builder objective(Objective o) {
            this.objective = o;
            return this;
        }

        public Builder optimiser(OptimiserConfig o) {
            this.optimiser = o;
            return this;
        }

        public Builder l1(float v) {
            this.l1 = v;
            return this;
        }

        public Builder l2(float v) {
            this.l2 = v;
            return this;
        }

        public Builder dropout(float p) {
            this.dropout = p;
            return this;
        }

        public Builder clipNorm(float v) {
            this.clipNorm = v;
            return this;
        }

        public Builder batch(BatchMode mode, int size) {
            this.batchMode = mode;
            this.batchSize = size;
            return this;
        }

        public Builder epochs(int n) {
            this.epochs = n;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder trackGradientNorm(boolean t) {
            this.trackGradientNorm = t;
            return this;
        }

        public Builder precision(DType p) {
            this.precision = p;
            return this;
        }

        public TrainingConfig build() {
            return new TrainingConfig(hidden, outputActivation, init, objective, optimiser, l1, l2, dropout, clipNorm,
                    batchMode, batchSize, epochs, seed, trackGradientNorm, precision);
        }
    }
}
