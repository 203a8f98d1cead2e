/*  mf_png: writes an 8-bit RGB PNG row by row, with tEXt metadata.

    The writer takes finished rows, so an image can be streamed out as it
    is assembled; it writes to a stream the caller owns (see mf_outfile).
*/
#ifndef MF_PNG_H
#define MF_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_PNG_DEFAULT_LEVEL 1          //  zlib level: fast; see docs/PERFORMANCE.md

typedef struct {
    const char *key;                    //  tEXt keyword, 1-79 Latin-1 chars
    const char *value;                  //  tEXt text
} mf_png_text_t;

typedef struct _mf_png_t mf_png_t;

//  Starts a PNG of width x height on file, with count text chunks written
//  before the image data, compressed at zlib level (0-9). Returns NULL with
//  a message in err on failure.
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

#endif
