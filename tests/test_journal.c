/*  The checkpoint journal: records round-trip, damage is detected, a torn
    tail is cut off, and a journal of another render is refused. */
#include "helpers.h"
#include "journal.h"
#include "mf_proto.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path [600];

static void
s_setup (void)
{
    th_dir_setup ();
    snprintf (path, sizeof path, "%s/ck", th_dir);
}

static mf_job_spec_t
s_spec (void)
{
    //  40x30 in tiles of 16: 3 x 2 = 6 tiles; tiles 0 and 1 are 16x16,
    //  tile 2 is 8x16, tile 5 is 8x14.
    mf_job_spec_t spec = { .view = { -0.75, 0.1, 3.5, 40, 30 }, .maxiter = 500, .tile_edge = 16 };
    return spec;
}

typedef struct {
    uint32_t tiles [16];
    float first [16];                   //  first mu of each restored tile
    uint64_t owners [16];               //  owner of each restored tile
    int count;
} s_seen_t;

static void
s_collect (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_seen_t *seen = arg;
    seen->owners [seen->count] = owner;
    seen->tiles [seen->count] = tile;
    mf_le_get_f32s (&seen->first [seen->count], mu, 1);
    seen->count++;
}

//  A journal that must open, started (created, header written, torn
//  tail cut).
static mf_journal_t *
s_started (mf_journal_t *journal, const char *err)
{
    ck_assert_msg (journal != NULL, "%s", err);
    char why [256];
    ck_assert_msg (mf_journal_start (journal, why, sizeof why) == 0, "%s", why);
    return journal;
}

static void
s_fill (float *mu, size_t count, float value)
{
    for (size_t index = 0; index < count; index++)
        mu [index] = value + (float) index / 1000.0f;
}

START_TEST (record_round_trip)
{
    uint8_t buf [256], payload [16];
    float mu [4] = { -1.0f, 0.5f, 3.25f, 7.0f };
    mf_le_put_f32s (payload + 8, mu, 2);           //  an owner of 0, two floats
    memset (payload, 0, 8);
    size_t size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_DONE, 42, payload, 16);
    ck_assert_uint_eq (size, MF_JOURNAL_RECORD_HEAD + 16 + MF_JOURNAL_RECORD_TAIL);
    mf_journal_record_t record;
    ck_assert_uint_eq (mf_journal_decode (buf, size, &record), size);
    ck_assert (record.type == MF_JOURNAL_DONE && record.tile == 42 && record.payload_size == 16);
    ck_assert (memcmp (record.payload, payload, 16) == 0);
    //  A DONE must hold an owner and at least one value.
    ck_assert_uint_eq (mf_journal_decode (buf, mf_journal_encode (buf, sizeof buf,
                       MF_JOURNAL_DONE, 1, payload, 8), &record), 0);
    size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_DONE, 42, payload, 16);
    //  Every single flipped bit is caught, and every truncation.
    for (size_t bit = 0; bit < size * 8; bit++) {
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        ck_assert_msg (mf_journal_decode (buf, size, &record) == 0, "bit %zu", bit);
        buf [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    for (size_t cut = 0; cut < size; cut++)
        ck_assert_uint_eq (mf_journal_decode (buf, cut, &record), 0);
    //  Leases carry no payload; a DONE without one is impossible.
    size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_LEASED, 7, NULL, 0);
    ck_assert_uint_eq (mf_journal_decode (buf, size, &record), size);
    ck_assert (record.type == MF_JOURNAL_LEASED && record.tile == 7);
    size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_DONE, 7, NULL, 0);
    ck_assert_uint_eq (mf_journal_decode (buf, size, &record), 0);
    size = mf_journal_encode (buf, sizeof buf, (mf_journal_type_t) 'Q', 7, NULL, 0);
    ck_assert_uint_eq (mf_journal_decode (buf, size, &record), 0);
    ck_assert_uint_eq (mf_journal_encode (buf, 10, MF_JOURNAL_LEASED, 7, NULL, 0), 0);
}
END_TEST

