package dev.kengine.conformance.oracle;

/** Row-wise softmax and log-softmax over the last axis, forward and backward, in double precision. */
public final class SoftmaxOracle {
    private SoftmaxOracle() {}

    /**
     * Softmax (or log-softmax) of each row, by x − logsumexp(row).
     *
     * @param x the input, row-major {@code [rows, cols]}
     * @param rows the number of rows
     * @param cols the row length
     * @param log whether to return log-softmax
     * @return a new array {@code [rows, cols]}
     */
    public static double[] forward(double[] x, int rows, int cols, boolean log) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double lse = LossOracle.logSumExp(x, r, cols);
            for (int c = 0; c < cols; c++) {
                double v = x[r * cols + c] - lse;
                y[r * cols + c] = log ? v : Math.exp(v);
            }
        }
        return y;
    }

    /**
     * From the forward output y: softmax dx = y(dy − Σ dy·y); log-softmax dx = dy − e^y·Σ dy.
     *
     * @param dy ∂L/∂y, {@code [rows, cols]}
     * @param y the forward output, {@code [rows, cols]}
     * @param rows the number of rows
     * @param cols the row length
     * @param log whether y came from log-softmax
     * @return ∂L/∂x, a new array {@code [rows, cols]}
     */
    public static double[] backward(double[] dy, double[] y, int rows, int cols, boolean log) {
        double[] dx = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += log ? dy[r * cols + c] : (double) dy[r * cols + c] * y[r * cols + c];
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                dx[i] = log ? dy[i] - Math.exp(y[i]) * s : y[i] * (dy[i] - s);
            }
        }
        return dx;
    }
}
