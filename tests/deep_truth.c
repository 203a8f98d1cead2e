/*  deep_truth: see deep_truth.h. */
#include "deep_truth.h"
#include "mf_mu.h"

#include <check.h>
#include <math.h>
#include <mpfr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 2                       //  brute-force threads

typedef struct {
    const th_loc_t *loc;
    const char *width;                  //  the view's width, exact decimal
    long precision;                     //  bits of the truth
    th_sample_t *samples;
    size_t next;                        //  next sample to compute (under lock)
    pthread_mutex_t lock;
} s_truth_t;

//  The truth at one pixel: c = center + ((2i+1-W)/2, (H-2j-1)/2) width/W.
static double
s_brute (const s_truth_t *t, uint32_t i, uint32_t j)
{
    const th_loc_t *loc = t->loc;
    mpfr_t cr, ci, d, k, x, y, s, u, p;
    mpfr_inits2 (t->precision, cr, ci, d, k, x, y, s, u, p, (mpfr_ptr) 0);
    const char *comma = strchr (loc->center, ',');
    char *re = strndup (loc->center, (size_t) (comma - loc->center));
    mpfr_set_str (cr, re, 10, MPFR_RNDN);
    mpfr_set_str (ci, comma + 1, 10, MPFR_RNDN);
    free (re);
    mpfr_set_str (d, t->width, 10, MPFR_RNDN);
    mpfr_div_ui (d, d, loc->w, MPFR_RNDN);
    mpfr_set_si (k, 2 * (long) i + 1 - (long) loc->w, MPFR_RNDN);
    mpfr_mul (k, k, d, MPFR_RNDN);
    mpfr_div_2ui (k, k, 1, MPFR_RNDN);
    mpfr_add (cr, cr, k, MPFR_RNDN);
    mpfr_set_si (k, (long) loc->h - 2 * (long) j - 1, MPFR_RNDN);
    mpfr_mul (k, k, d, MPFR_RNDN);
    mpfr_div_2ui (k, k, 1, MPFR_RNDN);
    mpfr_add (ci, ci, k, MPFR_RNDN);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    double mu = -1.0;
    for (uint32_t n = 1; n <= loc->maxiter; n++) {
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (u, x, y, MPFR_RNDN);
        mpfr_mul (p, x, y, MPFR_RNDN);
        mpfr_mul (x, s, u, MPFR_RNDN);
        mpfr_add (x, x, cr, MPFR_RNDN);
        mpfr_mul_2ui (p, p, 1, MPFR_RNDN);
        mpfr_add (y, p, ci, MPFR_RNDN);
        //  |z| > 256 needs a part of at least 128: test exactly only then.
        if (mpfr_cmpabs_ui (x, 128) >= 0 || mpfr_cmpabs_ui (y, 128) >= 0) {
            double xd = mpfr_get_d (x, MPFR_RNDN), yd = mpfr_get_d (y, MPFR_RNDN);
            if (!(fma (xd, xd, yd * yd) <= MF_BAILOUT_SQ)) {
                mu = mf_mu_double (n, xd, yd);
                break;
            }
        }
    }
    mpfr_clears (cr, ci, d, k, x, y, s, u, p, (mpfr_ptr) 0);
    return mu;
}

static void *
s_worker (void *arg)
{
    s_truth_t *t = arg;
    while (1) {
        pthread_mutex_lock (&t->lock);
        size_t index = t->next++;
        pthread_mutex_unlock (&t->lock);
        if (index >= t->loc->samples)
            return NULL;
        th_sample_t *sample = &t->samples [index];
        sample->truth = s_brute (t, sample->i, sample->j);
    }
}

th_sample_t *
th_deep_truth (const th_loc_t *loc, const mf_deep_view_t *view)
{
    s_truth_t t = { .loc = loc, .width = mf_deep_view_width_text (view) };
    //  P = log2 (zoom H) + 64, zoom H = 4 / d.
    t.precision = (long) ceil (log2 ((double) loc->h) + mf_deep_view_log10_zoom (view)
                               / 0.30102999566398119521) + 64;
    t.samples = calloc (loc->samples, sizeof (th_sample_t));
    ck_assert_ptr_nonnull (t.samples);
    uint64_t state = 0x2545f4914f6cdd1dULL;
    for (size_t index = 0; index < loc->samples; index++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        t.samples [index].i = (uint32_t) ((state >> 33) % loc->w);
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        t.samples [index].j = (uint32_t) ((state >> 33) % loc->h);
    }
    pthread_mutex_init (&t.lock, NULL);
    pthread_t threads [THREADS];
    for (int index = 0; index < THREADS; index++)
        ck_assert_int_eq (pthread_create (&threads [index], NULL, s_worker, &t), 0);
    for (int index = 0; index < THREADS; index++)
        pthread_join (threads [index], NULL);
    pthread_mutex_destroy (&t.lock);
    return t.samples;
}

int
th_deep_judge (const th_sample_t *samples, const double *mu, size_t count,
               char *report, size_t size)
{
    size_t close = 0, off_one = 0, off_ten = 0;
    double worst = 0;
    for (size_t index = 0; index < count; index++) {
        double truth = samples [index].truth;
        double error = (mu [index] < 0) != (truth < 0)? INFINITY: fabs (mu [index] - truth);
        close += error <= 1e-3;
        off_one += error > 1.0;
        off_ten += error > 10.0;
        if (error > worst)
            worst = error;
    }
    snprintf (report, size, "%zu samples: %zu within 1e-3, %zu off by more than 1, %zu by "
              "more than 10, worst %.3g", count, close, off_one, off_ten, worst);
    return close * 10 >= count * 9 && off_one * 100 <= count && off_ten == 0;
}
