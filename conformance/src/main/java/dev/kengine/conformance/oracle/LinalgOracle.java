package dev.kengine.conformance.oracle;

import dev.kengine.op.Activation;

/** Matrix products, the dense layer and its gradients, in double precision on row-major arrays. */
public final class LinalgOracle {
    private LinalgOracle() {}

    /** Element (i, j) of op(M) for a row-major matrix stored as rows × cols (before transposing). */
    private static double at(double[] m, int base, boolean trans, int rows, int cols, int i, int j) {
        return trans ? m[base + j * cols + i] : m[base + i * cols + j];
    }

    /**
     * C_b = alpha·op(A_b)·op(B_b) + beta·C_b for each batch entry; {@code magnitude}, when not
     * null, receives |alpha|·Σ|a||b| + |beta||c| per element (the scale of float32 rounding error).
     * With beta = 0, C is not read.
     *
     * @param a A, row-major: {@code [m, k]} per batch entry, or {@code [k, m]} when {@code transA}
     * @param transA whether op(A) is Aᵀ
     * @param b B, row-major: {@code [k, n]} per batch entry, or {@code [n, k]} when {@code transB}
     * @param transB whether op(B) is Bᵀ
     * @param c the old C, {@code [batch, m, n]}; may be null when beta = 0
     * @param batch the number of products
     * @param m the rows of op(A) and C
     * @param n the columns of op(B) and C
     * @param k the inner dimension
     * @param alpha the factor of the product
     * @param beta the factor of the old C
     * @param shareA whether one A serves every batch entry
     * @param shareB whether one B serves every batch entry
     * @param magnitude receives the error scale of each element, {@code batch·m·n} long; null for none
     * @return the new C, a new array {@code [batch, m, n]}
     */
    public static double[] matmul(double[] a, boolean transA, double[] b, boolean transB, double[] c,
                                  int batch, int m, int n, int k, double alpha, double beta,
                                  boolean shareA, boolean shareB, double[] magnitude) {
        double[] out = new double[batch * m * n];
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        for (int q = 0; q < batch; q++) {
            int baseA = shareA ? 0 : q * m * k;
            int baseB = shareB ? 0 : q * k * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double x = at(a, baseA, transA, aRows, aCols, i, p);
                        double y = at(b, baseB, transB, bRows, bCols, p, j);
                        s += x * y;
                        mag += Math.abs(x * y);
                    }
                    int o = q * m * n + i * n + j;
                    double v = alpha * s;
                    double vm = Math.abs(alpha) * mag;
                    if (beta != 0) {
                        v += beta * c[o];
                        vm += Math.abs(beta * c[o]);
                    }
                    out[o] = v;
                    if (magnitude != null) {
                        magnitude[o] = vm;
                    }
                }
            }
        }
        return out;
    }

    /**
     * z = x·w + bias for x [rows, in], w [in, out], bias [out] or null.
     *
     * @param x the input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param bias the bias, {@code [out]}; null for none
     * @param rows the batch size
     * @param in the input features
     * @param out the output features
     * @param magnitude receives Σ|x||w| + |bias| per element, {@code rows·out} long; null for none
     * @return z, a new array {@code [rows, out]}
     */
    public static double[] linearPre(double[] x, double[] w, double[] bias, int rows, int in, int out, double[] magnitude) {
        double[] z = matmul(x, false, w, false, null, 1, rows, out, in, 1, 0, false, false, magnitude);
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < out; c++) {
                    z[r * out + c] += bias[c];
                    if (magnitude != null) {
                        magnitude[r * out + c] += Math.abs(bias[c]);
                    }
                }
            }
        }
        return z;
    }

    /**
     * The dense layer's gradients from dz: {dx [rows, in], dw [in, out], db [out]}.
     *
     * @param dz ∂L/∂z, {@code [rows, out]}
     * @param x the forward input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param rows the batch size
     * @param in the input features
     * @param out the output features
     * @return {dx = dz·wᵀ, dw = xᵀ·dz, db = Σ_rows dz}, new arrays
     */
    public static double[][] linearBackward(double[] dz, double[] x, double[] w, int rows, int in, int out) {
        double[] dx = new double[rows * in];
        double[] dw = new double[in * out];
        double[] db = new double[out];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) {
                double g = dz[r * out + c];
                db[c] += g;
                for (int p = 0; p < in; p++) {
                    dx[r * in + p] += g * w[p * out + c];
                    dw[p * out + c] += x[r * in + p] * g;
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    /**
     * The magnitudes Σ|dz||w|, Σ|x||dz|, Σ|dz| matching {@link #linearBackward}.
     *
     * @param dzAbs |dz| (or dz's own error scale), {@code [rows, out]}, non-negative
     * @param x the forward input, {@code [rows, in]}
     * @param w the weight, {@code [in, out]}
     * @param rows the batch size
     * @param in the input features
     * @param out the output features
     * @return the error scales of {dx, dw, db}, new arrays shaped as {@link #linearBackward} returns them
     */
    public static double[][] linearBackwardMagnitude(double[] dzAbs, double[] x, double[] w, int rows, int in, int out) {
        double[] ax = new double[x.length];
        double[] aw = new double[w.length];
        for (int i = 0; i < x.length; i++) {
            ax[i] = Math.abs(x[i]);
        }
        for (int i = 0; i < w.length; i++) {
            aw[i] = Math.abs(w[i]);
        }
        double[] dx = new double[rows * in];
        double[] dw = new double[in * out];
        double[] db = new double[out];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < out; c++) {
                double g = dzAbs[r * out + c];
                db[c] += g;
                for (int p = 0; p < in; p++) {
                    dx[r * in + p] += g * aw[p * out + c];
                    dw[p * out + c] += ax[r * in + p] * g;
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    /**
     * y = act(z) elementwise.
     *
     * @param act the activation
     * @param z the pre-activation
     * @return a new array of z's length, by {@link ActivationOracle#forward}
     */
    public static double[] activate(Activation act, double[] z) {
        double[] y = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            y[i] = ActivationOracle.forward(act, z[i]);
        }
        return y;
    }
}
