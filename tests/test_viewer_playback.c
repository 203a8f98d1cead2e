/*  The viewer's script player (viewer/playback.c), against a fake viewer:
    input actions land in SDL's event queue and read back, through
    mf_input, as the script's numbers; waits wait for what they name and
    fail with the script's line; resize and screenshot are asked of the
    viewer; the trace has one timed line per call. SDL runs with its
    event queue only: no display needed. */
#include "helpers.h"
#include "input.h"
#include "playback.h"
#include "mf_util.h"

#include <SDL.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAY_MS 5000                    //  msecs a test lets the player run at most

//  The fake viewer.
typedef struct {
    mf_playback_facts_t facts;          //  what the player is told
    int resizes;                        //  resize calls
    int resize_w, resize_h;             //  the last one's size
    bool resize_changes;                //  a resize makes the view change
    int shots;                          //  screenshot calls
    char shot [256];                    //  the last one's path
    int shot_fails;                     //  the screenshot call that fails (from 1; 0: none)
    bool tiles_come;                    //  each facts call, one more tile is queued
} s_fake_t;

static void
s_facts (void *arg, mf_playback_facts_t *facts)
{
    s_fake_t *fake = arg;
    if (fake->tiles_come)
        fake->facts.queued++;
    *facts = fake->facts;
}

static void
s_resize (void *arg, int w, int h)
{
    s_fake_t *fake = arg;
    fake->resizes++;
    fake->resize_w = w;
    fake->resize_h = h;
    fake->facts.changing = fake->resize_changes;
}

static int
s_screenshot (void *arg, const char *path, char *err, size_t errlen)
{
    s_fake_t *fake = arg;
    fake->shots++;
    snprintf (fake->shot, sizeof fake->shot, "%s", path);
    if (fake->shots == fake->shot_fails) {
        snprintf (err, errlen, "cannot write the PNG");
        return -1;
    }
    return 0;
}

static s_fake_t s_fake;
static const mf_playback_host_t s_host = {
    .arg = &s_fake, .facts = s_facts, .resize = s_resize, .screenshot = s_screenshot
};
static volatile sig_atomic_t s_stop;

static void
s_setup (void)
{
    th_dir_setup ();
    ck_assert_msg (SDL_Init (SDL_INIT_EVENTS) == 0, "%s", SDL_GetError ());
    memset (&s_fake, 0, sizeof s_fake);
    s_fake.facts = (mf_playback_facts_t) {
        .pixel_w = 640, .pixel_h = 400, .full_done = 3, .full_total = 40, .workers = 1,
        .scale = { 640, 400, 640, 400 }, .window = 5
    };
    s_stop = 0;
}

static void
s_teardown (void)
{
    SDL_Quit ();
    th_dir_teardown ();
}

//  A player of text, written to s.txt in the test's folder.
static mf_playback_t *
s_player (const char *text)
{
    char *path = th_path ("s.txt");
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    fclose (file);
    char err [512];
    mf_playback_t *player = mf_playback_new (path, &s_stop, err, sizeof err);
    ck_assert_msg (player != NULL, "%s", err);
    free (path);
    return player;
}

//  Reads the events the player queued through mf_input; returns the last
//  intent that is not NONE or REDRAW, and how many events there were.
static mf_intent_t
s_queued (int *events)
{
    mf_input_t *input = mf_input_new ();
    mf_intent_t last = { .kind = MF_INTENT_NONE };
    SDL_Event event;
    *events = 0;
    while (SDL_PollEvent (&event)) {
        (*events)++;
        mf_intent_t intent;
        mf_input_event (input, &event, &s_fake.facts.scale, &intent);
        if (intent.kind != MF_INTENT_NONE && intent.kind != MF_INTENT_REDRAW)
            last = intent;
    }
    mf_input_destroy (&input);
    return last;
}

//  Plays until the player returns something other than a wait, within
//  PLAY_MS; sleeps as asked in between.
static mf_play_t
s_play_through (mf_playback_t *player, char *err, size_t errlen)
{
    int64_t until = mf_clock_ms () + PLAY_MS;
    while (mf_clock_ms () < until) {
        int wait;
        mf_play_t play = mf_playback_play (player, &s_host, &wait, err, errlen);
        if (play != MF_PLAY_ON || wait < 0)
            return play;
        SDL_Delay ((Uint32) (wait < 20? wait: 20));
    }
    ck_abort_msg ("the player still waits after %d ms", PLAY_MS);
    return MF_PLAY_FAILED;
}

