/*  End to end: real masters and real workers over loopback TCP (and
    ipc:// where the same endpoint must outlive a master). The image and
    the .npy must be byte-identical whatever the farm; bad input is
    refused with status 2 and leaves no file; an interrupted render leaves
    nothing behind; make install works without touching the build. Every
    process is ended by its pid.
*/
#include "helpers.h"

#include <check.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zmq.h>

#define RENDER_MS 60000                 //  msecs any one render may take at most
#define START_MS 10000                  //  msecs a master may take to bind and say so
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500", "--quiet"


//  The reference: one local worker.
static void
s_reference (char *png, char *npy)
{
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1",
                      "-o", png, "--raw", npy, NULL };
    char out [2048];
    ck_assert_int_eq (th_run (argv, RENDER_MS, out, sizeof out), 0);
    ck_assert (th_exists (png) && th_exists (npy));
}

START_TEST (remote_workers_match_local)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_reference (ref_png, ref_npy);
    //  Two real worker processes, started before the master: they wait.
    //  They serve two masters in turn on the same endpoint, so it is
    //  fixed: a socket in the test's own folder, which no other process
    //  can take (a TCP port chosen in advance could be; the TCP path is
    //  garbage_on_the_port's). A few msecs a tile, so that both surely get
    //  a share.
    char listen [700];
    snprintf (listen, sizeof listen, "ipc://%s/farm", th_dir);
    pid_t w1 = th_worker (listen, "1", (char *[]) { "--name", "one", "--test-delay", "5", NULL });
    pid_t w2 = th_worker (listen, "2", (char *[]) { "--name", "two", "--test-delay", "5", NULL });
    char *png = th_path ("farm.png"), *npy = th_path ("farm.npy"), *stats = th_path ("s.json");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0",
                      "--listen", listen, "--tile", "16", "-o", png, "--raw", npy,
                      "--stats", stats, NULL };
    char out [2048];
    int rc = th_run (argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, out);
    ck_assert_msg (th_same_file (png, ref_png), "PNG differs from the -j 1 render");
    ck_assert_msg (th_same_file (npy, ref_npy), ".npy differs from the -j 1 render");
    //  Both remote workers computed tiles.
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    const char *names [] = { "\"name\": \"one:", "\"name\": \"two:" };
    long long sum = 0;
    for (int index = 0; index < 2; index++) {
        const char *entry = strstr (json, names [index]);
        ck_assert_msg (entry, "worker %d missing from the stats", index + 1);
        const char *key = "\"tiles\": ";
        long long tiles = strtoll (strstr (entry, key) + strlen (key), NULL, 10);
        ck_assert_msg (tiles > 0, "worker %d computed no tile", index + 1);
        sum += tiles;
    }
    ck_assert_int_eq (sum, th_json_counter (stats, "tiles"));
    free (json);
    free (stats);

    //  The same workers serve a second render (a new master on the same
    //  endpoint), with another tile size and local workers joining in.
    char *png2 = th_path ("farm2.png"), *npy2 = th_path ("farm2.npy");
    char *argv2 [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1",
                       "--listen", listen, "--tile", "23", "-o", png2, "--raw", npy2, NULL };
    rc = th_run (argv2, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "second master: %d: %s", rc, out);
    ck_assert (th_same_file (png2, ref_png));
    ck_assert (th_same_file (npy2, ref_npy));
    //  The workers are still alive: they never exit on their own.
    ck_assert_int_eq (kill (w1, 0), 0);
    ck_assert_int_eq (kill (w2, 0), 0);
    th_stop_all ((pid_t []) { w1, w2 }, 2);
    free (ref_png); free (ref_npy); free (png); free (npy); free (png2); free (npy2);
}
END_TEST

//  The value after key in text (a JSON member or a summary column), as
//  a double; NAN when key is not there.
static double
s_number_after (const char *text, const char *key)
{
    const char *at = text? strstr (text, key): NULL;
    return at? strtod (at + strlen (key), NULL): NAN;
}

