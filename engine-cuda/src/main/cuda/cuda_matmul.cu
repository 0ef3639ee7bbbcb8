/* cuda_matmul.cu: C = alpha op(A) op(B) + beta C, batched, for large matrices, with the same
 * arguments and epilogue as matmul.cl's k_gemm (plus two flags saying whether A and B may be read
 * with 16-byte loads).
 *
 * kc_sgemm_*: FP32. A block of 256 threads computes a 128 x 128 tile of C; each thread an 8 x 8
 * block in registers, as two 4 x 4 quadrants 64 rows and 64 columns apart so that its shared
 * memory reads are float4 and conflict-free. K advances in slices of 8, double-buffered: while the
 * block multiplies slice t out of one shared buffer, each thread's loads of slice t + 1 are in
 * flight to registers, then stored to the other buffer; one barrier per slice.
 *
 * kc_tf32gemm_*: the opt-in TF32 tensor-core path (precision=tf32, sm_80 and newer). Same tiles and
 * double buffering with slices of 16; operands are rounded to TF32 (10-bit mantissa, cvt.rna)
 * when stored to shared memory, and eight warps, 2 x 4, each own a 64 x 32 sub-tile computed by
 * mma.sync m16n8k8 into FP32 accumulators. Row strides of 136 floats make the fragment loads
 * conflict-free (lane (g, t) reads bank 8t + g).
 *
 * Shared memory holds op(A) k-major (As[k][m]) and op(B) k-major (Bs[k][n]). A tile is "wide" when
 * its contiguous dimension is the tile's 128 (A transposed, B not) and "tall" when it is the K
 * slice (A not transposed, B transposed); each thread moves float4 chunks along the contiguous
 * dimension, zero-padded at the matrix edges, so any m, n, k works. */

#define KC_TILE 128
#define KC_THREADS 256

/* Four consecutive floats from p, of which `avail` exist (none when !rowOk); 16-byte load when allowed. */
K_FN float4 kc_load4(const float* p, int rowOk, klong avail, int vec) {
    if (rowOk && vec && avail >= 4) {
        return __ldg((const float4*) p);
    }
    float4 r;
    r.x = (rowOk && avail > 0) ? __ldg(p) : 0.0f;
    r.y = (rowOk && avail > 1) ? __ldg(p + 1) : 0.0f;
    r.z = (rowOk && avail > 2) ? __ldg(p + 2) : 0.0f;
    r.w = (rowOk && avail > 3) ? __ldg(p + 3) : 0.0f;
    return r;
}

/* Chunk q of this thread (of CHUNKS = 128·BK/4/256) of a tile: (row, col) in the stored matrix. */
template <int BK, int WIDE>
K_FN void kc_chunk(int c, int* r, int* col) {
    if (WIDE) { /* BK rows of 128 contiguous floats: 32 chunks per row */
        *r = c >> 5;
        *col = (c & 31) << 2;
    } else { /* 128 rows of BK contiguous floats */
        *r = c / (BK / 4);
        *col = (c % (BK / 4)) * 4;
    }
}

/* Loads chunk c of the tile whose top-left stored element is (r0, c0) of a row-major nr x nc matrix. */
template <int BK, int WIDE>
K_FN float4 kc_fetch(const float* base, klong nr, klong nc, klong r0, klong c0, int c, int vec) {
    int r;
    int col;
    kc_chunk<BK, WIDE>(c, &r, &col);
    klong gr = r0 + r;
    klong gc = c0 + col;
    return kc_load4(base + gr * nc + gc, gr < nr, nc - gc, vec);
}

K_FN float kc_to_tf32(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    unsigned u;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(u) : "f"(x));
    return __uint_as_float(u);
#else
    return x;
#endif
}

