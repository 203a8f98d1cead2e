/*  Every kernel variant this machine can run against mf_kernel_reference,
    bit for bit, over fixed regions chosen to go through every path of
    mf_kernel_simd.h: short orbits that end in the row pre-pass, long ones
    that take lanes from a refill queue and escape at every position of a
    block, the cardioid and bulb tests, the cycle test, orbits that
    overflow, iteration limits around the block sizes, and tiles of every
    shape, odd widths below a vector's included. A stop flag ends every
    variant in the middle of a tile that would take hours, and one left
    unset changes no bit. Then the registry: what this CPU cannot run is
    refused, by the library and by both programs, with status 2 and one
    line; the choice is made once per process.
*/
#include "helpers.h"
#include "mf_kernel.h"
#include "mf_mu.h"
#include "mf_util.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 30000                    //  msecs a program run may take at most
#define BLOCK_MAX 64                    //  the largest SIMD_K of the variants
#define STOP_AFTER_MS 50                //  msecs a kernel runs before the test stops it

//  A view whose every pixel takes hours at maxiter 1e9: around the
//  golden-mean Siegel point of the main cardioid's boundary, where orbits
//  turn around the Siegel disk without escaping, converging or repeating
//  (and no interior test applies: c is on the boundary, not inside).
#define SIEGEL_RE (-0.390540870218399)
#define SIEGEL_IM (-0.586787907346969)
#define SIEGEL_MAXITER 1000000000u

typedef struct {
    const char *name;
    double re, im, width;               //  the view
    uint32_t w, h, maxiter;
} s_region_t;

static const s_region_t s_regions [] = {
    { "full view", -0.75, 0.0, 3.5, 160, 90, 1000 },
    { "seahorse valley", -0.7453, 0.1127, 6.5e-3, 160, 120, 5000 },
    //  A period-69 minibrot about 2e-10 wide, found by Newton's method.
    { "minibrot at width 4e-10", -0.7437911560181347, 0.1316612922633015, 4e-10, 64, 48, 20000 },
    //  Interior-heavy, at the edges of the shortcuts: the cusp, the
    //  valley between cardioid and bulb, a period-3 bulb (only the cycle
    //  test can end those), the period-2 bulb's edge.
    { "cardioid cusp", 0.2501, 0.0, 0.002, 64, 48, 20000 },
    { "valley at -0.75", -0.75, 0.01, 1e-3, 64, 48, 20000 },
    { "period-3 bulb", -0.1225, 0.7449, 0.2, 64, 48, 20000 },
    { "period-2 bulb edge", -1.25, 0.0, 0.01, 64, 48, 20000 },
    //  Far out: |c| up to 1e6, and orbits that overflow to inf and NaN.
    { "far out", 1e5, 1e5, 1e6, 40, 30, 100 },
    { "overflow", 0.0, 0.0, 1e300, 24, 18, 50 },
    { "near overflow", 1e153, -1e153, 3e153, 24, 18, 50 },
};

#define REGION_COUNT (sizeof s_regions / sizeof s_regions [0])

//  Tile shapes each variant is run with, as (w, h); 0 means the whole
//  region. Odd widths below 4 and 8 leave vectors partly empty.
static const uint32_t s_tilings [][2] = { { 0, 0 }, { 64, 64 }, { 13, 7 }, { 3, 5 }, { 1, 1 } };
#define TILING_COUNT (sizeof s_tilings / sizeof s_tilings [0])

static void
s_task (const s_region_t *region, uint32_t maxiter, mf_task_t *task)
{
    mf_view_t view = { region->re, region->im, region->width, region->w, region->h };
    memset (task, 0, sizeof *task);
    mf_view_mapping (&view, &task->map);
    task->maxiter = maxiter;
    task->rect = (mf_rect_t) { 0, 0, region->w, region->h };
}

