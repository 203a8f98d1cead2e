/*  mf_poster: see poster.h. The window is a ring of bands: band b sits
    in slot b % window while front <= b < front + window. Each slot
    counts the tiles it has, and a byte per tile of the window says which
    (a duplicate, or a tile given twice, counts once).
*/
#include "poster.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _mf_poster_t {
    mf_poster_spec_t spec;
    uint32_t cols;                      //  tiles per band
    uint32_t bands;                     //  bands in all
    uint32_t front;                     //  the first band not written
    size_t band_bytes;                  //  bytes of one band's mu (a full one)
    uint8_t *memory;                    //  window * band_bytes
    uint32_t *have;                     //  per slot: tiles it has
    uint8_t *taken;                     //  per slot and column: that tile is in
    mf_poster_write_fn *write;          //  writes a band
    void *arg;                          //  its argument
};

uint32_t
mf_poster_window_for (uint32_t width, uint32_t edge, size_t value, size_t bytes)
{
    size_t band = (size_t) width * edge * value;
    size_t window = band? bytes / band: MF_POSTER_MAX_WINDOW;
    if (window < MF_POSTER_MIN_WINDOW)
        window = MF_POSTER_MIN_WINDOW;
    if (window > MF_POSTER_MAX_WINDOW)
        window = MF_POSTER_MAX_WINDOW;
    return (uint32_t) window;
}

int
mf_poster_to_outputs (void *outputs, const void *mu, uint32_t rows, char *err, size_t errlen)
{
    for (mf_output_t **output = outputs; *output; output++)
        if (mf_output_write_rows (*output, mu, rows, err, errlen))
            return -1;
    return 0;
}

mf_poster_t *
mf_poster_new (const mf_poster_spec_t *spec, mf_poster_write_fn *write, void *arg)
{
    assert (spec->window >= MF_POSTER_MIN_WINDOW && spec->window <= MF_POSTER_MAX_WINDOW);
    assert (spec->value == sizeof (float) || spec->value == sizeof (double));
    mf_poster_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->spec = *spec;
    self->cols = spec->width / spec->edge + (spec->width % spec->edge != 0);
    self->bands = spec->height / spec->edge + (spec->height % spec->edge != 0);
    self->band_bytes = (size_t) spec->width * spec->edge * spec->value;
    self->memory = malloc (spec->window * self->band_bytes);
    self->have = calloc (spec->window, sizeof *self->have);
    self->taken = calloc ((size_t) spec->window * self->cols, 1);
    self->write = write;
    self->arg = arg;
    if (!self->memory || !self->have || !self->taken)
        mf_poster_destroy (&self);
    return self;
}

void
mf_poster_destroy (mf_poster_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        mf_poster_t *self = *self_p;
        free (self->memory);
        free (self->have);
        free (self->taken);
        free (self);
        *self_p = NULL;
    }
}

//  The band of a tile, and whether the window holds it.
static bool
s_held (const mf_poster_t *self, uint32_t tile, uint32_t *band)
{
    *band = tile / self->cols;
    return *band >= self->front && *band - self->front < self->spec.window;
}

bool
mf_poster_tile (mf_poster_t *self, uint32_t tile, const mf_rect_t *rect, const void *mu,
                size_t stride)
{
    uint32_t band;
    if (!s_held (self, tile, &band))
        return false;
    uint32_t slot = band % self->spec.window;
    uint8_t *taken = &self->taken [(size_t) slot * self->cols + tile % self->cols];
    size_t value = self->spec.value, width = self->spec.width;
    uint8_t *dst = self->memory + slot * self->band_bytes
                 + ((size_t) (rect->y - band * self->spec.edge) * width + rect->x) * value;
    for (uint32_t row = 0; row < rect->h; row++)
        memcpy (dst + row * width * value, (const uint8_t *) mu + row * stride * value,
                rect->w * value);
    if (!*taken) {
        *taken = 1;
        self->have [slot]++;
    }
    return true;
}

int
mf_poster_withdraw (mf_poster_t *self, uint32_t tile)
{
    uint32_t band;
    if (!s_held (self, tile, &band))
        return band < self->front? -1: 0;
    uint32_t slot = band % self->spec.window;
    uint8_t *taken = &self->taken [(size_t) slot * self->cols + tile % self->cols];
    if (*taken) {
        *taken = 0;
        self->have [slot]--;
    }
    return 0;
}

