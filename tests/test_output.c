/*  Outputs: the PNG read back with libpng, metadata included; the .npy
    header and data; a deep view's doubles (a float64 .npy, colors through
    the color density); files that appear only when complete, under any
    legal name, replacing only regular files, written through links. */
#include "helpers.h"
#include "mf_npy.h"
#include "mf_outfile.h"
#include "mf_output.h"
#include "mf_palette.h"
#include "mf_png.h"
#include "mf_version.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path [600];

static const char *
s_path (const char *name)
{
    snprintf (path, sizeof path, "%s/%s", th_dir, name);
    return path;
}

START_TEST (png_round_trip)
{
    uint32_t w = 37, h = 21;
    uint8_t *rgb = malloc (w * h * 3);
    for (uint32_t index = 0; index < w * h * 3; index++)
        rgb [index] = (uint8_t) (index * 7 + index / 3);
    mf_png_text_t texts [] = { { "Title", "round trip" }, { "Width", "3.5" } };
    char err [256];
    mf_outfile_t *out = mf_outfile_open (s_path ("a.png"), err, sizeof err);
    ck_assert_ptr_nonnull (out);
    mf_png_t *png = mf_png_new (mf_outfile_stream (out), w, h, texts, 2, 6, err, sizeof err);
    ck_assert_ptr_nonnull (png);
    ck_assert_int_eq (mf_png_write_rows (png, rgb, 5), 0);
    ck_assert_int_eq (mf_png_write_rows (png, rgb + 5 * w * 3, h - 5), 0);
    ck_assert_int_eq (mf_png_write_rows (png, rgb, 1), -1);      //  one row too many
    ck_assert_int_eq (mf_png_finish (&png), 0);
    ck_assert_ptr_null (png);
    ck_assert_int_eq (mf_outfile_commit (&out, err, sizeof err), 0);

    uint32_t rw, rh;
    uint8_t *back;
    char value [64];
    ck_assert_int_eq (th_png_read (s_path ("a.png"), &rw, &rh, &back, "Title", value, sizeof value), 0);
    ck_assert (rw == w && rh == h);
    ck_assert (memcmp (back, rgb, w * h * 3) == 0);
    ck_assert_str_eq (value, "round trip");
    free (back);
    free (rgb);
}
END_TEST

START_TEST (png_missing_rows_fails)
{
    char err [256];
    FILE *file = fopen (s_path ("short.png"), "wb");
    mf_png_t *png = mf_png_new (file, 4, 4, NULL, 0, 1, err, sizeof err);
    uint8_t row [12] = { 0 };
    ck_assert_int_eq (mf_png_write_rows (png, row, 1), 0);
    ck_assert_int_eq (mf_png_finish (&png), -1);
    fclose (file);
}
END_TEST

