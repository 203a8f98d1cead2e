/*  mf_viewer: see viewer.h. The view state and the loop.

    Two threads. This one (the SDL thread) owns the window, the input, the
    frame and every decision; the engine thread (mf_farm) owns the
    sockets. They meet in three places only: commands down the farm's
    pipe, delivered tiles in the farm's queue (an SDL user event wakes
    this thread when it stops being empty), and the farm's counters.

    The concerns around the state live in modules of their own: the
    window and drawing (screen), SDL events to navigation intents and the
    drag (input), the key table (keys), the title and help text (status),
    the --script player and the trace (playback), frames ready for the
    next view (spare), the view at any depth and its moves (place). What
    stays here is what the viewer decides: the view on screen and its
    jobs, the navigation target, the history, the saves in flight, the
    reference orbits of deep views, and the loop.

    A deep view's jobs wait for its reference orbit, computed by
    master/reference.c's thread as the headless master computes it (the
    loop looks every REFERENCE_POLL_MS); meanwhile its preview comes from
    the orbit used last. Orbits are kept (ORBITS_KEPT) and taken again
    for a full frame only when they are exactly the orbit of the new view
    (s_orbit_exact; README "At depth"), so what a view shows never
    depends on the way to it.

    Each view has a generation number and two job tokens (preview and
    full) chosen here. A tile is drawn only if its token is one of the
    current view's; anything else is counted and dropped. The loop turn:

        wait for an event (or the next redraw, or a script deadline)
        handle every pending event     (navigation only records a target)
        apply the target view          (cancel old jobs, submit new ones)
        take a reference orbit computed (then submit the view's jobs)
        take delivered tiles           (at most DRAIN_MS of work)
        print finished saves, play the script (its input goes through
                                        SDL's event queue like a person's)
        redraw, at most every FRAME_MS (at once after a view change)
*/
#include "viewer.h"
#include "farm.h"
#include "render.h"
#include "frame.h"
#include "input.h"
#include "keys.h"
#include "playback.h"
#include "save.h"
#include "launch.h"
#include "screen.h"
#include "spare.h"
#include "status.h"
#include "view.h"
#include "place.h"
#include "reference.h"
#include "mf_deep_auto.h"
#include "mf_log.h"
#include "mf_ship.h"
#include "mf_util.h"

#include <SDL.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_MS 16                     //  msecs between redraws while tiles stream in
#define IDLE_MS 100                     //  msecs the loop sleeps at most (stop flag, title)
#define DRAIN_MS 12                     //  msecs of tile drawing per loop turn at most
#define HISTORY_MAX 256                 //  views Backspace can go back through
#define PREVIEW_TILE_PARTS 4            //  preview tiles have a quarter of --tile's edge
#define BIG_FACTOR 4                    //  S renders this many times the window, each way
#define PAN_KEY_PARTS 8                 //  arrow keys pan by 1/8 of the window
#define PATH_LEN 4200                   //  bytes of a path
#define ORBITS_KEPT 8                   //  reference orbits kept for exact reuse
#define REFERENCE_POLL_MS 20            //  msecs between looks at a reference computed
#define MOVIE_FRAMES 1200               //  frames of the movie m prints (40 s at 30 fps)

//  A reference orbit the viewer holds: computed for one deep view (its
//  center at its precision, to its maxiter), kept for the views that
//  need exactly the same orbit (docs: the reuse rule), and for the
//  previews of the views after it.
typedef struct {
    mf_shipped_t *orbit;                //  NULL: a free slot
    mpfr_t re, im;                      //  the reference point (the view's center)
    long precision;                     //  bits: the view's precision
    mf_delta_t type;                    //  its number type
    uint32_t asked;                     //  maxiter asked (0: --iter auto)
    char *width;                        //  auto: the view's width text (the zoom
    uint32_t pixel_w, pixel_h;          //  and size choose maxiter), else NULL
    uint32_t maxiter;                   //  the maxiter its view renders at
    uint64_t used;                      //  when last used (a counter), for eviction
} s_orbit_t;

//  An S render: the view at BIG_FACTOR times the window, its own job.
//  A deep one first computes its own reference orbit (its precision is
//  the big view's: what the headless master would compute for it).
typedef struct {
    uint32_t token;                     //  its job's token; 0: none running
    mf_view_t view;                     //  the big view (its size, when deep)
    uint32_t maxiter;                   //  iterations when S was pressed
    const mf_palette_t *palette;        //  palette when S was pressed
    float *mu;                          //  assembled image (shallow)
    double *mu64;                       //  assembled image (deep)
    mf_place_t *place;                  //  the big view exactly (deep), else NULL
    mf_reference_t *reference;          //  its orbit while computed (deep)
    bool running;                       //  pressed and not finished
    uint32_t done, total;               //  tiles
} s_big_t;

typedef struct {
    const mf_options_t *opts;           //  the command line
    volatile sig_atomic_t *stop;        //  set by a signal
    mf_screen_t *screen;                //  the window and what is drawn in it
    mf_input_t *input;                  //  events to intents, the drag
    mf_status_t *status;                //  the note and the title's pace
    mf_playback_t *playback;            //  --script, and the trace
    mf_spare_t *spare;                  //  frames ready for the next view
    Uint32 wake_event;                  //  SDL event type other threads push to wake us
    mf_farm_t *farm;                    //  the engine thread
    mf_saver_t *saver;                  //  the save thread
    mf_places_t *history;               //  places for Backspace
    int exit_status;                    //  what mf_viewer_run returns
    bool running;                       //  loop until false

    //  What is on screen.
    mf_place_t *place;                  //  its view, exactly
    mf_view_t view;                     //  its view in doubles (mf_place_view)
    uint32_t maxiter;                   //  its iterations (0: --iter auto, not chosen yet)
    bool iter_auto;                     //  --iter auto chooses them (until + or -)
    mf_place_t *start;                  //  the start view (r)
    uint32_t start_maxiter;             //  the start iterations (r)
    bool start_auto;                    //  ... chosen by --iter auto

    //  A deep view on screen.
    bool deep;                          //  it needs perturbation
    mf_reference_t *reference;          //  its reference orbit, while computed
    bool orbit_wait;                    //  its jobs wait for that orbit
    mf_shipped_t *orbit;                //  its orbit once known (a reference of ours)
    double *mu64;                       //  its full image, doubles
    mf_deep_density_t density;          //  colors while tiles come (then the image's)
    bool have_density;                  //  ... set from the first tile with escapes
    s_orbit_t orbits [ORBITS_KEPT];     //  orbits kept
    uint64_t orbit_clock;               //  counts uses, for s_orbit_t.used
    mf_engine_opts_t engine_opts;       //  the launch's, deep jobs allowed
    size_t palette_index;               //  index of the palette (p)
    bool tint;                          //  worker tint (w)
    size_t legend_traced;               //  legend entries the trace has seen
    mf_frame_t *frame;                  //  its pixels
    uint32_t gen;                       //  view generation, +1 per change
    uint32_t next_token;                //  next job token to hand out
    uint32_t preview_token;             //  this view's preview job (0: none)
    uint32_t full_token;                //  this view's full job
    uint32_t preview_done, preview_total;   //  tiles
    uint32_t full_done, full_total;     //  tiles
    uint64_t full_pixels;               //  pixels of full tiles drawn
    int64_t submit_us;                  //  when this view's jobs were submitted
    int64_t complete_us;                //  when its last full tile came (0: not yet)
    uint64_t dropped;                   //  tiles of old jobs dropped here

    //  The target of navigation, applied once the turn's events are handled.
    bool change;                        //  a target is set
    mf_place_t *next;                   //  target view
    uint32_t next_maxiter;              //  target iterations
    bool next_auto;                     //  target iterations chosen by --iter auto
    bool next_preview;                  //  render a preview first
    bool next_history;                  //  remember the current view

    //  Toggles and saves.
    bool help;                          //  help overlay shown
    bool fullscreen;                    //  fullscreen on
    bool save_pending;                  //  s pressed, frame not complete yet
    bool movie_pending;                 //  m pressed, iterations not chosen yet
    unsigned save_last;                 //  last mandelfarm-NNNN number used
    s_big_t big;                        //  an S render

    //  Drawing.
    bool redraw;                        //  the window needs drawing
    bool redraw_now;                    //  ... at once: the view changed
    bool backlog;                       //  tiles left in the queue
    int64_t last_present;               //  msecs
    mf_farm_status_t farm_status;       //  latest engine counters
} s_viewer_t;

