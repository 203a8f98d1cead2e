/*  mf_deep: see mf_deep.h. MPFR does the exact parts (reading decimals,
    the pitch, the center at its precision, the shortest decimals that
    read back); the rules are computed from its results with IEEE
    operations only, so that they come out the same everywhere.
*/
#include "mf_deep.h"
#include "mf_mu.h"
#include "mf_util.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH_BITS 128                  //  precision the width is held at
#define CENTER_PROBE_BITS 64            //  precision the center is first read at
#define ZOOM_DIGITS 20                  //  significant digits of a width made from --zoom
#define MAX_EXPONENT 100000000L         //  |decimal exponent| of an input, at most

struct _mf_deep_view_t {
    uint32_t pixel_w, pixel_h;          //  image size, pixels
    char *re_text, *im_text;            //  the center's parts, as given
    char *width_text;                   //  the width as given, or made from --zoom
    mpfr_t re, im;                      //  the center at precision bits
    mpfr_t width;                       //  the width at WIDTH_BITS
    long precision;                     //  P, bits (see mf_deep.h)
    mf_fexp_t pitch;                    //  d = width / W, rounded to 53 bits
    bool deep;                          //  the shallow/deep rule's answer
    bool have_doubles;                  //  today's parse of center and width succeeds
    mf_view_t doubles;                  //  ... giving this view
    char *center_out, *width_out;       //  canonical texts (mf_deep_view_*_text)
};

//  Checks a decimal number's syntax: [+-]digits[.digits][(e|E)[+-]digits],
//  with digits on at least one side of the point. Returns 0 or -1.
static int
s_decimal_syntax (const char *text)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    size_t before = 0, after = 0;
    while (isdigit ((unsigned char) *p)) {
        p++;
        before++;
    }
    if (*p == '.') {
        p++;
        while (isdigit ((unsigned char) *p)) {
            p++;
            after++;
        }
    }
    if (before + after == 0)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        long exponent = 0;
        size_t digits = 0;
        while (isdigit ((unsigned char) *p)) {
            if (exponent <= MAX_EXPONENT)
                exponent = exponent * 10 + (*p - '0');
            p++;
            digits++;
        }
        if (digits == 0 || exponent > MAX_EXPONENT)
            return -1;
    }
    return *p? -1: 0;
}

//  Reads a decimal into x (at x's precision, rounded to nearest).
//  Returns 0, or -1 with a message naming option.
static int
s_read (mpfr_t x, const char *text, const char *option, const char *example,
        char *err, size_t errlen)
{
    size_t length = strlen (text);
    double value;
    if (length > 0 && length <= MF_DEEP_MAX_TEXT && s_decimal_syntax (text)
    &&  mf_parse_double (text, &value) == 0) {
        //  Not decimal, but a double today's options took (hex): as that.
        mpfr_set_d (x, value, MPFR_RNDN);
        return 0;
    }
    if (length == 0 || length > MF_DEEP_MAX_TEXT || s_decimal_syntax (text)) {
        snprintf (err, errlen, "%s: '%.40s%s' is not a decimal number; use digits with an "
                  "optional sign, point and exponent (up to %d characters), e.g. %s",
                  option, text, length > 40? "...": "", MF_DEEP_MAX_TEXT, example);
        return -1;
    }
    mpfr_strtofr (x, text, NULL, 10, MPFR_RNDN);
    return 0;
}

static char *
s_strdup (const char *text, size_t length)
{
    char *copy = malloc (length + 1);
    if (copy) {
        memcpy (copy, text, length);
        copy [length] = 0;
    }
    return copy;
}

//  E(x) = floor (log2 |x|) + 1 for x != 0, else lowest.
static long
s_binade (mpfr_t x)
{
    return mpfr_zero_p (x)? LONG_MIN / 4: (long) mpfr_get_exp (x);
}

//  text rounded to ZOOM_DIGITS significant digits, as "D.DDDe[+-]X";
//  the caller frees.
static char *
s_round_text (mpfr_t x, size_t digits)
{
    mpfr_exp_t exp10;
    char *mant = mpfr_get_str (NULL, &exp10, 10, digits, x, MPFR_RNDN);
    if (!mant)
        return NULL;
    const char *d = mant [0] == '-'? mant + 1: mant;
    size_t size = strlen (mant) + 32;
    char *text = malloc (size);
    if (text)
        snprintf (text, size, "%s%c.%se%ld", mant [0] == '-'? "-": "", d [0], d + 1,
                  (long) exp10 - 1);
    mpfr_free_str (mant);
    return text;
}