START_TEST (render_png_metadata)
{
    //  The image the master writes: colored by the palette, with the
    //  parameters that make it again, at 17 significant digits.
    mf_view_t view = { -0.7436438870371587, 0.1318259042053119, 1e-10 / 3, 8, 6 };
    float mu [48];
    for (int index = 0; index < 48; index++)
        mu [index] = index % 7 == 0? -1.0f: (float) index;
    const mf_palette_t *palette = mf_palette_find ("fire");
    char err [256], center [80], span [32];
    mf_output_view_text (&view, center, sizeof center, span, sizeof span);
    mf_output_spec_t spec = {
        .format = MF_OUTPUT_PNG, .width = view.pixel_w, .height = view.pixel_h,
        .center = center, .span = span, .maxiter = 5000, .palette = palette, .threads = 2
    };
    ck_assert_int_eq (mf_output_write (s_path ("m.png"), &spec, mu, err, sizeof err), 0);
    uint32_t w, h;
    uint8_t *rgb;
    char value [128];
    ck_assert_int_eq (th_png_read (s_path ("m.png"), &w, &h, &rgb, "Center", value, sizeof value), 0);
    ck_assert (w == 8 && h == 6);
    //  printf's %.17g: 17 significant digits, trailing zeros dropped.
    ck_assert_str_eq (value, "-0.74364388703715867,0.1318259042053119");
    double re, im;
    ck_assert_int_eq (sscanf (value, "%lf,%lf", &re, &im), 2);
    ck_assert (re == view.center_re && im == view.center_im);
    uint8_t want [48 * 3];
    mf_palette_color (palette, mu, 48, want);
    ck_assert (memcmp (rgb, want, sizeof want) == 0);
    ck_assert (rgb [0] == 0 && rgb [1] == 0 && rgb [2] == 0);     //  interior is black
    free (rgb);
    struct { const char *key, *value; } expect [] = {
        { "Width", "3.3333333333333335e-11" }, { "Size", "8x6" }, { "Iterations", "5000" },
        { "Palette", "fire" }, { "Software", "mandelfarm " MF_VERSION }
    };
    for (size_t index = 0; index < sizeof expect / sizeof expect [0]; index++) {
        ck_assert_int_eq (th_png_read (s_path ("m.png"), &w, &h, &rgb, expect [index].key,
                                       value, sizeof value), 0);
        ck_assert_str_eq (value, expect [index].value);
        free (rgb);
    }
}
END_TEST

START_TEST (npy_layout)
{
    float mu [3 * 5];
    for (int index = 0; index < 15; index++)
        mu [index] = index - 1.0f;
    char err [256];
    mf_output_spec_t spec = { .format = MF_OUTPUT_NPY, .width = 5, .height = 3 };
    ck_assert_int_eq (mf_output_write (s_path ("a.npy"), &spec, mu, err, sizeof err), 0);
    size_t size;
    uint8_t *data = th_slurp (s_path ("a.npy"), &size);
    ck_assert_ptr_nonnull (data);
    ck_assert (memcmp (data, "\x93NUMPY\x01\x00", 8) == 0);
    size_t header = 10 + (size_t) (data [8] | data [9] << 8);
    ck_assert_uint_eq (header % 64, 0);
    ck_assert_uint_eq (size, header + sizeof mu);
    ck_assert (data [header - 1] == '\n');
    char dict [128] = { 0 };
    memcpy (dict, data + 10, header - 10 < 127? header - 10: 127);
    ck_assert_ptr_nonnull (strstr (dict, "'descr': '<f4'"));
    ck_assert_ptr_nonnull (strstr (dict, "'fortran_order': False"));
    ck_assert_ptr_nonnull (strstr (dict, "'shape': (3, 5)"));
    ck_assert (memcmp (data + header, mu, sizeof mu) == 0);
    free (data);
}
END_TEST


