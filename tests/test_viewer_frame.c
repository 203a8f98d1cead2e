/*  The viewer's frame: full tiles win over previews whatever the order,
    previews fill their blocks (clipped at the edges), the placeholder
    follows the plane, recoloring works from the stored mu, and the dirty
    rectangle covers every change. */
#include "frame.h"
#include "helpers.h"
#include "view.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const mf_palette_t *
s_classic (void)
{
    return mf_palette_find ("classic");
}

//  A tile of w x h values: base + index.
static float *
s_values (uint32_t w, uint32_t h, float base)
{
    float *mu = malloc ((size_t) w * h * sizeof *mu);
    for (size_t index = 0; index < (size_t) w * h; index++)
        mu [index] = base + (float) index;
    return mu;
}

//  Checks pixel (x, y) shows mu colored with the palette, untinted.
static void
s_expect_color (mf_frame_t *frame, const mf_palette_t *palette, uint32_t x, uint32_t y)
{
    uint32_t w = mf_frame_width (frame);
    uint8_t want [3];
    mf_palette_color (palette, mf_frame_mu (frame) + (size_t) y * w + x, 1, want);
    ck_assert_msg (memcmp (mf_frame_rgb (frame) + ((size_t) y * w + x) * 3, want, 3) == 0,
                   "pixel %u,%u", x, y);
}

START_TEST (new_frame_is_empty)
{
    mf_frame_t *frame = mf_frame_new (10, 7, s_classic ());
    ck_assert_ptr_nonnull (frame);
    for (size_t index = 0; index < 10 * 7 * 3; index++)
        ck_assert_uint_eq (mf_frame_rgb (frame) [index], MF_FRAME_BACKGROUND);
    ck_assert (mf_frame_level (frame, 9, 6) == MF_LEVEL_EMPTY);
    mf_rect_t dirty;
    ck_assert_int_eq (mf_frame_take_dirty (frame, &dirty), 0);
    ck_assert (dirty.x == 0 && dirty.y == 0 && dirty.w == 10 && dirty.h == 7);
    ck_assert_int_eq (mf_frame_take_dirty (frame, &dirty), -1);
    mf_frame_destroy (&frame);
    ck_assert_ptr_null (frame);
    mf_frame_destroy (&frame);
}
END_TEST

START_TEST (full_tiles_and_previews)
{
    //  20x13 at factor 8: the preview is 3x2; its last column and row
    //  cover only 4 and 5 pixels.
    mf_frame_t *frame = mf_frame_new (20, 13, s_classic ());
    mf_rect_t dirty;
    mf_frame_take_dirty (frame, &dirty);
    float *full = s_values (5, 4, 1000.0f);
    mf_rect_t rect = { 2, 3, 5, 4 };
    mf_frame_put (frame, &rect, full, 1);
    ck_assert_int_eq (mf_frame_take_dirty (frame, &dirty), 0);
    ck_assert (dirty.x == 2 && dirty.y == 3 && dirty.w == 5 && dirty.h == 4);
    //  A whole preview arrives after the full tile: it fills everything else.
    float *small = s_values (3, 2, 5.0f);
    mf_rect_t all = { 0, 0, 3, 2 };
    mf_frame_put_preview (frame, 8, &all, small, 2);
    const float *mu = mf_frame_mu (frame);
    for (uint32_t y = 0; y < 13; y++)
        for (uint32_t x = 0; x < 20; x++) {
            size_t at = (size_t) y * 20 + x;
            bool in_full = x >= 2 && x < 7 && y >= 3 && y < 7;
            if (in_full) {
                ck_assert (mf_frame_level (frame, x, y) == MF_LEVEL_FULL);
                ck_assert (mu [at] == 1000.0f + (float) ((y - 3) * 5 + (x - 2)));
            }
            else {
                ck_assert (mf_frame_level (frame, x, y) == MF_LEVEL_PREVIEW);
                ck_assert (mu [at] == 5.0f + (float) ((y / 8) * 3 + x / 8));
            }
            s_expect_color (frame, s_classic (), x, y);
        }
    ck_assert_int_eq (mf_frame_take_dirty (frame, &dirty), 0);
    ck_assert (dirty.x == 0 && dirty.y == 0 && dirty.w == 20 && dirty.h == 13);
    //  A preview tile of the bottom-right corner only: clipped, dirty there.
    mf_rect_t corner = { 2, 1, 1, 1 };
    float value = 77.0f;
    mf_frame_put_preview (frame, 8, &corner, &value, 3);
    ck_assert (mu [12 * 20 + 19] == 77.0f && mu [8 * 20 + 16] == 77.0f);
    ck_assert (mu [7 * 20 + 19] != 77.0f);
    ck_assert_int_eq (mf_frame_take_dirty (frame, &dirty), 0);
    ck_assert (dirty.x == 16 && dirty.y == 8 && dirty.w == 4 && dirty.h == 5);
    free (full);
    free (small);
    mf_frame_destroy (&frame);
}
END_TEST

