/* common.h: helpers shared by every kernel family, written in the vocabulary the dialect
 * preamble defines (kuint, K_FN, K_DMUL ...), so it follows the dialect preamble in the
 * assembled text. Contents: Philox4x32-10 and the engine's counter-based random numbers
 * (bit-exact with dev.kengine.random.CounterRandom), activation functions, small utilities. */

#define k_isnan(x) (!((x) == (x)))
#define k_isinf(x) (fabs(x) == K_INF)

/* Accumulator of sums: double where the device has it (the CPU backend sums in double too). */
#ifndef K_ACC_DOUBLE
#ifdef K_FP64
#define K_ACC_DOUBLE 1
#else
#define K_ACC_DOUBLE 0
#endif
#endif
#if K_ACC_DOUBLE
typedef double kacc;
#else
typedef float kacc;
#endif

/* ---- Philox4x32-10 (see dev.kengine.random.Philox) ------------------------------------- */

typedef struct { kuint w0, w1, w2, w3; } k_philox_out;

K_FN k_philox_out k_philox4x32_10(kuint c0, kuint c1, kuint c2, kuint c3, kuint k0, kuint k1) {
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        kuint lo0 = 0xD2511F53u * c0;
        kuint hi0 = K_MULHI(0xD2511F53u, c0);
        kuint lo1 = 0xCD9E8D57u * c2;
        kuint hi1 = K_MULHI(0xCD9E8D57u, c2);
        kuint n0 = hi1 ^ c1 ^ k0;
        kuint n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    k_philox_out r;
    r.w0 = c0;
    r.w1 = c1;
    r.w2 = c2;
    r.w3 = c3;
    return r;
}

/* The block for counter (lo(q), hi(q), lo(offset), hi(offset)) under key (lo(seed), hi(seed)). */
K_FN k_philox_out k_philox_at(kulong q, kulong seed, kulong offset) {
    return k_philox4x32_10((kuint) q, (kuint) (q >> 32), (kuint) offset, (kuint) (offset >> 32),
                           (kuint) seed, (kuint) (seed >> 32));
}

K_FN kuint k_philox_word(k_philox_out b, int j) {
    return j == 0 ? b.w0 : (j == 1 ? b.w1 : (j == 2 ? b.w2 : b.w3));
}

/* (w >>> 8) * 2^-24: exact, in [0, 1). */
K_FN float k_unit_float(kuint w) {
    return (float) (w >> 8) * 5.9604644775390625e-8f;
}