START_TEST (deep_doubles_and_density)
{
    //  mu of a deep view: a narrow band far from 0, fractions a float
    //  cannot hold, interior pixels.
    enum { W = 40, H = 30 };
    double mu [W * H];
    for (int index = 0; index < W * H; index++)
        mu [index] = index % 11 == 0? -1.0: 263000.0 + index * 1.7 + 0x1p-20;
    char err [256];
    //  The .npy: float64, every bit.
    mf_output_spec_t npy = { .format = MF_OUTPUT_NPY, .width = W, .height = H, .mu64 = true };
    ck_assert_int_eq (mf_output_write (s_path ("d.npy"), &npy, mu, err, sizeof err), 0);
    size_t size;
    uint8_t *data = th_slurp (s_path ("d.npy"), &size);
    ck_assert_ptr_nonnull (data);
    size_t header = 10 + (size_t) (data [8] | data [9] << 8);
    ck_assert_uint_eq (header % 64, 0);
    ck_assert_uint_eq (size, header + sizeof mu);
    char dict [128] = { 0 };
    memcpy (dict, data + 10, header - 10 < sizeof dict - 1? header - 10: sizeof dict - 1);
    ck_assert_ptr_nonnull (strstr (dict, "'descr': '<f8'"));
    ck_assert_ptr_nonnull (strstr (dict, "'shape': (30, 40)"));
    for (int index = 0; index < W * H; index++) {
        uint64_t bits = 0, want;
        for (int byte = 7; byte >= 0; byte--)
            bits = bits << 8 | data [header + 8 * (size_t) index + byte];
        memcpy (&want, &mu [index], 8);
        ck_assert (bits == want);
    }
    free (data);
    //  The PNG, 8 and 16 bits: the colors of the density's floats,
    //  whatever the threads.
    mf_deep_density_t density;
    ck_assert_int_eq (mf_deep_density (mu, W * H, &density), 0);
    float dense [W * H];
    mf_deep_density_apply (&density, mu, W * H, dense);
    const mf_palette_t *palette = mf_palette_find ("classic");
    for (int depth = 8; depth <= 16; depth += 8) {
        mf_output_spec_t want = {
            .format = MF_OUTPUT_PNG, .width = W, .height = H, .center = "1,2", .span = "1e-50",
            .maxiter = 300000, .palette = palette, .threads = 1, .depth = depth
        };
        ck_assert_int_eq (mf_output_write (s_path ("want.png"), &want, dense, err, sizeof err), 0);
        mf_output_spec_t deep = want;
        deep.mu64 = true;
        deep.density = &density;
        deep.threads = 3;
        ck_assert_int_eq (mf_output_write (s_path ("deep.png"), &deep, mu, err, sizeof err), 0);
        ck_assert (th_same_file (s_path ("want.png"), s_path ("deep.png")));
    }
    //  And the colors spread: many distinct ones over the band, where the
    //  palette alone paints it nearly flat.
    uint8_t rgb [W * H * 3];
    mf_palette_color (palette, dense, W * H, rgb);
    int changes = 0;
    for (int index = 1; index < W * H; index++)
        changes += memcmp (rgb + 3 * index, rgb + 3 * (index - 1), 3) != 0;
    ck_assert_int_gt (changes, W * H / 2);
}
END_TEST

START_TEST (outfile_atomic)
{
    char err [256];
    //  An old file stays intact until the new one is complete.
    FILE *old = fopen (s_path ("x.png"), "w");
    fputs ("old", old);
    fclose (old);
    mf_outfile_t *out = mf_outfile_open (s_path ("x.png"), err, sizeof err);
    ck_assert_ptr_nonnull (out);
    fputs ("new and longer", mf_outfile_stream (out));
    fflush (mf_outfile_stream (out));
    size_t size;
    uint8_t *data = th_slurp (s_path ("x.png"), &size);
    ck_assert (size == 3 && memcmp (data, "old", 3) == 0);
    free (data);
    ck_assert_int_eq (th_count_entries (th_dir), 2);       //  x.png and its temporary
    mf_outfile_abort (&out);
    ck_assert_ptr_null (out);
    mf_outfile_abort (&out);                            //  safe twice
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    data = th_slurp (s_path ("x.png"), &size);
    ck_assert (size == 3);
    free (data);
    //  Committed, it replaces the old one and leaves nothing else.
    out = mf_outfile_open (s_path ("x.png"), err, sizeof err);
    fputs ("new", mf_outfile_stream (out));
    ck_assert_int_eq (mf_outfile_commit (&out, err, sizeof err), 0);
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    struct stat st;
    ck_assert_int_eq (stat (s_path ("x.png"), &st), 0);
    ck_assert (st.st_mode & S_IRUSR);
}
END_TEST

START_TEST (outfile_refusals)
{
    char err [256];
    ck_assert_int_eq (mf_outfile_check (s_path ("fine.png"), err, sizeof err), 0);
    ck_assert (!th_exists (s_path ("fine.png")));
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    ck_assert_int_eq (mf_outfile_check (s_path ("no/such/dir.png"), err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "cannot write"));
    ck_assert_int_eq (mf_outfile_check (th_dir, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "directory"));
    ck_assert_int_eq (mf_outfile_check ("", err, sizeof err), -1);
}
END_TEST

