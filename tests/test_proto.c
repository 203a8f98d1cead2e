/*  The wire: every message type round-trips, and malformed, truncated,
    oversized and wrong-version messages are refused with a reason. */
#include "helpers.h"
#include "mf_proto.h"

#include <check.h>
#include <math.h>
#include <string.h>

static uint8_t buf [MF_SIZE_RESULT_HEAD + 4 * 64 * 64];

static mf_proto_error_t
s_decode_error (const uint8_t *data, size_t size)
{
    mf_msg_t msg;
    mf_proto_error_t why = MF_PROTO_OK;
    ck_assert_int_eq (mf_proto_decode (data, size, &msg, &why), -1);
    ck_assert (why != MF_PROTO_OK);
    return why;
}

START_TEST (hello_round_trip)
{
    mf_hello_t hello = { .credit = 3, .threads = 2, .pid = 4242, .uid = 0x0123456789abcdefULL };
    strcpy (hello.kernel, "avx512");
    strcpy (hello.host, "render-07");
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_uint_eq (size, MF_SIZE_HELLO);
    ck_assert (buf [0] == 'M' && buf [1] == 'F' && buf [2] == MF_PROTO_VERSION && buf [3] == MF_MSG_HELLO);
    //  Little-endian on the wire.
    ck_assert (buf [4] == 3 && buf [5] == 0 && buf [16] == 0xef && buf [23] == 0x01);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert_int_eq (msg.type, MF_MSG_HELLO);
    ck_assert_uint_eq (msg.u.hello.credit, 3);
    ck_assert_uint_eq (msg.u.hello.threads, 2);
    ck_assert_uint_eq (msg.u.hello.pid, 4242);
    ck_assert (msg.u.hello.uid == 0x0123456789abcdefULL);
    ck_assert_str_eq (msg.u.hello.kernel, "avx512");
    ck_assert_str_eq (msg.u.hello.host, "render-07");
    //  Control characters in names never reach a log.
    buf [24 + MF_PROTO_KERNEL_LEN] = '\n';
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.u.hello.host [0] == '?');
    //  A name filling its whole field still ends in NUL after decoding.
    memset (buf + 24, 'k', MF_PROTO_KERNEL_LEN);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert_uint_eq (strlen (msg.u.hello.kernel), MF_PROTO_KERNEL_LEN);
}
END_TEST

START_TEST (small_messages_round_trip)
{
    mf_msg_t msg;
    mf_welcome_t welcome = { 250, 0xdeadbeef };
    size_t size = mf_proto_encode_welcome (buf, sizeof buf, &welcome);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.type == MF_MSG_WELCOME && msg.u.welcome.heartbeat_ms == 250
               && msg.u.welcome.session == 0xdeadbeef);
    size = mf_proto_encode_ready (buf, sizeof buf, 7);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.type == MF_MSG_READY && msg.u.credit == 7);
    size = mf_proto_encode_cancel (buf, sizeof buf, 99);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.type == MF_MSG_CANCEL && msg.u.job == 99);
    mf_msg_type_t empties [] = { MF_MSG_HEARTBEAT, MF_MSG_BYE, MF_MSG_REGISTER };
    for (int index = 0; index < 3; index++) {
        size = mf_proto_encode_empty (buf, sizeof buf, empties [index]);
        ck_assert_uint_eq (size, MF_PROTO_HEADER);
        ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
        ck_assert_int_eq (msg.type, empties [index]);
    }
    //  Encoders refuse a buffer that is too small.
    ck_assert_uint_eq (mf_proto_encode_welcome (buf, MF_SIZE_WELCOME - 1, &welcome), 0);
}
END_TEST

