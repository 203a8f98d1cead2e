/*  mf_reference: a deep view's reference orbit, computed once by the
    master on a thread of its own, so that the thread that drives the
    engine keeps polling meanwhile (heartbeats go on, workers register
    and wait; at 2e-2608 the reference takes 46 s).

    The thread computes the orbit of the view's center in MPFR
    (mf_orbit_compute) to maxiter, or, for --iter auto, to the cap of
    mf_deep_auto.h and then chooses maxiter from it; then packs it and
    names it (mf_shipped). The caller polls mf_reference_poll for the
    progress (iterations done of the limit, for a progress line) and for
    the end, then takes the result. Destroying it first cancels the
    computation within MF_ORBIT_PROGRESS_MS or so.

    The reference may be another point than the view's center
    (mf_reference_new_at): a movie computes one orbit at its target and
    renders every deep frame from it, and a single render of a frame,
    from its metadata, names the same point and precision (movie.h says
    why). mf_reference_map gives the kernels' map for such a point. A
    movie deeper than about 1e-289 has frames in both number types: from
    the one MPFR computation in floatexp the thread also derives the
    orbit in doubles (mf_reference_new_both, mf_orbit_as_doubles), the
    bytes a computation in doubles would give.

    Fork first: the thread starts after the local workers are forked.
*/
#ifndef MF_REFERENCE_H
#define MF_REFERENCE_H

#include "shipped.h"
#include "mf_deep.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _mf_reference_t mf_reference_t;

//  Starts computing view's reference to maxiter (0: --iter auto). view is
//  the caller's and must outlive the object. Returns NULL with the reason
//  in err (out of memory, no thread).
mf_reference_t *mf_reference_new (const mf_deep_view_t *view, uint32_t maxiter,
                                  char *err, size_t errlen);

//  The same at another reference point: point "RE,IM" read at bits of
//  precision (rounded to nearest), in view's delta type; --iter auto
//  (maxiter 0) chooses from view and that orbit. Returns NULL with the
//  reason in err (a point that does not read, out of memory, no thread).
mf_reference_t *mf_reference_new_at (const mf_deep_view_t *view, const char *point, long bits,
                                     uint32_t maxiter, char *err, size_t errlen);

//  As mf_reference_new_at, and when view's type is floatexp the same
//  orbit in doubles as well (mf_reference_take_doubles), derived from the
//  one computation, for the shallower frames of a movie. Returns NULL
//  as mf_reference_new_at.
mf_reference_t *mf_reference_new_both (const mf_deep_view_t *view, const char *point, long bits,
                                       uint32_t maxiter, char *err, size_t errlen);

//  The kernels' map of view with its reference at point (read at bits):
//  mf_deep_view_map's, with the offset of the view's center from the
//  point, computed in MPFR and rounded once to floatexp. Returns 0, or
//  -1 when point does not read as "RE,IM" (map is then the center's).
int mf_reference_map (const mf_deep_view_t *view, const char *point, long bits,
                      mf_deep_map_t *map);

//  Cancels the computation if it still runs, waits for the thread, frees
//  what was not taken; safe twice, nulls the pointer.
void mf_reference_destroy (mf_reference_t **self_p);

//  Whether the computation has ended (done or failed). done and limit,
//  if not NULL, receive the iterations computed so far and the most it
//  will compute.
bool mf_reference_poll (mf_reference_t *self, uint64_t *done, uint64_t *limit);

//  Once ended: the packed orbit (the caller owns this reference) and the
//  maxiter the view renders at (the given one, or --iter auto's choice).
//  Returns NULL with the reason in err when the computation failed, or
//  when it has not ended or was taken already.
mf_shipped_t *mf_reference_take (mf_reference_t *self, uint32_t *maxiter,
                                 char *err, size_t errlen);

//  Once ended, for mf_reference_new_both in floatexp: the orbit in
//  doubles, to the maxiter mf_reference_take gives (the caller owns this
//  reference). Returns NULL with the reason in err when the computation
//  failed, when it has not ended, when it was not asked for, or when it
//  was taken already.
mf_shipped_t *mf_reference_take_doubles (mf_reference_t *self, char *err, size_t errlen);

//  Seconds the MPFR computation took (so far, while it runs).
double mf_reference_seconds (mf_reference_t *self);

#endif