/* Stores chunk c into S[k][i] (row length LD): wide tiles go straight, tall ones transposed. */
template <int BK, int WIDE, int LD, int TF32>
K_FN void kc_stash(float* S, float4 v, int c) {
    int r;
    int col;
    kc_chunk<BK, WIDE>(c, &r, &col);
    if (TF32) {
        v.x = kc_to_tf32(v.x);
        v.y = kc_to_tf32(v.y);
        v.z = kc_to_tf32(v.z);
        v.w = kc_to_tf32(v.w);
    }
    if (WIDE) {
        *(float4*) &S[r * LD + col] = v;
    } else {
        S[(col + 0) * LD + r] = v.x;
        S[(col + 1) * LD + r] = v.y;
        S[(col + 2) * LD + r] = v.z;
        S[(col + 3) * LD + r] = v.w;
    }
}

/* The operands' loads for one K slice: A is stored m x k (tall) or k x m (wide, transposed). */
template <int BK, int TA, int TB>
struct kc_slice {
    enum { CHUNKS = KC_TILE * BK / 4 / KC_THREADS };
    float4 a[CHUNKS];
    float4 b[CHUNKS];

    __device__ __forceinline__ void fetch(const float* A, const float* B, klong m, klong n, klong k,
                                          klong m0, klong n0, klong k0, int tid, int vecA, int vecB) {
#pragma unroll
        for (int q = 0; q < CHUNKS; q++) {
            int c = tid + q * KC_THREADS;
            a[q] = TA ? kc_fetch<BK, 1>(A, k, m, k0, m0, c, vecA) : kc_fetch<BK, 0>(A, m, k, m0, k0, c, vecA);
            b[q] = TB ? kc_fetch<BK, 0>(B, n, k, n0, k0, c, vecB) : kc_fetch<BK, 1>(B, k, n, k0, n0, c, vecB);
        }
    }

    template <int LD, int TF32>
    __device__ __forceinline__ void stash(float* As, float* Bs, int tid) {
#pragma unroll
        for (int q = 0; q < CHUNKS; q++) {
            int c = tid + q * KC_THREADS;
            kc_stash<BK, TA ? 1 : 0, LD, TF32>(As, a[q], c);
            kc_stash<BK, TB ? 0 : 1, LD, TF32>(Bs, b[q], c);
        }
    }
};

/* C[row, col] = alpha·v + beta·C (C not read when beta = 0), as k_gemm's epilogue. */
K_FN void kc_store(float* C, klong ldc, klong m, klong n, klong row, klong col, float v, float alpha, float beta) {
    if (row < m && col < n) {
        float r = alpha * v;
        if (beta != 0.0f) {
            r = r + beta * C[row * ldc + col];
        }
        C[row * ldc + col] = r;
    }
}

/* ---- FP32 ------------------------------------------------------------------------------------- */

#define KC_LD32 (KC_TILE + 4)

