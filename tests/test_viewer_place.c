/*  mf_place: the viewer's view at any depth. Shallow moves are view.h's
    doubles exactly; deep ones keep what the rule says they keep (the
    sample point under the pointer, the width halved exactly); a zoom
    out of a deep view comes back to a shallow one; the limits refuse;
    the placeholder's relative views and the preview's map are where
    they must be.
*/
#include "helpers.h"
#include "place.h"
#include "view.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LINE "4.38201090809984714798836704183781579775093781331734e-01," \
             "2.50541573359688171678400414758224860053729045156654e-01"

static mf_place_t *
s_place (const char *center, const char *width, uint32_t w, uint32_t h)
{
    char err [512];
    mf_place_t *place = mf_place_new (center, width, w, h, err, sizeof err);
    ck_assert_msg (place != NULL, "%s", err);
    return place;
}

static bool
s_same_view (const mf_view_t *a, const mf_view_t *b)
{
    return a->center_re == b->center_re && a->center_im == b->center_im
        && a->width == b->width && a->pixel_w == b->pixel_w && a->pixel_h == b->pixel_h;
}

START_TEST (shallow_moves_are_the_doubles_rule)
{
    char err [256];
    mf_place_t *start = s_place ("-0.75,0.1", "2.5", 320, 200);
    ck_assert (!mf_place_is_deep (start));
    mf_view_t expect;
    mf_place_t *zoomed = mf_place_zoom_at (start, 77, 61, 2.0, err, sizeof err);
    ck_assert_ptr_nonnull (zoomed);
    ck_assert_int_eq (mf_view_zoom_at (mf_place_view (start), 77, 61, 2.0, &expect), 0);
    ck_assert (s_same_view (mf_place_view (zoomed), &expect));
    mf_place_t *panned = mf_place_pan (zoomed, 13, -7, err, sizeof err);
    mf_view_pan (mf_place_view (zoomed), 13, -7, &expect);
    ck_assert (s_same_view (mf_place_view (panned), &expect));
    mf_place_t *boxed = mf_place_box (panned, 10, 20, 110, 60, err, sizeof err);
    ck_assert_int_eq (mf_view_box (mf_place_view (panned), 10, 20, 110, 60, &expect), 0);
    ck_assert (s_same_view (mf_place_view (boxed), &expect));
    //  A box under MF_VIEW_MIN_BOX pixels each way is refused.
    ck_assert_ptr_null (mf_place_box (panned, 10, 20, 12, 22, err, sizeof err));
    //  Wider than MF_VIEW_MAX_WIDTH is refused.
    mf_place_t *wide = s_place ("0,0", "40", 320, 200);
    ck_assert_ptr_null (mf_place_zoom_at (wide, 5, 5, 0.5, err, sizeof err));
    mf_place_destroy (&wide);
    mf_place_destroy (&boxed);
    mf_place_destroy (&panned);
    mf_place_destroy (&zoomed);
    mf_place_destroy (&start);
    ck_assert_ptr_null (start);
    mf_place_destroy (&start);
}
END_TEST

