/*  mf_png: see mf_png.h. libpng reports errors by longjmp; every function
    here that calls into libpng sets its own jump point first.
*/
#include "mf_png.h"

#include <assert.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

struct _mf_png_t {
    png_structp png;                    //  libpng write state
    png_infop info;                     //  libpng header state
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    uint32_t rows_written;              //  rows so far
    int failed;                         //  1 once libpng reported an error
};

mf_png_t *
mf_png_new (FILE *file, uint32_t width, uint32_t height,
            const mf_png_text_t *texts, size_t count, int level,
            char *err, size_t errlen)
{
    mf_png_t *self = calloc (1, sizeof *self);
    png_textp text = calloc (count? count: 1, sizeof *text);
    if (!self || !text) {
        free (self);
        free (text);
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->width = width;
    self->height = height;
    self->png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    if (self->png)
        self->info = png_create_info_struct (self->png);
    if (!self->png || !self->info) {
        snprintf (err, errlen, "cannot start a PNG writer");
        free (text);
        mf_png_destroy (&self);
        return NULL;
    }
    if (setjmp (png_jmpbuf (self->png))) {
        snprintf (err, errlen, "cannot write the PNG header");
        free (text);
        mf_png_destroy (&self);
        return NULL;
    }
    png_init_io (self->png, file);
    png_set_compression_level (self->png, level);
    //  Sub and Up filters carry almost all of the gain on these images at
    //  a fraction of the cost of trying all five per row.
    png_set_filter (self->png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB | PNG_FILTER_UP);
    png_set_IHDR (self->png, self->info, width, height, 8, PNG_COLOR_TYPE_RGB,
                  PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    for (size_t index = 0; index < count; index++) {
        text [index].compression = PNG_TEXT_COMPRESSION_NONE;
        text [index].key = (png_charp) texts [index].key;
        text [index].text = (png_charp) texts [index].value;
    }
    if (count)
        png_set_text (self->png, self->info, text, (int) count);
    png_write_info (self->png, self->info);
    free (text);
    return self;
}

int
mf_png_write_rows (mf_png_t *self, const uint8_t *rgb, uint32_t rows)
{
    assert (self);
    if (self->failed || self->rows_written + rows > self->height)
        return -1;
    if (setjmp (png_jmpbuf (self->png))) {
        self->failed = 1;
        return -1;
    }
    for (uint32_t row = 0; row < rows; row++)
        png_write_row (self->png, (png_const_bytep) (rgb + (size_t) row * 3 * self->width));
    self->rows_written += rows;
    return 0;
}

int
mf_png_finish (mf_png_t **self_p)
{
    assert (self_p);
    mf_png_t *self = *self_p;
    if (!self)
        return -1;
    int rc = -1;
    if (!self->failed && self->rows_written == self->height) {
        if (setjmp (png_jmpbuf (self->png)))
            rc = -1;
        else {
            png_write_end (self->png, NULL);
            rc = 0;
        }
    }
    mf_png_destroy (self_p);
    return rc;
}

void
mf_png_destroy (mf_png_t **self_p)
{
    assert (self_p);
    mf_png_t *self = *self_p;
    if (self) {
        if (self->png)
            png_destroy_write_struct (&self->png, self->info? &self->info: NULL);
        free (self);
        *self_p = NULL;
    }
}
