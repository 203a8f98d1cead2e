/*  mandelfarm-master: renders a Mandelbrot view on a farm of workers.

    Parses the command line, then hands over to the headless renderer, or
    to the live viewer with --view.
*/
#include "options.h"
#include "render.h"
#include "viewer.h"
#include "mf_log.h"
#include "mf_version.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

int
main (int argc, char *argv [])
{
    mf_log_init ("mandelfarm-master");
    mf_options_t opts;
    char err [512];
    if (mf_options_parse (argc, argv, &opts, err, sizeof err)) {
        fprintf (stderr, "mandelfarm-master: %s\n", err);
        return 2;
    }
    if (opts.help) {
        mf_options_usage (stdout);
        return 0;
    }
    if (opts.version) {
        printf ("mandelfarm-master %s\n", MF_VERSION);
        return 0;
    }
    mf_log_level = opts.verbose? MF_LOG_INFO: opts.quiet? MF_LOG_ERROR: MF_LOG_WARN;

    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);        //  CZMQ must not install its own handlers

    int rc = opts.live? mf_viewer_run (&opts, &s_stop): mf_render_run (&opts, &s_stop);
    zsys_shutdown ();
    return rc;
}
