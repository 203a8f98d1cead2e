/*  Little-endian fields (mf_le.h) and the cursor that walks a buffer with
    them (mf_cursor.h): exact bytes, every bit of a float kept (the sign
    of zero, NaN payloads), and no byte ever read or written past the end
    of a buffer, however short it is. */
#include "helpers.h"
#include "mf_cursor.h"
#include "mf_le.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CANARY 0xa5                     //  fill of the bytes a cursor must not touch

static uint32_t
s_f32_bits (float value)
{
    uint32_t bits;
    memcpy (&bits, &value, 4);
    return bits;
}

static uint64_t
s_f64_bits (double value)
{
    uint64_t bits;
    memcpy (&bits, &value, 8);
    return bits;
}

static float
s_f32_of (uint32_t bits)
{
    float value;
    memcpy (&value, &bits, 4);
    return value;
}

static double
s_f64_of (uint64_t bits)
{
    double value;
    memcpy (&value, &bits, 8);
    return value;
}

START_TEST (integers_exact_bytes)
{
    uint8_t buf [8];
    mf_le_put_u16 (buf, 0xbeef);
    ck_assert (buf [0] == 0xef && buf [1] == 0xbe);
    ck_assert_uint_eq (mf_le_get_u16 (buf), 0xbeef);
    mf_le_put_u32 (buf, 0x12345678);
    ck_assert (buf [0] == 0x78 && buf [1] == 0x56 && buf [2] == 0x34 && buf [3] == 0x12);
    ck_assert_uint_eq (mf_le_get_u32 (buf), 0x12345678);
    mf_le_put_u64 (buf, 0x0123456789abcdefULL);
    static const uint8_t want [8] = { 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 };
    ck_assert (memcmp (buf, want, 8) == 0);
    ck_assert (mf_le_get_u64 (buf) == 0x0123456789abcdefULL);
    //  The top bit survives: no sign extension on the way back.
    mf_le_put_u32 (buf, 0xffffffffu);
    ck_assert_uint_eq (mf_le_get_u32 (buf), 0xffffffffu);
    mf_le_put_u64 (buf, UINT64_MAX);
    ck_assert (mf_le_get_u64 (buf) == UINT64_MAX);
    mf_le_put_u16 (buf, 0x8001);
    ck_assert_uint_eq (mf_le_get_u16 (buf), 0x8001);
}
END_TEST

START_TEST (floats_keep_every_bit)
{
    //  Bit patterns as IEEE-754 writes them: 1, -0, infinity, the smallest
    //  subnormal, a quiet NaN with a payload and a signalling one.
    static const uint32_t bits32 [] = {
        0x3f800000u, 0x80000000u, 0x7f800000u, 0x00000001u, 0x7fc00abcu, 0xff800001u
    };
    for (size_t index = 0; index < sizeof bits32 / sizeof bits32 [0]; index++) {
        uint8_t buf [4];
        mf_le_put_f32 (buf, s_f32_of (bits32 [index]));
        ck_assert_msg (mf_le_get_u32 (buf) == bits32 [index], "f32 %08x", bits32 [index]);
        ck_assert (s_f32_bits (mf_le_get_f32 (buf)) == bits32 [index]);
    }
    uint8_t one [4];
    mf_le_put_f32 (one, 1.0f);
    ck_assert (one [0] == 0 && one [1] == 0 && one [2] == 0x80 && one [3] == 0x3f);

    static const uint64_t bits64 [] = {
        0x3ff0000000000000ULL, 0x8000000000000000ULL, 0xfff0000000000000ULL,
        0x0000000000000001ULL, 0x7ff8000000000abcULL, 0x7ff0000000000001ULL
    };
    for (size_t index = 0; index < sizeof bits64 / sizeof bits64 [0]; index++) {
        uint8_t buf [8];
        mf_le_put_f64 (buf, s_f64_of (bits64 [index]));
        ck_assert (mf_le_get_u64 (buf) == bits64 [index]);
        ck_assert (s_f64_bits (mf_le_get_f64 (buf)) == bits64 [index]);
    }
    uint8_t minus_two [8];
    mf_le_put_f64 (minus_two, -2.0);
    static const uint8_t want [8] = { 0, 0, 0, 0, 0, 0, 0, 0xc0 };
    ck_assert (memcmp (minus_two, want, 8) == 0);
}
END_TEST

