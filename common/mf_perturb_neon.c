/*  mf_perturb_neon: the kernel of mf_perturb_simd.h on 2 doubles per
    vector, with AArch64 Advanced SIMD (NEON), as mf_kernel_neon.c is the
    shallow kernel's. Every AArch64 CPU has it, so the file needs no
    flags of its own; the registry asks the shallow one (HWCAP_ASIMD).
    Only on aarch64; elsewhere this file is empty.

    Each operation of the layer is one instruction, or an exact sequence,
    that rounds as the scalar variant's C does: vfmaq_f64 and vfmsq_f64
    (FMLA, FMLS) only where the template spells vfma and vfnma (fms (c,
    a, b) is fma (-a, b, c): negation is exact), every other product and
    sum rounded on its own (the tree is built with -ffp-contract=off, see
    mf_kernel_neon.c). vmax is a compare and a select, not FMAX, so that
    equal operands give the second, as the scalar `a > b? a: b` does.
    Integer views of doubles (vpow2, vilogb, the gathers' indexes) are
    exact: the values are integral and far below 2^52. SIMD_V is reasoned
    from the register file, not measured (no aarch64 machine at hand).
*/
#include "mf_mu.h"
#include "mf_perturb.h"

#if defined (__aarch64__)

#include <arm_neon.h>

#define SIMD_W 2                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 4                        //  vectors in flight (32 registers; the step's
                                        //  state is 3 to 6 vectors)
#endif

typedef float64x2_t vd;
typedef uint64x2_t vm;                  //  all ones or all zeros per lane

static inline vd vset1 (double a) { return vdupq_n_f64 (a); }
static inline vd vload (const double *p) { return vld1q_f64 (p); }
static inline void vstore (double *p, vd a) { vst1q_f64 (p, a); }
static inline vd vadd (vd a, vd b) { return vaddq_f64 (a, b); }
static inline vd vsub (vd a, vd b) { return vsubq_f64 (a, b); }
static inline vd vmul (vd a, vd b) { return vmulq_f64 (a, b); }
//  a * b + c, rounded once: FMLA takes the addend first.
static inline vd vfma (vd a, vd b, vd c) { return vfmaq_f64 (c, a, b); }
//  c - a * b, rounded once: fma (-a, b, c).
static inline vd vfnma (vd a, vd b, vd c) { return vfmsq_f64 (c, a, b); }
static inline vd vabs (vd a) { return vabsq_f64 (a); }
static inline vd vsel (vm m, vd a, vd b) { return vbslq_f64 (m, a, b); }
static inline vd vmax (vd a, vd b) { return vsel (vcgtq_f64 (a, b), a, b); }
static inline vm vnot (vm m)
{
    return vreinterpretq_u64_u32 (vmvnq_u32 (vreinterpretq_u32_u64 (m)));
}
//  !(mag <= 65536): FCMLE is false for NaN, so its complement counts a
//  NaN as escaped, as the reference does.
static inline vm vesc (vd mag) { return vnot (vcleq_f64 (mag, vdupq_n_f64 (MF_BAILOUT_SQ))); }
//  Ordered comparisons: false where either side is NaN.
static inline vm vlt (vd a, vd b) { return vcltq_f64 (a, b); }
static inline vm vge (vd a, vd b) { return vcgeq_f64 (a, b); }
static inline vm veq (vd a, vd b) { return vceqq_f64 (a, b); }
static inline vm vand (vm a, vm b) { return vandq_u64 (a, b); }
static inline vm vor (vm a, vm b) { return vorrq_u64 (a, b); }
static inline vm vandnot (vm a, vm b) { return vbicq_u64 (a, b); }
static inline unsigned vbits (vm m)
{
    const uint64_t lanes [2] = { 1, 2 };
    return (unsigned) vaddvq_u64 (vandq_u64 (m, vld1q_u64 (lanes)));
}
static inline vm vmask (unsigned bits)
{
    const uint64_t lanes [2] = { 1, 2 };
    return vtstq_u64 (vdupq_n_u64 (bits), vld1q_u64 (lanes));
}
static inline vd vpow2 (vd k)
{
    //  1023 + k, an integer in [1, 2046], shifted into the exponent field.
    int64x2_t field = vaddq_s64 (vcvtq_s64_f64 (k), vdupq_n_s64 (1023));
    return vreinterpretq_f64_s64 (vshlq_n_s64 (field, 52));
}
static inline vd vilogb (vd x)
{
    //  The exponent field (x is positive: no sign bit) less the bias.
    uint64x2_t field = vshrq_n_u64 (vreinterpretq_u64_f64 (x), 52);
    return vsubq_f64 (vcvtq_f64_u64 (field), vdupq_n_f64 (1023.0));
}
static inline vd vgather (const double *p, vd i)
{
    int64x2_t index = vcvtq_s64_f64 (i);
    vd a = vld1q_dup_f64 (p + vgetq_lane_s64 (index, 0));
    return vld1q_lane_f64 (p + vgetq_lane_s64 (index, 1), a, 1);
}

#define SIMD_LANE_POINTERS 1
static inline void vload4p (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    //  Two rows of 4: (a0 b0), (c0 d0) and (a1 b1), (c1 d1), zipped.
    vd r0 = vld1q_f64 (p [0]), s0 = vld1q_f64 (p [0] + 2);
    vd r1 = vld1q_f64 (p [1]), s1 = vld1q_f64 (p [1] + 2);
    *a = vzip1q_f64 (r0, r1);
    *b = vzip2q_f64 (r0, r1);
    *c = vzip1q_f64 (s0, s1);
    *d = vzip2q_f64 (s0, s1);
}
static inline void vload4pu (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    vload4p (p, a, b, c, d);            //  NEON loads need no alignment
}
static inline void vgather4 (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    int64x2_t index = vcvtq_s64_f64 (i);
    const double *rows [2] = { p + vgetq_lane_s64 (index, 0), p + vgetq_lane_s64 (index, 1) };
    vload4p (rows, a, b, c, d);
}
static inline void vgather4u (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    vgather4 (p, i, a, b, c, d);
}
static inline vd vloadu (const double *p) { return vld1q_f64 (p); }
static inline void vloadu2 (const double *p, vd *a, vd *b)
{
    //  LD2 deinterleaves: (p0 p2), (p1 p3).
    float64x2x2_t pair = vld2q_f64 (p);
    *a = pair.val [0];
    *b = pair.val [1];
}
static inline vd vpow2_bytes (uint64_t b)
{
    //  Byte l of b, plus the bias, shifted into lane l's exponent field.
    const int64_t shifts [2] = { 0, -8 };
    uint64x2_t k = vshlq_u64 (vdupq_n_u64 (b), vld1q_s64 (shifts));
    k = vaddq_u64 (vandq_u64 (k, vdupq_n_u64 (0xff)), vdupq_n_u64 (1023));
    return vreinterpretq_f64_u64 (vshlq_n_u64 (k, 52));
}

#include "mf_perturb_simd.h"

int
mf_perturb_neon (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    return s_kernel (task, mu, stats);
}

#endif
