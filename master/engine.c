/*  mf_engine: see engine.h.

    A peer is one connection (a socket and a routing id) that said HELLO;
    its slot number is the same in mf_peers and in mf_sched. A record is
    one worker process (by the random uid in its HELLO), kept after it
    leaves so the summary can say who did what; its index is the worker's
    ident in mf_sched.

    What one connection can make the master hold is bounded three ways:

    - ZMQ_MAXMSGSIZE: nothing bigger than a result of the largest tile
      gets in (libzmq hangs up on a bigger frame before we see a byte);
    - ZMQ_RCVHWM: a few messages queued per connection (RCVHWM). A
      worker may have as many results in flight as its credit, up to
      MF_SCHED_MAX_CREDIT, but the master need not hold them: it drains
      every connection at each poll, and while a queue is full libzmq
      stops reading that connection, so the rest wait in TCP and in the
      worker's own send queue, at the worker's cost. Throughput is set by
      how fast the master drains, not by how much it queues: a worker
      with credit 1024 loses nothing and waits no longer (tests/
      test_engine.c). So one connection, registered or not, holds at most
      (RCVHWM + 1) x the largest result (one more being decoded): 9 x
      4 MiB with 1024-pixel tiles, where 64 queued held 256 MiB, and
      9 x 64 KiB with the default 128-pixel ones. A handful, not the
      credit, because a worker's results need not wait here to keep it
      busy; control messages (READY, HEARTBEAT, BYE) are 4 to 8 bytes.
      The forked workers' local link is not bounded so (LOCAL_RCVHWM):
      its peers are our own processes, and its queue never fills;
    - the number of connections: a tcp:// listener, with CURVE or
      without, is watched through its socket monitor, which reports
      every accepted connection with its descriptor (a stranger's
      stalled CURVE handshake holds a descriptor as surely as an idle
      peer does); beyond max_connections the oldest
      connection that has not said HELLO is closed (as a web server
      closes its idle keep-alive connections to make room), or, if every
      one did, the new one; a connection that has not said HELLO within
      HELLO_TIMEOUT is closed too. HELLOs beyond max_connections on such
      a link, and beyond MAX_PEERS in all, are refused. max_connections defaults to what
      RLIMIT_NOFILE leaves once RESERVED_FDS are kept for the master's
      own files and sockets, so that idle peers can no longer exhaust the
      master's descriptors. The master closes a connection by shutting
      down its descriptor (libzmq then ends it and reports it closed),
      after checking that the descriptor is still that connection.

    Orbit bytes are the one thing a worker asks for that is big (a CHUNK
    carries up to 256 KiB), and a worker that asks and never reads would
    have them pile up in its send queue. So every CHUNK goes out as a
    message whose buffer libzmq gives back (zmq_msg_init_data's free
    function, on libzmq's I/O thread) once it has written it to the
    connection or dropped it: a counter per connection (s_flow_t) knows
    how many are still queued, and a FETCH that finds
    MF_ENGINE_CHUNKS_QUEUED of them is dropped and counted. A worker
    keeps at most 8 FETCHes unanswered (worker/fetcher.h) and asks for
    the next as each CHUNK arrives, so it never meets the bound (twice
    its window: the counter drops a moment after the worker may have
    read the CHUNK); one that asks and never reads costs at most 16 x
    256 KiB here, whatever it sends.

    Send queues hold MF_SCHED_MAX_CREDIT + SNDHWM_MARGIN messages per
    peer: every TILE a worker may hold fits, so a send fails only to a
    peer that is gone (EHOSTUNREACH, with ZMQ_ROUTER_MANDATORY) or that
    reads nothing (EAGAIN). Either way the peer is evicted at once, and
    its leases are void: a heartbeat that cannot be sent is as telling
    as a TILE.
*/
#include "engine.h"
#include "verify.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_perturb.h"
#include "mf_proto.h"
#include "mf_sys.h"
#include "mf_util.h"
#include "mf_vec.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdatomic.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_LINKS 2                     //  local and remote sockets
#define RCVHWM 8                        //  messages queued per connection (see above)
#define LOCAL_RCVHWM (MF_SCHED_MAX_CREDIT + SNDHWM_MARGIN)  //  ... on the local link
#define SNDHWM_MARGIN 256               //  messages queued to a peer beyond its most TILEs
#define MAXMSG_MARGIN 256               //  bytes of framing allowed beyond the largest result
#define MAX_PEERS 4096                  //  registered connections at once, every link
#define HANDSHAKE_IVL 5000              //  msecs a connection may take to finish its handshake
#define HELLO_TIMEOUT 10000             //  msecs a watched connection may stay without HELLO
#define RESERVED_FDS 64                 //  descriptors kept for the master's files and sockets
#define MIN_CONNECTIONS 16              //  connections a listener holds at least
#define DRAIN_MAX 256                   //  messages handled per socket per poll
#define EVENTS_MAX 1024                 //  monitor events handled per poll
#define EXPIRE_MAX 64                   //  workers expired per poll at most
#define LOG_FIRST 10                    //  rejected messages logged before going quiet

//  A job as the engine keeps it (mf_sched's user pointer).
typedef struct {
    uint32_t id;                        //  the job id
    void *image;                        //  the caller's image (floats, or doubles when
                                        //  deep), or NULL
    bool deep;                          //  DEEPTILEs, f64 results
    mf_shipped_t *orbit;                //  deep: its reference orbit (the engine's
                                        //  reference, in held)
} s_job_t;

//  An orbit the engine serves, and how many jobs use it.
typedef struct {
    mf_shipped_t *orbit;                //  a reference of the engine's
    uint32_t jobs;                      //  jobs that use it (it goes with the last)
} s_held_t;

//  A worker (by ident, its record's index) refused an orbit.
typedef struct {
    int ident;
    mf_orbit_id_t orbit;
} s_refusal_t;

//  CHUNKs queued to one connection and not yet written out (see the top
//  of this file). Shared with libzmq's I/O thread, which frees the
//  CHUNKs; freed by the last of the peer and its CHUNKs.
typedef struct {
    atomic_int refs;                    //  the peer's, and one per CHUNK queued
    atomic_int queued;                  //  CHUNKs queued, not yet written out
} s_flow_t;

typedef struct {
    zsock_t *socket;                    //  the ROUTER
    zsock_t *monitor;                   //  its monitor's events, or NULL if not watched
    bool capped;                        //  watched for connections: a tcp:// listener
    bool blind;                         //  capped, but HELLOs do not say their connection
    mf_auth_t *auth;                    //  the CURVE guard, told of failed handshakes, or NULL
    struct sockaddr_storage bound;      //  the watched listener's own address
    socklen_t bound_size;               //  bytes of bound
} s_link_t;

//  The connection on the forked workers' link whose HELLO last said a
//  region's secret: a shared RESULT that comes on it once the worker is
//  evicted still names a slot of that region, which only the master can
//  let go (the worker waits for it to be read).
typedef struct {
    uint8_t id [MF_PEERS_ID_MAX];       //  its routing id
    size_t id_size;                     //  bytes of id; 0: none yet
} s_route_t;

