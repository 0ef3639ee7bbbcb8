package dev.kengine.conformance;

import static dev.kengine.conformance.Tolerance.U32;

import dev.kengine.DType;
import dev.kengine.conformance.Tolerance.Phase;
import dev.kengine.op.Activation;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The kit's tolerances, as data: one row per op and direction, each with the reason its bound is
 * right. Every comparison also accepts the correctly rounded float32 of the oracle's value, so
 * "exact" rows demand exactly that. U is float32's unit roundoff 2⁻²⁴; "ref" is the per-element
 * error scale the row's reason describes. Print the table with {@link #describe()}.
 */
public final class Tolerances {
    /** Results below float32's normal range keep no relative precision (gradual underflow, flush-to-zero). */
    private static final double TINY = 0x1p-126;

    private Tolerances() {}

    private static Tolerance exact(String op, Phase phase, boolean signedZero, String reason) {
        return new Tolerance(op, phase, 0, 0, 0, signedZero, reason);
    }

    /** {@code Backend.fill} and the factories that fill: bit-exact, −0 included. */
    public static final Tolerance FILL = exact("fill", Phase.FORWARD, true, "pure data movement: every bit of the value, −0 included");
    /** {@code Backend.copy}, {@code copyOf} and transfers: bit-exact, −0 included. */
    public static final Tolerance COPY = exact("copy", Phase.FORWARD, true, "pure data movement: every bit, −0 included");
    /** {@code Backend.add}: the correctly rounded sum, with IEEE's sign of zero. */
    public static final Tolerance ADD = exact("add", Phase.FORWARD, true,
            "IEEE + is correctly rounded and float64 double-rounding is innocuous (53 ≥ 2·24+2): exact, IEEE's zero sign");
    /** {@code Backend.sub}: the correctly rounded difference, with IEEE's sign of zero. */
    public static final Tolerance SUB = exact("sub", Phase.FORWARD, true, "IEEE − is correctly rounded: exact, IEEE's zero sign");
    /** {@code Backend.mul}: the correctly rounded product, with IEEE's sign of zero. */
    public static final Tolerance MUL = exact("mul", Phase.FORWARD, true, "IEEE × is correctly rounded: exact, IEEE's zero sign");
    /** {@code Backend.div}: within 3 ulp, the OpenCL and CUDA division accuracy. */
    public static final Tolerance DIV = new Tolerance("div", Phase.FORWARD, 6 * U32, 0, 0, true,
            "OpenCL allows 2.5 ulp for float32 x/y (CUDA's fast division 2 ulp): 3 ulp = 6U relative");
    /** {@code Backend.scale}: one multiply, bit-exact. */
    public static final Tolerance SCALE = exact("scale", Phase.FORWARD, true, "one IEEE multiply by s: exact");
    /** {@code Backend.axpy}: two roundings, with or without a fused multiply-add. */
    public static final Tolerance AXPY = new Tolerance("axpy", Phase.FORWARD, 0, 2 * U32, 0, false,
            "y + αx with or without FMA: at most two roundings, ref = |y| + |αx|");
    /** {@code Backend.sum}: float32 summation in any order. */
    public static final Tolerance SUM = new Tolerance("sum", Phase.FORWARD, 0, 2 * U32, 0, false,
            "float32 summation of n terms in any order: |err| ≤ (n−1)U·Σ|x| (Higham), ref = (n+1)·Σ|x|");
    /** {@code Backend.mean}: the sum's bound plus one division. */
    public static final Tolerance MEAN = new Tolerance("mean", Phase.FORWARD, 0, 2 * U32, 0, false,
            "the sum's bound plus one division: ref = (n+2)·Σ|x|/n");
    /** {@code Backend.l2Norm}: a sum of squares, scaling and a square root. */
    public static final Tolerance L2_NORM = new Tolerance("l2Norm", Phase.FORWARD, 0, 2 * U32, 0, false,
            "Σx² of n non-negative terms (n·U relative), scaling and √ (U/2): ref = (n+4)·‖x‖");
    /** {@code Backend.max}: one of the inputs, exactly. */
    public static final Tolerance MAX = exact("max", Phase.FORWARD, false, "a maximum is one of its inputs: exact (±0 compare equal)");
    /** {@code Backend.matmul}: a float32 dot product of k terms in any order. */
    public static final Tolerance MATMUL = new Tolerance("matmul", Phase.FORWARD, 0, 2 * U32, 0, false,
            "float32 dot product of k terms in any order, tiled or fused: |err| ≤ γ_k·Σ|a||b|; ref = (k+2)(|α|Σ|a||b| + |β||c|)");
    /** {@code Backend.linear}'s pre-activation z = x·W + b, a dot product plus the bias. */
    public static final Tolerance LINEAR = new Tolerance("linear z", Phase.FORWARD, 0, 2 * U32, 0, false,
            "z = x·W + b is a dot product of `in` terms plus the bias: ref = (in+2)(Σ|x||w| + |b|)");
    /** {@code Backend.linearBackward}: dz's error carried through the two products and the row sum. */
    public static final Tolerance LINEAR_BACKWARD = new Tolerance("linearBackward", Phase.BACKWARD, 0, 2 * U32, 0, false,
            "dz's own bound carried through the two products and the row sum: ref = Σ bound(dz)·|w| /U + (terms+2)·Σ|dz||w|");
    /** {@code Backend.prelu}: a comparison and one multiply, bit-exact. */
    public static final Tolerance PRELU = exact("prelu", Phase.FORWARD, false, "a comparison and one multiply α·x: exact");
    /** {@code Backend.preluBackward}: dx bit-exact, dα a float32 sum. */
    public static final Tolerance PRELU_BACKWARD = new Tolerance("preluBackward", Phase.BACKWARD, 0, 2 * U32, 0, false,
            "dx is a select and one multiply (exact); dα is a float32 sum of dy·x: ref = (count+2)·Σ|dy·x|");
    /** {@code Backend.softmax}: exp of the shifted input over a float32 row sum. */
    public static final Tolerance SOFTMAX = new Tolerance("softmax", Phase.FORWARD, 8 * U32, 2 * U32, TINY, false,
            "exp ≤ 4 ulp of a rounded x − max (U·|x−max| relative), over a float32 sum of n terms: ref = |y|(n+2+|x−max|)");
    /** {@code Backend.logSoftmax}: x − max − ln Σ, each rounding relative to its own term. */
    public static final Tolerance LOG_SOFTMAX = new Tolerance("logSoftmax", Phase.FORWARD, 2 * U32, 2 * U32, TINY, false,
            "x − max − ln Σ: each rounding relative to its own term; ln of a sum of n terms: ref = |x−max| + |ln Σ| + n + 4");
    /** {@code Backend.softmaxBackward}: a row sum then two roundings. */
    public static final Tolerance SOFTMAX_BACKWARD = new Tolerance("softmaxBackward", Phase.BACKWARD, 4 * U32, 2 * U32, TINY, false,
            "y(dy − Σdy·y): a float32 row sum of n terms then two roundings: ref = |y|(|dy| + (n+2)Σ|dy·y|)");
    /** {@code Backend.logSoftmaxBackward}: exp of the saved output and a row sum. */
    public static final Tolerance LOG_SOFTMAX_BACKWARD = new Tolerance("logSoftmaxBackward", Phase.BACKWARD, 4 * U32, 4 * U32, TINY, false,
            "dy − e^y·Σdy: exp ≤ 4 ulp (plus U|y| from the rounded y) and a row sum of n terms: ref = |dy| + e^y(n+2+|y|)Σ|dy|");
    /** {@code Backend.loss}, every {@code Loss} kind: per-element roundings and ln, then a float32 sum. */
    public static final Tolerance LOSS = new Tolerance("loss", Phase.FORWARD, 4 * U32, 4 * U32, TINY, false,
            "a few roundings and ln ≤ 4 ulp per element on the magnitudes of its terms, then a float32 sum: ref = (n+4)·Σ magnitude (÷n for MEAN)");
    /** {@code Backend.lossBackward}: a few roundings per element, σ for the logits form. */
    public static final Tolerance LOSS_BACKWARD = new Tolerance("lossBackward", Phase.BACKWARD, 8 * U32, 8 * U32, TINY, false,
            "two to four roundings per element (σ ≤ 4 ulp for logits); σ(p) − t cancels: ref = (σ(p) + |t|)·(1/n for MEAN)");
    /** {@code Backend.softmaxCrossEntropy}'s loss: log-sum-exp per row, then a sum over rows. */
    public static final Tolerance SOFTMAX_CROSS_ENTROPY = new Tolerance("softmaxCrossEntropy", Phase.FORWARD, 4 * U32, 4 * U32, TINY, false,
            "log-sum-exp (n terms, exp/ln ≤ 4 ulp) minus x[label] per row, then a sum over rows: ref = Σ_rows (|max|+|lse|+|x_t|+n+4)·Σ|t| + rows·loss");
    /** {@code Backend.softmaxCrossEntropy}'s gradient: softmax times Σt minus t, which cancels. */
    public static final Tolerance SOFTMAX_CROSS_ENTROPY_GRAD = new Tolerance("softmaxCrossEntropy", Phase.BACKWARD, 4 * U32, 4 * U32, TINY, false,
            "softmax (as softmax fwd) times Σt minus t cancels: ref = (softmax·Σ|t|·(n+6+|x−max|) + |t|)·(1/rows for MEAN)");
    /** {@code Backend.dropout}: mask and output bit-exact, as {@code CounterRandom} specifies. */
    public static final Tolerance DROPOUT = exact("dropout", Phase.FORWARD, false,
            "the mask is specified bit for bit (Philox4x32-10); kept = x·s with the one float s, dropped = x·0");
    /** {@code Backend.dropoutBackward}: one multiply, bit-exact. */
    public static final Tolerance DROPOUT_BACKWARD = exact("dropoutBackward", Phase.BACKWARD, false, "dy·s or dy·0: one multiply, exact");
    /** {@code Backend.init}: bit-exact, as {@code CounterRandom} specifies. */
    public static final Tolerance INIT = exact("init", Phase.FORWARD, true, "initial values are specified bit for bit (CounterRandom)");
    /** {@code Backend.sgdStep}: up to six multiply-adds, each relative to its terms. */
    public static final Tolerance SGD = new Tolerance("sgdStep", Phase.FORWARD, 2 * U32, 4 * U32, 0, false,
            "up to six multiply-adds, each rounding relative to the magnitudes of its terms: ref = the update on |w|, |g|, |v|");
    /**
     * {@code Backend.adamStep}: the moments' multiply-adds, √, two divisions and the float bias
     * corrections.
     */
    public static final Tolerance ADAM = new Tolerance("adamStep", Phase.FORWARD, 2 * U32, 4 * U32, 0, false,
            "moments: β·a + (1 − β)·b with the products' errors added back (≈ 1 rounding); update: √, a division, the bias "
                    + "corrections rounded to float and one fused multiply-subtract: ref = the step on absolute values");
    /** {@code Backend.penalty}: two float32 sums of non-negative terms, scaled. */
    public static final Tolerance PENALTY = new Tolerance("penalty", Phase.FORWARD, 0, 2 * U32, 0, false,
            "two float32 sums of n non-negative terms, scaled: ref = (n+4)·penalty");
    /**
     * {@code Backend.clipGradNorm}: the global norm as {@link #L2_NORM}, and the clipped gradients
     * with it.
     */
    public static final Tolerance CLIP_GRAD_NORM = new Tolerance("clipGradNorm", Phase.FORWARD, 0, 2 * U32, 0, false,
            "the global norm as l2Norm's bound, the factor maxNorm/(norm+1e-6) inherits it: ref = (n+8)·|value|");
    /** Backend gradient against a float64 central difference of the oracle's forward. */
    public static final Tolerance GRADIENT_CHECK = new Tolerance("finite difference", Phase.BACKWARD, 1e-4, 1e-5, 0, false,
            "float32 inputs, outputs and saved y (U/(1−y) for σ near 1) against an O(1e-10) central difference: 1e-4 relative, 1e-5 of the gradient's rms");
    /**
     * The dense layer's gradients against a float64 central difference: as {@link #GRADIENT_CHECK},
     * declared apart so that a backend whose products round their factors (TF32) can widen this one
     * and not the elementwise checks.
     */
    public static final Tolerance LINEAR_GRADIENT_CHECK = new Tolerance("linear finite diff.", Phase.BACKWARD, 1e-4, 1e-5, 0,
            false, "as finite difference: x, W, b and the outputs in float32 against an O(1e-10) central difference");
    /**
     * A bfloat16 backward pass against a float64 central difference of the oracle's forward, taken at the
     * bfloat16-rounded inputs; ref = S + rms/64 as {@link #gradientCheck(DType)} describes.
     */
    public static final Tolerance GRADIENT_CHECK_BFLOAT16 = halfGradientCheck(DType.BFLOAT16);
    /**
     * A float16 backward pass against a float64 central difference of the oracle's forward, taken at the
     * float16-rounded inputs; ref = S + rms/64 as {@link #gradientCheck(DType)} describes.
     */
    public static final Tolerance GRADIENT_CHECK_FLOAT16 = halfGradientCheck(DType.FLOAT16);
    /**
     * The dense layer's whole bfloat16 gradient along a direction v, v·∇ against (f(θ + hv) − f(θ − hv))/2h:
     * ref = Σ|v_i|·b_i + 2u·S_v, with b_i the bound {@link #GRADIENT_CHECK_BFLOAT16} gives component i without
     * its saved-output term, and S_v = Σ_j |s_j·∂(v·∇)/∂s_j| that term for the sum as a whole (first order in the
     * rounding of each saved value s_j, with the signs inside the sum kept).
     */
    public static final Tolerance DIRECTIONAL_CHECK_BFLOAT16 = directionalCheck("bf16");
    /**
     * The dense layer's whole float16 gradient along a direction v, v·∇ against (f(θ + hv) − f(θ − hv))/2h:
     * ref = Σ|v_i|·b_i + 2u·S_v, as for {@link #DIRECTIONAL_CHECK_BFLOAT16}, with b_i from
     * {@link #GRADIENT_CHECK_FLOAT16}.
     */
    public static final Tolerance DIRECTIONAL_CHECK_FLOAT16 = directionalCheck("fp16");
    /** The oracle's analytic gradient against its own central difference. */
    public static final Tolerance ORACLE_GRADIENT_CHECK = new Tolerance("oracle vs finite diff.", Phase.BACKWARD, 1e-7, 1e-8, 0, false,
            "float64 throughout: the difference quotient's error (h² ≈ 1e-12, 1e-16/h ≈ 1e-10) bounds it");

