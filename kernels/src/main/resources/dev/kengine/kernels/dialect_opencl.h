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
typedef ushort kushort;
typedef uchar kuchar;
#define K_CLZ(x) clz((kuint)(x))

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
/* Sixteen floats at p, aligned to 4 bytes only: one 512-bit load or store on CPU devices, where PoCL's vstore16
 * stores in three pieces (16 + 16 + 32 bytes), which made a float16 sigmoid kernel a third slower. */
typedef float16 kfloat16_u __attribute__((aligned(4)));
#define K_LOAD16(p) (*(const __global kfloat16_u*) (p))
#define K_STORE16(p, v) (*(__global kfloat16_u*) (p) = (v))
/* The same for sixteen 16-bit and 8-bit elements (bfloat16 bits, byte masks). */
typedef ushort16 kushort16_u __attribute__((aligned(2)));
typedef uchar16 kuchar16_u __attribute__((aligned(1)));
#define K_LOAD16_U16(p) (*(const __global kushort16_u*) (p))
#define K_STORE16_U16(p, v) (*(__global kushort16_u*) (p) = (v))
#define K_LOAD16_U8(p) (*(const __global kuchar16_u*) (p))
#define K_STORE16_U8(p, v) (*(__global kuchar16_u*) (p) = (v))
typedef float4 kfloat4;

/* A kernel only the OpenCL build has (inside #if K_OPENCL, for CPU devices): spelled apart from __kernel so that the
 * kernel lists taken from the text (KernelSource.kernelNames), which the CUDA build checks its modules against, leave
 * it out. */
#define K_OPENCL_KERNEL __kernel

#define K_LOCAL_BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define K_INF INFINITY
#define K_NAN NAN

/* Whether any of sixteen lanes is true: clang's vector reduction where it has one (a single mask test; PoCL's any()
 * tests the lanes one by one), any() elsewhere. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_reduce_or)
#define K_REDUCE_OR 1
#endif
#endif
#ifdef K_REDUCE_OR
#define K_ANY16(c) __builtin_reduce_or(c)
#else
#define K_ANY16(c) any(c)
#endif

#if defined(K_OWN_EXP) && K_OWN_EXP
/* CPU devices (the host sets K_OWN_EXP): the runtime's exp and expm1 are calls that PoCL's vectoriser cannot
 * widen, which left every kernel using them scalar (a plain exp kernel moved 9 GB/s where a copy moves 60). Here
 * they are polynomials in plain arithmetic, the CPU backend's (VectorMath.expNonPositive, expm1ForNonPositive):
 * x = n ln2 + r, a degree-6 polynomial for e^r, then 2^n; faithfully rounded for x <= 0, every caller's case
 * (x - max, -|x|, a log-probability), right for x up to 88.7 and +inf above. Double arguments keep the runtime's. */
#ifdef K_FP64 /* a device without double precision has no double overloads (nor callers of them) */
K_FN __attribute__((overloadable)) double k_exp_any(double x) { return exp(x); }
K_FN __attribute__((overloadable)) double k_expm1_any(double x) { return expm1(x); }
#endif

/* e^r on |r| <= ln2/2 minus 1 and r: c2 + c3 r + ... + c6 r^4, fitted for relative error. */
K_FN float k_exp_poly_q(float r) {
    float q = fma(0.0013791731325909495f, r, 0.008368829265236855f);
    q = fma(q, r, 0.04166880249977112f);
    q = fma(q, r, 0.1666651964187622f);
    return fma(q, r, 0.49999991059303284f);
}

K_FN __attribute__((overloadable)) float k_exp_any(float x) {
    /* Below -104 the result rounds to 0; a NaN compares false and stays NaN. */
    float t = x < -104.0f ? -104.0f : x;
    t = t > 88.72283935546875f ? 88.72283935546875f : t;
    /* 1.5 * 2^23 added rounds t / ln2 to an integer n held in the low mantissa bits. */
    float k = fma(t, 1.44269504088896341f, 12582912.0f);
    float n = k - 12582912.0f;
    float r = fma(n, -0.693145751953125f, t);
    r = fma(n, -1.42860682030941723e-6f, r);
    float p = fma(fma(k_exp_poly_q(r), r, 1.0f), r, 1.0f);
    int biased = as_int(k) - as_int(12582912.0f) + 127;
    /* Where 2^n is not a normal float the scale is 2^(n + 64) and the product is scaled by 2^-64 after. */
    int sub = biased < 1;
    float scale = as_float((sub ? biased + 64 : biased) << 23);
    float e = p * scale * (sub ? 0x1p-64f : 1.0f);
    return x > 88.72283935546875f ? INFINITY : e;
}

K_FN __attribute__((overloadable)) float k_expm1_any(float x) {
    float t = x < -88.0f ? -88.0f : x;
    float k = fma(t, 1.44269504088896341f, 12582912.0f);
    float n = k - 12582912.0f;
    float r = fma(n, -0.693145751953125f, t);
    r = fma(n, -1.42860682030941723e-6f, r);
    float em1 = fma(r * r, k_exp_poly_q(r), r);
    float scale = as_float((as_int(k) - as_int(12582912.0f) + 127) << 23);
    return fma(scale, em1, scale - 1.0f);
}

