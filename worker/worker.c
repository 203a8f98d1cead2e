/*  mf_worker: see worker.h. */
#include "worker.h"
#include "builder.h"
#include "discover.h"
#include "fetcher.h"
#include "orbits.h"
#include "pool.h"
#include "mf_kernel.h"
#include "mf_perturb.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_sys.h"
#include "mf_util.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CANCELLED_MAX 64                //  cancelled job ids remembered
#define BEYOND_LOG_IVL 10000            //  msecs between two counts of tiles beyond credit
#define BYE_LINGER 500                  //  msecs the BYE may wait to go out at exit
#define MAXMSG_MARGIN 256               //  bytes beyond the largest message (CURVE's box)
#define SPEED_ROUNDS 10000              //  tiles the speed measure runs at most

static volatile sig_atomic_t s_signalled = 0;
static int s_wake [2] = { -1, -1 };     //  self-pipe written by the signal handler
#define POLL_SLICE 200                  //  msecs, longest wait before rechecking stop
#define DRAIN_MAX 64                    //  messages read per socket per poll at most

//  A deep tile waiting for its BLA table.
typedef struct {
    mf_deeptile_t tile;                 //  the lease
    mf_fexp_t cmax;                     //  its map's |c|max: with the orbit, its table
    bool asked;                         //  its table's build has been asked for
} s_parked_t;

typedef struct {
    const mf_worker_opts_t *opts;
    const char *endpoint;               //  the master's: opts->endpoint, or found's
                                        //  endpoint; NULL while looking for a beacon
    mf_discover_t *discover;            //  without opts->endpoint: the beacons, else NULL
    mf_discovered_t found;              //  the master the last beacon followed named
    zsock_t *dealer;                    //  to the master; NULL while disconnected
    zsock_t *results;                   //  PULL from the compute threads
    mf_pool_t *pool;                    //  compute threads
    const mf_kernel_t *kernel;          //  variant in use
    int threads;                        //  compute threads that run
    uint32_t capacity;                  //  tiles we hold at most: threads + 1, or
                                        //  deep once tiles proved short (s_deepen)
    uint32_t deep;                      //  threads x MF_WORKER_DEPTH + 1
    uint32_t short_run;                 //  short tiles in a row (s_deepen)
    uint64_t credit;                    //  TILEs the master may still send: what we
                                        //  offered (HELLO, READY, RESULT) minus TILEs
                                        //  received, on this connection
    uint64_t beyond;                    //  TILEs dropped beyond that credit, in all
    uint64_t beyond_logged;             //  of those, how many the log has counted
    int64_t beyond_logged_at;           //  msecs, when it last counted them
    uint32_t epoch;                     //  bumped on every (re)registration
    uint64_t uid;                       //  random id of this process
    int heartbeat;                      //  msecs, from WELCOME
    bool registered;                    //  our last HELLO was answered with a WELCOME
    int64_t hello_sent;                 //  msecs, when the last HELLO went out
    uint32_t session;                   //  master session of the last WELCOME
    int64_t last_heard;                 //  msecs, last message from the master
    int64_t last_sent;                  //  msecs, last message to the master
    uint32_t cancelled [CANCELLED_MAX]; //  ring of recently cancelled jobs
    size_t cancelled_next;              //  next slot in that ring
    uint64_t tiles_done;                //  results sent, for the exit line
    uint32_t speed;                     //  kilo-iterations per second of one thread
    bool version_logged;                //  said that this master speaks another version
    //  Deep tiles:
    const mf_perturb_kernel_t *perturb; //  the perturbation variant in use
    mf_orbits_t *orbits;                //  shipped orbits and tables kept
    mf_fetcher_t *fetcher;              //  orbits being fetched
    mf_builder_t *builder;              //  builds tables; started at the first deep tile
    bool builder_failed;                //  ... and could not be
    s_parked_t *parked;                 //  deep tiles waiting for their table
    size_t parked_count;                //  (capacity slots)
    uint64_t fetched;                   //  orbits fetched whole
    uint64_t refused;                   //  orbits refused
    uint64_t declined;                  //  deep leases declined
    uint64_t unasked;                   //  CHUNKs and NOORBITs nobody asked for
    bool advance;                       //  parked tiles may move on: s_advance
    bool orbit_waiting;                 //  an orbit is being built, or waits for room:
                                        //  no other starts to be fetched
} s_worker_t;

static int
s_send (s_worker_t *self, const uint8_t *data, size_t size)
{
    if (!self->dealer)
        return -1;
    int rc = zmq_send (zsock_resolve (self->dealer), data, size, ZMQ_DONTWAIT);
    if (rc >= 0)
        self->last_sent = mf_clock_ms ();
    return rc < 0? -1: 0;
}

static void
s_send_ready (s_worker_t *self, size_t credit)
{
    while (credit > 0) {
        uint32_t chunk = credit > MF_PROTO_MAX_CREDIT? MF_PROTO_MAX_CREDIT: (uint32_t) credit;
        uint8_t buf [MF_SIZE_READY];
        if (s_send (self, buf, mf_proto_encode_ready (buf, sizeof buf, chunk)) == 0)
            self->credit += chunk;
        credit -= chunk;
    }
}

static void
s_send_empty (s_worker_t *self, mf_msg_type_t type)
{
    uint8_t buf [MF_SIZE_EMPTY];
    s_send (self, buf, mf_proto_encode_empty (buf, sizeof buf, type));
}

//  msecs without a CHUNK before the fetcher asks again: three heartbeat
//  intervals, as the master's silence is judged, but at least
//  MF_WORKER_FETCH_TIMEOUT (a full window of chunks takes a while on a
//  slow link).
static int
s_fetch_timeout (int heartbeat)
{
    int timeout = MF_WORKER_LIVENESS * heartbeat;
    return timeout < MF_WORKER_FETCH_TIMEOUT? MF_WORKER_FETCH_TIMEOUT: timeout;
}

