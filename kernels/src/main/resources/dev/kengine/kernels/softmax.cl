/* softmax.cl: softmax and log-softmax of rows by the max-shifted form, their gradients, and the
 * softmax cross-entropy against labels or probability targets. One work-group per row. */

#ifndef SOFTMAX_WG
#define SOFTMAX_WG 256
#endif

/* The row's maximum (NaN if any) and sum of exp(x - max). */
K_FN void k_row_stats(__global const float* row, klong cols, K_LPTR float* mbuf, K_LPTR kacc* sbuf, int lid,
                      float* maxOut, kacc* sumOut) {
    float m = -K_INF;
    K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
        m = k_max_nan(m, row[c]);
    }
    m = k_wg_max(mbuf, m, lid, SOFTMAX_WG);
    kacc s = 0;
    K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
        s += (kacc) exp(row[c] - m);
    }
    *sumOut = k_wg_sum(sbuf, s, lid, SOFTMAX_WG);
    *maxOut = m;
}

__kernel void k_softmax(__global const float* x, __global float* y, klong rows, klong cols, int logOut) {
    __local float mbuf[SOFTMAX_WG];
    __local kacc sbuf[SOFTMAX_WG];
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        __global const float* row = x + r * cols;
        __global float* out = y + r * cols;
        float m;
        kacc s;
        k_row_stats(row, cols, mbuf, sbuf, lid, &m, &s);
        /* One loop for both forms: a barrier (K_ROW_SYNC) may not sit in one arm of a branch. */
        float ls = logOut ? (float) log(s) : 0.0f;
        float inv = (float) (1 / s);
        K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
            out[c] = logOut ? (row[c] - m) - ls : exp(row[c] - m) * inv;
        }
    }
}

/* softmax: dx = y (dy - sum(dy y)); log-softmax: dx = dy - exp(y) sum(dy). */
__kernel void k_softmax_backward(__global const float* dy, __global const float* y, __global float* dx,
                                 klong rows, klong cols, int logOut) {
    __local kacc sbuf[SOFTMAX_WG];
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        klong base = r * cols;
        kacc s = 0;
        K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
            s += logOut ? (kacc) dy[base + c] : (kacc) dy[base + c] * (kacc) y[base + c];
        }
        float t = (float) k_wg_sum(sbuf, s, lid, SOFTMAX_WG);
        K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
            float g = dy[base + c];
            float v = y[base + c];
            dx[base + c] = logOut ? g - exp(v) * t : v * (g - t);
        }
    }
}

/* Row losses of softmax cross-entropy into rowLoss (kacc) and, when writeGrad, the gradient
 * (softmax(x) * sum(t) - t) * gradScale. Exactly one of labels / targets is used (hasLabels). */
__kernel void k_softmax_xent(__global const float* logits, __global const int* labels, __global const float* targets,
                             int hasLabels, __global kacc* rowLoss, __global float* grad, int writeGrad,
                             float gradScale, klong rows, klong cols) {
    __local float mbuf[SOFTMAX_WG];
    __local kacc sbuf[SOFTMAX_WG];
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        __global const float* row = logits + r * cols;
        float m;
        kacc s;
        k_row_stats(row, cols, mbuf, sbuf, lid, &m, &s);
        /* The row's loss is (m - x) + log(s), not (m + log(s)) - x: log(s) is lost beside |m| from about 2^53 log(s)
         * (2^24 where kacc is float), so rows of equal logits of 1e17 lost their whole loss. */
        kacc logs = (kacc) log(s);
        /* The same loops and barriers with labels or targets, and with or without the gradient, the
         * differences inside the loop bodies: PoCL 5's LLVM crashed (PHINode::removeIncomingValue)
         * forming the work-group function when the targets' reductions sat in one arm of a branch
         * and the gradient's loop behind another (pocl/pocl#2281 describes the family). */
        kacc l = 0;
        kacc ts = 0;
        K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
            if (!hasLabels) {
                kacc t = (kacc) targets[r * cols + c];
                if (t != 0) {
                    l += t * (((kacc) m - (kacc) row[c]) + logs);
                }
                ts += t;
            }
        }
        kacc loss = k_wg_sum(sbuf, l, lid, SOFTMAX_WG);
        kacc tsum = k_wg_sum(sbuf, ts, lid, SOFTMAX_WG);
        int label = hasLabels ? labels[r] : -1;
        /* See k_stray_label: a label outside the row reads column 0 instead, and the row's results are NaN. */
        int stray = hasLabels && k_stray_label(label, cols);
        if (hasLabels) {
            loss = stray ? (kacc) K_NAN : ((kacc) m - (kacc) row[stray ? 0 : label]) + logs;
            tsum = 1;
        }
        if (lid == 0) {
            rowLoss[r] = loss;
        }
        float inv = stray ? K_NAN : (float) (1 / s);
        float ft = (float) tsum;
        K_FOR_COLS(c, lid, cols, SOFTMAX_WG) {
            if (writeGrad) {
                float p = exp(row[c] - m) * inv;
                float t = hasLabels ? (c == label ? 1.0f : 0.0f) : targets[r * cols + c];
                grad[r * cols + c] = (p * ft - t) * gradScale;
            }
        }
    }
}

