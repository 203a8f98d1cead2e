/*  mf_dzi: see mf_dzi.h. Rows flow down the pyramid as they come: a row
    of level L goes into that level's band, and, paired with the row
    above it, makes a row of level L - 1, which goes the same way. When a
    band holds the last row of its tile row (the overlap below included),
    its tiles are cut and handed to the pipeline, and the band keeps only
    the rows the next tile row shares with it (2 * MF_DZI_OVERLAP).

    A tile is an mf_bands item: a pipeline thread compresses it and
    writes its file; the caller's thread, taking the tiles back in order,
    only reports the first that failed, so the error is always the same
    one whatever the threads.
*/
#include "mf_dzi.h"
#include "mf_bands.h"
#include "mf_png.h"
#include "mf_util.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BAND_ROWS (MF_DZI_TILE + 2 * MF_DZI_OVERLAP)    //  rows a band holds at most
#define TILE_BYTES ((size_t) BAND_ROWS * BAND_ROWS * 3) //  the largest tile, in RGB
#define MAX_LEVELS 33                   //  levels of a 2^32 pixel wide image

typedef struct {
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    uint32_t cols;                      //  tiles across
    uint32_t rows;                      //  tiles down
    size_t row_size;                    //  bytes of a row of RGB
    uint8_t *band;                      //  rows band_y on, BAND_ROWS at most
    uint32_t band_y;                    //  the band's first row
    uint32_t next_y;                    //  rows received so far
    uint32_t tile_row;                  //  the next tile row to cut
    uint8_t *pair;                      //  an even row, until the row below it comes
    uint8_t *half;                      //  the row made for the level below
} s_level_t;

//  A tile, an mf_bands item.
typedef struct s_tile {
    struct s_tile *next;                //  in the list of spare tiles
    uint32_t level;                     //  where it goes
    uint32_t col;
    uint32_t row;
    uint32_t width;                     //  pixels, overlap included
    uint32_t height;                    //  pixels
    uint8_t *rgb;                       //  its pixels (owned), TILE_BYTES
    int error;                          //  errno of a failed write, or 0
} s_tile_t;

struct _mf_dzi_t {
    char *dir;                          //  where NAME.dzi goes
    char *name;                         //  NAME
    char *files;                        //  dir/NAME_files
    uint32_t width;                     //  pixels of the full image
    uint32_t height;
    uint32_t max_level;                 //  the full image's level
    s_level_t levels [MAX_LEVELS];      //  0 to max_level
    mf_bands_t *bands;                  //  compresses and writes the tiles
    //  Tiles written, kept for the next ones: their memory is reused
    //  rather than mapped and faulted in anew (a tile is above malloc's
    //  mmap threshold). At most the pipeline's tiles in flight.
    s_tile_t *spare;
    volatile sig_atomic_t *stop;        //  set: stop (NULL: never)
    char why [PATH_MAX + 64];           //  the first tile that failed, and why
    bool failed;                        //  only good to destroy
};

uint32_t
mf_dzi_max_level (uint32_t width, uint32_t height)
{
    uint64_t largest = width > height? width: height;
    uint32_t level = 0;
    while (((uint64_t) 1 << level) < largest)
        level++;
    return level;
}

void
mf_dzi_level_size (uint32_t width, uint32_t height, uint32_t level,
                   uint32_t *level_width, uint32_t *level_height)
{
    uint32_t shift = mf_dzi_max_level (width, height) - level;
    assert (level <= mf_dzi_max_level (width, height));
    *level_width = (uint32_t) (((uint64_t) width + ((uint64_t) 1 << shift) - 1) >> shift);
    *level_height = (uint32_t) (((uint64_t) height + ((uint64_t) 1 << shift) - 1) >> shift);
}

//  The first row (or column) of tile index, its overlap included.
static uint32_t
s_tile_start (uint32_t index)
{
    return index? index * MF_DZI_TILE - MF_DZI_OVERLAP: 0;
}

//  One past the last row (or column) of tile index in size pixels.
static uint32_t
s_tile_end (uint32_t index, uint32_t size)
{
    uint64_t end = (uint64_t) (index + 1) * MF_DZI_TILE + MF_DZI_OVERLAP;
    return end < size? (uint32_t) end: size;
}

//  ---------------------------------------------------------------------
//  Tiles, on the pipeline

