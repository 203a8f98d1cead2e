/*  mf_ship: see mf_ship.h. zstd's frame header is read with
    ZSTD_getFrameHeader, from zstd's "static linking only" section:
    Debian's libzstd exports it, and it is the one call that tells the
    window a frame needs before anything is decompressed. (The one-shot
    decompression below never allocates that window: the output buffer
    serves as one. The check keeps what the wire accepts what a streaming
    decoder, `zstd -d` included, would accept.)
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "mf_ship.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static mf_orbit_t *
s_fail (mf_ship_error_t *why, mf_ship_error_t reason, char *err, size_t errlen,
        const char *format, ...) __attribute__ ((format (printf, 5, 6)));

static mf_orbit_t *
s_fail (mf_ship_error_t *why, mf_ship_error_t reason, char *err, size_t errlen,
        const char *format, ...)
{
    if (why)
        *why = reason;
    if (err && errlen) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, errlen, format, args);
        va_end (args);
    }
    return NULL;
}

void
mf_ship_id (const uint8_t *raw, size_t size, mf_orbit_id_t *id)
{
    //  Picks the fastest implementation once; safe from any thread.
    if (sodium_init () < 0)
        abort ();           //  libsodium cannot start: nothing here can work
    crypto_generichash (id->bytes, MF_SHIP_ID_SIZE, raw, size, NULL, 0);
}

void
mf_ship_id_text (const mf_orbit_id_t *id, char *text)
{
    for (size_t index = 0; index < 8; index++)
        snprintf (text + 2 * index, 3, "%02x", id->bytes [index]);
}

int
mf_ship_pack (const uint8_t *raw, size_t size, mf_orbit_id_t *id, uint8_t **blob_p,
              size_t *blob_size, char *err, size_t errlen)
{
    *blob_p = NULL;
    *blob_size = 0;
    mf_ship_id (raw, size, id);
    size_t bound = ZSTD_compressBound (size);
    uint8_t *blob = malloc (bound? bound: 1);
    ZSTD_CCtx *cctx = ZSTD_createCCtx ();
    if (!blob || !cctx) {
        free (blob);
        ZSTD_freeCCtx (cctx);
        snprintf (err, errlen, "out of memory packing an orbit of %zu bytes", size);
        return -1;
    }
    //  compress2 knows the size: the header says it, and the window
    //  shrinks to the input where that is smaller than 2^27.
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, MF_SHIP_LEVEL);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_enableLongDistanceMatching, 1);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, MF_SHIP_WINDOW_LOG);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_contentSizeFlag, 1);
    size_t packed = ZSTD_compress2 (cctx, blob, bound, raw, size);
    ZSTD_freeCCtx (cctx);
    if (ZSTD_isError (packed)) {
        free (blob);
        snprintf (err, errlen, "cannot compress an orbit: %s", ZSTD_getErrorName (packed));
        return -1;
    }
    assert (packed <= mf_ship_blob_max (size));
    uint8_t *shrunk = realloc (blob, packed);
    *blob_p = shrunk? shrunk: blob;
    *blob_size = packed;
    return 0;
}

int
mf_ship_pack_orbit (const mf_orbit_t *orbit, mf_orbit_id_t *id, uint8_t **blob_p,
                    size_t *blob_size, uint64_t *raw_size, char *err, size_t errlen)
{
    size_t size = mf_orbit_encoded_size (orbit);
    uint8_t *raw = malloc (size);
    if (!raw) {
        snprintf (err, errlen, "out of memory encoding an orbit of %zu bytes", size);
        return -1;
    }
    size_t written = mf_orbit_encode (orbit, raw, size);
    assert (written == size);
    int rc = mf_ship_pack (raw, size, id, blob_p, blob_size, err, errlen);
    free (raw);
    *raw_size = size;
    return rc;
}

uint8_t *
mf_ship_inflate (const uint8_t *blob, size_t blob_size, uint64_t raw_size, uint64_t limit,
                 mf_ship_error_t *why, char *err, size_t errlen)
{
    if (raw_size > limit || raw_size > SIZE_MAX) {
        s_fail (why, MF_SHIP_E_LIMIT, err, errlen, "the orbit declares %llu bytes, more than "
                "the %llu allowed", (unsigned long long) raw_size, (unsigned long long) limit);
        return NULL;
    }
    ZSTD_frameHeader header;
    if (!blob || ZSTD_getFrameHeader (&header, blob, blob_size) != 0
    ||  header.frameType != ZSTD_frame) {
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit is not a zstd frame");
        return NULL;
    }
    if (header.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN) {
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit's frame does not say "
                "its size");
        return NULL;
    }
    if (header.frameContentSize != raw_size) {
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit's frame holds %llu "
                "bytes, its lease says %llu", header.frameContentSize,
                (unsigned long long) raw_size);
        return NULL;
    }
    if (header.windowSize > (1ULL << MF_SHIP_WINDOW_LOG)) {
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit's frame needs a window "
                "of %llu bytes, more than 2^%d", header.windowSize, MF_SHIP_WINDOW_LOG);
        return NULL;
    }
    size_t frame = ZSTD_findFrameCompressedSize (blob, blob_size);
    if (ZSTD_isError (frame) || frame != blob_size) {
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit is %s",
                ZSTD_isError (frame)? "a truncated or damaged frame"
                                    : "one frame followed by more bytes");
        return NULL;
    }
    uint8_t *raw = malloc (raw_size? (size_t) raw_size: 1);
    ZSTD_DCtx *dctx = ZSTD_createDCtx ();
    if (!raw || !dctx) {
        free (raw);
        ZSTD_freeDCtx (dctx);
        s_fail (why, MF_SHIP_E_MEMORY, err, errlen, "out of memory for an orbit of %llu bytes",
                (unsigned long long) raw_size);
        return NULL;
    }
    ZSTD_DCtx_setParameter (dctx, ZSTD_d_windowLogMax, MF_SHIP_WINDOW_LOG);
    //  The output buffer is exactly the declared size: a frame that holds
    //  more fails (dstSize_tooSmall), one that holds less fails too
    //  (zstd compares what it wrote with the header's content size).
    size_t got = ZSTD_decompressDCtx (dctx, raw, (size_t) raw_size, blob, blob_size);
    ZSTD_freeDCtx (dctx);
    if (ZSTD_isError (got) || got != raw_size) {
        free (raw);
        s_fail (why, MF_SHIP_E_FRAME, err, errlen, "the shipped orbit does not decompress to "
                "its %llu bytes: %s", (unsigned long long) raw_size,
                ZSTD_isError (got)? ZSTD_getErrorName (got): "short");
        return NULL;
    }
    if (why)
        *why = MF_SHIP_OK;
    return raw;
}

mf_orbit_t *
mf_ship_unpack (const uint8_t *blob, size_t blob_size, uint64_t raw_size,
                const mf_orbit_id_t *id, uint64_t limit, mf_ship_error_t *why,
                char *err, size_t errlen)
{
    uint8_t *raw = mf_ship_inflate (blob, blob_size, raw_size, limit, why, err, errlen);
    if (!raw)
        return NULL;
    mf_orbit_id_t got;
    mf_ship_id (raw, (size_t) raw_size, &got);
    if (!mf_orbit_id_equal (&got, id)) {
        free (raw);
        char want_text [17], got_text [17];
        mf_ship_id_text (id, want_text);
        mf_ship_id_text (&got, got_text);
        return s_fail (why, MF_SHIP_E_HASH, err, errlen, "the orbit's bytes hash to %s..., "
                       "not to its id %s...", got_text, want_text);
    }
    char reason [256];
    mf_orbit_t *orbit = mf_orbit_decode (raw, (size_t) raw_size, reason, sizeof reason);
    free (raw);
    if (!orbit)
        return s_fail (why, strncmp (reason, "out of memory", 13) == 0? MF_SHIP_E_MEMORY
                                                                      : MF_SHIP_E_ORBIT,
                       err, errlen, "%s", reason);
    if (why)
        *why = MF_SHIP_OK;
    return orbit;
}

const char *
mf_ship_error_name (mf_ship_error_t why)
{
    static const char *names [MF_SHIP_E_COUNT] = {
        "ok", "limit", "frame", "hash", "orbit", "memory"
    };
    return (unsigned) why < MF_SHIP_E_COUNT? names [why]: "unknown";
}
