/*  mf_output: see mf_output.h. A PNG output is an mf_png writer whose
    rows are mu, colored by the palette on the compressing threads; a
    .npy output is an mf_npy writer fed a slice of rows at a time, the
    stop flag read between slices. Both write into an mf_outfile.

    A DZI output is an mf_outdir holding an mf_dzi pyramid, then the web
    page. Its rows are colored in slices on a pipeline of threads of its
    own (mf_bands) and handed to the pyramid in order; the pyramid
    compresses its tiles on another.
*/
#include "mf_output.h"
#include "mf_bands.h"
#include "mf_dzi.h"
#include "mf_npy.h"
#include "mf_outdir.h"
#include "mf_outfile.h"
#include "mf_png.h"
#include "mf_util.h"
#include "mf_version.h"
#include "mf_webview.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NPY_SLICE (1u << 20)            //  bytes of .npy written between looks at the stop flag
#define DZI_SLICE 32                    //  rows colored together for a DZI
#define COLOR_RUN 512                   //  pixels colored at a time at 16 bits

//  A slice of rows of a DZI output, an mf_bands item.
typedef struct s_slice {
    struct s_slice *next;               //  in the list of spare slices
    const void *mu;                     //  its rows of mu (lent, or copy)
    void *copy;                         //  owned: DZI_SLICE rows, when not lent
    uint32_t rows;                      //  how many
    uint8_t *rgb;                       //  owned: made, the rows in RGB
} s_slice_t;

struct _mf_output_t {
    mf_output_format_t format;          //  what it writes
    char *path;                         //  the final name, for messages
    mf_outfile_t *file;                 //  the temporary file
    mf_png_t *png;                      //  PNG: the writer (NULL once finished)
    mf_npy_t *npy;                      //  .npy: the writer (NULL once finished)
    mf_outdir_t *dir;                   //  DZI: the temporary folder
    mf_dzi_t *dzi;                      //  DZI: the pyramid (NULL once finished)
    mf_bands_t *slices;                 //  DZI: colors slices, hands them to the pyramid
    s_slice_t *spare;                   //  DZI: slices done with, their memory reused
    mf_webview_page_t page;             //  DZI: what the page says (its strings owned)
    char library [PATH_MAX];            //  DZI: the OpenSeadragon files
    char why [PATH_MAX + 128];          //  DZI: why the pyramid failed
    const mf_palette_t *palette;        //  PNG, DZI: colors mu
    bool mu64;                          //  mu are doubles
    size_t value;                       //  bytes of one mu: 4, or 8 with mu64
    bool dense;                         //  PNG, DZI: density applies
    mf_deep_density_t density;          //  ... this one
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    uint32_t rows_given;                //  rows received so far
    bool lend;                          //  DZI: rows are read in place
    volatile sig_atomic_t *stop;        //  set: stop (NULL: never)
    bool finished;                      //  the end is written
    bool failed;                        //  only good to abort
};

void
mf_output_view_text (const mf_view_t *view, char *center, size_t center_size,
                     char *width, size_t width_size)
{
    char re [32], im [32];
    mf_format_exact (view->center_re, re, sizeof re);
    mf_format_exact (view->center_im, im, sizeof im);
    snprintf (center, center_size, "%s,%s", re, im);
    mf_format_exact (view->width, width, width_size);
}

//  The kind of values the rows hold, and the density they go through.
static void
s_set_values (mf_output_t *self, const mf_output_spec_t *spec)
{
    //  Only a deep view's doubles have a density (mf_deep_density_apply).
    assert (!spec->density || spec->mu64);
    self->mu64 = spec->mu64;
    self->value = spec->mu64? sizeof (double): sizeof (float);
    self->dense = spec->density != NULL;
    if (spec->density)
        self->density = *spec->density;
}

static bool
s_stopped (mf_output_t *self)
{
    return self->stop && *self->stop;
}

