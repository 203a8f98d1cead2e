/*  floatexp (mf_fexp.h): exact values, and every real operation against
    MPFR's correctly rounded result at 53 bits, over exponents far beyond
    a double's range; the complex operations against their definition.
*/
#include "helpers.h"
#include "mf_fexp.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <mpfr.h>
#include <stdlib.h>

#define RANDOM_CASES 20000              //  random operands per operation

//  A small deterministic generator (xorshift64*), the same on every run.
static uint64_t s_seed = 0x9e3779b97f4a7c15ULL;

static uint64_t
s_next (void)
{
    s_seed ^= s_seed >> 12;
    s_seed ^= s_seed << 25;
    s_seed ^= s_seed >> 27;
    return s_seed * 0x2545f4914f6cdd1dULL;
}

//  A random normalised floatexp with exponent in [-range, range].
static mf_fexp_t
s_random (int64_t range)
{
    double m = 1.0 + (double) (s_next () >> 11) * 0x1p-53;
    if (s_next () & 1)
        m = -m;
    int64_t e = (int64_t) (s_next () % (uint64_t) (2 * range + 1)) - range;
    return (mf_fexp_t) { m, e };
}

static void
s_to_mpfr (mpfr_t out, mf_fexp_t a)
{
    mpfr_set_d (out, a.m, MPFR_RNDN);
    if (a.m != 0)
        mpfr_mul_2si (out, out, a.e, MPFR_RNDN);
}

//  The floatexp nearest x (MPFR's rounding to 53 bits).
static mf_fexp_t
s_from_mpfr (mpfr_t x)
{
    if (mpfr_zero_p (x))
        return mf_fexp_zero ();
    long e;
    double m = mpfr_get_d_2exp (&e, x, MPFR_RNDN);
    return mf_fexp_norm (m, e);
}

static void
s_same (mf_fexp_t got, mf_fexp_t want, const char *what)
{
    ck_assert_msg (got.m == want.m && got.e == want.e,
                   "%s: got %.17g * 2^%lld, want %.17g * 2^%lld", what,
                   got.m, (long long) got.e, want.m, (long long) want.e);
}

START_TEST (powers_and_binades)
{
    ck_assert (mf_fexp_pow2 (0) == 1.0);
    ck_assert (mf_fexp_pow2 (-1022) == DBL_MIN);
    ck_assert (mf_fexp_pow2 (1023) == 0x1p1023);
    ck_assert_int_eq (mf_fexp_ilogb (1.0), 0);
    ck_assert_int_eq (mf_fexp_ilogb (-3.0), 1);
    ck_assert_int_eq (mf_fexp_ilogb (0.75), -1);
    ck_assert_int_eq (mf_fexp_ilogb (DBL_MIN), -1022);
    ck_assert_int_eq (mf_fexp_ilogb (0x1p-1074), -1074);
    ck_assert_int_eq (mf_fexp_ilogb (0x1.8p-1060), -1060);
    ck_assert (mf_fexp_mant (0x1.8p-1060) == 1.5);
    ck_assert (mf_fexp_mant (-0x1.4p300) == -1.25);
}
END_TEST

START_TEST (scale_rounds_like_ldexp)
{
    //  ldexp is exact or correctly rounded in glibc; mf_fexp_scale must
    //  agree everywhere, subnormal results and ties included.
    static const double values [] = { 1.0, -1.5, 0x1.fffffffffffffp0, 0x1.0000000000001p0,
                                      0x1.8p0, 0x1.4p-1060, 0x1p-1074, 3.0, DBL_MAX };
    for (size_t v = 0; v < sizeof values / sizeof values [0]; v++)
        for (int k = -2300; k <= 2300; k++)
            ck_assert_msg (mf_fexp_bits (mf_fexp_scale (values [v], k))
                           == mf_fexp_bits (ldexp (values [v], k)), "%a * 2^%d", values [v], k);
    for (int index = 0; index < RANDOM_CASES; index++) {
        mf_fexp_t a = s_random (1100);
        int k = (int) (s_next () % 200) - 1100;
        ck_assert (mf_fexp_bits (mf_fexp_scale (a.m, k)) == mf_fexp_bits (ldexp (a.m, k)));
    }
}
END_TEST

