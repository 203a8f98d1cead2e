/*  mandelfarm-worker's command line (worker/worker_options.c): defaults,
    what is accepted, and every refusal, one line naming the flag and
    what is allowed. Then the programs: the release worker knows no
    testing flag (--help does not show them, and --test-corrupt is an
    unknown option, status 2), the test worker built next to the tests
    has them; an endpoint no worker can connect to is refused at start
    with status 2, instead of retried forever.
*/
#include "helpers.h"
#include "worker_options.h"
#include "mf_kernel.h"
#include "mf_log.h"
#include "mf_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_MS 10000                    //  msecs a refused program may take at most

//  Parses the NULL-terminated arguments after the program name.
static int
s_parse (mf_worker_options_t *opts, char *err, size_t errlen, char *const args [])
{
    char *argv [32] = { "mandelfarm-worker" };
    int argc = 1;
    while (args [argc - 1] && argc < 31) {
        argv [argc] = args [argc - 1];
        argc++;
    }
    argv [argc] = NULL;
    return mf_worker_options_parse (argc, argv, opts, err, errlen);
}

#define PARSE(opts, err, ...) s_parse ((opts), (err), sizeof (err), (char *[]) { __VA_ARGS__, NULL })

START_TEST (defaults)
{
    mf_worker_options_t opts;
    char err [512];
    ck_assert_int_eq (PARSE (&opts, err, "--connect", "tcp://192.0.2.10:5555"), 0);
    ck_assert_str_eq (opts.worker.endpoint, "tcp://192.0.2.10:5555");
    int cpus = mf_online_cpus ();
    ck_assert_int_eq (opts.worker.threads, cpus < MF_WORKER_MAX_THREADS? cpus
                                                                       : MF_WORKER_MAX_THREADS);
    ck_assert_ptr_null (opts.worker.kernel);
    ck_assert_ptr_null (opts.worker.name);
    ck_assert_int_eq (opts.worker.stop_fd, -1);
    ck_assert_int_eq (opts.worker.test_delay_ms, 0);
    ck_assert_int_eq (opts.worker.test_corrupt_every, 0);
    ck_assert_uint_eq (opts.worker.cache_mb, 0);        //  the worker's default
    ck_assert_uint_ge (mf_worker_cache_mb (), MF_WORKER_CACHE_MIN);
    ck_assert_ptr_null (opts.cert);
    ck_assert_ptr_null (opts.master_key);
    ck_assert_int_eq (opts.log_level, MF_LOG_INFO);
    ck_assert (!opts.help && !opts.version);
}
END_TEST

#define OK_CONNECT_ARGS "--connect", "tcp://127.0.0.1:5555"

START_TEST (everything_accepted)
{
    mf_worker_options_t opts;
    char err [512];
    ck_assert_int_eq (PARSE (&opts, err, "-c", "ipc://@farm", "-t", "7", "--kernel", "scalar",
                             "--name", "box", "-q", "--cert", "w.cert_secret",
                             "--master-key", "m.cert"), 0);
    ck_assert_str_eq (opts.worker.endpoint, "ipc://@farm");
    ck_assert_int_eq (opts.worker.threads, 7);
    ck_assert_str_eq (opts.worker.kernel, "scalar");
    ck_assert_str_eq (opts.worker.name, "box");
    ck_assert_int_eq (opts.log_level, MF_LOG_ERROR);
    ck_assert_str_eq (opts.cert, "w.cert_secret");
    ck_assert_str_eq (opts.master_key, "m.cert");
    ck_assert_int_eq (PARSE (&opts, err, "--connect", "tcp://[::1]:1", "--threads", "1000",
                             "--kernel", "auto", "--verbose"), 0);
    ck_assert_int_eq (opts.worker.threads, 1000);
    ck_assert_int_eq (opts.log_level, MF_LOG_DEBUG);
    ck_assert_int_eq (PARSE (&opts, err, "--connect", "tcp://master-host:65535",
                             "--threads", "1", "--cache-mb", "16"), 0);
    ck_assert_uint_eq (opts.worker.cache_mb, 16);
    ck_assert_int_eq (PARSE (&opts, err, OK_CONNECT_ARGS, "--cache-mb", "16777216"), 0);
    ck_assert_uint_eq (opts.worker.cache_mb, 16777216);
    //  --help and --version need nothing else.
    ck_assert_int_eq (PARSE (&opts, err, "--help"), 0);
    ck_assert (opts.help);
    ck_assert_int_eq (PARSE (&opts, err, "-V"), 0);
    ck_assert (opts.version);
}
END_TEST

