/*  bench_kernel: per kernel variant, iterations per second on one core
    and cycles per iteration, on fixed views; and the master's work
    outside the workers (coloring and PNG) on the default view.

    Run by `make bench` (scripts/bench.sh); never part of `make test`.

        bench_kernel [--quick] [--json FILE]

    Cycles: perf counters are often missing in VMs, so the core clock is
    measured instead, with a chain of dependent integer additions (one
    cycle each on every x86-64 core), right before and after each timed
    run; cycles per iteration = seconds x clock / iterations. Times are
    the thread's CPU time, the minimum of several runs, so that other
    processes on the machine disturb them less.

    Iterations are those the kernels report: the iterations of each orbit
    that were computed and used (see common/mf_kernel_simd.h). On "cusp"
    every lane runs to maxiter and no shortcut can end it: the raw loop.
    On "edge" every pixel escapes, after 1050 iterations on average: the
    loop with lane refill and exact escapes. On the others, pixels the
    cardioid, bulb and cycle tests settle cost few or no iterations; they
    are shown as pixels per second too.
*/
#include "mf_kernel.h"
#include "mf_palette.h"
#include "mf_png.h"
#include "mf_util.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TILE 64                         //  tile edge, as the farm's default, pixels

typedef struct {
    const char *name;
    double re, im, width;
    uint32_t w, h, maxiter;
} s_view_t;

static const s_view_t s_views [] = {
    //  Inside the cardioid next to its cusp, but outside the shrunk test,
    //  and converging too slowly for the cycle test: every lane iterates
    //  to maxiter, nothing escapes. The loop alone.
    { "cusp", 0.2500002, 0.0, 1e-6, 256, 256, 20000 },
    //  Every pixel escapes, after 1050 iterations on average: lane refill
    //  and replays at full rate.
    { "edge", -0.743643887037151, 0.131825904205330, 1e-8, 256, 256, 20000 },
    { "default", -0.75, 0.0, 3.5, 960, 540, 1000 },
    { "spiral", -0.7436438870371587, 0.1318259042053119, 1e-4, 480, 360, 5000 },
    { "minibrot", -0.7437911560181347, 0.1316612922633015, 4e-10, 320, 240, 20000 },
};
#define VIEW_COUNT (sizeof s_views / sizeof s_views [0])

