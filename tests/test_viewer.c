/*  The live viewer end to end, without a display (SDL's offscreen video
    driver): real masters with --view and a --script, real local workers.

    What the window shows of a finished view is the headless -o image of
    that view, pixel for pixel; after each scripted move (wheel, drag,
    box, keys, resize, history) it is the headless image of the region
    the documented rules give, computed here independently; a view change
    while tiles are streaming never draws a tile of the old view; s and S
    write the same bytes as the headless export. Every process is ended
    by its pid.
*/
#include "helpers.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_MS 60000                    //  msecs any one viewer or render may take at most
#define START_MS 10000                  //  msecs a master may take to bind and say so
#define MAX_ARGS 48                     //  arguments of one command line


static void
s_setup (void)
{
    th_dir_setup ();
    //  No display needed: SDL draws into memory, through its software
    //  renderer (the viewer prefers it to OpenGL on Mesa's software
    //  rasterizer). finished_view_equals_headless also draws through
    //  OpenGL where the machine has it. Under AddressSanitizer the dummy
    //  driver is used: Mesa leaks at exit, and LeakSanitizer would count
    //  that against the viewer.
#if defined (__SANITIZE_ADDRESS__)
    setenv ("SDL_VIDEODRIVER", "dummy", 1);
#else
    setenv ("SDL_VIDEODRIVER", "offscreen", 1);
#endif
    unsetenv ("SDL_RENDER_DRIVER");
}

//  Starts the master in the test's folder (the viewer saves into its
//  current directory) with the arguments of args (NULL-terminated); its
//  stdout and stderr go to master.log there. Returns its pid.
static pid_t
s_master_start (char *const args [])
{
    char *argv [MAX_ARGS] = { (char *) th_bin ("mandelfarm-master") };
    int argc = 1;
    for (int index = 0; args [index] && argc < MAX_ARGS - 1; index++)
        argv [argc++] = args [index];
    argv [argc] = NULL;
    char *log = th_path ("master.log");
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || chdir (th_dir))
            _exit (127);
        dup2 (fd, 1);
        dup2 (fd, 2);
        prctl (PR_SET_PDEATHSIG, SIGKILL);     //  dies with a failed test
        setpgid (0, 0);
        execv (argv [0], argv);
        _exit (127);
    }
    free (log);
    return pid;
}

//  The endpoint a master s_master_start started listens on, into
//  endpoint (size bytes).
static void
s_master_endpoint (char *endpoint, size_t size)
{
    char *log = th_path ("master.log");
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, size) == 0,
                   "the master did not say where it listens");
    free (log);
}

//  Waits for a master s_master_start started; its output goes to out
//  (size bytes) and its log is removed. Returns its status as th_wait.
static int
s_master_finish (pid_t pid, char *out, size_t size)
{
    int rc = th_wait (pid, RUN_MS);
    char *log = th_path ("master.log");
    size_t got = 0;
    uint8_t *data = th_slurp (log, &got);
    if (out && size) {
        got = got < size - 1? got: size - 1;
        if (data)
            memcpy (out, data, got);
        out [data? got: 0] = 0;
    }
    free (data);
    unlink (log);
    free (log);
    return rc;
}

//  Runs the master as s_master_start does, to its end: its output goes to
//  out. Returns its status as th_wait.
static int
s_master_argv (char *out, size_t size, char *const args [])
{
    return s_master_finish (s_master_start (args), out, size);
}

//  The same, the arguments given one by one, NULL after the last.
static int
s_master (char *out, size_t size, const char *first, ...)
{
    char *args [MAX_ARGS];
    int count = 0;
    va_list list;
    va_start (list, first);
    for (const char *arg = first; arg && count < MAX_ARGS - 1; arg = va_arg (list, const char *))
        args [count++] = (char *) arg;
    va_end (list);
    args [count] = NULL;
    return s_master_argv (out, size, args);
}

//  Writes a script file and returns its path (caller frees).
static char *
s_script (const char *text)
{
    char *path = th_path ("script.txt");
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    fclose (file);
    return path;
}


//  A view as the command line gives it, and the headless render of it.
typedef struct {
    double re, im, width;
    int w, h;
} s_view_t;

