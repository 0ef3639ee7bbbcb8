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

/* ---- softmax cross-entropy -------------------------------------------------------------------
 * As k_softmax_xent, except where the losses go: each block writes one partial, the kacc sum of
 * its rows' losses in a fixed order (thread 0's, or each warp's rows in stride order, then warp by
 * warp), and the last block to finish adds the blocks' partials (kc_finish_partials); so the total
 * is the same from run to run, the last stage reads a few thousand values, not one per row, and
 * the loss costs no second launch. With labels, the label's logit is
 * taken from registers as the row goes by (no dependent load after the reductions), and each
 * exponential is computed once and kept for the gradient. */

/* Where the loss goes: with has set, the last block to finish adds every block's partial and
 * writes loss[0] (divided by divisor when mean is set), so the op needs no second launch; ticket
 * counts the blocks done and is 0 between launches (the last block puts it back). */
struct KcFinish {
    float* loss;
    unsigned int* ticket;
    klong divisor;
    int has;
    int mean;
};

/* Called by every thread of every block after thread 0 wrote partial[blockIdx.x]. The partials
 * are added in a fixed order (thread t takes t, t + blockDim.x, ..., then the block sum), so the
 * loss is the same from run to run whichever block comes last. */
K_FN void kc_finish_partials(kacc* partial, kacc* slots, const KcFinish fin) {
    __shared__ int last;
    if (threadIdx.x == 0) {
        __threadfence(); /* this block's partial is visible to every block before its ticket is */
        last = atomicAdd(fin.ticket, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last) {
        return;
    }
    __threadfence();
    const volatile kacc* p = partial; /* written by other blocks: not from this SM's L1 */
    kacc s = 0;
    for (unsigned int i = threadIdx.x; i < gridDim.x; i += blockDim.x) {
        s += p[i];
    }
    s = kc_block_sum(s, slots);
    if (threadIdx.x == 0) {
        fin.loss[0] = (float) (fin.mean ? s / (kacc) fin.divisor : s);
        *fin.ticket = 0;
    }
}

/* The block's partial from each thread's sum (all threads of the block must call it), and the
 * loss when this block is the last. */
K_FN void kc_block_partial(kacc mine, kacc* partial, kacc* slots, const KcFinish fin) {
    kacc total = kc_block_sum(mine, slots);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = total;
    }
    if (fin.has) {
        kc_finish_partials(partial, slots, fin);
    }
}

/* Labels, one warp per row of at most 32·VPL columns. */
template <int VPL>
K_FN void kc_xent_labels_warp(const float* logits, const int* labels, kacc* partial, float* grad, int writeGrad,
                              float gradScale, klong rows, klong cols, const KcFinish fin) {
    __shared__ kacc slots[32];
    int lane = threadIdx.x & 31;
    kacc mine = 0;
    for (klong r = kc_warp_index(); r < rows; r += kc_warp_count()) {
        int label = labels[r];
        /* See k_stray_label (common.h): column 0 for a label outside the row, and a NaN maximum for its row. */
        const bool stray = k_stray_label(label, cols);
        if (stray) {
            label = 0;
        }
        const float* row = logits + r * cols;
        float v[VPL];
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            v[j] = c < cols ? row[c] : -K_INF;
        }
        float m = -K_INF;
        float xl = 0.0f;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            if (c < cols) {
                m = k_max_nan(m, v[j]);
            }
            if (c == label) {
                xl = v[j];
            }
        }
        m = kc_warp_max(m);
        if (stray) {
            m = K_NAN;
        }
        xl = __shfl_sync(KC_FULL_MASK, xl, label & 31);
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            if (lane + 32 * j < cols) {
                v[j] = expf(v[j] - m);
                s += v[j];
            }
        }
        kacc sum = kc_warp_sum((kacc) s);
        if (lane == 0) {
            mine += ((kacc) m - (kacc) xl) + (kacc) log(sum);
        }
        if (writeGrad) {
            float inv = (float) (1 / sum);
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                klong c = lane + 32 * j;
                if (c < cols) {
                    grad[r * cols + c] = (v[j] * inv - (c == label ? 1.0f : 0.0f)) * gradScale;
                }
            }
        }
    }
    kc_block_partial(mine, partial, slots, fin);
}

/* Labels, one block of THREADS threads per row of at most THREADS·VPT columns, the row in
 * registers, and the block's next row loaded while this one is reduced, so that a block keeps
 * loads in flight through its barriers. Written for few instructions an element (the first version issued ~40 and ran at
 * 45 % of the bandwidth with the SMs 78 % busy): 32-bit columns from a per-thread row pointer,
 * fmaxf for the maximum (a NaN still makes the row's sum, loss and gradient NaN through its
 * exponential), and no per-element test for the label: the thread that owns the label's column
 * loads that logit once, adds the row's loss to its own sum and rewrites its gradient element. */
