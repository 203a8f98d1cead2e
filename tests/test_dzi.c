/*  The DZI tile pyramid and its web page. The pyramid of an image, read
    back tile by tile with libpng, is that image shrunk level by level by
    an independent reference, with the tile sizes and overlaps of the DZI
    convention, the same bytes on any number of threads; errors and stops
    are reported and leave nothing. Through mf_output, the full level is
    the PNG's pixels, and the folder appears whole or not at all. Then
    the master: --dzi and its refusals, and the page in headless Chromium,
    zoomed in at 1:1 on a detail, against a direct render of that detail
    (and, as a control, against the wrong one).
*/
#include "helpers.h"
#include "mf_dzi.h"
#include "mf_output.h"
#include "mf_palette.h"
#include "mf_webview.h"

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RENDER_MS 60000                 //  msecs a small render may take, at most
#define BROWSER_MS 90000                //  msecs the browser script may take, at most

static char path [PATH_MAX];

static const char *
s_path (const char *name)
{
    snprintf (path, sizeof path, "%s/%s", th_dir, name);
    return path;
}

//  ---------------------------------------------------------------------
//  Images and their reference pyramid

//  An image with smooth parts and noise, so that averaging shows.
static uint8_t *
s_image (uint32_t w, uint32_t h, uint32_t seed)
{
    uint8_t *rgb = malloc ((size_t) w * h * 3);
    ck_assert_ptr_nonnull (rgb);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int ch = 0; ch < 3; ch++) {
                seed = seed * 1103515245u + 12345u;
                uint8_t *at = rgb + ((size_t) y * w + x) * 3 + ch;
                *at = (x / 7 + y / 5) % 3? (uint8_t) (x * 3 + y * (ch + 1))
                                         : (uint8_t) (seed >> 16);
            }
    return rgb;
}

//  The level below, by the definition: each pixel the mean, rounded
//  half up, of the up to four pixels it covers. Caller frees.
static uint8_t *
s_shrink_ref (const uint8_t *rgb, uint32_t w, uint32_t h, uint32_t *w2, uint32_t *h2)
{
    *w2 = (w + 1) / 2;
    *h2 = (h + 1) / 2;
    uint8_t *out = malloc ((size_t) *w2 * *h2 * 3);
    ck_assert_ptr_nonnull (out);
    for (uint32_t y = 0; y < *h2; y++)
        for (uint32_t x = 0; x < *w2; x++)
            for (int ch = 0; ch < 3; ch++) {
                unsigned sum = 0, count = 0;
                for (uint32_t dy = 0; dy < 2; dy++)
                    for (uint32_t dx = 0; dx < 2; dx++)
                        if (2 * x + dx < w && 2 * y + dy < h) {
                            sum += rgb [((size_t) (2 * y + dy) * w + 2 * x + dx) * 3 + ch];
                            count++;
                        }
                out [((size_t) y * *w2 + x) * 3 + ch] = (uint8_t) ((sum + count / 2) / count);
            }
    return out;
}

//  Writes rgb as a pyramid named "img" into dir, rows in uneven pieces.
static void
s_write_pyramid (const char *dir, const uint8_t *rgb, uint32_t w, uint32_t h, int threads)
{
    char err [PATH_MAX + 256];
    mf_dzi_opts_t opts = { .name = "img", .width = w, .height = h, .threads = threads };
    mf_dzi_t *dzi = mf_dzi_open (dir, &opts, err, sizeof err);
    ck_assert_msg (dzi != NULL, "%s", err);
    for (uint32_t y = 0; y < h; ) {
        uint32_t rows = y % 41 + 1 < h - y? y % 41 + 1: h - y;
        ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb + (size_t) y * w * 3, rows, err,
                                             sizeof err), 0);
        y += rows;
    }
    ck_assert_msg (mf_dzi_finish (dzi, err, sizeof err) == 0, "%s", err);
    mf_dzi_destroy (&dzi);
    ck_assert_ptr_null (dzi);
    mf_dzi_destroy (&dzi);                  //  safe twice
}

