package dev.kengine.examples.mlp;

/** A training setting that cannot be used; the message says what is wrong and what is accepted. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
