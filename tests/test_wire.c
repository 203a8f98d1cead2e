/*  The lean wire, end to end. Two real mandelfarm-workers render the
    default view (1920 x 1080) for a -j 0 master over tcp://127.0.0.1:
    by default their results travel compressed, at no more than 1.5
    bytes a pixel by the master's bytes_in (--stats), and the PNG is
    byte-identical to a -j 1 render; with MF_WIRE_ENCODING=raw, 4 bytes
    a pixel and the same PNG; a value MF_WIRE_ENCODING does not know
    stops the worker with one line. Then a fake worker sends compressed
    RESULTs to a real engine (in this process, so the counters can be
    checked exactly): a payload that is no frame, the frame of another
    tile, a frame of impossible mu are each rejected and their leases
    revoked; a good one is accepted. Loopback only; every process
    started is ended by its pid.
*/
#include "helpers.h"
#include "engine.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_rcodec.h"
#include "mf_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define RENDER_MS 60000                 //  msecs a render may take at most
#define SETTLE_MS 5000                  //  msecs for the engine to handle what was sent
#define LISTEN_MS 10000                 //  msecs for a master to say where it listens
#define FAKE_CREDIT 6                   //  tiles the fake worker asks for
#define VIEW_PIXELS (1920.0 * 1080.0)   //  the default view's

//  Renders the default view with a -j 0 master and two workers whose
//  environment says encoding (NULL: nothing); returns bytes_in a pixel.
static double
s_render (const char *encoding, const char *png, const char *ref_png)
{
    char *log = th_path ("master.log"), *stats = th_path ("stats.json");
    remove (log);
    char *master_argv [] = { (char *) th_bin ("mandelfarm-master"), "-j", "0", "--listen",
                             "tcp://127.0.0.1:*", "--stats", stats, "-o", (char *) png, NULL };
    pid_t master = th_spawn (master_argv, log);
    char endpoint [128];
    ck_assert_int_eq (th_master_endpoint (log, LISTEN_MS, endpoint, sizeof endpoint), 0);
    if (encoding)
        setenv ("MF_WIRE_ENCODING", encoding, 1);
    pid_t workers [2] = { th_worker (endpoint, "1", NULL), th_worker (endpoint, "1", NULL) };
    unsetenv ("MF_WIRE_ENCODING");
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    th_stop_all (workers, 2);
    ck_assert_msg (th_same_file (png, ref_png), "the image differs from -j 1's");
    ck_assert_int_eq (th_json_counter (stats, "rejected"), 0);
    ck_assert_int_eq (th_json_counter (stats, "pixels"), (long long) VIEW_PIXELS);
    long long bytes = th_json_counter (stats, "bytes_in");
    ck_assert_int_gt (bytes, 0);
    free (log);
    free (stats);
    return (double) bytes / VIEW_PIXELS;
}

START_TEST (compressed_render_is_exact)
{
    char *ref = th_path ("ref.png"), *png = th_path ("wire.png");
    char *ref_argv [] = { (char *) th_bin ("mandelfarm-master"), "--quiet", "-j", "1", "-o",
                          ref, NULL };
    ck_assert_int_eq (th_run (ref_argv, RENDER_MS, NULL, 0), 0);
    double compressed = s_render (NULL, png, ref);
    ck_assert_msg (compressed <= 1.5, "%.3f bytes a pixel", compressed);
    double raw = s_render ("raw", png, ref);
    ck_assert_msg (raw >= 4.0, "%.3f bytes a pixel", raw);
    double forced = s_render ("zstd", png, ref);
    ck_assert_msg (forced <= 1.5, "%.3f bytes a pixel", forced);
    free (ref);
    free (png);
}
END_TEST

START_TEST (unknown_encoding_refused)
{
    setenv ("MF_WIRE_ENCODING", "lz4", 1);
    char *argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect",
                      "tcp://127.0.0.1:9", NULL };
    char output [2048];
    int rc = th_run (argv, RENDER_MS, output, sizeof output);
    unsetenv ("MF_WIRE_ENCODING");
    ck_assert_int_ne (rc, 0);
    ck_assert_msg (strstr (output, "MF_WIRE_ENCODING='lz4': say raw, zstd or auto") != NULL,
                   "%s", output);
}
END_TEST

//  ---- a fake worker against an engine in this process

typedef struct {
    void *socket;
    mf_tile_msg_t tiles [64];
    int tile_count;
    bool welcomed;
} s_fake_t;

