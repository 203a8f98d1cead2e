/*  bench_deep: renders one deep view with the deep core alone (no farm),
    and says where the time and the memory go: the reference orbit, the
    BLA table, the kernel on N threads over tiles; the orbit's bytes raw
    and with zstd -3 --long; effective iterations per second. Not part of
    `make test`; built by `make build/bench/bench_deep`.

        bench_deep --view NAME [--views FILE] | --center RE,IM (--zoom Z | --width W)
                   [--size WxH] [--iter N|auto] [--threads N] [--tile N]
                   [--kernel NAME] [--png FILE] [--mu FILE] [--orbit FILE]
                   [--orbit-in FILE]
                   [--mpfr-timing]

    Views by name come from bench/deep_views.txt (NAME|CENTER|zoom=Z or
    width=W|ITER). --png writes the image in the default palette with the
    automatic density (mf_deep_auto.h); --mu writes the raw mu, W x H
    doubles in the machine's order, row 0 first (to cmp renders before
    and after a change of the kernels); --orbit writes the reference
    orbit's canonical bytes (mf_orbit.h), and --orbit-in reads them
    instead of computing the reference (for the kernel's sake: the
    reference of a very deep view takes minutes). --mpfr-timing measures MPFR's time
    per reference iteration at several precisions instead. Times are wall
    clock, except the kernel's CPU time per thread, reported apart.
*/
#include "mf_deep_auto.h"
#include "mf_palette.h"
#include "mf_perturb.h"
#include "mf_png.h"
#include "mf_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#define LINE_MAX_BYTES (1 << 20)        //  longest line of the views file

typedef struct {
    const mf_perturb_task_t *whole;     //  the image, as one task
    const mf_perturb_kernel_t *kernel;
    uint32_t tile;                      //  tile edge, pixels
    atomic_uint next;                   //  next tile to take
    double *mu;                         //  the image
    mf_perturb_stats_t stats [64];      //  per thread
    double cpu [64];                    //  CPU seconds per thread
} s_render_t;

typedef struct {
    s_render_t *render;
    int index;
} s_thread_t;

