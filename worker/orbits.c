/*  mf_orbits: see orbits.h. The entries are a small array, searched
    linearly (MF_ORBITS_ENTRIES at most, each lookup once per deep lease):
    a recency tick says which is least recently used, and a table's
    reference count whether a compute thread holds it. Only the network
    thread adds references (it hands tables to the pool), so a table seen
    unreferenced here cannot gain one behind our back.
*/
#include "orbits.h"
#include "mf_proto.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET_MIN (1u << 20)           //  bytes, smallest budget

struct _mf_table_t {
    atomic_uint refs;                   //  references; the last one frees
    mf_orbit_id_t id;                   //  the orbit it was built from
    mf_fexp_t cmax;                     //  the |c|max it was built for
    mf_bla_t *bla;                      //  the table (with the orbit's points)
};

typedef struct {
    mf_orbit_id_t id;                   //  the orbit
    mf_table_t *table;                  //  a table of it, or NULL: its blob
    uint8_t *blob;                      //  the shipped orbit, with table NULL
    size_t bytes;                       //  what it holds
    uint64_t used;                      //  recency tick of its last use
} s_entry_t;

struct _mf_orbits_t {
    uint64_t budget;                    //  bytes
    uint64_t bytes;                     //  held now
    s_entry_t entries [MF_ORBITS_ENTRIES];
    size_t count;                       //  entries in use, packed at the front
    uint64_t tick;                      //  recency clock
    uint64_t evicted;                   //  entries evicted
    mf_orbit_id_t bad [MF_ORBITS_BAD];  //  ring of refused ids
    int bad_reason [MF_ORBITS_BAD];     //  ... and why
    size_t bad_count;                   //  ids in the ring
    size_t bad_next;                    //  next slot to write
};

//  ---- tables -------------------------------------------------------------

mf_table_t *
mf_table_new (const mf_orbit_id_t *id, mf_fexp_t cmax, mf_bla_t **bla_p)
{
    mf_table_t *self = calloc (1, sizeof *self);
    if (!self) {
        mf_bla_destroy (bla_p);
        return NULL;
    }
    atomic_init (&self->refs, 1);
    self->id = *id;
    self->cmax = cmax;
    self->bla = *bla_p;
    *bla_p = NULL;
    return self;
}

mf_table_t *
mf_table_ref (mf_table_t *self)
{
    atomic_fetch_add (&self->refs, 1);
    return self;
}

void
mf_table_unref (mf_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mf_table_t *self = *self_p;
    *self_p = NULL;
    if (atomic_fetch_sub (&self->refs, 1) == 1) {
        mf_bla_destroy (&self->bla);
        free (self);
    }
}

const mf_bla_t *
mf_table_bla (const mf_table_t *self)
{
    return self->bla;
}

bool
mf_table_is (const mf_table_t *self, const mf_orbit_id_t *id, mf_fexp_t cmax)
{
    return mf_orbit_id_equal (&self->id, id) && self->cmax.e == cmax.e
        && mf_fexp_bits (self->cmax.m) == mf_fexp_bits (cmax.m);
}

//  ---- the cache ------------------------------------------------------------

mf_orbits_t *
mf_orbits_new (uint64_t budget)
{
    mf_orbits_t *self = calloc (1, sizeof *self);
    if (self)
        self->budget = budget < BUDGET_MIN? BUDGET_MIN: budget;
    return self;
}

static void
s_remove (mf_orbits_t *self, size_t index)
{
    s_entry_t *entry = &self->entries [index];
    self->bytes -= entry->bytes;
    mf_table_unref (&entry->table);
    free (entry->blob);
    self->entries [index] = self->entries [--self->count];
}

void
mf_orbits_destroy (mf_orbits_t **self_p)
{
    assert (self_p);
    mf_orbits_t *self = *self_p;
    if (!self)
        return;
    while (self->count)
        s_remove (self, self->count - 1);
    free (self);
    *self_p = NULL;
}

uint64_t
mf_orbits_build_bytes (uint64_t raw, mf_delta_t type)
{
    uint64_t point = type == MF_DELTA_FEXP? MF_ORBIT_POINT_FEXP: MF_ORBIT_POINT_DOUBLE;
    uint64_t need = type == MF_DELTA_FEXP? MF_ORBITS_POINT_FEXP: MF_ORBITS_POINT_DOUBLE;
    uint64_t points = raw > MF_ORBIT_HEADER? (raw - MF_ORBIT_HEADER) / point: 0;
    return points * need;
}

uint64_t
mf_orbits_raw_limit (const mf_orbits_t *self, uint32_t maxiter, mf_delta_t type)
{
    uint64_t point = type == MF_DELTA_FEXP? MF_ORBIT_POINT_FEXP: MF_ORBIT_POINT_DOUBLE;
    uint64_t need = type == MF_DELTA_FEXP? MF_ORBITS_POINT_FEXP: MF_ORBITS_POINT_DOUBLE;
    uint64_t points = self->budget / need;
    uint64_t wire = mf_proto_raw_max (maxiter, type);
    uint64_t budget = MF_ORBIT_HEADER + points * point;
    return wire < budget? wire: budget;
}

//  Whether an entry may be evicted: held by the cache alone (a blob
//  always is), and not the blob of keep.
static bool
s_evictable (const s_entry_t *entry, const mf_orbit_id_t *keep)
{
    if (entry->table)
        return atomic_load (&entry->table->refs) == 1;
    return !keep || !mf_orbit_id_equal (&entry->id, keep);
}

