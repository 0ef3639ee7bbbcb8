/* dropout.cl: inverted dropout, bit-exact with dev.kengine.random.CounterRandom. One work-item
 * per group of four elements: element i takes word i mod 4 of the Philox block for counter
 * (lo(i/4), hi(i/4), lo(offset), hi(offset)), so one block serves four elements. */

#ifndef DROPOUT_WG
#define DROPOUT_WG 256
#endif

K_FN void k_dropout_one(__global const float* x, __global float* y, __global float* mask, kidx i, kuint w,
                        float p, float scale) {
    int keep = k_unit_float(w) >= p;
    mask[i] = keep ? 1.0f : 0.0f;
    y[i] = x[i] * (keep ? scale : 0.0f);
}

__kernel void k_dropout(__global const float* x, __global float* y, __global float* mask, klong n,
                        float p, float scale, kulong seed, kulong offset) {
    kidx quads = (kidx) ((n + 3) >> 2);
    K_FOR_ELEMENT(q, quads) {
        k_philox_out b = k_philox_at((kulong) q, seed, offset);
        kidx i = q << 2;
        if (K_GROUP_WHOLE((kidx) (n >> 2)) || i + 4 <= (kidx) n) {
            /* A whole group of four, straight-line (and the work-group's test first, see K_FOR_ELEMENT). */
            k_dropout_one(x, y, mask, i, b.w0, p, scale);
            k_dropout_one(x, y, mask, i + 1, b.w1, p, scale);
            k_dropout_one(x, y, mask, i + 2, b.w2, p, scale);
            k_dropout_one(x, y, mask, i + 3, b.w3, p, scale);
        } else {
            for (int j = 0; i + j < (kidx) n; j++) {
                k_dropout_one(x, y, mask, i + j, k_philox_word(b, j), p, scale);
            }
        }
    }
}

#if defined(K_OPENCL) && K_ONE_PER_ITEM
/* The same on CPU devices, 64 elements (16 Philox blocks) per work-item in explicit 16-lane vectors. Per-element
 * work-items cannot share a block, and a work-item of one block touches four adjacent floats, which the compiler
 * fuses into a float4 access before PoCL's vectoriser runs, and that vectoriser gives up on vector-typed code.
 * Bit-exact with k_dropout: the same counters, words and arithmetic, only computed sixteen blocks at a time. */

/* a * m as 64-bit products of the sixteen lanes: the low and high 32-bit words, from two widening multiplies of
 * the even and the odd lanes (PoCL's mul_hi on vectors was slower). */
K_FN void k_mul_wide16(uint16 a, kuint m, uint16* lo, uint16* hi) {
    ulong8 v = as_ulong8(a);
    ulong8 even = (v & (ulong8) 0xFFFFFFFFUL) * (ulong8) m;
    ulong8 odd = (v >> (ulong8) 32) * (ulong8) m;
    *lo = as_uint16((even & (ulong8) 0xFFFFFFFFUL) | (odd << (ulong8) 32));
    *hi = as_uint16((even >> (ulong8) 32) | (odd & (ulong8) 0xFFFFFFFF00000000UL));
}

K_FN float16 k_keep16(uint16 w, float p) {
    return select((float16) 0.0f, (float16) 1.0f, convert_float16(w >> (uint16) 8) * 5.9604644775390625e-8f >= (float16) p);
}

K_OPENCL_KERNEL void k_dropout16(__global const float* x, __global float* y, __global float* mask, klong n,
                          float p, float scale, kulong seed, kulong offset) {
    kidx base = (kidx) get_global_id(0) << 6;
    if (base >= (kidx) n) {
        return;
    }
    /* Blocks q0 .. q0 + 15 never straddle a multiple of 2^32: their high words are equal. */
    kulong q0 = (kulong) (base >> 2);
    uint16 c0 = (uint16) ((kuint) q0) + (uint16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    uint16 c1 = (uint16) ((kuint) (q0 >> 32));
    uint16 c2 = (uint16) ((kuint) offset);
    uint16 c3 = (uint16) ((kuint) (offset >> 32));
    kuint k0 = (kuint) seed;
    kuint k1 = (kuint) (seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint16 lo0, hi0, lo1, hi1;
        k_mul_wide16(c0, 0xD2511F53u, &lo0, &hi0);
        k_mul_wide16(c2, 0xCD9E8D57u, &lo1, &hi1);
        uint16 n0 = hi1 ^ c1 ^ (uint16) k0;
        uint16 n2 = hi0 ^ c3 ^ (uint16) k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    float16 m0 = k_keep16(c0, p);
    float16 m1 = k_keep16(c1, p);
    float16 m2 = k_keep16(c2, p);
    float16 m3 = k_keep16(c3, p);
    /* Element 4b + j takes word j of block b: interleave the four words' lanes into element order. */
    const uint16 lo = (uint16) (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const uint16 hi = (uint16) (8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const uint16 first = (uint16) (0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const uint16 second = (uint16) (8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    float16 a = shuffle2(m0, m1, lo);
    float16 b = shuffle2(m2, m3, lo);
    float16 a2 = shuffle2(m0, m1, hi);
    float16 b2 = shuffle2(m2, m3, hi);
    float16 e[4] = {shuffle2(a, b, first), shuffle2(a, b, second), shuffle2(a2, b2, first), shuffle2(a2, b2, second)};
    if (base + 64 <= (kidx) n) {
        for (int k = 0; k < 4; k++) {
            vstore16(e[k], 0, mask + base + 16 * k);
            vstore16(vload16(0, x + base + 16 * k) * (e[k] * scale), 0, y + base + 16 * k);
        }
    } else {
        for (int k = 0; k < 4; k++) {
            float ek[16];
            vstore16(e[k], 0, ek);
            for (int j = 0; j < 16 && base + 16 * k + j < (kidx) n; j++) {
                kidx i = base + 16 * k + j;
                mask[i] = ek[j];
                y[i] = x[i] * (ek[j] * scale);
            }
        }
    }
}
#endif

__kernel void k_dropout_backward(__global const float* dy, __global const float* mask, __global float* dx,
                                 klong n, float scale) {
    K_FOR_ELEMENT(i, n) {
        dx[i] = dy[i] * (mask[i] != 0.0f ? scale : 0.0f);
    }
}
