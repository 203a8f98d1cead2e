/*  mf_render: see render.h. */
#include "render.h"
#include "engine.h"
#include "launch.h"
#include "progress.h"
#include "journal.h"
#include "poster.h"
#include "reference.h"
#include "mf_bands.h"
#include "report.h"
#include "mf_deep_auto.h"
#include "mf_le.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_outfile.h"
#include "mf_output.h"
#include "mf_png.h"
#include "mf_sys.h"
#include "mf_util.h"
#include "mf_version.h"
#include "mf_webview.h"

#include <czmq.h>
#include <errno.h>
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
s_write_outputs (const mf_options_t *opts, uint32_t maxiter, mf_outfile_t **png,
                 mf_outfile_t **npy, const void *mu, volatile sig_atomic_t *stop)
{
    const mf_view_t *view = &opts->view;
    char center [80], width [32], err [PATH_MAX + 512];
    mf_output_view_text (view, center, sizeof center, width, sizeof width);
    //  Coloring and compression run in bands on every CPU: the workers
    //  are done by now. The bytes do not depend on the number of threads.
    mf_output_spec_t spec = {
        .width = view->pixel_w, .height = view->pixel_h, .center = center, .span = width,
        .maxiter = maxiter, .palette = opts->palette, .threads = mf_online_cpus (),
        .lend_rows = true, .stop = stop
    };
    //  A deep view: its exact texts (every digit needed to render the
    //  same bytes again), doubles, and the color density of the whole
    //  image, computed once here: it cannot depend on the tile split.
    mf_deep_density_t density;
    if (opts->deep) {
        spec.center = mf_deep_view_center_text (opts->deep);
        spec.span = mf_deep_view_width_text (opts->deep);
        spec.mu64 = true;
        mf_deep_density (mu, (size_t) view->pixel_w * view->pixel_h, &density);
        spec.density = &density;
        spec.reference = opts->reference;
        spec.reference_bits = opts->reference_bits;
    }
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

#define WRITER_BYTES_PER_PIXEL 26        //  bytes a writer holds a pixel in flight, at most:
                                        //  mu (8), 16-bit RGB (6), filtered (6), deflated (6)

//  The writers' threads a poster affords within bytes: each holds a few
//  slices of MF_PNG_BAND_ROWS rows in flight (mu, their colors and their
//  compressed bytes; mf_bands.h), per output.
static int
s_poster_threads (const mf_options_t *opts, size_t bytes)
{
    size_t outputs = 1 + (opts->raw != NULL) + (opts->dzi != NULL);
    size_t slice = (size_t) MF_PNG_BAND_ROWS * opts->view.pixel_w * WRITER_BYTES_PER_PIXEL;
    size_t each = outputs * (MF_BANDS_AHEAD + 1) * slice;
    size_t threads = each? bytes / each: 1;
    size_t cpus = (size_t) mf_online_cpus ();
    if (threads > cpus)
        threads = cpus;
    return threads < 1? 1: (int) threads;
}

//  Opens a poster's outputs (--raw, -o, --dzi) as s_write_outputs would
//  at its end (the same spec: the same bytes), to be fed band by band;
//  their writers get threads threads each. A shallow poster's all open
//  before the render (first true). A deep poster's .npy opens then
//  (first true), its PNG and DZI once every value is in (first false,
//  with the density): their colors need the whole image's. Returns 0, or
//  1 having printed one line.
static int
s_poster_open (const mf_options_t *opts, uint32_t maxiter, const mf_deep_density_t *density,
               mf_outfile_t **png, mf_outfile_t **npy, mf_output_t *outputs [3], int threads,
               bool first, volatile sig_atomic_t *stop)
{
    const mf_view_t *view = &opts->view;
    char center [80], width [32], err [PATH_MAX + 512];
    mf_output_view_text (view, center, sizeof center, width, sizeof width);
    mf_output_spec_t spec = {
        .width = view->pixel_w, .height = view->pixel_h, .center = center, .span = width,
        .maxiter = maxiter, .palette = opts->palette, .threads = threads, .stop = stop
    };
    if (opts->deep) {
        spec.center = mf_deep_view_center_text (opts->deep);
        spec.span = mf_deep_view_width_text (opts->deep);
        spec.mu64 = true;
        spec.density = density;
    }
    const char *paths [3] = { opts->raw, opts->output, opts->dzi };
    mf_outfile_t **files [3] = { npy, png, NULL };
    const mf_output_format_t formats [3] = { MF_OUTPUT_NPY, MF_OUTPUT_PNG, MF_OUTPUT_DZI };
    for (int index = 0; index < 3; index++) {
        if (files [index]? !*files [index]: !paths [index])
            continue;
        //  A deep poster: the .npy first, the colors last.
        if (opts->deep && first != (formats [index] == MF_OUTPUT_NPY))
            continue;
        spec.format = formats [index];
        spec.depth = formats [index] == MF_OUTPUT_PNG && opts->png16? 16: 8;
        outputs [index] = files [index]
                        ? mf_output_adopt (files [index], paths [index], &spec, err, sizeof err)
                        : mf_output_open (paths [index], &spec, err, sizeof err);
        if (!outputs [index]) {
            mf_say ("%s", err);
            return 1;
        }
    }
    return 0;
}

//  Writes a deep poster's band to its .npy, if asked, and its spill file
//  (an mf_poster_write_fn; arg: the render).
static int s_deep_band (void *arg, const void *mu, uint32_t rows, char *err, size_t errlen);

//  Finishes a poster's outputs, all whole first, then all named (the
//  folder first, as s_write_outputs). Returns 0, or 1 having printed one
//  line.
static int
s_poster_commit (mf_output_t *outputs [3])
{
    char err [PATH_MAX + 512];
    for (int index = 0; index < 3; index++)
        if (outputs [index] && mf_output_finish (outputs [index], err, sizeof err)) {
            mf_say ("%s", err);
            return 1;
        }
    for (int index = 2; index >= 0; index--)
        if (outputs [index] && mf_output_commit (&outputs [index], err, sizeof err)) {
            mf_say ("%s", err);
            return 1;
        }
    return 0;
}

//  The folder of path, into dir (for a spill file beside the output).
static void
s_folder_of (const char *path, char *dir, size_t size)
{
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, size, ".");
    else
    if (slash == path)
        snprintf (dir, size, "/");
    else
        snprintf (dir, size, "%.*s", (int) (slash - path), path);
}

