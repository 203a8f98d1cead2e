/*  mf_engine: the master's engine, shared by the headless export and the
    live viewer. It owns the ROUTER sockets workers connect to, checks
    every message before use, hands out tiles (dispatch), keeps liveness
    both ways, and assembles accepted tiles into the jobs' buffers. Who
    computes what is mf_sched's; who is connected is mf_peers'; second
    opinions and quarantine are mf_verify's.

    Deep jobs (mf_engine_submit_deep) go out as DEEPTILEs naming their
    reference orbit (mf_shipped), which the engine holds while any job
    uses it and serves to the workers that FETCH it, in CHUNKs of exactly
    the bytes asked, at most MF_ENGINE_CHUNKS_QUEUED of them queued to
    one connection at a time (engine.c says how that is counted); a
    FETCH beyond that, or beyond the orbit's end, is dropped and
    counted, and one for an orbit the engine does not hold is answered
    NOORBIT. A DECLINE ends its lease (the tile goes out again, the
    credit comes back); a worker that declines an orbit as too large for
    it or as bad gets no more tiles of it (mf_engine_job_refused says
    when nobody connected can compute a job). Their results must be f64
    mu and go into the job's image of doubles.

    The engine is single-threaded: every call comes from the thread that
    created it. A caller drives it by calling mf_engine_poll in a loop;
    the viewer runs that loop on its own thread and passes its command
    pipe as the extra socket, so one poll waits on both. The master's own
    computation of a disputed tile runs on mf_verify's thread, never in
    the poll: heartbeats go on meanwhile.
*/
#ifndef MF_ENGINE_H
#define MF_ENGINE_H

#include "auth.h"
#include "peers.h"
#include "sched.h"
#include "shipped.h"
#include "mf_shm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_ENGINE_HEARTBEAT 1000        //  msecs, default interval both ways
#define MF_ENGINE_LIVENESS 3            //  silent intervals before a worker is evicted
#define MF_ENGINE_NAME_LEN MF_PEERS_NAME_LEN    //  bytes of a worker's display name
#define MF_ENGINE_CHUNKS_QUEUED 16      //  CHUNKs queued to one connection at most: a
                                        //  worker's window (8, worker/fetcher.h) twice over

typedef struct _mf_engine_t mf_engine_t;

typedef struct {
    const char *local_endpoint;         //  bound for forked local workers, or NULL;
                                        //  only our own user's processes may connect
    const char *listen_endpoint;        //  bound for remote workers, or NULL
    int heartbeat_ms;                   //  heartbeat interval, msecs (0: default)
    mf_auth_t *auth;                    //  if not NULL, listen_endpoint is a CURVE server
                                        //  that admits only the workers auth allows; the
                                        //  caller's, alive until the engine is destroyed
    uint32_t max_tile_edge;             //  largest tile edge of any job (0: the largest
                                        //  allowed); bigger messages never get in
    uint32_t max_connections;           //  connections a tcp:// listen_endpoint holds
                                        //  at once, with auth or without (0: what
                                        //  RLIMIT_NOFILE leaves, at most 4096)
    bool deep;                          //  deep jobs may come: results of f64 mu (twice
                                        //  the bytes of f32) get in
    mf_shm_t *shm;                      //  memory shared with the workers forked for
                                        //  local_endpoint (the caller's, alive until
                                        //  the engine is destroyed), or NULL: only a
                                        //  peer on that link whose HELLO says a
                                        //  region's secret may send shared results
} mf_engine_opts_t;

//  Called for every tile done (accepted, or verified), on the engine's
//  thread. tile is its id in the job's grid (mf_engine_job_tiles), rect
//  its place; mu points at its first pixel, rows stride values apart:
//  floats for a shallow job, doubles for a deep one.
//  worker is the uid of the worker whose result it is alone, or 0 when
//  it is no single worker's (two agreeing opinions, or the master's own
//  computation).
typedef void (mf_engine_tile_fn) (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect,
                                  const void *mu, size_t stride, uint64_t worker);