static void
s_headless (const s_view_t *view, const char *iter, const char *palette, const char *png)
{
    char center [80], width [40], size [32];
    snprintf (center, sizeof center, "%.17g,%.17g", view->re, view->im);
    snprintf (width, sizeof width, "%.17g", view->width);
    snprintf (size, sizeof size, "%dx%d", view->w, view->h);
    char out [2048];
    int rc = s_master (out, sizeof out, "--size", size, "--center", center, "--width", width,
                       "--iter", iter, "--palette", palette, "-j", "2", "-q", "-o", png, NULL);
    ck_assert_msg (rc == 0, "headless %s %s: %d: %s", center, width, rc, out);
}

static void
s_expect_view (const char *shot, const s_view_t *view, const char *iter, const char *palette)
{
    char *ref = th_path ("ref.png"), why [256];
    s_headless (view, iter, palette, ref);
    ck_assert_msg (th_same_pixels (shot, ref, why, sizeof why),
                   "%s is not the headless render of %.17g,%.17g width %.17g: %s",
                   shot, view->re, view->im, view->width, why);
    unlink (ref);
    free (ref);
}

//  The documented rules (README, viewer/view.h), written out again here.
static s_view_t
s_rule_zoom (s_view_t v, int x, int y, double factor)
{
    double d = v.width / (double) v.w;
    double xmin = v.re - 0.5 * v.width;
    double ymax = v.im + 0.5 * (d * (double) v.h);
    double re = xmin + ((double) x + 0.5) * d;
    double im = ymax - ((double) y + 0.5) * d;
    double width = v.width / factor;
    double d2 = width / (double) v.w;
    v.re = re + (0.5 * (double) v.w - ((double) x + 0.5)) * d2;
    v.im = im - (0.5 * (double) v.h - ((double) y + 0.5)) * d2;
    v.width = width;
    return v;
}

static s_view_t
s_rule_pan (s_view_t v, int dx, int dy)
{
    double d = v.width / (double) v.w;
    v.re = v.re - (double) dx * d;
    v.im = v.im + (double) dy * d;
    return v;
}

static s_view_t
s_rule_box (s_view_t v, int x0, int y0, int x1, int y1)
{
    double d = v.width / (double) v.w;
    double xmin = v.re - 0.5 * v.width;
    double ymax = v.im + 0.5 * (d * (double) v.h);
    double px = 0.5 * ((double) x0 + (double) x1) + 0.5;
    double py = 0.5 * ((double) y0 + (double) y1) + 0.5;
    double span = fmax (fabs ((double) (x1 - x0)), fabs ((double) (y1 - y0)) * v.w / v.h);
    v.re = xmin + px * d;
    v.im = ymax - py * d;
    v.width = span * d;
    return v;
}

#define VIEW "--size", "320x200", "--center", "-0.75,0.1", "--width", "2.5", "--iter", "500", \
             "-j", "2"
static const s_view_t s_start = { -0.75, 0.1, 2.5, 320, 200 };

START_TEST (finished_view_equals_headless)
{
#if !defined (__SANITIZE_ADDRESS__)
    //  Through OpenGL if there is one (SDL falls back to software if not).
    setenv ("SDL_RENDER_DRIVER", "opengl", 1);
#endif
    char *script = s_script (
        "wait\n"
        "screenshot a.png\n"
        "key s\n"
        "wait\n"
        "key p\n"
        "screenshot fire.png\n"
        "key w\n"
        "screenshot tint.png\n"
        "key w\n"
        "screenshot untint.png\n"
        "key h\n"
        "screenshot help.png\n"
        "quit\n");
    char out [4096];
    int rc = s_master (out, sizeof out, VIEW, "--script", script, NULL);
    unsetenv ("SDL_RENDER_DRIVER");
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *a = th_path ("a.png"), *fire = th_path ("fire.png"), *tint = th_path ("tint.png");
    char *untint = th_path ("untint.png"), *saved = th_path ("mandelfarm-0001.png");
    char why [256];
    s_expect_view (a, &s_start, "500", "classic");
    //  s: the same bytes as headless, tEXt included; its path on stdout.
    char *ref = th_path ("headless.png");
    s_headless (&s_start, "500", "classic", ref);
    ck_assert_msg (th_same_file (saved, ref), "mandelfarm-0001.png differs from the headless PNG");
    ck_assert_msg (strstr (out, saved), "the saved path is not printed: '%s'", out);
    //  p recolors to the next palette (fire) without recomputing; w tints
    //  and untints.
    s_expect_view (fire, &s_start, "500", "fire");
    ck_assert (!th_same_pixels (tint, fire, why, sizeof why));
    ck_assert_msg (th_same_pixels (untint, fire, why, sizeof why), "%s", why);
    //  h draws the help box over the picture (larger than this small window).
    char *help = th_path ("help.png");
    uint32_t w, h, hw, hh;
    uint8_t *plain, *boxed;
    ck_assert (th_png_read (fire, &w, &h, &plain, NULL, NULL, 0) == 0);
    ck_assert (th_png_read (help, &hw, &hh, &boxed, NULL, NULL, 0) == 0);
    ck_assert (w == hw && h == hh);
    ck_assert (memcmp (plain + (20 * w + 20) * 3, boxed + (20 * w + 20) * 3, 3) != 0);
    free (plain);
    free (boxed);
    free (help);
    free (a); free (fire); free (tint); free (untint); free (saved); free (ref); free (script);
}
END_TEST