//  Runs kernel over the region cut in tiles of tw x th (0: one tile) into
//  mu (w * h, row-major). Returns the iterations it reports.
static uint64_t
s_render (const mf_kernel_t *kernel, const mf_task_t *whole, uint32_t tw, uint32_t th,
          float *mu)
{
    uint32_t w = whole->rect.w, h = whole->rect.h;
    if (!tw) {
        tw = w;
        th = h;
    }
    float *tile = malloc ((size_t) tw * th * sizeof (float));
    ck_assert_ptr_nonnull (tile);
    uint64_t iterations = 0;
    for (uint32_t y = 0; y < h; y += th)
        for (uint32_t x = 0; x < w; x += tw) {
            mf_task_t task = *whole;
            task.rect = (mf_rect_t) { x, y, w - x < tw? w - x: tw, h - y < th? h - y: th };
            //  Poison, so a pixel the kernel forgets shows.
            memset (tile, 0x7f, (size_t) task.rect.w * task.rect.h * sizeof (float));
            iterations += kernel->fn (&task, tile, NULL);
            for (uint32_t row = 0; row < task.rect.h; row++)
                memcpy (mu + (size_t) (y + row) * w + x, tile + (size_t) row * task.rect.w,
                        task.rect.w * sizeof (float));
        }
    free (tile);
    return iterations;
}

//  The variants this machine runs, reference excluded.
static size_t
s_variants (const mf_kernel_t **out, size_t max)
{
    size_t count, found = 0;
    const mf_kernel_t *list = mf_kernel_list (&count);
    for (size_t index = 0; index < count && found < max; index++)
        if (list [index].fn != mf_kernel_reference && mf_kernel_usable (&list [index]))
            out [found++] = &list [index];
    return found;
}

//  Whether kernel runs here. If not, says so as a skip of the running
//  test, with the reason: a variant compiled in but not run is never
//  taken for one that passed.
static bool
s_usable_or_skip (const mf_kernel_t *kernel)
{
    if (mf_kernel_usable (kernel))
        return true;
    char why [160];
    if (kernel->supported ())
        snprintf (why, sizeof why, "the %s kernel is compiled in, but %s disables it here",
                  kernel->name, MF_KERNEL_DISABLE_ENV);
    else
        snprintf (why, sizeof why, "the %s kernel is compiled in, but this CPU cannot run it",
                  kernel->name);
    th_skip (why);
    return false;
}

//  Compares the given variants, every tiling, with the reference over
//  one region at maxiter; returns the reference's iteration count.
static uint64_t
s_compare_these (const mf_kernel_t *const variants [], size_t count, const s_region_t *region,
                 uint32_t maxiter, float *reference)
{
    mf_task_t whole;
    s_task (region, maxiter, &whole);
    size_t pixels = (size_t) region->w * region->h;
    float *mu = malloc (pixels * sizeof (float));
    ck_assert_ptr_nonnull (mu);
    uint64_t expected = mf_kernel_reference (&whole, reference, NULL);
    bool interior = false;
    for (size_t index = 0; index < pixels; index++)
        interior |= reference [index] == MF_MU_INTERIOR;
    for (size_t v = 0; v < count; v++)
        for (size_t t = 0; t < TILING_COUNT; t++) {
            uint32_t tw = s_tilings [t][0], th = s_tilings [t][1];
            //  1x1 tiles only where they stay cheap.
            if (tw == 1 && pixels * maxiter > 10000000)
                continue;
            uint64_t got = s_render (variants [v], &whole, tw, th, mu);
            for (size_t index = 0; index < pixels; index++)
                ck_assert_msg (memcmp (&mu [index], &reference [index], sizeof (float)) == 0,
                               "%s, maxiter %u, %s kernel, tiles %ux%u: pixel (%zu,%zu) "
                               "is %.9g, the reference says %.9g", region->name, maxiter,
                               variants [v]->name, tw, th, index % region->w,
                               index / region->w, mu [index], reference [index]);
            //  Shortcuts only ever save iterations; without interior
            //  pixels there is nothing to save.
            ck_assert_msg (interior? got <= expected: got == expected,
                           "%s, %s kernel: %llu iterations, the reference %llu",
                           region->name, variants [v]->name,
                           (unsigned long long) got, (unsigned long long) expected);
        }
    free (mu);
    return expected;
}

