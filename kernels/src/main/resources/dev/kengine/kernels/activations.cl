/* activations.cl: every activation forward and backward (formulas in common.h, after
 * dev.kengine.op.Activation), the bias + activation epilogue, and PReLU with its gradients. */

#ifndef ACTIVATION_WG
#define ACTIVATION_WG 256
#endif

__kernel void k_activation(__global const float* x, __global float* y, klong n, int kind, float p) {
    K_FOR_ELEMENT(i, n) {
        y[i] = k_act_forward(kind, p, x[i]);
    }
}

__kernel void k_activation_backward(__global const float* dy, __global const float* x, __global const float* y,
                                    __global float* dx, klong n, int kind, float p) {
    K_FOR_ELEMENT(i, n) {
        dx[i] = k_act_backward(kind, p, dy[i], x[i], y[i]);
    }
}

/* The same, one kernel per kind (the host picks k_activation_<kind> on one-per-item devices): with the kind a
 * constant the switch folds away, and a CPU runtime vectorises the loop over work-items, which it does not across
 * a switch on a kernel argument. */
#define K_ACT_FORWARD_BODY(kind) K_FOR_ELEMENT(i, n) { y[i] = k_act_forward(kind, p, x[i]); }
#define K_ACT_BACKWARD_BODY(kind) K_FOR_ELEMENT(i, n) { dx[i] = k_act_backward(kind, p, dy[i], x[i], y[i]); }

__kernel void k_activation_identity(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_IDENTITY) }
__kernel void k_activation_sigmoid(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_SIGMOID) }
__kernel void k_activation_tanh(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_TANH) }
__kernel void k_activation_relu(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_RELU) }
__kernel void k_activation_leaky_relu(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_LEAKY_RELU) }
__kernel void k_activation_elu(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_ELU) }
__kernel void k_activation_swish(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_SWISH) }
__kernel void k_activation_softplus(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_SOFTPLUS) }
__kernel void k_activation_gelu(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_GELU) }
__kernel void k_activation_gelu_tanh(__global const float* x, __global float* y, klong n, float p) { K_ACT_FORWARD_BODY(K_ACT_GELU_TANH) }
__kernel void k_activation_identity_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_IDENTITY) }
__kernel void k_activation_sigmoid_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_SIGMOID) }
__kernel void k_activation_tanh_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_TANH) }
__kernel void k_activation_relu_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_RELU) }
__kernel void k_activation_leaky_relu_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_LEAKY_RELU) }
__kernel void k_activation_elu_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_ELU) }
__kernel void k_activation_swish_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_SWISH) }
__kernel void k_activation_softplus_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_SOFTPLUS) }
__kernel void k_activation_gelu_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_GELU) }
__kernel void k_activation_gelu_tanh_backward(__global const float* dy, __global const float* x, __global const float* y,
        __global float* dx, klong n, float p) { K_ACT_BACKWARD_BODY(K_ACT_GELU_TANH) }

#if K_OPENCL && K_ONE_PER_ITEM && defined(K_OWN_EXP) && K_OWN_EXP
/* CPU devices: the activations sixteen elements per work-item in explicit float16 vectors (k_activation_<kind>16).
 * PoCL's LLVM targets skylake-avx512 with its preference for 256-bit vectors, so the loop vectoriser widens the
 * per-element kernels above to 8 lanes; explicit 16-lane code, which that vectoriser leaves alone, compiles to
 * 512-bit instructions. Each function is its scalar form in common.h with the same operations in the same order,
 * the branches as selects: the same bits, element for element, as the per-element kernels. */
#define K_F16(v) ((float16) (v))

K_FN float16 k_sigmoid16(float16 x) {
    float16 e = k_exp_nonpos16(-fabs(x));
    return select(e, K_F16(1.0f), x >= 0.0f) / (1.0f + e);
}

K_FN float16 k_sigmoid_slope16(float16 a, float16 w) {
    float16 e = k_exp_nonpos16(-fabs(a));
    float16 r = 1.0f / (1.0f + e);
    float16 r2 = r * r;
    float16 onePlusW = w + 1.0f;
    float16 v = select(fma(e, onePlusW, K_F16(1.0f)) * r2, ((onePlusW + e) * e) * r2, a < 0.0f);
    return select(v, select(K_F16(1.0f), K_F16(0.0f), a < 0.0f), e == 0.0f);
}