#ifdef K_FP64
/* CounterRandom.ln: natural log of a positive normal double, portable to the last bit. */
K_FN double k_portable_ln(double x) {
    klong bits = K_AS_LONG(x);
    int e = (int) ((bits >> 52) & 0x7FF) - 1023;
    double m = K_AS_DOUBLE((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
    if (m > 1.4142135623730951) {
        m = K_DMUL(m, 0.5);
        e = e + 1;
    }
    double s = K_DDIV(K_DSUB(m, 1.0), K_DADD(m, 1.0));
    double s2 = K_DMUL(s, s);
    double t = K_DDIV(1.0, 21.0);
    for (int k = 9; k >= 0; k--) {
        t = K_DADD(K_DMUL(t, s2), K_DDIV(1.0, (double) (2 * k + 1)));
    }
    return K_DADD(K_DMUL((double) e, 0.6931471805599453), K_DMUL(K_DMUL(2.0, s), t));
}

/* ±1/n! as the nearest double: n! (n <= 21) is exact in double, one rounded division. */
K_FN double k_signed_inv_factorial(int n, int k) {
    double f = 1.0;
    for (int j = 2; j <= n; j++) {
        f = K_DMUL(f, (double) j);
    }
    return K_DDIV((k % 2 == 0) ? 1.0 : -1.0, f);
}

/* Horner in x2 over the 11 Taylor coefficients (-1)^k / (2k + start)!. */
K_FN double k_taylor(double x2, int start) {
    double t = k_signed_inv_factorial(20 + start, 10);
    for (int k = 9; k >= 0; k--) {
        t = K_DADD(K_DMUL(t, x2), k_signed_inv_factorial(2 * k + start, k));
    }
    return t;
}

/* CounterRandom.cos2pi: cos(2*pi*u) for u in [0, 1), portable to the last bit. */
K_FN double k_cos2pi(double u) {
    const double two_pi = 6.283185307179586;
    if (u > 0.5) {
        u = K_DSUB(1.0, u);
    }
    double sign = 1.0;
    if (u > 0.25) {
        u = K_DSUB(0.5, u);
        sign = -1.0;
    }
    if (u > 0.125) {
        double th = K_DMUL(two_pi, K_DSUB(0.25, u));
        return K_DMUL(sign, K_DMUL(th, k_taylor(K_DMUL(th, th), 1)));
    }
    double th = K_DMUL(two_pi, u);
    return K_DMUL(sign, k_taylor(K_DMUL(th, th), 0));
}

/* CounterRandom.normalFromWords. */
K_FN float k_normal_from_words(kuint w0, kuint w1, double mean, double stddev) {
    double u1 = K_DMUL(K_DADD((double) w0, 1.0), 2.3283064365386963e-10);
    double u2 = K_DMUL((double) w1, 2.3283064365386963e-10);
    double z = K_DMUL(K_DSQRT(K_DMUL(-2.0, k_portable_ln(u1))), k_cos2pi(u2));
    return K_D2F(K_DADD(mean, K_DMUL(stddev, z)));
}

/* CounterRandom.uniformFromBits. */
K_FN float k_uniform_from_bits(kuint w, double lo, double hi) {
    double u = (double) k_unit_float(w);
    return K_D2F(K_DADD(lo, K_DMUL(K_DSUB(hi, lo), u)));
}
#endif

/* ---- activations (see dev.kengine.op.Activation; kinds are Activation.Kind ordinals) ----- */

#define K_ACT_IDENTITY 0
#define K_ACT_SIGMOID 1
#define K_ACT_TANH 2
#define K_ACT_RELU 3
#define K_ACT_LEAKY_RELU 4
#define K_ACT_ELU 5
#define K_ACT_SWISH 6
#define K_ACT_SOFTPLUS 7
#define K_ACT_GELU 8
#define K_ACT_GELU_TANH 9

/* sigma(x) without overflow: exp only ever sees a non-positive argument, -|x|, one exp for both signs (branch-free,
 * so a CPU runtime vectorises it; the same bits as 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below), and one
 * division, of the numerator chosen first. */
K_FN float k_sigmoid(float x) {
    float e = exp(-fabs(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

/* sigma(a) (1 + w (1 - sigma(a))), the slope of x sigma(a(x)) with w = x a'(x) (swish: a = w = beta x; tanh-GELU:
 * a = 2u), without cancellation but at the slope's own zero: with e = exp(-|a|) and r = 1/(1 + e) it is
 * e r^2 ((1 + w) + e) for a < 0 and r^2 (1 + e (1 + w)) for a >= 0, 1 + w being exact near the zero (w in [-2, -1/2]).
 * The sum sigma + w sigma (1 - sigma) cancelled at sigma's magnitude (four times PyTorch's error at swish's zero).
 * Limits: 0 where sigma is 0 (a -> -inf), sigma = 1 where 1 - sigma is 0 (a -> +inf). The CPU's
 * VectorElementwise.sigmoidSlopeFactored. */
K_FN float k_sigmoid_slope(float a, float w) {
    float e = exp(-fabs(a));
    if (e == 0.0f) {
        return a < 0.0f ? 0.0f : 1.0f;
    }
    float r = 1.0f / (1.0f + e);
    float r2 = r * r;
    float onePlusW = w + 1.0f;
    return a < 0.0f ? ((onePlusW + e) * e) * r2 : K_FMA(e, onePlusW, 1.0f) * r2;
}

/* 2 sqrt(2/pi) and the cubic's factor of the GELU tanh approximation: 2u = 2 sqrt(2/pi) x (1 + 0.044715 x^2). */
#define K_GELU_TANH_TWO_SCALE 1.5957691216057308f
#define K_GELU_TANH_CUBIC 0.044715f

/* tanh with its limits exact: float tanh(x) rounds to +-1 for |x| >= atanh(1 - 2^-25) = 9.0109..., but some devices'
 * built-in tanh stops one ulp short (0.99999994 at x = 30 on PoCL), which leaves a slope of 1.2e-7 where it is 0. */
#define K_TANH_SATURATION 9.0111f

#if defined(K_OWN_EXP) && K_OWN_EXP
/* CPU devices: the runtime's tanh is a call PoCL's vectoriser cannot widen (19 % of the copy kernel), so tanh is the
 * CPU backend's form (VectorElementwise.tanhForward) on the dialect's own exp: |x| + |x|^3 P(x^2) below 0.625, and
 * 1 - 2e/(1 + e) with e = exp(-2|x|) above, x's sign copied in. Within 1.5 ulp, 0.7 near saturation. */
K_FN float k_tanh(float x) {
    float a = fabs(x);
    float s = a * a;
    float p = K_FMA(K_FMA(K_FMA(K_FMA(-0.005704982206225395f, s, 0.02063908241689205f), s, -0.05373971164226532f), s,
            0.13331441581249237f), s, -0.3333328068256378f);
    float e = exp(-2.0f * a);
    float r = a < 0.625f ? K_FMA(a * s, p, a) : 1.0f - (e + e) / (e + 1.0f);
    return copysign(a >= K_TANH_SATURATION ? 1.0f : r, x);
}
#else
K_FN float k_tanh(float x) {
    return fabs(x) >= K_TANH_SATURATION ? copysign(1.0f, x) : tanh(x);
}
#endif

/* Exact GELU and its slope for x >= -4 as odd rational fits in float, the same as the CPU's vector kernels
 * (VectorElementwise): f(x) = xc * P(xc^2) / Q(xc^2) with x clamped to [-c, c], where f has reached its limit
 * within 4e-8. They are accurate absolutely where the textbook formulas cancel (x < 0), to within PyTorch's error
 * there, and need no double precision, which most GPUs run at a 32nd or 64th of the float rate; below -4 the tail
 * forms below keep relative accuracy. The fits' errors are in ELEMENTWISE-NOTES.md. */
#define K_GELU_CLAMP 5.5f
#define K_GELU_SLOPE_CLAMP 6.0f

K_FN float k_clamp_sym(float x, float c) {
    float lower = x < -c ? -c : x; /* NaN compares false and passes through */
    return lower > c ? c : lower;
}

/* Phi(xc) - 1/2 = erf(xc / sqrt 2) / 2, |xc| <= 5.5. */
K_FN float k_gelu_cdf_minus_half(float xc) {
    float s = xc * xc;
    float p = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(1.1174794423141066e-10f, s, -2.2081552586428188e-08f), s,
            3.2411469419457717e-06f), s, 0.0001703876187093556f), s, 0.00450925761833787f), s, 0.03592370077967644f), s,
            0.39894214272499084f);
    float q = K_FMA(K_FMA(K_FMA(K_FMA(6.233047315618023e-05f, s, 0.0018307268619537354f), s, 0.029092349112033844f), s,
            0.2567119300365448f), s, 1.0f);
    return xc * p / q;
}