//  Called when a tile is handed out, and when a done tile's result is
//  withdrawn (its worker was found faulty and it is computed again).
typedef void (mf_engine_event_fn) (void *arg, uint32_t job, uint32_t tile);

typedef struct {
    uint32_t workers;                   //  connected now
    uint64_t workers_seen;              //  registrations since start
    uint64_t tiles;                     //  results accepted
    uint64_t assigned;                  //  leases handed out
    uint64_t reissued;                  //  tiles handed out again after a lost lease
    uint64_t backups;                   //  backup leases: overdue tiles, and near the end
    uint64_t overdue;                   //  backup leases on tiles whose lease was overdue
    uint64_t expired;                   //  leases taken back from workers that returned
                                        //  nothing for them
    uint64_t duplicates;                //  results for tiles already done
    uint64_t late;                      //  results of void leases
    uint64_t rejected;                  //  malformed, foreign or impossible messages
    uint64_t evicted;                   //  workers declared dead: silent, unreachable,
                                        //  or returning nothing at all
    uint64_t dropped;                   //  connections closed unregistered: beyond the
                                        //  listener's cap, or idle without HELLO
    uint64_t pixels;                    //  pixels accepted
    uint64_t iterations;                //  iterations reported with accepted tiles
    uint64_t verified;                  //  tiles settled by two agreeing opinions
    uint64_t mismatches;                //  tiles whose two opinions differed
    uint64_t local;                     //  tiles the master computed itself (arbiter)
    uint64_t quarantined;               //  workers caught returning wrong results
    uint64_t withdrawn;                 //  done tiles computed again after a quarantine
    uint64_t bytes_in;                  //  bytes of the messages received, every link
                                        //  (ZeroMQ's framing not counted)
    uint64_t shared;                    //  results read from shared memory (forked
                                        //  local workers), whatever their verdict
    uint64_t deep_leases;               //  DEEPTILEs handed out
    uint64_t chunks;                    //  CHUNKs of orbits sent
    uint64_t chunk_bytes;               //  orbit bytes they carried
    uint64_t fetch_dropped;             //  FETCHes dropped: beyond the orbit's end, or
                                        //  beyond MF_ENGINE_CHUNKS_QUEUED queued
    uint64_t noorbit;                   //  FETCHes of orbits not held, answered NOORBIT
    uint64_t declined;                  //  deep leases declined by their worker
    uint64_t refusals;                  //  orbits a worker refused (too large, bad)
} mf_engine_stats_t;

//  Binds the endpoints. Returns NULL with the reason in err, naming the
//  endpoint that could not be bound.
mf_engine_t *mf_engine_new (const mf_engine_opts_t *opts, char *err, size_t errlen);

//  Stops the verification thread, closes the sockets; safe twice, nulls
//  the pointer.
void mf_engine_destroy (mf_engine_t **self_p);

//  Sets the function called for every tile done (or NULL).
void mf_engine_on_tile (mf_engine_t *self, mf_engine_tile_fn *fn, void *arg);

//  Sets the functions called when a tile is handed out and when a done
//  tile is withdrawn (either may be NULL); they share arg.
void mf_engine_on_events (mf_engine_t *self, mf_engine_event_fn *leased,
                          mf_engine_event_fn *withdrawn, void *arg);

//  Starts a shallow job (its tile edge at most the engine's
//  max_tile_edge); its tiles go out at the next poll. mu, if not NULL,
//  receives the assembled image (pixel_w * pixel_h floats, the caller's,
//  alive until the job is done or cancelled). Returns the job id, or 0
//  when out of memory.
uint32_t mf_engine_submit (mf_engine_t *self, const mf_job_spec_t *spec, float *mu);

//  The same on a grid the caller made for the job (mf_tiles_new of the
//  spec's size and tile edge, e.g. to replay a checkpoint before the
//  engine existed); the engine takes it (*tiles_p is nulled, even on
//  failure). Returns the job id, or 0 when out of memory.
uint32_t mf_engine_submit_grid (mf_engine_t *self, const mf_job_spec_t *spec,
                                mf_tiles_t **tiles_p, float *mu);

