/*  The worker's systemd unit, systemd/mandelfarm-worker@.service.in, as
    `make install` installs it (its install-systemd part, into a folder of
    the test's, with a build folder of its own so that the tree's build is
    left alone): where it goes, the worker's path written in, and
    `systemd-analyze verify` finding nothing to say about it. Without
    systemd-analyze (package systemd) the check prints SKIPPED.
*/
#include "helpers.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAKE_MS 60000                   //  msecs `make install-systemd` may take
#define VERIFY_MS 60000                 //  msecs systemd-analyze may take
#define UNIT "mandelfarm-worker@.service"


//  The source tree: the folder above bin/.
static const char *
s_tree (void)
{
    static char path [PATH_MAX];
    if (!path [0]) {
        char bin [PATH_MAX];
        ck_assert_ptr_nonnull (realpath (th_bin ("mandelfarm-worker"), bin));
        *strrchr (bin, '/') = 0;
        *strrchr (bin, '/') = 0;
        snprintf (path, sizeof path, "%s", bin);
    }
    return path;
}

//  Installs the unit with `make install-systemd` and these variables
//  (NULL-terminated). Returns make's status; its output goes to out.
static int
s_install (char *const vars [], char *out, size_t size)
{
    char build [PATH_MAX + 16];
    snprintf (build, sizeof build, "O=%s/build", th_dir);
    char *argv [16] = { "/usr/bin/make", "--no-print-directory", "-C", (char *) s_tree (),
                        build };
    int argc = 5;
    for (int index = 0; vars [index] && argc < 14; index++)
        argv [argc++] = vars [index];
    argv [argc++] = "install-systemd";
    argv [argc] = NULL;
    return th_run (argv, MAKE_MS, out, size);
}

START_TEST (unit_installed)
{
    //  The defaults: PREFIX=/usr/local, so /usr/local/lib/systemd/system,
    //  where systemd looks for units installed by hand.
    char destdir [PATH_MAX + 16], out [4096];
    snprintf (destdir, sizeof destdir, "DESTDIR=%s/root", th_dir);
    int rc = s_install ((char *[]) { destdir, NULL }, out, sizeof out);
    ck_assert_msg (rc == 0, "make install-systemd: %d: %s", rc, out);
    char *unit = th_path ("root/usr/local/lib/systemd/system/" UNIT);
    size_t size;
    char *text = (char *) th_slurp (unit, &size);
    ck_assert_msg (text, "no %s", unit);
    text = realloc (text, size + 1);
    text [size] = 0;
    ck_assert_msg (strstr (text, "\nExecStart=/usr/local/bin/mandelfarm-worker --connect tcp://%i:"),
                   "the installed worker's path is not in the unit: %s", text);
    ck_assert_msg (!strstr (text, "@BINDIR@"), "a placeholder is left");
    //  What the issue asks of it, and the keys as credentials.
    const char *lines [] = {
        "\nDynamicUser=yes\n", "\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n",
        "\nRestart=on-failure\n", "\nKillSignal=SIGTERM\n", "\nCapabilityBoundingSet=\n",
        "\nLoadCredential=cert:/etc/mandelfarm/worker.cert_secret\n",
        "\nLoadCredential=master-key:/etc/mandelfarm/%i.cert\n",
        "\nSystemCallFilter=@system-service\n", "\nWantedBy=multi-user.target\n"
    };
    for (size_t index = 0; index < sizeof lines / sizeof lines [0]; index++)
        ck_assert_msg (strstr (text, lines [index]), "no %s", lines [index] + 1);
    struct stat st;
    ck_assert_int_eq (stat (unit, &st), 0);
    ck_assert_int_eq (st.st_mode & 07777, 0644);
    free (text);

    //  PREFIX=/usr, a package's: /usr/lib/systemd/system and /usr/bin.
    char again [PATH_MAX + 16];
    snprintf (again, sizeof again, "DESTDIR=%s/pkg", th_dir);
    rc = s_install ((char *[]) { again, "PREFIX=/usr", NULL }, out, sizeof out);
    ck_assert_msg (rc == 0, "make install-systemd: %d: %s", rc, out);
    char *packaged = th_path ("pkg/usr/lib/systemd/system/" UNIT);
    text = (char *) th_slurp (packaged, &size);
    ck_assert_msg (text, "no %s", packaged);
    ck_assert (memmem (text, size, "ExecStart=/usr/bin/mandelfarm-worker ", 37));
    free (text);
    free (packaged);
    free (unit);
}
END_TEST

START_TEST (unit_verifies)
{
    const char *analyze = "/usr/bin/systemd-analyze";
    if (access (analyze, X_OK)) {
        th_skip ("no systemd-analyze (install systemd: scripts/install-deps.sh)");
        return;
    }
    //  Installed with this tree's worker as the program, which verify
    //  checks exists; everything else as `make install` writes it.
    char destdir [PATH_MAX + 16], bindir [PATH_MAX + 16], bin [PATH_MAX], out [8192];
    ck_assert_ptr_nonnull (realpath (th_bin ("mandelfarm-worker"), bin));
    *strrchr (bin, '/') = 0;
    snprintf (destdir, sizeof destdir, "DESTDIR=%s/root", th_dir);
    snprintf (bindir, sizeof bindir, "BINDIR=%s", bin);
    int rc = s_install ((char *[]) { destdir, bindir, NULL }, out, sizeof out);
    ck_assert_msg (rc == 0, "make install-systemd: %d: %s", rc, out);
    //  An instance, as `systemctl enable mandelfarm-worker@render-master`
    //  makes: the template beside it is what is read.
    char *instance = th_path ("root/usr/local/lib/systemd/system/"
                              "mandelfarm-worker@render-master.service");
    char *argv [] = { (char *) analyze, "verify", instance, NULL };
    rc = th_run (argv, VERIFY_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "systemd-analyze verify: %d: %s", rc, out);
    //  Not a word about our unit (systemd's own units are not ours to judge).
    ck_assert_msg (!strstr (out, "mandelfarm"), "systemd-analyze verify says: %s", out);
    free (instance);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("systemd_unit");
    TCase *unit = tcase_create ("unit");
    tcase_set_timeout (unit, 120);
    tcase_add_checked_fixture (unit, th_dir_setup, th_dir_teardown);
    tcase_add_test (unit, unit_installed);
    tcase_add_test (unit, unit_verifies);
    suite_add_tcase (suite, unit);
    return th_run_suite (suite);
}
