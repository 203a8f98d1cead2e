/*  Every perturbation kernel variant this machine can run against
    mf_perturb_reference, bit for bit, over deep views chosen to go
    through every path of mf_perturb_simd.h: double and floatexp deltas,
    BLA steps of every level, rebases, orbits that run out, iteration
    limits that cut BLA skips, a reference offset, no rebasing (the
    negative control's switch), and tiles of every shape, odd widths
    below a vector's included. Then the registry, the stop flag, and mu's
    fraction at large iteration counts.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_kernel.h"
#include "mf_mu.h"
#include "mf_perturb.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *name;
    const char *center, *zoom;
    uint32_t w, h, maxiter;
    bool no_rebase;
    int offset;                         //  1: the reference sits off the center
} s_case_t;

static const s_case_t s_cases [] = {
    { "e50", LOC_E50_CENTER, LOC_E50_ZOOM, 24, 14, LOC_E50_ITER, false, 0 },
    { "e50 at maxiter 3000", LOC_E50_CENTER, LOC_E50_ZOOM, 24, 14, 3000, false, 0 },
    { "flake", LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, 30, 17, LOC_FLAKE_ITER, false, 0 },
    { "flake, no rebasing", LOC_FLAKE_CENTER, LOC_FLAKE_ZOOM, 30, 17, LOC_FLAKE_ITER, true, 0 },
    { "line, offset", LOC_LINE_CENTER, LOC_LINE_ZOOM, 33, 19, LOC_LINE_ITER, false, 1 },
    { "e318 (floatexp)", LOC_E318_CENTER, LOC_E318_ZOOM, 20, 11, LOC_E318_ITER, false, 0 },
    { "e318 at 1e330 (floatexp)", LOC_E318_CENTER, "1e330", 20, 11, LOC_E318_ITER, false, 1 },
    { "e318, no rebasing", LOC_E318_CENTER, LOC_E318_ZOOM, 20, 11, LOC_E318_ITER, true, 0 },
};

#define CASE_COUNT (sizeof s_cases / sizeof s_cases [0])

//  Tile shapes, as (w, h); 0 means the whole view.
static const uint32_t s_tilings [][2] = { { 0, 0 }, { 13, 7 }, { 3, 5 }, { 1, 1 } };
#define TILING_COUNT (sizeof s_tilings / sizeof s_tilings [0])

typedef struct {
    mf_deep_view_t *view;
    mf_deep_map_t map;
    mf_orbit_t *orbit;
    mf_bla_t *bla;
} s_deep_t;

static void
s_setup (s_deep_t *deep, const s_case_t *c, uint32_t maxiter)
{
    char err [512];
    deep->view = mf_deep_view_new (c->center, NULL, c->zoom, c->w, c->h, err, sizeof err);
    ck_assert_msg (deep->view != NULL, "%s", err);
    ck_assert (mf_deep_view_is_deep (deep->view));
    mf_deep_view_map (deep->view, &deep->map);
    deep->orbit = mf_orbit_compute (deep->view, maxiter, NULL, err, sizeof err);
    ck_assert_msg (deep->orbit != NULL, "%s", err);
    if (c->offset) {
        //  Any offset exercises the path; a third of a pixel's pitch,
        //  both ways, keeps the view where the orbit is.
        mf_fexp_t third = mf_fexp_div (deep->map.pitch, mf_fexp_from_double (3.0));
        deep->map.offset = mf_fexpc_from (third, mf_fexp_neg (third));
    }
    deep->bla = mf_bla_new (deep->orbit, mf_deep_map_cmax (&deep->map), err, sizeof err);
    ck_assert_msg (deep->bla != NULL, "%s", err);
}

static void
s_teardown (s_deep_t *deep)
{
    mf_bla_destroy (&deep->bla);
    mf_orbit_destroy (&deep->orbit);
    mf_deep_view_destroy (&deep->view);
}

//  Runs kernel over the whole view cut in tw x th tiles into mu.
static uint64_t
s_render (const mf_perturb_kernel_t *kernel, const mf_perturb_task_t *whole, uint32_t tw,
          uint32_t th, double *mu, mf_perturb_stats_t *stats)
{
    uint32_t w = whole->rect.w, h = whole->rect.h;
    if (!tw) {
        tw = w;
        th = h;
    }
    double *tile = malloc ((size_t) tw * th * sizeof (double));
    ck_assert_ptr_nonnull (tile);
    for (uint32_t y = 0; y < h; y += th)
        for (uint32_t x = 0; x < w; x += tw) {
            mf_perturb_task_t task = *whole;
            task.rect = (mf_rect_t) { x, y, w - x < tw? w - x: tw, h - y < th? h - y: th };
            memset (tile, 0x7f, (size_t) task.rect.w * task.rect.h * sizeof (double));
            ck_assert_int_eq (kernel->fn (&task, tile, stats), 0);
            for (uint32_t row = 0; row < task.rect.h; row++)
                memcpy (mu + (size_t) (y + row) * w + x, tile + (size_t) row * task.rect.w,
                        task.rect.w * sizeof (double));
        }
    free (tile);
    return stats->iterations;
}

//  The variants this machine runs, reference excluded.
static size_t
s_variants (const mf_perturb_kernel_t **out, size_t max)
{
    size_t count, found = 0;
    const mf_perturb_kernel_t *list = mf_perturb_list (&count);
    for (size_t index = 0; index < count && found < max; index++)
        if (list [index].fn != mf_perturb_reference && mf_perturb_usable (&list [index]))
            out [found++] = &list [index];
    return found;
}

//  Compares every variant and tiling with the reference on one case;
//  returns the reference's statistics.
static mf_perturb_stats_t
s_compare (const s_case_t *c, uint32_t maxiter)
{
    s_deep_t deep;
    s_setup (&deep, c, maxiter);
    mf_perturb_task_t whole = { &deep.map, deep.bla, maxiter, { 0, 0, c->w, c->h }, NULL,
                                c->no_rebase };
    size_t pixels = (size_t) c->w * c->h;
    double *reference = malloc (pixels * sizeof (double));
    double *mu = malloc (pixels * sizeof (double));
    ck_assert (reference && mu);
    mf_perturb_stats_t want = { 0 };
    ck_assert_int_eq (mf_perturb_reference (&whole, reference, &want), 0);
    const mf_perturb_kernel_t *variants [8];
    size_t count = s_variants (variants, 8);
    ck_assert (count >= 1);
    for (size_t v = 0; v < count; v++)
        for (size_t t = 0; t < TILING_COUNT; t++) {
            mf_perturb_stats_t got = { 0 };
            s_render (variants [v], &whole, s_tilings [t][0], s_tilings [t][1], mu, &got);
            for (size_t index = 0; index < pixels; index++)
                ck_assert_msg (memcmp (&mu [index], &reference [index], sizeof (double)) == 0,
                               "%s, maxiter %u, %s kernel, tiles %ux%u: pixel (%zu,%zu) is "
                               "%.17g, the reference says %.17g", c->name, maxiter,
                               variants [v]->name, s_tilings [t][0], s_tilings [t][1],
                               index % c->w, index / c->w, mu [index], reference [index]);
            ck_assert_msg (got.iterations == want.iterations && got.steps == want.steps
                           && got.bla_steps == want.bla_steps && got.rebases == want.rebases,
                           "%s, %s kernel: statistics differ", c->name, variants [v]->name);
        }
    free (reference);
    free (mu);
    s_teardown (&deep);
    return want;
}

START_TEST (views_match_the_reference)
{
    const s_case_t *c = &s_cases [_i];
    mf_perturb_stats_t stats = s_compare (c, c->maxiter);
    //  The case is only worth its time if it goes where it should.
    size_t pixels = (size_t) c->w * c->h;
    ck_assert_msg (stats.bla_steps > pixels, "%s: %llu BLA steps", c->name,
                   (unsigned long long) stats.bla_steps);
    if (!c->no_rebase)
        ck_assert_msg (stats.rebases > pixels / 2, "%s: %llu rebases", c->name,
                       (unsigned long long) stats.rebases);
}
END_TEST

START_TEST (iteration_limits_cut_skips)
{
    //  Limits below, at and around BLA skips of every size: the last
    //  skip of each pixel must end exactly at maxiter.
    static const uint32_t limits [] = { 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 255, 256, 1000,
                                        4097, 65536 };
    s_case_t c = s_cases [0];
    c.w = 9;
    c.h = 5;
    for (size_t index = 0; index < sizeof limits / sizeof limits [0]; index++)
        s_compare (&c, limits [index]);
}
END_TEST

START_TEST (the_stop_flag_stops)
{
    s_deep_t deep;
    s_setup (&deep, &s_cases [0], s_cases [0].maxiter);
    atomic_int stop = 1;
    mf_perturb_task_t task = { &deep.map, deep.bla, s_cases [0].maxiter,
                               { 0, 0, s_cases [0].w, s_cases [0].h }, &stop, false };
    double *mu = calloc ((size_t) task.rect.w * task.rect.h, sizeof (double));
    size_t count;
    const mf_perturb_kernel_t *list = mf_perturb_list (&count);
    for (size_t index = 0; index < count; index++)
        if (mf_perturb_usable (&list [index])) {
            mf_perturb_stats_t stats = { 0 };
            ck_assert_int_eq (list [index].fn (&task, mu, &stats), -1);
            //  Stopped long before the work was done (11k steps a pixel).
            ck_assert (stats.steps < (uint64_t) task.rect.w * task.rect.h * 1000);
        }
    free (mu);
    s_teardown (&deep);
}
END_TEST

START_TEST (mu_keeps_its_fraction)
{
    //  |z| = 500 at n: mu = n + 4 - log2 (log2 (250000)) = n - 0.16384...
    double frac = 4.0 - log2 (log2 (250000.0));
    static const uint32_t counts [] = { 7, 1u << 24, (1u << 24) + 1, 263010, 4294967295u };
    for (size_t index = 0; index < sizeof counts / sizeof counts [0]; index++) {
        double mu = mf_mu_double (counts [index], 300.0, 400.0);
        ck_assert_msg (fabs (mu - ((double) counts [index] + frac)) < 1e-6, "n = %u: %.9f",
                       counts [index], mu);
        //  The float of today's mu is the float of this one.
        ck_assert (mf_mu (counts [index], 300.0, 400.0) == (float) mu);
    }
    //  A float has no fraction left above 2^24: this is why mu is a double.
    ck_assert ((double) mf_mu (4294967295u, 300.0, 400.0) == 4294967296.0);
    ck_assert (mf_mu_double (9, INFINITY, 0.0) == 8.0);
    ck_assert (mf_mu_double (9, 256.0, 0.0) == 9.0);
}
END_TEST

//  In a child process, with MF_KERNEL_DISABLE=disable: 0 when the best
//  perturbation kernel is want (and the disabled ones are not found).
static int
s_best_in_child (const char *disable, const char *want)
{
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        setenv (MF_KERNEL_DISABLE_ENV, disable, 1);
        bool ok = strcmp (mf_perturb_best ()->name, want) == 0
               && (strstr (disable, "avx2") == NULL || mf_perturb_find ("avx2") == NULL);
        _exit (ok? 0: 1);
    }
    int status;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

START_TEST (registry_respects_the_cpu)
{
    //  Another MF_KERNEL_DISABLE needs a process that has not chosen yet
    //  (the choice is made once per process, and inherited by a fork):
    //  children choose afresh, before this process asks the registry.
    unsetenv (MF_KERNEL_DISABLE_ENV);
    ck_assert_int_eq (s_best_in_child ("avx512,avx2,neon", "scalar"), 0);
    ck_assert_int_eq (s_best_in_child ("avx512,avx2,neon,scalar,reference", "reference"), 0);
    size_t count;
    const mf_perturb_kernel_t *list = mf_perturb_list (&count);
    ck_assert_str_eq (list [count - 1].name, "reference");
    for (size_t index = 0; index < count; index++) {
        const mf_perturb_kernel_t *found = mf_perturb_find (list [index].name);
        ck_assert (found == (list [index].supported ()? &list [index]: NULL));
        //  The same variants as the shallow kernels, named alike.
        ck_assert ((mf_kernel_find (list [index].name) != NULL) == (found != NULL));
    }
    ck_assert (mf_perturb_find ("auto") == mf_perturb_best ());
    ck_assert (mf_perturb_find (NULL) == mf_perturb_best ());
    ck_assert_ptr_null (mf_perturb_find ("sse9"));
#if defined (__x86_64__) || defined (__i386__)
    if (!mf_kernel_avx512_supported ())
        th_skip ("this CPU has no AVX-512: the avx512 variant is compiled but not compared here");
#endif
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deep_kernel");
    TCase *tc = tcase_create ("variants");
    tcase_set_timeout (tc, 300);
    tcase_add_loop_test (tc, views_match_the_reference, 0, CASE_COUNT);
    tcase_add_test (tc, iteration_limits_cut_skips);
    tcase_add_test (tc, the_stop_flag_stops);
    tcase_add_test (tc, mu_keeps_its_fraction);
    tcase_add_test (tc, registry_respects_the_cpu);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
