/*  mf_viewer: the live face of the master (--view). Opens an SDL2
    window, forks the local workers and drives the same engine as the
    headless export from a thread of its own (mf_farm), and shows tiles
    as they land: a coarse preview first, then the full tiles, center
    first. The mouse and keys explore; every view change cancels the
    jobs of the old view, whose tiles are never drawn into the new frame.
    A --script plays the same actions without a person.
*/
#ifndef MF_VIEWER_H
#define MF_VIEWER_H

#include "options.h"

#include <signal.h>

//  Runs the viewer until the window is closed, q or Escape, a script's
//  quit, or *stop. Returns the exit status: 0 done, 1 failed or
//  interrupted, 2 bad input found only now (a --script that does not
//  parse, an endpoint that cannot be bound). Prints one line on failure.
int mf_viewer_run (const mf_options_t *opts, volatile sig_atomic_t *stop);

#endif
