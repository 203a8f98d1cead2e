/*  mf_tiles: cuts an image into a grid of tiles and orders them for
    dispatch, center first, so that the interesting middle of a view
    arrives before its edges.

    A poster's grid (mf_tiles_new_rows) is ordered by rows of tiles
    instead, top to bottom, left to right: its id order. Its rows of
    tiles finish roughly in order, so the image can be written band by
    band without ever being whole in memory; and it keeps no order array
    (a poster's grid may have millions of tiles).

    A tile's id is its row-major index in the grid; it never depends on
    the dispatch order. Every pixel belongs to exactly one tile.
*/
#ifndef MF_TILES_H
#define MF_TILES_H

#include <stddef.h>
#include <stdint.h>

#define MF_TILE_MIN_EDGE 8          //  smallest --tile, pixels
#define MF_TILE_MAX_EDGE 1024       //  largest --tile, pixels
#define MF_TILE_DEFAULT_EDGE 128    //  default --tile, pixels: see docs/PERFORMANCE.md

typedef struct {
    uint32_t x;                     //  left column, pixels
    uint32_t y;                     //  top row, pixels
    uint32_t w;                     //  width, pixels (edge, or less on the right)
    uint32_t h;                     //  height, pixels (edge, or less at the bottom)
} mf_rect_t;

typedef struct _mf_tiles_t mf_tiles_t;

//  Creates the grid of an image of width x height pixels with square tiles
//  of edge pixels. Returns NULL when out of memory, a size is zero, or the
//  grid would have more tiles than 32 bits count.
mf_tiles_t *mf_tiles_new (uint32_t width, uint32_t height, uint32_t edge);

//  As mf_tiles_new, dispatched row of tiles by row of tiles (position
//  and id are the same).
mf_tiles_t *mf_tiles_new_rows (uint32_t width, uint32_t height, uint32_t edge);

//  Tiles per row of the grid (the tiles of row r are r * cols to
//  r * cols + cols - 1).
uint32_t mf_tiles_cols (const mf_tiles_t *self);

//  Destroys the grid; safe twice, nulls the caller's pointer.
void mf_tiles_destroy (mf_tiles_t **self_p);

//  Number of tiles.
uint32_t mf_tiles_count (const mf_tiles_t *self);

//  Number of tiles of an image of width x height pixels in tiles of edge,
//  without making the grid; 0 when a size is 0 or the count does not fit
//  in 32 bits (no such grid can be made).
uint32_t mf_tiles_count_for (uint32_t width, uint32_t height, uint32_t edge);

//  The id of the tile holding pixel (x, y) (inside the image).
uint32_t mf_tiles_id_at (const mf_tiles_t *self, uint32_t x, uint32_t y);

//  The rectangle of tile id (id < count).
mf_rect_t mf_tiles_rect (const mf_tiles_t *self, uint32_t id);

//  The id of the position-th tile to dispatch (position < count).
uint32_t mf_tiles_order (const mf_tiles_t *self, uint32_t position);

//  Copies a block of w x h floats between two row-major buffers: row r
//  goes from src + r * src_stride to dst + r * dst_stride (strides in
//  floats). Both point at the block's top-left pixel: a tile's packed
//  rows (stride w) into an image (stride its width) at the tile's place,
//  or back. The block must not overlap itself.
void mf_rect_copy (float *dst, size_t dst_stride, const float *src, size_t src_stride,
                   uint32_t w, uint32_t h);

#endif