START_TEST (deep_zoom_keeps_the_point_and_halves_the_width)
{
    char err [256];
    //  An odd size: pixel (80, 50) is the center, whose point stays.
    mf_place_t *place = s_place (LINE, "1e-15", 161, 101);
    ck_assert (mf_place_is_deep (place));
    mf_place_t *in = mf_place_zoom_at (place, 80, 50, 2.0, err, sizeof err);
    ck_assert_ptr_nonnull (in);
    ck_assert (mf_place_is_deep (in));
    mpfr_t a, b, c, e;
    mpfr_inits2 (128, a, b, c, e, (mpfr_ptr) 0);
    mf_deep_view_center (mf_place_deep (place), a, b);
    mf_deep_view_center (mf_place_deep (in), c, e);
    ck_assert (mpfr_equal_p (a, c) && mpfr_equal_p (b, e));
    mpfr_set_prec (a, 128);
    mpfr_set_prec (b, 128);
    mf_deep_view_width (mf_place_deep (place), a);
    mf_deep_view_width (mf_place_deep (in), b);
    mpfr_div_ui (a, a, 2, MPFR_RNDN);
    ck_assert (mpfr_equal_p (a, b));
    //  Off the center: the sample point of the pixel moves by less than
    //  a 2^-60 of the new pitch.
    mf_place_t *off = mf_place_zoom_at (in, 10, 90, 2.0, err, sizeof err);
    ck_assert_ptr_nonnull (off);
    mpfr_t re0, im0, re1, im1, d;
    mpfr_inits2 (256, re0, im0, re1, im1, d, (mpfr_ptr) 0);
    mf_deep_view_center (mf_place_deep (in), re0, im0);
    mf_deep_view_center (mf_place_deep (off), re1, im1);
    mpfr_set_prec (d, 256);
    mf_deep_view_width (mf_place_deep (in), a);
    //  Pixel 10's point, before: re0 - w/2 + 10.5 w/161; after, with w/2.
    mpfr_t p0, p1, t;
    mpfr_inits2 (256, p0, p1, t, (mpfr_ptr) 0);
    mpfr_div_ui (t, a, 161, MPFR_RNDN);
    mpfr_mul_d (t, t, 10.5, MPFR_RNDN);
    mpfr_sub (p0, re0, a, MPFR_RNDN);
    mpfr_div_ui (d, a, 2, MPFR_RNDN);
    mpfr_add (p0, p0, d, MPFR_RNDN);
    mpfr_add (p0, p0, t, MPFR_RNDN);
    mpfr_div_ui (a, a, 2, MPFR_RNDN);
    mpfr_div_ui (t, a, 161, MPFR_RNDN);
    mpfr_mul_d (t, t, 10.5, MPFR_RNDN);
    mpfr_div_ui (d, a, 2, MPFR_RNDN);
    mpfr_sub (p1, re1, d, MPFR_RNDN);
    mpfr_add (p1, p1, t, MPFR_RNDN);
    mpfr_sub (t, p1, p0, MPFR_RNDN);
    mpfr_div_ui (d, a, 161, MPFR_RNDN);
    mpfr_div (t, t, d, MPFR_RNDN);
    ck_assert_msg (fabs (mpfr_get_d (t, MPFR_RNDN)) < 0x1p-60, "moved %g pixels",
                   mpfr_get_d (t, MPFR_RNDN));
    mpfr_clears (a, b, c, e, re0, im0, re1, im1, d, p0, p1, t, (mpfr_ptr) 0);
    //  The status's zoom follows: one notch is log10 (2) more.
    ck_assert (fabs (mf_place_log10_zoom (off) - mf_place_log10_zoom (in) - log10 (2.0)) < 1e-9);
    mf_place_destroy (&off);
    mf_place_destroy (&in);
    mf_place_destroy (&place);
}
END_TEST

