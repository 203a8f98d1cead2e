/*  mf_kernel: the registry of kernel variants and the choice among them.
    Variants live in their own files (mf_kernel_<isa>.c), compiled with
    their own flags; this file only knows their entry points, and is
    compiled for the baseline CPU, so it can run the detection anywhere.

    The choice is made once per process (pthread_once): the CPU is asked
    what it supports, MF_KERNEL_DISABLE is read, and the answers, the best
    variant and the list of names are kept. --help, --kernel, the pool and
    the master's own computations all read that one choice; a forked local
    worker inherits it.
*/
#include "mf_kernel.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAMES_MAX 128                   //  bytes of the comma-separated name list

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
#if defined (__aarch64__)
    { "neon", mf_kernel_neon, mf_kernel_neon_supported },
#endif
    { "scalar", mf_kernel_scalar, s_always },
    { "reference", mf_kernel_reference, s_always },
};

#define KERNEL_COUNT (sizeof s_kernels / sizeof s_kernels [0])

//  The choice, made once by s_choose.
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static bool s_usable [KERNEL_COUNT];    //  per variant: this process may run it
static const mf_kernel_t *s_best;       //  the first usable one, else the reference
static char s_names [NAMES_MAX];        //  the usable names, ", " between them

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

static void
s_choose (void)
{
    const char *disabled = getenv (MF_KERNEL_DISABLE_ENV);
    for (size_t index = 0; index < KERNEL_COUNT; index++) {
        s_usable [index] = s_kernels [index].supported ()
                        && !s_listed (disabled, s_kernels [index].name);
        if (!s_usable [index])
            continue;
        if (!s_best)
            s_best = &s_kernels [index];
        if (s_names [0])
            strncat (s_names, ", ", sizeof s_names - strlen (s_names) - 1);
        strncat (s_names, s_kernels [index].name, sizeof s_names - strlen (s_names) - 1);
    }
    //  Everything disabled: the reference runs anywhere.
    if (!s_best)
        s_best = &s_kernels [KERNEL_COUNT - 1];
}

const mf_kernel_t *
mf_kernel_list (size_t *count)
{
    *count = KERNEL_COUNT;
    return s_kernels;
}

int
mf_kernel_usable (const mf_kernel_t *kernel)
{
    assert (kernel >= s_kernels && kernel < s_kernels + KERNEL_COUNT);
    pthread_once (&s_once, s_choose);
    return s_usable [kernel - s_kernels];
}

const mf_kernel_t *
mf_kernel_best (void)
{
    pthread_once (&s_once, s_choose);
    return s_best;
}

const mf_kernel_t *
mf_kernel_find (const char *name)
{
    pthread_once (&s_once, s_choose);
    if (!name || strcmp (name, "auto") == 0)
        return s_best;
    for (size_t index = 0; index < KERNEL_COUNT; index++)
        if (strcmp (s_kernels [index].name, name) == 0)
            return s_usable [index]? &s_kernels [index]: NULL;
    return NULL;
}

const char *
mf_kernel_names (void)
{
    pthread_once (&s_once, s_choose);
    return s_names;
}
