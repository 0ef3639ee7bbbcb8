/* matmul.cl: C = alpha op(A) op(B) + beta C, batched, and the fused dense layer
 * z = x W + bias, y = act(z).
 *
 * Each work-group computes an MWG x NWG tile of C from KWG-deep slices of op(A) and op(B)
 * staged in local memory; each of its MDIMC x NDIMC work-items keeps an MWI x NWI block of C
 * in registers (register blocking: every value read from local memory feeds MWI or NWI
 * multiply-adds). Work-item (tn, tm) owns rows tm + i*MDIMC and columns tn + j*NDIMC, so
 * neighbouring work-items touch neighbouring columns: coalesced stores and conflict-free local
 * reads. Tiles are loaded with VW-wide vector loads along the contiguous dimension of each
 * operand; the ragged edges of the matrices fall back to guarded scalar loads that pad with
 * zeros, so any m, n, k works. The values come from a tuning table on the host. */

#ifndef MWG
#define MWG 64
#endif
#ifndef NWG
#define NWG 64
#endif
#ifndef KWG
#define KWG 16
#endif
#ifndef MDIMC
#define MDIMC 16
#endif
#ifndef NDIMC
#define NDIMC 16
#endif
#ifndef VW
#define VW 4
#endif

/* Derived. */
#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#define WGS (MDIMC * NDIMC)
#define A_ITERS ((MWG * KWG / VW + WGS - 1) / WGS)
#define B_ITERS ((NWG * KWG / VW + WGS - 1) / WGS)
/* 1 when the work-group's items split a tile's vectors evenly: the loads then need no guard. */
#define A_EXACT ((MWG * KWG / VW) % WGS == 0)
#define B_EXACT ((NWG * KWG / VW) % WGS == 0)

#if (MWG % MDIMC) != 0 || (NWG % NDIMC) != 0
#error "MWG must be a multiple of MDIMC and NWG of NDIMC"
#endif
#if (KWG % VW) != 0 || (MWG % VW) != 0 || (NWG % VW) != 0
#error "KWG, MWG and NWG must be multiples of VW"
#endif
#if VW != 1 && VW != 4
#error "VW must be 1 or 4"
#endif

/* Loads the TR x TC block at (r0, c0) of a row-major matrix of nr x nc elements (leading
 * dimension ld) into dst, as dst[r * TC + c] or, when transposed, dst[c * TR + r]. Every
 * work-item takes the same ITERS steps (ceil(TR * TC / VW / WGS), a compile-time constant), each
 * guarded, rather than a loop whose trip count depends on its id: PoCL 5 and later abort
 * ("region_entry_barrier != NULL") while forming the work-group function when a barrier is
 * followed by a branch that may skip such a loop (pocl/pocl#2281), as at the top of the k loop.
 * The guard itself is compiled out when the steps cover the tile exactly (EXACT): with a single
 * step, PoCL 5.0 aborted on the same assertion over the branch "tid < vecs" alone (the 64 x 64
 * tile of 16 x 16 work-items, on an H100 machine's PoCL 5.0). */
K_FN void k_load_tile(K_LPTR float* dst, K_GPTR const float* src, klong ld, klong nr, klong nc,
                      klong r0, klong c0, int TR, int TC, int transposed, int ITERS, int EXACT, int tid) {
    int vecsPerRow = TC / VW;
    int vecs = TR * vecsPerRow;
    for (int it = 0; it < ITERS; it++) {
        int v = tid + it * WGS;
        if (EXACT || v < vecs) {
            int r = v / vecsPerRow;
            int c = (v - r * vecsPerRow) * VW;
            klong gr = r0 + r;
            klong gc = c0 + c;
            float e[VW];
            if (gr < nr && gc + VW <= nc) {
#if VW == 4
                kfloat4 q = K_VLOAD4(src + gr * ld + gc);
                e[0] = q.x;
                e[1] = q.y;
                e[2] = q.z;
                e[3] = q.w;
#else
                e[0] = src[gr * ld + gc];
#endif
            } else {
                for (int j = 0; j < VW; j++) {
                    e[j] = (gr < nr && gc + j < nc) ? src[gr * ld + gc + j] : 0.0f;
                }
            }
            for (int j = 0; j < VW; j++) {
                if (transposed) {
                    dst[(c + j) * TR + r] = e[j];
                } else {
                    dst[r * TC + c + j] = e[j];
                }
            }
        }
    }
}

