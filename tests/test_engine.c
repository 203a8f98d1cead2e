/*  The engine, in this process, driven by fake peers that speak the real
    protocol over loopback (bare DEALERs): what the tile callback says,
    the one grid, what a peer can make the master hold, that a worker with
    all the credit the protocol allows loses nothing, and that a listener
    full of idle connections keeps room for a worker.
*/
#include "helpers.h"
#include "engine.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define SETTLE_MS 10000                 //  msecs a step may take at most

//  A fake worker: a DEALER, the TILEs it was given.
typedef struct {
    void *socket;
    mf_tile_msg_t *tiles;               //  received, in order
    int tile_count;
    int tile_capacity;
    bool welcomed;
} s_fake_t;

static void
s_fake_open (s_fake_t *fake, void *context, const char *endpoint, uint64_t uid, uint32_t credit)
{
    memset (fake, 0, sizeof *fake);
    fake->socket = zmq_socket (context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (fake->socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake->socket, endpoint), 0);
    mf_hello_t hello = { .credit = credit, .threads = credit? credit: 1, .pid = 1, .uid = uid };
    snprintf (hello.host, sizeof hello.host, "fake-%llu", (unsigned long long) uid);
    snprintf (hello.kernel, sizeof hello.kernel, "scalar");
    uint8_t buf [MF_SIZE_HELLO];
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_int_eq (zmq_send (fake->socket, buf, size, 0), (int) size);
}