START_TEST (summary_says_who_did_what)
{
    //  Two remote workers labelled with --name, as two machines would be
    //  by their host names: the summary and --stats name both, with their
    //  tiles adding up to the job's and their shares to 100 %.
    char listen [700];
    snprintf (listen, sizeof listen, "ipc://%s/who", th_dir);
    pid_t alpha = th_worker (listen, "1", (char *[]) { "--name", "alpha", "--test-delay", "5",
                                                       NULL });
    pid_t beta = th_worker (listen, "2", (char *[]) { "--name", "beta", "--test-delay", "5",
                                                      NULL });
    char *png = th_path ("who.png"), *stats = th_path ("who.json");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "240x160", "--center",
                      "-0.7436,0.1318", "--width", "0.02", "--iter", "1500", "-j", "0",
                      "--listen", listen, "--tile", "16", "-o", png, "--stats", stats, NULL };
    char out [8192];
    int rc = th_run (argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, out);
    long long total = th_json_counter (stats, "tiles_total");
    ck_assert_int_eq (total, 150);
    ck_assert_msg (strstr (out, "Giter/s; per worker:"), "no summary: %s", out);
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    const char *names [] = { "alpha", "beta" };
    pid_t pids [] = { alpha, beta };
    long long tiles_said = 0, tiles_json = 0;
    double share_said = 0, share_json = 0, giter_json = 0;
    for (int index = 0; index < 2; index++) {
        //  The summary: "  alpha:PID   N tiles   G Giter/s   S%  (kernel, ...)".
        char label [64];
        snprintf (label, sizeof label, "mandelfarm-master:   %s:%d ", names [index],
                  (int) pids [index]);
        const char *line = strstr (out, label);
        ck_assert_msg (line, "%s missing from the summary: %s", label, out);
        char *end;
        long long tiles = strtoll (line + strlen (label), &end, 10);
        ck_assert_msg (tiles > 0 && strncmp (end, " tiles", 6) == 0, "%s: %s", names [index], line);
        double giter = strtod (end + 6, &end);
        ck_assert_msg (giter >= 0 && strncmp (end, " Giter/s", 8) == 0, "%s", line);
        double share = strtod (end + 8, &end);
        ck_assert_msg (share > 0 && share <= 100 && *end == '%', "%s", line);
        tiles_said += tiles;
        share_said += share;
        //  --stats: the same worker, with its host apart.
        char host [64];
        snprintf (host, sizeof host, "\"host\": \"%s\", \"pid\": %d,", names [index],
                  (int) pids [index]);
        const char *entry = strstr (json, host);
        ck_assert_msg (entry, "%s missing from --stats: %s", host, json);
        ck_assert_int_eq ((long long) s_number_after (entry, "\"tiles\": "), tiles);
        double json_share = s_number_after (entry, "\"share_percent\": ");
        ck_assert_msg (fabs (json_share - share) <= 0.051, "%s: %.3f in --stats, %.1f said",
                       names [index], json_share, share);
        ck_assert_double_gt (s_number_after (entry, "\"iterations\": "), 0);
        tiles_json += (long long) s_number_after (entry, "\"tiles\": ");
        share_json += json_share;
        giter_json += s_number_after (entry, "\"giter_per_second\": ");
    }
    ck_assert_int_eq (tiles_said, total);
    ck_assert_int_eq (tiles_json, total);
    //  Each share is rounded to 0.1 in the summary, to 0.001 in --stats.
    ck_assert_msg (fabs (share_said - 100) <= 0.1, "shares said add up to %.1f", share_said);
    ck_assert_msg (fabs (share_json - 100) <= 0.002, "shares add up to %.3f", share_json);
    //  The workers' rates add up to the farm's.
    double seconds = s_number_after (json, "\"seconds\": ");
    double farm = th_json_counter (stats, "iterations") / seconds / 1e9;
    ck_assert_msg (fabs (giter_json - farm) <= 0.01 * farm + 1e-6, "%.6f Giter/s of %.6f",
                   giter_json, farm);
    free (json);
    th_stop_all ((pid_t []) { alpha, beta }, 2);
    free (png);
    free (stats);
}
END_TEST