START_TEST (tile_round_trip)
{
    mf_tile_msg_t tile = { .job = 5, .tile = 77, .lease = 1234, .task = {
        .map = { -2.5, 0.984375, 3.5 / 1920 }, .maxiter = 20000,
        .rect = { 128, 64, 64, 23 } } };
    size_t size = mf_proto_encode_tile (buf, sizeof buf, &tile);
    ck_assert_uint_eq (size, MF_SIZE_TILE);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    const mf_tile_msg_t *got = &msg.u.tile;
    ck_assert (got->job == 5 && got->tile == 77 && got->lease == 1234);
    ck_assert (got->task.map.xmin == -2.5 && got->task.map.ymax == 0.984375);
    ck_assert (got->task.map.d == 3.5 / 1920 && got->task.maxiter == 20000);
    ck_assert (got->task.rect.x == 128 && got->task.rect.y == 64);
    ck_assert (got->task.rect.w == 64 && got->task.rect.h == 23);
}
END_TEST

START_TEST (result_round_trip)
{
    float mu [64 * 2];
    for (int index = 0; index < 128; index++)
        mu [index] = index % 5 == 0? -1.0f: index * 0.37f;
    mf_result_t result = { .job = 5, .tile = 77, .lease = 1234, .rect = { 0, 8, 64, 2 },
                           .compute_us = 999, .iterations = 1ULL << 40 };
    size_t size = mf_proto_result_size (64, 2);
    ck_assert_uint_eq (mf_proto_encode_result_head (buf, sizeof buf, &result), MF_SIZE_RESULT_HEAD);
    mf_le_put_f32s (buf + MF_SIZE_RESULT_HEAD, mu, 128);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.u.result.job == 5 && msg.u.result.tile == 77 && msg.u.result.lease == 1234);
    ck_assert (msg.u.result.rect.y == 8 && msg.u.result.rect.w == 64 && msg.u.result.rect.h == 2);
    ck_assert (msg.u.result.iterations == 1ULL << 40 && msg.u.result.compute_us == 999);
    float back [128];
    mf_le_get_f32s (back, msg.u.result.mu, 128);
    ck_assert (memcmp (back, mu, sizeof mu) == 0);
    ck_assert_int_eq (mf_proto_check_mu (msg.u.result.mu, 128, 1000), 0);
    //  Truncated and oversized results are refused by size.
    ck_assert_int_eq (s_decode_error (buf, size - 1), MF_PROTO_E_SIZE);
    ck_assert_int_eq (s_decode_error (buf, size + 4), MF_PROTO_E_SIZE);
    ck_assert_int_eq (s_decode_error (buf, MF_SIZE_RESULT_HEAD - 1), MF_PROTO_E_SIZE);
    //  A tile larger than any tile can be is refused by field.
    result.rect.w = MF_TILE_MAX_EDGE + 1;
    mf_proto_encode_result_head (buf, sizeof buf, &result);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    result.rect.w = 0;
    mf_proto_encode_result_head (buf, sizeof buf, &result);
    ck_assert_int_eq (s_decode_error (buf, MF_SIZE_RESULT_HEAD), MF_PROTO_E_FIELD);
}
END_TEST

START_TEST (impossible_mu_values)
{
    uint8_t bytes [4 * 4];
    float cases [] = { NAN, -0.5f, 1000.5f, INFINITY, -INFINITY, -2.0f };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        float values [4] = { 1.0f, -1.0f, 0.0f, cases [index] };
        mf_le_put_f32s (bytes, values, 4);
        ck_assert_msg (mf_proto_check_mu (bytes, 4, 1000) == -1, "accepted %g", cases [index]);
    }
    float fine [4] = { -1.0f, 0.0f, 999.9f, 1000.0f };
    mf_le_put_f32s (bytes, fine, 4);
    ck_assert_int_eq (mf_proto_check_mu (bytes, 4, 1000), 0);
}
END_TEST

