/*  Palettes: names, interior color, cycling, determinism. */
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

int
main (void)
{
    Suite *suite = suite_create ("palette");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, names);
    tcase_add_test (tc, interior_is_black);
    tcase_add_test (tc, exterior_varies_and_repeats);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
