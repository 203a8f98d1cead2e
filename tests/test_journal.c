/*  The checkpoint journal: records round-trip, damage is detected, a
    corrupt record in the middle is skipped and the valid ones after it
    kept, a torn tail is cut off, leases are written once per tile, a
    journal of another render, a file that is not a regular file, and a
    journal another master holds are refused, and an empty file that was
    there before stays. Deep views: named by their exact texts' hash,
    their f64 mu kept bit for bit, --iter auto; a journal of the earlier
    release refused as such. */
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
static mf_tiles_t *s_grids [16];        //  grids made by s_open, freed at teardown
static int s_grid_count;

static void
s_setup (void)
{
    th_dir_setup ();
    snprintf (path, sizeof path, "%s/ck", th_dir);
    s_grid_count = 0;
}

static void
s_teardown (void)
{
    for (int index = 0; index < s_grid_count; index++)
        mf_tiles_destroy (&s_grids [index]);
    th_dir_teardown ();
}

//  mf_journal_open at path with a grid made for spec, as render.c does.
static mf_journal_t *
s_open (const mf_job_spec_t *spec, mf_journal_tile_fn *fn, void *arg,
        mf_journal_info_t *info, char *err, size_t errlen)
{
    ck_assert_int_lt (s_grid_count, 16);
    mf_tiles_t *tiles = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    ck_assert_ptr_nonnull (tiles);
    s_grids [s_grid_count++] = tiles;
    return mf_journal_open (path, spec, tiles, fn, arg, info, err, errlen);
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
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
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

    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
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
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
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
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    ck_assert_uint_eq (info.done, 1);
    ck_assert_uint_eq (info.cut_bytes, 1048 - 7);
    ck_assert_uint_eq (info.skipped, 0);
    ck_assert_str_eq (info.note, "cut a torn last record");
    stat (path, &st);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER + 12 + 8 + 1024 + 4);
    //  Appending after the cut gives a clean journal again.
    mf_journal_done (journal, 1, 7, mu, 256);
    mf_journal_destroy (&journal, false);
    seen.count = 0;
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    ck_assert_uint_eq (info.done, 2);
    ck_assert_uint_eq (info.cut_bytes, 0);
    ck_assert_str_eq (info.note, "");
    mf_journal_destroy (&journal, false);
    //  A corrupt byte inside the last record: the record is dropped (and
    //  cut: nothing follows it).
    int fd = open (path, O_RDWR);
    uint8_t byte;
    stat (path, &st);
    ck_assert_int_eq (pread (fd, &byte, 1, st.st_size - 100), 1);
    byte ^= 0x40;
    ck_assert_int_eq (pwrite (fd, &byte, 1, st.st_size - 100), 1);
    close (fd);
    seen.count = 0;
    journal = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_uint_eq (info.done, 1);
    ck_assert_uint_eq (info.cut_bytes, 1048);
    ck_assert_str_eq (info.note, "cut a damaged end");
    mf_journal_destroy (&journal, false);
}
END_TEST

START_TEST (impossible_records_not_restored)
{
    //  A record that decodes but cannot belong to this render (tile id out
    //  of range, wrong size for its tile, impossible mu) is damage: cut at
    //  the end, skipped in the middle.
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
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
        journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
        ck_assert_msg (info.done == 0 && info.cut_bytes == size, "case %d", index);
        mf_journal_destroy (&journal, false);
    }
    ck_assert_int_eq (seen.count, 0);
    //  The last case again, followed by a valid record: skipped.
    int fd = open (path, O_WRONLY | O_APPEND);
    size_t size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_DONE, 0, payload, 1032);
    ck_assert_int_eq (write (fd, buf, size), (ssize_t) size);
    size = mf_journal_encode (buf, sizeof buf, MF_JOURNAL_LEASED, 4, NULL, 0);
    ck_assert_int_eq (write (fd, buf, size), (ssize_t) size);
    close (fd);
    journal = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert (journal && info.done == 0 && info.in_flight == 1 && info.skipped == 1);
    ck_assert (info.records == 1 && info.cut_bytes == 0);
    mf_journal_destroy (&journal, false);
}
END_TEST