/* GELU'(xc) = Phi(xc) + xc phi(xc), |xc| <= 6. */
K_FN float k_gelu_slope(float xc) {
    float s = xc * xc;
    float p = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(-1.5357199886767425e-11f, s, 2.7850015626995628e-09f), s,
            -1.0087882884590726e-07f), s, 3.300782191217877e-05f), s, -0.00014815674512647092f), s,
            0.014529967680573463f), s, -0.04151695594191551f), s, 0.7978847622871399f);
    float q = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(5.556486030400265e-06f, s, 0.00015020817227195948f), s,
            0.0029522839467972517f), s, 0.03697187453508377f), s, 0.28130200505256653f), s, 1.0f);
    return xc * p / q + 0.5f;
}


/* Below -K_GELU_TAIL exact GELU's fits above keep only their absolute accuracy (about 3e-8 |x|), none relative
 * once x Phi(x) is under 1e-6; there GELU and its slope come from a form that keeps relative accuracy:
 * Phi(x) = erfc(|x|/sqrt 2)/2 with erfc(z) = t exp(-z^2 + P(t)), t = 1/(1 + z/2) (relative error below 1.2e-7,
 * the CPU backend's Gaussian). x^2/2 is split exactly (fma) and its two parts exponentiated apart, so the
 * argument's rounding (up to 4e-6 at x = -13) does not become the result's relative error. (tanh-GELU's
 * x sigma(2u) needs no tail form.) */
#define K_GELU_TAIL 4.0f
#define K_GELU_TAIL_FLOOR -20.0f

