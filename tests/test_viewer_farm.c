/*  The viewer's engine thread (mf_farm) against a fake worker that speaks
    the wire by hand: tiles come out tagged with the viewer's token; a
    cancel reaches the worker as CANCEL for the right job; results of a
    cancelled job arriving afterwards are dropped by job id (counted as
    late) and never delivered; the next job is served normally and
    released when complete; the worker's name is there for the tint's
    legend. */
#include "farm.h"
#include "helpers.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <czmq.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 5000                    //  msecs any one expected event may take at most

static atomic_int s_notified;

static void
s_notify (void *arg)
{
    (void) arg;
    atomic_fetch_add (&s_notified, 1);
}

static zsock_t *
s_fake_worker (const char *endpoint, uint32_t credit)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    ck_assert_ptr_nonnull (dealer);
    zsock_set_linger (dealer, 0);
    zsock_set_rcvtimeo (dealer, WAIT_MS);
    ck_assert_int_eq (zsock_connect (dealer, "%s", endpoint), 0);
    mf_hello_t hello = { credit, 1, (uint32_t) getpid (), 0x5eed, "scalar", "fake", 1, 0 };
    uint8_t buf [MF_SIZE_HELLO];
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_int_eq (zmq_send (zsock_resolve (dealer), buf, size, 0), (int) size);
    return dealer;
}

//  The next message from the master other than a heartbeat.
static void
s_recv (zsock_t *dealer, mf_msg_t *msg, mf_msg_type_t want)
{
    static uint8_t buf [256];
    while (true) {
        int size = zmq_recv (zsock_resolve (dealer), buf, sizeof buf, 0);
        ck_assert_msg (size > 0, "no message from the engine within %d ms", WAIT_MS);
        ck_assert_int_eq (mf_proto_decode (buf, (size_t) size, msg, NULL), 0);
        if (msg->type != MF_MSG_HEARTBEAT)
            break;
    }
    ck_assert_int_eq (msg->type, want);
}

//  Computes a tile and sends its RESULT; returns its mu (caller frees).
static float *
s_result (zsock_t *dealer, const mf_tile_msg_t *tile)
{
    size_t pixels = (size_t) tile->task.rect.w * tile->task.rect.h;
    float *mu = malloc (pixels * sizeof *mu);
    uint64_t iterations = mf_kernel_reference (&tile->task, mu, NULL);
    size_t size = mf_proto_result_size (tile->task.rect.w, tile->task.rect.h);
    uint8_t *buf = malloc (size);
    mf_result_t result = { tile->job, tile->tile, tile->lease, tile->task.rect, 1, iterations, NULL,
                           MF_MU_F32, MF_ENCODING_RAW, 0, 0 };
    ck_assert_uint_eq (mf_proto_encode_result_head (buf, size, &result), MF_SIZE_RESULT_HEAD);
    mf_le_put_f32s (buf + MF_SIZE_RESULT_HEAD, mu, pixels);
    ck_assert_int_eq (zmq_send (zsock_resolve (dealer), buf, size, 0), (int) size);
    free (buf);
    return mu;
}

static void
s_ready (zsock_t *dealer, uint32_t credit)
{
    uint8_t buf [MF_SIZE_READY];
    size_t size = mf_proto_encode_ready (buf, sizeof buf, credit);
    ck_assert_int_eq (zmq_send (zsock_resolve (dealer), buf, size, 0), (int) size);
}

//  The next delivered tile, waiting up to WAIT_MS.
static mf_farm_tile_t *
s_take (mf_farm_t *farm)
{
    int64_t until = mf_clock_ms () + WAIT_MS;
    while (mf_clock_ms () < until) {
        mf_farm_tile_t *tile = mf_farm_take (farm);
        if (tile)
            return tile;
        usleep (2000);
    }
    ck_abort_msg ("no tile delivered within %d ms", WAIT_MS);
    return NULL;
}

static void
s_expect_tile (mf_farm_t *farm, uint32_t token, const mf_tile_msg_t *sent, const float *mu)
{
    mf_farm_tile_t *tile = s_take (farm);
    ck_assert_uint_eq (tile->token, token);
    ck_assert (memcmp (&tile->rect, &sent->task.rect, sizeof tile->rect) == 0);
    size_t pixels = (size_t) tile->rect.w * tile->rect.h;
    ck_assert (memcmp (tile->mu, mu, pixels * sizeof *mu) == 0);
    free (tile);
}