struct _mf_engine_t {
    s_link_t links [MAX_LINKS];         //  the sockets
    int link_count;                     //  links in use
    mf_sched_t *sched;                  //  who computes what
    mf_peers_t *peers;                  //  who is there
    mf_verify_t *verify;                //  second opinions, arbitration, quarantine
    int heartbeat;                      //  msecs
    uint32_t max_tile_edge;             //  pixels: jobs' tiles are no bigger
    size_t max_connections;             //  per watched link
    uint32_t session;                   //  random id of this run
    mf_engine_tile_fn *on_tile;         //  caller's tile handler
    void *on_tile_arg;                  //  its argument
    mf_engine_event_fn *on_leased;      //  caller's lease handler
    mf_engine_event_fn *on_withdrawn;   //  caller's withdrawal handler
    void *event_arg;                    //  their argument
    void *scratch;                      //  a result's values when they do not go to the image
    mf_rcodec_t *codec;                 //  decodes compressed results
    mf_vec_t *jobs;                     //  s_job_t *, every job submitted and not released
    mf_vec_t *held;                     //  s_held_t, the orbits served
    mf_vec_t *refusals;                 //  s_refusal_t, orbits workers refused
    mf_vec_t *flows;                    //  s_flow_t *, by slot (NULL: no CHUNK sent yet)
    mf_shm_t *shm;                      //  memory shared with the forked workers, or NULL
    s_route_t *routes;                  //  with shm: by region, its worker's last connection
    int local_link;                     //  the link they connect to, or -1
    bool deep;                          //  f64 results may come
    uint64_t fetch_logged;              //  dropped FETCHes logged so far
    mf_engine_stats_t stats;            //  counters (workers and sched's filled on demand)
    uint64_t reject_logged;             //  rejected messages logged so far
    uint64_t drop_logged;               //  dropped connections logged so far
};

static void s_on_settled (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect,
                          const void *mu);
static mf_shipped_t *s_job_orbit (void *arg, uint32_t job);
static void s_on_quarantine (void *arg, uint64_t uid, uint32_t job, uint32_t tile,
                             uint64_t withdrawn);
static void s_on_withdrawn (void *arg, uint32_t job, uint32_t tile);

