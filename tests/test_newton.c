/*  mf_newton: periods by the ball method, nuclei by Newton, sizes, on
    minibrots whose values are known: the period-3 "airplane" at
    -1.7548776662466927600495088963585286918946066177834..., the period-2
    bulb's center -1, the period-3 bulbs at -0.1225611668766536 +-
    0.7448617666197442 i; and a deep one, the period-86614 minibrot under
    the e50 location, found from the view alone and checked by its orbit
    returning to 0.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_newton.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

//  radius 10^e as floatexp, exactly enough for a test.
static mf_fexp_t
s_radius (double mantissa, int e10)
{
    return mf_fexp_mul (mf_fexp_from_double (mantissa),
                        mf_fexp_from_double (pow (10.0, e10)));
}

START_TEST (periods_of_known_components)
{
    mpfr_t re, im;
    mpfr_inits2 (128, re, im, (mpfr_ptr) 0);
    uint64_t period;
    struct { const char *re, *im; double r; int e; uint64_t want; } cases [] = {
        { "0", "0", 1, -3, 1 },                     //  the main cardioid's nucleus
        { "-1.01", "0.002", 5, -2, 2 },             //  the period-2 bulb's, within 0.05
        { "-1.7549", "0", 1, -3, 3 },               //  the airplane's
        { "-0.1225", "0.7449", 1, -3, 3 },          //  the upper period-3 bulb's
        { "-0.1225", "-0.7449", 1, -3, 3 },         //  and the lower one's
        { "-1.7549", "0", 1, 0, 2 },                //  a ball of radius 1 holds -1 first
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        mpfr_set_str (re, cases [index].re, 10, MPFR_RNDN);
        mpfr_set_str (im, cases [index].im, 10, MPFR_RNDN);
        ck_assert_int_eq (mf_newton_period (re, im, s_radius (cases [index].r, cases [index].e),
                                            1000, &period), 0);
        ck_assert_msg (period == cases [index].want, "case %zu: period %llu, want %llu", index,
                       (unsigned long long) period, (unsigned long long) cases [index].want);
    }
    //  Outside the set, far from any nucleus: the ball escapes.
    mpfr_set_str (re, "0.5", 10, MPFR_RNDN);
    mpfr_set_str (im, "0.5", 10, MPFR_RNDN);
    ck_assert_int_eq (mf_newton_period (re, im, s_radius (1, -6), 1000, &period), -1);
    //  The limit is obeyed: period 3 is not found below 3.
    mpfr_set_str (re, "-1.7549", 10, MPFR_RNDN);
    mpfr_set_zero (im, 1);
    ck_assert_int_eq (mf_newton_period (re, im, s_radius (1, -3), 2, &period), -1);
    mpfr_clears (re, im, (mpfr_ptr) 0);
}
END_TEST

START_TEST (nuclei_of_known_components)
{
    mpfr_t re, im, want;
    mpfr_inits2 (256, re, im, want, (mpfr_ptr) 0);
    //  The airplane, real, a root of c^3 + 2c^2 + c + 1 (z_3 = c (c^3 +
    //  2c^2 + c + 1)): its first 40 digits, and the cubic at 256 bits.
    mpfr_set_str (re, "-1.75", 10, MPFR_RNDN);
    mpfr_set_zero (im, 1);
    int steps = mf_newton_nucleus (re, im, 3, 50);
    ck_assert_int_gt (steps, 0);
    ck_assert (mpfr_zero_p (im));
    mpfr_set_str (want, "-1.754877666246692760049508896358528691894", 10, MPFR_RNDN);
    mpfr_sub (want, want, re, MPFR_RNDN);
    ck_assert (mpfr_get_exp (want) < -128);        //  1e-39 is 2^-129.6
    mpfr_t cubic;
    mpfr_init2 (cubic, 256);
    mpfr_add_ui (cubic, re, 2, MPFR_RNDN);         //  ((c + 2) c + 1) c + 1
    mpfr_mul (cubic, cubic, re, MPFR_RNDN);
    mpfr_add_ui (cubic, cubic, 1, MPFR_RNDN);
    mpfr_mul (cubic, cubic, re, MPFR_RNDN);
    mpfr_add_ui (cubic, cubic, 1, MPFR_RNDN);
    ck_assert (mpfr_zero_p (cubic) || mpfr_get_exp (cubic) < -248);
    mpfr_clear (cubic);
    //  The period-2 bulb's center, -1, exactly representable: reached.
    mpfr_set_str (re, "-0.9", 10, MPFR_RNDN);
    mpfr_set_str (im, "0.05", 10, MPFR_RNDN);
    ck_assert_int_gt (mf_newton_nucleus (re, im, 2, 50), 0);
    mpfr_add_ui (want, re, 1, MPFR_RNDN);
    ck_assert (mpfr_zero_p (want) || mpfr_get_exp (want) < -240);
    ck_assert (mpfr_zero_p (im) || mpfr_get_exp (im) < -240);
    //  The upper period-3 bulb: c^3 + 2c^2 + c + 1 = 0's complex root.
    mpfr_set_str (re, "-0.12", 10, MPFR_RNDN);
    mpfr_set_str (im, "0.74", 10, MPFR_RNDN);
    ck_assert_int_gt (mf_newton_nucleus (re, im, 3, 50), 0);
    ck_assert (fabs (mpfr_get_d (re, MPFR_RNDN) + 0.12256116687665361) < 1e-15);
    ck_assert (fabs (mpfr_get_d (im, MPFR_RNDN) - 0.74486176661974424) < 1e-15);
    //  No convergence in one step from far away.
    mpfr_set_str (re, "-1.5", 10, MPFR_RNDN);
    mpfr_set_zero (im, 1);
    ck_assert_int_eq (mf_newton_nucleus (re, im, 3, 1), -1);
    mpfr_clears (re, im, want, (mpfr_ptr) 0);
}
END_TEST

START_TEST (sizes_of_known_components)
{
    //  The main cardioid (period 1): size 1; the period-2 bulb: 1/2 (the
    //  formula's value: z_1 = -1, l = -2, b = 1/2); the airplane about
    //  0.019 (its cardioid spans -1.786 .. -1.7469).
    mpfr_t re, im;
    mpfr_inits2 (256, re, im, (mpfr_ptr) 0);
    mf_fexp_t size;
    double angle;
    mpfr_set_zero (re, 1);
    mpfr_set_zero (im, 1);
    ck_assert_int_eq (mf_newton_size (re, im, 1, &size, &angle), 0);
    ck_assert (fabs (mf_fexp_to_double (size) - 1.0) < 1e-12 && fabs (angle) < 1e-12);
    mpfr_set_si (re, -1, MPFR_RNDN);
    ck_assert_int_eq (mf_newton_size (re, im, 2, &size, &angle), 0);
    ck_assert (fabs (mf_fexp_to_double (size) - 0.5) < 1e-12);
    mpfr_set_str (re, "-1.75", 10, MPFR_RNDN);
    ck_assert_int_gt (mf_newton_nucleus (re, im, 3, 50), 0);
    ck_assert_int_eq (mf_newton_size (re, im, 3, &size, &angle), 0);
    double s = mf_fexp_to_double (size);
    ck_assert_msg (s > 0.018 && s < 0.020, "airplane size %g", s);
    //  Not a nucleus of that period: z_1 = 0 at c = 0 makes l 0.
    mpfr_set_zero (re, 1);
    ck_assert_int_eq (mf_newton_size (re, im, 3, &size, &angle), -1);
    mpfr_clears (re, im, (mpfr_ptr) 0);
}
END_TEST

START_TEST (a_deep_minibrot_from_its_view)
{
    //  Under the e50 view (height 4e-50), the lowest period within 2e-50
    //  of its center; Newton at 400 bits to a point that Newton no longer
    //  moves (by more than 2^-380); its size is far below the view's; and
    //  its orbit comes back close to 0 at the period only (not before).
    const char *comma = strchr (LOC_E50_CENTER, ',');
    char *text = strndup (LOC_E50_CENTER, (size_t) (comma - LOC_E50_CENTER));
    mpfr_t re, im, x, y, t, s, d;
    mpfr_inits2 (400, re, im, x, y, t, s, d, (mpfr_ptr) 0);
    mpfr_set_str (re, text, 10, MPFR_RNDN);
    mpfr_set_str (im, comma + 1, 10, MPFR_RNDN);
    free (text);
    uint64_t period;
    ck_assert_int_eq (mf_newton_period (re, im, s_radius (2, -50), 1000000, &period), 0);
    ck_assert_int_eq (period, 86614);
    ck_assert_int_gt (mf_newton_nucleus (re, im, period, 30), 0);
    mf_fexp_t size;
    double angle;
    ck_assert_int_eq (mf_newton_size (re, im, period, &size, &angle), 0);
    double log10_size = ((double) size.e + log2 (size.m)) * log10 (2.0);
    ck_assert_msg (log10_size > -61 && log10_size < -58, "size 1e%.2f", log10_size);
    mpfr_t re2, im2;
    mpfr_inits2 (400, re2, im2, (mpfr_ptr) 0);
    mpfr_set (re2, re, MPFR_RNDN);
    mpfr_set (im2, im, MPFR_RNDN);
    ck_assert_int_eq (mf_newton_nucleus (re2, im2, period, 1), 1);
    mpfr_sub (re2, re2, re, MPFR_RNDN);
    mpfr_sub (im2, im2, im, MPFR_RNDN);
    ck_assert (mpfr_zero_p (re2) || mpfr_get_exp (re2) < -380);
    ck_assert (mpfr_zero_p (im2) || mpfr_get_exp (im2) < -380);
    mpfr_clears (re2, im2, (mpfr_ptr) 0);
    //  |z_n| stays above 2^-100 before the period; |z_p| is far smaller.
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    for (uint64_t n = 1; n <= period; n++) {
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, re, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, im, MPFR_RNDN);
        long ex = mpfr_zero_p (x)? -100000: mpfr_get_exp (x);
        long ey = mpfr_zero_p (y)? -100000: mpfr_get_exp (y);
        long e = ex > ey? ex: ey;
        if (n < period)
            ck_assert_msg (e > -100, "|z_%llu| below 2^-100", (unsigned long long) n);
        else
            ck_assert_msg (e < -150, "|z_p| is 2^%ld", e);
    }
    mpfr_clears (re, im, x, y, t, s, d, (mpfr_ptr) 0);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("newton");
    TCase *tc = tcase_create ("newton");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, periods_of_known_components);
    tcase_add_test (tc, nuclei_of_known_components);
    tcase_add_test (tc, sizes_of_known_components);
    tcase_add_test (tc, a_deep_minibrot_from_its_view);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
