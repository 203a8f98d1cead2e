/*  mf_perturb: the registry of the perturbation kernels and the choice
    among them, as mf_kernel.c does for the shallow ones (the same names,
    the same MF_KERNEL_DISABLE). Compiled for the baseline CPU.
*/
#include "mf_perturb.h"
#include "mf_kernel.h"

#include <stdlib.h>
#include <string.h>

static int
s_always (void)
{
    return 1;
}

#if defined (__x86_64__) || defined (__i386__)
//  The vector variants also use POPCNT (every CPU with AVX2 has it).
static int
s_avx2 (void)
{
    return mf_kernel_avx2_supported () && __builtin_cpu_supports ("popcnt");
}

static int
s_avx512 (void)
{
    return mf_kernel_avx512_supported () && __builtin_cpu_supports ("popcnt");
}
#endif

static const mf_perturb_kernel_t s_kernels [] = {
#if defined (__x86_64__) || defined (__i386__)
    { "avx512", mf_perturb_avx512, s_avx512 },
    { "avx2", mf_perturb_avx2, s_avx2 },
#endif
#if defined (__aarch64__)
    { "neon", mf_perturb_neon, mf_kernel_neon_supported },
#endif
    { "scalar", mf_perturb_scalar, s_always },
    { "reference", mf_perturb_reference, s_always },
};

#define KERNEL_COUNT (sizeof s_kernels / sizeof s_kernels [0])

const mf_perturb_kernel_t *
mf_perturb_list (size_t *count)
{
    *count = KERNEL_COUNT;
    return s_kernels;
}

int
mf_perturb_usable (const mf_perturb_kernel_t *kernel)
{
    //  The shallow registry knows the CPU and the environment: ask it
    //  about the variant of the same name.
    const mf_kernel_t *shallow = mf_kernel_find (kernel->name);
    return kernel->supported () && shallow != NULL;
}

const mf_perturb_kernel_t *
mf_perturb_best (void)
{
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (mf_perturb_usable (&s_kernels [index]))
            return &s_kernels [index];
    return &s_kernels [KERNEL_COUNT - 1];
}

const mf_perturb_kernel_t *
mf_perturb_find (const char *name)
{
    if (!name || strcmp (name, "auto") == 0)
        return mf_perturb_best ();
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (strcmp (s_kernels [index].name, name) == 0)
            return mf_perturb_usable (&s_kernels [index])? &s_kernels [index]: NULL;
    return NULL;
}
