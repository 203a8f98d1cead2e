/*  The viewer's screen (viewer/screen.c), drawn without a display (SDL's
    offscreen driver, dummy under AddressSanitizer as in test_viewer):
    what a screenshot holds is the frame's RGB, pixel for pixel; a pan
    drag moves it, a box drag outlines the box, an overlay darkens only
    its corner; a screenshot that cannot be written leaves nothing. The
    window's fitting to a screen is checked as pure arithmetic. */
#include "helpers.h"
#include "font.h"
#include "screen.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define W 64                            //  pixels, the test window
#define H 48

static mf_screen_t *s_screen;
static mf_frame_t *s_frame;

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
    char err [512];
    s_screen = mf_screen_new (W, H, true, err, sizeof err);
    ck_assert_msg (s_screen != NULL, "%s", err);
    ck_assert_int_eq (mf_screen_set_frame_size (s_screen, W, H, err, sizeof err), 0);
    //  A frame with a full tile on its left half: a ramp of mu.
    s_frame = mf_frame_new (W, H, mf_palette_at (0));
    ck_assert_ptr_nonnull (s_frame);
    float mu [W / 2 * H];
    for (int index = 0; index < W / 2 * H; index++)
        mu [index] = (float) (index % 97) * 0.5f;
    mf_rect_t rect = { 0, 0, W / 2, H };
    mf_frame_put (s_frame, &rect, mu, 1);
}

static void
s_teardown (void)
{
    mf_frame_destroy (&s_frame);
    mf_screen_destroy (&s_screen);
    ck_assert_ptr_null (s_screen);
    mf_screen_destroy (&s_screen);
    th_dir_teardown ();
}

//  Screenshots what was drawn; returns its RGB (caller frees).
static uint8_t *
s_shot (const char *name)
{
    char *path = th_path (name);
    char err [512];
    ck_assert_msg (mf_screen_screenshot (s_screen, path, err, sizeof err) == 0, "%s", err);
    uint32_t w, h;
    uint8_t *rgb = NULL;
    ck_assert_int_eq (th_png_read (path, &w, &h, &rgb, NULL, NULL, 0), 0);
    ck_assert (w == W && h == H);
    free (path);
    return rgb;
}

static const uint8_t *
s_at (const uint8_t *rgb, int x, int y)
{
    return rgb + ((size_t) y * W + (size_t) x) * 3;
}

START_TEST (fit)
{
    uint32_t w = 1000, h = 500;
    mf_screen_fit (&w, &h, 400, 400);
    ck_assert (w == 400 && h == 200);
    w = 640, h = 400;
    mf_screen_fit (&w, &h, MF_SCREEN_MAX_DIM, MF_SCREEN_MAX_DIM);
    ck_assert (w == 640 && h == 400);          //  never enlarged
    w = 65536, h = 2;
    mf_screen_fit (&w, &h, MF_SCREEN_MAX_DIM, MF_SCREEN_MAX_DIM);
    ck_assert (w == MF_SCREEN_MAX_DIM && h == 1);   //  at least a pixel
}
END_TEST

START_TEST (screenshot_is_the_frame)
{
    int w, h;
    ck_assert_int_eq (mf_screen_size (s_screen, &w, &h), 0);
    ck_assert (w == W && h == H);
    const char *driver, *renderer;
    ck_assert_int_eq (mf_screen_describe (s_screen, &driver, &renderer), 0);
    ck_assert_str_eq (driver, getenv ("SDL_VIDEODRIVER"));
    ck_assert (renderer && *renderer);

    mf_drag_t none = { .kind = MF_DRAG_NONE };
    mf_screen_draw (s_screen, s_frame, &none, NULL, 0);
    uint8_t *rgb = s_shot ("a.png");
    ck_assert_msg (memcmp (rgb, mf_frame_rgb (s_frame), (size_t) W * H * 3) == 0,
                   "the screenshot is not the frame");
    //  The right half is still empty: the background.
    ck_assert_int_eq (s_at (rgb, W - 1, H - 1) [0], MF_FRAME_BACKGROUND);
    free (rgb);
}
END_TEST

