/*  mandelfarm-master: renders a Mandelbrot view on a farm of workers.

    Parses the command line, then hands over to the headless renderer, or
    to the live viewer with --view.

    The same file, compiled with MF_VIEWER, is mandelfarm-viewer: the
    master with the SDL2 viewer linked in. The headless master does not
    link SDL2 (loading it and its dozens of libraries costs about 10 ms
    on every start, a tenth of a shallow render); with --view it replaces
    itself with mandelfarm-viewer from its own directory, arguments
    unchanged.
*/
#include "options.h"
#include "render.h"
#include "movie.h"
#include "mf_log.h"
#include "mf_sys.h"
#include "mf_version.h"
#ifdef MF_VIEWER
#include "viewer.h"
#endif

#include <czmq.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

#ifndef MF_VIEWER
//  Runs mandelfarm-viewer from this program's directory with our argv.
//  Returns only on failure, with the exit status.
static int
s_exec_viewer (char *argv [])
{
    char self [PATH_MAX], viewer [PATH_MAX + 32];
    if (mf_sys_self_path (self, sizeof self)) {
        mf_say ("--view: cannot find where this program is: %s", strerror (errno));
        return 1;
    }
    snprintf (viewer, sizeof viewer, "%s/mandelfarm-viewer", dirname (self));
    execv (viewer, argv);
    mf_say ("--view needs mandelfarm-viewer beside this program (%s): %s; build it with "
            "make or install it with make install", viewer, strerror (errno));
    return 1;
}
#endif

int
main (int argc, char *argv [])
{
    mf_log_init ("mandelfarm-master");
    mf_options_t opts;
    char err [512];
#ifdef MF_VIEWER
    //  mandelfarm-viewer is always the viewer: parsed as with --view
    //  (--iter auto, say, is the viewer's on a shallow view too).
    char **args = calloc ((size_t) argc + 2, sizeof *args);
    if (!args) {
        mf_say ("out of memory");
        return 1;
    }
    memcpy (args, argv, (size_t) argc * sizeof *args);
    args [argc] = (char *) "--view";
    int parsed = mf_options_parse (argc + 1, args, &opts, err, sizeof err);
    free (args);
    if (parsed) {
#else
    if (mf_options_parse (argc, argv, &opts, err, sizeof err)) {
#endif
        mf_say ("%s", err);
        return 2;
    }
    if (opts.help || opts.version) {
        if (opts.help)
            mf_options_usage (stdout);
        else
            printf ("mandelfarm-master %s\n", MF_VERSION);
        mf_options_clear (&opts);
        return 0;
    }
    mf_log_level = opts.verbose? MF_LOG_INFO: opts.quiet? MF_LOG_ERROR: MF_LOG_WARN;
#ifdef MF_VIEWER
    opts.live = true;               //  mandelfarm-viewer is always the viewer
#else
    if (opts.live)
        return s_exec_viewer (argv);
#endif

    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);        //  CZMQ must not install its own handlers

#ifdef MF_VIEWER
    int rc = mf_viewer_run (&opts, &s_stop);
#else
    int rc = opts.movie? mf_movie_run (&opts, &s_stop): mf_render_run (&opts, &s_stop);
#endif
    mf_options_clear (&opts);
    zsys_shutdown ();
    return rc;
}