START_TEST (deep_and_back)
{
    char err [256];
    mf_place_t *place = s_place (LINE, "1e-21", 161, 101);
    //  Out of 1e-21 by 2^40: shallow again, and doubles from there on.
    for (int step = 0; step < 40; step++) {
        mf_place_t *next = mf_place_zoom_at (place, 80, 50, 0.5, err, sizeof err);
        ck_assert_msg (next != NULL, "%s", err);
        mf_place_destroy (&place);
        place = next;
    }
    ck_assert (!mf_place_is_deep (place));
    ck_assert (fabs (mf_place_view (place)->width / (1e-21 * 0x1p40) - 1) < 1e-12);
    //  Pans and resizes at depth keep a view the master reads.
    mf_place_t *deep = s_place (LINE, "1e-40", 64, 48);
    mf_place_t *panned = mf_place_pan (deep, 64, 0, err, sizeof err);
    ck_assert_ptr_nonnull (panned);
    mf_view_t a_rel, b_rel;
    ck_assert_int_eq (mf_place_relative (deep, panned, &a_rel, &b_rel), 0);
    //  A whole window to the left: the view moved one width right.
    ck_assert (fabs (b_rel.center_re + 1.0) < 1e-12 && fabs (b_rel.center_im) < 1e-12);
    ck_assert (fabs (b_rel.width - 1.0) < 1e-12 && a_rel.width == 1.0);
    mf_place_t *bigger = mf_place_resize (deep, 256, 192, err, sizeof err);
    ck_assert_ptr_nonnull (bigger);
    ck_assert_str_eq (mf_place_width_text (bigger), mf_place_width_text (deep));
    ck_assert_uint_eq (mf_place_view (bigger)->pixel_w, 256);
    ck_assert (!mf_place_same (bigger, deep));
    mf_place_t *copy = mf_place_copy (deep);
    ck_assert (mf_place_same (copy, deep));
    mf_place_destroy (&copy);
    mf_place_destroy (&bigger);
    mf_place_destroy (&panned);
    mf_place_destroy (&deep);
    mf_place_destroy (&place);
}
END_TEST

START_TEST (preview_map)
{
    //  161 x 101 by 8: 21 x 13 preview pixels, the corner the view's; the
    //  preview's center lies (8 * 21 - 161, 101 - 8 * 13) = (7, -3) half
    //  pitches from the view's.
    mf_place_t *place = s_place (LINE, "1e-30", 161, 101);
    mf_deep_map_t full, map;
    mf_deep_view_map (mf_place_deep (place), &full);
    mpfr_t re, im;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (mf_place_deep (place), re, im);
    mf_place_preview_map (place, 8, re, im, &map);
    ck_assert_uint_eq (map.pixel_w, 21);
    ck_assert_uint_eq (map.pixel_h, 13);
    ck_assert (map.type == full.type);
    double pitch = mf_fexp_to_double (full.pitch);
    ck_assert (mf_fexp_to_double (map.pitch) == 8 * pitch);
    ck_assert (fabs (mf_fexp_to_double (mf_fexpc_re (map.offset)) / (0.5 * pitch) - 7) < 1e-9);
    ck_assert (fabs (mf_fexp_to_double (mf_fexpc_im (map.offset)) / (0.5 * pitch) + 3) < 1e-9);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    mf_place_destroy (&place);
}
END_TEST

START_TEST (history_stack)
{
    mf_places_t *history = mf_places_new (3);
    ck_assert_ptr_nonnull (history);
    ck_assert_ptr_null (mf_places_pop (history));
    const char *widths [] = { "1", "2", "3", "4" };
    for (int index = 0; index < 4; index++) {
        mf_place_t *place = s_place ("-0.75,0", widths [index], 64, 48);
        mf_places_push (history, &place);
        ck_assert_ptr_null (place);
    }
    //  Capacity 3: the oldest (1) is gone; newest first.
    ck_assert_uint_eq (mf_places_size (history), 3);
    for (int index = 3; index >= 1; index--) {
        mf_place_t *place = mf_places_pop (history);
        ck_assert_ptr_nonnull (place);
        ck_assert_str_eq (mf_place_width_text (place), widths [index]);
        mf_place_destroy (&place);
    }
    ck_assert_ptr_null (mf_places_pop (history));
    //  Destroyed with what it holds (valgrind and ASan see no leak).
    mf_place_t *place = s_place ("-0.75,0", "1e-30", 64, 48);
    mf_places_push (history, &place);
    mf_places_destroy (&history);
    ck_assert_ptr_null (history);
    mf_places_destroy (&history);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_place");
    TCase *tc = tcase_create ("place");
    tcase_add_test (tc, shallow_moves_are_the_doubles_rule);
    tcase_add_test (tc, deep_zoom_keeps_the_point_and_halves_the_width);
    tcase_add_test (tc, deep_and_back);
    tcase_add_test (tc, preview_map);
    tcase_add_test (tc, history_stack);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
