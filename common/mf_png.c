/*  mf_png: see mf_png.h. A PNG is: the signature, IHDR, tEXt chunks, the
    zlib stream in IDAT chunks, IEND. Here the zlib stream is its 2-byte
    header in an IDAT of its own, one IDAT per band (deflate blocks that
    end on a byte boundary, never final), and a last IDAT with an empty
    final block and the Adler-32 of all the filtered bytes, combined from
    the bands' own. zlib provides crc32 and adler32 only; the deflate
    encoder is below: runs of a repeated byte (what filter Up makes of
    flat color, and of the black inside the set) become matches at
    distance 1, everything else stays literal, under a Huffman code built
    for the band (RFC 1951, section 3.2.7).
*/
#include "mf_png.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LITLEN_CODES 286                //  literal/length alphabet (RFC 1951)
#define CL_CODES 19                     //  code length alphabet
#define LITLEN_LIMIT 15                 //  longest literal/length code, bits
#define CL_LIMIT 7                      //  longest code length code, bits
#define MATCH_MIN 3                     //  shortest match, bytes
#define MATCH_MAX 258                   //  longest match, bytes
#define STORED_MAX 65535                //  bytes in a stored block
#define BANDS_AHEAD 4                   //  bands compressed ahead of the writer, per thread

static const uint8_t s_signature [8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const uint8_t s_zlib_head [2] = { 0x78, 0x01 };  //  deflate, 32K window, "fastest"
//  An empty final block, fixed Huffman: BFINAL 1, BTYPE 01, code 256.
static const uint8_t s_final_block [2] = { 0x03, 0x00 };
//  Order in which code length code lengths are sent.
static const uint8_t s_cl_order [CL_CODES] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
};
static const uint16_t s_len_base [29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
    67, 83, 99, 115, 131, 163, 195, 227, 258
};
static const uint8_t s_len_bits [29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
};

//  Match length -> index in s_len_base (symbol 257 + index).
static uint8_t s_len_index [MATCH_MAX + 1];
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_build_tables (void)
{
    int index = 0;
    for (int length = MATCH_MIN; length <= MATCH_MAX; length++) {
        while (index < 28 && s_len_base [index + 1] <= length)
            index++;
        s_len_index [length] = (uint8_t) index;
    }
}

//  ---------------------------------------------------------------------
//  Bits, least significant first, into a buffer sized by the caller with
//  8 bytes to spare: each put (of at most 56 bits) stores 8 bytes and
//  keeps the partial one.

typedef struct {
    uint8_t *out;                       //  the buffer
    size_t size;                        //  whole bytes written
    uint64_t acc;                       //  pending bits (fewer than 8)
    int bits;                           //  how many
} s_bits_t;

static inline void
s_put (s_bits_t *b, uint64_t value, int count)
{
    uint64_t acc = b->acc | (uint64_t) value << b->bits;
    int bits = b->bits + count;
    uint8_t *p = b->out + b->size;
#if defined (__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy (p, &acc, 8);
#else
    for (int k = 0; k < 8; k++)
        p [k] = (uint8_t) (acc >> (8 * k));
#endif
    b->size += (size_t) (bits >> 3);
    b->acc = acc >> (bits & ~7);
    b->bits = bits & 7;
}

//  Pads with zero bits to a byte boundary.
static void
s_align (s_bits_t *b)
{
    if (b->bits > 0)
        b->size++;                      //  the partial byte is stored already
    b->acc = 0;
    b->bits = 0;
}

//  ---------------------------------------------------------------------
//  Huffman codes

//  Moffat and Katajainen, "In-place calculation of minimum-redundancy
//  codes" (1995): weights in a [0, n) ascending become code lengths.
static void
s_min_redundancy (uint32_t *a, int n)
{
    if (n == 1) {
        a [0] = 1;
        return;
    }
    a [0] += a [1];
    int root = 0, leaf = 2;
    for (int next = 1; next < n - 1; next++) {
        if (leaf >= n || a [root] < a [leaf]) {
            a [next] = a [root];
            a [root++] = (uint32_t) next;
        }
        else
            a [next] = a [leaf++];
        if (leaf >= n || (root < next && a [root] < a [leaf])) {
            a [next] += a [root];
            a [root++] = (uint32_t) next;
        }
        else
            a [next] += a [leaf++];
    }
    a [n - 2] = 0;
    for (int next = n - 3; next >= 0; next--)
        a [next] = a [a [next]] + 1;
    int avail = 1, used = 0, depth = 0, root2 = n - 2, next = n - 1;
    while (avail > 0) {
        while (root2 >= 0 && (int) a [root2] == depth) {
            used++;
            root2--;
        }
        while (avail > used) {
            a [next--] = (uint32_t) depth;
            avail--;
        }
        avail = 2 * used;
        depth++;
        used = 0;
    }
}