/* Tiles of KWG steps that one FMA chain runs before it is added into the block's total and restarted: a dot
 * product's rounding error grows with its chain, and one chain over k = 4097 was 6x OpenBLAS's error. Runs of
 * 256 steps, as the CPU backend's (about 4x less error at k = 4097); the totals cost MWI x NWI more registers. */
#define K_SUB_TILES (KWG >= 256 ? 1 : 256 / KWG)

/* The MWI x NWI block of op(A) op(B) owned by this work-item, for the tile at (m0, n0). */
K_FN void k_gemm_block(K_GPTR const float* a, int transA, K_GPTR const float* b, int transB,
                       klong m, klong n, klong k, klong m0, klong n0,
                       K_LPTR float* alm, K_LPTR float* blm, float acc[MWI][NWI]) {
    int tn = (int) get_local_id(0);
    int tm = (int) get_local_id(1);
    int tid = tm * NDIMC + tn;
    float part[MWI][NWI];
    for (int i = 0; i < MWI; i++) {
        for (int j = 0; j < NWI; j++) {
            acc[i][j] = 0.0f;
            part[i][j] = 0.0f;
        }
    }
    int run = 0;
    for (klong k0 = 0; k0 < k; k0 += KWG) {
        /* alm[kk * MWG + i] = op(A)[m0 + i, k0 + kk]; blm[kk * NWG + j] = op(B)[k0 + kk, n0 + j]. */
        if (transA) {
            k_load_tile(alm, a, m, k, m, k0, m0, KWG, MWG, 0, A_ITERS, A_EXACT, tid);
        } else {
            k_load_tile(alm, a, k, m, k, m0, k0, MWG, KWG, 1, A_ITERS, A_EXACT, tid);
        }
        if (transB) {
            k_load_tile(blm, b, k, n, k, n0, k0, NWG, KWG, 1, B_ITERS, B_EXACT, tid);
        } else {
            k_load_tile(blm, b, n, k, n, k0, n0, KWG, NWG, 0, B_ITERS, B_EXACT, tid);
        }
        K_LOCAL_BARRIER();
#pragma unroll
        for (int kk = 0; kk < KWG; kk++) {
            float ar[MWI];
            float br[NWI];
#pragma unroll
            for (int i = 0; i < MWI; i++) {
                ar[i] = alm[kk * MWG + i * MDIMC + tm];
            }
#pragma unroll
            for (int j = 0; j < NWI; j++) {
                br[j] = blm[kk * NWG + j * NDIMC + tn];
            }
#pragma unroll
            for (int i = 0; i < MWI; i++) {
#pragma unroll
                for (int j = 0; j < NWI; j++) {
                    part[i][j] = K_FMA(ar[i], br[j], part[i][j]);
                }
            }
        }
        K_LOCAL_BARRIER();
        if (++run == K_SUB_TILES) {
            run = 0;
            for (int i = 0; i < MWI; i++) {
                for (int j = 0; j < NWI; j++) {
                    acc[i][j] += part[i][j];
                    part[i][j] = 0.0f;
                }
            }
        }
    }
    for (int i = 0; i < MWI; i++) {
        for (int j = 0; j < NWI; j++) {
            acc[i][j] += part[i][j];
        }
    }
}