/* {exp(-x^2/2) with x^2/2 exact, Phi(x)} for x < -4. */
K_FN float k_gelu_tail_cdf(float x, float* gauss) {
    float z = -x * 0.70710678118654752f;
    float t = 1.0f / K_FMA(0.5f, z, 1.0f);
    float q = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(0.17087277f, t, -0.82215223f), t, 1.48851587f), t,
            -1.13520398f), t, 0.27886807f), t, -0.18628806f), t, 0.09678418f), t, 0.37409196f), t, 1.00002368f), t,
            -1.26551223f);
    float xx = x * x;
    float lo = K_FMA(x, x, -xx);
    float e = exp(-0.5f * xx);
    *gauss = e * (1.0f - 0.5f * lo);
    return 0.5f * t * e * exp(q - 0.5f * lo);
}

/* GELU or its slope (slope != 0) for x < -4. */
K_FN float k_gelu_tail(float x, int slope) {
    float xf = x < K_GELU_TAIL_FLOOR ? K_GELU_TAIL_FLOOR : x;
    float gauss;
    float cdf = k_gelu_tail_cdf(xf, &gauss);
    return slope ? K_FMA(xf, 0.3989422804014327f * gauss, cdf) : xf * cdf;
}

K_FN float k_act_forward(int kind, float p, float x) {
    switch (kind) {
    case K_ACT_SIGMOID:
        return k_sigmoid(x);
    case K_ACT_TANH:
        return k_tanh(x);
    case K_ACT_RELU:
        return x > 0.0f ? x : (k_isnan(x) ? x : 0.0f);
    case K_ACT_LEAKY_RELU:
        return x > 0.0f ? x : p * x;
    case K_ACT_ELU:
        return x >= 0.0f ? x : p * expm1(x); /* ELU(-0) = -0, as on the CPU (the own expm1 gives +0 at -0) */
    case K_ACT_SWISH: {
        /* beta = 0 makes beta * x = 0 * inf = NaN at x = +-inf; sigma(0 * x) is 1/2 for every x. */
        float s = k_sigmoid(p == 0.0f ? 0.0f : p * x);
        if (k_isinf(x) && s == 0.0f) {
            return 0.0f; /* the limit, not inf * 0 */
        }
        return x * s;
    }
    case K_ACT_SOFTPLUS:
        return fmax(x, 0.0f) + log1p(exp(-fabs(x)));
    case K_ACT_GELU: {
        if (x < -K_GELU_TAIL) {
            return k_gelu_tail(x, 0); /* -inf gives GELU(-20), which is -0 in float */
        }
        /* x * |Phi|, x clamped from below: x >= 5.5 gives x. */
        float lower = x < -K_GELU_CLAMP ? -K_GELU_CLAMP : x;
        return fabs(0.5f + k_gelu_cdf_minus_half(k_clamp_sym(x, K_GELU_CLAMP))) * lower;
    }
    case K_ACT_GELU_TANH: {
        if (k_isinf(x) && x < 0.0f) {
            return -0.0f; /* the limit, not -inf * 0 */
        }
        /* x sigma(2u): 1 + tanh u = 2 sigma(2u), with no cancellation for x < 0 (relative accuracy but for 2u's
         * rounding, carried through exp: 1e-5 at x = -9). */
        return x * k_sigmoid(K_GELU_TANH_TWO_SCALE * x * K_FMA(K_GELU_TANH_CUBIC, x * x, 1.0f));
    }
    default:
        return x;
    }
}