typedef struct {
    uint32_t freq;
    uint16_t symbol;
} s_weight_t;

static int
s_by_weight (const void *a, const void *b)
{
    const s_weight_t *x = a, *y = b;
    if (x->freq != y->freq)
        return x->freq < y->freq? -1: 1;
    return x->symbol < y->symbol? -1: 1;
}

//  Code lengths, at most limit bits, for n symbols of the given
//  frequencies; a complete code (two symbols at least), as inflate wants.
static void
s_lengths (const uint32_t *freq, int n, int limit, uint8_t *length)
{
    s_weight_t used [LITLEN_CODES];
    int count = 0;
    for (int symbol = 0; symbol < n; symbol++) {
        length [symbol] = 0;
        if (freq [symbol])
            used [count++] = (s_weight_t) { freq [symbol], (uint16_t) symbol };
    }
    if (count < 2) {
        //  One symbol (or none): pair it with another, one bit each.
        int first = count? used [0].symbol: 0;
        length [first] = 1;
        length [first == 0? 1: 0] = 1;
        return;
    }
    qsort (used, (size_t) count, sizeof used [0], s_by_weight);
    uint32_t a [LITLEN_CODES];
    for (int index = 0; index < count; index++)
        a [index] = used [index].freq;
    s_min_redundancy (a, count);
    //  Lengths past the limit are cut to it, then codes are lengthened
    //  until the Kraft sum is one again (as miniz does).
    int per_length [LITLEN_LIMIT + 1] = { 0 };
    for (int index = 0; index < count; index++)
        per_length [a [index] > (uint32_t) limit? limit: (int) a [index]]++;
    uint32_t total = 0;
    for (int bits = 1; bits <= limit; bits++)
        total += (uint32_t) per_length [bits] << (limit - bits);
    while (total > (1u << limit)) {
        per_length [limit]--;
        for (int bits = limit - 1; bits > 0; bits--)
            if (per_length [bits]) {
                per_length [bits]--;
                per_length [bits + 1] += 2;
                break;
            }
        total--;
    }
    //  The rarest symbols get the longest codes.
    int index = 0;
    for (int bits = limit; bits >= 1; bits--)
        for (int k = 0; k < per_length [bits]; k++)
            length [used [index++].symbol] = (uint8_t) bits;
}

//  Canonical codes for the lengths, bit-reversed for s_put.
static void
s_codes (const uint8_t *length, int n, uint16_t *code)
{
    int per_length [16] = { 0 };
    for (int symbol = 0; symbol < n; symbol++)
        per_length [length [symbol]]++;
    per_length [0] = 0;
    uint32_t next [16];
    uint32_t value = 0;
    for (int bits = 1; bits < 16; bits++) {
        value = (value + (uint32_t) per_length [bits - 1]) << 1;
        next [bits] = value;
    }
    for (int symbol = 0; symbol < n; symbol++) {
        int bits = length [symbol];
        if (!bits)
            continue;
        uint32_t c = next [bits]++, reversed = 0;
        for (int bit = 0; bit < bits; bit++)
            reversed |= (c >> bit & 1) << (bits - 1 - bit);
        code [symbol] = (uint16_t) reversed;
    }
}

//  ---------------------------------------------------------------------
//  One band

//  Scratch memory of one compressing thread, reused from band to band.
typedef struct {
    uint8_t *rgb;                       //  the row above the band, then the band
    uint8_t *zero;                      //  a row of zeros: above the image
    uint8_t *raw;                       //  filtered rows
    uint32_t *tokens;                   //  see s_encode_band
} s_scratch_t;

