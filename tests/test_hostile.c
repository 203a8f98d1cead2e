/*  Hostile input: a fake worker speaks the real protocol to a real engine
    (in this process, so every counter can be checked exactly). It
    registers, takes real leases, and answers with garbage, truncated,
    oversized and multi-frame messages, a wrong protocol version, results
    for tiles it was not given, results of the wrong rectangle, mu values
    that cannot occur, duplicates and late results. Meanwhile a real
    mandelfarm-worker process computes: the render completes, and its PNG
    and .npy are byte-identical to a `-j 1` render. A half-sent handshake
    is closed by ZMQ_HANDSHAKE_IVL. A host name of control bytes, quotes
    and bytes above ASCII stays printable, and --stats writes it as valid
    JSON. Loopback only; the one process started is ended by its pid.
*/
#include "helpers.h"
#include "mf_util.h"
#include "engine.h"
#include "options.h"
#include "render.h"
#include "report.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_output.h"
#include "mf_proto.h"

#include <arpa/inet.h>
#include <check.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define RENDER_MS 60000                 //  msecs the render may take at most
#define SETTLE_MS 5000                  //  msecs for the engine to handle what was sent
#define HANDSHAKE_MS 5000               //  the master's ZMQ_HANDSHAKE_IVL
#define FAKE_CREDIT 8                   //  tiles the fake worker asks for
#define FAKE_TILES_MAX 256              //  leases it may receive in all
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500", "--tile", "32"

//  The fake worker: a bare libzmq DEALER and the leases it was given.
typedef struct {
    void *socket;
    mf_tile_msg_t tiles [FAKE_TILES_MAX];
    int tile_count;
    bool welcomed;
} s_fake_t;

static void
s_send (s_fake_t *fake, const void *data, size_t size)
{
    ck_assert_int_eq (zmq_send (fake->socket, data, size, 0), (int) size);
}

