/*  mf_cursor: a position in a byte buffer that little-endian fields are
    written to or read from one after the other, so a layout is a sequence
    of calls and its byte offsets are never written down twice.

    The idea is CZMQ zproto's generated codecs (PUT_NUMBER4 and
    GET_NUMBER4 moving a needle towards a ceiling): a field that does not
    fit sets the cursor's error flag and touches nothing, every later call
    is then a no-op (a get returns 0), and the caller checks once, at the
    end, with mf_cursor_ok or mf_cursor_done. So a short buffer can never
    be read or written past its end, whatever the order of the checks.

    A writer must only be put to, and a reader only got from (asserted).
*/
#ifndef MF_CURSOR_H
#define MF_CURSOR_H

#include "mf_le.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint8_t *out;                       //  the buffer of a writer; NULL in a reader
    const uint8_t *in;                  //  the buffer of a reader; NULL in a writer
    size_t size;                        //  bytes of the buffer
    size_t pos;                         //  offset of the next field, <= size
    bool error;                         //  a field did not fit (sticky)
} mf_cursor_t;

//  A cursor writing buf (size bytes) from its start.
static inline mf_cursor_t
mf_cursor_writer (uint8_t *buf, size_t size)
{
    mf_cursor_t cursor = { .out = buf, .in = NULL, .size = size, .pos = 0, .error = false };
    return cursor;
}

//  A cursor reading data (size bytes) from its start. data may be NULL
//  when size is 0.
static inline mf_cursor_t
mf_cursor_reader (const uint8_t *data, size_t size)
{
    mf_cursor_t cursor = { .out = NULL, .in = data, .size = size, .pos = 0, .error = false };
    return cursor;
}

//  Whether every field so far fitted.
static inline bool
mf_cursor_ok (const mf_cursor_t *self)
{
    return !self->error;
}

//  Whether every field fitted and they used the buffer exactly: what a
//  decoder of a fixed layout asks at its end.
static inline bool
mf_cursor_done (const mf_cursor_t *self)
{
    return !self->error && self->pos == self->size;
}

//  Bytes left after the position (0 once the error flag is set).
static inline size_t
mf_cursor_left (const mf_cursor_t *self)
{
    return self->error? 0: self->size - self->pos;
}

//  Claims the next size bytes of a writer and returns where they start,
//  for the caller to fill (a whole array at once); NULL, and the error
//  flag set, when they do not fit.
static inline uint8_t *
mf_cursor_put_span (mf_cursor_t *self, size_t size)
{
    assert (self->out);
    if (self->error || size > self->size - self->pos) {
        self->error = true;
        return NULL;
    }
    uint8_t *span = self->out + self->pos;
    self->pos += size;
    return span;
}

//  Claims the next size bytes of a reader and returns where they start
//  (inside the caller's buffer; NULL for 0 bytes of a NULL buffer); NULL,
//  and the error flag set, when the buffer holds fewer.
static inline const uint8_t *
mf_cursor_get_span (mf_cursor_t *self, size_t size)
{
    assert (self->in || self->size == 0);
    if (self->error || size > self->size - self->pos) {
        self->error = true;
        return NULL;
    }
    const uint8_t *span = self->in + self->pos;
    self->pos += size;
    return span;
}

//  Fixed-size fields: each put writes v little-endian at the position and
//  moves it on (IEEE-754 bits for floats, every bit kept).
static inline void
mf_cursor_put_u8 (mf_cursor_t *self, uint8_t v)
{
    uint8_t *p = mf_cursor_put_span (self, 1);
    if (p)
        *p = v;
}

static inline void
mf_cursor_put_u16 (mf_cursor_t *self, uint16_t v)
{
    uint8_t *p = mf_cursor_put_span (self, 2);
    if (p)
        mf_le_put_u16 (p, v);
}

static inline void
mf_cursor_put_u32 (mf_cursor_t *self, uint32_t v)
{
    uint8_t *p = mf_cursor_put_span (self, 4);
    if (p)
        mf_le_put_u32 (p, v);
}

static inline void
mf_cursor_put_u64 (mf_cursor_t *self, uint64_t v)
{
    uint8_t *p = mf_cursor_put_span (self, 8);
    if (p)
        mf_le_put_u64 (p, v);
}

