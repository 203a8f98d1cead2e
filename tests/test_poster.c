/*  Posters: images over --memory, computed and written band by band
    (master/poster.c). The window on its own (bands written in order,
    only when whole; tiles outside it refused; a withdrawn tile); then
    real masters: a streamed poster is byte for byte the image held in
    memory (PNG, 16-bit PNG, .npy, DZI, with --verify; a deep view's
    too, through its spill file); a poster renders under an
    address-space cap that the image held whole cannot live under (and
    an image that cannot be held whole becomes a poster); and a poster
    killed half way, shallow or deep, resumes from its checkpoint
    without computing its finished tiles again, into the same files.
    Every process is ended by its pid; every wait is bounded.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "poster.h"
#include "mf_output.h"
#include "mf_util.h"
#include "mf_webview.h"

#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define RENDER_MS 90000                 //  msecs any one render may take at most
#define START_MS 10000                  //  msecs a master may take to bind
#define NPY_HEAD 128                    //  bytes of mf_npy's header for a small float array

//  ---------------------------------------------------------------------
//  The window alone, writing a .npy

//  The value of pixel (x, y) in the window test: any function will do.
static float
s_value (uint32_t x, uint32_t y)
{
    return (float) (y * 1000 + x);
}

//  Gives tile id of a W x H grid in tiles of edge to the poster.
static bool
s_give (mf_poster_t *poster, const mf_tiles_t *tiles, uint32_t id, uint32_t width)
{
    mf_rect_t r = mf_tiles_rect (tiles, id);
    float mu [16 * 16];
    for (uint32_t j = 0; j < r.h; j++)
        for (uint32_t i = 0; i < r.w; i++)
            mu [j * r.w + i] = s_value (r.x + i, r.y + j);
    return mf_poster_tile (poster, id, &r, mu, r.w);
}

START_TEST (window_writes_bands_in_order)
{
    //  40 x 37 in tiles of 16: 3 columns, 3 bands (the last of 5 rows).
    const uint32_t width = 40, height = 37, edge = 16;
    char *path = th_path ("w.npy"), err [512];
    mf_output_spec_t spec = { .format = MF_OUTPUT_NPY, .width = width, .height = height };
    mf_output_t *out = mf_output_open (path, &spec, err, sizeof err);
    ck_assert_msg (out, "%s", err);
    mf_tiles_t *tiles = mf_tiles_new_rows (width, height, edge);
    ck_assert_uint_eq (mf_tiles_cols (tiles), 3);
    for (uint32_t position = 0; position < mf_tiles_count (tiles); position++)
        ck_assert_uint_eq (mf_tiles_order (tiles, position), position);
    mf_poster_spec_t window = { width, height, edge, sizeof (float), 2 };
    mf_output_t *outputs [] = { out, NULL };
    mf_poster_t *poster = mf_poster_new (&window, mf_poster_to_outputs, outputs);
    ck_assert_ptr_nonnull (poster);
    uint32_t written, total;
    ck_assert_uint_eq (mf_poster_horizon (poster), 6);     //  two bands of three tiles
    //  Band 2 is past the window: refused.
    ck_assert (!s_give (poster, tiles, 6, width));
    //  Band 1 whole, band 0 but one tile: nothing can be written.
    ck_assert (s_give (poster, tiles, 5, width) && s_give (poster, tiles, 3, width)
               && s_give (poster, tiles, 4, width) && s_give (poster, tiles, 0, width)
               && s_give (poster, tiles, 2, width));
    //  A tile given twice counts once.
    ck_assert (s_give (poster, tiles, 2, width));
    ck_assert_int_eq (mf_poster_flush (poster, err, sizeof err), 0);
    mf_poster_bands (poster, &written, &total);
    ck_assert_uint_eq (written, 0);
    ck_assert_uint_eq (total, 3);
    //  A withdrawn tile of a band held counts as missing again.
    ck_assert (s_give (poster, tiles, 1, width));
    ck_assert_int_eq (mf_poster_withdraw (poster, 1), 0);
    ck_assert_int_eq (mf_poster_flush (poster, err, sizeof err), 0);
    mf_poster_bands (poster, &written, &total);
    ck_assert_uint_eq (written, 0);
    //  Now band 0 and band 1 go, and the window opens on band 2.
    ck_assert (s_give (poster, tiles, 1, width));
    ck_assert_int_eq (mf_poster_flush (poster, err, sizeof err), 0);
    mf_poster_bands (poster, &written, &total);
    ck_assert_uint_eq (written, 2);
    ck_assert_uint_eq (mf_poster_horizon (poster), 9);
    //  Band 0 is written: late tiles are refused, a withdrawal fails.
    ck_assert (!s_give (poster, tiles, 0, width));
    ck_assert_int_eq (mf_poster_withdraw (poster, 0), -1);
    for (uint32_t id = 6; id < 9; id++)
        ck_assert (s_give (poster, tiles, id, width));
    ck_assert_int_eq (mf_poster_flush (poster, err, sizeof err), 0);
    mf_poster_bands (poster, &written, &total);
    ck_assert_uint_eq (written, 3);
    ck_assert_int_eq (mf_output_commit (&out, err, sizeof err), 0);
    //  The file holds every pixel where it belongs.
    size_t size;
    uint8_t *data = th_slurp (path, &size);
    ck_assert_ptr_nonnull (data);
    ck_assert_uint_eq (size, NPY_HEAD + (size_t) width * height * 4);
    for (uint32_t y = 0; y < height; y++)
        for (uint32_t x = 0; x < width; x++) {
            float value;
            memcpy (&value, data + NPY_HEAD + ((size_t) y * width + x) * 4, 4);
            ck_assert_msg (value == s_value (x, y), "pixel %u,%u", x, y);
        }
    free (data);
    mf_poster_destroy (&poster);
    mf_poster_destroy (&poster);
    mf_tiles_destroy (&tiles);
    free (path);
}
END_TEST

START_TEST (window_sizes)
{
    //  1000 pixels wide, tiles of 100, floats: 400 kB a band.
    ck_assert_uint_eq (mf_poster_window_for (1000, 100, 4, 1600000), 4);
    ck_assert_uint_eq (mf_poster_window_for (1000, 100, 4, 1), MF_POSTER_MIN_WINDOW);
    ck_assert_uint_eq (mf_poster_window_for (1000, 100, 4, (size_t) 1 << 40),
                       MF_POSTER_MAX_WINDOW);
}
END_TEST

//  ---------------------------------------------------------------------
//  Real masters

//  Runs the master on argv's flags (NULL-terminated, after the program)
//  with -q; returns its status, its output in out.
static int
s_master (char *const flags [], char *out, size_t size)
{
    char *argv [48] = { (char *) th_bin ("mandelfarm-master"), "-q" };
    int argc = 2;
    for (int index = 0; flags [index]; index++)
        argv [argc++] = flags [index];
    argv [argc] = NULL;
    return th_run (argv, RENDER_MS, out, size);
}

//  Whether the web page's library is there (else the DZI is left out).
static bool
s_have_library (void)
{
    char dir [PATH_MAX], err [PATH_MAX * 3];
    return mf_webview_find_library (dir, sizeof dir, err, sizeof err) == 0;
}

//  Whether two folders hold the same files with the same bytes (diff -r).
static bool
s_same_tree (const char *a, const char *b)
{
    char command [2 * PATH_MAX + 64];
    snprintf (command, sizeof command, "diff -r '%s' '%s' >/dev/null 2>&1", a, b);
    return system (command) == 0;
}

START_TEST (streamed_identical_to_whole)
{
    //  640 x 480 floats are 1.2 MiB: over --memory 1 it is a poster.
    char *ref = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    char *png = th_path ("p.png"), *npy = th_path ("p.npy");
    char out [4096];
    char *whole [] = { "--size", "640x480", "--center", "-0.7436,0.1318", "--width", "0.03",
                       "--iter", "600", "--tile", "16", "-j", "2", "--verify", "25",
                       "-o", ref, "--raw", ref_npy, NULL };
    ck_assert_msg (s_master (whole, out, sizeof out) == 0, "%s", out);
    char *streamed [] = { "--size", "640x480", "--center", "-0.7436,0.1318", "--width", "0.03",
                          "--iter", "600", "--tile", "16", "-j", "2", "--verify", "25",
                          "-o", png, "--raw", npy, "--memory", "1", "-v", NULL };
    ck_assert_msg (s_master (streamed, out, sizeof out) == 0, "%s", out);
    ck_assert_msg (strstr (out, "a poster: 30 bands of 16 rows"), "not streamed: %s", out);
    ck_assert (th_same_file (ref, png));
    ck_assert (th_same_file (ref_npy, npy));
    //  16 bits.
    char *whole16 [] = { "--size", "700x500", "--tile", "32", "-j", "2", "--png16",
                         "-o", ref, NULL };
    ck_assert_msg (s_master (whole16, out, sizeof out) == 0, "%s", out);
    char *streamed16 [] = { "--size", "700x500", "--tile", "32", "-j", "2", "--png16",
                            "--memory", "1", "-o", png, NULL };
    ck_assert_msg (s_master (streamed16, out, sizeof out) == 0, "%s", out);
    ck_assert (th_same_file (ref, png));
    free (ref);
    free (ref_npy);
    free (png);
    free (npy);
}
END_TEST

START_TEST (streamed_dzi_identical_to_whole)
{
    if (!s_have_library ()) {
        th_skip ("OpenSeadragon is not vendored (scripts/install-deps.sh --dzi)");
        return;
    }
    char *ref = th_path ("ref.png"), *png = th_path ("p.png");
    char *ref_dir = th_path ("ref_dzi"), *dir = th_path ("p_dzi");
    char out [4096];
    char *whole [] = { "--size", "700x500", "--tile", "32", "-j", "2", "-o", ref,
                       "--dzi", ref_dir, NULL };
    ck_assert_msg (s_master (whole, out, sizeof out) == 0, "%s", out);
    char *streamed [] = { "--size", "700x500", "--tile", "32", "-j", "2", "--memory", "1",
                          "-o", png, "--dzi", dir, NULL };
    ck_assert_msg (s_master (streamed, out, sizeof out) == 0, "%s", out);
    ck_assert (th_same_file (ref, png));
    ck_assert (s_same_tree (ref_dir, dir));
    free (ref);
    free (png);
    free (ref_dir);
    free (dir);
}
END_TEST

#define CAP_MB 160                      //  MiB of address space the masters get
#define CAP_SIZE "7000x7000"            //  187 MiB of mu: more than the cap holds

START_TEST (poster_under_memory_cap)
{
    char *ref = th_path ("ref.png"), *png = th_path ("p.png"), *whole_png = th_path ("w.png");
    char out [4096];
    //  The reference, uncapped: the image held whole.
    char *uncapped [] = { "--size", CAP_SIZE, "--iter", "1", "-j", "2", "-o", ref, NULL };
    ck_assert_msg (s_master (uncapped, out, sizeof out) == 0, "%s", out);
    //  The cap, on this test's process (Check forks one per test) and so
    //  on every master and worker it starts.
    struct rlimit old, cap;
    ck_assert_int_eq (getrlimit (RLIMIT_AS, &old), 0);
    cap = old;
    cap.rlim_cur = (rlim_t) CAP_MB << 20;
    ck_assert_int_eq (setrlimit (RLIMIT_AS, &cap), 0);
    //  Under --memory (as every image before posters), the image cannot
    //  be held whole under the cap: the master says so and makes it a
    //  poster...
    char *whole [] = { "--size", CAP_SIZE, "--iter", "1", "-j", "2", "-v", "-o", whole_png,
                       NULL };
    int whole_rc = s_master (whole, out, sizeof out);
    char whole_out [8192];
    snprintf (whole_out, sizeof whole_out, "%s", out);
    //  ... and one over --memory is a poster from the start.
    char *streamed [] = { "--size", CAP_SIZE, "--iter", "1", "-j", "2", "--memory", "32",
                          "-o", png, NULL };
    int rc = s_master (streamed, out, sizeof out);
    ck_assert_int_eq (setrlimit (RLIMIT_AS, &old), 0);
    ck_assert_msg (strstr (whole_out, "cannot hold its 186.9 MiB image whole here"),
                   "the cap is too loose to matter: %s", whole_out);
    ck_assert_msg (whole_rc == 0, "the fallback poster failed under the cap: %s", whole_out);
    ck_assert (th_same_file (ref, whole_png));
    ck_assert_msg (rc == 0, "the poster failed under the cap: %s", out);
    ck_assert (th_same_file (ref, png));
    free (ref);
    free (png);
    free (whole_png);
}
END_TEST

//  A counter of the --stats JSON at path.
static long long
s_stat (const char *path, const char *name)
{
    return th_json_counter (path, name);
}

#define RESUME_TILES 1200               //  tiles of the resume views: 40 x 30
#define RESUME_KILL 400                 //  tiles done when the first master is killed
#define MAX_ARGS 48                     //  arguments of a master at most

//  Appends the NULL-terminated words to argv at *argc.
static void
s_append (char **argv, int *argc, char *const words [])
{
    for (int index = 0; words [index]; index++) {
        ck_assert_int_lt (*argc, MAX_ARGS - 1);
        argv [(*argc)++] = words [index];
    }
    argv [*argc] = NULL;
}

//  Renders view (flags, NULL-terminated: 640x480 in tiles of 16) whole,
//  then as a poster killed once RESUME_KILL tiles are in its checkpoint
//  and run again: the same files, the finished tiles not computed again.
static void
s_resume (char *const view [])
{
    char listen [700], endpoint [700];
    snprintf (listen, sizeof listen, "ipc://%s/farm", th_dir);
    char *journal = th_path ("ck"), *log = th_path ("m1.log"), *log2 = th_path ("m2.log");
    char *ref = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    char *png = th_path ("p.png"), *npy = th_path ("p.npy"), *stats = th_path ("stats.json");
    char *master_bin = (char *) th_bin ("mandelfarm-master");
    char out [4096];
    char *argv [MAX_ARGS];
    int argc = 0;
    s_append (argv, &argc, view);
    s_append (argv, &argc, (char *[]) { "--memory", "1024", "-j", "2", "-o", ref, "--raw",
                                        ref_npy, NULL });
    ck_assert_msg (s_master (argv, out, sizeof out) == 0, "%s", out);
    //  A slow worker (15 ms a tile), so that the kill comes half way.
    pid_t worker = th_worker (listen, "2", (char *[]) { "--test-delay", "15", NULL });
    argc = 0;
    s_append (argv, &argc, (char *[]) { master_bin, NULL });
    s_append (argv, &argc, view);
    s_append (argv, &argc, (char *[]) { "--memory", "1", "-j", "0", "--listen", listen,
                                        "--heartbeat", "200", "--checkpoint", journal,
                                        "-o", png, "--raw", npy, NULL });
    pid_t master = th_spawn (argv, log);
    ck_assert (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0);
    int64_t deadline = mf_clock_ms () + RENDER_MS;
    while (th_journal_tiles (journal) < RESUME_KILL && mf_clock_ms () < deadline)
        usleep (5 * 1000);
    int held = th_journal_tiles (journal);
    th_kill (master);
    th_stop (worker);
    ck_assert_msg (held >= RESUME_KILL && held < RESUME_TILES, "killed at %d tiles", held);
    ck_assert (!th_exists (png) && !th_exists (npy));
    //  Again, with local workers: the same files.
    argc = 0;
    s_append (argv, &argc, (char *[]) { master_bin, NULL });
    s_append (argv, &argc, view);
    s_append (argv, &argc, (char *[]) { "--memory", "1", "-j", "2", "--checkpoint", journal,
                                        "-o", png, "--raw", npy, "--stats", stats, NULL });
    ck_assert_int_eq (th_wait (th_spawn (argv, log2), RENDER_MS), 0);
    ck_assert (th_same_file (ref, png));
    ck_assert (th_same_file (ref_npy, npy));
    ck_assert_msg (th_wait_for_text (log2, "resuming from", 1000), "no resume line");
    //  The finished tiles were not computed again: the ones the window
    //  took back (bands in order from the top) are restored.
    long long restored = s_stat (stats, "restored"), tiles = s_stat (stats, "tiles");
    ck_assert_msg (restored >= RESUME_KILL - 80, "only %lld tiles restored of %d", restored,
                   held);
    ck_assert_int_eq (restored + tiles, RESUME_TILES);
    ck_assert (!th_exists (journal));
    free (journal);
    free (log);
    free (log2);
    free (ref);
    free (ref_npy);
    free (png);
    free (npy);
    free (stats);
}

START_TEST (killed_poster_resumes)
{
    s_resume ((char *[]) { "--size", "640x480", "--center", "-0.7436,0.1318", "--width", "0.03",
                           "--iter", "600", "--tile", "16", NULL });
}
END_TEST

//  A deep view (the `line` location, 1.4e28, tests/deep_locations.h).
#define DEEP_VIEW "--size", "640x480", "--center", LOC_LINE_CENTER, "--zoom", LOC_LINE_ZOOM, \
                  "--tile", "16"

START_TEST (killed_deep_poster_resumes)
{
    //  --iter auto: the checkpoint is replayed before maxiter is chosen.
    s_resume ((char *[]) { DEEP_VIEW, "--iter", "auto", NULL });
}
END_TEST

START_TEST (deep_poster_identical_to_whole)
{
    //  640 x 480 doubles are 2.3 MiB: over --memory 1 it is a poster, its
    //  mu spilled to a file and colored at the end.
    char *ref = th_path ("ref.png"), *ref_npy = th_path ("ref.npy");
    char *png = th_path ("p.png"), *npy = th_path ("p.npy"), *alone = th_path ("alone.png");
    char out [4096];
    char *whole [] = { DEEP_VIEW, "--iter", "2500", "-j", "2", "-o", ref, "--raw", ref_npy,
                       NULL };
    ck_assert_msg (s_master (whole, out, sizeof out) == 0, "%s", out);
    char *streamed [] = { DEEP_VIEW, "--iter", "2500", "-j", "2", "--memory", "1", "-v",
                          "-o", png, "--raw", npy, NULL };
    ck_assert_msg (s_master (streamed, out, sizeof out) == 0, "%s", out);
    ck_assert_msg (strstr (out, "a poster: 30 bands of 16 rows"), "not streamed: %s", out);
    ck_assert (th_same_file (ref, png));
    ck_assert (th_same_file (ref_npy, npy));
    //  Without --raw: the spill alone holds the mu, and leaves nothing.
    char *png_only [] = { DEEP_VIEW, "--iter", "2500", "-j", "2", "--memory", "1",
                          "-o", alone, NULL };
    ck_assert_msg (s_master (png_only, out, sizeof out) == 0, "%s", out);
    ck_assert (th_same_file (ref, alone));
    ck_assert_int_eq (th_count_entries (th_dir), 5);
    free (ref);
    free (ref_npy);
    free (png);
    free (npy);
    free (alone);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("poster");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 180);
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, window_writes_bands_in_order);
    tcase_add_test (tc, window_sizes);
    tcase_add_test (tc, streamed_identical_to_whole);
    tcase_add_test (tc, streamed_dzi_identical_to_whole);
    tcase_add_test (tc, poster_under_memory_cap);
    tcase_add_test (tc, killed_poster_resumes);
    tcase_add_test (tc, deep_poster_identical_to_whole);
    tcase_add_test (tc, killed_deep_poster_resumes);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
