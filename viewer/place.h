/*  mf_place: the live viewer's view at any depth, and its navigation.

    A place is one view exactly as the master's command line gives it: it
    is made from a center text and a width text (mf_deep_view_new, the
    reading of --center and --width), so that whatever place the viewer
    shows, its texts render the same view headless, shallow or deep. A
    place never changes; every move makes a new one.

    The moves are view.h's rules (wheel at a pixel, drag, box, resize).
    While the place and the result are both shallow (mf_deep.h's rule),
    they run in doubles exactly as view.h says, so every shallow view is
    where it always was. Otherwise they run in MPFR at the working
    precision

        Pw = P + 64 bits,   P = mf_deep_view_precision of the place moved

    the same formulas in the same order, each step rounded to Pw (the
    center and width of a shallow place are its doubles, of a deep one
    its P-bit center and its width as mf_deep holds it). The results are
    written as decimals that read back to the same Pw-bit numbers
    (mpfr_get_str with n = 0), and those two texts are the new place:
    the master rounds them to the new view's own precision when it reads
    them, and so does the viewer. A move deeper than mf_deep allows, or a
    width above MF_VIEW_MAX_WIDTH, is refused; so is a pan beyond
    MF_VIEW_MAX_CENTER (clamped, as view.h clamps).

    Texts for people (mf_place_center_text, mf_place_width_text) are the
    canonical ones of mf_deep.h: the shortest that read back to the same
    view; what a PNG's Center and Width carry.
*/
#ifndef MF_VIEWER_PLACE_H
#define MF_VIEWER_PLACE_H

#include "mf_deep.h"
#include "mf_region.h"

#include <mpfr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_PLACE_EXTRA_BITS 64          //  bits of the moves beyond the view's precision

typedef struct _mf_place_t mf_place_t;

//  The place of center "RE,IM" and width at pixel_w x pixel_h. Returns it
//  (the caller destroys it), or NULL with one line in err.
mf_place_t *mf_place_new (const char *center, const char *width, uint32_t pixel_w,
                          uint32_t pixel_h, char *err, size_t errlen);

//  The place of a shallow view of doubles (its exact %.17g texts).
//  Returns NULL with one line in err when it is not one.
mf_place_t *mf_place_from_view (const mf_view_t *view, char *err, size_t errlen);

//  Another place with the same texts and size; NULL when out of memory.
mf_place_t *mf_place_copy (const mf_place_t *self);

//  Destroys it; safe twice, nulls the pointer.
void mf_place_destroy (mf_place_t **self_p);

//  true when the view needs perturbation (mf_deep_view_is_deep).
bool mf_place_is_deep (const mf_place_t *self);

//  The view as mf_deep holds it (the place's; valid while it lives).
const mf_deep_view_t *mf_place_deep (const mf_place_t *self);

//  The view in doubles: exact for a shallow place; for a deep one its
//  size and its center and width rounded to doubles (messages only).
const mf_view_t *mf_place_view (const mf_place_t *self);

//  The canonical texts (owned by the place).
const char *mf_place_center_text (const mf_place_t *self);
const char *mf_place_width_text (const mf_place_t *self);

//  log10 of its zoom (4 / its height in the plane).
double mf_place_log10_zoom (const mf_place_t *self);

//  Whether two places are the same view at the same size.
bool mf_place_same (const mf_place_t *a, const mf_place_t *b);

//  The wheel rule (view.h) at window pixel (x, y), factor > 1 in, < 1
//  out. Returns the new place, or NULL (err says why: too deep, too
//  wide, out of memory).
mf_place_t *mf_place_zoom_at (const mf_place_t *self, int x, int y, double factor,
                              char *err, size_t errlen);

//  The drag rule (view.h): the image moved by (dx, dy) pixels. Returns
//  the new place, or NULL when out of memory.
mf_place_t *mf_place_pan (const mf_place_t *self, int dx, int dy, char *err, size_t errlen);

//  The box rule (view.h). Returns the new place, or NULL (a box too
//  small, too deep, out of memory; err says which).
mf_place_t *mf_place_box (const mf_place_t *self, int x0, int y0, int x1, int y1,
                          char *err, size_t errlen);

//  The same canonical texts at another size. Returns the new place or NULL.
mf_place_t *mf_place_resize (const mf_place_t *self, uint32_t pixel_w, uint32_t pixel_h,
                             char *err, size_t errlen);

//  Two views of doubles, both relative to a's center and width (a is
//  centered at 0 with width 1; b where it lies from there), for
//  mf_frame_warp at any depth. Returns 0, or -1 when b is too far from a
//  for doubles to say where (no placeholder then).
int mf_place_relative (const mf_place_t *a, const mf_place_t *b, mf_view_t *a_rel,
                       mf_view_t *b_rel);

//  The map of the coarse preview of a deep place (mf_view_preview's
//  pixels: ceil (W / factor) x ceil (H / factor), the top-left corner
//  the place's), with its deltas taken from the reference point
//  (ref_re, ref_im): the place's own center gives an offset of whole
//  half pitches only.
void mf_place_preview_map (const mf_place_t *self, uint32_t factor, mpfr_srcptr ref_re,
                           mpfr_srcptr ref_im, mf_deep_map_t *map);

//  A bounded stack of places, for going back. Pushing onto a full one
//  destroys the oldest.
typedef struct _mf_places_t mf_places_t;

//  Creates a stack of up to capacity places (> 0); NULL when out of memory.
mf_places_t *mf_places_new (size_t capacity);

//  Destroys it and every place it holds; safe twice, nulls the pointer.
void mf_places_destroy (mf_places_t **self_p);

//  Takes a place (*place_p is nulled; out of memory, the place is
//  destroyed).
void mf_places_push (mf_places_t *self, mf_place_t **place_p);

//  The last place pushed (the caller's now), or NULL when empty.
mf_place_t *mf_places_pop (mf_places_t *self);

//  Places held.
size_t mf_places_size (const mf_places_t *self);

#endif
