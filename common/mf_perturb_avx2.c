/*  mf_perturb_avx2: the kernel of mf_perturb_simd.h on 4 doubles per
    vector, with AVX2 and FMA. Built with -mavx2 -mfma (see the Makefile)
    and called only when the CPU says it has them. Only on x86; elsewhere
    this file is empty.
*/
#include "mf_mu.h"
#include "mf_perturb.h"

#if defined (__x86_64__) || defined (__i386__)

#include <immintrin.h>

#define SIMD_W 4                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 2                        //  vectors in flight
#endif

typedef __m256d vd;
typedef __m256d vm;                     //  all ones or all zeros per lane

#define S_MAGIC 4503599627370496.0      //  2^52: integers below it sit in the low bits

static inline vd vset1 (double a) { return _mm256_set1_pd (a); }
static inline vd vload (const double *p) { return _mm256_load_pd (p); }
static inline void vstore (double *p, vd a) { _mm256_store_pd (p, a); }
static inline vd vadd (vd a, vd b) { return _mm256_add_pd (a, b); }
static inline vd vsub (vd a, vd b) { return _mm256_sub_pd (a, b); }
static inline vd vmul (vd a, vd b) { return _mm256_mul_pd (a, b); }
static inline vd vfma (vd a, vd b, vd c) { return _mm256_fmadd_pd (a, b, c); }
static inline vd vfnma (vd a, vd b, vd c) { return _mm256_fnmadd_pd (a, b, c); }
static inline vd vabs (vd a) { return _mm256_andnot_pd (_mm256_set1_pd (-0.0), a); }
static inline vd vmax (vd a, vd b) { return _mm256_max_pd (a, b); }
static inline vd vsel (vm m, vd a, vd b) { return _mm256_blendv_pd (b, a, m); }
static inline vm vesc (vd mag) { return _mm256_cmp_pd (mag, _mm256_set1_pd (MF_BAILOUT_SQ), _CMP_NLE_UQ); }
static inline vm vlt (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_LT_OQ); }
static inline vm vge (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_GE_OQ); }
static inline vm veq (vd a, vd b) { return _mm256_cmp_pd (a, b, _CMP_EQ_OQ); }
static inline vm vand (vm a, vm b) { return _mm256_and_pd (a, b); }
static inline vm vor (vm a, vm b) { return _mm256_or_pd (a, b); }
static inline vm vandnot (vm a, vm b) { return _mm256_andnot_pd (b, a); }
static inline unsigned vbits (vm m) { return (unsigned) _mm256_movemask_pd (m); }
static inline vm vmask (unsigned bits)
{
    __m256i lanes = _mm256_setr_epi64x (1, 2, 4, 8);
    __m256i set = _mm256_and_si256 (_mm256_set1_epi64x (bits), lanes);
    return _mm256_castsi256_pd (_mm256_cmpeq_epi64 (set, lanes));
}
static inline vd vpow2 (vd k)
{
    //  2^52 + 1023 + k holds 1023 + k in its low bits: shifted into the
    //  exponent field, the rest shifts out.
    __m256i bits = _mm256_castpd_si256 (_mm256_add_pd (k, _mm256_set1_pd (S_MAGIC + 1023.0)));
    return _mm256_castsi256_pd (_mm256_slli_epi64 (bits, 52));
}
static inline vd vilogb (vd x)
{
    //  The exponent field, as 2^52 + field, minus 2^52 + 1023: exact.
    __m256i field = _mm256_srli_epi64 (_mm256_castpd_si256 (x), 52);
    vd biased = _mm256_castsi256_pd (_mm256_or_si256 (field,
                                     _mm256_castpd_si256 (_mm256_set1_pd (S_MAGIC))));
    return _mm256_sub_pd (biased, _mm256_set1_pd (S_MAGIC + 1023.0));
}
//  Integral doubles below 2^52 as int64 lanes: added to 2^52 they sit in
//  the low bits.
static inline __m256i
s_index (vd i)
{
    return _mm256_sub_epi64 (_mm256_castpd_si256 (_mm256_add_pd (i, _mm256_set1_pd (S_MAGIC))),
                             _mm256_castpd_si256 (_mm256_set1_pd (S_MAGIC)));
}
static inline vd vgather (const double *p, vd i)
{
    //  Four loads: this CPU family's hardware gathers are slow.
    __m256i index = s_index (i);
    __m128i lo = _mm256_castsi256_si128 (index), hi = _mm256_extracti128_si256 (index, 1);
    __m128d a = _mm_loadh_pd (_mm_load_sd (p + _mm_cvtsi128_si64 (lo)), p + _mm_extract_epi64 (lo, 1));
    __m128d b = _mm_loadh_pd (_mm_load_sd (p + _mm_cvtsi128_si64 (hi)), p + _mm_extract_epi64 (hi, 1));
    return _mm256_insertf128_pd (_mm256_castpd128_pd256 (a), b, 1);
}
static inline void vgather4 (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    //  One aligned load of 4 doubles per lane, then a 4x4 transpose.
    __m256i index = s_index (i);
    __m128i lo = _mm256_castsi256_si128 (index), hi = _mm256_extracti128_si256 (index, 1);
    vd r0 = _mm256_load_pd (p + _mm_cvtsi128_si64 (lo));
    vd r1 = _mm256_load_pd (p + _mm_extract_epi64 (lo, 1));
    vd r2 = _mm256_load_pd (p + _mm_cvtsi128_si64 (hi));
    vd r3 = _mm256_load_pd (p + _mm_extract_epi64 (hi, 1));
    vd t0 = _mm256_unpacklo_pd (r0, r1), t1 = _mm256_unpackhi_pd (r0, r1);
    vd t2 = _mm256_unpacklo_pd (r2, r3), t3 = _mm256_unpackhi_pd (r2, r3);
    *a = _mm256_permute2f128_pd (t0, t2, 0x20);
    *b = _mm256_permute2f128_pd (t1, t3, 0x20);
    *c = _mm256_permute2f128_pd (t0, t2, 0x31);
    *d = _mm256_permute2f128_pd (t1, t3, 0x31);
}

