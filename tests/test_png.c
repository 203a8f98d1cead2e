/*  The PNG encoder: every kind of image decodes to its pixels (libpng
    reads it back; zlib inflates the stream and checks its Adler-32), and
    the bytes are the same whether rows come one band at a time or bands
    are compressed by any number of threads.
*/
#include "helpers.h"
#include "mf_png.h"

#include <check.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>


//  Test images: each exercises a path of the encoder.
typedef enum { FLAT, NOISE, BANDS, GRADIENT, RUNS } s_kind_t;

static uint8_t *
s_image (s_kind_t kind, uint32_t w, uint32_t h)
{
    uint8_t *rgb = malloc ((size_t) w * h * 3 + 1);
    ck_assert_ptr_nonnull (rgb);
    uint32_t seed = 12345;
    for (size_t index = 0; index < (size_t) w * h * 3; index++) {
        size_t pixel = index / 3, x = pixel % w, y = pixel / w;
        seed = seed * 1103515245 + 12345;
        switch (kind) {
            case FLAT:     rgb [index] = 7; break;                       //  one long run
            case NOISE:    rgb [index] = (uint8_t) (seed >> 16); break;  //  stored blocks
            case BANDS:    rgb [index] = (uint8_t) ((y / 5) * 40 + index % 3); break;
            case GRADIENT: rgb [index] = (uint8_t) (x * 3 + y * 5 + index % 3); break;
            //  Runs of every length around the match limits, then noise.
            case RUNS:     rgb [index] = !index || (seed >> 24) < 24? (uint8_t) (seed >> 16)
                                                                    : rgb [index - 1]; break;
        }
    }
    return rgb;
}

//  Writes rgb row by row (in uneven pieces) to path.
static void
s_write_rows (const char *path, const uint8_t *rgb, uint32_t w, uint32_t h, int level)
{
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    char err [256];
    mf_png_text_t text [] = { { "Comment", "test" } };
    mf_png_t *png = mf_png_new (file, w, h, text, 1, level, err, sizeof err);
    ck_assert_ptr_nonnull (png);
    for (uint32_t row = 0; row < h; ) {
        uint32_t rows = row % 3 + 1 < h - row? row % 3 + 1: h - row;
        ck_assert_int_eq (mf_png_write_rows (png, rgb + (size_t) row * w * 3, rows), 0);
        row += rows;
    }
    ck_assert_int_eq (mf_png_finish (&png), 0);
    ck_assert_int_eq (fclose (file), 0);
}

typedef struct {
    const uint8_t *rgb;
    uint32_t w;
} s_source_t;

static void
s_rows (void *arg, uint32_t y, uint32_t count, uint8_t *rgb)
{
    const s_source_t *source = arg;
    memcpy (rgb, source->rgb + (size_t) y * source->w * 3, (size_t) count * source->w * 3);
}

static void
s_write_image (const char *path, const uint8_t *rgb, uint32_t w, uint32_t h, int level,
               int threads)
{
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    char err [256];
    mf_png_text_t text [] = { { "Comment", "test" } };
    s_source_t source = { rgb, w };
    ck_assert_int_eq (mf_png_write_image (file, w, h, text, 1, level, s_rows, &source,
                                          threads, err, sizeof err), 0);
    ck_assert_int_eq (fclose (file), 0);
}

