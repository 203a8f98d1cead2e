/*  mf_png: writes an RGB PNG, 8 or 16 bits per channel, with tEXt
    metadata, fast.

    The image is cut into bands of MF_PNG_BAND_ROWS rows. Each band is
    filtered (PNG filter Up on every row) and compressed on its own by
    mf_deflate into one IDAT chunk; the bands, concatenated, are one zlib
    stream. Because the cut depends on nothing but the image height, the
    bytes are the same whether the bands are compressed one after the
    other on the caller's thread or by several threads at once (through
    mf_bands, written in order). It trades a few percent of size against
    zlib level 1 for several times its speed; see docs/PERFORMANCE.md.

    Rows come in order, in the caller's own pixel format if it gives a
    function that turns them into RGB (run on the compressing threads, so
    coloring is parallel too): the image never needs to be in memory
    whole. A stop flag, read between bands, abandons the writing.
*/
#ifndef MF_PNG_H
#define MF_PNG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_PNG_BAND_ROWS 32             //  rows per independently compressed band
#define MF_PNG_DEFAULT_LEVEL 1          //  1-9: compress; 0: store (no compression)
//  The largest image, pixels. Width: a band's filtered bytes, 32 rows of
//  3 * width + 1 (6 * width + 1 at 16 bits), must fit one mf_deflate
//  piece and its IDAT chunk (at most 2^31 - 1 bytes, stored). Height:
//  the PNG limit, 2^31 - 1.
#define MF_PNG_MAX_WIDTH 22367914u
#define MF_PNG_MAX_WIDTH16 11183957u    //  at 16 bits per channel
#define MF_PNG_MAX_HEIGHT 0x7fffffffu

typedef struct {
    const char *key;                    //  tEXt keyword, 1-79 Latin-1 chars
    const char *value;                  //  tEXt text
} mf_png_text_t;

//  Turns count pixels of the caller's format into RGB: 3 * count bytes,
//  or at 16 bits 6 * count bytes, each sample big-endian as PNG stores
//  it. Called from several threads at once, for different rows.
typedef void (mf_png_color_fn) (void *arg, const void *pixels, size_t count, uint8_t *rgb);

typedef struct {
    uint32_t width;                     //  pixels, 1 to MF_PNG_MAX_WIDTH
    uint32_t height;                    //  pixels, 1 to MF_PNG_MAX_HEIGHT
    const mf_png_text_t *texts;         //  tEXt chunks, written before the image
    size_t count;                       //  how many
    int level;                          //  0: stored; any other: compressed (all the same way)
    int threads;                        //  compressing threads; 0: the caller's, in write_rows
    int depth;                          //  bits per channel: 8 or 16 (0: 8)
    size_t pixel_size;                  //  bytes per pixel of the rows given (0: RGB at depth)
    mf_png_color_fn *color;             //  how they become RGB (NULL: they are RGB)
    void *color_arg;                    //  its argument
    bool lend_rows;                     //  the rows given stay unchanged until finish or
                                        //  destroy returns: read in place, not copied
    volatile sig_atomic_t *stop;        //  set: writing stops and fails (NULL: never)
} mf_png_opts_t;

typedef struct _mf_png_t mf_png_t;

//  Checks that a width x height PNG of 8 bits per channel can be written.
//  Returns 0, or -1 with the reason (and the limits) in err.
int mf_png_check_size (uint32_t width, uint32_t height, char *err, size_t errlen);

//  As mf_png_check_size, at depth bits per channel (8 or 16; any other
//  depth is refused).
int mf_png_check_format (uint32_t width, uint32_t height, int depth, char *err,
                         size_t errlen);

//  Starts a PNG on file as opts say, writing everything up to the image
//  data. Returns NULL with a message in err on failure.
mf_png_t *mf_png_open (FILE *file, const mf_png_opts_t *opts, char *err, size_t errlen);

//  Starts an RGB PNG compressed on the caller's thread: mf_png_open with
//  no thread, no color function and the rows copied.
mf_png_t *mf_png_new (FILE *file, uint32_t width, uint32_t height,
                      const mf_png_text_t *texts, size_t count, int level,
                      char *err, size_t errlen);

//  Writes the next rows rows, width pixels each, in the format opts
//  gave. Returns 0, or -1 when writing failed, was stopped, or the rows
//  are more than the image has.
int mf_png_write_rows (mf_png_t *self, const void *pixels, uint32_t rows);

//  Writes the end of the image once every row is written and destroys the
//  writer. Returns 0, or -1 if rows are missing, writing failed or was
//  stopped.
int mf_png_finish (mf_png_t **self_p);

//  Destroys a writer without finishing; safe twice, nulls the pointer.
void mf_png_destroy (mf_png_t **self_p);

//  Fills count rows of the image from row y on, 3 * width bytes each, into
//  rgb. Called from several threads at once, for disjoint rows.
typedef void (mf_png_rows_fn) (void *arg, uint32_t y, uint32_t count, uint8_t *rgb);

//  Writes a whole PNG, as mf_png_new and mf_png_write_rows would (the
//  same bytes), asking rows() for the pixels band by band and compressing
//  up to `threads` bands at once. Returns 0, or -1 with a message in err.
int mf_png_write_image (FILE *file, uint32_t width, uint32_t height,
                        const mf_png_text_t *texts, size_t count, int level,
                        mf_png_rows_fn *rows, void *arg, int threads,
                        char *err, size_t errlen);

#endif
