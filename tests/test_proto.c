/*  The wire: every message type round-trips to the same bytes, those
    bytes are pinned as docs/PROTOCOL.md gives them, and malformed,
    truncated, extended and wrong-version messages are refused with a
    reason. */
#include "helpers.h"
#include "mf_proto.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
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

//  One valid message of every type, encoded by the encoders; size says
//  how long each is. The RESULT is 3 x 2 pixels with its mu.
typedef struct {
    mf_msg_t msg;                       //  what was encoded
    uint8_t bytes [MF_SIZE_HELLO + 8];   //  room for the largest sample
    size_t size;
} s_sample_t;

#define SAMPLES 9

static void
s_samples (s_sample_t *samples)
{
    memset (samples, 0, SAMPLES * sizeof *samples);
    mf_hello_t hello = { .credit = 1024, .threads = 4096, .pid = 77, .uid = 0xfedcba9876543210ULL };
    strcpy (hello.kernel, "avx2");
    strcpy (hello.host, "a host name that fills its field up to its end..");
    mf_welcome_t welcome = { MF_PROTO_HB_MAX, 0x01020304 };
    mf_tile_msg_t tile = { 9, 10, 11, { { -1.5, 0.25, 1.0 / 1024 }, 123456, { 65536 - 7, 100, 7, 1024 } } };
    mf_result_t result = { 9, 10, 11, { 1, 2, 3, 2 }, 42, 999999999999ULL, NULL };
    float mu [6] = { -1.0f, 0.0f, 1.5f, 2.0f, 3.25f, 123456.0f };
    s_sample_t *s = samples;
    s [0].msg.type = MF_MSG_HELLO;
    s [0].msg.u.hello = hello;
    s [0].size = mf_proto_encode_hello (s [0].bytes, sizeof s [0].bytes, &hello);
    s [1].msg.type = MF_MSG_WELCOME;
    s [1].msg.u.welcome = welcome;
    s [1].size = mf_proto_encode_welcome (s [1].bytes, sizeof s [1].bytes, &welcome);
    s [2].msg.type = MF_MSG_READY;
    s [2].msg.u.credit = MF_PROTO_MAX_CREDIT;
    s [2].size = mf_proto_encode_ready (s [2].bytes, sizeof s [2].bytes, MF_PROTO_MAX_CREDIT);
    s [3].msg.type = MF_MSG_TILE;
    s [3].msg.u.tile = tile;
    s [3].size = mf_proto_encode_tile (s [3].bytes, sizeof s [3].bytes, &tile);
    s [4].msg.type = MF_MSG_RESULT;
    s [4].msg.u.result = result;
    s [4].size = mf_proto_encode_result_head (s [4].bytes, sizeof s [4].bytes, &result);
    mf_le_put_f32s (s [4].bytes + s [4].size, mu, 6);
    s [4].size += 4 * 6;
    s [5].msg.type = MF_MSG_CANCEL;
    s [5].msg.u.job = 0xffffffffu;
    s [5].size = mf_proto_encode_cancel (s [5].bytes, sizeof s [5].bytes, 0xffffffffu);
    mf_msg_type_t empties [] = { MF_MSG_HEARTBEAT, MF_MSG_BYE, MF_MSG_REGISTER };
    for (int index = 0; index < 3; index++) {
        s [6 + index].msg.type = empties [index];
        s [6 + index].size = mf_proto_encode_empty (s [6 + index].bytes, sizeof s [6].bytes,
                                                    empties [index]);
    }
}

//  Encodes a decoded message again. Returns its size.
static size_t
s_encode (uint8_t *out, size_t capacity, const mf_msg_t *msg)
{
    switch (msg->type) {
        case MF_MSG_HELLO:   return mf_proto_encode_hello (out, capacity, &msg->u.hello);
        case MF_MSG_WELCOME: return mf_proto_encode_welcome (out, capacity, &msg->u.welcome);
        case MF_MSG_READY:   return mf_proto_encode_ready (out, capacity, msg->u.credit);
        case MF_MSG_TILE:    return mf_proto_encode_tile (out, capacity, &msg->u.tile);
        case MF_MSG_CANCEL:  return mf_proto_encode_cancel (out, capacity, msg->u.job);
        case MF_MSG_RESULT: {
            size_t head = mf_proto_encode_result_head (out, capacity, &msg->u.result);
            size_t mu = 4 * (size_t) msg->u.result.rect.w * msg->u.result.rect.h;
            if (!head || capacity - head < mu)
                return 0;
            memcpy (out + head, msg->u.result.mu, mu);
            return head + mu;
        }
        default:             return mf_proto_encode_empty (out, capacity, msg->type);
    }
}

