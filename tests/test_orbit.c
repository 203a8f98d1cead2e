/*  The reference orbit (mf_orbit): exact orbits of simple points, both
    number types; floatexp keeping values far below a double's range near
    a nucleus; the orbit in doubles derived from one in floatexp, the
    bytes of one computed in doubles; the canonical bytes, read back
    exactly and refused when malformed in any way; progress and cancel.
*/
#include "deep_locations.h"
#include "helpers.h"
#include "mf_le.h"
#include "mf_orbit.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mf_orbit_t *
s_orbit_at (const char *re, const char *im, long precision, uint32_t maxiter, mf_delta_t type)
{
    mpfr_t cr, ci;
    mpfr_inits2 (precision, cr, ci, (mpfr_ptr) 0);
    mpfr_set_str (cr, re, 10, MPFR_RNDN);
    mpfr_set_str (ci, im, 10, MPFR_RNDN);
    char err [256];
    mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), maxiter, type, NULL,
                                             err, sizeof err);
    ck_assert_msg (orbit != NULL, "%s", err);
    mpfr_clears (cr, ci, (mpfr_ptr) 0);
    return orbit;
}

static void
s_point_is (const mf_orbit_t *orbit, uint64_t m, double re, double im)
{
    mf_fexpc_t z = mf_orbit_point (orbit, m);
    ck_assert_msg (mf_fexpc_re_double (z) == re && mf_fexpc_im_double (z) == im,
                   "Z_%llu = %g%+gi, want %g%+gi", (unsigned long long) m,
                   mf_fexpc_re_double (z), mf_fexpc_im_double (z), re, im);
}

START_TEST (simple_orbits_exactly)
{
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        //  c = 1: 0, 1, 2, 5, 26, 677, and |677|^2 > 65536: escaped at 5.
        mf_orbit_t *orbit = s_orbit_at ("1", "0", 64, 1000, type);
        ck_assert_int_eq (mf_orbit_count (orbit), 6);
        ck_assert (mf_orbit_escaped (orbit));
        ck_assert_int_eq (mf_orbit_type (orbit), type);
        ck_assert_int_eq (mf_orbit_maxiter (orbit), 1000);
        ck_assert_int_eq (mf_orbit_precision (orbit), 64);
        static const double want [] = { 0, 1, 2, 5, 26, 677 };
        for (uint64_t m = 0; m < 6; m++)
            s_point_is (orbit, m, want [m], 0.0);
        mf_orbit_destroy (&orbit);
        mf_orbit_destroy (&orbit);
        //  c = i: 0, i, -1+i, -i, -1+i, ... never escapes: maxiter + 1 points.
        orbit = s_orbit_at ("0", "1", 64, 50, type);
        ck_assert_int_eq (mf_orbit_count (orbit), 51);
        ck_assert (!mf_orbit_escaped (orbit));
        s_point_is (orbit, 1, 0.0, 1.0);
        for (uint64_t m = 2; m <= 50; m++)
            s_point_is (orbit, m, m % 2? 0.0: -1.0, m % 2? -1.0: 1.0);
        mf_orbit_destroy (&orbit);
        //  maxiter 1: Z_0 and Z_1 only.
        orbit = s_orbit_at ("-1", "0", 64, 1, type);
        ck_assert_int_eq (mf_orbit_count (orbit), 2);
        s_point_is (orbit, 1, -1.0, 0.0);
        mf_orbit_destroy (&orbit);
    }
}
END_TEST