//  Reads what the master sent: WELCOME, TILEs (kept), HEARTBEATs.
static void
s_fake_read (s_fake_t *fake)
{
    uint8_t buf [4096];
    int size;
    while ((size = zmq_recv (fake->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        mf_msg_t msg;
        ck_assert_int_eq (mf_proto_decode (buf, (size_t) size, &msg, NULL), 0);
        if (msg.type == MF_MSG_WELCOME)
            fake->welcomed = true;
        else
        if (msg.type == MF_MSG_TILE) {
            //  Each result it sends gives a credit back, so leases keep
            //  coming while it misbehaves; only the first ones are used.
            ck_assert_int_lt (fake->tile_count, FAKE_TILES_MAX);
            fake->tiles [fake->tile_count++] = msg.u.tile;
        }
    }
}

//  A RESULT for tile with the given rectangle and mu; returns its size.
static size_t
s_result (uint8_t *buf, const mf_tile_msg_t *tile, uint32_t lease, uint32_t tile_id,
          const mf_rect_t *rect, const float *mu)
{
    mf_result_t result = { tile->job, tile_id, lease, *rect, 1, 1, NULL, MF_MU_F32,
                           MF_ENCODING_RAW, 0, 0 };
    size_t head = mf_proto_encode_result_head (buf, MF_SIZE_RESULT_HEAD, &result);
    mf_le_put_f32s (buf + head, mu, (size_t) rect->w * rect->h);
    return mf_proto_result_size (rect->w, rect->h);
}

//  Polls the engine until its counters reach the expected ones, or the
//  time is up.
static void
s_settle (mf_engine_t *engine, s_fake_t *fake, uint64_t rejected, uint64_t duplicates,
          uint64_t late)
{
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    mf_engine_stats_t stats;
    do {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (fake);
        mf_engine_stats (engine, &stats);
    } while ((stats.rejected < rejected || stats.duplicates < duplicates || stats.late < late)
             && mf_clock_ms () < deadline);
}

//  A TCP client that sends the first 10 bytes of a ZMTP greeting and
//  then nothing: the master must close it after its handshake interval.
static int
s_stalled_handshake (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    ck_assert_int_eq (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    static const uint8_t signature [10] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f };
    ck_assert_int_eq (write (fd, signature, sizeof signature), (ssize_t) sizeof signature);
    return fd;
}

//  Whether the peer closed fd before deadline (msecs, monotonic).
static bool
s_closed_by (int fd, int64_t deadline)
{
    uint8_t buf [256];
    while (mf_clock_ms () < deadline) {
        struct pollfd item = { fd, POLLIN, 0 };
        if (poll (&item, 1, 50) <= 0)
            continue;
        ssize_t got = read (fd, buf, sizeof buf);
        if (got <= 0)
            return true;            //  EOF or reset: the master hung up
    }
    return false;
}

START_TEST (hostile_peer_changes_nothing)
{
    //  The reference: the real master with one local worker.
    char ref_png [600], ref_npy [600], png [600], npy [600];
    snprintf (ref_png, sizeof ref_png, "%s/ref.png", th_dir);
    snprintf (ref_npy, sizeof ref_npy, "%s/ref.npy", th_dir);
    snprintf (png, sizeof png, "%s/hostile.png", th_dir);
    snprintf (npy, sizeof npy, "%s/hostile.npy", th_dir);
    char *ref_argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "--quiet", "-j", "1",
                          "-o", ref_png, "--raw", ref_npy, NULL };
    ck_assert_int_eq (th_run (ref_argv, RENDER_MS, NULL, 0), 0);

    //  The same view, parsed the same way, rendered by an engine here.
    char *view_argv [] = { "mandelfarm-master", VIEW, NULL };
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (mf_options_parse (11, view_argv, &opts, err, sizeof err), 0);
    mf_engine_opts_t engine_opts = { .listen_endpoint = "tcp://127.0.0.1:*",
                                     .max_tile_edge = opts.tile };
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    char endpoint [64];
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    int port = th_endpoint_port (endpoint);
    ck_assert_int_gt (port, 0);
    size_t pixels = (size_t) opts.view.pixel_w * opts.view.pixel_h;
    float *mu = calloc (pixels, sizeof (float));
    mf_job_spec_t spec = { .view = opts.view, .maxiter = opts.maxiter, .tile_edge = opts.tile };
    uint32_t job = mf_engine_submit (engine, &spec, mu);
    ck_assert_uint_ne (job, 0);
    int stalled = s_stalled_handshake (port);
    int64_t stalled_at = mf_clock_ms ();

    //  The fake worker registers and takes FAKE_CREDIT real leases.
    void *context = zmq_ctx_new ();
    s_fake_t fake = { .socket = zmq_socket (context, ZMQ_DEALER) };
    int linger = 0;
    zmq_setsockopt (fake.socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake.socket, endpoint), 0);
    uint8_t buf [MF_SIZE_RESULT_HEAD + 4 * 64 * 64 + 8];
    mf_hello_t hello = { .credit = FAKE_CREDIT, .threads = FAKE_CREDIT - 1, .pid = 1, .uid = 42 };
    strcpy (hello.host, "hostile");
    strcpy (hello.kernel, "scalar");
    s_send (&fake, buf, mf_proto_encode_hello (buf, sizeof buf, &hello));
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while ((!fake.welcomed || fake.tile_count < FAKE_CREDIT) && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
    }
    ck_assert (fake.welcomed);
    ck_assert_int_ge (fake.tile_count, FAKE_CREDIT);
    const mf_tile_msg_t *t = fake.tiles;
    ck_assert_uint_ge (t [0].task.rect.w, 2);

    //  Malformed: each one decoded and dropped as such.
    uint64_t rejected = 0;
    uint8_t junk [64];
    for (int index = 0; index < 64; index++)
        junk [index] = (uint8_t) (index * 37 + 11);
    s_send (&fake, junk, sizeof junk);                          //  no magic
    s_send (&fake, "MF", 2);                                    //  shorter than a header
    s_send (&fake, "", 0);                                      //  empty
    size_t size = mf_proto_encode_ready (buf, sizeof buf, 1);
    buf [2] = 1;
    s_send (&fake, buf, size);                                  //  protocol version 1
    buf [2] = MF_PROTO_VERSION;
    buf [3] = 42;
    s_send (&fake, buf, size);                                  //  no such type
    size = mf_proto_encode_ready (buf, sizeof buf, 0);
    s_send (&fake, buf, size);                                  //  READY without credit
    mf_hello_t bad_hello = hello;
    bad_hello.threads = 0;
    size = mf_proto_encode_hello (buf, sizeof buf, &bad_hello);
    s_send (&fake, buf, size);                                  //  HELLO with no thread
    s_send (&fake, buf, size - 1);                              //  truncated HELLO
    size = mf_proto_encode_tile (buf, sizeof buf, &t [0]);
    s_send (&fake, buf, size);                                  //  a master's message
    rejected += 9;
    //  Results that do not decode: truncated, too long, impossible size.
    uint32_t maxiter = t [0].task.maxiter;
    const mf_rect_t *r0 = &t [0].task.rect;
    float *tile_mu = calloc ((size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE, sizeof (float));
    size = s_result (buf, &t [0], t [0].lease, t [0].tile, r0, tile_mu);
    s_send (&fake, buf, size / 2);
    s_send (&fake, buf, MF_SIZE_RESULT_HEAD - 1);
    buf [size] = 0;
    s_send (&fake, buf, size + 1);
    mf_rect_t empty = { r0->x, r0->y, 0, 0 };
    s_send (&fake, buf, s_result (buf, &t [0], t [0].lease, t [0].tile, &empty, tile_mu));
    rejected += 4;
    //  More than one frame.
    ck_assert_int_eq (zmq_send (fake.socket, "MF\x01\x06", 4, ZMQ_SNDMORE), 4);
    ck_assert_int_eq (zmq_send (fake.socket, "MF\x01\x06", 4, 0), 4);
    rejected += 1;
    //  Results for tiles it was not given: another of its leases with the
    //  wrong tile id, a lease never issued, and a job that does not exist.
    s_send (&fake, buf, s_result (buf, &t [1], t [1].lease, t [0].tile, &t [1].task.rect, tile_mu));
    s_send (&fake, buf, s_result (buf, &t [1], 0x7fffffff, t [1].tile, &t [1].task.rect, tile_mu));
    mf_tile_msg_t other_job = t [1];
    other_job.job = job + 7;
    s_send (&fake, buf, s_result (buf, &other_job, t [1].lease, t [1].tile, &t [1].task.rect,
                                  tile_mu));
    rejected += 3;
    //  Its own lease, the wrong rectangle (same size, one pixel off): the
    //  lease is revoked.
    mf_rect_t shifted = t [1].task.rect;
    shifted.x = shifted.x? shifted.x - 1: shifted.x + 1;
    s_send (&fake, buf, s_result (buf, &t [1], t [1].lease, t [1].tile, &shifted, tile_mu));
    rejected += 1;
    //  mu that cannot occur: NaN, above maxiter, infinite, between -1 and 0.
    const float impossible [] = { NAN, (float) maxiter + 1.0f, INFINITY, -0.5f };
    for (int index = 0; index < 4; index++) {
        const mf_tile_msg_t *tile = &t [2 + index];
        size_t count = (size_t) tile->task.rect.w * tile->task.rect.h;
        for (size_t pixel = 0; pixel < count; pixel++)
            tile_mu [pixel] = -1.0f;
        tile_mu [count / 2] = impossible [index];
        s_send (&fake, buf, s_result (buf, tile, tile->lease, tile->tile, &tile->task.rect,
                                      tile_mu));
    }
    rejected += 4;
    //  A correct result, twice: the second is a duplicate.
    mf_kernel_reference (&t [6].task, tile_mu, NULL);
    size = s_result (buf, &t [6], t [6].lease, t [6].tile, &t [6].task.rect, tile_mu);
    s_send (&fake, buf, size);
    s_send (&fake, buf, size);
    //  A correct result on the lease revoked for NaN: late.
    mf_kernel_reference (&t [2].task, tile_mu, NULL);
    s_send (&fake, buf, s_result (buf, &t [2], t [2].lease, t [2].tile, &t [2].task.rect,
                                  tile_mu));
    //  An oversized frame on another connection: libzmq's ZMQ_MAXMSGSIZE
    //  hangs up on it before the engine sees a byte.
    void *big = zmq_socket (context, ZMQ_DEALER);
    zmq_setsockopt (big, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_socket_monitor (big, "inproc://big-monitor", ZMQ_EVENT_DISCONNECTED), 0);
    void *monitor = zmq_socket (context, ZMQ_PAIR);
    ck_assert_int_eq (zmq_connect (monitor, "inproc://big-monitor"), 0);
    ck_assert_int_eq (zmq_connect (big, endpoint), 0);
    //  Twice a whole result of the job's tile edge: far beyond the limit.
    size_t huge = 2 * mf_proto_result_size (opts.tile, opts.tile) + 4096;
    uint8_t *oversized = calloc (huge, 1);
    memcpy (oversized, "MF\x01\x05", 4);
    ck_assert_int_eq (zmq_send (big, oversized, huge, 0), (int) huge);
    free (oversized);

    s_settle (engine, &fake, rejected, 1, 1);
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.rejected, rejected);
    ck_assert_uint_eq (stats.duplicates, 1);
    ck_assert_uint_eq (stats.late, 1);
    ck_assert_uint_eq (stats.tiles, 1);
    ck_assert_uint_eq (stats.workers, 1);           //  still registered: it was only dropped
    //  The oversized sender was disconnected.
    zmq_pollitem_t item = { monitor, 0, ZMQ_POLLIN, 0 };
    deadline = mf_clock_ms () + SETTLE_MS;
    bool hung_up = false;
    while (!hung_up && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        hung_up = zmq_poll (&item, 1, 0) == 1;
    }
    ck_assert_msg (hung_up, "the master kept a connection that sent an oversized frame");
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.rejected, rejected);

    //  A real worker joins; the fake keeps sending junk and forged results
    //  (and heartbeats) all along, and never returns its last tiles.
    char *worker_argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", endpoint,
                             "--threads", "2", "--quiet", NULL };
    pid_t worker = th_spawn (worker_argv, NULL);
    uint32_t done = 0, total = 1;
    int64_t next_attack = 0;
    deadline = mf_clock_ms () + RENDER_MS;
    while (mf_clock_ms () < deadline) {
        mf_engine_progress (engine, job, &done, &total);
        if (done == total)
            break;
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        if (mf_clock_ms () >= next_attack) {
            s_send (&fake, junk, 1 + (size_t) (rejected % 60));
            s_send (&fake, buf, s_result (buf, &t [7], 0x7ffffffe, t [7].tile,
                                          &t [7].task.rect, tile_mu));
            s_send (&fake, "MF\x02\x06", 4);        //  heartbeat: it stays registered
            rejected += 2;
            next_attack = mf_clock_ms () + 20;
        }
    }
    ck_assert_msg (done == total, "the render did not finish: %u of %u tiles", done, total);
    s_settle (engine, &fake, rejected, 1, 1);
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.rejected, rejected);
    ck_assert_uint_eq (stats.tiles, total);
    ck_assert_uint_eq (stats.pixels, pixels);
    ck_assert_uint_eq (stats.duplicates, 1);

    //  The image, written as the master writes it: the same bytes.
    char center [80], span [32];
    mf_output_view_text (&opts.view, center, sizeof center, span, sizeof span);
    mf_output_spec_t out = {
        .format = MF_OUTPUT_NPY, .width = opts.view.pixel_w, .height = opts.view.pixel_h,
        .center = center, .span = span, .maxiter = opts.maxiter, .palette = opts.palette,
        .threads = 2
    };
    ck_assert_int_eq (mf_output_write (npy, &out, mu, err, sizeof err), 0);
    out.format = MF_OUTPUT_PNG;
    ck_assert_int_eq (mf_output_write (png, &out, mu, err, sizeof err), 0);
    ck_assert_msg (th_same_file (npy, ref_npy), ".npy differs from the -j 1 render");
    ck_assert_msg (th_same_file (png, ref_png), "PNG differs from the -j 1 render");

    //  The half-sent handshake is closed once its interval has passed.
    ck_assert_msg (s_closed_by (stalled, stalled_at + HANDSHAKE_MS + 3000),
                   "a stalled handshake stayed open");
    ck_assert_int_ge (mf_clock_ms () - stalled_at, HANDSHAKE_MS - 500);

    kill (worker, SIGTERM);
    if (th_wait (worker, 5000) < 0)
        th_kill (worker);
    close (stalled);
    zmq_close (monitor);
    zmq_close (big);
    zmq_close (fake.socket);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    free (tile_mu);
    free (mu);
}
END_TEST

