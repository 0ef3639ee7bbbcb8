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