//  Whether every value of rows of a deep poster is possible at maxiter
//  (a checkpoint of --iter auto was replayed before maxiter was chosen).
static bool
s_possible (const double *mu, size_t count, uint32_t maxiter)
{
    for (size_t index = 0; index < count; index++)
        if (!(mu [index] == -1 || (mu [index] >= 0 && mu [index] <= maxiter)))
            return false;
    return true;
}

//  A deep poster's colors, once every band is in its spill file: the
//  whole image's color density read from it, then the PNG and the DZI
//  fed from it, slice by slice. Returns 0, or 1 having printed one line.
static int
s_poster_colors (const mf_options_t *opts, uint32_t maxiter, mf_spill_t *spill,
                 mf_outfile_t **png, mf_output_t *outputs [3], int threads,
                 volatile sig_atomic_t *stop)
{
    const mf_view_t *view = &opts->view;
    mf_deep_density_t density;
    mf_deep_density_read (mf_spill_read, spill, (size_t) view->pixel_w * view->pixel_h,
                          &density);
    if (s_poster_open (opts, maxiter, &density, png, NULL, outputs, threads, false, stop))
        return 1;
    const uint32_t slice = MF_PNG_BAND_ROWS;
    double *rows = malloc ((size_t) slice * view->pixel_w * sizeof *rows);
    if (!rows) {
        mf_say ("out of memory");
        return 1;
    }
    char err [PATH_MAX + 512];
    int rc = 0;
    for (uint32_t y = 0; y < view->pixel_h && rc == 0; y += slice) {
        uint32_t some = view->pixel_h - y < slice? view->pixel_h - y: slice;
        if (mf_spill_read_rows (spill, y, some, rows)) {
            mf_say ("cannot read the spill file back: %s", strerror (errno));
            rc = 1;
        }
        else
        if (!s_possible (rows, (size_t) some * view->pixel_w, maxiter)) {
            mf_say ("--checkpoint: it holds values beyond the maxiter %u chosen now; remove "
                    "it and render again", maxiter);
            rc = 1;
        }
        for (int index = 1; index < 3 && rc == 0; index++)
            if (outputs [index]
            &&  mf_output_write_rows (outputs [index], rows, some, err, sizeof err)) {
                mf_say ("%s", err);
                rc = 1;
            }
    }
    free (rows);
    return rc;
}

