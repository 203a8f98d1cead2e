/*  mf_orbits: what a worker keeps of deep views between tiles, within one
    memory budget: the shipped reference orbits (small: zstd makes most
    of them a few hundred KB) by id, and the BLA tables built from them
    by (orbit id, |c|max), which are large (694 MB at 2e-2608). A movie
    uses one orbit with another map in every frame, so one orbit can
    have many tables. The least recently used entry goes first when the
    budget is exceeded, but never one a compute thread still holds.

    Also the orbits this worker refused (a chunk, frame, hash or orbit
    check failed, or they do not fit the budget), with the reason, so
    that later leases of them are declined at once, without fetching
    them again: the last MF_ORBITS_BAD of them, until a
    master of another session forgets them (mf_orbits_forget_bad).

    A table (mf_table_t) is shared by the compute threads that run its
    tiles, through a reference count (atomic: any thread may release its
    reference); everything else here belongs to the worker's network
    thread.

    Budget and orbit size. Building a table holds the orbit and the
    table at once; per point of the orbit that is at most
    MF_ORBITS_POINT_DOUBLE or MF_ORBITS_POINT_FEXP bytes (the table's
    points and entries, the decoded orbit; tests/test_orbits.c checks the
    bound against real tables). An orbit of more points than the budget
    holds so is declined before a byte of it is fetched; a table is built
    only once the cache has made room for that bound (mf_orbits_room).
    Shipped orbits are kept even beyond the budget when nothing can be
    evicted: they are small beside their tables, and the worker fetches
    and builds one orbit at a time, so at most one is held beyond it.
*/
#ifndef MF_ORBITS_H
#define MF_ORBITS_H

#include "mf_bla.h"
#include "mf_fexp.h"
#include "mf_ship.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_ORBITS_POINT_DOUBLE 128      //  bytes a point of a double orbit takes, at most,
                                        //  while its table is built
#define MF_ORBITS_POINT_FEXP 192        //  ... of a floatexp orbit
#define MF_ORBITS_ENTRIES 256           //  blobs and tables kept at most
#define MF_ORBITS_BAD 64                //  refused orbit ids remembered

//  ---- a shared BLA table -------------------------------------------------

typedef struct _mf_table_t mf_table_t;

//  A table for the orbit id and |c|max, taking *bla_p (nulled). Returns
//  it with one reference, or NULL when out of memory (bla is then
//  destroyed).
mf_table_t *mf_table_new (const mf_orbit_id_t *id, mf_fexp_t cmax, mf_bla_t **bla_p);

//  Takes one more reference; returns self.
mf_table_t *mf_table_ref (mf_table_t *self);

//  Drops one reference (any thread); the last one destroys the table.
//  Nulls the pointer; safe with NULL.
void mf_table_unref (mf_table_t **self_p);

//  The table's BLA (and orbit points), owned by it.
const mf_bla_t *mf_table_bla (const mf_table_t *self);

//  Whether it is the table of id and cmax (cmax compared bit for bit).
bool mf_table_is (const mf_table_t *self, const mf_orbit_id_t *id, mf_fexp_t cmax);

//  ---- the cache ------------------------------------------------------------

typedef struct _mf_orbits_t mf_orbits_t;

typedef struct {
    uint64_t bytes;                     //  bytes held now, blobs and tables
    uint64_t budget;                    //  the budget, bytes
    size_t blobs;                       //  shipped orbits held
    size_t tables;                      //  tables held
    uint64_t evicted;                   //  entries evicted so far
} mf_orbits_stats_t;

//  An empty cache of budget bytes (at least 1 MiB). NULL when out of
//  memory.
mf_orbits_t *mf_orbits_new (uint64_t budget);

//  Releases every entry (tables still held elsewhere live on until their
//  last reference goes); safe twice, nulls the pointer.
void mf_orbits_destroy (mf_orbits_t **self_p);

//  The most bytes building the table of an orbit of raw canonical bytes
//  and type holds (the bound per point above).
uint64_t mf_orbits_build_bytes (uint64_t raw, mf_delta_t type);

//  Makes room for bytes more within the budget, evicting least recently
//  used entries nobody else holds, but not the shipped orbit of keep (may
//  be NULL): the one a table is about to be built from. Returns 0, or -1
//  when what is held elsewhere leaves no such room (yet: held tables are
//  let go as their tiles finish); then nothing was evicted.
int mf_orbits_room (mf_orbits_t *self, uint64_t bytes, const mf_orbit_id_t *keep);

//  The most canonical bytes this worker takes for the orbit of a lease
//  of maxiter and type: what the wire allows (mf_proto_raw_max), and no
//  more points than the budget holds while a table is built.
uint64_t mf_orbits_raw_limit (const mf_orbits_t *self, uint32_t maxiter, mf_delta_t type);

//  The table of id and cmax with a new reference for the caller, or NULL
//  when none is held. Counts as a use.
mf_table_t *mf_orbits_table (mf_orbits_t *self, const mf_orbit_id_t *id, mf_fexp_t cmax);

//  Keeps a table (takes a reference of its own; the caller keeps
//  theirs), evicting the least recently used entries nobody else holds
//  while over budget. Returns 0, or -1 when it cannot be kept (the
//  caller's reference is untouched).
int mf_orbits_put_table (mf_orbits_t *self, mf_table_t *table);

//  The shipped orbit of id (owned by the cache, valid until the next
//  call that may evict), its size in *size; NULL when none is held.
//  Counts as a use.
const uint8_t *mf_orbits_blob (mf_orbits_t *self, const mf_orbit_id_t *id, size_t *size);

//  Keeps a shipped orbit, taking *blob_p (nulled, freed if it cannot be
//  kept), evicting as mf_orbits_put_table does, or keeping it beyond the
//  budget (evicting nothing) when that cannot make room. Returns 0, or -1 when every entry is held
//  elsewhere and no slot is left.
int mf_orbits_put_blob (mf_orbits_t *self, const mf_orbit_id_t *id, uint8_t **blob_p,
                        size_t size);

//  Forgets the blob and every table of id (tables in use live on).
void mf_orbits_drop (mf_orbits_t *self, const mf_orbit_id_t *id);

//  Remembers a refused orbit and why (a nonzero reason of the caller's,
//  e.g. an mf_decline_reason_t); true when it was not remembered yet (the
//  caller logs it then, once).
bool mf_orbits_mark_bad (mf_orbits_t *self, const mf_orbit_id_t *id, int reason);

//  Why id was refused, or 0 when it was not.
int mf_orbits_bad (const mf_orbits_t *self, const mf_orbit_id_t *id);

//  Forgets every refused orbit (a master of another session).
void mf_orbits_forget_bad (mf_orbits_t *self);

//  What the cache holds now.
void mf_orbits_stats (const mf_orbits_t *self, mf_orbits_stats_t *stats);

#endif
