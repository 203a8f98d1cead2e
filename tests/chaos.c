/*  The chaos soak (make test-chaos, a minute or two; not part of make test).

    One render of 2400 tiles on four honest workers and one that lies,
    under --verify 100 and --checkpoint. At EVENTS points of the render's
    progress (tiles in the checkpoint), placed at random, the test does one
    thing chosen at random: kills a worker with SIGKILL and starts another,
    stops one until the master has evicted it and then continues it, or
    kills the master with SIGKILL and starts it again with the same
    arguments. Progress paces the events, not the clock, so every one of
    them happens however fast or loaded the machine is, and the soak
    asserts that each did. The image must come out byte-identical to a
    quiet render. The seed is printed; MF_CHAOS_SEED replays a run.
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
#define EVENT_MS 20000                  //  msecs one event may wait for what it needs
#define HONEST 4                        //  honest workers
#define EVENTS 24                       //  kills and stops, one at each progress point
#define MASTER_KILLS 4                  //  most master restarts among them
#define TILES 2400                      //  tiles of the render (VIEW)
#define FIRST_AT (TILES / 20)           //  tiles done before the first event
#define LAST_AT (TILES * 3 / 4)         //  and the last: the rest leaves time to join
#define VIEW "--size", "480x320", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500", "--tile", "8"

typedef struct {
    char dir [600];                     //  the soak's folder
    char journal [700];                 //  the master's checkpoint
    char log [700];                     //  the log of the master running now
    char endpoint [700];                //  where every master listens
    char **argv;                        //  the master's arguments
    pid_t master;                       //  the master running now, 0 once it ended
    int master_runs;                    //  masters started so far
    int rc;                             //  the master's status once it ended
    pid_t honest [HONEST];              //  the honest workers now
    char names [HONEST][32];            //  their --name
    int started;                        //  honest workers started so far
    unsigned seed;
} s_soak_t;

static void
s_start_master (s_soak_t *soak)
{
    //  A log per master: what one says is not taken for the next's.
    snprintf (soak->log, sizeof soak->log, "%s/master-%d.log", soak->dir, ++soak->master_runs);
    soak->master = th_spawn (soak->argv, soak->log);
}

static void
s_start_honest (s_soak_t *soak, int index)
{
    snprintf (soak->names [index], sizeof soak->names [index], "honest%d", ++soak->started);
    soak->honest [index] = th_worker (soak->endpoint, "1", (char *[]) {
        "--test-delay", "25", "--name", soak->names [index], NULL });
}

//  Whether the master is still running; if it ended, its status is kept.
static bool
s_master_runs (s_soak_t *soak)
{
    int status;
    if (soak->master && waitpid (soak->master, &status, WNOHANG) == soak->master) {
        soak->rc = WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
        soak->master = 0;
    }
    return soak->master != 0;
}

//  Waits, while the master runs and at most EVENT_MS, until the log of
//  the master running now holds "worker NAME:PID TEXT" for honest worker
//  index, with one of the texts (NULL-terminated). Returns whether it did.
static bool
s_wait_worker (s_soak_t *soak, int index, const char *const texts [])
{
    int64_t deadline = mf_clock_ms () + EVENT_MS;
    while (s_master_runs (soak) && mf_clock_ms () < deadline) {
        for (int which = 0; texts [which]; which++) {
            char line [128];
            snprintf (line, sizeof line, "worker %s:%d %s", soak->names [index],
                      (int) soak->honest [index], texts [which]);
            if (th_count_text (soak->log, line) > 0)
                return true;
        }
        usleep (10 * 1000);
    }
    return false;
}

START_TEST (chaos)
{
    s_soak_t soak = { .rc = -1 };
    char *dir = th_tmpdir ();
    ck_assert_ptr_nonnull (dir);
    snprintf (soak.dir, sizeof soak.dir, "%s", dir);
    char ref [700], ref_npy [700], png [700], npy [700], stats [700];
    snprintf (ref, sizeof ref, "%s/ref.png", dir);
    snprintf (ref_npy, sizeof ref_npy, "%s/ref.npy", dir);
    snprintf (png, sizeof png, "%s/out.png", dir);
    snprintf (npy, sizeof npy, "%s/out.npy", dir);
    snprintf (soak.journal, sizeof soak.journal, "%s/ck", dir);
    snprintf (stats, sizeof stats, "%s/stats.json", dir);
    //  Every master listens where the workers wait: a socket in the soak's
    //  own folder, which no other process can take between two masters.
    snprintf (soak.endpoint, sizeof soak.endpoint, "ipc://%s/farm", dir);
    char *quiet [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "2", "--quiet",
                       "-o", ref, "--raw", ref_npy, NULL };
    ck_assert_int_eq (th_run (quiet, 120000, NULL, 0), 0);

    soak.seed = getenv ("MF_CHAOS_SEED")? (unsigned) atoi (getenv ("MF_CHAOS_SEED"))
                                        : (unsigned) time (NULL);
    srand (soak.seed);
    fprintf (stderr, "chaos: seed %u (MF_CHAOS_SEED=%u replays it)\n", soak.seed, soak.seed);
    char *master_argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "-v",
                             "--listen", soak.endpoint, "--heartbeat", "200", "--verify", "100",
                             "--checkpoint", soak.journal, "--stats", stats, "-o", png,
                             "--raw", npy, NULL };
    soak.argv = master_argv;
    for (int index = 0; index < HONEST; index++)
        s_start_honest (&soak, index);
    pid_t liar = th_worker (soak.endpoint, "1", (char *[]) { "--test-corrupt", "4",
                                                             "--name", "liar", NULL });
    s_start_master (&soak);

    int worker_kills = 0, stops = 0, master_kills = 0;
    int64_t deadline = mf_clock_ms () + SOAK_MS;
    for (int event = 0; event < EVENTS; event++) {
        //  Event i somewhere in the i-th of EVENTS equal slices of the
        //  progress from FIRST_AT to LAST_AT tiles.
        int slice = (LAST_AT - FIRST_AT) / EVENTS;
        int at = FIRST_AT + event * slice + rand () % slice;
        while (th_journal_tiles (soak.journal) < at && s_master_runs (&soak)
           &&  mf_clock_ms () < deadline)
            usleep (10 * 1000);
        ck_assert_msg (s_master_runs (&soak) && th_journal_tiles (soak.journal) >= at,
                       "event %d: the render never reached %d tiles (master %d, seed %u)",
                       event + 1, at, soak.rc, soak.seed);
        int roll = rand () % 100, victim = rand () % HONEST;
        if (roll < 60 || (roll >= 85 && master_kills == MASTER_KILLS)) {
            th_kill (soak.honest [victim]);
            s_start_honest (&soak, victim);
            worker_kills++;
        }
        else
        if (roll < 85) {
            //  Stopped once the master running now knows it, continued once
            //  that master has given up on it (past 3 x 200 ms of silence).
            ck_assert_msg (s_wait_worker (&soak, victim, (const char *[]) { "joined", NULL }),
                           "event %d: %s never joined the master (seed %u)",
                           event + 1, soak.names [victim], soak.seed);
            kill (soak.honest [victim], SIGSTOP);
            bool evicted = s_wait_worker (&soak, victim, (const char *[]) {
                "fell silent", "is unreachable", NULL });
            kill (soak.honest [victim], SIGCONT);
            ck_assert_msg (evicted, "event %d: stopped %s was never evicted (seed %u)",
                           event + 1, soak.names [victim], soak.seed);
            stops++;
        }
        else {
            th_kill (soak.master);
            s_start_master (&soak);
            master_kills++;
        }
    }
    int left = (int) (deadline - mf_clock_ms ());
    if (s_master_runs (&soak))
        soak.rc = th_wait (soak.master, left > 0? left: 1);
    th_stop_all (soak.honest, HONEST);
    th_stop (liar);
    fprintf (stderr, "chaos: %d events: %d worker kills, %d stops, %d master kills; last "
             "run: %lld tiles restored, %lld reissued, %lld evicted, %lld quarantined, "
             "%lld mismatches\n", EVENTS, worker_kills, stops, master_kills,
             th_json_counter (stats, "restored"), th_json_counter (stats, "reissued"),
             th_json_counter (stats, "evicted"), th_json_counter (stats, "quarantined"),
             th_json_counter (stats, "mismatches"));
    ck_assert_int_eq (worker_kills + stops + master_kills, EVENTS);
    ck_assert_msg (soak.rc == 0, "master ended with %d (seed %u)", soak.rc, soak.seed);
    ck_assert_msg (th_same_file (png, ref), "the PNG differs (seed %u)", soak.seed);
    ck_assert_msg (th_same_file (npy, ref_npy), "the .npy differs (seed %u)", soak.seed);
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
