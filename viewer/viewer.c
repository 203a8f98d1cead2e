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
    next view (spare). What stays here is what the viewer decides: the
    view on screen and its jobs, the navigation target, the history, the
    saves in flight, and the loop.

    Each view has a generation number and two job tokens (preview and
    full) chosen here. A tile is drawn only if its token is one of the
    current view's; anything else is counted and dropped. The loop turn:

        wait for an event (or the next redraw, or a script deadline)
        handle every pending event     (navigation only records a target)
        apply the target view          (cancel old jobs, submit new ones)
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
#include "mf_log.h"
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

//  An S render: the view at BIG_FACTOR times the window, its own job.
typedef struct {
    uint32_t token;                     //  its job's token; 0: none running
    mf_view_t view;                     //  the big view
    uint32_t maxiter;                   //  iterations when S was pressed
    const mf_palette_t *palette;        //  palette when S was pressed
    float *mu;                          //  assembled image
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
    mf_history_t *history;              //  views for Backspace
    int exit_status;                    //  what mf_viewer_run returns
    bool running;                       //  loop until false

    //  What is on screen.
    mf_view_t view;                     //  its view
    uint32_t maxiter;                   //  its iterations
    mf_view_t start;                    //  the start view (r)
    uint32_t start_maxiter;             //  the start iterations (r)
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
    mf_view_t next;                     //  target view
    uint32_t next_maxiter;              //  target iterations
    bool next_preview;                  //  render a preview first
    bool next_history;                  //  remember the current view

    //  Toggles and saves.
    bool help;                          //  help overlay shown
    bool fullscreen;                    //  fullscreen on
    bool save_pending;                  //  s pressed, frame not complete yet
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
    return self->full_done == self->full_total;
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
        .big = self->big.token != 0, .big_done = self->big.done, .big_total = self->big.total,
        .save_pending = self->save_pending
    };
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
    //  No --verify in the viewer, and shallow views only.
    mf_job_spec_t spec = { .view = *view, .maxiter = maxiter, .tile_edge = tile };
    if (mf_farm_submit (self->farm, token, &spec, total)) {
        s_fatal (self, "cannot hand a job to the engine thread");
        return -1;
    }
    return 0;
}

