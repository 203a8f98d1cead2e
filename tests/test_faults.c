/*  Faults, with real processes on loopback (and one private network
    namespace): workers stopped, killed, cut off, lying or leaving; the
    master killed and resumed; no worker at all. The render finishes
    byte-identical to a quiet one, or gives up as asked. Every process is
    ended by its pid; every wait is bounded, and waits for something the
    processes write (a log line, a checkpoint's tiles), not for time.
*/
#include "helpers.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define RENDER_MS 90000                 //  msecs any one render may take at most
#define START_MS 10000                  //  msecs a process may take to start and connect
#define HB "200"                        //  msecs: heartbeat of the fault tests
#define KILLS 4                         //  workers killed in workers_killed_at_random
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500"

static char ref_png [600], ref_npy [600];

static void
s_setup (void)
{
    th_dir_setup ();
    snprintf (ref_png, sizeof ref_png, "%s/ref.png", th_dir);
    snprintf (ref_npy, sizeof ref_npy, "%s/ref.npy", th_dir);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "--quiet",
                      "-o", ref_png, "--raw", ref_npy, NULL };
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
}

//  The master, -j 0, heartbeat HB, with stats and outputs in the test
//  directory, plus extra flags; its stderr goes to log. It listens on
//  listen, or where NULL on a loopback port the system chooses; the
//  endpoint it bound is copied into endpoint (size bytes).
static pid_t
s_master (const char *listen, const char *log, char *const extra [], char *endpoint,
          size_t size)
{
    static char png [600], npy [600], stats [600];
    snprintf (png, sizeof png, "%s/out.png", th_dir);
    snprintf (npy, sizeof npy, "%s/out.npy", th_dir);
    snprintf (stats, sizeof stats, "%s/stats.json", th_dir);
    char *argv [40] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0",
                        "--listen", (char *) (listen? listen: "tcp://127.0.0.1:*"),
                        "--heartbeat", HB, "--tile", "16",
                        "-o", png, "--raw", npy, "--stats", stats };
    int argc = 0;
    while (argv [argc])
        argc++;
    for (int index = 0; extra && extra [index]; index++)
        argv [argc++] = extra [index];
    argv [argc] = NULL;
    pid_t pid = th_spawn (argv, log);
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, size) == 0,
                   "the master did not say where it listens");
    return pid;
}

//  A counter from the master's --stats JSON.
static long long
s_stat (const char *name)
{
    char *path = th_path ("stats.json");
    long long value = th_json_counter (path, name);
    free (path);
    ck_assert_msg (value >= 0, "no counter '%s' in the stats", name);
    return value;
}

static void
s_expect_identical (void)
{
    char *png = th_path ("out.png"), *npy = th_path ("out.npy");
    ck_assert_msg (th_same_file (png, ref_png), "the PNG differs from a quiet render");
    ck_assert_msg (th_same_file (npy, ref_npy), "the .npy differs from a quiet render");
    free (png);
    free (npy);
}

//  Eviction and re-issue of a stopped worker's tiles. Its own in-flight
//  results are usually dropped by the worker itself when it resumes (it
//  finds the master silent and registers anew); that the master drops
//  late results by lease is shown by late_result_dropped below.
START_TEST (stopped_worker_evicted)
{
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "-v", NULL }, endpoint, sizeof endpoint);
    //  The worker under test first, so that it surely holds tiles while
    //  the other still has plenty to do (else backups could end the
    //  render before any eviction). It holds some from its HELLO on: a
    //  worker asks for one more than it computes.
    pid_t b = th_worker (endpoint, "1", (char *[]) { "--test-delay", "15", "--name", "sleeper", NULL });
    ck_assert (th_wait_for_text (log, "sleeper", START_MS));
    pid_t a = th_worker (endpoint, "1", (char *[]) { "--test-delay", "15", "--name", "steady", NULL });
    ck_assert (th_wait_for_text (log, "steady", START_MS));
    //  Past the heartbeat timeout (3 x 200 ms), then back.
    kill (b, SIGSTOP);
    ck_assert_msg (th_wait_for_text (log, "fell silent", 10000), "the stopped worker was not evicted");
    kill (b, SIGCONT);
    int rc = th_wait (master, RENDER_MS);
    th_stop_all ((pid_t []) { a, b }, 2);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    ck_assert_int_ge (s_stat ("evicted"), 1);
    ck_assert_int_ge (s_stat ("reissued"), 1);
    free (log);
}
END_TEST

