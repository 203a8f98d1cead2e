/*  mf_newton: minibrots near a point, found from the point and a radius
    alone: the period of the lowest-period nucleus within the radius (the
    ball method), the nucleus itself (Newton's method in MPFR), and the
    minibrot's size and angle. For building deep views that sit near a
    minibrot (bench/deep_views.txt), and later for the master's automatic
    choices; nothing in the farm calls it yet.

    Period (ball method, after R. Munafo and C. Mandel): iterate the
    center's orbit Z_n (MPFR, at the precision of the center's numbers)
    and a bound r_n of how far the orbits of the points within radius r of
    the center can be from it: r_0 = 0 ... r_1 = r, r_{n+1} = r_n (2 |Z_n|
    + r_n) + r. The first n with |Z_n| <= r_n (the ball may hold 0, so a
    point of the disk may return to 0 after n steps) is the period. The
    bound is computed in floatexp (mf_fexp.h), rounded up at each step
    (a few ulps of margin), so the answer never misses a nucleus by
    rounding; |Z_n| comes from Z_n rounded to 53 bits.

    Nucleus: Newton on f(c) = z_p(c), z_0 = 0, z_{n+1} = z_n^2 + c, with
    f'(c) = dz_p, dz_{n+1} = 2 z_n dz_n + 1, all in MPFR at the
    precision of the given c, from the given c, until the step is below
    2^-(precision - 8) of |c| + 1, or the step count runs out.

    Size (mathr, "minibrot size estimate"): with z_n at the nucleus,
    l = prod_{n=1}^{p-1} 2 z_n and b = sum_{k=1}^{p-1} 1 / prod_{n=1}^{k}
    2 z_n, the minibrot's size is about |1 / (b l^2)| and its angle
    arg (1 / (b l^2)): the half-width of its cardioid, from the nucleus,
    is roughly that size. Computed in floatexp from the MPFR orbit.

    Everything is a function of its arguments: the same input gives the
    same output on every machine.
*/
#ifndef MF_NEWTON_H
#define MF_NEWTON_H

#include "mf_fexp.h"

#include <mpfr.h>
#include <stdint.h>

//  The period of the lowest-period nucleus within radius (> 0) of the
//  point cre + i cim. Returns 0 and sets *period, or -1 when the ball
//  escapes (|Z_n| - r_n > 2) or none is found up to maxperiod.
int mf_newton_period (mpfr_srcptr cre, mpfr_srcptr cim, mf_fexp_t radius, uint64_t maxperiod,
                      uint64_t *period);

//  Moves re + i im (their precision is kept) to the nucleus of period
//  (>= 1) that Newton's method reaches from there, in at most steps
//  steps. Returns the steps taken, or -1 when it did not converge (the
//  derivative vanished, a step was not finite, or the steps ran out);
//  re and im hold the last iterate either way.
int mf_newton_nucleus (mpfr_ptr re, mpfr_ptr im, uint64_t period, int steps);

//  The size and angle (radians) of the minibrot whose nucleus of period
//  (>= 1) is re + i im. Returns 0, or -1 when the estimate is not finite
//  (an orbit point was 0 before the period: not a nucleus of that
//  period).
int mf_newton_size (mpfr_srcptr re, mpfr_srcptr im, uint64_t period, mf_fexp_t *size,
                    double *angle);

#endif
