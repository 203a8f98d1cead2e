/*  mf_engine: see engine.h.

    A peer is one connection (a socket and a routing id) that said HELLO;
    its slot number is the same in the peer table here and in mf_sched.
    A record is one worker process (by the random uid in its HELLO), kept
    after it leaves so the summary can say who did what; its index is the
    worker's ident in mf_sched.

    Verification: a tile that needs two opinions keeps the first result
    here (an opinion) until a second worker's arrives. Equal, the tile is
    done. Different, the master computes the tile itself, trusts only its
    own result, and quarantines whoever disagreed: it is evicted, never
    registered again, and every tile it alone computed is computed again.
*/
#include "engine.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_sys.h"
#include "mf_util.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINKS 2                     //  local and remote sockets
#define MAX_ID 256                      //  bytes of a ZeroMQ routing id
#define RCVHWM 64                       //  messages queued per peer before TCP pushes back
#define MAXMSG_MARGIN 256               //  bytes of framing allowed beyond the largest result
#define MAX_PEERS 4096                  //  registered connections at once
#define HANDSHAKE_IVL 5000              //  msecs a connection may take to finish its handshake
#define BANNED_MAX 64                   //  refused connections remembered (and ignored)
#define MAX_RECORDS 4096                //  worker records kept before recycling idle ones
#define DRAIN_MAX 256                   //  messages handled per socket per poll
#define LOG_FIRST 10                    //  rejected messages logged before going quiet

typedef struct {
    bool used;                          //  slot in use
    int link;                           //  index of the socket it came on
    uint8_t id [MAX_ID];                //  its routing id
    size_t id_size;                     //  bytes of id
    int64_t last_seen;                  //  msecs, last message from it
    int64_t last_sent;                  //  msecs, last message to it
    size_t record;                      //  index in records
} s_peer_t;

typedef struct {
    uint32_t job;
    uint32_t tile;
} s_tile_ref_t;

typedef struct {
    mf_worker_info_t info;              //  what the summary shows
    uint64_t uid;                       //  the worker's random id
    s_tile_ref_t *done;                 //  tiles whose result is its alone
    size_t done_count;                  //  entries in done
    size_t done_capacity;               //  size of done
} s_record_t;

typedef struct {
    uint32_t job;
    uint32_t tile;
    int ident;                          //  record that gave it
    int64_t stored_at;                  //  msecs
    float *mu;                          //  its values, w * h
} s_opinion_t;

struct _mf_engine_t {
    zsock_t *links [MAX_LINKS];         //  ROUTER sockets
    int link_count;                     //  sockets in use
    mf_sched_t *sched;                  //  who computes what
    s_peer_t *peers;                    //  by sched slot
    int peer_capacity;                  //  size of peers
    s_record_t *records;                //  every worker seen
    size_t record_count;                //  entries in records
    int heartbeat;                      //  msecs
    uint32_t max_tile_edge;             //  pixels: jobs' tiles are no bigger
    uint32_t session;                   //  random id of this run
    mf_engine_tile_fn *on_tile;         //  caller's tile handler
    void *on_tile_arg;                  //  its argument
    mf_engine_event_fn *on_leased;      //  caller's lease handler
    mf_engine_event_fn *on_withdrawn;   //  caller's withdrawal handler
    void *event_arg;                    //  their argument
    float *scratch;                     //  tile buffer when a job has none
    float *truth;                       //  the master's own computation of a tile
    s_opinion_t *opinions;              //  first opinions waiting for a second
    size_t opinion_count;               //  entries in opinions
    size_t opinion_capacity;            //  size of opinions
    struct {
        int link;
        uint8_t id [MAX_ID];
        size_t id_size;
    } banned [BANNED_MAX];              //  connections of quarantined workers
    size_t banned_next;                 //  next slot in banned (a ring)
    mf_engine_stats_t stats;            //  counters (workers filled on demand)
    uint64_t reject_logged;             //  rejected messages logged so far
};

