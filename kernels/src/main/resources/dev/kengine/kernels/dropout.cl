/* dropout.cl: inverted dropout, bit-exact with dev.kengine.random.CounterRandom. One work-item
 * per group of four elements: element i takes word i mod 4 of the Philox block for counter
 * (lo(i/4), hi(i/4), lo(offset), hi(offset)), so one block serves four elements. */

#ifndef DROPOUT_WG
#define DROPOUT_WG 256
#endif

__kernel void k_dropout(__global const float* x, __global float* y, __global float* mask, klong n,
                        float p, float scale, kulong seed, kulong offset) {
    klong quads = (n + 3) >> 2;
    K_FOR_EACH(q, quads) {
        k_philox_out b = k_philox_at((kulong) q, seed, offset);
        for (int j = 0; j < 4; j++) {
            klong i = (q << 2) + j;
            if (i < n) {
                int keep = k_unit_float(k_philox_word(b, j)) >= p;
                mask[i] = keep ? 1.0f : 0.0f;
                y[i] = x[i] * (keep ? scale : 0.0f);
            }
        }
    }
}

__kernel void k_dropout_backward(__global const float* dy, __global const float* mask, __global float* dx,
                                 klong n, float scale) {
    K_FOR_EACH(i, n) {
        dx[i] = dy[i] * (mask[i] != 0.0f ? scale : 0.0f);
    }
}
