/*  mf_progress: see progress.h. */
#include "progress.h"
#include "mf_log.h"
#include "mf_util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define REDRAW_MS 100                   //  msecs between redraws
#define BAR_WIDTH 24                    //  characters of the bar itself

struct _mf_progress_t {
    bool enabled;                       //  drawing at all: on a terminal
    bool lines;                         //  not on a terminal, not quiet: lines now and then
    int64_t last_line;                  //  msecs, the last reference line
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
    self->lines = enabled && !self->enabled;
    self->start = mf_clock_ms ();
    self->last_line = self->start;
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
mf_progress_movie (mf_progress_t *self, uint32_t done, uint32_t total, uint32_t written,
                   uint32_t tiles_done, uint32_t tiles_total, uint32_t workers)
{
    if (!self || !(self->enabled || self->lines) || total == 0)
        return;
    int64_t now = mf_clock_ms ();
    if (self->enabled? now - self->last_draw < REDRAW_MS && done < total
                     : now - self->last_line < MF_PROGRESS_LINE_MS)
        return;
    self->last_draw = now;
    self->last_line = now;
    double minutes = (now - self->start) / 60000.0;
    //  This run's frames, the ones in flight counted by their tiles.
    double made = written + (tiles_total? (double) tiles_done / tiles_total: 0);
    double rate = minutes > 0? made / minutes: 0;
    char eta [48] = "ETA --";
    if (done == total)
        snprintf (eta, sizeof eta, "%.1f min", minutes);
    else
    if (made > 0 && rate > 0) {
        double left = (total - done - (tiles_total? (double) tiles_done / tiles_total: 0)) / rate;
        snprintf (eta, sizeof eta, "ETA %.1f min", left > 0? left: 0);
    }
    if (self->enabled) {
        char bar [BAR_WIDTH + 1];
        int filled = (int) ((double) done / total * BAR_WIDTH);
        for (int index = 0; index < BAR_WIDTH; index++)
            bar [index] = index < filled? '#': '.';
        bar [BAR_WIDTH] = 0;
        fprintf (stderr, "\r[%s] %u/%u frames  %.1f frames/min  %s  %u worker%s\033[K", bar,
                 done, total, rate, eta, workers, workers == 1? "": "s");
        self->drawn = true;
    }
    else
        mf_say ("movie: %u of %u frames done, %.1f frames/min, %s, %u worker%s", done, total,
                rate, eta, workers, workers == 1? "": "s");
    fflush (stderr);
}

//  "ETA" for what is left of a run that did done of limit in seconds.
static void
s_eta (char *text, size_t size, uint64_t done, uint64_t limit, double seconds)
{
    if (done > 0 && done < limit)
        //  The reference may escape before its limit: at most this long.
        snprintf (text, size, "ETA <= %.0f s", seconds * (double) (limit - done) / (double) done);
    else
        snprintf (text, size, "ETA --");
}

void
mf_progress_reference (mf_progress_t *self, uint64_t done, uint64_t limit, long bits,
                       double seconds)
{
    if (!self || limit == 0)
        return;
    int64_t now = mf_clock_ms ();
    double fraction = done < limit? (double) done / (double) limit: 1;
    char eta [48];
    s_eta (eta, sizeof eta, done, limit, seconds);
    if (self->enabled) {
        if (now - self->last_draw < REDRAW_MS)
            return;
        self->last_draw = now;
        char bar [BAR_WIDTH + 1];
        int filled = (int) (fraction * BAR_WIDTH);
        for (int index = 0; index < BAR_WIDTH; index++)
            bar [index] = index < filled? '#': '.';
        bar [BAR_WIDTH] = 0;
        fprintf (stderr, "\r[%s] reference orbit %llu/%llu iterations %3d%%  %ld bits  %s"
                 "\033[K", bar, (unsigned long long) done, (unsigned long long) limit,
                 (int) (fraction * 100), bits, eta);
        fflush (stderr);
        self->drawn = true;
    }
    else
    if (self->lines && now - self->last_line >= MF_PROGRESS_LINE_MS) {
        self->last_line = now;
        mf_say ("reference orbit: %llu of at most %llu iterations (%d%%) at %ld bits in %.0f s, "
                "%s", (unsigned long long) done, (unsigned long long) limit,
                (int) (fraction * 100), bits, seconds, eta);
    }
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
