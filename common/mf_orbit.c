/*  mf_orbit: see mf_orbit.h. */
#include "mf_orbit.h"
#include "mf_le.h"
#include "mf_mu.h"
#include "mf_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EVERY 1024                //  iterations between two looks at the clock and cancel
#define FIRST_CAPACITY 65536            //  points allocated first (then doubled)

struct _mf_orbit_t {
    mf_delta_t type;                    //  doubles or floatexp
    uint64_t count;                     //  points Z_0 .. Z_{count-1}
    uint64_t capacity;                  //  points allocated
    bool escaped;                       //  Z_{count-1} escaped
    uint32_t maxiter;                   //  the limit it was computed to
    long precision;                     //  bits of the MPFR computation
    mf_fexpc_t offset;                  //  view center - reference point
    double *data;                       //  2 (double) or 4 (floatexp) doubles a point
};

static size_t
s_stride (mf_delta_t type)
{
    return type == MF_DELTA_DOUBLE? 2: 4;
}

static mf_orbit_t *
s_new (mf_delta_t type, uint64_t capacity)
{
    mf_orbit_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->type = type;
    self->capacity = capacity;
    self->data = malloc (capacity * s_stride (type) * sizeof (double));
    if (!self->data) {
        free (self);
        return NULL;
    }
    return self;
}

void
mf_orbit_destroy (mf_orbit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->data);
    free (*self_p);
    *self_p = NULL;
}

//  Stores one point given as floatexp, in the orbit's type.
static void
s_store (mf_orbit_t *self, uint64_t m, mf_fexpc_t z)
{
    double *p = self->data + m * s_stride (self->type);
    if (self->type == MF_DELTA_DOUBLE) {
        //  + 0.0 turns a -0 into +0: zeros are +0 in the canonical form.
        p [0] = mf_fexpc_re_double (z) + 0.0;
        p [1] = mf_fexpc_im_double (z) + 0.0;
    }
    else {
        p [0] = z.re + 0.0;
        p [1] = z.im + 0.0;
        p [2] = (double) z.e;
        p [3] = 0.0;
    }
}

//  |z|^2 of a point as the escape test computes it, from doubles.
static bool
s_escapes (double re, double im)
{
    return !(fma (re, re, im * im) <= MF_BAILOUT_SQ);
}

//  An MPFR value rounded once to 53 bits, as floatexp.
static mf_fexp_t
s_from_mpfr (mpfr_srcptr x)
{
    if (mpfr_zero_p (x))
        return mf_fexp_zero ();
    long e;
    double m = mpfr_get_d_2exp (&e, x, MPFR_RNDN);
    if (e - 1 < MF_ORBIT_MIN_EXP)
        return mf_fexp_zero ();          //  below 2^-(2^31): never at a usable precision
    return mf_fexp_norm (m, e);
}

mf_orbit_t *
mf_orbit_compute_at (mpfr_srcptr cre, mpfr_srcptr cim, mf_fexpc_t offset, uint32_t maxiter,
                     mf_delta_t type, const mf_orbit_hooks_t *hooks, char *err, size_t errlen)
{
    assert (maxiter >= 1);
    uint64_t capacity = (uint64_t) maxiter + 1 < FIRST_CAPACITY? (uint64_t) maxiter + 1: FIRST_CAPACITY;
    mf_orbit_t *self = s_new (type, capacity);
    if (!self) {
        snprintf (err, errlen, "out of memory for the reference orbit");
        return NULL;
    }
    mpfr_prec_t precision = mpfr_get_prec (cre) > mpfr_get_prec (cim)?
                            mpfr_get_prec (cre): mpfr_get_prec (cim);
    self->maxiter = maxiter;
    self->precision = (long) precision;
    self->offset = offset;
    mpfr_t x, y, s, d, t;
    mpfr_inits2 (precision, x, y, s, d, t, (mpfr_ptr) 0);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    s_store (self, 0, mf_fexpc_zero ());
    self->count = 1;
    int64_t last_report = mf_clock_ms ();
    bool failed = false;
    for (uint64_t n = 1; n <= maxiter; n++) {
        //  Z_n = Z_{n-1}^2 + C: two products.
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, cre, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, cim, MPFR_RNDN);
        if (self->count == self->capacity) {
            uint64_t more = self->capacity * 2;
            if (more > (uint64_t) maxiter + 1)
                more = (uint64_t) maxiter + 1;
            double *data = realloc (self->data, more * s_stride (type) * sizeof (double));
            if (!data) {
                snprintf (err, errlen, "out of memory for the reference orbit (%llu points)",
                          (unsigned long long) more);
                failed = true;
                break;
            }
            self->data = data;
            self->capacity = more;
        }
        mf_fexpc_t z = mf_fexpc_from (s_from_mpfr (x), s_from_mpfr (y));
        s_store (self, n, z);
        self->count = n + 1;
        //  The escape test on the point as stored, as the decoder repeats it.
        if (s_escapes (mf_fexpc_re_double (z), mf_fexpc_im_double (z))) {
            self->escaped = true;
            break;
        }
        if (n % CHECK_EVERY == 0 && hooks) {
            if (hooks->cancel && atomic_load (hooks->cancel)) {
                snprintf (err, errlen, "cancelled");
                failed = true;
                break;
            }
            int64_t now = mf_clock_ms ();
            if (hooks->progress && now - last_report >= MF_ORBIT_PROGRESS_MS) {
                hooks->progress (hooks->arg, n, maxiter);
                last_report = now;
            }
        }
    }
    mpfr_clears (x, y, s, d, t, (mpfr_ptr) 0);
    if (failed) {
        mf_orbit_destroy (&self);
        return NULL;
    }
    if (hooks && hooks->progress)
        hooks->progress (hooks->arg, self->count - 1, maxiter);
    return self;
}