START_TEST (float_arrays)
{
    float values [5] = { 1.0f, -0.0f, -1.0f, 0.5f, 0.0f };
    values [4] = s_f32_of (0x7fc01234u);
    uint8_t bytes [20 + 4];
    memset (bytes, CANARY, sizeof bytes);
    mf_le_put_f32s (bytes, values, 5);
    static const uint8_t want [20] = {
        0x00, 0x00, 0x80, 0x3f,  0x00, 0x00, 0x00, 0x80,  0x00, 0x00, 0x80, 0xbf,
        0x00, 0x00, 0x00, 0x3f,  0x34, 0x12, 0xc0, 0x7f
    };
    ck_assert (memcmp (bytes, want, 20) == 0);
    ck_assert (bytes [20] == CANARY);
    float back [5];
    mf_le_get_f32s (back, bytes, 5);
    ck_assert (memcmp (back, values, sizeof back) == 0);
    //  In place (the journal and the worker store a tile where it lies).
    float in_place [5];
    memcpy (in_place, values, sizeof in_place);
    mf_le_put_f32s ((uint8_t *) in_place, in_place, 5);
    ck_assert (memcmp (in_place, want, 20) == 0);
    //  Nothing is touched for a count of 0.
    mf_le_put_f32s (bytes + 20, values, 0);
    ck_assert (bytes [20] == CANARY);
}
END_TEST

START_TEST (float_rect_into_an_image)
{
    //  A 3x2 block of little-endian floats, packed as a tile travels (12
    //  bytes a row), into a 7x5 image at (4, 2): each value at its pixel,
    //  every other pixel untouched. The bytes are spelled out, so a
    //  big-endian host is checked the same way.
    const uint8_t packed [] = {
        0x00, 0x00, 0x80, 0x3f,   0x00, 0x00, 0x00, 0x40,   0x00, 0x00, 0x40, 0x40,   //  1 2 3
        0x00, 0x00, 0x80, 0x40,   0x00, 0x00, 0xa0, 0x40,   0x00, 0x00, 0x80, 0xbf,   //  4 5 -1
    };
    const float expect [] = { 1, 2, 3, 4, 5, -1 };
    float image [7 * 5];
    for (int index = 0; index < 7 * 5; index++)
        image [index] = -9;
    mf_le_get_f32_rect (image + 2 * 7 + 4, 7, packed, 3, 2);
    for (uint32_t y = 0; y < 5; y++)
        for (uint32_t x = 0; x < 7; x++) {
            bool inside = x >= 4 && y >= 2 && y < 4;
            float want = inside? expect [(y - 2) * 3 + (x - 4)]: -9;
            ck_assert_msg (image [y * 7 + x] == want, "(%u, %u): %g, not %g", x, y,
                           (double) image [y * 7 + x], (double) want);
        }
    //  A block as wide as the image is one run; an empty one touches nothing.
    float row [3] = { 0 };
    mf_le_get_f32_rect (row, 3, packed, 3, 1);
    ck_assert (row [0] == 1 && row [1] == 2 && row [2] == 3);
    mf_le_get_f32_rect (image, 7, packed, 3, 0);
    ck_assert (image [0] == -9);
}
END_TEST