START_TEST (verbose_logs_joins_and_leaves)
{
    //  -v: a worker joining and one leaving (SIGTERM: it says BYE) are
    //  logged with the names the workers gave.
    char listen [700];
    snprintf (listen, sizeof listen, "ipc://%s/jl", th_dir);
    char *png = th_path ("jl.png"), *log = th_path ("jl.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "320x240", "--iter",
                      "200", "-j", "0", "--listen", listen, "--tile", "16", "-v", "-o", png,
                      NULL };
    pid_t master = th_spawn (argv, log);
    pid_t stay = th_worker (listen, "1", (char *[]) { "--name", "stays", "--test-delay", "20",
                                                      NULL });
    pid_t leave = th_worker (listen, "1", (char *[]) { "--name", "leaves", "--test-delay", "20",
                                                       NULL });
    char joined [128], left [128];
    snprintf (joined, sizeof joined, "worker leaves:%d joined (1 thread, ", (int) leave);
    ck_assert_msg (th_wait_for_text (log, joined, START_MS), "no '%s' in the log", joined);
    snprintf (joined, sizeof joined, "worker stays:%d joined (1 thread, ", (int) stay);
    ck_assert_msg (th_wait_for_text (log, joined, START_MS), "no '%s' in the log", joined);
    th_stop (leave);
    snprintf (left, sizeof left, "worker leaves:%d left; ", (int) leave);
    ck_assert_msg (th_wait_for_text (log, left, START_MS), "no '%s' in the log", left);
    //  The other finishes the render alone.
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    ck_assert (th_exists (png));
    th_stop (stay);
    free (png);
    free (log);
}
END_TEST

START_TEST (local_splits_match)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_reference (ref_png, ref_npy);
    const char *splits [][2] = { { "2", "8" }, { "3", "23" }, { "2", "1024" } };
    for (int index = 0; index < 3; index++) {
        char *png = th_path ("s.png"), *npy = th_path ("s.npy");
        char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW,
                          "-j", (char *) splits [index][0], "--tile", (char *) splits [index][1],
                          "-o", png, "--raw", npy, NULL };
        ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
        ck_assert_msg (th_same_file (png, ref_png), "-j %s --tile %s: PNG differs",
                       splits [index][0], splits [index][1]);
        ck_assert_msg (th_same_file (npy, ref_npy), "-j %s --tile %s: .npy differs",
                       splits [index][0], splits [index][1]);
        free (png);
        free (npy);
    }
    free (ref_png);
    free (ref_npy);
}
END_TEST

START_TEST (metadata_reproduces_the_image)
{
    //  Render from a region, read Center and Width back from the PNG,
    //  render again from those: the same bytes.
    char *a = th_path ("a.png");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "200x100",
                      "--region", "-1.9,-1.1,-0.2,0.2", "--iter", "700", "-j", "2",
                      "--quiet", "-o", a, NULL };
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
    uint32_t w, h;
    uint8_t *rgb;
    char center [128], width [64];
    ck_assert_int_eq (th_png_read (a, &w, &h, &rgb, "Center", center, sizeof center), 0);
    free (rgb);
    ck_assert_int_eq (th_png_read (a, &w, &h, &rgb, "Width", width, sizeof width), 0);
    free (rgb);
    char *b = th_path ("b.png");
    char *again [] = { (char *) th_bin ("mandelfarm-master"), "--size", "200x100",
                       "--center", center, "--width", width, "--iter", "700", "-j", "1",
                       "--quiet", "-o", b, NULL };
    ck_assert_int_eq (th_run (again, RENDER_MS, NULL, 0), 0);
    ck_assert (th_same_file (a, b));
    free (a);
    free (b);
}
END_TEST

//  Runs the master with bad arguments: status 2, one line on stderr
//  naming the flag, and no file left in the output directory (an existing
//  file keeps its bytes).
static void
s_refused (const char *flag, char *const extra [])
{
    char *out_png = th_path ("out.png");
    FILE *old = fopen (out_png, "w");
    fputs ("old bytes", old);
    fclose (old);
    char *argv [32] = { (char *) th_bin ("mandelfarm-master") };
    int argc = 1;
    for (int index = 0; extra [index]; index++)
        argv [argc++] = extra [index];
    char *tail [] = { "--size", "64x48", "-o", out_png, "--raw", NULL };
    for (int index = 0; tail [index]; index++)
        argv [argc++] = tail [index];
    char *npy = th_path ("out.npy");
    argv [argc++] = npy;
    argv [argc] = NULL;
    char out [2048];
    int rc = th_run (argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 2, "%s: status %d (%s)", flag, rc, out);
    ck_assert_msg (strstr (out, flag), "%s: message '%s' does not name it", flag, out);
    char *newline = strchr (out, '\n');
    ck_assert_msg (newline && newline [1] == 0, "%s: not one line: '%s'", flag, out);
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    size_t size;
    uint8_t *data = th_slurp (out_png, &size);
    ck_assert (size == 9 && memcmp (data, "old bytes", 9) == 0);
    free (data);
    free (out_png);
    free (npy);
}