static double
s_now (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

static double
s_thread_cpu (void)
{
    struct timespec t;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

//  CPU seconds of the whole process (all threads).
static double
s_process_cpu (void)
{
    struct timespec t;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

static void *
s_worker (void *arg)
{
    s_thread_t *thread = arg;
    s_render_t *r = thread->render;
    uint32_t w = r->whole->rect.w, h = r->whole->rect.h, t = r->tile;
    uint32_t across = (w + t - 1) / t, tiles = across * ((h + t - 1) / t);
    double *tile = malloc ((size_t) t * t * sizeof (double));
    double start = s_thread_cpu ();
    for (unsigned index; tile && (index = atomic_fetch_add (&r->next, 1)) < tiles;) {
        mf_perturb_task_t task = *r->whole;
        uint32_t x = index % across * t, y = index / across * t;
        task.rect = (mf_rect_t) { x, y, w - x < t? w - x: t, h - y < t? h - y: t };
        r->kernel->fn (&task, tile, &r->stats [thread->index]);
        for (uint32_t row = 0; row < task.rect.h; row++)
            memcpy (r->mu + (size_t) (y + row) * w + x, tile + (size_t) row * task.rect.w,
                    task.rect.w * sizeof (double));
    }
    r->cpu [thread->index] = s_thread_cpu () - start;
    free (tile);
    return NULL;
}

static void
s_progress (void *arg, uint64_t done, uint64_t limit)
{
    double *start = arg;
    double elapsed = s_now () - *start;
    double eta = done? elapsed * (double) (limit - done) / (double) done: 0;
    fprintf (stderr, "\r  reference: %llu of at most %llu iterations, %.1f s, at most %.0f s "
             "to go   ", (unsigned long long) done, (unsigned long long) limit, elapsed, eta);
}

//  Finds NAME in the views file; sets center, width or zoom, iter
//  (strings in a static buffer). Returns 0 or -1.
static int
s_find_view (const char *file, const char *name, char **center, char **width, char **zoom,
             char **iter)
{
    static char line [LINE_MAX_BYTES];
    FILE *in = fopen (file, "r");
    if (!in)
        return -1;
    while (fgets (line, sizeof line, in)) {
        line [strcspn (line, "\n")] = 0;
        char *fields [4], *cursor = line;
        int count = 0;
        while (count < 4 && cursor) {
            fields [count++] = cursor;
            cursor = strchr (cursor, '|');
            if (cursor)
                *cursor++ = 0;
        }
        if (line [0] == '#' || count != 4 || strcmp (fields [0], name))
            continue;
        fclose (in);
        *center = fields [1];
        *width = strncmp (fields [2], "width=", 6) == 0? fields [2] + 6: NULL;
        *zoom = strncmp (fields [2], "zoom=", 5) == 0? fields [2] + 5: NULL;
        *iter = fields [3];
        return 0;
    }
    fclose (in);
    return -1;
}

static void
s_mpfr_timing (void)
{
    static const long precisions [] = { 128, 240, 600, 1100, 1800, 3700, 8700 };
    for (size_t p = 0; p < sizeof precisions / sizeof precisions [0]; p++) {
        mpfr_t cr, ci;
        mpfr_inits2 (precisions [p], cr, ci, (mpfr_ptr) 0);
        mpfr_set_str (cr, "-1.7548776662466927600495088963585286918946066177834", 10, MPFR_RNDN);
        mpfr_set_str (ci, "1e-30", 10, MPFR_RNDN);
        uint32_t iterations = precisions [p] > 2000? 20000: 200000;
        char err [256];
        double start = s_now (), cpu = s_process_cpu ();
        mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), iterations,
                                                 MF_DELTA_FEXP, NULL, err, sizeof err);
        double seconds = s_now () - start;
        cpu = s_process_cpu () - cpu;
        double count = (double) (mf_orbit_count (orbit) - 1);
        printf ("mpfr: %5ld bits: %.3f us per reference iteration, %.3f us CPU (%llu "
                "iterations)\n", precisions [p], seconds * 1e6 / count, cpu * 1e6 / count,
                (unsigned long long) count);
        mf_orbit_destroy (&orbit);
        mpfr_clears (cr, ci, (mpfr_ptr) 0);
    }
}

//  The orbit in the canonical bytes of file, or NULL with err set.
static mf_orbit_t *
s_read_orbit (const char *file, char *err, size_t errlen)
{
    FILE *in = fopen (file, "rb");
    if (!in) {
        snprintf (err, errlen, "cannot read %s", file);
        return NULL;
    }
    fseek (in, 0, SEEK_END);
    long size = ftell (in);
    fseek (in, 0, SEEK_SET);
    uint8_t *bytes = size > 0? malloc ((size_t) size): NULL;
    mf_orbit_t *orbit = NULL;
    if (bytes && fread (bytes, 1, (size_t) size, in) == (size_t) size)
        orbit = mf_orbit_decode (bytes, (size_t) size, err, errlen);
    else
        snprintf (err, errlen, "cannot read %s", file);
    free (bytes);
    fclose (in);
    return orbit;
}

static void
s_color_rows (void *arg, uint32_t y, uint32_t count, uint8_t *rgb)
{
    void **a = arg;
    const float *mu = a [0];
    uint32_t width = *(const uint32_t *) a [1];
    mf_palette_color (mf_palette_find ("classic"), mu + (size_t) y * width,
                      (size_t) count * width, rgb);
}

int
main (int argc, char **argv)
{
    const char *views = "bench/deep_views.txt", *name = NULL, *png = NULL, *kernel_name = NULL;
    const char *mu_file = NULL, *orbit_file = NULL, *orbit_in = NULL;
    char *center = NULL, *width = NULL, *zoom = NULL, *iter = "auto";
    uint32_t w = 1920, h = 1080, tile = 64;
    int threads = mf_online_cpus ();
    for (int index = 1; index < argc; index++) {
        const char *arg = argv [index], *value = index + 1 < argc? argv [index + 1]: NULL;
        if (strcmp (arg, "--mpfr-timing") == 0) {
            s_mpfr_timing ();
            return 0;
        }
        if (!value) {
            fprintf (stderr, "bench_deep: %s needs a value\n", arg);
            return 2;
        }
        index++;
        if (strcmp (arg, "--view") == 0) name = value;
        else if (strcmp (arg, "--views") == 0) views = value;
        else if (strcmp (arg, "--center") == 0) center = (char *) value;
        else if (strcmp (arg, "--width") == 0) width = (char *) value;
        else if (strcmp (arg, "--zoom") == 0) zoom = (char *) value;
        else if (strcmp (arg, "--iter") == 0) iter = (char *) value;
        else if (strcmp (arg, "--size") == 0) {
            if (mf_parse_size (value, &w, &h)) {
                fprintf (stderr, "bench_deep: --size WxH\n");
                return 2;
            }
        }
        else if (strcmp (arg, "--threads") == 0) threads = atoi (value);
        else if (strcmp (arg, "--tile") == 0) tile = (uint32_t) atoi (value);
        else if (strcmp (arg, "--kernel") == 0) kernel_name = value;
        else if (strcmp (arg, "--png") == 0) png = value;
        else if (strcmp (arg, "--mu") == 0) mu_file = value;
        else if (strcmp (arg, "--orbit") == 0) orbit_file = value;
        else if (strcmp (arg, "--orbit-in") == 0) orbit_in = value;
        else {
            fprintf (stderr, "bench_deep: unknown option %s\n", arg);
            return 2;
        }
    }
    char *view_iter = NULL;
    if (name && s_find_view (views, name, &center, &width, &zoom, &view_iter)) {
        fprintf (stderr, "bench_deep: no view '%s' in %s\n", name, views);
        return 2;
    }
    if (view_iter && strcmp (iter, "auto") == 0 && getenv ("BENCH_DEEP_VIEW_ITER"))
        iter = view_iter;
    if (threads < 1 || threads > 64 || tile < 1 || tile > MF_TILE_MAX_EDGE || !center) {
        fprintf (stderr, "bench_deep: need a view, 1..64 threads, tiles of 1..%d\n",
                 MF_TILE_MAX_EDGE);
        return 2;
    }
    const mf_perturb_kernel_t *kernel = mf_perturb_find (kernel_name);
    if (!kernel) {
        fprintf (stderr, "bench_deep: kernel '%s' is not usable here\n", kernel_name);
        return 2;
    }
    char err [512];
    double t0 = s_now ();
    mf_deep_view_t *view = mf_deep_view_new (center, width, zoom, w, h, err, sizeof err);
    if (!view) {
        fprintf (stderr, "bench_deep: %s\n", err);
        return 2;
    }
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    bool automatic = strcmp (iter, "auto") == 0;
    uint32_t maxiter = automatic? mf_deep_auto_cap (view): (uint32_t) strtoul (iter, NULL, 10);
    printf ("view: %ux%u, 10^%.2f zoom, %s, %s deltas, reference at %ld bits\n", w, h,
            mf_deep_view_log10_zoom (view), mf_deep_view_is_deep (view)? "deep": "shallow",
            map.type == MF_DELTA_FEXP? "floatexp": "double", mf_deep_view_precision (view));

    double start = s_now ();
    mf_orbit_hooks_t hooks = { s_progress, &start, NULL };
    mf_orbit_t *orbit = orbit_in? s_read_orbit (orbit_in, err, sizeof err)
                               : mf_orbit_compute (view, maxiter, &hooks, err, sizeof err);
    double t_orbit = s_now () - start;
    fprintf (stderr, "\n");
    if (!orbit) {
        fprintf (stderr, "bench_deep: %s\n", err);
        return 1;
    }
    if (automatic)
        maxiter = mf_deep_auto_maxiter (view, orbit);
    uint64_t count = mf_orbit_count (orbit);
    size_t raw = mf_orbit_encoded_size (orbit);
    printf ("reference: %llu points (%s), %.2f s, %.3f us per iteration; maxiter %u%s\n",
            (unsigned long long) count, mf_orbit_escaped (orbit)? "escaped": "to maxiter",
            t_orbit, t_orbit * 1e6 / (double) (count - 1), maxiter, automatic? " (auto)": "");

    //  The canonical bytes, raw and as zstd -3 --long (window 2^27).
    uint8_t *bytes = malloc (raw);
    size_t bound = ZSTD_compressBound (raw);
    uint8_t *packed = malloc (bound);
    if (bytes && orbit_file && mf_orbit_encode (orbit, bytes, raw) == raw) {
        FILE *out = fopen (orbit_file, "wb");
        if (!out || fwrite (bytes, 1, raw, out) != raw || fclose (out))
            fprintf (stderr, "bench_deep: cannot write %s\n", orbit_file);
    }
    if (bytes && packed && mf_orbit_encode (orbit, bytes, raw) == raw) {
        ZSTD_CCtx *cctx = ZSTD_createCCtx ();
        ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter (cctx, ZSTD_c_enableLongDistanceMatching, 1);
        ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, 27);
        double zs = s_now ();
        size_t size = ZSTD_compress2 (cctx, packed, bound, bytes, raw);
        ZSTD_freeCCtx (cctx);
        if (!ZSTD_isError (size))
            printf ("orbit bytes: %.2f MB raw, %.3f MB with zstd -3 --long (%.0fx, %.2f s)\n",
                    raw / 1e6, size / 1e6, (double) raw / size, s_now () - zs);
    }
    free (bytes);
    free (packed);

    start = s_now ();
    mf_bla_t *bla = mf_bla_new (orbit, mf_deep_map_cmax (&map), err, sizeof err);
    double t_bla = s_now () - start;
    if (!bla) {
        fprintf (stderr, "bench_deep: %s\n", err);
        return 1;
    }
    printf ("BLA: %d levels, %.1f MB, %.2f s\n", mf_bla_top (bla), mf_bla_bytes (bla) / 1e6,
            t_bla);
    mf_orbit_destroy (&orbit);          //  the kernels read the table only

    s_render_t render = { 0 };
    mf_perturb_task_t whole = { &map, bla, maxiter, { 0, 0, w, h }, NULL, false };
    render.whole = &whole;
    render.kernel = kernel;
    render.tile = tile;
    render.mu = malloc ((size_t) w * h * sizeof (double));
    atomic_init (&render.next, 0);
    pthread_t ids [64];
    s_thread_t args [64];
    start = s_now ();
    for (int index = 0; index < threads; index++) {
        args [index] = (s_thread_t) { &render, index };
        pthread_create (&ids [index], NULL, s_worker, &args [index]);
    }
    for (int index = 0; index < threads; index++)
        pthread_join (ids [index], NULL);
    double t_kernel = s_now () - start;
    mf_perturb_stats_t total = { 0 };
    double cpu = 0;
    for (int index = 0; index < threads; index++) {
        total.iterations += render.stats [index].iterations;
        total.steps += render.stats [index].steps;
        total.bla_steps += render.stats [index].bla_steps;
        total.rebases += render.stats [index].rebases;
        cpu += render.cpu [index];
    }
    double pixels = (double) w * h;
    printf ("kernel %s, %d threads, %ux%u tiles: %.2f s wall (%.2f s CPU); per pixel %.0f "
            "iterations, %.0f steps (%.0f BLA), %.1f rebases; %.2f ns CPU per step; "
            "%.2f Giter/s effective\n", kernel->name, threads, tile, tile, t_kernel, cpu,
            total.iterations / pixels, total.steps / pixels, total.bla_steps / pixels,
            total.rebases / pixels, cpu * 1e9 / (double) total.steps,
            total.iterations / t_kernel / 1e9);
    printf ("total: %.2f s (reference %.2f + BLA %.2f + kernel %.2f)\n", s_now () - t0, t_orbit,
            t_bla, t_kernel);
    if (png) {
        mf_deep_density_t density;
        mf_deep_density (render.mu, (size_t) w * h, &density);
        float *mu = malloc ((size_t) w * h * sizeof (float));
        mf_deep_density_apply (&density, render.mu, (size_t) w * h, mu);
        FILE *out = fopen (png, "wb");
        void *arg [2] = { mu, &w };
        if (!out || mf_png_write_image (out, w, h, NULL, 0, MF_PNG_DEFAULT_LEVEL, s_color_rows,
                                        arg, threads, err, sizeof err) || fclose (out))
            fprintf (stderr, "bench_deep: cannot write %s\n", png);
        free (mu);
    }
    if (mu_file) {
        FILE *out = fopen (mu_file, "wb");
        if (!out || fwrite (render.mu, sizeof (double), (size_t) w * h, out) != (size_t) w * h
        ||  fclose (out))
            fprintf (stderr, "bench_deep: cannot write %s\n", mu_file);
    }
    free (render.mu);
    mf_bla_destroy (&bla);
    mf_deep_view_destroy (&view);
    return 0;
}