//  Checks every tile of the pyramid "name" in dir against the image:
//  the levels, their sizes, the tiles' extents with their overlap, the
//  pixels, nothing more; and the descriptor.
static void
s_check_pyramid (const char *dir, const char *name, const uint8_t *rgb, uint32_t w, uint32_t h)
{
    uint32_t max = mf_dzi_max_level (w, h);
    //  2^max covers the image, 2^(max - 1) does not.
    ck_assert ((1ull << max) >= w && (1ull << max) >= h);
    ck_assert (max == 0 || ((1ull << (max - 1)) < w || (1ull << (max - 1)) < h));
    char files [PATH_MAX];
    snprintf (files, sizeof files, "%s/%s_files", dir, name);
    ck_assert_int_eq (th_count_entries (files), (int) max + 1);
    uint8_t *level = malloc ((size_t) w * h * 3);
    memcpy (level, rgb, (size_t) w * h * 3);
    uint32_t lw = w, lh = h;
    for (int64_t index = max; index >= 0; index--) {
        uint32_t want_w, want_h;
        mf_dzi_level_size (w, h, (uint32_t) index, &want_w, &want_h);
        ck_assert_msg (want_w == lw && want_h == lh, "level %lld: %ux%u, not %ux%u",
                       (long long) index, want_w, want_h, lw, lh);
        uint32_t cols = (lw + 253) / 254, rows = (lh + 253) / 254;
        char folder [PATH_MAX + 16];
        snprintf (folder, sizeof folder, "%s/%lld", files, (long long) index);
        ck_assert_int_eq (th_count_entries (folder), (int) (cols * rows));
        for (uint32_t row = 0; row < rows; row++)
            for (uint32_t col = 0; col < cols; col++) {
                uint32_t x0 = col? col * 254 - 1: 0, y0 = row? row * 254 - 1: 0;
                uint32_t x1 = (col + 1) * 254 + 1 < lw? (col + 1) * 254 + 1: lw;
                uint32_t y1 = (row + 1) * 254 + 1 < lh? (row + 1) * 254 + 1: lh;
                char tile [PATH_MAX + 64];
                snprintf (tile, sizeof tile, "%s/%u_%u.png", folder, col, row);
                uint32_t tw, th;
                uint8_t *pixels;
                ck_assert_msg (th_png_read (tile, &tw, &th, &pixels, NULL, NULL, 0) == 0,
                               "%s cannot be read", tile);
                ck_assert_msg (tw == x1 - x0 && th == y1 - y0, "%s is %ux%u, not %ux%u",
                               tile, tw, th, x1 - x0, y1 - y0);
                int same = 1;
                for (uint32_t y = 0; y < th && same; y++)
                    same = memcmp (pixels + (size_t) y * tw * 3,
                                   level + ((size_t) (y0 + y) * lw + x0) * 3,
                                   (size_t) tw * 3) == 0;
                ck_assert_msg (same, "%s: pixels differ from the reference", tile);
                free (pixels);
            }
        uint32_t nw, nh;
        uint8_t *next = index? s_shrink_ref (level, lw, lh, &nw, &nh): NULL;
        free (level);
        level = next;
        lw = nw;
        lh = nh;
    }
    ck_assert_ptr_null (level);
    char descriptor [PATH_MAX], want [512];
    snprintf (descriptor, sizeof descriptor, "%s/%s.dzi", dir, name);
    snprintf (want, sizeof want, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<Image xmlns=\"http://schemas.microsoft.com/deepzoom/2008\" Format=\"png\" "
              "Overlap=\"1\" TileSize=\"254\">\n  <Size Width=\"%u\" Height=\"%u\"/>\n"
              "</Image>\n", w, h);
    size_t size;
    char *text = (char *) th_slurp (descriptor, &size);
    ck_assert_ptr_nonnull (text);
    ck_assert (size == strlen (want) && memcmp (text, want, size) == 0);
    free (text);
}

//  A text file, NUL-terminated (caller frees), or NULL.
static char *
s_text (const char *file)
{
    size_t size;
    uint8_t *data = th_slurp (file, &size);
    char *text = data? malloc (size + 1): NULL;
    if (text) {
        memcpy (text, data, size);
        text [size] = 0;
    }
    free (data);
    return text;
}

//  Whether the trees a and b hold the same files with the same bytes
//  (a's files all in b, and as many entries in each folder).
static bool
s_same_tree (const char *a, const char *b)
{
    struct stat st;
    if (stat (a, &st))
        return false;
    if (!S_ISDIR (st.st_mode))
        return th_same_file (a, b);
    if (th_count_entries (a) != th_count_entries (b))
        return false;
    DIR *dir = opendir (a);
    bool same = dir != NULL;
    struct dirent *entry;
    while (same && (entry = readdir (dir))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        char pa [PATH_MAX], pb [PATH_MAX];
        snprintf (pa, sizeof pa, "%s/%s", a, entry->d_name);
        snprintf (pb, sizeof pb, "%s/%s", b, entry->d_name);
        same = s_same_tree (pa, pb);
    }
    if (dir)
        closedir (dir);
    return same;
}

//  ---------------------------------------------------------------------
//  The pyramid

