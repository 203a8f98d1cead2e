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

//  The value of rank k (from 0) among the escaped mu (mu >= 0). Returns
//  0, or -1 without memory.
static int
s_select (const double *mu, size_t count, uint64_t k, double *value)
{
    uint64_t *counts = malloc (RADIX_SIZE * sizeof (uint64_t));
    if (!counts)
        return -1;
    uint64_t prefix = 0;                //  the high bits fixed so far
    for (int shift = 64 - RADIX_BITS; shift >= 0; shift -= RADIX_BITS) {
        memset (counts, 0, RADIX_SIZE * sizeof (uint64_t));
        //  Values whose bits above this digit are the prefix so far.
        uint64_t high = shift + RADIX_BITS >= 64? 0: ~UINT64_C (0) << (shift + RADIX_BITS);
        for (size_t index = 0; index < count; index++)
            if (mu [index] >= 0) {
                uint64_t bits = s_bits (mu [index]);
                if ((bits & high) == prefix)
                    counts [(bits >> shift) & (RADIX_SIZE - 1)]++;
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

int
mf_deep_density (const double *mu, size_t count, mf_deep_density_t *density)
{
    density->lo = 1.0;
    density->scale = 1.0;
    uint64_t escaped = 0;
    double lo = INFINITY;
    for (size_t index = 0; index < count; index++)
        if (mu [index] >= 0) {
            escaped++;
            if (mu [index] < lo)
                lo = mu [index];
        }
    if (escaped == 0)
        return -1;
    double p99;
    if (s_select (mu, count, (escaped - 1) * 99 / 100, &p99))
        return -1;
    density->lo = lo;
    density->scale = MF_DENSITY_SPAN / (p99 - lo + 1.0);
    return 0;
}

void
mf_deep_density_apply (const mf_deep_density_t *density, const double *mu, size_t count,
                       float *out)
{
    for (size_t index = 0; index < count; index++)
        out [index] = mu [index] >= 0?
            (float) ((mu [index] - density->lo + 1.0) * density->scale): -1.0f;
}
