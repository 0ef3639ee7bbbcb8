package dev.kengine.examples.mlp;

import java.util.Locale;

/**
 * How many samples each step sees: the whole training set (batch gradient descent, one step an
 * epoch), one sample (stochastic gradient descent), or a fixed number (mini-batch).
 */
public enum BatchMode {
    BATCH, STOCHASTIC, MINI_BATCH;

    public static final String ACCEPTED = "batch, stochastic, mini-batch";

    public static BatchMode parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "batch", "full", "full-batch" -> BATCH;
            case "stochastic", "sgd", "online" -> STOCHASTIC;
            case "mini-batch", "minibatch", "mini_batch", "mini" -> MINI_BATCH;
            default -> throw new ConfigException("unknown batch mode '" + text + "'; accepted: " + ACCEPTED);
        };
    }

    /** The rows per step for a training set of {@code rows} samples. */
    public int batchSize(int configured, int rows) {
        return switch (this) {
            case BATCH -> rows;
            case STOCHASTIC -> 1;
            case MINI_BATCH -> Math.min(configured, rows);
        };
    }

    public String displayName() {
        return switch (this) {
            case BATCH -> "batch";
            case STOCHASTIC -> "stochastic";
            case MINI_BATCH -> "mini-batch";
        };
    }
}
