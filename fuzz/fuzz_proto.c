/*  Fuzzes the wire decoder, mf_proto_decode, and mf_proto_check_mu and
    mf_proto_check_mu64.

    The input is one frame as it arrives from a peer. A refused frame must
    say why with a known reason. An accepted one must satisfy every range
    PROTOCOL.md states (the deep lease's map normalised and in range, its
    orbit sizes possible for its maxiter and type; a CHUNK inside its
    total), and encoding what was decoded must give back the same bytes
    (HELLO: the same fields, its text being sanitised). For a RESULT, the
    mu check of its format must agree, value by value, with the rule "-1,
    or finite in [0, maxiter]", for a few maxiter; a compressed one
    (encoding 1) is smaller than raw, and decodes (mf_proto_result_plain)
    to exactly its raw size or is refused in one line.
*/
#include "fuzz.h"
#include "mf_proto.h"
#include "mf_rcodec.h"
#include "mf_region.h"
#include "mf_tiles.h"

#include <math.h>
#include <string.h>

static uint8_t s_out [MF_PROTO_MAX_MESSAGE];
static float s_mu [MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE];
static double s_mu64 [MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE];

static void
s_same_bytes (const uint8_t *data, size_t size, size_t written)
{
    FUZZ_CHECK (written == size);
    FUZZ_CHECK (memcmp (s_out, data, size) == 0);
}

static void
s_printable (const char *text, size_t max)
{
    size_t len = strnlen (text, max + 1);
    FUZZ_CHECK (len <= max);
    for (size_t index = 0; index < len; index++)
        FUZZ_CHECK (text [index] >= 32 && text [index] < 127);
}

//  The documented rule, written out independently of mf_proto_check_mu
//  and mf_proto_check_mu64 (width 4 or 8 bytes a value).
static int
s_mu_rule (const uint8_t *src, size_t count, uint32_t maxiter, size_t width)
{
    for (size_t index = 0; index < count; index++) {
        uint64_t bits = 0;
        for (size_t byte = 0; byte < width; byte++)
            bits |= (uint64_t) src [width * index + byte] << (8 * byte);
        double value;
        if (width == 4) {
            uint32_t narrow = (uint32_t) bits;
            float single;
            memcpy (&single, &narrow, 4);
            value = single;
        }
        else
            memcpy (&value, &bits, 8);
        if (value == -1.0)
            continue;
        if (isnan (value) || isinf (value) || value < 0.0
        ||  value > (width == 4? (double) (float) maxiter: (double) maxiter))
            return -1;
    }
    return 0;
}