//  Registers (again) with the master: every queued tile is dropped and
//  every tile in hand stopped, since the master re-issues whatever it had
//  leased to us. The master's credit for us starts over from this HELLO's.
static void
s_send_hello (s_worker_t *self)
{
    mf_pool_clear (self->pool);
    self->parked_count = 0;             //  leased no more: the master re-issues them
    self->epoch++;
    //  A fresh registration starts shallow again (s_deepen).
    self->capacity = (uint32_t) self->threads + 1;
    self->short_run = 0;
    self->registered = false;
    size_t running = mf_pool_running (self->pool);
    mf_hello_t hello = {
        .credit = running >= self->capacity? 0: self->capacity - (uint32_t) running,
        .threads = (uint32_t) self->threads,
        .pid = (uint32_t) getpid (),
        .uid = self->uid,
        .cores = (uint32_t) mf_online_cpus (),
        .speed = self->speed
    };
    snprintf (hello.kernel, sizeof hello.kernel, "%s", self->kernel->name);
    if (self->opts->name)
        snprintf (hello.host, sizeof hello.host, "%s", self->opts->name);
    else
    if (gethostname (hello.host, sizeof hello.host - 1) != 0)
        snprintf (hello.host, sizeof hello.host, "unknown");
    uint8_t buf [MF_SIZE_HELLO];
    self->credit = 0;
    self->hello_sent = mf_clock_ms ();
    if (s_send (self, buf, mf_proto_encode_hello (buf, sizeof buf, &hello)) == 0)
        self->credit = hello.credit;
}

//  A tile of compute_us was sent. With one tile per thread and one
//  more, a thread that finishes a short tile waits a round trip to the
//  master for its next: with tiles of microseconds the farm then runs at
//  the wire's pace, one message each way per tile. After
//  MF_WORKER_SHORT_TILES tiles in a row shorter than
//  MF_WORKER_SHORT_TILE_US, we hold MF_WORKER_DEPTH tiles per thread
//  (a READY for the difference), so that results and TILEs travel in
//  streams. Credit cannot be taken back (a RESULT gives its own back),
//  so it grows only, until the next registration; what is queued then
//  is at most MF_WORKER_DEPTH short tiles per thread, and later long
//  tiles wait on it as they would on MF_WORKER_DEPTH / 8 tiles of their
//  own deadline's worth (docs/PROTOCOL.md, Deadlines). Tiles of ordinary
//  views (~150 usecs for the default one) stay below the bar: more
//  credit there was measured to slow a render's end (PERFORMANCE.md).
static void
s_deepen (s_worker_t *self, uint32_t compute_us)
{
    //  Over the network, no more results in flight than the master
    //  queues per connection (8, one kept for a READY or HEARTBEAT): a
    //  full queue stalls the connection in libzmq, and a stalled one that
    //  closes can abort the master (docs/PROTOCOL.md, Limits).
    bool local = self->endpoint && (strncmp (self->endpoint, "ipc://", 6) == 0
                                    || strncmp (self->endpoint, "inproc://", 9) == 0);
    uint32_t deep = local || self->deep < MF_WORKER_REMOTE_HOLD? self->deep
                                                               : MF_WORKER_REMOTE_HOLD;
    if (self->capacity >= deep)
        return;
    if (compute_us >= MF_WORKER_SHORT_TILE_US) {
        self->short_run = 0;
        return;
    }
    if (++self->short_run < MF_WORKER_SHORT_TILES)
        return;
    uint32_t more = deep - self->capacity;
    self->capacity = deep;
    s_send_ready (self, more);
}

//  Counts the TILEs dropped beyond our credit in the log: the first one at
//  once, then how many more, at most every BEYOND_LOG_IVL (or now if
//  force), so that a flood cannot flood the log too.
static void
s_log_beyond (s_worker_t *self, bool force)
{
    if (self->beyond == self->beyond_logged)
        return;
    int64_t now = mf_clock_ms ();
    if (self->beyond_logged == 0)
        mf_warn ("the master sent a TILE beyond the credit we gave (%u tiles at most): "
                 "dropped; more are counted", self->capacity);
    else
    if (force || now - self->beyond_logged_at >= BEYOND_LOG_IVL)
        mf_warn ("dropped %llu more TILEs beyond our credit (%llu in all)",
                 (unsigned long long) (self->beyond - self->beyond_logged),
                 (unsigned long long) self->beyond);
    else
        return;
    self->beyond_logged = self->beyond;
    self->beyond_logged_at = now;
}

static int
s_connect (s_worker_t *self)
{
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->dealer)
        return -1;
    zsock_set_linger (self->dealer, 0);
    //  Read only when the poll says so, as many as wait: never blocks.
    zsock_set_rcvtimeo (self->dealer, 0);
    //  Nothing bigger than a full CHUNK comes from a master, and only a
    //  few messages wait here (the rest in TCP, at the master's cost).
    zsock_set_maxmsgsize (self->dealer, (int) (MF_PROTO_MAX_TO_WORKER + MAXMSG_MARGIN));
    zsock_set_rcvhwm (self->dealer, MF_WORKER_RCVHWM);
    zsock_set_reconnect_ivl (self->dealer, 100);
    zsock_set_reconnect_ivl_max (self->dealer, MF_WORKER_BACKOFF_MAX);
    //  CURVE: the handshake fails unless the master holds master_key's
    //  secret key, so nothing goes to, or comes from, anyone else.
    char err [256];
    if (self->opts->curve
    &&  mf_curve_client (self->dealer, self->opts->curve, self->opts->master_key,
                         err, sizeof err)) {
        mf_error ("cannot secure the link to '%s': %s", self->endpoint, err);
        zsock_destroy (&self->dealer);
        return -1;
    }
    if (zsock_connect (self->dealer, "%s", self->endpoint)) {
        mf_error ("cannot connect to '%s'", self->endpoint);
        zsock_destroy (&self->dealer);
        return -1;
    }
    int64_t now = mf_clock_ms ();
    self->last_heard = now;
    self->last_sent = now;
    self->heartbeat = MF_WORKER_HEARTBEAT;
    self->version_logged = false;
    //  What was asked on another socket will never be answered.
    mf_fetcher_reset (self->fetcher);
    s_send_hello (self);
    return 0;
}

static bool
s_is_cancelled (s_worker_t *self, uint32_t job)
{
    for (size_t index = 0; index < CANCELLED_MAX; index++)
        if (self->cancelled [index] == job)
            return true;
    return false;
}

//  ---- deep tiles ------------------------------------------------------------

//  Declines a deep lease: DECLINE gives its credit back, as a RESULT does.
static void
s_decline (s_worker_t *self, const mf_deeptile_t *tile, mf_decline_reason_t reason)
{
    mf_decline_t decline = { tile->job, tile->tile, tile->lease, reason, tile->orbit };
    uint8_t buf [MF_SIZE_DECLINE];
    if (s_send (self, buf, mf_proto_encode_decline (buf, sizeof buf, &decline)) == 0)
        self->credit++;
    self->declined++;
}

