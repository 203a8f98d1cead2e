/*  mf_sched: decides who computes what. Pure state, no sockets and no
    clock of its own (the caller passes the time), so every rule here is
    unit-tested directly.

    Jobs are renders in flight (a view at a size); each is cut into tiles
    dispatched center first. Workers are slots with credit (tiles they
    asked for) and leases (tiles handed to them). Every hand-out is a lease
    with an id unique in this run; a result counts only if it carries a
    live lease of the worker that sends it, for a tile not yet done. A
    worker that leaves or is evicted voids its leases and its tiles go
    back to the front of the queue.

    Deadlines. Every lease has one, derived from the measured speed of the
    farm: the slowest worker's time per iteration (wall time from hand-out
    to result, over the iterations reported), times the most iterations
    the tile can take (pixels x maxiter), times a generous factor, plus a
    floor; before any result has measured the farm, a pessimistic time
    per iteration. A tile whose lease is overdue gets a backup lease
    however many workers hold it (up to MF_SCHED_TILE_LEASES); when
    nothing is left to hand out, a tile out with one worker gets one too,
    before its deadline, so the end of a render never waits on a slow
    machine; those early backups go only to workers that have delivered a
    result, or peers that never answer would take each other's tiles as
    backups and leave none for a worker. A worker holding an overdue
    lease that has returned nothing since that lease was handed out,
    while others did, loses every lease and its credit (mf_sched_expire):
    a peer that takes tiles and never answers cannot stall a render.

    Deep jobs (spec.deep) are tiles of a deep view like any other here:
    the same grid, leases, deadlines and verification; what a lease
    carries to a worker (the map, the reference orbit) is the engine's.
    A worker may refuse a deep job's reference orbit (too large for it,
    or bad): mf_sched_job_exclude keeps that job's tiles from it, and
    mf_sched_job_refused says when no connected worker can take them.

    Verification (--verify P): when a tile's first result arrives, a keyed
    hash of a per-render secret (never sent), the job, the tile and the
    result's lease decides whether it needs a second opinion, with
    probability P %. Nothing a worker sees before it answers tells it
    which. The first result is held by the caller; the tile then waits for
    a second opinion from a different worker (by ident: the same process
    reconnecting is the same worker); the caller compares the two and
    settles the tile, or, when they differ, computes it itself
    (arbitration) and settles it with its own result.
*/
#ifndef MF_SCHED_H
#define MF_SCHED_H

#include "mf_deep.h"
#include "mf_kernel.h"
#include "mf_region.h"
#include "mf_ship.h"
#include "mf_tiles.h"

#include <stdbool.h>
#include <stdint.h>

#define MF_SCHED_MAX_CREDIT 4096        //  tiles: a worker's credit never goes beyond
#define MF_SCHED_TILE_LEASES 4          //  live leases one tile may have at most
#define MF_SCHED_SECRET 16              //  bytes of the verification secret

typedef struct _mf_sched_t mf_sched_t;

typedef struct {
    mf_view_t view;                 //  region and size (a deep job: only the size counts)
    uint32_t maxiter;               //  maximum iterations
    uint32_t tile_edge;             //  tile edge, pixels
    uint32_t verify_percent;        //  share of tiles computed twice, 0..100
    bool deep;                      //  a deep job: perturbation from a reference orbit,
                                    //  f64 mu (the engine's mf_engine_submit_deep)
    mf_deep_map_t deep_map;         //  deep: the pixel -> dc map (mf_deep_view_map)
    mf_orbit_id_t view_id;          //  deep: names the view exactly (mf_ship_id of its
                                    //  canonical "CENTER WIDTH" texts): the journal's
} mf_job_spec_t;

typedef struct {
    int worker;                     //  slot of the worker that gets the tile
    uint32_t job;                   //  job id
    uint32_t tile;                  //  tile id
    uint32_t lease;                 //  lease id
    bool backup;                    //  a second lease on a tile already out
    mf_task_t task;                 //  what to compute
} mf_assign_t;

typedef enum {
    MF_VERDICT_ACCEPT,              //  a live lease: use the result
    MF_VERDICT_LATE,                //  lease void (job cancelled, worker evicted)
    MF_VERDICT_DUPLICATE,           //  the tile is already done (or this worker
                                    //  already gave the first of two opinions)
    MF_VERDICT_FOREIGN,             //  no such lease of this worker, or wrong tile
    MF_VERDICT_MISMATCH             //  the result's rectangle is not the tile's
} mf_verdict_t;

//  How long leases last.
typedef struct {
    int64_t floor_ms;               //  msecs every lease has beyond its computed time
    uint32_t factor;                //  times the measured time a tile may take
    double unmeasured_ns;           //  nsecs per iteration assumed before any result
} mf_sched_deadlines_t;

//  Creates an empty scheduler; NULL when out of memory. Its deadlines are
//  MF_SCHED_DEADLINES_DEFAULT and its secret all zeros until set.
mf_sched_t *mf_sched_new (void);