START_TEST (bad_input_refused)
{
    s_refused ("--iter", (char *[]) { "--iter", "0", NULL });
    s_refused ("--width", (char *[]) { "--width", "-1", NULL });
    s_refused ("--width", (char *[]) { "--width", "0", NULL });
    s_refused ("--center", (char *[]) { "--center", "1;2", NULL });
    s_refused ("--region", (char *[]) { "--region", "-2,1,-1", NULL });
    s_refused ("--palette", (char *[]) { "--palette", "nope", NULL });
    s_refused ("--tile", (char *[]) { "--tile", "0", NULL });
    s_refused ("-j 0", (char *[]) { "-j", "0", NULL });
    //  An output directory that does not exist.
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "8x8", "-j", "1",
                      "-o", "/nonexistent-dir/x.png", NULL };
    char out [1024];
    ck_assert_int_eq (th_run (argv, RENDER_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "-o"));
    char *raw [] = { (char *) th_bin ("mandelfarm-master"), "--size", "8x8", "-j", "1",
                     "-o", th_path ("ok.png"), "--raw", "/nonexistent-dir/x.npy", NULL };
    ck_assert_int_eq (th_run (raw, RENDER_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--raw"));
    ck_assert (!th_exists (raw [6]));
    free (raw [6]);
}
END_TEST

START_TEST (viewer_checks_keys_too)
{
    //  The live viewer goes through the same key checks as a headless
    //  render, before any window, worker or socket exists.
    char *script = th_path ("quit.txt");
    FILE *file = fopen (script, "w");
    fputs ("quit\n", file);
    fclose (file);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--script", script, "-j", "1",
                      "--listen", "tcp://127.0.0.1:*", "--cert", "/nonexistent_secret",
                      "--allow", th_dir, NULL };
    char out [2048];
    ck_assert_int_eq (th_run (argv, RENDER_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--cert"), "%s", out);
    free (script);
}
END_TEST

START_TEST (busy_endpoint_refused)
{
    //  Hold a port, then ask the master to listen on it.
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    ck_assert_int_eq (listen (fd, 1), 0);
    getsockname (fd, (struct sockaddr *) &addr, &len);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    s_refused ("--listen", (char *[]) { "-j", "1", "--listen", endpoint, NULL });
    //  Nor is a checkpoint left behind when the port is refused.
    char *journal = th_path ("ck");
    s_refused ("--listen", (char *[]) { "-j", "1", "--listen", endpoint,
                                        "--checkpoint", journal, NULL });
    free (journal);
    close (fd);
}
END_TEST

START_TEST (unallocatable_size_refused)
{
#if defined (__SANITIZE_ADDRESS__)
    th_skip ("AddressSanitizer reserves terabytes of address space up front, so an "
             "address-space limit cannot stand in for a small machine");
    return;
#else
    //  Pretend the machine is small: 1 GiB of address space. An image too
    //  large to hold is rendered as a poster (test_poster.c), but not
    //  even a poster's window fits here: two bands of 1024 rows, 8 GiB.
    char *png = th_path ("big.png");
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);     //  dies with a failed test
        struct rlimit limit = { 1u << 30, 1u << 30 };
        setrlimit (RLIMIT_AS, &limit);
        char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "1048576x4096",
                          "--tile", "1024", "-j", "1", "-o", png, NULL };
        int null = open ("/dev/null", 1);
        dup2 (null, 2);
        execv (argv [0], argv);
        _exit (127);
    }
    ck_assert_int_eq (th_wait (pid, RENDER_MS), 2);
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    free (png);
#endif
}
END_TEST

START_TEST (interrupt_leaves_nothing)
{
    char *png = th_path ("slow.png"), *npy = th_path ("slow.npy");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "1920x1080",
                      "--center", "-0.743643887,0.131825904", "--width", "1e-6",
                      "--iter", "200000", "-j", "1", "-v", "-o", png, "--raw", npy, NULL };
    char *log = th_path ("log");
    pid_t pid = th_spawn (argv, log);
    //  Interrupted once the render runs: its worker has joined and holds
    //  tiles (each of which takes seconds at this depth).
    ck_assert_msg (th_wait_for_text (log, "joined", START_MS), "the local worker never joined");
    kill (pid, SIGINT);
    ck_assert_int_eq (th_wait (pid, 10000), 1);
    unlink (log);
    //  Neither the outputs nor any temporary file.
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    free (png);
    free (npy);
    free (log);
}
END_TEST

