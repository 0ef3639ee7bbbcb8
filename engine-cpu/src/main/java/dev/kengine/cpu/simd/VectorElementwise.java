package dev.kengine.cpu.simd;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.IS_FINITE;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.D2F;
import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.EXP;
import static jdk.incubator.vector.VectorOperators.F2D;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LOG;
import static jdk.incubator.vector.VectorOperators.LOG1P;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.NE;
import static jdk.incubator.vector.VectorOperators.OR;

import dev.kengine.cpu.Elementwise;
import dev.kengine.cpu.Gaussian;
import dev.kengine.cpu.ScalarElementwise;
import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.random.CounterRandom;
import dev.kengine.spi.BackendDriver.Binary;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise kernels on the JDK's Vector API, one {@code SPECIES_PREFERRED} vector at a time
 * with scalar loop tails. The exponential (of arguments ≤ 0, all this class needs) and expm1 are
 * {@link VectorMath}'s, written out so that they stay in the loop: faithfully rounded, or within 2 ulp
 * ({@code expNonPositiveFast}) for the activations and the softmax sums, whose tolerances allow 4; tanh is built on
 * expm1 (within 2.5 ulp); the GELU forms and their derivatives are rational fits with no exponential, accurate
 * absolutely where their textbook formulas cancel, as the kit's tolerances for them are; the losses' log uses the
 * lanewise LOG, which JDK 25 routes to Intel SVML (about 1 ulp). Sums convert vectors (in pairs, for the exponential sums) to double before adding, so they are
 * about as accurate as the scalar double sums.
 *
 * <p>Each kernel is one flat loop whose vector-valued helpers are few and small ({@link VectorMath}'s, a clamp, the
 * fits): a vector passed through a call that C2 does not inline is boxed on the heap, and C2 stops inlining
 * once a method's node count or inlining depth passes its budget, which deeper nests of helpers reached.
 *
 * <p>Only {@link #create()} may be called from outside this package, and only once the
 * {@code jdk.incubator.vector} module is known to be present.
 */
public final class VectorElementwise implements Elementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Doubles in a vector of the same bit size: a float vector converts into two of these. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Floats in a vector of half the preferred size: as many lanes as {@link #D}, for lane-preserving conversions. */
    private static final VectorSpecies<Float> H = VectorSpecies.of(float.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** bfloat16 bits, as many lanes as {@link #S}. */
    private static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** Shorts in a whole vector: twice the lanes of {@link #SH}, for tests on half-precision bits. */
    private static final VectorSpecies<Short> HS = VectorSpecies.of(short.class, S.vectorShape());
    private static final VectorSpecies<Integer> SI = S.withLanes(int.class);

    // The exact-GELU kernels evaluate odd functions f as xc·P(xc²)/Q(xc²), xc being x clamped to [−c, c] where f has
    // reached its limit within float rounding: rational fits made here (Lawson-weighted linearised least squares
    // against mpmath, on [0, c] for absolute error, each coefficient rounded to float and the others refitted), one
    // division and no exponential, since the tolerances of these ops are absolute where their formulas cancel
    // (ELEMENTWISE-NOTES.md). Each one's fitted error is in its comment; float evaluation adds ≤ 2e-7.
    /** |x| from which erf(x/√2) is ±1 within 4e-8 (the fit gives exactly ±1 there). */
    private static final float GELU_CLAMP = 5.5f;
    /** |x| from which GELU′(x) is 0 or 1 within 3.6e-8. */
    private static final float GELU_SLOPE_CLAMP = 6f;

    /**
     * Below −{@value}, the GELU forms and their slopes come from {@link #geluTails}: there the fits above keep only
     * their absolute accuracy (about 3e-8·|x|), which is no relative accuracy at all once x·Φ(x) falls under 1e-6
     * (x ≈ −4.4), and worse than PyTorch's 1 + erf form, whose error shrinks with the granularity of erf near −1.
     */
    private static final float GELU_TAIL = 4f;
    /** The tail forms' argument floor: every GELU form and slope has underflowed to ∓0 in float well above −20. */
    private static final double GELU_TAIL_FLOOR = -20.0;
    private static final int TAIL_GELU = 0;
    private static final int TAIL_GELU_SLOPE = 1;
    private static final int TAIL_GELU_TANH = 2;
    private static final int TAIL_GELU_TANH_SLOPE = 3;

    private VectorElementwise() {}

    /** The vector kernels, or null when vectors of the preferred shape hold fewer than 4 floats (not worth it). */
    public static Elementwise create() {
        return L >= 4 && D.length() * 2 == L && H.length() == D.length() ? new VectorElementwise() : null;
    }

    /** Floats per preferred vector, for the log line even when {@link #create()} declines. */
    public static int preferredLanes() {
        return L;
    }

    @Override
    public String description() {
        return "Vector API, " + S.vectorBitSize() + "-bit, " + L + " floats";
    }

    @Override
    public int lanes() {
        return L;
    }

    // ---- vector building blocks -------------------------------------------------------

    /** a[from, from + n) in a new vector-length array, zero-padded. */
    private static float[] padded(float[] a, int from, int n) {
        float[] out = new float[L];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }

    private static FloatVector load(float[] a, int i) {
        return FloatVector.fromArray(S, a, i);
    }

    /** Math.signum lane by lane, keeping ±0 and NaN. */
    private static FloatVector signum(FloatVector v) {
        return v.blend(1f, v.compare(GT, 0f)).blend(-1f, v.compare(LT, 0f));
    }

    /** The accumulator plus the 2·(lanes/2) doubles of v. */
    private static DoubleVector addAsDouble(DoubleVector acc, FloatVector v) {
        return acc.add((DoubleVector) v.convertShape(F2D, D, 0)).add((DoubleVector) v.convertShape(F2D, D, 1));
    }

    private static FloatVector leakyRelu(FloatVector x, float p) {
        return x.mul(p).blend(x, x.compare(GT, 0f));
    }

    // ln(1 + e) on [0, 1] as e·P(e)/Q(e), P = 1 + P1·e + P2·e² + P3·e³, Q = 1 + Q1·e + Q2·e²: fitted here for relative
    // error (as the GELU fits): 4.8e-8 in exact arithmetic, 3.8·2⁻²⁴ with float coefficients and evaluation, and
    // relative, so tiny e keep their digits. Three instructions fewer than the degree-9 polynomial it replaced
    // (2.7·2⁻²⁴); the lanewise LOG1P and LOG are SVML calls (ELEMENTWISE-NOTES.md).
    private static final float LOG1P_P1 = 0.7283927798271179f;
    private static final float LOG1P_P2 = 0.04349072277545929f;
    private static final float LOG1P_P3 = -0.0024244950618594885f;
    private static final float LOG1P_Q1 = 1.2283903360366821f;
    private static final float LOG1P_Q2 = 0.324399471282959f;

    /** ln(1 + e) for e in [0, 1] (NaN passes through). */
    private static FloatVector log1pUnit(FloatVector e) {
        return e.mul(VectorMath.poly(e, 1f, LOG1P_P1, LOG1P_P2, LOG1P_P3)).div(VectorMath.poly(e, 1f, LOG1P_Q1, LOG1P_Q2));
    }

    /**
     * ln(1 + e) = 2·atanh(s), s = e/(2 + e) ≤ 1/3, from e′ = e·2³² (s = e′/(2³³ + e′), the same bits): 2s + 2s·s²·P(s²)
     * with P the series 1/3 + t/5 + … + t⁵/13 (remainder below 2e-8 of the correction, itself at most 1/27 of the
     * result). s carries e's error and one division, and the result only one rounding more: about 1 ulp plus e's, where
     * the rational fit's float evaluation alone was about 3 (softplus reached 4.3 ulp with the table exponential).
     */
    private static FloatVector log1pAtanhScaled(FloatVector e) {
        FloatVector s = e.div(e.add(2 * VectorMath.EXP_SCALE));
        FloatVector t = s.mul(s);
        FloatVector p = FloatVector.broadcast(S, 1f / 13).fma(t, FloatVector.broadcast(S, 1f / 11))
                .fma(t, FloatVector.broadcast(S, 1f / 9))
                .fma(t, FloatVector.broadcast(S, 1f / 7))
                .fma(t, FloatVector.broadcast(S, 1f / 5))
                .fma(t, FloatVector.broadcast(S, 1f / 3));
        FloatVector twoS = s.add(s);
        return twoS.mul(t).fma(p, twoS);
    }

    /** x clamped to [−c, c] by compares and blends (NaN compares false and is kept; Math.min's rules cost more). */
    private static FloatVector clamp(FloatVector x, float c) {
        FloatVector lower = x.blend(-c, x.compare(LT, -c));
        return lower.blend(c, lower.compare(GT, c));
    }

    /** Φ(xc) − 1/2 = erf(xc/√2)/2 for |xc| ≤ {@value #GELU_CLAMP}: degree 13/8, within 2.7e-8. */
    private static FloatVector cdfMinusHalf(FloatVector xc) {
        FloatVector s = xc.mul(xc);
        return xc.mul(VectorMath.poly(s, 0.39894214272499084f, 0.03592370077967644f, 0.00450925761833787f,
                        0.0001703876187093556f, 3.2411469419457717e-06f, -2.2081552586428188e-08f, 1.1174794423141066e-10f))
                .div(VectorMath.poly(s, 1f, 0.2567119300365448f, 0.029092349112033844f, 0.0018307268619537354f,
                        6.233047315618023e-05f));
    }

    /** GELU′(xc) = Φ(xc) + xc·φ(xc) for |xc| ≤ {@value #GELU_SLOPE_CLAMP}, as 1/2 + (degree 15/10): within 5.4e-8. */
    private static FloatVector geluSlope(FloatVector xc) {
        FloatVector s = xc.mul(xc);
        return xc.mul(VectorMath.poly(s, 0.7978847622871399f, -0.04151695594191551f, 0.014529967680573463f,
                        -0.00014815674512647092f, 3.300782191217877e-05f, -1.0087882884590726e-07f, 2.7850015626995628e-09f,
                        -1.5357199886767425e-11f))
                .div(VectorMath.poly(s, 1f, 0.28130200505256653f, 0.03697187453508377f, 0.0029522839467972517f,
                        0.00015020817227195948f, 5.556486030400265e-06f))
                .add(0.5f);
    }

    /**
     * The lanes of x below −{@value #GELU_TAIL} take a GELU form, or dy times a slope, in double precision from
     * formulas that keep relative accuracy there: Φ(x) = erfc(|x|/√2)/2 by {@link Gaussian}'s erfc (relative error
     * below 1.2e-7, x²/2 exact in double), φ(x) and σ(2u) by the lanewise double EXP. The vector's two halves go to
     * double, through {@link #geluTailHalf} and back to float, and a slope is multiplied by dy in float.
     * Called by {@link #geluTails} after a block's vector loop, only for vectors with such a lane, so that the kernels'
     * loops hold no branch and no call: with this path called from inside the per-vector functions, a kernel compiled
     * after the branch had been taken boxed its vectors on every step, taken or not, for as long as the JVM ran
     * (ELEMENTWISE-NOTES.md, 2026-12-07). In vectors, not through an array of lanes and a loop over them: inputs with
     * a spread of 2 put a tail lane in about a third of the vectors, and the array form ran float32 GELU 8× slower
     * than without tails (ELEMENTWISE-NOTES.md, "GELU's tails in vectors").
     */
    private static void geluTail(int form, float[] x, int xOff, float[] dy, int dyOff, float[] out, int outOff) {
        for (int h = 0; h < L; h += H.length()) {
            geluTailHalf(form, x, xOff + h, dy, dyOff + h, out, outOff + h);
        }
    }

    /**
     * Half a vector of {@link #geluTail}, in double, when it has a tail lane (the exponentials and the division are
     * most of the cost, so a half without one is skipped). Every vector operation is the Vector API's own, which C2
     * inlines whatever the size of the compilation, and each form ends in its own store: no vector crosses a call or
     * a merge. With the double arithmetic in a helper taking and returning a vector, a JVM that had run the whole test
     * suite left the helper out of line in the kernel's compilation (past C2's inlining cutoff) and float32 GELU's
     * tails boxed 54 bytes an element (`GeluTailInRegistersTest.noBoxingInTheTail`, in CI).
     */
    private static void geluTailHalf(int form, float[] x, int xOff, float[] dy, int dyOff, float[] out, int outOff) {
        FloatVector v = FloatVector.fromArray(H, x, xOff);
        VectorMask<Float> tail = v.compare(LT, -GELU_TAIL);
        if (!tail.anyTrue()) {
            return;
        }
        FloatVector prev = FloatVector.fromArray(H, out, outOff);
        DoubleVector d = (DoubleVector) v.convertShape(F2D, D, 0);
        d = d.blend(GELU_TAIL_FLOOR, d.compare(LT, GELU_TAIL_FLOOR));
        DoubleVector halfSquare = d.mul(d).mul(0.5);
        if (form == TAIL_GELU || form == TAIL_GELU_SLOPE) {
            // Φ(x) = erfc(−x/√2)/2 by Gaussian's erfc (relative error below 1.2e-7), x²/2 exact in double.
            DoubleVector z = d.neg().mul(Gaussian.INV_SQRT2);
            DoubleVector t = DoubleVector.broadcast(D, 1.0).div(z.fma(0.5, 1.0));
            double[] c = Gaussian.ERFC_COEFFICIENTS;
            DoubleVector poly = DoubleVector.broadcast(D, c[c.length - 1]);
            for (int k = c.length - 2; k >= 0; k--) {
                poly = poly.fma(t, DoubleVector.broadcast(D, c[k]));
            }
            DoubleVector cdf = t.mul(poly.sub(halfSquare).lanewise(EXP)).mul(0.5);
            if (form == TAIL_GELU) {
                FloatVector r = (FloatVector) d.mul(cdf).convertShape(D2F, H, 0);
                prev.blend(r, tail).intoArray(out, outOff);
            } else {
                // Φ(x) + x·φ(x)
                FloatVector r = (FloatVector) d.mul(halfSquare.neg().lanewise(EXP).mul(Gaussian.INV_SQRT_2PI)).add(cdf)
                        .convertShape(D2F, H, 0);
                prev.blend(FloatVector.fromArray(H, dy, dyOff).mul(r), tail).intoArray(out, outOff);
            }
            return;
        }
        // 2u = 2√(2/π)(x + 0.044715x³) and σ(2u) = e/(1 + e) with e = e^(2u) ≤ 1 here.
        double twoScale = 2.0 * ScalarElementwise.GELU_TANH_SCALE;
        double cubic = ScalarElementwise.GELU_TANH_CUBIC;
        DoubleVector square = d.mul(d);
        DoubleVector e = square.fma(cubic, 1.0).mul(d).mul(twoScale).lanewise(EXP);
        DoubleVector rcp = DoubleVector.broadcast(D, 1.0).div(e.add(1.0));
        DoubleVector sigma = e.mul(rcp);
        if (form == TAIL_GELU_TANH) {
            FloatVector r = (FloatVector) d.mul(sigma).convertShape(D2F, H, 0);
            prev.blend(r, tail).intoArray(out, outOff);
        } else {
            DoubleVector du = square.fma(3.0 * cubic, 1.0).mul(twoScale);
            FloatVector r = (FloatVector) d.mul(sigma.mul(rcp)).mul(du).add(sigma).convertShape(D2F, H, 0);
            prev.blend(FloatVector.fromArray(H, dy, dyOff).mul(r), tail).intoArray(out, outOff);
        }
    }

    /**
     * After a block's vector loop: the tail lanes of the n results in out (n a multiple of L). Every vector of x with a
     * lane below −{@value #GELU_TAIL} goes through {@link #geluTail(int, float[], int, float[], int, float[], int)},
     * dy beside it for a slope. The kernels write a block's results into scratch first and copy them out after this,
     * so x and dy are intact here even when the caller's output is one of them; the block is still in L1.
     */
    private static void geluTails(int form, float[] x, int xOff, float[] dy, int dyOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += L) {
            if (FloatVector.fromArray(S, x, xOff + i).compare(LT, -GELU_TAIL).anyTrue()) {
                geluTail(form, x, xOff + i, dy, dyOff + i, out, outOff + i);
            }
        }
    }

    private static FloatVector reluDerivative(FloatVector dy, FloatVector x) {
        VectorMask<Float> zero = x.compare(LE, 0f).and(dy.compare(EQ, dy));
        return FloatVector.broadcast(S, Float.NaN).blend(0f, zero).blend(dy, x.compare(GT, 0f));
    }

    private static FloatVector leakyReluDerivative(FloatVector dy, FloatVector x, float p) {
        return FloatVector.broadcast(S, Float.NaN).blend(dy.mul(p), x.compare(LE, 0f)).blend(dy, x.compare(GT, 0f));
    }

    // ---- half precision, converted in registers ---------------------------------------
    //
    // A half-precision kernel loads L half lanes, widens them to a float vector, runs the float32 kernel's own
    // per-vector function and rounds once: the bits of widening, the float32 kernel and narrowing in turn (each
    // conversion is exact or follows dev.kengine.Conversions bit for bit). ReLU and its gradient need no conversion
    // and work on the bits in either type (reluForwardBits). In bfloat16 the other kinds whose arithmetic is short
    // (leaky ReLU, the sigmoid and tanh gradients) round each vector as it is computed; the others, and every other
    // float16 kind, go through a float block in L1 (below, at BLOCK). float16's two loads and its rounding
    // helper put even the short kinds' fused loops past C2's inlining cutoff (24,000 nodes), and a full `./engine
    // compare` run caught its sigmoid backward with the helper out of line, boxed (0.13–0.29× float32).
    //
    // What the JIT needs: C2 stops inlining ordinary (not @ForceInline) methods once a compilation has created 18,000
    // nodes (NodeCountInliningCutoff), and the Vector API's operations create about 400 each while being parsed; a
    // helper left out of line past that count takes and returns its vectors boxed (a quarter of the speed, or less).
    // So each loop has a method of its own (per kind, half type and, for swish, β = 0 or not), because a second loop
    // in the same compilation would be parsed after the first one's nodes; the fused loops call their helpers
    // directly, none through a lambda or an interface, so that every call site is the loop's own and hot in its
    // profile (a lambda's call of the kind's function had been judged cold in some JVMs and left out of line,
    // boxing three vectors per 16 elements); and the blocked kernels round in loops written with Vector API calls
    // only, which are inlined at any size.

    /** The L bfloat16 values at h[i], widened exactly: each one's bits moved into the upper half of a float lane. */
    private static FloatVector loadBFloat16(short[] h, int i) {
        // Sign extension puts copies of bit 15 in bits 16..31; the shift moves them out.
        IntVector w = (IntVector) ShortVector.fromArray(SH, h, i).convertShape(S2I, SI, 0);
        return w.lanewise(LSHL, 16).reinterpretAsFloats();
    }

    // Constants as vectors, built once: a scalar operand is broadcast again at each use while C2 parses, about 300
    // nodes each, and the larger half-precision kernels are within a few hundred of C2's inlining cutoff (see above).
    private static final FloatVector F16_REBASE = FloatVector.broadcast(S, 0x1p112f);
    private static final IntVector F16_SPECIAL = IntVector.broadcast(SI, 0x0F80_0000);
    private static final IntVector F32_SPECIAL = IntVector.broadcast(SI, 0x7F80_0000);
    /** The float sign bit: or-ed in, −|v| for the e^−|·| forms. */
    private static final IntVector SIGN = IntVector.broadcast(SI, 0x8000_0000);



    /**
     * v rounded to bfloat16 as Conversions.toBFloat16 (nearest, ties to even, on the upper 16 bits; a NaN quiet with
     * its sign and upper payload) and stored at h[i]: the fused half-precision kernels' and the optimiser steps'
     * store. The NaN test is on the integer bits: a float compare cast to an integer mask kept C2 from unrolling the
     * loops.
     */
    private static void storeBFloat16(FloatVector v, short[] h, int i) {
        IntVector bits = v.reinterpretAsInts();
        IntVector high = bits.lanewise(LSHR, 16);
        IntVector r = bits.add(high.and(1).add(0x7FFF)).lanewise(LSHR, 16)
                .blend(high.or(0x40), bits.and(0x7FFF_FFFF).compare(GT, 0x7F80_0000));
        ((ShortVector) r.convertShape(I2S, SH, 0)).intoArray(h, i);
    }


    // The activations whose arithmetic is the limit in half precision (the transcendental forwards, and the backward
    // passes with an exponential or a fit) go through float blocks of BLOCK elements that stay in L1. Fused, the
    // rounding lengthened each vector's dependency chain past the division or the fit, and the core overlapped fewer
    // vectors. bfloat16 runs two passes: the float32 function on the widened lanes into the block, then the rounding
    // loop over it (sigmoid 3.0 → 4.7 G elements/s a thread in L1). float16 runs three, widening into the blocks, the
    // float32 kernel there and the rounding: its conversion is long enough that, inside the larger kernels' loops, it
    // cost more than the extra pass (GELU-tanh backward 0.94 G/s in two passes, 1.5 in three; ELEMENTWISE-NOTES.md,
    // 2026-12-07). The rest (the ReLU family, the cheap gradients) stay fused, which is faster where memory is the
    // limit. Same bits every way: widening, the float32 function, one rounding.

    /** Elements per block: 2 KB of floats, so that the blocks stay in L1. */
    private static final int BLOCK = 512;
    private static final ThreadLocal<float[][]> BLOCK_SCRATCH = ThreadLocal.withInitial(() -> new float[3][BLOCK]);
    /**
     * The float32 GELU kernels work in blocks of GELU_BLOCK, noting in a boolean whether any x of the block was below
     * −4 (a compare and a test a vector; a vector carried across the loop instead, the lanes' minimum, was boxed),
     * and after such a block call geluTails. Nothing in the vector loop calls out of line.
     */
    private static final int GELU_BLOCK = 2048;
    /** The float32 GELU kernels' block of results when a caller runs them in place. */
    private static final ThreadLocal<float[]> GELU_SCRATCH = ThreadLocal.withInitial(() -> new float[BLOCK]);

    // float16's three passes, one driver per kind. The kernel's call comes first in each loop's bytecode (it runs on
    // the block that the iteration before widened), so that where the JIT inlines the float32 kernel into the driver
    // it parses the kernel before the conversions, as when the kernel is compiled on its own; the conversions' loops
    // are written with Vector API calls only, which are inlined whatever the compilation's size. With the conversions
    // first, or one driver for every kind (whose switch put a second kernel after the first's nodes), a kernel's
    // helpers could fall past C2's inlining cutoff and box their vectors.

    private static void sigmoidForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                sigmoidForward(p, t, 0, t, 0, n);
                narrowFloat16(t, 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenFloat16(x, xOff + b + BLOCK, t, 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void tanhForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                tanhForward(p, t, 0, t, 0, n);
                narrowFloat16(t, 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenFloat16(x, xOff + b + BLOCK, t, 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void eluForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                eluForward(p, t, 0, t, 0, n);
                narrowFloat16(t, 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenFloat16(x, xOff + b + BLOCK, t, 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void swishForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                swishForward(p, t, 0, t, 0, n);
                narrowFloat16(t, 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenFloat16(x, xOff + b + BLOCK, t, 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void softplusForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                softplusForward(p, t, 0, t, 0, n);
                narrowFloat16(t, 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenFloat16(x, xOff + b + BLOCK, t, 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void geluForwardHalf(boolean bf, float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        // The results in a block of their own: the GELU kernels read x again after their loop (see geluTails).
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                geluForward(p, t[0], 0, t[1], 0, n);
                narrowHalf(bf, t[1], 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenHalf(bf, x, xOff + b + BLOCK, t[0], 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void geluTanhForwardHalf(boolean bf, float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        // The results in a block of their own: the GELU kernels read x again after their loop (see geluTails).
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = -BLOCK; b < bound; b += BLOCK) {
            if (b >= 0) {
                int n = Math.min(BLOCK, bound - b);
                geluTanhForward(p, t[0], 0, t[1], 0, n);
                narrowHalf(bf, t[1], 0, y, yOff + b, n);
            }
            if (b + BLOCK < bound) {
                widenHalf(bf, x, xOff + b + BLOCK, t[0], 0, Math.min(BLOCK, bound - b - BLOCK));
            }
        }
    }

    private static void eluBackwardFp16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from - BLOCK; b < bound; b += BLOCK) {
            if (b >= from) {
                int n = Math.min(BLOCK, bound - b);
                eluBackward(p, t[0], t[1], t[0], 0, n);
                narrowFloat16(t[0], 0, dx, b, n);
            }
            if (b + BLOCK < bound) {
                int n = Math.min(BLOCK, bound - b - BLOCK);
                widenFloat16(dy, b + BLOCK, t[0], 0, n);
                widenFloat16(x, b + BLOCK, t[1], 0, n);
            }
        }
    }

    private static void swishBackwardFp16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from - BLOCK; b < bound; b += BLOCK) {
            if (b >= from) {
                int n = Math.min(BLOCK, bound - b);
                swishBackward(p, t[0], t[1], t[0], 0, n);
                narrowFloat16(t[0], 0, dx, b, n);
            }
            if (b + BLOCK < bound) {
                int n = Math.min(BLOCK, bound - b - BLOCK);
                widenFloat16(dy, b + BLOCK, t[0], 0, n);
                widenFloat16(x, b + BLOCK, t[1], 0, n);
            }
        }
    }

    private static void softplusBackwardFp16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from - BLOCK; b < bound; b += BLOCK) {
            if (b >= from) {
                int n = Math.min(BLOCK, bound - b);
                softplusBackward(p, t[0], t[1], t[0], 0, n);
                narrowFloat16(t[0], 0, dx, b, n);
            }
            if (b + BLOCK < bound) {
                int n = Math.min(BLOCK, bound - b - BLOCK);
                widenFloat16(dy, b + BLOCK, t[0], 0, n);
                widenFloat16(x, b + BLOCK, t[1], 0, n);
            }
        }
    }

    private static void geluBackwardHalf(boolean bf, float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from - BLOCK; b < bound; b += BLOCK) {
            if (b >= from) {
                int n = Math.min(BLOCK, bound - b);
                geluBackward(p, t[0], t[1], t[2], 0, n);
                narrowHalf(bf, t[2], 0, dx, b, n);
            }
            if (b + BLOCK < bound) {
                int n = Math.min(BLOCK, bound - b - BLOCK);
                widenHalf(bf, dy, b + BLOCK, t[0], 0, n);
                widenHalf(bf, x, b + BLOCK, t[1], 0, n);
            }
        }
    }

    private static void geluTanhBackwardHalf(boolean bf, float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from - BLOCK; b < bound; b += BLOCK) {
            if (b >= from) {
                int n = Math.min(BLOCK, bound - b);
                geluTanhBackward(p, t[0], t[1], t[2], 0, n);
                narrowHalf(bf, t[2], 0, dx, b, n);
            }
            if (b + BLOCK < bound) {
                int n = Math.min(BLOCK, bound - b - BLOCK);
                widenHalf(bf, dy, b + BLOCK, t[0], 0, n);
                widenHalf(bf, x, b + BLOCK, t[1], 0, n);
            }
        }
    }

    /** A copy of a[off, off + n) in a new vector-length array, zero-padded (+0 in both half formats); null stays null. */
    private static short[] paddedShorts(short[] a, int off, int n) {
        if (a == null) {
            return null;
        }
        short[] out = new short[L];
        System.arraycopy(a, off, out, 0, n);
        return out;
    }

    // One loop per type, each in a method of its own: in one method, the type a first compilation had not yet seen
    // was an uncommon trap, and a later call of it ran deoptimised; and with the bfloat16 loop in the dispatching
    // method, the SGEMM's B packer (which widens 32 halves per call) packed bfloat16 at a third of float16's speed.
    @Override
    public void widen(boolean bf16, short[] src, int sOff, float[] dst, int dOff, int n) {
        widenHalves(bf16, src, sOff, dst, dOff, n);
    }

    /** {@link #widen}, for the SGEMM's packers ({@link GemmSimdKernel}), which widen half-precision operands as they pack. */
    static void widenHalves(boolean bf16, short[] src, int sOff, float[] dst, int dOff, int n) {
        if (bf16) {
            widenBFloat16(src, sOff, dst, dOff, n);
        } else {
            widenFloat16(src, sOff, dst, dOff, n);
        }
    }

    /**
     * Widens or narrows one block of bfloat16 ({@code bf}) or float16 bits, as the GELU kernels' blocks need: the GELU
     * of a block runs as the float32 kernel on the widened block (its vectors never cross a call C2 might leave out of
     * line: the fused bfloat16 loop sat within a few hundred nodes of C2's inlining cutoff and, on some profiles,
     * boxed every vector).
     */
    private static void widenHalf(boolean bf, short[] src, int sOff, float[] dst, int dOff, int n) {
        if (bf) {
            widenBFloat16(src, sOff, dst, dOff, n);
        } else {
            widenFloat16(src, sOff, dst, dOff, n);
        }
    }

    /** {@link #widenHalf}'s other half: a block rounded to bfloat16 ({@code bf}) or float16. */
    private static void narrowHalf(boolean bf, float[] src, int sOff, short[] dst, int dOff, int n) {
        if (bf) {
            narrowBFloat16(src, sOff, dst, dOff, n);
        } else {
            narrowFloat16(src, sOff, dst, dOff, n);
        }
    }

    private static void widenBFloat16(short[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            loadBFloat16(src, sOff + i).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = Float.intBitsToFloat(src[sOff + i] << 16);
        }
    }

    /**
     * float16 values widened exactly to float32 (Conversions.fromFloat16), written with Vector API calls only: every
     * float16 kernel widens its block of L1 through this, then runs the float32 kernel on it and rounds the block back
     * ({@link #narrowFloat16}), so no vector crosses a method boundary that C2 may leave out of line. Per vector:
     * exponent and fraction moved to a float's positions (the two shifts drop the sign) make every finite half 2¹¹²
     * times too small as a float (a half subnormal lands among the float subnormals), so one multiply by 2¹¹² (exact)
     * rebases them all; exponent 31 (±∞, NaN) comes out of it as 2¹⁶ with the payload kept, and setting the exponent
     * bits makes it 255; the sign is bit 31 of the sign-extended lane. The short kinds (ReLU family, the sigmoid and
     * tanh gradients, identity) loaded float16 vectors through a shared helper returning the vector; in one JVM out of
     * about two after ParallelTest had run, float16 ReLU then ran with its vectors boxed (12 bytes allocated an
     * element: HalfKernelsInRegistersTest).
     */
    private static void widenFloat16(short[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            IntVector w = (IntVector) ShortVector.fromArray(SH, src, sOff + i).convertShape(S2I, SI, 0);
            IntVector m = w.lanewise(LSHL, 17).lanewise(LSHR, 4);
            IntVector scaled = m.reinterpretAsFloats().mul(F16_REBASE).reinterpretAsInts();
            scaled.lanewise(OR, F32_SPECIAL, m.compare(GE, F16_SPECIAL)).or(w.and(SIGN)).reinterpretAsFloats()
                    .intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = dev.kengine.Conversions.fromFloat16(src[sOff + i]);
        }
    }

    @Override
    public void narrow(boolean bf16, float[] src, int sOff, short[] dst, int dOff, int n) {
        if (bf16) {
            narrowBFloat16(src, sOff, dst, dOff, n);
        } else {
            narrowFloat16(src, sOff, dst, dOff, n);
        }
    }

    /** A float vector's lanes as bytes, for UINT8 masks; null below 8 lanes (no 32-bit shape). */
    private static final VectorSpecies<Byte> MASK_BYTES = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;

    // The two narrowing loops, written out with Vector API calls only (which
    // the JIT inlines whatever the size of the compilation): a blocked kernel calls them after its arithmetic, past
    // C2's inlining cutoff in the larger kernels, and a helper left out of line there took its vector boxed.

    /**
     * src rounded to bfloat16 as {@link #storeBFloat16} into dst, the NaN test a float compare and the blend on
     * float lanes (no mask cast): 1.41 against 1.56 ns a vector in L1 for the integer test.
     */
    private static void narrowBFloat16(float[] src, int sOff, short[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, src, sOff + i);
            IntVector bits = v.reinterpretAsInts();
            IntVector high = bits.lanewise(LSHR, 16);
            FloatVector r = bits.add(high.and(1).add(0x7FFF)).lanewise(LSHR, 16).reinterpretAsFloats()
                    .blend(high.or(0x40).reinterpretAsFloats(), v.compare(NE, v));
            ((ShortVector) r.reinterpretAsInts().convertShape(I2S, SH, 0)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = dev.kengine.Conversions.toBFloat16(src[sOff + i]);
        }
    }

    /**
     * src rounded to float16 as Conversions.toFloat16 into dst: normal results by rebasing the exponent and
     * rounding to nearest even at bit 13 in integer lanes (from 65520 up that reaches 0x7C00 or more, which the min
     * makes ∞); below 2⁻¹⁴, |r|·2²⁴ rounded to an integer, ties to even, by one fma adding 2²³ (the product is exact);
     * a NaN quiet with its sign and upper 9 payload bits. bfloat16 rounds as {@link #storeBFloat16}.
     */
    private static void narrowFloat16(float[] src, int sOff, short[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            IntVector bits = FloatVector.fromArray(S, src, sOff + i).reinterpretAsInts();
            IntVector abs = bits.and(0x7FFF_FFFF);
            IntVector shifted = abs.lanewise(LSHR, 13);
            IntVector normal = abs.add(shifted.and(1)).add(0xFFF - 0x3800_0000).lanewise(LSHR, 13).min(0x7C00);
            IntVector small = abs.reinterpretAsFloats().fma(0x1p24f, 0x1p23f).reinterpretAsInts().sub(0x4B00_0000);
            IntVector r = normal.blend(small, abs.compare(LT, 0x3880_0000))
                    .blend(shifted.and(0x1FF).or(0x7E00), abs.compare(GT, 0x7F80_0000))
                    .or(bits.lanewise(LSHR, 16).and(0x8000));
            ((ShortVector) r.convertShape(I2S, SH, 0)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] = dev.kengine.Conversions.toFloat16(src[sOff + i]);
        }
    }

    // ---- activations forward ------------------------------------------------------------
    //
    // Each kind's arithmetic is one small per-vector function, called from one flat loop per storage (float32, and
    // half precision, fused or blocked), so that the JIT inlines it into each loop and the vectors stay in registers
    // (a vector passed through a call that is not inlined is boxed on the heap). A switch over the kinds inside a
    // loop would merge the kinds' vectors in phis, which the JIT may box.

    @Override
    public void activation(Activation.Kind kind, float p, float[] x, int xOff, float[] y, int yOff, int n) {
        if (kind == Activation.Kind.IDENTITY) {
            if (x != y || xOff != yOff) {
                System.arraycopy(x, xOff, y, yOff, n);
            }
            return;
        }
        int bound = S.loopBound(n);
        forward(kind, p, x, xOff, y, yOff, bound);
        if (bound < n) {
            // The tail goes through the same vector kernel in a padded vector, so that an element's result does not
            // depend on where it sits (the scalar kernel computes in double and rounds differently).
            float[] tail = padded(x, xOff + bound, n - bound);
            forward(kind, p, tail, 0, tail, 0, L);
            System.arraycopy(tail, 0, y, yOff + bound, n - bound);
        }
    }

    private static void forward(Activation.Kind kind, float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        switch (kind) {
            case IDENTITY -> throw new AssertionError("identity is a copy");
            case SIGMOID -> sigmoidForward(p, x, xOff, y, yOff, bound);
            case TANH -> tanhForward(p, x, xOff, y, yOff, bound);
            case RELU -> reluForward(p, x, xOff, y, yOff, bound);
            case LEAKY_RELU -> leakyReluForward(p, x, xOff, y, yOff, bound);
            case ELU -> eluForward(p, x, xOff, y, yOff, bound);
            case SWISH -> swishForward(p, x, xOff, y, yOff, bound);
            case SOFTPLUS -> softplusForward(p, x, xOff, y, yOff, bound);
            case GELU -> {
                if (x == y) {
                    geluForwardInPlace(p, x, xOff, y, yOff, bound);
                } else {
                    geluForward(p, x, xOff, y, yOff, bound);
                }
            }
            case GELU_TANH -> {
                if (x == y) {
                    geluTanhForwardInPlace(p, x, xOff, y, yOff, bound);
                } else {
                    geluTanhForward(p, x, xOff, y, yOff, bound);
                }
            }
        }
    }

    /** The float32 kernel on half-precision storage, converted in registers; the tail in a padded vector. */
    @Override
    public void halfActivation(boolean bf16, Activation.Kind kind, float p, short[] x, int xOff, short[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        forwardHalf(bf16, kind, p, x, xOff, y, yOff, bound);
        if (bound < n) {
            short[] tail = paddedShorts(x, xOff + bound, n - bound);
            forwardHalf(bf16, kind, p, tail, 0, tail, 0, L);
            System.arraycopy(tail, 0, y, yOff + bound, n - bound);
        }
    }

    private static void forwardHalf(boolean bf, Activation.Kind kind, float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        if (bf) {
            forwardBf16(kind, p, x, xOff, y, yOff, bound);
        } else {
            forwardFp16(kind, p, x, xOff, y, yOff, bound);
        }
    }

    private static void forwardBf16(Activation.Kind kind, float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        switch (kind) {
            // Not a copy: a signalling NaN comes back quiet, as through widening and narrowing.
            case IDENTITY -> identityForwardBf16(p, x, xOff, y, yOff, bound);
            case SIGMOID -> sigmoidForwardBf16(p, x, xOff, y, yOff, bound);
            case TANH -> tanhForwardBf16(p, x, xOff, y, yOff, bound);
            case RELU -> reluForwardBf16(p, x, xOff, y, yOff, bound);
            case LEAKY_RELU -> leakyReluForwardBf16(p, x, xOff, y, yOff, bound);
            case ELU -> eluForwardBf16(p, x, xOff, y, yOff, bound);
            case SWISH -> swishForwardBf16(p, x, xOff, y, yOff, bound);
            case SOFTPLUS -> softplusForwardBf16(p, x, xOff, y, yOff, bound);
            case GELU -> geluForwardHalf(true, p, x, xOff, y, yOff, bound);
            case GELU_TANH -> geluTanhForwardHalf(true, p, x, xOff, y, yOff, bound);
        }
    }

    private static void forwardFp16(Activation.Kind kind, float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        switch (kind) {
            case IDENTITY -> identityForwardFp16(p, x, xOff, y, yOff, bound);
            case RELU -> reluForwardFp16(p, x, xOff, y, yOff, bound);
            case LEAKY_RELU -> leakyReluForwardFp16(p, x, xOff, y, yOff, bound);
            case SIGMOID -> sigmoidForwardFp16(p, x, xOff, y, yOff, bound);
            case TANH -> tanhForwardFp16(p, x, xOff, y, yOff, bound);
            case ELU -> eluForwardFp16(p, x, xOff, y, yOff, bound);
            case SWISH -> {
                if (p != 0f) {
                    swishForwardFp16(p, x, xOff, y, yOff, bound);
                } else {
                    halfForwardFp16(p, x, xOff, y, yOff, bound);
                }
            }
            case SOFTPLUS -> softplusForwardFp16(p, x, xOff, y, yOff, bound);
            case GELU -> geluForwardHalf(false, p, x, xOff, y, yOff, bound);
            case GELU_TANH -> geluTanhForwardHalf(false, p, x, xOff, y, yOff, bound);
        }
    }

    private static void identityForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            storeBFloat16(loadBFloat16(x, xOff + i), y, yOff + i);
        }
    }

    private static void identityForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(x, xOff + b, t, 0, n);
            narrowFloat16(t, 0, y, yOff + b, n);
        }
    }


    /**
     * σ(x) by the e^−|x| form, which overflows for no x: 1/(1 + e) for x ≥ 0, e/(1 + e) below, in one division and
     * with e scaled by 2³² (2³²/(2³² + e′) and e′/(2³² + e′): the same bits, one multiply fewer).
     */
    private static FloatVector sigmoid(FloatVector v) {
        FloatVector e = VectorMath.expNonPositiveScaled(v.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        return FloatVector.broadcast(S, VectorMath.EXP_SCALE).blend(e, v.compare(LT, 0f)).div(e.add(VectorMath.EXP_SCALE));
    }

    private static void sigmoidForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            sigmoid(load(x, xOff + i)).intoArray(y, yOff + i);
        }
    }

    private static void sigmoidForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                sigmoid(loadBFloat16(x, xOff + b + i)).intoArray(t, i);
            }
            narrowBFloat16(t, 0, y, yOff + b, n);
        }
    }

    /** |x| below which tanh comes from its odd polynomial, above which from 1 − 2e/(1 + e), e = e^(−2|x|). */
    private static final float TANH_POLY_LIMIT = 0.625f;

    /**
     * tanh|x| in two forms chosen lane by lane, then x's sign bit copied in (so tanh(±0) = ±0; NaN stays NaN).
     * Below 0.9, x + x·s·P(s), s = x², P of degree 6 fitted here for relative error (Lawson-weighted least squares
     * against mpmath, 1.1e-9 before rounding): the correction is at most a fifth of the result, so its roundings
     * stay small and the last one dominates (0.88 ulp, float evaluation emulated at 300,000 points). Above, 1 − t
     * with t = 2e/(1 + e) and e = e^(−2|x|) from the table exponential (within 2 ulp): t's roundings are relative
     * to t, which shrinks as tanh approaches 1, so the error falls from 1.3 ulp at 0.9 to 0.7 from |x| = 2 on and
     * toward 0.5 near saturation — where the backward pass's 1 − y² magnifies it, and where PyTorch's float tanh is
     * as close. Reaches ±1 exactly from |x| ≈ 9.011, where the correctly rounded tanh does. The former form,
     * −m/(2 + m) with m = e^(−2|x|) − 1, was within 2.5 ulp everywhere; a double-precision form (within 0.5004 ulp)
     * ran at 0.37 of the copy bandwidth at 16M floats on two threads; this one costs 12 % more than the former in
     * L1 (3.6 against 4.1 G elements/s per thread; ElementwiseComputeTiming) and met the target in the same run.
     */
    private static FloatVector tanh(FloatVector v) {
        FloatVector a = v.abs();
        FloatVector s = a.mul(a);
        // Horner written out: through the nested poly overloads C2 ran out of inlining depth here.
        FloatVector poly = FloatVector.broadcast(S, -0.005704982206225395f)
                .fma(s, FloatVector.broadcast(S, 0.02063908241689205f))
                .fma(s, FloatVector.broadcast(S, -0.05373971164226532f))
                .fma(s, FloatVector.broadcast(S, 0.13331441581249237f))
                .fma(s, FloatVector.broadcast(S, -0.3333328068256378f));
        // e·2³² from the table form (within 2 ulp): t = 2e′/(2³² + e′), as sigmoid scales its ratio.
        FloatVector e = VectorMath.expNonPositiveScaled(a.mul(-2f));
        FloatVector large = FloatVector.broadcast(S, 1f).sub(e.add(e).div(e.add(VectorMath.EXP_SCALE)));
        FloatVector small = a.mul(s).fma(poly, a);
        return small.blend(large, a.compare(GE, TANH_POLY_LIMIT)).reinterpretAsInts()
                .or(v.reinterpretAsInts().and(SIGN)).reinterpretAsFloats();
    }

    private static void tanhForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            tanh(load(x, xOff + i)).intoArray(y, yOff + i);
        }
    }

    private static void tanhForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                tanh(loadBFloat16(x, xOff + b + i)).intoArray(t, i);
            }
            narrowBFloat16(t, 0, y, yOff + b, n);
        }
    }

    /**
     * x ≤ 0 (−0 included) gives +0 and NaN compares false and is kept: RELU's contract, in two instructions where
     * the lanewise MAX takes six for Math.max's rules.
     */
    private static FloatVector relu(FloatVector v) {
        return v.blend(0f, v.compare(LE, 0f));
    }

    private static void reluForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            relu(load(x, xOff + i)).intoArray(y, yOff + i);
        }
    }

    // ReLU and its gradient in half precision on the bits themselves, no conversion: a half value is kept or replaced
    // by +0 (exact either way), and where widening, the float32 kernel and rounding would give a NaN the bits give
    // the same one (a NaN input quieted with its sign and payload: h | QUIET; the gradient's own NaN, float32's
    // canonical 0x7FC00000 rounded: 0x7FC0 or 0x7E00). A half's sign is its short's: h > 0 as a signed short is x > 0
    // but for the positive NaNs, which the exponent test (|h| above the infinity's bits) separates. Bit for bit the
    // converting kernels' results (HalfActivationSimdTest, every pattern); 32 lanes a vector where those took 16 and
    // fifteen operations for them.

    private static void reluForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        reluForwardBits(x, xOff, y, yOff, bound, (short) 0x7F80, (short) 0x0040);
    }

    private static void reluForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        reluForwardBits(x, xOff, y, yOff, bound, (short) 0x7C00, (short) 0x0200);
    }

    /** ReLU on half bits whose infinity is {@code inf} and whose quiet-NaN bit is {@code quiet}; bound a multiple of L. */
    private static void reluForwardBits(short[] x, int xOff, short[] y, int yOff, int bound, short inf, short quiet) {
        int i = 0;
        for (int b = HS.loopBound(bound); i < b; i += HS.length()) {
            ShortVector h = ShortVector.fromArray(HS, x, xOff + i);
            VectorMask<Short> nan = h.and((short) 0x7FFF).compare(GT, inf);
            h.blend((short) 0, h.compare(LE, (short) 0).andNot(nan)).blend(h.or(quiet), nan).intoArray(y, yOff + i);
        }
        for (; i < bound; i += SH.length()) {
            ShortVector h = ShortVector.fromArray(SH, x, xOff + i);
            VectorMask<Short> nan = h.and((short) 0x7FFF).compare(GT, inf);
            h.blend((short) 0, h.compare(LE, (short) 0).andNot(nan)).blend(h.or(quiet), nan).intoArray(y, yOff + i);
        }
    }


    private static void leakyReluForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            leakyRelu(load(x, xOff + i), p).intoArray(y, yOff + i);
        }
    }

    private static void leakyReluForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            storeBFloat16(leakyRelu(loadBFloat16(x, xOff + i), p), y, yOff + i);
        }
    }

    private static void leakyReluForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(x, xOff + b, t, 0, n);
            leakyReluForward(p, t, 0, t, 0, n);
            narrowFloat16(t, 0, y, yOff + b, n);
        }
    }


    /** α(eˣ − 1) below 0; x ≥ 0 takes x itself, so ELU(±0) = ±0 exactly (expm1 does not keep the sign of a zero). */
    private static FloatVector elu(FloatVector v, float p) {
        return VectorMath.expm1ForNonPositive(v).mul(p).blend(v, v.compare(GE, 0f));
    }

    private static void eluForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            elu(load(x, xOff + i), p).intoArray(y, yOff + i);
        }
    }

    private static void eluForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                elu(loadBFloat16(x, xOff + b + i), p).intoArray(t, i);
            }
            narrowBFloat16(t, 0, y, yOff + b, n);
        }
    }

    /**
     * x·σ(βx) for β ≠ 0, σ by the e^−|·| form as {@link #sigmoid}, written out with no helper but the exponential:
     * through the shared sigmoid helpers C2 once compiled it to a boxed, compute-bound loop (11.7 GB/s at 2 threads
     * against 29 for the flat backward). β = 0 is x/2 ({@link #swishForward}'s other loop).
     */
    private static FloatVector swish(FloatVector v, float p) {
        FloatVector xs = v.mul(p);
        FloatVector e = VectorMath.expNonPositiveScaled(xs.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        FloatVector sg = FloatVector.broadcast(S, VectorMath.EXP_SCALE).blend(e, xs.compare(LT, 0f)).div(e.add(VectorMath.EXP_SCALE));
        return v.mul(sg).blend(0f, sg.compare(EQ, 0f));
    }

    private static void swishForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        if (p == 0f) { // σ(0) = 1/2 everywhere, ±∞ included (0·∞ in βx would give NaN)
            for (int i = 0; i < bound; i += L) {
                load(x, xOff + i).mul(0.5f).intoArray(y, yOff + i);
            }
            return;
        }
        for (int i = 0; i < bound; i += L) {
            swish(load(x, xOff + i), p).intoArray(y, yOff + i);
        }
    }

    private static void swishForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        if (p != 0f) {
            float[] t = BLOCK_SCRATCH.get()[0];
            for (int b = 0; b < bound; b += BLOCK) {
                int n = Math.min(BLOCK, bound - b);
                for (int i = 0; i < n; i += L) {
                    swish(loadBFloat16(x, xOff + b + i), p).intoArray(t, i);
                }
                narrowBFloat16(t, 0, y, yOff + b, n);
            }
        } else {
            halfForwardBf16(p, x, xOff, y, yOff, bound);
        }
    }

    // β = 0 (x/2) in methods of their own, called after the β ≠ 0 loop: in one method with it, or inlined ahead of
    // it, the β = 0 loop's nodes put the β ≠ 0 loop's helpers past C2's inlining cutoff.
    private static void halfForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            storeBFloat16(loadBFloat16(x, xOff + i).mul(0.5f), y, yOff + i);
        }
    }

    private static void halfForwardFp16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(x, xOff + b, t, 0, n);
            for (int i = 0; i < n; i += L) {
                load(t, i).mul(0.5f).intoArray(t, i);
            }
            narrowFloat16(t, 0, y, yOff + b, n);
        }
    }


    /**
     * max(x, 0) + ln(1 + e^−|x|): no overflow for any x, and exactly x for large x; + x where x > 0 by a masked add,
     * one instruction where max(x, 0) then add is three (NaN stays NaN in e).
     */
    private static FloatVector softplus(FloatVector v) {
        FloatVector e = VectorMath.expNonPositiveScaled(v.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        return log1pAtanhScaled(e).add(v, v.compare(GT, 0f));
    }

    private static void softplusForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int i = 0; i < bound; i += L) {
            softplus(load(x, xOff + i)).intoArray(y, yOff + i);
        }
    }

    private static void softplusForwardBf16(float p, short[] x, int xOff, short[] y, int yOff, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                softplus(loadBFloat16(x, xOff + b + i)).intoArray(t, i);
            }
            narrowBFloat16(t, 0, y, yOff + b, n);
        }
    }

    /**
     * x·Φ(x) = x·(1/2 + erf(x/√2)/2), as PyTorch writes it: 1/2 + erf/2 cancels for x < 0, so the result is accurate
     * to about 3·2⁻²⁴·|x| absolute there (the kit's bound is 8), not relative to the tiny x·Φ(x) of the far tail (the
     * scalar kernel's erfc form keeps that). Without an exponential it runs 40 % faster than that form did. The
     * factor x is clamped from below only: beyond the clamps Φ is exactly 0 or 1, so x ≤ −5.5 (−∞ included) gives −0
     * with no ∞·0, and x ≥ 5.5 gives x. Near the clamp the fit can round Φ a hair below 0; |Φ| keeps the result's
     * sign that of x, at the same error. Below −{@value #GELU_TAIL} the kernels replace it by the double tail path
     * ({@link #geluTails}).
     */
    private static FloatVector gelu(FloatVector v) {
        FloatVector lower = v.blend(-GELU_CLAMP, v.compare(LT, -GELU_CLAMP));
        FloatVector xc = lower.blend(GELU_CLAMP, lower.compare(GT, GELU_CLAMP));
        FloatVector out = cdfMinusHalf(xc).add(0.5f).abs().mul(lower);
        return out;
    }

    private static void geluForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int b = 0; b < bound; b += GELU_BLOCK) {
            int end = Math.min(bound, b + GELU_BLOCK);
            boolean tail = false;
            for (int i = b; i < end; i += L) {
                FloatVector v = load(x, xOff + i);
                tail |= v.compare(LT, -GELU_TAIL).anyTrue();
                gelu(v).intoArray(y, yOff + i);
            }
            if (tail) {
                geluTails(TAIL_GELU, x, xOff + b, null, 0, y, yOff + b, end - b);
            }
        }
    }

    /** {@link #geluForward} where y is x's array: each block's results go through scratch, so that x is intact for the tail. */
    private static void geluForwardInPlace(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        float[] t = GELU_SCRATCH.get();
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                gelu(load(x, xOff + b + i)).intoArray(t, i);
            }
            geluTails(TAIL_GELU, x, xOff + b, null, 0, t, 0, n);
            System.arraycopy(t, 0, y, yOff + b, n);
        }
    }

    /** 2√(2/π) and 0.044715 in float, for 2u = 2√(2/π)·x·(1 + 0.044715x²) and its derivative. */
    private static final float GELU_TANH_TWO_SCALE = (float) (2 * ScalarElementwise.GELU_TANH_SCALE);
    private static final float GELU_TANH_CUBIC = (float) ScalarElementwise.GELU_TANH_CUBIC;
    private static final FloatVector GELU_TANH_TWO_SCALE_V = FloatVector.broadcast(S, GELU_TANH_TWO_SCALE);
    private static final FloatVector GELU_TANH_CUBIC_V = FloatVector.broadcast(S, GELU_TANH_CUBIC);
    private static final FloatVector GELU_TANH_CUBIC3_V = FloatVector.broadcast(S, 3 * GELU_TANH_CUBIC);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /**
     * x·σ(2u), u = √(2/π)(x + 0.044715x³), with σ by the e^−|·| form as {@link #sigmoid} (1 + tanh u = 2σ(2u)): no
     * cancellation anywhere, so relative accuracy but for 2u's own rounding (about 2 ulp of 2u, which e^(2u) turns
     * into 10 ulp of the result at x = −3 and 40 at −5.2, where PyTorch's x/2·(1 + tanh u) cancels to 200 ulp and
     * then to 0). The rational fit it replaced kept only absolute accuracy for x &lt; 0 (766 ulp at x = −2.99).
     * Below −{@value #GELU_TAIL} the kernels replace it by the double tail path ({@link #geluTails}); σ is 0 only far
     * below −4 (x = −∞ included).
     */
    private static FloatVector geluTanh(FloatVector v) {
        FloatVector u2 = v.mul(v).fma(GELU_TANH_CUBIC, 1f).mul(v).mul(GELU_TANH_TWO_SCALE);
        FloatVector e = VectorMath.expNonPositiveScaled(u2.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        FloatVector sg = FloatVector.broadcast(S, VectorMath.EXP_SCALE).blend(e, u2.compare(LT, 0f)).div(e.add(VectorMath.EXP_SCALE));
        FloatVector out = v.mul(sg);
        return out;
    }

    private static void geluTanhForward(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        for (int b = 0; b < bound; b += GELU_BLOCK) {
            int end = Math.min(bound, b + GELU_BLOCK);
            boolean tail = false;
            for (int i = b; i < end; i += L) {
                FloatVector v = load(x, xOff + i);
                tail |= v.compare(LT, -GELU_TAIL).anyTrue();
                geluTanh(v).intoArray(y, yOff + i);
            }
            if (tail) {
                geluTails(TAIL_GELU_TANH, x, xOff + b, null, 0, y, yOff + b, end - b);
            }
        }
    }

    /** {@link #geluTanhForward} where y is x's array: each block's results go through scratch, so that x is intact for the tail. */
    private static void geluTanhForwardInPlace(float p, float[] x, int xOff, float[] y, int yOff, int bound) {
        float[] t = GELU_SCRATCH.get();
        for (int b = 0; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                geluTanh(load(x, xOff + b + i)).intoArray(t, i);
            }
            geluTails(TAIL_GELU_TANH, x, xOff + b, null, 0, t, 0, n);
            System.arraycopy(t, 0, y, yOff + b, n);
        }
    }

    /** The bias row is added in one pass and the activation applied in a second, while the row is still in cache. */
    @Override
    public void biasActivation(Activation.Kind kind, float p, float[] z, int zOff, float[] bias, float[] y, int yOff, int n) {
        if (bias != null) {
            binary(Binary.ADD, z, zOff, bias, 0, z, zOff, n);
        }
        activation(kind, p, z, zOff, y, yOff, n);
    }

    // ---- activations backward -----------------------------------------------------------
    //
    // Each kind's gradient is a function of dy and one more vector: y for sigmoid and tanh, x for the others. Its
    // loops read only those two arrays.

    @Override
    public void activationBackward(Activation.Kind kind, float p, float[] dy, float[] x, float[] y, float[] dx, int from, int to) {
        if (kind == Activation.Kind.IDENTITY) {
            if (dy != dx) {
                System.arraycopy(dy, from, dx, from, to - from);
            }
            return;
        }
        int bound = from + S.loopBound(to - from);
        backward(kind, p, dy, x, y, dx, from, bound);
        if (bound < to) {
            // As in activation: the tail in padded vectors, through the same kernel.
            int n = to - bound;
            float[] tdy = padded(dy, bound, n);
            backward(kind, p, tdy, padded(x, bound, n), padded(y, bound, n), tdy, 0, L);
            System.arraycopy(tdy, 0, dx, bound, n);
        }
    }

    private static void backward(Activation.Kind kind, float p, float[] dy, float[] x, float[] y, float[] dx, int from, int bound) {
        switch (kind) {
            case IDENTITY -> throw new AssertionError("identity is a copy");
            case SIGMOID -> sigmoidBackward(p, dy, y, dx, from, bound);
            case TANH -> tanhBackward(p, dy, y, dx, from, bound);
            case RELU -> reluBackward(p, dy, x, dx, from, bound);
            case LEAKY_RELU -> leakyReluBackward(p, dy, x, dx, from, bound);
            case ELU -> eluBackward(p, dy, x, dx, from, bound);
            case SWISH -> swishBackward(p, dy, x, dx, from, bound);
            case SOFTPLUS -> softplusBackward(p, dy, x, dx, from, bound);
            case GELU -> {
                if (dx == x || dx == dy) {
                    geluBackwardInPlace(p, dy, x, dx, from, bound);
                } else {
                    geluBackward(p, dy, x, dx, from, bound);
                }
            }
            case GELU_TANH -> {
                if (dx == x || dx == dy) {
                    geluTanhBackwardInPlace(p, dy, x, dx, from, bound);
                } else {
                    geluTanhBackward(p, dy, x, dx, from, bound);
                }
            }
        }
    }

    /** The float32 kernel on half-precision storage, converted in registers; the tail in padded vectors. */
    @Override
    public void halfActivationBackward(boolean bf16, Activation.Kind kind, float p, short[] dy, short[] x, short[] y,
                                       short[] dx, int from, int to) {
        int bound = from + S.loopBound(to - from);
        backwardHalf(bf16, kind, p, dy, x, y, dx, from, bound);
        if (bound < to) {
            int n = to - bound;
            short[] tdy = paddedShorts(dy, bound, n);
            backwardHalf(bf16, kind, p, tdy, paddedShorts(x, bound, n), paddedShorts(y, bound, n), tdy, 0, L);
            System.arraycopy(tdy, 0, dx, bound, n);
        }
    }

    private static void backwardHalf(boolean bf, Activation.Kind kind, float p, short[] dy, short[] x, short[] y, short[] dx,
                                     int from, int bound) {
        if (bf) {
            backwardBf16(kind, p, dy, x, y, dx, from, bound);
        } else {
            backwardFp16(kind, p, dy, x, y, dx, from, bound);
        }
    }

    private static void backwardBf16(Activation.Kind kind, float p, short[] dy, short[] x, short[] y, short[] dx, int from, int bound) {
        switch (kind) {
            // dx = dy, through widening and narrowing (a signalling NaN comes back quiet).
            case IDENTITY -> identityForwardBf16(p, dy, from, dx, from, bound - from);
            case SIGMOID -> sigmoidBackwardBf16(p, dy, y, dx, from, bound);
            case TANH -> tanhBackwardBf16(p, dy, y, dx, from, bound);
            case RELU -> reluBackwardBf16(p, dy, x, dx, from, bound);
            case LEAKY_RELU -> leakyReluBackwardBf16(p, dy, x, dx, from, bound);
            case ELU -> eluBackwardBf16(p, dy, x, dx, from, bound);
            case SWISH -> swishBackwardBf16(p, dy, x, dx, from, bound);
            case SOFTPLUS -> softplusBackwardBf16(p, dy, x, dx, from, bound);
            case GELU -> geluBackwardHalf(true, p, dy, x, dx, from, bound);
            case GELU_TANH -> geluTanhBackwardHalf(true, p, dy, x, dx, from, bound);
        }
    }

    private static void backwardFp16(Activation.Kind kind, float p, short[] dy, short[] x, short[] y, short[] dx, int from, int bound) {
        switch (kind) {
            case IDENTITY -> identityForwardFp16(p, dy, from, dx, from, bound - from);
            case SIGMOID -> sigmoidBackwardFp16(p, dy, y, dx, from, bound);
            case TANH -> tanhBackwardFp16(p, dy, y, dx, from, bound);
            case RELU -> reluBackwardFp16(p, dy, x, dx, from, bound);
            case LEAKY_RELU -> leakyReluBackwardFp16(p, dy, x, dx, from, bound);
            case ELU -> eluBackwardFp16(p, dy, x, dx, from, bound);
            case SWISH -> {
                if (p != 0f) {
                    swishBackwardFp16(p, dy, x, dx, from, bound);
                } else {
                    swishZeroBackwardFp16(dy, x, dx, from, bound);
                }
            }
            case SOFTPLUS -> softplusBackwardFp16(p, dy, x, dx, from, bound);
            case GELU -> geluBackwardHalf(false, p, dy, x, dx, from, bound);
            case GELU_TANH -> geluTanhBackwardHalf(false, p, dy, x, dx, from, bound);
        }
    }

    /** dy·y(1 − y). */
    private static FloatVector sigmoidGradient(FloatVector dy, FloatVector y) {
        return dy.mul(y.mul(FloatVector.broadcast(S, 1f).sub(y)));
    }

    private static void sigmoidBackward(float p, float[] dy, float[] y, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            sigmoidGradient(load(dy, i), load(y, i)).intoArray(dx, i);
        }
    }

    private static void sigmoidBackwardBf16(float p, short[] dy, short[] y, short[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            storeBFloat16(sigmoidGradient(loadBFloat16(dy, i), loadBFloat16(y, i)), dx, i);
        }
    }

    private static void sigmoidBackwardFp16(float p, short[] dy, short[] y, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(dy, b, t[0], 0, n);
            widenFloat16(y, b, t[1], 0, n);
            sigmoidBackward(p, t[0], t[1], t[0], 0, n);
            narrowFloat16(t[0], 0, dx, b, n);
        }
    }


    /**
     * dy·(1 − y)(1 + y): 1 − y is exact for y in [1/2, 1] (Sterbenz), so near saturation the slope keeps its
     * relative accuracy, which 1 − y·y loses to y·y's rounding (PyTorch's form).
     */
    private static FloatVector tanhGradient(FloatVector dy, FloatVector y) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        return dy.mul(one.sub(y).mul(one.add(y)));
    }

    private static void tanhBackward(float p, float[] dy, float[] y, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            tanhGradient(load(dy, i), load(y, i)).intoArray(dx, i);
        }
    }

    private static void tanhBackwardBf16(float p, short[] dy, short[] y, short[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            storeBFloat16(tanhGradient(loadBFloat16(dy, i), loadBFloat16(y, i)), dx, i);
        }
    }

    private static void tanhBackwardFp16(float p, short[] dy, short[] y, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(dy, b, t[0], 0, n);
            widenFloat16(y, b, t[1], 0, n);
            tanhBackward(p, t[0], t[1], t[0], 0, n);
            narrowFloat16(t[0], 0, dx, b, n);
        }
    }


    private static void reluBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            reluDerivative(load(dy, i), load(x, i)).intoArray(dx, i);
        }
    }

    private static void reluBackwardBf16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        reluBackwardBits(dy, x, dx, from, bound, (short) 0x7F80, (short) 0x0040, (short) 0x7FC0);
    }

    private static void reluBackwardFp16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        reluBackwardBits(dy, x, dx, from, bound, (short) 0x7C00, (short) 0x0200, (short) 0x7E00);
    }

    /**
     * {@link #reluDerivative} on half bits (see {@link #reluForwardBits}): dy where x &gt; 0 (a NaN dy quieted), +0
     * where x ≤ 0 and dy is not NaN, else {@code nan}, float32's canonical NaN rounded.
     */
    private static void reluBackwardBits(short[] dy, short[] x, short[] dx, int from, int bound, short inf, short quiet,
                                         short nan) {
        int i = from;
        for (int b = from + HS.loopBound(bound - from); i < b; i += HS.length()) {
            ShortVector d = ShortVector.fromArray(HS, dy, i);
            ShortVector h = ShortVector.fromArray(HS, x, i);
            VectorMask<Short> xNaN = h.and((short) 0x7FFF).compare(GT, inf);
            VectorMask<Short> dNaN = d.and((short) 0x7FFF).compare(GT, inf);
            VectorMask<Short> pos = h.compare(GT, (short) 0).andNot(xNaN);
            VectorMask<Short> zero = h.compare(LE, (short) 0).andNot(xNaN).andNot(dNaN);
            ShortVector.broadcast(HS, nan).blend((short) 0, zero).blend(d.blend(d.or(quiet), dNaN), pos).intoArray(dx, i);
        }
        for (; i < bound; i += SH.length()) {
            ShortVector d = ShortVector.fromArray(SH, dy, i);
            ShortVector h = ShortVector.fromArray(SH, x, i);
            VectorMask<Short> xNaN = h.and((short) 0x7FFF).compare(GT, inf);
            VectorMask<Short> dNaN = d.and((short) 0x7FFF).compare(GT, inf);
            VectorMask<Short> pos = h.compare(GT, (short) 0).andNot(xNaN);
            VectorMask<Short> zero = h.compare(LE, (short) 0).andNot(xNaN).andNot(dNaN);
            ShortVector.broadcast(SH, nan).blend((short) 0, zero).blend(d.blend(d.or(quiet), dNaN), pos).intoArray(dx, i);
        }
    }


    private static void leakyReluBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            leakyReluDerivative(load(dy, i), load(x, i), p).intoArray(dx, i);
        }
    }

    private static void leakyReluBackwardBf16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            storeBFloat16(leakyReluDerivative(loadBFloat16(dy, i), loadBFloat16(x, i), p), dx, i);
        }
    }

    private static void leakyReluBackwardFp16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(dy, b, t[0], 0, n);
            widenFloat16(x, b, t[1], 0, n);
            leakyReluBackward(p, t[0], t[1], t[0], 0, n);
            narrowFloat16(t[0], 0, dx, b, n);
        }
    }


    /**
     * dy where x > 0, else dy·α·eˣ with the faithful exponential: from x rather than the saved y, because y + α
     * cancels for x ≪ 0 (1.2e6 ulp at x = −14.8, where PyTorch, also from x, is within 1.4). Positive lanes are
     * blended away; their exponent is taken of −|x| so that it stays in range.
     */
    private static FloatVector eluGradient(FloatVector g, FloatVector v, float p) {
        FloatVector e = VectorMath.expNonPositive(v.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        return g.mul(e.mul(p)).blend(g, v.compare(GT, 0f));
    }

    private static void eluBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            eluGradient(load(dy, i), load(x, i), p).intoArray(dx, i);
        }
    }

    private static void eluBackwardBf16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                eluGradient(loadBFloat16(dy, b + i), loadBFloat16(x, b + i), p).intoArray(t, i);
            }
            narrowBFloat16(t, 0, dx, b, n);
        }
    }

    /** β = 0: f' = σ(0) = 1/2 for every x, ±∞ included; NaN in x still gives NaN. */
    private static FloatVector swishZeroGradient(FloatVector dy, FloatVector v) {
        return dy.mul(0.5f).blend(v, v.compare(NE, v));
    }

    /** dy·σ(βx)·(1 + βx·(1 − σ(βx))), the slope by {@link #sigmoidSlopeFactored}. */
    private static FloatVector swishGradient(FloatVector dy, FloatVector v, float p) {
        FloatVector bx = v.mul(p);
        return dy.mul(sigmoidSlopeFactored(bx, bx));
    }

    private static void swishBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        if (p == 0f) {
            for (int i = from; i < bound; i += L) {
                swishZeroGradient(load(dy, i), load(x, i)).intoArray(dx, i);
            }
            return;
        }
        for (int i = from; i < bound; i += L) {
            swishGradient(load(dy, i), load(x, i), p).intoArray(dx, i);
        }
    }

    private static void swishBackwardBf16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        if (p != 0f) {
            float[] t = BLOCK_SCRATCH.get()[0];
            for (int b = from; b < bound; b += BLOCK) {
                int n = Math.min(BLOCK, bound - b);
                for (int i = 0; i < n; i += L) {
                    swishGradient(loadBFloat16(dy, b + i), loadBFloat16(x, b + i), p).intoArray(t, i);
                }
                narrowBFloat16(t, 0, dx, b, n);
            }
        } else {
            swishZeroBackwardBf16(dy, x, dx, from, bound);
        }
    }

    private static void swishZeroBackwardBf16(short[] dy, short[] x, short[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            storeBFloat16(swishZeroGradient(loadBFloat16(dy, i), loadBFloat16(x, i)), dx, i);
        }
    }

    private static void swishZeroBackwardFp16(short[] dy, short[] x, short[] dx, int from, int bound) {
        float[][] t = BLOCK_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            widenFloat16(dy, b, t[0], 0, n);
            widenFloat16(x, b, t[1], 0, n);
            swishBackward(0f, t[0], t[1], t[0], 0, n);
            narrowFloat16(t[0], 0, dx, b, n);
        }
    }


    /**
     * σ(a)·(1 + w·(1 − σ(a))), the slope of x·σ(a(x)) with w = x·a′(x) (swish: a = w = βx; tanh-GELU: a = 2u), free of
     * cancellation but for the slope's own zero: with e = e^(−|a|) and r = 1/(1 + e) it is e·r²·((1 + w) + e) for
     * a &lt; 0 and r²·(1 + e·(1 + w)) for a ≥ 0, where 1 + w is exact near the zero (w in [−2, −1/2], Sterbenz) and
     * the one rounding there is relative to the small result. The sum σ + w·σ(1 − σ) cancelled at σ's magnitude, and
     * σ·(1 + w·r) carried r's rounding into it: four and then three times PyTorch's error at swish's zero,
     * βx ≈ −1.278; this one is within it. Limits: 0 where σ is 0 (a → −∞), σ where 1 − σ is 0 (a → +∞).
     */
    private static FloatVector sigmoidSlopeFactored(FloatVector a, FloatVector w) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector e = VectorMath.expNonPositiveFast(a.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        FloatVector r = one.div(e.add(1f));
        FloatVector r2 = r.mul(r);
        FloatVector onePlusW = w.add(1f);
        VectorMask<Float> negative = a.compare(LT, 0f);
        VectorMask<Float> saturated = e.compare(EQ, 0f);
        FloatVector below = onePlusW.add(e).mul(e).mul(r2).blend(0f, saturated);
        FloatVector above = e.fma(onePlusW, one).blend(one, saturated).mul(r2);
        return above.blend(below, negative);
    }

    /** dy·σ(x), σ as in {@link #sigmoid}. */
    private static FloatVector softplusGradient(FloatVector dy, FloatVector v) {
        FloatVector e = VectorMath.expNonPositiveScaled(v.reinterpretAsInts().or(SIGN).reinterpretAsFloats());
        FloatVector sigma = FloatVector.broadcast(S, VectorMath.EXP_SCALE).blend(e, v.compare(LT, 0f)).div(e.add(VectorMath.EXP_SCALE));
        return dy.mul(sigma);
    }

    private static void softplusBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int i = from; i < bound; i += L) {
            softplusGradient(load(dy, i), load(x, i)).intoArray(dx, i);
        }
    }

    private static void softplusBackwardBf16(float p, short[] dy, short[] x, short[] dx, int from, int bound) {
        float[] t = BLOCK_SCRATCH.get()[0];
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                softplusGradient(loadBFloat16(dy, b + i), loadBFloat16(x, b + i)).intoArray(t, i);
            }
            narrowBFloat16(t, 0, dx, b, n);
        }
    }

    /** dy·GELU′(x): beyond the clamp GELU′ is 0 or 1 to float precision, and ±∞ give dy·0 or dy. */
    private static FloatVector geluGradient(FloatVector dy, FloatVector v) {
        FloatVector slope = geluSlope(clamp(v, GELU_SLOPE_CLAMP));
        return dy.mul(slope);
    }

    private static void geluBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int b = from; b < bound; b += GELU_BLOCK) {
            int end = Math.min(bound, b + GELU_BLOCK);
            boolean tail = false;
            for (int i = b; i < end; i += L) {
                FloatVector v = load(x, i);
                tail |= v.compare(LT, -GELU_TAIL).anyTrue();
                geluGradient(load(dy, i), v).intoArray(dx, i);
            }
            if (tail) {
                geluTails(TAIL_GELU_SLOPE, x, b, dy, b, dx, b, end - b);
            }
        }
    }

    /** {@link #geluBackward} where dx is dy's or x's array: each block's results go through scratch (x and dy intact for the tail). */
    private static void geluBackwardInPlace(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        float[] t = GELU_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                geluGradient(load(dy, b + i), load(x, b + i)).intoArray(t, i);
            }
            geluTails(TAIL_GELU_SLOPE, x, b, dy, b, t, 0, n);
            System.arraycopy(t, 0, dx, b, n);
        }
    }

    /**
     * dy·σ(2u)·(1 + x·2u′·(1 − σ(2u))), 2u′ = 2√(2/π)(1 + 3·0.044715x²), the slope by {@link #sigmoidSlopeFactored}
     * (its zero is at x ≈ −0.75, where the rational fit it replaced was 4.5 times PyTorch's error). The double tail
     * path below −{@value #GELU_TAIL}.
     */
    private static FloatVector geluTanhGradient(FloatVector dy, FloatVector v) {
        // The constants as vectors: the float16 kernel reaches the exponential's last helper about 200 nodes short of
        // C2's inlining cutoff with them (the scalar forms, the same operations, passed it).
        FloatVector square = v.mul(v);
        FloatVector u2 = square.fma(GELU_TANH_CUBIC_V, ONE).mul(v).mul(GELU_TANH_TWO_SCALE_V);
        FloatVector w = square.fma(GELU_TANH_CUBIC3_V, ONE).mul(GELU_TANH_TWO_SCALE_V).mul(v);
        FloatVector slope = sigmoidSlopeFactored(u2, w);
        return dy.mul(slope);
    }

    private static void geluTanhBackward(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        for (int b = from; b < bound; b += GELU_BLOCK) {
            int end = Math.min(bound, b + GELU_BLOCK);
            boolean tail = false;
            for (int i = b; i < end; i += L) {
                FloatVector v = load(x, i);
                tail |= v.compare(LT, -GELU_TAIL).anyTrue();
                geluTanhGradient(load(dy, i), v).intoArray(dx, i);
            }
            if (tail) {
                geluTails(TAIL_GELU_TANH_SLOPE, x, b, dy, b, dx, b, end - b);
            }
        }
    }

    /** {@link #geluTanhBackward} where dx is dy's or x's array: each block's results go through scratch (x and dy intact for the tail). */
    private static void geluTanhBackwardInPlace(float p, float[] dy, float[] x, float[] dx, int from, int bound) {
        float[] t = GELU_SCRATCH.get();
        for (int b = from; b < bound; b += BLOCK) {
            int n = Math.min(BLOCK, bound - b);
            for (int i = 0; i < n; i += L) {
                geluTanhGradient(load(dy, b + i), load(x, b + i)).intoArray(t, i);
            }
            geluTails(TAIL_GELU_TANH_SLOPE, x, b, dy, b, t, 0, n);
            System.arraycopy(t, 0, dx, b, n);
        }
    }

    // ---- arithmetic -------------------------------------------------------------------

    @Override
    public void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += L) {
                    load(a, aOff + i).add(load(b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += L) {
                    load(a, aOff + i).sub(load(b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += L) {
                    load(a, aOff + i).mul(load(b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += L) {
                    load(a, aOff + i).div(load(b, bOff + i)).intoArray(out, outOff + i);
                }
            }
        }
        if (i < n) {
            ScalarElementwise.INSTANCE.binary(op, a, aOff + i, b, bOff + i, out, outOff + i, n - i);
        }
    }

    /**
     * bfloat16 converted in registers: two loads widened, the float32 operation, the rounding, in one loop per
     * operation (the float32 kernel's bits, then one rounding); float16 through the interface's blocks in L1.
     */
    @Override
    public void halfBinary(Binary op, boolean bf16, short[] a, int aOff, short[] b, int bOff, short[] out, int outOff,
                           int n) {
        if (!bf16) {
            Elementwise.super.halfBinary(op, false, a, aOff, b, bOff, out, outOff, n);
            return;
        }
        int i = 0;
        int bound = S.loopBound(n);
        switch (op) {
            case ADD -> {
                for (; i < bound; i += L) {
                    storeBFloat16(loadBFloat16(a, aOff + i).add(loadBFloat16(b, bOff + i)), out, outOff + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += L) {
                    storeBFloat16(loadBFloat16(a, aOff + i).sub(loadBFloat16(b, bOff + i)), out, outOff + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += L) {
                    storeBFloat16(loadBFloat16(a, aOff + i).mul(loadBFloat16(b, bOff + i)), out, outOff + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += L) {
                    storeBFloat16(loadBFloat16(a, aOff + i).div(loadBFloat16(b, bOff + i)), out, outOff + i);
                }
            }
        }
        if (i < n) {
            Elementwise.super.halfBinary(op, true, a, aOff + i, b, bOff + i, out, outOff + i, n - i);
        }
    }

    /** bfloat16 widened, multiplied and rounded in registers (the float32 kernel's bits, then one rounding). */
    @Override
    public void halfScale(float s, boolean bf16, short[] x, int xOff, short[] out, int outOff, int n) {
        if (!bf16) {
            Elementwise.super.halfScale(s, false, x, xOff, out, outOff, n);
            return;
        }
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            storeBFloat16(loadBFloat16(x, xOff + i).mul(s), out, outOff + i);
        }
        if (i < n) {
            Elementwise.super.halfScale(s, true, x, xOff + i, out, outOff + i, n - i);
        }
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            load(x, xOff + i).mul(s).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = s * x[xOff + i];
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            // Multiply then add, two roundings, exactly as the scalar loop does.
            load(x, xOff + i).mul(alpha).add(load(y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public float max(float[] x, int off, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += L) {
                acc = acc.max(load(x, off + i));
            }
            m = acc.reduceLanes(MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    /** A lane's exponent field all ones, tested per vector: a not-finite value ends the scan at its vector. */
    @Override
    public boolean allFinite(float[] x, int off, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            if (load(x, off + i).reinterpretAsInts().and(0x7F80_0000).compare(EQ, 0x7F80_0000).anyTrue()) {
                return false;
            }
        }
        return ScalarElementwise.INSTANCE.allFinite(x, off + i, n - i);
    }

    @Override
    public boolean allFiniteHalf(boolean bf16, short[] h, int off, int n) {
        short exponent = (short) (bf16 ? 0x7F80 : 0x7C00);
        int i = 0;
        for (int bound = HS.loopBound(n); i < bound; i += HS.length()) {
            if (ShortVector.fromArray(HS, h, off + i).and(exponent).compare(EQ, exponent).anyTrue()) {
                return false;
            }
        }
        return ScalarElementwise.INSTANCE.allFiniteHalf(bf16, h, off + i, n - i);
    }

    // ---- softmax pieces ---------------------------------------------------------------

    /**
     * Pairs of vectors per block of the exponential sums: a block's pair sums are added in float (each lane adds
     * 2·SUM_BLOCK terms in [0, 1]: 16·2⁻²⁴ relative at most), and only the block goes to double. Converting every
     * pair cost C2 a permute, a blend and two moves for the upper half plus two double adds per 2L elements.
     */
    private static final int SUM_BLOCK = 8;

    /**
     * Σ e^(x − shift) in double, the exponentials stored into y when it is given. Vectors are added in pairs in
     * float, the pairs in float over blocks of {@link #SUM_BLOCK}, and each block is converted to double and added
     * (ELEMENTWISE-NOTES.md). {@link #expStoreSumMaxNext} sums the same way.
     * The exponential is the table one (within 2 ulp; the kit allows softmax's exp 4): softmax cross-entropy over
     * rows in L2 went from 2.15 to 2.45 G elements/s.
     */
    @Override
    public double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        int i = 0;
        DoubleVector acc = DoubleVector.zero(D);
        int bound = S.loopBound(n);
        for (int pairs = bound - bound % (2 * L); i < pairs; ) {
            FloatVector block = FloatVector.zero(S);
            for (int end = Math.min(pairs, i + 2 * L * SUM_BLOCK); i < end; i += 2 * L) {
                FloatVector e = VectorMath.expNonPositiveFast(load(x, xOff + i).sub(shift));
                FloatVector e1 = VectorMath.expNonPositiveFast(load(x, xOff + i + L).sub(shift));
                if (y != null) {
                    e.intoArray(y, yOff + i);
                    e1.intoArray(y, yOff + i + L);
                }
                block = block.add(e.add(e1));
            }
            acc = addAsDouble(acc, block);
        }
        for (; i < bound; i += L) {
            FloatVector e = VectorMath.expNonPositiveFast(load(x, xOff + i).sub(shift));
            if (y != null) {
                e.intoArray(y, yOff + i);
            }
            acc = addAsDouble(acc, e);
        }
        double sum = acc.reduceLanes(ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - shift);
            if (y != null) {
                y[yOff + i] = e;
            }
            sum += e;
        }
        return sum;
    }

    /**
     * Rows pipelined: while row r's exponentials are computed from L1 (its max pass brought it there), the
     * same loop reads row r + 1 from memory for its max, so the memory stream overlaps the exp work instead of
     * alternating with it. Every value is formed exactly as in the default (max lanes and tail, the double
     * sum's order, the scale), so the bits are the same.
     */
    @Override
    public void softmaxCrossEntropyLabelRows(float[] x, int[] labels, float[] g, double gradScale, double[] rowLoss,
                                             int r0, int r1, int c) {
        int bound = S.loopBound(c);
        if (r0 >= r1 || g == null || bound == 0) {
            Elementwise.super.softmaxCrossEntropyLabelRows(x, labels, g, gradScale, rowLoss, r0, r1, c);
            return;
        }
        float[] nextMax = new float[1];
        float m = max(x, r0 * c, c);
        for (int r = r0; r < r1; r++) {
            int off = r * c;
            int label = labels[r];
            float atLabel = x[off + label];
            // The last row reads itself as the "next" row, whose max goes unused: every row takes the same compiled
            // loop. Through expSum, the last row of each range ran on boxed vectors in one measured JVM, and the op at
            // half speed: C2 compiled expSum into this method without its exponential, "already compiled into a
            // medium method" (ELEMENTWISE-NOTES.md).
            int next = r + 1 < r1 ? off + c : off;
            double s = expStoreSumMaxNext(x, off, m, g, next, bound, nextMax);
            for (int i = bound; i < c; i++) {
                float e = (float) Math.exp(x[off + i] - m);
                g[off + i] = e;
                s += e;
            }
            float mn = nextMax[0];
            for (int j = bound; j < c; j++) {
                mn = Math.max(mn, x[next + j]);
            }
            nextMax[0] = mn;
            if (rowLoss != null) {
                rowLoss[r] = ((double) m - atLabel) + Math.log(s);
            }
            scale((float) (gradScale / s), g, off, g, off, c);
            g[off + label] -= (float) gradScale;
            m = nextMax[0];
        }
    }

    /**
     * The vector part of {@link #expSum} storing into g (same lanes, same pairs, same order of the sums), with the
     * max of the next row's vector part written to maxOut[0]. That max is a compare-and-blend, two instructions
     * against the six of a lanewise MAX: it skips NaN, where {@link #max} returns NaN, but a row holding a NaN
     * gives an all-NaN gradient and loss either way (its exponential is NaN, so is the sum), and the ±0 it may
     * pick instead of +0 shifts every logit by the same zero.
     */
    private static double expStoreSumMaxNext(float[] x, int off, float m, float[] g, int next, int bound, float[] maxOut) {
        DoubleVector acc = DoubleVector.zero(D);
        FloatVector nm = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int pairs = bound - bound % (2 * L); i < pairs; ) {
            FloatVector block = FloatVector.zero(S);
            for (int end = Math.min(pairs, i + 2 * L * SUM_BLOCK); i < end; i += 2 * L) {
                FloatVector xn = FloatVector.fromArray(S, x, next + i);
                nm = nm.blend(xn, xn.compare(GT, nm));
                FloatVector xn1 = FloatVector.fromArray(S, x, next + i + L);
                nm = nm.blend(xn1, xn1.compare(GT, nm));
                FloatVector e = VectorMath.expNonPositiveFast(FloatVector.fromArray(S, x, off + i).sub(m));
                e.intoArray(g, off + i);
                FloatVector e1 = VectorMath.expNonPositiveFast(FloatVector.fromArray(S, x, off + i + L).sub(m));
                e1.intoArray(g, off + i + L);
                block = block.add(e.add(e1));
            }
            acc = acc.add((DoubleVector) block.convertShape(F2D, D, 0)).add((DoubleVector) block.convertShape(F2D, D, 1));
        }
        for (; i < bound; i += L) {
            FloatVector xn = FloatVector.fromArray(S, x, next + i);
            nm = nm.blend(xn, xn.compare(GT, nm));
            FloatVector e = VectorMath.expNonPositiveFast(FloatVector.fromArray(S, x, off + i).sub(m));
            e.intoArray(g, off + i);
            acc = acc.add((DoubleVector) e.convertShape(F2D, D, 0)).add((DoubleVector) e.convertShape(F2D, D, 1));
        }
        maxOut[0] = nm.reduceLanes(MAX);
        return acc.reduceLanes(ADD);
    }

    @Override
    public void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            VectorMath.expNonPositive(load(x, xOff + i).sub(shift)).mul(factor).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = (float) Math.exp(x[xOff + i] - shift) * factor;
        }
    }

    @Override
    public void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            load(x, xOff + i).sub(a).sub(b).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = (x[xOff + i] - a) - b;
        }
    }

    @Override
    public double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        DoubleVector acc = DoubleVector.zero(D);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector va = load(a, aOff + i);
            FloatVector vb = load(b, bOff + i);
            // Products in double, as in the scalar loop: widen both factors first.
            for (int part = 0; part < 2; part++) {
                DoubleVector da = (DoubleVector) va.convertShape(F2D, D, part);
                DoubleVector db = (DoubleVector) vb.convertShape(F2D, D, part);
                acc = da.fma(db, acc);
            }
        }
        double sum = acc.reduceLanes(ADD);
        for (; i < n; i++) {
            sum += (double) a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    public void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n) {
        int i = off;
        int end = off + n;
        int bound = off + S.loopBound(n);
        if (log) {
            for (; i < bound; i += L) {
                if (load(y, i).compare(GT, 88f).anyTrue()) {
                    // Not log-probabilities (those are ≤ 0), and past expNonPositive's domain: the scalar path's
                    // Math.exp gives these lanes the overflowing exponential they ask for.
                    ScalarElementwise.INSTANCE.softmaxGradient(true, s, dy, y, dx, i, L);
                    continue;
                }
                load(dy, i).sub(VectorMath.expNonPositive(load(y, i)).mul(s)).intoArray(dx, i);
            }
        } else {
            for (; i < bound; i += L) {
                load(y, i).mul(load(dy, i).sub(s)).intoArray(dx, i);
            }
        }
        if (i < end) {
            ScalarElementwise.INSTANCE.softmaxGradient(log, s, dy, y, dx, i, end - i);
        }
    }

    // ---- losses -----------------------------------------------------------------------

    // One loop per kind, as for the activations: a switch inside the loop merges the kinds' vectors
    // in phis, which the JIT may box (the loss loop ran at about a tenth of the bandwidth).
    @Override
    public double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale, int from, int to) {
        int bound = from + S.loopBound(to - from);
        double sum = switch (kind) {
            case MSE -> mseLoss(pred, target, grad, gradScale, from, bound);
            case MAE -> maeLoss(pred, target, grad, gradScale, from, bound);
            case HUBER -> huberLoss(delta, pred, target, grad, gradScale, from, bound);
            case BINARY_CROSS_ENTROPY -> bceLoss(pred, target, grad, gradScale, from, bound);
            case BINARY_CROSS_ENTROPY_WITH_LOGITS -> bceLogitsLoss(pred, target, grad, gradScale, from, bound);
        };
        if (bound < to) {
            sum += ScalarElementwise.INSTANCE.loss(kind, delta, pred, target, grad, gradScale, bound, to);
        }
        return sum;
    }

    private static double mseLoss(float[] pred, float[] target, float[] grad, float gradScale, int from, int bound) {
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = from; i < bound; i += L) {
            FloatVector d = load(pred, i).sub(load(target, i));
            // d² in double, exact (as the scalar kernel's): in float it overflows for |d| > 1.8e19, where the mean
            // need not.
            DoubleVector lo = (DoubleVector) d.convertShape(F2D, D, 0);
            DoubleVector hi = (DoubleVector) d.convertShape(F2D, D, 1);
            acc = lo.fma(lo, acc).add(hi.mul(hi));
            if (grad != null) {
                d.mul(2f).mul(gradScale).intoArray(grad, i);
            }
        }
        return acc.reduceLanes(ADD);
    }

    private static double maeLoss(float[] pred, float[] target, float[] grad, float gradScale, int from, int bound) {
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = from; i < bound; i += L) {
            FloatVector d = load(pred, i).sub(load(target, i));
            acc = addAsDouble(acc, d.abs());
            if (grad != null) {
                signum(d).mul(gradScale).intoArray(grad, i);
            }
        }
        return acc.reduceLanes(ADD);
    }

    private static double huberLoss(float delta, float[] pred, float[] target, float[] grad, float gradScale, int from, int bound) {
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = from; i < bound; i += L) {
            FloatVector d = load(pred, i).sub(load(target, i));
            FloatVector ad = d.abs();
            VectorMask<Float> small = ad.compare(LE, delta);
            // Each element's loss in double, as the scalar kernel's (the same bits): in float, d² and the linear
            // branch overflow for huge |d|, where the mean need not.
            for (int part = 0; part < 2; part++) {
                DoubleVector a = (DoubleVector) ad.convertShape(F2D, D, part);
                DoubleVector quadratic = a.mul(a).mul(0.5);
                DoubleVector linear = a.sub(0.5 * delta).mul(delta);
                acc = acc.add(linear.blend(quadratic, a.compare(LE, (double) delta)));
            }
            if (grad != null) {
                signum(d).mul(delta).blend(d, small).mul(gradScale).intoArray(grad, i);
            }
        }
        return acc.reduceLanes(ADD);
    }

    /** Elements per L1 tile of the two-loop losses. */
    private static final int TILE = 1024;

    /**
     * Binary cross-entropy in two loops per L1 tile, one logarithm each: a single loop with both
     * logarithms, the division and the double sum exceeded C2's inlining node budget
     * (NodeCountInliningCutoff) and boxed vectors. The lanewise LOG (SVML, about 1 ulp) stays: on
     * this machine it runs at about 1.2–1.5 G/s, faster than a written-out log (0.8 G/s, 3 ulp).
     */
    private static double bceLoss(float[] pred, float[] target, float[] grad, float gradScale, int from, int bound) {
        float[] part = new float[TILE];
        double sum = 0;
        for (int t0 = from; t0 < bound; t0 += TILE) {
            int t1 = Math.min(bound, t0 + TILE);
            bcePositive(pred, target, grad, gradScale, part, t0, t1);
            sum += bceNegative(pred, target, part, t0, t1);
        }
        return sum;
    }

    /**
     * part = t·max(ln p, −100), and the gradient (p − t)/max(p·(1 − p), 1e-12)·gradScale (NaN where p(1 − p) &lt; 0, p
     * outside [0, 1], as the loss there).
     */
    private static void bcePositive(float[] pred, float[] target, float[] grad, float gradScale, float[] part, int from, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = from; i < bound; i += L) {
            FloatVector p = load(pred, i);
            FloatVector t = load(target, i);
            t.mul(p.lanewise(LOG).max(-100f)).intoArray(part, i - from);
            if (grad != null) {
                FloatVector q = p.mul(one.sub(p));
                p.sub(t).div(q.max(1e-12f)).mul(gradScale).blend(Float.NaN, q.compare(LT, 0f)).intoArray(grad, i);
            }
        }
    }

    /**
     * Σ −(part + (1 − t)·max(ln(1 − p), −100)), ln(1 − p) as log1p(−p): 1 − p rounded to float first loses p below
     * 2⁻²⁴ entirely (for p in [1e-8, 1e-7] against t = 0 the loss was 4 % off, where the scalar kernel's is exact).
     */
    private static double bceNegative(float[] pred, float[] target, float[] part, int from, int bound) {
        DoubleVector acc = DoubleVector.zero(D);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = from; i < bound; i += L) {
            FloatVector q = load(pred, i).neg().lanewise(LOG1P);
            FloatVector l = load(part, i - from).add(one.sub(load(target, i)).mul(q.max(-100f))).neg();
            acc = acc.add((DoubleVector) l.convertShape(F2D, D, 0)).add((DoubleVector) l.convertShape(F2D, D, 1));
        }
        return acc.reduceLanes(ADD);
    }

    /** BCE on logits in two loops per L1 tile (the single loop hit the inlining node budget too). */
    private static double bceLogitsLoss(float[] pred, float[] target, float[] grad, float gradScale, int from, int bound) {
        float[] part = new float[TILE];
        double sum = 0;
        for (int t0 = from; t0 < bound; t0 += TILE) {
            int t1 = Math.min(bound, t0 + TILE);
            bceLogitsExp(pred, target, grad, gradScale, part, t0, t1);
            sum += bceLogitsSum(pred, target, part, t0, t1);
        }
        return sum;
    }

    /**
     * part = e^−|p|, and the gradient (σ(p) − t)·gradScale as ((1 − t)·σ(p) − t·σ(−p))·gradScale, σ(±|p|) being r and
     * e·r: σ(p) − t cancels to 0 for a confident logit of the right sign (t = 1, p ≳ 17) where this keeps −e^−p.
     */
    private static void bceLogitsExp(float[] pred, float[] target, float[] grad, float gradScale, float[] part, int from, int bound) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = from; i < bound; i += L) {
            FloatVector p = load(pred, i);
            FloatVector e = VectorMath.expNonPositive(p.reinterpretAsInts().or(0x8000_0000).reinterpretAsFloats());
            e.intoArray(part, i - from);
            if (grad != null) {
                // r = 1/(1 + e) with 1 + e's rounding error (exact, e ≤ 1) corrected by one Newton step: the cancellation
            // in 1 + βx·(1 − σ) leaves r's error as the slope's, so r is kept within about half an ulp.
            FloatVector d = e.add(1f);
            FloatVector dLow = e.sub(d.sub(1f));
            FloatVector r0 = one.div(d);
            FloatVector r = r0.fma(r0.neg().fma(d, one).sub(r0.mul(dLow)), r0);
                FloatVector er = e.mul(r);
                VectorMask<Float> negative = p.compare(LT, 0f);
                FloatVector t = load(target, i);
                FloatVector sp = r.blend(er, negative);
                FloatVector sn = er.blend(r, negative);
                one.sub(t).mul(sp).sub(t.mul(sn)).mul(gradScale).intoArray(grad, i);
            }
        }
    }

    /** Σ max(p, 0) − p·t + ln(1 + part). */
    private static double bceLogitsSum(float[] pred, float[] target, float[] part, int from, int bound) {
        DoubleVector acc = DoubleVector.zero(D);
        for (int i = from; i < bound; i += L) {
            FloatVector p = load(pred, i);
            FloatVector l = p.blend(0f, p.compare(LT, 0f)).sub(p.mul(load(target, i))).add(log1pUnit(load(part, i - from)));
            acc = acc.add((DoubleVector) l.convertShape(F2D, D, 0)).add((DoubleVector) l.convertShape(F2D, D, 1));
        }
        return acc.reduceLanes(ADD);
    }

    // ---- optimisers -------------------------------------------------------------------

    @Override
    public void sgd(float[] w, float[] g, int gOff, float[] velocity, float lr, float momentum, boolean nesterov,
                    float l2, float l1, int from, int to) {
        int shift = gOff - from;
        // The scalar kernel's fused forms, so that both paths give the same bits.
        FloatVector l2v = FloatVector.broadcast(S, l2);
        FloatVector mom = FloatVector.broadcast(S, momentum);
        FloatVector minusLr = FloatVector.broadcast(S, -lr);
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector wi = load(w, i);
            FloatVector step = l2v.fma(wi, load(g, i + shift)).add(signum(wi).mul(l1));
            if (velocity != null) {
                FloatVector v = mom.fma(load(velocity, i), step);
                v.intoArray(velocity, i);
                step = nesterov ? mom.fma(v, step) : v;
            }
            minusLr.fma(step, wi).intoArray(w, i);
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.sgd(w, g, i + shift, velocity, lr, momentum, nesterov, l2, l1, i, to);
        }
    }

    /**
     * ScalarElementwise.blend lane by lane: β·a + (1 − β)·b with both products' rounding errors added back, and the
     * plain sum where it is not finite.
     */
    private static FloatVector blend(FloatVector beta, FloatVector a, FloatVector oneMinusBeta, FloatVector b) {
        FloatVector p = beta.mul(a);
        FloatVector q = oneMinusBeta.mul(b);
        FloatVector sum = p.add(q);
        return sum.add(beta.fma(a, p.neg()).add(oneMinusBeta.fma(b, q.neg()))).blend(sum, sum.test(IS_FINITE).not());
    }

    @Override
    public void adam(float[] w, float[] g, int gOff, float[] m, float[] v, float lr, float beta1, float beta2,
                     float epsilon, float weightDecay, boolean decoupled, float c1, float c2, int from, int to) {
        int shift = gOff - from;
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector ob1 = FloatVector.broadcast(S, 1f - beta1);
        FloatVector ob2 = FloatVector.broadcast(S, 1f - beta2);
        FloatVector wd = FloatVector.broadcast(S, weightDecay);
        FloatVector minusStep = FloatVector.broadcast(S, -(lr * c1));
        FloatVector minusDecay = FloatVector.broadcast(S, -(lr * weightDecay));
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector wi = load(w, i);
            FloatVector gi = load(g, i + shift);
            if (!decoupled) {
                gi = wd.fma(wi, gi);
            }
            FloatVector mi = blend(b1, load(m, i), ob1, gi);
            FloatVector vi = blend(b2, load(v, i), ob2, gi.mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            if (decoupled) {
                wi = minusDecay.fma(wi, wi);
            }
            minusStep.fma(mi.div(vi.mul(c2).sqrt().add(epsilon)), wi).intoArray(w, i);
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.adam(w, g, i + shift, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1,
                    c2, i, to);
        }
    }

    /** Elements per chunk of a mixed-precision step with float16 on either side: a widened gradient in L1. */
    private static final int HALF_STEP_CHUNK = 2048;
    private static final ThreadLocal<float[]> HALF_STEP_SCRATCH = ThreadLocal.withInitial(() -> new float[HALF_STEP_CHUNK]);

    private static float[] halfStepScratch() {
        return HALF_STEP_SCRATCH.get();
    }

    @Override
    public void sgdHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] velocity, float lr,
                        float momentum, boolean nesterov, float l2, float l1, short[] out, boolean outBf16, int from,
                        int to) {
        if ((gh != null && !gBf16) || (out != null && !outBf16)) {
            // float16 on either side: per chunk, as adamHalf.
            for (int c = from; c < to; c += HALF_STEP_CHUNK) {
                int len = Math.min(HALF_STEP_CHUNK, to - c);
                float[] gs = g;
                int gs0 = gOff + c - from;
                if (gh != null) {
                    gs = halfStepScratch();
                    widen(gBf16, gh, gs0, gs, 0, len);
                    gs0 = 0;
                }
                sgd(w, gs, gs0, velocity, lr, momentum, nesterov, l2, l1, c, c + len);
                if (out != null) {
                    narrow(outBf16, w, c, out, c, len);
                }
            }
            return;
        }
        // sgd's loop with a bfloat16 gradient widened and w's bfloat16 copy rounded in registers (see adamHalf).
        FloatVector l2v = FloatVector.broadcast(S, l2);
        FloatVector mom = FloatVector.broadcast(S, momentum);
        FloatVector minusLr = FloatVector.broadcast(S, -lr);
        int shift = gOff - from;
        int i = from;
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            FloatVector wi = load(w, i);
            FloatVector gi = gh == null ? load(g, i + shift)
                    : loadBFloat16(gh, i + shift);
            FloatVector step = l2v.fma(wi, gi).add(signum(wi).mul(l1));
            if (velocity != null) {
                FloatVector v = mom.fma(load(velocity, i), step);
                v.intoArray(velocity, i);
                step = nesterov ? mom.fma(v, step) : v;
            }
            FloatVector r = minusLr.fma(step, wi);
            r.intoArray(w, i);
            if (out != null) {
                storeBFloat16(r, out, i);
            }
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.sgdHalf(w, g, gh, gBf16, i + shift, velocity, lr, momentum, nesterov, l2, l1, out,
                    outBf16, i, to);
        }
    }

    @Override
    public void adamHalf(float[] w, float[] g, short[] gh, boolean gBf16, int gOff, float[] m, float[] v, float lr,
                         float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled, float c1,
                         float c2, short[] out, boolean outBf16, int from, int to) {
        if ((gh != null && !gBf16) || (out != null && !outBf16)) {
            // float16 on either side: its conversions are long enough that this loop, holding them beside the
            // bfloat16 ones, ran on boxed vectors (0.04–0.7× float32 Adam); the float16 kernels run per chunk instead.
            for (int c = from; c < to; c += HALF_STEP_CHUNK) {
                int len = Math.min(HALF_STEP_CHUNK, to - c);
                float[] gs = g;
                int gs0 = gOff + c - from;
                if (gh != null) {
                    gs = halfStepScratch();
                    widen(gBf16, gh, gs0, gs, 0, len);
                    gs0 = 0;
                }
                adam(w, gs, gs0, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1, c2, c, c + len);
                if (out != null) {
                    narrow(outBf16, w, c, out, c, len);
                }
            }
            return;
        }
        // adam's loop with a bfloat16 gradient widened in registers, and w's bfloat16 copy rounded per chunk while the
        // chunk is in L1 (float16 returned above; the flags are the same for every element of a call: their tests are
        // predicted, and C2 may move them out of the loop). Rounded in the loop, after the square root and the
        // division, the longer chain per vector let the core overlap fewer of them: 10.8 against 8.0–8.6 µs for 16K
        // elements on one thread (float32 Adam 6–7). The gradient widened into scratch first, as for float16, so that
        // float32's own loop runs: 9.0 µs.
        FloatVector b1 = FloatVector.broadcast(S, beta1);
        FloatVector b2 = FloatVector.broadcast(S, beta2);
        FloatVector ob1 = FloatVector.broadcast(S, 1f - beta1);
        FloatVector ob2 = FloatVector.broadcast(S, 1f - beta2);
        FloatVector wd = FloatVector.broadcast(S, weightDecay);
        FloatVector minusStep = FloatVector.broadcast(S, -(lr * c1));
        FloatVector minusDecay = FloatVector.broadcast(S, -(lr * weightDecay));
        int shift = gOff - from;
        int i = from;
        int bound = from + S.loopBound(to - from);
        while (i < bound) {
            int end = Math.min(bound, i + HALF_STEP_CHUNK);
            int start = i;
            for (; i < end; i += L) {
                FloatVector wi = load(w, i);
                FloatVector gi = gh == null ? load(g, i + shift)
                        : loadBFloat16(gh, i + shift);
                if (!decoupled) {
                    gi = wd.fma(wi, gi);
                }
                FloatVector mi = blend(b1, load(m, i), ob1, gi);
                FloatVector vi = blend(b2, load(v, i), ob2, gi.mul(gi));
                mi.intoArray(m, i);
                vi.intoArray(v, i);
                if (decoupled) {
                    wi = minusDecay.fma(wi, wi);
                }
                minusStep.fma(mi.div(vi.mul(c2).sqrt().add(epsilon)), wi).intoArray(w, i);
            }
            if (out != null) {
                narrowBFloat16(w, start, out, start, end - start);
            }
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.adamHalf(w, g, gh, gBf16, i + shift, m, v, lr, beta1, beta2, epsilon, weightDecay,
                    decoupled, c1, c2, out, outBf16, i, to);
        }
    }

    // ---- dropout and initialisation ---------------------------------------------------

    /** Whole blocks of Philox counters go to {@link VectorRandom}; a head and tail of fewer go to the scalar kernel. */
    @Override
    public void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, long first,
                        int from, int to) {
        dropout(x, y, mask, null, p, scale, seed, offset, first, from, to);
    }

    @Override
    public void dropoutBytes(float[] x, float[] y, byte[] mask, float p, float scale, long seed, long offset, long first,
                             int from, int to) {
        dropout(x, y, null, mask, p, scale, seed, offset, first, from, to);
    }

    private static void dropout(float[] x, float[] y, float[] mask, byte[] bytes, float p, float scale, long seed,
                                long offset, long first, int from, int to) {
        int g = VectorRandom.DROPOUT_BLOCK;
        if (!VectorRandom.supported() || bytes != null && !VectorRandom.supportsBytes() || to - from < g) {
            scalarDropout(x, y, mask, bytes, p, scale, seed, offset, first, from, to);
            return;
        }
        int a = (int) Math.min(to, ((long) from + g - 1) / g * g);
        int b = Math.max(a, to / g * g);
        if (from < a) {
            scalarDropout(x, y, mask, bytes, p, scale, seed, offset, first, from, a);
        }
        if (a < b) {
            if (bytes == null) {
                VectorRandom.dropout(x, y, mask, VectorRandom.keepThreshold(p), scale, seed, offset, first, a, b);
            } else {
                VectorRandom.dropoutBytes(x, y, bytes, VectorRandom.keepThreshold(p), scale, seed, offset, first, a, b);
            }
        }
        if (b < to) {
            scalarDropout(x, y, mask, bytes, p, scale, seed, offset, first, b, to);
        }
    }

    /**
     * bfloat16 with a UINT8 mask in blocks that stay in L1: {@link VectorRandom#dropoutBFloat16} widens x in
     * registers and writes the mask in place, and the block is rounded in a second pass (fused, the rounding lengthens
     * each vector's chain after the Philox rounds, as in the blocked activations). The rest as the default.
     */
    @Override
    public void halfDropout(boolean bf16, short[] x, short[] y, float[] mask, byte[] bytes, float p, float scale,
                            long seed, long offset, int from, int to) {
        int g = VectorRandom.DROPOUT_BLOCK;
        if (!bf16 || mask != null || !VectorRandom.supportsBytes() || from % g != 0) {
            Elementwise.super.halfDropout(bf16, x, y, mask, bytes, p, scale, seed, offset, from, to);
            return;
        }
        float[][] t = DROPOUT_SCRATCH.get();
        long threshold = VectorRandom.keepThreshold(p);
        for (int b = from; b < to; b += DROPOUT_BLOCK) {
            int len = Math.min(DROPOUT_BLOCK, to - b);
            int whole = len / g * g;
            VectorRandom.dropoutBFloat16(x, b, t[0], bytes, threshold, scale, seed, offset, b, 0, whole);
            if (whole < len) {
                // Fewer than a Philox block of the vector kernel: the scalar kernel on the widened tail.
                byte[] tb = TAIL_BYTES.get();
                widenHalves(true, x, b + whole, t[1], whole, len - whole);
                ScalarElementwise.INSTANCE.dropoutBytes(t[1], t[0], tb, p, scale, seed, offset, b, whole, len);
                System.arraycopy(tb, whole, bytes, b + whole, len - whole);
            }
            narrowBFloat16(t[0], 0, y, b, len);
        }
    }

    /**
     * Elements per block of bfloat16 dropout: 8 KB of floats, in L1 with the tail's; each block sets up the Philox
     * kernel's keys and constants once (16K elements on one thread: 0.67× float32 dropout's speed in blocks of 512,
     * 0.86× in blocks of 2048).
     */
    private static final int DROPOUT_BLOCK = 2048;
    private static final ThreadLocal<float[][]> DROPOUT_SCRATCH = ThreadLocal.withInitial(() -> new float[2][DROPOUT_BLOCK]);
    private static final ThreadLocal<byte[]> TAIL_BYTES = ThreadLocal.withInitial(() -> new byte[DROPOUT_BLOCK]);

    private static void scalarDropout(float[] x, float[] y, float[] mask, byte[] bytes, float p, float scale, long seed,
                                      long offset, long first, int from, int to) {
        if (bytes == null) {
            ScalarElementwise.INSTANCE.dropout(x, y, mask, p, scale, seed, offset, first, from, to);
        } else {
            ScalarElementwise.INSTANCE.dropoutBytes(x, y, bytes, p, scale, seed, offset, first, from, to);
        }
    }

    @Override
    public void dropoutBackwardBytes(float scale, float[] dy, byte[] mask, float[] dx, int from, int to) {
        int i = from;
        if (MASK_BYTES != null) {
            FloatVector zero = FloatVector.zero(S);
            for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
                VectorMask<Float> keep = ByteVector.fromArray(MASK_BYTES, mask, i).compare(NE, (byte) 0).cast(S);
                load(dy, i).mul(zero.blend(scale, keep)).intoArray(dx, i);
            }
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.dropoutBackwardBytes(scale, dy, mask, dx, i, to);
        }
    }

    @Override
    public void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(S);
        for (int bound = from + S.loopBound(to - from); i < bound; i += L) {
            // mask ≠ 0 is true for NaN too, as in the scalar test.
            load(dy, i).mul(zero.blend(scale, load(mask, i).compare(NE, 0f))).intoArray(dx, i);
        }
        if (i < to) {
            ScalarElementwise.INSTANCE.dropoutBackward(scale, dy, mask, dx, i, to);
        }
    }

    /** Elements per Philox chunk of the initialisers: a multiple of every group size. */
    private static final int INIT_CHUNK = 1024;

    @Override
    public void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        int g = VectorRandom.GROUP;
        if (!VectorRandom.supported() || to - from < g) {
            ScalarElementwise.INSTANCE.initUniform(a, seed, offset, lo, hi, from, to);
            return;
        }
        int start = (int) Math.min(to, ((long) from + g - 1) / g * g);
        int end = Math.max(start, to / g * g);
        if (from < start) {
            ScalarElementwise.INSTANCE.initUniform(a, seed, offset, lo, hi, from, start);
        }
        int[] words = new int[INIT_CHUNK];
        for (int c = start; c < end; c += INIT_CHUNK) {
            int len = Math.min(INIT_CHUNK, end - c);
            VectorRandom.blocks(seed, offset, c >>> 2, len >>> 2, words);
            for (int j = 0; j < len; j++) {
                a[c + j] = CounterRandom.uniformFromBits(words[j], lo, hi);
            }
        }
        if (end < to) {
            ScalarElementwise.INSTANCE.initUniform(a, seed, offset, lo, hi, end, to);
        }
    }

    /** The Philox blocks are vectorised; the portable Box–Muller stays scalar (init is not a hot op). */
    @Override
    public void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        if (!VectorRandom.supported()) {
            ScalarElementwise.INSTANCE.initNormal(a, seed, offset, mean, std, from, to);
            return;
        }
        int nl = VectorRandom.lanes();
        int[] words = new int[INIT_CHUNK];
        for (int c = from; c < to; c += INIT_CHUNK / 4) {
            int len = Math.min(INIT_CHUNK / 4, to - c);
            // Whole vectors of counters; the few past `to` are drawn and ignored.
            VectorRandom.blocks(seed, offset, c, (len + nl - 1) / nl * nl, words);
            for (int j = 0; j < len; j++) {
                a[c + j] = CounterRandom.normalFromWords(words[4 * j], words[4 * j + 1], mean, std);
            }
        }
    }
}