#ifndef SIMD_LANE_POINTERS                //  (0 runs the index path of AVX-512 here, to test it)
#define SIMD_LANE_POINTERS 1
#endif
static inline void vload4p (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    vd r0 = _mm256_load_pd (p [0]), r1 = _mm256_load_pd (p [1]);
    vd r2 = _mm256_load_pd (p [2]), r3 = _mm256_load_pd (p [3]);
    vd t0 = _mm256_unpacklo_pd (r0, r1), t1 = _mm256_unpackhi_pd (r0, r1);
    vd t2 = _mm256_unpacklo_pd (r2, r3), t3 = _mm256_unpackhi_pd (r2, r3);
    *a = _mm256_permute2f128_pd (t0, t2, 0x20);
    *b = _mm256_permute2f128_pd (t1, t3, 0x20);
    *c = _mm256_permute2f128_pd (t0, t2, 0x31);
    *d = _mm256_permute2f128_pd (t1, t3, 0x31);
}
static inline void vload4pu (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    vd r0 = _mm256_loadu_pd (p [0]), r1 = _mm256_loadu_pd (p [1]);
    vd r2 = _mm256_loadu_pd (p [2]), r3 = _mm256_loadu_pd (p [3]);
    vd t0 = _mm256_unpacklo_pd (r0, r1), t1 = _mm256_unpackhi_pd (r0, r1);
    vd t2 = _mm256_unpacklo_pd (r2, r3), t3 = _mm256_unpackhi_pd (r2, r3);
    *a = _mm256_permute2f128_pd (t0, t2, 0x20);
    *b = _mm256_permute2f128_pd (t1, t3, 0x20);
    *c = _mm256_permute2f128_pd (t0, t2, 0x31);
    *d = _mm256_permute2f128_pd (t1, t3, 0x31);
}
static inline vd vloadu (const double *p) { return _mm256_loadu_pd (p); }
static inline void vloadu2 (const double *p, vd *a, vd *b)
{
    //  (p0 p1 p2 p3), (p4 p5 p6 p7) -> (p0 p4 p2 p6), (p1 p5 p3 p7) -> reordered.
    vd lo = _mm256_loadu_pd (p), hi = _mm256_loadu_pd (p + 4);
    *a = _mm256_permute4x64_pd (_mm256_unpacklo_pd (lo, hi), 0xd8);
    *b = _mm256_permute4x64_pd (_mm256_unpackhi_pd (lo, hi), 0xd8);
}
static inline vd vpow2_bytes (uint64_t b)
{
    //  Byte l of b, plus the bias, shifted into lane l's exponent field.
    __m256i k = _mm256_srlv_epi64 (_mm256_set1_epi64x ((long long) b), _mm256_setr_epi64x (0, 8, 16, 24));
    k = _mm256_add_epi64 (_mm256_and_si256 (k, _mm256_set1_epi64x (0xff)), _mm256_set1_epi64x (1023));
    return _mm256_castsi256_pd (_mm256_slli_epi64 (k, 52));
}
static inline void vgather4u (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    //  As vgather4, unaligned.
    __m256i index = s_index (i);
    __m128i lo = _mm256_castsi256_si128 (index), hi = _mm256_extracti128_si256 (index, 1);
    vd r0 = _mm256_loadu_pd (p + _mm_cvtsi128_si64 (lo));
    vd r1 = _mm256_loadu_pd (p + _mm_extract_epi64 (lo, 1));
    vd r2 = _mm256_loadu_pd (p + _mm_cvtsi128_si64 (hi));
    vd r3 = _mm256_loadu_pd (p + _mm_extract_epi64 (hi, 1));
    vd t0 = _mm256_unpacklo_pd (r0, r1), t1 = _mm256_unpackhi_pd (r0, r1);
    vd t2 = _mm256_unpacklo_pd (r2, r3), t3 = _mm256_unpackhi_pd (r2, r3);
    *a = _mm256_permute2f128_pd (t0, t2, 0x20);
    *b = _mm256_permute2f128_pd (t1, t3, 0x20);
    *c = _mm256_permute2f128_pd (t0, t2, 0x31);
    *d = _mm256_permute2f128_pd (t1, t3, 0x31);
}

#include "mf_perturb_simd.h"

int
mf_perturb_avx2 (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    return s_kernel (task, mu, stats);
}

#endif