static void
s_note (s_viewer_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_note (s_viewer_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    mf_status_vnote (self->status, mf_clock_ms (), format, args);
    va_end (args);
    self->redraw = true;
}

static void
s_fatal (s_viewer_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_fatal (s_viewer_t *self, const char *format, ...)
{
    char line [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    mf_error ("%s", line);
    self->exit_status = 1;
    self->running = false;
}

//  Other threads call this to wake the event loop.
static void
s_wake (void *arg)
{
    s_viewer_t *self = arg;
    SDL_Event event;
    SDL_zero (event);
    event.type = self->wake_event;
    SDL_PushEvent (&event);
}

static const mf_palette_t *
s_palette (const s_viewer_t *self)
{
    return mf_palette_at (self->palette_index);
}

static bool
s_complete (const s_viewer_t *self)
{
    return !self->orbit_wait && self->full_done == self->full_total;
}

// ---------------------------------------------------------------------
//  Status and drawing.

static void
s_status_facts (const s_viewer_t *self, mf_status_facts_t *facts)
{
    *facts = (mf_status_facts_t) {
        .view = self->view, .maxiter = self->maxiter,
        .palette = mf_palette_name (s_palette (self)), .tint = self->tint,
        .full_done = self->full_done, .full_total = self->full_total,
        .full_pixels = self->full_pixels,
        .submit_us = self->submit_us, .complete_us = self->complete_us,
        .workers = self->farm_status.workers, .late = self->farm_status.late,
        .dropped = self->dropped,
        .big = self->big.running, .big_done = self->big.done, .big_total = self->big.total,
        .save_pending = self->save_pending,
        .deep = self->deep, .iter_auto = self->iter_auto,
        .center_text = mf_place_center_text (self->place),
        .width_text = mf_place_width_text (self->place),
        .log10_zoom = mf_place_log10_zoom (self->place),
        .reference = self->reference != NULL
    };
    if (self->reference)
        mf_reference_poll (self->reference, &facts->reference_done, &facts->reference_limit);
}

static void
s_update_title (s_viewer_t *self, bool force)
{
    if (!mf_status_title_due (self->status, mf_clock_ms (), force))
        return;
    mf_status_facts_t facts;
    s_status_facts (self, &facts);
    char title [560];
    mf_status_title (self->status, &facts, mf_clock_us (), title, sizeof title);
    mf_screen_set_title (self->screen, title);
}

//  The worker tint's legend: which machine each tint is. The trace gets
//  each name once, as "legend NUMBER NAME", when it first shows.
static void
s_draw_legend (s_viewer_t *self)
{
    char names [MF_SCREEN_LEGEND_MAX][MF_ENGINE_NAME_LEN];
    const char *lines [MF_SCREEN_LEGEND_MAX];
    size_t count = 0;
    while (count < MF_SCREEN_LEGEND_MAX
       &&  mf_farm_worker_name (self->farm, (int) count, names [count], sizeof names [count]) == 0) {
        lines [count] = names [count];
        if (count >= self->legend_traced)
            mf_playback_trace (self->playback, "legend %zu %s", count, names [count]);
        count++;
    }
    self->legend_traced = count > self->legend_traced? count: self->legend_traced;
    size_t more = 0;
    if (count == MF_SCREEN_LEGEND_MAX)
        while (mf_farm_worker_name (self->farm, (int) (count + more), NULL, 0) == 0)
            more++;
    mf_screen_draw_legend (self->screen, lines, count, more);
}

//  Draws the frame, the drag feedback and the help overlay (without
//  presenting).
static void
s_draw (s_viewer_t *self)
{
    mf_drag_t drag;
    mf_input_drag (self->input, &drag);
    mf_status_help_t help;
    const char *lines [MF_STATUS_HELP_LINES];
    help.count = 0;
    if (self->help) {
        mf_status_facts_t facts;
        s_status_facts (self, &facts);
        mf_status_help (&facts, mf_clock_us (), &help);
        for (size_t index = 0; index < help.count; index++)
            lines [index] = help.lines [index];
    }
    mf_screen_draw (self->screen, self->frame, &drag, lines, help.count);
    if (self->tint)
        s_draw_legend (self);
}

static void
s_present (s_viewer_t *self)
{
    s_draw (self);
    mf_screen_present (self->screen);
    self->redraw = false;
    self->redraw_now = false;
    self->last_present = mf_clock_ms ();
    mf_playback_trace (self->playback, "present %u %u %u", self->gen, self->full_done,
                       self->preview_done);
}

// ---------------------------------------------------------------------
//  Views and jobs.

//  The preview's tile edge: a quarter of --tile, so that its first tiles
//  come back four times sooner than a full tile would, and each covers
//  twice a full tile's edge on screen.
static uint32_t
s_preview_tile (s_viewer_t *self)
{
    uint32_t edge = self->opts->tile / PREVIEW_TILE_PARTS;
    return edge < MF_TILE_MIN_EDGE? MF_TILE_MIN_EDGE: edge;
}

static void
s_cancel_jobs (s_viewer_t *self)
{
    if (self->preview_token && self->preview_done < self->preview_total)
        mf_farm_cancel (self->farm, self->preview_token);
    if (self->full_token && !s_complete (self))
        mf_farm_cancel (self->farm, self->full_token);
}

//  Hands a job to the farm; its tile count (from the job's one grid)
//  goes into total. Returns 0, or -1 after s_fatal.
static int
s_submit (s_viewer_t *self, uint32_t token, const mf_view_t *view, uint32_t maxiter,
          uint32_t tile, uint32_t *total)
{
    //  No --verify in the viewer.
    mf_job_spec_t spec = { .view = *view, .maxiter = maxiter, .tile_edge = tile };
    if (mf_farm_submit (self->farm, token, &spec, total)) {
        s_fatal (self, "cannot hand a job to the engine thread");
        return -1;
    }
    return 0;
}

//  Hands a deep job to the farm: map's pixels from orbit, named as the
//  headless master names a view (master/render.c). Returns 0, or -1
//  after s_fatal.
static int
s_submit_deep (s_viewer_t *self, uint32_t token, const mf_place_t *place,
               const mf_deep_map_t *map, mf_shipped_t *orbit, uint32_t maxiter, uint32_t tile,
               uint32_t *total)
{
    mf_job_spec_t spec = {
        .view = { .pixel_w = map->pixel_w, .pixel_h = map->pixel_h,
                  .width = mf_place_view (place)->width },
        .maxiter = maxiter, .tile_edge = tile, .deep = true, .deep_map = *map
    };
    char text [2 * MF_DEEP_MAX_TEXT + 8];
    snprintf (text, sizeof text, "%s %s", mf_place_center_text (place),
              mf_place_width_text (place));
    mf_ship_id ((const uint8_t *) text, strlen (text), &spec.view_id);
    if (mf_farm_submit_deep (self->farm, token, &spec, orbit, total)) {
        s_fatal (self, "cannot hand a job to the engine thread");
        return -1;
    }
    return 0;
}

static void s_movie (s_viewer_t *self);

// ---------------------------------------------------------------------
//  Reference orbits: the ones kept, and the rule that reuses one.

static void
s_orbit_clear (s_orbit_t *entry)
{
    if (entry->orbit) {
        mf_shipped_destroy (&entry->orbit);
        mpfr_clears (entry->re, entry->im, (mpfr_ptr) 0);
        free (entry->width);
        memset (entry, 0, sizeof *entry);
    }
}

//  The kept orbit that is exactly the one the headless master computes
//  for place at maxiter (0: --iter auto), or NULL: the same reference
//  point at the same precision and number type, computed to the same
//  maxiter (for auto: for the same width and size, which fix the cap
//  and the choice).
static s_orbit_t *
s_orbit_exact (s_viewer_t *self, const mf_place_t *place, uint32_t maxiter)
{
    const mf_deep_view_t *deep = mf_place_deep (place);
    mf_deep_map_t map;
    mf_deep_view_map (deep, &map);
    long precision = mf_deep_view_precision (deep);
    const mf_view_t *view = mf_place_view (place);
    mpfr_t re, im;
    mpfr_inits2 (precision, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (deep, re, im);
    s_orbit_t *found = NULL;
    for (size_t index = 0; index < ORBITS_KEPT && !found; index++) {
        s_orbit_t *entry = &self->orbits [index];
        if (entry->orbit && entry->precision == precision && entry->type == map.type
        &&  entry->asked == maxiter && mpfr_equal_p (entry->re, re) && mpfr_equal_p (entry->im, im)
        &&  (maxiter || (entry->pixel_w == view->pixel_w && entry->pixel_h == view->pixel_h
                         && strcmp (entry->width, mf_place_width_text (place)) == 0)))
            found = entry;
    }
    mpfr_clears (re, im, (mpfr_ptr) 0);
    if (found)
        found->used = ++self->orbit_clock;
    return found;
}

//  The kept orbit last used that can serve a preview of a view of number
//  type type at maxiter (0: the orbit's own), or NULL.
static s_orbit_t *
s_orbit_latest (s_viewer_t *self, mf_delta_t type, uint32_t maxiter)
{
    s_orbit_t *best = NULL;
    for (size_t index = 0; index < ORBITS_KEPT; index++) {
        s_orbit_t *entry = &self->orbits [index];
        if (entry->orbit && entry->type == type
        &&  mf_shipped_points (entry->orbit) <= (uint64_t) (maxiter? maxiter: entry->maxiter) + 1
        &&  (!best || entry->used > best->used))
            best = entry;
    }
    return best;
}

//  Keeps orbit, computed for place at asked (0: auto) and rendering at
//  maxiter, in the slot used least recently.
static void
s_orbit_keep (s_viewer_t *self, const mf_place_t *place, uint32_t asked, uint32_t maxiter,
              mf_shipped_t *orbit)
{
    s_orbit_t *slot = &self->orbits [0];
    for (size_t index = 0; index < ORBITS_KEPT; index++) {
        s_orbit_t *entry = &self->orbits [index];
        if (!entry->orbit) {
            slot = entry;
            break;
        }
        if (entry->used < slot->used)
            slot = entry;
    }
    s_orbit_clear (slot);
    const mf_deep_view_t *deep = mf_place_deep (place);
    mf_deep_map_t map;
    mf_deep_view_map (deep, &map);
    slot->precision = mf_deep_view_precision (deep);
    mpfr_inits2 (slot->precision, slot->re, slot->im, (mpfr_ptr) 0);
    mf_deep_view_center (deep, slot->re, slot->im);
    slot->type = map.type;
    slot->asked = asked;
    slot->width = asked? NULL: strdup (mf_place_width_text (place));
    slot->pixel_w = mf_place_view (place)->pixel_w;
    slot->pixel_h = mf_place_view (place)->pixel_h;
    slot->maxiter = maxiter;
    slot->used = ++self->orbit_clock;
    slot->orbit = mf_shipped_ref (orbit);
}

// ---------------------------------------------------------------------
//  Views and jobs.

//  --iter auto on a shallow view: the floor of mf_deep_auto.h for its
//  zoom (a shallow view has no reference orbit to choose from).
static uint32_t
s_auto_shallow (const mf_place_t *place)
{
    double decades = ceil (mf_place_log10_zoom (place));
    return MF_AUTO_FLOOR + MF_AUTO_FLOOR_PER_DECADE * (uint32_t) (decades > 0? decades: 0);
}

//  Submits the deep view's full job (and its preview, when asked and
//  none went out yet) from its own orbit, at maxiter.
static void
s_deep_jobs (s_viewer_t *self, mf_shipped_t *orbit, uint32_t maxiter, bool preview)
{
    self->orbit_wait = false;
    self->maxiter = maxiter;
    mf_shipped_destroy (&self->orbit);
    self->orbit = mf_shipped_ref (orbit);
    const mf_deep_view_t *deep = mf_place_deep (self->place);
    if (preview && !self->preview_token) {
        mpfr_t re, im;
        mpfr_inits2 (mf_deep_view_precision (deep), re, im, (mpfr_ptr) 0);
        mf_deep_view_center (deep, re, im);
        mf_deep_map_t map;
        mf_place_preview_map (self->place, MF_VIEW_PREVIEW, re, im, &map);
        mpfr_clears (re, im, (mpfr_ptr) 0);
        self->preview_token = self->next_token++;
        if (s_submit_deep (self, self->preview_token, self->place, &map, orbit, maxiter,
                           s_preview_tile (self), &self->preview_total))
            return;
    }
    mf_deep_map_t map;
    mf_deep_view_map (deep, &map);
    self->full_token = self->next_token++;
    self->submit_us = mf_clock_us ();
    if (s_submit_deep (self, self->full_token, self->place, &map, orbit, maxiter,
                       self->opts->tile, &self->full_total))
        return;
    mf_playback_trace (self->playback, "jobs %u %u %u %u", self->gen, maxiter,
                       self->preview_token, self->full_token);
    if (self->movie_pending)
        s_movie (self);
}

//  Starts the jobs of the deep view just set: at once from a kept orbit
//  that is exactly its own; else its reference goes to its thread, and
//  the preview (if asked) comes meanwhile from the orbit used last,
//  with its deltas taken from that orbit's point.
static void
s_deep_start (s_viewer_t *self, uint32_t asked, bool preview)
{
    s_orbit_t *exact = s_orbit_exact (self, self->place, asked);
    if (exact) {
        mf_playback_trace (self->playback, "reference %u reused", self->gen);
        s_deep_jobs (self, exact->orbit, exact->maxiter, preview);
        return;
    }
    const mf_deep_view_t *deep = mf_place_deep (self->place);
    char err [256];
    self->orbit_wait = true;
    self->reference = mf_reference_new (deep, asked, err, sizeof err);
    if (!self->reference) {
        s_fatal (self, "%s", err);
        return;
    }
    mf_playback_trace (self->playback, "reference %u started", self->gen);
    mf_deep_map_t full;
    mf_deep_view_map (deep, &full);
    s_orbit_t *latest = preview? s_orbit_latest (self, full.type, asked): NULL;
    if (latest) {
        mf_deep_map_t map;
        mf_place_preview_map (self->place, MF_VIEW_PREVIEW, latest->re, latest->im, &map);
        latest->used = ++self->orbit_clock;
        self->preview_token = self->next_token++;
        s_submit_deep (self, self->preview_token, self->place, &map, latest->orbit,
                       asked? asked: latest->maxiter, s_preview_tile (self),
                       &self->preview_total);
    }
}

//  Takes the view's reference orbit once computed, and starts its jobs.
static void
s_reference_poll (s_viewer_t *self)
{
    if (!self->reference || !mf_reference_poll (self->reference, NULL, NULL))
        return;
    char err [256];
    uint32_t maxiter = 0;
    mf_shipped_t *orbit = mf_reference_take (self->reference, &maxiter, err, sizeof err);
    double seconds = mf_reference_seconds (self->reference);
    mf_reference_destroy (&self->reference);
    if (!orbit) {
        s_fatal (self, "the reference orbit failed: %s", err);
        return;
    }
    mf_playback_trace (self->playback, "reference %u done %.3f", self->gen, seconds);
    s_orbit_keep (self, self->place, self->iter_auto? 0: self->maxiter, maxiter, orbit);
    s_deep_jobs (self, orbit, maxiter, true);
    mf_shipped_destroy (&orbit);
    s_update_title (self, true);
}

//  Puts the view that was on screen into the history (with remember),
//  or destroys it.
static void
s_forget_or_remember (s_viewer_t *self, mf_place_t **old_p, bool remember)
{
    if (remember && *old_p)
        mf_places_push (self->history, old_p);
    mf_place_destroy (old_p);
}

//  Makes place the one on screen (it takes place): cancels the old jobs
//  and reference, submits the new ones (first, so the farm works while
//  the frame is prepared), carries the old picture over as a
//  placeholder. maxiter 0 with iter_auto: --iter auto chooses. With
//  remember, the old view goes into the history (Backspace).
static void
s_set_view (s_viewer_t *self, mf_place_t **place_p, uint32_t maxiter, bool iter_auto,
            bool preview, bool remember)
{
    s_cancel_jobs (self);
    mf_reference_destroy (&self->reference);        //  cancels it if it still runs
    mf_shipped_destroy (&self->orbit);
    self->orbit_wait = false;
    if (self->save_pending) {
        self->save_pending = false;
        s_note (self, "save cancelled: the view changed before it was complete");
        mf_warn ("save cancelled: the view changed before it was complete");
    }
    mf_place_t *old = self->place;
    self->place = *place_p;
    *place_p = NULL;
    const mf_view_t *view = mf_place_view (self->place);
    bool deep = mf_place_is_deep (self->place);
    self->gen++;
    self->iter_auto = iter_auto;
    if (iter_auto && !deep)
        maxiter = s_auto_shallow (self->place);
    self->maxiter = iter_auto && deep? 0: maxiter;
    self->deep = deep;
    self->have_density = false;
    free (self->mu64);
    self->mu64 = NULL;
    self->preview_token = 0;
    self->preview_done = self->preview_total = 0;
    self->full_token = 0;
    self->full_done = 0;
    self->full_total = 0;
    self->full_pixels = 0;
    self->submit_us = mf_clock_us ();
    self->complete_us = 0;
    mf_playback_trace (self->playback, "exact %u %s %s %s", self->gen,
                       deep? "deep": "shallow", mf_place_center_text (self->place),
                       mf_place_width_text (self->place));
    if (deep) {
        size_t pixels = (size_t) view->pixel_w * view->pixel_h;
        self->mu64 = malloc (pixels * sizeof *self->mu64);
        if (!self->mu64) {
            s_fatal (self, "out of memory for a %ux%u deep frame", view->pixel_w, view->pixel_h);
            mf_place_destroy (&old);
            return;
        }
        s_deep_start (self, iter_auto? 0: maxiter, preview);
        //  Its full job's token comes with its orbit ("jobs", s_deep_jobs).
        mf_playback_trace (self->playback, "view %u %.17g %.17g %.17g %ux%u %u %u %u",
                           self->gen, view->center_re, view->center_im, view->width,
                           view->pixel_w, view->pixel_h, self->maxiter, self->preview_token,
                           self->full_token);
    }
    else {
        if (preview) {
            mf_view_t small;
            mf_view_preview (view, MF_VIEW_PREVIEW, &small);
            self->preview_token = self->next_token++;
            if (s_submit (self, self->preview_token, &small, maxiter, s_preview_tile (self),
                          &self->preview_total)) {
                mf_place_destroy (&old);
                return;
            }
        }
        self->full_token = self->next_token++;
        if (s_submit (self, self->full_token, view, maxiter, self->opts->tile,
                      &self->full_total)) {
            mf_place_destroy (&old);
            return;
        }
        mf_playback_trace (self->playback, "view %u %.17g %.17g %.17g %ux%u %u %u %u",
                           self->gen, view->center_re, view->center_im, view->width,
                           view->pixel_w, view->pixel_h, maxiter, self->preview_token,
                           self->full_token);
    }
    if (!self->running) {
        mf_place_destroy (&old);
        return;
    }

    mf_frame_t *frame = mf_spare_take (self->spare, view->pixel_w, view->pixel_h,
                                       s_palette (self));
    if (!frame) {
        s_fatal (self, "out of memory for a %ux%u frame", view->pixel_w, view->pixel_h);
        mf_place_destroy (&old);
        return;
    }
    //  The placeholder: in doubles while both views are shallow (as
    //  ever), else relative to the old view, which works at any depth.
    mf_view_t old_rel, new_rel;
    if (self->frame && old && !mf_place_is_deep (old) && !deep)
        mf_frame_warp (frame, view, self->frame, &self->view);
    else
    if (self->frame && old && mf_place_relative (old, self->place, &old_rel, &new_rel) == 0)
        mf_frame_warp (frame, &new_rel, self->frame, &old_rel);
    else
    if (mf_frame_tint (frame) != self->tint)
        mf_frame_set_tint (frame, self->tint);
    bool resized = !self->frame || view->pixel_w != self->view.pixel_w
                || view->pixel_h != self->view.pixel_h;
    if (self->frame)
        mf_spare_keep (self->spare, &self->frame);
    self->frame = frame;
    self->view = *view;
    s_forget_or_remember (self, &old, remember);
    if (resized) {
        char err [256];
        if (mf_screen_set_frame_size (self->screen, view->pixel_w, view->pixel_h,
                                      err, sizeof err)) {
            s_fatal (self, "%s", err);
            return;
        }
        mf_spare_prepare (self->spare, view->pixel_w, view->pixel_h);
    }
    self->redraw = true;
    self->redraw_now = true;
    s_update_title (self, true);
}

//  Starts a navigation target for this turn, from the view on screen,
//  and returns the view moves start from: the target so far (NULL: the
//  view on screen, which is not copied: at extreme depths a copy costs
//  what a move does).
static const mf_place_t *
s_target (s_viewer_t *self)
{
    if (!self->change) {
        mf_place_destroy (&self->next);
        self->change = true;
        self->next_maxiter = self->maxiter;
        self->next_auto = self->iter_auto;
        self->next_preview = false;
        self->next_history = false;
    }
    return self->next? self->next: self->place;
}

//  Makes place (taken) the target.
static void
s_retarget (s_viewer_t *self, mf_place_t *place)
{
    mf_place_destroy (&self->next);
    self->next = place;
}

//  Applies this turn's target, if it differs from the view on screen.
static void
s_apply (s_viewer_t *self)
{
    if (!self->change || !self->running)
        return;
    self->change = false;
    bool same_iter = self->next_auto == self->iter_auto
                  && (self->next_auto || self->next_maxiter == self->maxiter);
    if ((!self->next || mf_place_same (self->next, self->place)) && same_iter) {
        mf_place_destroy (&self->next);
        return;
    }
    //  Only the iterations change: the same view, anew.
    if (!self->next && !(self->next = mf_place_copy (self->place))) {
        s_fatal (self, "out of memory");
        return;
    }
    s_set_view (self, &self->next, self->next_maxiter, self->next_auto, self->next_preview,
                self->next_history);
}

static void
s_zoom (s_viewer_t *self, int x, int y, int steps)
{
    mf_playback_trace (self->playback, "input zoom %d %d %d", x, y, steps);
    s_target (self);
    double factor = steps > 0? MF_VIEW_WHEEL_FACTOR: 1.0 / MF_VIEW_WHEEL_FACTOR;
    for (int step = 0; step < abs (steps); step++) {
        char err [256];
        mf_place_t *place = mf_place_zoom_at (s_target (self), x, y, factor, err, sizeof err);
        if (!place) {
            s_note (self, "%s", steps > 0? "as deep as it goes": "as wide as it goes");
            break;
        }
        s_retarget (self, place);
    }
    self->next_preview = true;
    self->next_history = true;
}

static void
s_pan (s_viewer_t *self, int dx, int dy)
{
    mf_playback_trace (self->playback, "input pan %d %d", dx, dy);
    if (dx == 0 && dy == 0)
        return;
    char err [256];
    mf_place_t *place = mf_place_pan (s_target (self), dx, dy, err, sizeof err);
    if (!place) {
        s_note (self, "cannot pan: %s", err);
        return;
    }
    s_retarget (self, place);
    self->next_preview = true;
    self->next_history = true;
}

static void
s_box (s_viewer_t *self, int x0, int y0, int x1, int y1)
{
    mf_playback_trace (self->playback, "input box %d %d %d %d", x0, y0, x1, y1);
    char err [256];
    mf_place_t *place = mf_place_box (s_target (self), x0, y0, x1, y1, err, sizeof err);
    if (!place) {
        s_note (self, "box too small or too deep; drag a larger box");
        return;
    }
    s_retarget (self, place);
    self->next_preview = true;
    self->next_history = true;
}

//  Follows the window's size: a new size re-renders the same region.
static void
s_check_size (s_viewer_t *self)
{
    int w, h;
    if (mf_screen_size (self->screen, &w, &h))
        return;
    const mf_place_t *base = s_target (self);
    const mf_view_t *next = mf_place_view (base);
    if ((uint32_t) w == next->pixel_w && (uint32_t) h == next->pixel_h)
        return;
    char err [256];
    mf_place_t *place = w > 0 && h > 0 && w <= MF_VIEW_MAX_DIM && h <= MF_VIEW_MAX_DIM
                      ? mf_place_resize (base, (uint32_t) w, (uint32_t) h, err, sizeof err)
                      : NULL;
    if (place) {
        s_retarget (self, place);
        self->next_preview = true;
    }
}

// ---------------------------------------------------------------------
//  Saving.

//  Queues the save of the finished frame: a deep view's doubles and
//  exact texts, as the headless master writes them.
static void
s_save_now (s_viewer_t *self)
{
    char dir [PATH_LEN - 32], path [PATH_LEN];
    if (!getcwd (dir, sizeof dir)) {
        mf_error ("cannot save: no current directory: %s", strerror (errno));
        return;
    }
    if (mf_save_next_name (dir, &self->save_last, path, sizeof path)) {
        mf_error ("cannot save: mandelfarm-0001.png to mandelfarm-%04d.png all exist in %s",
                  MF_SAVE_MAX_NUMBER, dir);
        return;
    }
    size_t pixels = (size_t) self->view.pixel_w * self->view.pixel_h;
    int rc;
    if (self->deep) {
        double *mu64 = malloc (pixels * sizeof *mu64);
        if (!mu64) {
            mf_error ("cannot save: no memory for a copy of the %ux%u view",
                      self->view.pixel_w, self->view.pixel_h);
            return;
        }
        memcpy (mu64, self->mu64, pixels * sizeof *mu64);
        rc = mf_saver_queue_deep (self->saver, path, mf_place_center_text (self->place),
                                  mf_place_width_text (self->place), self->view.pixel_w,
                                  self->view.pixel_h, self->maxiter, s_palette (self), &mu64);
    }
    else {
        float *mu = malloc (pixels * sizeof *mu);
        if (!mu) {
            mf_error ("cannot save: no memory for a copy of the %ux%u view",
                      self->view.pixel_w, self->view.pixel_h);
            return;
        }
        memcpy (mu, mf_frame_mu (self->frame), pixels * sizeof *mu);
        rc = mf_saver_queue (self->saver, path, &self->view, self->maxiter, s_palette (self),
                             &mu);
    }
    if (rc)
        mf_error ("cannot save: out of memory");
    else
        s_note (self, "saving %s", strrchr (path, '/') + 1);
}

//  Prints (stdout) the command that films a zoom movie into the view on
//  screen, with its exact center and width and the iterations it uses.
static void
s_movie (s_viewer_t *self)
{
    if (!self->maxiter) {
        self->movie_pending = true;     //  --iter auto has not chosen yet
        s_note (self, "the movie command comes once the iterations are chosen");
        return;
    }
    self->movie_pending = false;
    printf ("mandelfarm-master --movie %d --center %s --width %s --iter %u -o frames/f%%05d.png\n",
            MOVIE_FRAMES, mf_place_center_text (self->place), mf_place_width_text (self->place),
            self->maxiter);
    fflush (stdout);
    s_note (self, "movie command printed on stdout");
}

static void
s_big_free (s_big_t *big)
{
    mf_reference_destroy (&big->reference);
    mf_place_destroy (&big->place);
    free (big->mu);
    free (big->mu64);
    memset (big, 0, sizeof *big);
}

//  Starts the S render: the view at BIG_FACTOR times the window (a deep
//  one once its own reference orbit is computed: s_big_poll).
static void
s_start_big (s_viewer_t *self)
{
    if (self->big.running) {
        s_note (self, "a 4x save is already rendering (%u/%u)", self->big.done, self->big.total);
        return;
    }
    if (!self->maxiter) {
        s_note (self, "S waits for --iter auto to choose the iterations; press it again then");
        return;
    }
    mf_view_t big;
    size_t pixels;
    if (mf_view_enlarge (&self->view, BIG_FACTOR, MF_MAX_PIXELS, &big, &pixels) && !self->deep) {
        s_note (self, "4x the window (%llux%llu) is too large to render",
                (unsigned long long) self->view.pixel_w * BIG_FACTOR,
                (unsigned long long) self->view.pixel_h * BIG_FACTOR);
        return;
    }
    s_big_t *b = &self->big;
    *b = (s_big_t) { .view = big, .maxiter = self->maxiter, .palette = s_palette (self),
                     .running = true };
    char err [256];
    if (self->deep) {
        uint64_t count = (uint64_t) self->view.pixel_w * BIG_FACTOR
                       * self->view.pixel_h * BIG_FACTOR;
        b->place = count <= MF_MAX_PIXELS
                 ? mf_place_resize (self->place, self->view.pixel_w * BIG_FACTOR,
                                    self->view.pixel_h * BIG_FACTOR, err, sizeof err)
                 : NULL;
        b->mu64 = b->place? malloc ((size_t) count * sizeof *b->mu64): NULL;
        if (b->mu64)
            b->reference = mf_reference_new (mf_place_deep (b->place), b->maxiter,
                                             err, sizeof err);
        if (!b->reference) {
            s_note (self, "cannot render 4x the window at this depth");
            s_big_free (b);
            return;
        }
        b->view = *mf_place_view (b->place);
    }
    else {
        b->mu = malloc (pixels * sizeof *b->mu);
        if (!b->mu) {
            s_note (self, "no memory for a %ux%u image", big.pixel_w, big.pixel_h);
            s_big_free (b);
            return;
        }
        b->token = self->next_token++;
        s_submit (self, b->token, &big, b->maxiter, self->opts->tile, &b->total);
    }
    mf_playback_trace (self->playback, "big %u %ux%u", b->token, b->view.pixel_w,
                       b->view.pixel_h);
    s_note (self, "rendering %ux%u to save it", b->view.pixel_w, b->view.pixel_h);
}

//  A deep S render's reference: once computed, its job starts.
static void
s_big_poll (s_viewer_t *self)
{
    s_big_t *b = &self->big;
    if (!b->reference || !mf_reference_poll (b->reference, NULL, NULL))
        return;
    char err [256];
    uint32_t maxiter;
    mf_shipped_t *orbit = mf_reference_take (b->reference, &maxiter, err, sizeof err);
    mf_reference_destroy (&b->reference);
    if (!orbit) {
        mf_error ("cannot save the 4x render: its reference orbit failed: %s", err);
        s_big_free (b);
        return;
    }
    mf_deep_map_t map;
    mf_deep_view_map (mf_place_deep (b->place), &map);
    b->token = self->next_token++;
    s_submit_deep (self, b->token, b->place, &map, orbit, b->maxiter, self->opts->tile,
                   &b->total);
    mf_shipped_destroy (&orbit);
}

static void
s_big_tile (s_viewer_t *self, mf_farm_tile_t *tile)
{
    s_big_t *big = &self->big;
    const mf_rect_t *r = &tile->rect;
    if (tile->deep)
        for (uint32_t row = 0; row < r->h; row++)
            memcpy (big->mu64 + (size_t) (r->y + row) * big->view.pixel_w + r->x,
                    mf_farm_tile_mu64 (tile) + (size_t) row * r->w, r->w * sizeof (double));
    else
        mf_rect_copy (big->mu + (size_t) r->y * big->view.pixel_w + r->x,
                      big->view.pixel_w, tile->mu, r->w, r->w, r->h);
    if (++big->done < big->total)
        return;
    char dir [PATH_LEN - 32], path [PATH_LEN];
    if (!getcwd (dir, sizeof dir) || mf_save_next_name (dir, &self->save_last, path, sizeof path))
        mf_error ("cannot save the 4x render: no current directory or no free "
                  "mandelfarm-NNNN.png name");
    else
    if (big->place
        ? mf_saver_queue_deep (self->saver, path, mf_place_center_text (big->place),
                               mf_place_width_text (big->place), big->view.pixel_w,
                               big->view.pixel_h, big->maxiter, big->palette, &big->mu64)
        : mf_saver_queue (self->saver, path, &big->view, big->maxiter, big->palette, &big->mu))
        mf_error ("cannot save: out of memory");
    s_big_free (big);
}

//  Prints what the save thread finished: the path on stdout.
static void
s_reports (s_viewer_t *self)
{
    bool ok;
    char line [PATH_LEN];
    while (mf_saver_report (self->saver, &ok, line, sizeof line) == 0) {
        if (ok) {
            printf ("%s\n", line);
            fflush (stdout);
            s_note (self, "saved %s", strrchr (line, '/')? strrchr (line, '/') + 1: line);
        }
        else
            mf_error ("cannot save: %s", line);
    }
}

// ---------------------------------------------------------------------
//  Tiles.

//  The floats a deep tile is drawn with: its doubles through the
//  view's color density, the one of its first tile with escapes until
//  the whole image fixes it (s_deep_complete). Returns them (the
//  caller frees them), or NULL when out of memory.
static float *
s_deep_floats (s_viewer_t *self, mf_farm_tile_t *tile)
{
    size_t count = (size_t) tile->rect.w * tile->rect.h;
    const double *mu = mf_farm_tile_mu64 (tile);
    if (!self->have_density)
        self->have_density = mf_deep_density (mu, count, &self->density) == 0;
    float *floats = malloc (count * sizeof *floats);
    if (floats)
        mf_deep_density_apply (&self->density, mu, count, floats);
    return floats;
}

//  A deep view complete: its colors from the whole image's density, as
//  the headless master colors it.
static void
s_deep_complete (s_viewer_t *self)
{
    size_t count = (size_t) self->view.pixel_w * self->view.pixel_h;
    float *floats = malloc (count * sizeof *floats);
    if (!floats) {
        s_note (self, "out of memory: the colors are the provisional ones");
        return;
    }
    mf_deep_density (self->mu64, count, &self->density);
    self->have_density = true;
    mf_deep_density_apply (&self->density, self->mu64, count, floats);
    mf_frame_set_full_mu (self->frame, floats);
    free (floats);
}

static void
s_on_tile (s_viewer_t *self, mf_farm_tile_t *tile)
{
    const mf_rect_t *r = &tile->rect;
    if (r->w == 0) {
        if (tile->token == self->full_token || tile->token == self->preview_token
        ||  tile->token == self->big.token)
            s_note (self, "the engine could not start a render (out of memory)");
        return;
    }
    bool mine = tile->token == self->full_token || tile->token == self->preview_token;
    float *floats = mine && tile->deep? s_deep_floats (self, tile): NULL;
    if (mine && tile->deep && !floats) {
        s_fatal (self, "out of memory drawing a tile");
        return;
    }
    const float *mu = floats? floats: tile->mu;
    if (tile->token == self->full_token && self->full_done < self->full_total) {
        if (tile->deep)
            for (uint32_t row = 0; row < r->h; row++)
                memcpy (self->mu64 + (size_t) (r->y + row) * self->view.pixel_w + r->x,
                        mf_farm_tile_mu64 (tile) + (size_t) row * r->w, r->w * sizeof (double));
        mf_frame_put (self->frame, r, mu, tile->worker);
        self->full_done++;
        self->full_pixels += (uint64_t) r->w * r->h;
        mf_playback_trace (self->playback, "draw %u full %u %u %u %u %u", self->gen,
                           tile->token, r->x, r->y, r->w, r->h);
        if (s_complete (self)) {
            if (self->deep)
                s_deep_complete (self);
            self->complete_us = mf_clock_us ();
            mf_playback_trace (self->playback, "complete %u", self->gen);
            if (self->preview_done < self->preview_total)
                mf_farm_cancel (self->farm, self->preview_token);
            if (self->save_pending) {
                self->save_pending = false;
                s_save_now (self);
            }
            s_update_title (self, true);
        }
    }
    else
    if (tile->token == self->preview_token && self->preview_done < self->preview_total) {
        if (!s_complete (self)) {
            mf_frame_put_preview (self->frame, MF_VIEW_PREVIEW, r, mu, tile->worker);
            mf_playback_trace (self->playback, "draw %u preview %u %u %u %u %u", self->gen,
                               tile->token, r->x, r->y, r->w, r->h);
        }
        if (++self->preview_done == self->preview_total)
            mf_playback_trace (self->playback, "preview-complete %u", self->gen);
    }
    else
    if (tile->token && tile->token == self->big.token)
        s_big_tile (self, tile);
    else {
        //  A tile of a view no longer on screen: never drawn.
        self->dropped++;
        mf_playback_trace (self->playback, "drop %u %u %u %u %u", tile->token,
                           r->x, r->y, r->w, r->h);
    }
    free (floats);
    self->redraw = true;
}

//  Takes delivered tiles for at most DRAIN_MS.
static void
s_drain (s_viewer_t *self)
{
    int64_t until = mf_clock_us () + DRAIN_MS * 1000;
    self->backlog = false;
    mf_farm_tile_t *tile;
    while (self->running && (tile = mf_farm_take (self->farm))) {
        s_on_tile (self, tile);
        free (tile);
        if (mf_clock_us () > until) {
            self->backlog = true;
            break;
        }
    }
    uint32_t workers = self->farm_status.workers;
    mf_farm_status (self->farm, &self->farm_status);
    if (self->farm_status.workers != workers)
        mf_playback_trace (self->playback, "workers %u", self->farm_status.workers);
}

// ---------------------------------------------------------------------
//  Keys, mouse and window.

static void
s_on_key (s_viewer_t *self, mf_key_t key)
{
    int w = (int) self->view.pixel_w, h = (int) self->view.pixel_h;
    switch (key) {
        case MF_KEY_ITER_UP:
        case MF_KEY_ITER_DOWN: {
            //  + and - override --iter auto, from what it chose (or the
            //  default, before it has chosen).
            s_target (self);
            uint32_t base = self->next_maxiter? self->next_maxiter: MF_DEFAULT_ITER;
            if (key == MF_KEY_ITER_UP)
                self->next_maxiter = base > MF_MAX_ITER / 2? MF_MAX_ITER: base * 2;
            else
                self->next_maxiter = base > 1? base / 2: 1;
            self->next_auto = false;
            break;
        }
        case MF_KEY_PALETTE:
            self->palette_index = (self->palette_index + 1) % mf_palette_count ();
            mf_frame_set_palette (self->frame, s_palette (self));
            s_note (self, "palette %s", mf_palette_name (s_palette (self)));
            break;
        case MF_KEY_TINT:
            self->tint = !self->tint;
            mf_frame_set_tint (self->frame, self->tint);
            break;
        case MF_KEY_SAVE:
            if (s_complete (self) && !self->change)
                s_save_now (self);
            else
                self->save_pending = true;
            break;
        case MF_KEY_SAVE_BIG:
            s_start_big (self);
            break;
        case MF_KEY_RESET: {
            s_target (self);
            char err [256];
            mf_place_t *place = mf_place_resize (self->start, self->view.pixel_w,
                                                 self->view.pixel_h, err, sizeof err);
            if (!place) {
                s_note (self, "the start view does not fit this window: %s", err);
                break;
            }
            s_retarget (self, place);
            self->next_maxiter = self->start_maxiter;
            self->next_auto = self->start_auto;
            self->next_preview = true;
            self->next_history = true;
            break;
        }
        case MF_KEY_BACK: {
            mf_place_t *back = mf_places_pop (self->history);
            if (!back) {
                s_note (self, "no earlier view");
                break;
            }
            char err [256];
            s_target (self);
            mf_place_t *place = mf_place_resize (back, self->view.pixel_w, self->view.pixel_h,
                                                 err, sizeof err);
            mf_place_destroy (&back);
            if (place) {
                s_retarget (self, place);
                self->next_preview = true;
            }
            self->next_history = false;
            break;
        }
        case MF_KEY_MOVIE:
            s_movie (self);
            break;
        case MF_KEY_FULLSCREEN:
            self->fullscreen = !self->fullscreen;
            mf_screen_set_fullscreen (self->screen, self->fullscreen);
            s_check_size (self);
            break;
        case MF_KEY_HELP:
            self->help = !self->help;
            break;
        case MF_KEY_QUIT:
            self->running = false;
            break;
        case MF_KEY_LEFT:  s_pan (self, w / PAN_KEY_PARTS, 0); break;
        case MF_KEY_RIGHT: s_pan (self, -w / PAN_KEY_PARTS, 0); break;
        case MF_KEY_UP:    s_pan (self, 0, h / PAN_KEY_PARTS); break;
        case MF_KEY_DOWN:  s_pan (self, 0, -h / PAN_KEY_PARTS); break;
        case MF_KEY_NONE:
            break;
    }
    self->redraw = true;
}

//  Acts on one event: input turns it into an intent, this decides.
static void
s_on_event (s_viewer_t *self, const SDL_Event *event)
{
    mf_input_scale_t scale;
    mf_screen_scale (self->screen, &scale);
    mf_intent_t intent;
    mf_input_event (self->input, event, &scale, &intent);
    switch (intent.kind) {
        case MF_INTENT_NONE:
            break;
        case MF_INTENT_REDRAW:
            self->redraw = true;
            break;
        case MF_INTENT_RESIZED:
            s_check_size (self);
            self->redraw = true;
            break;
        case MF_INTENT_QUIT:
            self->running = false;
            break;
        case MF_INTENT_KEY:
            s_on_key (self, intent.key);
            break;
        case MF_INTENT_ZOOM:
            s_zoom (self, intent.x0, intent.y0, intent.steps);
            break;
        case MF_INTENT_PAN:
            s_pan (self, intent.dx, intent.dy);
            self->redraw = true;
            break;
        case MF_INTENT_BOX:
            s_box (self, intent.x0, intent.y0, intent.x1, intent.y1);
            self->redraw = true;
            break;
    }
}

// ---------------------------------------------------------------------
//  What the script player asks of the viewer (mf_playback_host_t).

//  Whether the view is finished: its frame complete, no change waiting,
//  every save rendered and written.
static bool
s_settled (s_viewer_t *self)
{
    return !self->change && s_complete (self) && !self->save_pending && !self->big.running
        && !self->movie_pending
        && mf_saver_busy (self->saver) == 0;
}

static void
s_play_facts (void *arg, mf_playback_facts_t *facts)
{
    s_viewer_t *self = arg;
    *facts = (mf_playback_facts_t) {
        .pixel_w = self->view.pixel_w, .pixel_h = self->view.pixel_h,
        .changing = self->change, .settled = s_settled (self),
        .full_done = self->full_done, .full_total = self->full_total,
        .workers = self->farm_status.workers, .queued = mf_farm_queued (self->farm),
        .window = mf_screen_window_id (self->screen)
    };
    mf_screen_scale (self->screen, &facts->scale);
}

static void
s_play_resize (void *arg, int w, int h)
{
    s_viewer_t *self = arg;
    mf_screen_set_size (self->screen, w, h);
    s_check_size (self);
}

static int
s_play_screenshot (void *arg, const char *path, char *err, size_t errlen)
{
    s_viewer_t *self = arg;
    s_draw (self);
    int rc = mf_screen_screenshot (self->screen, path, err, errlen);
    self->last_present = mf_clock_ms ();
    return rc;
}

// ---------------------------------------------------------------------
//  The loop, start and end.

//  The loop: see the top of this file.
static void
s_loop (s_viewer_t *self)
{
    const mf_playback_host_t host = {
        .arg = self, .facts = s_play_facts, .resize = s_play_resize,
        .screenshot = s_play_screenshot
    };
    int wait = -1;                      //  msecs the script wants to wait (-1: for events)
    while (self->running) {
        int64_t now = mf_clock_ms ();
        int timeout = IDLE_MS;
        if (self->redraw && FRAME_MS - (now - self->last_present) < timeout)
            timeout = (int) (FRAME_MS - (now - self->last_present));
        if (wait >= 0 && wait < timeout)
            timeout = wait;
        if ((self->reference || self->big.reference) && timeout > REFERENCE_POLL_MS)
            timeout = REFERENCE_POLL_MS;
        if (self->backlog || self->change)
            timeout = 0;
        SDL_Event event;
        if (SDL_WaitEventTimeout (&event, timeout < 0? 0: timeout)) {
            s_on_event (self, &event);
            while (self->running && SDL_PollEvent (&event))
                s_on_event (self, &event);
        }
        if (*self->stop) {
            mf_error ("interrupted; the viewer closes");
            self->exit_status = 1;
            break;
        }
        //  A new view first: tiles still queued for the old one are then
        //  dropped, not drawn a moment before they are replaced.
        s_apply (self);
        s_reference_poll (self);
        s_big_poll (self);
        s_drain (self);
        s_reports (self);
        if (self->running) {
            char err [1024];
            mf_play_t play = mf_playback_play (self->playback, &host, &wait, err, sizeof err);
            if (play == MF_PLAY_QUIT)
                self->running = false;
            else
            if (play == MF_PLAY_FAILED)
                s_fatal (self, "%s", err);
        }
        s_apply (self);
        if (!self->running)
            break;
        now = mf_clock_ms ();
        if (self->redraw && (self->redraw_now || now - self->last_present >= FRAME_MS))
            s_present (self);
        s_update_title (self, false);
    }
}

//  Opens the window and starts the viewer's own threads and state, once
//  the farm is bound. Returns 0, or -1 after logging why.
static int
s_open (s_viewer_t *self)
{
    char err [512];
    self->screen = mf_screen_new (self->opts->view.pixel_w, self->opts->view.pixel_h,
                                  self->opts->script != NULL, err, sizeof err);
    if (!self->screen) {
        mf_error ("%s", err);
        return -1;
    }
    self->wake_event = SDL_RegisterEvents (1);
    if (self->wake_event == (Uint32) -1) {
        mf_error ("--view: cannot register an event type: %s", SDL_GetError ());
        return -1;
    }
    self->saver = mf_saver_new (s_wake, self);
    if (!self->saver) {
        mf_error ("cannot start the save thread");
        return -1;
    }
    //  Leading trace actions run now, so the trace sees the first view.
    if (mf_playback_begin (self->playback, err, sizeof err)) {
        mf_error ("%s", err);
        return -1;
    }
    const char *driver, *renderer;
    if (mf_screen_describe (self->screen, &driver, &renderer) == 0)
        mf_playback_trace (self->playback, "window %s %s", driver, renderer);
    return 0;
}

int
mf_viewer_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    mf_log_init ("mandelfarm-viewer");
    s_viewer_t self_data = { .opts = opts, .stop = stop, .running = true, .next_token = 1 };
    s_viewer_t *self = &self_data;
    char err [512];
    self->playback = mf_playback_new (opts->script, stop, err, sizeof err);
    if (!self->playback) {
        mf_error ("%s", err);
        return 2;
    }
    //  Keys, endpoint, fork and authenticator: the headless render's start-up.
    int status;
    mf_launch_t *launch = mf_launch_new (opts, &status);
    if (!launch || (status = mf_launch_start (launch))) {
        mf_launch_destroy (&launch);
        mf_playback_destroy (&self->playback);
        return status;
    }
    self->exit_status = 1;
    for (size_t index = 0; index < mf_palette_count (); index++)
        if (mf_palette_at (index) == opts->palette)
            self->palette_index = index;
    self->start_maxiter = opts->maxiter;
    self->start_auto = opts->iter_auto;
    self->start = opts->deep? mf_place_new (mf_deep_view_center_text (opts->deep),
                                            mf_deep_view_width_text (opts->deep),
                                            opts->view.pixel_w, opts->view.pixel_h,
                                            err, sizeof err)
                            : mf_place_from_view (&opts->view, err, sizeof err);
    if (!self->start) {
        mf_error ("--view: %s", err);
        goto done;
    }
    self->history = mf_places_new (HISTORY_MAX);
    self->input = mf_input_new ();
    self->status = mf_status_new ();
    self->spare = mf_spare_new ();
    if (!self->history || !self->input || !self->status || !self->spare) {
        mf_error ("out of memory");
        goto done;
    }
    //  The engine binds before the window opens, so that the workers
    //  connect while SDL starts.
    //  Any view may go deep: the engine takes f64 results from the start.
    self->engine_opts = *mf_launch_engine_opts (launch);
    self->engine_opts.deep = true;
    self->farm = mf_farm_new (&self->engine_opts, s_wake, self, err, sizeof err);
    if (self->farm)
        mf_launch_bound (launch, mf_farm_endpoint (self->farm));
    if (!self->farm) {
        self->exit_status = mf_launch_bind_failed (err);
        goto done;
    }
    if (s_open (self))
        goto done;
    int w, h;
    mf_place_t *place = NULL;
    if (mf_screen_size (self->screen, &w, &h) || w < 1 || h < 1
    ||  !(place = mf_place_resize (self->start, (uint32_t) w, (uint32_t) h, err, sizeof err))) {
        mf_error ("--view: the window has no usable size: %s", SDL_GetError ());
        goto done;
    }
    self->exit_status = 0;
    s_set_view (self, &place, opts->maxiter, opts->iter_auto, true, false);
    s_loop (self);
done:
    if (self->big.running)
        mf_warn ("the 4x save was not finished (%u of %u tiles); nothing written",
                 self->big.done, self->big.total);
    s_big_free (&self->big);
    mf_reference_destroy (&self->reference);
    mf_shipped_destroy (&self->orbit);
    //  Workers first, while the engine's sockets are open: they leave at once.
    if (self->farm)
        mf_farm_pause (self->farm);
    mf_launch_stop_workers (launch);
    mf_farm_destroy (&self->farm);
    mf_launch_destroy (&launch);        //  the authenticator after the engine that used it
    if (self->saver) {
        mf_saver_flush (self->saver);   //  what is queued is written first
        s_reports (self);
        mf_saver_destroy (&self->saver);
    }
    mf_frame_destroy (&self->frame);
    mf_spare_destroy (&self->spare);
    mf_places_destroy (&self->history);
    for (size_t index = 0; index < ORBITS_KEPT; index++)
        s_orbit_clear (&self->orbits [index]);
    mf_place_destroy (&self->place);
    mf_place_destroy (&self->next);
    mf_place_destroy (&self->start);
    free (self->mu64);
    mf_playback_trace (self->playback, "exit %d", self->exit_status);
    mf_playback_destroy (&self->playback);
    mf_input_destroy (&self->input);
    mf_status_destroy (&self->status);
    mf_screen_destroy (&self->screen);  //  last: it ends SDL
    return self->exit_status;
}