START_TEST (another_render_refused)
{
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
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
        journal = s_open (&cases [index].spec, s_collect, &seen, &info, err, sizeof err);
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
    ck_assert_ptr_null (s_open (&spec, s_collect, &seen, &info, err, sizeof err));
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
    mf_journal_t *journal = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_nonnull (journal);
    mf_journal_destroy (&journal, true);
    ck_assert (!th_exists (path));
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    ck_assert_int_eq (mf_journal_done (journal, 0, 0, mu, 256), 0);
    mf_journal_destroy (&journal, false);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (truncate (path, st.st_size - 9), 0);
    journal = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert (journal && info.cut_bytes > 0);
    //  Records go nowhere before the start.
    ck_assert_int_eq (mf_journal_leased (journal, 1), -1);
    mf_journal_destroy (&journal, true);
    struct stat after;
    ck_assert_int_eq (stat (path, &after), 0);
    ck_assert_int_eq (after.st_size, st.st_size - 9);
}
END_TEST

//  80x64 in tiles of 8: 10 x 8 = 80 tiles of 8x8, whose DONE records are
//  12 + 8 + 256 + 4 = 280 bytes each.
#define WIDE_RECORD 280

static mf_job_spec_t
s_wide_spec (void)
{
    mf_job_spec_t spec = { .view = { -0.75, 0.1, 3.5, 80, 64 }, .maxiter = 500, .tile_edge = 8 };
    return spec;
}

//  Writes a journal of count DONE records, tiles 0 .. count - 1 in order;
//  returns its bytes (caller frees) and their size.
static uint8_t *
s_wide_journal (uint32_t count, size_t *size)
{
    mf_job_spec_t spec = s_wide_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
                                               err, sizeof err), err);
    float mu [64];
    for (uint32_t tile = 0; tile < count; tile++) {
        s_fill (mu, 64, (float) tile);
        ck_assert_int_eq (mf_journal_done (journal, tile, tile, mu, 64), 0);
    }
    mf_journal_destroy (&journal, false);
    uint8_t *bytes = th_slurp (path, size);
    ck_assert (bytes && *size == MF_JOURNAL_HEADER + (size_t) count * WIDE_RECORD);
    return bytes;
}

static void
s_write_file (const uint8_t *bytes, size_t size)
{
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    ck_assert_uint_eq (fwrite (bytes, 1, size, file), size);
    ck_assert_int_eq (fclose (file), 0);
}

//  Tiles restored, as a bit set over the 80 tiles.
typedef struct {
    uint8_t seen [80];
    int count;
} s_set_t;

static void
s_mark (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_set_t *set = arg;
    ck_assert (tile < 80 && !set->seen [tile] && owner == tile);
    //  The mu is the tile's own, as written.
    ck_assert (mf_le_get_f32 (mu) == (float) tile);
    set->seen [tile] = 1;
    set->count++;
}