static bool
s_same_key (const s_parked_t *parked, const mf_orbit_id_t *id, mf_fexp_t cmax)
{
    return mf_orbit_id_equal (&parked->tile.orbit, id) && parked->cmax.e == cmax.e
        && mf_fexp_bits (parked->cmax.m) == mf_fexp_bits (cmax.m);
}

//  The index of the first parked tile of the table of orbit id for
//  cmax, or SIZE_MAX.
static size_t
s_find_parked (s_worker_t *self, const mf_orbit_id_t *id, mf_fexp_t cmax)
{
    for (size_t index = 0; index < self->parked_count; index++)
        if (s_same_key (&self->parked [index], id, cmax))
            return index;
    return SIZE_MAX;
}

//  Declines every parked tile of orbit id (of its table for cmax only,
//  when key is true).
static void
s_decline_parked (s_worker_t *self, const mf_orbit_id_t *id, bool key, mf_fexp_t cmax,
                  mf_decline_reason_t reason)
{
    size_t kept = 0;
    for (size_t index = 0; index < self->parked_count; index++) {
        s_parked_t *parked = &self->parked [index];
        if (key? s_same_key (parked, id, cmax): mf_orbit_id_equal (&parked->tile.orbit, id))
            s_decline (self, &parked->tile, reason);
        else
            self->parked [kept++] = *parked;
    }
    self->parked_count = kept;
}

//  An orbit failed a check: refused (logged once), forgotten, and every
//  tile of it declined, now and later.
static void
s_refuse (s_worker_t *self, const mf_orbit_id_t *id, const char *why)
{
    self->refused++;
    if (mf_orbits_mark_bad (self->orbits, id, MF_DECLINE_BAD_ORBIT)) {
        char text [17];
        mf_ship_id_text (id, text);
        mf_warn ("refused reference orbit %s...: %s; its deep tiles are declined",
                 text, why);
    }
    mf_orbits_drop (self->orbits, id);
    mf_fetcher_abandon (self->fetcher, id);
    s_decline_parked (self, id, false, mf_fexp_zero (), MF_DECLINE_BAD_ORBIT);
}

//  Hands a deep tile to the compute threads with its table (taking the
//  reference), or declines it when the table is of another delta type
//  (a lease that contradicts its orbit).
static void
s_submit_deep (s_worker_t *self, const mf_deeptile_t *tile, mf_table_t **table_p)
{
    if (mf_bla_type (mf_table_bla (*table_p)) != tile->map.type) {
        mf_table_unref (table_p);
        s_refuse (self, &tile->orbit, "its deep tiles disagree on its number type");
        s_decline (self, tile, MF_DECLINE_BAD_ORBIT);
        return;
    }
    if (mf_pool_submit_deep (self->pool, tile, *table_p, self->epoch)) {
        mf_error ("out of memory queueing a deep tile");
        mf_table_unref (table_p);
        s_decline (self, tile, MF_DECLINE_NO_MEMORY);
        return;
    }
    *table_p = NULL;
}

//  Asks the builder for the table of a parked tile, from the orbit's
//  shipped bytes; every parked tile of the same table counts as asked.
//  If it cannot be asked, every one of them is declined. Either way the
//  tile at index is no longer unasked.
static void
s_build (s_worker_t *self, size_t index, const uint8_t *blob, size_t size)
{
    const s_parked_t *parked = &self->parked [index];
    const mf_deeptile_t *tile = &parked->tile;
    if (!self->builder && !self->builder_failed) {
        self->builder = mf_builder_new ();
        self->builder_failed = !self->builder;
    }
    uint8_t *copy = self->builder? malloc (size? size: 1): NULL;
    mf_build_t build = {
        .id = tile->orbit, .cmax = parked->cmax, .type = tile->map.type, .blob = copy,
        .blob_size = size, .raw = tile->raw,
        .limit = mf_orbits_raw_limit (self->orbits, tile->maxiter, tile->map.type)
    };
    if (copy)
        memcpy (copy, blob, size);
    if (!copy || mf_builder_submit (self->builder, &build)) {
        free (build.blob);
        mf_error ("%s; declining its deep tiles", self->builder
                  ? "out of memory asking for a BLA table": "no thread builds BLA tables");
        s_decline_parked (self, &tile->orbit, true, parked->cmax, MF_DECLINE_NO_MEMORY);
        return;
    }
    mf_orbit_id_t id = tile->orbit;
    mf_fexp_t cmax = parked->cmax;
    for (size_t other = 0; other < self->parked_count; other++)
        if (s_same_key (&self->parked [other], &id, cmax))
            self->parked [other].asked = true;
}

//  Sends the FETCHes due, and declines the tiles of any orbit whose
//  fetch had to be given up.
static void
s_fetch_tick (s_worker_t *self)
{
    //  One orbit at a time: the next is not fetched while one is built or
    //  waits for room (so at most one shipped orbit is held beyond the
    //  budget, and one being fetched).
    if (!self->dealer || (!mf_fetcher_active (self->fetcher) && self->orbit_waiting))
        return;
    while (true) {
        int64_t now = mf_clock_ms ();
        mf_fetch_t requests [2 * MF_FETCHER_WINDOW];
        size_t count = mf_fetcher_requests (self->fetcher, now, requests,
                                            sizeof requests / sizeof requests [0]);
        for (size_t index = 0; index < count; index++) {
            uint8_t buf [MF_SIZE_FETCH];
            s_send (self, buf, mf_proto_encode_fetch (buf, sizeof buf, &requests [index]));
        }
        mf_orbit_id_t id;
        bool no_memory;
        if (!mf_fetcher_given_up (self->fetcher, now, &id, &no_memory))
            return;
        char text [17];
        mf_ship_id_text (&id, text);
        mf_warn ("gave up fetching reference orbit %s...: %s; its deep tiles are declined",
                 text, no_memory? "out of memory": "the master does not answer");
        s_decline_parked (self, &id, false, mf_fexp_zero (),
                          no_memory? MF_DECLINE_NO_MEMORY: MF_DECLINE_NO_ANSWER);
    }
}

