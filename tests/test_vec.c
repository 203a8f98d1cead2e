/*  mf_vec: the growable array and queue every module uses, checked
    operation by operation, against a plain model under a long random
    mix of operations, and at the edges of size_t.
*/
#include "helpers.h"
#include "mf_vec.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t id;
    uint8_t pad [9];                    //  an odd size: elements are packed bytes
} s_item_t;

START_TEST (push_at_remove)
{
    mf_vec_t *vec = mf_vec_new (sizeof (s_item_t));
    ck_assert_ptr_nonnull (vec);
    ck_assert_uint_eq (mf_vec_count (vec), 0);
    ck_assert_ptr_null (mf_vec_at (vec, 0));
    for (uint32_t id = 0; id < 100; id++) {
        s_item_t item = { .id = id };
        s_item_t *stored = mf_vec_push (vec, &item);
        ck_assert_ptr_nonnull (stored);
        ck_assert_uint_eq (stored->id, id);
        ck_assert_uint_eq (mf_vec_index (vec, stored), id);
    }
    ck_assert_uint_eq (mf_vec_count (vec), 100);
    ck_assert_ptr_null (mf_vec_at (vec, 100));
    //  A push of NULL is zero bytes.
    s_item_t *zero = mf_vec_push (vec, NULL);
    ck_assert (zero->id == 0 && zero->pad [8] == 0);
    mf_vec_remove (vec, 100);
    //  Remove keeps the order; swap-remove moves the last one in.
    mf_vec_remove (vec, 10);
    ck_assert_uint_eq (((s_item_t *) mf_vec_at (vec, 10))->id, 11);
    ck_assert_uint_eq (((s_item_t *) mf_vec_at (vec, 98))->id, 99);
    mf_vec_swap_remove (vec, 0);
    ck_assert_uint_eq (((s_item_t *) mf_vec_at (vec, 0))->id, 99);
    ck_assert_uint_eq (((s_item_t *) mf_vec_at (vec, 1))->id, 1);
    ck_assert_uint_eq (mf_vec_count (vec), 98);
    mf_vec_swap_remove (vec, 97);
    ck_assert_uint_eq (mf_vec_count (vec), 97);
    ck_assert_uint_eq (((s_item_t *) mf_vec_at (vec, 96))->id, 97);
    mf_vec_clear (vec);
    ck_assert_uint_eq (mf_vec_count (vec), 0);
    ck_assert_ptr_null (mf_vec_at (vec, 0));
    mf_vec_destroy (&vec);
    ck_assert_ptr_null (vec);
    mf_vec_destroy (&vec);
}
END_TEST

START_TEST (grow_to_zeroes)
{
    //  An array indexed by a number: grown to reach it, new ones zero.
    mf_vec_t *vec = mf_vec_new (sizeof (int));
    ck_assert_int_eq (mf_vec_grow_to (vec, 5), 0);
    ck_assert_uint_eq (mf_vec_count (vec), 5);
    *(int *) mf_vec_at (vec, 4) = 7;
    ck_assert_int_eq (mf_vec_grow_to (vec, 3), 0);      //  never shrinks
    ck_assert_uint_eq (mf_vec_count (vec), 5);
    ck_assert_int_eq (mf_vec_grow_to (vec, 1000), 0);
    for (size_t index = 0; index < 1000; index++)
        ck_assert_int_eq (*(int *) mf_vec_at (vec, index), index == 4? 7: 0);
    mf_vec_destroy (&vec);
}
END_TEST

START_TEST (queue_in_order)
{
    //  Push at the back, shift at the front: first in, first out, while
    //  the front moves through the buffer many times over.
    mf_vec_t *vec = mf_vec_new (sizeof (uint64_t));
    uint64_t next_in = 0, next_out = 0, value;
    ck_assert_int_eq (mf_vec_shift (vec, &value), -1);
    for (int round = 0; round < 100000; round++) {
        ck_assert_ptr_nonnull (mf_vec_push (vec, &next_in));
        next_in++;
        if (round % 3 != 2) {
            ck_assert_int_eq (mf_vec_shift (vec, &value), 0);
            ck_assert_uint_eq (value, next_out++);
        }
    }
    ck_assert_uint_eq (mf_vec_count (vec), next_in - next_out);
    for (size_t index = 0; index < mf_vec_count (vec); index++)
        ck_assert_uint_eq (*(uint64_t *) mf_vec_at (vec, index), next_out + index);
    while (mf_vec_shift (vec, NULL) == 0)
        next_out++;
    ck_assert_uint_eq (next_out, next_in);
    mf_vec_destroy (&vec);
}
END_TEST

