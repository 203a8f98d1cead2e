/*  mf_place: see place.h. */
#include "place.h"
#include "view.h"
#include "mf_util.h"
#include "mf_vec.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _mf_place_t {
    mf_deep_view_t *deep;               //  the view, as the master reads it
    mf_view_t view;                     //  in doubles (see mf_place_view)
};

mf_place_t *
mf_place_new (const char *center, const char *width, uint32_t pixel_w, uint32_t pixel_h,
              char *err, size_t errlen)
{
    mf_place_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->deep = mf_deep_view_new (center, width, NULL, pixel_w, pixel_h, err, errlen);
    if (!self->deep) {
        mf_place_destroy (&self);
        return NULL;
    }
    if (mf_deep_view_shallow (self->deep, &self->view)) {
        //  For messages and the placeholder's scale only.
        const char *text = mf_deep_view_center_text (self->deep);
        self->view = (mf_view_t) {
            .center_re = strtod (text, NULL), .center_im = strtod (strchr (text, ',') + 1, NULL),
            .width = strtod (mf_deep_view_width_text (self->deep), NULL),
            .pixel_w = pixel_w, .pixel_h = pixel_h
        };
    }
    return self;
}

mf_place_t *
mf_place_from_view (const mf_view_t *view, char *err, size_t errlen)
{
    char re [32], im [32], center [72], width [32];
    mf_format_exact (view->center_re, re, sizeof re);
    mf_format_exact (view->center_im, im, sizeof im);
    mf_format_exact (view->width, width, sizeof width);
    snprintf (center, sizeof center, "%s,%s", re, im);
    return mf_place_new (center, width, view->pixel_w, view->pixel_h, err, errlen);
}

mf_place_t *
mf_place_copy (const mf_place_t *self)
{
    char err [256];
    return mf_place_resize (self, self->view.pixel_w, self->view.pixel_h, err, sizeof err);
}

void
mf_place_destroy (mf_place_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        mf_deep_view_destroy (&(*self_p)->deep);
        free (*self_p);
        *self_p = NULL;
    }
}

bool
mf_place_is_deep (const mf_place_t *self)
{
    return mf_deep_view_is_deep (self->deep);
}

const mf_deep_view_t *
mf_place_deep (const mf_place_t *self)
{
    return self->deep;
}

const mf_view_t *
mf_place_view (const mf_place_t *self)
{
    return &self->view;
}

const char *
mf_place_center_text (const mf_place_t *self)
{
    return mf_deep_view_center_text (self->deep);
}

const char *
mf_place_width_text (const mf_place_t *self)
{
    return mf_deep_view_width_text (self->deep);
}

double
mf_place_log10_zoom (const mf_place_t *self)
{
    return mf_deep_view_log10_zoom (self->deep);
}

bool
mf_place_same (const mf_place_t *a, const mf_place_t *b)
{
    return a->view.pixel_w == b->view.pixel_w && a->view.pixel_h == b->view.pixel_h
        && strcmp (mf_place_center_text (a), mf_place_center_text (b)) == 0
        && strcmp (mf_place_width_text (a), mf_place_width_text (b)) == 0;
}

mf_place_t *
mf_place_resize (const mf_place_t *self, uint32_t pixel_w, uint32_t pixel_h,
                 char *err, size_t errlen)
{
    //  The canonical texts: the view as anyone is shown it.
    return mf_place_new (mf_place_center_text (self), mf_place_width_text (self),
                         pixel_w, pixel_h, err, errlen);
}

// ---------------------------------------------------------------------
//  The moves in MPFR.

//  A place's center and width at the working precision, and its pitch.
typedef struct {
    mpfr_prec_t prec;                   //  Pw, bits
    mpfr_t re, im, width, d;            //  center, width, pitch = width / W
} s_work_t;

static void
s_work_init (s_work_t *work, const mf_place_t *place)
{
    work->prec = mf_deep_view_precision (place->deep) + MF_PLACE_EXTRA_BITS;
    mpfr_inits2 (work->prec, work->re, work->im, work->width, work->d, (mpfr_ptr) 0);
    if (mf_place_is_deep (place)) {
        mf_deep_view_center (place->deep, work->re, work->im);
        mpfr_prec_round (work->re, work->prec, MPFR_RNDN);     //  exact: more bits
        mpfr_prec_round (work->im, work->prec, MPFR_RNDN);
        mf_deep_view_width (place->deep, work->width);
        mpfr_prec_round (work->width, work->prec, MPFR_RNDN);
    }
    else {
        mpfr_set_d (work->re, place->view.center_re, MPFR_RNDN);
        mpfr_set_d (work->im, place->view.center_im, MPFR_RNDN);
        mpfr_set_d (work->width, place->view.width, MPFR_RNDN);
    }
    mpfr_div_ui (work->d, work->width, place->view.pixel_w, MPFR_RNDN);
}

