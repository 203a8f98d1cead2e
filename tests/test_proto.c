/*  The wire, version 2: every message type round-trips to the same
    bytes, those bytes are pinned as docs/PROTOCOL.md gives them, and
    malformed, truncated, extended and wrong-version messages (a version
    1 peer's included) are refused with a reason; every field of the deep
    messages (DEEPTILE, FETCH, CHUNK, NOORBIT, DECLINE) and RESULT's
    format and encoding are judged; a compressed RESULT (encoding 1)
    decodes to its raw mu, and one whose size or payload is impossible
    is refused. */
#include "helpers.h"
#include "mf_proto.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t buf [MF_SIZE_RESULT_HEAD + 8 * 64 * 64];

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
    mf_hello_t hello = { .credit = 3, .threads = 2, .pid = 4242, .uid = 0x0123456789abcdefULL,
                         .cores = 16, .speed = 987654 };
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
    ck_assert_uint_eq (msg.u.hello.cores, 16);
    ck_assert_uint_eq (msg.u.hello.speed, 987654);
    ck_assert_str_eq (msg.u.hello.kernel, "avx512");
    ck_assert_str_eq (msg.u.hello.host, "render-07");
    //  Control characters in names never reach a log.
    buf [32 + MF_PROTO_KERNEL_LEN] = '\n';
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (msg.u.hello.host [0] == '?');
    //  A name filling its whole field still ends in NUL after decoding.
    memset (buf + 32, 'k', MF_PROTO_KERNEL_LEN);
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

START_TEST (result_f64_round_trip)
{
    //  A deep tile's mu: f64, every bit kept, the fraction too at large n.
    double mu [3 * 2] = { -1.0, 0.0, 4294967294.999999, 1.0e9 + 0.25, 12.5, 4294967295.0 };
    mf_result_t result = { .job = 2, .tile = 3, .lease = 4, .rect = { 10, 20, 3, 2 },
                           .iterations = 77, .format = MF_MU_F64 };
    size_t size = mf_proto_result_size_as (MF_MU_F64, 3, 2);
    ck_assert_uint_eq (size, MF_SIZE_RESULT_HEAD + 48);
    ck_assert_uint_eq (mf_proto_encode_result_head (buf, sizeof buf, &result), MF_SIZE_RESULT_HEAD);
    mf_proto_put_f64s (buf + MF_SIZE_RESULT_HEAD, mu, 6);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert_int_eq (msg.u.result.format, MF_MU_F64);
    ck_assert_uint_eq (msg.u.result.encoding, MF_ENCODING_RAW);
    ck_assert_uint_eq (msg.u.result.size, 48);
    double back [6];
    mf_proto_get_f64s (back, msg.u.result.mu, 6);
    ck_assert (memcmp (back, mu, sizeof mu) == 0);
    ck_assert_int_eq (mf_proto_check_mu64 (msg.u.result.mu, 6, UINT32_MAX), 0);
    //  The same bytes read as f32 (what a v2 peer that ignored the format
    //  would do) cannot pass: the size says f64.
    ck_assert_int_eq (s_decode_error (buf, mf_proto_result_size (3, 2)), MF_PROTO_E_SIZE);
    //  An unknown format or encoding, a reserved byte, a size field that
    //  is not w * h values of the format: refused by field. (Encoding 1
    //  of the raw size is refused too: encoded, it must be smaller.)
    for (int at = 44; at <= 48; at++) {
        mf_proto_encode_result_head (buf, sizeof buf, &result);
        buf [at] = at == 44 || at == 45? 2: at == 48? 40: 1;
        ck_assert_msg (s_decode_error (buf, size) == MF_PROTO_E_FIELD, "byte %d", at);
    }
    mf_proto_encode_result_head (buf, sizeof buf, &result);
    buf [45] = MF_ENCODING_ZSTD;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
}
END_TEST