static void *
s_scratch_new (void *arg)
{
    return arg;                         //  mf_png has its own; non-NULL says all is well
}

static void
s_scratch_free (void *arg, void *scratch)
{
}

//  Compresses a tile and writes its file (on a pipeline thread).
static int
s_make (void *arg, void *scratch, void *item)
{
    mf_dzi_t *self = arg;
    s_tile_t *tile = item;
    char path [PATH_MAX], why [128];
    if (snprintf (path, sizeof path, "%s/%u/%u_%u." MF_DZI_FORMAT, self->files, tile->level,
                  tile->col, tile->row) >= (int) sizeof path) {
        tile->error = ENAMETOOLONG;
        return 0;
    }
    FILE *file = fopen (path, "wbe");
    if (!file) {
        tile->error = errno;
        return 0;
    }
    mf_png_opts_t opts = {
        .width = tile->width, .height = tile->height, .level = MF_PNG_DEFAULT_LEVEL,
        .lend_rows = true
    };
    errno = 0;
    mf_png_t *png = mf_png_open (file, &opts, why, sizeof why);
    int rc = png? mf_png_write_rows (png, tile->rgb, tile->height): -1;
    if (png && (mf_png_finish (&png) || rc))
        rc = -1;
    //  A write that failed left its errno; anything else is memory.
    if (rc)
        tile->error = ferror (file)? (errno? errno: EIO): ENOMEM;
    if (fclose (file) && !tile->error)
        tile->error = errno? errno: EIO;
    return 0;
}

//  Takes a tile back, in order, on the caller's thread: reports the
//  first that failed.
static int
s_write (void *arg, void *item)
{
    mf_dzi_t *self = arg;
    s_tile_t *tile = item;
    if (!tile->error)
        return 0;
    snprintf (self->why, sizeof self->why, "cannot write the tile %s/%u/%u_%u." MF_DZI_FORMAT
              ": %s", self->files, tile->level, tile->col, tile->row, strerror (tile->error));
    return -1;
}

//  Keeps a tile done with for the next one (on the caller's thread, as
//  every free_item of mf_bands is).
static void
s_free_item (void *arg, void *item)
{
    mf_dzi_t *self = arg;
    s_tile_t *tile = item;
    tile->next = self->spare;
    self->spare = tile;
}

//  A spare tile, or a new one. Returns NULL when out of memory.
static s_tile_t *
s_tile_new (mf_dzi_t *self)
{
    s_tile_t *tile = self->spare;
    if (tile)
        self->spare = tile->next;
    else {
        tile = calloc (1, sizeof *tile);
        if (tile)
            tile->rgb = malloc (TILE_BYTES);
        if (tile && !tile->rgb) {
            free (tile);
            tile = NULL;
        }
    }
    if (tile)
        tile->error = 0;
    return tile;
}

static const mf_bands_fns_t s_tile_fns = {
    s_scratch_new, s_scratch_free, s_make, s_write, s_free_item
};

//  ---------------------------------------------------------------------
//  The pyramid

static int
s_fail (mf_dzi_t *self, char *err, size_t errlen)
{
    self->failed = true;
    if (self->stop && *self->stop)
        snprintf (err, errlen, "interrupted");
    else
    if (self->why [0])
        snprintf (err, errlen, "%s", self->why);
    else
        snprintf (err, errlen, "out of memory");
    return -1;
}

//  Cuts the tiles of level's current tile row out of its band and hands
//  them to the pipeline. Returns 0 or -1.
static int
s_cut (mf_dzi_t *self, uint32_t index)
{
    s_level_t *level = &self->levels [index];
    uint32_t y0 = s_tile_start (level->tile_row), y1 = s_tile_end (level->tile_row,
                                                                    level->height);
    assert (level->band_y == y0 && level->next_y == y1);
    for (uint32_t col = 0; col < level->cols; col++) {
        uint32_t x0 = s_tile_start (col), x1 = s_tile_end (col, level->width);
        s_tile_t *tile = s_tile_new (self);
        if (!tile)
            return -1;
        tile->level = index;
        tile->col = col;
        tile->row = level->tile_row;
        tile->width = x1 - x0;
        tile->height = y1 - y0;
        size_t line = (size_t) tile->width * 3;
        for (uint32_t y = 0; y < tile->height; y++)
            memcpy (tile->rgb + y * line, level->band + y * level->row_size + (size_t) x0 * 3,
                    line);
        if (mf_bands_submit (self->bands, tile))
            return -1;
    }
    //  Keep what the next tile row shares with this one.
    level->tile_row++;
    if (level->tile_row < level->rows) {
        uint32_t next = s_tile_start (level->tile_row);
        memmove (level->band, level->band + (size_t) (next - y0) * level->row_size,
                 (size_t) (y1 - next) * level->row_size);
        level->band_y = next;
    }
    return 0;
}