START_TEST (normalise_exact_values)
{
    s_same (mf_fexp_norm (3.0, 0), (mf_fexp_t) { 1.5, 1 }, "3");
    s_same (mf_fexp_norm (-0.375, 10), (mf_fexp_t) { -1.5, 8 }, "-0.375 * 2^10");
    s_same (mf_fexp_norm (0x1.8p-1060, -5), (mf_fexp_t) { 1.5, -1065 }, "subnormal");
    s_same (mf_fexp_norm (0.0, 77), (mf_fexp_t) { 0.0, MF_FEXP_ZERO_E }, "zero");
    s_same (mf_fexp_norm (-0.0, 77), (mf_fexp_t) { 0.0, MF_FEXP_ZERO_E }, "minus zero");
    s_same (mf_fexp_from_double (DBL_MAX), (mf_fexp_t) { 0x1.fffffffffffffp0, 1023 }, "max");
    ck_assert (mf_fexp_to_double ((mf_fexp_t) { 1.5, -1070 }) == 0x1.8p-1070);
    ck_assert (mf_fexp_to_double ((mf_fexp_t) { 1.5, -1075 }) == 0x1p-1074);  //  rounds up
    ck_assert (mf_fexp_to_double ((mf_fexp_t) { 1.0, -1075 }) == 0.0);        //  tie to even
    ck_assert (mf_fexp_to_double ((mf_fexp_t) { 1.0, -5000 }) == 0.0);
    ck_assert (isinf (mf_fexp_to_double ((mf_fexp_t) { 1.0, 1024 })));
    //  Complex: the larger part sets the exponent, the smaller is rounded.
    mf_fexpc_t c = mf_fexpc_norm (6.0, -0.75, 3);
    ck_assert (c.re == 1.5 && c.im == -0.1875 && c.e == 5);
    c = mf_fexpc_norm (0x1p-1070, 1.0, 0);
    ck_assert (c.re == 0x1p-1070 && c.im == 1.0 && c.e == 0);
    c = mf_fexpc_norm (3.0, 0x1p-1073, 0);                   //  2^-1074 after scaling
    ck_assert (c.re == 1.5 && c.im == 0x1p-1074 && c.e == 1);
    c = mf_fexpc_norm (0.0, -0.0, 9);
    ck_assert (mf_fexpc_is_zero (c) && c.e == MF_FEXP_ZERO_E);
    //  from two floatexps far apart: the smaller part drops to zero.
    c = mf_fexpc_from ((mf_fexp_t) { 1.25, 5000 }, (mf_fexp_t) { -1.5, 3000 });
    ck_assert (c.re == 1.25 && c.im == 0.0 && c.e == 5000);
    c = mf_fexpc_from ((mf_fexp_t) { 1.25, -5000 }, (mf_fexp_t) { -1.5, -5002 });
    ck_assert (c.re == 1.25 && c.im == -0.375 && c.e == -5000);
}
END_TEST

//  One real operation against MPFR over random operands.
typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT } s_op_t;

static void
s_check_op (s_op_t op, int64_t range)
{
    mpfr_t a, b, r;
    mpfr_inits2 (200, a, b, r, (mpfr_ptr) 0);
    for (int index = 0; index < RANDOM_CASES; index++) {
        mf_fexp_t x = s_random (range), y = s_random (range);
        //  Sums of nearby exponents too, where cancellation happens.
        if (op <= OP_SUB && (index & 1))
            y.e = x.e + (int64_t) (s_next () % 5) - 2;
        if (index % 97 == 0)
            y = mf_fexp_zero ();
        if (op == OP_DIV && mf_fexp_is_zero (y))
            y = x;
        if (op == OP_SQRT)
            x = mf_fexp_abs (x);
        s_to_mpfr (a, x);
        s_to_mpfr (b, y);
        mf_fexp_t got;
        //  200 bits hold every exact sum of two 53-bit values up to a few
        //  hundred binades apart; farther apart the larger one is the
        //  answer at both precisions.
        switch (op) {
            case OP_ADD: got = mf_fexp_add (x, y); mpfr_add (r, a, b, MPFR_RNDN); break;
            case OP_SUB: got = mf_fexp_sub (x, y); mpfr_sub (r, a, b, MPFR_RNDN); break;
            case OP_MUL: got = mf_fexp_mul (x, y); mpfr_mul (r, a, b, MPFR_RNDN); break;
            case OP_DIV: got = mf_fexp_div (x, y); mpfr_div (r, a, b, MPFR_RNDN); break;
            default: got = mf_fexp_sqrt (x); mpfr_sqrt (r, a, MPFR_RNDN); break;
        }
        mf_fexp_t want = s_from_mpfr (r);
        ck_assert_msg (got.m == want.m && got.e == want.e,
                       "op %d: %.17g*2^%lld, %.17g*2^%lld: got %.17g*2^%lld want %.17g*2^%lld",
                       op, x.m, (long long) x.e, y.m, (long long) y.e, got.m,
                       (long long) got.e, want.m, (long long) want.e);
    }
    mpfr_clears (a, b, r, (mpfr_ptr) 0);
}

START_TEST (real_operations_are_correctly_rounded)
{
    //  Exponents far beyond a double's, and within a few binades (where
    //  sums cancel).
    for (s_op_t op = OP_ADD; op <= OP_SQRT; op++) {
        s_check_op (op, 100000);
        s_check_op (op, 3);
    }
}
END_TEST

