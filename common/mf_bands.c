/*  mf_bands: see mf_bands.h. The items in flight sit in a ring of
    threads * MF_BANDS_AHEAD slots, in submission order: item k in slot
    k % capacity. Three counters, under one lock, say where each item
    is: below `written` it is gone, below `claimed` a thread has it or
    made it (made [] says which), below `submitted` it waits for a thread.
    One condition variable covers every change; the waits are short
    (an item is made in milliseconds) and each one rechecks the stop flag.
*/
#include "mf_bands.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct _mf_bands_t {
    mf_bands_fns_t fns;                 //  the caller's functions
    void *arg;                          //  their argument
    volatile sig_atomic_t *stop;        //  set: stop (NULL: never)
    void *scratch;                      //  the caller's thread's, with no thread
    pthread_t *ids;                     //  the threads
    int started;                        //  how many run (0: none)
    pthread_mutex_t lock;               //  guards everything below it
    pthread_cond_t changed;             //  an item was submitted, made or written, or
                                        //  the pipeline failed or is closing
    void **items;                       //  the ring, capacity slots
    bool *made;                         //  by slot: its item is made
    uint64_t capacity;                  //  slots
    uint64_t written;                   //  items written and freed
    uint64_t claimed;                   //  items taken by a thread
    uint64_t submitted;                 //  items submitted
    bool failed;                        //  a make or write failed, or stop was seen
    bool closing;                       //  destroy: the threads leave
};

static bool
s_stopped (mf_bands_t *self)
{
    return self->stop && *self->stop;
}

static void *
s_thread (void *arg)
{
    mf_bands_t *self = arg;
    void *scratch = self->fns.scratch_new (self->arg);
    pthread_mutex_lock (&self->lock);
    if (!scratch)
        self->failed = true;
    while (scratch) {
        while (!self->failed && !self->closing && self->claimed == self->submitted)
            pthread_cond_wait (&self->changed, &self->lock);
        if (self->failed || self->closing)
            break;
        uint64_t slot = self->claimed++ % self->capacity;
        void *item = self->items [slot];
        pthread_mutex_unlock (&self->lock);
        int rc = self->fns.make (self->arg, scratch, item);
        pthread_mutex_lock (&self->lock);
        if (rc)
            self->failed = true;
        else
            self->made [slot] = true;
        pthread_cond_broadcast (&self->changed);
    }
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
    if (scratch)
        self->fns.scratch_free (self->arg, scratch);
    return NULL;
}

mf_bands_t *
mf_bands_new (const mf_bands_fns_t *fns, void *arg, int threads,
              volatile sig_atomic_t *stop)
{
    assert (fns && fns->scratch_new && fns->scratch_free && fns->make && fns->write
            && fns->free_item);
    mf_bands_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->fns = *fns;
    self->arg = arg;
    self->stop = stop;
    if (threads < 0)
        threads = 0;
    self->capacity = threads > 0? (uint64_t) threads * MF_BANDS_AHEAD: 1;
    self->items = calloc (self->capacity, sizeof *self->items);
    self->made = calloc (self->capacity, sizeof *self->made);
    self->ids = threads > 0? calloc ((size_t) threads, sizeof *self->ids): NULL;
    if (!self->items || !self->made || (threads > 0 && !self->ids)) {
        free (self->items);
        free (self->made);
        free (self->ids);
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->changed, NULL);
    for (; self->started < threads; self->started++)
        if (pthread_create (&self->ids [self->started], NULL, s_thread, self))
            break;
    return self;
}

//  Writes items in order while the oldest is made, waiting for the
//  oldest as long as fewer than until are written. Returns 0, or -1 once
//  the pipeline failed or stop is set.
static int
s_write_until (mf_bands_t *self, uint64_t until)
{
    pthread_mutex_lock (&self->lock);
    while (true) {
        if (!self->failed && s_stopped (self)) {
            self->failed = true;
            pthread_cond_broadcast (&self->changed);
        }
        if (self->failed || self->written == self->submitted)
            break;
        uint64_t slot = self->written % self->capacity;
        if (!self->made [slot]) {
            if (self->written >= until)
                break;
            pthread_cond_wait (&self->changed, &self->lock);
            continue;
        }
        void *item = self->items [slot];
        pthread_mutex_unlock (&self->lock);
        int rc = self->fns.write (self->arg, item);
        self->fns.free_item (self->arg, item);
        pthread_mutex_lock (&self->lock);
        self->items [slot] = NULL;
        self->made [slot] = false;
        self->written++;
        if (rc) {
            self->failed = true;
            pthread_cond_broadcast (&self->changed);
        }
    }
    int rc = self->failed? -1: 0;
    pthread_mutex_unlock (&self->lock);
    return rc;
}

//  With no thread: makes and writes item here. Returns 0 or -1.
static int
s_submit_here (mf_bands_t *self, void *item)
{
    if (!self->failed && s_stopped (self))
        self->failed = true;
    if (!self->failed && !self->scratch) {
        self->scratch = self->fns.scratch_new (self->arg);
        if (!self->scratch)
            self->failed = true;
    }
    if (!self->failed
    &&  (self->fns.make (self->arg, self->scratch, item)
    ||   self->fns.write (self->arg, item)))
        self->failed = true;
    self->fns.free_item (self->arg, item);
    return self->failed? -1: 0;
}

int
mf_bands_submit (mf_bands_t *self, void *item)
{
    assert (self);
    if (self->started == 0)
        return s_submit_here (self, item);
    //  Room for one more: fewer than capacity in flight.
    uint64_t until = self->submitted >= self->capacity? self->submitted - self->capacity + 1: 0;
    if (s_write_until (self, until)) {
        self->fns.free_item (self->arg, item);
        return -1;
    }
    pthread_mutex_lock (&self->lock);
    uint64_t slot = self->submitted % self->capacity;
    assert (!self->items [slot]);
    self->items [slot] = item;
    self->made [slot] = false;
    self->submitted++;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

int
mf_bands_finish (mf_bands_t *self)
{
    assert (self);
    if (self->started == 0) {
        if (!self->failed && s_stopped (self))
            self->failed = true;
        return self->failed? -1: 0;
    }
    return s_write_until (self, UINT64_MAX);
}

void
mf_bands_destroy (mf_bands_t **self_p)
{
    assert (self_p);
    mf_bands_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->closing = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
    for (int index = 0; index < self->started; index++)
        pthread_join (self->ids [index], NULL);
    for (uint64_t k = self->written; k < self->submitted; k++)
        self->fns.free_item (self->arg, self->items [k % self->capacity]);
    if (self->scratch)
        self->fns.scratch_free (self->arg, self->scratch);
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->lock);
    free (self->items);
    free (self->made);
    free (self->ids);
    free (self);
    *self_p = NULL;
}
