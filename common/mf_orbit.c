/*  mf_orbit: see mf_orbit.h. */
#include "mf_orbit.h"
#include "mf_le.h"
#include "mf_mu.h"
#include "mf_util.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EVERY 1024                //  iterations between two looks at the clock and cancel
#define FIRST_CAPACITY 65536            //  points allocated first (then doubled)
#define PARALLEL_MIN_BITS 2000          //  precision, bits, from which the products take two threads
#define SPIN_BEFORE_YIELD 300           //  polls of a handshake before yielding the CPU
#define YIELDS_WAIT_MAX 2               //  yields in one handshake before going serial
#define YIELDS_MAX 16                   //  yields per CHECK_EVERY iterations before going serial

//  A hint to the CPU inside a spin loop.
static inline void
s_relax (void)
{
#if defined (__x86_64__) || defined (__i386__)
    __builtin_ia32_pause ();
#elif defined (__aarch64__)
    __asm__ volatile ("yield");
#endif
}

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

//  Appends Z_n = (x, y), rounded to the orbit's type; sets escaped when
//  it escapes. Returns 0, or -1 with err set when out of memory.
static int
s_append (mf_orbit_t *self, uint64_t n, mpfr_srcptr x, mpfr_srcptr y, char *err, size_t errlen)
{
    if (self->count == self->capacity) {
        uint64_t more = self->capacity * 2;
        if (more > (uint64_t) self->maxiter + 1)
            more = (uint64_t) self->maxiter + 1;
        double *data = realloc (self->data, more * s_stride (self->type) * sizeof (double));
        if (!data) {
            snprintf (err, errlen, "out of memory for the reference orbit (%llu points)",
                      (unsigned long long) more);
            return -1;
        }
        self->data = data;
        self->capacity = more;
    }
    mf_fexpc_t z = mf_fexpc_from (s_from_mpfr (x), s_from_mpfr (y));
    s_store (self, n, z);
    self->count = n + 1;
    //  The escape test on the point as stored, as the decoder repeats it.
    if (s_escapes (mf_fexpc_re_double (z), mf_fexpc_im_double (z)))
        self->escaped = true;
    return 0;
}

//  Cancel and progress, every CHECK_EVERY iterations. Returns 0, or -1
//  with err set when cancelled.
static int
s_check (const mf_orbit_hooks_t *hooks, uint64_t n, uint32_t maxiter, int64_t *last_report,
         char *err, size_t errlen)
{
    if (!hooks)
        return 0;
    if (hooks->cancel && atomic_load (hooks->cancel)) {
        snprintf (err, errlen, "cancelled");
        return -1;
    }
    int64_t now = mf_clock_ms ();
    if (hooks->progress && now - *last_report >= MF_ORBIT_PROGRESS_MS) {
        hooks->progress (hooks->arg, n, maxiter);
        *last_report = now;
    }
    return 0;
}

//  ---- two threads --------------------------------------------------------
//
//  Z_n's two products are independent: from PARALLEL_MIN_BITS on, a
//  helper thread computes im = 2 x y + C_im while the caller computes
//  re = (x + y)(x - y) + C_re. Each writes its own buffer of a pair
//  (iteration n writes buffer n & 1 and reads the other), so one
//  handshake per iteration suffices: the caller says "go n" once Z_{n-1}
//  is complete, the helper answers "done n". The operations and their
//  roundings are the serial loop's, on the same operands: the same bits.

typedef struct {
    mpfr_t x [2], y [2];                //  Z_n's parts, by n & 1
    mpfr_t t;                           //  the helper's product
    mpfr_srcptr cim;                    //  C_im
    _Atomic uint64_t go;                //  the caller: iteration go may start
    _Atomic uint64_t done;              //  the helper: iteration done is finished
    atomic_bool quit;                   //  the caller: stop
} s_pair_t;

