/*  mf_pool: compute threads against a PULL socket in this process. Tiles
    come back with their tags, in whatever order, each RESULT the
    reference kernel's bits; the queued and running counts follow the
    tiles; cancel removes a job's queued tiles and stops its tiles in
    hand (and only its), clear and destroy stop them all, each stopped
    tile coming back as an empty outcome; a thread that cannot start is
    not counted, and a pool none of whose threads starts is refused.
    Shared results that find no slot (none free, or too small) come back
    as raw RESULTs with the reference's bits.

    Heavy tiles are at the golden-mean Siegel point, where every pixel
    takes hours at maxiter 1e9 (test_kernel_variants checks that): they
    end only when stopped.

    Deep tiles too: those of the line location come back as f64 RESULTs
    with the reference perturbation kernel's bits, whichever thread and
    variant computed them; a heavy one (every pixel inside the main
    cardioid, maxiter 2^32 - 1) stops at cancel, clear and destroy, and
    the tables of tiles removed from the queue are released (ASan says
    nothing leaks).
*/
#include "deep_locations.h"
#include "helpers.h"
#include "pool.h"
#include "mf_kernel.h"
#include "mf_mu.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINT "inproc://test-pool"
#define WAIT_MS 20000                   //  msecs an expected event may take at most
#define LIGHT_TILES 24                  //  light tiles in the order test

typedef struct {
    uint32_t tag;
    bool stopped;                       //  an empty outcome
    mf_msg_t msg;                       //  the RESULT, unless stopped
    zframe_t *frame;                    //  owns msg's mu
} s_outcome_t;

static zsock_t *s_pull;

static void
s_setup (void)
{
    s_pull = zsock_new_pull ("@" ENDPOINT);
    ck_assert_ptr_nonnull (s_pull);
}

static void
s_teardown (void)
{
    zsock_destroy (&s_pull);
}

//  A light tile of the seahorse valley, or a heavy one at the Siegel point.
static mf_tile_msg_t
s_tile (uint32_t job, uint32_t id, bool heavy)
{
    mf_view_t view = heavy? (mf_view_t) { -0.390540870218399, -0.586787907346969, 1e-9, 64, 64 }
                          : (mf_view_t) { -0.7453, 0.1127, 6.5e-3, 64, 64 };
    mf_tile_msg_t tile = { .job = job, .tile = id, .lease = 1000 + id };
    mf_view_mapping (&view, &tile.task.map);
    tile.task.maxiter = heavy? 1000000000u: 3000;
    tile.task.rect = heavy? (mf_rect_t) { 0, 0, 8, 8 }
                          : (mf_rect_t) { (id % 4) * 16, (id / 4 % 4) * 16, 16, 16 };
    return tile;
}

//  Reads one outcome, waiting up to WAIT_MS; fails the test if none comes.
static s_outcome_t
s_read (void)
{
    zpoller_t *poller = zpoller_new (s_pull, NULL);
    void *ready = zpoller_wait (poller, WAIT_MS);
    zpoller_destroy (&poller);
    ck_assert_msg (ready == s_pull, "no outcome within %d ms", WAIT_MS);
    s_outcome_t outcome = { 0 };
    zframe_t *tag = zframe_recv (s_pull);
    ck_assert (tag && zframe_size (tag) == 4 && zframe_more (tag));
    memcpy (&outcome.tag, zframe_data (tag), 4);
    zframe_destroy (&tag);
    outcome.frame = zframe_recv (s_pull);
    ck_assert_ptr_nonnull (outcome.frame);
    outcome.stopped = zframe_size (outcome.frame) == 0;
    if (!outcome.stopped)
        ck_assert_int_eq (mf_proto_decode (zframe_data (outcome.frame),
                                           zframe_size (outcome.frame), &outcome.msg, NULL), 0);
    return outcome;
}

//  Whether an outcome is waiting, within msecs.
static bool
s_pending (int msecs)
{
    zpoller_t *poller = zpoller_new (s_pull, NULL);
    bool ready = zpoller_wait (poller, msecs) == s_pull;
    zpoller_destroy (&poller);
    return ready;
}

//  Waits until the pool has running tiles in hand and queued in its queue.
static void
s_wait_counts (mf_pool_t *pool, size_t running, size_t queued)
{
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while ((mf_pool_running (pool) != running || mf_pool_queued (pool) != queued)
           && mf_clock_ms () < deadline)
        zclock_sleep (5);
    ck_assert_uint_eq (mf_pool_running (pool), running);
    ck_assert_uint_eq (mf_pool_queued (pool), queued);
}

