/*  mf_status: what the viewer says about itself, as text.

    The status line is the window's title: center, width and zoom (at
    depth: the first digits of the exact center, and the zoom as a power
    of ten, "zoom 2.1e57"), iterations, the reference orbit's progress
    while it is computed, tiles done, Mpixel/s, workers, then what is pending (a 4x
    save, a save waiting for the view to complete) and the latest note
    (a short message such as "palette fire", shown MF_STATUS_NOTE_MS).
    The help overlay is the keys (from keys.h's table, after the mouse),
    the exact center and width, the size and palette, progress and late
    results.

    The viewer gathers the facts into an mf_status_facts_t; everything
    here is text built from them and from the time passed in, so every
    line is unit-tested. Only the note and the title's pace are state.
    Drawing the overlay is the screen's (mf_screen_draw).
*/
#ifndef MF_VIEWER_STATUS_H
#define MF_VIEWER_STATUS_H

#include "mf_region.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_STATUS_NOTE_MS 2500          //  msecs a note stays in the status
#define MF_STATUS_TITLE_MS 250          //  msecs between title updates while rendering
#define MF_STATUS_HELP_LINES 40         //  most lines of the help overlay
#define MF_STATUS_HELP_WIDTH 128        //  bytes of one help line, NUL included

//  What the status shows, gathered by the viewer.
typedef struct {
    mf_view_t view;                     //  the view on screen
    uint32_t maxiter;                   //  its iterations
    const char *palette;                //  its palette's name
    bool tint;                          //  worker tint on
    uint32_t full_done, full_total;     //  full tiles of the view
    uint64_t full_pixels;               //  pixels of full tiles drawn
    int64_t submit_us;                  //  usecs: when its jobs were submitted
    int64_t complete_us;                //  usecs: when its last full tile came (0: not yet)
    uint32_t workers;                   //  connected
    uint64_t late;                      //  results the engine dropped as late
    uint64_t dropped;                   //  tiles of old views the viewer dropped
    bool big;                           //  a 4x save is rendering
    uint32_t big_done, big_total;       //  ... its tiles
    bool save_pending;                  //  s pressed, the view not complete yet
    //  A deep view (deep true): the rest; the doubles of view are then
    //  for its size only.
    bool deep;                          //  the view needs perturbation
    const char *center_text;            //  its exact center "RE,IM"
    const char *width_text;             //  its exact width
    double log10_zoom;                  //  log10 of its zoom (mf_deep_view_log10_zoom)
    bool iter_auto;                     //  --iter auto chooses maxiter (not yet: 0)
    bool reference;                     //  its reference orbit is being computed
    uint64_t reference_done;            //  ... iterations of it so far
    uint64_t reference_limit;           //  ... of at most this many
} mf_status_facts_t;

//  The help overlay's text.
typedef struct {
    size_t count;                       //  lines
    char lines [MF_STATUS_HELP_LINES] [MF_STATUS_HELP_WIDTH];
} mf_status_help_t;

typedef struct _mf_status_t mf_status_t;

//  Creates the status, no note. NULL when out of memory.
mf_status_t *mf_status_new (void);

//  Destroys it; safe twice, nulls the pointer.
void mf_status_destroy (mf_status_t **self_p);

//  Sets the note, shown from now_ms for MF_STATUS_NOTE_MS; the next title
//  is due at once.
void mf_status_note (mf_status_t *self, int64_t now_ms, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
void mf_status_vnote (mf_status_t *self, int64_t now_ms, const char *format, va_list args)
    __attribute__ ((format (printf, 3, 0)));

//  Whether a new title is due at now_ms: always if force, else once
//  MF_STATUS_TITLE_MS passed since the last one (or a note came). A true
//  answer counts as the title being set.
bool mf_status_title_due (mf_status_t *self, int64_t now_ms, bool force);

//  Writes the status line ("center -0.5000 + 0.0000i  width 3.5 (zoom 1x)
//  iter 500  tiles 12/40 ...") at now_us into line, truncated to size.
void mf_status_line (const mf_status_t *self, const mf_status_facts_t *facts, int64_t now_us,
                     char *line, size_t size);

//  Writes the window title: "mandelfarm - " and the status line.
void mf_status_title (const mf_status_t *self, const mf_status_facts_t *facts, int64_t now_us,
                      char *title, size_t size);

//  Writes "tiles 12/510  85.2 Mpixel/s  2 workers" at now_us.
void mf_status_progress (const mf_status_facts_t *facts, int64_t now_us, char *line, size_t size);

//  Fills help with the help overlay's lines at now_us.
void mf_status_help (const mf_status_facts_t *facts, int64_t now_us, mf_status_help_t *help);

#endif
