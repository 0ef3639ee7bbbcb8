package dev.kengine;

import dev.kengine.op.Op;

/** The backend does not implement an op; {@link #op()} names it and the message gives the backend's reason. */
public final class UnsupportedOpException extends EngineException {
    private final transient Op op;

    /**
     * Creates the exception.
     *
     * @param op the op the backend lacks
     * @param message which backend and, where it gives one, its reason
     */
    public UnsupportedOpException(Op op, String message) {
        super(message);
        this.op = op;
    }

    /**
     * The op the backend does not implement.
     *
     * @return the op, as given to the constructor (null after deserialisation: the field is transient)
     */
    public Op op() {
        return op;
    }
}