//  Starts a deep job (spec->deep, spec->deep_map; the engine made with
//  opts.deep) computed from orbit, on the grid *tiles_p made for it (as
//  mf_engine_submit_grid; NULL: the engine makes it). The engine holds
//  the orbit, by its id, as long as a job uses it (several jobs may
//  share one orbit, each with its own map) and serves its bytes to
//  workers; the caller keeps its own reference. mu, if not NULL,
//  receives the image (pixel_w * pixel_h doubles, as for
//  mf_engine_submit). Returns the job id, or 0 when out of memory or
//  the orbit cannot serve the spec (another number type than the map's,
//  or more than maxiter + 1 points).
uint32_t mf_engine_submit_deep (mf_engine_t *self, const mf_job_spec_t *spec,
                                mf_tiles_t **tiles_p, double *mu, mf_shipped_t *orbit);

//  Hands out the job's tiles only before position horizon of its order
//  as first leases (mf_sched_job_horizon): a poster's window of bands.
//  Returns 0, or -1 if there is no such job.
int mf_engine_horizon (mf_engine_t *self, uint32_t job, uint32_t horizon);

//  Whether some worker is connected and every one of them refused the
//  job's reference orbit (DECLINE, too large or bad): nobody here can
//  compute its tiles.
bool mf_engine_job_refused (mf_engine_t *self, uint32_t job);

//  The job's tile grid, the one every tile id refers to (the engine's,
//  valid until the job is released or cancelled), or NULL if no such job.
const mf_tiles_t *mf_engine_job_tiles (mf_engine_t *self, uint32_t job);

//  Marks a tile of a job done with the given mu (little-endian floats,
//  or doubles for a deep job, as on the wire; NULL when the job's image
//  already holds them), e.g. from
//  a checkpoint; call before the next poll. owner is the uid of the
//  worker whose result it was alone (0: none), so that a worker found
//  faulty later has this tile computed again too. Returns 0, or -1 if
//  there is no such pending tile.
int mf_engine_preset (mf_engine_t *self, uint32_t job, uint32_t tile, const uint8_t *mu,
                      uint64_t owner);

//  Cancels a job: workers holding its tiles are told to drop them, and
//  results still arriving for it are dropped. Returns 0 or -1 (no such job).
int mf_engine_cancel (mf_engine_t *self, uint32_t job);

//  Tiles done and in all for a job; -1 if no such job.
int mf_engine_progress (mf_engine_t *self, uint32_t job, uint32_t *done, uint32_t *total);

//  Forgets a finished job (its buffer is no longer touched). Returns 0 or -1.
int mf_engine_release (mf_engine_t *self, uint32_t job);

//  Waits up to timeout msecs (never more than half a heartbeat interval;
//  a negative timeout waits that long) for messages, handles them, keeps
//  heartbeats and liveness, settles the tiles the master verified on its
//  own thread, and hands out tiles. If extra (a zsock_t or raw socket) is
//  not NULL it is polled too. Returns 1 if extra is readable, 0
//  otherwise, -1 if interrupted by a signal.
int mf_engine_poll (mf_engine_t *self, int timeout, void *extra);

//  Counters and the number of workers now.
void mf_engine_stats (mf_engine_t *self, mf_engine_stats_t *out);

//  The index-th worker seen, connected or not (from 0), or NULL past the
//  last: loop until NULL. The engine's, valid until the next poll.
const mf_worker_info_t *mf_engine_worker (mf_engine_t *self, size_t index);

//  Writes into buf (size bytes) the endpoint the remote link really
//  listens on: listen_endpoint, with the port the system chose where it
//  said "*" (tcp://127.0.0.1:* gives e.g. tcp://127.0.0.1:49152). Without
//  a listen_endpoint, the local link's. Returns 0, or -1 if no link is
//  bound or buf is too small.
int mf_engine_endpoint (mf_engine_t *self, char *buf, size_t size);

#endif
