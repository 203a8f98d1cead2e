/*  mf_mu: see mf_mu.h. */
#include "mf_mu.h"

#include <math.h>

double
mf_log2 (double x)
{
    //  x = m * 2^e with m in [sqrt(1/2), sqrt(2)): frexp is exact.
    int e;
    double m = frexp (x, &e);
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e -= 1;
    }
    //  ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1),
    //  |s| <= 0.1716, so eleven terms reach below 1e-17.
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 1.0 / 23.0;
    p = fma (p, s2, 1.0 / 21.0);
    p = fma (p, s2, 1.0 / 19.0);
    p = fma (p, s2, 1.0 / 17.0);
    p = fma (p, s2, 1.0 / 15.0);
    p = fma (p, s2, 1.0 / 13.0);
    p = fma (p, s2, 1.0 / 11.0);
    p = fma (p, s2, 1.0 / 9.0);
    p = fma (p, s2, 1.0 / 7.0);
    p = fma (p, s2, 1.0 / 5.0);
    p = fma (p, s2, 1.0 / 3.0);
    p = fma (p, s2, 1.0);
    double ln_m = 2.0 * s * p;
    return (double) e + ln_m * 1.44269504088896340736;     //  1 / ln 2
}

float
mf_mu (uint32_t n, double x, double y)
{
    double mag = fma (x, x, y * y);
    //  An infinite |z| (|c| beyond 1e154) lands on n - 1, like every huge one.
    double mu = isfinite (mag)? (double) n + 4.0 - mf_log2 (mf_log2 (mag)): -1.0;
    //  NaN-safe clamp to [n-1, n].
    if (!(mu >= (double) n - 1.0))
        mu = (double) n - 1.0;
    if (mu > (double) n)
        mu = (double) n;
    return (float) mu;
}

double
mf_mu_double (uint32_t n, double x, double y)
{
    double mag = fma (x, x, y * y);
    double mu = isfinite (mag)? (double) n + 4.0 - mf_log2 (mf_log2 (mag)): -1.0;
    if (!(mu >= (double) n - 1.0))
        mu = (double) n - 1.0;
    if (mu > (double) n)
        mu = (double) n;
    return mu;
}
