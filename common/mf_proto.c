/*  mf_proto: see mf_proto.h. Every layout is a sequence of mf_cursor
    calls, once for writing and once for reading, in the order of the
    fields on the wire (docs/PROTOCOL.md has the same tables with their
    offsets). No byte offset is written down here: the cursor counts them,
    and a buffer too short for a layout sets its error flag instead of
    being overrun.
*/
#include "mf_proto.h"
#include "mf_cursor.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static void
s_put_header (mf_cursor_t *out, mf_msg_type_t type)
{
    mf_cursor_put_u8 (out, 'M');
    mf_cursor_put_u8 (out, 'F');
    mf_cursor_put_u8 (out, MF_PROTO_VERSION);
    mf_cursor_put_u8 (out, (uint8_t) type);
}

//  The size an encoder wrote, or 0 when capacity was too small. Each
//  layout must add up to its MF_SIZE_ constant: a bug otherwise.
static size_t
s_written (const mf_cursor_t *out, size_t expected)
{
    if (!mf_cursor_ok (out))
        return 0;
    assert (out->pos == expected);
    return out->pos;
}

//  Reads a fixed-size text field into text (len + 1 bytes): it stops at
//  the field's first NUL, and only printable ASCII is kept (anything else
//  becomes '?'), so a peer cannot put control characters into our logs.
static void
s_get_text (mf_cursor_t *in, char *text, size_t len)
{
    const uint8_t *p = mf_cursor_get_span (in, len);
    size_t n = 0;
    for (; p && n < len && p [n]; n++)
        text [n] = (p [n] >= 32 && p [n] < 127)? (char) p [n]: '?';
    text [n] = 0;
}

size_t
mf_proto_encode_hello (uint8_t *buf, size_t capacity, const mf_hello_t *hello)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_HELLO);
    mf_cursor_put_u32 (&out, hello->credit);
    mf_cursor_put_u32 (&out, hello->threads);
    mf_cursor_put_u32 (&out, hello->pid);
    mf_cursor_put_u64 (&out, hello->uid);
    mf_cursor_put_text (&out, hello->kernel, MF_PROTO_KERNEL_LEN);
    mf_cursor_put_text (&out, hello->host, MF_PROTO_HOST_LEN);
    return s_written (&out, MF_SIZE_HELLO);
}

size_t
mf_proto_encode_welcome (uint8_t *buf, size_t capacity, const mf_welcome_t *welcome)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_WELCOME);
    mf_cursor_put_u32 (&out, welcome->heartbeat_ms);
    mf_cursor_put_u32 (&out, welcome->session);
    return s_written (&out, MF_SIZE_WELCOME);
}

size_t
mf_proto_encode_ready (uint8_t *buf, size_t capacity, uint32_t credit)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_READY);
    mf_cursor_put_u32 (&out, credit);
    return s_written (&out, MF_SIZE_READY);
}

size_t
mf_proto_encode_tile (uint8_t *buf, size_t capacity, const mf_tile_msg_t *tile)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_TILE);
    mf_cursor_put_u32 (&out, tile->job);
    mf_cursor_put_u32 (&out, tile->tile);
    mf_cursor_put_u32 (&out, tile->lease);
    mf_cursor_put_u32 (&out, tile->task.maxiter);
    mf_cursor_put_f64 (&out, tile->task.map.xmin);
    mf_cursor_put_f64 (&out, tile->task.map.ymax);
    mf_cursor_put_f64 (&out, tile->task.map.d);
    mf_cursor_put_u32 (&out, tile->task.rect.x);
    mf_cursor_put_u32 (&out, tile->task.rect.y);
    mf_cursor_put_u32 (&out, tile->task.rect.w);
    mf_cursor_put_u32 (&out, tile->task.rect.h);
    return s_written (&out, MF_SIZE_TILE);
}

size_t
mf_proto_encode_cancel (uint8_t *buf, size_t capacity, uint32_t job)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_CANCEL);
    mf_cursor_put_u32 (&out, job);
    return s_written (&out, MF_SIZE_CANCEL);
}

size_t
mf_proto_encode_empty (uint8_t *buf, size_t capacity, mf_msg_type_t type)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, type);
    return s_written (&out, MF_SIZE_EMPTY);
}

