/* losses.cl: the elementwise losses of dev.kengine.op.Loss. Stage one of a two-stage sum (see
 * reduce.cl, k_sum_finish): each work-group writes the sum of its share of per-element losses,
 * and, when asked, every element's gradient times gradScale (1/n for MEAN). */

#ifndef LOSS_WG
#define LOSS_WG 256
#endif

#define K_LOSS_MSE 0
#define K_LOSS_MAE 1
#define K_LOSS_HUBER 2
#define K_LOSS_BCE 3
#define K_LOSS_BCE_LOGITS 4

/* sign(d) with sign(0) = 0 and NaN kept. */
K_FN float k_sign(float d) {
    return d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : d * 0.0f);
}

/* ln clamped to >= -100; NaN still propagates (fmax would hide it). */
K_FN float k_clamped_log(float v) {
    float l = log(v);
    return l < -100.0f ? -100.0f : l;
}

/* max(ln(1 - p), -100), accurate where 1 - p rounds: ln(u) for u = 1 - p rounded, scaled by -p / (u - 1), the ratio
 * of the exact argument to the rounded one (exactly 1 where u is exact); -p itself where u rounds to 1. Rounding 1 - p
 * alone loses p below 2^-24 entirely. Not log1p(-p): on PoCL 3.1 it put the kit's BCE rows of one and two elements
 * 0.2-2 % off (longer rows passed). */
K_FN float k_clamped_log1m(float p) {
    float u = 1.0f - p;
    float l = u == 1.0f ? -p : log(u) * (-p / (u - 1.0f));
    return l < -100.0f ? -100.0f : l;
}

/* One element's loss, MSE's and Huber's in the accumulator's type (double where the device has it, as the CPU
 * backend's): in float, d * d overflows for |d| > 1.8e19, where the sum or mean need not. */
K_FN kacc k_loss_value(int kind, float delta, float p, float t) {
    float d = p - t;
    switch (kind) {
    case K_LOSS_MSE:
        return (kacc) d * (kacc) d;
    case K_LOSS_MAE:
        return fabs(d);
    case K_LOSS_HUBER: {
        kacc a = (kacc) fabs(d);
        return a <= (kacc) delta ? a * a * (kacc) 0.5 : (kacc) delta * (a - (kacc) 0.5 * (kacc) delta);
    }
    case K_LOSS_BCE:
        return -(t * k_clamped_log(p) + (1.0f - t) * k_clamped_log1m(p));
    default:
        return fmax(p, 0.0f) - p * t + log1p(exp(-fabs(p)));
    }
}

K_FN float k_loss_grad(int kind, float delta, float p, float t) {
    float d = p - t;
    switch (kind) {
    case K_LOSS_MSE:
        return 2.0f * d;
    case K_LOSS_MAE:
        return k_sign(d);
    case K_LOSS_HUBER:
        return fabs(d) <= delta ? d : delta * k_sign(d);
    case K_LOSS_BCE: {
        /* p outside [0, 1], where the loss is NaN, gives NaN (the clamp would make it about +-1e12). */
        float q = p * (1.0f - p);
        return q < 0.0f ? K_NAN : d / (q < 1e-12f ? 1e-12f : q);
    }
    default: {
        /* sigma(p) - t as (1 - t) sigma(p) - t sigma(-p): for a confident logit of the right sign (t = 1, p >~ 17)
         * sigma(p) - t cancels to 0 where the gradient is -sigma(-p), about -e^-p. */
        float e = exp(-fabs(p));
        float r = 1.0f / (1.0f + e);
        float sp = p < 0.0f ? e * r : r;
        float sn = p < 0.0f ? r : e * r;
        return (1.0f - t) * sp - t * sn;
    }
    }
}

__kernel void k_loss(__global const float* pred, __global const float* target, __global float* grad,
                     int writeGrad, float gradScale, klong n, int kind, float delta, __global kacc* partial) {
    __local kacc buf[LOSS_WG];
    int lid = (int) get_local_id(0);
    kacc s = 0;
    K_FOR_EACH(i, n) {
        float p = pred[i];
        float t = target[i];
        s += (kacc) k_loss_value(kind, delta, p, t);
        if (writeGrad) {
            grad[i] = k_loss_grad(kind, delta, p, t) * gradScale;
        }
    }
    s = k_wg_sum(buf, s, lid, LOSS_WG);
    if (lid == 0) {
        partial[get_group_id(0)] = s;
    }
}
