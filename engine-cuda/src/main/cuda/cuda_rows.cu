/* cuda_rows.cu: CUDA-specific row kernels with warp-shuffle reductions: softmax and log-softmax,
 * their backward, softmax cross-entropy, and the first stage of the L2 norm. The formulas, the
 * accumulator type (kacc) and the NaN rules are those of the shared kernels (softmax.cl,
 * reduce.cl); only the reductions differ: registers and __shfl_xor_sync instead of a tree in
 * shared memory, and, for rows of at most 32·VPL columns, one warp per row with the row held in
 * registers, so the row is read from memory once.
 *
 * Compiled after dialect_cuda.h and common.h (build-fatbin.sh assembles it with the kernels
 * module's loader). The _wV kernels take one warp per row (blocks of 256 threads, rows strided
 * over the grid's warps); the _block kernels one block per row, any multiple of 32 threads. */

#define KC_FULL_MASK 0xffffffffu

K_FN float kc_warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v = k_max_nan(v, __shfl_xor_sync(KC_FULL_MASK, v, o));
    }
    /* Every lane takes lane 0's answer, so ±0 and NaN payloads agree across the warp. */
    return __shfl_sync(KC_FULL_MASK, v, 0);
}

K_FN kacc kc_warp_sum(kacc v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(KC_FULL_MASK, v, o);
    }
    return __shfl_sync(KC_FULL_MASK, v, 0);
}

/* Block-wide maximum / sum through one shared slot per warp; every thread gets the result. */
K_FN float kc_block_max(float v, float* slots) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    v = kc_warp_max(v);
    __syncthreads(); /* the slots may still be read from the previous call */
    if (lane == 0) {
        slots[warp] = v;
    }
    __syncthreads();
    v = lane < warps ? slots[lane] : -K_INF;
    return kc_warp_max(v);
}

K_FN kacc kc_block_sum(kacc v, kacc* slots) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int warps = blockDim.x >> 5;
    v = kc_warp_sum(v);
    __syncthreads();
    if (lane == 0) {
        slots[warp] = v;
    }
    __syncthreads();
    v = lane < warps ? slots[lane] : (kacc) 0;
    return kc_warp_sum(v);
}

K_FN klong kc_warp_index() {
    return ((klong) blockIdx.x * blockDim.x + threadIdx.x) >> 5;
}

K_FN klong kc_warp_count() {
    return ((klong) gridDim.x * blockDim.x) >> 5;
}

/* ---- softmax, one warp per row ------------------------------------------------------------- */

template <int VPL>
K_FN void kc_softmax_warp(const float* x, float* y, klong rows, klong cols, int logOut) {
    int lane = threadIdx.x & 31;
    for (klong r = kc_warp_index(); r < rows; r += kc_warp_count()) {
        const float* row = x + r * cols;
        float v[VPL];
        float m = -K_INF;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            v[j] = c < cols ? row[c] : -K_INF;
            if (c < cols) {
                m = k_max_nan(m, v[j]);
            }
        }
        m = kc_warp_max(m);
        kacc s = 0;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            if (lane + 32 * j < cols) {
                s += (kacc) expf(v[j] - m);
            }
        }
        s = kc_warp_sum(s);
        float* out = y + r * cols;
        if (logOut) {
            float ls = (float) log(s);
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                klong c = lane + 32 * j;
                if (c < cols) {
                    out[c] = (v[j] - m) - ls;
                }
            }
        } else {
            float inv = (float) (1 / s);
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                klong c = lane + 32 * j;
                if (c < cols) {
                    out[c] = expf(v[j] - m) * inv;
                }
            }
        }
    }
}

__kernel void kc_softmax_w1(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<1>(x, y, rows, cols, logOut); }
__kernel void kc_softmax_w2(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<2>(x, y, rows, cols, logOut); }
__kernel void kc_softmax_w4(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<4>(x, y, rows, cols, logOut); }
__kernel void kc_softmax_w8(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<8>(x, y, rows, cols, logOut); }
__kernel void kc_softmax_w16(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<16>(x, y, rows, cols, logOut); }
__kernel void kc_softmax_w32(const float* x, float* y, klong rows, klong cols, int logOut) { kc_softmax_warp<32>(x, y, rows, cols, logOut); }

