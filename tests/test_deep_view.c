/*  Deep views (mf_deep): reading center, width and zoom exactly; the
    shallow/deep rule and its boundary; precision and delta type; the
    canonical texts read back to the same view; the pixel delta formula;
    and one clear line for every kind of bad input.
*/
#include "helpers.h"
#include "mf_deep.h"
#include "mf_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Public locations (see /work/shared/deepzoom/locations.md).
#define E50_RE "-0.0494700290631040937516922267273536301187457124882248793181049402326421947726869034279915499747594190000000000000000000"
#define E50_IM "-0.6747875758446753640113920531305976563347707068224034806979997947909941983454845111514208499540310299999999999999999880"
#define LINE_RE "4.38201090809984714798836704183781579775093781331734e-01"
#define LINE_IM "2.50541573359688171678400414758224860053729045156654e-01"

static mf_deep_view_t *
s_view (const char *center, const char *width, const char *zoom, uint32_t w, uint32_t h)
{
    char err [512];
    mf_deep_view_t *view = mf_deep_view_new (center, width, zoom, w, h, err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    return view;
}

static void
s_same_map (const mf_deep_map_t *a, const mf_deep_map_t *b)
{
    ck_assert (a->pixel_w == b->pixel_w && a->pixel_h == b->pixel_h && a->type == b->type);
    ck_assert (a->pitch.m == b->pitch.m && a->pitch.e == b->pitch.e);
    ck_assert (a->offset.re == b->offset.re && a->offset.im == b->offset.im
               && a->offset.e == b->offset.e);
}

//  Reading the view back from its canonical texts gives the same view.
static void
s_round_trip (const mf_deep_view_t *view, uint32_t w, uint32_t h)
{
    mf_deep_view_t *back = s_view (mf_deep_view_center_text (view),
                                   mf_deep_view_width_text (view), NULL, w, h);
    ck_assert (mf_deep_view_is_deep (back) == mf_deep_view_is_deep (view));
    mf_view_t va, vb;
    if (mf_deep_view_is_deep (view)) {
        //  A deep view is its P-bit center and its pitch.
        mpfr_t a_re, a_im, b_re, b_im;
        mpfr_inits2 (64, a_re, a_im, b_re, b_im, (mpfr_ptr) 0);
        mf_deep_view_center (view, a_re, a_im);
        mf_deep_view_center (back, b_re, b_im);
        ck_assert (mpfr_equal_p (a_re, b_re) && mpfr_equal_p (a_im, b_im));
        mpfr_clears (a_re, a_im, b_re, b_im, (mpfr_ptr) 0);
        mf_deep_map_t ma, mb;
        mf_deep_view_map (view, &ma);
        mf_deep_view_map (back, &mb);
        s_same_map (&ma, &mb);
    }
    else
        ck_assert_int_eq (mf_deep_view_precision (back), mf_deep_view_precision (view));
    if (mf_deep_view_shallow (view, &va) == 0) {
        ck_assert_int_eq (mf_deep_view_shallow (back, &vb), 0);
        ck_assert (memcmp (&va, &vb, sizeof va) == 0);
    }
    //  Canonical texts are a fixed point.
    ck_assert_str_eq (mf_deep_view_center_text (back), mf_deep_view_center_text (view));
    ck_assert_str_eq (mf_deep_view_width_text (back), mf_deep_view_width_text (view));
    mf_deep_view_destroy (&back);
}

START_TEST (todays_views_stay_shallow_with_todays_doubles)
{
    //  The bench and golden views, the kernel tests' deepest region, and
    //  a 40-digit center at width 1e-5: today's path, today's doubles.
    static const struct { const char *center, *width; uint32_t w, h; } views [] = {
        { "-0.75,0", "3.5", 1920, 1080 },
        { "-0.7453,0.1127", "0.01", 640, 360 },
        { "-0.7453,0.1127", "0.01", 500, 300 },
        { "0.2925,0.0149", "0.008", 640, 360 },
        { "-0.5,0", "2.5", 640, 360 },
        { "-0.7436438870371587,0.1318259042053119", "1e-4", 640, 360 },
        { "-0.7437911560181347,0.1316612922633015", "4e-10", 640, 360 },
        { "-0.7437911560181347,0.1316612922633015", "4e-10", 64, 48 },
        { "1e5,1e5", "1e6", 40, 30 },
        { "0,0", "1e300", 24, 18 },
        { "-0.74364388703715870475219150611477,0.13182590420531197049923706234222", "1e-5",
          1920, 1080 },
    };
    for (size_t index = 0; index < sizeof views / sizeof views [0]; index++) {
        mf_deep_view_t *view = s_view (views [index].center, views [index].width, NULL,
                                       views [index].w, views [index].h);
        ck_assert_msg (!mf_deep_view_is_deep (view), "%s", views [index].center);
        mf_view_t got, want = { 0, 0, 0, views [index].w, views [index].h };
        ck_assert_int_eq (mf_deep_view_shallow (view, &got), 0);
        ck_assert_int_eq (mf_parse_doubles (views [index].center, ',', &want.center_re, 2), 0);
        ck_assert_int_eq (mf_parse_double (views [index].width, &want.width), 0);
        ck_assert (got.center_re == want.center_re && got.center_im == want.center_im
                   && got.width == want.width && got.pixel_w == want.pixel_w
                   && got.pixel_h == want.pixel_h);
        //  Today's PNG texts: %.17g of the doubles.
        char re [32], im [32], text [80];
        mf_format_exact (want.center_re, re, sizeof re);
        mf_format_exact (want.center_im, im, sizeof im);
        snprintf (text, sizeof text, "%s,%s", re, im);
        ck_assert_str_eq (mf_deep_view_center_text (view), text);
        s_round_trip (view, views [index].w, views [index].h);
        mf_deep_view_destroy (&view);
    }
}
END_TEST

START_TEST (the_rule_at_its_boundary)
{
    //  Pitch exactly 2^-44 M is shallow, one ulp less is deep: W = 1024,
    //  width 2^-34 (d = 2^-44) and re = 1 - 2^-35, so M = |re| + width/2
    //  = 1 exactly.
    mf_view_t view = { -(1.0 - 0x1p-35), 0.25, 0x1p-34, 1024, 512 };
    ck_assert (!mf_deep_needs_deep (&view));
    view.width = nextafter (view.width, 0.0);
    ck_assert (mf_deep_needs_deep (&view));
    //  The same along the imaginary axis: H = 1024 rows, M from im.
    mf_view_t tall = { 0.25, 1.0 - 0x1p-35, 0x1p-44, 1, 1024 };
    ck_assert (!mf_deep_needs_deep (&tall));
    tall.width = nextafter (tall.width, 0.0);
    ck_assert (mf_deep_needs_deep (&tall));
    //  --region: the same rule, refused in one line that says what to do.
    char err [512] = "";
    mf_view_t region = { -0.75, 0.1, 1e-11, 1920, 1080 };
    ck_assert_int_eq (mf_deep_check_region (&region, err, sizeof err), -1);
    ck_assert (strstr (err, "--region") && strstr (err, "--center") && !strchr (err, '\n'));
    region.width = 1.75e-9;
    ck_assert_int_eq (mf_deep_check_region (&region, err, sizeof err), 0);
    //  A view of 0 at width 1e-100: shallow (doubles are exact there).
    mf_view_t tiny = { 0.0, 0.0, 1e-100, 100, 100 };
    ck_assert (!mf_deep_needs_deep (&tiny));
    //  A pitch that is not a normal double: deep.
    mf_view_t sub = { 0.0, 0.0, 1e-308, 100, 100 };
    ck_assert (mf_deep_needs_deep (&sub));
    //  Through the text interface: width 1.75e-9 at 1920 px around -0.75
    //  is 2^-40 of M: shallow; 1e-11 is 2^-47.5: deep.
    mf_deep_view_t *v = s_view ("-0.75,0.1", "1.75e-9", NULL, 1920, 1080);
    ck_assert (!mf_deep_view_is_deep (v));
    mf_deep_view_destroy (&v);
    v = s_view ("-0.75,0.1", "1e-11", NULL, 1920, 1080);
    ck_assert (mf_deep_view_is_deep (v));
    mf_view_t ignored = { 0 };
    ck_assert_int_eq (mf_deep_view_shallow (v, &ignored), -1);
    ck_assert (ignored.width == 0);
    mf_deep_view_destroy (&v);
}
END_TEST

START_TEST (precision_and_type_follow_the_depth)
{
    //  e50 at 1920x1080: d = 4/1e50/1080 = 3.7e-53 = 2^-174.17, so
    //  E(d) = -174; the center's binade is below 2, so P = 64 + 2 + 174.
    mf_deep_view_t *v = s_view (E50_RE "," E50_IM, NULL, "1e50", 1920, 1080);
    ck_assert (mf_deep_view_is_deep (v));
    ck_assert_int_eq (mf_deep_view_precision (v), 64 + 2 + 174);
    mf_deep_map_t map;
    mf_deep_view_map (&*v, &map);
    ck_assert_int_eq (map.type, MF_DELTA_DOUBLE);
    ck_assert_int_eq (map.pitch.e, -175);
    ck_assert (fabs (mf_deep_view_log10_zoom (v) - 50.0) < 1e-12);
    //  The center is the decimal read at P bits, rounded once.
    mpfr_t re, im, want;
    mpfr_inits2 (64, re, im, (mpfr_ptr) 0);
    mpfr_init2 (want, 64 + 2 + 174);
    mf_deep_view_center (v, re, im);
    mpfr_set_str (want, E50_RE, 10, MPFR_RNDN);
    ck_assert (mpfr_equal_p (re, want));
    ck_assert_int_eq (mpfr_get_prec (re), 64 + 2 + 174);
    mpfr_clears (re, im, want, (mpfr_ptr) 0);
    mf_deep_view_destroy (&v);

    //  The double/floatexp boundary: pitch 2^-960 is double, below floatexp.
    v = s_view ("0.1,0.2", "0x1p-950", NULL, 1024, 1);
    mf_deep_view_map (v, &map);
    ck_assert_int_eq (map.pitch.e, -960);
    ck_assert_int_eq (map.type, MF_DELTA_DOUBLE);
    mf_deep_view_destroy (&v);
    v = s_view ("0.1,0.2", "0x1p-950", NULL, 1025, 1);
    mf_deep_view_map (v, &map);
    ck_assert_int_eq (map.pitch.e, -961);
    ck_assert_int_eq (map.type, MF_DELTA_FEXP);
    mf_deep_view_destroy (&v);

    //  Fractalshades' 2e-2608 example: floatexp, P about 8.7k bits.
    v = s_view ("-1.94,-0.00065", "2.e-2608", NULL, 2400, 1350);
    mf_deep_view_map (v, &map);
    ck_assert_int_eq (map.type, MF_DELTA_FEXP);
    //  d = 2e-2608 / 2400 = 8.3e-2612: E(d) = -8673.
    ck_assert_int_eq (map.pitch.e, -8674);
    ck_assert_int_eq (mf_deep_view_precision (v), 64 + 2 + 8673);
    ck_assert_str_eq (mf_deep_view_width_text (v), "2e-2608");
    s_round_trip (v, 2400, 1350);
    mf_deep_view_destroy (&v);
}
END_TEST

START_TEST (canonical_texts_read_back)
{
    //  Trailing digits below the precision go, and the texts read back to
    //  the same view; a 1e-4 view's 1100-digit center too.
    mf_deep_view_t *v = s_view (E50_RE "," E50_IM, "1.3e-49", NULL, 320, 180);
    const char *center = mf_deep_view_center_text (v);
    ck_assert (strlen (center) < strlen (E50_RE "," E50_IM));
    ck_assert (strncmp (center, "-0.04947002906310409375169222672735363", 38) == 0);
    ck_assert_str_eq (mf_deep_view_width_text (v), "1.3e-49");
    s_round_trip (v, 320, 180);
    mf_deep_view_destroy (&v);

    v = s_view (LINE_RE "," LINE_IM, NULL, "1.40057E28", 320, 180);
    //  The zoom became a width of 20 digits: 4 * 320 / (1.40057e28 * 180)
    //  = 5.07729789379403465097e-28 (the 20th digit is a 0).
    ck_assert_str_eq (mf_deep_view_width_text (v), "5.077297893794034651e-28");
    s_round_trip (v, 320, 180);
    mf_deep_view_t *w = s_view (LINE_RE "," LINE_IM, "5.0772978937940346510e-28", NULL,
                                320, 180);
    mf_deep_map_t a, b;
    mf_deep_view_map (v, &a);
    mf_deep_view_map (w, &b);
    s_same_map (&a, &b);
    mf_deep_view_destroy (&w);
    mf_deep_view_destroy (&v);

    //  Plain forms: small exponents without one, others with one.
    v = s_view ("-1.25e-30,3e+2", "1e-40", NULL, 100, 100);
    ck_assert_str_eq (mf_deep_view_center_text (v), "-1.25e-30,300");
    s_round_trip (v, 100, 100);
    mf_deep_view_destroy (&v);
}
END_TEST

START_TEST (bad_input_is_refused_in_one_line)
{
    static const struct { const char *center, *width, *zoom, *names; } bad [] = {
        { "abc,0", "1", NULL, "--center" },
        { "1,2,3", "1", NULL, "--center" },
        { "1", "1", NULL, "--center" },
        { ",1", "1", NULL, "--center" },
        { "1e,0", "1", NULL, "--center" },
        { "1.2.3,0", "1", NULL, "--center" },
        { " 1,0", "1", NULL, "--center" },
        { "nan,0", "1", NULL, "--center" },
        { "1e400,0", "1", NULL, "--center" },
        { "0,0", "0", NULL, "--width" },
        { "0,0", "-1e-5", NULL, "--width" },
        { "0,0", "inf", NULL, "--width" },
        { "0,0", "1e400", NULL, "--width" },
        { "0,0", "1e-700000", NULL, "--width" },
        { "0,0", "1e-99999999999", NULL, "--width" },
        { "0,0", NULL, "0", "--zoom" },
        { "0,0", NULL, "-3", "--zoom" },
        { "0,0", NULL, "1e700000", "--width" },
        { "0,0", NULL, "x", "--zoom" },
        { "0,0", "1", "1", "--width W or as --zoom Z" },
        { "0,0", NULL, NULL, "--width W or as --zoom Z" },
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        char err [512] = "";
        mf_deep_view_t *v = mf_deep_view_new (bad [index].center, bad [index].width,
                                              bad [index].zoom, 100, 100, err, sizeof err);
        ck_assert_msg (v == NULL, "case %zu accepted", index);
        ck_assert_msg (strstr (err, bad [index].names) != NULL, "case %zu: '%s'", index, err);
        ck_assert (strchr (err, '\n') == NULL && strlen (err) > 20);
    }
    char err [512];
    ck_assert_ptr_null (mf_deep_view_new ("0,0", "1", NULL, 0, 10, err, sizeof err));
    ck_assert (strstr (err, "--size") != NULL);
    //  A very long number is fine; one past the limit is not.
    size_t length = MF_DEEP_MAX_TEXT + 1;
    char *text = malloc (length + 8);
    text [0] = '0';
    text [1] = '.';
    memset (text + 2, '1', length - 2);
    strcpy (text + length, ",0");
    ck_assert_ptr_null (mf_deep_view_new (text, "1e-10", NULL, 10, 10, err, sizeof err));
    ck_assert (strstr (err, "--center") != NULL);
    text [length - 1] = 0;
    strcat (text, ",0");
    mf_deep_view_t *v = s_view (text, "1e-100", NULL, 10, 10);
    mf_deep_view_destroy (&v);
    mf_deep_view_destroy (&v);          //  safe twice
    free (text);
}
END_TEST

START_TEST (pixel_deltas_follow_the_formula)
{
    mf_deep_map_t map = { 4, 2, { 1.0, 0 }, { 0.0, 0.0, MF_FEXP_ZERO_E }, MF_DELTA_DOUBLE };
    //  h = 1/2: columns at -1.5, -0.5, 0.5, 1.5; rows at 0.5, -0.5.
    mf_fexpc_t dc = mf_deep_map_dc (&map, 0, 0);
    ck_assert (mf_fexpc_re_double (dc) == -1.5 && mf_fexpc_im_double (dc) == 0.5);
    dc = mf_deep_map_dc (&map, 3, 1);
    ck_assert (mf_fexpc_re_double (dc) == 1.5 && mf_fexpc_im_double (dc) == -0.5);
    //  Far below doubles, with an offset: exact values in floatexp.
    map.pitch = (mf_fexp_t) { 1.5, -9000 };
    map.offset = mf_fexpc_from ((mf_fexp_t) { 1.0, -8990 }, mf_fexp_zero ());
    map.pixel_w = 5;
    map.pixel_h = 3;
    dc = mf_deep_map_dc (&map, 4, 0);
    //  re = 4 * 0.75 * 2^-9000 + 2^-8990 = (3 + 1024) 2^-9000; im = 2 * 0.75 * 2^-9000.
    mf_fexp_t re = mf_fexpc_re (dc), im = mf_fexpc_im (dc);
    ck_assert (re.m == 1027.0 / 1024.0 && re.e == -8990);
    ck_assert (im.m == 1.5 && im.e == -9000);
    //  cmax bounds every pixel's |dc|, by a hair.
    mf_fexp_t cmax = mf_deep_map_cmax (&map);
    for (uint32_t j = 0; j < map.pixel_h; j++)
        for (uint32_t i = 0; i < map.pixel_w; i++)
            ck_assert (mf_fexp_cmp (mf_fexpc_abs (mf_deep_map_dc (&map, i, j)), cmax) < 0);
    mf_fexp_t want = mf_fexp_add ((mf_fexp_t) { 1.0, -8990 },
                                  mf_fexp_mul ((mf_fexp_t) { 1.5, -9001 },
                                               mf_fexp_sqrt (mf_fexp_from_double (34.0))));
    ck_assert (mf_fexp_cmp (cmax, mf_fexp_mul (want, mf_fexp_from_double (1.0 + 0x1p-30))) < 0);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deep_view");
    TCase *tc = tcase_create ("view");
    tcase_add_test (tc, todays_views_stay_shallow_with_todays_doubles);
    tcase_add_test (tc, the_rule_at_its_boundary);
    tcase_add_test (tc, precision_and_type_follow_the_depth);
    tcase_add_test (tc, canonical_texts_read_back);
    tcase_add_test (tc, bad_input_is_refused_in_one_line);
    tcase_add_test (tc, pixel_deltas_follow_the_formula);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
