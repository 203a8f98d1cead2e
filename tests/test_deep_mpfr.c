/*  Deep renders against the truth: a brute-force MPFR orbit z = z^2 + c
    at sampled pixels, with c computed in MPFR from the pixel index (never
    from the renderer's rounded delta), at P = log2 (zoom H) + 64 bits.

    The assertion, the issue's: at least 90 % of the samples within 1e-3
    of the kernel's mu, at most 1 % off by more than one iteration (none,
    below 100 samples), none off by more than 10 (an interior pixel on one
    side and an escaped one on the other counts as off by more than 10).

    And the negative controls, which must fail that same check, or the
    check is too weak: flake rendered without rebasing, e50 with BLA at
    eps = 2^-24 (instead of 2^-53), and e318 in double deltas instead of
    floatexp. Each shares its location's truth with the positive test.

    The truths and the judgement are tests/deep_truth.c's, which the
    check through the farm (test_deep_e2e.c) shares.
*/
#include "deep_locations.h"
#include "deep_truth.h"
#include "helpers.h"
#include "mf_mu.h"
#include "mf_perturb.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int log2_eps;                       //  BLA's eps
    bool no_rebase;                     //  the no-rebasing control
    bool force_double;                  //  double deltas whatever the depth
} s_setting_t;

//  Renders the samples with the best kernel under setting, compares
//  them with the truth. Returns 1 when the assertion holds; describes
//  the comparison in report.
static int
s_check (const th_loc_t *loc, const th_sample_t *samples, mf_deep_view_t *view,
         s_setting_t setting, char *report, size_t size)
{
    char err [512];
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    if (setting.force_double)
        map.type = MF_DELTA_DOUBLE;
    mpfr_t re, im;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (view, re, im);
    mf_orbit_t *orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), loc->maxiter, map.type,
                                             NULL, err, sizeof err);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    ck_assert_msg (orbit != NULL, "%s", err);
    mf_bla_t *bla = mf_bla_new_eps (orbit, mf_deep_map_cmax (&map), setting.log2_eps, err,
                                    sizeof err);
    ck_assert_msg (bla != NULL, "%s", err);
    const mf_perturb_kernel_t *kernel = mf_perturb_best ();
    double *mu = calloc (loc->samples, sizeof *mu);
    ck_assert_ptr_nonnull (mu);
    for (size_t index = 0; index < loc->samples; index++) {
        const th_sample_t *sample = &samples [index];
        mf_perturb_task_t task = { &map, bla, loc->maxiter, { sample->i, sample->j, 1, 1 },
                                   NULL, setting.no_rebase };
        ck_assert_int_eq (kernel->fn (&task, &mu [index], NULL), 0);
    }
    mf_bla_destroy (&bla);
    mf_orbit_destroy (&orbit);
    char judged [200];
    int ok = th_deep_judge (samples, mu, loc->samples, judged, sizeof judged);
    snprintf (report, size, "%s (%s kernel)", judged, kernel->name);
    free (mu);
    return ok;
}

//  One location: the truth, the check with the right settings, and the
//  negative controls given (which must fail it).
static void
s_location (const th_loc_t *loc, const s_setting_t *controls, size_t control_count)
{
    char err [512], report [256];
    mf_deep_view_t *view = mf_deep_view_new (loc->center, NULL, loc->zoom, loc->w, loc->h,
                                             err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    th_sample_t *truth = th_deep_truth (loc, view);
    s_setting_t right = { MF_BLA_LOG2_EPS, false, false };
    int ok = s_check (loc, truth, view, right, report, sizeof report);
    printf ("%s at %s: %s\n", loc->zoom, "the right settings", report);
    ck_assert_msg (ok, "zoom %s: %s", loc->zoom, report);
    for (size_t index = 0; index < control_count; index++) {
        ok = s_check (loc, truth, view, controls [index], report, sizeof report);
        printf ("%s, control (eps 2^%d%s%s): %s\n", loc->zoom, controls [index].log2_eps,
                controls [index].no_rebase? ", no rebasing": "",
                controls [index].force_double? ", double deltas": "", report);
        ck_assert_msg (!ok, "zoom %s: the negative control passed: %s", loc->zoom, report);
    }
    free (truth);
    mf_deep_view_destroy (&view);
}

START_TEST (line_1e28)
{
    static const th_loc_t loc = { LOC_LINE_CENTER, LOC_LINE_ZOOM, 320, 180, LOC_LINE_ITER, 100 };
    s_location (&loc, NULL, 0);
}
END_TEST

START_TEST (e50_and_its_control_eps_2_24)
{
    static const th_loc_t loc = { LOC_E50_CENTER, LOC_E50_ZOOM, 320, 180, LOC_E50_ITER, 100 };
    static const s_setting_t control = { -24, false, false };
    s_location (&loc, &control, 1);
}
END_TEST

START_TEST (flake_and_its_control_without_rebasing)
{
    static const th_loc_t loc = { LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, 320, 180, LOC_FLAKE_ITER, 100 };
    static const s_setting_t control = { MF_BLA_LOG2_EPS, true, false };
    s_location (&loc, &control, 1);
}
END_TEST

START_TEST (e318_floatexp_and_its_control_in_doubles)
{
    static const th_loc_t loc = { LOC_E318_CENTER, LOC_E318_ZOOM, 320, 180, LOC_E318_ITER, 50 };
    static const s_setting_t control = { MF_BLA_LOG2_EPS, false, true };
    s_location (&loc, &control, 1);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deep_mpfr");
    TCase *tc = tcase_create ("truth");
    tcase_set_timeout (tc, 600);
    tcase_add_test (tc, line_1e28);
    tcase_add_test (tc, e50_and_its_control_eps_2_24);
    tcase_add_test (tc, flake_and_its_control_without_rebasing);
    tcase_add_test (tc, e318_floatexp_and_its_control_in_doubles);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