//  What the loop needs while it renders.
typedef struct {
    const mf_options_t *opts;
    mf_journal_t *journal;              //  --checkpoint, or NULL
    void *mu;                           //  the image: floats, or doubles when deep
    size_t value;                       //  bytes of one of its values
    size_t bytes;                       //  bytes of the image
    mf_tiles_t *tiles;                  //  the job's grid until the engine takes it
    uint8_t *restored;                  //  tiles restored from the journal, by id
    uint64_t *owners;                   //  their owners (uid, 0: none), by id
    void *rows;                         //  one tile's rows, contiguous, for the journal
    mf_reference_t *reference;          //  a deep view's reference orbit while computed
    mf_shipped_t *orbit;                //  ... then the orbit, or NULL
    double reference_seconds;           //  the MPFR computation's time
    //  The outputs are open from the start, before any peer can connect:
    //  strangers who take every descriptor the master may have cannot
    //  keep a finished render from being written.
    mf_outfile_t *png;                  //  -o, until committed
    mf_outfile_t *npy;                  //  --raw, or NULL
    mf_outfile_t *stats;                //  --stats, or NULL
    //  A poster (an image over --memory): written band by band as its
    //  rows of tiles finish, never whole in memory (poster.h).
    mf_poster_t *poster;                //  its window, or NULL: the image is whole
    mf_output_t *outputs [3];           //  --raw, -o, --dzi, open from the start
    mf_output_t *sinks [4];             //  those open, NULL-terminated: the bands' way
    mf_spill_t *spill;                  //  a deep poster's mu, until colored
    int threads;                        //  the writers' threads a poster affords
    bool poster_failed;                 //  writing failed: why is in poster_err
    char poster_err [PATH_MAX + 512];
} s_render_t;

static int
s_deep_band (void *arg, const void *mu, uint32_t rows, char *err, size_t errlen)
{
    s_render_t *self = arg;
    if (self->outputs [0] && mf_output_write_rows (self->outputs [0], mu, rows, err, errlen))
        return -1;
    return mf_spill_write (self->spill, mu, rows, err, errlen);
}

//  Writes the poster's complete bands at the front of its window; the
//  first failure is kept for the render loop to say.
static void
s_poster_flush (s_render_t *self)
{
    if (!self->poster_failed
    &&  mf_poster_flush (self->poster, self->poster_err, sizeof self->poster_err))
        self->poster_failed = true;
}

static void
s_restore_tile (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_render_t *self = arg;
    uint32_t width = self->opts->view.pixel_w;
    mf_rect_t r = mf_tiles_rect (self->tiles, tile);
    if (self->poster) {
        //  A poster's journal comes back in tile id order, band by band:
        //  the bands it completes are written (encoded again, not
        //  computed), and a tile past the window is computed again.
        if (self->opts->deep)
            mf_proto_get_f64s (self->rows, mu, (size_t) r.w * r.h);
        else
            mf_le_get_f32s (self->rows, mu, (size_t) r.w * r.h);
        if (mf_poster_tile (self->poster, tile, &r, self->rows, r.w)) {
            self->restored [tile] = 1;
            self->owners [tile] = owner;
            s_poster_flush (self);
        }
        return;
    }
    size_t offset = (size_t) r.y * width + r.x;
    if (self->opts->deep)
        for (uint32_t row = 0; row < r.h; row++)
            mf_proto_get_f64s ((double *) self->mu + offset + (size_t) row * width,
                               mu + (size_t) row * r.w * 8, r.w);
    else
        mf_le_get_f32_rect ((float *) self->mu + offset, width, mu, r.w, r.h);
    self->restored [tile] = 1;
    self->owners [tile] = owner;
}