START_TEST (result_shared)
{
    //  Encoding 2: the head as ever, then the slot's number, 56 bytes
    //  whatever the tile's size or format; the mu stay in shared memory.
    mf_result_t result = { .job = 7, .tile = 8, .lease = 9, .rect = { 128, 256, 128, 64 },
                           .compute_us = 5, .iterations = 0x0102030405ULL,
                           .format = MF_MU_F64, .encoding = MF_ENCODING_SHARED,
                           .slot = 0x0a0b0c0d };
    ck_assert_uint_eq (MF_SIZE_RESULT_SHARED, 56);
    ck_assert_uint_eq (mf_proto_encode_result_shared (buf, sizeof buf, &result), 56);
    ck_assert_uint_eq (mf_proto_encode_result_shared (buf, 55, &result), 0);
    static const uint8_t expected [56] = {
        'M', 'F', 2, 5,  7, 0, 0, 0,  8, 0, 0, 0,  9, 0, 0, 0,
        128, 0, 0, 0,  0, 1, 0, 0,  128, 0, 0, 0,  64, 0, 0, 0,
        5, 0, 0, 0,  5, 4, 3, 2, 1, 0, 0, 0,  1, 2, 0, 0,  4, 0, 0, 0,
        0x0d, 0x0c, 0x0b, 0x0a
    };
    ck_assert (memcmp (buf, expected, sizeof expected) == 0);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, 56, &msg, NULL), 0);
    ck_assert_uint_eq (msg.u.result.encoding, MF_ENCODING_SHARED);
    ck_assert_uint_eq (msg.u.result.slot, 0x0a0b0c0d);
    ck_assert_uint_eq (msg.u.result.size, 4);
    ck_assert_ptr_null (msg.u.result.mu);
    ck_assert_int_eq (msg.u.result.format, MF_MU_F64);
    //  A master that is handed one as if it were a payload refuses it.
    mf_result_t plain;
    char err [256] = "";
    ck_assert_int_eq (mf_proto_result_plain (NULL, &msg.u.result, &plain, err, sizeof err), -1);
    ck_assert (err [0] != 0);
    //  A size field other than 4, a frame longer or shorter: refused.
    buf [48] = 5;
    ck_assert_int_eq (s_decode_error (buf, 56), MF_PROTO_E_FIELD);
    buf [48] = 4;
    ck_assert_int_eq (s_decode_error (buf, 57), MF_PROTO_E_SIZE);
    ck_assert_int_eq (s_decode_error (buf, 55), MF_PROTO_E_SIZE);
    //  Encoding 3 is unknown.
    buf [45] = 3;
    ck_assert_int_eq (s_decode_error (buf, 56), MF_PROTO_E_FIELD);
}
END_TEST

START_TEST (result_encoded)
{
    //  A 64 x 16 tile of smooth f32 mu with an interior corner,
    //  compressed: its header says encoding 1 and the payload's size,
    //  and it decodes back to the very bits.
    float mu [64 * 16];
    for (int index = 0; index < 64 * 16; index++)
        mu [index] = index % 64 < 8 && index / 64 < 4? -1.0f
                   : 20.0f + (float) (index % 64) * 0.03125f + (float) (index / 64) * 0.25f;
    uint8_t raw [sizeof mu];
    mf_le_put_f32s (raw, mu, 64 * 16);
    mf_rcodec_t *codec = mf_rcodec_new ();
    size_t packed_size = 0;
    const uint8_t *encoded = mf_rcodec_encode (codec, 4, 64, 16, raw, &packed_size);
    ck_assert_ptr_nonnull (encoded);
    ck_assert (packed_size >= 1 && packed_size < sizeof raw);
    uint8_t packed [sizeof raw];          //  the codec's own is reused by its next call
    memcpy (packed, encoded, packed_size);
    mf_result_t result = { .job = 1, .tile = 2, .lease = 3, .rect = { 0, 0, 64, 16 },
                           .format = MF_MU_F32, .encoding = MF_ENCODING_ZSTD,
                           .size = (uint32_t) packed_size };
    ck_assert_uint_eq (mf_proto_encode_result_head (buf, sizeof buf, &result), MF_SIZE_RESULT_HEAD);
    memcpy (buf + MF_SIZE_RESULT_HEAD, packed, packed_size);
    size_t size = MF_SIZE_RESULT_HEAD + packed_size;
    //  Bytes 44 to 51: format 0, encoding 1, reserved 0 0, size.
    ck_assert (buf [44] == 0 && buf [45] == 1 && buf [46] == 0 && buf [47] == 0);
    ck_assert_uint_eq (mf_le_get_u32 (buf + 48), packed_size);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert_uint_eq (msg.u.result.encoding, MF_ENCODING_ZSTD);
    ck_assert_uint_eq (msg.u.result.size, packed_size);
    ck_assert_ptr_eq (msg.u.result.mu, buf + MF_SIZE_RESULT_HEAD);
    ck_assert_uint_eq (mf_proto_result_raw (&msg.u.result), sizeof raw);
    mf_result_t plain;
    char err [256] = "";
    ck_assert_int_eq (mf_proto_result_plain (codec, &msg.u.result, &plain, err, sizeof err), 0);
    ck_assert_uint_eq (plain.encoding, MF_ENCODING_RAW);
    ck_assert_uint_eq (plain.size, sizeof raw);
    ck_assert (plain.job == 1 && plain.tile == 2 && plain.lease == 3 && plain.rect.w == 64);
    ck_assert (memcmp (plain.mu, raw, sizeof raw) == 0);
    ck_assert_int_eq (mf_proto_check_mu (plain.mu, 64 * 16, 100), 0);
    //  A raw result passes through as it is.
    mf_result_t raw_result = plain, same;
    ck_assert_int_eq (mf_proto_result_plain (codec, &raw_result, &same, err, sizeof err), 0);
    ck_assert (same.mu == raw_result.mu && same.size == sizeof raw);
    //  Truncated or extended: the size field no longer matches.
    ck_assert_int_eq (s_decode_error (buf, size - 1), MF_PROTO_E_SIZE);
    ck_assert_int_eq (s_decode_error (buf, size + 1), MF_PROTO_E_SIZE);
    //  An encoded size of 0, or not smaller than raw: refused by field.
    uint32_t sizes [] = { 0, sizeof raw, sizeof raw + 1 };
    for (size_t index = 0; index < 3; index++) {
        mf_le_put_u32 (buf + 48, sizes [index]);
        ck_assert_int_eq (s_decode_error (buf, MF_SIZE_RESULT_HEAD + sizes [index]),
                          MF_PROTO_E_FIELD);
    }
    //  A payload of the right size that is no frame of the tile decodes
    //  as a message, and is refused by mf_proto_result_plain.
    mf_le_put_u32 (buf + 48, (uint32_t) packed_size);
    memset (buf + MF_SIZE_RESULT_HEAD, 0x5a, packed_size);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert_int_eq (mf_proto_result_plain (codec, &msg.u.result, &plain, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "zstd frame") != NULL, "%s", err);
    //  The frame said to be of a smaller tile, 32 x 16.
    memcpy (buf + MF_SIZE_RESULT_HEAD, packed, packed_size);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    msg.u.result.rect.w = 32;
    ck_assert_int_eq (mf_proto_result_plain (codec, &msg.u.result, &plain, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "holds 4096 bytes, the tile 2048") != NULL, "%s", err);
    //  The same frame read as f64: twice the bytes it holds.
    msg.u.result.rect.w = 64;
    msg.u.result.rect.h = 16;
    msg.u.result.format = MF_MU_F64;
    ck_assert_int_eq (mf_proto_result_plain (codec, &msg.u.result, &plain, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "holds 4096 bytes, the tile 8192") != NULL, "%s", err);
    mf_rcodec_destroy (&codec);
}
END_TEST