//  A deep lease arrived (within our credit, of a job not cancelled).
static void
s_on_deeptile (s_worker_t *self, const mf_deeptile_t *tile)
{
    int refused = mf_orbits_bad (self->orbits, &tile->orbit);
    if (refused) {
        s_decline (self, tile, (mf_decline_reason_t) refused);
        return;
    }
    uint64_t limit = mf_orbits_raw_limit (self->orbits, tile->maxiter, tile->map.type);
    if (tile->raw > limit) {
        char text [17];
        mf_ship_id_text (&tile->orbit, text);
        mf_orbits_stats_t stats;
        mf_orbits_stats (self->orbits, &stats);
        if (mf_orbits_mark_bad (self->orbits, &tile->orbit, MF_DECLINE_TOO_LARGE))
            mf_warn ("refused reference orbit %s...: its %llu bytes are more than this "
                     "worker takes for it (%llu, by its lease and its %llu MiB budget; see "
                     "--cache-mb)", text, (unsigned long long) tile->raw,
                     (unsigned long long) limit, (unsigned long long) (stats.budget >> 20));
        self->refused++;
        s_decline (self, tile, MF_DECLINE_TOO_LARGE);
        return;
    }
    mf_fexp_t cmax = mf_deep_map_cmax (&tile->map);
    mf_table_t *table = mf_orbits_table (self->orbits, &tile->orbit, cmax);
    if (table) {
        s_submit_deep (self, tile, &table);
        return;
    }
    //  Parked: within the credit, so there is a slot (tiles held never
    //  exceed the capacity).
    if (self->parked_count == self->capacity) {
        s_decline (self, tile, MF_DECLINE_NO_MEMORY);
        return;
    }
    s_parked_t *parked = &self->parked [self->parked_count++];
    *parked = (s_parked_t) { .tile = *tile, .cmax = cmax };
    for (size_t index = 0; index + 1 < self->parked_count; index++)
        if (s_same_key (&self->parked [index], &tile->orbit, cmax) && self->parked [index].asked)
            parked->asked = true;
    self->advance = true;
}

//  Moves parked tiles on, in the order they came: an orbit that is not
//  held is wanted (the fetcher fetches one at a time); an orbit that is
//  held gets its table built, one build at a time, once the cache has
//  room for it. Says whether an orbit is being built or waits for room.
static void
s_advance (s_worker_t *self)
{
    self->advance = false;
    bool building = self->builder && mf_builder_pending (self->builder) > 0;
    bool waiting = false;
    size_t index = 0;
    while (index < self->parked_count) {
        s_parked_t *parked = &self->parked [index];
        mf_orbit_id_t id = parked->tile.orbit;
        if (parked->asked) {
            index++;
            continue;
        }
        size_t size;
        const uint8_t *blob = mf_orbits_blob (self->orbits, &id, &size);
        if (!blob) {
            if (mf_fetcher_wants (self->fetcher, &id)
            ||  mf_fetcher_want (self->fetcher, &id, parked->tile.shipped) == 0) {
                index++;
                continue;
            }
            mf_error ("too many reference orbits to fetch at once; declining their tiles");
            s_decline_parked (self, &id, false, mf_fexp_zero (), MF_DECLINE_NO_MEMORY);
            index = 0;          //  tiles went: look again from the start
            continue;
        }
        waiting = true;
        if (building
        ||  mf_orbits_room (self->orbits, mf_orbits_build_bytes (parked->tile.raw,
                                                                  parked->tile.map.type),
                            &id)) {
            index++;
            continue;
        }
        //  Asked for (this tile and those of its table), or declined.
        s_build (self, index, blob, size);
        building = self->builder && mf_builder_pending (self->builder) > 0;
        index = 0;
    }
    self->orbit_waiting = building || waiting;
}

static void
s_on_chunk (s_worker_t *self, const mf_chunk_t *chunk)
{
    char err [256];
    mf_chunk_verdict_t verdict = mf_fetcher_chunk (self->fetcher, chunk, mf_clock_ms (), err,
                                                   sizeof err);
    if (verdict == MF_CHUNK_UNASKED) {
        if (self->unasked++ == 0)
            mf_warn ("the master sent a CHUNK we did not ask for: dropped; more are counted");
        return;
    }
    if (verdict == MF_CHUNK_BAD)
        s_refuse (self, &chunk->orbit, err);
    else
    if (verdict == MF_CHUNK_COMPLETE) {
        mf_orbit_id_t id;
        size_t size;
        uint8_t *blob = mf_fetcher_take (self->fetcher, &id, &size);
        self->fetched++;
        char text [17];
        mf_ship_id_text (&id, text);
        mf_debug ("fetched reference orbit %s... (%zu bytes)", text, size);
        //  Kept: its tables are built from it (each build checks it
        //  again), now and for other maps later.
        if (mf_orbits_put_blob (self->orbits, &id, &blob, size))
            mf_error ("no room to keep reference orbit %s...", text);
        self->advance = true;
    }
    s_fetch_tick (self);
}

static void
s_on_noorbit (s_worker_t *self, const mf_orbit_id_t *id)
{
    bool parked = false;
    for (size_t index = 0; index < self->parked_count; index++)
        parked = parked || mf_orbit_id_equal (&self->parked [index].tile.orbit, id);
    if (!mf_fetcher_abandon (self->fetcher, id) && !parked) {
        self->unasked++;
        return;
    }
    char text [17];
    mf_ship_id_text (id, text);
    mf_warn ("the master does not hold reference orbit %s... (any more); its deep tiles "
             "are declined", text);
    s_decline_parked (self, id, false, mf_fexp_zero (), MF_DECLINE_NO_ORBIT);
    self->advance = true;
}

//  The builder answered: the parked tiles of each table built go to the
//  compute threads; those of an orbit that failed are declined.
static void
s_on_built (s_worker_t *self)
{
    mf_built_t built;
    while (mf_builder_next (self->builder, &built)) {
        char text [17];
        mf_ship_id_text (&built.id, text);
        if (!built.table) {
            if (built.why == MF_SHIP_E_MEMORY || built.why == MF_SHIP_E_LIMIT) {
                mf_warn ("cannot make the BLA table of reference orbit %s...: %s", text,
                         built.err);
                s_decline_parked (self, &built.id, true, built.cmax,
                                  built.why == MF_SHIP_E_LIMIT? MF_DECLINE_TOO_LARGE
                                                              : MF_DECLINE_NO_MEMORY);
            }
            else
                s_refuse (self, &built.id, built.err);
            continue;
        }
        mf_debug ("built the BLA table of reference orbit %s... in %lld ms (%.1f MB)", text,
                  (long long) built.took_ms, mf_bla_bytes (mf_table_bla (built.table)) / 1e6);
        mf_orbits_put_table (self->orbits, built.table);
        //  One at a time, in the order they came: submitting one may
        //  refuse the orbit, and so decline the others.
        size_t index;
        while ((index = s_find_parked (self, &built.id, built.cmax)) != SIZE_MAX) {
            mf_deeptile_t tile = self->parked [index].tile;
            memmove (self->parked + index, self->parked + index + 1,
                     (--self->parked_count - index) * sizeof self->parked [0]);
            mf_table_t *table = mf_table_ref (built.table);
            s_submit_deep (self, &tile, &table);
        }
        mf_table_unref (&built.table);
    }
    //  The next build may start, or the next fetch.
    self->advance = true;
}