START_TEST (points_are_the_mpfr_values_rounded_once)
{
    //  e50's orbit, recomputed here at the view's precision: every stored
    //  point is the MPFR value rounded to nearest, in both types.
    char err [512];
    mf_deep_view_t *view = mf_deep_view_new (LOC_E50_CENTER, NULL, LOC_E50_ZOOM, 320, 180,
                                             err, sizeof err);
    ck_assert_ptr_nonnull (view);
    mpfr_t cr, ci, x, y, t;
    mpfr_inits2 (64, cr, ci, (mpfr_ptr) 0);
    mf_deep_view_center (view, cr, ci);
    long precision = mf_deep_view_precision (view);
    mpfr_inits2 (precision, x, y, t, (mpfr_ptr) 0);
    mf_orbit_t *orbit = mf_orbit_compute (view, 20000, NULL, err, sizeof err);
    mf_orbit_t *fexp = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), 20000, MF_DELTA_FEXP,
                                            NULL, err, sizeof err);
    ck_assert (orbit && fexp);
    ck_assert_int_eq (mf_orbit_count (orbit), mf_orbit_count (fexp));
    mpfr_set_zero (x, 1);
    mpfr_set_zero (y, 1);
    for (uint64_t m = 1; m < mf_orbit_count (orbit); m++) {
        //  x' = x^2 - y^2 + cr, y' = 2xy + ci, written differently from
        //  mf_orbit.c but with the same roundings ((x+y)(x-y), 2xy).
        mpfr_t s, d;
        mpfr_inits2 (precision, s, d, (mpfr_ptr) 0);
        mpfr_add (s, x, y, MPFR_RNDN);
        mpfr_sub (d, x, y, MPFR_RNDN);
        mpfr_mul (t, x, y, MPFR_RNDN);
        mpfr_mul (x, s, d, MPFR_RNDN);
        mpfr_add (x, x, cr, MPFR_RNDN);
        mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
        mpfr_add (y, t, ci, MPFR_RNDN);
        mpfr_clears (s, d, (mpfr_ptr) 0);
        if (m % 97 && m + 1 < mf_orbit_count (orbit))
            continue;
        s_point_is (orbit, m, mpfr_get_d (x, MPFR_RNDN), mpfr_get_d (y, MPFR_RNDN));
        s_point_is (fexp, m, mpfr_get_d (x, MPFR_RNDN), mpfr_get_d (y, MPFR_RNDN));
    }
    mpfr_clears (cr, ci, x, y, t, (mpfr_ptr) 0);
    mf_orbit_destroy (&orbit);
    mf_orbit_destroy (&fexp);
    mf_deep_view_destroy (&view);
}
END_TEST

START_TEST (precise_orbits_on_two_threads_too)
{
    //  From 2000 bits on the two products of an iteration may run on two
    //  threads (or fall back to one when no second core is free): either
    //  way every point is the MPFR value of the documented sequence,
    //  rounded once. Near the period-3 nucleus the orbit stays bounded.
    const long precision = 2600;
    const uint32_t maxiter = 3000;
    mpfr_t cr, ci, x, y, s, d, t;
    mpfr_inits2 (precision, cr, ci, x, y, s, d, t, (mpfr_ptr) 0);
    mpfr_set_str (cr, "-1.7548776662466927600495088963585286918946066177834", 10, MPFR_RNDN);
    mpfr_set_str (ci, "1e-30", 10, MPFR_RNDN);
    char err [256];
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), maxiter, type, NULL,
                                                 err, sizeof err);
        ck_assert_msg (orbit != NULL, "%s", err);
        ck_assert_int_eq (mf_orbit_count (orbit), maxiter + 1);
        ck_assert_int_eq (mf_orbit_precision (orbit), precision);
        mpfr_set_zero (x, 1);
        mpfr_set_zero (y, 1);
        for (uint64_t m = 1; m <= maxiter; m++) {
            mpfr_add (s, x, y, MPFR_RNDN);
            mpfr_sub (d, x, y, MPFR_RNDN);
            mpfr_mul (t, x, y, MPFR_RNDN);
            mpfr_mul (x, s, d, MPFR_RNDN);
            mpfr_add (x, x, cr, MPFR_RNDN);
            mpfr_mul_2ui (t, t, 1, MPFR_RNDN);
            mpfr_add (y, t, ci, MPFR_RNDN);
            s_point_is (orbit, m, mpfr_get_d (x, MPFR_RNDN), mpfr_get_d (y, MPFR_RNDN));
        }
        mf_orbit_destroy (&orbit);
    }
    //  Cancelled at the first look, as on one thread.
    atomic_int cancel = 1;
    mf_orbit_hooks_t hooks = { NULL, NULL, &cancel };
    mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), 100000000, MF_DELTA_DOUBLE,
                                             &hooks, err, sizeof err);
    ck_assert_ptr_null (orbit);
    ck_assert_str_eq (err, "cancelled");
    mpfr_clears (cr, ci, x, y, s, d, t, (mpfr_ptr) 0);
}
END_TEST