//  x as the decimal digits (sign, 0.DDD x 10^exp10) of n digits, formatted
//  plainly for modest exponents, with an exponent otherwise, trailing
//  zeros removed. The caller frees.
static char *
s_format (mpfr_t x, size_t n)
{
    if (mpfr_zero_p (x))
        return s_strdup ("0", 1);
    mpfr_exp_t exp10;
    char *mant = mpfr_get_str (NULL, &exp10, 10, n, x, MPFR_RNDN);
    if (!mant)
        return NULL;
    bool negative = mant [0] == '-';
    char *d = negative? mant + 1: mant;
    size_t len = strlen (d);
    while (len > 1 && d [len - 1] == '0')
        d [--len] = 0;
    long point = (long) exp10;          //  digits before the decimal point
    size_t size = len + 64 + (point > 0 && point < 7? 0: 8);
    char *text = malloc (size + 8);
    if (!text) {
        mpfr_free_str (mant);
        return NULL;
    }
    char *out = text;
    if (negative)
        *out++ = '-';
    if (point >= -4 && point <= 6) {
        //  Plain: 123.45, 0.00012345, 1200.
        if (point <= 0) {
            *out++ = '0';
            *out++ = '.';
            for (long z = 0; z < -point; z++)
                *out++ = '0';
            memcpy (out, d, len);
            out += len;
        }
        else {
            for (long index = 0; index < point; index++)
                *out++ = (size_t) index < len? d [index]: '0';
            if ((size_t) point < len) {
                *out++ = '.';
                memcpy (out, d + point, len - (size_t) point);
                out += len - (size_t) point;
            }
        }
        *out = 0;
    }
    else {
        *out++ = d [0];
        if (len > 1) {
            *out++ = '.';
            memcpy (out, d + 1, len - 1);
            out += len - 1;
        }
        snprintf (out, 32, "e%ld", point - 1);
    }
    mpfr_free_str (mant);
    return text;
}

//  The shortest decimal (searched by bisection on the number of digits)
//  that reads back to x at x's precision. The caller frees.
static char *
s_shortest (mpfr_t x)
{
    mpfr_prec_t prec = mpfr_get_prec (x);
    size_t high = mpfr_get_str_ndigits (10, prec), low = 1;
    mpfr_t back;
    mpfr_init2 (back, prec);
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        char *text = s_format (x, mid);
        bool same = false;
        if (text) {
            mpfr_strtofr (back, text, NULL, 10, MPFR_RNDN);
            same = mpfr_equal_p (back, x);
            free (text);
        }
        if (same)
            high = mid;
        else
            low = mid + 1;
    }
    mpfr_clear (back);
    return s_format (x, high);
}

bool
mf_deep_needs_deep (const mf_view_t *view)
{
    if (mf_check_width (view->width, view->pixel_w))
        return true;
    double d = view->width / (double) view->pixel_w;
    double m_re = fabs (view->center_re) + 0.5 * view->width;
    double m_im = fabs (view->center_im) + 0.5 * (d * (double) view->pixel_h);
    double m = m_re > m_im? m_re: m_im;
    //  d >= 2^-44 M, with M scaled instead (exact, and no underflow).
    return !(d * 0x1p44 >= m);
}

int
mf_deep_check_region (const mf_view_t *view, char *err, size_t errlen)
{
    if (!mf_deep_needs_deep (view))
        return 0;
    double d = view->width / (double) view->pixel_w;
    snprintf (err, errlen, "--region: too deep for doubles (a pixel of %.3g at coordinates "
              "near %.3g); give the view as --center RE,IM with --width W or --zoom Z, "
              "with as many digits as it needs", d,
              fabs (view->center_re) > fabs (view->center_im)? view->center_re: view->center_im);
    return -1;
}

static mf_deep_view_t *
s_new (const char *center, const char *width, const char *zoom, uint32_t pixel_w,
       uint32_t pixel_h, bool canonical, char *err, size_t errlen);

