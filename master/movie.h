/*  mf_movie: a zoom movie rendered on the farm (--movie N): N frames,
    each a PNG at -o's pattern with the frame number (from 0), zooming
    exponentially from the first frame's width (--from-width, default
    the default view's 3.5) down to the target view's (--center,
    --width, --zoom or --from).

    The frames. Every frame is centered on the target's center, so the
    target point stays on the middle of the screen. Frame k of N has the
    width W0 (Wt / W0)^(k / (N - 1)), computed in MPFR at 256 bits
    (exp of the interpolated logarithms, correctly rounded) and written
    with 20 significant digits; frame 0 is W0 and frame N - 1 the target
    as given. Each frame's view is then read from those texts exactly as
    a single render reads them (mf_deep_view_new), so a frame's Center
    and Width texts render its view again: frames the rule of mf_deep.h
    calls shallow take today's double path, with its bytes.

    The reference. Perturbation's results depend, in their last bits,
    on the reference orbit: on its point, its precision and its number
    type. Every deep frame of a movie takes the one orbit at the target's
    center (mf_reference_new_at), computed at the target's precision
    once before the first frame, shipped once to each worker and shared
    by all jobs: a deep frame's map has the offset of its own center
    from that point (mf_reference_map). Its PNG names that point and
    precision in two more texts, Reference and ReferenceBits, and
    --from a frame takes them, so the single render of a frame computes
    the same orbit and gives the same bytes. A movie that crosses the
    floatexp threshold (a width per pixel below 2^-960, about 1e-289)
    needs the orbit in both number types: it is computed once, in
    floatexp, and the orbit in doubles derived from it
    (mf_reference_new_both), the bytes a computation in doubles gives.
    The orbit is computed only when a deep frame is left to compute:
    a finished movie run again computes none (but with --iter auto,
    whose maxiter the frames written must have).

    The farm. At most MF_MOVIE_IN_FLIGHT frames are jobs of the engine
    at once; the scheduler hands out the oldest job's tiles first, so a
    worker that finds nothing left in one frame takes tiles of the next
    instead of idling at the frame's end. A frame is written when its
    last tile lands, while the others go on.

    Resume. A frame whose PNG exists is kept and not computed again
    (all are checked first: a frame of another movie refuses the movie
    before anything is computed). Each
    frame in flight has a journal beside its PNG (PATH.journal, journal.h),
    removed once the PNG is written: the same command run again after a
    kill replays it and computes only the missing tiles.
*/
#ifndef MF_MOVIE_H
#define MF_MOVIE_H

#include "options.h"

#include <signal.h>

#define MF_MOVIE_IN_FLIGHT 3            //  frames submitted to the engine at once
#define MF_MOVIE_WIDTH_DIGITS 20        //  significant digits of a frame's width text

//  Renders opts' movie (opts->movie frames). Returns the exit status as
//  mf_render_run: 0 every frame written or kept, 1 failed or interrupted
//  (*stop set; the frames written stay, and the frames in flight keep
//  their journals), 2 bad input found only now. Prints one line on any
//  failure.
int mf_movie_run (const mf_options_t *opts, volatile sig_atomic_t *stop);

//  The text of frame index's width (of frames in all, > index) zooming
//  from first to last (decimal texts of positive widths) into text (size
//  bytes). Returns 0, or -1 when a text does not read as a positive
//  number or size is too small.
int mf_movie_width (const char *first, const char *last, uint32_t index, uint32_t frames,
                    char *text, size_t size);

#endif
