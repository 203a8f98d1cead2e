/*  mf_builder: the thread that turns shipped orbits into BLA tables. A
    table it builds has the bits of one built here directly; its pipe
    says when answers wait; an orbit that fails a check comes back with
    the reason (a wrong hash, bytes beyond the limit, an orbit of another
    number type than its lease); the same table asked for while it is
    queued or being built is built once; destroying it with builds queued
    and answers untaken leaks nothing (ASan says so).
*/
#include "deep_locations.h"
#include "helpers.h"
#include "builder.h"
#include "mf_util.h"

#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 60000                   //  msecs an answer may take at most

typedef struct {
    mf_orbit_t *orbit;
    mf_deep_map_t map;
    uint8_t *blob;
    size_t blob_size;
    uint64_t raw;
    mf_orbit_id_t id;
} s_packed_t;

static void
s_pack (s_packed_t *packed, const char *center, const char *zoom, uint32_t maxiter)
{
    char err [256];
    mf_deep_view_t *view = mf_deep_view_new (center, NULL, zoom, 64, 36, err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    mf_deep_view_map (view, &packed->map);
    packed->orbit = mf_orbit_compute (view, maxiter, NULL, err, sizeof err);
    ck_assert_msg (packed->orbit != NULL, "%s", err);
    mf_deep_view_destroy (&view);
    ck_assert_int_eq (mf_ship_pack_orbit (packed->orbit, &packed->id, &packed->blob,
                                          &packed->blob_size, &packed->raw, err, sizeof err), 0);
}

static mf_build_t
s_request (const s_packed_t *packed)
{
    uint8_t *copy = malloc (packed->blob_size);
    memcpy (copy, packed->blob, packed->blob_size);
    mf_build_t build = {
        .id = packed->id, .cmax = mf_deep_map_cmax (&packed->map), .type = packed->map.type,
        .blob = copy, .blob_size = packed->blob_size, .raw = packed->raw, .limit = 1u << 30
    };
    return build;
}

//  Waits for the builder's pipe, then takes one answer.
static void
s_answer (mf_builder_t *builder, mf_built_t *built)
{
    struct pollfd item = { mf_builder_fd (builder), POLLIN, 0 };
    ck_assert_int_eq (poll (&item, 1, WAIT_MS), 1);
    ck_assert_int_eq (mf_builder_next (builder, built), 1);
}

START_TEST (builds_the_same_table)
{
    s_packed_t packed;
    s_pack (&packed, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_builder_t *builder = mf_builder_new ();
    ck_assert_ptr_nonnull (builder);
    mf_built_t built;
    ck_assert_int_eq (mf_builder_next (builder, &built), 0);
    mf_build_t request = s_request (&packed);
    ck_assert_int_eq (mf_builder_submit (builder, &request), 0);
    ck_assert_ptr_null (request.blob);
    s_answer (builder, &built);
    ck_assert_msg (built.table != NULL, "%s", built.err);
    ck_assert (mf_orbit_id_equal (&built.id, &packed.id));
    ck_assert (mf_table_is (built.table, &packed.id, mf_deep_map_cmax (&packed.map)));
    //  The bits of a table built here.
    char err [256];
    mf_bla_t *direct = mf_bla_new (packed.orbit, mf_deep_map_cmax (&packed.map), err, sizeof err);
    const mf_bla_t *bla = mf_table_bla (built.table);
    ck_assert_uint_eq (mf_bla_bytes (bla), mf_bla_bytes (direct));
    ck_assert_int_eq (mf_bla_top (bla), mf_bla_top (direct));
    ck_assert_uint_eq (mf_bla_points_count (bla), mf_bla_points_count (direct));
    ck_assert (memcmp (mf_bla_points (bla), mf_bla_points (direct),
                       mf_bla_points_count (bla) * MF_BLA_POINT_DOUBLE * sizeof (double)) == 0);
    for (int level = 1; level <= mf_bla_top (bla); level++)
        ck_assert (memcmp (mf_bla_entry (bla, level, 0), mf_bla_entry (direct, level, 0),
                           MF_BLA_ENTRY_DOUBLE * sizeof (double)) == 0);
    mf_bla_destroy (&direct);
    mf_table_unref (&built.table);
    ck_assert_uint_eq (mf_builder_pending (builder), 0);
    mf_builder_destroy (&builder);
    mf_builder_destroy (&builder);
    ck_assert_ptr_null (builder);
    mf_orbit_destroy (&packed.orbit);
    free (packed.blob);
}
END_TEST

START_TEST (failed_checks_come_back)
{
    s_packed_t packed;
    s_pack (&packed, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    mf_builder_t *builder = mf_builder_new ();
    mf_build_t requests [3] = { s_request (&packed), s_request (&packed), s_request (&packed) };
    requests [0].id.bytes [0] ^= 1;                     //  not its hash
    requests [1].limit = packed.raw - 1;                //  beyond the limit
    requests [2].type = MF_DELTA_FEXP;                  //  the lease wants floatexp
    requests [2].cmax.e += 1;                           //  (another key than 1's)
    mf_ship_error_t want [3] = { MF_SHIP_E_HASH, MF_SHIP_E_LIMIT, MF_SHIP_E_ORBIT };
    const char *words [3] = { "hash to", "more than", "its lease wants floatexp" };
    for (int index = 0; index < 3; index++) {
        ck_assert_int_eq (mf_builder_submit (builder, &requests [index]), 0);
        mf_built_t built;
        s_answer (builder, &built);
        ck_assert_ptr_null (built.table);
        ck_assert_msg (built.why == want [index], "case %d: %s", index, built.err);
        ck_assert_msg (strstr (built.err, words [index]), "case %d: %s", index, built.err);
    }
    mf_builder_destroy (&builder);
    mf_orbit_destroy (&packed.orbit);
    free (packed.blob);
}
END_TEST

START_TEST (one_build_per_table)
{
    //  A table that takes a while (200,000 floatexp points), asked for
    //  six times at once: built once. Without the check, the five others
    //  would queue behind it.
    s_packed_t packed;
    s_pack (&packed, LOC_E318_CENTER, LOC_E318_ZOOM, 200000);
    mf_builder_t *builder = mf_builder_new ();
    for (int index = 0; index < 6; index++) {
        mf_build_t request = s_request (&packed);
        ck_assert_int_eq (mf_builder_submit (builder, &request), 0);
        ck_assert_uint_le (mf_builder_pending (builder), 1);
    }
    mf_built_t built;
    s_answer (builder, &built);
    ck_assert_msg (built.table != NULL, "%s", built.err);
    printf ("one_build_per_table: %lld ms for %llu points\n", (long long) built.took_ms,
            (unsigned long long) mf_orbit_count (packed.orbit));
    mf_table_unref (&built.table);
    ck_assert_uint_eq (mf_builder_pending (builder), 0);
    ck_assert_int_eq (mf_builder_next (builder, &built), 0);
    //  Another key of the same orbit is another build. Destroyed with it
    //  queued behind one in hand and an answer not taken: nothing leaks.
    for (int index = 0; index < 3; index++) {
        mf_build_t request = s_request (&packed);
        request.cmax.e += index;
        ck_assert_int_eq (mf_builder_submit (builder, &request), 0);
    }
    mf_builder_destroy (&builder);
    mf_orbit_destroy (&packed.orbit);
    free (packed.blob);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("builder");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, builds_the_same_table);
    tcase_add_test (tc, failed_checks_come_back);
    tcase_add_test (tc, one_build_per_table);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
