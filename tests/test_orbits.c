/*  mf_orbits: the worker's cache of shipped orbits and BLA tables. Real
    tables of the line location (doubles) and e318 (floatexp): the bound
    per point that decides which orbits a budget takes holds for them;
    tables are found by orbit and |c|max, bit for bit, and shared by
    reference; over budget the least recently used entry goes, never one
    a compute thread holds, which lives on until its last reference; a
    blob is kept once; dropping an orbit forgets its blob and tables; the
    refused ids are a ring of MF_ORBITS_BAD, forgotten on demand.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "orbits.h"
#include "mf_proto.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    mf_orbit_t *orbit;
    mf_deep_map_t map;
    mf_orbit_id_t id;
} s_view_t;

static void
s_view (s_view_t *view, const char *center, const char *zoom, uint32_t maxiter)
{
    char err [256];
    mf_deep_view_t *deep = mf_deep_view_new (center, NULL, zoom, 64, 36, err, sizeof err);
    ck_assert_msg (deep != NULL, "%s", err);
    mf_deep_view_map (deep, &view->map);
    view->orbit = mf_orbit_compute (deep, maxiter, NULL, err, sizeof err);
    ck_assert_msg (view->orbit != NULL, "%s", err);
    mf_deep_view_destroy (&deep);
    size_t size = mf_orbit_encoded_size (view->orbit);
    uint8_t *raw = malloc (size);
    mf_orbit_encode (view->orbit, raw, size);
    mf_ship_id (raw, size, &view->id);
    free (raw);
}

//  A table of the view's orbit for its |c|max scaled by 2^scale (another
//  frame of a movie: another map, the same orbit).
static mf_table_t *
s_table (const s_view_t *view, int scale)
{
    char err [256];
    mf_fexp_t cmax = mf_fexp_ldexp (mf_deep_map_cmax (&view->map), scale);
    mf_bla_t *bla = mf_bla_new (view->orbit, cmax, err, sizeof err);
    ck_assert_msg (bla != NULL, "%s", err);
    mf_table_t *table = mf_table_new (&view->id, cmax, &bla);
    ck_assert_ptr_nonnull (table);
    ck_assert_ptr_null (bla);
    return table;
}

static mf_fexp_t
s_cmax (const s_view_t *view, int scale)
{
    return mf_fexp_ldexp (mf_deep_map_cmax (&view->map), scale);
}

START_TEST (the_bound_per_point_holds)
{
    //  Building a table holds the orbit (2 or 4 doubles a point) and the
    //  table: together below the bound the budget is judged by.
    struct { const char *center, *zoom; uint32_t maxiter; uint64_t bound; } cases [] = {
        { LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, MF_ORBITS_POINT_DOUBLE },
        { LOC_E318_CENTER, LOC_E318_ZOOM, 20000, MF_ORBITS_POINT_FEXP },
    };
    for (size_t index = 0; index < 2; index++) {
        s_view_t view;
        s_view (&view, cases [index].center, cases [index].zoom, cases [index].maxiter);
        mf_table_t *table = s_table (&view, 0);
        uint64_t count = mf_orbit_count (view.orbit);
        uint64_t orbit = count * (mf_orbit_type (view.orbit) == MF_DELTA_FEXP? 32: 16);
        uint64_t held = mf_bla_bytes (mf_table_bla (table)) + orbit;
        printf ("the_bound_per_point_holds: %llu points, %.1f bytes a point (bound %llu)\n",
                (unsigned long long) count, (double) held / (double) count,
                (unsigned long long) cases [index].bound);
        ck_assert_uint_le (held, count * cases [index].bound);
        mf_table_unref (&table);
        mf_orbit_destroy (&view.orbit);
    }
}
END_TEST

START_TEST (raw_limit_by_wire_and_budget)
{
    mf_orbits_t *orbits = mf_orbits_new (100u << 20);
    //  A small maxiter: the wire's bound (maxiter + 1 points).
    ck_assert_uint_eq (mf_orbits_raw_limit (orbits, 1000, MF_DELTA_DOUBLE),
                       mf_proto_raw_max (1000, MF_DELTA_DOUBLE));
    //  A large one: what 100 MiB hold at the bound per point.
    uint64_t points = (100ull << 20) / MF_ORBITS_POINT_FEXP;
    ck_assert_uint_eq (mf_orbits_raw_limit (orbits, UINT32_MAX, MF_DELTA_FEXP),
                       MF_ORBIT_HEADER + points * MF_ORBIT_POINT_FEXP);
    points = (100ull << 20) / MF_ORBITS_POINT_DOUBLE;
    ck_assert_uint_eq (mf_orbits_raw_limit (orbits, UINT32_MAX, MF_DELTA_DOUBLE),
                       MF_ORBIT_HEADER + points * MF_ORBIT_POINT_DOUBLE);
    mf_orbits_destroy (&orbits);
    mf_orbits_destroy (&orbits);                //  safe twice
    ck_assert_ptr_null (orbits);
    //  Below a MiB, a MiB.
    orbits = mf_orbits_new (10);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert_uint_eq (stats.budget, 1u << 20);
    mf_orbits_destroy (&orbits);
}
END_TEST

START_TEST (tables_found_by_orbit_and_cmax)
{
    s_view_t view;
    s_view (&view, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_orbits_t *orbits = mf_orbits_new (256u << 20);
    mf_table_t *table = s_table (&view, 0);
    ck_assert_ptr_null (mf_orbits_table (orbits, &view.id, s_cmax (&view, 0)));
    ck_assert_int_eq (mf_orbits_put_table (orbits, table), 0);
    mf_table_t *found = mf_orbits_table (orbits, &view.id, s_cmax (&view, 0));
    ck_assert_ptr_eq (found, table);
    ck_assert (mf_table_is (found, &view.id, s_cmax (&view, 0)));
    mf_table_unref (&found);
    ck_assert_ptr_null (found);
    //  Another |c|max (one ulp away), another orbit: not this table.
    mf_fexp_t next = s_cmax (&view, 0);
    next.m = nextafter (next.m, 2.0);
    ck_assert_ptr_null (mf_orbits_table (orbits, &view.id, next));
    mf_orbit_id_t other = view.id;
    other.bytes [5] ^= 1;
    ck_assert_ptr_null (mf_orbits_table (orbits, &other, s_cmax (&view, 0)));
    //  The same table again (two builds of one key): one kept.
    mf_table_t *twin = s_table (&view, 0);
    ck_assert_int_eq (mf_orbits_put_table (orbits, twin), 0);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert_uint_eq (stats.tables, 1);
    ck_assert_uint_eq (stats.bytes, mf_bla_bytes (mf_table_bla (table)));
    mf_table_unref (&twin);
    //  The caller's reference outlives the cache.
    mf_orbits_destroy (&orbits);
    ck_assert_uint_eq (mf_bla_type (mf_table_bla (table)), MF_DELTA_DOUBLE);
    mf_table_unref (&table);
    mf_orbit_destroy (&view.orbit);
}
END_TEST

//  Keeps a table of the view for 2^scale, the cache's reference only.
static void
s_put (mf_orbits_t *orbits, const s_view_t *view, int scale)
{
    mf_table_t *table = s_table (view, scale);
    ck_assert_int_eq (mf_orbits_put_table (orbits, table), 0);
    mf_table_unref (&table);
}

//  Whether the cache holds the table for 2^scale (a use).
static bool
s_holds (mf_orbits_t *orbits, const s_view_t *view, int scale)
{
    mf_table_t *table = mf_orbits_table (orbits, &view->id, s_cmax (view, scale));
    bool held = table != NULL;
    mf_table_unref (&table);
    return held;
}

START_TEST (least_recently_used_goes_first)
{
    //  A budget of a MiB: a blob and three tables fill it but half a
    //  table, so a fourth table evicts one entry.
    s_view_t view;
    s_view (&view, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_table_t *probe = s_table (&view, 0);
    size_t bytes = mf_bla_bytes (mf_table_bla (probe));
    mf_table_unref (&probe);
    mf_orbits_t *orbits = mf_orbits_new (1u << 20);
    ck_assert_uint_lt (4 * bytes, 1u << 20);
    size_t pad = (1u << 20) - 3 * bytes - bytes / 2;
    uint8_t *blob = calloc (1, pad);
    mf_orbit_id_t pad_id = { { 0xee } };
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &pad_id, &blob, pad), 0);
    ck_assert_ptr_null (blob);
    for (int index = 0; index < 3; index++)
        s_put (orbits, &view, index);
    //  Use table 0, then the blob: table 1 is the least recently used.
    ck_assert (s_holds (orbits, &view, 0));
    size_t size;
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &pad_id, &size));
    ck_assert_uint_eq (size, pad);
    s_put (orbits, &view, 3);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert_uint_eq (stats.evicted, 1);
    ck_assert_uint_le (stats.bytes, stats.budget);
    ck_assert (!s_holds (orbits, &view, 1));
    ck_assert (s_holds (orbits, &view, 0) && s_holds (orbits, &view, 2)
               && s_holds (orbits, &view, 3));
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &pad_id, &size));
    //  Now the order of use is 0, 2, 3, blob. A compute thread holds
    //  table 0 (our reference): table 2 goes instead when 1 comes back.
    mf_table_t *in_use = mf_orbits_table (orbits, &view.id, s_cmax (&view, 0));
    ck_assert_ptr_nonnull (in_use);
    s_put (orbits, &view, 1);
    mf_orbits_stats (orbits, &stats);
    ck_assert_uint_eq (stats.evicted, 2);
    ck_assert (!s_holds (orbits, &view, 2));
    mf_table_t *kept = mf_orbits_table (orbits, &view.id, s_cmax (&view, 0));
    ck_assert_ptr_eq (kept, in_use);
    mf_table_unref (&kept);
    //  The table in use lives on after its cache is gone.
    mf_orbits_destroy (&orbits);
    ck_assert_uint_eq (mf_bla_points_count (mf_table_bla (in_use)), mf_orbit_count (view.orbit));
    mf_table_unref (&in_use);
    mf_orbit_destroy (&view.orbit);
}
END_TEST

START_TEST (held_tables_are_never_evicted)
{
    //  Fill a MiB with tables that compute threads hold: the next cannot
    //  be kept (the caller still uses it, uncached); once one is let go,
    //  it makes room.
    s_view_t view;
    s_view (&view, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_table_t *probe = s_table (&view, 0);
    size_t bytes = mf_bla_bytes (mf_table_bla (probe));
    mf_table_unref (&probe);
    int fit = (int) ((1u << 20) / bytes);
    ck_assert_int_ge (fit, 2);
    ck_assert_int_le (fit, 64);
    mf_orbits_t *orbits = mf_orbits_new (1u << 20);
    mf_table_t *held [64];
    for (int index = 0; index < fit; index++) {
        held [index] = s_table (&view, index);
        ck_assert_int_eq (mf_orbits_put_table (orbits, held [index]), 0);
    }
    mf_table_t *more = s_table (&view, fit);
    ck_assert_int_eq (mf_orbits_put_table (orbits, more), -1);
    ck_assert (!s_holds (orbits, &view, fit));
    for (int index = 0; index < fit; index++)
        ck_assert (s_holds (orbits, &view, index));
    //  Table fit / 2 is let go: it is the one that makes room.
    mf_table_unref (&held [fit / 2]);
    ck_assert_int_eq (mf_orbits_put_table (orbits, more), 0);
    for (int index = 0; index < fit; index++)
        ck_assert_msg (s_holds (orbits, &view, index) == (index != fit / 2), "table %d", index);
    ck_assert (s_holds (orbits, &view, fit));
    mf_orbits_destroy (&orbits);
    for (int index = 0; index < fit; index++)
        mf_table_unref (&held [index]);
    mf_table_unref (&more);
    mf_orbit_destroy (&view.orbit);
}
END_TEST

START_TEST (room_is_made_or_refused)
{
    //  Room for a table's build: what nobody holds is evicted for it;
    //  what a compute thread holds is not, until it is let go.
    s_view_t view;
    s_view (&view, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    uint64_t raw = mf_orbit_encoded_size (view.orbit);
    uint64_t need = mf_orbits_build_bytes (raw, MF_DELTA_DOUBLE);
    ck_assert_uint_eq (need, mf_orbit_count (view.orbit) * MF_ORBITS_POINT_DOUBLE);
    ck_assert_uint_eq (mf_orbits_build_bytes (MF_ORBIT_HEADER + 10 * MF_ORBIT_POINT_FEXP,
                                              MF_DELTA_FEXP), 10 * MF_ORBITS_POINT_FEXP);
    mf_orbits_t *orbits = mf_orbits_new (1u << 20);
    ck_assert_int_eq (mf_orbits_room (orbits, 1u << 20, NULL), 0);
    ck_assert_int_eq (mf_orbits_room (orbits, (1u << 20) + 1, NULL), -1);
    //  Fill the MiB with tables, all held.
    mf_table_t *held [64];
    int count = 0;
    while (mf_orbits_room (orbits, need, NULL) == 0) {
        ck_assert_int_lt (count, 64);
        held [count] = s_table (&view, count);
        ck_assert_int_eq (mf_orbits_put_table (orbits, held [count]), 0);
        count++;
    }
    ck_assert_int_ge (count, 2);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert_uint_gt (stats.bytes + need, stats.budget);
    //  No room: nothing is evicted for nothing (a blob stays).
    uint8_t *blob = calloc (1, 100);
    mf_orbit_id_t blob_id = { { 0x77 } };
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &blob_id, &blob, 100), 0);
    ck_assert_int_eq (mf_orbits_room (orbits, need, NULL), -1);
    size_t size;
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &blob_id, &size));
    //  One let go: room again, at its cost; the blob to keep stays, even
    //  when it was used longer ago than the table that goes.
    mf_table_unref (&held [0]);
    ck_assert_int_eq (mf_orbits_room (orbits, need + 100, &blob_id), 0);
    ck_assert (!s_holds (orbits, &view, 0));
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &blob_id, &size));
    for (int index = 1; index < count; index++) {
        ck_assert (s_holds (orbits, &view, index));
        mf_table_unref (&held [index]);
    }
    mf_orbits_destroy (&orbits);
    mf_orbit_destroy (&view.orbit);
}
END_TEST

START_TEST (blobs_kept_once_and_dropped)
{
    mf_orbits_t *orbits = mf_orbits_new (4u << 20);
    mf_orbit_id_t id = { { 1, 2, 3 } };
    uint8_t *blob = malloc (1000);
    memset (blob, 0xab, 1000);
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &id, &blob, 1000), 0);
    uint8_t *again = malloc (1000);
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &id, &again, 1000), 0);
    ck_assert_ptr_null (again);
    size_t size;
    const uint8_t *held = mf_orbits_blob (orbits, &id, &size);
    ck_assert (held && size == 1000 && held [999] == 0xab);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert (stats.blobs == 1 && stats.bytes == 1000);
    //  Beyond the budget whatever is evicted: kept all the same (the
    //  tiles waiting need it), and nothing is evicted for it.
    uint8_t *huge = malloc (5u << 20);
    mf_orbit_id_t big = { { 9 } };
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &big, &huge, 5u << 20), 0);
    ck_assert_ptr_null (huge);
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &id, &size));
    ck_assert_ptr_nonnull (mf_orbits_blob (orbits, &big, &size));
    mf_orbits_stats (orbits, &stats);
    ck_assert (stats.blobs == 2 && stats.bytes == (5u << 20) + 1000);
    //  The next one that fits makes room as usual: both go.
    uint8_t *next = malloc (3u << 20);
    mf_orbit_id_t third = { { 10 } };
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &third, &next, 3u << 20), 0);
    mf_orbits_stats (orbits, &stats);
    ck_assert (stats.blobs == 1 && stats.bytes == 3u << 20);
    mf_orbits_drop (orbits, &third);
    memset (blob = malloc (1000), 0xab, 1000);
    ck_assert_int_eq (mf_orbits_put_blob (orbits, &id, &blob, 1000), 0);
    //  Dropping an orbit forgets its blob.
    mf_orbits_drop (orbits, &id);
    ck_assert_ptr_null (mf_orbits_blob (orbits, &id, &size));
    mf_orbits_stats (orbits, &stats);
    ck_assert (stats.blobs == 0 && stats.bytes == 0);
    mf_orbits_destroy (&orbits);
}
END_TEST

START_TEST (drop_forgets_every_table_of_an_orbit)
{
    s_view_t view;
    s_view (&view, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_orbits_t *orbits = mf_orbits_new (256u << 20);
    for (int index = 0; index < 3; index++) {
        mf_table_t *table = s_table (&view, index);
        ck_assert_int_eq (mf_orbits_put_table (orbits, table), 0);
        mf_table_unref (&table);
    }
    mf_orbits_drop (orbits, &view.id);
    mf_orbits_stats_t stats;
    mf_orbits_stats (orbits, &stats);
    ck_assert (stats.tables == 0 && stats.bytes == 0);
    mf_orbits_destroy (&orbits);
    mf_orbit_destroy (&view.orbit);
}
END_TEST

START_TEST (bad_ids_are_a_ring)
{
    mf_orbits_t *orbits = mf_orbits_new (1u << 20);
    mf_orbit_id_t ids [MF_ORBITS_BAD + 1];
    for (int index = 0; index <= MF_ORBITS_BAD; index++) {
        memset (&ids [index], 0, sizeof ids [index]);
        ids [index].bytes [0] = (uint8_t) index;
        ids [index].bytes [31] = 0x5a;
    }
    ck_assert_int_eq (mf_orbits_bad (orbits, &ids [0]), 0);
    ck_assert (mf_orbits_mark_bad (orbits, &ids [0], 7));
    ck_assert (!mf_orbits_mark_bad (orbits, &ids [0], 8));      //  once, the first reason
    ck_assert_int_eq (mf_orbits_bad (orbits, &ids [0]), 7);
    for (int index = 1; index <= MF_ORBITS_BAD; index++)
        ck_assert (mf_orbits_mark_bad (orbits, &ids [index], index));
    //  The oldest made room.
    ck_assert_int_eq (mf_orbits_bad (orbits, &ids [0]), 0);
    for (int index = 1; index <= MF_ORBITS_BAD; index++)
        ck_assert_int_eq (mf_orbits_bad (orbits, &ids [index]), index);
    mf_orbits_forget_bad (orbits);
    for (int index = 0; index <= MF_ORBITS_BAD; index++)
        ck_assert_int_eq (mf_orbits_bad (orbits, &ids [index]), 0);
    mf_orbits_destroy (&orbits);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("orbits");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, the_bound_per_point_holds);
    tcase_add_test (tc, raw_limit_by_wire_and_budget);
    tcase_add_test (tc, tables_found_by_orbit_and_cmax);
    tcase_add_test (tc, least_recently_used_goes_first);
    tcase_add_test (tc, held_tables_are_never_evicted);
    tcase_add_test (tc, room_is_made_or_refused);
    tcase_add_test (tc, blobs_kept_once_and_dropped);
    tcase_add_test (tc, drop_forgets_every_table_of_an_orbit);
    tcase_add_test (tc, bad_ids_are_a_ring);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