//  s_compare_these for every variant this machine runs.
static uint64_t
s_compare (const s_region_t *region, uint32_t maxiter, float *reference)
{
    const mf_kernel_t *variants [8];
    size_t count = s_variants (variants, 8);
    ck_assert (count >= 1);
    return s_compare_these (variants, count, region, maxiter, reference);
}

START_TEST (variant_matches_the_reference)
{
    //  One test per compiled variant (the reference aside, which they
    //  are compared with): every region, every tiling. A variant this
    //  machine cannot run is a skip that says so.
    size_t count;
    const mf_kernel_t *variant = &mf_kernel_list (&count) [_i];
    ck_assert (variant->fn != mf_kernel_reference);
    if (!s_usable_or_skip (variant))
        return;
    for (size_t r = 0; r < REGION_COUNT; r++) {
        const s_region_t *region = &s_regions [r];
        float *reference = malloc ((size_t) region->w * region->h * sizeof (float));
        ck_assert_ptr_nonnull (reference);
        s_compare_these (&variant, 1, region, region->maxiter, reference);
        free (reference);
    }
}
END_TEST

START_TEST (iteration_limits_around_the_blocks)
{
    //  maxiter below, at and around the pre-pass (16) and block (16, 32,
    //  64) boundaries, on a view with every kind of pixel.
    static const uint32_t limits [] = { 1, 2, 3, 5, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49,
                                        63, 64, 65, 80, 81, 100, 127, 128, 129, 144, 145 };
    const s_region_t region = { "around the blocks", -0.6, 0.3, 1.6, 48, 36, 0 };
    float *reference = malloc ((size_t) region.w * region.h * sizeof (float));
    ck_assert_ptr_nonnull (reference);
    for (size_t index = 0; index < sizeof limits / sizeof limits [0]; index++)
        s_compare (&region, limits [index], reference);
    free (reference);
}
END_TEST

START_TEST (regions_go_through_every_path)
{
    //  The regions above are only worth their time if they hold what the
    //  paths need: escapes at every position of a block, after the
    //  pre-pass; and interior pixels. (n is recovered from mu in [n-1, n].)
    bool seen [BLOCK_MAX] = { false };
    size_t interior = 0, long_orbits = 0;
    for (size_t r = 0; r < REGION_COUNT; r++) {
        const s_region_t *region = &s_regions [r];
        mf_task_t task;
        s_task (region, region->maxiter, &task);
        size_t pixels = (size_t) region->w * region->h;
        float *mu = malloc (pixels * sizeof (float));
        ck_assert_ptr_nonnull (mu);
        //  Any usable variant is the reference here (the test above).
        mf_kernel_best ()->fn (&task, mu, NULL);
        for (size_t index = 0; index < pixels; index++) {
            if (mu [index] == MF_MU_INTERIOR) {
                interior++;
                continue;
            }
            uint32_t n = (uint32_t) floorf (mu [index]) + 1;
            if (n > 16 + BLOCK_MAX) {
                long_orbits++;
                seen [(n - 16) % BLOCK_MAX] = true;
            }
        }
        free (mu);
    }
    for (int position = 0; position < BLOCK_MAX; position++)
        ck_assert_msg (seen [position], "no escape at position %d of a block", position);
    ck_assert (long_orbits > 10000);
    ck_assert (interior > 10000);
}
END_TEST

