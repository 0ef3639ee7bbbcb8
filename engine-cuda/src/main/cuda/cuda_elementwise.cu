/* cuda_elementwise.cu: the activations forward and backward (common.h's k_act_forward and
 * k_act_backward, so the same formulas as activations.cl) with 16-byte loads and one kernel
 * specialised per activation kind. A streaming op on a large GPU needs many bytes in flight per
 * thread to approach the memory's bandwidth: one float per thread per iteration leaves it far
 * short, four per load does not. The backward pass loads the saved output y only for the kinds
 * whose derivative uses it. Storages are whole cuMemAlloc allocations (256-byte aligned), so
 * float4 access is aligned; the last n mod 4 elements are done one by one. */

template <int KIND>
K_FN float4 kc_act_forward4(float p, float4 v) {
    v.x = k_act_forward(KIND, p, v.x);
    v.y = k_act_forward(KIND, p, v.y);
    v.z = k_act_forward(KIND, p, v.z);
    v.w = k_act_forward(KIND, p, v.w);
    return v;
}

/* Two float4 per thread and iteration, both loads issued before either is computed: with one, the
 * activations that cost a few dozen instructions an element (sigmoid, SiLU, GELU) stopped at about
 * 80 % of the copy bandwidth on an H100, the load of the next iteration waiting behind the maths. */
template <int KIND>
K_FN void kc_activation4_kind(const float* x, float* y, klong n, float p) {
    klong n4 = n >> 2;
    const float4* x4 = (const float4*) x;
    float4* y4 = (float4*) y;
    klong stride = (klong) gridDim.x * blockDim.x;
    klong id = (klong) blockIdx.x * blockDim.x + threadIdx.x;
    klong i = id;
    for (; i + stride < n4; i += 2 * stride) {
        float4 a = x4[i];
        float4 b = x4[i + stride];
        y4[i] = kc_act_forward4<KIND>(p, a);
        y4[i + stride] = kc_act_forward4<KIND>(p, b);
    }
    if (i < n4) {
        y4[i] = kc_act_forward4<KIND>(p, x4[i]);
    }
    klong t = (n4 << 2) + id;
    if (t < n) {
        y[t] = k_act_forward(KIND, p, x[t]);
    }
}

__kernel void kc_activation4(const float* x, float* y, klong n, int kind, float p) {
    switch (kind) {
    case K_ACT_SIGMOID: kc_activation4_kind<K_ACT_SIGMOID>(x, y, n, p); break;
    case K_ACT_TANH: kc_activation4_kind<K_ACT_TANH>(x, y, n, p); break;
    case K_ACT_RELU: kc_activation4_kind<K_ACT_RELU>(x, y, n, p); break;
    case K_ACT_LEAKY_RELU: kc_activation4_kind<K_ACT_LEAKY_RELU>(x, y, n, p); break;
    case K_ACT_ELU: kc_activation4_kind<K_ACT_ELU>(x, y, n, p); break;
    case K_ACT_SWISH: kc_activation4_kind<K_ACT_SWISH>(x, y, n, p); break;
    case K_ACT_SOFTPLUS: kc_activation4_kind<K_ACT_SOFTPLUS>(x, y, n, p); break;
    case K_ACT_GELU: kc_activation4_kind<K_ACT_GELU>(x, y, n, p); break;
    case K_ACT_GELU_TANH: kc_activation4_kind<K_ACT_GELU_TANH>(x, y, n, p); break;
    default: kc_activation4_kind<K_ACT_IDENTITY>(x, y, n, p); break;
    }
}

/* Whether k_act_backward reads y for this kind. */
#define KC_USES_Y(kind) ((kind) == K_ACT_SIGMOID || (kind) == K_ACT_TANH || (kind) == K_ACT_ELU)

template <int KIND>
K_FN void kc_activation_backward4_kind(const float* dy, const float* x, const float* y, float* dx, klong n, float p) {
    klong n4 = n >> 2;
    const float4* dy4 = (const float4*) dy;
    const float4* x4 = (const float4*) x;
    const float4* y4 = (const float4*) y;
    float4* dx4 = (float4*) dx;
    klong stride = (klong) gridDim.x * blockDim.x;
    klong id = (klong) blockIdx.x * blockDim.x + threadIdx.x;
    for (klong i = id; i < n4; i += stride) {
        float4 g = dy4[i];
        float4 v = x4[i];
        float4 o = KC_USES_Y(KIND) ? y4[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        float4 r;
        r.x = k_act_backward(KIND, p, g.x, v.x, o.x);
        r.y = k_act_backward(KIND, p, g.y, v.y, o.y);
        r.z = k_act_backward(KIND, p, g.z, v.z, o.z);
        r.w = k_act_backward(KIND, p, g.w, v.w, o.w);
        dx4[i] = r;
    }
    klong t = (n4 << 2) + id;
    if (t < n) {
        dx[t] = k_act_backward(KIND, p, dy[t], x[t], KC_USES_Y(KIND) ? y[t] : 0.0f);
    }
}

__kernel void kc_activation_backward4(const float* dy, const float* x, const float* y, float* dx, klong n, int kind, float p) {
    switch (kind) {
    case K_ACT_SIGMOID: kc_activation_backward4_kind<K_ACT_SIGMOID>(dy, x, y, dx, n, p); break;
    case K_ACT_TANH: kc_activation_backward4_kind<K_ACT_TANH>(dy, x, y, dx, n, p); break;
    case K_ACT_RELU: kc_activation_backward4_kind<K_ACT_RELU>(dy, x, y, dx, n, p); break;
    case K_ACT_LEAKY_RELU: kc_activation_backward4_kind<K_ACT_LEAKY_RELU>(dy, x, y, dx, n, p); break;
    case K_ACT_ELU: kc_activation_backward4_kind<K_ACT_ELU>(dy, x, y, dx, n, p); break;
    case K_ACT_SWISH: kc_activation_backward4_kind<K_ACT_SWISH>(dy, x, y, dx, n, p); break;
    case K_ACT_SOFTPLUS: kc_activation_backward4_kind<K_ACT_SOFTPLUS>(dy, x, y, dx, n, p); break;
    case K_ACT_GELU: kc_activation_backward4_kind<K_ACT_GELU>(dy, x, y, dx, n, p); break;
    case K_ACT_GELU_TANH: kc_activation_backward4_kind<K_ACT_GELU_TANH>(dy, x, y, dx, n, p); break;
    default: kc_activation_backward4_kind<K_ACT_IDENTITY>(dy, x, y, dx, n, p); break;
    }
}
