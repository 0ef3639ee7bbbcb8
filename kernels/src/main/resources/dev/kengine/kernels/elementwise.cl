/* elementwise.cl: fill, copy, the binary arithmetic ops with a broadcast row, scale, axpy.
 * One element per work-item, in a grid-stride loop where the host caps the global size (see K_FOR_ELEMENT). */

#ifndef ELEMENTWISE_WG
#define ELEMENTWISE_WG 256
#endif

#define K_BINARY_ADD 0
#define K_BINARY_SUB 1
#define K_BINARY_MUL 2
#define K_BINARY_DIV 3

__kernel void k_fill(__global float* x, klong n, float value) {
    K_FOR_ELEMENT(i, n) {
        x[i] = value;
    }
}

__kernel void k_copy(__global const float* src, __global float* dst, klong n) {
    K_FOR_ELEMENT(i, n) {
        dst[i] = src[i];
    }
}

/* out = a op b; b has a's shape, or is a row of cols elements broadcast over the rows. */
__kernel void k_binary(__global const float* a, __global const float* b, __global float* out,
                       klong n, klong cols, int op, int broadcastRow) {
    K_FOR_ELEMENT(i, n) {
        float x = a[i];
        float y = broadcastRow ? b[i % (kidx) cols] : b[i];
        float r;
        switch (op) {
        case K_BINARY_ADD: r = x + y; break;
        case K_BINARY_SUB: r = x - y; break;
        case K_BINARY_MUL: r = x * y; break;
        default: r = x / y; break;
        }
        out[i] = r;
    }
}

__kernel void k_scale(__global const float* x, float s, __global float* out, klong n) {
    K_FOR_ELEMENT(i, n) {
        out[i] = s * x[i];
    }
}

/* y += alpha * x, multiply then add, each rounded (no contraction, as on the CPU). */
__kernel void k_axpy(float alpha, __global const float* x, __global float* y, klong n) {
    K_FOR_ELEMENT(i, n) {
        y[i] = y[i] + alpha * x[i];
    }
}
