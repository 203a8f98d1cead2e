/*  mf_deflate: see mf_deflate.h. The Huffman code of a piece is built
    from its symbol frequencies (Moffat and Katajainen), cut to the
    deflate limits, and sent as a dynamic block (RFC 1951, section
    3.2.7); the piece is stored instead when that is no larger. Only
    distance 1 is ever used, so the distance code is two codes of one
    bit, of which only the first appears.
*/
#include "mf_deflate.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LITLEN_CODES 286                //  literal/length alphabet (RFC 1951)
#define CL_CODES 19                     //  code length alphabet
#define LITLEN_LIMIT 15                 //  longest literal/length code, bits
#define CL_LIMIT 7                      //  longest code length code, bits
#define MATCH_MIN 3                     //  shortest match, bytes
#define MATCH_MAX 258                   //  longest match, bytes
#define STORED_MAX 65535                //  bytes in a stored block

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
//  One piece

struct _mf_deflate_t {
    uint32_t *tokens;                   //  see mf_deflate_piece
    size_t capacity;                    //  tokens it holds
};

mf_deflate_t *
mf_deflate_new (void)
{
    pthread_once (&s_once, s_build_tables);
    return calloc (1, sizeof (mf_deflate_t));
}

void
mf_deflate_destroy (mf_deflate_t **self_p)
{
    assert (self_p);
    mf_deflate_t *self = *self_p;
    if (self) {
        free (self->tokens);
        free (self);
        *self_p = NULL;
    }
}

//  Bytes that stored blocks take for size bytes.
static size_t
s_stored_size (size_t size)
{
    return size + 5 * ((size + STORED_MAX - 1) / STORED_MAX);
}

size_t
mf_deflate_bound (size_t size)
{
    //  A dynamic block is only chosen when smaller than the stored ones.
    return size > MF_DEFLATE_MAX_SIZE? 0: s_stored_size (size);
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

uint8_t *
mf_deflate_piece (mf_deflate_t *self, const uint8_t *raw, size_t n, int level,
                  size_t *out_size)
{
    assert (self && (raw || n == 0) && out_size);
    if (n > MF_DEFLATE_MAX_SIZE)
        return NULL;
    //  At most one token per byte.
    if (level > 0 && n > self->capacity) {
        uint32_t *tokens = realloc (self->tokens, n * sizeof (uint32_t));
        if (!tokens)
            return NULL;
        self->tokens = tokens;
        self->capacity = n;
    }
    const uint64_t high = 0x8080808080808080ULL;
    //  Tokens and their frequencies. A token is a span of literals
    //  (count << 1) or a match at distance 1 (length << 1 | 1); positions
    //  follow from the order. Literals are counted in four tables, so
    //  that repeated bytes do not wait on each other's increments.
    uint32_t freq [LITLEN_CODES] = { 0 };
    size_t tokens = 0, matches = 0;
    if (level > 0) {
        uint32_t *token = self->tokens;
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

    uint8_t *out = malloc (data_max + 8);       //  8 spare: see s_put
    if (!out)
        return NULL;
    s_bits_t bits = { out, 0, 0, 0 };
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
        const uint32_t *token = self->tokens;
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
    *out_size = bits.size;
    return out;
}