typedef struct {
    const char *args [6];               //  after the program name
    const char *flag;                   //  the refusal names it...
    const char *allowed;                //  ... and says this of what is allowed
} s_refusal_t;

#define OK_CONNECT "--connect", "tcp://127.0.0.1:5555"

static const s_refusal_t s_refusals [] = {
    { { OK_CONNECT, "--threads", "0" }, "--threads", "from 1 to 1000" },
    { { OK_CONNECT, "--threads", "1001" }, "--threads", "from 1 to 1000" },
    { { OK_CONNECT, "-t", "two" }, "--threads", "from 1 to 1000" },
    { { OK_CONNECT, "--threads", " 2" }, "--threads", "from 1 to 1000" },
    { { OK_CONNECT, "--kernel", "avx1024" }, "--kernel", "this machine runs: auto," },
    { { "--connect", "tcp://" }, "--connect", "has no host; use tcp://HOST:PORT" },
    { { "--connect", "tcp://*:5555" }, "--connect", "connect to the master's host name" },
    { { "--connect", "tcp://master" }, "--connect", "has no port; use tcp://HOST:PORT" },
    { { "--connect", "tcp://master:0" }, "--connect", "from 1 to 65535" },
    { { "--connect", "tcp://master:99999" }, "--connect", "from 1 to 65535" },
    { { "--connect", "tcp://master:-1" }, "--connect", "from 1 to 65535" },
    { { "--connect", "tcp://master:*" }, "--connect", "from 1 to 65535" },
    { { "--connect", "udp://master:5555" }, "--connect", "unknown transport; use tcp://" },
    { { "--connect", "master:5555" }, "--connect", "not an endpoint; use tcp://" },
    { { "--connect", "ipc://" }, "--connect", "has no path; use tcp://HOST:PORT" },
    { { "--connect", "inproc://farm" }, "--connect", "reaches only its own process" },
    { { OK_CONNECT, "--discover-port", "5670" }, "--discover-port", "one or the other" },
    { { OK_CONNECT, "--cache-mb", "15" }, "--cache-mb", "from 16 to 16777216" },
    { { OK_CONNECT, "--cache-mb", "16777217" }, "--cache-mb", "from 16 to 16777216" },
    { { OK_CONNECT, "--cache-mb", "1g" }, "--cache-mb", "from 16 to 16777216" },
    { { "--discover-port", "0" }, "--discover-port", "from 1 to 65535" },
    { { "--discover-port", "65536" }, "--discover-port", "from 1 to 65535" },
    { { OK_CONNECT, "--cert", "w.cert_secret" }, "--master-key", "the master's public one" },
    { { OK_CONNECT, "--master-key", "m.cert" }, "--cert", "the master's public one" },
    { { OK_CONNECT, "--cert", "" }, "--cert", "secret certificate" },
    { { OK_CONNECT, "--bogus" }, "--bogus", "unknown option '--bogus'; see --help" },
    { { OK_CONNECT, "--threads" }, "--threads", "needs a value; see --help" },
    { { OK_CONNECT, "stray" }, "stray", "unexpected argument 'stray'; see --help" },
    //  The testing flags exist only in the test worker.
    { { OK_CONNECT, "--test-corrupt", "1" }, "--test-corrupt", "unknown option" },
    { { OK_CONNECT, "--test-delay", "5" }, "--test-delay", "unknown option" },
};

#define REFUSAL_COUNT (sizeof s_refusals / sizeof s_refusals [0])

START_TEST (each_refusal_is_one_line)
{
    const s_refusal_t *refusal = &s_refusals [_i];
    mf_worker_options_t opts;
    char err [512] = "";
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, (char *const *) refusal->args), -1);
    ck_assert_msg (strstr (err, refusal->flag), "'%s' does not name %s", err, refusal->flag);
    ck_assert_msg (strstr (err, refusal->allowed), "'%s' lacks '%s'", err, refusal->allowed);
    ck_assert_msg (!strchr (err, '\n'), "'%s' is more than one line", err);
}
END_TEST

