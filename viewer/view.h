/*  mf_view navigation: the pure view math of the live viewer in doubles.
    Every way the viewer can move (wheel zoom at a point, drag, box zoom,
    resize, the coarse preview) is a function from one mf_view_t to
    another, computed in doubles here and handed unchanged to the engine,
    so that whatever shallow view the viewer shows, `--center` and
    `--width` printed with %.17g render the same pixels headless. Past
    doubles (mf_deep.h's rule) mf_place (place.h) runs the same formulas
    in MPFR.

    The wheel rule, one notch of factor f at window pixel (x, y) of a view
    (center, width) at W x H, with d = width / W and the mapping of
    mf_view_mapping (xmin = center_re - 0.5 * width, ymax = center_im +
    0.5 * (d * H)):

        re  = xmin + (x + 0.5) * d          the sample point of pixel (x, y)
        im  = ymax - (y + 0.5) * d
        width' = width / f                  f = 2 zooms in, f = 0.5 out
        d'  = width' / W
        center_re' = re + (0.5 * W - (x + 0.5)) * d'
        center_im' = im - (0.5 * H - (y + 0.5)) * d'

    so pixel (x, y) keeps its sample point (up to one rounding). Each
    operation is evaluated exactly in that order, every step rounded.
*/
#ifndef MF_VIEWER_VIEW_H
#define MF_VIEWER_VIEW_H

#include "mf_region.h"

#include <stdbool.h>
#include <stddef.h>

#define MF_VIEW_WHEEL_FACTOR 2.0        //  zoom per wheel notch
#define MF_VIEW_MAX_WIDTH 64.0          //  widest view, complex units (the set spans 4)
#define MF_VIEW_MIN_PITCH 0x1p-50       //  smallest pixel pitch, relative to max(1, |center|):
                                        //  deeper, doubles cannot tell pixels apart
#define MF_VIEW_MAX_CENTER 16.0         //  pans stop this far from 0, complex units
#define MF_VIEW_MIN_BOX 4               //  pixels: a smaller right-drag box is ignored
#define MF_VIEW_PREVIEW 8               //  the preview has 1/8 of the pixels each way

//  Zooms by factor (> 1 in, < 1 out) keeping the sample point of window
//  pixel (x, y) in place (the rule above). Returns 0, or -1 when the
//  result would be deeper than MF_VIEW_MIN_PITCH or wider than
//  MF_VIEW_MAX_WIDTH (out is then untouched).
int mf_view_zoom_at (const mf_view_t *in, int x, int y, double factor, mf_view_t *out);

//  Moves the view as if its image were dragged by (dx, dy) pixels (right
//  and down positive): center_re' = center_re - dx * d, center_im' =
//  center_im + dy * d, each coordinate clamped to MF_VIEW_MAX_CENTER (or
//  to where it already was, if farther). Always succeeds.
void mf_view_pan (const mf_view_t *in, int dx, int dy, mf_view_t *out);

//  Zooms into the box between window pixels (x0, y0) and (x1, y1), in any
//  order: the box's center becomes the view's center, and the view is the
//  smallest of the window's aspect that holds the box. Returns 0, or -1
//  when both sides are under MF_VIEW_MIN_BOX pixels or the result would be
//  too deep (out is then untouched).
int mf_view_box (const mf_view_t *in, int x0, int y0, int x1, int y1, mf_view_t *out);

//  The same center and width at another pixel size (a resized window).
//  Returns 0, or -1 when the width leaves no usable pixel pitch there.
int mf_view_resize (const mf_view_t *in, uint32_t pixel_w, uint32_t pixel_h, mf_view_t *out);

//  The same center and width at factor times the pixels each way (the
//  viewer's 4x save), with its pixel count in *pixels. Returns 0, or -1
//  (out untouched) when a side would exceed MF_VIEW_MAX_DIM, the pixels
//  max_pixels or a size_t, or the width would leave no usable pitch.
int mf_view_enlarge (const mf_view_t *in, uint32_t factor, size_t max_pixels,
                     mf_view_t *out, size_t *pixels);

//  The coarse preview of a view: ceil(W / factor) x ceil(H / factor)
//  pixels whose pitch is factor times the view's and whose top-left
//  corner is the view's, so preview pixel (i, j) covers the view's pixels
//  factor * i ... factor * i + factor - 1 (and likewise for j).
void mf_view_preview (const mf_view_t *in, uint32_t factor, mf_view_t *out);

#endif
