/*  mf_fetcher: a worker's chunked download, with a hand-played master.
    It asks at most its window ahead, the next chunk as each arrives,
    each byte once; the bytes come out whole and in place, whatever the
    order of the answers. Chunks nobody asked for (another orbit, another
    offset, twice) are dropped without harm; one that answers a request
    with another length or total abandons the fetch. Silence makes it
    ask again, the same offsets, and after MF_FETCHER_TRIES rounds it
    gives up; orbits are fetched one at a time in the order wanted, each
    once; the queue is bounded; reset forgets everything.
*/
#include "helpers.h"
#include "fetcher.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 100                       //  bytes a request asks for, in these tests
#define TIMEOUT 1000                    //  msecs of silence before asking again

static mf_orbit_id_t
s_id (uint8_t tag)
{
    mf_orbit_id_t id;
    memset (&id, tag, sizeof id);
    return id;
}

//  The shipped orbit the fake master serves: byte i is i * 7 mod 251.
static uint8_t *
s_blob (size_t size)
{
    uint8_t *blob = malloc (size);
    for (size_t index = 0; index < size; index++)
        blob [index] = (uint8_t) (index * 7 % 251);
    return blob;
}

//  Answers a request from blob (of total bytes), as a master does.
static mf_chunk_verdict_t
s_answer (mf_fetcher_t *fetcher, const mf_fetch_t *request, const uint8_t *blob, uint64_t total,
          int64_t now)
{
    mf_chunk_t chunk = { request->orbit, request->offset, total, request->length,
                         blob + request->offset };
    char err [256];
    return mf_fetcher_chunk (fetcher, &chunk, now, err, sizeof err);
}

START_TEST (asks_within_its_window)
{
    //  10 full chunks and 5 bytes; answered last request first.
    uint64_t total = 10 * CHUNK + 5;
    uint8_t *blob = s_blob (total);
    mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 4, TIMEOUT, MF_FETCHER_TRIES);
    mf_orbit_id_t id = s_id (1);
    ck_assert_int_eq (mf_fetcher_want (fetcher, &id, total), 0);
    ck_assert (mf_fetcher_wants (fetcher, &id));
    mf_fetch_t out [16], pending [16];
    size_t pending_count = mf_fetcher_requests (fetcher, 0, out, 16);
    ck_assert_uint_eq (pending_count, 4);
    memcpy (pending, out, sizeof out);
    //  Nothing more until something is answered.
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 10, out, 16), 0);
    bool asked [11] = { false };
    int answered = 0;
    mf_chunk_verdict_t verdict = MF_CHUNK_TAKEN;
    while (pending_count > 0) {
        mf_fetch_t request = pending [--pending_count];
        ck_assert (mf_orbit_id_equal (&request.orbit, &id));
        ck_assert_uint_eq (request.offset % CHUNK, 0);
        size_t which = request.offset / CHUNK;
        ck_assert_msg (!asked [which], "chunk %zu asked twice", which);
        asked [which] = true;
        ck_assert_uint_eq (request.length, which == 10? 5: CHUNK);
        verdict = s_answer (fetcher, &request, blob, total, 20);
        answered++;
        //  Each answer opens the window by one: never more than 4 out.
        size_t more = mf_fetcher_requests (fetcher, 20, out, 16);
        ck_assert_uint_le (pending_count + more, 4);
        memcpy (pending + pending_count, out, more * sizeof out [0]);
        pending_count += more;
    }
    ck_assert_int_eq (answered, 11);
    ck_assert_int_eq (verdict, MF_CHUNK_COMPLETE);
    mf_orbit_id_t got;
    size_t size;
    uint8_t *whole = mf_fetcher_take (fetcher, &got, &size);
    ck_assert (whole && size == total && memcmp (whole, blob, total) == 0);
    ck_assert (mf_orbit_id_equal (&got, &id));
    ck_assert (!mf_fetcher_wants (fetcher, &id));
    ck_assert_ptr_null (mf_fetcher_take (fetcher, &got, &size));
    free (whole);
    free (blob);
    mf_fetcher_destroy (&fetcher);
    mf_fetcher_destroy (&fetcher);
    ck_assert_ptr_null (fetcher);
}
END_TEST

