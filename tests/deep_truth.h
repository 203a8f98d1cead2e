/*  The truth of a deep render at sampled pixels: a brute-force MPFR orbit
    z = z^2 + c, with c computed in MPFR from the pixel index (never from
    the renderer's rounded delta), at P = log2 (zoom H) + 64 bits; and the
    issue's judgement of a render against it: at least 90 % of the samples
    within 1e-3 of its mu, at most 1 % off by more than one iteration
    (none, below 100 samples), none off by more than 10 (an interior pixel
    on one side and an escaped one on the other counts as off by more
    than 10).

    Shared by the kernel-level check (test_deep_mpfr.c) and the one
    through the farm (test_deep_e2e.c). The truths are the expensive
    part: computed on two threads.
*/
#ifndef MF_TEST_DEEP_TRUTH_H
#define MF_TEST_DEEP_TRUTH_H

#include "mf_deep.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *center, *zoom;          //  the location (Kalles Fraktaler's zoom)
    uint32_t w, h, maxiter;             //  the render
    size_t samples;                     //  pixels sampled
} th_loc_t;

typedef struct {
    uint32_t i, j;                      //  the pixel
    double truth;                       //  its mu in MPFR (-1: interior)
} th_sample_t;

//  Picks loc->samples pixels of the view (a fixed sequence, the same on
//  every run) and computes their truth. Returns them (the caller frees).
th_sample_t *th_deep_truth (const th_loc_t *loc, const mf_deep_view_t *view);

//  Judges count values of mu (mu [k] for samples [k]) against the truth:
//  returns 1 when the assertion holds; says how it went in report.
int th_deep_judge (const th_sample_t *samples, const double *mu, size_t count,
                   char *report, size_t size);

#endif