/* Global size (ceil(n / NWG) * NDIMC, ceil(m / MWG) * MDIMC, batch), local (NDIMC, MDIMC, 1). */
__kernel void k_gemm(__global const float* a, int transA, __global const float* b, int transB, __global float* c,
                     klong m, klong n, klong k, float alpha, float beta,
                     klong strideA, klong strideB, klong strideC) {
    __local float alm[KWG * MWG];
    __local float blm[KWG * NWG];
    float acc[MWI][NWI];
    klong batch = (klong) get_group_id(2);
    klong m0 = (klong) get_group_id(1) * MWG;
    klong n0 = (klong) get_group_id(0) * NWG;
    k_gemm_block(a + batch * strideA, transA, b + batch * strideB, transB, m, n, k, m0, n0, alm, blm, acc);
    __global float* cb = c + batch * strideC;
    int tn = (int) get_local_id(0);
    int tm = (int) get_local_id(1);
    for (int i = 0; i < MWI; i++) {
        klong row = m0 + i * MDIMC + tm;
        for (int j = 0; j < NWI; j++) {
            klong col = n0 + j * NDIMC + tn;
            if (row < m && col < n) {
                float v = alpha * acc[i][j];
                if (beta != 0.0f) {
                    v = v + beta * cb[row * n + col];
                }
                cb[row * n + col] = v;
            }
        }
    }
}

/* The fused dense layer: z = x w + bias (when hasBias), y = act(z); x [rows, in], w [in, out]. */
__kernel void k_linear(__global const float* x, __global const float* w, __global const float* bias, int hasBias,
                       __global float* z, __global float* y, klong rows, klong in, klong out, int act, float p) {
    __local float alm[KWG * MWG];
    __local float blm[KWG * NWG];
    float acc[MWI][NWI];
    klong m0 = (klong) get_group_id(1) * MWG;
    klong n0 = (klong) get_group_id(0) * NWG;
    k_gemm_block(x, 0, w, 0, rows, out, in, m0, n0, alm, blm, acc);
    int tn = (int) get_local_id(0);
    int tm = (int) get_local_id(1);
    for (int i = 0; i < MWI; i++) {
        klong row = m0 + i * MDIMC + tm;
        for (int j = 0; j < NWI; j++) {
            klong col = n0 + j * NDIMC + tn;
            if (row < rows && col < out) {
                float v = acc[i][j];
                if (hasBias) {
                    v = v + bias[col];
                }
                z[row * out + col] = v;
                y[row * out + col] = k_act_forward(act, p, v);
            }
        }
    }
}

#if defined(K_OPENCL) && K_ONE_PER_ITEM
/* CPU devices: one work-item per 6 x 32 tile of C in explicit 16-lane vectors, twelve accumulators kept in
 * registers, A broadcast one element at a time, B read along its rows. PoCL runs a work-group as a loop over its
 * work-items and its vectoriser gives up on vector-typed code, so the tile is written as a CPU micro-kernel would
 * be; the work-groups hold 16 tiles down one 32-column panel of B, which stays in L2 between them. 192-198
 * GFLOP/s at 1024^3 and 121-127 at 2048^3 on the 2-core EPYC, where the local-memory tiles above reach 23-37.
 * Each element of C is the same k-ordered chains of FMAs as k_gemm's (runs of 256 steps added into the total, with
 * the default 16-deep tiles). op(A) may be transposed; op(B) may not (the
 * host uses k_gemm then). */
#define K_CPU_TM 6

/* 16 floats of a row of B from p, of which avail exist (the rest read as 0). */
K_FN float16 k_row16(__global const float* p, klong avail) {
    if (avail >= 16) {
        return vload16(0, p);
    }
    float v[16];
    for (int j = 0; j < 16; j++) {
        v[j] = j < avail ? p[j] : 0.0f;
    }
    return vload16(0, v);
}

