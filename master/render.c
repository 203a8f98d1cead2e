/*  mf_render: see render.h. */
#include "render.h"
#include "engine.h"
#include "launch.h"
#include "progress.h"
#include "journal.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_outfile.h"
#include "mf_output.h"
#include "mf_sys.h"
#include "mf_util.h"
#include "mf_version.h"
#include "mf_webview.h"

#include <czmq.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POLL_MS 50                      //  msecs per engine poll while rendering

//  Writes --raw (when asked), -o and --dzi (when asked) from the finished
//  image: the first two into their temporary files, opened at start (it
//  takes them), the folder beside its own name; all whole first, then
//  all named, so that a stop or a failure while writing leaves none.
//  Returns 0, or 1 having printed one line.
static int
s_write_outputs (const mf_options_t *opts, mf_outfile_t **png, mf_outfile_t **npy,
                 const float *mu, volatile sig_atomic_t *stop)
{
    const mf_view_t *view = &opts->view;
    char center [80], width [32], err [PATH_MAX + 512];
    mf_output_view_text (view, center, sizeof center, width, sizeof width);
    //  Coloring and compression run in bands on every CPU: the workers
    //  are done by now. The bytes do not depend on the number of threads.
    mf_output_spec_t spec = {
        .width = view->pixel_w, .height = view->pixel_h, .center = center, .span = width,
        .maxiter = opts->maxiter, .palette = opts->palette, .threads = mf_online_cpus (),
        .lend_rows = true, .stop = stop
    };
    const char *paths [3] = { opts->raw, opts->output, opts->dzi };
    mf_outfile_t **files [3] = { npy, png, NULL };
    const mf_output_format_t formats [3] = { MF_OUTPUT_NPY, MF_OUTPUT_PNG, MF_OUTPUT_DZI };
    mf_output_t *outputs [3] = { NULL, NULL, NULL };
    int rc = 0;
    for (int index = 0; index < 3 && rc == 0; index++) {
        if (files [index]? !*files [index]: !paths [index])
            continue;
        spec.format = formats [index];
        spec.depth = formats [index] == MF_OUTPUT_PNG && opts->png16? 16: 8;
        mf_info ("writing %s", paths [index]);
        outputs [index] = files [index]
                        ? mf_output_adopt (files [index], paths [index], &spec, err, sizeof err)
                        : mf_output_open (paths [index], &spec, err, sizeof err);
        if (!outputs [index]
        ||  mf_output_write_rows (outputs [index], mu, view->pixel_h, err, sizeof err)
        ||  mf_output_finish (outputs [index], err, sizeof err))
            rc = 1;
    }
    //  The folder first: its rename is the one that can be refused (a
    //  folder filled meanwhile), and then no file has its name yet.
    for (int index = 2; index >= 0 && rc == 0; index--)
        if (outputs [index] && mf_output_commit (&outputs [index], err, sizeof err))
            rc = 1;
    for (int index = 0; index < 3; index++)
        mf_output_abort (&outputs [index]);
    if (rc)
        mf_say ("%s", err);
    return rc;
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
    //  The outputs are open from the start, before any peer can connect:
    //  strangers who take every descriptor the master may have cannot
    //  keep a finished render from being written.
    mf_outfile_t *png;                  //  -o, until committed
    mf_outfile_t *npy;                  //  --raw, or NULL
    mf_outfile_t *stats;                //  --stats, or NULL
} s_render_t;

static void
s_restore_tile (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_render_t *self = arg;
    uint32_t width = self->opts->view.pixel_w;
    mf_rect_t r = mf_tiles_rect (self->tiles, tile);
    mf_le_get_f32_rect (self->mu + (size_t) r.y * width + r.x, width, mu, r.w, r.h);
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
    mf_say ("%s", line);
}

