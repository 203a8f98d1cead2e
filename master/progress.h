/*  mf_progress: the one-line progress bar on stderr (only when stderr is a
    terminal) and the end-of-render summary line.
*/
#ifndef MF_PROGRESS_H
#define MF_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct _mf_progress_t mf_progress_t;

//  Creates a progress line; it draws only if enabled and stderr is a tty.
mf_progress_t *mf_progress_new (bool enabled);

//  Destroys it, clearing the line; safe twice, nulls the pointer.
void mf_progress_destroy (mf_progress_t **self_p);

//  Redraws at most ten times a second: tiles done/total, percent, Mpixel/s,
//  ETA, workers connected.
void mf_progress_update (mf_progress_t *self, uint32_t done, uint32_t total,
                         uint64_t pixels, uint32_t workers);

//  Clears the line (before other output).
void mf_progress_clear (mf_progress_t *self);

#endif
