/*  mf_dzi: writes a Deep Zoom Image (DZI) tile pyramid, the format that
    OpenSeadragon and many museum viewers read, from rows of RGB given in
    order: it never holds the whole image.

    In a directory, NAME.dzi is the descriptor (XML: tile size, overlap,
    format, the full size) and NAME_files/LEVEL/COL_ROW.png the tiles.
    Level max = ceil(log2(max(width, height))) is the full image; level
    L is ceil(width / 2^(max - L)) by ceil(height / 2^(max - L)), down to
    level 0, one pixel. Each level is the one above it shrunk by 2x2 box
    averaging, in integers: (a + b + c + d + 2) / 4 for four pixels, and
    at a right or bottom edge of odd size (a + b + 1) / 2 for two, or the
    pixel itself; so a given image always makes the same tiles.

    Tiles are MF_DZI_TILE pixels square plus MF_DZI_OVERLAP pixels on
    each side that has a neighbour (the defaults of vips dzsave and Deep
    Zoom Composer, which OpenSeadragon reads as well as any), cut at the
    level's right and bottom edges. They are PNG, through mf_png: 8-bit
    RGB, exact pixels (a JPEG would blur the filaments the render took
    care to get right), no metadata.

    Memory: per level, one band of tile rows (MF_DZI_TILE + 2 overlap rows
    of the level's width, in RGB) and one row waiting for its pair; about
    twice the full level's band in all. A tile is copied out of its band
    as soon as the band has its rows, and compressed and written on a
    pipeline of threads (mf_bands), a few tiles ahead per thread. A stop
    flag, read between tiles, abandons the writing.

    The directory is the caller's (mf_outdir makes one appear whole):
    this module writes into it and removes nothing.
*/
#ifndef MF_DZI_H
#define MF_DZI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define MF_DZI_TILE 254                 //  pixels: a tile's edge, overlap aside
#define MF_DZI_OVERLAP 1                //  pixels a tile shares with each neighbour
#define MF_DZI_FORMAT "png"             //  the tiles' file suffix and Format

typedef struct {
    const char *name;                   //  NAME.dzi, NAME_files/: letters, digits, - and _
    uint32_t width;                     //  pixels of the full image
    uint32_t height;                    //  pixels
    int threads;                        //  compressing threads (0: the caller's, in write_rows)
    volatile sig_atomic_t *stop;        //  set: writing stops and fails (NULL: never)
} mf_dzi_opts_t;

typedef struct _mf_dzi_t mf_dzi_t;

//  The highest level of a width x height pyramid (the full image): the
//  smallest n with 2^n >= max(width, height). Levels are 0 to it.
uint32_t mf_dzi_max_level (uint32_t width, uint32_t height);

//  The size of level level of a width x height pyramid, pixels.
void mf_dzi_level_size (uint32_t width, uint32_t height, uint32_t level,
                        uint32_t *level_width, uint32_t *level_height);

//  Starts a pyramid in the directory dir (which exists): makes
//  NAME_files/ and a folder per level in it. Returns NULL with the reason
//  in err (what it made in dir stays: the caller's directory).
mf_dzi_t *mf_dzi_open (const char *dir, const mf_dzi_opts_t *opts, char *err, size_t errlen);

//  Takes the next rows rows of the full image, 3 * width bytes of RGB
//  each (copied: the caller may reuse them on return). Returns 0, or -1
//  with the reason in err (then only good to destroy).
int mf_dzi_write_rows (mf_dzi_t *self, const uint8_t *rgb, uint32_t rows,
                       char *err, size_t errlen);

//  Once every row is given: writes the last tiles and NAME.dzi. Returns
//  0, or -1 with the reason in err.
int mf_dzi_finish (mf_dzi_t *self, char *err, size_t errlen);

//  Stops the threads and frees the writer (files written stay); safe
//  twice, nulls the pointer.
void mf_dzi_destroy (mf_dzi_t **self_p);

#endif
