/*  mf_kernel_scalar: the kernel of mf_kernel_simd.h with one double per
    "vector", in portable C: every machine runs it (on x86 without FMA,
    fma() comes from the C library, exact but slow; on aarch64 it is one
    instruction). It keeps every shortcut of the vector variants: several
    pixels in flight, lane refill, amortised escape tests, the cardioid
    and bulb tests and the cycle test.
*/
#include "mf_kernel.h"
#include "mf_mu.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define SIMD_W 1                        //  one double per "vector"
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 4                        //  pixels in flight, to hide the fma latency
#endif
#define SIMD_CAPTURE_ALWAYS 0                 //  captures behind a branch (see S_EXACT_STEP)
#ifndef SIMD_K
#define SIMD_K 16                       //  iterations per block (fewer tests, longer replays)
#endif

typedef double vd;
typedef int vm;                         //  0 or 1

static inline vd vset1 (double a) { return a; }
static inline vd vload (const double *p) { return *p; }
static inline void vstore (double *p, vd a) { *p = a; }
static inline vd vadd (vd a, vd b) { return a + b; }
static inline vd vsub (vd a, vd b) { return a - b; }
static inline vd vmul (vd a, vd b) { return a * b; }
static inline vd vdiv (vd a, vd b) { return a / b; }
static inline vd vfma (vd a, vd b, vd c) { return fma (a, b, c); }
static inline vd vsel (vm m, vd a, vd b) { return m? a: b; }
static inline vm vesc (vd mag) { return !(mag <= MF_BAILOUT_SQ); }
static inline vm vsame (vd a, vd b)
{
    uint64_t ua, ub;
    memcpy (&ua, &a, sizeof ua);
    memcpy (&ub, &b, sizeof ub);
    return ua == ub;
}
static inline vm vge (vd a, vd b) { return a >= b; }
static inline vm vgt (vd a, vd b) { return a > b; }
static inline vm vlt (vd a, vd b) { return a < b; }
static inline vm vfinite (vd a) { return isfinite (a); }
static inline vm vand (vm a, vm b) { return a & b; }
static inline vm vor (vm a, vm b) { return a | b; }
static inline vm vandnot (vm a, vm b) { return a & !b; }
static inline vm vmall (void) { return 1; }
static inline vm vmask (unsigned bits) { return (vm) (bits & 1); }
static inline unsigned vbits (vm m) { return (unsigned) m; }
static inline vd vfrexp (vd x, vd *e)
{
    int exponent;
    double m = frexp (x, &exponent);
    *e = exponent;
    return m;
}
static inline void vtofloat (vd a, float *out) { out [0] = (float) a; }

#include "mf_kernel_simd.h"

uint64_t
mf_kernel_scalar (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    return s_kernel (task, mu, stop);
}
