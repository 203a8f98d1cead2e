/*  mf_worker: the worker loop, run on a thread of this process, against
    a fake master on an ipc:// ROUTER that speaks the protocol by hand:
    HELLO with the credit of the threads that run, WELCOME, heartbeats,
    RESULTs that keep the credit, READY for what leaves without one,
    CANCEL that drops queued tiles and stops the one in hand, a new
    session that forgets cancelled jobs, REGISTER that brings a HELLO,
    reconnects whose backoff doubles and starts over once registered,
    TILEs beyond the credit dropped, and threads that cannot start.
    Then the real mandelfarm-worker, flooded with TILEs far beyond its
    credit: its memory stays put, it says so, and it still computes what
    it asked for.

    Heavy tiles are at the golden-mean Siegel point: every pixel takes
    hours at maxiter 1e9 (test_kernel_variants checks the premise), so
    they end only when stopped. Every wait is bounded; the worker thread
    is stopped through its stop flag and pipe.
*/
#include "helpers.h"
#include "worker.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_mu.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <czmq.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#define WAIT_MS 20000                   //  msecs an expected message may take at most
#define QUIET_MS 300                    //  msecs of listening for a message that must not come
#define FAST_HB 20                      //  msecs, the heartbeat the fake master asks for
#define SLOW_HB 60000                   //  msecs, ... where the test does not answer
                                        //  heartbeats (a slow machine must not make the
                                        //  worker think its master gone)
#define BUSY_TICKS 5                    //  CPU ticks that show a compute thread at work
#define FLOOD_TILES 300000              //  TILEs the flood sends, far beyond any credit
#define FLOOD_MS 120000                 //  msecs the flood may take at most
#define RSS_GROWTH_MAX (16 * 1024)      //  KiB the flooded worker may grow by (the
                                        //  unbounded queue grew by ~40 MiB)

//  The fake master: a bare ROUTER in a context of its own (so that
//  ZeroMQ's socket limit of CZMQ's context counts only the worker's).
typedef struct {
    void *context;
    void *router;
    char endpoint [96];
    uint8_t peer [256];                 //  routing id of the last message
    size_t peer_size;
    uint8_t data [70000];               //  the last message
    int heartbeats;                     //  HEARTBEATs received
} s_master_t;

//  The worker loop on its own thread.
typedef struct {
    mf_worker_opts_t opts;
    volatile sig_atomic_t stop;
    int wake [2];
    pthread_t thread;
    int rc;
} s_worker_t;

static char *s_log;                     //  the worker's log (this process's stderr)

