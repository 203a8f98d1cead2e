/*  mf_movie: see movie.h. One engine, one launch of the farm; a look at
    the frames written already; the reference orbit (one computation,
    packed in one or both number types) unless no deep frame is left to
    compute; then a loop that keeps MF_MOVIE_IN_FLIGHT frames submitted,
    writes each one when its last tile lands, and starts the next.
*/
#include "movie.h"
#include "engine.h"
#include "journal.h"
#include "launch.h"
#include "progress.h"
#include "reference.h"
#include "mf_deep_auto.h"
#include "mf_log.h"
#include "mf_outfile.h"
#include "mf_output.h"
#include "mf_proto.h"
#include "mf_sys.h"
#include "mf_util.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <mpfr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define POLL_MS 50                      //  msecs per engine poll
#define WIDTH_BITS 256                  //  bits of the widths' logarithms
#define ALONE_MS 3000                   //  msecs without a worker before saying so

typedef struct _s_movie_t s_movie_t;

//  A frame in flight.
typedef struct {
    s_movie_t *movie;                   //  the movie it belongs to
    uint32_t index;                     //  its number
    char path [PATH_MAX];               //  its PNG
    char journal_path [PATH_MAX + 16];  //  its journal
    mf_deep_view_t *deep;               //  its view when deep, else NULL
    mf_job_spec_t spec;                 //  its job (the view's doubles when shallow)
    void *mu;                           //  its image: floats, or doubles when deep
    size_t value;                       //  bytes of one value
    mf_tiles_t *tiles;                  //  its grid until the engine takes it
    mf_journal_t *journal;              //  its journal
    uint8_t *restored;                  //  tiles restored from the journal, by id
    uint64_t *owners;                   //  their owners, by id
    void *rows;                         //  one tile's rows, for the journal
    uint32_t job;                       //  its job id, 0 before it is submitted
} s_frame_t;

struct _s_movie_t {
    const mf_options_t *opts;
    mf_engine_t *engine;
    char center [80];                   //  a shallow target's center, as text
    char width [32];                    //  ... and its width
    const char *center_text;            //  every frame's center, "RE,IM"
    const char *first_width;            //  frame 0's width, text
    const char *last_width;             //  the target's width, text
    const char *point;                  //  the reference point (deep target), or NULL
    long bits;                          //  its precision
    mf_shipped_t *orbits [2];           //  the orbit by number type, or NULL
    double reference_seconds;           //  what computing it took
    uint32_t references;                //  MPFR computations of it (0 or 1)
    uint8_t *written_before;            //  by frame: found written, and this movie's
    uint32_t maxiter;                   //  every frame's
    s_frame_t *frames [MF_MOVIE_IN_FLIGHT];     //  in flight, or NULL
    uint32_t written;                   //  frames written in this run
    uint32_t kept;                      //  frames found written already
    uint32_t restored;                  //  tiles restored from journals
};

int
mf_movie_width (const char *first, const char *last, uint32_t index, uint32_t frames,
                char *text, size_t size)
{
    assert (index < frames);
    mpfr_t a, b, w;
    mpfr_inits2 (WIDTH_BITS, a, b, w, (mpfr_ptr) 0);
    char *end_a, *end_b;
    mpfr_strtofr (a, first, &end_a, 10, MPFR_RNDN);
    mpfr_strtofr (b, last, &end_b, 10, MPFR_RNDN);
    int rc = -1;
    if (*end_a == 0 && *end_b == 0 && mpfr_number_p (a) && mpfr_number_p (b)
    &&  mpfr_sgn (a) > 0 && mpfr_sgn (b) > 0) {
        //  log W = log W0 + (log Wt - log W0) k / (N - 1), each step
        //  rounded to nearest at WIDTH_BITS: the same texts everywhere.
        mpfr_log (a, a, MPFR_RNDN);
        mpfr_log (b, b, MPFR_RNDN);
        mpfr_sub (w, b, a, MPFR_RNDN);
        mpfr_mul_ui (w, w, index, MPFR_RNDN);
        mpfr_div_ui (w, w, frames - 1, MPFR_RNDN);
        mpfr_add (w, w, a, MPFR_RNDN);
        mpfr_exp (w, w, MPFR_RNDN);
        int len = mpfr_snprintf (text, size, "%.*Re", MF_MOVIE_WIDTH_DIGITS - 1, w);
        rc = len > 0 && (size_t) len < size? 0: -1;
    }
    mpfr_clears (a, b, w, (mpfr_ptr) 0);
    return rc;
}

