/*  seeds: writes the committed seed corpora, fuzz/corpus/NAME/, from
    the real encoders, so the seeds stay valid when the wire changes:
    `make fuzz-seeds` rewrites them. Each corpus holds valid inputs of
    every kind a harness reads and a few near misses.
*/
#include "../tests/deep_locations.h"
#include "journal.h"
#include "mf_beacon.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_rcodec.h"
#include "mf_ship.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *s_root;

static void
s_write (const char *harness, const char *name, const void *data, size_t size)
{
    char path [1024];
    snprintf (path, sizeof path, "%s/%s", s_root, harness);
    if (mkdir (path, 0755) && errno != EEXIST) {
        perror (path);
        exit (1);
    }
    snprintf (path, sizeof path, "%s/%s/%s", s_root, harness, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (data, 1, size, file) != size || fclose (file)) {
        perror (path);
        exit (1);
    }
}

//  The parse harness reads a selector byte, then the text.
static void
s_text (const char *harness, const char *name, int selector, const char *text)
{
    char buf [600];
    size_t len = 0;
    if (selector >= 0)
        buf [len++] = (char) selector;
    memcpy (buf + len, text, strlen (text));
    s_write (harness, name, buf, len + strlen (text));
}

//  A 16 x 16 tile of the default view (f32, or its mu as f64), raw.
static void
s_default_tile (size_t word, uint8_t *raw)
{
    mf_task_t task = { { -2.5, 0.984375, 3.5 / 1920 }, 1000, { 1500, 200, 16, 16 } };
    float mu [256];
    mf_kernel_reference (&task, mu, NULL);
    for (size_t index = 0; index < 256; index++)
        if (word == 4)
            mf_le_put_f32 (raw + 4 * index, mu [index]);
        else
            mf_le_put_f64 (raw + 8 * index, mu [index]);
}

//  Compressed RESULTs (encoding 1), f32 and f64, and near misses.
static void
s_proto_encoded (void)
{
    mf_rcodec_t *codec = mf_rcodec_new ();
    uint8_t raw [8 * 256], buf [MF_SIZE_RESULT_HEAD + 8 * 256];
    for (size_t word = 4; word <= 8; word += 4) {
        s_default_tile (word, raw);
        size_t size;
        const uint8_t *packed = codec? mf_rcodec_encode (codec, word, 16, 16, raw, &size): NULL;
        if (!packed) {
            fprintf (stderr, "seeds: a default tile does not compress\n");
            exit (1);
        }
        mf_result_t result = { 1, 5, 7, { 1500, 200, 16, 16 }, 12, 64000, NULL,
                               word == 8? MF_MU_F64: MF_MU_F32, MF_ENCODING_ZSTD,
                               (uint32_t) size, 0 };
        size_t head = mf_proto_encode_result_head (buf, sizeof buf, &result);
        memcpy (buf + head, packed, size);
        s_write ("proto", word == 8? "result-encoded-f64": "result-encoded", buf, head + size);
        if (word == 4) {
            buf [head + size / 2] ^= 0x40;
            s_write ("proto", "result-encoded-damaged", buf, head + size);
        }
    }
    mf_rcodec_destroy (&codec);
}