START_TEST (levels_by_the_convention)
{
    ck_assert_uint_eq (mf_dzi_max_level (1, 1), 0);
    ck_assert_uint_eq (mf_dzi_max_level (2, 1), 1);
    ck_assert_uint_eq (mf_dzi_max_level (3, 1), 2);
    ck_assert_uint_eq (mf_dzi_max_level (1200, 800), 11);
    ck_assert_uint_eq (mf_dzi_max_level (1024, 1024), 10);
    ck_assert_uint_eq (mf_dzi_max_level (1, 1025), 11);
    ck_assert_uint_eq (mf_dzi_max_level (100000, 100000), 17);
    ck_assert_uint_eq (mf_dzi_max_level (UINT32_MAX, 1), 32);
    uint32_t w, h;
    mf_dzi_level_size (1200, 800, 11, &w, &h);
    ck_assert (w == 1200 && h == 800);
    mf_dzi_level_size (1200, 800, 10, &w, &h);
    ck_assert (w == 600 && h == 400);
    mf_dzi_level_size (1200, 800, 2, &w, &h);      //  ceil (1200 / 512), ceil (800 / 512)
    ck_assert (w == 3 && h == 2);
    mf_dzi_level_size (1200, 800, 0, &w, &h);
    ck_assert (w == 1 && h == 1);
    mf_dzi_level_size (UINT32_MAX, 3, 31, &w, &h);
    ck_assert (w == 0x80000000u && h == 2);
}
END_TEST

START_TEST (every_level_is_the_one_above_shrunk)
{
    //  Sizes around a tile and its overlap, odd and even, one pixel wide.
    static const uint32_t sizes [][2] = {
        { 1, 1 }, { 2, 1 }, { 1, 3 }, { 254, 254 }, { 255, 255 }, { 256, 253 },
        { 509, 300 }, { 600, 1 }, { 3, 700 }
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes [0]; s++) {
        uint32_t w = sizes [s][0], h = sizes [s][1];
        uint8_t *rgb = s_image (w, h, (uint32_t) s + 1);
        char dir [PATH_MAX];
        snprintf (dir, sizeof dir, "%s/p%zu", th_dir, s);
        ck_assert_int_eq (mkdir (dir, 0777), 0);
        s_write_pyramid (dir, rgb, w, h, s % 3 == 0? 0: 2);
        s_check_pyramid (dir, "img", rgb, w, h);
        ck_assert_int_eq (th_count_entries (dir), 2);       //  img.dzi, img_files
        free (rgb);
    }
}
END_TEST

START_TEST (same_tiles_whatever_the_threads)
{
    uint32_t w = 700, h = 530;
    uint8_t *rgb = s_image (w, h, 7);
    static const int threads [] = { 0, 1, 3, 8 };
    for (int t = 0; t < 4; t++) {
        char dir [PATH_MAX];
        snprintf (dir, sizeof dir, "%s/t%d", th_dir, threads [t]);
        ck_assert_int_eq (mkdir (dir, 0777), 0);
        s_write_pyramid (dir, rgb, w, h, threads [t]);
        if (t)
            ck_assert_msg (s_same_tree (s_path ("t0"), dir), "%d threads: other tiles",
                           threads [t]);
    }
    s_check_pyramid (s_path ("t0"), "img", rgb, w, h);
    free (rgb);
}
END_TEST

START_TEST (failures_are_reported)
{
    char err [PATH_MAX + 256];
    uint32_t w = 300, h = 300;
    uint8_t *rgb = s_image (w, h, 3);
    mf_dzi_opts_t opts = { .name = "img", .width = w, .height = h, .threads = 2 };
    //  A level's folder that became a file: its tile cannot be written,
    //  and the error names it.
    mf_dzi_t *dzi = mf_dzi_open (th_dir, &opts, err, sizeof err);
    ck_assert_ptr_nonnull (dzi);
    ck_assert_int_eq (rmdir (s_path ("img_files/0")), 0);
    FILE *file = fopen (s_path ("img_files/0"), "w");
    fclose (file);
    int rc = mf_dzi_write_rows (dzi, rgb, h, err, sizeof err);
    if (rc == 0)
        rc = mf_dzi_finish (dzi, err, sizeof err);
    ck_assert_int_eq (rc, -1);
    ck_assert_msg (strstr (err, "img_files/0/0_0.png") && strstr (err, "Not a directory"),
                   "%s", err);
    ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb, 1, err, sizeof err), -1);
    mf_dzi_destroy (&dzi);
    //  Rows too many, rows missing.
    ck_assert_int_eq (mkdir (s_path ("b"), 0777), 0);
    dzi = mf_dzi_open (s_path ("b"), &opts, err, sizeof err);
    ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb, h - 1, err, sizeof err), 0);
    ck_assert_int_eq (mf_dzi_finish (dzi, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "missing 1 of its 300 rows"));
    mf_dzi_destroy (&dzi);
    ck_assert_int_eq (mkdir (s_path ("c"), 0777), 0);
    dzi = mf_dzi_open (s_path ("c"), &opts, err, sizeof err);
    ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb, h - 1, err, sizeof err), 0);
    ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb, 2, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "has 300 rows, not 301"));
    mf_dzi_destroy (&dzi);
    //  A folder that is not there.
    ck_assert_ptr_null (mf_dzi_open (s_path ("none"), &opts, err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "cannot make the folders"));
    free (rgb);
}
END_TEST