START_TEST (unasked_chunks_do_no_harm)
{
    uint64_t total = 3 * CHUNK;
    uint8_t *blob = s_blob (total);
    mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 2, TIMEOUT, MF_FETCHER_TRIES);
    mf_orbit_id_t id = s_id (1), other = s_id (2);
    char err [256];
    //  Before any fetch: nothing is asked for.
    mf_chunk_t chunk = { id, 0, total, CHUNK, blob };
    ck_assert_int_eq (mf_fetcher_chunk (fetcher, &chunk, 0, err, sizeof err), MF_CHUNK_UNASKED);
    mf_fetcher_want (fetcher, &id, total);
    mf_fetch_t out [4];
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 2);
    //  Another orbit; an offset not asked for (the third chunk, and one
    //  inside the first); then the first, twice.
    mf_chunk_t stray [] = {
        { other, 0, total, CHUNK, blob },
        { id, 2 * CHUNK, total, CHUNK, blob + 2 * CHUNK },
        { id, 50, total, CHUNK, blob + 50 },
    };
    for (size_t index = 0; index < 3; index++)
        ck_assert_int_eq (mf_fetcher_chunk (fetcher, &stray [index], 1, err, sizeof err),
                          MF_CHUNK_UNASKED);
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, total, 2), MF_CHUNK_TAKEN);
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, total, 2), MF_CHUNK_UNASKED);
    //  The rest still completes with the right bytes.
    ck_assert_int_eq (s_answer (fetcher, &out [1], blob, total, 3), MF_CHUNK_TAKEN);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 3, out, 4), 1);
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, total, 4), MF_CHUNK_COMPLETE);
    size_t size;
    mf_orbit_id_t got;
    uint8_t *whole = mf_fetcher_take (fetcher, &got, &size);
    ck_assert (whole && memcmp (whole, blob, total) == 0);
    free (whole);
    free (blob);
    mf_fetcher_destroy (&fetcher);
}
END_TEST

START_TEST (contradicting_chunks_abandon_the_fetch)
{
    uint64_t total = 3 * CHUNK;
    uint8_t *blob = s_blob (total + CHUNK);
    mf_orbit_id_t id = s_id (1);
    for (int round = 0; round < 2; round++) {
        mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 2, TIMEOUT, MF_FETCHER_TRIES);
        mf_fetcher_want (fetcher, &id, total);
        mf_fetch_t out [4];
        ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 2);
        //  Round 0: fewer bytes than asked for; round 1: another total.
        mf_chunk_t chunk = { id, 0, round? total + CHUNK: total, round? CHUNK: CHUNK - 1, blob };
        char err [256] = "";
        ck_assert_int_eq (mf_fetcher_chunk (fetcher, &chunk, 1, err, sizeof err), MF_CHUNK_BAD);
        ck_assert_msg (strstr (err, "were asked for") != NULL, "%s", err);
        ck_assert (!mf_fetcher_wants (fetcher, &id));
        //  What comes after is unasked.
        ck_assert_int_eq (s_answer (fetcher, &out [1], blob, total, 2), MF_CHUNK_UNASKED);
        ck_assert_uint_eq (mf_fetcher_requests (fetcher, 3, out, 4), 0);
        mf_fetcher_destroy (&fetcher);
    }
    free (blob);
}
END_TEST

START_TEST (silence_asks_again_then_gives_up)
{
    uint64_t total = 5 * CHUNK;
    uint8_t *blob = s_blob (total);
    mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 2, TIMEOUT, 3);
    mf_orbit_id_t id = s_id (1), got;
    mf_fetcher_want (fetcher, &id, total);
    mf_fetch_t out [4];
    bool no_memory = true;
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 2);
    ck_assert_uint_eq (out [0].offset, 0);
    ck_assert_uint_eq (out [1].offset, CHUNK);
    //  Just before the timeout: nothing.
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, TIMEOUT - 1, out, 4), 0);
    //  At it: the same two again.
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, TIMEOUT, out, 4), 2);
    ck_assert (out [0].offset == 0 && out [1].offset == CHUNK);
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, TIMEOUT, &got, &no_memory), 0);
    //  An answer restarts the count: two more silences before giving up.
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, total, TIMEOUT + 10), MF_CHUNK_TAKEN);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, TIMEOUT + 10, out, 4), 1);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 2 * TIMEOUT + 10, out, 4), 2);
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, 2 * TIMEOUT + 10, &got, &no_memory), 0);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 3 * TIMEOUT + 10, out, 4), 2);
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, 3 * TIMEOUT + 10, &got, &no_memory), 0);
    //  The third silence: given up, for lack of an answer.
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 4 * TIMEOUT + 10, out, 4), 0);
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, 4 * TIMEOUT + 10, &got, &no_memory), 1);
    ck_assert (mf_orbit_id_equal (&got, &id) && !no_memory);
    ck_assert (!mf_fetcher_wants (fetcher, &id));
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, 4 * TIMEOUT + 10, &got, &no_memory), 0);
    //  A longer timeout set later applies.
    mf_fetcher_want (fetcher, &id, total);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 2);
    mf_fetcher_set_timeout (fetcher, 5 * TIMEOUT);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 4 * TIMEOUT, out, 4), 0);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 5 * TIMEOUT, out, 4), 2);
    free (blob);
    mf_fetcher_destroy (&fetcher);
}
END_TEST