template <int VPT, int THREADS>
K_FN void kc_xent_labels_rows(const float* logits, const int* labels, kacc* partial, float* grad, int writeGrad,
                              float gradScale, klong rows, klong cols, const KcFinish fin) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    const int tid = threadIdx.x;
    const int n = (int) cols - tid; /* this thread's columns are tid + THREADS·j for THREADS·j < n */
    kacc mine = 0;
    float next[VPT];
    int nextLabel = 0;
    klong r = blockIdx.x;
    if (r < rows) {
        nextLabel = labels[r];
        const float* row = logits + r * cols + tid;
#pragma unroll
        for (int j = 0; j < VPT; j++) {
            next[j] = THREADS * j < n ? row[THREADS * j] : -K_INF;
        }
    }
    for (; r < rows; r += gridDim.x) {
        float v[VPT];
        int label = nextLabel;
        /* See k_stray_label (common.h): column 0 for a label outside the row, and a NaN maximum for its row. */
        const bool stray = k_stray_label(label, cols);
        if (stray) {
            label = 0;
        }
#pragma unroll
        for (int j = 0; j < VPT; j++) {
            v[j] = next[j];
        }
        klong rn = r + gridDim.x;
        if (rn < rows) {
            nextLabel = labels[rn];
            const float* row = logits + rn * cols + tid;
#pragma unroll
            for (int j = 0; j < VPT; j++) {
                next[j] = THREADS * j < n ? row[THREADS * j] : -K_INF;
            }
        }
        const bool owner = label % THREADS == tid;
        float xl = owner ? logits[r * cols + label] : 0.0f;
        float m = -K_INF;
#pragma unroll
        for (int j = 0; j < VPT; j++) {
            m = fmaxf(m, v[j]);
        }
        m = kc_block_max(m, mslots);
        if (stray) {
            m = K_NAN;
        }
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < VPT; j++) {
            v[j] = expf(v[j] - m); /* padding: exp(-inf) = 0 */
            s += v[j];
        }
        kacc sum = kc_block_sum((kacc) s, sslots);
        if (owner) {
            mine += ((kacc) m - (kacc) xl) + (kacc) log(sum);
        }
        if (writeGrad) {
            float inv = (float) (1 / sum);
            float k = inv * gradScale;
            float* g = grad + r * cols + tid;
#pragma unroll
            for (int j = 0; j < VPT; j++) {
                if (THREADS * j < n) {
                    __stcs(g + THREADS * j, v[j] * k);
                }
            }
            if (owner) {
                grad[r * cols + label] = (expf(xl - m) * inv - 1.0f) * gradScale;
            }
        }
    }
    kc_block_partial(mine, partial, sslots, fin);
}

/* Labels, one block per row of any length, streamed twice: the maximum and the sum in one pass
 * (the sum rescaled when the maximum grows, once per four values), then the gradient, its second
 * read mostly from L2 (the grid keeps the rows in flight within it). For rows too long for
 * registers (over 8192 columns), where a block per row in registers leaves one block an SM. */