//  Destroys it; safe twice, nulls the pointer.
void mf_sched_destroy (mf_sched_t **self_p);

//  The defaults: a 3 s floor, 8 times the slowest measured worker, and
//  50 ns per iteration (ten times a slow scalar core) before any result.
extern const mf_sched_deadlines_t MF_SCHED_DEADLINES_DEFAULT;

//  Sets how long leases last (for leases already out too).
void mf_sched_set_deadlines (mf_sched_t *self, const mf_sched_deadlines_t *deadlines);

//  Sets the secret that chooses which tiles are verified (the caller's
//  random bytes, MF_SCHED_SECRET of them, copied).
void mf_sched_set_secret (mf_sched_t *self, const uint8_t *secret);

//  Adds a job; user is the caller's, returned by mf_sched_job_user. Returns
//  the job id (never 0), or 0 when out of memory.
uint32_t mf_sched_job_add (mf_sched_t *self, const mf_job_spec_t *spec, void *user);

//  Adds a job on a grid the caller made for it (mf_tiles_new of the
//  spec's size and tile edge), so that one grid serves everyone; the
//  scheduler takes it (*tiles_p is nulled, even on failure). Returns the
//  job id, or 0 when out of memory.
uint32_t mf_sched_job_add_grid (mf_sched_t *self, const mf_job_spec_t *spec,
                                mf_tiles_t **tiles_p, void *user);

//  Removes a job: its leases become void, its results are dropped as late.
//  Returns 0, or -1 if there is no such job.
int mf_sched_job_remove (mf_sched_t *self, uint32_t job);

//  Whether the job exists.
bool mf_sched_job_exists (mf_sched_t *self, uint32_t job);

//  Tiles done and in all; 0 and -1 return when there is no such job.
int mf_sched_job_progress (mf_sched_t *self, uint32_t job, uint32_t *done, uint32_t *total);

//  The job's spec, mapping, tile grid and user pointer (NULL if no job).
const mf_job_spec_t *mf_sched_job_spec (mf_sched_t *self, uint32_t job);
const mf_mapping_t *mf_sched_job_mapping (mf_sched_t *self, uint32_t job);
const mf_tiles_t *mf_sched_job_tiles (mf_sched_t *self, uint32_t job);
void *mf_sched_job_user (mf_sched_t *self, uint32_t job);

//  The worker ident must not get the job's tiles any more (it refused
//  its reference orbit): none are handed to it, first lease, backup or
//  second opinion. Returns 0, or -1 (no such job, or out of memory).
int mf_sched_job_exclude (mf_sched_t *self, uint32_t job, int ident);

//  Hands out only the job's tiles before position horizon of its
//  dispatch order (mf_tiles_order) as first leases; tiles that came back,
//  second opinions and backups are not held back. A poster moves it
//  on as its bands are written, so that only a window of them is ever
//  in flight. Every position is open at first (horizon: the tile count).
//  Returns 0, or -1 if there is no such job.
int mf_sched_job_horizon (mf_sched_t *self, uint32_t job, uint32_t horizon);

//  Whether ident is kept from the job's tiles.
bool mf_sched_job_excluded (mf_sched_t *self, uint32_t job, int ident);

//  Whether some worker is connected and every connected one is kept from
//  the job's tiles: nobody here can compute them.
bool mf_sched_job_refused (mf_sched_t *self, uint32_t job);

//  Marks a tile done without any worker (its result came from elsewhere,
//  e.g. a checkpoint). Returns 0, or -1 if no such pending tile.
int mf_sched_tile_preset (mf_sched_t *self, uint32_t job, uint32_t tile);

//  Adds a worker with initial credit; ident says who it is (the same for a
//  process that reconnects), so that a tile's second opinion comes from
//  someone else. Returns its slot, or -1.
int mf_sched_worker_add (mf_sched_t *self, uint32_t credit, int ident);

//  Adds credit to a worker (capped at MF_SCHED_MAX_CREDIT).
void mf_sched_worker_credit (mf_sched_t *self, int worker, uint32_t credit);

//  A worker registered again: its leases are void, its credit is reset.
//  Returns the number of leases voided.
uint32_t mf_sched_worker_reset (mf_sched_t *self, int worker, uint32_t credit);

//  Removes a worker; its leases are void and their tiles are pending again
//  unless another lease covers them. Returns the number of leases voided.
uint32_t mf_sched_worker_remove (mf_sched_t *self, int worker);

//  Number of leases a worker holds.
uint32_t mf_sched_worker_leases (mf_sched_t *self, int worker);

//  Results of a worker accepted so far (on this slot).
uint64_t mf_sched_worker_results (mf_sched_t *self, int worker);

//  Whether a worker holds a lease in a job.
bool mf_sched_worker_holds (mf_sched_t *self, int worker, uint32_t job);

