/*  End to end: SIGINT while the master writes its outputs stops the
    writing. A real master renders an image large enough that writing it
    takes a while (quick to compute, 64 Mpixels to color and compress);
    the test waits until the temporary file has data in it, then sends
    SIGINT. The master must fail (status 1) within a bounded time, say
    why, and leave neither the outputs nor their temporary files.
*/
#include "helpers.h"
#include "mf_util.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RENDER_MS 120000                //  msecs before the writing must have begun
#define STOP_MS 20000                   //  msecs the master may take to stop once told
#define POLL_US 1000                    //  usecs between looks at the directory
//  8000x8000 at 8 iterations: a second to compute, 256 MiB of mu, and a
//  few tenths of a second to write (4 MB of PNG, 256 MiB of .npy).
#define VIEW "--size", "8000x8000", "--iter", "8", "--width", "4", "--quiet"

//  Whether dir holds a temporary output file (".mandelfarm-XXXXXX", see
//  mf_outfile.c) with data in it: the master opens its outputs empty at
//  start, so only data says the writing began. The tests put only the
//  image files in dir.
static bool
s_writing (const char *dir)
{
    const char *prefix = ".mandelfarm-";
    DIR *d = opendir (dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *entry;
    while (!found && (entry = readdir (d))) {
        if (strncmp (entry->d_name, prefix, strlen (prefix)))
            continue;
        char path [1024];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        struct stat st;
        found = stat (path, &st) == 0 && st.st_size > 0;
    }
    closedir (d);
    return found;
}

//  Starts the master on argv, waits until it writes name in dir, sends
//  SIGINT; returns its exit status (-1: it did not stop in time).
static int
s_interrupt_writing (char *const argv [], const char *log, const char *dir,
                     const char *name)
{
    pid_t pid = th_spawn (argv, log);
    int64_t deadline = mf_clock_ms () + RENDER_MS;
    bool writing = false;
    while (!writing && mf_clock_ms () < deadline) {
        int status;
        if (waitpid (pid, &status, WNOHANG) == pid)
            ck_abort_msg ("the master ended (status %d) before writing %s",
                          WIFEXITED (status)? WEXITSTATUS (status): -1, name);
        writing = s_writing (dir);
        if (!writing)
            usleep (POLL_US);
    }
    if (!writing) {
        th_kill (pid);
        ck_abort_msg ("the master did not start writing %s within %d ms", name, RENDER_MS);
    }
    kill (pid, SIGINT);
    return th_wait (pid, STOP_MS);
}

//  What a file holds, as a string (caller frees).
static char *
s_text (const char *path)
{
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    ck_assert_ptr_nonnull (text);
    char *copy = strndup (text, size);
    free (text);
    return copy;
}

START_TEST (sigint_while_writing_the_png)
{
    char *dir = th_path ("out"), *png = th_path ("out/image.png"), *log = th_path ("log");
    char *stats = th_path ("stats.json");
    ck_assert_int_eq (mkdir (dir, 0755), 0);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-o", png,
                      "--stats", stats, NULL };
    int rc = s_interrupt_writing (argv, log, dir, "image.png");
    char *text = s_text (log);
    ck_assert_msg (rc == 1, "status %d, not 1: %s", rc, text);
    ck_assert_msg (strstr (text, "interrupted while writing the PNG"), "log: %s", text);
    //  Neither the image nor its temporary file.
    ck_assert (!th_exists (png));
    ck_assert_int_eq (th_count_entries (dir), 0);
    //  The statistics say so too.
    char *json = s_text (stats);
    ck_assert_msg (strstr (json, "\"status\": \"interrupted\""), "%s", json);
    free (json);
    free (stats);
    free (text);
    free (log);
    free (png);
    free (dir);
}
END_TEST

START_TEST (sigint_while_writing_the_npy)
{
    //  The .npy is written first; stopped then, neither file appears.
    char *dir = th_path ("out"), *png = th_path ("out/image.png");
    char *npy = th_path ("out/image.npy"), *log = th_path ("log");
    ck_assert_int_eq (mkdir (dir, 0755), 0);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-o", png, "--raw", npy,
                      NULL };
    int rc = s_interrupt_writing (argv, log, dir, "image.npy");
    char *text = s_text (log);
    ck_assert_msg (rc == 1, "status %d, not 1: %s", rc, text);
    ck_assert_msg (strstr (text, "interrupted while writing"), "log: %s", text);
    ck_assert (!th_exists (png) && !th_exists (npy));
    ck_assert_int_eq (th_count_entries (dir), 0);
    free (text);
    free (log);
    free (npy);
    free (png);
    free (dir);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("output_stop");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, (RENDER_MS + STOP_MS) / 1000 + 30);
    tcase_add_test (tc, sigint_while_writing_the_png);
    tcase_add_test (tc, sigint_while_writing_the_npy);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