K_FN float16 k_tanh16(float16 x) {
    float16 a = fabs(x);
    float16 s = a * a;
    float16 p = fma(fma(fma(fma(K_F16(-0.005704982206225395f), s, K_F16(0.02063908241689205f)), s,
            K_F16(-0.05373971164226532f)), s, K_F16(0.13331441581249237f)), s, K_F16(-0.3333328068256378f));
    /* Past the saturation (-2a < -18.03) the result is selected away: the short exp suffices. */
    float16 e = k_exp_core16(-2.0f * a);
    float16 r = select(1.0f - (e + e) / (e + 1.0f), fma(a * s, p, a), a < 0.625f);
    return copysign(select(r, K_F16(1.0f), a >= K_TANH_SATURATION), x);
}

K_FN float16 k_clamp_sym16(float16 x, float c) {
    float16 lower = select(x, K_F16(-c), x < -c);
    return select(lower, K_F16(c), lower > c);
}

K_FN float16 k_gelu_cdf_minus_half16(float16 xc) {
    float16 s = xc * xc;
    float16 p = fma(fma(fma(fma(fma(fma(K_F16(1.1174794423141066e-10f), s, K_F16(-2.2081552586428188e-08f)), s,
            K_F16(3.2411469419457717e-06f)), s, K_F16(0.0001703876187093556f)), s, K_F16(0.00450925761833787f)), s,
            K_F16(0.03592370077967644f)), s, K_F16(0.39894214272499084f));
    float16 q = fma(fma(fma(fma(K_F16(6.233047315618023e-05f), s, K_F16(0.0018307268619537354f)), s,
            K_F16(0.029092349112033844f)), s, K_F16(0.2567119300365448f)), s, K_F16(1.0f));
    return xc * p / q;
}

K_FN float16 k_gelu_slope16(float16 xc) {
    float16 s = xc * xc;
    float16 p = fma(fma(fma(fma(fma(fma(fma(K_F16(-1.5357199886767425e-11f), s, K_F16(2.7850015626995628e-09f)), s,
            K_F16(-1.0087882884590726e-07f)), s, K_F16(3.300782191217877e-05f)), s, K_F16(-0.00014815674512647092f)), s,
            K_F16(0.014529967680573463f)), s, K_F16(-0.04151695594191551f)), s, K_F16(0.7978847622871399f));
    float16 q = fma(fma(fma(fma(fma(K_F16(5.556486030400265e-06f), s, K_F16(0.00015020817227195948f)), s,
            K_F16(0.0029522839467972517f)), s, K_F16(0.03697187453508377f)), s, K_F16(0.28130200505256653f)), s,
            K_F16(1.0f));
    return xc * p / q + 0.5f;
}

/* k_gelu_tail (GELU, or its slope where slope != 0) for the lanes below -K_GELU_TAIL; only called when a lane is. */
K_FN float16 k_gelu_tail16(float16 x, int slope) {
    float16 xf = select(x, K_F16(K_GELU_TAIL_FLOOR), x < K_GELU_TAIL_FLOOR);
    float16 z = -xf * 0.70710678118654752f;
    float16 t = 1.0f / fma(K_F16(0.5f), z, K_F16(1.0f));
    float16 q = fma(fma(fma(fma(fma(fma(fma(fma(fma(K_F16(0.17087277f), t, K_F16(-0.82215223f)), t, K_F16(1.48851587f)), t,
            K_F16(-1.13520398f)), t, K_F16(0.27886807f)), t, K_F16(-0.18628806f)), t, K_F16(0.09678418f)), t,
            K_F16(0.37409196f)), t, K_F16(1.00002368f)), t, K_F16(-1.26551223f));
    float16 xx = xf * xf;
    float16 lo = fma(xf, xf, -xx);
    float16 e = exp(-0.5f * xx);
    float16 gauss = e * (1.0f - 0.5f * lo);
    float16 cdf = 0.5f * t * e * exp(q - 0.5f * lo);
    return slope ? fma(xf, 0.3989422804014327f * gauss, cdf) : xf * cdf;
}