static void
s_proto (void)
{
    uint8_t buf [MF_SIZE_RESULT_HEAD + 8 * 8 * 8];
    mf_hello_t hello = { .credit = 3, .threads = 2, .pid = 4242, .uid = 0x0123456789abcdefULL,
                         .cores = 8, .speed = 2500000 };
    strcpy (hello.kernel, "avx512");
    strcpy (hello.host, "render-07");
    s_write ("proto", "hello", buf, mf_proto_encode_hello (buf, sizeof buf, &hello));
    mf_welcome_t welcome = { 1000, 0xdeadbeef };
    s_write ("proto", "welcome", buf, mf_proto_encode_welcome (buf, sizeof buf, &welcome));
    s_write ("proto", "ready", buf, mf_proto_encode_ready (buf, sizeof buf, 5));
    mf_tile_msg_t tile = { 1, 17, 99, { { -2.5, 0.984375, 3.5 / 1920 }, 1000, { 64, 128, 64, 64 } } };
    s_write ("proto", "tile", buf, mf_proto_encode_tile (buf, sizeof buf, &tile));
    s_write ("proto", "cancel", buf, mf_proto_encode_cancel (buf, sizeof buf, 3));
    s_write ("proto", "heartbeat", buf, mf_proto_encode_empty (buf, sizeof buf, MF_MSG_HEARTBEAT));
    s_write ("proto", "bye", buf, mf_proto_encode_empty (buf, sizeof buf, MF_MSG_BYE));
    s_write ("proto", "register", buf, mf_proto_encode_empty (buf, sizeof buf, MF_MSG_REGISTER));
    //  RESULTs: a real 8x8 tile, a 1x1 interior pixel, and impossible mu.
    mf_task_t task = { { -0.7436 - 0.01, 0.1318 + 0.01, 0.02 / 240 }, 1500, { 120, 80, 8, 8 } };
    float mu [64];
    mf_kernel_reference (&task, mu, NULL);
    mf_result_t result = { 1, 5, 7, task.rect, 12, 64000, NULL, MF_MU_F32, MF_ENCODING_RAW, 0, 0 };
    size_t head = mf_proto_encode_result_head (buf, sizeof buf, &result);
    mf_le_put_f32s (buf + head, mu, 64);
    s_write ("proto", "result-8x8", buf, mf_proto_result_size (8, 8));
    result.rect = (mf_rect_t) { 0, 0, 1, 1 };
    head = mf_proto_encode_result_head (buf, sizeof buf, &result);
    const float samples [] = { -1.0f, NAN, INFINITY, -0.5f, 1e9f, 0.0f };
    const char *names [] = { "result-1x1", "result-nan", "result-inf", "result-negative",
                             "result-huge", "result-zero" };
    for (int index = 0; index < 6; index++) {
        mf_le_put_f32s (buf + head, &samples [index], 1);
        s_write ("proto", names [index], buf, mf_proto_result_size (1, 1));
    }
    //  A shared RESULT (encoding 2): only the number of the slot that
    //  holds the mu, in memory a forked worker shares with its master.
    mf_result_t shared = { 3, 9, 11, { 32, 0, 8, 8 }, 5, 64, NULL, MF_MU_F32,
                           MF_ENCODING_SHARED, 4, 2 };
    s_write ("proto", "result-shared", buf,
             mf_proto_encode_result_shared (buf, sizeof buf, &shared));
    //  A deep RESULT: f64 mu of a 4x2 tile, an interior pixel and
    //  fractions at large counts.
    mf_result_t deep = { 2, 6, 8, { 16, 8, 4, 2 }, 99, 1ULL << 33, NULL, MF_MU_F64,
                         MF_ENCODING_RAW, 0, 0 };
    const double mu64 [8] = { -1.0, 263010.5, 4294967294.999999, 1.25, 0.0, 3.0, 100.0, 7.5 };
    head = mf_proto_encode_result_head (buf, sizeof buf, &deep);
    mf_proto_put_f64s (buf + head, mu64, 8);
    s_write ("proto", "result-f64", buf, mf_proto_result_size_as (MF_MU_F64, 4, 2));
    buf [44] = 2;
    s_write ("proto", "result-bad-format", buf, mf_proto_result_size_as (MF_MU_F64, 4, 2));
    buf [44] = 1;
    buf [45] = 3;
    s_write ("proto", "result-bad-encoding", buf, mf_proto_result_size_as (MF_MU_F64, 4, 2));
    s_proto_encoded ();

    //  The deep messages.
    mf_orbit_id_t id;
    for (int index = 0; index < MF_SHIP_ID_SIZE; index++)
        id.bytes [index] = (uint8_t) (index * 7 + 1);
    mf_deeptile_t lease = {
        .job = 9, .tile = 10, .lease = 11, .maxiter = 2500, .rect = { 16, 12, 16, 12 },
        .map = { .pixel_w = 64, .pixel_h = 36, .pitch = { 1.5, -96 },
                 .offset = { 1.25, -0.5, -100 }, .type = MF_DELTA_DOUBLE },
        .orbit = id, .shipped = 1000, .raw = 48 + 2501 * 16
    };
    s_write ("proto", "deeptile", buf, mf_proto_encode_deeptile (buf, sizeof buf, &lease));
    lease.map.type = MF_DELTA_FEXP;
    lease.map.pitch = (mf_fexp_t) { 1.0, -8700 };
    lease.map.offset = mf_fexpc_zero ();
    lease.raw = 48 + 2501 * 20;
    s_write ("proto", "deeptile-fexp", buf, mf_proto_encode_deeptile (buf, sizeof buf, &lease));
    lease.map.type = MF_DELTA_DOUBLE;
    s_write ("proto", "deeptile-double-too-deep", buf,
             mf_proto_encode_deeptile (buf, sizeof buf, &lease));
    mf_fetch_t fetch = { id, 262144, MF_PROTO_CHUNK_MAX };
    s_write ("proto", "fetch", buf, mf_proto_encode_fetch (buf, sizeof buf, &fetch));
    fetch.length = 0;
    s_write ("proto", "fetch-empty", buf, mf_proto_encode_fetch (buf, sizeof buf, &fetch));
    static const uint8_t bytes [16] = "orbit bytes here";
    mf_chunk_t chunk = { id, 0, 100, 16, bytes };
    s_write ("proto", "chunk", buf, mf_proto_encode_chunk (buf, sizeof buf, &chunk));
    chunk.offset = 90;
    s_write ("proto", "chunk-past-total", buf, mf_proto_encode_chunk (buf, sizeof buf, &chunk));
    s_write ("proto", "noorbit", buf, mf_proto_encode_noorbit (buf, sizeof buf, &id));
    mf_decline_t decline = { 9, 10, 11, MF_DECLINE_BAD_ORBIT, id };
    s_write ("proto", "decline", buf, mf_proto_encode_decline (buf, sizeof buf, &decline));

    //  Near misses: wrong version (the first release's), bad magic,
    //  unknown type, short, a truncated RESULT, a field out of range.
    size_t size = mf_proto_encode_ready (buf, sizeof buf, 5);
    buf [2] = 1;
    s_write ("proto", "bad-version", buf, size);
    buf [2] = MF_PROTO_VERSION;
    buf [0] = 'X';
    s_write ("proto", "bad-magic", buf, size);
    buf [0] = 'M';
    buf [3] = 42;
    s_write ("proto", "bad-type", buf, size);
    s_write ("proto", "short", "MF\x02", 3);
    size = mf_proto_encode_result_head (buf, sizeof buf, &result);
    s_write ("proto", "result-truncated", buf, size + 2);
    hello.threads = 0;
    s_write ("proto", "hello-no-threads", buf, mf_proto_encode_hello (buf, sizeof buf, &hello));
}

