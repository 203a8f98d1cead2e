/*  mf_render: see render.h. */
#include "render.h"
#include "auth.h"
#include "engine.h"
#include "progress.h"
#include "spawn.h"
#include "journal.h"
#include "mf_curve.h"
#include "mf_endpoint.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_npy.h"
#include "mf_outfile.h"
#include "mf_png.h"
#include "mf_util.h"
#include "mf_version.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

//  What the loop needs while it renders.
typedef struct {
    const mf_options_t *opts;
    mf_journal_t *journal;              //  --checkpoint, or NULL
    float *mu;                          //  the image
    mf_tiles_t *tiles;                  //  the job's grid until the engine takes it
    uint8_t *restored;                  //  tiles restored from the journal, by id
    uint64_t *owners;                   //  their owners (uid, 0: none), by id
    float *rows;                        //  one tile's rows, contiguous, for the journal
} s_render_t;

static void
s_restore_tile (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_render_t *self = arg;
    uint32_t width = self->opts->view.pixel_w;
    mf_rect_t r = mf_tiles_rect (self->tiles, tile);
    for (uint32_t row = 0; row < r.h; row++)
        mf_proto_get_mu (self->mu + (size_t) (r.y + row) * width + r.x,
                         mu + (size_t) row * r.w * 4, r.w);
    self->restored [tile] = 1;
    self->owners [tile] = owner;
}

static void
s_on_tile (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect, const float *mu,
           size_t stride, uint64_t worker)
{
    s_render_t *self = arg;
    mf_rect_copy (self->rows, rect->w, mu, stride, rect->w, rect->h);
    mf_journal_done (self->journal, tile, worker, self->rows, (size_t) rect->w * rect->h);
}

static void
s_on_leased (void *arg, uint32_t job, uint32_t tile)
{
    s_render_t *self = arg;
    mf_journal_leased (self->journal, tile);
}

static void
s_on_withdrawn (void *arg, uint32_t job, uint32_t tile)
{
    s_render_t *self = arg;
    mf_journal_withdrawn (self->journal, tile);
}

static void
s_summary (mf_engine_t *engine, const mf_options_t *opts, double seconds)
{
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    char line [4096];
    int len = snprintf (line, sizeof line,
                        "%ux%u in %.2f s: %.3g Mpixel/s, %.3g Giter/s; tiles per worker:",
                        opts->view.pixel_w, opts->view.pixel_h, seconds,
                        (double) opts->view.pixel_w * opts->view.pixel_h / seconds / 1e6,
                        stats.iterations / seconds / 1e9);
    const mf_worker_info_t *worker;
    size_t index = 0;
    for (; (worker = mf_engine_worker (engine, index)) && len < (int) sizeof line - 200; index++)
        len += snprintf (line + len, sizeof line - (size_t) len, "%s %s %llu",
                         index? ",": "", worker->name, (unsigned long long) worker->tiles);
    size_t more = 0;
    while (mf_engine_worker (engine, index + more))
        more++;
    if (more)
        len += snprintf (line + len, sizeof line - (size_t) len, " and %zu more (--stats "
                         "lists them all)", more);
    if (stats.reissued || stats.evicted || stats.rejected || stats.quarantined)
        snprintf (line + len, sizeof line - (size_t) len,
                  "; %llu reissued, %llu evicted, %llu rejected, %llu quarantined",
                  (unsigned long long) stats.reissued, (unsigned long long) stats.evicted,
                  (unsigned long long) stats.rejected, (unsigned long long) stats.quarantined);
    fprintf (stderr, "mandelfarm-master: %s\n", line);
}