START_TEST (outfile_any_legal_name)
{
    //  A name of 255 bytes, the most the system allows: the temporary
    //  name beside it is short, so it can be written.
    char name [256];
    memset (name, 'n', 255);
    name [255] = 0;
    char err [512];
    mf_outfile_t *out = mf_outfile_open (s_path (name), err, sizeof err);
    ck_assert_msg (out != NULL, "%s", err);
    fputs ("data", mf_outfile_stream (out));
    ck_assert_int_eq (mf_outfile_commit (&out, err, sizeof err), 0);
    ck_assert (th_exists (s_path (name)));
    ck_assert_int_eq (th_count_entries (th_dir), 1);
}
END_TEST

START_TEST (outfile_only_regular_files)
{
    //  A FIFO, or a link to one, is refused and stays; nothing is made.
    char err [512];
    ck_assert_int_eq (mkfifo (s_path ("fifo"), 0644), 0);
    ck_assert_ptr_null (mf_outfile_open (s_path ("fifo"), err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "a FIFO, not a regular file"));
    ck_assert_int_eq (symlink ("fifo", s_path ("to-fifo")), 0);
    ck_assert_int_eq (mf_outfile_check (s_path ("to-fifo"), err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "leads to"));
    struct stat st;
    ck_assert_int_eq (lstat (s_path ("fifo"), &st), 0);
    ck_assert (S_ISFIFO (st.st_mode));
    ck_assert_int_eq (th_count_entries (th_dir), 2);
    //  A loop of links cannot be followed.
    ck_assert_int_eq (symlink ("loop-b", s_path ("loop-a")), 0);
    ck_assert_int_eq (symlink ("loop-a", s_path ("loop-b")), 0);
    ck_assert_ptr_null (mf_outfile_open (s_path ("loop-a"), err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "symbolic link"));
}
END_TEST

START_TEST (outfile_through_links)
{
    //  The link stays a link; the file it leads to gets the content, and
    //  the temporary file was beside that file (one directory down).
    char err [512];
    ck_assert_int_eq (mkdir (s_path ("sub"), 0755), 0);
    FILE *old = fopen (s_path ("sub/real.png"), "w");
    fputs ("old", old);
    fclose (old);
    ck_assert_int_eq (symlink ("sub/real.png", s_path ("link.png")), 0);
    mf_outfile_t *out = mf_outfile_open (s_path ("link.png"), err, sizeof err);
    ck_assert_msg (out != NULL, "%s", err);
    ck_assert_int_eq (th_count_entries (s_path ("sub")), 2);
    fputs ("new", mf_outfile_stream (out));
    ck_assert_int_eq (mf_outfile_commit (&out, err, sizeof err), 0);
    struct stat st;
    ck_assert_int_eq (lstat (s_path ("link.png"), &st), 0);
    ck_assert (S_ISLNK (st.st_mode));
    size_t size;
    uint8_t *data = th_slurp (s_path ("sub/real.png"), &size);
    ck_assert (data && size == 3 && memcmp (data, "new", 3) == 0);
    free (data);
    ck_assert_int_eq (th_count_entries (s_path ("sub")), 1);
    //  Where a link leads, resolved: relative to the link's directory,
    //  also when the file is not there yet.
    char resolved [4096], want [4096];
    ck_assert_int_eq (symlink ("sub/none.png", s_path ("dangling")), 0);
    ck_assert_int_eq (mf_outfile_resolve (s_path ("dangling"), resolved, sizeof resolved,
                                          err, sizeof err), 0);
    ck_assert_ptr_nonnull (realpath (th_dir, want));
    strcat (want, "/sub/none.png");
    ck_assert_str_eq (resolved, want);
    ck_assert_int_eq (mf_outfile_resolve (s_path ("sub/../sub/./x"), resolved, sizeof resolved,
                                          err, sizeof err), 0);
    ck_assert_ptr_nonnull (realpath (th_dir, want));
    strcat (want, "/sub/x");
    ck_assert_str_eq (resolved, want);
}
END_TEST