START_TEST (wheel_zoom_shows_the_rule_region)
{
    char *script = s_script (
        "wait\n"
        "zoom 77 61\n"
        "wait\n"
        "screenshot in.png\n"
        "zoom 250 30 -1\n"
        "wait\n"
        "screenshot out.png\n"
        "zoom 300 180 2\n"
        "wait\n"
        "screenshot twice.png\n"
        "quit\n");
    char out [4096];
    int rc = s_master (out, sizeof out, VIEW, "--script", script, NULL);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    s_view_t in = s_rule_zoom (s_start, 77, 61, 2.0);
    s_view_t back = s_rule_zoom (in, 250, 30, 0.5);
    s_view_t twice = s_rule_zoom (s_rule_zoom (back, 300, 180, 2.0), 300, 180, 2.0);
    char *shot = th_path ("in.png");
    s_expect_view (shot, &in, "500", "classic");
    free (shot);
    shot = th_path ("out.png");
    s_expect_view (shot, &back, "500", "classic");
    free (shot);
    shot = th_path ("twice.png");
    s_expect_view (shot, &twice, "500", "classic");
    free (shot);
    free (script);
}
END_TEST

START_TEST (every_move_reaches_an_exact_view)
{
    char *script = s_script (
        "wait\n"
        "pan 40 -25\n"
        "wait\n"
        "screenshot pan.png\n"
        "box 20 30 180 100\n"
        "wait\n"
        "screenshot box.png\n"
        "key +\n"
        "wait\n"
        "screenshot iter.png\n"
        "resize 240 160\n"
        "wait\n"
        "screenshot resize.png\n"
        "key Backspace\n"
        "wait\n"
        "screenshot back.png\n"
        "key r\n"
        "wait\n"
        "screenshot reset.png\n"
        "key f\n"
        "wait\n"
        "screenshot full.png\n"
        "quit\n");
    char out [4096];
    int rc = s_master (out, sizeof out, VIEW, "--script", script, NULL);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    s_view_t pan = s_rule_pan (s_start, 40, -25);
    s_view_t box = s_rule_box (pan, 20, 30, 180, 100);
    s_view_t resized = box;                 //  same center and width, new size
    resized.w = 240;
    resized.h = 160;
    s_view_t back = pan;                    //  Backspace: the view before the box
    back.w = 240;
    back.h = 160;
    s_view_t reset = s_start;
    reset.w = 240;
    reset.h = 160;
    struct { const char *shot; const s_view_t *view; const char *iter; } cases [] = {
        { "pan.png", &pan, "500" }, { "box.png", &box, "500" }, { "iter.png", &box, "1000" },
        { "resize.png", &resized, "1000" }, { "back.png", &back, "1000" },
        { "reset.png", &reset, "500" }
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        char *shot = th_path (cases [index].shot);
        s_expect_view (shot, cases [index].view, cases [index].iter, "classic");
        free (shot);
    }
    //  f: fullscreen is the driver's desktop size; same center and width there.
    char *shot = th_path ("full.png");
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert (th_png_read (shot, &w, &h, &rgb, NULL, NULL, 0) == 0);
    free (rgb);
    ck_assert_msg (w != 240 || h != 160, "f did not change the window's size");
    s_view_t full = s_start;
    full.w = (int) w;
    full.h = (int) h;
    s_expect_view (shot, &full, "500", "classic");
    free (shot);
    free (script);
}
END_TEST

//  One parsed trace line.
typedef struct {
    char what [24];
    unsigned a, b, c;
    char kind [16];
} s_trace_t;

