/*  mandelfarm-worker: computes tiles for a mandelfarm master.

    Start one on every machine of the farm; it keeps serving render after
    render, and waits for the master (and reconnects) when it is away.
*/
#include "worker.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_log.h"
#include "mf_util.h"
#include "mf_version.h"

#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: mandelfarm-worker --connect ENDPOINT [options]\n"
        "Computes Mandelbrot tiles for a mandelfarm master.\n"
        "\n"
        "  -c, --connect ENDPOINT  the master's endpoint, e.g. tcp://192.0.2.10:5555\n"
        "  -t, --threads N         compute threads (default: %d, the online CPUs)\n"
        "      --kernel NAME       force a kernel variant (available here: %s)\n"
        "      --name NAME         name shown by the master (default: host name)\n"
        "      --cert FILE_secret  talk CURVE, as this worker (a secret certificate\n"
        "                          from mandelfarm-keygen; its public half goes into\n"
        "                          the master's --allow directory)\n"
        "      --master-key FILE   with --cert: the master's public certificate; no\n"
        "                          other master gets our work or our tiles\n"
        "  -v, --verbose           log more\n"
        "  -q, --quiet             log only errors\n"
        "  -h, --help              this help\n"
        "  -V, --version           print the version\n"
        "\n"
        "Testing only (they make a worker slow or wrong on purpose):\n"
        "      --test-delay MS     sleep MS before each tile\n"
        "      --test-corrupt N    corrupt every Nth result (plausible but wrong values)\n",
        mf_online_cpus (), mf_kernel_names ());
}

static int
s_usage_error (const char *format, const char *arg, const char *allowed)
{
    fprintf (stderr, "mandelfarm-worker: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, "; %s\n", allowed);
    return 2;
}

int
main (int argc, char *argv [])
{
    mf_log_init ("mandelfarm-worker");
    mf_worker_opts_t opts = { .threads = mf_online_cpus (), .stop_fd = -1 };
    static const struct option longopts [] = {
        { "connect", required_argument, NULL, 'c' },
        { "threads", required_argument, NULL, 't' },
        { "kernel", required_argument, NULL, 'k' },
        { "name", required_argument, NULL, 'n' },
        { "cert", required_argument, NULL, 'C' },
        { "master-key", required_argument, NULL, 'M' },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "test-delay", required_argument, NULL, 'D' },
        { "test-corrupt", required_argument, NULL, 'X' },
        { NULL, 0, NULL, 0 }
    };
    const char *cert = NULL, *master_key = NULL;
    int opt;
    long value;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":c:t:vqhV", longopts, NULL)) != -1) {
        switch (opt) {
            case 'c': opts.endpoint = optarg; break;
            case 't':
                if (mf_parse_long (optarg, 1, MF_WORKER_MAX_THREADS, &value))
                    return s_usage_error ("--threads: '%s' is not allowed", optarg,
                                          "use a whole number from 1 to 1000");
                opts.threads = (int) value;
                break;
            case 'k':
                if (!mf_kernel_find (optarg))
                    return s_usage_error ("--kernel: '%s' is not available on this machine",
                                          optarg, mf_kernel_names ());
                opts.kernel = optarg;
                break;
            case 'n': opts.name = optarg; break;
            case 'D':
                if (mf_parse_long (optarg, 0, 60000, &value))
                    return s_usage_error ("--test-delay: '%s' is not allowed", optarg,
                                          "use a whole number of msecs from 0 to 60000");
                opts.test_delay_ms = (int) value;
                break;
            case 'X':
                if (mf_parse_long (optarg, 1, 1000000, &value))
                    return s_usage_error ("--test-corrupt: '%s' is not allowed", optarg,
                                          "use a whole number from 1 to 1000000");
                opts.test_corrupt_every = (int) value;
                break;
            case 'C': cert = optarg; break;
            case 'M': master_key = optarg; break;
            case 'v': mf_log_level = MF_LOG_DEBUG; break;
            case 'q': mf_log_level = MF_LOG_ERROR; break;
            case 'h': s_usage (stdout); return 0;
            case 'V': printf ("mandelfarm-worker %s\n", MF_VERSION); return 0;
            case ':':
                return s_usage_error ("%s needs a value", argv [optind - 1], "see --help");
            default:
                return s_usage_error ("unknown option '%s'", argv [optind - 1], "see --help");
        }
    }
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind], "see --help");
    if (!opts.endpoint)
        return s_usage_error ("%s", "--connect ENDPOINT is required",
                              "e.g. --connect tcp://master-host:5555");
    if (strncmp (opts.endpoint, "tcp://", 6) && strncmp (opts.endpoint, "ipc://", 6))
        return s_usage_error ("--connect: '%s' is not an endpoint", opts.endpoint,
                              "use tcp://HOST:PORT or ipc://PATH");

    if (!cert != !master_key)
        return s_usage_error ("%s", cert? "--cert needs --master-key FILE"
                                         : "--master-key needs --cert FILE_secret",
                              "a CURVE worker needs its own secret certificate and the "
                              "master's public one");
    //  Keys are read once, here: a bad file is a usage error, not a retry.
    mf_curve_keys_t keys, master;
    char err [512];
    if (cert) {
        if (!mf_curve_available ())
            return s_usage_error ("%s", "--cert: this libzmq has no CURVE security",
                                  "install Debian's libzmq5 (built with libsodium)");
        if (mf_curve_load (cert, true, &keys, err, sizeof err))
            return s_usage_error ("--cert: %s", err, "see mandelfarm-keygen --help");
        int rc = mf_curve_load (master_key, false, &master, err, sizeof err);
        if (rc < 0) {
            mf_curve_wipe (&keys);
            return s_usage_error ("--master-key: %s", err,
                                  "give the master's public certificate");
        }
        if (rc == 1)
            mf_warn ("--master-key: '%s' holds the master's secret key too; a worker needs "
                     "only the public certificate (the secret should stay on the master)",
                     master_key);
        opts.curve = &keys;
        opts.master_key = master.public_txt;
    }

    if (mf_worker_catch_signals (&opts)) {
        fprintf (stderr, "mandelfarm-worker: cannot make a pipe: %s\n", strerror (errno));
        return 1;
    }
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);        //  keep our handlers; CZMQ must not install its own

    mf_info ("connecting to %s with %d threads, %s kernel%s",
             opts.endpoint, opts.threads, mf_kernel_find (opts.kernel)->name,
             opts.curve? ", CURVE": "");
    int rc = mf_worker_run (&opts);
    if (opts.curve)
        mf_curve_wipe (&keys);
    zsys_shutdown ();
    return rc == 0? 0: 1;
}