//  A finished band: its IDAT chunk, whole, and what the stream needs.
typedef struct {
    uint8_t *chunk;                     //  length, "IDAT", data, CRC
    size_t size;                        //  bytes of chunk
    uint32_t adler;                     //  Adler-32 of the filtered bytes
    size_t raw_size;                    //  how many filtered bytes
} s_band_t;

static int
s_scratch_init (s_scratch_t *s, uint32_t width)
{
    size_t row = (size_t) width * 3;
    size_t raw = (row + 1) * MF_PNG_BAND_ROWS;
    s->rgb = malloc (row * (MF_PNG_BAND_ROWS + 1));
    s->zero = calloc (1, row);
    s->raw = malloc (raw);
    s->tokens = malloc (raw * sizeof (uint32_t));
    return s->rgb && s->zero && s->raw && s->tokens? 0: -1;
}

static void
s_scratch_free (s_scratch_t *s)
{
    free (s->rgb);
    free (s->zero);
    free (s->raw);
    free (s->tokens);
    memset (s, 0, sizeof *s);
}

static void
s_put_be32 (uint8_t *p, uint32_t value)
{
    p [0] = (uint8_t) (value >> 24);
    p [1] = (uint8_t) (value >> 16);
    p [2] = (uint8_t) (value >> 8);
    p [3] = (uint8_t) value;
}

//  Bytes equal to value from p on, at most max.
static inline size_t
s_run (const uint8_t *p, size_t max, uint8_t value)
{
    uint64_t pattern = 0x0101010101010101ULL * value;
    size_t run = 0;
    while (run + 8 <= max) {
        uint64_t word;
        memcpy (&word, p + run, 8);
        uint64_t diff = word ^ pattern;
        if (diff)
            return run + (size_t) (__builtin_ctzll (diff) >> 3);
        run += 8;
    }
    while (run < max && p [run] == value)
        run++;
    return run;
}