//  Makes view the one on screen: cancels the old jobs, submits the new
//  ones (first, so the farm works while the frame is prepared), carries
//  the old picture over as a placeholder.
static void
s_set_view (s_viewer_t *self, const mf_view_t *view, uint32_t maxiter, bool preview)
{
    s_cancel_jobs (self);
    if (self->save_pending) {
        self->save_pending = false;
        s_note (self, "save cancelled: the view changed before it was complete");
        mf_warn ("save cancelled: the view changed before it was complete");
    }
    self->gen++;
    self->preview_token = 0;
    self->preview_done = self->preview_total = 0;
    if (preview) {
        mf_view_t small;
        mf_view_preview (view, MF_VIEW_PREVIEW, &small);
        self->preview_token = self->next_token++;
        if (s_submit (self, self->preview_token, &small, maxiter, s_preview_tile (self),
                      &self->preview_total))
            return;
    }
    self->full_token = self->next_token++;
    self->full_done = 0;
    self->full_pixels = 0;
    self->submit_us = mf_clock_us ();
    self->complete_us = 0;
    if (s_submit (self, self->full_token, view, maxiter, self->opts->tile, &self->full_total))
        return;
    mf_playback_trace (self->playback, "view %u %.17g %.17g %.17g %ux%u %u %u %u", self->gen,
                       view->center_re, view->center_im, view->width, view->pixel_w,
                       view->pixel_h, maxiter, self->preview_token, self->full_token);

    mf_frame_t *frame = mf_spare_take (self->spare, view->pixel_w, view->pixel_h,
                                       s_palette (self));
    if (!frame) {
        s_fatal (self, "out of memory for a %ux%u frame", view->pixel_w, view->pixel_h);
        return;
    }
    if (self->frame)
        mf_frame_warp (frame, view, self->frame, &self->view);
    else
    if (mf_frame_tint (frame) != self->tint)
        mf_frame_set_tint (frame, self->tint);
    bool resized = !self->frame || view->pixel_w != self->view.pixel_w
                || view->pixel_h != self->view.pixel_h;
    if (self->frame)
        mf_spare_keep (self->spare, &self->frame);
    self->frame = frame;
    self->view = *view;
    self->maxiter = maxiter;
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

//  Starts a navigation target for this turn, from the view on screen.
static mf_view_t *
s_target (s_viewer_t *self)
{
    if (!self->change) {
        self->change = true;
        self->next = self->view;
        self->next_maxiter = self->maxiter;
        self->next_preview = false;
        self->next_history = false;
    }
    return &self->next;
}

//  Applies this turn's target, if it differs from the view on screen.
static void
s_apply (s_viewer_t *self)
{
    if (!self->change || !self->running)
        return;
    self->change = false;
    const mf_view_t *a = &self->next, *b = &self->view;
    if (a->center_re == b->center_re && a->center_im == b->center_im && a->width == b->width
    &&  a->pixel_w == b->pixel_w && a->pixel_h == b->pixel_h && self->next_maxiter == self->maxiter)
        return;
    if (self->next_history)
        mf_history_push (self->history, &self->view);
    mf_view_t view = self->next;
    s_set_view (self, &view, self->next_maxiter, self->next_preview);
}

static void
s_zoom (s_viewer_t *self, int x, int y, int steps)
{
    mf_playback_trace (self->playback, "input zoom %d %d %d", x, y, steps);
    mf_view_t *next = s_target (self);
    double factor = steps > 0? MF_VIEW_WHEEL_FACTOR: 1.0 / MF_VIEW_WHEEL_FACTOR;
    for (int step = 0; step < abs (steps); step++)
        if (mf_view_zoom_at (next, x, y, factor, next)) {
            s_note (self, steps > 0? "as deep as doubles go": "as wide as it goes");
            break;
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
    mf_view_t *next = s_target (self);
    mf_view_pan (next, dx, dy, next);
    self->next_preview = true;
    self->next_history = true;
}

static void
s_box (s_viewer_t *self, int x0, int y0, int x1, int y1)
{
    mf_playback_trace (self->playback, "input box %d %d %d %d", x0, y0, x1, y1);
    mf_view_t *next = s_target (self);
    if (mf_view_box (next, x0, y0, x1, y1, next)) {
        s_note (self, "box too small or too deep; drag a larger box");
        return;
    }
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
    mf_view_t *next = s_target (self);
    if ((uint32_t) w == next->pixel_w && (uint32_t) h == next->pixel_h)
        return;
    if (mf_view_resize (next, (uint32_t) w, (uint32_t) h, next) == 0)
        self->next_preview = true;
}

// ---------------------------------------------------------------------
//  Saving.

//  Queues the save of the finished frame.
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
    size_t pixels, bytes;
    float *mu = NULL;
    if (mf_mul_size (self->view.pixel_w, self->view.pixel_h, &pixels) == 0
    &&  mf_mul_size (pixels, sizeof *mu, &bytes) == 0)
        mu = malloc (bytes);
    if (!mu) {
        mf_error ("cannot save: no memory for a copy of the %ux%u view",
                  self->view.pixel_w, self->view.pixel_h);
        return;
    }
    memcpy (mu, mf_frame_mu (self->frame), bytes);
    if (mf_saver_queue (self->saver, path, &self->view, self->maxiter, s_palette (self), &mu))
        mf_error ("cannot save: out of memory");
    else
        s_note (self, "saving %s", strrchr (path, '/') + 1);
}

//  Starts the S render: the view at BIG_FACTOR times the window.
static void
s_start_big (s_viewer_t *self)
{
    if (self->big.token) {
        s_note (self, "a 4x save is already rendering (%u/%u)", self->big.done, self->big.total);
        return;
    }
    mf_view_t big;
    size_t pixels, bytes;
    if (mf_view_enlarge (&self->view, BIG_FACTOR, MF_MAX_PIXELS, &big, &pixels)) {
        s_note (self, "4x the window (%llux%llu) is too large to render",
                (unsigned long long) self->view.pixel_w * BIG_FACTOR,
                (unsigned long long) self->view.pixel_h * BIG_FACTOR);
        return;
    }
    float *mu = NULL;
    if (mf_mul_size (pixels, sizeof *mu, &bytes) == 0)
        mu = malloc (bytes);
    if (!mu) {
        s_note (self, "no memory for a %ux%u image", big.pixel_w, big.pixel_h);
        return;
    }
    self->big = (s_big_t) {
        .token = self->next_token++, .view = big, .maxiter = self->maxiter,
        .palette = s_palette (self), .mu = mu, .done = 0, .total = 0
    };
    mf_playback_trace (self->playback, "big %u %ux%u", self->big.token, big.pixel_w,
                       big.pixel_h);
    s_note (self, "rendering %ux%u to save it", big.pixel_w, big.pixel_h);
    s_submit (self, self->big.token, &big, self->maxiter, self->opts->tile, &self->big.total);
}

static void
s_big_tile (s_viewer_t *self, const mf_farm_tile_t *tile)
{
    s_big_t *big = &self->big;
    mf_rect_copy (big->mu + (size_t) tile->rect.y * big->view.pixel_w + tile->rect.x,
                  big->view.pixel_w, tile->mu, tile->rect.w, tile->rect.w, tile->rect.h);
    if (++big->done < big->total)
        return;
    char dir [PATH_LEN - 32], path [PATH_LEN];
    if (!getcwd (dir, sizeof dir) || mf_save_next_name (dir, &self->save_last, path, sizeof path))
        mf_error ("cannot save the 4x render: no current directory or no free "
                  "mandelfarm-NNNN.png name");
    else
    if (mf_saver_queue (self->saver, path, &big->view, big->maxiter, big->palette, &big->mu))
        mf_error ("cannot save: out of memory");
    free (big->mu);
    memset (big, 0, sizeof *big);
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

static void
s_on_tile (s_viewer_t *self, const mf_farm_tile_t *tile)
{
    const mf_rect_t *r = &tile->rect;
    if (r->w == 0) {
        if (tile->token == self->full_token || tile->token == self->preview_token
        ||  tile->token == self->big.token)
            s_note (self, "the engine could not start a render (out of memory)");
        return;
    }
    if (tile->token == self->full_token && self->full_done < self->full_total) {
        mf_frame_put (self->frame, r, tile->mu, tile->worker);
        self->full_done++;
        self->full_pixels += (uint64_t) r->w * r->h;
        mf_playback_trace (self->playback, "draw %u full %u %u %u %u %u", self->gen,
                           tile->token, r->x, r->y, r->w, r->h);
        if (s_complete (self)) {
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
            mf_frame_put_preview (self->frame, MF_VIEW_PREVIEW, r, tile->mu, tile->worker);
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
    mf_view_t *next;
    int w = (int) self->view.pixel_w, h = (int) self->view.pixel_h;
    switch (key) {
        case MF_KEY_ITER_UP:
            s_target (self);
            self->next_maxiter = self->next_maxiter > MF_MAX_ITER / 2
                               ? MF_MAX_ITER: self->next_maxiter * 2;
            break;
        case MF_KEY_ITER_DOWN:
            s_target (self);
            self->next_maxiter = self->next_maxiter > 1? self->next_maxiter / 2: 1;
            break;
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
        case MF_KEY_RESET:
            next = s_target (self);
            mf_view_resize (&self->start, self->view.pixel_w, self->view.pixel_h, next);
            self->next_maxiter = self->start_maxiter;
            self->next_preview = true;
            self->next_history = true;
            break;
        case MF_KEY_BACK: {
            mf_view_t back;
            if (mf_history_pop (self->history, &back)) {
                s_note (self, "no earlier view");
                break;
            }
            next = s_target (self);
            if (mf_view_resize (&back, self->view.pixel_w, self->view.pixel_h, next) == 0)
                self->next_preview = true;
            self->next_history = false;
            break;
        }
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
    return !self->change && s_complete (self) && !self->save_pending && !self->big.token
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
    self->start = opts->view;
    self->start_maxiter = opts->maxiter;
    self->history = mf_history_new (HISTORY_MAX);
    self->input = mf_input_new ();
    self->status = mf_status_new ();
    self->spare = mf_spare_new ();
    if (!self->history || !self->input || !self->status || !self->spare) {
        mf_error ("out of memory");
        goto done;
    }
    //  The engine binds before the window opens, so that the workers
    //  connect while SDL starts.
    self->farm = mf_farm_new (mf_launch_engine_opts (launch), s_wake, self, err, sizeof err);
    if (self->farm)
        mf_launch_bound (launch, mf_farm_endpoint (self->farm));
    if (!self->farm) {
        self->exit_status = mf_launch_bind_failed (err);
        goto done;
    }
    if (s_open (self))
        goto done;
    int w, h;
    mf_view_t view;
    if (mf_screen_size (self->screen, &w, &h)
    ||  mf_view_resize (&opts->view, (uint32_t) w, (uint32_t) h, &view)) {
        mf_error ("--view: the window has no usable size: %s", SDL_GetError ());
        goto done;
    }
    self->exit_status = 0;
    s_set_view (self, &view, opts->maxiter, true);
    s_loop (self);
done:
    if (self->big.token) {
        mf_warn ("the 4x save was not finished (%u of %u tiles); nothing written",
                 self->big.done, self->big.total);
        free (self->big.mu);
    }
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
    mf_history_destroy (&self->history);
    mf_playback_trace (self->playback, "exit %d", self->exit_status);
    mf_playback_destroy (&self->playback);
    mf_input_destroy (&self->input);
    mf_status_destroy (&self->status);
    mf_screen_destroy (&self->screen);  //  last: it ends SDL
    return self->exit_status;
}