static void
s_fake_read (s_fake_t *fake)
{
    uint8_t buf [4096];
    int size;
    while ((size = zmq_recv (fake->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        mf_msg_t msg;
        if (mf_proto_decode (buf, (size_t) size, &msg, NULL))
            continue;
        if (msg.type == MF_MSG_WELCOME)
            fake->welcomed = true;
        else
        if (msg.type == MF_MSG_TILE) {
            if (fake->tile_count == fake->tile_capacity) {
                fake->tile_capacity = fake->tile_capacity? 2 * fake->tile_capacity: 64;
                fake->tiles = realloc (fake->tiles, (size_t) fake->tile_capacity
                                                    * sizeof *fake->tiles);
                ck_assert_ptr_nonnull (fake->tiles);
            }
            fake->tiles [fake->tile_count++] = msg.u.tile;
        }
    }
}

//  Computes and sends the result of the index-th tile it was given.
static void
s_fake_answer (s_fake_t *fake, int index)
{
    const mf_tile_msg_t *tile = &fake->tiles [index];
    const mf_rect_t *r = &tile->task.rect;
    size_t pixels = (size_t) r->w * r->h;
    float *mu = malloc (pixels * sizeof *mu);
    size_t size = mf_proto_result_size (r->w, r->h);
    uint8_t *buf = malloc (size);
    uint64_t iterations = mf_kernel_reference (&tile->task, mu, NULL);
    mf_result_t result = { tile->job, tile->tile, tile->lease, *r, 1, iterations, NULL,
                           MF_MU_F32, MF_ENCODING_RAW, 0, 0 };
    size_t head = mf_proto_encode_result_head (buf, MF_SIZE_RESULT_HEAD, &result);
    mf_le_put_f32s (buf + head, mu, pixels);
    ck_assert_int_eq (zmq_send (fake->socket, buf, size, 0), (int) size);
    free (buf);
    free (mu);
}

static void
s_fake_close (s_fake_t *fake)
{
    zmq_close (fake->socket);
    free (fake->tiles);
}

//  What the tile callback reported.
typedef struct {
    uint32_t job [64];
    uint32_t tile [64];
    mf_rect_t rect [64];
    uint64_t worker [64];
    float first [64];                   //  the tile's first pixel
    int count;
} s_seen_t;

static void
s_on_tile (void *arg, uint32_t job, uint32_t tile, const mf_rect_t *rect, const void *values,
           size_t stride, uint64_t worker)
{
    s_seen_t *seen = arg;
    const float *mu = values;           //  shallow jobs: floats
    ck_assert_int_lt (seen->count, 64);
    seen->job [seen->count] = job;
    seen->tile [seen->count] = tile;
    seen->rect [seen->count] = *rect;
    seen->worker [seen->count] = worker;
    seen->first [seen->count] = mu [0];
    seen->count++;
    (void) stride;
}

static mf_engine_t *
s_engine (char *endpoint, size_t size, uint32_t max_connections)
{
    mf_engine_opts_t opts = { .listen_endpoint = "tcp://127.0.0.1:*", .max_tile_edge = 16,
                              .max_connections = max_connections };
    char err [256];
    mf_engine_t *engine = mf_engine_new (&opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, size), 0);
    return engine;
}

static mf_job_spec_t
s_spec (uint32_t verify_percent)
{
    //  8 tiles of 16 x 16.
    mf_job_spec_t spec = { .view = { -0.7436, 0.1318, 0.02, 64, 32 }, .maxiter = 200,
                           .tile_edge = 16, .verify_percent = verify_percent };
    return spec;
}

START_TEST (tile_callback_names_tile_and_worker)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint, 0);
    s_seen_t seen = { .count = 0 };
    mf_engine_on_tile (engine, s_on_tile, &seen);
    mf_job_spec_t spec = s_spec (0);
    float *image = calloc (64 * 32, sizeof *image);
    uint32_t job = mf_engine_submit (engine, &spec, image);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 77, 8);
    uint32_t done = 0, total = 0;
    int answered = 0;
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while (mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        while (answered < fake.tile_count)
            s_fake_answer (&fake, answered++);
        mf_engine_progress (engine, job, &done, &total);
        if (total && done == total)
            break;
    }
    ck_assert_uint_eq (done, 8);
    ck_assert_int_eq (seen.count, 8);
    //  The tile id is the grid's, the one the engine's job has; the worker
    //  is its uid; the pixels are in the image at the tile's place.
    const mf_tiles_t *tiles = mf_engine_job_tiles (engine, job);
    ck_assert_ptr_nonnull (tiles);
    uint8_t once [8] = { 0 };
    for (int index = 0; index < seen.count; index++) {
        mf_rect_t want = mf_tiles_rect (tiles, seen.tile [index]);
        ck_assert (seen.rect [index].x == want.x && seen.rect [index].y == want.y
                   && seen.rect [index].w == want.w && seen.rect [index].h == want.h);
        ck_assert_uint_eq (seen.job [index], job);
        ck_assert_uint_eq (seen.worker [index], 77);
        ck_assert (!once [seen.tile [index]]++);
        ck_assert (seen.first [index] == image [want.y * 64 + want.x]);
    }
    //  Verified by two: no single worker's.
    s_fake_t other;
    s_fake_open (&other, context, endpoint, 78, 8);
    mf_job_spec_t checked = s_spec (100);
    uint32_t second = mf_engine_submit (engine, &checked, NULL);
    seen.count = 0;
    int other_answered = 0;
    deadline = mf_clock_ms () + SETTLE_MS;
    while (mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        s_fake_read (&other);
        while (answered < fake.tile_count)
            s_fake_answer (&fake, answered++);
        while (other_answered < other.tile_count)
            s_fake_answer (&other, other_answered++);
        mf_engine_progress (engine, second, &done, &total);
        if (total && done == total)
            break;
    }
    ck_assert_uint_eq (done, 8);
    ck_assert_int_eq (seen.count, 8);
    for (int index = 0; index < seen.count; index++)
        ck_assert_uint_eq (seen.worker [index], 0);
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.verified, 8);
    ck_assert_uint_eq (stats.local, 0);
    //  Every worker seen is listed, then the list ends.
    ck_assert_str_eq (mf_engine_worker (engine, 0)->name, "fake-77:1");
    ck_assert_str_eq (mf_engine_worker (engine, 1)->name, "fake-78:1");
    ck_assert_ptr_null (mf_engine_worker (engine, 2));
    //  A released job's grid is gone with it.
    mf_engine_release (engine, job);
    ck_assert_ptr_null (mf_engine_job_tiles (engine, job));
    s_fake_close (&fake);
    s_fake_close (&other);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_engine_destroy (&engine);
    free (image);
}
END_TEST

START_TEST (one_grid_from_the_caller)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint, 0);
    mf_job_spec_t spec = s_spec (0);
    mf_tiles_t *tiles = mf_tiles_new (64, 32, 16);
    const mf_tiles_t *made = tiles;
    uint32_t job = mf_engine_submit_grid (engine, &spec, &tiles, NULL);
    ck_assert_uint_ne (job, 0);
    ck_assert_ptr_null (tiles);
    ck_assert_ptr_eq (mf_engine_job_tiles (engine, job), made);
    ck_assert_ptr_null (mf_engine_job_tiles (engine, job + 1));
    mf_engine_destroy (&engine);
}
END_TEST