size_t
mf_proto_result_size (uint32_t w, uint32_t h)
{
    return MF_SIZE_RESULT_HEAD + 4 * (size_t) w * h;
}

size_t
mf_proto_encode_result_head (uint8_t *buf, size_t capacity, const mf_result_t *result)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_RESULT);
    mf_cursor_put_u32 (&out, result->job);
    mf_cursor_put_u32 (&out, result->tile);
    mf_cursor_put_u32 (&out, result->lease);
    mf_cursor_put_u32 (&out, result->rect.x);
    mf_cursor_put_u32 (&out, result->rect.y);
    mf_cursor_put_u32 (&out, result->rect.w);
    mf_cursor_put_u32 (&out, result->rect.h);
    mf_cursor_put_u32 (&out, result->compute_us);
    mf_cursor_put_u64 (&out, result->iterations);
    //  The mu values follow; the caller writes them.
    return s_written (&out, MF_SIZE_RESULT_HEAD);
}

int
mf_proto_check_mu (const uint8_t *src, size_t count, uint32_t maxiter)
{
    float top = (float) maxiter;
    for (size_t index = 0; index < count; index++) {
        float value = mf_le_get_f32 (src + 4 * index);
        //  Written so that NaN fails both range tests.
        if (value != -1.0f && !(value >= 0.0f && value <= top))
            return -1;
    }
    return 0;
}

const char *
mf_proto_error_name (mf_proto_error_t why)
{
    static const char *names [MF_PROTO_E_COUNT] = {
        "ok", "short", "magic", "version", "type", "size", "field"
    };
    return (unsigned) why < MF_PROTO_E_COUNT? names [why]: "unknown";
}

static int
s_fail (mf_proto_error_t *why, mf_proto_error_t reason)
{
    if (why)
        *why = reason;
    return -1;
}

