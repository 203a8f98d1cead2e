/*  mf_bla: see mf_bla.h. Level 1 is built from pairs of single steps
    computed on the fly, each higher level from pairs of the one below.
*/
#include "mf_bla.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2 << 20)             //  bytes of a transparent huge page (x86-64, aarch64 4K)
#define HUGE_MIN (4 << 20)              //  arrays from this size, bytes, ask for huge pages

struct _mf_bla_t {
    mf_delta_t type;                            //  doubles or floatexp
    int top;                                    //  levels 1 .. top are stored
    uint64_t count [MF_BLA_MAX_LEVELS + 1];     //  entries per level
    double *runs;                               //  the entries, by start
    double *radii;                              //  their radii, by start, each run ended by 0
    size_t entry;                               //  doubles an entry takes
    double *points;                             //  Z_m and level 1's R at m
    uint64_t points_count;                      //  the orbit's count
    size_t bytes;                               //  allocated, in all
};

void
mf_bla_destroy (mf_bla_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->runs);
    free ((*self_p)->radii);
    free ((*self_p)->points);
    free (*self_p);
    *self_p = NULL;
}

//  A 64-byte aligned array of bytes, zeroed when zero is set; the large
//  ones on huge pages where the system gives them (madvise is a hint):
//  the kernels read the table all over, and with 4 KB pages nearly every
//  skip would miss the TLB. NULL when out of memory; free () frees it.
static void *
s_alloc (size_t bytes, bool zero)
{
    size_t align = bytes >= HUGE_MIN? HUGE_PAGE: 64;
    size_t size = (bytes + align - 1) / align * align;
    void *p = aligned_alloc (align, size? size: align);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (align == HUGE_PAGE)
        madvise (p, size, MADV_HUGEPAGE);
#endif
    if (zero)
        memset (p, 0, size);
    return p;
}

//  Entry j of level, writable.
static double *
s_entry (const mf_bla_t *self, int level, uint64_t j)
{
    uint64_t i = j << (level - 1);
    return self->runs + (mf_bla_run_offset (self->top, i) + (uint64_t) (level - 1)) * self->entry;
}

//  ---- doubles ------------------------------------------------------------

typedef struct {
    double ar, ai, br, bi, r;
} s_entry_d_t;

static double
s_abs_d (double re, double im)
{
    return sqrt (fma (re, re, im * im));
}

//  The single step from Z_m.
static s_entry_d_t
s_step_d (const double *z, double eps, double cmax)
{
    s_entry_d_t e = { 2.0 * z [0], 2.0 * z [1], 1.0, 0.0, 0.0 };
    double a = s_abs_d (e.ar, e.ai);
    double r = eps * a - cmax / a;
    e.r = r > 0? r: 0.0;                //  also 0 where a = 0 (NaN, -inf)
    return e;
}

//  x then y.
static s_entry_d_t
s_merge_d (s_entry_d_t x, s_entry_d_t y, double cmax)
{
    s_entry_d_t e;
    e.ar = fma (y.ar, x.ar, -(y.ai * x.ai));
    e.ai = fma (y.ar, x.ai, y.ai * x.ar);
    e.br = fma (y.ar, x.br, -(y.ai * x.bi)) + y.br;
    e.bi = fma (y.ar, x.bi, y.ai * x.br) + y.bi;
    double r = (y.r - s_abs_d (x.br, x.bi) * cmax) / s_abs_d (x.ar, x.ai);
    if (!(r > 0))
        r = 0.0;                        //  negative, or NaN from an overflow
    e.r = x.r < r? x.r: r;
    if (!isfinite (e.ar) || !isfinite (e.ai) || !isfinite (e.br) || !isfinite (e.bi))
        e.r = 0.0;
    return e;
}

static void
s_put_d (mf_bla_t *self, int level, uint64_t j, s_entry_d_t e)
{
    double *p = s_entry (self, level, j);
    p [0] = e.r;
    p [1] = e.ar;
    p [2] = e.ai;
    p [3] = e.br;
    p [4] = e.bi;
}