START_TEST (results_come_back_with_their_tags)
{
    mf_pool_t *pool = mf_pool_new (3, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    ck_assert_int_eq (mf_pool_threads (pool), 3);
    for (uint32_t id = 0; id < LIGHT_TILES; id++) {
        mf_tile_msg_t tile = s_tile (7, id, false);
        ck_assert_int_eq (mf_pool_submit (pool, &tile, 500 + id), 0);
    }
    bool seen [LIGHT_TILES] = { false };
    for (int count = 0; count < LIGHT_TILES; count++) {
        s_outcome_t out = s_read ();
        ck_assert (!out.stopped);
        uint32_t id = out.tag - 500;
        ck_assert_uint_lt (id, LIGHT_TILES);
        ck_assert (!seen [id]);
        seen [id] = true;
        mf_tile_msg_t tile = s_tile (7, id, false);
        const mf_result_t *result = &out.msg.u.result;
        ck_assert_uint_eq (out.msg.type, MF_MSG_RESULT);
        ck_assert_uint_eq (result->job, 7);
        ck_assert_uint_eq (result->tile, id);
        ck_assert_uint_eq (result->lease, tile.lease);
        ck_assert (memcmp (&result->rect, &tile.task.rect, sizeof result->rect) == 0);
        //  The reference's bits, whichever thread computed it.
        float expected [16 * 16], got [16 * 16];
        ck_assert_uint_eq (result->iterations > 0, 1);
        mf_kernel_reference (&tile.task, expected, NULL);
        mf_le_get_f32s (got, result->mu, 16 * 16);
        ck_assert (memcmp (got, expected, sizeof got) == 0);
        zframe_destroy (&out.frame);
        //  Counted as running until read here.
        ck_assert_uint_ge (mf_pool_running (pool), 1);
        mf_pool_done (pool);
    }
    ck_assert_uint_eq (mf_pool_running (pool), 0);
    ck_assert_uint_eq (mf_pool_queued (pool), 0);
    mf_pool_destroy (&pool);
    ck_assert_ptr_null (pool);
    mf_pool_destroy (&pool);
}
END_TEST

START_TEST (cancel_removes_queued_and_stops_in_hand)
{
    //  One thread: a heavy tile of job 1 in hand, job 1 and job 2 tiles queued.
    mf_pool_t *pool = mf_pool_new (1, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    mf_tile_msg_t heavy = s_tile (1, 0, true);
    ck_assert_int_eq (mf_pool_submit (pool, &heavy, 10), 0);
    s_wait_counts (pool, 1, 0);
    mf_tile_msg_t light = s_tile (1, 1, false), other = s_tile (2, 2, false);
    ck_assert_int_eq (mf_pool_submit (pool, &light, 11), 0);
    ck_assert_int_eq (mf_pool_submit (pool, &other, 12), 0);
    ck_assert_uint_eq (mf_pool_queued (pool), 2);
    //  A job with nothing here changes nothing.
    ck_assert_uint_eq (mf_pool_cancel (pool, 3), 0);
    ck_assert (!s_pending (100));
    //  Job 1: its queued tile goes, its tile in hand stops.
    ck_assert_uint_eq (mf_pool_cancel (pool, 1), 1);
    s_outcome_t out = s_read ();
    ck_assert_uint_eq (out.tag, 10);
    ck_assert (out.stopped);
    zframe_destroy (&out.frame);
    //  Still counted until read (job 2's tile may be running already).
    ck_assert_uint_ge (mf_pool_running (pool), 1);
    mf_pool_done (pool);
    //  Job 2's tile is computed.
    out = s_read ();
    ck_assert_uint_eq (out.tag, 12);
    ck_assert (!out.stopped);
    ck_assert_uint_eq (out.msg.u.result.job, 2);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    ck_assert_uint_eq (mf_pool_running (pool), 0);
    ck_assert_uint_eq (mf_pool_queued (pool), 0);
    mf_pool_destroy (&pool);
}
END_TEST

START_TEST (cancel_stops_only_its_own_job)
{
    //  Two threads, each with a heavy tile of its own job.
    mf_pool_t *pool = mf_pool_new (2, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    mf_tile_msg_t a = s_tile (1, 0, true), b = s_tile (2, 1, true);
    ck_assert_int_eq (mf_pool_submit (pool, &a, 1), 0);
    ck_assert_int_eq (mf_pool_submit (pool, &b, 2), 0);
    s_wait_counts (pool, 2, 0);
    ck_assert_uint_eq (mf_pool_cancel (pool, 2), 0);
    s_outcome_t out = s_read ();
    ck_assert_uint_eq (out.tag, 2);
    ck_assert (out.stopped);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    //  Job 1's tile goes on.
    ck_assert (!s_pending (200));
    ck_assert_uint_eq (mf_pool_running (pool), 1);
    //  Clear stops it too.
    ck_assert_uint_eq (mf_pool_clear (pool), 0);
    out = s_read ();
    ck_assert_uint_eq (out.tag, 1);
    ck_assert (out.stopped);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    mf_pool_destroy (&pool);
}
END_TEST

START_TEST (clear_empties_the_queue)
{
    mf_pool_t *pool = mf_pool_new (1, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    mf_tile_msg_t heavy = s_tile (1, 0, true);
    ck_assert_int_eq (mf_pool_submit (pool, &heavy, 1), 0);
    s_wait_counts (pool, 1, 0);
    //  More than the ring's first size: it grows.
    for (uint32_t id = 1; id <= 40; id++) {
        mf_tile_msg_t tile = s_tile (1 + id % 3, id, false);
        ck_assert_int_eq (mf_pool_submit (pool, &tile, id), 0);
    }
    ck_assert_uint_eq (mf_pool_queued (pool), 40);
    ck_assert_uint_eq (mf_pool_clear (pool), 40);
    ck_assert_uint_eq (mf_pool_queued (pool), 0);
    s_outcome_t out = s_read ();
    ck_assert (out.tag == 1 && out.stopped);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    ck_assert (!s_pending (100));
    //  The pool still works.
    mf_tile_msg_t light = s_tile (5, 3, false);
    ck_assert_int_eq (mf_pool_submit (pool, &light, 99), 0);
    out = s_read ();
    ck_assert (out.tag == 99 && !out.stopped && out.msg.u.result.job == 5);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    mf_pool_destroy (&pool);
}
END_TEST

START_TEST (destroy_stops_tiles_in_hand)
{
    //  Without stop flags this would wait for hours (the test's timeout).
    mf_pool_t *pool = mf_pool_new (2, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    for (uint32_t id = 0; id < 4; id++) {
        mf_tile_msg_t tile = s_tile (1, id, true);
        ck_assert_int_eq (mf_pool_submit (pool, &tile, id), 0);
    }
    s_wait_counts (pool, 2, 2);
    int64_t start = mf_clock_ms ();
    mf_pool_destroy (&pool);
    ck_assert_ptr_null (pool);
    printf ("destroy_stops_tiles_in_hand: joined in %lld ms\n",
            (long long) (mf_clock_ms () - start));
}
END_TEST

//  A deep view, its orbit's BLA table and its tiles (the line location,
//  64 x 36 in tiles of 16 x 12), or a heavy one (the main cardioid).
typedef struct {
    mf_deep_map_t map;
    mf_table_t *table;
    uint32_t maxiter;
} s_deep_t;

static void
s_deep (s_deep_t *deep, bool heavy)
{
    char err [256];
    mf_orbit_t *orbit;
    if (heavy) {
        mpfr_t re, im;
        mpfr_inits2 (128, re, im, (mpfr_ptr) 0);
        mpfr_set_d (re, -0.1, MPFR_RNDN);
        mpfr_set_d (im, 0.1, MPFR_RNDN);
        orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), 100, MF_DELTA_DOUBLE, NULL,
                                     err, sizeof err);
        mpfr_clears (re, im, (mpfr_ptr) 0);
        deep->map = (mf_deep_map_t) { 64, 36, { 1.0, -70 }, mf_fexpc_zero (), MF_DELTA_DOUBLE };
        deep->maxiter = UINT32_MAX;
    }
    else {
        mf_deep_view_t *view = mf_deep_view_new (LOC_LINE_CENTER, NULL, LOC_LINE_ZOOM, 64, 36,
                                                  err, sizeof err);
        ck_assert_ptr_nonnull (view);
        mf_deep_view_map (view, &deep->map);
        orbit = mf_orbit_compute (view, LOC_LINE_ITER, NULL, err, sizeof err);
        mf_deep_view_destroy (&view);
        deep->maxiter = LOC_LINE_ITER;
    }
    ck_assert_msg (orbit != NULL, "%s", err);
    mf_orbit_id_t id = { { heavy } };
    mf_bla_t *bla = mf_bla_new (orbit, mf_deep_map_cmax (&deep->map), err, sizeof err);
    ck_assert_ptr_nonnull (bla);
    mf_orbit_destroy (&orbit);
    deep->table = mf_table_new (&id, mf_deep_map_cmax (&deep->map), &bla);
    ck_assert_ptr_nonnull (deep->table);
}

static mf_deeptile_t
s_deeptile (const s_deep_t *deep, uint32_t job, uint32_t id)
{
    mf_deeptile_t tile = { .job = job, .tile = id, .lease = 2000 + id, .maxiter = deep->maxiter,
                           .rect = { id % 4 * 16, id / 4 % 3 * 12, 16, 12 }, .map = deep->map };
    return tile;
}

START_TEST (deep_tiles_come_back_as_f64)
{
    s_deep_t deep;
    s_deep (&deep, false);
    mf_pool_t *pool = mf_pool_new (2, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    for (uint32_t id = 0; id < 12; id++) {
        mf_deeptile_t tile = s_deeptile (&deep, 4, id);
        ck_assert_int_eq (mf_pool_submit_deep (pool, &tile, mf_table_ref (deep.table), 700 + id),
                          0);
    }
    const mf_perturb_kernel_t *reference = mf_perturb_find ("reference");
    for (int count = 0; count < 12; count++) {
        s_outcome_t out = s_read ();
        ck_assert (!out.stopped);
        uint32_t id = out.tag - 700;
        ck_assert_uint_lt (id, 12);
        const mf_result_t *result = &out.msg.u.result;
        mf_deeptile_t tile = s_deeptile (&deep, 4, id);
        ck_assert (result->job == 4 && result->tile == id && result->lease == tile.lease);
        ck_assert_int_eq (result->format, MF_MU_F64);
        ck_assert (memcmp (&result->rect, &tile.rect, sizeof tile.rect) == 0);
        double expected [16 * 12], got [16 * 12];
        mf_perturb_task_t task = { &deep.map, mf_table_bla (deep.table), deep.maxiter, tile.rect,
                                   NULL, false };
        ck_assert_int_eq (reference->fn (&task, expected, NULL), 0);
        mf_proto_get_f64s (got, result->mu, 16 * 12);
        ck_assert (memcmp (got, expected, sizeof got) == 0);
        ck_assert_uint_gt (result->iterations, 0);
        zframe_destroy (&out.frame);
        mf_pool_done (pool);
    }
    mf_pool_destroy (&pool);
    mf_table_unref (&deep.table);
}
END_TEST

START_TEST (deep_tiles_stop)
{
    s_deep_t deep;
    s_deep (&deep, true);
    mf_pool_t *pool = mf_pool_new (1, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    //  Cancel: the one in hand stops, the queued one goes (its table's
    //  reference with it).
    mf_deeptile_t a = s_deeptile (&deep, 1, 0), b = s_deeptile (&deep, 1, 1);
    ck_assert_int_eq (mf_pool_submit_deep (pool, &a, mf_table_ref (deep.table), 1), 0);
    s_wait_counts (pool, 1, 0);
    ck_assert_int_eq (mf_pool_submit_deep (pool, &b, mf_table_ref (deep.table), 2), 0);
    int64_t start = mf_clock_ms ();
    ck_assert_uint_eq (mf_pool_cancel (pool, 1), 1);
    s_outcome_t out = s_read ();
    printf ("deep_tiles_stop: a deep tile stopped in %lld ms\n",
            (long long) (mf_clock_ms () - start));
    ck_assert (out.tag == 1 && out.stopped);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    //  Clear, the same.
    ck_assert_int_eq (mf_pool_submit_deep (pool, &a, mf_table_ref (deep.table), 3), 0);
    s_wait_counts (pool, 1, 0);
    ck_assert_int_eq (mf_pool_submit_deep (pool, &b, mf_table_ref (deep.table), 4), 0);
    ck_assert_uint_eq (mf_pool_clear (pool), 1);
    out = s_read ();
    ck_assert (out.tag == 3 && out.stopped);
    zframe_destroy (&out.frame);
    mf_pool_done (pool);
    //  Destroy, with one in hand and one queued.
    ck_assert_int_eq (mf_pool_submit_deep (pool, &a, mf_table_ref (deep.table), 5), 0);
    s_wait_counts (pool, 1, 0);
    ck_assert_int_eq (mf_pool_submit_deep (pool, &b, mf_table_ref (deep.table), 6), 0);
    mf_pool_destroy (&pool);
    mf_table_unref (&deep.table);
}
END_TEST

//  Shared results with no slot for them: a region of one slot, never
//  let go here, takes the first tile; the next come back raw. A region
//  whose slot is smaller than a tile takes none: all raw. Each raw one
//  is a RESULT any master decodes, with the reference's bits.
START_TEST (shared_results_without_a_slot_travel_raw)
{
    char err [256];
    size_t tile_bytes = 16 * 16 * sizeof (float);
    size_t slot_bytes [2] = { tile_bytes, 64 };
    for (int round = 0; round < 2; round++) {
        mf_shm_t *shm = mf_shm_new (1, 1, slot_bytes [round], err, sizeof err);
        ck_assert_msg (shm != NULL, "%s", err);
        mf_pool_t *pool = mf_pool_new (1, mf_kernel_best (), ENDPOINT);
        ck_assert_ptr_nonnull (pool);
        mf_pool_set_shared (pool, shm, 0);
        mf_pool_set_encoding (pool, MF_ENCODING_SHARED);
        for (uint32_t id = 0; id < 3; id++) {
            mf_tile_msg_t tile = s_tile (9, id, false);
            ck_assert_int_eq (mf_pool_submit (pool, &tile, id), 0);
        }
        int shared = 0;
        for (int count = 0; count < 3; count++) {
            s_outcome_t out = s_read ();
            ck_assert (!out.stopped);
            const mf_result_t *result = &out.msg.u.result;
            mf_tile_msg_t tile = s_tile (9, out.tag, false);
            float expected [16 * 16], got [16 * 16];
            mf_kernel_reference (&tile.task, expected, NULL);
            if (result->encoding == MF_ENCODING_SHARED) {
                shared++;
                const uint8_t *mu = mf_shm_held (shm, 0, result->slot, tile_bytes);
                ck_assert_ptr_nonnull (mu);
                mf_le_get_f32s (got, mu, 16 * 16);
            }
            else {
                ck_assert_uint_eq (result->encoding, MF_ENCODING_RAW);
                ck_assert_uint_eq (result->size, tile_bytes);
                mf_le_get_f32s (got, result->mu, 16 * 16);
            }
            ck_assert (memcmp (got, expected, sizeof got) == 0);
            zframe_destroy (&out.frame);
            mf_pool_done (pool);
        }
        ck_assert_int_eq (shared, round == 0? 1: 0);
        mf_pool_destroy (&pool);
        mf_shm_destroy (&shm);
    }
}
END_TEST

START_TEST (threads_that_cannot_start_are_not_counted)
{
    //  ZeroMQ allows this process 3 sockets: the PULL and two compute
    //  threads' PUSH. The other two threads fail to start; results still
    //  come, from the two that run.
    zsys_set_max_sockets (3);
    s_setup ();
    mf_pool_t *pool = mf_pool_new (4, mf_kernel_best (), ENDPOINT);
    ck_assert_ptr_nonnull (pool);
    ck_assert_int_eq (mf_pool_threads (pool), 2);
    for (uint32_t id = 0; id < 6; id++) {
        mf_tile_msg_t tile = s_tile (3, id, false);
        ck_assert_int_eq (mf_pool_submit (pool, &tile, id), 0);
    }
    for (int count = 0; count < 6; count++) {
        s_outcome_t out = s_read ();
        ck_assert (!out.stopped);
        zframe_destroy (&out.frame);
        mf_pool_done (pool);
    }
    mf_pool_destroy (&pool);
    s_teardown ();
}
END_TEST

START_TEST (no_thread_starts_no_pool)
{
    //  Only the PULL fits: no compute thread can open its socket.
    zsys_set_max_sockets (1);
    s_setup ();
    ck_assert_ptr_null (mf_pool_new (3, mf_kernel_best (), ENDPOINT));
    s_teardown ();
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("pool");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, results_come_back_with_their_tags);
    tcase_add_test (tc, cancel_removes_queued_and_stops_in_hand);
    tcase_add_test (tc, cancel_stops_only_its_own_job);
    tcase_add_test (tc, clear_empties_the_queue);
    tcase_add_test (tc, destroy_stops_tiles_in_hand);
    tcase_add_test (tc, deep_tiles_come_back_as_f64);
    tcase_add_test (tc, deep_tiles_stop);
    tcase_add_test (tc, shared_results_without_a_slot_travel_raw);
    suite_add_tcase (suite, tc);
    //  These set ZeroMQ's socket limit, which must come before any socket.
    TCase *limits = tcase_create ("limits");
    tcase_set_timeout (limits, 60);
    tcase_add_test (limits, threads_that_cannot_start_are_not_counted);
    tcase_add_test (limits, no_thread_starts_no_pool);
    suite_add_tcase (suite, limits);
    return th_run_suite (suite);
}