//  Compresses rows rows (3 * width bytes each, prev the row above them)
//  into band->chunk. Returns 0 or -1 (out of memory).
static int
s_encode_band (s_scratch_t *s, const uint8_t *prev, const uint8_t *rgb, uint32_t rows,
               uint32_t width, int level, s_band_t *band)
{
    size_t row = (size_t) width * 3;
    size_t n = (row + 1) * rows;
    //  Filter Up on every row: each byte minus the one above it, eight
    //  at a time (bytewise subtraction without borrows across bytes).
    uint8_t *raw = s->raw;
    const uint64_t high = 0x8080808080808080ULL;
    for (uint32_t r = 0; r < rows; r++) {
        const uint8_t *cur = rgb + r * row;
        uint8_t *out = raw + r * (row + 1);
        out [0] = 2;
        size_t j = 0;
        for (; j + 8 <= row; j += 8) {
            uint64_t a, b;
            memcpy (&a, cur + j, 8);
            memcpy (&b, prev + j, 8);
            uint64_t d = ((a | high) - (b & ~high)) ^ ((a ^ ~b) & high);
            memcpy (out + 1 + j, &d, 8);
        }
        for (; j < row; j++)
            out [j + 1] = (uint8_t) (cur [j] - prev [j]);
        prev = cur;
    }
    band->adler = (uint32_t) adler32 (adler32 (0, NULL, 0), raw, (uInt) n);
    band->raw_size = n;

    //  Tokens and their frequencies. A token is a span of literals
    //  (count << 1) or a match at distance 1 (length << 1 | 1); positions
    //  follow from the order. Literals are counted in four tables, so
    //  that repeated bytes do not wait on each other's increments.
    uint32_t freq [LITLEN_CODES] = { 0 };
    size_t tokens = 0, matches = 0;
    if (level > 0) {
        uint32_t *token = s->tokens;
        uint32_t count4 [4][256];
        memset (count4, 0, sizeof count4);
        size_t i = 1, start = 0;
        while (i < n) {
            //  Next i that starts a run of three bytes equal to the one
            //  before: eight positions at a time, six of them decided.
            while (i + 9 <= n) {
                uint64_t a, b;
                memcpy (&a, raw + i, 8);
                memcpy (&b, raw + i - 1, 8);
                uint64_t x = a ^ b;
                uint64_t same = ~(((x & ~high) + ~high) | x) & high;
                uint64_t three = same & same >> 8 & same >> 16;
                if (three) {
                    i += (size_t) (__builtin_ctzll (three) >> 3);
                    goto found;
                }
                i += 6;
            }
            while (i + 2 < n && !(raw [i] == raw [i - 1] && raw [i + 1] == raw [i]
                                 && raw [i + 2] == raw [i]))
                i++;
            if (i + 2 >= n)
                break;
        found:;
            size_t max = n - i < MATCH_MAX? n - i: MATCH_MAX;
            size_t run = s_run (raw + i, max, raw [i - 1]);
            if (i > start) {
                const uint8_t *p = raw + start;
                size_t k = 0, span = i - start;
                for (; k + 4 <= span; k += 4) {
                    count4 [0][p [k]]++;
                    count4 [1][p [k + 1]]++;
                    count4 [2][p [k + 2]]++;
                    count4 [3][p [k + 3]]++;
                }
                for (; k < span; k++)
                    count4 [0][p [k]]++;
                token [tokens++] = (uint32_t) span << 1;
            }
            //  Runs longer than a match are several matches in a row.
            while (run >= MATCH_MIN) {
                size_t take = run;
                token [tokens++] = (uint32_t) take << 1 | 1;
                freq [257 + s_len_index [take]]++;
                matches++;
                i += take;
                max = n - i < MATCH_MAX? n - i: MATCH_MAX;
                run = i < n? s_run (raw + i, max, raw [i - 1]): 0;
            }
            start = i;
            i++;
        }
        if (n > start) {
            for (size_t k = start; k < n; k++)
                count4 [0][raw [k]]++;
            token [tokens++] = (uint32_t) (n - start) << 1;
        }
        for (int b = 0; b < 256; b++)
            freq [b] = count4 [0][b] + count4 [1][b] + count4 [2][b] + count4 [3][b];
        freq [256] = 1;
    }
    uint8_t length [LITLEN_CODES];
    uint16_t code [LITLEN_CODES];
    uint8_t cl_symbol [LITLEN_CODES + 2];   //  the code lengths, run-length coded
    uint8_t cl_extra [LITLEN_CODES + 2];
    int cl_count = 0, hlit = 0, hclen = 0;
    uint8_t cl_length [CL_CODES];
    uint16_t cl_code [CL_CODES];
    size_t dynamic_bits = SIZE_MAX;
    if (level > 0) {
        s_lengths (freq, LITLEN_CODES, LITLEN_LIMIT, length);
        s_codes (length, LITLEN_CODES, code);
        hlit = LITLEN_CODES;
        while (hlit > 257 && !length [hlit - 1])
            hlit--;
        //  The lengths to send: hlit literal/length ones, then two
        //  distance codes of one bit (only distance 1 is used).
        uint8_t all [LITLEN_CODES + 2];
        memcpy (all, length, (size_t) hlit);
        all [hlit] = all [hlit + 1] = 1;
        int total = hlit + 2;
        uint32_t cl_freq [CL_CODES] = { 0 };
        for (int i = 0; i < total; ) {
            int value = all [i], run = 1;
            while (i + run < total && all [i + run] == value)
                run++;
            if (value == 0) {
                while (run >= 11) {
                    int take = run < 138? run: 138;
                    cl_symbol [cl_count] = 18;
                    cl_extra [cl_count++] = (uint8_t) (take - 11);
                    run -= take;
                    i += take;
                }
                if (run >= 3) {
                    cl_symbol [cl_count] = 17;
                    cl_extra [cl_count++] = (uint8_t) (run - 3);
                    i += run;
                    run = 0;
                }
            }
            else {
                cl_symbol [cl_count] = (uint8_t) value;
                cl_extra [cl_count++] = 0;
                run--;
                i++;
                while (run >= 3) {
                    int take = run < 6? run: 6;
                    cl_symbol [cl_count] = 16;
                    cl_extra [cl_count++] = (uint8_t) (take - 3);
                    run -= take;
                    i += take;
                }
            }
            for (; run > 0; run--, i++) {
                cl_symbol [cl_count] = (uint8_t) value;
                cl_extra [cl_count++] = 0;
            }
        }
        for (int index = 0; index < cl_count; index++)
            cl_freq [cl_symbol [index]]++;
        s_lengths (cl_freq, CL_CODES, CL_LIMIT, cl_length);
        s_codes (cl_length, CL_CODES, cl_code);
        hclen = CL_CODES;
        while (hclen > 4 && !cl_length [s_cl_order [hclen - 1]])
            hclen--;
        //  Exact size: header, code lengths, symbols, extra bits, end.
        static const uint8_t extra_bits [CL_CODES] = { [16] = 2, [17] = 3, [18] = 7 };
        dynamic_bits = 3 + 5 + 5 + 4 + 3 * (size_t) hclen;
        for (int index = 0; index < cl_count; index++)
            dynamic_bits += cl_length [cl_symbol [index]] + extra_bits [cl_symbol [index]];
        for (int symbol = 0; symbol < LITLEN_CODES; symbol++) {
            size_t bits = length [symbol] + (symbol > 256? s_len_bits [symbol - 257]: 0);
            dynamic_bits += freq [symbol] * bits;
        }
        dynamic_bits += matches;            //  the one-bit distance code
        //  The empty stored block that aligns the band's end.
        dynamic_bits += 3 + 7 + 32;
    }
    size_t stored_bytes = n + 5 * ((n + STORED_MAX - 1) / STORED_MAX);
    bool stored = dynamic_bits / 8 + 1 >= stored_bytes;
    size_t data_max = stored? stored_bytes: dynamic_bits / 8 + 8;

    band->chunk = malloc (data_max + 12 + 8);     //  8 spare: see s_put
    if (!band->chunk)
        return -1;
    s_bits_t bits = { band->chunk + 8, 0, 0, 0 };
    if (stored) {
        for (size_t at = 0; at < n; at += STORED_MAX) {
            size_t part = n - at < STORED_MAX? n - at: STORED_MAX;
            s_put (&bits, 0, 3);            //  not final, stored
            s_align (&bits);
            uint8_t *p = bits.out + bits.size;
            p [0] = (uint8_t) part;
            p [1] = (uint8_t) (part >> 8);
            p [2] = (uint8_t) ~part;
            p [3] = (uint8_t) (~part >> 8);
            memcpy (p + 4, raw + at, part);
            bits.size += 4 + part;
        }
    }
    else {
        s_put (&bits, 0, 1);                //  not final
        s_put (&bits, 2, 2);                //  dynamic Huffman
        s_put (&bits, (uint32_t) (hlit - 257), 5);
        s_put (&bits, 1, 5);                //  two distance codes
        s_put (&bits, (uint32_t) (hclen - 4), 4);
        for (int index = 0; index < hclen; index++)
            s_put (&bits, cl_length [s_cl_order [index]], 3);
        for (int index = 0; index < cl_count; index++) {
            int symbol = cl_symbol [index];
            s_put (&bits, cl_code [symbol], cl_length [symbol]);
            if (symbol == 16)
                s_put (&bits, cl_extra [index], 2);
            else
            if (symbol == 17)
                s_put (&bits, cl_extra [index], 3);
            else
            if (symbol == 18)
                s_put (&bits, cl_extra [index], 7);
        }
        const uint32_t *token = s->tokens;
        const uint8_t *p = raw;
        for (size_t index = 0; index < tokens; index++) {
            uint32_t t = token [index];
            if (!(t & 1)) {
                //  Three literals at a time: at most 45 bits, 52 with the
                //  pending ones, in one put.
                uint32_t span = t >> 1, k = 0;
                for (; k + 3 <= span; k += 3) {
                    uint8_t a = p [k], b = p [k + 1], c = p [k + 2];
                    uint64_t v = code [a] | (uint64_t) code [b] << length [a]
                               | (uint64_t) code [c] << (length [a] + length [b]);
                    s_put (&bits, v, length [a] + length [b] + length [c]);
                }
                for (; k < span; k++)
                    s_put (&bits, code [p [k]], length [p [k]]);
                p += span;
            }
            else {
                uint32_t run = t >> 1;
                int li = s_len_index [run];
                s_put (&bits, code [257 + li], length [257 + li]);
                if (s_len_bits [li])
                    s_put (&bits, run - s_len_base [li], s_len_bits [li]);
                s_put (&bits, 0, 1);        //  distance code 0: distance 1
                p += run;
            }
        }
        s_put (&bits, code [256], length [256]);
        //  Sync: an empty stored block ends the band on a byte boundary.
        s_put (&bits, 0, 3);
        s_align (&bits);
        memcpy (bits.out + bits.size, "\x00\x00\xff\xff", 4);
        bits.size += 4;
    }
    assert (bits.size <= data_max);
    s_put_be32 (band->chunk, (uint32_t) bits.size);
    memcpy (band->chunk + 4, "IDAT", 4);
    uint32_t crc = (uint32_t) crc32 (crc32 (0, NULL, 0), band->chunk + 4, (uInt) bits.size + 4);
    s_put_be32 (band->chunk + 8 + bits.size, crc);
    band->size = bits.size + 12;
    return 0;
}