//  An orbit id, bytes 1, 8, 15, ... (7 i + 1).
static mf_orbit_id_t
s_id (void)
{
    mf_orbit_id_t id;
    for (int index = 0; index < MF_SHIP_ID_SIZE; index++)
        id.bytes [index] = (uint8_t) (index * 7 + 1);
    return id;
}

//  A valid deep lease: a 16 x 12 tile of a 64 x 36 double view.
static mf_deeptile_t
s_deeptile (void)
{
    mf_deeptile_t tile = {
        .job = 9, .tile = 10, .lease = 11, .maxiter = 2500, .rect = { 16, 12, 16, 12 },
        .map = { .pixel_w = 64, .pixel_h = 36, .pitch = { 1.5, -96 },
                 .offset = { 1.25, -0.5, -100 }, .type = MF_DELTA_DOUBLE },
        .orbit = s_id (), .shipped = 1000, .raw = MF_ORBIT_HEADER + 2501 * MF_ORBIT_POINT_DOUBLE
    };
    return tile;
}

static const uint8_t s_chunk_data [5] = { 'h', 'e', 'l', 'l', 'o' };

//  One valid message of every type, encoded by the encoders; size says
//  how long each is. The RESULTs are 3 x 2 pixels of f32 mu and 2 x 1
//  of f64; the CHUNK carries 5 bytes.
typedef struct {
    mf_msg_t msg;                       //  what was encoded
    uint8_t bytes [MF_SIZE_DEEPTILE + 8];   //  room for the largest sample
    size_t size;
} s_sample_t;

#define SAMPLES 15