//  The period-3 nucleus on the real axis ("airplane"), by Newton at
//  1200 bits, written with digits significant digits into text: its Z_3
//  is about 10^-digits.
static void
s_airplane (int digits, char *text, size_t size)
{
    mpfr_t c, z, dz, t;
    mpfr_inits2 (1200, c, z, dz, t, (mpfr_ptr) 0);
    mpfr_set_d (c, -1.7548776662466927, MPFR_RNDN);
    for (int step = 0; step < 12; step++) {
        mpfr_set_zero (z, 1);
        mpfr_set_zero (dz, 1);
        for (int n = 0; n < 3; n++) {
            mpfr_mul (dz, dz, z, MPFR_RNDN);            //  dz = 2 z dz + 1
            mpfr_mul_2ui (dz, dz, 1, MPFR_RNDN);
            mpfr_add_ui (dz, dz, 1, MPFR_RNDN);
            mpfr_sqr (z, z, MPFR_RNDN);                 //  z = z^2 + c
            mpfr_add (z, z, c, MPFR_RNDN);
        }
        mpfr_div (t, z, dz, MPFR_RNDN);
        mpfr_sub (c, c, t, MPFR_RNDN);
    }
    mpfr_snprintf (text, size, "%.*Re", digits - 1, c);
    mpfr_clears (c, z, dz, t, (mpfr_ptr) 0);
}

START_TEST (floatexp_keeps_tiny_values)
{
    //  The airplane's nucleus at 1200 bits: Z_3 is about 2^-1190, far
    //  below a double's range.
    char text [400];
    s_airplane (371, text, sizeof text);
    mf_orbit_t *fexp = s_orbit_at (text, "0", 1200, 10, MF_DELTA_FEXP);
    mf_orbit_t *dbl = s_orbit_at (text, "0", 1200, 10, MF_DELTA_DOUBLE);
    ck_assert (!mf_orbit_escaped (fexp));
    mf_fexpc_t z3 = mf_orbit_point (fexp, 3);
    ck_assert_msg (!mf_fexpc_is_zero (z3) && z3.e < -1000, "Z_3 = %g * 2^%lld", z3.re,
                   (long long) z3.e);
    ck_assert (mf_fexpc_is_zero (mf_orbit_point (dbl, 3)));
    //  And the orbit goes on: Z_4 = Z_3^2 + c = c to 53 bits.
    ck_assert (mf_fexpc_re_double (mf_orbit_point (fexp, 4))
               == mf_fexpc_re_double (mf_orbit_point (fexp, 1)));
    mf_orbit_destroy (&fexp);
    mf_orbit_destroy (&dbl);
}
END_TEST

//  Encodes orbit into a new buffer (the caller frees); size set.
static uint8_t *
s_encode (const mf_orbit_t *orbit, size_t *size)
{
    *size = mf_orbit_encoded_size (orbit);
    uint8_t *bytes = malloc (*size);
    ck_assert_ptr_nonnull (bytes);
    ck_assert_int_eq (mf_orbit_encode (orbit, bytes, *size - 1), 0);
    ck_assert_int_eq (mf_orbit_encode (orbit, bytes, *size), *size);
    return bytes;
}

