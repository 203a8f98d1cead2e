/*  mf_region: the view (a rectangle of the complex plane at a pixel size)
    and how a pixel maps to its sample point c.

    A view is held as center, width and size; everything else is derived
    from those, the same way everywhere, so that the Center and Width
    written into a PNG reproduce the image exactly:

        d    = width / W                      (pixel pitch)
        xmin = center_re - 0.5 * width
        ymax = center_im + 0.5 * (d * H)
        c(i, j) = (xmin + (i + 0.5) * d,  ymax - (j + 0.5) * d)

    Row 0 is at the top. The products and sums are separately rounded
    (the build uses -ffp-contract=off), in every code path.
*/
#ifndef MF_REGION_H
#define MF_REGION_H

#include <stddef.h>
#include <stdint.h>

#define MF_MAX_DIM (1u << 20)     //  largest width or height, pixels (a poster's side;
                                  //  the wire's rectangles stay within it)
#define MF_VIEW_MAX_DIM 65536     //  largest width or height the viewer resizes to, pixels
#define MF_MAX_PIXELS (1u << 30)  //  largest width * height held in memory whole, pixels:
                                  //  4 GiB of mu (the viewer; the master streams beyond)

typedef struct {
    double center_re;             //  real part of the view's center
    double center_im;             //  imaginary part of the view's center
    double width;                 //  width of the view in the complex plane
    uint32_t pixel_w;             //  image width, pixels
    uint32_t pixel_h;             //  image height, pixels
} mf_view_t;

typedef struct {
    double xmin;                  //  real part of the left edge
    double ymax;                  //  imaginary part of the top edge
    double d;                     //  pixel pitch
} mf_mapping_t;

//  Derives the pixel mapping of a view (see the formulas above).
void mf_view_mapping (const mf_view_t *view, mf_mapping_t *mapping);

//  The sample point of pixel (i, j) under a mapping.
static inline double
mf_pixel_re (const mf_mapping_t *m, uint32_t i)
{
    return m->xmin + ((double) i + 0.5) * m->d;
}

static inline double
mf_pixel_im (const mf_mapping_t *m, uint32_t j)
{
    return m->ymax - ((double) j + 0.5) * m->d;
}

//  Parses "WxH" with 1 <= W, H <= MF_MAX_DIM. Returns 0 or -1.
int mf_parse_size (const char *text, uint32_t *w, uint32_t *h);

//  Checks that a width is usable: finite, positive, and leaving a nonzero
//  pixel pitch at pixel_w. Returns 0 or -1.
int mf_check_width (double width, uint32_t pixel_w);

//  Builds the view of the region [xmin, xmax] x [ymin, ymax] at the given
//  size. Returns 0, or -1 with a message in err when the region is empty or
//  its aspect ratio differs from the size's by more than half a pixel (the
//  message names the height that would match).
int mf_view_from_region (const double region [4], uint32_t pixel_w, uint32_t pixel_h,
                         mf_view_t *view, char *err, size_t errlen);

//  The zoom factor of a view relative to a reference width (3.5 by default).
double mf_view_zoom (const mf_view_t *view, double reference_width);

#endif