static void
s_samples (s_sample_t *samples)
{
    memset (samples, 0, SAMPLES * sizeof *samples);
    mf_hello_t hello = { .credit = 1024, .threads = 4096, .pid = 77, .uid = 0xfedcba9876543210ULL,
                         .cores = 64, .speed = 0x123456 };
    strcpy (hello.kernel, "avx2");
    strcpy (hello.host, "a host name that fills its field up to its end..");
    mf_welcome_t welcome = { MF_PROTO_HB_MAX, 0x01020304 };
    mf_tile_msg_t tile = { 9, 10, 11, { { -1.5, 0.25, 1.0 / 1024 }, 123456, { 65536 - 7, 100, 7, 1024 } } };
    mf_result_t result = { 9, 10, 11, { 1, 2, 3, 2 }, 42, 999999999999ULL, NULL, MF_MU_F32,
                           MF_ENCODING_RAW, 0, 0 };
    float mu [6] = { -1.0f, 0.0f, 1.5f, 2.0f, 3.25f, 123456.0f };
    mf_result_t result64 = { 9, 10, 11, { 5, 6, 2, 1 }, 43, 123456789, NULL, MF_MU_F64,
                             MF_ENCODING_RAW, 0, 0 };
    double mu64 [2] = { -1.0, 1234567.890625 };
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
    s [9].msg.type = MF_MSG_RESULT;
    s [9].msg.u.result = result64;
    s [9].size = mf_proto_encode_result_head (s [9].bytes, sizeof s [9].bytes, &result64);
    mf_proto_put_f64s (s [9].bytes + s [9].size, mu64, 2);
    s [9].size += 8 * 2;
    s [10].msg.type = MF_MSG_DEEPTILE;
    s [10].msg.u.deeptile = s_deeptile ();
    s [10].size = mf_proto_encode_deeptile (s [10].bytes, sizeof s [10].bytes,
                                            &s [10].msg.u.deeptile);
    mf_fetch_t fetch = { s_id (), 0x0102030405060708ULL, MF_PROTO_CHUNK_MAX };
    s [11].msg.type = MF_MSG_FETCH;
    s [11].msg.u.fetch = fetch;
    s [11].size = mf_proto_encode_fetch (s [11].bytes, sizeof s [11].bytes, &fetch);
    mf_chunk_t chunk = { s_id (), 4, 9, 5, s_chunk_data };
    s [12].msg.type = MF_MSG_CHUNK;
    s [12].msg.u.chunk = chunk;
    s [12].size = mf_proto_encode_chunk (s [12].bytes, sizeof s [12].bytes, &chunk);
    mf_orbit_id_t id = s_id ();
    s [13].msg.type = MF_MSG_NOORBIT;
    s [13].msg.u.orbit = id;
    s [13].size = mf_proto_encode_noorbit (s [13].bytes, sizeof s [13].bytes, &id);
    mf_decline_t decline = { 9, 10, 11, MF_DECLINE_BAD_ORBIT, s_id () };
    s [14].msg.type = MF_MSG_DECLINE;
    s [14].msg.u.decline = decline;
    s [14].size = mf_proto_encode_decline (s [14].bytes, sizeof s [14].bytes, &decline);
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
        case MF_MSG_DEEPTILE: return mf_proto_encode_deeptile (out, capacity, &msg->u.deeptile);
        case MF_MSG_FETCH:   return mf_proto_encode_fetch (out, capacity, &msg->u.fetch);
        case MF_MSG_CHUNK:   return mf_proto_encode_chunk (out, capacity, &msg->u.chunk);
        case MF_MSG_NOORBIT: return mf_proto_encode_noorbit (out, capacity, &msg->u.orbit);
        case MF_MSG_DECLINE: return mf_proto_encode_decline (out, capacity, &msg->u.decline);
        case MF_MSG_RESULT: {
            size_t head = mf_proto_encode_result_head (out, capacity, &msg->u.result);
            size_t mu = msg->u.result.size;
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
    size_t sizes [SAMPLES] = { 96, 12, 8, 60, 52 + 24, 8, 4, 4, 4, 52 + 16, 136, 48, 56 + 5,
                               36, 52 };
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
        if (msg.type == MF_MSG_HELLO) {
            ck_assert_str_eq (msg.u.hello.kernel, "avx2");
            ck_assert_uint_eq (strlen (msg.u.hello.host), MF_PROTO_HOST_LEN);
            ck_assert (msg.u.hello.uid == 0xfedcba9876543210ULL && msg.u.hello.threads == 4096);
            ck_assert (msg.u.hello.cores == 64 && msg.u.hello.speed == 0x123456);
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
            ck_assert_ptr_eq (got->mu, s->bytes + MF_SIZE_RESULT_HEAD);
            ck_assert (got->job == want->job && got->tile == want->tile
                       && got->lease == want->lease && got->compute_us == want->compute_us
                       && got->iterations == want->iterations && got->format == want->format
                       && got->encoding == MF_ENCODING_RAW);
            ck_assert_uint_eq (got->size, mf_proto_mu_bytes (want->format) * want->rect.w
                                          * want->rect.h);
            ck_assert (memcmp (&got->rect, &want->rect, sizeof got->rect) == 0);
        }
        else
        if (msg.type == MF_MSG_DEEPTILE) {
            const mf_deeptile_t *got = &msg.u.deeptile, *want = &s->msg.u.deeptile;
            ck_assert (got->job == want->job && got->tile == want->tile
                       && got->lease == want->lease && got->maxiter == want->maxiter);
            ck_assert (memcmp (&got->rect, &want->rect, sizeof got->rect) == 0);
            ck_assert (got->map.pixel_w == 64 && got->map.pixel_h == 36);
            ck_assert (got->map.pitch.m == 1.5 && got->map.pitch.e == -96);
            ck_assert (got->map.offset.re == 1.25 && got->map.offset.im == -0.5
                       && got->map.offset.e == -100 && got->map.type == MF_DELTA_DOUBLE);
            ck_assert (mf_orbit_id_equal (&got->orbit, &want->orbit));
            ck_assert (got->shipped == 1000 && got->raw == want->raw);
        }
        else
        if (msg.type == MF_MSG_FETCH) {
            ck_assert (mf_orbit_id_equal (&msg.u.fetch.orbit, &s->msg.u.fetch.orbit));
            ck_assert (msg.u.fetch.offset == 0x0102030405060708ULL);
            ck_assert_uint_eq (msg.u.fetch.length, MF_PROTO_CHUNK_MAX);
        }
        else
        if (msg.type == MF_MSG_CHUNK) {
            const mf_chunk_t *got = &msg.u.chunk;
            ck_assert (mf_orbit_id_equal (&got->orbit, &s->msg.u.chunk.orbit));
            ck_assert (got->offset == 4 && got->total == 9 && got->length == 5);
            ck_assert_ptr_eq (got->data, s->bytes + MF_SIZE_CHUNK_HEAD);
            ck_assert (memcmp (got->data, "hello", 5) == 0);
        }
        else
        if (msg.type == MF_MSG_NOORBIT)
            ck_assert (mf_orbit_id_equal (&msg.u.orbit, &s->msg.u.orbit));
        else
        if (msg.type == MF_MSG_DECLINE) {
            const mf_decline_t *got = &msg.u.decline;
            ck_assert (got->job == 9 && got->tile == 10 && got->lease == 11
                       && got->reason == MF_DECLINE_BAD_ORBIT);
            ck_assert (mf_orbit_id_equal (&got->orbit, &s->msg.u.decline.orbit));
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
    //  The bytes of docs/PROTOCOL.md's tables, written out by hand (by a
    //  few lines of Python's struct.pack, not by our encoders): the
    //  encoders must keep producing exactly these (version 2).
    s_sample_t samples [SAMPLES];
    s_samples (samples);
    static const uint8_t hello [96] = {
        'M', 'F', 2, 1,  0x00, 0x04, 0, 0,  0x00, 0x10, 0, 0,  77, 0, 0, 0,
        0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
        64, 0, 0, 0,  0x56, 0x34, 0x12, 0,                  //  cores, speed
        'a', 'v', 'x', '2', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        'a', ' ', 'h', 'o', 's', 't', ' ', 'n', 'a', 'm', 'e', ' ', 't', 'h', 'a', 't',
        ' ', 'f', 'i', 'l', 'l', 's', ' ', 'i', 't', 's', ' ', 'f', 'i', 'e', 'l', 'd',
        ' ', 'u', 'p', ' ', 't', 'o', ' ', 'i', 't', 's', ' ', 'e', 'n', 'd', '.', '.'
    };
    static const uint8_t welcome [12] = { 'M', 'F', 2, 2,  0x60, 0xea, 0, 0,  4, 3, 2, 1 };
    static const uint8_t ready [8] = { 'M', 'F', 2, 3,  0x00, 0x04, 0, 0 };
    static const uint8_t tile [60] = {
        'M', 'F', 2, 4,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,  0x40, 0xe2, 0x01, 0,
        0, 0, 0, 0, 0, 0, 0xf8, 0xbf,                     //  -1.5
        0, 0, 0, 0, 0, 0, 0xd0, 0x3f,                     //  0.25
        0, 0, 0, 0, 0, 0, 0x50, 0x3f,                     //  1 / 1024
        0xf9, 0xff, 0, 0,  100, 0, 0, 0,  7, 0, 0, 0,  0, 4, 0, 0
    };
    static const uint8_t result [76] = {
        'M', 'F', 2, 5,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,
        1, 0, 0, 0,  2, 0, 0, 0,  3, 0, 0, 0,  2, 0, 0, 0,  42, 0, 0, 0,
        0xff, 0x0f, 0xa5, 0xd4, 0xe8, 0, 0, 0,            //  999999999999
        0, 0, 0, 0,  24, 0, 0, 0,                         //  f32, raw, reserved, size
        0, 0, 0x80, 0xbf,  0, 0, 0, 0,  0, 0, 0xc0, 0x3f,  0, 0, 0, 0x40,  0, 0, 0x50, 0x40,
        0, 0x20, 0xf1, 0x47
    };
    static const uint8_t cancel [8] = { 'M', 'F', 2, 7,  0xff, 0xff, 0xff, 0xff };
    static const uint8_t heartbeat [4] = { 'M', 'F', 2, 6 };
    static const uint8_t bye [4] = { 'M', 'F', 2, 8 };
    static const uint8_t reg [4] = { 'M', 'F', 2, 9 };
    static const uint8_t result64 [68] = {
        'M', 'F', 2, 5,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,
        5, 0, 0, 0,  6, 0, 0, 0,  2, 0, 0, 0,  1, 0, 0, 0,  43, 0, 0, 0,
        0x15, 0xcd, 0x5b, 0x07, 0, 0, 0, 0,               //  123456789
        1, 0, 0, 0,  16, 0, 0, 0,                         //  f64, raw, reserved, size
        0, 0, 0, 0, 0, 0, 0xf0, 0xbf,                     //  -1
        0, 0, 0, 0xe4, 0x87, 0xd6, 0x32, 0x41             //  1234567.890625
    };
    #define ID_BYTES 0x01, 0x08, 0x0f, 0x16, 0x1d, 0x24, 0x2b, 0x32, 0x39, 0x40, 0x47, 0x4e, \
                     0x55, 0x5c, 0x63, 0x6a, 0x71, 0x78, 0x7f, 0x86, 0x8d, 0x94, 0x9b, 0xa2, \
                     0xa9, 0xb0, 0xb7, 0xbe, 0xc5, 0xcc, 0xd3, 0xda
    static const uint8_t deeptile [136] = {
        'M', 'F', 2, 10,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,  0xc4, 0x09, 0, 0,
        16, 0, 0, 0,  12, 0, 0, 0,  16, 0, 0, 0,  12, 0, 0, 0,  //  x, y, w, h
        64, 0, 0, 0,  36, 0, 0, 0,                                //  pixel_w, pixel_h
        0, 0, 0, 0, 0, 0, 0xf8, 0x3f,                             //  pitch 1.5
        0xa0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,           //  x 2^-96
        0, 0, 0, 0, 0, 0, 0xf4, 0x3f,                             //  offset 1.25
        0, 0, 0, 0, 0, 0, 0xe0, 0xbf,                             //  -0.5 i
        0x9c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,           //  x 2^-100
        0, 0, 0, 0,                                               //  double, reserved
        ID_BYTES,
        0xe8, 0x03, 0, 0, 0, 0, 0, 0,                             //  shipped 1000
        0x80, 0x9c, 0, 0, 0, 0, 0, 0                              //  raw 40064
    };
    static const uint8_t fetch [48] = {
        'M', 'F', 2, 11,  ID_BYTES,
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  0, 0, 4, 0
    };
    static const uint8_t chunk [61] = {
        'M', 'F', 2, 12,  ID_BYTES,
        4, 0, 0, 0, 0, 0, 0, 0,  9, 0, 0, 0, 0, 0, 0, 0,  5, 0, 0, 0,  'h', 'e', 'l', 'l', 'o'
    };
    static const uint8_t noorbit [36] = { 'M', 'F', 2, 13,  ID_BYTES };
    static const uint8_t decline [52] = {
        'M', 'F', 2, 14,  9, 0, 0, 0,  10, 0, 0, 0,  11, 0, 0, 0,  2, 0, 0, 0,  ID_BYTES
    };
    #undef ID_BYTES
    const uint8_t *want [SAMPLES] = { hello, welcome, ready, tile, result, cancel,
                                      heartbeat, bye, reg, result64, deeptile, fetch, chunk,
                                      noorbit, decline };
    for (int index = 0; index < SAMPLES; index++)
        for (size_t at = 0; at < samples [index].size; at++)
            ck_assert_msg (samples [index].bytes [at] == want [index][at],
                           "type %d, byte %zu: 0x%02x, want 0x%02x", samples [index].msg.type,
                           at, samples [index].bytes [at], want [index][at]);
}
END_TEST

START_TEST (deeptile_fields_judged)
{
    //  Every field of a deep lease out of its range, one at a time.
    mf_deeptile_t good = s_deeptile ();
    mf_msg_t msg;
    size_t size = mf_proto_encode_deeptile (buf, sizeof buf, &good);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    mf_deeptile_t bad [32];
    int count = 0;
    for (int index = 0; index < 32; index++)
        bad [index] = good;
    bad [count++].maxiter = 0;
    bad [count++].map.pixel_w = 0;
    bad [count++].map.pixel_h = MF_MAX_DIM + 1;
    bad [count].rect.x = 60;                    //  x + w beyond the image
    count++;
    bad [count++].rect.w = 0;
    bad [count].rect.h = MF_TILE_MAX_EDGE + 1;
    bad [count++].map.pixel_h = 4096;
    bad [count++].rect.y = 36;
    bad [count++].map.pitch.m = 2.0;            //  not normalised
    bad [count++].map.pitch.m = 0.75;
    bad [count++].map.pitch.m = -1.5;           //  not positive
    bad [count++].map.pitch.m = NAN;
    bad [count++].map.pitch.m = 0.0;            //  no pitch
    bad [count++].map.pitch.e = MF_PROTO_EXP_MIN - 1;
    bad [count++].map.pitch.e = MF_PROTO_EXP_MAX + 1;
    bad [count++].map.pitch.e = MF_DEEP_DOUBLE_MIN_EXP - 1;     //  too deep for doubles
    bad [count++].map.offset.re = 0.5;          //  not normalised
    bad [count++].map.offset.im = INFINITY;
    bad [count++].map.offset.e = MF_PROTO_EXP_MAX + 1;
    bad [count++].map.type = (mf_delta_t) 2;
    bad [count++].raw = MF_ORBIT_HEADER + MF_ORBIT_POINT_DOUBLE;    //  one point
    bad [count++].raw = good.raw + 1;                               //  not whole points
    bad [count++].raw = mf_proto_raw_max (good.maxiter, MF_DELTA_DOUBLE) + MF_ORBIT_POINT_DOUBLE;
    bad [count++].shipped = 0;
    bad [count++].shipped = mf_ship_blob_max (good.raw) + 1;
    for (int index = 0; index < count; index++) {
        size = mf_proto_encode_deeptile (buf, sizeof buf, &bad [index]);
        ck_assert_msg (size == MF_SIZE_DEEPTILE, "case %d", index);
        ck_assert_msg (s_decode_error (buf, size) == MF_PROTO_E_FIELD, "case %d accepted", index);
    }
    //  A reserved byte that is not zero.
    size = mf_proto_encode_deeptile (buf, sizeof buf, &good);
    buf [86] = 1;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    //  A zero offset in another form than +0, +0, 0 (the encoder writes
    //  every zero so): -0, or an exponent.
    size = mf_proto_encode_deeptile (buf, sizeof buf, &good);
    memset (buf + 60, 0, 24);
    buf [67] = 0x80;                            //  re = -0
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    buf [67] = 0;
    buf [76] = 1;                               //  e = 1
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    buf [76] = 0;
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);

    //  And what is allowed at the edges: floatexp deltas at any pitch, a
    //  zero offset (one form on the wire, whatever exponent it had), an
    //  orbit of maxiter + 1 points, the largest blob.
    mf_deeptile_t edge = good;
    edge.map.type = MF_DELTA_FEXP;
    edge.map.pitch = (mf_fexp_t) { 1.0, MF_PROTO_EXP_MIN };
    edge.map.offset = mf_fexpc_zero ();
    edge.raw = mf_proto_raw_max (edge.maxiter, MF_DELTA_FEXP);
    edge.shipped = mf_ship_blob_max (edge.raw);
    size = mf_proto_encode_deeptile (buf, sizeof buf, &edge);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    ck_assert (mf_fexpc_is_zero (msg.u.deeptile.map.offset));
    ck_assert (msg.u.deeptile.map.offset.e == MF_FEXP_ZERO_E);
    ck_assert (buf [76] == 0 && buf [83] == 0);             //  the zero's exponent: 0
    ck_assert (msg.u.deeptile.raw == edge.raw && msg.u.deeptile.shipped == edge.shipped);
    edge = good;
    edge.map.pitch.e = MF_DEEP_DOUBLE_MIN_EXP;              //  the deepest double pitch
    edge.map.offset = (mf_fexpc_t) { -0.0, -1.0, 7 };       //  a -0 beside a normal part
    size = mf_proto_encode_deeptile (buf, sizeof buf, &edge);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
}
END_TEST

START_TEST (fetch_chunk_decline_fields_judged)
{
    mf_orbit_id_t id = s_id ();
    mf_fetch_t fetches [] = { { id, 0, 0 }, { id, 0, MF_PROTO_CHUNK_MAX + 1 },
                              { id, UINT64_MAX, 1 } };
    for (size_t index = 0; index < sizeof fetches / sizeof fetches [0]; index++) {
        size_t size = mf_proto_encode_fetch (buf, sizeof buf, &fetches [index]);
        ck_assert_msg (s_decode_error (buf, size) == MF_PROTO_E_FIELD, "fetch %zu", index);
    }
    mf_fetch_t last = { id, UINT64_MAX - 1, 1 };
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, mf_proto_encode_fetch (buf, sizeof buf, &last),
                                       &msg, NULL), 0);

    static uint8_t data [MF_PROTO_CHUNK_MAX + 1];
    mf_chunk_t chunks [] = {
        { id, 0, 10, 0, data },                         //  no bytes
        { id, 0, MF_PROTO_CHUNK_MAX + 1, MF_PROTO_CHUNK_MAX + 1, data },    //  too many
        { id, 10, 10, 1, data },                        //  at the end
        { id, 8, 10, 3, data },                         //  past the end
        { id, UINT64_MAX - 1, UINT64_MAX, 2, data },    //  past the end, wrapping
    };
    static uint8_t big [MF_SIZE_CHUNK_HEAD + MF_PROTO_CHUNK_MAX + 1];
    for (size_t index = 0; index < sizeof chunks / sizeof chunks [0]; index++) {
        size_t size = mf_proto_encode_chunk (big, sizeof big, &chunks [index]);
        ck_assert_msg (s_decode_error (big, size) == MF_PROTO_E_FIELD, "chunk %zu", index);
    }
    mf_chunk_t whole = { id, 0, MF_PROTO_CHUNK_MAX, MF_PROTO_CHUNK_MAX, data };
    size_t size = mf_proto_encode_chunk (big, sizeof big, &whole);
    ck_assert_uint_eq (size, MF_PROTO_MAX_TO_WORKER);
    ck_assert_int_eq (mf_proto_decode (big, size, &msg, NULL), 0);

    mf_decline_t declines [] = { { 1, 2, 3, (mf_decline_reason_t) 0, id },
                                 { 1, 2, 3, MF_DECLINE_COUNT, id } };
    for (size_t index = 0; index < 2; index++) {
        size = mf_proto_encode_decline (buf, sizeof buf, &declines [index]);
        ck_assert_msg (s_decode_error (buf, size) == MF_PROTO_E_FIELD, "decline %zu", index);
    }
    mf_decline_t fine = { 1, 2, 3, MF_DECLINE_NO_MEMORY, id };
    size = mf_proto_encode_decline (buf, sizeof buf, &fine);
    ck_assert_int_eq (mf_proto_decode (buf, size, &msg, NULL), 0);
    buf [18] = 1;                                       //  a reserved byte
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    for (int reason = 1; reason < MF_DECLINE_COUNT; reason++)
        ck_assert_str_ne (mf_proto_decline_name ((mf_decline_reason_t) reason), "unknown");
    ck_assert_str_eq (mf_proto_decline_name ((mf_decline_reason_t) 0), "unknown");
}
END_TEST

