/*  The ordered pipeline: items made on any number of threads are written
    in the order submitted, each exactly once, and every item is freed
    whatever happens; a failed make or write, or the stop flag, stops it
    with nothing written after.
*/
#include "helpers.h"
#include "mf_bands.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define ITEMS 200                       //  items per run

typedef struct {
    int index;                          //  submission order
    long value;                         //  made: index squared
} s_item_t;

typedef struct {
    pthread_mutex_t lock;               //  guards made and scratches (threads)
    int made;                           //  items made
    int scratches;                      //  scratch memory alive
    int written;                        //  items written, in order (caller's thread)
    int freed;                          //  items freed
    int fail_make;                      //  index whose make fails (-1: none)
    int fail_write;                     //  index whose write fails (-1: none)
    int stop_at;                        //  index whose write sets stop (-1: none)
    bool fail_scratch;                  //  scratch_new fails
    volatile sig_atomic_t stop;         //  the pipeline's stop flag
    bool in_order;                      //  every write came in order
} s_state_t;

static void *
s_scratch_new (void *arg)
{
    s_state_t *state = arg;
    if (state->fail_scratch)
        return NULL;
    pthread_mutex_lock (&state->lock);
    state->scratches++;
    pthread_mutex_unlock (&state->lock);
    return malloc (16);
}

static void
s_scratch_free (void *arg, void *scratch)
{
    s_state_t *state = arg;
    pthread_mutex_lock (&state->lock);
    state->scratches--;
    pthread_mutex_unlock (&state->lock);
    free (scratch);
}

static int
s_make (void *arg, void *scratch, void *item)
{
    s_state_t *state = arg;
    s_item_t *it = item;
    if (!scratch)
        return -1;
    //  Uneven work, so that items finish out of order.
    usleep ((useconds_t) (it->index % 4) * 300);
    it->value = (long) it->index * it->index;
    pthread_mutex_lock (&state->lock);
    state->made++;
    pthread_mutex_unlock (&state->lock);
    return it->index == state->fail_make? -1: 0;
}

static int
s_write (void *arg, void *item)
{
    s_state_t *state = arg;
    s_item_t *it = item;
    if (it->index != state->written || it->value != (long) it->index * it->index)
        state->in_order = false;
    state->written++;
    if (it->index == state->stop_at)
        state->stop = 1;
    return it->index == state->fail_write? -1: 0;
}

static void
s_free_item (void *arg, void *item)
{
    s_state_t *state = arg;
    __atomic_add_fetch (&state->freed, 1, __ATOMIC_SEQ_CST);
    free (item);
}

static const mf_bands_fns_t s_fns = { s_scratch_new, s_scratch_free, s_make, s_write,
                                      s_free_item };

//  Runs ITEMS items through a pipeline of threads threads. Returns 0 or -1
//  (the first failure of submit or finish).
static int
s_run (s_state_t *state, int threads)
{
    pthread_mutex_init (&state->lock, NULL);
    state->in_order = true;
    mf_bands_t *bands = mf_bands_new (&s_fns, state, threads, &state->stop);
    ck_assert_ptr_nonnull (bands);
    int rc = 0, submitted = 0;
    for (int index = 0; index < ITEMS && rc == 0; index++) {
        s_item_t *item = calloc (1, sizeof *item);
        ck_assert_ptr_nonnull (item);
        item->index = index;
        rc = mf_bands_submit (bands, item);
        submitted++;
    }
    if (rc == 0)
        rc = mf_bands_finish (bands);
    mf_bands_destroy (&bands);
    ck_assert_ptr_null (bands);
    mf_bands_destroy (&bands);                          //  safe twice
    pthread_mutex_destroy (&state->lock);
    ck_assert (state->in_order);
    ck_assert_int_eq (state->scratches, 0);
    //  Every item given was freed, once, written or not.
    ck_assert_int_eq (state->freed, submitted);
    return rc;
}

static const int s_threads [] = { 0, 1, 2, 7 };

START_TEST (written_in_order)
{
    for (int t = 0; t < 4; t++) {
        s_state_t state = { .fail_make = -1, .fail_write = -1, .stop_at = -1 };
        ck_assert_int_eq (s_run (&state, s_threads [t]), 0);
        ck_assert_int_eq (state.written, ITEMS);
        ck_assert_int_eq (state.made, ITEMS);
        ck_assert_int_eq (state.freed, ITEMS);
    }
}
END_TEST

START_TEST (a_failed_make_stops_it)
{
    for (int t = 0; t < 4; t++) {
        s_state_t state = { .fail_make = 50, .fail_write = -1, .stop_at = -1 };
        ck_assert_int_eq (s_run (&state, s_threads [t]), -1);
        ck_assert_int_le (state.written, 50);           //  never item 50, nor after it
    }
}
END_TEST

START_TEST (a_failed_write_stops_it)
{
    for (int t = 0; t < 4; t++) {
        s_state_t state = { .fail_make = -1, .fail_write = 30, .stop_at = -1 };
        ck_assert_int_eq (s_run (&state, s_threads [t]), -1);
        ck_assert_int_eq (state.written, 31);           //  nothing after the failed one
    }
}
END_TEST

START_TEST (stop_writes_nothing_more)
{
    //  The flag is set while item 20 is written, as a signal would: item
    //  21 and after are never written.
    for (int t = 0; t < 4; t++) {
        s_state_t state = { .fail_make = -1, .fail_write = -1, .stop_at = 20 };
        ck_assert_int_eq (s_run (&state, s_threads [t]), -1);
        ck_assert_int_eq (state.written, 21);
    }
}
END_TEST

START_TEST (no_scratch_fails)
{
    for (int t = 0; t < 4; t++) {
        s_state_t state = { .fail_make = -1, .fail_write = -1, .stop_at = -1,
                            .fail_scratch = true };
        ck_assert_int_eq (s_run (&state, s_threads [t]), -1);
        ck_assert_int_eq (state.written, 0);
    }
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("bands");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, written_in_order);
    tcase_add_test (tc, a_failed_make_stops_it);
    tcase_add_test (tc, a_failed_write_stops_it);
    tcase_add_test (tc, stop_writes_nothing_more);
    tcase_add_test (tc, no_scratch_fails);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