//  ---------------------------------------------------------------------
//  The file

static int
s_write_chunk (FILE *file, const char *type, const uint8_t *data, size_t size)
{
    uint8_t head [8], tail [4];
    s_put_be32 (head, (uint32_t) size);
    memcpy (head + 4, type, 4);
    uLong crc = crc32 (crc32 (0, NULL, 0), head + 4, 4);
    if (size)
        crc = crc32 (crc, data, (uInt) size);
    s_put_be32 (tail, (uint32_t) crc);
    return fwrite (head, 8, 1, file) == 1 && (!size || fwrite (data, size, 1, file) == 1)
        && fwrite (tail, 4, 1, file) == 1? 0: -1;
}

//  Signature, IHDR, tEXt, and the zlib header. Returns 0 or -1.
static int
s_write_head (FILE *file, uint32_t width, uint32_t height, const mf_png_text_t *texts,
              size_t count, char *err, size_t errlen)
{
    if (width == 0 || height == 0 || width > 0x7fffffff / 4 || height > 0x7fffffff) {
        snprintf (err, errlen, "cannot write a %ux%u PNG", width, height);
        return -1;
    }
    uint8_t ihdr [13];
    s_put_be32 (ihdr, width);
    s_put_be32 (ihdr + 4, height);
    ihdr [8] = 8;                           //  bits per channel
    ihdr [9] = 2;                           //  RGB
    ihdr [10] = ihdr [11] = ihdr [12] = 0;  //  deflate, adaptive filters, no interlace
    int rc = fwrite (s_signature, sizeof s_signature, 1, file) == 1? 0: -1;
    if (rc == 0)
        rc = s_write_chunk (file, "IHDR", ihdr, sizeof ihdr);
    for (size_t index = 0; rc == 0 && index < count; index++) {
        size_t key = strlen (texts [index].key), value = strlen (texts [index].value);
        if (key < 1 || key > 79) {
            snprintf (err, errlen, "PNG text keyword '%s' is not 1 to 79 characters",
                      texts [index].key);
            return -1;
        }
        uint8_t *data = malloc (key + 1 + value);
        if (!data) {
            snprintf (err, errlen, "out of memory");
            return -1;
        }
        memcpy (data, texts [index].key, key + 1);
        memcpy (data + key + 1, texts [index].value, value);
        rc = s_write_chunk (file, "tEXt", data, key + 1 + value);
        free (data);
    }
    if (rc == 0)
        rc = s_write_chunk (file, "IDAT", s_zlib_head, sizeof s_zlib_head);
    if (rc)
        snprintf (err, errlen, "cannot write the PNG header");
    return rc;
}