//  Sets the canonical texts: the shortest that read back to the same
//  view, checked by reading them back.
static int
s_canonical (mf_deep_view_t *self)
{
    char *re = NULL, *im = NULL, *width = NULL;
    if (!self->deep) {
        //  Today's path writes %.17g of its doubles: they read back exactly.
        re = malloc (32);
        im = malloc (32);
        width = malloc (32);
        if (re && im && width) {
            mf_format_exact (self->doubles.center_re, re, 32);
            mf_format_exact (self->doubles.center_im, im, 32);
            mf_format_exact (self->doubles.width, width, 32);
        }
    }
    else {
        re = s_shortest (self->re);
        im = s_shortest (self->im);
        width = s_shortest (self->width);
    }
    size_t size = (re? strlen (re): 0) + (im? strlen (im): 0) + 2;
    char *pair = re && im && width? malloc (size): NULL;
    if (pair)
        snprintf (pair, size, "%s,%s", re, im);
    bool same = false;
    if (pair) {
        char why [256];
        mf_deep_view_t *back = s_new (pair, width, NULL, self->pixel_w, self->pixel_h,
                                      false, why, sizeof why);
        //  A shallow view is its doubles; a deep one its P-bit center,
        //  its width, P and the pitch.
        if (back && !self->deep)
            same = !back->deep && back->doubles.center_re == self->doubles.center_re
                && back->doubles.center_im == self->doubles.center_im
                && back->doubles.width == self->doubles.width;
        else
        if (back)
            same = back->deep && back->precision == self->precision
                && mpfr_equal_p (back->re, self->re) && mpfr_equal_p (back->im, self->im)
                && mpfr_equal_p (back->width, self->width)
                && back->pitch.m == self->pitch.m && back->pitch.e == self->pitch.e;
        mf_deep_view_destroy (&back);
    }
    free (re);
    free (im);
    if (!same) {
        //  The input itself always reads back to itself.
        free (pair);
        free (width);
        size = strlen (self->re_text) + strlen (self->im_text) + 2;
        pair = malloc (size);
        width = s_strdup (self->width_text, strlen (self->width_text));
        if (!pair || !width) {
            free (pair);
            free (width);
            return -1;
        }
        snprintf (pair, size, "%s,%s", self->re_text, self->im_text);
    }
    self->center_out = pair;
    self->width_out = width;
    return 0;
}

