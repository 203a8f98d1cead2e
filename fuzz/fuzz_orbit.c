/*  Fuzzes the reference orbit's decoder, mf_orbit_decode.

    The input is an orbit's canonical bytes as a worker receives them. A
    refused input must say why, in one line. An accepted one must keep
    every promise of mf_orbit.h: the sizes match, Z_0 is 0, every point
    is finite and normalised, only the last may escape and must when the
    flag says so; and encoding what was decoded gives back the same bytes.
*/
#include "fuzz.h"
#include "mf_mu.h"
#include "mf_orbit.h"

#include <math.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [256] = "";
    mf_orbit_t *orbit = mf_orbit_decode (data, size, err, sizeof err);
    if (!orbit) {
        FUZZ_CHECK (strncmp (err, "reference orbit: ", 17) == 0
                    || strncmp (err, "out of memory", 13) == 0);
        FUZZ_CHECK (strchr (err, '\n') == NULL);
        return 0;
    }
    uint64_t count = mf_orbit_count (orbit);
    mf_delta_t type = mf_orbit_type (orbit);
    FUZZ_CHECK (type == MF_DELTA_DOUBLE || type == MF_DELTA_FEXP);
    FUZZ_CHECK (count >= 2 && count <= (uint64_t) mf_orbit_maxiter (orbit) + 1);
    FUZZ_CHECK (mf_orbit_escaped (orbit) || count == (uint64_t) mf_orbit_maxiter (orbit) + 1);
    FUZZ_CHECK (size == mf_orbit_encoded_size (orbit));
    FUZZ_CHECK (mf_fexpc_is_zero (mf_orbit_point (orbit, 0)));
    for (uint64_t m = 0; m < count; m++) {
        mf_fexpc_t z = mf_orbit_point (orbit, m);
        FUZZ_CHECK (isfinite (z.re) && isfinite (z.im));
        double big = fmax (fabs (z.re), fabs (z.im));
        FUZZ_CHECK (mf_fexpc_is_zero (z)? z.e == MF_FEXP_ZERO_E || type == MF_DELTA_DOUBLE:
                    big >= 1.0 && big < 2.0);
        double x = mf_fexpc_re_double (z), y = mf_fexpc_im_double (z);
        bool out = !(fma (x, x, y * y) <= MF_BAILOUT_SQ);
        FUZZ_CHECK (m + 1 < count? !out: out == mf_orbit_escaped (orbit));
    }
    uint8_t *again = malloc (size);
    FUZZ_CHECK (again != NULL);
    FUZZ_CHECK (mf_orbit_encode (orbit, again, size) == size);
    FUZZ_CHECK (memcmp (again, data, size) == 0);
    free (again);
    mf_orbit_destroy (&orbit);
    return 0;
}
