/* optim.cl: SGD (momentum, Nesterov, L1, L2) and Adam/AdamW steps in place, after
 * dev.kengine.op.SgdConfig and AdamConfig, and the two sums of the regularisation penalty. */

#ifndef OPTIM_WG
#define OPTIM_WG 256
#endif

/* Math.signum: ±1, or w itself for ±0 and NaN (so that −0 gives the CPU kernels' bits). */
K_FN float k_sign0(float w) {
    return w > 0.0f ? 1.0f : (w < 0.0f ? -1.0f : w);
}

/* One SGD step on w[i] with gradient gi (velocity v[i] when hasVelocity): the new w[i], also stored. */
K_FN float k_sgd_one(__global float* w, float gi, __global float* v, kidx i, int hasVelocity, float lr, float momentum,
                     int nesterov, float l2, float l1) {
    float wi = w[i];
    /* Every multiply-add fused, as the CPU kernels (the same bits) and PyTorch's. */
    gi = K_FMA(l2, wi, gi) + l1 * k_sign0(wi);
    if (hasVelocity) {
        float vi = K_FMA(momentum, v[i], gi);
        v[i] = vi;
        gi = nesterov ? K_FMA(momentum, vi, gi) : vi;
    }
    float r = K_FMA(-lr, gi, wi);
    w[i] = r;
    return r;
}

__kernel void k_sgd(__global float* w, __global const float* g, __global float* v, int hasVelocity, klong n,
                    float lr, float momentum, int nesterov, float l2, float l1) {
    K_FOR_ELEMENT(i, n) {
        k_sgd_one(w, g[i], v, i, hasVelocity, lr, momentum, nesterov, l2, l1);
    }
}

/* beta a + (1 - beta) b with both products' rounding errors added back (exact through the fma): within about half
 * an ulp even where the products cancel; the plain sum where it is not finite (the errors of an infinite product
 * are inf - inf). The CPU kernels' ScalarElementwise.blend. */
K_FN float k_blend(float beta, float a, float oneMinusBeta, float b) {
    float p = beta * a;
    float q = oneMinusBeta * b;
    float sum = p + q;
    return isfinite(sum) ? sum + (K_FMA(beta, a, -p) + K_FMA(oneMinusBeta, b, -q)) : sum;
}

/* One Adam step on w[i] with gradient gi, moments m[i] and v[i]: the new w[i], also stored. c1 = 1 / (1 - beta1^t),
 * c2 = 1 / (1 - beta2^t), from the host's double bias corrections. */
K_FN float k_adam_one(__global float* w, float gi, __global float* m, __global float* v, kidx i, float lr, float beta1,
                      float beta2, float eps, float weightDecay, int decoupled, float c1, float c2) {
    float wi = w[i];
    if (!decoupled) {
        gi = K_FMA(weightDecay, wi, gi);
    }
    float mi = k_blend(beta1, m[i], 1.0f - beta1, gi);
    float vi = k_blend(beta2, v[i], 1.0f - beta2, gi * gi);
    m[i] = mi;
    v[i] = vi;
    if (decoupled) {
        wi = K_FMA(-(lr * weightDecay), wi, wi);
    }
    float r = K_FMA(-(lr * c1), mi / (sqrt(vi * c2) + eps), wi);
    w[i] = r;
    return r;
}

__kernel void k_adam(__global float* w, __global const float* g, __global float* m, __global float* v, klong n,
                     float lr, float beta1, float beta2, float eps, float weightDecay, int decoupled,
                     float c1, float c2) {
    K_FOR_ELEMENT(i, n) {
        k_adam_one(w, g[i], m, v, i, lr, beta1, beta2, eps, weightDecay, decoupled, c1, c2);
    }
}

/* Mixed precision in one pass: the gradient stored as float32, bfloat16 or float16, and w's new value rounded to
 * bfloat16 or float16 into wh (or no copy): the same bits as widening the gradient, the float32 step and a cast of
 * w. One kernel per pair of dtypes, so that no element tests a dtype (a CPU runtime's vectoriser then widens the
 * loop as it does k_adam's). */
#define K_GLOAD_F32(g, i) ((__global const float*) (g))[i]
#define K_GLOAD_BF16(g, i) K_AS_FLOAT((kuint) ((__global const kushort*) (g))[i] << 16)
/* A float16 gradient through vload_half (exact for every finite value; a NaN only feeds arithmetic, whose result is
 * the same quiet NaN either way); the float16 copy through the integer rounding, as k_cast_f32_f16, since
 * vstore_half_rte leaves a NaN's sign and payload to the runtime: the copy is the cast's bit for bit. */
#define K_GLOAD_F16(g, i) K_F16_LOAD((__global const kushort*) (g), i)
#define K_HSTORE_NONE(wh, i, r) ((void) 0)
#define K_HSTORE_BF16(wh, i, r) ((wh)[i] = (kushort) k_f32_to_bf16(K_AS_UINT(r)))
#define K_HSTORE_F16(wh, i, r) ((wh)[i] = (kushort) k_f32_to_f16(K_AS_UINT(r)))

#define K_SGD_MIXED_BODY(GLOAD, HSTORE) K_FOR_ELEMENT(i, n) { \
    float r = k_sgd_one(w, GLOAD(g, i), v, i, hasVelocity, lr, momentum, nesterov, l2, l1); \
    HSTORE(wh, i, r); }
#define K_SGD_MIXED_ARGS __global float* w, __global const kushort* g, __global float* v, int hasVelocity, klong n, \
    float lr, float momentum, int nesterov, float l2, float l1, __global kushort* wh
