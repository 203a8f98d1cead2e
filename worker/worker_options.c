/*  mf_worker_options: see worker_options.h. */
#include "worker_options.h"
#include "mf_beacon.h"
#include "mf_cli.h"
#include "mf_endpoint.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_util.h"

#include <getopt.h>
#include <string.h>

#define TEST_DELAY_MAX 60000            //  msecs, largest --test-delay
#define TEST_CORRUPT_MAX 1000000        //  largest --test-corrupt

enum { OPT_KERNEL = 256, OPT_NAME, OPT_CERT, OPT_MASTER_KEY, OPT_DISCOVER_PORT, OPT_CACHE_MB,
       OPT_TEST_DELAY, OPT_TEST_CORRUPT };

void
mf_worker_options_usage (FILE *out)
{
    fprintf (out,
        "Usage: mandelfarm-worker [--connect ENDPOINT] [options]\n"
        "Computes Mandelbrot tiles for a mandelfarm master.\n"
        "\n"
        "  -c, --connect ENDPOINT  the master's endpoint, e.g. tcp://192.0.2.10:5555\n"
        "                          Without it, the worker finds the master on its LAN\n"
        "                          segment by the beacon of a master started with\n"
        "                          --announce, connects to the first it may follow,\n"
        "                          and looks again when that master goes away. With\n"
        "                          keys only the master of --master-key is followed;\n"
        "                          without keys, anyone on the LAN can draw it away.\n"
        "      --discover-port PORT  without --connect: the beacons' UDP port\n"
        "                          (default %d)\n"
        "  -t, --threads N         compute threads (default: %d, the online CPUs)\n"
        "      --kernel NAME       force a kernel variant (available here: %s)\n"
        "      --name NAME         name shown by the master (default: host name)\n"
        "      --cache-mb MB       memory for deep views' reference orbits and BLA\n"
        "                          tables, MiB (default: half this machine's memory,\n"
        "                          %llu here); a deeper orbit than that holds is declined\n"
        "      --cert FILE_secret  talk CURVE, as this worker (a secret certificate\n"
        "                          from mandelfarm-keygen; its public half goes into\n"
        "                          the master's --allow directory)\n"
        "      --master-key FILE   with --cert: the master's public certificate; no\n"
        "                          other master gets our work or our tiles\n"
        "  -v, --verbose           log more\n"
        "  -q, --quiet             log only errors\n"
        "  -h, --help              this help\n"
        "  -V, --version           print the version\n",
        MF_BEACON_PORT, mf_online_cpus (), mf_kernel_names (),
        (unsigned long long) mf_worker_cache_mb ());
#ifdef MF_TEST_FAULTS
    fprintf (out,
        "\n"
        "Testing only (this is the test worker; they make it slow or wrong on purpose):\n"
        "      --test-delay MS     sleep MS before each tile\n"
        "      --test-corrupt N    corrupt every Nth result (plausible but wrong values)\n");
#endif
    fprintf (out,
        "\n"
        "Exit status: 0 when stopped (SIGTERM, SIGINT), 2 on a usage error, 1 on any\n"
        "other failure.\n");
}