    private static Tolerance halfGradientCheck(DType dtype) {
        double u = Tolerance.unitRoundoff(dtype);
        String name = dtype == DType.BFLOAT16 ? "bf16" : "fp16";
        String unit = dtype == DType.BFLOAT16 ? "2⁻⁸" : "2⁻¹¹";
        double halfSubnormal = dtype == DType.BFLOAT16 ? 0x1p-134 : 0x1p-25;
        return new Tolerance("finite difference " + name, Phase.BACKWARD, u * (1 + 0x1p-6), 2 * u, halfSubnormal, false,
                name + " inputs (u = " + unit + ") with the float64 difference at those values: the float32 gradient rounded "
                        + "once, (1+2⁻⁶)u; the saved " + name + " outputs' rounding to first order, doubled: ref = S + rms/64, "
                        + "S = Σ|s·∂g/∂s|, rms/64 the float32 cancellation (≤ 1e-5 rms)");
    }

    private static Tolerance directionalCheck(String name) {
        return new Tolerance("directional diff. " + name, Phase.BACKWARD, 0, 1, 0, false,
                "v·∇ against (f(θ+hv) − f(θ−hv))/2h in float64: each component's rounding within its finite difference " + name
                        + " bound b_i without S, the saved outputs' through v·∇ whole: ref = Σ|v_i|·b_i + 2u·S_v, S_v = Σ|s·∂(v·g)/∂s|");
    }

