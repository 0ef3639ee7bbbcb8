/* reduce.cl: sums and means over an axis, the L2 norm, row max and argmax, and the final step
 * shared by every two-stage reduction (losses, penalties, cross-entropy): a fixed number of
 * work-groups each reduce a grid-strided share into one partial, one work-group adds the
 * partials. The partition depends only on n and the host's group count, so results are
 * deterministic run to run. */

#ifndef REDUCE_WG
#define REDUCE_WG 256
#endif

/* Rows of x [rows, cols] summed (or averaged), one work-group per row. */
__kernel void k_reduce_rows(__global const float* x, __global float* out, klong rows, klong cols, int mean) {
    __local kacc buf[REDUCE_WG];
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        __global const float* row = x + r * cols;
        kacc s = 0;
        K_FOR_COLS(c, lid, cols, REDUCE_WG) {
            s += (kacc) row[c];
        }
        s = k_wg_sum(buf, s, lid, REDUCE_WG);
        if (lid == 0) {
            out[r] = (float) (mean ? s / (kacc) cols : s);
        }
    }
}

/* x viewed as [outer, axis, inner] reduced over the middle axis, one work-item per output. */
__kernel void k_reduce_axis(__global const float* x, __global float* out, klong outer, klong axis, klong inner, int mean) {
    klong total = outer * inner;
    K_FOR_ELEMENT(o, total) {
        kidx a = o / (kidx) inner;
        kidx b = o - a * (kidx) inner;
        __global const float* p = x + a * (kidx) axis * (kidx) inner + b;
        kacc s = 0;
        for (kidx j = 0; j < (kidx) axis; j++) {
            s += (kacc) p[j * (kidx) inner];
        }
        out[o] = (float) (mean ? s / (kacc) axis : s);
    }
}

/* The finite test of dynamic loss scaling: *flag = 1 when any of x's n elements is ±inf or NaN (its exponent bits
 * all ones), on the raw bits (no conversion), left as it was otherwise. The host zeroes the flag once and runs this
 * over every tensor of a list, then reads the flag once. Work-items that find one all store the same 1. */
__kernel void k_nonfinite32(__global const kuint* x, klong n, __global int* flag) {
    K_FOR_EACH(i, n) {
        if ((x[i] & 0x7F800000u) == 0x7F800000u) {
            *flag = 1;
        }
    }
}

/* k_nonfinite32 over 16-bit elements: expMask 0x7F80 for bfloat16, 0x7C00 for float16. */
__kernel void k_nonfinite16(__global const kushort* x, klong n, kuint expMask, __global int* flag) {
    K_FOR_EACH(i, n) {
        if (((kuint) x[i] & expMask) == expMask) {
            *flag = 1;
        }
    }
}

/* Stage one of a full sum: partial[g] = the sum of work-group g's grid-strided share. */
__kernel void k_sum_partial(__global const float* x, klong n, __global kacc* partial) {
    __local kacc buf[REDUCE_WG];
    int lid = (int) get_local_id(0);
    kacc s = 0;
    K_FOR_EACH(i, n) {
        s += (kacc) x[i];
    }
    s = k_wg_sum(buf, s, lid, REDUCE_WG);
    if (lid == 0) {
        partial[get_group_id(0)] = s;
    }
}

/* Stage two (one work-group): out[0] = the sum of the partials, divided by divisor when mean
 * (a mean over nothing is 0/0 = NaN). */
__kernel void k_sum_finish(__global const kacc* partial, int count, int mean, klong divisor, __global float* out) {
    __local kacc buf[REDUCE_WG];
    int lid = (int) get_local_id(0);
    kacc s = 0;
    for (int i = lid; i < count; i += REDUCE_WG) {
        s += partial[i];
    }
    s = k_wg_sum(buf, s, lid, REDUCE_WG);
    if (lid == 0) {
        out[0] = (float) (mean ? s / (kacc) divisor : s);
    }
}

/* Stage one of the L2 norm, without overflow or underflow: each group finds its largest |x|,
 * then sums (x / max)^2; partial holds (max, scaled sum) pairs. */