int
mf_worker_options_parse (int argc, char *argv [], mf_worker_options_t *opts,
                         char *err, size_t errlen)
{
    memset (opts, 0, sizeof *opts);
    opts->worker.threads = mf_online_cpus ();
    if (opts->worker.threads > MF_WORKER_MAX_THREADS)
        opts->worker.threads = MF_WORKER_MAX_THREADS;
    opts->worker.stop_fd = -1;
    opts->worker.discover_port = MF_BEACON_PORT;
    bool have_discover_port = false;
    opts->log_level = MF_LOG_INFO;
    static const struct option longopts [] = {
        { "connect", required_argument, NULL, 'c' },
        { "threads", required_argument, NULL, 't' },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "name", required_argument, NULL, OPT_NAME },
        { "cert", required_argument, NULL, OPT_CERT },
        { "master-key", required_argument, NULL, OPT_MASTER_KEY },
        { "discover-port", required_argument, NULL, OPT_DISCOVER_PORT },
        { "cache-mb", required_argument, NULL, OPT_CACHE_MB },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
#ifdef MF_TEST_FAULTS
        { "test-delay", required_argument, NULL, OPT_TEST_DELAY },
        { "test-corrupt", required_argument, NULL, OPT_TEST_CORRUPT },
#endif
        { NULL, 0, NULL, 0 }
    };
    long value;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":c:t:vqhV", longopts, NULL)) != -1) {
        switch (opt) {
            case 'c': {
                char why [384];
                if (mf_endpoint_check (optarg, false, why, sizeof why)) {
                    snprintf (err, errlen, "--connect: %s", why);
                    return -1;
                }
                opts->worker.endpoint = optarg;
                break;
            }
            case 't':
                if (mf_parse_long (optarg, 1, MF_WORKER_MAX_THREADS, &value))
                    return mf_cli_refuse (err, errlen, "--threads", optarg,
                                          "use a whole number from 1 to 1000");
                opts->worker.threads = (int) value;
                break;
            case OPT_KERNEL:
                if (!mf_kernel_find (optarg)) {
                    char allowed [160];
                    snprintf (allowed, sizeof allowed, "this machine runs: auto, %s",
                              mf_kernel_names ());
                    return mf_cli_refuse (err, errlen, "--kernel", optarg, allowed);
                }
                opts->worker.kernel = optarg;
                break;
            case OPT_NAME: opts->worker.name = optarg; break;
            case OPT_CERT:
                if (!*optarg)
                    return mf_cli_refuse (err, errlen, "--cert", optarg,
                                          "give this worker's secret certificate "
                                          "(mandelfarm-keygen)");
                opts->cert = optarg;
                break;
            case OPT_MASTER_KEY:
                if (!*optarg)
                    return mf_cli_refuse (err, errlen, "--master-key", optarg,
                                          "give the master's public certificate");
                opts->master_key = optarg;
                break;
            case OPT_DISCOVER_PORT:
                if (mf_parse_long (optarg, 1, 65535, &value))
                    return mf_cli_refuse (err, errlen, "--discover-port", optarg,
                                          "use a UDP port from 1 to 65535 (default 5670)");
                opts->worker.discover_port = (int) value;
                have_discover_port = true;
                break;
            case OPT_CACHE_MB:
                if (mf_parse_long (optarg, MF_WORKER_CACHE_MIN, MF_WORKER_CACHE_MAX, &value))
                    return mf_cli_refuse (err, errlen, "--cache-mb", optarg,
                                          "use a whole number of MiB from 16 to 16777216");
                opts->worker.cache_mb = (uint64_t) value;
                break;
#ifdef MF_TEST_FAULTS
            case OPT_TEST_DELAY:
                if (mf_parse_long (optarg, 0, TEST_DELAY_MAX, &value))
                    return mf_cli_refuse (err, errlen, "--test-delay", optarg,
                                          "use a whole number of msecs from 0 to 60000");
                opts->worker.test_delay_ms = (int) value;
                break;
            case OPT_TEST_CORRUPT:
                if (mf_parse_long (optarg, 1, TEST_CORRUPT_MAX, &value))
                    return mf_cli_refuse (err, errlen, "--test-corrupt", optarg,
                                          "use a whole number from 1 to 1000000");
                opts->worker.test_corrupt_every = (int) value;
                break;
#endif
            case 'v': opts->log_level = MF_LOG_DEBUG; break;
            case 'q': opts->log_level = MF_LOG_ERROR; break;
            case 'h': opts->help = true; return 0;
            case 'V': opts->version = true; return 0;
            default:
                return mf_cli_getopt_error (opt, argv, err, errlen);
        }
    }
    if (optind < argc)
        return mf_cli_unexpected (argv [optind], err, errlen);
    if (opts->worker.endpoint && have_discover_port) {
        snprintf (err, errlen, "--discover-port finds the master by its beacons, and "
                  "--connect names it: give one or the other");
        return -1;
    }
    if (!opts->cert != !opts->master_key) {
        snprintf (err, errlen, "%s; a CURVE worker needs its own secret certificate and "
                  "the master's public one", opts->cert? "--cert needs --master-key FILE"
                                                     : "--master-key needs --cert FILE_secret");
        return -1;
    }
    return 0;
}
