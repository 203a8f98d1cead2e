/*  mf_fetcher: a worker's download of shipped reference orbits from its
    master, over the link it already has, in chunks with credit (the
    ZeroMQ guide, chapter 7, file transfer model 3): the worker asks for
    chunks of up to chunk_bytes, at most window of them unanswered at
    any time, and asks for the next one as each arrives. So the master
    never has more than window chunks of one worker's in its queue, and
    the worker never receives a byte it did not ask for into its memory.

    One orbit is fetched at a time, in the order they were wanted. Every
    CHUNK is judged (mf_fetcher_chunk): it must be of the orbit being
    fetched and answer one of the requests outstanding, offset for
    offset, with exactly the length asked and the total size the lease
    declared. One that answers no outstanding request (late, twice,
    another orbit) is unasked: dropped and counted, no harm. One that
    answers a request with another length or total is bad: the master
    contradicts the lease, and the fetch is abandoned (the caller refuses
    the orbit). Chunks are placed where they were asked for, so they
    cannot overlap nor pass the declared size.

    When no chunk arrives for timeout_ms, the outstanding requests are
    asked again (a restarted master on the same endpoint lost them);
    after tries rounds without an answer the fetch is given up.

    Pure bookkeeping: the caller sends the FETCHes it is given and hands
    in the CHUNKs it receives. It belongs to the network thread.
*/
#ifndef MF_FETCHER_H
#define MF_FETCHER_H

#include "mf_proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_FETCHER_WINDOW 8             //  chunks asked for and not answered, at most
#define MF_FETCHER_QUEUE 64             //  orbits waiting to be fetched, at most
#define MF_FETCHER_TRIES 3              //  rounds of asking before giving up

typedef struct _mf_fetcher_t mf_fetcher_t;

typedef enum {
    MF_CHUNK_TAKEN,                     //  stored; more to come
    MF_CHUNK_COMPLETE,                  //  stored; the orbit is whole (mf_fetcher_take)
    MF_CHUNK_UNASKED,                   //  answers no outstanding request: dropped
    MF_CHUNK_BAD                        //  contradicts the lease: the fetch is abandoned
} mf_chunk_verdict_t;

//  A fetcher asking chunk_bytes (1..MF_PROTO_CHUNK_MAX) at a time, at
//  most window (1..MF_FETCHER_WINDOW) unanswered, asking again after
//  timeout_ms without an answer, giving up after tries rounds. NULL
//  when out of memory.
mf_fetcher_t *mf_fetcher_new (uint32_t chunk_bytes, uint32_t window, int timeout_ms, int tries);

//  Destroys it and every partial download; safe twice, nulls the pointer.
void mf_fetcher_destroy (mf_fetcher_t **self_p);

//  Changes the silence before asking again (the heartbeat changed).
void mf_fetcher_set_timeout (mf_fetcher_t *self, int timeout_ms);

//  Wants the orbit id, shipped bytes long: fetched after those wanted
//  before. Nothing happens when it is wanted already. Returns 0, or -1
//  when MF_FETCHER_QUEUE orbits wait already.
int mf_fetcher_want (mf_fetcher_t *self, const mf_orbit_id_t *id, uint64_t shipped);

//  Whether an orbit is being fetched now (not only waiting to be).
bool mf_fetcher_active (const mf_fetcher_t *self);

//  Whether id is being fetched or waits to be.
bool mf_fetcher_wants (const mf_fetcher_t *self, const mf_orbit_id_t *id);

//  The FETCHes to send now (at most max, into out): new requests up to
//  the window, and the outstanding ones again after a silence. Returns
//  how many.
size_t mf_fetcher_requests (mf_fetcher_t *self, int64_t now, mf_fetch_t *out, size_t max);

//  Judges and stores a CHUNK received at now (see above); with BAD, one
//  line in err says what was wrong.
mf_chunk_verdict_t mf_fetcher_chunk (mf_fetcher_t *self, const mf_chunk_t *chunk, int64_t now,
                                     char *err, size_t errlen);

//  After MF_CHUNK_COMPLETE: the whole shipped orbit (the caller frees
//  it), its id and size; the next orbit wanted starts. NULL otherwise.
uint8_t *mf_fetcher_take (mf_fetcher_t *self, mf_orbit_id_t *id, size_t *size);

//  Whether the orbit being fetched had to be given up: its id into id
//  and 1, with no_memory set when its buffer could not be had (else no
//  answer came for MF_FETCHER_TRIES rounds); else 0. The next starts.
int mf_fetcher_given_up (mf_fetcher_t *self, int64_t now, mf_orbit_id_t *id, bool *no_memory);

//  Stops fetching id, or waiting to (the master does not hold it, or the
//  chunks were bad). Returns 1 if it was wanted, else 0.
int mf_fetcher_abandon (mf_fetcher_t *self, const mf_orbit_id_t *id);

//  Forgets every fetch (a fresh socket: what was asked will never be
//  answered).
void mf_fetcher_reset (mf_fetcher_t *self);

#endif