//  Inflates the IDAT data of a PNG with zlib (which checks the Adler-32)
//  and checks that it holds h filtered rows.
static void
s_check_stream (const char *path, uint32_t w, uint32_t h)
{
    size_t size;
    uint8_t *data = th_slurp (path, &size);
    ck_assert_ptr_nonnull (data);
    uint8_t *idat = malloc (size);
    size_t idat_size = 0;
    for (size_t at = 8; at + 12 <= size; ) {
        uint32_t length = (uint32_t) data [at] << 24 | data [at + 1] << 16
                        | data [at + 2] << 8 | data [at + 3];
        ck_assert (at + 12 + length <= size);
        //  Every chunk's CRC.
        uLong crc = crc32 (crc32 (0, NULL, 0), data + at + 4, length + 4);
        const uint8_t *stored = data + at + 8 + length;
        ck_assert_uint_eq (crc, (uLong) stored [0] << 24 | stored [1] << 16
                                | stored [2] << 8 | stored [3]);
        if (memcmp (data + at + 4, "IDAT", 4) == 0) {
            memcpy (idat + idat_size, data + at + 8, length);
            idat_size += length;
        }
        at += 12 + length;
    }
    uLongf raw_size = (uLongf) h * (3 * w + 1) + 16;
    uint8_t *raw = malloc (raw_size);
    ck_assert_int_eq (uncompress (raw, &raw_size, idat, idat_size), Z_OK);
    ck_assert_uint_eq (raw_size, (uLongf) h * (3 * w + 1));
    free (raw);
    free (idat);
    free (data);
}

static void
s_check_pixels (const char *path, const uint8_t *rgb, uint32_t w, uint32_t h)
{
    uint32_t rw, rh;
    uint8_t *back;
    char value [32];
    ck_assert_int_eq (th_png_read (path, &rw, &rh, &back, "Comment", value, sizeof value), 0);
    ck_assert (rw == w && rh == h);
    ck_assert_msg (memcmp (back, rgb, (size_t) w * h * 3) == 0, "%s: pixels differ", path);
    ck_assert_str_eq (value, "test");
    free (back);
}

START_TEST (every_image_decodes_the_same_whoever_writes_it)
{
    //  Heights around the band size, widths from one pixel.
    static const uint32_t sizes [][2] = {
        { 1, 1 }, { 1, 70 }, { 5, 31 }, { 17, 32 }, { 64, 33 }, { 300, 65 }, { 1000, 97 }
    };
    for (int kind = FLAT; kind <= RUNS; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes [0]; s++)
            for (int level = 0; level <= 1; level++) {
                uint32_t w = sizes [s][0], h = sizes [s][1];
                uint8_t *rgb = s_image ((s_kind_t) kind, w, h);
                char *rows = th_path ("rows.png");
                s_write_rows (rows, rgb, w, h, level);
                s_check_stream (rows, w, h);
                s_check_pixels (rows, rgb, w, h);
                static const int threads [] = { 1, 2, 3, 8 };
                for (int t = 0; t < 4; t++) {
                    char *image = th_path ("image.png");
                    s_write_image (image, rgb, w, h, level, threads [t]);
                    ck_assert_msg (th_same_file (rows, image),
                                   "kind %d, %ux%u, level %d, %d threads: bytes differ",
                                   kind, w, h, level, threads [t]);
                    free (image);
                }
                free (rows);
                free (rgb);
            }
}
END_TEST

START_TEST (compression_pays)
{
    //  Flat and banded images shrink a lot; noise is stored, barely larger.
    uint32_t w = 640, h = 200;
    for (int kind = FLAT; kind <= BANDS; kind++) {
        uint8_t *rgb = s_image ((s_kind_t) kind, w, h);
        char *path = th_path ("c.png");
        s_write_image (path, rgb, w, h, MF_PNG_DEFAULT_LEVEL, 2);
        size_t size;
        uint8_t *data = th_slurp (path, &size);
        size_t raw = (size_t) h * (3 * w + 1);
        if (kind == NOISE)
            ck_assert_msg (size < raw + raw / 100 + 200, "noise: %zu bytes", size);
        else
            ck_assert_msg (size < raw / 20, "kind %d: %zu bytes of %zu", kind, size, raw);
        free (data);
        free (path);
        free (rgb);
    }
}
END_TEST

START_TEST (bad_text_refused)
{
    char *path = th_path ("t.png");
    FILE *file = fopen (path, "wb");
    char err [256];
    mf_png_text_t text [] = { { "", "empty keyword" } };
    ck_assert_ptr_null (mf_png_new (file, 4, 4, text, 1, 1, err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "keyword"));
    fclose (file);
    free (path);
}
END_TEST

