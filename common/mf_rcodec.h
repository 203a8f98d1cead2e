/*  mf_rcodec: a tile's mu, compressed losslessly for the wire (RESULT's
    encoding 1, docs/PROTOCOL.md), and back.

    The input is a raw RESULT payload: w x h values, row-major, each a
    little-endian word of 4 bytes (f32 mu) or 8 (f64 mu). Mu is smooth
    away from the set's boundary, so each word is predicted, as an
    integer, from its neighbours (left + up - up-left: a plane through
    them), and only the difference travels. Differences are small, so
    after a zigzag (small negatives become small positives) their high
    bytes are nearly all zero: the bytes are regrouped into planes (every
    word's byte 0, then every word's byte 1, ...), and the planes go into
    one zstd frame at level 1. Interior pixels (-1) come in runs, whose
    differences are 0. The default view's 4 bytes a pixel become 0.76
    (docs/PERFORMANCE.md, "The wire", has the measurements and the
    candidates this one was chosen from).

    Everything is integer arithmetic on the words' bits, modulo 2^32 or
    2^64: exact whatever the bits are (NaN, -0, anything), and the same
    on every machine.

    Decoding trusts nothing: the frame must be exactly one zstd frame of
    exactly the size given, that declares its content size, equal to the
    payload's raw size, needs no dictionary and a window of at most
    2^MF_RCODEC_WINDOW_LOG bytes; it is decompressed in one call into a
    buffer of exactly the raw size, which it must fill. A frame that
    holds more than it says fails without growing anything. What the
    decoded values mean (their range) is the caller's to check.

    A codec holds zstd contexts and buffers, reused from one tile to the
    next (a tile of 1024 x 1024 f64 takes 16 MiB of them); one per
    thread. Pure functions otherwise: no sockets, no globals.
*/
#ifndef MF_RCODEC_H
#define MF_RCODEC_H

#include <stddef.h>
#include <stdint.h>

#define MF_RCODEC_LEVEL 1               //  zstd compression level
#define MF_RCODEC_WINDOW_LOG 23         //  log2 of the largest zstd window, bytes (8 MiB:
                                        //  a whole payload of 1024 x 1024 f64)

typedef struct _mf_rcodec_t mf_rcodec_t;

//  A new codec, or NULL when out of memory.
mf_rcodec_t *mf_rcodec_new (void);

//  Frees the codec and its buffers; safe twice, nulls the pointer.
void mf_rcodec_destroy (mf_rcodec_t **self_p);

//  Encodes raw (w * h words of word bytes, word 4 or 8; w, h >= 1).
//  Returns the encoded bytes (inside the codec, valid until its next
//  call) and sets *size, or NULL when the encoding would not be smaller
//  than raw (send raw then) or memory ran out.
const uint8_t *mf_rcodec_encode (mf_rcodec_t *self, size_t word, uint32_t w, uint32_t h,
                                 const uint8_t *raw, size_t *size);

//  Decodes size bytes at src into the raw payload of w * h words of word
//  bytes. Returns it (inside the codec, valid until its next call), or
//  NULL with one line in err saying what was refused.
const uint8_t *mf_rcodec_decode (mf_rcodec_t *self, size_t word, uint32_t w, uint32_t h,
                                 const uint8_t *src, size_t size, char *err, size_t errlen);

#endif
