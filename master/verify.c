/*  mf_verify: see verify.h.

    The engine's thread owns the opinions, the owned tiles and the
    quarantine list. The arbitration thread sees only its queue: jobs
    (a task and a buffer) go in under the lock, come back finished on a
    second list under the same lock, and a byte on the pipe says so.
    An arbitration whose tile changed meanwhile (reopened, its job
    forgotten) is recognised by its ticket and thrown away.
*/
#include "verify.h"
#include "mf_log.h"
#include "mf_util.h"
#include "mf_vec.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAND_PIXELS 4096                //  pixels the thread computes between stop checks
#define UNVERIFIABLE_MAX 64             //  lone first opinions queued per poll at most

typedef struct {
    uint32_t job;
    uint32_t tile;
} s_ref_t;

//  The tiles whose result is one worker's alone.
typedef struct {
    uint64_t uid;                       //  the worker
    mf_vec_t *refs;                     //  its tiles, s_ref_t
} s_owner_t;

//  A tile under verification: its opinions, and its arbitration if any.
typedef struct {
    uint32_t job;
    uint32_t tile;
    bool has [2];                       //  first and second opinion held
    uint64_t uid [2];                   //  whose they are
    void *mu [2];                       //  their values, w * h
    int64_t stored_at;                  //  msecs, when the first came
    uint64_t ticket;                    //  its arbitration in flight (0: none)
} s_opinion_t;

//  One tile for the arbitration thread.
typedef struct _s_arb_t {
    uint32_t job;
    uint32_t tile;
    uint64_t ticket;                    //  the opinion's ticket when queued
    mf_task_t task;                     //  what to compute (a deep tile: maxiter, rect)
    bool deep;                          //  a deep tile: map and orbit below
    mf_deep_map_t map;                  //  deep: the job's map
    mf_shipped_t *orbit;                //  deep: the job's orbit, a reference of ours
    void *mu;                           //  the result, w * h floats or doubles
    atomic_bool abandon;                //  set by the engine: no one wants it any more
    atomic_int stop;                    //  the same, as the deep kernel reads it
    bool complete;                      //  every band was computed
    bool failed;                        //  it could not be computed (no memory for
                                        //  a deep table): settled with an opinion
    int64_t took;                       //  msecs the computation took
    struct _s_arb_t *next;              //  next in its list
} s_arb_t;

struct _mf_verify_t {
    mf_sched_t *sched;                  //  the engine's, borrowed
    mf_kernel_fn kernel;                //  what the thread computes shallow tiles with
    mf_perturb_fn deep_kernel;          //  ... and deep ones
    mf_verify_hooks_t hooks;            //  the engine's
    mf_vec_t *opinions;                 //  tiles under verification, s_opinion_t
    mf_vec_t *owners;                   //  owned tiles, by worker, s_owner_t
    mf_vec_t *quarantined;              //  uids caught, uint64_t
    uint64_t next_ticket;               //  last ticket given
    int pipe [2];                       //  the thread writes a byte per finished tile
    pthread_t thread;                   //  the arbitration thread
    bool started;                       //  it runs
    pthread_mutex_t lock;               //  guards the lists below and stop
    pthread_cond_t wake;                //  signals todo or stop to the thread
    s_arb_t *todo;                      //  queued, oldest first
    s_arb_t *running;                   //  the one being computed, or NULL
    s_arb_t *done;                      //  finished, oldest first
    atomic_bool stop;                   //  the thread must end
    mf_verify_counters_t counters;
};

static void
s_arb_free (s_arb_t *arb)
{
    if (arb) {
        mf_shipped_destroy (&arb->orbit);
        free (arb->mu);
        free (arb);
    }
}

//  Tells a tile's computation to stop (both flags: each kernel reads its own).
static void
s_abandon (s_arb_t *arb)
{
    atomic_store (&arb->abandon, true);
    atomic_store (&arb->stop, 1);
}

