/*  mf_progress: the one-line progress bar on stderr (only when stderr is a
    terminal) and the end-of-render summary line; before a deep render,
    the progress of its reference orbit (a bar on a terminal, else a line
    every MF_PROGRESS_LINE_MS).
*/
#ifndef MF_PROGRESS_H
#define MF_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define MF_PROGRESS_LINE_MS 5000       //  msecs between two reference lines off a terminal

typedef struct _mf_progress_t mf_progress_t;

//  Creates a progress line; it draws only if enabled (not --quiet), and
//  the render's bar only when stderr is a tty.
mf_progress_t *mf_progress_new (bool enabled);

//  Destroys it, clearing the line; safe twice, nulls the pointer.
void mf_progress_destroy (mf_progress_t **self_p);

//  Redraws at most ten times a second: tiles done/total, percent, Mpixel/s,
//  ETA, workers connected.
void mf_progress_update (mf_progress_t *self, uint32_t done, uint32_t total,
                         uint64_t pixels, uint32_t workers);

//  The reference orbit's progress: done of at most limit iterations at
//  bits of precision, after seconds. On a terminal a bar (redrawn at
//  most ten times a second) with an ETA; elsewhere one line every
//  MF_PROGRESS_LINE_MS, the first once it has run that long.
void mf_progress_reference (mf_progress_t *self, uint64_t done, uint64_t limit, long bits,
                            double seconds);

//  A movie's progress: frames done (written now or kept from before) of
//  total, written of them in this run, the tiles done and in all of
//  the frames in flight. Frames per minute and the ETA count this run's
//  frames only (kept ones cost nothing). On a terminal a bar (redrawn
//  at most ten times a second); elsewhere one line every
//  MF_PROGRESS_LINE_MS.
void mf_progress_movie (mf_progress_t *self, uint32_t done, uint32_t total, uint32_t written,
                        uint32_t tiles_done, uint32_t tiles_total, uint32_t workers);

//  Clears the line (before other output).
void mf_progress_clear (mf_progress_t *self);

#endif