int
mf_poster_flush (mf_poster_t *self, char *err, size_t errlen)
{
    while (self->front < self->bands) {
        uint32_t slot = self->front % self->spec.window;
        if (self->have [slot] < self->cols)
            break;
        uint32_t top = self->front * self->spec.edge;
        uint32_t rows = self->spec.height - top < self->spec.edge
                      ? self->spec.height - top: self->spec.edge;
        const uint8_t *band = self->memory + slot * self->band_bytes;
        if (self->write (self->arg, band, rows, err, errlen))
            return -1;
        //  The slot serves the band after the window from now on.
        self->have [slot] = 0;
        memset (self->taken + (size_t) slot * self->cols, 0, self->cols);
        self->front++;
    }
    return 0;
}

uint32_t
mf_poster_horizon (const mf_poster_t *self)
{
    uint64_t end = (uint64_t) self->front + self->spec.window;
    if (end > self->bands)
        end = self->bands;
    return (uint32_t) (end * self->cols);
}

void
mf_poster_bands (const mf_poster_t *self, uint32_t *written, uint32_t *total)
{
    *written = self->front;
    *total = self->bands;
}

size_t
mf_poster_bytes (const mf_poster_t *self)
{
    return self->spec.window * self->band_bytes;
}

//  ---------------------------------------------------------------------
//  The spill file

struct _mf_spill_t {
    int fd;                             //  the file, without a name
    uint32_t width;                     //  values a row
    size_t value;                       //  bytes a value
    uint64_t written;                   //  bytes written so far
};

mf_spill_t *
mf_spill_new (const char *dir, uint32_t width, size_t value, char *err, size_t errlen)
{
    mf_spill_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->width = width;
    self->value = value;
    self->fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (self->fd < 0) {
        //  No O_TMPFILE here (an old kernel, some file systems): a name,
        //  removed at once.
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/.mandelfarm-spill-XXXXXX", dir);
        self->fd = mkostemp (path, O_CLOEXEC);
        if (self->fd >= 0)
            unlink (path);
    }
    if (self->fd < 0) {
        snprintf (err, errlen, "cannot make a spill file in '%s': %s", dir, strerror (errno));
        free (self);
        return NULL;
    }
    return self;
}

void
mf_spill_destroy (mf_spill_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        close ((*self_p)->fd);
        free (*self_p);
        *self_p = NULL;
    }
}

int
mf_spill_write (void *arg, const void *mu, uint32_t rows, char *err, size_t errlen)
{
    mf_spill_t *self = arg;
    size_t size = (size_t) rows * self->width * self->value;
    for (size_t done = 0; done < size; ) {
        ssize_t some = pwrite (self->fd, (const uint8_t *) mu + done, size - done,
                               (off_t) (self->written + done));
        if (some < 0 && errno == EINTR)
            continue;
        if (some <= 0) {
            snprintf (err, errlen, "cannot write the spill file: %s",
                      some < 0? strerror (errno): "nothing written");
            return -1;
        }
        done += (size_t) some;
    }
    self->written += size;
    return 0;
}

//  Reads size bytes at offset. Returns 0 or -1.
static int
s_spill_pread (mf_spill_t *self, void *out, size_t size, uint64_t offset)
{
    if (offset + size > self->written)
        return -1;
    for (size_t done = 0; done < size; ) {
        ssize_t some = pread (self->fd, (uint8_t *) out + done, size - done,
                              (off_t) (offset + done));
        if (some < 0 && errno == EINTR)
            continue;
        if (some <= 0)
            return -1;
        done += (size_t) some;
    }
    return 0;
}

int
mf_spill_read (void *arg, size_t first, size_t count, double *out)
{
    mf_spill_t *self = arg;
    assert (self->value == sizeof (double));
    return s_spill_pread (self, out, count * sizeof *out, (uint64_t) first * sizeof *out);
}

int
mf_spill_read_rows (mf_spill_t *self, uint32_t y, uint32_t rows, void *out)
{
    size_t row = (size_t) self->width * self->value;
    return s_spill_pread (self, out, rows * row, (uint64_t) y * row);
}
