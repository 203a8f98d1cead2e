/*  mf_reference: see reference.h. The thread writes its progress into
    two atomics (MF_ORBIT_PROGRESS_MS apart) and its result under a lock,
    then sets the end flag; the caller reads them without ever waiting
    on the thread but at destruction.
*/
#include "reference.h"
#include "mf_deep_auto.h"
#include "mf_orbit.h"
#include "mf_util.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _mf_reference_t {
    const mf_deep_view_t *view;         //  the caller's
    uint32_t asked;                     //  maxiter asked, 0: --iter auto
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
    mf_orbit_t *orbit = mf_orbit_compute (self->view, limit, &hooks, why, sizeof why);
    atomic_store (&self->ended_us, mf_clock_us ());
    uint32_t maxiter = 0;
    mf_shipped_t *shipped = NULL;
    if (orbit) {
        atomic_store (&self->done, mf_orbit_count (orbit) - 1);
        maxiter = self->asked? self->asked: mf_deep_auto_maxiter (self->view, orbit);
        shipped = atomic_load (&self->cancel)? NULL: mf_shipped_new (orbit, why, sizeof why);
        if (atomic_load (&self->cancel))
            snprintf (why, sizeof why, "cancelled");
        mf_orbit_destroy (&orbit);
    }
    pthread_mutex_lock (&self->lock);
    self->shipped = shipped;
    self->maxiter = maxiter;
    snprintf (self->why, sizeof self->why, "%s", why);
    pthread_mutex_unlock (&self->lock);
    atomic_store (&self->ended, true);
    return NULL;
}

mf_reference_t *
mf_reference_new (const mf_deep_view_t *view, uint32_t maxiter, char *err, size_t errlen)
{
    mf_reference_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->view = view;
    self->asked = maxiter;
    atomic_init (&self->cancel, 0);
    atomic_init (&self->done, 0);
    atomic_init (&self->limit, maxiter);
    atomic_init (&self->ended, false);
    atomic_init (&self->started_us, mf_clock_us ());
    atomic_init (&self->ended_us, 0);
    pthread_mutex_init (&self->lock, NULL);
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

double
mf_reference_seconds (mf_reference_t *self)
{
    int64_t end = atomic_load (&self->ended_us);
    return ((end? end: mf_clock_us ()) - atomic_load (&self->started_us)) / 1e6;
}