//  The frame's width text: the first and last as given, the others
//  interpolated. Returns 0, or -1 having said why.
static int
s_frame_width (const s_movie_t *self, uint32_t index, char *text, size_t size)
{
    uint32_t frames = self->opts->movie;
    const char *exact = index == frames - 1? self->last_width: index == 0? self->first_width
                      : NULL;
    if (exact && strlen (exact) < size) {
        snprintf (text, size, "%s", exact);
        return 0;
    }
    if (mf_movie_width (self->first_width, self->last_width, index, frames, text, size) == 0)
        return 0;
    mf_say ("--movie: cannot compute the width of frame %u", index);
    return -1;
}

//  Reads frame index's view: into *deep when deep (the caller destroys
//  it), else into view. Returns 0, or -1 having said why.
static int
s_frame_view (const s_movie_t *self, uint32_t index, mf_deep_view_t **deep, mf_view_t *view)
{
    char width [64], err [512];
    if (s_frame_width (self, index, width, sizeof width))
        return -1;
    const mf_view_t *size = &self->opts->view;
    mf_deep_view_t *read = mf_deep_view_new (self->center_text, width, NULL, size->pixel_w,
                                             size->pixel_h, err, sizeof err);
    if (!read) {
        mf_say ("--movie: frame %u: %s", index, err);
        return -1;
    }
    *view = *size;
    if (mf_deep_view_shallow (read, view) == 0) {
        mf_deep_view_destroy (&read);
        *deep = NULL;
    }
    else
        *deep = read;
    return 0;
}

//  The frame's PNG path from -o's pattern (checked by mf_options_parse).
static void
s_frame_path (const char *pattern, uint32_t index, char *path, size_t size)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf (path, size, pattern, (int) index);
#pragma GCC diagnostic pop
}

static void
s_frame_destroy (s_frame_t **frame_p, bool remove_journal)
{
    s_frame_t *frame = *frame_p;
    if (!frame)
        return;
    mf_journal_destroy (&frame->journal, remove_journal);
    mf_deep_view_destroy (&frame->deep);
    mf_tiles_destroy (&frame->tiles);
    free (frame->mu);
    free (frame->restored);
    free (frame->owners);
    free (frame->rows);
    free (frame);
    *frame_p = NULL;
}

static void
s_restore_tile (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_frame_t *frame = arg;
    uint32_t width = frame->spec.view.pixel_w;
    mf_rect_t r = mf_tiles_rect (frame->tiles, tile);
    size_t offset = (size_t) r.y * width + r.x;
    if (frame->deep)
        for (uint32_t row = 0; row < r.h; row++)
            mf_proto_get_f64s ((double *) frame->mu + offset + (size_t) row * width,
                               mu + (size_t) row * r.w * 8, r.w);
    else
        mf_le_get_f32_rect ((float *) frame->mu + offset, width, mu, r.w, r.h);
    frame->restored [tile] = 1;
    frame->owners [tile] = owner;
}

//  The frame in flight with this job, or NULL.
static s_frame_t *
s_frame_of (s_movie_t *self, uint32_t job)
{
    for (int slot = 0; slot < MF_MOVIE_IN_FLIGHT; slot++)
        if (self->frames [slot] && self->frames [slot]->job == job)
            return self->frames [slot];
    return NULL;
}