//  Gray pixels, one byte each, for the color function.
static void
s_gray_to_rgb (void *arg, const void *pixels, size_t count, uint8_t *rgb)
{
    const uint8_t *gray = pixels;
    (void) arg;
    for (size_t index = 0; index < count; index++) {
        rgb [3 * index] = gray [index];
        rgb [3 * index + 1] = (uint8_t) (gray [index] / 2);
        rgb [3 * index + 2] = (uint8_t) (255 - gray [index]);
    }
}

//  Writes pixels (in the format opts says) through mf_png_open, in
//  uneven pieces, to path.
static void
s_write_opened (const char *path, const mf_png_opts_t *opts, const uint8_t *pixels,
                size_t row_size)
{
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    char err [256];
    mf_png_t *png = mf_png_open (file, opts, err, sizeof err);
    ck_assert_msg (png != NULL, "%s", err);
    for (uint32_t row = 0; row < opts->height; ) {
        uint32_t rows = row % 37 + 1 < opts->height - row? row % 37 + 1: opts->height - row;
        ck_assert_int_eq (mf_png_write_rows (png, pixels + row * row_size, rows), 0);
        row += rows;
    }
    ck_assert_int_eq (mf_png_finish (&png), 0);
    ck_assert_int_eq (fclose (file), 0);
}

START_TEST (every_way_in_gives_the_same_bytes)
{
    //  Rows given in RGB or colored on the threads, copied or lent, on 0
    //  to 5 threads: the bytes of mf_png_new's.
    uint32_t w = 77, h = 150;
    uint8_t *gray = s_image (RUNS, w, h);               //  the first w * h bytes
    uint8_t *rgb = malloc ((size_t) w * h * 3);
    s_gray_to_rgb (NULL, gray, (size_t) w * h, rgb);
    mf_png_text_t text [] = { { "Comment", "test" } };
    for (int level = 0; level <= 1; level++) {
        char *ref = th_path ("ref.png");
        s_write_rows (ref, rgb, w, h, level);
        s_check_pixels (ref, rgb, w, h);
        static const int threads [] = { 0, 2, 5 };
        for (int t = 0; t < 3; t++)
            for (int lend = 0; lend <= 1; lend++)
                for (int colored = 0; colored <= 1; colored++) {
                    mf_png_opts_t opts = {
                        .width = w, .height = h, .texts = text, .count = 1, .level = level,
                        .threads = threads [t], .lend_rows = lend,
                        .pixel_size = colored? 1: 0, .color = colored? s_gray_to_rgb: NULL
                    };
                    char *path = th_path ("opened.png");
                    s_write_opened (path, &opts, colored? gray: rgb, colored? w: 3 * w);
                    ck_assert_msg (th_same_file (ref, path), "level %d, %d threads, lend %d, "
                                   "colored %d: bytes differ", level, threads [t], lend,
                                   colored);
                    free (path);
                }
        free (ref);
    }
    free (rgb);
    free (gray);
}
END_TEST

