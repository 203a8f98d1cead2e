/*  mf_bla: bivariate linear approximation, the table that lets a pixel
    skip many iterations at once: z_{m+l} = A z_m + B c, valid while
    |z_m| < R.

    One step from Z_m (1 <= m <= count - 2): A = 2 Z_m, B = 1,
    R = max (0, eps |A| - |c|max / |A|): z^2, the term left out, stays
    below eps of the term kept. Skipping x then y (x first):

        A = A_y A_x,  B = A_y B_x + B_y,
        R = max (0, min (R_x, (R_y - |B_x| |c|max) / |A_x|))

    (after x, |z| is at most |A_x| |z| + |B_x| |c|max, which must be below
    R_y). Level l holds the skips of 2^l steps starting at m = 1 + j 2^l,
    j < floor ((count - 2) / 2^l): merges of two entries of level l - 1.
    Level 0, single steps, is not stored: it costs what a plain
    perturbation step costs. R never grows with the level at one start
    (the min), so "the largest valid level" is well defined.

    Storage, for the kernels' sake: the entries are kept by start, not
    by level. Level-1 start i (m = 1 + 2i) holds the run of the entries
    of levels 1 .. 1 + ctz (i) (1 .. top for i = 0) that start there, one
    after the other, each its R beside its A and B (mf_bla_entry finds
    entry j of a level: in the run of start j 2^(l-1)). A pixel's search
    for its largest level then reads one short run, mostly one or two
    cache lines, instead of one entry of every level; entries of a run
    past the end of the orbit hold R = 0. And for every point m, Z_m sits
    next to the radius of level 1 at m (0 where no skip starts there: m
    even, or past the last entry) and the offset of the run that starts
    there (mf_bla_run_offset, 0 where none does), so that one load gives
    a pixel its Z_m, its first BLA test and where to search further
    (mf_bla_points). The orbit itself may be freed once the table is
    built.

    The radii again, alone (mf_bla_radii), for the vector kernels' search:
    each run's radii, level 1 first, then a 0 that ends it; the run of
    start i begins at index mf_bla_run_offset (top, i) + i. Radii never
    grow along a run and the 0 is never passed, so the valid levels at a
    start are the radii above |z| read from the run's beginning, however
    many are read at once. A few zeros follow the last run
    (MF_BLA_RADII_PAD), so that a vector may read past it.

    eps matches the deltas: 2^-53 for doubles and for floatexp's double
    mantissa (the brief measured 2^-24 wrong on e50: 9 of 100 samples
    off by up to 249 iterations). |c|max is mf_deep_map_cmax: every
    pixel's |dc|, reference offset included.

    Arithmetic: the products and sums as mf_fexp.h defines them (floatexp
    tables) or the same formulas in doubles (fma for each product's
    second term, |a| = sqrt (fma (re, re, im * im))); sqrt is IEEE's,
    exact-rounded, no hypot or cabs. An entry whose values overflow gets
    R = 0 and is never used. So the table's bits are the same wherever
    it is built.
*/
#ifndef MF_BLA_H
#define MF_BLA_H

#include "mf_fexp.h"
#include "mf_orbit.h"

#include <stddef.h>
#include <stdint.h>

#define MF_BLA_LOG2_EPS (-53)           //  eps = 2^this, for doubles and floatexp
#define MF_BLA_MAX_LEVELS 40            //  levels, at most (2^40 steps)

//  Doubles a point takes in mf_bla_points.
#define MF_BLA_POINT_DOUBLE 4           //  Zr, Zi, R1, run offset
#define MF_BLA_POINT_FEXP 8             //  Zr, Zi, eZ, R1, eR1 (exponents as doubles), run offset, 0, 0

//  Doubles a radius takes in mf_bla_radii, and the zeros after the last.
#define MF_BLA_RADIUS_DOUBLE 1          //  R
#define MF_BLA_RADIUS_FEXP 2            //  R, eR (0 as 0, MF_FEXP_ZERO_E)
#define MF_BLA_RADII_PAD 32             //  radii of zeros after the last run

//  Doubles an entry takes, R first (exponents as doubles).
#define MF_BLA_ENTRY_DOUBLE 5           //  R, Ar, Ai, Br, Bi
#define MF_BLA_ENTRY_FEXP 8             //  R, eR, Ar, Ai, eA, Br, Bi, eB

typedef struct _mf_bla_t mf_bla_t;

//  Builds the table of an orbit for a view whose pixels' |dc| are below
//  cmax, with eps = 2^MF_BLA_LOG2_EPS. Returns it, or NULL with the
//  reason in err (out of memory). The caller destroys it.
mf_bla_t *mf_bla_new (const mf_orbit_t *orbit, mf_fexp_t cmax, char *err, size_t errlen);

//  The same with eps = 2^log2_eps: for tests only (the negative control
//  with 2^-24 must fail the accuracy check).
mf_bla_t *mf_bla_new_eps (const mf_orbit_t *orbit, mf_fexp_t cmax, int log2_eps,
                          char *err, size_t errlen);

//  A table without levels (every step plain), with its points: for tests.
mf_bla_t *mf_bla_new_plain (const mf_orbit_t *orbit, char *err, size_t errlen);

//  Destroys a table; safe twice, nulls the pointer.
void mf_bla_destroy (mf_bla_t **self_p);

//  The number of levels stored (1 .. top; level 0 is implicit), 0 when
//  the orbit is too short for any.
int mf_bla_top (const mf_bla_t *self);

//  The number of entries of level (1 <= level <= top).
uint64_t mf_bla_count (const mf_bla_t *self, int level);

//  Entry j of level (j < mf_bla_count): MF_BLA_ENTRY_* doubles, owned by
//  the table.
const double *mf_bla_entry (const mf_bla_t *self, int level, uint64_t j);

//  The orbit's points with level 1's radii (MF_BLA_POINT_* doubles a
//  point, owned by the table), their number, and their number type.
const double *mf_bla_points (const mf_bla_t *self);
uint64_t mf_bla_points_count (const mf_bla_t *self);
mf_delta_t mf_bla_type (const mf_bla_t *self);

//  The runs of entries by start (see above), owned by the table.
const double *mf_bla_runs (const mf_bla_t *self);

//  The radii by start, each run ended by a 0 (see above; MF_BLA_RADIUS_*
//  doubles a radius), owned by the table.
const double *mf_bla_radii (const mf_bla_t *self);

//  Where the run of start i begins in mf_bla_runs, in entries, for a
//  table of top levels: the runs before it hold top entries (i = 0) and
//  1 + ctz (i') for each 0 < i' < i, which add up to top + 2 (i - 1) -
//  popcount (i - 1).
static inline uint64_t
mf_bla_run_offset (int top, uint64_t i)
{
    if (i == 0)
        return 0;
    return (uint64_t) top + 2 * (i - 1) - (uint64_t) __builtin_popcountll (i - 1);
}

//  The number of entries in the run of start i: levels 1 .. this.
static inline int
mf_bla_run_count (int top, uint64_t i)
{
    return i == 0? top: 1 + __builtin_ctzll (i);
}

//  Bytes the table holds.
size_t mf_bla_bytes (const mf_bla_t *self);

#endif
