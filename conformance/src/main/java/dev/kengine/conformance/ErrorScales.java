package dev.kengine.conformance;

import dev.kengine.op.Activation;

/**
 * The per-element error scales ("ref") the kit's tolerances are relative to, where an op's formula
 * cancels (each {@link Tolerance}'s reason says which scale it uses). Shared by the kit and by tools
 * that report how much of a tolerance a backend uses, so that both measure against the same bound.
 */
public final class ErrorScales {
    private ErrorScales() {}

    /**
     * The forward error scale of {@link Tolerances#activation}: where the contract's formula cancels.
     *
     * @param act the activation, not null
     * @param x the input
     * @return α for ELU at x ≤ 0, |βx| for SWISH, |x| for the GELU forms, else 0
     */
    public static double activation(Activation act, double x) {
        return switch (act.kind()) {
            case ELU -> x <= 0 ? act.parameter() : 0;
            case SWISH -> Math.abs(act.parameter() * x);
            case GELU, GELU_TANH -> Math.abs(x);
            default -> 0;
        };
    }

    /**
     * The backward error scale of {@link Tolerances#activationBackward}: where f′(x) is a difference
     * of terms of that size.
     *
     * @param dy the upstream gradient
     * @param x the input
     * @return |dy|·(1 + |x|)
     */
    public static double activationBackward(double dy, double x) {
        return Math.abs(dy) * (1 + Math.abs(x));
    }

    /**
     * The error scales of {@link Tolerances#SOFTMAX_BACKWARD} and {@link Tolerances#LOG_SOFTMAX_BACKWARD},
     * row by row: the row sums of |dy·y| (or |dy|) that the backward formulas subtract.
     *
     * @param dy the upstream gradient, rows × cols
     * @param y the saved forward output as float32, rows × cols
     * @param rows the number of rows
     * @param cols the row length
     * @param log true for log-softmax
     * @return one scale per element
     */
    public static double[] softmaxBackward(float[] dy, float[] y, int rows, int cols, boolean log) {
        double[] ref = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double sumDyY = 0;
            double sumDy = 0;
            for (int c = 0; c < cols; c++) {
                sumDyY += Math.abs((double) dy[r * cols + c] * y[r * cols + c]);
                sumDy += Math.abs(dy[r * cols + c]);
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                ref[i] = log ? Math.abs(dy[i]) + Math.exp(y[i]) * (cols + 2 + Math.abs(y[i])) * sumDy
                        : Math.abs(y[i]) * (Math.abs(dy[i]) + (cols + 2) * sumDyY);
            }
        }
        return ref;
    }
}
