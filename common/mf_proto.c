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
#include <stdio.h>
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
    mf_cursor_put_u32 (&out, hello->cores);
    mf_cursor_put_u32 (&out, hello->speed);
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
mf_proto_mu_bytes (mf_mu_format_t format)
{
    return format == MF_MU_F64? 8: 4;
}

size_t
mf_proto_result_size (uint32_t w, uint32_t h)
{
    return mf_proto_result_size_as (MF_MU_F32, w, h);
}

size_t
mf_proto_result_size_as (mf_mu_format_t format, uint32_t w, uint32_t h)
{
    return MF_SIZE_RESULT_HEAD + mf_proto_mu_bytes (format) * w * h;
}

size_t
mf_proto_result_raw (const mf_result_t *result)
{
    return mf_proto_mu_bytes (result->format) * result->rect.w * result->rect.h;
}

size_t
mf_proto_encode_result_head (uint8_t *buf, size_t capacity, const mf_result_t *result)
{
    assert (result->format == MF_MU_F32 || result->format == MF_MU_F64);
    assert (result->encoding == MF_ENCODING_RAW || result->encoding == MF_ENCODING_ZSTD
            || result->encoding == MF_ENCODING_SHARED);
    size_t payload = mf_proto_result_raw (result);
    if (result->encoding == MF_ENCODING_SHARED)
        payload = 4;
    else
    if (result->encoding != MF_ENCODING_RAW) {
        //  An encoding that does not save a byte is never sent.
        assert (result->size >= 1 && result->size < payload);
        payload = result->size;
    }
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
    mf_cursor_put_u8 (&out, (uint8_t) result->format);
    mf_cursor_put_u8 (&out, result->encoding);
    mf_cursor_put_zeros (&out, 2);
    mf_cursor_put_u32 (&out, (uint32_t) payload);
    //  The mu values follow; the caller writes them.
    return s_written (&out, MF_SIZE_RESULT_HEAD);
}

size_t
mf_proto_encode_result_shared (uint8_t *buf, size_t capacity, const mf_result_t *result)
{
    assert (result->encoding == MF_ENCODING_SHARED);
    if (capacity < MF_SIZE_RESULT_SHARED
    ||  mf_proto_encode_result_head (buf, capacity, result) != MF_SIZE_RESULT_HEAD)
        return 0;
    mf_le_put_u32 (buf + MF_SIZE_RESULT_HEAD, result->slot);
    return MF_SIZE_RESULT_SHARED;
}

void
mf_proto_put_f64s (uint8_t *dst, const double *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if ((const void *) dst != (const void *) src)
        memmove (dst, src, count * 8);
#else
    for (size_t index = 0; index < count; index++)
        mf_le_put_f64 (dst + 8 * index, src [index]);
#endif
}

void
mf_proto_get_f64s (double *dst, const uint8_t *src, size_t count)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy (dst, src, count * 8);
#else
    for (size_t index = 0; index < count; index++)
        dst [index] = mf_le_get_f64 (src + 8 * index);
#endif
}

static void
s_put_id (mf_cursor_t *out, const mf_orbit_id_t *id)
{
    mf_cursor_put_bytes (out, id->bytes, MF_SHIP_ID_SIZE);
}

//  A complex floatexp: mantissas re, im and the exponent; zero travels as
//  +0, +0, 0 whatever exponent the caller's zero has, so that it has one
//  form on the wire.
static void
s_put_fexpc (mf_cursor_t *out, mf_fexpc_t z)
{
    bool zero = mf_fexpc_is_zero (z);
    mf_cursor_put_f64 (out, zero? 0.0: z.re);
    mf_cursor_put_f64 (out, zero? 0.0: z.im);
    mf_cursor_put_u64 (out, zero? 0: (uint64_t) z.e);
}