    /**
     * The finite-difference tolerance of a floating-point dtype: {@link #GRADIENT_CHECK} for float32, and for the
     * half-precision dtypes a row derived from their unit roundoff u (2⁻⁸ for bfloat16, 2⁻¹¹ for float16).
     *
     * <p>The backend's inputs are the half-rounded values, and the central difference is taken in float64 at exactly
     * those values (a difference evaluated in half precision would be useless: a step below the input's half ulp does
     * not move it, one above it leaves a truncation error as large as the gradient's own precision). What the backend
     * may add is then:
     * <ul>
     * <li>one rounding of its float32 gradient to the dtype: u relative, plus 2⁻⁶u for the float32 arithmetic before
     *     it (≤ 10·2⁻²⁴ relative where nothing cancels): rel = (1 + 2⁻⁶)u;</li>
     * <li>the rounding of the saved half outputs it reads (sigmoid's and tanh's y, softmax's y, the layer's z and y),
     *     each within u of the exact value, which moves the gradient by at most u·S to first order, S = Σ_j |s_j·∂g/∂s_j|
     *     computed by the check from the oracle's backward formula ({@code FiniteDifference.sensitivity}); doubled for
     *     the second-order terms and for a saved value that is the backend's own forward output: refRel 2u on S;</li>
     * <li>where the formula cancels (σ(p) − t, softmax − t, a sum of signed products), the float32 evaluation's
     *     absolute error, which the float32 check bounds by 1e-5 of the gradient's rms, and which 2u·rms/64
     *     (≥ 1.5e-5 rms for float16) covers: ref = S + rms/64;</li>
     * <li>gradual underflow: abs = half the dtype's smallest subnormal step.</li>
     * </ul>
     *
     * @param dtype FLOAT32, FLOAT16 or BFLOAT16
     * @return {@link #GRADIENT_CHECK}, {@link #GRADIENT_CHECK_FLOAT16} or {@link #GRADIENT_CHECK_BFLOAT16}
     * @throws IllegalArgumentException for an integer dtype or null
     */
    public static Tolerance gradientCheck(DType dtype) {
        return switch (dtype == null ? DType.INT32 : dtype) {
            case FLOAT32 -> GRADIENT_CHECK;
            case FLOAT16 -> GRADIENT_CHECK_FLOAT16;
            case BFLOAT16 -> GRADIENT_CHECK_BFLOAT16;
            default -> throw new IllegalArgumentException(dtype + " is not a floating-point dtype");
        };
    }

