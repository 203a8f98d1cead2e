/*  mf_spare: see spare.h. */
#include "spare.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct _mf_spare_t {
    mf_frame_t *kept;                   //  the frame kept, or NULL
    pthread_t thread;                   //  prepares a frame
    bool running;                       //  thread is to be joined
    uint32_t w, h;                      //  the size it prepares
    mf_frame_t *made;                   //  what it prepared; read only after the join
};

//  The preparing thread. Any palette will do: a warp gives the frame the
//  old frame's colors.
static void *
s_run (void *arg)
{
    mf_spare_t *self = arg;
    self->made = mf_frame_new (self->w, self->h, mf_palette_at (0));
    return NULL;
}

//  Collects the prepared frame, waiting for it. Returns it (the caller's),
//  or NULL.
static mf_frame_t *
s_collect (mf_spare_t *self)
{
    if (!self->running)
        return NULL;
    pthread_join (self->thread, NULL);
    self->running = false;
    mf_frame_t *frame = self->made;
    self->made = NULL;
    return frame;
}

mf_spare_t *
mf_spare_new (void)
{
    return calloc (1, sizeof (mf_spare_t));
}

void
mf_spare_destroy (mf_spare_t **self_p)
{
    assert (self_p);
    mf_spare_t *self = *self_p;
    if (!self)
        return;
    mf_frame_t *made = s_collect (self);
    mf_frame_destroy (&made);
    mf_frame_destroy (&self->kept);
    free (self);
    *self_p = NULL;
}

void
mf_spare_keep (mf_spare_t *self, mf_frame_t **frame_p)
{
    mf_frame_destroy (&self->kept);
    self->kept = *frame_p;
    *frame_p = NULL;
}

void
mf_spare_prepare (mf_spare_t *self, uint32_t w, uint32_t h)
{
    mf_frame_destroy (&self->kept);
    if (self->running)
        return;
    self->w = w;
    self->h = h;
    self->running = pthread_create (&self->thread, NULL, s_run, self) == 0;
}

mf_frame_t *
mf_spare_take (mf_spare_t *self, uint32_t w, uint32_t h, const mf_palette_t *palette)
{
    if (!self->kept)
        self->kept = s_collect (self);
    mf_frame_t *frame = self->kept;
    self->kept = NULL;
    if (frame && (mf_frame_width (frame) != w || mf_frame_height (frame) != h))
        mf_frame_destroy (&frame);
    if (!frame)
        frame = mf_frame_new (w, h, palette);
    return frame;
}
