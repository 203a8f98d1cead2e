/*  mf_kernel_neon: the kernel of mf_kernel_simd.h on 2 doubles per
    vector, with AArch64 Advanced SIMD (NEON). Every AArch64 CPU has it,
    so the file needs no flags of its own; the registry still asks the
    kernel (HWCAP_ASIMD) rather than assume. Only on aarch64; elsewhere
    this file is empty.

    SIMD_V and SIMD_K are reasoned from the register file and the FMA
    latency, not measured: no aarch64 machine was at hand, and qemu says
    nothing about speed. `make bench-kernel` on one would.

    The layer maps the template's operations one to one onto single
    instructions that round as IEEE says: vfmaq_f64 (FMLA) only where the
    template spells vfma, every other product and sum rounded on its own.
    That holds because the whole tree is built with -ffp-contract=off:
    GCC's arm_neon.h writes vmulq_f64 and vaddq_f64 as plain C vector
    arithmetic, which a contracting build would be free to fuse into an
    FMLA the reference does not have. (make check-aarch64 compares the
    bytes with x86's, which would show it.) The FPCR is Linux's default:
    round to nearest, no flush to zero, no default NaN; NaN payloads
    never reach a result (an escaped orbit's mu only reads finite values).
*/
#include "mf_kernel.h"
#include "mf_mu.h"

#if defined (__aarch64__)

#include <arm_neon.h>
#include <sys/auxv.h>

#define SIMD_W 2                        //  doubles per vector
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 8                        //  vectors in flight (32 registers; the x chain,
                                        //  FMUL FSUB FMLA, is ~9 cycles long)
#endif
#define SIMD_CAPTURE_ALWAYS 0           //  captures behind a branch (see S_EXACT_STEP):
                                        //  a blend (BSL) is a full operation, as in AVX2
#ifndef SIMD_K
#define SIMD_K 32                       //  iterations per block (fewer tests, longer replays)
#endif

typedef float64x2_t vd;
typedef uint64x2_t vm;                  //  all ones or all zeros per lane

static inline vd vset1 (double a) { return vdupq_n_f64 (a); }
static inline vd vload (const double *p) { return vld1q_f64 (p); }
static inline void vstore (double *p, vd a) { vst1q_f64 (p, a); }
static inline vd vadd (vd a, vd b) { return vaddq_f64 (a, b); }
static inline vd vsub (vd a, vd b) { return vsubq_f64 (a, b); }
static inline vd vmul (vd a, vd b) { return vmulq_f64 (a, b); }
static inline vd vdiv (vd a, vd b) { return vdivq_f64 (a, b); }
//  a * b + c, rounded once: FMLA takes the addend first.
static inline vd vfma (vd a, vd b, vd c) { return vfmaq_f64 (c, a, b); }
static inline vd vsel (vm m, vd a, vd b) { return vbslq_f64 (m, a, b); }
static inline vm vnot (vm m)
{
    return vreinterpretq_u64_u32 (vmvnq_u32 (vreinterpretq_u32_u64 (m)));
}
//  !(mag <= 65536): FCMLE is false for NaN, so its complement counts a
//  NaN as escaped, as the reference does.
static inline vm vesc (vd mag) { return vnot (vcleq_f64 (mag, vdupq_n_f64 (MF_BAILOUT_SQ))); }
static inline vm vsame (vd a, vd b)
{
    return vceqq_u64 (vreinterpretq_u64_f64 (a), vreinterpretq_u64_f64 (b));
}
//  Ordered comparisons: false where either side is NaN.
static inline vm vge (vd a, vd b) { return vcgeq_f64 (a, b); }
static inline vm vgt (vd a, vd b) { return vcgtq_f64 (a, b); }
static inline vm vlt (vd a, vd b) { return vcltq_f64 (a, b); }
static inline vm vfinite (vd a)
{
    //  |a| <= DBL_MAX is false for infinities and NaN.
    return vcleq_f64 (vabsq_f64 (a), vdupq_n_f64 (1.7976931348623157e308));
}
static inline vm vand (vm a, vm b) { return vandq_u64 (a, b); }
static inline vm vor (vm a, vm b) { return vorrq_u64 (a, b); }
static inline vm vandnot (vm a, vm b) { return vbicq_u64 (a, b); }
static inline vm vmall (void) { return vdupq_n_u64 (UINT64_MAX); }
static inline vm vmask (unsigned bits)
{
    const uint64_t lanes [2] = { 1, 2 };
    return vtstq_u64 (vdupq_n_u64 (bits), vld1q_u64 (lanes));
}
static inline unsigned vbits (vm m)
{
    const uint64_t lanes [2] = { 1, 2 };
    return (unsigned) vaddvq_u64 (vandq_u64 (m, vld1q_u64 (lanes)));
}
static inline vd vfrexp (vd x, vd *e)
{
    //  For a positive normal x: the biased exponent field is frexp's
    //  exponent + 1022 (converted exactly: it is below 2^11), and the
    //  mantissa with exponent field 1022 (2^-1) is frexp's mantissa.
    uint64x2_t bits = vreinterpretq_u64_f64 (x);
    *e = vsubq_f64 (vcvtq_f64_u64 (vshrq_n_u64 (bits, 52)), vdupq_n_f64 (1022.0));
    uint64x2_t mant = vandq_u64 (bits, vdupq_n_u64 (0x000fffffffffffffULL));
    return vreinterpretq_f64_u64 (vorrq_u64 (mant, vdupq_n_u64 (0x3fe0000000000000ULL)));
}
static inline void vtofloat (vd a, float *out)
{
    //  FCVTN rounds to nearest, as the reference's (float) does.
    vst1_f32 (out, vcvt_f32_f64 (a));
}

#include "mf_kernel_simd.h"

int
mf_kernel_neon_supported (void)
{
    return (getauxval (AT_HWCAP) & HWCAP_ASIMD) != 0;
}

uint64_t
mf_kernel_neon (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    return s_kernel (task, mu, stop);
}

#endif