START_TEST (a_stop_stops)
{
    //  Set between rows, as a signal would: the next rows or the finish
    //  fail, on any number of threads.
    uint32_t w = 600, h = 600;
    uint8_t *rgb = s_image (w, h, 5);
    static const int threads [] = { 0, 3 };
    for (int t = 0; t < 2; t++) {
        char err [256], dir [PATH_MAX];
        snprintf (dir, sizeof dir, "%s/s%d", th_dir, t);
        ck_assert_int_eq (mkdir (dir, 0777), 0);
        volatile sig_atomic_t stop = 0;
        mf_dzi_opts_t opts = { .name = "img", .width = w, .height = h,
                               .threads = threads [t], .stop = &stop };
        mf_dzi_t *dzi = mf_dzi_open (dir, &opts, err, sizeof err);
        ck_assert_int_eq (mf_dzi_write_rows (dzi, rgb, 300, err, sizeof err), 0);
        stop = 1;
        int rc = mf_dzi_write_rows (dzi, rgb + (size_t) 300 * w * 3, 300, err, sizeof err);
        if (rc == 0)
            rc = mf_dzi_finish (dzi, err, sizeof err);
        ck_assert_int_eq (rc, -1);
        ck_assert_str_eq (err, "interrupted");
        mf_dzi_destroy (&dzi);
    }
    free (rgb);
}
END_TEST

//  ---------------------------------------------------------------------
//  Through mf_output, with a stand-in library

//  Makes a stand-in for OpenSeadragon's files and points the page at it.
static void
s_fake_library (void)
{
    ck_assert_int_eq (mkdir (s_path ("lib"), 0777), 0);
    ck_assert_int_eq (mkdir (s_path ("lib/images"), 0777), 0);
    static const char *const files [] = {
        "lib/openseadragon.min.js", "lib/LICENSE.txt", "lib/images/home_rest.png"
    };
    for (int index = 0; index < 3; index++) {
        FILE *file = fopen (s_path (files [index]), "w");
        fputs (files [index], file);
        fclose (file);
    }
    setenv (MF_WEBVIEW_ENV, s_path ("lib"), 1);
}

static float *
s_mu (uint32_t w, uint32_t h)
{
    float *mu = malloc ((size_t) w * h * sizeof *mu);
    for (size_t index = 0; index < (size_t) w * h; index++)
        mu [index] = index % 13 == 0? -1.0f: (float) ((index * 37) % 1000) * 0.11f;
    return mu;
}

static mf_output_spec_t
s_spec (mf_output_format_t format, uint32_t w, uint32_t h)
{
    mf_output_spec_t spec = {
        .format = format, .width = w, .height = h, .center = "-0.75,0", .span = "3.5",
        .maxiter = 1000, .palette = mf_palette_find ("fire"), .threads = 2
    };
    return spec;
}

START_TEST (output_full_level_is_the_png)
{
    s_fake_library ();
    uint32_t w = 530, h = 300;
    float *mu = s_mu (w, h);
    char err [PATH_MAX + 256];
    mf_output_spec_t spec = s_spec (MF_OUTPUT_PNG, w, h);
    ck_assert_int_eq (mf_output_write (s_path ("a.png"), &spec, mu, err, sizeof err), 0);
    uint32_t pw, ph;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (s_path ("a.png"), &pw, &ph, &rgb, NULL, NULL, 0), 0);
    //  Opened, fed and finished, it is not there; committed, it is whole.
    spec.format = MF_OUTPUT_DZI;
    mf_output_t *out = mf_output_open (s_path ("site"), &spec, err, sizeof err);
    ck_assert_msg (out != NULL, "%s", err);
    ck_assert_int_eq (mf_output_write_rows (out, mu, 100, err, sizeof err), 0);
    ck_assert_int_eq (mf_output_write_rows (out, mu + 100 * w, h - 100, err, sizeof err), 0);
    ck_assert_int_eq (mf_output_finish (out, err, sizeof err), 0);
    ck_assert (!th_exists (s_path ("site")));
    ck_assert_int_eq (mf_output_commit (&out, err, sizeof err), 0);
    s_check_pyramid (s_path ("site"), MF_OUTPUT_DZI_NAME, rgb, w, h);
    //  The page and the library beside the pyramid, nothing else.
    ck_assert_int_eq (th_count_entries (s_path ("site")), 4);
    ck_assert (s_same_tree (s_path ("lib"), s_path ("site/openseadragon")));
    char *html = s_text (s_path ("site/index.html"));
    ck_assert_ptr_nonnull (html);
    ck_assert_ptr_nonnull (strstr (html, "<title>Mandelbrot set at -0.75,0, width 3.5 "
                                         "(530x300, 1000 iterations)</title>"));
    ck_assert_ptr_nonnull (strstr (html, "palette fire"));
    ck_assert_ptr_nonnull (strstr (html, "src=\"openseadragon/openseadragon.min.js\""));
    ck_assert_ptr_nonnull (strstr (html, "tilesUrl: \"mandelbrot_files/\""));
    //  Nothing on the internet: not one URL with a scheme.
    ck_assert_ptr_null (strstr (html, "http"));
    ck_assert_ptr_null (strstr (html, "//cdn"));
    free (html);
    //  Rows copied rather than lent, other threads: the same files.
    spec.threads = 0;
    spec.lend_rows = true;
    ck_assert_int_eq (mf_output_write (s_path ("again"), &spec, mu, err, sizeof err), 0);
    ck_assert (s_same_tree (s_path ("site"), s_path ("again")));
    free (rgb);
    free (mu);
}
END_TEST