static void
s_work_clear (s_work_t *work)
{
    mpfr_clears (work->re, work->im, work->width, work->d, (mpfr_ptr) 0);
}

//  The decimal that reads back to x at its precision; NULL when out of
//  memory. The caller frees it.
static char *
s_text (mpfr_srcptr x)
{
    mpfr_exp_t exp;
    char *digits = mpfr_get_str (NULL, &exp, 10, 0, x, MPFR_RNDN);
    if (!digits)
        return NULL;
    bool negative = digits [0] == '-';
    const char *body = digits + negative;
    size_t size = strlen (body) + 32;
    char *text = malloc (size);
    if (text)
        //  0.DIGITS x 10^exp
        snprintf (text, size, "%s0.%se%ld", negative? "-": "", body, (long) exp);
    mpfr_free_str (digits);
    return text;
}

//  The place of the center (re, im) and width at pixel_w x pixel_h.
static mf_place_t *
s_from_mpfr (mpfr_srcptr re, mpfr_srcptr im, mpfr_srcptr width, uint32_t pixel_w,
             uint32_t pixel_h, char *err, size_t errlen)
{
    char *re_text = s_text (re), *im_text = s_text (im), *width_text = s_text (width);
    char *center = NULL;
    mf_place_t *place = NULL;
    if (re_text && im_text && width_text) {
        size_t size = strlen (re_text) + strlen (im_text) + 2;
        center = malloc (size);
        if (center) {
            snprintf (center, size, "%s,%s", re_text, im_text);
            place = mf_place_new (center, width_text, pixel_w, pixel_h, err, errlen);
        }
    }
    if (!center)
        snprintf (err, errlen, "out of memory");
    free (center);
    free (re_text);
    free (im_text);
    free (width_text);
    return place;
}

//  The place of a shallow result of view.h's double rules.
static mf_place_t *
s_from_doubles (const mf_view_t *view, char *err, size_t errlen)
{
    return mf_place_from_view (view, err, errlen);
}