START_TEST (replay_restores_done_tiles)
{
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info,
                                                        err, sizeof err), err);
    ck_assert (th_exists (path) && info.done == 0 && seen.count == 0);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    ck_assert_int_eq (mf_journal_leased (journal, 0), 0);
    ck_assert_int_eq (mf_journal_leased (journal, 5), 0);
    ck_assert_int_eq (mf_journal_leased (journal, 3), 0);
    ck_assert_int_eq (mf_journal_done (journal, 0, 0xabcdef0123ULL, mu, 256), 0);
    s_fill (mu, 8 * 14, 2.0f);
    ck_assert_int_eq (mf_journal_done (journal, 5, 0, mu, 8 * 14), 0);
    //  A tile done, then withdrawn (its worker was faulty): not restored.
    ck_assert_int_eq (mf_journal_leased (journal, 1), 0);
    s_fill (mu, 256, 9.0f);
    ck_assert_int_eq (mf_journal_done (journal, 1, 7, mu, 256), 0);
    ck_assert_int_eq (mf_journal_withdrawn (journal, 1), 0);
    mf_journal_destroy (&journal, false);
    ck_assert_ptr_null (journal);

    journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err),
                         err);
    ck_assert_uint_eq (info.done, 2);
    ck_assert_uint_eq (info.in_flight, 2);        //  tiles 3 and 1: handed out, not done
    ck_assert_uint_eq (info.records, 8);
    ck_assert_uint_eq (info.cut_bytes, 0);
    ck_assert_int_eq (seen.count, 2);
    ck_assert (seen.tiles [0] == 0 && seen.first [0] == 1.0f);
    ck_assert (seen.owners [0] == 0xabcdef0123ULL);
    ck_assert (seen.tiles [1] == 5 && seen.first [1] == 2.0f && seen.owners [1] == 0);
    mf_journal_destroy (&journal, true);
    ck_assert (!th_exists (path));
}
END_TEST

START_TEST (torn_tail_is_cut)
{
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info,
                                                        err, sizeof err), err);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    mf_journal_done (journal, 0, 0xabcdef0123ULL, mu, 256);
    mf_journal_done (journal, 1, 7, mu, 256);
    mf_journal_destroy (&journal, false);
    struct stat st;
    stat (path, &st);
    off_t whole = st.st_size;
    //  Tear the last record: its tail never made it to the disk.
    ck_assert_int_eq (truncate (path, whole - 7), 0);
    journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err),
                         err);
    ck_assert_uint_eq (info.done, 1);
    ck_assert (info.cut_bytes > 0);
    stat (path, &st);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER + 12 + 8 + 1024 + 4);
    //  Appending after the cut gives a clean journal again.
    mf_journal_done (journal, 1, 7, mu, 256);
    mf_journal_destroy (&journal, false);
    seen.count = 0;
    journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err),
                         err);
    ck_assert_uint_eq (info.done, 2);
    ck_assert_uint_eq (info.cut_bytes, 0);
    mf_journal_destroy (&journal, false);
    //  A corrupt byte inside the last record: the record is dropped.
    int fd = open (path, O_RDWR);
    uint8_t byte;
    stat (path, &st);
    ck_assert_int_eq (pread (fd, &byte, 1, st.st_size - 100), 1);
    byte ^= 0x40;
    ck_assert_int_eq (pwrite (fd, &byte, 1, st.st_size - 100), 1);
    close (fd);
    seen.count = 0;
    journal = mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_uint_eq (info.done, 1);
    ck_assert (info.cut_bytes > 0);
    mf_journal_destroy (&journal, false);
}
END_TEST