static void
s_on_tile (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect, const void *mu,
           size_t stride, uint64_t worker)
{
    s_frame_t *frame = s_frame_of (arg, job);
    if (!frame)
        return;
    for (uint32_t row = 0; row < rect->h; row++)
        memcpy ((uint8_t *) frame->rows + (size_t) row * rect->w * frame->value,
                (const uint8_t *) mu + (size_t) row * stride * frame->value,
                (size_t) rect->w * frame->value);
    mf_journal_done (frame->journal, tile, worker, frame->rows, (size_t) rect->w * rect->h);
}

static void
s_on_leased (void *arg, uint32_t job, uint32_t tile)
{
    s_frame_t *frame = s_frame_of (arg, job);
    if (frame)
        mf_journal_leased (frame->journal, tile);
}

static void
s_on_withdrawn (void *arg, uint32_t job, uint32_t tile)
{
    s_frame_t *frame = s_frame_of (arg, job);
    if (frame)
        mf_journal_withdrawn (frame->journal, tile);
}

//  The job's spec for frame (its view, or its deep view's map from the
//  movie's reference point), named for its journal as render.c names a
//  single render's.
static void
s_frame_spec (const s_movie_t *self, s_frame_t *frame, const mf_view_t *view)
{
    const mf_options_t *opts = self->opts;
    frame->spec = (mf_job_spec_t) {
        .view = *view, .maxiter = self->maxiter, .tile_edge = opts->tile,
        .verify_percent = opts->verify_percent
    };
    if (!frame->deep)
        return;
    frame->spec.deep = true;
    if (mf_reference_map (frame->deep, self->point, self->bits, &frame->spec.deep_map))
        mf_deep_view_map (frame->deep, &frame->spec.deep_map);     //  not reached: checked
    const char *center = mf_deep_view_center_text (frame->deep);
    const char *width = mf_deep_view_width_text (frame->deep);
    size_t size = strlen (center) + strlen (width) + strlen (self->point) + 32;
    char *text = malloc (size);
    if (text) {
        snprintf (text, size, "%s %s %s %ld", center, width, self->point, self->bits);
        mf_ship_id ((const uint8_t *) text, strlen (text), &frame->spec.view_id);
        free (text);
    }
    else
        memset (&frame->spec.view_id, 0xff, sizeof frame->spec.view_id);
}

//  Whether the PNG at path is frame index of this movie, as its texts
//  say: a frame of another movie (another view, size, iterations or
//  palette) is never taken for one of this. Returns 0, or -1 having
//  said why.
static int
s_frame_kept (const s_movie_t *self, uint32_t index, const char *path)
{
    const mf_options_t *opts = self->opts;
    static const char *const keys [] = { "Center", "Width", "Size", "Iterations", "Palette",
                                         "Reference" };
    enum { COUNT = sizeof keys / sizeof keys [0] };
    mf_deep_view_t *deep;
    mf_view_t view;
    if (s_frame_view (self, index, &deep, &view))
        return -1;
    char center [80], width [32], size [32], iter [16];
    mf_output_view_text (&view, center, sizeof center, width, sizeof width);
    snprintf (size, sizeof size, "%ux%u", view.pixel_w, view.pixel_h);
    snprintf (iter, sizeof iter, "%u", self->maxiter);
    const char *want [COUNT] = {
        deep? mf_deep_view_center_text (deep): center, deep? mf_deep_view_width_text (deep): width,
        size, iter, mf_palette_name (opts->palette), deep? self->point: NULL
    };
    char *have [COUNT];
    char err [PATH_MAX + 256];
    int rc = mf_options_png_texts (path, "-o", keys, COUNT, have, err, sizeof err);
    if (rc)
        mf_say ("%s", err);
    for (size_t key = 0; key < COUNT && rc == 0; key++)
        if (want [key]? !have [key] || strcmp (want [key], have [key]): have [key] != NULL) {
            mf_say ("-o: '%s' is not frame %u of this movie: its %s is '%.40s%s', this "
                    "movie's '%.40s%s'; remove it, or give another -o", path, index, keys [key],
                    have [key]? have [key]: "(none)",
                    have [key] && strlen (have [key]) > 40? "...": "",
                    want [key]? want [key]: "(none)",
                    want [key] && strlen (want [key]) > 40? "...": "");
            rc = -1;
        }
    for (size_t key = 0; key < COUNT; key++)
        free (have [key]);
    mf_deep_view_destroy (&deep);
    return rc;
}

