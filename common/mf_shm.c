/*  mf_shm: see mf_shm.h.

    The arena is one mapping: for each region, its slot states (one
    atomic word each, a cache line apart so that two workers' states
    never share a line), then its slots. The object that describes it
    lives on the master's heap, and a forked child has its own copy of
    it, pointing at the same shared pages.
*/
#include "mf_shm.h"
#include "mf_sys.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define LINE 64                         //  bytes of a cache line: states and slots align to it

enum { FREE = 0, HELD = 1 };

struct _mf_shm_t {
    uint8_t *base;                      //  the mapping
    size_t size;                        //  its bytes
    int regions;                        //  regions in it
    int slots;                          //  slots in each
    size_t slot_bytes;                  //  bytes of a slot (a multiple of LINE)
    size_t region_bytes;                //  bytes of a region: states, then slots
    uint64_t *uids;                     //  each region's secret
};

//  Slot state word of region's slot.
static atomic_uint *
s_state (mf_shm_t *self, int region, int slot)
{
    return (atomic_uint *) (self->base + (size_t) region * self->region_bytes
                            + (size_t) slot * LINE);
}

mf_shm_t *
mf_shm_new (int regions, int slots, size_t slot_bytes, char *err, size_t errlen)
{
    assert (regions > 0 && slots > 0 && slot_bytes > 0);
    slot_bytes = (slot_bytes + LINE - 1) / LINE * LINE;
    if ((size_t) slots * slot_bytes > MF_SHM_MAX_BYTES)
        slots = MF_SHM_MAX_BYTES / slot_bytes > 0? (int) (MF_SHM_MAX_BYTES / slot_bytes): 1;
    mf_shm_t *self = calloc (1, sizeof *self);
    if (!self || !(self->uids = calloc ((size_t) regions, sizeof *self->uids))) {
        free (self);
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->regions = regions;
    self->slots = slots;
    self->slot_bytes = slot_bytes;
    self->region_bytes = (size_t) slots * LINE + (size_t) slots * slot_bytes;
    self->size = self->region_bytes * (size_t) regions;
    //  Pages are given on first touch: a slot never used costs nothing.
    void *base = mmap (NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
    if (base == MAP_FAILED) {
        snprintf (err, errlen, "cannot map %zu bytes shared with the local workers: %s",
                  self->size, strerror (errno));
        free (self->uids);
        free (self);
        return NULL;
    }
    self->base = base;
    for (int region = 0; region < regions; region++) {
        for (int slot = 0; slot < slots; slot++)
            atomic_init (s_state (self, region, slot), FREE);
        //  Nonzero and distinct, so that a uid names one region at most.
        do
            mf_sys_random (&self->uids [region], sizeof self->uids [region]);
        while (self->uids [region] == 0 || mf_shm_find (self, self->uids [region]) != region);
    }
    return self;
}

void
mf_shm_destroy (mf_shm_t **self_p)
{
    assert (self_p);
    mf_shm_t *self = *self_p;
    if (!self)
        return;
    munmap (self->base, self->size);
    free (self->uids);
    free (self);
    *self_p = NULL;
}

int
mf_shm_regions (const mf_shm_t *self)
{
    return self->regions;
}

int
mf_shm_slots (const mf_shm_t *self)
{
    return self->slots;
}

size_t
mf_shm_slot_bytes (const mf_shm_t *self)
{
    return self->slot_bytes;
}

uint64_t
mf_shm_uid (const mf_shm_t *self, int region)
{
    assert (region >= 0 && region < self->regions);
    return self->uids [region];
}

int
mf_shm_find (const mf_shm_t *self, uint64_t uid)
{
    for (int region = 0; uid && region < self->regions; region++)
        if (self->uids [region] == uid)
            return region;
    return -1;
}

int
mf_shm_take (mf_shm_t *self, int region, size_t bytes)
{
    assert (region >= 0 && region < self->regions);
    if (bytes > self->slot_bytes)
        return -1;
    for (int slot = 0; slot < self->slots; slot++) {
        unsigned expected = FREE;
        //  Acquire: the master's reads of the slot's last contents are
        //  over before we write into it.
        if (atomic_compare_exchange_strong_explicit (s_state (self, region, slot), &expected,
                                                     HELD, memory_order_acquire,
                                                     memory_order_relaxed))
            return slot;
    }
    return -1;
}

void *
mf_shm_data (mf_shm_t *self, int region, int slot)
{
    assert (region >= 0 && region < self->regions && slot >= 0 && slot < self->slots);
    return self->base + (size_t) region * self->region_bytes + (size_t) self->slots * LINE
         + (size_t) slot * self->slot_bytes;
}

const uint8_t *
mf_shm_held (mf_shm_t *self, int region, uint32_t slot, size_t bytes)
{
    assert (region >= 0 && region < self->regions);
    if (slot >= (uint32_t) self->slots || bytes > self->slot_bytes)
        return NULL;
    //  Acquire: the worker's writes, made before it sent the RESULT, are
    //  seen (the socket orders them too; this says so to the compiler).
    if (atomic_load_explicit (s_state (self, region, (int) slot), memory_order_acquire) != HELD)
        return NULL;
    return mf_shm_data (self, region, (int) slot);
}

void
mf_shm_release (mf_shm_t *self, int region, uint32_t slot)
{
    assert (region >= 0 && region < self->regions);
    if (slot < (uint32_t) self->slots)
        atomic_store_explicit (s_state (self, region, (int) slot), FREE, memory_order_release);
}

int
mf_shm_held_count (mf_shm_t *self, int region)
{
    int held = 0;
    for (int slot = 0; slot < self->slots; slot++)
        held += atomic_load (s_state (self, region, slot)) == HELD;
    return held;
}