//  Shrinks rows a and b (NULL at an odd bottom edge) of width pixels
//  into a row of ceil(width / 2) pixels, into out.
static void
s_shrink (const uint8_t *a, const uint8_t *b, uint32_t width, uint8_t *out)
{
    uint32_t pairs = width / 2;
    for (uint32_t x = 0; x < pairs; x++, a += 6, out += 3) {
        if (b) {
            for (int ch = 0; ch < 3; ch++)
                out [ch] = (uint8_t) ((a [ch] + a [ch + 3] + b [ch] + b [ch + 3] + 2) >> 2);
            b += 6;
        }
        else
            for (int ch = 0; ch < 3; ch++)
                out [ch] = (uint8_t) ((a [ch] + a [ch + 3] + 1) >> 1);
    }
    if (width & 1)
        for (int ch = 0; ch < 3; ch++)
            out [ch] = b? (uint8_t) ((a [ch] + b [ch] + 1) >> 1): a [ch];
}

//  Takes the next row of level index, and sends what it makes down the
//  pyramid. Returns 0 or -1.
static int
s_push (mf_dzi_t *self, uint32_t index, const uint8_t *rgb)
{
    s_level_t *level = &self->levels [index];
    uint32_t y = level->next_y++;
    assert (y < level->height);
    memcpy (level->band + (size_t) (y - level->band_y) * level->row_size, rgb, level->row_size);
    //  The last row can end two tile rows: one whose overlap it is, and
    //  the one made of it alone (a height of 254 k + 1).
    while (level->tile_row < level->rows
       &&  y + 1 == s_tile_end (level->tile_row, level->height))
        if (s_cut (self, index))
            return -1;
    if (index == 0)
        return 0;
    if (y % 2 == 0 && y + 1 < level->height) {
        memcpy (level->pair, rgb, level->row_size);
        return 0;
    }
    s_shrink (y % 2? level->pair: rgb, y % 2? rgb: NULL, level->width, level->half);
    return s_push (self, index - 1, level->half);
}

void
mf_dzi_destroy (mf_dzi_t **self_p)
{
    assert (self_p);
    mf_dzi_t *self = *self_p;
    if (self) {
        mf_bands_destroy (&self->bands);    //  its tiles become spare
        while (self->spare) {
            s_tile_t *tile = self->spare;
            self->spare = tile->next;
            free (tile->rgb);
            free (tile);
        }
        for (uint32_t index = 0; index < MAX_LEVELS; index++) {
            free (self->levels [index].band);
            free (self->levels [index].pair);
            free (self->levels [index].half);
        }
        free (self->dir);
        free (self->name);
        free (self->files);
        free (self);
        *self_p = NULL;
    }
}

//  Whether name is letters, digits, - and _ only (1 or more).
static bool
s_name_ok (const char *name)
{
    if (!*name)
        return false;
    for (const char *at = name; *at; at++)
        if (!((*at >= 'a' && *at <= 'z') || (*at >= 'A' && *at <= 'Z')
           || (*at >= '0' && *at <= '9') || *at == '-' || *at == '_'))
            return false;
    return true;
}

