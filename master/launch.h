/*  mf_launch: the master's start-up, one sequence for both faces (the
    headless render and the viewer), in this order:

    1. mf_launch_new checks what can be checked before anything starts,
       reading files only: it raises the open-file limit, loads --cert,
       reads --allow, warns about a --listen open to the network, and
       refuses an ipc:// --listen path that is not a free socket path.
    2. mf_launch_start forks the local workers (before any ZeroMQ context
       exists: a forked child never uses its parent's): -j processes of
       one thread, or for a deep view one process of -j threads, whose
       one BLA table serves them all, each with a region of memory mapped
       shared before the fork, where it leaves its results (mf_shm.h;
       MF_LAUNCH_SHM_ENV=0 turns that off); it starts the
       authenticator for --cert, and for --announce binds the beacon's
       UDP port on its interface (announce.h), broadcasting nothing yet.
    3. The caller creates the engine from mf_launch_engine_opts, on its
       own thread (mf_launch_engine) or on another (the viewer's farm),
       and calls mf_launch_bound once it is bound: the local workers
       connect then, and the beacon starts, naming the port bound.
    4. At the end, mf_launch_stop_workers while the engine's sockets are
       still open (the workers leave at once; the beacon falls silent),
       the engine, and then mf_launch_destroy: the authenticator outlives
       the engine that used it, and the ipc:// socket file the master
       made is removed.

    Every failure prints one line; the status says what main returns.
*/
#ifndef MF_LAUNCH_H
#define MF_LAUNCH_H

#include "engine.h"
#include "options.h"

#define MF_LAUNCH_SHM_ENV "MF_SHM"      //  "0": local workers send results over
                                        //  the socket, not through shared memory

typedef struct _mf_launch_t mf_launch_t;

//  Step 1 for opts (the caller's, alive until the launch is destroyed).
//  Returns NULL with *status 2 (bad input: keys, allow directory, ipc
//  path), having printed one line.
mf_launch_t *mf_launch_new (const mf_options_t *opts, int *status);

//  Step 2: forks the local workers (-j of them, or one of -j threads for
//  a deep view), starts the authenticator and, for
//  --announce, the beacon's actor; the secret key is wiped from the
//  launch either way. Returns 0, or 1 (2 where --announce has no
//  interface to broadcast on) having printed one line (then nothing may
//  listen).
int mf_launch_start (mf_launch_t *self);

//  The engine's options for this launch (endpoints, heartbeat,
//  authenticator, largest tile, deep results for a deep view), owned by
//  the launch: valid until it is destroyed. Call after mf_launch_start.
const mf_engine_opts_t *mf_launch_engine_opts (mf_launch_t *self);

//  Step 3 on the calling thread: creates the engine and calls
//  mf_launch_bound. Returns the engine (the caller destroys it before the
//  launch), or NULL with *status 2 having printed one line.
mf_engine_t *mf_launch_engine (mf_launch_t *self, int *status);

//  Says that the engine could not bind, as why tells (one line naming
//  --listen). Returns the exit status for it, 2.
int mf_launch_bind_failed (const char *why);

//  The engine is bound, --listen at bound (the endpoint the engine
//  reports, with the port the system chose; NULL without --listen): lets
//  the local workers connect, starts broadcasting the beacon of
//  --announce (naming bound's port; says so unless --quiet), and notes
//  the ipc:// socket file --listen made, to remove it at the end.
void mf_launch_bound (mf_launch_t *self, const char *bound);

//  Stops the local workers (SIGTERM, then SIGKILL after a grace period)
//  and reaps them, and silences the beacon: the render is over, no worker
//  should come looking for it. Does nothing the second time.
void mf_launch_stop_workers (mf_launch_t *self);

//  Stops the workers if still running and the authenticator (destroy the
//  engine first), removes the socket file of an ipc:// --listen if it is
//  still the one the master made, and wipes the keys; safe twice, nulls
//  the pointer.
void mf_launch_destroy (mf_launch_t **self_p);

#endif