static void
s_fake_read (s_fake_t *fake)
{
    uint8_t buf [256];
    int size;
    while ((size = zmq_recv (fake->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        mf_msg_t msg;
        ck_assert_int_eq (mf_proto_decode (buf, (size_t) size, &msg, NULL), 0);
        if (msg.type == MF_MSG_WELCOME)
            fake->welcomed = true;
        else
        if (msg.type == MF_MSG_TILE && fake->tile_count < 64)
            fake->tiles [fake->tile_count++] = msg.u.tile;
    }
}

//  Sends a RESULT of encoding 1 with payload for tile as rect says.
static void
s_send_encoded (s_fake_t *fake, const mf_tile_msg_t *tile, const mf_rect_t *rect,
                const uint8_t *payload, size_t size)
{
    static uint8_t buf [MF_SIZE_RESULT_HEAD + 4 * 128 * 128];
    mf_result_t result = { .job = tile->job, .tile = tile->tile, .lease = tile->lease,
                           .rect = *rect, .format = MF_MU_F32, .encoding = MF_ENCODING_ZSTD,
                           .size = (uint32_t) size };
    size_t head = mf_proto_encode_result_head (buf, sizeof buf, &result);
    ck_assert_uint_eq (head, MF_SIZE_RESULT_HEAD);
    memcpy (buf + head, payload, size);
    ck_assert_int_eq (zmq_send (fake->socket, buf, head + size, 0), (int) (head + size));
}

//  The tile's mu compressed into packed (room for raw); returns its size.
static size_t
s_encode (mf_rcodec_t *codec, const mf_task_t *task, float poison, uint8_t *packed)
{
    size_t count = (size_t) task->rect.w * task->rect.h;
    float *mu = malloc (count * sizeof *mu);
    uint8_t *raw = malloc (4 * count);
    mf_kernel_reference (task, mu, NULL);
    if (poison != 0)
        mu [count / 2] = poison;
    mf_le_put_f32s (raw, mu, count);
    size_t size;
    const uint8_t *out = mf_rcodec_encode (codec, 4, task->rect.w, task->rect.h, raw, &size);
    ck_assert_ptr_nonnull (out);
    memcpy (packed, out, size);
    free (raw);
    free (mu);
    return size;
}

START_TEST (hostile_compressed_results_rejected)
{
    mf_engine_opts_t engine_opts = { .listen_endpoint = "tcp://127.0.0.1:*",
                                     .max_tile_edge = 64 };
    char err [512];
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    char endpoint [64];
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    mf_view_t view = { -0.75, 0, 3.5, 384, 256 };
    float *image = calloc ((size_t) view.pixel_w * view.pixel_h, sizeof *image);
    mf_job_spec_t spec = { .view = view, .maxiter = 1000, .tile_edge = 64 };
    ck_assert_uint_ne (mf_engine_submit (engine, &spec, image), 0);

    void *context = zmq_ctx_new ();
    s_fake_t fake = { .socket = zmq_socket (context, ZMQ_DEALER) };
    int linger = 0;
    zmq_setsockopt (fake.socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake.socket, endpoint), 0);
    uint8_t hello_buf [MF_SIZE_HELLO];
    mf_hello_t hello = { .credit = FAKE_CREDIT, .threads = FAKE_CREDIT - 1, .pid = 1, .uid = 7 };
    strcpy (hello.host, "hostile");
    strcpy (hello.kernel, "scalar");
    ck_assert_int_eq (zmq_send (fake.socket, hello_buf,
                                mf_proto_encode_hello (hello_buf, sizeof hello_buf, &hello), 0),
                      MF_SIZE_HELLO);
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while ((!fake.welcomed || fake.tile_count < FAKE_CREDIT) && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
    }
    ck_assert_int_ge (fake.tile_count, FAKE_CREDIT);
    const mf_tile_msg_t *t = fake.tiles;
    mf_rcodec_t *codec = mf_rcodec_new ();
    static uint8_t packed [4 * 64 * 64];
    //  A payload that is no zstd frame.
    memset (packed, 0x5a, 100);
    s_send_encoded (&fake, &t [0], &t [0].task.rect, packed, 100);
    //  A sound frame, but of a tile half this one's height.
    mf_task_t half = t [1].task;
    half.rect.h = half.rect.h / 2;
    size_t size = s_encode (codec, &half, 0, packed);
    s_send_encoded (&fake, &t [1], &t [1].task.rect, packed, size);
    //  Sound frames of impossible mu: NaN, and above maxiter.
    size = s_encode (codec, &t [2].task, NAN, packed);
    s_send_encoded (&fake, &t [2], &t [2].task.rect, packed, size);
    size = s_encode (codec, &t [3].task, 1e6f, packed);
    s_send_encoded (&fake, &t [3], &t [3].task.rect, packed, size);
    //  A good one.
    size = s_encode (codec, &t [4].task, 0, packed);
    s_send_encoded (&fake, &t [4], &t [4].task.rect, packed, size);
    mf_engine_stats_t stats;
    deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        mf_engine_stats (engine, &stats);
    } while ((stats.rejected < 4 || stats.tiles < 1) && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.rejected, 4);
    ck_assert_uint_eq (stats.tiles, 1);
    ck_assert_uint_eq (stats.workers, 1);
    //  The good one is in the image, bit for bit.
    float expected [64 * 64];
    mf_kernel_reference (&t [4].task, expected, NULL);
    const mf_rect_t *r = &t [4].task.rect;
    for (uint32_t row = 0; row < r->h; row++)
        ck_assert (memcmp (image + (size_t) (r->y + row) * view.pixel_w + r->x,
                           expected + (size_t) row * r->w, r->w * sizeof (float)) == 0);
    //  The rejected leases were revoked: a correct result on one is late.
    size = s_encode (codec, &t [2].task, 0, packed);
    s_send_encoded (&fake, &t [2], &t [2].task.rect, packed, size);
    deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&fake);
        mf_engine_stats (engine, &stats);
    } while (stats.late < 1 && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.late, 1);
    ck_assert_uint_eq (stats.tiles, 1);
    mf_rcodec_destroy (&codec);
    zmq_close (fake.socket);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    free (image);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("wire");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 180);
    tcase_add_test (tc, compressed_render_is_exact);
    tcase_add_test (tc, unknown_encoding_refused);
    tcase_add_test (tc, hostile_compressed_results_rejected);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