//  Whether text from offset on, up to its first unescaped '"', is a
//  JSON string body with no raw control byte and nothing outside ASCII.
//  Returns the byte after its closing quote, or NULL.
static const char *
s_json_string_end (const char *text)
{
    for (; *text; text++) {
        unsigned char c = (unsigned char) *text;
        if (c < 0x20 || c > 0x7e)
            return NULL;
        if (c == '\\') {
            text++;
            if (!strchr ("\"\\/bfnrtu", *text))
                return NULL;
        }
        else
        if (c == '"')
            return text + 1;
    }
    return NULL;
}

START_TEST (hostile_names_stay_printable)
{
    //  A HELLO whose host field is full (no NUL) of control bytes, quotes,
    //  backslashes and bytes above ASCII: the master keeps it printable
    //  (the name a summary line and a log line show), and --stats writes
    //  it as a valid JSON string that ends where it should.
    mf_engine_opts_t engine_opts = { .listen_endpoint = "tcp://127.0.0.1:*" };
    char err [512];
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    char endpoint [64];
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    void *context = zmq_ctx_new ();
    s_fake_t fake = { .socket = zmq_socket (context, ZMQ_DEALER) };
    int linger = 0;
    zmq_setsockopt (fake.socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake.socket, endpoint), 0);
    mf_hello_t hello = { .credit = 1, .threads = 1, .pid = 7, .uid = 43 };
    strcpy (hello.kernel, "scalar");
    uint8_t buf [MF_SIZE_HELLO];
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_uint_eq (size, MF_SIZE_HELLO);
    const char evil [] = "\"},\n\x1b[2J\\u0000\r\t\x7f\xff\xc3\xa9\"]}";
    for (size_t index = 0; index < MF_PROTO_HOST_LEN; index++)
        buf [48 + index] = (uint8_t) evil [index % (sizeof evil - 1)];
    s_send (&fake, buf, size);
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while (!fake.welcomed && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
    }
    ck_assert (fake.welcomed);
    const mf_worker_info_t *info = mf_engine_worker (engine, 0);
    ck_assert_ptr_nonnull (info);
    ck_assert_ptr_null (mf_engine_worker (engine, 1));
    ck_assert_uint_eq (strlen (info->host), MF_PROTO_HOST_LEN);
    for (size_t index = 0; info->host [index]; index++)
        ck_assert_msg (info->host [index] >= 0x20 && info->host [index] <= 0x7e,
                       "byte %zu of the host is %#x", index, (unsigned char) info->host [index]);
    ck_assert (strncmp (info->name, info->host, strlen (info->host)) == 0);
    ck_assert_str_eq (info->name + strlen (info->host), ":7");
    ck_assert_uint_eq (info->pid, 7);
    ck_assert_uint_eq (info->uid, 43);

    char *json = NULL;
    size_t json_size = 0;
    FILE *f = open_memstream (&json, &json_size);
    ck_assert_ptr_nonnull (f);
    mf_report_json (f, engine, 1.0);
    fclose (f);
    const char *keys [] = { "\"name\": \"", "\"host\": \"", "\"kernel\": \"" };
    for (int index = 0; index < 3; index++) {
        const char *at = strstr (json, keys [index]);
        ck_assert_msg (at, "no %s in %s", keys [index], json);
        const char *end = s_json_string_end (at + strlen (keys [index]));
        ck_assert_msg (end && strncmp (end, ", \"", 3) == 0, "%s is not one JSON string: %s",
                       keys [index], json);
    }
    ck_assert_ptr_nonnull (strstr (json, "\"pid\": 7, "));
    ck_assert_ptr_nonnull (strstr (json, "\"share_percent\": 0.000, "));
    free (json);
    zmq_close (fake.socket);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
}
END_TEST

int
main (void)
{
    //  The engine logs the first rejects; the test counts them all.
    mf_log_level = MF_LOG_ERROR;
    Suite *suite = suite_create ("hostile");
    TCase *tc = tcase_create ("peer");
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, hostile_peer_changes_nothing);
    tcase_add_test (tc, hostile_names_stay_printable);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
