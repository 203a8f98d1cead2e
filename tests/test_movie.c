/*  Zoom movies and --from, end to end: real masters and workers.

    A 12-frame movie at 96x54 from 3.5 down to 1e-30 near the e50
    location: every frame is byte-identical to a single render of the
    view its metadata names (--from the frame), the deep frames come from
    one reference orbit, computed once and fetched once (--stats); a
    movie down to 4e-318 has frames in doubles and in floatexp, and both
    orbits come from one computation. A movie run again once finished
    computes no orbit, one missing only shallow frames neither, one
    missing its floatexp frame only that orbit; with --iter auto it is
    computed (it names the frames' iterations) and every frame kept. A
    movie stopped half way by SIGTERM, then killed by SIGKILL, and run
    again gives the same frames as one run straight through, keeping the
    frames already written, and refusing the frames of another movie.
    On a terminal (script(1)) the progress bar counts the movie's frames,
    frames per minute and the time left. --from round-trips at depth;
    the flags given override the file; a file without the texts, and a
    bad -o pattern, are refused in one line. scripts/make-movie.sh joins
    frames into an MP4 where ffmpeg is installed. Every process is ended
    by its pid.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "movie.h"
#include "mf_png.h"

#include <check.h>
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_MS 60000                    //  msecs any one master may take at most
#define START_MS 10000                  //  msecs a master may take to bind and say so
#define FRAMES 12                       //  frames of the movies here
#define FRAME_TILES 24                  //  tiles of a 96x54 frame at --tile 16
#define TARGET "--size", "96x54", "--center", LOC_E50_CENTER, "--width", "1e-30", \
               "--iter", "20000"

//  Runs a master to its end (argv [0] is filled in). Returns its status
//  and its output in out.
static int
s_master (char **argv, char *out, size_t size)
{
    argv [0] = (char *) th_bin ("mandelfarm-master");
    return th_run (argv, RUN_MS, out, size);
}

//  Frame index's path in the folder dir, as -o dir/f%03d.png names it.
static char *
s_frame (const char *dir, int index)
{
    char name [64];
    snprintf (name, sizeof name, "%s/f%03d.png", dir, index);
    return strdup (name);
}

//  Renders the reference movie into folder name of the test's folder:
//  returns the folder (caller frees) and its --stats file in stats.
static char *
s_movie (const char *name, char *stats_out, size_t size)
{
    char *dir = th_path (name);
    char pattern [512], stats [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    snprintf (stats, sizeof stats, "%s.json", dir);
    char *argv [] = { NULL, TARGET, "--movie", "12", "-j", "2", "--quiet", "-o", pattern,
                      "--stats", stats, NULL };
    char out [4096];
    int rc = s_master (argv, out, sizeof out);
    ck_assert_msg (rc == 0, "the movie: status %d: %s", rc, out);
    snprintf (stats_out, size, "%s", stats);
    return dir;
}

//  Runs a master to its end (argv [0] is filled in) and asserts it
//  succeeded; what names it in the message.
static void
s_again (char **argv, const char *what)
{
    char out [4096];
    int rc = s_master (argv, out, sizeof out);
    ck_assert_msg (rc == 0, "%s: status %d: %s", what, rc, out);
}

START_TEST (widths_shrink_exponentially)
{
    //  The same ratio from one frame to the next, the ends exact.
    char text [64];
    double widths [FRAMES];
    for (int index = 0; index < FRAMES; index++) {
        ck_assert_int_eq (mf_movie_width ("3.5", "1e-30", (uint32_t) index, FRAMES, text,
                                          sizeof text), 0);
        widths [index] = strtod (text, NULL);
        if (index == 5)
            ck_assert_int_eq ((int) strlen (text), (int) strlen ("1.2345678901234567890e-14"));
    }
    ck_assert (widths [0] == 3.5 && widths [FRAMES - 1] == 1e-30);
    double ratio = pow (1e-30 / 3.5, 1.0 / (FRAMES - 1));
    for (int index = 1; index < FRAMES; index++)
        ck_assert_msg (fabs (widths [index] / widths [index - 1] / ratio - 1) < 1e-12,
                       "frame %d: %.17g", index, widths [index]);
    //  Any depth: the exponent is MPFR's.
    ck_assert_int_eq (mf_movie_width ("4", "2e-2608", 1, 3, text, sizeof text), 0);
    ck_assert_ptr_nonnull (strstr (text, "e-1304"));
    ck_assert_int_eq (mf_movie_width ("3.5", "x", 1, 3, text, sizeof text), -1);
    ck_assert_int_eq (mf_movie_width ("3.5", "-1", 1, 3, text, sizeof text), -1);
    ck_assert_int_eq (mf_movie_width ("3.5", "1e-30", 1, 3, text, 8), -1);
}
END_TEST

START_TEST (frames_equal_their_single_renders)
{
    char stats [512];
    char *dir = s_movie ("frames", stats, sizeof stats);
    ck_assert_int_eq (th_count_entries (dir), FRAMES);
    //  One orbit, computed once and fetched once by the one local deep
    //  worker: the bytes sent are the packed orbit's, once.
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), FRAMES);
    ck_assert_int_gt (th_json_counter (stats, "deep_leases"), 0);
    size_t size;
    char *text = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (text);
    text = realloc (text, size + 1);
    ck_assert_ptr_nonnull (text);
    text [size] = 0;
    const char *packed = strstr (text, "\"packed_bytes\": ");
    ck_assert_ptr_nonnull (packed);
    long long bytes = atoll (packed + strlen ("\"packed_bytes\": "));
    ck_assert_int_gt (bytes, 0);
    ck_assert_int_eq (th_json_counter (stats, "chunk_bytes"), bytes);
    free (text);
    int deep = 0, shallow = 0;
    for (int index = 0; index < FRAMES; index++) {
        char *frame = s_frame (dir, index);
        char *single = th_path ("single.png");
        char *argv [] = { NULL, "--from", frame, "-j", "2", "--quiet", "-o", single, NULL };
        char out [4096];
        int rc = s_master (argv, out, sizeof out);
        ck_assert_msg (rc == 0, "frame %d's single render: status %d: %s", index, rc, out);
        ck_assert_msg (th_same_file (frame, single), "frame %d differs from its single "
                       "render", index);
        //  The first frame is the whole width 3.5; the deep ones name the
        //  reference they were computed from.
        uint32_t w, h;
        uint8_t *rgb;
        char value [512];
        ck_assert_int_eq (th_png_read (frame, &w, &h, &rgb, "Width", value, sizeof value), 0);
        free (rgb);
        if (index == 0)
            ck_assert_str_eq (value, "3.5");
        if (index == FRAMES - 1)
            ck_assert_str_eq (value, "1e-30");
        ck_assert_int_eq (th_png_read (frame, &w, &h, &rgb, "Reference", value,
                                       sizeof value), 0);
        free (rgb);
        ck_assert (w == 96 && h == 54);
        if (*value)
            deep++;
        else
            shallow++;
        free (single);
        free (frame);
    }
    //  Both paths were crossed: doubles at first, perturbation at the end.
    ck_assert_int_gt (deep, 0);
    ck_assert_int_gt (shallow, 0);
    //  Run again once finished: every frame kept, no orbit computed.
    char pattern [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    char *argv [] = { NULL, TARGET, "--movie", "12", "-j", "2", "--quiet", "-o", pattern,
                      "--stats", stats, NULL };
    s_again (argv, "the finished movie again");
    ck_assert_int_eq (th_json_counter (stats, "frames_kept"), FRAMES);
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), 0);
    ck_assert_int_eq (th_json_counter (stats, "references"), 0);
    ck_assert_int_eq (th_json_counter (stats, "orbits"), 0);
    ck_assert_int_eq (th_json_counter (stats, "tiles"), 0);
    //  Only the first frame (shallow) missing: computed again, the same
    //  bytes, and still no orbit.
    char *first = s_frame (dir, 0);
    char *saved = th_path ("first.png");
    ck_assert_int_eq (rename (first, saved), 0);
    s_again (argv, "the movie without its first frame");
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), 1);
    ck_assert_int_eq (th_json_counter (stats, "references"), 0);
    ck_assert (th_same_file (first, saved));
    free (saved);
    free (first);
    free (dir);
}
END_TEST

//  Whether out is one line (a refusal).
static bool
s_one_line (const char *out)
{
    const char *end = strchr (out, '\n');
    return end && end [1] == 0;
}

//  Starts the slow movie into dir: no local worker, one remote test
//  worker that sleeps before each tile. Returns the master's pid, the
//  worker's in *worker.
static pid_t
s_slow_movie (const char *pattern, const char *log, pid_t *worker)
{
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), TARGET, "--movie", "12",
                      "--tile", "16", "-j", "0", "--listen", "tcp://127.0.0.1:*",
                      "-o", (char *) pattern, NULL };
    pid_t pid = th_spawn (argv, log);
    char endpoint [256];
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0,
                   "the master did not say where it listens");
    char *extra [] = { "--test-delay", "15", NULL };
    *worker = th_worker (endpoint, "1", extra);
    return pid;
}

//  Waits up to timeout msecs for frame index of dir to be written.
static bool
s_wait_frame (const char *dir, int index, int timeout)
{
    char *frame = s_frame (dir, index);
    bool found = false;
    for (int waited = 0; waited < timeout && !(found = th_exists (frame)); waited += 20)
        usleep (20 * 1000);
    free (frame);
    return found;
}

START_TEST (killed_movie_resumes)
{
    char stats [512];
    char *straight = s_movie ("straight", stats, sizeof stats);
    char *dir = th_path ("resumed");
    ck_assert_int_eq (mkdir (dir, 0777), 0);
    char pattern [512], log [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    //  SIGTERM after frame 2: the frames written stay, the journals of
    //  the frames in flight too.
    snprintf (log, sizeof log, "%s/../term.log", dir);
    pid_t worker;
    pid_t master = s_slow_movie (pattern, log, &worker);
    ck_assert_msg (s_wait_frame (dir, 2, RUN_MS), "frame 2 never came");
    kill (master, SIGTERM);
    ck_assert_int_eq (th_wait (master, RUN_MS), 1);
    th_stop (worker);
    ck_assert (th_wait_for_text (log, "run the same command again to resume", 1000));
    //  SIGKILL after frame 6, with tiles of the next ones journaled.
    snprintf (log, sizeof log, "%s/../kill.log", dir);
    master = s_slow_movie (pattern, log, &worker);
    ck_assert_msg (s_wait_frame (dir, 6, RUN_MS), "frame 6 never came");
    char *journal = th_path ("resumed/f007.png.journal");
    char *seventh = s_frame (dir, 7);
    for (int waited = 0; waited < RUN_MS && th_journal_tiles (journal) < 2
                         && !th_exists (seventh); waited += 10)
        usleep (10 * 1000);
    free (seventh);
    th_kill (master);
    th_stop (worker);
    int journaled = th_journal_tiles (journal);
    ck_assert_int_ge (journaled, 2);
    int kept = 0;
    for (int index = 0; index < FRAMES; index++) {
        char *frame = s_frame (dir, index);
        kept += th_exists (frame);
        free (frame);
    }
    ck_assert_int_ge (kept, 7);
    ck_assert_int_lt (kept, FRAMES);
    //  Again, straight to the end: only what is missing.
    char *argv [] = { NULL, TARGET, "--movie", "12", "--tile", "16", "-j", "2", "--quiet",
                      "-o", pattern, "--stats", stats, NULL };
    char out [4096];
    int rc = s_master (argv, out, sizeof out);
    ck_assert_msg (rc == 0, "the resumed movie: status %d: %s", rc, out);
    ck_assert_int_eq (th_json_counter (stats, "frames_kept"), kept);
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), FRAMES - kept);
    ck_assert_int_ge (th_json_counter (stats, "restored"), journaled);
    ck_assert_int_le (th_json_counter (stats, "tiles"),
                      (long long) (FRAMES - kept) * FRAME_TILES - journaled);
    //  Deep frames were left: the orbit was computed, once.
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    for (int index = 0; index < FRAMES; index++) {
        char *a = s_frame (dir, index), *b = s_frame (straight, index);
        ck_assert_msg (th_same_file (a, b), "frame %d differs after the resume", index);
        free (a);
        free (b);
    }
    //  Every journal went with its frame written.
    ck_assert (!th_exists (journal));
    ck_assert_int_eq (th_count_entries (dir), FRAMES);
    //  The frames of another movie are not taken for this one's.
    char *other [] = { NULL, TARGET, "--movie", "12", "--palette", "fire", "-j", "1",
                       "--quiet", "-o", pattern, NULL };
    rc = s_master (other, out, sizeof out);
    ck_assert_msg (rc == 2 && strstr (out, "is not frame 0 of this movie") && s_one_line (out),
                   "status %d: %s", rc, out);
    free (journal);
    free (dir);
    free (straight);
}
END_TEST

START_TEST (floatexp_frames_share_the_one_computation)
{
    //  From 3.5 to 4e-318 in 4 frames: two deep frames in double deltas,
    //  the last in floatexp; the orbit is computed once, in floatexp,
    //  and shipped in both types.
    char *dir = th_path ("e318");
    char pattern [512], stats [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    snprintf (stats, sizeof stats, "%s.json", dir);
    char *argv [] = { NULL, "--size", "24x14", "--center", LOC_E318_CENTER, "--zoom",
                      LOC_E318_ZOOM, "--iter", "212138", "--movie", "4", "-j", "2", "--quiet",
                      "-o", pattern, "--stats", stats, NULL };
    char out [4096];
    int rc = s_master (argv, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    ck_assert_int_eq (th_json_counter (stats, "orbits"), 2);
    for (int index = 0; index < 4; index++) {
        char *frame = s_frame (dir, index);
        char *single = th_path ("single.png");
        char *from [] = { NULL, "--from", frame, "-j", "2", "--quiet", "-o", single, NULL };
        rc = s_master (from, out, sizeof out);
        ck_assert_msg (rc == 0, "frame %d: status %d: %s", index, rc, out);
        ck_assert_msg (th_same_file (frame, single), "frame %d differs from its single "
                       "render", index);
        free (single);
        free (frame);
    }
    //  Once finished, no orbit again.
    s_again (argv, "the finished movie again");
    ck_assert_int_eq (th_json_counter (stats, "frames_kept"), 4);
    ck_assert_int_eq (th_json_counter (stats, "references"), 0);
    //  Only the last frame (floatexp) missing: the orbit in floatexp
    //  alone, and the same frame.
    char *last = s_frame (dir, 3);
    char *saved = th_path ("last.png");
    ck_assert_int_eq (rename (last, saved), 0);
    s_again (argv, "the movie without its last frame");
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), 1);
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    ck_assert_int_eq (th_json_counter (stats, "orbits"), 1);
    ck_assert (th_same_file (last, saved));
    free (saved);
    free (last);
    free (dir);
}
END_TEST

START_TEST (iter_auto_movie_run_again)
{
    //  --iter auto: the orbit chooses the iterations every frame has, so
    //  a finished movie run again computes it, then keeps every frame.
    char *dir = th_path ("auto");
    char pattern [512], stats [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    snprintf (stats, sizeof stats, "%s.json", dir);
    char *argv [] = { NULL, "--size", "32x18", "--center", LOC_LINE_CENTER, "--zoom",
                      LOC_LINE_ZOOM, "--iter", "auto", "--from-width", "1e-10", "--movie", "4",
                      "-j", "2", "--quiet", "-o", pattern, "--stats", stats, NULL };
    s_again (argv, "the movie");
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), 4);
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    s_again (argv, "the finished movie again");
    ck_assert_int_eq (th_json_counter (stats, "frames_kept"), 4);
    ck_assert_int_eq (th_json_counter (stats, "frames_written"), 0);
    ck_assert_int_eq (th_json_counter (stats, "references"), 1);
    ck_assert_int_eq (th_json_counter (stats, "tiles"), 0);
    free (dir);
}
END_TEST

//  Whether out has the bar's "] K/12 frames" for some 0 < K < 12, and
//  "ETA " then a digit.
static bool
s_mid_movie (const char *out)
{
    bool frames = false, eta = false;
    for (const char *at = out; (at = strstr (at, "] ")); at++) {
        char *end;
        long done = strtol (at + 2, &end, 10);
        if (end != at + 2 && strncmp (end, "/12 frames", 10) == 0 && done > 0 && done < 12)
            frames = true;
    }
    for (const char *at = out; (at = strstr (at, "ETA ")); at++)
        if (isdigit ((unsigned char) at [4]))
            eta = true;
    return frames && eta;
}

START_TEST (progress_covers_the_movie)
{
    //  script(1) gives the master a pseudo-terminal; one slow remote
    //  worker makes the movie last many redraws: the bar counts the
    //  movie's frames, with frames per minute and the time left.
    if (access ("/usr/bin/script", X_OK) != 0) {
        th_skip ("no script(1)");
        return;
    }
    char *dir = th_path ("bar"), *log = th_path ("bar.log");
    char command [4096];
    snprintf (command, sizeof command, "'%s' --size 96x54 --center '%s' --width 1e-30 --iter "
              "20000 --movie 12 --tile 16 -j 0 --listen 'tcp://127.0.0.1:*' -o '%s/f%%03d.png'",
              th_bin ("mandelfarm-master"), LOC_E50_CENTER, dir);
    char *tty [] = { "/usr/bin/script", "-qec", command, "/dev/null", NULL };
    pid_t master = th_spawn (tty, log);
    char endpoint [256];
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0,
                   "the master did not say where it listens");
    endpoint [strcspn (endpoint, "\r")] = 0;   //  the terminal's line end
    char *extra [] = { "--test-delay", "15", NULL };
    pid_t worker = th_worker (endpoint, "1", extra);
    int rc = th_wait (master, RUN_MS);
    th_stop (worker);
    size_t size;
    char *out = (char *) th_slurp (log, &size);
    ck_assert_ptr_nonnull (out);
    out = realloc (out, size + 1);
    ck_assert_ptr_nonnull (out);
    out [size] = 0;
    ck_assert_msg (rc == 0, "the movie: status %d: %s", rc, out);
    ck_assert_msg (strstr (out, "\r[") && strstr (out, "frames/min") && s_mid_movie (out),
                   "no movie progress bar: %s", out);
    ck_assert_msg (strstr (out, "] 12/12 frames"), "the bar never reached the end: %s", out);
    ck_assert_int_eq (th_count_entries (dir), FRAMES);
    free (out);
    free (log);
    free (dir);
}
END_TEST

//  SIGINT while the reference orbit is computed (the center of the main
//  cardioid, 10^8 iterations: about 30 s): the movie stops at once, and
//  --stats says it was interrupted, not that it failed.
START_TEST (interrupted_reference_says_so)
{
    char *dir = th_path ("int"), *pattern = th_path ("int/f%02d.png");
    char *stats = th_path ("int.json"), *log = th_path ("int.log");
    ck_assert_int_eq (mkdir (dir, 0755), 0);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--movie", "3", "--size", "64x36",
                      "--center", "-0.1,0", "--width", "1e-20", "--iter", "100000000", "-v",
                      "-j", "1", "--stats", stats, "-o", pattern, NULL };
    pid_t master = th_spawn (argv, log);
    ck_assert (th_wait_for_text (log, "joined", START_MS));
    kill (master, SIGINT);
    ck_assert_int_eq (th_wait (master, 5000), 1);
    ck_assert (th_wait_for_text (log, "while computing the reference orbit", 0));
    FILE *file = fopen (stats, "r");
    ck_assert_ptr_nonnull (file);
    char text [4096] = "";
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = 0;
    ck_assert_msg (strstr (text, "\"status\": \"interrupted\""), "%s", text);
    char *first = s_frame (dir, 0);
    ck_assert (!th_exists (first));
    free (first);
}
END_TEST

START_TEST (from_round_trips_at_depth)
{
    char *png = th_path ("deep.png"), *again = th_path ("again.png");
    char *small = th_path ("small.png");
    char out [4096];
    char *render [] = { NULL, "--size", "96x54", "--center", LOC_LINE_CENTER, "--zoom",
                        LOC_LINE_ZOOM, "--iter", "2500", "--palette", "fire", "-j", "2",
                        "--quiet", "-o", png, NULL };
    ck_assert_int_eq (s_master (render, out, sizeof out), 0);
    char *from [] = { NULL, "--from", png, "-j", "1", "--quiet", "-o", again, NULL };
    ck_assert_msg (s_master (from, out, sizeof out) == 0, "%s", out);
    ck_assert (th_same_file (png, again));
    //  A flag overrides the file: the size given, the rest from the file.
    char *resized [] = { NULL, "--from", png, "--size", "48x27", "-j", "1", "--quiet",
                         "-o", small, NULL };
    ck_assert_msg (s_master (resized, out, sizeof out) == 0, "%s", out);
    uint32_t w, h;
    uint8_t *rgb;
    char value [256];
    ck_assert_int_eq (th_png_read (small, &w, &h, &rgb, "Palette", value, sizeof value), 0);
    free (rgb);
    ck_assert (w == 48 && h == 27);
    ck_assert_str_eq (value, "fire");
    free (png);
    free (again);
    free (small);
}
END_TEST

START_TEST (refusals)
{
    char out [4096];
    //  A file that names no view: one line, status 2.
    char *texts = th_path ("plain.txt");
    FILE *file = fopen (texts, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("not a png\n", file);
    fclose (file);
    char *bad [] = { NULL, "--from", texts, NULL };
    ck_assert_int_eq (s_master (bad, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "is not a PNG file"));
    //  A PNG without the texts: written here with none.
    char *bare = th_path ("bare.png");
    file = fopen (bare, "wb");
    ck_assert_ptr_nonnull (file);
    char err [256];
    mf_png_t *writer = mf_png_new (file, 1, 1, NULL, 0, MF_PNG_DEFAULT_LEVEL, err, sizeof err);
    ck_assert_msg (writer != NULL, "%s", err);
    const uint8_t black [3] = { 0, 0, 0 };
    ck_assert_int_eq (mf_png_write_rows (writer, black, 1), 0);
    ck_assert_int_eq (mf_png_finish (&writer), 0);
    fclose (file);
    char *untexted [] = { NULL, "--from", bare, NULL };
    ck_assert_int_eq (s_master (untexted, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "has no Center and Width texts"), "%s", out);
    ck_assert (s_one_line (out));
    //  Movie patterns: exactly one integer conversion.
    const char *patterns [] = { "frame.png", "f%d%d.png", "f%s.png", "f%05.png", "f%" };
    for (size_t index = 0; index < sizeof patterns / sizeof patterns [0]; index++) {
        char *movie [] = { NULL, "--movie", "3", "-o", (char *) patterns [index], NULL };
        ck_assert_int_eq (s_master (movie, out, sizeof out), 2);
        ck_assert_msg (strstr (out, "-o: ") && strstr (out, "%d"), "%s: %s",
                       patterns [index], out);
        ck_assert (s_one_line (out));
    }
    //  A first frame narrower than the target, and nothing written.
    char *pattern = th_path ("n%02d.png");
    char *narrow [] = { NULL, "--movie", "3", "--width", "1e-3", "--from-width", "1e-4",
                        "-o", pattern, NULL };
    ck_assert_int_eq (s_master (narrow, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--from-width"));
    char *first = th_path ("n00.png");
    ck_assert (!th_exists (first));
    free (first);
    free (pattern);
    free (texts);
    free (bare);
}
END_TEST

START_TEST (make_movie_joins_frames)
{
    //  The script beside bin/, in the tree under test.
    char script [512];
    snprintf (script, sizeof script, "%s", th_bin ("mandelfarm-master"));
    char *slash = strrchr (script, '/');
    ck_assert_ptr_nonnull (slash);
    snprintf (slash, sizeof script - (size_t) (slash - script), "/../scripts/make-movie.sh");
    char out [4096];
    char *help [] = { script, "--help", NULL };
    ck_assert_int_eq (th_run (help, RUN_MS, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "PATTERN OUT.mp4"));
    char *mp4 = th_path ("zoom.mp4");
    char *bad [] = { script, "frames.png", mp4, NULL };
    ck_assert_int_eq (th_run (bad, RUN_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "not a frame pattern"));
    if (system ("command -v ffmpeg >/dev/null 2>&1") != 0) {
        th_skip ("no ffmpeg");
        free (mp4);
        return;
    }
    char *dir = th_path ("few");
    char pattern [512];
    snprintf (pattern, sizeof pattern, "%s/f%%03d.png", dir);
    char *movie [] = { NULL, "--movie", "4", "--size", "96x54", "--center", "-0.7436,0.1318",
                       "--width", "1e-3", "-j", "2", "--quiet", "-o", pattern, NULL };
    ck_assert_int_eq (s_master (movie, out, sizeof out), 0);
    char *join [] = { script, "--fps", "4", pattern, mp4, NULL };
    int rc = th_run (join, RUN_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "make-movie.sh: status %d: %s", rc, out);
    ck_assert_ptr_nonnull (strstr (out, "4 frames"));
    size_t size;
    uint8_t *bytes = th_slurp (mp4, &size);
    ck_assert_ptr_nonnull (bytes);
    //  An MP4: its first box is ftyp.
    ck_assert (size > 1000 && memcmp (bytes + 4, "ftyp", 4) == 0);
    free (bytes);
    //  It does not replace a movie unasked.
    ck_assert_int_eq (th_run (join, RUN_MS, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "--force"));
    free (dir);
    free (mp4);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("movie");
    TCase *tc = tcase_create ("movie");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 240);
    tcase_add_test (tc, widths_shrink_exponentially);
    tcase_add_test (tc, frames_equal_their_single_renders);
    tcase_add_test (tc, killed_movie_resumes);
    tcase_add_test (tc, floatexp_frames_share_the_one_computation);
    tcase_add_test (tc, iter_auto_movie_run_again);
    tcase_add_test (tc, progress_covers_the_movie);
    tcase_add_test (tc, interrupted_reference_says_so);
    tcase_add_test (tc, from_round_trips_at_depth);
    tcase_add_test (tc, refusals);
    tcase_add_test (tc, make_movie_joins_frames);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
