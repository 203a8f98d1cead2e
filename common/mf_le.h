/*  mf_le: little-endian integers and doubles in byte buffers, read and
    written field by field (never by casting a struct onto the buffer),
    so the wire and the checkpoint journal are the same bytes on every
    host and alignment.
*/
#ifndef MF_LE_H
#define MF_LE_H

#include <stdint.h>
#include <string.h>

static inline void
mf_le_put_u32 (uint8_t *p, uint32_t v)
{
    p [0] = (uint8_t) v;
    p [1] = (uint8_t) (v >> 8);
    p [2] = (uint8_t) (v >> 16);
    p [3] = (uint8_t) (v >> 24);
}

static inline uint32_t
mf_le_get_u32 (const uint8_t *p)
{
    return (uint32_t) p [0] | (uint32_t) p [1] << 8
         | (uint32_t) p [2] << 16 | (uint32_t) p [3] << 24;
}

static inline void
mf_le_put_u64 (uint8_t *p, uint64_t v)
{
    mf_le_put_u32 (p, (uint32_t) v);
    mf_le_put_u32 (p + 4, (uint32_t) (v >> 32));
}

static inline uint64_t
mf_le_get_u64 (const uint8_t *p)
{
    return (uint64_t) mf_le_get_u32 (p) | (uint64_t) mf_le_get_u32 (p + 4) << 32;
}

static inline void
mf_le_put_f64 (uint8_t *p, double v)
{
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    mf_le_put_u64 (p, bits);
}

static inline double
mf_le_get_f64 (const uint8_t *p)
{
    uint64_t bits = mf_le_get_u64 (p);
    double v;
    memcpy (&v, &bits, sizeof v);
    return v;
}

#endif