//  Removes the parked tiles of a cancelled job; returns how many.
static size_t
s_unpark_job (s_worker_t *self, uint32_t job)
{
    size_t kept = 0, removed = 0;
    for (size_t index = 0; index < self->parked_count; index++)
        if (self->parked [index].tile.job == job)
            removed++;
        else
            self->parked [kept++] = self->parked [index];
    self->parked_count = kept;
    return removed;
}

static void
s_handle_master (s_worker_t *self, zframe_t *frame)
{
    self->last_heard = mf_clock_ms ();
    mf_msg_t msg;
    mf_proto_error_t why;
    if (mf_proto_decode (zframe_data (frame), zframe_size (frame), &msg, &why)) {
        int version = mf_proto_version_of (zframe_data (frame), zframe_size (frame));
        if (why != MF_PROTO_E_VERSION)
            mf_warn ("dropped a malformed message from the master (%s)",
                     mf_proto_error_name (why));
        else
        if (!self->version_logged) {
            mf_warn ("the master at %s speaks protocol version %d, this worker %d: run the "
                     "same mandelfarm release on both", self->endpoint, version,
                     MF_PROTO_VERSION);
            self->version_logged = true;
        }
        zframe_destroy (&frame);
        return;
    }
    //  A CHUNK's bytes stay in the frame until they are stored.
    if (msg.type == MF_MSG_CHUNK) {
        s_on_chunk (self, &msg.u.chunk);
        zframe_destroy (&frame);
        return;
    }
    zframe_destroy (&frame);
    switch (msg.type) {
        case MF_MSG_WELCOME:
            if (msg.u.welcome.session != self->session) {
                //  Another master run: its job ids start over, so the jobs
                //  the last one cancelled say nothing about its jobs.
                memset (self->cancelled, 0, sizeof self->cancelled);
                self->cancelled_next = 0;
                //  Its orbits may be sound where the last one's were not.
                mf_orbits_forget_bad (self->orbits);
            }
            if (!self->registered || msg.u.welcome.session != self->session)
                mf_info ("registered with %s (%s kernel, %d threads)",
                         self->endpoint, self->kernel->name, self->threads);
            self->registered = true;
            self->session = msg.u.welcome.session;
            self->heartbeat = (int) msg.u.welcome.heartbeat_ms;
            mf_fetcher_set_timeout (self->fetcher, s_fetch_timeout (self->heartbeat));
            break;
        case MF_MSG_TILE:
            //  Sent before our last HELLO reached the master, which voided
            //  its lease then: not ours, and not paid from the new credit
            //  (a master sends WELCOME before any TILE of a registration).
            if (!self->registered)
                break;
            //  A master that sends more than we asked for is broken or
            //  hostile: what it sends beyond is never queued, so it cannot
            //  grow our memory (nor is it answered: it was never ours).
            if (self->credit == 0) {
                self->beyond++;
                s_log_beyond (self, false);
                break;
            }
            self->credit--;
            if (s_is_cancelled (self, msg.u.tile.job))
                s_send_ready (self, 1);
            else
            if (mf_pool_submit (self->pool, &msg.u.tile, self->epoch))
                mf_error ("out of memory queueing a tile");
            break;
        case MF_MSG_DEEPTILE:
            if (self->credit == 0) {
                self->beyond++;
                s_log_beyond (self, false);
                break;
            }
            self->credit--;
            if (s_is_cancelled (self, msg.u.deeptile.job))
                s_send_ready (self, 1);
            else
                s_on_deeptile (self, &msg.u.deeptile);
            break;
        case MF_MSG_NOORBIT:
            s_on_noorbit (self, &msg.u.orbit);
            break;
        case MF_MSG_CANCEL: {
            self->cancelled [self->cancelled_next] = msg.u.job;
            self->cancelled_next = (self->cancelled_next + 1) % CANCELLED_MAX;
            //  Its parked tiles too; their orbit's fetch goes on (the
            //  next job may well want it).
            s_send_ready (self, mf_pool_cancel (self->pool, msg.u.job)
                                + s_unpark_job (self, msg.u.job));
            break;
        }
        case MF_MSG_REGISTER:
            //  The master asks once for each message it got from us before
            //  our HELLO: one HELLO answers them all. A second one would
            //  void the leases the first brought, while their TILEs are on
            //  the way here and taken for the second's. Only a HELLO
            //  unanswered for as long as a silent master takes to be given
            //  up (the master that had it went away) is sent again.
            if (!self->registered && mf_clock_ms () - self->hello_sent
                                     < (int64_t) MF_WORKER_LIVENESS * self->heartbeat)
                break;
            mf_info ("the master does not know us (it restarted?); registering again");
            s_send_hello (self);
            break;
        case MF_MSG_HEARTBEAT:
            break;
        default:
            mf_warn ("dropped a message of type %d the master should not send", msg.type);
    }
}

//  Handles one message from the master if one waits (the dealer does
//  not wait: its receive timeout is 0). Returns whether one did.
static bool
s_on_master (s_worker_t *self)
{
    zframe_t *frame = self->dealer? zframe_recv (self->dealer): NULL;
    if (!frame)
        return false;
    s_handle_master (self, frame);
    return true;
}

