/*  mf_png: see mf_png.h. A PNG is: the signature, IHDR, tEXt chunks, the
    zlib stream in IDAT chunks, IEND, each chunk with its CRC-32. Here the
    zlib stream is its 2-byte header in an IDAT of its own, one IDAT per
    band (mf_deflate pieces: blocks that end on a byte boundary, never
    final), and a last IDAT with the empty final block and the Adler-32
    of all the filtered bytes, combined from the bands' own. zlib
    provides crc32 and adler32 only (their _z forms, which take a size_t:
    no length is cut to 32 bits).

    A band is an item of an mf_bands pipeline: the threads color, filter
    and compress it, and compute its CRC and Adler-32; the caller's
    thread writes the chunks in order.
*/
#include "mf_png.h"
#include "mf_bands.h"
#include "mf_deflate.h"
#include "mf_util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK_MAX 0x7fffffffu           //  bytes of data in a chunk (PNG limit)

static const uint8_t s_signature [8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const uint8_t s_zlib_head [2] = { 0x78, 0x01 };  //  deflate, 32K window, "fastest"

static void
s_put_be32 (uint8_t *p, uint32_t value)
{
    p [0] = (uint8_t) (value >> 24);
    p [1] = (uint8_t) (value >> 16);
    p [2] = (uint8_t) (value >> 8);
    p [3] = (uint8_t) value;
}

//  ---------------------------------------------------------------------
//  Chunks

//  The CRC of a chunk: its type, then its data.
static uint32_t
s_chunk_crc (const char *type, const uint8_t *data, size_t size)
{
    uLong crc = crc32 (crc32 (0, NULL, 0), (const Bytef *) type, 4);
    if (size)
        crc = crc32_z (crc, data, size);
    return (uint32_t) crc;
}

//  Writes a chunk whose CRC is known. Returns 0 or -1.
static int
s_write_chunk_crc (FILE *file, const char *type, const uint8_t *data, size_t size,
                   uint32_t crc)
{
    assert (size <= CHUNK_MAX);
    uint8_t head [8], tail [4];
    s_put_be32 (head, (uint32_t) size);
    memcpy (head + 4, type, 4);
    s_put_be32 (tail, crc);
    return fwrite (head, 8, 1, file) == 1 && (!size || fwrite (data, size, 1, file) == 1)
        && fwrite (tail, 4, 1, file) == 1? 0: -1;
}

static int
s_write_chunk (FILE *file, const char *type, const uint8_t *data, size_t size)
{
    return s_write_chunk_crc (file, type, data, size, s_chunk_crc (type, data, size));
}

//  Bytes of a band of rows rows of width pixels of depth bits per
//  channel, filtered. Returns 0, or -1 when they overflow a size_t.
static int
s_band_bytes (uint32_t width, int depth, uint32_t rows, size_t *raw)
{
    size_t row;
    if (mf_mul_size (width, (size_t) 3 * (size_t) (depth / 8), &row) || row == SIZE_MAX)
        return -1;
    return mf_mul_size (row + 1, rows, raw);
}

int
mf_png_check_format (uint32_t width, uint32_t height, int depth, char *err, size_t errlen)
{
    if (depth != 8 && depth != 16) {
        snprintf (err, errlen, "cannot write a PNG of %d bits per channel: only 8 or 16",
                  depth);
        return -1;
    }
    //  A full band of the widest image must be one deflate piece, and
    //  that piece, stored, one chunk.
    size_t raw, bound = 0;
    if (width > 0 && width <= CHUNK_MAX
    &&  s_band_bytes (width, depth, MF_PNG_BAND_ROWS, &raw) == 0)
        bound = mf_deflate_bound (raw);
    if (width == 0 || height == 0 || height > MF_PNG_MAX_HEIGHT
    ||  bound == 0 || bound > CHUNK_MAX) {
        snprintf (err, errlen, "cannot write a %ux%u%s PNG: width and height must be 1 to "
                  "%u and %u pixels", width, height, depth == 16? " 16-bit": "",
                  depth == 16? MF_PNG_MAX_WIDTH16: MF_PNG_MAX_WIDTH, MF_PNG_MAX_HEIGHT);
        return -1;
    }
    return 0;
}

int
mf_png_check_size (uint32_t width, uint32_t height, char *err, size_t errlen)
{
    return mf_png_check_format (width, height, 8, err, errlen);
}

//  Signature, IHDR, tEXt, and the zlib header. Returns 0 or -1.
static int
s_write_head (FILE *file, uint32_t width, uint32_t height, int depth,
              const mf_png_text_t *texts, size_t count, char *err, size_t errlen)
{
    if (mf_png_check_format (width, height, depth, err, errlen))
        return -1;
    for (size_t index = 0; index < count; index++) {
        size_t key = strlen (texts [index].key);
        if (key < 1 || key > 79) {
            snprintf (err, errlen, "PNG text keyword '%s' is not 1 to 79 characters",
                      texts [index].key);
            return -1;
        }
        if (strlen (texts [index].value) > CHUNK_MAX - 80) {
            snprintf (err, errlen, "PNG text '%s' is longer than %u bytes",
                      texts [index].key, CHUNK_MAX - 80);
            return -1;
        }
    }
    uint8_t ihdr [13];
    s_put_be32 (ihdr, width);
    s_put_be32 (ihdr + 4, height);
    ihdr [8] = (uint8_t) depth;             //  bits per channel
    ihdr [9] = 2;                           //  RGB
    ihdr [10] = ihdr [11] = ihdr [12] = 0;  //  deflate, adaptive filters, no interlace
    int rc = fwrite (s_signature, sizeof s_signature, 1, file) == 1? 0: -1;
    if (rc == 0)
        rc = s_write_chunk (file, "IHDR", ihdr, sizeof ihdr);
    for (size_t index = 0; rc == 0 && index < count; index++) {
        size_t key = strlen (texts [index].key), value = strlen (texts [index].value);
        uint8_t *data = malloc (key + 1 + value);
        if (!data) {
            snprintf (err, errlen, "out of memory");
            return -1;
        }
        memcpy (data, texts [index].key, key + 1);
        memcpy (data + key + 1, texts [index].value, value);
        rc = s_write_chunk (file, "tEXt", data, key + 1 + value);
        free (data);
    }
    if (rc == 0)
        rc = s_write_chunk (file, "IDAT", s_zlib_head, sizeof s_zlib_head);
    if (rc)
        snprintf (err, errlen, "cannot write the PNG header");
    return rc;
}

//  The final block and the Adler-32 of the whole stream, then IEND.
static int
s_write_tail (FILE *file, uint32_t adler)
{
    uint8_t data [MF_DEFLATE_END_SIZE + 4];
    memcpy (data, MF_DEFLATE_END, MF_DEFLATE_END_SIZE);
    s_put_be32 (data + MF_DEFLATE_END_SIZE, adler);
    return s_write_chunk (file, "IDAT", data, sizeof data) == 0
        && s_write_chunk (file, "IEND", NULL, 0) == 0
        && fflush (file) == 0 && !ferror (file)? 0: -1;
}

//  ---------------------------------------------------------------------
//  Bands

//  One band, an mf_bands item: where its rows are, then what they became.
typedef struct {
    uint32_t y;                         //  its first row
    uint32_t rows;                      //  how many
    const uint8_t *above;               //  the row above, caller's format (NULL: none)
    const uint8_t *row [MF_PNG_BAND_ROWS];  //  its rows, caller's format (not with rows_fn)
    uint8_t *copy;                      //  owned: the copies above and row point into
    uint8_t *data;                      //  made: the deflate piece (owned)
    size_t size;                        //  its bytes
    uint32_t crc;                       //  CRC of its IDAT chunk
    uint32_t adler;                     //  Adler-32 of the filtered bytes
    size_t raw_size;                    //  how many filtered bytes
} s_band_t;

//  Memory of one compressing thread, reused from band to band.
typedef struct {
    uint8_t *rgb;                       //  the row above, then the band, in RGB
    uint8_t *zero;                      //  a row of zeros: above the image
    uint8_t *raw;                       //  filtered rows
    mf_deflate_t *deflate;              //  its scratch
} s_scratch_t;

struct _mf_png_t {
    FILE *file;                         //  where it goes (the caller's)
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    int level;                          //  0: stored, else compressed
    size_t row_size;                    //  bytes of a row of RGB
    size_t in_size;                     //  bytes of a row as the caller gives it
    mf_png_color_fn *color;             //  caller's format to RGB, or NULL
    void *color_arg;                    //  its argument
    mf_png_rows_fn *rows_fn;            //  mf_png_write_image: rows asked for, not given
    void *rows_arg;                     //  its argument
    bool lend;                          //  rows are read in place
    mf_bands_t *bands;                  //  compresses and writes the bands
    s_band_t *band;                     //  the band being filled, or NULL
    uint8_t *carry;                     //  copying: the last row given, for the band below
    const uint8_t *last;                //  the last row given (caller's format), or NULL
    uint32_t rows_given;                //  rows received so far
    uint32_t adler;                     //  of the bands written so far
    bool failed;                        //  writing failed or stopped
};

static void
s_band_free (s_band_t *band)
{
    if (band) {
        free (band->copy);
        free (band->data);
        free (band);
    }
}

static void *
s_scratch_new (void *arg)
{
    mf_png_t *self = arg;
    //  The band's rows and the row above, but no more than the image has.
    size_t rows = self->height < MF_PNG_BAND_ROWS? self->height: MF_PNG_BAND_ROWS;
    size_t rgb, raw;
    s_scratch_t *s = calloc (1, sizeof *s);
    if (!s || mf_mul_size (self->row_size, rows + 1, &rgb)
    ||  mf_mul_size (self->row_size + 1, rows, &raw)) {
        free (s);
        return NULL;
    }
    s->rgb = malloc (rgb);
    s->zero = calloc (1, self->row_size);
    s->raw = malloc (raw);
    s->deflate = mf_deflate_new ();
    if (!s->rgb || !s->zero || !s->raw || !s->deflate) {
        free (s->rgb);
        free (s->zero);
        free (s->raw);
        mf_deflate_destroy (&s->deflate);
        free (s);
        return NULL;
    }
    return s;
}

static void
s_scratch_free (void *arg, void *scratch)
{
    s_scratch_t *s = scratch;
    free (s->rgb);
    free (s->zero);
    free (s->raw);
    mf_deflate_destroy (&s->deflate);
    free (s);
}

//  Filter Up on every row into raw: each byte minus the one above it,
//  eight at a time (bytewise subtraction without borrows across bytes).
static void
s_filter (const uint8_t *prev, const uint8_t *const *cur, uint32_t rows, size_t row,
          uint8_t *raw)
{
    const uint64_t high = 0x8080808080808080ULL;
    for (uint32_t r = 0; r < rows; r++) {
        uint8_t *out = raw + r * (row + 1);
        out [0] = 2;
        size_t j = 0;
        for (; j + 8 <= row; j += 8) {
            uint64_t a, b;
            memcpy (&a, cur [r] + j, 8);
            memcpy (&b, prev + j, 8);
            uint64_t d = ((a | high) - (b & ~high)) ^ ((a ^ ~b) & high);
            memcpy (out + 1 + j, &d, 8);
        }
        for (; j < row; j++)
            out [j + 1] = (uint8_t) (cur [r][j] - prev [j]);
        prev = cur [r];
    }
}

//  Makes a band (on a pipeline thread): its rows in RGB, filtered,
//  compressed, checksummed.
static int
s_make (void *arg, void *scratch, void *item)
{
    mf_png_t *self = arg;
    s_scratch_t *s = scratch;
    s_band_t *band = item;
    size_t row = self->row_size;
    const uint8_t *prev = s->zero, *cur [MF_PNG_BAND_ROWS];
    for (uint32_t r = 0; r < band->rows; r++)
        cur [r] = s->rgb + (r + 1) * row;
    if (self->rows_fn) {
        if (band->y > 0) {
            self->rows_fn (self->rows_arg, band->y - 1, band->rows + 1, s->rgb);
            prev = s->rgb;
        }
        else
            self->rows_fn (self->rows_arg, band->y, band->rows, s->rgb + row);
    }
    else
    if (self->color) {
        if (band->above) {
            self->color (self->color_arg, band->above, self->width, s->rgb);
            prev = s->rgb;
        }
        for (uint32_t r = 0; r < band->rows; r++)
            self->color (self->color_arg, band->row [r], self->width, s->rgb + (r + 1) * row);
    }
    else {
        if (band->above)
            prev = band->above;
        for (uint32_t r = 0; r < band->rows; r++)
            cur [r] = band->row [r];
    }
    s_filter (prev, cur, band->rows, row, s->raw);
    //  The band's copy of its rows is needed no more.
    free (band->copy);
    band->copy = NULL;
    band->raw_size = (row + 1) * band->rows;
    band->adler = (uint32_t) adler32_z (adler32 (0, NULL, 0), s->raw, band->raw_size);
    band->data = mf_deflate_piece (s->deflate, s->raw, band->raw_size, self->level,
                                   &band->size);
    if (!band->data)
        return -1;
    band->crc = s_chunk_crc ("IDAT", band->data, band->size);
    return 0;
}

//  Writes a made band (on the caller's thread, in order).
static int
s_write (void *arg, void *item)
{
    mf_png_t *self = arg;
    s_band_t *band = item;
    self->adler = (uint32_t) adler32_combine (self->adler, band->adler,
                                              (z_off_t) band->raw_size);
    return s_write_chunk_crc (self->file, "IDAT", band->data, band->size, band->crc);
}

static void
s_free_item (void *arg, void *item)
{
    s_band_free (item);
}

static const mf_bands_fns_t s_band_fns = {
    s_scratch_new, s_scratch_free, s_make, s_write, s_free_item
};

//  ---------------------------------------------------------------------
//  The writer

mf_png_t *
mf_png_open (FILE *file, const mf_png_opts_t *opts, char *err, size_t errlen)
{
    assert (file && opts);
    int depth = opts->depth? opts->depth: 8;
    if (s_write_head (file, opts->width, opts->height, depth, opts->texts, opts->count,
                      err, errlen))
        return NULL;
    mf_png_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->file = file;
    self->width = opts->width;
    self->height = opts->height;
    self->level = opts->level;
    //  Checked by s_write_head.
    self->row_size = (size_t) opts->width * 3 * (size_t) (depth / 8);
    self->color = opts->color;
    self->color_arg = opts->color_arg;
    self->lend = opts->lend_rows;
    self->adler = (uint32_t) adler32 (0, NULL, 0);
    size_t pixel = opts->pixel_size? opts->pixel_size: (size_t) 3 * (size_t) (depth / 8);
    if (mf_mul_size (opts->width, pixel, &self->in_size)) {
        snprintf (err, errlen, "cannot write a %u pixels wide PNG of %zu-byte pixels",
                  opts->width, pixel);
        mf_png_destroy (&self);
        return NULL;
    }
    if (!self->lend)
        self->carry = malloc (self->in_size);
    self->bands = mf_bands_new (&s_band_fns, self, opts->threads, opts->stop);
    if ((!self->lend && !self->carry) || !self->bands) {
        snprintf (err, errlen, "out of memory");
        mf_png_destroy (&self);
        return NULL;
    }
    return self;
}

mf_png_t *
mf_png_new (FILE *file, uint32_t width, uint32_t height,
            const mf_png_text_t *texts, size_t count, int level,
            char *err, size_t errlen)
{
    mf_png_opts_t opts = {
        .width = width, .height = height, .texts = texts, .count = count, .level = level
    };
    return mf_png_open (file, &opts, err, errlen);
}

//  A new band from row y on, holding the row above when there is one.
//  Returns NULL when out of memory.
static s_band_t *
s_band_new (mf_png_t *self, uint32_t y)
{
    s_band_t *band = calloc (1, sizeof *band);
    if (!band)
        return NULL;
    band->y = y;
    uint32_t left = self->height - y;
    uint32_t rows = left < MF_PNG_BAND_ROWS? left: MF_PNG_BAND_ROWS;
    if (self->lend)
        band->above = self->last;
    else {
        //  Room for the row above and the band's rows, in the caller's format.
        band->copy = malloc (self->in_size * (rows + 1));
        if (!band->copy) {
            free (band);
            return NULL;
        }
        if (y > 0) {
            memcpy (band->copy, self->carry, self->in_size);
            band->above = band->copy;
        }
    }
    return band;
}

int
mf_png_write_rows (mf_png_t *self, const void *pixels, uint32_t rows)
{
    assert (self && !self->rows_fn);
    if (self->failed || rows > self->height - self->rows_given)
        return -1;
    const uint8_t *in = pixels;
    for (uint32_t index = 0; index < rows; index++, in += self->in_size) {
        if (!self->band) {
            self->band = s_band_new (self, self->rows_given);
            if (!self->band) {
                self->failed = true;
                return -1;
            }
        }
        s_band_t *band = self->band;
        if (self->lend)
            band->row [band->rows] = in;
        else {
            uint8_t *copy = band->copy + (band->rows + 1) * self->in_size;
            memcpy (copy, in, self->in_size);
            band->row [band->rows] = copy;
        }
        self->last = band->row [band->rows];
        band->rows++;
        self->rows_given++;
        if (band->rows == MF_PNG_BAND_ROWS || self->rows_given == self->height) {
            //  The next band's row above, kept before this band goes.
            if (!self->lend)
                memcpy (self->carry, self->last, self->in_size);
            self->band = NULL;
            if (mf_bands_submit (self->bands, band)) {
                self->failed = true;
                return -1;
            }
        }
    }
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
    if (!self->failed && self->rows_given == self->height
    &&  mf_bands_finish (self->bands) == 0)
        rc = s_write_tail (self->file, self->adler);
    mf_png_destroy (self_p);
    return rc;
}

void
mf_png_destroy (mf_png_t **self_p)
{
    assert (self_p);
    mf_png_t *self = *self_p;
    if (self) {
        mf_bands_destroy (&self->bands);
        s_band_free (self->band);
        free (self->carry);
        free (self);
        *self_p = NULL;
    }
}

int
mf_png_write_image (FILE *file, uint32_t width, uint32_t height,
                    const mf_png_text_t *texts, size_t count, int level,
                    mf_png_rows_fn *rows, void *arg, int threads,
                    char *err, size_t errlen)
{
    //  Rows asked for band by band: nothing to copy, nothing to carry.
    mf_png_opts_t opts = {
        .width = width, .height = height, .texts = texts, .count = count, .level = level,
        .threads = threads < 1? 1: threads, .lend_rows = true
    };
    mf_png_t *self = mf_png_open (file, &opts, err, errlen);
    if (!self)
        return -1;
    self->rows_fn = rows;
    self->rows_arg = arg;
    for (uint32_t y = 0; y < height && !self->failed; y += MF_PNG_BAND_ROWS) {
        s_band_t *band = calloc (1, sizeof *band);
        if (!band) {
            self->failed = true;
            break;
        }
        band->y = y;
        band->rows = height - y < MF_PNG_BAND_ROWS? height - y: MF_PNG_BAND_ROWS;
        if (mf_bands_submit (self->bands, band))
            self->failed = true;
    }
    self->rows_given = self->failed? 0: height;
    if (mf_png_finish (&self)) {
        snprintf (err, errlen, "cannot write the PNG data");
        return -1;
    }
    return 0;
}