/* k_act_forward and k_act_backward, sixteen lanes; kind is a constant in every caller. */
K_FN float16 k_act_forward16(int kind, float p, float16 x) {
    switch (kind) {
    case K_ACT_SIGMOID:
        return k_sigmoid16(x);
    case K_ACT_TANH:
        return k_tanh16(x);
    case K_ACT_RELU:
        return select(select(K_F16(0.0f), x, k_isnan(x)), x, x > 0.0f);
    case K_ACT_LEAKY_RELU:
        return select(p * x, x, x > 0.0f);
    case K_ACT_ELU:
        return select(p * expm1(x), x, x >= 0.0f); /* ELU(-0) = -0 */
    case K_ACT_SWISH: {
        float16 s = k_sigmoid16(p == 0.0f ? K_F16(0.0f) : p * x);
        return select(x * s, K_F16(0.0f), k_isinf(x) && s == 0.0f);
    }
    case K_ACT_SOFTPLUS:
        return fmax(x, 0.0f) + log1p(k_exp_nonpos16(-fabs(x)));
    case K_ACT_GELU: {
        float16 lower = select(x, K_F16(-K_GELU_CLAMP), x < -K_GELU_CLAMP);
        float16 g = fabs(0.5f + k_gelu_cdf_minus_half16(k_clamp_sym16(x, K_GELU_CLAMP))) * lower;
        return K_ANY16(x < -K_GELU_TAIL) ? select(g, k_gelu_tail16(x, 0), x < -K_GELU_TAIL) : g;
    }
    case K_ACT_GELU_TANH: {
        float16 g = x * k_sigmoid16(K_GELU_TANH_TWO_SCALE * x * fma(K_F16(K_GELU_TANH_CUBIC), x * x, K_F16(1.0f)));
        return select(g, K_F16(-0.0f), k_isinf(x) && x < 0.0f);
    }
    default:
        return x;
    }
}

K_FN float16 k_act_backward16(int kind, float p, float16 dy, float16 x, float16 y) {
    float16 g;
    switch (kind) {
    case K_ACT_SIGMOID:
        g = dy * (y * (1.0f - y));
        break;
    case K_ACT_TANH:
        g = dy * ((1.0f - y) * (1.0f + y));
        break;
    case K_ACT_RELU:
        g = select(select(K_F16(0.0f), dy, k_isnan(dy)), dy, x > 0.0f);
        break;
    case K_ACT_LEAKY_RELU:
        g = select(p * dy, dy, x > 0.0f);
        break;
    case K_ACT_ELU:
        g = select(dy * (p * exp(x)), dy, x > 0.0f);
        break;
    case K_ACT_SWISH: {
        float16 bx = p == 0.0f ? K_F16(0.0f) : p * x;
        g = dy * k_sigmoid_slope16(bx, bx);
        break;
    }
    case K_ACT_SOFTPLUS:
        g = dy * k_sigmoid16(x);
        break;
    case K_ACT_GELU: {
        float16 s = k_gelu_slope16(k_clamp_sym16(x, K_GELU_SLOPE_CLAMP));
        g = dy * (K_ANY16(x < -K_GELU_TAIL) ? select(s, k_gelu_tail16(x, 1), x < -K_GELU_TAIL) : s);
        break;
    }
    case K_ACT_GELU_TANH:
        g = dy * k_sigmoid_slope16(K_GELU_TANH_TWO_SCALE * x * fma(K_F16(K_GELU_TANH_CUBIC), x * x, K_F16(1.0f)),
                                   K_GELU_TANH_TWO_SCALE * fma(K_F16(3.0f * K_GELU_TANH_CUBIC), x * x, K_F16(1.0f)) * x);
        break;
    default:
        return dy;
    }
    return select(g, x, k_isnan(x));
}

/* Work-item g owns elements 16 g .. 16 g + 15, with no test: the host launches whole work-groups over whole blocks
 * of sixteen only, and the elements past the last of them with the per-element kernel (a test and a per-element
 * loop for the last block in this kernel made the compiled loop over the work-items keep fewer constants in
 * registers: sigmoid 80 % of the copy kernel with it, 99 % without, SiLU and softplus 62 % and 80 %). */
#define K_ACT16_FORWARD_BODY(kind) \
    kidx base = (kidx) get_global_id(0) << 4; \
    K_STORE16(y + base, k_act_forward16(kind, p, K_LOAD16(x + base)));