/* dy * f'(x), given y = f(x). NaN in x gives NaN. */
K_FN float k_act_backward(int kind, float p, float dy, float x, float y) {
    if (kind == K_ACT_IDENTITY) {
        return dy;
    }
    if (k_isnan(x)) {
        return x;
    }
    switch (kind) {
    case K_ACT_SIGMOID:
        return dy * (y * (1.0f - y));
    case K_ACT_TANH:
        /* (1 - y)(1 + y), not 1 - y*y: near saturation 1 - y is exact and keeps the slope's relative accuracy. */
        return dy * ((1.0f - y) * (1.0f + y));
    case K_ACT_RELU:
        /* x <= 0 selects 0, but a NaN dy still propagates (as dy * 0 would not for dy = +-inf). */
        return x > 0.0f ? dy : (k_isnan(dy) ? dy : 0.0f);
    case K_ACT_LEAKY_RELU:
        return x > 0.0f ? dy : p * dy;
    case K_ACT_ELU:
        return x > 0.0f ? dy : dy * (p * exp(x)); /* from x: y + p would cancel for x << 0 */
    case K_ACT_SWISH: {
        float bx = p == 0.0f ? 0.0f : p * x;
        return dy * k_sigmoid_slope(bx, bx);
    }
    case K_ACT_SOFTPLUS:
        return dy * k_sigmoid(x);
    case K_ACT_GELU:
        /* f'(-inf) = 0 and f'(+inf) = 1 through the clamp, applied to dy as a product so NaN and inf in dy propagate. */
        return dy * (x < -K_GELU_TAIL ? k_gelu_tail(x, 1) : k_gelu_slope(k_clamp_sym(x, K_GELU_SLOPE_CLAMP)));
    case K_ACT_GELU_TANH:
        return dy * k_sigmoid_slope(K_GELU_TANH_TWO_SCALE * x * K_FMA(K_GELU_TANH_CUBIC, x * x, 1.0f),
                                    K_GELU_TANH_TWO_SCALE * K_FMA(3.0f * K_GELU_TANH_CUBIC, x * x, 1.0f) * x);
    default:
        return dy;
    }
}

/* ---- launch geometry ---------------------------------------------------------------------- */

/* The host picks the shape per device class (the OpenCL backend's LaunchTuning; CUDA keeps the defaults):
 * K_ONE_PER_ITEM 1: elementwise kernels run one element (or one group of four) per work-item, the global size
 *   covering the tensor. A CPU runtime (PoCL) runs a work-group as a loop over its work-items and vectorises that
 *   loop, which a loop inside each work-item defeats. 0: a grid-stride loop over a capped number of groups (GPUs).
 * K_INDEX32 1: every element index of the launch fits in 32 bits, and 32-bit arithmetic vectorises twice as wide;
 *   the host builds the 64-bit variant for larger tensors.
 * K_ROW_SYNC 1: row kernels (one work-group per row) end each pass of their column loops with a barrier, so that
 *   the region between two barriers, one chunk of the row, is a straight loop over the work-items that a CPU
 *   runtime can vectorise (LLVM vectorises innermost loops only, and a column loop inside each work-item is one). */
#ifndef K_ONE_PER_ITEM
#define K_ONE_PER_ITEM 0
#endif
#ifndef K_INDEX32
#define K_INDEX32 0
#endif
#ifndef K_ROW_SYNC
#define K_ROW_SYNC 0
#endif
#if K_INDEX32
typedef kint kidx;
#else
typedef klong kidx;
#endif

/* Grid-stride loop over [0, n) with 64-bit indices, for the first stage of the two-stage reductions, whose
 * number of work-groups is fixed so that their sums are deterministic. */
#define K_FOR_EACH(i, n) for (klong i = (klong) get_global_id(0); i < (n); i += (klong) get_global_size(0))

/* The elementwise kernels' loop over [0, n). One per item (K_ONE_PER_ITEM): a single pass. The host launches the
 * whole work-groups inside n with K_TAIL 0, where no work-item tests its index, and the last, partial group, if
 * any, with K_TAIL 1 and a global offset. A per-element test made PoCL's vectorised loops 2-3x slower (masked
 * loads and stores; Zen 4 runs masked stores slowly), and LLVM hoists a per-group test out of the loop over the
 * work-items only for small kernels. K_GROUP_WHOLE(n): whether this work-group's items all lie below n (the global
 * offset counted: get_group_id leaves it out). */
#ifndef K_TAIL
#define K_TAIL 1
#endif
#if K_ONE_PER_ITEM
#define K_GROUP_WHOLE(n) \
    ((kidx) get_global_offset(0) + ((kidx) get_group_id(0) + 1) * (kidx) get_local_size(0) <= (kidx) (n))
