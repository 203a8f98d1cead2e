/*  Fuzzes the checkpoint journal: mf_journal_decode on any bytes, and the
    whole replay (mf_journal_open) of a journal whose records are the
    input, for a small render of 6 tiles.

    Promises checked: a decoded record re-encodes to the same bytes and has
    a payload only if it is DONE (an owner and whole floats); a replay never
    restores more tiles than the grid holds, nor one twice; what it cuts
    off is exactly what makes the file shorter (skipped records stay); and
    a second replay of the cut file finds the same tiles, skips the same
    records and cuts nothing.
*/
#include "fuzz.h"
#include "journal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TILES 6                         //  40x30 in tiles of 16

static uint8_t s_out [MF_JOURNAL_RECORD_HEAD + 8 + 4 * 1024 * 1024 + MF_JOURNAL_RECORD_TAIL];

typedef struct {
    int count;
    uint8_t seen [TILES];
} s_restored_t;

static void
s_collect (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu)
{
    s_restored_t *restored = arg;
    FUZZ_CHECK (tile < TILES);
    FUZZ_CHECK (!restored->seen [tile]);
    restored->seen [tile] = 1;
    restored->count++;
    (void) owner;
    (void) mu;
}

static void
s_decode (const uint8_t *data, size_t size)
{
    mf_journal_record_t record;
    size_t used = mf_journal_decode (data, size, &record);
    if (!used)
        return;
    FUZZ_CHECK (used <= size);
    FUZZ_CHECK (used == MF_JOURNAL_RECORD_HEAD + record.payload_size + MF_JOURNAL_RECORD_TAIL);
    FUZZ_CHECK (record.type == MF_JOURNAL_LEASED || record.type == MF_JOURNAL_DONE
                || record.type == MF_JOURNAL_WITHDRAWN);
    if (record.type == MF_JOURNAL_DONE)
        FUZZ_CHECK (record.payload_size >= 12 && record.payload_size % 4 == 0);
    else
        FUZZ_CHECK (record.payload_size == 0);
    size_t again = mf_journal_encode (s_out, sizeof s_out, record.type, record.tile,
                                      record.payload, record.payload_size);
    FUZZ_CHECK (again == used);
    FUZZ_CHECK (memcmp (s_out, data, used) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_decode (data, size);

    mf_job_spec_t spec = { .view = { -0.75, 0.1, 3.5, 40, 30 }, .maxiter = 500, .tile_edge = 16 };
    static mf_tiles_t *tiles;
    if (!tiles)
        tiles = mf_tiles_new (40, 30, 16);
    FUZZ_CHECK (tiles && mf_tiles_count (tiles) == TILES);
    char path [64], err [512];
    snprintf (path, sizeof path, "/tmp/mf-fuzz-journal-%d", (int) getpid ());
    unlink (path);
    mf_journal_info_t info;
    s_restored_t restored = { 0 };
    mf_journal_t *journal = mf_journal_open (path, &spec, tiles, s_collect, &restored, &info,
                                             err, sizeof err);
    FUZZ_CHECK (journal && restored.count == 0);
    FUZZ_CHECK (mf_journal_start (journal, err, sizeof err) == 0);
    mf_journal_destroy (&journal, false);
    int fd = open (path, O_WRONLY | O_APPEND);
    FUZZ_CHECK (fd >= 0);
    FUZZ_CHECK (size == 0 || write (fd, data, size) == (ssize_t) size);
    close (fd);

    journal = mf_journal_open (path, &spec, tiles, s_collect, &restored, &info, err, sizeof err);
    FUZZ_CHECK (journal != NULL);
    FUZZ_CHECK (mf_journal_start (journal, err, sizeof err) == 0);
    FUZZ_CHECK (info.done == (uint32_t) restored.count);
    FUZZ_CHECK (info.done + info.in_flight <= TILES);
    FUZZ_CHECK (info.cut_bytes <= size);
    mf_journal_destroy (&journal, false);
    struct stat st;
    FUZZ_CHECK (stat (path, &st) == 0);
    FUZZ_CHECK ((uint64_t) st.st_size == MF_JOURNAL_HEADER + size - info.cut_bytes);

    s_restored_t second = { 0 };
    mf_journal_info_t again;
    journal = mf_journal_open (path, &spec, tiles, s_collect, &second, &again, err, sizeof err);
    FUZZ_CHECK (journal != NULL);
    FUZZ_CHECK (mf_journal_start (journal, err, sizeof err) == 0);
    FUZZ_CHECK (again.cut_bytes == 0 && again.done == info.done
                && again.in_flight == info.in_flight && again.records == info.records
                && again.skipped == info.skipped);
    FUZZ_CHECK (memcmp (second.seen, restored.seen, TILES) == 0);
    mf_journal_destroy (&journal, true);
    return 0;
}
