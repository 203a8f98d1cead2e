/*  mf_region: see mf_region.h. */
#include "mf_region.h"
#include "mf_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
mf_view_mapping (const mf_view_t *view, mf_mapping_t *mapping)
{
    double d = view->width / (double) view->pixel_w;
    mapping->d = d;
    mapping->xmin = view->center_re - 0.5 * view->width;
    mapping->ymax = view->center_im + 0.5 * (d * (double) view->pixel_h);
}

int
mf_parse_size (const char *text, uint32_t *w, uint32_t *h)
{
    if (!text)
        return -1;
    const char *x = strchr (text, 'x');
    if (!x || x == text)
        return -1;
    char left [32];
    size_t len = (size_t) (x - text);
    if (len >= sizeof left)
        return -1;
    memcpy (left, text, len);
    left [len] = 0;
    long lw, lh;
    if (mf_parse_long (left, 1, MF_MAX_DIM, &lw)
    ||  mf_parse_long (x + 1, 1, MF_MAX_DIM, &lh))
        return -1;
    *w = (uint32_t) lw;
    *h = (uint32_t) lh;
    return 0;
}

int
mf_check_width (double width, uint32_t pixel_w)
{
    if (!isfinite (width) || width <= 0)
        return -1;
    double d = width / (double) pixel_w;
    if (!(d > 0) || !isnormal (d))
        return -1;
    return 0;
}

int
mf_view_from_region (const double region [4], uint32_t pixel_w, uint32_t pixel_h,
                     mf_view_t *view, char *err, size_t errlen)
{
    double xmin = region [0], xmax = region [1], ymin = region [2], ymax = region [3];
    if (!(xmax > xmin) || !(ymax > ymin)) {
        snprintf (err, errlen, "--region: XMIN must be below XMAX and YMIN below YMAX");
        return -1;
    }
    double width = xmax - xmin;
    if (mf_check_width (width, pixel_w)) {
        snprintf (err, errlen, "--region: the width XMAX-XMIN must be finite and positive");
        return -1;
    }
    double d = width / (double) pixel_w;
    double want = d * (double) pixel_h;
    double have = ymax - ymin;
    if (fabs (have - want) > 0.5 * d) {
        double mid = 0.5 * (ymin + ymax);
        snprintf (err, errlen,
                  "--region: its aspect ratio (%.6g wide, %.6g high) does not match "
                  "--size %ux%u (pixels are square); with XMIN..XMAX the height that "
                  "matches is %.17g, e.g. --region %.17g,%.17g,%.17g,%.17g",
                  width, have, pixel_w, pixel_h, want,
                  xmin, xmax, mid - 0.5 * want, mid + 0.5 * want);
        return -1;
    }
    view->center_re = 0.5 * (xmin + xmax);
    view->center_im = 0.5 * (ymin + ymax);
    view->width = width;
    view->pixel_w = pixel_w;
    view->pixel_h = pixel_h;
    return 0;
}

double
mf_view_zoom (const mf_view_t *view, double reference_width)
{
    return reference_width / view->width;
}