#if K_TAIL
#define K_FOR_ELEMENT(i, n) \
    for (kidx i = (kidx) get_global_id(0), k_once_##i = 1; k_once_##i && i < (kidx) (n); k_once_##i = 0)
#else
#define K_FOR_ELEMENT(i, n) for (kidx i = (kidx) get_global_id(0), k_once_##i = 1; k_once_##i; k_once_##i = 0)
#endif
#else
#define K_GROUP_WHOLE(n) 0
#define K_FOR_ELEMENT(i, n) for (kidx i = (kidx) get_global_id(0); i < (kidx) (n); i += (kidx) get_global_size(0))
#endif

/* A row kernel's loop over the columns [0, cols) of work-item lid in a work-group of wg: columns lid, lid + wg, ...
 * With K_ROW_SYNC, one chunk of wg columns per pass with a barrier after it, the chunk's column test hoisted as in
 * K_FOR_ELEMENT; every work-item of the group must run the loop (it holds a barrier). */
#if K_ROW_SYNC
#define K_FOR_COLS(c, lid, cols, wg) \
    for (klong k_c0_##c = 0; k_c0_##c < (klong) (cols); k_c0_##c += (wg), K_LOCAL_BARRIER()) \
        for (klong c = k_c0_##c + (lid), k_once_##c = 1; \
             k_once_##c && (k_c0_##c + (wg) <= (klong) (cols) || c < (klong) (cols)); k_once_##c = 0)
#else
#define K_FOR_COLS(c, lid, cols, wg) for (klong c = (lid); c < (klong) (cols); c += (wg))
#endif

/* ---- work-group reductions in local memory (size a power of two, every work-item calls) --- */

/* The sum over the work-group of v; buf holds size elements. Deterministic: a fixed tree. */
K_FN kacc k_wg_sum(K_LPTR kacc* buf, kacc v, int lid, int size) {
    buf[lid] = v;
    K_LOCAL_BARRIER();
    for (int s = size >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            buf[lid] = buf[lid] + buf[lid + s];
        }
        K_LOCAL_BARRIER();
    }
    kacc r = buf[0];
    K_LOCAL_BARRIER();
    return r;
}

/* max that propagates NaN (fmax would drop it). */
K_FN float k_max_nan(float m, float a) {
    if (k_isnan(m)) {
        return m;
    }
    return (a > m || k_isnan(a)) ? a : m;
}

K_FN float k_wg_max(K_LPTR float* buf, float v, int lid, int size) {
    buf[lid] = v;
    K_LOCAL_BARRIER();
    for (int s = size >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            buf[lid] = k_max_nan(buf[lid], buf[lid + s]);
        }
        K_LOCAL_BARRIER();
    }
    float r = buf[0];
    K_LOCAL_BARRIER();
    return r;
}

/* ---- dtype conversions: dev.kengine.Conversions, bit for bit, in integer arithmetic so no device's
 * rounding mode, flush-to-zero or NaN canonicalisation can change a bit. Dtype codes are DType's
 * ordinals: 0 float32, 1 float16, 2 bfloat16, 3 int32, 4 uint8. */
#define K_DT_F32 0
#define K_DT_F16 1
#define K_DT_BF16 2
#define K_DT_I32 3
#define K_DT_U8 4

K_FN kuint k_f32_to_bf16(kuint b) {
    if ((b & 0x7FFFFFFFu) > 0x7F800000u) {
        return (b >> 16) | 0x40u;
    }
    return (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;
}

K_FN kuint k_f32_to_f16(kuint b) {
    kuint sign = (b >> 16) & 0x8000u;
    kuint a = b & 0x7FFFFFFFu;
    if (a > 0x7F800000u) {
        return sign | 0x7E00u | ((a >> 13) & 0x1FFu);
    }
    if (a >= 0x477FF000u) {
        return sign | 0x7C00u;
    }
    if (a >= 0x38800000u) {
        kuint r = a + 0xFFFu + ((a >> 13) & 1u);
        return sign | ((r - 0x38000000u) >> 13);
    }
    if (a <= 0x33000000u) {
        return sign;
    }
    kuint e = a >> 23;
    kuint m = (a & 0x7FFFFFu) | 0x800000u;
    kuint shift = 126u - e;
    kuint h = m >> shift;
    kuint rem = m & ((1u << shift) - 1u);
    kuint mid = 1u << (shift - 1u);
    if (rem > mid || (rem == mid && (h & 1u) != 0u)) {
        h++;
    }
    return sign | h;
}

K_FN kuint k_f16_to_f32(kuint h) {
    kuint sign = (h & 0x8000u) << 16;
    kuint exp = (h >> 10) & 0x1Fu;
    kuint frac = h & 0x3FFu;
    if (exp == 0x1Fu) {
        return sign | 0x7F800000u | (frac << 13);
    }
    if (exp != 0u) {
        return sign | ((exp + 112u) << 23) | (frac << 13);
    }
    if (frac == 0u) {
        return sign;
    }
    /* Subnormal frac · 2^-24: normalise by hand (no float arithmetic, so no flush to zero). */
    kuint lead = 31u - (kuint) K_CLZ(frac); /* 0..9 */
    kuint mant = (frac << (23u - lead)) & 0x7FFFFFu;
    return sign | ((103u + lead) << 23) | mant;
}

K_FN kuint k_i32_to_bf16(kint x) {
    if (x == 0) {
        return 0u;
    }
    kuint sign = x < 0 ? 0x8000u : 0u;
    kuint a = x < 0 ? (kuint) 0 - (kuint) x : (kuint) x;
    kuint p = 31u - (kuint) K_CLZ(a);
    kuint mant;
    if (p <= 7u) {
        mant = a << (7u - p);
    } else {
        kuint shift = p - 7u;
        mant = a >> shift;
        kuint rem = a & ((1u << shift) - 1u);
        kuint mid = 1u << (shift - 1u);
        if (rem > mid || (rem == mid && (mant & 1u) != 0u)) {
            mant++;
            if (mant == 0x100u) {
                mant = 0x80u;
                p++;
            }
        }
    }
    return sign | ((127u + p) << 7) | (mant & 0x7Fu);
}

K_FN kint k_f32_to_i32(float f) {
    if (f != f) {
        return 0;
    }
    if (f >= 2147483648.0f) {
        return 0x7FFFFFFF;
    }
    if (f <= -2147483648.0f) {
        return (kint) 0x80000000u;
    }
    return (kint) f;
}

K_FN kuint k_f32_to_u8(float f) {
    if (!(f > 0.0f)) {
        return 0u;
    }
    return f >= 255.0f ? 255u : (kuint) f;
}

/* An element's bits as a float value: exact for every dtype but int32 (rounded to nearest even). */
K_FN float k_dt_to_f32(int dt, kuint bits) {
    if (dt == K_DT_F32) {
        return K_AS_FLOAT(bits);
    }
    if (dt == K_DT_F16) {
        return K_AS_FLOAT(k_f16_to_f32(bits));
    }
    if (dt == K_DT_BF16) {
        return K_AS_FLOAT(bits << 16);
    }
    if (dt == K_DT_I32) {
        return (float) (kint) bits;
    }
    return (float) (bits & 0xFFu);
}

/* Conversions.convert: from one dtype's bits to another's (from != to). */
K_FN kuint k_convert(int from, kuint bits, int to) {
    if (from == K_DT_I32 && to == K_DT_BF16) {
        return k_i32_to_bf16((kint) bits);
    }
    if (from == K_DT_I32 && to == K_DT_U8) {
        kint x = (kint) bits;
        return x < 0 ? 0u : (x > 255 ? 255u : (kuint) x);
    }
    if (from == K_DT_U8 && to == K_DT_I32) {
        return bits & 0xFFu;
    }
    /* float16 and uint8 values are exact in float32; so are bfloat16 ones. */
    kuint fb = from == K_DT_F32 ? bits : (from == K_DT_F16 ? k_f16_to_f32(bits)
            : (from == K_DT_BF16 ? bits << 16 : K_AS_UINT(k_dt_to_f32(from, bits))));
    float f = K_AS_FLOAT(fb);
    if (to == K_DT_F32) {
        return fb;
    }
    if (to == K_DT_F16) {
        return k_f32_to_f16(fb);
    }
    if (to == K_DT_BF16) {
        return k_f32_to_bf16(fb);
    }
    if (to == K_DT_I32) {
        return (kuint) k_f32_to_i32(f);
    }
    return k_f32_to_u8(f);
}

/* Half-precision storage (dt: K_DT_F16 or K_DT_BF16, as the host gives it) read widened exactly and written rounded
 * once by dev.kengine.Conversions' rules: bfloat16 by 16-bit shifts everywhere. */
#if K_OPENCL
/* float16 through core OpenCL's vload_half / vstore_half_rte (no extension needed; round to nearest even, so every
 * finite value is Conversions' bit for bit; a NaN result is a quiet NaN whose payload the runtime picks). */
#define K_F16_LOAD(ptr, i) vload_half((i), (__global const half*) (ptr))
#define K_F16_STORE(ptr, i, v) vstore_half_rte((v), (i), (__global half*) (ptr))
#else
#define K_F16_LOAD(ptr, i) K_AS_FLOAT(k_f16_to_f32((ptr)[i]))
#define K_F16_STORE(ptr, i, v) ((ptr)[i] = (kushort) k_f32_to_f16(K_AS_UINT(v)))
#endif
#define K_HALF_LOAD(ptr, i, dt) ((dt) == K_DT_BF16 ? K_AS_FLOAT((kuint) (ptr)[i] << 16) : K_F16_LOAD(ptr, i))
/* As K_HALF_STORE with float16 by the integer rounding (k_f32_to_f16) everywhere: a NaN keeps Conversions' sign and
 * payload bits, as a cast gives them (ops whose results the facade used to round through a cast). */
#define K_HALF_STORE_EXACT(ptr, i, dt, v) ((ptr)[i] = (kushort) ((dt) == K_DT_BF16 ? k_f32_to_bf16(K_AS_UINT(v)) \
                                                                             : k_f32_to_f16(K_AS_UINT(v))))
