/*  The live viewer's forked workers at depth through shared memory, end
    to end, without a display (SDL's offscreen video driver, the dummy
    one under AddressSanitizer, as test_viewer_deep.c).

    A viewer that starts from a SHALLOW view with -j 2 (forked workers
    only, shared memory on) and zooms by script below the deep
    threshold: the deep view completes (its tiles are f64, which once
    went out malformed when they did not fit the slots sized for the
    shallow start, and the view hung at its preview), the screenshot is
    the headless render of the view saved with s (its Center and Width),
    the save renders again to its bytes, and no forked worker says that
    a tile did not fit its shared slots (the slots are sized for f64 in
    the viewer). Every process is ended by its pid.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "mf_deep.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define RUN_MS 90000                    //  msecs any one viewer or render may take at most
#define SIZE "161x101"                  //  pixels of every view
#define SIZE_W 161
#define SIZE_H 101
#define START_WIDTH "1e-9"              //  shallow at this size (a pixel of 6e-12)

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
    unsetenv ("MF_SHM");
}



START_TEST (shallow_start_zooms_deep_with_forked_workers)
{
    //  The start is shallow: the viewer forks -j processes with shared
    //  memory sized for it, and the zoom takes it deep.
    char err [512];
    mf_deep_view_t *start = mf_deep_view_new (LOC_LINE_CENTER, START_WIDTH, NULL, SIZE_W,
                                              SIZE_H, err, sizeof err);
    ck_assert_msg (start != NULL, "%s", err);
    ck_assert (!mf_deep_view_is_deep (start));
    mf_deep_view_destroy (&start);

    char *script = th_path ("script.txt");
    FILE *file = fopen (script, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("wait\n"
           "zoom 80 50 20\n"
           "wait\n"
           "screenshot deep.png\n"
           "key s\n"
           "wait\n"
           "quit\n", file);
    fclose (file);
    char out [16384];
    int rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", SIZE, "--center", LOC_LINE_CENTER, "--width", START_WIDTH,
        "--iter", "2500", "-j", "2", "--script", script, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "viewer: %d: %s", rc, out);
    ck_assert_msg (!strstr (out, "do not fit a shared slot"), "%s", out);

    //  The view saved at the end is deep, and renders again to its bytes.
    char *saved = th_path ("mandelfarm-0001.png");
    char center [4096], width [512];
    uint32_t w, h;
    uint8_t *rgb = NULL;
    ck_assert_int_eq (th_png_read (saved, &w, &h, &rgb, "Center", center, sizeof center), 0);
    free (rgb);
    rgb = NULL;
    ck_assert_int_eq (th_png_read (saved, &w, &h, &rgb, "Width", width, sizeof width), 0);
    free (rgb);
    mf_deep_view_t *deep = mf_deep_view_new (center, width, NULL, SIZE_W, SIZE_H, err,
                                             sizeof err);
    ck_assert_msg (deep != NULL, "%s", err);
    ck_assert_msg (mf_deep_view_is_deep (deep), "width %s is not deep", width);
    mf_deep_view_destroy (&deep);
    char *ref = th_path ("ref.png");
    rc = th_master_here (out, sizeof out, (char *[]) {
        "--size", SIZE, "--center", center, "--width", width, "--iter", "2500", "-j", "2",
        "-q", "-o", ref, NULL }, RUN_MS);
    ck_assert_msg (rc == 0, "headless: %d: %s", rc, out);
    ck_assert_msg (th_same_file (saved, ref), "the save does not render again to its bytes");
    //  And what was on screen is that view.
    char *shot = th_path ("deep.png"), why [512];
    ck_assert_msg (th_same_pixels (shot, ref, why, sizeof why), "%s", why);
    free (shot);
    free (ref);
    free (saved);
    free (script);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_shm");
    TCase *tc = tcase_create ("e2e");
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_set_timeout (tc, 240);
    tcase_add_test (tc, shallow_start_zooms_deep_with_forked_workers);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
