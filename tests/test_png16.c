/*  --png16: the master writes -o at 16 bits per channel. libpng reads it
    back: every sample is the palette's 16-bit color of the render's mu
    (its --raw .npy), rounds to the 8-bit PNG of the same view by the
    stated relation (mf_palette.h), and the metadata is the 8-bit file's.
    Through mf_output, the bytes are the same on any number of threads.
*/
#include "helpers.h"
#include "mf_output.h"
#include "mf_palette.h"

#include <check.h>
#include <limits.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RENDER_MS 60000                 //  msecs a small render may take, at most

//  A PNG read with libpng, as stored: depth, size, rows (16-bit samples
//  big-endian), and its tEXt chunks as "key=value\n" lines.
typedef struct {
    uint32_t w, h;
    int depth;
    uint8_t *data;                      //  h rows of w * 3 * depth / 8 bytes
    char texts [2048];
} s_png_t;

static int
s_read (const char *path, s_png_t *out)
{
    memset (out, 0, sizeof *out);
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png? png_create_info_struct (png): NULL;
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info || setjmp (png_jmpbuf (png))) {
        png_destroy_read_struct (&png, &info, NULL);
        free (pixels);
        free (rows);
        fclose (file);
        return -1;
    }
    png_init_io (png, file);
    png_read_info (png, info);
    if (png_get_color_type (png, info) != PNG_COLOR_TYPE_RGB)
        png_error (png, "not RGB");
    out->w = png_get_image_width (png, info);
    out->h = png_get_image_height (png, info);
    out->depth = png_get_bit_depth (png, info);
    size_t row = png_get_rowbytes (png, info);
    pixels = malloc (row * out->h);
    rows = malloc (out->h * sizeof *rows);
    for (uint32_t y = 0; y < out->h; y++)
        rows [y] = pixels + y * row;
    png_read_image (png, rows);
    png_read_end (png, info);
    png_textp text;
    int count = 0;
    png_get_text (png, info, &text, &count);
    for (int index = 0; index < count; index++) {
        size_t used = strlen (out->texts);
        snprintf (out->texts + used, sizeof out->texts - used, "%s=%s\n", text [index].key,
                  text [index].text);
    }
    png_destroy_read_struct (&png, &info, NULL);
    free (rows);
    fclose (file);
    out->data = pixels;
    return 0;
}

//  The float32 values of a .npy (caller frees), count of them, or NULL.
static float *
s_read_npy (const char *path, size_t count)
{
    size_t size;
    uint8_t *data = th_slurp (path, &size);
    ck_assert_ptr_nonnull (data);
    //  Magic, version 1.0, a 16-bit header length, the header.
    ck_assert (size > 10 && memcmp (data, "\x93NUMPY\x01\x00", 8) == 0);
    size_t start = 10 + (size_t) (data [8] | data [9] << 8);
    ck_assert_uint_eq (size - start, count * 4);
    float *mu = malloc (count * sizeof *mu);
    for (size_t index = 0; index < count; index++) {
        const uint8_t *at = data + start + 4 * index;
        uint32_t bits = (uint32_t) at [0] | (uint32_t) at [1] << 8 | (uint32_t) at [2] << 16
                      | (uint32_t) at [3] << 24;
        memcpy (&mu [index], &bits, 4);
    }
    free (data);
    return mu;
}

