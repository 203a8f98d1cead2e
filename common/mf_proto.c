/*  mf_proto: see mf_proto.h. Fields are read and written one by one with
    explicit little-endian helpers, never by casting a struct onto the
    buffer, so the code is the same on every host and alignment.
*/
#include "mf_proto.h"
#include "mf_le.h"

#include <math.h>
#include <string.h>

static void
s_put_header (uint8_t *p, mf_msg_type_t type)
{
    p [0] = 'M';
    p [1] = 'F';
    p [2] = MF_PROTO_VERSION;
    p [3] = (uint8_t) type;
}

//  Copies a fixed-size text field, NUL-padded on the wire.
static void
s_put_text (uint8_t *p, const char *text, size_t len)
{
    memset (p, 0, len);
    size_t n = strnlen (text, len);
    memcpy (p, text, n);
}

//  Reads a fixed-size text field; only printable ASCII is kept, so a peer
//  cannot put control characters into our logs.
static void
s_get_text (char *text, const uint8_t *p, size_t len)
{
    size_t n = 0;
    for (; n < len && p [n]; n++)
        text [n] = (p [n] >= 32 && p [n] < 127)? (char) p [n]: '?';
    text [n] = 0;
}

size_t
mf_proto_encode_hello (uint8_t *buf, size_t capacity, const mf_hello_t *hello)
{
    if (capacity < MF_SIZE_HELLO)
        return 0;
    s_put_header (buf, MF_MSG_HELLO);
    mf_le_put_u32 (buf + 4, hello->credit);
    mf_le_put_u32 (buf + 8, hello->threads);
    mf_le_put_u32 (buf + 12, hello->pid);
    mf_le_put_u64 (buf + 16, hello->uid);
    s_put_text (buf + 24, hello->kernel, MF_PROTO_KERNEL_LEN);
    s_put_text (buf + 24 + MF_PROTO_KERNEL_LEN, hello->host, MF_PROTO_HOST_LEN);
    return MF_SIZE_HELLO;
}

size_t
mf_proto_encode_welcome (uint8_t *buf, size_t capacity, const mf_welcome_t *welcome)
{
    if (capacity < MF_SIZE_WELCOME)
        return 0;
    s_put_header (buf, MF_MSG_WELCOME);
    mf_le_put_u32 (buf + 4, welcome->heartbeat_ms);
    mf_le_put_u32 (buf + 8, welcome->session);
    return MF_SIZE_WELCOME;
}

size_t
mf_proto_encode_ready (uint8_t *buf, size_t capacity, uint32_t credit)
{
    if (capacity < MF_SIZE_READY)
        return 0;
    s_put_header (buf, MF_MSG_READY);
    mf_le_put_u32 (buf + 4, credit);
    return MF_SIZE_READY;
}

size_t
mf_proto_encode_tile (uint8_t *buf, size_t capacity, const mf_tile_msg_t *tile)
{
    if (capacity < MF_SIZE_TILE)
        return 0;
    s_put_header (buf, MF_MSG_TILE);
    mf_le_put_u32 (buf + 4, tile->job);
    mf_le_put_u32 (buf + 8, tile->tile);
    mf_le_put_u32 (buf + 12, tile->lease);
    mf_le_put_u32 (buf + 16, tile->task.maxiter);
    mf_le_put_f64 (buf + 20, tile->task.map.xmin);
    mf_le_put_f64 (buf + 28, tile->task.map.ymax);
    mf_le_put_f64 (buf + 36, tile->task.map.d);
    mf_le_put_u32 (buf + 44, tile->task.rect.x);
    mf_le_put_u32 (buf + 48, tile->task.rect.y);
    mf_le_put_u32 (buf + 52, tile->task.rect.w);
    mf_le_put_u32 (buf + 56, tile->task.rect.h);
    return MF_SIZE_TILE;
}

size_t
mf_proto_encode_cancel (uint8_t *buf, size_t capacity, uint32_t job)
{
    if (capacity < MF_SIZE_CANCEL)
        return 0;
    s_put_header (buf, MF_MSG_CANCEL);
    mf_le_put_u32 (buf + 4, job);
    return MF_SIZE_CANCEL;
}

