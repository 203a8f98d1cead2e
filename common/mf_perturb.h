/*  mf_perturb: the perturbation kernels of deep views, behind one
    function pointer chosen at start-up, like mf_kernel.

    Each pixel iterates only its delta z from the reference orbit Z
    (mf_orbit), with c = its dc (mf_deep_map_dc), starting from z = 0,
    m = 0, n = 0, and repeats one step until it escapes or n = maxiter:

      1. Level. If m >= 1, the largest l in 1 .. top with 2^l dividing
         m - 1, 2^l <= maxiter - n, j = (m - 1) / 2^l an entry of level l,
         and |z|_1 < R (|re| + |im|, mf_bla.h); else l = 0.
      2. Step, z := A z + B c. With l >= 1, A and B of that entry, 2^l
         iterations; with l = 0, A = 2 Z_m + z and B = 1, one iteration
         (the perturbation formula (2 Z + z) z + c). Z_m and the radii
         are read from the table (mf_bla_points, mf_bla.h).
      3. m += 2^l, n += 2^l; the full value f = Z_m + z.
      4. Escape: |f|^2 > 65536 (f as doubles, |f|^2 = fma (x, x, y y)):
         mu = mf_mu_double (n, f).
      5. Rebase (Zhuoran): if |f| < |z| (compared as squares), or m is
         the orbit's last point: z := f, m := 0.

    In doubles (MF_DELTA_DOUBLE): A z + B c is re = fma (Ar, x, fma (-Ai,
    y, bx)), im = fma (Ar, y, fma (Ai, x, by)) with (bx, by) = c for a
    plain step and (fma (Br, cx, -(Bi cy)), fma (Br, cy, Bi cx)) for a
    BLA step; 2 Z_m + z is (2 Zr + x, 2 Zi + y);
    f = (Zr + x, Zi + y); squares are fma (x, x, y y), compared with <.
    In floatexp (MF_DELTA_FEXP): A z + B c is mf_fexpc_muladd, 2 Z_m + z
    and f are mf_fexpc_add_raw (not normalised: they are only multiplied
    or compared; f is normalised when it becomes z), and the tests
    compare mf_fexpc_norm1 and mf_fexpc_norm2 exactly (mf_fexp_cmp); f as
    doubles is its mantissas times 2^e, e clamped to [-1000, 1000] (exact
    wherever f matters).

    Every variant gives, for every pixel, the bits of mf_perturb_reference
    (a plain loop written with mf_fexp.h's functions): the SIMD lanes run
    the same operations in the same order, one pixel a lane.

    Iterations returned: the sum over pixels of n, maxiter for interior
    ones. Mu is a double; interior pixels have -1.
*/
#ifndef MF_PERTURB_H
#define MF_PERTURB_H

#include "mf_bla.h"
#include "mf_deep.h"
#include "mf_orbit.h"
#include "mf_tiles.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_PERTURB_STOP_EVERY 4096      //  steps of a pixel, or vector steps, between looks at stop

typedef struct {
    const mf_deep_map_t *map;           //  the view (pitch, offset, size, type)
    const mf_bla_t *bla;                //  its BLA table (and orbit), of the map's type
    uint32_t maxiter;                   //  iterations at most, >= 1
    mf_rect_t rect;                     //  the tile, in pixels of the whole image
    const atomic_int *stop;             //  nonzero: give up soon (may be NULL)
    bool no_rebase;                     //  tests only: rebase only when the orbit
                                        //  runs out (the negative control)
} mf_perturb_task_t;

typedef struct {
    uint64_t iterations;                //  sum of n over the tile's pixels
    uint64_t steps;                     //  steps taken, BLA and plain
    uint64_t bla_steps;                 //  ... of which BLA skips
    uint64_t rebases;                   //  rebases, exhaustion included
} mf_perturb_stats_t;

//  Computes mu for every pixel of task->rect into mu (rect.w * rect.h
//  doubles, row-major, row 0 at the top). Adds to stats when not NULL.
//  Returns 0, or -1 when stopped (mu is then partly written).
typedef int (*mf_perturb_fn) (const mf_perturb_task_t *task, double *mu,
                              mf_perturb_stats_t *stats);

typedef struct {
    const char *name;                   //  as mf_kernel's: avx512, avx2, scalar, reference
    mf_perturb_fn fn;                   //  the tile function
    int (*supported) (void);            //  1 if this CPU can run it
} mf_perturb_kernel_t;

//  The plain loop every variant must match bit for bit.
int mf_perturb_reference (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats);

//  The variants of mf_perturb_simd.h.
int mf_perturb_scalar (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats);
#if defined (__x86_64__) || defined (__i386__)
int mf_perturb_avx2 (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats);
int mf_perturb_avx512 (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats);
#endif
#if defined (__aarch64__)
int mf_perturb_neon (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats);
#endif

//  All compiled variants, fastest first, "reference" last.
const mf_perturb_kernel_t *mf_perturb_list (size_t *count);

//  1 if this machine may run the variant: the CPU supports it and
//  MF_KERNEL_DISABLE (mf_kernel.h) does not name it.
int mf_perturb_usable (const mf_perturb_kernel_t *kernel);

//  The fastest usable variant.
const mf_perturb_kernel_t *mf_perturb_best (void);

//  The variant named name ("auto" or NULL: the best), or NULL when it is
//  not compiled in or not usable here.
const mf_perturb_kernel_t *mf_perturb_find (const char *name);

#endif
