/*  mf_fexp: floatexp, a double mantissa with an integer exponent, for
    numbers far beyond a double's range (the deltas and reference values
    of views deeper than 1e-290), computed the same way on every machine.

    A real floatexp is m * 2^e; a complex one is (re + i im) * 2^e, one
    exponent for both parts. Normalised, the mantissa m (for a complex
    number, the larger of |re| and |im|) lies in [1, 2), or the number is
    zero: mantissas +0 and e = MF_FEXP_ZERO_E, an exponent so low that
    zero compares and aligns below every other value.

    Every operation is defined by IEEE-754 double operations on the
    mantissas (add, multiply, divide, sqrt, fma: all correctly rounded,
    the same on x86-64 and aarch64) and exact integer arithmetic on the
    exponents; powers of two are built from their bits, never by libm.
    So the same inputs give the same bits on every machine, and the SIMD
    kernels (mf_perturb_simd.h) can repeat the operations lane by lane.

    Normalising (m, e), m finite and not zero: k = floor(log2 |m|) and the
    result is (m * 2^-k, e + k), exact; for a complex number k comes from
    the larger part and the smaller part is rounded once, as IEEE rounds
    its product by 2^-k (it may become subnormal or zero: its share of
    the modulus is then below 2^-1022).

    Adding, the operand with the smaller exponent is scaled by 2^(its e -
    the other's), rounded once, then the mantissas are added; below a
    scale of 2^-1022 the smaller operand is dropped (its contribution is
    below 2^-1020 of the other's modulus). For real numbers this makes
    add, multiply, divide and sqrt correctly rounded to 53 bits with an
    unbounded exponent.

    Exponents stay far inside int64: a view's values are below 2^(2^40)
    in either direction (asserted in debug builds).
*/
#ifndef MF_FEXP_H
#define MF_FEXP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MF_FEXP_ZERO_E (-(INT64_C (1) << 50))   //  the exponent of zero
#define MF_FEXP_DROP (-1022)                    //  below this scale an addend is dropped

typedef struct {
    double m;                   //  mantissa: 1 <= |m| < 2, or +0
    int64_t e;                  //  exponent: the value is m * 2^e
} mf_fexp_t;

typedef struct {
    double re;                  //  mantissas: max (|re|, |im|) in [1, 2),
    double im;                  //  or both +0
    int64_t e;                  //  exponent: the value is (re + i im) * 2^e
} mf_fexpc_t;

//  The bits of a double, and back.
static inline uint64_t
mf_fexp_bits (double x)
{
    uint64_t bits;
    memcpy (&bits, &x, sizeof bits);
    return bits;
}

static inline double
mf_fexp_double (uint64_t bits)
{
    double x;
    memcpy (&x, &bits, sizeof x);
    return x;
}

//  2^k as a double, for -1022 <= k <= 1023, built from its bits.
static inline double
mf_fexp_pow2 (int64_t k)
{
    assert (k >= -1022 && k <= 1023);
    return mf_fexp_double ((uint64_t) (k + 1023) << 52);
}

//  floor (log2 |x|) for a finite nonzero x, subnormals included.
static inline int64_t
mf_fexp_ilogb (double x)
{
    uint64_t field = (mf_fexp_bits (x) >> 52) & 0x7ff;
    if (field == 0)             //  subnormal: 2^64 x is normal and exact
        return (int64_t) ((mf_fexp_bits (x * 0x1p64) >> 52) & 0x7ff) - 1023 - 64;
    return (int64_t) field - 1023;
}

//  The mantissa of a finite nonzero x in [1, 2) with its sign, exactly:
//  x = mf_fexp_mant (x) * 2^mf_fexp_ilogb (x).
static inline double
mf_fexp_mant (double x)
{
    if (((mf_fexp_bits (x) >> 52) & 0x7ff) == 0)
        x *= 0x1p64;            //  subnormal: made normal, exactly
    return mf_fexp_double ((mf_fexp_bits (x) & ~(UINT64_C (0x7ff) << 52))
                           | (UINT64_C (1023) << 52));
}

