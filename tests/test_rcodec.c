/*  mf_rcodec: a RESULT's compressed mu (encoding 1). Round trips, bit
    for bit, of real tiles (the default view, whole, in tiles of 128, at
    no more than the 1.5 bytes a pixel the wire aims at; a deep tile in
    f64), of edge cases (1 x 1, 1024 x 1024 in both formats, all
    interior, noise, every odd bit pattern: -0, NaN, infinities,
    subnormals, all ones). The format is pinned from both sides by a
    stranger's codec written from docs/PROTOCOL.md alone: what we encode
    it decodes, and what it encodes (at another zstd level) we decode.
    Then every refusal, each for its own reason: nothing, bytes that are
    not zstd, a skippable frame, a frame that does not say its size, one
    of another size (either way), a zip bomb whose header declares the
    tile's size, a window of 2^24, a dictionary, a truncated frame, one
    followed by a byte, two frames.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "deep_locations.h"
#include "helpers.h"
#include "mf_deep.h"
#include "mf_kernel.h"
#include "mf_le.h"
#include "mf_orbit.h"
#include "mf_perturb.h"
#include "mf_proto.h"
#include "mf_rcodec.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define TILE 128                        //  the farm's default tile edge, pixels

//  ---- the stranger's codec, from docs/PROTOCOL.md ("RESULT's encodings")

static uint64_t
s_word (const uint8_t *p, size_t word)
{
    return word == 4? mf_le_get_u32 (p): mf_le_get_u64 (p);
}

//  The guess for word (x, y) of a tile of width w whose words are at raw.
static uint64_t
s_guess (const uint8_t *raw, size_t word, uint32_t w, uint32_t x, uint32_t y)
{
    size_t at = (size_t) y * w + x;
    if (x > 0 && y > 0)
        return s_word (raw + (at - 1) * word, word) + s_word (raw + (at - w) * word, word)
             - s_word (raw + (at - w - 1) * word, word);
    if (x > 0)
        return s_word (raw + (at - 1) * word, word);
    if (y > 0)
        return s_word (raw + (at - w) * word, word);
    return 0;
}

//  Encodes at the given zstd level; returns a new buffer of *size bytes.
static uint8_t *
s_stranger_encode (const uint8_t *raw, size_t word, uint32_t w, uint32_t h, int level,
                   size_t *size)
{
    size_t n = (size_t) w * h, bytes = n * word;
    unsigned bits = (unsigned) word * 8;
    uint64_t mask = bits == 64? UINT64_MAX: (1ULL << bits) - 1;
    uint8_t *planes = malloc (bytes);
    ck_assert_ptr_nonnull (planes);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t) y * w + x;
            uint64_t d = (s_word (raw + i * word, word) - s_guess (raw, word, w, x, y)) & mask;
            //  d read as a signed integer of the word's width: 2d, or -2d - 1.
            bool negative = (d >> (bits - 1)) & 1;
            uint64_t z = negative? ((~d & mask) << 1 | 1) & mask: (d << 1) & mask;
            for (size_t k = 0; k < word; k++)
                planes [k * n + i] = (uint8_t) (z >> (8 * k));
        }
    size_t bound = ZSTD_compressBound (bytes);
    uint8_t *frame = malloc (bound);
    ck_assert_ptr_nonnull (frame);
    *size = ZSTD_compress (frame, bound, planes, bytes, level);
    ck_assert (!ZSTD_isError (*size));
    free (planes);
    return frame;
}

//  Decodes a frame; returns a new buffer of the raw words.
static uint8_t *
s_stranger_decode (const uint8_t *frame, size_t size, size_t word, uint32_t w, uint32_t h)
{
    size_t n = (size_t) w * h, bytes = n * word;
    unsigned bits = (unsigned) word * 8;
    uint64_t mask = bits == 64? UINT64_MAX: (1ULL << bits) - 1;
    uint8_t *planes = malloc (bytes), *raw = malloc (bytes);
    ck_assert (planes && raw);
    ck_assert_uint_eq (ZSTD_decompress (planes, bytes, frame, size), bytes);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t) y * w + x;
            uint64_t z = 0;
            for (size_t k = 0; k < word; k++)
                z |= (uint64_t) planes [k * n + i] << (8 * k);
            uint64_t d = z & 1? ~(z >> 1) & mask: z >> 1;
            uint64_t v = (s_guess (raw, word, w, x, y) + d) & mask;
            if (word == 4)
                mf_le_put_u32 (raw + i * word, (uint32_t) v);
            else
                mf_le_put_u64 (raw + i * word, v);
        }
    free (planes);
    return raw;
}

//  ---- helpers

//  Encodes and decodes raw with the codec, and with the stranger's both
//  ways; every one must give the same bits. Returns the encoded size,
//  or 0 when the codec would send it raw.
static size_t
s_round_trip (mf_rcodec_t *codec, const uint8_t *raw, size_t word, uint32_t w, uint32_t h)
{
    size_t bytes = word * w * h, size = 0;
    const uint8_t *packed = mf_rcodec_encode (codec, word, w, h, raw, &size);
    if (packed) {
        ck_assert (size >= 1 && size < bytes);
        uint8_t *copy = malloc (size);
        ck_assert_ptr_nonnull (copy);
        memcpy (copy, packed, size);
        uint8_t *theirs = s_stranger_decode (copy, size, word, w, h);
        ck_assert_msg (memcmp (theirs, raw, bytes) == 0, "the stranger decodes other bits");
        free (theirs);
        char err [256] = "";
        const uint8_t *back = mf_rcodec_decode (codec, word, w, h, copy, size, err, sizeof err);
        ck_assert_msg (back != NULL, "%s", err);
        ck_assert_msg (memcmp (back, raw, bytes) == 0, "other bits back, %ux%u", w, h);
        free (copy);
    }
    //  The stranger's frame, at another level, decodes to the same bits,
    //  whether or not it is smaller than raw (the size is mf_proto's to
    //  judge).
    size_t theirs_size;
    uint8_t *theirs = s_stranger_encode (raw, word, w, h, 3, &theirs_size);
    char err [256] = "";
    const uint8_t *back = mf_rcodec_decode (codec, word, w, h, theirs, theirs_size, err,
                                            sizeof err);
    ck_assert_msg (back != NULL, "%s", err);
    ck_assert (memcmp (back, raw, bytes) == 0);
    free (theirs);
    return packed? size: 0;
}

//  A default view tile's mu (f32 from the best kernel), as raw bytes.
static void
s_shallow_tile (const mf_view_t *view, uint32_t maxiter, mf_rect_t rect, uint8_t *raw)
{
    mf_mapping_t map;
    mf_view_mapping (view, &map);
    mf_task_t task = { map, maxiter, rect };
    float *mu = malloc ((size_t) rect.w * rect.h * sizeof *mu);
    ck_assert_ptr_nonnull (mu);
    mf_kernel_best ()->fn (&task, mu, NULL);
    mf_le_put_f32s (raw, mu, (size_t) rect.w * rect.h);
    free (mu);
}

//  Expects a refusal whose one line holds what.
static void
s_refused (mf_rcodec_t *codec, size_t word, uint32_t w, uint32_t h, const uint8_t *src,
           size_t size, const char *what)
{
    char err [256] = "";
    ck_assert_ptr_null (mf_rcodec_decode (codec, word, w, h, src, size, err, sizeof err));
    ck_assert_msg (strstr (err, what) != NULL, "'%s' does not say '%s'", err, what);
    ck_assert_ptr_null (strchr (err, '\n'));
}

//  A frame of a smooth 128 x 128 f32 tile, compressed with window log
//  window_log (0: zstd's choice) and the content size said or not; a new
//  buffer of *size bytes.
static uint8_t *
s_frame (int window_log, bool say_size, uint8_t **raw_p, size_t *size)
{
    size_t bytes = 4 * TILE * TILE;
    uint8_t *raw = malloc (bytes);
    ck_assert_ptr_nonnull (raw);
    mf_view_t view = { -0.75, 0, 3.5, 1920, 1080 };
    s_shallow_tile (&view, 1000, (mf_rect_t) { 512, 384, TILE, TILE }, raw);
    size_t theirs_size;
    uint8_t *theirs = s_stranger_encode (raw, 4, TILE, TILE, 1, &theirs_size);
    uint8_t *planes = malloc (bytes);
    ck_assert_uint_eq (ZSTD_decompress (planes, bytes, theirs, theirs_size), bytes);
    free (theirs);
    ZSTD_CCtx *cctx = ZSTD_createCCtx ();
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_contentSizeFlag, say_size? 1: 0);
    if (window_log)
        ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, window_log);
    size_t bound = ZSTD_compressBound (bytes) + 16;
    uint8_t *frame = malloc (bound);
    ck_assert_ptr_nonnull (frame);
    if (say_size)
        *size = ZSTD_compress2 (cctx, frame, bound, planes, bytes);
    else {
        //  Streamed without a pledged size: the header cannot say it.
        ZSTD_outBuffer out = { frame, bound, 0 };
        ZSTD_inBuffer in = { planes, bytes, 0 };
        ck_assert_uint_eq (ZSTD_compressStream2 (cctx, &out, &in, ZSTD_e_end), 0);
        *size = out.pos;
    }
    ck_assert (!ZSTD_isError (*size));
    ZSTD_freeCCtx (cctx);
    free (planes);
    *raw_p = raw;
    return frame;
}

//  ---- tests

START_TEST (default_view_round_trips)
{
    //  The whole default view, 1920 x 1080 in tiles of 128: every tile
    //  comes back bit for bit, and the wire's aim holds.
    mf_rcodec_t *codec = mf_rcodec_new ();
    ck_assert_ptr_nonnull (codec);
    mf_view_t view = { -0.75, 0, 3.5, 1920, 1080 };
    uint8_t *raw = malloc (4 * TILE * TILE);
    double wire = 0;
    for (uint32_t y = 0; y < view.pixel_h; y += TILE)
        for (uint32_t x = 0; x < view.pixel_w; x += TILE) {
            mf_rect_t rect = { x, y, view.pixel_w - x < TILE? view.pixel_w - x: TILE,
                               view.pixel_h - y < TILE? view.pixel_h - y: TILE };
            s_shallow_tile (&view, 1000, rect, raw);
            size_t size = s_round_trip (codec, raw, 4, rect.w, rect.h);
            wire += size? (double) size: 4.0 * rect.w * rect.h;
        }
    double per_pixel = wire / (1920.0 * 1080.0);
    ck_assert_msg (per_pixel <= 1.5, "%.3f bytes a pixel", per_pixel);
    free (raw);
    mf_rcodec_destroy (&codec);
    mf_rcodec_destroy (&codec);
    ck_assert_ptr_null (codec);
}
END_TEST

START_TEST (deep_tile_round_trips)
{
    //  A deep tile's f64 mu (the line location, 1.4e28), from the
    //  perturbation kernel.
    char err [256];
    mf_deep_view_t *view = mf_deep_view_new (LOC_LINE_CENTER, NULL, LOC_LINE_ZOOM, 256, 128, err,
                                             sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    mf_orbit_t *orbit = mf_orbit_compute (view, LOC_LINE_ITER, NULL, err, sizeof err);
    ck_assert_msg (orbit != NULL, "%s", err);
    mf_bla_t *bla = mf_bla_new (orbit, mf_deep_map_cmax (&map), err, sizeof err);
    ck_assert_msg (bla != NULL, "%s", err);
    mf_perturb_task_t task = { .map = &map, .bla = bla, .maxiter = LOC_LINE_ITER,
                               .rect = { 64, 0, TILE, TILE } };
    double *mu = malloc (TILE * TILE * sizeof *mu);
    uint8_t *raw = malloc (8 * TILE * TILE);
    mf_perturb_stats_t stats = { 0 };
    ck_assert_int_eq (mf_perturb_best ()->fn (&task, mu, &stats), 0);
    mf_proto_put_f64s (raw, mu, TILE * TILE);
    mf_rcodec_t *codec = mf_rcodec_new ();
    size_t size = s_round_trip (codec, raw, 8, TILE, TILE);
    ck_assert_msg (size > 0, "a deep tile does not shrink");
    mf_rcodec_destroy (&codec);
    free (raw);
    free (mu);
    mf_bla_destroy (&bla);
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&view);
}
END_TEST

START_TEST (edge_cases_round_trip)
{
    mf_rcodec_t *codec = mf_rcodec_new ();
    size_t most = 8 * 1024 * 1024;
    uint8_t *raw = malloc (most);
    ck_assert_ptr_nonnull (raw);
    //  1 x 1: never smaller than raw, so the codec says send raw; the
    //  stranger's frame of it still decodes.
    mf_le_put_f32 (raw, 17.25f);
    ck_assert_uint_eq (s_round_trip (codec, raw, 4, 1, 1), 0);
    mf_le_put_f64 (raw, -1.0);
    ck_assert_uint_eq (s_round_trip (codec, raw, 8, 1, 1), 0);
    //  1024 x 1024, smooth with an interior disc, in both formats.
    for (size_t word = 4; word <= 8; word += 4)
        for (uint32_t y = 0; y < 1024; y++)
            for (uint32_t x = 0; x < 1024; x++) {
                double dx = x - 600.0, dy = y - 400.0;
                double v = dx * dx + dy * dy < 150.0 * 150.0? -1.0
                         : 40.0 + 0.01 * x + 7.0 * sin (y / 50.0);
                size_t at = ((size_t) y * 1024 + x) * word;
                if (word == 4)
                    mf_le_put_f32 (raw + at, (float) v);
                else
                    mf_le_put_f64 (raw + at, v);
                if (x == 1023 && y == 1023)
                    ck_assert_uint_gt (s_round_trip (codec, raw, word, 1024, 1024), 0);
            }
    //  All interior: a handful of bytes.
    for (size_t index = 0; index < 1024 * 1024; index++)
        mf_le_put_f32 (raw + 4 * index, -1.0f);
    size_t size = s_round_trip (codec, raw, 4, 1024, 1024);
    ck_assert_msg (size > 0 && size < 1024, "%zu bytes", size);
    //  Noise does not shrink: sent raw.
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (size_t index = 0; index < 8 * TILE * TILE; index++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        raw [index] = (uint8_t) (state >> 56);
    }
    ck_assert_uint_eq (s_round_trip (codec, raw, 4, TILE, TILE), 0);
    ck_assert_uint_eq (s_round_trip (codec, raw, 8, TILE, TILE), 0);
    //  Every odd bit pattern among smooth values, in odd shapes: exact.
    static const uint32_t odd32 [] = { 0x80000000u, 0x7fc00000u, 0xffc00001u, 0x7f800000u,
                                       0xff800000u, 0x00000001u, 0x807fffffu, 0xffffffffu,
                                       0x00000000u, 0xbf800000u };
    static const uint64_t odd64 [] = { 0x8000000000000000ULL, 0x7ff8000000000001ULL,
                                       0xfff0000000000000ULL, 0x0000000000000001ULL,
                                       0xffffffffffffffffULL, 0xbff0000000000000ULL };
    uint32_t shapes [] [2] = { { 1024, 1 }, { 1, 1024 }, { 3, 700 }, { 333, 77 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes [0]; s++) {
        uint32_t w = shapes [s][0], h = shapes [s][1];
        for (size_t index = 0; index < (size_t) w * h; index++) {
            mf_le_put_f32 (raw + 4 * index, 100.0f + (float) (index % w) * 0.125f);
            if (index % 13 == 0)
                mf_le_put_u32 (raw + 4 * index, odd32 [index / 13 % 10]);
        }
        s_round_trip (codec, raw, 4, w, h);
        for (size_t index = 0; index < (size_t) w * h; index++) {
            mf_le_put_f64 (raw + 8 * index, 100.0 + (double) (index % w) * 0.125);
            if (index % 11 == 0)
                mf_le_put_u64 (raw + 8 * index, odd64 [index / 11 % 6]);
        }
        s_round_trip (codec, raw, 8, w, h);
    }
    free (raw);
    mf_rcodec_destroy (&codec);
}
END_TEST

START_TEST (frames_refused)
{
    mf_rcodec_t *codec = mf_rcodec_new ();
    uint8_t *raw;
    size_t size;
    uint8_t *frame = s_frame (0, true, &raw, &size);
    char err [256] = "";
    const uint8_t *back = mf_rcodec_decode (codec, 4, TILE, TILE, frame, size, err, sizeof err);
    ck_assert_msg (back && memcmp (back, raw, 4 * TILE * TILE) == 0, "%s", err);
    //  Nothing, and bytes that are not zstd.
    s_refused (codec, 4, TILE, TILE, NULL, 0, "not a zstd frame");
    s_refused (codec, 4, TILE, TILE, frame, 0, "not a zstd frame");
    s_refused (codec, 4, TILE, TILE, frame, 3, "not a zstd frame");
    s_refused (codec, 4, TILE, TILE, raw, 4 * TILE * TILE - 1, "not a zstd frame");
    //  A skippable frame (magic 0x184D2A50, 4 bytes of length, then them).
    uint8_t skippable [16] = { 0x50, 0x2a, 0x4d, 0x18, 8 };
    s_refused (codec, 4, TILE, TILE, skippable, sizeof skippable, "not a zstd frame");
    //  The tile's size is not the frame's, either way.
    s_refused (codec, 4, TILE - 1, TILE, frame, size, "holds 65536 bytes");
    s_refused (codec, 8, TILE, TILE, frame, size, "holds 65536 bytes, the tile 131072");
    //  Truncated, followed by a byte, followed by a second frame.
    s_refused (codec, 4, TILE, TILE, frame, size - 1, "truncated");
    uint8_t *longer = malloc (2 * size);
    memcpy (longer, frame, size);
    longer [size] = 0;
    s_refused (codec, 4, TILE, TILE, longer, size + 1, "followed by more bytes");
    memcpy (longer + size, frame, size);
    s_refused (codec, 4, TILE, TILE, longer, 2 * size, "followed by more bytes");
    free (longer);
    free (frame);
    free (raw);
    //  A frame that does not say its size.
    frame = s_frame (0, false, &raw, &size);
    s_refused (codec, 4, TILE, TILE, frame, size, "does not say its size");
    free (frame);
    free (raw);
    mf_rcodec_destroy (&codec);
}
END_TEST

START_TEST (bombs_windows_dictionaries_refused)
{
    mf_rcodec_t *codec = mf_rcodec_new ();
    uint8_t *raw;
    size_t size;
    //  Window 2^10: the header has a window descriptor at byte 5 (not
    //  single-segment), and the content size in 2 bytes after it (64 KiB
    //  is 256 + 65280).
    uint8_t *frame = s_frame (10, true, &raw, &size);
    ck_assert_int_eq ((frame [4] >> 5) & 1, 0);
    ck_assert_int_eq (frame [4] >> 6, 1);
    ck_assert_int_eq (frame [4] & 3, 0);
    char err [256] = "";
    const uint8_t *back = mf_rcodec_decode (codec, 4, TILE, TILE, frame, size, err, sizeof err);
    ck_assert_msg (back && memcmp (back, raw, 4 * TILE * TILE) == 0, "%s", err);
    //  A window of 2^24 is refused; 2^23 is allowed.
    frame [5] = (24 - 10) << 3;
    s_refused (codec, 4, TILE, TILE, frame, size, "window of 16777216 bytes");
    frame [5] = (23 - 10) << 3;
    ck_assert_ptr_nonnull (mf_rcodec_decode (codec, 4, TILE, TILE, frame, size, err,
                                             sizeof err));
    frame [5] = 0;
    //  A frame whose header declares a smaller tile (127 x 128) than it
    //  holds: every size check passes, and the decompression must stop
    //  at that tile's buffer, not grow it.
    uint16_t said = mf_le_get_u16 (frame + 6);
    ck_assert_uint_eq (said + 256u, 65536u);
    mf_le_put_u16 (frame + 6, (uint16_t) (4 * 127 * 128 - 256));
    s_refused (codec, 4, 127, TILE, frame, size, "does not decompress to its 65024 bytes");
    //  ... and one declaring more than it holds fails the same way.
    mf_le_put_u16 (frame + 6, (uint16_t) (4 * 100 * 164 - 256));
    s_refused (codec, 4, 100, 164, frame, size, "does not decompress to its 65600 bytes");
    mf_le_put_u16 (frame + 6, said);
    //  A dictionary: the same frame with a 1-byte dictionary id after the
    //  window descriptor.
    uint8_t *dict = malloc (size + 1);
    memcpy (dict, frame, 6);
    dict [4] |= 1;
    dict [6] = 7;
    memcpy (dict + 7, frame + 6, size - 6);
    ZSTD_frameHeader header;
    ck_assert_uint_eq (ZSTD_getFrameHeader (&header, dict, size + 1), 0);
    ck_assert_uint_eq (header.dictID, 7);
    ck_assert_uint_eq (header.frameContentSize, 4 * TILE * TILE);
    s_refused (codec, 4, TILE, TILE, dict, size + 1, "needs a dictionary");
    free (dict);
    free (frame);
    free (raw);
    //  A real bomb: 8 MiB of zeros in a frame of a few hundred bytes,
    //  its header saying 64 KiB.
    size_t big = 8u << 20;
    uint8_t *zeros = calloc (1, big);
    ZSTD_CCtx *cctx = ZSTD_createCCtx ();
    size_t bound = ZSTD_compressBound (big);
    uint8_t *bomb = malloc (bound);
    size_t bomb_size = ZSTD_compress2 (cctx, bomb, bound, zeros, big);
    ck_assert (!ZSTD_isError (bomb_size) && bomb_size < 4096);
    ZSTD_freeCCtx (cctx);
    ck_assert_int_eq (bomb [4] >> 6, 2);                    //  4 bytes of content size,
    size_t head = ZSTD_frameHeaderSize (bomb, bomb_size);   //  the header's last field
    ck_assert (!ZSTD_isError (head));
    mf_le_put_u32 (bomb + head - 4, 4 * TILE * TILE);
    ZSTD_frameHeader header_bomb;
    ck_assert_uint_eq (ZSTD_getFrameHeader (&header_bomb, bomb, bomb_size), 0);
    ck_assert_uint_eq (header_bomb.frameContentSize, 4 * TILE * TILE);
    s_refused (codec, 4, TILE, TILE, bomb, bomb_size, "does not decompress");
    free (bomb);
    free (zeros);
    mf_rcodec_destroy (&codec);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("rcodec");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, default_view_round_trips);
    tcase_add_test (tc, deep_tile_round_trips);
    tcase_add_test (tc, edge_cases_round_trip);
    tcase_add_test (tc, frames_refused);
    tcase_add_test (tc, bombs_windows_dictionaries_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