//  Computes a deep tile in bands of rows, stopping between them (and
//  within, by its stop flag) when abandoned. Returns the rows done.
static uint32_t
s_compute_deep (mf_verify_t *self, s_arb_t *arb, uint32_t rows)
{
    char err [256];
    mf_fexp_t cmax = mf_deep_map_cmax (&arb->map);
    const mf_bla_t *table = mf_shipped_table (arb->orbit, cmax, err, sizeof err);
    if (!table) {
        mf_error ("cannot check tile %u of job %u: %s", arb->tile, arb->job, err);
        arb->failed = true;
        return 0;
    }
    uint32_t w = arb->task.rect.w, h = arb->task.rect.h;
    mf_perturb_task_t band = {
        .map = &arb->map, .bla = table, .maxiter = arb->task.maxiter,
        .rect = arb->task.rect, .stop = &arb->stop
    };
    uint32_t row = 0;
    for (; row < h; row += rows) {
        if (atomic_load (&self->stop) || atomic_load (&arb->abandon))
            break;
        band.rect.y = arb->task.rect.y + row;
        band.rect.h = h - row < rows? h - row: rows;
        if (self->deep_kernel (&band, (double *) arb->mu + (size_t) row * w, NULL))
            break;
    }
    return row;
}

static void
s_arb_list_free (s_arb_t **list)
{
    while (*list) {
        s_arb_t *next = (*list)->next;
        s_arb_free (*list);
        *list = next;
    }
}

static void
s_append (s_arb_t **list, s_arb_t *arb)
{
    arb->next = NULL;
    while (*list)
        list = &(*list)->next;
    *list = arb;
}

//  The opinion entry at index, or NULL past the last.
static s_opinion_t *
s_opinion_at (mf_verify_t *self, size_t index)
{
    return self->opinions? mf_vec_at (self->opinions, index): NULL;
}

//  The arbitration thread: computes queued tiles, a band of rows at a
//  time, until told to stop.
static void *
s_arbiter (void *arg)
{
    mf_verify_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!atomic_load (&self->stop)) {
        if (!self->todo) {
            pthread_cond_wait (&self->wake, &self->lock);
            continue;
        }
        s_arb_t *arb = self->todo;
        self->todo = arb->next;
        self->running = arb;
        pthread_mutex_unlock (&self->lock);
        int64_t start = mf_clock_ms ();
        mf_task_t band = arb->task;
        uint32_t w = arb->task.rect.w, h = arb->task.rect.h;
        uint32_t rows = w < BAND_PIXELS? BAND_PIXELS / w: 1;
        uint32_t row = arb->deep? s_compute_deep (self, arb, rows): 0;
        for (; !arb->deep && row < h; row += rows) {
            if (atomic_load (&self->stop) || atomic_load (&arb->abandon))
                break;
            band.rect.y = arb->task.rect.y + row;
            band.rect.h = h - row < rows? h - row: rows;
            //  The kernel stops within milliseconds once the tile is
            //  abandoned or the engine goes (mf_verify_destroy sets both).
            if (self->kernel (&band, (float *) arb->mu + (size_t) row * w, &arb->abandon)
                == MF_KERNEL_STOPPED)
                break;
        }
        arb->complete = row >= h;
        arb->took = mf_clock_ms () - start;
        pthread_mutex_lock (&self->lock);
        self->running = NULL;
        s_append (&self->done, arb);
        //  One byte per tile; a full pipe still wakes the poll.
        ssize_t rc = write (self->pipe [1], "", 1);
        (void) rc;
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

mf_verify_t *
mf_verify_new (mf_sched_t *sched, mf_kernel_fn kernel, mf_perturb_fn deep_kernel,
               const mf_verify_hooks_t *hooks)
{
    mf_verify_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->sched = sched;
    self->kernel = kernel;
    self->deep_kernel = deep_kernel;
    self->hooks = *hooks;
    self->pipe [0] = self->pipe [1] = -1;
    atomic_init (&self->stop, false);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    self->opinions = mf_vec_new (sizeof (s_opinion_t));
    self->owners = mf_vec_new (sizeof (s_owner_t));
    self->quarantined = mf_vec_new (sizeof (uint64_t));
    if (!self->opinions || !self->owners || !self->quarantined
    ||  pipe2 (self->pipe, O_NONBLOCK | O_CLOEXEC)
    ||  pthread_create (&self->thread, NULL, s_arbiter, self)) {
        mf_verify_destroy (&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void
mf_verify_destroy (mf_verify_t **self_p)
{
    assert (self_p);
    mf_verify_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        pthread_mutex_lock (&self->lock);
        atomic_store (&self->stop, true);
        if (self->running)
            s_abandon (self->running);
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
    }
    s_arb_list_free (&self->todo);
    s_arb_list_free (&self->done);
    s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); index++) {
        free (opinion->mu [0]);
        free (opinion->mu [1]);
    }
    mf_vec_destroy (&self->opinions);
    s_owner_t *owner;
    for (size_t index = 0; self->owners && (owner = mf_vec_at (self->owners, index)); index++)
        mf_vec_destroy (&owner->refs);
    mf_vec_destroy (&self->owners);
    mf_vec_destroy (&self->quarantined);
    if (self->pipe [0] >= 0)
        close (self->pipe [0]);
    if (self->pipe [1] >= 0)
        close (self->pipe [1]);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
mf_verify_fd (mf_verify_t *self)
{
    return self->pipe [0];
}

static s_owner_t *
s_owner (mf_verify_t *self, uint64_t uid, bool make)
{
    s_owner_t *owner;
    for (size_t index = 0; (owner = mf_vec_at (self->owners, index)); index++)
        if (owner->uid == uid)
            return owner;
    if (!make)
        return NULL;
    s_owner_t fresh = { uid, mf_vec_new (sizeof (s_ref_t)) };
    owner = fresh.refs? mf_vec_push (self->owners, &fresh): NULL;
    if (!owner)
        mf_vec_destroy (&fresh.refs);
    return owner;
}

int
mf_verify_owned (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid)
{
    s_owner_t *owner = s_owner (self, uid, true);
    s_ref_t ref = { job, tile };
    return owner && mf_vec_push (owner->refs, &ref)? 0: -1;
}

static s_opinion_t *
s_opinion (mf_verify_t *self, uint32_t job, uint32_t tile)
{
    s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); index++)
        if (opinion->job == job && opinion->tile == tile)
            return opinion;
    return NULL;
}