START_TEST (every_message_round_trips)
{
    s_sample_t samples [SAMPLES];
    s_samples (samples);
    size_t sizes [SAMPLES] = { 88, 12, 8, 60, 44 + 24, 8, 4, 4, 4 };
    for (int index = 0; index < SAMPLES; index++) {
        s_sample_t *s = &samples [index];
        ck_assert_msg (s->size == sizes [index], "type %d: %zu bytes", s->msg.type, s->size);
        mf_msg_t msg;
        ck_assert_int_eq (mf_proto_decode (s->bytes, s->size, &msg, NULL), 0);
        ck_assert_int_eq (msg.type, s->msg.type);
        //  Decoded, then encoded again: the same bytes.
        uint8_t again [sizeof s->bytes];
        ck_assert_uint_eq (s_encode (again, sizeof again, &msg), s->size);
        ck_assert_msg (memcmp (again, s->bytes, s->size) == 0, "type %d", s->msg.type);
        //  And the fields are those that were encoded.
        if (msg.type == MF_MSG_RESULT) {
            ck_assert_ptr_eq (msg.u.result.mu, s->bytes + MF_SIZE_RESULT_HEAD);
            msg.u.result.mu = NULL;
        }
        if (msg.type == MF_MSG_HELLO) {
            ck_assert_str_eq (msg.u.hello.kernel, "avx2");
            ck_assert_uint_eq (strlen (msg.u.hello.host), MF_PROTO_HOST_LEN);
            ck_assert (msg.u.hello.uid == 0xfedcba9876543210ULL && msg.u.hello.threads == 4096);
        }
        else
        if (msg.type == MF_MSG_TILE) {
            const mf_tile_msg_t *got = &msg.u.tile, *want = &s->msg.u.tile;
            ck_assert (got->job == want->job && got->tile == want->tile
                       && got->lease == want->lease && got->task.maxiter == want->task.maxiter);
            ck_assert (got->task.map.xmin == want->task.map.xmin
                       && got->task.map.ymax == want->task.map.ymax
                       && got->task.map.d == want->task.map.d);
            ck_assert (memcmp (&got->task.rect, &want->task.rect, sizeof got->task.rect) == 0);
        }
        else
        if (msg.type == MF_MSG_RESULT) {
            const mf_result_t *got = &msg.u.result, *want = &s->msg.u.result;
            ck_assert (got->job == want->job && got->tile == want->tile
                       && got->lease == want->lease && got->compute_us == want->compute_us
                       && got->iterations == want->iterations);
            ck_assert (memcmp (&got->rect, &want->rect, sizeof got->rect) == 0);
        }
        else    //  Fields of 32 bits only: no padding to differ in.
            ck_assert_msg (memcmp (&msg.u, &s->msg.u, 8) == 0, "type %d", s->msg.type);
        //  An encoder refuses a buffer one byte short, and one of 0 bytes.
        ck_assert_uint_eq (s_encode (again, s->size - 1, &msg), 0);
        ck_assert_uint_eq (s_encode (again, 0, &msg), 0);
    }
}
END_TEST

START_TEST (every_truncation_and_extension_refused)
{
    //  Each message cut at every length, and grown by 1 to 8 bytes of
    //  anything, is refused: shorter than a header as E_SHORT, else by
    //  size. Each is a copy of exactly that length, so a read past its
    //  end would be caught by the sanitizers.
    s_sample_t samples [SAMPLES];
    s_samples (samples);
    for (int index = 0; index < SAMPLES; index++) {
        s_sample_t *s = &samples [index];
        for (size_t size = 0; size < s->size + 9; size++) {
            if (size == s->size)
                continue;
            uint8_t *copy = malloc (size? size: 1);
            ck_assert_ptr_nonnull (copy);
            memset (copy, size > s->size? 0: 0xee, size);
            memcpy (copy, s->bytes, size < s->size? size: s->size);
            mf_msg_t msg;
            mf_proto_error_t why = MF_PROTO_OK;
            ck_assert_msg (mf_proto_decode (copy, size, &msg, &why) == -1,
                           "type %d accepted at %zu bytes", s->msg.type, size);
            ck_assert_msg (why == (size < MF_PROTO_HEADER? MF_PROTO_E_SHORT: MF_PROTO_E_SIZE),
                           "type %d at %zu bytes: %s", s->msg.type, size, mf_proto_error_name (why));
            free (copy);
        }
    }
}
END_TEST

