package dev.kengine.conformance.oracle;

import java.util.function.ToDoubleFunction;

/**
 * Central finite differences in double precision: the gradient of a scalar function of a double
 * array, used to check both the oracle's analytic gradients and every backend's backward pass.
 */
public final class FiniteDifference {
    private FiniteDifference() {}

    /**
     * ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / 2h with h = 1e-6·max(1, |x_i|): truncation error
     * O(h²) ≈ 1e-12 relative, rounding error about 1e-16/h ≈ 1e-10 relative, both far below float32.
     *
     * @param f the scalar function; it receives a probe array it must not keep, 2·x.length times
     * @param x the point, not changed
     * @return a new array of the partial derivatives, x's length
     */
    public static double[] gradient(ToDoubleFunction<double[]> f, double[] x) {
        double[] g = new double[x.length];
        double[] probe = x.clone();
        for (int i = 0; i < x.length; i++) {
            double h = 1e-6 * Math.max(1.0, Math.abs(x[i]));
            probe[i] = x[i] + h;
            double up = f.applyAsDouble(probe);
            probe[i] = x[i] - h;
            double down = f.applyAsDouble(probe);
            probe[i] = x[i];
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /**
     * Σ r_i·y_i: the random projection that turns a vector-valued op into a scalar loss.
     *
     * @param r the projection weights, at least y's length
     * @param y the op's output
     * @return the dot product, in double
     */
    public static double project(double[] r, double[] y) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += r[i] * y[i];
        }
        return s;
    }
}
