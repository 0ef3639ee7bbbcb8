/* dropout.cl: inverted dropout, bit-exact with dev.kengine.random.CounterRandom. One work-item
 * per group of four elements: element i takes word i mod 4 of the Philox block for counter
 * (lo(i/4), hi(i/4), lo(offset), hi(offset)), so one block serves four elements. */

#ifndef DROPOUT_WG
#define DROPOUT_WG 256
#endif

/* The mask is a float (1.0f kept, 0.0f dropped) or, where mask8 is not null, a byte (1 kept, 0 dropped): the kernels
 * pass one of the two as a null constant, so each compiles to one store. */
K_FN void k_dropout_one(__global const float* x, __global float* y, __global float* mask, __global kuchar* mask8,
                        kidx i, kuint w, float p, float scale) {
    int keep = k_unit_float(w) >= p;
    if (mask8) {
        mask8[i] = (kuchar) keep;
    } else {
        mask[i] = keep ? 1.0f : 0.0f;
    }
    y[i] = x[i] * (keep ? scale : 0.0f);
}

K_FN void k_dropout_quads(__global const float* x, __global float* y, __global float* mask, __global kuchar* mask8,
                          klong n, float p, float scale, kulong seed, kulong offset) {
    kidx quads = (kidx) ((n + 3) >> 2);
    K_FOR_ELEMENT(q, quads) {
        k_philox_out b = k_philox_at((kulong) q, seed, offset);
        kidx i = q << 2;
        if (K_GROUP_WHOLE((kidx) (n >> 2)) || i + 4 <= (kidx) n) {
            /* A whole group of four, straight-line (and the work-group's test first, see K_FOR_ELEMENT). */
            k_dropout_one(x, y, mask, mask8, i, b.w0, p, scale);
            k_dropout_one(x, y, mask, mask8, i + 1, b.w1, p, scale);
            k_dropout_one(x, y, mask, mask8, i + 2, b.w2, p, scale);
            k_dropout_one(x, y, mask, mask8, i + 3, b.w3, p, scale);
        } else {
            for (int j = 0; i + j < (kidx) n; j++) {
                k_dropout_one(x, y, mask, mask8, i + j, k_philox_word(b, j), p, scale);
            }
        }
    }
}

__kernel void k_dropout(__global const float* x, __global float* y, __global float* mask, klong n,
                        float p, float scale, kulong seed, kulong offset) {
    k_dropout_quads(x, y, mask, 0, n, p, scale, seed, offset);
}

/* k_dropout with a UINT8 mask: a quarter of the float mask's bytes. */
__kernel void k_dropout8(__global const float* x, __global float* y, __global kuchar* mask, klong n,
                         float p, float scale, kulong seed, kulong offset) {
    k_dropout_quads(x, y, 0, mask, n, p, scale, seed, offset);
}

#if defined(K_OPENCL) && K_ONE_PER_ITEM
/* The same on CPU devices, 128 elements (32 Philox blocks) per work-item in explicit 16-lane vectors. Per-element
 * work-items cannot share a block, and a work-item of one block touches four adjacent floats, which the compiler
 * fuses into a float4 access before PoCL's vectoriser runs, and that vectoriser gives up on vector-typed code.
 * Bit-exact with k_dropout: the same counters, words and arithmetic, only computed sixteen blocks at a time. */

/* a * m as 64-bit products of the sixteen lanes: the low words by a 32-bit multiply, the high words from two
 * widening multiplies of the even and the odd lanes, blended (PoCL's mul_hi on vectors was slower; building the low
 * words from the same products cost a 64-bit multiply and a blend more). */
K_FN void k_mul_wide16(uint16 a, kuint m, uint16* lo, uint16* hi) {
    ulong8 v = as_ulong8(a);
    ulong8 even = (v & (ulong8) 0xFFFFFFFFUL) * (ulong8) m;
    ulong8 odd = (v >> (ulong8) 32) * (ulong8) m;
    const int16 oddLanes = (int16) (0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1);
    *lo = a * (uint16) m;
    *hi = select(as_uint16(even >> (ulong8) 32), as_uint16(odd), oddLanes);
}