//  A test image of mu: interior, escaped values of every size.
static float *
s_mu (uint32_t w, uint32_t h)
{
    float *mu = malloc ((size_t) w * h * sizeof (float));
    ck_assert_ptr_nonnull (mu);
    for (size_t index = 0; index < (size_t) w * h; index++)
        mu [index] = index % 13 == 0? -1.0f: (float) (index % 997) * 0.37f;
    return mu;
}

static mf_output_spec_t
s_spec (mf_output_format_t format, uint32_t w, uint32_t h)
{
    return (mf_output_spec_t) {
        .format = format, .width = w, .height = h, .center = "-0.5,0", .span = "3",
        .maxiter = 1000, .palette = mf_palette_find ("ocean"), .threads = 2
    };
}

START_TEST (output_rows_in_any_pieces)
{
    //  Rows given a few at a time, copied or lent, on 0 to 3 threads, make
    //  the bytes of the whole-image call: the PNG and the .npy.
    uint32_t w = 53, h = 140;
    float *mu = s_mu (w, h);
    char err [256];
    for (int format = MF_OUTPUT_PNG; format <= MF_OUTPUT_NPY; format++) {
        mf_output_spec_t spec = s_spec ((mf_output_format_t) format, w, h);
        char *whole = th_path ("whole"), *rows = th_path ("rows");
        ck_assert_int_eq (mf_output_write (whole, &spec, mu, err, sizeof err), 0);
        static const int threads [] = { 0, 1, 3 };
        for (int t = 0; t < 3; t++)
            for (int lend = 0; lend <= 1; lend++) {
                spec.threads = threads [t];
                spec.lend_rows = lend;
                unlink (rows);
                mf_output_t *out = mf_output_open (rows, &spec, err, sizeof err);
                ck_assert_ptr_nonnull (out);
                for (uint32_t row = 0; row < h; ) {
                    uint32_t count = row % 5 + 1 < h - row? row % 5 + 1: h - row;
                    ck_assert_int_eq (mf_output_write_rows (out, mu + (size_t) row * w, count,
                                                            err, sizeof err), 0);
                    row += count;
                }
                ck_assert (!th_exists (rows));          //  not before the commit
                ck_assert_int_eq (mf_output_commit (&out, err, sizeof err), 0);
                ck_assert_ptr_null (out);
                ck_assert_msg (th_same_file (whole, rows), "format %d, %d threads, lend %d",
                               format, threads [t], lend);
            }
        ck_assert_int_eq (th_count_entries (th_dir), 2);
        free (whole);
        free (rows);
    }
    free (mu);
}
END_TEST

START_TEST (output_stopped_leaves_nothing)
{
    uint32_t w = 300, h = 200;
    float *mu = s_mu (w, h);
    char err [256];
    for (int format = MF_OUTPUT_PNG; format <= MF_OUTPUT_NPY; format++) {
        volatile sig_atomic_t stop = 0;
        mf_output_spec_t spec = s_spec ((mf_output_format_t) format, w, h);
        spec.stop = &stop;
        char *file = th_path ("out");
        //  Stopped halfway: the rows after fail, and so does the commit.
        mf_output_t *out = mf_output_open (file, &spec, err, sizeof err);
        ck_assert_ptr_nonnull (out);
        ck_assert_int_eq (mf_output_write_rows (out, mu, 100, err, sizeof err), 0);
        stop = 1;
        int rc = mf_output_write_rows (out, mu + 100 * w, 100, err, sizeof err);
        if (rc == 0)                                    //  the rows were taken: the end fails
            rc = mf_output_finish (out, err, sizeof err);
        ck_assert_int_eq (rc, -1);
        ck_assert_msg (strstr (err, "interrupted while writing"), "%s", err);
        ck_assert_int_eq (mf_output_commit (&out, err, sizeof err), -1);
        ck_assert_ptr_null (out);
        ck_assert_int_eq (th_count_entries (th_dir), 0);
        //  Stopped before it starts: the whole-image call fails, no file.
        ck_assert_int_eq (mf_output_write (file, &spec, mu, err, sizeof err), -1);
        ck_assert_msg (strstr (err, "interrupted while writing"), "%s", err);
        ck_assert_int_eq (th_count_entries (th_dir), 0);
        //  Aborted after every row, before the commit: nothing either.
        stop = 0;
        out = mf_output_open (file, &spec, err, sizeof err);
        ck_assert_int_eq (mf_output_write_rows (out, mu, h, err, sizeof err), 0);
        ck_assert_int_eq (mf_output_finish (out, err, sizeof err), 0);
        mf_output_abort (&out);
        ck_assert_ptr_null (out);
        mf_output_abort (&out);                         //  safe twice
        ck_assert_int_eq (th_count_entries (th_dir), 0);
        free (file);
    }
    free (mu);
}
END_TEST

