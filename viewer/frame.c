/*  mf_frame: see frame.h. */
#include "frame.h"
#include "mf_util.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_MAX 65535                //  slots above share the last tint

struct _mf_frame_t {
    uint32_t w, h;                      //  size, pixels
    float *mu;                          //  w * h values
    uint16_t *worker;                   //  w * h worker slots
    uint8_t *level;                     //  w * h mf_level_t
    uint8_t *rgb;                       //  3 * w * h bytes
    const mf_palette_t *palette;        //  colors
    bool tint;                          //  blend in the worker's color
    bool dirty;                         //  something changed since take_dirty
    uint32_t dx0, dy0, dx1, dy1;        //  changed box, [x0, x1) x [y0, y1)
};

mf_frame_t *
mf_frame_new (uint32_t w, uint32_t h, const mf_palette_t *palette)
{
    assert (w > 0 && h > 0 && palette);
    //  The window's size comes from the user: a product that does not fit
    //  a size_t is a frame that cannot be allocated.
    size_t pixels, mu_bytes, rgb_bytes;
    if (mf_mul_size (w, h, &pixels) || mf_mul_size (pixels, sizeof (float), &mu_bytes)
    ||  mf_mul_size (pixels, 3, &rgb_bytes))
        return NULL;
    mf_frame_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->w = w;
    self->h = h;
    self->palette = palette;
    self->mu = malloc (mu_bytes);
    self->worker = malloc (pixels * sizeof *self->worker);      //  no larger than mu_bytes
    self->level = malloc (pixels);
    self->rgb = malloc (rgb_bytes);
    if (!self->mu || !self->worker || !self->level || !self->rgb) {
        mf_frame_destroy (&self);
        return NULL;
    }
    //  Written now, so no page is first touched while a view changes.
    memset (self->worker, 0, pixels * sizeof *self->worker);
    memset (self->level, MF_LEVEL_EMPTY, pixels);
    for (size_t index = 0; index < pixels; index++)
        self->mu [index] = -1.0f;
    memset (self->rgb, MF_FRAME_BACKGROUND, rgb_bytes);
    self->dirty = true;
    self->dx1 = w;
    self->dy1 = h;
    return self;
}

void
mf_frame_destroy (mf_frame_t **self_p)
{
    assert (self_p);
    mf_frame_t *self = *self_p;
    if (!self)
        return;
    free (self->mu);
    free (self->worker);
    free (self->level);
    free (self->rgb);
    free (self);
    *self_p = NULL;
}

uint32_t
mf_frame_width (const mf_frame_t *self)
{
    return self->w;
}

uint32_t
mf_frame_height (const mf_frame_t *self)
{
    return self->h;
}

void
mf_frame_tint_color (int worker, uint8_t rgb [3])
{
    //  Hues a golden angle apart, fully saturated.
    double hue = fmod ((double) (worker < 0? 0: worker) * 0.6180339887498949, 1.0) * 6.0;
    int sector = (int) hue;
    double f = hue - sector;
    uint8_t up = (uint8_t) (255.0 * f + 0.5), down = (uint8_t) (255.0 * (1.0 - f) + 0.5);
    uint8_t table [6][3] = {
        { 255, up, 0 }, { down, 255, 0 }, { 0, 255, up },
        { 0, down, 255 }, { up, 0, 255 }, { 255, 0, down }
    };
    memcpy (rgb, table [sector % 6], 3);
}

static void
s_mark (mf_frame_t *self, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
    if (!self->dirty) {
        self->dirty = true;
        self->dx0 = x0; self->dy0 = y0; self->dx1 = x1; self->dy1 = y1;
        return;
    }
    if (x0 < self->dx0) self->dx0 = x0;
    if (y0 < self->dy0) self->dy0 = y0;
    if (x1 > self->dx1) self->dx1 = x1;
    if (y1 > self->dy1) self->dy1 = y1;
}

//  Colors count pixels from index on, from their mu, level and worker.
static void
s_color (mf_frame_t *self, size_t index, size_t count)
{
    uint8_t *rgb = self->rgb + index * 3;
    mf_palette_color (self->palette, self->mu + index, count, rgb);
    for (size_t at = 0; at < count; at++, rgb += 3) {
        if (self->level [index + at] == MF_LEVEL_EMPTY)
            memset (rgb, MF_FRAME_BACKGROUND, 3);
        else
        if (self->tint) {
            uint8_t tint [3];
            mf_frame_tint_color (self->worker [index + at], tint);
            for (int ch = 0; ch < 3; ch++)
                rgb [ch] = (uint8_t) ((2 * rgb [ch] + tint [ch]) / 3);
        }
    }
}

static void
s_recolor (mf_frame_t *self)
{
    s_color (self, 0, (size_t) self->w * self->h);
    s_mark (self, 0, 0, self->w, self->h);
}