/* 1 where the word keeps its element: k_unit_float(w) >= p, as (w >> 8) >= t with t the least multiple of 2^-24
 * at or above p, counted in 2^-24 (exact: k_unit_float(w) is (w >> 8) 2^-24); no element is kept for a NaN p. */
K_FN kuint k_keep_threshold(float p) {
    return p > 0.0f ? (kuint) ceil(fmin(p, 2.0f) * 16777216.0f) : (p <= 0.0f ? 0u : 0xFFFFFFFFu);
}

K_FN float16 k_keep16(uint16 w, kuint t) {
    return select((float16) 0.0f, (float16) 1.0f, (w >> (uint16) 8) >= (uint16) t);
}

/* The Philox rounds of two groups of sixteen blocks, interleaved: the rounds of one group are a chain of dependent
 * multiplies, and two independent chains in flight ran the kernel 15 % faster than one. */
K_FN void k_philox16x2(uint16* a, uint16* b, kuint k0, kuint k1) {
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint16 alo0, ahi0, alo1, ahi1, blo0, bhi0, blo1, bhi1;
        k_mul_wide16(a[0], 0xD2511F53u, &alo0, &ahi0);
        k_mul_wide16(a[2], 0xCD9E8D57u, &alo1, &ahi1);
        k_mul_wide16(b[0], 0xD2511F53u, &blo0, &bhi0);
        k_mul_wide16(b[2], 0xCD9E8D57u, &blo1, &bhi1);
        uint16 an0 = ahi1 ^ a[1] ^ (uint16) k0;
        uint16 an2 = ahi0 ^ a[3] ^ (uint16) k1;
        uint16 bn0 = bhi1 ^ b[1] ^ (uint16) k0;
        uint16 bn2 = bhi0 ^ b[3] ^ (uint16) k1;
        a[0] = an0;
        a[1] = alo1;
        a[2] = an2;
        a[3] = alo0;
        b[0] = bn0;
        b[1] = blo1;
        b[2] = bn2;
        b[3] = blo0;
    }
}

/* The counters of the sixteen blocks from the one of element base (a multiple of 64): blocks q0 .. q0 + 15 never
 * straddle a multiple of 2^32, so their high words are equal. Lane 4 r + i computes block q0 + 4 i + r, so that the
 * transpose in k_dropout_store64 is two rounds of in-lane unpacks (the lanes in block order took 40 cross-lane
 * permutes there). */
