package dev.kengine.conformance.oracle;

import dev.kengine.op.Loss;
import dev.kengine.op.Reduction;

/** Elementwise losses, their gradients, and the softmax cross-entropy, in double precision. */
public final class LossOracle {
    private static final double LOG_FLOOR = -100.0;
    private static final double BCE_DENOMINATOR_FLOOR = 1e-12;

    private LossOracle() {}

    /**
     * The loss of one element, as the {@link Loss} table defines it (logs clamped to ≥ −100 for BCE).
     *
     * @param loss the loss function
     * @param p the prediction (a probability for BCE, a logit for its logits form)
     * @param t the target
     * @return the element's loss
     */
    public static double element(Loss loss, double p, double t) {
        double d = p - t;
        return switch (loss.kind()) {
            case MSE -> d * d;
            case MAE -> Math.abs(d);
            case HUBER -> {
                double delta = loss.delta();
                yield Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
            }
            case BINARY_CROSS_ENTROPY -> {
                if (Double.isNaN(p) || Double.isNaN(t)) {
                    yield Double.NaN;
                }
                double lp = Math.max(Math.log(p), LOG_FLOOR);
                double lq = Math.max(Math.log1p(-p), LOG_FLOOR);
                yield -(t * lp + (1.0 - t) * lq);
            }
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> Math.max(p, 0.0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
        };
    }

    /**
     * ∂(element loss)/∂p, before the 1/n of MEAN.
     *
     * @param loss the loss function
     * @param p the prediction
     * @param t the target
     * @return the derivative; NaN when p − t is NaN
     */
    public static double elementGradient(Loss loss, double p, double t) {
        double d = p - t;
        if (Double.isNaN(d)) {
            return Double.NaN;
        }
        return switch (loss.kind()) {
            case MSE -> 2.0 * d;
            case MAE -> Math.signum(d);
            case HUBER -> Math.abs(d) <= loss.delta() ? d : loss.delta() * Math.signum(d);
            case BINARY_CROSS_ENTROPY -> d / Math.max(p * (1.0 - p), BCE_DENOMINATOR_FLOOR);
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> {
                // (1 − t)·σ(p) − t·σ(−p): σ(p) − t in double cancels to 0 for t = 1 from p ≈ 37.
                double e = Math.exp(-Math.abs(p));
                double r = 1.0 / (1.0 + e);
                yield (1.0 - t) * (p < 0 ? e * r : r) - t * (p < 0 ? r : e * r);
            }
        };
    }

    /**
     * A bound on the magnitude of the terms a float32 evaluation of one element combines, so that
     * cancellation is charged to the inputs, not to the backend.
     *
     * @param loss the loss function
     * @param p the prediction
     * @param t the target
     * @return the error scale, ≥ 0 for finite inputs
     */
    public static double elementMagnitude(Loss loss, double p, double t) {
        double d = Math.abs(p - t);
        return switch (loss.kind()) {
            case MSE -> (Math.abs(p) + Math.abs(t)) * (d + Math.abs(p) + Math.abs(t));
            case MAE -> Math.abs(p) + Math.abs(t);
            case HUBER -> (Math.abs(p) + Math.abs(t)) * (d + loss.delta());
            case BINARY_CROSS_ENTROPY -> {
                double lp = Math.abs(Math.max(Math.log(p), LOG_FLOOR));
                double lq = Math.abs(Math.max(Math.log1p(-p), LOG_FLOOR));
                // ln(1 − p) formed after rounding 1 − p: an absolute error of about p/(1 − p) ulps.
                yield (Math.abs(t) + 1) * (lp + 1) + (Math.abs(1 - t) + 1) * (lq + 1 + p / Math.max(1 - p, 1e-30));
            }
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> Math.abs(p) * (1 + Math.abs(t)) + 1.0;
        };
    }

    /**
     * The reduced loss.
     *
     * @param loss the loss function
     * @param r SUM, or MEAN to divide by the element count (0/0 = NaN for none)
     * @param p the predictions
     * @param t the targets, p's length
     * @return the loss, in double
     */
    public static double loss(Loss loss, Reduction r, double[] p, double[] t) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += element(loss, p[i], t[i]);
        }
        return r == Reduction.MEAN ? s / p.length : s;
    }

    /**
     * The gradient with respect to p, MEAN's 1/n included.
     *
     * @param loss the loss function
     * @param r the reduction
     * @param p the predictions
     * @param t the targets, p's length
     * @return a new array of p's length
     */
    public static double[] gradient(Loss loss, Reduction r, double[] p, double[] t) {
        double[] g = new double[p.length];
        double k = r == Reduction.MEAN ? 1.0 / p.length : 1.0;
        for (int i = 0; i < p.length; i++) {
            g[i] = elementGradient(loss, p[i], t[i]) * k;
        }
        return g;
    }

    /**
     * ln Σ exp(x_c) of one row, by the max-shifted form.
     *
     * @param x the values, row-major {@code [rows, cols]}
     * @param row the row, from 0
     * @param cols the row length
     * @return max + ln Σ exp(x_c − max)
     */
    public static double logSumExp(double[] x, int row, int cols) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            m = Math.max(m, x[row * cols + c]);
        }
        double s = 0;
        for (int c = 0; c < cols; c++) {
            s += Math.exp(x[row * cols + c] - m);
        }
        return m + Math.log(s);
    }

    /**
     * Softmax cross-entropy loss; exactly one of labels and targets is non-null.
     *
     * @param logits the scores, {@code [rows, cols]}
     * @param labels one class per row, in [0, cols); null when {@code targets} is given
     * @param targets the target distributions, {@code [rows, cols]}; null when {@code labels} is given
     * @param rows the number of rows
     * @param cols the number of classes
     * @param r SUM, or MEAN to divide by rows
     * @return the loss, in double
     */
    public static double crossEntropy(double[] logits, int[] labels, double[] targets, int rows, int cols, Reduction r) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            double lse = logSumExp(logits, i, cols);
            if (labels != null) {
                total += lse - logits[i * cols + labels[i]];
            } else {
                for (int c = 0; c < cols; c++) {
                    // A class with no target mass adds nothing (0·log 0 = 0), a masked class's −∞ logit included.
                    if (targets[i * cols + c] != 0) {
                        total += targets[i * cols + c] * (lse - logits[i * cols + c]);
                    }
                }
            }
        }
        return r == Reduction.MEAN ? total / rows : total;
    }

    /**
     * ∂/∂logits: softmax(x)·Σ_c t_c − t, divided by rows for MEAN.
     *
     * @param logits the scores, {@code [rows, cols]}
     * @param labels one class per row, in [0, cols); null when {@code targets} is given
     * @param targets the target distributions, {@code [rows, cols]}; null when {@code labels} is given
     * @param rows the number of rows
     * @param cols the number of classes
     * @param r the reduction
     * @return a new array {@code [rows, cols]}
     */
    public static double[] crossEntropyGradient(double[] logits, int[] labels, double[] targets, int rows, int cols, Reduction r) {
        double[] g = new double[rows * cols];
        double k = r == Reduction.MEAN ? 1.0 / rows : 1.0;
        for (int i = 0; i < rows; i++) {
            double lse = logSumExp(logits, i, cols);
            double mass = 0;
            if (labels != null) {
                mass = 1;
            } else {
                for (int c = 0; c < cols; c++) {
                    mass += targets[i * cols + c];
                }
            }
            for (int c = 0; c < cols; c++) {
                double t = labels != null ? (labels[i] == c ? 1.0 : 0.0) : targets[i * cols + c];
                g[i * cols + c] = (Math.exp(logits[i * cols + c] - lse) * mass - t) * k;
            }
        }
        return g;
    }
}