//  The final block and the Adler-32 of the whole stream, then IEND.
static int
s_write_tail (FILE *file, uint32_t adler)
{
    uint8_t data [6];
    memcpy (data, s_final_block, 2);
    s_put_be32 (data + 2, adler);
    return s_write_chunk (file, "IDAT", data, sizeof data) == 0
        && s_write_chunk (file, "IEND", NULL, 0) == 0
        && fflush (file) == 0 && !ferror (file)? 0: -1;
}

//  ---------------------------------------------------------------------
//  Row by row

struct _mf_png_t {
    FILE *file;                         //  where it goes (the caller's)
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    int level;                          //  0: stored, else compressed
    uint32_t rows_written;              //  rows received so far
    uint32_t band_rows;                 //  rows of the current band received
    s_scratch_t scratch;                //  rgb holds the row above, then the band
    uint32_t adler;                     //  of the bands written so far
    int failed;                         //  1 once a write failed
};

mf_png_t *
mf_png_new (FILE *file, uint32_t width, uint32_t height,
            const mf_png_text_t *texts, size_t count, int level,
            char *err, size_t errlen)
{
    pthread_once (&s_once, s_build_tables);
    if (s_write_head (file, width, height, texts, count, err, errlen))
        return NULL;
    mf_png_t *self = calloc (1, sizeof *self);
    if (!self || s_scratch_init (&self->scratch, width)) {
        snprintf (err, errlen, "out of memory");
        mf_png_destroy (&self);
        return NULL;
    }
    self->file = file;
    self->width = width;
    self->height = height;
    self->level = level;
    self->adler = (uint32_t) adler32 (0, NULL, 0);
    memset (self->scratch.rgb, 0, (size_t) width * 3);
    return self;
}