START_TEST (view_change_never_draws_old_tiles)
{
    //  A slow view in small tiles: once it is on screen, the event loop
    //  is blocked until results of it pile up (as behind a busy window),
    //  then the view changes; the old view's tiles still queued must be
    //  dropped, not drawn.
    char *script = s_script (
        "trace t.log\n"
        "wait-tiles 2\n"
        "stall-tiles 3\n"
        "zoom 20 20\n"
        "wait\n"
        "screenshot c.png\n"
        "quit\n");
    //  Workers slowed down on purpose: with fast kernels the whole view
    //  could otherwise be drawn before the stall begins, and the stall
    //  would wait in vain.
    pid_t master = s_master_start ((char *[]) { "--size", "320x200", "--center", "-0.75,0",
                                                "--width", "3", "--iter", "20000", "--tile", "16",
                                                "-j", "0", "--listen", "tcp://127.0.0.1:*",
                                                "--script", script, NULL });
    char endpoint [128];
    s_master_endpoint (endpoint, sizeof endpoint);
    char *slow [] = { "--test-delay", "20", NULL };
    pid_t workers [2] = { th_worker (endpoint, "1", slow), th_worker (endpoint, "1", slow) };
    char out [4096];
    int rc = s_master_finish (master, out, sizeof out);
    th_stop_all (workers, 2);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *trace = th_path ("t.log");
    FILE *file = fopen (trace, "r");
    ck_assert_ptr_nonnull (file);
    char line [512];
    unsigned gen = 0, views = 0, drops = 0, draws [3] = { 0 }, tokens [3][2] = { { 0 } };
    while (fgets (line, sizeof line, file)) {
        double ms;
        char what [24] = "";
        if (sscanf (line, "%lf %23s", &ms, what) != 2)
            continue;
        if (strcmp (what, "view") == 0) {
            unsigned g, preview, full;
            ck_assert (sscanf (line, "%*f view %u %*s %*s %*s %*s %*u %u %u", &g, &preview, &full) == 3);
            ck_assert_uint_eq (g, gen + 1);
            ck_assert_uint_lt (g, 3);
            gen = g;
            tokens [gen][0] = preview;
            tokens [gen][1] = full;
            views++;
        }
        else
        if (strcmp (what, "draw") == 0) {
            unsigned g, token;
            char kind [16];
            ck_assert (sscanf (line, "%*f draw %u %15s %u", &g, kind, &token) == 3);
            //  Only tiles of the view on screen are ever drawn.
            ck_assert_msg (g == gen, "a tile drawn for view %u while view %u is shown", g, gen);
            ck_assert_msg (token == tokens [gen][strcmp (kind, "full") == 0],
                           "view %u drew a %s tile of job token %u: %s", gen, kind, token, line);
            if (strcmp (kind, "full") == 0)
                draws [gen]++;
        }
        else
        if (strcmp (what, "drop") == 0) {
            unsigned token;
            ck_assert (sscanf (line, "%*f drop %u", &token) == 1);
            ck_assert_msg (gen == 2 && (token == tokens [1][0] || token == tokens [1][1]),
                           "dropped a tile that was not the old view's: %s", line);
            drops++;
        }
    }
    fclose (file);
    ck_assert_uint_eq (views, 2);
    //  The stall made old tiles pile up: the check above saw them.
    ck_assert_msg (drops >= 3, "only %u old tiles came back after the change", drops);
    ck_assert_uint_ge (draws [1], 2);
    ck_assert_uint_eq (draws [2], 20 * 13);             //  every tile of the new view, once
    //  And the finished new view is exactly its headless render.
    s_view_t start = { -0.75, 0.0, 3.0, 320, 200 };
    s_view_t zoomed = s_rule_zoom (start, 20, 20, 2.0);
    char *shot = th_path ("c.png");
    s_expect_view (shot, &zoomed, "20000", "classic");
    free (shot);
    free (trace);
    free (script);
}
END_TEST

START_TEST (worker_serves_the_next_master_after_a_cancel)
{
    //  A worker remembers the jobs a master cancelled; job ids start over
    //  with every master run, so the next master's job 1 or 2 must not be
    //  taken for one of them (it once was: that worker then dropped every
    //  tile it was given, and the render never finished). The two masters
    //  listen in turn where the worker waits: a socket in the test's own
    //  folder, which no other process can take in between.
    char endpoint [700];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/farm", th_dir);
    char *slow [] = { "--test-delay", "50", NULL };
    pid_t worker = th_worker (endpoint, "1", slow);
    //  A tile of the new view back means the worker has had the cancel,
    //  sent before that view's tiles on the same link.
    char *script = s_script ("wait-tiles 1\nzoom 10 10\nwait-tiles 1\nquit\n");
    char out [4096];
    int rc = s_master (out, sizeof out, "--size", "160x100", "--tile", "16", "-j", "0",
                       "--listen", endpoint, "--script", script, NULL);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    //  The zoom cancelled the first view's full job, job 2, on that worker.
    //  A second viewer, alone with the same worker, has a job 2 of its own
    //  (its first view's full job): it must complete.
    char *next = s_script ("wait 20\nquit\n");
    rc = s_master (out, sizeof out, "--size", "64x48", "--tile", "16", "-j", "0",
                   "--listen", endpoint, "--script", next, NULL);
    th_stop (worker);
    ck_assert_msg (rc == 0, "the next master: %d: %s", rc, out);
    free (next);
    free (script);
}
END_TEST

