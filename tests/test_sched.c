/*  The scheduler: credit, leases, center-first order, re-issue of lost
    work, backups near the end and for overdue tiles, deadlines from the
    measured speed, workers that return nothing, the secret choice of
    verified tiles, arbitration, the verdicts on results and declines,
    and the workers kept from a job whose orbit they refused. */
#include "helpers.h"
#include "mf_proto.h"
#include "sched.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

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

START_TEST (horizon_holds_a_poster_window)
{
    //  A poster's grid, in rows of tiles: 4 x 3 tiles, the first two rows
    //  open. Tiles past the horizon wait until it moves on.
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (64, 48, 16);
    mf_tiles_t *tiles = mf_tiles_new_rows (64, 48, 16);
    uint32_t job = mf_sched_job_add_grid (s, &spec, &tiles, NULL);
    ck_assert_uint_ne (job, 0);
    ck_assert_int_eq (mf_sched_job_horizon (s, job, 8), 0);
    ck_assert_int_eq (mf_sched_job_horizon (s, job + 1, 8), -1);
    mf_sched_worker_add (s, 100, 1);
    mf_assign_t a;
    for (uint32_t tile = 0; tile < 8; tile++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
        ck_assert_uint_eq (a.tile, tile);           //  row order
    }
    ck_assert_int_eq (mf_sched_next (s, 0, &a), -1);
    //  Past the count: every tile.
    ck_assert_int_eq (mf_sched_job_horizon (s, job, 1000), 0);
    for (uint32_t tile = 8; tile < 12; tile++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
        ck_assert_uint_eq (a.tile, tile);
    }
    ck_assert_int_eq (mf_sched_next (s, 0, &a), -1);
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
    mf_sched_accept (s, a, job, x.tile, x.lease, 0, 0);
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
    mf_job_spec_t spec = s_spec (32, 16, 16);       //  two tiles
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int slow = mf_sched_worker_add (s, 1, 9), fast = mf_sched_worker_add (s, 1, 10);
    mf_assign_t x, y, z;
    ck_assert_int_eq (mf_sched_next (s, 10, &x), 0);
    ck_assert_int_eq (mf_sched_next (s, 10, &z), 0);
    ck_assert (x.worker == slow && z.worker == fast);
    //  The fast one is done; with nothing pending it backs up the slow one.
    uint32_t maxiter;
    ck_assert_int_eq (mf_sched_check (s, fast, job, z.tile, z.lease, &z.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    mf_sched_accept (s, fast, job, z.tile, z.lease, 15, 1000);
    mf_sched_worker_credit (s, fast, 1);
    ck_assert_int_eq (mf_sched_next (s, 20, &y), 0);
    ck_assert (y.backup && y.worker == fast && y.tile == x.tile && y.lease != x.lease);
    //  Never a third lease on one tile before its deadline.
    int third = mf_sched_worker_add (s, 1, 11);
    ck_assert_int_eq (mf_sched_next (s, 30, &y), -1);
    //  The backup wins; the slow worker's result becomes a duplicate.
    ck_assert_int_eq (mf_sched_check (s, fast, job, y.tile, y.lease, &y.task.rect, &maxiter),
                      MF_VERDICT_ACCEPT);
    mf_sched_accept (s, fast, job, y.tile, y.lease, 40, 1000);
    ck_assert_uint_eq (mf_sched_worker_leases (s, slow), 0);
    ck_assert_int_eq (mf_sched_check (s, slow, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_DUPLICATE);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.backups, 1);
    ck_assert_uint_eq (counters.overdue, 0);
    ck_assert_uint_eq (counters.accepted, 2);
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
    ck_assert_int_eq (mf_sched_accept (s, a, job, x.tile, x.lease, 0, 0), MF_ACCEPTED_FIRST);
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
    ck_assert_int_eq (mf_sched_accept (s, b, job, y.tile, y.lease, 0, 0), MF_ACCEPTED_SECOND);
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
    //  About the asked share of tiles.
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (640, 640, 8);      //  6400 tiles
    spec.verify_percent = 10;
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 10000, 1);
    mf_assign_t x;
    int first = 0;
    for (int index = 0; index < 6400; index++) {
        if (index == 4096)
            mf_sched_worker_credit (s, a, 4096);     //  credit is capped at 4096
        ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
        uint32_t maxiter;
        mf_sched_check (s, a, job, x.tile, x.lease, &x.task.rect, &maxiter);
        first += mf_sched_accept (s, a, job, x.tile, x.lease, 0, 0) == MF_ACCEPTED_FIRST;
    }
    ck_assert_msg (first > 500 && first < 800, "%d of 6400 tiles verified", first);
    mf_sched_destroy (&s);
}
END_TEST

//  Deadlines of a test: a 1 s floor, 4 times the measured time, 10 ns per
//  iteration before any measure.
static void
s_deadlines (mf_sched_t *s)
{
    mf_sched_deadlines_t d = { .floor_ms = 1000, .factor = 4, .unmeasured_ns = 10.0 };
    mf_sched_set_deadlines (s, &d);
}

//  Checks and accepts a result of assignment a at now with iterations.
static mf_accepted_t
s_deliver (mf_sched_t *s, const mf_assign_t *a, int64_t now, uint64_t iterations)
{
    uint32_t maxiter;
    ck_assert_int_eq (mf_sched_check (s, a->worker, a->job, a->tile, a->lease, &a->task.rect,
                                      &maxiter), MF_VERDICT_ACCEPT);
    return mf_sched_accept (s, a->worker, a->job, a->tile, a->lease, now, iterations);
}

START_TEST (deadline_from_measured_speed)
{
    mf_sched_t *s = mf_sched_new ();
    s_deadlines (s);
    mf_job_spec_t spec = s_spec (96, 32, 32);       //  3 tiles of 1024 pixels, maxiter 100
    mf_sched_job_add (s, &spec, NULL);
    int one = mf_sched_worker_add (s, 2, 1), two = mf_sched_worker_add (s, 1, 2);
    mf_assign_t a, b, c;
    ck_assert_int_eq (mf_sched_next (s, 1000, &a), 0);
    ck_assert_int_eq (mf_sched_next (s, 1000, &c), 0);
    ck_assert_int_eq (mf_sched_next (s, 1000, &b), 0);
    ck_assert (a.worker == one && b.worker == one && c.worker == two);
    //  Nothing measured: the floor plus 10 ns for each of the 102400
    //  iterations the tile may take (1.024 ms, whole msecs).
    ck_assert_int_eq (mf_sched_lease_deadline (s, one, b.lease), 1000 + 1000 + 1);
    //  A result 500 ms after its hand-out, 51200 iterations: 5/512 ms per
    //  iteration; b may take 4 x 102400 of them.
    s_deliver (s, &a, 1500, 51200);
    ck_assert_int_eq (mf_sched_lease_deadline (s, one, b.lease), 1000 + 1000 + 4000);
    //  The slowest worker sets the pace: twice as slow, twice the time.
    s_deliver (s, &c, 2000, 51200);
    ck_assert_int_eq (mf_sched_lease_deadline (s, one, b.lease), 1000 + 1000 + 8000);
    ck_assert_int_eq (mf_sched_lease_deadline (s, one, 12345), -1);
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (overdue_tile_backed_up_however_many_hold_it)
{
    mf_sched_t *s = mf_sched_new ();
    s_deadlines (s);
    mf_job_spec_t spec = s_spec (80, 16, 16);       //  5 tiles of 256 pixels
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int w [5];
    mf_assign_t first [5];
    for (int index = 0; index < 5; index++)
        w [index] = mf_sched_worker_add (s, 1, index + 1);
    for (int index = 0; index < 5; index++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &first [index]), 0);
        ck_assert_int_eq (first [index].worker, w [index]);
    }
    //  All but the first deliver in 100 ms, all 25600 iterations: the
    //  first's lease is due at 1000 + 4 x 100 ms.
    for (int index = 1; index < 5; index++) {
        s_deliver (s, &first [index], 100, 25600);
        mf_sched_worker_credit (s, w [index], 1);
    }
    ck_assert_int_eq (mf_sched_lease_deadline (s, w [0], first [0].lease), 1400);
    //  Nothing pending: one backup of the tile out with one worker.
    mf_assign_t x;
    ck_assert_int_eq (mf_sched_next (s, 200, &x), 0);
    ck_assert (x.backup && x.tile == first [0].tile);
    //  Two workers hold it and neither lease is due: no third.
    ck_assert_int_eq (mf_sched_next (s, 300, &x), -1);
    //  Overdue: backups however many hold it, up to the most per tile.
    ck_assert_int_eq (mf_sched_next (s, 1401, &x), 0);
    ck_assert (x.backup && x.tile == first [0].tile);
    ck_assert_int_eq (mf_sched_next (s, 1401, &x), 0);
    ck_assert (x.backup && x.tile == first [0].tile);
    ck_assert_int_eq (mf_sched_next (s, 1401, &x), -1);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.backups, 3);
    ck_assert_uint_eq (counters.overdue, 2);
    ck_assert_uint_eq (MF_SCHED_TILE_LEASES, 4);
    (void) job;
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (newcomer_backs_up_overdue_tiles)
{
    //  Peers that never answer took every tile; a worker joins later.
    //  Nothing measured yet: the leases fall due at 1000 + 256 x 100 x
    //  10 ns (0.256 ms) after their hand-out.
    mf_sched_t *s = mf_sched_new ();
    s_deadlines (s);
    mf_job_spec_t spec = s_spec (64, 16, 16);       //  4 tiles of 256 pixels
    mf_sched_job_add (s, &spec, NULL);
    mf_sched_worker_add (s, 1024, 1);
    mf_sched_worker_add (s, 1024, 2);
    mf_assign_t x;
    for (int index = 0; index < 4; index++)
        ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
    ck_assert_int_eq (mf_sched_next (s, 0, &x), -1);
    int late = mf_sched_worker_add (s, 3, 3);
    ck_assert_int_eq (mf_sched_next (s, 1000, &x), -1);
    //  Overdue: the tiles go out again to whoever has credit and does not
    //  hold them: each peer backs up the other's two, the newcomer takes
    //  three (its credit).
    int mine = 0, backups = 0;
    while (mf_sched_next (s, 1001, &x) == 0) {
        ck_assert (x.backup);
        backups++;
        mine += x.worker == late;
    }
    ck_assert_int_eq (backups, 2 + 2 + 3);
    ck_assert_int_eq (mine, 3);
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (black_hole_loses_leases_and_credit)
{
    mf_sched_t *s = mf_sched_new ();
    s_deadlines (s);
    mf_job_spec_t spec = s_spec (128, 16, 16);      //  8 tiles of 256 pixels
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int hole = mf_sched_worker_add (s, 1024, 1), worker = mf_sched_worker_add (s, 1, 2);
    mf_assign_t mine, x;
    int taken = 0;
    while (mf_sched_next (s, 0, &x) == 0)
        if (x.worker == worker)
            mine = x;
        else
            taken++;
    ck_assert_int_eq (taken, 7);
    //  Nobody has delivered: however late it is, the farm may just be
    //  slow, and nobody loses anything.
    int slots [4];
    uint32_t taken_back [4];
    ck_assert_uint_eq (mf_sched_expire (s, 1000000, slots, taken_back, 4), 0);
    //  Peers that never delivered get no backups before a deadline:
    //  black holes would take each other's tiles.
    int other_hole = mf_sched_worker_add (s, 1024, 3);
    ck_assert_int_eq (mf_sched_next (s, 0, &x), -1);
    //  The worker delivers at 100 ms: the hole's leases fall due at 1400.
    s_deliver (s, &mine, 100, 25600);
    ck_assert_uint_eq (mf_sched_expire (s, 1400, slots, taken_back, 4), 0);
    ck_assert_uint_eq (mf_sched_expire (s, 1401, slots, taken_back, 4), 1);
    ck_assert_int_eq (slots [0], hole);
    ck_assert_uint_eq (taken_back [0], 7);
    ck_assert_uint_eq (mf_sched_worker_leases (s, hole), 0);
    ck_assert_uint_eq (mf_sched_worker_results (s, hole), 0);
    ck_assert_uint_eq (mf_sched_worker_results (s, worker), 1);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.expired, 7);
    //  Its credit is gone too; the tiles are pending again, for anyone.
    mf_sched_worker_remove (s, other_hole);
    mf_sched_worker_credit (s, worker, 2);
    mf_assign_t p, q;
    ck_assert_int_eq (mf_sched_next (s, 1500, &p), 0);
    ck_assert_int_eq (mf_sched_next (s, 1500, &q), 0);
    ck_assert (p.worker == worker && q.worker == worker && !p.backup && !q.backup);
    ck_assert_int_eq (mf_sched_next (s, 1500, &x), -1);
    //  A worker that answers keeps its leases, however overdue one is.
    s_deliver (s, &p, 1600, 25600);
    ck_assert_uint_eq (mf_sched_expire (s, 1000000, slots, taken_back, 4), 0);
    ck_assert_uint_eq (mf_sched_worker_leases (s, worker), 1);
    (void) job;
    mf_sched_destroy (&s);
}
END_TEST

