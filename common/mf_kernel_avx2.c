/*  mf_kernel_avx2: the kernel of mf_kernel_simd.h on 4 doubles per
    vector, with AVX2 and FMA. Built with -mavx2 -mfma (see the Makefile)
    and called only when the CPU says it has them. Only on x86; elsewhere
    this file is empty.
*/
#include "mf_kernel.h"
#include "mf_mu.h"

#if defined (__x86_64__) || defined (__i386__)

#include <immintrin.h>

#define SIMD_W 4                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 6                        //  vectors in flight (16 registers: more would spill)
#endif
#define SIMD_CAPTURE_ALWAYS 0                 //  captures behind a branch (see S_EXACT_STEP)
#define PENDING_NUM 1                   //  escaped lanes wait for their replay until
#define PENDING_DEN 2                   //  half the (fewer) lanes do: measured best
#ifndef SIMD_K
#define SIMD_K 32                       //  iterations per block (fewer tests, longer replays)
#endif

typedef __m256d vd;
typedef __m256d vm;                     //  all ones or all zeros per lane

static inline vd vset1 (double a) { return _mm256_set1_pd (a); }
static inline vd vload (const double *p) { return _mm256_load_pd (p); }
static inline void vstore (double *p, vd a) { _mm256_store_pd (p, a); }
static inline vd vadd (vd a, vd b) { return _mm256_add_pd (a, b); }
static inline vd vsub (vd a, vd b) { return _mm256_sub_pd (a, b); }
static inline vd vmul (vd a, vd b) { return _mm256_mul_pd (a, b); }
static inline vd vdiv (vd a, vd b) { return _mm256_div_pd (a, b); }
static inline vd vfma (vd a, vd b, vd c) { return _mm256_fmadd_pd (a, b, c); }
static inline vd vsel (vm m, vd a, vd b) { return _mm256_blendv_pd (b, a, m); }
static inline vm vesc (vd mag) { return _mm256_cmp_pd (mag, _mm256_set1_pd (MF_BAILOUT_SQ), _CMP_NLE_UQ); }
static inline vm vsame (vd a, vd b)
{
    return _mm256_castsi256_pd (_mm256_cmpeq_epi64 (_mm256_castpd_si256 (a),
                                                    _mm256_castpd_si256 (b)));
}
static inline vm vge (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_GE_OQ); }
static inline vm vgt (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_GT_OQ); }
static inline vm vlt (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_LT_OQ); }
static inline vm vfinite (vd a)
{
    //  |a| <= DBL_MAX is false for infinities and NaN.
    vd abs = _mm256_andnot_pd (_mm256_set1_pd (-0.0), a);
    return _mm256_cmp_pd (abs, _mm256_set1_pd (1.7976931348623157e308), _CMP_LE_OQ);
}
static inline vm vand (vm a, vm b) { return _mm256_and_pd (a, b); }
static inline vm vor (vm a, vm b) { return _mm256_or_pd (a, b); }
static inline vm vandnot (vm a, vm b) { return _mm256_andnot_pd (b, a); }
static inline vm vmall (void) { return _mm256_castsi256_pd (_mm256_set1_epi64x (-1)); }
static inline vm vmask (unsigned bits)
{
    __m256i lanes = _mm256_setr_epi64x (1, 2, 4, 8);
    __m256i set = _mm256_and_si256 (_mm256_set1_epi64x (bits), lanes);
    return _mm256_castsi256_pd (_mm256_cmpeq_epi64 (set, lanes));
}
static inline unsigned vbits (vm m) { return (unsigned) _mm256_movemask_pd (m); }
static inline vd vfrexp (vd x, vd *e)
{
    //  For a positive normal x: the biased exponent field is frexp's
    //  exponent + 1022, and the mantissa with exponent field 1022 (2^-1)
    //  is frexp's mantissa. 2^52 + field, as a double, is exact.
    __m256i bits = _mm256_castpd_si256 (x);
    __m256i field = _mm256_srli_epi64 (bits, 52);
    vd biased = _mm256_castsi256_pd (_mm256_or_si256 (field,
                                     _mm256_set1_epi64x (0x4330000000000000LL)));
    *e = _mm256_sub_pd (biased, _mm256_set1_pd (4503599627370496.0 + 1022.0));
    __m256i mant = _mm256_and_si256 (bits, _mm256_set1_epi64x (0x000fffffffffffffLL));
    return _mm256_castsi256_pd (_mm256_or_si256 (mant,
                                _mm256_set1_epi64x (0x3fe0000000000000LL)));
}
static inline void vtofloat (vd a, float *out)
{
    _mm_storeu_ps (out, _mm256_cvtpd_ps (a));
}

#include "mf_kernel_simd.h"

int
mf_kernel_avx2_supported (void)
{
    __builtin_cpu_init ();
    return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
}

uint64_t
mf_kernel_avx2 (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    return s_kernel (task, mu, stop);
}

#endif