    /**
     * The directional-derivative tolerance of a half-precision dtype.
     *
     * @param dtype FLOAT16 or BFLOAT16
     * @return {@link #DIRECTIONAL_CHECK_FLOAT16} or {@link #DIRECTIONAL_CHECK_BFLOAT16}
     * @throws IllegalArgumentException for any other dtype or null
     */
    public static Tolerance directionalCheck(DType dtype) {
        return switch (dtype == null ? DType.INT32 : dtype) {
            case FLOAT16 -> DIRECTIONAL_CHECK_FLOAT16;
            case BFLOAT16 -> DIRECTIONAL_CHECK_BFLOAT16;
            default -> throw new IllegalArgumentException(dtype + " is not a half-precision dtype");
        };
    }

    private static final Map<Activation.Kind, Tolerance> ACTIVATION = new EnumMap<>(Activation.Kind.class);
    private static final Map<Activation.Kind, Tolerance> ACTIVATION_BACKWARD = new EnumMap<>(Activation.Kind.class);

    private static void activation(Activation.Kind k, double rel, double refRel, double abs, boolean signedZero, String reason) {
        ACTIVATION.put(k, new Tolerance("activation " + k.name().toLowerCase(java.util.Locale.ROOT), Phase.FORWARD,
                rel, refRel, abs, signedZero, reason));
    }