#if defined(K_OPENCL) && K_ONE_PER_ITEM
/* k_softmax_xent on CPU devices: one work-item per row in explicit 16-lane vectors. A work-group per row runs
 * PoCL's loops over work-items once per chunk of columns and once per step of every reduction tree, which cost
 * 17-21 ms at 4096 x 1024 where the data takes about 1; here each row stays in L1 across its three passes.
 * Sums over a row: sixteen lane partials (kacc), then the lanes in order; deterministic. */
#if K_ACC_DOUBLE
typedef double16 kacc16;
#define K_ACC16(v) convert_double16(v)
#else
typedef float16 kacc16;
#define K_ACC16(v) (v)
#endif

/* A hint that the 64 bytes at p are read (K_PREFETCH) or written (K_PREFETCH_W) soon; nothing where the compiler
 * has no prefetch builtin (PoCL's prefetch() does nothing). */
#if defined(__has_builtin)
#if __has_builtin(__builtin_prefetch)
#define K_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#define K_PREFETCH_W(p) __builtin_prefetch((p), 1, 3)
#endif
#endif
#ifndef K_PREFETCH
#define K_PREFETCH(p) ((void) 0)
#define K_PREFETCH_W(p) ((void) 0)
#endif

K_FN float16 k_max_nan16(float16 m, float16 a) {
    float16 r = select(m, a, (a > m) | isnan(a));
    return select(r, m, isnan(m));
}

K_FN kacc k_lanes_sum(kacc16 v) {
    kacc lanes[16];
#if K_ACC_DOUBLE
    vstore16(v, 0, (__private double*) lanes);
#else
    vstore16(v, 0, (__private float*) lanes);
#endif
    kacc s = 0;
    for (int j = 0; j < 16; j++) {
        s += lanes[j];
    }
    return s;
}