START_TEST (raw_size_bounds)
{
    ck_assert_uint_eq (mf_proto_raw_max (1, MF_DELTA_DOUBLE), 48 + 2 * 16);
    ck_assert_uint_eq (mf_proto_raw_max (UINT32_MAX, MF_DELTA_FEXP), 48 + (1ULL << 32) * 20);
    //  zstd's own bound stays below the blob limit the wire allows.
    ck_assert_uint_ge (mf_ship_blob_max (0), 64);
    ck_assert_uint_ge (mf_ship_blob_max (1000000), 1000000 + 1000000 / 256 + 64);
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
    //  The same rule for f64 mu, with its fraction: 1000.0000001 is past.
    uint8_t bytes64 [8 * 4];
    double cases64 [] = { NAN, -0.5, 1000.0000001, INFINITY, -INFINITY, -2.0, -1.0000001 };
    for (size_t index = 0; index < sizeof cases64 / sizeof cases64 [0]; index++) {
        double values [4] = { 1.0, -1.0, 0.0, cases64 [index] };
        mf_proto_put_f64s (bytes64, values, 4);
        ck_assert_msg (mf_proto_check_mu64 (bytes64, 4, 1000) == -1, "accepted %g",
                       cases64 [index]);
    }
    double fine64 [4] = { -1.0, 0.0, 999.9999999, 1000.0 };
    mf_proto_put_f64s (bytes64, fine64, 4);
    ck_assert_int_eq (mf_proto_check_mu64 (bytes64, 4, 1000), 0);
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
    //  A version 1 peer (the first release): refused, and its version
    //  can be named.
    buf [2] = 1;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_VERSION);
    ck_assert_int_eq (mf_proto_version_of (buf, size), 1);
    ck_assert_int_eq (mf_proto_version_of (buf, 3), -1);
    buf [0] = 'X';
    ck_assert_int_eq (mf_proto_version_of (buf, size), -1);
    buf [0] = 'M';
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
    //  The types after REGISTER exist now; the one after DECLINE does not.
    buf [3] = MF_MSG_DECLINE + 1;
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_TYPE);
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
    hello.threads = 1;
    hello.cores = MF_PROTO_MAX_CORES + 1;
    size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    ck_assert_int_eq (s_decode_error (buf, size), MF_PROTO_E_FIELD);
    hello.cores = 0;                    //  not said: allowed
    hello.speed = UINT32_MAX;
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (buf, mf_proto_encode_hello (buf, sizeof buf, &hello),
                                       &msg, NULL), 0);
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
    tcase_add_test (tc, result_shared);
    tcase_add_test (tc, hello_round_trip);
    tcase_add_test (tc, small_messages_round_trip);
    tcase_add_test (tc, tile_round_trip);
    tcase_add_test (tc, result_round_trip);
    tcase_add_test (tc, result_f64_round_trip);
    tcase_add_test (tc, result_encoded);
    tcase_add_test (tc, deeptile_fields_judged);
    tcase_add_test (tc, fetch_chunk_decline_fields_judged);
    tcase_add_test (tc, raw_size_bounds);
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
