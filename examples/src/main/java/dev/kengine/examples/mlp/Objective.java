package dev.kengine.examples.mlp;

import dev.kengine.InvalidArgumentException;
import dev.kengine.op.Loss;
import java.util.Locale;

/**
 * What training minimises: the fused softmax cross-entropy on the logits against integer labels
 * (the usual choice for classification), or an elementwise {@link Loss} between the network's
 * output and one-hot targets (MSE, MAE, Huber, binary cross-entropy on probabilities or logits).
 */
public record Objective(Loss elementwise) {
    public static final Objective CROSS_ENTROPY = new Objective(null);
    public static final String ACCEPTED = "cross_entropy, mse, mae, huber[:delta], bce, bce_logits";

    public boolean crossEntropy() {
        return elementwise == null;
    }

    public static Objective parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("cross_entropy") || t.equals("ce") || t.equals("softmax_cross_entropy")) {
            return CROSS_ENTROPY;
        }
        try {
            return new Objective(Loss.parse(t));
        } catch (InvalidArgumentException e) {
            throw new ConfigException("unknown loss '" + text + "'; accepted: " + ACCEPTED);
        }
    }

    @Override
    public String toString() {
        return crossEntropy() ? "cross_entropy" : elementwise.toString();
    }
}
