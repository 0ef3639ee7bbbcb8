package dev.kengine;

import dev.kengine.op.Op;

/** The backend does not implement an op; {@link #op()} names it and the message gives the backend's reason. */
public final class UnsupportedOpException extends EngineException {
    private final transient Op op;

    public UnsupportedOpException(Op op, String message) {
        super(message);
        this.op = op;
    }

    public Op op() {
        return op;
    }
}