#define K_ACT16_BACKWARD_BODY(kind) \
    kidx base = (kidx) get_global_id(0) << 4; \
    K_STORE16(dx + base, k_act_backward16(kind, p, K_LOAD16(dy + base), K_LOAD16(x + base), K_LOAD16(y + base)));
#define K_ACT16_KERNELS(name, kind) \
    K_OPENCL_KERNEL void k_activation_##name##16(__global const float* x, __global float* y, klong n, float p) { \
        K_ACT16_FORWARD_BODY(kind) } \
    K_OPENCL_KERNEL void k_activation_##name##_backward16(__global const float* dy, __global const float* x, \
            __global const float* y, __global float* dx, klong n, float p) { K_ACT16_BACKWARD_BODY(kind) }

K_ACT16_KERNELS(sigmoid, K_ACT_SIGMOID)
K_ACT16_KERNELS(tanh, K_ACT_TANH)
K_ACT16_KERNELS(relu, K_ACT_RELU)
K_ACT16_KERNELS(leaky_relu, K_ACT_LEAKY_RELU)
K_ACT16_KERNELS(elu, K_ACT_ELU)
K_ACT16_KERNELS(swish, K_ACT_SWISH)
K_ACT16_KERNELS(softplus, K_ACT_SOFTPLUS)
K_ACT16_KERNELS(gelu, K_ACT_GELU)
K_ACT16_KERNELS(gelu_tanh, K_ACT_GELU_TANH)

/* The same on half-precision storage (dt: K_DT_F16 or K_DT_BF16): sixteen elements widened exactly, the float32
 * functions above, each result rounded once (k_half_load16, k_half_store16); the per-element half kernels below run
 * the elements past the whole blocks, with the same bits. */
#define K_ACT16_HALF_KERNELS(name, kind) \
    K_OPENCL_KERNEL void k_activation_##name##_half16(__global const kushort* x, __global kushort* y, klong n, float p, \
            int dt) { \
        kidx base = (kidx) get_global_id(0) << 4; \
        k_half_store16(y, base, dt, k_act_forward16(kind, p, k_half_load16(x, base, dt))); } \
    K_OPENCL_KERNEL void k_activation_##name##_backward_half16(__global const kushort* dy, __global const kushort* x, \
            __global const kushort* y, __global kushort* dx, klong n, float p, int dt) { \
        kidx base = (kidx) get_global_id(0) << 4; \
        k_half_store16(dx, base, dt, k_act_backward16(kind, p, k_half_load16(dy, base, dt), k_half_load16(x, base, dt), \
                k_half_load16(y, base, dt))); }

K_ACT16_HALF_KERNELS(sigmoid, K_ACT_SIGMOID)
K_ACT16_HALF_KERNELS(tanh, K_ACT_TANH)
K_ACT16_HALF_KERNELS(relu, K_ACT_RELU)
K_ACT16_HALF_KERNELS(leaky_relu, K_ACT_LEAKY_RELU)
K_ACT16_HALF_KERNELS(elu, K_ACT_ELU)
K_ACT16_HALF_KERNELS(swish, K_ACT_SWISH)
K_ACT16_HALF_KERNELS(softplus, K_ACT_SOFTPLUS)
K_ACT16_HALF_KERNELS(gelu, K_ACT_GELU)
K_ACT16_HALF_KERNELS(gelu_tanh, K_ACT_GELU_TANH)
#endif

/* Half-precision storage (dt: K_DT_F16 or K_DT_BF16, as the host gives it): each element widened exactly,
 * computed in float32 by the same formulas, rounded once on store by dev.kengine.Conversions' rules. */

__kernel void k_activation_half(__global const kushort* x, __global kushort* y, klong n, int kind, float p, int dt) {
    K_FOR_ELEMENT(i, n) {
        K_HALF_STORE(y, i, dt, k_act_forward(kind, p, K_HALF_LOAD(x, i, dt)));
    }
}

__kernel void k_activation_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
                                         __global kushort* dx, klong n, int kind, float p, int dt) {
    K_FOR_ELEMENT(i, n) {
        K_HALF_STORE(dx, i, dt, k_act_backward(kind, p, K_HALF_LOAD(dy, i, dt), K_HALF_LOAD(x, i, dt), K_HALF_LOAD(y, i, dt)));
    }
}