static void
s_parse (void)
{
    //  Selector % 6: 0 long, 1 double, 2 doubles, 3 size, 4 region, 5 width.
    s_text ("parse", "long-iter", 6 * 1, "1000");
    s_text ("parse", "long-negative", 6 * 6, "-5");
    s_text ("parse", "long-huge", 6 * 5, "9223372036854775807");
    s_text ("parse", "long-plus", 0, "+7");
    s_text ("parse", "double", 1, "-0.7436438870371587");
    s_text ("parse", "double-exp", 1, "1e-300");
    s_text ("parse", "double-hex", 1, "0x1.8p1");
    s_text ("parse", "double-inf", 1, "inf");
    s_text ("parse", "doubles-center", 2 + 6 * 1, "-0.75,0");
    s_text ("parse", "doubles-region", 2 + 6 * 3, "-2.5,1,-0.984375,0.984375");
    s_text ("parse", "size", 3, "1920x1080");
    s_text ("parse", "size-max", 3, "65536x65536");
    s_text ("parse", "size-bad", 3, "0x10");
    s_text ("parse", "region", 4 + 6 * 0, "-2.5,1,-0.984375,0.984375");
    s_text ("parse", "region-tiny", 4 + 6 * 7, "-1e-300,1e-300,-1e-300,1e-300");
    s_text ("parse", "width", 5, "3.5");
    s_text ("parse", "width-subnormal", 5, "1e-310");
}

