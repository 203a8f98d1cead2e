/*  mf_npy: see mf_npy.h. The header is padded with spaces and a newline
    so that the data starts at a multiple of 64 bytes, as NumPy does.
*/
#include "mf_npy.h"
#include "mf_le.h"
#include "mf_util.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct _mf_npy_t {
    FILE *file;                         //  borrowed stream
    uint32_t width;                     //  values per row
    size_t value;                       //  bytes of a value: 4, or 8 (f64)
    uint32_t height;                    //  rows in all
    uint32_t rows_written;              //  rows so far
    int failed;                         //  1 after a failed write
};

mf_npy_t *
mf_npy_new (FILE *file, uint32_t width, uint32_t height, bool f64)
{
    char dict [128];
    int len = snprintf (dict, sizeof dict,
                        "{'descr': '<f%c', 'fortran_order': False, 'shape': (%u, %u), }",
                        f64? '8': '4', height, width);
    //  magic(6) + version(2) + header length(2) + dict, padded to 64, ending in \n
    size_t total = 10 + (size_t) len + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t header_len = padded - 10;
    uint8_t header [256];
    memcpy (header, "\x93NUMPY\x01\x00", 8);
    header [8] = (uint8_t) header_len;
    header [9] = (uint8_t) (header_len >> 8);
    memcpy (header + 10, dict, (size_t) len);
    memset (header + 10 + len, ' ', padded - 10 - (size_t) len);
    header [padded - 1] = '\n';
    if (fwrite (header, 1, padded, file) != padded)
        return NULL;
    mf_npy_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->file = file;
    self->value = f64? 8: 4;
    self->width = width;
    self->height = height;
    return self;
}

int
mf_npy_write_rows (mf_npy_t *self, const void *mu, uint32_t rows)
{
    assert (self);
    if (self->failed || self->rows_written + rows > self->height)
        return -1;
    size_t count;
    if (mf_mul_size (rows, self->width, &count))
        return -1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (fwrite (mu, self->value, count, self->file) != count)
        self->failed = 1;
#else
    uint8_t bytes [8192];
    for (size_t done = 0; done < count && !self->failed; done += 1024) {
        size_t chunk = count - done < 1024? count - done: 1024;
        if (self->value == 8)
            for (size_t index = 0; index < chunk; index++) {
                uint64_t bits;
                memcpy (&bits, (const double *) mu + done + index, 8);
                for (int byte = 0; byte < 8; byte++)
                    bytes [8 * index + byte] = (uint8_t) (bits >> (8 * byte));
            }
        else
            mf_le_put_f32s (bytes, (const float *) mu + done, chunk);
        if (fwrite (bytes, self->value, chunk, self->file) != chunk)
            self->failed = 1;
    }
#endif
    self->rows_written += rows;
    return self->failed? -1: 0;
}

int
mf_npy_finish (mf_npy_t **self_p)
{
    assert (self_p);
    mf_npy_t *self = *self_p;
    if (!self)
        return -1;
    int rc = (!self->failed && self->rows_written == self->height)? 0: -1;
    mf_npy_destroy (self_p);
    return rc;
}

void
mf_npy_destroy (mf_npy_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}
