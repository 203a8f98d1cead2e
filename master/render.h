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

//  Writes the PNG of a finished image with the render's tEXt metadata.
//  Returns 0, or -1 with the reason in err (nothing is left under path).
int mf_render_write_png (const char *path, const mf_view_t *view, uint32_t maxiter,
                         const mf_palette_t *palette, const float *mu,
                         char *err, size_t errlen);

//  Writes mu as a .npy file. Returns 0, or -1 with the reason in err.
int mf_render_write_npy (const char *path, uint32_t width, uint32_t height,
                         const float *mu, char *err, size_t errlen);

#endif