void
mf_frame_warp (mf_frame_t *self, const mf_view_t *view,
               const mf_frame_t *old, const mf_view_t *old_view)
{
    //  The old frame's colors are this one's: copy them, do not recolor.
    self->palette = old->palette;
    self->tint = old->tint;
    mf_mapping_t m, om;
    mf_view_mapping (view, &m);
    mf_view_mapping (old_view, &om);
    //  The old column of each new column, and the old row of each new row
    //  (-1: outside the old view); the mapping is separable.
    int64_t *cols = malloc (((size_t) self->w + self->h) * sizeof *cols);
    if (!cols) {
        //  No placeholder then: an empty frame is still a correct one.
        memset (self->level, MF_LEVEL_EMPTY, (size_t) self->w * self->h);
        s_recolor (self);
        return;
    }
    int64_t *rows = cols + self->w;
    for (uint32_t i = 0; i < self->w; i++) {
        double at = floor ((mf_pixel_re (&m, i) - om.xmin) / om.d);
        cols [i] = at >= 0 && at < (double) old->w? (int64_t) at: -1;
    }
    for (uint32_t j = 0; j < self->h; j++) {
        double at = floor ((om.ymax - mf_pixel_im (&m, j)) / om.d);
        rows [j] = at >= 0 && at < (double) old->h? (int64_t) at: -1;
    }
    for (uint32_t j = 0; j < self->h; j++) {
        size_t base = (size_t) j * self->w;
        size_t from_row = rows [j] < 0? 0: (size_t) rows [j] * old->w;
        for (uint32_t i = 0; i < self->w; i++) {
            size_t index = base + i;
            if (rows [j] < 0 || cols [i] < 0) {
                self->level [index] = MF_LEVEL_EMPTY;
                self->mu [index] = -1.0f;
                self->worker [index] = 0;
                memset (self->rgb + 3 * index, MF_FRAME_BACKGROUND, 3);
                continue;
            }
            size_t from = from_row + (size_t) cols [i];
            self->level [index] = old->level [from] == MF_LEVEL_EMPTY
                                ? MF_LEVEL_EMPTY: MF_LEVEL_PLACEHOLDER;
            self->mu [index] = old->mu [from];
            self->worker [index] = old->worker [from];
            memcpy (self->rgb + 3 * index, old->rgb + 3 * from, 3);
        }
    }
    free (cols);
    s_mark (self, 0, 0, self->w, self->h);
}

void
mf_frame_put (mf_frame_t *self, const mf_rect_t *rect, const float *mu, int worker)
{
    assert (rect->x + rect->w <= self->w && rect->y + rect->h <= self->h);
    uint16_t slot = (uint16_t) (worker < 0? 0: worker > WORKER_MAX? WORKER_MAX: worker);
    mf_rect_copy (self->mu + (size_t) rect->y * self->w + rect->x, self->w, mu, rect->w,
                  rect->w, rect->h);
    for (uint32_t row = 0; row < rect->h; row++) {
        size_t index = (size_t) (rect->y + row) * self->w + rect->x;
        memset (self->level + index, MF_LEVEL_FULL, rect->w);
        for (uint32_t col = 0; col < rect->w; col++)
            self->worker [index + col] = slot;
        s_color (self, index, rect->w);
    }
    s_mark (self, rect->x, rect->y, rect->x + rect->w, rect->y + rect->h);
}

void
mf_frame_put_preview (mf_frame_t *self, uint32_t factor, const mf_rect_t *rect,
                      const float *mu, int worker)
{
    assert (factor >= 1);
    uint16_t slot = (uint16_t) (worker < 0? 0: worker > WORKER_MAX? WORKER_MAX: worker);
    uint64_t x0 = (uint64_t) rect->x * factor, y0 = (uint64_t) rect->y * factor;
    if (x0 >= self->w || y0 >= self->h)
        return;
    uint64_t x1 = (uint64_t) (rect->x + rect->w) * factor;
    uint64_t y1 = (uint64_t) (rect->y + rect->h) * factor;
    if (x1 > self->w) x1 = self->w;
    if (y1 > self->h) y1 = self->h;
    for (uint64_t y = y0; y < y1; y++) {
        const float *src = mu + (size_t) (y / factor - rect->y) * rect->w;
        size_t base = (size_t) y * self->w;
        for (uint64_t x = x0; x < x1; x++) {
            size_t index = base + x;
            if (self->level [index] == MF_LEVEL_FULL)
                continue;
            self->level [index] = MF_LEVEL_PREVIEW;
            self->mu [index] = src [x / factor - rect->x];
            self->worker [index] = slot;
        }
        s_color (self, base + x0, (size_t) (x1 - x0));
    }
    s_mark (self, (uint32_t) x0, (uint32_t) y0, (uint32_t) x1, (uint32_t) y1);
}

void
mf_frame_set_palette (mf_frame_t *self, const mf_palette_t *palette)
{
    self->palette = palette;
    s_recolor (self);
}

void
mf_frame_set_tint (mf_frame_t *self, bool tint)
{
    self->tint = tint;
    s_recolor (self);
}

bool
mf_frame_tint (const mf_frame_t *self)
{
    return self->tint;
}

const uint8_t *
mf_frame_rgb (const mf_frame_t *self)
{
    return self->rgb;
}

const float *
mf_frame_mu (const mf_frame_t *self)
{
    return self->mu;
}

mf_level_t
mf_frame_level (const mf_frame_t *self, uint32_t x, uint32_t y)
{
    assert (x < self->w && y < self->h);
    return (mf_level_t) self->level [(size_t) y * self->w + x];
}

int
mf_frame_take_dirty (mf_frame_t *self, mf_rect_t *rect)
{
    if (!self->dirty)
        return -1;
    rect->x = self->dx0;
    rect->y = self->dy0;
    rect->w = self->dx1 - self->dx0;
    rect->h = self->dy1 - self->dy0;
    self->dirty = false;
    return 0;
}

void
mf_frame_set_full_mu (mf_frame_t *self, const float *mu)
{
    size_t pixels = (size_t) self->w * self->h;
    for (size_t index = 0; index < pixels; index++)
        if (self->level [index] == MF_LEVEL_FULL)
            self->mu [index] = mu [index];
    s_recolor (self);
}
