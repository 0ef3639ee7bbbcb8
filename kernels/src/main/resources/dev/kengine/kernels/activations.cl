/* activations.cl: every activation forward and backward (formulas in common.h, after
 * dev.kengine.op.Activation), the bias + activation epilogue, and PReLU with its gradients. */

#ifndef ACTIVATION_WG
#define ACTIVATION_WG 256
#endif

__kernel void k_activation(__global const float* x, __global float* y, klong n, int kind, float p) {
    K_FOR_EACH(i, n) {
        y[i] = k_act_forward(kind, p, x[i]);
    }
}

__kernel void k_activation_backward(__global const float* dy, __global const float* x, __global const float* y,
                                    __global float* dx, klong n, int kind, float p) {
    K_FOR_EACH(i, n) {
        dx[i] = k_act_backward(kind, p, dy[i], x[i], y[i]);
    }
}

/* z[r, c] += bias[c] (when hasBias), then y = act(z). */
__kernel void k_bias_activation(__global float* z, __global const float* bias, int hasBias, __global float* y,
                                klong n, klong cols, int kind, float p) {
    K_FOR_EACH(i, n) {
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
    K_FOR_EACH(i, n) {
        float v = x[i];
        y[i] = v > 0.0f ? v : alpha[(i / inner) % channels] * v;
    }
}

__kernel void k_prelu_backward_x(__global const float* dy, __global const float* x, __global const float* alpha,
                                 __global float* dx, klong n, klong channels, klong inner) {
    K_FOR_EACH(i, n) {
        float v = x[i];
        float g = dy[i];
        dx[i] = v > 0.0f ? g : (k_isnan(v) ? v : alpha[(i / inner) % channels] * g);
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