START_TEST (cursor_writes_in_order)
{
    uint8_t buf [64];
    memset (buf, CANARY, sizeof buf);
    mf_cursor_t out = mf_cursor_writer (buf, 48);
    mf_cursor_put_u8 (&out, 0x01);
    mf_cursor_put_u16 (&out, 0x0302);
    mf_cursor_put_u32 (&out, 0x07060504);
    mf_cursor_put_u64 (&out, 0x0f0e0d0c0b0a0908ULL);
    mf_cursor_put_f32 (&out, -0.0f);
    mf_cursor_put_f64 (&out, 1.0);
    mf_cursor_put_bytes (&out, "MF", 2);
    mf_cursor_put_zeros (&out, 3);
    mf_cursor_put_text (&out, "ab", 4);
    mf_cursor_put_text (&out, "toolong", 3);
    ck_assert (mf_cursor_ok (&out));
    ck_assert_uint_eq (out.pos, 1 + 2 + 4 + 8 + 4 + 8 + 2 + 3 + 4 + 3);
    ck_assert_uint_eq (mf_cursor_left (&out), 48 - out.pos);
    static const uint8_t want [39] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x00, 0x00, 0x00, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
        'M', 'F', 0, 0, 0, 'a', 'b', 0, 0, 't', 'o', 'o'
    };
    ck_assert_uint_eq (out.pos, sizeof want);
    ck_assert (memcmp (buf, want, sizeof want) == 0);
    ck_assert (buf [sizeof want] == CANARY);
    ck_assert (!mf_cursor_done (&out));

    //  A span is claimed whole, for the caller to fill.
    uint8_t *span = mf_cursor_put_span (&out, 9);
    ck_assert_ptr_eq (span, buf + sizeof want);
    ck_assert (mf_cursor_done (&out));
    float one = 1.0f;
    mf_cursor_t floats = mf_cursor_writer (buf, 8);
    mf_cursor_put_f32s (&floats, &one, 1);
    mf_cursor_put_f32s (&floats, &one, 1);
    ck_assert (mf_cursor_done (&floats) && buf [7] == 0x3f);
}
END_TEST

START_TEST (cursor_reads_in_order)
{
    static const uint8_t data [] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x00, 0x00, 0x00, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f,
        'M', 'F', 0, 0, 0
    };
    mf_cursor_t in = mf_cursor_reader (data, sizeof data);
    ck_assert_uint_eq (mf_cursor_get_u8 (&in), 0x01);
    ck_assert_uint_eq (mf_cursor_get_u16 (&in), 0x0302);
    ck_assert_uint_eq (mf_cursor_get_u32 (&in), 0x07060504);
    ck_assert (mf_cursor_get_u64 (&in) == 0x0f0e0d0c0b0a0908ULL);
    ck_assert (s_f32_bits (mf_cursor_get_f32 (&in)) == 0x80000000u);
    ck_assert (mf_cursor_get_f64 (&in) == 1.0);
    char magic [2];
    mf_cursor_get_bytes (&in, magic, 2);
    ck_assert (magic [0] == 'M' && magic [1] == 'F');
    ck_assert (!mf_cursor_done (&in) && mf_cursor_left (&in) == 3);
    mf_cursor_get_zeros (&in, 3);
    ck_assert (mf_cursor_done (&in));
    //  Spans point into the caller's buffer.
    mf_cursor_t again = mf_cursor_reader (data, sizeof data);
    ck_assert_ptr_eq (mf_cursor_get_span (&again, 27), data);
    ck_assert_ptr_eq (mf_cursor_get_span (&again, 2), data + 27);
    float floats [2];
    mf_cursor_t two = mf_cursor_reader (data + 15, 8);
    mf_cursor_get_f32s (&two, floats, 2);
    ck_assert (mf_cursor_done (&two));
    ck_assert (s_f32_bits (floats [0]) == 0x80000000u && floats [1] == 0.0f);
    //  A reserved field that is not zero fails the layout.
    mf_cursor_t nonzero = mf_cursor_reader (data, 3);
    mf_cursor_get_zeros (&nonzero, 3);
    ck_assert (!mf_cursor_ok (&nonzero));
    //  An empty reader of no buffer is fine, until something is read.
    mf_cursor_t empty = mf_cursor_reader (NULL, 0);
    ck_assert (mf_cursor_done (&empty));
    mf_cursor_get_span (&empty, 0);
    ck_assert (mf_cursor_done (&empty));
    ck_assert_uint_eq (mf_cursor_get_u8 (&empty), 0);
    ck_assert (!mf_cursor_ok (&empty));
}
END_TEST

