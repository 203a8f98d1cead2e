/*  mf_journal: the checkpoint of a render (--checkpoint FILE).

    An append-only file: a header naming the render it belongs to (view,
    size, iterations, tile edge; a deep view by a hash of its exact
    texts), then one record per event: a tile handed out (L), a tile done
    with its mu (D: f32 values, or f64 for a deep view), a tile whose
    result was withdrawn because its worker was found faulty (X). Every record has a
    CRC-32. A master killed at any moment and started again with the same
    arguments replays the journal, computes only what is missing, and
    says how many tiles were in flight (handed out, not done) and so are
    computed again.

    Damage costs only what is damaged: a corrupt record in the middle is
    skipped and the valid records after it are kept; a torn or damaged
    end is cut off. What strangers can make the master write is bounded
    by the tile grid, not by how many messages they send (journal.c says
    how). The file must be a regular file, and one master at a time holds
    it (flock): a second one is refused.
*/
#ifndef MF_JOURNAL_H
#define MF_JOURNAL_H

#include "sched.h"
#include "mf_tiles.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_JOURNAL_VERSION 2            //  format of the file (header and records); 2 names
                                        //  deep views and holds their f64 mu
#define MF_JOURNAL_HEADER 64            //  bytes of the file header
#define MF_JOURNAL_RECORD_HEAD 12       //  bytes before a record's payload
#define MF_JOURNAL_RECORD_TAIL 4        //  bytes after it (CRC-32)

typedef enum {
    MF_JOURNAL_LEASED = 'L',            //  tile handed out
    MF_JOURNAL_DONE = 'D',              //  tile done; payload: owner uid, then its mu
    MF_JOURNAL_WITHDRAWN = 'X'          //  tile's result withdrawn (faulty worker)
} mf_journal_type_t;

typedef struct {
    mf_journal_type_t type;
    uint32_t tile;                      //  tile id
    uint32_t payload_size;              //  bytes of payload
    const uint8_t *payload;             //  DONE: u64 owner, then f32 (f64 when deep) mu,
                                        //  little-endian
} mf_journal_record_t;

typedef struct _mf_journal_t mf_journal_t;

//  Called for every DONE tile still valid at the end of the replay, with
//  the tile id, the uid of the worker whose result it is alone (0: verified
//  by two, or computed by the master) and its mu (rect.w * rect.h
//  little-endian floats, or doubles for a deep view).
typedef void (mf_journal_tile_fn) (void *arg, uint32_t tile, uint64_t owner, const uint8_t *mu);

typedef struct {
    uint32_t done;                      //  tiles done in the journal
    uint32_t in_flight;                 //  tiles handed out but not done
    uint64_t records;                   //  valid records read
    uint32_t skipped;                   //  corrupt records skipped in the middle
                                        //  (they stay in the file; valid ones after
                                        //  them count)
    uint64_t cut_bytes;                 //  bytes of a torn or damaged end, cut at start
    char note [96];                     //  what the replay found damaged, in words
                                        //  ("skipped 1 corrupt record; cut a torn
                                        //  last record"), or "" when nothing was
} mf_journal_info_t;

//  Opens the journal at path for the render spec, whose tile grid is tiles
//  (the caller's, used as it is; it must outlive the journal). A deep
//  spec is named by its view_id; its maxiter 0 stands for --iter auto
//  (chosen later, from the reference orbit: any mu up to 2^32 - 1 is
//  then possible in a D record). A file that
//  exists must be a regular file that no other master holds (it is locked
//  from here until mf_journal_destroy), empty or a journal of the same
//  render (else NULL and a message naming the difference); its valid tiles
//  are passed to fn. Nothing is written before mf_journal_start, so a run
//  refused in between leaves the file as it was. Returns NULL with the
//  reason in err.
mf_journal_t *mf_journal_open (const char *path, const mf_job_spec_t *spec,
                               const mf_tiles_t *tiles,
                               mf_journal_tile_fn *fn, void *arg,
                               mf_journal_info_t *info, char *err, size_t errlen);

//  The render runs: creates the journal if it did not exist (O_EXCL, then
//  locked), writes its header, cuts a torn or damaged end. Records can be
//  appended after. Returns 0, or -1 with the reason in err.
int mf_journal_start (mf_journal_t *self, char *err, size_t errlen);

//  Appends a record (after mf_journal_start). Returns 0 or -1 (the journal
//  then stops writing and the render goes on: a checkpoint is a
//  convenience, not the output). A lease of a tile the journal already
//  holds a lease of, and a withdrawal of a tile that is not done in it,
//  add nothing and return 0.
//  mf_journal_done's mu are count floats, or doubles for a deep view.
int mf_journal_leased (mf_journal_t *self, uint32_t tile);
int mf_journal_done (mf_journal_t *self, uint32_t tile, uint64_t owner,
                     const void *mu, size_t count);
int mf_journal_withdrawn (mf_journal_t *self, uint32_t tile);

//  Closes the journal and releases its lock. If remove is true and the
//  journal was started (the render is complete), the file goes: deleted
//  if this run created it or it held a journal, emptied again if it was
//  an empty file before (never deleted: it was not ours). Safe twice,
//  nulls the pointer.
void mf_journal_destroy (mf_journal_t **self_p, bool remove);

//  Decodes one record at the start of data. Returns the record's whole
//  size, or 0 if data holds no complete, valid record (torn, corrupt CRC,
//  unknown type, impossible size). Pure: the fuzzer drives it.
size_t mf_journal_decode (const uint8_t *data, size_t size, mf_journal_record_t *record);

//  Encodes a record's bytes into buf (capacity bytes). Returns its size
//  or 0 when it does not fit.
size_t mf_journal_encode (uint8_t *buf, size_t capacity, mf_journal_type_t type,
                          uint32_t tile, const uint8_t *payload, uint32_t payload_size);

#endif