static void
s_endpoint (void)
{
    const char *seeds [][2] = {
        { "loopback-v4", "tcp://127.0.0.1:5555" }, { "loopback-v6", "tcp://[::1]:5555" },
        { "localhost", "tcp://localhost:5555" }, { "lo", "tcp://lo:5555" },
        { "ephemeral", "tcp://127.0.0.1:*" }, { "mapped", "tcp://[::ffff:127.0.0.1]:5555" },
        { "ipc", "ipc://@mandelfarm-1-00000000" }, { "inproc", "inproc://farm" },
        { "wildcard", "tcp://*:5555" }, { "any", "tcp://0.0.0.0:5555" },
        { "lan", "tcp://192.0.2.10:5555" }, { "source", "tcp://127.0.0.1;198.51.100.1:5555" },
        { "no-port", "tcp://127.0.0.1" }, { "bare-v6", "tcp://::1:5555" }
    };
    for (size_t index = 0; index < sizeof seeds / sizeof seeds [0]; index++)
        s_text ("endpoint", seeds [index][0], -1, seeds [index][1]);
}

//  Beacons: a plain one and a CURVE one, and near misses (each
//  truncation class, another version, an unknown flag, port 0, a key
//  where none belongs, a key that is not Z85).
static void
s_beacon (void)
{
    uint8_t buf [MF_BEACON_SIZE + 1];
    mf_beacon_t plain = { .port = 5555, .curve = false, .id = 0x0102030405060708ULL };
    mf_beacon_t curve = { .port = 49152, .curve = true, .id = 0x1122334455667788ULL };
    strcpy (curve.key, "Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[");
    s_write ("beacon", "plain", buf, mf_beacon_encode (buf, sizeof buf, &plain));
    s_write ("beacon", "curve", buf, mf_beacon_encode (buf, sizeof buf, &curve));
    s_write ("beacon", "short-head", buf, 4);
    s_write ("beacon", "short-body", buf, MF_BEACON_SIZE - 1);
    buf [MF_BEACON_SIZE] = 0;
    s_write ("beacon", "long", buf, MF_BEACON_SIZE + 1);
    buf [4] = 2;
    s_write ("beacon", "version-2", buf, MF_BEACON_SIZE);
    mf_beacon_encode (buf, sizeof buf, &plain);
    buf [5] = 0x02;
    s_write ("beacon", "flag-unknown", buf, MF_BEACON_SIZE);
    buf [5] = 0;
    buf [6] = buf [7] = 0;
    s_write ("beacon", "port-0", buf, MF_BEACON_SIZE);
    mf_beacon_encode (buf, sizeof buf, &plain);
    buf [20] = 'x';
    s_write ("beacon", "plain-with-key", buf, MF_BEACON_SIZE);
    mf_beacon_encode (buf, sizeof buf, &curve);
    buf [20] = ' ';
    s_write ("beacon", "curve-bad-key", buf, MF_BEACON_SIZE);
    s_write ("beacon", "magic-wire", "MF\x01\x06", 4);
}

static void
s_endpoint_check (void)
{
    const char *seeds [][2] = {
        { "connect", "tcp://192.0.2.10:5555" }, { "bind-any-port", "tcp://*:*" },
        { "bind-random", "tcp://127.0.0.1:!" }, { "name", "tcp://master.lan:65535" },
        { "v6", "tcp://[fe80::1]:80" }, { "bare-v6", "tcp://::1:5555" },
        { "source", "tcp://eth0:0;192.0.2.10:5555" }, { "port-0", "tcp://127.0.0.1:0" },
        { "port-big", "tcp://127.0.0.1:99999" }, { "port-minus", "tcp://127.0.0.1:-1" },
        { "port-zero-led", "tcp://127.0.0.1:05555" }, { "no-host", "tcp://:5555" },
        { "no-port", "tcp://127.0.0.1" }, { "ipc", "ipc:///tmp/farm.sock" },
        { "ipc-abstract", "ipc://@mandelfarm" }, { "ipc-any", "ipc://*" },
        { "ipc-empty", "ipc://" }, { "inproc", "inproc://farm" },
        { "udp", "udp://127.0.0.1:5555" }, { "bare", "127.0.0.1:5555" },
        { "space", "tcp://host name:5555" }, { "bracket-open", "tcp://[::1:5555" },
        { "regress-newline", "tcp:/\377\377\n.1:99999" },
    };
    for (size_t index = 0; index < sizeof seeds / sizeof seeds [0]; index++)
        s_text ("endpoint_check", seeds [index][0], -1, seeds [index][1]);
}

