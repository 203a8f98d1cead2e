/*  The automatic choices of deep views (mf_deep_auto): --iter auto from
    the view and its reference, and the color density from the image, an
    exact percentile that no order or tile split can change.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_deep_auto.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static mf_deep_view_t *
s_view (const char *center, const char *width, const char *zoom)
{
    char err [512];
    mf_deep_view_t *view = mf_deep_view_new (center, width, zoom, 320, 180, err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    return view;
}

static mf_orbit_t *
s_orbit (const char *re, uint32_t maxiter)
{
    mpfr_t cr, ci;
    mpfr_inits2 (64, cr, ci, (mpfr_ptr) 0);
    mpfr_set_str (cr, re, 10, MPFR_RNDN);
    mpfr_set_zero (ci, 1);
    char err [256];
    mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), maxiter,
                                             MF_DELTA_DOUBLE, NULL, err, sizeof err);
    mpfr_clears (cr, ci, (mpfr_ptr) 0);
    ck_assert_ptr_nonnull (orbit);
    return orbit;
}

START_TEST (iter_auto_follows_its_rule)
{
    //  line: zoom 1.4e28, 29 decades: cap 10^6, floor 1000 + 2900.
    mf_deep_view_t *line = s_view (LOC_LINE_CENTER, NULL, LOC_LINE_ZOOM);
    ck_assert_uint_eq (mf_deep_auto_cap (line), 1000000);
    char err [256];
    mf_orbit_t *orbit = mf_orbit_compute (line, mf_deep_auto_cap (line), NULL, err, sizeof err);
    ck_assert (mf_orbit_escaped (orbit));
    uint64_t escape = mf_orbit_count (orbit) - 1;
    ck_assert_uint_eq (escape, 904);                 //  the center escapes at 904
    ck_assert_uint_eq (mf_deep_auto_maxiter (line, orbit), 3900);   //  the floor wins
    mf_orbit_destroy (&orbit);
    //  A reference escaping late: twice its escape time.
    orbit = s_orbit ("0.2500001", 1000000);          //  escapes after about 9900 steps
    ck_assert (mf_orbit_escaped (orbit));
    escape = mf_orbit_count (orbit) - 1;
    ck_assert (escape > 5000);
    ck_assert_uint_eq (mf_deep_auto_maxiter (line, orbit), 2 * escape);
    mf_orbit_destroy (&orbit);
    //  A reference that never escapes: the cap it was computed to.
    orbit = s_orbit ("-1", 123456);
    ck_assert_uint_eq (mf_deep_auto_maxiter (line, orbit), 123456);
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&line);
    //  2e-2608 wide at 320x180: zoom 4 / (2e-2608 * 180 / 320), 2609
    //  decades: cap 26,090,000.
    mf_deep_view_t *deep = s_view ("-1.9,0", "2e-2608", NULL);
    ck_assert_uint_eq (mf_deep_auto_cap (deep), 26090000);
    mf_deep_view_destroy (&deep);
    //  The cap and maxiter stop at 2^32 - 1.
    deep = s_view ("-1.9,0", "1e-500000", NULL);
    ck_assert_uint_eq (mf_deep_auto_cap (deep), 4294967295u);
    orbit = s_orbit ("1", 10);
    ck_assert_uint_eq (mf_deep_auto_maxiter (deep, orbit), 1000u + 100u * 500001u);
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&deep);
}
END_TEST

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

START_TEST (density_is_an_exact_percentile)
{
    //  0 .. 999 with interior pixels among them: lo 0, p99 the value of
    //  rank floor (0.99 * 999) = 989.
    double mu [1200];
    for (int index = 0; index < 1200; index++)
        mu [index] = index < 1000? (double) ((index * 7919) % 1000): -1.0;
    mf_deep_density_t density;
    ck_assert_int_eq (mf_deep_density (mu, 1200, &density), 0);
    ck_assert (density.lo == 0.0 && density.scale == 576.0 / 990.0);
    //  Against a sort, over values of every kind: deep mu, fractions,
    //  duplicates, huge counts.
    uint64_t state = 42;
    for (int round = 0; round < 20; round++) {
        size_t count = 1 + (size_t) round * 997;
        double *values = malloc (count * sizeof (double));
        double *sorted = malloc (count * sizeof (double));
        size_t escaped = 0;
        for (size_t index = 0; index < count; index++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            double v = 263000.0 + (double) (state >> 40) / 8192.0;
            if (round % 3 == 1)
                v = floor (v / 64.0);                       //  many duplicates
            if (round % 3 == 2)
                v = 4294967295.0 - (double) (state >> 50);  //  near 2^32
            values [index] = (state >> 20) % 7 == 0? -1.0: v;
            if (values [index] >= 0)
                sorted [escaped++] = values [index];
        }
        mf_deep_density_t d;
        if (escaped == 0) {
            ck_assert_int_eq (mf_deep_density (values, count, &d), -1);
            ck_assert (d.lo == 1.0 && d.scale == 1.0);
        }
        else {
            qsort (sorted, escaped, sizeof (double), s_compare);
            ck_assert_int_eq (mf_deep_density (values, count, &d), 0);
            double p99 = sorted [(escaped - 1) * 99 / 100];
            ck_assert (d.lo == sorted [0]);
            ck_assert (d.scale == MF_DENSITY_SPAN / (p99 - sorted [0] + 1.0));
            //  Any order, any split into tiles: the same.
            qsort (values, count, sizeof (double), s_compare);
            mf_deep_density_t again;
            ck_assert_int_eq (mf_deep_density (values, count, &again), 0);
            ck_assert (again.lo == d.lo && again.scale == d.scale);
        }
        free (values);
        free (sorted);
    }
}
END_TEST

START_TEST (density_maps_for_the_palette)
{
    double mu [] = { 263000.0, -1.0, 263099.0, 264000.0, 263000.5 };
    mf_deep_density_t density = { 263000.0, 576.0 / 100.0 };
    float out [5];
    mf_deep_density_apply (&density, mu, 5, out);
    ck_assert (out [0] == 5.76f && out [1] == -1.0f && out [2] == 576.0f);
    ck_assert (out [3] == (float) (1001.0 * 5.76) && out [4] == (float) (1.5 * 5.76));
    //  No pixel escaped: the identity, interior stays interior.
    double inside [] = { -1.0, -1.0 };
    ck_assert_int_eq (mf_deep_density (inside, 2, &density), -1);
    mf_deep_density_apply (&density, mu, 5, out);
    ck_assert (out [0] == 263000.0f && out [1] == -1.0f);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deep_auto");
    TCase *tc = tcase_create ("auto");
    tcase_add_test (tc, iter_auto_follows_its_rule);
    tcase_add_test (tc, density_is_an_exact_percentile);
    tcase_add_test (tc, density_maps_for_the_palette);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