K_FN void k_dropout_counters16(uint16* c, kidx base, kulong offset) {
    kulong q0 = (kulong) (base >> 2);
    c[0] = (uint16) ((kuint) q0) + (uint16) (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    c[1] = (uint16) ((kuint) (q0 >> 32));
    c[2] = (uint16) ((kuint) offset);
    c[3] = (uint16) ((kuint) (offset >> 32));
}

/* The keep lanes of sixteen blocks (k_keep16 of their four words) in element order: element 4b + j takes word j of
 * block b, a 4 x 4 transpose inside each 128-bit lane (unpacks of floats, then of pairs) puts blocks 4 r .. 4 r + 3,
 * word by word, in vector r. */
K_FN void k_dropout_transpose64(float16 m0, float16 m1, float16 m2, float16 m3, float16* e) {
    const uint16 lo = (uint16) (0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29);
    const uint16 hi = (uint16) (2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
    /* Pairs of floats moved as 64-bit integers (no double type: devices without cl_khr_fp64 compile this too). */
    ulong8 t0 = as_ulong8(shuffle2(m0, m1, lo));
    ulong8 t1 = as_ulong8(shuffle2(m2, m3, lo));
    ulong8 t2 = as_ulong8(shuffle2(m0, m1, hi));
    ulong8 t3 = as_ulong8(shuffle2(m2, m3, hi));
    const ulong8 pairLo = (ulong8) (0, 8, 2, 10, 4, 12, 6, 14);
    const ulong8 pairHi = (ulong8) (1, 9, 3, 11, 5, 13, 7, 15);
    e[0] = as_float16(shuffle2(t0, t1, pairLo));
    e[1] = as_float16(shuffle2(t0, t1, pairHi));
    e[2] = as_float16(shuffle2(t2, t3, pairLo));
    e[3] = as_float16(shuffle2(t2, t3, pairHi));
}

/* Elements base .. base + 63 from the four words of their sixteen blocks. */
K_FN void k_dropout_store64(uint16* w, kuint t, __global const float* x, __global float* y, __global float* mask,
                            __global kuchar* mask8, kidx base, float scale) {
    float16 e[4];
    k_dropout_transpose64(k_keep16(w[0], t), k_keep16(w[1], t), k_keep16(w[2], t), k_keep16(w[3], t), e);
    for (int k = 0; k < 4; k++) {
        if (mask8) {
            K_STORE16_U8(mask8 + base + 16 * k, convert_uchar16(e[k]));
        } else {
            K_STORE16(mask + base + 16 * k, e[k]);
        }
        K_STORE16(y + base + 16 * k, K_LOAD16(x + base + 16 * k) * (e[k] * scale));
    }
}

/* Work-item g owns elements 128 g .. 128 g + 127 (32 Philox blocks), with no test: the host launches whole
 * work-groups over whole blocks of 128 x wg elements only, and k_dropout over the rest (as the activations'
 * sixteen-lane kernels). */
/* The Philox words of the 32 blocks of elements base .. base + 127 (the first 64 in a, the rest in b), and the
 * threshold they are kept above. */
K_FN kuint k_dropout_words128(kidx base, float p, kulong seed, kulong offset, uint16* a, uint16* b) {
    k_dropout_counters16(a, base, offset);
    k_dropout_counters16(b, base + 64, offset);
    k_philox16x2(a, b, (kuint) seed, (kuint) (seed >> 32));
    return k_keep_threshold(p);
}

K_FN void k_dropout128(__global const float* x, __global float* y, __global float* mask, __global kuchar* mask8,
                       float p, float scale, kulong seed, kulong offset) {
    kidx base = (kidx) get_global_id(0) << 7;
    uint16 a[4], b[4];
    kuint t = k_dropout_words128(base, p, seed, offset, a, b);
    k_dropout_store64(a, t, x, y, mask, mask8, base, scale);
    k_dropout_store64(b, t, x, y, mask, mask8, base + 64, scale);
}

K_OPENCL_KERNEL void k_dropout16(__global const float* x, __global float* y, __global float* mask, klong n,
                          float p, float scale, kulong seed, kulong offset) {
    k_dropout128(x, y, mask, 0, p, scale, seed, offset);
}

K_OPENCL_KERNEL void k_dropout16_8(__global const float* x, __global float* y, __global kuchar* mask, klong n,
                          float p, float scale, kulong seed, kulong offset) {
    k_dropout128(x, y, 0, mask, p, scale, seed, offset);
}

/* k_dropout16 on half-precision x and y: the same keep lanes (k_dropout_store64's transpose), y rounded once from
 * x·(keep·scale) in float32; the mask a float or (bytes) a byte, the other a dummy buffer. */
K_OPENCL_KERNEL void k_dropout16_half(__global const kushort* x, __global kushort* y, __global float* mask,
                                      __global kuchar* mask8, int bytes, klong n, float p, float scale, kulong seed,
                                      kulong offset, int dt) {
    kidx base = (kidx) get_global_id(0) << 7;
    uint16 a[4], b[4];
    kuint t = k_dropout_words128(base, p, seed, offset, a, b);
    for (int half64 = 0; half64 < 2; half64++) {
        uint16* w = half64 == 0 ? a : b;
        kidx at = base + 64 * half64;
        float16 e[4];
        k_dropout_transpose64(k_keep16(w[0], t), k_keep16(w[1], t), k_keep16(w[2], t), k_keep16(w[3], t), e);
        for (int k = 0; k < 4; k++) {
            kidx i = at + 16 * k;
            if (bytes) {
                K_STORE16_U8(mask8 + i, convert_uchar16(e[k]));
            } else {
                K_STORE16(mask + i, e[k]);
            }
            k_half_store16(y, i, dt, k_half_load16(x, i, dt) * (e[k] * scale));
        }
    }
}

/* k_dropout_backward_half sixteen elements per work-item, over whole blocks of sixteen (CPU devices). */
K_OPENCL_KERNEL void k_dropout_backward_half16(__global const kushort* dy, __global const float* mask,
                                               __global const kuchar* mask8, int bytes, __global kushort* dx, klong n,
                                               float scale, int dt) {
    kidx base = (kidx) get_global_id(0) << 4;
    int16 keep = bytes ? convert_int16(K_LOAD16_U8(mask8 + base)) != (int16) 0 : K_LOAD16(mask + base) != 0.0f;
    k_half_store16(dx, base, dt, k_half_load16(dy, base, dt) * select((float16) 0.0f, (float16) scale, keep));
}
#endif

__kernel void k_dropout_backward(__global const float* dy, __global const float* mask, __global float* dx,
                                 klong n, float scale) {
    K_FOR_ELEMENT(i, n) {
        dx[i] = dy[i] * (mask[i] != 0.0f ? scale : 0.0f);
    }
}

/* k_dropout_backward with a UINT8 mask: kept where the byte is not 0. */
__kernel void k_dropout_backward8(__global const float* dy, __global const kuchar* mask, __global float* dx,
                                  klong n, float scale) {
    K_FOR_ELEMENT(i, n) {
        dx[i] = dy[i] * (mask[i] != 0 ? scale : 0.0f);
    }
}

/* Dropout on half-precision storage (dt: K_DT_F16 or K_DT_BF16): x widened exactly, y = x·(keep ? scale : 0) in
 * float32 rounded once, the bits of the float32 kernel's result rounded; the mask a float (bytes 0) or a byte (bytes 1),
 * the unused one a dummy buffer. Each element is read before it is written: y may be x. */
__kernel void k_dropout_half(__global const kushort* x, __global kushort* y, __global float* mask, __global kuchar* mask8,
                             int bytes, klong n, float p, float scale, kulong seed, kulong offset, int dt) {
    kidx quads = (kidx) ((n + 3) >> 2);
    K_FOR_ELEMENT(q, quads) {
        k_philox_out b = k_philox_at((kulong) q, seed, offset);
        kidx i = q << 2;
        for (int j = 0; j < 4 && i + j < (kidx) n; j++) {
            int keep = k_unit_float(k_philox_word(b, j)) >= p;
            if (bytes) {
                mask8[i + j] = (kuchar) keep;
            } else {
                mask[i + j] = keep ? 1.0f : 0.0f;
            }
            K_HALF_STORE_EXACT(y, i + j, dt, K_HALF_LOAD(x, i + j, dt) * (keep ? scale : 0.0f));
        }
    }
}

__kernel void k_dropout_backward_half(__global const kushort* dy, __global const float* mask, __global const kuchar* mask8,
                                      int bytes, __global kushort* dx, klong n, float scale, int dt) {
    K_FOR_ELEMENT(i, n) {
        int keep = bytes ? mask8[i] != 0 : mask[i] != 0.0f;
        K_HALF_STORE_EXACT(dx, i, dt, K_HALF_LOAD(dy, i, dt) * (keep ? scale : 0.0f));
    }
}