size_t
mf_proto_encode_deeptile (uint8_t *buf, size_t capacity, const mf_deeptile_t *tile)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_DEEPTILE);
    mf_cursor_put_u32 (&out, tile->job);
    mf_cursor_put_u32 (&out, tile->tile);
    mf_cursor_put_u32 (&out, tile->lease);
    mf_cursor_put_u32 (&out, tile->maxiter);
    mf_cursor_put_u32 (&out, tile->rect.x);
    mf_cursor_put_u32 (&out, tile->rect.y);
    mf_cursor_put_u32 (&out, tile->rect.w);
    mf_cursor_put_u32 (&out, tile->rect.h);
    mf_cursor_put_u32 (&out, tile->map.pixel_w);
    mf_cursor_put_u32 (&out, tile->map.pixel_h);
    mf_cursor_put_f64 (&out, tile->map.pitch.m);
    mf_cursor_put_u64 (&out, (uint64_t) tile->map.pitch.e);
    s_put_fexpc (&out, tile->map.offset);
    mf_cursor_put_u8 (&out, (uint8_t) tile->map.type);
    mf_cursor_put_zeros (&out, 3);
    s_put_id (&out, &tile->orbit);
    mf_cursor_put_u64 (&out, tile->shipped);
    mf_cursor_put_u64 (&out, tile->raw);
    return s_written (&out, MF_SIZE_DEEPTILE);
}

size_t
mf_proto_encode_fetch (uint8_t *buf, size_t capacity, const mf_fetch_t *fetch)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_FETCH);
    s_put_id (&out, &fetch->orbit);
    mf_cursor_put_u64 (&out, fetch->offset);
    mf_cursor_put_u32 (&out, fetch->length);
    return s_written (&out, MF_SIZE_FETCH);
}

size_t
mf_proto_encode_chunk (uint8_t *buf, size_t capacity, const mf_chunk_t *chunk)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_CHUNK);
    s_put_id (&out, &chunk->orbit);
    mf_cursor_put_u64 (&out, chunk->offset);
    mf_cursor_put_u64 (&out, chunk->total);
    mf_cursor_put_u32 (&out, chunk->length);
    mf_cursor_put_bytes (&out, chunk->data, chunk->length);
    return s_written (&out, MF_SIZE_CHUNK_HEAD + (size_t) chunk->length);
}

size_t
mf_proto_encode_noorbit (uint8_t *buf, size_t capacity, const mf_orbit_id_t *orbit)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_NOORBIT);
    s_put_id (&out, orbit);
    return s_written (&out, MF_SIZE_NOORBIT);
}

size_t
mf_proto_encode_decline (uint8_t *buf, size_t capacity, const mf_decline_t *decline)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    s_put_header (&out, MF_MSG_DECLINE);
    mf_cursor_put_u32 (&out, decline->job);
    mf_cursor_put_u32 (&out, decline->tile);
    mf_cursor_put_u32 (&out, decline->lease);
    mf_cursor_put_u8 (&out, (uint8_t) decline->reason);
    mf_cursor_put_zeros (&out, 3);
    s_put_id (&out, &decline->orbit);
    return s_written (&out, MF_SIZE_DECLINE);
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

int
mf_proto_check_mu64 (const uint8_t *src, size_t count, uint32_t maxiter)
{
    double top = (double) maxiter;
    for (size_t index = 0; index < count; index++) {
        double value = mf_le_get_f64 (src + 8 * index);
        if (value != -1.0 && !(value >= 0.0 && value <= top))
            return -1;
    }
    return 0;
}

uint64_t
mf_proto_raw_max (uint32_t maxiter, mf_delta_t type)
{
    uint64_t point = type == MF_DELTA_FEXP? MF_ORBIT_POINT_FEXP: MF_ORBIT_POINT_DOUBLE;
    return MF_ORBIT_HEADER + ((uint64_t) maxiter + 1) * point;
}

int
mf_proto_version_of (const uint8_t *data, size_t size)
{
    if (!data || size < MF_PROTO_HEADER || data [0] != 'M' || data [1] != 'F')
        return -1;
    return data [2];
}

