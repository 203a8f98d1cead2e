/*  mf_palette: built-in palettes that color mu into 8-bit or 16-bit RGB.

    A palette is a cycle of color stops sampled into a lookup table once.
    An escaped pixel's position in the cycle is frac(scale * sqrt(mu)):
    the square root keeps both shallow views (mu of a few units) and deep
    ones (mu in the thousands) colorful. Interior pixels (mu < 0) take the
    palette's interior color, black for all built-ins.

    The 16-bit colors are the same samples of the cycle, interpolated
    between the stops at 16 bits rather than 8 (no more positions: each
    8-bit color is exactly its 16-bit one rounded), for prints that show
    the banding of 8 bits. For every pixel and channel,
        v8 = (v16 * 255 + 32767) / 65535     (v16 / 257, rounded)
    in unsigned integer arithmetic; a stop of 8-bit value s is 257 s at
    16 bits.
*/
#ifndef MF_PALETTE_H
#define MF_PALETTE_H

#include <stddef.h>
#include <stdint.h>

typedef struct _mf_palette_t mf_palette_t;

//  The built-in palette named name, or NULL. Palettes are static and
//  never freed.
const mf_palette_t *mf_palette_find (const char *name);

//  The built-in palette at index (index < mf_palette_count ()).
const mf_palette_t *mf_palette_at (size_t index);
size_t mf_palette_count (void);

//  The palette's name.
const char *mf_palette_name (const mf_palette_t *self);

//  The names of all built-in palettes, comma separated (static string).
const char *mf_palette_names (void);

//  Colors count mu values into 3 * count bytes of RGB.
void mf_palette_color (const mf_palette_t *self, const float *mu, size_t count,
                       uint8_t *rgb);

//  Colors count mu values into 3 * count 16-bit samples of RGB; each
//  rounds to the 8-bit sample mf_palette_color gives (see above).
void mf_palette_color16 (const mf_palette_t *self, const float *mu, size_t count,
                         uint16_t *rgb);

#endif