START_TEST (late_result_dropped)
{
    //  A worker takes a lease, falls silent past the timeout, and only then
    //  sends a result with wrong values. If the master took it, the image
    //  would differ.
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "-v", NULL }, endpoint, sizeof endpoint);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    int linger = 0, timeout = 200;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    ck_assert_int_eq (zmq_connect (dealer, endpoint), 0);
    mf_hello_t hello = { .credit = 1, .threads = 1, .pid = 1, .uid = 0xfeedULL };
    strcpy (hello.kernel, "scalar");
    strcpy (hello.host, "napper");
    uint8_t buf [MF_SIZE_HELLO];
    zmq_send (dealer, buf, mf_proto_encode_hello (buf, sizeof buf, &hello), 0);
    mf_tile_msg_t lease = { .lease = 0 };
    for (int round = 0; round < 50 && lease.lease == 0; round++) {
        uint8_t in [256];
        int size = zmq_recv (dealer, in, sizeof in, 0);
        mf_msg_t msg;
        if (size > 0 && mf_proto_decode (in, (size_t) size, &msg, NULL) == 0
        &&  msg.type == MF_MSG_TILE)
            lease = msg.u.tile;
    }
    ck_assert_msg (lease.lease != 0, "the fake worker got no tile");
    //  Only now a real worker, and a nap for the fake one.
    pid_t worker = th_worker (endpoint, "1", (char *[]) { "--test-delay", "10", NULL });
    ck_assert (th_wait_for_text (log, "napper", 5000));
    ck_assert_msg (th_wait_for_text (log, "fell silent", 10000), "the silent fake was not evicted");
    size_t pixels = (size_t) lease.task.rect.w * lease.task.rect.h;
    size_t size = mf_proto_result_size (lease.task.rect.w, lease.task.rect.h);
    uint8_t *result = calloc (1, size);
    mf_result_t head = { .job = lease.job, .tile = lease.tile, .lease = lease.lease,
                         .rect = lease.task.rect };
    mf_proto_encode_result_head (result, size, &head);
    float *zeros = calloc (pixels, sizeof *zeros);
    mf_le_put_f32s (result + MF_SIZE_RESULT_HEAD, zeros, pixels);
    zmq_send (dealer, result, size, 0);
    int rc = th_wait (master, RENDER_MS);
    th_stop (worker);
    zmq_close (dealer);
    zmq_ctx_term (context);
    free (result);
    free (zeros);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    ck_assert_int_ge (s_stat ("late"), 1);
    ck_assert_int_ge (s_stat ("evicted"), 1);
    free (log);
}
END_TEST

START_TEST (terminated_worker_gives_tiles_back)
{
    //  A slow liveness (10 s heartbeats) so only BYE can explain a quick
    //  re-issue.
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "--heartbeat", "10000", "-v", NULL },
                             endpoint, sizeof endpoint);
    //  The leaver holds leases from its HELLO on (the master answers it
    //  with tiles at once), and 300 ms tiles keep it holding some.
    pid_t b = th_worker (endpoint, "2", (char *[]) { "--test-delay", "300", "--name", "leaver", NULL });
    ck_assert (th_wait_for_text (log, "leaver", START_MS));
    pid_t a = th_worker (endpoint, "1", (char *[]) { "--test-delay", "10", "--name", "stayer", NULL });
    ck_assert (th_wait_for_text (log, "stayer", START_MS));
    kill (b, SIGTERM);
    ck_assert_int_eq (th_wait (b, 5000), 0);
    ck_assert_msg (th_wait_for_text (log, "left; ", 3000), "no BYE seen");
    int rc = th_wait (master, RENDER_MS);
    th_stop (a);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    ck_assert_int_ge (s_stat ("reissued"), 1);
    ck_assert_int_eq (s_stat ("evicted"), 0);
    free (log);
}
END_TEST