//  Runs a job of 10000 tiles verifying percent % through one worker with
//  the given secret: the TILE messages' bytes go into tiles (MF_SIZE_TILE
//  each), the decisions into first. Returns how many were chosen.
static int
s_verify_run (const uint8_t *secret, uint32_t percent, uint8_t *tiles, uint8_t *first)
{
    mf_sched_t *s = mf_sched_new ();
    mf_sched_set_secret (s, secret);
    mf_job_spec_t spec = s_spec (800, 800, 8);
    spec.verify_percent = percent;
    mf_sched_job_add (s, &spec, NULL);
    mf_sched_worker_add (s, 4096, 1);
    int chosen = 0;
    for (int index = 0; index < 10000; index++) {
        mf_assign_t a;
        if (index % 4096 == 0)
            mf_sched_worker_credit (s, 0, 4096);
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
        mf_tile_msg_t tile = { a.job, a.tile, a.lease, a.task };
        ck_assert_uint_eq (mf_proto_encode_tile (tiles + (size_t) index * MF_SIZE_TILE,
                                                 MF_SIZE_TILE, &tile), MF_SIZE_TILE);
        first [index] = s_deliver (s, &a, 0, 0) == MF_ACCEPTED_FIRST;
        chosen += first [index];
    }
    mf_sched_destroy (&s);
    return chosen;
}