START_TEST (big_save_matches_headless)
{
    //  An existing mandelfarm-0001.png is left alone: the save takes 0002.
    char *taken = th_path ("mandelfarm-0001.png");
    FILE *file = fopen (taken, "w");
    fputs ("mine", file);
    fclose (file);
    char *script = s_script ("wait\nkey S\nwait\nkey q\n");
    char out [4096];
    int rc = s_master (out, sizeof out, "--size", "160x100", "--center", "-0.75,0.1",
                       "--width", "2.5", "--iter", "300", "-j", "2", "--palette", "ocean",
                       "--script", script, NULL);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *saved = th_path ("mandelfarm-0002.png"), *ref = th_path ("ref.png");
    s_view_t big = { -0.75, 0.1, 2.5, 640, 400 };
    s_headless (&big, "300", "ocean", ref);
    ck_assert_msg (th_same_file (saved, ref), "the 4x save differs from the headless 640x400");
    ck_assert_msg (strstr (out, saved), "the saved path is not printed: '%s'", out);
    size_t size;
    uint8_t *data = th_slurp (taken, &size);
    ck_assert (data && size == 4 && memcmp (data, "mine", 4) == 0);
    free (data);
    free (taken); free (saved); free (ref); free (script);
}
END_TEST

START_TEST (remote_workers_and_no_workers)
{
    //  No local workers: nothing can finish, and wait says so (status 1)
    //  after the second it was given.
    char *script = s_script ("wait 1\nquit\n");
    char out [4096];
    int rc = s_master (out, sizeof out, VIEW, "-j", "0", "--listen", "tcp://127.0.0.1:*",
                       "--script", script, NULL);
    ck_assert_msg (rc == 1, "status %d: %s", rc, out);
    ck_assert_msg (strstr (out, "line 1") && strstr (out, "not complete after 1 s")
                   && strstr (out, "0 workers connected"), "'%s'", out);
    //  A remote worker on --listen: the same picture as headless.
    free (script);
    script = s_script ("wait\nscreenshot r.png\nquit\n");
    pid_t master = s_master_start ((char *[]) { VIEW, "-j", "0", "--listen", "tcp://127.0.0.1:*",
                                                "--script", script, NULL });
    char endpoint [128];
    s_master_endpoint (endpoint, sizeof endpoint);
    char *argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", endpoint,
                      "--threads", "2", "--quiet", NULL };
    pid_t worker = th_spawn (argv, NULL);
    rc = s_master_finish (master, out, sizeof out);
    kill (worker, SIGTERM);
    if (th_wait (worker, 5000) < 0)
        th_kill (worker);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *shot = th_path ("r.png");
    s_expect_view (shot, &s_start, "500", "classic");
    free (shot);
    free (script);
}
END_TEST

//  Bad input: status 2, one line naming what is wrong, nothing written.
static void
s_refused (const char *says, const char *first, ...)
{
    char *argv [MAX_ARGS];
    int argc = 0;
    va_list args;
    va_start (args, first);
    for (const char *arg = first; arg && argc < MAX_ARGS - 1; arg = va_arg (args, const char *))
        argv [argc++] = (char *) arg;
    va_end (args);
    argv [argc] = NULL;
    int before = th_count_entries (th_dir);
    char out [2048];
    int rc = s_master_argv (out, sizeof out, argv);
    ck_assert_msg (rc == 2, "%s: status %d: %s", says, rc, out);
    ck_assert_msg (strstr (out, says), "'%s' does not say '%s'", out, says);
    char *newline = strchr (out, '\n');
    ck_assert_msg (newline && newline [1] == 0, "not one line: '%s'", out);
    ck_assert_int_eq (th_count_entries (th_dir), before);
}

