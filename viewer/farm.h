/*  mf_farm: the master engine on its own thread, for the viewer.

    The engine is single-threaded, so it lives entirely on a CZMQ actor
    thread: it is created there, polled there (50 ms slices, waking at
    once for a command), and destroyed there. The viewer's thread talks to
    it only through this interface, and never blocks on the network:

    - commands go down the actor's inproc pipe (submit a job under a
      token the viewer chose, cancel a token), and return at once;
    - every accepted tile is copied, tagged with its token, into a
      mutex-protected queue the viewer drains with mf_farm_take; the
      notify callback runs (on the engine thread) when that queue stops
      being empty, e.g. to wake an event loop;
    - the engine's counters are published after every poll.

    A job that completes is released by the engine thread on its own. A
    cancelled job's token never comes out of mf_farm_take after the
    cancel command has been handled, and its late results are dropped by
    the engine by job id; tiles of it already queued are still there, so
    the viewer must drop tokens it no longer wants (it does).
*/
#ifndef MF_VIEWER_FARM_H
#define MF_VIEWER_FARM_H

#include "engine.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _mf_farm_t mf_farm_t;

//  One delivered tile. rect.w == 0 means the job could not be started
//  (out of memory) and carries no pixels.
typedef struct {
    uint32_t token;                     //  the viewer's token for the job
    mf_rect_t rect;                     //  where it goes in the job's image
    int worker;                         //  engine slot of the worker that computed it
    bool deep;                          //  a deep job's: the values are doubles
                                        //  (mf_farm_tile_mu64), not floats
    _Alignas (double) float mu [];      //  rect.w * rect.h values, row-major
} mf_farm_tile_t;

//  A deep job's tile's values (rect.w * rect.h doubles, row-major).
static inline double *
mf_farm_tile_mu64 (mf_farm_tile_t *tile)
{
    return (double *) (void *) tile->mu;
}

typedef struct {
    uint32_t workers;                   //  connected now
    uint32_t jobs;                      //  jobs in flight
    uint64_t tiles;                     //  tiles accepted since start
    uint64_t pixels;                    //  pixels accepted since start
    uint64_t late;                      //  results dropped as late (cancelled jobs, lost leases)
    uint64_t rejected;                  //  messages refused
} mf_farm_status_t;

//  Called on the engine thread when tiles are waiting after none were.
typedef void (mf_farm_notify_fn) (void *arg);

//  Starts the engine thread and binds opts' endpoints (opts' strings must
//  outlive the farm). Returns NULL with the reason in err.
mf_farm_t *mf_farm_new (const mf_engine_opts_t *opts, mf_farm_notify_fn *notify, void *arg,
                        char *err, size_t errlen);

//  The endpoint the remote link (--listen) really bound, with the port
//  the system chose, or NULL without one; owned by the farm. Set before
//  mf_farm_new returns.
const char *mf_farm_endpoint (mf_farm_t *self);

//  Stops the engine thread (jobs in flight are dropped) and frees every
//  queued tile; safe twice, nulls the pointer.
void mf_farm_destroy (mf_farm_t **self_p);

//  Starts a job under token (the caller's, nonzero, not in use). Makes
//  the job's tile grid here, which the engine then takes (one grid per
//  job: the viewer counts on the one the engine hands out from), and
//  says in tiles how many tiles the job has. Returns 0, or -1 if the
//  grid could not be made (out of memory) or the command not queued.
int mf_farm_submit (mf_farm_t *self, uint32_t token, const mf_job_spec_t *spec,
                    uint32_t *tiles);

//  Starts a deep job (spec->deep and its map) computed from orbit, under
//  token, as mf_farm_submit; the farm takes a reference of its own to
//  the orbit (the engine serves it to the workers while a job uses it,
//  and forgets it with the last one, cancelled or done). Its tiles come
//  out with doubles. Returns 0 or -1 as mf_farm_submit.
int mf_farm_submit_deep (mf_farm_t *self, uint32_t token, const mf_job_spec_t *spec,
                         mf_shipped_t *orbit, uint32_t *tiles);

//  Cancels the job of token, if it is still in flight. Returns 0 or -1.
int mf_farm_cancel (mf_farm_t *self, uint32_t token);

//  Stops polling the network, for shutdown: the sockets stay open but
//  nothing more is read, so workers that leave now are not reported (as
//  after a headless render). Returns once the engine thread has stopped.
void mf_farm_pause (mf_farm_t *self);

//  The oldest delivered tile, or NULL; the caller frees it with free().
mf_farm_tile_t *mf_farm_take (mf_farm_t *self);

//  Tiles delivered and not taken yet.
size_t mf_farm_queued (mf_farm_t *self);

//  Writes into name (size bytes) the name (host:pid) of the worker that
//  tiles tagged number came from. Returns 0, or -1 for a number no tile
//  was tagged with yet.
int mf_farm_worker_name (mf_farm_t *self, int number, char *name, size_t size);

//  The latest counters.
void mf_farm_status (mf_farm_t *self, mf_farm_status_t *out);

#endif
