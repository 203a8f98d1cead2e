/*  mf_bands: an ordered parallel pipeline. The caller submits items in
    order (bands of an image, for instance); a few threads make each one
    (compress it) as soon as there is room; the caller's thread consumes
    them strictly in the order submitted (writes them to a file). At most
    MF_BANDS_AHEAD items per thread are in flight, so memory stays bounded
    however long the stream is, and a stream of any length can go through
    without being in memory whole.

    What an item is, how it is made and written, is the caller's: the
    pipeline only moves opaque pointers. Items are written on the thread
    that calls mf_bands_submit or mf_bands_finish, so the write function
    needs no lock. With no thread (threads 0), each item is made and
    written inside mf_bands_submit, on the caller's thread.

    A stop flag (set from a signal handler, say) is read between items:
    once it is set, submit and finish fail, the threads leave after the
    item they are making, and nothing more is written.
*/
#ifndef MF_BANDS_H
#define MF_BANDS_H

#include <signal.h>

#define MF_BANDS_AHEAD 4                //  items in flight per thread, beyond the one written

typedef struct {
    //  Per-thread scratch memory, made on the thread that uses it.
    //  Returns NULL when out of memory (the pipeline then fails).
    void *(*scratch_new) (void *arg);
    //  Frees what scratch_new made.
    void (*scratch_free) (void *arg, void *scratch);
    //  Makes item, on a pipeline thread (or the caller's, with no
    //  thread), from several threads at once for different items.
    //  Returns 0, or -1 to fail the pipeline.
    int (*make) (void *arg, void *scratch, void *item);
    //  Consumes a made item, in submission order, on the caller's
    //  thread. Returns 0, or -1 to fail the pipeline.
    int (*write) (void *arg, void *item);
    //  Frees an item: once written, or when the pipeline is destroyed
    //  before it was.
    void (*free_item) (void *arg, void *item);
} mf_bands_fns_t;

typedef struct _mf_bands_t mf_bands_t;

//  Starts a pipeline with threads making threads (0: none, everything on
//  the caller's thread), calling fns with arg; *stop set stops it (stop
//  NULL: never). Returns NULL when out of memory. When no thread can be
//  started it runs as with none: the items are the same either way.
mf_bands_t *mf_bands_new (const mf_bands_fns_t *fns, void *arg, int threads,
                          volatile sig_atomic_t *stop);

//  Gives the pipeline the next item (it owns it from now on, whatever
//  the result), writing the items made before it that are ready, and
//  waiting for room if too many are in flight. Returns 0, or -1 when the
//  pipeline failed or was stopped.
int mf_bands_submit (mf_bands_t *self, void *item);

//  Waits until every item submitted is made and writes them. Returns 0,
//  or -1 when the pipeline failed or was stopped.
int mf_bands_finish (mf_bands_t *self);

//  Stops the threads (after the items they are making), frees every
//  item not written; safe twice, nulls the pointer.
void mf_bands_destroy (mf_bands_t **self_p);

#endif