START_TEST (one_orbit_at_a_time_in_order)
{
    mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 2, TIMEOUT, MF_FETCHER_TRIES);
    mf_orbit_id_t a = s_id (1), b = s_id (2), c = s_id (3), got;
    uint8_t *blob = s_blob (CHUNK);
    ck_assert_int_eq (mf_fetcher_want (fetcher, &a, CHUNK), 0);
    ck_assert_int_eq (mf_fetcher_want (fetcher, &b, CHUNK), 0);
    ck_assert_int_eq (mf_fetcher_want (fetcher, &a, CHUNK), 0);     //  once
    ck_assert_int_eq (mf_fetcher_want (fetcher, &c, CHUNK), 0);
    mf_fetch_t out [4];
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 1);
    ck_assert (mf_orbit_id_equal (&out [0].orbit, &a));
    //  B is not being fetched: its chunk is unasked.
    mf_chunk_t early = { b, 0, CHUNK, CHUNK, blob };
    char err [256];
    ck_assert_int_eq (mf_fetcher_chunk (fetcher, &early, 1, err, sizeof err), MF_CHUNK_UNASKED);
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, CHUNK, 1), MF_CHUNK_COMPLETE);
    size_t size;
    free (mf_fetcher_take (fetcher, &got, &size));
    ck_assert (mf_orbit_id_equal (&got, &a));
    //  B is abandoned before it starts (NOORBIT): C comes next.
    ck_assert_int_eq (mf_fetcher_abandon (fetcher, &b), 1);
    ck_assert_int_eq (mf_fetcher_abandon (fetcher, &b), 0);
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 2, out, 4), 1);
    ck_assert (mf_orbit_id_equal (&out [0].orbit, &c));
    //  Reset: nothing is wanted any more.
    mf_fetcher_reset (fetcher);
    ck_assert (!mf_fetcher_wants (fetcher, &c));
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 3, out, 4), 0);
    ck_assert_int_eq (s_answer (fetcher, &out [0], blob, CHUNK, 3), MF_CHUNK_UNASKED);
    //  The queue is bounded.
    for (int index = 0; index < MF_FETCHER_QUEUE; index++) {
        mf_orbit_id_t id = s_id ((uint8_t) (10 + index));
        ck_assert_int_eq (mf_fetcher_want (fetcher, &id, CHUNK), 0);
    }
    mf_orbit_id_t one_more = s_id (200);
    ck_assert_int_eq (mf_fetcher_want (fetcher, &one_more, CHUNK), -1);
    free (blob);
    mf_fetcher_destroy (&fetcher);
}
END_TEST

START_TEST (no_memory_gives_up)
{
#if defined (__SANITIZE_ADDRESS__)
    th_skip ("an allocation of 2^62 bytes under ASan");
    return;
#endif
    mf_fetcher_t *fetcher = mf_fetcher_new (CHUNK, 2, TIMEOUT, MF_FETCHER_TRIES);
    mf_orbit_id_t id = s_id (1), got;
    ck_assert_int_eq (mf_fetcher_want (fetcher, &id, 1ULL << 62), 0);
    mf_fetch_t out [4];
    ck_assert_uint_eq (mf_fetcher_requests (fetcher, 0, out, 4), 0);
    bool no_memory = false;
    ck_assert_int_eq (mf_fetcher_given_up (fetcher, 0, &got, &no_memory), 1);
    ck_assert (no_memory && mf_orbit_id_equal (&got, &id));
    mf_fetcher_destroy (&fetcher);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("fetcher");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, asks_within_its_window);
    tcase_add_test (tc, unasked_chunks_do_no_harm);
    tcase_add_test (tc, contradicting_chunks_abandon_the_fetch);
    tcase_add_test (tc, silence_asks_again_then_gives_up);
    tcase_add_test (tc, one_orbit_at_a_time_in_order);
    tcase_add_test (tc, no_memory_gives_up);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