START_TEST (bytes_read_back_exactly)
{
    for (int type = MF_DELTA_DOUBLE; type <= MF_DELTA_FEXP; type++) {
        mf_orbit_t *orbit = s_orbit_at ("-0.7436438870371587", "0.1318259042053119", 128,
                                        5000, type);
        size_t size;
        uint8_t *bytes = s_encode (orbit, &size);
        ck_assert_int_eq (size, MF_ORBIT_HEADER + mf_orbit_count (orbit)
                          * (type == MF_DELTA_DOUBLE? MF_ORBIT_POINT_DOUBLE: MF_ORBIT_POINT_FEXP));
        ck_assert (memcmp (bytes, "MFRO", 4) == 0 && bytes [4] == 1 && bytes [5] == type);
        char err [256];
        mf_orbit_t *back = mf_orbit_decode (bytes, size, err, sizeof err);
        ck_assert_msg (back != NULL, "%s", err);
        ck_assert_int_eq (mf_orbit_count (back), mf_orbit_count (orbit));
        ck_assert_int_eq (mf_orbit_escaped (back), mf_orbit_escaped (orbit));
        ck_assert_int_eq (mf_orbit_maxiter (back), 5000);
        ck_assert_int_eq (mf_orbit_precision (back), 128);
        ck_assert_int_eq (mf_orbit_type (back), type);
        size_t stride = type == MF_DELTA_DOUBLE? 2: 4;
        ck_assert (memcmp (mf_orbit_data (back), mf_orbit_data (orbit),
                           mf_orbit_count (orbit) * stride * sizeof (double)) == 0);
        size_t again_size;
        uint8_t *again = s_encode (back, &again_size);
        ck_assert (again_size == size && memcmp (again, bytes, size) == 0);
        free (again);
        free (bytes);
        mf_orbit_destroy (&back);
        mf_orbit_destroy (&orbit);
    }
}
END_TEST

//  Whether two orbits have the same canonical bytes.
static bool
s_same_bytes (const mf_orbit_t *a, const mf_orbit_t *b)
{
    size_t a_size, b_size;
    uint8_t *a_bytes = s_encode (a, &a_size), *b_bytes = s_encode (b, &b_size);
    bool same = a_size == b_size && memcmp (a_bytes, b_bytes, a_size) == 0;
    free (a_bytes);
    free (b_bytes);
    return same;
}

START_TEST (doubles_from_floatexp_are_the_computed_ones)
{
    //  An escaping point, an interior one cut short, e318's center, and
    //  the airplane's nucleus whose Z_3 is a subnormal double or below
    //  them: byte for byte the orbit computed in doubles, at its maxiter
    //  or a smaller one.
    static const struct {
        const char *re, *im;
        long precision;
        uint32_t maxiter, cut;          //  computed to maxiter, derived to cut
    } points [] = {
        { "1", "0", 64, 1000, 1000 },
        { "-0.7436438870371587", "0.1318259042053119", 128, 5000, 300 },
        { NULL, NULL, 1200, LOC_E318_ITER, LOC_E318_ITER },
        { "airplane", "0", 1200, 10, 10 },        //  Z_3 subnormal in doubles
        { "airplane", "0", 1200, 10, 7 },         //  Z_3 below them: 0
    };
    char re [2048];
    for (size_t index = 0; index < sizeof points / sizeof points [0]; index++) {
        const char *cre = points [index].re, *cim = points [index].im;
        if (cre && strcmp (cre, "airplane") == 0) {
            s_airplane (points [index].cut == 10? 316: 371, re, sizeof re);
            cre = re;
        }
        if (!cre) {
            snprintf (re, sizeof re, "%s", LOC_E318_CENTER);
            char *comma = strchr (re, ',');
            ck_assert_ptr_nonnull (comma);
            *comma = 0;
            cre = re, cim = comma + 1;
        }
        mf_orbit_t *fexp = s_orbit_at (cre, cim, points [index].precision,
                                       points [index].maxiter, MF_DELTA_FEXP);
        mf_orbit_t *direct = s_orbit_at (cre, cim, points [index].precision,
                                         points [index].cut, MF_DELTA_DOUBLE);
        char err [256];
        mf_orbit_t *derived = mf_orbit_as_doubles (fexp, points [index].cut, err, sizeof err);
        ck_assert_msg (derived != NULL, "%s", err);
        ck_assert_int_eq (mf_orbit_type (derived), MF_DELTA_DOUBLE);
        ck_assert_msg (s_same_bytes (derived, direct), "point %zu: the derived orbit differs "
                       "from the computed one", index);
        if (cre == re && cim [0] == '0') {
            //  The airplane's Z_3 where it was meant to be.
            double z3 = mf_orbit_data (derived) [6];
            ck_assert_msg (points [index].cut == 10? z3 != 0 && fabs (z3) < DBL_MIN: z3 == 0,
                           "Z_3 = %g", z3);
        }
        mf_orbit_destroy (&derived);
        mf_orbit_destroy (&direct);
        mf_orbit_destroy (&fexp);
    }
}
END_TEST

