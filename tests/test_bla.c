/*  BLA tables (mf_bla): their shape; every skip against the plain
    perturbation steps it replaces, in long double, inside its radius;
    radii that never grow with the level; the same bits from every build;
    floatexp tables agreeing with double ones; overflowing entries never
    valid; the points the kernels read.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_bla.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mf_deep_view_t *view;
    mf_deep_map_t map;
    mf_orbit_t *orbit;
} s_view_t;

static void
s_open (s_view_t *v, const char *center, const char *zoom, uint32_t maxiter, mf_delta_t type)
{
    char err [512];
    v->view = mf_deep_view_new (center, NULL, zoom, 320, 180, err, sizeof err);
    ck_assert_msg (v->view != NULL, "%s", err);
    mf_deep_view_map (v->view, &v->map);
    mpfr_t re, im;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (v->view, re, im);
    v->orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), maxiter, type, NULL, err,
                                    sizeof err);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    ck_assert_msg (v->orbit != NULL, "%s", err);
}

static void
s_close (s_view_t *v)
{
    mf_orbit_destroy (&v->orbit);
    mf_deep_view_destroy (&v->view);
}

static mf_bla_t *
s_table (const s_view_t *v, int log2_eps)
{
    char err [256];
    mf_bla_t *bla = mf_bla_new_eps (v->orbit, mf_deep_map_cmax (&v->map), log2_eps, err,
                                    sizeof err);
    ck_assert_msg (bla != NULL, "%s", err);
    return bla;
}

START_TEST (levels_have_their_shape)
{
    s_view_t v;
    s_open (&v, LOC_E50_CENTER, LOC_E50_ZOOM, LOC_E50_ITER, MF_DELTA_DOUBLE);
    mf_bla_t *bla = s_table (&v, MF_BLA_LOG2_EPS);
    uint64_t steps = mf_orbit_count (v.orbit) - 2;
    ck_assert_int_gt (mf_bla_top (bla), 10);
    int top = mf_bla_top (bla);
    for (int level = 1; level <= top; level++)
        ck_assert_int_eq (mf_bla_count (bla, level), steps >> level);
    ck_assert_int_eq (steps >> (top + 1), 0);
    //  The runs: start i holds levels 1 .. 1 + ctz (i) (1 .. top for i = 0),
    //  and every entry is in the run of its start, at its level.
    uint64_t starts = mf_bla_count (bla, 1), offset = 0;
    for (uint64_t i = 0; i < starts; i++) {
        ck_assert_int_eq (mf_bla_run_offset (top, i), offset);
        int count = mf_bla_run_count (top, i);
        ck_assert_int_eq (count, i? 1 + __builtin_ctzll (i): top);
        for (int level = 1; level <= count; level++) {
            uint64_t j = i >> (level - 1);
            const double *in_run = mf_bla_runs (bla)
                                 + (offset + (uint64_t) level - 1) * MF_BLA_ENTRY_DOUBLE;
            if (j < mf_bla_count (bla, level))
                ck_assert (mf_bla_entry (bla, level, j) == in_run);
            else
                ck_assert (in_run [0] == 0.0);              //  past the orbit: never valid
        }
        offset += (uint64_t) count;
    }
    size_t bytes = mf_orbit_count (v.orbit) * MF_BLA_POINT_DOUBLE * sizeof (double)
                 + (offset + 1) * MF_BLA_ENTRY_DOUBLE * sizeof (double)
                 + (offset + starts + MF_BLA_RADII_PAD) * MF_BLA_RADIUS_DOUBLE * sizeof (double);
    ck_assert_int_eq (mf_bla_bytes (bla), bytes);
    ck_assert_int_eq (mf_bla_type (bla), MF_DELTA_DOUBLE);
    mf_bla_destroy (&bla);
    mf_bla_destroy (&bla);
    //  Without levels: the points only.
    char err [256];
    bla = mf_bla_new_plain (v.orbit, err, sizeof err);
    ck_assert_int_eq (mf_bla_top (bla), 0);
    ck_assert_int_eq (mf_bla_points_count (bla), mf_orbit_count (v.orbit));
    mf_bla_destroy (&bla);
    s_close (&v);
}
END_TEST

//  2^level plain steps z' = 2 Z z + z^2 + c from m, in long double.
static void
s_plain (const mf_orbit_t *orbit, uint64_t m, int level, long double *zr, long double *zi,
         long double cr, long double ci)
{
    for (uint64_t k = 0; k < (UINT64_C (1) << level); k++) {
        mf_fexpc_t zm = mf_orbit_point (orbit, m + k);
        long double ar = 2.0L * mf_fexpc_re_double (zm), ai = 2.0L * mf_fexpc_im_double (zm);
        long double x = *zr, y = *zi;
        *zr = ar * x - ai * y + x * x - y * y + cr;
        *zi = ar * y + ai * x + 2 * x * y + ci;
    }
}

START_TEST (skips_match_the_steps_they_replace)
{
    //  For entries of every level, a z just inside the radius and the
    //  largest c: A z + B c is the 2^l perturbation steps, to about the
    //  precision of doubles.
    s_view_t v;
    s_open (&v, LOC_E50_CENTER, LOC_E50_ZOOM, LOC_E50_ITER, MF_DELTA_DOUBLE);
    mf_bla_t *bla = s_table (&v, MF_BLA_LOG2_EPS);
    double cmax = mf_fexp_to_double (mf_deep_map_cmax (&v.map));
    size_t checked = 0;
    for (int level = 1; level <= 12; level++) {
        uint64_t count = mf_bla_count (bla, level);
        for (uint64_t j = 0; j < count; j += count / 40 + 1) {
            const double *e = mf_bla_entry (bla, level, j);
            double r = e [0];
            if (r <= 0)
                continue;
            //  |z|_1 = 0.9 R in a direction that varies with j; and z = 0,
            //  where B c is the whole answer.
            for (int zero = 0; zero < 2; zero++) {
                double angle = (double) j * 0.7, norm = fabs (cos (angle)) + fabs (sin (angle));
                double zr = zero? 0.0: 0.9 * r * cos (angle) / norm;
                double zi = zero? 0.0: 0.9 * r * sin (angle) / norm;
                double cr = cmax * 0.6, ci = -cmax * 0.8;
                long double ar = (long double) e [1] * zr - (long double) e [2] * zi
                               + (long double) e [3] * cr - (long double) e [4] * ci;
                long double ai = (long double) e [1] * zi + (long double) e [2] * zr
                               + (long double) e [3] * ci + (long double) e [4] * cr;
                long double pr = zr, pi = zi;
                s_plain (v.orbit, 1 + j * (UINT64_C (1) << level), level, &pr, &pi, cr, ci);
                long double error = fabsl (ar - pr) + fabsl (ai - pi);
                long double size = fabsl (pr) + fabsl (pi);
                ck_assert_msg (error <= 1e-12L * size, "level %d entry %llu%s: relative "
                               "error %Lg", level, (unsigned long long) j,
                               zero? ", z = 0": "", error / size);
            }
            checked++;
        }
    }
    ck_assert_int_gt (checked, 200);
    mf_bla_destroy (&bla);
    s_close (&v);
}
END_TEST

START_TEST (radii_never_grow_with_the_level)
{
    s_view_t v;
    s_open (&v, LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, LOC_FLAKE_ITER, MF_DELTA_DOUBLE);
    mf_bla_t *bla = s_table (&v, MF_BLA_LOG2_EPS);
    for (int level = 2; level <= mf_bla_top (bla); level++)
        for (uint64_t j = 0; j < mf_bla_count (bla, level); j++) {
            double r = mf_bla_entry (bla, level, j) [0];
            ck_assert (r >= 0 && r <= mf_bla_entry (bla, level - 1, 2 * j) [0]);
        }
    //  A larger eps gives radii at least as large, larger somewhere.
    mf_bla_t *loose = s_table (&v, -24);
    bool larger = false;
    for (int level = 1; level <= mf_bla_top (bla); level++)
        for (uint64_t j = 0; j < mf_bla_count (bla, level); j++) {
            double tight = mf_bla_entry (bla, level, j) [0];
            double wide = mf_bla_entry (loose, level, j) [0];
            ck_assert (wide >= tight);
            larger |= wide > tight;
        }
    ck_assert (larger);
    mf_bla_destroy (&loose);
    mf_bla_destroy (&bla);
    s_close (&v);
}
END_TEST

//  Every array of two tables, byte for byte.
static void
s_same_bytes (const mf_bla_t *a, const mf_bla_t *b)
{
    bool fexp = mf_bla_type (a) == MF_DELTA_FEXP;
    ck_assert_int_eq (mf_bla_top (a), mf_bla_top (b));
    ck_assert_int_eq (mf_bla_points_count (a), mf_bla_points_count (b));
    ck_assert (memcmp (mf_bla_points (a), mf_bla_points (b), mf_bla_points_count (a)
                       * (fexp? MF_BLA_POINT_FEXP: MF_BLA_POINT_DOUBLE) * sizeof (double)) == 0);
    ck_assert_int_eq (mf_bla_bytes (a), mf_bla_bytes (b));
    uint64_t starts = mf_bla_top (a)? mf_bla_count (a, 1): 0;
    uint64_t entries = starts? mf_bla_run_offset (mf_bla_top (a), starts - 1)
                               + (uint64_t) mf_bla_run_count (mf_bla_top (a), starts - 1): 0;
    ck_assert (memcmp (mf_bla_runs (a), mf_bla_runs (b), entries
                       * (fexp? MF_BLA_ENTRY_FEXP: MF_BLA_ENTRY_DOUBLE) * sizeof (double)) == 0);
    ck_assert (memcmp (mf_bla_radii (a), mf_bla_radii (b), (entries + starts + MF_BLA_RADII_PAD)
                       * (fexp? MF_BLA_RADIUS_FEXP: MF_BLA_RADIUS_DOUBLE) * sizeof (double)) == 0);
}

START_TEST (the_same_bits_from_every_build)
{
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        s_view_t v;
        s_open (&v, LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, LOC_FLAKE_ITER, type);
        mf_bla_t *a = s_table (&v, MF_BLA_LOG2_EPS), *b = s_table (&v, MF_BLA_LOG2_EPS);
        s_same_bytes (a, b);
        mf_bla_destroy (&a);
        mf_bla_destroy (&b);
        s_close (&v);
    }
}
END_TEST

START_TEST (floatexp_tables_agree_with_doubles)
{
    //  The same orbit (flake) in both types: entries equal to a few ulps.
    s_view_t d, f;
    s_open (&d, LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, LOC_FLAKE_ITER, MF_DELTA_DOUBLE);
    s_open (&f, LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, LOC_FLAKE_ITER, MF_DELTA_FEXP);
    mf_bla_t *bd = s_table (&d, MF_BLA_LOG2_EPS), *bf = s_table (&f, MF_BLA_LOG2_EPS);
    ck_assert_int_eq (mf_bla_top (bd), mf_bla_top (bf));
    size_t compared = 0;
    for (int level = 1; level <= mf_bla_top (bd); level++)
        for (uint64_t j = 0; j < mf_bla_count (bd, level); j += 7) {
            const double *ed = mf_bla_entry (bd, level, j);
            const double *ef = mf_bla_entry (bf, level, j);
            if (!isfinite (ed [1]) || fabs (ed [1]) > 1e300 || fabs (ed [2]) > 1e300)
                continue;
            double ar = mf_fexp_scale (ef [2], (int64_t) ef [4]);
            double ai = mf_fexp_scale (ef [3], (int64_t) ef [4]);
            double scale = fabs (ed [1]) + fabs (ed [2]);
            ck_assert_msg (fabs (ar - ed [1]) + fabs (ai - ed [2]) <= 1e-12 * scale,
                           "level %d entry %llu: A %g%+gi against %g%+gi", level,
                           (unsigned long long) j, ar, ai, ed [1], ed [2]);
            double rd = ed [0], r = mf_fexp_scale (ef [0], (int64_t) ef [1]);
            ck_assert_msg (fabs (r - rd) <= 1e-9 * rd || (rd == 0 && r < 1e-300),
                           "level %d entry %llu: R %g against %g", level,
                           (unsigned long long) j, r, rd);
            compared++;
        }
    ck_assert_int_gt (compared, 1000);
    mf_bla_destroy (&bd);
    mf_bla_destroy (&bf);
    s_close (&d);
    s_close (&f);
}
END_TEST

START_TEST (overflowing_entries_are_never_valid)
{
    //  c = -2: Z = 0, -2, 2, 2, ...: |A| = 4^(2^l) overflows doubles from
    //  level 9 on. Those entries get R = 0; no radius is NaN.
    mpfr_t re, im;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mpfr_set_si (re, -2, MPFR_RNDN);
    mpfr_set_zero (im, 1);
    char err [256];
    mf_orbit_t *orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), 5000, MF_DELTA_DOUBLE,
                                             NULL, err, sizeof err);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    mf_bla_t *bla = mf_bla_new (orbit, mf_fexp_from_double (1e-30), err, sizeof err);
    ck_assert_int_ge (mf_bla_top (bla), 10);
    for (int level = 1; level <= mf_bla_top (bla); level++)
        for (uint64_t j = 0; j < mf_bla_count (bla, level); j++) {
            const double *e = mf_bla_entry (bla, level, j);
            ck_assert (e [0] >= 0 && !isnan (e [0]));
            if (!isfinite (e [1]) || !isfinite (e [3]))
                ck_assert (e [0] == 0);
        }
    ck_assert (!isfinite (mf_bla_entry (bla, 10, 0) [1]) && mf_bla_entry (bla, 10, 0) [0] == 0);
    mf_bla_destroy (&bla);
    mf_orbit_destroy (&orbit);
}
END_TEST

START_TEST (points_hold_the_orbit_and_level_one)
{
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        s_view_t v;
        s_open (&v, LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, 5000, type);
        mf_bla_t *bla = s_table (&v, MF_BLA_LOG2_EPS);
        const double *points = mf_bla_points (bla);
        uint64_t count1 = mf_bla_count (bla, 1);
        bool fexp = type == MF_DELTA_FEXP;
        for (uint64_t m = 0; m < mf_orbit_count (v.orbit); m++) {
            const double *p = points + m * (fexp? MF_BLA_POINT_FEXP: MF_BLA_POINT_DOUBLE);
            mf_fexpc_t z = mf_orbit_point (v.orbit, m);
            bool start = (m & 1) && (m - 1) / 2 < count1;
            //  Where a run starts, its offset (to search it), else 0.
            double offset = start? (double) mf_bla_run_offset (mf_bla_top (bla), (m - 1) / 2): 0;
            if (fexp) {
                ck_assert (p [0] == z.re && p [1] == z.im && p [2] == (double) z.e);
                const double *r = start? mf_bla_entry (bla, 1, (m - 1) / 2): NULL;
                ck_assert (start? p [3] == r [0] && p [4] == r [1]:
                                  p [3] == 0 && p [4] == (double) MF_FEXP_ZERO_E);
                ck_assert (p [5] == offset && p [6] == 0 && p [7] == 0);
            }
            else {
                ck_assert (p [0] == mf_fexpc_re_double (z) && p [1] == mf_fexpc_im_double (z));
                ck_assert (p [2] == (start? mf_bla_entry (bla, 1, (m - 1) / 2) [0]: 0.0));
                ck_assert (p [3] == offset);
            }
        }
        mf_bla_destroy (&bla);
        s_close (&v);
    }
}
END_TEST

START_TEST (radii_follow_the_runs)
{
    //  mf_bla_radii: each run's radii in order, then a 0; zeros after the
    //  last run. In floatexp the radii keep their exponents.
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        s_view_t v;
        s_open (&v, LOC_E50_CENTER, LOC_E50_ZOOM, 20000, type);
        mf_bla_t *bla = s_table (&v, MF_BLA_LOG2_EPS);
        bool fexp = type == MF_DELTA_FEXP;
        size_t width = fexp? MF_BLA_RADIUS_FEXP: MF_BLA_RADIUS_DOUBLE;
        size_t entry = fexp? MF_BLA_ENTRY_FEXP: MF_BLA_ENTRY_DOUBLE;
        int top = mf_bla_top (bla);
        uint64_t starts = mf_bla_count (bla, 1), nonzero = 0;
        const double *radii = mf_bla_radii (bla);
        for (uint64_t i = 0; i < starts; i++) {
            uint64_t offset = mf_bla_run_offset (top, i);
            const double *r = radii + (offset + i) * width;
            const double *run = mf_bla_runs (bla) + offset * entry;
            int count = mf_bla_run_count (top, i);
            for (int k = 0; k < count; k++) {
                ck_assert (r [k * width] == run [k * entry]);
                if (fexp)
                    ck_assert (r [k * width + 1] == run [k * entry + 1]);
                nonzero += r [k * width] > 0;
            }
            ck_assert (r [count * width] == 0);
            if (fexp)
                ck_assert (r [count * width + 1] == (double) MF_FEXP_ZERO_E);
        }
        uint64_t end = mf_bla_run_offset (top, starts - 1) + (uint64_t) mf_bla_run_count (top, starts - 1)
                     + starts;
        for (int k = 0; k < MF_BLA_RADII_PAD; k++)
            ck_assert (radii [(end + (uint64_t) k) * width] == 0);
        ck_assert_uint_gt (nonzero, starts);
        mf_bla_destroy (&bla);
        s_close (&v);
    }
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("bla");
    TCase *tc = tcase_create ("bla");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, levels_have_their_shape);
    tcase_add_test (tc, skips_match_the_steps_they_replace);
    tcase_add_test (tc, radii_never_grow_with_the_level);
    tcase_add_test (tc, the_same_bits_from_every_build);
    tcase_add_test (tc, floatexp_tables_agree_with_doubles);
    tcase_add_test (tc, overflowing_entries_are_never_valid);
    tcase_add_test (tc, points_hold_the_orbit_and_level_one);
    tcase_add_test (tc, radii_follow_the_runs);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