static double
s_cpu_seconds (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

//  The core clock in GHz, or 0 where it cannot be measured.
static double
s_clock_ghz (void)
{
#if defined (__x86_64__)
    double best = 0;
    for (int round = 0; round < 3; round++) {
        long count = 50000000, sum = 0;
        double start = s_cpu_seconds ();
        __asm__ volatile (
            "1:\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
            "sub $8, %1\n\tjnz 1b\n" : "+r" (sum), "+r" (count));
        double ghz = 50e6 / (s_cpu_seconds () - start) / 1e9;
        if (ghz > best)
            best = ghz;
    }
    return best;
#else
    return 0;
#endif
}

//  Renders the view in tiles with kernel; returns the iterations reported.
static uint64_t
s_render (const mf_kernel_t *kernel, const s_view_t *v, float *mu, float *tile)
{
    mf_view_t view = { v->re, v->im, v->width, v->w, v->h };
    mf_task_t task = { .maxiter = v->maxiter };
    mf_view_mapping (&view, &task.map);
    uint64_t iterations = 0;
    for (uint32_t y = 0; y < v->h; y += TILE)
        for (uint32_t x = 0; x < v->w; x += TILE) {
            task.rect = (mf_rect_t) { x, y, v->w - x < TILE? v->w - x: TILE,
                                      v->h - y < TILE? v->h - y: TILE };
            iterations += kernel->fn (&task, tile, NULL);
            for (uint32_t row = 0; row < task.rect.h; row++)
                memcpy (mu + (size_t) (y + row) * v->w + x, tile + (size_t) row * task.rect.w,
                        task.rect.w * sizeof (float));
        }
    return iterations;
}

static void
s_kernels (FILE *json, bool quick, double *ghz_out)
{
    float *mu = malloc (1024 * 1024 * sizeof (float));
    float *tile = aligned_alloc (64, TILE * TILE * sizeof (float));
    float *check = malloc (1024 * 1024 * sizeof (float));
    if (!mu || !tile || !check) {
        fprintf (stderr, "bench_kernel: out of memory\n");
        exit (1);
    }
    double ghz = s_clock_ghz ();
    *ghz_out = ghz;
    printf ("Kernels, one core, tiles of %dx%d (core clock measured: %.2f GHz)\n", TILE, TILE, ghz);
    printf ("%-10s %-9s %10s %12s %12s %12s  %s\n", "kernel", "view", "Giter/s",
            "cycles/iter", "Mpixel/s", "iterations", "same as first");
    fprintf (json, "  \"clock_ghz\": %.3f,\n  \"kernels\": [", ghz);
    size_t count;
    const mf_kernel_t *list = mf_kernel_list (&count);
    bool first = true;
    for (size_t v = 0; v < VIEW_COUNT; v++) {
        const s_view_t *view = &s_views [v];
        size_t pixels = (size_t) view->w * view->h;
        bool have_check = false;
        for (size_t k = 0; k < count; k++) {
            const mf_kernel_t *kernel = &list [k];
            if (!mf_kernel_usable (kernel))
                continue;
            //  The plain loops are slow: one run, on the lighter views.
            bool slow = kernel->fn == mf_kernel_reference
                     || strcmp (kernel->name, "scalar") == 0;
            if (slow && (quick || view->maxiter > 5000))
                continue;
            int runs = slow || quick? 1: 5;
            double best = 1e30, clock_before = s_clock_ghz ();
            uint64_t iterations = 0;
            for (int run = 0; run < runs; run++) {
                double start = s_cpu_seconds ();
                iterations = s_render (kernel, view, mu, tile);
                double took = s_cpu_seconds () - start;
                if (took < best)
                    best = took;
            }
            double clock = (clock_before + s_clock_ghz ()) / 2;
            bool same = true;
            if (!have_check) {
                memcpy (check, mu, pixels * sizeof (float));
                have_check = true;
            }
            else
                same = memcmp (check, mu, pixels * sizeof (float)) == 0;
            double giter = iterations / best / 1e9;
            double cycles = clock > 0? best * clock * 1e9 / (double) iterations: 0;
            printf ("%-10s %-9s %10.3f %12.3f %12.2f %12llu  %s\n", kernel->name, view->name,
                    giter, cycles, pixels / best / 1e6, (unsigned long long) iterations,
                    same? "yes": "NO");
            fprintf (json, "%s\n    { \"kernel\": \"%s\", \"view\": \"%s\", \"maxiter\": %u, "
                     "\"pixels\": %zu, \"iterations\": %llu, \"seconds\": %.6f, "
                     "\"giter_per_s\": %.4f, \"cycles_per_iter\": %.4f, \"clock_ghz\": %.3f, "
                     "\"mpixel_per_s\": %.3f, \"exact\": %s }",
                     first? "": ",", kernel->name, view->name, view->maxiter, pixels,
                     (unsigned long long) iterations, best, giter, cycles, clock,
                     pixels / best / 1e6, same? "true": "false");
            first = false;
        }
    }
    fprintf (json, "\n  ],\n");
    free (mu);
    free (tile);
    free (check);
}

typedef struct {
    const mf_palette_t *palette;
    const float *mu;
    uint32_t width;
} s_colorer_t;

static void
s_color_rows (void *arg, uint32_t y, uint32_t count, uint8_t *rgb)
{
    const s_colorer_t *self = arg;
    mf_palette_color (self->palette, self->mu + (size_t) y * self->width,
                      (size_t) count * self->width, rgb);
}

static double
s_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

//  Coloring + PNG of the default view at 1920x1080, as the master does it.
static void
s_output (FILE *json, bool quick)
{
    const uint32_t w = 1920, h = 1080;
    float *mu = malloc ((size_t) w * h * sizeof (float));
    uint8_t *rgb = malloc ((size_t) w * h * 3);
    if (!mu || !rgb) {
        fprintf (stderr, "bench_kernel: out of memory\n");
        exit (1);
    }
    mf_view_t view = { -0.75, 0.0, 3.5, w, h };
    mf_task_t task = { .maxiter = 1000, .rect = { 0, 0, w, h } };
    mf_view_mapping (&view, &task.map);
    mf_kernel_best ()->fn (&task, mu, NULL);
    const mf_palette_t *palette = mf_palette_find ("classic");
    s_colorer_t colorer = { palette, mu, w };
    int runs = quick? 2: 7, threads = mf_online_cpus ();
    double color = 1e30, png1 = 1e30, png = 1e30;
    long size = 0;
    for (int run = 0; run < runs; run++) {
        double start = s_cpu_seconds ();
        mf_palette_color (palette, mu, (size_t) w * h, rgb);
        double took = s_cpu_seconds () - start;
        color = took < color? took: color;
        char err [256];
        for (int pass = 0; pass < 2; pass++) {
            FILE *file = tmpfile ();
            if (!file) {
                fprintf (stderr, "bench_kernel: cannot open a temporary file\n");
                exit (1);
            }
            start = s_wall ();
            if (mf_png_write_image (file, w, h, NULL, 0, MF_PNG_DEFAULT_LEVEL, s_color_rows,
                                    &colorer, pass? threads: 1, err, sizeof err)) {
                fprintf (stderr, "bench_kernel: %s\n", err);
                exit (1);
            }
            took = s_wall () - start;
            size = ftell (file);
            fclose (file);
            if (pass)
                png = took < png? took: png;
            else
                png1 = took < png1? took: png1;
        }
    }
    printf ("\nOutput of the default view, 1920x1080 (min of %d runs):\n", runs);
    printf ("  coloring alone, 1 thread        %7.2f ms\n", color * 1e3);
    printf ("  coloring + PNG, 1 thread        %7.2f ms\n", png1 * 1e3);
    printf ("  coloring + PNG, %d threads       %7.2f ms  (%ld bytes)\n", threads, png * 1e3, size);
    printf ("OUTPUT_MS=%.3f\n", png * 1e3);
    fprintf (json, "  \"output\": { \"view\": \"default\", \"size\": \"1920x1080\", "
             "\"color_ms\": %.3f, \"color_png_1thread_ms\": %.3f, \"color_png_ms\": %.3f, "
             "\"threads\": %d, \"png_bytes\": %ld },\n",
             color * 1e3, png1 * 1e3, png * 1e3, threads, size);
    free (mu);
    free (rgb);
}

int
main (int argc, char *argv [])
{
    const char *json_path = NULL;
    bool quick = false;
    for (int index = 1; index < argc; index++) {
        if (strcmp (argv [index], "--quick") == 0)
            quick = true;
        else
        if (strcmp (argv [index], "--json") == 0 && index + 1 < argc)
            json_path = argv [++index];
        else {
            fprintf (stderr, "bench_kernel: unknown argument '%s'; use --quick, --json FILE\n",
                     argv [index]);
            return 2;
        }
    }
    FILE *json = json_path? fopen (json_path, "w"): fopen ("/dev/null", "w");
    if (!json) {
        fprintf (stderr, "bench_kernel: cannot write '%s'\n", json_path);
        return 2;
    }
    fprintf (json, "{\n");
    double ghz;
    s_kernels (json, quick, &ghz);
    s_output (json, quick);
    fprintf (json, "  \"best_kernel\": \"%s\"\n}\n", mf_kernel_best ()->name);
    return fclose (json) == 0? 0: 1;
}