START_TEST (cancel_drops_by_job_id)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "ipc://@mf-test-farm-%d", (int) getpid ());
    mf_engine_opts_t opts = { .listen_endpoint = endpoint, .heartbeat_ms = 1000 };
    char err [256];
    mf_farm_t *farm = mf_farm_new (&opts, s_notify, NULL, err, sizeof err);
    ck_assert_msg (farm != NULL, "%s", err);
    zsock_t *worker = s_fake_worker (endpoint, 2);
    mf_msg_t msg;
    s_recv (worker, &msg, MF_MSG_WELCOME);

    //  64x64 in 32-pixel tiles: 4 tiles; credit 2 brings two.
    mf_job_spec_t spec = { .view = { -0.75, 0.1, 3.0, 64, 64 }, .maxiter = 200, .tile_edge = 32 };
    uint32_t total = 0;
    ck_assert_int_eq (mf_farm_submit (farm, 7, &spec, &total), 0);
    ck_assert_uint_eq (total, 4);
    mf_tile_msg_t first, second;
    s_recv (worker, &msg, MF_MSG_TILE);
    first = msg.u.tile;
    s_recv (worker, &msg, MF_MSG_TILE);
    second = msg.u.tile;
    ck_assert_uint_eq (first.job, second.job);
    float *mu = s_result (worker, &first);
    s_expect_tile (farm, 7, &first, mu);
    free (mu);
    ck_assert_int_ge (atomic_load (&s_notified), 1);
    //  The legend's name for the worker tiles are tagged with (number 0,
    //  the first): host:pid of its HELLO. No other number is named.
    char name [MF_ENGINE_NAME_LEN], want [64];
    snprintf (want, sizeof want, "fake:%d", (int) getpid ());
    ck_assert_int_eq (mf_farm_worker_name (farm, 0, name, sizeof name), 0);
    ck_assert_str_eq (name, want);
    ck_assert_int_eq (mf_farm_worker_name (farm, 1, name, sizeof name), -1);
    ck_assert_int_eq (mf_farm_worker_name (farm, -1, name, sizeof name), -1);
    //  The result gave its credit back: a third tile comes.
    s_recv (worker, &msg, MF_MSG_TILE);
    ck_assert_uint_eq (msg.u.tile.job, first.job);

    //  Cancel: the worker is told, for that job.
    ck_assert_int_eq (mf_farm_cancel (farm, 7), 0);
    s_recv (worker, &msg, MF_MSG_CANCEL);
    ck_assert_uint_eq (msg.u.job, first.job);
    //  A result of the cancelled job arriving now is late and never delivered.
    mf_farm_status_t status;
    mf_farm_status (farm, &status);
    uint64_t late = status.late;
    mu = s_result (worker, &second);
    free (mu);
    int64_t until = mf_clock_ms () + WAIT_MS;
    do {
        usleep (2000);
        mf_farm_status (farm, &status);
    } while (status.late == late && mf_clock_ms () < until);
    ck_assert_uint_eq (status.late, late + 1);
    ck_assert_ptr_null (mf_farm_take (farm));
    //  The third tile, dropped for the cancel, gives its credit back too.
    s_ready (worker, 1);

    //  The next job: served, delivered under its own token, released.
    //  Each result brings the next tile. As many as the farm said.
    ck_assert_int_eq (mf_farm_submit (farm, 8, &spec, &total), 0);
    ck_assert_uint_eq (total, 4);
    for (int round = 0; round < 2; round++) {
        mf_tile_msg_t tiles [2];
        for (int index = 0; index < 2; index++) {
            s_recv (worker, &msg, MF_MSG_TILE);
            tiles [index] = msg.u.tile;
            ck_assert_uint_ne (tiles [index].job, first.job);
        }
        for (int index = 0; index < 2; index++) {
            mu = s_result (worker, &tiles [index]);
            s_expect_tile (farm, 8, &tiles [index], mu);
            free (mu);
        }
    }
    until = mf_clock_ms () + WAIT_MS;
    do {
        usleep (2000);
        mf_farm_status (farm, &status);
    } while (status.jobs > 0 && mf_clock_ms () < until);
    ck_assert_uint_eq (status.jobs, 0);
    ck_assert_uint_eq (status.workers, 1);
    ck_assert_uint_eq (status.tiles, 5);
    ck_assert_ptr_null (mf_farm_take (farm));

    //  Cancelling a finished or unknown token is harmless.
    ck_assert_int_eq (mf_farm_cancel (farm, 8), 0);
    ck_assert_int_eq (mf_farm_cancel (farm, 99), 0);
    mf_farm_pause (farm);
    //  A job submitted once paused never starts; its grid is freed (a
    //  sanitizer build would report it lost otherwise).
    ck_assert_int_eq (mf_farm_submit (farm, 9, &spec, &total), 0);
    ck_assert_ptr_null (mf_farm_take (farm));
    zsock_destroy (&worker);
    mf_farm_destroy (&farm);
    ck_assert_ptr_null (farm);
    mf_farm_destroy (&farm);
}
END_TEST

START_TEST (bind_failure_is_reported)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "ipc://@mf-test-farm-bind-%d", (int) getpid ());
    mf_engine_opts_t opts = { .listen_endpoint = endpoint };
    char err [256];
    mf_farm_t *first = mf_farm_new (&opts, NULL, NULL, err, sizeof err);
    ck_assert_msg (first != NULL, "%s", err);
    mf_farm_t *second = mf_farm_new (&opts, NULL, NULL, err, sizeof err);
    ck_assert_ptr_null (second);
    ck_assert_msg (strstr (err, endpoint), "'%s' does not name the endpoint", err);
    mf_farm_destroy (&first);
}
END_TEST

int
main (void)
{
    zsys_handler_set (NULL);
    mf_log_level = MF_LOG_ERROR;
    Suite *suite = suite_create ("viewer_farm");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, cancel_drops_by_job_id);
    tcase_add_test (tc, bind_failure_is_reported);
    suite_add_tcase (suite, tc);
    int rc = th_run_suite (suite);
    zsys_shutdown ();
    return rc;
}
