package dev.kengine.conformance.oracle;

import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Central finite differences in double precision: the gradient of a scalar function of a double
 * array, used to check both the oracle's analytic gradients and every backend's backward pass.
 *
 * <p>For a half-precision backward pass the point is the half-rounded inputs, which are exact doubles, and the
 * difference is still taken in float64 with steps relative to the inputs' magnitude: a difference evaluated in
 * float16 or bfloat16 itself is useless, since a step below the input's half ulp does not move the input at all
 * and one above it (2⁻⁸ relative for bfloat16) leaves a truncation error of the order of the gradient's own
 * precision. {@link #directional} gives the derivative along a direction, which checks a whole gradient with two
 * evaluations, and {@link #sensitivity} how far a backward formula moves when the saved values it reads carry a
 * relative rounding error.
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
     * The derivative along a direction: (f(x + hv) − f(x − hv)) / 2h with h = 1e-6·max(1, max|x_i|) / max|v_i|,
     * so that no coordinate moves by more than 1e-6 of the inputs' magnitude: truncation and rounding errors as
     * {@link #gradient}'s, relative to f's scale.
     *
     * @param f the scalar function; it receives a probe array it must not keep, twice
     * @param x the point, not changed
     * @param v the direction, x's length, not all zero
     * @return the directional derivative v·∇f(x)
     * @throws IllegalArgumentException if the lengths differ or v is zero
     */
    public static double directional(ToDoubleFunction<double[]> f, double[] x, double[] v) {
        if (x.length != v.length) {
            throw new IllegalArgumentException("x has " + x.length + " elements but v has " + v.length);
        }
        double xMax = 1;
        double vMax = 0;
        for (int i = 0; i < x.length; i++) {
            xMax = Math.max(xMax, Math.abs(x[i]));
            vMax = Math.max(vMax, Math.abs(v[i]));
        }
        if (!(vMax > 0)) {
            throw new IllegalArgumentException("the direction is zero");
        }
        double h = 1e-6 * xMax / vMax;
        double[] probe = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            probe[i] = x[i] + h * v[i];
        }
        double up = f.applyAsDouble(probe);
        for (int i = 0; i < x.length; i++) {
            probe[i] = x[i] - h * v[i];
        }
        double down = f.applyAsDouble(probe);
        return (up - down) / (2 * h);
    }

    /**
     * How far a vector function moves when each of its arguments carries a relative error: S_i = Σ_j |s_j·∂g_i/∂s_j|,
     * each partial derivative a central difference with the relative step 1e-6 (arguments equal to 0 round exactly
     * and are skipped). A value s_j rounded with relative error at most u moves g_i by at most u·S_i, to first order.
     *
     * @param g the function, for example a backward formula of the saved outputs it reads; it receives a probe
     *     array it must not keep, 2·s.length times, and returns arrays of one length
     * @param s the arguments, not changed
     * @return a new array of S_i, g's length
     */
    public static double[] sensitivity(Function<double[], double[]> g, double[] s) {
        double[] total = null;
        double[] probe = s.clone();
        for (int j = 0; j < s.length; j++) {
            if (s[j] == 0 || !Double.isFinite(s[j])) {
                continue;
            }
            double h = 1e-6 * Math.abs(s[j]);
            probe[j] = s[j] + h;
            double[] up = g.apply(probe);
            probe[j] = s[j] - h;
            double[] down = g.apply(probe);
            probe[j] = s[j];
            if (total == null) {
                total = new double[up.length];
            }
            for (int i = 0; i < up.length; i++) {
                // s_j·∂g_i/∂s_j = s_j·(up − down)/2h, and h = 1e-6·|s_j|
                total[i] += Math.abs(up[i] - down[i]) / 2e-6;
            }
        }
        return total == null ? new double[g.apply(s.clone()).length] : total;
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
