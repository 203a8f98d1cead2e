/*  The viewer's view math: wheel zoom at a point, pan, box zoom, resize,
    the 4x save's enlargement, the preview's geometry and the history, checked with exact values
    (views chosen so every step is exact in binary) and with the property
    each rule promises. */
#include "helpers.h"
#include "view.h"
#include "mf_util.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

//  Center 0,0, width 4, 256x128: pitch 1/64, xmin -2, ymax 1.
static mf_view_t
s_binary_view (void)
{
    return (mf_view_t) { 0.0, 0.0, 4.0, 256, 128 };
}

START_TEST (zoom_at_point_exact)
{
    mf_view_t in = s_binary_view (), out;
    ck_assert_int_eq (mf_view_zoom_at (&in, 63, 31, 2.0, &out), 0);
    //  re = -2 + 63.5/64, im = 1 - 31.5/64; width 2, pitch 1/128;
    //  center = re + (128 - 63.5)/128, im - (64 - 31.5)/128.
    ck_assert (out.center_re == -0.50390625);
    ck_assert (out.center_im == 0.25390625);
    ck_assert (out.width == 2.0);
    ck_assert (out.pixel_w == 256 && out.pixel_h == 128);
    //  Zoom out (wheel down) at the same pixel: exactly back.
    mf_view_t back;
    ck_assert_int_eq (mf_view_zoom_at (&out, 63, 31, 0.5, &back), 0);
    ck_assert (back.center_re == 0.0 && back.center_im == 0.0 && back.width == 4.0);
}
END_TEST

START_TEST (zoom_keeps_point_under_cursor)
{
    //  Any view, any pixel: the pixel's sample point stays put to within
    //  a few roundings of the new pitch.
    mf_view_t in = { -0.75, 0.1, 3.5, 320, 200 };
    int points [][2] = { { 0, 0 }, { 319, 199 }, { 100, 80 }, { 160, 100 }, { 7, 190 } };
    for (int index = 0; index < 5; index++) {
        for (int dir = 0; dir < 2; dir++) {
            mf_view_t out;
            int x = points [index][0], y = points [index][1];
            ck_assert_int_eq (mf_view_zoom_at (&in, x, y, dir? 0.5: 2.0, &out), 0);
            mf_mapping_t a, b;
            mf_view_mapping (&in, &a);
            mf_view_mapping (&out, &b);
            ck_assert (out.width == (dir? 7.0: 1.75));
            ck_assert_msg (fabs (mf_pixel_re (&a, x) - mf_pixel_re (&b, x)) < 1e-12 * b.d
                           + 4e-16, "re moved at (%d, %d)", x, y);
            ck_assert_msg (fabs (mf_pixel_im (&a, y) - mf_pixel_im (&b, y)) < 1e-12 * b.d
                           + 4e-16, "im moved at (%d, %d)", x, y);
        }
    }
}
END_TEST

START_TEST (zoom_limits)
{
    //  In: stops once the pitch would fall under 2^-50 (|center| < 1 here).
    mf_view_t view = s_binary_view ();
    int notches = 0;
    while (mf_view_zoom_at (&view, 128, 64, 2.0, &view) == 0 && notches < 100)
        notches++;
    //  Pitch 2^-6 halves 44 times to 2^-50; the 45th would be 2^-51.
    ck_assert_int_eq (notches, 44);
    ck_assert (view.width / view.pixel_w == 0x1p-50);
    //  Out: up to width 64, then refused; the view is left as it was.
    view = s_binary_view ();
    notches = 0;
    while (mf_view_zoom_at (&view, 128, 64, 0.5, &view) == 0 && notches < 100)
        notches++;
    ck_assert_int_eq (notches, 4);
    ck_assert (view.width == 64.0);
    //  A start view beyond a limit can still go back the other way.
    mf_view_t deep = { 0.25, 0.0, 1e-20, 256, 128 }, out;
    ck_assert_int_eq (mf_view_zoom_at (&deep, 10, 10, 2.0, &out), -1);
    ck_assert_int_eq (mf_view_zoom_at (&deep, 10, 10, 0.5, &out), 0);
    ck_assert (out.width == 2e-20);
}
END_TEST

START_TEST (pan_exact)
{
    mf_view_t in = s_binary_view (), out;
    mf_view_pan (&in, 64, -32, &out);
    //  Dragging the image right moves the view left: -64/64 and +(-32)/64.
    ck_assert (out.center_re == -1.0 && out.center_im == -0.5 && out.width == 4.0);
    mf_view_pan (&out, -64, 32, &out);
    ck_assert (out.center_re == 0.0 && out.center_im == 0.0);
    //  Far drags stop at +-16.
    mf_view_pan (&in, -65536, 65536, &out);
    ck_assert (out.center_re == 16.0 && out.center_im == 16.0);
    mf_view_t far = { -100.0, 0.0, 4.0, 256, 128 };
    mf_view_pan (&far, 64, 0, &out);
    ck_assert (out.center_re == -100.0);         //  clamped to where it was
    mf_view_pan (&far, -64, 0, &out);
    ck_assert (out.center_re == -99.0);          //  coming back is free
}
END_TEST

