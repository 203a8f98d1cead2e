/*  mf_newton: see mf_newton.h. */
#include "mf_newton.h"

#include <math.h>

#define BALL_ESCAPE 2.0                 //  |Z_n| - r_n beyond this: the whole ball escapes
#define ROUND_UP (1.0 + 0x1p-50)        //  margin on the ball's bound, per step

//  An MPFR value rounded once to 53 bits, as floatexp (0 below 2^-(2^40)).
static mf_fexp_t
s_fexp (mpfr_srcptr x)
{
    if (mpfr_zero_p (x))
        return mf_fexp_zero ();
    long e;
    double m = mpfr_get_d_2exp (&e, x, MPFR_RNDN);
    if (e < -(INT64_C (1) << 40) || e > (INT64_C (1) << 40))
        return mf_fexp_zero ();
    return mf_fexp_norm (m, e);
}

//  1 / a for a not zero: conj (a) / |a|^2.
static mf_fexpc_t
s_inverse (mf_fexpc_t a)
{
    mf_fexp_t n = mf_fexpc_norm2 (a);
    return mf_fexpc_from (mf_fexp_div (mf_fexpc_re (a), n), mf_fexp_neg (mf_fexp_div (mf_fexpc_im (a), n)));
}

int
mf_newton_period (mpfr_srcptr cre, mpfr_srcptr cim, mf_fexp_t radius, uint64_t maxperiod,
                  uint64_t *period)
{
    assert (radius.m > 0);
    mpfr_prec_t precision = mpfr_get_prec (cre) > mpfr_get_prec (cim)?
                            mpfr_get_prec (cre): mpfr_get_prec (cim);
    mpfr_t x, y, s, d, t;
    mpfr_inits2 (precision, x, y, s, d, t, (mpfr_ptr) 0);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    const mf_fexp_t two = mf_fexp_from_double (2.0), up = mf_fexp_from_double (ROUND_UP);
    const mf_fexp_t down = mf_fexp_from_double (1.0 - 0x1p-50);
    mf_fexp_t r = mf_fexp_zero (), zabs = mf_fexp_zero ();
    int status = -1;
    for (uint64_t n = 1; n <= maxperiod; n++) {
        //  The bound first, from |Z_{n-1}|, then Z_n = Z_{n-1}^2 + C.
        r = mf_fexp_mul (mf_fexp_add (mf_fexp_mul (r, mf_fexp_add (mf_fexp_mul (two, zabs), r)),
                                      radius), up);
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, cre, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, cim, MPFR_RNDN);
        zabs = mf_fexpc_abs (mf_fexpc_from (s_fexp (x), s_fexp (y)));
        //  |Z_n| shrunk by the rounding's margin: a ball that might hold 0
        //  is taken to hold it.
        if (mf_fexp_cmp (mf_fexp_mul (zabs, down), r) <= 0) {
            *period = n;
            status = 0;
            break;
        }
        if (mf_fexp_cmp (mf_fexp_sub (zabs, r), mf_fexp_from_double (BALL_ESCAPE)) > 0)
            break;
    }
    mpfr_clears (x, y, s, d, t, (mpfr_ptr) 0);
    return status;
}