START_TEST (output_refusals_leave_nothing)
{
    s_fake_library ();
    uint32_t w = 300, h = 300;
    float *mu = s_mu (w, h);
    char err [PATH_MAX + 256];
    mf_output_spec_t spec = s_spec (MF_OUTPUT_DZI, w, h);
    //  A folder with something in it.
    ck_assert_int_eq (mkdir (s_path ("full"), 0777), 0);
    FILE *file = fopen (s_path ("full/mine"), "w");
    fclose (file);
    ck_assert_int_eq (mf_output_write (s_path ("full"), &spec, mu, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "is not empty"));
    ck_assert_int_eq (th_count_entries (s_path ("full")), 1);
    //  A stop: no folder.
    volatile sig_atomic_t stop = 0;
    spec.stop = &stop;
    mf_output_t *out = mf_output_open (s_path ("stopped"), &spec, err, sizeof err);
    ck_assert_ptr_nonnull (out);
    ck_assert_int_eq (mf_output_write_rows (out, mu, 100, err, sizeof err), 0);
    stop = 1;
    int rc = mf_output_write_rows (out, mu + 100 * w, h - 100, err, sizeof err);
    if (rc == 0)
        rc = mf_output_finish (out, err, sizeof err);
    ck_assert_int_eq (rc, -1);
    ck_assert_ptr_nonnull (strstr (err, "interrupted while writing the tile pyramid"));
    mf_output_abort (&out);
    spec.stop = NULL;
    //  Not a file to adopt.
    mf_outfile_t *file_out = mf_outfile_open (s_path ("x"), err, sizeof err);
    ck_assert_ptr_null (mf_output_adopt (&file_out, s_path ("x"), &spec, err, sizeof err));
    ck_assert_ptr_null (file_out);
    //  Without the library: refused before anything is made.
    setenv (MF_WEBVIEW_ENV, s_path ("no-such-library"), 1);
    ck_assert_int_eq (mf_output_check (&spec, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "openseadragon.min.js"));
    ck_assert_int_eq (mf_output_write (s_path ("nolib"), &spec, mu, err, sizeof err), -1);
    //  Only what the test made is left: lib, full.
    ck_assert_int_eq (th_count_entries (th_dir), 2);
    free (mu);
}
END_TEST

START_TEST (page_escapes_and_finds)
{
    mf_webview_page_t page = {
        .name = "mandelbrot", .width = 10, .height = 20, .center = "<b>&\"'",
        .span = "1e-5", .maxiter = 7, .palette = "gray"
    };
    char *html = mf_webview_html (&page);
    ck_assert_ptr_nonnull (html);
    ck_assert_ptr_null (strstr (html, "<b>"));
    ck_assert_ptr_nonnull (strstr (html, "&lt;b&gt;&amp;&quot;&#39;"));
    ck_assert_ptr_nonnull (strstr (html, "width: 10, height: 20, tileSize: 254, tileOverlap: 1"));
    free (html);
    //  The library: the variable wins, and must be whole.
    char dir [PATH_MAX], err [PATH_MAX * 3];
    s_fake_library ();
    ck_assert_int_eq (mf_webview_find_library (dir, sizeof dir, err, sizeof err), 0);
    ck_assert_str_eq (dir, s_path ("lib"));
    ck_assert_int_eq (unlink (s_path ("lib/LICENSE.txt")), 0);
    ck_assert_int_eq (mf_webview_find_library (dir, sizeof dir, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, MF_WEBVIEW_ENV));
    //  Without it, the places beside the program are named, and how to
    //  fill them.
    unsetenv (MF_WEBVIEW_ENV);
    if (mf_webview_find_library (dir, sizeof dir, err, sizeof err))
        ck_assert_ptr_nonnull (strstr (err, "scripts/install-deps.sh --dzi"));
    else
        ck_assert_ptr_nonnull (strstr (dir, "/share/mandelfarm/openseadragon"));
}
END_TEST

//  ---------------------------------------------------------------------
//  The master, and the page in a browser