//  Binds a ROUTER on endpoint; with auth, a CURVE server set up before
//  the bind, so no peer ever meets it unguarded. With owner_only (the
//  local ipc link, which has no keys), only processes of our own user
//  may connect: an abstract socket's name is visible to every user in
//  /proc/net/unix.
static int
s_bind (mf_engine_t *self, const char *endpoint, mf_auth_t *auth, bool owner_only,
        char *err, size_t errlen)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router) {
        snprintf (err, errlen, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    zsock_set_linger (router, 0);
    zsock_set_router_mandatory (router, 1);
    //  The largest message we ever want is a result of the largest tile:
    //  with 64 queued per peer, that bounds what one connection can hold.
    //  libzmq checks the limit on the frame as it arrives, so on a CURVE
    //  link the box around the message (command name, nonce, MAC: 33
    //  bytes) counts too; the margin covers it.
    zsock_set_maxmsgsize (router, (int) (mf_proto_result_size (self->max_tile_edge,
                                                               self->max_tile_edge)
                                         + MAXMSG_MARGIN));
    zsock_set_rcvhwm (router, RCVHWM);
    //  ZMTP heartbeats close dead TCP links underneath our own liveness.
    zsock_set_heartbeat_ivl (router, self->heartbeat);
    zsock_set_heartbeat_timeout (router, MF_ENGINE_LIVENESS * self->heartbeat);
    zsock_set_heartbeat_ttl (router, MF_ENGINE_LIVENESS * self->heartbeat);
    zsock_set_handshake_ivl (router, HANDSHAKE_IVL);
    if (auth && mf_auth_server (auth, router, err, errlen)) {
        zsock_destroy (&router);
        return -1;
    }
    int uid = (int) getuid ();
    if (owner_only
    &&  zmq_setsockopt (zsock_resolve (router), ZMQ_IPC_FILTER_UID, &uid, sizeof uid)) {
        snprintf (err, errlen, "cannot restrict '%s' to our user: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
        return -1;
    }
    if (zsock_bind (router, "%s", endpoint) < 0) {
        snprintf (err, errlen, "cannot bind '%s': %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
        return -1;
    }
    self->links [self->link_count++] = router;
    return 0;
}

mf_engine_t *
mf_engine_new (const mf_engine_opts_t *opts, char *err, size_t errlen)
{
    mf_engine_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->heartbeat = opts->heartbeat_ms > 0? opts->heartbeat_ms: MF_ENGINE_HEARTBEAT;
    self->max_tile_edge = opts->max_tile_edge > 0 && opts->max_tile_edge <= MF_TILE_MAX_EDGE
                        ? opts->max_tile_edge: MF_TILE_MAX_EDGE;
    self->sched = mf_sched_new ();
    self->scratch = malloc ((size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE * sizeof (float));
    self->truth = aligned_alloc (64, (size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE * sizeof (float));
    if (!self->sched || !self->scratch || !self->truth) {
        snprintf (err, errlen, "out of memory");
        mf_engine_destroy (&self);
        return NULL;
    }
    mf_sys_random (&self->session, sizeof self->session);
    if ((opts->local_endpoint && s_bind (self, opts->local_endpoint, NULL, true, err, errlen))
    ||  (opts->listen_endpoint
         && s_bind (self, opts->listen_endpoint, opts->auth, false, err, errlen))) {
        mf_engine_destroy (&self);
        return NULL;
    }
    return self;
}

void
mf_engine_destroy (mf_engine_t **self_p)
{
    assert (self_p);
    mf_engine_t *self = *self_p;
    if (!self)
        return;
    for (int link = 0; link < self->link_count; link++)
        zsock_destroy (&self->links [link]);
    mf_sched_destroy (&self->sched);
    free (self->peers);
    for (size_t index = 0; index < self->record_count; index++)
        free (self->records [index].done);
    free (self->records);
    for (size_t index = 0; index < self->opinion_count; index++)
        free (self->opinions [index].mu);
    free (self->opinions);
    free (self->scratch);
    free (self->truth);
    free (self);
    *self_p = NULL;
}

void
mf_engine_on_tile (mf_engine_t *self, mf_engine_tile_fn *fn, void *arg)
{
    self->on_tile = fn;
    self->on_tile_arg = arg;
}

void
mf_engine_on_events (mf_engine_t *self, mf_engine_event_fn *leased,
                     mf_engine_event_fn *withdrawn, void *arg)
{
    self->on_leased = leased;
    self->on_withdrawn = withdrawn;
    self->event_arg = arg;
}

static int
s_send (mf_engine_t *self, int slot, const uint8_t *data, size_t size)
{
    s_peer_t *peer = &self->peers [slot];
    void *socket = zsock_resolve (self->links [peer->link]);
    if (zmq_send (socket, peer->id, peer->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send (socket, data, size, ZMQ_DONTWAIT) < 0)
        return -1;
    peer->last_sent = mf_clock_ms ();
    return 0;
}

//  Sends to a routing id that is not (or no longer) a peer.
static void
s_send_to (mf_engine_t *self, int link, const uint8_t *id, size_t id_size,
           const uint8_t *data, size_t size)
{
    void *socket = zsock_resolve (self->links [link]);
    if (zmq_send (socket, id, id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send (socket, data, size, ZMQ_DONTWAIT);
}

static void
s_reject (mf_engine_t *self, const char *who, const char *why)
{
    self->stats.rejected++;
    if (self->reject_logged < LOG_FIRST || self->stats.rejected % 1000 == 0) {
        self->reject_logged++;
        mf_warn ("dropped a message from %s: %s (%llu dropped so far)",
                 who, why, (unsigned long long) self->stats.rejected);
    }
}

//  Remembers a connection to ignore: a quarantined worker's. It is not
//  told (it may not even know it is wrong), so without this each of its
//  heartbeats would draw a REGISTER and each HELLO a refusal, forever.
static void
s_ban (mf_engine_t *self, int link, const uint8_t *id, size_t id_size)
{
    size_t slot = self->banned_next++ % BANNED_MAX;
    self->banned [slot].link = link;
    memcpy (self->banned [slot].id, id, id_size);
    self->banned [slot].id_size = id_size;
}

static bool
s_is_banned (mf_engine_t *self, int link, const uint8_t *id, size_t id_size)
{
    for (size_t slot = 0; slot < BANNED_MAX; slot++)
        if (self->banned [slot].id_size == id_size && self->banned [slot].link == link
        &&  memcmp (self->banned [slot].id, id, id_size) == 0)
            return true;
    return false;
}

//  Ends a peer: its leases are void. dead: it did not leave by itself
//  (counted as evicted).
static void
s_evict (mf_engine_t *self, int slot, const char *why, bool dead)
{
    s_peer_t *peer = &self->peers [slot];
    self->stats.evicted += dead;
    uint32_t voided = mf_sched_worker_remove (self->sched, slot);
    s_record_t *record = &self->records [peer->record];
    record->info.connected = false;
    mf_warn ("worker %s %s; %u tile%s handed out again", record->info.name, why,
             voided, voided == 1? "": "s");
    peer->used = false;
}

static int
s_find_peer (mf_engine_t *self, int link, const uint8_t *id, size_t id_size)
{
    for (int slot = 0; slot < self->peer_capacity; slot++) {
        s_peer_t *peer = &self->peers [slot];
        if (peer->used && peer->link == link && peer->id_size == id_size
        &&  memcmp (peer->id, id, id_size) == 0)
            return slot;
    }
    return -1;
}

//  A record nobody needs: not connected, never did a tile, not quarantined.
static size_t
s_idle_record (mf_engine_t *self)
{
    for (size_t index = 0; index < self->record_count; index++) {
        s_record_t *record = &self->records [index];
        if (record->info.connected || record->info.tiles || record->info.quarantined
        ||  record->done_count)
            continue;
        bool used = false;
        for (int slot = 0; slot < self->peer_capacity && !used; slot++)
            used = self->peers [slot].used && self->peers [slot].record == index;
        if (!used)
            return index;
    }
    return SIZE_MAX;
}

//  The record of a worker uid, made if new. SIZE_MAX when out of memory,
//  or when MAX_RECORDS are all in use (a flood of fresh uids cannot grow
//  the table without bound: idle records are recycled first).
static size_t
s_record_of (mf_engine_t *self, uint64_t uid)
{
    for (size_t index = 0; index < self->record_count; index++)
        if (self->records [index].uid == uid)
            return index;
    s_record_t *record;
    size_t index = self->record_count < MAX_RECORDS? SIZE_MAX: s_idle_record (self);
    if (index != SIZE_MAX) {
        record = &self->records [index];
        free (record->done);
    }
    else {
        if (self->record_count >= MAX_RECORDS)
            return SIZE_MAX;
        s_record_t *records = realloc (self->records, (self->record_count + 1) * sizeof *records);
        if (!records)
            return SIZE_MAX;
        self->records = records;
        index = self->record_count++;
        record = &records [index];
    }
    memset (record, 0, sizeof *record);
    record->uid = uid;
    //  Known only from a checkpoint until it says HELLO.
    snprintf (record->info.name, sizeof record->info.name, "worker %016llx",
              (unsigned long long) uid);
    return index;
}

static size_t
s_record_for (mf_engine_t *self, const mf_hello_t *hello)
{
    size_t index = s_record_of (self, hello->uid);
    if (index != SIZE_MAX) {
        s_record_t *record = &self->records [index];
        snprintf (record->info.name, sizeof record->info.name, "%s:%u", hello->host, hello->pid);
        snprintf (record->info.kernel, sizeof record->info.kernel, "%s", hello->kernel);
        record->info.threads = hello->threads;
    }
    return index;
}

static void
s_on_hello (mf_engine_t *self, int slot, int link, const uint8_t *id, size_t id_size,
            const mf_hello_t *hello)
{
    if (slot >= 0) {
        //  Registered again on the same connection: its old leases are void.
        mf_sched_worker_reset (self->sched, slot, hello->credit);
    }
    else {
        int connected = 0;
        for (int other = 0; other < self->peer_capacity; other++)
            connected += self->peers [other].used;
        if (connected >= MAX_PEERS) {
            s_reject (self, "a peer", "HELLO beyond the most workers at once");
            return;
        }
        size_t record = s_record_for (self, hello);
        if (record == SIZE_MAX) {
            s_reject (self, "a peer", "HELLO beyond the most workers kept");
            return;
        }
        if (self->records [record].info.quarantined) {
            s_reject (self, self->records [record].info.name,
                      "HELLO from a quarantined worker");
            s_ban (self, link, id, id_size);
            return;
        }
        slot = record == SIZE_MAX? -1
             : mf_sched_worker_add (self->sched, hello->credit, (int) record);
        if (slot < 0) {
            mf_error ("out of memory registering a worker");
            return;
        }
        if (slot >= self->peer_capacity) {
            int capacity = self->peer_capacity? self->peer_capacity * 2: 16;
            while (capacity <= slot)
                capacity *= 2;
            s_peer_t *peers = realloc (self->peers, (size_t) capacity * sizeof *peers);
            if (!peers) {
                mf_sched_worker_remove (self->sched, slot);
                mf_error ("out of memory registering a worker");
                return;
            }
            memset (peers + self->peer_capacity, 0,
                    (size_t) (capacity - self->peer_capacity) * sizeof *peers);
            self->peers = peers;
            self->peer_capacity = capacity;
        }
        s_peer_t *peer = &self->peers [slot];
        peer->used = true;
        peer->link = link;
        memcpy (peer->id, id, id_size);
        peer->id_size = id_size;
        peer->record = record;
        self->records [record].info.connected = true;
        self->stats.workers_seen++;
        mf_info ("worker %s joined (%u thread%s, %s kernel)",
                 self->records [record].info.name, hello->threads,
                 hello->threads == 1? "": "s", hello->kernel);
    }
    self->peers [slot].last_seen = mf_clock_ms ();
    mf_welcome_t welcome = { (uint32_t) self->heartbeat, self->session };
    uint8_t buf [MF_SIZE_WELCOME];
    s_send (self, slot, buf, mf_proto_encode_welcome (buf, sizeof buf, &welcome));
}

//  A tile is done with these values (floats): into the image, to the caller.
static void
s_finish (mf_engine_t *self, uint32_t job, const mf_rect_t *rect, const float *mu,
          int slot)
{
    const mf_job_spec_t *spec = mf_sched_job_spec (self->sched, job);
    float *image = mf_sched_job_user (self->sched, job);
    const float *tile_mu = mu;
    size_t stride = rect->w;
    if (image) {
        stride = spec->view.pixel_w;
        float *dst = image + (size_t) rect->y * stride + rect->x;
        if (dst != mu)
            for (uint32_t row = 0; row < rect->h; row++)
                memcpy (dst + row * stride, mu + (size_t) row * rect->w, rect->w * sizeof *mu);
        tile_mu = dst;
    }
    self->stats.tiles++;
    self->stats.pixels += (uint64_t) rect->w * rect->h;
    if (self->on_tile)
        self->on_tile (self->on_tile_arg, job, rect, tile_mu, stride, slot);
}

//  The master computes a tile itself into self->truth. That holds this
//  loop for the tile's time, so every worker first hears from us: it then
//  has three heartbeat intervals before it would take us for gone.
static void
s_compute (mf_engine_t *self, uint32_t job, uint32_t tile, mf_rect_t *rect)
{
    uint8_t beat [MF_SIZE_EMPTY];
    size_t size = mf_proto_encode_empty (beat, sizeof beat, MF_MSG_HEARTBEAT);
    for (int slot = 0; slot < self->peer_capacity; slot++)
        if (self->peers [slot].used)
            s_send (self, slot, beat, size);
    mf_task_t task;
    task.map = *mf_sched_job_mapping (self->sched, job);
    task.maxiter = mf_sched_job_spec (self->sched, job)->maxiter;
    task.rect = mf_tiles_rect (mf_sched_job_tiles (self->sched, job), tile);
    mf_kernel_best ()->fn (&task, self->truth, NULL);
    *rect = task.rect;
    self->stats.local++;
}

static s_opinion_t *
s_opinion (mf_engine_t *self, uint32_t job, uint32_t tile)
{
    for (size_t index = 0; index < self->opinion_count; index++)
        if (self->opinions [index].job == job && self->opinions [index].tile == tile)
            return &self->opinions [index];
    return NULL;
}

static void
s_drop_opinion (mf_engine_t *self, s_opinion_t *opinion)
{
    free (opinion->mu);
    *opinion = self->opinions [--self->opinion_count];
}

static int
s_keep_opinion (mf_engine_t *self, uint32_t job, uint32_t tile, int ident,
                const float *mu, size_t pixels)
{
    if (self->opinion_count == self->opinion_capacity) {
        size_t capacity = self->opinion_capacity? self->opinion_capacity * 2: 16;
        s_opinion_t *opinions = realloc (self->opinions, capacity * sizeof *opinions);
        if (!opinions)
            return -1;
        self->opinions = opinions;
        self->opinion_capacity = capacity;
    }
    float *copy = malloc (pixels * sizeof *copy);
    if (!copy)
        return -1;
    memcpy (copy, mu, pixels * sizeof *copy);
    self->opinions [self->opinion_count++] = (s_opinion_t) {
        job, tile, ident, mf_clock_ms (), copy
    };
    return 0;
}

static void
s_remember_done (s_record_t *record, uint32_t job, uint32_t tile)
{
    if (record->done_count == record->done_capacity) {
        size_t capacity = record->done_capacity? record->done_capacity * 2: 64;
        s_tile_ref_t *done = realloc (record->done, capacity * sizeof *done);
        if (!done)
            return;         //  only quarantine needs it; the render goes on
        record->done = done;
        record->done_capacity = capacity;
    }
    record->done [record->done_count++] = (s_tile_ref_t) { job, tile };
}

//  A worker returned wrong results: evict it for good and compute again
//  every tile that only it computed.
static void
s_quarantine (mf_engine_t *self, int ident, uint32_t job, uint32_t tile)
{
    s_record_t *record = &self->records [ident];
    if (record->info.quarantined)
        return;
    record->info.quarantined = true;
    record->info.connected = false;
    self->stats.quarantined++;
    for (int slot = 0; slot < self->peer_capacity; slot++)
        if (self->peers [slot].used && self->peers [slot].record == (size_t) ident) {
            mf_sched_worker_remove (self->sched, slot);
            s_ban (self, self->peers [slot].link, self->peers [slot].id,
                   self->peers [slot].id_size);
            self->peers [slot].used = false;
        }
    uint64_t withdrawn = 0;
    for (size_t index = 0; index < record->done_count; index++) {
        s_tile_ref_t *ref = &record->done [index];
        if (mf_sched_reopen (self->sched, ref->job, ref->tile) == 0) {
            withdrawn++;
            if (self->on_withdrawn)
                self->on_withdrawn (self->event_arg, ref->job, ref->tile);
        }
    }
    record->done_count = 0;
    for (size_t index = 0; index < self->opinion_count; )
        if (self->opinions [index].ident == ident) {
            mf_sched_reopen (self->sched, self->opinions [index].job, self->opinions [index].tile);
            s_drop_opinion (self, &self->opinions [index]);
        }
        else
            index++;
    self->stats.withdrawn += withdrawn;
    mf_warn ("worker %s returned wrong values for tile %u of job %u; quarantined, "
             "%llu of its tiles are computed again", record->info.name, tile, job,
             (unsigned long long) withdrawn);
}

//  The second opinion on a tile (or, with slot -1, the master's own when no
//  other worker could give one): settle the tile and quarantine whoever
//  disagrees with the master's computation.
static void
s_settle (mf_engine_t *self, uint32_t job, uint32_t tile, const mf_rect_t *rect,
          const float *second, int slot)
{
    size_t pixels = (size_t) rect->w * rect->h;
    s_opinion_t *first = s_opinion (self, job, tile);
    int first_ident = first? first->ident: -1;
    bool first_right = first && memcmp (first->mu, second, pixels * sizeof (float)) == 0;
    const float *final = second;
    int second_ident = slot >= 0? (int) self->peers [slot].record: -1;
    bool second_wrong = false;
    if (first_right)
        self->stats.verified++;
    else {
        self->stats.mismatches++;
        mf_rect_t check;
        if (slot >= 0) {
            s_compute (self, job, tile, &check);
            second_wrong = memcmp (self->truth, second, pixels * sizeof (float)) != 0;
            first_right = first && memcmp (first->mu, self->truth, pixels * sizeof (float)) == 0;
        }
        final = slot >= 0? self->truth: second;
    }
    if (first)
        s_drop_opinion (self, first);
    mf_sched_settle (self->sched, job, tile);
    //  Two opinions, or the master's own: no single worker owns the result.
    s_finish (self, job, rect, final, -1);
    if (!first_right && first_ident >= 0)
        s_quarantine (self, first_ident, job, tile);
    if (second_wrong && second_ident >= 0)
        s_quarantine (self, second_ident, job, tile);
}

//  Handles a RESULT; returns the verdict on it.
static mf_verdict_t
s_on_result (mf_engine_t *self, int slot, const mf_result_t *result)
{
    const char *who = self->records [self->peers [slot].record].info.name;
    uint32_t maxiter = 0;
    mf_verdict_t verdict = mf_sched_check (self->sched, slot, result->job, result->tile,
                                           result->lease, &result->rect, &maxiter);
    switch (verdict) {
        case MF_VERDICT_LATE:
            self->stats.late++;
            return verdict;
        case MF_VERDICT_DUPLICATE:
            self->stats.duplicates++;
            return verdict;
        case MF_VERDICT_FOREIGN:
            s_reject (self, who, "result for a tile it was not given");
            return verdict;
        case MF_VERDICT_MISMATCH:
            s_reject (self, who, "result of the wrong size or place");
            mf_sched_revoke (self->sched, slot, result->lease);
            return verdict;
        case MF_VERDICT_ACCEPT:
            break;
    }
    size_t pixels = (size_t) result->rect.w * result->rect.h;
    if (mf_proto_check_mu (result->mu, pixels, maxiter)) {
        s_reject (self, who, "mu values that cannot occur");
        mf_sched_revoke (self->sched, slot, result->lease);
        return verdict;
    }
    //  Decode straight into the image when the tile is done at once.
    mf_accepted_t accepted = mf_sched_accept (self->sched, slot, result->job, result->tile,
                                              result->lease);
    s_record_t *record = &self->records [self->peers [slot].record];
    record->info.tiles++;
    record->info.pixels += pixels;
    self->stats.iterations += result->iterations;
    const mf_job_spec_t *spec = mf_sched_job_spec (self->sched, result->job);
    float *image = mf_sched_job_user (self->sched, result->job);
    if (accepted == MF_ACCEPTED_DONE && image) {
        size_t stride = spec->view.pixel_w;
        float *dst = image + (size_t) result->rect.y * stride + result->rect.x;
        for (uint32_t row = 0; row < result->rect.h; row++)
            mf_le_get_f32s (dst + row * stride, result->mu + (size_t) row * result->rect.w * 4,
                             result->rect.w);
        s_remember_done (record, result->job, result->tile);
        s_finish (self, result->job, &result->rect, dst, slot);
        return verdict;
    }
    mf_le_get_f32s (self->scratch, result->mu, pixels);
    if (accepted == MF_ACCEPTED_DONE) {
        s_remember_done (record, result->job, result->tile);
        s_finish (self, result->job, &result->rect, self->scratch, slot);
    }
    else
    if (accepted == MF_ACCEPTED_FIRST) {
        if (s_keep_opinion (self, result->job, result->tile, (int) self->peers [slot].record,
                            self->scratch, pixels)) {
            //  Cannot keep it: take it as the answer rather than lose it.
            mf_error ("out of memory keeping a result for verification");
            mf_sched_settle (self->sched, result->job, result->tile);
            s_finish (self, result->job, &result->rect, self->scratch, slot);
        }
    }
    else
        s_settle (self, result->job, result->tile, &result->rect, self->scratch, slot);
    return verdict;
}

//  Tiles waiting for a second opinion that no other worker can give: the
//  master gives it, after one heartbeat interval of grace for a worker to
//  come.
static void
s_verify_locally (mf_engine_t *self)
{
    uint32_t job, tile;
    //  One a poll: messages and heartbeats are handled between them.
    if (mf_sched_unverifiable (self->sched, &job, &tile) == 0) {
        s_opinion_t *first = s_opinion (self, job, tile);
        if (first && mf_clock_ms () - first->stored_at < self->heartbeat)
            return;
        mf_rect_t rect;
        s_compute (self, job, tile, &rect);
        s_settle (self, job, tile, &rect, self->truth, -1);
    }
}

static void
s_on_message (mf_engine_t *self, int link, zmq_msg_t *id, zmq_msg_t *body)
{
    const uint8_t *id_data = zmq_msg_data (id);
    size_t id_size = zmq_msg_size (id);
    int slot = s_find_peer (self, link, id_data, id_size);
    if (slot < 0 && s_is_banned (self, link, id_data, id_size))
        return;
    const char *who = slot >= 0? self->records [self->peers [slot].record].info.name
                               : "an unregistered peer";
    mf_msg_t msg;
    mf_proto_error_t why;
    if (mf_proto_decode (zmq_msg_data (body), zmq_msg_size (body), &msg, &why)) {
        char reason [64];
        snprintf (reason, sizeof reason, "malformed (%s)", mf_proto_error_name (why));
        s_reject (self, who, reason);
        return;
    }
    if (slot >= 0)
        self->peers [slot].last_seen = mf_clock_ms ();
    if (msg.type == MF_MSG_HELLO) {
        s_on_hello (self, slot, link, id_data, id_size, &msg.u.hello);
        return;
    }
    if (slot < 0) {
        //  A worker we evicted, or one from before a restart: ask it to
        //  register. Its results are late: their leases are gone.
        if (msg.type == MF_MSG_RESULT)
            self->stats.late++;
        if (msg.type == MF_MSG_RESULT || msg.type == MF_MSG_READY
        ||  msg.type == MF_MSG_HEARTBEAT) {
            uint8_t buf [MF_SIZE_EMPTY];
            s_send_to (self, link, id_data, id_size, buf,
                       mf_proto_encode_empty (buf, sizeof buf, MF_MSG_REGISTER));
        }
        else
        if (msg.type != MF_MSG_BYE)
            s_reject (self, who, "a master's message type");
        return;
    }
    switch (msg.type) {
        case MF_MSG_READY:
            mf_sched_worker_credit (self->sched, slot, msg.u.credit);
            break;
        case MF_MSG_RESULT:
            //  A result gives back the credit its tile took, whatever
            //  becomes of it, unless the tile was never this worker's.
            if (s_on_result (self, slot, &msg.u.result) != MF_VERDICT_FOREIGN
            &&  self->peers [slot].used)
                mf_sched_worker_credit (self->sched, slot, 1);
            break;
        case MF_MSG_HEARTBEAT:
            break;
        case MF_MSG_BYE:
            s_evict (self, slot, "left", false);
            break;
        default:
            s_reject (self, who, "a master's message type");
    }
}

//  Reads every waiting message of one socket, up to DRAIN_MAX.
static void
s_drain (mf_engine_t *self, int link)
{
    void *socket = zsock_resolve (self->links [link]);
    for (int count = 0; count < DRAIN_MAX; count++) {
        zmq_msg_t id, body;
        zmq_msg_init (&id);
        if (zmq_msg_recv (&id, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&id);
            return;
        }
        zmq_msg_init (&body);
        bool ok = zmq_msg_more (&id) && zmq_msg_recv (&body, socket, ZMQ_DONTWAIT) >= 0;
        if (ok && zmq_msg_more (&body)) {
            //  Our messages are one frame: swallow the rest and drop it.
            zmq_msg_t rest;
            zmq_msg_init (&rest);
            while (zmq_msg_more (&body) && zmq_msg_recv (&rest, socket, ZMQ_DONTWAIT) >= 0)
                zmq_msg_move (&body, &rest);
            zmq_msg_close (&rest);
            s_reject (self, "a peer", "more than one frame");
        }
        else
        if (ok)
            s_on_message (self, link, &id, &body);
        else
            s_reject (self, "a peer", "no message after its routing id");
        zmq_msg_close (&body);
        zmq_msg_close (&id);
    }
}

static void
s_dispatch (mf_engine_t *self)
{
    mf_assign_t assign;
    while (mf_sched_next (self->sched, mf_clock_ms (), &assign) == 0) {
        mf_tile_msg_t tile = { assign.job, assign.tile, assign.lease, assign.task };
        uint8_t buf [MF_SIZE_TILE];
        size_t size = mf_proto_encode_tile (buf, sizeof buf, &tile);
        if (s_send (self, assign.worker, buf, size)) {
            int error = zmq_errno ();
            mf_sched_revoke (self->sched, assign.worker, assign.lease);
            if (error == EHOSTUNREACH)
                s_evict (self, assign.worker, "is unreachable", true);
            else    //  EAGAIN: its queue is full; the tile goes out later
                mf_sched_worker_credit (self->sched, assign.worker, 1);
            break;
        }
        if (self->on_leased)
            self->on_leased (self->event_arg, assign.job, assign.tile);
    }
}

static void
s_keepalive (mf_engine_t *self, int64_t now)
{
    uint8_t buf [MF_SIZE_EMPTY];
    size_t size = mf_proto_encode_empty (buf, sizeof buf, MF_MSG_HEARTBEAT);
    for (int slot = 0; slot < self->peer_capacity; slot++) {
        s_peer_t *peer = &self->peers [slot];
        if (!peer->used)
            continue;
        if (now - peer->last_seen > (int64_t) MF_ENGINE_LIVENESS * self->heartbeat)
            s_evict (self, slot, "fell silent", true);
        else
        if (now - peer->last_sent >= self->heartbeat)
            s_send (self, slot, buf, size);
    }
}

int
mf_engine_poll (mf_engine_t *self, int timeout, void *extra)
{
    s_dispatch (self);
    zmq_pollitem_t items [MAX_LINKS + 1];
    int count = 0;
    for (int link = 0; link < self->link_count; link++)
        items [count++] = (zmq_pollitem_t) { zsock_resolve (self->links [link]), 0, ZMQ_POLLIN, 0 };
    if (extra)
        items [count++] = (zmq_pollitem_t) { zsock_resolve (extra), 0, ZMQ_POLLIN, 0 };
    //  Wake for heartbeats at least twice an interval; a negative timeout
    //  waits that long at most too.
    int wait = timeout >= 0 && timeout < self->heartbeat / 2? timeout: self->heartbeat / 2;
    int rc = zmq_poll (items, count, wait);
    if (rc < 0 && zmq_errno () == EINTR)
        return -1;
    for (int link = 0; link < self->link_count; link++)
        if (items [link].revents & ZMQ_POLLIN)
            s_drain (self, link);
    s_keepalive (self, mf_clock_ms ());
    s_verify_locally (self);
    s_dispatch (self);
    return extra && (items [count - 1].revents & ZMQ_POLLIN)? 1: 0;
}

uint32_t
mf_engine_submit (mf_engine_t *self, const mf_job_spec_t *spec, float *mu)
{
    //  A bigger tile's results could never come in (ZMQ_MAXMSGSIZE).
    assert (spec->tile_edge <= self->max_tile_edge);
    return mf_sched_job_add (self->sched, spec, mu);
}

uint64_t
mf_engine_worker_uid (mf_engine_t *self, int slot)
{
    if (slot < 0 || slot >= self->peer_capacity)
        return 0;
    return self->records [self->peers [slot].record].uid;
}

int
mf_engine_preset (mf_engine_t *self, uint32_t job, uint32_t tile, const uint8_t *mu,
                  uint64_t owner)
{
    if (mf_sched_tile_preset (self->sched, job, tile))
        return -1;
    if (owner) {
        size_t record = s_record_of (self, owner);
        if (record != SIZE_MAX)
            s_remember_done (&self->records [record], job, tile);
    }
    float *image = mf_sched_job_user (self->sched, job);
    if (image && mu) {
        size_t stride = mf_sched_job_spec (self->sched, job)->view.pixel_w;
        mf_rect_t r = mf_tiles_rect (mf_sched_job_tiles (self->sched, job), tile);
        for (uint32_t row = 0; row < r.h; row++)
            mf_le_get_f32s (image + (size_t) (r.y + row) * stride + r.x,
                             mu + (size_t) row * r.w * 4, r.w);
    }
    return 0;
}

int
mf_engine_cancel (mf_engine_t *self, uint32_t job)
{
    if (!mf_sched_job_exists (self->sched, job))
        return -1;
    uint8_t buf [MF_SIZE_CANCEL];
    size_t size = mf_proto_encode_cancel (buf, sizeof buf, job);
    for (int slot = 0; slot < self->peer_capacity; slot++)
        if (self->peers [slot].used && mf_sched_worker_holds (self->sched, slot, job))
            s_send (self, slot, buf, size);
    //  What was kept about the job's tiles goes with it: a long viewer
    //  session cancels thousands of jobs.
    for (size_t index = 0; index < self->opinion_count; )
        if (self->opinions [index].job == job)
            s_drop_opinion (self, &self->opinions [index]);
        else
            index++;
    for (size_t index = 0; index < self->record_count; index++) {
        s_record_t *record = &self->records [index];
        size_t kept = 0;
        for (size_t k = 0; k < record->done_count; k++)
            if (record->done [k].job != job)
                record->done [kept++] = record->done [k];
        record->done_count = kept;
    }
    return mf_sched_job_remove (self->sched, job);
}

int
mf_engine_progress (mf_engine_t *self, uint32_t job, uint32_t *done, uint32_t *total)
{
    return mf_sched_job_progress (self->sched, job, done, total);
}

int
mf_engine_release (mf_engine_t *self, uint32_t job)
{
    return mf_engine_cancel (self, job);
}

void
mf_engine_stats (mf_engine_t *self, mf_engine_stats_t *out)
{
    mf_sched_counters_t counters;
    mf_sched_counters (self->sched, &counters);
    *out = self->stats;
    out->assigned = counters.assigned;
    out->reissued = counters.reissued;
    out->backups = counters.backups;
    out->workers = 0;
    for (int slot = 0; slot < self->peer_capacity; slot++)
        out->workers += self->peers [slot].used;
}

size_t
mf_engine_workers (mf_engine_t *self, mf_worker_info_t *out, size_t max)
{
    size_t count = self->record_count < max? self->record_count: max;
    for (size_t index = 0; index < count; index++)
        out [index] = self->records [index].info;
    return count;
}

int
mf_engine_endpoint (mf_engine_t *self, char *buf, size_t size)
{
    //  mf_engine_new binds listen_endpoint after local_endpoint, so when
    //  there is one it is the last link. ZMQ_LAST_ENDPOINT, not the text
    //  we were given: it has the port the system chose for "*", and an
    //  address where we were given an interface name.
    if (self->link_count == 0 || size == 0)
        return -1;
    size_t len = size;
    if (zmq_getsockopt (zsock_resolve (self->links [self->link_count - 1]),
                        ZMQ_LAST_ENDPOINT, buf, &len))
        return -1;
    buf [size - 1] = 0;
    return 0;
}