static void
s_cert (void)
{
    //  A key pair from mandelfarm-keygen, written out as it writes it.
    const char *secret =
        "#   ****  Generated on 2026-01-01 00:00:00 by CZMQ  ****\n"
        "#   ZeroMQ CURVE **Secret** Certificate\n"
        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
        "\n"
        "metadata\n"
        "    name = \"render-07\"\n"
        "    created-by = \"mandelfarm-keygen 0.1.0\"\n"
        "curve\n"
        "    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n"
        "    secret-key = \"H5d&zs<.Y<!WL)QgqUtw1g0W2{91.K[TaUtyzPqN\"\n";
    const char *public =
        "#   ZeroMQ CURVE Public Certificate\n"
        "\n"
        "metadata\n"
        "    name = \"render-07\"\n"
        "curve\n"
        "    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n";
    s_text ("cert", "secret", -1, secret);
    s_text ("cert", "public", -1, public);
    s_text ("cert", "crlf-quotes", -1,
            "curve\r\n    public-key = 'Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[' # note\r\n");
    s_text ("cert", "bad-z85", -1,
            "curve\n    public-key = \"#####$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n");
    //  zconfig refuses the whole file for one bad line anywhere (found by
    //  the differential check in fuzz_cert.c).
    s_text ("cert", "bad-line-elsewhere", -1,
            "metadata\n    n\"render-07\"\ncurve\n"
            "    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n");
    s_text ("cert", "zpl-odd-but-valid", -1,
            "#comment\nmetadata = x\n    name = render 07   # unquoted, with a space\n"
            "        # a deeper comment\ncurve\n    public-key=\"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n"
            "        note = 'deeper, not a key'\n");
    s_text ("cert", "twice", -1,
            "curve\n    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n"
            "    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n");
}

//  The journal harness reads records as they follow a journal's header,
//  for a 40x30 render in tiles of 16 (tiles 0-1 16x16, tile 5 8x14).
static size_t
s_record (uint8_t *buf, char type, uint32_t tile, uint32_t pixels, float value)
{
    static uint8_t payload [8 + 4 * 256];
    memset (payload, 0, 8);
    payload [0] = 0x2a;                             //  an owner uid
    float mu [256];
    for (uint32_t index = 0; index < pixels && index < 256; index++)
        mu [index] = value + (float) index / 100.0f;
    mf_le_put_f32s (payload + 8, mu, pixels);
    return mf_journal_encode (buf, 8192, (mf_journal_type_t) type, tile, payload,
                              type == 'D'? 8 + 4 * pixels: 0);
}

