package dev.kengine.conformance;

import static dev.kengine.conformance.Agreement.assertBits;
import static dev.kengine.conformance.Inputs.SIZES;
import static dev.kengine.conformance.Inputs.widen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kengine.Backend;
import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.DropoutOutput;
import dev.kengine.InvalidArgumentException;
import dev.kengine.InvalidStateException;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.PreluGradients;
import dev.kengine.Scope;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.UnsupportedOpException;
import dev.kengine.conformance.oracle.ActivationOracle;
import dev.kengine.conformance.oracle.FiniteDifference;
import dev.kengine.conformance.oracle.LinalgOracle;
import dev.kengine.conformance.oracle.LossOracle;
import dev.kengine.conformance.oracle.OptimizerOracle;
import dev.kengine.conformance.oracle.RandomOracle;
import dev.kengine.conformance.oracle.ReductionOracle;
import dev.kengine.conformance.oracle.SoftmaxOracle;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Init;
import dev.kengine.op.Loss;
import dev.kengine.op.Op;
import dev.kengine.op.Reduction;
import dev.kengine.op.SgdConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The conformance kit: every op of the engine, checked against a float64 oracle written apart
 * from any backend, with tolerances declared per op ({@link Tolerances}), at odd sizes and with
 * special inputs; every backward pass against finite differences, in float32 and, at the half-rounded
 * inputs, in float16 and bfloat16 ({@link Tolerances#gradientCheck}); dropout and initialisation
 * bit for bit against the specification and golden values shipped in this jar; and every bad input.
 *
 * <p>To run it against a backend, add one test class:
 * <pre>{@code
 * class MyBackendConformanceTest extends BackendConformanceKit {
 *     @Override
 *     protected Backend openBackend() {
 *         return Engine.open("mine", Map.of());
 *     }
 * }
 * }</pre>
 * {@link #openBackend()} is called once for the class, and again by the checks that need more
 * instances (tensors of two backend instances mixed, the fuzzer, the thread races); the kit closes
 * what it opens. An op the backend does not
 * support ({@link Backend#supports} false, or {@link UnsupportedOpException}) is reported as
 * skipped with the backend's reason, never as passed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Evidence.class)
public abstract class BackendConformanceKit {
    private static final double U = Tolerance.U32;
    private static final Activation[] ACTIVATIONS = {
        Activation.IDENTITY, Activation.SIGMOID, Activation.TANH, Activation.RELU, Activation.leakyRelu(),
        Activation.leakyRelu(0.2f), Activation.elu(1f), Activation.elu(0.5f), Activation.SILU, Activation.swish(1.5f),
        Activation.swish(0f), Activation.swish(-1.5f), Activation.swish(3f),
        Activation.SOFTPLUS, Activation.GELU, Activation.GELU_TANH
    };

    private Backend backend;

    /** For subclasses: a test class that names its backend in {@link #openBackend()}. */
    public BackendConformanceKit() {}

    /**
     * Opens the backend under test. Called once per test class, and again by the checks that need
     * more instances (two backends mixed, the fuzzer, the thread races); the kit closes every
     * instance it opens.
     *
     * @return a new, open backend, not null; to skip the whole class when the backend is unavailable
     *     here, abort with {@link Assumptions#abort(String)} instead of returning
     */
    protected abstract Backend openBackend();

    /**
     * The tolerance the kit applies where it declares {@code declared}. A backend in an opt-in
     * lower-precision matmul mode (for example TF32 tensor cores) declares its per-product error under
     * the details key {@link Tolerances#PRODUCT_ERROR_DETAIL} (and the mode's name under
     * {@code matmul.precision}); the default widens the matmul and linear rows by it
     * ({@link Tolerances#forProductError}), also for {@code ./engine conformance}. A subclass may
     * override this for other cases, giving its own reason; every other row stays as declared.
     *
     * @param declared the kit's tolerance for a check, one of {@link Tolerances}
     * @return the tolerance to apply instead: {@code declared} itself unless the backend widens it
     */
    protected Tolerance tolerance(Tolerance declared) {
        if (backend == null) {
            return declared;
        }
        // A backend in a reduced-precision matmul mode declares its per-product error; the kit widens those rows.
        String error = backend.capabilities().details().get(Tolerances.PRODUCT_ERROR_DETAIL);
        if (error == null) {
            return declared;
        }
        double e;
        try {
            e = Double.parseDouble(error);
        } catch (NumberFormatException x) {
            throw new AssertionError("backend '" + backend.name() + "' declares " + Tolerances.PRODUCT_ERROR_DETAIL + " = '"
                    + error + "', not a number", x);
        }
        if (!(e >= 0 && e <= Tolerances.MAX_PRODUCT_ERROR)) {
            throw new AssertionError("backend '" + backend.name() + "' declares " + Tolerances.PRODUCT_ERROR_DETAIL + " = "
                    + error + "; the kit widens its matmul tolerances by at most " + Tolerances.MAX_PRODUCT_ERROR
                    + " (2^-7, a product of bfloat16 operands)");
        }
        String mode = backend.capabilities().details().getOrDefault("matmul.precision", "reduced-precision");
        return Tolerances.forProductError(declared, e, mode);
    }

    private void assertAgree(String what, Tolerance tol, double[] expected, float[] actual, double[] ref, float[] input) {
        Agreement.assertAgree(what, tolerance(tol), expected, actual, ref, input);
    }

    private void assertAgree(String what, Tolerance tol, double expected, float actual, double ref) {
        Agreement.assertAgree(what, tolerance(tol), expected, actual, ref);
    }

    @BeforeAll
    final void openBackendUnderTest() {
        // Outputs filled with NaN when allocated: an op that accumulates into its output, or leaves part of it
        // unwritten, fails here instead of passing on memory that happened to be zero.
        String before = System.getProperty(Backend.POISON_PROPERTY);
        System.setProperty(Backend.POISON_PROPERTY, "true");
        try {
            backend = openBackend();
        } finally {
            if (before == null) {
                System.clearProperty(Backend.POISON_PROPERTY);
            } else {
                System.setProperty(Backend.POISON_PROPERTY, before);
            }
        }
        assertNotNull(backend, "openBackend() returned null");
    }

    @AfterAll
    final void closeBackendUnderTest() {
        if (backend != null) {
            backend.close();
        }
    }

    /**
     * The backend under test, for checks a subclass adds.
     *
     * @return the instance opened for the class; null before the class's setup has run
     */
    protected final Backend backend() {
        return backend;
    }

    // =====================================================================================
    // Plumbing: skipping unsupported ops, scoping tensors, reading results
    // =====================================================================================

    /** n ones, for the checks of the sections that need a plain input. */
    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    /** Aborts (skips) the running test when the backend lacks one of the ops, with the backend's reason. */
    static void requireOps(Backend b, Op... ops) {
        for (Op op : ops) {
            if (!b.supports(op)) {
                String detail = b.capabilities().details().get("unsupported." + op.name());
                Assumptions.abort("backend '" + b.name() + "' does not support " + op
                        + (detail == null ? "" : ": " + detail));
            }
        }
    }

    /**
     * Runs {@code body} in a {@link Scope} after checking the ops are supported; an
     * {@link UnsupportedOpException} for an op (or an (op, dtype) pair) the backend does not declare becomes a skip
     * with its message, and one for an op it declares fails the check ({@link #undeclared}). Checks that the case left
     * no tensor open.
     */
    static void guarded(Backend b, Op[] ops, Executable body) throws Throwable {
        EvidenceLog.ops(ops);
        requireOps(b, ops);
        int live = b.liveTensors();
        try (Scope scope = Scope.open()) {
            body.execute();
        } catch (UnsupportedOpException e) {
            skipIfUndeclared(b, e);
        }
        assertEquals(live, b.liveTensors(), "tensors still open after the case closed its scope");
    }

    /**
     * Whether the backend's {@link dev.kengine.spi.Capabilities} leave out what {@code e} says is unsupported: the op,
     * or the (op, dtype) pair it names. An op a backend declares and then does not run is a defect, not a limitation:
     * a driver that forgot to implement a declared op must not be certified by having every check of it skipped.
     *
     * @param b the backend under test
     * @param e what it threw
     * @return true when the skip is the backend's declared limitation
     */
    public static boolean undeclared(Backend b, UnsupportedOpException e) {
        var caps = b.capabilities();
        return e.op() == null || !caps.supports(e.op()) || (e.dtype() != null && !caps.supports(e.op(), e.dtype()));
    }

    /** Skips the running check for an undeclared op; fails it for one the backend declares. */
    static void skipIfUndeclared(Backend b, UnsupportedOpException e) {
        if (undeclared(b, e)) {
            Assumptions.abort("backend '" + b.name() + "' does not support " + e.op()
                    + (e.dtype() == null ? "" : " on " + e.dtype()) + ": " + e.getMessage());
        }
        throw new AssertionError("backend '" + b.name() + "' declares " + e.op()
                + (e.dtype() == null ? "" : " on " + e.dtype()) + " in its Capabilities but threw UnsupportedOpException: "
                + e.getMessage(), e);
    }

    private DynamicTest check(String name, Op[] ops, Executable body) {
        return DynamicTest.dynamicTest(name, () -> guarded(backend, ops, body));
    }

    private void run(Op[] ops, Executable body) throws Throwable {
        guarded(backend, ops, body);
    }

    private static Op[] ops(Op... ops) {
        return ops;
    }

    private Tensor up(float[] data, long... dims) {
        return backend.of(data, dims);
    }

    private static float[] down(Tensor t) {
        return t.toArray();
    }

    private static long[] dims(int... d) {
        long[] l = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            l[i] = d[i];
        }
        return l;
    }

    private static int product(int... d) {
        int p = 1;
        for (int v : d) {
            p *= v;
        }
        return p;
    }

    private static double[] abs(double[] v) {
        double[] a = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    private static double rms(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return v.length == 0 ? 0 : Math.sqrt(s / v.length);
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    /** Backend gradient and oracle gradient, both against the oracle's central difference. */
    private void gradientCheck(String what, double[] fd, float[] backendGrad, double[] oracleGrad) {
        gradientCheck(what, Tolerances.GRADIENT_CHECK, fd, backendGrad, oracleGrad);
    }

    private void gradientCheck(String what, Tolerance tolerance, double[] fd, float[] backendGrad, double[] oracleGrad) {
        double scale = rms(fd);
        double[] ref = filled(fd.length, scale);
        assertOracleAgrees(what, fd, oracleGrad);
        assertAgree(what + " (backend backward vs finite difference)", tolerance, fd, backendGrad, ref, null);
    }

    /** The oracle must be right too: its analytic gradient in float64 against the same difference (null: none). */
    private static void assertOracleAgrees(String what, double[] fd, double[] oracleGrad) {
        if (oracleGrad == null) {
            return;
        }
        double scale = rms(fd);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < fd.length; i++) {
            double err = Math.abs(oracleGrad[i] - fd[i]);
            double bound = Tolerances.ORACLE_GRADIENT_CHECK.bound(fd[i], scale);
            if (err > bound && err - bound > worst) {
                worst = err - bound;
                at = i;
            }
        }
        if (at >= 0) {
            fail(what + ": the ORACLE's analytic gradient disagrees with its finite difference at [" + at + "]: analytic "
                    + oracleGrad[at] + ", finite difference " + fd[at] + " (a bug in the kit, not in the backend)");
        }
    }

    // =====================================================================================
    // Finite-difference gradients, shared by the float32 and the half-precision checks
    // =====================================================================================

    /** A float64 central difference and the oracle's analytic gradient at the same point, element by element. */
    private record FdGradient(double[] fd, double[] analytic) {
        /** Elements [from, to) of both. */
        FdGradient slice(int from, int to) {
            return new FdGradient(Arrays.copyOfRange(fd, from, to), Arrays.copyOfRange(analytic, from, to));
        }
    }

    private void gradientCheck(String what, FdGradient g, float[] backendGrad) {
        gradientCheck(what, Tolerances.GRADIENT_CHECK, g, backendGrad);
    }

    private void gradientCheck(String what, Tolerance tolerance, FdGradient g, float[] backendGrad) {
        gradientCheck(what, tolerance, g.fd(), backendGrad, g.analytic());
    }

    /** The gradient in x of Σ r·act(x): the difference, and r times the oracle's derivative. */
    private static FdGradient activationGradient(Activation act, float[] x, float[] r) {
        double[] xd = widen(x);
        double[] rd = widen(r);
        double[] fd = FiniteDifference.gradient(v -> {
            double s = 0;
            for (int i = 0; i < v.length; i++) {
                s += rd[i] * ActivationOracle.forward(act, v[i]);
            }
            return s;
        }, xd);
        double[] analytic = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            analytic[i] = rd[i] * ActivationOracle.derivative(act, xd[i]);
        }
        return new FdGradient(fd, analytic);
    }

    /** The gradient in x of r·softmax(x) (r·logSoftmax(x) with log) over rows of cols; the oracle's from the exact output. */
    private static FdGradient softmaxGradient(float[] x, float[] r, int rows, int cols, boolean log) {
        double[] rd = widen(r);
        double[] fd = FiniteDifference.gradient(v -> FiniteDifference.project(rd, SoftmaxOracle.forward(v, rows, cols, log)), widen(x));
        double[] yExact = SoftmaxOracle.forward(widen(x), rows, cols, log);
        return new FdGradient(fd, SoftmaxOracle.backward(rd, yExact, rows, cols, log));
    }

    /**
     * Predictions p and targets t (in that order) for a loss's gradient check, from seeds seed to seed + 2, each passed
     * through {@code round}: for BCE probabilities p in [0.05, 0.95]; otherwise p − t = ±d·δ or ±3d·δ with |d| in
     * [dMin, 0.8], away from the kinks at 0 (MAE) and at ±δ (Huber; δ = 1 for the others).
     */
    private static float[][] lossGradientData(Loss loss, int n, long seed, double dMin, UnaryOperator<float[]> round) {
        Loss.Kind kind = loss.kind();
        if (kind == Loss.Kind.BINARY_CROSS_ENTROPY) {
            return new float[][] {round.apply(Inputs.uniform(n, seed, 0.05, 0.95)), round.apply(Inputs.uniform(n, seed + 1, 0, 1))};
        }
        float[] t = round.apply(kind == Loss.Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS ? Inputs.uniform(n, seed + 1, 0, 1)
                : Inputs.gaussian(n, seed + 1, 1));
        float delta = kind == Loss.Kind.HUBER ? loss.delta() : 1f;
        float[] d = Inputs.awayFromZero(n, seed + 2, dMin, 0.8);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = t[i] + d[i] * delta * (i % 2 == 0 ? 1f : 3f);
        }
        return new float[][] {round.apply(p), t};
    }

    /** The gradient in p of the loss of predictions p against targets t under {@code red}. */
    private static FdGradient lossGradient(Loss loss, Reduction red, float[] p, float[] t) {
        double[] pd = widen(p);
        double[] td = widen(t);
        return new FdGradient(FiniteDifference.gradient(v -> LossOracle.loss(loss, red, v, td), pd), LossOracle.gradient(loss, red, pd, td));
    }

    /** The gradient in the logits x of the softmax cross-entropy against labels l or probability targets t (the other null). */
    private static FdGradient crossEntropyGradient(float[] x, int[] l, float[] t, int rows, int cols, Reduction red) {
        double[] td = t == null ? null : widen(t);
        double[] fd = FiniteDifference.gradient(v -> LossOracle.crossEntropy(v, l, td, rows, cols, red), widen(x));
        return new FdGradient(fd, LossOracle.crossEntropyGradient(widen(x), l, td, rows, cols, red));
    }

    /** The dense layer's gradients as the checks name them, in the order of θ = (x, W, b). */
    private static final String[] LINEAR_PARTS = {"linear dx", "linear dW", "linear db"};

    /** Where dx, dW and db start in θ = (x, W, b), and where db ends. */
    private static int[] linearParts(int rows, int in, int out) {
        return new int[] {0, rows * in, rows * in + in * out, rows * in + in * out + out};
    }

    /**
     * A dense layer's x, W, b and the projection r (its dy), in that order, from seeds seed to seed + 3, each passed
     * through {@code round}: standard normal but for W (standard deviation wScale) and b (0.5).
     */
    private static float[][] linearInputs(int rows, int in, int out, long seed, double wScale, UnaryOperator<float[]> round) {
        return new float[][] {round.apply(Inputs.gaussian(rows * in, seed, 1)), round.apply(Inputs.gaussian(in * out, seed + 1, wScale)),
            round.apply(Inputs.gaussian(out, seed + 2, 0.5)), round.apply(Inputs.gaussian(rows * out, seed + 3, 1))};
    }

    /** The gradient in θ = (x, W, b) of {@link #projectedLinear} at the {@link #linearInputs}: dx, dW and db in one array. */
    private static FdGradient linearLayerGradient(Activation act, float[][] xwbr, int rows, int in, int out) {
        double[] rd = widen(xwbr[3]);
        double[] theta = concat(widen(xwbr[0]), widen(xwbr[1]), widen(xwbr[2]));
        double[] fd = FiniteDifference.gradient(v -> projectedLinear(act, rd, v, rows, in, out), theta);
        return new FdGradient(fd, concat(linearGradient(act, rd, theta, rows, in, out)));
    }

    private static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] p : parts) {
            n += p.length;
        }
        double[] all = new double[n];
        int at = 0;
        for (double[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /**
     * The layer's gradients (dx, dW, db in one array) as the oracle's backward formula gives them from dy = r and the
     * saved z and y, for {@link FiniteDifference#sensitivity}: the saved values are s = (z, y).
     */
    private static double[] linearBackwardOf(Activation act, double[] r, double[] x, double[] w, double[] s, int rows, int in, int out) {
        int m = rows * out;
        double[] dz = new double[m];
        for (int i = 0; i < m; i++) {
            dz[i] = ActivationOracle.backward(act, r[i], s[i], s[m + i]);
        }
        double[][] g = LinalgOracle.linearBackward(dz, x, w, rows, in, out);
        return concat(g[0], g[1], g[2]);
    }

    /**
     * {@link FiniteDifference#sensitivity} of {@code of}(the layer's gradients from dy = r) to the saved z and y the
     * backend's forward kept in {@code fwd}.
     */
    private static double[] linearSavedSensitivity(Activation act, float[][] xwbr, LinearOutput fwd, int rows, int in, int out,
            UnaryOperator<double[]> of) {
        double[] rd = widen(xwbr[3]);
        double[] x = widen(xwbr[0]);
        double[] w = widen(xwbr[1]);
        double[] saved = concat(widen(down(fwd.preActivation())), widen(down(fwd.output())));
        return FiniteDifference.sensitivity(s -> of.apply(linearBackwardOf(act, rd, x, w, s, rows, in, out)), saved);
    }

    /** The layer's forward in float64, projected on r: the scalar whose gradient in θ = (x, W, b) the backward computes. */
    private static double projectedLinear(Activation act, double[] r, double[] theta, int rows, int in, int out) {
        int nx = rows * in;
        int nw = in * out;
        double[] z = LinalgOracle.linearPre(Arrays.copyOfRange(theta, 0, nx), Arrays.copyOfRange(theta, nx, nx + nw),
                Arrays.copyOfRange(theta, nx + nw, nx + nw + out), rows, in, out, null);
        double s = 0;
        for (int i = 0; i < z.length; i++) {
            s += r[i] * ActivationOracle.forward(act, z[i]);
        }
        return s;
    }

    /** The oracle's gradient of {@link #projectedLinear} at θ, from the exact z: dx, dW and db. */
    private static double[][] linearGradient(Activation act, double[] r, double[] theta, int rows, int in, int out) {
        int nx = rows * in;
        int nw = in * out;
        double[] x = Arrays.copyOfRange(theta, 0, nx);
        double[] w = Arrays.copyOfRange(theta, nx, nx + nw);
        double[] z = LinalgOracle.linearPre(x, w, Arrays.copyOfRange(theta, nx + nw, nx + nw + out), rows, in, out, null);
        double[] dz = new double[z.length];
        for (int i = 0; i < dz.length; i++) {
            dz[i] = r[i] * ActivationOracle.derivative(act, z[i]);
        }
        return LinalgOracle.linearBackward(dz, x, w, rows, in, out);
    }

    // =====================================================================================
    // Tensors
    // =====================================================================================

    @Nested
    @DisplayName("Tensors upload, download, fill and copy bit for bit")
    class Tensors {
        @TestFactory
        @DisplayName("an upload reads back bit for bit, specials included")
        Stream<DynamicTest> roundTrip() {
            return Arrays.stream(Inputs.SMALL_SIZES).mapToObj(n -> check("upload then download, n=" + n, ops(Op.UPLOAD, Op.DOWNLOAD), () -> {
                float[] x = Inputs.withSpecials(n, 11 + n, 5, Inputs.SPECIALS);
                Tensor t = up(x);
                assertBits("round trip n=" + n, x, down(t), null);
                float[] y = Inputs.gaussian(n, 12 + n, 1);
                t.copyFrom(y);
                float[] back = new float[n];
                t.copyTo(back);
                assertBits("copyFrom/copyTo n=" + n, y, back, null);
            }));
        }

        @TestFactory
        @DisplayName("every shape of rank 0 to 4 keeps its elements in row-major order")
        Stream<DynamicTest> shapes() {
            long[][] shapes = {{}, {5}, {3, 7}, {2, 3, 17}, {2, 3, 4, 5}, {1, 1, 1, 1}, {0}, {3, 0}};
            return Arrays.stream(shapes).map(d -> check("shape " + Arrays.toString(d), ops(Op.UPLOAD, Op.DOWNLOAD), () -> {
                Shape s = Shape.of(d);
                float[] x = Inputs.gaussian((int) s.size(), 5, 1);
                Tensor t = backend.of(java.nio.FloatBuffer.wrap(x), s);
                assertEquals(s, t.shape());
                assertEquals(s.size(), t.size());
                assertBits("shape " + s, x, down(t), null);
            }));
        }

        @TestFactory
        @DisplayName("fill writes the exact value, −0, NaN and infinities included")
        Stream<DynamicTest> fill() {
            float[] values = {0f, -0f, 1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
            List<DynamicTest> tests = new ArrayList<>();
            for (int n : Inputs.SMALL_SIZES) {
                for (float v : values) {
                    tests.add(check("fill n=" + n + " with " + v + (v == 0 && 1 / v < 0 ? " (−0)" : ""), ops(Op.FILL, Op.DOWNLOAD), () -> {
                        Tensor t = up(Inputs.gaussian(n, 3, 1));
                        backend.fill(t, v);
                        float[] expected = new float[n];
                        Arrays.fill(expected, v);
                        assertBits("fill " + v, expected, down(t), null);
                        assertBits("full " + v, expected, down(backend.full(Shape.of(n), v)), null);
                    }));
                }
            }
            tests.add(check("zeros and scalar", ops(Op.FILL), () -> {
                assertBits("zeros", new float[6], down(backend.zeros(2, 3)), null);
                Tensor s = backend.scalar(-2.5f);
                assertEquals(0, s.rank());
                assertEquals(-2.5f, s.item());
            }));
            return tests.stream();
        }

        @TestFactory
        @DisplayName("copy and copyOf reproduce every bit")
        Stream<DynamicTest> copy() {
            return Arrays.stream(Inputs.SMALL_SIZES).mapToObj(n -> check("copy n=" + n, ops(Op.COPY), () -> {
                float[] x = Inputs.withSpecials(n, 21 + n, 5, Inputs.SPECIALS);
                Tensor src = up(x);
                Tensor dst = up(new float[n]);
                backend.copy(src, dst);
                assertBits("copy", x, down(dst), null);
                Tensor c = backend.copyOf(src);
                assertNotSame(src, c);
                assertBits("copyOf", x, down(c), null);
                backend.copy(src, src);
                assertBits("copy onto itself", x, down(src), null);
            }));
        }

        @Test
        @DisplayName("a scope closes the tensors made inside it, and keep() hands one out")
        void scopes() throws Throwable {
            run(ops(Op.FILL), () -> {
                Tensor kept;
                Tensor inner;
                int live = backend.liveTensors();
                try (Scope s = Scope.open()) {
                    inner = backend.zeros(3);
                    kept = s.keep(backend.zeros(4));
                }
                assertTrue(inner.isClosed(), "a tensor made inside a closed scope must be closed");
                assertTrue(!kept.isClosed(), "a kept tensor must survive its scope");
                kept.close();
                kept.close(); // idempotent
                assertEquals(live, backend.liveTensors());
            });
        }
    }

    // =====================================================================================
    // Elementwise arithmetic
    // =====================================================================================

    private static final String[] BINARY = {"ADD", "SUB", "MUL", "DIV"};

    private static Tolerance binaryTolerance(String op) {
        return switch (op) {
            case "ADD" -> Tolerances.ADD;
            case "SUB" -> Tolerances.SUB;
            case "MUL" -> Tolerances.MUL;
            default -> Tolerances.DIV;
        };
    }

    private Tensor binary(String op, Tensor a, Tensor b) {
        return switch (op) {
            case "ADD" -> backend.add(a, b);
            case "SUB" -> backend.sub(a, b);
            case "MUL" -> backend.mul(a, b);
            default -> backend.div(a, b);
        };
    }

    private void binaryInto(String op, Tensor a, Tensor b, Tensor out) {
        switch (op) {
            case "ADD" -> backend.add(a, b, out);
            case "SUB" -> backend.sub(a, b, out);
            case "MUL" -> backend.mul(a, b, out);
            default -> backend.div(a, b, out);
        }
    }

    @Nested
    @DisplayName("Elementwise arithmetic is IEEE-exact (division within 3 ulp) and broadcasts rows")
    class Arithmetic {
        @TestFactory
        @DisplayName("a ∘ b for equal shapes, specials included")
        Stream<DynamicTest> sameShape() {
            List<DynamicTest> tests = new ArrayList<>();
            for (String op : BINARY) {
                for (int n : SIZES) {
                    tests.add(check(op.toLowerCase(Locale.ROOT) + " n=" + n, ops(Op.valueOf(op)), () -> {
                        float[] a = Inputs.withSpecials(n, 100 + n, 3, Inputs.SPECIALS);
                        float[] b = Inputs.withSpecials(n, 200 + n * 3L, 3, Inputs.SPECIALS);
                        double[] expected = ReductionOracle.binary(op, widen(a), widen(b), 1, n, false);
                        Tensor ta = up(a);
                        Tensor tb = up(b);
                        assertAgree(op + " n=" + n, binaryTolerance(op), expected, down(binary(op, ta, tb)), null, a);
                        binaryInto(op, ta, tb, ta); // in place: out is a
                        assertAgree(op + " in place n=" + n, binaryTolerance(op), expected, down(ta), null, a);
                        Tensor tb2 = up(b);
                        binaryInto(op, up(a), tb2, tb2); // out is b, which the API allows as well
                        assertAgree(op + " into b n=" + n, binaryTolerance(op), expected, down(tb2), null, a);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("a ∘ row broadcasts b [cols] over every row of a")
        Stream<DynamicTest> rowBroadcast() {
            int[][] shapes = {{1, 1}, {3, 1}, {2, 7}, {5, 17}, {3, 1025}, {2, 3, 17}, {2, 2, 3, 7}};
            List<DynamicTest> tests = new ArrayList<>();
            for (String op : BINARY) {
                for (int[] s : shapes) {
                    tests.add(check(op.toLowerCase(Locale.ROOT) + " row over " + Arrays.toString(s), ops(Op.valueOf(op)), () -> {
                        int n = product(s);
                        int cols = s[s.length - 1];
                        float[] a = Inputs.withSpecials(n, 300 + n, 3, Inputs.SPECIALS);
                        float[] b = Inputs.withSpecials(cols, 400 + cols, 3, Inputs.SPECIALS);
                        double[] expected = ReductionOracle.binary(op, widen(a), widen(b), n / cols, cols, true);
                        Tensor ta = backend.of(a, dims(s));
                        Tensor tb = up(b);
                        assertAgree(op + " row " + Arrays.toString(s), binaryTolerance(op), expected, down(binary(op, ta, tb)), null, a);
                        Tensor out = backend.empty(dims(s));
                        binaryInto(op, ta, tb, out);
                        assertAgree(op + " row into out " + Arrays.toString(s), binaryTolerance(op), expected, down(out), null, a);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("scale multiplies exactly, in place too")
        Stream<DynamicTest> scale() {
            float[] factors = {-1.5f, 0f, 0.5f, 1e30f};
            List<DynamicTest> tests = new ArrayList<>();
            for (int n : SIZES) {
                for (float s : factors) {
                    tests.add(check("scale n=" + n + " by " + s, ops(Op.SCALE), () -> {
                        float[] x = Inputs.withSpecials(n, 500 + n, 3, Inputs.SPECIALS);
                        double[] expected = new double[n];
                        for (int i = 0; i < n; i++) {
                            expected[i] = (double) s * x[i];
                        }
                        Tensor t = up(x);
                        assertAgree("scale", Tolerances.SCALE, expected, down(backend.scale(t, s)), null, x);
                        backend.scale(t, s, t);
                        assertAgree("scale in place", Tolerances.SCALE, expected, down(t), null, x);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("axpy adds α·x into y with at most two roundings")
        Stream<DynamicTest> axpy() {
            return Arrays.stream(SIZES).mapToObj(n -> check("axpy n=" + n, ops(Op.AXPY), () -> {
                float alpha = -0.75f;
                float[] x = Inputs.withSpecials(n, 600 + n, 3, Inputs.SPECIALS);
                float[] y = Inputs.withSpecials(n, 700 + n, 3, Inputs.SPECIALS);
                Tensor ty = up(y);
                backend.axpy(up(x), ty, alpha);
                assertAxpy("axpy n=" + n, alpha, x, y, ty);
                // x and y the same tensor, as Backend#axpy allows: y + α·y, read before it is written.
                Tensor both = up(y);
                backend.axpy(both, both, alpha);
                assertAxpy("axpy with x = y, n=" + n, alpha, y, y, both);
            }));
        }

        /** got = y + α·x within axpy's two roundings. */
        private void assertAxpy(String what, float alpha, float[] x, float[] y, Tensor got) {
            double[] expected = new double[x.length];
            double[] ref = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = y[i] + (double) alpha * x[i];
                ref[i] = Math.abs(y[i]) + Math.abs((double) alpha * x[i]);
            }
            assertAgree(what, Tolerances.AXPY, expected, down(got), ref, x);
        }
    }

    // =====================================================================================
    // Reductions
    // =====================================================================================

    @Nested
    @DisplayName("Reductions sum, average, norm and maximise within float32 accumulation bounds")
    class Reductions {
        @TestFactory
        @DisplayName("sum and mean over every axis of shapes of rank 1 to 4")
        Stream<DynamicTest> overAxis() {
            // [70000, 3] and [3, 70000]: more rows (or columns) than a GPU grid's second dimension takes (65,535).
            int[][] shapes = {{1}, {1025}, {7, 17}, {17, 7}, {3, 1021}, {2, 3, 17}, {2, 3, 4, 5}, {1, 1, 1, 1}, {3, 0, 5},
                {70_000, 3}, {3, 70_000}};
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : shapes) {
                for (int axis = 0; axis < s.length; axis++) {
                    for (boolean mean : new boolean[] {false, true}) {
                        int ax = axis;
                        String name = (mean ? "mean" : "sum") + " of " + Arrays.toString(s) + " over axis " + axis;
                        tests.add(check(name, ops(mean ? Op.MEAN : Op.SUM), () -> {
                            int n = product(s);
                            int outer = product(Arrays.copyOfRange(s, 0, ax));
                            int inner = product(Arrays.copyOfRange(s, ax + 1, s.length));
                            float[] x = Inputs.gaussian(n, 800 + n + ax, 2);
                            double[] expected = ReductionOracle.reduce(widen(x), outer, s[ax], inner, mean, false);
                            double[] ref = ReductionOracle.reduce(widen(x), outer, s[ax], inner, mean, true);
                            for (int i = 0; i < ref.length; i++) {
                                ref[i] *= s[ax] + (mean ? 2 : 1);
                            }
                            Tensor t = backend.of(x, dims(s));
                            // A negative axis counts from the end: use it for every other case.
                            int given = ax % 2 == 0 ? ax : ax - s.length;
                            Tensor r = mean ? backend.mean(t, given) : backend.sum(t, given);
                            assertEquals(t.shape().without(ax), r.shape());
                            assertAgree(name, mean ? Tolerances.MEAN : Tolerances.SUM, expected, down(r), ref, null);
                        }));
                    }
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("sum and mean of all elements, with IEEE propagation of NaN and ∞")
        Stream<DynamicTest> overAll() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int n : SIZES) {
                for (boolean specials : new boolean[] {false, true}) {
                    tests.add(check("sum and mean of all, n=" + n + (specials ? " with specials" : ""), ops(Op.SUM, Op.MEAN), () -> {
                        float[] x = specials ? Inputs.withSpecials(n, 900 + n, 2, Inputs.SPECIALS) : Inputs.gaussian(n, 900 + n, 2);
                        double sum = ReductionOracle.reduce(widen(x), 1, n, 1, false, false)[0];
                        double mag = ReductionOracle.reduce(widen(x), 1, n, 1, false, true)[0];
                        Tensor t = up(x);
                        Tensor s = backend.sum(t);
                        assertEquals(0, s.rank());
                        assertAgree("sum n=" + n, Tolerances.SUM, sum, s.item(), (n + 1) * mag);
                        assertAgree("mean n=" + n, Tolerances.MEAN, sum / n, backend.mean(t).item(), (n + 2) * mag / n);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("l2Norm neither overflows nor underflows for finite inputs")
        Stream<DynamicTest> l2Norm() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int n : SIZES) {
                tests.add(l2Case("l2Norm n=" + n, Inputs.gaussian(n, 1000 + n, 2)));
                tests.add(l2Case("l2Norm of huge values n=" + n, scaled(Inputs.gaussian(n, 1100 + n, 1), 1e30f)));
                tests.add(l2Case("l2Norm of tiny values n=" + n, scaled(Inputs.gaussian(n, 1200 + n, 1), 1e-30f)));
            }
            tests.add(l2Case("l2Norm of zeros", new float[17]));
            tests.add(l2Case("l2Norm with +∞", new float[] {1, Float.POSITIVE_INFINITY, 2}));
            tests.add(l2Case("l2Norm with −∞", new float[] {1, 2, 3, 4, 5, Float.NEGATIVE_INFINITY}));
            tests.add(l2Case("l2Norm with NaN", new float[] {1, Float.NaN, 2, 3, 4, 5, 6, 7}));
            tests.add(l2Case("l2Norm of 3.4e38 twice (overflows float32)", new float[] {3.4e38f, 3.4e38f}));
            tests.add(l2Case("l2Norm of the smallest subnormal", new float[] {Float.MIN_VALUE, 0, Float.MIN_VALUE}));
            return tests.stream();
        }

        @Test
        @DisplayName("sum, mean, l2Norm and a loss of 2^22 + 3 floats give the same bits on every call")
        void sameBitsEveryCall() throws Throwable {
            run(ops(Op.SUM, Op.MEAN, Op.L2_NORM, Op.LOSS), () -> {
                int n = (1 << 22) + 3;
                Tensor t = up(Inputs.gaussian(n, 1300, 2));
                Tensor target = up(Inputs.gaussian(n, 1301, 2));
                Tensor other = up(Inputs.gaussian(33, 1302, 1));
                float[] first = null;
                for (int call = 0; call < 3; call++) {
                    float[] now = {backend.sum(t).item(), backend.mean(t).item(), backend.l2Norm(t).item(),
                            backend.loss(t, target, Loss.MSE, Reduction.MEAN).item()};
                    if (first != null) {
                        assertBits("sum, mean, l2Norm, mse: call " + call, first, now, null);
                    }
                    first = now;
                    backend.sum(other).item(); // another reduction between
                }
            });
        }

        private float[] scaled(float[] x, float s) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= s;
            }
            return x;
        }

        private DynamicTest l2Case(String name, float[] x) {
            return check(name, ops(Op.L2_NORM), () -> {
                double norm = ReductionOracle.l2Norm(widen(x));
                assertAgree(name, Tolerances.L2_NORM, norm, backend.l2Norm(up(x)).item(), (x.length + 4) * norm);
            });
        }

        @TestFactory
        @DisplayName("max over the last axis is exact and NaN wins")
        Stream<DynamicTest> max() {
            int[][] shapes = {{1}, {7}, {3, 17}, {5, 1025}, {2, 3, 64}, {2, 2, 2, 1021}, {4, 1}, {70_000, 3}, {2, 70_000}};
            return Arrays.stream(shapes).map(s -> check("max of " + Arrays.toString(s), ops(Op.MAX), () -> {
                int n = product(s);
                int cols = s[s.length - 1];
                float[] x = Inputs.withSpecials(n, 1300 + n, 3, Inputs.SPECIALS);
                double[] expected = ReductionOracle.max(widen(x), n / cols, cols);
                Tensor m = backend.max(backend.of(x, dims(s)));
                assertEquals(Shape.of(dims(s)).without(-1), m.shape());
                assertAgree("max", Tolerances.MAX, expected, down(m), null, null);
            }));
        }

        @TestFactory
        @DisplayName("argmax returns the first maximum, the first NaN winning")
        Stream<DynamicTest> argmax() {
            int[][] shapes = {{1}, {7}, {6, 17}, {5, 1025}, {2, 3, 64}, {3, 2, 2, 1021}, {9, 1}, {70_000, 3}, {2, 70_000}};
            float[] specials = {1e-7f, -1e-7f, 30f, -30f, 90f, -90f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
            return Arrays.stream(shapes).map(s -> check("argmax of " + Arrays.toString(s), ops(Op.ARGMAX), () -> {
                int n = product(s);
                int cols = s[s.length - 1];
                int rows = n / cols;
                float[] x = Inputs.withSpecials(n, 1400 + n, 3, specials);
                for (int i = 0; i < n; i++) {
                    if (x[i] == 0) {
                        x[i] = 0.5f; // ±0 would be a tie whose winner the contract leaves open
                    }
                }
                for (int r = 0; r < rows; r += 2) { // a tie: the row's maximum again, later in the row
                    int[] best = ReductionOracle.argmax(widen(Arrays.copyOfRange(x, r * cols, (r + 1) * cols)), 1, cols);
                    if (best[0] + 1 < cols && !Float.isNaN(x[r * cols + best[0]])) {
                        x[r * cols + cols - 1] = x[r * cols + best[0]];
                    }
                }
                int[] expected = ReductionOracle.argmax(widen(x), rows, cols);
                int[] actual = backend.argmax(backend.of(x, dims(s)));
                assertArrayEquals(expected, actual, "argmax of " + Arrays.toString(s));
            }));
        }
    }

    // =====================================================================================
    // Matmul
    // =====================================================================================

    private static final int[][] MATMUL_SHAPES = {
        {1, 1, 1}, {2, 3, 5}, {7, 17, 13}, {64, 64, 64}, {17, 1021, 7}, {65, 33, 129}, {1, 1025, 3}, {33, 2, 1}
    };

    @Nested
    @DisplayName("Matmul agrees with the oracle for every transpose, batch mode, α and β")
    class Matmul {
        @Test
        @DisplayName("empty operands: a batch of 0, m or n of 0 give empty results, k = 0 gives β·C")
        void emptyOperands() throws Throwable {
            run(ops(Op.MATMUL, Op.FILL), () -> {
                Tensor c = backend.matmul(backend.zeros(0, 64, 32), backend.zeros(32, 16));
                assertEquals(Shape.of(0, 64, 16), c.shape());
                Tensor c2 = backend.zeros(0, 64, 16);
                backend.matmul(backend.zeros(0, 64, 32), false, backend.zeros(0, 32, 16), false, c2, 1f, 1f);
                assertEquals(Shape.of(0, 64, 16), c2.shape());
                assertEquals(0, down(c2).length, "a batch of 0 into C of 0 elements");
                assertEquals(Shape.of(0, 3), backend.matmul(backend.zeros(0, 7), backend.zeros(7, 3)).shape());
                assertEquals(Shape.of(5, 0), backend.matmul(backend.zeros(5, 7), backend.zeros(7, 0)).shape());
                Tensor k0 = backend.full(Shape.of(2, 3), 4f);
                backend.matmul(backend.zeros(2, 0), false, backend.zeros(0, 3), false, k0, 1f, 0.5f);
                assertBits("k = 0: C = β·C", new float[] {2, 2, 2, 2, 2, 2}, down(k0), null);
                assertBits("k = 0, β = 0: C = 0", new float[] {0, 0, 0, 0}, down(backend.matmul(backend.zeros(2, 0),
                        backend.zeros(0, 2))), null);
                assertStillWorks();
            });
        }

        @TestFactory
        @DisplayName("op(A)·op(B) at sizes that are not multiples of any tile")
        Stream<DynamicTest> plain() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : MATMUL_SHAPES) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    tests.add(check(String.format(Locale.ROOT, "matmul m=%d k=%d n=%d%s%s", s[0], s[1], s[2],
                            ta ? " Aᵀ" : "", tb ? " Bᵀ" : ""), ops(Op.MATMUL), () -> matmulCase(1, s[0], s[1], s[2], ta, tb, false, false, 1f, 0f, false)));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("batched, with A or B shared across the batch")
        Stream<DynamicTest> batched() {
            List<DynamicTest> tests = new ArrayList<>();
            int[][] shapes = {{3, 7, 17, 13}, {2, 1, 5, 1}, {4, 33, 9, 65}};
            for (int[] s : shapes) {
                for (int mode = 0; mode < 3; mode++) {
                    boolean shareA = mode == 1;
                    boolean shareB = mode == 2;
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        tests.add(check(String.format(Locale.ROOT, "batch=%d m=%d k=%d n=%d%s%s%s%s", s[0], s[1], s[2], s[3],
                                shareA ? " shared A" : "", shareB ? " shared B" : "", ta ? " Aᵀ" : "", tb ? " Bᵀ" : ""),
                                ops(Op.MATMUL), () -> matmulCase(s[0], s[1], s[2], s[3], ta, tb, shareA, shareB, 1f, 0f, false)));
                    }
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("C = α·op(A)·op(B) + β·C in place; β = 0 does not read C")
        Stream<DynamicTest> alphaBeta() {
            List<DynamicTest> tests = new ArrayList<>();
            float[][] ab = {{1.5f, -0.5f}, {-2f, 1f}, {1f, 0f}, {0.25f, 0f}};
            for (int[] s : new int[][] {{7, 17, 13}, {65, 33, 129}, {1, 1, 1}}) {
                for (float[] p : ab) {
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        tests.add(check(String.format(Locale.ROOT, "α=%s β=%s m=%d k=%d n=%d%s%s", p[0], p[1], s[0], s[1], s[2],
                                ta ? " Aᵀ" : "", tb ? " Bᵀ" : ""), ops(Op.MATMUL),
                                () -> matmulCase(1, s[0], s[1], s[2], ta, tb, false, false, p[0], p[1], true)));
                    }
                }
            }
            tests.add(check("batched α=0.5 β=2 with shared B", ops(Op.MATMUL),
                    () -> matmulCase(3, 5, 7, 9, false, true, false, true, 0.5f, 2f, true)));
            return tests.stream();
        }

        @TestFactory
        @DisplayName("NaN and ∞ in the operands propagate as in IEEE arithmetic")
        Stream<DynamicTest> specials() {
            return Stream.of(check("matmul with NaN in A and ±∞ in B", ops(Op.MATMUL), () -> {
                int m = 7, k = 17, n = 13;
                float[] a = Inputs.gaussian(m * k, 1500, 1);
                float[] b = Inputs.gaussian(k * n, 1501, 1);
                a[3 * k + 5] = Float.NaN;
                b[2 * n + 4] = Float.POSITIVE_INFINITY;
                b[9 * n + 4] = Float.NEGATIVE_INFINITY; // column 4 meets +∞ and −∞: NaN unless a's entries are 0
                b[11 * n + 7] = Float.POSITIVE_INFINITY;
                a[2 * k + 11] = 0f; // 0·∞ = NaN in row 2, column 7
                double[] mag = new double[m * n];
                double[] expected = LinalgOracle.matmul(widen(a), false, widen(b), false, null, 1, m, n, k, 1, 0, false, false, mag);
                for (int i = 0; i < mag.length; i++) {
                    mag[i] *= k + 2;
                }
                float[] actual = down(backend.matmul(up(a, m, k), up(b, k, n)));
                assertAgree("matmul specials", Tolerances.MATMUL, expected, actual, mag, null);
            }));
        }

        private void matmulCase(int batch, int m, int k, int n, boolean ta, boolean tb, boolean shareA, boolean shareB,
                                float alpha, float beta, boolean inPlace) {
            long seed = 31L * m + 17L * k + n + (ta ? 1 : 0) + (tb ? 2 : 0);
            float[] a = Inputs.gaussian((shareA ? 1 : batch) * m * k, seed, 1);
            float[] b = Inputs.gaussian((shareB ? 1 : batch) * k * n, seed + 1, 1);
            float[] c = Inputs.gaussian(batch * m * n, seed + 2, 1);
            if (inPlace && beta == 0) {
                Arrays.fill(c, Float.NaN); // must not be read
            }
            long[] aDims = ta ? new long[] {k, m} : new long[] {m, k};
            long[] bDims = tb ? new long[] {n, k} : new long[] {k, n};
            boolean batchedA = batch > 1 && !shareA;
            boolean batchedB = batch > 1 && !shareB;
            Tensor tA = up(a, batchedA ? new long[] {batch, aDims[0], aDims[1]} : aDims);
            Tensor tB = up(b, batchedB ? new long[] {batch, bDims[0], bDims[1]} : bDims);
            long[] cDims = batch > 1 ? new long[] {batch, m, n} : new long[] {m, n};
            double[] mag = new double[batch * m * n];
            double[] expected = LinalgOracle.matmul(widen(a), ta, widen(b), tb, widen(c), batch, m, n, k, alpha, beta,
                    !batchedA, !batchedB, mag);
            float[] actual;
            if (inPlace) {
                Tensor tC = up(c, cDims);
                backend.matmul(tA, ta, tB, tb, tC, alpha, beta);
                actual = down(tC);
            } else {
                Tensor tC = backend.matmul(tA, ta, tB, tb);
                assertEquals(Shape.of(cDims), tC.shape());
                actual = down(tC);
            }
            for (int i = 0; i < mag.length; i++) {
                mag[i] *= k + 2;
            }
            assertAgree(String.format(Locale.ROOT, "matmul batch=%d m=%d k=%d n=%d", batch, m, k, n), Tolerances.MATMUL,
                    expected, actual, mag, null);
        }
    }

    // =====================================================================================
    // Activations, PReLU, softmax
    // =====================================================================================

    private static double[] activationForward(Activation act, float[] x, double[] ref) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = ActivationOracle.forward(act, x[i]);
            if (ref != null) {
                ref[i] = ErrorScales.activation(act, x[i]);
            }
        }
        return y;
    }

    @Nested
    @DisplayName("Activations agree with the oracle, forward and backward, with the contract's limits at ±∞")
    class Activations {
        @TestFactory
        @DisplayName("forward at every size, specials included")
        Stream<DynamicTest> forward() {
            List<DynamicTest> tests = new ArrayList<>();
            for (Activation act : ACTIVATIONS) {
                for (int n : Inputs.ACTIVATION_SIZES) {
                    tests.add(check(act + " forward n=" + n, ops(Op.ACTIVATION), () -> {
                        float[] x = Inputs.withSpecials(n, 2000 + n + act.kind().ordinal(), 4, Inputs.SPECIALS);
                        double[] ref = new double[n];
                        double[] expected = activationForward(act, x, ref);
                        Tensor tx = up(x);
                        assertAgree(act + " n=" + n, Tolerances.activation(act), expected, down(backend.activation(tx, act)), ref, x);
                        backend.activation(tx, act, tx);
                        assertAgree(act + " in place n=" + n, Tolerances.activation(act), expected, down(tx), ref, x);
                    }));
                }
                tests.add(check(act + " forward of every special input", ops(Op.ACTIVATION), () -> {
                    float[] x = Inputs.SPECIALS.clone();
                    double[] ref = new double[x.length];
                    double[] expected = activationForward(act, x, ref);
                    assertAgree(act + " specials", Tolerances.activation(act), expected, down(backend.activation(up(x), act)), ref, x);
                }));
            }
            tests.add(check("relu, sigmoid and tanh shortcuts", ops(Op.ACTIVATION), () -> {
                float[] x = Inputs.withSpecials(17, 2100, 4, Inputs.SPECIALS);
                Tensor t = up(x);
                assertBits("relu", down(backend.activation(t, Activation.RELU)), down(backend.relu(t)), x);
                assertBits("sigmoid", down(backend.activation(t, Activation.SIGMOID)), down(backend.sigmoid(t)), x);
                assertBits("tanh", down(backend.activation(t, Activation.TANH)), down(backend.tanh(t)), x);
            }));
            return tests.stream();
        }

        @TestFactory
        @DisplayName("backward at every size, from x and the saved output y")
        Stream<DynamicTest> backward() {
            List<DynamicTest> tests = new ArrayList<>();
            for (Activation act : ACTIVATIONS) {
                for (int n : Inputs.ACTIVATION_SIZES) {
                    tests.add(check(act + " backward n=" + n, ops(Op.ACTIVATION_BACKWARD), () -> backwardCase(act, n, Inputs.SPECIALS)));
                }
                tests.add(check(act + " backward at ±Float.MAX_VALUE and ±∞", ops(Op.ACTIVATION_BACKWARD),
                        () -> backwardCase(act, 17, Inputs.EXTREMES)));
            }
            return tests.stream();
        }

        private void backwardCase(Activation act, int n, float[] specials) {
            float[] x = Inputs.withSpecials(n, 2200 + n + act.kind().ordinal(), 4, specials);
            float[] y = Inputs.narrow(activationForward(act, x, null));
            float[] dy = Inputs.gaussian(n, 2300 + n, 1);
            // A NaN gradient must come out NaN whatever the derivative selects (a diverged step must
            // not be hidden); ±∞ in dy is left out because ∞·f' depends on whether f' underflowed.
            for (int i = 3; i < n; i += 7) {
                dy[i] = Float.NaN;
            }
            double[] expected = new double[n];
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = ActivationOracle.backward(act, dy[i], x[i], y[i]);
                ref[i] = ErrorScales.activationBackward(dy[i], x[i]);
            }
            Tensor tdy = up(dy);
            Tensor tx = up(x);
            Tensor ty = up(y);
            Tolerance tol = Tolerances.activationBackward(act);
            assertAgree(act + " backward n=" + n, tol, expected, down(backend.activationBackward(tdy, tx, ty, act)), ref, x);
            backend.activationBackward(tdy, tx, ty, act, tdy); // dx may be dy
            assertAgree(act + " backward in place n=" + n, tol, expected, down(tdy), ref, x);
            // ... or x, or y (Backend#activationBackward): a kernel must read all three before it writes.
            Tensor xOut = up(x);
            backend.activationBackward(up(dy), xOut, up(y), act, xOut);
            assertAgree(act + " backward into x n=" + n, tol, expected, down(xOut), ref, x);
            Tensor yOut = up(y);
            backend.activationBackward(up(dy), up(x), yOut, act, yOut);
            assertAgree(act + " backward into y n=" + n, tol, expected, down(yOut), ref, x);
        }

        @TestFactory
        @DisplayName("backward agrees with a float64 finite difference")
        Stream<DynamicTest> finiteDifference() {
            return Arrays.stream(ACTIVATIONS).map(act -> check(act + " backward vs finite difference", ops(Op.ACTIVATION_BACKWARD), () -> {
                int n = 33;
                float[] x = Inputs.awayFromZero(n, 2400 + act.kind().ordinal(), 0.05, 3.0);
                float[] r = Inputs.gaussian(n, 2500, 1);
                FdGradient g = activationGradient(act, x, r);
                float[] y = Inputs.narrow(activationForward(act, x, null));
                gradientCheck(act + " backward", g, down(backend.activationBackward(up(r), up(x), up(y), act)));
            }));
        }

        @TestFactory
        @DisplayName("PReLU with a shared α or one α per channel (axis 1), forward and backward")
        Stream<DynamicTest> prelu() {
            int[][] shapes = {{17}, {1}, {4, 7}, {2, 3, 5}, {2, 5, 3, 2}, {3, 1025}, {2, 1, 7}};
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : shapes) {
                for (boolean shared : new boolean[] {true, false}) {
                    if (!shared && s.length < 2) {
                        continue;
                    }
                    String name = "prelu " + Arrays.toString(s) + (shared ? " shared α" : " per-channel α");
                    tests.add(check(name, ops(Op.PRELU, Op.PRELU_BACKWARD), () -> preluCase(name, s, shared)));
                }
            }
            tests.add(check("prelu backward vs finite difference", ops(Op.PRELU_BACKWARD), () -> {
                int[] s = {3, 4, 5};
                int n = product(s);
                float[] x = Inputs.awayFromZero(n, 2600, 0.05, 3);
                float[] alpha = Inputs.uniform(4, 2601, -0.5, 0.5);
                float[] r = Inputs.gaussian(n, 2602, 1);
                double[] all = new double[n + 4];
                for (int i = 0; i < n; i++) {
                    all[i] = x[i];
                }
                for (int c = 0; c < 4; c++) {
                    all[n + c] = alpha[c];
                }
                double[] fd = FiniteDifference.gradient(v -> {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        int c = (i / 5) % 4;
                        sum += r[i] * (v[i] > 0 ? v[i] : v[n + c] * v[i]);
                    }
                    return sum;
                }, all);
                PreluGradients g = backend.preluBackward(up(r, dims(s)), up(x, dims(s)), up(alpha));
                double[] analytic = new double[n + 4];
                for (int i = 0; i < n; i++) {
                    int c = (i / 5) % 4;
                    analytic[i] = x[i] > 0 ? r[i] : (double) alpha[c] * r[i];
                    if (x[i] <= 0) {
                        analytic[n + c] += (double) r[i] * x[i];
                    }
                }
                gradientCheck("prelu dx", Arrays.copyOf(fd, n), down(g.dx()), Arrays.copyOf(analytic, n));
                gradientCheck("prelu dα", Arrays.copyOfRange(fd, n, n + 4), down(g.dAlpha()), Arrays.copyOfRange(analytic, n, n + 4));
            }));
            return tests.stream();
        }

        private void preluCase(String name, int[] s, boolean shared) {
            int n = product(s);
            int channels = shared ? 1 : s[1];
            int inner = shared ? n : product(Arrays.copyOfRange(s, 2, s.length));
            float[] x = Inputs.withSpecials(n, 2700 + n, 3, shared ? Inputs.SPECIALS : Inputs.FINITE_SPECIALS);
            float[] alpha = Inputs.uniform(channels, 2701 + channels, -0.5, 0.5);
            float[] dy = Inputs.gaussian(n, 2702, 1);
            double[] y = new double[n];
            double[] dx = new double[n];
            double[] da = new double[channels];
            double[] daRef = new double[channels];
            int[] count = new int[channels];
            for (int i = 0; i < n; i++) {
                int c = shared ? 0 : (i / inner) % channels;
                y[i] = x[i] > 0 ? x[i] : (double) alpha[c] * x[i];
                dx[i] = x[i] > 0 ? dy[i] : (double) alpha[c] * dy[i];
                if (!(x[i] > 0)) {
                    da[c] += (double) dy[i] * x[i];
                    daRef[c] += Math.abs((double) dy[i] * x[i]);
                    count[c]++;
                }
            }
            for (int c = 0; c < channels; c++) {
                daRef[c] *= count[c] + 2;
            }
            Tensor tx = up(x, dims(s));
            Tensor ta = shared ? up(alpha, 1) : up(alpha, channels);
            assertAgree(name + " forward", Tolerances.PRELU, y, down(backend.prelu(tx, ta)), null, x);
            if (shared) {
                // The shared case's data holds ±∞ and NaN, whose dα the contract leaves to IEEE sums: its backward pass
                // runs on finite data of the same shape instead.
                preluBackwardShared(name, s, alpha, dy);
                return;
            }
            PreluGradients g = backend.preluBackward(up(dy, dims(s)), tx, ta);
            assertAgree(name + " dx", Tolerances.PRELU_BACKWARD, dx, down(g.dx()), null, x);
            assertAgree(name + " dα", Tolerances.PRELU_BACKWARD, da, down(g.dAlpha()), daRef, null);
        }

        private void preluBackwardShared(String name, int[] s, float[] alpha, float[] dy) {
            int n = product(s);
            float[] x = Inputs.withSpecials(n, 2703 + n, 3, Inputs.FINITE_SPECIALS);
            double[] dx = new double[n];
            double[] da = new double[1];
            double[] daRef = new double[1];
            int count = 0;
            for (int i = 0; i < n; i++) {
                dx[i] = x[i] > 0 ? dy[i] : (double) alpha[0] * dy[i];
                if (!(x[i] > 0)) {
                    da[0] += (double) dy[i] * x[i];
                    daRef[0] += Math.abs((double) dy[i] * x[i]);
                    count++;
                }
            }
            daRef[0] *= count + 2;
            PreluGradients g = backend.preluBackward(up(dy, dims(s)), up(x, dims(s)), up(alpha, 1));
            assertAgree(name + " dx", Tolerances.PRELU_BACKWARD, dx, down(g.dx()), null, x);
            assertAgree(name + " dα", Tolerances.PRELU_BACKWARD, da, down(g.dAlpha()), daRef, null);
        }

        @TestFactory
        @DisplayName("softmax and log-softmax over the last axis, forward and backward")
        Stream<DynamicTest> softmax() {
            int[][] shapes = {{1, 1}, {2, 7}, {7, 17}, {3, 1021}, {2, 1025}, {2, 3, 17}, {1}, {64}, {2, 5000}, {70_000, 3}};
            List<DynamicTest> tests = new ArrayList<>();
            float[] specials = {0f, -0f, 1e-7f, -1e-7f, 30f, -30f, 90f, -90f, Float.NEGATIVE_INFINITY, Float.NaN};
            for (int[] s : shapes) {
                for (boolean log : new boolean[] {false, true}) {
                    String name = (log ? "logSoftmax " : "softmax ") + Arrays.toString(s);
                    tests.add(check(name, ops(log ? Op.LOG_SOFTMAX : Op.SOFTMAX, log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD),
                            () -> softmaxCase(name, s, log, specials)));
                }
            }
            for (boolean log : new boolean[] {false, true}) {
                tests.add(check((log ? "logSoftmax" : "softmax") + " backward vs finite difference",
                        ops(log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD), () -> {
                    int rows = 3, cols = 7;
                    float[] x = Inputs.gaussian(rows * cols, 2800, 2);
                    float[] r = Inputs.gaussian(rows * cols, 2801, 1);
                    FdGradient g = softmaxGradient(x, r, rows, cols, log);
                    Tensor ty = up(Inputs.narrow(SoftmaxOracle.forward(widen(x), rows, cols, log)), rows, cols);
                    Tensor dx = log ? backend.logSoftmaxBackward(up(r, rows, cols), ty) : backend.softmaxBackward(up(r, rows, cols), ty);
                    gradientCheck(log ? "logSoftmax" : "softmax", g, down(dx));
                }));
            }
            return tests.stream();
        }

        private void softmaxCase(String name, int[] s, boolean log, float[] specials) {
            int n = product(s);
            int cols = s[s.length - 1];
            int rows = n / cols;
            float[] x = Inputs.withSpecials(n, 2900 + n, 4, specials);
            for (int r = 0; r < rows; r++) { // a row of only −∞ has no softmax; keep one finite entry
                x[r * cols] = Float.isInfinite(x[r * cols]) ? 1f : x[r * cols];
            }
            double[] xd = widen(x);
            double[] y = SoftmaxOracle.forward(xd, rows, cols, log);
            double[] ref = new double[n];
            for (int r = 0; r < rows; r++) {
                double m = ReductionOracle.max(Arrays.copyOfRange(xd, r * cols, (r + 1) * cols), 1, cols)[0];
                double lse = LossOracle.logSumExp(xd, r, cols);
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    double shift = Math.abs(xd[i] - m);
                    ref[i] = log ? shift + Math.abs(lse - m) + cols + 4 : Math.abs(y[i]) * (cols + 2 + shift);
                }
            }
            Tensor tx = up(x, dims(s));
            float[] actual = down(log ? backend.logSoftmax(tx) : backend.softmax(tx));
            assertAgree(name + " forward", log ? Tolerances.LOG_SOFTMAX : Tolerances.SOFTMAX, y, actual, ref, x);

            // Backward, on finite rows: y rounded to float is the saved output.
            float[] xf = Inputs.withSpecials(n, 3000 + n, 4, Inputs.FINITE_SPECIALS);
            float[] yf = Inputs.narrow(SoftmaxOracle.forward(widen(xf), rows, cols, log));
            float[] dy = Inputs.gaussian(n, 3001 + n, 1);
            double[] expected = SoftmaxOracle.backward(widen(dy), widen(yf), rows, cols, log);
            double[] bref = ErrorScales.softmaxBackward(dy, yf, rows, cols, log);
            Tensor tdy = up(dy, dims(s));
            Tensor ty = up(yf, dims(s));
            float[] dx = down(log ? backend.logSoftmaxBackward(tdy, ty) : backend.softmaxBackward(tdy, ty));
            assertAgree(name + " backward", log ? Tolerances.LOG_SOFTMAX_BACKWARD : Tolerances.SOFTMAX_BACKWARD, expected, dx, bref, null);
        }
    }

    // =====================================================================================
    // Accuracy where float formulas cancel or saturate
    // =====================================================================================

    @Nested
    @DisplayName("Accuracy where float formulas cancel or saturate: limits exact, tails relative, slopes near their zeros")
    class Edges {
        /** |got − exact| ≤ rel·|exact| + 2⁻¹²⁶ (below float32's normal range no relative accuracy is asked). */
        private void assertRelative(String what, double exact, float got, double rel) {
            double allowed = rel * Math.abs(exact) + 0x1p-126;
            assertTrue(Math.abs(got - exact) <= allowed, () -> what + " = " + got + ", exact " + exact + ", relative error "
                    + Math.abs(got - exact) / Math.abs(exact) + " > " + rel);
            if (Math.abs(exact) > 0x1p-126) {
                assertEquals(Math.signum(exact), Math.signum(got), () -> what + " = " + got + " has the wrong sign (exact " + exact + ")");
            }
        }

        /** The ulp of the float interval that holds v (below a power of two, half the one above). */
        private double ulpAt(double v) {
            float r = (float) Math.abs(v);
            return Math.ulp(r > Math.abs(v) ? Math.nextDown(r) : r);
        }

        @TestFactory
        @DisplayName("signed zeros and huge logits: ELU(−0) = −0, the GELUs at −∞ are −0, max(−0, +0) = +0, and the softmax "
                + "cross-entropy of rows of equal logits of 1e17 is ln 4")
        Stream<DynamicTest> signedZerosAndHugeLogits() {
            return Stream.of(check("ELU of ±0 is ±0", ops(Op.ACTIVATION), () -> {
                for (float alpha : new float[] {1f, 0f}) {
                    float[] y = down(backend.activation(up(new float[] {-0f, 0f}), Activation.elu(alpha)));
                    assertArrayEquals(bits(new float[] {-0f, 0f}), bits(y), "ELU(" + alpha + ") of −0 and +0: " + Arrays.toString(y));
                }
            }), check("both GELUs at −∞ are −0 and at +∞ are +∞", ops(Op.ACTIVATION), () -> {
                for (Activation a : new Activation[] {Activation.GELU, Activation.GELU_TANH}) {
                    float[] y = down(backend.activation(up(new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}), a));
                    assertArrayEquals(bits(new float[] {-0f, Float.POSITIVE_INFINITY}), bits(y), a + " at ∓∞: " + Arrays.toString(y));
                }
            }), check("max prefers +0 to −0, wherever they stand in the row", ops(Op.MAX), () -> {
                float[] x = {-0f, 0f, -0f, -0f, /* */ -5f, -0f, 0f, -3f, /* */ -0f, -0f, -1f, -0f, /* */ 0f, -0f, -2f, -0f};
                float[] m = down(backend.max(up(x, 4, 4)));
                assertArrayEquals(bits(new float[] {0f, 0f, -0f, 0f}), bits(m), "row maxima " + Arrays.toString(m));
            }), check("the odd activations keep −0: tanh, leaky ReLU, swish and both GELUs", ops(Op.ACTIVATION), () -> {
                for (Activation a : new Activation[] {Activation.TANH, Activation.leakyRelu(0.01f), Activation.swish(1f),
                        Activation.GELU, Activation.GELU_TANH}) {
                    float[] y = down(backend.activation(up(new float[] {-0f, 0f}), a));
                    assertArrayEquals(bits(new float[] {-0f, 0f}), bits(y), a + " of −0 and +0: " + Arrays.toString(y));
                }
            }), check("softmax and log-softmax of a row of only −∞, or holding +∞, are NaN", ops(Op.SOFTMAX, Op.LOG_SOFTMAX), () -> {
                float inf = Float.POSITIVE_INFINITY;
                float[] x = {-inf, -inf, -inf, /* */ 1f, inf, 2f, /* */ 0f, 1f, 2f};
                for (boolean log : new boolean[] {false, true}) {
                    Tensor tx = up(x, 3, 3);
                    float[] y = down(log ? backend.logSoftmax(tx) : backend.softmax(tx));
                    for (int i = 0; i < 6; i++) {
                        assertTrue(Float.isNaN(y[i]), (log ? "logSoftmax" : "softmax") + " element " + i + " of rows "
                                + "[−∞ −∞ −∞] and [1 ∞ 2]: " + y[i] + " (want NaN)");
                    }
                    for (int i = 6; i < 9; i++) {
                        assertTrue(Float.isFinite(y[i]), "the finite row stays finite: " + y[i]);
                    }
                }
            }), check("softmax cross-entropy of a row holding NaN is NaN, loss and that row's gradient", ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                int cols = 37;
                float[] x = Inputs.gaussian(3 * cols, 3460, 2);
                x[cols + 29] = Float.NaN; // row 1, past the first vector
                for (Reduction red : Reduction.values()) {
                    LossAndGradient lg = backend.softmaxCrossEntropy(up(x, 3, cols), new int[] {0, 5, 36}, red);
                    assertTrue(Float.isNaN(lg.loss().item()), "loss " + red + ": " + lg.loss().item());
                    float[] g = down(lg.gradient());
                    for (int c = 0; c < cols; c++) {
                        assertTrue(Float.isNaN(g[cols + c]), "row 1's gradient at " + c + ": " + g[cols + c]);
                        assertTrue(Float.isFinite(g[c]) && Float.isFinite(g[2 * cols + c]), "rows 0 and 2 stay finite");
                    }
                }
            }), check("argmax takes the first of equal maxima past the first vector of a row", ops(Op.ARGMAX), () -> {
                int cols = 70;
                float[] x = Inputs.gaussian(4 * cols, 3470, 1);
                int[][] at = {{20, 21}, {17, 69}, {40, 41}, {33, 66}};
                for (int r = 0; r < 4; r++) {
                    for (int c : at[r]) {
                        x[r * cols + c] = 9f;
                    }
                }
                int[] got = backend.argmax(up(x, 4, cols));
                assertArrayEquals(new int[] {20, 17, 40, 33}, got, "the first of two equal maxima in each row");
            }), check("softmax cross-entropy keeps log Σ beside logits of 1e17", ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                // (max − x) + log Σ, not (max + log Σ) − x: the second loses log Σ entirely once |max| ≫ 2⁵³·log Σ.
                for (float big : new float[] {1e12f, 1e17f, -1e17f, Float.MAX_VALUE}) {
                    float[] x = new float[8];
                    Arrays.fill(x, big);
                    Tensor logits = up(x, 2, 4);
                    double want = 2 * Math.log(4);
                    float labels = backend.softmaxCrossEntropy(logits, new int[] {0, 3}, Reduction.SUM).loss().item();
                    assertEquals(want, labels, 1e-6 * want, "labels, logits all " + big);
                    float[] t = {0.25f, 0.25f, 0.25f, 0.25f, 1f, 0f, 0f, 0f};
                    float targets = backend.softmaxCrossEntropy(logits, up(t, 2, 4), Reduction.SUM).loss().item();
                    assertEquals(want, targets, 1e-6 * want, "probability targets, logits all " + big);
                }
            }));
        }

        @TestFactory
        @DisplayName("tanh is ±1 exactly from |x| = 9.0111, its slope there 0, and within 2 ulp from 1.5 to saturation")
        Stream<DynamicTest> tanhSaturation() {
            return Stream.of(check("tanh at saturation", ops(Op.ACTIVATION, Op.ACTIVATION_BACKWARD), () -> {
                float[] x = {9.0111f, 9.5f, 15f, 30f, 1e30f, -9.0111f, -30f, Float.MAX_VALUE};
                float[] y = down(backend.activation(up(x), Activation.TANH));
                float[] dx = down(backend.activationBackward(up(ones(x.length)), up(x), up(y), Activation.TANH));
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Math.signum(x[i]), y[i], "tanh(" + x[i] + ")");
                    assertEquals(0f, dx[i], 0f, "tanh'(" + x[i] + ") from its own y");
                }
            }), check("tanh within 2 ulp on [1.5, 9.02]", ops(Op.ACTIVATION), () -> {
                // Near saturation the backward pass's 1 − y² turns y's error into the gradient's: 2.5 ulp there became
                // 17 times PyTorch's gradient error.
                int n = 4000;
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (i % 2 == 0 ? 1 : -1) * (1.5f + 7.52f * i / n);
                }
                float[] y = down(backend.activation(up(x), Activation.TANH));
                for (int i = 0; i < n; i++) {
                    double exact = Math.tanh(x[i]);
                    double err = Math.abs(y[i] - exact) / ulpAt(exact);
                    int at = i;
                    assertTrue(err <= 2, () -> "tanh(" + x[at] + ") = " + y[at] + ", exact " + exact + ": " + err + " ulp");
                }
            }));
        }

        @TestFactory
        @DisplayName("GELU (below −4) and tanh-GELU (below −3) keep relative accuracy and their sign, forward and backward")
        Stream<DynamicTest> geluTails() {
            // Exact GELU's fits down to −4 are absolutely accurate, to within PyTorch's 1 + erf there.
            return Stream.of(Activation.GELU, Activation.GELU_TANH).map(act -> check(act + " tails", ops(Op.ACTIVATION,
                    Op.ACTIVATION_BACKWARD), () -> {
                float[] x = act.kind() == Activation.Kind.GELU
                        ? new float[] {-4.01f, -4.5f, -5.47f, -5.99f, -7f, -9f, -12f}
                        : new float[] {-3f, -3.5f, -4.5f, -5.47f, -5.99f, -7f, -9f};
                float[] y = down(backend.activation(up(x), act));
                float[] dx = down(backend.activationBackward(up(ones(x.length)), up(x), up(y), act));
                for (int i = 0; i < x.length; i++) {
                    // 1e-5: the exp of −x²/2 (or of 2u) of an exactly split argument, erfc's 1.2e-7 and a few roundings;
                    // 1 + erf forms give 0 or several times the value here.
                    assertRelative(act + "(" + x[i] + ")", ActivationOracle.forward(act, x[i]), y[i], 1e-5);
                    assertRelative(act + "'(" + x[i] + ")", ActivationOracle.derivative(act, x[i]), dx[i], 1e-5);
                }
            }));
        }

        @TestFactory
        @DisplayName("swish's and tanh-GELU's slopes stay within 3e-8 and 8e-8 of exact around their zeros (βx ≈ −1.28, x ≈ −0.75)")
        Stream<DynamicTest> slopeZeros() {
            // PyTorch's float32 is within about 1.1e-8 and 4e-8 there; sums that cancel at σ's magnitude were at 5e-8
            // and 1.2e-7.
            return Stream.of(new Object[] {Activation.swish(1f), -1.5f, -1.05f, 3e-8},
                            new Object[] {Activation.GELU_TANH, -1f, -0.5f, 8e-8})
                    .map(c -> check(c[0] + " slope near its zero", ops(Op.ACTIVATION, Op.ACTIVATION_BACKWARD), () -> {
                        Activation act = (Activation) c[0];
                        float lo = (float) c[1];
                        float hi = (float) c[2];
                        double bound = (double) c[3];
                        int n = 2001;
                        float[] x = new float[n];
                        for (int i = 0; i < n; i++) {
                            x[i] = lo + (hi - lo) * i / (n - 1);
                        }
                        float[] dx = down(backend.activationBackward(up(ones(n)), up(x),
                                backend.activation(up(x), act), act));
                        for (int i = 0; i < n; i++) {
                            double exact = ActivationOracle.derivative(act, x[i]);
                            int at = i;
                            assertTrue(Math.abs(dx[i] - exact) <= bound, () -> act + "'(" + x[at] + ") = " + dx[at]
                                    + ", exact " + exact);
                        }
                    }));
        }

        @TestFactory
        @DisplayName("ELU's slope keeps relative accuracy for x ≪ 0 (taken from x, not from y + α)")
        Stream<DynamicTest> eluSlope() {
            return Stream.of(check("elu slope far below 0", ops(Op.ACTIVATION, Op.ACTIVATION_BACKWARD), () -> {
                Activation act = Activation.elu(1f);
                float[] x = {-3f, -10f, -14.8f, -30f, -80f};
                float[] y = down(backend.activation(up(x), act));
                float[] dx = down(backend.activationBackward(up(ones(x.length)), up(x), up(y), act));
                for (int i = 0; i < x.length; i++) {
                    assertRelative("elu'(" + x[i] + ")", ActivationOracle.derivative(act, x[i]), dx[i], 1e-6);
                }
            }));
        }

        @TestFactory
        @DisplayName("matmul sums long dot products in blocks: 1 + 4096 terms of 2⁻²⁵ keeps most of their 2⁻¹³")
        Stream<DynamicTest> blockedDotProducts() {
            return Stream.of(check("matmul k = 4097, small terms after a large one", ops(Op.MATMUL), () -> {
                int k = 4097;
                int m = 2;
                int n = 3;
                float[] a = new float[m * k];
                for (int i = 0; i < m; i++) {
                    a[i * k] = 1f;
                    for (int p = 1; p < k; p++) {
                        a[i * k + p] = 0x1p-25f;
                    }
                }
                float[] b = new float[k * n];
                Arrays.fill(b, 1f);
                float[] c = down(backend.matmul(up(a, m, k), up(b, k, n)));
                double exact = 1 + 4096 * 0x1p-25;
                for (int i = 0; i < c.length; i++) {
                    // One chain over k adds each 2⁻²⁵ to 1 and loses it (1 + 2⁻²⁵ rounds to 1): error 2⁻¹³ = 1.2e-4,
                    // 6 times OpenBLAS's. Chains of at most 256 steps added together lose at most one chain's worth
                    // (2⁻¹⁷ = 7.6e-6 here); the bound allows chains up to 1,000.
                    int at = i;
                    assertTrue(Math.abs(c[i] - exact) <= 3e-5, () -> "c[" + at + "] = " + c[at] + ", exact " + exact);
                }
            }));
        }

        /**
         * Where a float intermediate overflows though the exact result fits, a backend may give the exact result (it
         * computed wider: the CPU, OpenCL and CUDA backends do for the losses) or the overflow's +∞, never NaN or
         * another value.
         */
        private void assertExactOrOverflow(String what, double exact, float got, double rel) {
            if (got != Float.POSITIVE_INFINITY) {
                assertRelative(what, exact, got, rel);
            }
        }

        @TestFactory
        @DisplayName("the edge of float's range: a loss, moment or norm whose terms overflow float where the result need not")
        Stream<DynamicTest> rangeEdges() {
            return Stream.of(check("MSE and Huber over a difference whose square overflows float", ops(Op.LOSS), () -> {
                int n = 16;
                float[] p = new float[n];
                float[] t = new float[n];
                p[3] = 2e19f; // d² = 4e38 > FLT_MAX; the mean, 2.5e37, fits
                Tensor tp = up(p);
                Tensor tt = up(t);
                assertExactOrOverflow("MSE mean", (double) p[3] * p[3] / n,
                        backend.loss(tp, tt, Loss.MSE, Reduction.MEAN).item(), 1e-6);
                float delta = 3e19f;
                p[3] = 2.5e19f; // Huber's quadratic branch: 0.5·d² = 3.1e38 fits, d² does not
                tp = up(p);
                assertExactOrOverflow("Huber mean", 0.5 * p[3] * (double) p[3] / n,
                        backend.loss(tp, tt, Loss.huber(delta), Reduction.MEAN).item(), 1e-6);
            }), check("softmax cross-entropy against targets: a masked class (logit −∞, target 0) adds nothing",
                    ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                int rows = 3;
                int cols = 21;
                float[] x = Inputs.gaussian(rows * cols, 3750, 2);
                float[] t = Inputs.probabilities(rows, cols, 3751);
                for (int r = 0; r < rows; r++) {
                    for (int c : new int[] {0, 5, 17, 20}) {
                        x[r * cols + c] = Float.NEGATIVE_INFINITY;
                        t[r * cols + c] = 0;
                    }
                }
                LossAndGradient lg = backend.softmaxCrossEntropy(up(x, rows, cols), up(t, rows, cols), Reduction.SUM);
                double expected = LossOracle.crossEntropy(widen(x), null, widen(t), rows, cols, Reduction.SUM);
                assertTrue(Double.isFinite(expected), "the oracle's loss: " + expected);
                assertRelative("loss with masked classes", expected, lg.loss().item(), 1e-5);
                float[] g = down(lg.gradient());
                for (int r = 0; r < rows; r++) {
                    assertEquals(0f, g[r * cols + 5], 0f, "the gradient of a masked class, row " + r);
                }
            }), check("Adam with a gradient whose square overflows float: an infinite second moment, no NaN", ops(Op.ADAM_STEP), () -> {
                int n = 33;
                float[] g = new float[n];
                Arrays.fill(g, 1f);
                g[7] = 2e19f;
                g[30] = -3e25f;
                Tensor w = up(ones(n));
                Tensor m = backend.zeros(n);
                Tensor v = backend.zeros(n);
                backend.adamStep(w, up(g), m, v, AdamConfig.adam(1e-3f), 1);
                float[] w1 = down(w);
                float[] m1 = down(m);
                float[] v1 = down(v);
                for (int i : new int[] {7, 30}) {
                    AdamConfig cfg = AdamConfig.adam(1e-3f);
                    double exactV = (1 - (double) cfg.beta2()) * g[i] * (double) g[i];
                    assertRelative("m, element " + i, (1 - (double) cfg.beta1()) * g[i], m1[i], 1e-6);
                    if (exactV > Float.MAX_VALUE || v1[i] == Float.POSITIVE_INFINITY) {
                        assertEquals(Float.POSITIVE_INFINITY, v1[i], "v where g² overflows float, element " + i);
                    } else {
                        assertRelative("v, element " + i, exactV, v1[i], 1e-5); // a backend that squares wider
                    }
                    // The step: m / ∞ = 0 where √(v / (1 − β2ᵗ)) overflowed float, else about lr; never NaN.
                    float wi = w1[i];
                    int at = i;
                    assertTrue(wi == 1f || Math.abs(wi - (1 - 1e-3 * Math.signum(g[i]))) <= 1e-5,
                            () -> "w, element " + at + ": " + wi + " (1, or 1 − lr·sign(g))");
                }
                assertRelative("w elsewhere", 1 - 1e-3, w1[0], 1e-5);
            }), check("clipGradNorm over finite gradients whose norm exceeds float's range", ops(Op.CLIP_GRAD_NORM, Op.L2_NORM,
                    Op.SCALE), () -> {
                Tensor big = up(new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
                Tensor small = up(new float[] {1f, 2f});
                float norm = backend.clipGradNorm(List.of(big, small), 1f);
                assertEquals(Float.POSITIVE_INFINITY, norm, "the norm, rounded to float");
                float[] b = down(big);
                float[] sm = down(small);
                double k = 1 / (Math.sqrt(2) * Float.MAX_VALUE);
                assertRelative("the largest, clipped", Float.MAX_VALUE * k, b[0], 1e-5);
                assertRelative("its opposite", -Float.MAX_VALUE * k, b[1], 1e-5);
                assertEquals(0f, sm[0], 1e-30f, "a small gradient, scaled by the same finite factor");
            }));
        }

        @TestFactory
        @DisplayName("optimiser steps: Adam's moments and plain SGD within 1 ulp where their terms nearly cancel")
        Stream<DynamicTest> optimisers() {
            return Stream.of(check("adam moments under a constant gradient of 90", ops(Op.ADAM_STEP), () -> {
                AdamConfig cfg = AdamConfig.adam(1e-3f);
                int n = 33;
                Tensor w = backend.zeros(n);
                Tensor m = backend.zeros(n);
                Tensor v = backend.zeros(n);
                float[] g = new float[n];
                Arrays.fill(g, 90f);
                for (long step = 1; step <= 12; step++) {
                    float[] m0 = down(m);
                    float[] v0 = down(v);
                    backend.adamStep(w, up(g), m, v, cfg, step);
                    float[] m1 = down(m);
                    float[] v1 = down(v);
                    double b1 = cfg.beta1();
                    double b2 = cfg.beta2();
                    for (int i = 0; i < n; i++) {
                        double em = b1 * m0[i] + (1 - b1) * 90.0;
                        double ev = b2 * v0[i] + (1 - b2) * 8100.0;
                        long s = step;
                        int at = i;
                        assertTrue(Math.abs(m1[i] - em) <= ulpAt(em), () -> "m after step " + s + " = " + m1[at] + ", exact " + em);
                        assertTrue(Math.abs(v1[i] - ev) <= ulpAt(ev), () -> "v after step " + s + " = " + v1[at] + ", exact " + ev);
                    }
                }
            }), check("sgd w − lr·g where the two nearly cancel", ops(Op.SGD_STEP), () -> {
                SgdConfig cfg = SgdConfig.of(0.1f);
                int n = 1000;
                float[] g = Inputs.gaussian(n, 6400, 1);
                float[] w0 = new float[n];
                for (int i = 0; i < n; i++) {
                    // w close to lr·g: the update leaves a small remainder, where each extra rounding shows.
                    w0[i] = 0.1f * g[i] * (1 + 0.01f * ((i % 7) - 3));
                }
                Tensor w = up(w0);
                backend.sgdStep(w, up(g), null, cfg);
                float[] w1 = down(w);
                for (int i = 0; i < n; i++) {
                    double exact = w0[i] - (double) cfg.learningRate() * g[i];
                    int at = i;
                    assertTrue(Math.abs(w1[i] - exact) <= ulpAt(exact), () -> "w = " + w1[at] + ", exact " + exact);
                }
            }));
        }
    }

    // =====================================================================================
    // Linear
    // =====================================================================================

    @Nested
    @DisplayName("The dense layer y = act(x·W + b) and its gradients agree with the oracle")
    class Linear {
        private final Activation[] acts = {Activation.IDENTITY, Activation.RELU, Activation.TANH, Activation.GELU, Activation.SIGMOID};
        // {130, 33, 65} and {1000, 7, 3}: more rows than one tile or block of rows.
        private final int[][] shapes = {{1, 1, 1}, {7, 17, 5}, {64, 33, 65}, {3, 1025, 2}, {17, 7, 1}, {130, 33, 65}, {1000, 7, 3}};

        @TestFactory
        @DisplayName("forward and backward, with and without bias")
        Stream<DynamicTest> layer() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : shapes) {
                for (Activation act : acts) {
                    for (boolean bias : new boolean[] {true, false}) {
                        String name = String.format(Locale.ROOT, "linear rows=%d in=%d out=%d %s%s", s[0], s[1], s[2], act, bias ? " + bias" : "");
                        tests.add(check(name, ops(Op.LINEAR, Op.LINEAR_BACKWARD), () -> linearCase(name, s[0], s[1], s[2], act, bias)));
                    }
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("with PReLU: forward, and backward to x, W, b and α, shared or one α per output")
        Stream<DynamicTest> prelu() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : shapes) {
                for (boolean shared : new boolean[] {true, false}) {
                    String name = String.format(Locale.ROOT, "linear rows=%d in=%d out=%d PReLU (%s α) + bias", s[0], s[1], s[2],
                            shared ? "shared" : "per-output");
                    tests.add(check(name, ops(Op.LINEAR, Op.LINEAR_BACKWARD, Op.PRELU, Op.PRELU_BACKWARD),
                            () -> preluCase(name, s[0], s[1], s[2], shared)));
                }
            }
            return tests.stream();
        }

        private void preluCase(String name, int rows, int in, int out, boolean shared) {
            long seed = 3300L + rows * 7L + in * 3L + out;
            float[] x = Inputs.gaussian(rows * in, seed, 1);
            float[] w = Inputs.gaussian(in * out, seed + 1, 1 / Math.sqrt(in));
            float[] b = Inputs.gaussian(out, seed + 2, 0.5);
            float[] alpha = Inputs.uniform(shared ? 1 : out, seed + 3, 0.05, 0.4);
            float[] dy = Inputs.gaussian(rows * out, seed + 4, 1);
            LinearOutput fwd = backend.linear(up(x, rows, in), up(w, in, out), up(b, out), shared ? up(alpha, 1) : up(alpha, out));
            float[] z = down(fwd.preActivation());
            double[] mag = new double[rows * out];
            double[] zRef = LinalgOracle.linearPre(widen(x), widen(w), widen(b), rows, in, out, mag);
            for (int i = 0; i < mag.length; i++) {
                mag[i] *= in + 2;
            }
            assertAgree(name + " z", Tolerances.LINEAR, zRef, z, mag, null);
            // y and the gradients from the backend's own z, so that a z within rounding of 0 cannot flip a branch.
            double[] y = new double[z.length];
            double[] dz = new double[z.length];
            double[] da = new double[alpha.length];
            double[] daRef = new double[alpha.length];
            for (int i = 0; i < z.length; i++) {
                int c = shared ? 0 : i % out;
                y[i] = z[i] > 0 ? z[i] : (double) alpha[c] * z[i];
                dz[i] = z[i] > 0 ? dy[i] : (double) alpha[c] * dy[i];
                if (!(z[i] > 0)) {
                    da[c] += (double) dy[i] * z[i];
                    daRef[c] += Math.abs((double) dy[i] * z[i]);
                }
            }
            for (int c = 0; c < da.length; c++) {
                daRef[c] *= rows * (shared ? out : 1) + 2;
            }
            assertAgree(name + " y", Tolerances.PRELU, y, down(fwd.output()), null, z);
            LinearGradients g = backend.linearBackward(up(dy, rows, out), fwd);
            double[][] expected = LinalgOracle.linearBackward(dz, widen(x), widen(w), rows, in, out);
            double[][] magnitude = LinalgOracle.linearBackwardMagnitude(abs(dz), widen(x), widen(w), rows, in, out);
            int[] terms = {out, rows, rows};
            Tensor[] actual = {g.dx(), g.dw(), g.db()};
            String[] names = {"dx", "dw", "db"};
            for (int k = 0; k < 3; k++) {
                double[] ref = new double[expected[k].length];
                for (int i = 0; i < ref.length; i++) {
                    ref[i] = (terms[k] + 3) * magnitude[k][i];
                }
                assertAgree(name + " " + names[k], Tolerances.LINEAR_BACKWARD, expected[k], down(actual[k]), ref, null);
            }
            assertAgree(name + " dα", Tolerances.PRELU_BACKWARD, da, down(g.dAlpha()), daRef, null);
        }

        private void linearCase(String name, int rows, int in, int out, Activation act, boolean withBias) {
            long seed = 3100L + rows * 7L + in * 3L + out + act.kind().ordinal();
            float[] x = Inputs.gaussian(rows * in, seed, 1);
            float[] w = Inputs.gaussian(in * out, seed + 1, 1 / Math.sqrt(in));
            float[] b = withBias ? Inputs.gaussian(out, seed + 2, 0.5) : null;
            float[] dy = Inputs.gaussian(rows * out, seed + 3, 1);
            Tensor tx = up(x, rows, in);
            Tensor tw = up(w, in, out);
            Tensor tb = withBias ? up(b, out) : null;
            LinearOutput fwd = backend.linear(tx, tw, tb, act);
            assertEquals(Shape.of(rows, out), fwd.output().shape());
            double[] mag = new double[rows * out];
            double[] z = LinalgOracle.linearPre(widen(x), widen(w), withBias ? widen(b) : null, rows, in, out, mag);
            for (int i = 0; i < mag.length; i++) {
                mag[i] *= in + 2;
            }
            float[] zb = down(fwd.preActivation());
            assertAgree(name + " z", Tolerances.LINEAR, z, zb, mag, null);
            double[] yRef = new double[zb.length];
            double[] y = activationForward(act, zb, yRef);
            float[] yb = down(fwd.output());
            assertAgree(name + " y = act(z)", Tolerances.activation(act), y, yb, yRef, zb);

            LinearGradients g = backend.linearBackward(up(dy, rows, out), fwd);
            Tolerance actTol = Tolerances.activationBackward(act);
            double[] dz = new double[zb.length];
            double[] dzBound = new double[zb.length];
            for (int i = 0; i < zb.length; i++) {
                dz[i] = ActivationOracle.backward(act, dy[i], zb[i], yb[i]);
                // dz's own allowance, plus its final rounding to float when kept in memory
                dzBound[i] = actTol.bound(dz[i], Math.abs(dy[i]) * (1 + Math.abs(zb[i]))) + U * Math.abs(dz[i]);
            }
            double[][] expected = LinalgOracle.linearBackward(dz, widen(x), widen(w), rows, in, out);
            double[][] magnitude = LinalgOracle.linearBackwardMagnitude(abs(dz), widen(x), widen(w), rows, in, out);
            double[][] carried = LinalgOracle.linearBackwardMagnitude(dzBound, widen(x), widen(w), rows, in, out);
            int[] terms = {out, rows, rows};
            String[] names = {"dx", "dw", "db"};
            float[][] actual = {down(g.dx()), down(g.dw()), withBias ? down(g.db()) : null};
            for (int k = 0; k < 3; k++) {
                if (k == 2 && !withBias) {
                    assertTrue(g.db() == null, "db must be null without bias");
                    continue;
                }
                double[] ref = new double[expected[k].length];
                for (int i = 0; i < ref.length; i++) {
                    ref[i] = (terms[k] + 2) * magnitude[k][i] + carried[k][i] / Tolerances.LINEAR_BACKWARD.refRel();
                }
                assertAgree(name + " " + names[k], Tolerances.LINEAR_BACKWARD, expected[k], actual[k], ref, null);
            }
            // A first layer's form: no input gradient, the same dW and db to the bit.
            LinearGradients noDx = backend.linearBackward(up(dy, rows, out), fwd, false);
            assertTrue(noDx.dx() == null, "dx must be null when the input gradient is not asked for");
            assertBits(name + " dw without dx", actual[1], down(noDx.dw()), null);
            if (withBias) {
                assertBits(name + " db without dx", actual[2], down(noDx.db()), null);
            }
        }

        @TestFactory
        @DisplayName("backward agrees with a float64 finite difference in x, W and b")
        Stream<DynamicTest> finiteDifference() {
            return Stream.of(Activation.TANH, Activation.GELU, Activation.SIGMOID, Activation.IDENTITY).map(act ->
                    check("linear " + act + " backward vs finite difference", ops(Op.LINEAR, Op.LINEAR_BACKWARD), () -> {
                int rows = 3, in = 4, out = 5;
                float[][] xwbr = linearInputs(rows, in, out, 3200, 0.5, v -> v);
                FdGradient all = linearLayerGradient(act, xwbr, rows, in, out);
                LinearOutput fwd = backend.linear(up(xwbr[0], rows, in), up(xwbr[1], in, out), up(xwbr[2], out), act);
                LinearGradients g = backend.linearBackward(up(xwbr[3], rows, out), fwd);
                Tensor[] got = {g.dx(), g.dw(), g.db()};
                int[] at = linearParts(rows, in, out);
                for (int k = 0; k < got.length; k++) {
                    gradientCheck(LINEAR_PARTS[k], Tolerances.LINEAR_GRADIENT_CHECK, all.slice(at[k], at[k + 1]), down(got[k]));
                }
            }));
        }
    }

    // =====================================================================================
    // Losses
    // =====================================================================================

    private static final Loss[] LOSSES = {
        Loss.MSE, Loss.MAE, Loss.huber(1f), Loss.huber(0.25f), Loss.BINARY_CROSS_ENTROPY, Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS
    };

    /** Predictions and targets suited to the loss: probabilities for BCE, with 0 and 1 among them. */
    private static float[][] lossData(Loss loss, int n, long seed) {
        if (loss.kind() == Loss.Kind.BINARY_CROSS_ENTROPY) {
            float[] p = Inputs.uniform(n, seed, 0, 1);
            float[] t = Inputs.uniform(n, seed + 1, 0, 1);
            float[] edges = {0f, 1f, 1e-7f, 0.9999999f, 0.5f};
            for (int i = (int) (seed % 3); i < n; i += 4) {
                p[i] = edges[(i / 4) % edges.length];
                t[i] = (i / 4) % 2 == 0 ? 1f : 0f;
            }
            return new float[][] {p, t};
        }
        float[] p = Inputs.withSpecials(n, seed, 3, Inputs.FINITE_SPECIALS);
        float[] t = loss.kind() == Loss.Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS ? Inputs.uniform(n, seed + 1, 0, 1)
                : Inputs.withSpecials(n, seed + 1, 3, Inputs.FINITE_SPECIALS);
        return new float[][] {p, t};
    }

    private static double lossRef(Loss loss, Reduction red, double[] p, double[] t) {
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += LossOracle.elementMagnitude(loss, p[i], t[i]);
        }
        s *= p.length + 4;
        return red == Reduction.MEAN ? s / p.length : s;
    }

    private static double[] lossGradientRef(Loss loss, Reduction red, double[] p, double[] t) {
        double[] ref = new double[p.length];
        if (loss.kind() == Loss.Kind.BINARY_CROSS_ENTROPY_WITH_LOGITS) {
            double k = red == Reduction.MEAN ? 1.0 / p.length : 1.0;
            for (int i = 0; i < p.length; i++) {
                ref[i] = (ActivationOracle.sigmoid(p[i]) + Math.abs(t[i])) * k;
            }
        }
        return ref;
    }

    @Nested
    @DisplayName("Losses and the softmax cross-entropy agree with the oracle, with MEAN and SUM")
    class Losses {
        @TestFactory
        @DisplayName("every loss, its gradient, and both in one pass")
        Stream<DynamicTest> elementwise() {
            List<DynamicTest> tests = new ArrayList<>();
            for (Loss loss : LOSSES) {
                for (Reduction red : Reduction.values()) {
                    for (int n : SIZES) {
                        String name = loss + " " + red + " n=" + n;
                        tests.add(check(name, ops(Op.LOSS, Op.LOSS_BACKWARD), () -> {
                            float[][] pt = lossData(loss, n, 3300 + n + loss.kind().ordinal());
                            double[] p = widen(pt[0]);
                            double[] t = widen(pt[1]);
                            double expected = LossOracle.loss(loss, red, p, t);
                            double ref = lossRef(loss, red, p, t);
                            double[] grad = LossOracle.gradient(loss, red, p, t);
                            double[] gref = lossGradientRef(loss, red, p, t);
                            Tensor tp = up(pt[0]);
                            Tensor tt = up(pt[1]);
                            Tensor l = backend.loss(tp, tt, loss, red);
                            assertEquals(0, l.rank());
                            assertAgree(name + " loss", Tolerances.LOSS, expected, l.item(), ref);
                            assertAgree(name + " gradient", Tolerances.LOSS_BACKWARD, grad, down(backend.lossBackward(tp, tt, loss, red)), gref, pt[0]);
                            LossAndGradient both = backend.lossWithGradient(tp, tt, loss, red);
                            assertAgree(name + " lossWithGradient loss", Tolerances.LOSS, expected, both.loss().item(), ref);
                            assertAgree(name + " lossWithGradient gradient", Tolerances.LOSS_BACKWARD, grad, down(both.gradient()), gref, pt[0]);
                        }));
                    }
                }
                tests.add(check(loss + " propagates NaN", ops(Op.LOSS, Op.LOSS_BACKWARD), () -> {
                    for (int n : new int[] {7, 37}) { // within one vector, and at an element past the first
                        for (Reduction red : Reduction.values()) {
                            float[][] pt = lossData(loss, n, 3400);
                            int at = n == 7 ? 3 : 29;
                            pt[0][at] = Float.NaN;
                            Tensor tp = up(pt[0]);
                            Tensor tt = up(pt[1]);
                            assertTrue(Float.isNaN(backend.loss(tp, tt, loss, red).item()), loss + " " + red
                                    + " with a NaN prediction must be NaN");
                            float[] g = down(backend.lossBackward(tp, tt, loss, red));
                            assertTrue(Float.isNaN(g[at]), loss + " " + red + " gradient at the NaN prediction must be NaN, got "
                                    + g[at]);
                            LossAndGradient both = backend.lossWithGradient(tp, tt, loss, red);
                            assertTrue(Float.isNaN(both.loss().item()) && Float.isNaN(down(both.gradient())[at]),
                                    loss + " " + red + " lossWithGradient with a NaN prediction");
                        }
                    }
                }));
                tests.add(check(loss + " gradient vs finite difference", ops(Op.LOSS_BACKWARD), () -> {
                    float[][] pt = lossGradientData(loss, 17, 3500, 0.2, v -> v);
                    for (Reduction red : Reduction.values()) {
                        FdGradient g = lossGradient(loss, red, pt[0], pt[1]);
                        gradientCheck(loss + " " + red, g, down(backend.lossBackward(up(pt[0]), up(pt[1]), loss, red)));
                    }
                }));
            }
            // Confident predictions: the losses and gradients are tiny there, and the kit's absolute tolerances above
            // would pass a form that loses them (ln(1 − p) after rounding 1 − p; σ(p) − t cancelling).
            int n = 67; // a vector body and a tail
            tests.add(check("binary cross-entropy of tiny p against 0 is accurate relative to the loss",
                    ops(Op.LOSS, Op.LOSS_BACKWARD), () -> {
                float[] p = new float[n];
                float[] t = new float[n];
                double want = 0;
                for (int i = 0; i < n; i++) {
                    p[i] = (float) (1e-8 * Math.pow(100, i / (double) (n - 1))); // 1e-8 … 1e-6
                    want += -Math.log1p(-(double) p[i]);
                }
                float got = backend.loss(up(p), up(t), Loss.BINARY_CROSS_ENTROPY, Reduction.SUM).item();
                assertTrue(Math.abs(got - want) <= 1e-5 * want, "Σ −ln(1 − p) for p in [1e-8, 1e-6]: " + got + ", want "
                        + want + " (ln(1 − p) must not round 1 − p first: use log1p)");
            }));
            tests.add(check("binary cross-entropy with logits keeps the gradient of a confident logit",
                    ops(Op.LOSS_BACKWARD), () -> {
                float[] p = new float[n];
                float[] t = new float[n];
                for (int i = 0; i < n; i++) {
                    p[i] = 10f + 30f * i / (n - 1); // 10 … 40, t = 1: the gradient is −σ(−p) ≈ −e^−p
                    t[i] = 1f;
                }
                float[] g = down(backend.lossBackward(up(p), up(t), Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS, Reduction.SUM));
                for (int i = 0; i < n; i++) {
                    double want = LossOracle.elementGradient(Loss.BINARY_CROSS_ENTROPY_WITH_LOGITS, p[i], 1.0);
                    assertTrue(Math.abs(g[i] - want) <= 1e-5 * Math.abs(want), "gradient at p = " + p[i] + ", t = 1: "
                            + g[i] + ", want " + want + " (σ(p) − 1 cancels: use −σ(−p))");
                }
            }));
            tests.add(check("binary cross-entropy of p outside [0, 1] is NaN, loss and gradient", ops(Op.LOSS, Op.LOSS_BACKWARD), () -> {
                float[] p = {-0.5f, 1.5f, 0f, 1f};
                float[] t = {0f, 1f, 0f, 1f};
                float[] g = down(backend.lossBackward(up(p), up(t), Loss.BINARY_CROSS_ENTROPY, Reduction.SUM));
                assertTrue(Float.isNaN(g[0]) && Float.isNaN(g[1]), "gradients at p = −0.5 and 1.5: " + g[0] + ", " + g[1]);
                assertTrue(Float.isFinite(g[2]) && Float.isFinite(g[3]), "p = 0 and 1 stay finite (the 1e-12 floor): "
                        + g[2] + ", " + g[3]);
                assertTrue(Float.isNaN(backend.loss(up(p), up(t), Loss.BINARY_CROSS_ENTROPY, Reduction.SUM).item()), "loss");
            }));
            return tests.stream();
        }

        @TestFactory
        @DisplayName("softmax cross-entropy against labels and against probability targets")
        Stream<DynamicTest> crossEntropy() {
            int[][] shapes = {{1, 1}, {2, 7}, {7, 17}, {64, 10}, {3, 1025}, {5, 2}, {2, 4097}, {2, 32000}, {1, 40000}, {600, 1500}, {40000, 3}, {1200, 300}, {5, 1000}, {300, 9001}, {70_000, 3}};
            List<DynamicTest> tests = new ArrayList<>();
            for (int[] s : shapes) {
                for (boolean labels : new boolean[] {true, false}) {
                    for (Reduction red : Reduction.values()) {
                        String name = String.format(Locale.ROOT, "cross-entropy %s %s %s", Arrays.toString(s), labels ? "labels" : "targets", red);
                        tests.add(check(name, ops(Op.SOFTMAX_CROSS_ENTROPY), () -> crossEntropyCase(name, s[0], s[1], labels, red)));
                    }
                }
            }
            // Masked classes (−∞ logits) with labels, at every kernel shape: warp, block and streamed rows, vector and not.
            for (int[] s : new int[][] {{3, 17}, {4, 40}, {3, 300}, {5, 1000}, {2, 1025}, {2, 9000}, {2, 9001}, {1, 40000}}) {
                String name = String.format(Locale.ROOT, "cross-entropy %s labels, masked classes (−∞)", Arrays.toString(s));
                tests.add(check(name, ops(Op.SOFTMAX_CROSS_ENTROPY), () -> crossEntropyCase(name, s[0], s[1], true, Reduction.MEAN, true)));
            }
            // Run to run: the same input gives the same bits, whatever ran between (a backend that sums partials in
            // whichever order blocks finish, or keeps state between launches, fails here).
            for (int[] s : new int[][] {{2048, 200}, {4096, 1000}, {8, 40000}, {1024, 300}}) {
                boolean labels = s[1] != 300;
                Reduction red = s[1] == 40000 ? Reduction.SUM : Reduction.MEAN;
                String name = String.format(Locale.ROOT, "cross-entropy %s %s %s: the same bits on every call", Arrays.toString(s),
                        labels ? "labels" : "targets", red);
                tests.add(check(name, ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                    int rows = s[0];
                    int cols = s[1];
                    Tensor tx = up(Inputs.gaussian(rows * cols, 3700 + cols, 3), rows, cols);
                    int[] l = labels ? Inputs.labels(rows, cols, 3701) : null;
                    Tensor tt = labels ? null : up(Inputs.probabilities(rows, cols, 3702), rows, cols);
                    Tensor small = up(Inputs.gaussian(3 * 17, 3703, 1), 3, 17);
                    float[] loss = null;
                    float[] grad = null;
                    for (int call = 0; call < 3; call++) {
                        LossAndGradient lg = labels ? backend.softmaxCrossEntropy(tx, l, red) : backend.softmaxCrossEntropy(tx, tt, red);
                        float[] lossNow = {lg.loss().item()};
                        float[] gradNow = down(lg.gradient());
                        assertTrue(Float.isFinite(lossNow[0]), name + ": loss " + lossNow[0]);
                        if (loss != null) {
                            assertBits(name + " loss, call " + call, loss, lossNow, null);
                            assertBits(name + " gradient, call " + call, grad, gradNow, null);
                        }
                        loss = lossNow;
                        grad = gradNow;
                        backend.softmaxCrossEntropy(small, new int[] {1, 16, 0}, Reduction.SUM).loss().item(); // another launch between
                    }
                }));
            }
            for (boolean labels : new boolean[] {true, false}) {
                tests.add(check("cross-entropy gradient vs finite difference, " + (labels ? "labels" : "targets"), ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                    int rows = 4, cols = 6;
                    float[] x = Inputs.gaussian(rows * cols, 3600, 2);
                    int[] l = labels ? Inputs.labels(rows, cols, 3601) : null;
                    float[] t = labels ? null : Inputs.probabilities(rows, cols, 3602);
                    for (Reduction red : Reduction.values()) {
                        FdGradient g = crossEntropyGradient(x, l, t, rows, cols, red);
                        Tensor tx = up(x, rows, cols);
                        LossAndGradient lg = labels ? backend.softmaxCrossEntropy(tx, l, red) : backend.softmaxCrossEntropy(tx, up(t, rows, cols), red);
                        gradientCheck("cross-entropy " + red, g, down(lg.gradient()));
                    }
                }));
            }
            return tests.stream();
        }

        private void crossEntropyCase(String name, int rows, int cols, boolean useLabels, Reduction red) {
            crossEntropyCase(name, rows, cols, useLabels, red, false);
        }

        /**
         * With {@code masked}, classes are masked out as a model masks tokens: −∞ in every fifth column and in
         * columns 0 to 3 of each row (a whole first vector), never at the row's label. Their probabilities and
         * gradients are exactly 0 and the loss stays finite.
         */
        private void crossEntropyCase(String name, int rows, int cols, boolean useLabels, Reduction red, boolean masked) {
            float[] x = Inputs.withSpecials(rows * cols, 3700 + rows * cols, 4, Inputs.FINITE_SPECIALS);
            int[] labels = useLabels ? Inputs.labels(rows, cols, 3701 + rows) : null;
            if (masked) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        if ((c < 4 || c % 5 == 1) && c != labels[r]) {
                            x[r * cols + c] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
            }
            float[] t = useLabels ? null : Inputs.probabilities(rows, cols, 3702 + rows);
            double[] xd = widen(x);
            double[] td = t == null ? null : widen(t);
            double expected = LossOracle.crossEntropy(xd, labels, td, rows, cols, red);
            double[] grad = LossOracle.crossEntropyGradient(xd, labels, td, rows, cols, red);
            double k = red == Reduction.MEAN ? 1.0 / rows : 1.0;
            double ref = 0;
            double[] gref = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                double m = ReductionOracle.max(Arrays.copyOfRange(xd, r * cols, (r + 1) * cols), 1, cols)[0];
                double lse = LossOracle.logSumExp(xd, r, cols);
                double mass = 0;
                double row = 0;
                for (int c = 0; c < cols; c++) {
                    double tc = useLabels ? (labels[r] == c ? 1 : 0) : td[r * cols + c];
                    mass += Math.abs(tc);
                    if (tc != 0) {
                        row += Math.abs(tc) * (Math.abs(m) + Math.abs(lse) + Math.abs(xd[r * cols + c]) + cols + 4);
                    }
                }
                ref += row + rows * Math.abs(LossOracle.crossEntropy(Arrays.copyOfRange(xd, r * cols, (r + 1) * cols),
                        useLabels ? new int[] {labels[r]} : null, useLabels ? null : Arrays.copyOfRange(td, r * cols, (r + 1) * cols), 1, cols, Reduction.SUM));
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    double tc = useLabels ? (labels[r] == c ? 1 : 0) : td[i];
                    gref[i] = xd[i] == Double.NEGATIVE_INFINITY ? Math.abs(tc) * k // masked: exactly 0
                            : (Math.exp(xd[i] - lse) * mass * (cols + 6 + Math.abs(xd[i] - m)) + Math.abs(tc)) * k;
                }
            }
            ref *= k;
            Tensor tx = up(x, rows, cols);
            LossAndGradient lg = useLabels ? backend.softmaxCrossEntropy(tx, labels, red) : backend.softmaxCrossEntropy(tx, up(t, rows, cols), red);
            assertEquals(0, lg.loss().rank());
            assertAgree(name + " loss", Tolerances.SOFTMAX_CROSS_ENTROPY, expected, lg.loss().item(), ref);
            assertAgree(name + " gradient", Tolerances.SOFTMAX_CROSS_ENTROPY_GRAD, grad, down(lg.gradient()), gref, x);
            if (useLabels) {
                assertAgree(name + " loss alone", Tolerances.SOFTMAX_CROSS_ENTROPY, expected,
                        backend.softmaxCrossEntropyLoss(tx, labels, red).item(), ref);
                Tensor loss = backend.scalar(Float.NaN);
                Tensor gradient = backend.empty(tx.shape());
                backend.softmaxCrossEntropy(tx, labels, red, loss, gradient);
                assertBits(name + " loss into a given tensor", new float[] {lg.loss().item()}, new float[] {loss.item()}, null);
                assertBits(name + " gradient into a given tensor", down(lg.gradient()), down(gradient), null);
            }
        }
    }

    // =====================================================================================
    // Dropout
    // =====================================================================================

    private static float[] maskFloats(boolean[] kept) {
        float[] m = new float[kept.length];
        for (int i = 0; i < kept.length; i++) {
            m[i] = kept[i] ? 1f : 0f;
        }
        return m;
    }

    @Nested
    @DisplayName("Dropout follows the counter-based specification bit for bit")
    class Dropout {
        @TestFactory
        @DisplayName("the fraction kept is within 5σ of 1 − p")
        Stream<DynamicTest> keepFraction() {
            return Stream.of(0.1f, 0.5f, 0.9f).map(p -> check("keep fraction for p=" + p, ops(Op.DROPOUT), () -> {
                int n = 400_000;
                Tensor x = backend.full(Shape.of(400, 1000), 1f);
                DropoutOutput d = backend.dropout(x, p, 2024, 7);
                float[] mask = down(d.mask());
                long kept = 0;
                for (float m : mask) {
                    kept += m == 1f ? 1 : 0;
                }
                double fraction = (double) kept / n;
                double sigma = Math.sqrt(p * (1.0 - p) / n);
                assertTrue(Math.abs(fraction - (1 - p)) <= 5 * sigma,
                        "kept " + fraction + " of " + n + " at p=" + p + "; expected 1−p = " + (1 - p) + " within 5σ = " + 5 * sigma);
            }));
        }

        @TestFactory
        @DisplayName("kept values are exactly x·(float)(1/(1−p)), dropped ones exactly x·0, the mask 1 or 0")
        Stream<DynamicTest> exactValues() {
            List<DynamicTest> tests = new ArrayList<>();
            for (float p : new float[] {0.1f, 0.5f, 0.9f, 0.3f, 1e-7f, 0.99999994f}) {
                for (int n : Inputs.DROPOUT_SIZES) {
                    tests.add(check("dropout p=" + p + " n=" + n, ops(Op.DROPOUT, Op.DROPOUT_BACKWARD), () -> {
                        long seed = 5000 + n;
                        long offset = 0x1234_5678_9ABCL + n;
                        float[] x = Inputs.withSpecials(n, seed, 3, Inputs.SPECIALS);
                        boolean[] kept = RandomOracle.dropoutMask(seed, offset, n, p);
                        DropoutOutput d = backend.dropout(up(x), p, seed, offset);
                        assertBits("dropout mask", maskFloats(kept), down(d.mask()), null);
                        assertBits("dropout output", RandomOracle.dropout(x, kept, p), down(d.output()), x);
                        float[] dy = Inputs.gaussian(n, seed + 1, 1);
                        float s = RandomOracle.dropoutScale(p);
                        float[] dx = new float[n];
                        for (int i = 0; i < n; i++) {
                            dx[i] = kept[i] ? dy[i] * s : dy[i] * 0f;
                        }
                        assertBits("dropout backward", dx, down(backend.dropoutBackward(up(dy), d.mask(), p)), dy);
                    }));
                }
            }
            return tests.stream();
        }

        @Test
        @DisplayName("the forms that write into given tensors give the same bits, in place included")
        void intoGivenTensors() throws Throwable {
            run(ops(Op.DROPOUT, Op.DROPOUT_BACKWARD), () -> {
                float p = 0.3f;
                float[] x = Inputs.withSpecials(1021, 5200, 3, Inputs.SPECIALS);
                DropoutOutput d = backend.dropout(up(x), p, 77, 0xABCD_0000_0000L);
                Tensor y = backend.empty(Shape.of(x.length));
                Tensor mask = backend.empty(Shape.of(x.length));
                backend.dropout(up(x), p, 77, 0xABCD_0000_0000L, y, mask);
                assertBits("dropout into y", down(d.output()), down(y), x);
                assertBits("dropout into mask", down(d.mask()), down(mask), null);
                Tensor inPlace = up(x);
                Tensor mask2 = backend.empty(Shape.of(x.length));
                backend.dropout(inPlace, p, 77, 0xABCD_0000_0000L, inPlace, mask2);
                assertBits("dropout in place", down(d.output()), down(inPlace), x);
                Tensor dy = up(x);
                backend.dropoutBackward(dy, mask, p, dy);
                assertBits("dropout backward in place", down(backend.dropoutBackward(up(x), d.mask(), p)), down(dy), x);
                assertThrows(InvalidArgumentException.class, () -> backend.dropout(y, p, 1, 2, y, y));
            });
        }

        @Test
        @DisplayName("p = 0 is the exact identity")
        void identity() throws Throwable {
            run(ops(Op.DROPOUT, Op.DROPOUT_BACKWARD), () -> {
                float[] x = Inputs.withSpecials(1025, 5100, 3, Inputs.SPECIALS);
                DropoutOutput d = backend.dropout(up(x), 0f, 1, 2);
                assertBits("dropout p=0", x, down(d.output()), x);
                float[] ones = new float[x.length];
                Arrays.fill(ones, 1f);
                assertBits("dropout p=0 mask", ones, down(d.mask()), null);
                assertBits("dropout backward p=0", x, down(backend.dropoutBackward(up(x), d.mask(), 0f)), null);
            });
        }

        @Test
        @DisplayName("the same (seed, offset) gives the same mask; another seed or offset another mask")
        void determinism() throws Throwable {
            run(ops(Op.DROPOUT), () -> {
                Tensor x = backend.full(Shape.of(7, 149), 1f);
                float[] a = down(backend.dropout(x, 0.5f, 99, 3).mask());
                assertBits("same seed and offset", a, down(backend.dropout(x, 0.5f, 99, 3).mask()), null);
                assertTrue(!Arrays.equals(a, down(backend.dropout(x, 0.5f, 100, 3).mask())), "another seed must give another mask");
                assertTrue(!Arrays.equals(a, down(backend.dropout(x, 0.5f, 99, 4).mask())), "another offset must give another mask");
                assertTrue(!Arrays.equals(a, down(backend.dropout(x, 0.5f, 99, 3 + (1L << 32)).mask())),
                        "an offset differing only in its high 32 bits must give another mask");
                assertTrue(!Arrays.equals(a, down(backend.dropout(x, 0.5f, 99 + (1L << 32), 3).mask())),
                        "a seed differing only in its high 32 bits must give another mask");
            });
        }

        @TestFactory
        @DisplayName("masks are bit-identical to the golden masks shipped in the kit")
        Stream<DynamicTest> golden() {
            return Golden.masks().stream().map(g -> check(String.format(Locale.ROOT, "golden mask seed=%x offset=%x p=%s n=%d",
                    g.seed(), g.offset(), g.p(), g.n()), ops(Op.DROPOUT), () -> {
                Tensor x = backend.full(Shape.of(g.n()), 1f);
                assertBits("golden mask", maskFloats(g.kept()), down(backend.dropout(x, g.p(), g.seed(), g.offset()).mask()), null);
            }));
        }
    }

    // =====================================================================================
    // Initialisation
    // =====================================================================================

    private static Init initOf(String kind, double a, double b) {
        return new Init(Init.Kind.valueOf(kind), a, b);
    }

    @Nested
    @DisplayName("Initialisation follows the counter-based specification bit for bit")
    class Initialisation {
        private final Object[][] kinds = {
            {"UNIFORM", -0.5, 1.5}, {"NORMAL", 0.3, 2.0}, {"XAVIER_UNIFORM", 0.0, 0.0},
            {"XAVIER_NORMAL", 0.0, 0.0}, {"HE_UNIFORM", 0.0, 0.0}, {"HE_NORMAL", 0.0, 0.0}
        };

        @TestFactory
        @DisplayName("mean and variance lie within statistical bounds of the distribution")
        Stream<DynamicTest> statistics() {
            return Arrays.stream(kinds).map(k -> check("statistics of " + k[0], ops(Op.INIT_UNIFORM, Op.INIT_NORMAL), () -> {
                long[] dims = {250, 400};
                Init init = initOf((String) k[0], (double) k[1], (double) k[2]);
                RandomOracle.Dist d = RandomOracle.resolve((String) k[0], (double) k[1], (double) k[2], dims);
                Tensor t = backend.empty(dims);
                backend.init(t, init, 77, 3);
                float[] v = down(t);
                int n = v.length;
                double mean = 0;
                for (float x : v) {
                    mean += x;
                }
                mean /= n;
                double var = 0;
                for (float x : v) {
                    var += (x - mean) * (x - mean);
                }
                var /= n - 1;
                double mu = d.normal() ? d.p0() : (d.p0() + d.p1()) / 2;
                double sigma2 = d.normal() ? d.p1() * d.p1() : (d.p1() - d.p0()) * (d.p1() - d.p0()) / 12;
                double kurtosis = d.normal() ? 3.0 : 1.8;
                assertTrue(Math.abs(mean - mu) <= 6 * Math.sqrt(sigma2 / n), k[0] + ": mean " + mean + " is not within 6σ of " + mu);
                double varSigma = sigma2 * Math.sqrt((kurtosis - 1) / n);
                assertTrue(Math.abs(var - sigma2) <= 6 * varSigma, k[0] + ": variance " + var + " is not within 6σ of " + sigma2);
                if (!d.normal()) {
                    for (float x : v) {
                        assertTrue(x >= (float) d.p0() && x <= (float) d.p1(), k[0] + ": " + x + " outside [" + d.p0() + ", " + d.p1() + "]");
                    }
                }
            }));
        }

        @TestFactory
        @DisplayName("values equal the oracle's bits for shapes of rank 0 to 4 (fans)")
        Stream<DynamicTest> bits() {
            long[][] shapes = {{}, {1}, {7}, {17, 5}, {5, 17}, {3, 4, 5}, {2, 3, 2, 3}, {1025}, {6, 1, 1, 1}};
            long[][] seeds = {{0, 0}, {0x9E3779B97F4A7C15L, (1L << 40) | 5}, {-1L, 0xFFFFFFFFL}};
            List<DynamicTest> tests = new ArrayList<>();
            for (Object[] k : kinds) {
                for (long[] dims : shapes) {
                    for (long[] so : seeds) {
                        String name = String.format(Locale.ROOT, "%s %s seed=%x offset=%x", k[0], Arrays.toString(dims), so[0], so[1]);
                        tests.add(check(name, ops(Op.INIT_UNIFORM, Op.INIT_NORMAL), () -> {
                            RandomOracle.Dist d = RandomOracle.resolve((String) k[0], (double) k[1], (double) k[2], dims);
                            int size = (int) Shape.of(dims).size();
                            Tensor t = backend.empty(dims);
                            backend.init(t, initOf((String) k[0], (double) k[1], (double) k[2]), so[0], so[1]);
                            assertBits(name, RandomOracle.init(d, size, so[0], so[1]), down(t), null);
                        }));
                    }
                }
            }
            tests.add(check("init(shape, init, seed) uses offset 0", ops(Op.INIT_UNIFORM), () -> {
                RandomOracle.Dist d = RandomOracle.resolve("HE_UNIFORM", 0, 0, new long[] {9, 4});
                assertBits("offset 0", RandomOracle.init(d, 36, 12, 0), down(backend.init(Shape.of(9, 4), Init.heUniform(), 12)), null);
            }));
            return tests.stream();
        }

        @TestFactory
        @DisplayName("values are bit-identical to the golden values shipped in the kit")
        Stream<DynamicTest> golden() {
            return Golden.inits().stream().map(g -> check(String.format(Locale.ROOT, "golden %s %s seed=%x offset=%x", g.kind(),
                    Arrays.toString(g.dims()), g.seed(), g.offset()), ops(Op.INIT_UNIFORM, Op.INIT_NORMAL), () -> {
                Tensor t = backend.empty(g.dims());
                backend.init(t, initOf(g.kind(), g.a(), g.b()), g.seed(), g.offset());
                assertBits("golden " + g.kind(), g.values(), down(t), null);
            }));
        }
    }

    // =====================================================================================
    // Optimisers
    // =====================================================================================

    @Nested
    @DisplayName("Optimiser steps, the penalty and gradient clipping agree with the oracle")
    class Optimisers {
        @TestFactory
        @DisplayName("SGD with momentum, Nesterov, L1 and L2, over several steps")
        Stream<DynamicTest> sgd() {
            SgdConfig[] configs = {
                SgdConfig.of(0.1f), SgdConfig.of(0.1f).withMomentum(0.9f, false), SgdConfig.of(0.05f).withMomentum(0.8f, true),
                SgdConfig.of(0.1f).withL2(0.01f), SgdConfig.of(0.1f).withL1(0.001f),
                SgdConfig.of(0.01f).withMomentum(0.9f, true).withL1(0.002f).withL2(0.03f)
            };
            List<DynamicTest> tests = new ArrayList<>();
            for (SgdConfig cfg : configs) {
                for (int n : new int[] {1, 7, 1025, Inputs.LARGE}) {
                    tests.add(check("sgd " + cfg + " n=" + n, ops(Op.SGD_STEP), () -> {
                        float[] w0 = Inputs.withSpecials(n, 6000 + n, 1, new float[] {0f, -0f, 1e-7f, -1e-7f});
                        Tensor w = up(w0);
                        Tensor v = cfg.momentum() != 0 ? backend.zeros(n) : null;
                        for (int step = 1; step <= 3; step++) {
                            float[] g = Inputs.gaussian(n, 6100 + step, 1);
                            float[] wb = down(w);
                            float[] vb = v == null ? null : down(v);
                            double[][] r = OptimizerOracle.sgd(widen(wb), widen(g), vb == null ? null : widen(vb), cfg);
                            backend.sgdStep(w, up(g), v, cfg);
                            assertAgree("sgd w, step " + step, Tolerances.SGD, r[0], down(w), r[2], wb);
                            if (v != null) {
                                assertAgree("sgd velocity, step " + step, Tolerances.SGD, r[1], down(v), r[3], vb);
                            }
                        }
                    }));
                }
                tests.add(check("sgd " + cfg + " with NaN and ±∞ gradient elements: they propagate as IEEE arithmetic does",
                        ops(Op.SGD_STEP), () -> {
                    int n = 37;
                    float[] w0 = Inputs.gaussian(n, 6150, 1);
                    float[] g = nonFiniteGradient(n);
                    Tensor w = up(w0);
                    Tensor v = cfg.momentum() != 0 ? backend.zeros(n) : null;
                    double[][] r = OptimizerOracle.sgd(widen(w0), widen(g), v == null ? null : new double[n], cfg);
                    backend.sgdStep(w, up(g), v, cfg);
                    assertAgree("sgd w", Tolerances.SGD, r[0], down(w), r[2], w0);
                    if (v != null) {
                        assertAgree("sgd velocity", Tolerances.SGD, r[1], down(v), r[3], null);
                    }
                }));
            }
            return tests.stream();
        }

        /** A gradient with NaN, +∞ and −∞ at 3, 5 and 11 (past one vector of 8), finite elsewhere. */
        private float[] nonFiniteGradient(int n) {
            float[] g = Inputs.gaussian(n, 6160, 1);
            g[3] = Float.NaN;
            g[5] = Float.POSITIVE_INFINITY;
            g[11] = Float.NEGATIVE_INFINITY;
            return g;
        }

        @TestFactory
        @DisplayName("Adam and AdamW, early steps and a late one")
        Stream<DynamicTest> adam() {
            AdamConfig[] configs = {
                AdamConfig.adam(1e-3f), AdamConfig.adamW(1e-3f, 0.01f), new AdamConfig(0.01f, 0.8f, 0.99f, 1e-6f, 0.01f, false)
            };
            List<DynamicTest> tests = new ArrayList<>();
            for (AdamConfig cfg : configs) {
                for (int n : new int[] {1, 17, 1025, Inputs.LARGE}) {
                    tests.add(check("adam " + cfg + " n=" + n, ops(Op.ADAM_STEP), () -> {
                        Tensor w = up(Inputs.gaussian(n, 6200 + n, 1));
                        Tensor m = backend.zeros(n);
                        Tensor v = backend.zeros(n);
                        for (long step : new long[] {1, 2, 3, 1000}) {
                            float[] g = Inputs.gaussian(n, 6300 + step, 1);
                            float[] wb = down(w);
                            double[][] r = OptimizerOracle.adam(widen(wb), widen(g), widen(down(m)), widen(down(v)), cfg, step);
                            backend.adamStep(w, up(g), m, v, cfg, step);
                            assertAgree("adam w, step " + step, Tolerances.ADAM, r[0], down(w), r[3], wb);
                            assertAgree("adam m, step " + step, Tolerances.ADAM, r[1], down(m), r[4], null);
                            assertAgree("adam v, step " + step, Tolerances.ADAM, r[2], down(v), r[5], null);
                        }
                    }));
                }
                tests.add(check("adam " + cfg + " with NaN and ±∞ gradient elements: they propagate as IEEE arithmetic does",
                        ops(Op.ADAM_STEP), () -> {
                    int n = 37;
                    float[] w0 = Inputs.gaussian(n, 6250, 1);
                    float[] g = nonFiniteGradient(n);
                    Tensor w = up(w0);
                    Tensor m = backend.zeros(n);
                    Tensor v = backend.zeros(n);
                    double[][] r = OptimizerOracle.adam(widen(w0), widen(g), new double[n], new double[n], cfg, 1);
                    backend.adamStep(w, up(g), m, v, cfg, 1);
                    assertAgree("adam w", Tolerances.ADAM, r[0], down(w), r[3], w0);
                    assertAgree("adam m", Tolerances.ADAM, r[1], down(m), r[4], null);
                    assertAgree("adam v", Tolerances.ADAM, r[2], down(v), r[5], null);
                }));
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("the penalty l1·Σ|w| + l2/2·Σw²")
        Stream<DynamicTest> penalty() {
            return Arrays.stream(Inputs.SMALL_SIZES).mapToObj(n -> check("penalty n=" + n, ops(Op.PENALTY), () -> {
                float[] w = Inputs.withSpecials(n, 6400 + n, 1, Inputs.FINITE_SPECIALS);
                for (float[] l : new float[][] {{0.01f, 0.1f}, {0f, 1f}, {1f, 0f}, {0f, 0f}}) {
                    double expected = OptimizerOracle.penalty(widen(w), l[0], l[1]);
                    assertAgree("penalty l1=" + l[0] + " l2=" + l[1], Tolerances.PENALTY, expected,
                            backend.penalty(up(w), l[0], l[1]).item(), (n + 4) * expected);
                }
            }));
        }

        @TestFactory
        @DisplayName("clipGradNorm returns the global norm and scales only when it exceeds the limit")
        Stream<DynamicTest> clip() {
            return Stream.of(0.5f, 1e6f).map(maxNorm -> check("clipGradNorm to " + maxNorm, ops(Op.CLIP_GRAD_NORM, Op.L2_NORM, Op.SCALE), () -> {
                int[] sizes = {7, 17, 1025};
                List<Tensor> grads = new ArrayList<>();
                List<float[]> values = new ArrayList<>();
                double sumSq = 0;
                int total = 0;
                for (int s : sizes) {
                    float[] g = Inputs.gaussian(s, 6500 + s, 1);
                    values.add(g);
                    grads.add(up(g));
                    double nrm = ReductionOracle.l2Norm(widen(g));
                    sumSq += nrm * nrm;
                    total += s;
                }
                double norm = Math.sqrt(sumSq);
                float got = backend.clipGradNorm(grads, maxNorm);
                assertAgree("clipGradNorm norm", Tolerances.CLIP_GRAD_NORM, norm, got, (total + 8) * norm);
                for (int i = 0; i < sizes.length; i++) {
                    float[] g = values.get(i);
                    if (norm <= maxNorm) {
                        assertBits("unclipped gradient " + i, g, down(grads.get(i)), null);
                        continue;
                    }
                    double factor = maxNorm / (norm + 1e-6);
                    double[] expected = new double[g.length];
                    double[] ref = new double[g.length];
                    for (int j = 0; j < g.length; j++) {
                        expected[j] = g[j] * factor;
                        ref[j] = (total + 8) * Math.abs(expected[j]);
                    }
                    assertAgree("clipped gradient " + i, Tolerances.CLIP_GRAD_NORM, expected, down(grads.get(i)), ref, g);
                }
            }));
        }
    }

    // =====================================================================================
    // Bad input
    // =====================================================================================

    /**
     * Asserts {@code call} throws {@code type} before any work starts: the message names every
     * fragment, no tensor was left allocated, and the backend still computes afterwards.
     */
    private <T extends Throwable> void rejects(Class<T> type, Executable call, String... fragments) {
        int live = backend.liveTensors();
        Throwable thrown = assertThrows(Throwable.class, call);
        if (thrown instanceof UnsupportedOpException u && !type.isInstance(thrown)) {
            if (!undeclared(backend, u)) {
                fail("expected " + type.getSimpleName() + " but got UnsupportedOpException for " + u.op()
                        + ", which the backend declares in its Capabilities: " + u.getMessage(), u);
            }
            assertStillWorks();
            return; // the op is unsupported, which its own group reports as skipped
        }
        if (!type.isInstance(thrown)) {
            fail("expected " + type.getSimpleName() + " but got " + thrown, thrown);
        }
        T e = type.cast(thrown);
        String message = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(message.contains(f), "the message should name '" + f + "': " + message);
        }
        assertEquals(live, backend.liveTensors(), "a rejected call must not leave a tensor allocated");
        assertStillWorks();
    }

    private void assertStillWorks() {
        if (backend.supports(Op.ADD)) {
            try (Tensor a = up(new float[] {1, 2, 3}); Tensor b = up(new float[] {10, 20, 30}); Tensor c = backend.add(a, b)) {
                assertArrayEquals(new float[] {11, 22, 33}, down(c), "the backend must stay usable after rejecting bad input");
            }
        } else {
            try (Tensor a = up(new float[] {1, 2, 3})) {
                assertArrayEquals(new float[] {1, 2, 3}, down(a), "the backend must stay usable after rejecting bad input");
            }
        }
    }

    // =====================================================================================
    // Dtypes: storage of every dtype and the conversions between them, bit for bit
    // =====================================================================================

    /** Aborts (skips) the running test when the backend does not store one of the dtypes. */
    private void requireStored(DType... dtypes) {
        for (DType d : dtypes) {
            if (!backend.capabilities().dtypes().contains(d)) {
                Assumptions.abort("backend '" + backend.name() + "' does not store " + d);
            }
        }
    }


    /** A tensor of {@code dtype} holding the given raw bits. */
    private Tensor fromBits(DType dtype, int[] bits) {
        int n = bits.length;
        return switch (dtype) {
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = Float.intBitsToFloat(bits[i]);
                }
                yield backend.of(java.lang.foreign.MemorySegment.ofArray(f), DType.FLOAT32, Shape.of(n));
            }
            case FLOAT16, BFLOAT16 -> {
                short[] h = new short[n];
                for (int i = 0; i < n; i++) {
                    h[i] = (short) bits[i];
                }
                yield backend.of(h, dtype);
            }
            case INT32 -> backend.of(bits.clone());
            case UINT8 -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) bits[i];
                }
                yield backend.of(b);
            }
        };
    }

    private static void assertSameBits(String what, int[] expected, int[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                fail(what + ": element " + i + " is 0x" + Integer.toHexString(actual[i]) + ", the rule gives 0x"
                        + Integer.toHexString(expected[i]));
            }
        }
    }

    /** Interesting float32 inputs for a conversion: specials, every float16 and bfloat16 midpoint and its neighbours, random bits. */
    private static int[] float32ConversionInputs() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(2026);
        int[] specials = {0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0x7FFFFFFF,
            0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x477FEFFF, 0x477FF000, 0x477FF001,
            0x33000000, 0x33000001, 0x38800000, 0x387FFFFF, Float.floatToRawIntBits(65504f),
            Float.floatToRawIntBits(2.5f), Float.floatToRawIntBits(-3.7e9f), Float.floatToRawIntBits(255.9f),
            Float.floatToRawIntBits(-0.5f), Float.floatToRawIntBits(2147483648f), Float.floatToRawIntBits(-2147483904f)};
        List<Integer> in = new ArrayList<>();
        for (int v : specials) {
            in.add(v);
        }
        for (int h = 0; h < 0x7C00; h += 7) {
            float lo = Conversions.fromFloat16((short) h);
            float hi = Conversions.fromFloat16((short) (h + 1));
            int mid = Float.floatToRawIntBits((float) (((double) lo + hi) / 2));
            for (int d = -1; d <= 1; d++) {
                in.add(mid + d);
                in.add((mid + d) | 0x80000000);
            }
        }
        for (int h = 0; h < 0x7F80; h += 5) {
            int mid = (h << 16) | 0x8000;
            for (int d = -1; d <= 1; d++) {
                in.add(mid + d);
                in.add((mid + d) | 0x80000000);
            }
        }
        for (int i = 0; i < 20_000; i++) {
            in.add(i % 2 == 0 ? r.nextInt() : Float.floatToRawIntBits((float) (r.nextGaussian() * Math.pow(2, r.nextInt(-30, 34)))));
        }
        return in.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Raw inputs of {@code dtype} for the cast of every pair. */
    private static int[] conversionInputs(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> float32ConversionInputs();
            case FLOAT16, BFLOAT16 -> java.util.stream.IntStream.range(0, 0x10000).toArray();
            case INT32 -> {
                java.util.SplittableRandom r = new java.util.SplittableRandom(5);
                int[] x = new int[30_000];
                int[] special = {0, 1, -1, 255, 256, -256, 65504, 65519, 65520, 65535, 16_777_217, 0x01010001,
                    Integer.MAX_VALUE, Integer.MIN_VALUE, -16_777_217};
                for (int i = 0; i < x.length; i++) {
                    x[i] = i < special.length ? special[i] : (i % 2 == 0 ? r.nextInt() : r.nextInt() >> r.nextInt(32));
                }
                yield x;
            }
            case UINT8 -> java.util.stream.IntStream.range(0, 256).toArray();
        };
    }

    @Nested
    @DisplayName("Dtypes: every dtype stored bit for bit, conversions by the rules of Conversions on every pair")
    class Dtypes {
        @TestFactory
        @DisplayName("upload, download, fill and copy in every dtype")
        Stream<DynamicTest> storage() {
            return Arrays.stream(DType.values()).map(d -> check("storage of " + d, ops(Op.UPLOAD, Op.DOWNLOAD, Op.FILL, Op.COPY), () -> {
                EvidenceLog.dtypes(d);
                requireStored(d);
                int[] bits = conversionInputs(d);
                int n = Math.min(bits.length, 4099);
                int[] x = Arrays.copyOf(bits, n);
                Tensor t = fromBits(d, x);
                assertEquals(d, t.dtype());
                assertSameBits(d + " round trip", x, Agreement.rawBits(t));
                Tensor c = backend.copyOf(t);
                assertEquals(d, c.dtype());
                assertSameBits(d + " copyOf", x, Agreement.rawBits(c));
                // Raw bytes in both byte orders, and a native segment.
                for (java.nio.ByteOrder order : new java.nio.ByteOrder[] {java.nio.ByteOrder.BIG_ENDIAN, java.nio.ByteOrder.LITTLE_ENDIAN}) {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n * d.byteSize()).order(order);
                    t.copyTo(buf);
                    Tensor u = backend.of(buf, d, Shape.of(n));
                    assertSameBits(d + " through a " + order + " byte buffer", x, Agreement.rawBits(u));
                    assertEquals(0, buf.position(), "the buffer's position is not moved");
                }
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    java.lang.foreign.MemorySegment seg = arena.allocate((long) n * d.byteSize());
                    t.copyTo(seg);
                    Tensor u = backend.of(seg, d, Shape.of(n));
                    assertSameBits(d + " through a native segment", x, Agreement.rawBits(u));
                }
                // Fill with a value of the dtype, converted by the rules.
                float v = d.isFloatingPoint() ? -1.2345678f : 200f;
                Tensor f = backend.full(d, Shape.of(3, 5), v);
                int want = Conversions.convert(DType.FLOAT32, Float.floatToRawIntBits(v), d);
                int[] expect = new int[15];
                Arrays.fill(expect, want);
                assertSameBits(d + " full", expect, Agreement.rawBits(f));
                backend.copy(c, t);
                Tensor z = backend.zeros(d, 7);
                assertSameBits(d + " zeros", new int[7], Agreement.rawBits(z));
                // float[] views convert by the rules.
                float[] asFloats = t.toArray();
                for (int i = 0; i < n; i++) {
                    float e = Conversions.toFloat(d, x[i]);
                    assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(asFloats[i]), d + " toArray element " + i);
                }
            }));
        }

        @TestFactory
        @DisplayName("float32 to and from float16 and bfloat16: every 16-bit pattern, every rounding midpoint")
        Stream<DynamicTest> halfConversions() {
            return Stream.of(DType.FLOAT16, DType.BFLOAT16).flatMap(h -> Stream.of(
                check("all 65,536 " + h + " patterns to float32 and back", ops(Op.CAST), () -> {
                    EvidenceLog.dtypes(h, DType.FLOAT32);
                    requireStored(h);
                    int[] all = conversionInputs(h);
                    Tensor t = fromBits(h, all);
                    Tensor f = backend.cast(t, DType.FLOAT32);
                    int[] expect = new int[all.length];
                    for (int i = 0; i < all.length; i++) {
                        expect[i] = Conversions.convert(h, all[i], DType.FLOAT32);
                    }
                    assertSameBits(h + " → FLOAT32", expect, Agreement.rawBits(f));
                    Tensor back = backend.cast(f, h);
                    for (int i = 0; i < all.length; i++) {
                        expect[i] = Conversions.convert(DType.FLOAT32, expect[i], h);
                    }
                    assertSameBits(h + " → FLOAT32 → " + h, expect, Agreement.rawBits(back));
                }),
                check("float32 midpoints, neighbours, specials and random bits to " + h, ops(Op.CAST), () -> {
                    EvidenceLog.dtypes(h, DType.FLOAT32);
                    requireStored(h);
                    int[] in = float32ConversionInputs();
                    Tensor f = fromBits(DType.FLOAT32, in);
                    int[] expect = new int[in.length];
                    for (int i = 0; i < in.length; i++) {
                        expect[i] = Conversions.convert(DType.FLOAT32, in[i], h);
                    }
                    assertSameBits("FLOAT32 → " + h, expect, Agreement.rawBits(backend.cast(f, h)));
                    // The host-side conversion of an upload follows the same rules.
                    float[] values = new float[in.length];
                    for (int i = 0; i < in.length; i++) {
                        values[i] = Float.intBitsToFloat(in[i]);
                    }
                    assertSameBits("upload of float[] as " + h, expect, Agreement.rawBits(backend.of(values, h)));
                })));
        }

        @TestFactory
        @DisplayName("every (from, to) pair of dtypes converts bit for bit by the rules")
        Stream<DynamicTest> everyPair() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType from : DType.values()) {
                for (DType to : DType.values()) {
                    tests.add(check(from + " → " + to, ops(Op.CAST), () -> {
                        EvidenceLog.dtypes(from, to);
                        requireStored(from, to);
                        int[] in = conversionInputs(from);
                        Tensor x = fromBits(from, in);
                        Tensor y = backend.cast(x, to);
                        assertEquals(to, y.dtype());
                        assertEquals(x.shape(), y.shape());
                        int[] expect = new int[in.length];
                        for (int i = 0; i < in.length; i++) {
                            expect[i] = Conversions.convert(from, in[i], to);
                        }
                        assertSameBits(from + " → " + to, expect, Agreement.rawBits(y));
                        // Into an existing tensor, and on a shape of rank 2 with an odd element count.
                        Tensor out = backend.empty(to, Shape.of(in.length));
                        backend.cast(x, out);
                        assertSameBits(from + " → " + to + " into out", expect, Agreement.rawBits(out));
                        Tensor small = fromBits(from, Arrays.copyOf(in, 15));
                        int[] smallExpect = Arrays.copyOf(expect, 15);
                        Tensor m = backend.cast(backend.cast(small, from), to);
                        assertSameBits(from + " → " + to + ", 15 elements", smallExpect, Agreement.rawBits(m));
                    }));
                }
            }
            return tests.stream();
        }

        @Test
        @DisplayName("a tensor of the wrong dtype is rejected with both names and dtypes; nothing is converted behind the caller's back")
        void wrongDtypes() throws Throwable {
            run(ops(Op.ACTIVATION, Op.ADD, Op.COPY, Op.FILL, Op.MATMUL), () -> {
                for (DType d : DType.values()) {
                    if (d == DType.FLOAT32 || !backend.capabilities().dtypes().contains(d)
                            || backend.capabilities().supports(Op.ACTIVATION, d)) {
                        continue;
                    }
                    Tensor h = backend.zeros(d, 4);
                    Tensor f = backend.zeros(4);
                    rejects(InvalidArgumentException.class, () -> backend.activation(h, Activation.SIGMOID), "x", d.name());
                    rejects(InvalidArgumentException.class, () -> backend.add(f, h), d.name());
                    rejects(InvalidArgumentException.class, () -> backend.copy(f, h), "src", "dst", "FLOAT32", d.name());
                    Tensor h2 = backend.zeros(d, 2, 2);
                    Tensor f2 = backend.zeros(2, 2);
                    rejects(InvalidArgumentException.class, () -> backend.matmul(h2, f2), "a", d.name());
                    rejects(InvalidArgumentException.class, () -> backend.matmul(f2, h2), "b", d.name());
                }
                if (backend.capabilities().dtypes().contains(DType.INT32)) {
                    Tensor i = backend.zeros(DType.INT32, 3);
                    rejects(InvalidArgumentException.class, () -> backend.fill(i, 1.5f), "1.5", "INT32");
                    rejects(InvalidArgumentException.class, () -> backend.full(DType.UINT8, Shape.of(2), 256f), "256", "UINT8");
                    // Checked before the tensor is allocated: never an out-of-memory error in the bad value's place.
                    rejects(InvalidArgumentException.class, () -> backend.full(DType.UINT8, Shape.of(1L << 40), 300f), "300", "UINT8");
                    rejects(InvalidArgumentException.class, () -> backend.full(DType.UINT8, Shape.of(1L << 40), 300), "300", "UINT8");
                    // int values are exact across INT32's range (a float holds integers exactly only to 2^24).
                    assertArrayEquals(new int[] {16_777_217, 16_777_217}, backend.full(DType.INT32, Shape.of(2), 16_777_217).toIntArray());
                    backend.fill(i, Integer.MAX_VALUE);
                    assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, i.toIntArray());
                    backend.fill(i, Integer.MIN_VALUE);
                    assertEquals(Integer.MIN_VALUE, i.toIntArray()[2]);
                    assertArrayEquals(new float[] {3f, 3f}, backend.full(DType.FLOAT32, Shape.of(2), 3).toArray());
                    assertArrayEquals(new byte[] {(byte) 255}, backend.full(DType.UINT8, Shape.of(1), 255).toByteArray());
                    rejects(InvalidArgumentException.class, () -> i.toShortArray(), "INT32");
                    rejects(InvalidArgumentException.class, () -> i.copyFrom(new byte[3]), "INT32", "UINT8");
                    rejects(InvalidArgumentException.class, () -> backend.of(new short[2], DType.INT32), "INT32");
                }
                Tensor f = backend.zeros(3);
                rejects(InvalidArgumentException.class, () -> f.toIntArray(), "FLOAT32");
                rejects(InvalidArgumentException.class, () -> f.copyTo(new short[3]), "FLOAT32");
                rejects(InvalidArgumentException.class, () -> backend.cast(f, (DType) null), "dtype");
            });
        }

        @Test
        @DisplayName("INT32 labels on the device give the int[] result bit for bit; argmax writes INT32; dropout masks are UINT8")
        void labelsMasksAndIndices() throws Throwable {
            run(ops(Op.SOFTMAX_CROSS_ENTROPY, Op.ARGMAX, Op.DROPOUT, Op.DROPOUT_BACKWARD, Op.CAST), () -> {
                EvidenceLog.dtypes(DType.INT32, DType.UINT8);
                requireStored(DType.INT32, DType.UINT8);
                int rows = 37;
                int cols = 11;
                float[] x = Inputs.gaussian(rows * cols, 31, 3);
                int[] labels = Inputs.labels(rows, cols, 32);
                Tensor logits = up(x, rows, cols);
                for (Reduction r : Reduction.values()) {
                    LossAndGradient host = backend.softmaxCrossEntropy(logits, labels, r);
                    LossAndGradient device = backend.softmaxCrossEntropy(logits, backend.of(labels), r);
                    assertBits("loss with INT32 labels, " + r, down(host.loss()), down(device.loss()), null);
                    assertBits("gradient with INT32 labels, " + r, down(host.gradient()), down(device.gradient()), null);
                }
                int[] bad = labels.clone();
                bad[5] = cols;
                Tensor badLabels = backend.of(bad);
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, badLabels, Reduction.SUM),
                        "label " + cols, "row 5");
                Tensor shortLabels = backend.of(new int[rows - 1]);
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, shortLabels, Reduction.SUM),
                        "rows");
                Tensor idx = backend.zeros(DType.INT32, rows);
                backend.argmax(logits, idx);
                assertArrayEquals(backend.argmax(logits), idx.toIntArray(), "argmax into an INT32 tensor");
                Tensor wrong = backend.zeros(rows);
                rejects(InvalidArgumentException.class, () -> backend.argmax(logits, wrong), "out", "INT32");
                Tensor d = up(x, rows, cols);
                DropoutOutput out = backend.dropout(d, 0.25f, 9, 3);
                assertEquals(DType.UINT8, out.mask().dtype(), "the mask is one byte per element");
                Tensor fmask = backend.zeros(rows, cols);
                Tensor y = backend.zeros(rows, cols);
                backend.dropout(d, 0.25f, 9, 3, y, fmask);
                assertBits("UINT8 mask = the float mask", down(fmask), down(out.mask()), null);
                assertBits("output with either mask", down(y), down(out.output()), null);
                Tensor dy = up(Inputs.gaussian(rows * cols, 33, 1), rows, cols);
                assertBits("backward through the UINT8 mask", down(backend.dropoutBackward(dy, fmask, 0.25f)),
                        down(backend.dropoutBackward(dy, out.mask(), 0.25f)), null);
                Tensor bytes = backend.zeros(DType.UINT8, rows, cols);
                backend.dropout(d, 0.25f, 9, 3, y, bytes);
                assertArrayEquals(out.mask().toByteArray(), bytes.toByteArray(), "dropout into a UINT8 mask");
            });
        }

        @Test
        @DisplayName("capabilities list each op's dtypes; a dtype the backend does not store is refused at allocation")
        void capabilities() {
            var caps = backend.capabilities();
            assertTrue(caps.dtypes().contains(DType.FLOAT32), "every backend stores FLOAT32");
            for (Op op : Op.values()) {
                if (caps.supports(op)) {
                    assertTrue(caps.dtypes().containsAll(caps.dtypes(op)), op + " takes a dtype the backend does not store");
                    assertTrue(caps.supports(op, DType.FLOAT32) || op == Op.CAST, op + " must take FLOAT32");
                } else {
                    assertTrue(caps.dtypes(op).isEmpty(), op + " is unsupported yet lists dtypes");
                }
            }
            for (DType d : DType.values()) {
                if (!caps.dtypes().contains(d)) {
                    UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> backend.zeros(d, 3));
                    assertTrue(e.getMessage().contains(d.name()), e.getMessage());
                }
            }
        }
    }

    /** The raw bits of each float (NaN payloads and −0 told apart, unlike assertArrayEquals on floats). */
    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = Float.floatToRawIntBits(x[i]);
        }
        return b;
    }

    /** {@code x} rounded to {@code h} and back: the values a half-precision tensor of x holds. */
    private static float[] roundedTo(DType h, float[] x) {
        return Agreement.roundedTo(h, x);
    }

    /** Aborts (skips) the running test unless the backend stores {@code h} and runs {@code op} on it; records h. */
    private void requireHalf(Op op, DType h) {
        EvidenceLog.dtypes(h);
        requireStored(h);
        if (!backend.capabilities().supports(op, h)) {
            Assumptions.abort("backend '" + backend.name() + "' does not run " + op + " on " + h);
        }
    }

    @Nested
    @DisplayName("Half precision: every half-capable op computes in float32 (or better) and rounds once on store")
    class HalfPrecision {
        private final DType[] halves = {DType.FLOAT16, DType.BFLOAT16};

        @TestFactory
        @DisplayName("every activation, forward and backward, against the float64 oracle on the rounded inputs")
        Stream<DynamicTest> activations() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (Activation act : ACTIVATIONS) {
                    tests.add(check(act + " in " + h, ops(Op.ACTIVATION, Op.ACTIVATION_BACKWARD, Op.CAST), () -> {
                        requireHalf(Op.ACTIVATION, h);
                        requireHalf(Op.ACTIVATION_BACKWARD, h);
                        float[] x = roundedTo(h, Inputs.withSpecials(1021, 77, 4, Inputs.FINITE_SPECIALS));
                        float[] dy = roundedTo(h, Inputs.gaussian(1021, 78, 1));
                        Tensor tx = backend.of(x, h);
                        Tensor ty = backend.activation(tx, act);
                        assertEquals(h, ty.dtype(), "the output keeps the input's dtype");
                        double[] fwd = new double[x.length];
                        for (int i = 0; i < x.length; i++) {
                            fwd[i] = ActivationOracle.forward(act, x[i]);
                        }
                        float[] y = ty.toArray();
                        Agreement.assertHalfNear(act + " forward in " + h, h, fwd, y, 1e-6);
                        // The same values into an existing tensor, in place.
                        backend.activation(tx, act, tx);
                        assertArrayEquals(y, tx.toArray(), act + " in place in " + h);
                        Tensor tdy = backend.of(dy, h);
                        Tensor tx2 = backend.of(x, h);
                        float[] dx = backend.activationBackward(tdy, tx2, ty, act).toArray();
                        double[] bwd = new double[x.length];
                        for (int i = 0; i < x.length; i++) {
                            bwd[i] = ActivationOracle.backward(act, dy[i], x[i], y[i]);
                        }
                        // The backward pass reads the rounded y where it uses the output: its reference does too.
                        Agreement.assertHalfNear(act + " backward in " + h, h, bwd, dx, 2e-5);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("arithmetic, reductions, softmax, losses, matmul and optimiser steps round once from float32")
        Stream<DynamicTest> otherOps() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                tests.add(check("add, sub, mul, div, scale in " + h, ops(Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.SCALE, Op.CAST), () -> {
                    requireHalf(Op.ADD, h);
                    float[] a = roundedTo(h, Inputs.gaussian(257, 1, 3));
                    float[] b = roundedTo(h, Inputs.awayFromZero(257, 2, 0.5, 4));
                    Tensor ta = backend.of(a, h);
                    Tensor tb = backend.of(b, h);
                    double[] add = new double[a.length];
                    double[] mul = new double[a.length];
                    double[] div = new double[a.length];
                    double[] sc = new double[a.length];
                    for (int i = 0; i < a.length; i++) {
                        add[i] = (double) a[i] + b[i];
                        mul[i] = (double) a[i] * b[i];
                        div[i] = (double) a[i] / b[i];
                        sc[i] = a[i] * 1.7;
                    }
                    Agreement.assertHalfNear("add in " + h, h, add, backend.add(ta, tb).toArray(), 1e-7);
                    Agreement.assertHalfNear("mul in " + h, h, mul, backend.mul(ta, tb).toArray(), 1e-7);
                    Agreement.assertHalfNear("div in " + h, h, div, backend.div(ta, tb).toArray(), 1e-7);
                    Agreement.assertHalfNear("scale in " + h, h, sc, backend.scale(ta, 1.7f).toArray(), 1e-7);
                    Tensor out = backend.zeros(h, 257);
                    backend.sub(ta, tb, out);
                    double[] sub = new double[a.length];
                    for (int i = 0; i < a.length; i++) {
                        sub[i] = (double) a[i] - b[i];
                    }
                    Agreement.assertHalfNear("sub into out in " + h, h, sub, out.toArray(), 1e-7);
                }));
                tests.add(check("sum, mean, softmax and log-softmax in " + h, ops(Op.SUM, Op.MEAN, Op.SOFTMAX, Op.LOG_SOFTMAX, Op.CAST), () -> {
                    requireHalf(Op.SOFTMAX, h);
                    int rows = 9;
                    int cols = 130;
                    float[] x = roundedTo(h, Inputs.gaussian(rows * cols, 3, 4));
                    Tensor t = backend.of(x, h, rows, cols);
                    double[] sm = new double[x.length];
                    double[] lsm = new double[x.length];
                    double[] rowSum = new double[rows];
                    for (int r = 0; r < rows; r++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < cols; c++) {
                            m = Math.max(m, x[r * cols + c]);
                        }
                        double z = 0;
                        for (int c = 0; c < cols; c++) {
                            z += Math.exp(x[r * cols + c] - m);
                            rowSum[r] += x[r * cols + c];
                        }
                        for (int c = 0; c < cols; c++) {
                            sm[r * cols + c] = Math.exp(x[r * cols + c] - m) / z;
                            lsm[r * cols + c] = x[r * cols + c] - m - Math.log(z);
                        }
                    }
                    Agreement.assertHalfNear("softmax in " + h, h, sm, backend.softmax(t).toArray(), 1e-6);
                    Agreement.assertHalfNear("log-softmax in " + h, h, lsm, backend.logSoftmax(t).toArray(), 1e-6);
                    Tensor s = backend.sum(t, 1);
                    assertEquals(h, s.dtype());
                    Agreement.assertHalfNear("sum over rows in " + h, h, rowSum, s.toArray(), 1e-5);
                    double total = 0;
                    for (double v : rowSum) {
                        total += v;
                    }
                    Agreement.assertHalfNear("mean in " + h, h, new double[] {total / x.length}, backend.mean(t).toArray(), 1e-5);
                }));
                tests.add(check("losses and the softmax cross-entropy in " + h, ops(Op.LOSS, Op.LOSS_BACKWARD, Op.SOFTMAX_CROSS_ENTROPY, Op.CAST), () -> {
                    requireHalf(Op.LOSS, h);
                    requireHalf(Op.SOFTMAX_CROSS_ENTROPY, h);
                    float[] p = roundedTo(h, Inputs.gaussian(300, 4, 2));
                    float[] q = roundedTo(h, Inputs.gaussian(300, 5, 2));
                    Tensor tp = backend.of(p, h, 30, 10);
                    Tensor tq = backend.of(q, h, 30, 10);
                    LossAndGradient mse = backend.lossWithGradient(tp, tq, Loss.MSE, Reduction.MEAN);
                    assertEquals(DType.FLOAT32, mse.loss().dtype(), "a loss value is float32");
                    assertEquals(h, mse.gradient().dtype(), "the gradient keeps the prediction's dtype");
                    double sum = 0;
                    double[] grad = new double[p.length];
                    for (int i = 0; i < p.length; i++) {
                        double d = (double) p[i] - q[i];
                        sum += d * d;
                        grad[i] = 2 * d / p.length;
                    }
                    assertEquals(sum / p.length, mse.loss().item(), 1e-5 * sum / p.length, "MSE in " + h);
                    Agreement.assertHalfNear("MSE gradient in " + h, h, grad, mse.gradient().toArray(), 1e-6);
                    int[] labels = Inputs.labels(30, 10, 6);
                    LossAndGradient ce = backend.softmaxCrossEntropy(tp, labels, Reduction.SUM);
                    double ceSum = 0;
                    double[] ceGrad = new double[p.length];
                    for (int r = 0; r < 30; r++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int c = 0; c < 10; c++) {
                            m = Math.max(m, p[r * 10 + c]);
                        }
                        double z = 0;
                        for (int c = 0; c < 10; c++) {
                            z += Math.exp(p[r * 10 + c] - m);
                        }
                        ceSum += Math.log(z) + m - p[r * 10 + labels[r]];
                        for (int c = 0; c < 10; c++) {
                            ceGrad[r * 10 + c] = Math.exp(p[r * 10 + c] - m) / z - (c == labels[r] ? 1 : 0);
                        }
                    }
                    assertEquals(ceSum, ce.loss().item(), 1e-5 * Math.abs(ceSum), "softmax cross-entropy in " + h);
                    Agreement.assertHalfNear("softmax cross-entropy gradient in " + h, h, ceGrad, ce.gradient().toArray(), 1e-6);
                }));
                tests.add(check("matmul with float32 accumulation in " + h, ops(Op.MATMUL, Op.CAST), () -> {
                    requireHalf(Op.MATMUL, h);
                    int m = 17;
                    int k = 300;
                    int n = 9;
                    float[] a = roundedTo(h, Inputs.gaussian(m * k, 7, 1));
                    float[] b = roundedTo(h, Inputs.gaussian(k * n, 8, 1));
                    double[] c = new double[m * n];
                    double[] scaleOf = new double[m * n];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            for (int p = 0; p < k; p++) {
                                c[i * n + j] += (double) a[i * k + p] * b[p * n + j];
                                scaleOf[i * n + j] += Math.abs((double) a[i * k + p] * b[p * n + j]);
                            }
                        }
                    }
                    Tensor ta = backend.of(a, h, m, k);
                    Tensor tb = backend.of(b, h, k, n);
                    Tensor tc = backend.matmul(ta, tb);
                    assertEquals(h, tc.dtype());
                    float[] got = tc.toArray();
                    Tensor c32 = backend.zeros(m, n);
                    backend.matmul(ta, false, tb, false, c32, 1f, 0f);
                    float[] got32 = c32.toArray();
                    for (int i = 0; i < c.length; i++) {
                        // float32 accumulation: k-scaled float32 error on the sum of |products|, plus one rounding.
                        double f32 = k * 0x1p-24 * scaleOf[i];
                        assertTrue(Math.abs(got32[i] - c[i]) <= f32, "matmul into float32 c in " + h + ", element " + i
                                + ": " + got32[i] + " vs " + c[i]);
                        assertTrue(Math.abs(got[i] - c[i]) <= f32 + Agreement.halfUlp(h, c[i]), "matmul in " + h + ", element " + i
                                + ": " + got[i] + " vs " + c[i]);
                    }
                }));
                tests.add(check("SGD and Adam read " + h + " gradients into float32 weights and state", ops(Op.SGD_STEP, Op.ADAM_STEP, Op.CAST), () -> {
                    requireHalf(Op.ADAM_STEP, h);
                    requireHalf(Op.SGD_STEP, h);
                    float[] w = Inputs.gaussian(333, 9, 1);
                    float[] g = roundedTo(h, Inputs.gaussian(333, 10, 1));
                    Tensor wf = backend.of(w);
                    Tensor wh = backend.of(w);
                    Tensor gh = backend.of(g, h);
                    Tensor gf = backend.of(g);
                    Tensor m1 = backend.zeros(333);
                    Tensor v1 = backend.zeros(333);
                    Tensor m2 = backend.zeros(333);
                    Tensor v2 = backend.zeros(333);
                    AdamConfig cfg = AdamConfig.adam(1e-3f);
                    backend.adamStep(wh, gh, m1, v1, cfg, 1);
                    backend.adamStep(wf, gf, m2, v2, cfg, 1);
                    assertArrayEquals(wf.toArray(), wh.toArray(), "Adam with a " + h + " gradient equals Adam with its float32 value");
                    assertArrayEquals(m2.toArray(), m1.toArray(), "Adam's first moment");
                    SgdConfig sgd = SgdConfig.of(0.1f);
                    backend.sgdStep(wh, gh, null, sgd);
                    backend.sgdStep(wf, gf, null, sgd);
                    assertArrayEquals(wf.toArray(), wh.toArray(), "SGD with a " + h + " gradient");
                    Tensor hw = backend.of(w, h);
                    rejects(InvalidArgumentException.class, () -> backend.sgdStep(hw, gh, null, sgd), "w", h.name());
                }));
                tests.add(check("dropout keeps " + h + " and the float32 mask of the same seed", ops(Op.DROPOUT, Op.CAST), () -> {
                    requireHalf(Op.DROPOUT, h);
                    // 1025: one odd block; 70,001: ranges on several threads and blocks, a tail that is not a whole vector.
                    for (int n : new int[] {1025, 70_001}) {
                        float[] x = roundedTo(h, Inputs.withSpecials(n, 11 + n, 2, Inputs.SPECIALS));
                        DropoutOutput d32 = backend.dropout(backend.of(x), 0.3f, 42, 5);
                        DropoutOutput dh = backend.dropout(backend.of(x, h), 0.3f, 42, 5);
                        assertEquals(h, dh.output().dtype());
                        float[] mask = d32.mask().toArray();
                        assertArrayEquals(mask, dh.mask().toArray(), "the mask depends on seed and offset only");
                        float[] want = roundedTo(h, d32.output().toArray());
                        assertBits("dropout in " + h + " is the float32 result rounded once, n=" + n, want, dh.output().toArray(), x);
                        // Into given tensors: a UINT8 mask, a FLOAT32 one, and y = x.
                        Tensor y = backend.empty(h, n);
                        Tensor bytes = backend.empty(DType.UINT8, n);
                        backend.dropout(backend.of(x, h), 0.3f, 42, 5, y, bytes);
                        assertBits("dropout in " + h + " into y, n=" + n, want, y.toArray(), x);
                        assertArrayEquals(mask, bytes.toArray(), "dropout in " + h + " into a UINT8 mask, n=" + n);
                        Tensor inPlace = backend.of(x, h);
                        Tensor floats = backend.empty(n);
                        backend.dropout(inPlace, 0.3f, 42, 5, inPlace, floats);
                        assertBits("dropout in " + h + " in place, n=" + n, want, inPlace.toArray(), x);
                        assertArrayEquals(mask, floats.toArray(), "dropout in " + h + " into a FLOAT32 mask, n=" + n);
                        // Backward from either mask, new and in place: float32's result rounded once.
                        float[] dy = roundedTo(h, Inputs.withSpecials(n, 12 + n, 1, Inputs.SPECIALS));
                        float[] wantDx = roundedTo(h, backend.dropoutBackward(backend.of(dy), d32.mask(), 0.3f).toArray());
                        Tensor dxb = backend.dropoutBackward(backend.of(dy, h), bytes, 0.3f);
                        assertEquals(h, dxb.dtype());
                        assertBits("dropout backward in " + h + " from the UINT8 mask, n=" + n, wantDx, dxb.toArray(), dy);
                        Tensor dyh = backend.of(dy, h);
                        backend.dropoutBackward(dyh, floats, 0.3f, dyh);
                        assertBits("dropout backward in " + h + " in place from the FLOAT32 mask, n=" + n, wantDx, dyh.toArray(), dy);
                        Tensor wrong = backend.empty(DType.INT32, n);
                        Tensor xh = backend.of(x, h);
                        Tensor yh = backend.empty(h, n);
                        rejects(InvalidArgumentException.class, () -> backend.dropout(xh, 0.3f, 42, 5, yh, wrong), "mask", "INT32");
                    }
                }));
                tests.add(check("allFinite finds one ±∞ or NaN anywhere in " + h + " and float32, and passes every finite value",
                        ops(Op.SCALE, Op.SUM, Op.CAST), () -> {
                    requireHalf(Op.SCALE, h);
                    requireHalf(Op.SUM, h);
                    boolean bf = h == DType.BFLOAT16;
                    // The largest finite value, the smallest subnormal and −0 are finite; ±∞ and NaNs with and
                    // without payload (quiet and signalling) are not.
                    short[] finiteBits = bf ? new short[] {(short) 0x7F7F, (short) 0xFF7F, 0x0001, (short) 0x8000}
                            : new short[] {0x7BFF, (short) 0xFBFF, 0x0001, (short) 0x8000};
                    short[] badBits = bf ? new short[] {0x7F80, (short) 0xFF80, 0x7FC0, 0x7F81, (short) 0xFFFF}
                            : new short[] {0x7C00, (short) 0xFC00, 0x7E00, 0x7C01, (short) 0xFFFF};
                    int[] badFloats = {0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7F80_0001, 0xFFFF_FFFF};
                    // Sizes around a vector and a block, and one split over threads; at the first, middle and last element.
                    for (int n : new int[] {1, 15, 16, 17, 33, 1000, 70_001}) {
                        short[] bits = new short[n];
                        float[] floats = new float[n];
                        for (int i = 0; i < n; i++) {
                            bits[i] = finiteBits[i % finiteBits.length];
                            floats[i] = Float.intBitsToFloat(i % 2 == 0 ? 0x7F7F_FFFF : 0x8000_0001);
                        }
                        Tensor fineH = backend.of(bits, h, n);
                        Tensor fine32 = backend.of(floats);
                        assertTrue(backend.allFinite(List.of(fineH, fine32)), "finite extremes in " + h + " and float32, n=" + n);
                        for (int at : new int[] {0, n / 2, n - 1}) {
                            for (int k = 0; k < badBits.length; k++) {
                                short[] b = bits.clone();
                                b[at] = badBits[k];
                                Tensor badH = backend.of(b, h, n);
                                assertTrue(!backend.allFinite(List.of(fine32, badH)), String.format(
                                        "%s bits 0x%04X at %d of %d", h, b[at] & 0xFFFF, at, n));
                                float[] f = floats.clone();
                                f[at] = Float.intBitsToFloat(badFloats[k]);
                                Tensor bad32 = backend.of(f);
                                assertTrue(!backend.allFinite(List.of(bad32, fineH)), String.format(
                                        "float32 bits 0x%08X at %d of %d", badFloats[k], at, n));
                                badH.close();
                                bad32.close();
                            }
                        }
                        fineH.close();
                        fine32.close();
                    }
                }));
                tests.add(check("dynamic loss scaling and half weight copies in " + h, ops(Op.SCALE, Op.SUM, Op.ADAM_STEP, Op.SGD_STEP, Op.CAST), () -> {
                    requireHalf(Op.SCALE, h);
                    requireHalf(Op.SUM, h);
                    float[] g = Inputs.gaussian(130, 21, 1);
                    Tensor g32 = backend.of(g);
                    Tensor gh = backend.of(g, h);
                    assertTrue(backend.allFinite(List.of(g32, gh)), "finite gradients");
                    assertTrue(backend.unscaleIfFinite(List.of(g32, gh), 1024f), "finite gradients are unscaled");
                    float[] want = new float[g.length];
                    for (int i = 0; i < g.length; i++) {
                        want[i] = g[i] * (1f / 1024f);
                    }
                    assertArrayEquals(want, g32.toArray(), "float32 gradient divided by the loss scale");
                    float[] stored = roundedTo(h, g);
                    float[] wantHalf = new float[g.length];
                    for (int i = 0; i < g.length; i++) {
                        wantHalf[i] = stored[i] * (1f / 1024f);
                    }
                    // float16 subnormals below 2⁻¹⁴ lose bits in the division: the stored value, divided, rounded once.
                    assertArrayEquals(roundedTo(h, wantHalf), gh.toArray(), h + " gradient divided by the loss scale");
                    for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
                        float[] b = g.clone();
                        b[77] = bad;
                        Tensor bh = backend.of(b, h);
                        Tensor b32 = backend.of(b);
                        assertTrue(!backend.allFinite(List.of(g32, bh)), "a " + bad + " in " + h + " is found");
                        assertTrue(!backend.unscaleIfFinite(List.of(b32), 8f), "a " + bad + " in float32 is found");
                        assertArrayEquals(b, b32.toArray(), "gradients with a " + bad + " are left as they were");
                    }
                    // A scale below 1 enlarges the gradients: values it would carry past the dtype's range make it
                    // false with every gradient as it was; values it leaves finite are unscaled.
                    float big = h == DType.FLOAT16 ? 5000f : 1e37f;
                    float[] over = {big, 1f, -2f};
                    Tensor overH = backend.of(over, h);
                    float[] over32Values = {1e37f, 1f, -2f};
                    Tensor over32 = backend.of(over32Values);
                    Tensor ok32 = backend.of(new float[] {1f, -2f});
                    float[] overHBefore = overH.toArray();
                    assertTrue(!backend.unscaleIfFinite(List.of(ok32, overH), 1f / 64), big + " × 64 overflows " + h);
                    assertArrayEquals(overHBefore, overH.toArray(), h + " gradients left as they were");
                    assertArrayEquals(new float[] {1f, -2f}, ok32.toArray(), "float32 gradients beside it left as they were");
                    assertTrue(!backend.unscaleIfFinite(List.of(over32), 1e-2f), "1e37 × 100 overflows float32");
                    assertArrayEquals(over32Values, over32.toArray(), "float32 gradients left as they were");
                    assertTrue(backend.unscaleIfFinite(List.of(ok32), 0.25f), "finite once unscaled");
                    assertArrayEquals(new float[] {4f, -8f}, ok32.toArray(), "unscaled by a scale below 1");
                    rejects(InvalidArgumentException.class, () -> backend.unscaleIfFinite(List.of(g32), 0f), "lossScale");
                    rejects(InvalidArgumentException.class, () -> backend.unscaleIfFinite(List.of(g32, g32), 2f), "same tensor");
                    requireHalf(Op.ADAM_STEP, h);
                    float[] w = Inputs.gaussian(130, 22, 1);
                    Tensor master = backend.of(w);
                    Tensor copy = backend.zeros(h, 130);
                    Tensor m = backend.zeros(130);
                    Tensor v = backend.zeros(130);
                    backend.adamStep(master, gh, m, v, AdamConfig.adam(1e-2f), 1, copy);
                    assertArrayEquals(roundedTo(h, master.toArray()), copy.toArray(), "the half copy is the master weights rounded");
                    backend.sgdStep(master, gh, null, SgdConfig.of(0.1f), copy);
                    assertArrayEquals(roundedTo(h, master.toArray()), copy.toArray(), "the half copy after SGD");
                    rejects(InvalidArgumentException.class, () -> backend.adamStep(master, gh, m, v, AdamConfig.adam(1e-2f), 2, master),
                            "halfWeights", "FLOAT32");
                    // The gradient as its own copy's target: the same tensor twice, rejected before any write.
                    float[] before = gh.toArray();
                    float[] masterBefore = master.toArray();
                    rejects(InvalidArgumentException.class, () -> backend.adamStep(master, gh, m, v, AdamConfig.adam(1e-2f), 2, gh),
                            "halfWeights must not be grad");
                    rejects(InvalidArgumentException.class, () -> backend.sgdStep(master, gh, null, SgdConfig.of(0.1f), gh),
                            "halfWeights must not be grad");
                    assertArrayEquals(before, gh.toArray(), "the gradient is untouched");
                    assertArrayEquals(masterBefore, master.toArray(), "the weights are untouched");
                }));
                tests.add(check("SGD and Adam from float32 and " + h + " gradients with the " + h + " copy, over many blocks",
                        ops(Op.SGD_STEP, Op.ADAM_STEP, Op.CAST), () -> {
                    requireHalf(Op.ADAM_STEP, h);
                    requireHalf(Op.SGD_STEP, h);
                    // Past the CPU backend's per-thread ranges and chunks, with a tail; specials in the gradient and
                    // the weights. Each result must be the float32 step on the gradient's exact float32 value, and
                    // the copy that result rounded once, bit for bit, whether the backend fuses the three or not.
                    int n = 2 * 65536 + 3 * 2048 + 17;
                    float[] w0 = Inputs.gaussian(n, 31, 1);
                    float[] g0 = roundedTo(h, Inputs.gaussian(n, 32, 1));
                    g0[5] = Float.NaN;
                    g0[70_001] = Float.POSITIVE_INFINITY;
                    g0[n - 1] = -0f;
                    w0[9] = -0f;
                    w0[n - 2] = 65504f;
                    AdamConfig[] adams = {AdamConfig.adam(1e-3f), AdamConfig.adamW(1e-3f, 0.01f),
                        new AdamConfig(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, false)};
                    SgdConfig[] sgds = {SgdConfig.of(0.1f), SgdConfig.of(0.05f).withMomentum(0.9f, true).withL2(1e-4f).withL1(1e-5f)};
                    for (boolean halfGrad : new boolean[] {false, true}) {
                        for (int c = 0; c < adams.length + sgds.length; c++) {
                            String what = (c < adams.length ? adams[c] : sgds[c - adams.length]) + " from a "
                                    + (halfGrad ? h : DType.FLOAT32) + " gradient";
                            try (Tensor wRef = backend.of(w0); Tensor gRef = backend.of(g0);
                                 Tensor w = backend.of(w0); Tensor g = halfGrad ? backend.of(g0, h) : backend.of(g0);
                                 Tensor copy = backend.zeros(h, n);
                                 Tensor m1 = backend.zeros(n); Tensor v1 = backend.zeros(n);
                                 Tensor m2 = backend.zeros(n); Tensor v2 = backend.zeros(n)) {
                                for (int step = 1; step <= 3; step++) {
                                    // Steps 1 and 3 write the copy; step 2, from a half gradient, none.
                                    boolean withCopy = step != 2 || !halfGrad;
                                    if (c < adams.length) {
                                        backend.adamStep(wRef, gRef, m1, v1, adams[c], step);
                                        if (withCopy) {
                                            backend.adamStep(w, g, m2, v2, adams[c], step, copy);
                                        } else {
                                            backend.adamStep(w, g, m2, v2, adams[c], step);
                                        }
                                    } else {
                                        backend.sgdStep(wRef, gRef, m1, sgds[c - adams.length]);
                                        if (withCopy) {
                                            backend.sgdStep(w, g, m2, sgds[c - adams.length], copy);
                                        } else {
                                            backend.sgdStep(w, g, m2, sgds[c - adams.length]);
                                        }
                                    }
                                }
                                float[] want = wRef.toArray();
                                assertArrayEquals(bits(want), bits(w.toArray()), what + ": the master weights, bit for bit");
                                assertArrayEquals(bits(m1.toArray()), bits(m2.toArray()), what + ": the first moment or velocity");
                                assertArrayEquals(bits(v1.toArray()), bits(v2.toArray()), what + ": the second moment");
                                try (Tensor wantCopy = backend.cast(wRef, h)) {
                                    assertArrayEquals(wantCopy.toShortArray(), copy.toShortArray(),
                                            what + ": the " + h + " copy is the cast's, bit for bit (NaN included)");
                                }
                            }
                        }
                    }
                }));
                tests.add(check("linear, backward passes, norms and argmax in " + h + " against float32 on the same values",
                        ops(Op.LINEAR, Op.LINEAR_BACKWARD, Op.L2_NORM, Op.CLIP_GRAD_NORM, Op.ARGMAX, Op.SOFTMAX_BACKWARD,
                                Op.LOG_SOFTMAX_BACKWARD, Op.LOSS_BACKWARD, Op.DROPOUT_BACKWARD, Op.CAST), () -> {
                    for (Op op : new Op[] {Op.LINEAR, Op.LINEAR_BACKWARD, Op.L2_NORM, Op.CLIP_GRAD_NORM, Op.ARGMAX,
                        Op.SOFTMAX_BACKWARD, Op.LOG_SOFTMAX_BACKWARD, Op.LOSS_BACKWARD, Op.DROPOUT_BACKWARD}) {
                        requireHalf(op, h);
                    }
                    int rows = 12;
                    int in = 40;
                    int out = 7;
                    float[] x = roundedTo(h, Inputs.gaussian(rows * in, 41, 1));
                    float[] w = roundedTo(h, Inputs.gaussian(in * out, 42, 0.3));
                    float[] b = roundedTo(h, Inputs.gaussian(out, 43, 0.1));
                    float[] dy = roundedTo(h, Inputs.gaussian(rows * out, 44, 1));
                    // The float32 run on the same (rounded) values: the kit checks it against the oracle elsewhere.
                    LinearOutput f = backend.linear(up(x, rows, in), up(w, in, out), up(b, out), Activation.GELU);
                    LinearGradients fg = backend.linearBackward(up(dy, rows, out), f);
                    LinearOutput o = backend.linear(backend.of(x, h, rows, in), backend.of(w, h, in, out), backend.of(b, h, out),
                            Activation.GELU);
                    assertEquals(h, o.output().dtype());
                    Agreement.assertHalfNear("linear in " + h, h, widen(down(f.output())), down(o.output()), 1e-5);
                    LinearGradients g = backend.linearBackward(backend.of(dy, h, rows, out), o);
                    assertEquals(h, g.dw().dtype());
                    // The backward pass starts from the half forward pass's rounded z and y: so does its float32 reference.
                    LinearOutput rounded = new LinearOutput(up(down(o.output()), rows, out), up(down(o.preActivation()), rows, out),
                            up(x, rows, in), up(w, in, out), up(b, out), Activation.GELU);
                    LinearGradients rg = backend.linearBackward(up(dy, rows, out), rounded);
                    Agreement.assertHalfNear("linear backward dx in " + h, h, widen(down(rg.dx())), down(g.dx()), 1e-6);
                    Agreement.assertHalfNear("linear backward dw in " + h, h, widen(down(rg.dw())), down(g.dw()), 1e-6);
                    Agreement.assertHalfNear("linear backward db in " + h, h, widen(down(rg.db())), down(g.db()), 1e-6);
                    Agreement.assertHalfNear("linear backward dw in " + h + " against the float32 pass", h, widen(down(fg.dw())),
                            down(g.dw()), 0.05);
                    // A layer of no rows: zero weight and bias gradients in the layer's dtype, as in float32.
                    LinearOutput none = backend.linear(backend.zeros(h, 0, in), backend.of(w, h, in, out), backend.of(b, h, out),
                            Activation.GELU);
                    LinearGradients ng = backend.linearBackward(backend.zeros(h, 0, out), none);
                    assertEquals(h, ng.dw().dtype());
                    assertArrayEquals(new float[in * out], ng.dw().toArray(), "dw of a layer of no rows in " + h);
                    assertArrayEquals(new float[out], ng.db().toArray(), "db of a layer of no rows in " + h);
                    Tensor hx = backend.of(x, h, rows, in);
                    // Against the float64 oracle on the rounded values (the same values the float32 rows are checked on).
                    double xNorm = ReductionOracle.l2Norm(widen(x));
                    assertAgree("l2Norm of " + h + " (a float32 result)", Tolerances.L2_NORM, xNorm, backend.l2Norm(hx).item(),
                            (x.length + 4) * xNorm);
                    assertArrayEquals(ReductionOracle.argmax(widen(x), rows, in), backend.argmax(hx), "argmax of " + h);
                    Tensor hy = backend.softmax(hx);
                    Tensor hdy = backend.of(roundedTo(h, Inputs.gaussian(rows * in, 45, 1)), h, rows, in);
                    float[] sb32 = down(backend.softmaxBackward(up(down(hdy), rows, in), up(down(hy), rows, in)));
                    Agreement.assertHalfNear("softmax backward in " + h, h, widen(sb32), down(backend.softmaxBackward(hdy, hy)), 1e-5);
                    Tensor hly = backend.logSoftmax(hx);
                    float[] lb32 = down(backend.logSoftmaxBackward(up(down(hdy), rows, in), up(down(hly), rows, in)));
                    Agreement.assertHalfNear("log-softmax backward in " + h, h, widen(lb32), down(backend.logSoftmaxBackward(hdy, hly)), 1e-5);
                    float[] lg32 = down(backend.lossBackward(up(x, rows, in), up(down(hdy), rows, in), Loss.huber(1f), Reduction.MEAN));
                    Agreement.assertHalfNear("Huber gradient in " + h, h, widen(lg32),
                            down(backend.lossBackward(hx, hdy, Loss.huber(1f), Reduction.MEAN)), 1e-6);
                    DropoutOutput d = backend.dropout(hx, 0.4f, 3, 1);
                    float[] db32 = down(backend.dropoutBackward(up(down(hdy), rows, in), d.mask(), 0.4f));
                    Agreement.assertHalfNear("dropout backward in " + h, h, widen(db32), down(backend.dropoutBackward(hdy, d.mask(), 0.4f)), 0);
                    float[] v1 = roundedTo(h, Inputs.gaussian(100, 46, 10));
                    float[] v2 = Inputs.gaussian(50, 47, 10);
                    Tensor g1 = backend.of(v1, h);
                    Tensor g2 = backend.of(v2);
                    double exact = Math.hypot(ReductionOracle.l2Norm(widen(v1)), ReductionOracle.l2Norm(widen(v2)));
                    float norm = backend.clipGradNorm(List.of(g1, g2), 1f);
                    assertAgree("clipGradNorm over " + h + " and float32 gradients", Tolerances.CLIP_GRAD_NORM, exact, norm,
                            (v1.length + v2.length + 8) * exact);
                    double factor = 1 / (exact + 1e-6);
                    double[] e1 = new double[v1.length];
                    for (int i = 0; i < v1.length; i++) {
                        e1[i] = v1[i] * factor;
                    }
                    // The half part is scaled in float32 and rounded once to its type: within one rounding of it.
                    Agreement.assertHalfNear("clipped " + h + " gradient", h, e1, down(g1), 1e-5);
                    double[] e2 = new double[v2.length];
                    double[] r2 = new double[v2.length];
                    for (int i = 0; i < v2.length; i++) {
                        e2[i] = v2[i] * factor;
                        r2[i] = (v1.length + v2.length + 8) * Math.abs(e2[i]);
                    }
                    assertAgree("clipped float32 gradient beside " + h, Tolerances.CLIP_GRAD_NORM, e2, down(g2), r2, v2);
                }));
                tests.add(check("initial weights in " + h + " are the float32 ones rounded once", ops(Op.INIT_UNIFORM, Op.INIT_NORMAL, Op.CAST), () -> {
                    requireHalf(Op.INIT_UNIFORM, h);
                    requireHalf(Op.INIT_NORMAL, h);
                    for (Init init : new Init[] {Init.heUniform(), Init.xavierNormal(), Init.uniform(-0.5, 0.5)}) {
                        Tensor t = backend.empty(h, Shape.of(33, 17));
                        backend.init(t, init, 1234, 5);
                        Tensor f = backend.empty(Shape.of(33, 17));
                        backend.init(f, init, 1234, 5);
                        assertArrayEquals(roundedTo(h, down(f)), down(t), init + " in " + h);
                    }
                }));
                tests.add(check("PReLU in " + h + ", α float32 or " + h + ", shared or per channel, forward and backward",
                        ops(Op.PRELU, Op.PRELU_BACKWARD, Op.CAST), () -> {
                    requireHalf(Op.PRELU, h);
                    requireHalf(Op.PRELU_BACKWARD, h);
                    int rows = 4;
                    int channels = 6;
                    int inner = 5;
                    int n = rows * channels * inner;
                    float[] x = roundedTo(h, Inputs.withSpecials(n, 7300, 2, Inputs.FINITE_SPECIALS));
                    float[] dy = roundedTo(h, Inputs.gaussian(n, 7301, 1));
                    for (boolean shared : new boolean[] {true, false}) {
                        for (DType alphaType : new DType[] {DType.FLOAT32, h}) {
                            int count = shared ? 1 : channels;
                            float[] alpha = roundedTo(alphaType, Inputs.uniform(count, 7302 + count, -0.5, 0.5));
                            Tensor tx = backend.of(x, h, rows, channels, inner);
                            Tensor ta = backend.of(alpha, alphaType, count);
                            String what = "PReLU in " + h + " with " + (shared ? "a shared" : "per-channel") + " α in " + alphaType;
                            Tensor y = backend.prelu(tx, ta);
                            assertEquals(h, y.dtype(), what + ": y keeps x's dtype");
                            double[] ey = new double[n];
                            double[] edx = new double[n];
                            double[] eda = new double[count];
                            double[] mag = new double[count];
                            for (int i = 0; i < n; i++) {
                                int c = shared ? 0 : (i / inner) % channels;
                                ey[i] = x[i] > 0 ? x[i] : (double) alpha[c] * x[i];
                                edx[i] = x[i] > 0 ? dy[i] : (double) alpha[c] * dy[i];
                                if (x[i] <= 0) {
                                    eda[c] += (double) dy[i] * x[i];
                                    mag[c] += Math.abs((double) dy[i] * x[i]);
                                }
                            }
                            Agreement.assertHalfNear(what, h, ey, y.toArray(), 1e-7);
                            PreluGradients g = backend.preluBackward(backend.of(dy, h, rows, channels, inner), tx, ta);
                            assertEquals(h, g.dx().dtype(), what + ": dx keeps x's dtype");
                            assertEquals(alphaType, g.dAlpha().dtype(), what + ": dα keeps α's dtype");
                            Agreement.assertHalfNear(what + ", dx", h, edx, g.dx().toArray(), 1e-7);
                            float[] da = g.dAlpha().toArray();
                            for (int c = 0; c < count; c++) {
                                // A float32 sum of the channel's terms, then α's own rounding.
                                double bound = (n + 2) * 0x1p-24 * mag[c] + (alphaType == h ? Agreement.halfUlp(h, eda[c]) : 0);
                                assertTrue(Math.abs(da[c] - eda[c]) <= bound, what + ", dα[" + c + "] is " + da[c] + ", the reference "
                                        + eda[c] + ", allowed " + bound);
                            }
                        }
                    }
                }));
                tests.add(check("the dense layer with PReLU in " + h + ", forward and backward", ops(Op.LINEAR, Op.LINEAR_BACKWARD,
                        Op.PRELU, Op.PRELU_BACKWARD, Op.CAST), () -> {
                    requireHalf(Op.LINEAR, h);
                    requireHalf(Op.LINEAR_BACKWARD, h);
                    requireHalf(Op.PRELU, h);
                    requireHalf(Op.PRELU_BACKWARD, h);
                    int rows = 5;
                    int in = 7;
                    int out = 6;
                    float[] x = roundedTo(h, Inputs.gaussian(rows * in, 7310, 1));
                    float[] w = roundedTo(h, Inputs.gaussian(in * out, 7311, 1));
                    float[] b = roundedTo(h, Inputs.gaussian(out, 7312, 1));
                    float[] alpha = Inputs.uniform(out, 7313, -0.5, 0.5);
                    float[] dy = roundedTo(h, Inputs.gaussian(rows * out, 7314, 1));
                    Tensor tx = backend.of(x, h, rows, in);
                    Tensor tw = backend.of(w, h, in, out);
                    Tensor ta = backend.of(alpha);
                    LinearOutput f = backend.linear(tx, tw, backend.of(b, h, out), ta);
                    assertEquals(h, f.output().dtype(), "y in " + h);
                    assertEquals(h, f.preActivation().dtype(), "z in " + h);
                    float[] z = f.preActivation().toArray();
                    float[] y = f.output().toArray();
                    double u = 0x1p-24;
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < out; j++) {
                            double e = b[j];
                            double mag = Math.abs(e);
                            for (int q = 0; q < in; q++) {
                                e += (double) x[r * in + q] * w[q * out + j];
                                mag += Math.abs((double) x[r * in + q] * w[q * out + j]);
                            }
                            double ey = e > 0 ? e : alpha[j] * e;
                            double zBound = (in + 2) * u * mag + Agreement.halfUlp(h, e);
                            double yBound = (in + 3) * u * mag + Agreement.halfUlp(h, ey);
                            int i = r * out + j;
                            assertTrue(Math.abs(z[i] - e) <= zBound, "z[" + r + "][" + j + "] in " + h + ": " + z[i] + " vs " + e);
                            assertTrue(Math.abs(y[i] - ey) <= yBound, "y[" + r + "][" + j + "] in " + h + ": " + y[i] + " vs " + ey);
                        }
                    }
                    LinearGradients g = backend.linearBackward(backend.of(dy, h, rows, out), f);
                    assertEquals(h, g.dw().dtype(), "dW in " + h);
                    assertEquals(h, g.dx().dtype(), "dx in " + h);
                    assertEquals(DType.FLOAT32, g.dAlpha().dtype(), "dα in α's dtype");
                    // The backward pass reads the saved z (rounded to h): dz = dy where z > 0, else α·dy.
                    double[] dz = new double[rows * out];
                    double[] da = new double[out];
                    double[] daMag = new double[out];
                    for (int i = 0; i < dz.length; i++) {
                        int j = i % out;
                        dz[i] = z[i] > 0 ? dy[i] : (double) alpha[j] * dy[i];
                        if (z[i] <= 0) {
                            da[j] += (double) dy[i] * z[i];
                            daMag[j] += Math.abs((double) dy[i] * z[i]);
                        }
                    }
                    float[] gda = g.dAlpha().toArray();
                    float[] gdw = g.dw().toArray();
                    for (int j = 0; j < out; j++) {
                        double bound = (rows + 2) * u * daMag[j];
                        assertTrue(Math.abs(gda[j] - da[j]) <= bound, "dα[" + j + "] in " + h + ": " + gda[j] + " vs " + da[j]);
                        for (int q = 0; q < in; q++) {
                            double e = 0;
                            double mag = 0;
                            for (int r = 0; r < rows; r++) {
                                e += (double) x[r * in + q] * dz[r * out + j];
                                mag += Math.abs((double) x[r * in + q] * dz[r * out + j]);
                            }
                            double dwBound = (rows + 3) * u * mag + Agreement.halfUlp(h, e);
                            assertTrue(Math.abs(gdw[q * out + j] - e) <= dwBound, "dW[" + q + "][" + j + "] in " + h + ": "
                                    + gdw[q * out + j] + " vs " + e);
                        }
                    }
                }));
                tests.add(check("mixed half dtypes are rejected naming both", ops(Op.ADD, Op.CAST), () -> {
                    requireHalf(Op.ADD, DType.FLOAT16);
                    requireHalf(Op.ADD, DType.BFLOAT16);
                    Tensor a = backend.zeros(DType.FLOAT16, 3);
                    Tensor b = backend.zeros(DType.BFLOAT16, 3);
                    Tensor f = backend.zeros(3);
                    rejects(InvalidArgumentException.class, () -> backend.add(a, b), "a", "b", "FLOAT16", "BFLOAT16");
                    rejects(InvalidArgumentException.class, () -> backend.mul(a, f), "a", "b", "FLOAT16", "FLOAT32");
                }));
                tests.add(check("an INT32 or UINT8 tensor beside " + h + " ones is rejected naming both, on every backend",
                        ops(Op.ADD, Op.MATMUL, Op.DROPOUT, Op.CAST), () -> {
                    requireHalf(Op.ADD, h);
                    requireStored(DType.INT32, DType.UINT8);
                    Tensor a = backend.zeros(h, 2, 3);
                    Tensor i32 = backend.zeros(DType.INT32, 2, 3);
                    Tensor u8 = backend.zeros(DType.UINT8, 2, 3);
                    // Whether the backend runs the op in h itself or through float32 copies, the answer is the same.
                    rejects(InvalidArgumentException.class, () -> backend.add(a, i32), "a", "b", h.name(), "INT32");
                    rejects(InvalidArgumentException.class, () -> backend.add(u8, a), "a", "b", h.name(), "UINT8");
                    rejects(InvalidArgumentException.class, () -> backend.add(a, a, i32), "a", "out", h.name(), "INT32");
                    if (backend.capabilities().supports(Op.MATMUL, h)) {
                        Tensor b = backend.zeros(h, 3, 2);
                        rejects(InvalidArgumentException.class, () -> backend.matmul(i32, b), "a", "b", h.name(), "INT32");
                    }
                    if (backend.capabilities().supports(Op.DROPOUT, h)) {
                        Tensor mask = backend.zeros(DType.UINT8, 2, 3);
                        rejects(InvalidArgumentException.class, () -> backend.dropout(a, 0.5f, 1, 2, u8, mask), "x", "y", h.name(),
                                "UINT8");
                    }
                }));
            }
            tests.add(check("an INT32 or UINT8 tensor as a float op's data is rejected naming the op, the tensor and the "
                    + "dtypes the op takes", ops(Op.ACTIVATION, Op.SOFTMAX, Op.SUM, Op.LOSS), () -> {
                requireStored(DType.INT32, DType.UINT8);
                Tensor i32 = backend.zeros(DType.INT32, 2, 3);
                Tensor u8 = backend.zeros(DType.UINT8, 2, 3);
                Tensor f = backend.zeros(2, 3);
                rejects(InvalidArgumentException.class, () -> backend.activation(i32, Activation.SIGMOID), "ACTIVATION", "x",
                        "INT32", "FLOAT32");
                rejects(InvalidArgumentException.class, () -> backend.softmax(u8), "SOFTMAX", "x", "UINT8", "FLOAT32");
                rejects(InvalidArgumentException.class, () -> backend.sum(i32), "SUM", "x", "INT32", "FLOAT32");
                rejects(InvalidArgumentException.class, () -> backend.loss(u8, f, Loss.MSE, Reduction.MEAN), "LOSS", "pred",
                        "UINT8", "FLOAT32");
            }));
            return tests.stream();
        }
    }

    // =====================================================================================
    // Half-precision gradients against finite differences at the rounded inputs
    // =====================================================================================

    /** Each value rounded to float32, then to {@code h}: within u(1 + 2⁻¹³) of it, the saved output a half backend keeps. */
    private static float[] roundedTo(DType h, double[] v) {
        return roundedTo(h, Inputs.narrow(v));
    }

    /** Half-precision data: each element of {@code x} rounded to {@code h}, uploaded as an {@code h} tensor. */
    private Tensor upHalf(DType h, float[] x, long... dims) {
        return backend.of(x, h, dims.length == 0 ? new long[] {x.length} : dims);
    }

    /** ref = S + rms/64 of the half finite-difference tolerance ({@link Tolerances#gradientCheck(DType)}). */
    private static double[] halfGradientRef(double[] grad, double[] sensitivity) {
        double floor = rms(grad) / 64;
        double[] ref = new double[grad.length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = (sensitivity == null ? 0 : sensitivity[i]) + floor;
        }
        return ref;
    }

    /**
     * A half-precision gradient against the float64 central difference taken at the half-rounded inputs, under
     * {@link Tolerances#gradientCheck(DType)}; the oracle's analytic gradient is held to the same difference first.
     *
     * @param sensitivity S: how far the gradient moves, per unit of relative error, when the saved half outputs the
     *     backward pass reads are rounded; null where it reads none
     */
    private void halfGradientCheck(String what, DType h, FdGradient g, double[] sensitivity, Tensor backendGrad) {
        assertEquals(h, backendGrad.dtype(), what + ": the gradient keeps the inputs' dtype");
        assertOracleAgrees(what, g.fd(), g.analytic());
        assertAgree(what + " in " + h + " (backend backward vs float64 finite difference at the " + h + " inputs)",
                Tolerances.gradientCheck(h), g.fd(), down(backendGrad), halfGradientRef(g.fd(), sensitivity), null);
    }

    @Nested
    @DisplayName("Half-precision backward passes agree with a float64 finite difference at their rounded inputs")
    class HalfPrecisionGradients {
        private final DType[] halves = {DType.FLOAT16, DType.BFLOAT16};
        private final Activation[] layerActivations = {Activation.TANH, Activation.GELU, Activation.SIGMOID, Activation.IDENTITY};

        @TestFactory
        @DisplayName("activation backward passes, from x and from the saved half output y")
        Stream<DynamicTest> activations() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (Activation act : ACTIVATIONS) {
                    tests.add(check(act + " backward in " + h + " vs finite difference", ops(Op.ACTIVATION_BACKWARD), () -> {
                        requireHalf(Op.ACTIVATION_BACKWARD, h);
                        int n = 33;
                        // Away from the kinks at 0 (ReLU, leaky ReLU, ELU) as in float32; still ≥ 0.05 once rounded.
                        float[] x = roundedTo(h, Inputs.awayFromZero(n, 4000 + act.kind().ordinal(), 0.05, 3.0));
                        float[] r = roundedTo(h, Inputs.gaussian(n, 4020, 1));
                        FdGradient grad = activationGradient(act, x, r);
                        double[] xd = widen(x);
                        double[] rd = widen(r);
                        // The saved output as a half backend keeps it; sigmoid and tanh read it (the contract's dx).
                        float[] y = roundedTo(h, activationForward(act, x, null));
                        double[] sensitivity = FiniteDifference.sensitivity(yv -> {
                            double[] g = new double[n];
                            for (int i = 0; i < n; i++) {
                                g[i] = ActivationOracle.backward(act, rd[i], xd[i], yv[i]);
                            }
                            return g;
                        }, widen(y));
                        Tensor dx = backend.activationBackward(upHalf(h, r), upHalf(h, x), upHalf(h, y), act);
                        halfGradientCheck(act + " backward", h, grad, sensitivity, dx);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("softmax and log-softmax backward, from the saved half output")
        Stream<DynamicTest> softmax() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (boolean log : new boolean[] {false, true}) {
                    Op op = log ? Op.LOG_SOFTMAX_BACKWARD : Op.SOFTMAX_BACKWARD;
                    String name = log ? "logSoftmax" : "softmax";
                    tests.add(check(name + " backward in " + h + " vs finite difference", ops(op), () -> {
                        requireHalf(op, h);
                        int rows = 4;
                        int cols = 19;
                        float[] x = roundedTo(h, Inputs.gaussian(rows * cols, 4100, 2));
                        float[] r = roundedTo(h, Inputs.gaussian(rows * cols, 4101, 1));
                        FdGradient g = softmaxGradient(x, r, rows, cols, log);
                        double[] rd = widen(r);
                        float[] y = roundedTo(h, SoftmaxOracle.forward(widen(x), rows, cols, log));
                        double[] sensitivity = FiniteDifference.sensitivity(yv -> SoftmaxOracle.backward(rd, yv, rows, cols, log), widen(y));
                        Tensor ty = upHalf(h, y, rows, cols);
                        Tensor tr = upHalf(h, r, rows, cols);
                        Tensor dx = log ? backend.logSoftmaxBackward(tr, ty) : backend.softmaxBackward(tr, ty);
                        halfGradientCheck(name + " backward", h, g, sensitivity, dx);
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("every loss's gradient, with MEAN and SUM")
        Stream<DynamicTest> losses() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (Loss loss : LOSSES) {
                    tests.add(check(loss + " gradient in " + h + " vs finite difference", ops(Op.LOSS_BACKWARD), () -> {
                        requireHalf(Op.LOSS_BACKWARD, h);
                        // |p − t| in [0.4δ, 0.8δ] or [1.2δ, 2.4δ]: away from the kinks at 0 (MAE) and at δ (Huber).
                        float[][] pt = lossGradientData(loss, 37, 4200, 0.4, v -> roundedTo(h, v));
                        float[] p = pt[0];
                        float[] t = pt[1];
                        if (loss.kind() != Loss.Kind.BINARY_CROSS_ENTROPY) {
                            float delta = loss.kind() == Loss.Kind.HUBER ? loss.delta() : 1f;
                            for (int i = 0; i < p.length; i++) {
                                double gap = Math.abs((double) p[i] - t[i]) / delta;
                                assertTrue(gap > 0.3 && Math.abs(gap - 1) > 0.1,
                                        "kit data: |p − t| = " + gap + "δ at [" + i + "] is too near a kink once rounded to " + h);
                            }
                        }
                        Tensor tp = upHalf(h, p);
                        Tensor tt = upHalf(h, t);
                        for (Reduction red : Reduction.values()) {
                            FdGradient g = lossGradient(loss, red, p, t);
                            halfGradientCheck(loss + " " + red + " gradient", h, g, null, backend.lossBackward(tp, tt, loss, red));
                        }
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("the softmax cross-entropy's gradient, against labels and against half-precision targets")
        Stream<DynamicTest> crossEntropy() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (boolean labels : new boolean[] {true, false}) {
                    String name = "cross-entropy gradient in " + h + " vs finite difference, " + (labels ? "labels" : "targets");
                    tests.add(check(name, ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                        requireHalf(Op.SOFTMAX_CROSS_ENTROPY, h);
                        // Small enough that the float64 difference of the summed loss stays within the oracle's 1e-8 of the rms.
                        int rows = 4;
                        int cols = 7;
                        float[] x = roundedTo(h, Inputs.gaussian(rows * cols, 4300, 2));
                        int[] l = labels ? Inputs.labels(rows, cols, 4301) : null;
                        float[] t = labels ? null : roundedTo(h, Inputs.probabilities(rows, cols, 4302));
                        Tensor tx = upHalf(h, x, rows, cols);
                        for (Reduction red : Reduction.values()) {
                            FdGradient g = crossEntropyGradient(x, l, t, rows, cols, red);
                            LossAndGradient lg = labels ? backend.softmaxCrossEntropy(tx, l, red)
                                    : backend.softmaxCrossEntropy(tx, upHalf(h, t, rows, cols), red);
                            halfGradientCheck("cross-entropy " + red + " gradient", h, g, null, lg.gradient());
                        }
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("dropout's backward pass: dy·mask/(1 − p)")
        Stream<DynamicTest> dropout() {
            return Arrays.stream(halves).map(h -> check("dropout backward in " + h + " vs finite difference",
                    ops(Op.DROPOUT, Op.DROPOUT_BACKWARD), () -> {
                requireHalf(Op.DROPOUT, h);
                requireHalf(Op.DROPOUT_BACKWARD, h);
                int n = 129;
                float p = 0.3f;
                long seed = 4400;
                long offset = 3;
                float[] x = roundedTo(h, Inputs.gaussian(n, 4401, 1));
                float[] r = roundedTo(h, Inputs.gaussian(n, 4402, 1));
                boolean[] kept = RandomOracle.dropoutMask(seed, offset, n, p);
                double scale = RandomOracle.dropoutScale(p);
                double[] fd = FiniteDifference.gradient(v -> {
                    double s = 0;
                    for (int i = 0; i < v.length; i++) {
                        s += kept[i] ? r[i] * v[i] * scale : 0;
                    }
                    return s;
                }, widen(x));
                double[] analytic = new double[n];
                for (int i = 0; i < n; i++) {
                    analytic[i] = kept[i] ? r[i] * scale : 0;
                }
                DropoutOutput d = backend.dropout(upHalf(h, x), p, seed, offset);
                halfGradientCheck("dropout backward", h, new FdGradient(fd, analytic), null, backend.dropoutBackward(upHalf(h, r), d.mask(), p));
            }));
        }

        @TestFactory
        @DisplayName("the dense layer: dx, dW and db element by element, from the backend's own half z and y")
        Stream<DynamicTest> linear() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (Activation act : layerActivations) {
                    tests.add(check("linear " + act + " backward in " + h + " vs finite difference", ops(Op.LINEAR, Op.LINEAR_BACKWARD), () -> {
                        requireHalf(Op.LINEAR, h);
                        requireHalf(Op.LINEAR_BACKWARD, h);
                        int rows = 3;
                        int in = 4;
                        int out = 5;
                        float[][] xwbr = linearInputs(rows, in, out, 4500, 0.5, v -> roundedTo(h, v));
                        FdGradient all = linearLayerGradient(act, xwbr, rows, in, out);
                        LinearOutput fwd = backend.linear(upHalf(h, xwbr[0], rows, in), upHalf(h, xwbr[1], in, out), upHalf(h, xwbr[2], out), act);
                        LinearGradients g = backend.linearBackward(upHalf(h, xwbr[3], rows, out), fwd);
                        double[] s = linearSavedSensitivity(act, xwbr, fwd, rows, in, out, gs -> gs);
                        Tensor[] got = {g.dx(), g.dw(), g.db()};
                        int[] at = linearParts(rows, in, out);
                        for (int k = 0; k < got.length; k++) {
                            halfGradientCheck(LINEAR_PARTS[k], h, all.slice(at[k], at[k + 1]), Arrays.copyOfRange(s, at[k], at[k + 1]), got[k]);
                        }
                    }));
                }
            }
            return tests.stream();
        }

        @TestFactory
        @DisplayName("the dense layer's whole gradient along a random direction and along its own: v·∇ against (f(θ+hv) − f(θ−hv))/2h")
        Stream<DynamicTest> linearDirectional() {
            List<DynamicTest> tests = new ArrayList<>();
            for (DType h : halves) {
                for (Activation act : layerActivations) {
                    for (boolean own : new boolean[] {false, true}) {
                        String along = own ? "the backend's own gradient" : "a random direction";
                        tests.add(check("linear " + act + " gradient in " + h + " along " + along, ops(Op.LINEAR, Op.LINEAR_BACKWARD),
                                () -> linearDirectionalCase(h, act, own, along)));
                    }
                }
            }
            return tests.stream();
        }

        /**
         * A layer too large for a difference per element (1,145 parameters): the whole gradient in two evaluations. Along
         * a random v every component counts; along the backend's own gradient ĝ the error ĝ·(ĝ − ∇) of a fault that
         * scales a block of components does not average out as it may along a random v. The bound sums every component's
         * rounding allowance, so this form catches faults of a few percent of the gradient, not single elements: those
         * are the element-by-element check's.
         */
        private void linearDirectionalCase(DType h, Activation act, boolean own, String along) {
            requireHalf(Op.LINEAR, h);
            requireHalf(Op.LINEAR_BACKWARD, h);
            int rows = 9;
            int in = 33;
            int out = 17;
            float[][] xwbr = linearInputs(rows, in, out, 4600, 1 / Math.sqrt(in), v -> roundedTo(h, v));
            double[] rd = widen(xwbr[3]);
            double[] theta = concat(widen(xwbr[0]), widen(xwbr[1]), widen(xwbr[2]));
            double[][] parts = linearGradient(act, rd, theta, rows, in, out);
            double[] analytic = concat(parts);
            LinearOutput fwd = backend.linear(upHalf(h, xwbr[0], rows, in), upHalf(h, xwbr[1], in, out), upHalf(h, xwbr[2], out), act);
            LinearGradients g = backend.linearBackward(upHalf(h, xwbr[3], rows, out), fwd);
            for (Tensor t : new Tensor[] {g.dx(), g.dw(), g.db()}) {
                assertEquals(h, t.dtype(), "the layer's gradients keep the inputs' dtype");
            }
            double[] got = concat(widen(down(g.dx())), widen(down(g.dw())), widen(down(g.db())));
            double[] v = own ? got : widen(Inputs.gaussian(theta.length, 4604, 1));
            // Each component's rounding within its element-by-element bound (the rms of dx, dW and db apart) but for S.
            Tolerance tol = tolerance(Tolerances.gradientCheck(h));
            double[] bound = new double[analytic.length];
            int[] starts = linearParts(rows, in, out);
            for (int k = 0; k < 3; k++) {
                double[] ref = halfGradientRef(parts[k], null);
                for (int i = 0; i < ref.length; i++) {
                    bound[starts[k] + i] = tol.bound(parts[k][i], ref[i]);
                }
            }
            // The saved half z and y move v·∇ as a whole: S_v = Σ_j |s_j·∂(v·g)/∂s_j|, signs within the sum kept.
            double sv = linearSavedSensitivity(act, xwbr, fwd, rows, in, out, gs -> {
                double dot = 0;
                for (int i = 0; i < gs.length; i++) {
                    dot += v[i] * gs[i];
                }
                return new double[] {dot};
            })[0];
            double fd = FiniteDifference.directional(t -> projectedLinear(act, rd, t, rows, in, out), theta, v);
            double oracle = 0;
            double backendDot = 0;
            double scale = 0;
            double ref = tol.refRel() * sv;
            for (int i = 0; i < v.length; i++) {
                oracle += v[i] * analytic[i];
                backendDot += v[i] * got[i];
                scale += Math.abs(v[i] * analytic[i]);
                ref += Math.abs(v[i]) * bound[i];
            }
            if (Math.abs(oracle - fd) > Tolerances.ORACLE_GRADIENT_CHECK.bound(fd, scale)) {
                fail("linear " + act + " along " + along + ": the ORACLE's v·∇ " + oracle + " disagrees with its finite difference "
                        + fd + " (a bug in the kit, not in the backend)");
            }
            assertAgree("linear " + act + " in " + h + ", v·∇ along " + along + " (backend vs float64 finite difference)",
                    Tolerances.directionalCheck(h), fd, (float) backendDot, ref);
        }
    }

    @Nested
    @DisplayName("Bad input gets a clear exception before any work starts, and the backend stays usable")
    class BadInput {
        @Test
        @DisplayName("mismatched shapes: the message names both tensors and both shapes")
        void mismatchedShapes() throws Throwable {
            run(ops(Op.ADD, Op.SUB, Op.MUL, Op.DIV), () -> {
                Tensor a = backend.zeros(2, 3);
                Tensor b = backend.zeros(3, 2);
                Tensor out = backend.full(Shape.of(2, 3), 7f);
                rejects(InvalidArgumentException.class, () -> backend.add(a, b), "add", "a", "b", "[2, 3]", "[3, 2]");
                rejects(InvalidArgumentException.class, () -> backend.sub(a, b), "[2, 3]", "[3, 2]");
                rejects(InvalidArgumentException.class, () -> backend.mul(a, b), "[2, 3]", "[3, 2]");
                rejects(InvalidArgumentException.class, () -> backend.div(a, b, out), "[2, 3]", "[3, 2]");
                assertBits("out untouched by a rejected call", new float[] {7, 7, 7, 7, 7, 7}, down(out), null);
                Tensor wrongOut = backend.zeros(3, 3);
                rejects(InvalidArgumentException.class, () -> backend.add(a, a, wrongOut), "out", "[2, 3]", "[3, 3]");
                Tensor row = backend.zeros(2);
                rejects(InvalidArgumentException.class, () -> backend.add(a, row), "[2, 3]", "[2]");
            });
        }

        @Test
        @DisplayName("matmul and linear with disagreeing dimensions")
        void matmulShapes() throws Throwable {
            run(ops(Op.MATMUL, Op.LINEAR), () -> {
                Tensor a = backend.zeros(4, 3);
                Tensor b = backend.zeros(5, 2);
                rejects(InvalidArgumentException.class, () -> backend.matmul(a, b), "matmul", "[4, 3]", "[5, 2]");
                Tensor b32 = backend.zeros(3, 2);
                Tensor a234 = backend.zeros(2, 3, 4);
                Tensor b345 = backend.zeros(3, 4, 5);
                Tensor v3 = backend.zeros(3);
                Tensor b31 = backend.zeros(3, 1);
                rejects(InvalidArgumentException.class, () -> backend.matmul(a, true, b32, false), "[4, 3]", "[3, 2]");
                rejects(InvalidArgumentException.class, () -> backend.matmul(a234, b345), "[2, 3, 4]", "[3, 4, 5]");
                rejects(InvalidArgumentException.class, () -> backend.matmul(v3, b31), "[3]");
                Tensor c = backend.full(Shape.of(4, 4), 5f);
                rejects(InvalidArgumentException.class, () -> backend.matmul(a, false, b32, false, c, 1f, 0f), "[4, 4]", "[4, 2]");
                float[] fives = new float[16];
                Arrays.fill(fives, 5f);
                assertBits("c untouched", fives, down(c), null);
                Tensor sq = backend.zeros(3, 3);
                Tensor sq2 = backend.zeros(3, 3);
                rejects(InvalidArgumentException.class, () -> backend.matmul(sq, false, sq2, false, sq, 1f, 0f), "c");
                Tensor x = backend.zeros(2, 3);
                Tensor w = backend.zeros(3, 4);
                Tensor w43 = backend.zeros(4, 3);
                Tensor b5 = backend.zeros(5);
                Tensor b41 = backend.zeros(4, 1);
                rejects(InvalidArgumentException.class, () -> backend.linear(x, w43, null, Activation.RELU), "[2, 3]", "[4, 3]");
                rejects(InvalidArgumentException.class, () -> backend.linear(x, w, b5, Activation.RELU), "b", "[5]", "[3, 4]");
                rejects(InvalidArgumentException.class, () -> backend.linear(x, w, b41, Activation.RELU), "[4, 1]");
            });
        }

        @Test
        @DisplayName("other shape disagreements: copy, axpy, activation backward, losses, dropout backward, PReLU")
        void otherShapes() throws Throwable {
            run(ops(), () -> {
                Tensor a = backend.zeros(2, 3);
                Tensor b = backend.zeros(6);
                Tensor a32 = backend.zeros(3, 2);
                Tensor v2 = backend.zeros(2);
                Tensor empty = backend.zeros(3, 0);
                rejects(InvalidArgumentException.class, () -> backend.copy(a, b), "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.axpy(a, b, 1f), "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.activationBackward(a, b, a, Activation.TANH), "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.loss(a, b, Loss.MSE, Reduction.MEAN), "pred", "target", "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(a, a32, Reduction.MEAN), "[2, 3]", "[3, 2]");
                rejects(InvalidArgumentException.class, () -> backend.dropoutBackward(a, b, 0.5f), "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.prelu(a, v2), "[2, 3]", "[2]");
                rejects(InvalidArgumentException.class, () -> backend.softmaxBackward(a, b), "[2, 3]", "[6]");
                rejects(InvalidArgumentException.class, () -> backend.sum(a, 2), "axis 2");
                rejects(InvalidArgumentException.class, () -> backend.mean(a, -3), "axis -3");
                rejects(InvalidArgumentException.class, () -> backend.max(empty), "[3, 0]");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(b, new int[6], Reduction.SUM), "[6]");
            });
        }

        @Test
        @DisplayName("tensors of two backend instances in one call")
        void twoBackends() throws Throwable {
            run(ops(Op.ADD), () -> {
                try (Backend other = openBackend()) {
                    assertNotSame(backend, other, "openBackend() must return a new instance each call");
                    Tensor mine = backend.zeros(3);
                    Tensor theirs = other.zeros(3);
                    rejects(InvalidArgumentException.class, () -> backend.add(mine, theirs), "b", "backend");
                    rejects(InvalidArgumentException.class, () -> backend.add(theirs, mine), "a", "backend");
                    rejects(InvalidArgumentException.class, () -> backend.copy(mine, theirs), "dst");
                    Tensor mine22 = backend.zeros(2, 2);
                    Tensor theirs22 = other.zeros(2, 2);
                    rejects(InvalidArgumentException.class, () -> backend.matmul(mine22, theirs22), "backend");
                    rejects(InvalidArgumentException.class, () -> backend.linear(mine22, theirs22, null, Activation.RELU), "w");
                    theirs.close();
                }
            });
        }

        @Test
        @DisplayName("closed tensors: use after close is rejected, close is idempotent")
        void closedTensors() throws Throwable {
            run(ops(Op.ADD), () -> {
                Tensor t = backend.zeros(4);
                Tensor u = backend.zeros(4);
                t.close();
                t.close();
                assertTrue(t.isClosed());
                rejects(InvalidArgumentException.class, () -> backend.add(t, u), "closed");
                rejects(InvalidArgumentException.class, () -> backend.add(u, t), "closed");
                rejects(InvalidArgumentException.class, t::toArray, "closed");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(new float[4]), "closed");
                rejects(InvalidArgumentException.class, () -> backend.relu(t), "closed");
                rejects(InvalidArgumentException.class, () -> backend.fill(t, 1f), "closed");
            });
        }

        @Test
        @DisplayName("a closed backend closes its tensors and refuses new work")
        void closedBackend() throws Throwable {
            run(ops(), () -> {
                Backend other = openBackend();
                Tensor t = other.zeros(3);
                other.close();
                other.close();
                assertTrue(other.isClosed());
                assertTrue(t.isClosed(), "a backend's tensors must read as closed once it is closed");
                assertThrows(InvalidStateException.class, () -> other.zeros(2));
                assertStillWorks();
            });
        }

        @Test
        @DisplayName("rank above 4, negative and overflowing sizes")
        void impossibleShapes() throws Throwable {
            run(ops(), () -> {
                rejects(InvalidArgumentException.class, () -> Shape.of(1, 1, 1, 1, 1), "rank 5");
                rejects(InvalidArgumentException.class, () -> backend.empty(1, 2, 3, 4, 5), "rank 5");
                rejects(InvalidArgumentException.class, () -> backend.of(new float[1], 1, 1, 1, 1, 1), "rank 5");
                rejects(InvalidArgumentException.class, () -> Shape.of(3, -1), "negative", "-1");
                rejects(InvalidArgumentException.class, () -> backend.zeros(-5), "negative");
                rejects(InvalidArgumentException.class, () -> Shape.of(Long.MAX_VALUE, 2), "long");
                rejects(InvalidArgumentException.class, () -> Shape.of(1L << 32, 1L << 32), "long");
                rejects(InvalidArgumentException.class, () -> backend.empty(Long.MAX_VALUE, Long.MAX_VALUE, 2));
                rejects(InvalidArgumentException.class, () -> Shape.of(Integer.MIN_VALUE), "negative");
            });
        }

        @Test
        @DisplayName("a huge allocation fails cleanly with DeviceOutOfMemoryException or InvalidArgumentException")
        void hugeAllocation() throws Throwable {
            run(ops(), () -> {
                for (long n : new long[] {1L << 40, Long.MAX_VALUE, Long.MAX_VALUE / 4 + 1}) {
                    int live = backend.liveTensors();
                    Throwable e = assertThrows(Throwable.class, () -> backend.empty(n).close());
                    assertTrue(e instanceof DeviceOutOfMemoryException || e instanceof InvalidArgumentException,
                            "allocating " + n + " floats must throw DeviceOutOfMemoryException or InvalidArgumentException, not " + e);
                    assertEquals(live, backend.liveTensors());
                    assertStillWorks();
                }
            });
        }

        @Test
        @DisplayName("labels outside [0, classes) and a label count that is not the row count")
        void labels() throws Throwable {
            run(ops(Op.SOFTMAX_CROSS_ENTROPY), () -> {
                Tensor logits = backend.zeros(3, 4);
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, new int[] {0, -1, 2}, Reduction.MEAN), "-1", "[0, 4)");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, new int[] {0, 4, 2}, Reduction.MEAN), "4", "[0, 4)");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropyLoss(logits, new int[] {3, 3, 99}, Reduction.SUM), "99");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, new int[] {0, 1}, Reduction.SUM), "3", "2");
                rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, (int[]) null, Reduction.SUM), "labels");
            });
        }

        @Test
        @DisplayName("dropout p outside [0, 1)")
        void dropoutP() throws Throwable {
            run(ops(Op.DROPOUT, Op.DROPOUT_BACKWARD), () -> {
                Tensor x = backend.zeros(5);
                for (float p : new float[] {-0.1f, 1f, Float.NaN, 1.5f, Float.POSITIVE_INFINITY, -0f - 1e-30f}) {
                    rejects(InvalidArgumentException.class, () -> backend.dropout(x, p, 1, 2), "p", String.valueOf(p));
                    rejects(InvalidArgumentException.class, () -> backend.dropoutBackward(x, x, p), "p");
                }
            });
        }

        @Test
        @DisplayName("Huber δ ≤ 0 or not finite, and other invalid op parameters")
        void parameters() throws Throwable {
            run(ops(), () -> {
                for (float d : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, -0f}) {
                    rejects(InvalidArgumentException.class, () -> Loss.huber(d), "delta");
                }
                rejects(InvalidArgumentException.class, () -> Activation.elu(-1f), "-1");
                rejects(InvalidArgumentException.class, () -> Activation.swish(Float.NaN), "NaN");
                rejects(InvalidArgumentException.class, () -> new SgdConfig(0.1f, 1f, false, 0f, 0f), "momentum");
                rejects(InvalidArgumentException.class, () -> SgdConfig.of(-1f), "learning rate");
                rejects(InvalidArgumentException.class, () -> new AdamConfig(0.1f, 0.9f, 1f, 1e-8f, 0f, false), "betas");
                rejects(InvalidArgumentException.class, () -> Init.uniform(1, 0), "a <= b");
                rejects(InvalidArgumentException.class, () -> Init.normal(0, -1), "std");
                Tensor w = backend.zeros(4);
                Tensor g = backend.zeros(4);
                Tensor m = backend.zeros(4);
                Tensor v = backend.zeros(4);
                Tensor none = backend.zeros(0);
                rejects(InvalidArgumentException.class, () -> backend.adamStep(w, g, m, v, AdamConfig.adam(0.1f), 0), "step");
                rejects(InvalidArgumentException.class, () -> backend.sgdStep(w, g, null, SgdConfig.of(0.1f).withMomentum(0.9f, false)), "velocity");
                rejects(InvalidArgumentException.class, () -> backend.sgdStep(w, w, null, SgdConfig.of(0.1f)), "twice");
                rejects(InvalidArgumentException.class, () -> backend.clipGradNorm(List.of(w), 0f), "maxNorm");
                rejects(InvalidArgumentException.class, () -> backend.penalty(w, -1f, 0f), "l1");
                rejects(InvalidArgumentException.class, () -> backend.init(none, Init.heNormal(), 1, 0), "[0]");
                rejects(InvalidArgumentException.class, () -> backend.add(null, w), "null");
                rejects(InvalidArgumentException.class, () -> backend.activation(w, null), "null");
            });
        }

        @Test
        @DisplayName("an upload or download array of the wrong length")
        void wrongLength() throws Throwable {
            run(ops(), () -> {
                rejects(InvalidArgumentException.class, () -> backend.of(new float[5], 2, 3), "[2, 3]", "6", "5");
                Tensor t = backend.zeros(2, 3);
                rejects(InvalidArgumentException.class, () -> t.copyFrom(new float[5]), "[2, 3]", "5");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(new float[7]), "[2, 3]", "7");
                rejects(InvalidArgumentException.class, () -> t.copyTo(new float[7]), "[2, 3]", "7");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(java.nio.FloatBuffer.allocate(4)), "4");
                rejects(InvalidArgumentException.class, () -> backend.of(java.nio.FloatBuffer.allocate(5), Shape.of(2, 3)), "5");
                Tensor two = backend.zeros(2);
                rejects(InvalidArgumentException.class, two::item, "[2]");
                assertBits("tensor untouched", new float[6], down(t), null);
            });
        }

        @Test
        @DisplayName("arguments found bad before any output is written: half cross-entropy's gradient, dropout's mask, a hand-made layer, a scale")
        void rejectedBeforeWriting() throws Throwable {
            run(ops(), () -> {
                var caps = backend.capabilities();
                if (caps.dtypes().contains(DType.BFLOAT16) && caps.supports(Op.SOFTMAX_CROSS_ENTROPY, DType.BFLOAT16)) {
                    Tensor logits = backend.of(new float[] {1, 2, 3, 4, 5, 6}, DType.BFLOAT16, 2, 3);
                    short[] before = logits.toShortArray();
                    Tensor loss = backend.zeros(Shape.scalar());
                    rejects(InvalidArgumentException.class, () -> backend.softmaxCrossEntropy(logits, new int[] {0, 1},
                            Reduction.MEAN, loss, logits), "gradient must not be the logits");
                    assertArrayEquals(before, logits.toShortArray(), "the logits, untouched");
                }
                if (caps.dtypes().contains(DType.UINT8) && backend.supports(Op.DROPOUT)) {
                    float[] fives = new float[8];
                    Arrays.fill(fives, 5f);
                    Tensor x = up(ones(8));
                    Tensor y = up(fives);
                    Tensor mask = backend.zeros(DType.UINT8, 8);
                    mask.close();
                    rejects(InvalidArgumentException.class, () -> backend.dropout(x, 0.5f, 1, 2, y, mask), "mask");
                    assertBits("y, untouched by a call whose mask was closed", fives, down(y), null);
                }
                if (backend.supports(Op.LINEAR_BACKWARD)) {
                    Tensor x = up(ones(6), 2, 3);
                    Tensor w = up(ones(12), 3, 4);
                    Tensor z = up(ones(8), 2, 4);
                    LinearOutput handMade = new LinearOutput(z, z, x, w, null, null);
                    Tensor dy = up(ones(8), 2, 4);
                    rejects(InvalidArgumentException.class, () -> backend.linearBackward(dy, handMade), "forward.activation");
                }
                if (backend.supports(Op.SCALE)) {
                    List<Tensor> grads = List.of(up(ones(4)));
                    rejects(InvalidArgumentException.class, () -> backend.unscaleIfFinite(grads, 1e-39f), "reciprocal");
                }
            });
        }

        @Test
        @DisplayName("a buffer viewing a closed arena's memory, or another thread's, is rejected and never read or written")
        void buffersOfDeadOrForeignArenas() throws Throwable {
            run(ops(), () -> {
                // 64K floats: far beyond what a freed small allocation's neighbourhood would forgive.
                int n = 1 << 16;
                Tensor t = backend.full(Shape.of(n), 3f);
                java.nio.ByteBuffer dead;
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    dead = arena.allocate(4L * n).asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
                }
                java.nio.ByteBuffer deadBig = dead.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
                rejects(InvalidArgumentException.class, () -> t.copyTo(dead), "copyTo(ByteBuffer)", "closed");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(dead), "copyFrom(ByteBuffer)", "closed");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(deadBig), "closed");
                rejects(InvalidArgumentException.class, () -> t.copyTo(dead.asFloatBuffer()), "copyTo(FloatBuffer)", "closed");
                rejects(InvalidArgumentException.class, () -> t.copyFrom(deadBig.asFloatBuffer()), "copyFrom(FloatBuffer)", "closed");
                rejects(InvalidArgumentException.class, () -> backend.of(dead.asFloatBuffer(), Shape.of(n)), "closed");
                rejects(InvalidArgumentException.class, () -> backend.of(dead, DType.FLOAT32, Shape.of(n)), "closed");
                DType[] stored = backend.capabilities().dtypes().toArray(DType[]::new);
                for (DType d : stored) {
                    if (d.isHalf()) {
                        Tensor h = backend.zeros(d, n);
                        rejects(InvalidArgumentException.class, () -> h.copyTo(dead.asShortBuffer()), "copyTo(ShortBuffer)", "closed");
                        rejects(InvalidArgumentException.class, () -> h.copyFrom(dead.asShortBuffer()), "copyFrom(ShortBuffer)", "closed");
                        rejects(InvalidArgumentException.class, () -> backend.of(dead.asShortBuffer(), d, Shape.of(n)), "closed");
                    } else if (d == DType.INT32) {
                        Tensor i = backend.zeros(d, n);
                        rejects(InvalidArgumentException.class, () -> i.copyTo(dead.asIntBuffer()), "copyTo(IntBuffer)", "closed");
                        rejects(InvalidArgumentException.class, () -> i.copyFrom(deadBig.asIntBuffer()), "copyFrom(IntBuffer)", "closed");
                    }
                }
                // Memory confined to another thread: that thread may free it at any moment.
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    java.nio.ByteBuffer mine = arena.allocate(4L * n).asByteBuffer().order(java.nio.ByteOrder.nativeOrder());
                    java.util.concurrent.atomic.AtomicReference<Throwable> seen = new java.util.concurrent.atomic.AtomicReference<>();
                    Thread other = new Thread(() -> {
                        try {
                            t.copyTo(mine);
                        } catch (Throwable e) {
                            seen.set(e);
                        }
                    });
                    other.start();
                    other.join();
                    assertTrue(seen.get() instanceof InvalidArgumentException && seen.get().getMessage().contains("another thread"),
                            "copyTo a buffer confined to another thread: " + seen.get());
                }
                float[] threes = new float[n];
                Arrays.fill(threes, 3f);
                assertBits("tensor untouched by the rejected uploads", threes, down(t), null);
            });
        }

        @Test
        @DisplayName("clipGradNorm, allFinite and unscaleIfFinite read their list once: a list that changes is never trusted twice")
        void listsReadOnce() throws Throwable {
            run(ops(Op.L2_NORM, Op.SCALE, Op.SUM, Op.CLIP_GRAD_NORM), () -> {
                Tensor g = backend.full(Shape.of(8), 4f);
                Tensor bystander = backend.full(Shape.of(8), 5f);
                // Answers g the first time it is read, then the bystander: a second read would scale what was not checked.
                class Fickle extends java.util.AbstractList<Tensor> {
                    int reads;

                    @Override
                    public Tensor get(int i) {
                        return reads++ == 0 ? g : bystander;
                    }

                    @Override
                    public int size() {
                        return 1;
                    }
                }
                float norm = backend.clipGradNorm(new Fickle(), 1f);
                assertEquals(Math.sqrt(8 * 16), norm, 1e-4, "the norm of g");
                float[] fives = new float[8];
                Arrays.fill(fives, 5f);
                assertBits("a tensor the list named only on a second read is untouched", fives, down(bystander), null);
                assertTrue(backend.allFinite(new Fickle()));
                assertTrue(backend.unscaleIfFinite(new Fickle(), 2f));
                assertBits("untouched by unscaleIfFinite", fives, down(bystander), null);
                @SuppressWarnings({"unchecked", "rawtypes"})
                List<Tensor> notTensors = (List) List.of(g, "a string");
                rejects(InvalidArgumentException.class, () -> backend.clipGradNorm(notTensors, 1f), "grads[1]", "not a Tensor");
                List<Tensor> broken = new java.util.AbstractList<>() {
                    @Override
                    public Tensor get(int i) {
                        throw new IllegalStateException("this list is broken");
                    }

                    @Override
                    public int size() {
                        return 2;
                    }
                };
                rejects(InvalidArgumentException.class, () -> backend.allFinite(broken), "tensors", "could not be read");
            });
        }
    }

    // =====================================================================================
    // Memory safety
    // =====================================================================================

    /**
     * How long the kit's fuzz run may take, in milliseconds (the run stops at 20,000 cases sooner).
     * The system property {@code kengine.fuzz.millis} overrides it; {@code kengine.fuzz.seed} replays a
     * reported seed.
     *
     * @return the budget in milliseconds; 12,000 unless a subclass overrides it
     */
    protected long fuzzBudgetMillis() {
        return 12_000;
    }

    @Nested
    @DisplayName("Hostile callers: random calls, injected faults and broken threading contracts")
    class HostileCallers {
        @Test
        @DisplayName("random calls with faults: only the exception family, no leak on rejection, oracle agreement, the backend keeps working")
        void fuzz() {
            long seed = Long.getLong("kengine.fuzz.seed", System.nanoTime());
            long millis = Long.getLong("kengine.fuzz.millis", fuzzBudgetMillis());
            Fuzzer.Report r = new Fuzzer(BackendConformanceKit.this::openBackend, seed)
                    .withTolerances(BackendConformanceKit.this::tolerance).run(20_000, millis);
            System.out.println(r.summary());
            assertTrue(r.cases() > 0, "no fuzz case ran");
            assertTrue(r.clean(), () -> r.summary() + "\nreplay with -Dkengine.fuzz.seed=" + seed);
        }

        @Test
        @DisplayName("closing a tensor or the backend while other threads' ops use it: exceptions of the family, no hang, no crash")
        void races() {
            long seed = Long.getLong("kengine.fuzz.seed", System.nanoTime());
            List<String> failures = new Fuzzer(BackendConformanceKit.this::openBackend, seed).races(9);
            assertTrue(failures.isEmpty(), () -> String.join("\n", failures) + "\nreplay with -Dkengine.fuzz.seed=" + seed);
        }
    }

    @Nested
    @DisplayName("No op writes outside its output tensor")
    class MemorySafety {
        private static final float CANARY = -123.25f;

        private Tensor canary(int n) {
            return backend.full(Shape.of(n), CANARY);
        }

        private void assertCanary(Tensor c, String what) {
            for (float v : down(c)) {
                if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(CANARY)) {
                    fail(what + " wrote outside its output: a neighbouring tensor changed to " + v);
                }
            }
        }

        /** A tensor with a canary tensor of its dtype allocated just before and just after it. */
        private record Guarded(Tensor before, Tensor t, Tensor after, int[] pattern) {}

        /** The canary's value in every dtype: not a value any op below writes there. */
        private static float canaryValue(DType d) {
            return d.isFloatingPoint() ? CANARY : 77f;
        }

        private Guarded guarded(DType d, int n) {
            Tensor before = backend.full(d, Shape.of(n + 64), canaryValue(d));
            Tensor t = backend.zeros(d, n);
            Tensor after = backend.full(d, Shape.of(n + 64), canaryValue(d));
            return new Guarded(before, t, after, Agreement.rawBits(before));
        }

        private void assertGuarded(Guarded g, String what) {
            for (Tensor c : new Tensor[] {g.before(), g.after()}) {
                if (!Arrays.equals(Agreement.rawBits(c), g.pattern())) {
                    fail(what + " wrote outside its " + g.t().dtype() + " output: a neighbouring " + g.t().dtype()
                            + " tensor changed");
                }
            }
        }

        /**
         * The ops that write half-precision, INT32 or UINT8 outputs (their own kernels, with 2- and 1-byte stores
         * and their own tails) between canaries of the same dtype, each where the backend runs it in that dtype.
         */
        private void halfCanaries(DType h, int n) {
            requireStored(h);
            float[] x = Inputs.gaussian(n, 7200 + n, 1);
            Tensor tx = backend.of(x, h);
            Tensor t32 = up(x);
            Guarded out = guarded(h, n);
            var caps = backend.capabilities();
            List<Supplier<String>> writes = new ArrayList<>();
            writes.add(() -> { backend.fill(out.t(), 3f); return "fill"; });
            writes.add(() -> { out.t().copyFrom(x); return "upload of floats"; });
            writes.add(() -> { out.t().copyFrom(tx.toShortArray()); return "upload of bits"; });
            writes.add(() -> { backend.cast(t32, out.t()); return "cast from float32"; });
            if (caps.supports(Op.ADD, h)) {
                writes.add(() -> { backend.add(tx, tx, out.t()); return "add"; });
            }
            if (caps.supports(Op.MUL, h)) {
                writes.add(() -> { backend.mul(tx, tx, out.t()); return "mul"; });
            }
            if (caps.supports(Op.SCALE, h)) {
                writes.add(() -> { backend.scale(tx, 2f, out.t()); return "scale"; });
            }
            if (caps.supports(Op.COPY, h)) {
                writes.add(() -> { backend.copy(tx, out.t()); return "copy"; });
            }
            if (caps.supports(Op.ACTIVATION, h)) {
                for (Activation act : ACTIVATIONS) {
                    writes.add(() -> { backend.activation(tx, act, out.t()); return "activation " + act; });
                }
            }
            if (caps.supports(Op.ACTIVATION_BACKWARD, h)) {
                writes.add(() -> { backend.activationBackward(tx, tx, tx, Activation.GELU, out.t()); return "activationBackward"; });
            }
            Guarded mask = caps.dtypes().contains(DType.UINT8) ? guarded(DType.UINT8, n) : null;
            if (mask != null && caps.supports(Op.DROPOUT, h)) {
                writes.add(() -> { backend.dropout(tx, 0.3f, 1, 2, out.t(), mask.t()); return "dropout"; });
            }
            if (mask != null && caps.supports(Op.DROPOUT_BACKWARD, h)) {
                writes.add(() -> { backend.dropoutBackward(tx, mask.t(), 0.3f, out.t()); return "dropoutBackward"; });
            }
            if (caps.supports(Op.ADAM_STEP)) {
                Tensor w = up(x);
                Tensor m = backend.zeros(n);
                Tensor v = backend.zeros(n);
                writes.add(() -> { backend.adamStep(w, t32, m, v, AdamConfig.adam(1e-3f), 1, out.t()); return "adamStep's half copy"; });
            }
            if (caps.supports(Op.SGD_STEP)) {
                Tensor w = up(x);
                writes.add(() -> { backend.sgdStep(w, tx, null, SgdConfig.of(0.1f), out.t()); return "sgdStep's half copy"; });
            }
            Guarded index = caps.dtypes().contains(DType.INT32) && caps.supports(Op.ARGMAX, h) ? guarded(DType.INT32, 1) : null;
            Tensor rows = index == null ? null : backend.of(x, h, 1, n);
            for (Supplier<String> write : writes) {
                String what = write.get();
                assertGuarded(out, what);
                if (mask != null) {
                    assertGuarded(mask, what);
                }
            }
            if (index != null) {
                backend.argmax(rows, index.t());
                assertGuarded(index, "argmax into INT32");
            }
            if (mask != null) {
                backend.cast(t32, mask.t());
                assertGuarded(mask, "cast to UINT8");
            }
        }


        @TestFactory
        @DisplayName("neighbouring tensors are untouched by every op that writes into a given output")
        Stream<DynamicTest> canaries() {
            List<DynamicTest> tests = new ArrayList<>();
            for (int n : Inputs.SMALL_SIZES) {
                tests.add(check("ops writing into outputs of " + n + " elements", ops(Op.FILL), () -> {
                    float[] x = Inputs.gaussian(n, 7000 + n, 1);
                    Tensor tx = up(x);
                    Tensor before = canary(n + 64);
                    Tensor out = backend.zeros(n);
                    Tensor after = canary(n + 64);
                    List<Supplier<String>> writes = new ArrayList<>();
                    if (backend.supports(Op.ADD)) {
                        writes.add(() -> { backend.add(tx, tx, out); return "add"; });
                    }
                    if (backend.supports(Op.MUL)) {
                        writes.add(() -> { backend.mul(tx, tx, out); return "mul"; });
                    }
                    if (backend.supports(Op.SCALE)) {
                        writes.add(() -> { backend.scale(tx, 2f, out); return "scale"; });
                    }
                    if (backend.supports(Op.AXPY)) {
                        writes.add(() -> { backend.axpy(tx, out, 0.5f); return "axpy"; });
                    }
                    if (backend.supports(Op.COPY)) {
                        writes.add(() -> { backend.copy(tx, out); return "copy"; });
                    }
                    writes.add(() -> { backend.fill(out, 3f); return "fill"; });
                    writes.add(() -> { out.copyFrom(x); return "upload"; });
                    if (backend.supports(Op.ACTIVATION)) {
                        for (Activation act : ACTIVATIONS) {
                            writes.add(() -> { backend.activation(tx, act, out); return "activation " + act; });
                        }
                    }
                    if (backend.supports(Op.ACTIVATION_BACKWARD)) {
                        writes.add(() -> { backend.activationBackward(tx, tx, tx, Activation.GELU, out); return "activationBackward"; });
                    }
                    if (backend.supports(Op.INIT_UNIFORM) && backend.supports(Op.INIT_NORMAL)) {
                        writes.add(() -> { backend.init(out, Init.heNormal(), 1, 2); return "init normal"; });
                        writes.add(() -> { backend.init(out, Init.xavierUniform(), 1, 2); return "init uniform"; });
                    }
                    if (backend.supports(Op.SGD_STEP)) {
                        writes.add(() -> { backend.sgdStep(out, tx, null, SgdConfig.of(0.1f)); return "sgdStep"; });
                    }
                    for (Supplier<String> write : writes) {
                        String what = write.get();
                        assertCanary(before, what);
                        assertCanary(after, what);
                    }
                }));
            }
            for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (int n : Inputs.SMALL_SIZES) {
                    tests.add(check("ops writing " + h + ", INT32 and UINT8 outputs of " + n + " elements",
                            ops(Op.FILL, Op.CAST), () -> halfCanaries(h, n)));
                }
            }
            tests.add(check("matmul into C [17, 13]", ops(Op.MATMUL, Op.FILL), () -> {
                Tensor a = up(Inputs.gaussian(17 * 7, 7100, 1), 17, 7);
                Tensor b = up(Inputs.gaussian(7 * 13, 7101, 1), 7, 13);
                Tensor before = canary(300);
                Tensor c = backend.zeros(17, 13);
                Tensor after = canary(300);
                backend.matmul(a, false, b, false, c, 1f, 0f);
                backend.matmul(b, true, a, true, backend.zeros(13, 17), 1f, 1f);
                assertCanary(before, "matmul");
                assertCanary(after, "matmul");
            }));
            return tests.stream();
        }
    }
}