START_TEST (box_exact)
{
    mf_view_t in = s_binary_view (), out, swapped;
    //  A box as wide as half the window: width 2, centered on pixel 64.5, 32.5.
    ck_assert_int_eq (mf_view_box (&in, 0, 0, 128, 64, &out), 0);
    ck_assert (out.center_re == -2.0 + 64.5 / 64 && out.center_im == 1.0 - 32.5 / 64);
    ck_assert (out.width == 2.0);
    ck_assert_int_eq (mf_view_box (&in, 128, 64, 0, 0, &swapped), 0);
    ck_assert (swapped.center_re == out.center_re && swapped.center_im == out.center_im
               && swapped.width == out.width);
    //  A tall box: the view widens to the window's aspect (2:1).
    ck_assert_int_eq (mf_view_box (&in, 10, 0, 20, 64, &out), 0);
    ck_assert (out.width == 2.0);
    //  Too small: refused, out untouched.
    out = in;
    ck_assert_int_eq (mf_view_box (&in, 5, 5, 8, 7, &out), -1);
    ck_assert (out.width == 4.0);
}
END_TEST

START_TEST (resize_keeps_region)
{
    mf_view_t in = { -0.75, 0.1, 3.5, 320, 200 }, out;
    ck_assert_int_eq (mf_view_resize (&in, 640, 100, &out), 0);
    ck_assert (out.center_re == -0.75 && out.center_im == 0.1 && out.width == 3.5);
    ck_assert (out.pixel_w == 640 && out.pixel_h == 100);
    ck_assert_int_eq (mf_view_resize (&in, 0, 100, &out), -1);
    ck_assert_int_eq (mf_view_resize (&in, 100, 70000, &out), -1);
}
END_TEST

START_TEST (enlarge_checks_every_size)
{
    mf_view_t in = { -0.75, 0.1, 3.5, 640, 400 }, out = { 0 }, untouched;
    size_t pixels = 0;
    ck_assert_int_eq (mf_view_enlarge (&in, 4, SIZE_MAX, &out, &pixels), 0);
    ck_assert (out.center_re == -0.75 && out.center_im == 0.1 && out.width == 3.5);
    ck_assert (out.pixel_w == 2560 && out.pixel_h == 1600);
    ck_assert_uint_eq (pixels, 2560u * 1600u);
    //  At the pixel limit, and one pixel over it.
    ck_assert_int_eq (mf_view_enlarge (&in, 4, 2560u * 1600u, &out, &pixels), 0);
    untouched = out;
    pixels = 7;
    ck_assert_int_eq (mf_view_enlarge (&in, 4, 2560u * 1600u - 1, &out, &pixels), -1);
    //  A side over MF_VIEW_MAX_DIM, a factor whose product overflows 32 or 64
    //  bits, and a window that is already as large as it goes: refused,
    //  nothing written.
    mf_view_t wide = { 0, 0, 3.5, MF_VIEW_MAX_DIM / 4 + 1, 10 };
    ck_assert_int_eq (mf_view_enlarge (&wide, 4, SIZE_MAX, &out, &pixels), -1);
    ck_assert_int_eq (mf_view_enlarge (&in, UINT32_MAX, SIZE_MAX, &out, &pixels), -1);
    mf_view_t huge = { 0, 0, 3.5, UINT32_MAX, UINT32_MAX };
    ck_assert_int_eq (mf_view_enlarge (&huge, UINT32_MAX, SIZE_MAX, &out, &pixels), -1);
    mf_view_t max = { 0, 0, 3.5, MF_VIEW_MAX_DIM, MF_VIEW_MAX_DIM };
    ck_assert_int_eq (mf_view_enlarge (&max, 4, SIZE_MAX, &out, &pixels), -1);
    ck_assert (memcmp (&out, &untouched, sizeof out) == 0 && pixels == 7);
    //  The checked multiply itself.
    size_t product = 1;
    ck_assert_int_eq (mf_mul_size (SIZE_MAX / 2, 2, &product), 0);
    ck_assert_uint_eq (product, SIZE_MAX - 1);
    ck_assert_int_eq (mf_mul_size (SIZE_MAX / 2 + 1, 2, &product), -1);
    ck_assert_int_eq (mf_mul_size ((size_t) 1 << (sizeof (size_t) * 4),
                                   (size_t) 1 << (sizeof (size_t) * 4), &product), -1);
}
END_TEST

START_TEST (preview_geometry)
{
    //  Exact case: 256x128 at factor 8 is 32x16 with pitch 8/64.
    mf_view_t in = s_binary_view (), small;
    mf_view_preview (&in, 8, &small);
    ck_assert (small.pixel_w == 32 && small.pixel_h == 16);
    ck_assert (small.center_re == 0.0 && small.center_im == 0.0 && small.width == 4.0);
    //  Sizes that are not multiples: rounded up, top-left corner and pitch kept.
    mf_view_t odd = { -0.75, 0.1, 3.5, 321, 203 };
    mf_view_preview (&odd, 8, &small);
    ck_assert (small.pixel_w == 41 && small.pixel_h == 26);
    mf_mapping_t a, b;
    mf_view_mapping (&odd, &a);
    mf_view_mapping (&small, &b);
    ck_assert (fabs (b.xmin - a.xmin) < 1e-15 && fabs (b.ymax - a.ymax) < 1e-15);
    ck_assert (fabs (b.d - 8 * a.d) < 1e-15 * a.d * 8);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_view");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, zoom_at_point_exact);
    tcase_add_test (tc, zoom_keeps_point_under_cursor);
    tcase_add_test (tc, zoom_limits);
    tcase_add_test (tc, pan_exact);
    tcase_add_test (tc, box_exact);
    tcase_add_test (tc, resize_keeps_region);
    tcase_add_test (tc, enlarge_checks_every_size);
    tcase_add_test (tc, preview_geometry);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
