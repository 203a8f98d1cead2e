/*  Palettes: names, interior color, cycling, determinism, and the 16-bit
    colors that the 8-bit ones are, rounded. */
#include "helpers.h"
#include "mf_palette.h"

#include <check.h>
#include <math.h>
#include <string.h>

START_TEST (names)
{
    ck_assert (mf_palette_count () >= 4);
    for (size_t index = 0; index < mf_palette_count (); index++) {
        const mf_palette_t *p = mf_palette_at (index);
        ck_assert_ptr_eq (mf_palette_find (mf_palette_name (p)), p);
        ck_assert_ptr_nonnull (strstr (mf_palette_names (), mf_palette_name (p)));
    }
    ck_assert_ptr_nonnull (mf_palette_find ("classic"));
    ck_assert_ptr_null (mf_palette_find ("nope"));
    ck_assert_ptr_null (mf_palette_find (NULL));
    ck_assert_ptr_null (mf_palette_at (mf_palette_count ()));
}
END_TEST

START_TEST (interior_is_black)
{
    float mu [3] = { -1.0f, NAN, -1.0f };
    uint8_t rgb [9];
    for (size_t index = 0; index < mf_palette_count (); index++) {
        memset (rgb, 0x55, sizeof rgb);
        mf_palette_color (mf_palette_at (index), mu, 3, rgb);
        for (int k = 0; k < 9; k++)
            ck_assert_int_eq (rgb [k], 0);
    }
}
END_TEST

START_TEST (exterior_varies_and_repeats)
{
    const mf_palette_t *p = mf_palette_find ("classic");
    //  Colors change along mu...
    float ramp [64];
    for (int index = 0; index < 64; index++)
        ramp [index] = index * 0.5f;
    uint8_t rgb [64 * 3];
    mf_palette_color (p, ramp, 64, rgb);
    int changes = 0;
    for (int index = 1; index < 64; index++)
        changes += memcmp (rgb + 3 * index, rgb + 3 * (index - 1), 3) != 0;
    ck_assert_int_ge (changes, 40);
    //  ...and the same mu always gives the same color.
    uint8_t again [64 * 3];
    mf_palette_color (p, ramp, 64, again);
    ck_assert (memcmp (rgb, again, sizeof rgb) == 0);
    //  Huge mu stays in the cycle (no overflow, no black).
    float big [2] = { 1e9f, 123456.78f };
    uint8_t two [6];
    mf_palette_color (p, big, 2, two);
    ck_assert (two [0] | two [1] | two [2] | two [3] | two [4] | two [5]);
}
END_TEST

//  The stated relation (mf_palette.h): the 8-bit sample is the 16-bit
//  one over 257, rounded.
static uint8_t
s_round16 (uint16_t v16)
{
    return (uint8_t) (((uint32_t) v16 * 255u + 32767u) / 65535u);
}

START_TEST (sixteen_bits_round_to_eight)
{
    //  Every palette, mu over a wide range finely enough to land in every
    //  entry of the cycle many times over (and past it, deep mu).
    enum { COUNT = 1 << 18 };
    static float mu [COUNT];
    static uint8_t rgb8 [3 * COUNT];
    static uint16_t rgb16 [3 * COUNT];
    for (int index = 0; index < COUNT; index++)
        mu [index] = index < COUNT / 2? index * (400.0f / (COUNT / 2))
                                      : 400.0f + (index - COUNT / 2) * 0.731f;
    mu [7] = -1.0f;
    mu [8] = NAN;
    for (size_t p = 0; p < mf_palette_count (); p++) {
        const mf_palette_t *palette = mf_palette_at (p);
        mf_palette_color (palette, mu, COUNT, rgb8);
        mf_palette_color16 (palette, mu, COUNT, rgb16);
        int finer = 0;                  //  16-bit samples that are not 257 * an 8-bit one
        int wrong = -1;                 //  the first sample that breaks the relation
        for (int k = 0; k < 3 * COUNT; k++) {
            if (wrong < 0 && s_round16 (rgb16 [k]) != rgb8 [k])
                wrong = k;
            finer += rgb16 [k] % 257 != 0;
        }
        ck_assert_msg (wrong < 0, "%s: mu %g, channel %d: 16-bit %u does not round to "
                       "8-bit %u", mf_palette_name (palette), mu [wrong / 3], wrong % 3,
                       rgb16 [wrong], rgb8 [wrong]);
        //  The 16 bits carry more than the 8: many samples lie between
        //  the 8-bit levels (a quarter at least, even in rainbow, whose
        //  channels are mostly 0 or 255).
        ck_assert_msg (finer > 3 * COUNT / 4, "%s: only %d of %d samples finer than 8 bits",
                       mf_palette_name (palette), finer, 3 * COUNT);
        //  Interior: the interior color at 16 bits (black for all).
        for (int k = 0; k < 3; k++) {
            ck_assert_uint_eq (rgb16 [3 * 7 + k], 0);
            ck_assert_uint_eq (rgb16 [3 * 8 + k], 0);
        }
    }
    //  Deterministic: the same mu, the same samples.
    static uint16_t again [3 * COUNT];
    const mf_palette_t *classic = mf_palette_find ("classic");
    mf_palette_color16 (classic, mu, COUNT, rgb16);
    mf_palette_color16 (classic, mu, COUNT, again);
    ck_assert (memcmp (rgb16, again, sizeof again) == 0);
}
END_TEST

START_TEST (sixteen_bit_stops_are_exact)
{
    //  gray's cycle starts at its first stop, (25, 25, 25), at t = 0,
    //  which mu = 0 hits (phase 0): 16 bits give 257 * 25 exactly; and
    //  the 16-bit values climb with mu where the 8-bit ones stay put.
    const mf_palette_t *gray = mf_palette_find ("gray");
    float mu [1] = { 0.0f };
    uint16_t rgb [3];
    mf_palette_color16 (gray, mu, 1, rgb);
    for (int k = 0; k < 3; k++)
        ck_assert_uint_eq (rgb [k], 257u * 25u);
    //  A run of mu inside one 8-bit level of gray shows several 16-bit values.
    enum { RUN = 2000 };
    float ramp [RUN];
    uint8_t ramp8 [3 * RUN];
    uint16_t ramp16 [3 * RUN];
    for (int index = 0; index < RUN; index++)
        ramp [index] = index * 1e-4f;
    mf_palette_color (gray, ramp, RUN, ramp8);
    mf_palette_color16 (gray, ramp, RUN, ramp16);
    int levels8 = 1, levels16 = 1;
    for (int index = 1; index < RUN; index++) {
        levels8 += ramp8 [3 * index] != ramp8 [3 * index - 3];
        levels16 += ramp16 [3 * index] != ramp16 [3 * index - 3];
    }
    ck_assert_msg (levels16 > 2 * levels8, "%d 16-bit levels against %d 8-bit ones",
                   levels16, levels8);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("palette");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, names);
    tcase_add_test (tc, interior_is_black);
    tcase_add_test (tc, exterior_varies_and_repeats);
    tcase_add_test (tc, sixteen_bits_round_to_eight);
    tcase_add_test (tc, sixteen_bit_stops_are_exact);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