//  A new opinion entry for a tile (no opinion held yet); NULL when out of
//  memory.
static s_opinion_t *
s_opinion_new (mf_verify_t *self, uint32_t job, uint32_t tile, int64_t now)
{
    s_opinion_t fresh = { .job = job, .tile = tile, .stored_at = now };
    return mf_vec_push (self->opinions, &fresh);
}

//  Forgets an opinion entry (order is not kept). A queued or running
//  arbitration of it is abandoned: its ticket no longer matches anything.
static void
s_drop_opinion (mf_verify_t *self, s_opinion_t *opinion)
{
    if (opinion->ticket) {
        pthread_mutex_lock (&self->lock);
        for (s_arb_t **at = &self->todo; *at; at = &(*at)->next)
            if ((*at)->ticket == opinion->ticket) {
                s_arb_t *gone = *at;
                *at = gone->next;
                s_arb_free (gone);
                break;
            }
        if (self->running && self->running->ticket == opinion->ticket)
            s_abandon (self->running);
        pthread_mutex_unlock (&self->lock);
    }
    free (opinion->mu [0]);
    free (opinion->mu [1]);
    mf_vec_swap_remove (self->opinions, mf_vec_index (self->opinions, opinion));
}

static void *
s_copy (const void *mu, size_t bytes)
{
    void *copy = malloc (bytes);
    if (copy)
        memcpy (copy, mu, bytes);
    return copy;
}

//  Bytes of one of a job's values: doubles for a deep job.
static size_t
s_value_size (mf_verify_t *self, uint32_t job)
{
    const mf_job_spec_t *spec = mf_sched_job_spec (self->sched, job);
    return spec && spec->deep? sizeof (double): sizeof (float);
}

int
mf_verify_first (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid,
                 const void *mu, size_t bytes, int64_t now)
{
    //  A first opinion finds none held: whatever was kept about the tile
    //  went when it was settled or reopened. Should one remain, the new
    //  one replaces it rather than shadow it.
    s_opinion_t *stale = s_opinion (self, job, tile);
    if (stale)
        s_drop_opinion (self, stale);
    void *copy = s_copy (mu, bytes);
    s_opinion_t *opinion = copy? s_opinion_new (self, job, tile, now): NULL;
    if (!opinion) {
        free (copy);
        return -1;
    }
    opinion->has [0] = true;
    opinion->uid [0] = uid;
    opinion->mu [0] = copy;
    return 0;
}

