/* init.cl: uniform and normal initial values, bit-exact with dev.kengine.random.CounterRandom.
 * The arithmetic is IEEE double without contraction (the dialect preambles see to that), so the
 * kernels exist only where the device has double precision. */

#ifndef INIT_WG
#define INIT_WG 256
#endif

#ifdef K_FP64
/* Uniform: one Philox block per four elements, word i mod 4. */
__kernel void k_init_uniform(__global float* x, klong n, kulong seed, kulong offset, double lo, double hi) {
    kidx quads = (kidx) ((n + 3) >> 2);
    K_FOR_ELEMENT(q, quads) {
        k_philox_out b = k_philox_at((kulong) q, seed, offset);
        for (int j = 0; j < 4; j++) {
            kidx i = (q << 2) + j;
            if (i < n) {
                x[i] = k_uniform_from_bits(k_philox_word(b, j), lo, hi);
            }
        }
    }
}

/* Normal: element i takes words 0 and 1 of the block for counter (lo(i), hi(i), lo(offset), hi(offset)). */
__kernel void k_init_normal(__global float* x, klong n, kulong seed, kulong offset, double mean, double stddev) {
    K_FOR_ELEMENT(i, n) {
        k_philox_out b = k_philox_at((kulong) i, seed, offset);
        x[i] = k_normal_from_words(b.w0, b.w1, mean, stddev);
    }
}
#endif
