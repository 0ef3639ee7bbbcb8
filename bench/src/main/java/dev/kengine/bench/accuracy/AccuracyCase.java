package dev.kengine.bench.accuracy;

import dev.kengine.Backend;
import dev.kengine.conformance.Tolerance;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One measured op invocation: its float32 inputs, the float64 oracle's value of each output on
 * those inputs, how a backend computes it, and how PyTorch does (the op and parameters the script
 * {@code scripts/accuracy-torch.py} reads). Each output is one row of the table.
 *
 * @param family the op family, for the coverage check and grouping (such as {@code activation backward})
 * @param name the case's name, unique, as the table prints it before the output's label
 * @param torchOp the op name the PyTorch script dispatches on
 * @param params the op's parameters for the script: strings, numbers (float parameters as the exact
 *     double of the float32 the engine uses) and booleans
 * @param inputs the inputs, in the order the script reads them
 * @param outputs the outputs, each a row
 * @param runner computes the outputs on a backend
 */
public record AccuracyCase(String family, String name, String torchOp, Map<String, Object> params, List<Input> inputs,
                           List<Output> outputs, Runner runner) {

    /**
     * A float32 (or, for class labels, int32) input.
     *
     * @param name the name the script knows it by
     * @param values the float values; null for an integer input
     * @param ints the integer values; null for a float input
     * @param dims the shape
     */
    public record Input(String name, float[] values, int[] ints, long[] dims) {
        /**
         * A float input.
         *
         * @param name the name
         * @param values the values
         * @param dims the shape
         * @return the input
         */
        public static Input of(String name, float[] values, long... dims) {
            return new Input(name, values, null, dims);
        }

        /**
         * An int32 input.
         *
         * @param name the name
         * @param ints the values
         * @param dims the shape
         * @return the input
         */
        public static Input ints(String name, int[] ints, long... dims) {
            return new Input(name, null, ints, dims);
        }
    }

    /**
     * One output: a row of the table.
     *
     * @param name the key the runner and the script return it under
     * @param row the row's name in the table
     * @param expected the float64 oracle's value of each element on the float32 inputs
     * @param tol the conformance kit's tolerance for the op
     * @param tolRef the per-element error scale the kit passes with {@code tol}; null for none
     */
    public record Output(String name, String row, double[] expected, Tolerance tol, double[] tolRef) {}

    /**
     * The backend's results of one case.
     *
     * @param values each output's float32 values, by output name
     * @param toleranceUsed where the kit's check differs from the measured computation (a backward
     *     pass fed the rounded oracle output instead of the backend's own, an optimiser measured
     *     step by step from the backend's own state), the fraction of the kit's bound used, by
     *     output name; absent outputs are checked on {@code values} against the output's expected
     *     values
     */
    public record Result(Map<String, float[]> values, Map<String, Double> toleranceUsed) {
        /** Empty maps, to be filled. */
        public Result() {
            this(new LinkedHashMap<>(), new LinkedHashMap<>());
        }

        /**
         * Records an output's values.
         *
         * @param name the output
         * @param v its values
         * @return this
         */
        public Result put(String name, float[] v) {
            values.put(name, v);
            return this;
        }

        /**
         * Records the kit's check of an output, made apart from the measured values.
         *
         * @param name the output
         * @param used the largest fraction of the kit's bound used
         * @return this
         */
        public Result kit(String name, double used) {
            toleranceUsed.merge(name, used, Math::max);
            return this;
        }
    }

    /** Computes a case's outputs on a backend; tensors it creates belong to the caller's scope. */
    @FunctionalInterface
    public interface Runner {
        /**
         * Runs the case.
         *
         * @param b the backend
         * @return the outputs
         */
        Result run(Backend b);
    }

    /**
     * A case before its inputs and oracle values are computed, so that a filter costs nothing.
     *
     * @param family the op family
     * @param name the case's name
     * @param build makes the case
     */
    public record Definition(String family, String name, Supplier<AccuracyCase> build) {}
}