START_TEST (master_writes_sixteen_bits)
{
    char *p16 = th_path ("16.png"), *p8 = th_path ("8.png"), *npy = th_path ("mu.npy");
    char out [4096];
    const char *argv16 [] = {
        th_bin ("mandelfarm-master"), "--size", "320x200", "--center", "-0.7453,0.1127",
        "--width", "0.01", "--iter", "2000", "--palette", "ocean", "-j", "2", "-q",
        "--png16", "-o", p16, "--raw", npy, NULL
    };
    int rc = th_run ((char *const *) argv16, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    const char *argv8 [] = {
        th_bin ("mandelfarm-master"), "--size", "320x200", "--center", "-0.7453,0.1127",
        "--width", "0.01", "--iter", "2000", "--palette", "ocean", "-j", "1", "-q",
        "-o", p8, NULL
    };
    rc = th_run ((char *const *) argv8, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    s_png_t a, b;
    ck_assert_int_eq (s_read (p16, &a), 0);
    ck_assert_int_eq (s_read (p8, &b), 0);
    ck_assert (a.w == 320 && a.h == 200 && a.depth == 16);
    ck_assert (b.w == 320 && b.h == 200 && b.depth == 8);
    //  The same metadata: what makes the image again.
    ck_assert_str_eq (a.texts, b.texts);
    ck_assert_ptr_nonnull (strstr (a.texts, "Palette=ocean\n"));
    //  Every sample: the palette's 16-bit color of mu, and rounded, the
    //  8-bit file's.
    size_t pixels = (size_t) a.w * a.h;
    float *mu = s_read_npy (npy, pixels);
    uint16_t *want = malloc (pixels * 3 * sizeof *want);
    mf_palette_color16 (mf_palette_find ("ocean"), mu, pixels, want);
    size_t wrong16 = 0, wrong8 = 0, finer = 0;
    for (size_t k = 0; k < pixels * 3; k++) {
        uint16_t v16 = (uint16_t) (a.data [2 * k] << 8 | a.data [2 * k + 1]);
        wrong16 += v16 != want [k];
        wrong8 += (uint8_t) (((uint32_t) v16 * 255u + 32767u) / 65535u) != b.data [k];
        finer += v16 % 257 != 0;
    }
    ck_assert_msg (wrong16 == 0, "%zu samples are not the palette's 16-bit colors", wrong16);
    ck_assert_msg (wrong8 == 0, "%zu samples do not round to the 8-bit file's", wrong8);
    //  And the 16 bits say more than the 8 did.
    ck_assert_msg (finer > pixels, "only %zu samples finer than 8 bits", finer);
    free (want);
    free (mu);
    free (a.data);
    free (b.data);
    free (p16);
    free (p8);
    free (npy);
}
END_TEST

START_TEST (any_threads_same_bytes)
{
    uint32_t w = 203, h = 97;
    float *mu = malloc ((size_t) w * h * sizeof *mu);
    for (size_t index = 0; index < (size_t) w * h; index++)
        mu [index] = index % 11 == 0? -1.0f: (float) (index % 977) * 0.37f;
    mf_output_spec_t spec = {
        .format = MF_OUTPUT_PNG, .width = w, .height = h, .center = "0,0", .span = "4",
        .maxiter = 100, .palette = mf_palette_find ("classic"), .depth = 16
    };
    char err [512];
    char *ref = th_path ("ref.png"), *other = th_path ("other.png");
    ck_assert_int_eq (mf_output_write (ref, &spec, mu, err, sizeof err), 0);
    static const int threads [] = { 1, 3, 7 };
    for (int t = 0; t < 3; t++) {
        spec.threads = threads [t];
        ck_assert_int_eq (mf_output_write (other, &spec, mu, err, sizeof err), 0);
        ck_assert_msg (th_same_file (ref, other), "%d threads: other bytes", threads [t]);
    }
    //  A depth other than 8 or 16 is refused, and nothing is written.
    spec.depth = 12;
    char *bad = th_path ("bad.png");
    ck_assert_int_eq (mf_output_write (bad, &spec, mu, err, sizeof err), -1);
    free (bad);
    ck_assert_ptr_nonnull (strstr (err, "only 8 or 16"));
    ck_assert_int_eq (th_count_entries (th_dir), 2);
    free (ref);
    free (other);
    free (mu);
}
END_TEST

START_TEST (refused_with_the_viewer)
{
    char out [1024];
    const char *argv [] = { th_bin ("mandelfarm-master"), "--view", "--png16", NULL };
    ck_assert_int_eq (th_run ((char *const *) argv, RENDER_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--png16 writes a headless render"), "%s", out);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("png16");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, master_writes_sixteen_bits);
    tcase_add_test (tc, any_threads_same_bytes);
    tcase_add_test (tc, refused_with_the_viewer);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