//  x * 2^k rounded once, as IEEE rounds it (like ldexp), for any k.
static inline double
mf_fexp_scale (double x, int64_t k)
{
    if (x == 0 || k == 0)
        return x;
    int64_t t = mf_fexp_ilogb (x) + k;          //  the result's binade
    double m = mf_fexp_mant (x);
    if (t > 1023)
        return m * 0x1p1023 * 2.0;              //  overflows: infinity
    if (t >= -1022)
        return m * mf_fexp_pow2 (t);            //  normal: exact
    if (t < -1100)
        return m * 0.0;                         //  below half the least subnormal: zero
    //  Subnormal: m * 2^(t + 1022) is exact and normal, the last product
    //  rounds once.
    return m * mf_fexp_pow2 (t + 1022) * 0x1p-1022;
}

//  The normalised real m * 2^e (m finite).
static inline mf_fexp_t
mf_fexp_norm (double m, int64_t e)
{
    if (m == 0)
        return (mf_fexp_t) { 0.0, MF_FEXP_ZERO_E };
    int64_t k = mf_fexp_ilogb (m);
    assert (e + k > -(INT64_C (1) << 40) && e + k < (INT64_C (1) << 40));
    return (mf_fexp_t) { mf_fexp_mant (m), e + k };
}

//  The normalised complex (re + i im) * 2^e (re, im finite).
static inline mf_fexpc_t
mf_fexpc_norm (double re, double im, int64_t e)
{
    double ar = re < 0? -re: re, ai = im < 0? -im: im;
    double big = ar > ai? ar: ai;
    if (big == 0)
        return (mf_fexpc_t) { 0.0, 0.0, MF_FEXP_ZERO_E };
    int64_t k = mf_fexp_ilogb (big);
    assert (e + k > -(INT64_C (1) << 40) && e + k < (INT64_C (1) << 40));
    return (mf_fexpc_t) { mf_fexp_scale (re, -k), mf_fexp_scale (im, -k), e + k };
}

static inline mf_fexp_t
mf_fexp_zero (void)
{
    return (mf_fexp_t) { 0.0, MF_FEXP_ZERO_E };
}

static inline bool
mf_fexp_is_zero (mf_fexp_t a)
{
    return a.m == 0;
}

//  A double (finite) as a floatexp, exactly.
static inline mf_fexp_t
mf_fexp_from_double (double x)
{
    return mf_fexp_norm (x, 0);
}

//  The double nearest a, rounded once (0 or infinity beyond the range).
static inline double
mf_fexp_to_double (mf_fexp_t a)
{
    if (a.m == 0)
        return 0.0;
    return mf_fexp_scale (a.m, a.e);
}

static inline mf_fexp_t
mf_fexp_neg (mf_fexp_t a)
{
    return a.m == 0? a: (mf_fexp_t) { -a.m, a.e };
}

static inline mf_fexp_t
mf_fexp_abs (mf_fexp_t a)
{
    return a.m < 0? (mf_fexp_t) { -a.m, a.e }: a;
}

//  a * 2^k, exactly.
static inline mf_fexp_t
mf_fexp_ldexp (mf_fexp_t a, int64_t k)
{
    return a.m == 0? a: (mf_fexp_t) { a.m, a.e + k };
}

static inline mf_fexp_t
mf_fexp_mul (mf_fexp_t a, mf_fexp_t b)
{
    if (a.m == 0 || b.m == 0)
        return mf_fexp_zero ();
    return mf_fexp_norm (a.m * b.m, a.e + b.e);
}

//  a / b, b not zero.
static inline mf_fexp_t
mf_fexp_div (mf_fexp_t a, mf_fexp_t b)
{
    assert (b.m != 0);
    if (a.m == 0)
        return a;
    return mf_fexp_norm (a.m / b.m, a.e - b.e);
}

//  The scale 2^diff that aligns an addend diff binades below the other,
//  or 0 where it is dropped.
static inline double
mf_fexp_align (int64_t diff)
{
    return diff < MF_FEXP_DROP? 0.0: mf_fexp_pow2 (diff);
}

