/*  mf_pool: see pool.h. A mutex and a condition variable guard a queue
    of tiles (an mf_vec: pushed at the back, shifted at the front); outcomes leave through ZeroMQ so that the network thread
    can wait on the master and on its compute threads in one poll.
    Each compute thread compresses its own results (mf_rcodec, one per
    thread), so encoding scales with the threads as the kernel does.
*/
#include "pool.h"
#include "mf_log.h"
#include "mf_util.h"
#include "mf_vec.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DELAY_SLICE 10                  //  msecs between looks at the stop flag in a test delay

typedef struct {
    mf_tile_msg_t tile;                 //  what to compute, unless deep
    mf_deeptile_t deep;                 //  ... with table set: a deep tile
    mf_table_t *table;                  //  a deep tile's BLA table (a reference), or NULL
    uint32_t tag;                       //  caller's tag, returned with the outcome
} s_item_t;

//  One compute thread.
typedef struct {
    mf_pool_t *pool;                    //  the pool it serves
    pthread_t thread;                   //  valid once created
    atomic_bool stop;                   //  the tile in hand stops when set
    atomic_int stop_deep;               //  the same for a deep tile (its kernel's type)
    bool busy;                          //  a tile is in hand (guarded by the pool's lock)
    uint32_t job;                       //  its job, while busy
    mf_rcodec_t *codec;                 //  this thread's compressor, made when first needed
} s_compute_t;