START_TEST (random_mix_matches_a_model)
{
    //  Every operation, at random, on the vec and on a plain array.
    enum { MODEL_MAX = 4096, ROUNDS = 200000 };
    uint32_t *model = malloc (MODEL_MAX * sizeof *model);
    size_t count = 0;
    mf_vec_t *vec = mf_vec_new (sizeof (uint32_t));
    uint32_t seed = 12345, next = 0;
    for (int round = 0; round < ROUNDS; round++) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t op = (seed >> 16) % 10;
        if (op < 4 && count < MODEL_MAX) {
            model [count++] = next;
            ck_assert_ptr_nonnull (mf_vec_push (vec, &next));
            next++;
        }
        else
        if (op < 6 && count) {
            uint32_t out;
            ck_assert_int_eq (mf_vec_shift (vec, &out), 0);
            ck_assert_uint_eq (out, model [0]);
            memmove (model, model + 1, --count * sizeof *model);
        }
        else
        if (op == 6 && count) {
            size_t index = (seed >> 8) % count;
            mf_vec_remove (vec, index);
            memmove (model + index, model + index + 1, (--count - index) * sizeof *model);
        }
        else
        if (op == 7 && count) {
            size_t index = (seed >> 8) % count;
            mf_vec_swap_remove (vec, index);
            model [index] = model [--count];
        }
        else
        if (op == 8 && count < MODEL_MAX - 8) {
            ck_assert_int_eq (mf_vec_grow_to (vec, count + 3), 0);
            for (int extra = 0; extra < 3; extra++)
                model [count++] = 0;
        }
        else
        if (op == 9 && (seed >> 4) % 7 == 0 && count) {
            size_t keep = (seed >> 8) % count;
            mf_vec_truncate (vec, keep);
            count = keep;
        }
        else
        if (op == 9 && (seed >> 4) % 100 == 0) {
            mf_vec_clear (vec);
            count = 0;
        }
        ck_assert_uint_eq (mf_vec_count (vec), count);
        if (count) {
            size_t index = (seed >> 3) % count;
            ck_assert_uint_eq (*(uint32_t *) mf_vec_at (vec, index), model [index]);
        }
    }
    for (size_t index = 0; index < count; index++)
        ck_assert_uint_eq (*(uint32_t *) mf_vec_at (vec, index), model [index]);
    mf_vec_destroy (&vec);
    free (model);
}
END_TEST

START_TEST (sizes_never_wrap)
{
    //  Elements so large that 16 of them do not fit in a size_t: the
    //  first push fails, nothing changes.
    mf_vec_t *vec = mf_vec_new (SIZE_MAX / 8);
    ck_assert_ptr_nonnull (vec);
    ck_assert_ptr_null (mf_vec_push (vec, NULL));
    ck_assert_uint_eq (mf_vec_count (vec), 0);
    mf_vec_destroy (&vec);
    //  A count whose bytes do not fit, and one past any doubling.
    vec = mf_vec_new (sizeof (uint64_t));
    ck_assert_ptr_nonnull (mf_vec_push (vec, NULL));
    ck_assert_int_eq (mf_vec_grow_to (vec, SIZE_MAX / 4), -1);
    ck_assert_int_eq (mf_vec_grow_to (vec, SIZE_MAX), -1);
    ck_assert_uint_eq (mf_vec_count (vec), 1);
    ck_assert_ptr_nonnull (mf_vec_push (vec, NULL));
    ck_assert_uint_eq (mf_vec_count (vec), 2);
    mf_vec_destroy (&vec);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("vec");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, push_at_remove);
    tcase_add_test (tc, grow_to_zeroes);
    tcase_add_test (tc, queue_in_order);
    tcase_add_test (tc, random_mix_matches_a_model);
    tcase_add_test (tc, sizes_never_wrap);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