mf_place_t *
mf_place_zoom_at (const mf_place_t *self, int x, int y, double factor, char *err, size_t errlen)
{
    assert (factor > 0);
    mf_view_t out;
    if (!mf_place_is_deep (self) && mf_view_zoom_at (&self->view, x, y, factor, &out) == 0
    &&  !mf_deep_needs_deep (&out))
        return s_from_doubles (&out, err, errlen);
    const mf_view_t *v = &self->view;
    s_work_t w;
    s_work_init (&w, self);
    mpfr_t t, re, im, width, d2;
    mpfr_inits2 (w.prec, t, re, im, width, d2, (mpfr_ptr) 0);
    double px = (double) x + 0.5, py = (double) y + 0.5;
    //  re = xmin + px d, xmin = center_re - 0.5 width
    mpfr_mul_d (t, w.width, 0.5, MPFR_RNDN);
    mpfr_sub (re, w.re, t, MPFR_RNDN);
    mpfr_mul_d (t, w.d, px, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    //  im = ymax - py d, ymax = center_im + 0.5 (d H)
    mpfr_mul_ui (t, w.d, v->pixel_h, MPFR_RNDN);
    mpfr_mul_d (t, t, 0.5, MPFR_RNDN);
    mpfr_add (im, w.im, t, MPFR_RNDN);
    mpfr_mul_d (t, w.d, py, MPFR_RNDN);
    mpfr_sub (im, im, t, MPFR_RNDN);
    //  width' = width / f, d' = width' / W
    mpfr_div_d (width, w.width, factor, MPFR_RNDN);
    mpfr_div_ui (d2, width, v->pixel_w, MPFR_RNDN);
    //  center' = (re + (0.5 W - px) d', im - (0.5 H - py) d')
    mpfr_mul_d (t, d2, 0.5 * (double) v->pixel_w - px, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    mpfr_mul_d (t, d2, 0.5 * (double) v->pixel_h - py, MPFR_RNDN);
    mpfr_sub (im, im, t, MPFR_RNDN);
    mf_place_t *place = NULL;
    if (factor < 1 && mpfr_cmp_d (width, MF_VIEW_MAX_WIDTH) > 0)
        snprintf (err, errlen, "as wide as it goes");
    else
        place = s_from_mpfr (re, im, width, v->pixel_w, v->pixel_h, err, errlen);
    mpfr_clears (t, re, im, width, d2, (mpfr_ptr) 0);
    s_work_clear (&w);
    return place;
}

//  Clamps value to +-max (MF_VIEW_MAX_CENTER, |old|), as view.h does.
static void
s_clamp (mpfr_t value, mpfr_srcptr old)
{
    double limit = fmax (MF_VIEW_MAX_CENTER, fabs (mpfr_get_d (old, MPFR_RNDU)));
    if (mpfr_cmp_d (value, limit) > 0)
        mpfr_set_d (value, limit, MPFR_RNDN);
    else
    if (mpfr_cmp_d (value, -limit) < 0)
        mpfr_set_d (value, -limit, MPFR_RNDN);
}

mf_place_t *
mf_place_pan (const mf_place_t *self, int dx, int dy, char *err, size_t errlen)
{
    mf_view_t out;
    if (!mf_place_is_deep (self)) {
        mf_view_pan (&self->view, dx, dy, &out);
        if (!mf_deep_needs_deep (&out))
            return s_from_doubles (&out, err, errlen);
    }
    s_work_t w;
    s_work_init (&w, self);
    mpfr_t t, re, im;
    mpfr_inits2 (w.prec, t, re, im, (mpfr_ptr) 0);
    mpfr_mul_si (t, w.d, dx, MPFR_RNDN);
    mpfr_sub (re, w.re, t, MPFR_RNDN);
    mpfr_mul_si (t, w.d, dy, MPFR_RNDN);
    mpfr_add (im, w.im, t, MPFR_RNDN);
    s_clamp (re, w.re);
    s_clamp (im, w.im);
    mf_place_t *place = s_from_mpfr (re, im, w.width, self->view.pixel_w, self->view.pixel_h,
                                     err, errlen);
    mpfr_clears (t, re, im, (mpfr_ptr) 0);
    s_work_clear (&w);
    return place;
}

mf_place_t *
mf_place_box (const mf_place_t *self, int x0, int y0, int x1, int y1, char *err, size_t errlen)
{
    const mf_view_t *v = &self->view;
    int box_w = abs (x1 - x0), box_h = abs (y1 - y0);
    if (box_w < MF_VIEW_MIN_BOX && box_h < MF_VIEW_MIN_BOX) {
        snprintf (err, errlen, "box too small");
        return NULL;
    }
    mf_view_t out;
    if (!mf_place_is_deep (self) && mf_view_box (v, x0, y0, x1, y1, &out) == 0
    &&  !mf_deep_needs_deep (&out))
        return s_from_doubles (&out, err, errlen);
    s_work_t w;
    s_work_init (&w, self);
    mpfr_t t, re, im, width;
    mpfr_inits2 (w.prec, t, re, im, width, (mpfr_ptr) 0);
    double px = 0.5 * ((double) x0 + (double) x1) + 0.5;
    double py = 0.5 * ((double) y0 + (double) y1) + 0.5;
    //  center = (xmin + px d, ymax - py d)
    mpfr_mul_d (t, w.width, 0.5, MPFR_RNDN);
    mpfr_sub (re, w.re, t, MPFR_RNDN);
    mpfr_mul_d (t, w.d, px, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    mpfr_mul_ui (t, w.d, v->pixel_h, MPFR_RNDN);
    mpfr_mul_d (t, t, 0.5, MPFR_RNDN);
    mpfr_add (im, w.im, t, MPFR_RNDN);
    mpfr_mul_d (t, w.d, py, MPFR_RNDN);
    mpfr_sub (im, im, t, MPFR_RNDN);
    double span = fmax ((double) box_w, (double) box_h * (double) v->pixel_w / (double) v->pixel_h);
    mpfr_mul_d (width, w.d, span, MPFR_RNDN);
    mf_place_t *place = s_from_mpfr (re, im, width, v->pixel_w, v->pixel_h, err, errlen);
    mpfr_clears (t, re, im, width, (mpfr_ptr) 0);
    s_work_clear (&w);
    return place;
}

// ---------------------------------------------------------------------
//  Placeholder and preview.

int
mf_place_relative (const mf_place_t *a, const mf_place_t *b, mf_view_t *a_rel, mf_view_t *b_rel)
{
    s_work_t wa, wb;
    s_work_init (&wa, a);
    s_work_init (&wb, b);
    mpfr_prec_t prec = wa.prec > wb.prec? wa.prec: wb.prec;
    mpfr_t t;
    mpfr_init2 (t, prec);
    *a_rel = (mf_view_t) { 0, 0, 1.0, a->view.pixel_w, a->view.pixel_h };
    *b_rel = (mf_view_t) { 0, 0, 0, b->view.pixel_w, b->view.pixel_h };
    mpfr_sub (t, wb.re, wa.re, MPFR_RNDN);
    mpfr_div (t, t, wa.width, MPFR_RNDN);
    b_rel->center_re = mpfr_get_d (t, MPFR_RNDN);
    mpfr_sub (t, wb.im, wa.im, MPFR_RNDN);
    mpfr_div (t, t, wa.width, MPFR_RNDN);
    b_rel->center_im = mpfr_get_d (t, MPFR_RNDN);
    mpfr_div (t, wb.width, wa.width, MPFR_RNDN);
    b_rel->width = mpfr_get_d (t, MPFR_RNDN);
    mpfr_clear (t);
    s_work_clear (&wa);
    s_work_clear (&wb);
    bool ok = isfinite (b_rel->center_re) && isfinite (b_rel->center_im)
           && fabs (b_rel->center_re) < 1e6 && fabs (b_rel->center_im) < 1e6
           && isnormal (b_rel->width) && b_rel->width < 1e6
           && b_rel->width / b_rel->pixel_w > 1e-6 / (double) a->view.pixel_w;
    return ok? 0: -1;
}

//  x as floatexp (rounded once to 53 bits).
static mf_fexp_t
s_fexp (mpfr_srcptr x)
{
    if (mpfr_zero_p (x))
        return mf_fexp_zero ();
    long e;
    double m = mpfr_get_d_2exp (&e, x, MPFR_RNDN);
    return mf_fexp_norm (m, e);
}

void
mf_place_preview_map (const mf_place_t *self, uint32_t factor, mpfr_srcptr ref_re,
                      mpfr_srcptr ref_im, mf_deep_map_t *map)
{
    assert (factor >= 1);
    mf_deep_map_t full;
    mf_deep_view_map (self->deep, &full);
    uint32_t w = self->view.pixel_w, h = self->view.pixel_h;
    uint32_t pw = (w + factor - 1) / factor, ph = (h + factor - 1) / factor;
    //  The preview's center lies (factor pw - W, H - factor ph) half
    //  pitches from the place's.
    long prec = mf_deep_view_precision (self->deep) + MF_PLACE_EXTRA_BITS;
    mpfr_t re, im, t, half;
    mpfr_inits2 (prec, re, im, t, half, (mpfr_ptr) 0);
    mpfr_set_d (half, full.pitch.m, MPFR_RNDN);
    mpfr_mul_2si (half, half, (long) full.pitch.e - 1, MPFR_RNDN);
    mf_deep_view_center (self->deep, re, im);
    mpfr_prec_round (re, prec, MPFR_RNDN);
    mpfr_prec_round (im, prec, MPFR_RNDN);
    mpfr_sub (re, re, ref_re, MPFR_RNDN);
    mpfr_sub (im, im, ref_im, MPFR_RNDN);
    mpfr_mul_si (t, half, (long) factor * pw - (long) w, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    mpfr_mul_si (t, half, (long) h - (long) factor * ph, MPFR_RNDN);
    mpfr_add (im, im, t, MPFR_RNDN);
    mf_fexp_t ore = s_fexp (re), oim = s_fexp (im);
    mpfr_clears (re, im, t, half, (mpfr_ptr) 0);
    *map = full;
    map->pixel_w = pw;
    map->pixel_h = ph;
    map->pitch = mf_fexp_mul (full.pitch, mf_fexp_from_double ((double) factor));
    map->offset = mf_fexpc_from (ore, oim);
}

// ---------------------------------------------------------------------
//  The history.

struct _mf_places_t {
    mf_vec_t *places;                   //  mf_place_t *, oldest first
    size_t capacity;                    //  places held at most
};

mf_places_t *
mf_places_new (size_t capacity)
{
    assert (capacity > 0);
    mf_places_t *self = calloc (1, sizeof *self);
    if (self && !(self->places = mf_vec_new (sizeof (mf_place_t *)))) {
        free (self);
        return NULL;
    }
    if (self)
        self->capacity = capacity;
    return self;
}

void
mf_places_destroy (mf_places_t **self_p)
{
    assert (self_p);
    mf_places_t *self = *self_p;
    if (!self)
        return;
    mf_place_t *place;
    while (mf_vec_shift (self->places, &place) == 0)
        mf_place_destroy (&place);
    mf_vec_destroy (&self->places);
    free (self);
    *self_p = NULL;
}

void
mf_places_push (mf_places_t *self, mf_place_t **place_p)
{
    if (mf_vec_count (self->places) == self->capacity) {
        mf_place_t *oldest;
        mf_vec_shift (self->places, &oldest);
        mf_place_destroy (&oldest);
    }
    if (mf_vec_push (self->places, place_p))
        *place_p = NULL;
    mf_place_destroy (place_p);
}

mf_place_t *
mf_places_pop (mf_places_t *self)
{
    size_t count = mf_vec_count (self->places);
    if (count == 0)
        return NULL;
    mf_place_t *place = *(mf_place_t **) mf_vec_at (self->places, count - 1);
    mf_vec_remove (self->places, count - 1);
    return place;
}

size_t
mf_places_size (const mf_places_t *self)
{
    return mf_vec_count (self->places);
}