/* ---- softmax, one block per row (long rows) --------------------------------------------------- */

__kernel void kc_softmax_block(const float* x, float* y, klong rows, klong cols, int logOut) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    for (klong r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = x + r * cols;
        float* out = y + r * cols;
        float m = -K_INF;
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            m = k_max_nan(m, row[c]);
        }
        m = kc_block_max(m, mslots);
        kacc s = 0;
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            s += (kacc) expf(row[c] - m);
        }
        s = kc_block_sum(s, sslots);
        if (logOut) {
            float ls = (float) log(s);
            for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
                out[c] = (row[c] - m) - ls;
            }
        } else {
            float inv = (float) (1 / s);
            for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
                out[c] = expf(row[c] - m) * inv;
            }
        }
    }
}

/* ---- softmax backward: softmax dx = y (dy - sum(dy y)); log-softmax dx = dy - exp(y) sum(dy) ---- */

template <int VPL>
K_FN void kc_softmax_backward_warp(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) {
    int lane = threadIdx.x & 31;
    for (klong r = kc_warp_index(); r < rows; r += kc_warp_count()) {
        klong base = r * cols;
        float g[VPL];
        float v[VPL];
        kacc s = 0;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            g[j] = c < cols ? dy[base + c] : 0.0f;
            v[j] = c < cols ? y[base + c] : 0.0f;
            if (c < cols) {
                s += logOut ? (kacc) g[j] : (kacc) g[j] * (kacc) v[j];
            }
        }
        float t = (float) kc_warp_sum(s);
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            if (c < cols) {
                dx[base + c] = logOut ? g[j] - expf(v[j]) * t : v[j] * (g[j] - t);
            }
        }
    }
}

__kernel void kc_softmax_backward_w1(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<1>(dy, y, dx, rows, cols, logOut); }
__kernel void kc_softmax_backward_w2(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<2>(dy, y, dx, rows, cols, logOut); }
__kernel void kc_softmax_backward_w4(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<4>(dy, y, dx, rows, cols, logOut); }
__kernel void kc_softmax_backward_w8(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<8>(dy, y, dx, rows, cols, logOut); }
__kernel void kc_softmax_backward_w16(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<16>(dy, y, dx, rows, cols, logOut); }
__kernel void kc_softmax_backward_w32(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) { kc_softmax_backward_warp<32>(dy, y, dx, rows, cols, logOut); }

__kernel void kc_softmax_backward_block(const float* dy, const float* y, float* dx, klong rows, klong cols, int logOut) {
    __shared__ kacc sslots[32];
    for (klong r = blockIdx.x; r < rows; r += gridDim.x) {
        klong base = r * cols;
        kacc s = 0;
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            s += logOut ? (kacc) dy[base + c] : (kacc) dy[base + c] * (kacc) y[base + c];
        }
        float t = (float) kc_block_sum(s, sslots);
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            float g = dy[base + c];
            float v = y[base + c];
            dx[base + c] = logOut ? g - expf(v) * t : v * (g - t);
        }
    }
}

/* ---- softmax cross-entropy (as k_softmax_xent: row losses into rowLoss, gradient optional) ----- */

template <int VPL>
K_FN void kc_xent_warp(const float* logits, const int* labels, const float* targets, int hasLabels, kacc* rowLoss,
                       float* grad, int writeGrad, float gradScale, klong rows, klong cols) {
    int lane = threadIdx.x & 31;
    for (klong r = kc_warp_index(); r < rows; r += kc_warp_count()) {
        const float* row = logits + r * cols;
        float v[VPL];
        float t[VPL];
        float m = -K_INF;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            v[j] = c < cols ? row[c] : -K_INF;
            t[j] = (!hasLabels && c < cols) ? targets[r * cols + c] : 0.0f;
            if (c < cols) {
                m = k_max_nan(m, v[j]);
            }
        }
        m = kc_warp_max(m);
        kacc s = 0;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            if (lane + 32 * j < cols) {
                s += (kacc) expf(v[j] - m);
            }
        }
        s = kc_warp_sum(s);
        kacc lse = (kacc) m + (kacc) log(s);
        kacc loss;
        kacc tsum;
        int label = -1;
        if (hasLabels) {
            label = labels[r];
            loss = lse - (kacc) row[label];
            tsum = 1;
        } else {
            kacc l = 0;
            kacc ts = 0;
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                if (lane + 32 * j < cols) {
                    kacc tj = (kacc) t[j];
                    if (tj != 0) {
                        l += tj * (lse - (kacc) v[j]);
                    }
                    ts += tj;
                }
            }
            loss = kc_warp_sum(l);
            tsum = kc_warp_sum(ts);
        }
        if (lane == 0) {
            rowLoss[r] = loss;
        }
        if (writeGrad) {
            float inv = (float) (1 / s);
            float ft = (float) tsum;
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                klong c = lane + 32 * j;
                if (c < cols) {
                    float p = expf(v[j] - m) * inv;
                    float tc = hasLabels ? (c == label ? 1.0f : 0.0f) : t[j];
                    grad[r * cols + c] = (p * ft - tc) * gradScale;
                }
            }
        }
    }
}