size_t
mf_proto_encode_empty (uint8_t *buf, size_t capacity, mf_msg_type_t type)
{
    if (capacity < MF_SIZE_EMPTY)
        return 0;
    s_put_header (buf, type);
    return MF_SIZE_EMPTY;
}

size_t
mf_proto_result_size (uint32_t w, uint32_t h)
{
    return MF_SIZE_RESULT_HEAD + 4 * (size_t) w * h;
}

size_t
mf_proto_encode_result_head (uint8_t *buf, size_t capacity, const mf_result_t *result)
{
    if (capacity < MF_SIZE_RESULT_HEAD)
        return 0;
    s_put_header (buf, MF_MSG_RESULT);
    mf_le_put_u32 (buf + 4, result->job);
    mf_le_put_u32 (buf + 8, result->tile);
    mf_le_put_u32 (buf + 12, result->lease);
    mf_le_put_u32 (buf + 16, result->rect.x);
    mf_le_put_u32 (buf + 20, result->rect.y);
    mf_le_put_u32 (buf + 24, result->rect.w);
    mf_le_put_u32 (buf + 28, result->rect.h);
    mf_le_put_u32 (buf + 32, result->compute_us);
    mf_le_put_u64 (buf + 36, result->iterations);
    return MF_SIZE_RESULT_HEAD;
}

void
mf_proto_put_mu (uint8_t *dst, const float *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if ((const void *) dst != (const void *) src)
        memcpy (dst, src, count * 4);
#else
    for (size_t index = 0; index < count; index++) {
        uint32_t bits;
        memcpy (&bits, &src [index], 4);
        mf_le_put_u32 (dst + 4 * index, bits);
    }
#endif
}

void
mf_proto_get_mu (float *dst, const uint8_t *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy (dst, src, count * 4);
#else
    for (size_t index = 0; index < count; index++) {
        uint32_t bits = mf_le_get_u32 (src + 4 * index);
        memcpy (&dst [index], &bits, 4);
    }
#endif
}