//  The test worker, next to this test program (the Makefile builds both).
static const char *
s_faulty_worker (void)
{
    static char path [600];
    char self [512];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    ck_assert_int_gt (len, 0);
    self [len] = 0;
    *strrchr (self, '/') = 0;
    snprintf (path, sizeof path, "%s/mandelfarm-worker-faulty", self);
    return path;
}

//  Whether text is exactly one line.
static bool
s_one_line (const char *text)
{
    const char *end = strchr (text, '\n');
    return end && end [1] == 0;
}

START_TEST (release_worker_has_no_testing_flags)
{
    char out [4096];
    char *corrupt [] = { (char *) th_bin ("mandelfarm-worker"), "--connect",
                         "ipc://@mf-test-nobody", "--test-corrupt", "1", NULL };
    ck_assert_int_eq (th_run (corrupt, RUN_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "unknown option '--test-corrupt'") && s_one_line (out),
                   "said: %s", out);
    char *delay [] = { (char *) th_bin ("mandelfarm-worker"), "--connect",
                       "ipc://@mf-test-nobody", "--test-delay", "5", NULL };
    ck_assert_int_eq (th_run (delay, RUN_MS, out, sizeof out), 2);
    char *help [] = { (char *) th_bin ("mandelfarm-worker"), "--help", NULL };
    ck_assert_int_eq (th_run (help, RUN_MS, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "--connect ENDPOINT"));
    ck_assert_msg (!strstr (out, "--test-"), "--help shows testing flags: %s", out);
    char *version [] = { (char *) th_bin ("mandelfarm-worker"), "--version", NULL };
    ck_assert_int_eq (th_run (version, RUN_MS, out, sizeof out), 0);
    ck_assert_str_eq (out, "mandelfarm-worker " MF_VERSION "\n");
}
END_TEST

START_TEST (test_worker_has_them)
{
    char out [4096];
    char *help [] = { (char *) s_faulty_worker (), "--help", NULL };
    ck_assert_int_eq (th_run (help, RUN_MS, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "--test-delay MS"));
    ck_assert_ptr_nonnull (strstr (out, "--test-corrupt N"));
    char *zero [] = { (char *) s_faulty_worker (), "--connect", "ipc://@mf-test-nobody",
                      "--test-corrupt", "0", NULL };
    ck_assert_int_eq (th_run (zero, RUN_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--test-corrupt: '0' is not allowed; use a whole number from 1")
                   && s_one_line (out), "said: %s", out);
    char *delay [] = { (char *) s_faulty_worker (), "--connect", "ipc://@mf-test-nobody",
                       "--test-delay", "60001", NULL };
    ck_assert_int_eq (th_run (delay, RUN_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--test-delay"));
}
END_TEST

START_TEST (unreachable_endpoints_refused_at_start)
{
    //  Each one used to be retried forever.
    static const char *endpoints [] = {
        "tcp://", "tcp://*:5555", "tcp://127.0.0.1:0", "tcp://127.0.0.1:99999",
        "tcp://127.0.0.1:-1", "tcp://127.0.0.1", "tcp://:5555", "pgm://127.0.0.1:5555", "ipc://"
    };
    for (size_t index = 0; index < sizeof endpoints / sizeof endpoints [0]; index++) {
        char out [4096];
        char *argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect",
                          (char *) endpoints [index], "--threads", "1", NULL };
        int rc = th_run (argv, RUN_MS, out, sizeof out);
        ck_assert_msg (rc == 2, "%s: status %d: %s", endpoints [index], rc, out);
        ck_assert_msg (strstr (out, "mandelfarm-worker: --connect: '") && strstr (out, endpoints [index])
                       && s_one_line (out), "%s: said %s", endpoints [index], out);
    }
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("worker_options");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, defaults);
    tcase_add_test (tc, everything_accepted);
    tcase_add_loop_test (tc, each_refusal_is_one_line, 0, REFUSAL_COUNT);
    tcase_add_test (tc, release_worker_has_no_testing_flags);
    tcase_add_test (tc, test_worker_has_them);
    tcase_add_test (tc, unreachable_endpoints_refused_at_start);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