    private static void activationBackward(Activation.Kind k, double rel, double refRel, String reason) {
        ACTIVATION_BACKWARD.put(k, new Tolerance("activation " + k.name().toLowerCase(java.util.Locale.ROOT), Phase.BACKWARD,
                rel, refRel, k == Activation.Kind.IDENTITY || k == Activation.Kind.RELU || k == Activation.Kind.LEAKY_RELU ? 0 : TINY,
                false, reason));
    }

    static {
        // Forward: ref = |x| (or |α| for ELU at x ≤ 0, |βx| for SWISH): where the contract's own formula cancels.
        activation(Activation.Kind.IDENTITY, 0, 0, 0, true, "y = x: exact");
        activation(Activation.Kind.RELU, 0, 0, 0, true, "a comparison and a select: exact, and RELU(−0) = +0 by contract");
        activation(Activation.Kind.LEAKY_RELU, 0, 0, 0, false, "a select and one multiply αx: exact");
        activation(Activation.Kind.SIGMOID, 8 * U32, 0, TINY, false, "float32 exp ≤ 4 ulp (OpenCL, SVML), then one add and one divide");
        activation(Activation.Kind.TANH, 6 * U32, 0, TINY, false,
                "3 ulp: the engine's tanh within 2 (CPU SIMD 1.5, CUDA's tanhf 2, PoCL's 1.1), exactly ±1 from |x| = 9.0111");
        activation(Activation.Kind.ELU, 8 * U32, 8 * U32, TINY, false,
                "α(eˣ − 1) as the contract writes it cancels near 0: exp's 4 ulp becomes absolute, ref = α");
        activation(Activation.Kind.SWISH, 12 * U32, 2 * U32, TINY, false,
                "x·σ(βx): σ's 8U, one multiply, and the rounded βx (U·|βx| relative): ref = |βx|");
        activation(Activation.Kind.SOFTPLUS, 8 * U32, 0, 4 * U32, false,
                "max(x,0) + ln(1 + e^−|x|) without log1p: ln of a number near 1 is only absolutely accurate (4U)");
        activation(Activation.Kind.GELU, 8 * U32, 8 * U32, TINY, false,
                "x·(1 + erf(x/√2))/2: 1 + erf cancels for x < 0, so erf's 4 ulp becomes absolute times |x|: ref = |x|");
        activation(Activation.Kind.GELU_TANH, 8 * U32, 4 * U32, TINY, false,
                "x·σ(2u) with no cancellation: σ's 8U, and 2u's rounding carried through e^(2u) where x < 0: ref = |x|");
        // Backward: ref = |dy|·(1 + |x|): where f'(x) is a difference of terms of that size.
        activationBackward(Activation.Kind.IDENTITY, 0, 0, "dx = dy: exact");
        activationBackward(Activation.Kind.RELU, 0, 0, "a select of dy or 0: exact");
        activationBackward(Activation.Kind.LEAKY_RELU, 0, 0, "dy or α·dy: one multiply, exact");
        activationBackward(Activation.Kind.SIGMOID, 6 * U32, 0, "dy·y(1 − y) on the saved float y: three roundings");
        activationBackward(Activation.Kind.TANH, 4 * U32, 2 * U32, "dy(1 − y²): 1 − y² cancels as |y| → 1, leaving U·|dy| absolute");
        activationBackward(Activation.Kind.ELU, 8 * U32, 0, "dy, or dy·α·eˣ from x: exp ≤ 3 ulp (OpenCL's bound) and two multiplies");
        activationBackward(Activation.Kind.SOFTPLUS, 10 * U32, 0, "dy·σ(x): σ's 8U and one multiply");
        activationBackward(Activation.Kind.SWISH, 10 * U32, 6 * U32,
                "σ·(1 + βx(1 − σ)) cancels at magnitude 1 near βx ≈ −1.28, then scaled by σ: ≈ (2 + |βx|)·U·|dy| absolute");
        activationBackward(Activation.Kind.GELU, 10 * U32, 10 * U32,
                "Φ(x) + xφ(x) cancels for x < 0, and 1 + erf too: ≈ (4 + |x|)·U·|dy| absolute");
        activationBackward(Activation.Kind.GELU_TANH, 10 * U32, 8 * U32,
                "σ(2u)·(1 + x·2u'·(1 − σ)) cancels at magnitude 1 near x ≈ −0.75, 2u' growing as x²: ≈ (4 + |x|)·U·|dy| absolute");
    }