#define K_ACT_HALF_FORWARD_BODY(kind) K_FOR_ELEMENT(i, n) { K_HALF_STORE(y, i, dt, k_act_forward(kind, p, K_HALF_LOAD(x, i, dt))); }
#define K_ACT_HALF_BACKWARD_BODY(kind) K_FOR_ELEMENT(i, n) { \
    K_HALF_STORE(dx, i, dt, k_act_backward(kind, p, K_HALF_LOAD(dy, i, dt), K_HALF_LOAD(x, i, dt), K_HALF_LOAD(y, i, dt))); }
__kernel void k_activation_identity_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_IDENTITY) }
__kernel void k_activation_identity_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_IDENTITY) }
__kernel void k_activation_sigmoid_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_SIGMOID) }
__kernel void k_activation_sigmoid_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_SIGMOID) }
__kernel void k_activation_tanh_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_TANH) }
__kernel void k_activation_tanh_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_TANH) }
__kernel void k_activation_relu_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_RELU) }
__kernel void k_activation_relu_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_RELU) }
__kernel void k_activation_leaky_relu_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_LEAKY_RELU) }
__kernel void k_activation_leaky_relu_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_LEAKY_RELU) }
__kernel void k_activation_elu_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_ELU) }
__kernel void k_activation_elu_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_ELU) }
__kernel void k_activation_swish_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_SWISH) }
__kernel void k_activation_swish_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_SWISH) }
__kernel void k_activation_softplus_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_SOFTPLUS) }
__kernel void k_activation_softplus_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_SOFTPLUS) }
__kernel void k_activation_gelu_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_GELU) }
__kernel void k_activation_gelu_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_GELU) }
__kernel void k_activation_gelu_tanh_half(__global const kushort* x, __global kushort* y, klong n, float p, int dt) { K_ACT_HALF_FORWARD_BODY(K_ACT_GELU_TANH) }
__kernel void k_activation_gelu_tanh_backward_half(__global const kushort* dy, __global const kushort* x, __global const kushort* y,
        __global kushort* dx, klong n, float p, int dt) { K_ACT_HALF_BACKWARD_BODY(K_ACT_GELU_TANH) }

/* z[r, c] += bias[c] (when hasBias), then y = act(z). */
__kernel void k_bias_activation(__global float* z, __global const float* bias, int hasBias, __global float* y,
                                klong n, klong cols, int kind, float p) {
    K_FOR_ELEMENT(i, n) {
        float v = z[i];
        if (hasBias) {
            v = v + bias[i % cols];
            z[i] = v;
        }
        y[i] = k_act_forward(kind, p, v);
    }
}

/* x viewed as [outer, channels, inner]; channel of element i is (i / inner) % channels. */
__kernel void k_prelu(__global const float* x, __global const float* alpha, __global float* y,
                      klong n, klong channels, klong inner) {
    K_FOR_ELEMENT(i, n) {
        float v = x[i];
        y[i] = v > 0.0f ? v : alpha[(i / (kidx) inner) % (kidx) channels] * v;
    }
}

__kernel void k_prelu_backward_x(__global const float* dy, __global const float* x, __global const float* alpha,
                                 __global float* dx, klong n, klong channels, klong inner) {
    K_FOR_ELEMENT(i, n) {
        float v = x[i];
        float g = dy[i];
        dx[i] = v > 0.0f ? g : (k_isnan(v) ? v : alpha[(i / (kidx) inner) % (kidx) channels] * g);
    }
}

/* dAlpha[c] = sum over x <= 0 in channel c of dy * x; one work-group per channel. */
__kernel void k_prelu_backward_alpha(__global const float* dy, __global const float* x, __global float* dalpha,
                                     klong outer, klong channels, klong inner) {
    __local kacc buf[ACTIVATION_WG];
    int lid = (int) get_local_id(0);
    klong per = outer * inner;
    for (klong c = (klong) get_group_id(0); c < channels; c += (klong) get_num_groups(0)) {
        kacc s = 0;
        for (klong j = lid; j < per; j += ACTIVATION_WG) {
            klong o = j / inner;
            klong i = (o * channels + c) * inner + (j - o * inner);
            float v = x[i];
            if (!(v > 0.0f)) {
                s += (kacc) (dy[i] * v);
            }
        }
        s = k_wg_sum(buf, s, lid, ACTIVATION_WG);
        if (lid == 0) {
            dalpha[c] = (float) s;
        }
    }
}
