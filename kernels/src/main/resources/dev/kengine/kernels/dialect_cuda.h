/* dialect_cuda.h: lets the OpenCL C kernel text compile as CUDA C++ (nvcc).
 * Only the __-prefixed OpenCL qualifiers are redefined. Defining the unprefixed forms (global,
 * local, kernel) would also rewrite ordinary identifiers and, worse, can silently turn kernels
 * into host functions; so the kernel text always writes __kernel, __global, __local. */
#define K_CUDA 1

#define __kernel extern "C" __global__
#define __global
#define __local __shared__
#define __private
#define __constant const

typedef unsigned int kuint;
typedef int kint;
typedef unsigned long long kulong;
typedef long long klong;
typedef unsigned short kushort;
typedef unsigned char kuchar;
#define K_CLZ(x) __clz((int)(x))

/* C++ inline: unused helpers neither warn nor clash. */
#define K_FN __device__ __forceinline__
#define K_LPTR
#define K_GPTR

#define K_FP64 1

/* Work-item built-ins. OpenCL returns size_t; CUDA's are unsigned int, widened here. */
__device__ __forceinline__ size_t k_dim3_get(dim3 v, unsigned d) { return d == 0 ? v.x : (d == 1 ? v.y : v.z); }
__device__ __forceinline__ size_t k_uint3_get(uint3 v, unsigned d) { return d == 0 ? v.x : (d == 1 ? v.y : v.z); }
#define get_local_id(d) k_uint3_get(threadIdx, (d))
#define get_group_id(d) k_uint3_get(blockIdx, (d))
#define get_local_size(d) k_dim3_get(blockDim, (d))
#define get_num_groups(d) k_dim3_get(gridDim, (d))
#define get_global_id(d) (get_group_id(d) * get_local_size(d) + get_local_id(d))
#define get_global_size(d) (get_num_groups(d) * get_local_size(d))

#define CLK_LOCAL_MEM_FENCE 1
#define CLK_GLOBAL_MEM_FENCE 2
#define barrier(flags) __syncthreads()

#define K_MULHI(a, b) __umulhi((kuint)(a), (kuint)(b))
#define K_FMA(a, b, c) fmaf((a), (b), (c))

/* The random-number code must not be contracted into FMA; the intrinsics below are never fused,
 * whatever -fmad says. */
#define K_DADD(a, b) __dadd_rn((a), (b))
#define K_DSUB(a, b) __dadd_rn((a), -(b))
#define K_DMUL(a, b) __dmul_rn((a), (b))
#define K_DDIV(a, b) __ddiv_rn((a), (b))
#define K_DSQRT(a) __dsqrt_rn(a)
#define K_D2F(a) __double2float_rn(a)

#define K_AS_UINT(f) __float_as_uint(f)
#define K_AS_FLOAT(u) __uint_as_float(u)
#define K_AS_LONG(d) __double_as_longlong(d)
#define K_AS_DOUBLE(l) __longlong_as_double(l)

typedef float4 kfloat4;
/* OpenCL's vload4 needs only element alignment; so does this. */
__device__ __forceinline__ float4 k_vload4(const float* p) { return make_float4(p[0], p[1], p[2], p[3]); }
#define K_VLOAD4(p) k_vload4(p)

#define K_LOCAL_BARRIER() __syncthreads()
#define K_INF __int_as_float(0x7f800000)
#define K_NAN __int_as_float(0x7fffffff)

#define convert_float_rte(x) __double2float_rn(x)