START_TEST (garbage_on_the_port)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_reference (ref_png, ref_npy);
    char *png = th_path ("g.png"), *npy = th_path ("g.npy");
    //  Not --quiet: the summary line reports what was dropped.
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "240x160",
                      "--center", "-0.7436,0.1318", "--width", "0.02", "--iter", "1500",
                      "-j", "0", "--listen", "tcp://127.0.0.1:*", "-o", png, "--raw", npy, NULL };
    char *log = th_path ("master.log");
    pid_t master = th_spawn (argv, log);
    char endpoint [128];
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0,
                   "the master did not say where it listens");
    int port = th_endpoint_port (endpoint);
    ck_assert_int_gt (port, 0);
    //  A peer that speaks ZeroMQ but sends nonsense: garbage, a forged
    //  result for a lease it was never given, a wrong version.
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (dealer, endpoint), 0);
    uint8_t junk [64];
    for (int index = 0; index < 64; index++)
        junk [index] = (uint8_t) (index * 37);
    uint8_t forged [44 + 16 * 16 * 4] = { 'M', 'F', 1, 5, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
    forged [24] = 16;
    forged [28] = 16;
    for (int round = 0; round < 50; round++) {
        zmq_send (dealer, junk, 1 + round % 64, ZMQ_DONTWAIT);
        zmq_send (dealer, forged, sizeof forged, ZMQ_DONTWAIT);
        zmq_send (dealer, "MF\x07\x03", 4, ZMQ_DONTWAIT);       //  wrong version
    }
    //  And raw bytes that are not ZeroMQ at all.
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
        ssize_t sent = write (fd, "GET / HTTP/1.0\r\n\r\n\xff\xff\xff\xff", 22);
        (void) sent;
    }
    //  Only once the master has dropped some of it, a real worker: the
    //  master cannot finish before the garbage has reached it.
    ck_assert_msg (th_wait_for_text (log, "dropped a message", START_MS),
                   "the master dropped no garbage");
    pid_t worker = th_worker (endpoint, "2", NULL);
    int rc = th_wait (master, RENDER_MS);
    th_stop (worker);
    close (fd);
    zmq_close (dealer);
    zmq_ctx_term (context);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_ptr_nonnull (text);
    text [size - 1] = 0;
    ck_assert_msg (rc == 0, "master: %d: %s", rc, text);
    ck_assert_msg (strstr (text, "rejected"), "nothing was rejected: %s", text);
    ck_assert (th_same_file (png, ref_png));
    ck_assert (th_same_file (npy, ref_npy));
    free (text);
    free (log);
    free (ref_png); free (ref_npy); free (png); free (npy);
}
END_TEST

START_TEST (quiet_master_says_where_it_listens)
{
    //  A port left to the system: the master says which, even --quiet (a
    //  user could not know it otherwise), in one line, and a worker told
    //  that endpoint serves it.
    char *png = th_path ("q.png"), *log = th_path ("q.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "64x48", "-j", "0",
                      "--quiet", "--listen", "tcp://127.0.0.1:*", "-o", png, NULL };
    pid_t master = th_spawn (argv, log);
    char endpoint [128];
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0,
                   "no 'listening on' line");
    ck_assert_msg (strncmp (endpoint, "tcp://127.0.0.1:", 16) == 0
                   && th_endpoint_port (endpoint) > 0, "listening on '%s'", endpoint);
    pid_t worker = th_worker (endpoint, "1", NULL);
    int rc = th_wait (master, RENDER_MS);
    th_stop (worker);
    ck_assert_int_eq (rc, 0);
    ck_assert (th_exists (png));
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_ptr_nonnull (text);
    ck_assert_msg (size > 0 && memchr (text, '\n', size) == text + size - 1,
                   "not one line: '%.*s'", (int) size, text);
    free (text);
    free (png);
    free (log);
}
END_TEST

