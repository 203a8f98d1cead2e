/*  mf_frame: the pixels the viewer shows, kept apart from SDL so that
    every rule about them is unit-tested.

    A frame is one view at the window's size. Each pixel has a mu, the
    worker that computed it, a level saying where its mu came from, and
    the RGB it is shown in:

        EMPTY        nothing yet (background color)
        PLACEHOLDER  the previous frame, moved and scaled to this view,
                     shown until this view's own pixels arrive
        PREVIEW      a coarse preview tile, each value covering a block
        FULL         this view's own tile: never overwritten

    A preview value never overwrites a FULL pixel, so a preview tile that
    comes back after full tiles cannot hide them, and the finished frame
    holds exactly the full job's mu, colored as the headless export
    colors it. Recoloring (palette, worker tint) works from the stored mu,
    with no recompute.
*/
#ifndef MF_VIEWER_FRAME_H
#define MF_VIEWER_FRAME_H

#include "mf_palette.h"
#include "mf_region.h"
#include "mf_tiles.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    MF_LEVEL_EMPTY = 0,
    MF_LEVEL_PLACEHOLDER = 1,
    MF_LEVEL_PREVIEW = 2,
    MF_LEVEL_FULL = 3
} mf_level_t;

#define MF_FRAME_BACKGROUND 24          //  gray level of empty pixels, 0..255

typedef struct _mf_frame_t mf_frame_t;

//  Creates an empty frame of w x h pixels colored with palette. Returns
//  NULL when out of memory (or when its size would not fit a size_t).
mf_frame_t *mf_frame_new (uint32_t w, uint32_t h, const mf_palette_t *palette);

//  Destroys it; safe twice, nulls the pointer.
void mf_frame_destroy (mf_frame_t **self_p);

uint32_t mf_frame_width (const mf_frame_t *self);
uint32_t mf_frame_height (const mf_frame_t *self);

//  Makes every pixel a placeholder taken from old (which showed
//  old_view) at the same point of the plane, or empty where old_view did
//  not reach; view is this frame's view. Nearest-pixel, no filtering.
//  The frame takes old's palette and tint, and copies its colors.
void mf_frame_warp (mf_frame_t *self, const mf_view_t *view,
                    const mf_frame_t *old, const mf_view_t *old_view);

//  Stores a full-resolution tile: rect (inside the frame) receives mu
//  (rect->w * rect->h values, row-major) computed by worker.
void mf_frame_put (mf_frame_t *self, const mf_rect_t *rect, const float *mu, int worker);

//  Stores a preview tile: rect is in the pixels of the preview (see
//  mf_view_preview with factor); each value fills its factor x factor
//  block, clipped to the frame, except pixels already FULL.
void mf_frame_put_preview (mf_frame_t *self, uint32_t factor, const mf_rect_t *rect,
                           const float *mu, int worker);

//  Gives every FULL pixel its value from mu (width * height values,
//  row-major; the others are not read) and recolors the frame: a deep
//  view's colors once its whole image fixes its color density.
void mf_frame_set_full_mu (mf_frame_t *self, const float *mu);

//  Changes the palette, or whether pixels are tinted by worker, and
//  recolors every pixel from its stored mu.
void mf_frame_set_palette (mf_frame_t *self, const mf_palette_t *palette);
void mf_frame_set_tint (mf_frame_t *self, bool tint);
bool mf_frame_tint (const mf_frame_t *self);

//  The RGB pixels (3 * width bytes per row, row 0 at the top), the mu
//  values (width floats per row) and one pixel's level.
const uint8_t *mf_frame_rgb (const mf_frame_t *self);
const float *mf_frame_mu (const mf_frame_t *self);
mf_level_t mf_frame_level (const mf_frame_t *self, uint32_t x, uint32_t y);

//  The smallest rectangle holding every pixel changed since the last
//  call. Returns 0 with *rect set, or -1 if nothing changed.
int mf_frame_take_dirty (mf_frame_t *self, mf_rect_t *rect);

//  The tint color of a worker slot: distinct hues for nearby slots.
void mf_frame_tint_color (int worker, uint8_t rgb [3]);

#endif