const char *
mf_proto_error_name (mf_proto_error_t why)
{
    static const char *names [MF_PROTO_E_COUNT] = {
        "ok", "short", "magic", "version", "type", "size", "field"
    };
    return (unsigned) why < MF_PROTO_E_COUNT? names [why]: "unknown";
}

const char *
mf_proto_decline_name (mf_decline_reason_t reason)
{
    static const char *names [MF_DECLINE_COUNT] = {
        NULL, "too large", "bad orbit", "no orbit", "no answer", "no memory"
    };
    return reason >= 1 && reason < MF_DECLINE_COUNT? names [reason]: "unknown";
}

static int
s_fail (mf_proto_error_t *why, mf_proto_error_t reason)
{
    if (why)
        *why = reason;
    return -1;
}

//  Reads size reserved bytes; false unless all are zero (a field out of
//  range, not a layout of the wrong size: an overrun is left to the
//  cursor's flag).
static bool
s_get_reserved (mf_cursor_t *in, size_t size)
{
    const uint8_t *p = mf_cursor_get_span (in, size);
    for (size_t index = 0; p && index < size; index++)
        if (p [index])
            return false;
    return true;
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
    hello->cores = mf_cursor_get_u32 (in);
    hello->speed = mf_cursor_get_u32 (in);
    s_get_text (in, hello->kernel, MF_PROTO_KERNEL_LEN);
    s_get_text (in, hello->host, MF_PROTO_HOST_LEN);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (hello->credit > MF_PROTO_MAX_CREDIT
    ||  hello->threads < 1 || hello->threads > MF_PROTO_MAX_THREADS
    ||  hello->cores > MF_PROTO_MAX_CORES)
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
    uint8_t format = mf_cursor_get_u8 (in);
    result->encoding = mf_cursor_get_u8 (in);
    bool reserved = s_get_reserved (in, 2);
    result->size = mf_cursor_get_u32 (in);
    if (!mf_cursor_ok (in))
        return MF_PROTO_E_SIZE;
    //  The size of what follows depends on these: judge them first.
    if (!reserved || result->rect.w < 1 || result->rect.w > MF_TILE_MAX_EDGE
    ||  result->rect.h < 1 || result->rect.h > MF_TILE_MAX_EDGE
    ||  (format != MF_MU_F32 && format != MF_MU_F64)
    ||  (result->encoding != MF_ENCODING_RAW && result->encoding != MF_ENCODING_ZSTD
         && result->encoding != MF_ENCODING_SHARED))
        return MF_PROTO_E_FIELD;
    result->format = (mf_mu_format_t) format;
    //  Raw: exactly the values. Encoded: at least a byte, and fewer than
    //  raw (a worker sends raw what would not shrink), so no RESULT is
    //  ever larger than its raw form.
    //  Shared: the slot's number, 4 bytes, whatever the tile's size.
    size_t raw = mf_proto_result_raw (result);
    if (result->encoding == MF_ENCODING_SHARED? result->size != 4
    :   result->encoding == MF_ENCODING_RAW? result->size != raw
    :   result->size < 1 || result->size >= raw)
        return MF_PROTO_E_FIELD;
    result->mu = mf_cursor_get_span (in, result->size);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    result->slot = 0;
    if (result->encoding == MF_ENCODING_SHARED) {
        result->slot = mf_le_get_u32 (result->mu);
        result->mu = NULL;
    }
    return MF_PROTO_OK;
}

int
mf_proto_result_plain (mf_rcodec_t *codec, const mf_result_t *result, mf_result_t *plain,
                       char *err, size_t errlen)
{
    *plain = *result;
    if (result->encoding == MF_ENCODING_RAW)
        return 0;
    if (result->encoding == MF_ENCODING_SHARED) {
        snprintf (err, errlen, "a shared result, whose mu are in memory only a forked "
                  "worker shares with its master");
        return -1;
    }
    assert (result->encoding == MF_ENCODING_ZSTD);
    const uint8_t *mu = mf_rcodec_decode (codec, mf_proto_mu_bytes (result->format),
                                          result->rect.w, result->rect.h, result->mu,
                                          result->size, err, errlen);
    if (!mu)
        return -1;
    plain->mu = mu;
    plain->encoding = MF_ENCODING_RAW;
    plain->size = (uint32_t) mf_proto_result_raw (result);
    return 0;
}