int
mf_proto_check_mu (const uint8_t *src, size_t count, uint32_t maxiter)
{
    float top = (float) maxiter;
    for (size_t index = 0; index < count; index++) {
        uint32_t bits = mf_le_get_u32 (src + 4 * index);
        float value;
        memcpy (&value, &bits, 4);
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

//  A task's fields must describe a tile inside a valid image.
static int
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

int
mf_proto_decode (const uint8_t *data, size_t size, mf_msg_t *msg,
                 mf_proto_error_t *why)
{
    if (!data || size < MF_PROTO_HEADER)
        return s_fail (why, MF_PROTO_E_SHORT);
    if (data [0] != 'M' || data [1] != 'F')
        return s_fail (why, MF_PROTO_E_MAGIC);
    if (data [2] != MF_PROTO_VERSION)
        return s_fail (why, MF_PROTO_E_VERSION);
    memset (msg, 0, sizeof *msg);
    msg->type = (mf_msg_type_t) data [3];
    switch (msg->type) {
        case MF_MSG_HELLO: {
            if (size != MF_SIZE_HELLO)
                return s_fail (why, MF_PROTO_E_SIZE);
            mf_hello_t *hello = &msg->u.hello;
            hello->credit = mf_le_get_u32 (data + 4);
            hello->threads = mf_le_get_u32 (data + 8);
            hello->pid = mf_le_get_u32 (data + 12);
            hello->uid = mf_le_get_u64 (data + 16);
            s_get_text (hello->kernel, data + 24, MF_PROTO_KERNEL_LEN);
            s_get_text (hello->host, data + 24 + MF_PROTO_KERNEL_LEN, MF_PROTO_HOST_LEN);
            if (hello->credit > MF_PROTO_MAX_CREDIT
            ||  hello->threads < 1 || hello->threads > MF_PROTO_MAX_THREADS)
                return s_fail (why, MF_PROTO_E_FIELD);
            break;
        }
        case MF_MSG_WELCOME:
            if (size != MF_SIZE_WELCOME)
                return s_fail (why, MF_PROTO_E_SIZE);
            msg->u.welcome.heartbeat_ms = mf_le_get_u32 (data + 4);
            msg->u.welcome.session = mf_le_get_u32 (data + 8);
            if (msg->u.welcome.heartbeat_ms < MF_PROTO_HB_MIN
            ||  msg->u.welcome.heartbeat_ms > MF_PROTO_HB_MAX)
                return s_fail (why, MF_PROTO_E_FIELD);
            break;
        case MF_MSG_READY:
            if (size != MF_SIZE_READY)
                return s_fail (why, MF_PROTO_E_SIZE);
            msg->u.credit = mf_le_get_u32 (data + 4);
            if (msg->u.credit < 1 || msg->u.credit > MF_PROTO_MAX_CREDIT)
                return s_fail (why, MF_PROTO_E_FIELD);
            break;
        case MF_MSG_TILE: {
            if (size != MF_SIZE_TILE)
                return s_fail (why, MF_PROTO_E_SIZE);
            mf_tile_msg_t *tile = &msg->u.tile;
            tile->job = mf_le_get_u32 (data + 4);
            tile->tile = mf_le_get_u32 (data + 8);
            tile->lease = mf_le_get_u32 (data + 12);
            tile->task.maxiter = mf_le_get_u32 (data + 16);
            tile->task.map.xmin = mf_le_get_f64 (data + 20);
            tile->task.map.ymax = mf_le_get_f64 (data + 28);
            tile->task.map.d = mf_le_get_f64 (data + 36);
            tile->task.rect.x = mf_le_get_u32 (data + 44);
            tile->task.rect.y = mf_le_get_u32 (data + 48);
            tile->task.rect.w = mf_le_get_u32 (data + 52);
            tile->task.rect.h = mf_le_get_u32 (data + 56);
            if (!s_task_ok (&tile->task))
                return s_fail (why, MF_PROTO_E_FIELD);
            break;
        }
        case MF_MSG_RESULT: {
            if (size < MF_SIZE_RESULT_HEAD)
                return s_fail (why, MF_PROTO_E_SIZE);
            mf_result_t *result = &msg->u.result;
            result->job = mf_le_get_u32 (data + 4);
            result->tile = mf_le_get_u32 (data + 8);
            result->lease = mf_le_get_u32 (data + 12);
            result->rect.x = mf_le_get_u32 (data + 16);
            result->rect.y = mf_le_get_u32 (data + 20);
            result->rect.w = mf_le_get_u32 (data + 24);
            result->rect.h = mf_le_get_u32 (data + 28);
            result->compute_us = mf_le_get_u32 (data + 32);
            result->iterations = mf_le_get_u64 (data + 36);
            if (result->rect.w < 1 || result->rect.w > MF_TILE_MAX_EDGE
            ||  result->rect.h < 1 || result->rect.h > MF_TILE_MAX_EDGE)
                return s_fail (why, MF_PROTO_E_FIELD);
            if (size != mf_proto_result_size (result->rect.w, result->rect.h))
                return s_fail (why, MF_PROTO_E_SIZE);
            result->mu = data + MF_SIZE_RESULT_HEAD;
            break;
        }
        case MF_MSG_HEARTBEAT:
        case MF_MSG_BYE:
        case MF_MSG_REGISTER:
            if (size != MF_SIZE_EMPTY)
                return s_fail (why, MF_PROTO_E_SIZE);
            break;
        case MF_MSG_CANCEL:
            if (size != MF_SIZE_CANCEL)
                return s_fail (why, MF_PROTO_E_SIZE);
            msg->u.job = mf_le_get_u32 (data + 4);
            break;
        default:
            return s_fail (why, MF_PROTO_E_TYPE);
    }
    if (why)
        *why = MF_PROTO_OK;
    return 0;
}