#define KC_XENT_ARGS const float* logits, const int* labels, const float* targets, int hasLabels, kacc* rowLoss, \
        float* grad, int writeGrad, float gradScale, klong rows, klong cols
#define KC_XENT_PASS logits, labels, targets, hasLabels, rowLoss, grad, writeGrad, gradScale, rows, cols
__kernel void kc_xent_w1(KC_XENT_ARGS) { kc_xent_warp<1>(KC_XENT_PASS); }
__kernel void kc_xent_w2(KC_XENT_ARGS) { kc_xent_warp<2>(KC_XENT_PASS); }
__kernel void kc_xent_w4(KC_XENT_ARGS) { kc_xent_warp<4>(KC_XENT_PASS); }
__kernel void kc_xent_w8(KC_XENT_ARGS) { kc_xent_warp<8>(KC_XENT_PASS); }
__kernel void kc_xent_w16(KC_XENT_ARGS) { kc_xent_warp<16>(KC_XENT_PASS); }
__kernel void kc_xent_w32(KC_XENT_ARGS) { kc_xent_warp<32>(KC_XENT_PASS); }

__kernel void kc_xent_block(KC_XENT_ARGS) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    for (klong r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* row = logits + r * cols;
        float m = -K_INF;
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            m = k_max_nan(m, row[c]);
        }
        m = kc_block_max(m, mslots);
        kacc s = 0;
        for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
            s += (kacc) expf(row[c] - m);
        }
        s = kc_block_sum(s, sslots);
        kacc lse = (kacc) m + (kacc) log(s);
        kacc loss;
        kacc tsum;
        int label = -1;
        if (hasLabels) {
            label = labels[r];
            loss = lse - (kacc) row[label];
            tsum = 1;
        } else {
            kacc l = 0;
            kacc ts = 0;
            for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
                kacc tc = (kacc) targets[r * cols + c];
                if (tc != 0) {
                    l += tc * (lse - (kacc) row[c]);
                }
                ts += tc;
            }
            loss = kc_block_sum(l, sslots);
            tsum = kc_block_sum(ts, sslots);
        }
        if (threadIdx.x == 0) {
            rowLoss[r] = loss;
        }
        if (writeGrad) {
            float inv = (float) (1 / s);
            float ft = (float) tsum;
            for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
                float p = expf(row[c] - m) * inv;
                float tc = hasLabels ? (c == label ? 1.0f : 0.0f) : targets[r * cols + c];
                grad[r * cols + c] = (p * ft - tc) * gradScale;
            }
        }
    }
}

/* ---- L2 norm, stage one (as k_l2_partial; reduce.cl's k_l2_finish completes it) ---------------- */

__kernel void kc_l2_partial(const float* x, klong n, kacc* partial) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    float m = 0.0f;
    K_FOR_EACH(i, n) {
        m = k_max_nan(m, fabsf(x[i]));
    }
    m = kc_block_max(m, mslots);
    kacc s = 0;
    if (m > 0.0f && !k_isinf(m)) {
        kacc inv = (kacc) 1 / (kacc) m;
        K_FOR_EACH(i, n) {
            kacc v = (kacc) x[i] * inv;
            s += v * v;
        }
    }
    s = kc_block_sum(s, sslots);
    if (threadIdx.x == 0) {
        partial[2 * blockIdx.x] = (kacc) m;
        partial[2 * blockIdx.x + 1] = s;
    }
}