//  Waits until *counter reaches n (or quit): spins briefly, then yields
//  (the machine may have fewer free cores than threads). Returns the
//  number of yields.
static unsigned
s_wait (_Atomic uint64_t *counter, uint64_t n, atomic_bool *quit)
{
    unsigned yields = 0;
    for (unsigned spin = 0; atomic_load_explicit (counter, memory_order_acquire) < n; spin++) {
        if (quit && atomic_load_explicit (quit, memory_order_relaxed))
            break;
        if (spin < SPIN_BEFORE_YIELD)
            s_relax ();
        else {
            sched_yield ();
            yields++;
        }
    }
    return yields;
}

static void *
s_helper (void *arg)
{
    s_pair_t *pair = arg;
    for (uint64_t n = 1;; n++) {
        s_wait (&pair->go, n, &pair->quit);
        if (atomic_load (&pair->quit))
            break;
        mpfr_srcptr x = pair->x [(n - 1) & 1], y = pair->y [(n - 1) & 1];
        mpfr_mul (pair->t, x, y, MPFR_RNDN);
        mpfr_mul_2ui (pair->t, pair->t, 1, MPFR_RNDN);
        mpfr_add (pair->y [n & 1], pair->t, pair->cim, MPFR_RNDN);
        atomic_store_explicit (&pair->done, n, memory_order_release);
    }
    return NULL;
}

//  The loop on two threads, from Z_0 = 0, as long as the other thread
//  keeps pace: when the handshakes keep yielding the CPU (no second core
//  free), it stops and leaves Z_{count-1} in x, y for the serial loop.
//  Returns 0 when done, 1 when the serial loop should go on (or start:
//  no thread could be started), or -1 with err set.
static int
s_compute_pair (mf_orbit_t *self, mpfr_srcptr cre, mpfr_srcptr cim, mpfr_prec_t precision,
                const mf_orbit_hooks_t *hooks, mpfr_ptr x_out, mpfr_ptr y_out, char *err,
                size_t errlen)
{
    s_pair_t pair;
    mpfr_inits2 (precision, pair.x [0], pair.x [1], pair.y [0], pair.y [1], pair.t, (mpfr_ptr) 0);
    mpfr_set_zero (pair.x [0], 1);
    mpfr_set_zero (pair.y [0], 1);
    pair.cim = cim;
    atomic_init (&pair.go, 0);
    atomic_init (&pair.done, 0);
    atomic_init (&pair.quit, false);
    pthread_t helper;
    if (pthread_create (&helper, NULL, s_helper, &pair)) {
        mpfr_clears (pair.x [0], pair.x [1], pair.y [0], pair.y [1], pair.t, (mpfr_ptr) 0);
        return 1;
    }
    mpfr_t s, d;
    mpfr_inits2 (precision, s, d, (mpfr_ptr) 0);
    int64_t last_report = mf_clock_ms ();
    int status = 0;
    unsigned yields = 0;
    uint64_t n = 1;
    atomic_store_explicit (&pair.go, 1, memory_order_release);
    for (; n <= self->maxiter; n++) {
        mpfr_srcptr x = pair.x [(n - 1) & 1], y = pair.y [(n - 1) & 1];
        mpfr_ptr xn = pair.x [n & 1];
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (xn, s, d, MPFR_RNDN);
        mpfr_add (xn, xn, cre, MPFR_RNDN);
        //  The other core is busy elsewhere when a handshake has to yield:
        //  then one thread does better.
        unsigned waited = s_wait (&pair.done, n, NULL);
        yields += waited;
        bool serial = waited > YIELDS_WAIT_MAX || yields > YIELDS_MAX;
        if (n % CHECK_EVERY == 0)
            yields = 0;
        //  Z_n is complete: the helper may start on Z_{n+1} while this
        //  thread stores Z_n (both only read it).
        if (n < self->maxiter && !serial)
            atomic_store_explicit (&pair.go, n + 1, memory_order_release);
        if (s_append (self, n, xn, pair.y [n & 1], err, errlen)
        ||  (!self->escaped && n % CHECK_EVERY == 0
             && s_check (hooks, n, self->maxiter, &last_report, err, errlen))) {
            status = -1;
            break;
        }
        if (self->escaped)
            break;
        if (serial) {
            status = 1;
            break;
        }
    }
    atomic_store (&pair.quit, true);
    atomic_store (&pair.go, UINT64_MAX);
    pthread_join (helper, NULL);
    if (status == 1 && n < self->maxiter) {
        mpfr_set (x_out, pair.x [n & 1], MPFR_RNDN);
        mpfr_set (y_out, pair.y [n & 1], MPFR_RNDN);
    }
    else if (status == 1)
        status = 0;                     //  the last iteration was done

    mpfr_clears (s, d, pair.x [0], pair.x [1], pair.y [0], pair.y [1], pair.t, (mpfr_ptr) 0);
    return status;
}