START_TEST (stop_abandons_the_image)
{
    //  The flag, set between rows as a signal would set it, fails the
    //  rows given after it or the finish, on any number of threads; what
    //  was written before it is the start of the whole image.
    uint32_t w = 64, h = 400;
    uint8_t *rgb = s_image (GRADIENT, w, h);
    char *whole = th_path ("whole.png");
    FILE *file = fopen (whole, "wb");
    char err [256];
    mf_png_t *png = mf_png_new (file, w, h, NULL, 0, 1, err, sizeof err);
    ck_assert_int_eq (mf_png_write_rows (png, rgb, h), 0);
    ck_assert_int_eq (mf_png_finish (&png), 0);
    fclose (file);
    size_t whole_size;
    uint8_t *want = th_slurp (whole, &whole_size);
    static const int threads [] = { 0, 1, 3 };
    for (int t = 0; t < 3; t++) {
        volatile sig_atomic_t stop = 0;
        mf_png_opts_t opts = { .width = w, .height = h, .threads = threads [t], .level = 1,
                               .stop = &stop };
        char *path = th_path ("stop.png");
        file = fopen (path, "wb");
        png = mf_png_open (file, &opts, err, sizeof err);
        ck_assert_ptr_nonnull (png);
        ck_assert_int_eq (mf_png_write_rows (png, rgb, 100), 0);
        stop = 1;
        int rc = 0;
        for (uint32_t row = 100; row < h && rc == 0; row += 10)
            rc = mf_png_write_rows (png, rgb + (size_t) row * w * 3, 10);
        ck_assert_int_eq (rc, -1);
        ck_assert_int_eq (mf_png_finish (&png), -1);
        ck_assert_ptr_null (png);
        ck_assert_int_eq (fclose (file), 0);
        size_t size;
        uint8_t *got = th_slurp (path, &size);
        ck_assert_uint_lt (size, whole_size);
        ck_assert (memcmp (got, want, size) == 0);
        free (got);
        //  Set once every row was given, it fails the finish.
        stop = 0;
        file = fopen (path, "wb");
        png = mf_png_open (file, &opts, err, sizeof err);
        ck_assert_int_eq (mf_png_write_rows (png, rgb, h - 10), 0);
        stop = 1;
        mf_png_write_rows (png, rgb + (size_t) (h - 10) * w * 3, 10);
        ck_assert_int_eq (mf_png_finish (&png), -1);
        fclose (file);
        free (path);
    }
    free (want);
    free (whole);
    free (rgb);
}
END_TEST

START_TEST (sizes_past_the_limits_refused)
{
    //  The limits are exact: a band of the widest image fits one deflate
    //  piece and one chunk; one pixel more does not.
    char err [256];
    ck_assert_int_eq (mf_png_check_size (MF_PNG_MAX_WIDTH, 1, err, sizeof err), 0);
    ck_assert_int_eq (mf_png_check_size (MF_PNG_MAX_WIDTH + 1, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "22367914"));
    ck_assert_int_eq (mf_png_check_size (1, MF_PNG_MAX_HEIGHT, err, sizeof err), 0);
    ck_assert_int_eq (mf_png_check_size (1, MF_PNG_MAX_HEIGHT + 1, err, sizeof err), -1);
    ck_assert_int_eq (mf_png_check_size (0, 1, err, sizeof err), -1);
    ck_assert_int_eq (mf_png_check_size (1, 0, err, sizeof err), -1);
    ck_assert_int_eq (mf_png_check_size (UINT32_MAX, UINT32_MAX, err, sizeof err), -1);
    //  The widths the old writer took (up to 0x1fffffff) and got wrong.
    ck_assert_int_eq (mf_png_check_size (0x1fffffff, 1, err, sizeof err), -1);
    //  A refused size writes nothing at all.
    char *path = th_path ("wide.png");
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_null (mf_png_new (file, MF_PNG_MAX_WIDTH + 1, 1, NULL, 0, 1,
                                    err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "cannot write a 22367915x1 PNG"));
    ck_assert_int_eq (ftell (file), 0);
    fclose (file);
    free (path);
}
END_TEST

//  Reads an RGB PNG of any depth with libpng, samples as stored
//  (16-bit ones big-endian). Returns the rows, 3 * w * depth / 8 bytes
//  each (caller frees), or NULL.
static uint8_t *
s_read_any (const char *path, uint32_t *w, uint32_t *h, int *depth)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png? png_create_info_struct (png): NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info || setjmp (png_jmpbuf (png))) {
        png_destroy_read_struct (&png, &info, NULL);
        free (pixels);
        free (rows);
        fclose (file);
        return NULL;
    }
    png_init_io (png, file);
    png_read_info (png, info);
    if (png_get_color_type (png, info) != PNG_COLOR_TYPE_RGB)
        png_error (png, "not RGB");
    *w = png_get_image_width (png, info);
    *h = png_get_image_height (png, info);
    *depth = png_get_bit_depth (png, info);
    size_t row = png_get_rowbytes (png, info);
    pixels = malloc (row * *h);
    rows = malloc (*h * sizeof *rows);
    for (uint32_t y = 0; y < *h; y++)
        rows [y] = pixels + y * row;
    png_read_image (png, rows);
    png_read_end (png, info);
    png_destroy_read_struct (&png, &info, NULL);
    free (rows);
    fclose (file);
    return pixels;
}