START_TEST (help_and_version)
{
    char out [8192];
    char *help [] = { (char *) th_bin ("mandelfarm-master"), "--help", NULL };
    ck_assert_int_eq (th_run (help, 10000, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "--listen"));
    ck_assert_ptr_nonnull (strstr (out, "--region"));
    char *version [] = { (char *) th_bin ("mandelfarm-master"), "--version", NULL };
    ck_assert_int_eq (th_run (version, 10000, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "mandelfarm-master "));
    char *worker [] = { (char *) th_bin ("mandelfarm-worker"), "--threads", "0", NULL };
    ck_assert_int_eq (th_run (worker, 10000, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--threads"));
    //  Without --connect a worker looks for a master's beacon (see
    //  test_discovery); --discover-port with --connect is a usage error.
    char *both [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", "tcp://127.0.0.1:1",
                      "--discover-port", "5670", NULL };
    ck_assert_int_eq (th_run (both, 10000, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--connect"));
}
END_TEST

START_TEST (progress_bar_on_a_terminal)
{
    //  script(1) gives the master a pseudo-terminal: the progress bar and
    //  the summary show there; --quiet silences both; a pipe gets no bar.
    char *png = th_path ("p.png");
    char command [1024], out [8192];
    snprintf (command, sizeof command, "%s --size 400x300 --iter 3000 -j 2 --tile 16 -o %s",
              th_bin ("mandelfarm-master"), png);
    char *tty [] = { "/usr/bin/script", "-qec", command, "/dev/null", NULL };
    ck_assert_int_eq (th_run (tty, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (strstr (out, "tiles") && strstr (out, "%") && strstr (out, "Mpixel/s")
                   && strstr (out, "workers") && strstr (out, "\r["), "no progress bar: %s", out);
    ck_assert_ptr_nonnull (strstr (out, "Giter/s; per worker:"));
    strncat (command, " --quiet", sizeof command - strlen (command) - 1);
    char *quiet [] = { "/usr/bin/script", "-qec", command, "/dev/null", NULL };
    ck_assert_int_eq (th_run (quiet, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (!strstr (out, "tiles"), "--quiet printed: %s", out);
    char *pipe [] = { (char *) th_bin ("mandelfarm-master"), "--size", "400x300", "-j", "2",
                      "-o", png, NULL };
    ck_assert_int_eq (th_run (pipe, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (!strstr (out, "\r["), "a bar on a pipe: %s", out);
    ck_assert_ptr_nonnull (strstr (out, "Giter/s; per worker:"));
    free (png);
}
END_TEST

//  A fingerprint of a tree: every entry's name, size, inode and
//  modification time, mixed and summed. Equal before and after: nothing
//  under it was written, created, removed or touched.
static uint64_t s_fingerprint_sum;

static int
s_fingerprint_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) flag;
    (void) ftw;
    uint64_t hash = 1469598103934665603ULL;            //  FNV-1a over the name
    for (const char *at = path; *at; at++)
        hash = (hash ^ (uint8_t) *at) * 1099511628211ULL;
    uint64_t facts [] = { (uint64_t) st->st_size, (uint64_t) st->st_ino,
                          (uint64_t) st->st_mtim.tv_sec, (uint64_t) st->st_mtim.tv_nsec };
    for (size_t index = 0; index < 4; index++)
        hash = (hash ^ facts [index]) * 1099511628211ULL;
    s_fingerprint_sum += hash;
    return 0;
}

static uint64_t
s_fingerprint (const char *repo, const char *dir)
{
    char path [800];
    snprintf (path, sizeof path, "%s/%s", repo, dir);
    s_fingerprint_sum = 0;
    ck_assert_int_eq (nftw (path, s_fingerprint_entry, 16, FTW_PHYS), 0);
    return s_fingerprint_sum;
}

START_TEST (install_and_missing_packages)
{
    //  make install honours DESTDIR and PREFIX, and make test leaves the
    //  build alone: make -n install lists only the install commands of
    //  the programs already built (and writes nothing), and those
    //  commands, run here, install them. The repository is the folder
    //  above bin/, wherever the suite runs from.
    char repo [600], root [700], commands [700], command [3072], out [4096];
    snprintf (repo, sizeof repo, "%s", th_bin ("mandelfarm-master"));
    *strrchr (repo, '/') = 0;
    *strrchr (repo, '/') = 0;
    uint64_t build_before = s_fingerprint (repo, "build"), bin_before = s_fingerprint (repo, "bin");
    snprintf (root, sizeof root, "%s/root", th_dir);
    snprintf (commands, sizeof commands, "%s/install.sh", th_dir);
    snprintf (command, sizeof command,
              "make -C '%s' --no-print-directory -n install DESTDIR=%s PREFIX=/opt/mf >'%s'",
              repo, root, commands);
    char *dry [] = { "/bin/sh", "-c", command, NULL };
    ck_assert_msg (th_run (dry, RENDER_MS, out, sizeof out) == 0, "make -n install: %s", out);
    size_t size;
    char *text = (char *) th_slurp (commands, &size);
    ck_assert_ptr_nonnull (text);
    text [size? size - 1: 0] = 0;
    //  Only installing commands (the systemd unit is made from its
    //  template with sed), each writing under the DESTDIR: nothing built.
    const char *installing [] = { "install ", "sed ", "chmod ", "mv " };
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        bool known = false;
        for (size_t index = 0; index < sizeof installing / sizeof installing [0]; index++)
            known |= strncmp (line, installing [index], strlen (installing [index])) == 0;
        ck_assert_msg (known && strstr (line, root) && strstr (line, "/opt/mf/"),
                       "make -n install would run more than the install (is the tree built?): "
                       "'%s'", line);
    }
    free (text);
    snprintf (command, sizeof command, "cd '%s' && sh -e '%s'", repo, commands);
    char *install [] = { "/bin/sh", "-c", command, NULL };
    ck_assert_msg (th_run (install, RENDER_MS, out, sizeof out) == 0, "install: %s", out);
    char path [800];
    snprintf (path, sizeof path, "%s/opt/mf/bin/mandelfarm-master", root);
    char *version [] = { path, "--version", NULL };
    ck_assert_int_eq (th_run (version, 10000, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "mandelfarm-master"));
    snprintf (path, sizeof path, "%s/opt/mf/bin/mandelfarm-worker", root);
    ck_assert (th_exists (path));
    //  The ssh launcher, under the programs' prefix, runs from there.
    snprintf (path, sizeof path, "%s/opt/mf/bin/mandelfarm-workers-ssh", root);
    char *launcher [] = { path, "--help", NULL };
    ck_assert_msg (th_run (launcher, 10000, out, sizeof out) == 0, "%s --help: %s", path, out);
    ck_assert_msg (strstr (out, "HOSTFILE ENDPOINT start|stop|status"), "%s", out);
    //  Other flags would rebuild everything; make -n says so and writes
    //  nothing, the record of the flags included.
    snprintf (command, sizeof command,
              "make -C '%s' --no-print-directory -n all CFLAGS='-O1 -DMF_OTHER_FLAGS'", repo);
    char *other [] = { "/bin/sh", "-c", command, NULL };
    ck_assert_int_eq (th_run (other, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (strstr (out, "MF_OTHER_FLAGS"), "make -n with other flags: %s", out);
    //  With no library found, plain make names the Debian packages.
    snprintf (command, sizeof command,
              "PKG_CONFIG_LIBDIR=/nonexistent make -C '%s' --no-print-directory -n all", repo);
    char *missing [] = { "/bin/sh", "-c", command, NULL };
    ck_assert_int_ne (th_run (missing, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (strstr (out, "libczmq-dev") && strstr (out, "libzmq3-dev")
                   && strstr (out, "libpng-dev") && strstr (out, "scripts/install-deps.sh"),
                   "make said: %s", out);
    ck_assert_msg (s_fingerprint (repo, "build") == build_before, "make wrote into build/");
    ck_assert_msg (s_fingerprint (repo, "bin") == bin_before, "make wrote into bin/");
}
END_TEST

START_TEST (make_help_lists_every_target)
{
    //  Every target the Makefile declares phony is in `make help`, as a
    //  word of its own; FORCE and fuzz-run are its own plumbing.
    char repo [600], command [1024], out [8192];
    snprintf (repo, sizeof repo, "%s", th_bin ("mandelfarm-master"));
    *strrchr (repo, '/') = 0;
    *strrchr (repo, '/') = 0;
    snprintf (command, sizeof command, "make -C '%s' --no-print-directory help", repo);
    char *help [] = { "/bin/sh", "-c", command, NULL };
    ck_assert_int_eq (th_run (help, RENDER_MS, out, sizeof out), 0);
    char makefile [700];
    snprintf (makefile, sizeof makefile, "%s/Makefile", repo);
    size_t size;
    char *text = (char *) th_slurp (makefile, &size);
    ck_assert_ptr_nonnull (text);
    text = realloc (text, size + 1);
    text [size] = 0;
    int targets = 0;
    for (char *at = strstr (text, "\n.PHONY:"); at; at = strstr (at + 1, "\n.PHONY:")) {
        //  The declaration, its continuation lines included.
        char *end = at + 1;
        while ((end = strchr (end, '\n')) && end [-1] == '\\')
            end++;
        char names [1024];
        size_t len = end? (size_t) (end - at - 8): strlen (at + 8);
        snprintf (names, sizeof names, "%.*s", (int) len, at + 8);
        for (char *name = strtok (names, " \t\\\n"); name; name = strtok (NULL, " \t\\\n")) {
            if (!strcmp (name, "FORCE") || !strcmp (name, "fuzz-run"))
                continue;
            bool found = false;
            size_t name_len = strlen (name);
            for (char *hit = strstr (out, name); hit && !found; hit = strstr (hit + 1, name))
                found = (hit == out || strchr (" ,(", hit [-1]))
                     && !(hit [name_len] == '-' || (hit [name_len] >= 'a' && hit [name_len] <= 'z'));
            ck_assert_msg (found, "make help does not name '%s':\n%s", name, out);
            targets++;
        }
    }
    ck_assert_int_ge (targets, 25);
    free (text);
}
END_TEST

//  The repository's file name (caller frees), NUL-terminated.
static char *
s_repo_file (const char *name)
{
    char path [700];
    snprintf (path, sizeof path, "%s", th_bin ("mandelfarm-master"));
    *strrchr (path, '/') = 0;
    *strrchr (path, '/') = 0;
    strncat (path, "/", sizeof path - strlen (path) - 1);
    strncat (path, name, sizeof path - strlen (path) - 1);
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    ck_assert_msg (text != NULL, "cannot read %s", path);
    text = realloc (text, size + 1);
    text [size] = 0;
    return text;
}

START_TEST (readme_names_what_install_deps_installs)
{
    //  The README's Quick start names every package scripts/install-deps.sh
    //  installs for build and test.
    char *script = s_repo_file ("scripts/install-deps.sh");
    char *readme = s_repo_file ("README.md");
    //  Both lists: what building needs, and what the tests use.
    const char *lists [] = { "\nBUILD_PKGS=\"", "\nTEST_PKGS=\"" };
    char *section = strstr (readme, "## Quick start");
    ck_assert_ptr_nonnull (section);
    char *next = strstr (section + 1, "\n## ");
    if (next)
        *next = 0;
    //  Both found before strtok cuts the script up.
    char *starts [2], *ends [2];
    for (size_t list = 0; list < 2; list++) {
        starts [list] = strstr (script, lists [list]);
        ck_assert_ptr_nonnull (starts [list]);
        starts [list] += strlen (lists [list]);
        ends [list] = strchr (starts [list], '"');
        ck_assert_ptr_nonnull (ends [list]);
    }
    int packages = 0;
    for (size_t list = 0; list < 2; list++) {
        *ends [list] = 0;
        for (char *name = strtok (starts [list], " \t\\\n"); name;
             name = strtok (NULL, " \t\\\n")) {
            bool found = false;
            size_t len = strlen (name);
            for (char *hit = strstr (section, name); hit && !found; hit = strstr (hit + 1, name))
                found = strchr (" \n", hit [-1]) && strchr (" ,.\n", hit [len]);
            ck_assert_msg (found, "the README's Quick start does not name '%s'", name);
            packages++;
        }
    }
    ck_assert_int_ge (packages, 10);
    free (script);
    free (readme);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("e2e");
    TCase *tc = tcase_create ("farm");
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, remote_workers_match_local);
    tcase_add_test (tc, summary_says_who_did_what);
    tcase_add_test (tc, verbose_logs_joins_and_leaves);
    tcase_add_test (tc, local_splits_match);
    tcase_add_test (tc, metadata_reproduces_the_image);
    tcase_add_test (tc, bad_input_refused);
    tcase_add_test (tc, busy_endpoint_refused);
    tcase_add_test (tc, viewer_checks_keys_too);
    tcase_add_test (tc, unallocatable_size_refused);
    tcase_add_test (tc, interrupt_leaves_nothing);
    tcase_add_test (tc, garbage_on_the_port);
    tcase_add_test (tc, quiet_master_says_where_it_listens);
    tcase_add_test (tc, help_and_version);
    tcase_add_test (tc, progress_bar_on_a_terminal);
    tcase_add_test (tc, install_and_missing_packages);
    tcase_add_test (tc, make_help_lists_every_target);
    tcase_add_test (tc, readme_names_what_install_deps_installs);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
