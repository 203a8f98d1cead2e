/*  mf_builder: the worker's thread that turns a shipped reference orbit
    into a BLA table for one deep view, off the network thread: checking
    and unpacking the orbit (mf_ship_unpack: decompression, hash, strict
    decode) and building the table (mf_bla_new with the view's |c|max)
    take seconds and much memory at great depths (the brief measured
    1.7 s and 694 MB at 2e-2608), while the network thread must keep
    answering heartbeats and the compute threads keep computing.

    Builds run one at a time, in the order asked, so that at most one
    orbit and one table are being made at once. A request for a table
    already asked for and not yet answered is dropped (its one answer
    serves both). Each answer (mf_builder_next) carries the table, or why
    there is none; a pipe becomes readable when answers wait, so the
    network thread polls it with its sockets.

    A build in hand cannot be interrupted (mf_bla_new has no stop flag):
    destroying the builder waits for it, and drops the requests queued.
*/
#ifndef MF_BUILDER_H
#define MF_BUILDER_H

#include "orbits.h"
#include "mf_deep.h"
#include "mf_ship.h"

#include <stddef.h>
#include <stdint.h>

typedef struct _mf_builder_t mf_builder_t;

//  What to build: the table of orbit id for |c|max cmax, from the
//  shipped orbit blob, which must unpack (within limit bytes, to its
//  declared raw size) to an orbit of type.
typedef struct {
    mf_orbit_id_t id;
    mf_fexp_t cmax;
    mf_delta_t type;                    //  the lease's delta type
    uint8_t *blob;                      //  the shipped orbit (owned by the request)
    size_t blob_size;
    uint64_t raw;                       //  its declared canonical size
    uint64_t limit;                     //  the most canonical bytes allowed
} mf_build_t;

//  An answer.
typedef struct {
    mf_orbit_id_t id;                   //  as asked
    mf_fexp_t cmax;
    mf_table_t *table;                  //  the table (one reference, the caller's),
                                        //  or NULL
    mf_ship_error_t why;                //  without a table: what failed (E_ORBIT also
                                        //  for an orbit of another type)
    char err [256];                     //  ... in one line
    int64_t took_ms;                    //  msecs the build took, unpacking included
} mf_built_t;

//  Starts the thread. NULL when it cannot (the reason is logged).
mf_builder_t *mf_builder_new (void);

//  Waits for the build in hand, drops the queued ones and every answer
//  not taken; safe twice, nulls the pointer.
void mf_builder_destroy (mf_builder_t **self_p);

//  A descriptor that is readable while answers wait.
int mf_builder_fd (mf_builder_t *self);

//  Queues a build, taking request->blob (nulled) in any case. Returns 0,
//  or -1 when out of memory.
int mf_builder_submit (mf_builder_t *self, mf_build_t *request);

//  Takes the oldest answer into built: returns 1, or 0 when none waits.
int mf_builder_next (mf_builder_t *self, mf_built_t *built);

//  Builds queued or in hand.
size_t mf_builder_pending (mf_builder_t *self);

#endif