    /**
     * The forward tolerance of an activation.
     *
     * @param act the activation, not null; its parameter does not matter
     * @return the tolerance of its kind
     */
    public static Tolerance activation(Activation act) {
        return ACTIVATION.get(act.kind());
    }

    /**
     * The backward tolerance of an activation.
     *
     * @param act the activation, not null; its parameter does not matter
     * @return the tolerance of its kind's gradient
     */
    public static Tolerance activationBackward(Activation act) {
        return ACTIVATION_BACKWARD.get(act.kind());
    }

    /**
     * Every tolerance the kit applies.
     *
     * @return a new list: the constants of this class, then the activations' forward and backward rows
     */
    public static List<Tolerance> all() {
        List<Tolerance> list = new ArrayList<>();
        for (java.lang.reflect.Field f : Tolerances.class.getFields()) {
            if (f.getType() == Tolerance.class) {
                try {
                    list.add((Tolerance) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        list.addAll(ACTIVATION.values());
        list.addAll(ACTIVATION_BACKWARD.values());
        return list;
    }

    /**
     * The table, one line per tolerance.
     *
     * @return the rows of {@link #all()} as {@link Tolerance#toString()} writes them, each ending in a
     *     line break
     */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        for (Tolerance t : all()) {
            sb.append(t).append('\n');
        }
        return sb.toString();
    }

    /**
     * Prints {@link #describe()} to standard output.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.out.print(describe());
    }

    /**
     * The details key by which a backend declares that its matmul and linear products round their operands: the
     * relative error of one product, as a decimal number (TF32 tensor cores: {@code 9.765625E-4}, 2⁻¹⁰). The kit
     * widens the matmul rows by it ({@link #forProductError}); every other row stays as declared.
     */
    public static final String PRODUCT_ERROR_DETAIL = "matmul.productError";

    /**
     * The largest per-product error a backend may declare under {@link #PRODUCT_ERROR_DETAIL}: 2⁻⁷, one product of two
     * bfloat16-rounded operands (TF32's is 2⁻¹⁰). A larger, infinite or NaN declaration would let any wrong product
     * pass, so the kit refuses it.
     */
    public static final double MAX_PRODUCT_ERROR = 0x1p-7;

    /**
     * {@code declared} widened for a backend whose matmul and linear products carry a relative error of
     * {@code productError} each (operands rounded before the multiply, float32 sums): matmul, linear and linear
     * backward add it per accumulated term; the linear layer's finite-difference check adds four times it (the
     * rounding enters the forward and the backward pass, in sums within twice the gradient's rms). Other tolerances are
     * returned unchanged.
     *
     * @param declared the kit's tolerance for a check
     * @param productError the relative error of one product, ≥ 0
     * @param mode what the backend calls the mode, for the reason (such as {@code tf32})
     * @return the widened tolerance, with its reason, or {@code declared}
     */
    public static Tolerance forProductError(Tolerance declared, double productError, String mode) {
        if (!(productError > 0)) {
            return declared;
        }
        String p = String.format(java.util.Locale.ROOT, "%.3g", productError);
        if (declared == MATMUL || declared == LINEAR || declared == LINEAR_BACKWARD) {
            return new Tolerance(declared.op() + " (" + mode + ")", declared.phase(), declared.rel(),
                    declared.refRel() + productError, declared.abs(), declared.signedZero(),
                    "the backend declares " + mode + " products: each product within " + p + " relative (operands rounded, "
                            + "float32 sums), added per accumulated term to: " + declared.reason());
        }
        if (declared == LINEAR_GRADIENT_CHECK) {
            return new Tolerance(declared.op() + " (" + mode + ")", declared.phase(), declared.rel(),
                    declared.refRel() + 4 * productError, declared.abs(), declared.signedZero(),
                    mode + " enters twice, in the forward (z, so act′ and the saved y) and in the backward's products, each "
                            + "within " + p + " per product of its terms' magnitudes, which in these 3- to 5-term sums stay "
                            + "within twice the gradient's rms: 4·" + p + " of the rms, added to: " + declared.reason());
        }
        return declared;
    }
}