//  Watches a ROUTER through its monitor, the one libzmq allows a socket:
//  for a tcp:// listener (capped) the connections it accepts and closes,
//  and with auth the handshakes that fail, which mf_auth logs. Returns 0
//  or -1 (the caller refuses to listen then: an unwatched listener could
//  be filled by idle peers).
static int
s_watch (mf_engine_t *self, s_link_t *link, char *err, size_t errlen)
{
    int events = (link->capped? ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED: 0)
               | (link->auth? ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                              | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                              | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: 0);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://mf-engine-monitor-%p", (void *) link);
    if (zmq_socket_monitor (zsock_resolve (link->socket), endpoint, events)) {
        snprintf (err, errlen, "cannot watch the listener: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    link->monitor = zsock_new (ZMQ_PAIR);
    if (!link->monitor) {
        snprintf (err, errlen, "cannot watch the listener: out of sockets");
        return -1;
    }
    //  Unbounded on our side: libzmq's monitor sends block when the queue
    //  is full, which would stall its I/O thread; we read it every poll.
    zsock_set_rcvhwm (link->monitor, 0);
    if (zsock_connect (link->monitor, "%s", endpoint)) {
        snprintf (err, errlen, "cannot watch the listener: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  The address a tcp:// endpoint is bound to (after the bind: the port
//  may have been "*"). Returns 0 or -1.
static int
s_bound_address (s_link_t *link)
{
    char *last = zsock_last_endpoint (link->socket);
    const char *colon = last? strrchr (last, ':'): NULL;
    long port = 0;
    int rc = colon && mf_parse_long (colon + 1, 1, 65535, &port) == 0? 0: -1;
    if (rc == 0) {
        //  Only the port is compared: a listener on every interface
        //  accepts on several addresses.
        struct sockaddr_in6 *addr = (struct sockaddr_in6 *) &link->bound;
        memset (&link->bound, 0, sizeof link->bound);
        addr->sin6_family = AF_INET6;
        addr->sin6_port = htons ((uint16_t) port);
        link->bound_size = sizeof *addr;
    }
    zstr_free (&last);
    return rc;
}

//  Binds a ROUTER on endpoint; with auth, a CURVE server set up before
//  the bind, so no peer ever meets it unguarded. With owner_only (the
//  local ipc link, which has no keys), only processes of our own user
//  may connect: an abstract socket's name is visible to every user in
//  /proc/net/unix.
static int
s_bind (mf_engine_t *self, const char *endpoint, mf_auth_t *auth, bool owner_only,
        char *err, size_t errlen)
{
    s_link_t *link = &self->links [self->link_count];
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router) {
        snprintf (err, errlen, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    link->socket = router;
    self->link_count++;
    zsock_set_linger (router, 0);
    zsock_set_router_mandatory (router, 1);
    //  The largest message we ever want is a result of the largest tile.
    //  libzmq checks the limit on the frame as it arrives, so on a CURVE
    //  link the box around the message (command name, nonce, MAC: 33
    //  bytes) counts too; the margin covers it.
    //  A deep job's result is f64 mu: twice the bytes.
    mf_mu_format_t format = self->deep? MF_MU_F64: MF_MU_F32;
    zsock_set_maxmsgsize (router, (int) (mf_proto_result_size_as (format, self->max_tile_edge,
                                                                  self->max_tile_edge)
                                         + MAXMSG_MARGIN));
    //  The local link's peers are our own user's processes (the forked
    //  workers): nothing to bound there, and a queue that never fills
    //  keeps libzmq from stalling a connection, which a worker leaving
    //  at the end of a render can turn into an abort inside libzmq 4.3.4
    //  (stream_engine_base.cpp: !_io_error), seen with tiny tiles.
    zsock_set_rcvhwm (router, owner_only? LOCAL_RCVHWM: RCVHWM);
    zsock_set_sndhwm (router, MF_SCHED_MAX_CREDIT + SNDHWM_MARGIN);
    //  ZMTP heartbeats close dead TCP links underneath our own liveness.
    zsock_set_heartbeat_ivl (router, self->heartbeat);
    zsock_set_heartbeat_timeout (router, MF_ENGINE_LIVENESS * self->heartbeat);
    zsock_set_heartbeat_ttl (router, MF_ENGINE_LIVENESS * self->heartbeat);
    zsock_set_handshake_ivl (router, HANDSHAKE_IVL);
    if (auth && mf_auth_server (auth, router, err, errlen))
        return -1;
    int uid = (int) getuid ();
    if (owner_only
    &&  zmq_setsockopt (zsock_resolve (router), ZMQ_IPC_FILTER_UID, &uid, sizeof uid)) {
        snprintf (err, errlen, "cannot restrict '%s' to our user: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    link->capped = strncmp (endpoint, "tcp://", 6) == 0;
    link->auth = auth;
    if ((link->capped || link->auth) && s_watch (self, link, err, errlen))
        return -1;
    if (zsock_bind (router, "%s", endpoint) < 0) {
        snprintf (err, errlen, "cannot bind '%s': %s", endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (link->capped && s_bound_address (link)) {
        snprintf (err, errlen, "cannot tell the port '%s' is bound to", endpoint);
        return -1;
    }
    return 0;
}

static void
s_flow_unref (s_flow_t *flow)
{
    if (atomic_fetch_sub (&flow->refs, 1) == 1)
        free (flow);
}

//  The peer at slot is gone: its count of CHUNKs goes when they do.
static void
s_flow_release (mf_engine_t *self, int slot)
{
    s_flow_t **flow = mf_vec_at (self->flows, (size_t) slot);
    if (flow && *flow) {
        s_flow_unref (*flow);
        *flow = NULL;
    }
}

//  The CHUNK count of the peer at slot, made at its first CHUNK; NULL when
//  out of memory.
static s_flow_t *
s_flow (mf_engine_t *self, int slot)
{
    if ((size_t) slot >= mf_vec_count (self->flows)
    &&  mf_vec_grow_to (self->flows, (size_t) slot + 1))
        return NULL;
    s_flow_t **flow = mf_vec_at (self->flows, (size_t) slot);
    if (!*flow && (*flow = malloc (sizeof **flow))) {
        atomic_init (&(*flow)->refs, 1);
        atomic_init (&(*flow)->queued, 0);
    }
    return *flow;
}

//  libzmq is done with a CHUNK (written out, or dropped with its
//  connection): on its I/O thread.
static void
s_chunk_gone (void *data, void *hint)
{
    s_flow_t *flow = hint;
    free (data);
    atomic_fetch_sub (&flow->queued, 1);
    s_flow_unref (flow);
}

//  Connections a watched listener holds: what the descriptor limit
//  leaves, within [MIN_CONNECTIONS, MAX_PEERS].
static size_t
s_max_connections (uint32_t asked)
{
    if (asked)
        return asked;
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) || limit.rlim_cur == RLIM_INFINITY)
        return MAX_PEERS;
    rlim_t left = limit.rlim_cur > RESERVED_FDS + MIN_CONNECTIONS
                ? limit.rlim_cur - RESERVED_FDS: MIN_CONNECTIONS;
    return left < MAX_PEERS? (size_t) left: MAX_PEERS;
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
    self->max_connections = s_max_connections (opts->max_connections);
    self->deep = opts->deep;
    self->shm = opts->local_endpoint? opts->shm: NULL;
    if (self->shm
    &&  !(self->routes = calloc ((size_t) mf_shm_regions (self->shm), sizeof *self->routes))) {
        snprintf (err, errlen, "out of memory");
        free (self);
        return NULL;
    }
    self->local_link = -1;
    self->sched = mf_sched_new ();
    self->peers = mf_peers_new ();
    self->scratch = malloc ((size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE * sizeof (double));
    self->codec = mf_rcodec_new ();
    self->jobs = mf_vec_new (sizeof (s_job_t *));
    self->held = mf_vec_new (sizeof (s_held_t));
    self->refusals = mf_vec_new (sizeof (s_refusal_t));
    self->flows = mf_vec_new (sizeof (s_flow_t *));
    mf_verify_hooks_t hooks = {
        s_on_settled, s_on_quarantine, s_on_withdrawn, s_job_orbit, self
    };
    if (self->sched)
        self->verify = mf_verify_new (self->sched, mf_kernel_best ()->fn,
                                      mf_perturb_best ()->fn, &hooks);
    if (!self->sched || !self->peers || !self->scratch || !self->codec || !self->verify
    ||  !self->jobs || !self->held || !self->refusals || !self->flows) {
        snprintf (err, errlen, "out of memory");
        mf_engine_destroy (&self);
        return NULL;
    }
    //  Which tiles get a second opinion is drawn with a secret no worker
    //  ever sees: a predictable one would let a liar lie only elsewhere.
    uint8_t secret [MF_SCHED_SECRET];
    if (mf_sys_random (secret, sizeof secret)) {
        snprintf (err, errlen, "cannot draw a random secret: no source of random bytes");
        mf_engine_destroy (&self);
        return NULL;
    }
    mf_sched_set_secret (self->sched, secret);
    explicit_bzero (secret, sizeof secret);
    //  A lease's floor is two heartbeats at least: slower links have
    //  slower round trips.
    mf_sched_deadlines_t deadlines = MF_SCHED_DEADLINES_DEFAULT;
    if (deadlines.floor_ms < 2 * (int64_t) self->heartbeat)
        deadlines.floor_ms = 2 * (int64_t) self->heartbeat;
    mf_sched_set_deadlines (self->sched, &deadlines);
    mf_sys_random (&self->session, sizeof self->session);
    if (opts->local_endpoint)
        self->local_link = self->link_count;
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
    //  The thread first: its hooks reach the sockets.
    mf_verify_destroy (&self->verify);
    for (int link = 0; link < self->link_count; link++) {
        zsock_destroy (&self->links [link].monitor);
        zsock_destroy (&self->links [link].socket);
    }
    //  A flow may outlive the engine: libzmq frees the CHUNKs still queued
    //  as it closes the sockets, maybe later, on its own thread.
    s_job_t **job;
    for (size_t index = 0; self->jobs && (job = mf_vec_at (self->jobs, index)); index++)
        free (*job);
    mf_vec_destroy (&self->jobs);
    s_held_t *held;
    for (size_t index = 0; self->held && (held = mf_vec_at (self->held, index)); index++)
        mf_shipped_destroy (&held->orbit);
    mf_vec_destroy (&self->held);
    mf_vec_destroy (&self->refusals);
    for (int slot = 0; self->flows && slot < (int) mf_vec_count (self->flows); slot++)
        s_flow_release (self, slot);
    mf_vec_destroy (&self->flows);
    mf_sched_destroy (&self->sched);
    mf_peers_destroy (&self->peers);
    free (self->scratch);
    free (self->routes);
    mf_rcodec_destroy (&self->codec);
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

static mf_peer_record_t *
s_record (mf_engine_t *self, int slot)
{
    return mf_peers_record (self->peers, mf_peers_get (self->peers, slot)->record);
}

//  Ends a peer: its leases are void. dead: it did not leave by itself
//  (counted as evicted).
static void
s_evict (mf_engine_t *self, int slot, const char *why, bool dead)
{
    self->stats.evicted += dead;
    uint32_t voided = mf_sched_worker_remove (self->sched, slot);
    mf_peer_record_t *record = s_record (self, slot);
    record->info.connected = false;
    mf_warn ("worker %s %s; %u tile%s handed out again", record->info.name, why,
             voided, voided == 1? "": "s");
    mf_peers_drop (self->peers, slot);
    s_flow_release (self, slot);
}

//  Sends to a peer. A send that fails evicts it at once: with ROUTER
//  mandatory it is gone (EHOSTUNREACH), or its queue, which holds every
//  TILE its credit allows, is full: it reads nothing (EAGAIN). Returns 0,
//  or -1 when it was evicted.
static int
s_send (mf_engine_t *self, int slot, const uint8_t *data, size_t size)
{
    mf_peer_t *peer = mf_peers_get (self->peers, slot);
    void *socket = zsock_resolve (self->links [peer->link].socket);
    if (zmq_send (socket, peer->id, peer->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0
    &&  zmq_send (socket, data, size, ZMQ_DONTWAIT) >= 0) {
        peer->last_sent = mf_clock_ms ();
        return 0;
    }
    s_evict (self, slot, zmq_errno () == EAGAIN? "reads nothing we send": "is unreachable",
             true);
    return -1;
}

//  Sends to a routing id that is not (or no longer) a peer.
static void
s_send_to (mf_engine_t *self, int link, const uint8_t *id, size_t id_size,
           const uint8_t *data, size_t size)
{
    void *socket = zsock_resolve (self->links [link].socket);
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

//  Closes a watched connection the master does not want, if fd is still
//  the connection accepted from peer on that link.
static void
s_drop_connection (mf_engine_t *self, s_link_t *link, int fd,
                   const struct sockaddr_storage *peer, socklen_t peer_size, const char *why)
{
    struct sockaddr_storage local, remote;
    socklen_t local_size = sizeof local, remote_size = sizeof remote;
    if (getsockname (fd, (struct sockaddr *) &local, &local_size)
    ||  getpeername (fd, (struct sockaddr *) &remote, &remote_size)
    ||  remote_size != peer_size || memcmp (&remote, peer, peer_size) != 0)
        return;             //  closed meanwhile, and the number reused
    uint16_t port = local.ss_family == AF_INET
                  ? ((struct sockaddr_in *) &local)->sin_port
                  : local.ss_family == AF_INET6
                  ? ((struct sockaddr_in6 *) &local)->sin6_port: 0;
    if (port != ((struct sockaddr_in6 *) &link->bound)->sin6_port)
        return;
    //  libzmq sees the end of the stream, closes the connection and says so.
    shutdown (fd, SHUT_RDWR);
    self->stats.dropped++;
    if (self->drop_logged < LOG_FIRST || self->stats.dropped % 1000 == 0) {
        self->drop_logged++;
        mf_warn ("closed a connection that said no HELLO: %s (%llu closed so far)", why,
                 (unsigned long long) self->stats.dropped);
    }
}

//  A watched listener accepted a connection: beyond the cap, the oldest
//  that has not said HELLO makes room, or, if every one has, this one.
static void
s_on_accepted (mf_engine_t *self, int index, int fd)
{
    s_link_t *link = &self->links [index];
    if (link->blind)
        return;
    struct sockaddr_storage peer;
    socklen_t peer_size = sizeof peer;
    if (getpeername (fd, (struct sockaddr *) &peer, &peer_size))
        return;             //  gone already
    int64_t now = mf_clock_ms ();
    if (mf_peers_conn_open (self->peers, index, fd, now, &peer, peer_size)) {
        s_drop_connection (self, link, fd, &peer, peer_size, "out of memory");
        return;
    }
    while (mf_peers_conn_count (self->peers, index) > self->max_connections) {
        struct sockaddr_storage idle;
        socklen_t idle_size;
        int victim = mf_peers_conn_idle (self->peers, index, now, &idle, &idle_size);
        if (victim < 0) {
            mf_peers_conn_closed (self->peers, fd);
            s_drop_connection (self, link, fd, &peer, peer_size,
                               "the listener is full of workers");
            break;
        }
        s_drop_connection (self, link, victim, &idle, idle_size,
                           "the listener is full; the oldest idle one makes room");
    }
}

//  Reads a watched listener's monitor events.
static void
s_drain_events (mf_engine_t *self, int index)
{
    void *monitor = zsock_resolve (self->links [index].monitor);
    for (int count = 0; count < EVENTS_MAX; count++) {
        zmq_msg_t head, address;
        zmq_msg_init (&head);
        if (zmq_msg_recv (&head, monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&head);
            return;
        }
        //  Two frames: event (u16) and value (u32), then the endpoint.
        zmq_msg_init (&address);
        if (zmq_msg_more (&head))
            zmq_msg_recv (&address, monitor, 0);
        zmq_msg_close (&address);
        if (zmq_msg_size (&head) == 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zmq_msg_data (&head), 2);
            memcpy (&value, (uint8_t *) zmq_msg_data (&head) + 2, 4);
            s_link_t *link = &self->links [index];
            if (event == ZMQ_EVENT_ACCEPTED)
                s_on_accepted (self, index, (int) value);
            else
            if (event == ZMQ_EVENT_DISCONNECTED)
                mf_peers_conn_closed (self->peers, (int) value);
            else
            if (link->auth)
                mf_auth_handshake_failed (link->auth, event, value);
        }
        zmq_msg_close (&head);
    }
}

//  Watched connections that said no HELLO for HELLO_TIMEOUT are closed.
static void
s_close_idle (mf_engine_t *self, int64_t now)
{
    for (int index = 0; index < self->link_count; index++) {
        s_link_t *link = &self->links [index];
        struct sockaddr_storage peer;
        socklen_t peer_size;
        int fd;
        while (link->capped && !link->blind
           &&  (fd = mf_peers_conn_idle (self->peers, index, now - HELLO_TIMEOUT,
                                         &peer, &peer_size)) >= 0)
            s_drop_connection (self, link, fd, &peer, peer_size, "idle too long");
    }
}

//  The region of shared memory of the worker on slot, or -1: only a
//  connection on the forked workers' own link whose HELLO said a
//  region's secret (its record's uid) has one.
static int
s_region (mf_engine_t *self, int slot)
{
    mf_peer_t *peer = mf_peers_get (self->peers, slot);
    if (!self->shm || !peer || peer->link != self->local_link)
        return -1;
    return mf_shm_find (self->shm, s_record (self, slot)->uid);
}

//  The region whose worker last registered on the connection id of the
//  forked workers' link, or -1.
static int
s_route_region (mf_engine_t *self, int link, const uint8_t *id, size_t id_size)
{
    if (!self->shm || link != self->local_link || id_size == 0)
        return -1;
    for (int region = 0; region < mf_shm_regions (self->shm); region++)
        if (self->routes [region].id_size == id_size
        &&  memcmp (self->routes [region].id, id, id_size) == 0)
            return region;
    return -1;
}

static void
s_on_hello (mf_engine_t *self, int slot, int link, const uint8_t *id, size_t id_size,
            const mf_hello_t *hello)
{
    uint32_t credit = hello->credit;
    if (slot >= 0) {
        //  Registered again on the same connection: its old leases are void.
        mf_peer_record_t *record = s_record (self, slot);
        if (record->expired && !record->info.tiles && credit > 1)
            credit = 1;
        mf_sched_worker_reset (self->sched, slot, credit);
    }
    else {
        if (mf_peers_count (self->peers, -1) >= MAX_PEERS
        ||  (self->links [link].capped
             && mf_peers_count (self->peers, link) >= self->max_connections)) {
            s_reject (self, "a peer", "HELLO beyond the most workers at once");
            return;
        }
        size_t index = mf_peers_record_of (self->peers, hello->uid);
        if (index == SIZE_MAX) {
            s_reject (self, "a peer", "HELLO beyond the most workers kept");
            return;
        }
        mf_peer_record_t *record = mf_peers_record (self->peers, index);
        if (record->info.quarantined) {
            s_reject (self, record->info.name, "HELLO from a quarantined worker");
            mf_peers_ban (self->peers, link, id, id_size);
            return;
        }
        snprintf (record->info.name, sizeof record->info.name, "%s:%u", hello->host, hello->pid);
        snprintf (record->info.host, sizeof record->info.host, "%s", hello->host);
        record->info.pid = hello->pid;
        snprintf (record->info.kernel, sizeof record->info.kernel, "%s", hello->kernel);
        record->info.threads = hello->threads;
        record->info.cores = hello->cores;
        record->info.speed = hello->speed;
        //  A worker that took tiles and returned nothing, and never did a
        //  tile, starts again on probation: one tile at a time.
        if (record->expired && !record->info.tiles && credit > 1)
            credit = 1;
        slot = mf_sched_worker_add (self->sched, credit, (int) index);
        if (slot < 0
        ||  mf_peers_put (self->peers, slot, link, id, id_size, index, mf_clock_ms ())) {
            if (slot >= 0)
                mf_sched_worker_remove (self->sched, slot);
            mf_error ("out of memory registering a worker");
            return;
        }
        record->info.connected = true;
        self->stats.workers_seen++;
        mf_info ("worker %s joined (%u thread%s, %s kernel)", record->info.name,
                 hello->threads, hello->threads == 1? "": "s", hello->kernel);
    }
    mf_peers_get (self->peers, slot)->last_seen = mf_clock_ms ();
    int region = s_region (self, slot);
    if (region >= 0 && id_size <= MF_PEERS_ID_MAX) {
        memcpy (self->routes [region].id, id, id_size);
        self->routes [region].id_size = id_size;
    }
    mf_welcome_t welcome = { (uint32_t) self->heartbeat, self->session };
    uint8_t buf [MF_SIZE_WELCOME];
    s_send (self, slot, buf, mf_proto_encode_welcome (buf, sizeof buf, &welcome));
}

//  Copies a block of w x h values of size bytes, rows apart by strides
//  counted in values.
static void
s_copy_rect (void *dst, size_t dst_stride, const void *src, size_t src_stride,
             uint32_t w, uint32_t h, size_t size)
{
    for (uint32_t row = 0; row < h; row++)
        memcpy ((uint8_t *) dst + row * dst_stride * size,
                (const uint8_t *) src + row * src_stride * size, (size_t) w * size);
}

//  The engine's record of a job, or NULL.
static s_job_t *
s_job (mf_engine_t *self, uint32_t job)
{
    return mf_sched_job_user (self->sched, job);
}

//  Where the jobs table holds job.
static s_job_t **
s_job_slot (mf_engine_t *self, const s_job_t *job)
{
    s_job_t **entry;
    for (size_t index = 0; (entry = mf_vec_at (self->jobs, index)); index++)
        if (*entry == job)
            return entry;
    return NULL;
}

//  Bytes of one of a job's values.
static size_t
s_value_size (const s_job_t *job)
{
    return job->deep? sizeof (double): sizeof (float);
}

//  A tile is done with these values (rows stride values apart): into the
//  image, to the caller. worker: the uid whose result it is alone, or 0.
static void
s_finish (mf_engine_t *self, uint32_t job_id, uint32_t tile, const mf_rect_t *rect,
          const void *mu, size_t stride, uint64_t worker)
{
    s_job_t *job = s_job (self, job_id);
    const void *tile_mu = mu;
    if (job && job->image) {
        size_t width = mf_sched_job_spec (self->sched, job_id)->view.pixel_w;
        size_t size = s_value_size (job);
        uint8_t *dst = (uint8_t *) job->image + ((size_t) rect->y * width + rect->x) * size;
        if (dst != mu)
            s_copy_rect (dst, width, mu, stride, rect->w, rect->h, size);
        tile_mu = dst;
        stride = width;
    }
    self->stats.tiles++;
    self->stats.pixels += (uint64_t) rect->w * rect->h;
    if (self->on_tile)
        self->on_tile (self->on_tile_arg, job_id, tile, rect, tile_mu, stride, worker);
}

static void
s_on_settled (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect, const void *mu)
{
    //  Two opinions, or the master's own: no single worker owns the result.
    s_finish ((mf_engine_t *) arg, job, tile, rect, mu, rect->w, 0);
}

//  The reference orbit of a deep job, a new reference for the arbiter;
//  NULL for a shallow one.
static mf_shipped_t *
s_job_orbit (void *arg, uint32_t job_id)
{
    s_job_t *job = s_job ((mf_engine_t *) arg, job_id);
    return job && job->orbit? mf_shipped_ref (job->orbit): NULL;
}

//  A worker returned wrong values: evicted for good, its connections
//  ignored from now on (it is not told: it may not even know it is
//  wrong, and each of its messages would draw a REGISTER forever).
static void
s_on_quarantine (void *arg, uint64_t uid, uint32_t job, uint32_t tile, uint64_t withdrawn)
{
    mf_engine_t *self = arg;
    size_t index = mf_peers_find_record (self->peers, uid);
    mf_peer_record_t *record = mf_peers_record (self->peers, index);
    if (record) {
        record->info.quarantined = true;
        record->info.connected = false;
    }
    for (int slot = 0; slot < mf_peers_slots (self->peers); slot++) {
        mf_peer_t *peer = mf_peers_get (self->peers, slot);
        if (peer && peer->record == index) {
            mf_sched_worker_remove (self->sched, slot);
            mf_peers_ban (self->peers, peer->link, peer->id, peer->id_size);
            mf_peers_drop (self->peers, slot);
            s_flow_release (self, slot);
        }
    }
    mf_warn ("worker %s returned wrong values for tile %u of job %u; quarantined, "
             "%llu of its tiles are computed again",
             record? record->info.name: "(unknown)", tile, job, (unsigned long long) withdrawn);
}

static void
s_on_withdrawn (void *arg, uint32_t job, uint32_t tile)
{
    mf_engine_t *self = arg;
    if (self->on_withdrawn)
        self->on_withdrawn (self->event_arg, job, tile);
}

//  Handles a RESULT, its mu in region's slot when shared (region -1:
//  the peer has none); returns the verdict on it.
static mf_verdict_t
s_on_result (mf_engine_t *self, int slot, const mf_result_t *result, int region)
{
    mf_peer_record_t *record = s_record (self, slot);
    const char *who = record->info.name;
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
    //  A compressed payload is decoded here, once the lease is known to
    //  be good, and judged as a raw one after that.
    mf_result_t plain;
    char why [160];
    if (result->encoding == MF_ENCODING_SHARED) {
        //  Read in place, as a raw payload is read in its frame: checked,
        //  then copied out; the slot is let go after (s_on_message).
        const uint8_t *mu = region < 0? NULL
                          : mf_shm_held (self->shm, region, result->slot,
                                         mf_proto_result_raw (result));
        if (!mu) {
            s_reject (self, who, region < 0? "a shared result from a peer this master did "
                                             "not fork"
                                           : "a shared result naming a slot it does not hold");
            mf_sched_revoke (self->sched, slot, result->lease);
            return verdict;
        }
        plain = *result;
        plain.mu = mu;
        plain.encoding = MF_ENCODING_RAW;
        plain.size = (uint32_t) mf_proto_result_raw (result);
    }
    else
    if (mf_proto_result_plain (self->codec, result, &plain, why, sizeof why)) {
        s_reject (self, who, why);
        mf_sched_revoke (self->sched, slot, result->lease);
        return verdict;
    }
    result = &plain;
    const mf_rect_t *rect = &result->rect;
    size_t pixels = (size_t) rect->w * rect->h;
    s_job_t *job = s_job (self, result->job);
    assert (job);
    //  A lease's values travel as its kind says: f32 for a TILE, f64 for a
    //  DEEPTILE (whose mu has iterations beyond 2^24 and keeps its fraction).
    mf_mu_format_t format = job->deep? MF_MU_F64: MF_MU_F32;
    if (result->format != format) {
        s_reject (self, who, job->deep? "a deep tile's result not in f64"
                                      : "a tile's result not in f32");
        mf_sched_revoke (self->sched, slot, result->lease);
        return verdict;
    }
    if (job->deep? mf_proto_check_mu64 (result->mu, pixels, maxiter)
                 : mf_proto_check_mu (result->mu, pixels, maxiter)) {
        s_reject (self, who, "mu values that cannot occur");
        mf_sched_revoke (self->sched, slot, result->lease);
        return verdict;
    }
    int64_t now = mf_clock_ms ();
    mf_accepted_t accepted = mf_sched_accept (self->sched, slot, result->job, result->tile,
                                              result->lease, now, result->iterations);
    record->info.tiles++;
    record->info.pixels += pixels;
    record->info.iterations += result->iterations;
    self->stats.iterations += result->iterations;
    uint64_t uid = record->uid;
    size_t width = mf_sched_job_spec (self->sched, result->job)->view.pixel_w;
    if (accepted == MF_ACCEPTED_DONE && job->image) {
        //  Decoded straight into the image: the tile is done at once.
        size_t offset = (size_t) rect->y * width + rect->x;
        void *dst;
        if (job->deep) {
            double *image = (double *) job->image + offset;
            for (uint32_t row = 0; row < rect->h; row++)
                mf_proto_get_f64s (image + row * width, result->mu + (size_t) row * rect->w * 8,
                                   rect->w);
            dst = image;
        }
        else {
            dst = (float *) job->image + offset;
            mf_le_get_f32_rect (dst, width, result->mu, rect->w, rect->h);
        }
        mf_verify_owned (self->verify, result->job, result->tile, uid);
        s_finish (self, result->job, result->tile, rect, dst, width, uid);
        return verdict;
    }
    if (job->deep)
        mf_proto_get_f64s (self->scratch, result->mu, pixels);
    else
        mf_le_get_f32s (self->scratch, result->mu, pixels);
    if (accepted == MF_ACCEPTED_DONE) {
        mf_verify_owned (self->verify, result->job, result->tile, uid);
        s_finish (self, result->job, result->tile, rect, self->scratch, rect->w, uid);
    }
    else
    if (accepted == MF_ACCEPTED_FIRST) {
        if (mf_verify_first (self->verify, result->job, result->tile, uid, self->scratch,
                             pixels * s_value_size (job), now)) {
            //  Cannot keep it: take it as the answer rather than lose it.
            mf_error ("out of memory keeping a result for verification");
            mf_sched_settle (self->sched, result->job, result->tile);
            mf_verify_owned (self->verify, result->job, result->tile, uid);
            s_finish (self, result->job, result->tile, rect, self->scratch, rect->w, uid);
        }
    }
    else
        mf_verify_second (self->verify, result->job, result->tile, uid, rect, self->scratch);
    return verdict;
}

//  The orbit the engine holds with this id, or NULL.
static s_held_t *
s_held (mf_engine_t *self, const mf_orbit_id_t *id)
{
    s_held_t *held;
    for (size_t index = 0; (held = mf_vec_at (self->held, index)); index++)
        if (mf_orbit_id_equal (mf_shipped_id (held->orbit), id))
            return held;
    return NULL;
}

//  Sends a CHUNK to the peer at slot, counted in its flow until libzmq
//  lets go of it. Returns 0, or -1 (out of memory: nothing sent; or the
//  send failed and the peer was evicted).
static int
s_send_chunk (mf_engine_t *self, int slot, const mf_chunk_t *chunk)
{
    s_flow_t *flow = s_flow (self, slot);
    size_t size = MF_SIZE_CHUNK_HEAD + chunk->length;
    uint8_t *buffer = flow? malloc (size): NULL;
    if (!buffer) {
        mf_error ("out of memory sending a piece of a reference orbit");
        return -1;
    }
    size_t encoded = mf_proto_encode_chunk (buffer, size, chunk);
    assert (encoded == size);
#ifdef MF_TEST_FAULTS
    //  Only in the tests' master (build/tests/mandelfarm-master-faulty):
    //  orbit bytes damaged on the way, for workers to refuse.
    if (getenv ("MF_TEST_CORRUPT_CHUNKS"))
        buffer [size - 1] ^= 0x01;
#endif
    atomic_fetch_add (&flow->refs, 1);
    atomic_fetch_add (&flow->queued, 1);
    zmq_msg_t msg;
    if (zmq_msg_init_data (&msg, buffer, size, s_chunk_gone, flow)) {
        s_chunk_gone (buffer, flow);
        return -1;
    }
    mf_peer_t *peer = mf_peers_get (self->peers, slot);
    void *socket = zsock_resolve (self->links [peer->link].socket);
    if (zmq_send (socket, peer->id, peer->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0
    &&  zmq_msg_send (&msg, socket, ZMQ_DONTWAIT) >= 0) {
        peer->last_sent = mf_clock_ms ();
        return 0;
    }
    int error = zmq_errno ();
    zmq_msg_close (&msg);               //  not sent: ours to free (s_chunk_gone)
    s_evict (self, slot, error == EAGAIN? "reads nothing we send": "is unreachable", true);
    return -1;
}

//  Logs a dropped FETCH, the first few and then seldom.
static void
s_fetch_dropped (mf_engine_t *self, const char *who, const char *why)
{
    self->stats.fetch_dropped++;
    if (self->fetch_logged < LOG_FIRST || self->stats.fetch_dropped % 1000 == 0) {
        self->fetch_logged++;
        mf_warn ("dropped a FETCH from %s: %s (%llu dropped so far)", who, why,
                 (unsigned long long) self->stats.fetch_dropped);
    }
}

//  A FETCH: exactly the bytes asked, or NOORBIT for an orbit not held.
static void
s_on_fetch (mf_engine_t *self, int slot, const mf_fetch_t *fetch)
{
    mf_peer_record_t *record = s_record (self, slot);
    s_held_t *held = s_held (self, &fetch->orbit);
    if (!held) {
        self->stats.noorbit++;
        uint8_t buf [MF_SIZE_NOORBIT];
        s_send (self, slot, buf, mf_proto_encode_noorbit (buf, sizeof buf, &fetch->orbit));
        return;
    }
    size_t size;
    const uint8_t *blob = mf_shipped_blob (held->orbit, &size);
    if (fetch->offset >= size || fetch->length > size - fetch->offset) {
        s_fetch_dropped (self, record->info.name, "it asks for bytes beyond the orbit's end");
        return;
    }
    s_flow_t *flow = s_flow (self, slot);
    if (flow && atomic_load (&flow->queued) >= MF_ENGINE_CHUNKS_QUEUED) {
        s_fetch_dropped (self, record->info.name, "more orbit pieces queued to it than a "
                         "worker ever asks for at once");
        return;
    }
    mf_chunk_t chunk = {
        fetch->orbit, fetch->offset, size, fetch->length, blob + fetch->offset
    };
    if (s_send_chunk (self, slot, &chunk) == 0) {
        self->stats.chunks++;
        self->stats.chunk_bytes += fetch->length;
        record->info.chunks++;
        record->info.chunk_bytes += fetch->length;
    }
}

//  Keeps a worker (by ident) from every job of an orbit it refused, now
//  and for jobs to come.
static void
s_refuse (mf_engine_t *self, int ident, const mf_orbit_id_t *orbit,
          mf_decline_reason_t reason, const char *who)
{
    s_refusal_t *known;
    for (size_t index = 0; (known = mf_vec_at (self->refusals, index)); index++)
        if (known->ident == ident && mf_orbit_id_equal (&known->orbit, orbit))
            return;
    s_refusal_t refusal = { ident, *orbit };
    if (!mf_vec_push (self->refusals, &refusal))
        mf_error ("out of memory noting a refused orbit");
    self->stats.refusals++;
    s_job_t **job;
    for (size_t index = 0; (job = mf_vec_at (self->jobs, index)); index++)
        if ((*job)->orbit && mf_orbit_id_equal (mf_shipped_id ((*job)->orbit), orbit))
            mf_sched_job_exclude (self->sched, (*job)->id, ident);
    char text [17];
    mf_ship_id_text (orbit, text);
    mf_warn ("worker %s refused reference orbit %s... (%s); its tiles go to the others",
             who, text, reason == MF_DECLINE_TOO_LARGE? "too large for its --cache-mb"
                                                      : "it failed the worker's checks");
}

//  A DECLINE; returns the verdict on its lease.
static mf_verdict_t
s_on_decline (mf_engine_t *self, int slot, const mf_decline_t *decline)
{
    mf_peer_record_t *record = s_record (self, slot);
    const char *who = record->info.name;
    s_job_t *job = s_job (self, decline->job);
    if (job && job->orbit && !mf_orbit_id_equal (mf_shipped_id (job->orbit), &decline->orbit)) {
        s_reject (self, who, "a DECLINE naming another orbit than its job's");
        return MF_VERDICT_FOREIGN;
    }
    mf_verdict_t verdict = mf_sched_decline (self->sched, slot, decline->job, decline->tile,
                                             decline->lease);
    switch (verdict) {
        case MF_VERDICT_LATE:
            self->stats.late++;
            break;
        case MF_VERDICT_DUPLICATE:
            self->stats.duplicates++;
            break;
        case MF_VERDICT_FOREIGN:
        case MF_VERDICT_MISMATCH:
            s_reject (self, who, "a DECLINE of a tile it was not given");
            return MF_VERDICT_FOREIGN;
        case MF_VERDICT_ACCEPT:
            self->stats.declined++;
            record->info.declined++;
            mf_debug ("worker %s declined tile %u of job %u: %s", who, decline->tile,
                      decline->job, mf_proto_decline_name (decline->reason));
            break;
    }
    //  Too large for it, or bad: it will decline every tile of that orbit.
    if (decline->reason == MF_DECLINE_TOO_LARGE || decline->reason == MF_DECLINE_BAD_ORBIT)
        s_refuse (self, (int) mf_peers_get (self->peers, slot)->record, &decline->orbit,
                  decline->reason, who);
    return verdict;
}

static void
s_on_message (mf_engine_t *self, int link, zmq_msg_t *id, zmq_msg_t *body)
{
    const uint8_t *id_data = zmq_msg_data (id);
    size_t id_size = zmq_msg_size (id);
    int slot = mf_peers_find (self->peers, link, id_data, id_size);
    if (slot < 0 && mf_peers_banned (self->peers, link, id_data, id_size))
        return;
    const char *who = slot >= 0? s_record (self, slot)->info.name: "an unregistered peer";
    mf_msg_t msg;
    mf_proto_error_t why;
    if (mf_proto_decode (zmq_msg_data (body), zmq_msg_size (body), &msg, &why)) {
        char reason [128];
        int version = mf_proto_version_of (zmq_msg_data (body), zmq_msg_size (body));
        if (why == MF_PROTO_E_VERSION)
            snprintf (reason, sizeof reason, "it speaks protocol version %d, this master "
                      "speaks %d (run the same mandelfarm release on both)", version,
                      MF_PROTO_VERSION);
        else
            snprintf (reason, sizeof reason, "malformed (%s)", mf_proto_error_name (why));
        s_reject (self, who, reason);
        return;
    }
    if (slot >= 0)
        mf_peers_get (self->peers, slot)->last_seen = mf_clock_ms ();
    if (msg.type == MF_MSG_HELLO) {
        s_on_hello (self, slot, link, id_data, id_size, &msg.u.hello);
        //  A connection of a watched listener that registered is a worker:
        //  never closed to make room. ZMQ_SRCFD says which it is (on the
        //  message's own frame: the routing id's may not carry it).
        s_link_t *watched = &self->links [link];
        if (watched->capped && mf_peers_find (self->peers, link, id_data, id_size) >= 0) {
            int fd = zmq_msg_get (body, ZMQ_SRCFD);
            if (fd >= 0)
                mf_peers_conn_hello (self->peers, fd);
            else
            if (!watched->blind) {
                //  A libzmq that no longer says (ZMQ_SRCFD is deprecated):
                //  we could close workers as idle. Stop closing anything.
                mf_warn ("cannot tell which connection a worker is on; the listener's "
                         "connections are no longer capped");
                watched->blind = true;
            }
        }
        return;
    }
    if (slot < 0) {
        //  A worker we evicted, or one from before a restart: ask it to
        //  register. Its results are late: their leases are gone. A
        //  forked worker's shared one still holds a slot of its region,
        //  which nobody else will let go.
        if (msg.type == MF_MSG_RESULT) {
            self->stats.late++;
            int region = msg.u.result.encoding == MF_ENCODING_SHARED
                       ? s_route_region (self, link, id_data, id_size): -1;
            if (region >= 0)
                mf_shm_release (self->shm, region, msg.u.result.slot);
        }
        if (msg.type == MF_MSG_RESULT || msg.type == MF_MSG_READY
        ||  msg.type == MF_MSG_HEARTBEAT || msg.type == MF_MSG_FETCH
        ||  msg.type == MF_MSG_DECLINE) {
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
            //  becomes of it, unless the tile was never this worker's
            //  (or the result had its worker quarantined).
        {
            //  A shared result's slot is let go whatever the verdict, once
            //  read: the worker takes it for its next tile.
            int region = msg.u.result.encoding == MF_ENCODING_SHARED? s_region (self, slot): -1;
            mf_verdict_t verdict = s_on_result (self, slot, &msg.u.result, region);
            if (region >= 0) {
                self->stats.shared++;
                mf_shm_release (self->shm, region, msg.u.result.slot);
            }
            if (verdict != MF_VERDICT_FOREIGN && mf_peers_get (self->peers, slot))
                mf_sched_worker_credit (self->sched, slot, 1);
            break;
        }
        case MF_MSG_HEARTBEAT:
            break;
        case MF_MSG_BYE:
            s_evict (self, slot, "left", false);
            break;
        case MF_MSG_FETCH:
            s_on_fetch (self, slot, &msg.u.fetch);
            break;
        case MF_MSG_DECLINE:
            //  As a RESULT: the lease's credit comes back, unless it was
            //  never this worker's.
            if (s_on_decline (self, slot, &msg.u.decline) != MF_VERDICT_FOREIGN
            &&  mf_peers_get (self->peers, slot))
                mf_sched_worker_credit (self->sched, slot, 1);
            break;
        default:
            s_reject (self, who, "a master's message type");
    }
}

//  Reads every waiting message of one socket, up to DRAIN_MAX.
static void
s_drain (mf_engine_t *self, int link)
{
    void *socket = zsock_resolve (self->links [link].socket);
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
        if (ok) {
            self->stats.bytes_in += zmq_msg_size (&body);
            s_on_message (self, link, &id, &body);
        }
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
    //  One clock reading for the whole burst: it is one moment.
    int64_t now = mf_clock_ms ();
    while (mf_sched_next (self->sched, now, &assign) == 0) {
        s_job_t *job = s_job (self, assign.job);
        uint8_t buf [MF_SIZE_DEEPTILE > MF_SIZE_TILE? MF_SIZE_DEEPTILE: MF_SIZE_TILE];
        size_t size;
        if (job->deep) {
            size_t shipped;
            mf_shipped_blob (job->orbit, &shipped);
            mf_deeptile_t tile = {
                assign.job, assign.tile, assign.lease, assign.task.maxiter, assign.task.rect,
                mf_sched_job_spec (self->sched, assign.job)->deep_map,
                *mf_shipped_id (job->orbit), shipped, mf_shipped_raw (job->orbit)
            };
            size = mf_proto_encode_deeptile (buf, sizeof buf, &tile);
            self->stats.deep_leases++;
        }
        else {
            mf_tile_msg_t tile = { assign.job, assign.tile, assign.lease, assign.task };
            size = mf_proto_encode_tile (buf, sizeof buf, &tile);
        }
        assert (size);
        //  A failed send evicted the worker; its leases, this one too, are void.
        if (s_send (self, assign.worker, buf, size) == 0 && self->on_leased)
            self->on_leased (self->event_arg, assign.job, assign.tile);
    }
}

//  Workers that took tiles and return nothing for them, while others do,
//  lose those tiles and their credit; one that never returned anything is
//  evicted as a dead one is.
static void
s_expire (mf_engine_t *self, int64_t now)
{
    int slots [EXPIRE_MAX];
    uint32_t taken [EXPIRE_MAX];
    size_t count = mf_sched_expire (self->sched, now, slots, taken, EXPIRE_MAX);
    for (size_t index = 0; index < count; index++) {
        mf_peer_record_t *record = s_record (self, slots [index]);
        record->expired++;
        mf_warn ("worker %s returned nothing for %u tile%s past their deadline while others "
                 "did; they are handed out again, and it gets no more until it answers",
                 record->info.name, taken [index], taken [index] == 1? "": "s");
        if (mf_sched_worker_results (self->sched, slots [index]) == 0)
            s_evict (self, slots [index], "never returned anything", true);
    }
}

static void
s_keepalive (mf_engine_t *self, int64_t now)
{
    uint8_t buf [MF_SIZE_EMPTY];
    size_t size = mf_proto_encode_empty (buf, sizeof buf, MF_MSG_HEARTBEAT);
    for (int slot = 0; slot < mf_peers_slots (self->peers); slot++) {
        mf_peer_t *peer = mf_peers_get (self->peers, slot);
        if (!peer)
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
    zmq_pollitem_t items [2 * MAX_LINKS + 2];
    int count = 0;
    for (int link = 0; link < self->link_count; link++) {
        items [count++] = (zmq_pollitem_t) {
            zsock_resolve (self->links [link].socket), 0, ZMQ_POLLIN, 0
        };
        if (self->links [link].monitor)
            items [count++] = (zmq_pollitem_t) {
                zsock_resolve (self->links [link].monitor), 0, ZMQ_POLLIN, 0
            };
    }
    items [count++] = (zmq_pollitem_t) { NULL, mf_verify_fd (self->verify), ZMQ_POLLIN, 0 };
    if (extra)
        items [count++] = (zmq_pollitem_t) { zsock_resolve (extra), 0, ZMQ_POLLIN, 0 };
    //  Wake for heartbeats at least twice an interval; a negative timeout
    //  waits that long at most too.
    int wait = timeout >= 0 && timeout < self->heartbeat / 2? timeout: self->heartbeat / 2;
    int rc = zmq_poll (items, count, wait);
    if (rc < 0 && zmq_errno () == EINTR)
        return -1;
    //  Messages before events: a HELLO that has arrived protects its
    //  connection from being closed to make room.
    for (int link = 0, item = 0; link < self->link_count; link++) {
        if (items [item++].revents & ZMQ_POLLIN)
            s_drain (self, link);
        if (self->links [link].monitor)
            item++;
    }
    for (int link = 0; link < self->link_count; link++)
        if (self->links [link].monitor)
            s_drain_events (self, link);
    int64_t now = mf_clock_ms ();
    mf_verify_poll (self->verify, now, self->heartbeat);
    s_expire (self, now);
    s_keepalive (self, now);
    s_close_idle (self, now);
    s_dispatch (self);
    return extra && (items [count - 1].revents & ZMQ_POLLIN)? 1: 0;
}

//  Records a job the scheduler took (or frees it when it did not).
//  Returns the job id, or 0.
static uint32_t
s_job_add (mf_engine_t *self, s_job_t *job, uint32_t id)
{
    if (id && mf_vec_push (self->jobs, &job)) {
        job->id = id;
        return id;
    }
    if (id)
        mf_sched_job_remove (self->sched, id);
    free (job);
    return 0;
}

uint32_t
mf_engine_submit_grid (mf_engine_t *self, const mf_job_spec_t *spec, mf_tiles_t **tiles_p,
                       float *mu)
{
    //  A bigger tile's results could never come in (ZMQ_MAXMSGSIZE).
    assert (spec->tile_edge <= self->max_tile_edge && !spec->deep);
    s_job_t *job = calloc (1, sizeof *job);
    if (!job) {
        mf_tiles_destroy (tiles_p);
        return 0;
    }
    job->image = mu;
    return s_job_add (self, job, mf_sched_job_add_grid (self->sched, spec, tiles_p, job));
}

uint32_t
mf_engine_submit (mf_engine_t *self, const mf_job_spec_t *spec, float *mu)
{
    mf_tiles_t *tiles = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    return mf_engine_submit_grid (self, spec, &tiles, mu);
}

//  Lets go of a job's orbit: the last job of it takes it away.
static void
s_unhold (mf_engine_t *self, mf_shipped_t *orbit)
{
    s_held_t *held = s_held (self, mf_shipped_id (orbit));
    assert (held && held->jobs > 0);
    if (--held->jobs == 0) {
        mf_shipped_destroy (&held->orbit);
        mf_vec_swap_remove (self->held, mf_vec_index (self->held, held));
    }
}

uint32_t
mf_engine_submit_deep (mf_engine_t *self, const mf_job_spec_t *spec, mf_tiles_t **tiles_p,
                       double *mu, mf_shipped_t *orbit)
{
    //  Results of f64 mu could never come in without opts.deep.
    assert (spec->tile_edge <= self->max_tile_edge && spec->deep && self->deep && orbit);
    mf_tiles_t *none = NULL;
    tiles_p = tiles_p? tiles_p: &none;
    if (!*tiles_p)
        *tiles_p = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    //  A worker refuses a lease whose orbit says more points than its
    //  maxiter allows, or of another number type than its map.
    s_job_t *job = calloc (1, sizeof *job);
    s_held_t *held = s_held (self, mf_shipped_id (orbit));
    if (job && !held && mf_shipped_type (orbit) == spec->deep_map.type
    &&  (held = mf_vec_push (self->held, &(s_held_t) { orbit, 0 })))
        mf_shipped_ref (orbit);
    if (!job || !held || mf_shipped_type (orbit) != spec->deep_map.type
    ||  mf_shipped_raw (orbit) > mf_proto_raw_max (spec->maxiter, spec->deep_map.type)) {
        free (job);
        mf_tiles_destroy (tiles_p);
        if (held && held->jobs == 0) {
            mf_shipped_destroy (&held->orbit);
            mf_vec_swap_remove (self->held, mf_vec_index (self->held, held));
        }
        return 0;
    }
    held->jobs++;
    job->image = mu;
    job->deep = true;
    job->orbit = held->orbit;
    uint32_t id = s_job_add (self, job, mf_sched_job_add_grid (self->sched, spec, tiles_p, job));
    if (!id) {
        s_unhold (self, held->orbit);
        return 0;
    }
    //  Workers that refused this orbit before get none of its tiles.
    s_refusal_t *refusal;
    for (size_t index = 0; (refusal = mf_vec_at (self->refusals, index)); index++)
        if (mf_orbit_id_equal (&refusal->orbit, mf_shipped_id (orbit)))
            mf_sched_job_exclude (self->sched, id, refusal->ident);
    return id;
}

bool
mf_engine_job_refused (mf_engine_t *self, uint32_t job)
{
    return mf_sched_job_refused (self->sched, job);
}

const mf_tiles_t *
mf_engine_job_tiles (mf_engine_t *self, uint32_t job)
{
    return mf_sched_job_tiles (self->sched, job);
}

int
mf_engine_preset (mf_engine_t *self, uint32_t job_id, uint32_t tile, const uint8_t *mu,
                  uint64_t owner)
{
    if (mf_sched_tile_preset (self->sched, job_id, tile))
        return -1;
    if (owner)
        mf_verify_owned (self->verify, job_id, tile, owner);
    s_job_t *job = s_job (self, job_id);
    if (job->image && mu) {
        size_t width = mf_sched_job_spec (self->sched, job_id)->view.pixel_w;
        mf_rect_t r = mf_tiles_rect (mf_sched_job_tiles (self->sched, job_id), tile);
        size_t offset = (size_t) r.y * width + r.x;
        if (job->deep)
            for (uint32_t row = 0; row < r.h; row++)
                mf_proto_get_f64s ((double *) job->image + offset + row * width,
                                   mu + (size_t) row * r.w * 8, r.w);
        else
            mf_le_get_f32_rect ((float *) job->image + offset, width, mu, r.w, r.h);
    }
    return 0;
}

int
mf_engine_horizon (mf_engine_t *self, uint32_t job, uint32_t horizon)
{
    return mf_sched_job_horizon (self->sched, job, horizon);
}

int
mf_engine_cancel (mf_engine_t *self, uint32_t job)
{
    if (!mf_sched_job_exists (self->sched, job))
        return -1;
    uint8_t buf [MF_SIZE_CANCEL];
    size_t size = mf_proto_encode_cancel (buf, sizeof buf, job);
    for (int slot = 0; slot < mf_peers_slots (self->peers); slot++)
        if (mf_peers_get (self->peers, slot) && mf_sched_worker_holds (self->sched, slot, job))
            s_send (self, slot, buf, size);
    //  What was kept about the job's tiles goes with it: a long viewer
    //  session cancels thousands of jobs.
    mf_verify_forget_job (self->verify, job);
    s_job_t *entry = s_job (self, job);
    int rc = mf_sched_job_remove (self->sched, job);
    mf_vec_swap_remove (self->jobs, mf_vec_index (self->jobs, s_job_slot (self, entry)));
    if (entry->orbit)
        s_unhold (self, entry->orbit);
    free (entry);
    return rc;
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
    mf_verify_counters_t verify;
    mf_verify_counters (self->verify, &verify);
    *out = self->stats;
    out->assigned = counters.assigned;
    out->reissued = counters.reissued;
    out->backups = counters.backups;
    out->overdue = counters.overdue;
    out->expired = counters.expired;
    out->verified = verify.verified;
    out->mismatches = verify.mismatches;
    out->local = verify.local;
    out->quarantined = verify.quarantined;
    out->withdrawn = verify.withdrawn;
    out->workers = (uint32_t) mf_peers_count (self->peers, -1);
}

const mf_worker_info_t *
mf_engine_worker (mf_engine_t *self, size_t index)
{
    mf_peer_record_t *record = mf_peers_record (self->peers, index);
    return record? &record->info: NULL;
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
    if (zmq_getsockopt (zsock_resolve (self->links [self->link_count - 1].socket),
                        ZMQ_LAST_ENDPOINT, buf, &len))
        return -1;
    buf [size - 1] = 0;
    return 0;
}
