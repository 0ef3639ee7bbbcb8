/* dialect_opencl.h: the OpenCL C 1.2 side of the kernel vocabulary.
 * The kernel text is written in OpenCL C; this preamble only names the few things the CUDA
 * dialect has to spell differently (integer widths, helper-function qualifiers, exact double
 * arithmetic, bit casts, pointers to local memory). */
#define K_OPENCL 1

/* Contraction into FMA would change the bits of the counter-based random numbers; the engine's
 * RNG spec forbids it. Kernels that want FMA (matmul) ask for it explicitly with K_FMA. */
#pragma OPENCL FP_CONTRACT OFF

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#define K_FP64 1
#endif

typedef uint kuint;
typedef int kint;
typedef ulong kulong;
typedef long klong;

/* Helper functions: static so a program may include the same helper in several kernels. */
#define K_FN static inline
/* A pointer parameter into work-group local memory. */
#define K_LPTR __local
#define K_GPTR __global

#define K_MULHI(a, b) mul_hi((kuint)(a), (kuint)(b))
#define K_FMA(a, b, c) fma((a), (b), (c))

/* Exact, individually rounded double arithmetic (contraction is off above). */
#define K_DADD(a, b) ((a) + (b))
#define K_DSUB(a, b) ((a) - (b))
#define K_DMUL(a, b) ((a) * (b))
#define K_DDIV(a, b) ((a) / (b))
#define K_DSQRT(a) sqrt(a)
#define K_D2F(a) convert_float_rte(a)

#define K_AS_UINT(f) as_uint(f)
#define K_AS_FLOAT(u) as_float(u)
#define K_AS_LONG(d) as_long(d)
#define K_AS_DOUBLE(l) as_double(l)

#define K_VLOAD4(p) vload4(0, (p))
typedef float4 kfloat4;

#define K_LOCAL_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define K_INF INFINITY
#define K_NAN NAN