START_TEST (output_refusals)
{
    uint32_t w = 10, h = 4;
    float *mu = s_mu (w, h);
    char err [256];
    char *file = th_path ("x.png");
    //  Too wide for a PNG: refused at open, with the limits.
    mf_output_spec_t spec = s_spec (MF_OUTPUT_PNG, MF_PNG_MAX_WIDTH + 1, 1);
    ck_assert_ptr_null (mf_output_open (file, &spec, err, sizeof err));
    ck_assert_msg (strstr (err, "22367914"), "%s", err);
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    //  No pixel at all: neither format.
    spec = s_spec (MF_OUTPUT_NPY, 0, 4);
    ck_assert_ptr_null (mf_output_open (path, &spec, err, sizeof err));
    ck_assert_msg (strstr (err, "cannot write a 0x4 image"), "%s", err);
    spec = s_spec (MF_OUTPUT_PNG, 4, 0);
    ck_assert_ptr_null (mf_output_open (path, &spec, err, sizeof err));
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    for (int format = MF_OUTPUT_PNG; format <= MF_OUTPUT_NPY; format++) {
        //  More rows than the image has.
        spec = s_spec ((mf_output_format_t) format, w, h);
        mf_output_t *out = mf_output_open (file, &spec, err, sizeof err);
        ck_assert_int_eq (mf_output_write_rows (out, mu, h, err, sizeof err), 0);
        ck_assert_int_eq (mf_output_write_rows (out, mu, 1, err, sizeof err), -1);
        ck_assert_msg (strstr (err, "has 4 rows, not 5"), "%s", err);
        mf_output_abort (&out);
        //  Fewer.
        out = mf_output_open (file, &spec, err, sizeof err);
        ck_assert_int_eq (mf_output_write_rows (out, mu, h - 1, err, sizeof err), 0);
        ck_assert_int_eq (mf_output_commit (&out, err, sizeof err), -1);
        ck_assert_msg (strstr (err, "missing 1 of its 4 rows"), "%s", err);
        ck_assert_int_eq (th_count_entries (th_dir), 0);
    }
    //  A directory that does not exist.
    free (file);
    file = th_path ("no/such/x.png");
    ck_assert_int_eq (mf_output_write (file, &spec, mu, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "cannot write in"), "%s", err);
    free (file);
    free (mu);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("output");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, png_round_trip);
    tcase_add_test (tc, png_missing_rows_fails);
    tcase_add_test (tc, render_png_metadata);
    tcase_add_test (tc, npy_layout);
    tcase_add_test (tc, deep_doubles_and_density);
    tcase_add_test (tc, outfile_atomic);
    tcase_add_test (tc, outfile_refusals);
    tcase_add_test (tc, outfile_any_legal_name);
    tcase_add_test (tc, outfile_only_regular_files);
    tcase_add_test (tc, outfile_through_links);
    tcase_add_test (tc, output_rows_in_any_pieces);
    tcase_add_test (tc, output_stopped_leaves_nothing);
    tcase_add_test (tc, output_refusals);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