START_TEST (input_goes_through_the_event_queue)
{
    mf_playback_t *player = s_player ("zoom 10 20 2\npan 5 -6\nbox 1 2 30 40\nkey S\n"
                                      "key q\nquit\nzoom 1 1\n");
    char err [512];
    int wait, events;
    //  One input action per call; the loop handles it before the next.
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_int_eq (wait, 0);
    mf_intent_t intent = s_queued (&events);
    ck_assert_int_eq (events, 1);
    ck_assert (intent.kind == MF_INTENT_ZOOM && intent.x0 == 10 && intent.y0 == 20
               && intent.steps == 2);

    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    intent = s_queued (&events);
    ck_assert_int_eq (events, 3);
    ck_assert (intent.kind == MF_INTENT_PAN && intent.dx == 5 && intent.dy == -6);

    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    intent = s_queued (&events);
    ck_assert (intent.kind == MF_INTENT_BOX && intent.x0 == 1 && intent.y0 == 2
               && intent.x1 == 30 && intent.y1 == 40);

    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    intent = s_queued (&events);
    ck_assert_int_eq (events, 2);       //  press and release
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_SAVE_BIG);

    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    intent = s_queued (&events);
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_QUIT);

    //  quit stops the script: what follows it is never played.
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_QUIT);
    s_queued (&events);
    ck_assert_int_eq (events, 0);
    mf_playback_destroy (&player);
    ck_assert_ptr_null (player);
    mf_playback_destroy (&player);
}
END_TEST

START_TEST (waits_wait_for_what_they_name)
{
    mf_playback_t *player = s_player ("wait 2\nwait-tiles 5\nsleep 30\nquit\n");
    char err [512];
    int wait;
    //  Not settled: wait asks to be called back before its deadline.
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_msg (wait > 0 && wait <= 2000, "%d", wait);
    s_fake.facts.settled = true;
    //  Settled: on to wait-tiles, 3 of 5 tiles in.
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_msg (wait > 0 && wait <= MF_SCRIPT_DEFAULT_WAIT * 1000, "%d", wait);
    //  5 tiles, but of a view about to change: not yet.
    s_fake.facts.full_done = 5;
    s_fake.facts.changing = true;
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_int_gt (wait, 1000);
    s_fake.facts.changing = false;
    //  Then the sleep: at most its 30 ms, then quit.
    int64_t start = mf_clock_ms ();
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_msg (wait >= 0 && wait <= 30, "%d", wait);
    ck_assert_int_eq (s_play_through (player, err, sizeof err), MF_PLAY_QUIT);
    ck_assert_int_ge (mf_clock_ms () - start, 30);
    mf_playback_destroy (&player);
}
END_TEST

START_TEST (a_wait_that_times_out_fails_by_line)
{
    mf_playback_t *player = s_player ("# waits\nwait 1\nquit\n");
    char err [512];
    int64_t start = mf_clock_ms ();
    ck_assert_int_eq (s_play_through (player, err, sizeof err), MF_PLAY_FAILED);
    ck_assert_int_ge (mf_clock_ms () - start, 1000);
    char *path = th_path ("s.txt");
    char says [1024];
    snprintf (says, sizeof says, "--script %s: line 2: the view was not complete after 1 s "
              "(3 of 40 tiles, 1 worker connected)", path);
    ck_assert_str_eq (err, says);
    free (path);
    mf_playback_destroy (&player);
}
END_TEST

START_TEST (resize_and_screenshot_are_the_viewers)
{
    s_fake.resize_changes = true;
    mf_playback_t *player = s_player ("resize 300 200\nscreenshot out dir/a b.png\n"
                                      "resize 320 200\nscreenshot x.png\nquit\n");
    char err [512];
    int wait;
    //  A resize that changes the view: the loop applies it first.
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_int_eq (wait, 0);
    ck_assert (s_fake.resizes == 1 && s_fake.resize_w == 300 && s_fake.resize_h == 200);
    ck_assert_int_eq (s_fake.shots, 0);
    s_fake.facts.changing = false;
    //  The screenshot, a resize that changes nothing (no stop), then a
    //  screenshot that fails: the line says why.
    s_fake.resize_changes = false;
    s_fake.shot_fails = 2;
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_FAILED);
    ck_assert_int_eq (s_fake.resizes, 2);
    ck_assert_int_eq (s_fake.shots, 2);
    ck_assert_str_eq (s_fake.shot, "x.png");
    ck_assert_msg (strstr (err, ": line 4: screenshot x.png: cannot write the PNG"), "%s", err);
    mf_playback_destroy (&player);
}
END_TEST

