/*  mf_cli: the refusals and the --version line every program shares, as
    functions, then through the two programs that use them (the worker
    and keygen): the same words, one line, status 2.
*/
#include "helpers.h"
#include "mf_cli.h"

#include <check.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_MS 10000                    //  msecs a refused program may take at most

START_TEST (refusals)
{
    char err [128];
    ck_assert_int_eq (mf_cli_refuse (err, sizeof err, "--threads", "0", "use 1 to 9"), -1);
    ck_assert_str_eq (err, "--threads: '0' is not allowed; use 1 to 9");
    ck_assert_int_eq (mf_cli_unexpected ("stray", err, sizeof err), -1);
    ck_assert_str_eq (err, "unexpected argument 'stray'; see --help");
    //  getopt's own, for the option it just read.
    char *argv [] = { "prog", "--threads", NULL };
    optind = 2;
    ck_assert_int_eq (mf_cli_getopt_error (':', argv, err, sizeof err), -1);
    ck_assert_str_eq (err, "--threads needs a value; see --help");
    ck_assert_int_eq (mf_cli_getopt_error ('?', argv, err, sizeof err), -1);
    ck_assert_str_eq (err, "unknown option '--threads'; see --help");
    //  Cut to the buffer, never overrun.
    char small [8];
    mf_cli_refuse (small, sizeof small, "--threads", "0", "use 1 to 9");
    ck_assert_str_eq (small, "--threa");
}
END_TEST

START_TEST (usage_error_is_one_line_on_stderr)
{
    char *path = th_path ("stderr");
    fflush (stderr);
    int saved = dup (2);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge (fd, 0);
    dup2 (fd, 2);
    close (fd);
    int rc = mf_cli_usage_error ("prog", "--x: '%s' is not allowed; %s", "y", "use z");
    fflush (stderr);
    dup2 (saved, 2);
    close (saved);
    ck_assert_int_eq (rc, MF_CLI_USAGE);
    ck_assert_int_eq (rc, 2);
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    ck_assert_ptr_nonnull (text);
    ck_assert_uint_eq (size, strlen ("prog: --x: 'y' is not allowed; use z\n"));
    ck_assert (memcmp (text, "prog: --x: 'y' is not allowed; use z\n", size) == 0);
    free (text);
    free (path);
}
END_TEST

START_TEST (programs_refuse_alike)
{
    const char *programs [] = { "mandelfarm-worker", "mandelfarm-keygen" };
    for (int index = 0; index < 2; index++) {
        char out [4096], expected [256];
        char *bogus [] = { (char *) th_bin (programs [index]), "--bogus", NULL };
        ck_assert_int_eq (th_run (bogus, RUN_MS, out, sizeof out), 2);
        snprintf (expected, sizeof expected, "%s: unknown option '--bogus'; see --help\n",
                  programs [index]);
        ck_assert_str_eq (out, expected);
        char *missing [] = { (char *) th_bin (programs [index]), "--name", NULL };
        ck_assert_int_eq (th_run (missing, RUN_MS, out, sizeof out), 2);
        snprintf (expected, sizeof expected, "%s: --name needs a value; see --help\n",
                  programs [index]);
        ck_assert_str_eq (out, expected);
        char *version [] = { (char *) th_bin (programs [index]), "--version", NULL };
        ck_assert_int_eq (th_run (version, RUN_MS, out, sizeof out), 0);
        snprintf (expected, sizeof expected, "%s %s\n", programs [index], MF_VERSION);
        ck_assert_str_eq (out, expected);
    }
    //  keygen's own checks read the same way.
    char out [4096];
    char *name [] = { (char *) th_bin ("mandelfarm-keygen"), "--name", "a\"b", "k.cert", NULL };
    ck_assert_int_eq (th_run (name, RUN_MS, out, sizeof out), 2);
    ck_assert_str_eq (out, "mandelfarm-keygen: --name: 'a\"b' is not allowed; use 1 to 255 "
                           "characters without quotes or line breaks\n");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("cli");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, refusals);
    tcase_add_test (tc, usage_error_is_one_line_on_stderr);
    tcase_add_test (tc, programs_refuse_alike);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