//  Compresses and writes the band held in scratch.rgb.
static int
s_flush_band (mf_png_t *self)
{
    size_t row = (size_t) self->width * 3;
    s_band_t band;
    if (s_encode_band (&self->scratch, self->scratch.rgb, self->scratch.rgb + row,
                       self->band_rows, self->width, self->level, &band))
        return -1;
    int rc = fwrite (band.chunk, band.size, 1, self->file) == 1? 0: -1;
    free (band.chunk);
    self->adler = (uint32_t) adler32_combine (self->adler, band.adler, (z_off_t) band.raw_size);
    //  The band's last row is the next band's row above.
    memcpy (self->scratch.rgb, self->scratch.rgb + self->band_rows * row, row);
    self->band_rows = 0;
    return rc;
}

int
mf_png_write_rows (mf_png_t *self, const uint8_t *rgb, uint32_t rows)
{
    assert (self);
    if (self->failed || self->rows_written + rows > self->height)
        return -1;
    size_t row = (size_t) self->width * 3;
    for (uint32_t index = 0; index < rows; index++) {
        memcpy (self->scratch.rgb + (1 + self->band_rows) * row, rgb + index * row, row);
        self->band_rows++;
        self->rows_written++;
        if ((self->band_rows == MF_PNG_BAND_ROWS || self->rows_written == self->height)
        &&  s_flush_band (self)) {
            self->failed = 1;
            return -1;
        }
    }
    return 0;
}

int
mf_png_finish (mf_png_t **self_p)
{
    assert (self_p);
    mf_png_t *self = *self_p;
    if (!self)
        return -1;
    int rc = -1;
    if (!self->failed && self->rows_written == self->height)
        rc = s_write_tail (self->file, self->adler);
    mf_png_destroy (self_p);
    return rc;
}

void
mf_png_destroy (mf_png_t **self_p)
{
    assert (self_p);
    mf_png_t *self = *self_p;
    if (self) {
        s_scratch_free (&self->scratch);
        free (self);
        *self_p = NULL;
    }
}

//  ---------------------------------------------------------------------
//  The whole image, bands compressed in parallel, written in order

typedef struct {
    pthread_mutex_t lock;               //  guards everything below it
    pthread_cond_t changed;             //  a band was claimed, finished or written
    uint32_t next;                      //  next band to claim
    uint32_t written;                   //  bands written so far
    uint32_t ahead;                     //  how far past written a band may be claimed
    s_band_t *bands;                    //  finished bands (chunk NULL: not yet)
    bool *ready;                        //  by band
    bool failed;                        //  a band could not be made: everyone stops
    //  Constant while it runs.
    uint32_t width, height, count;      //  pixels, pixels, bands
    int level;
    mf_png_rows_fn *rows;
    void *arg;
} s_job_t;

