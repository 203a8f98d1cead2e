/*  mf_npy: writes mu as a NumPy .npy file (format 1.0): float32
    little-endian ('<f4') for a shallow view, float64 ('<f8') for a deep
    one, whose mu have iterations beyond 2^24 and keep their fraction;
    shape (height, width), C order, row 0 at the top. Rows are streamed
    in as they are finished.
*/
#ifndef MF_NPY_H
#define MF_NPY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct _mf_npy_t mf_npy_t;

//  Writes the header for a height x width array to file, of doubles when
//  f64 (else floats). Returns NULL on failure.
mf_npy_t *mf_npy_new (FILE *file, uint32_t width, uint32_t height, bool f64);

//  Writes rows rows of width values each (floats, or doubles). Returns 0
//  or -1.
int mf_npy_write_rows (mf_npy_t *self, const void *mu, uint32_t rows);

//  Checks every row was written, destroys the writer. Returns 0 or -1.
int mf_npy_finish (mf_npy_t **self_p);

//  Destroys the writer; safe twice, nulls the pointer.
void mf_npy_destroy (mf_npy_t **self_p);

#endif