//  A compute thread is done with a tile: send its RESULT on unless it
//  was stopped (an empty frame), or belongs to an earlier registration or
//  a cancelled job. Either way a slot is free: a RESULT gives its credit
//  back by itself; a tile that leaves without one needs a READY.
//  Returns whether an outcome was waiting (the results socket does not
//  wait either).
static bool
s_on_result (s_worker_t *self)
{
    zframe_t *tag = zframe_recv (self->results);
    if (!tag)
        return false;
    zframe_t *frame = zframe_more (tag)? zframe_recv (self->results): NULL;
    if (frame) {
        //  Only now is its slot free: until read here it still counts as
        //  running, so a HELLO in between does not offer it twice.
        mf_pool_done (self->pool);
        uint32_t epoch;
        memcpy (&epoch, zframe_data (tag), sizeof epoch);
        mf_msg_t msg;
        bool keep = epoch == self->epoch && self->dealer && zframe_size (frame) > 0
                 && mf_proto_decode (zframe_data (frame), zframe_size (frame), &msg, NULL) == 0
                 && !s_is_cancelled (self, msg.u.result.job);
        bool sent = false;
        if (keep && zframe_send (&frame, zsock_resolve (self->dealer), ZFRAME_DONTWAIT) == 0) {
            self->last_sent = mf_clock_ms ();
            self->tiles_done++;
            self->credit++;
            sent = true;
            s_deepen (self, msg.u.result.compute_us);
        }
        if (!sent && frame && zframe_size (frame) == MF_SIZE_RESULT_SHARED
        &&  self->opts->shm
        &&  mf_proto_decode (zframe_data (frame), zframe_size (frame), &msg, NULL) == 0
        &&  msg.u.result.encoding == MF_ENCODING_SHARED)
            //  Nobody will read its slot: free it for the next tile.
            mf_shm_release (self->opts->shm, self->opts->shm_region, msg.u.result.slot);
        if (self->dealer && !sent)
            s_send_ready (self, 1);
        //  Its table may be let go: room for a parked tile's.
        self->advance = self->advance || self->parked_count > 0;
    }
    zframe_destroy (&frame);
    zframe_destroy (&tag);
    return true;
}

static void
s_on_signal (int signum)
{
    (void) signum;
    int saved = errno;
    s_signalled = 1;
    ssize_t rc = write (s_wake [1], "", 1);
    (void) rc;          //  a full pipe already wakes the poll
    errno = saved;
}

int
mf_worker_catch_signals (mf_worker_opts_t *opts)
{
    if (s_wake [0] < 0 && pipe2 (s_wake, O_NONBLOCK | O_CLOEXEC))
        return -1;
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    opts->stop = &s_signalled;
    opts->stop_fd = s_wake [0];
    return 0;
}

//  Sleeps msecs, returning early when asked to stop.
static void
s_sleep (s_worker_t *self, int msecs)
{
    int64_t until = mf_clock_ms () + msecs;
    while (!*self->opts->stop && mf_clock_ms () < until) {
        int64_t left = until - mf_clock_ms ();
        if (self->opts->stop_fd >= 0) {
            struct pollfd wake = { self->opts->stop_fd, POLLIN, 0 };
            poll (&wake, 1, left > 0? (int) left: 0);
        }
        else
            zclock_sleep (POLL_SLICE < left? POLL_SLICE: (int) left);
    }
}

//  Looks for a master by its beacons until one may be followed (then
//  self->endpoint names it and 0 is returned) or the worker is asked to
//  stop (-1). Says that it waits, and again after MF_WORKER_NO_BEACON
//  with what it heard; where it cannot listen (no interface that can
//  broadcast, yet), says why once and tries again with the backoff.
static int
s_find_master (s_worker_t *self)
{
    const mf_worker_opts_t *opts = self->opts;
    int port = mf_discover_port (self->discover);
    mf_info ("waiting for a master: listening for beacons on UDP port %d", port);
    int64_t warn_at = mf_clock_ms () + MF_WORKER_NO_BEACON;
    int backoff = MF_WORKER_BACKOFF_MIN;
    bool failed_logged = false;
    char err [768];
    while (!*opts->stop) {
        int rc = mf_discover_wait (self->discover, POLL_SLICE, opts->stop_fd, &self->found,
                                   err, sizeof err);
        if (rc == 1) {
            mf_discover_pause (self->discover);
            self->endpoint = self->found.endpoint;
            mf_info ("found a master at %s (beacon %016llx from %s%s)", self->endpoint,
                     (unsigned long long) self->found.beacon.id, self->found.sender,
                     self->found.beacon.curve? ", CURVE": "");
            return 0;
        }
        if (rc < 0) {
            if (!failed_logged)
                mf_warn ("%s; trying again every few seconds", err);
            failed_logged = true;
            s_sleep (self, backoff);
            backoff = backoff * 2 > MF_WORKER_BACKOFF_MAX? MF_WORKER_BACKOFF_MAX: backoff * 2;
            continue;
        }
        if (failed_logged) {
            mf_info ("listening for beacons on UDP port %d now", port);
            failed_logged = false;
        }
        if (mf_clock_ms () >= warn_at) {
            mf_discover_stats_t stats;
            mf_discover_stats (self->discover, &stats);
            uint64_t ignored = stats.heard - stats.passed [MF_BEACON_FOLLOW];
            mf_warn ("no master to follow yet: %llu beacons heard on UDP port %d, %llu "
                     "ignored (-v says why); is a master running with --announce on this "
                     "LAN segment, and is UDP port %d open?", (unsigned long long) stats.heard,
                     port, (unsigned long long) ignored, port);
            warn_at = INT64_MAX;
        }
    }
    return -1;
}

//  Whether the master that forked us is gone. PR_SET_PDEATHSIG normally
//  stops us first (SIGTERM); this is the fallback, checked whenever the
//  poll times out, which it does at least every POLL_SLICE.
static bool
s_orphaned (const mf_worker_opts_t *opts)
{
    return opts->parent && getppid () != opts->parent;
}

uint64_t
mf_worker_cache_mb (void)
{
    long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
    uint64_t half = pages > 0 && page > 0? (uint64_t) pages * (uint64_t) page / 2 >> 20: 0;
    return half < MF_WORKER_CACHE_MIN? MF_WORKER_CACHE_MIN: half;
}

