/*  mf_shipped: a deep view's reference orbit as the master holds it for
    the jobs computed from it: its shipped bytes (one zstd frame of its
    canonical form, mf_ship.h), the id that names them, and the sizes a
    DEEPTILE declares. That is all a worker needs; the master keeps no
    decoded orbit, which at 2e-2608 would be 170 MB more.

    The master's own computation of a disputed deep tile (--verify) needs
    the orbit's BLA table for the job's |c|max: mf_shipped_table unpacks
    the orbit and builds that table the first time it is asked, on the
    thread that asks (the arbiter's, never the engine's poll), and keeps
    it for the next tile of the same |c|max.

    Shared: every job that uses the orbit, the engine's table of orbits
    and an arbitration in flight each hold a counted reference
    (mf_shipped_ref, mf_shipped_destroy), from any thread; the last one
    frees it.
*/
#ifndef MF_SHIPPED_H
#define MF_SHIPPED_H

#include "mf_bla.h"
#include "mf_fexp.h"
#include "mf_orbit.h"
#include "mf_ship.h"

#include <stddef.h>
#include <stdint.h>

typedef struct _mf_shipped_t mf_shipped_t;

//  What was shipped, for --stats and the summary.
typedef struct {
    uint64_t points;                    //  points of the orbit
    long precision;                     //  bits it was computed at
    mf_delta_t type;                    //  its number type
    bool escaped;                       //  the reference escaped before maxiter
    uint32_t maxiter;                   //  what it was computed to
    uint64_t raw;                       //  bytes of its canonical form
    uint64_t packed;                    //  bytes shipped (the zstd frame)
    double pack_seconds;                //  time packing took
    double table_seconds;               //  time the arbiter's BLA tables took to
                                        //  build, all together (0: none built)
    uint64_t table_bytes;               //  bytes of the last one built
} mf_shipped_info_t;

//  Packs an orbit (mf_ship_pack_orbit) and names it; the orbit is only
//  read. Returns a new object holding one reference, or NULL with the
//  reason in err (out of memory, a zstd failure).
mf_shipped_t *mf_shipped_new (const mf_orbit_t *orbit, char *err, size_t errlen);

//  Another reference to the same object (thread-safe). Returns self.
mf_shipped_t *mf_shipped_ref (mf_shipped_t *self);

//  Drops a reference (thread-safe); the last one frees everything. Safe
//  twice, nulls the pointer.
void mf_shipped_destroy (mf_shipped_t **self_p);

//  The orbit's id (the hash of its canonical bytes).
const mf_orbit_id_t *mf_shipped_id (const mf_shipped_t *self);

//  The shipped bytes (owned by the object), size in *size.
const uint8_t *mf_shipped_blob (const mf_shipped_t *self, size_t *size);

//  Bytes of the canonical form (a DEEPTILE's raw).
uint64_t mf_shipped_raw (const mf_shipped_t *self);

//  Points of the orbit.
uint64_t mf_shipped_points (const mf_shipped_t *self);

//  Its number type.
mf_delta_t mf_shipped_type (const mf_shipped_t *self);

//  What it holds and what it cost (a copy, under the object's lock).
void mf_shipped_info (mf_shipped_t *self, mf_shipped_info_t *info);

//  The BLA table for cmax (mf_bla_new), built on the first call for that
//  cmax: seconds of work at extreme depths, so never on the engine's
//  poll thread. Valid until the next call; one thread (the arbiter's)
//  calls it. Returns NULL with the reason in err (out of memory).
const mf_bla_t *mf_shipped_table (mf_shipped_t *self, mf_fexp_t cmax, char *err, size_t errlen);

#endif