//  Starts frame index: nothing when its PNG exists (kept), else its
//  view, image, journal (replayed) and job. Returns 0, or 1 having said
//  why.
static int
s_frame_start (s_movie_t *self, uint32_t index, int slot)
{
    const mf_options_t *opts = self->opts;
    char err [PATH_MAX + 512];
    char path [PATH_MAX];
    s_frame_path (opts->output, index, path, sizeof path);
    struct stat st;
    if (self->written_before [index]) {
        self->kept++;
        return 0;
    }
    //  Written since s_scan looked (by another run): checked all the same.
    if (stat (path, &st) == 0 && S_ISREG (st.st_mode)) {
        if (s_frame_kept (self, index, path))
            return 2;
        self->kept++;
        return 0;
    }
    s_frame_t *frame = calloc (1, sizeof *frame);
    if (!frame) {
        mf_say ("out of memory");
        return 1;
    }
    frame->movie = self;
    frame->index = index;
    snprintf (frame->path, sizeof frame->path, "%s", path);
    snprintf (frame->journal_path, sizeof frame->journal_path, "%s.journal", path);
    mf_view_t view;
    if (s_frame_view (self, index, &frame->deep, &view)) {
        s_frame_destroy (&frame, false);
        return 1;
    }
    s_frame_spec (self, frame, &view);
    frame->value = frame->deep? sizeof (double): sizeof (float);
    size_t pixels = (size_t) view.pixel_w * view.pixel_h;
    frame->mu = malloc (pixels * frame->value);
    frame->tiles = mf_tiles_new (view.pixel_w, view.pixel_h, opts->tile);
    uint32_t total = frame->tiles? mf_tiles_count (frame->tiles): 0;
    frame->restored = calloc (total? total: 1, 1);
    frame->owners = calloc (total? total: 1, sizeof *frame->owners);
    frame->rows = malloc ((size_t) opts->tile * opts->tile * frame->value);
    if (!frame->mu || !frame->tiles || !frame->restored || !frame->owners || !frame->rows) {
        mf_say ("out of memory");
        s_frame_destroy (&frame, false);
        return 1;
    }
    mf_journal_info_t info = { 0 };
    frame->journal = mf_journal_open (frame->journal_path, &frame->spec, frame->tiles,
                                      s_restore_tile, frame, &info, err, sizeof err);
    if (!frame->journal || mf_journal_start (frame->journal, err, sizeof err)) {
        mf_say ("--movie: frame %u's journal: %s", index, err);
        s_frame_destroy (&frame, false);
        return 1;
    }
    if (info.done && !opts->quiet)
        mf_say ("resuming frame %u from %s: %u of %u tiles done", index, frame->journal_path,
                info.done, total);
    self->restored += info.done;
    self->frames [slot] = frame;
    mf_shipped_t *orbit = frame->deep? self->orbits [frame->spec.deep_map.type]: NULL;
    frame->job = frame->deep? mf_engine_submit_deep (self->engine, &frame->spec, &frame->tiles,
                                                     frame->mu, orbit)
                            : mf_engine_submit_grid (self->engine, &frame->spec, &frame->tiles,
                                                     frame->mu);
    for (uint32_t tile = 0; frame->job && tile < total; tile++)
        if (frame->restored [tile]
        &&  mf_engine_preset (self->engine, frame->job, tile, NULL, frame->owners [tile]))
            frame->job = 0;
    if (!frame->job) {
        mf_say ("out of memory");
        return 1;                       //  the slot holds it: freed at the end
    }
    return 0;
}

