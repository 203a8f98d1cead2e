/*  mf_kernel: escape-time iteration of one tile, behind one function
    pointer chosen once at start-up from what the CPU supports.

    Every variant computes, for each pixel of the tile, exactly the bits
    of mf_kernel_reference: the same sample points (mf_region.h), the same
    iteration with fused multiply-adds, in the same order:

        yy = y*y;  x' = fma(x, x, cr - yy);  y' = fma(x + x, y, ci)

    and the same escape test and mu (mf_mu.h). Shortcuts (interior tests,
    cycle detection, amortised escape tests) are allowed only where they
    cannot change a bit of the output.

    A kernel can be stopped: it reads a flag that another thread may set
    (a cancelled job, a worker leaving), at least every few milliseconds
    of work whatever the tile and maxiter, and then gives up at once.

    The choice of variant (CPU detection, MF_KERNEL_DISABLE) is made once
    per process, at the first call into the registry, and kept.
*/
#ifndef MF_KERNEL_H
#define MF_KERNEL_H

#include "mf_region.h"
#include "mf_tiles.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    mf_mapping_t map;           //  pixel -> c mapping of the whole image
    uint32_t maxiter;           //  maximum iterations, >= 1
    mf_rect_t rect;             //  the tile, in pixels of the whole image
} mf_task_t;

//  What a kernel returns when it saw its stop flag set: the tile's mu is
//  then incomplete and must not be used.
#define MF_KERNEL_STOPPED UINT64_MAX

//  Computes mu for every pixel of task->rect into mu (rect.w * rect.h
//  floats, row-major, row 0 at the top). Returns the number of iterations
//  actually performed (for statistics only), or MF_KERNEL_STOPPED if it
//  saw *stop set before it finished (stop may be NULL: never stop). A
//  stop set too late to be seen leaves a complete tile.
typedef uint64_t (*mf_kernel_fn) (const mf_task_t *task, float *mu, const atomic_bool *stop);

typedef struct {
    const char *name;           //  what --kernel takes and workers report
    mf_kernel_fn fn;            //  the tile function
    int (*supported) (void);    //  1 if this CPU can run it (ignores MF_KERNEL_DISABLE)
} mf_kernel_t;

//  Environment variable: a comma-separated list of variant names to treat
//  as unsupported by this CPU, e.g. MF_KERNEL_DISABLE=avx512 to run and
//  test what an AVX2-only machine of the farm would.
#define MF_KERNEL_DISABLE_ENV "MF_KERNEL_DISABLE"

//  The plain scalar loop every variant must match bit for bit.
uint64_t mf_kernel_reference (const mf_task_t *task, float *mu, const atomic_bool *stop);

//  The variants (mf_kernel_simd.h says how they work): portable C, on
//  x86 AVX2+FMA and AVX-512, on aarch64 Advanced SIMD (call those only
//  where supported).
uint64_t mf_kernel_scalar (const mf_task_t *task, float *mu, const atomic_bool *stop);
#if defined (__x86_64__) || defined (__i386__)
uint64_t mf_kernel_avx2 (const mf_task_t *task, float *mu, const atomic_bool *stop);
int mf_kernel_avx2_supported (void);
uint64_t mf_kernel_avx512 (const mf_task_t *task, float *mu, const atomic_bool *stop);
int mf_kernel_avx512_supported (void);
#endif
#if defined (__aarch64__)
uint64_t mf_kernel_neon (const mf_task_t *task, float *mu, const atomic_bool *stop);
int mf_kernel_neon_supported (void);
#endif

//  All compiled variants, fastest first, "reference" last; count receives
//  their number.
const mf_kernel_t *mf_kernel_list (size_t *count);

//  1 if this machine may run the variant (one of mf_kernel_list's): the
//  CPU supports it and MF_KERNEL_DISABLE did not name it when the
//  process first asked (the answer is kept for the life of the process).
int mf_kernel_usable (const mf_kernel_t *kernel);

//  The fastest usable variant.
const mf_kernel_t *mf_kernel_best (void);

//  The variant named name ("auto" or NULL mean the best), or NULL when no
//  such variant is compiled in or it is not usable here.
const mf_kernel_t *mf_kernel_find (const char *name);

//  A comma-separated list of the usable variant names, for messages; the
//  string is static and the same for the life of the process.
const char *mf_kernel_names (void);

#endif