static s_entry_d_t
s_get_d (const mf_bla_t *self, int level, uint64_t j)
{
    const double *p = s_entry (self, level, j);
    return (s_entry_d_t) { p [1], p [2], p [3], p [4], p [0] };
}

//  ---- floatexp -----------------------------------------------------------

typedef struct {
    mf_fexpc_t a, b;
    mf_fexp_t r;
} s_entry_f_t;

static s_entry_f_t
s_step_f (const double *z, mf_fexp_t eps, mf_fexp_t cmax)
{
    mf_fexpc_t zm = { z [0], z [1], (int64_t) z [2] };
    s_entry_f_t e = { mf_fexpc_ldexp (zm, 1), mf_fexpc_from_doubles (1.0, 0.0), mf_fexp_zero () };
    if (mf_fexpc_is_zero (e.a))
        return e;
    mf_fexp_t a = mf_fexpc_abs (e.a);
    mf_fexp_t r = mf_fexp_sub (mf_fexp_mul (eps, a), mf_fexp_div (cmax, a));
    e.r = r.m > 0? r: mf_fexp_zero ();
    return e;
}

static s_entry_f_t
s_merge_f (s_entry_f_t x, s_entry_f_t y, mf_fexp_t cmax)
{
    s_entry_f_t e;
    e.a = mf_fexpc_mul (y.a, x.a);
    e.b = mf_fexpc_add (mf_fexpc_mul (y.a, x.b), y.b);
    e.r = mf_fexp_zero ();
    if (!mf_fexpc_is_zero (x.a)) {
        mf_fexp_t r = mf_fexp_div (mf_fexp_sub (y.r, mf_fexp_mul (mf_fexpc_abs (x.b), cmax)),
                                   mf_fexpc_abs (x.a));
        if (r.m > 0)
            e.r = mf_fexp_min (x.r, r);
    }
    return e;
}

static void
s_put_f (mf_bla_t *self, int level, uint64_t j, s_entry_f_t e)
{
    double *p = s_entry (self, level, j);
    p [0] = e.r.m;
    p [1] = (double) e.r.e;
    p [2] = e.a.re;
    p [3] = e.a.im;
    p [4] = (double) e.a.e;
    p [5] = e.b.re;
    p [6] = e.b.im;
    p [7] = (double) e.b.e;
}

static s_entry_f_t
s_get_f (const mf_bla_t *self, int level, uint64_t j)
{
    const double *p = s_entry (self, level, j);
    return (s_entry_f_t) { { p [2], p [3], (int64_t) p [4] },
                           { p [5], p [6], (int64_t) p [7] },
                           { p [0], (int64_t) p [1] } };
}

//  ---- the table ------------------------------------------------------------

//  Copies the orbit's points into the table, with level 1's radii where
//  a level-1 skip starts (m = 1 + 2j).
static void
s_points (mf_bla_t *self, const mf_orbit_t *orbit)
{
    bool fexp = self->type == MF_DELTA_FEXP;
    const double *z = mf_orbit_data (orbit);
    uint64_t count1 = self->top >= 1? self->count [1]: 0;
    for (uint64_t m = 0; m < self->points_count; m++) {
        bool start = (m & 1) && (m - 1) / 2 < count1;
        if (fexp) {
            double *p = self->points + m * MF_BLA_POINT_FEXP;
            const double *q = z + 4 * m;
            p [0] = q [0];
            p [1] = q [1];
            p [2] = q [2];
            const double *r = start? s_entry (self, 1, (m - 1) / 2): NULL;
            p [3] = start? r [0]: 0.0;
            p [4] = start? r [1]: (double) MF_FEXP_ZERO_E;
            p [5] = start? (double) mf_bla_run_offset (self->top, (m - 1) / 2): 0.0;
            p [6] = p [7] = 0.0;
        }
        else {
            double *p = self->points + m * MF_BLA_POINT_DOUBLE;
            p [0] = z [2 * m];
            p [1] = z [2 * m + 1];
            p [2] = start? s_entry (self, 1, (m - 1) / 2) [0]: 0.0;
            p [3] = start? (double) mf_bla_run_offset (self->top, (m - 1) / 2): 0.0;
        }
    }
}

