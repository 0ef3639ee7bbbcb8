package dev.kengine.examples.mlp;

import java.util.Locale;

/**
 * The update rule and its hyper-parameters. SGD, momentum and Nesterov map onto
 * {@code Backend.sgdStep}; Adam and AdamW onto {@code Backend.adamStep} (β1 = 0.9, β2 = 0.999,
 * ε = 1e-8). {@code weightDecay} is AdamW's decoupled decay; L1 and L2 penalties are set on the
 * {@link TrainingConfig}.
 */
public record OptimiserConfig(Kind kind, float learningRate, float momentum, float weightDecay) {

    public enum Kind { SGD, MOMENTUM, NESTEROV, ADAM, ADAMW }

    public static final String ACCEPTED = "sgd, momentum, nesterov, adam, adamw";

    public OptimiserConfig {
        if (kind == null) {
            throw new ConfigException("no optimiser given; accepted: " + ACCEPTED);
        }
        if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
            throw new ConfigException("the learning rate must be a finite number > 0, got " + learningRate);
        }
        if (usesMomentum() && !(momentum > 0f && momentum < 1f)) {
            throw new ConfigException("momentum must be in (0, 1) for " + kind.name().toLowerCase(Locale.ROOT)
                    + ", got " + momentum);
        }
        if (!(weightDecay >= 0f) || !Float.isFinite(weightDecay)) {
            throw new ConfigException("weight decay must be a finite number >= 0, got " + weightDecay);
        }
        if (weightDecay > 0f && kind != Kind.ADAMW) {
            throw new ConfigException("--weight-decay is AdamW's decoupled decay; with " + kind.name().toLowerCase(Locale.ROOT)
                    + " use --l2 (or choose --optimiser adamw)");
        }
    }

    public static Kind parseKind(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "sgd" -> Kind.SGD;
            case "momentum" -> Kind.MOMENTUM;
            case "nesterov" -> Kind.NESTEROV;
            case "adam" -> Kind.ADAM;
            case "adamw" -> Kind.ADAMW;
            default -> throw new ConfigException("unknown optimiser '" + text + "'; accepted: " + ACCEPTED);
        };
    }

    /** The learning rate to use when none is given: 0.1 for the SGD family, 0.01 for Adam and AdamW. */
    public static float defaultLearningRate(Kind kind) {
        return kind == Kind.ADAM || kind == Kind.ADAMW ? 0.01f : 0.1f;
    }

    public static OptimiserConfig sgd(float learningRate) {
        return new OptimiserConfig(Kind.SGD, learningRate, 0f, 0f);
    }

    public static OptimiserConfig momentum(float learningRate, float momentum) {
        return new OptimiserConfig(Kind.MOMENTUM, learningRate, momentum, 0f);
    }

    public static OptimiserConfig adam(float learningRate) {
        return new OptimiserConfig(Kind.ADAM, learningRate, 0f, 0f);
    }

    public boolean usesMomentum() {
        return kind == Kind.MOMENTUM || kind == Kind.NESTEROV;
    }

    public boolean isAdam() {
        return kind == Kind.ADAM || kind == Kind.ADAMW;
    }

    @Override
    public String toString() {
        String name = kind.name().toLowerCase(Locale.ROOT);
        return name + " lr " + learningRate + (usesMomentum() ? " momentum " + momentum : "")
                + (kind == Kind.ADAMW ? " weight decay " + weightDecay : "");
    }
}
