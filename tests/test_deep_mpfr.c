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

    The truths are the expensive part: computed on two threads.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_mu.h"
#include "mf_perturb.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 2                       //  brute-force threads

typedef struct {
    const char *center, *zoom;
    uint32_t w, h, maxiter;
    size_t samples;
} s_loc_t;

typedef struct {
    uint32_t i, j;                      //  the pixel
    double truth;                       //  its mu in MPFR (-1: interior)
} s_sample_t;

typedef struct {
    const s_loc_t *loc;
    const char *width;                  //  the view's width, exact decimal
    long precision;                     //  bits of the truth
    s_sample_t *samples;
    size_t next;                        //  next sample to compute (under lock)
    pthread_mutex_t lock;
} s_truth_t;

//  The truth at one pixel: c = center + ((2i+1-W)/2, (H-2j-1)/2) width/W.
static double
s_brute (const s_truth_t *t, uint32_t i, uint32_t j)
{
    const s_loc_t *loc = t->loc;
    mpfr_t cr, ci, d, k, x, y, s, u, p;
    mpfr_inits2 (t->precision, cr, ci, d, k, x, y, s, u, p, (mpfr_ptr) 0);
    const char *comma = strchr (loc->center, ',');
    char *re = strndup (loc->center, (size_t) (comma - loc->center));
    mpfr_set_str (cr, re, 10, MPFR_RNDN);
    mpfr_set_str (ci, comma + 1, 10, MPFR_RNDN);
    free (re);
    mpfr_set_str (d, t->width, 10, MPFR_RNDN);
    mpfr_div_ui (d, d, loc->w, MPFR_RNDN);
    mpfr_set_si (k, 2 * (long) i + 1 - (long) loc->w, MPFR_RNDN);
    mpfr_mul (k, k, d, MPFR_RNDN);
    mpfr_div_2ui (k, k, 1, MPFR_RNDN);
    mpfr_add (cr, cr, k, MPFR_RNDN);
    mpfr_set_si (k, (long) loc->h - 2 * (long) j - 1, MPFR_RNDN);
    mpfr_mul (k, k, d, MPFR_RNDN);
    mpfr_div_2ui (k, k, 1, MPFR_RNDN);
    mpfr_add (ci, ci, k, MPFR_RNDN);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    double mu = -1.0;
    for (uint32_t n = 1; n <= loc->maxiter; n++) {
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (u, x, y, MPFR_RNDN);
        mpfr_mul (p, x, y, MPFR_RNDN);
        mpfr_mul (x, s, u, MPFR_RNDN);
        mpfr_add (x, x, cr, MPFR_RNDN);
        mpfr_mul_2ui (p, p, 1, MPFR_RNDN);
        mpfr_add (y, p, ci, MPFR_RNDN);
        //  |z| > 256 needs a part of at least 128: test exactly only then.
        if (mpfr_cmpabs_ui (x, 128) >= 0 || mpfr_cmpabs_ui (y, 128) >= 0) {
            double xd = mpfr_get_d (x, MPFR_RNDN), yd = mpfr_get_d (y, MPFR_RNDN);
            if (!(fma (xd, xd, yd * yd) <= MF_BAILOUT_SQ)) {
                mu = mf_mu_double (n, xd, yd);
                break;
            }
        }
    }
    mpfr_clears (cr, ci, d, k, x, y, s, u, p, (mpfr_ptr) 0);
    return mu;
}

static void *
s_worker (void *arg)
{
    s_truth_t *t = arg;
    while (1) {
        pthread_mutex_lock (&t->lock);
        size_t index = t->next++;
        pthread_mutex_unlock (&t->lock);
        if (index >= t->loc->samples)
            return NULL;
        s_sample_t *sample = &t->samples [index];
        sample->truth = s_brute (t, sample->i, sample->j);
    }
}

//  Picks the samples (a fixed sequence, the same on every run) and
//  computes their truths. The caller frees t->samples.
static void
s_truth (s_truth_t *t, const s_loc_t *loc, const mf_deep_view_t *view)
{
    t->loc = loc;
    t->width = mf_deep_view_width_text (view);
    //  P = log2 (zoom H) + 64, zoom H = 4 / d.
    t->precision = (long) ceil (log2 ((double) loc->h) + mf_deep_view_log10_zoom (view)
                                / 0.30102999566398119521) + 64;
    t->samples = calloc (loc->samples, sizeof (s_sample_t));
    ck_assert_ptr_nonnull (t->samples);
    uint64_t state = 0x2545f4914f6cdd1dULL;
    for (size_t index = 0; index < loc->samples; index++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        t->samples [index].i = (uint32_t) ((state >> 33) % loc->w);
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        t->samples [index].j = (uint32_t) ((state >> 33) % loc->h);
    }
    t->next = 0;
    pthread_mutex_init (&t->lock, NULL);
    pthread_t threads [THREADS];
    for (int index = 0; index < THREADS; index++)
        ck_assert_int_eq (pthread_create (&threads [index], NULL, s_worker, t), 0);
    for (int index = 0; index < THREADS; index++)
        pthread_join (threads [index], NULL);
    pthread_mutex_destroy (&t->lock);
}

