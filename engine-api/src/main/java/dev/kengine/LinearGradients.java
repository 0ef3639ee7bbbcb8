package dev.kengine;

/** The gradients of a linear layer: dx [rows, in], dW [in, out], and db [out] (null when the layer has no bias). */
public record LinearGradients(Tensor dx, Tensor dw, Tensor db) implements AutoCloseable {
    @Override
    public void close() {
        dx.close();
        dw.close();
        if (db != null) {
            db.close();
        }
    }
}