//  Writes the counters as JSON into out (committed, or aborted on
//  failure). Every string is escaped, above all what peers sent (names,
//  kernels). Returns 0 or -1 having said why.
static int
s_write_stats (mf_outfile_t **out, mf_engine_t *engine, const char *status,
               uint32_t total, uint32_t restored, double seconds)
{
    char err [512];
    FILE *f = mf_outfile_stream (*out);
    mf_engine_stats_t st;
    mf_engine_stats (engine, &st);
    char text [64];
    mf_json_string (status, text, sizeof text);
    fprintf (f, "{\n  \"status\": %s,\n  \"seconds\": %.3f,\n", text, seconds);
    fprintf (f, "  \"tiles_total\": %u,\n  \"restored\": %u,\n", total, restored);
    struct { const char *name; uint64_t value; } counters [] = {
        { "tiles", st.tiles }, { "assigned", st.assigned }, { "reissued", st.reissued },
        { "backups", st.backups }, { "overdue", st.overdue }, { "expired", st.expired },
        { "duplicates", st.duplicates }, { "late", st.late },
        { "rejected", st.rejected }, { "evicted", st.evicted }, { "dropped", st.dropped },
        { "workers_seen", st.workers_seen }, { "workers_connected", st.workers },
        { "verified", st.verified }, { "mismatches", st.mismatches }, { "local", st.local },
        { "quarantined", st.quarantined }, { "withdrawn", st.withdrawn },
        { "pixels", st.pixels }, { "iterations", st.iterations }, { "bytes_in", st.bytes_in }
    };
    for (size_t index = 0; index < sizeof counters / sizeof counters [0]; index++)
        fprintf (f, "  \"%s\": %llu,\n", counters [index].name,
                 (unsigned long long) counters [index].value);
    const mf_worker_info_t *worker;
    size_t count = 0;
    fprintf (f, "  \"workers\": [");
    for (size_t index = 0; (worker = mf_engine_worker (engine, index)); index++, count++) {
        //  Room for every byte escaped as \u00XX, and the quotes.
        char name [6 * MF_ENGINE_NAME_LEN + 3], kernel [6 * sizeof worker->kernel + 3];
        mf_json_string (worker->name, name, sizeof name);
        mf_json_string (worker->kernel, kernel, sizeof kernel);
        fprintf (f, "%s\n    { \"name\": %s, \"kernel\": %s, \"threads\": %u, "
                 "\"tiles\": %llu, \"pixels\": %llu, \"quarantined\": %s }",
                 index? ",": "", name, kernel, worker->threads,
                 (unsigned long long) worker->tiles, (unsigned long long) worker->pixels,
                 worker->quarantined? "true": "false");
    }
    fprintf (f, "%s]\n}\n", count? "\n  ": "");
    if (mf_outfile_commit (out, err, sizeof err)) {
        mf_say ("--stats: %s", err);
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
    mf_sys_populate (image, pixels * sizeof (float));
}

static void
s_image_destroy (float **image_p, size_t pixels)
{
    if (*image_p) {
        munmap (*image_p, pixels * sizeof (float));
        *image_p = NULL;
    }
}

//  Frees what the render loop held, and removes the temporary files of
//  outputs not committed (the journal is closed apart).
static void
s_render_free (s_render_t *render, size_t pixels)
{
    mf_tiles_destroy (&render->tiles);
    free (render->restored);
    free (render->owners);
    free (render->rows);
    s_image_destroy (&render->mu, pixels);
    mf_outfile_abort (&render->png);
    mf_outfile_abort (&render->npy);
    mf_outfile_abort (&render->stats);
}

//  Opens every output's temporary file, before any worker starts or any
//  peer can connect. Returns 0, or -1 having said why.
static int
s_open_outputs (const mf_options_t *opts, s_render_t *render)
{
    const char *paths [] = { opts->output, opts->raw, opts->stats };
    const char *flags [] = { "-o", "--raw", "--stats" };
    mf_outfile_t **outs [] = { &render->png, &render->npy, &render->stats };
    for (int index = 0; index < 3; index++) {
        char err [1024];
        if (paths [index]
        &&  !(*outs [index] = mf_outfile_open (paths [index], err, sizeof err))) {
            mf_say ("%s: %s; give a path in a writable directory", flags [index], err);
            return -1;
        }
    }
    return 0;
}

int
mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    char err [1024];
    const mf_view_t *view = &opts->view;
    s_render_t render = { .opts = opts };
    //  Refuse what cannot work before any worker starts or file appears:
    //  outputs that are one file, or not files at all.
    if (mf_options_check_files (opts, err, sizeof err)) {
        mf_say ("%s", err);
        return 2;
    }
    //  --dzi's page needs the OpenSeadragon files the build vendored.
    char library [PATH_MAX];
    if (opts->dzi && mf_webview_find_library (library, sizeof library, err, sizeof err)) {
        mf_say ("--dzi: %s", err);
        return 2;
    }
    //  Keys and endpoint too (reading files needs no ZeroMQ).
    int rc = 0;
    mf_launch_t *launch = mf_launch_new (opts, &rc);
    if (!launch)
        return rc;
    size_t pixels = (size_t) view->pixel_w * view->pixel_h, bytes = 0;
    if (s_open_outputs (opts, &render)) {
        mf_launch_destroy (&launch);
        s_render_free (&render, pixels);
        return 2;
    }
    uint64_t memory = mf_sys_physical_memory ();
    if (mf_mul_size (pixels, sizeof (float), &bytes) == 0 && (!memory || bytes <= memory / 2))
        render.mu = s_image_new (pixels);
    if (!render.mu) {
        mf_say ("--size %ux%u: cannot allocate its %.1f MiB image buffer; use a smaller size",
                view->pixel_w, view->pixel_h, pixels * 4.0 / 1048576);
        mf_launch_destroy (&launch);
        s_render_free (&render, pixels);
        return 2;
    }
    render.tiles = mf_tiles_new (view->pixel_w, view->pixel_h, opts->tile);
    uint32_t total = render.tiles? mf_tiles_count (render.tiles): 0;
    render.restored = render.tiles? calloc (total, 1): NULL;
    render.owners = render.tiles? calloc (total, sizeof *render.owners): NULL;
    render.rows = malloc ((size_t) opts->tile * opts->tile * sizeof (float));
    if (!render.tiles || !render.restored || !render.owners || !render.rows) {
        mf_say ("out of memory");
        mf_launch_destroy (&launch);
        s_render_free (&render, pixels);
        return 1;
    }
    mf_job_spec_t spec = { *view, opts->maxiter, opts->tile, opts->verify_percent };
    mf_journal_info_t journal = { 0 };
    if (opts->checkpoint) {
        render.journal = mf_journal_open (opts->checkpoint, &spec, render.tiles, s_restore_tile,
                                          &render, &journal, err, sizeof err);
        if (!render.journal) {
            mf_say ("--checkpoint: %s", err);
            rc = 2;
        }
        else
        if (journal.done && !opts->quiet)
            mf_say ("resuming from %s: %u of %u tiles done; %u were in flight and are "
                    "computed again%s%s%s", opts->checkpoint, journal.done, total,
                    journal.in_flight, *journal.note? " (": "", journal.note,
                    *journal.note? ")": "");
    }
    //  Fork, then the authenticator, then the engine binds.
    if (rc == 0)
        rc = mf_launch_start (launch);
    mf_engine_t *engine = rc == 0? mf_launch_engine (launch, &rc): NULL;
    //  While the workers start, not while their tiles wait.
    if (engine)
        s_image_populate (render.mu, pixels);
    //  Every check passed: only now does the checkpoint get written.
    if (rc == 0 && render.journal && mf_journal_start (render.journal, err, sizeof err)) {
        mf_say ("--checkpoint: %s", err);
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
            mf_say ("out of memory");
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
                mf_say ("interrupted at %u of %u tiles; nothing written", done, total);
            else
                mf_say ("gave up after the --deadline of %g s with %u of %u tiles done and "
                        "%u workers connected; nothing written", opts->deadline, done, total,
                        stats.workers);
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
    mf_launch_stop_workers (launch);
    if (rc == 0 && s_write_outputs (opts, &render.png, &render.npy, render.mu, stop)) {
        status = *stop? "interrupted": "failed";
        rc = 1;
    }
    if (engine && render.stats
    &&  s_write_stats (&render.stats, engine, rc == 0? "done": status, total,
                       journal.done, seconds) && rc == 0)
        rc = 1;
    if (rc == 0 && !opts->quiet) {
        s_summary (engine, opts, seconds);
        mf_say ("wrote %s%s%s%s%s%s", opts->output, opts->raw? " and ": "",
                opts->raw? opts->raw: "", opts->dzi? "; the zoomable view is in ": "",
                opts->dzi? opts->dzi: "", opts->dzi? " (open its index.html)": "");
    }
    if (render.journal && rc == 1 && engine)
        mf_say ("the checkpoint %s keeps the %u tiles done; run the same command again to "
                "resume", opts->checkpoint, done);
    //  A complete render needs its checkpoint no more; a refused one never
    //  wrote it (mf_journal_start comes after every check).
    mf_journal_destroy (&render.journal, rc == 0);
    mf_engine_destroy (&engine);
    mf_launch_destroy (&launch);        //  the authenticator after the engine that used it
    s_render_free (&render, pixels);
    return rc;
}
