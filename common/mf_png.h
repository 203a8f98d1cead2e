/*  mf_png: writes an 8-bit RGB PNG, with tEXt metadata, fast.

    The image is cut into bands of MF_PNG_BAND_ROWS rows. Each band is
    filtered (PNG filter Up on every row) and compressed on its own into
    one IDAT chunk: byte runs become deflate matches at distance 1, the
    rest literals, under a dynamic Huffman code made for that band, and
    the band ends on a byte boundary (an empty stored block, as zlib's
    Z_SYNC_FLUSH does). The bands, concatenated, are one zlib stream.
    Because the cut does not depend on anything but the image height,
    the bytes are the same whether the bands are compressed one after the
    other (mf_png_new, rows as they come) or by several threads at once
    (mf_png_write_image). It trades a few percent of size against zlib
    level 1 for several times its speed; see docs/PERFORMANCE.md.
*/
#ifndef MF_PNG_H
#define MF_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_PNG_BAND_ROWS 32             //  rows per independently compressed band
#define MF_PNG_DEFAULT_LEVEL 1          //  1-9: compress; 0: store (no compression)

typedef struct {
    const char *key;                    //  tEXt keyword, 1-79 Latin-1 chars
    const char *value;                  //  tEXt text
} mf_png_text_t;

typedef struct _mf_png_t mf_png_t;

//  Starts a PNG of width x height on file, with count text chunks written
//  before the image data; level 0 stores the data uncompressed, any
//  other level compresses it (all the same way). Returns NULL with a
//  message in err on failure.
mf_png_t *mf_png_new (FILE *file, uint32_t width, uint32_t height,
                      const mf_png_text_t *texts, size_t count, int level,
                      char *err, size_t errlen);

//  Writes rows rows of 3 * width bytes each. Returns 0 or -1.
int mf_png_write_rows (mf_png_t *self, const uint8_t *rgb, uint32_t rows);

//  Writes the end of the image once every row is written and destroys the
//  writer. Returns 0, or -1 if rows are missing or writing failed.
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