//  Resident memory of this process, bytes.
static long long
s_rss (void)
{
    FILE *file = fopen ("/proc/self/status", "r");
    ck_assert_ptr_nonnull (file);
    char line [256];
    long long kib = -1;
    while (fgets (line, sizeof line, file))
        if (sscanf (line, "VmRSS: %lld kB", &kib) == 1)
            break;
    fclose (file);
    ck_assert_int_ge (kib, 0);
    return kib * 1024;
}

START_TEST (receive_queue_bounded)
{
    //  A peer that never registers sends 64 frames as big as a result of
    //  the largest tile (4 MiB) while the engine is busy elsewhere. What
    //  the master holds for it is what libzmq queues on that connection:
    //  at 64 messages a connection that was 256 MiB; now it is at most
    //  (RCVHWM + 1) x 4 MiB, 36 MiB. The sender is another process, so
    //  its own send queue does not count here.
    int pipes [2][2];
    ck_assert_int_eq (pipe (pipes [0]), 0);
    ck_assert_int_eq (pipe (pipes [1]), 0);
    size_t size = mf_proto_result_size (MF_TILE_MAX_EDGE, MF_TILE_MAX_EDGE);
    pid_t child = fork ();
    ck_assert_int_ge (child, 0);
    if (child == 0) {
        //  Before this process touches ZeroMQ: its own context.
        char endpoint [64] = "";
        ssize_t got = read (pipes [0][0], endpoint, sizeof endpoint - 1);
        void *context = zmq_ctx_new ();
        void *dealer = zmq_socket (context, ZMQ_DEALER);
        if (got <= 0 || zmq_connect (dealer, endpoint))
            _exit (1);
        uint8_t *frame = calloc (1, size);
        memcpy (frame, "MF\x01\x05", 4);
        for (int index = 0; index < 64; index++)
            if (zmq_send (dealer, frame, size, 0) != (int) size)
                _exit (1);
        ssize_t rc = write (pipes [1][1], "s", 1);
        (void) rc;
        pause ();
        _exit (0);
    }
    char endpoint [64];
    mf_engine_opts_t opts = { .listen_endpoint = "tcp://127.0.0.1:*" };
    char err [256];
    mf_engine_t *engine = mf_engine_new (&opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    long long before = s_rss ();
    ck_assert_int_eq (write (pipes [0][1], endpoint, strlen (endpoint)), (ssize_t) strlen (endpoint));
    char sent;
    ck_assert_int_eq (read (pipes [1][0], &sent, 1), 1);
    //  libzmq's own thread fills the queue; wait until it stops growing.
    long long last = 0, now = s_rss ();
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    for (int stable = 0; stable < 10 && mf_clock_ms () < deadline; ) {
        usleep (100 * 1000);
        last = now;
        now = s_rss ();
        stable = now - last < 1024 * 1024? stable + 1: 0;
    }
    long long held = now - before;
    kill (child, SIGKILL);
    waitpid (child, NULL, 0);
    mf_engine_destroy (&engine);
    for (int index = 0; index < 4; index++)
        close (pipes [index / 2][index % 2]);
    ck_assert_msg (held < 48LL * 1024 * 1024, "one peer made the master hold %lld MiB",
                   held / 1024 / 1024);
    //  And the peer did make it hold something: the measure sees queues.
    ck_assert_msg (held > 8LL * 1024 * 1024, "the master held only %lld KiB: nothing measured?",
                   held / 1024);
}
END_TEST

START_TEST (full_credit_loses_nothing)
{
    //  A worker with all the credit a HELLO may ask for gets 1024 tiles
    //  at once and sends every result back to back: the small receive
    //  queue only paces it; every result is taken, none twice.
    char endpoint [64];
    mf_engine_opts_t opts = { .listen_endpoint = "tcp://127.0.0.1:*", .max_tile_edge = 8 };
    char err [256];
    mf_engine_t *engine = mf_engine_new (&opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    mf_job_spec_t spec = { .view = { -0.75, 0.0, 3.0, 256, 256 }, .maxiter = 50, .tile_edge = 8 };
    uint32_t job = mf_engine_submit (engine, &spec, NULL);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 99, MF_PROTO_MAX_CREDIT);
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while (fake.tile_count < 1024 && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
    }
    ck_assert_int_eq (fake.tile_count, 1024);
    for (int index = 0; index < 1024; index++)
        s_fake_answer (&fake, index);
    uint32_t done = 0, total = 0;
    deadline = mf_clock_ms () + SETTLE_MS;
    while ((!total || done < total) && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        mf_engine_progress (engine, job, &done, &total);
    }
    ck_assert_uint_eq (total, 1024);
    ck_assert_uint_eq (done, 1024);
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.tiles, 1024);
    ck_assert_uint_eq (stats.rejected + stats.duplicates + stats.late + stats.evicted, 0);
    s_fake_close (&fake);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
}
END_TEST

