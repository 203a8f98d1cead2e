/*  The tile grid: every pixel exactly once, center first. */
#include "mf_tiles.h"

#include "helpers.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>

static void
s_check_cover (uint32_t width, uint32_t height, uint32_t edge)
{
    mf_tiles_t *tiles = mf_tiles_new (width, height, edge);
    ck_assert_ptr_nonnull (tiles);
    uint8_t *hits = calloc ((size_t) width * height, 1);
    uint8_t *seen = calloc (mf_tiles_count (tiles), 1);
    for (uint32_t position = 0; position < mf_tiles_count (tiles); position++) {
        uint32_t id = mf_tiles_order (tiles, position);
        ck_assert_uint_lt (id, mf_tiles_count (tiles));
        ck_assert_msg (!seen [id], "tile %u ordered twice", id);
        seen [id] = 1;
        mf_rect_t r = mf_tiles_rect (tiles, id);
        ck_assert (r.w >= 1 && r.w <= edge && r.h >= 1 && r.h <= edge);
        ck_assert (r.x + r.w <= width && r.y + r.h <= height);
        for (uint32_t y = r.y; y < r.y + r.h; y++)
            for (uint32_t x = r.x; x < r.x + r.w; x++)
                hits [(size_t) y * width + x]++;
    }
    //  One assertion for the whole image: Check records every assertion.
    size_t wrong = 0, first_wrong = 0;
    for (size_t index = 0; index < (size_t) width * height; index++)
        if (hits [index] != 1 && !wrong++)
            first_wrong = index;
    ck_assert_msg (wrong == 0, "%ux%u/%u: %zu pixels not covered once, first %zu (%d times)",
                   width, height, edge, wrong, first_wrong, hits [first_wrong]);
    free (hits);
    free (seen);
    mf_tiles_destroy (&tiles);
    ck_assert_ptr_null (tiles);
    mf_tiles_destroy (&tiles);      //  safe twice
}

START_TEST (cover_exactly_once)
{
    s_check_cover (1920, 1080, 64);
    s_check_cover (200, 150, 23);
    s_check_cover (1, 1, 8);
    s_check_cover (7, 300, 8);
    s_check_cover (1000, 3, 1024);
    s_check_cover (1025, 1025, 1024);
}
END_TEST

START_TEST (center_first)
{
    mf_tiles_t *tiles = mf_tiles_new (1920, 1080, 64);
    //  The first tile touches the image's center point (960, 540).
    mf_rect_t first = mf_tiles_rect (tiles, mf_tiles_order (tiles, 0));
    ck_assert (first.x <= 960 && 960 <= first.x + first.w);
    ck_assert (first.y <= 540 && 540 <= first.y + first.h);
    //  A corner tile comes last among the four corners' distance class.
    mf_rect_t last = mf_tiles_rect (tiles, mf_tiles_order (tiles, mf_tiles_count (tiles) - 1));
    ck_assert ((last.x == 0 || last.x + last.w == 1920) && (last.y == 0 || last.y + last.h == 1080));
    //  Distances never decrease along the order.
    int64_t previous = -1;
    for (uint32_t position = 0; position < mf_tiles_count (tiles); position++) {
        mf_rect_t r = mf_tiles_rect (tiles, mf_tiles_order (tiles, position));
        int64_t dx = 2 * (int64_t) r.x + r.w - 1920, dy = 2 * (int64_t) r.y + r.h - 1080;
        ck_assert (dx * dx + dy * dy >= previous);
        previous = dx * dx + dy * dy;
    }
    mf_tiles_destroy (&tiles);
}
END_TEST

START_TEST (grid_shape)
{
    mf_tiles_t *tiles = mf_tiles_new (1920, 1080, 64);
    ck_assert_uint_eq (mf_tiles_count (tiles), 30 * 17);
    mf_rect_t bottom = mf_tiles_rect (tiles, 30 * 16);
    ck_assert_uint_eq (bottom.y, 1024);
    ck_assert_uint_eq (bottom.h, 56);
    mf_tiles_destroy (&tiles);
    ck_assert_uint_eq (mf_tiles_count_for (1920, 1080, 64), 30 * 17);
    //  The tile holding a pixel is the one whose rectangle has it.
    tiles = mf_tiles_new (1000, 700, 128);
    for (uint32_t y = 0; y < 700; y += 37)
        for (uint32_t x = 0; x < 1000; x += 41) {
            mf_rect_t r = mf_tiles_rect (tiles, mf_tiles_id_at (tiles, x, y));
            ck_assert (r.x <= x && x < r.x + r.w && r.y <= y && y < r.y + r.h);
        }
    mf_tiles_destroy (&tiles);
    ck_assert_ptr_null (mf_tiles_new (0, 10, 8));
    ck_assert_ptr_null (mf_tiles_new (10, 10, 0));
}
END_TEST

START_TEST (count_never_truncated)
{
    //  A count that does not fit in 32 bits is 0 (no such grid), never
    //  the low 32 bits of it; nothing wraps on the way.
    ck_assert_uint_eq (mf_tiles_count_for (65536, 65535, 1), 65536u * 65535u);
    ck_assert_uint_eq (mf_tiles_count_for (65536, 65536, 1), 0);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, 1, 1), UINT32_MAX);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, 2, 1), 0);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, UINT32_MAX, 1), 0);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, UINT32_MAX, 8), 0);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, UINT32_MAX, UINT32_MAX), 1);
    ck_assert_uint_eq (mf_tiles_count_for (UINT32_MAX, 1, 1024), 4194304);
    ck_assert_uint_eq (mf_tiles_count_for (0, 10, 8), 0);
    ck_assert_uint_eq (mf_tiles_count_for (10, 10, 0), 0);
    //  And no grid is made of it.
    ck_assert_ptr_null (mf_tiles_new (65536, 65536, 1));
}
END_TEST

START_TEST (rect_copy_into_and_out_of_an_image)
{
    //  A 3x2 tile, packed, into a 7x5 image at (4, 2), and back out.
    float image [7 * 5], tile [3 * 2] = { 1, 2, 3, 4, 5, 6 }, back [3 * 2] = { 0 };
    for (int index = 0; index < 7 * 5; index++)
        image [index] = -9;
    mf_rect_t r = { 4, 2, 3, 2 };
    mf_rect_copy (image + r.y * 7 + r.x, 7, tile, r.w, r.w, r.h);
    for (uint32_t y = 0; y < 5; y++)
        for (uint32_t x = 0; x < 7; x++) {
            bool inside = x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
            float want = inside? tile [(y - r.y) * r.w + x - r.x]: -9;
            ck_assert_msg (image [y * 7 + x] == want, "pixel (%u, %u) is %g, not %g",
                           x, y, image [y * 7 + x], want);
        }
    mf_rect_copy (back, r.w, image + r.y * 7 + r.x, 7, r.w, r.h);
    for (int index = 0; index < 6; index++)
        ck_assert (back [index] == tile [index]);
    //  In place (the same rows): nothing moves.
    mf_rect_copy (image, 7, image, 7, 7, 5);
    ck_assert (image [2 * 7 + 4] == 1 && image [0] == -9);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("tiles");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, cover_exactly_once);
    tcase_add_test (tc, center_first);
    tcase_add_test (tc, grid_shape);
    tcase_add_test (tc, count_never_truncated);
    tcase_add_test (tc, rect_copy_into_and_out_of_an_image);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