mf_dzi_t *
mf_dzi_open (const char *dir, const mf_dzi_opts_t *opts, char *err, size_t errlen)
{
    assert (dir && opts && opts->name && s_name_ok (opts->name));
    if (opts->width == 0 || opts->height == 0) {
        snprintf (err, errlen, "cannot make a tile pyramid of a %ux%u image",
                  opts->width, opts->height);
        return NULL;
    }
    mf_dzi_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->width = opts->width;
    self->height = opts->height;
    self->stop = opts->stop;
    self->max_level = mf_dzi_max_level (opts->width, opts->height);
    size_t files_len = strlen (dir) + strlen (opts->name) + 8;
    self->dir = strdup (dir);
    self->name = strdup (opts->name);
    self->files = malloc (files_len);
    bool ok = self->dir && self->name && self->files;
    if (ok)
        snprintf (self->files, files_len, "%s/%s_files", dir, opts->name);
    for (uint32_t index = 0; ok && index <= self->max_level; index++) {
        s_level_t *level = &self->levels [index];
        mf_dzi_level_size (opts->width, opts->height, index, &level->width, &level->height);
        level->cols = (level->width + MF_DZI_TILE - 1) / MF_DZI_TILE;
        level->rows = (level->height + MF_DZI_TILE - 1) / MF_DZI_TILE;
        size_t band;
        ok = mf_mul_size (level->width, 3, &level->row_size) == 0
          && mf_mul_size (level->row_size, BAND_ROWS, &band) == 0;
        if (ok) {
            level->band = malloc (band);
            level->pair = index? malloc (level->row_size): NULL;
            //  Half a row of this level, rounded up: a row of the one below.
            level->half = index? malloc (level->row_size / 2 + 3): NULL;
            ok = level->band && (!index || (level->pair && level->half));
        }
    }
    if (ok)
        self->bands = mf_bands_new (&s_tile_fns, self, opts->threads, opts->stop);
    if (!ok || !self->bands) {
        snprintf (err, errlen, "out of memory for the tile pyramid of a %ux%u image",
                  opts->width, opts->height);
        mf_dzi_destroy (&self);
        return NULL;
    }
    char path [PATH_MAX];
    int rc = mkdir (self->files, 0777);
    for (uint32_t index = 0; rc == 0 && index <= self->max_level; index++) {
        if (snprintf (path, sizeof path, "%s/%u", self->files, index) >= (int) sizeof path) {
            errno = ENAMETOOLONG;
            rc = -1;
        }
        else
            rc = mkdir (path, 0777);
    }
    if (rc) {
        snprintf (err, errlen, "cannot make the folders of the tiles in '%s': %s", dir,
                  strerror (errno));
        mf_dzi_destroy (&self);
        return NULL;
    }
    return self;
}

int
mf_dzi_write_rows (mf_dzi_t *self, const uint8_t *rgb, uint32_t rows, char *err, size_t errlen)
{
    assert (self);
    s_level_t *full = &self->levels [self->max_level];
    if (self->failed || rows > full->height - full->next_y) {
        if (!self->failed)
            snprintf (self->why, sizeof self->why, "the image has %u rows, not %u",
                      full->height, full->next_y + rows);
        return s_fail (self, err, errlen);
    }
    if (self->stop && *self->stop)
        return s_fail (self, err, errlen);
    for (uint32_t index = 0; index < rows; index++, rgb += full->row_size)
        if (s_push (self, self->max_level, rgb))
            return s_fail (self, err, errlen);
    return 0;
}

int
mf_dzi_finish (mf_dzi_t *self, char *err, size_t errlen)
{
    assert (self);
    s_level_t *full = &self->levels [self->max_level];
    if (!self->failed && full->next_y < full->height)
        snprintf (self->why, sizeof self->why, "the image is missing %u of its %u rows",
                  full->height - full->next_y, full->height);
    if (self->failed || full->next_y < full->height || mf_bands_finish (self->bands))
        return s_fail (self, err, errlen);
    //  Every level is whole: each row of a level made one of the next.
    for (uint32_t index = 0; index <= self->max_level; index++)
        assert (self->levels [index].next_y == self->levels [index].height
                && self->levels [index].tile_row == self->levels [index].rows);
    char path [PATH_MAX];
    FILE *file = NULL;
    if (snprintf (path, sizeof path, "%s/%s.dzi", self->dir, self->name) < (int) sizeof path)
        file = fopen (path, "we");
    if (file)
        fprintf (file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\" Format=\""
                 MF_DZI_FORMAT "\" Overlap=\"%d\" TileSize=\"%d\">\n"
                 "  <Size Width=\"%u\" Height=\"%u\"/>\n</Image>\n",
                 MF_DZI_OVERLAP, MF_DZI_TILE, self->width, self->height);
    int failed = !file || ferror (file);
    int saved = errno;
    if (file && fclose (file) && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        snprintf (self->why, sizeof self->why, "cannot write '%s/%s.dzi': %s", self->dir,
                  self->name, strerror (saved));
        return s_fail (self, err, errlen);
    }
    return 0;
}