//  One layout of every kind of field, written through a cursor over
//  capacity bytes (of a larger buffer). Returns the cursor.
static mf_cursor_t
s_write_layout (uint8_t *buf, size_t capacity)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    float pair [2] = { 2.0f, -1.0f };
    mf_cursor_put_u8 (&out, 0x11);
    mf_cursor_put_u16 (&out, 0x2233);
    mf_cursor_put_u32 (&out, 0x44556677);
    mf_cursor_put_u64 (&out, 0x8899aabbccddeeffULL);
    mf_cursor_put_f32 (&out, 0.25f);
    mf_cursor_put_f64 (&out, -0.0);
    mf_cursor_put_text (&out, "host", 6);
    mf_cursor_put_bytes (&out, "xyz", 3);
    mf_cursor_put_zeros (&out, 2);
    mf_cursor_put_f32s (&out, pair, 2);
    return out;
}

#define LAYOUT_SIZE (1 + 2 + 4 + 8 + 4 + 8 + 6 + 3 + 2 + 8)

START_TEST (cursor_write_overruns)
{
    //  Every capacity short of the layout: the error flag is set, nothing
    //  at or past the capacity is written, and what fitted before the
    //  first field that did not is the same as in a whole write.
    uint8_t whole [LAYOUT_SIZE + 8];
    mf_cursor_t out = s_write_layout (whole, sizeof whole);
    ck_assert (mf_cursor_ok (&out) && out.pos == LAYOUT_SIZE);
    for (size_t capacity = 0; capacity < LAYOUT_SIZE; capacity++) {
        uint8_t buf [LAYOUT_SIZE + 8];
        memset (buf, CANARY, sizeof buf);
        mf_cursor_t cut = s_write_layout (buf, capacity);
        ck_assert_msg (!mf_cursor_ok (&cut), "capacity %zu", capacity);
        ck_assert (cut.pos <= capacity);
        ck_assert_uint_eq (mf_cursor_left (&cut), 0);
        for (size_t index = capacity; index < sizeof buf; index++)
            ck_assert_msg (buf [index] == CANARY, "capacity %zu wrote byte %zu", capacity, index);
        ck_assert (memcmp (buf, whole, cut.pos) == 0);
    }
    //  The flag is sticky: a field that would fit after one that did not
    //  is not written either.
    uint8_t buf [8];
    memset (buf, CANARY, sizeof buf);
    mf_cursor_t sticky = mf_cursor_writer (buf, 6);
    mf_cursor_put_u32 (&sticky, 1);
    mf_cursor_put_u64 (&sticky, 2);
    mf_cursor_put_u8 (&sticky, 3);
    ck_assert (!mf_cursor_ok (&sticky) && sticky.pos == 4 && buf [4] == CANARY);
    ck_assert_ptr_null (mf_cursor_put_span (&sticky, 0));
    //  A count of floats whose bytes overflow size_t is an overrun too.
    memset (buf, CANARY, sizeof buf);
    mf_cursor_t huge = mf_cursor_writer (buf, sizeof buf);
    float one = 1.0f;
    mf_cursor_put_f32s (&huge, &one, SIZE_MAX / 2);
    ck_assert (!mf_cursor_ok (&huge) && buf [0] == CANARY);
}
END_TEST

