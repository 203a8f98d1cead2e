/*  mf_perturb_avx512: the kernel of mf_perturb_simd.h on 8 doubles per
    vector, with AVX-512F/DQ. Built with -mavx512f -mavx512dq -mfma (see
    the Makefile) and called only when the CPU says it has them. Only on
    x86; elsewhere this file is empty.
*/
#include "mf_mu.h"
#include "mf_perturb.h"

#if defined (__x86_64__) || defined (__i386__)

#include <immintrin.h>

#define SIMD_W 8                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 4                        //  vectors in flight
#endif

typedef __m512d vd;
typedef __mmask8 vm;

static inline vd vset1 (double a) { return _mm512_set1_pd (a); }
static inline vd vload (const double *p) { return _mm512_load_pd (p); }
static inline void vstore (double *p, vd a) { _mm512_store_pd (p, a); }
static inline vd vadd (vd a, vd b) { return _mm512_add_pd (a, b); }
static inline vd vsub (vd a, vd b) { return _mm512_sub_pd (a, b); }
static inline vd vmul (vd a, vd b) { return _mm512_mul_pd (a, b); }
static inline vd vfma (vd a, vd b, vd c) { return _mm512_fmadd_pd (a, b, c); }
static inline vd vfnma (vd a, vd b, vd c) { return _mm512_fnmadd_pd (a, b, c); }
static inline vd vabs (vd a) { return _mm512_abs_pd (a); }
static inline vd vmax (vd a, vd b) { return _mm512_max_pd (a, b); }
static inline vd vsel (vm m, vd a, vd b) { return _mm512_mask_blend_pd (m, b, a); }
static inline vm vesc (vd mag) { return _mm512_cmp_pd_mask (mag, _mm512_set1_pd (MF_BAILOUT_SQ), _CMP_NLE_UQ); }
static inline vm vlt (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_LT_OQ); }
static inline vm vge (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_GE_OQ); }
static inline vm veq (vd a, vd b) { return _mm512_cmp_pd_mask (a, b, _CMP_EQ_OQ); }
static inline vm vand (vm a, vm b) { return (vm) (a & b); }
static inline vm vor (vm a, vm b) { return (vm) (a | b); }
static inline vm vandnot (vm a, vm b) { return (vm) (a & ~b); }
static inline unsigned vbits (vm m) { return m; }
static inline vm vmask (unsigned bits) { return (vm) bits; }
static inline vd vpow2 (vd k)
{
    //  As on AVX2: 1023 + k shifted into the exponent field.
    __m512i bits = _mm512_castpd_si512 (_mm512_add_pd (k, _mm512_set1_pd (4503599627370496.0 + 1023.0)));
    return _mm512_castsi512_pd (_mm512_slli_epi64 (bits, 52));
}
static inline vd vilogb (vd x) { return _mm512_getexp_pd (x); }
static inline vd vgather (const double *p, vd i)
{
    return _mm512_i64gather_pd (_mm512_cvttpd_epi64 (i), p, 8);
}
static inline void vgather4 (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    __m512i index = _mm512_cvttpd_epi64 (i);
    *a = _mm512_i64gather_pd (index, p, 8);
    *b = _mm512_i64gather_pd (index, p + 1, 8);
    *c = _mm512_i64gather_pd (index, p + 2, 8);
    *d = _mm512_i64gather_pd (index, p + 3, 8);
}

#define SIMD_LANE_POINTERS 0             //  8 pointers a vector: gathers by index instead
static inline void vgather4u (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    vgather4 (p, i, a, b, c, d);        //  gathers need no alignment
}

#include "mf_perturb_simd.h"

int
mf_perturb_avx512 (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    return s_kernel (task, mu, stats);
}

#endif