template <int THREADS>
K_FN void kc_xent_labels_stream(const float* logits, const int* labels, kacc* partial, float* grad, int writeGrad,
                                float gradScale, klong rows, klong cols, const KcFinish fin) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    const int tid = threadIdx.x;
    const int nc = (int) cols;
    const bool vec = (nc & 3) == 0; /* rows start 16-byte aligned */
    const int n4 = vec ? nc >> 2 : 0;
    kacc mine = 0;
    for (klong r = blockIdx.x; r < rows; r += gridDim.x) {
        int label = labels[r];
        /* See k_stray_label (common.h): column 0 for a label outside the row, and a NaN maximum for its row. */
        const bool stray = k_stray_label(label, cols);
        if (stray) {
            label = 0;
        }
        const float* row = logits + r * cols;
        /* The label's column is owned by the thread that streams it: in float4 steps or one by one. */
        const bool owner = (vec ? (label >> 2) : label) % THREADS == tid;
        float xl = owner ? row[label] : 0.0f;
        float m = -K_INF;
        float s = 0.0f;
        const float4* row4 = (const float4*) row;
#pragma unroll 4
        for (int i = tid; i < n4; i += THREADS) {
            float4 q = row4[i];
            float qm = fmaxf(fmaxf(q.x, q.y), fmaxf(q.z, q.w));
            if (qm > m) {
                s *= expf(m - qm);
                m = qm;
            }
            /* While every value seen is −∞ (masked classes), m is −∞ and x − m would be NaN: any finite reference
             * gives their true exponentials, 0. */
            const float mr = m == -K_INF ? 0.0f : m;
            s += expf(q.x - mr) + expf(q.y - mr) + expf(q.z - mr) + expf(q.w - mr);
        }
        for (int c = (vec ? nc : 0) + tid; c < nc; c += THREADS) {
            float x = row[c];
            if (x > m) {
                s *= expf(m - x);
                m = x;
            }
            s += expf(x - (m == -K_INF ? 0.0f : m));
        }
        /* A NaN never passes the comparisons above, but its exponential makes s NaN, and so the row's sum. */
        float mb = kc_block_max(m, mslots);
        if (stray) {
            mb = K_NAN;
        }
        float scaled = s == 0.0f ? 0.0f : s * expf(m - mb);
        kacc sum = kc_block_sum((kacc) scaled, sslots);
        if (owner) {
            mine += ((kacc) mb - (kacc) xl) + (kacc) log(sum);
        }
        if (writeGrad) {
            float inv = (float) (1 / sum);
            float k = inv * gradScale;
            float* g = grad + r * cols;
            float4* g4 = (float4*) g;
#pragma unroll 4
            for (int i = tid; i < n4; i += THREADS) {
                float4 q = row4[i];
                /* Streaming stores: the gradient is not read again, so it should not push the logits out of L2. */
                __stcs(g4 + i, make_float4(expf(q.x - mb) * k, expf(q.y - mb) * k, expf(q.z - mb) * k, expf(q.w - mb) * k));
            }
            for (int c = (vec ? nc : 0) + tid; c < nc; c += THREADS) {
                __stcs(g + c, expf(row[c] - mb) * k);
            }
            if (owner) {
                g[label] = (expf(xl - mb) * inv - 1.0f) * gradScale;
            }
        }
    }
    kc_block_partial(mine, partial, sslots, fin);
}

/* Target distributions, one warp per row of at most 32·VPL columns. */
template <int VPL>
K_FN void kc_xent_targets_warp(const float* logits, const float* targets, kacc* partial, float* grad, int writeGrad,
                               float gradScale, klong rows, klong cols, const KcFinish fin) {
    __shared__ kacc slots[32];
    int lane = threadIdx.x & 31;
    kacc mine = 0;
    for (klong r = kc_warp_index(); r < rows; r += kc_warp_count()) {
        const float* row = logits + r * cols;
        float v[VPL];
        float t[VPL];
        float m = -K_INF;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            klong c = lane + 32 * j;
            v[j] = c < cols ? row[c] : -K_INF;
            t[j] = c < cols ? targets[r * cols + c] : 0.0f;
            if (c < cols) {
                m = k_max_nan(m, v[j]);
            }
        }
        m = kc_warp_max(m);
        float s = 0.0f;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            if (lane + 32 * j < cols) {
                s += expf(v[j] - m);
            }
        }
        kacc sum = kc_warp_sum((kacc) s);
        /* (m - x) + log(sum), not (m + log(sum)) - x: log(sum) is lost beside |m| from about 2^53 log(sum). */
        kacc logs = (kacc) log(sum);
        kacc l = 0;
        kacc ts = 0;
#pragma unroll
        for (int j = 0; j < VPL; j++) {
            if (lane + 32 * j < cols) {
                kacc tj = (kacc) t[j];
                if (tj != 0) {
                    l += tj * (((kacc) m - (kacc) v[j]) + logs);
                }
                ts += tj;
            }
        }
        kacc loss = kc_warp_sum(l);
        kacc tsum = kc_warp_sum(ts);
        if (lane == 0) {
            mine += loss;
        }
        if (writeGrad) {
            float inv = (float) (1 / sum);
            float ft = (float) tsum;
#pragma unroll
            for (int j = 0; j < VPL; j++) {
                klong c = lane + 32 * j;
                if (c < cols) {
                    grad[r * cols + c] = (expf(v[j] - m) * inv * ft - t[j]) * gradScale;
                }
            }
        }
    }
    kc_block_partial(mine, partial, slots, fin);
}

#define KC_XENT_ARGS const float* logits, const int* labels, const float* targets, int hasLabels, kacc* partial, \
        float* grad, int writeGrad, float gradScale, klong rows, klong cols, float* lossOut, int hasLoss, int mean, \
        unsigned int* ticket