static inline void
mf_cursor_put_f32 (mf_cursor_t *self, float v)
{
    uint8_t *p = mf_cursor_put_span (self, 4);
    if (p)
        mf_le_put_f32 (p, v);
}

static inline void
mf_cursor_put_f64 (mf_cursor_t *self, double v)
{
    uint8_t *p = mf_cursor_put_span (self, 8);
    if (p)
        mf_le_put_f64 (p, v);
}

//  Writes size bytes from data as they are (magic numbers, payloads).
static inline void
mf_cursor_put_bytes (mf_cursor_t *self, const void *data, size_t size)
{
    uint8_t *p = mf_cursor_put_span (self, size);
    if (p && size)
        memcpy (p, data, size);
}

//  Writes size zero bytes (padding, reserved fields).
static inline void
mf_cursor_put_zeros (mf_cursor_t *self, size_t size)
{
    uint8_t *p = mf_cursor_put_span (self, size);
    if (p)
        memset (p, 0, size);
}

//  Writes a fixed field of size bytes: text's first size bytes (or fewer,
//  up to its NUL), NUL-padded. Not NUL-terminated when text fills it.
static inline void
mf_cursor_put_text (mf_cursor_t *self, const char *text, size_t size)
{
    uint8_t *p = mf_cursor_put_span (self, size);
    if (p) {
        size_t length = strnlen (text, size);
        memcpy (p, text, length);
        memset (p + length, 0, size - length);
    }
}

//  Writes count floats, 4 little-endian bytes each.
static inline void
mf_cursor_put_f32s (mf_cursor_t *self, const float *values, size_t count)
{
    //  A count too large to have 4 * count bytes fails like any overrun.
    uint8_t *p = count > SIZE_MAX / 4? NULL: mf_cursor_put_span (self, 4 * count);
    if (count > SIZE_MAX / 4)
        self->error = true;
    if (p)
        mf_le_put_f32s (p, values, count);
}

//  Fixed-size fields: each get returns the little-endian value at the
//  position and moves it on; 0 (0.0) when the field does not fit or the
//  flag was already set.
static inline uint8_t
mf_cursor_get_u8 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 1);
    return p? *p: 0;
}

static inline uint16_t
mf_cursor_get_u16 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 2);
    return p? mf_le_get_u16 (p): 0;
}

static inline uint32_t
mf_cursor_get_u32 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 4);
    return p? mf_le_get_u32 (p): 0;
}

static inline uint64_t
mf_cursor_get_u64 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 8);
    return p? mf_le_get_u64 (p): 0;
}

static inline float
mf_cursor_get_f32 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 4);
    return p? mf_le_get_f32 (p): 0.0f;
}

static inline double
mf_cursor_get_f64 (mf_cursor_t *self)
{
    const uint8_t *p = mf_cursor_get_span (self, 8);
    return p? mf_le_get_f64 (p): 0.0;
}

//  Copies the next size bytes into data (left as it was on an overrun).
static inline void
mf_cursor_get_bytes (mf_cursor_t *self, void *data, size_t size)
{
    const uint8_t *p = mf_cursor_get_span (self, size);
    if (p && size)
        memcpy (data, p, size);
}

//  Reads size bytes that must all be zero; a non-zero one sets the error
//  flag, as an overrun does (a reserved field that is not zero makes the
//  whole layout invalid).
static inline void
mf_cursor_get_zeros (mf_cursor_t *self, size_t size)
{
    const uint8_t *p = mf_cursor_get_span (self, size);
    for (size_t index = 0; p && index < size; index++)
        if (p [index])
            self->error = true;
}

//  Loads count floats, 4 little-endian bytes each, into values (left as
//  they were on an overrun).
static inline void
mf_cursor_get_f32s (mf_cursor_t *self, float *values, size_t count)
{
    const uint8_t *p = count > SIZE_MAX / 4? NULL: mf_cursor_get_span (self, 4 * count);
    if (count > SIZE_MAX / 4)
        self->error = true;
    if (p)
        mf_le_get_f32s (values, p, count);
}

#endif