static inline mf_fexp_t
mf_fexp_add (mf_fexp_t a, mf_fexp_t b)
{
    if (a.e < b.e) {
        mf_fexp_t t = a;
        a = b;
        b = t;
    }
    return mf_fexp_norm (a.m + b.m * mf_fexp_align (b.e - a.e), a.e);
}

static inline mf_fexp_t
mf_fexp_sub (mf_fexp_t a, mf_fexp_t b)
{
    return mf_fexp_add (a, mf_fexp_neg (b));
}

//  sqrt (a), a >= 0: correctly rounded (IEEE sqrt on the mantissa, with
//  the exponent made even first).
static inline mf_fexp_t
mf_fexp_sqrt (mf_fexp_t a)
{
    assert (a.m >= 0);
    if (a.m == 0)
        return a;
    double m = a.m;
    int64_t e = a.e;
    if (e & 1) {
        m *= 2.0;
        e -= 1;
    }
    return mf_fexp_norm (__builtin_sqrt (m), e / 2);
}

//  -1, 0 or 1 as a < b, a == b, a > b.
static inline int
mf_fexp_cmp (mf_fexp_t a, mf_fexp_t b)
{
    //  Normalised: the sign decides first, then the exponent (reversed
    //  for negatives), then the mantissa.
    int sa = (a.m > 0) - (a.m < 0), sb = (b.m > 0) - (b.m < 0);
    if (sa != sb)
        return sa < sb? -1: 1;
    if (sa == 0)
        return 0;
    if (a.e != b.e)
        return (a.e < b.e) == (sa > 0)? -1: 1;
    return a.m < b.m? -1: a.m > b.m;
}

static inline mf_fexp_t
mf_fexp_min (mf_fexp_t a, mf_fexp_t b)
{
    return mf_fexp_cmp (a, b) <= 0? a: b;
}

static inline mf_fexp_t
mf_fexp_max (mf_fexp_t a, mf_fexp_t b)
{
    return mf_fexp_cmp (a, b) >= 0? a: b;
}

//  ---- complex -----------------------------------------------------------

static inline mf_fexpc_t
mf_fexpc_zero (void)
{
    return (mf_fexpc_t) { 0.0, 0.0, MF_FEXP_ZERO_E };
}

static inline bool
mf_fexpc_is_zero (mf_fexpc_t a)
{
    return a.re == 0 && a.im == 0;
}

//  A complex from two floatexps, each rounded once onto the shared
//  exponent.
static inline mf_fexpc_t
mf_fexpc_from (mf_fexp_t re, mf_fexp_t im)
{
    if (re.m == 0 && im.m == 0)
        return mf_fexpc_zero ();
    int64_t e = re.e > im.e? re.e: im.e;
    return mf_fexpc_norm (re.m == 0? 0.0: mf_fexp_scale (re.m, re.e - e),
                          im.m == 0? 0.0: mf_fexp_scale (im.m, im.e - e), e);
}

static inline mf_fexpc_t
mf_fexpc_from_doubles (double re, double im)
{
    return mf_fexpc_norm (re, im, 0);
}

//  The real and imaginary parts, exactly.
static inline mf_fexp_t
mf_fexpc_re (mf_fexpc_t a)
{
    return a.re == 0? mf_fexp_zero (): mf_fexp_norm (a.re, a.e);
}

static inline mf_fexp_t
mf_fexpc_im (mf_fexpc_t a)
{
    return a.im == 0? mf_fexp_zero (): mf_fexp_norm (a.im, a.e);
}

//  The parts as doubles, each rounded once.
static inline double
mf_fexpc_re_double (mf_fexpc_t a)
{
    return a.re == 0? 0.0: mf_fexp_scale (a.re, a.e);
}

static inline double
mf_fexpc_im_double (mf_fexpc_t a)
{
    return a.im == 0? 0.0: mf_fexp_scale (a.im, a.e);
}

