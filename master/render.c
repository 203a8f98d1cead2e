/*  mf_render: see render.h. */
#include "render.h"
#include "engine.h"
#include "progress.h"
#include "spawn.h"
#include "mf_log.h"
#include "mf_npy.h"
#include "mf_outfile.h"
#include "mf_png.h"
#include "mf_util.h"
#include "mf_version.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define POLL_MS 50                      //  msecs per engine poll while rendering

//  Colors rows of the image for the PNG writer (from its threads).
typedef struct {
    const mf_palette_t *palette;
    const float *mu;                    //  the image
    uint32_t width;                     //  pixels
} s_colorer_t;

static void
s_color_rows (void *arg, uint32_t y, uint32_t count, uint8_t *rgb)
{
    const s_colorer_t *self = arg;
    mf_palette_color (self->palette, self->mu + (size_t) y * self->width,
                      (size_t) count * self->width, rgb);
}

int
mf_render_write_png (const char *path, const mf_view_t *view, uint32_t maxiter,
                     const mf_palette_t *palette, const float *mu,
                     char *err, size_t errlen)
{
    char center [80], width [32], re [32], im [32], size [32], iter [16], software [48];
    mf_format_exact (view->center_re, re, sizeof re);
    mf_format_exact (view->center_im, im, sizeof im);
    snprintf (center, sizeof center, "%s,%s", re, im);
    mf_format_exact (view->width, width, sizeof width);
    snprintf (size, sizeof size, "%ux%u", view->pixel_w, view->pixel_h);
    snprintf (iter, sizeof iter, "%u", maxiter);
    snprintf (software, sizeof software, "mandelfarm %s", MF_VERSION);
    mf_png_text_t texts [] = {
        { "Center", center }, { "Width", width }, { "Size", size },
        { "Iterations", iter }, { "Palette", mf_palette_name (palette) },
        { "Software", software }
    };
    mf_outfile_t *out = mf_outfile_open (path, err, errlen);
    if (!out)
        return -1;
    //  Coloring and compression run in bands on every CPU: the workers
    //  are done by now. The bytes do not depend on the number of threads.
    s_colorer_t colorer = { palette, mu, view->pixel_w };
    char why [256];
    if (mf_png_write_image (mf_outfile_stream (out), view->pixel_w, view->pixel_h, texts,
                            sizeof texts / sizeof texts [0], MF_PNG_DEFAULT_LEVEL,
                            s_color_rows, &colorer, mf_online_cpus (), why, sizeof why)) {
        snprintf (err, errlen, "cannot write the PNG '%s': %s", path, why);
        mf_outfile_abort (&out);
        return -1;
    }
    return mf_outfile_commit (&out, err, errlen);
}

int
mf_render_write_npy (const char *path, uint32_t width, uint32_t height,
                     const float *mu, char *err, size_t errlen)
{
    mf_outfile_t *out = mf_outfile_open (path, err, errlen);
    if (!out)
        return -1;
    mf_npy_t *npy = mf_npy_new (mf_outfile_stream (out), width, height);
    if (!npy || mf_npy_write_rows (npy, mu, height) || mf_npy_finish (&npy)) {
        mf_npy_destroy (&npy);
        mf_outfile_abort (&out);
        snprintf (err, errlen, "cannot write '%s'", path);
        return -1;
    }
    return mf_outfile_commit (&out, err, errlen);
}

static void
s_summary (mf_engine_t *engine, const mf_options_t *opts, double seconds)
{
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    mf_worker_info_t workers [64];
    size_t count = mf_engine_workers (engine, workers, 64);
    char line [4096];
    int len = snprintf (line, sizeof line,
                        "%ux%u in %.2f s: %.3g Mpixel/s, %.3g Giter/s; tiles per worker:",
                        opts->view.pixel_w, opts->view.pixel_h, seconds,
                        (double) opts->view.pixel_w * opts->view.pixel_h / seconds / 1e6,
                        stats.iterations / seconds / 1e9);
    for (size_t index = 0; index < count && len < (int) sizeof line - 100; index++)
        len += snprintf (line + len, sizeof line - (size_t) len, "%s %s %llu",
                         index? ",": "", workers [index].name,
                         (unsigned long long) workers [index].tiles);
    if (stats.reissued || stats.evicted || stats.rejected)
        snprintf (line + len, sizeof line - (size_t) len,
                  "; %llu reissued, %llu evicted, %llu rejected",
                  (unsigned long long) stats.reissued, (unsigned long long) stats.evicted,
                  (unsigned long long) stats.rejected);
    fprintf (stderr, "mandelfarm-master: %s\n", line);
}

