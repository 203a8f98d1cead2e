/*  mf_render: the headless face of the master: check the outputs and
    open them, launch the farm (launch.h), render one view to completion
    with a progress bar, then write the PNG (and the .npy) atomically and
    print a summary.
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

//  Writes the PNG of a finished image with the render's tEXt metadata.
//  Returns 0, or -1 with the reason in err (nothing is left under path).
int mf_render_write_png (const char *path, const mf_view_t *view, uint32_t maxiter,
                         const mf_palette_t *palette, const float *mu,
                         char *err, size_t errlen);

//  Writes mu as a .npy file. Returns 0, or -1 with the reason in err.
int mf_render_write_npy (const char *path, uint32_t width, uint32_t height,
                         const float *mu, char *err, size_t errlen);

#endif