int
mf_newton_nucleus (mpfr_ptr re, mpfr_ptr im, uint64_t period, int steps)
{
    assert (period >= 1);
    mpfr_prec_t precision = mpfr_get_prec (re) > mpfr_get_prec (im)?
                            mpfr_get_prec (re): mpfr_get_prec (im);
    mpfr_t x, y, dx, dy, s, d, t, u, n2;
    mpfr_inits2 (precision, x, y, dx, dy, s, d, t, u, n2, (mpfr_ptr) 0);
    int taken = -1;
    for (int step = 1; step <= steps; step++) {
        //  z_p (c) and its derivative dz_p, from z_0 = dz_0 = 0.
        mpfr_set_zero (x, 1);
        mpfr_set_zero (y, 1);
        mpfr_set_zero (dx, 1);
        mpfr_set_zero (dy, 1);
        for (uint64_t n = 1; n <= period; n++) {
            //  dz := 2 z dz + 1, with the old z.
            mpfr_mul (s, x, dx, MPFR_RNDN);
            mpfr_mul (t, y, dy, MPFR_RNDN);
            mpfr_sub (s, s, t, MPFR_RNDN);
            mpfr_mul (t, x, dy, MPFR_RNDN);
            mpfr_mul (u, y, dx, MPFR_RNDN);
            mpfr_add (t, t, u, MPFR_RNDN);
            mpfr_mul_2ui (dx, s, 1, MPFR_RNDN);
            mpfr_add_ui (dx, dx, 1, MPFR_RNDN);
            mpfr_mul_2ui (dy, t, 1, MPFR_RNDN);
            //  z := z^2 + c.
            mpfr_add (s, x, y, MPFR_RNDN);
            mpfr_sub (d, x, y, MPFR_RNDN);
            mpfr_mul (t, x, y, MPFR_RNDN);
            mpfr_mul (x, s, d, MPFR_RNDN);
            mpfr_add (x, x, re, MPFR_RNDN);
            mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
            mpfr_add (y, t, im, MPFR_RNDN);
        }
        //  c -= z / dz = z conj (dz) / |dz|^2.
        mpfr_sqr (n2, dx, MPFR_RNDN);
        mpfr_sqr (t, dy, MPFR_RNDN);
        mpfr_add (n2, n2, t, MPFR_RNDN);
        if (mpfr_zero_p (n2) || !mpfr_number_p (n2))
            break;
        mpfr_mul (s, x, dx, MPFR_RNDN);
        mpfr_mul (t, y, dy, MPFR_RNDN);
        mpfr_add (s, s, t, MPFR_RNDN);
        mpfr_mul (t, y, dx, MPFR_RNDN);
        mpfr_mul (u, x, dy, MPFR_RNDN);
        mpfr_sub (t, t, u, MPFR_RNDN);
        mpfr_div (s, s, n2, MPFR_RNDN);
        mpfr_div (t, t, n2, MPFR_RNDN);
        if (!mpfr_number_p (s) || !mpfr_number_p (t))
            break;
        mpfr_sub (re, re, s, MPFR_RNDN);
        mpfr_sub (im, im, t, MPFR_RNDN);
        //  Converged when the step is below 2^-(precision - 8) of |c| + 1.
        mpfr_abs (s, s, MPFR_RNDN);
        mpfr_abs (t, t, MPFR_RNDN);
        mpfr_add (s, s, t, MPFR_RNDN);
        mpfr_abs (u, re, MPFR_RNDN);
        mpfr_abs (d, im, MPFR_RNDN);
        mpfr_add (u, u, d, MPFR_RNDN);
        mpfr_add_ui (u, u, 1, MPFR_RNDN);
        mpfr_mul_2si (u, u, -(long) (precision - 8), MPFR_RNDN);
        if (mpfr_cmp (s, u) <= 0) {
            taken = step;
            break;
        }
    }
    mpfr_clears (x, y, dx, dy, s, d, t, u, n2, (mpfr_ptr) 0);
    return taken;
}

int
mf_newton_size (mpfr_srcptr re, mpfr_srcptr im, uint64_t period, mf_fexp_t *size,
                double *angle)
{
    assert (period >= 1);
    mpfr_prec_t precision = mpfr_get_prec (re) > mpfr_get_prec (im)?
                            mpfr_get_prec (re): mpfr_get_prec (im);
    mpfr_t x, y, s, d, t;
    mpfr_inits2 (precision, x, y, s, d, t, (mpfr_ptr) 0);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    const mf_fexpc_t one = mf_fexpc_from_doubles (1.0, 0.0);
    mf_fexpc_t l = one, b = one;
    int status = 0;
    for (uint64_t n = 1; n < period; n++) {
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, re, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, im, MPFR_RNDN);
        mf_fexpc_t z = mf_fexpc_from (s_fexp (x), s_fexp (y));
        l = mf_fexpc_mul (mf_fexpc_ldexp (z, 1), l);
        if (mf_fexpc_is_zero (l)) {
            status = -1;
            break;
        }
        b = mf_fexpc_add (b, s_inverse (l));
    }
    mpfr_clears (x, y, s, d, t, (mpfr_ptr) 0);
    mf_fexpc_t bl2 = mf_fexpc_mul (b, mf_fexpc_mul (l, l));
    if (status || mf_fexpc_is_zero (bl2))
        return -1;
    mf_fexpc_t inv = s_inverse (bl2);
    *size = mf_fexpc_abs (inv);
    *angle = atan2 (inv.im, inv.re);
    return 0;
}
