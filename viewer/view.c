/*  mf_view navigation: see view.h. */
#include "view.h"
#include "mf_util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

//  Whether a pixel pitch is still resolved by doubles near center.
static bool
s_pitch_ok (double center_re, double center_im, double d)
{
    double scale = fmax (1.0, fmax (fabs (center_re), fabs (center_im)));
    return isnormal (d) && d >= MF_VIEW_MIN_PITCH * scale;
}

//  Whether a zoom from width to new_width stays within the limits. Only
//  the limit in the direction of travel counts, so a start view beyond
//  either one can still be left the other way.
static bool
s_zoom_ok (const mf_view_t *in, double center_re, double center_im, double new_width)
{
    if (!isfinite (new_width) || !(new_width > 0)
    ||  !isfinite (center_re) || !isfinite (center_im))
        return false;
    if (new_width < in->width)
        return s_pitch_ok (center_re, center_im, new_width / (double) in->pixel_w);
    if (new_width > in->width)
        return new_width <= MF_VIEW_MAX_WIDTH;
    return true;
}

int
mf_view_zoom_at (const mf_view_t *in, int x, int y, double factor, mf_view_t *out)
{
    assert (factor > 0);
    mf_mapping_t m;
    mf_view_mapping (in, &m);
    double px = (double) x + 0.5, py = (double) y + 0.5;
    double re = m.xmin + px * m.d;
    double im = m.ymax - py * m.d;
    double width = in->width / factor;
    double d = width / (double) in->pixel_w;
    double center_re = re + (0.5 * (double) in->pixel_w - px) * d;
    double center_im = im - (0.5 * (double) in->pixel_h - py) * d;
    if (!s_zoom_ok (in, center_re, center_im, width))
        return -1;
    *out = *in;
    out->center_re = center_re;
    out->center_im = center_im;
    out->width = width;
    return 0;
}

static double
s_clamp (double value, double old)
{
    double limit = fmax (MF_VIEW_MAX_CENTER, fabs (old));
    return value > limit? limit: value < -limit? -limit: value;
}

void
mf_view_pan (const mf_view_t *in, int dx, int dy, mf_view_t *out)
{
    double d = in->width / (double) in->pixel_w;
    double center_re = in->center_re - (double) dx * d;
    double center_im = in->center_im + (double) dy * d;
    *out = *in;
    out->center_re = s_clamp (center_re, in->center_re);
    out->center_im = s_clamp (center_im, in->center_im);
}

int
mf_view_box (const mf_view_t *in, int x0, int y0, int x1, int y1, mf_view_t *out)
{
    int box_w = abs (x1 - x0), box_h = abs (y1 - y0);
    if (box_w < MF_VIEW_MIN_BOX && box_h < MF_VIEW_MIN_BOX)
        return -1;
    mf_mapping_t m;
    mf_view_mapping (in, &m);
    //  The pointer at pixel x stands for that pixel's center, x + 0.5.
    double px = 0.5 * ((double) x0 + (double) x1) + 0.5;
    double py = 0.5 * ((double) y0 + (double) y1) + 0.5;
    double center_re = m.xmin + px * m.d;
    double center_im = m.ymax - py * m.d;
    //  Box width in window pixels, or its height widened to the window's aspect.
    double span = fmax ((double) box_w,
                        (double) box_h * (double) in->pixel_w / (double) in->pixel_h);
    double width = span * m.d;
    if (!s_zoom_ok (in, center_re, center_im, width))
        return -1;
    *out = *in;
    out->center_re = center_re;
    out->center_im = center_im;
    out->width = width;
    return 0;
}

int
mf_view_resize (const mf_view_t *in, uint32_t pixel_w, uint32_t pixel_h, mf_view_t *out)
{
    if (pixel_w < 1 || pixel_h < 1 || pixel_w > MF_VIEW_MAX_DIM || pixel_h > MF_VIEW_MAX_DIM
    ||  mf_check_width (in->width, pixel_w))
        return -1;
    *out = *in;
    out->pixel_w = pixel_w;
    out->pixel_h = pixel_h;
    return 0;
}

int
mf_view_enlarge (const mf_view_t *in, uint32_t factor, size_t max_pixels,
                 mf_view_t *out, size_t *pixels)
{
    size_t w, h, count;
    if (mf_mul_size (in->pixel_w, factor, &w) || mf_mul_size (in->pixel_h, factor, &h)
    ||  w > MF_VIEW_MAX_DIM || h > MF_VIEW_MAX_DIM
    ||  mf_mul_size (w, h, &count) || count > max_pixels
    ||  mf_view_resize (in, (uint32_t) w, (uint32_t) h, out))
        return -1;
    *pixels = count;
    return 0;
}

void
mf_view_preview (const mf_view_t *in, uint32_t factor, mf_view_t *out)
{
    assert (factor >= 1);
    mf_mapping_t m;
    mf_view_mapping (in, &m);
    uint32_t pw = (in->pixel_w + factor - 1) / factor;
    uint32_t ph = (in->pixel_h + factor - 1) / factor;
    double dp = m.d * (double) factor;
    out->pixel_w = pw;
    out->pixel_h = ph;
    out->width = dp * (double) pw;
    out->center_re = m.xmin + 0.5 * out->width;
    out->center_im = m.ymax - 0.5 * (dp * (double) ph);
}
