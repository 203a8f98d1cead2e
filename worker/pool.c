/*  mf_pool: see pool.h. A mutex and a condition variable guard a ring of
    queued tiles; results leave through ZeroMQ so that the network thread
    can wait on the master and on its compute threads in one poll.
*/
#include "pool.h"
#include "mf_log.h"
#include "mf_util.h"

#include <assert.h>
#include <czmq.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    mf_tile_msg_t tile;                 //  what to compute
    uint32_t tag;                       //  caller's tag, returned with the result
} s_item_t;

struct _mf_pool_t {
    pthread_mutex_t lock;               //  guards everything below it
    pthread_cond_t wake;                //  signalled on submit and stop
    s_item_t *ring;                     //  queued tiles, oldest at head
    size_t head;                        //  index of the oldest
    size_t count;                       //  tiles queued
    size_t capacity;                    //  size of ring
    size_t running;                     //  tiles being computed
    bool stop;                          //  threads exit when set
    pthread_t *threads;                 //  the compute threads
    int thread_count;                   //  how many were started
    const mf_kernel_t *kernel;          //  the variant to run
    char endpoint [128];                //  inproc endpoint for results
    int delay_ms;                       //  test fault: msecs of sleep per tile
    int corrupt_every;                  //  test fault: corrupt every Nth result
    uint64_t computed;                  //  tiles computed, guarded by lock
};

//  Changes one value so the tile is wrong but every value still possible.
static void
s_corrupt (float *mu)
{
    if (mu [0] < 0)
        mu [0] = 0.0f;
    else
        mu [0] = mu [0] >= 0.5f? mu [0] - 0.5f: mu [0] + 0.5f;
}

static int
s_grow (mf_pool_t *self)
{
    size_t capacity = self->capacity? self->capacity * 2: 16;
    s_item_t *ring = malloc (capacity * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t index = 0; index < self->count; index++)
        ring [index] = self->ring [(self->head + index) % self->capacity];
    free (self->ring);
    self->ring = ring;
    self->head = 0;
    self->capacity = capacity;
    return 0;
}

static void *
s_thread (void *arg)
{
    mf_pool_t *self = arg;
    zsock_t *push = zsock_new_push (self->endpoint);
    float *buffer = NULL;
    size_t buffer_floats = 0;
    if (!push) {
        mf_error ("compute thread cannot connect to %s", self->endpoint);
        return NULL;
    }
    while (true) {
        pthread_mutex_lock (&self->lock);
        while (!self->stop && self->count == 0)
            pthread_cond_wait (&self->wake, &self->lock);
        if (self->stop) {
            pthread_mutex_unlock (&self->lock);
            break;
        }
        s_item_t item = self->ring [self->head];
        self->head = (self->head + 1) % self->capacity;
        self->count--;
        self->running++;
        uint64_t serial = ++self->computed;
        int delay_ms = self->delay_ms;
        bool corrupt = self->corrupt_every && serial % (uint64_t) self->corrupt_every == 0;
        pthread_mutex_unlock (&self->lock);
        if (delay_ms)
            usleep ((useconds_t) delay_ms * 1000);

        const mf_rect_t *r = &item.tile.task.rect;
        size_t pixels = (size_t) r->w * r->h;
        if (pixels > buffer_floats) {
            free (buffer);
            //  64-byte aligned for the vector kernels.
            buffer = aligned_alloc (64, (pixels * sizeof (float) + 63) / 64 * 64);
            buffer_floats = buffer? pixels: 0;
        }
        zframe_t *frame = buffer? zframe_new (NULL, mf_proto_result_size (r->w, r->h)): NULL;
        if (frame) {
            int64_t start = mf_clock_us ();
            mf_result_t result = {
                .job = item.tile.job, .tile = item.tile.tile, .lease = item.tile.lease,
                .rect = *r
            };
            result.iterations = self->kernel->fn (&item.tile.task, buffer);
            if (corrupt)
                s_corrupt (buffer);
            int64_t took = mf_clock_us () - start;
            result.compute_us = took > UINT32_MAX? UINT32_MAX: (uint32_t) took;
            uint8_t *data = zframe_data (frame);
            mf_proto_encode_result_head (data, zframe_size (frame), &result);
            mf_le_put_f32s (data + MF_SIZE_RESULT_HEAD, buffer, pixels);
            zframe_t *tag = zframe_new (&item.tag, sizeof item.tag);
            zframe_send (&tag, push, ZFRAME_MORE);
            zframe_send (&frame, push, 0);
        }
        else {
            //  Nothing will reach the network thread: the slot is free now.
            mf_error ("out of memory for a %ux%u tile", r->w, r->h);
            mf_pool_done (self);
        }
    }
    free (buffer);
    zsock_destroy (&push);
    return NULL;
}

mf_pool_t *
mf_pool_new (int threads, const mf_kernel_t *kernel, const char *endpoint)
{
    assert (threads >= 1 && kernel && endpoint);
    mf_pool_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    self->kernel = kernel;
    snprintf (self->endpoint, sizeof self->endpoint, ">%s", endpoint);
    self->threads = calloc ((size_t) threads, sizeof *self->threads);
    if (!self->threads || s_grow (self)) {
        mf_pool_destroy (&self);
        return NULL;
    }
    for (int index = 0; index < threads; index++) {
        if (pthread_create (&self->threads [index], NULL, s_thread, self)) {
            mf_pool_destroy (&self);
            return NULL;
        }
        self->thread_count++;
    }
    return self;
}

void
mf_pool_set_faults (mf_pool_t *self, int delay_ms, int corrupt_every)
{
    pthread_mutex_lock (&self->lock);
    self->delay_ms = delay_ms;
    self->corrupt_every = corrupt_every;
    pthread_mutex_unlock (&self->lock);
}

void
mf_pool_destroy (mf_pool_t **self_p)
{
    assert (self_p);
    mf_pool_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_broadcast (&self->wake);
    pthread_mutex_unlock (&self->lock);
    for (int index = 0; index < self->thread_count; index++)
        pthread_join (self->threads [index], NULL);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
    free (self->threads);
    free (self->ring);
    free (self);
    *self_p = NULL;
}

int
mf_pool_submit (mf_pool_t *self, const mf_tile_msg_t *tile, uint32_t tag)
{
    pthread_mutex_lock (&self->lock);
    int rc = 0;
    if (self->count == self->capacity && s_grow (self))
        rc = -1;
    else {
        s_item_t *item = &self->ring [(self->head + self->count) % self->capacity];
        item->tile = *tile;
        item->tag = tag;
        self->count++;
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

//  Removes queued tiles for which keep() is false; returns how many.
static size_t
s_filter (mf_pool_t *self, bool all, uint32_t job)
{
    pthread_mutex_lock (&self->lock);
    size_t kept = 0, removed = 0;
    for (size_t index = 0; index < self->count; index++) {
        s_item_t item = self->ring [(self->head + index) % self->capacity];
        if (all || item.tile.job == job)
            removed++;
        else
            self->ring [(self->head + kept++) % self->capacity] = item;
    }
    self->count = kept;
    pthread_mutex_unlock (&self->lock);
    return removed;
}

size_t
mf_pool_cancel (mf_pool_t *self, uint32_t job)
{
    return s_filter (self, false, job);
}

size_t
mf_pool_clear (mf_pool_t *self)
{
    return s_filter (self, true, 0);
}

void
mf_pool_done (mf_pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    assert (self->running > 0);
    self->running--;
    pthread_mutex_unlock (&self->lock);
}

size_t
mf_pool_running (mf_pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t running = self->running;
    pthread_mutex_unlock (&self->lock);
    return running;
}
