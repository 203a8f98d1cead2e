/*  The kernel at known points, and the tile function against single
    pixels (the mapping is by global pixel, whatever the tile). */
#include "helpers.h"
#include "mf_kernel.h"
#include "mf_mu.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

//  mu of the single point c, computed through a 1x1 tile whose sample
//  point is exactly c: with d = 2^-60, half a pixel is below the last bit
//  of every c used here, so xmin + d/2 rounds back to cr.
static float
s_point (double cr, double ci, uint32_t maxiter)
{
    double d = ldexp (1.0, -60);
    mf_task_t task = {
        .map = { .xmin = cr - 0.5 * d, .ymax = ci + 0.5 * d, .d = d },
        .maxiter = maxiter, .rect = { 0, 0, 1, 1 }
    };
    ck_assert (mf_pixel_re (&task.map, 0) == cr && mf_pixel_im (&task.map, 0) == ci);
    float mu;
    mf_kernel_reference (&task, &mu, NULL);
    return mu;
}

START_TEST (interior_points)
{
    //  0 is fixed, -1 has period 2, -2 lands on the fixed point 2, i is
    //  preperiodic, 0.25 is the cusp (converges slowly to 1/2).
    ck_assert (s_point (0, 0, 1000) == MF_MU_INTERIOR);
    ck_assert (s_point (-1, 0, 1000) == MF_MU_INTERIOR);
    ck_assert (s_point (-2, 0, 1000) == MF_MU_INTERIOR);
    ck_assert (s_point (0, 1, 1000) == MF_MU_INTERIOR);
    ck_assert (s_point (0.25, 0, 1000) == MF_MU_INTERIOR);
    ck_assert (s_point (-0.1, 0.1, 1) == MF_MU_INTERIOR);
}
END_TEST

START_TEST (escaping_points)
{
    //  c = 1: 1, 2, 5, 26, 677 -> escapes at n = 5.
    float mu = s_point (1, 0, 1000);
    ck_assert_msg (fabs (mu - (9.0 - log2 (2.0 * log2 (677.0)))) < 1e-5, "mu(1) = %.9g", mu);
    ck_assert (mu >= 4.0f && mu <= 5.0f);
    //  c = 2: 2, 6, 38, 1446 -> n = 4.
    mu = s_point (2, 0, 1000);
    ck_assert_msg (fabs (mu - (8.0 - log2 (2.0 * log2 (1446.0)))) < 1e-5, "mu(2) = %.9g", mu);
    //  Escape at the last allowed iteration still counts as escaped.
    ck_assert (s_point (1, 0, 5) >= 4.0f);
    ck_assert (s_point (1, 0, 4) == MF_MU_INTERIOR);
    //  Far away: |z_1| = |c| > 256 gives n = 1, mu clamped into [0, 1].
    mu = s_point (300, 0, 10);
    ck_assert (mu >= 0.0f && mu <= 1.0f);
    ck_assert (s_point (1e6, 1e6, 10) == 0.0f);
    ck_assert (s_point (1e300, 0, 10) == 0.0f);
    //  Just outside the cusp it takes hundreds of iterations.
    mu = s_point (0.2501, 0, 100000);
    ck_assert_msg (mu > 250 && mu < 400, "mu(0.2501) = %g", mu);
    //  Symmetric about the real axis, bit for bit.
    ck_assert (s_point (-0.7, 0.35, 5000) == s_point (-0.7, -0.35, 5000));
}
END_TEST

START_TEST (tile_matches_pixels)
{
    mf_view_t view = { -0.7436, 0.1318, 0.01, 200, 150 };
    mf_task_t task = { .maxiter = 800, .rect = { 37, 51, 23, 19 } };
    mf_view_mapping (&view, &task.map);
    float tile [23 * 19];
    uint64_t iterations = mf_kernel_reference (&task, tile, NULL);
    uint64_t sum = 0;
    for (uint32_t row = 0; row < 19; row++)
        for (uint32_t col = 0; col < 23; col++) {
            mf_task_t one = task;
            one.rect = (mf_rect_t) { 37 + col, 51 + row, 1, 1 };
            float mu;
            sum += mf_kernel_reference (&one, &mu, NULL);
            ck_assert_msg (memcmp (&mu, &tile [row * 23 + col], 4) == 0,
                           "pixel (%u,%u) differs", col, row);
        }
    ck_assert (iterations == sum);
    ck_assert (iterations > 23 * 19);
}
END_TEST

START_TEST (registry)
{
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    ck_assert (count >= 1);
    ck_assert_ptr_nonnull (mf_kernel_best ());
    ck_assert_ptr_eq (mf_kernel_find ("auto"), mf_kernel_best ());
    ck_assert_ptr_nonnull (mf_kernel_find ("scalar"));
    ck_assert_ptr_null (mf_kernel_find ("no-such-kernel"));
    ck_assert_ptr_nonnull (strstr (mf_kernel_names (), "scalar"));
    (void) list;
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("kernel");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, interior_points);
    tcase_add_test (tc, escaping_points);
    tcase_add_test (tc, tile_matches_pixels);
    tcase_add_test (tc, registry);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
