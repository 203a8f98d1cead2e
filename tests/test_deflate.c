/*  The deflate encoder: every piece inflates back to its bytes with zlib
    (raw deflate, closed by MF_DEFLATE_END), alone or concatenated with
    others; stored blocks have their exact size and bytes; the output
    depends on the input and level only; sizes past the limit are
    refused.
*/
#include "helpers.h"
#include "mf_deflate.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

//  Inflates size bytes of deflate pieces, closed with MF_DEFLATE_END, and
//  checks that they give exactly want (want_size bytes).
static void
s_check_inflates (const uint8_t *pieces, size_t size, const uint8_t *want, size_t want_size)
{
    uint8_t *stream = malloc (size + MF_DEFLATE_END_SIZE);
    ck_assert_ptr_nonnull (stream);
    memcpy (stream, pieces, size);
    memcpy (stream + size, MF_DEFLATE_END, MF_DEFLATE_END_SIZE);
    uint8_t *out = malloc (want_size + 1);             //  one more: room to overrun
    ck_assert_ptr_nonnull (out);
    z_stream z;
    memset (&z, 0, sizeof z);
    ck_assert_int_eq (inflateInit2 (&z, -15), Z_OK);
    z.next_in = stream;
    z.avail_in = (uInt) (size + MF_DEFLATE_END_SIZE);
    z.next_out = out;
    z.avail_out = (uInt) (want_size + 1);
    ck_assert_int_eq (inflate (&z, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq (z.total_out, want_size);
    ck_assert_uint_eq (z.avail_in, 0);                 //  the END block was the last
    ck_assert (want_size == 0 || memcmp (out, want, want_size) == 0);
    inflateEnd (&z);
    free (out);
    free (stream);
}

//  Compresses data at level and checks it round trips; returns the
//  compressed bytes (caller frees) and their size.
static uint8_t *
s_round_trip (mf_deflate_t *deflate, const uint8_t *data, size_t size, int level,
              size_t *out_size)
{
    uint8_t *out = mf_deflate_piece (deflate, data, size, level, out_size);
    ck_assert_ptr_nonnull (out);
    ck_assert_uint_le (*out_size, mf_deflate_bound (size));
    s_check_inflates (out, *out_size, data, size);
    return out;
}

static uint8_t *
s_noise (size_t size, uint32_t seed)
{
    uint8_t *data = malloc (size + 1);
    ck_assert_ptr_nonnull (data);
    for (size_t index = 0; index < size; index++) {
        seed = seed * 1103515245 + 12345;
        data [index] = (uint8_t) (seed >> 16);
    }
    return data;
}

START_TEST (empty_is_nothing)
{
    mf_deflate_t *deflate = mf_deflate_new ();
    for (int level = 0; level <= 1; level++) {
        size_t size = 99;
        uint8_t *out = mf_deflate_piece (deflate, NULL, 0, level, &size);
        ck_assert_ptr_nonnull (out);
        ck_assert_uint_eq (size, 0);
        s_check_inflates (out, 0, NULL, 0);
        free (out);
    }
    ck_assert_uint_eq (mf_deflate_bound (0), 0);
    mf_deflate_destroy (&deflate);
    ck_assert_ptr_null (deflate);
    mf_deflate_destroy (&deflate);                      //  safe twice
}
END_TEST

START_TEST (one_byte_is_stored_exactly)
{
    //  A stored block: header bits 000 padded to a byte, LEN 1, NLEN, the
    //  byte. A Huffman block would be longer, so level 1 stores it too.
    static const uint8_t want [] = { 0x00, 0x01, 0x00, 0xfe, 0xff, 'A' };
    mf_deflate_t *deflate = mf_deflate_new ();
    for (int level = 0; level <= 1; level++) {
        size_t size;
        uint8_t *out = s_round_trip (deflate, (const uint8_t *) "A", 1, level, &size);
        ck_assert_uint_eq (size, sizeof want);
        ck_assert (memcmp (out, want, sizeof want) == 0);
        free (out);
    }
    mf_deflate_destroy (&deflate);
}
END_TEST

START_TEST (noise_is_stored_at_its_bound)
{
    //  Sizes around the 65535-byte stored block: each block costs 5 bytes.
    static const size_t sizes [] = { 2, 1000, 65534, 65535, 65536, 131070, 131071, 200000 };
    mf_deflate_t *deflate = mf_deflate_new ();
    for (size_t s = 0; s < sizeof sizes / sizeof sizes [0]; s++) {
        size_t n = sizes [s];
        ck_assert_uint_eq (mf_deflate_bound (n), n + 5 * ((n + 65534) / 65535));
        uint8_t *data = s_noise (n, (uint32_t) s + 1);
        for (int level = 0; level <= 1; level++) {
            size_t size;
            uint8_t *out = s_round_trip (deflate, data, n, level, &size);
            ck_assert_msg (size == mf_deflate_bound (n), "%zu bytes, level %d: %zu", n,
                           level, size);
            //  The first block's header: not final, stored, LEN and NLEN.
            size_t first = n < 65535? n: 65535;
            ck_assert (out [0] == 0 && out [1] == (uint8_t) first
                       && out [2] == (uint8_t) (first >> 8)
                       && out [3] == (uint8_t) ~first && out [4] == (uint8_t) (~first >> 8));
            ck_assert (memcmp (out + 5, data, first) == 0);
            free (out);
        }
        free (data);
    }
    mf_deflate_destroy (&deflate);
}
END_TEST

START_TEST (runs_become_matches)
{
    //  Long runs of one byte, every length around the match limits.
    mf_deflate_t *deflate = mf_deflate_new ();
    size_t n = 1 << 20;
    uint8_t *zeros = calloc (1, n);
    size_t size;
    uint8_t *out = s_round_trip (deflate, zeros, n, 1, &size);
    ck_assert_msg (size < n / 200, "a megabyte of zeros took %zu bytes", size);
    free (out);
    //  The same at level 0 is stored.
    out = s_round_trip (deflate, zeros, n, 0, &size);
    ck_assert_uint_eq (size, mf_deflate_bound (n));
    free (out);
    free (zeros);

    uint8_t *runs = malloc (700 * 700);
    size_t at = 0;
    for (size_t length = 1; length <= 600; length++) {
        memset (runs + at, (int) (length * 37 % 251), length);
        at += length;
    }
    out = s_round_trip (deflate, runs, at, 1, &size);
    ck_assert_msg (size < at / 10, "%zu bytes of runs took %zu", at, size);
    free (out);
    //  Pieces that end inside runs, at lengths around the match limits.
    static const size_t ends [] = { 1, 2, 3, 4, 5, 6, 9, 10, 11, 258, 259, 260, 261, 517 };
    for (size_t e = 0; e < sizeof ends / sizeof ends [0]; e++) {
        out = s_round_trip (deflate, runs + 1000, ends [e], 1, &size);
        free (out);
    }
    free (runs);
    mf_deflate_destroy (&deflate);
}
END_TEST

START_TEST (pieces_concatenate)
{
    //  Pieces compressed apart, one after the other, are one stream: the
    //  bands of a PNG. Cut points fall inside runs and inside noise.
    size_t n = 300000;
    uint8_t *data = s_noise (n, 7);
    for (size_t index = 0; index < n; index++)
        if (index % 5000 < 3000)
            data [index] = (uint8_t) (index / 5000);
    static const size_t cuts [] = { 0, 1, 2999, 3000, 65535, 100000, 250001, 299999, 300000 };
    size_t ncuts = sizeof cuts / sizeof cuts [0];
    uint8_t *stream = malloc (2 * n);
    size_t stream_size = 0;
    mf_deflate_t *deflate = mf_deflate_new ();
    for (size_t c = 0; c + 1 < ncuts; c++) {
        size_t size;
        uint8_t *out = mf_deflate_piece (deflate, data + cuts [c], cuts [c + 1] - cuts [c],
                                         c % 3 == 2? 0: 1, &size);
        ck_assert_ptr_nonnull (out);
        memcpy (stream + stream_size, out, size);
        stream_size += size;
        free (out);
    }
    s_check_inflates (stream, stream_size, data, n);
    free (stream);
    free (data);
    mf_deflate_destroy (&deflate);
}
END_TEST

START_TEST (output_depends_on_the_input_only)
{
    //  Scratch reused across sizes gives what fresh scratch gives, and any
    //  level other than 0 compresses the same way.
    size_t n = 100000;
    uint8_t *data = s_noise (n, 3);
    for (size_t index = 0; index < n; index += 7)
        memset (data + index, 0, index % 11);
    mf_deflate_t *used = mf_deflate_new (), *fresh = mf_deflate_new ();
    size_t big, small;
    uint8_t *out = mf_deflate_piece (used, data, n, 1, &big);
    free (out);
    out = mf_deflate_piece (used, data, 10, 1, &small);
    free (out);
    size_t a, b;
    uint8_t *first = mf_deflate_piece (used, data + 5, n - 5, 1, &a);
    uint8_t *second = mf_deflate_piece (fresh, data + 5, n - 5, 9, &b);
    ck_assert (a == b && memcmp (first, second, a) == 0);
    s_check_inflates (first, a, data + 5, n - 5);
    free (first);
    free (second);
    free (data);
    mf_deflate_destroy (&used);
    mf_deflate_destroy (&fresh);
}
END_TEST

START_TEST (too_large_refused)
{
    ck_assert_uint_eq (mf_deflate_bound (MF_DEFLATE_MAX_SIZE + (size_t) 1), 0);
    ck_assert_uint_gt (mf_deflate_bound (MF_DEFLATE_MAX_SIZE), MF_DEFLATE_MAX_SIZE);
    mf_deflate_t *deflate = mf_deflate_new ();
    //  Refused on its size, before anything is read.
    uint8_t byte = 0;
    size_t size = 0;
    ck_assert_ptr_null (mf_deflate_piece (deflate, &byte, MF_DEFLATE_MAX_SIZE + (size_t) 1,
                                          1, &size));
    mf_deflate_destroy (&deflate);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("deflate");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, empty_is_nothing);
    tcase_add_test (tc, one_byte_is_stored_exactly);
    tcase_add_test (tc, noise_is_stored_at_its_bound);
    tcase_add_test (tc, runs_become_matches);
    tcase_add_test (tc, pieces_concatenate);
    tcase_add_test (tc, output_depends_on_the_input_only);
    tcase_add_test (tc, too_large_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