//  Queues an arbitration of opinion's tile (which mf_sched holds as
//  arbitrating). Out of memory, the opinion stays without a ticket and
//  mf_verify_poll tries again.
static void
s_queue (mf_verify_t *self, s_opinion_t *opinion)
{
    s_arb_t *arb = calloc (1, sizeof *arb);
    const mf_tiles_t *tiles = mf_sched_job_tiles (self->sched, opinion->job);
    assert (tiles);
    if (!arb)
        return;
    const mf_job_spec_t *spec = mf_sched_job_spec (self->sched, opinion->job);
    arb->job = opinion->job;
    arb->tile = opinion->tile;
    arb->task.map = *mf_sched_job_mapping (self->sched, opinion->job);
    arb->task.maxiter = spec->maxiter;
    arb->task.rect = mf_tiles_rect (tiles, opinion->tile);
    arb->deep = spec->deep;
    arb->map = spec->deep_map;
    arb->orbit = spec->deep? self->hooks.orbit (self->hooks.arg, opinion->job): NULL;
    arb->mu = malloc ((size_t) arb->task.rect.w * arb->task.rect.h
                      * s_value_size (self, opinion->job));
    if (!arb->mu || (arb->deep && !arb->orbit)) {
        s_arb_free (arb);
        return;
    }
    atomic_init (&arb->abandon, false);
    atomic_init (&arb->stop, 0);
    arb->ticket = ++self->next_ticket;
    opinion->ticket = arb->ticket;
    pthread_mutex_lock (&self->lock);
    s_append (&self->todo, arb);
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
}

//  A worker returned wrong values for a tile: the engine evicts it, every
//  tile it alone computed is computed again, its opinions are dropped.
static void
s_quarantine (mf_verify_t *self, uint64_t uid, uint32_t job, uint32_t tile)
{
    if (mf_verify_quarantined (self, uid))
        return;
    //  Out of memory the worker is still evicted below; only a later
    //  HELLO of it would not be refused here (the engine's record is).
    mf_vec_push (self->quarantined, &uid);
    self->counters.quarantined++;
    uint64_t withdrawn = 0;
    s_owner_t *owner = s_owner (self, uid, false);
    const s_ref_t *ref;
    for (size_t index = 0; owner && (ref = mf_vec_at (owner->refs, index)); index++) {
        if (mf_sched_reopen (self->sched, ref->job, ref->tile) == 0) {
            withdrawn++;
            if (self->hooks.withdrawn)
                self->hooks.withdrawn (self->hooks.arg, ref->job, ref->tile);
        }
    }
    if (owner)
        mf_vec_clear (owner->refs);
    s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); ) {
        if ((opinion->has [0] && opinion->uid [0] == uid)
        ||  (opinion->has [1] && opinion->uid [1] == uid)) {
            mf_sched_reopen (self->sched, opinion->job, opinion->tile);
            s_drop_opinion (self, opinion);
        }
        else
            index++;
    }
    self->counters.withdrawn += withdrawn;
    self->hooks.quarantine (self->hooks.arg, uid, job, tile, withdrawn);
}

//  Settles a tile whose opinions both stand, or the master's own values
//  (the opinion entry is gone after this).
static void
s_settle (mf_verify_t *self, s_opinion_t *opinion, const void *mu)
{
    uint32_t job = opinion->job, tile = opinion->tile;
    mf_rect_t rect = mf_tiles_rect (mf_sched_job_tiles (self->sched, job), tile);
    mf_sched_settle (self->sched, job, tile);
    //  The hook may touch the opinion list (not today, but cheaply safe):
    //  the entry goes first, the values stay alive until after the hook.
    void *keep = NULL;
    if (opinion->mu [0] == mu)
        keep = opinion->mu [0], opinion->mu [0] = NULL;
    else
    if (opinion->mu [1] == mu)
        keep = opinion->mu [1], opinion->mu [1] = NULL;
    opinion->ticket = 0;
    s_drop_opinion (self, opinion);
    self->hooks.settled (self->hooks.arg, job, tile, &rect, mu);
    free (keep);
}

void
mf_verify_second (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid,
                  const mf_rect_t *rect, const void *mu)
{
    size_t bytes = (size_t) rect->w * rect->h * s_value_size (self, job);
    s_opinion_t *opinion = s_opinion (self, job, tile);
    if (opinion && opinion->has [0] && memcmp (opinion->mu [0], mu, bytes) == 0) {
        self->counters.verified++;
        s_settle (self, opinion, opinion->mu [0]);
        return;
    }
    self->counters.mismatches++;
    if (!opinion)
        opinion = s_opinion_new (self, job, tile, 0);
    if (!opinion) {
        //  Out of memory: nothing to compare with; take the second as is.
        mf_sched_settle (self->sched, job, tile);
        self->hooks.settled (self->hooks.arg, job, tile, rect, mu);
        return;
    }
    opinion->mu [1] = s_copy (mu, bytes);
    opinion->has [1] = opinion->mu [1] != NULL;
    opinion->uid [1] = uid;
    mf_sched_arbitrate (self->sched, job, tile);
    s_queue (self, opinion);
}

