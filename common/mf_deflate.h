/*  mf_deflate: a fast deflate encoder (RFC 1951) for PNG image data, a
    pure function over bytes.

    One call compresses one piece of a stream, on its own: runs of a
    repeated byte (what PNG filter Up makes of flat color and of the
    black inside the set) become matches at distance 1 within the piece,
    everything else stays literal, under a Huffman code built for the
    piece; or, where that would not be smaller, stored blocks. The piece
    ends on a byte boundary with an empty stored block (as zlib's
    Z_SYNC_FLUSH does) and no block of it is final, so pieces compressed
    apart, even on different threads, concatenate into one deflate
    stream; MF_DEFLATE_END closes it. Nothing refers back across pieces:
    the output of a piece depends on its bytes and the level only.
*/
#ifndef MF_DEFLATE_H
#define MF_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

//  Largest piece, bytes: a span of literals is held as count << 1 in 32
//  bits, and symbol frequencies are summed in 32 bits.
#define MF_DEFLATE_MAX_SIZE 0x7fffffffu

//  An empty final block (fixed Huffman: BFINAL 1, BTYPE 01, code 256):
//  what ends a stream of pieces.
#define MF_DEFLATE_END "\x03\x00"
#define MF_DEFLATE_END_SIZE 2           //  bytes

typedef struct _mf_deflate_t mf_deflate_t;

//  Scratch memory for mf_deflate_piece, reused from call to call (one per
//  thread). Returns NULL when out of memory.
mf_deflate_t *mf_deflate_new (void);

//  Frees the scratch memory; safe twice, nulls the pointer.
void mf_deflate_destroy (mf_deflate_t **self_p);

//  The most bytes mf_deflate_piece writes for size bytes of input (what
//  stored blocks take), or 0 when size is above MF_DEFLATE_MAX_SIZE.
size_t mf_deflate_bound (size_t size);

//  Compresses size bytes of data (level 0: stored blocks; any other
//  level: compressed, all the same way). Returns a new buffer of
//  *out_size bytes, which the caller frees, or NULL when out of memory or
//  size is above MF_DEFLATE_MAX_SIZE.
uint8_t *mf_deflate_piece (mf_deflate_t *self, const uint8_t *data, size_t size, int level,
                           size_t *out_size);

#endif
