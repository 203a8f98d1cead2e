/*  mf_worker: one worker process's network loop, used by the
    mandelfarm-worker program and by the master's forked local workers.

    It holds one DEALER to the master (the load-balancing pattern of the
    ZeroMQ guide: the worker says how many tiles it can take, the master
    sends no more), a pool of compute threads, and Paranoid Pirate
    liveness: heartbeats both ways, and when the master falls silent for
    three intervals the worker drops its socket and reconnects with capped
    exponential backoff, without exiting and without spinning.

    Without an endpoint the worker finds its master by the beacons of
    masters started with --announce (discover.h): it listens, connects to
    the first master it may follow, and when that master falls silent (or
    never answers) it listens again instead of reconnecting, so that a
    master restarted elsewhere, or on another port, is found.

    The worker counts the credit it offered; a TILE beyond it is dropped
    and counted, never queued, so no master can grow its memory. Tiles in
    hand stop within milliseconds when their job is cancelled, when the
    worker registers again, and when it leaves (a signal, or the master
    that forked it gone).

    Deep tiles (DEEPTILE) name their reference orbit by id. One whose BLA
    table the worker holds (orbits.h) goes to the compute threads at
    once; any other is parked, counted against the credit as any tile,
    while the worker fetches the orbit from the master in chunks
    (fetcher.h) and builds the table off this thread (builder.h): one
    orbit at a time, one build at a time, each once the cache has room
    for it within the budget; then every tile parked for it is computed. An orbit that fails a check is
    refused (logged once, counted, remembered): its tiles are declined
    (DECLINE gives each one's credit back) and so are later leases of
    it, without fetching it again. So is an orbit too large for the
    memory budget (cache_mb), before a byte of it is fetched.

    Results travel compressed (RESULT's encoding 1, mf_rcodec.h) to a
    master over the network, raw over a local ipc:// link, where copying
    costs less than compressing, and through memory shared with the
    master (encoding 2, mf_shm.h) for the master's forked workers, which
    compute straight into a slot of it; MF_WORKER_WIRE_ENV overrides that
    rule (any value but auto: no shared memory).
*/
#ifndef MF_WORKER_H
#define MF_WORKER_H

#include "mf_curve.h"
#include "mf_shm.h"

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define MF_WORKER_HEARTBEAT 1000        //  msecs between heartbeats before WELCOME
#define MF_WORKER_LIVENESS 3            //  silent intervals before the master is lost
#define MF_WORKER_BACKOFF_MIN 250       //  msecs before the first reconnect
#define MF_WORKER_BACKOFF_MAX 4000      //  msecs, cap of the exponential backoff
#define MF_WORKER_NO_BEACON 10000       //  msecs without a beacon to follow before
                                        //  the worker says it still looks
#define MF_WORKER_AVOID 30000           //  msecs a discovered master that never answered
                                        //  is passed over (a forged beacon, a master
                                        //  that does not admit us)
#define MF_WORKER_MAX_THREADS 1000      //  compute threads: each holds a socket (CZMQ
                                        //  allows 1023) and HELLO's credit is <= 1024
#define MF_WORKER_CACHE_MIN 16          //  MiB, smallest cache budget (--cache-mb)
#define MF_WORKER_CACHE_MAX 16777216    //  MiB, largest (16 TiB)
#define MF_WORKER_RCVHWM 64             //  messages queued from the master, at most
                                        //  (64 full CHUNKs: 16 MiB)
#define MF_WORKER_FETCH_TIMEOUT 1000    //  msecs without a CHUNK before asking again,
                                        //  at least (else 3 heartbeat intervals)
#define MF_WORKER_WIRE_ENV "MF_WIRE_ENCODING"  //  "raw" or "zstd": how results travel
                                        //  whatever the link ("auto" or unset: by it)
#define MF_WORKER_DEPTH 32              //  tiles held per thread once tiles proved short
#define MF_WORKER_SHORT_TILE_US 20      //  usecs: a tile computed faster is short (a
                                        //  round trip to the master costs ~100 here)
#define MF_WORKER_SHORT_TILES 16        //  short tiles in a row before we hold more
#define MF_WORKER_REMOTE_HOLD 7         //  ... but over tcp:// no more than this in all
                                        //  (the master queues 8 per connection)
#define MF_WORKER_SPEED_MS 30           //  msecs the kernel runs at start to measure
                                        //  its speed for HELLO

typedef struct {
    const char *endpoint;               //  master's endpoint, e.g. tcp://host:5555, or
                                        //  NULL: find it by its beacons
    int discover_port;                  //  without endpoint: the beacons' UDP port
    int threads;                        //  compute threads to start, >= 1 (credit
                                        //  is offered only for those that run)
    const char *kernel;                 //  kernel variant name, or NULL for the best
    pid_t parent;                       //  if nonzero, exit when this parent is gone
    volatile sig_atomic_t *stop;        //  the loop ends soon after *stop is set
    int stop_fd;                        //  readable once *stop is set (wakes the
                                        //  poll at once), or -1: then within 200 ms
    const char *name;                   //  name to report instead of the host name
    int test_delay_ms;                  //  testing: msecs of sleep before each tile
    int test_corrupt_every;             //  testing: corrupt every Nth result (0: never)
    const mf_curve_keys_t *curve;       //  our key pair for a CURVE link, or NULL: plain
    const char *master_key;             //  with curve: the only master public key (Z85)
                                        //  we talk to
    uint64_t cache_mb;                  //  MiB of orbits and BLA tables kept, or 0: half
                                        //  of this machine's memory (mf_worker_cache_mb)
    uint32_t test_chunk_bytes;          //  testing: bytes asked per FETCH (0: the
                                        //  protocol's largest, MF_PROTO_CHUNK_MAX)
    mf_shm_t *shm;                      //  a forked local worker: memory shared with
                                        //  the master that forked it, or NULL
    int shm_region;                     //  with shm: our region of it (our HELLO's
                                        //  uid is its secret)
} mf_worker_opts_t;

//  The default cache budget, MiB: half of this machine's memory, at
//  least MF_WORKER_CACHE_MIN.
uint64_t mf_worker_cache_mb (void);

//  Makes SIGINT and SIGTERM stop mf_worker_run at once: sets opts->stop
//  and opts->stop_fd to a flag the handler sets and a self-pipe it writes,
//  so a signal that lands just before the loop's poll still wakes it.
//  Returns 0, or -1 if no pipe could be made.
int mf_worker_catch_signals (mf_worker_opts_t *opts);

//  Serves tiles until *opts->stop is set (or the parent is gone), then
//  stops its tiles in hand and says BYE so the master re-issues them.
//  Returns 0, or -1 if it could not start, e.g. no compute thread would
//  (the reason is logged).
int mf_worker_run (const mf_worker_opts_t *opts);

#endif
