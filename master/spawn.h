/*  mf_spawn: the master's local workers, forked before any ZeroMQ context
    exists (a forked child must never use its parent's context). Each child
    runs the worker loop with as many compute threads as asked (one per
    process for a shallow render; one process with every thread for a
    deep one, so that one BLA table serves them all), connects to the
    master's local endpoint, and exits when asked or when the master is
    gone.
*/
#ifndef MF_SPAWN_H
#define MF_SPAWN_H

#include "mf_shm.h"

#include <stddef.h>

typedef struct _mf_spawn_t mf_spawn_t;

//  Forks count workers of threads compute threads each, with the given
//  kernel (NULL: the best), connecting to a fresh local endpoint (an
//  abstract ipc:// name with our pid and a random nonce, see
//  mf_spawn_endpoint). With shm (count regions, the caller's, mapped
//  before this call), child i returns its results in region i and says
//  HELLO with that region's secret. Returns NULL with the reason in err
//  if a fork failed (the children already started are stopped).
mf_spawn_t *mf_spawn_new (int count, int threads, const char *kernel, mf_shm_t *shm,
                          char *err, size_t errlen);

//  The endpoint the children connect to, for the master to bind.
const char *mf_spawn_endpoint (mf_spawn_t *self);

//  Lets the children connect: call once the master has bound the endpoint.
//  Until then they wait, so that none meets a closed socket and loses
//  ZeroMQ's reconnect interval.
void mf_spawn_go (mf_spawn_t *self);

//  Stops the children (SIGTERM, then SIGKILL after a grace period), reaps
//  them; safe twice, nulls the pointer.
void mf_spawn_destroy (mf_spawn_t **self_p);

#endif