//  The speed of kernel on one thread, kilo-iterations per second: a
//  fixed view (the seahorse valley, 64 x 64 at maxiter 2000, about 4
//  Miter) computed again and again for MF_WORKER_SPEED_MS. What HELLO
//  tells the master; nothing depends on it here.
static uint32_t
s_measure_speed (const mf_kernel_t *kernel)
{
    mf_view_t view = { -0.7453, 0.1127, 6.5e-3, 64, 64 };
    mf_task_t task = { .maxiter = 2000, .rect = { 0, 0, 64, 64 } };
    mf_view_mapping (&view, &task.map);
    float *mu = aligned_alloc (64, 64 * 64 * sizeof (float));
    if (!mu)
        return 0;
    uint64_t iterations = 0;
    int64_t start = mf_clock_us (), took = 0;
    for (int round = 0; round < SPEED_ROUNDS && took < MF_WORKER_SPEED_MS * 1000; round++) {
        iterations += kernel->fn (&task, mu, NULL);
        took = mf_clock_us () - start;
    }
    free (mu);
    uint64_t speed = took > 0? iterations * 1000 / (uint64_t) took: 0;
    return speed > UINT32_MAX? UINT32_MAX: (uint32_t) speed;
}

//  Frees what mf_worker_run made (what was made: each may be NULL).
static void
s_destroy (s_worker_t *self)
{
    mf_pool_destroy (&self->pool);
    zsock_destroy (&self->results);
    mf_discover_destroy (&self->discover);
    //  Waits for a table being built (seconds at great depths): the BYE
    //  has gone out already, the master re-issues our tiles meanwhile.
    mf_builder_destroy (&self->builder);
    mf_fetcher_destroy (&self->fetcher);
    mf_orbits_destroy (&self->orbits);
    free (self->parked);
    self->parked = NULL;
}

//  How results travel to the master at endpoint (NULL: one a beacon will
//  name, over tcp://): compressed over the network, raw over a local link
//  (ipc://, inproc://), through shared memory for a worker the master
//  forked (shared), unless MF_WORKER_WIRE_ENV says otherwise. Returns 0,
//  or -1 when that variable holds anything else than it may.
static int
s_wire_encoding (const char *endpoint, bool shared, uint8_t *encoding)
{
    const char *wanted = getenv (MF_WORKER_WIRE_ENV);
    if (wanted && strcmp (wanted, "raw") == 0)
        *encoding = MF_ENCODING_RAW;
    else
    if (wanted && strcmp (wanted, "zstd") == 0)
        *encoding = MF_ENCODING_ZSTD;
    else
    if (!wanted || !*wanted || strcmp (wanted, "auto") == 0) {
        bool local = endpoint && (strncmp (endpoint, "ipc://", 6) == 0
                                  || strncmp (endpoint, "inproc://", 9) == 0);
        *encoding = shared? MF_ENCODING_SHARED: local? MF_ENCODING_RAW: MF_ENCODING_ZSTD;
    }
    else {
        mf_error ("%s='%s': say raw, zstd or auto (auto: compressed over the network, raw "
                  "over a local ipc:// link, shared memory for the master's own workers)",
                  MF_WORKER_WIRE_ENV, wanted);
        return -1;
    }
    return 0;
}