START_TEST (all_workers_gone_then_back)
{
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "-v", NULL }, endpoint, sizeof endpoint);
    pid_t a = th_worker (endpoint, "1", (char *[]) { "--test-delay", "20", "--name", "first", NULL });
    ck_assert (th_wait_for_text (log, "first", START_MS));
    th_kill (a);
    //  Its link closed: the next heartbeat to it fails and evicts it.
    ck_assert (th_wait_for_text (log, "is unreachable", 10000));
    //  Alone, the master waits in poll: over a second it uses a few clock
    //  ticks at most, where a busy loop would use about a hundred. The
    //  second of waiting is what is measured, so it stays a sleep.
    long before = th_cpu_ticks (master);
    usleep (1000 * 1000);
    long after = th_cpu_ticks (master);
    ck_assert (before >= 0 && after >= before);
    ck_assert_msg (after - before <= 15, "the master used %ld ticks in 1 s alone", after - before);
    ck_assert_int_eq (kill (master, 0), 0);         //  still waiting
    pid_t b = th_worker (endpoint, "2", NULL);
    int rc = th_wait (master, RENDER_MS);
    th_stop (b);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    free (log);
}
END_TEST

START_TEST (deadline_gives_up)
{
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "--deadline", "1", NULL }, endpoint,
                             sizeof endpoint);
    ck_assert_int_eq (th_wait (master, 20000), 1);
    ck_assert (th_wait_for_text (log, "--deadline", 1000));
    char *png = th_path ("out.png");
    ck_assert (!th_exists (png));
    ck_assert_int_eq (s_stat ("tiles"), 0);
    char *stats = th_path ("stats.json");
    ck_assert (th_wait_for_text (stats, "\"status\": \"deadline\"", 100));
    free (png);
    free (stats);
    free (log);
}
END_TEST

START_TEST (master_killed_and_resumed)
{
    //  The second master must listen where the first did, for the workers
    //  that wait for it: a socket in the test's folder, which no other
    //  process can take in between (a TCP port could be).
    char listen [700], endpoint [700];
    snprintf (listen, sizeof listen, "ipc://%s/farm", th_dir);
    char *journal = th_path ("ck"), *log = th_path ("master.log"), *log2 = th_path ("master2.log");
    //  Two workers, 1 and 2 threads: at most 2 + 3 tiles in flight.
    pid_t a = th_worker (listen, "1", (char *[]) { "--test-delay", "15", NULL });
    pid_t b = th_worker (listen, "2", (char *[]) { "--test-delay", "15", NULL });
    pid_t master = s_master (listen, log, (char *[]) { "--checkpoint", journal, NULL },
                             endpoint, sizeof endpoint);
    //  Killed half way: once its checkpoint holds 75 of the 150 tiles.
    int64_t deadline = mf_clock_ms () + RENDER_MS;
    while (th_journal_tiles (journal) < 75 && mf_clock_ms () < deadline)
        usleep (5 * 1000);
    ck_assert_msg (th_journal_tiles (journal) >= 75, "the checkpoint never held 75 tiles");
    th_kill (master);
    struct stat st;
    //  Tear the last record, as a kill in the middle of a write would.
    ck_assert_int_eq (stat (journal, &st), 0);
    ck_assert_int_eq (truncate (journal, st.st_size - 5), 0);
    master = s_master (listen, log2, (char *[]) { "--checkpoint", journal, NULL }, endpoint,
                       sizeof endpoint);
    int rc = th_wait (master, RENDER_MS);
    th_stop_all ((pid_t []) { a, b }, 2);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    size_t size;
    char *text = (char *) th_slurp (log2, &size);
    unsigned done = 0, total = 0, in_flight = 99;
    char *line = text? strstr (text, "resuming from"): NULL;
    ck_assert_msg (line, "no resume line: %s", text? text: "");
    ck_assert_int_eq (sscanf (strstr (line, ": ") + 2, "%u of %u tiles done; %u were in flight",
                              &done, &total, &in_flight), 3);
    ck_assert_ptr_nonnull (strstr (line, "torn last record"));
    ck_assert_uint_eq (total, 150);
    ck_assert_uint_ge (done, 74);                       //  the last record may be torn
    ck_assert_uint_lt (done, 150);
    //  Recomputed tiles: those in flight at the kill, bounded by the credit.
    ck_assert_uint_le (in_flight, 2 + 3 + 1);
    ck_assert_int_eq (s_stat ("restored"), done);
    ck_assert_int_eq (s_stat ("tiles"), 150 - done);
    ck_assert_msg (!th_exists (journal), "a complete render keeps its checkpoint");
    free (text);
    free (journal);
    free (log);
    free (log2);
}
END_TEST