START_TEST (corrupt_record_in_the_middle_skipped)
{
    //  One byte of the 2nd of 40 records changed, each byte in turn (its
    //  type, zeros, tile id, length, payload, CRC) and in two ways: that
    //  record alone is lost; the 39 after and before it are restored, and
    //  the replay says so (not that a torn last record was cut).
    size_t size;
    uint8_t *whole = s_wide_journal (40, &size);
    uint8_t *bytes = malloc (size);
    ck_assert_ptr_nonnull (bytes);
    mf_job_spec_t spec = s_wide_spec ();
    mf_tiles_t *tiles = mf_tiles_new (80, 64, 8);
    ck_assert_ptr_nonnull (tiles);
    size_t second = MF_JOURNAL_HEADER + WIDE_RECORD;
    static const uint8_t flips [] = { 0x01, 0xff };
    for (size_t at = second; at < second + WIDE_RECORD; at++)
        for (int way = 0; way < 2; way++) {
            memcpy (bytes, whole, size);
            bytes [at] ^= flips [way];
            s_write_file (bytes, size);
            s_set_t set = { .count = 0 };
            mf_journal_info_t info;
            char err [512];
            mf_journal_t *journal = mf_journal_open (path, &spec, tiles, s_mark, &set, &info,
                                                     err, sizeof err);
            ck_assert_msg (journal, "byte %zu: %s", at - second, err);
            ck_assert_msg (set.count == 39 && !set.seen [1] && info.done == 39,
                           "byte %zu of the 2nd record ^ 0x%02x: %d restored",
                           at - second, flips [way], set.count);
            ck_assert_msg (info.skipped == 1 && info.cut_bytes == 0 && info.records == 39,
                           "byte %zu: %u skipped, %llu cut", at - second, info.skipped,
                           (unsigned long long) info.cut_bytes);
            ck_assert_str_eq (info.note, "skipped 1 corrupt record");
            mf_journal_destroy (&journal, false);
        }
    //  The skipped record stays in the file: starting cuts nothing, and the
    //  next replay finds the same, with a new record after it.
    s_set_t set = { .count = 0 };
    mf_journal_info_t info;
    char err [512];
    mf_journal_t *journal = mf_journal_open (path, &spec, tiles, s_mark, &set, &info,
                                             err, sizeof err);
    ck_assert (journal && set.count == 39);
    ck_assert_int_eq (mf_journal_start (journal, err, sizeof err), 0);
    float mu [64];
    s_fill (mu, 64, 1.0f);
    ck_assert_int_eq (mf_journal_done (journal, 1, 1, mu, 64), 0);
    mf_journal_destroy (&journal, false);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_size, (off_t) (size + WIDE_RECORD));
    memset (&set, 0, sizeof set);
    journal = mf_journal_open (path, &spec, tiles, s_mark, &set, &info, err, sizeof err);
    ck_assert (journal && set.count == 40 && info.skipped == 1);
    mf_journal_destroy (&journal, false);
    mf_tiles_destroy (&tiles);
    free (bytes);
    free (whole);
}
END_TEST

START_TEST (damaged_stretch_skipped)
{
    //  A stretch of zeros over records 3 to 6 (a lost disk block), and
    //  garbage over the end of record 20 and the start of 21: the records
    //  they touch are lost, every other one is kept.
    size_t size;
    uint8_t *bytes = s_wide_journal (40, &size);
    size_t at = MF_JOURNAL_HEADER + 2 * WIDE_RECORD + 100;
    memset (bytes + at, 0, 3 * WIDE_RECORD);           //  records 2, 3, 4 and 5
    at = MF_JOURNAL_HEADER + 20 * WIDE_RECORD - 5;
    for (int index = 0; index < 10; index++)            //  records 19 and 20
        bytes [at + (size_t) index] = (uint8_t) (0x5a + 37 * index);
    s_write_file (bytes, size);
    mf_job_spec_t spec = s_wide_spec ();
    mf_tiles_t *tiles = mf_tiles_new (80, 64, 8);
    s_set_t set = { .count = 0 };
    mf_journal_info_t info;
    char err [512];
    mf_journal_t *journal = mf_journal_open (path, &spec, tiles, s_mark, &set, &info,
                                             err, sizeof err);
    ck_assert_msg (journal, "%s", err);
    ck_assert_int_eq (set.count, 40 - 6);
    ck_assert (!set.seen [2] && !set.seen [3] && !set.seen [4] && !set.seen [5]);
    ck_assert (!set.seen [19] && !set.seen [20] && set.seen [1] && set.seen [6]);
    ck_assert (set.seen [18] && set.seen [21] && set.seen [39]);
    ck_assert_uint_eq (info.skipped, 2);
    ck_assert_str_eq (info.note, "skipped 2 corrupt records");
    mf_journal_destroy (&journal, false);
    //  Damage at the very end besides: both are said.
    ck_assert_int_eq (truncate (path, (off_t) size - 3), 0);
    memset (&set, 0, sizeof set);
    journal = mf_journal_open (path, &spec, tiles, s_mark, &set, &info, err, sizeof err);
    ck_assert (journal && set.count == 40 - 7 && info.skipped == 2);
    ck_assert_uint_eq (info.cut_bytes, WIDE_RECORD - 3);
    ck_assert_str_eq (info.note, "skipped 2 corrupt records; cut a torn last record");
    mf_journal_destroy (&journal, false);
    mf_tiles_destroy (&tiles);
    free (bytes);
}
END_TEST