//  Writes the counters as JSON (atomically). Returns 0 or -1.
static int
s_write_stats (const char *path, mf_engine_t *engine, const char *status,
               uint32_t total, uint32_t restored, double seconds)
{
    char err [256];
    mf_outfile_t *out = mf_outfile_open (path, err, sizeof err);
    if (!out) {
        fprintf (stderr, "mandelfarm-master: --stats: %s\n", err);
        return -1;
    }
    FILE *f = mf_outfile_stream (out);
    mf_engine_stats_t st;
    mf_engine_stats (engine, &st);
    fprintf (f, "{\n  \"status\": \"%s\",\n  \"seconds\": %.3f,\n", status, seconds);
    fprintf (f, "  \"tiles_total\": %u,\n  \"restored\": %u,\n", total, restored);
    struct { const char *name; uint64_t value; } counters [] = {
        { "tiles", st.tiles }, { "assigned", st.assigned }, { "reissued", st.reissued },
        { "backups", st.backups }, { "overdue", st.overdue }, { "expired", st.expired },
        { "duplicates", st.duplicates }, { "late", st.late },
        { "rejected", st.rejected }, { "evicted", st.evicted }, { "dropped", st.dropped },
        { "workers_seen", st.workers_seen }, { "workers_connected", st.workers },
        { "verified", st.verified }, { "mismatches", st.mismatches }, { "local", st.local },
        { "quarantined", st.quarantined }, { "withdrawn", st.withdrawn },
        { "pixels", st.pixels }, { "iterations", st.iterations }
    };
    for (size_t index = 0; index < sizeof counters / sizeof counters [0]; index++)
        fprintf (f, "  \"%s\": %llu,\n", counters [index].name,
                 (unsigned long long) counters [index].value);
    const mf_worker_info_t *worker;
    size_t count = 0;
    fprintf (f, "  \"workers\": [");
    for (size_t index = 0; (worker = mf_engine_worker (engine, index)); index++, count++) {
        //  Names are printable ASCII (the decoder keeps nothing else); escape
        //  the two characters JSON cares about.
        char name [2 * MF_ENGINE_NAME_LEN];
        size_t len = 0;
        for (const char *c = worker->name; *c && len < sizeof name - 2; c++) {
            if (*c == '"' || *c == '\\')
                name [len++] = '\\';
            name [len++] = *c;
        }
        name [len] = 0;
        fprintf (f, "%s\n    { \"name\": \"%s\", \"kernel\": \"%s\", \"threads\": %u, "
                 "\"tiles\": %llu, \"pixels\": %llu, \"quarantined\": %s }",
                 index? ",": "", name, worker->kernel, worker->threads,
                 (unsigned long long) worker->tiles, (unsigned long long) worker->pixels,
                 worker->quarantined? "true": "false");
    }
    fprintf (f, "%s]\n}\n", count? "\n  ": "");
    if (mf_outfile_commit (&out, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: --stats: %s\n", err);
        return -1;
    }
    return 0;
}

//  The image buffer: mapped on its own, so that its pages can be made
//  present in one call once the workers are forked, rather than faulted
//  in one by one as tiles land (slow in a VM: the first tiles' results
//  waited milliseconds on it). NULL when it cannot be mapped.
static float *
s_image_new (size_t pixels)
{
    void *image = mmap (NULL, pixels * sizeof (float), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return image == MAP_FAILED? NULL: image;
}

static void
s_image_populate (float *image, size_t pixels)
{
#ifdef MADV_POPULATE_WRITE
    //  An older kernel says EINVAL: the pages then fault in as before.
    madvise (image, pixels * sizeof (float), MADV_POPULATE_WRITE);
#endif
}

static void
s_image_destroy (float **image_p, size_t pixels)
{
    if (*image_p) {
        munmap (*image_p, pixels * sizeof (float));
        *image_p = NULL;
    }
}

//  Frees what the render loop held (the journal is closed apart).
static void
s_render_free (s_render_t *render, size_t pixels)
{
    mf_tiles_destroy (&render->tiles);
    free (render->restored);
    free (render->owners);
    free (render->rows);
    s_image_destroy (&render->mu, pixels);
}

//  Checks every output path up front. Returns 0, or -1 having said why.
static int
s_check_outputs (const mf_options_t *opts)
{
    const char *paths [] = { opts->output, opts->raw, opts->stats };
    const char *flags [] = { "-o", "--raw", "--stats" };
    for (int index = 0; index < 3; index++) {
        char err [512];
        if (paths [index] && mf_outfile_check (paths [index], err, sizeof err)) {
            fprintf (stderr, "mandelfarm-master: %s: %s; give a path in a writable "
                     "directory\n", flags [index], err);
            return -1;
        }
    }
    return 0;
}

int
mf_render_check_keys (const mf_options_t *opts, mf_curve_keys_t *keys)
{
    char err [512];
    if (opts->cert && mf_curve_load (opts->cert, true, keys, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: --cert: %s\n", err);
        return 2;
    }
    int allowed = opts->allow? mf_auth_check_dir (opts->allow, err, sizeof err): 0;
    if (allowed < 0) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        mf_curve_wipe (keys);
        return 2;
    }
    if (opts->allow && allowed == 0)
        mf_warn ("--allow: no public certificate in '%s' yet: no remote worker can join "
                 "until one is copied there", opts->allow);
    if (opts->listen && !opts->cert && !mf_endpoint_is_loopback (opts->listen))
        mf_warn ("--listen %s takes workers from the network with no keys: anyone "
                 "who reaches it can take tiles and send pixels, in the clear; use --cert and "
                 "--allow (README: \"Running a secure LAN farm\")", opts->listen);
    return 0;
}

int
mf_render_start_auth (const mf_options_t *opts, mf_curve_keys_t *keys, mf_auth_t **auth)
{
    //  Fail closed: no CURVE listener unless the authenticator answers.
    *auth = NULL;
    if (opts->cert) {
        char err [512];
        *auth = mf_auth_new (keys, opts->allow, err, sizeof err);
        if (!*auth) {
            fprintf (stderr, "mandelfarm-master: %s\n", err);
            mf_curve_wipe (keys);
            return 1;
        }
    }
    //  The authenticator holds what it needs; no copy of the secret stays.
    mf_curve_wipe (keys);
    return 0;
}

int
mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    char err [512];
    const mf_view_t *view = &opts->view;
    s_render_t render = { .opts = opts };
    //  Refuse what cannot work before any worker starts or file appears.
    if (s_check_outputs (opts))
        return 2;
    //  Keys too, before any worker starts (reading files needs no ZeroMQ).
    mf_curve_keys_t keys = { "", "" };
    if (mf_render_check_keys (opts, &keys))
        return 2;
    size_t pixels = (size_t) view->pixel_w * view->pixel_h;
    uint64_t memory = mf_physical_memory ();
    if (!memory || pixels * sizeof (float) <= memory / 2)
        render.mu = s_image_new (pixels);
    if (!render.mu) {
        fprintf (stderr, "mandelfarm-master: --size %ux%u: cannot allocate its %.1f MiB image "
                 "buffer; use a smaller size\n", view->pixel_w, view->pixel_h,
                 pixels * 4.0 / 1048576);
        mf_curve_wipe (&keys);
        return 2;
    }
    render.tiles = mf_tiles_new (view->pixel_w, view->pixel_h, opts->tile);
    uint32_t total = render.tiles? mf_tiles_count (render.tiles): 0;
    render.restored = render.tiles? calloc (total, 1): NULL;
    render.owners = render.tiles? calloc (total, sizeof *render.owners): NULL;
    render.rows = malloc ((size_t) opts->tile * opts->tile * sizeof (float));
    if (!render.tiles || !render.restored || !render.owners || !render.rows) {
        fprintf (stderr, "mandelfarm-master: out of memory\n");
        mf_curve_wipe (&keys);
        s_render_free (&render, pixels);
        return 1;
    }
    mf_job_spec_t spec = { *view, opts->maxiter, opts->tile, opts->verify_percent };
    mf_journal_info_t journal = { 0 };
    int rc = 0;
    if (opts->checkpoint) {
        render.journal = mf_journal_open (opts->checkpoint, &spec, s_restore_tile, &render,
                                          &journal, err, sizeof err);
        if (!render.journal) {
            fprintf (stderr, "mandelfarm-master: --checkpoint: %s\n", err);
            rc = 2;
        }
        else
        if (journal.done && !opts->quiet)
            fprintf (stderr, "mandelfarm-master: resuming from %s: %u of %u tiles done; "
                     "%u were in flight and are computed again%s\n", opts->checkpoint,
                     journal.done, total, journal.in_flight,
                     journal.cut_bytes? " (a torn last record was cut off)": "");
    }

    //  Fork first: no ZeroMQ context may exist yet.
    mf_spawn_t *spawn = NULL;
    if (rc == 0 && opts->local_workers > 0) {
        spawn = mf_spawn_new (opts->local_workers, opts->kernel, err, sizeof err);
        if (!spawn) {
            fprintf (stderr, "mandelfarm-master: %s\n", err);
            rc = 1;
        }
    }
    mf_auth_t *auth = NULL;
    if (rc == 0 && mf_render_start_auth (opts, &keys, &auth))
        rc = 1;
    mf_curve_wipe (&keys);
    mf_engine_t *engine = NULL;
    if (rc == 0) {
        mf_engine_opts_t engine_opts = {
            .local_endpoint = spawn? mf_spawn_endpoint (spawn): NULL,
            .listen_endpoint = opts->listen,
            .heartbeat_ms = opts->heartbeat_ms,
            .auth = auth,
            .max_tile_edge = opts->tile
        };
        engine = mf_engine_new (&engine_opts, err, sizeof err);
        if (engine) {
            mf_spawn_go (spawn);
            //  While the workers start, not while their tiles wait.
            s_image_populate (render.mu, pixels);
        }
        else {
            fprintf (stderr, "mandelfarm-master: --listen: %s; use a free port on a local "
                     "address, e.g. tcp://*:5555\n", err);
            rc = 2;
        }
    }
    //  Every check passed: only now does the checkpoint get written.
    if (rc == 0 && render.journal && mf_journal_start (render.journal, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: --checkpoint: %s\n", err);
        rc = 1;
    }
    uint32_t job = 0, done = 0;
    int64_t start = mf_clock_us ();
    const char *status = "failed";
    if (rc == 0) {
        mf_engine_on_tile (engine, render.journal? s_on_tile: NULL, &render);
        if (render.journal)
            mf_engine_on_events (engine, s_on_leased, s_on_withdrawn, &render);
        //  The grid the journal was replayed on becomes the engine's: one
        //  grid for every tile id.
        job = mf_engine_submit_grid (engine, &spec, &render.tiles, render.mu);
        for (uint32_t tile = 0; job && tile < total; tile++)
            if (render.restored [tile]
            &&  mf_engine_preset (engine, job, tile, NULL, render.owners [tile]))
                job = 0;
        if (!job) {
            fprintf (stderr, "mandelfarm-master: out of memory\n");
            rc = 1;
        }
    }
    mf_progress_t *progress = mf_progress_new (!opts->quiet);
    int64_t alone_since = 0;            //  msecs since when no worker is connected
    bool alone_said = false;
    while (rc == 0) {
        mf_engine_progress (engine, job, &done, &total);
        mf_engine_stats_t stats;
        mf_engine_stats (engine, &stats);
        mf_progress_update (progress, done, total, stats.pixels, stats.workers);
        if (done == total) {
            status = "done";
            break;
        }
        double elapsed = (mf_clock_us () - start) / 1e6;
        if (*stop || (opts->deadline > 0 && elapsed > opts->deadline)) {
            mf_progress_clear (progress);
            status = *stop? "interrupted": "deadline";
            if (*stop)
                fprintf (stderr, "mandelfarm-master: interrupted at %u of %u tiles; "
                         "nothing written\n", done, total);
            else
                fprintf (stderr, "mandelfarm-master: gave up after the --deadline of %g s "
                         "with %u of %u tiles done and %u workers connected; nothing "
                         "written\n", opts->deadline, done, total, stats.workers);
            rc = 1;
            break;
        }
        //  With every worker gone the loop only waits in poll: say so once.
        int64_t now = mf_clock_ms ();
        if (stats.workers > 0)
            alone_since = 0, alone_said = false;
        else
        if (!alone_since)
            alone_since = now;
        else
        if (!alone_said && now - alone_since > 3000) {
            mf_progress_clear (progress);
            mf_warn ("no worker is connected; waiting for one (%u of %u tiles done)%s",
                     done, total, opts->deadline > 0? "": "; --deadline gives up");
            alone_said = true;
        }
        mf_engine_poll (engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    double seconds = (mf_clock_us () - start) / 1e6;
    mf_spawn_destroy (&spawn);
    if (rc == 0 && opts->raw
    &&  mf_render_write_npy (opts->raw, view->pixel_w, view->pixel_h, render.mu, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        rc = 1;
    }
    if (rc == 0
    &&  mf_render_write_png (opts->output, view, opts->maxiter, opts->palette, render.mu,
                             err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        rc = 1;
    }
    if (engine && opts->stats
    &&  s_write_stats (opts->stats, engine, rc == 0? "done": status, total,
                       journal.done, seconds) && rc == 0)
        rc = 1;
    if (rc == 0 && !opts->quiet) {
        s_summary (engine, opts, seconds);
        fprintf (stderr, "mandelfarm-master: wrote %s%s%s\n", opts->output,
                 opts->raw? " and ": "", opts->raw? opts->raw: "");
    }
    if (render.journal && rc == 1 && engine)
        fprintf (stderr, "mandelfarm-master: the checkpoint %s keeps the %u tiles done; run "
                 "the same command again to resume\n", opts->checkpoint, done);
    //  A complete render needs its checkpoint no more; a refused one never
    //  wrote it (mf_journal_start comes after every check).
    mf_journal_destroy (&render.journal, rc == 0);
    mf_engine_destroy (&engine);
    mf_auth_destroy (&auth);
    s_render_free (&render, pixels);
    return rc;
}