START_TEST (verified_tiles_chosen_by_a_secret)
{
    uint8_t key_a [MF_SCHED_SECRET], key_b [MF_SCHED_SECRET];
    for (int index = 0; index < MF_SCHED_SECRET; index++) {
        key_a [index] = (uint8_t) index;
        key_b [index] = (uint8_t) (index * 29 + 7);
    }
    uint8_t *tiles_a = malloc (10000 * MF_SIZE_TILE), *tiles_b = malloc (10000 * MF_SIZE_TILE);
    uint8_t first_a [10000], first_b [10000], first_again [10000];
    //  About P %: 3000 of 10000 at 30 %, within 5 standard deviations (46).
    int chosen_a = s_verify_run (key_a, 30, tiles_a, first_a);
    int chosen_b = s_verify_run (key_b, 30, tiles_b, first_b);
    ck_assert_msg (chosen_a > 2770 && chosen_a < 3230, "%d of 10000 chosen", chosen_a);
    ck_assert_msg (chosen_b > 2770 && chosen_b < 3230, "%d of 10000 chosen", chosen_b);
    //  Every TILE message is the same byte for byte under both secrets,
    //  yet the choices differ (a tile is chosen by one and not the other
    //  2 x 0.3 x 0.7 = 42 % of the time): nothing a worker receives
    //  before it answers says whether its answer will be checked.
    ck_assert (memcmp (tiles_a, tiles_b, 10000 * MF_SIZE_TILE) == 0);
    int differ = 0;
    for (int index = 0; index < 10000; index++)
        differ += first_a [index] != first_b [index];
    ck_assert_msg (differ > 3700 && differ < 4700, "%d choices differ", differ);
    //  The same secret, the same choices.
    s_verify_run (key_a, 30, tiles_b, first_again);
    ck_assert (memcmp (first_a, first_again, sizeof first_a) == 0);
    //  The ends: none at 0 %, all at 100 %.
    mf_sched_t *s = mf_sched_new ();
    mf_sched_set_secret (s, key_a);
    for (uint32_t lease = 1; lease < 1000; lease++) {
        ck_assert (!mf_sched_draw (s, 1, lease % 7, lease, 0));
        ck_assert (mf_sched_draw (s, 1, lease % 7, lease, 100));
    }
    mf_sched_destroy (&s);
    free (tiles_a);
    free (tiles_b);
}
END_TEST

