/*  mf_render: the headless face of the master: fork the local workers,
    start the engine, render one view to completion with a progress bar,
    then write the PNG (and the .npy) atomically and print a summary.
*/
#ifndef MF_RENDER_H
#define MF_RENDER_H

#include "auth.h"
#include "mf_curve.h"
#include "options.h"

#include <signal.h>

//  Renders opts' view. Returns the exit status: 0 done, 1 failed or
//  interrupted (*stop set), 2 bad input found only now (an output that
//  cannot be written, a size that cannot be allocated, an endpoint that
//  cannot be bound). Prints one line on any failure.
int mf_render_run (const mf_options_t *opts, volatile sig_atomic_t *stop);

//  Checks --cert and --allow before anything starts: loads the master's
//  keys into keys, checks the allow directory, and warns when --listen
//  takes key-less workers off loopback. Returns 0, or 2 having printed one
//  line. Shared by the headless render and the viewer.
int mf_render_check_keys (const mf_options_t *opts, mf_curve_keys_t *keys);

//  Starts the authenticator for --cert (after the fork; *auth is NULL
//  without --cert) and wipes keys either way. Returns 0, or 1 having
//  printed one line: then no secure listener may start.
int mf_render_start_auth (const mf_options_t *opts, mf_curve_keys_t *keys, mf_auth_t **auth);

#endif