static mf_proto_error_t
s_decode_cancel (mf_cursor_t *in, uint32_t *job)
{
    *job = mf_cursor_get_u32 (in);
    return mf_cursor_done (in)? MF_PROTO_OK: MF_PROTO_E_SIZE;
}

static void
s_get_id (mf_cursor_t *in, mf_orbit_id_t *id)
{
    mf_cursor_get_bytes (in, id->bytes, MF_SHIP_ID_SIZE);
}

static bool
s_exp_ok (int64_t e)
{
    return e >= MF_PROTO_EXP_MIN && e <= MF_PROTO_EXP_MAX;
}

//  A complex floatexp as s_put_fexpc writes it; false when it is neither
//  the one zero nor normalised (mf_fexp.h) with its exponent in range.
static bool
s_get_fexpc (mf_cursor_t *in, mf_fexpc_t *z)
{
    double re = mf_cursor_get_f64 (in);
    double im = mf_cursor_get_f64 (in);
    int64_t e = (int64_t) mf_cursor_get_u64 (in);
    if (mf_fexp_bits (re) == 0 && mf_fexp_bits (im) == 0 && e == 0) {
        *z = mf_fexpc_zero ();
        return true;
    }
    *z = (mf_fexpc_t) { re, im, e };
    double big = fabs (re) > fabs (im)? fabs (re): fabs (im);
    return isfinite (re) && isfinite (im) && big >= 1.0 && big < 2.0 && s_exp_ok (e);
}

//  A deep lease's fields must describe a tile of a valid deep view, and
//  an orbit whose declared sizes are possible for its maxiter and type.
static bool
s_deeptile_ok (const mf_deeptile_t *tile, bool offset_ok, uint8_t type)
{
    const mf_rect_t *r = &tile->rect;
    const mf_deep_map_t *map = &tile->map;
    if (tile->maxiter < 1 || !offset_ok || type > MF_DELTA_FEXP
    ||  map->pixel_w < 1 || map->pixel_w > MF_MAX_DIM
    ||  map->pixel_h < 1 || map->pixel_h > MF_MAX_DIM
    ||  r->w < 1 || r->w > MF_TILE_MAX_EDGE || r->h < 1 || r->h > MF_TILE_MAX_EDGE
    ||  r->x >= map->pixel_w || r->y >= map->pixel_h
    ||  r->w > map->pixel_w - r->x || r->h > map->pixel_h - r->y)
        return false;
    //  The pitch: positive, normalised, in range; double deltas only
    //  where mf_deep.h allows them.
    if (!(map->pitch.m >= 1.0 && map->pitch.m < 2.0) || !s_exp_ok (map->pitch.e)
    ||  (type == MF_DELTA_DOUBLE && map->pitch.e < MF_DEEP_DOUBLE_MIN_EXP))
        return false;
    uint64_t point = type == MF_DELTA_FEXP? MF_ORBIT_POINT_FEXP: MF_ORBIT_POINT_DOUBLE;
    return tile->raw >= MF_ORBIT_HEADER + 2 * point
        && tile->raw <= mf_proto_raw_max (tile->maxiter, (mf_delta_t) type)
        && (tile->raw - MF_ORBIT_HEADER) % point == 0
        && tile->shipped >= 1 && tile->shipped <= mf_ship_blob_max (tile->raw);
}

