/*  The smooth value mu and the deterministic log2 behind it, and the
    algorithm docs/PROTOCOL.md writes out for them ("mu, bit for bit"),
    implemented here a second time from that text alone and compared with
    mf_mu bit for bit. */
#include "helpers.h"
#include "mf_mu.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

//  LOG2 as docs/PROTOCOL.md states it, step by step, written from the
//  document: the split into m * 2^e by the exponent bits (the document
//  asks for frexp's result, not for frexp), the constants as the
//  document's hex-float literals, the fma chain as a loop over its table.
static double
s_doc_log2 (double v)
{
    //  1. v = m * 2^e, m in [0.5, 1): for a normal v, the biased exponent
    //  field is e + 1022, and m is v's mantissa under the field 1022.
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    int e = (int) ((bits >> 52) & 0x7ff) - 1022;
    bits = (bits & 0x000fffffffffffffULL) | (uint64_t) 1022 << 52;
    double m;
    memcpy (&m, &bits, sizeof m);
    //  2. Into [sqrt(1/2), sqrt(2)).
    if (m < 0x1.6a09e667f3bcdp-1) {
        m = 2.0 * m;
        e = e - 1;
    }
    //  3. and 4.
    double difference = m - 1.0;
    double sum = m + 1.0;
    double s = difference / sum;
    double s2 = s * s;
    //  5. The table, k = 21 down to 1.
    static const double table [11] = {
        0x1.8618618618618p-5, 0x1.af286bca1af28p-5, 0x1.e1e1e1e1e1e1ep-5,
        0x1.1111111111111p-4, 0x1.3b13b13b13b14p-4, 0x1.745d1745d1746p-4,
        0x1.c71c71c71c71cp-4, 0x1.2492492492492p-3, 0x1.999999999999ap-3,
        0x1.5555555555555p-2, 0x1p+0
    };
    double p = 0x1.642c8590b2164p-5;
    for (int k = 0; k < 11; k++)
        p = fma (p, s2, table [k]);
    //  6. and 7.: two roundings each, no fma.
    double twice = 2.0 * s;
    double l = twice * p;
    double scaled = l * 0x1.71547652b82fep+0;
    return (double) e + scaled;
}

//  mu as docs/PROTOCOL.md states it; *l2 is LOG2(LOG2(q)) on the way (the
//  rounding to f32 hides most differences there: it is compared too).
static float
s_doc_mu (uint32_t n, double x, double y, double *l2)
{
    double yy = y * y;
    double q = fma (x, x, yy);
    double t = -1.0;
    *l2 = 0.0;
    if (isfinite (q)) {
        double l1 = s_doc_log2 (q);
        *l2 = s_doc_log2 (l1);
        double n4 = (double) n + 4.0;
        t = n4 - *l2;
    }
    double lo = (double) n - 1.0;
    if (!(t >= lo))
        t = lo;
    if (t > (double) n)
        t = (double) n;
    return (float) t;
}

static uint64_t s_state = 0x2545f4914f6cdd1dULL;

static uint64_t
s_next (void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

//  A uniform double in [0, 1).
static double
s_unit (void)
{
    return (double) (s_next () >> 11) * 0x1p-53;
}

START_TEST (documented_log2_is_mf_log2)
{
    //  Positive normal doubles of every exponent, random mantissas, and
    //  the neighbours of sqrt(1/2) where step 2 decides.
    for (int index = 0; index < 1000000; index++) {
        uint64_t bits = (s_next () & 0x000fffffffffffffULL)
                      | (uint64_t) (1 + s_next () % 2046) << 52;
        double v;
        memcpy (&v, &bits, sizeof v);
        if (index < 64)
            v = nextafter (0x1.6a09e667f3bcdp-1, index % 2? 0.0: 1.0) * ldexp (1.0, index - 32);
        double want = mf_log2 (v), got = s_doc_log2 (v);
        //  Not ck_assert in the loop: each one costs Check a message.
        if (memcmp (&want, &got, sizeof want))
            ck_abort_msg ("v=%a: mf_log2 %a, document %a", v, want, got);
    }
}
END_TEST

START_TEST (documented_mu_is_mf_mu)
{
    //  A million escaped pixels: |z_n|^2 from just past 65536 to the
    //  largest an escape can bring (|c| far beyond the view) and beyond,
    //  any direction, any n; and a few whose |z|^2 overflows.
    int compared = 0;
    for (int index = 0; index < 1000000; index++) {
        double exponent = index % 100 == 0? 16.0 + 1000.0 * s_unit ()
                        : 16.0 + 48.0 * s_unit () * s_unit ();
        double r = sqrt (exp2 (exponent));
        double angle = 6.283185307179586 * s_unit ();
        double x = r * cos (angle), y = r * sin (angle);
        if (index % 1000 == 1)
            x = 1e200;
        if (!(fma (x, x, y * y) > 65536.0))
            continue;                   //  not an escape
        uint32_t n = 1 + (uint32_t) (s_next () % (index % 3? 100000: 0xfffffffeu));
        double doc_l2, q = fma (x, x, y * y);
        float want = mf_mu (n, x, y), got = s_doc_mu (n, x, y, &doc_l2);
        if (memcmp (&want, &got, sizeof want))
            ck_abort_msg ("n=%u x=%a y=%a: mf_mu %a, document %a", n, x, y, want, got);
        double l2 = isfinite (q)? mf_log2 (mf_log2 (q)): 0.0;
        if (memcmp (&l2, &doc_l2, sizeof l2))
            ck_abort_msg ("x=%a y=%a: log2(log2) %a, document %a", x, y, l2, doc_l2);
        compared++;
    }
    ck_assert_int_gt (compared, 990000);
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
    tcase_add_test (tc, documented_log2_is_mf_log2);
    tcase_add_test (tc, documented_mu_is_mf_mu);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
