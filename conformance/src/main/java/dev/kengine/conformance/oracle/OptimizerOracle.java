package dev.kengine.conformance.oracle;

import dev.kengine.op.AdamConfig;
import dev.kengine.op.SgdConfig;

/**
 * One optimiser step in double precision, from float32 state. Each method returns the new state
 * and, alongside, the magnitudes of the terms combined (the same formula on absolute values), the
 * scale of the float32 rounding error a backend may make.
 */
public final class OptimizerOracle {
    private OptimizerOracle() {}

    /**
     * One SGD step as {@link SgdConfig} specifies it: {w, v, |w| magnitude, |v| magnitude}; v is null
     * without momentum.
     *
     * @param w the parameter before the step
     * @param g the gradient, w's length
     * @param v the velocity before the step, w's length; null without momentum
     * @param cfg the step's settings
     * @return new arrays {w, v, the error scale of w, the error scale of v}; the v entries are null
     *     when {@code v} is (and hold v as it was when v is given without momentum)
     */
    public static double[][] sgd(double[] w, double[] g, double[] v, SgdConfig cfg) {
        int n = w.length;
        double[] nw = new double[n], nv = v == null ? null : new double[n];
        double[] mw = new double[n], mv = v == null ? null : new double[n];
        double lr = cfg.learningRate(), mom = cfg.momentum(), l1 = cfg.l1(), l2 = cfg.l2();
        for (int i = 0; i < n; i++) {
            double wi = w[i];
            double gi = g[i] + l2 * wi + l1 * Math.signum(wi);
            double gm = Math.abs(g[i]) + l2 * Math.abs(wi) + l1 * Math.abs(Math.signum(wi));
            if (mom != 0) {
                double vi = mom * v[i] + gi;
                double vm = mom * Math.abs(v[i]) + gm;
                nv[i] = vi;
                mv[i] = vm;
                if (cfg.nesterov()) {
                    gi = gi + mom * vi;
                    gm = gm + mom * vm;
                } else {
                    gi = vi;
                    gm = vm;
                }
            } else if (v != null) {
                nv[i] = v[i]; // without momentum the velocity is neither read nor written
                mv[i] = Math.abs(v[i]);
            }
            nw[i] = wi - lr * gi;
            mw[i] = Math.abs(wi) + lr * gm;
        }
        return new double[][] {nw, nv, mw, mv};
    }

    /**
     * One Adam/AdamW step as {@link AdamConfig} specifies it: {w, m, v, |w| magnitude, |m| magnitude,
     * |v| magnitude} after step t.
     *
     * @param w the parameter before the step
     * @param g the gradient, w's length
     * @param m the first moment before the step, w's length
     * @param v the second moment before the step, w's length
     * @param cfg the step's settings
     * @param t the 1-based step number
     * @return new arrays {w, m, v} after the step, then their error scales in the same order
     */
    public static double[][] adam(double[] w, double[] g, double[] m, double[] v, AdamConfig cfg, long t) {
        int n = w.length;
        double b1 = cfg.beta1(), b2 = cfg.beta2(), lr = cfg.learningRate(), eps = cfg.epsilon(), wd = cfg.weightDecay();
        double c1 = 1.0 - Math.pow(b1, t), c2 = 1.0 - Math.pow(b2, t);
        double[][] r = new double[6][n];
        for (int i = 0; i < n; i++) {
            double wi = w[i];
            double gi = g[i];
            double gm = Math.abs(g[i]);
            if (!cfg.decoupled()) {
                gi += wd * wi;
                gm += wd * Math.abs(wi);
            }
            double mi = b1 * m[i] + (1 - b1) * gi;
            double mm = b1 * Math.abs(m[i]) + (1 - b1) * gm;
            double vi = b2 * v[i] + (1 - b2) * gi * gi;
            double vm = b2 * Math.abs(v[i]) + (1 - b2) * gm * gm;
            double nw = wi;
            double wm = Math.abs(wi);
            if (cfg.decoupled()) {
                nw = wi - lr * wd * wi;
                wm += lr * wd * Math.abs(wi);
            }
            double denom = Math.sqrt(vi / c2) + eps;
            double update = lr * (mi / c1) / denom;
            // The update's magnitude: m's own error scale over the same denominator, plus the update itself.
            double um = lr * (mm / c1) / denom + Math.abs(update);
            nw -= update;
            wm += um;
            r[0][i] = nw;
            r[1][i] = mi;
            r[2][i] = vi;
            r[3][i] = wm;
            r[4][i] = mm;
            r[5][i] = vm;
        }
        return r;
    }

    /**
     * l1·Σ|w| + l2/2·Σw² and its magnitude (the same, all terms being non-negative).
     *
     * @param w the parameter
     * @param l1 the L1 factor, ≥ 0
     * @param l2 the L2 factor, ≥ 0
     * @return the penalty, which is also its own error scale
     */
    public static double penalty(double[] w, double l1, double l2) {
        double a = 0, s = 0;
        for (double x : w) {
            a += Math.abs(x);
            s += (double) x * x;
        }
        return l1 * a + l2 / 2 * s;
    }
}
