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

/* Fills of the other dtypes with a raw pattern (the host converted the value). */
__kernel void k_fill_u32(__global kuint* x, klong n, kuint bits) {
    K_FOR_ELEMENT(i, n) {
        x[i] = bits;
    }
}

__kernel void k_fill_u16(__global kushort* x, klong n, kuint bits) {
    K_FOR_ELEMENT(i, n) {
        x[i] = (kushort) bits;
    }
}

__kernel void k_fill_u8(__global kuchar* x, klong n, kuint bits) {
    K_FOR_ELEMENT(i, n) {
        x[i] = (kuchar) bits;
    }
}

/* dst = src converted between dtypes (codes as in common.h); one branch per launch, the same in
 * every work-item. */
__kernel void k_cast(__global const kuchar* src, int from, __global kuchar* dst, int to, klong n) {
    K_FOR_ELEMENT(i, n) {
        k_dt_store(dst, to, i, k_convert(from, k_dt_load(src, from, i), to));
    }
}

/* The four casts half-precision training runs most, without k_cast's per-element dtype branches (which kept
 * PoCL's vectoriser off: about 2 GB/s where these move tens). */
__kernel void k_cast_f32_bf16(__global const kuint* src, __global kushort* dst, klong n) {
    K_FOR_ELEMENT(i, n) {
        dst[i] = (kushort) k_f32_to_bf16(src[i]);
    }
}

__kernel void k_cast_bf16_f32(__global const kushort* src, __global kuint* dst, klong n) {
    K_FOR_ELEMENT(i, n) {
        dst[i] = (kuint) src[i] << 16;
    }
}

__kernel void k_cast_f32_f16(__global const kuint* src, __global kushort* dst, klong n) {
    K_FOR_ELEMENT(i, n) {
        dst[i] = (kushort) k_f32_to_f16(src[i]);
    }
}

__kernel void k_cast_f16_f32(__global const kushort* src, __global kuint* dst, klong n) {
    K_FOR_ELEMENT(i, n) {
        dst[i] = k_f16_to_f32(src[i]);
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
