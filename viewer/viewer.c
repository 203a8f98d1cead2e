/*  mf_viewer: see viewer.h.

    Two threads. This one (the SDL thread) owns the window, the input, the
    frame and every decision; the engine thread (mf_farm) owns the
    sockets. They meet in three places only: commands down the farm's
    pipe, delivered tiles in the farm's queue (an SDL user event wakes
    this thread when it stops being empty), and the farm's counters.

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
#include "font.h"
#include "frame.h"
#include "save.h"
#include "script.h"
#include "launch.h"
#include "view.h"
#include "mf_log.h"
#include "mf_outfile.h"
#include "mf_png.h"
#include "mf_util.h"
#include "mf_version.h"

#include <SDL.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_MS 16                     //  msecs between redraws while tiles stream in
#define IDLE_MS 100                     //  msecs the loop sleeps at most (stop flag, title)
#define DRAIN_MS 12                     //  msecs of tile drawing per loop turn at most
#define TITLE_MS 250                    //  msecs between title updates while rendering
#define NOTE_MS 2500                    //  msecs a note stays in the status
#define HISTORY_MAX 256                 //  views Backspace can go back through
#define PREVIEW_TILE_PARTS 4            //  preview tiles have a quarter of --tile's edge
#define BIG_FACTOR 4                    //  S renders this many times the window, each way
#define PAN_KEY_PARTS 8                 //  arrow keys pan by 1/8 of the window
#define MAX_WINDOW_DIM 8192             //  pixels, largest window side on a virtual screen
#define TITLE_ALLOWANCE 48              //  pixels of screen height kept for the title bar
#define MIN_WINDOW_W 64                 //  pixels, smallest window the user can resize to
#define MIN_WINDOW_H 48
#define OVERLAY_ALPHA 190               //  opacity of the help box, 0..255
#define PATH_LEN 4200                   //  bytes of a path
#define SCREENSHOT_LEVEL 9              //  zlib level of screenshots: rare, and kept
#define GL_RENDERER_NAME 0x1F01         //  GL_RENDERER, for glGetString

typedef enum { DRAG_NONE, DRAG_PAN, DRAG_BOX } s_drag_t;

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
    SDL_Window *window;                 //  the window
    SDL_Renderer *renderer;             //  draws into it
    SDL_Texture *texture;               //  the frame's pixels, frame-sized
    SDL_Texture *font;                  //  glyph atlas
    Uint32 wake_event;                  //  SDL event type other threads push to wake us
    mf_farm_t *farm;                    //  the engine thread
    mf_saver_t *saver;                  //  the save thread
    mf_history_t *history;              //  views for Backspace
    mf_script_t *script;                //  --script, or NULL
    int status;                         //  exit status
    bool running;                       //  loop until false

    //  What is on screen.
    mf_view_t view;                     //  its view
    uint32_t maxiter;                   //  its iterations
    mf_view_t start;                    //  the start view (r)
    uint32_t start_maxiter;             //  the start iterations (r)
    size_t palette_index;               //  index of the palette (p)
    bool tint;                          //  worker tint (w)
    mf_frame_t *frame;                  //  its pixels
    mf_frame_t *spare;                  //  the previous frame, reused when sizes match
    pthread_t spare_thread;             //  prepares a spare frame after a resize
    bool spare_running;                 //  spare_thread is to be joined
    uint32_t spare_w, spare_h;          //  the size it prepares
    pthread_mutex_t spare_lock;         //  guards spare_made
    mf_frame_t *spare_made;             //  what it prepared, NULL until then
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

    //  Input state.
    s_drag_t drag;                      //  mouse drag in progress
    int drag_x0, drag_y0;               //  where it started, frame pixels
    int drag_x, drag_y;                 //  where the pointer is now
    bool help;                          //  help overlay shown
    bool fullscreen;                    //  fullscreen on
    bool save_pending;                  //  s pressed, frame not complete yet
    unsigned save_last;                 //  last mandelfarm-NNNN number used
    s_big_t big;                        //  an S render
    char note [160];                    //  a short message for the status
    int64_t note_until;                 //  msecs; shown until then

    //  Script playback.
    size_t step;                        //  next action
    bool step_started;                  //  its deadline is set
    int64_t step_until;                 //  msecs: its deadline
    FILE *trace;                        //  trace log, or NULL
    int64_t t0;                         //  usecs at start, for the trace

    //  Drawing.
    bool redraw;                        //  the window needs drawing
    bool redraw_now;                    //  ... at once: the view changed
    bool backlog;                       //  tiles left in the queue
    int64_t last_present;               //  msecs
    int64_t last_title;                 //  msecs
    mf_farm_status_t farm_status;       //  latest engine counters
} s_viewer_t;

static void
s_trace (s_viewer_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_trace (s_viewer_t *self, const char *format, ...)
{
    if (!self->trace)
        return;
    fprintf (self->trace, "%.3f ", (double) (mf_clock_us () - self->t0) / 1000.0);
    va_list args;
    va_start (args, format);
    vfprintf (self->trace, format, args);
    va_end (args);
    fputc ('\n', self->trace);
}

static void
s_note (s_viewer_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_note (s_viewer_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->note, sizeof self->note, format, args);
    va_end (args);
    self->note_until = mf_clock_ms () + NOTE_MS;
    self->last_title = 0;
    self->redraw = true;
}

static void
s_fatal (s_viewer_t *self, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_fatal (s_viewer_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "mandelfarm-master: ");
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    self->status = 1;
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
//  Status: the title and the help overlay.

//  Enough decimals to tell pixels apart at pitch d.
static int
s_decimals (double d)
{
    int decimals = (int) ceil (-log10 (d)) + 1;
    return decimals < 2? 2: decimals > 17? 17: decimals;
}

//  "tiles 12/510  85.2 Mpixel/s  2 workers" for the view on screen.
static void
s_progress_line (s_viewer_t *self, char *line, size_t size)
{
    int64_t end = self->complete_us? self->complete_us: mf_clock_us ();
    double seconds = (double) (end - self->submit_us) / 1e6;
    double rate = seconds > 0? (double) self->full_pixels / seconds / 1e6: 0;
    snprintf (line, size, "tiles %u/%u  %.1f Mpixel/s  %u worker%s",
              self->full_done, self->full_total, rate,
              self->farm_status.workers, self->farm_status.workers == 1? "": "s");
}

static void
s_status_line (s_viewer_t *self, char *line, size_t size)
{
    const mf_view_t *view = &self->view;
    int decimals = s_decimals (view->width / view->pixel_w);
    char progress [128];
    s_progress_line (self, progress, sizeof progress);
    int len = snprintf (line, size, "center %.*f %c %.*fi  width %.3g (zoom %.3gx)  iter %u  %s",
                        decimals, view->center_re, view->center_im < 0? '-': '+',
                        decimals, fabs (view->center_im), view->width,
                        mf_view_zoom (view, MF_DEFAULT_VIEW_WIDTH), self->maxiter, progress);
    if (len > 0 && (size_t) len < size && self->big.token)
        len += snprintf (line + len, size - (size_t) len, "  4x save %u/%u",
                         self->big.done, self->big.total);
    if (len > 0 && (size_t) len < size && self->save_pending)
        len += snprintf (line + len, size - (size_t) len, "  save when complete");
    if (len > 0 && (size_t) len < size && self->note_until > mf_clock_ms ())
        snprintf (line + len, size - (size_t) len, "  - %s", self->note);
}

static void
s_update_title (s_viewer_t *self, bool force)
{
    int64_t now = mf_clock_ms ();
    if (!force && now - self->last_title < TITLE_MS)
        return;
    self->last_title = now;
    char line [512], title [560];
    s_status_line (self, line, sizeof line);
    snprintf (title, sizeof title, "mandelfarm - %s", line);
    SDL_SetWindowTitle (self->window, title);
}

static void
s_text (s_viewer_t *self, int x, int y, const char *text)
{
    int w = mf_font_width (), h = mf_font_height ();
    for (; *text; text++, x += w) {
        int c = (unsigned char) *text;
        if (c < MF_FONT_FIRST || c >= MF_FONT_FIRST + MF_FONT_COUNT)
            c = '?';
        SDL_Rect src = { (c - MF_FONT_FIRST) * w, 0, w, h };
        SDL_Rect dst = { x, y, w, h };
        SDL_RenderCopy (self->renderer, self->font, &src, &dst);
    }
}

//  The shortest decimal that reads back as value (what --center takes).
static void
s_shortest (double value, char *text, size_t size)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf (text, size, "%.*g", digits, value);
        if (strtod (text, NULL) == value)
            return;
    }
}

static void
s_draw_help (s_viewer_t *self)
{
    static const char *keys [] = {
        "mandelfarm " MF_VERSION " - live view of the farm",
        "",
        "wheel         zoom in / out at the pointer (2x a notch)",
        "left-drag     pan",
        "right-drag    zoom into the box",
        "arrows        pan an eighth of the window",
        "+  -          double / halve the iterations",
        "p             next palette",
        "w             tint tiles by the worker that computed them",
        "s             save the view as mandelfarm-NNNN.png",
        "S             render 4x the window and save it",
        "r             back to the start view",
        "Backspace     the previous view",
        "f             fullscreen",
        "h             this help",
        "q  Esc        quit",
        ""
    };
    char center [96], width [64], iter [128], tiles [128], farm [128], re [32], im [32], w [32];
    const mf_view_t *view = &self->view;
    s_shortest (view->center_re, re, sizeof re);
    s_shortest (fabs (view->center_im), im, sizeof im);
    s_shortest (view->width, w, sizeof w);
    snprintf (center, sizeof center, "center  %s %c %si", re, view->center_im < 0? '-': '+', im);
    snprintf (width, sizeof width, "width   %s (zoom %.4gx)", w,
              mf_view_zoom (view, MF_DEFAULT_VIEW_WIDTH));
    snprintf (iter, sizeof iter, "size    %ux%u  iter %u  palette %s%s", view->pixel_w,
              view->pixel_h, self->maxiter, mf_palette_name (s_palette (self)),
              self->tint? "  (worker tint)": "");
    s_progress_line (self, tiles, sizeof tiles);
    snprintf (farm, sizeof farm, "late results dropped: %llu by the engine, %llu here",
              (unsigned long long) self->farm_status.late, (unsigned long long) self->dropped);
    const char *lines [sizeof keys / sizeof keys [0] + 5];
    size_t count = 0;
    for (size_t index = 0; index < sizeof keys / sizeof keys [0]; index++)
        lines [count++] = keys [index];
    lines [count++] = center;
    lines [count++] = width;
    lines [count++] = iter;
    lines [count++] = tiles;
    lines [count++] = farm;
    int fw = mf_font_width (), fh = mf_font_height ();
    int longest = 0;
    for (size_t index = 0; index < count; index++)
        if ((int) strlen (lines [index]) > longest)
            longest = (int) strlen (lines [index]);
    SDL_Rect box = { 8, 8, longest * fw + 2 * fw, (int) count * (fh + 2) + fh };
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (self->renderer, 0, 0, 0, OVERLAY_ALPHA);
    SDL_RenderFillRect (self->renderer, &box);
    for (size_t index = 0; index < count; index++)
        s_text (self, box.x + fw, box.y + fh / 2 + (int) index * (fh + 2), lines [index]);
}

// ---------------------------------------------------------------------
//  Drawing.

//  Copies a rectangle of the frame into the texture. The texture is
//  XRGB8888, the format renderers and screens use natively, so that
//  drawing it is a plain copy; the conversion from the frame's RGB is
//  done here, once per changed pixel.
static void
s_upload (s_viewer_t *self, const mf_rect_t *dirty)
{
    uint32_t w = mf_frame_width (self->frame);
    SDL_Rect rect = { (int) dirty->x, (int) dirty->y, (int) dirty->w, (int) dirty->h };
    void *pixels;
    int pitch;
    if (SDL_LockTexture (self->texture, &rect, &pixels, &pitch))
        return;
    for (uint32_t row = 0; row < dirty->h; row++) {
        const uint8_t *rgb = mf_frame_rgb (self->frame) + ((size_t) (dirty->y + row) * w + dirty->x) * 3;
        uint32_t *out = (uint32_t *) ((uint8_t *) pixels + (size_t) row * (size_t) pitch);
        for (uint32_t col = 0; col < dirty->w; col++, rgb += 3)
            out [col] = (uint32_t) rgb [0] << 16 | (uint32_t) rgb [1] << 8 | rgb [2];
    }
    SDL_UnlockTexture (self->texture);
}

//  Draws the frame, the drag feedback and the overlay into the renderer
//  (without presenting).
static void
s_draw (s_viewer_t *self)
{
    mf_rect_t dirty;
    if (mf_frame_take_dirty (self->frame, &dirty) == 0 && dirty.w && dirty.h)
        s_upload (self, &dirty);
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor (self->renderer, MF_FRAME_BACKGROUND, MF_FRAME_BACKGROUND,
                            MF_FRAME_BACKGROUND, 255);
    SDL_RenderClear (self->renderer);
    SDL_Rect dst = { 0, 0, (int) mf_frame_width (self->frame), (int) mf_frame_height (self->frame) };
    if (self->drag == DRAG_PAN) {
        dst.x += self->drag_x - self->drag_x0;
        dst.y += self->drag_y - self->drag_y0;
    }
    SDL_RenderCopy (self->renderer, self->texture, NULL, &dst);
    if (self->drag == DRAG_BOX) {
        int x0 = self->drag_x0 < self->drag_x? self->drag_x0: self->drag_x;
        int y0 = self->drag_y0 < self->drag_y? self->drag_y0: self->drag_y;
        SDL_Rect box = { x0, y0, abs (self->drag_x - self->drag_x0) + 1,
                         abs (self->drag_y - self->drag_y0) + 1 };
        SDL_Rect shadow = { box.x + 1, box.y + 1, box.w, box.h };
        SDL_SetRenderDrawColor (self->renderer, 0, 0, 0, 255);
        SDL_RenderDrawRect (self->renderer, &shadow);
        SDL_SetRenderDrawColor (self->renderer, 255, 255, 255, 255);
        SDL_RenderDrawRect (self->renderer, &box);
    }
    if (self->help)
        s_draw_help (self);
}

static void
s_present (s_viewer_t *self)
{
    s_draw (self);
    SDL_RenderPresent (self->renderer);
    self->redraw = false;
    self->redraw_now = false;
    self->last_present = mf_clock_ms ();
    s_trace (self, "present %u %u %u", self->gen, self->full_done, self->preview_done);
}

//  Writes what the window shows as a PNG. Returns 0 or -1 with err set.
static int
s_screenshot (s_viewer_t *self, const char *path, char *err, size_t errlen)
{
    int w, h;
    if (SDL_GetRendererOutputSize (self->renderer, &w, &h) || w <= 0 || h <= 0) {
        snprintf (err, errlen, "cannot read the window size: %s", SDL_GetError ());
        return -1;
    }
    uint8_t *rgb = malloc ((size_t) w * h * 3);
    if (!rgb) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    s_draw (self);
    int rc = SDL_RenderReadPixels (self->renderer, NULL, SDL_PIXELFORMAT_RGB24, rgb, w * 3);
    SDL_RenderPresent (self->renderer);
    self->last_present = mf_clock_ms ();
    if (rc) {
        snprintf (err, errlen, "cannot read the window's pixels: %s", SDL_GetError ());
        free (rgb);
        return -1;
    }
    char software [48];
    snprintf (software, sizeof software, "mandelfarm %s (viewer screenshot)", MF_VERSION);
    mf_png_text_t texts [] = { { "Software", software } };
    mf_outfile_t *out = mf_outfile_open (path, err, errlen);
    mf_png_t *png = out? mf_png_new (mf_outfile_stream (out), (uint32_t) w, (uint32_t) h,
                                     texts, 1, SCREENSHOT_LEVEL, err, errlen): NULL;
    rc = png? mf_png_write_rows (png, rgb, (uint32_t) h): -1;
    if (png && (mf_png_finish (&png) || rc)) {
        snprintf (err, errlen, "cannot write the PNG '%s'", path);
        rc = -1;
    }
    free (rgb);
    if (rc || !out) {
        mf_outfile_abort (&out);
        return -1;
    }
    return mf_outfile_commit (&out, err, errlen);
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

static int
s_submit (s_viewer_t *self, uint32_t token, const mf_view_t *view, uint32_t maxiter,
          uint32_t tile)
{
    mf_job_spec_t spec = { *view, maxiter, tile, 0 };    //  no --verify in the viewer
    if (mf_farm_submit (self->farm, token, &spec)) {
        s_fatal (self, "cannot hand a job to the engine thread");
        return -1;
    }
    return 0;
}

//  Prepares the spare frame on a thread of its own: a large frame's first
//  touch of its pages costs tens of milliseconds, which the event loop
//  should not wait for.
static void *
s_spare_run (void *arg)
{
    s_viewer_t *self = arg;
    //  Any palette: a warp gives the frame the old frame's colors.
    mf_frame_t *frame = mf_frame_new (self->spare_w, self->spare_h, mf_palette_at (0));
    pthread_mutex_lock (&self->spare_lock);
    self->spare_made = frame;
    pthread_mutex_unlock (&self->spare_lock);
    return NULL;
}

static void
s_spare_start (s_viewer_t *self)
{
    if (self->spare || self->spare_running)
        return;
    self->spare_w = self->view.pixel_w;
    self->spare_h = self->view.pixel_h;
    self->spare_running = pthread_create (&self->spare_thread, NULL, s_spare_run, self) == 0;
}

//  Collects the prepared frame, waiting for it if wait. Returns it (the
//  caller's), or NULL.
static mf_frame_t *
s_spare_collect (s_viewer_t *self, bool wait)
{
    if (!self->spare_running)
        return NULL;
    pthread_mutex_lock (&self->spare_lock);
    bool ready = self->spare_made != NULL;
    pthread_mutex_unlock (&self->spare_lock);
    if (!ready && !wait)
        return NULL;
    pthread_join (self->spare_thread, NULL);
    self->spare_running = false;
    mf_frame_t *frame = self->spare_made;
    self->spare_made = NULL;
    return frame;
}

//  A frame of view's size for the next view: the spare if it fits.
static mf_frame_t *
s_take_spare (s_viewer_t *self, const mf_view_t *view)
{
    if (!self->spare)
        self->spare = s_spare_collect (self, true);
    mf_frame_t *frame = self->spare;
    self->spare = NULL;
    if (frame && (mf_frame_width (frame) != view->pixel_w
              ||  mf_frame_height (frame) != view->pixel_h))
        mf_frame_destroy (&frame);
    if (!frame)
        frame = mf_frame_new (view->pixel_w, view->pixel_h, s_palette (self));
    return frame;
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
        fprintf (stderr, "mandelfarm-master: save cancelled: the view changed before "
                 "it was complete\n");
    }
    self->gen++;
    self->preview_token = 0;
    self->preview_done = self->preview_total = 0;
    if (preview) {
        mf_view_t small;
        mf_view_preview (view, MF_VIEW_PREVIEW, &small);
        self->preview_token = self->next_token++;
        self->preview_total = mf_tiles_count_for (small.pixel_w, small.pixel_h,
                                                  s_preview_tile (self));
        if (s_submit (self, self->preview_token, &small, maxiter, s_preview_tile (self)))
            return;
    }
    self->full_token = self->next_token++;
    self->full_total = mf_tiles_count_for (view->pixel_w, view->pixel_h, self->opts->tile);
    self->full_done = 0;
    self->full_pixels = 0;
    self->submit_us = mf_clock_us ();
    self->complete_us = 0;
    if (s_submit (self, self->full_token, view, maxiter, self->opts->tile))
        return;
    s_trace (self, "view %u %.17g %.17g %.17g %ux%u %u %u %u", self->gen, view->center_re,
             view->center_im, view->width, view->pixel_w, view->pixel_h, maxiter,
             self->preview_token, self->full_token);

    mf_frame_t *frame = s_take_spare (self, view);
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
    self->spare = self->frame;
    self->frame = frame;
    self->view = *view;
    self->maxiter = maxiter;
    if (resized) {
        mf_frame_destroy (&self->spare);
        if (self->texture)
            SDL_DestroyTexture (self->texture);
        self->texture = SDL_CreateTexture (self->renderer, SDL_PIXELFORMAT_RGB888,
                                           SDL_TEXTUREACCESS_STREAMING,
                                           (int) view->pixel_w, (int) view->pixel_h);
        if (!self->texture) {
            s_fatal (self, "cannot make a %ux%u texture: %s", view->pixel_w, view->pixel_h,
                     SDL_GetError ());
            return;
        }
        s_spare_start (self);
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
    s_trace (self, "input zoom %d %d %d", x, y, steps);
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
    s_trace (self, "input pan %d %d", dx, dy);
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
    s_trace (self, "input box %d %d %d %d", x0, y0, x1, y1);
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
    if (SDL_GetRendererOutputSize (self->renderer, &w, &h) || w <= 0 || h <= 0)
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
        fprintf (stderr, "mandelfarm-master: cannot save: no current directory: %s\n",
                 strerror (errno));
        return;
    }
    if (mf_save_next_name (dir, &self->save_last, path, sizeof path)) {
        fprintf (stderr, "mandelfarm-master: cannot save: mandelfarm-0001.png to "
                 "mandelfarm-%04d.png all exist in %s\n", MF_SAVE_MAX_NUMBER, dir);
        return;
    }
    size_t pixels = (size_t) self->view.pixel_w * self->view.pixel_h;
    float *mu = malloc (pixels * sizeof *mu);
    if (!mu) {
        fprintf (stderr, "mandelfarm-master: cannot save: out of memory\n");
        return;
    }
    memcpy (mu, mf_frame_mu (self->frame), pixels * sizeof *mu);
    if (mf_saver_queue (self->saver, path, &self->view, self->maxiter, s_palette (self), &mu))
        fprintf (stderr, "mandelfarm-master: cannot save: out of memory\n");
    else
        s_note (self, "saving %s", strrchr (path, '/') + 1);
}

static void
s_start_big (s_viewer_t *self)
{
    if (self->big.token) {
        s_note (self, "a 4x save is already rendering (%u/%u)", self->big.done, self->big.total);
        return;
    }
    mf_view_t big;
    uint64_t w = (uint64_t) self->view.pixel_w * BIG_FACTOR;
    uint64_t h = (uint64_t) self->view.pixel_h * BIG_FACTOR;
    if (w > MF_MAX_DIM || h > MF_MAX_DIM || w * h > MF_MAX_PIXELS
    ||  mf_view_resize (&self->view, (uint32_t) w, (uint32_t) h, &big)) {
        s_note (self, "4x the window (%llux%llu) is too large to render",
                (unsigned long long) w, (unsigned long long) h);
        return;
    }
    float *mu = malloc ((size_t) (w * h) * sizeof *mu);
    if (!mu) {
        s_note (self, "no memory for a %llux%llu image", (unsigned long long) w,
                (unsigned long long) h);
        return;
    }
    self->big = (s_big_t) {
        .token = self->next_token++, .view = big, .maxiter = self->maxiter,
        .palette = s_palette (self), .mu = mu, .done = 0,
        .total = mf_tiles_count_for (big.pixel_w, big.pixel_h, self->opts->tile)
    };
    s_trace (self, "big %u %ux%u", self->big.token, big.pixel_w, big.pixel_h);
    s_note (self, "rendering %ux%u to save it", big.pixel_w, big.pixel_h);
    s_submit (self, self->big.token, &big, self->maxiter, self->opts->tile);
}

static void
s_big_tile (s_viewer_t *self, const mf_farm_tile_t *tile)
{
    s_big_t *big = &self->big;
    for (uint32_t row = 0; row < tile->rect.h; row++)
        memcpy (big->mu + (size_t) (tile->rect.y + row) * big->view.pixel_w + tile->rect.x,
                tile->mu + (size_t) row * tile->rect.w, tile->rect.w * sizeof (float));
    if (++big->done < big->total)
        return;
    char dir [PATH_LEN - 32], path [PATH_LEN];
    if (!getcwd (dir, sizeof dir) || mf_save_next_name (dir, &self->save_last, path, sizeof path))
        fprintf (stderr, "mandelfarm-master: cannot save the 4x render: no current directory "
                 "or no free mandelfarm-NNNN.png name\n");
    else
    if (mf_saver_queue (self->saver, path, &big->view, big->maxiter, big->palette, &big->mu))
        fprintf (stderr, "mandelfarm-master: cannot save: out of memory\n");
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
            fprintf (stderr, "mandelfarm-master: cannot save: %s\n", line);
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
        s_trace (self, "draw %u full %u %u %u %u %u", self->gen, tile->token, r->x, r->y, r->w, r->h);
        if (s_complete (self)) {
            self->complete_us = mf_clock_us ();
            s_trace (self, "complete %u", self->gen);
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
            s_trace (self, "draw %u preview %u %u %u %u %u", self->gen, tile->token,
                     r->x, r->y, r->w, r->h);
        }
        if (++self->preview_done == self->preview_total)
            s_trace (self, "preview-complete %u", self->gen);
    }
    else
    if (tile->token && tile->token == self->big.token)
        s_big_tile (self, tile);
    else {
        //  A tile of a view no longer on screen: never drawn.
        self->dropped++;
        s_trace (self, "drop %u %u %u %u %u", tile->token, r->x, r->y, r->w, r->h);
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
        s_trace (self, "workers %u", self->farm_status.workers);
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
            SDL_SetWindowFullscreen (self->window,
                                     self->fullscreen? SDL_WINDOW_FULLSCREEN_DESKTOP: 0);
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

static mf_key_t
s_key_of (const SDL_KeyboardEvent *event)
{
    bool shift = event->keysym.mod & KMOD_SHIFT;
    bool repeat = event->repeat;
    switch (event->keysym.sym) {
        case SDLK_PLUS: case SDLK_KP_PLUS: case SDLK_EQUALS: return MF_KEY_ITER_UP;
        case SDLK_MINUS: case SDLK_KP_MINUS: return MF_KEY_ITER_DOWN;
        case SDLK_BACKSPACE: return MF_KEY_BACK;
        case SDLK_LEFT: return MF_KEY_LEFT;
        case SDLK_RIGHT: return MF_KEY_RIGHT;
        case SDLK_UP: return MF_KEY_UP;
        case SDLK_DOWN: return MF_KEY_DOWN;
        default: break;
    }
    if (repeat)
        return MF_KEY_NONE;             //  toggles and saves: once per press
    switch (event->keysym.sym) {
        case SDLK_p: return MF_KEY_PALETTE;
        case SDLK_w: return MF_KEY_TINT;
        case SDLK_s: return shift? MF_KEY_SAVE_BIG: MF_KEY_SAVE;
        case SDLK_r: return MF_KEY_RESET;
        case SDLK_f: case SDLK_F11: return MF_KEY_FULLSCREEN;
        case SDLK_h: case SDLK_F1: return MF_KEY_HELP;
        case SDLK_q: case SDLK_ESCAPE: return MF_KEY_QUIT;
        default: return MF_KEY_NONE;
    }
}

//  Window coordinates to frame pixels (they differ on scaled displays).
static void
s_to_pixels (s_viewer_t *self, int x, int y, int *px, int *py)
{
    int ww, wh, ow, oh;
    SDL_GetWindowSize (self->window, &ww, &wh);
    if (SDL_GetRendererOutputSize (self->renderer, &ow, &oh) || ww <= 0 || wh <= 0) {
        *px = x;
        *py = y;
        return;
    }
    *px = (int) ((int64_t) x * ow / ww);
    *py = (int) ((int64_t) y * oh / wh);
}

static void
s_on_event (s_viewer_t *self, const SDL_Event *event)
{
    int x, y;
    switch (event->type) {
        case SDL_QUIT:
            self->running = false;
            break;
        case SDL_WINDOWEVENT:
            if (event->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                s_check_size (self);
            self->redraw = true;
            break;
        case SDL_KEYDOWN:
            s_on_key (self, s_key_of (&event->key));
            break;
        case SDL_MOUSEWHEEL: {
            int steps = event->wheel.y;
            if (event->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
                steps = -steps;
            if (steps && self->drag == DRAG_NONE) {
                s_to_pixels (self, event->wheel.mouseX, event->wheel.mouseY, &x, &y);
                s_zoom (self, x, y, steps);
            }
            break;
        }
        case SDL_MOUSEBUTTONDOWN:
            if (self->drag != DRAG_NONE
            ||  (event->button.button != SDL_BUTTON_LEFT && event->button.button != SDL_BUTTON_RIGHT))
                break;
            s_to_pixels (self, event->button.x, event->button.y, &x, &y);
            self->drag = event->button.button == SDL_BUTTON_LEFT? DRAG_PAN: DRAG_BOX;
            self->drag_x0 = self->drag_x = x;
            self->drag_y0 = self->drag_y = y;
            break;
        case SDL_MOUSEMOTION:
            if (self->drag == DRAG_NONE)
                break;
            s_to_pixels (self, event->motion.x, event->motion.y, &self->drag_x, &self->drag_y);
            self->redraw = true;
            break;
        case SDL_MOUSEBUTTONUP:
            s_to_pixels (self, event->button.x, event->button.y, &x, &y);
            if (self->drag == DRAG_PAN && event->button.button == SDL_BUTTON_LEFT)
                s_pan (self, x - self->drag_x0, y - self->drag_y0);
            else
            if (self->drag == DRAG_BOX && event->button.button == SDL_BUTTON_RIGHT)
                s_box (self, self->drag_x0, self->drag_y0, x, y);
            else
                break;
            self->drag = DRAG_NONE;
            self->redraw = true;
            break;
        default:
            break;
    }
}

// ---------------------------------------------------------------------
//  Script playback.

//  Script input goes through SDL's event queue, as a person's does, so
//  the same handlers see it. Coordinates are frame pixels.
static void
s_to_window (s_viewer_t *self, int px, int py, int *x, int *y)
{
    int ww, wh, ow, oh;
    SDL_GetWindowSize (self->window, &ww, &wh);
    if (SDL_GetRendererOutputSize (self->renderer, &ow, &oh) || ow <= 0 || oh <= 0) {
        *x = px;
        *y = py;
        return;
    }
    *x = (int) ((int64_t) px * ww / ow);
    *y = (int) ((int64_t) py * wh / oh);
}

static void
s_push_wheel (s_viewer_t *self, int px, int py, int steps)
{
    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_MOUSEWHEEL;
    event.wheel.windowID = SDL_GetWindowID (self->window);
    event.wheel.y = steps;
    event.wheel.preciseY = (float) steps;
    event.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    s_to_window (self, px, py, &event.wheel.mouseX, &event.wheel.mouseY);
    SDL_PushEvent (&event);
}

static void
s_push_drag (s_viewer_t *self, Uint8 button, int px0, int py0, int px1, int py1)
{
    int x0, y0, x1, y1;
    s_to_window (self, px0, py0, &x0, &y0);
    s_to_window (self, px1, py1, &x1, &y1);
    Uint32 window = SDL_GetWindowID (self->window);
    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_MOUSEBUTTONDOWN;
    event.button = (SDL_MouseButtonEvent) { SDL_MOUSEBUTTONDOWN, 0, window, 0, button,
                                            SDL_PRESSED, 1, 0, x0, y0 };
    SDL_PushEvent (&event);
    SDL_zero (event);
    event.motion = (SDL_MouseMotionEvent) { SDL_MOUSEMOTION, 0, window, 0, SDL_BUTTON (button),
                                            x1, y1, x1 - x0, y1 - y0 };
    SDL_PushEvent (&event);
    SDL_zero (event);
    event.button = (SDL_MouseButtonEvent) { SDL_MOUSEBUTTONUP, 0, window, 0, button,
                                            SDL_RELEASED, 1, 0, x1, y1 };
    SDL_PushEvent (&event);
}

static void
s_push_key (s_viewer_t *self, mf_key_t key)
{
    static const struct { mf_key_t key; SDL_Keycode sym; Uint16 mod; } keys [] = {
        { MF_KEY_ITER_UP, SDLK_PLUS, 0 }, { MF_KEY_ITER_DOWN, SDLK_MINUS, 0 },
        { MF_KEY_PALETTE, SDLK_p, 0 }, { MF_KEY_TINT, SDLK_w, 0 },
        { MF_KEY_SAVE, SDLK_s, 0 }, { MF_KEY_SAVE_BIG, SDLK_s, KMOD_LSHIFT },
        { MF_KEY_RESET, SDLK_r, 0 }, { MF_KEY_BACK, SDLK_BACKSPACE, 0 },
        { MF_KEY_FULLSCREEN, SDLK_f, 0 }, { MF_KEY_HELP, SDLK_h, 0 },
        { MF_KEY_QUIT, SDLK_ESCAPE, 0 }, { MF_KEY_LEFT, SDLK_LEFT, 0 },
        { MF_KEY_RIGHT, SDLK_RIGHT, 0 }, { MF_KEY_UP, SDLK_UP, 0 },
        { MF_KEY_DOWN, SDLK_DOWN, 0 }
    };
    for (size_t index = 0; index < sizeof keys / sizeof keys [0]; index++) {
        if (keys [index].key != key)
            continue;
        SDL_Event event;
        SDL_zero (event);
        event.type = SDL_KEYDOWN;
        event.key.windowID = SDL_GetWindowID (self->window);
        event.key.state = SDL_PRESSED;
        event.key.keysym.sym = keys [index].sym;
        event.key.keysym.scancode = SDL_GetScancodeFromKey (keys [index].sym);
        event.key.keysym.mod = keys [index].mod;
        SDL_PushEvent (&event);
        event.type = SDL_KEYUP;
        event.key.state = SDL_RELEASED;
        SDL_PushEvent (&event);
        return;
    }
}

//  Whether the view is finished: its frame complete, no change waiting,
//  every save rendered and written.
static bool
s_settled (s_viewer_t *self)
{
    return !self->change && s_complete (self) && !self->save_pending && !self->big.token
        && mf_saver_busy (self->saver) == 0;
}

static void
s_script_fail (s_viewer_t *self, const mf_action_t *action, const char *what)
{
    s_fatal (self, "--script %s: line %d: %s", self->opts->script, action->line, what);
}

static int
s_open_trace (s_viewer_t *self, const mf_action_t *action)
{
    if (self->trace)
        fclose (self->trace);
    self->trace = fopen (action->path, "w");
    if (!self->trace) {
        char what [700];
        snprintf (what, sizeof what, "trace %s: %s", action->path, strerror (errno));
        s_script_fail (self, action, what);
        return -1;
    }
    return 0;
}

//  Plays actions until one has to wait. Returns msecs until the script
//  wants to run again (-1: only when something happens).
static int
s_script (s_viewer_t *self)
{
    while (self->running && self->script && self->step < mf_script_count (self->script)) {
        const mf_action_t *action = mf_script_at (self->script, self->step);
        int64_t now = mf_clock_ms ();
        char err [512], what [700];
        if (!self->step_started) {
            self->step_started = true;
            self->step_until = now + (action->kind == MF_ACT_SLEEP? action->args [0]
                                    : action->kind == MF_ACT_WAIT? action->args [0] * 1000
                                    : MF_SCRIPT_DEFAULT_WAIT * 1000);
        }
        switch (action->kind) {
            case MF_ACT_ZOOM:
                s_push_wheel (self, (int) action->args [0], (int) action->args [1],
                              (int) action->args [2]);
                break;
            case MF_ACT_PAN: {
                int x = (int) self->view.pixel_w / 2, y = (int) self->view.pixel_h / 2;
                s_push_drag (self, SDL_BUTTON_LEFT, x, y,
                             x + (int) action->args [0], y + (int) action->args [1]);
                break;
            }
            case MF_ACT_BOX:
                s_push_drag (self, SDL_BUTTON_RIGHT, (int) action->args [0], (int) action->args [1],
                             (int) action->args [2], (int) action->args [3]);
                break;
            case MF_ACT_KEY:
                s_push_key (self, action->key);
                break;
            case MF_ACT_RESIZE:
                SDL_SetWindowSize (self->window, (int) action->args [0], (int) action->args [1]);
                s_check_size (self);
                break;
            case MF_ACT_WAIT:
            case MF_ACT_WAIT_TILES: {
                bool done = action->kind == MF_ACT_WAIT? s_settled (self)
                          : !self->change && self->full_done >= (uint32_t) action->args [0];
                if (done)
                    break;
                if (now < self->step_until)
                    return (int) (self->step_until - now);
                snprintf (what, sizeof what, "the view was not %s after %ld s (%u of %u tiles, "
                          "%u worker%s connected)",
                          action->kind == MF_ACT_WAIT? "complete": "that far",
                          action->kind == MF_ACT_WAIT? action->args [0]: MF_SCRIPT_DEFAULT_WAIT,
                          self->full_done, self->full_total, self->farm_status.workers,
                          self->farm_status.workers == 1? "": "s");
                s_script_fail (self, action, what);
                return -1;
            }
            case MF_ACT_SLEEP:
                if (now < self->step_until)
                    return (int) (self->step_until - now);
                break;
            case MF_ACT_STALL:
                s_trace (self, "stall %ld", action->args [0]);
                SDL_Delay ((Uint32) action->args [0]);
                break;
            case MF_ACT_STALL_TILES: {
                //  Blocks here, events and tiles unhandled, like a busy loop.
                s_trace (self, "stall-tiles %ld", action->args [0]);
                while (mf_farm_queued (self->farm) < (size_t) action->args [0]
                   &&  mf_clock_ms () < self->step_until && !*self->stop)
                    SDL_Delay (1);
                if (mf_farm_queued (self->farm) < (size_t) action->args [0]) {
                    snprintf (what, sizeof what, "fewer than %ld tiles came within %d s",
                              action->args [0], MF_SCRIPT_DEFAULT_WAIT);
                    s_script_fail (self, action, what);
                    return -1;
                }
                break;
            }
            case MF_ACT_SCREENSHOT:
                if (s_screenshot (self, action->path, err, sizeof err)) {
                    snprintf (what, sizeof what, "screenshot %s: %s", action->path, err);
                    s_script_fail (self, action, what);
                    return -1;
                }
                s_trace (self, "screenshot %s", action->path);
                break;
            case MF_ACT_TRACE:
                if (s_open_trace (self, action))
                    return -1;
                break;
            case MF_ACT_QUIT:
                self->running = false;
                break;
        }
        self->step++;
        self->step_started = false;
        //  Let the loop handle the input just pushed, and apply a view
        //  change, before the next action.
        if (self->change || action->kind == MF_ACT_ZOOM || action->kind == MF_ACT_PAN
        ||  action->kind == MF_ACT_BOX || action->kind == MF_ACT_KEY)
            return 0;
    }
    return -1;
}

// ---------------------------------------------------------------------
//  Start and end.

//  Shrinks w x h, keeping its aspect, to fit the screen: the usable area
//  of the first display, or MAX_WINDOW_DIM on a virtual one (the offscreen
//  and dummy drivers have no real screen to fit).
static void
s_fit (uint32_t *w, uint32_t *h)
{
    const char *driver = SDL_GetCurrentVideoDriver ();
    double max_w = MAX_WINDOW_DIM, max_h = MAX_WINDOW_DIM;
    SDL_Rect usable;
    if (driver && strcmp (driver, "offscreen") && strcmp (driver, "dummy")
    &&  SDL_GetDisplayUsableBounds (0, &usable) == 0 && usable.w > 0
    &&  usable.h > TITLE_ALLOWANCE) {
        max_w = usable.w;
        max_h = usable.h - TITLE_ALLOWANCE;
    }
    double scale = fmin (1.0, fmin (max_w / *w, max_h / *h));
    if (scale < 1.0) {
        *w = (uint32_t) fmax (1.0, floor (*w * scale));
        *h = (uint32_t) fmax (1.0, floor (*h * scale));
    }
}

//  Whether the renderer is OpenGL running on Mesa's software rasterizer,
//  as on a machine without a GPU. Drawing a large window through it costs
//  far more CPU (taken from the local workers) than SDL's own software
//  renderer, so the viewer uses that one instead, unless SDL_RENDER_DRIVER
//  says otherwise.
static bool
s_software_gl (SDL_Renderer *renderer)
{
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo (renderer, &info) || !strstr (info.name, "opengl"))
        return false;
    typedef const unsigned char *(s_get_string_fn) (unsigned int name);
    s_get_string_fn *get_string = (s_get_string_fn *) SDL_GL_GetProcAddress ("glGetString");
    const char *name = get_string? (const char *) get_string (GL_RENDERER_NAME): NULL;
    return name && (strstr (name, "llvmpipe") || strstr (name, "softpipe")
                ||  strstr (name, "Software Rasterizer"));
}

static int
s_open_window (s_viewer_t *self)
{
    SDL_SetHint (SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint (SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
    SDL_SetHint (SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    if (SDL_Init (SDL_INIT_VIDEO)) {
        fprintf (stderr, "mandelfarm-master: --view: cannot open a window: %s; run it in a "
                 "desktop session, or set SDL_VIDEODRIVER=offscreen to run without a display\n",
                 SDL_GetError ());
        return -1;
    }
    //  With no display SDL falls back to a driver that shows nothing: fine
    //  for a script or when asked for, not for a person waiting for a window.
    const char *driver = SDL_GetCurrentVideoDriver ();
    if (driver && (!strcmp (driver, "offscreen") || !strcmp (driver, "dummy"))
    &&  !self->opts->script && !getenv ("SDL_VIDEODRIVER")) {
        fprintf (stderr, "mandelfarm-master: --view: no display to open a window on (DISPLAY "
                 "and WAYLAND_DISPLAY are unset); run it in a desktop session, or give "
                 "--script to run without one\n");
        return -1;
    }
    self->wake_event = SDL_RegisterEvents (1);
    uint32_t w = self->opts->view.pixel_w, h = self->opts->view.pixel_h;
    s_fit (&w, &h);
    self->window = SDL_CreateWindow ("mandelfarm", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                     (int) w, (int) h, SDL_WINDOW_RESIZABLE);
    if (self->window) {
        self->renderer = SDL_CreateRenderer (self->window, -1, SDL_RENDERER_ACCELERATED);
        if (self->renderer && s_software_gl (self->renderer) && !getenv ("SDL_RENDER_DRIVER")) {
            SDL_DestroyRenderer (self->renderer);
            self->renderer = NULL;
        }
        if (!self->renderer)
            self->renderer = SDL_CreateRenderer (self->window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!self->window || !self->renderer || self->wake_event == (Uint32) -1) {
        fprintf (stderr, "mandelfarm-master: --view: cannot open a %ux%u window: %s\n",
                 w, h, SDL_GetError ());
        return -1;
    }
    SDL_SetWindowMinimumSize (self->window, (int) (w < MIN_WINDOW_W? w: MIN_WINDOW_W),
                              (int) (h < MIN_WINDOW_H? h: MIN_WINDOW_H));
    int fw = mf_font_width (), fh = mf_font_height ();
    uint32_t *atlas = malloc ((size_t) MF_FONT_COUNT * fw * fh * sizeof *atlas);
    self->font = atlas? SDL_CreateTexture (self->renderer, SDL_PIXELFORMAT_ABGR8888,
                                           SDL_TEXTUREACCESS_STATIC, MF_FONT_COUNT * fw, fh): NULL;
    if (self->font) {
        mf_font_atlas (atlas);
        SDL_UpdateTexture (self->font, NULL, atlas, MF_FONT_COUNT * fw * 4);
        SDL_SetTextureBlendMode (self->font, SDL_BLENDMODE_BLEND);
    }
    free (atlas);
    if (!self->font) {
        fprintf (stderr, "mandelfarm-master: --view: cannot make the font texture: %s\n",
                 SDL_GetError ());
        return -1;
    }
    return 0;
}

//  The loop: see the top of this file.
static void
s_loop (s_viewer_t *self)
{
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
            fprintf (stderr, "mandelfarm-master: interrupted; the viewer closes\n");
            self->status = 1;
            break;
        }
        //  A new view first: tiles still queued for the old one are then
        //  dropped, not drawn a moment before they are replaced.
        s_apply (self);
        s_drain (self);
        s_reports (self);
        wait = s_script (self);
        s_apply (self);
        if (!self->running)
            break;
        now = mf_clock_ms ();
        if (self->redraw && (self->redraw_now || now - self->last_present >= FRAME_MS))
            s_present (self);
        s_update_title (self, false);
    }
}

int
mf_viewer_run (const mf_options_t *opts, volatile sig_atomic_t *stop)
{
    s_viewer_t self_data = { .opts = opts, .stop = stop, .running = true, .next_token = 1,
                             .spare_lock = PTHREAD_MUTEX_INITIALIZER };
    s_viewer_t *self = &self_data;
    self->t0 = mf_clock_us ();
    char err [512];
    if (opts->script) {
        self->script = mf_script_load (opts->script, err, sizeof err);
        if (!self->script) {
            fprintf (stderr, "mandelfarm-master: %s\n", err);
            return 2;
        }
    }
    //  Keys, endpoint, fork and authenticator: the headless render's start-up.
    int status;
    mf_launch_t *launch = mf_launch_new (opts, &status);
    if (!launch || (status = mf_launch_start (launch))) {
        mf_launch_destroy (&launch);
        mf_script_destroy (&self->script);
        return status;
    }
    self->status = 1;
    for (size_t index = 0; index < mf_palette_count (); index++)
        if (mf_palette_at (index) == opts->palette)
            self->palette_index = index;
    self->start = opts->view;
    self->start_maxiter = opts->maxiter;
    self->history = mf_history_new (HISTORY_MAX);
    if (!self->history)
        goto done;
    //  The engine binds before the window opens, so that the workers
    //  connect while SDL starts.
    self->farm = mf_farm_new (mf_launch_engine_opts (launch), s_wake, self, err, sizeof err);
    if (self->farm)
        mf_launch_bound (launch);
    if (!self->farm) {
        self->status = mf_launch_bind_failed (err);
        goto done;
    }
    if (s_open_window (self))
        goto done;
    self->saver = mf_saver_new (s_wake, self);
    if (!self->saver) {
        fprintf (stderr, "mandelfarm-master: cannot start the save thread\n");
        goto done;
    }
    //  Leading trace actions run now, so the trace sees the first view.
    while (self->script && self->step < mf_script_count (self->script)
       &&  mf_script_at (self->script, self->step)->kind == MF_ACT_TRACE)
        if (s_open_trace (self, mf_script_at (self->script, self->step++)))
            goto done;
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo (self->renderer, &info) == 0)
        s_trace (self, "window %s %s", SDL_GetCurrentVideoDriver (), info.name);
    int w, h;
    mf_view_t view;
    if (SDL_GetRendererOutputSize (self->renderer, &w, &h) || w <= 0 || h <= 0
    ||  mf_view_resize (&opts->view, (uint32_t) w, (uint32_t) h, &view)) {
        fprintf (stderr, "mandelfarm-master: --view: the window has no usable size: %s\n",
                 SDL_GetError ());
        goto done;
    }
    self->status = 0;
    s_set_view (self, &view, opts->maxiter, true);
    s_loop (self);
done:
    if (self->big.token) {
        fprintf (stderr, "mandelfarm-master: the 4x save was not finished (%u of %u tiles); "
                 "nothing written\n", self->big.done, self->big.total);
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
    mf_frame_t *made = s_spare_collect (self, true);
    mf_frame_destroy (&made);
    mf_frame_destroy (&self->frame);
    mf_frame_destroy (&self->spare);
    pthread_mutex_destroy (&self->spare_lock);
    mf_history_destroy (&self->history);
    mf_script_destroy (&self->script);
    if (self->trace) {
        s_trace (self, "exit %d", self->status);
        fclose (self->trace);
    }
    if (self->texture)
        SDL_DestroyTexture (self->texture);
    if (self->font)
        SDL_DestroyTexture (self->font);
    if (self->renderer)
        SDL_DestroyRenderer (self->renderer);
    if (self->window)
        SDL_DestroyWindow (self->window);
    SDL_Quit ();
    return self->status;
}