START_TEST (leases_written_once)
{
    //  However often peers make a tile go out (a HELLO flood voids and
    //  re-leases it each time), the journal holds one L for it.
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
                                               err, sizeof err), err);
    for (int round = 0; round < 1000; round++)
        ck_assert_int_eq (mf_journal_leased (journal, (uint32_t) round % 2), 0);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER + 2 * 16);
    //  Withdrawing a tile that is not done adds nothing; a done one, one X.
    ck_assert_int_eq (mf_journal_withdrawn (journal, 3), 0);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    ck_assert_int_eq (mf_journal_done (journal, 0, 9, mu, 256), 0);
    for (int round = 0; round < 10; round++)
        ck_assert_int_eq (mf_journal_withdrawn (journal, 0), 0);
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER + 2 * 16 + 1048 + 16);
    //  Records of tiles outside the grid, or of the wrong size, go nowhere.
    ck_assert_int_eq (mf_journal_leased (journal, 6), -1);
    ck_assert_int_eq (mf_journal_done (journal, 5, 0, mu, 256), -1);
    mf_journal_destroy (&journal, false);
    //  Resumed: the file's leases count, and are not written again.
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    ck_assert_uint_eq (info.in_flight, 2);
    ck_assert_uint_eq (info.done, 0);
    ck_assert_uint_eq (info.records, 4);
    ck_assert_int_eq (mf_journal_leased (journal, 0), 0);
    ck_assert_int_eq (mf_journal_leased (journal, 1), 0);
    ck_assert_int_eq (mf_journal_withdrawn (journal, 0), 0);
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER + 2 * 16 + 1048 + 16);
    mf_journal_destroy (&journal, false);
}
END_TEST

START_TEST (non_regular_files_refused)
{
    //  A FIFO (it would block the master in open or write for good), a
    //  directory, a device, and links to them: refused at once, left as
    //  they were.
    char fifo [600], dir [600], to_fifo [600], to_null [600];
    snprintf (fifo, sizeof fifo, "%s/fifo", th_dir);
    snprintf (dir, sizeof dir, "%s/dir", th_dir);
    snprintf (to_fifo, sizeof to_fifo, "%s/to-fifo", th_dir);
    snprintf (to_null, sizeof to_null, "%s/to-null", th_dir);
    ck_assert_int_eq (mkfifo (fifo, 0600), 0);
    ck_assert_int_eq (mkdir (dir, 0700), 0);
    ck_assert_int_eq (symlink (fifo, to_fifo), 0);
    ck_assert_int_eq (symlink ("/dev/null", to_null), 0);
    const char *cases [] = { fifo, dir, to_fifo, to_null, "/dev/null" };
    mf_job_spec_t spec = s_spec ();
    mf_tiles_t *tiles = mf_tiles_new (40, 30, 16);
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        mf_journal_info_t info;
        char err [512] = "";
        s_seen_t seen = { .count = 0 };
        mf_journal_t *journal = mf_journal_open (cases [index], &spec, tiles, s_collect, &seen,
                                                 &info, err, sizeof err);
        ck_assert_msg (journal == NULL, "%s accepted", cases [index]);
        ck_assert_msg (strstr (err, "not a regular file") && strstr (err, cases [index]),
                       "%s: %s", cases [index], err);
    }
    struct stat st;
    ck_assert (lstat (to_null, &st) == 0 && S_ISLNK (st.st_mode));
    ck_assert (lstat (fifo, &st) == 0 && S_ISFIFO (st.st_mode));
    //  A link to nothing is refused too (creating through it is not ours).
    char dangling [600];
    snprintf (dangling, sizeof dangling, "%s/dangling", th_dir);
    ck_assert_int_eq (symlink ("nowhere", dangling), 0);
    mf_journal_info_t info;
    char err [512] = "";
    ck_assert_ptr_null (mf_journal_open (dangling, &spec, tiles, s_collect, NULL, &info,
                                         err, sizeof err));
    ck_assert_msg (strstr (err, "symbolic link to nothing"), "%s", err);
    mf_tiles_destroy (&tiles);
}
END_TEST

