package dev.kengine.examples.cli;

/** A bad command line: the message says what is wrong and what is accepted. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
