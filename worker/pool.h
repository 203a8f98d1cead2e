/*  mf_pool: the compute threads of a worker.

    The worker's network thread submits tiles, shallow ones (TILE) and
    deep ones (DEEPTILE, with the BLA table they are computed from); each
    compute thread takes the oldest, runs the kernel (the perturbation
    kernel for a deep tile, its mu as f64), and sends the outcome over an inproc PUSH
    socket to the network thread as two frames: the tag the tile was
    submitted with (4 bytes), then either the RESULT message, ready to go
    on the wire (its mu raw or compressed: mf_pool_set_encoding), or an
    empty frame when the tile was stopped (or could not
    be computed) and nothing is to be sent for it.

    Each compute thread has its own stop flag, which its kernel reads
    every few milliseconds of work: cancelling a job removes its queued
    tiles and stops the ones in hand; clearing the pool, or destroying
    it, stops them all. A tile counts as running from when a compute
    thread takes it until the network thread reads its outcome
    (mf_pool_done), whatever that outcome is.
*/
#ifndef MF_POOL_H
#define MF_POOL_H

#include "orbits.h"
#include "mf_kernel.h"
#include "mf_perturb.h"
#include "mf_proto.h"
#include "mf_shm.h"

#include <stddef.h>
#include <stdint.h>

typedef struct _mf_pool_t mf_pool_t;

//  Starts up to threads compute threads running kernel, each sending
//  outcomes to the inproc endpoint (which the caller has bound with a
//  PULL socket), and waits until each one runs or has failed (the reason
//  is logged). Returns the pool if at least one runs (mf_pool_threads
//  says how many), or NULL.
mf_pool_t *mf_pool_new (int threads, const mf_kernel_t *kernel, const char *endpoint);

//  Stops the tiles in hand, joins the threads, drops queued tiles;
//  safe twice. (Deep tiles use mf_perturb_best until
//  mf_pool_set_perturb says otherwise.)
void mf_pool_destroy (mf_pool_t **self_p);

//  Compute threads that started and run.
int mf_pool_threads (mf_pool_t *self);

//  Test-only faults (the test worker's --test-delay and --test-corrupt):
//  sleep delay_ms before each tile (cut short by a stop; counted in the
//  RESULT's compute_us, as a slower kernel's time would be), and corrupt
//  every corrupt_every-th result (0: never) with values that still look
//  valid, so that only verification can catch it.
void mf_pool_set_faults (mf_pool_t *self, int delay_ms, int corrupt_every);

//  How the RESULTs' mu travel from the next tile a thread takes on:
//  MF_ENCODING_RAW (the default) or MF_ENCODING_ZSTD, compressed by each
//  compute thread (mf_rcodec.h) when that makes it smaller.
//  MF_ENCODING_SHARED (after mf_pool_set_shared) computes each tile
//  straight into a free slot of the shared region, and its RESULT names
//  the slot (raw when no slot is free, or the tile's values are larger
//  than a slot: the first such tile is logged, as the master sized the
//  slots for its largest tile).
void mf_pool_set_encoding (mf_pool_t *self, uint8_t encoding);

//  The memory shared with the master that forked us, and our region of
//  it (the caller's, alive as long as the pool).
void mf_pool_set_shared (mf_pool_t *self, mf_shm_t *shm, int region);

//  The perturbation kernel deep tiles run (set before any is submitted).
void mf_pool_set_perturb (mf_pool_t *self, const mf_perturb_kernel_t *kernel);

//  Queues a tile; tag comes back with its outcome. Returns 0, or -1 if
//  out of memory.
int mf_pool_submit (mf_pool_t *self, const mf_tile_msg_t *tile, uint32_t tag);

//  Queues a deep tile computed from table (which must be of the tile's
//  orbit and map, and of its delta type), taking the caller's reference
//  to it on success. Returns 0, or -1 if out of memory (the reference is
//  then the caller's still).
int mf_pool_submit_deep (mf_pool_t *self, const mf_deeptile_t *tile, mf_table_t *table,
                         uint32_t tag);

//  Removes the queued tiles of job and stops the ones in hand (each sends
//  its outcome, empty unless it had finished). Returns how many were
//  removed from the queue.
size_t mf_pool_cancel (mf_pool_t *self, uint32_t job);

//  Removes every queued tile and stops every tile in hand. Returns how
//  many were removed from the queue.
size_t mf_pool_clear (mf_pool_t *self);

//  Tiles queued, not yet taken by a compute thread.
size_t mf_pool_queued (mf_pool_t *self);

//  Tiles taken by a compute thread whose outcome the network thread has
//  not read yet.
size_t mf_pool_running (mf_pool_t *self);

//  The network thread read an outcome: one slot is free.
void mf_pool_done (mf_pool_t *self);

#endif