//  Copies the radii of every run into their own array, each run ended by
//  a 0. Returns 0, or -1 when out of memory.
static int
s_radii (mf_bla_t *self)
{
    bool fexp = self->type == MF_DELTA_FEXP;
    size_t width = fexp? MF_BLA_RADIUS_FEXP: MF_BLA_RADIUS_DOUBLE;
    uint64_t starts = self->top >= 1? self->count [1]: 0;
    uint64_t entries = starts? mf_bla_run_offset (self->top, starts - 1)
                               + (uint64_t) mf_bla_run_count (self->top, starts - 1): 0;
    uint64_t radii = entries + starts + MF_BLA_RADII_PAD;
    self->radii = s_alloc (radii * width * sizeof (double), false);
    if (!self->radii)
        return -1;
    double *out = self->radii;
    for (uint64_t i = 0; i < starts; i++) {
        const double *run = self->runs + mf_bla_run_offset (self->top, i) * self->entry;
        int count = mf_bla_run_count (self->top, i);
        for (int k = 0; k < count; k++, run += self->entry) {
            *out++ = run [0];
            if (fexp)
                *out++ = run [1];
        }
        *out++ = 0.0;
        if (fexp)
            *out++ = (double) MF_FEXP_ZERO_E;
    }
    for (int k = 0; k < MF_BLA_RADII_PAD; k++) {
        *out++ = 0.0;
        if (fexp)
            *out++ = (double) MF_FEXP_ZERO_E;
    }
    self->bytes += radii * width * sizeof (double);
    return 0;
}

//  A table of an orbit with its levels allocated (levels of them, at
//  most) and its points not yet filled.
static mf_bla_t *
s_new (const mf_orbit_t *orbit, int levels, char *err, size_t errlen)
{
    mf_bla_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory for the BLA table");
        return NULL;
    }
    self->type = mf_orbit_type (orbit);
    uint64_t count = mf_orbit_count (orbit);
    uint64_t steps = count >= 2? count - 2: 0;      //  single steps m = 1 .. count - 2
    bool fexp = self->type == MF_DELTA_FEXP;
    size_t point = fexp? MF_BLA_POINT_FEXP: MF_BLA_POINT_DOUBLE;
    self->points_count = count;
    //  Aligned: a point is one vector load in the kernels.
    self->points = s_alloc (count * point * sizeof (double), false);
    if (!self->points) {
        snprintf (err, errlen, "out of memory for the BLA table (%llu points)",
                  (unsigned long long) count);
        mf_bla_destroy (&self);
        return NULL;
    }
    self->bytes = count * point * sizeof (double);
    self->entry = fexp? MF_BLA_ENTRY_FEXP: MF_BLA_ENTRY_DOUBLE;
    for (int level = 1; level <= levels && (steps >> level) > 0; level++) {
        self->count [level] = steps >> level;
        self->top = level;
    }
    //  The runs of every start, zeroed: entries past the orbit's end keep
    //  R = 0 (floatexp: its exponent is set below).
    uint64_t starts = self->top >= 1? self->count [1]: 0;
    uint64_t entries = starts? mf_bla_run_offset (self->top, starts - 1)
                               + (uint64_t) mf_bla_run_count (self->top, starts - 1): 0;
    self->runs = s_alloc ((entries + 1) * self->entry * sizeof (double), true);
    if (!self->runs) {
        snprintf (err, errlen, "out of memory for the BLA table (%llu entries)",
                  (unsigned long long) entries);
        mf_bla_destroy (&self);
        return NULL;
    }
    if (fexp)
        for (uint64_t e = 0; e < entries; e++)
            self->runs [e * self->entry + 1] = (double) MF_FEXP_ZERO_E;
    self->bytes += (entries + 1) * self->entry * sizeof (double);
    return self;
}