START_TEST (stall_tiles)
{
    mf_playback_t *player = s_player ("stall-tiles 4\nquit\n");
    char err [512];
    int wait;
    //  Tiles come (one more each time the player looks): the stall ends
    //  once 4 wait to be drawn.
    s_fake.tiles_come = true;
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_QUIT);
    ck_assert_uint_eq (s_fake.facts.queued, 4);
    mf_playback_destroy (&player);

    //  None come, and a signal ends the stall at once: it fails, by line.
    player = s_player ("stall-tiles 5\nquit\n");
    s_fake.tiles_come = false;
    s_fake.facts.queued = 0;
    s_stop = 1;                         //  a signal: no waiting out the 60 s
    int64_t start = mf_clock_ms ();
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_FAILED);
    ck_assert_int_lt (mf_clock_ms () - start, 1000);
    ck_assert_msg (strstr (err, "line 1: fewer than 5 tiles came within 60 s"), "%s", err);
    mf_playback_destroy (&player);
}
END_TEST

START_TEST (trace_lines)
{
    char *trace = th_path ("t.log");
    char text [1200];
    snprintf (text, sizeof text, "trace %s\nzoom 1 1\nquit\n", trace);
    mf_playback_t *player = s_player (text);
    char err [512];
    mf_playback_trace (player, "not traced %d", 1);     //  no trace open yet
    ck_assert_int_eq (mf_playback_begin (player, err, sizeof err), 0);
    mf_playback_trace (player, "view %u %s", 1u, "x");
    mf_playback_trace (player, "present");
    int wait;
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    mf_playback_destroy (&player);
    size_t size;
    char *log = (char *) th_slurp (trace, &size);
    ck_assert_ptr_nonnull (log);
    log = realloc (log, size + 1);
    log [size] = 0;
    //  "MSECS.MMM text", one line per call, in order.
    double t1, t2;
    char rest1 [32], rest2 [32];
    ck_assert_msg (sscanf (log, "%lf view 1 %31s\n%lf %31s\n", &t1, rest1, &t2, rest2) == 4,
                   "'%s'", log);
    ck_assert_str_eq (rest1, "x");
    ck_assert_str_eq (rest2, "present");
    ck_assert (t1 >= 0 && t2 >= t1 && t2 < PLAY_MS);
    ck_assert_ptr_null (strstr (log, "not traced"));
    int lines = 0;
    for (char *at = log; (at = strchr (at, '\n')); at++)
        lines++;
    ck_assert_int_eq (lines, 2);
    free (log);

    //  A trace that cannot be written fails, by line.
    player = s_player ("zoom 1 1\ntrace /nonexistent/dir/t.log\n");
    ck_assert_int_eq (mf_playback_begin (player, err, sizeof err), 0);    //  not at the head
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_FAILED);
    ck_assert_msg (strstr (err, "line 2: trace /nonexistent/dir/t.log: "), "%s", err);
    mf_playback_destroy (&player);
    player = s_player ("trace /nonexistent/dir/t.log\n");
    ck_assert_int_eq (mf_playback_begin (player, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "line 1: trace /nonexistent/dir/t.log: "), "%s", err);
    mf_playback_destroy (&player);
    free (trace);
}
END_TEST

START_TEST (no_script_and_bad_files)
{
    char err [512];
    mf_playback_t *player = mf_playback_new (NULL, &s_stop, err, sizeof err);
    ck_assert_ptr_nonnull (player);
    int wait = 7;
    ck_assert_int_eq (mf_playback_begin (player, err, sizeof err), 0);
    ck_assert_int_eq (mf_playback_play (player, &s_host, &wait, err, sizeof err), MF_PLAY_ON);
    ck_assert_int_eq (wait, -1);
    mf_playback_destroy (&player);
    ck_assert_ptr_null (mf_playback_new ("/nonexistent/s.txt", &s_stop, err, sizeof err));
    ck_assert_msg (strstr (err, "--script /nonexistent/s.txt: cannot read"), "%s", err);
    char *path = th_path ("bad.txt");
    FILE *file = fopen (path, "w");
    fputs ("zoom 1 1\nkey F12\n", file);
    fclose (file);
    ck_assert_ptr_null (mf_playback_new (path, &s_stop, err, sizeof err));
    ck_assert_msg (strstr (err, "line 2") && strstr (err, "unknown key"), "%s", err);
    free (path);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_playback");
    TCase *tc = tcase_create ("player");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 30);
    tcase_add_test (tc, input_goes_through_the_event_queue);
    tcase_add_test (tc, waits_wait_for_what_they_name);
    tcase_add_test (tc, a_wait_that_times_out_fails_by_line);
    tcase_add_test (tc, resize_and_screenshot_are_the_viewers);
    tcase_add_test (tc, stall_tiles);
    tcase_add_test (tc, trace_lines);
    tcase_add_test (tc, no_script_and_bad_files);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