START_TEST (header_rejections)
{
    size_t size = mf_proto_encode_ready (buf, sizeof buf, 1);
    ck_assert_int_eq (s_decode_error (buf, 0), MF_PROTO_E_SHORT);
    ck_assert_int_eq (s_decode_error (buf, 3), MF_PROTO_E_SHORT);
    ck_assert_int_eq (s_decode_error (NULL, 8), MF_PROTO_E_SHORT);
    buf [0] = 'X';
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_MAGIC);
    buf [0] = 'M';
    buf [2] = MF_PROTO_VERSION + 1;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_VERSION);
    buf [2] = 0;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_VERSION);
    buf [2] = MF_PROTO_VERSION;
    buf [3] = 0;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_TYPE);
    buf [3] = 200;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_TYPE);
}
END_TEST

START_TEST (size_rejections)
{
    //  Every fixed-size type refuses one byte less and one byte more.
    struct { size_t size; } cases [5];
    mf_hello_t hello = { .credit = 1, .threads = 1 };
    mf_welcome_t welcome = { 1000, 1 };
    mf_tile_msg_t tile = { .task = { .map = { 0, 0, 1 }, .maxiter = 1, .rect = { 0, 0, 8, 8 } } };
    uint8_t copies [5][128];
    cases [0].size = mf_proto_encode_hello (copies [0], 128, &hello);
    cases [1].size = mf_proto_encode_welcome (copies [1], 128, &welcome);
    cases [2].size = mf_proto_encode_ready (copies [2], 128, 1);
    cases [3].size = mf_proto_encode_tile (copies [3], 128, &tile);
    cases [4].size = mf_proto_encode_cancel (copies [4], 128, 1);
    for (int index = 0; index < 5; index++) {
        mf_msg_t msg;
        ck_assert_int_eq (mf_proto_decode (copies [index], cases [index].size, &msg, NULL), 0);
        ck_assert_int_eq (s_decode_error (copies [index], cases [index].size - 1), MF_PROTO_E_SIZE);
        ck_assert_int_eq (s_decode_error (copies [index], cases [index].size + 1), MF_PROTO_E_SIZE);
    }
    size_t size = mf_proto_encode_empty (buf, sizeof buf, MF_MSG_HEARTBEAT);
    ck_assert_int_eq (s_decode_error (buf, size + 1), MF_PROTO_E_SIZE);
}
END_TEST

START_TEST (field_rejections)
{
    mf_hello_t hello = { .credit = MF_PROTO_MAX_CREDIT + 1, .threads = 1 };
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    hello.credit = 1;
    hello.threads = 0;
    size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    size = mf_proto_encode_ready (buf, sizeof buf, 0);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    mf_welcome_t welcome = { 5, 1 };
    size = mf_proto_encode_welcome (buf, sizeof buf, &welcome);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);

    mf_tile_msg_t good = { .task = { .map = { -2, 1, 0.01 }, .maxiter = 100, .rect = { 0, 0, 64, 64 } } };
    mf_tile_msg_t bad [] = { good, good, good, good, good, good, good };
    bad [0].task.maxiter = 0;
    bad [1].task.map.d = 0;
    bad [2].task.map.d = NAN;
    bad [3].task.map.xmin = INFINITY;
    bad [4].task.rect.w = 0;
    bad [5].task.rect.h = MF_TILE_MAX_EDGE + 1;
    bad [6].task.rect.x = MF_MAX_DIM - 10;
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        size = mf_proto_encode_tile (buf, sizeof buf, &bad [index]);
        ck_assert_msg (s_decode_error (buf, size) == MF_PROTO_E_FIELD, "case %zu", index);
    }
}
END_TEST

START_TEST (error_names)
{
    ck_assert_str_eq (mf_proto_error_name (MF_PROTO_E_VERSION), "version");
    ck_assert_str_eq (mf_proto_error_name ((mf_proto_error_t) 99), "unknown");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("proto");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, hello_round_trip);
    tcase_add_test (tc, small_messages_round_trip);
    tcase_add_test (tc, tile_round_trip);
    tcase_add_test (tc, result_round_trip);
    tcase_add_test (tc, impossible_mu_values);
    tcase_add_test (tc, header_rejections);
    tcase_add_test (tc, size_rejections);
    tcase_add_test (tc, field_rejections);
    tcase_add_test (tc, error_names);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