START_TEST (empty_file_stays)
{
    //  An empty file that was there before becomes the journal, and a
    //  complete render leaves it there, empty: only what we created, or
    //  what held a journal, is deleted.
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *journal = s_started (s_open (&spec, s_collect, &seen, &info,
                                               err, sizeof err), err);
    float mu [256];
    s_fill (mu, 256, 1.0f);
    ck_assert_int_eq (mf_journal_done (journal, 0, 0, mu, 256), 0);
    mf_journal_destroy (&journal, true);
    struct stat st;
    ck_assert_msg (stat (path, &st) == 0, "the empty file given was deleted");
    ck_assert_int_eq (st.st_size, 0);
    //  Killed (not removed), then resumed to the end: by then it held a
    //  journal, and goes.
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    ck_assert_int_eq (mf_journal_done (journal, 0, 0, mu, 256), 0);
    mf_journal_destroy (&journal, false);
    journal = s_started (s_open (&spec, s_collect, &seen, &info, err, sizeof err), err);
    ck_assert_uint_eq (info.done, 1);
    mf_journal_destroy (&journal, true);
    ck_assert (!th_exists (path));
}
END_TEST

START_TEST (second_master_refused)
{
    //  The journal is locked from open to destroy: a second master on the
    //  same file is refused with the file's name, whether the first one
    //  found it or created it.
    mf_job_spec_t spec = s_spec ();
    mf_journal_info_t info;
    char err [512];
    s_seen_t seen = { .count = 0 };
    mf_journal_t *first = s_started (s_open (&spec, s_collect, &seen, &info,
                                             err, sizeof err), err);
    mf_journal_t *second = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_null (second);
    ck_assert_msg (strstr (err, path) && strstr (err, "another mandelfarm master"), "%s", err);
    mf_journal_destroy (&first, false);
    //  Found, not yet started: locked already.
    first = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_nonnull (first);
    second = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_null (second);
    ck_assert_ptr_nonnull (strstr (err, "another mandelfarm master"));
    mf_journal_destroy (&first, false);
    //  Released: the next one may.
    second = s_open (&spec, s_collect, &seen, &info, err, sizeof err);
    ck_assert_ptr_nonnull (second);
    mf_journal_destroy (&second, false);
}
END_TEST


//  A deep spec: the view named by id_byte, f64 mu.
static mf_job_spec_t
s_deep_spec (uint8_t id_byte, uint32_t maxiter)
{
    mf_job_spec_t spec = s_spec ();
    spec.deep = true;
    spec.maxiter = maxiter;
    memset (&spec.view_id, id_byte, sizeof spec.view_id);
    return spec;
}

typedef struct {
    uint32_t tile;
    double mu [16 * 16];
    int count;
} s_deep_seen_t;

static void
s_collect_deep (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_deep_seen_t *seen = arg;
    seen->tile = tile;
    mf_proto_get_f64s (seen->mu, mu, 16 * 16);
    seen->count++;
}

