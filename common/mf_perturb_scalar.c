/*  mf_perturb_scalar: the kernel of mf_perturb_simd.h with one double
    per "vector", in portable C: every machine runs it (fma() is exact by
    definition, one instruction where the CPU has it). It keeps the
    template's arrangement: several pixels in flight, lane refill, the
    level-1 test before any search.
*/
#include "mf_mu.h"
#include "mf_perturb.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define SIMD_W 1                        //  one double per "vector"
#ifndef SIMD_V                          //  (-D for tuning experiments)
#define SIMD_V 4                        //  pixels in flight, to hide the latencies
#endif

typedef double vd;
typedef int vm;                         //  0 or 1

static inline vd vset1 (double a) { return a; }
static inline vd vload (const double *p) { return *p; }
static inline void vstore (double *p, vd a) { *p = a; }
static inline vd vadd (vd a, vd b) { return a + b; }
static inline vd vsub (vd a, vd b) { return a - b; }
static inline vd vmul (vd a, vd b) { return a * b; }
static inline vd vfma (vd a, vd b, vd c) { return fma (a, b, c); }
static inline vd vfnma (vd a, vd b, vd c) { return fma (-a, b, c); }
static inline vd vabs (vd a) { return fabs (a); }
static inline vd vmax (vd a, vd b) { return a > b? a: b; }
static inline vd vsel (vm m, vd a, vd b) { return m? a: b; }
static inline vm vesc (vd mag) { return !(mag <= MF_BAILOUT_SQ); }
static inline vm vlt (vd a, vd b) { return a < b; }
static inline vm vge (vd a, vd b) { return a >= b; }
static inline vm veq (vd a, vd b) { return a == b; }
static inline vm vand (vm a, vm b) { return a & b; }
static inline vm vor (vm a, vm b) { return a | b; }
static inline vm vandnot (vm a, vm b) { return a & !b; }
static inline unsigned vbits (vm m) { return (unsigned) m; }
static inline vm vmask (unsigned bits) { return (vm) (bits & 1); }
static inline vd vpow2 (vd k) { return mf_fexp_pow2 ((int64_t) k); }
static inline vd vilogb (vd x) { return (double) mf_fexp_ilogb (x); }
static inline vd vgather (const double *p, vd i) { return p [(int64_t) i]; }
static inline void vgather4 (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    const double *q = p + (int64_t) i;
    *a = q [0];
    *b = q [1];
    *c = q [2];
    *d = q [3];
}

#define SIMD_LANE_POINTERS 1
static inline void vload4p (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    *a = p [0][0];
    *b = p [0][1];
    *c = p [0][2];
    *d = p [0][3];
}
static inline void vload4pu (const double *const *p, vd *a, vd *b, vd *c, vd *d)
{
    vload4p (p, a, b, c, d);
}
static inline vd vloadu (const double *p) { return *p; }
static inline void vloadu2 (const double *p, vd *a, vd *b)
{
    *a = p [0];
    *b = p [1];
}
static inline vd vpow2_bytes (uint64_t b) { return mf_fexp_pow2 ((int64_t) (b & 0xff)); }
static inline void vgather4u (const double *p, vd i, vd *a, vd *b, vd *c, vd *d)
{
    vgather4 (p, i, a, b, c, d);
}

#include "mf_perturb_simd.h"

int
mf_perturb_scalar (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    return s_kernel (task, mu, stats);
}