//  A floatexp mantissa as the wire allows it: in [1, 2) in magnitude.
static bool
s_normal (double m)
{
    return fabs (m) >= 1.0 && fabs (m) < 2.0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mf_msg_t msg;
    mf_proto_error_t why = MF_PROTO_E_COUNT;
    if (mf_proto_decode (data, size, &msg, &why)) {
        FUZZ_CHECK (why > MF_PROTO_OK && why < MF_PROTO_E_COUNT);
        FUZZ_CHECK (strcmp (mf_proto_error_name (why), "unknown") != 0);
        return 0;
    }
    FUZZ_CHECK (why == MF_PROTO_OK);
    FUZZ_CHECK (size >= MF_PROTO_HEADER && data [0] == 'M' && data [1] == 'F');
    FUZZ_CHECK (data [2] == MF_PROTO_VERSION && data [3] == (uint8_t) msg.type);
    switch (msg.type) {
        case MF_MSG_HELLO: {
            const mf_hello_t *hello = &msg.u.hello;
            FUZZ_CHECK (size == MF_SIZE_HELLO);
            FUZZ_CHECK (hello->credit <= MF_PROTO_MAX_CREDIT);
            FUZZ_CHECK (hello->threads >= 1 && hello->threads <= MF_PROTO_MAX_THREADS);
            FUZZ_CHECK (hello->cores <= MF_PROTO_MAX_CORES);
            s_printable (hello->kernel, MF_PROTO_KERNEL_LEN);
            s_printable (hello->host, MF_PROTO_HOST_LEN);
            size_t written = mf_proto_encode_hello (s_out, sizeof s_out, hello);
            FUZZ_CHECK (written == size);
            mf_msg_t again;
            FUZZ_CHECK (mf_proto_decode (s_out, written, &again, NULL) == 0);
            FUZZ_CHECK (again.u.hello.credit == hello->credit);
            FUZZ_CHECK (again.u.hello.threads == hello->threads);
            FUZZ_CHECK (again.u.hello.pid == hello->pid && again.u.hello.uid == hello->uid);
            FUZZ_CHECK (again.u.hello.cores == hello->cores
                        && again.u.hello.speed == hello->speed);
            FUZZ_CHECK (strcmp (again.u.hello.kernel, hello->kernel) == 0);
            FUZZ_CHECK (strcmp (again.u.hello.host, hello->host) == 0);
            FUZZ_CHECK (mf_proto_encode_hello (s_out, MF_SIZE_HELLO - 1, hello) == 0);
            break;
        }
        case MF_MSG_WELCOME:
            FUZZ_CHECK (msg.u.welcome.heartbeat_ms >= MF_PROTO_HB_MIN
                        && msg.u.welcome.heartbeat_ms <= MF_PROTO_HB_MAX);
            s_same_bytes (data, size, mf_proto_encode_welcome (s_out, sizeof s_out,
                                                               &msg.u.welcome));
            break;
        case MF_MSG_READY:
            FUZZ_CHECK (msg.u.credit >= 1 && msg.u.credit <= MF_PROTO_MAX_CREDIT);
            s_same_bytes (data, size, mf_proto_encode_ready (s_out, sizeof s_out, msg.u.credit));
            break;
        case MF_MSG_TILE: {
            const mf_task_t *task = &msg.u.tile.task;
            FUZZ_CHECK (task->maxiter >= 1);
            FUZZ_CHECK (isfinite (task->map.xmin) && isfinite (task->map.ymax));
            FUZZ_CHECK (isfinite (task->map.d) && task->map.d > 0);
            FUZZ_CHECK (task->rect.w >= 1 && task->rect.w <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK (task->rect.h >= 1 && task->rect.h <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK ((uint64_t) task->rect.x + task->rect.w <= MF_MAX_DIM);
            FUZZ_CHECK ((uint64_t) task->rect.y + task->rect.h <= MF_MAX_DIM);
            s_same_bytes (data, size, mf_proto_encode_tile (s_out, sizeof s_out, &msg.u.tile));
            break;
        }
        case MF_MSG_RESULT: {
            const mf_result_t *result = &msg.u.result;
            FUZZ_CHECK (result->rect.w >= 1 && result->rect.w <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK (result->rect.h >= 1 && result->rect.h <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK (result->format == MF_MU_F32 || result->format == MF_MU_F64);
            size_t width = result->format == MF_MU_F64? 8: 4;
            size_t count = (size_t) result->rect.w * result->rect.h;
            if (result->encoding == MF_ENCODING_SHARED) {
                //  Only the slot's number travels; its mu are the master's to find.
                FUZZ_CHECK (result->mu == NULL && result->size == 4);
                FUZZ_CHECK (size == MF_SIZE_RESULT_SHARED);
                FUZZ_CHECK (result->slot == mf_le_get_u32 (data + MF_SIZE_RESULT_HEAD));
                s_same_bytes (data, size, mf_proto_encode_result_shared (s_out, sizeof s_out,
                                                                         result));
                break;
            }
            FUZZ_CHECK (result->mu == data + MF_SIZE_RESULT_HEAD);
            size_t head = mf_proto_encode_result_head (s_out, sizeof s_out, result);
            FUZZ_CHECK (head == MF_SIZE_RESULT_HEAD);
            FUZZ_CHECK (memcmp (s_out, data, head) == 0);
            if (result->encoding != MF_ENCODING_RAW) {
                FUZZ_CHECK (result->encoding == MF_ENCODING_ZSTD);
                FUZZ_CHECK (result->size >= 1 && result->size < width * count);
                FUZZ_CHECK (size == MF_SIZE_RESULT_HEAD + result->size);
                static mf_rcodec_t *codec;
                if (!codec)
                    codec = mf_rcodec_new ();
                FUZZ_CHECK (codec != NULL);
                mf_result_t plain;
                char err [256] = "";
                if (mf_proto_result_plain (codec, result, &plain, err, sizeof err)) {
                    FUZZ_CHECK (err [0] != 0 && strchr (err, '\n') == NULL);
                    break;
                }
                FUZZ_CHECK (plain.encoding == MF_ENCODING_RAW && plain.size == width * count);
                FUZZ_CHECK (plain.job == result->job && plain.lease == result->lease);
                FUZZ_CHECK ((width == 4? mf_proto_check_mu (plain.mu, count, 1000)
                                       : mf_proto_check_mu64 (plain.mu, count, 1000))
                            == s_mu_rule (plain.mu, count, 1000, width));
                break;
            }
            FUZZ_CHECK (result->size == width * count);
            FUZZ_CHECK (size == mf_proto_result_size_as (result->format, result->rect.w,
                                                         result->rect.h));
            static const uint32_t maxiters [] = { 1, 1000, 65536, UINT32_MAX };
            for (size_t index = 0; index < sizeof maxiters / sizeof maxiters [0]; index++)
                FUZZ_CHECK ((width == 4? mf_proto_check_mu (result->mu, count, maxiters [index])
                                       : mf_proto_check_mu64 (result->mu, count, maxiters [index]))
                            == s_mu_rule (result->mu, count, maxiters [index], width));
            //  Loading and storing mu keeps every bit, NaN payloads included.
            if (width == 4) {
                mf_le_get_f32s (s_mu, result->mu, count);
                mf_le_put_f32s (s_out + head, s_mu, count);
            }
            else {
                mf_proto_get_f64s (s_mu64, result->mu, count);
                mf_proto_put_f64s (s_out + head, s_mu64, count);
            }
            s_same_bytes (data, size, size);
            break;
        }
        case MF_MSG_DEEPTILE: {
            const mf_deeptile_t *tile = &msg.u.deeptile;
            const mf_deep_map_t *map = &tile->map;
            FUZZ_CHECK (size == MF_SIZE_DEEPTILE && tile->maxiter >= 1);
            FUZZ_CHECK (map->pixel_w >= 1 && map->pixel_w <= MF_MAX_DIM);
            FUZZ_CHECK (map->pixel_h >= 1 && map->pixel_h <= MF_MAX_DIM);
            FUZZ_CHECK (tile->rect.w >= 1 && tile->rect.w <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK (tile->rect.h >= 1 && tile->rect.h <= MF_TILE_MAX_EDGE);
            FUZZ_CHECK ((uint64_t) tile->rect.x + tile->rect.w <= map->pixel_w);
            FUZZ_CHECK ((uint64_t) tile->rect.y + tile->rect.h <= map->pixel_h);
            FUZZ_CHECK (map->pitch.m >= 1.0 && map->pitch.m < 2.0);
            FUZZ_CHECK (map->pitch.e >= MF_PROTO_EXP_MIN && map->pitch.e <= MF_PROTO_EXP_MAX);
            FUZZ_CHECK (map->type == MF_DELTA_DOUBLE || map->type == MF_DELTA_FEXP);
            FUZZ_CHECK (map->type == MF_DELTA_FEXP || map->pitch.e >= MF_DEEP_DOUBLE_MIN_EXP);
            if (mf_fexpc_is_zero (map->offset))
                FUZZ_CHECK (map->offset.e == MF_FEXP_ZERO_E);
            else {
                FUZZ_CHECK (isfinite (map->offset.re) && isfinite (map->offset.im));
                FUZZ_CHECK (s_normal (map->offset.re) || s_normal (map->offset.im));
                FUZZ_CHECK (fabs (map->offset.re) < 2.0 && fabs (map->offset.im) < 2.0);
                FUZZ_CHECK (map->offset.e >= MF_PROTO_EXP_MIN
                            && map->offset.e <= MF_PROTO_EXP_MAX);
            }
            uint64_t point = map->type == MF_DELTA_FEXP? MF_ORBIT_POINT_FEXP
                                                       : MF_ORBIT_POINT_DOUBLE;
            FUZZ_CHECK (tile->raw >= MF_ORBIT_HEADER + 2 * point);
            FUZZ_CHECK ((tile->raw - MF_ORBIT_HEADER) % point == 0);
            FUZZ_CHECK ((tile->raw - MF_ORBIT_HEADER) / point <= (uint64_t) tile->maxiter + 1);
            FUZZ_CHECK (tile->shipped >= 1 && tile->shipped <= mf_ship_blob_max (tile->raw));
            //  What the worker computes from the map must not trap.
            mf_fexp_t cmax = mf_deep_map_cmax (map);
            FUZZ_CHECK (cmax.m >= 1.0 && cmax.m < 2.0);
            s_same_bytes (data, size, mf_proto_encode_deeptile (s_out, sizeof s_out, tile));
            break;
        }
        case MF_MSG_FETCH:
            FUZZ_CHECK (msg.u.fetch.length >= 1 && msg.u.fetch.length <= MF_PROTO_CHUNK_MAX);
            FUZZ_CHECK (msg.u.fetch.offset <= UINT64_MAX - msg.u.fetch.length);
            s_same_bytes (data, size, mf_proto_encode_fetch (s_out, sizeof s_out, &msg.u.fetch));
            break;
        case MF_MSG_CHUNK: {
            const mf_chunk_t *chunk = &msg.u.chunk;
            FUZZ_CHECK (chunk->length >= 1 && chunk->length <= MF_PROTO_CHUNK_MAX);
            FUZZ_CHECK (chunk->offset < chunk->total);
            FUZZ_CHECK (chunk->length <= chunk->total - chunk->offset);
            FUZZ_CHECK (size == MF_SIZE_CHUNK_HEAD + (size_t) chunk->length);
            FUZZ_CHECK (chunk->data == data + MF_SIZE_CHUNK_HEAD);
            s_same_bytes (data, size, mf_proto_encode_chunk (s_out, sizeof s_out, chunk));
            break;
        }
        case MF_MSG_NOORBIT:
            s_same_bytes (data, size, mf_proto_encode_noorbit (s_out, sizeof s_out, &msg.u.orbit));
            break;
        case MF_MSG_DECLINE:
            FUZZ_CHECK (msg.u.decline.reason >= 1 && msg.u.decline.reason < MF_DECLINE_COUNT);
            FUZZ_CHECK (strcmp (mf_proto_decline_name (msg.u.decline.reason), "unknown") != 0);
            s_same_bytes (data, size, mf_proto_encode_decline (s_out, sizeof s_out,
                                                               &msg.u.decline));
            break;
        case MF_MSG_HEARTBEAT:
        case MF_MSG_BYE:
        case MF_MSG_REGISTER:
            s_same_bytes (data, size, mf_proto_encode_empty (s_out, sizeof s_out, msg.type));
            break;
        case MF_MSG_CANCEL:
            s_same_bytes (data, size, mf_proto_encode_cancel (s_out, sizeof s_out, msg.u.job));
            break;
        default:
            FUZZ_CHECK (!"a type the decoder should have refused");
    }
    return 0;
}