START_TEST (arbitrated_tile_is_held)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (16, 16, 16);       //  one tile
    spec.verify_percent = 100;
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int a = mf_sched_worker_add (s, 1, 1), b = mf_sched_worker_add (s, 1, 2);
    mf_assign_t x, y;
    ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
    ck_assert_int_eq (s_deliver (s, &x, 10, 100), MF_ACCEPTED_FIRST);
    ck_assert_int_eq (mf_sched_arbitrate (s, job, x.tile), 0);
    ck_assert (mf_sched_arbitrating (s, job, x.tile));
    ck_assert_int_eq (mf_sched_arbitrate (s, job, x.tile), -1);
    //  Nobody gets it while the master computes it, not even as a backup.
    mf_sched_worker_credit (s, a, 1);
    ck_assert_int_eq (mf_sched_next (s, 100000, &y), -1);
    uint32_t uj, ut;
    ck_assert_int_eq (mf_sched_unverifiable (s, &uj, &ut), -1);
    //  Withdrawn (its first worker was found faulty elsewhere): pending again.
    ck_assert_int_eq (mf_sched_reopen (s, job, x.tile), 0);
    ck_assert (!mf_sched_arbitrating (s, job, x.tile));
    ck_assert_int_eq (mf_sched_next (s, 0, &y), 0);
    ck_assert_int_eq (s_deliver (s, &y, 20, 100), MF_ACCEPTED_FIRST);
    //  A second-opinion lease out when the arbitration starts ends: its
    //  result is late.
    ck_assert_int_eq (mf_sched_next (s, 0, &x), 0);
    ck_assert_int_eq (x.worker, y.worker == a? b: a);
    ck_assert_int_eq (mf_sched_arbitrate (s, job, x.tile), 0);
    uint32_t maxiter;
    ck_assert_int_eq (mf_sched_check (s, x.worker, job, x.tile, x.lease, &x.task.rect, &maxiter),
                      MF_VERDICT_LATE);
    mf_sched_settle (s, job, x.tile);
    uint32_t done, total;
    mf_sched_job_progress (s, job, &done, &total);
    ck_assert_uint_eq (done, 1);
    ck_assert (!mf_sched_arbitrating (s, job, x.tile));
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (one_grid_for_everyone)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (100, 60, 16);
    mf_tiles_t *tiles = mf_tiles_new (100, 60, 16);
    const mf_tiles_t *given = tiles;
    uint32_t job = mf_sched_job_add_grid (s, &spec, &tiles, NULL);
    ck_assert_uint_ne (job, 0);
    ck_assert_ptr_null (tiles);
    ck_assert_ptr_eq (mf_sched_job_tiles (s, job), given);
    //  Out of memory or not, the grid is taken.
    mf_tiles_t *none = NULL;
    ck_assert_uint_eq (mf_sched_job_add_grid (s, &spec, &none, NULL), 0);
    mf_sched_destroy (&s);
}
END_TEST


