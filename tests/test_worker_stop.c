/*  Workers stop at once, whatever tile they hold. A master renders one
    tile of hours (1024x1024 pixels at the golden-mean Siegel point,
    maxiter 1e9: every orbit turns around the Siegel disk without
    escaping, converging or repeating; test_kernel_variants checks the
    premise). Once a worker is seen computing it (its CPU time grows):

    - SIGKILL of the master: its forked local worker, orphaned, is gone
      within seconds (it used to finish the tile first: hours here);
    - SIGTERM to a mandelfarm-worker: it says BYE (the master hands the
      tile out again) and exits, status 0, within seconds.

    The tests assert "within 5 s", not a speed; they print the measured
    latency. This process becomes the subreaper of what it starts, so it
    can reap the orphaned worker; everything is ended by pid.
*/
#include "helpers.h"
#include "mf_util.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 30000                   //  msecs for a process to start and get to work
#define GONE_MS 5000                    //  msecs a stopped worker may take to be gone
#define BUSY_TICKS 20                   //  CPU ticks that show a worker iterating
#define HEAVY "--size", "1024x1024", "--tile", "1024", "--iter", "1000000000", \
              "--center", "-0.390540870218399,-0.586787907346969", "--width", "1e-9"

//  The pid of a child of parent, waiting up to WAIT_MS; fails if none.
static pid_t
s_child_of (pid_t parent)
{
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (mf_clock_ms () < deadline) {
        DIR *proc = opendir ("/proc");
        ck_assert_ptr_nonnull (proc);
        struct dirent *entry;
        pid_t found = 0;
        while (!found && (entry = readdir (proc))) {
            char path [300], text [512];
            snprintf (path, sizeof path, "/proc/%s/stat", entry->d_name);
            FILE *file = fopen (path, "r");
            if (!file)
                continue;
            size_t got = fread (text, 1, sizeof text - 1, file);
            fclose (file);
            text [got] = 0;
            char *close = strrchr (text, ')');
            int ppid;
            if (close && sscanf (close + 2, "%*c %d", &ppid) == 1 && ppid == parent)
                found = (pid_t) atoi (entry->d_name);
        }
        closedir (proc);
        if (found)
            return found;
        usleep (10 * 1000);
    }
    ck_abort_msg ("process %d started no child within %d ms", (int) parent, WAIT_MS);
    return 0;
}

//  Waits until pid has used BUSY_TICKS of CPU more than when asked: it
//  holds the heavy tile and iterates.
static void
s_wait_busy (pid_t pid)
{
    long start = th_cpu_ticks (pid);
    ck_assert_int_ge (start, 0);
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (th_cpu_ticks (pid) < start + BUSY_TICKS && mf_clock_ms () < deadline)
        usleep (10 * 1000);
    ck_assert_msg (th_cpu_ticks (pid) >= start + BUSY_TICKS,
                   "process %d did not start computing within %d ms", (int) pid, WAIT_MS);
}

START_TEST (orphaned_local_worker_stops)
{
    //  Orphans are reparented to us, so we can reap the worker.
    ck_assert_int_eq (prctl (PR_SET_CHILD_SUBREAPER, 1), 0);
    char *png = th_path ("heavy.png");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), HEAVY, "-j", "1", "--quiet",
                      "-o", png, NULL };
    pid_t master = th_spawn (argv, NULL);
    pid_t worker = s_child_of (master);
    s_wait_busy (worker);
    th_kill (master);
    int64_t killed = mf_clock_ms ();
    //  A worker that kept computing would be killed here, after GONE_MS.
    int status = th_wait (worker, GONE_MS);
    int64_t took = mf_clock_ms () - killed;
    ck_assert_msg (status == 0, "the orphaned worker was not gone %d ms after its master "
                   "(status %d)", GONE_MS, status);
    printf ("orphaned_local_worker_stops: gone %lld ms after the master's SIGKILL\n",
            (long long) took);
    ck_assert (!th_exists (png));
    free (png);
}
END_TEST

START_TEST (busy_worker_leaves_on_sigterm)
{
    //  A master with no local worker, and one remote worker with one thread.
    char endpoint [96];
    snprintf (endpoint, sizeof endpoint, "ipc://@mf-test-stop-%d", (int) getpid ());
    char *png = th_path ("heavy.png");
    char *master_log = th_path ("master.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), HEAVY, "-j", "0", "--listen",
                      endpoint, "-o", png, NULL };
    pid_t master = th_spawn (argv, master_log);
    char *worker_argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", endpoint,
                             "--threads", "1", "--name", "busy", NULL };
    pid_t worker = th_spawn (worker_argv, NULL);
    s_wait_busy (worker);
    kill (worker, SIGTERM);
    int64_t signalled = mf_clock_ms ();
    int status = th_wait (worker, GONE_MS);
    int64_t took = mf_clock_ms () - signalled;
    ck_assert_msg (status == 0, "the worker was not gone %d ms after SIGTERM (status %d)",
                   GONE_MS, status);
    printf ("busy_worker_leaves_on_sigterm: exited %lld ms after SIGTERM\n", (long long) took);
    //  Its BYE gave the tile back.
    ck_assert_msg (th_wait_for_text (master_log, "left; 1 tile handed out again", WAIT_MS),
                   "no BYE in the master's log");
    th_stop (master);
    ck_assert (!th_exists (png));
    free (png);
    free (master_log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("worker_stop");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, orphaned_local_worker_stops);
    tcase_add_test (tc, busy_worker_leaves_on_sigterm);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