static void
s_on_tile (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect, const void *mu,
           size_t stride, uint64_t worker)
{
    s_render_t *self = arg;
    if (self->poster)
        mf_poster_tile (self->poster, tile, rect, mu, stride);
    if (!self->journal)
        return;
    for (uint32_t row = 0; row < rect->h; row++)
        memcpy ((uint8_t *) self->rows + (size_t) row * rect->w * self->value,
                (const uint8_t *) mu + (size_t) row * stride * self->value,
                (size_t) rect->w * self->value);
    mf_journal_done (self->journal, tile, worker, self->rows, (size_t) rect->w * rect->h);
}

//  A poster's journal is replayed through its window: the tiles it took
//  are the ones restored (those past it are computed again, and the
//  resume line says so).
static void
s_poster_restored (const s_render_t *self, uint32_t total, mf_journal_info_t *info)
{
    uint32_t taken = 0;
    for (uint32_t tile = 0; tile < total; tile++)
        taken += self->restored [tile];
    if (taken < info->done) {
        size_t length = strlen (info->note);
        snprintf (info->note + length, sizeof info->note - length, "%s%u past the poster's "
                  "window computed again", length? "; ": "", info->done - taken);
        info->done = taken;
    }
}

//  Whether every value of a restored deep tile is possible at maxiter:
//  a journal of --iter auto was replayed before maxiter was chosen. Call
//  while the render still holds the grid (before the engine takes it).
static bool
s_restored_possible (const s_render_t *self, uint32_t tile, uint32_t maxiter)
{
    uint32_t width = self->opts->view.pixel_w;
    mf_rect_t r = mf_tiles_rect (self->tiles, tile);
    for (uint32_t j = 0; j < r.h; j++)
        for (uint32_t i = 0; i < r.w; i++) {
            double mu = ((const double *) self->mu) [(size_t) (r.y + j) * width + r.x + i];
            if (!(mu == -1 || (mu >= 0 && mu <= maxiter)))
                return false;
        }
    return true;
}

static void
s_on_leased (void *arg, uint32_t job, uint32_t tile)
{
    s_render_t *self = arg;
    if (self->journal)
        mf_journal_leased (self->journal, tile);
}

static void
s_on_withdrawn (void *arg, uint32_t job, uint32_t tile)
{
    s_render_t *self = arg;
    if (self->poster && mf_poster_withdraw (self->poster, tile) && !self->poster_failed) {
        snprintf (self->poster_err, sizeof self->poster_err, "a worker was found faulty after "
                  "its tile %u was written into the poster, and a written band cannot be "
                  "taken back; nothing written (with --checkpoint, the same command "
                  "resumes and computes its tiles again)", tile);
        self->poster_failed = true;
    }
    if (self->journal)
        mf_journal_withdrawn (self->journal, tile);
}

//  What the reference orbit was and cost, one line.
static void
s_say_reference (const s_render_t *render, uint32_t maxiter)
{
    mf_shipped_info_t info;
    mf_shipped_info (render->orbit, &info);
    mf_say ("reference orbit: %llu points at %ld bits in %.2f s (%s), %.1f MB raw, %.3f MB "
            "shipped; maxiter %u; %s deltas", (unsigned long long) info.points,
            info.precision, render->reference_seconds, info.escaped? "escaped": "to maxiter",
            info.raw / 1e6, info.packed / 1e6, maxiter,
            info.type == MF_DELTA_FEXP? "floatexp": "double");
}

static void
s_summary (mf_engine_t *engine, const mf_options_t *opts, double seconds)
{
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    char line [4096];
    int len = snprintf (line, sizeof line,
                        "%ux%u in %.2f s: %.3g Mpixel/s, %.3g Giter/s",
                        opts->view.pixel_w, opts->view.pixel_h, seconds,
                        (double) opts->view.pixel_w * opts->view.pixel_h / seconds / 1e6,
                        stats.iterations / seconds / 1e9);
    if (stats.reissued || stats.evicted || stats.rejected || stats.quarantined)
        len += snprintf (line + len, sizeof line - (size_t) len,
                         "; %llu reissued, %llu evicted, %llu rejected, %llu quarantined",
                         (unsigned long long) stats.reissued, (unsigned long long) stats.evicted,
                         (unsigned long long) stats.rejected,
                         (unsigned long long) stats.quarantined);
    mf_say ("%s%s", line, mf_engine_worker (engine, 0)? "; per worker:": "");
    mf_report_say (engine, seconds);
}