START_TEST (drags_and_overlay)
{
    //  A pan drag 10 pixels right and 5 down: the image follows.
    mf_drag_t pan = { MF_DRAG_PAN, 20, 20, 30, 25 };
    mf_screen_draw (s_screen, s_frame, &pan, NULL, 0);
    uint8_t *rgb = s_shot ("pan.png");
    const uint8_t *frame = mf_frame_rgb (s_frame);
    for (int y = 5; y < H; y++)
        ck_assert (memcmp (s_at (rgb, 10, y), frame + ((size_t) (y - 5) * W) * 3,
                           (W - 10) * 3) == 0);
    ck_assert_int_eq (s_at (rgb, 3, 3) [1], MF_FRAME_BACKGROUND);
    free (rgb);

    //  A box drag: a white outline from one corner to the other.
    mf_drag_t box = { MF_DRAG_BOX, 40, 30, 10, 5 };
    mf_screen_draw (s_screen, s_frame, &box, NULL, 0);
    rgb = s_shot ("box.png");
    const uint8_t white [3] = { 255, 255, 255 };
    ck_assert (memcmp (s_at (rgb, 10, 5), white, 3) == 0);
    ck_assert (memcmp (s_at (rgb, 40, 30), white, 3) == 0);
    ck_assert (memcmp (s_at (rgb, 25, 5), white, 3) == 0);
    ck_assert (memcmp (s_at (rgb, 25, 17), frame + ((size_t) 17 * W + 25) * 3, 3) == 0);
    free (rgb);

    //  An overlay: darker in the top-left corner, the rest untouched.
    const char *lines [] = { "hi" };
    mf_drag_t none = { .kind = MF_DRAG_NONE };
    mf_screen_draw (s_screen, s_frame, &none, lines, 1);
    rgb = s_shot ("overlay.png");
    const uint8_t *under = frame + ((size_t) 9 * W + 9) * 3;
    ck_assert (s_at (rgb, 9, 9) [0] < under [0] || under [0] == 0);
    ck_assert (s_at (rgb, 9, 9) [0] + s_at (rgb, 9, 9) [1] + s_at (rgb, 9, 9) [2]
               < under [0] + under [1] + under [2]);
    ck_assert (memcmp (s_at (rgb, 5, 40), frame + ((size_t) 40 * W + 5) * 3, 3) == 0);
    ck_assert (memcmp (s_at (rgb, 60, 3), frame + ((size_t) 3 * W + 60) * 3, 3) == 0);
    free (rgb);
}
END_TEST

START_TEST (tint_legend)
{
    //  Nothing to name: nothing drawn over the frame.
    mf_drag_t none = { .kind = MF_DRAG_NONE };
    mf_screen_draw (s_screen, s_frame, &none, NULL, 0);
    mf_screen_draw_legend (s_screen, NULL, 0, 0);
    uint8_t *rgb = s_shot ("nolegend.png");
    const uint8_t *frame = mf_frame_rgb (s_frame);
    ck_assert (memcmp (rgb, frame, (size_t) W * H * 3) == 0);
    free (rgb);

    //  One machine: a box at the bottom left, whose swatch is the tint of
    //  worker 0, as the tinted tiles are; the top of the window untouched.
    const char *names [] = { "alpha:1" };
    mf_screen_draw (s_screen, s_frame, &none, NULL, 0);
    mf_screen_draw_legend (s_screen, names, 1, 0);
    rgb = s_shot ("legend.png");
    int fw = mf_font_width (), fh = mf_font_height ();
    int box_h = (fh + 2) + fh, box_y = H - 8 - box_h;
    ck_assert_int_ge (box_y, 0);
    uint8_t tint [3];
    mf_frame_tint_color (0, tint);
    int swatch_x = 8 + fw + fw / 2, swatch_y = box_y + fh / 2 + fh / 2;
    const uint8_t *got = s_at (rgb, swatch_x, swatch_y);
    ck_assert_msg (memcmp (got, tint, 3) == 0, "swatch %u,%u,%u, tint %u,%u,%u",
                   got [0], got [1], got [2], tint [0], tint [1], tint [2]);
    //  The box darkens what is under it, beside the swatch.
    const uint8_t *under = frame + ((size_t) (box_y + 1) * W + 9) * 3;
    const uint8_t *over = s_at (rgb, 9, box_y + 1);
    ck_assert (over [0] + over [1] + over [2] < under [0] + under [1] + under [2]
               || under [0] + under [1] + under [2] == 0);
    ck_assert (memcmp (rgb, frame, (size_t) W * (box_y - 1) * 3) == 0);
    free (rgb);
}
END_TEST

START_TEST (screenshot_that_cannot_be_written)
{
    mf_drag_t none = { .kind = MF_DRAG_NONE };
    mf_screen_draw (s_screen, s_frame, &none, NULL, 0);
    char err [512];
    ck_assert_int_eq (mf_screen_screenshot (s_screen, "/nonexistent/dir/x.png", err,
                                            sizeof err), -1);
    ck_assert_msg (strstr (err, "/nonexistent/dir"), "%s", err);
    int before = th_count_entries (th_dir);
    char *path = th_path ("sub");
    ck_assert_int_eq (mf_screen_screenshot (s_screen, path, err, sizeof err), 0);
    ck_assert_int_eq (th_count_entries (th_dir), before + 1);    //  the PNG, no temporary
    free (path);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_screen");
    TCase *pure = tcase_create ("fit");
    tcase_add_test (pure, fit);
    suite_add_tcase (suite, pure);
    TCase *tc = tcase_create ("drawn");
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, screenshot_is_the_frame);
    tcase_add_test (tc, drags_and_overlay);
    tcase_add_test (tc, tint_legend);
    tcase_add_test (tc, screenshot_that_cannot_be_written);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