START_TEST (impossible_records_end_the_replay)
{
    //  A record that decodes but cannot belong to this render (tile id out
    //  of range, wrong size for its tile, impossible mu) ends the replay.
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info,
                                                        err, sizeof err), err);
    mf_journal_destroy (&journal, false);
    uint8_t buf [2048], payload [8 + 1024] = { 0 };
    float mu [256];
    s_fill (mu, 256, 1.0f);
    mu [3] = 501.0f;                                //  above --iter 500
    mf_le_put_f32s (payload + 8, mu, 256);
    //  A tile id beyond the grid, a payload of the wrong size for tile 5
    //  (8x14), an impossible mu for tile 0.
    struct { uint32_t tile; uint32_t size; } cases [] = { { 6, 1032 }, { 5, 1032 }, { 0, 1032 } };
    for (int index = 0; index < 3; index++) {
        int fd = open (path, O_WRONLY | O_APPEND);
        size_t size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_DONE, cases [index].tile,
                                         payload, cases [index].size);
        ck_assert_int_eq (write (fd, buf, size), (ssize_t) size);
        close (fd);
        journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info,
                                              err, sizeof err), err);
        ck_assert_msg (info.done == 0 && info.cut_bytes == size, "case %d", index);
        mf_journal_destroy (&journal, false);
    }
    ck_assert_int_eq (seen.count, 0);
}
END_TEST

START_TEST (another_render_refused)
{
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info,
                                                        err, sizeof err), err);
    mf_journal_destroy (&journal, false);
    struct { mf_job_spec_t spec; const char *names; } cases [4];
    for (int index = 0; index < 4; index++)
        cases [index].spec = spec;
    cases [0].spec.maxiter = 501;        cases [0].names = "--iter 500";
    cases [1].spec.view.width = 3.4;     cases [1].names = "region";
    cases [2].spec.view.pixel_h = 31;    cases [2].names = "--size 40x30";
    cases [3].spec.tile_edge = 8;        cases [3].names = "--tile 16";
    for (int index = 0; index < 4; index++) {
        journal = mf_journal_open (path, &cases [index].spec, s_collect, &seen, &info,
                                   err, sizeof err);
        ck_assert_ptr_null (journal);
        ck_assert_msg (strstr (err, cases [index].names), "'%s' lacks '%s'", err,
                       cases [index].names);
        ck_assert_ptr_nonnull (strstr (err, "another render"));
    }
    //  The refused journal is untouched.
    struct stat st;
    stat (path, &st);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER);
    //  Something that is not a journal at all.
    FILE *file = fopen (path, "w");
    fputs ("this is not a checkpoint, but it is long enough to hold a header......", file);
    fclose (file);
    ck_assert_ptr_null (mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "not a mandelfarm checkpoint"));
}
END_TEST

START_TEST (nothing_written_before_start)
{
    //  A run refused after the checkpoint was opened (a port that cannot
    //  be bound, say) must leave it as it was: absent stays absent, a torn
    //  tail stays until the render really starts.
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_nonnull (journal);
    mf_journal_destroy (&journal, true);
    ck_assert (!th_exists (path));
    journal = s_started (mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err),
                         err);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    ck_assert_int_eq (mf_journal_done (journal, 0, 0, mu, 256), 0);
    mf_journal_destroy (&journal, false);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (truncate (path, st.st_size - 9), 0);
    journal = mf_journal_open (path, &spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert (journal && info.cut_bytes > 0);
    //  Records go nowhere before the start.
    ck_assert_int_eq (mf_journal_leased (journal, 1), -1);
    mf_journal_destroy (&journal, true);
    struct stat after;
    ck_assert_int_eq (stat (path, &after), 0);
    ck_assert_int_eq (after.st_size, st.st_size - 9);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("journal");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_add_test (tc, record_round_trip);
    tcase_add_test (tc, replay_restores_done_tiles);
    tcase_add_test (tc, torn_tail_is_cut);
    tcase_add_test (tc, impossible_records_end_the_replay);
    tcase_add_test (tc, another_render_refused);
    tcase_add_test (tc, nothing_written_before_start);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
