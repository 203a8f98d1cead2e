/*  The scheduler: credit, leases, center-first order, re-issue of lost
    work, backups near the end, and the verdicts on results. */
#include "helpers.h"
#include "sched.h"

#include <check.h>
#include <stdlib.h>

static mf_job_spec_t
s_spec (uint32_t w, uint32_t h, uint32_t edge)
{
    mf_job_spec_t spec = { .view = { -0.75, 0.0, 3.5, w, h }, .maxiter = 100, .tile_edge = edge };
    return spec;
}

START_TEST (credit_bounds_leases)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (64, 64, 16);       //  16 tiles
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    ck_assert_uint_ne (job, 0);
    mf_assign_t a;
    ck_assert_int_eq (mf_sched_next (s, 0, &a), -1);        //  no worker yet
    int w = mf_sched_worker_add (s, 3, 1);
    for (int index = 0; index < 3; index++)
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
    ck_assert_int_eq (mf_sched_next (s, 0, &a), -1);        //  credit spent
    ck_assert_uint_eq (mf_sched_worker_leases (s, w), 3);
    mf_sched_worker_credit (s, w, 1);
    ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
    ck_assert_int_eq (a.worker, w);
    ck_assert_uint_eq (a.task.maxiter, 100);
    mf_sched_destroy (&s);
    ck_assert_ptr_null (s);
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (every_tile_once_center_first)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (100, 60, 16);
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    const mf_tiles_t *tiles = mf_sched_job_tiles (s, job);
    uint32_t total = mf_tiles_count (tiles);
    int a_worker = mf_sched_worker_add (s, 1000, 2);
    uint8_t *seen = calloc (total, 1);
    mf_assign_t a;
    for (uint32_t position = 0; position < total; position++) {
        ck_assert_int_eq (mf_sched_next (s, position, &a), 0);
        ck_assert (!a.backup);
        ck_assert_uint_eq (a.tile, mf_tiles_order (tiles, position));
        ck_assert (!seen [a.tile]);
        seen [a.tile] = 1;
        mf_rect_t want = mf_tiles_rect (tiles, a.tile);
        ck_assert (a.task.rect.x == want.x && a.task.rect.w == want.w);
    }
    //  One worker alone never takes a backup of its own tiles.
    ck_assert_int_eq (mf_sched_next (s, 0, &a), -1);
    uint32_t done, all;
    mf_sched_job_progress (s, job, &done, &all);
    ck_assert (done == 0 && all == total);
    (void) a_worker;
    free (seen);
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (round_robin)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (64, 64, 8);
    mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 10, 3), b = mf_sched_worker_add (s, 10, 4);
    int count [2] = { 0, 0 };
    mf_assign_t x;
    for (int index = 0; index < 10; index++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
        count [x.worker == a? 0: 1]++;
    }
    ck_assert_int_eq (count [0], 5);
    ck_assert_int_eq (count [1], 5);
    (void) b;
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (accept_and_verdicts)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (32, 32, 16);       //  4 tiles
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 1, 5), b = mf_sched_worker_add (s, 1, 6);
    mf_assign_t x, y;
    ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
    ck_assert_int_eq (mf_sched_next (s, 0, &y), 0);
    ck_assert_int_eq (x.worker, a);
    uint32_t maxiter = 0;
    //  The right worker with the right lease and rectangle is accepted.
    ck_assert_int_eq (mf_sched_check (s, a, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    ck_assert_uint_eq (maxiter, 100);
    //  Another worker's lease, a lease never given, a wrong tile: foreign.
    ck_assert_int_eq (mf_sched_check (s, b, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_FOREIGN);
    ck_assert_int_eq (mf_sched_check (s, a, job, x.tile, 9999, &x.task.rect, &maxiter),
                      MF_VERDICT_FOREIGN);
    ck_assert_int_eq (mf_sched_check (s, a, job, y.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_FOREIGN);
    ck_assert_int_eq (mf_sched_check (s, a, job + 7, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_FOREIGN);
    //  A rectangle that is not the tile's.
    mf_rect_t wrong = x.task.rect;
    wrong.w--;
    ck_assert_int_eq (mf_sched_check (s, a, job, x.tile, x.lease, &wrong, &maxiter),
                      MF_VERDICT_MISMATCH);
    mf_sched_accept (s, a, job, x.tile, x.lease);
    uint32_t done, total;
    mf_sched_job_progress (s, job, &done, &total);
    ck_assert (done == 1 && total == 4);
    //  The same result again is a duplicate (the lease is over).
    ck_assert_int_eq (mf_sched_check (s, a, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_DUPLICATE);
    //  Once the job is gone, its results are late.
    ck_assert_int_eq (mf_sched_job_remove (s, job), 0);
    ck_assert_int_eq (mf_sched_check (s, b, job, y.tile, y.lease, &y.task.rect, &maxiter),
                      MF_VERDICT_LATE);
    ck_assert_uint_eq (mf_sched_worker_leases (s, b), 0);
    ck_assert_int_eq (mf_sched_job_remove (s, job), -1);
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (lost_worker_tiles_reissued_first)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (64, 64, 16);       //  16 tiles
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 2, 7);
    mf_assign_t x1, x2, y;
    mf_sched_next (s, 0, &x1);
    mf_sched_next (s, 0, &x2);
    ck_assert_uint_eq (mf_sched_worker_remove (s, a), 2);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.reissued, 2);
    int b = mf_sched_worker_add (s, 3, 8);
    mf_sched_next (s, 0, &y);
    ck_assert (y.tile == x1.tile || y.tile == x2.tile);
    mf_sched_next (s, 0, &y);
    ck_assert (y.tile == x1.tile || y.tile == x2.tile);
    mf_sched_next (s, 0, &y);
    ck_assert (y.tile != x1.tile && y.tile != x2.tile);
    //  A reset worker's leases are void too.
    ck_assert_uint_eq (mf_sched_worker_reset (s, b, 1), 3);
    //  A revoked lease puts its tile back.
    mf_sched_next (s, 0, &y);
    ck_assert_int_eq (mf_sched_revoke (s, b, y.lease), 0);
    ck_assert_int_eq (mf_sched_revoke (s, b, y.lease), -1);
    mf_sched_worker_credit (s, b, 1);
    mf_assign_t z;
    mf_sched_next (s, 0, &z);
    ck_assert_uint_eq (z.tile, y.tile);
    (void) job;
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (backup_lease_at_the_end)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (16, 16, 16);       //  one tile
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int slow = mf_sched_worker_add (s, 1, 9);
    mf_assign_t x, y;
    ck_assert_int_eq (mf_sched_next (s, 10, &x), 0);
    int fast = mf_sched_worker_add (s, 1, 10);
    ck_assert_int_eq (mf_sched_next (s, 20, &y), 0);
    ck_assert (y.backup && y.worker == fast && y.tile == x.tile && y.lease != x.lease);
    //  Never a third lease on one tile.
    int third = mf_sched_worker_add (s, 1, 11);
    ck_assert_int_eq (mf_sched_next (s, 30, &y), -1);
    //  The backup wins; the slow worker's result becomes a duplicate.
    uint32_t maxiter;
    ck_assert_int_eq (mf_sched_check (s, fast, job, y.tile, y.lease, &y.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    mf_sched_accept (s, fast, job, y.tile, y.lease);
    ck_assert_uint_eq (mf_sched_worker_leases (s, slow), 0);
    ck_assert_int_eq (mf_sched_check (s, slow, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_DUPLICATE);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.backups, 1);
    ck_assert_uint_eq (counters.accepted, 1);
    (void) third;
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (jobs_in_order_and_presets)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t small = s_spec (16, 16, 8);       //  4 tiles
    uint32_t first = mf_sched_job_add (s, &small, NULL);
    uint32_t second = mf_sched_job_add (s, &small, (void *) &small);
    ck_assert_uint_ne (first, second);
    ck_assert_ptr_eq (mf_sched_job_user (s, second), &small);
    //  Tiles already known (a checkpoint) are never handed out.
    const mf_tiles_t *tiles = mf_sched_job_tiles (s, first);
    ck_assert_int_eq (mf_sched_tile_preset (s, first, mf_tiles_order (tiles, 0)), 0);
    ck_assert_int_eq (mf_sched_tile_preset (s, first, mf_tiles_order (tiles, 0)), -1);
    ck_assert_int_eq (mf_sched_tile_preset (s, first, 99), -1);
    mf_sched_worker_add (s, 100, 12);
    mf_assign_t a;
    for (int index = 0; index < 3; index++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
        ck_assert_uint_eq (a.job, first);
        ck_assert_uint_ne (a.tile, mf_tiles_order (tiles, 0));
    }
    ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
    ck_assert_uint_eq (a.job, second);
    ck_assert (mf_sched_worker_holds (s, 0, first));
    ck_assert (mf_sched_worker_holds (s, 0, second));
    ck_assert (!mf_sched_worker_holds (s, 0, second + 1));
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (verification_needs_two_workers)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (16, 16, 16);       //  one tile
    spec.verify_percent = 100;
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 1, 7), a_again = mf_sched_worker_add (s, 1, 7);
    mf_assign_t x, y;
    ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
    ck_assert_int_eq (x.worker, a);
    uint32_t maxiter;
    ck_assert_int_eq (mf_sched_check (s, a, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    ck_assert_int_eq (mf_sched_accept (s, a, job, x.tile, x.lease), MF_ACCEPTED_FIRST);
    ck_assert_int_eq (mf_sched_first_ident (s, job, x.tile), 7);
    uint32_t done, total;
    mf_sched_job_progress (s, job, &done, &total);
    ck_assert_uint_eq (done, 0);
    //  The same worker (same ident, even on another connection) may not
    //  give the second opinion: nobody can, so the caller must.
    mf_sched_worker_credit (s, a, 1);
    ck_assert_int_eq (mf_sched_next (s, 0, &y), -1);
    uint32_t uj, ut;
    ck_assert_int_eq (mf_sched_unverifiable (s, &uj, &ut), 0);
    ck_assert (uj == job && ut == x.tile);
    //  Someone else may.
    int b = mf_sched_worker_add (s, 1, 8);
    ck_assert_int_eq (mf_sched_unverifiable (s, &uj, &ut), -1);
    ck_assert_int_eq (mf_sched_next (s, 0, &y), 0);
    ck_assert (y.worker == b && y.tile == x.tile);
    ck_assert_int_eq (mf_sched_check (s, b, job, y.tile, y.lease, &y.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    ck_assert_int_eq (mf_sched_accept (s, b, job, y.tile, y.lease), MF_ACCEPTED_SECOND);
    mf_sched_settle (s, job, y.tile);
    mf_sched_job_progress (s, job, &done, &total);
    ck_assert_uint_eq (done, 1);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.verified, 1);
    //  A withdrawn result sends the tile back to the queue.
    ck_assert_int_eq (mf_sched_reopen (s, job, y.tile), 0);
    mf_sched_job_progress (s, job, &done, &total);
    ck_assert_uint_eq (done, 0);
    ck_assert_int_eq (mf_sched_reopen (s, job, y.tile), -1);
    mf_sched_worker_credit (s, b, 1);
    ck_assert_int_eq (mf_sched_next (s, 0, &y), 0);
    ck_assert_uint_eq (y.tile, x.tile);
    (void) a_again;
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (verification_share)
{
    //  About the asked share of tiles, the same ones every time.
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (640, 640, 8);      //  6400 tiles
    spec.verify_percent = 10;
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 10000, 1);
    mf_assign_t x;
    int first = 0;
    for (int index = 0; index < 6400; index++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
        uint32_t maxiter;
        mf_sched_check (s, a, job, x.tile, x.lease, &x.task.rect, &maxiter);
        first += mf_sched_accept (s, a, job, x.tile, x.lease) == MF_ACCEPTED_FIRST;
    }
    ck_assert_msg (first > 500 && first < 800, "%d of 6400 tiles verified", first);
    mf_sched_destroy (&s);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("sched");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, credit_bounds_leases);
    tcase_add_test (tc, every_tile_once_center_first);
    tcase_add_test (tc, round_robin);
    tcase_add_test (tc, accept_and_verdicts);
    tcase_add_test (tc, lost_worker_tiles_reissued_first);
    tcase_add_test (tc, backup_lease_at_the_end);
    tcase_add_test (tc, jobs_in_order_and_presets);
    tcase_add_test (tc, verification_needs_two_workers);
    tcase_add_test (tc, verification_share);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
