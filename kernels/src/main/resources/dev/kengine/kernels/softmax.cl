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
        kacc lse = (kacc) m + (kacc) log(s);
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
                    l += t * (lse - (kacc) row[c]);
                }
                ts += t;
            }
        }
        kacc loss = k_wg_sum(sbuf, l, lid, SOFTMAX_WG);
        kacc tsum = k_wg_sum(sbuf, ts, lid, SOFTMAX_WG);
        int label = hasLabels ? labels[r] : -1;
        if (hasLabels) {
            loss = lse - (kacc) row[label];
            tsum = 1;
        }
        if (lid == 0) {
            rowLoss[r] = loss;
        }
        float inv = (float) (1 / s);
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