//  Each s_decode_ reads its type's fields after the header, in wire
//  order, then judges: a layout that did not use the frame exactly is
//  E_SIZE, a field out of its range E_FIELD.
static mf_proto_error_t
s_decode_hello (mf_cursor_t *in, mf_hello_t *hello)
{
    hello->credit = mf_cursor_get_u32 (in);
    hello->threads = mf_cursor_get_u32 (in);
    hello->pid = mf_cursor_get_u32 (in);
    hello->uid = mf_cursor_get_u64 (in);
    s_get_text (in, hello->kernel, MF_PROTO_KERNEL_LEN);
    s_get_text (in, hello->host, MF_PROTO_HOST_LEN);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (hello->credit > MF_PROTO_MAX_CREDIT
    ||  hello->threads < 1 || hello->threads > MF_PROTO_MAX_THREADS)
        return MF_PROTO_E_FIELD;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_welcome (mf_cursor_t *in, mf_welcome_t *welcome)
{
    welcome->heartbeat_ms = mf_cursor_get_u32 (in);
    welcome->session = mf_cursor_get_u32 (in);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (welcome->heartbeat_ms < MF_PROTO_HB_MIN || welcome->heartbeat_ms > MF_PROTO_HB_MAX)
        return MF_PROTO_E_FIELD;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_ready (mf_cursor_t *in, uint32_t *credit)
{
    *credit = mf_cursor_get_u32 (in);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (*credit < 1 || *credit > MF_PROTO_MAX_CREDIT)
        return MF_PROTO_E_FIELD;
    return MF_PROTO_OK;
}

//  A task's fields must describe a tile inside a valid image.
static bool
s_task_ok (const mf_task_t *task)
{
    const mf_rect_t *r = &task->rect;
    return task->maxiter >= 1
        && isfinite (task->map.xmin) && isfinite (task->map.ymax)
        && isfinite (task->map.d) && task->map.d > 0
        && r->w >= 1 && r->w <= MF_TILE_MAX_EDGE
        && r->h >= 1 && r->h <= MF_TILE_MAX_EDGE
        && r->x < MF_MAX_DIM && r->y < MF_MAX_DIM
        && r->x + r->w <= MF_MAX_DIM && r->y + r->h <= MF_MAX_DIM;
}

static mf_proto_error_t
s_decode_tile (mf_cursor_t *in, mf_tile_msg_t *tile)
{
    tile->job = mf_cursor_get_u32 (in);
    tile->tile = mf_cursor_get_u32 (in);
    tile->lease = mf_cursor_get_u32 (in);
    tile->task.maxiter = mf_cursor_get_u32 (in);
    tile->task.map.xmin = mf_cursor_get_f64 (in);
    tile->task.map.ymax = mf_cursor_get_f64 (in);
    tile->task.map.d = mf_cursor_get_f64 (in);
    tile->task.rect.x = mf_cursor_get_u32 (in);
    tile->task.rect.y = mf_cursor_get_u32 (in);
    tile->task.rect.w = mf_cursor_get_u32 (in);
    tile->task.rect.h = mf_cursor_get_u32 (in);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (!s_task_ok (&tile->task))
        return MF_PROTO_E_FIELD;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_result (mf_cursor_t *in, mf_result_t *result)
{
    result->job = mf_cursor_get_u32 (in);
    result->tile = mf_cursor_get_u32 (in);
    result->lease = mf_cursor_get_u32 (in);
    result->rect.x = mf_cursor_get_u32 (in);
    result->rect.y = mf_cursor_get_u32 (in);
    result->rect.w = mf_cursor_get_u32 (in);
    result->rect.h = mf_cursor_get_u32 (in);
    result->compute_us = mf_cursor_get_u32 (in);
    result->iterations = mf_cursor_get_u64 (in);
    if (!mf_cursor_ok (in))
        return MF_PROTO_E_SIZE;
    //  The size of what follows depends on w and h: judge them first.
    if (result->rect.w < 1 || result->rect.w > MF_TILE_MAX_EDGE
    ||  result->rect.h < 1 || result->rect.h > MF_TILE_MAX_EDGE)
        return MF_PROTO_E_FIELD;
    result->mu = mf_cursor_get_span (in, 4 * (size_t) result->rect.w * result->rect.h);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_cancel (mf_cursor_t *in, uint32_t *job)
{
    *job = mf_cursor_get_u32 (in);
    return mf_cursor_done (in)? MF_PROTO_OK: MF_PROTO_E_SIZE;
}

int
mf_proto_decode (const uint8_t *data, size_t size, mf_msg_t *msg,
                 mf_proto_error_t *why)
{
    if (!data || size < MF_PROTO_HEADER)
        return s_fail (why, MF_PROTO_E_SHORT);
    mf_cursor_t in = mf_cursor_reader (data, size);
    uint8_t magic_m = mf_cursor_get_u8 (&in);
    uint8_t magic_f = mf_cursor_get_u8 (&in);
    uint8_t version = mf_cursor_get_u8 (&in);
    uint8_t type = mf_cursor_get_u8 (&in);
    if (magic_m != 'M' || magic_f != 'F')
        return s_fail (why, MF_PROTO_E_MAGIC);
    if (version != MF_PROTO_VERSION)
        return s_fail (why, MF_PROTO_E_VERSION);
    memset (msg, 0, sizeof *msg);
    msg->type = (mf_msg_type_t) type;
    mf_proto_error_t verdict;
    switch (msg->type) {
        case MF_MSG_HELLO:
            verdict = s_decode_hello (&in, &msg->u.hello);
            break;
        case MF_MSG_WELCOME:
            verdict = s_decode_welcome (&in, &msg->u.welcome);
            break;
        case MF_MSG_READY:
            verdict = s_decode_ready (&in, &msg->u.credit);
            break;
        case MF_MSG_TILE:
            verdict = s_decode_tile (&in, &msg->u.tile);
            break;
        case MF_MSG_RESULT:
            verdict = s_decode_result (&in, &msg->u.result);
            break;
        case MF_MSG_CANCEL:
            verdict = s_decode_cancel (&in, &msg->u.job);
            break;
        case MF_MSG_HEARTBEAT:
        case MF_MSG_BYE:
        case MF_MSG_REGISTER:
            verdict = mf_cursor_done (&in)? MF_PROTO_OK: MF_PROTO_E_SIZE;
            break;
        default:
            verdict = MF_PROTO_E_TYPE;
    }
    if (verdict != MF_PROTO_OK)
        return s_fail (why, verdict);
    if (why)
        *why = MF_PROTO_OK;
    return 0;
}