mf_orbit_t *
mf_orbit_compute (const mf_deep_view_t *view, uint32_t maxiter, const mf_orbit_hooks_t *hooks,
                  char *err, size_t errlen)
{
    mpfr_t re, im;
    mpfr_inits2 (MPFR_PREC_MIN, re, im, (mpfr_ptr) 0);
    mf_deep_view_center (view, re, im);
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    mf_orbit_t *self = mf_orbit_compute_at (re, im, mf_fexpc_zero (), maxiter, map.type,
                                            hooks, err, errlen);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    return self;
}

uint64_t
mf_orbit_count (const mf_orbit_t *self)
{
    return self->count;
}

mf_delta_t
mf_orbit_type (const mf_orbit_t *self)
{
    return self->type;
}

bool
mf_orbit_escaped (const mf_orbit_t *self)
{
    return self->escaped;
}

uint32_t
mf_orbit_maxiter (const mf_orbit_t *self)
{
    return self->maxiter;
}

long
mf_orbit_precision (const mf_orbit_t *self)
{
    return self->precision;
}

mf_fexpc_t
mf_orbit_offset (const mf_orbit_t *self)
{
    return self->offset;
}

mf_fexpc_t
mf_orbit_point (const mf_orbit_t *self, uint64_t m)
{
    assert (m < self->count);
    const double *p = self->data + m * s_stride (self->type);
    if (self->type == MF_DELTA_DOUBLE)
        return mf_fexpc_from_doubles (p [0], p [1]);
    return (mf_fexpc_t) { p [0], p [1], (int64_t) p [2] };
}

const double *
mf_orbit_data (const mf_orbit_t *self)
{
    return self->data;
}

//  ---- canonical bytes ----------------------------------------------------

static size_t
s_point_bytes (mf_delta_t type)
{
    return type == MF_DELTA_DOUBLE? MF_ORBIT_POINT_DOUBLE: MF_ORBIT_POINT_FEXP;
}

size_t
mf_orbit_encoded_size (const mf_orbit_t *self)
{
    return MF_ORBIT_HEADER + (size_t) self->count * s_point_bytes (self->type);
}

size_t
mf_orbit_encode (const mf_orbit_t *self, uint8_t *out, size_t size)
{
    size_t total = mf_orbit_encoded_size (self);
    if (size < total)
        return 0;
    memcpy (out, "MFRO", 4);
    out [4] = MF_ORBIT_VERSION;
    out [5] = (uint8_t) self->type;
    out [6] = self->escaped? 1: 0;
    out [7] = 0;
    mf_le_put_u32 (out + 8, (uint32_t) self->precision);
    mf_le_put_u32 (out + 12, self->maxiter);
    mf_le_put_u64 (out + 16, self->count);
    bool zero = mf_fexpc_is_zero (self->offset);
    mf_le_put_f64 (out + 24, self->offset.re + 0.0);
    mf_le_put_f64 (out + 32, self->offset.im + 0.0);
    mf_le_put_u64 (out + 40, zero? 0: (uint64_t) self->offset.e);
    uint8_t *p = out + MF_ORBIT_HEADER;
    size_t stride = s_stride (self->type);
    for (uint64_t m = 0; m < self->count; m++) {
        const double *z = self->data + m * stride;
        mf_le_put_f64 (p, z [0]);
        mf_le_put_f64 (p + 8, z [1]);
        if (self->type == MF_DELTA_FEXP) {
            int64_t e = z [0] == 0 && z [1] == 0? 0: (int64_t) z [2];
            mf_le_put_u32 (p + 16, (uint32_t) (int32_t) e);
        }
        p += s_point_bytes (self->type);
    }
    return total;
}

//  1 when x is a double the canonical form allows: finite, not -0.
static bool
s_canonical_double (double x)
{
    return isfinite (x) && mf_fexp_bits (x) != mf_fexp_bits (-0.0);
}

