/*  mf_poster: see poster.h. The window is a ring of bands: band b sits
    in slot b % window while front <= b < front + window. Each slot
    counts the tiles it has, and a byte per tile of the window says which
    (a duplicate, or a tile given twice, counts once).
*/
#include "poster.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _mf_poster_t {
    mf_poster_spec_t spec;
    uint32_t cols;                      //  tiles per band
    uint32_t bands;                     //  bands in all
    uint32_t front;                     //  the first band not written
    size_t band_bytes;                  //  bytes of one band's mu (a full one)
    uint8_t *memory;                    //  window * band_bytes
    uint32_t *have;                     //  per slot: tiles it has
    uint8_t *taken;                     //  per slot and column: that tile is in
    mf_output_t **outputs;              //  owned array of the caller's outputs
    size_t count;                       //  how many
};

uint32_t
mf_poster_window_for (uint32_t width, uint32_t edge, size_t value, size_t bytes)
{
    size_t band = (size_t) width * edge * value;
    size_t window = band? bytes / band: MF_POSTER_MAX_WINDOW;
    if (window < MF_POSTER_MIN_WINDOW)
        window = MF_POSTER_MIN_WINDOW;
    if (window > MF_POSTER_MAX_WINDOW)
        window = MF_POSTER_MAX_WINDOW;
    return (uint32_t) window;
}

mf_poster_t *
mf_poster_new (const mf_poster_spec_t *spec, mf_output_t **outputs, size_t count)
{
    assert (spec->window >= MF_POSTER_MIN_WINDOW && spec->window <= MF_POSTER_MAX_WINDOW);
    assert (spec->value == sizeof (float) || spec->value == sizeof (double));
    mf_poster_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->spec = *spec;
    self->cols = spec->width / spec->edge + (spec->width % spec->edge != 0);
    self->bands = spec->height / spec->edge + (spec->height % spec->edge != 0);
    self->band_bytes = (size_t) spec->width * spec->edge * spec->value;
    self->memory = malloc (spec->window * self->band_bytes);
    self->have = calloc (spec->window, sizeof *self->have);
    self->taken = calloc ((size_t) spec->window * self->cols, 1);
    self->outputs = malloc ((count? count: 1) * sizeof *outputs);
    self->count = count;
    if (self->outputs && count)
        memcpy (self->outputs, outputs, count * sizeof *outputs);
    if (!self->memory || !self->have || !self->taken || !self->outputs)
        mf_poster_destroy (&self);
    return self;
}

void
mf_poster_destroy (mf_poster_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        mf_poster_t *self = *self_p;
        free (self->memory);
        free (self->have);
        free (self->taken);
        free (self->outputs);
        free (self);
        *self_p = NULL;
    }
}

//  The band of a tile, and whether the window holds it.
static bool
s_held (const mf_poster_t *self, uint32_t tile, uint32_t *band)
{
    *band = tile / self->cols;
    return *band >= self->front && *band - self->front < self->spec.window;
}

bool
mf_poster_tile (mf_poster_t *self, uint32_t tile, const mf_rect_t *rect, const void *mu,
                size_t stride)
{
    uint32_t band;
    if (!s_held (self, tile, &band))
        return false;
    uint32_t slot = band % self->spec.window;
    uint8_t *taken = &self->taken [(size_t) slot * self->cols + tile % self->cols];
    size_t value = self->spec.value, width = self->spec.width;
    uint8_t *dst = self->memory + slot * self->band_bytes
                 + ((size_t) (rect->y - band * self->spec.edge) * width + rect->x) * value;
    for (uint32_t row = 0; row < rect->h; row++)
        memcpy (dst + row * width * value, (const uint8_t *) mu + row * stride * value,
                rect->w * value);
    if (!*taken) {
        *taken = 1;
        self->have [slot]++;
    }
    return true;
}

int
mf_poster_withdraw (mf_poster_t *self, uint32_t tile)
{
    uint32_t band;
    if (!s_held (self, tile, &band))
        return band < self->front? -1: 0;
    uint32_t slot = band % self->spec.window;
    uint8_t *taken = &self->taken [(size_t) slot * self->cols + tile % self->cols];
    if (*taken) {
        *taken = 0;
        self->have [slot]--;
    }
    return 0;
}

int
mf_poster_flush (mf_poster_t *self, char *err, size_t errlen)
{
    while (self->front < self->bands) {
        uint32_t slot = self->front % self->spec.window;
        if (self->have [slot] < self->cols)
            break;
        uint32_t top = self->front * self->spec.edge;
        uint32_t rows = self->spec.height - top < self->spec.edge
                      ? self->spec.height - top: self->spec.edge;
        const uint8_t *band = self->memory + slot * self->band_bytes;
        for (size_t index = 0; index < self->count; index++)
            if (mf_output_write_rows (self->outputs [index], band, rows, err, errlen))
                return -1;
        //  The slot serves the band after the window from now on.
        self->have [slot] = 0;
        memset (self->taken + (size_t) slot * self->cols, 0, self->cols);
        self->front++;
    }
    return 0;
}

uint32_t
mf_poster_horizon (const mf_poster_t *self)
{
    uint64_t end = (uint64_t) self->front + self->spec.window;
    if (end > self->bands)
        end = self->bands;
    return (uint32_t) (end * self->cols);
}

void
mf_poster_bands (const mf_poster_t *self, uint32_t *written, uint32_t *total)
{
    *written = self->front;
    *total = self->bands;
}

size_t
mf_poster_bytes (const mf_poster_t *self)
{
    return self->spec.window * self->band_bytes;
}