//  Writes a done frame's PNG (atomically, with the texts that render it
//  again). Returns 0, or 1 having said why.
static int
s_frame_write (s_movie_t *self, s_frame_t *frame, volatile sig_atomic_t *stop)
{
    const mf_options_t *opts = self->opts;
    const mf_view_t *view = &frame->spec.view;
    char center [80], width [32], err [PATH_MAX + 512];
    mf_output_view_text (view, center, sizeof center, width, sizeof width);
    mf_output_spec_t spec = {
        .format = MF_OUTPUT_PNG, .width = view->pixel_w, .height = view->pixel_h,
        .center = center, .span = width, .maxiter = self->maxiter, .palette = opts->palette,
        .depth = opts->png16? 16: 8, .threads = mf_online_cpus (), .lend_rows = true,
        .stop = stop
    };
    mf_deep_density_t density;
    if (frame->deep) {
        spec.center = mf_deep_view_center_text (frame->deep);
        spec.span = mf_deep_view_width_text (frame->deep);
        spec.mu64 = true;
        mf_deep_density (frame->mu, (size_t) view->pixel_w * view->pixel_h, &density);
        spec.density = &density;
        spec.reference = self->point;
        spec.reference_bits = self->bits;
    }
    if (mf_output_write (frame->path, &spec, frame->mu, err, sizeof err)) {
        mf_say ("%s", err);
        return 1;
    }
    mf_info ("wrote %s", frame->path);
    self->written++;
    return 0;
}