//  Hands out the next tile at time now (msecs, the caller's clock), if
//  some worker has credit and some tile is waiting, or, failing that, a
//  backup lease is worth taking. Returns 0 with *out filled, or -1 when
//  there is nothing to do.
int mf_sched_next (mf_sched_t *self, int64_t now, mf_assign_t *out);

//  Takes back every lease and the credit of each worker that holds an
//  overdue lease and has returned nothing since it was handed out, while
//  another worker did (see the top of this file), up to max workers a
//  call: their slots go into slots, the leases taken from each into
//  taken. Returns how many.
size_t mf_sched_expire (mf_sched_t *self, int64_t now, int *slots, uint32_t *taken,
                        size_t max);

//  The deadline of a lease of a worker (msecs, the caller's clock) as the
//  farm's speed stands now, or -1 if the worker holds no such lease.
int64_t mf_sched_lease_deadline (mf_sched_t *self, int worker, uint32_t lease);

//  Voids one lease (e.g. the message could not be sent) so its tile is
//  handed out again. Returns 0, or -1 if no such lease.
int mf_sched_revoke (mf_sched_t *self, int worker, uint32_t lease);

//  A worker declined a lease (DECLINE): judged as a result is, without
//  a rectangle. On ACCEPT the lease is void and its tile waits again,
//  as if the worker had lost it; otherwise nothing changes.
mf_verdict_t mf_sched_decline (mf_sched_t *self, int worker, uint32_t job, uint32_t tile,
                               uint32_t lease);

//  Judges a result; see mf_verdict_t. On ACCEPT, *maxiter is the job's.
mf_verdict_t mf_sched_check (mf_sched_t *self, int worker, uint32_t job, uint32_t tile,
                             uint32_t lease, const mf_rect_t *rect, uint32_t *maxiter);

typedef enum {
    MF_ACCEPTED_DONE,               //  the tile is done: use the result
    MF_ACCEPTED_FIRST,              //  first of two opinions: keep the result
    MF_ACCEPTED_SECOND              //  second opinion: compare, then settle
} mf_accepted_t;

//  Records an accepted result that arrived at now (msecs), with the
//  iterations the worker reported (they measure the farm's speed); call
//  only after mf_sched_check said ACCEPT. Decides here whether a first
//  result needs a second opinion. Without one the tile is done and every
//  lease on it ends.
mf_accepted_t mf_sched_accept (mf_sched_t *self, int worker, uint32_t job, uint32_t tile,
                               uint32_t lease, int64_t now, uint64_t iterations);

//  Whether the first result of a tile, given on lease, would need a
//  second opinion for a job verifying percent % of its tiles. Pure: the
//  same secret gives the same answer (for tests and the caller's logs).
bool mf_sched_draw (mf_sched_t *self, uint32_t job, uint32_t tile, uint32_t lease,
                    uint32_t percent);

//  The two opinions of a tile differ, or no other worker can give the
//  second: the caller computes it. Every lease on it ends and no further
//  one is handed out until it is settled or reopened. Returns 0, or -1 if
//  the tile is not waiting for a second opinion.
int mf_sched_arbitrate (mf_sched_t *self, uint32_t job, uint32_t tile);

//  Whether the tile is being arbitrated (see mf_sched_arbitrate).
bool mf_sched_arbitrating (mf_sched_t *self, uint32_t job, uint32_t tile);

//  Ends the verification of a tile (waiting for its second opinion, or
//  arbitrated): it is done, every lease on it ends.
void mf_sched_settle (mf_sched_t *self, uint32_t job, uint32_t tile);

//  Puts a done, half-verified or arbitrated tile back in the queue (its
//  result was withdrawn: its worker was found faulty). Returns 0, or -1
//  if the tile is none of those.
int mf_sched_reopen (mf_sched_t *self, uint32_t job, uint32_t tile);

//  The ident of the worker that gave the first opinion on a tile waiting
//  for its second, or -1.
int mf_sched_first_ident (mf_sched_t *self, uint32_t job, uint32_t tile);

//  A tile waiting for a second opinion that no connected worker may give
//  (none but its first worker is there). Returns 0 with job and tile set,
//  or -1. The caller computes the second opinion itself.
int mf_sched_unverifiable (mf_sched_t *self, uint32_t *job, uint32_t *tile);

//  Counters since creation.
typedef struct {
    uint64_t assigned;              //  leases handed out
    uint64_t reissued;              //  tiles put back in the queue after a lost lease
    uint64_t backups;               //  backup leases (overdue tiles, and near the end)
    uint64_t overdue;               //  backup leases for tiles whose lease was overdue
    uint64_t expired;               //  leases taken back from workers that returned nothing
    uint64_t accepted;              //  tiles done by a worker's result
    uint64_t verified;              //  tiles settled after two opinions
} mf_sched_counters_t;

void mf_sched_counters (mf_sched_t *self, mf_sched_counters_t *out);

#endif
