/*  Fuzzes the wire decoder, mf_proto_decode, and mf_proto_check_mu.

    The input is one frame as it arrives from a peer. A refused frame must
    say why with a known reason. An accepted one must satisfy every range
    PROTOCOL.md states, and encoding what was decoded must give back the
    same bytes (HELLO: the same fields, its text being sanitised). For a
    RESULT, mf_proto_check_mu must agree, value by value, with the rule
    "-1, or finite in [0, maxiter]", for a few maxiter.
*/
#include "fuzz.h"
#include "mf_proto.h"
#include "mf_region.h"
#include "mf_tiles.h"

#include <math.h>
#include <string.h>

static uint8_t s_out [MF_PROTO_MAX_MESSAGE];
static float s_mu [MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE];

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

//  The documented rule, written out independently of mf_proto_check_mu.
static int
s_mu_rule (const uint8_t *src, size_t count, uint32_t maxiter)
{
    for (size_t index = 0; index < count; index++) {
        uint32_t bits = (uint32_t) src [4 * index] | (uint32_t) src [4 * index + 1] << 8
                      | (uint32_t) src [4 * index + 2] << 16 | (uint32_t) src [4 * index + 3] << 24;
        float value;
        memcpy (&value, &bits, 4);
        if (value == -1.0f)
            continue;
        if (isnan (value) || isinf (value) || value < 0.0f || value > (float) maxiter)
            return -1;
    }
    return 0;
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
            s_printable (hello->kernel, MF_PROTO_KERNEL_LEN);
            s_printable (hello->host, MF_PROTO_HOST_LEN);
            size_t written = mf_proto_encode_hello (s_out, sizeof s_out, hello);
            FUZZ_CHECK (written == size);
            mf_msg_t again;
            FUZZ_CHECK (mf_proto_decode (s_out, written, &again, NULL) == 0);
            FUZZ_CHECK (again.u.hello.credit == hello->credit);
            FUZZ_CHECK (again.u.hello.threads == hello->threads);
            FUZZ_CHECK (again.u.hello.pid == hello->pid && again.u.hello.uid == hello->uid);
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
            FUZZ_CHECK (size == mf_proto_result_size (result->rect.w, result->rect.h));
            FUZZ_CHECK (result->mu == data + MF_SIZE_RESULT_HEAD);
            size_t head = mf_proto_encode_result_head (s_out, sizeof s_out, result);
            FUZZ_CHECK (head == MF_SIZE_RESULT_HEAD);
            FUZZ_CHECK (memcmp (s_out, data, head) == 0);
            size_t count = (size_t) result->rect.w * result->rect.h;
            static const uint32_t maxiters [] = { 1, 1000, 65536, UINT32_MAX };
            for (size_t index = 0; index < sizeof maxiters / sizeof maxiters [0]; index++)
                FUZZ_CHECK (mf_proto_check_mu (result->mu, count, maxiters [index])
                            == s_mu_rule (result->mu, count, maxiters [index]));
            //  Loading and storing mu keeps every bit, NaN payloads included.
            mf_le_get_f32s (s_mu, result->mu, count);
            mf_le_put_f32s (s_out + head, s_mu, count);
            s_same_bytes (data, size, size);
            break;
        }
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
