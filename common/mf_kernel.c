/*  mf_kernel: the registry of kernel variants and the choice among them.
    Variants live in their own files (mf_kernel_<isa>.c), compiled with
    their own flags; this file only knows their entry points.
*/
#include "mf_kernel.h"

#include <stdio.h>
#include <string.h>

static int
s_always (void)
{
    return 1;
}

static const mf_kernel_t s_kernels [] = {
    { "scalar", mf_kernel_reference, s_always },
};

#define KERNEL_COUNT (sizeof s_kernels / sizeof s_kernels [0])

const mf_kernel_t *
mf_kernel_list (size_t *count)
{
    *count = KERNEL_COUNT;
    return s_kernels;
}

const mf_kernel_t *
mf_kernel_best (void)
{
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (s_kernels [index].supported ())
            return &s_kernels [index];
    return &s_kernels [KERNEL_COUNT - 1];
}

const mf_kernel_t *
mf_kernel_find (const char *name)
{
    if (!name || strcmp (name, "auto") == 0)
        return mf_kernel_best ();
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (strcmp (s_kernels [index].name, name) == 0)
            return s_kernels [index].supported ()? &s_kernels [index]: NULL;
    return NULL;
}

const char *
mf_kernel_names (void)
{
    static char names [128];
    if (!names [0]) {
        for (size_t index = 0; index < KERNEL_COUNT; index++) {
            if (!s_kernels [index].supported ())
                continue;
            if (names [0])
                strncat (names, ", ", sizeof names - strlen (names) - 1);
            strncat (names, s_kernels [index].name, sizeof names - strlen (names) - 1);
        }
    }
    return names;
}