/* acc[2 r + h] = columns j0 + 16 h .. of row i0 + r of op(A) B; rows past m read A as 0. */
K_FN void k_cpu_tile(__global const float* a, int transA, __global const float* b, klong m, klong n, klong k,
                     klong i0, klong j0, float16 acc[2 * K_CPU_TM]) {
    for (int t = 0; t < 2 * K_CPU_TM; t++) {
        acc[t] = (float16) 0.0f;
    }
    klong rowsHere = m - i0;
    /* Runs of 256 steps added into the totals, as k_gemm's K_SUB_TILES (twelve more vector registers). */
    for (klong k0 = 0; k0 < k; k0 += 256) {
        klong k1 = k - k0 > 256 ? k0 + 256 : k;
        float16 part[2 * K_CPU_TM];
        for (int t = 0; t < 2 * K_CPU_TM; t++) {
            part[t] = (float16) 0.0f;
        }
        for (klong kk = k0; kk < k1; kk++) {
            float16 b0 = k_row16(b + kk * n + j0, n - j0);
            float16 b1 = k_row16(b + kk * n + j0 + 16, n - j0 - 16);
#pragma unroll
            for (int r = 0; r < K_CPU_TM; r++) {
                float ar = r < rowsHere ? (transA ? a[kk * m + i0 + r] : a[(i0 + r) * k + kk]) : 0.0f;
                part[2 * r] = fma((float16) ar, b0, part[2 * r]);
                part[2 * r + 1] = fma((float16) ar, b1, part[2 * r + 1]);
            }
        }
        for (int t = 0; t < 2 * K_CPU_TM; t++) {
            acc[t] += part[t];
        }
    }
}

/* Global size (ceil(n / 32), ceil(m / 6) rounded up to the group's 16, batch), local (1, 16, 1). */
K_OPENCL_KERNEL void k_gemm_cpu(__global const float* a, int transA, __global const float* b, __global float* c,
                         klong m, klong n, klong k, float alpha, float beta,
                         klong strideA, klong strideB, klong strideC) {
    klong j0 = (klong) get_global_id(0) * 32;
    klong i0 = (klong) get_global_id(1) * K_CPU_TM;
    klong batch = (klong) get_global_id(2);
    if (i0 >= m || j0 >= n) {
        return;
    }
    float16 acc[2 * K_CPU_TM];
    k_cpu_tile(a + batch * strideA, transA, b + batch * strideB, m, n, k, i0, j0, acc);
    __global float* cb = c + batch * strideC;
    for (int r = 0; r < K_CPU_TM && i0 + r < m; r++) {
        for (int h = 0; h < 2; h++) {
            klong col = j0 + 16 * h;
            __global float* p = cb + (i0 + r) * n + col;
            float16 v = alpha * acc[2 * r + h];
            if (col + 16 <= n) {
                if (beta != 0.0f) {
                    v = v + beta * vload16(0, p);
                }
                vstore16(v, 0, p);
            } else {
                float lanes[16];
                vstore16(v, 0, lanes);
                for (int j = 0; col + j < n; j++) {
                    float w = lanes[j];
                    if (beta != 0.0f) {
                        w = w + beta * p[j];
                    }
                    p[j] = w;
                }
            }
        }
    }
}

/* k_linear on CPU devices: the same tiles, then z = tile + bias, y = act(z) element by element. */
K_OPENCL_KERNEL void k_linear_cpu(__global const float* x, __global const float* w, __global const float* bias, int hasBias,
                           __global float* z, __global float* y, klong rows, klong in, klong out, int act, float p) {
    klong j0 = (klong) get_global_id(0) * 32;
    klong i0 = (klong) get_global_id(1) * K_CPU_TM;
    if (i0 >= rows || j0 >= out) {
        return;
    }
    float16 acc[2 * K_CPU_TM];
    k_cpu_tile(x, 0, w, rows, out, in, i0, j0, acc);
    for (int r = 0; r < K_CPU_TM && i0 + r < rows; r++) {
        float lanes[32];
        vstore16(acc[2 * r], 0, lanes);
        vstore16(acc[2 * r + 1], 0, lanes + 16);
        for (int j = 0; j < 32 && j0 + j < out; j++) {
            klong col = j0 + j;
            float v = lanes[j];
            if (hasBias) {
                v = v + bias[col];
            }
            z[(i0 + r) * out + col] = v;
            y[(i0 + r) * out + col] = k_act_forward(act, p, v);
        }
    }
}
#endif