START_TEST (tint_legend_names_the_machines)
{
    //  w tints tiles by worker; the legend names each tint's machine.
    //  Two workers labelled with --name: the trace sees both names, each
    //  once, numbered 0 and 1 in the order their first tiles came.
    char *script = s_script ("trace t.log\nkey w\nwait\nquit\n");
    pid_t master = s_master_start ((char *[]) { "--size", "320x200", "--center", "-0.75,0",
                                                "--width", "3", "--iter", "500", "--tile", "16",
                                                "-j", "0", "--listen", "tcp://127.0.0.1:*",
                                                "--script", script, NULL });
    char endpoint [128];
    s_master_endpoint (endpoint, sizeof endpoint);
    pid_t workers [2] = {
        th_worker (endpoint, "1", (char *[]) { "--name", "alpha", "--test-delay", "5", NULL }),
        th_worker (endpoint, "1", (char *[]) { "--name", "beta", "--test-delay", "5", NULL })
    };
    char out [4096];
    int rc = s_master_finish (master, out, sizeof out);
    th_stop_all (workers, 2);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *trace = th_path ("t.log");
    FILE *file = fopen (trace, "r");
    ck_assert_ptr_nonnull (file);
    char line [512], names [2][64];
    snprintf (names [0], sizeof names [0], "alpha:%d", (int) workers [0]);
    snprintf (names [1], sizeof names [1], "beta:%d", (int) workers [1]);
    int seen [2] = { 0, 0 }, entries = 0;
    while (fgets (line, sizeof line, file)) {
        unsigned number;
        char name [128];
        if (sscanf (line, "%*f legend %u %127s", &number, name) != 2)
            continue;
        ck_assert_msg (number == (unsigned) entries, "legend entry %u after %d: %s", number,
                       entries, line);
        entries++;
        for (int index = 0; index < 2; index++)
            seen [index] += strcmp (name, names [index]) == 0;
    }
    fclose (file);
    ck_assert_msg (entries == 2 && seen [0] == 1 && seen [1] == 1,
                   "%d legend entries; %s %d times, %s %d times", entries, names [0], seen [0],
                   names [1], seen [1]);
    free (trace);
    free (script);
}
END_TEST

START_TEST (bad_input_refused)
{
    char *script = s_script ("wait\nzoom 1 2\nfly away\nscreenshot x.png\n");
    s_refused ("line 3", "--script", script, NULL);
    s_refused ("--script /nonexistent/s.txt", "--script", "/nonexistent/s.txt", NULL);
    s_refused ("-o", "--view", "-o", "x.png", NULL);
    s_refused ("--raw", "--view", "--raw", "x.npy", NULL);
    s_refused ("--script", "--script", "", NULL);
    //  No display and no script: a clear refusal, not an invisible window.
    //  The display is taken away here, so that this is checked everywhere
    //  (Check runs each test in a process of its own: what is unset here
    //  is back for the next test).
    char *driver = strdup (getenv ("SDL_VIDEODRIVER"));
    unsetenv ("SDL_VIDEODRIVER");
    unsetenv ("DISPLAY");
    unsetenv ("WAYLAND_DISPLAY");
    char none [2048];
    int none_rc = s_master (none, sizeof none, "--view", "--size", "64x48", "-j", "1", NULL);
    setenv ("SDL_VIDEODRIVER", driver, 1);
    free (driver);
    ck_assert_msg (none_rc == 1 && strstr (none, "no display"), "status %d: %s", none_rc, none);
    //  A screenshot that cannot be written fails the run (status 1), by line.
    free (script);
    script = s_script ("wait\nscreenshot /nonexistent/dir/x.png\nquit\n");
    char out [2048];
    int rc = s_master (out, sizeof out, "--size", "64x48", "-j", "1", "--script", script, NULL);
    ck_assert_msg (rc == 1 && strstr (out, "line 2") && strstr (out, "/nonexistent/dir/x.png"),
                   "status %d: %s", rc, out);
    free (script);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer");
    TCase *tc = tcase_create ("e2e");
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, finished_view_equals_headless);
    tcase_add_test (tc, wheel_zoom_shows_the_rule_region);
    tcase_add_test (tc, every_move_reaches_an_exact_view);
    tcase_add_test (tc, worker_serves_the_next_master_after_a_cancel);
    tcase_add_test (tc, view_change_never_draws_old_tiles);
    tcase_add_test (tc, big_save_matches_headless);
    tcase_add_test (tc, remote_workers_and_no_workers);
    tcase_add_test (tc, tint_legend_names_the_machines);
    tcase_add_test (tc, bad_input_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
