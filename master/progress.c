/*  mf_progress: see progress.h. */
#include "progress.h"
#include "mf_util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define REDRAW_MS 100                   //  msecs between redraws
#define BAR_WIDTH 24                    //  characters of the bar itself

struct _mf_progress_t {
    bool enabled;                       //  drawing at all
    bool drawn;                         //  a line is on screen
    int64_t start;                      //  msecs, creation time
    int64_t last_draw;                  //  msecs, last redraw
};

mf_progress_t *
mf_progress_new (bool enabled)
{
    mf_progress_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->enabled = enabled && isatty (STDERR_FILENO);
    self->start = mf_clock_ms ();
    return self;
}

void
mf_progress_destroy (mf_progress_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        mf_progress_clear (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

void
mf_progress_update (mf_progress_t *self, uint32_t done, uint32_t total,
                    uint64_t pixels, uint32_t workers)
{
    if (!self || !self->enabled || total == 0)
        return;
    int64_t now = mf_clock_ms ();
    if (now - self->last_draw < REDRAW_MS && done < total)
        return;
    self->last_draw = now;
    double elapsed = (now - self->start) / 1000.0;
    double fraction = (double) done / total;
    char bar [BAR_WIDTH + 1];
    int filled = (int) (fraction * BAR_WIDTH);
    for (int index = 0; index < BAR_WIDTH; index++)
        bar [index] = index < filled? '#': '.';
    bar [BAR_WIDTH] = 0;
    char eta [32] = "ETA --";
    if (done > 0 && done < total)
        snprintf (eta, sizeof eta, "ETA %.1f s", elapsed * (total - done) / done);
    else
    if (done == total)
        snprintf (eta, sizeof eta, "%.1f s", elapsed);
    double rate = elapsed > 0? pixels / elapsed / 1e6: 0;
    fprintf (stderr, "\r[%s] %u/%u tiles %3d%%  %.1f Mpixel/s  %s  %u worker%s\033[K",
             bar, done, total, (int) (fraction * 100), rate, eta, workers,
             workers == 1? "": "s");
    fflush (stderr);
    self->drawn = true;
}

void
mf_progress_clear (mf_progress_t *self)
{
    if (self && self->drawn) {
        fprintf (stderr, "\r\033[K");
        fflush (stderr);
        self->drawn = false;
    }
}