mf_bla_t *
mf_bla_new_plain (const mf_orbit_t *orbit, char *err, size_t errlen)
{
    mf_bla_t *self = s_new (orbit, 0, err, errlen);
    if (self && s_radii (self)) {
        snprintf (err, errlen, "out of memory for the BLA table's radii");
        mf_bla_destroy (&self);
    }
    if (self)
        s_points (self, orbit);
    return self;
}

mf_bla_t *
mf_bla_new_eps (const mf_orbit_t *orbit, mf_fexp_t cmax, int log2_eps, char *err, size_t errlen)
{
    mf_bla_t *self = s_new (orbit, MF_BLA_MAX_LEVELS, err, errlen);
    if (!self)
        return NULL;
    bool fexp = self->type == MF_DELTA_FEXP;
    const double *z = mf_orbit_data (orbit);
    size_t stride = fexp? 4: 2;
    if (!fexp) {
        double eps = ldexp (1.0, log2_eps);
        double c = mf_fexp_to_double (cmax);
        for (uint64_t j = 0; j < self->count [1]; j++) {
            uint64_t m = 1 + 2 * j;
            s_put_d (self, 1, j, s_merge_d (s_step_d (z + m * stride, eps, c),
                                            s_step_d (z + (m + 1) * stride, eps, c), c));
        }
        for (int level = 2; level <= self->top; level++)
            for (uint64_t j = 0; j < self->count [level]; j++)
                s_put_d (self, level, j, s_merge_d (s_get_d (self, level - 1, 2 * j),
                                                    s_get_d (self, level - 1, 2 * j + 1), c));
    }
    else {
        mf_fexp_t eps = { 1.0, log2_eps };
        for (uint64_t j = 0; j < self->count [1]; j++) {
            uint64_t m = 1 + 2 * j;
            s_put_f (self, 1, j, s_merge_f (s_step_f (z + m * stride, eps, cmax),
                                            s_step_f (z + (m + 1) * stride, eps, cmax), cmax));
        }
        for (int level = 2; level <= self->top; level++)
            for (uint64_t j = 0; j < self->count [level]; j++)
                s_put_f (self, level, j, s_merge_f (s_get_f (self, level - 1, 2 * j),
                                                    s_get_f (self, level - 1, 2 * j + 1), cmax));
    }
    if (s_radii (self)) {
        snprintf (err, errlen, "out of memory for the BLA table's radii");
        mf_bla_destroy (&self);
        return NULL;
    }
    s_points (self, orbit);
    return self;
}

mf_bla_t *
mf_bla_new (const mf_orbit_t *orbit, mf_fexp_t cmax, char *err, size_t errlen)
{
    return mf_bla_new_eps (orbit, cmax, MF_BLA_LOG2_EPS, err, errlen);
}

int
mf_bla_top (const mf_bla_t *self)
{
    return self->top;
}

uint64_t
mf_bla_count (const mf_bla_t *self, int level)
{
    assert (level >= 1 && level <= self->top);
    return self->count [level];
}

const double *
mf_bla_entry (const mf_bla_t *self, int level, uint64_t j)
{
    assert (level >= 1 && level <= self->top && j < self->count [level]);
    return s_entry (self, level, j);
}

const double *
mf_bla_runs (const mf_bla_t *self)
{
    return self->runs;
}

const double *
mf_bla_radii (const mf_bla_t *self)
{
    return self->radii;
}

const double *
mf_bla_points (const mf_bla_t *self)
{
    return self->points;
}

uint64_t
mf_bla_points_count (const mf_bla_t *self)
{
    return self->points_count;
}

mf_delta_t
mf_bla_type (const mf_bla_t *self)
{
    return self->type;
}

size_t
mf_bla_bytes (const mf_bla_t *self)
{
    return self->bytes;
}