//  Evicts least recently used entries that may go (not keep's blob)
//  until room more bytes fit in the budget and one more entry in the
//  array. Evicts nothing when that cannot be done: returns 0, or -1.
static int
s_make_room (mf_orbits_t *self, uint64_t room, const mf_orbit_id_t *keep)
{
    uint64_t evictable = 0;
    size_t slots = MF_ORBITS_ENTRIES - self->count;
    for (size_t index = 0; index < self->count; index++)
        if (s_evictable (&self->entries [index], keep)) {
            evictable += self->entries [index].bytes;
            slots++;
        }
    if (room > self->budget || self->bytes - evictable > self->budget - room || slots == 0)
        return -1;
    while (self->bytes > self->budget - room || self->count == MF_ORBITS_ENTRIES) {
        size_t victim = SIZE_MAX;
        for (size_t index = 0; index < self->count; index++)
            if (s_evictable (&self->entries [index], keep)
            &&  (victim == SIZE_MAX || self->entries [index].used < self->entries [victim].used))
                victim = index;
        assert (victim != SIZE_MAX);
        s_remove (self, victim);
        self->evicted++;
    }
    return 0;
}

int
mf_orbits_room (mf_orbits_t *self, uint64_t bytes, const mf_orbit_id_t *keep)
{
    return s_make_room (self, bytes, keep);
}

//  The entry of a table, or of a blob (table false), or NULL.
static s_entry_t *
s_find (mf_orbits_t *self, const mf_orbit_id_t *id, bool table, mf_fexp_t cmax)
{
    for (size_t index = 0; index < self->count; index++) {
        s_entry_t *entry = &self->entries [index];
        if (table? entry->table && mf_table_is (entry->table, id, cmax)
                 : !entry->table && mf_orbit_id_equal (&entry->id, id))
            return entry;
    }
    return NULL;
}

mf_table_t *
mf_orbits_table (mf_orbits_t *self, const mf_orbit_id_t *id, mf_fexp_t cmax)
{
    s_entry_t *entry = s_find (self, id, true, cmax);
    if (!entry)
        return NULL;
    entry->used = ++self->tick;
    return mf_table_ref (entry->table);
}

int
mf_orbits_put_table (mf_orbits_t *self, mf_table_t *table)
{
    s_entry_t *held = s_find (self, &table->id, true, table->cmax);
    if (held) {
        //  Built twice (one was in flight when the other came): the one
        //  held serves, the same bits.
        held->used = ++self->tick;
        return 0;
    }
    size_t bytes = mf_bla_bytes (table->bla);
    if (s_make_room (self, bytes, NULL))
        return -1;
    s_entry_t *entry = &self->entries [self->count++];
    *entry = (s_entry_t) { .id = table->id, .table = mf_table_ref (table), .bytes = bytes,
                           .used = ++self->tick };
    self->bytes += bytes;
    return 0;
}

const uint8_t *
mf_orbits_blob (mf_orbits_t *self, const mf_orbit_id_t *id, size_t *size)
{
    s_entry_t *entry = s_find (self, id, false, mf_fexp_zero ());
    if (!entry)
        return NULL;
    entry->used = ++self->tick;
    *size = entry->bytes;
    return entry->blob;
}

int
mf_orbits_put_blob (mf_orbits_t *self, const mf_orbit_id_t *id, uint8_t **blob_p,
                    size_t size)
{
    s_entry_t *held = s_find (self, id, false, mf_fexp_zero ());
    if (!held)
        s_make_room (self, size, NULL); //  best effort: see orbits.h
    if (held || self->count == MF_ORBITS_ENTRIES) {
        //  One held already is the same bytes (the same id).
        free (*blob_p);
        *blob_p = NULL;
        if (held)
            held->used = ++self->tick;
        return held? 0: -1;
    }
    s_entry_t *entry = &self->entries [self->count++];
    *entry = (s_entry_t) { .id = *id, .blob = *blob_p, .bytes = size, .used = ++self->tick };
    *blob_p = NULL;
    self->bytes += size;
    return 0;
}

void
mf_orbits_drop (mf_orbits_t *self, const mf_orbit_id_t *id)
{
    for (size_t index = self->count; index-- > 0; )
        if (mf_orbit_id_equal (&self->entries [index].id, id))
            s_remove (self, index);
}

int
mf_orbits_bad (const mf_orbits_t *self, const mf_orbit_id_t *id)
{
    for (size_t index = 0; index < self->bad_count; index++)
        if (mf_orbit_id_equal (&self->bad [index], id))
            return self->bad_reason [index];
    return 0;
}

bool
mf_orbits_mark_bad (mf_orbits_t *self, const mf_orbit_id_t *id, int reason)
{
    assert (reason != 0);
    if (mf_orbits_bad (self, id))
        return false;
    self->bad_reason [self->bad_next] = reason;
    self->bad [self->bad_next] = *id;
    self->bad_next = (self->bad_next + 1) % MF_ORBITS_BAD;
    if (self->bad_count < MF_ORBITS_BAD)
        self->bad_count++;
    return true;
}

void
mf_orbits_forget_bad (mf_orbits_t *self)
{
    self->bad_count = 0;
    self->bad_next = 0;
}

void
mf_orbits_stats (const mf_orbits_t *self, mf_orbits_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    stats->bytes = self->bytes;
    stats->budget = self->budget;
    stats->evicted = self->evicted;
    for (size_t index = 0; index < self->count; index++) {
        if (self->entries [index].table)
            stats->tables++;
        else
            stats->blobs++;
    }
}