START_TEST (recolor_from_stored_mu)
{
    mf_frame_t *frame = mf_frame_new (16, 16, s_classic ());
    float *mu = s_values (16, 16, 0.5f);
    mu [17] = -1.0f;                            //  an interior pixel
    mf_rect_t rect = { 0, 0, 16, 16 };
    mf_frame_put (frame, &rect, mu, 4);
    uint8_t before [16 * 16 * 3];
    memcpy (before, mf_frame_rgb (frame), sizeof before);
    const mf_palette_t *fire = mf_palette_find ("fire");
    mf_frame_set_palette (frame, fire);
    uint8_t want [16 * 16 * 3];
    mf_palette_color (fire, mu, 256, want);
    ck_assert (memcmp (mf_frame_rgb (frame), want, sizeof want) == 0);
    //  Tint changes pixels (not the mu), and untinting restores them exactly.
    mf_frame_set_tint (frame, true);
    ck_assert (mf_frame_tint (frame));
    ck_assert (memcmp (mf_frame_rgb (frame), want, sizeof want) != 0);
    uint8_t tint [3];
    mf_frame_tint_color (4, tint);
    for (int ch = 0; ch < 3; ch++)
        ck_assert_uint_eq (mf_frame_rgb (frame) [ch], (2 * want [ch] + tint [ch]) / 3);
    mf_frame_set_tint (frame, false);
    ck_assert (memcmp (mf_frame_rgb (frame), want, sizeof want) == 0);
    mf_frame_set_palette (frame, s_classic ());
    ck_assert (memcmp (mf_frame_rgb (frame), before, sizeof before) == 0);
    ck_assert (memcmp (mf_frame_mu (frame), mu, sizeof (float) * 256) == 0);
    //  Different workers get different tints.
    uint8_t other [3];
    mf_frame_tint_color (5, other);
    ck_assert (memcmp (tint, other, 3) != 0);
    free (mu);
    mf_frame_destroy (&frame);
}
END_TEST

START_TEST (warp_follows_the_plane)
{
    //  Old: 256x128, width 4 (pitch 1/64), every pixel's mu = its index.
    mf_view_t old_view = { 0.0, 0.0, 4.0, 256, 128 };
    mf_frame_t *old = mf_frame_new (256, 128, s_classic ());
    float *mu = s_values (256, 128, 0.0f);
    mf_rect_t all = { 0, 0, 256, 128 };
    mf_frame_put (old, &all, mu, 1);
    //  Zoom in 2x at the center: new pixel (i, j) shows old pixel
    //  (64 + i/2, 32 + j/2).
    mf_view_t zoomed;
    ck_assert_int_eq (mf_view_zoom_at (&old_view, 127, 63, 2.0, &zoomed), 0);
    mf_frame_t *frame = mf_frame_new (256, 128, s_classic ());
    mf_frame_warp (frame, &zoomed, old, &old_view);
    const float *got = mf_frame_mu (frame);
    for (uint32_t j = 0; j < 128; j += 7)
        for (uint32_t i = 0; i < 256; i += 5) {
            ck_assert (mf_frame_level (frame, i, j) == MF_LEVEL_PLACEHOLDER);
            ck_assert_msg (got [j * 256 + i] == mu [(32 + j / 2) * 256 + 64 + i / 2],
                           "pixel %u,%u", i, j);
            s_expect_color (frame, s_classic (), i, j);
        }
    //  Zoom out 2x: the middle half shows every other old pixel (new pixel
    //  i is old pixel 127.5 + 2 (i - 127), rounded down), the rest is
    //  empty (background).
    mf_view_t wide;
    ck_assert_int_eq (mf_view_zoom_at (&old_view, 127, 63, 0.5, &wide), 0);
    mf_frame_warp (frame, &wide, old, &old_view);
    ck_assert (mf_frame_level (frame, 10, 10) == MF_LEVEL_EMPTY);
    ck_assert (mf_frame_rgb (frame) [(10 * 256 + 10) * 3] == MF_FRAME_BACKGROUND);
    ck_assert (mf_frame_level (frame, 128, 64) == MF_LEVEL_PLACEHOLDER);
    ck_assert (got [64 * 256 + 128] == mu [65 * 256 + 129]);
    ck_assert (got [40 * 256 + 100] == mu [17 * 256 + 73]);
    //  A full tile drawn later replaces the placeholder.
    float value = 3.0f;
    mf_rect_t one = { 128, 64, 1, 1 };
    mf_frame_put (frame, &one, &value, 2);
    ck_assert (mf_frame_level (frame, 128, 64) == MF_LEVEL_FULL);
    free (mu);
    mf_frame_destroy (&old);
    mf_frame_destroy (&frame);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_frame");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, new_frame_is_empty);
    tcase_add_test (tc, full_tiles_and_previews);
    tcase_add_test (tc, recolor_from_stored_mu);
    tcase_add_test (tc, warp_follows_the_plane);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