K_OPENCL_KERNEL void k_softmax_xent_rows(__global const float* logits, __global const int* labels,
                                  __global const float* targets, int hasLabels, __global kacc* rowLoss,
                                  __global float* grad, int writeGrad, float gradScale, klong rows, klong cols) {
    klong r = (klong) get_global_id(0);
    if (r >= rows) {
        return;
    }
    __global const float* row = logits + r * cols;
    __global float* g = grad + r * cols;
    klong whole = cols & ~(klong) 15;
    /* The row's maximum over its non-NaN elements in four chains of plain maxima (one instruction each, which a
     * single chain ran at its latency); the order of the maxima changes at most the sign of a zero maximum, which no
     * result depends on (x - m, m + log s with s >= 1). A NaN element is not looked for here: its e^(x - m) is NaN,
     * so the sum s is, and with it the loss (m + log s) and every gradient element (each is scaled by 1 / s), which
     * is what a NaN maximum gives. */
    float16 mv0 = (float16) -K_INF, mv1 = mv0, mv2 = mv0, mv3 = mv0;
    klong whole64 = cols & ~(klong) 63;
    for (klong c = 0; c < whole64; c += 64) {
        float16 a0 = K_LOAD16(row + c), a1 = K_LOAD16(row + c + 16), a2 = K_LOAD16(row + c + 32), a3 = K_LOAD16(row + c + 48);
        mv0 = select(mv0, a0, a0 > mv0);
        mv1 = select(mv1, a1, a1 > mv1);
        mv2 = select(mv2, a2, a2 > mv2);
        mv3 = select(mv3, a3, a3 > mv3);
    }
    for (klong c = whole64; c < whole; c += 16) {
        float16 a = K_LOAD16(row + c);
        mv0 = select(mv0, a, a > mv0);
    }
    mv0 = select(mv0, mv1, mv1 > mv0);
    mv2 = select(mv2, mv3, mv3 > mv2);
    float16 mv = select(mv0, mv2, mv2 > mv0);
    float lanes[16];
    vstore16(mv, 0, lanes);
    float m = -K_INF;
    for (int j = 0; j < 16; j++) {
        m = k_max_nan(m, lanes[j]);
    }
    for (klong c = whole; c < cols; c++) {
        m = k_max_nan(m, row[c]);
    }
    int label = hasLabels ? labels[r] : -1;
    if (hasLabels && k_stray_label(label, cols)) {
        /* See k_stray_label: column 0 instead, and a NaN maximum makes every result of the row NaN. */
        label = 0;
        m = K_NAN;
    }
    float atLabel = hasLabels ? row[label] : 0.0f;
    /* With labels and a gradient, e^(x - m) goes into the gradient row as it is summed, and the last pass scales it
     * there (the row is in L1): one exp per element instead of two, the same bits. x - m <= 0 (or NaN): the short
     * exp of the dialect. */
    int keepExp = hasLabels && writeGrad;
    /* The next row's logits are fetched while this one computes: the maximum's pass otherwise waits on memory with
     * the core idle, and the exp pass computes with the memory idle. */
    __global const float* nextRow = r + 1 < rows ? row + cols : row;
    /* Sixty-four elements at a time, each lane's four summed in float32 in pairs (each e <= 1: a relative error of
     * at most 2^-23 on a term of the sum), then added to the lane's kacc partial. */
    kacc16 sv = (kacc16) 0;
    for (klong c = 0; c < whole64; c += 64) {
        K_PREFETCH(nextRow + c);
        K_PREFETCH(nextRow + c + 16);
        K_PREFETCH(nextRow + c + 32);
        K_PREFETCH(nextRow + c + 48);
        float16 e0 = k_exp_nonpos16(K_LOAD16(row + c) - m);
        float16 e1 = k_exp_nonpos16(K_LOAD16(row + c + 16) - m);
        float16 e2 = k_exp_nonpos16(K_LOAD16(row + c + 32) - m);
        float16 e3 = k_exp_nonpos16(K_LOAD16(row + c + 48) - m);
        if (keepExp) {
            K_STORE16(g + c, e0);
            K_STORE16(g + c + 16, e1);
            K_STORE16(g + c + 32, e2);
            K_STORE16(g + c + 48, e3);
        }
        sv += K_ACC16((e0 + e1) + (e2 + e3));
    }
    for (klong c = whole64; c < whole; c += 16) {
        K_PREFETCH(nextRow + c);
        float16 e = k_exp_nonpos16(K_LOAD16(row + c) - m);
        if (keepExp) {
            K_STORE16(g + c, e);
        }
        sv += K_ACC16(e);
    }
    kacc s = k_lanes_sum(sv);
    for (klong c = whole; c < cols; c++) {
        float e = exp(row[c] - m);
        if (keepExp) {
            g[c] = e;
        }
        s += (kacc) e;
    }
    kacc logs = (kacc) log(s); /* (m - x) + log(s): see k_softmax_xent */
    kacc loss;
    kacc tsum;
    if (hasLabels) {
        loss = ((kacc) m - (kacc) atLabel) + logs;
        tsum = 1;
    } else {
        kacc16 lv = (kacc16) 0;
        kacc16 tv = (kacc16) 0;
        for (klong c = 0; c < whole; c += 16) {
            kacc16 t = K_ACC16(K_LOAD16(targets + r * cols + c));
            lv += select((kacc16) 0, t * (((kacc16) (kacc) m - K_ACC16(K_LOAD16(row + c))) + (kacc16) logs), t != (kacc16) 0);
            tv += t;
        }
        loss = k_lanes_sum(lv);
        tsum = k_lanes_sum(tv);
        for (klong c = whole; c < cols; c++) {
            kacc t = (kacc) targets[r * cols + c];
            if (t != 0) {
                loss += t * (((kacc) m - (kacc) row[c]) + logs);
            }
            tsum += t;
        }
    }
    rowLoss[r] = loss;
    if (writeGrad) {
        float inv = (float) (1 / s);
        float ft = (float) tsum;
        if (keepExp) {
            /* Labels: ft is 1, so the product leaves it out (the same bits). */
            float pl = g[label] * inv;
            __global float* nextG = r + 1 < rows ? g + cols : g;
            for (klong c = 0; c < whole; c += 16) {
                K_PREFETCH_W(nextG + c);
                K_STORE16(g + c, (K_LOAD16(g + c) * inv) * gradScale);
            }
            for (klong c = whole; c < cols; c++) {
                g[c] = (g[c] * inv) * gradScale;
            }
            g[label] = (pl * ft - 1.0f) * gradScale;
        } else {
            for (klong c = 0; c < whole; c += 16) {
                float16 p = k_exp_nonpos16(K_LOAD16(row + c) - m) * inv;
                float16 t = hasLabels ? (float16) 0.0f : K_LOAD16(targets + r * cols + c);
                K_STORE16(g + c, (p * ft - t) * gradScale);
            }
            for (klong c = whole; c < cols; c++) {
                float p = exp(row[c] - m) * inv;
                float t = hasLabels ? 0.0f : targets[r * cols + c];
                g[c] = (p * ft - t) * gradScale;
            }
            if (hasLabels) {
                float p = exp(row[label] - m) * inv;
                g[label] = (p * ft - 1.0f) * gradScale;
            }
        }
    }
}
#endif