static void
s_journal (void)
{
    static uint8_t buf [8192], all [65536];
    size_t size = s_record (buf, 'L', 0, 0, 0);
    s_write ("journal", "lease", buf, size);
    size = s_record (buf, 'D', 0, 256, 1.0f);
    s_write ("journal", "done", buf, size);
    s_write ("journal", "done-torn", buf, size - 3);
    buf [40] ^= 0x10;
    s_write ("journal", "done-bad-crc", buf, size);
    size = s_record (buf, 'D', 5, 256, 1.0f);       //  tile 5 holds 112 pixels
    s_write ("journal", "done-wrong-size", buf, size);
    size = s_record (buf, 'D', 0, 256, NAN);
    s_write ("journal", "done-impossible-mu", buf, size);
    size = s_record (buf, 'L', 6, 0, 0);            //  beyond the grid
    s_write ("journal", "tile-out-of-range", buf, size);
    //  A whole life: leases, results, a withdrawal, a torn end.
    size_t total = 0;
    total += s_record (all + total, 'L', 0, 0, 0);
    total += s_record (all + total, 'L', 5, 0, 0);
    total += s_record (all + total, 'D', 0, 256, 3.0f);
    total += s_record (all + total, 'D', 5, 112, 4.0f);
    total += s_record (all + total, 'L', 1, 0, 0);
    total += s_record (all + total, 'D', 1, 256, 5.0f);
    total += s_record (all + total, 'X', 1, 0, 0);
    total += s_record (all + total, 'L', 3, 0, 0);
    s_write ("journal", "life", all, total);
    total += s_record (all + total, 'D', 3, 256, 6.0f);
    s_write ("journal", "life-torn", all, total - 100);
    //  Damage in the middle, skipped by the replay: a flipped byte in the
    //  body of the 3rd record (its length still right), then in its length,
    //  then a stretch of garbage between two records.
    static uint8_t damaged [65536];
    size_t third = 2 * (MF_JOURNAL_RECORD_HEAD + MF_JOURNAL_RECORD_TAIL);
    memcpy (damaged, all, total);
    damaged [third + 100] ^= 0x01;
    s_write ("journal", "life-corrupt-middle", damaged, total);
    memcpy (damaged, all, total);
    damaged [third + 9] ^= 0x80;
    s_write ("journal", "life-bad-length", damaged, total);
    memcpy (damaged, all, third);
    for (size_t index = 0; index < 77; index++)
        damaged [third + index] = (uint8_t) (index * 37 + 11);
    memcpy (damaged + third + 77, all + third, total - third);
    s_write ("journal", "life-garbage-middle", damaged, total + 77);
}

//  The ship harness reads a mode byte, the declared raw size (u64), an id
//  (32 bytes), then the blob (fuzz/fuzz_ship.c).
static void
s_ship_write (const char *name, uint8_t mode, uint64_t raw, const mf_orbit_id_t *id,
              const uint8_t *blob, size_t size)
{
    static uint8_t buf [1 << 20];
    if (41 + size > sizeof buf) {
        fprintf (stderr, "seeds: %s is too large\n", name);
        exit (1);
    }
    buf [0] = mode;
    mf_le_put_u64 (buf + 1, raw);
    memcpy (buf + 9, id->bytes, MF_SHIP_ID_SIZE);
    memcpy (buf + 41, blob, size);
    s_write ("ship", name, buf, 41 + size);
}

//  Packs the orbit of a view (the line location; e318, floatexp) to
//  maxiter: blob, id, raw size.
static uint8_t *
s_packed (const char *center, const char *zoom, uint32_t maxiter, mf_orbit_id_t *id,
          size_t *size, uint64_t *raw)
{
    char err [256];
    mf_deep_view_t *view = mf_deep_view_new (center, NULL, zoom, 64, 36, err, sizeof err);
    mf_orbit_t *orbit = view? mf_orbit_compute (view, maxiter, NULL, err, sizeof err): NULL;
    uint8_t *blob = NULL;
    if (!orbit || mf_ship_pack_orbit (orbit, id, &blob, size, raw, err, sizeof err)) {
        fprintf (stderr, "seeds: %s\n", err);
        exit (1);
    }
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&view);
    return blob;
}

//  The rcodec harness: mode (bit 0: f64; bit 1: encode the payload),
//  width - 1 and height - 1, then the payload.
static void
s_rcodec_seed (const char *name, uint8_t mode, uint8_t w, uint8_t h, const uint8_t *payload,
               size_t size)
{
    uint8_t buf [3 + 8 * 64 * 64];
    buf [0] = mode;
    buf [1] = (uint8_t) (w - 1);
    buf [2] = (uint8_t) (h - 1);
    memcpy (buf + 3, payload, size);
    s_write ("rcodec", name, buf, 3 + size);
}

