/*  mf_rcodec: see mf_rcodec.h. zstd's frame header is read with
    ZSTD_getFrameHeader, from zstd's "static linking only" section (as
    mf_ship.c does): the one call that tells a frame's content size,
    window and dictionary before anything is decompressed.

    The transform runs over the words as unsigned integers of 32 or 64
    bits; s_forward and s_inverse are written once for both sizes and
    inlined with the size as a constant, so each loop is specialised.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "mf_rcodec.h"
#include "mf_le.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

struct _mf_rcodec_t {
    ZSTD_CCtx *cctx;                    //  encoder, parameters set once
    ZSTD_DCtx *dctx;                    //  decoder, window limit set once
    uint8_t *planes;                    //  the byte planes of one tile
    uint8_t *out;                       //  an encoded or decoded tile
    size_t capacity;                    //  bytes of each buffer
};

mf_rcodec_t *
mf_rcodec_new (void)
{
    mf_rcodec_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cctx = ZSTD_createCCtx ();
    self->dctx = ZSTD_createDCtx ();
    if (!self->cctx || !self->dctx
    ||  ZSTD_isError (ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_compressionLevel,
                                              MF_RCODEC_LEVEL))
    ||  ZSTD_isError (ZSTD_CCtx_setParameter (self->cctx, ZSTD_c_contentSizeFlag, 1))
    ||  ZSTD_isError (ZSTD_DCtx_setParameter (self->dctx, ZSTD_d_windowLogMax,
                                              MF_RCODEC_WINDOW_LOG))) {
        mf_rcodec_destroy (&self);
        return NULL;
    }
    return self;
}

void
mf_rcodec_destroy (mf_rcodec_t **self_p)
{
    assert (self_p);
    mf_rcodec_t *self = *self_p;
    if (!self)
        return;
    ZSTD_freeCCtx (self->cctx);
    ZSTD_freeDCtx (self->dctx);
    free (self->planes);
    free (self->out);
    free (self);
    *self_p = NULL;
}

//  Grows both buffers to bytes; false when out of memory.
static bool
s_room (mf_rcodec_t *self, size_t bytes)
{
    if (bytes <= self->capacity)
        return true;
    free (self->planes);
    free (self->out);
    self->planes = malloc (bytes);
    self->out = malloc (bytes);
    self->capacity = self->planes && self->out? bytes: 0;
    return self->capacity > 0;
}

static inline uint64_t
s_get (const uint8_t *p, size_t word)
{
    return word == 4? mf_le_get_u32 (p): mf_le_get_u64 (p);
}

static inline void
s_put (uint8_t *p, size_t word, uint64_t v)
{
    if (word == 4)
        mf_le_put_u32 (p, (uint32_t) v);
    else
        mf_le_put_u64 (p, v);
}

//  Each word is predicted from its neighbours, which the decoder has
//  already: left + up - up-left inside the tile, the left one on the top
//  row, the upper one in the left column, 0 for the first word. The
//  difference is zigzagged (0, -1, 1, -2, ... become 0, 1, 2, 3, ...) so
//  that small differences of either sign have zero high bytes.
static inline uint64_t
s_zig (uint64_t diff, size_t word)
{
    uint64_t mask = word == 4? UINT32_MAX: UINT64_MAX;
    diff &= mask;
    return ((diff << 1) ^ (0 - (diff >> (word * 8 - 1)))) & mask;
}

static inline uint64_t
s_unzig (uint64_t zig)
{
    return (zig >> 1) ^ (0 - (zig & 1));
}

//  Raw words to byte planes of zigzagged differences: byte b of word i
//  goes to planes [b * count + i].
static inline __attribute__ ((always_inline)) void
s_forward (const uint8_t *raw, uint8_t *planes, size_t word, uint32_t w, uint32_t h)
{
    size_t count = (size_t) w * h, stride = (size_t) w * word;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = raw + y * stride;
        const uint8_t *up = y? row - stride: row;      //  read only when y > 0
        size_t first = (size_t) y * w;
        for (uint32_t x = 0; x < w; x++) {
            uint64_t value = s_get (row + x * word, word), guess;
            if (x && y)
                guess = s_get (row + (x - 1) * word, word) + s_get (up + x * word, word)
                      - s_get (up + (x - 1) * word, word);
            else
                guess = x? s_get (row + (x - 1) * word, word): y? s_get (up, word): 0;
            uint64_t zig = s_zig (value - guess, word);
            for (size_t byte = 0; byte < word; byte++)
                planes [byte * count + first + x] = (uint8_t) (zig >> (8 * byte));
        }
    }
}

//  Byte planes back to raw words.
static inline __attribute__ ((always_inline)) void
s_inverse (const uint8_t *planes, uint8_t *raw, size_t word, uint32_t w, uint32_t h)
{
    uint64_t mask = word == 4? UINT32_MAX: UINT64_MAX;
    size_t count = (size_t) w * h, stride = (size_t) w * word;
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = raw + y * stride;
        const uint8_t *up = y? row - stride: row;
        size_t first = (size_t) y * w;
        uint64_t left = 0;
        for (uint32_t x = 0; x < w; x++) {
            uint64_t zig = 0, guess;
            for (size_t byte = 0; byte < word; byte++)
                zig |= (uint64_t) planes [byte * count + first + x] << (8 * byte);
            if (x && y)
                guess = left + s_get (up + x * word, word) - s_get (up + (x - 1) * word, word);
            else
                guess = x? left: y? s_get (up, word): 0;
            left = (guess + s_unzig (zig)) & mask;
            s_put (row + x * word, word, left);
        }
    }
}

const uint8_t *
mf_rcodec_encode (mf_rcodec_t *self, size_t word, uint32_t w, uint32_t h,
                  const uint8_t *raw, size_t *size)
{
    assert (word == 4 || word == 8);
    assert (w >= 1 && h >= 1);
    size_t bytes = word * w * h;
    if (!s_room (self, bytes))
        return NULL;
    if (word == 4)
        s_forward (raw, self->planes, 4, w, h);
    else
        s_forward (raw, self->planes, 8, w, h);
    //  Room for one byte less than raw: what does not fit is not worth
    //  sending (zstd says dstSize_tooSmall).
    size_t packed = ZSTD_compress2 (self->cctx, self->out, bytes - 1, self->planes, bytes);
    if (ZSTD_isError (packed))
        return NULL;
    *size = packed;
    return self->out;
}

static const uint8_t *
s_refuse (char *err, size_t errlen, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static const uint8_t *
s_refuse (char *err, size_t errlen, const char *format, ...)
{
    if (err && errlen) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, errlen, format, args);
        va_end (args);
    }
    return NULL;
}

const uint8_t *
mf_rcodec_decode (mf_rcodec_t *self, size_t word, uint32_t w, uint32_t h,
                  const uint8_t *src, size_t size, char *err, size_t errlen)
{
    assert (word == 4 || word == 8);
    assert (w >= 1 && h >= 1);
    size_t bytes = word * w * h;
    ZSTD_frameHeader header;
    if (!src || size == 0 || ZSTD_getFrameHeader (&header, src, size) != 0
    ||  header.frameType != ZSTD_frame)
        return s_refuse (err, errlen, "the encoded mu is not a zstd frame");
    if (header.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN)
        return s_refuse (err, errlen, "the encoded mu's frame does not say its size");
    if (header.frameContentSize != bytes)
        return s_refuse (err, errlen, "the encoded mu's frame holds %llu bytes, the tile "
                         "%zu", header.frameContentSize, bytes);
    if (header.windowSize > (1ULL << MF_RCODEC_WINDOW_LOG))
        return s_refuse (err, errlen, "the encoded mu's frame needs a window of %llu bytes, "
                         "more than 2^%d", header.windowSize, MF_RCODEC_WINDOW_LOG);
    if (header.dictID != 0)
        return s_refuse (err, errlen, "the encoded mu's frame needs a dictionary");
    size_t frame = ZSTD_findFrameCompressedSize (src, size);
    if (ZSTD_isError (frame) || frame != size)
        return s_refuse (err, errlen, "the encoded mu is %s",
                         ZSTD_isError (frame)? "a truncated or damaged frame"
                                             : "one frame followed by more bytes");
    if (!s_room (self, bytes))
        return s_refuse (err, errlen, "out of memory for a tile of %zu bytes", bytes);
    //  Exactly the tile's size: a frame that holds more fails
    //  (dstSize_tooSmall), one that holds less fails too (zstd compares
    //  what it wrote with the header's content size).
    size_t got = ZSTD_decompressDCtx (self->dctx, self->planes, bytes, src, size);
    if (ZSTD_isError (got) || got != bytes)
        return s_refuse (err, errlen, "the encoded mu does not decompress to its %zu bytes: "
                         "%s", bytes, ZSTD_isError (got)? ZSTD_getErrorName (got): "short");
    if (word == 4)
        s_inverse (self->planes, self->out, 4, w, h);
    else
        s_inverse (self->planes, self->out, 8, w, h);
    return self->out;
}