static void
s_setup (void)
{
    th_dir_setup ();
    s_log = th_path ("worker.log");
    int fd = open (s_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ck_assert_int_ge (fd, 0);
    dup2 (fd, 2);
    close (fd);
    mf_log_level = MF_LOG_DEBUG;
}

static void
s_teardown (void)
{
    free (s_log);
    th_dir_teardown ();
}

static bool s_over_tcp;                  //  the next fake master listens on loopback TCP

static void
s_master_start (s_master_t *master)
{
    static int serial;
    memset (master, 0, sizeof *master);
    snprintf (master->endpoint, sizeof master->endpoint, "ipc://@mf-test-worker-%d-%d",
              (int) getpid (), serial++);
    if (s_over_tcp)
        snprintf (master->endpoint, sizeof master->endpoint, "tcp://127.0.0.1:*");
    master->context = zmq_ctx_new ();
    master->router = zmq_socket (master->context, ZMQ_ROUTER);
    int linger = 0, mandatory = 1;
    zmq_setsockopt (master->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (master->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    ck_assert_int_eq (zmq_bind (master->router, master->endpoint), 0);
    size_t size = sizeof master->endpoint;
    ck_assert_int_eq (zmq_getsockopt (master->router, ZMQ_LAST_ENDPOINT, master->endpoint,
                                      &size), 0);
}

static void
s_master_stop (s_master_t *master)
{
    zmq_close (master->router);
    zmq_ctx_term (master->context);
}

//  Receives one message within msecs into master->data and msg; returns
//  its type, or 0 when nothing came.
static int
s_recv (s_master_t *master, mf_msg_t *msg, int msecs)
{
    zmq_pollitem_t item = { master->router, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, msecs) <= 0)
        return 0;
    int size = zmq_recv (master->router, master->peer, sizeof master->peer, 0);
    ck_assert_int_gt (size, 0);
    master->peer_size = (size_t) size;
    int more;
    size_t more_size = sizeof more;
    zmq_getsockopt (master->router, ZMQ_RCVMORE, &more, &more_size);
    ck_assert (more);
    size = zmq_recv (master->router, master->data, sizeof master->data, 0);
    ck_assert_int_ge (size, 0);
    ck_assert_int_eq (mf_proto_decode (master->data, (size_t) size, msg, NULL), 0);
    if (msg->type == MF_MSG_HEARTBEAT)
        master->heartbeats++;
    return msg->type;
}

//  Waits up to WAIT_MS for a message of type, passing over heartbeats;
//  any other message fails the test.
static void
s_expect (s_master_t *master, mf_msg_type_t type, mf_msg_t *msg)
{
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (mf_clock_ms () < deadline) {
        int got = s_recv (master, msg, (int) (deadline - mf_clock_ms ()));
        if (got == (int) type)
            return;
        ck_assert_msg (got == 0 || got == MF_MSG_HEARTBEAT, "got type %d, waited for %d",
                       got, type);
    }
    ck_abort_msg ("no message of type %d within %d ms", type, WAIT_MS);
}

//  Asserts that nothing but heartbeats comes for QUIET_MS.
static void
s_expect_quiet (s_master_t *master)
{
    int64_t deadline = mf_clock_ms () + QUIET_MS;
    mf_msg_t msg;
    while (mf_clock_ms () < deadline) {
        int got = s_recv (master, &msg, (int) (deadline - mf_clock_ms ()));
        ck_assert_msg (got == 0 || got == MF_MSG_HEARTBEAT, "unexpected type %d", got);
    }
}

static void
s_send (s_master_t *master, const uint8_t *data, size_t size)
{
    ck_assert_int_eq (zmq_send (master->router, master->peer, master->peer_size, ZMQ_SNDMORE),
                      (int) master->peer_size);
    ck_assert_int_eq (zmq_send (master->router, data, size, 0), (int) size);
}

static void
s_welcome (s_master_t *master, uint32_t heartbeat_ms, uint32_t session)
{
    uint8_t buf [MF_SIZE_WELCOME];
    mf_welcome_t welcome = { heartbeat_ms, session };
    s_send (master, buf, mf_proto_encode_welcome (buf, sizeof buf, &welcome));
}

static void
s_send_empty (s_master_t *master, mf_msg_type_t type)
{
    uint8_t buf [MF_SIZE_EMPTY];
    s_send (master, buf, mf_proto_encode_empty (buf, sizeof buf, type));
}

static void
s_cancel (s_master_t *master, uint32_t job)
{
    uint8_t buf [MF_SIZE_CANCEL];
    s_send (master, buf, mf_proto_encode_cancel (buf, sizeof buf, job));
}

//  A light tile of the seahorse valley, or a heavy one at the Siegel point.
static mf_tile_msg_t
s_tile (uint32_t job, uint32_t id, bool heavy)
{
    mf_view_t view = heavy? (mf_view_t) { -0.390540870218399, -0.586787907346969, 1e-9, 64, 64 }
                          : (mf_view_t) { -0.7453, 0.1127, 6.5e-3, 64, 64 };
    mf_tile_msg_t tile = { .job = job, .tile = id, .lease = 1000 + id };
    mf_view_mapping (&view, &tile.task.map);
    tile.task.maxiter = heavy? 1000000000u: 2000;
    tile.task.rect = heavy? (mf_rect_t) { 0, 0, 8, 8 }
                          : (mf_rect_t) { (id % 4) * 16, (id / 4 % 4) * 16, 16, 16 };
    return tile;
}

static void
s_send_tile (s_master_t *master, uint32_t job, uint32_t id, bool heavy)
{
    uint8_t buf [MF_SIZE_TILE];
    mf_tile_msg_t tile = s_tile (job, id, heavy);
    s_send (master, buf, mf_proto_encode_tile (buf, sizeof buf, &tile));
}

//  Checks a RESULT against the reference kernel; returns its tile id.
static uint32_t
s_check_result (const mf_msg_t *msg)
{
    const mf_result_t *result = &msg->u.result;
    mf_tile_msg_t tile = s_tile (result->job, result->tile, false);
    ck_assert_uint_eq (result->lease, tile.lease);
    ck_assert (memcmp (&result->rect, &tile.task.rect, sizeof result->rect) == 0);
    float expected [16 * 16], got [16 * 16];
    mf_kernel_reference (&tile.task, expected, NULL);
    mf_le_get_f32s (got, result->mu, 16 * 16);
    ck_assert (memcmp (got, expected, sizeof got) == 0);
    return result->tile;
}

static void *
s_worker_thread (void *arg)
{
    s_worker_t *worker = arg;
    worker->rc = mf_worker_run (&worker->opts);
    return NULL;
}

static void
s_worker_start (s_worker_t *worker, const char *endpoint, int threads)
{
    memset (worker, 0, sizeof *worker);
    ck_assert_int_eq (pipe (worker->wake), 0);
    worker->opts = (mf_worker_opts_t) {
        .endpoint = endpoint, .threads = threads, .stop = &worker->stop,
        .stop_fd = worker->wake [0], .name = "test-worker"
    };
    ck_assert_int_eq (pthread_create (&worker->thread, NULL, s_worker_thread, worker), 0);
}

//  Stops the worker loop and returns mf_worker_run's status.
static int
s_worker_stop (s_worker_t *worker)
{
    worker->stop = 1;
    ck_assert_int_eq (write (worker->wake [1], "", 1), 1);
    pthread_join (worker->thread, NULL);
    close (worker->wake [0]);
    close (worker->wake [1]);
    return worker->rc;
}

//  Starts a master and a worker of threads threads, and registers it:
//  returns its HELLO.
static mf_hello_t
s_start (s_master_t *master, s_worker_t *worker, int threads, uint32_t heartbeat_ms)
{
    s_master_start (master);
    s_worker_start (worker, master->endpoint, threads);
    mf_msg_t msg;
    s_expect (master, MF_MSG_HELLO, &msg);
    s_welcome (master, heartbeat_ms, 1);
    return msg.u.hello;
}

//  Waits until a heavy tile is in hand: this process burns CPU while the
//  test thread only waits, so a compute thread is iterating.
static void
s_wait_in_hand (void)
{
    long start = th_cpu_ticks (getpid ());
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (th_cpu_ticks (getpid ()) < start + BUSY_TICKS && mf_clock_ms () < deadline)
        usleep (10 * 1000);
    ck_assert_int_ge (th_cpu_ticks (getpid ()), start + BUSY_TICKS);
}

//  Reads messages until the credit given back (READY, RESULT) adds up
//  to credit, passing over heartbeats; fails on a RESULT when no_results.
//  Returns the RESULTs seen.
static int
s_credit_back (s_master_t *master, uint32_t credit, bool no_results)
{
    uint32_t back = 0;
    int results = 0;
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (back < credit && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        int got = s_recv (master, &msg, (int) (deadline - mf_clock_ms ()));
        if (got == MF_MSG_READY)
            back += msg.u.credit;
        else
        if (got == MF_MSG_RESULT) {
            ck_assert_msg (!no_results, "a RESULT for tile %u of job %u", msg.u.result.tile,
                           msg.u.result.job);
            s_check_result (&msg);
            back++;
            results++;
        }
        else
            ck_assert_msg (got == 0 || got == MF_MSG_HEARTBEAT, "unexpected type %d", got);
    }
    ck_assert_msg (back == credit, "%u of %u credits came back", back, credit);
    return results;
}

START_TEST (hello_welcome_heartbeats)
{
    s_master_t master;
    s_worker_t worker;
    mf_hello_t hello = s_start (&master, &worker, 2, FAST_HB);
    //  One tile in hand per thread, and one queued.
    ck_assert_uint_eq (hello.credit, 3);
    ck_assert_uint_eq (hello.threads, 2);
    ck_assert_str_eq (hello.kernel, mf_kernel_best ()->name);
    ck_assert_str_eq (hello.host, "test-worker");
    ck_assert_uint_eq (hello.pid, (uint32_t) getpid ());
    //  Heartbeats at the interval of the WELCOME, while idle; we answer.
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (master.heartbeats < 5 && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        int got = s_recv (&master, &msg, FAST_HB);
        ck_assert (got == 0 || got == MF_MSG_HEARTBEAT);
        if (got)
            s_send_empty (&master, MF_MSG_HEARTBEAT);
    }
    ck_assert_int_ge (master.heartbeats, 5);
    ck_assert_int_eq (th_wait_for_text (s_log, "registered with", WAIT_MS), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    //  It says goodbye, and gives the BYE time to go out.
    mf_msg_t msg;
    s_expect (&master, MF_MSG_BYE, &msg);
    ck_assert_int_eq (th_wait_for_text (s_log, "said BYE to the master", 0), 1);
    s_master_stop (&master);
}
END_TEST

START_TEST (no_master_no_wait_for_bye)
{
    //  A worker no master has welcomed leaves at once: there is nobody
    //  to take its BYE, so it does not give it half a second to go out
    //  (it did, and every worker stopped without a master took that long).
    s_master_t master;
    s_worker_t worker;
    s_master_start (&master);
    s_worker_start (&worker, master.endpoint, 1);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    ck_assert_int_eq (th_wait_for_text (s_log, "to say BYE to: leaving at once", 0), 1);
    ck_assert_int_eq (th_wait_for_text (s_log, "said BYE to the master", 0), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (results_keep_the_credit)
{
    s_master_t master;
    s_worker_t worker;
    mf_hello_t hello = s_start (&master, &worker, 2, SLOW_HB);
    //  Two rounds of as many tiles as the credit: each RESULT gives its
    //  credit back, so no READY is needed.
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t id = 0; id < hello.credit; id++)
            s_send_tile (&master, 1, round * hello.credit + id, false);
        bool seen [6] = { false };
        for (uint32_t count = 0; count < hello.credit; count++) {
            mf_msg_t msg;
            s_expect (&master, MF_MSG_RESULT, &msg);
            uint32_t id = s_check_result (&msg);
            ck_assert (id >= round * hello.credit && id < (round + 1) * hello.credit);
            ck_assert (!seen [id % 6]);
            seen [id % 6] = true;
        }
    }
    s_expect_quiet (&master);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

//  Tiles of one iteration take microseconds: after MF_WORKER_SHORT_TILES
//  of them in a row the worker asks for MF_WORKER_DEPTH tiles per thread
//  with one READY, and a new registration starts at threads + 1 again.
//  Runs a one-thread worker on tiny tiles until it asks for more; it must
//  come to hold depth tiles in all.
static void
s_deepens_to (uint32_t depth)
{
    s_master_t master;
    s_worker_t worker;
    mf_hello_t hello = s_start (&master, &worker, 1, SLOW_HB);
    ck_assert_uint_eq (hello.credit, 2);
    uint32_t sent = 0, results = 0, more = 0;
    //  A tile preempted past MF_WORKER_SHORT_TILE_US starts the count over:
    //  bounded by tiles, not by luck.
    while (more == 0 && sent < 400) {
        for (int index = 0; index < 2; index++) {
            uint8_t buf [MF_SIZE_TILE];
            mf_tile_msg_t tile = s_tile (1, sent, false);
            tile.lease = 1000 + sent++;
            tile.task.maxiter = 1;
            s_send (&master, buf, mf_proto_encode_tile (buf, sizeof buf, &tile));
        }
        for (uint32_t got = 0; got < 2; ) {
            mf_msg_t msg;
            int type = s_recv (&master, &msg, WAIT_MS);
            ck_assert_msg (type == MF_MSG_RESULT || type == MF_MSG_READY
                           || type == MF_MSG_HEARTBEAT, "unexpected type %d", type);
            if (type == MF_MSG_RESULT) {
                results++;
                got++;
            }
            else
            if (type == MF_MSG_READY)
                more += msg.u.credit;
        }
    }
    ck_assert_uint_ge (results, MF_WORKER_SHORT_TILES);
    ck_assert_uint_eq (more, depth - 2);
    //  It takes that many at once now, and returns every one.
    for (uint32_t index = 0; index < depth; index++) {
        uint8_t buf [MF_SIZE_TILE];
        mf_tile_msg_t tile = s_tile (2, index, false);
        tile.lease = 5000 + index;
        tile.task.maxiter = 1;
        s_send (&master, buf, mf_proto_encode_tile (buf, sizeof buf, &tile));
    }
    for (uint32_t index = 0; index < depth; index++) {
        mf_msg_t msg;
        s_expect (&master, MF_MSG_RESULT, &msg);
        ck_assert_uint_eq (msg.u.result.job, 2);
    }
    //  Registered again: shallow again.
    s_send_empty (&master, MF_MSG_REGISTER);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    ck_assert_uint_eq (msg.u.hello.credit, 2);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}

START_TEST (short_tiles_deepen_the_credit)
{
    s_deepens_to (MF_WORKER_DEPTH + 1);
}
END_TEST

//  Over TCP no more than the master queues per connection.
START_TEST (short_tiles_deepen_less_over_tcp)
{
    s_over_tcp = true;
    s_deepens_to (MF_WORKER_REMOTE_HOLD);
    s_over_tcp = false;
}
END_TEST

START_TEST (cancel_drops_queued_and_stops_in_hand)
{
    //  One thread, credit 2: a heavy tile in hand and a light one queued,
    //  both of job 5. CANCEL gives both credits back, with no RESULT:
    //  READY for the queued one, READY once the heavy one has stopped.
    s_master_t master;
    s_worker_t worker;
    mf_hello_t hello = s_start (&master, &worker, 1, SLOW_HB);
    ck_assert_uint_eq (hello.credit, 2);
    s_send_tile (&master, 5, 0, true);
    s_send_tile (&master, 5, 1, false);
    s_wait_in_hand ();
    s_cancel (&master, 5);
    int64_t start = mf_clock_ms ();
    s_credit_back (&master, 2, true);
    printf ("cancel_drops_queued_and_stops_in_hand: credit back in %lld ms\n",
            (long long) (mf_clock_ms () - start));
    //  The worker still computes, and later tiles of job 5 are dropped.
    s_send_tile (&master, 5, 2, false);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_READY, &msg);
    ck_assert_uint_eq (msg.u.credit, 1);
    s_send_tile (&master, 6, 3, false);
    s_expect (&master, MF_MSG_RESULT, &msg);
    ck_assert_uint_eq (msg.u.result.job, 6);
    s_check_result (&msg);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (a_new_session_forgets_cancelled_jobs)
{
    s_master_t master;
    s_worker_t worker;
    s_start (&master, &worker, 1, SLOW_HB);
    s_cancel (&master, 4);
    //  Job 4 is cancelled: its tile comes back as READY, uncomputed.
    s_send_tile (&master, 4, 0, false);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_READY, &msg);
    ck_assert_uint_eq (msg.u.credit, 1);
    //  The same master again: still cancelled.
    s_welcome (&master, SLOW_HB, 1);
    s_send_tile (&master, 4, 1, false);
    s_expect (&master, MF_MSG_READY, &msg);
    //  Another master run (a new session): its job 4 is another job.
    s_welcome (&master, SLOW_HB, 2);
    s_send_tile (&master, 4, 2, false);
    s_expect (&master, MF_MSG_RESULT, &msg);
    ck_assert_uint_eq (msg.u.result.job, 4);
    s_check_result (&msg);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (register_brings_a_hello)
{
    //  REGISTER: the worker registers again, same uid, stops its tile in
    //  hand, and offers again what is free; the rest comes back as READY
    //  when the stopped tile leaves.
    s_master_t master;
    s_worker_t worker;
    mf_hello_t first = s_start (&master, &worker, 1, SLOW_HB);
    s_send_tile (&master, 1, 0, true);
    s_wait_in_hand ();
    s_send_empty (&master, MF_MSG_REGISTER);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    ck_assert_uint_eq (msg.u.hello.uid, first.uid);
    //  The stopped tile still counts until the network thread reads it.
    ck_assert_uint_le (msg.u.hello.credit, first.credit);
    s_welcome (&master, SLOW_HB, 1);
    s_credit_back (&master, first.credit - msg.u.hello.credit, true);
    //  It computes for the new registration.
    s_send_tile (&master, 2, 1, false);
    s_expect (&master, MF_MSG_RESULT, &msg);
    s_check_result (&msg);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (tiles_before_the_welcome_are_stale)
{
    //  A REGISTER crosses TILEs already on their way: the master sent
    //  them before our new HELLO reached it, and voids their leases when
    //  it does. Those are dropped without using the new credit; the TILEs
    //  after the new WELCOME are computed. They used to be taken instead,
    //  and the fresh ones dropped as beyond the credit: a master with no
    //  other worker waited for those forever (a viewer test hung at 11 of
    //  12 tiles).
    s_master_t master;
    s_worker_t worker;
    mf_hello_t first = s_start (&master, &worker, 1, SLOW_HB);
    ck_assert_uint_eq (first.credit, 2);
    s_send_empty (&master, MF_MSG_REGISTER);
    s_send_tile (&master, 1, 0, false);
    s_send_tile (&master, 1, 1, false);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    ck_assert_uint_eq (msg.u.hello.credit, 2);
    s_welcome (&master, SLOW_HB, 1);
    s_send_tile (&master, 2, 2, false);
    s_send_tile (&master, 2, 3, false);
    for (int count = 0; count < 2; count++) {
        s_expect (&master, MF_MSG_RESULT, &msg);
        ck_assert_msg (msg.u.result.job == 2, "a RESULT of the stale tile %u", msg.u.result.tile);
        s_check_result (&msg);
    }
    s_expect_quiet (&master);
    ck_assert_int_eq (th_wait_for_text (s_log, "beyond the credit", 0), 0);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (one_hello_answers_every_register)
{
    //  The master asks a worker it does not know to register once for
    //  each message of it: two REGISTERs in a row bring one HELLO. A
    //  second HELLO voided the leases the first brought, whose TILEs the
    //  worker then took for the second's and dropped the new ones as
    //  beyond its credit (a viewer test hung at 11 of 12 tiles).
    s_master_t master;
    s_worker_t worker;
    mf_hello_t first = s_start (&master, &worker, 1, SLOW_HB);
    s_send_empty (&master, MF_MSG_REGISTER);
    s_send_empty (&master, MF_MSG_REGISTER);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    ck_assert_uint_eq (msg.u.hello.uid, first.uid);
    s_expect_quiet (&master);
    s_welcome (&master, SLOW_HB, 1);
    s_send_tile (&master, 1, 0, false);
    s_send_tile (&master, 1, 1, false);
    for (int count = 0; count < 2; count++) {
        s_expect (&master, MF_MSG_RESULT, &msg);
        s_check_result (&msg);
    }
    ck_assert_int_eq (th_wait_for_text (s_log, "beyond the credit", 0), 0);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (an_unanswered_hello_is_sent_again)
{
    //  A HELLO the master never answers (the master that had it went
    //  away) does not keep the worker from registering: once it has
    //  waited as long as a silent master takes to be given up, the next
    //  REGISTER brings a HELLO again.
    s_master_t master;
    s_worker_t worker;
    s_start (&master, &worker, 1, FAST_HB);
    s_send_empty (&master, MF_MSG_REGISTER);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    int got = 0;
    while (got != MF_MSG_HELLO && mf_clock_ms () < deadline) {
        s_send_empty (&master, MF_MSG_REGISTER);
        got = s_recv (&master, &msg, FAST_HB);
    }
    ck_assert_int_eq (got, MF_MSG_HELLO);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

//  The backoffs the worker logged ("reconnecting in N ms"), in order;
//  returns how many (at most max).
static int
s_backoffs (int *backoffs, int max)
{
    size_t size;
    char *text = (char *) th_slurp (s_log, &size);
    ck_assert_ptr_nonnull (text);
    int count = 0;
    const char *key = "reconnecting in ";
    for (char *at = memmem (text, size, key, strlen (key)); at && count < max;
         at = memmem (at + 1, size - (size_t) (at + 1 - text), key, strlen (key)))
        backoffs [count++] = atoi (at + strlen (key));
    free (text);
    return count;
}

//  Waits until the worker logged count backoffs.
static void
s_wait_backoffs (int count)
{
    int backoffs [8];
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (s_backoffs (backoffs, 8) < count && mf_clock_ms () < deadline)
        usleep (10 * 1000);
    ck_assert_int_ge (s_backoffs (backoffs, 8), count);
}

START_TEST (reconnect_backoff_doubles_then_starts_over)
{
    //  WELCOME with a short heartbeat, then silence: the worker reconnects
    //  after 250 ms. Not welcomed on the new connection, it tries again
    //  after 500 ms. Welcomed, then silent again: back to 250 ms.
    s_master_t master;
    s_worker_t worker;
    mf_hello_t first = s_start (&master, &worker, 1, FAST_HB);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);         //  a fresh socket, after 250 ms
    ck_assert_uint_eq (msg.u.hello.uid, first.uid);
    s_wait_backoffs (1);
    s_expect (&master, MF_MSG_HELLO, &msg);         //  unanswered: after 500 ms
    s_wait_backoffs (2);
    s_welcome (&master, FAST_HB, 1);
    s_expect (&master, MF_MSG_HELLO, &msg);         //  registered, silent: 250 ms
    s_wait_backoffs (3);
    int backoffs [8];
    ck_assert_int_eq (s_backoffs (backoffs, 8), 3);
    ck_assert_int_eq (backoffs [0], MF_WORKER_BACKOFF_MIN);
    ck_assert_int_eq (backoffs [1], 2 * MF_WORKER_BACKOFF_MIN);
    ck_assert_int_eq (backoffs [2], MF_WORKER_BACKOFF_MIN);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (tiles_beyond_the_credit_are_dropped)
{
    //  Credit 2: two heavy tiles fill it; five more TILEs are beyond it.
    s_master_t master;
    s_worker_t worker;
    mf_hello_t hello = s_start (&master, &worker, 1, SLOW_HB);
    ck_assert_uint_eq (hello.credit, 2);
    s_send_tile (&master, 1, 0, true);
    s_send_tile (&master, 1, 1, true);
    for (uint32_t id = 2; id < 7; id++)
        s_send_tile (&master, 2, id, false);
    //  Said once, and never computed, nor answered.
    ck_assert_int_eq (th_wait_for_text (s_log, "beyond the credit", WAIT_MS), 1);
    s_expect_quiet (&master);
    //  The two it took: cancelled, their credit comes back, no more.
    s_cancel (&master, 1);
    s_credit_back (&master, 2, true);
    s_expect_quiet (&master);
    //  Within the credit again, tiles are computed.
    s_send_tile (&master, 3, 7, false);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_RESULT, &msg);
    s_check_result (&msg);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    //  The count at exit.
    ck_assert_int_eq (th_wait_for_text (s_log, "(5 in all)", WAIT_MS), 1);
    s_master_stop (&master);
}
END_TEST

//  Limits this process's address space so that it can map `stacks` more
//  thread stacks of the default size (and half a stack for whatever
//  else), and no more: the next pthread_create fails.
static void
s_room_for_stacks (int stacks)
{
    pthread_attr_t attr;
    size_t stack;
    ck_assert_int_eq (pthread_getattr_default_np (&attr), 0);
    ck_assert_int_eq (pthread_attr_getstacksize (&attr, &stack), 0);
    pthread_attr_destroy (&attr);
    char line [256];
    long vm_kib = -1;
    FILE *file = fopen ("/proc/self/status", "r");
    ck_assert_ptr_nonnull (file);
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmSize:", 7) == 0)
            vm_kib = atol (line + 7);
    fclose (file);
    ck_assert_int_gt (vm_kib, 0);
    struct rlimit limit = { (rlim_t) vm_kib * 1024 + (rlim_t) stacks * stack + stack / 2,
                            RLIM_INFINITY };
    ck_assert_int_eq (setrlimit (RLIMIT_AS, &limit), 0);
}

START_TEST (credit_only_for_threads_that_run)
{
    //  Room for three more threads: the worker loop's and two compute
    //  threads. Of 4 compute threads asked for, 2 start; HELLO offers
    //  their credit only. (ZeroMQ's threads exist already: the master's
    //  context, and CZMQ's, started by a first socket.)
#if defined (__SANITIZE_ADDRESS__) || defined (__SANITIZE_THREAD__)
    //  Their shadow memory needs room the limit would not leave.
    th_skip ("RLIMIT_AS under a sanitizer");
    return;
#endif
    s_master_t master;
    s_master_start (&master);
    zsock_t *first = zsock_new (ZMQ_PULL);
    zsock_destroy (&first);
    s_room_for_stacks (3);
    s_worker_t worker;
    s_worker_start (&worker, master.endpoint, 4);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    s_welcome (&master, SLOW_HB, 1);
    ck_assert_uint_eq (msg.u.hello.threads, 2);
    ck_assert_uint_eq (msg.u.hello.credit, 3);
    ck_assert_int_eq (th_wait_for_text (s_log, "only 2 of 4 compute threads started",
                                        WAIT_MS), 1);
    ck_assert_int_eq (th_wait_for_text (s_log, "cannot start compute thread 3 of 4", 0), 1);
    for (uint32_t id = 0; id < 3; id++)
        s_send_tile (&master, 1, id, false);
    ck_assert_int_eq (s_credit_back (&master, 3, false), 3);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (no_thread_runs_no_worker)
{
    //  Only the result PULL fits: no thread starts; the loop says so and
    //  fails (mandelfarm-worker then exits with status 1), never offering
    //  credit.
    zsys_set_max_sockets (1);
    s_master_t master;
    s_master_start (&master);
    s_worker_t worker;
    s_worker_start (&worker, master.endpoint, 3);
    pthread_join (worker.thread, NULL);
    ck_assert_int_eq (worker.rc, -1);
    ck_assert_int_eq (th_wait_for_text (s_log, "cannot start any of 3 compute threads",
                                        WAIT_MS), 1);
    mf_msg_t msg;
    ck_assert_int_eq (s_recv (&master, &msg, QUIET_MS), 0);
    s_master_stop (&master);
}
END_TEST

//  VmRSS of pid in KiB, or -1.
static long
s_rss_kib (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    long rss = -1;
    while (fgets (line, sizeof line, file))
        if (strncmp (line, "VmRSS:", 6) == 0)
            rss = atol (line + 6);
    fclose (file);
    return rss;
}

START_TEST (a_flood_of_tiles_changes_nothing)
{
    //  The real worker, one thread (credit 2), and a master that sends
    //  FLOOD_TILES heavy TILEs without waiting for any credit: the first
    //  two are taken (and run until stopped), every other one dropped.
    s_master_t master;
    s_master_start (&master);
    char *log = th_path ("flood.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", master.endpoint,
                      "--threads", "1", "--name", "flooded", NULL };
    pid_t pid = th_spawn (argv, log);
    mf_msg_t msg;
    s_expect (&master, MF_MSG_HELLO, &msg);
    uint32_t credit = msg.u.hello.credit;
    ck_assert_uint_eq (credit, 2);
    s_welcome (&master, SLOW_HB, 1);
    //  Settled: a first round of tiles, computed.
    for (uint32_t id = 0; id < credit; id++)
        s_send_tile (&master, 1, id, false);
    s_credit_back (&master, credit, false);
    long before = s_rss_kib (pid);
    ck_assert_int_gt (before, 0);

    //  The flood. Non-blocking sends; when the pipe is full, wait until it
    //  drains, reading what the worker sends meanwhile (heartbeats only).
    uint8_t buf [MF_SIZE_TILE];
    int64_t deadline = mf_clock_ms () + FLOOD_MS;
    for (uint32_t sent = 0; sent < FLOOD_TILES && mf_clock_ms () < deadline; ) {
        mf_tile_msg_t tile = s_tile (2, sent, true);
        size_t size = mf_proto_encode_tile (buf, sizeof buf, &tile);
        if (zmq_send (master.router, master.peer, master.peer_size,
                      ZMQ_SNDMORE | ZMQ_DONTWAIT) == (int) master.peer_size) {
            ck_assert_int_eq (zmq_send (master.router, buf, size, 0), (int) size);
            sent++;
            continue;
        }
        ck_assert_int_eq (zmq_errno (), EAGAIN);
        zmq_pollitem_t item = { master.router, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0 };
        zmq_poll (&item, 1, 100);
        while (s_recv (&master, &msg, 0))
            ck_assert_int_eq (msg.type, MF_MSG_HEARTBEAT);
    }
    ck_assert_msg (mf_clock_ms () < deadline, "the flood took more than %d ms", FLOOD_MS);
    //  REGISTER comes after every TILE: its HELLO says they were all read.
    s_send_empty (&master, MF_MSG_REGISTER);
    s_expect (&master, MF_MSG_HELLO, &msg);
    long after = s_rss_kib (pid);
    printf ("a_flood_of_tiles_changes_nothing: %d TILEs, VmRSS %ld -> %ld KiB\n",
            FLOOD_TILES, before, after);
    ck_assert_msg (after - before < RSS_GROWTH_MAX, "VmRSS grew from %ld to %ld KiB",
                   before, after);
    //  The two heavy tiles it took were stopped by the new registration;
    //  what HELLO did not offer comes back as READY. Then it still
    //  computes what it asks for.
    s_welcome (&master, SLOW_HB, 1);
    s_credit_back (&master, credit - msg.u.hello.credit, true);
    for (uint32_t id = 0; id < credit; id++)
        s_send_tile (&master, 3, id, false);
    s_credit_back (&master, credit, false);
    //  It said so: once at once, and the count by its exit.
    kill (pid, SIGTERM);
    ck_assert_int_eq (th_wait (pid, WAIT_MS), 0);
    ck_assert_int_eq (th_wait_for_text (log, "beyond the credit we gave", 0), 1);
    char count [64];
    snprintf (count, sizeof count, "(%d in all)", FLOOD_TILES - 2);
    ck_assert_msg (th_wait_for_text (log, count, 0), "no '%s' in the log", count);
    s_master_stop (&master);
    free (log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("worker");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, hello_welcome_heartbeats);
    tcase_add_test (tc, no_master_no_wait_for_bye);
    tcase_add_test (tc, results_keep_the_credit);
    tcase_add_test (tc, short_tiles_deepen_the_credit);
    tcase_add_test (tc, short_tiles_deepen_less_over_tcp);
    tcase_add_test (tc, cancel_drops_queued_and_stops_in_hand);
    tcase_add_test (tc, a_new_session_forgets_cancelled_jobs);
    tcase_add_test (tc, register_brings_a_hello);
    tcase_add_test (tc, tiles_before_the_welcome_are_stale);
    tcase_add_test (tc, one_hello_answers_every_register);
    tcase_add_test (tc, an_unanswered_hello_is_sent_again);
    tcase_add_test (tc, reconnect_backoff_doubles_then_starts_over);
    tcase_add_test (tc, tiles_beyond_the_credit_are_dropped);
    tcase_add_test (tc, credit_only_for_threads_that_run);
    tcase_add_test (tc, no_thread_runs_no_worker);
    tcase_add_test (tc, a_flood_of_tiles_changes_nothing);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