static void
s_rcodec (void)
{
    mf_rcodec_t *codec = mf_rcodec_new ();
    uint8_t raw [8 * 64 * 64], frame [8 * 64 * 64];
    for (size_t word = 4; word <= 8; word += 4) {
        s_default_tile (word, raw);
        size_t size;
        const uint8_t *packed = codec? mf_rcodec_encode (codec, word, 16, 16, raw, &size): NULL;
        if (!packed) {
            fprintf (stderr, "seeds: a default tile does not compress\n");
            exit (1);
        }
        memcpy (frame, packed, size);
        uint8_t mode = word == 8? 1: 0;
        s_rcodec_seed (word == 8? "tile-f64": "tile-f32", mode, 16, 16, frame, size);
        s_rcodec_seed (word == 8? "raw-f64": "raw-f32", mode | 2, 16, 16, raw, word * 256);
        if (word == 4) {
            s_rcodec_seed ("truncated", 0, 16, 16, frame, size - 1);
            frame [size] = 0;
            s_rcodec_seed ("trailing", 0, 16, 16, frame, size + 1);
            s_rcodec_seed ("other-size", 0, 16, 15, frame, size);
            s_rcodec_seed ("other-format", 1, 16, 16, frame, size);
        }
    }
    //  All interior: runs of -1, which shrink to a few bytes.
    for (size_t index = 0; index < 64 * 64; index++)
        mf_le_put_f32 (raw + 4 * index, -1.0f);
    size_t size;
    const uint8_t *packed = codec? mf_rcodec_encode (codec, 4, 64, 64, raw, &size): NULL;
    if (packed)
        s_rcodec_seed ("interior", 0, 64, 64, packed, size);
    mf_rcodec_destroy (&codec);
}

static void
s_ship (void)
{
    mf_orbit_id_t id, wrong;
    size_t size;
    uint64_t raw;
    uint8_t *blob = s_packed (LOC_LINE_CENTER, LOC_LINE_ZOOM, 300, &id, &size, &raw);
    s_ship_write ("line", 0, raw, &id, blob, size);
    wrong = id;
    wrong.bytes [0] ^= 1;
    s_ship_write ("line-any-id", 1, raw, &wrong, blob, size);
    s_ship_write ("line-wrong-id", 0, raw, &wrong, blob, size);
    s_ship_write ("line-short-lease", 0, raw - 16, &id, blob, size);
    s_ship_write ("line-truncated", 0, raw, &id, blob, size / 2);
    s_ship_write ("line-over-limit", 0, 1ULL << 40, &id, blob, size);
    blob [size / 2] ^= 0x40;
    s_ship_write ("line-flipped", 1, raw, &id, blob, size);
    free (blob);
    blob = s_packed (LOC_E318_CENTER, LOC_E318_ZOOM, 200, &id, &size, &raw);
    s_ship_write ("e318-fexp", 0, raw, &id, blob, size);
    s_ship_write ("e318-fexp-any-id", 1, raw, &id, blob, size);
    free (blob);
    //  Not an orbit, packed right: for the orbit decoder behind the hash.
    uint8_t junk [48 + 2 * 16] = { 'M', 'F', 'R', 'O', 1, 0, 0, 0, 64 };
    char err [256];
    if (mf_ship_pack (junk, sizeof junk, &id, &blob, &size, err, sizeof err))
        exit (1);
    s_ship_write ("not-an-orbit", 1, sizeof junk, &id, blob, size);
    free (blob);
    //  A skippable frame, and bytes that are not zstd.
    static const uint8_t skippable [12] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4 };
    s_ship_write ("skippable", 1, 4, &id, skippable, sizeof skippable);
    s_ship_write ("noise", 1, 64, &id, (const uint8_t *) "MFRO this is not zstd at all....", 32);
}

int
main (int argc, char *argv [])
{
    if (argc != 2) {
        fprintf (stderr, "usage: seeds DIR (the corpus root, e.g. fuzz/corpus)\n");
        return 2;
    }
    s_root = argv [1];
    if (mkdir (s_root, 0755) && errno != EEXIST) {
        perror (s_root);
        return 1;
    }
    s_proto ();
    s_ship ();
    s_rcodec ();
    s_parse ();
    s_endpoint ();
    s_beacon ();
    s_endpoint_check ();
    s_cert ();
    s_journal ();
    return 0;
}