START_TEST (excluded_worker_gets_none_of_the_job)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (64, 64, 16);       //  16 tiles
    spec.deep = true;
    uint32_t deep = mf_sched_job_add (s, &spec, NULL);
    mf_job_spec_t plain = s_spec (32, 16, 16);      //  2 tiles, a younger job
    uint32_t other = mf_sched_job_add (s, &plain, NULL);
    int refuser = mf_sched_worker_add (s, 4, 1);
    ck_assert (!mf_sched_job_refused (s, deep));
    ck_assert_int_eq (mf_sched_job_exclude (s, deep, 1), 0);
    ck_assert_int_eq (mf_sched_job_exclude (s, deep, 1), 0);     //  once is enough
    ck_assert (mf_sched_job_excluded (s, deep, 1));
    ck_assert (!mf_sched_job_excluded (s, other, 1));
    ck_assert_int_eq (mf_sched_job_exclude (s, 999, 1), -1);
    //  Only the other job's tiles, then nothing: no first lease, no
    //  backup, however long it waits.
    mf_assign_t a;
    for (int index = 0; index < 2; index++) {
        ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
        ck_assert_uint_eq (a.job, other);
    }
    ck_assert_int_eq (mf_sched_next (s, 1000000, &a), -1);
    //  Nobody here can compute it.
    ck_assert (mf_sched_job_refused (s, deep));
    int taker = mf_sched_worker_add (s, 1, 2);
    ck_assert (!mf_sched_job_refused (s, deep));
    ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
    ck_assert_int_eq (a.worker, taker);
    ck_assert_uint_eq (a.job, deep);
    //  Overdue, the taker's tile would get a backup: never the refuser's.
    mf_sched_worker_credit (s, refuser, 4);
    ck_assert_int_eq (mf_sched_next (s, 100000000, &a), -1);
    mf_sched_worker_remove (s, taker);
    ck_assert (mf_sched_job_refused (s, deep));
    mf_sched_destroy (&s);
}
END_TEST

