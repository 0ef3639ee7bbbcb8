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

/* sigma(x) without overflow: exp only ever sees a non-positive argument. */
K_FN float k_sigmoid(float x) {
    if (x >= 0.0f) {
        return 1.0f / (1.0f + exp(-x));
    }
    float e = exp(x);
    return e / (1.0f + e);
}

/* Phi(x), the standard normal CDF, through erfc so the far tail keeps its relative accuracy. */
K_FN float k_phi_cdf(float x) {
#ifdef K_FP64
    return (float) (0.5 * erfc(-(double) x * 0.7071067811865476));
#else
    return 0.5f * erfc(-x * 0.70710678f);
#endif
}

K_FN float k_phi_pdf(float x) {
#ifdef K_FP64
    double d = (double) x;
    return (float) (0.3989422804014327 * exp(-0.5 * d * d));
#else
    return 0.39894228f * exp(-0.5f * x * x);
#endif
}

#define K_GELU_TANH_C 0.7978845608028654f
#define K_GELU_TANH_A 0.044715f

/* The precision of the few activations whose float forms lose accuracy by cancellation. */
#ifdef K_FP64
typedef double kreal;
#else
typedef float kreal;
#endif

K_FN kreal k_sigmoid_r(kreal u) {
    if (u >= 0) {
        return 1 / (1 + exp(-u));
    }
    kreal e = exp(u);
    return e / (1 + e);
}

/* sigma'(u) = sigma(u)(1 - sigma(u)) = e / (1 + e)^2 with e = exp(-|u|): no cancellation. */
K_FN kreal k_sigmoid_slope_r(kreal u) {
    kreal e = exp(-fabs(u));
    return e / ((1 + e) * (1 + e));
}

K_FN kreal k_gelu_tanh_inner(kreal x) {
    return (kreal) K_GELU_TANH_C * (x + (kreal) K_GELU_TANH_A * x * x * x);
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
        float s = k_sigmoid(p * x);
        if (k_isinf(x) && s == 0.0f) {
            return 0.0f; /* the limit, not inf * 0 */
        }
        return x * s;
    }
    case K_ACT_SOFTPLUS:
        return fmax(x, 0.0f) + log1p(exp(-fabs(x)));
    case K_ACT_GELU:
        if (k_isinf(x)) {
            return x > 0.0f ? x : 0.0f;
        }
        return x * k_phi_cdf(x);
    case K_ACT_GELU_TANH: {
        if (k_isinf(x)) {
            return x > 0.0f ? x : 0.0f;
        }
        /* (1 + tanh u) / 2 = sigma(2u): the sigmoid form keeps relative accuracy where tanh u -> -1. */
        kreal xd = (kreal) x;
        kreal sg = k_sigmoid_r(2 * k_gelu_tanh_inner(xd));
        return sg == 0 ? 0.0f : (float) (xd * sg);
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
        float s = k_sigmoid(p * x);
        if (k_isinf(x)) {
            return dy * s;
        }
        return dy * (s + p * x * s * (1.0f - s));
    }
    case K_ACT_SOFTPLUS:
        return dy * k_sigmoid(x);
    case K_ACT_GELU:
        if (k_isinf(x)) {
            /* f'(-inf) = 0 and f'(+inf) = 1, applied to dy as a product so NaN and inf in dy propagate. */
            return x > 0.0f ? dy : dy * 0.0f;
        }
        return dy * (k_phi_cdf(x) + x * k_phi_pdf(x));
    case K_ACT_GELU_TANH: {
        if (k_isinf(x)) {
            return x > 0.0f ? dy : dy * 0.0f;
        }
        kreal xd = (kreal) x;
        kreal u2 = 2 * k_gelu_tanh_inner(xd);
        kreal slope = k_sigmoid_slope_r(u2);
        kreal du2 = 2 * (kreal) K_GELU_TANH_C * (1 + 3 * (kreal) K_GELU_TANH_A * xd * xd);
        kreal term = slope == 0 ? 0 : xd * slope * du2;
        return (float) ((kreal) dy * (k_sigmoid_r(u2) + term));
    }
    default:
        return dy;
    }
}

/* ---- launch geometry ---------------------------------------------------------------------- */

/* Grid-stride loop over [0, n): the host caps the global size, so tails are guarded here. */
#define K_FOR_EACH(i, n) for (klong i = (klong) get_global_id(0); i < (n); i += (klong) get_global_size(0))

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