int
mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    char err [512];
    const mf_view_t *view = &opts->view;
    //  Refuse what cannot work before any worker starts or file appears.
    if (mf_outfile_check (opts->output, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: -o: %s; give a path in a writable directory\n", err);
        return 2;
    }
    if (opts->raw && mf_outfile_check (opts->raw, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: --raw: %s; give a path in a writable directory\n", err);
        return 2;
    }
    size_t pixels = (size_t) view->pixel_w * view->pixel_h;
    uint64_t memory = mf_physical_memory ();
    float *mu = NULL;
    if (!memory || pixels * sizeof (float) <= memory / 2)
        mu = malloc (pixels * sizeof (float));
    if (!mu) {
        fprintf (stderr, "mandelfarm-master: --size %ux%u: cannot allocate its %.1f MiB image "
                 "buffer; use a smaller size\n", view->pixel_w, view->pixel_h,
                 pixels * 4.0 / 1048576);
        return 2;
    }

    //  Fork first: no ZeroMQ context may exist yet.
    char local [96] = "";
    mf_spawn_t *spawn = NULL;
    if (opts->local_workers > 0) {
        uint32_t nonce;
        if (getrandom (&nonce, sizeof nonce, 0) != sizeof nonce)
            nonce = (uint32_t) mf_clock_us ();
        snprintf (local, sizeof local, "ipc://@mandelfarm-%d-%08x", (int) getpid (), nonce);
        spawn = mf_spawn_new (opts->local_workers, local, opts->kernel, err, sizeof err);
        if (!spawn) {
            fprintf (stderr, "mandelfarm-master: %s\n", err);
            free (mu);
            return 1;
        }
    }
    mf_engine_opts_t engine_opts = {
        .local_endpoint = spawn? local: NULL,
        .listen_endpoint = opts->listen,
        .heartbeat_ms = opts->heartbeat_ms
    };
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    if (!engine) {
        fprintf (stderr, "mandelfarm-master: --listen: %s; use a free port on a local "
                 "address, e.g. tcp://*:5555\n", err);
        mf_spawn_destroy (&spawn);
        free (mu);
        return 2;
    }
    mf_job_spec_t spec = { *view, opts->maxiter, opts->tile };
    int64_t start = mf_clock_us ();
    uint32_t job = mf_engine_submit (engine, &spec, mu);
    mf_progress_t *progress = mf_progress_new (!opts->quiet);
    uint32_t done = 0, total = 1;
    int rc = job? 0: 1;
    while (rc == 0 && !*stop) {
        mf_engine_progress (engine, job, &done, &total);
        mf_engine_stats_t stats;
        mf_engine_stats (engine, &stats);
        mf_progress_update (progress, done, total, stats.pixels, stats.workers);
        if (done == total)
            break;
        mf_engine_poll (engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    double seconds = (mf_clock_us () - start) / 1e6;
    mf_spawn_destroy (&spawn);
    if (*stop) {
        fprintf (stderr, "mandelfarm-master: interrupted at %u of %u tiles; nothing written\n",
                 done, total);
        rc = 1;
    }
    if (rc == 0 && opts->raw
    &&  mf_render_write_npy (opts->raw, view->pixel_w, view->pixel_h, mu, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        rc = 1;
    }
    if (rc == 0
    &&  mf_render_write_png (opts->output, view, opts->maxiter, opts->palette, mu,
                             err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        rc = 1;
    }
    if (rc == 0 && !opts->quiet) {
        s_summary (engine, opts, seconds);
        fprintf (stderr, "mandelfarm-master: wrote %s%s%s\n", opts->output,
                 opts->raw? " and ": "", opts->raw? opts->raw: "");
    }
    mf_engine_destroy (&engine);
    free (mu);
    return rc;
}
