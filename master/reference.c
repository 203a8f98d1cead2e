/*  mf_reference: see reference.h. The thread writes its progress into
    two atomics (MF_ORBIT_PROGRESS_MS apart) and its result under a lock,
    then sets the end flag; the caller reads them without ever waiting
    on the thread but at destruction.
*/
#include "reference.h"
#include "mf_deep_auto.h"
#include "mf_orbit.h"
#include "mf_util.h"

#include <mpfr.h>

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _mf_reference_t {
    const mf_deep_view_t *view;         //  the caller's
    uint32_t asked;                     //  maxiter asked, 0: --iter auto
    bool at;                            //  the reference is re, im (else the view's center)
    mpfr_t re, im;                      //  ... at its own precision
    mf_delta_t type;                    //  ... and its orbit's number type (the view's)
    bool both;                          //  floatexp, and derive the orbit in doubles too
    pthread_t thread;
    bool started;                       //  the thread runs (to be joined)
    atomic_int cancel;                  //  set: stop computing
    atomic_uint_fast64_t done;          //  iterations computed so far
    atomic_uint_fast64_t limit;         //  the most it computes
    atomic_bool ended;                  //  the thread has set the result
    atomic_int_fast64_t started_us;     //  usecs, when the computation began
    atomic_int_fast64_t ended_us;       //  usecs, when it ended (0: not yet)
    pthread_mutex_t lock;               //  guards what follows
    mf_shipped_t *shipped;              //  the result, or NULL
    mf_shipped_t *doubles;              //  ... in doubles when both, or NULL
    uint32_t maxiter;                   //  the maxiter chosen
    char why [256];                     //  why it failed
};

static void
s_progress (void *arg, uint64_t done, uint64_t limit)
{
    mf_reference_t *self = arg;
    atomic_store (&self->done, done);
    atomic_store (&self->limit, limit);
}

static void *
s_compute (void *arg)
{
    mf_reference_t *self = arg;
    char why [256] = "";
    uint32_t limit = self->asked? self->asked: mf_deep_auto_cap (self->view);
    atomic_store (&self->limit, limit);
    mf_orbit_hooks_t hooks = { s_progress, self, &self->cancel };
    mf_orbit_t *orbit = self->at? mf_orbit_compute_at (self->re, self->im, mf_fexpc_zero (),
                                                       limit, self->type, &hooks, why,
                                                       sizeof why)
                                : mf_orbit_compute (self->view, limit, &hooks, why, sizeof why);
    atomic_store (&self->ended_us, mf_clock_us ());
    uint32_t maxiter = 0;
    mf_shipped_t *shipped = NULL, *doubles = NULL;
    if (orbit) {
        atomic_store (&self->done, mf_orbit_count (orbit) - 1);
        maxiter = self->asked? self->asked: mf_deep_auto_maxiter (self->view, orbit);
        shipped = atomic_load (&self->cancel)? NULL: mf_shipped_new (orbit, why, sizeof why);
        if (shipped && self->both) {
            //  To the maxiter the frames render at, as a computation in
            //  doubles for them would be (an --iter auto orbit goes
            //  further).
            mf_orbit_t *derived = mf_orbit_as_doubles (orbit, maxiter, why, sizeof why);
            doubles = derived? mf_shipped_new (derived, why, sizeof why): NULL;
            mf_orbit_destroy (&derived);
            if (!doubles)
                mf_shipped_destroy (&shipped);
        }
        if (atomic_load (&self->cancel)) {
            snprintf (why, sizeof why, "cancelled");
            mf_shipped_destroy (&shipped);
            mf_shipped_destroy (&doubles);
        }
        mf_orbit_destroy (&orbit);
    }
    pthread_mutex_lock (&self->lock);
    self->shipped = shipped;
    self->doubles = doubles;
    self->maxiter = maxiter;
    snprintf (self->why, sizeof self->why, "%s", why);
    pthread_mutex_unlock (&self->lock);
    atomic_store (&self->ended, true);
    return NULL;
}

//  Reads "RE,IM" into re and im at their precision. Returns 0 or -1.
static int
s_read_point (const char *point, mpfr_t re, mpfr_t im)
{
    const char *comma = strchr (point, ',');
    char *end;
    if (!comma)
        return -1;
    mpfr_strtofr (re, point, &end, 10, MPFR_RNDN);
    if (end != comma || end == point || !mpfr_number_p (re))
        return -1;
    mpfr_strtofr (im, comma + 1, &end, 10, MPFR_RNDN);
    return end == comma + 1 || *end || !mpfr_number_p (im)? -1: 0;
}

//  An MPFR value rounded once to 53 bits, as floatexp (0 far below any
//  usable precision).
static mf_fexp_t
s_fexp (mpfr_srcptr x)
{
    if (mpfr_zero_p (x))
        return mf_fexp_zero ();
    long e;
    double m = mpfr_get_d_2exp (&e, x, MPFR_RNDN);
    if (e - 1 < MF_ORBIT_MIN_EXP)
        return mf_fexp_zero ();
    return mf_fexp_norm (m, e);
}

