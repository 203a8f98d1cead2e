/*  mandelfarm-worker: computes tiles for a mandelfarm master.

    Start one on every machine of the farm; it keeps serving render after
    render, and waits for the master (and reconnects) when it is away.
    The command line is worker_options.c's; this file reads the keys,
    catches the signals and runs the loop (worker.c).
*/
#include "worker.h"
#include "worker_options.h"
#include "mf_cli.h"
#include "mf_kernel.h"
#include "mf_log.h"

#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "mandelfarm-worker"

int
main (int argc, char *argv [])
{
    mf_log_init (PROGRAM);
    mf_worker_options_t options;
    char err [512];
    if (mf_worker_options_parse (argc, argv, &options, err, sizeof err))
        return mf_cli_usage_error (PROGRAM, "%s", err);
    if (options.help) {
        mf_worker_options_usage (stdout);
        return 0;
    }
    if (options.version)
        return mf_cli_version (PROGRAM);
    mf_log_level = options.log_level;
    mf_worker_opts_t *opts = &options.worker;

    //  Keys are read once, here: a bad file is a usage error, not a retry.
    mf_curve_keys_t keys, master;
    if (options.cert) {
        if (!mf_curve_available ())
            return mf_cli_usage_error (PROGRAM, "--cert: this libzmq has no CURVE security; "
                                       "install Debian's libzmq5 (built with libsodium)");
        if (mf_curve_load (options.cert, true, &keys, err, sizeof err))
            return mf_cli_usage_error (PROGRAM, "--cert: %s; see mandelfarm-keygen --help",
                                       err);
        int rc = mf_curve_load (options.master_key, false, &master, err, sizeof err);
        if (rc < 0) {
            mf_curve_wipe (&keys);
            return mf_cli_usage_error (PROGRAM, "--master-key: %s; give the master's public "
                                       "certificate", err);
        }
        if (rc == 1)
            mf_warn ("--master-key: '%s' holds the master's secret key too; a worker needs "
                     "only the public certificate (the secret should stay on the master)",
                     options.master_key);
        opts->curve = &keys;
        opts->master_key = master.public_txt;
    }

    if (mf_worker_catch_signals (opts)) {
        fprintf (stderr, PROGRAM ": cannot make a pipe: %s\n", strerror (errno));
        if (opts->curve)
            mf_curve_wipe (&keys);
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);        //  keep our handlers; CZMQ must not install its own

    //  workers-ssh reads this line (kernel and threads): keep its shape.
    char found_by [64];
    snprintf (found_by, sizeof found_by, "the master a beacon names (UDP port %d)",
              opts->discover_port);
    mf_info ("connecting to %s with %d threads, %s kernel%s",
             opts->endpoint? opts->endpoint: found_by, opts->threads,
             mf_kernel_find (opts->kernel)->name, opts->curve? ", CURVE": "");
    int rc = mf_worker_run (opts);
    if (opts->curve)
        mf_curve_wipe (&keys);
    zsys_shutdown ();
    return rc == 0? 0: 1;
}