typedef struct {
    int log2_eps;                       //  BLA's eps
    bool no_rebase;                     //  the no-rebasing control
    bool force_double;                  //  double deltas whatever the depth
} s_setting_t;

//  Renders the samples with the best kernel under setting, compares
//  them with the truth. Returns 1 when the assertion holds; describes
//  the comparison in report.
static int
s_check (const s_truth_t *t, mf_deep_view_t *view, s_setting_t setting, char *report,
         size_t size)
{
    char err [512];
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    if (setting.force_double)
        map.type = MF_DELTA_DOUBLE;
    mpfr_t re, im;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (view, re, im);
    mf_orbit_t *orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), t->loc->maxiter, map.type,
                                             NULL, err, sizeof err);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    ck_assert_msg (orbit != NULL, "%s", err);
    mf_bla_t *bla = mf_bla_new_eps (orbit, mf_deep_map_cmax (&map), setting.log2_eps, err,
                                    sizeof err);
    ck_assert_msg (bla != NULL, "%s", err);
    const mf_perturb_kernel_t *kernel = mf_perturb_best ();
    size_t close = 0, off_one = 0, off_ten = 0;
    double worst = 0;
    for (size_t index = 0; index < t->loc->samples; index++) {
        const s_sample_t *sample = &t->samples [index];
        mf_perturb_task_t task = { &map, bla, t->loc->maxiter, { sample->i, sample->j, 1, 1 },
                                   NULL, setting.no_rebase };
        double mu;
        ck_assert_int_eq (kernel->fn (&task, &mu, NULL), 0);
        double error = (mu < 0) != (sample->truth < 0)? INFINITY: fabs (mu - sample->truth);
        close += error <= 1e-3;
        off_one += error > 1.0;
        off_ten += error > 10.0;
        if (error > worst)
            worst = error;
    }
    mf_bla_destroy (&bla);
    mf_orbit_destroy (&orbit);
    size_t count = t->loc->samples;
    snprintf (report, size, "%zu samples: %zu within 1e-3, %zu off by more than 1, %zu by "
              "more than 10, worst %.3g (%s kernel)", count, close, off_one, off_ten, worst,
              kernel->name);
    return close * 10 >= count * 9 && off_one * 100 <= count && off_ten == 0;
}

//  One location: the truth, the check with the right settings, and the
//  negative controls given (which must fail it).
static void
s_location (const s_loc_t *loc, const s_setting_t *controls, size_t control_count)
{
    char err [512], report [256];
    mf_deep_view_t *view = mf_deep_view_new (loc->center, NULL, loc->zoom, loc->w, loc->h,
                                             err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    s_truth_t truth;
    s_truth (&truth, loc, view);
    s_setting_t right = { MF_BLA_LOG2_EPS, false, false };
    int ok = s_check (&truth, view, right, report, sizeof report);
    printf ("%s at %s: %s\n", loc->zoom, "the right settings", report);
    ck_assert_msg (ok, "zoom %s: %s", loc->zoom, report);
    for (size_t index = 0; index < control_count; index++) {
        ok = s_check (&truth, view, controls [index], report, sizeof report);
        printf ("%s, control (eps 2^%d%s%s): %s\n", loc->zoom, controls [index].log2_eps,
                controls [index].no_rebase? ", no rebasing": "",
                controls [index].force_double? ", double deltas": "", report);
        ck_assert_msg (!ok, "zoom %s: the negative control passed: %s", loc->zoom, report);
    }
    free (truth.samples);
    mf_deep_view_destroy (&view);
}

START_TEST (line_1e28)
{
    static const s_loc_t loc = { LOC_LINE_CENTER, LOC_LINE_ZOOM, 320, 180, LOC_LINE_ITER, 100 };
    s_location (&loc, NULL, 0);
}
END_TEST

START_TEST (e50_and_its_control_eps_2_24)
{
    static const s_loc_t loc = { LOC_E50_CENTER, LOC_E50_ZOOM, 320, 180, LOC_E50_ITER, 100 };
    static const s_setting_t control = { -24, false, false };
    s_location (&loc, &control, 1);
}
END_TEST

START_TEST (flake_and_its_control_without_rebasing)
{
    static const s_loc_t loc = { LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, 320, 180, LOC_FLAKE_ITER, 100 };
    static const s_setting_t control = { MF_BLA_LOG2_EPS, true, false };
    s_location (&loc, &control, 1);
}
END_TEST

START_TEST (e318_floatexp_and_its_control_in_doubles)
{
    static const s_loc_t loc = { LOC_E318_CENTER, LOC_E318_ZOOM, 320, 180, LOC_E318_ITER, 50 };
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
