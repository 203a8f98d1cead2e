/*  mf_mu: the smooth iteration value of an escaped pixel, computed the same
    way on every machine.

    n is the first k in 1..maxiter with |z_k| > 256, where |z_k|^2 is
    computed as fma(x, x, y*y) and compared as !(|z|^2 <= 65536). Then

        mu = n - log2(ln|z_n| / ln 256) = n + 4 - log2(log2(|z_n|^2))

    clamped to [n-1, n] (it lies there whenever |c| < 256). Interior pixels
    have mu = -1. log2 here is our own, built from IEEE-exact operations
    and fma only, so that no libm difference between the machines of a farm
    can change a single bit of the result.
*/
#ifndef MF_MU_H
#define MF_MU_H

#include <stdint.h>

#define MF_BAILOUT_SQ 65536.0        //  256 squared: the escape radius, squared
#define MF_MU_INTERIOR (-1.0f)       //  mu of a pixel that never escaped

//  log2 of a positive finite double, to about one ulp, deterministic.
double mf_log2 (double x);

//  mu of a pixel that escaped at iteration n (n >= 1) with z_n = x + iy.
float mf_mu (uint32_t n, double x, double y);

//  The same mu as a double, for deep views: the same formula and
//  operations as mf_mu, without the final rounding to float, so it keeps
//  its fraction to 2^-20 (about 1e-6) up to n = 2^32 - 1 (a float has
//  none left above 2^24).
double mf_mu_double (uint32_t n, double x, double y);

#endif
