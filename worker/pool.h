/*  mf_pool: the compute threads of a worker.

    The worker's network thread submits tiles; each compute thread takes
    the oldest, runs the kernel, and sends the finished RESULT message over
    an inproc PUSH socket to the network thread as two frames: the tag the
    tile was submitted with (4 bytes) and the RESULT itself, ready to go on
    the wire. Queued tiles of a cancelled job are removed without being
    computed; a tile already being computed finishes (within one tile's
    time) and the network thread drops its result by job id. A tile counts
    as running from when a compute thread takes it until the network
    thread reads its result (mf_pool_done).
*/
#ifndef MF_POOL_H
#define MF_POOL_H

#include "mf_kernel.h"
#include "mf_proto.h"

#include <stddef.h>
#include <stdint.h>

typedef struct _mf_pool_t mf_pool_t;

//  Starts threads compute threads running kernel, each sending results to
//  the inproc endpoint (which the caller binds with a PULL socket).
//  Returns NULL on failure.
mf_pool_t *mf_pool_new (int threads, const mf_kernel_t *kernel, const char *endpoint);

//  Test-only faults: sleep delay_ms before each tile, and corrupt every
//  corrupt_every-th result (0: never) with values that still look valid,
//  so that only verification can catch it.
void mf_pool_set_faults (mf_pool_t *self, int delay_ms, int corrupt_every);

//  Stops and joins the threads, drops queued tiles; safe twice.
void mf_pool_destroy (mf_pool_t **self_p);

//  Queues a tile; tag comes back with its result. Returns 0 or -1.
int mf_pool_submit (mf_pool_t *self, const mf_tile_msg_t *tile, uint32_t tag);

//  Removes the queued tiles of job; returns how many.
size_t mf_pool_cancel (mf_pool_t *self, uint32_t job);

//  Removes every queued tile; returns how many.
size_t mf_pool_clear (mf_pool_t *self);

//  Tiles taken by a compute thread whose result the network thread has
//  not read yet.
size_t mf_pool_running (mf_pool_t *self);

//  The network thread read a result (or a tile failed): one slot is free.
void mf_pool_done (mf_pool_t *self);

#endif
