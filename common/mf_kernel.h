/*  mf_kernel: escape-time iteration of one tile, behind one function
    pointer chosen once at start-up from what the CPU supports.

    Every variant computes, for each pixel of the tile, exactly the bits
    of mf_kernel_reference: the same sample points (mf_region.h), the same
    iteration with fused multiply-adds, in the same order:

        yy = y*y;  x' = fma(x, x, cr - yy);  y' = fma(x + x, y, ci)

    and the same escape test and mu (mf_mu.h). Shortcuts (interior tests,
    cycle detection, amortised escape tests) are allowed only where they
    cannot change a bit of the output.
*/
#ifndef MF_KERNEL_H
#define MF_KERNEL_H

#include "mf_region.h"
#include "mf_tiles.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    mf_mapping_t map;           //  pixel -> c mapping of the whole image
    uint32_t maxiter;           //  maximum iterations, >= 1
    mf_rect_t rect;             //  the tile, in pixels of the whole image
} mf_task_t;

//  Computes mu for every pixel of task->rect into mu (rect.w * rect.h
//  floats, row-major, row 0 at the top). Returns the number of iterations
//  actually performed (for statistics only).
typedef uint64_t (*mf_kernel_fn) (const mf_task_t *task, float *mu);

typedef struct {
    const char *name;           //  what --kernel takes and workers report
    mf_kernel_fn fn;            //  the tile function
    int (*supported) (void);    //  1 if this CPU can run it
} mf_kernel_t;

//  The plain scalar loop every variant must match bit for bit.
uint64_t mf_kernel_reference (const mf_task_t *task, float *mu);

//  All compiled variants, fastest first; count receives their number.
const mf_kernel_t *mf_kernel_list (size_t *count);

//  The fastest variant this CPU supports.
const mf_kernel_t *mf_kernel_best (void);

//  The variant named name ("auto" means the best), or NULL when no such
//  variant exists or this CPU cannot run it.
const mf_kernel_t *mf_kernel_find (const char *name);

//  A comma-separated list of the variant names this CPU supports, for
//  messages; the string is static.
const char *mf_kernel_names (void);

#endif