template <int TA, int TB>
K_FN void kc_sgemm(const float* A, const float* B, float* C, klong m, klong n, klong k, float alpha, float beta,
                   klong strideA, klong strideB, klong strideC, int vecA, int vecB) {
    __shared__ __align__(16) float As[2][8 * KC_LD32];
    __shared__ __align__(16) float Bs[2][8 * KC_LD32];
    int tid = threadIdx.x;
    int ty = tid >> 4;
    int tx = tid & 15;
    klong batch = blockIdx.z;
    A += batch * strideA;
    B += batch * strideB;
    C += batch * strideC;
    klong m0 = (klong) blockIdx.y * KC_TILE;
    klong n0 = (klong) blockIdx.x * KC_TILE;

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; i++) {
#pragma unroll
        for (int j = 0; j < 8; j++) {
            acc[i][j] = 0.0f;
        }
    }
    kc_slice<8, TA, TB> s;
    s.fetch(A, B, m, n, k, m0, n0, 0, tid, vecA, vecB);
    s.template stash<KC_LD32, 0>(As[0], Bs[0], tid);
    __syncthreads();
    klong slices = (k + 7) / 8;
    for (klong t = 0; t < slices; t++) {
        int cur = (int) (t & 1);
        if (t + 1 < slices) {
            s.fetch(A, B, m, n, k, m0, n0, (t + 1) * 8, tid, vecA, vecB);
        }
        const float* as = As[cur];
        const float* bs = Bs[cur];
#pragma unroll
        for (int kk = 0; kk < 8; kk++) {
            float4 a0 = *(const float4*) &as[kk * KC_LD32 + ty * 4];
            float4 a1 = *(const float4*) &as[kk * KC_LD32 + 64 + ty * 4];
            float4 b0 = *(const float4*) &bs[kk * KC_LD32 + tx * 4];
            float4 b1 = *(const float4*) &bs[kk * KC_LD32 + 64 + tx * 4];
            float ar[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            float br[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++) {
#pragma unroll
                for (int j = 0; j < 8; j++) {
                    acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
                }
            }
        }
        if (t + 1 < slices) {
            s.template stash<KC_LD32, 0>(As[cur ^ 1], Bs[cur ^ 1], tid);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 8; i++) {
        klong row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
#pragma unroll
        for (int j = 0; j < 8; j++) {
            klong col = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
            kc_store(C, n, m, n, row, col, acc[i][j], alpha, beta);
        }
    }
}

#define KC_GEMM_ARGS const float* a, const float* b, float* c, klong m, klong n, klong k, float alpha, float beta, \
        klong strideA, klong strideB, klong strideC, int vecA, int vecB
#define KC_GEMM_PASS a, b, c, m, n, k, alpha, beta, strideA, strideB, strideC, vecA, vecB

/* Grid (ceil(n / 128), ceil(m / 128), batch), blocks of 256. The prototypes cap the registers at
 * 128 so that two blocks share a multiprocessor (one block's barrier then leaves the other's warps
 * to run); the kernel definitions below stay in the plain form the kernel loader lists. */
extern "C" __global__ void __launch_bounds__(KC_THREADS, 2) kc_sgemm_nn(KC_GEMM_ARGS);
extern "C" __global__ void __launch_bounds__(KC_THREADS, 2) kc_sgemm_nt(KC_GEMM_ARGS);
extern "C" __global__ void __launch_bounds__(KC_THREADS, 2) kc_sgemm_tn(KC_GEMM_ARGS);
extern "C" __global__ void __launch_bounds__(KC_THREADS, 2) kc_sgemm_tt(KC_GEMM_ARGS);
__kernel void kc_sgemm_nn(KC_GEMM_ARGS) { kc_sgemm<0, 0>(KC_GEMM_PASS); }
__kernel void kc_sgemm_nt(KC_GEMM_ARGS) { kc_sgemm<0, 1>(KC_GEMM_PASS); }
__kernel void kc_sgemm_tn(KC_GEMM_ARGS) { kc_sgemm<1, 0>(KC_GEMM_PASS); }
__kernel void kc_sgemm_tt(KC_GEMM_ARGS) { kc_sgemm<1, 1>(KC_GEMM_PASS); }

/* ---- TF32 tensor cores -------------------------------------------------------------------------- */

#define KC_LDTF (KC_TILE + 8)

template <int TA, int TB>
K_FN void kc_tf32gemm(const float* A, const float* B, float* C, klong m, klong n, klong k, float alpha, float beta,
                      klong strideA, klong strideB, klong strideC, int vecA, int vecB) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    __shared__ __align__(16) float As[2][16 * KC_LDTF];
    __shared__ __align__(16) float Bs[2][16 * KC_LDTF];
    int tid = threadIdx.x;
    int lane = tid & 31;
    int warp = tid >> 5;
    int wm = warp >> 2; /* 0..1: 64 rows each */
    int wn = warp & 3;  /* 0..3: 32 columns each */
    int g = lane >> 2;
    int tg = lane & 3;
    klong batch = blockIdx.z;
    A += batch * strideA;
    B += batch * strideB;
    C += batch * strideC;
    klong m0 = (klong) blockIdx.y * KC_TILE;
    klong n0 = (klong) blockIdx.x * KC_TILE;

    float acc[4][4][4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                acc[i][j][e] = 0.0f;
            }
        }
    }
    kc_slice<16, TA, TB> s;
    s.fetch(A, B, m, n, k, m0, n0, 0, tid, vecA, vecB);
    s.template stash<KC_LDTF, 1>(As[0], Bs[0], tid);
    __syncthreads();
    klong slices = (k + 15) / 16;
    for (klong t = 0; t < slices; t++) {
        int cur = (int) (t & 1);
        if (t + 1 < slices) {
            s.fetch(A, B, m, n, k, m0, n0, (t + 1) * 16, tid, vecA, vecB);
        }
        const float* as = As[cur];
        const float* bs = Bs[cur];
#pragma unroll
        for (int kb = 0; kb < 16; kb += 8) {
            unsigned af[4][4];
            unsigned bf[4][2];
#pragma unroll
            for (int i = 0; i < 4; i++) {
                int mr = wm * 64 + i * 16 + g;
                af[i][0] = __float_as_uint(as[(kb + tg) * KC_LDTF + mr]);
                af[i][1] = __float_as_uint(as[(kb + tg) * KC_LDTF + mr + 8]);
                af[i][2] = __float_as_uint(as[(kb + tg + 4) * KC_LDTF + mr]);
                af[i][3] = __float_as_uint(as[(kb + tg + 4) * KC_LDTF + mr + 8]);
            }
#pragma unroll
            for (int j = 0; j < 4; j++) {
                int nc = wn * 32 + j * 8 + g;
                bf[j][0] = __float_as_uint(bs[(kb + tg) * KC_LDTF + nc]);
                bf[j][1] = __float_as_uint(bs[(kb + tg + 4) * KC_LDTF + nc]);
            }
#pragma unroll
            for (int i = 0; i < 4; i++) {
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    asm volatile(
                        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                        : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
                        : "r"(af[i][0]), "r"(af[i][1]), "r"(af[i][2]), "r"(af[i][3]), "r"(bf[j][0]), "r"(bf[j][1]));
                }
            }
        }
        if (t + 1 < slices) {
            s.template stash<KC_LDTF, 1>(As[cur ^ 1], Bs[cur ^ 1], tid);
        }
        __syncthreads();
    }
    /* Accumulator e of tile (i, j): row g (+8 for e >= 2), column 2·tg (+1 for odd e). */
