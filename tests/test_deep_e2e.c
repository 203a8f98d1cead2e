/*  Deep zoom through the farm, end to end: real masters and workers on
    loopback TCP or ipc://, at perturbation depths (line, 1e-28 in double
    deltas, and e318, floatexp beyond 1e-318).

    The PNG and the float64 .npy are byte-identical whatever the farm:
    -j 1 or 2, tile sizes, kernel variants, remote workers, CURVE, a
    worker that joins mid-render (it fetches the orbit and helps), a
    resumed checkpoint, a --verify run with a lying worker. The PNG's
    Center and Width render the same bytes again, --iter auto's choice
    too. The .npy's samples pass the MPFR check (deep_truth.h).
    A reference orbit that takes long keeps the workers' heartbeats and
    stops at once on SIGINT, leaving nothing; an orbit every worker
    refuses (damaged by the test master, or too large for the worker's
    --cache-mb) fails the render, and the workers live on. Every process
    is ended by its pid.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "deep_truth.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RENDER_MS 120000                //  msecs any one render may take at most
#define START_MS 10000                  //  msecs a master may take to bind and say so
#define LINE "--size", "96x54", "--center", LOC_LINE_CENTER, "--zoom", LOC_LINE_ZOOM, \
             "--iter", "2500", "--quiet"
#define E318 "--size", "24x14", "--center", LOC_E318_CENTER, "--zoom", LOC_E318_ZOOM, \
             "--iter", "212138", "--quiet"

//  Runs a master to its end; argv is NULL-terminated. Returns its status,
//  its output in out.
static int
s_master (char **argv, char *out, size_t size)
{
    argv [0] = (char *) th_bin ("mandelfarm-master");
    return th_run (argv, RENDER_MS, out, size);
}

//  Renders with a master, asserting success, into png and npy.
static void
s_render (char **argv, const char *what)
{
    char out [4096];
    int rc = s_master (argv, out, sizeof out);
    ck_assert_msg (rc == 0, "%s: status %d: %s", what, rc, out);
}

//  Asserts two renders gave the same bytes.
static void
s_same (const char *png, const char *npy, const char *ref_png, const char *ref_npy,
        const char *what)
{
    ck_assert_msg (th_same_file (png, ref_png), "%s: the PNG differs", what);
    ck_assert_msg (th_same_file (npy, ref_npy), "%s: the .npy differs", what);
}

//  A master started in the background with --listen: its pid, and the
//  endpoint it bound in endpoint.
static pid_t
s_master_bg (char **argv, const char *log, char *endpoint, size_t size)
{
    argv [0] = (char *) th_bin ("mandelfarm-master");
    pid_t pid = th_spawn (argv, log);
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, size) == 0,
                   "the master did not say where it listens");
    return pid;
}

//  The values of a float64 .npy (the caller frees), count of them.
static double *
s_npy64 (const char *path, size_t *count)
{
    size_t size;
    uint8_t *data = th_slurp (path, &size);
    ck_assert_ptr_nonnull (data);
    ck_assert (size > 10);
    size_t header = 10 + (size_t) (data [8] | data [9] << 8);
    char dict [128] = { 0 };
    memcpy (dict, data + 10, header - 10 < sizeof dict - 1? header - 10: sizeof dict - 1);
    ck_assert_msg (strstr (dict, "'descr': '<f8'"), "not float64: %s", dict);
    *count = (size - header) / 8;
    double *values = malloc (*count * sizeof *values);
    mf_proto_get_f64s (values, data + header, *count);
    free (data);
    return values;
}

START_TEST (line_same_bytes_whatever_the_farm)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    char *png = th_path ("f.png"), *npy = th_path ("f.npy");
    s_render ((char *[]) { NULL, LINE, "-j", "1", "-o", ref_png, "--raw", ref_npy, NULL }, "-j 1");
    size_t count;
    free (s_npy64 (ref_npy, &count));
    ck_assert_uint_eq (count, 96 * 54);
    //  The hook's pair: two local threads, tiles of 17.
    s_render ((char *[]) { NULL, LINE, "-j", "2", "--tile", "17", "-o", png, "--raw", npy,
                           NULL }, "-j 2 --tile 17");
    s_same (png, npy, ref_png, ref_npy, "-j 2 --tile 17");
    s_render ((char *[]) { NULL, LINE, "-j", "2", "--tile", "8", "-o", png, "--raw", npy,
                           NULL }, "--tile 8");
    s_same (png, npy, ref_png, ref_npy, "--tile 8");
    //  Every kernel variant this machine runs (the perturbation kernel of
    //  the same name).
    size_t variants;
    const mf_kernel_t *list = mf_kernel_list (&variants);
    for (size_t index = 0; index < variants; index++) {
        if (!mf_kernel_usable (&list [index]))
            continue;
        s_render ((char *[]) { NULL, LINE, "-j", "1", "--tile", "32", "--kernel",
                               (char *) list [index].name, "-o", png, "--raw", npy, NULL },
                  list [index].name);
        s_same (png, npy, ref_png, ref_npy, list [index].name);
    }
    //  Remote workers over TCP, none local.
    char *log = th_path ("master.log"), endpoint [256];
    pid_t master = s_master_bg ((char *[]) { NULL, LINE, "-j", "0", "--listen",
                                             "tcp://127.0.0.1:*", "--tile", "16", "-o", png,
                                             "--raw", npy, NULL }, log, endpoint,
                                sizeof endpoint);
    pid_t workers [2] = { th_worker (endpoint, "1", NULL), th_worker (endpoint, "2", NULL) };
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    th_stop_all (workers, 2);
    s_same (png, npy, ref_png, ref_npy, "remote workers");
}
END_TEST

START_TEST (e318_floatexp_same_bytes)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *stats = th_path ("s.json");
    s_render ((char *[]) { NULL, E318, "-j", "1", "-o", ref_png, "--raw", ref_npy, "--stats",
                           stats, NULL }, "-j 1");
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    ck_assert_msg (strstr (json, "\"type\": \"floatexp\""), "not floatexp deltas: %s", json);
    free (json);
    s_render ((char *[]) { NULL, E318, "-j", "2", "--tile", "8", "-o", png, "--raw", npy,
                           NULL }, "-j 2 --tile 8");
    s_same (png, npy, ref_png, ref_npy, "-j 2 --tile 8");
    char *log = th_path ("master.log"), endpoint [256];
    pid_t master = s_master_bg ((char *[]) { NULL, E318, "-j", "0", "--listen",
                                             "tcp://127.0.0.1:*", "--tile", "12", "-o", png,
                                             "--raw", npy, NULL }, log, endpoint,
                                sizeof endpoint);
    pid_t worker = th_worker (endpoint, "2", NULL);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    th_stop (worker);
    s_same (png, npy, ref_png, ref_npy, "a remote worker");
}
END_TEST

//  The tiles and chunks --stats says the worker named name had, or -1.
static void
s_worker_counts (const char *stats, const char *name, long long *tiles, long long *chunks)
{
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    char key [64];
    snprintf (key, sizeof key, "\"name\": \"%s:", name);
    const char *entry = strstr (json, key);
    ck_assert_msg (entry, "no worker %s in the stats", name);
    const char *at = strstr (entry, "\"tiles\": ");
    *tiles = strtoll (at + 9, NULL, 10);
    at = strstr (entry, "\"chunks\": ");
    *chunks = strtoll (at + 10, NULL, 10);
    free (json);
}

START_TEST (late_joiner_fetches_and_helps)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_render ((char *[]) { NULL, LINE, "-j", "2", "-o", ref_png, "--raw", ref_npy, NULL }, "ref");
    char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *stats = th_path ("s.json");
    char *ck = th_path ("ck"), *log = th_path ("master.log"), endpoint [256];
    //  24 tiles, a tenth of a second each for the first worker.
    pid_t master = s_master_bg ((char *[]) { NULL, LINE, "-j", "0", "--listen",
                                             "tcp://127.0.0.1:*", "--tile", "16",
                                             "--checkpoint", ck, "--stats", stats, "-o", png,
                                             "--raw", npy, NULL }, log, endpoint,
                                sizeof endpoint);
    pid_t early = th_worker (endpoint, "1", (char *[]) { "--name", "early", "--test-delay",
                                                         "100", NULL });
    //  The second comes once the render is under way.
    int64_t deadline = mf_clock_ms () + RENDER_MS;
    while (th_journal_tiles (ck) < 2 && mf_clock_ms () < deadline)
        usleep (10000);
    ck_assert_int_ge (th_journal_tiles (ck), 2);
    pid_t late = th_worker (endpoint, "1", (char *[]) { "--name", "late", "--test-delay", "50",
                                                        NULL });
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    pid_t both [2] = { early, late };
    th_stop_all (both, 2);
    s_same (png, npy, ref_png, ref_npy, "a worker joining mid-render");
    long long tiles, chunks;
    s_worker_counts (stats, "late", &tiles, &chunks);
    ck_assert_msg (tiles > 0 && chunks > 0, "the late worker: %lld tiles, %lld chunks",
                   tiles, chunks);
    s_worker_counts (stats, "early", &tiles, &chunks);
    ck_assert (tiles > 0 && chunks > 0);
    ck_assert_int_gt (th_json_counter (stats, "chunk_bytes"), 0);
}
END_TEST

START_TEST (checkpoint_resumes_at_depth)
{
    //  With --iter given, and with --iter auto (whose maxiter is chosen
    //  after the journal is read).
    const char *iters [] = { "2500", "auto" };
    for (int round = 0; round < 2; round++) {
        char name [32];
        snprintf (name, sizeof name, "ref%d.png", round);
        char *ref_png = th_path (name);
        snprintf (name, sizeof name, "ref%d.npy", round);
        char *ref_npy = th_path (name);
        char *view [] = { NULL, "--size", "96x54", "--center", LOC_LINE_CENTER, "--zoom",
                          LOC_LINE_ZOOM, "--iter", (char *) iters [round], "--quiet", "-j", "2",
                          "-o", ref_png, "--raw", ref_npy, NULL };
        s_render (view, "ref");
        char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *ck = th_path ("ck");
        snprintf (name, sizeof name, "master%d.log", round);
        char *log = th_path (name), listen [700];
        snprintf (listen, sizeof listen, "ipc://%s/farm%d", th_dir, round);
        char *argv [] = { NULL, "--size", "96x54", "--center", LOC_LINE_CENTER, "--zoom",
                          LOC_LINE_ZOOM, "--iter", (char *) iters [round], "--quiet", "-j", "0",
                          "--listen", listen, "--tile", "16", "--checkpoint", ck, "-o", png,
                          "--raw", npy, NULL };
        char endpoint [256];
        pid_t worker = th_worker (listen, "1", (char *[]) { "--test-delay", "100", NULL });
        pid_t master = s_master_bg (argv, log, endpoint, sizeof endpoint);
        int64_t deadline = mf_clock_ms () + RENDER_MS;
        while (th_journal_tiles (ck) < 4 && mf_clock_ms () < deadline)
            usleep (10000);
        ck_assert_int_ge (th_journal_tiles (ck), 4);
        th_kill (master);
        ck_assert (!th_exists (png));
        //  The same command again: what the journal holds is not computed
        //  again, and the bytes are the same as in one go.
        argv [9] = "-v";                //  instead of --quiet: the resume line
        char out [8192];
        int rc = s_master (argv, out, sizeof out);
        th_stop (worker);
        ck_assert_msg (rc == 0, "resume with --iter %s: %d: %s", iters [round], rc, out);
        ck_assert_msg (strstr (out, "resuming from"), "%s", out);
        s_same (png, npy, ref_png, ref_npy, "resumed");
        ck_assert (!th_exists (ck));
        unlink (png);
        unlink (npy);
    }
}
END_TEST

START_TEST (verify_catches_a_lying_worker_at_depth)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_render ((char *[]) { NULL, LINE, "-j", "2", "-o", ref_png, "--raw", ref_npy, NULL }, "ref");
    char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *stats = th_path ("s.json");
    char listen [700];
    snprintf (listen, sizeof listen, "ipc://%s/farm", th_dir);
    //  The liar's every result is wrong by half an iteration somewhere.
    pid_t workers [2] = {
        th_worker (listen, "1", (char *[]) { "--name", "liar", "--test-corrupt", "1",
                                             "--test-delay", "20", NULL }),
        th_worker (listen, "1", (char *[]) { "--name", "honest", NULL })
    };
    s_render ((char *[]) { NULL, LINE, "-j", "0", "--listen", listen, "--tile", "32",
                           "--verify", "100", "--stats", stats, "-o", png, "--raw", npy, NULL },
              "--verify 100");
    th_stop_all (workers, 2);
    s_same (png, npy, ref_png, ref_npy, "--verify with a liar");
    ck_assert_int_eq (th_json_counter (stats, "quarantined"), 1);
    ck_assert_int_ge (th_json_counter (stats, "local"), 1);
    ck_assert_int_ge (th_json_counter (stats, "mismatches"), 1);
    //  The master computed disputed deep tiles: from the orbit's BLA table.
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    const char *bytes = strstr (json, "\"arbiter_bla_bytes\": ");
    ck_assert (bytes && strtoll (bytes + 21, NULL, 10) > 0);
    free (json);
}
END_TEST

START_TEST (curve_at_depth)
{
    char *ref_png = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    s_render ((char *[]) { NULL, LINE, "-j", "1", "-o", ref_png, "--raw", ref_npy, NULL }, "ref");
    char *master_pub = th_path ("master.cert"), *master_sec = th_path ("master.cert_secret");
    char *allow = th_path ("allow"), *worker_pub = th_path ("allow/worker.cert");
    char *worker_sec = th_path ("allow/worker.cert_secret"), *secret = th_path ("worker_secret");
    ck_assert_int_eq (mkdir (allow, 0700), 0);
    char out [2048];
    ck_assert_int_eq (th_run ((char *[]) { (char *) th_bin ("mandelfarm-keygen"), master_pub,
                                           NULL }, 10000, out, sizeof out), 0);
    ck_assert_int_eq (th_run ((char *[]) { (char *) th_bin ("mandelfarm-keygen"), worker_pub,
                                           NULL }, 10000, out, sizeof out), 0);
    //  Only public certificates in --allow.
    ck_assert_int_eq (rename (worker_sec, secret), 0);
    char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *log = th_path ("master.log");
    char endpoint [256];
    pid_t master = s_master_bg ((char *[]) { NULL, LINE, "-j", "0", "--listen",
                                             "tcp://127.0.0.1:*", "--cert", master_sec,
                                             "--allow", allow, "--tile", "32", "-o", png,
                                             "--raw", npy, NULL }, log, endpoint,
                                sizeof endpoint);
    pid_t worker = th_worker (endpoint, "2", (char *[]) { "--cert", secret, "--master-key",
                                                          master_pub, NULL });
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    th_stop (worker);
    s_same (png, npy, ref_png, ref_npy, "over CURVE");
}
END_TEST

//  The tEXt value of key in a PNG, into value.
static void
s_text (const char *png, const char *key, char *value, size_t size)
{
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, key, value, size), 0);
    free (rgb);
    ck_assert_msg (value [0], "no %s in %s", key, png);
}

START_TEST (png_texts_render_the_same_again)
{
    char *png = th_path ("a.png"), *npy = th_path ("a.npy");
    char *again = th_path ("b.png"), *again_npy = th_path ("b.npy");
    //  --iter auto: its choice is in the PNG, and rendering with it gives
    //  the same bytes.
    s_render ((char *[]) { NULL, "--size", "96x54", "--center", LOC_LINE_CENTER, "--zoom",
                           LOC_LINE_ZOOM, "--iter", "auto", "--quiet", "-j", "2", "-o", png,
                           "--raw", npy, NULL }, "--zoom, --iter auto");
    char center [4096], width [256], iter [32];
    s_text (png, "Center", center, sizeof center);
    s_text (png, "Width", width, sizeof width);
    s_text (png, "Iterations", iter, sizeof iter);
    //  The reference escapes at 904: auto takes twice that, above its floor.
    ck_assert_str_eq (iter, "3900");
    s_render ((char *[]) { NULL, "--size", "96x54", "--center", center, "--width", width,
                           "--iter", iter, "--quiet", "-j", "1", "--tile", "40", "-o", again,
                           "--raw", again_npy, NULL }, "its Center, Width and Iterations");
    s_same (again, again_npy, png, npy, "the PNG's texts");
}
END_TEST

START_TEST (mpfr_samples_through_the_farm)
{
    static const th_loc_t locations [] = {
        { LOC_LINE_CENTER, LOC_LINE_ZOOM, 96, 54, LOC_LINE_ITER, 100 },
        { LOC_E50_CENTER, LOC_E50_ZOOM, 64, 36, LOC_E50_ITER, 40 },
        //  The issue asks for 1e-10000 at least: the tip of the antenna,
        //  whose reference (2, 2, 2...) never escapes, at a height of
        //  1e-10000 (33,290 bits); its pixels escape after about 16,600
        //  iterations, deltas in floatexp all the way.
        { "-2,0", "4E10000", 64, 36, 20000, 12 },
    };
    for (size_t index = 0; index < sizeof locations / sizeof locations [0]; index++) {
        const th_loc_t *loc = &locations [index];
        char size [32], iter [32], *png = th_path ("m.png"), *npy = th_path ("m.npy");
        snprintf (size, sizeof size, "%ux%u", loc->w, loc->h);
        snprintf (iter, sizeof iter, "%u", loc->maxiter);
        s_render ((char *[]) { NULL, "--size", size, "--center", (char *) loc->center,
                               "--zoom", (char *) loc->zoom, "--iter", iter, "--quiet",
                               "-j", "2", "--tile", "16", "-o", png, "--raw", npy, NULL },
                  loc->zoom);
        size_t count;
        double *mu = s_npy64 (npy, &count);
        ck_assert_uint_eq (count, (size_t) loc->w * loc->h);
        char err [512];
        mf_deep_view_t *view = mf_deep_view_new (loc->center, NULL, loc->zoom, loc->w, loc->h,
                                                 err, sizeof err);
        ck_assert_msg (view != NULL, "%s", err);
        th_sample_t *truth = th_deep_truth (loc, view);
        double *sampled = malloc (loc->samples * sizeof *sampled);
        for (size_t k = 0; k < loc->samples; k++)
            sampled [k] = mu [(size_t) truth [k].j * loc->w + truth [k].i];
        char report [256];
        int ok = th_deep_judge (truth, sampled, loc->samples, report, sizeof report);
        printf ("through the farm, zoom %s: %s\n", loc->zoom, report);
        ck_assert_msg (ok, "zoom %s: %s", loc->zoom, report);
        free (sampled);
        free (truth);
        free (mu);
        mf_deep_view_destroy (&view);
    }
}
END_TEST

//  A view whose reference never escapes and takes a long while: the
//  center of the main cardioid, 10^8 iterations (about 30 s).
#define LONG_REFERENCE "--size", "64x36", "--center", "-0.1,0", "--width", "1e-20", \
                       "--iter", "100000000"

START_TEST (long_reference_keeps_heartbeats_and_stops_on_sigint)
{
    char *png = th_path ("f.png"), *npy = th_path ("f.npy"), *stats = th_path ("s.json");
    char *log = th_path ("master.log"), *worker_log = th_path ("worker.log"), endpoint [256];
    pid_t master = s_master_bg ((char *[]) { NULL, LONG_REFERENCE, "-v", "-j", "0",
                                             "--heartbeat", "100", "--listen",
                                             "tcp://127.0.0.1:*", "-o", png, "--raw", npy,
                                             "--stats", stats, NULL }, log, endpoint,
                                sizeof endpoint);
    pid_t worker = th_spawn ((char *[]) { (char *) th_bin ("mandelfarm-worker"), "--connect",
                                          endpoint, "--threads", "1", NULL }, worker_log);
    ck_assert (th_wait_for_text (log, "joined", START_MS));
    //  Twenty heartbeat intervals of reference: the worker stays.
    usleep (2000 * 1000);
    int64_t sent = mf_clock_ms ();
    kill (master, SIGINT);
    int rc = th_wait (master, 5000);
    int64_t took = mf_clock_ms () - sent;
    th_stop (worker);
    ck_assert_int_eq (rc, 1);
    ck_assert_msg (took < 3000, "the reference stopped %lld ms after SIGINT", (long long) took);
    ck_assert (th_wait_for_text (log, "interrupted while computing the reference orbit", 0));
    ck_assert (!th_exists (png) && !th_exists (npy));
    ck_assert_int_eq (th_json_counter (stats, "evicted"), 0);
    ck_assert_int_eq (th_json_counter (stats, "workers_connected"), 1);
    ck_assert_int_eq (th_count_text (worker_log, "silent"), 0);
}
END_TEST

START_TEST (refused_orbits_fail_the_render)
{
    char *png = th_path ("f.png"), *log = th_path ("master.log");
    char *worker_log = th_path ("worker.log"), endpoint [256];
    //  Damaged on the way (the test master): the worker refuses the orbit,
    //  declines its tiles, and the render fails; the worker lives on.
    setenv ("MF_TEST_CORRUPT_CHUNKS", "1", 1);
    char *argv [] = { (char *) th_test_program ("mandelfarm-master-faulty"), LINE, "-j", "0",
                      "--heartbeat", "200", "--listen", "tcp://127.0.0.1:*", "-o", png, NULL };
    pid_t master = th_spawn (argv, log);
    ck_assert (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0);
    pid_t worker = th_spawn ((char *[]) { (char *) th_bin ("mandelfarm-worker"), "--connect",
                                          endpoint, "--threads", "1", NULL }, worker_log);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 1);
    unsetenv ("MF_TEST_CORRUPT_CHUNKS");
    ck_assert (th_wait_for_text (log, "every worker refused the reference orbit", 0));
    ck_assert (th_wait_for_text (worker_log, "refused reference orbit", 0));
    ck_assert (!th_exists (png));
    ck_assert_int_eq (kill (worker, 0), 0);
    th_stop (worker);
    //  Too large for the worker's --cache-mb: declined before a byte of it
    //  is fetched (e50's orbit needs 24 MB of table, the budget is 16).
    //  Logs of their own: the endpoint is read from the master's.
    master = s_master_bg ((char *[]) { NULL, "--size", "32x18", "--center", LOC_E50_CENTER,
                                       "--zoom", LOC_E50_ZOOM, "--iter", "263010", "--quiet",
                                       "-j", "0", "--heartbeat", "200", "--listen",
                                       "tcp://127.0.0.1:*", "-o", png, "--stats",
                                       th_path ("s.json"), NULL }, th_path ("master2.log"),
                          endpoint, sizeof endpoint);
    worker = th_spawn ((char *[]) { (char *) th_bin ("mandelfarm-worker"), "--connect", endpoint,
                                    "--threads", "1", "--cache-mb", "16", NULL },
                       th_path ("worker2.log"));
    ck_assert_int_eq (th_wait (master, RENDER_MS), 1);
    ck_assert_int_eq (kill (worker, 0), 0);
    th_stop (worker);
    ck_assert (!th_exists (png));
    ck_assert_int_eq (th_json_counter (th_path ("s.json"), "chunks"), 0);
    ck_assert_int_ge (th_json_counter (th_path ("s.json"), "refusals"), 1);
}
END_TEST

START_TEST (deep_refusals)
{
    char out [4096], *png = th_path ("f.png");
    //  A --region that doubles cannot hold: one line, status 2, nothing
    //  written. (The viewer takes deep views: test_viewer_deep.)
    int rc = s_master ((char *[]) { NULL, "--size", "100x100", "--region",
                                    "0.25,0.25000000000001,0.5,0.50000000000001", "-o", png,
                                    NULL }, out, sizeof out);
    ck_assert_int_eq (rc, 2);
    ck_assert_msg (strstr (out, "--region") && strstr (out, "--zoom"), "%s", out);
    ck_assert (strchr (out, '\n') && strchr (out, '\n') [1] == 0);
    ck_assert (!th_exists (png));
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deep_e2e");
    TCase *tc = tcase_create ("deep_e2e");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 300);
    tcase_add_test (tc, line_same_bytes_whatever_the_farm);
    tcase_add_test (tc, e318_floatexp_same_bytes);
    tcase_add_test (tc, late_joiner_fetches_and_helps);
    tcase_add_test (tc, checkpoint_resumes_at_depth);
    tcase_add_test (tc, verify_catches_a_lying_worker_at_depth);
    tcase_add_test (tc, curve_at_depth);
    tcase_add_test (tc, png_texts_render_the_same_again);
    tcase_add_test (tc, mpfr_samples_through_the_farm);
    tcase_add_test (tc, long_reference_keeps_heartbeats_and_stops_on_sigint);
    tcase_add_test (tc, refused_orbits_fail_the_render);
    tcase_add_test (tc, deep_refusals);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