START_TEST (sixteen_bit_images_decode)
{
    //  Samples of every value, in big-endian pairs: libpng reads back the
    //  very bytes, IHDR says 16 bits, and any number of threads, rows
    //  copied or lent, writes the same file.
    static const uint32_t sizes [][2] = { { 1, 1 }, { 3, 33 }, { 257, 65 }, { 640, 100 } };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes [0]; s++) {
        uint32_t w = sizes [s][0], h = sizes [s][1];
        size_t row = (size_t) w * 6;
        uint8_t *samples = s_image (NOISE, (uint32_t) (row / 3), h);    //  row * h bytes
        //  Half the rows in flat runs, so that compression has work too.
        for (uint32_t y = 0; y < h; y += 2)
            memset (samples + y * row, (int) (y & 0xff), row);
        char *ref = th_path ("ref16.png");
        static const int threads [] = { 0, 1, 4 };
        for (int t = 0; t < 3; t++)
            for (int lend = 0; lend <= 1; lend++) {
                mf_png_text_t text [] = { { "Comment", "test" } };
                mf_png_opts_t opts = {
                    .width = w, .height = h, .texts = text, .count = 1, .level = 1,
                    .threads = threads [t], .lend_rows = lend, .depth = 16
                };
                char *path = th_path ("16.png");
                s_write_opened (path, &opts, samples, row);
                if (t == 0 && lend == 0) {
                    rename (path, ref);
                    uint32_t rw, rh;
                    int depth;
                    uint8_t *back = s_read_any (ref, &rw, &rh, &depth);
                    ck_assert_ptr_nonnull (back);
                    ck_assert (rw == w && rh == h && depth == 16);
                    ck_assert_msg (memcmp (back, samples, row * h) == 0, "%ux%u: samples differ",
                                   w, h);
                    free (back);
                }
                else
                    ck_assert_msg (th_same_file (ref, path), "%ux%u, %d threads, lend %d: "
                                   "bytes differ", w, h, threads [t], lend);
                free (path);
            }
        free (ref);
        free (samples);
    }
}
END_TEST

START_TEST (sixteen_bit_limits)
{
    //  Half the 8-bit width: a band of 16-bit rows is twice the bytes.
    char err [256];
    ck_assert_int_eq (mf_png_check_format (MF_PNG_MAX_WIDTH16, 1, 16, err, sizeof err), 0);
    ck_assert_int_eq (mf_png_check_format (MF_PNG_MAX_WIDTH16 + 1, 1, 16, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "16-bit PNG"));
    ck_assert_ptr_nonnull (strstr (err, "11183957"));
    ck_assert_int_eq (mf_png_check_format (MF_PNG_MAX_WIDTH, 1, 8, err, sizeof err), 0);
    ck_assert_int_eq (mf_png_check_format (1, 1, 12, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "only 8 or 16"));
    //  A refused depth writes nothing.
    char *path = th_path ("d.png");
    FILE *file = fopen (path, "wb");
    mf_png_opts_t opts = { .width = 4, .height = 4, .depth = 4 };
    ck_assert_ptr_null (mf_png_open (file, &opts, err, sizeof err));
    ck_assert_int_eq (ftell (file), 0);
    fclose (file);
    free (path);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("png");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, every_image_decodes_the_same_whoever_writes_it);
    tcase_add_test (tc, compression_pays);
    tcase_add_test (tc, bad_text_refused);
    tcase_add_test (tc, every_way_in_gives_the_same_bytes);
    tcase_add_test (tc, stop_abandons_the_image);
    tcase_add_test (tc, sizes_past_the_limits_refused);
    tcase_add_test (tc, sixteen_bit_images_decode);
    tcase_add_test (tc, sixteen_bit_limits);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