//  a * b: re = fma (ar, br, -(ai bi)), im = fma (ar, bi, ai br).
static inline mf_fexpc_t
mf_fexpc_mul (mf_fexpc_t a, mf_fexpc_t b)
{
    if (mf_fexpc_is_zero (a) || mf_fexpc_is_zero (b))
        return mf_fexpc_zero ();
    double re = __builtin_fma (a.re, b.re, -(a.im * b.im));
    double im = __builtin_fma (a.re, b.im, a.im * b.re);
    return mf_fexpc_norm (re, im, a.e + b.e);
}

//  a + b before normalising: the operand with the smaller exponent
//  aligned onto the other's (see above), the mantissas added; the result
//  has the larger exponent and mantissas below 4 (possibly tiny, or 0).
//  Normalised, it is mf_fexpc_add (a, b).
static inline mf_fexpc_t
mf_fexpc_add_raw (mf_fexpc_t a, mf_fexpc_t b)
{
    if (a.e < b.e) {
        mf_fexpc_t t = a;
        a = b;
        b = t;
    }
    double scale = mf_fexp_align (b.e - a.e);
    return (mf_fexpc_t) { a.re + b.re * scale, a.im + b.im * scale, a.e };
}

//  a + b, the operand with the smaller exponent aligned (see above).
static inline mf_fexpc_t
mf_fexpc_add (mf_fexpc_t a, mf_fexpc_t b)
{
    mf_fexpc_t sum = mf_fexpc_add_raw (a, b);
    return mf_fexpc_norm (sum.re, sum.im, sum.e);
}

//  a b + c d, the step of the perturbation kernels: each product as in
//  mf_fexpc_mul but not normalised (its exponent the sum, zeros included),
//  then added as in mf_fexpc_add (the product with the lower exponent
//  aligned onto the other, or dropped), then normalised once. a and c
//  need not be normalised (a sum from mf_fexpc_add_raw will do).
static inline mf_fexpc_t
mf_fexpc_muladd (mf_fexpc_t a, mf_fexpc_t b, mf_fexpc_t c, mf_fexpc_t d)
{
    double pr = __builtin_fma (a.re, b.re, -(a.im * b.im));
    double pi = __builtin_fma (a.re, b.im, a.im * b.re);
    double qr = __builtin_fma (c.re, d.re, -(c.im * d.im));
    double qi = __builtin_fma (c.re, d.im, c.im * d.re);
    int64_t ep = a.e + b.e, eq = c.e + d.e;
    if (ep >= eq) {
        double scale = mf_fexp_align (eq - ep);
        return mf_fexpc_norm (pr + qr * scale, pi + qi * scale, ep);
    }
    double scale = mf_fexp_align (ep - eq);
    return mf_fexpc_norm (qr + pr * scale, qi + pi * scale, eq);
}

//  a * 2^k, exactly.
static inline mf_fexpc_t
mf_fexpc_ldexp (mf_fexpc_t a, int64_t k)
{
    return mf_fexpc_is_zero (a)? a: (mf_fexpc_t) { a.re, a.im, a.e + k };
}

//  |a|^2 = re^2 + im^2 as fma (re, re, im * im), rounded; then |a| by sqrt.
static inline mf_fexp_t
mf_fexpc_norm2 (mf_fexpc_t a)
{
    if (mf_fexpc_is_zero (a))
        return mf_fexp_zero ();
    return mf_fexp_norm (__builtin_fma (a.re, a.re, a.im * a.im), 2 * a.e);
}

static inline mf_fexp_t
mf_fexpc_abs (mf_fexpc_t a)
{
    return mf_fexp_sqrt (mf_fexpc_norm2 (a));
}

//  |re| + |im|: between |a| and sqrt(2) |a|, without squares (so without
//  underflow in doubles); the validity tests of BLA use it.
static inline mf_fexp_t
mf_fexpc_norm1 (mf_fexpc_t a)
{
    if (mf_fexpc_is_zero (a))
        return mf_fexp_zero ();
    return mf_fexp_norm (__builtin_fabs (a.re) + __builtin_fabs (a.im), a.e);
}

#endif
