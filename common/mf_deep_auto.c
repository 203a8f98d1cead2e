/*  mf_deep_auto: see mf_deep_auto.h. The percentile is found by a radix
    select over the values' bits (non-negative doubles order like their
    bit patterns), four passes of 16 bits: exact, linear, 512 KB of
    counts, whatever the image size.
*/
#include "mf_deep_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RADIX_BITS 16                   //  bits of a digit of the select
#define RADIX_SIZE (1u << RADIX_BITS)   //  counts per pass
#define MAX_ITER 4294967295u            //  2^32 - 1

//  ceil (log10 zoom), at least 0.
static uint64_t
s_decades (const mf_deep_view_t *view)
{
    double decades = ceil (mf_deep_view_log10_zoom (view));
    return decades > 0? (uint64_t) decades: 0;
}

uint32_t
mf_deep_auto_cap (const mf_deep_view_t *view)
{
    uint64_t cap = (uint64_t) MF_AUTO_CAP_PER_DECADE * s_decades (view);
    if (cap < MF_AUTO_CAP_MIN)
        cap = MF_AUTO_CAP_MIN;
    return cap > MAX_ITER? MAX_ITER: (uint32_t) cap;
}

uint32_t
mf_deep_auto_maxiter (const mf_deep_view_t *view, const mf_orbit_t *orbit)
{
    if (!mf_orbit_escaped (orbit))
        return mf_orbit_maxiter (orbit);
    uint64_t escape = mf_orbit_count (orbit) - 1;
    uint64_t floor = MF_AUTO_FLOOR + (uint64_t) MF_AUTO_FLOOR_PER_DECADE * s_decades (view);
    uint64_t maxiter = 2 * escape > floor? 2 * escape: floor;
    return maxiter > MAX_ITER? MAX_ITER: (uint32_t) maxiter;
}

static uint64_t
s_bits (double x)
{
    uint64_t bits;
    memcpy (&bits, &x, sizeof bits);
    return bits;
}

#define READ_SLICE 65536                //  values read at a time from a reader

//  The values of an image held whole, for s_density.
typedef struct {
    const double *mu;
} s_whole_t;

static int
s_read_whole (void *arg, size_t first, size_t count, double *out)
{
    const s_whole_t *whole = arg;
    memcpy (out, whole->mu + first, count * sizeof *out);
    return 0;
}

//  The value of rank k (from 0) among the escaped mu (mu >= 0) of count
//  values read through read, slice by slice. Returns 0, or -1 without
//  memory or when read fails.
static int
s_select (mf_deep_read_fn *read, void *arg, size_t count, double *slice, uint64_t k,
          double *value)
{
    uint64_t *counts = malloc (RADIX_SIZE * sizeof (uint64_t));
    if (!counts)
        return -1;
    uint64_t prefix = 0;                //  the high bits fixed so far
    for (int shift = 64 - RADIX_BITS; shift >= 0; shift -= RADIX_BITS) {
        memset (counts, 0, RADIX_SIZE * sizeof (uint64_t));
        //  Values whose bits above this digit are the prefix so far.
        uint64_t high = shift + RADIX_BITS >= 64? 0: ~UINT64_C (0) << (shift + RADIX_BITS);
        for (size_t first = 0; first < count; first += READ_SLICE) {
            size_t some = count - first < READ_SLICE? count - first: READ_SLICE;
            if (read (arg, first, some, slice)) {
                free (counts);
                return -1;
            }
            for (size_t index = 0; index < some; index++)
                if (slice [index] >= 0) {
                    uint64_t bits = s_bits (slice [index]);
                    if ((bits & high) == prefix)
                        counts [(bits >> shift) & (RADIX_SIZE - 1)]++;
                }
        }
        uint64_t digit = 0;
        while (k >= counts [digit]) {
            k -= counts [digit];
            digit++;
        }
        prefix |= digit << shift;
    }
    free (counts);
    memcpy (value, &prefix, sizeof *value);
    return 0;
}

//  The density of count values read through read: one pass for the
//  lowest and the escaped count, then the select's.
static int
s_density (mf_deep_read_fn *read, void *arg, size_t count, mf_deep_density_t *density)
{
    density->lo = 1.0;
    density->scale = 1.0;
    double *slice = malloc (READ_SLICE * sizeof *slice);
    if (!slice)
        return -1;
    uint64_t escaped = 0;
    double lo = INFINITY;
    int rc = 0;
    for (size_t first = 0; first < count && rc == 0; first += READ_SLICE) {
        size_t some = count - first < READ_SLICE? count - first: READ_SLICE;
        rc = read (arg, first, some, slice);
        for (size_t index = 0; index < some && rc == 0; index++)
            if (slice [index] >= 0) {
                escaped++;
                if (slice [index] < lo)
                    lo = slice [index];
            }
    }
    double p99;
    if (rc == 0 && escaped == 0)
        rc = -1;
    if (rc == 0)
        rc = s_select (read, arg, count, slice, (escaped - 1) * 99 / 100, &p99);
    free (slice);
    if (rc)
        return -1;
    density->lo = lo;
    density->scale = MF_DENSITY_SPAN / (p99 - lo + 1.0);
    return 0;
}

int
mf_deep_density (const double *mu, size_t count, mf_deep_density_t *density)
{
    s_whole_t whole = { mu };
    return s_density (s_read_whole, &whole, count, density);
}

int
mf_deep_density_read (mf_deep_read_fn *read, void *arg, size_t count,
                      mf_deep_density_t *density)
{
    return s_density (read, arg, count, density);
}

void
mf_deep_density_apply (const mf_deep_density_t *density, const double *mu, size_t count,
                       float *out)
{
    for (size_t index = 0; index < count; index++)
        out [index] = mu [index] >= 0?
            (float) ((mu [index] - density->lo + 1.0) * density->scale): -1.0f;
}