static void *
s_compress_thread (void *arg)
{
    s_job_t *job = arg;
    s_scratch_t scratch;
    int ok = s_scratch_init (&scratch, job->width) == 0;
    size_t row = (size_t) job->width * 3;
    while (true) {
        pthread_mutex_lock (&job->lock);
        while (ok && !job->failed && job->next < job->count
           &&  job->next >= job->written + job->ahead)
            pthread_cond_wait (&job->changed, &job->lock);
        if (!ok)
            job->failed = true;
        if (job->failed || job->next >= job->count) {
            pthread_cond_broadcast (&job->changed);
            pthread_mutex_unlock (&job->lock);
            break;
        }
        uint32_t index = job->next++;
        pthread_mutex_unlock (&job->lock);

        uint32_t y = index * MF_PNG_BAND_ROWS;
        uint32_t rows = job->height - y < MF_PNG_BAND_ROWS? job->height - y: MF_PNG_BAND_ROWS;
        const uint8_t *prev = scratch.zero;
        if (y > 0) {
            job->rows (job->arg, y - 1, rows + 1, scratch.rgb);
            prev = scratch.rgb;
        }
        else
            job->rows (job->arg, y, rows, scratch.rgb + row);
        s_band_t band;
        int rc = s_encode_band (&scratch, prev, scratch.rgb + row, rows, job->width,
                                job->level, &band);
        pthread_mutex_lock (&job->lock);
        if (rc)
            job->failed = true;
        else {
            job->bands [index] = band;
            job->ready [index] = true;
        }
        pthread_cond_broadcast (&job->changed);
        pthread_mutex_unlock (&job->lock);
    }
    s_scratch_free (&scratch);
    return NULL;
}

int
mf_png_write_image (FILE *file, uint32_t width, uint32_t height,
                    const mf_png_text_t *texts, size_t count, int level,
                    mf_png_rows_fn *rows, void *arg, int threads,
                    char *err, size_t errlen)
{
    pthread_once (&s_once, s_build_tables);
    if (s_write_head (file, width, height, texts, count, err, errlen))
        return -1;
    if (threads < 1)
        threads = 1;
    s_job_t job = {
        .width = width, .height = height, .level = level, .rows = rows, .arg = arg,
        .count = (height + MF_PNG_BAND_ROWS - 1) / MF_PNG_BAND_ROWS,
        .ahead = (uint32_t) threads * BANDS_AHEAD
    };
    job.bands = calloc (job.count, sizeof *job.bands);
    job.ready = calloc (job.count, sizeof *job.ready);
    pthread_t *ids = calloc ((size_t) threads, sizeof *ids);
    if (!job.bands || !job.ready || !ids) {
        free (job.bands);
        free (job.ready);
        free (ids);
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init (&job.lock, NULL);
    pthread_cond_init (&job.changed, NULL);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create (&ids [started], NULL, s_compress_thread, &job))
            break;
    if (started == 0) {
        //  No thread at all: compress everything here, then write.
        job.ahead = job.count;
        s_compress_thread (&job);
    }
    //  Write the bands in order as they come.
    uint32_t adler = (uint32_t) adler32 (0, NULL, 0);
    int rc = 0;
    for (uint32_t index = 0; index < job.count; index++) {
        pthread_mutex_lock (&job.lock);
        while (!job.ready [index] && !job.failed)
            pthread_cond_wait (&job.changed, &job.lock);
        bool ready = job.ready [index];
        pthread_mutex_unlock (&job.lock);
        if (!ready) {
            rc = -1;
            break;
        }
        s_band_t *band = &job.bands [index];
        if (rc == 0 && fwrite (band->chunk, band->size, 1, file) != 1)
            rc = -1;
        adler = (uint32_t) adler32_combine (adler, band->adler, (z_off_t) band->raw_size);
        free (band->chunk);
        band->chunk = NULL;
        pthread_mutex_lock (&job.lock);
        job.written++;
        if (rc)
            job.failed = true;
        pthread_cond_broadcast (&job.changed);
        pthread_mutex_unlock (&job.lock);
    }
    if (rc) {
        pthread_mutex_lock (&job.lock);
        job.failed = true;
        pthread_cond_broadcast (&job.changed);
        pthread_mutex_unlock (&job.lock);
    }
    for (int index = 0; index < started; index++)
        pthread_join (ids [index], NULL);
    for (uint32_t index = 0; index < job.count; index++)
        free (job.bands [index].chunk);
    if (rc == 0 && job.failed)
        rc = -1;
    if (rc == 0)
        rc = s_write_tail (file, adler);
    if (rc)
        snprintf (err, errlen, "cannot write the PNG data");
    pthread_mutex_destroy (&job.lock);
    pthread_cond_destroy (&job.changed);
    free (job.bands);
    free (job.ready);
    free (ids);
    return rc;
}