START_TEST (malformed_bytes_are_refused)
{
    //  A valid floatexp orbit of c = 1 (6 points, escaped), then one
    //  change at a time.
    mf_orbit_t *orbit = s_orbit_at ("1", "0", 64, 100, MF_DELTA_FEXP);
    size_t size;
    uint8_t *good = s_encode (orbit, &size);
    uint8_t *bytes = malloc (size + 8);
    char err [256];
    mf_orbit_t *back = mf_orbit_decode (good, size, err, sizeof err);
    ck_assert_ptr_nonnull (back);
    mf_orbit_destroy (&back);
    size_t point = MF_ORBIT_HEADER;           //  Z_0
    enum { TRUNCATE, LONGER, MAGIC, VERSION, TYPE, FLAG, FLAGS, RESERVED, PRECISION_LOW,
           PRECISION_HIGH, MAXITER_0, COUNT_1, COUNT_BIG, COUNT_UNESCAPED, NOT_ESCAPED,
           Z0, NAN_RE, INF_IM, MINUS_ZERO, UNNORMAL, BIG_MANTISSA, ZERO_WITH_E, EXPONENT_HIGH,
           EXPONENT_LOW, OFFSET_UNNORMAL, OFFSET_ZERO_E, CASES };
    for (int change = 0; change < CASES; change++) {
        memcpy (bytes, good, size);
        size_t length = size;
        uint8_t *p1 = bytes + point + MF_ORBIT_POINT_FEXP;      //  Z_1 = 1
        switch (change) {
            case TRUNCATE: length = size - 1; break;
            case LONGER: length = size + 1; bytes [size] = 0; break;
            case MAGIC: bytes [0] = 'X'; break;
            case VERSION: bytes [4] = 2; break;
            case TYPE: bytes [5] = 2; break;
            case FLAG: bytes [6] = 0; break;                    //  says not escaped
            case FLAGS: bytes [6] = 3; break;
            case RESERVED: bytes [7] = 1; break;
            case PRECISION_LOW: mf_le_put_u32 (bytes + 8, 63); break;
            case PRECISION_HIGH: mf_le_put_u32 (bytes + 8, MF_DEEP_MAX_PRECISION + 1); break;
            case MAXITER_0: mf_le_put_u32 (bytes + 12, 0); break;
            case COUNT_1: mf_le_put_u64 (bytes + 16, 1); length = MF_ORBIT_HEADER + 20; break;
            case COUNT_BIG: mf_le_put_u32 (bytes + 12, 4); break;   //  6 points > maxiter + 1
            case COUNT_UNESCAPED: bytes [6] = 0; mf_le_put_u32 (bytes + 12, 5); break;
            case NOT_ESCAPED:                                       //  the last point: 1
                mf_le_put_f64 (bytes + point + 5 * MF_ORBIT_POINT_FEXP, 1.0);
                mf_le_put_u32 (bytes + point + 5 * MF_ORBIT_POINT_FEXP + 16, 0);
                break;
            case Z0: mf_le_put_f64 (bytes + point, 1.0); break;
            case NAN_RE: mf_le_put_f64 (p1, NAN); break;
            case INF_IM: mf_le_put_f64 (p1 + 8, INFINITY); break;
            case MINUS_ZERO: mf_le_put_f64 (p1 + 8, -0.0); break;
            case UNNORMAL: mf_le_put_f64 (p1, 0.5); break;
            case BIG_MANTISSA: mf_le_put_f64 (p1, 2.0); break;
            case ZERO_WITH_E: mf_le_put_u32 (bytes + point + 16, 5); break;
            case EXPONENT_HIGH: mf_le_put_u32 (p1 + 16, 2000); break;
            case EXPONENT_LOW: mf_le_put_u32 (p1 + 16, 0x80000000u); break;
            case OFFSET_UNNORMAL: mf_le_put_f64 (bytes + 24, 3.0); break;
            case OFFSET_ZERO_E: mf_le_put_u64 (bytes + 40, 7); break;
        }
        err [0] = 0;
        back = mf_orbit_decode (bytes, length, err, sizeof err);
        ck_assert_msg (back == NULL, "change %d accepted", change);
        ck_assert_msg (strncmp (err, "reference orbit: ", 17) == 0 && !strchr (err, '\n'),
                       "change %d: '%s'", change, err);
    }
    //  Too short for a header, and empty.
    ck_assert_ptr_null (mf_orbit_decode (good, 10, err, sizeof err));
    ck_assert_ptr_null (mf_orbit_decode (good, 0, err, sizeof err));
    //  The double type refuses -0 and infinities too, and an escape
    //  before the last point.
    mf_orbit_t *dbl = s_orbit_at ("1", "0", 64, 100, MF_DELTA_DOUBLE);
    size_t dsize;
    uint8_t *dgood = s_encode (dbl, &dsize);
    memcpy (bytes, dgood, dsize);
    mf_le_put_f64 (bytes + MF_ORBIT_HEADER + 2 * MF_ORBIT_POINT_DOUBLE, 1000.0);
    ck_assert_ptr_null (mf_orbit_decode (bytes, dsize, err, sizeof err));
    memcpy (bytes, dgood, dsize);
    mf_le_put_f64 (bytes + MF_ORBIT_HEADER + MF_ORBIT_POINT_DOUBLE + 8, -0.0);
    ck_assert_ptr_null (mf_orbit_decode (bytes, dsize, err, sizeof err));
    free (dgood);
    mf_orbit_destroy (&dbl);
    free (bytes);
    free (good);
    mf_orbit_destroy (&orbit);
}
END_TEST