START_TEST (wire_bytes_pinned)
{
    //  The bytes of docs/PROTOCOL.md's tables, written out by hand: the
    //  encoders must keep producing exactly these (version 1).
    s_sample_t samples [SAMPLES];
    s_samples (samples);
    static const uint8_t hello [88] = {
        'M', 'F', 1, 1,  0x00, 0x04, 0, 0,  0x00, 0x10, 0, 0,  77, 0, 0, 0,
        0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
        'a', 'v', 'x', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        'a', ' ', 'h', 'o', 's', 't', ' ', 'n', 'a', 'm', 'e', ' ', 't', 'h', 'a', 't',
        ' ', 'f', 'i', 'l', 'l', 's', ' ', 'i', 't', 's', ' ', 'f', 'i', 'e', 'l', 'd',
        ' ', 'u', 'p', ' ', 't', 'o', ' ', 'i', 't', 's', ' ', 'e', 'n', 'd', '.', '.'
    };
    static const uint8_t welcome [12] = { 'M', 'F', 1, 2,  0x60, 0xea, 0, 0,  4, 3, 2, 1 };
    static const uint8_t ready [8] = { 'M', 'F', 1, 3,  0x00, 0x04, 0, 0 };
    static const uint8_t tile [60] = {
        'M', 'F', 1, 4,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,  0x40, 0xe2, 0x01, 0,
        0, 0, 0, 0, 0, 0, 0xf8, 0xbf,                     //  -1.5
        0, 0, 0, 0, 0, 0, 0xd0, 0x3f,                     //  0.25
        0, 0, 0, 0, 0, 0, 0x50, 0x3f,                     //  1 / 1024
        0xf9, 0xff, 0, 0,  100, 0, 0, 0,  7, 0, 0, 0,  0, 4, 0, 0
    };
    static const uint8_t result [68] = {
        'M', 'F', 1, 5,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,
        1, 0, 0, 0,  2, 0, 0, 0,  3, 0, 0, 0,  2, 0, 0, 0,  42, 0, 0, 0,
        0xff, 0x0f, 0xa5, 0xd4, 0xe8, 0, 0, 0,            //  999999999999
        0, 0, 0x80, 0xbf,  0, 0, 0, 0,  0, 0, 0xc0, 0x3f,  0, 0, 0, 0x40,  0, 0, 0x50, 0x40,
        0, 0x20, 0xf1, 0x47
    };
    static const uint8_t cancel [8] = { 'M', 'F', 1, 7,  0xff, 0xff, 0xff, 0xff };
    static const uint8_t heartbeat [4] = { 'M', 'F', 1, 6 };
    static const uint8_t bye [4] = { 'M', 'F', 1, 8 };
    static const uint8_t reg [4] = { 'M', 'F', 1, 9 };
    const uint8_t *want [SAMPLES] = { hello, welcome, ready, tile, result, cancel,
                                      heartbeat, bye, reg };
    for (int index = 0; index < SAMPLES; index++)
        for (size_t at = 0; at < samples [index].size; at++)
            ck_assert_msg (samples [index].bytes [at] == want [index][at],
                           "type %d, byte %zu: 0x%02x, want 0x%02x", samples [index].msg.type,
                           at, samples [index].bytes [at], want [index][at]);
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
    tcase_add_test (tc, every_message_round_trips);
    tcase_add_test (tc, every_truncation_and_extension_refused);
    tcase_add_test (tc, wire_bytes_pinned);
    tcase_add_test (tc, impossible_mu_values);
    tcase_add_test (tc, header_rejections);
    tcase_add_test (tc, size_rejections);
    tcase_add_test (tc, field_rejections);
    tcase_add_test (tc, error_names);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