//  Connections the listener on port holds in this process now: sockets
//  whose own end is that port and that have a peer.
static int
s_held (int port)
{
    int count = 0;
    for (int fd = 0; fd < 4096; fd++) {
        struct sockaddr_in local, remote;
        socklen_t local_size = sizeof local, remote_size = sizeof remote;
        if (getsockname (fd, (struct sockaddr *) &local, &local_size) == 0
        &&  local.sin_family == AF_INET && ntohs (local.sin_port) == port
        &&  getpeername (fd, (struct sockaddr *) &remote, &remote_size) == 0)
            count++;
    }
    return count;
}

START_TEST (full_listener_keeps_room_for_a_worker)
{
    //  A listener that holds 10 connections; 40 peers connect and say
    //  nothing (they come back only after 10 s). The listener closes all
    //  but 10 of them at once, not after its idle timeout; a worker then
    //  still registers: the oldest idle connection makes room for it.
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint, 10);
    int port = atoi (strrchr (endpoint, ':') + 1);
    void *context = zmq_ctx_new ();
    enum { IDLE = 40 };
    void *idle [IDLE];
    for (int index = 0; index < IDLE; index++) {
        idle [index] = zmq_socket (context, ZMQ_DEALER);
        int linger = 0, reconnect = 10000;
        zmq_setsockopt (idle [index], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt (idle [index], ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
        ck_assert_int_eq (zmq_connect (idle [index], endpoint), 0);
    }
    mf_engine_stats_t stats;
    int64_t deadline = mf_clock_ms () + 5000;
    do {
        mf_engine_poll (engine, 10, NULL);
        mf_engine_stats (engine, &stats);
    } while (stats.dropped < IDLE - 10 && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.dropped, IDLE - 10);
    //  libzmq closes what was shut down on its own thread: give it a moment.
    deadline = mf_clock_ms () + 2000;
    while (s_held (port) > 10 && mf_clock_ms () < deadline)
        mf_engine_poll (engine, 10, NULL);
    ck_assert_int_eq (s_held (port), 10);
    s_fake_t worker;
    s_fake_open (&worker, context, endpoint, 5, 1);
    deadline = mf_clock_ms () + SETTLE_MS;
    while (!worker.welcomed && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&worker);
    }
    ck_assert (worker.welcomed);
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.workers, 1);
    ck_assert_uint_eq (stats.dropped, IDLE - 10 + 1);
    //  More idle peers push out older idle ones, never the worker, even
    //  once it is the oldest connection: it said HELLO. (Were it closed,
    //  the next heartbeat to it, within a second, would evict it.)
    enum { MORE = 12 };
    void *more [MORE];
    for (int index = 0; index < MORE; index++) {
        more [index] = zmq_socket (context, ZMQ_DEALER);
        int linger = 0, reconnect = 10000;
        zmq_setsockopt (more [index], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt (more [index], ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
        ck_assert_int_eq (zmq_connect (more [index], endpoint), 0);
    }
    deadline = mf_clock_ms () + 1500;
    while (mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&worker);
    }
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.dropped, IDLE - 10 + 1 + MORE);
    ck_assert_uint_eq (stats.evicted, 0);
    ck_assert_uint_eq (stats.workers, 1);
    s_fake_close (&worker);
    for (int index = 0; index < MORE; index++)
        zmq_close (more [index]);
    for (int index = 0; index < IDLE; index++)
        zmq_close (idle [index]);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
}
END_TEST

int
main (void)
{
    //  The engine warns about what these tests do on purpose.
    mf_log_level = MF_LOG_ERROR;
    Suite *suite = suite_create ("engine");
    TCase *tc = tcase_create ("engine");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, tile_callback_names_tile_and_worker);
    tcase_add_test (tc, one_grid_from_the_caller);
    tcase_add_test (tc, receive_queue_bounded);
    tcase_add_test (tc, full_credit_loses_nothing);
    tcase_add_test (tc, full_listener_keeps_room_for_a_worker);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