//  The vendored library, or a skip saying how to get it. Returns 1 if
//  it is there.
static int
s_have_library (void)
{
    unsetenv (MF_WEBVIEW_ENV);
    char dir [PATH_MAX], err [PATH_MAX * 3];
    if (mf_webview_find_library (dir, sizeof dir, err, sizeof err) == 0)
        return 1;
    //  The test runs beside bin/: the master looks where the test does.
    char why [PATH_MAX * 3 + 64];
    snprintf (why, sizeof why, "OpenSeadragon is not vendored: %s", err);
    th_skip (why);
    return 0;
}

//  The view every master test renders: pixels 2^-9 wide, a center on
//  that grid, so that a region of it, rendered on its own, has the very
//  same sample points (every coordinate exact in binary).
#define VIEW_W 1200
#define VIEW_H 800
#define VIEW_RE (-0.75)
#define VIEW_IM 0.0
#define VIEW_PITCH (1.0 / 512)
#define VIEW_ITER "600"

static const char *
s_num (double value, char *buffer, size_t size)
{
    snprintf (buffer, size, "%.17g", value);
    return buffer;
}

//  Renders the view (or a region of it: w x h pixels from pixel x0, y0)
//  to png, plus extra arguments (NULL-terminated). Returns the status.
static int
s_render (uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, const char *png,
          const char *const extra [], char *out, size_t size)
{
    double xmin = VIEW_RE - VIEW_W / 2 * VIEW_PITCH, ymax = VIEW_IM + VIEW_H / 2 * VIEW_PITCH;
    char center [80], re [32], im [32], width [32], dims [32];
    snprintf (center, sizeof center, "%s,%s",
              s_num (xmin + (x0 + w / 2.0) * VIEW_PITCH, re, sizeof re),
              s_num (ymax - (y0 + h / 2.0) * VIEW_PITCH, im, sizeof im));
    s_num (w * VIEW_PITCH, width, sizeof width);
    snprintf (dims, sizeof dims, "%ux%u", w, h);
    const char *argv [32] = {
        th_bin ("mandelfarm-master"), "--size", dims, "--center", center, "--width", width,
        "--iter", VIEW_ITER, "-j", "2", "-q", "-o", png
    };
    int argc = 14;
    for (int index = 0; extra && extra [index] && argc < 31; index++)
        argv [argc++] = extra [index];
    argv [argc] = NULL;
    return th_run ((char *const *) argv, RENDER_MS, out, size);
}

START_TEST (master_writes_the_view)
{
    if (!s_have_library ())
        return;
    char out [4096], site [PATH_MAX];
    snprintf (site, sizeof site, "%s", s_path ("site"));
    const char *extra [] = { "--dzi", site, NULL };
    char *png = th_path ("full.png");
    int rc = s_render (0, 0, VIEW_W, VIEW_H, png, extra, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, NULL, NULL, 0), 0);
    s_check_pyramid (site, MF_OUTPUT_DZI_NAME, rgb, w, h);
    ck_assert (th_exists (s_path ("site/openseadragon/openseadragon.min.js")));
    ck_assert (th_exists (s_path ("site/openseadragon/LICENSE.txt")));
    ck_assert (th_exists (s_path ("site/openseadragon/images/zoomin_rest.png")));
    ck_assert (th_count_text (s_path ("site/openseadragon/LICENSE.txt"), "BSD") > 0
               || th_count_text (s_path ("site/openseadragon/LICENSE.txt"),
                                 "Redistribution and use") > 0);
    ck_assert (th_count_text (s_path ("site/index.html"), "width 2.34375 (1200x800, "
                              VIEW_ITER " iterations)") == 1);
    ck_assert_int_eq (th_count_text (s_path ("site/index.html"), "http"), 0);
    free (rgb);
    free (png);
}
END_TEST