//  The loop on one thread, from Z_{count-1} = (x, y) on.
static int
s_compute_serial (mf_orbit_t *self, mpfr_srcptr cre, mpfr_srcptr cim, mpfr_prec_t precision,
                  const mf_orbit_hooks_t *hooks, mpfr_ptr x, mpfr_ptr y, char *err, size_t errlen)
{
    mpfr_t s, d, t;
    mpfr_inits2 (precision, s, d, t, (mpfr_ptr) 0);
    int64_t last_report = mf_clock_ms ();
    int status = 0;
    for (uint64_t n = self->count; n <= self->maxiter; n++) {
        //  Z_n = Z_{n-1}^2 + C: two products.
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, cre, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, cim, MPFR_RNDN);
        if (s_append (self, n, x, y, err, errlen)
        ||  (!self->escaped && n % CHECK_EVERY == 0
             && s_check (hooks, n, self->maxiter, &last_report, err, errlen))) {
            status = -1;
            break;
        }
        if (self->escaped)
            break;
    }
    mpfr_clears (s, d, t, (mpfr_ptr) 0);
    return status;
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
    s_store (self, 0, mf_fexpc_zero ());
    self->count = 1;
    mpfr_t x, y;                        //  where the serial loop starts
    mpfr_inits2 (precision, x, y, (mpfr_ptr) 0);
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    int status = 1;
    if (precision >= PARALLEL_MIN_BITS && mf_online_cpus () >= 2)
        status = s_compute_pair (self, cre, cim, precision, hooks, x, y, err, errlen);
    if (status == 1)
        status = s_compute_serial (self, cre, cim, precision, hooks, x, y, err, errlen);
    mpfr_clears (x, y, (mpfr_ptr) 0);
    if (status) {
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

mf_orbit_t *
mf_orbit_as_doubles (const mf_orbit_t *self, uint32_t maxiter, char *err, size_t errlen)
{
    assert (self->type == MF_DELTA_FEXP);
    assert (maxiter >= 1 && maxiter <= self->maxiter);
    uint64_t count = self->count < (uint64_t) maxiter + 1? self->count: (uint64_t) maxiter + 1;
    mf_orbit_t *doubles = s_new (MF_DELTA_DOUBLE, count);
    if (!doubles) {
        snprintf (err, errlen, "out of memory for the reference orbit in doubles (%llu points)",
                  (unsigned long long) count);
        return NULL;
    }
    doubles->count = count;
    doubles->maxiter = maxiter;
    doubles->precision = self->precision;
    doubles->offset = self->offset;
    //  A floatexp point is the floatexp value s_append stored, exactly:
    //  s_store rounds it to doubles as s_append would have.
    for (uint64_t m = 0; m < count; m++)
        s_store (doubles, m, mf_orbit_point (self, m));
    //  Escape ends an orbit, so only its last point can have escaped.
    doubles->escaped = self->escaped && count == self->count;
    return doubles;
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
