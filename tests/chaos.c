/*  The chaos soak (make test-chaos, a few minutes; not part of make test).

    One render of 2400 tiles on four honest workers and one that lies,
    under --verify 100 and --checkpoint, while the test, at random every
    0.2-0.6 s, kills a worker with SIGKILL and starts another, stops one
    past the heartbeat timeout and continues it a little later, or kills
    the master with SIGKILL and starts it again with the same arguments.
    The image must come out byte-identical to a quiet render. The seed is
    printed; MF_CHAOS_SEED replays a run.
*/
#include "helpers.h"
#include "mf_util.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOAK_MS 300000                  //  msecs the whole soak may take at most
#define HONEST 4                        //  honest workers
#define MASTER_KILLS 4                  //  most master restarts
#define VIEW "--size", "480x320", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500", "--tile", "8"

START_TEST (chaos)
{
    char *dir = th_tmpdir ();
    char ref [600], ref_npy [600], png [600], npy [600], journal [600], stats [600], log [600];
    snprintf (ref, sizeof ref, "%s/ref.png", dir);
    snprintf (ref_npy, sizeof ref_npy, "%s/ref.npy", dir);
    snprintf (png, sizeof png, "%s/out.png", dir);
    snprintf (npy, sizeof npy, "%s/out.npy", dir);
    snprintf (journal, sizeof journal, "%s/ck", dir);
    snprintf (stats, sizeof stats, "%s/stats.json", dir);
    snprintf (log, sizeof log, "%s/master.log", dir);
    char *quiet [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "2", "--quiet",
                       "-o", ref, "--raw", ref_npy, NULL };
    ck_assert_int_eq (th_run (quiet, 120000, NULL, 0), 0);

    unsigned seed = getenv ("MF_CHAOS_SEED")? (unsigned) atoi (getenv ("MF_CHAOS_SEED"))
                                             : (unsigned) time (NULL);
    srand (seed);
    fprintf (stderr, "chaos: seed %u (MF_CHAOS_SEED=%u replays it)\n", seed, seed);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", th_free_port ());
    char *slow [] = { "--test-delay", "25", NULL };
    char *lies [] = { "--test-corrupt", "4", "--name", "liar", NULL };
    pid_t honest [HONEST];
    for (int index = 0; index < HONEST; index++)
        honest [index] = th_worker (endpoint, "1", slow);
    pid_t liar = th_worker (endpoint, "1", lies);
    char *master_argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0",
                             "--listen", endpoint, "--heartbeat", "200", "--verify", "100",
                             "--checkpoint", journal, "--stats", stats, "-o", png,
                             "--raw", npy, NULL };
    pid_t master = th_spawn (master_argv, log);
    int worker_kills = 0, stops = 0, master_kills = 0, rc = -1;
    int stopped = -1;
    int64_t resume_at = 0, deadline = mf_clock_ms () + SOAK_MS;
    while (mf_clock_ms () < deadline) {
        usleep ((useconds_t) (200 + rand () % 400) * 1000);
        int status;
        if (waitpid (master, &status, WNOHANG) == master) {
            rc = WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
            master = 0;
            break;
        }
        if (stopped >= 0 && mf_clock_ms () >= resume_at) {
            kill (honest [stopped], SIGCONT);
            stopped = -1;
        }
        int roll = rand () % 100, victim = rand () % HONEST;
        if (roll < 55 && victim != stopped) {
            th_kill (honest [victim]);
            honest [victim] = th_worker (endpoint, "1", slow);
            worker_kills++;
        }
        else
        if (roll < 70 && stopped < 0) {
            kill (honest [victim], SIGSTOP);
            stopped = victim;
            resume_at = mf_clock_ms () + 1200;            //  past 3 x 200 ms
            stops++;
        }
        else
        if (roll < 80 && master_kills < MASTER_KILLS) {
            th_kill (master);
            master = th_spawn (master_argv, log);
            master_kills++;
        }
    }
    if (master)
        rc = th_wait (master, (int) (deadline - mf_clock_ms () > 0? deadline - mf_clock_ms (): 1));
    for (int index = 0; index < HONEST; index++)
        th_stop (honest [index]);
    th_stop (liar);
    fprintf (stderr, "chaos: %d worker kills, %d stops, %d master kills; last run: "
             "%lld tiles restored, %lld reissued, %lld evicted, %lld quarantined, "
             "%lld mismatches\n", worker_kills, stops, master_kills,
             th_json_counter (stats, "restored"), th_json_counter (stats, "reissued"),
             th_json_counter (stats, "evicted"), th_json_counter (stats, "quarantined"),
             th_json_counter (stats, "mismatches"));
    ck_assert_msg (rc == 0, "master ended with %d (seed %u)", rc, seed);
    ck_assert_msg (th_same_file (png, ref), "the PNG differs (seed %u)", seed);
    ck_assert_msg (th_same_file (npy, ref_npy), "the .npy differs (seed %u)", seed);
    ck_assert_msg (worker_kills + stops + master_kills >= 5, "too little chaos (seed %u)", seed);
    th_rmdir (dir);
    free (dir);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("chaos");
    TCase *tc = tcase_create ("soak");
    tcase_set_timeout (tc, SOAK_MS / 1000 + 120);
    tcase_add_test (tc, chaos);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
