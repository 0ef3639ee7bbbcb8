package dev.kengine.conformance.oracle;

/** Sums, means, norms, maxima and elementwise arithmetic in double precision. */
public final class ReductionOracle {
    private ReductionOracle() {}

    /**
     * Sum (or mean) over the middle axis of x viewed as [outer, axis, inner]; an empty mean is NaN.
     *
     * @param x the input, {@code outer·axis·inner} elements
     * @param outer the product of the dimensions before the axis
     * @param axis the length of the reduced axis
     * @param inner the product of the dimensions after the axis
     * @param mean whether to divide by {@code axis}
     * @param absolute whether to sum |x| instead (an error scale)
     * @return a new array {@code [outer, inner]}
     */
    public static double[] reduce(double[] x, int outer, int axis, int inner, boolean mean, boolean absolute) {
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double s = 0;
                for (int a = 0; a < axis; a++) {
                    double v = x[(o * axis + a) * inner + i];
                    s += absolute ? Math.abs(v) : v;
                }
                out[o * inner + i] = mean ? s / axis : s;
            }
        }
        return out;
    }

    /**
     * √Σx², scaled so that no finite input overflows or underflows.
     *
     * @param x the values
     * @return the norm; NaN if any value is NaN, else +∞ if any is infinite
     */
    public static double l2Norm(double[] x) {
        double big = 0;
        for (double v : x) {
            if (Double.isNaN(v)) {
                return Double.NaN;
            }
            big = Math.max(big, Math.abs(v));
        }
        if (big == 0 || Double.isInfinite(big)) {
            return big;
        }
        double s = 0;
        for (double v : x) {
            double r = v / big;
            s += r * r;
        }
        return big * Math.sqrt(s);
    }

    /**
     * Row maxima over the last axis; NaN where a row holds NaN.
     *
     * @param x the input, {@code [rows, cols]}
     * @param rows the number of rows
     * @param cols the row length; −∞ for an empty row
     * @return a new array of rows elements
     */
    public static double[] max(double[] x, int rows, int cols) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                double v = x[r * cols + c];
                if (Double.isNaN(v)) {
                    m = Double.NaN;
                    break;
                }
                if (v > m) {
                    m = v;
                }
            }
            out[r] = m;
        }
        return out;
    }

    /**
     * The first index of each row's maximum; the first NaN wins.
     *
     * @param x the input, {@code [rows, cols]}
     * @param rows the number of rows
     * @param cols the row length, ≥ 1
     * @return a new array of rows indices in [0, cols)
     */
    public static int[] argmax(double[] x, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 0; c < cols; c++) {
                double v = x[r * cols + c];
                if (Double.isNaN(v)) {
                    best = c;
                    break;
                }
                if (v > x[r * cols + best]) {
                    best = c;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /**
     * The elementwise binary ops, with b optionally a broadcast row.
     *
     * @param op {@code ADD}, {@code SUB}, {@code MUL} or {@code DIV}
     * @param a the left operand, {@code [rows, cols]}
     * @param b the right operand, {@code [rows, cols]}, or {@code [cols]} when {@code row}
     * @param rows the number of rows
     * @param cols the row length
     * @param row whether b is one row applied to every row of a
     * @return a new array {@code [rows, cols]}
     * @throws IllegalArgumentException if {@code op} is none of the four
     */
    public static double[] binary(String op, double[] a, double[] b, int rows, int cols, boolean row) {
        double[] out = new double[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double x = a[r * cols + c];
                double y = row ? b[c] : b[r * cols + c];
                out[r * cols + c] = switch (op) {
                    case "ADD" -> x + y;
                    case "SUB" -> x - y;
                    case "MUL" -> x * y;
                    case "DIV" -> x / y;
                    default -> throw new IllegalArgumentException(op);
                };
            }
        }
        return out;
    }
}