START_TEST (shortcuts_are_taken)
{
    //  Inside the main cardioid and inside the period-2 bulb no variant
    //  iterates; inside a period-3 bulb the cycle test ends the orbits
    //  long before maxiter. The results are still the reference's.
    static const s_region_t inside [] = {
        { "inside the cardioid", -0.2, 0.1, 0.05, 16, 12, 20000 },
        { "inside the period-2 bulb", -1.0, 0.05, 0.05, 16, 12, 20000 },
        { "inside a period-3 bulb", -0.1225, 0.7449, 0.02, 16, 12, 20000 },
    };
    float reference [16 * 12], mu [16 * 12];
    for (size_t r = 0; r < 3; r++) {
        uint64_t expected = s_compare (&inside [r], inside [r].maxiter, reference);
        ck_assert_uint_eq (expected, 16 * 12 * 20000);
        mf_task_t task;
        s_task (&inside [r], inside [r].maxiter, &task);
        const mf_kernel_t *variants [8];
        size_t count = s_variants (variants, 8);
        for (size_t v = 0; v < count; v++) {
            uint64_t got = variants [v]->fn (&task, mu, NULL);
            if (r < 2)
                ck_assert_msg (got == 0, "%s: %s kernel iterated %llu times", inside [r].name,
                               variants [v]->name, (unsigned long long) got);
            else
                ck_assert_msg (got < expected / 10, "%s: %s kernel iterated %llu times",
                               inside [r].name, variants [v]->name, (unsigned long long) got);
        }
    }
}
END_TEST

START_TEST (largest_tile)
{
    //  A 1024-pixel row (the widest tile) and a 1024-pixel column.
    const s_region_t wide = { "1024x2", -0.75, 0.1, 3.5, 1024, 2, 500 };
    const s_region_t tall = { "1x1024", -0.7, 0.0, 0.002, 1, 1024, 500 };
    float *reference = malloc (2048 * sizeof (float));
    ck_assert_ptr_nonnull (reference);
    s_compare (&wide, wide.maxiter, reference);
    s_compare (&tall, tall.maxiter, reference);
    free (reference);
}
END_TEST

//  A task of w x h pixels at the Siegel point, width wide.
static void
s_siegel (uint32_t w, uint32_t h, double width, mf_task_t *task)
{
    const s_region_t siegel = { "siegel", SIEGEL_RE, SIEGEL_IM, width, w, h, SIEGEL_MAXITER };
    s_task (&siegel, SIEGEL_MAXITER, task);
}

typedef struct {
    atomic_bool *flag;
    int msecs;
} s_setter_t;

static void *
s_set_later (void *arg)
{
    s_setter_t *setter = arg;
    usleep ((useconds_t) setter->msecs * 1000);
    atomic_store (setter->flag, true);
    return NULL;
}

START_TEST (stop_flag_ends_every_variant)
{
    //  64x64 pixels of hours each: only the flag can end these calls (the
    //  suite's timeout fails the test if one does not stop).
    mf_task_t task;
    s_siegel (64, 64, 1e-9, &task);
    float *mu = aligned_alloc (64, 64 * 64 * sizeof (float));
    ck_assert_ptr_nonnull (mu);
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    for (size_t index = 0; index < count; index++) {
        const mf_kernel_t *kernel = &list [index];
        if (!mf_kernel_usable (kernel))
            continue;
        //  Set before the call: not a pixel is computed.
        atomic_bool stop = true;
        ck_assert_msg (kernel->fn (&task, mu, &stop) == MF_KERNEL_STOPPED,
                       "%s kernel did not see a flag set before the call", kernel->name);
        //  Set from another thread while it runs.
        atomic_store (&stop, false);
        s_setter_t setter = { &stop, STOP_AFTER_MS };
        pthread_t thread;
        ck_assert_int_eq (pthread_create (&thread, NULL, s_set_later, &setter), 0);
        int64_t start = mf_clock_ms ();
        uint64_t got = kernel->fn (&task, mu, &stop);
        int64_t took = mf_clock_ms () - start;
        pthread_join (thread, NULL);
        ck_assert_msg (got == MF_KERNEL_STOPPED, "%s kernel finished a tile of hours",
                       kernel->name);
        printf ("%s kernel: stopped %lld ms after the call, the flag set after %d ms\n",
                kernel->name, (long long) took, STOP_AFTER_MS);
    }
    free (mu);
}
END_TEST

