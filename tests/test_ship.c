/*  mf_ship: a real orbit (the line location, doubles; e318, floatexp)
    packs and unpacks to the same canonical bytes, named by BLAKE2b-256
    (checked against the published test vectors), in a zstd frame that
    says its size and needs no window beyond 2^27, which `zstd -d` reads
    back when it is installed. Then every refusal, each for its own
    reason and before anything beyond the caller's limit is allocated: a
    declared size beyond the limit, a frame of another size than
    declared (either way), a zip bomb whose header declares a small size,
    truncated and extended frames, a skippable frame, a window of 2^28,
    bytes that are not zstd, a wrong hash, and sound bytes that are not
    an orbit.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "deep_locations.h"
#include "helpers.h"
#include "mf_le.h"
#include "mf_ship.h"
#include "mf_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define LIMIT (64u << 20)               //  bytes the tests allow an orbit, unless they say
#define BOMB_BYTES (16u << 20)          //  bytes the zip bomb holds

typedef struct {
    mf_orbit_t *orbit;
    uint8_t *raw;                       //  its canonical bytes
    size_t raw_size;
    uint8_t *blob;                      //  shipped
    size_t blob_size;
    mf_orbit_id_t id;
} s_packed_t;

static void
s_pack (s_packed_t *packed, const char *center, const char *zoom, uint32_t maxiter)
{
    char err [256];
    memset (packed, 0, sizeof *packed);
    mf_deep_view_t *view = mf_deep_view_new (center, NULL, zoom, 64, 36, err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    packed->orbit = mf_orbit_compute (view, maxiter, NULL, err, sizeof err);
    ck_assert_msg (packed->orbit != NULL, "%s", err);
    mf_deep_view_destroy (&view);
    packed->raw_size = mf_orbit_encoded_size (packed->orbit);
    packed->raw = malloc (packed->raw_size);
    ck_assert_uint_eq (mf_orbit_encode (packed->orbit, packed->raw, packed->raw_size),
                       packed->raw_size);
    uint64_t raw_size;
    ck_assert_int_eq (mf_ship_pack_orbit (packed->orbit, &packed->id, &packed->blob,
                                          &packed->blob_size, &raw_size, err, sizeof err), 0);
    ck_assert_uint_eq (raw_size, packed->raw_size);
}

static void
s_free (s_packed_t *packed)
{
    mf_orbit_destroy (&packed->orbit);
    free (packed->raw);
    free (packed->blob);
}

//  Unpacks and expects a refusal for why; returns it.
static void
s_refused (const uint8_t *blob, size_t blob_size, uint64_t raw_size, const mf_orbit_id_t *id,
           uint64_t limit, mf_ship_error_t want, const char *words)
{
    char err [256] = "";
    mf_ship_error_t why = MF_SHIP_OK;
    mf_orbit_t *orbit = mf_ship_unpack (blob, blob_size, raw_size, id, limit, &why, err,
                                        sizeof err);
    ck_assert_msg (orbit == NULL, "accepted (wanted %s)", mf_ship_error_name (want));
    ck_assert_msg (why == want, "refused as %s (%s), wanted %s", mf_ship_error_name (why), err,
                   mf_ship_error_name (want));
    ck_assert_msg (strstr (err, words) && !strchr (err, '\n'), "'%s' does not say '%s'", err,
                   words);
}

START_TEST (id_is_blake2b_256)
{
    //  RFC 7693's "abc", and the empty input, as BLAKE2b-256.
    static const uint8_t abc [32] = {
        0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72, 0x31, 0x71, 0xef, 0x3f, 0xee, 0x98,
        0x57, 0x9b, 0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e, 0x42, 0x72, 0x62, 0xc8, 0xc0,
        0x68, 0xd5, 0x23, 0x19
    };
    static const uint8_t empty [32] = {
        0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2, 0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99,
        0xda, 0xa1, 0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87, 0xfa, 0xab, 0x45, 0xcd,
        0xf1, 0x2f, 0xe3, 0xa8
    };
    mf_orbit_id_t id;
    mf_ship_id ((const uint8_t *) "abc", 3, &id);
    ck_assert (memcmp (id.bytes, abc, 32) == 0);
    mf_ship_id ((const uint8_t *) "", 0, &id);
    ck_assert (memcmp (id.bytes, empty, 32) == 0);
    char text [17];
    mf_ship_id_text (&id, text);
    ck_assert_str_eq (text, "0e5751c026e543b2");
    mf_orbit_id_t other = id;
    ck_assert (mf_orbit_id_equal (&id, &other));
    other.bytes [31] ^= 1;
    ck_assert (!mf_orbit_id_equal (&id, &other));
}
END_TEST

START_TEST (orbits_round_trip)
{
    struct { const char *center, *zoom; uint32_t maxiter; mf_delta_t type; } cases [] = {
        { LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, MF_DELTA_DOUBLE },
        { LOC_E318_CENTER, LOC_E318_ZOOM, 3000, MF_DELTA_FEXP },
    };
    for (size_t index = 0; index < 2; index++) {
        s_packed_t packed;
        s_pack (&packed, cases [index].center, cases [index].zoom, cases [index].maxiter);
        ck_assert_int_eq (mf_orbit_type (packed.orbit), cases [index].type);
        //  The id is the hash of the canonical bytes.
        mf_orbit_id_t id;
        mf_ship_id (packed.raw, packed.raw_size, &id);
        ck_assert (mf_orbit_id_equal (&id, &packed.id));
        ck_assert_uint_le (packed.blob_size, mf_ship_blob_max (packed.raw_size));
        //  One frame that says its size, with a window of at most 2^27.
        ZSTD_frameHeader header;
        ck_assert_uint_eq (ZSTD_getFrameHeader (&header, packed.blob, packed.blob_size), 0);
        ck_assert_uint_eq (header.frameContentSize, packed.raw_size);
        ck_assert_uint_le (header.windowSize, 1u << MF_SHIP_WINDOW_LOG);
        ck_assert_uint_eq (ZSTD_findFrameCompressedSize (packed.blob, packed.blob_size),
                           packed.blob_size);
        //  Unpacked: the same bytes, at a limit of exactly its size too.
        char err [256];
        mf_ship_error_t why;
        mf_orbit_t *back = mf_ship_unpack (packed.blob, packed.blob_size, packed.raw_size,
                                           &packed.id, packed.raw_size, &why, err, sizeof err);
        ck_assert_msg (back != NULL, "%s", err);
        ck_assert_int_eq (why, MF_SHIP_OK);
        uint8_t *again = malloc (packed.raw_size);
        ck_assert_uint_eq (mf_orbit_encode (back, again, packed.raw_size), packed.raw_size);
        ck_assert (memcmp (again, packed.raw, packed.raw_size) == 0);
        printf ("orbits_round_trip: %s, %zu bytes raw, %zu shipped\n",
                cases [index].type == MF_DELTA_FEXP? "floatexp": "double", packed.raw_size,
                packed.blob_size);
        free (again);
        mf_orbit_destroy (&back);
        s_free (&packed);
    }
}
END_TEST

START_TEST (zstd_reads_what_we_ship)
{
    //  The blob is an ordinary zstd frame: the command line tool (as a
    //  stranger's worker might use) gives back the canonical bytes.
    char *zstd = NULL;
    const char *candidates [] = { "/usr/bin/zstd", "/bin/zstd", "/usr/local/bin/zstd" };
    for (size_t index = 0; index < 3 && !zstd; index++)
        if (th_exists (candidates [index]))
            zstd = (char *) candidates [index];
    if (!zstd) {
        th_skip ("no zstd command here");
        return;
    }
    th_dir_setup ();
    s_packed_t packed;
    s_pack (&packed, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    char *in = th_path ("orbit.zst"), *out = th_path ("orbit");
    FILE *file = fopen (in, "wb");
    ck_assert (file && fwrite (packed.blob, 1, packed.blob_size, file) == packed.blob_size);
    fclose (file);
    char *argv [] = { zstd, "-q", "-d", "--long=27", in, "-o", out, NULL };
    char output [512];
    ck_assert_int_eq (th_run (argv, 20000, output, sizeof output), 0);
    size_t size;
    uint8_t *bytes = th_slurp (out, &size);
    ck_assert (bytes && size == packed.raw_size && memcmp (bytes, packed.raw, size) == 0);
    free (bytes);
    free (in);
    free (out);
    s_free (&packed);
    th_dir_teardown ();
}
END_TEST

START_TEST (declared_sizes_refused)
{
    s_packed_t p;
    s_pack (&p, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    //  Beyond the caller's limit: refused before anything else.
    s_refused (p.blob, p.blob_size, p.raw_size, &p.id, p.raw_size - 1, MF_SHIP_E_LIMIT,
               "more than");
    s_refused (NULL, 0, UINT64_MAX, &p.id, LIMIT, MF_SHIP_E_LIMIT, "more than");
    //  The frame holds another size than the lease declares, either way.
    s_refused (p.blob, p.blob_size, p.raw_size - 16, &p.id, LIMIT, MF_SHIP_E_FRAME,
               "its lease says");
    s_refused (p.blob, p.blob_size, p.raw_size + 16, &p.id, LIMIT, MF_SHIP_E_FRAME,
               "its lease says");
    //  Right size, wrong name.
    mf_orbit_id_t wrong = p.id;
    wrong.bytes [0] ^= 0x80;
    s_refused (p.blob, p.blob_size, p.raw_size, &wrong, LIMIT, MF_SHIP_E_HASH, "hash to");
    s_free (&p);
}
END_TEST

START_TEST (damaged_frames_refused)
{
    s_packed_t p;
    s_pack (&p, LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER);
    //  Truncated anywhere, extended by a byte.
    size_t cuts [] = { 0, 3, 5, p.blob_size / 2, p.blob_size - 1 };
    for (size_t index = 0; index < sizeof cuts / sizeof cuts [0]; index++) {
        uint8_t *copy = malloc (cuts [index] + 1);
        memcpy (copy, p.blob, cuts [index]);
        s_refused (copy, cuts [index], p.raw_size, &p.id, LIMIT, MF_SHIP_E_FRAME,
                   "shipped orbit");
        free (copy);
    }
    uint8_t *longer = malloc (p.blob_size + 1);
    memcpy (longer, p.blob, p.blob_size);
    longer [p.blob_size] = 0;
    s_refused (longer, p.blob_size + 1, p.raw_size, &p.id, LIMIT, MF_SHIP_E_FRAME,
               "followed by more bytes");
    free (longer);
    //  A flipped bit in a compressed block: zstd notices, or the hash.
    uint8_t *flipped = malloc (p.blob_size);
    memcpy (flipped, p.blob, p.blob_size);
    flipped [p.blob_size / 2] ^= 0x10;
    char err [256];
    mf_ship_error_t why;
    ck_assert (!mf_ship_unpack (flipped, p.blob_size, p.raw_size, &p.id, LIMIT, &why, err,
                                sizeof err));
    ck_assert_msg (why == MF_SHIP_E_FRAME || why == MF_SHIP_E_HASH, "%s",
                   mf_ship_error_name (why));
    free (flipped);
    //  Not zstd at all; a skippable frame (magic 0x184D2A50).
    uint8_t junk [64];
    for (size_t index = 0; index < sizeof junk; index++)
        junk [index] = (uint8_t) (index * 37 + 11);
    s_refused (junk, sizeof junk, p.raw_size, &p.id, LIMIT, MF_SHIP_E_FRAME, "not a zstd frame");
    uint8_t skippable [12] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4 };
    s_refused (skippable, sizeof skippable, p.raw_size, &p.id, LIMIT, MF_SHIP_E_FRAME,
               "not a zstd frame");
    s_free (&p);
}
END_TEST

//  Compresses size bytes of zeros into a new frame (the caller frees),
//  with windowLog window (0: zstd's choice) and the content size flag.
static uint8_t *
s_zeros_frame (size_t size, int window, bool content_size, size_t *frame_size)
{
    uint8_t *zeros = calloc (1, size? size: 1);
    size_t bound = ZSTD_compressBound (size);
    uint8_t *frame = malloc (bound);
    ZSTD_CCtx *cctx = ZSTD_createCCtx ();
    ck_assert (zeros && frame && cctx);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_contentSizeFlag, content_size);
    if (window)
        ZSTD_CCtx_setParameter (cctx, ZSTD_c_windowLog, window);
    size_t written;
    if (content_size)
        written = ZSTD_compress2 (cctx, frame, bound, zeros, size);
    else {
        //  Streamed without a pledged size: the header cannot say it.
        ZSTD_outBuffer out = { frame, bound, 0 };
        ZSTD_inBuffer in = { zeros, size, 0 };
        written = ZSTD_compressStream2 (cctx, &out, &in, ZSTD_e_end);
        ck_assert_uint_eq (written, 0);
        written = out.pos;
    }
    ck_assert (!ZSTD_isError (written));
    ZSTD_freeCCtx (cctx);
    free (zeros);
    *frame_size = written;
    return frame;
}

//  The offset of the Frame_Content_Size field of a frame, and its size
//  (RFC 8878, 3.1.1.1).
static size_t
s_fcs_at (const uint8_t *frame, size_t *field)
{
    uint8_t descriptor = frame [4];
    int flag = descriptor >> 6, single = (descriptor >> 5) & 1, dict = descriptor & 3;
    static const size_t dict_sizes [4] = { 0, 1, 2, 4 };
    static const size_t fcs_sizes [4] = { 0, 2, 4, 8 };
    *field = flag == 0? (single? 1: 0): fcs_sizes [flag];
    return 5 + (single? 0: 1) + dict_sizes [dict];
}

START_TEST (zip_bombs_refused)
{
    //  A frame of 16 MiB of zeros (a few hundred bytes), its header
    //  rewritten to declare 1000: the lease says 1000 too, so every size
    //  matches, and the decompression must stop at the 1000-byte buffer.
    size_t size;
    uint8_t *bomb = s_zeros_frame (BOMB_BYTES, 0, true, &size);
    size_t field;
    size_t at = s_fcs_at (bomb, &field);
    ck_assert_uint_eq (field, 4);
    mf_le_put_u32 (bomb + at, 1000);
    ZSTD_frameHeader header;
    ck_assert_uint_eq (ZSTD_getFrameHeader (&header, bomb, size), 0);
    ck_assert_uint_eq (header.frameContentSize, 1000);
    mf_orbit_id_t id = { { 0 } };
    s_refused (bomb, size, 1000, &id, LIMIT, MF_SHIP_E_FRAME, "does not decompress");
    //  Declaring more than it holds fails the same way.
    mf_le_put_u32 (bomb + at, BOMB_BYTES + 1000);
    s_refused (bomb, size, BOMB_BYTES + 1000, &id, LIMIT, MF_SHIP_E_FRAME,
               "does not decompress");
    //  Honest about its 16 MiB: beyond a limit of 1 MiB, refused before
    //  any allocation; a lease that says 1000 is contradicted.
    mf_le_put_u32 (bomb + at, BOMB_BYTES);
    s_refused (bomb, size, BOMB_BYTES, &id, 1u << 20, MF_SHIP_E_LIMIT, "more than");
    s_refused (bomb, size, 1000, &id, LIMIT, MF_SHIP_E_FRAME, "its lease says");
    free (bomb);
    //  A frame that does not say its size.
    bomb = s_zeros_frame (100000, 0, false, &size);
    s_refused (bomb, size, 100000, &id, LIMIT, MF_SHIP_E_FRAME, "does not say its size");
    free (bomb);
}
END_TEST

START_TEST (large_window_refused)
{
    //  4 KiB with a window of 2^10 bytes: the header has a window
    //  descriptor. Rewritten to 2^28 (exponent 18), it asks for more
    //  than the 2^27 a worker grants.
    size_t size;
    uint8_t *frame = s_zeros_frame (4096, 10, true, &size);
    ck_assert_int_eq ((frame [4] >> 5) & 1, 0);             //  not single-segment
    ZSTD_frameHeader header;
    ck_assert_uint_eq (ZSTD_getFrameHeader (&header, frame, size), 0);
    ck_assert_uint_eq (header.windowSize, 1024);
    uint8_t *raw = NULL;
    mf_ship_error_t why;
    char err [256];
    raw = mf_ship_inflate (frame, size, 4096, LIMIT, &why, err, sizeof err);
    ck_assert_msg (raw != NULL, "%s", err);                 //  as made: fine
    free (raw);
    frame [5] = (28 - 10) << 3;
    mf_orbit_id_t id = { { 0 } };
    s_refused (frame, size, 4096, &id, LIMIT, MF_SHIP_E_FRAME, "window");
    frame [5] = (27 - 10) << 3;                             //  2^27: allowed
    raw = mf_ship_inflate (frame, size, 4096, LIMIT, &why, err, sizeof err);
    ck_assert_msg (raw != NULL, "%s", err);
    free (raw);
    free (frame);
}
END_TEST

START_TEST (not_an_orbit_refused)
{
    //  Sound zstd, the right hash, but the bytes are no canonical orbit.
    uint8_t bytes [48 + 2 * 16] = { 'M', 'F', 'R', 'O', 9 };   //  version 9
    mf_orbit_id_t id;
    uint8_t *blob;
    size_t size;
    char err [256];
    ck_assert_int_eq (mf_ship_pack (bytes, sizeof bytes, &id, &blob, &size, err, sizeof err), 0);
    s_refused (blob, size, sizeof bytes, &id, LIMIT, MF_SHIP_E_ORBIT, "reference orbit");
    //  mf_ship_inflate alone takes them (it does not read them).
    mf_ship_error_t why;
    uint8_t *raw = mf_ship_inflate (blob, size, sizeof bytes, LIMIT, &why, err, sizeof err);
    ck_assert (raw && memcmp (raw, bytes, sizeof bytes) == 0);
    free (raw);
    free (blob);
    ck_assert_str_eq (mf_ship_error_name (MF_SHIP_E_HASH), "hash");
    ck_assert_str_eq (mf_ship_error_name ((mf_ship_error_t) 99), "unknown");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("ship");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, id_is_blake2b_256);
    tcase_add_test (tc, orbits_round_trip);
    tcase_add_test (tc, zstd_reads_what_we_ship);
    tcase_add_test (tc, declared_sizes_refused);
    tcase_add_test (tc, damaged_frames_refused);
    tcase_add_test (tc, zip_bombs_refused);
    tcase_add_test (tc, large_window_refused);
    tcase_add_test (tc, not_an_orbit_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