START_TEST (decline_ends_a_lease)
{
    mf_sched_t *s = mf_sched_new ();
    mf_job_spec_t spec = s_spec (32, 16, 16);       //  2 tiles
    uint32_t job = mf_sched_job_add (s, &spec, NULL);
    int w = mf_sched_worker_add (s, 1, 1);
    int other = mf_sched_worker_add (s, 0, 2);
    mf_assign_t a;
    ck_assert_int_eq (mf_sched_next (s, 0, &a), 0);
    //  Not its lease, or no such lease: foreign; the lease stands.
    ck_assert_int_eq (mf_sched_decline (s, other, job, a.tile, a.lease), MF_VERDICT_FOREIGN);
    ck_assert_int_eq (mf_sched_decline (s, w, job, a.tile, a.lease + 7), MF_VERDICT_FOREIGN);
    ck_assert_int_eq (mf_sched_decline (s, w, job, a.tile + 1, a.lease), MF_VERDICT_FOREIGN);
    ck_assert_uint_eq (mf_sched_worker_leases (s, w), 1);
    //  Its own: the lease ends, the tile is handed out again first.
    ck_assert_int_eq (mf_sched_decline (s, w, job, a.tile, a.lease), MF_VERDICT_ACCEPT);
    ck_assert_uint_eq (mf_sched_worker_leases (s, w), 0);
    ck_assert_int_eq (mf_sched_decline (s, w, job, a.tile, a.lease), MF_VERDICT_LATE);
    mf_sched_worker_credit (s, other, 1);
    mf_assign_t again;
    ck_assert_int_eq (mf_sched_next (s, 0, &again), 0);
    ck_assert_uint_eq (again.tile, a.tile);
    ck_assert_int_eq (again.worker, other);
    mf_sched_counters_t counters;
    mf_sched_counters (s, &counters);
    ck_assert_uint_eq (counters.reissued, 1);
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
    tcase_add_test (tc, horizon_holds_a_poster_window);
    tcase_add_test (tc, accept_and_verdicts);
    tcase_add_test (tc, lost_worker_tiles_reissued_first);
    tcase_add_test (tc, backup_lease_at_the_end);
    tcase_add_test (tc, jobs_in_order_and_presets);
    tcase_add_test (tc, verification_needs_two_workers);
    tcase_add_test (tc, verification_share);
    tcase_add_test (tc, deadline_from_measured_speed);
    tcase_add_test (tc, overdue_tile_backed_up_however_many_hold_it);
    tcase_add_test (tc, newcomer_backs_up_overdue_tiles);
    tcase_add_test (tc, black_hole_loses_leases_and_credit);
    tcase_add_test (tc, verified_tiles_chosen_by_a_secret);
    tcase_add_test (tc, arbitrated_tile_is_held);
    tcase_add_test (tc, one_grid_for_everyone);
    tcase_add_test (tc, excluded_worker_gets_none_of_the_job);
    tcase_add_test (tc, decline_ends_a_lease);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