#define KC_XENT_FINISH KcFinish{lossOut, ticket, rows, hasLoss, mean}
#define KC_XENT_LABELS logits, labels, partial, grad, writeGrad, gradScale, rows, cols, KC_XENT_FINISH
#define KC_XENT_TARGETS logits, targets, partial, grad, writeGrad, gradScale, rows, cols, KC_XENT_FINISH
__kernel void kc_xent_w1(KC_XENT_ARGS) { kc_xent_labels_warp<1>(KC_XENT_LABELS); }
__kernel void kc_xent_w2(KC_XENT_ARGS) { kc_xent_labels_warp<2>(KC_XENT_LABELS); }
__kernel void kc_xent_w4(KC_XENT_ARGS) { kc_xent_labels_warp<4>(KC_XENT_LABELS); }
__kernel void kc_xent_w8(KC_XENT_ARGS) { kc_xent_labels_warp<8>(KC_XENT_LABELS); }
/* Rows of 257 to 1024 columns in blocks of 128 (with 256, a row's two block reductions cost as
 * much as its elements), of 1025 to 8192 in blocks of 1024 (launch bounds keep the registers
 * within what a full block may have), longer ones streamed by blocks of 1024. */
__kernel __launch_bounds__(128) void kc_xent_rows4_128(KC_XENT_ARGS) { kc_xent_labels_rows<4, 128>(KC_XENT_LABELS); }
__kernel __launch_bounds__(128) void kc_xent_rows8_128(KC_XENT_ARGS) { kc_xent_labels_rows<8, 128>(KC_XENT_LABELS); }
__kernel __launch_bounds__(1024) void kc_xent_rows2_1024(KC_XENT_ARGS) { kc_xent_labels_rows<2, 1024>(KC_XENT_LABELS); }
__kernel __launch_bounds__(1024) void kc_xent_rows4_1024(KC_XENT_ARGS) { kc_xent_labels_rows<4, 1024>(KC_XENT_LABELS); }
__kernel __launch_bounds__(1024) void kc_xent_rows8_1024(KC_XENT_ARGS) { kc_xent_labels_rows<8, 1024>(KC_XENT_LABELS); }
__kernel __launch_bounds__(1024) void kc_xent_stream1024(KC_XENT_ARGS) { kc_xent_labels_stream<1024>(KC_XENT_LABELS); }
__kernel void kc_xent_targets_w1(KC_XENT_ARGS) { kc_xent_targets_warp<1>(KC_XENT_TARGETS); }
__kernel void kc_xent_targets_w2(KC_XENT_ARGS) { kc_xent_targets_warp<2>(KC_XENT_TARGETS); }
__kernel void kc_xent_targets_w4(KC_XENT_ARGS) { kc_xent_targets_warp<4>(KC_XENT_TARGETS); }
__kernel void kc_xent_targets_w8(KC_XENT_ARGS) { kc_xent_targets_warp<8>(KC_XENT_TARGETS); }
__kernel void kc_xent_targets_w16(KC_XENT_ARGS) { kc_xent_targets_warp<16>(KC_XENT_TARGETS); }
__kernel void kc_xent_targets_w32(KC_XENT_ARGS) { kc_xent_targets_warp<32>(KC_XENT_TARGETS); }

/* Labels or targets, one block of any multiple of 32 threads per row of any length: three passes
 * over the row (maximum, sum, gradient), the later ones mostly from L2. */
__kernel void kc_xent_block(KC_XENT_ARGS) {
    __shared__ float mslots[32];
    __shared__ kacc sslots[32];
    kacc mine = 0;
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
        kacc logs = (kacc) log(s);
        kacc loss;
        kacc tsum;
        int label = -1;
        if (hasLabels) {
            label = labels[r];
            if (k_stray_label(label, cols)) {
                /* See k_stray_label (common.h): column 0 for the label, and NaN for the row's loss and gradient. */
                label = 0;
                logs = (kacc) K_NAN;
                s = (kacc) K_NAN;
            }
            loss = ((kacc) m - (kacc) row[label]) + logs;
            tsum = 1;
        } else {
            kacc l = 0;
            kacc ts = 0;
            for (klong c = threadIdx.x; c < cols; c += blockDim.x) {
                kacc tc = (kacc) targets[r * cols + c];
                if (tc != 0) {
                    l += tc * (((kacc) m - (kacc) row[c]) + logs);
                }
                ts += tc;
            }
            loss = kc_block_sum(l, sslots);
            tsum = kc_block_sum(ts, sslots);
        }
        mine += loss;
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
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = mine;
    }
    if (hasLoss) {
        kc_finish_partials(partial, sslots, KC_XENT_FINISH);
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
