/*  mf_shm: memory the master shares with the local workers it forks, so
    that their results cross no socket (RESULT's encoding 2, "shared",
    docs/PROTOCOL.md).

    The master maps one anonymous shared arena before it forks (every
    child inherits the mapping), cut into one region per forked worker
    process, each of a few slots big enough for the largest tile's mu
    (f64 for a deep view and for the live viewer, which may go deep). A worker computes a tile straight into a free
    slot of its own region, marks it held, and sends a RESULT that names
    only the slot; the master checks and copies the values out exactly
    as it does a raw payload (verification, backups and the image are
    untouched by the change of route), then marks the slot free again.
    Nothing is ever written into the master's image by a worker: a slot
    is a lease's scratch, so a backup lease or a second opinion can
    never scribble over an accepted tile.

    Each region has a 64-bit secret, drawn at random when the arena is
    made; its worker uses it as the uid of its HELLO: the master gives a
    connection a region only when it registers on the forked workers' own
    link with that uid. Every forked child inherits the whole arena and
    all the secrets, not only its own: harmless, as they all run as the
    master's user, who could read the arena anyway. The secret tells the
    master's own children from anyone else: a peer that was not forked by
    this master (a remote worker, a stranger on the local link) has no
    region, and a shared RESULT from it is rejected.

    A slot's state is an atomic word in the arena: FREE, or HELD from the
    moment the worker takes it until the master has read it (or the
    worker drops the tile). A slot whose RESULT never reaches the master
    (a connection closed with the message queued) stays held: the worker
    then sends raw results once its region has no free slot, which every
    master takes (as it does a tile larger than a slot). A shared RESULT
    whose send fails is freed by the worker; one that comes from a
    worker the master has evicted is freed by the master. The master reads a slot only while it is HELD and
    releases it once, after its last read.
*/
#ifndef MF_SHM_H
#define MF_SHM_H

#include <stddef.h>
#include <stdint.h>

#define MF_SHM_MAX_BYTES ((size_t) 256 << 20)  //  bytes of one region's slots at most

typedef struct _mf_shm_t mf_shm_t;

//  Maps an arena of regions regions of slots slots, each of slot_bytes
//  (rounded up to 64) before any fork; draws each region's secret.
//  Fewer slots are made where slots x slot_bytes would pass
//  MF_SHM_MAX_BYTES (at least one). Returns NULL with the reason in err.
mf_shm_t *mf_shm_new (int regions, int slots, size_t slot_bytes, char *err, size_t errlen);

//  Unmaps the arena (in the master: after its engine is destroyed and
//  its workers are gone); safe twice, nulls the pointer.
void mf_shm_destroy (mf_shm_t **self_p);

//  Regions in the arena.
int mf_shm_regions (const mf_shm_t *self);

//  Slots of each region.
int mf_shm_slots (const mf_shm_t *self);

//  Bytes one slot holds.
size_t mf_shm_slot_bytes (const mf_shm_t *self);

//  The secret of region (the uid its worker says HELLO with), never 0.
uint64_t mf_shm_uid (const mf_shm_t *self, int region);

//  The region whose secret is uid, or -1.
int mf_shm_find (const mf_shm_t *self, uint64_t uid);

//  Worker: takes a free slot of region for a result of bytes. Returns
//  the slot, now HELD, or -1 when none is free or bytes do not fit.
int mf_shm_take (mf_shm_t *self, int region, size_t bytes);

//  Where a slot's bytes are (64-byte aligned); region and slot valid.
void *mf_shm_data (mf_shm_t *self, int region, int slot);

//  Master: the bytes of a HELD slot holding bytes, or NULL when slot is
//  out of range, not held, or too small: the RESULT naming it is bad.
const uint8_t *mf_shm_held (mf_shm_t *self, int region, uint32_t slot, size_t bytes);

//  Frees a HELD slot: the master once it has read it, or the worker for
//  a tile it drops unsent. Does nothing for a slot out of range.
void mf_shm_release (mf_shm_t *self, int region, uint32_t slot);

//  Slots of region HELD now (for tests).
int mf_shm_held_count (mf_shm_t *self, int region);

#endif