int
mf_reference_map (const mf_deep_view_t *view, const char *point, long bits, mf_deep_map_t *map)
{
    mf_deep_view_map (view, map);
    mpfr_t cre, cim, pre, pim, dre, dim;
    mpfr_inits2 (bits, pre, pim, (mpfr_ptr) 0);
    mpfr_inits2 (MPFR_PREC_MIN, cre, cim, (mpfr_ptr) 0);
    int rc = s_read_point (point, pre, pim);
    if (rc == 0) {
        mf_deep_view_center (view, cre, cim);
        //  Wide enough that the difference of two nearby points is exact:
        //  the one rounding is to floatexp.
        mpfr_prec_t wide = 2 * (mpfr_get_prec (cre) + bits) + 64;
        mpfr_inits2 (wide, dre, dim, (mpfr_ptr) 0);
        mpfr_sub (dre, cre, pre, MPFR_RNDN);
        mpfr_sub (dim, cim, pim, MPFR_RNDN);
        map->offset = mf_fexpc_from (s_fexp (dre), s_fexp (dim));
        mpfr_clears (dre, dim, (mpfr_ptr) 0);
    }
    mpfr_clears (cre, cim, pre, pim, (mpfr_ptr) 0);
    return rc;
}

static mf_reference_t *s_new (const mf_deep_view_t *view, uint32_t maxiter, const char *point,
                              long bits, bool both, char *err, size_t errlen);

mf_reference_t *
mf_reference_new (const mf_deep_view_t *view, uint32_t maxiter, char *err, size_t errlen)
{
    return s_new (view, maxiter, NULL, 0, false, err, errlen);
}

mf_reference_t *
mf_reference_new_at (const mf_deep_view_t *view, const char *point, long bits,
                     uint32_t maxiter, char *err, size_t errlen)
{
    return s_new (view, maxiter, point, bits, false, err, errlen);
}

mf_reference_t *
mf_reference_new_both (const mf_deep_view_t *view, const char *point, long bits,
                       uint32_t maxiter, char *err, size_t errlen)
{
    return s_new (view, maxiter, point, bits, true, err, errlen);
}

static mf_reference_t *
s_new (const mf_deep_view_t *view, uint32_t maxiter, const char *point, long bits, bool both,
       char *err, size_t errlen)
{
    mf_reference_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->view = view;
    self->asked = maxiter;
    self->at = point != NULL;
    mpfr_inits2 (point? bits: MPFR_PREC_MIN, self->re, self->im, (mpfr_ptr) 0);
    atomic_init (&self->cancel, 0);
    atomic_init (&self->done, 0);
    atomic_init (&self->limit, maxiter);
    atomic_init (&self->ended, false);
    atomic_init (&self->started_us, mf_clock_us ());
    atomic_init (&self->ended_us, 0);
    pthread_mutex_init (&self->lock, NULL);
    if (point) {
        mf_deep_map_t map;
        mf_deep_view_map (view, &map);
        self->type = map.type;
        self->both = both && map.type == MF_DELTA_FEXP;
        if (s_read_point (point, self->re, self->im)) {
            snprintf (err, errlen, "the reference point '%.40s' does not read as RE,IM", point);
            mf_reference_destroy (&self);
            return NULL;
        }
    }
    if (pthread_create (&self->thread, NULL, s_compute, self)) {
        snprintf (err, errlen, "cannot start a thread for the reference orbit");
        mf_reference_destroy (&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void
mf_reference_destroy (mf_reference_t **self_p)
{
    assert (self_p);
    mf_reference_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        atomic_store (&self->cancel, 1);
        pthread_join (self->thread, NULL);
    }
    mf_shipped_destroy (&self->shipped);
    mf_shipped_destroy (&self->doubles);
    mpfr_clears (self->re, self->im, (mpfr_ptr) 0);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

bool
mf_reference_poll (mf_reference_t *self, uint64_t *done, uint64_t *limit)
{
    if (done)
        *done = atomic_load (&self->done);
    if (limit)
        *limit = atomic_load (&self->limit);
    return atomic_load (&self->ended);
}

mf_shipped_t *
mf_reference_take (mf_reference_t *self, uint32_t *maxiter, char *err, size_t errlen)
{
    if (!atomic_load (&self->ended)) {
        snprintf (err, errlen, "the reference orbit is not computed yet");
        return NULL;
    }
    pthread_mutex_lock (&self->lock);
    mf_shipped_t *shipped = self->shipped;
    self->shipped = NULL;
    *maxiter = self->maxiter;
    if (!shipped)
        snprintf (err, errlen, "%s", self->why [0]? self->why: "it was taken already");
    pthread_mutex_unlock (&self->lock);
    return shipped;
}

mf_shipped_t *
mf_reference_take_doubles (mf_reference_t *self, char *err, size_t errlen)
{
    if (!atomic_load (&self->ended)) {
        snprintf (err, errlen, "the reference orbit is not computed yet");
        return NULL;
    }
    if (!self->both) {
        snprintf (err, errlen, "the reference orbit in doubles was not asked for");
        return NULL;
    }
    pthread_mutex_lock (&self->lock);
    mf_shipped_t *doubles = self->doubles;
    self->doubles = NULL;
    if (!doubles)
        snprintf (err, errlen, "%s", self->why [0]? self->why: "it was taken already");
    pthread_mutex_unlock (&self->lock);
    return doubles;
}

double
mf_reference_seconds (mf_reference_t *self)
{
    int64_t end = atomic_load (&self->ended_us);
    return ((end? end: mf_clock_us ()) - atomic_load (&self->started_us)) / 1e6;
}