int
mf_worker_run (const mf_worker_opts_t *opts)
{
    s_worker_t self_data = { .opts = opts };
    s_worker_t *self = &self_data;
    self->kernel = mf_kernel_find (opts->kernel);
    if (!self->kernel) {
        mf_error ("kernel '%s' is not available here (available: %s)",
                  opts->kernel, mf_kernel_names ());
        return -1;
    }
    //  --kernel names both registries' variants; the deep ones are the
    //  same set, usable on the same CPUs.
    self->perturb = mf_perturb_find (opts->kernel);
    if (!self->perturb) {
        self->perturb = mf_perturb_best ();
        mf_warn ("no '%s' perturbation kernel here; deep tiles run '%s'", opts->kernel,
                 self->perturb->name);
    }
    uint8_t encoding;
    if (s_wire_encoding (opts->endpoint, opts->shm != NULL, &encoding))
        return -1;
    //  A forked worker's uid is its region's secret: the master gives a
    //  region to the connection that says it, and to no other.
    if (opts->shm)
        self->uid = mf_shm_uid (opts->shm, opts->shm_region);
    else
        mf_sys_random (&self->uid, sizeof self->uid);
    self->endpoint = opts->endpoint;
    uint64_t cache_mb = opts->cache_mb? opts->cache_mb: mf_worker_cache_mb ();
    uint32_t chunk = opts->test_chunk_bytes? opts->test_chunk_bytes: MF_PROTO_CHUNK_MAX;
    self->orbits = mf_orbits_new (cache_mb << 20);
    self->fetcher = mf_fetcher_new (chunk, MF_FETCHER_WINDOW,
                                    s_fetch_timeout (MF_WORKER_HEARTBEAT), MF_FETCHER_TRIES);
    //  One slot for every tile we may hold: threads x MF_WORKER_DEPTH + 1
    //  at most.
    self->parked = calloc ((size_t) opts->threads * MF_WORKER_DEPTH + 1, sizeof *self->parked);
    if (!self->orbits || !self->fetcher || !self->parked) {
        mf_error ("out of memory");
        s_destroy (self);
        return -1;
    }
    if (!opts->endpoint) {
        self->discover = mf_discover_new (opts->discover_port,
                                          opts->curve? opts->master_key: NULL);
        if (!self->discover) {
            mf_error ("out of memory");
            s_destroy (self);
            return -1;
        }
    }
    self->speed = s_measure_speed (self->kernel);

    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://mf-results-%p", (void *) self);
    self->results = zsock_new_pull (NULL);
    if (self->results)
        zsock_set_rcvtimeo (self->results, 0);     //  as the dealer: never blocks
    if (!self->results || zsock_bind (self->results, "%s", endpoint)) {
        mf_error ("cannot set up the result channel");
        s_destroy (self);
        return -1;
    }
    self->pool = mf_pool_new (opts->threads, self->kernel, endpoint);
    if (!self->pool) {
        mf_error ("cannot start any of %d compute thread%s; nothing to offer a master",
                  opts->threads, opts->threads == 1? "": "s");
        s_destroy (self);
        return -1;
    }
    mf_pool_set_perturb (self->pool, self->perturb);
    if (encoding == MF_ENCODING_SHARED)
        mf_pool_set_shared (self->pool, opts->shm, opts->shm_region);
    mf_pool_set_encoding (self->pool, encoding);
    //  Credit is offered only for threads that run.
    self->threads = mf_pool_threads (self->pool);
    self->capacity = (uint32_t) self->threads + 1;
    self->deep = (uint32_t) self->threads * MF_WORKER_DEPTH + 1;
    if (self->threads < opts->threads)
        mf_warn ("only %d of %d compute threads started; taking %u tiles at a time",
                 self->threads, opts->threads, self->capacity);
    mf_pool_set_faults (self->pool, opts->test_delay_ms, opts->test_corrupt_every);
    mf_debug ("kernel %s: %u kilo-iterations per second on one thread; cache %llu MiB",
              self->kernel->name, self->speed, (unsigned long long) cache_mb);
    int backoff = MF_WORKER_BACKOFF_MIN;
    bool waiting_logged = false;
    while (!*opts->stop && !s_orphaned (opts)) {
        if (!self->endpoint && s_find_master (self))
            break;
        if (s_connect (self)) {
            if (self->discover) {
                mf_discover_avoid (self->discover, self->endpoint, MF_WORKER_AVOID);
                self->endpoint = NULL;
            }
            s_sleep (self, backoff);
            continue;
        }
        bool orphaned = false;
        while (!*opts->stop && !orphaned) {
            int64_t now = mf_clock_ms ();
            int64_t heartbeat_due = self->last_sent + self->heartbeat;
            int64_t deadline = self->last_heard + (int64_t) MF_WORKER_LIVENESS * self->heartbeat;
            if (now >= heartbeat_due) {
                s_send_empty (self, MF_MSG_HEARTBEAT);
                heartbeat_due = now + self->heartbeat;
            }
            int64_t wait = (heartbeat_due < deadline? heartbeat_due: deadline) - now;
            if (wait > POLL_SLICE)
                wait = POLL_SLICE;
            //  Poll before judging the master: a worker that was suspended
            //  (SIGSTOP, a sleeping laptop) first reads what arrived meanwhile.
            zmq_pollitem_t items [] = {
                { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 },
                { zsock_resolve (self->results), 0, ZMQ_POLLIN, 0 },
                { NULL, opts->stop_fd, ZMQ_POLLIN, 0 },
                { NULL, self->builder? mf_builder_fd (self->builder): -1, ZMQ_POLLIN, 0 }
            };
            //  The descriptors that exist: the stop pipe, the builder's.
            if (opts->stop_fd < 0)
                items [2] = items [3];
            int count = 2 + (opts->stop_fd >= 0) + (self->builder != NULL);
            int ready = zmq_poll (items, count, wait < 0? 0: (long) wait);
            if (ready < 0)
                continue;           //  EINTR: a signal; the loop rechecks stop
            if (ready == 0)
                orphaned = s_orphaned (opts);
            s_log_beyond (self, false);
            //  Several messages per poll: with short tiles, TILEs and
            //  results come in streams, and a poll per message would cost
            //  more than the message.
            if (items [0].revents & ZMQ_POLLIN)
                for (int taken = 0; taken < DRAIN_MAX && s_on_master (self); taken++)
                    ;
            if (items [1].revents & ZMQ_POLLIN)
                for (int taken = 0; taken < DRAIN_MAX && s_on_result (self); taken++)
                    ;
            if (self->builder)
                s_on_built (self);      //  cheap: it only looks at its queue
            if (self->advance)
                s_advance (self);
            //  Fetches go on (and are given up) whatever came in.
            s_fetch_tick (self);
            if (self->registered) {
                backoff = MF_WORKER_BACKOFF_MIN;
                waiting_logged = false;
            }
            if (!(items [0].revents & ZMQ_POLLIN)
            &&  mf_clock_ms () >= self->last_heard + (int64_t) MF_WORKER_LIVENESS * self->heartbeat)
                break;
        }
        if (*opts->stop || s_orphaned (opts))
            break;
        //  The master fell silent: start over on a fresh socket. A master
        //  found by its beacon is looked for again (it may come back
        //  elsewhere); one that never answered is passed over for a while.
        if (self->discover) {
            if (self->registered)
                mf_warn ("master at %s silent for %d ms; looking for a master's beacon again",
                         self->endpoint, MF_WORKER_LIVENESS * self->heartbeat);
            else {
                mf_warn ("no answer from %s in %d ms (a master that does not admit us, or a "
                         "forged beacon?); passing over it for %d s", self->endpoint,
                         MF_WORKER_LIVENESS * self->heartbeat, MF_WORKER_AVOID / 1000);
                mf_discover_avoid (self->discover, self->endpoint, MF_WORKER_AVOID);
            }
            zsock_destroy (&self->dealer);
            self->registered = false;
            self->endpoint = NULL;
            mf_pool_clear (self->pool);
            continue;
        }
        if (self->registered)
            mf_warn ("master at %s silent for %d ms; reconnecting",
                     self->endpoint, MF_WORKER_LIVENESS * self->heartbeat);
        else
        if (!waiting_logged) {
            mf_info ("waiting for a master at %s", self->endpoint);
            waiting_logged = true;
        }
        zsock_destroy (&self->dealer);
        self->registered = false;
        mf_pool_clear (self->pool);
        mf_debug ("reconnecting in %d ms", backoff);
        s_sleep (self, backoff);
        backoff = backoff * 2 > MF_WORKER_BACKOFF_MAX? MF_WORKER_BACKOFF_MAX: backoff * 2;
    }
    //  Stop the tiles in hand first: their kernels return within a few
    //  msecs, so the threads join at once, however long the tiles.
    mf_pool_clear (self->pool);
    if (self->dealer) {
        //  Give our tiles back: the master re-issues them at once. The BYE
        //  gets a moment to go out only to a master that welcomed us: with
        //  none there, or the one that forked us gone, we leave at once.
        bool heard = self->registered && !s_orphaned (opts);
        s_send_empty (self, MF_MSG_BYE);
        zsock_set_linger (self->dealer, heard? BYE_LINGER: 0);
        zsock_destroy (&self->dealer);
        if (heard)
            mf_debug ("said BYE to the master at %s", self->endpoint? self->endpoint: "(none yet)");
        else
            mf_debug ("no master at %s to say BYE to: leaving at once", self->endpoint? self->endpoint: "(none yet)");
    }
    s_destroy (self);
    s_log_beyond (self, true);
    mf_debug ("worker done: %llu tiles; deep: %llu orbits fetched, %llu refused, %llu tiles "
              "declined, %llu messages not asked for", (unsigned long long) self->tiles_done,
              (unsigned long long) self->fetched, (unsigned long long) self->refused,
              (unsigned long long) self->declined, (unsigned long long) self->unasked);
    return 0;
}