typedef struct {
    int calls;
    uint64_t last_done;
    atomic_int *cancel;
} s_progress_t;

static void
s_progress (void *arg, uint64_t done, uint64_t limit)
{
    s_progress_t *p = arg;
    p->calls++;
    ck_assert (done >= p->last_done && done <= limit);
    p->last_done = done;
    if (p->cancel)
        atomic_store (p->cancel, 1);
}

START_TEST (progress_and_cancel)
{
    mpfr_t cr, ci;
    mpfr_inits2 (64, cr, ci, (mpfr_ptr) 0);
    mpfr_set_si (cr, -1, MPFR_RNDN);
    mpfr_set_zero (ci, 1);
    char err [256];
    //  Progress: at least the final report, with every iteration.
    s_progress_t progress = { 0, 0, NULL };
    mf_orbit_hooks_t hooks = { s_progress, &progress, NULL };
    mf_orbit_t *orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), 3000, MF_DELTA_DOUBLE,
                                             &hooks, err, sizeof err);
    ck_assert_ptr_nonnull (orbit);
    ck_assert (progress.calls >= 1 && progress.last_done == 3000);
    mf_orbit_destroy (&orbit);
    //  Cancel, set before: stops at the first look (1024 iterations).
    atomic_int cancel = 1;
    hooks = (mf_orbit_hooks_t) { NULL, NULL, &cancel };
    orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), 100000000, MF_DELTA_DOUBLE, &hooks,
                                 err, sizeof err);
    ck_assert_ptr_null (orbit);
    ck_assert_str_eq (err, "cancelled");
    mpfr_clears (cr, ci, (mpfr_ptr) 0);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("orbit");
    TCase *tc = tcase_create ("orbit");
    tcase_add_test (tc, simple_orbits_exactly);
    tcase_add_test (tc, points_are_the_mpfr_values_rounded_once);
    tcase_add_test (tc, precise_orbits_on_two_threads_too);
    tcase_add_test (tc, floatexp_keeps_tiny_values);
    tcase_add_test (tc, bytes_read_back_exactly);
    tcase_add_test (tc, doubles_from_floatexp_are_the_computed_ones);
    tcase_add_test (tc, malformed_bytes_are_refused);
    tcase_add_test (tc, progress_and_cancel);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