struct _mf_pool_t {
    pthread_mutex_t lock;               //  guards everything below it but computes' stop
    pthread_cond_t wake;                //  signalled on submit and stop
    pthread_cond_t answer;              //  signalled as each thread runs or fails
    mf_vec_t *queue;                    //  queued tiles, s_item_t, oldest first
    size_t running;                     //  tiles taken whose outcome is unread
    bool stop;                          //  threads exit when set
    s_compute_t *computes;              //  one per thread asked for
    int created;                        //  threads created (to be joined)
    int answered;                       //  of those, how many said whether they run
    int live;                           //  of those, how many run
    const mf_kernel_t *kernel;          //  the variant to run
    const mf_perturb_kernel_t *perturb; //  the variant deep tiles run
    char endpoint [128];                //  inproc endpoint for outcomes
    int delay_ms;                       //  test fault: msecs of sleep per tile
    int corrupt_every;                  //  test fault: corrupt every Nth result
    uint64_t computed;                  //  tiles taken, for corrupt_every
    uint8_t encoding;                   //  how results' mu travel: MF_ENCODING_
    mf_shm_t *shm;                      //  with encoding SHARED: memory shared with
    int region;                         //  the master, and our region of it
    atomic_bool told_large;             //  a tile larger than a slot was logged
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

static void
s_corrupt_deep (double *mu)
{
    if (mu [0] < 0)
        mu [0] = 0.0;
    else
        mu [0] = mu [0] >= 0.5? mu [0] - 0.5: mu [0] + 0.5;
}

//  Stops or frees the tile in hand, for both kinds of kernel.
static void
s_set_stop (s_compute_t *compute, bool stop)
{
    atomic_store (&compute->stop, stop);
    atomic_store (&compute->stop_deep, stop? 1: 0);
}

//  Tells mf_pool_new whether this thread runs.
static void
s_answer (mf_pool_t *self, bool runs)
{
    pthread_mutex_lock (&self->lock);
    self->answered++;
    if (runs)
        self->live++;
    pthread_cond_broadcast (&self->answer);
    pthread_mutex_unlock (&self->lock);
}

//  The test delay: msecs of sleep, cut short when the tile is stopped.
static void
s_delay (s_compute_t *compute, int msecs)
{
    int64_t until = mf_clock_ms () + msecs;
    while (!atomic_load (&compute->stop)) {
        int64_t left = until - mf_clock_ms ();
        if (left <= 0)
            break;
        usleep ((useconds_t) (left < DELAY_SLICE? left: DELAY_SLICE) * 1000);
    }
}

//  Sends a tile's outcome: its tag, then the RESULT or an empty frame.
static void
s_send_outcome (void *push, uint32_t tag, zframe_t **frame_p)
{
    zframe_t *tag_frame = zframe_new (&tag, sizeof tag);
    zframe_t *frame = *frame_p? *frame_p: zframe_new_empty ();
    *frame_p = NULL;
    //  An inproc PUSH to a bound PULL queues; the network thread reads.
    zframe_send (&tag_frame, push, ZFRAME_MORE);
    zframe_send (&frame, push, 0);
}

//  The thread's buffer, grown to bytes (64-byte aligned for the vector
//  kernels). Returns it, or NULL when out of memory.
static void *
s_buffer (void **buffer, size_t *buffer_bytes, size_t bytes)
{
    if (bytes > *buffer_bytes) {
        free (*buffer);
        *buffer = aligned_alloc (64, (bytes + 63) / 64 * 64);
        *buffer_bytes = *buffer? bytes: 0;
    }
    return *buffer;
}

//  With encoding ZSTD, replaces *frame_p, a raw RESULT of
//  result, with the same RESULT compressed when that is smaller; else
//  (any other encoding, SHARED included: its RESULT names a slot and
//  holds no values, so values outside one travel raw; or out of memory)
//  leaves it raw, which every master takes.
static void
s_encode (s_compute_t *compute, uint8_t encoding, mf_result_t *result, zframe_t **frame_p)
{
    if (encoding != MF_ENCODING_ZSTD)
        return;
    if (!compute->codec && !(compute->codec = mf_rcodec_new ()))
        return;
    size_t size;
    const uint8_t *packed = mf_rcodec_encode (compute->codec, mf_proto_mu_bytes (result->format),
                                              result->rect.w, result->rect.h,
                                              zframe_data (*frame_p) + MF_SIZE_RESULT_HEAD,
                                              &size);
    zframe_t *frame = packed? zframe_new (NULL, MF_SIZE_RESULT_HEAD + size): NULL;
    if (!frame)
        return;
    result->encoding = encoding;
    result->size = (uint32_t) size;
    mf_proto_encode_result_head (zframe_data (frame), zframe_size (frame), result);
    memcpy (zframe_data (frame) + MF_SIZE_RESULT_HEAD, packed, size);
    zframe_destroy (frame_p);
    *frame_p = frame;
}

//  Where a tile's mu of bytes go: a free slot of the memory shared with
//  the master when results travel that way (*slot set), else the
//  thread's buffer, grown (*slot -1; a region with no free slot sends
//  raw). Returns NULL when out of memory.
static void *
s_output (mf_pool_t *self, uint8_t encoding, size_t bytes, void **buffer_p,
          size_t *buffer_bytes, int *slot)
{
    *slot = -1;
    if (encoding == MF_ENCODING_SHARED
    &&  (*slot = mf_shm_take (self->shm, self->region, bytes)) >= 0)
        return mf_shm_data (self->shm, self->region, *slot);
    //  The master sized the slots for the largest tile it sends: one
    //  larger is its mistake, and every such tile crosses the socket.
    if (encoding == MF_ENCODING_SHARED && bytes > mf_shm_slot_bytes (self->shm)
    &&  !atomic_exchange (&self->told_large, true))
        mf_warn ("a tile's %zu bytes do not fit a shared slot of %zu; such tiles travel "
                 "over the socket", bytes, mf_shm_slot_bytes (self->shm));
    return s_buffer (buffer_p, buffer_bytes, bytes);
}

//  The RESULT of values of result's format in output: the slot's number
//  when they are in shared memory (slot >= 0, stored little-endian in
//  place), else the values themselves, compressed by encoding when that
//  is smaller. Returns NULL when out of memory (the slot is let go).
static zframe_t *
s_result_frame (mf_pool_t *self, s_compute_t *compute, uint8_t encoding, mf_result_t *result,
                void *output, int slot)
{
    size_t pixels = (size_t) result->rect.w * result->rect.h;
    bool deep = result->format == MF_MU_F64;
    if (slot >= 0) {
        zframe_t *frame = zframe_new (NULL, MF_SIZE_RESULT_SHARED);
        if (!frame) {
            mf_shm_release (self->shm, self->region, (uint32_t) slot);
            return NULL;
        }
        if (deep)
            mf_proto_put_f64s (output, output, pixels);
        else
            mf_le_put_f32s (output, output, pixels);
        result->encoding = MF_ENCODING_SHARED;
        result->slot = (uint32_t) slot;
        mf_proto_encode_result_shared (zframe_data (frame), zframe_size (frame), result);
        return frame;
    }
    zframe_t *frame = zframe_new (NULL, mf_proto_result_size_as (result->format,
                                                                 result->rect.w,
                                                                 result->rect.h));
    if (!frame)
        return NULL;
    uint8_t *data = zframe_data (frame);
    mf_proto_encode_result_head (data, zframe_size (frame), result);
    if (deep)
        mf_proto_put_f64s (data + MF_SIZE_RESULT_HEAD, output, pixels);
    else
        mf_le_put_f32s (data + MF_SIZE_RESULT_HEAD, output, pixels);
    //  With no slot (none free, or the values larger than one) the
    //  encoding is SHARED still: s_encode leaves the RESULT raw, as a
    //  local link without shared memory sends it.
    s_encode (compute, encoding, result, &frame);
    return frame;
}

//  Lets a slot go that will carry no RESULT (a stopped tile).
static void
s_drop_slot (mf_pool_t *self, int slot)
{
    if (slot >= 0)
        mf_shm_release (self->shm, self->region, (uint32_t) slot);
}

//  Computes a shallow tile: its RESULT (f32 mu), or NULL when it was
//  stopped or memory ran out.
static zframe_t *
s_compute (mf_pool_t *self, s_compute_t *compute, const s_item_t *item, bool corrupt,
           uint8_t encoding, void **buffer_p, size_t *buffer_bytes, int64_t start)
{
    const mf_rect_t *r = &item->tile.task.rect;
    size_t pixels = (size_t) r->w * r->h;
    int slot;
    float *buffer = s_output (self, encoding, pixels * sizeof (float), buffer_p, buffer_bytes,
                              &slot);
    if (!buffer) {
        mf_error ("out of memory for a %ux%u tile", r->w, r->h);
        return NULL;
    }
    if (atomic_load (&compute->stop)) {
        s_drop_slot (self, slot);       //  stopped during the delay
        return NULL;
    }
    uint64_t iterations = self->kernel->fn (&item->tile.task, buffer, &compute->stop);
    if (iterations == MF_KERNEL_STOPPED) {
        s_drop_slot (self, slot);       //  a partial tile is never sent
        return NULL;
    }
    mf_result_t result = {
        .job = item->tile.job, .tile = item->tile.tile, .lease = item->tile.lease,
        .rect = *r, .iterations = iterations, .format = MF_MU_F32
    };
    if (corrupt)
        s_corrupt (buffer);
    int64_t took = mf_clock_us () - start;
    result.compute_us = took > UINT32_MAX? UINT32_MAX: (uint32_t) took;
    zframe_t *frame = s_result_frame (self, compute, encoding, &result, buffer, slot);
    if (!frame)
        mf_error ("out of memory for a %ux%u tile", r->w, r->h);
    return frame;
}

//  Computes a deep tile: its RESULT (f64 mu), or NULL when it was
//  stopped or memory ran out.
static zframe_t *
s_compute_deep (mf_pool_t *self, s_compute_t *compute, const s_item_t *item, bool corrupt,
                uint8_t encoding, void **buffer_p, size_t *buffer_bytes, int64_t start)
{
    const mf_deeptile_t *tile = &item->deep;
    const mf_rect_t *r = &tile->rect;
    size_t pixels = (size_t) r->w * r->h;
    int slot;
    double *buffer = s_output (self, encoding, pixels * sizeof (double), buffer_p,
                               buffer_bytes, &slot);
    if (!buffer) {
        mf_error ("out of memory for a %ux%u deep tile", r->w, r->h);
        return NULL;
    }
    if (atomic_load (&compute->stop_deep)) {
        s_drop_slot (self, slot);
        return NULL;
    }
    mf_perturb_task_t task = {
        .map = &tile->map, .bla = mf_table_bla (item->table), .maxiter = tile->maxiter,
        .rect = *r, .stop = &compute->stop_deep
    };
    mf_perturb_stats_t stats = { 0 };
    if (self->perturb->fn (&task, buffer, &stats)) {
        s_drop_slot (self, slot);       //  stopped: a partial tile is never sent
        return NULL;
    }
    mf_result_t result = {
        .job = tile->job, .tile = tile->tile, .lease = tile->lease, .rect = *r,
        .iterations = stats.iterations, .format = MF_MU_F64
    };
    if (corrupt)
        s_corrupt_deep (buffer);
    int64_t took = mf_clock_us () - start;
    result.compute_us = took > UINT32_MAX? UINT32_MAX: (uint32_t) took;
    zframe_t *frame = s_result_frame (self, compute, encoding, &result, buffer, slot);
    if (!frame)
        mf_error ("out of memory for a %ux%u deep tile", r->w, r->h);
    return frame;
}

static void *
s_thread (void *arg)
{
    s_compute_t *compute = arg;
    mf_pool_t *self = compute->pool;
    //  A bare socket, not a zsock_t: zsock_new asserts when ZeroMQ has no
    //  socket left, and a thread that cannot start must say so instead.
    void *push = zsys_socket (ZMQ_PUSH, NULL, 0);
    if (!push || zmq_connect (push, self->endpoint)) {
        mf_error ("a compute thread cannot open its result socket: %s",
                  zmq_strerror (zmq_errno ()));
        if (push)
            zsys_close (push, NULL, 0);
        s_answer (self, false);
        return NULL;
    }
    s_answer (self, true);
    void *buffer = NULL;                //  a tile's mu, floats or doubles
    size_t buffer_bytes = 0;
    while (true) {
        pthread_mutex_lock (&self->lock);
        while (!self->stop && mf_vec_count (self->queue) == 0)
            pthread_cond_wait (&self->wake, &self->lock);
        if (self->stop) {
            pthread_mutex_unlock (&self->lock);
            break;
        }
        s_item_t item;
        mf_vec_shift (self->queue, &item);
        self->running++;
        compute->busy = true;
        compute->job = item.table? item.deep.job: item.tile.job;
        s_set_stop (compute, false);
        uint64_t serial = ++self->computed;
        int delay_ms = self->delay_ms;
        uint8_t encoding = self->encoding;
        bool corrupt = self->corrupt_every && serial % (uint64_t) self->corrupt_every == 0;
        pthread_mutex_unlock (&self->lock);
        //  A tile's time counts from here: a test delay stands for a
        //  slower kernel, and the worker judges its tiles by it.
        int64_t start = mf_clock_us ();
        if (delay_ms)
            s_delay (compute, delay_ms);

        zframe_t *frame = item.table
                        ? s_compute_deep (self, compute, &item, corrupt, encoding, &buffer,
                                          &buffer_bytes, start)
                        : s_compute (self, compute, &item, corrupt, encoding, &buffer,
                                     &buffer_bytes, start);
        mf_table_unref (&item.table);
        pthread_mutex_lock (&self->lock);
        compute->busy = false;
        pthread_mutex_unlock (&self->lock);
        //  Even an empty outcome reaches the network thread: only there is
        //  the slot freed (mf_pool_done) and the credit given back.
        s_send_outcome (push, item.tag, &frame);
    }
    free (buffer);
    mf_rcodec_destroy (&compute->codec);
    zsys_close (push, NULL, 0);
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
    pthread_cond_init (&self->answer, NULL);
    self->kernel = kernel;
    atomic_init (&self->told_large, false);
    self->perturb = mf_perturb_best ();
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->computes = calloc ((size_t) threads, sizeof *self->computes);
    self->queue = mf_vec_new (sizeof (s_item_t));
    if (!self->computes || !self->queue) {
        mf_pool_destroy (&self);
        return NULL;
    }
    for (int index = 0; index < threads; index++) {
        s_compute_t *compute = &self->computes [self->created];
        compute->pool = self;
        atomic_init (&compute->stop, false);
        atomic_init (&compute->stop_deep, 0);
        int rc = pthread_create (&compute->thread, NULL, s_thread, compute);
        if (rc) {
            mf_error ("cannot start compute thread %d of %d: %s", index + 1, threads,
                      strerror (rc));
            continue;
        }
        self->created++;
    }
    pthread_mutex_lock (&self->lock);
    while (self->answered < self->created)
        pthread_cond_wait (&self->answer, &self->lock);
    int live = self->live;
    pthread_mutex_unlock (&self->lock);
    if (live == 0)
        mf_pool_destroy (&self);
    return self;
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
    for (int index = 0; index < self->created; index++)
        s_set_stop (&self->computes [index], true);
    pthread_cond_broadcast (&self->wake);
    pthread_mutex_unlock (&self->lock);
    for (int index = 0; index < self->created; index++)
        pthread_join (self->computes [index].thread, NULL);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
    pthread_cond_destroy (&self->answer);
    free (self->computes);
    const s_item_t *item;
    for (size_t index = 0; (item = mf_vec_at (self->queue, index)); index++)
        mf_table_unref (&((s_item_t *) item)->table);
    mf_vec_destroy (&self->queue);
    free (self);
    *self_p = NULL;
}

int
mf_pool_threads (mf_pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    int live = self->live;
    pthread_mutex_unlock (&self->lock);
    return live;
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
mf_pool_set_encoding (mf_pool_t *self, uint8_t encoding)
{
    assert (encoding == MF_ENCODING_RAW || encoding == MF_ENCODING_ZSTD
            || (encoding == MF_ENCODING_SHARED && self->shm));
    pthread_mutex_lock (&self->lock);
    self->encoding = encoding;
    pthread_mutex_unlock (&self->lock);
}

void
mf_pool_set_shared (mf_pool_t *self, mf_shm_t *shm, int region)
{
    assert (shm && region >= 0 && region < mf_shm_regions (shm));
    pthread_mutex_lock (&self->lock);
    self->shm = shm;
    self->region = region;
    pthread_mutex_unlock (&self->lock);
}

void
mf_pool_set_perturb (mf_pool_t *self, const mf_perturb_kernel_t *kernel)
{
    pthread_mutex_lock (&self->lock);
    self->perturb = kernel;
    pthread_mutex_unlock (&self->lock);
}

static int
s_submit (mf_pool_t *self, const s_item_t *item)
{
    pthread_mutex_lock (&self->lock);
    int rc = mf_vec_push (self->queue, item)? 0: -1;
    if (rc == 0)
        pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
mf_pool_submit (mf_pool_t *self, const mf_tile_msg_t *tile, uint32_t tag)
{
    s_item_t item = { .tile = *tile, .tag = tag };
    return s_submit (self, &item);
}

int
mf_pool_submit_deep (mf_pool_t *self, const mf_deeptile_t *tile, mf_table_t *table,
                     uint32_t tag)
{
    assert (table && mf_bla_type (mf_table_bla (table)) == tile->map.type);
    s_item_t item = { .deep = *tile, .table = table, .tag = tag };
    return s_submit (self, &item);
}

//  Removes the queued tiles of job (all of them if all) and stops those in
//  hand; returns how many were removed from the queue.
static size_t
s_filter (mf_pool_t *self, bool all, uint32_t job)
{
    pthread_mutex_lock (&self->lock);
    size_t kept = 0, removed = 0;
    s_item_t *item;
    for (size_t index = 0; (item = mf_vec_at (self->queue, index)); index++) {
        if (all || (item->table? item->deep.job: item->tile.job) == job) {
            mf_table_unref (&item->table);
            removed++;
        }
        else
            *(s_item_t *) mf_vec_at (self->queue, kept++) = *item;
    }
    mf_vec_truncate (self->queue, kept);
    for (int index = 0; index < self->created; index++) {
        s_compute_t *compute = &self->computes [index];
        if (compute->busy && (all || compute->job == job))
            s_set_stop (compute, true);
    }
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

size_t
mf_pool_queued (mf_pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t count = mf_vec_count (self->queue);
    pthread_mutex_unlock (&self->lock);
    return count;
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
