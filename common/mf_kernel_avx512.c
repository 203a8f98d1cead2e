/*  mf_kernel_avx512: the kernel of mf_kernel_simd.h on 8 doubles per
    vector, with AVX-512F/DQ. Built with -mavx512f -mavx512dq -mfma (see
    the Makefile) and called only when the CPU says it has them, so one
    binary runs everywhere. Only on x86; elsewhere this file is empty.
*/
#include "mf_kernel.h"
#include "mf_mu.h"

#if defined (__x86_64__) || defined (__i386__)

#include <immintrin.h>

#define SIMD_W 8                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 8                        //  vectors in flight: FMA latency 4 x two FMA pipes, and some slack
#endif
#define SIMD_CAPTURE_ALWAYS 1                 //  merge-masked captures cost next to nothing
#ifndef SIMD_K
#define SIMD_K 64                       //  iterations per block (fewer tests, longer replays)
#endif

typedef __m512d vd;
typedef __mmask8 vm;

static inline vd vset1 (double a) { return _mm512_set1_pd (a); }
static inline vd vload (const double *p) { return _mm512_load_pd (p); }
static inline void vstore (double *p, vd a) { _mm512_store_pd (p, a); }
static inline vd vadd (vd a, vd b) { return _mm512_add_pd (a, b); }
static inline vd vsub (vd a, vd b) { return _mm512_sub_pd (a, b); }
static inline vd vmul (vd a, vd b) { return _mm512_mul_pd (a, b); }
static inline vd vdiv (vd a, vd b) { return _mm512_div_pd (a, b); }
static inline vd vfma (vd a, vd b, vd c) { return _mm512_fmadd_pd (a, b, c); }
static inline vd vsel (vm m, vd a, vd b) { return _mm512_mask_blend_pd (m, b, a); }
static inline vd vinc (vm m, vd n) { return _mm512_mask_add_pd (n, m, n, _mm512_set1_pd (1.0)); }
static inline vm vesc (vd mag) { return _mm512_cmp_pd_mask (mag, _mm512_set1_pd (MF_BAILOUT_SQ), _CMP_NLE_UQ); }
static inline vm vsame (vd a, vd b)
{
    return _mm512_cmpeq_epi64_mask (_mm512_castpd_si512 (a), _mm512_castpd_si512 (b));
}
static inline vm vge (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_GE_OQ); }
static inline vm vgt (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_NLE_UQ); }
static inline vm vlt (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_LT_OQ); }
static inline vm vfinite (vd a)
{
    //  |a| <= DBL_MAX is false for infinities and NaN.
    vd abs = _mm512_abs_pd (a);
    return _mm512_cmp_pd_mask (abs, _mm512_set1_pd (1.7976931348623157e308), _CMP_LE_OQ);
}
static inline vm vand (vm a, vm b) { return (vm) (a & b); }
static inline vm vor (vm a, vm b) { return (vm) (a | b); }
static inline vm vandnot (vm a, vm b) { return (vm) (a & ~b); }
static inline vm vmall (void) { return (vm) 0xff; }
static inline vm vmask (unsigned bits) { return (vm) bits; }
static inline unsigned vbits (vm m) { return m; }
static inline vd vfrexp (vd x, vd *e)
{
    //  getexp gives floor(log2 x), one less than frexp's exponent; getmant
    //  with the [0.5, 1) interval is frexp's mantissa. Both exact.
    *e = _mm512_add_pd (_mm512_getexp_pd (x), _mm512_set1_pd (1.0));
    return _mm512_getmant_pd (x, _MM_MANT_NORM_p5_1, _MM_MANT_SIGN_src);
}
static inline void vtofloat (vd a, float *out)
{
    _mm256_storeu_ps (out, _mm512_cvtpd_ps (a));
}

#include "mf_kernel_simd.h"

int
mf_kernel_avx512_supported (void)
{
    __builtin_cpu_init ();
    return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512dq")
        && __builtin_cpu_supports ("fma");
}

uint64_t
mf_kernel_avx512 (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    return s_kernel (task, mu, stop);
}

#endif