static mf_deep_view_t *
s_new (const char *center, const char *width, const char *zoom, uint32_t pixel_w,
       uint32_t pixel_h, bool canonical, char *err, size_t errlen)
{
    if (pixel_w < 1 || pixel_w > MF_MAX_DIM || pixel_h < 1 || pixel_h > MF_MAX_DIM) {
        snprintf (err, errlen, "--size: W and H must be from 1 to %u", MF_MAX_DIM);
        return NULL;
    }
    if ((width == NULL) == (zoom == NULL)) {
        snprintf (err, errlen, "give the view's size as --width W or as --zoom Z, "
                  "exactly one of them");
        return NULL;
    }
    const char *comma = center? strchr (center, ','): NULL;
    if (!center || !comma || strchr (comma + 1, ',')) {
        snprintf (err, errlen, "--center: '%.40s' is not RE,IM; use two decimal numbers "
                  "separated by a comma, e.g. -0.75,0", center? center: "");
        return NULL;
    }
    mf_deep_view_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->pixel_w = pixel_w;
    self->pixel_h = pixel_h;
    mpfr_init2 (self->re, CENTER_PROBE_BITS);
    mpfr_init2 (self->im, CENTER_PROBE_BITS);
    mpfr_init2 (self->width, WIDTH_BITS);
    self->re_text = s_strdup (center, (size_t) (comma - center));
    self->im_text = s_strdup (comma + 1, strlen (comma + 1));
    if (!self->re_text || !self->im_text) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    if (s_read (self->re, self->re_text, "--center", "-0.75,0", err, errlen)
    ||  s_read (self->im, self->im_text, "--center", "-0.75,0", err, errlen))
        goto fail;
    if (fabs (mpfr_get_d (self->re, MPFR_RNDN)) > MF_DEEP_MAX_CENTER
    ||  fabs (mpfr_get_d (self->im, MPFR_RNDN)) > MF_DEEP_MAX_CENTER) {
        snprintf (err, errlen, "--center: '%.40s' is too far out; each part must be within "
                  "-1e300..1e300", center);
        goto fail;
    }
    if (zoom) {
        mpfr_t z;
        mpfr_init2 (z, WIDTH_BITS);
        if (s_read (z, zoom, "--zoom", "1e50", err, errlen)) {
            mpfr_clear (z);
            goto fail;
        }
        if (mpfr_sgn (z) <= 0) {
            snprintf (err, errlen, "--zoom: '%.40s' must be a decimal number above 0, "
                      "e.g. 1e50 (the image height spans 4/Z)", zoom);
            mpfr_clear (z);
            goto fail;
        }
        //  width = 4 W / (Z H), rounded to ZOOM_DIGITS digits: that text
        //  is the view's width from here on.
        mpfr_t w;
        mpfr_init2 (w, WIDTH_BITS);
        mpfr_ui_div (w, 4 * pixel_w, z, MPFR_RNDN);
        mpfr_div_ui (w, w, pixel_h, MPFR_RNDN);
        self->width_text = mpfr_number_p (w) && !mpfr_zero_p (w)? s_round_text (w, ZOOM_DIGITS): NULL;
        mpfr_clear (w);
        mpfr_clear (z);
        if (!self->width_text) {
            snprintf (err, errlen, "--zoom: '%.40s' is out of range; use a zoom from "
                      "1e-300 to 1e600000", zoom);
            goto fail;
        }
    }
    else
        self->width_text = s_strdup (width, strlen (width));
    if (!self->width_text) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    if (s_read (self->width, self->width_text, "--width", "3.5 or 2e-2608", err, errlen))
        goto fail;
    if (mpfr_sgn (self->width) <= 0 || !mpfr_number_p (self->width)
    ||  mpfr_cmp_d (self->width, MF_DEEP_MAX_CENTER) > 0) {
        snprintf (err, errlen, "--width: '%.40s' must be a decimal number above 0 and at "
                  "most 1e300, e.g. 3.5 or 2e-2608", self->width_text);
        goto fail;
    }

    //  The pitch, rounded once to 53 bits.
    mpfr_t d;
    mpfr_init2 (d, 53);
    mpfr_div_ui (d, self->width, pixel_w, MPFR_RNDN);
    long binade_d = s_binade (d);
    long e_d;
    double m_d = mpfr_get_d_2exp (&e_d, d, MPFR_RNDN);
    mpfr_clear (d);
    self->pitch = mf_fexp_norm (m_d, e_d);

    //  The precision: 64 bits below a pixel, from the center's binade.
    long binade_c = 2;
    if (s_binade (self->re) > binade_c)
        binade_c = s_binade (self->re);
    if (s_binade (self->im) > binade_c)
        binade_c = s_binade (self->im);
    long precision = MF_DEEP_MARGIN_BITS + binade_c - binade_d;
    if (precision < MF_DEEP_MARGIN_BITS)
        precision = MF_DEEP_MARGIN_BITS;
    if (precision > MF_DEEP_MAX_PRECISION) {
        snprintf (err, errlen, "--width: '%.40s' is too deep: the reference would need %ld "
                  "bits, at most %d are allowed (a depth of about 1e-600000)",
                  self->width_text, precision, MF_DEEP_MAX_PRECISION);
        goto fail;
    }
    self->precision = precision;
    mpfr_set_prec (self->re, precision);
    mpfr_set_prec (self->im, precision);
    mpfr_strtofr (self->re, self->re_text, NULL, 10, MPFR_RNDN);
    mpfr_strtofr (self->im, self->im_text, NULL, 10, MPFR_RNDN);

    //  Today's doubles, read as today's options read them.
    mf_view_t *v = &self->doubles;
    v->pixel_w = pixel_w;
    v->pixel_h = pixel_h;
    self->have_doubles = mf_parse_double (self->re_text, &v->center_re) == 0
                      && mf_parse_double (self->im_text, &v->center_im) == 0
                      && mf_parse_double (self->width_text, &v->width) == 0
                      && v->width > 0;
    self->deep = !self->have_doubles || mf_deep_needs_deep (v);
    if (canonical && s_canonical (self)) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    return self;

fail:
    mf_deep_view_destroy (&self);
    return NULL;
}

