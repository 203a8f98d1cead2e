/*  mf_deep: a view of any depth, given as text and held exactly (MPFR),
    and the rules that follow from it alone: whether it stays on the
    double path of mf_region, the precision of its reference orbit, the
    number type of its deltas, and how a pixel maps to its delta c.

    Input. --center RE,IM and --width W are decimal numbers with any
    number of digits and any exponent ([+-]digits[.digits][e[+-]digits],
    up to MF_DEEP_MAX_TEXT characters); --zoom Z instead of --width says
    that the image height spans 4/Z (Kalles Fraktaler's convention), and
    becomes the width 4 W / (Z H) rounded to 20 significant digits, which
    is then the view's width, exactly as if given so.

    Shallow or deep (mf_deep_needs_deep). A view stays on today's path,
    with today's bytes, when its center and width read as doubles (as
    mf_parse_double reads them) and its pixel pitch d = width / W, in
    double, is at least 2^-44 times the largest |coordinate| of the view
    M = max (|re| + width/2, |im| + d H/2): a pitch of at least 256 ulps
    of every coordinate, so today's sample points are within 1/512 pixel
    of the exact ones. Below that today's path places pixels off by a
    growing share of their size, blocky from 2^-52 on: the view goes deep.
    The rule reads the view only, never the machine.

    Precision (bits) of a deep view: P = 64 + max (2, E(re), E(im)) - E(d),
    where E(x) = floor (log2 |x|) + 1 (of the center parts rounded to 64
    bits) and d the pitch: 64 bits below a pixel, whatever the digits
    given. The center is rounded to P bits; digits beyond do not move any
    pixel by more than 2^-63 of its size.

    Delta type: double while d >= 2^-960 (about 1e-289), floatexp beyond
    (MF_DEEP_DOUBLE_MIN_EXP): squares of deltas may underflow in doubles
    long before, which the kernels' tests tolerate (mf_perturb.h); 60
    binades from the end of the normal range keep every delta and every
    product of one with a reference value normal. The brief measured
    double deltas right at a pitch of 5e-303 and wrong at 4e-321.

    Pixel delta (mf_deep_map_dc): pixel (i, j), row 0 at the top, of a
    W x H view with pitch d and reference offset o = center - reference:

        dc = ((2i + 1 - W) h + o_re,  (H - 2j - 1) h + o_im),  h = d / 2

    in floatexp (mf_fexp.h): each product rounded once (the integers are
    exact), each sum rounded once, then both parts put on one exponent.
    With the reference at the center, o = 0 and dc is k h rounded once.
    The double path takes the same values as doubles (exact there).

    Output. mf_deep_view_center_text and mf_deep_view_width_text give the
    shortest decimals that read back to the same P-bit center, the same
    width and the same P (checked by reading them back; the input text
    itself where none shorter does): what the PNG's Center and Width
    carry, so that the same bytes can be rendered again.
*/
#ifndef MF_DEEP_H
#define MF_DEEP_H

#include "mf_fexp.h"
#include "mf_region.h"

#include <mpfr.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_DEEP_MAX_TEXT 200000         //  characters of one number, at most
#define MF_DEEP_SHALLOW_EXP (-44)       //  shallow while d >= 2^this * M
#define MF_DEEP_DOUBLE_MIN_EXP (-960)   //  double deltas while d >= 2^this
#define MF_DEEP_MAX_PRECISION 2000000   //  bits of the reference, at most (depth 1e-600000)
#define MF_DEEP_MARGIN_BITS 64          //  bits of the reference below a pixel
#define MF_DEEP_MAX_CENTER 1e300        //  |re| and |im| of a center, at most

typedef enum {
    MF_DELTA_DOUBLE = 0,                //  double deltas and reference
    MF_DELTA_FEXP = 1                   //  floatexp deltas and reference
} mf_delta_t;

//  What a kernel needs of a deep view: plain values, no MPFR, the same
//  on every worker.
typedef struct {
    uint32_t pixel_w;                   //  image width, pixels
    uint32_t pixel_h;                   //  image height, pixels
    mf_fexp_t pitch;                    //  d, the pixel pitch
    mf_fexpc_t offset;                  //  the view's center minus the reference point
    mf_delta_t type;                    //  the deltas' number type
} mf_deep_map_t;

typedef struct _mf_deep_view_t mf_deep_view_t;

//  Reads a view: center "RE,IM", and width or zoom (exactly one of them
//  not NULL), at pixel_w x pixel_h (1..MF_MAX_DIM). Returns the view, or
//  NULL with one line in err naming the option, what is wrong and what
//  is allowed. The caller destroys it.
mf_deep_view_t *mf_deep_view_new (const char *center, const char *width, const char *zoom,
                                  uint32_t pixel_w, uint32_t pixel_h, char *err, size_t errlen);

//  Destroys a view; safe twice, nulls the pointer.
void mf_deep_view_destroy (mf_deep_view_t **self_p);

//  true when the view needs perturbation (the rule above).
bool mf_deep_view_is_deep (const mf_deep_view_t *self);

//  The view as today's path reads it (doubles). Returns 0, or -1 when
//  the view is deep (view is then left untouched).
int mf_deep_view_shallow (const mf_deep_view_t *self, mf_view_t *view);

//  The precision of the reference orbit, bits (the rule above).
long mf_deep_view_precision (const mf_deep_view_t *self);

//  The map the kernels need (reference at the view's center).
void mf_deep_view_map (const mf_deep_view_t *self, mf_deep_map_t *map);

//  The center, rounded to the view's precision: sets re and im (their
//  precision becomes the view's).
void mf_deep_view_center (const mf_deep_view_t *self, mpfr_t re, mpfr_t im);

//  The width as the view holds it (what its width text reads to): sets
//  width, whose precision becomes the view's width precision.
void mf_deep_view_width (const mf_deep_view_t *self, mpfr_t width);

//  log10 of the zoom (4 / the height in the plane), for messages and
//  --iter auto.
double mf_deep_view_log10_zoom (const mf_deep_view_t *self);

//  The canonical "RE,IM" and width texts (see above); owned by the view.
const char *mf_deep_view_center_text (const mf_deep_view_t *self);
const char *mf_deep_view_width_text (const mf_deep_view_t *self);

//  The rule on a view of doubles: true when its pitch is below 2^-44
//  times its largest coordinate (or not a normal double at all). A
//  --region that it says is deep cannot be given as doubles.
bool mf_deep_needs_deep (const mf_view_t *view);

//  For --region, which only takes doubles: returns 0 when view is
//  shallow, or -1 with one line in err saying why it cannot be given so
//  and how to give it instead.
int mf_deep_check_region (const mf_view_t *view, char *err, size_t errlen);

//  The delta c of pixel (i, j) (the formula above).
mf_fexpc_t mf_deep_map_dc (const mf_deep_map_t *map, uint32_t i, uint32_t j);

//  An upper bound of |dc| over the whole image, |o| + the half diagonal
//  (rounded up by a few ulps): the |c|max of BLA.
mf_fexp_t mf_deep_map_cmax (const mf_deep_map_t *map);

#endif