//  Says why writing failed, in err, and marks the output failed.
static int
s_fail (mf_output_t *self, int saved_errno, char *err, size_t errlen)
{
    self->failed = true;
    const char *what = self->format == MF_OUTPUT_PNG? "the PNG "
                     : self->format == MF_OUTPUT_DZI? "the tile pyramid ": "";
    if (s_stopped (self))
        snprintf (err, errlen, "interrupted while writing %s'%s'; nothing written",
                  what, self->path);
    else
    if (self->format == MF_OUTPUT_DZI)
        snprintf (err, errlen, "cannot write %s'%s': %s", what, self->path,
                  self->why [0]? self->why: "out of memory");
    else
    if (ferror (mf_outfile_stream (self->file)))
        snprintf (err, errlen, "cannot write %s'%s': %s", what, self->path,
                  strerror (saved_errno));
    else
        snprintf (err, errlen, "cannot write %s'%s': out of memory", what, self->path);
    return -1;
}

//  The floats the palette colors for some doubles of mu: through the
//  density when there is one.
static void
s_palette_input (const mf_output_t *self, const double *mu, size_t count, float *out)
{
    if (self->dense)
        mf_deep_density_apply (&self->density, mu, count, out);
    else
        for (size_t index = 0; index < count; index++)
            out [index] = (float) mu [index];
}

//  Colors count values of mu (for mf_png, from its threads, and the DZI's
//  slices).
static void
s_color (void *arg, const void *pixels, size_t count, uint8_t *rgb)
{
    const mf_output_t *self = arg;
    if (!self->mu64) {
        mf_palette_color (self->palette, pixels, count, rgb);
        return;
    }
    float run [COLOR_RUN];
    for (size_t done = 0; done < count; ) {
        size_t some = count - done < COLOR_RUN? count - done: COLOR_RUN;
        s_palette_input (self, (const double *) pixels + done, some, run);
        mf_palette_color (self->palette, run, some, rgb + 3 * done);
        done += some;
    }
}

//  Colors count values of mu at 16 bits, big-endian as PNG has them.
static void
s_color16 (void *arg, const void *pixels, size_t count, uint8_t *rgb)
{
    const mf_output_t *self = arg;
    uint16_t run [3 * COLOR_RUN];
    float values [COLOR_RUN];
    for (size_t done = 0; done < count; ) {
        size_t some = count - done < COLOR_RUN? count - done: COLOR_RUN;
        const float *mu = (const float *) pixels + done;
        if (self->mu64) {
            s_palette_input (self, (const double *) pixels + done, some, values);
            mu = values;
        }
        mf_palette_color16 (self->palette, mu, some, run);
        for (size_t index = 0; index < 3 * some; index++, rgb += 2) {
            rgb [0] = (uint8_t) (run [index] >> 8);
            rgb [1] = (uint8_t) run [index];
        }
        done += some;
    }
}

