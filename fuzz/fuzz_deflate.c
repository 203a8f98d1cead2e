/*  Fuzzes the deflate encoder, mf_deflate_piece, against zlib's inflate.

    The encoder promises that any bytes, at any level, compress into at
    most mf_deflate_bound bytes that inflate back to exactly those bytes,
    and that pieces compressed apart concatenate into one stream. Three
    inputs are made of each fuzz input: the bytes themselves (at levels 1
    and 0); the same bytes cut in two pieces where the first byte says;
    and the bytes read as (value, count) pairs and expanded into runs, so
    that short inputs reach long matches and the 258-byte match limit.
*/
#include "fuzz.h"
#include "mf_deflate.h"

#include <string.h>
#include <zlib.h>

#define RUNS_MAX (1u << 20)             //  bytes of expanded runs at most
#define INPUT_MAX (8u << 20)            //  bytes of input looked at (the replay's limit)

static mf_deflate_t *s_deflate;
static uint8_t *s_stream;               //  pieces, then MF_DEFLATE_END
static uint8_t *s_back;                 //  inflated
static uint8_t *s_runs;                 //  expanded runs

//  Compresses data at level onto the end of s_stream (*at bytes so far).
static void
s_append (const uint8_t *data, size_t size, int level, size_t *at)
{
    size_t out_size = 0;
    uint8_t *out = mf_deflate_piece (s_deflate, data, size, level, &out_size);
    FUZZ_CHECK (out);
    FUZZ_CHECK (out_size <= mf_deflate_bound (size));
    memcpy (s_stream + *at, out, out_size);
    *at += out_size;
    free (out);
}

//  Closes s_stream and checks that it inflates to exactly want.
static void
s_check (size_t at, const uint8_t *want, size_t size)
{
    memcpy (s_stream + at, MF_DEFLATE_END, MF_DEFLATE_END_SIZE);
    z_stream z;
    memset (&z, 0, sizeof z);
    FUZZ_CHECK (inflateInit2 (&z, -15) == Z_OK);
    z.next_in = s_stream;
    z.avail_in = (uInt) (at + MF_DEFLATE_END_SIZE);
    z.next_out = s_back;
    z.avail_out = (uInt) size + 1;              //  one more: room to overrun
    int rc = inflate (&z, Z_FINISH);
    inflateEnd (&z);
    FUZZ_CHECK (rc == Z_STREAM_END);
    FUZZ_CHECK (z.avail_in == 0);
    FUZZ_CHECK (z.total_out == size);
    FUZZ_CHECK (size == 0 || memcmp (s_back, want, size) == 0);
}

//  One piece at level, alone.
static void
s_whole (const uint8_t *data, size_t size, int level)
{
    size_t at = 0;
    s_append (data, size, level, &at);
    s_check (at, data, size);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > INPUT_MAX)
        return 0;
    if (!s_deflate) {
        size_t most = INPUT_MAX > RUNS_MAX? INPUT_MAX: RUNS_MAX;
        s_deflate = mf_deflate_new ();
        s_stream = malloc (mf_deflate_bound (most) + 64);
        s_back = malloc (most + 1);
        s_runs = malloc (RUNS_MAX);
        FUZZ_CHECK (s_deflate && s_stream && s_back && s_runs);
    }
    s_whole (data, size, 1);
    s_whole (data, size, 0);

    //  Two pieces, cut where the first byte says.
    size_t cut = size? (size_t) data [0] * size / 256: 0;
    size_t at = 0;
    s_append (data, cut, 1, &at);
    s_append (data + cut, size - cut, 1, &at);
    s_check (at, data, size);

    //  Runs: (value, count) pairs, each value count + 1 times.
    size_t runs = 0;
    for (size_t index = 0; index + 1 < size; index += 2) {
        size_t count = (size_t) data [index + 1] + 1;
        if (data [index + 1] >= 0xf0)
            count *= 16;                        //  a few long ones, past 258
        if (runs + count > RUNS_MAX)
            break;
        memset (s_runs + runs, data [index], count);
        runs += count;
    }
    s_whole (s_runs, runs, 1);
    return 0;
}