#define K_HALF_STORE(ptr, i, dt, v) \
    do { if ((dt) == K_DT_BF16) { (ptr)[i] = (kushort) k_f32_to_bf16(K_AS_UINT(v)); } else { K_F16_STORE(ptr, i, v); } } while (0)

#if K_OPENCL
/* Sixteen half-precision elements at i widened exactly (dt: K_DT_F16 or K_DT_BF16). */
K_FN float16 k_half_load16(__global const kushort* p, kidx i, int dt) {
    if (dt == K_DT_BF16) {
        return as_float16(convert_uint16(K_LOAD16_U16(p + i)) << (uint16) 16);
    }
    return vload_half16(0, (__global const half*) (p + i));
}

/* Sixteen floats rounded once to dt at i: bfloat16 to nearest even on the bits, a NaN kept quiet with its payload's
 * high bits (k_f32_to_bf16 lane by lane); float16 through vstore_half16_rte (as K_F16_STORE). */
K_FN void k_half_store16(__global kushort* p, kidx i, int dt, float16 v) {
    if (dt == K_DT_BF16) {
        uint16 b = as_uint16(v);
        uint16 r = (b + (uint16) 0x7FFFu + ((b >> (uint16) 16) & (uint16) 1u)) >> (uint16) 16;
        uint16 q = (b >> (uint16) 16) | (uint16) 0x40u;
        K_STORE16_U16(p + i, convert_ushort16(select(r, q, (b & (uint16) 0x7FFFFFFFu) > (uint16) 0x7F800000u)));
    } else {
        vstore_half16_rte(v, 0, (__global half*) (p + i));
        if (K_ANY16(isnan(v))) {
            /* A NaN's sign and payload are the runtime's in vstore_half: those lanes again by Conversions' rule. */
            for (int j = 0; j < 16; j++) {
                if (isnan(v[j])) {
                    p[i + j] = (kushort) k_f32_to_f16(as_uint(v[j]));
                }
            }
        }
    }
}
#endif

/* Element i of a storage of dtype dt, as raw bits. */
K_FN kuint k_dt_load(K_GPTR const kuchar* p, int dt, kidx i) {
    if (dt == K_DT_F32 || dt == K_DT_I32) {
        return ((K_GPTR const kuint*) p)[i];
    }
    if (dt == K_DT_U8) {
        return p[i];
    }
    return ((K_GPTR const kushort*) p)[i];
}

K_FN void k_dt_store(K_GPTR kuchar* p, int dt, kidx i, kuint bits) {
    if (dt == K_DT_F32 || dt == K_DT_I32) {
        ((K_GPTR kuint*) p)[i] = bits;
    } else if (dt == K_DT_U8) {
        p[i] = (kuchar) bits;
    } else {
        ((K_GPTR kushort*) p)[i] = (kushort) bits;
    }
}

/* Whether a row's label lies outside [0, cols). The facade checks every label before a launch, so only a label
 * changed since (another call writing the INT32 labels tensor meanwhile) can: the kernels then read and write
 * nothing outside the row (column 0 stands in for the label) and make the row's loss and gradient NaN. */
K_FN int k_stray_label(int label, klong cols) {
    return label < 0 || (klong) label >= cols;
}