START_TEST (stop_flag_left_unset_changes_nothing)
{
    //  Every variant, with a flag that stays false, against the reference
    //  without one: the same bits, the same iterations where no shortcut
    //  applies.
    const s_region_t *region = &s_regions [1];
    mf_task_t task;
    s_task (region, region->maxiter, &task);
    size_t pixels = (size_t) region->w * region->h;
    float *reference = malloc (pixels * sizeof (float));
    float *mu = aligned_alloc (64, (pixels * sizeof (float) + 63) / 64 * 64);
    ck_assert (reference && mu);
    uint64_t expected = mf_kernel_reference (&task, reference, NULL);
    atomic_bool stop = false;
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    for (size_t index = 0; index < count; index++) {
        if (!mf_kernel_usable (&list [index]))
            continue;
        uint64_t got = list [index].fn (&task, mu, &stop);
        ck_assert_msg (got != MF_KERNEL_STOPPED && got <= expected, "%s kernel: %llu",
                       list [index].name, (unsigned long long) got);
        ck_assert_msg (memcmp (mu, reference, pixels * sizeof (float)) == 0,
                       "%s kernel with an unset flag differs", list [index].name);
    }
    free (reference);
    free (mu);
}
END_TEST

START_TEST (siegel_view_is_heavy)
{
    //  The premise of the stop tests (here and in test_worker_stop): the
    //  Siegel view's pixels neither escape nor end early, in any variant,
    //  within far more iterations than a test would wait for. Checked on
    //  a few pixels at a lower maxiter, where the kernels must run it out.
    mf_task_t task;
    s_siegel (4, 2, 1e-9, &task);
    task.maxiter = 200000;
    float mu [8];
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    for (size_t index = 0; index < count; index++) {
        if (!mf_kernel_usable (&list [index]))
            continue;
        uint64_t got = list [index].fn (&task, mu, NULL);
        ck_assert_msg (got == 8 * 200000ull, "%s kernel: %llu iterations, not every one",
                       list [index].name, (unsigned long long) got);
        for (int pixel = 0; pixel < 8; pixel++)
            ck_assert (mu [pixel] == MF_MU_INTERIOR);
    }
}
END_TEST

//  The first variant this CPU supports, asked of the CPU directly: what
//  the registry should choose when nothing is disabled.
static const mf_kernel_t *
s_first_supported (void)
{
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    for (size_t index = 0; index < count; index++)
        if (list [index].supported ())
            return &list [index];
    return &list [count - 1];
}