#define K_ADAM_MIXED_BODY(GLOAD, HSTORE) K_FOR_ELEMENT(i, n) { \
    float r = k_adam_one(w, GLOAD(g, i), m, v, i, lr, beta1, beta2, eps, weightDecay, decoupled, c1, c2); \
    HSTORE(wh, i, r); }
#define K_ADAM_MIXED_ARGS __global float* w, __global const kushort* g, __global float* m, __global float* v, klong n, \
    float lr, float beta1, float beta2, float eps, float weightDecay, int decoupled, float c1, float c2, __global kushort* wh
__kernel void k_sgd_mixed_f32_bf16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_F32, K_HSTORE_BF16) }
__kernel void k_sgd_mixed_f32_f16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_F32, K_HSTORE_F16) }
__kernel void k_sgd_mixed_bf16_none(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_NONE) }
__kernel void k_sgd_mixed_bf16_bf16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_BF16) }
__kernel void k_sgd_mixed_bf16_f16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_F16) }
__kernel void k_sgd_mixed_f16_none(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_F16, K_HSTORE_NONE) }
__kernel void k_sgd_mixed_f16_bf16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_F16, K_HSTORE_BF16) }
__kernel void k_sgd_mixed_f16_f16(K_SGD_MIXED_ARGS) { K_SGD_MIXED_BODY(K_GLOAD_F16, K_HSTORE_F16) }
__kernel void k_adam_mixed_f32_bf16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_F32, K_HSTORE_BF16) }
__kernel void k_adam_mixed_f32_f16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_F32, K_HSTORE_F16) }
__kernel void k_adam_mixed_bf16_none(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_NONE) }
__kernel void k_adam_mixed_bf16_bf16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_BF16) }
__kernel void k_adam_mixed_bf16_f16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_BF16, K_HSTORE_F16) }
__kernel void k_adam_mixed_f16_none(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_F16, K_HSTORE_NONE) }
__kernel void k_adam_mixed_f16_bf16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_F16, K_HSTORE_BF16) }
__kernel void k_adam_mixed_f16_f16(K_ADAM_MIXED_ARGS) { K_ADAM_MIXED_BODY(K_GLOAD_F16, K_HSTORE_F16) }

#if defined(K_OPENCL) && K_ONE_PER_ITEM
/* CPU devices: the mixed Adam step sixteen elements per work-item (the per-element kernels' float16 conversions left
 * PoCL's vectoriser scalar: 1.8x float32's time). The same operations lane by lane as k_adam_one and k_blend, so the
 * same bits; the gradient's dtype (gdt) and the copy's (hdt: 0 for none) are arguments, the whole blocks of sixteen
 * only: the per-pair kernel above runs the rest. */
K_FN float16 k_blend16(float beta, float16 a, float oneMinusBeta, float16 b) {
    float16 p = beta * a;
    float16 q = oneMinusBeta * b;
    float16 sum = p + q;
    float16 fixed = sum + (fma((float16) beta, a, -p) + fma((float16) oneMinusBeta, b, -q));
    return select(sum, fixed, isfinite(sum));
}

K_OPENCL_KERNEL void k_adam_mixed16(K_ADAM_MIXED_ARGS, int gdt, int hdt) {
    kidx i = (kidx) get_global_id(0) << 4;
    float16 gi = gdt == K_DT_F32 ? K_LOAD16((__global const float*) g + i) : k_half_load16(g, i, gdt);
    float16 wi = K_LOAD16(w + i);
    if (!decoupled) {
        gi = fma((float16) weightDecay, wi, gi);
    }
    float16 mi = k_blend16(beta1, K_LOAD16(m + i), 1.0f - beta1, gi);
    float16 vi = k_blend16(beta2, K_LOAD16(v + i), 1.0f - beta2, gi * gi);
    K_STORE16(m + i, mi);
    K_STORE16(v + i, vi);
    if (decoupled) {
        wi = fma((float16) (-(lr * weightDecay)), wi, wi);
    }
    float16 r = fma((float16) (-(lr * c1)), mi / (sqrt(vi * c2) + eps), wi);
    K_STORE16(w + i, r);
    if (hdt != 0) {
        k_half_store16(wh, i, hdt, r);
    }
}
#endif

/* partial[2g] = sum |w|, partial[2g + 1] = sum w^2 over work-group g's share. */
__kernel void k_penalty_partial(__global const float* w, klong n, __global kacc* partial) {
    __local kacc buf[OPTIM_WG];
    int lid = (int) get_local_id(0);
    kacc a = 0;
    kacc q = 0;
    K_FOR_EACH(i, n) {
        kacc x = (kacc) w[i];
        a += fabs(x);
        q += x * x;
    }
    a = k_wg_sum(buf, a, lid, OPTIM_WG);
    q = k_wg_sum(buf, q, lid, OPTIM_WG);
    if (lid == 0) {
        partial[2 * get_group_id(0)] = a;
        partial[2 * get_group_id(0) + 1] = q;
    }
}

__kernel void k_penalty_finish(__global const kacc* partial, int count, float l1, float l2, __global float* out) {
    if (get_global_id(0) != 0) {
        return;
    }
    kacc a = 0;
    kacc q = 0;
    for (int g = 0; g < count; g++) {
        a += partial[2 * g];
        q += partial[2 * g + 1];
    }
    out[0] = (float) ((kacc) l1 * a + (kacc) l2 * 0.5f * q);
}