START_TEST (cursor_read_overruns)
{
    uint8_t whole [LAYOUT_SIZE];
    s_write_layout (whole, sizeof whole);
    //  Every prefix of the layout, read as the whole layout: the flag is
    //  set, and every field that did not fit reads as 0.
    for (size_t size = 0; size <= LAYOUT_SIZE; size++) {
        mf_cursor_t in = mf_cursor_reader (whole, size);
        uint8_t u8 = mf_cursor_get_u8 (&in);
        uint16_t u16 = mf_cursor_get_u16 (&in);
        uint32_t u32 = mf_cursor_get_u32 (&in);
        uint64_t u64 = mf_cursor_get_u64 (&in);
        float f32 = mf_cursor_get_f32 (&in);
        double f64 = mf_cursor_get_f64 (&in);
        const uint8_t *text = mf_cursor_get_span (&in, 6);
        char bytes [3] = { 0, 0, 0 };
        mf_cursor_get_bytes (&in, bytes, 3);
        mf_cursor_get_zeros (&in, 2);
        float pair [2] = { 9.0f, 9.0f };
        mf_cursor_get_f32s (&in, pair, 2);
        ck_assert (in.pos <= size);
        if (size == LAYOUT_SIZE) {
            ck_assert (mf_cursor_done (&in));
            ck_assert (u8 == 0x11 && u16 == 0x2233 && u32 == 0x44556677
                       && u64 == 0x8899aabbccddeeffULL && f32 == 0.25f);
            ck_assert (s_f64_bits (f64) == 0x8000000000000000ULL);
            ck_assert (text && memcmp (text, "host\0\0", 6) == 0 && memcmp (bytes, "xyz", 3) == 0);
            ck_assert (pair [0] == 2.0f && pair [1] == -1.0f);
            continue;
        }
        ck_assert_msg (!mf_cursor_ok (&in) && !mf_cursor_done (&in), "size %zu", size);
        ck_assert (size >= 1 || u8 == 0);
        ck_assert (size >= 3 || u16 == 0);
        ck_assert (size >= 7 || u32 == 0);
        ck_assert (size >= 15 || u64 == 0);
        ck_assert (size >= 19 || s_f32_bits (f32) == 0);
        ck_assert (size >= 27 || s_f64_bits (f64) == 0);
        ck_assert (size >= 33 || text == NULL);
        ck_assert (pair [0] == 9.0f && pair [1] == 9.0f);
    }
    //  One byte more than the layout: ok, but not done.
    uint8_t longer [LAYOUT_SIZE + 1];
    memcpy (longer, whole, LAYOUT_SIZE);
    mf_cursor_t in = mf_cursor_reader (longer, sizeof longer);
    mf_cursor_get_span (&in, LAYOUT_SIZE);
    ck_assert (mf_cursor_ok (&in) && !mf_cursor_done (&in) && mf_cursor_left (&in) == 1);
}
END_TEST

START_TEST (cursor_round_trips_random_values)
{
    //  Random bit patterns through every field type and back.
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 10000; round++) {
        uint64_t words [4];
        for (int index = 0; index < 4; index++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            words [index] = state;
        }
        uint8_t buf [32];
        mf_cursor_t out = mf_cursor_writer (buf, sizeof buf);
        mf_cursor_put_u16 (&out, (uint16_t) words [0]);
        mf_cursor_put_u32 (&out, (uint32_t) words [1]);
        mf_cursor_put_f32 (&out, s_f32_of ((uint32_t) (words [1] >> 32)));
        mf_cursor_put_u64 (&out, words [2]);
        mf_cursor_put_f64 (&out, s_f64_of (words [3]));
        ck_assert (mf_cursor_ok (&out) && out.pos == 26);
        mf_cursor_t in = mf_cursor_reader (buf, out.pos);
        ck_assert (mf_cursor_get_u16 (&in) == (uint16_t) words [0]);
        ck_assert (mf_cursor_get_u32 (&in) == (uint32_t) words [1]);
        ck_assert (s_f32_bits (mf_cursor_get_f32 (&in)) == (uint32_t) (words [1] >> 32));
        ck_assert (mf_cursor_get_u64 (&in) == words [2]);
        ck_assert (s_f64_bits (mf_cursor_get_f64 (&in)) == words [3]);
        ck_assert (mf_cursor_done (&in));
    }
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("le");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, integers_exact_bytes);
    tcase_add_test (tc, floats_keep_every_bit);
    tcase_add_test (tc, float_arrays);
    tcase_add_test (tc, float_rect_into_an_image);
    tcase_add_test (tc, cursor_writes_in_order);
    tcase_add_test (tc, cursor_reads_in_order);
    tcase_add_test (tc, cursor_write_overruns);
    tcase_add_test (tc, cursor_read_overruns);
    tcase_add_test (tc, cursor_round_trips_random_values);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
