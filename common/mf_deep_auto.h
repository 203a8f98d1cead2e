/*  mf_deep_auto: the automatic choices of a deep view, as pure functions
    of the view, its reference orbit, or its finished image: --iter auto,
    and the color density.

    --iter auto. The master computes the reference to the cap

        C = min (2^32 - 1, max (10^6, 10^4 ceil (log10 zoom)))

    (it stops earlier where the reference escapes). If the reference
    escaped at E, maxiter = min (2^32 - 1, max (1000 + 100 ceil (log10
    zoom), 2 E)); else maxiter = C, and that orbit serves as it is (an
    orbit computed to C that escaped at E serves any maxiter >= E too).
    Why: the pixels of a deep view escape close to its center's escape
    time (measured at 160x90 on line, peanuts, e50, e113, flake, e318:
    every pixel between 0.6 E and 1.1 E), and the public locations'
    own limits are 1.1 to 2.8 E; twice E leaves room for the pixels that
    take longest without doubling the work of the interior ones. The
    floor keeps a fast-escaping center from starving a view with slow
    pixels elsewhere; the cap bounds the reference when the center is
    interior (then maxiter = C: the view is likely centered in a
    minibrot, whose surroundings need many iterations). The zoom comes
    from mf_deep_view_log10_zoom (deterministic).

    Color density. A deep view's mu span, say, 263,000 to 265,000; the
    palettes (mf_palette.h) color frac (scale sqrt (mu) + phase), which
    over that span barely moves. The image's escaped mu are mapped
    before coloring to

        mu' = 576 (mu - lo + 1) / (p99 - lo + 1)

    with lo their minimum and p99 their 99th percentile (the value of
    rank floor (0.99 (count - 1)) in increasing order): sqrt (mu') runs
    from about 0 to 24 between the image's first escape and its 99th
    percentile, which at the palettes' 0.18 to 0.25 cycles per unit is
    4 to 6 color cycles, what the default shallow view shows between
    mu = 1 and mu = 600. Interior pixels stay -1. It is a function of
    the whole image, so the master computes it once every tile is in:
    it cannot depend on the tile split.
*/
#ifndef MF_DEEP_AUTO_H
#define MF_DEEP_AUTO_H

#include "mf_deep.h"
#include "mf_orbit.h"

#include <stddef.h>
#include <stdint.h>

#define MF_AUTO_CAP_MIN 1000000u        //  iterations the reference is computed to, at least
#define MF_AUTO_CAP_PER_DECADE 10000u   //  ... and per decade of zoom
#define MF_AUTO_FLOOR 1000u             //  maxiter at least, plus
#define MF_AUTO_FLOOR_PER_DECADE 100u   //  ... this per decade of zoom
#define MF_DENSITY_SPAN 576.0           //  mu' of the 99th percentile (24 squared)

//  The iterations to compute a view's reference to for --iter auto.
uint32_t mf_deep_auto_cap (const mf_deep_view_t *view);

//  maxiter for --iter auto, from the view and its reference orbit
//  computed to mf_deep_auto_cap (view).
uint32_t mf_deep_auto_maxiter (const mf_deep_view_t *view, const mf_orbit_t *orbit);

typedef struct {
    double lo;                          //  the lowest escaped mu
    double scale;                       //  MF_DENSITY_SPAN / (p99 - lo + 1)
} mf_deep_density_t;

//  The density of an image's mu (count values, -1 for interior). Returns
//  0, or -1 when no pixel escaped (density is then the identity: lo 1,
//  scale 1) or memory ran out (the same).
int mf_deep_density (const double *mu, size_t count, mf_deep_density_t *density);

//  Reads count values of mu from value first on into out. Returns 0 or
//  -1.
typedef int (mf_deep_read_fn) (void *arg, size_t first, size_t count, double *out);

//  As mf_deep_density, for an image not held whole (a poster's): its
//  count values are read through read, slice by slice, in a few passes.
//  The same density as mf_deep_density of the same values. Returns 0, or
//  -1 when no pixel escaped, memory ran out or read failed (density is
//  then the identity).
int mf_deep_density_read (mf_deep_read_fn *read, void *arg, size_t count,
                          mf_deep_density_t *density);

//  mu' for the palette, as floats: escaped pixels mapped (see above),
//  interior ones -1.
void mf_deep_density_apply (const mf_deep_density_t *density, const double *mu, size_t count,
                            float *out);

#endif