static int
s_open_png (mf_output_t *self, const mf_output_spec_t *spec, char *err, size_t errlen)
{
    char size [32], iter [16], software [48], bits [24];
    snprintf (size, sizeof size, "%ux%u", spec->width, spec->height);
    snprintf (iter, sizeof iter, "%u", spec->maxiter);
    snprintf (software, sizeof software, "mandelfarm %s", MF_VERSION);
    mf_png_text_t texts [] = {
        { "Center", spec->center }, { "Width", spec->span }, { "Size", size },
        { "Iterations", iter }, { "Palette", mf_palette_name (spec->palette) },
        { "Software", software }, { "Reference", spec->reference },
        { "ReferenceBits", bits }
    };
    snprintf (bits, sizeof bits, "%ld", spec->reference_bits);
    mf_png_opts_t opts = {
        .width = spec->width, .height = spec->height,
        .texts = texts, .count = sizeof texts / sizeof texts [0] - (spec->reference? 0: 2),
        .level = MF_PNG_DEFAULT_LEVEL, .threads = spec->threads, .depth = spec->depth,
        .pixel_size = self->value, .color = spec->depth == 16? s_color16: s_color,
        .color_arg = self,
        .lend_rows = spec->lend_rows, .stop = spec->stop
    };
    char why [256];
    self->png = mf_png_open (mf_outfile_stream (self->file), &opts, why, sizeof why);
    if (!self->png) {
        snprintf (err, errlen, "cannot write the PNG '%s': %s", self->path, why);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------
//  DZI: slices of rows colored on the pipeline, given to the pyramid in
//  order

static void *
s_slice_scratch (void *arg)
{
    return arg;                         //  nothing to keep; non-NULL says all is well
}

static void
s_slice_scratch_free (void *arg, void *scratch)
{
}

//  Colors a slice (on a pipeline thread).
static int
s_slice_make (void *arg, void *scratch, void *item)
{
    mf_output_t *self = arg;
    s_slice_t *slice = item;
    s_color (self, slice->mu, (size_t) slice->rows * self->width, slice->rgb);
    return 0;
}

//  Gives a colored slice to the pyramid (on the caller's thread, in order).
static int
s_slice_write (void *arg, void *item)
{
    mf_output_t *self = arg;
    s_slice_t *slice = item;
    return mf_dzi_write_rows (self->dzi, slice->rgb, slice->rows, self->why, sizeof self->why);
}

//  Keeps a slice done with for the next one (on the caller's thread).
static void
s_slice_free (void *arg, void *item)
{
    mf_output_t *self = arg;
    s_slice_t *slice = item;
    slice->next = self->spare;
    self->spare = slice;
}

//  A spare slice, or a new one with room for DZI_SLICE rows. Returns NULL
//  when out of memory.
static s_slice_t *
s_slice_new (mf_output_t *self)
{
    s_slice_t *slice = self->spare;
    if (slice) {
        self->spare = slice->next;
        return slice;
    }
    size_t pixels = (size_t) DZI_SLICE * self->width;
    slice = calloc (1, sizeof *slice);
    if (slice) {
        slice->rgb = malloc (pixels * 3);
        slice->copy = self->lend? NULL: malloc (pixels * self->value);
    }
    if (slice && (!slice->rgb || (!self->lend && !slice->copy))) {
        free (slice->rgb);
        free (slice->copy);
        free (slice);
        slice = NULL;
    }
    return slice;
}

static const mf_bands_fns_t s_slice_fns = {
    s_slice_scratch, s_slice_scratch_free, s_slice_make, s_slice_write, s_slice_free
};

static mf_output_t *
s_open_dzi (const char *path, const mf_output_spec_t *spec, char *err, size_t errlen)
{
    mf_output_t *self = calloc (1, sizeof *self);
    if (!self || !(self->path = strdup (path))
    ||  !(self->page.center = strdup (spec->center)) || !(self->page.span = strdup (spec->span))) {
        snprintf (err, errlen, "out of memory");
        mf_output_abort (&self);
        return NULL;
    }
    self->format = MF_OUTPUT_DZI;
    s_set_values (self, spec);
    self->palette = spec->palette;
    self->width = spec->width;
    self->height = spec->height;
    self->stop = spec->stop;
    self->lend = spec->lend_rows;
    self->page.name = MF_OUTPUT_DZI_NAME;
    self->page.width = spec->width;
    self->page.height = spec->height;
    self->page.maxiter = spec->maxiter;
    self->page.palette = mf_palette_name (spec->palette);
    if (mf_webview_find_library (self->library, sizeof self->library, err, errlen)
    ||  !(self->dir = mf_outdir_open (path, err, errlen))) {
        mf_output_abort (&self);
        return NULL;
    }
    mf_dzi_opts_t opts = {
        .name = MF_OUTPUT_DZI_NAME, .width = spec->width, .height = spec->height,
        .threads = spec->threads, .stop = spec->stop
    };
    char why [PATH_MAX + 128];
    self->dzi = mf_dzi_open (mf_outdir_path (self->dir), &opts, why, sizeof why);
    if (!self->dzi) {
        snprintf (err, errlen, "cannot write the tile pyramid '%s': %s", path, why);
        mf_output_abort (&self);
        return NULL;
    }
    self->slices = mf_bands_new (&s_slice_fns, self, spec->threads, spec->stop);
    if (!self->slices) {
        snprintf (err, errlen, "out of memory");
        mf_output_abort (&self);
        return NULL;
    }
    return self;
}

//  Hands rows of mu to the coloring pipeline a slice at a time. Returns
//  0 or -1.
static int
s_write_dzi (mf_output_t *self, const void *mu, uint32_t rows)
{
    for (uint32_t done = 0; done < rows; ) {
        s_slice_t *slice = s_slice_new (self);
        if (!slice)
            return -1;
        slice->rows = rows - done < DZI_SLICE? rows - done: DZI_SLICE;
        const uint8_t *from = (const uint8_t *) mu + (size_t) done * self->width * self->value;
        if (self->lend)
            slice->mu = from;
        else {
            memcpy (slice->copy, from, (size_t) slice->rows * self->width * self->value);
            slice->mu = slice->copy;
        }
        done += slice->rows;
        if (mf_bands_submit (self->slices, slice))
            return -1;
    }
    return 0;
}

//  The last slices, the last tiles, the descriptor, the page. Returns 0
//  or -1.
static int
s_finish_dzi (mf_output_t *self)
{
    if (mf_bands_finish (self->slices)
    ||  mf_dzi_finish (self->dzi, self->why, sizeof self->why))
        return -1;
    mf_bands_destroy (&self->slices);
    mf_dzi_destroy (&self->dzi);
    return mf_webview_write (self->dir, &self->page, self->library, self->why,
                             sizeof self->why);
}

mf_output_t *
mf_output_open (const char *path, const mf_output_spec_t *spec, char *err, size_t errlen)
{
    assert (path && spec);
    //  Sizes first, so that a refused one leaves not even a temporary file.
    if (mf_output_check (spec, err, errlen))
        return NULL;
    if (spec->format == MF_OUTPUT_DZI)
        return s_open_dzi (path, spec, err, errlen);
    mf_outfile_t *file = mf_outfile_open (path, err, errlen);
    if (!file)
        return NULL;
    return mf_output_adopt (&file, path, spec, err, errlen);
}

int
mf_output_check (const mf_output_spec_t *spec, char *err, size_t errlen)
{
    assert (spec->format == MF_OUTPUT_NPY || (spec->center && spec->span && spec->palette));
    size_t values, bytes;
    if (spec->format == MF_OUTPUT_PNG
    &&  mf_png_check_format (spec->width, spec->height, spec->depth? spec->depth: 8,
                             err, errlen))
        return -1;
    char library [PATH_MAX];
    if (spec->format == MF_OUTPUT_DZI
    &&  mf_webview_find_library (library, sizeof library, err, errlen))
        return -1;
    if (spec->width == 0 || spec->height == 0
    ||  mf_mul_size (spec->width, spec->height, &values)
    ||  mf_mul_size (values, spec->mu64? sizeof (double): sizeof (float), &bytes)) {
        snprintf (err, errlen, "cannot write a %ux%u image of mu", spec->width, spec->height);
        return -1;
    }
    return 0;
}

mf_output_t *
mf_output_adopt (mf_outfile_t **file_p, const char *path, const mf_output_spec_t *spec,
                 char *err, size_t errlen)
{
    assert (file_p && *file_p && path && spec);
    mf_output_t *self = NULL;
    if (spec->format == MF_OUTPUT_DZI)
        snprintf (err, errlen, "'%s': a tile pyramid is a folder, not a file", path);
    else
    if (mf_output_check (spec, err, errlen) == 0) {
        self = calloc (1, sizeof *self);
        if (self)
            self->path = strdup (path);
        if (!self || !self->path) {
            snprintf (err, errlen, "out of memory");
            free (self);
            self = NULL;
        }
    }
    if (!self) {
        mf_outfile_abort (file_p);
        return NULL;
    }
    self->format = spec->format;
    s_set_values (self, spec);
    self->palette = spec->palette;
    self->width = spec->width;
    self->height = spec->height;
    self->stop = spec->stop;
    self->file = *file_p;
    *file_p = NULL;
    int rc = 0;
    if (spec->format == MF_OUTPUT_PNG)
        rc = s_open_png (self, spec, err, errlen);
    else {
        self->npy = mf_npy_new (mf_outfile_stream (self->file), spec->width, spec->height,
                                spec->mu64);
        if (!self->npy) {
            snprintf (err, errlen, "cannot write '%s'", path);
            rc = -1;
        }
    }
    if (rc)
        mf_output_abort (&self);
    return self;
}

//  Writes rows of mu to the .npy a slice at a time. Returns 0 or -1.
static int
s_write_npy (mf_output_t *self, const void *mu, uint32_t rows)
{
    size_t row = (size_t) self->width * self->value;
    uint32_t slice = row < NPY_SLICE? (uint32_t) (NPY_SLICE / row): 1;
    for (uint32_t done = 0; done < rows; ) {
        if (s_stopped (self))
            return -1;
        uint32_t count = rows - done < slice? rows - done: slice;
        if (mf_npy_write_rows (self->npy, (const uint8_t *) mu + (size_t) done * row, count))
            return -1;
        done += count;
    }
    return 0;
}

int
mf_output_write_rows (mf_output_t *self, const void *mu, uint32_t rows,
                      char *err, size_t errlen)
{
    assert (self);
    if (self->failed || self->finished) {
        snprintf (err, errlen, "'%s' cannot take more rows", self->path);
        return -1;
    }
    if (rows > self->height - self->rows_given) {
        snprintf (err, errlen, "'%s' has %u rows, not %u", self->path, self->height,
                  self->rows_given + rows);
        self->failed = true;
        return -1;
    }
    int rc = self->format == MF_OUTPUT_PNG? mf_png_write_rows (self->png, mu, rows)
           : self->format == MF_OUTPUT_DZI? s_write_dzi (self, mu, rows)
           :                                s_write_npy (self, mu, rows);
    if (rc)
        return s_fail (self, errno, err, errlen);
    self->rows_given += rows;
    return 0;
}

int
mf_output_finish (mf_output_t *self, char *err, size_t errlen)
{
    assert (self);
    if (self->finished)
        return 0;
    if (self->failed) {
        snprintf (err, errlen, "cannot write '%s'", self->path);
        return -1;
    }
    if (self->rows_given < self->height) {
        snprintf (err, errlen, "'%s' is missing %u of its %u rows", self->path,
                  self->height - self->rows_given, self->height);
        self->failed = true;
        return -1;
    }
    int rc = self->format == MF_OUTPUT_PNG? mf_png_finish (&self->png)
           : self->format == MF_OUTPUT_DZI? s_finish_dzi (self)
           :                                mf_npy_finish (&self->npy);
    if (rc == 0 && s_stopped (self))
        rc = -1;                        //  the end is written, but a stop is a stop
    if (rc)
        return s_fail (self, errno, err, errlen);
    self->finished = true;
    return 0;
}

int
mf_output_commit (mf_output_t **self_p, char *err, size_t errlen)
{
    assert (self_p && *self_p);
    mf_output_t *self = *self_p;
    if (mf_output_finish (self, err, errlen)) {
        mf_output_abort (self_p);
        return -1;
    }
    int rc = self->format == MF_OUTPUT_DZI? mf_outdir_commit (&self->dir, err, errlen)
                                          : mf_outfile_commit (&self->file, err, errlen);
    mf_output_abort (self_p);           //  frees what is left; nothing to remove
    return rc;
}

void
mf_output_abort (mf_output_t **self_p)
{
    assert (self_p);
    mf_output_t *self = *self_p;
    if (self) {
        mf_png_destroy (&self->png);
        mf_npy_destroy (&self->npy);
        mf_outfile_abort (&self->file);
        //  The coloring threads feed the pyramid: they go first.
        mf_bands_destroy (&self->slices);   //  its slices become spare
        while (self->spare) {
            s_slice_t *slice = self->spare;
            self->spare = slice->next;
            free (slice->copy);
            free (slice->rgb);
            free (slice);
        }
        mf_dzi_destroy (&self->dzi);
        mf_outdir_abort (&self->dir);
        free ((char *) self->page.center);
        free ((char *) self->page.span);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

int
mf_output_write (const char *path, const mf_output_spec_t *spec, const void *mu,
                 char *err, size_t errlen)
{
    //  The image is all here: lend it, no copy.
    mf_output_spec_t lent = *spec;
    lent.lend_rows = true;
    mf_output_t *self = mf_output_open (path, &lent, err, errlen);
    if (!self)
        return -1;
    if (mf_output_write_rows (self, mu, spec->height, err, errlen)) {
        mf_output_abort (&self);
        return -1;
    }
    return mf_output_commit (&self, err, errlen);
}