//  In a child process whose registry has not chosen yet, with
//  MF_KERNEL_DISABLE set to disabled: whether the choice is
//  expected_best with expected_names (NULL: not checked), and the
//  disabled variant is refused by name. Returns 0 if so; the child says
//  what differs on stderr.
static int
s_choice_in_child (const char *disabled, const char *expected_best,
                   const char *expected_names, const char *refused)
{
    pid_t pid = fork ();
    if (pid == 0) {
        setenv (MF_KERNEL_DISABLE_ENV, disabled, 1);
        const char *best = mf_kernel_best ()->name;
        const char *names = mf_kernel_names ();
        bool ok = strcmp (best, expected_best) == 0
               && (!expected_names || strcmp (names, expected_names) == 0)
               && (!refused || (!mf_kernel_find (refused)
                                && (!strstr (names, refused) || strcmp (refused, "scalar") == 0)))
               && mf_kernel_find ("auto") == mf_kernel_best ();
        if (!ok)
            fprintf (stderr, "MF_KERNEL_DISABLE=%s: best %s, names '%s'\n", disabled, best, names);
        _exit (ok? 0: 1);
    }
    int status;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

START_TEST (registry_respects_the_cpu)
{
    //  The checks that need another MF_KERNEL_DISABLE run in children, each
    //  choosing afresh: this process has not asked the registry yet (Check
    //  runs each test in a fork of a runner that never does).
    unsetenv (MF_KERNEL_DISABLE_ENV);
    const mf_kernel_t *first = s_first_supported ();
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    //  Disabling the best falls to the next usable one.
    const mf_kernel_t *next = NULL;
    for (const mf_kernel_t *k = first + 1; k < list + count && !next; k++)
        if (k->supported ())
            next = k;
    ck_assert_ptr_nonnull (next);
    ck_assert_int_eq (s_choice_in_child (first->name, next->name, NULL, first->name), 0);
    //  A list: every vector variant off leaves the portable ones.
    ck_assert_int_eq (s_choice_in_child ("avx512,avx2,neon", "scalar", "scalar, reference",
                                         "avx2"), 0);

    //  Here: what the CPU supports, and nothing else.
    ck_assert_str_eq (list [count - 1].name, "reference");
    for (size_t index = 0; index < count; index++) {
        const mf_kernel_t *found = mf_kernel_find (list [index].name);
        ck_assert (found == (list [index].supported ()? &list [index]: NULL));
        ck_assert (!found == !strstr (mf_kernel_names (), list [index].name));
        ck_assert (mf_kernel_usable (&list [index]) == list [index].supported ());
    }
    const mf_kernel_t *best = mf_kernel_best ();
    ck_assert_ptr_eq (best, first);
    ck_assert_ptr_eq (mf_kernel_find ("auto"), best);
    ck_assert_ptr_null (mf_kernel_find ("no-such-kernel"));
    ck_assert_ptr_null (mf_kernel_find (""));

    //  Once chosen, the choice stays: the environment is not read again.
    char names [128];
    snprintf (names, sizeof names, "%s", mf_kernel_names ());
    ck_assert_int_eq (setenv (MF_KERNEL_DISABLE_ENV, best->name, 1), 0);
    ck_assert_ptr_eq (mf_kernel_best (), best);
    ck_assert_ptr_eq (mf_kernel_find (best->name), best);
    ck_assert_str_eq (mf_kernel_names (), names);
    ck_assert (mf_kernel_usable (best));
    unsetenv (MF_KERNEL_DISABLE_ENV);
}
END_TEST

//  Whether text is exactly one line.
static bool
s_one_line (const char *text)
{
    const char *end = strchr (text, '\n');
    return end && end [1] == 0;
}

//  Runs argv with MF_KERNEL_DISABLE set to disabled; returns the status
//  and the output.
static int
s_run_with (const char *disabled, char *const argv [], char *out, size_t size)
{
    if (disabled)
        ck_assert_int_eq (setenv (MF_KERNEL_DISABLE_ENV, disabled, 1), 0);
    int rc = th_run (argv, RUN_MS, out, size);
    unsetenv (MF_KERNEL_DISABLE_ENV);
    return rc;
}

START_TEST (programs_refuse_what_the_cpu_cannot_run)
{
    char *dir = th_tmpdir ();
    ck_assert_ptr_nonnull (dir);
    char png [600], out [2048];
    snprintf (png, sizeof png, "%s/k.png", dir);
    //  The best variant here, as if this CPU lacked it; a variant of
    //  another architecture, compiled in nowhere on this one; and one of
    //  no architecture.
    const char *best = mf_kernel_best ()->name;
#if defined (__aarch64__)
    const char *foreign = "avx2";
#else
    const char *foreign = "neon";
#endif
    const char *cases [][2] = { { best, best }, { NULL, foreign }, { NULL, "avx1024" } };
    for (size_t index = 0; index < 3; index++) {
        const char *name = cases [index][1];
        char *master [] = { (char *) th_bin ("mandelfarm-master"), "--size", "16x16",
                            "-j", "1", "--kernel", (char *) name, "-o", png, NULL };
        ck_assert_int_eq (s_run_with (cases [index][0], master, out, sizeof out), 2);
        ck_assert_msg (strstr (out, "--kernel") && strstr (out, name) && strstr (out, "reference")
                       && s_one_line (out), "master said: %s", out);
        ck_assert (!th_exists (png));
        char *worker [] = { (char *) th_bin ("mandelfarm-worker"), "--connect",
                            "ipc://@mandelfarm-test-nobody", "--kernel", (char *) name, NULL };
        ck_assert_int_eq (s_run_with (cases [index][0], worker, out, sizeof out), 2);
        ck_assert_msg (strstr (out, "--kernel") && strstr (out, name) && s_one_line (out),
                       "worker said: %s", out);
    }
    th_rmdir (dir);
    free (dir);
}
END_TEST

//  Renders a small view with a local worker forced to kernel, -v, into
//  png; returns what the master said (static).
static const char *
s_render_with (const char *kernel, const char *png)
{
    static char out [4096];
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "96x64",
                      "--center", "-0.7436,0.1318", "--width", "0.02", "--iter", "2000",
                      "-j", "1", "--kernel", (char *) kernel, "-v", "-o", (char *) png, NULL };
    ck_assert_msg (th_run (argv, RUN_MS, out, sizeof out) == 0, "--kernel %s: %s", kernel, out);
    return out;
}