#pragma unroll
    for (int i = 0; i < 4; i++) {
#pragma unroll
        for (int j = 0; j < 4; j++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                klong row = m0 + wm * 64 + i * 16 + g + (e >= 2 ? 8 : 0);
                klong col = n0 + wn * 32 + j * 8 + 2 * tg + (e & 1);
                kc_store(C, n, m, n, row, col, acc[i][j][e], alpha, beta);
            }
        }
    }
#else
    /* Built for an architecture without TF32 tensor cores: fail loudly, never leave C untouched. */
    __trap();
#endif
}

/* Grid (ceil(n / 128), ceil(m / 128), batch), blocks of 256; compute capability 8.0 or newer. */
__kernel void kc_tf32gemm_nn(KC_GEMM_ARGS) { kc_tf32gemm<0, 0>(KC_GEMM_PASS); }
__kernel void kc_tf32gemm_nt(KC_GEMM_ARGS) { kc_tf32gemm<0, 1>(KC_GEMM_PASS); }
__kernel void kc_tf32gemm_tn(KC_GEMM_ARGS) { kc_tf32gemm<1, 0>(KC_GEMM_PASS); }
__kernel void kc_tf32gemm_tt(KC_GEMM_ARGS) { kc_tf32gemm<1, 1>(KC_GEMM_PASS); }