__kernel void k_l2_partial(__global const float* x, klong n, __global kacc* partial) {
    __local float mbuf[REDUCE_WG];
    __local kacc sbuf[REDUCE_WG];
    int lid = (int) get_local_id(0);
    float m = 0.0f;
    K_FOR_EACH(i, n) {
        m = k_max_nan(m, fabs(x[i]));
    }
    m = k_wg_max(mbuf, m, lid, REDUCE_WG);
    kacc s = 0;
    if (m > 0.0f && !k_isinf(m)) {
        kacc inv = (kacc) 1 / (kacc) m;
        K_FOR_EACH(i, n) {
            kacc v = (kacc) x[i] * inv;
            s += v * v;
        }
    }
    s = k_wg_sum(sbuf, s, lid, REDUCE_WG);
    if (lid == 0) {
        partial[2 * get_group_id(0)] = (kacc) m;
        partial[2 * get_group_id(0) + 1] = s;
    }
}

__kernel void k_l2_finish(__global const kacc* partial, int count, __global float* out) {
    if (get_global_id(0) != 0) {
        return;
    }
    float big = 0.0f;
    for (int g = 0; g < count; g++) {
        big = k_max_nan(big, (float) partial[2 * g]);
    }
    if (k_isnan(big) || k_isinf(big) || big == 0.0f) {
        out[0] = big;
        return;
    }
    kacc s = 0;
    for (int g = 0; g < count; g++) {
        kacc r = partial[2 * g] / (kacc) big;
        s += partial[2 * g + 1] * r * r;
    }
    out[0] = (float) ((kacc) big * sqrt(s));
}

/* Whether (vb, ib) beats (va, ia): NaN first, then larger, ties to the lower index. */
K_FN int k_argmax_better(float va, klong ia, float vb, klong ib) {
    int na = k_isnan(va);
    int nb = k_isnan(vb);
    if (na || nb) {
        return nb && (!na || ib < ia);
    }
    return vb > va || (vb == va && ib < ia);
}

/* Row maximum and its first index, one work-group per row; either output may be unused. */
K_FN void k_row_argmax(__global const float* x, klong r, klong cols, K_LPTR float* vbuf, K_LPTR klong* ibuf,
                       int lid, float* vmax, klong* imax) {
    float v = -K_INF;
    klong idx = -1;
    K_FOR_COLS(c, lid, cols, REDUCE_WG) {
        float e = x[r * cols + c];
        if (idx < 0 || k_argmax_better(v, idx, e, c)) {
            v = e;
            idx = c;
        }
    }
    vbuf[lid] = v;
    ibuf[lid] = idx;
    K_LOCAL_BARRIER();
    for (int s = REDUCE_WG >> 1; s > 0; s >>= 1) {
        if (lid < s) {
            klong io = ibuf[lid + s];
            if (io >= 0 && (ibuf[lid] < 0 || k_argmax_better(vbuf[lid], ibuf[lid], vbuf[lid + s], io))) {
                vbuf[lid] = vbuf[lid + s];
                ibuf[lid] = io;
            }
        }
        K_LOCAL_BARRIER();
    }
    *vmax = vbuf[0];
    *imax = ibuf[0];
    K_LOCAL_BARRIER();
}

__kernel void k_max_rows(__global const float* x, __global float* out, klong rows, klong cols) {
    __local float vbuf[REDUCE_WG];
    __local klong ibuf[REDUCE_WG];
    __local int plusZero;
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        float v;
        klong i;
        k_row_argmax(x, r, cols, vbuf, ibuf, lid, &v, &i);
        /* The argmax keeps the first of equal values; the maximum of -0 and +0 is +0 (IEEE 754-2019, as on the CPU).
         * v is the group's, so every work-item takes this branch or none. */
        if (v == 0.0f && (K_AS_UINT(v) >> 31) != 0) {
            if (lid == 0) {
                plusZero = 0;
            }
            K_LOCAL_BARRIER();
            K_FOR_COLS(c, lid, cols, REDUCE_WG) {
                float e = x[r * cols + c];
                if (e == 0.0f && (K_AS_UINT(e) >> 31) == 0) {
                    plusZero = 1;
                }
            }
            K_LOCAL_BARRIER();
            if (plusZero) {
                v = 0.0f;
            }
            K_LOCAL_BARRIER();
        }
        if (lid == 0) {
            out[r] = v;
        }
    }
}

__kernel void k_argmax_rows(__global const float* x, __global int* out, klong rows, klong cols) {
    __local float vbuf[REDUCE_WG];
    __local klong ibuf[REDUCE_WG];
    int lid = (int) get_local_id(0);
    for (klong r = (klong) get_group_id(0); r < rows; r += (klong) get_num_groups(0)) {
        float v;
        klong i;
        k_row_argmax(x, r, cols, vbuf, ibuf, lid, &v, &i);
        if (lid == 0) {
            out[r] = (int) i;
        }
    }
}