START_TEST (checkpoint_of_another_render_refused)
{
    char *journal = th_path ("ck");
    char *png = th_path ("a.png");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "--quiet",
                      "--listen", "tcp://127.0.0.1:*", "--deadline", "0.3", "--checkpoint", journal,
                      "-o", png, NULL };
    //  No worker: the deadline leaves a journal behind, as a crash would.
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 1);
    ck_assert (th_exists (journal));
    struct stat before, after;
    stat (journal, &before);
    char out [1024];
    char *other [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "--iter", "900", "-j", "1",
                       "--checkpoint", journal, "-o", png, NULL };
    ck_assert_int_eq (th_run (other, RENDER_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--checkpoint"));
    ck_assert_ptr_nonnull (strstr (out, "another render"));
    ck_assert_ptr_nonnull (strstr (out, "--iter 1500"));
    stat (journal, &after);
    ck_assert_int_eq (after.st_size, before.st_size);
    ck_assert (!th_exists (png));
    free (journal);
    free (png);
}
END_TEST

START_TEST (lying_worker_quarantined)
{
    char endpoint [128];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "--verify", "50", "-v", NULL }, endpoint,
                             sizeof endpoint);
    //  The liar first, so it surely computes a share of the tiles.
    char *delay [] = { "--test-delay", "5", NULL };
    pid_t liar = th_worker (endpoint, "1", (char *[]) { "--test-corrupt", "3", "--name", "liar",
                                                        "--test-delay", "5", NULL });
    ck_assert (th_wait_for_text (log, "liar", START_MS));
    pid_t a = th_worker (endpoint, "1", delay);
    pid_t b = th_worker (endpoint, "1", delay);
    int rc = th_wait (master, RENDER_MS);
    th_stop_all ((pid_t []) { a, b, liar }, 3);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    ck_assert_int_eq (s_stat ("quarantined"), 1);
    ck_assert_int_ge (s_stat ("mismatches"), 1);
    ck_assert_int_ge (s_stat ("verified"), 30);
    char *stats = th_path ("stats.json");
    ck_assert (th_wait_for_text (stats, "\"quarantined\": true", 100));
    ck_assert (th_wait_for_text (log, "liar", 100));
    free (stats);
    free (log);
}
END_TEST

