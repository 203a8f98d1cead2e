/*  The live viewer at depth, end to end, without a display (SDL's
    offscreen video driver, the dummy one under AddressSanitizer, as
    test_viewer.c): a real master with --view and a --script, real local
    workers.

    A scripted wheel zoom from 1e-15 to below 1e-20, then out to a
    shallow view and back in: each finished view on screen is the
    headless render of the view the documented rule gives (viewer/place.h,
    README "The live viewer"), computed here again in MPFR; s at depth
    saves a PNG whose Center and Width render the same bytes headless; m
    prints the movie command of the view on screen, parsed here; going
    back to a deep view seen before reuses its reference orbit and still
    shows its headless render. Every process is ended by its pid.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "mf_deep.h"

#include <check.h>
#include <math.h>
#include <mpfr.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define RUN_MS 90000                    //  msecs any one viewer or render may take at most
#define SIZE_W 161                      //  pixels: odd, so that pixel (80, 50) is the
#define SIZE_H 101                      //  center and a zoom there keeps the location
#define EXTRA_BITS 64                   //  the rule's bits beyond the view's precision

static void
s_setup (void)
{
    th_dir_setup ();
#if defined (__SANITIZE_ADDRESS__)
    setenv ("SDL_VIDEODRIVER", "dummy", 1);
#else
    setenv ("SDL_VIDEODRIVER", "offscreen", 1);
#endif
    unsetenv ("SDL_RENDER_DRIVER");
}



//  Renders center and width headless at the test's size into png.
static void
s_headless (const char *center, const char *width, const char *png)
{
    char size [32], out [4096];
    snprintf (size, sizeof size, "%dx%d", SIZE_W, SIZE_H);
    int rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", size, "--center", (char *) center, "--width", (char *) width,
        "--iter", "2500", "-j", "2", "-q", "-o", (char *) png, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "headless %.60s %s: %d: %s", center, width, rc, out);
}

//  Whether the screenshot shot is the headless render of view.
static void
s_expect_view (const char *shot, const mf_deep_view_t *view)
{
    char *path = th_path (shot), *ref = th_path ("ref.png"), why [512];
    s_headless (mf_deep_view_center_text (view), mf_deep_view_width_text (view), ref);
    ck_assert_msg (th_same_pixels (path, ref, why, sizeof why),
                   "%s is not the headless render of %.60s width %s: %s", shot,
                   mf_deep_view_center_text (view), mf_deep_view_width_text (view), why);
    unlink (ref);
    free (ref);
    free (path);
}

// ---------------------------------------------------------------------
//  The documented wheel rule, written out again here.

static mf_deep_view_t *
s_view (const char *center, const char *width)
{
    char err [512];
    mf_deep_view_t *view = mf_deep_view_new (center, width, NULL, SIZE_W, SIZE_H,
                                             err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    return view;
}

//  The decimal that reads back to x at its precision (caller frees).
static char *
s_text (mpfr_t x)
{
    mpfr_exp_t exp;
    char *digits = mpfr_get_str (NULL, &exp, 10, 0, x, MPFR_RNDN);
    ck_assert_ptr_nonnull (digits);
    bool negative = digits [0] == '-';
    char *text = malloc (strlen (digits) + 40);
    sprintf (text, "%s0.%se%ld", negative? "-": "", digits + negative, (long) exp);
    mpfr_free_str (digits);
    return text;
}

//  One notch of factor f at pixel (x, y): in doubles while both views
//  are shallow (view.h), else in MPFR at the view's precision + 64 bits;
//  the result is the view its texts give. Destroys v.
static mf_deep_view_t *
s_rule_zoom (mf_deep_view_t *v, int x, int y, double f)
{
    double px = (double) x + 0.5, py = (double) y + 0.5;
    mf_view_t s;
    if (mf_deep_view_shallow (v, &s) == 0) {
        double d = s.width / (double) s.pixel_w;
        double xmin = s.center_re - 0.5 * s.width;
        double ymax = s.center_im + 0.5 * (d * (double) s.pixel_h);
        double re = xmin + px * d, im = ymax - py * d;
        mf_view_t out = s;
        out.width = s.width / f;
        double d2 = out.width / (double) s.pixel_w;
        out.center_re = re + (0.5 * (double) s.pixel_w - px) * d2;
        out.center_im = im - (0.5 * (double) s.pixel_h - py) * d2;
        if (!mf_deep_needs_deep (&out)) {
            char center [80], width [40];
            snprintf (center, sizeof center, "%.17g,%.17g", out.center_re, out.center_im);
            snprintf (width, sizeof width, "%.17g", out.width);
            mf_deep_view_destroy (&v);
            return s_view (center, width);
        }
    }
    mpfr_prec_t prec = mf_deep_view_precision (v) + EXTRA_BITS;
    mpfr_t cr, ci, w, d, t, re, im, d2;
    mpfr_inits2 (prec, cr, ci, w, d, t, re, im, d2, (mpfr_ptr) 0);
    if (mf_deep_view_is_deep (v)) {
        mpfr_t a, b;
        mpfr_inits2 (64, a, b, (mpfr_ptr) 0);
        mf_deep_view_center (v, a, b);
        mpfr_set (cr, a, MPFR_RNDN);
        mpfr_set (ci, b, MPFR_RNDN);
        mf_deep_view_width (v, a);
        mpfr_set (w, a, MPFR_RNDN);
        mpfr_clears (a, b, (mpfr_ptr) 0);
    }
    else {
        mpfr_set_d (cr, s.center_re, MPFR_RNDN);
        mpfr_set_d (ci, s.center_im, MPFR_RNDN);
        mpfr_set_d (w, s.width, MPFR_RNDN);
    }
    mpfr_div_ui (d, w, SIZE_W, MPFR_RNDN);
    //  re = (center_re - 0.5 width) + px d;  im = (center_im + 0.5 (d H)) - py d
    mpfr_mul_d (t, w, 0.5, MPFR_RNDN);
    mpfr_sub (re, cr, t, MPFR_RNDN);
    mpfr_mul_d (t, d, px, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    mpfr_mul_ui (t, d, SIZE_H, MPFR_RNDN);
    mpfr_mul_d (t, t, 0.5, MPFR_RNDN);
    mpfr_add (im, ci, t, MPFR_RNDN);
    mpfr_mul_d (t, d, py, MPFR_RNDN);
    mpfr_sub (im, im, t, MPFR_RNDN);
    mpfr_div_d (w, w, f, MPFR_RNDN);
    mpfr_div_ui (d2, w, SIZE_W, MPFR_RNDN);
    mpfr_mul_d (t, d2, 0.5 * SIZE_W - px, MPFR_RNDN);
    mpfr_add (re, re, t, MPFR_RNDN);
    mpfr_mul_d (t, d2, 0.5 * SIZE_H - py, MPFR_RNDN);
    mpfr_sub (im, im, t, MPFR_RNDN);
    char *re_text = s_text (re), *im_text = s_text (im), *width = s_text (w);
    char *center = malloc (strlen (re_text) + strlen (im_text) + 2);
    sprintf (center, "%s,%s", re_text, im_text);
    mf_deep_view_destroy (&v);
    v = s_view (center, width);
    free (center);
    free (re_text);
    free (im_text);
    free (width);
    mpfr_clears (cr, ci, w, d, t, re, im, d2, (mpfr_ptr) 0);
    return v;
}

static mf_deep_view_t *
s_rule_notches (mf_deep_view_t *v, int x, int y, int steps)
{
    for (int step = 0; step < abs (steps); step++)
        v = s_rule_zoom (v, x, y, steps > 0? 2.0: 0.5);
    return v;
}

//  The line of the master's output that starts with prefix, into line.
static bool
s_line (const char *out, const char *prefix, char *line, size_t size)
{
    for (const char *at = out; at && *at; at = strchr (at, '\n')? strchr (at, '\n') + 1: NULL)
        if (strncmp (at, prefix, strlen (prefix)) == 0) {
            size_t len = strcspn (at, "\n");
            snprintf (line, size, "%.*s", (int) (len < size? len: size - 1), at);
            return true;
        }
    return false;
}

START_TEST (wheel_zoom_at_depth_shows_the_rule_view)
{
    char *script = th_path ("script.txt");
    FILE *file = fopen (script, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("trace trace.log\n"
           "wait\n"
           "zoom 80 50 20\n"
           "zoom 30 70 1\n"
           "wait\n"
           "screenshot deep.png\n"
           "key s\n"
           "key m\n"
           "wait\n"
           "key S\n"
           "wait\n"
           "zoom 30 70 -1\n"
           "wait\n"
           "key Backspace\n"
           "wait\n"
           "screenshot again.png\n"
           "zoom 80 50 -40\n"
           "wait\n"
           "screenshot out.png\n"
           "zoom 80 50 40\n"
           "wait\n"
           "screenshot back.png\n"
           "quit\n", file);
    fclose (file);
    char size [32], out [16384];
    snprintf (size, sizeof size, "%dx%d", SIZE_W, SIZE_H);
    int rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", size, "--center", LOC_LINE_CENTER, "--width", "1e-15", "--iter", "2500",
        "-j", "2", "--script", script, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);

    //  The views the rule gives, the deepest below 1e-20.
    mf_deep_view_t *deep = s_rule_notches (s_view (LOC_LINE_CENTER, "1e-15"), 80, 50, 20);
    deep = s_rule_notches (deep, 30, 70, 1);
    ck_assert (mf_deep_view_is_deep (deep));
    ck_assert (strtod (mf_deep_view_width_text (deep), NULL) < 1e-20);
    s_expect_view ("deep.png", deep);

    //  m: the movie command of that view, whole.
    char line [4096], expect [4096];
    ck_assert_msg (s_line (out, "mandelfarm-master --movie ", line, sizeof line),
                   "no movie command in: %s", out);
    snprintf (expect, sizeof expect, "mandelfarm-master --movie 1200 --center %s --width %s "
              "--iter 2500 -o frames/f%%05d.png", mf_deep_view_center_text (deep),
              mf_deep_view_width_text (deep));
    ck_assert_str_eq (line, expect);

    //  s: the saved file renders again, from its metadata, to its bytes.
    char *saved = th_path ("mandelfarm-0001.png");
    char center [4096], width [512];
    uint32_t w, h;
    uint8_t *rgb = NULL;
    ck_assert_int_eq (th_png_read (saved, &w, &h, &rgb, "Center", center, sizeof center), 0);
    free (rgb);
    rgb = NULL;
    ck_assert_int_eq (th_png_read (saved, &w, &h, &rgb, "Width", width, sizeof width), 0);
    free (rgb);
    ck_assert_str_eq (center, mf_deep_view_center_text (deep));
    ck_assert_str_eq (width, mf_deep_view_width_text (deep));
    char *again = th_path ("again-headless.png");
    s_headless (center, width, again);
    ck_assert_msg (th_same_file (saved, again), "the save at depth does not render again "
                   "to the same bytes");
    free (again);
    free (saved);

    //  S: the 4x view, with its own orbit, renders again to its bytes.
    char *big = th_path ("mandelfarm-0002.png");
    ck_assert_int_eq (th_png_read (big, &w, &h, &rgb, "Center", center, sizeof center), 0);
    free (rgb);
    rgb = NULL;
    ck_assert_int_eq (th_png_read (big, &w, &h, &rgb, "Width", width, sizeof width), 0);
    free (rgb);
    ck_assert (w == 4 * SIZE_W && h == 4 * SIZE_H);
    char *big_again = th_path ("big-headless.png"), big_size [32], big_out [4096];
    snprintf (big_size, sizeof big_size, "%ux%u", w, h);
    rc = th_master_here (big_out, sizeof big_out, (char *[]) {
        "--size", big_size, "--center", center, "--width", width, "--iter", "2500",
        "-j", "2", "-q", "-o", big_again, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "headless 4x: %s", big_out);
    ck_assert_msg (th_same_file (big, big_again), "the 4x save at depth does not render "
                   "again to the same bytes");
    free (big_again);
    free (big);

    //  Backspace to the deep view: its orbit reused, the same picture.
    char *trace = th_path ("trace.log");
    ck_assert_msg (th_count_text (trace, "reused") >= 1, "no orbit was reused");
    //  The zoom's preview went out at once, from the orbit kept: the
    //  view's trace line names its preview job before its own orbit is
    //  computed (view 2: "view 2 RE IM WIDTH WxH MAXITER PREVIEW FULL").
    file = fopen (trace, "r");
    ck_assert_ptr_nonnull (file);
    char text [1024];
    unsigned preview = 0, full = 1;
    bool seen = false;
    while (!seen && fgets (text, sizeof text, file))
        seen = sscanf (text, "%*f view 2 %*s %*s %*s %*s %*u %u %u", &preview, &full) == 2;
    fclose (file);
    ck_assert_msg (seen && preview != 0 && full == 0, "view 2: preview %u, full %u", preview,
                   full);
    s_expect_view ("again.png", deep);

    //  Out to a shallow view, and back in.
    mf_deep_view_t *shallow = s_rule_notches (deep, 80, 50, -40);
    ck_assert (!mf_deep_view_is_deep (shallow));
    s_expect_view ("out.png", shallow);
    mf_deep_view_t *back = s_rule_notches (shallow, 80, 50, 40);
    ck_assert (mf_deep_view_is_deep (back));
    s_expect_view ("back.png", back);
    mf_deep_view_destroy (&back);
    free (trace);
    free (script);
}
END_TEST

//  The iterations of the movie command m prints, from out's line number
//  index (0: the first).
static unsigned long
s_movie_iter (const char *out, int index, char *line, size_t size)
{
    const char *at = out;
    for (int skip = 0; at && skip <= index; skip++) {
        at = strstr (at, "mandelfarm-master --movie ");
        if (at && skip < index)
            at++;
    }
    ck_assert_msg (at != NULL, "no movie command %d in: %s", index, out);
    snprintf (line, size, "%.*s", (int) strcspn (at, "\n"), at);
    const char *iter = strstr (line, " --iter ");
    ck_assert_ptr_nonnull (iter);
    return strtoul (iter + 8, NULL, 10);
}

//  --iter auto chooses from each deep view's orbit as the headless
//  master does, and + leaves it for twice the count.
START_TEST (iter_auto_follows_depth)
{
    char *script = th_path ("script.txt");
    FILE *file = fopen (script, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("wait\n"
           "key m\n"
           "zoom 80 50 20\n"
           "wait\n"
           "screenshot deep.png\n"
           "key m\n"
           "key +\n"
           "wait\n"
           "key m\n"
           "quit\n", file);
    fclose (file);
    char size [32], out [16384];
    snprintf (size, sizeof size, "%dx%d", SIZE_W, SIZE_H);
    int rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", size, "--center", LOC_LINE_CENTER, "--width", "1e-15", "--iter", "auto",
        "-j", "2", "--script", script, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char line [4096];
    unsigned long first = s_movie_iter (out, 0, line, sizeof line);
    unsigned long deep = s_movie_iter (out, 1, line, sizeof line);
    unsigned long more = s_movie_iter (out, 2, line, sizeof line);
    //  What the headless master chooses for the same two views.
    mf_deep_view_t *start = s_view (LOC_LINE_CENTER, "1e-15");
    mf_deep_view_t *zoomed = s_rule_notches (s_view (LOC_LINE_CENTER, "1e-15"), 80, 50, 20);
    const mf_deep_view_t *views [2] = { start, zoomed };
    unsigned long chosen [2];
    char *png = th_path ("auto.png");
    for (int index = 0; index < 2; index++) {
        char iter [64], headless [4096];
        rc = th_master_here (headless, sizeof headless, (char *[]) {
            "--size", size, "--center", (char *) mf_deep_view_center_text (views [index]),
            "--width", (char *) mf_deep_view_width_text (views [index]), "--iter", "auto",
            "-j", "2", "-q", "-o", png, NULL }, RUN_MS);
        ck_assert_msg (rc == 0, "headless auto: %s", headless);
        uint32_t w, h;
        uint8_t *rgb = NULL;
        ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, "Iterations", iter, sizeof iter), 0);
        free (rgb);
        chosen [index] = strtoul (iter, NULL, 10);
        if (index == 1) {
            char *shot = th_path ("deep.png"), why [512];
            ck_assert_msg (th_same_pixels (shot, png, why, sizeof why),
                           "the auto view is not its headless render: %s", why);
            free (shot);
        }
    }
    ck_assert_uint_eq (first, chosen [0]);
    ck_assert_uint_eq (deep, chosen [1]);
    ck_assert_uint_eq (more, 2 * chosen [1]);
    free (png);
    mf_deep_view_destroy (&start);
    mf_deep_view_destroy (&zoomed);
    free (script);
}
END_TEST

//  A view change cancels the reference orbit still computed: a deep
//  view inside the main cardioid at 10^8 iterations (its orbit never
//  escapes: minutes of MPFR), then - twenty times, down to 95
//  iterations. The first orbit never completes, and the viewer finishes
//  the last view at once rather than waiting for it.
START_TEST (view_change_cancels_the_reference)
{
    char *script = th_path ("script.txt");
    FILE *file = fopen (script, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("trace trace.log\nsleep 300\n", file);
    for (int press = 0; press < 20; press++)
        fputs ("key -\n", file);
    fputs ("wait\nscreenshot last.png\nquit\n", file);
    fclose (file);
    char size [32], out [16384];
    snprintf (size, sizeof size, "%dx%d", SIZE_W, SIZE_H);
    int rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", size, "--center", "-0.5,1e-19", "--width", "1e-18", "--iter", "100000000",
        "-j", "2", "--script", script, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    char *trace = th_path ("trace.log");
    ck_assert (th_count_text (trace, "reference 1 started") == 1);
    ck_assert_int_eq (th_count_text (trace, "reference 1 done"), 0);
    ck_assert (th_count_text (trace, "complete") >= 1);
    char *shot = th_path ("last.png");
    ck_assert (th_exists (shot));
    free (shot);
    free (trace);
    free (script);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_deep");
    TCase *tc = tcase_create ("e2e");
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_set_timeout (tc, 240);
    tcase_add_test (tc, wheel_zoom_at_depth_shows_the_rule_view);
    tcase_add_test (tc, iter_auto_follows_depth);
    tcase_add_test (tc, view_change_cancels_the_reference);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
