/*  mf_shipped: see shipped.h. The count of references is atomic; the
    table and the counters it updates are under a lock (only the arbiter
    builds tables, but --stats reads the counters from the poll thread).
*/
#include "shipped.h"
#include "mf_util.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _mf_shipped_t {
    atomic_int refs;                    //  references held
    mf_orbit_id_t id;                   //  the hash of the canonical bytes
    uint8_t *blob;                      //  the shipped bytes
    size_t blob_size;                   //  bytes of blob
    pthread_mutex_t lock;               //  guards what follows
    mf_shipped_info_t info;             //  sizes and times
    mf_bla_t *table;                    //  the arbiter's last table, or NULL
    mf_fexp_t table_cmax;               //  the |c|max it was built for
};

mf_shipped_t *
mf_shipped_new (const mf_orbit_t *orbit, char *err, size_t errlen)
{
    mf_shipped_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    int64_t start = mf_clock_us ();
    uint64_t raw = 0;
    if (mf_ship_pack_orbit (orbit, &self->id, &self->blob, &self->blob_size, &raw,
                            err, errlen)) {
        free (self);
        return NULL;
    }
    atomic_init (&self->refs, 1);
    pthread_mutex_init (&self->lock, NULL);
    self->info = (mf_shipped_info_t) {
        .points = mf_orbit_count (orbit), .precision = mf_orbit_precision (orbit),
        .type = mf_orbit_type (orbit), .escaped = mf_orbit_escaped (orbit),
        .maxiter = mf_orbit_maxiter (orbit), .raw = raw, .packed = self->blob_size,
        .pack_seconds = (mf_clock_us () - start) / 1e6
    };
    return self;
}

mf_shipped_t *
mf_shipped_ref (mf_shipped_t *self)
{
    atomic_fetch_add (&self->refs, 1);
    return self;
}

void
mf_shipped_destroy (mf_shipped_t **self_p)
{
    assert (self_p);
    mf_shipped_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (atomic_fetch_sub (&self->refs, 1) != 1)
        return;
    mf_bla_destroy (&self->table);
    pthread_mutex_destroy (&self->lock);
    free (self->blob);
    free (self);
}

const mf_orbit_id_t *
mf_shipped_id (const mf_shipped_t *self)
{
    return &self->id;
}

const uint8_t *
mf_shipped_blob (const mf_shipped_t *self, size_t *size)
{
    *size = self->blob_size;
    return self->blob;
}

uint64_t
mf_shipped_raw (const mf_shipped_t *self)
{
    return self->info.raw;
}

uint64_t
mf_shipped_points (const mf_shipped_t *self)
{
    return self->info.points;
}

mf_delta_t
mf_shipped_type (const mf_shipped_t *self)
{
    return self->info.type;
}

void
mf_shipped_info (mf_shipped_t *self, mf_shipped_info_t *info)
{
    pthread_mutex_lock (&self->lock);
    *info = self->info;
    pthread_mutex_unlock (&self->lock);
}

const mf_bla_t *
mf_shipped_table (mf_shipped_t *self, mf_fexp_t cmax, char *err, size_t errlen)
{
    pthread_mutex_lock (&self->lock);
    bool have = self->table && self->table_cmax.m == cmax.m && self->table_cmax.e == cmax.e;
    mf_bla_t *old = have? NULL: self->table;
    if (!have)
        self->table = NULL;
    pthread_mutex_unlock (&self->lock);
    if (have)
        return self->table;
    mf_bla_destroy (&old);
    //  Our own bytes, checked all the same: the same code path a worker
    //  takes, so the master computes from exactly what it ships.
    int64_t start = mf_clock_us ();
    mf_ship_error_t why;
    char reason [256];
    mf_orbit_t *orbit = mf_ship_unpack (self->blob, self->blob_size, self->info.raw, &self->id,
                                        self->info.raw, &why, reason, sizeof reason);
    if (!orbit) {
        snprintf (err, errlen, "cannot read back the reference orbit: %s", reason);
        return NULL;
    }
    mf_bla_t *table = mf_bla_new (orbit, cmax, err, errlen);
    mf_orbit_destroy (&orbit);
    if (!table)
        return NULL;
    pthread_mutex_lock (&self->lock);
    self->table = table;
    self->table_cmax = cmax;
    self->info.table_seconds += (mf_clock_us () - start) / 1e6;
    self->info.table_bytes = mf_bla_bytes (table);
    pthread_mutex_unlock (&self->lock);
    return table;
}