//  1 when (re, im) are normalised floatexp mantissas (or both +0).
static bool
s_normalised (double re, double im)
{
    if (!s_canonical_double (re) || !s_canonical_double (im))
        return false;
    double big = fmax (fabs (re), fabs (im));
    return big == 0 || (big >= 1.0 && big < 2.0);
}

mf_orbit_t *
mf_orbit_decode (const uint8_t *data, size_t size, char *err, size_t errlen)
{
    if (size < MF_ORBIT_HEADER || memcmp (data, "MFRO", 4) != 0) {
        snprintf (err, errlen, "reference orbit: not an orbit (no MFRO header)");
        return NULL;
    }
    if (data [4] != MF_ORBIT_VERSION) {
        snprintf (err, errlen, "reference orbit: version %u, this program reads %d",
                  data [4], MF_ORBIT_VERSION);
        return NULL;
    }
    if (data [5] > MF_DELTA_FEXP || data [6] > 1 || data [7] != 0) {
        snprintf (err, errlen, "reference orbit: unknown type %u or flags %u, %u",
                  data [5], data [6], data [7]);
        return NULL;
    }
    mf_delta_t type = (mf_delta_t) data [5];
    bool escaped = data [6] & 1;
    uint32_t precision = mf_le_get_u32 (data + 8);
    uint32_t maxiter = mf_le_get_u32 (data + 12);
    uint64_t count = mf_le_get_u64 (data + 16);
    if (precision < MF_DEEP_MARGIN_BITS || precision > MF_DEEP_MAX_PRECISION || maxiter < 1
    ||  count < 2 || count > (uint64_t) maxiter + 1 || (!escaped && count != (uint64_t) maxiter + 1)) {
        snprintf (err, errlen, "reference orbit: precision %u, maxiter %u or count %llu "
                  "out of range", precision, maxiter, (unsigned long long) count);
        return NULL;
    }
    size_t point = s_point_bytes (type);
    if ((size - MF_ORBIT_HEADER) / point != count || (size - MF_ORBIT_HEADER) % point != 0) {
        snprintf (err, errlen, "reference orbit: %zu bytes, %llu points need %llu",
                  size, (unsigned long long) count,
                  (unsigned long long) (MF_ORBIT_HEADER + count * point));
        return NULL;
    }
    double ore = mf_le_get_f64 (data + 24), oim = mf_le_get_f64 (data + 32);
    int64_t oe = (int64_t) mf_le_get_u64 (data + 40);
    bool ozero = ore == 0 && oim == 0;
    if (!s_normalised (ore, oim) || (ozero && oe != 0)
    ||  (!ozero && (oe < MF_ORBIT_MIN_EXP || oe > 1100))) {
        snprintf (err, errlen, "reference orbit: the reference offset is not a normalised "
                  "floatexp");
        return NULL;
    }
    mf_orbit_t *self = s_new (type, count);
    if (!self) {
        snprintf (err, errlen, "out of memory for the reference orbit (%llu points)",
                  (unsigned long long) count);
        return NULL;
    }
    self->count = count;
    self->escaped = escaped;
    self->maxiter = maxiter;
    self->precision = precision;
    self->offset = ozero? mf_fexpc_zero (): (mf_fexpc_t) { ore, oim, oe };
    const uint8_t *p = data + MF_ORBIT_HEADER;
    size_t stride = s_stride (type);
    for (uint64_t m = 0; m < count; m++, p += point) {
        double re = mf_le_get_f64 (p), im = mf_le_get_f64 (p + 8);
        double *z = self->data + m * stride;
        double dre = re, dim = im;      //  the point as doubles, for the escape test
        if (type == MF_DELTA_DOUBLE) {
            if (!s_canonical_double (re) || !s_canonical_double (im))
                goto bad;
            z [0] = re;
            z [1] = im;
        }
        else {
            int64_t e = (int32_t) mf_le_get_u32 (p + 16);
            bool zero = re == 0 && im == 0;
            if (!s_normalised (re, im) || (zero && e != 0)
            ||  (!zero && (e < MF_ORBIT_MIN_EXP || e > 1100)))
                goto bad;
            z [0] = re;
            z [1] = im;
            z [2] = zero? (double) MF_FEXP_ZERO_E: (double) e;
            z [3] = 0.0;
            dre = zero? 0.0: mf_fexp_scale (re, e);
            dim = zero? 0.0: mf_fexp_scale (im, e);
        }
        if (m == 0 && (re != 0 || im != 0))
            goto bad;
        //  Only the last point may escape, and it must when the flag says so.
        bool out = s_escapes (dre, dim);
        if (m + 1 < count? out: out != escaped)
            goto bad;
        continue;
    bad:
        snprintf (err, errlen, "reference orbit: point %llu is malformed (not finite, -0, "
                  "not normalised, Z_0 not 0, or escaping where it may not)",
                  (unsigned long long) m);
        mf_orbit_destroy (&self);
        return NULL;
    }
    return self;
}