//  The master's own values of an arbitrated tile: settle it with them and
//  quarantine every opinion that differs.
static void
s_decide (mf_verify_t *self, s_opinion_t *opinion, const void *truth, int64_t took)
{
    mf_rect_t rect = mf_tiles_rect (mf_sched_job_tiles (self->sched, opinion->job),
                                    opinion->tile);
    size_t size = (size_t) rect.w * rect.h * s_value_size (self, opinion->job);
    uint32_t job = opinion->job, tile = opinion->tile;
    bool wrong [2];
    uint64_t uid [2];
    for (int which = 0; which < 2; which++) {
        wrong [which] = opinion->has [which] && memcmp (opinion->mu [which], truth, size) != 0;
        uid [which] = opinion->uid [which];
    }
    self->counters.local++;
    mf_info ("computed tile %u of job %u itself in %.1f s: %s", tile, job, took / 1e3,
             opinion->has [1]? "two opinions differed": "no other worker could check it");
    if (opinion->has [0] && !opinion->has [1]) {
        //  A lone first opinion, checked by the master.
        if (wrong [0])
            self->counters.mismatches++;
        else
            self->counters.verified++;
    }
    s_settle (self, opinion, truth);
    for (int which = 0; which < 2; which++)
        if (wrong [which])
            s_quarantine (self, uid [which], job, tile);
}

void
mf_verify_poll (mf_verify_t *self, int64_t now, int64_t grace)
{
    char drain [64];
    while (read (self->pipe [0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock (&self->lock);
    s_arb_t *done = self->done;
    self->done = NULL;
    pthread_mutex_unlock (&self->lock);
    while (done) {
        s_arb_t *arb = done;
        done = arb->next;
        s_opinion_t *opinion = s_opinion (self, arb->job, arb->tile);
        bool current = opinion && opinion->ticket == arb->ticket
                    && mf_sched_arbitrating (self->sched, arb->job, arb->tile);
        if (arb->complete && current)
            s_decide (self, opinion, arb->mu, arb->took);
        else
        if (arb->failed && current && (opinion->has [0] || opinion->has [1])) {
            //  The master cannot compute it (out of memory): rather than
            //  keep the render waiting forever, an opinion stands.
            s_settle (self, opinion, opinion->has [0]? opinion->mu [0]: opinion->mu [1]);
        }
        s_arb_free (arb);
    }
    //  Arbitrations that could not be queued (out of memory) try again.
    s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); index++)
        if (!opinion->ticket && mf_sched_arbitrating (self->sched, opinion->job, opinion->tile))
            s_queue (self, opinion);
    //  First opinions nobody else can check: the master checks them, once
    //  a worker had time to come.
    uint32_t job, tile;
    for (int count = 0; count < UNVERIFIABLE_MAX
                        && mf_sched_unverifiable (self->sched, &job, &tile) == 0; count++) {
        opinion = s_opinion (self, job, tile);
        if (opinion && now - opinion->stored_at < grace)
            break;
        if (!opinion)
            opinion = s_opinion_new (self, job, tile, now);
        if (!opinion)
            break;
        mf_sched_arbitrate (self->sched, job, tile);
        s_queue (self, opinion);
    }
}

void
mf_verify_forget_job (mf_verify_t *self, uint32_t job)
{
    s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); )
        if (opinion->job == job)
            s_drop_opinion (self, opinion);
        else
            index++;
    s_owner_t *owner;
    for (size_t index = 0; (owner = mf_vec_at (self->owners, index)); index++) {
        size_t kept = 0;
        const s_ref_t *ref;
        for (size_t k = 0; (ref = mf_vec_at (owner->refs, k)); k++)
            if (ref->job != job)
                *(s_ref_t *) mf_vec_at (owner->refs, kept++) = *ref;
        mf_vec_truncate (owner->refs, kept);
    }
}

bool
mf_verify_quarantined (mf_verify_t *self, uint64_t uid)
{
    const uint64_t *caught;
    for (size_t index = 0; (caught = mf_vec_at (self->quarantined, index)); index++)
        if (*caught == uid)
            return true;
    return false;
}

size_t
mf_verify_arbitrating (mf_verify_t *self)
{
    size_t count = 0;
    const s_opinion_t *opinion;
    for (size_t index = 0; (opinion = s_opinion_at (self, index)); index++)
        count += opinion->ticket != 0;
    return count;
}

void
mf_verify_counters (mf_verify_t *self, mf_verify_counters_t *out)
{
    *out = self->counters;
}