static mf_proto_error_t
s_decode_deeptile (mf_cursor_t *in, mf_deeptile_t *tile)
{
    tile->job = mf_cursor_get_u32 (in);
    tile->tile = mf_cursor_get_u32 (in);
    tile->lease = mf_cursor_get_u32 (in);
    tile->maxiter = mf_cursor_get_u32 (in);
    tile->rect.x = mf_cursor_get_u32 (in);
    tile->rect.y = mf_cursor_get_u32 (in);
    tile->rect.w = mf_cursor_get_u32 (in);
    tile->rect.h = mf_cursor_get_u32 (in);
    tile->map.pixel_w = mf_cursor_get_u32 (in);
    tile->map.pixel_h = mf_cursor_get_u32 (in);
    tile->map.pitch.m = mf_cursor_get_f64 (in);
    tile->map.pitch.e = (int64_t) mf_cursor_get_u64 (in);
    bool offset_ok = s_get_fexpc (in, &tile->map.offset);
    uint8_t type = mf_cursor_get_u8 (in);
    bool reserved = s_get_reserved (in, 3);
    s_get_id (in, &tile->orbit);
    tile->shipped = mf_cursor_get_u64 (in);
    tile->raw = mf_cursor_get_u64 (in);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (!reserved || !s_deeptile_ok (tile, offset_ok, type))
        return MF_PROTO_E_FIELD;
    tile->map.type = (mf_delta_t) type;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_fetch (mf_cursor_t *in, mf_fetch_t *fetch)
{
    s_get_id (in, &fetch->orbit);
    fetch->offset = mf_cursor_get_u64 (in);
    fetch->length = mf_cursor_get_u32 (in);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (fetch->length < 1 || fetch->length > MF_PROTO_CHUNK_MAX
    ||  fetch->offset > UINT64_MAX - fetch->length)
        return MF_PROTO_E_FIELD;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_chunk (mf_cursor_t *in, mf_chunk_t *chunk)
{
    s_get_id (in, &chunk->orbit);
    chunk->offset = mf_cursor_get_u64 (in);
    chunk->total = mf_cursor_get_u64 (in);
    chunk->length = mf_cursor_get_u32 (in);
    if (!mf_cursor_ok (in))
        return MF_PROTO_E_SIZE;
    if (chunk->length < 1 || chunk->length > MF_PROTO_CHUNK_MAX
    ||  chunk->offset >= chunk->total || chunk->length > chunk->total - chunk->offset)
        return MF_PROTO_E_FIELD;
    chunk->data = mf_cursor_get_span (in, chunk->length);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    return MF_PROTO_OK;
}

static mf_proto_error_t
s_decode_noorbit (mf_cursor_t *in, mf_orbit_id_t *orbit)
{
    s_get_id (in, orbit);
    return mf_cursor_done (in)? MF_PROTO_OK: MF_PROTO_E_SIZE;
}

static mf_proto_error_t
s_decode_decline (mf_cursor_t *in, mf_decline_t *decline)
{
    decline->job = mf_cursor_get_u32 (in);
    decline->tile = mf_cursor_get_u32 (in);
    decline->lease = mf_cursor_get_u32 (in);
    uint8_t reason = mf_cursor_get_u8 (in);
    bool reserved = s_get_reserved (in, 3);
    s_get_id (in, &decline->orbit);
    if (!mf_cursor_done (in))
        return MF_PROTO_E_SIZE;
    if (!reserved || reason < 1 || reason >= MF_DECLINE_COUNT)
        return MF_PROTO_E_FIELD;
    decline->reason = (mf_decline_reason_t) reason;
    return MF_PROTO_OK;
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
        case MF_MSG_DEEPTILE:
            verdict = s_decode_deeptile (&in, &msg->u.deeptile);
            break;
        case MF_MSG_FETCH:
            verdict = s_decode_fetch (&in, &msg->u.fetch);
            break;
        case MF_MSG_CHUNK:
            verdict = s_decode_chunk (&in, &msg->u.chunk);
            break;
        case MF_MSG_NOORBIT:
            verdict = s_decode_noorbit (&in, &msg->u.orbit);
            break;
        case MF_MSG_DECLINE:
            verdict = s_decode_decline (&in, &msg->u.decline);
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
