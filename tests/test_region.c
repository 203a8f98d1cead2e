/*  Region parsing and the pixel -> c mapping. */
#include "mf_region.h"
#include "mf_util.h"

#include "helpers.h"

#include <check.h>
#include <math.h>
#include <string.h>

START_TEST (size_parsing)
{
    uint32_t w, h;
    ck_assert_int_eq (mf_parse_size ("1920x1080", &w, &h), 0);
    ck_assert_uint_eq (w, 1920);
    ck_assert_uint_eq (h, 1080);
    ck_assert_int_eq (mf_parse_size ("1x1", &w, &h), 0);
    ck_assert_int_eq (mf_parse_size ("65536x65536", &w, &h), 0);
    //  A poster's side: up to 2^20.
    ck_assert_int_eq (mf_parse_size ("1048576x100000", &w, &h), 0);
    ck_assert_uint_eq (w, 1048576);
    const char *bad [] = { "0x10", "10x0", "1048577x10", "10x1048577", "10x", "x10", "10*10", "10x10x10",
                           "-5x10", "ax10", "", " 10x10", "10x10 ", "1e3x10" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++)
        ck_assert_msg (mf_parse_size (bad [index], &w, &h) == -1, "accepted '%s'", bad [index]);
}
END_TEST

START_TEST (number_parsing)
{
    double values [4];
    ck_assert_int_eq (mf_parse_doubles ("-0.75,0", ',', values, 2), 0);
    ck_assert (values [0] == -0.75 && values [1] == 0.0);
    ck_assert_int_eq (mf_parse_doubles ("1,2,3,4", ',', values, 4), 0);
    ck_assert (values [3] == 4.0);
    ck_assert_int_eq (mf_parse_doubles ("1,2", ',', values, 4), -1);
    ck_assert_int_eq (mf_parse_doubles ("1,2,3", ',', values, 2), -1);
    ck_assert_int_eq (mf_parse_doubles ("1,,2", ',', values, 3), -1);
    ck_assert_int_eq (mf_parse_doubles ("nan,0", ',', values, 2), -1);
    ck_assert_int_eq (mf_parse_doubles ("inf,0", ',', values, 2), -1);
    ck_assert_int_eq (mf_parse_doubles ("1e999,0", ',', values, 2), -1);
    double v;
    ck_assert_int_eq (mf_parse_double ("0x1p-3", &v), 0);
    ck_assert (v == 0.125);
    long l;
    ck_assert_int_eq (mf_parse_long ("12", 1, 12, &l), 0);
    ck_assert_int_eq (mf_parse_long ("13", 1, 12, &l), -1);
    ck_assert_int_eq (mf_parse_long ("1.5", 1, 12, &l), -1);
}
END_TEST

START_TEST (mapping_formulas)
{
    //  The default view: 3.5 wide at 1920 pixels.
    mf_view_t view = { -0.75, 0.0, 3.5, 1920, 1080 };
    mf_mapping_t m;
    mf_view_mapping (&view, &m);
    double d = 3.5 / 1920.0;
    ck_assert (m.d == d);
    ck_assert (m.xmin == -0.75 - 0.5 * 3.5);
    ck_assert (m.ymax == 0.0 + 0.5 * (d * 1080.0));
    //  Pixel (0, 0) samples half a pixel in from the top-left corner.
    ck_assert (mf_pixel_re (&m, 0) == m.xmin + 0.5 * d);
    ck_assert (mf_pixel_im (&m, 0) == m.ymax - 0.5 * d);
    //  Row 0 is at the top: the imaginary part falls with the row.
    ck_assert (mf_pixel_im (&m, 1079) < mf_pixel_im (&m, 0));
    //  The middle of an even-sized image lies between two pixels.
    ck_assert (fabs (0.5 * (mf_pixel_re (&m, 959) + mf_pixel_re (&m, 960)) - -0.75) < 1e-15);
    ck_assert (fabs (0.5 * (mf_pixel_im (&m, 539) + mf_pixel_im (&m, 540))) < 1e-15);
}
END_TEST

START_TEST (region_to_view)
{
    char err [512];
    mf_view_t view;
    double region [4] = { -2.5, 1.0, -0.984375, 0.984375 };
    ck_assert_int_eq (mf_view_from_region (region, 1920, 1080, &view, err, sizeof err), 0);
    ck_assert (view.width == 3.5);
    ck_assert (view.center_re == -0.75);
    ck_assert (view.center_im == 0.0);
    mf_mapping_t m;
    mf_view_mapping (&view, &m);
    ck_assert (m.xmin == -2.5);
    ck_assert (m.ymax == 0.984375);
}
END_TEST

START_TEST (region_aspect_mismatch)
{
    char err [512];
    mf_view_t view;
    double region [4] = { -2.5, 1.0, -1.5, 1.5 };
    ck_assert_int_eq (mf_view_from_region (region, 1920, 1080, &view, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "--region"));
    ck_assert_ptr_nonnull (strstr (err, "1920x1080"));
    //  It names the height that matches: 3.5 * 1080 / 1920.
    ck_assert_ptr_nonnull (strstr (err, "1.96875"));
    double empty [4] = { 1.0, 1.0, 0.0, 1.0 };
    ck_assert_int_eq (mf_view_from_region (empty, 10, 10, &view, err, sizeof err), -1);
    double flipped [4] = { 0.0, 1.0, 1.0, 0.0 };
    ck_assert_int_eq (mf_view_from_region (flipped, 10, 10, &view, err, sizeof err), -1);
}
END_TEST

START_TEST (width_checks)
{
    ck_assert_int_eq (mf_check_width (3.5, 1920), 0);
    ck_assert_int_eq (mf_check_width (1e-12, 1920), 0);
    ck_assert_int_eq (mf_check_width (0.0, 1920), -1);
    ck_assert_int_eq (mf_check_width (-1.0, 1920), -1);
    ck_assert_int_eq (mf_check_width (INFINITY, 1920), -1);
    ck_assert_int_eq (mf_check_width (NAN, 1920), -1);
    //  A width whose pixel pitch underflows is refused.
    ck_assert_int_eq (mf_check_width (1e-310, 1920), -1);
}
END_TEST

START_TEST (exact_formatting)
{
    //  17 significant digits read back to the same double.
    double values [] = { -0.7436438870371587, 0.1318259042053119, 3.5, 1e-10 / 3, -0.75 };
    for (size_t index = 0; index < sizeof values / sizeof values [0]; index++) {
        char text [32];
        mf_format_exact (values [index], text, sizeof text);
        double back;
        ck_assert_int_eq (mf_parse_double (text, &back), 0);
        ck_assert_msg (back == values [index], "%s", text);
    }
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("region");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, size_parsing);
    tcase_add_test (tc, number_parsing);
    tcase_add_test (tc, mapping_formulas);
    tcase_add_test (tc, region_to_view);
    tcase_add_test (tc, region_aspect_mismatch);
    tcase_add_test (tc, width_checks);
    tcase_add_test (tc, exact_formatting);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
