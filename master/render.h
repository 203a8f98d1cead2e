/*  mf_render: the headless face of the master: check the outputs and
    open them, launch the farm (launch.h), render one view to completion
    with a progress bar, then write the PNG (and the .npy) atomically and
    print a summary.

    A deep view (opts->deep) is rendered the same way, with two more
    steps: once the local workers are forked and the engine polls, its
    reference orbit is computed on a thread of its own (reference.h),
    with its own progress line, while workers connect; the job then goes
    out as deep tiles of f64 mu into an image of doubles, which is
    colored through its automatic color density (mf_deep_auto.h).
*/
#ifndef MF_RENDER_H
#define MF_RENDER_H

#include "options.h"

#include <signal.h>

//  Renders opts' view. Returns the exit status: 0 done, 1 failed or
//  interrupted (*stop set), 2 bad input found only now (outputs that are
//  one file, not regular files, or cannot be written; keys; a size that
//  cannot be allocated; an endpoint that cannot be bound). Prints one
//  line on any failure. The outputs' temporary files are open before any
//  peer can connect, so a finished render is written even if strangers
//  took every other descriptor.
int mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop);


#endif
