/*  mf_orbit: the reference orbit of a deep view, computed once in MPFR
    and kept in the deltas' number type; and its canonical byte form.

    Z_0 = 0, Z_{n+1} = Z_n^2 + C, in MPFR at the reference point's
    precision (re = (x + y)(x - y) + C_re, im = 2 x y + C_im, each
    operation rounded to nearest at that precision), until Z_n escapes
    (|Z_n|^2 > 65536, tested on Z_n rounded to doubles as the kernels
    test pixels) or n = maxiter. Every Z_n is kept, rounded once to the
    view's delta type: doubles (underflow to 0 is harmless at the depths
    that use them: mf_deep.h), or floatexp (mf_fexp.h), where the values
    near a deep minibrot's nucleus, far below 1e-308, stay exact to 53 bits.
    count is the number of points, Z_0 .. Z_{count-1}.

    Canonical bytes (little-endian; version 1):

        0   4  magic "MFRO"
        4   1  version, 1
        5   1  type: 0 double, 1 floatexp
        6   1  flags: bit 0 set when Z_{count-1} escaped; other bits 0
        7   1  0
        8   4  precision of the reference, bits (64 .. MF_DEEP_MAX_PRECISION)
        12  4  maxiter (>= 1)
        16  8  count (2 .. maxiter + 1; maxiter + 1 exactly when not escaped)
        24  24 offset of the view's center from the reference point: re, im
               (f64, floatexp mantissas, normalised or both +0) and e (i64,
               0 when zero)
        48  the points: double: re, im (f64); floatexp: re, im (f64) and e
            (i32), normalised, zero as +0, +0, 0

    The decoder refuses anything else: another size, version, type or
    flag, a NaN, an infinity or a -0, a mantissa out of [1, 2), Z_0 not
    0, a point before the last that escaped, a last point that does not
    match the flag, an exponent out of range.
*/
#ifndef MF_ORBIT_H
#define MF_ORBIT_H

#include "mf_deep.h"
#include "mf_fexp.h"

#include <mpfr.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_ORBIT_VERSION 1
#define MF_ORBIT_HEADER 48              //  bytes before the points
#define MF_ORBIT_POINT_DOUBLE 16        //  bytes of a point, double type
#define MF_ORBIT_POINT_FEXP 20          //  bytes of a point, floatexp type
#define MF_ORBIT_PROGRESS_MS 200        //  msecs between two progress calls, about
#define MF_ORBIT_MIN_EXP (-(INT64_C (1) << 31) + 1)   //  lowest exponent of a floatexp point

typedef struct _mf_orbit_t mf_orbit_t;

//  What the computation reports and obeys. Any field may be NULL.
typedef struct {
    //  Called about every MF_ORBIT_PROGRESS_MS with the iterations done
    //  and maxiter (the reference may escape before).
    void (*progress) (void *arg, uint64_t done, uint64_t limit);
    void *arg;                          //  progress's argument
    const atomic_int *cancel;           //  nonzero: stop soon, return NULL
} mf_orbit_hooks_t;

//  Computes the orbit of the view's center to escape or maxiter, in the
//  view's delta type. Returns the orbit, or NULL with the reason in err
//  (cancelled, out of memory). The caller destroys it. From 2000 bits on
//  it starts a helper thread for the second product of each iteration
//  (joined before it returns), and goes on alone when no second core
//  keeps pace: the operations, and so the bits, are the same.
mf_orbit_t *mf_orbit_compute (const mf_deep_view_t *view, uint32_t maxiter,
                              const mf_orbit_hooks_t *hooks, char *err, size_t errlen);

//  The same from any reference point re + i im (its precision is theirs),
//  in the given type, recording offset (the view's center minus the
//  point).
mf_orbit_t *mf_orbit_compute_at (mpfr_srcptr re, mpfr_srcptr im, mf_fexpc_t offset,
                                 uint32_t maxiter, mf_delta_t type,
                                 const mf_orbit_hooks_t *hooks, char *err, size_t errlen);

//  The same orbit in doubles, from one in floatexp (self), to maxiter
//  (at most self's; the points after it dropped): each point rounded to
//  doubles as a computation in doubles rounds it, so the result is,
//  byte for byte, the orbit mf_orbit_compute_at gives at the same point
//  in doubles to maxiter, without a second MPFR computation. Returns a
//  new orbit (the caller destroys it), or NULL with the reason in err
//  (out of memory).
mf_orbit_t *mf_orbit_as_doubles (const mf_orbit_t *self, uint32_t maxiter, char *err,
                                 size_t errlen);

//  Destroys an orbit; safe twice, nulls the pointer.
void mf_orbit_destroy (mf_orbit_t **self_p);

uint64_t mf_orbit_count (const mf_orbit_t *self);
mf_delta_t mf_orbit_type (const mf_orbit_t *self);
bool mf_orbit_escaped (const mf_orbit_t *self);
uint32_t mf_orbit_maxiter (const mf_orbit_t *self);
long mf_orbit_precision (const mf_orbit_t *self);
mf_fexpc_t mf_orbit_offset (const mf_orbit_t *self);

//  Z_m (m < count) as floatexp, whatever the type.
mf_fexpc_t mf_orbit_point (const mf_orbit_t *self, uint64_t m);

//  The points as the kernels read them (owned by the orbit): for the
//  double type 2 doubles a point (re, im); for floatexp 4 (re, im, e as
//  a double, 0), with e = MF_FEXP_ZERO_E for zero.
const double *mf_orbit_data (const mf_orbit_t *self);

//  Bytes of the canonical form.
size_t mf_orbit_encoded_size (const mf_orbit_t *self);

//  Writes the canonical form into out. Returns the bytes written, or 0
//  when size is too small.
size_t mf_orbit_encode (const mf_orbit_t *self, uint8_t *out, size_t size);

//  Reads a canonical form. Returns a new orbit, or NULL with the reason
//  in err (one line). The caller destroys it.
mf_orbit_t *mf_orbit_decode (const uint8_t *data, size_t size, char *err, size_t errlen);

#endif