START_TEST (master_refusals)
{
    //  Every refusal comes before the library is looked for, or is about
    //  it: this runs whether it is vendored or not.
    char out [4096], site [PATH_MAX], inside [PATH_MAX + 16];
    snprintf (site, sizeof site, "%s", s_path ("site"));
    snprintf (inside, sizeof inside, "%s/x.png", site);
    //  A folder with something in it: status 2, the folder as it was,
    //  no PNG either.
    ck_assert_int_eq (mkdir (site, 0777), 0);
    FILE *file = fopen (s_path ("site/mine.txt"), "w");
    fputs ("mine", file);
    fclose (file);
    const char *full [] = { "--dzi", site, NULL };
    char *png = th_path ("a.png");
    ck_assert_int_eq (s_render (0, 0, 64, 64, png, full, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--dzi:") && strstr (out, "is not empty"), "%s", out);
    ck_assert_int_eq (th_count_entries (site), 1);
    ck_assert (!th_exists (png));
    ck_assert_int_eq (unlink (s_path ("site/mine.txt")), 0);
    //  -o inside the folder would keep it from being renamed into place;
    //  -o as the folder's own name would take it.
    ck_assert_int_eq (s_render (0, 0, 64, 64, inside, full, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "is the --dzi folder"), "%s", out);
    char *same = th_path ("new");
    const char *as_png [] = { "--dzi", same, NULL };
    ck_assert_int_eq (s_render (0, 0, 64, 64, same, as_png, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "-o:") && strstr (out, "is the --dzi folder"), "%s", out);
    free (same);
    //  Without the library: status 2 and how to get it.
    setenv (MF_WEBVIEW_ENV, s_path ("nothing-here"), 1);
    ck_assert_int_eq (s_render (0, 0, 64, 64, png, full, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--dzi: OpenSeadragon's files are not in"), "%s", out);
    unsetenv (MF_WEBVIEW_ENV);
    //  Not with the viewer; not empty.
    const char *argv [] = { th_bin ("mandelfarm-master"), "--view", "--dzi", site, NULL };
    ck_assert_int_eq (th_run ((char *const *) argv, RENDER_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--dzi writes a headless render"), "%s", out);
    const char *empty [] = { th_bin ("mandelfarm-master"), "--dzi", "", NULL };
    ck_assert_int_eq (th_run ((char *const *) empty, RENDER_MS, out, sizeof out), 2);
    //  The empty folder is still there and still empty; nothing else made.
    ck_assert_int_eq (th_count_entries (site), 0);
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    free (png);
}
END_TEST

//  The first program of names found in PATH, into found. Returns 1 or 0.
static int
s_which (const char *const names [], char *found, size_t size)
{
    const char *env = getenv ("PATH");
    char copy [4096];
    snprintf (copy, sizeof copy, "%s", env? env: "/usr/bin:/bin");
    for (int index = 0; names [index]; index++) {
        char *save = NULL;
        char dirs [4096];
        memcpy (dirs, copy, sizeof dirs);
        for (char *dir = strtok_r (dirs, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
            snprintf (found, size, "%s/%s", dir, names [index]);
            if (access (found, X_OK) == 0)
                return 1;
        }
    }
    return 0;
}

//  Reads any PNG as 8-bit RGB (Chromium's screenshots may have alpha).
//  Returns the pixels (caller frees), or NULL.
static uint8_t *
s_read_rgb (const char *file_path, uint32_t *w, uint32_t *h)
{
    png_image image = { .version = PNG_IMAGE_VERSION };
    if (!png_image_begin_read_from_file (&image, file_path))
        return NULL;
    image.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc (PNG_IMAGE_SIZE (image));
    if (!rgb || !png_image_finish_read (&image, NULL, rgb, 0, NULL)) {
        png_image_free (&image);
        free (rgb);
        return NULL;
    }
    *w = image.width;
    *h = image.height;
    return rgb;
}

//  How a screenshot differs from w x h pixels at x0, y0 of an image
//  iw pixels wide: pixels that differ, and the mean absolute difference
//  per sample.
static void
s_compare (const uint8_t *shot, uint32_t w, uint32_t h, const uint8_t *image, uint32_t iw,
           uint32_t x0, uint32_t y0, long *differ, double *mad)
{
    long pixels = 0;
    double sum = 0;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *a = shot + ((size_t) y * w + x) * 3;
            const uint8_t *b = image + ((size_t) (y0 + y) * iw + x0 + x) * 3;
            int any = 0;
            for (int ch = 0; ch < 3; ch++) {
                sum += abs (a [ch] - b [ch]);
                any |= a [ch] != b [ch];
            }
            pixels += any;
        }
    *differ = pixels;
    *mad = sum / (3.0 * w * h);
}

START_TEST (the_browser_shows_the_render)
{
    char chromium [PATH_MAX], node [PATH_MAX];
    static const char *const browsers [] = { "chromium", "chromium-browser", NULL };
    static const char *const nodes [] = { "node", "nodejs", NULL };
    if (!s_which (browsers, chromium, sizeof chromium)) {
        th_skip ("no chromium in PATH (scripts/install-deps.sh installs it)");
        return;
    }
    if (!s_which (nodes, node, sizeof node)) {
        th_skip ("no node in PATH (scripts/install-deps.sh installs nodejs)");
        return;
    }
    if (!s_have_library ())
        return;
    //  The whole view, with its pyramid.
    char out [4096], site [PATH_MAX];
    snprintf (site, sizeof site, "%s", s_path ("site"));
    const char *extra [] = { "--dzi", site, NULL };
    char *full = th_path ("full.png");
    int rc = s_render (0, 0, VIEW_W, VIEW_H, full, extra, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    //  A detail, 300x200 from pixel (450, 200): seahorse valley, between
    //  the cardioid and the period-2 bulb, rendered on its own.
    enum { X0 = 450, Y0 = 200, W = 300, H = 200 };
    char *detail = th_path ("detail.png");
    rc = s_render (X0, Y0, W, H, detail, NULL, out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    //  The page zoomed in on it at 1:1: the image pixel at the window's
    //  center, one screen pixel per image pixel.
    char url [PATH_MAX + 128], script [PATH_MAX], dims [2][16];
    snprintf (url, sizeof url, "file://%s/index.html#x=%d&y=%d&zoom=1", site, X0 + W / 2,
              Y0 + H / 2);
    //  Beside this suite's source: bin/'s sibling tests/.
    snprintf (script, sizeof script, "%s", th_bin ("mandelfarm-master"));
    *strrchr (script, '/') = 0;
    *strrchr (script, '/') = 0;
    strncat (script, "/tests/dzi_browser.js", sizeof script - strlen (script) - 1);
    snprintf (dims [0], sizeof dims [0], "%d", W);
    snprintf (dims [1], sizeof dims [1], "%d", H);
    char *profile = th_path ("profile"), *shot = th_path ("shot.png");
    char *requests = th_path ("requests.txt");
    const char *argv [] = { node, script, chromium, profile, url, dims [0], dims [1], shot,
                            requests, NULL };
    rc = th_run ((char *const *) argv, BROWSER_MS, out, sizeof out);
    if (rc == 3) {
        char why [4200];
        snprintf (why, sizeof why, "chromium cannot run here: %.4000s", out);
        th_skip (why);
        return;
    }
    ck_assert_msg (rc == 0, "the browser script: status %d: %s", rc, out);
    uint32_t sw, sh, dw, dh, fw, fh;
    uint8_t *seen = s_read_rgb (shot, &sw, &sh);
    uint8_t *direct = s_read_rgb (detail, &dw, &dh);
    uint8_t *whole = s_read_rgb (full, &fw, &fh);
    ck_assert (seen && direct && whole);
    ck_assert (sw == W && sh == H && dw == W && dh == H && fw == VIEW_W && fh == VIEW_H);
    //  The direct render of the detail is the whole view's pixels there.
    long differ;
    double mad;
    s_compare (direct, W, H, whole, VIEW_W, X0, Y0, &differ, &mad);
    ck_assert_msg (differ == 0, "the detail rendered alone differs in %ld pixels", differ);
    //  What the browser shows at 1:1 is that render, pixel for pixel.
    s_compare (seen, W, H, direct, W, 0, 0, &differ, &mad);
    ck_assert_msg (differ == 0, "the browser shows %ld pixels other than the render "
                   "(mean difference %.3f)", differ, mad);
    //  The control: the same comparison tells a region one pixel off, or
    //  elsewhere, from the right one.
    static const uint32_t wrong [][2] = { { X0 + 1, Y0 }, { X0, Y0 + 1 }, { 100, 500 } };
    for (int index = 0; index < 3; index++) {
        s_compare (seen, W, H, whole, VIEW_W, wrong [index][0], wrong [index][1], &differ,
                   &mad);
        ck_assert_msg (differ > W * H / 10 && mad > 2.0, "region (%u, %u): only %ld pixels "
                       "differ (mean %.3f)", wrong [index][0], wrong [index][1], differ, mad);
    }
    //  Every request stayed on this machine: files of the folder only.
    char *list = s_text (requests);
    ck_assert_ptr_nonnull (list);
    char prefix [PATH_MAX + 16];
    snprintf (prefix, sizeof prefix, "file://%s/", site);
    int lines = 0, tiles = 0;
    char *save = NULL;
    for (char *line = strtok_r (list, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        lines++;
        ck_assert_msg (strncmp (line, prefix, strlen (prefix)) == 0
                       || strncmp (line, "data:", 5) == 0, "the page asked for %s", line);
        tiles += strstr (line, "/mandelbrot_files/11/") != NULL;
    }
    ck_assert_int_ge (lines, 3);
    ck_assert_msg (tiles >= 1, "no tile of the full level was loaded");
    free (list);
    free (seen);
    free (direct);
    free (whole);
    free (profile);
    free (shot);
    free (requests);
    free (detail);
    free (full);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("dzi");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (tc, 180);
    tcase_add_test (tc, levels_by_the_convention);
    tcase_add_test (tc, every_level_is_the_one_above_shrunk);
    tcase_add_test (tc, same_tiles_whatever_the_threads);
    tcase_add_test (tc, failures_are_reported);
    tcase_add_test (tc, a_stop_stops);
    tcase_add_test (tc, output_full_level_is_the_png);
    tcase_add_test (tc, output_refusals_leave_nothing);
    tcase_add_test (tc, page_escapes_and_finds);
    tcase_add_test (tc, master_writes_the_view);
    tcase_add_test (tc, master_refusals);
    tcase_add_test (tc, the_browser_shows_the_render);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
