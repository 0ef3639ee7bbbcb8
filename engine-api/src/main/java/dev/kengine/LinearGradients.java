package dev.kengine;

/**
 * The gradients of a linear layer, owned by the caller (or the enclosing {@link Scope}).
 *
 * @param dx ∂L/∂x {@code [rows, in]}, or null when the input gradient was not asked for
 *     ({@link Backend#linearBackward(Tensor, LinearOutput, boolean)})
 * @param dw ∂L/∂W {@code [in, out]}
 * @param db ∂L/∂b {@code [out]}, or null when the layer has no bias
 * @param dAlpha ∂L/∂α, shaped like PReLU's α, for a PReLU layer; else null
 */
public record LinearGradients(Tensor dx, Tensor dw, Tensor db, Tensor dAlpha) implements AutoCloseable {
    /**
     * The gradients of a layer without PReLU.
     *
     * @param dx ∂L/∂x, or null when not asked for
     * @param dw ∂L/∂W
     * @param db ∂L/∂b, or null without bias
     */
    public LinearGradients(Tensor dx, Tensor dw, Tensor db) {
        this(dx, dw, db, null);
    }

    /** Closes the gradients this record holds. */
    @Override
    public void close() {
        if (dx != null) {
            dx.close();
        }
        dw.close();
        if (db != null) {
            db.close();
        }
        if (dAlpha != null) {
            dAlpha.close();
        }
    }
}
