/*  mf_tiles: see mf_tiles.h. */
#include "mf_tiles.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _mf_tiles_t {
    uint32_t width;                 //  image width, pixels
    uint32_t height;                //  image height, pixels
    uint32_t edge;                  //  tile edge, pixels
    uint32_t cols;                  //  tiles per row
    uint32_t rows;                  //  tiles per column
    uint32_t count;                 //  cols * rows
    uint32_t *order;                //  tile ids in dispatch order (NULL: id order)
};

typedef struct {
    int64_t distance;               //  squared distance to the center, doubled units
    uint32_t id;
} s_sort_key_t;

static int
s_compare (const void *a, const void *b)
{
    const s_sort_key_t *ka = a, *kb = b;
    if (ka->distance != kb->distance)
        return ka->distance < kb->distance? -1: 1;
    return ka->id < kb->id? -1: ka->id > kb->id;
}

//  The grid without its order. Returns NULL when out of memory or the
//  sizes make no grid.
static mf_tiles_t *
s_new (uint32_t width, uint32_t height, uint32_t edge)
{
    uint32_t count = mf_tiles_count_for (width, height, edge);
    if (count == 0)
        return NULL;
    mf_tiles_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->width = width;
    self->height = height;
    self->edge = edge;
    self->cols = width / edge + (width % edge != 0);
    self->rows = height / edge + (height % edge != 0);
    self->count = count;
    return self;
}

mf_tiles_t *
mf_tiles_new_rows (uint32_t width, uint32_t height, uint32_t edge)
{
    return s_new (width, height, edge);
}

uint32_t
mf_tiles_cols (const mf_tiles_t *self)
{
    return self->cols;
}

mf_tiles_t *
mf_tiles_new (uint32_t width, uint32_t height, uint32_t edge)
{
    mf_tiles_t *self = s_new (width, height, edge);
    if (!self)
        return NULL;
    uint32_t count = self->count;
    self->order = malloc ((size_t) count * sizeof *self->order);
    s_sort_key_t *keys = malloc ((size_t) count * sizeof *keys);
    if (!self->order || !keys) {
        free (keys);
        mf_tiles_destroy (&self);
        return NULL;
    }
    //  Distances in units of half a pixel keep the arithmetic integral.
    for (uint32_t id = 0; id < self->count; id++) {
        mf_rect_t r = mf_tiles_rect (self, id);
        int64_t dx = 2 * (int64_t) r.x + r.w - width;
        int64_t dy = 2 * (int64_t) r.y + r.h - height;
        keys [id].distance = dx * dx + dy * dy;
        keys [id].id = id;
    }
    qsort (keys, count, sizeof *keys, s_compare);
    for (uint32_t position = 0; position < self->count; position++)
        self->order [position] = keys [position].id;
    free (keys);
    return self;
}

void
mf_tiles_destroy (mf_tiles_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->order);
        free (*self_p);
        *self_p = NULL;
    }
}

uint32_t
mf_tiles_count (const mf_tiles_t *self)
{
    return self->count;
}

uint32_t
mf_tiles_count_for (uint32_t width, uint32_t height, uint32_t edge)
{
    if (!width || !height || !edge)
        return 0;
    //  Rounded up without width + edge - 1, which can wrap.
    uint64_t cols = width / edge + (width % edge != 0);
    uint64_t rows = height / edge + (height % edge != 0);
    uint64_t count = cols * rows;
    return count > UINT32_MAX? 0: (uint32_t) count;
}

uint32_t
mf_tiles_id_at (const mf_tiles_t *self, uint32_t x, uint32_t y)
{
    assert (x < self->width && y < self->height);
    return y / self->edge * self->cols + x / self->edge;
}

mf_rect_t
mf_tiles_rect (const mf_tiles_t *self, uint32_t id)
{
    assert (id < self->count);
    uint32_t col = id % self->cols, row = id / self->cols;
    mf_rect_t r;
    r.x = col * self->edge;
    r.y = row * self->edge;
    r.w = r.x + self->edge > self->width? self->width - r.x: self->edge;
    r.h = r.y + self->edge > self->height? self->height - r.y: self->edge;
    return r;
}

uint32_t
mf_tiles_order (const mf_tiles_t *self, uint32_t position)
{
    assert (position < self->count);
    return self->order? self->order [position]: position;
}

void
mf_rect_copy (float *dst, size_t dst_stride, const float *src, size_t src_stride,
              uint32_t w, uint32_t h)
{
    assert (dst_stride >= w && src_stride >= w);
    if (dst == src && dst_stride == src_stride)
        return;             //  already in place (a tile decoded into the image)
    for (uint32_t row = 0; row < h; row++)
        memcpy (dst + row * dst_stride, src + row * src_stride, w * sizeof *dst);
}
