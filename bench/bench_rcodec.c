/*  bench_rcodec: how a tile's mu could travel compressed, measured. For
    each view of scripts/bench.sh (1920 x 1080, tiles of 128, f32 mu from
    the best kernel) and one deep view (f64 mu from the perturbation
    kernel), and for each candidate encoding: bytes a pixel on the wire,
    and encode and decode speed on one core, in MB of raw mu a second
    (thread CPU time, best of BENCH_RUNS rounds: other processes only
    ever add time). The kernel's own output rate is printed beside them:
    an encoder must stay well above it. The candidate "rcodec" is
    common/mf_rcodec.c itself, the encoding the wire uses, and every one
    of its tiles is decoded back and compared bit for bit.

        bench_rcodec [--quick] [--json FILE]

    --quick: the default view and the deep one only. Part of `make bench`
    through scripts/bench.sh's wire part; never part of `make test`.
    Candidates with lz4 are measured when built with liblz4 (the Makefile
    adds it where pkg-config finds it).
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "mf_deep.h"
#include "mf_kernel.h"
#include "mf_le.h"
#include "mf_orbit.h"
#include "mf_perturb.h"
#include "mf_proto.h"
#include "mf_rcodec.h"
#include "mf_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>
#ifdef MF_HAVE_LZ4
#include <lz4.h>
#endif

#define IMAGE_W 1920                    //  pixels
#define IMAGE_H 1080                    //  pixels
#define TILE 128                        //  tile edge, pixels: the farm's default
#define ROUNDS 3                        //  timed rounds per candidate, unless BENCH_RUNS

typedef struct {
    const char *name;
    const char *center_re, *center_im;  //  text: the deep view needs every digit
    const char *width;                  //  shallow: the view's width
    const char *zoom;                   //  deep: its zoom (the height spans 4 / zoom)
    uint32_t maxiter;
    bool deep;                          //  f64 mu through mf_perturb
} s_view_t;

//  The views of scripts/bench.sh, then a deep one (bench/deep_views.txt's
//  "line", 1.4e28 times the whole set).
static const s_view_t s_views [] = {
    { "default", "-0.75", "0", "3.5", NULL, 1000, false },
    { "seahorse", "-0.7453", "0.1127", "0.01", NULL, 2000, false },
    { "spiral", "-0.7436438870371587", "0.1318259042053119", "1e-4", NULL, 5000, false },
    { "elephant", "0.2925", "0.0149", "0.008", NULL, 3000, false },
    { "cardioid", "-0.5", "0", "2.5", NULL, 20000, false },
    { "minibrot", "-0.7437911560181347", "0.1316612922633015", "4e-10", NULL, 20000, false },
    { "deep-line", "4.38201090809984714798836704183781579775093781331734e-01",
      "2.50541573359688171678400414758224860053729045156654e-01", NULL, "1.40057E28", 2500,
      true },
};
#define VIEW_COUNT (sizeof s_views / sizeof s_views [0])

//  A view's tiles, as their raw RESULT payloads.
typedef struct {
    size_t word;                        //  bytes a value: 4 or 8
    uint32_t count;                     //  tiles
    mf_rect_t *rects;
    uint8_t **raw;                      //  little-endian mu of each tile
    double kernel_mbs;                  //  the kernel's output, MB of mu a CPU second
} s_tiles_t;

//  How a candidate transforms the words before compressing.
typedef enum { P_NONE, P_XOR, P_LEFT, P_GRAD } s_predictor_t;
typedef enum { Z_NONE, Z_ZSTD1, Z_ZSTD3, Z_LZ4 } s_compressor_t;

typedef struct {
    const char *name;
    s_predictor_t predictor;
    bool shuffle;                       //  byte planes
    s_compressor_t compressor;
    bool module;                        //  mf_rcodec itself
} s_candidate_t;

static const s_candidate_t s_candidates [] = {
    { "raw", P_NONE, false, Z_NONE, false },
    { "zstd-1", P_NONE, false, Z_ZSTD1, false },
    { "shuffle+zstd-1", P_NONE, true, Z_ZSTD1, false },
    { "shuffle+zstd-3", P_NONE, true, Z_ZSTD3, false },
    { "xor-left+shuffle+zstd-1", P_XOR, true, Z_ZSTD1, false },
    { "left+shuffle+zstd-1", P_LEFT, true, Z_ZSTD1, false },
    { "grad+shuffle, not compressed", P_GRAD, true, Z_NONE, false },
    { "grad+shuffle+zstd-3", P_GRAD, true, Z_ZSTD3, false },
#ifdef MF_HAVE_LZ4
    { "shuffle+lz4", P_NONE, true, Z_LZ4, false },
    { "grad+shuffle+lz4", P_GRAD, true, Z_LZ4, false },
#endif
    { "rcodec (grad+shuffle+zstd-1)", P_GRAD, true, Z_ZSTD1, true },
};
#define CANDIDATE_COUNT (sizeof s_candidates / sizeof s_candidates [0])

static double
s_cpu (void)
{
    struct timespec t;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

static uint64_t
s_get (const uint8_t *p, size_t word)
{
    return word == 4? mf_le_get_u32 (p): mf_le_get_u64 (p);
}

static void
s_put (uint8_t *p, size_t word, uint64_t v)
{
    if (word == 4)
        mf_le_put_u32 (p, (uint32_t) v);
    else
        mf_le_put_u64 (p, v);
}

//  A candidate's guess of a word from its neighbours (0 where it has
//  none): the left one (the upper one in the left column), or left + up
//  - up-left as mf_rcodec guesses.
static inline uint64_t
s_guess (s_predictor_t predictor, uint64_t left, uint64_t up, uint64_t diag, uint32_t x,
         uint32_t y)
{
    if (predictor == P_GRAD && x && y)
        return left + up - diag;
    return x? left: up;
}

//  A candidate's transform of one tile: words to (predicted, zigzagged,
//  shuffled) bytes; differences are zigzagged as mf_rcodec does, XORs
//  are not.
static void
s_transform (const s_candidate_t *c, size_t word, uint32_t w, uint32_t h, const uint8_t *raw,
             uint8_t *out)
{
    uint64_t mask = word == 4? UINT32_MAX: UINT64_MAX;
    size_t count = (size_t) w * h;
    for (uint32_t y = 0; y < h; y++) {
        uint64_t left = 0, diag = 0;
        for (uint32_t x = 0; x < w; x++) {
            size_t index = (size_t) y * w + x;
            uint64_t v = s_get (raw + index * word, word), t = v;
            uint64_t up = y? s_get (raw + (index - w) * word, word): 0;
            if (c->predictor == P_XOR)
                t = v ^ (x? left: up);
            else
            if (c->predictor != P_NONE) {
                uint64_t d = (v - s_guess (c->predictor, left, up, diag, x, y)) & mask;
                t = ((d << 1) ^ (0 - (d >> (word * 8 - 1)))) & mask;
            }
            if (c->shuffle)
                for (size_t byte = 0; byte < word; byte++)
                    out [byte * count + index] = (uint8_t) (t >> (8 * byte));
            else
                s_put (out + index * word, word, t);
            left = v;
            diag = up;
        }
    }
}

//  Its inverse, for the decode speed.
static void
s_untransform (const s_candidate_t *c, size_t word, uint32_t w, uint32_t h, const uint8_t *in,
               uint8_t *raw)
{
    uint64_t mask = word == 4? UINT32_MAX: UINT64_MAX;
    size_t count = (size_t) w * h;
    for (uint32_t y = 0; y < h; y++) {
        uint64_t left = 0, diag = 0;
        for (uint32_t x = 0; x < w; x++) {
            size_t index = (size_t) y * w + x;
            uint64_t t = 0;
            if (c->shuffle)
                for (size_t byte = 0; byte < word; byte++)
                    t |= (uint64_t) in [byte * count + index] << (8 * byte);
            else
                t = s_get (in + index * word, word);
            uint64_t up = y? s_get (raw + (index - w) * word, word): 0, v = t;
            if (c->predictor == P_XOR)
                v = t ^ (x? left: up);
            else
            if (c->predictor != P_NONE)
                v = (s_guess (c->predictor, left, up, diag, x, y)
                     + ((t >> 1) ^ (0 - (t & 1)))) & mask;
            s_put (raw + index * word, word, v);
            left = v;
            diag = up;
        }
    }
}

static size_t
s_compress (const s_candidate_t *c, ZSTD_CCtx *cctx, const uint8_t *in, size_t size,
            uint8_t *out, size_t capacity)
{
    if (c->compressor == Z_NONE) {
        memcpy (out, in, size);
        return size;
    }
#ifdef MF_HAVE_LZ4
    if (c->compressor == Z_LZ4)
        return (size_t) LZ4_compress_default ((const char *) in, (char *) out, (int) size,
                                              (int) capacity);
#endif
    ZSTD_CCtx_setParameter (cctx, ZSTD_c_compressionLevel, c->compressor == Z_ZSTD3? 3: 1);
    size_t packed = ZSTD_compress2 (cctx, out, capacity, in, size);
    return ZSTD_isError (packed)? 0: packed;
}

static void
s_decompress (const s_candidate_t *c, ZSTD_DCtx *dctx, const uint8_t *in, size_t size,
              uint8_t *out, size_t raw)
{
    if (c->compressor == Z_NONE) {
        memcpy (out, in, raw);
        return;
    }
#ifdef MF_HAVE_LZ4
    if (c->compressor == Z_LZ4) {
        LZ4_decompress_safe ((const char *) in, (char *) out, (int) size, (int) raw);
        return;
    }
#endif
    ZSTD_decompressDCtx (dctx, out, raw, in, size);
}

//  Renders a shallow view's tiles with the best kernel.
static int
s_render (const s_view_t *v, s_tiles_t *tiles)
{
    mf_view_t view = { strtod (v->center_re, NULL), strtod (v->center_im, NULL),
                       strtod (v->width, NULL), IMAGE_W, IMAGE_H };
    mf_mapping_t map;
    mf_view_mapping (&view, &map);
    const mf_kernel_t *kernel = mf_kernel_best ();
    float *mu = malloc ((size_t) TILE * TILE * sizeof *mu);
    if (!mu)
        return -1;
    double cpu = 0;
    for (uint32_t index = 0; index < tiles->count; index++) {
        mf_task_t task = { map, v->maxiter, tiles->rects [index] };
        double start = s_cpu ();
        kernel->fn (&task, mu, NULL);
        cpu += s_cpu () - start;
        mf_le_put_f32s (tiles->raw [index], mu, (size_t) task.rect.w * task.rect.h);
    }
    free (mu);
    tiles->kernel_mbs = 4.0 * IMAGE_W * IMAGE_H / cpu / 1e6;
    return 0;
}

//  Renders a deep view's tiles: the reference orbit, its BLA table, the
//  perturbation kernel.
static int
s_render_deep (const s_view_t *v, s_tiles_t *tiles)
{
    char err [256], center [512];
    snprintf (center, sizeof center, "%s,%s", v->center_re, v->center_im);
    mf_deep_view_t *view = mf_deep_view_new (center, NULL, v->zoom, IMAGE_W, IMAGE_H, err,
                                             sizeof err);
    if (!view) {
        fprintf (stderr, "bench_rcodec: %s\n", err);
        return -1;
    }
    mf_deep_map_t map;
    mf_deep_view_map (view, &map);
    mf_orbit_t *orbit = mf_orbit_compute (view, v->maxiter, NULL, err, sizeof err);
    mf_bla_t *bla = orbit? mf_bla_new (orbit, mf_deep_map_cmax (&map), err, sizeof err): NULL;
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&view);
    double *mu = malloc ((size_t) TILE * TILE * sizeof *mu);
    if (!bla || !mu) {
        fprintf (stderr, "bench_rcodec: %s\n", bla? "out of memory": err);
        mf_bla_destroy (&bla);
        free (mu);
        return -1;
    }
    const mf_perturb_kernel_t *kernel = mf_perturb_best ();
    double cpu = 0;
    for (uint32_t index = 0; index < tiles->count; index++) {
        mf_perturb_task_t task = { .map = &map, .bla = bla, .maxiter = v->maxiter,
                                   .rect = tiles->rects [index] };
        mf_perturb_stats_t stats = { 0 };
        double start = s_cpu ();
        kernel->fn (&task, mu, &stats);
        cpu += s_cpu () - start;
        mf_proto_put_f64s (tiles->raw [index], mu, (size_t) task.rect.w * task.rect.h);
    }
    free (mu);
    mf_bla_destroy (&bla);
    tiles->kernel_mbs = 8.0 * IMAGE_W * IMAGE_H / cpu / 1e6;
    return 0;
}

typedef struct {
    double bytes_px;                    //  bytes a pixel on the wire
    double encode_mbs;                  //  MB of raw mu a CPU second, one core
    double decode_mbs;
} s_result_t;

//  Measures one candidate on one view's tiles. Returns -1 when a tile of
//  mf_rcodec did not come back bit for bit.
static int
s_measure (const s_candidate_t *c, const s_tiles_t *tiles, int rounds, s_result_t *result)
{
    size_t most = tiles->word * TILE * TILE;
    size_t capacity = ZSTD_compressBound (most) + 1024;
    uint8_t *planes = malloc (most), *back = malloc (most);
    uint8_t **packed = calloc (tiles->count, sizeof *packed);
    size_t *sizes = calloc (tiles->count, sizeof *sizes);
    ZSTD_CCtx *cctx = ZSTD_createCCtx ();
    ZSTD_DCtx *dctx = ZSTD_createDCtx ();
    mf_rcodec_t *codec = mf_rcodec_new ();
    int rc = planes && back && packed && sizes && cctx && dctx && codec? 0: -1;
    for (uint32_t index = 0; rc == 0 && index < tiles->count; index++)
        if (!(packed [index] = malloc (capacity)))
            rc = -1;
    double raw_total = 0, wire = 0, best_encode = 0, best_decode = 0;
    for (int round = 0; rc == 0 && round < rounds; round++) {
        double start = s_cpu ();
        wire = raw_total = 0;
        for (uint32_t index = 0; index < tiles->count; index++) {
            const mf_rect_t *r = &tiles->rects [index];
            size_t raw = tiles->word * r->w * r->h;
            size_t size = 0;
            if (c->module) {
                const uint8_t *out = mf_rcodec_encode (codec, tiles->word, r->w, r->h,
                                                       tiles->raw [index], &size);
                if (out)
                    memcpy (packed [index], out, size);
            }
            else {
                s_transform (c, tiles->word, r->w, r->h, tiles->raw [index], planes);
                size = s_compress (c, cctx, planes, raw, packed [index], capacity);
            }
            //  What does not get smaller travels raw (as the worker does).
            sizes [index] = size && size < raw? size: 0;
            wire += sizes [index]? (double) size: (double) raw;
            raw_total += (double) raw;
        }
        double encode = raw_total / (s_cpu () - start) / 1e6;
        start = s_cpu ();
        for (uint32_t index = 0; index < tiles->count; index++) {
            const mf_rect_t *r = &tiles->rects [index];
            size_t raw = tiles->word * r->w * r->h;
            if (!sizes [index] && c->compressor != Z_NONE)
                memcpy (back, tiles->raw [index], raw);
            else
            if (c->module) {
                char err [128];
                const uint8_t *out = mf_rcodec_decode (codec, tiles->word, r->w, r->h,
                                                       packed [index], sizes [index], err,
                                                       sizeof err);
                if (!out || memcmp (out, tiles->raw [index], raw)) {
                    fprintf (stderr, "bench_rcodec: tile %u does not come back: %s\n", index,
                             out? "other bits": err);
                    rc = -1;
                    break;
                }
            }
            else {
                s_decompress (c, dctx, packed [index], sizes [index]? sizes [index]: raw,
                              planes, raw);
                s_untransform (c, tiles->word, r->w, r->h, planes, back);
            }
        }
        double decode = raw_total / (s_cpu () - start) / 1e6;
        best_encode = encode > best_encode? encode: best_encode;
        best_decode = decode > best_decode? decode: best_decode;
    }
    result->bytes_px = wire / (raw_total / (double) tiles->word);
    result->encode_mbs = best_encode;
    result->decode_mbs = best_decode;
    for (uint32_t index = 0; packed && index < tiles->count; index++)
        free (packed [index]);
    free (packed);
    free (sizes);
    free (planes);
    free (back);
    ZSTD_freeCCtx (cctx);
    ZSTD_freeDCtx (dctx);
    mf_rcodec_destroy (&codec);
    return rc;
}

static void
s_tiles_free (s_tiles_t *tiles)
{
    for (uint32_t index = 0; tiles->raw && index < tiles->count; index++)
        free (tiles->raw [index]);
    free (tiles->raw);
    free (tiles->rects);
}

static int
s_tiles_make (const s_view_t *v, s_tiles_t *tiles)
{
    uint32_t across = (IMAGE_W + TILE - 1) / TILE, down = (IMAGE_H + TILE - 1) / TILE;
    tiles->word = v->deep? 8: 4;
    tiles->count = across * down;
    tiles->rects = calloc (tiles->count, sizeof *tiles->rects);
    tiles->raw = calloc (tiles->count, sizeof *tiles->raw);
    if (!tiles->rects || !tiles->raw)
        return -1;
    for (uint32_t index = 0; index < tiles->count; index++) {
        uint32_t x = index % across * TILE, y = index / across * TILE;
        tiles->rects [index] = (mf_rect_t) { x, y, IMAGE_W - x < TILE? IMAGE_W - x: TILE,
                                             IMAGE_H - y < TILE? IMAGE_H - y: TILE };
        if (!(tiles->raw [index] = malloc (tiles->word * TILE * TILE)))
            return -1;
    }
    return v->deep? s_render_deep (v, tiles): s_render (v, tiles);
}

int
main (int argc, char **argv)
{
    const char *json_path = NULL;
    bool quick = false;
    for (int index = 1; index < argc; index++) {
        if (strcmp (argv [index], "--quick") == 0)
            quick = true;
        else
        if (strcmp (argv [index], "--json") == 0 && index + 1 < argc)
            json_path = argv [++index];
        else {
            fprintf (stderr, "bench_rcodec: unknown argument '%s' (allowed: --quick, "
                     "--json FILE)\n", argv [index]);
            return 2;
        }
    }
    int rounds = ROUNDS;
    const char *runs = getenv ("BENCH_RUNS");
    if (runs && atoi (runs) > 0)
        rounds = atoi (runs);
    FILE *json = json_path? fopen (json_path, "w"): NULL;
    if (json_path && !json) {
        perror (json_path);
        return 1;
    }
    printf ("== tile encodings: %ux%u in tiles of %u; kernel %s, deep kernel %s; best of %d\n"
            "   bytes a pixel on the wire; encode and decode in MB of raw mu a CPU second\n",
            IMAGE_W, IMAGE_H, TILE, mf_kernel_best ()->name, mf_perturb_best ()->name, rounds);
    if (json)
        fprintf (json, "{\n  \"size\": \"%ux%u\", \"tile\": %u, \"rounds\": %d, "
                 "\"views\": [", IMAGE_W, IMAGE_H, TILE, rounds);
    int rc = 0;
    const char *view_sep = "";
    for (size_t v = 0; rc == 0 && v < VIEW_COUNT; v++) {
        const s_view_t *view = &s_views [v];
        if (quick && strcmp (view->name, "default") && !view->deep)
            continue;
        s_tiles_t tiles = { 0 };
        if (s_tiles_make (view, &tiles)) {
            fprintf (stderr, "bench_rcodec: cannot render %s\n", view->name);
            s_tiles_free (&tiles);
            rc = 1;
            break;
        }
        printf ("%s (%s mu, maxiter %u): the kernel makes %.0f MB/s of mu\n", view->name,
                tiles.word == 8? "f64": "f32", view->maxiter, tiles.kernel_mbs);
        if (json)
            fprintf (json, "%s\n    { \"view\": \"%s\", \"format\": \"%s\", \"maxiter\": %u, "
                     "\"kernel_mbs\": %.0f, \"candidates\": [", view_sep, view->name,
                     tiles.word == 8? "f64": "f32", view->maxiter, tiles.kernel_mbs);
        view_sep = ",";
        const char *sep = "";
        for (size_t c = 0; c < CANDIDATE_COUNT; c++) {
            s_result_t result;
            if (s_measure (&s_candidates [c], &tiles, rounds, &result)) {
                rc = 1;
                break;
            }
            printf ("  %-30s %6.3f B/px  encode %6.0f MB/s  decode %6.0f MB/s\n",
                    s_candidates [c].name, result.bytes_px, result.encode_mbs,
                    result.decode_mbs);
            if (json)
                fprintf (json, "%s\n      { \"name\": \"%s\", \"bytes_per_pixel\": %.3f, "
                         "\"encode_mbs\": %.0f, \"decode_mbs\": %.0f }", sep,
                         s_candidates [c].name, result.bytes_px, result.encode_mbs,
                         result.decode_mbs);
            sep = ",";
        }
        if (json)
            fprintf (json, " ] }");
        s_tiles_free (&tiles);
    }
    if (json) {
        fprintf (json, "\n  ]\n}\n");
        if (fclose (json)) {
            perror (json_path);
            rc = 1;
        }
    }
    return rc;
}
