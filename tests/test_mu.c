/*  The smooth value mu and the deterministic log2 behind it. */
#include "helpers.h"
#include "mf_mu.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

START_TEST (log2_exact_on_powers_of_two)
{
    for (int k = -1000; k <= 1000; k += 7)
        ck_assert_msg (mf_log2 (ldexp (1.0, k)) == (double) k, "2^%d", k);
}
END_TEST

START_TEST (log2_accuracy)
{
    //  Against libm over a wide spread of magnitudes: within a few ulps.
    srand (12345);
    for (int index = 0; index < 200000; index++) {
        double x = ldexp (0.5 + (double) rand () / RAND_MAX, rand () % 200 - 100);
        double want = log2 (x), got = mf_log2 (x);
        double scale = fabs (want) > 1.0? fabs (want): 1.0;
        ck_assert_msg (fabs (got - want) <= 4e-16 * scale, "x=%.17g got %.17g want %.17g",
                       x, got, want);
    }
    //  Near 1 the error is relative to the (small) result.
    for (double eps = 1e-3; eps > 1e-15; eps /= 10) {
        double want = log2 (1.0 + eps), got = mf_log2 (1.0 + eps);
        ck_assert_msg (fabs (got - want) <= 4e-16 * fabs (want), "1+%g", eps);
    }
}
END_TEST

START_TEST (mu_formula)
{
    //  |z_n| = 256 exactly (just at the radius) gives mu = n, and
    //  |z_n| = 65536 gives mu = n - 1: the two ends of the interval.
    ck_assert (mf_mu (7, 256.0, 0.0) == 7.0f);
    ck_assert (mf_mu (7, 0.0, 65536.0) == 6.0f);
    //  In between, mu falls as |z_n| grows.
    float previous = 8.0f;
    for (double r = 257.0; r < 65536.0; r *= 1.5) {
        float mu = mf_mu (8, r * 0.6, r * 0.8);
        ck_assert (mu <= previous && mu >= 7.0f && mu <= 8.0f);
        previous = mu;
    }
    //  The formula itself, against libm, for one value.
    double x = 300.0, y = 400.0;          //  |z| = 500
    double want = 12.0 - log2 (log (500.0) / log (256.0));
    ck_assert (fabs (mf_mu (12, x, y) - want) < 1e-5);
    //  Clamped: beyond 256^2 it stays at n - 1; infinity and NaN too.
    ck_assert (mf_mu (3, 1e200, 0.0) == 2.0f);
    ck_assert (mf_mu (3, INFINITY, 0.0) == 2.0f);
    ck_assert (mf_mu (3, NAN, 0.0) == 2.0f);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("mu");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, log2_exact_on_powers_of_two);
    tcase_add_test (tc, log2_accuracy);
    tcase_add_test (tc, mu_formula);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
