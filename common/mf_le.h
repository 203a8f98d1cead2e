/*  mf_le: little-endian integers and floats in byte buffers, read and
    written field by field (never by casting a struct onto the buffer),
    so the wire, the checkpoint journal and the .npy output are the same
    bytes on every host and alignment.

    These are the raw stores and loads at a pointer; mf_cursor.h walks a
    buffer with them, one field after the other, checking its bounds.
    Floats travel as their IEEE-754 bit patterns: every bit is kept, the
    sign of zero and NaN payloads included.
*/
#ifndef MF_LE_H
#define MF_LE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

//  Each put stores v at p, least significant byte first; each get loads
//  it back. The caller has checked that the bytes are there.
static inline void
mf_le_put_u16 (uint8_t *p, uint16_t v)
{
    p [0] = (uint8_t) v;
    p [1] = (uint8_t) (v >> 8);
}

static inline uint16_t
mf_le_get_u16 (const uint8_t *p)
{
    return (uint16_t) (p [0] | p [1] << 8);
}

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
mf_le_put_f32 (uint8_t *p, float v)
{
    uint32_t bits;
    memcpy (&bits, &v, sizeof bits);
    mf_le_put_u32 (p, bits);
}

static inline float
mf_le_get_f32 (const uint8_t *p)
{
    uint32_t bits = mf_le_get_u32 (p);
    float v;
    memcpy (&v, &bits, sizeof v);
    return v;
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

//  Stores count floats little-endian at dst, 4 bytes each (in place when
//  dst and src are the same memory). On a little-endian host this is a
//  copy, which is why mu arrays (a tile's worth, up to 4 MiB) go through
//  here rather than float by float.
static inline void
mf_le_put_f32s (uint8_t *dst, const float *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if ((const void *) dst != (const void *) src)
        memmove (dst, src, count * 4);
#else
    for (size_t index = 0; index < count; index++)
        mf_le_put_f32 (dst + 4 * index, src [index]);
#endif
}

//  Loads count little-endian floats from src (4 * count bytes) into dst.
static inline void
mf_le_get_f32s (float *dst, const uint8_t *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy (dst, src, count * 4);
#else
    for (size_t index = 0; index < count; index++)
        dst [index] = mf_le_get_f32 (src + 4 * index);
#endif
}

//  Loads a block of h rows of w little-endian floats, packed (4 * w
//  bytes a row, as a tile travels), into dst, whose rows are dst_stride
//  floats apart: an image at the block's top-left pixel. The float
//  counterpart is mf_rect_copy (mf_tiles.h).
static inline void
mf_le_get_f32_rect (float *dst, size_t dst_stride, const uint8_t *src, uint32_t w, uint32_t h)
{
    for (uint32_t row = 0; row < h; row++)
        mf_le_get_f32s (dst + (size_t) row * dst_stride, src + (size_t) row * w * 4, w);
}

#endif