mf_deep_view_t *
mf_deep_view_new (const char *center, const char *width, const char *zoom, uint32_t pixel_w,
                  uint32_t pixel_h, char *err, size_t errlen)
{
    return s_new (center, width, zoom, pixel_w, pixel_h, true, err, errlen);
}

void
mf_deep_view_destroy (mf_deep_view_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mf_deep_view_t *self = *self_p;
    mpfr_clear (self->re);
    mpfr_clear (self->im);
    mpfr_clear (self->width);
    free (self->re_text);
    free (self->im_text);
    free (self->width_text);
    free (self->center_out);
    free (self->width_out);
    free (self);
    *self_p = NULL;
}

bool
mf_deep_view_is_deep (const mf_deep_view_t *self)
{
    return self->deep;
}

int
mf_deep_view_shallow (const mf_deep_view_t *self, mf_view_t *view)
{
    if (self->deep)
        return -1;
    *view = self->doubles;
    return 0;
}

long
mf_deep_view_precision (const mf_deep_view_t *self)
{
    return self->precision;
}

void
mf_deep_view_map (const mf_deep_view_t *self, mf_deep_map_t *map)
{
    map->pixel_w = self->pixel_w;
    map->pixel_h = self->pixel_h;
    map->pitch = self->pitch;
    map->offset = mf_fexpc_zero ();
    map->type = self->pitch.e >= MF_DEEP_DOUBLE_MIN_EXP? MF_DELTA_DOUBLE: MF_DELTA_FEXP;
}

void
mf_deep_view_center (const mf_deep_view_t *self, mpfr_t re, mpfr_t im)
{
    mpfr_set_prec (re, self->precision);
    mpfr_set_prec (im, self->precision);
    mpfr_set (re, self->re, MPFR_RNDN);
    mpfr_set (im, self->im, MPFR_RNDN);
}

void
mf_deep_view_width (const mf_deep_view_t *self, mpfr_t width)
{
    mpfr_set_prec (width, WIDTH_BITS);
    mpfr_set (width, self->width, MPFR_RNDN);
}

double
mf_deep_view_log10_zoom (const mf_deep_view_t *self)
{
    //  zoom = 4 / (d H): log2 by mf_log2, so the same everywhere.
    double log2_zoom = 2.0 - (mf_log2 (self->pitch.m) + (double) self->pitch.e)
                     - mf_log2 ((double) self->pixel_h);
    return log2_zoom * 0.30102999566398119521;     //  log10 (2)
}

const char *
mf_deep_view_center_text (const mf_deep_view_t *self)
{
    return self->center_out;
}

const char *
mf_deep_view_width_text (const mf_deep_view_t *self)
{
    return self->width_out;
}

mf_fexpc_t
mf_deep_map_dc (const mf_deep_map_t *map, uint32_t i, uint32_t j)
{
    mf_fexp_t h = mf_fexp_ldexp (map->pitch, -1);
    double kx = 2.0 * (double) i + 1.0 - (double) map->pixel_w;
    double ky = (double) map->pixel_h - 2.0 * (double) j - 1.0;
    mf_fexp_t re = mf_fexp_add (mf_fexp_mul (h, mf_fexp_from_double (kx)),
                                mf_fexpc_re (map->offset));
    mf_fexp_t im = mf_fexp_add (mf_fexp_mul (h, mf_fexp_from_double (ky)),
                                mf_fexpc_im (map->offset));
    return mf_fexpc_from (re, im);
}

mf_fexp_t
mf_deep_map_cmax (const mf_deep_map_t *map)
{
    //  Half diagonal: (d / 2) sqrt (W^2 + H^2); W, H <= 2^20, so the
    //  sum of squares is exact in a double.
    double w = map->pixel_w, h = map->pixel_h;
    mf_fexp_t diag = mf_fexp_sqrt (mf_fexp_from_double (w * w + h * h));
    mf_fexp_t half = mf_fexp_mul (mf_fexp_ldexp (map->pitch, -1), diag);
    mf_fexp_t sum = mf_fexp_add (half, mf_fexpc_abs (map->offset));
    //  Up by 2^-40: more than the few roundings above.
    return mf_fexp_mul (sum, mf_fexp_from_double (1.0 + 0x1p-40));
}
