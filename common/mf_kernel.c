/*  mf_kernel: the registry of kernel variants and the choice among them.
    Variants live in their own files (mf_kernel_<isa>.c), compiled with
    their own flags; this file only knows their entry points, and is
    compiled for the baseline CPU, so it can run the detection anywhere.
*/
#include "mf_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_always (void)
{
    return 1;
}

static const mf_kernel_t s_kernels [] = {
#if defined (__x86_64__) || defined (__i386__)
    { "avx512", mf_kernel_avx512, mf_kernel_avx512_supported },
    { "avx2", mf_kernel_avx2, mf_kernel_avx2_supported },
#endif
    { "scalar", mf_kernel_scalar, s_always },
    { "reference", mf_kernel_reference, s_always },
};

#define KERNEL_COUNT (sizeof s_kernels / sizeof s_kernels [0])

const mf_kernel_t *
mf_kernel_list (size_t *count)
{
    *count = KERNEL_COUNT;
    return s_kernels;
}

//  1 if the comma-separated list names name.
static int
s_listed (const char *list, const char *name)
{
    size_t length = strlen (name);
    while (list && *list) {
        const char *end = strchr (list, ',');
        size_t item = end? (size_t) (end - list): strlen (list);
        if (item == length && strncmp (list, name, length) == 0)
            return 1;
        list = end? end + 1: NULL;
    }
    return 0;
}

int
mf_kernel_usable (const mf_kernel_t *kernel)
{
    return kernel->supported ()
        && !s_listed (getenv (MF_KERNEL_DISABLE_ENV), kernel->name);
}

const mf_kernel_t *
mf_kernel_best (void)
{
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (mf_kernel_usable (&s_kernels [index]))
            return &s_kernels [index];
    //  Everything disabled: the reference runs anywhere.
    return &s_kernels [KERNEL_COUNT - 1];
}

const mf_kernel_t *
mf_kernel_find (const char *name)
{
    if (!name || strcmp (name, "auto") == 0)
        return mf_kernel_best ();
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (strcmp (s_kernels [index].name, name) == 0)
            return mf_kernel_usable (&s_kernels [index])? &s_kernels [index]: NULL;
    return NULL;
}

const char *
mf_kernel_names (void)
{
    static char names [128];
    names [0] = 0;
    for (size_t index = 0; index < KERNEL_COUNT; index++) {
        if (!mf_kernel_usable (&s_kernels [index]))
            continue;
        if (names [0])
            strncat (names, ", ", sizeof names - strlen (names) - 1);
        strncat (names, s_kernels [index].name, sizeof names - strlen (names) - 1);
    }
    return names;
}
