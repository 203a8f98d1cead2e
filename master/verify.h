/*  mf_verify: the second opinions of --verify, and what follows them.

    A tile that mf_sched chose for verification keeps its first result
    here (an opinion) until a different worker's arrives. Equal, the tile
    is settled. Different, the master computes the tile itself (the
    arbitration), trusts only its own result, and quarantines whoever
    disagreed with it. A first opinion that no other worker can check
    (none is connected) is arbitrated the same way after a grace period.

    Arbitration runs on a thread of its own, one tile at a time, in
    bands of rows so that it can stop between them: a disputed tile can
    be 1024 x 1024 pixels at any maxiter, seconds or minutes of work,
    and the engine's poll thread must keep heartbeating meanwhile. The
    thread writes a byte to a pipe when a result is ready; the engine
    polls that pipe's descriptor (mf_verify_fd) with its sockets and
    calls mf_verify_poll, which settles the tile on the poll thread.
    Because a pixel's value depends only on the image's mapping and its
    place in it, a tile computed band by band has the same bits as one
    computed whole.

    A deep job's tile (f64 mu) is computed with the perturbation kernel
    from the job's reference orbit, which the engine lends (the orbit
    hook) for as long as the arbitration needs it; the BLA table for the
    job's |c|max is built on the arbitration thread the first time
    (mf_shipped_table), never on the engine's. Opinions are kept and
    compared as the bytes of their values, whatever their kind.

    Quarantine: the worker (by uid) is handed to the engine to be
    evicted and banned, and every tile it alone computed (it owned the
    result: mf_verify_owned) is withdrawn and computed again; its
    opinions still waiting are dropped and their tiles reopened.

    Everything but the computation happens on the engine's thread.
*/
#ifndef MF_VERIFY_H
#define MF_VERIFY_H

#include "mf_kernel.h"
#include "mf_perturb.h"
#include "sched.h"
#include "shipped.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _mf_verify_t mf_verify_t;

//  What verification needs the engine to do; every hook runs on the
//  engine's thread, inside a mf_verify_ call.
typedef struct {
    //  A tile is settled with these values (rect->w * rect->h floats, or
    //  doubles for a deep job, packed): no single worker owns them (two
    //  agreed, or the master computed them). The tile is already done in
    //  mf_sched.
    void (*settled) (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect,
                     const void *mu);
    //  The worker uid returned wrong values for this tile: evict it for
    //  good. The withdrawn tiles it alone computed are pending again.
    void (*quarantine) (void *arg, uint64_t uid, uint32_t job, uint32_t tile,
                        uint64_t withdrawn);
    //  A done tile's result was withdrawn: the tile is pending again.
    void (*withdrawn) (void *arg, uint32_t job, uint32_t tile);
    //  The reference orbit of a deep job, a new reference the verifier
    //  drops when done with it (NULL: no such job).
    mf_shipped_t *(*orbit) (void *arg, uint32_t job);
    void *arg;                          //  their argument
} mf_verify_hooks_t;

typedef struct {
    uint64_t verified;                  //  tiles settled by two agreeing opinions, or by
                                        //  the master agreeing with the only one
    uint64_t mismatches;                //  tiles whose opinions differed
    uint64_t local;                     //  tiles the master computed itself
    uint64_t quarantined;               //  workers caught returning wrong values
    uint64_t withdrawn;                 //  done tiles computed again after a quarantine
} mf_verify_counters_t;

//  Creates the verifier over sched (the engine's, borrowed) and starts
//  its arbitration thread, which computes shallow tiles with kernel and
//  deep ones with deep_kernel. Returns NULL when out of memory or the
//  thread cannot start.
mf_verify_t *mf_verify_new (mf_sched_t *sched, mf_kernel_fn kernel, mf_perturb_fn deep_kernel,
                            const mf_verify_hooks_t *hooks);

//  Stops the thread (a tile it computes is abandoned between two bands)
//  and frees everything; safe twice, nulls the pointer.
void mf_verify_destroy (mf_verify_t **self_p);

//  A descriptor that is readable when arbitrated tiles wait to be
//  settled: poll it, then call mf_verify_poll.
int mf_verify_fd (mf_verify_t *self);

//  The tile's result is the worker uid's alone (accepted without a second
//  opinion, or restored from a checkpoint): withdrawn if it is ever
//  quarantined. Returns 0, or -1 when out of memory (the render goes on;
//  only a later quarantine would miss this tile).
int mf_verify_owned (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid);

//  The first opinion on a tile (mf_sched said MF_ACCEPTED_FIRST): mu is
//  copied (bytes of it: the tile's floats, or doubles). Returns 0, or -1
//  when out of memory: the caller then settles the tile with mu as it
//  stands.
int mf_verify_first (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid,
                     const void *mu, size_t bytes, int64_t now);

//  The second opinion (mf_sched said MF_ACCEPTED_SECOND), from uid, the
//  rect's values (floats, or doubles for a deep job): equal to the
//  first, the tile is settled now; different, it is queued for
//  arbitration and settled later by mf_verify_poll.
void mf_verify_second (mf_verify_t *self, uint32_t job, uint32_t tile, uint64_t uid,
                       const mf_rect_t *rect, const void *mu);

//  Settles the arbitrated tiles that are ready, and queues for
//  arbitration the first opinions no other worker can check that have
//  waited grace msecs since now - grace. Call it after the descriptor was
//  readable, and once a poll anyway.
void mf_verify_poll (mf_verify_t *self, int64_t now, int64_t grace);

//  Forgets everything about a job (cancelled or released): its opinions,
//  its owned tiles, its arbitrations (queued ones are dropped, a running
//  one's result is).
void mf_verify_forget_job (mf_verify_t *self, uint32_t job);

//  Whether a worker uid was quarantined.
bool mf_verify_quarantined (mf_verify_t *self, uint64_t uid);

//  Arbitrations queued or running.
size_t mf_verify_arbitrating (mf_verify_t *self);

//  Counters since creation.
void mf_verify_counters (mf_verify_t *self, mf_verify_counters_t *out);

#endif
