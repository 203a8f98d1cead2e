/*  The viewer's spare frames (viewer/spare.c): a frame kept is given
    back for a view of its size, a prepared one after a resize, a new one
    otherwise; nothing leaks (run under SANITIZE=address to see it). */
#include "helpers.h"
#include "spare.h"

#include <check.h>

START_TEST (kept_frame_comes_back_for_its_size)
{
    mf_spare_t *spare = mf_spare_new ();
    ck_assert_ptr_nonnull (spare);
    //  Nothing kept: a new frame of the palette asked for.
    mf_frame_t *frame = mf_spare_take (spare, 40, 30, mf_palette_at (1));
    ck_assert_ptr_nonnull (frame);
    ck_assert (mf_frame_width (frame) == 40 && mf_frame_height (frame) == 30);
    mf_frame_t *kept = frame;
    mf_spare_keep (spare, &frame);
    ck_assert_ptr_null (frame);
    //  The same size: the very frame kept.
    frame = mf_spare_take (spare, 40, 30, mf_palette_at (0));
    ck_assert_ptr_eq (frame, kept);
    //  Taken once only: the next one is new.
    mf_frame_t *other = mf_spare_take (spare, 40, 30, mf_palette_at (0));
    ck_assert (other && other != frame);
    mf_frame_destroy (&other);
    //  Another size: the kept one is freed, a new one made.
    mf_spare_keep (spare, &frame);
    frame = mf_spare_take (spare, 41, 30, mf_palette_at (0));
    ck_assert (frame && mf_frame_width (frame) == 41);
    mf_frame_destroy (&frame);
    mf_spare_destroy (&spare);
    ck_assert_ptr_null (spare);
    mf_spare_destroy (&spare);
}
END_TEST

START_TEST (prepared_frame_after_a_resize)
{
    mf_spare_t *spare = mf_spare_new ();
    mf_frame_t *frame = mf_frame_new (20, 10, mf_palette_at (0));
    mf_spare_keep (spare, &frame);
    //  A resize: the kept frame goes, one of the new size is prepared.
    mf_spare_prepare (spare, 64, 48);
    frame = mf_spare_take (spare, 64, 48, mf_palette_at (0));
    ck_assert (frame && mf_frame_width (frame) == 64 && mf_frame_height (frame) == 48);
    ck_assert_int_eq (mf_frame_level (frame, 63, 47), MF_LEVEL_EMPTY);
    mf_frame_destroy (&frame);
    //  A prepared frame of a size not asked for is dropped.
    mf_spare_prepare (spare, 16, 16);
    frame = mf_spare_take (spare, 17, 16, mf_palette_at (0));
    ck_assert (frame && mf_frame_width (frame) == 17);
    mf_frame_destroy (&frame);
    //  Destroyed while one is being prepared: joined and freed.
    mf_spare_prepare (spare, 800, 600);
    mf_spare_destroy (&spare);
    ck_assert_ptr_null (spare);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_spare");
    TCase *tc = tcase_create ("frames");
    tcase_add_test (tc, kept_frame_comes_back_for_its_size);
    tcase_add_test (tc, prepared_frame_after_a_resize);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
