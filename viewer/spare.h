/*  mf_spare: frames ready for the next view, so that a view change does
    not wait for memory.

    A large frame's first touch of its pages costs tens of milliseconds,
    which the event loop should not spend while the user navigates. The
    spare keeps the frame the last view change replaced (same size: the
    next view of the same window reuses it), and after a resize prepares
    one of the new size on a thread of its own.
*/
#ifndef MF_VIEWER_SPARE_H
#define MF_VIEWER_SPARE_H

#include "frame.h"

#include <stdint.h>

typedef struct _mf_spare_t mf_spare_t;

//  Creates an empty spare. NULL when out of memory.
mf_spare_t *mf_spare_new (void);

//  Waits for a frame being prepared and frees every frame held; safe
//  twice, nulls the pointer.
void mf_spare_destroy (mf_spare_t **self_p);

//  Keeps *frame_p (the spare takes it and nulls the pointer) for the next
//  mf_spare_take; a frame kept before is freed.
void mf_spare_keep (mf_spare_t *self, mf_frame_t **frame_p);

//  Frees the frame kept, and starts preparing a w x h one on a thread,
//  unless one is being prepared already.
void mf_spare_prepare (mf_spare_t *self, uint32_t w, uint32_t h);

//  A w x h frame for the next view (the caller's): the one kept, or else
//  the one prepared (waiting for it), if either has that size; otherwise
//  a new one colored with palette. Its pixels and palette are whatever
//  they were: the caller warps the old frame into it. NULL when out of
//  memory.
mf_frame_t *mf_spare_take (mf_spare_t *self, uint32_t w, uint32_t h,
                           const mf_palette_t *palette);

#endif