//  Writes the counters as JSON into out (committed, or aborted on
//  failure). Every string is escaped, above all what peers sent (names,
//  kernels). Returns 0 or -1 having said why.
static int
s_write_stats (mf_outfile_t **out, mf_engine_t *engine, const s_render_t *render,
               const char *status, uint32_t total, uint32_t restored, double seconds)
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
        { "pixels", st.pixels }, { "iterations", st.iterations }, { "bytes_in", st.bytes_in },
        { "shared", st.shared },
        { "deep_leases", st.deep_leases }, { "chunks", st.chunks },
        { "chunk_bytes", st.chunk_bytes }, { "fetch_dropped", st.fetch_dropped },
        { "noorbit", st.noorbit }, { "declined", st.declined }, { "refusals", st.refusals }
    };
    for (size_t index = 0; index < sizeof counters / sizeof counters [0]; index++)
        fprintf (f, "  \"%s\": %llu,\n", counters [index].name,
                 (unsigned long long) counters [index].value);
    //  A deep view: its reference orbit, what it cost and what travelled.
    if (render->orbit) {
        mf_shipped_info_t info;
        mf_shipped_info (render->orbit, &info);
        char id [17];
        mf_ship_id_text (mf_shipped_id (render->orbit), id);
        fprintf (f, "  \"reference\": { \"id\": \"%s\", \"points\": %llu, \"precision\": %ld, "
                 "\"type\": \"%s\", \"escaped\": %s, \"maxiter\": %u, \"seconds\": %.3f, "
                 "\"pack_seconds\": %.3f, \"raw_bytes\": %llu, \"packed_bytes\": %llu, "
                 "\"arbiter_bla_seconds\": %.3f, \"arbiter_bla_bytes\": %llu },\n", id,
                 (unsigned long long) info.points, info.precision,
                 info.type == MF_DELTA_FEXP? "floatexp": "double", info.escaped? "true": "false",
                 info.maxiter, render->reference_seconds, info.pack_seconds,
                 (unsigned long long) info.raw, (unsigned long long) info.packed,
                 info.table_seconds, (unsigned long long) info.table_bytes);
    }
    fprintf (f, "  ");
    mf_report_json (f, engine, seconds);
    fprintf (f, "\n}\n");
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
static void *
s_image_new (size_t bytes)
{
    void *image = mmap (NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return image == MAP_FAILED? NULL: image;
}

static void
s_image_destroy (void **image_p, size_t bytes)
{
    if (*image_p) {
        munmap (*image_p, bytes);
        *image_p = NULL;
    }
}

//  Frees what the render loop held, and removes the temporary files of
//  outputs not committed (the journal is closed apart).
static void
s_render_free (s_render_t *render)
{
    mf_reference_destroy (&render->reference);
    mf_shipped_destroy (&render->orbit);
    mf_tiles_destroy (&render->tiles);
    free (render->restored);
    free (render->owners);
    free (render->rows);
    s_image_destroy (&render->mu, render->bytes);
    mf_poster_destroy (&render->poster);
    mf_spill_destroy (&render->spill);
    for (int index = 0; index < 3; index++)
        mf_output_abort (&render->outputs [index]);
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

//  The job's spec: a deep view's map and name, or the shallow view.
static void
s_spec (const mf_options_t *opts, mf_job_spec_t *spec)
{
    *spec = (mf_job_spec_t) {
        .view = opts->view, .maxiter = opts->maxiter, .tile_edge = opts->tile,
        .verify_percent = opts->verify_percent
    };
    if (opts->deep) {
        spec->deep = true;
        //  A movie frame's reference point (--from), else the center.
        if (!opts->reference
        ||  mf_reference_map (opts->deep, opts->reference, opts->reference_bits,
                              &spec->deep_map))
            mf_deep_view_map (opts->deep, &spec->deep_map);
        //  The journal names the view by its exact texts: the view alone,
        //  whatever the digits given beyond what changes a pixel (and
        //  the reference point, which changes them).
        const char *center = mf_deep_view_center_text (opts->deep);
        const char *width = mf_deep_view_width_text (opts->deep);
        const char *point = opts->reference? opts->reference: "";
        size_t size = strlen (center) + strlen (width) + strlen (point) + 32;
        char *text = malloc (size);
        if (text) {
            if (opts->reference)
                snprintf (text, size, "%s %s %s %ld", center, width, point,
                          opts->reference_bits);
            else
                snprintf (text, size, "%s %s", center, width);
            mf_ship_id ((const uint8_t *) text, strlen (text), &spec->view_id);
            free (text);
        }
        else
            memset (&spec->view_id, 0xff, sizeof spec->view_id);
    }
}

//  Computes a deep view's reference orbit while the engine polls (its
//  heartbeats go on; workers connect meanwhile), with its progress line.
//  Returns 0 with render->orbit and *maxiter set, or 1 having said why
//  (*status says what the render's status is).
static int
s_reference (s_render_t *render, mf_engine_t *engine, volatile sig_atomic_t *stop,
             int64_t start, uint32_t *maxiter, const char **status)
{
    const mf_options_t *opts = render->opts;
    char err [512];
    render->reference = opts->reference
                      ? mf_reference_new_at (opts->deep, opts->reference, opts->reference_bits,
                                             opts->maxiter, err, sizeof err)
                      : mf_reference_new (opts->deep, opts->maxiter, err, sizeof err);
    if (!render->reference) {
        mf_say ("%s", err);
        return 1;
    }
    mf_progress_t *progress = mf_progress_new (!opts->quiet);
    long bits = mf_deep_view_precision (opts->deep);
    int rc = 0;
    uint64_t done, limit;
    while (!mf_reference_poll (render->reference, &done, &limit)) {
        double elapsed = (mf_clock_us () - start) / 1e6;
        if (*stop || (opts->deadline > 0 && elapsed > opts->deadline)) {
            mf_progress_clear (progress);
            *status = *stop? "interrupted": "deadline";
            if (*stop)
                mf_say ("interrupted while computing the reference orbit (%llu of %llu "
                        "iterations); nothing written", (unsigned long long) done,
                        (unsigned long long) limit);
            else
                mf_say ("gave up after the --deadline of %g s while computing the reference "
                        "orbit (%llu of %llu iterations); nothing written", opts->deadline,
                        (unsigned long long) done, (unsigned long long) limit);
            rc = 1;
            break;
        }
        mf_progress_reference (progress, done, limit, bits,
                               mf_reference_seconds (render->reference));
        mf_engine_poll (engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    if (rc == 0) {
        render->reference_seconds = mf_reference_seconds (render->reference);
        render->orbit = mf_reference_take (render->reference, maxiter, err, sizeof err);
        if (!render->orbit) {
            mf_say ("cannot compute the reference orbit: %s", err);
            rc = 1;
        }
    }
    //  The thread ends here (at once, when cancelled).
    mf_reference_destroy (&render->reference);
    return rc;
}

int
mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    char err [1024];
    const mf_view_t *view = &opts->view;
    s_render_t render = { .opts = opts, .value = opts->deep? sizeof (double): sizeof (float) };
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
    size_t pixels = (size_t) view->pixel_w * view->pixel_h;
    if (s_open_outputs (opts, &render)) {
        mf_launch_destroy (&launch);
        s_render_free (&render);
        return 2;
    }
    //  An image whose mu exceed --memory is a poster: band by band, in a
    //  window of the memory given (half for the bands, half for the
    //  writers' threads). A deep one's bands go to a spill file, colored
    //  at the end: its colors depend on the whole image (mf_deep_auto.h).
    uint64_t memory = mf_sys_physical_memory ();
    size_t budget = (size_t) opts->memory_mb << 20;
    bool poster = mf_mul_size (pixels, render.value, &render.bytes) || render.bytes > budget;
    //  An image that may be held whole but cannot be (over half the
    //  memory, or refused) is a poster too, rather than no image at all.
    if (!poster && (!memory || render.bytes <= memory / 2))
        render.mu = s_image_new (render.bytes);
    if (!poster && !render.mu) {
        mf_info ("--size %ux%u: cannot hold its %.1f MiB image whole here; rendering it as a "
                 "poster", view->pixel_w, view->pixel_h, render.bytes / 1048576.0);
        poster = true;
        budget = render.bytes / 4;          //  a quarter of what failed
    }
    if (poster) {
        render.bytes = 0;
        mf_poster_spec_t window = {
            .width = view->pixel_w, .height = view->pixel_h, .edge = opts->tile,
            .value = render.value,
            .window = mf_poster_window_for (view->pixel_w, opts->tile, render.value, budget / 2)
        };
        render.threads = s_poster_threads (opts, budget / 2);
        char folder [PATH_MAX];
        s_folder_of (opts->output, folder, sizeof folder);
        if (s_poster_open (opts, opts->maxiter, NULL, &render.png, &render.npy, render.outputs,
                           render.threads, true, stop)
        ||  (opts->deep && !(render.spill = mf_spill_new (folder, view->pixel_w, render.value,
                                                         err, sizeof err)))) {
            if (opts->deep && !render.spill)
                mf_say ("-o: %s", err);
            mf_launch_destroy (&launch);
            s_render_free (&render);
            return 2;
        }
        size_t count = 0;
        for (int index = 0; index < 3; index++)
            if (render.outputs [index])
                render.sinks [count++] = render.outputs [index];
        render.poster = opts->deep? mf_poster_new (&window, s_deep_band, &render)
                                  : mf_poster_new (&window, mf_poster_to_outputs, render.sinks);
        if (!render.poster) {
            mf_say ("--size %ux%u: cannot allocate the poster's window of %u bands of %u "
                    "rows; give a smaller --tile", view->pixel_w, view->pixel_h, window.window,
                    opts->tile);
            mf_launch_destroy (&launch);
            s_render_free (&render);
            return 2;
        }
        mf_info ("a poster: %u bands of %u rows, %u held at once (%.1f MiB)",
                 (view->pixel_h + opts->tile - 1) / opts->tile, opts->tile, window.window,
                 mf_poster_bytes (render.poster) / 1048576.0);
    }
    render.tiles = render.poster? mf_tiles_new_rows (view->pixel_w, view->pixel_h, opts->tile)
                                : mf_tiles_new (view->pixel_w, view->pixel_h, opts->tile);
    uint32_t total = render.tiles? mf_tiles_count (render.tiles): 0;
    render.restored = render.tiles? calloc (total, 1): NULL;
    render.owners = render.tiles? calloc (total, sizeof *render.owners): NULL;
    render.rows = malloc ((size_t) opts->tile * opts->tile * render.value);
    if (!render.tiles || !render.restored || !render.owners || !render.rows) {
        mf_say ("out of memory");
        mf_launch_destroy (&launch);
        s_render_free (&render);
        return 1;
    }
    mf_job_spec_t spec;
    s_spec (opts, &spec);
    mf_journal_info_t journal = { 0 };
    if (opts->checkpoint) {
        //  --iter auto is written as 0: the journal is read before the
        //  reference orbit chooses maxiter.
        render.journal = mf_journal_open (opts->checkpoint, &spec, render.tiles, s_restore_tile,
                                          &render, &journal, err, sizeof err);
        if (!render.journal) {
            mf_say ("--checkpoint: %s", err);
            rc = 2;
        }
        else
        if (render.poster)
            s_poster_restored (&render, total, &journal);
        if (render.journal && journal.done && !opts->quiet)
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
        mf_sys_populate (render.mu, render.bytes);
    uint32_t job = 0, done = 0;
    int64_t start = mf_clock_us ();
    const char *status = "failed";
    //  A deep view's reference orbit, while the workers connect.
    if (rc == 0 && opts->deep)
        rc = s_reference (&render, engine, stop, start, &spec.maxiter, &status);
    //  Every check passed: only now does the checkpoint get written.
    if (rc == 0 && render.journal && mf_journal_start (render.journal, err, sizeof err)) {
        mf_say ("--checkpoint: %s", err);
        rc = 1;
    }
    if (rc == 0 && render.poster_failed) {
        mf_say ("%s", render.poster_err);
        rc = 1;
    }
    if (rc == 0) {
        mf_engine_on_tile (engine, render.journal || render.poster? s_on_tile: NULL, &render);
        if (render.journal || render.poster)
            mf_engine_on_events (engine, s_on_leased, s_on_withdrawn, &render);
        //  The grid the journal was replayed on becomes the engine's: one
        //  grid for every tile id.
        //  A journal of --iter auto was replayed before maxiter was chosen:
        //  a tile with a mu beyond it is computed again.
        //  (A poster's are checked as they are colored: s_poster_colors.)
        for (uint32_t tile = 0; opts->iter_auto && !render.poster && tile < total; tile++)
            if (render.restored [tile] && !s_restored_possible (&render, tile, spec.maxiter))
                render.restored [tile] = 0;
        job = opts->deep? mf_engine_submit_deep (engine, &spec, &render.tiles, render.mu,
                                                 render.orbit)
                        : mf_engine_submit_grid (engine, &spec, &render.tiles, render.mu);
        if (job && render.poster)
            mf_engine_horizon (engine, job, mf_poster_horizon (render.poster));
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
    int64_t refused_since = 0;          //  msecs since when every worker refuses the orbit
    while (rc == 0) {
        mf_engine_progress (engine, job, &done, &total);
        mf_engine_stats_t stats;
        mf_engine_stats (engine, &stats);
        mf_progress_update (progress, done, total, stats.pixels, stats.workers);
        if (render.poster) {
            s_poster_flush (&render);
            mf_engine_horizon (engine, job, mf_poster_horizon (render.poster));
            if (render.poster_failed) {
                mf_progress_clear (progress);
                mf_say ("%s", render.poster_err);
                rc = 1;
                break;
            }
        }
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
        //  Every worker here refused the reference orbit (too large for
        //  it, or bad) for a few heartbeats: nobody can finish the job.
        if (!mf_engine_job_refused (engine, job))
            refused_since = 0;
        else
        if (!refused_since)
            refused_since = now;
        else
        if (now - refused_since > 3 * (int64_t) opts->heartbeat_ms) {
            mf_progress_clear (progress);
            mf_say ("every worker refused the reference orbit (too large for its --cache-mb, "
                    "or it failed their checks) with %u of %u tiles done; nothing written",
                    done, total);
            rc = 1;
            break;
        }
        mf_engine_poll (engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    double seconds = (mf_clock_us () - start) / 1e6;
    mf_launch_stop_workers (launch);
    if (rc == 0 && render.spill
    &&  s_poster_colors (opts, spec.maxiter, render.spill, &render.png, render.outputs,
                         render.threads, stop)) {
        status = *stop? "interrupted": "failed";
        rc = 1;
    }
    if (rc == 0 && (render.poster? s_poster_commit (render.outputs)
                                 : s_write_outputs (opts, spec.maxiter, &render.png,
                                                    &render.npy, render.mu, stop))) {
        status = *stop? "interrupted": "failed";
        rc = 1;
    }
    if (engine && render.stats
    &&  s_write_stats (&render.stats, engine, &render, rc == 0? "done": status, total,
                       journal.done, seconds) && rc == 0)
        rc = 1;
    if (rc == 0 && !opts->quiet) {
        if (render.orbit)
            s_say_reference (&render, spec.maxiter);
        s_summary (engine, opts, seconds);
        mf_say ("wrote %s%s%s%s%s%s", opts->output, opts->raw? " and ": "",
                opts->raw? opts->raw: "", opts->dzi? "; the zoomable view is in ": "",
                opts->dzi? opts->dzi: "", opts->dzi? " (open its index.html)": "");
    }
    if (render.journal && rc == 1 && engine && job)
        mf_say ("the checkpoint %s keeps the %u tiles done; run the same command again to "
                "resume", opts->checkpoint, done);
    //  A complete render needs its checkpoint no more; a refused one never
    //  wrote it (mf_journal_start comes after every check).
    mf_journal_destroy (&render.journal, rc == 0);
    mf_engine_destroy (&engine);
    mf_launch_destroy (&launch);        //  the authenticator after the engine that used it
    s_render_free (&render);
    return rc;
}
