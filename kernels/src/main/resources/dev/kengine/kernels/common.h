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
 * so a CPU runtime vectorises it; the same bits as 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below). */
K_FN float k_sigmoid(float x) {
    float e = exp(-fabs(x));
    float d = 1.0f + e;
    return x >= 0.0f ? 1.0f / d : e / d;
}

/* The GELU forms and their slopes as odd rational fits in float, the same as the CPU's vector kernels
 * (VectorElementwise): f(x) = xc * P(xc^2) / Q(xc^2) with x clamped to [-c, c], where f has reached its limit
 * within 4e-8. They are accurate absolutely where the textbook formulas cancel (x < 0), as the conformance kit's
 * bounds for these ops are, and need no double precision, which most GPUs run at a 32nd or 64th of the float rate.
 * Coefficients lowest degree first in the comments; the fits' errors are in ELEMENTWISE-NOTES.md. */
#define K_GELU_CLAMP 5.5f
#define K_GELU_TANH_CLAMP 5.2f
#define K_GELU_SLOPE_CLAMP 6.0f
#define K_GELU_TANH_SLOPE_CLAMP 5.6f

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

/* sigma(2u) - 1/2 = tanh(u) / 2 with u = sqrt(2/pi) (xc + 0.044715 xc^3), |xc| <= 5.2. */
K_FN float k_gelu_tanh_gate_minus_half(float xc) {
    float s = xc * xc;
    float p = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(2.4276628707298187e-08f, s, 7.069423190841917e-06f), s,
            0.00013286869216244668f), s, 0.0036309980787336826f), s, 0.030296334996819496f), s, 0.39894232153892517f);
    float q = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(1.3236565337138018e-06f, s, 7.56619920139201e-05f), s,
            0.0012958452571183443f), s, 0.024301523342728615f), s, 0.24343402683734894f), s, 1.0f);
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

/* d/dx [x sigma(2u(x))] for |xc| <= 5.6. */
K_FN float k_gelu_tanh_slope(float xc) {
    float s = xc * xc;
    float p = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(-3.760795494467395e-11f, s, 6.7781518175991096e-09f), s,
            -4.844823138228094e-07f), s, 3.3603719202801585e-05f), s, -0.0005133476806804538f), s,
            0.01423459593206644f), s, -0.06295137852430344f), s, 0.7978847622871399f);
    float q = K_FMA(K_FMA(K_FMA(K_FMA(K_FMA(2.208175374107668e-06f, s, 8.90175870154053e-05f), s,
            0.0011933473870158195f), s, 0.026905620470643044f), s, 0.25608742237091064f), s, 1.0f);
    return xc * p / q + 0.5f;
}

K_FN float k_act_forward(int kind, float p, float x) {
    switch (kind) {
    case K_ACT_SIGMOID:
        return k_sigmoid(x);
    case K_ACT_TANH:
        return tanh(x);
    case K_ACT_RELU:
        return x > 0.0f ? x : (k_isnan(x) ? x : 0.0f);
    case K_ACT_LEAKY_RELU:
        return x > 0.0f ? x : p * x;
    case K_ACT_ELU:
        return x > 0.0f ? x : p * expm1(x);
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
        /* x * |Phi|, x clamped from below: x <= -5.5 (and -inf) give 0 * -5.5 = -0, x >= 5.5 gives x. */
        float lower = x < -K_GELU_CLAMP ? -K_GELU_CLAMP : x;
        return fabs(0.5f + k_gelu_cdf_minus_half(k_clamp_sym(x, K_GELU_CLAMP))) * lower;
    }
    case K_ACT_GELU_TANH: {
        float lower = x < -K_GELU_TANH_CLAMP ? -K_GELU_TANH_CLAMP : x;
        return fabs(0.5f + k_gelu_tanh_gate_minus_half(k_clamp_sym(x, K_GELU_TANH_CLAMP))) * lower;
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
        return dy * (1.0f - y * y);
    case K_ACT_RELU:
        /* x <= 0 selects 0, but a NaN dy still propagates (as dy * 0 would not for dy = +-inf). */
        return x > 0.0f ? dy : (k_isnan(dy) ? dy : 0.0f);
    case K_ACT_LEAKY_RELU:
        return x > 0.0f ? dy : p * dy;
    case K_ACT_ELU:
        return x > 0.0f ? dy : dy * (y + p);
    case K_ACT_SWISH: {
        float bx = p == 0.0f ? 0.0f : p * x;
        float s = k_sigmoid(bx);
        if (k_isinf(x)) {
            return dy * s;
        }
        /* Where sigma' is 0 (|beta * x| large, or overflowed to inf at |x| near FLT_MAX) the term's limit is 0, not inf * 0. */
        float g = s * (1.0f - s);
        return dy * (s + (g == 0.0f ? 0.0f : bx * g));
    }
    case K_ACT_SOFTPLUS:
        return dy * k_sigmoid(x);
    case K_ACT_GELU:
        /* f'(-inf) = 0 and f'(+inf) = 1 through the clamp, applied to dy as a product so NaN and inf in dy propagate. */
        return dy * k_gelu_slope(k_clamp_sym(x, K_GELU_SLOPE_CLAMP));
    case K_ACT_GELU_TANH:
        return dy * k_gelu_tanh_slope(k_clamp_sym(x, K_GELU_TANH_SLOPE_CLAMP));
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
 * work-items only for small kernels. K_GROUP_WHOLE(n): whether this work-group's items all lie below n. */
#ifndef K_TAIL
#define K_TAIL 1
#endif
#if K_ONE_PER_ITEM
#define K_GROUP_WHOLE(n) (((kidx) get_group_id(0) + 1) * (kidx) get_local_size(0) <= (kidx) (n))
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
