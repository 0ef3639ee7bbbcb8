package dev.kengine;

import dev.kengine.op.Op;

/**
 * The backend does not implement an op, or an op in a dtype; {@link #op()} names it, {@link #dtype()} the dtype where
 * only that pair is missing, and the message gives the backend's reason.
 */
public final class UnsupportedOpException extends EngineException {
    private final transient Op op;
    private final transient DType dtype;

    /**
     * Creates the exception for an op the backend lacks in every dtype.
     *
     * @param op the op the backend lacks
     * @param message which backend and, where it gives one, its reason
     */
    public UnsupportedOpException(Op op, String message) {
        this(op, null, message);
    }

    /**
     * Creates the exception for an op the backend lacks in one dtype.
     *
     * @param op the op
     * @param dtype the dtype it is not run or stored in; null for the op in every dtype
     * @param message which backend and, where it gives one, its reason
     */
    public UnsupportedOpException(Op op, DType dtype, String message) {
        super(message);
        this.op = op;
        this.dtype = dtype;
    }

    /**
     * The dtype the op is not supported in, where only that (op, dtype) pair is missing.
     *
     * @return the dtype, or null when the op itself is missing (and after deserialisation: the field is transient)
     */
    public DType dtype() {
        return dtype;
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