START_TEST (deep_views)
{
    char err [512];
    mf_journal_info_t info;
    mf_job_spec_t spec = s_deep_spec (0xab, 300000);
    mf_journal_t *journal = s_started (s_open (&spec, NULL, NULL, &info, err, sizeof err), err);
    double mu [16 * 16];
    for (int index = 0; index < 16 * 16; index++)
        mu [index] = index == 3? -1.0: 263000.0 + index + 0x1p-30;
    ck_assert_int_eq (mf_journal_leased (journal, 1), 0);
    ck_assert_int_eq (mf_journal_done (journal, 1, 9, mu, 16 * 16), 0);
    mf_journal_destroy (&journal, false);
    //  The values come back bit for bit (a float would keep 263000 + i).
    s_deep_seen_t seen = { .count = 0 };
    journal = s_open (&spec, s_collect_deep, &seen, &info, err, sizeof err);
    ck_assert_msg (journal != NULL, "%s", err);
    ck_assert_int_eq (seen.count, 1);
    ck_assert_uint_eq (seen.tile, 1);
    ck_assert (memcmp (seen.mu, mu, sizeof mu) == 0);
    mf_journal_destroy (&journal, false);
    //  Another deep view, a shallow one, --iter auto: another render.
    struct { mf_job_spec_t spec; const char *what; } others [] = {
        { s_deep_spec (0xac, 300000), "another region" },
        { s_spec (), "a deep view" },
        { s_deep_spec (0xab, 0), "--iter 300000" },
    };
    others [1].spec.maxiter = 300000;
    for (size_t index = 0; index < sizeof others / sizeof others [0]; index++) {
        ck_assert_ptr_null (s_open (&others [index].spec, NULL, NULL, &info, err, sizeof err));
        ck_assert_msg (strstr (err, others [index].what), "%zu: %s", index, err);
    }
    //  A mu beyond --iter is impossible; with --iter auto (0) the bound is
    //  chosen later, and the same record stands.
    unlink (path);
    spec = s_deep_spec (0xab, 0);
    journal = s_started (s_open (&spec, NULL, NULL, &info, err, sizeof err), err);
    mu [0] = 4000000000.0;
    ck_assert_int_eq (mf_journal_done (journal, 1, 0, mu, 16 * 16), 0);
    mf_journal_destroy (&journal, false);
    seen.count = 0;
    journal = s_open (&spec, s_collect_deep, &seen, &info, err, sizeof err);
    ck_assert_msg (journal != NULL, "%s", err);
    ck_assert_int_eq (seen.count, 1);
    ck_assert (seen.mu [0] == 4000000000.0);
    mf_journal_destroy (&journal, false);
}
END_TEST

START_TEST (earlier_release_refused)
{
    //  A version 1 header (the first release's): refused as such, the
    //  file left alone.
    uint8_t header [MF_JOURNAL_HEADER] = { 'M', 'F', 'J', '1', 1, 0, 0, 0 };
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    ck_assert_uint_eq (fwrite (header, 1, sizeof header, file), sizeof header);
    fclose (file);
    char err [512];
    mf_journal_info_t info;
    mf_job_spec_t spec = s_spec ();
    ck_assert_ptr_null (s_open (&spec, NULL, NULL, &info, err, sizeof err));
    ck_assert_msg (strstr (err, "another mandelfarm release") && strstr (err, "version 1"),
                   "%s", err);
    struct stat st;
    ck_assert_int_eq (stat (path, &st), 0);
    ck_assert_int_eq (st.st_size, MF_JOURNAL_HEADER);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("journal");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, record_round_trip);
    tcase_add_test (tc, replay_restores_done_tiles);
    tcase_add_test (tc, torn_tail_is_cut);
    tcase_add_test (tc, impossible_records_not_restored);
    tcase_add_test (tc, another_render_refused);
    tcase_add_test (tc, nothing_written_before_start);
    tcase_add_test (tc, corrupt_record_in_the_middle_skipped);
    tcase_add_test (tc, damaged_stretch_skipped);
    tcase_add_test (tc, leases_written_once);
    tcase_add_test (tc, non_regular_files_refused);
    tcase_add_test (tc, empty_file_stays);
    tcase_add_test (tc, second_master_refused);
    tcase_add_test (tc, deep_views);
    tcase_add_test (tc, earlier_release_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