START_TEST (workers_report_their_kernel)
{
    //  One test per compiled variant: a local worker forced to it says so
    //  in its HELLO, and the image is the reference variant's, byte for
    //  byte. A variant this machine cannot run is a skip that says so.
    size_t count;
    const mf_kernel_t *kernel = &mf_kernel_list (&count) [_i];
    if (!s_usable_or_skip (kernel))
        return;
    char *dir = th_tmpdir ();
    ck_assert_ptr_nonnull (dir);
    char png [600], ref [600], said [64];
    snprintf (png, sizeof png, "%s/%s.png", dir, kernel->name);
    snprintf (ref, sizeof ref, "%s/reference-kernel.png", dir);
    const char *out = s_render_with (kernel->name, png);
    snprintf (said, sizeof said, "%s kernel", kernel->name);
    ck_assert_msg (strstr (out, said), "no '%s' in: %s", said, out);
    if (kernel->fn != mf_kernel_reference) {
        s_render_with ("reference", ref);
        ck_assert_msg (th_same_file (ref, png), "%s differs from %s", png, ref);
    }
    th_rmdir (dir);
    free (dir);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("kernel_variants");
    //  Two cases: the kernels in this process, and the programs (which
    //  make check-aarch64 leaves out: qemu-user cannot start them).
    TCase *tc = tcase_create ("kernels");
    tcase_set_timeout (tc, 120);
    //  The compiled variants, fastest first, the reference last.
    size_t kernels;
    mf_kernel_list (&kernels);
    tcase_add_loop_test (tc, variant_matches_the_reference, 0, (int) kernels - 1);
    tcase_add_test (tc, iteration_limits_around_the_blocks);
    tcase_add_test (tc, regions_go_through_every_path);
    tcase_add_test (tc, shortcuts_are_taken);
    tcase_add_test (tc, largest_tile);
    tcase_add_test (tc, stop_flag_ends_every_variant);
    tcase_add_test (tc, stop_flag_left_unset_changes_nothing);
    tcase_add_test (tc, siegel_view_is_heavy);
    tcase_add_test (tc, registry_respects_the_cpu);
    suite_add_tcase (suite, tc);
    TCase *programs = tcase_create ("programs");
    tcase_set_timeout (programs, 120);
    tcase_add_test (programs, programs_refuse_what_the_cpu_cannot_run);
    tcase_add_loop_test (programs, workers_report_their_kernel, 0, (int) kernels);
    suite_add_tcase (suite, programs);
    return th_run_suite (suite);
}