START_TEST (workers_killed_at_random)
{
    //  Four workers; at KILLS points of the render's progress, one at
    //  random is killed and another started in its place, which joins
    //  before the next kill. The progress, not the clock, paces the kills
    //  (the checkpoint is only a meter here): all of them happen while the
    //  render still has tiles to do, however fast the machine.
    char endpoint [128];
    char *log = th_path ("master.log"), *journal = th_path ("ck");
    unsigned seed = (unsigned) time (NULL);
    srand (seed);
    pid_t master = s_master (NULL, log, (char *[]) { "-v", "--checkpoint", journal, NULL },
                             endpoint, sizeof endpoint);
    char *slow [] = { "--test-delay", "40", NULL };
    pid_t workers [4];
    for (int index = 0; index < 4; index++)
        workers [index] = th_worker (endpoint, "1", slow);
    ck_assert (th_wait_for_count (log, "joined", 4, START_MS));
    for (int kills = 0; kills < KILLS; kills++) {
        //  At 10, 25, 40, 55 of the 150 tiles: the last replacement still
        //  has 95 tiles, a second at least, to join.
        int at = 10 + 15 * kills, status;
        int64_t deadline = mf_clock_ms () + RENDER_MS;
        while (th_journal_tiles (journal) < at && mf_clock_ms () < deadline
           &&  waitpid (master, &status, WNOHANG) == 0)
            usleep (5 * 1000);
        ck_assert_msg (th_journal_tiles (journal) >= at,
                       "kill %d: the render never reached %d tiles (seed %u)", kills + 1, at, seed);
        int victim = rand () % 4;
        th_kill (workers [victim]);
        workers [victim] = th_worker (endpoint, "1", slow);
        ck_assert_msg (th_wait_for_count (log, "joined", 4 + kills + 1, START_MS),
                       "kill %d: the new worker never joined (seed %u)", kills + 1, seed);
    }
    int rc = th_wait (master, RENDER_MS);
    th_stop_all (workers, 4);
    ck_assert_msg (rc == 0, "master %d (seed %u)", rc, seed);
    s_expect_identical ();
    ck_assert_int_ge (s_stat ("workers_seen"), 4 + KILLS);
    free (log);
    free (journal);
}
END_TEST

START_TEST (worker_cut_off_by_the_network)
{
    //  A private network namespace: only this test's processes live in it,
    //  with their own loopback. One worker talks from 127.0.0.2; an nft
    //  rule then drops everything to and from that address.
    if (unshare (CLONE_NEWNET) != 0) {
        th_skip ("cannot make a network namespace here (unshare: not root?)");
        return;
    }
    if (system ("ip link set lo up") != 0 || system ("nft --version >/dev/null 2>&1") != 0) {
        th_skip ("needs ip and nft (iproute2, nftables)");
        return;
    }
    char endpoint [128], source [160];
    char *log = th_path ("master.log");
    pid_t master = s_master (NULL, log, (char *[]) { "-v", NULL }, endpoint, sizeof endpoint);
    snprintf (source, sizeof source, "tcp://127.0.0.2:0;%s", endpoint + 6);
    //  The far worker first: it holds tiles from its HELLO on.
    pid_t b = th_worker (source, "1", (char *[]) { "--test-delay", "15", "--name", "faraway", NULL });
    ck_assert_msg (th_wait_for_text (log, "faraway", START_MS), "the far worker never joined");
    pid_t a = th_worker (endpoint, "1", (char *[]) { "--test-delay", "15", "--name", "near", NULL });
    ck_assert (th_wait_for_text (log, "near", START_MS));
    int rc = system ("nft add table inet mftest"
                     " && nft add chain inet mftest out '{ type filter hook output priority 0; }'"
                     " && nft add rule inet mftest out ip saddr 127.0.0.2 drop"
                     " && nft add rule inet mftest out ip daddr 127.0.0.2 drop");
    ck_assert_int_eq (rc, 0);
    ck_assert_msg (th_wait_for_text (log, "faraway", 100) && th_wait_for_text (log, "fell silent", 10000),
                   "the cut-off worker was not evicted");
    rc = th_wait (master, RENDER_MS);
    th_stop_all ((pid_t []) { a, b }, 2);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ();
    ck_assert_int_ge (s_stat ("evicted"), 1);
    free (log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("faults");
    TCase *tc = tcase_create ("faults");
    tcase_set_timeout (tc, 180);
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_add_test (tc, stopped_worker_evicted);
    tcase_add_test (tc, late_result_dropped);
    tcase_add_test (tc, terminated_worker_gives_tiles_back);
    tcase_add_test (tc, all_workers_gone_then_back);
    tcase_add_test (tc, deadline_gives_up);
    tcase_add_test (tc, master_killed_and_resumed);
    tcase_add_test (tc, checkpoint_of_another_render_refused);
    tcase_add_test (tc, lying_worker_quarantined);
    tcase_add_test (tc, workers_killed_at_random);
    tcase_add_test (tc, worker_cut_off_by_the_network);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
