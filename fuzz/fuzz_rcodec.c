/*  Fuzzes the codec of a RESULT's compressed mu, mf_rcodec_decode, as a
    master meets it from a hostile worker; and mf_rcodec_encode on any
    bits at all.

    Input: 1 byte of mode, 1 byte of width and 1 of height (each taken
    modulo MAX_EDGE, plus 1), then the payload. Mode bit 0: f64 words
    (8 bytes), else f32 (4). Mode bit 1 clear: the payload is an encoded
    tile of w x h words, decoded. Set: the payload's first w x h words
    (zeros past its end) are a raw tile, encoded and decoded back.

    Promises checked: a refusal says why, in one line; a tile decoded is
    exactly w x h words, and encoding it again and decoding that gives
    the same bits; a tile encoded is smaller than raw and decodes to the
    very bits it was made from, whatever they are (NaN, -0, anything).
*/
#include "fuzz.h"
#include "mf_rcodec.h"

#include <string.h>

#define HEAD 3                          //  bytes before the payload
#define MAX_EDGE 200                    //  pixels: tiles up to 200 x 200 (320 KB of f64)

static uint8_t s_raw [8 * MAX_EDGE * MAX_EDGE];
static uint8_t s_copy [8 * MAX_EDGE * MAX_EDGE];

//  Encodes raw (bytes of a w x h tile) and, unless the codec would send
//  it raw, decodes it back: every bit must come back.
static void
s_round_trip (mf_rcodec_t *codec, size_t word, uint32_t w, uint32_t h, const uint8_t *raw)
{
    size_t bytes = word * w * h, size = 0;
    const uint8_t *packed = mf_rcodec_encode (codec, word, w, h, raw, &size);
    if (!packed)
        return;
    FUZZ_CHECK (size >= 1 && size < bytes);
    memcpy (s_copy, packed, size);      //  the codec's buffers are reused by its next call
    char err [256] = "";
    const uint8_t *back = mf_rcodec_decode (codec, word, w, h, s_copy, size, err, sizeof err);
    FUZZ_CHECK (back != NULL);
    FUZZ_CHECK (memcmp (back, raw, bytes) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static mf_rcodec_t *codec;          //  one for the run, as a master holds one
    if (!codec)
        codec = mf_rcodec_new ();
    FUZZ_CHECK (codec != NULL);
    if (size < HEAD)
        return 0;
    size_t word = data [0] & 1? 8: 4;
    uint32_t w = data [1] % MAX_EDGE + 1, h = data [2] % MAX_EDGE + 1;
    size_t bytes = word * w * h;
    const uint8_t *payload = data + HEAD;
    size_t payload_size = size - HEAD;
    if (data [0] & 2) {
        size_t given = payload_size < bytes? payload_size: bytes;
        memcpy (s_raw, payload, given);
        memset (s_raw + given, 0, bytes - given);
        s_round_trip (codec, word, w, h, s_raw);
        return 0;
    }
    char err [256] = "";
    const uint8_t *raw = mf_rcodec_decode (codec, word, w, h, payload, payload_size, err,
                                           sizeof err);
    if (!raw) {
        FUZZ_CHECK (err [0] != 0);
        FUZZ_CHECK (strchr (err, '\n') == NULL);
        return 0;
    }
    memcpy (s_raw, raw, bytes);
    s_round_trip (codec, word, w, h, s_raw);
    return 0;
}