/* ln(1 + u) for u in [0, 1], every caller's case (u = e^-|x| in softplus and the logistic loss), as the CPU backend
 * computes it (VectorElementwise.log1pUnit): u P(u) / Q(u), relative error 3.8 * 2^-24; NaN passes through. Other
 * arguments are outside the fit: a kernel that needs them must call a different function. */
#ifdef K_FP64
K_FN __attribute__((overloadable)) double k_log1p_unit(double u) { return log1p(u); }
#endif
K_FN __attribute__((overloadable)) float k_log1p_unit(float u) {
    float p = fma(fma(fma(-0.0024244950618594885f, u, 0.04349072277545929f), u, 0.7283927798271179f), u, 1.0f);
    float q = fma(fma(0.324399471282959f, u, 1.2283903360366821f), u, 1.0f);
    return u * p / q;
}

/* 2^-n e^x's polynomial for sixteen lanes, k = x·log2(e) + 1.5·2^23 (n = k's integer): the part k_exp_any and
 * k_exp_core16 share, reduced in two steps of ln 2. */
K_FN float16 k_exp_poly16(float16 k, float16 x) {
    float16 n = k - 12582912.0f;
    float16 r = fma(n, (float16) -0.693145751953125f, x);
    r = fma(n, (float16) -1.42860682030941723e-6f, r);
    float16 q = fma((float16) 0.0013791731325909495f, r, (float16) 0.008368829265236855f);
    q = fma(q, r, (float16) 0.04166880249977112f);
    q = fma(q, r, (float16) 0.1666651964187622f);
    q = fma(q, r, (float16) 0.49999991059303284f);
    return fma(fma(q, r, (float16) 1.0f), r, (float16) 1.0f);
}

/* The same, sixteen lanes at a time, with the same operations in the same order (the same bits as k_exp_any). */
K_FN __attribute__((overloadable)) float16 k_exp_any(float16 x) {
    float16 t = select(x, (float16) -104.0f, x < -104.0f);
    t = select(t, (float16) 88.72283935546875f, t > 88.72283935546875f);
    float16 k = fma(t, (float16) 1.44269504088896341f, (float16) 12582912.0f);
    float16 p = k_exp_poly16(k, t);
    int16 biased = as_int16(k) - as_int(12582912.0f) + 127;
    int16 sub = biased < 1;
    float16 scale = as_float16(select(biased, biased + 64, sub) << 23);
    float16 e = p * scale * select((float16) 1.0f, (float16) 0x1p-64f, sub);
    return select(e, (float16) INFINITY, x > 88.72283935546875f);
}

/* e^x for -87 <= x <= 0 (and NaN), sixteen lanes: k_exp_any without its clamps and its path for results below the
 * normal range, the same bits there. For callers whose other lanes' results are selected away (tanh past its
 * saturation) or that test for the range first (k_exp_nonpos16). */
K_FN float16 k_exp_core16(float16 x) {
    float16 k = fma(x, (float16) 1.44269504088896341f, (float16) 12582912.0f);
    return k_exp_poly16(k, x) * as_float16((as_int16(k) - as_int(12582912.0f) + 127) << 23);
}

/* e^x for x <= 0 (and NaN), the same bits as k_exp_any: the short form unless a lane is below -87, tested with
 * clang's vector reduction (one mask test; PoCL's any() tests the sixteen lanes one by one and cost more than it
 * saves); k_exp_any elsewhere. */
K_FN float16 k_exp_nonpos16(float16 x) {
#ifdef K_REDUCE_OR
    return __builtin_reduce_or(x < -87.0f) ? k_exp_any(x) : k_exp_core16(x);
#else
    return k_exp_any(x);
#endif
}

K_FN __attribute__((overloadable)) float16 k_expm1_any(float16 x) {
    float16 t = select(x, (float16) -88.0f, x < -88.0f);
    float16 k = fma(t, (float16) 1.44269504088896341f, (float16) 12582912.0f);
    float16 n = k - 12582912.0f;
    float16 r = fma(n, (float16) -0.693145751953125f, t);
    r = fma(n, (float16) -1.42860682030941723e-6f, r);
    float16 q = fma((float16) 0.0013791731325909495f, r, (float16) 0.008368829265236855f);
    q = fma(q, r, (float16) 0.04166880249977112f);
    q = fma(q, r, (float16) 0.1666651964187622f);
    q = fma(q, r, (float16) 0.49999991059303284f);
    float16 em1 = fma(r * r, q, r);
    float16 scale = as_float16((as_int16(k) - as_int(12582912.0f) + 127) << 23);
    return fma(scale, em1, scale - 1.0f);
}

K_FN __attribute__((overloadable)) float16 k_log1p_unit(float16 u) {
    float16 p = fma(fma(fma((float16) -0.0024244950618594885f, u, (float16) 0.04349072277545929f), u,
            (float16) 0.7283927798271179f), u, (float16) 1.0f);
    float16 q = fma(fma((float16) 0.324399471282959f, u, (float16) 1.2283903360366821f), u, (float16) 1.0f);
    return u * p / q;
}

#define exp(x) k_exp_any(x)
#define expm1(x) k_expm1_any(x)
#define log1p(x) k_log1p_unit(x)
#endif