//  Computes the reference orbit once, at the reference point in the
//  target's number type (maxiter 0: --iter auto, chosen from the target
//  and that orbit), while the engine polls; when the target is in
//  floatexp and some deep frame in doubles, the orbit in doubles comes
//  from the same computation. start (usecs) is the movie's, for
//  --deadline. Returns 0, or 1 having said why.
static int
s_orbits (s_movie_t *self, volatile sig_atomic_t *stop, int64_t start)
{
    const mf_options_t *opts = self->opts;
    mf_deep_map_t map;
    mf_deep_view_map (opts->deep, &map);
    //  The number type only grows finer with depth: the first deep
    //  frame left to compute has the coarsest one needed.
    bool both = false;
    if (map.type == MF_DELTA_FEXP) {
        mf_deep_view_t *deep = NULL;
        mf_view_t view;
        for (uint32_t index = 0; index < opts->movie && !deep; index++)
            if (!self->written_before [index] && s_frame_view (self, index, &deep, &view))
                return 1;
        if (deep) {
            mf_deep_map_t first;
            mf_deep_view_map (deep, &first);
            both = first.type != map.type;
        }
        mf_deep_view_destroy (&deep);
    }
    char err [512];
    mf_reference_t *reference = both
        ? mf_reference_new_both (opts->deep, self->point, self->bits, self->maxiter, err,
                                 sizeof err)
        : mf_reference_new_at (opts->deep, self->point, self->bits, self->maxiter, err,
                               sizeof err);
    if (!reference) {
        mf_say ("%s", err);
        return 1;
    }
    mf_progress_t *progress = mf_progress_new (!opts->quiet);
    uint64_t done, limit;
    int rc = 0;
    while (!mf_reference_poll (reference, &done, &limit)) {
        double elapsed = (mf_clock_us () - start) / 1e6;
        if (*stop || (opts->deadline > 0 && elapsed > opts->deadline)) {
            mf_progress_clear (progress);
            mf_say ("%s while computing the reference orbit (%llu of %llu iterations); no "
                    "frame computed", *stop? "interrupted": "gave up after the --deadline",
                    (unsigned long long) done, (unsigned long long) limit);
            rc = 1;
            break;
        }
        mf_progress_reference (progress, done, limit, self->bits,
                               mf_reference_seconds (reference));
        mf_engine_poll (self->engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    if (rc == 0) {
        uint32_t maxiter;
        self->reference_seconds = mf_reference_seconds (reference);
        self->references++;
        self->orbits [map.type] = mf_reference_take (reference, &maxiter, err, sizeof err);
        if (self->orbits [map.type] && both)
            self->orbits [MF_DELTA_DOUBLE] = mf_reference_take_doubles (reference, err,
                                                                        sizeof err);
        if (!self->orbits [map.type] || (both && !self->orbits [MF_DELTA_DOUBLE])) {
            mf_say ("cannot compute the reference orbit: %s", err);
            rc = 1;
        }
        else
            self->maxiter = maxiter;
    }
    mf_reference_destroy (&reference);
    return rc;
}

//  Looks at the frames written already: each must be this movie's (it
//  is then kept), and says in *deep_left whether a deep frame is still
//  to compute (only then is the reference orbit needed). Returns 0, 2
//  when a frame written is not this movie's, or 1, having said why.
static int
s_scan (s_movie_t *self, bool *deep_left)
{
    const mf_options_t *opts = self->opts;
    *deep_left = false;
    for (uint32_t index = 0; index < opts->movie; index++) {
        char path [PATH_MAX];
        s_frame_path (opts->output, index, path, sizeof path);
        struct stat st;
        if (stat (path, &st) == 0 && S_ISREG (st.st_mode)) {
            if (s_frame_kept (self, index, path))
                return 2;
            self->written_before [index] = 1;
        }
        else
        if (!*deep_left) {
            mf_deep_view_t *deep;
            mf_view_t view;
            if (s_frame_view (self, index, &deep, &view))
                return 1;
            *deep_left = deep != NULL;
            mf_deep_view_destroy (&deep);
        }
    }
    return 0;
}

//  The movie's counters as JSON into out (committed). Returns 0 or -1
//  having said why.
static int
s_write_stats (s_movie_t *self, mf_outfile_t **out, const char *status, double seconds)
{
    FILE *f = mf_outfile_stream (*out);
    mf_engine_stats_t st;
    mf_engine_stats (self->engine, &st);
    fprintf (f, "{\n  \"status\": \"%s\",\n  \"seconds\": %.3f,\n", status, seconds);
    fprintf (f, "  \"frames\": %u,\n  \"frames_written\": %u,\n  \"frames_kept\": %u,\n",
             self->opts->movie, self->written, self->kept);
    uint32_t orbits = (self->orbits [0] != NULL) + (self->orbits [1] != NULL);
    fprintf (f, "  \"restored\": %u,\n  \"references\": %u,\n  \"reference_seconds\": %.3f,\n"
             "  \"orbits\": %u,\n", self->restored, self->references, self->reference_seconds,
             orbits);
    for (int type = 0; type < 2; type++)
        if (self->orbits [type]) {
            mf_shipped_info_t info;
            mf_shipped_info (self->orbits [type], &info);
            fprintf (f, "  \"reference_%s\": { \"points\": %llu, \"precision\": %ld, "
                     "\"packed_bytes\": %llu },\n", type == MF_DELTA_FEXP? "floatexp": "double",
                     (unsigned long long) info.points, info.precision,
                     (unsigned long long) info.packed);
        }
    struct { const char *name; uint64_t value; } counters [] = {
        { "tiles", st.tiles }, { "assigned", st.assigned }, { "reissued", st.reissued },
        { "backups", st.backups }, { "rejected", st.rejected }, { "evicted", st.evicted },
        { "workers_seen", st.workers_seen }, { "pixels", st.pixels },
        { "iterations", st.iterations }, { "deep_leases", st.deep_leases },
        { "chunks", st.chunks }, { "chunk_bytes", st.chunk_bytes },
        { "noorbit", st.noorbit }, { "declined", st.declined }
    };
    size_t count = sizeof counters / sizeof counters [0];
    for (size_t index = 0; index < count; index++)
        fprintf (f, "  \"%s\": %llu%s\n", counters [index].name,
                 (unsigned long long) counters [index].value, index + 1 < count? ",": "");
    fprintf (f, "}\n");
    char err [512];
    if (mf_outfile_commit (out, err, sizeof err)) {
        mf_say ("--stats: %s", err);
        return -1;
    }
    return 0;
}

//  The frames' folder: made if missing (one level, as the pattern names
//  it), so that the command the viewer prints runs as it is. Returns 0,
//  or 2 having said why.
static int
s_make_folder (const char *pattern)
{
    char folder [PATH_MAX];
    snprintf (folder, sizeof folder, "%s", pattern);
    char *slash = strrchr (folder, '/');
    if (!slash || slash == folder)
        return 0;
    *slash = 0;
    struct stat st;
    if (stat (folder, &st) == 0 && S_ISDIR (st.st_mode))
        return 0;
    if (mkdir (folder, 0777) == 0)
        return 0;
    mf_say ("-o: cannot make the frames' folder '%s': %s; give a pattern in a writable "
            "directory", folder, strerror (errno));
    return 2;
}

//  The texts every frame reads: the target's center and widths, and the
//  reference point of a deep target.
static void
s_texts (s_movie_t *self)
{
    const mf_options_t *opts = self->opts;
    if (opts->deep) {
        self->center_text = mf_deep_view_center_text (opts->deep);
        self->last_width = mf_deep_view_width_text (opts->deep);
        self->point = self->center_text;
        self->bits = mf_deep_view_precision (opts->deep);
    }
    else {
        mf_output_view_text (&opts->view, self->center, sizeof self->center, self->width,
                             sizeof self->width);
        self->center_text = self->center;
        self->last_width = self->width;
    }
    self->first_width = opts->from_width? opts->from_width: "3.5";
}

int
mf_movie_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    s_movie_t *self = calloc (1, sizeof *self);
    if (!self) {
        mf_say ("out of memory");
        return 1;
    }
    self->opts = opts;
    self->maxiter = opts->maxiter;
    self->written_before = calloc (opts->movie, 1);
    if (!self->written_before) {
        mf_say ("out of memory");
        free (self);
        return 1;
    }
    s_texts (self);
    char err [PATH_MAX + 512];
    //  The first frame must be wider than the target (a zoom in).
    if (opts->movie > 1) {
        char width [64];
        mpfr_t first, last;
        mpfr_inits2 (WIDTH_BITS, first, last, (mpfr_ptr) 0);
        mpfr_set_str (first, self->first_width, 10, MPFR_RNDN);
        mpfr_set_str (last, self->last_width, 10, MPFR_RNDN);
        bool wider = mpfr_greater_p (first, last);
        mpfr_clears (first, last, (mpfr_ptr) 0);
        if (!wider || mf_movie_width (self->first_width, self->last_width, 1, opts->movie,
                                      width, sizeof width)) {
            mf_say ("--from-width %s: the first frame must be wider than the target's width "
                    "%s (a movie zooms in); give a larger --from-width", self->first_width,
                    self->last_width);
            free (self->written_before);
            free (self);
            return 2;
        }
    }
    //  Outputs other than the frames: the same checks as a render's.
    mf_options_t others = *opts;
    others.output = NULL;
    if (mf_options_check_files (&others, err, sizeof err)) {
        mf_say ("%s", err);
        free (self->written_before);
        free (self);
        return 2;
    }
    int rc = s_make_folder (opts->output);
    mf_outfile_t *stats = NULL;
    if (rc == 0 && opts->stats && !(stats = mf_outfile_open (opts->stats, err, sizeof err))) {
        mf_say ("--stats: %s; give a path in a writable directory", err);
        rc = 2;
    }
    mf_launch_t *launch = rc == 0? mf_launch_new (opts, &rc): NULL;
    if (launch)
        rc = mf_launch_start (launch);
    self->engine = launch && rc == 0? mf_launch_engine (launch, &rc): NULL;
    int64_t start = mf_clock_us ();
    const char *status = "failed";
    //  --iter auto: the frames' iterations, which a frame written already
    //  must have, come from the orbit.
    if (self->engine && opts->deep && self->maxiter == 0)
        rc = s_orbits (self, stop, start);
    bool deep_left = false;
    if (self->engine && rc == 0)
        rc = s_scan (self, &deep_left);
    if (self->engine && rc == 0 && opts->deep && deep_left && !self->references)
        rc = s_orbits (self, stop, start);
    if (self->engine && rc == 0) {
        mf_engine_on_tile (self->engine, s_on_tile, self);
        mf_engine_on_events (self->engine, s_on_leased, s_on_withdrawn, self);
    }
    mf_progress_t *progress = mf_progress_new (!opts->quiet);
    uint32_t next = 0;                  //  the next frame to start
    int64_t alone_since = 0;            //  msecs since when no worker is connected
    while (self->engine && rc == 0) {
        for (int slot = 0; slot < MF_MOVIE_IN_FLIGHT && rc == 0 && next < opts->movie; slot++)
            while (!self->frames [slot] && rc == 0 && next < opts->movie)
                rc = s_frame_start (self, next++, slot);
        uint32_t tiles_done = 0, tiles_total = 0, active = 0;
        for (int slot = 0; slot < MF_MOVIE_IN_FLIGHT && rc == 0; slot++) {
            s_frame_t *frame = self->frames [slot];
            uint32_t done, total;
            if (!frame || mf_engine_progress (self->engine, frame->job, &done, &total))
                continue;
            if (done < total) {
                tiles_done += done, tiles_total += total, active++;
                continue;
            }
            mf_progress_clear (progress);
            rc = s_frame_write (self, frame, stop);
            if (rc == 0) {
                mf_engine_release (self->engine, frame->job);
                s_frame_destroy (&self->frames [slot], true);
            }
        }
        mf_engine_stats_t now_stats;
        mf_engine_stats (self->engine, &now_stats);
        mf_progress_movie (progress, self->written + self->kept, opts->movie, self->written,
                           tiles_done, tiles_total, now_stats.workers);
        if (rc)
            break;
        if (!active && next == opts->movie) {
            status = "done";
            break;
        }
        double elapsed = (mf_clock_us () - start) / 1e6;
        if (*stop || (opts->deadline > 0 && elapsed > opts->deadline)) {
            mf_progress_clear (progress);
            status = *stop? "interrupted": "deadline";
            mf_say ("%s with %u of %u frames done; the frames written stay, the frames in "
                    "flight keep their journals: run the same command again to resume",
                    *stop? "interrupted": "gave up after the --deadline",
                    self->written + self->kept, opts->movie);
            rc = 1;
            break;
        }
        int64_t now = mf_clock_ms ();
        if (now_stats.workers > 0)
            alone_since = 0;
        else
        if (!alone_since)
            alone_since = now;
        else
        if (now - alone_since > ALONE_MS) {
            mf_progress_clear (progress);
            mf_warn ("no worker is connected; waiting for one%s",
                     opts->deadline > 0? "": "; --deadline gives up");
            alone_since = INT64_MAX / 2;
        }
        mf_engine_poll (self->engine, POLL_MS, NULL);
    }
    mf_progress_destroy (&progress);
    double seconds = (mf_clock_us () - start) / 1e6;
    //  Stopped before the loop (while the reference was computed): say
    //  why, as a single render does.
    if (rc && strcmp (status, "failed") == 0 && *stop)
        status = "interrupted";
    else
    if (rc && strcmp (status, "failed") == 0 && opts->deadline > 0 && seconds > opts->deadline)
        status = "deadline";
    if (launch)
        mf_launch_stop_workers (launch);
    if (self->engine && stats && s_write_stats (self, &stats, rc == 0? "done": status, seconds)
    &&  rc == 0)
        rc = 1;
    mf_outfile_abort (&stats);
    if (rc == 0 && !opts->quiet)
        mf_say ("movie: %u frame%s in %.2f s (%u written, %u kept from before; %u reference "
                "orbit%s computed)", opts->movie, opts->movie == 1? "": "s", seconds,
                self->written, self->kept, self->references, self->references == 1? "": "s");
    //  Frames in flight keep their journals (removed only once written).
    for (int slot = 0; slot < MF_MOVIE_IN_FLIGHT; slot++)
        s_frame_destroy (&self->frames [slot], false);
    for (int type = 0; type < 2; type++)
        mf_shipped_destroy (&self->orbits [type]);
    mf_engine_destroy (&self->engine);
    mf_launch_destroy (&launch);
    free (self->written_before);
    free (self);
    return rc;
}
