/*  mf_worker: see worker.h. */
#include "worker.h"
#include "discover.h"
#include "pool.h"
#include "mf_kernel.h"
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

static volatile sig_atomic_t s_signalled = 0;
static int s_wake [2] = { -1, -1 };     //  self-pipe written by the signal handler
#define POLL_SLICE 200                  //  msecs, longest wait before rechecking stop

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
    uint32_t capacity;                  //  tiles we hold at most: threads + 1
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

//  Registers (again) with the master: every queued tile is dropped and
//  every tile in hand stopped, since the master re-issues whatever it had
//  leased to us. The master's credit for us starts over from this HELLO's.
static void
s_send_hello (s_worker_t *self)
{
    mf_pool_clear (self->pool);
    self->epoch++;
    self->registered = false;
    size_t running = mf_pool_running (self->pool);
    mf_hello_t hello = {
        .credit = running >= self->capacity? 0: self->capacity - (uint32_t) running,
        .threads = (uint32_t) self->threads,
        .pid = (uint32_t) getpid (),
        .uid = self->uid
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
    //  Only small messages ever come from a master.
    zsock_set_maxmsgsize (self->dealer, 4096);
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

static void
s_on_master (s_worker_t *self)
{
    zframe_t *frame = zframe_recv (self->dealer);
    if (!frame)
        return;
    self->last_heard = mf_clock_ms ();
    mf_msg_t msg;
    mf_proto_error_t why;
    if (mf_proto_decode (zframe_data (frame), zframe_size (frame), &msg, &why)) {
        mf_warn ("dropped a malformed message from the master (%s)", mf_proto_error_name (why));
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
            }
            if (!self->registered || msg.u.welcome.session != self->session)
                mf_info ("registered with %s (%s kernel, %d threads)",
                         self->endpoint, self->kernel->name, self->threads);
            self->registered = true;
            self->session = msg.u.welcome.session;
            self->heartbeat = (int) msg.u.welcome.heartbeat_ms;
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
        case MF_MSG_CANCEL: {
            self->cancelled [self->cancelled_next] = msg.u.job;
            self->cancelled_next = (self->cancelled_next + 1) % CANCELLED_MAX;
            s_send_ready (self, mf_pool_cancel (self->pool, msg.u.job));
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

//  A compute thread is done with a tile: send its RESULT on unless it
//  was stopped (an empty frame), or belongs to an earlier registration or
//  a cancelled job. Either way a slot is free: a RESULT gives its credit
//  back by itself; a tile that leaves without one needs a READY.
static void
s_on_result (s_worker_t *self)
{
    zframe_t *tag = zframe_recv (self->results);
    zframe_t *frame = tag && zframe_more (tag)? zframe_recv (self->results): NULL;
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
        }
        if (self->dealer && !sent)
            s_send_ready (self, 1);
    }
    zframe_destroy (&frame);
    zframe_destroy (&tag);
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
    mf_sys_random (&self->uid, sizeof self->uid);
    self->endpoint = opts->endpoint;
    if (!opts->endpoint) {
        self->discover = mf_discover_new (opts->discover_port,
                                          opts->curve? opts->master_key: NULL);
        if (!self->discover) {
            mf_error ("out of memory");
            return -1;
        }
    }

    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://mf-results-%p", (void *) self);
    self->results = zsock_new_pull (NULL);
    if (!self->results || zsock_bind (self->results, "%s", endpoint)) {
        mf_error ("cannot set up the result channel");
        zsock_destroy (&self->results);
        mf_discover_destroy (&self->discover);
        return -1;
    }
    self->pool = mf_pool_new (opts->threads, self->kernel, endpoint);
    if (!self->pool) {
        mf_error ("cannot start any of %d compute thread%s; nothing to offer a master",
                  opts->threads, opts->threads == 1? "": "s");
        zsock_destroy (&self->results);
        mf_discover_destroy (&self->discover);
        return -1;
    }
    //  Credit is offered only for threads that run.
    self->threads = mf_pool_threads (self->pool);
    self->capacity = (uint32_t) self->threads + 1;
    if (self->threads < opts->threads)
        mf_warn ("only %d of %d compute threads started; taking %u tiles at a time",
                 self->threads, opts->threads, self->capacity);
    mf_pool_set_faults (self->pool, opts->test_delay_ms, opts->test_corrupt_every);
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
                { NULL, opts->stop_fd, ZMQ_POLLIN, 0 }
            };
            int ready = zmq_poll (items, opts->stop_fd >= 0? 3: 2, wait < 0? 0: (long) wait);
            if (ready < 0)
                continue;           //  EINTR: a signal; the loop rechecks stop
            if (ready == 0)
                orphaned = s_orphaned (opts);
            s_log_beyond (self, false);
            if (items [0].revents & ZMQ_POLLIN)
                s_on_master (self);
            if (items [1].revents & ZMQ_POLLIN)
                s_on_result (self);
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
    mf_pool_destroy (&self->pool);
    zsock_destroy (&self->results);
    mf_discover_destroy (&self->discover);
    s_log_beyond (self, true);
    mf_debug ("worker done: %llu tiles", (unsigned long long) self->tiles_done);
    return 0;
}