START_TEST (compare_orders_every_value)
{
    mf_fexp_t ordered [] = {
        { -1.5, 10 }, { -1.0, 10 }, { -1.75, 3 }, { -1.0, -9000 }, { 0.0, MF_FEXP_ZERO_E },
        { 1.0, -9000 }, { 1.999, -9000 }, { 1.0, 0 }, { 1.5, 0 }, { 1.0, 9000 }
    };
    size_t count = sizeof ordered / sizeof ordered [0];
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < count; j++) {
            int want = i < j? -1: i > j;
            ck_assert_int_eq (mf_fexp_cmp (ordered [i], ordered [j]), want);
        }
    s_same (mf_fexp_min (ordered [3], ordered [5]), ordered [3], "min");
    s_same (mf_fexp_max (ordered [3], ordered [5]), ordered [5], "max");
}
END_TEST

START_TEST (complex_operations_follow_their_definition)
{
    for (int index = 0; index < RANDOM_CASES; index++) {
        mf_fexp_t ar = s_random (5000), ai = s_random (5000);
        mf_fexp_t br = s_random (5000), bi = s_random (5000);
        ai.e = ar.e + (int64_t) (s_next () % 80) - 40;
        bi.e = br.e + (int64_t) (s_next () % 80) - 40;
        mf_fexpc_t a = mf_fexpc_from (ar, ai), b = mf_fexpc_from (br, bi);
        //  The product, by the formula of mf_fexpc_mul written out.
        mf_fexpc_t p = mf_fexpc_mul (a, b);
        double re = fma (a.re, b.re, -(a.im * b.im));
        double im = fma (a.re, b.im, a.im * b.re);
        mf_fexpc_t want = mf_fexpc_norm (re, im, a.e + b.e);
        ck_assert (p.re == want.re && p.im == want.im && p.e == want.e);
        //  The product is close to the exact one (a few ulps of |a||b|).
        double scale = ldexp (1.0, (int) (p.e - a.e - b.e));
        double exact_re = ((long double) a.re * b.re - (long double) a.im * b.im);
        ck_assert (fabs (p.re * scale - exact_re) <= 0x1p-50 * 8);
        //  The sum: aligned onto the larger exponent, then added.
        mf_fexpc_t s = mf_fexpc_add (a, b);
        mf_fexpc_t big = a.e >= b.e? a: b, small = a.e >= b.e? b: a;
        double align = small.e - big.e < -1022? 0.0: ldexp (1.0, (int) (small.e - big.e));
        want = mf_fexpc_norm (big.re + small.re * align, big.im + small.im * align, big.e);
        ck_assert (s.re == want.re && s.im == want.im && s.e == want.e);
        //  The raw sum is the same sum before normalising.
        mf_fexpc_t raw = mf_fexpc_add_raw (a, b);
        ck_assert (raw.e == big.e && raw.re == big.re + small.re * align
                   && raw.im == big.im + small.im * align);
        mf_fexpc_t again = mf_fexpc_norm (raw.re, raw.im, raw.e);
        ck_assert (again.re == s.re && again.im == s.im && again.e == s.e);
        //  Normalised results.
        double mag = fmax (fabs (s.re), fabs (s.im));
        ck_assert (mf_fexpc_is_zero (s) || (mag >= 1.0 && mag < 2.0));
    }
    //  |3 + 4i| = 5, |.|^2 = 25, |.|_1 = 7, at any exponent.
    mf_fexpc_t c = mf_fexpc_ldexp (mf_fexpc_from_doubles (3.0, -4.0), -70000);
    s_same (mf_fexpc_abs (c), (mf_fexp_t) { 1.25, 2 - 70000 }, "abs");
    s_same (mf_fexpc_norm2 (c), (mf_fexp_t) { 1.5625, 4 - 140000 }, "norm2");
    s_same (mf_fexpc_norm1 (c), (mf_fexp_t) { 1.75, 2 - 70000 }, "norm1");
    s_same (mf_fexpc_re (c), (mf_fexp_t) { 1.5, 1 - 70000 }, "re");
    s_same (mf_fexpc_im (c), (mf_fexp_t) { -1.0, 2 - 70000 }, "im");
    ck_assert (mf_fexpc_re_double (mf_fexpc_ldexp (c, 70000)) == 3.0);
    //  Zero absorbs.
    ck_assert (mf_fexpc_is_zero (mf_fexpc_mul (c, mf_fexpc_zero ())));
    mf_fexpc_t sum = mf_fexpc_add (mf_fexpc_zero (), c);
    ck_assert (sum.re == c.re && sum.im == c.im && sum.e == c.e);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("fexp");
    TCase *tc = tcase_create ("fexp");
    tcase_add_test (tc, powers_and_binades);
    tcase_add_test (tc, scale_rounds_like_ldexp);
    tcase_add_test (tc, normalise_exact_values);
    tcase_add_test (tc, real_operations_are_correctly_rounded);
    tcase_add_test (tc, compare_orders_every_value);
    tcase_add_test (tc, complex_operations_follow_their_definition);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
