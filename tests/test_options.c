/*  The master's command line: defaults, views of any depth (read
    exactly; shallow ones as the doubles of today's path), and one clear
    line for every value it refuses, naming the flag and what is allowed;
    the outputs checked against the file system (one file under two
    names, a node that is not a regular file). */
#include "helpers.h"
#include "deep_locations.h"
#include "options.h"
#include "mf_png.h"
#include "mf_tiles.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
s_parse (mf_options_t *opts, char *err, size_t size, const char *a, const char *b,
         const char *c, const char *d)
{
    char *argv [] = { "mandelfarm-master", (char *) a, (char *) b, (char *) c, (char *) d, NULL };
    int argc = 1;
    while (argv [argc])
        argc++;
    err [0] = 0;
    return mf_options_parse (argc, argv, opts, err, size);
}

START_TEST (defaults)
{
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, NULL, NULL, NULL, NULL), 0);
    ck_assert (opts.view.pixel_w == 1920 && opts.view.pixel_h == 1080);
    ck_assert (opts.view.center_re == -0.75 && opts.view.center_im == 0.0);
    ck_assert (opts.view.width == 3.5);
    ck_assert_uint_eq (opts.maxiter, 1000);
    ck_assert_int_ge (opts.local_workers, 1);
    ck_assert_str_eq (opts.output, "mandelbrot.png");
    ck_assert_ptr_null (opts.raw);
    ck_assert_ptr_null (opts.listen);
    ck_assert_str_eq (mf_palette_name (opts.palette), "classic");
    ck_assert_uint_eq (opts.tile, MF_TILE_DEFAULT_EDGE);
}
END_TEST

START_TEST (accepted_values)
{
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--size", "800x600", "--region",
                               "-2,1,-1.125,1.125"), 0);
    ck_assert (opts.view.width == 3.0 && opts.view.center_re == -0.5);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "-j", "0", "--listen", "tcp://127.0.0.1:5555"), 0);
    ck_assert_int_eq (opts.local_workers, 0);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--center", "-0.7436,0.1318", "--width", "1e-9"), 0);
    ck_assert (opts.view.width == 1e-9);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--palette", "fire", "--iter", "20000"), 0);
    ck_assert_uint_eq (opts.maxiter, 20000);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--help", NULL, NULL, NULL), 0);
    ck_assert (opts.help);
    //  A poster: 100,000 pixels a side (posters stream; --memory sets when).
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--size", "100000x100000", "--memory",
                               "256"), 0);
    ck_assert_uint_eq (opts.view.pixel_w, 100000);
    ck_assert_uint_eq (opts.memory_mb, 256);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--size", "1048576x1048576", "--tile",
                               "1024"), 0);
    ck_assert_uint_eq (opts.memory_mb, MF_DEFAULT_MEMORY_MB);
}
END_TEST

START_TEST (refused_values)
{
    struct { const char *a, *b, *c, *d, *flag, *allowed; } cases [] = {
        { "--size", "0x10", NULL, NULL, "--size", "from 1 to 1048576" },
        { "--size", "1048577x10", NULL, NULL, "--size", "from 1 to 1048576" },
        //  Posters: any size whose grid ids fit 32 bits; the viewer holds
        //  its image whole.
        { "--size", "1048576x1048576", "--tile", "8", "--size", "larger --tile" },
        { "--size", "65536x65536", "--view", NULL, "--size", "at most 1073741824" },
        { "--memory", "0", NULL, NULL, "--memory", "from 1 to 16777216" },
        { "--memory", "lots", NULL, NULL, "--memory", "from 1 to 16777216" },
        { "--size", "big", NULL, NULL, "--size", "WxH" },
        { "--iter", "0", NULL, NULL, "--iter", "from 1" },
        { "--iter", "-5", NULL, NULL, "--iter", "from 1" },
        { "--iter", "lots", NULL, NULL, "--iter", "from 1" },
        { "--width", "0", NULL, NULL, "--width", "above 0" },
        { "--width", "-3", NULL, NULL, "--width", "above 0" },
        { "--width", "inf", NULL, NULL, "--width", "decimal number" },
        { "--width", "nan", NULL, NULL, "--width", "decimal number" },
        { "--width", "1e301", NULL, NULL, "--width", "at most 1e300" },
        { "--center", "1", NULL, NULL, "--center", "RE,IM" },
        { "--center", "1,2,3", NULL, NULL, "--center", "RE,IM" },
        { "--center", "a,b", NULL, NULL, "--center", "decimal number" },
        { "--center", "1e301,0", NULL, NULL, "--center", "-1e300..1e300" },
        { "--zoom", "0", NULL, NULL, "--zoom", "above 0" },
        { "--zoom", "x", NULL, NULL, "--zoom", "decimal number" },
        { "--width", "1", "--zoom", "1", "--zoom", "give one of them" },
        { "--region", "-2,1,-1,1", "--zoom", "1", "--region", "one or the other" },
        //  Doubles cannot hold it: a pixel of 1e-16 near 0.5.
        { "--size", "100x100", "--region", "0.25,0.25000000000001,0.5,0.50000000000001",
          "--region", "--center RE,IM with --width W or --zoom Z" },
        { "--iter", "auto", NULL, NULL, "--iter auto", "give --iter N" },
        { "--iter", "auto", "--zoom", "1", "--iter auto", "shallow" },
        { "--region", "1,2,3", NULL, NULL, "--region", "XMIN,XMAX,YMIN,YMAX" },
        { "--region", "1,0,0,1", NULL, NULL, "--region", "below" },
        { "--region", "-2,1,-1,1", NULL, NULL, "--region", "height that matches" },
        { "--region", "-2,1,-1,1", "--width", "3", "--region", "one or the other" },
        { "--palette", "neon", NULL, NULL, "--palette", "classic" },
        { "-j", "-1", NULL, NULL, "--local-workers", "from 0 to 1024" },
        { "-j", "0", NULL, NULL, "-j 0", "--listen" },
        { "--tile", "4", NULL, NULL, "--tile", "from 8 to 1024" },
        { "--listen", "5555", NULL, NULL, "--listen", "tcp://" },
        //  libzmq would bind 99999 as 34463 and -1 as 65535, silently.
        { "--listen", "tcp://127.0.0.1:99999", NULL, NULL, "--listen", "from 1 to 65535" },
        { "--listen", "tcp://127.0.0.1:-1", NULL, NULL, "--listen", "from 1 to 65535" },
        { "--listen", "tcp://127.0.0.1:0", NULL, NULL, "--listen", "write *" },
        { "--listen", "tcp://127.0.0.1:55x", NULL, NULL, "--listen", "from 1 to 65535" },
        { "--listen", "tcp://127.0.0.1:+80", NULL, NULL, "--listen", "from 1 to 65535" },
        { "--listen", "tcp://127.0.0.1:", NULL, NULL, "--listen", "from 1 to 65535" },
        { "--listen", "tcp://127.0.0.1", NULL, NULL, "--listen", "tcp://ADDRESS:PORT" },
        { "--listen", "tcp://:5555", NULL, NULL, "--listen", "tcp://ADDRESS:PORT" },
        { "--listen", "ipc://", NULL, NULL, "--listen", "has no path" },
        { "--listen", "inproc://farm", NULL, NULL, "--listen", "only its own process" },
        { "--listen", "tcp://127.0.0.1;192.0.2.1:5555", NULL, NULL, "--listen",
          "source address" },
        { "--listen", "udp://127.0.0.1:5555", NULL, NULL, "--listen", "tcp://ADDRESS:PORT" },
        { "--heartbeat", "1", NULL, NULL, "--heartbeat", "from 10" },
        { "--kernel", "quantum", NULL, NULL, "--kernel", "auto" },
        { "--bogus", NULL, NULL, NULL, "--bogus", "--help" },
        { "--iter", NULL, NULL, NULL, "--iter", "needs a value" },
        { "stray", NULL, NULL, NULL, "stray", "--help" },
        { "--view", "--checkpoint", "ck", NULL, "--checkpoint", "headless" },
        { "--view", "--deadline", "9", NULL, "--deadline", "headless" },
        { "--view", "--verify", "10", NULL, "--verify", "headless" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        mf_options_t opts;
        char err [512];
        int rc = s_parse (&opts, err, sizeof err, cases [index].a, cases [index].b,
                          cases [index].c, cases [index].d);
        ck_assert_msg (rc == -1, "case %zu accepted", index);
        ck_assert_msg (strstr (err, cases [index].flag), "case %zu: '%s' lacks '%s'",
                       index, err, cases [index].flag);
        ck_assert_msg (strstr (err, cases [index].allowed), "case %zu: '%s' lacks '%s'",
                       index, err, cases [index].allowed);
        ck_assert_msg (!strchr (err, '\n'), "case %zu: more than one line", index);
    }
}
END_TEST

START_TEST (views_of_any_depth)
{
    mf_options_t opts;
    char err [512];
    //  The line location as Kalles Fraktaler gives it: deep.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--size", "96x54",
                               "--center", LOC_LINE_CENTER), 0);
    ck_assert_ptr_null (opts.deep);             //  at --width 3.5: shallow
    char *argv [] = { "mandelfarm-master", "--size", "96x54", "--center", LOC_LINE_CENTER,
                      "--zoom", LOC_LINE_ZOOM, "--iter", "auto", NULL };
    ck_assert_int_eq (mf_options_parse (9, argv, &opts, err, sizeof err), 0);
    ck_assert_ptr_nonnull (opts.deep);
    ck_assert (mf_deep_view_is_deep (opts.deep));
    ck_assert (opts.iter_auto && opts.maxiter == 0);
    ck_assert_uint_eq (opts.view.pixel_w, 96);
    ck_assert_uint_eq (opts.view.pixel_h, 54);
    mf_options_clear (&opts);
    ck_assert_ptr_null (opts.deep);
    mf_options_clear (&opts);
    //  Any exponent: a width far below what doubles hold.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--width", "1e-320", NULL, NULL), 0);
    ck_assert_ptr_nonnull (opts.deep);
    mf_options_clear (&opts);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--width", "2e-2608", "--iter", "5"), 0);
    ck_assert_ptr_nonnull (opts.deep);
    ck_assert (!opts.iter_auto && opts.maxiter == 5);
    mf_options_clear (&opts);
    //  A shallow --zoom is today's view: the height spans 4 / Z.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--size", "400x200", "--zoom", "1"), 0);
    ck_assert_ptr_null (opts.deep);
    ck_assert (opts.view.width == 8.0 && opts.view.center_re == -0.75);
    //  Shallow centers and widths read as today's doubles, bit for bit.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--center", "0.1,-0.3", "--width",
                               "0.0123456789012345678"), 0);
    ck_assert_ptr_null (opts.deep);
    ck_assert (opts.view.center_re == 0.1 && opts.view.center_im == -0.3
               && opts.view.width == 0.0123456789012345678);
    //  --iter auto goes with a deep view only; the last --iter counts.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--iter", "auto", "--iter", "70"), 0);
    ck_assert (!opts.iter_auto && opts.maxiter == 70);
}
END_TEST

START_TEST (listen_ports)
{
    //  Every port from 1 to 65535, or * (the system chooses), on any
    //  address; ipc:// paths and abstract names.
    const char *accepted [] = {
        "tcp://127.0.0.1:1", "tcp://127.0.0.1:65535", "tcp://*:5555", "tcp://*:*",
        "tcp://[::1]:5555", "tcp://lo:5555", "ipc:///tmp/mandelfarm.sock", "ipc://@mandelfarm"
    };
    for (size_t index = 0; index < sizeof accepted / sizeof accepted [0]; index++) {
        mf_options_t opts;
        char err [512];
        ck_assert_msg (s_parse (&opts, err, sizeof err, "--listen", accepted [index], NULL,
                                NULL) == 0, "'%s' refused: %s", accepted [index], err);
        ck_assert_str_eq (opts.listen, accepted [index]);
    }
    //  A socket path has room for 107 bytes.
    char path [128] = "ipc:///";
    memset (path + 7, 'x', 108);
    path [115] = 0;
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--listen", path, NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "107 bytes"));
    path [6 + 107] = 0;
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--listen", path, NULL, NULL), 0);
}
END_TEST

START_TEST (quiet_and_verbose)
{
    //  The last of -q and -v counts (an alias with -q can still say -v).
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "-q", "-v", NULL, NULL), 0);
    ck_assert (opts.verbose && !opts.quiet);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "-v", "-q", NULL, NULL), 0);
    ck_assert (opts.quiet && !opts.verbose);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--verbose", "-q", "--verbose", NULL), 0);
    ck_assert (opts.verbose && !opts.quiet);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, NULL, NULL, NULL, NULL), 0);
    ck_assert (!opts.verbose && !opts.quiet);
}
END_TEST

//  Parses flags, then checks the files. Returns the check's result.
static int
s_check (char *err, size_t size, const char *a, const char *b, const char *c, const char *d)
{
    mf_options_t opts;
    ck_assert_int_eq (s_parse (&opts, err, size, a, b, c, d), 0);
    return mf_options_check_files (&opts, err, size);
}

START_TEST (outputs_by_identity)
{
    char err [1024];
    char *png = th_path ("o.png"), *npy = th_path ("o.npy"), *dot = th_path ("./o.png");
    char *up = malloc (strlen (th_dir) * 2 + 16);
    sprintf (up, "%s/../%s/o.png", th_dir, strrchr (th_dir, '/') + 1);
    //  Four different files: fine, and nothing is made.
    mf_options_t opts;
    char *json = th_path ("s.json"), *journal = th_path ("c.journal");
    char *argv [] = { "mandelfarm-master", "-o", png, "--raw", npy, "--stats", json,
                      "--checkpoint", journal, NULL };
    ck_assert_int_eq (mf_options_parse (9, argv, &opts, err, sizeof err), 0);
    ck_assert_int_eq (mf_options_check_files (&opts, err, sizeof err), 0);
    ck_assert_int_eq (th_count_entries (th_dir), 0);
    //  Not there yet: the same resolved path is the same file.
    ck_assert_int_eq (s_check (err, sizeof err, "-o", png, "--raw", dot), -1);
    ck_assert_ptr_nonnull (strstr (err, "--raw"));
    ck_assert_ptr_nonnull (strstr (err, "same file as -o"));
    ck_assert_int_eq (s_check (err, sizeof err, "-o", png, "--checkpoint", up), -1);
    ck_assert_ptr_nonnull (strstr (err, "--checkpoint"));
    ck_assert_int_eq (s_check (err, sizeof err, "--stats", dot, "-o", png), -1);
    ck_assert_ptr_nonnull (strstr (err, "--stats"));
    //  There already: device and inode, through a hard or a symbolic link.
    FILE *file = fopen (png, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    char *hard = th_path ("hard"), *soft = th_path ("soft");
    ck_assert_int_eq (link (png, hard), 0);
    ck_assert_int_eq (symlink (png, soft), 0);
    ck_assert_int_eq (s_check (err, sizeof err, "-o", png, "--raw", hard), -1);
    ck_assert_int_eq (s_check (err, sizeof err, "-o", soft, "--stats", png), -1);
    ck_assert_ptr_nonnull (strstr (err, "same file"));
    //  A symbolic link as the journal: refused (removing it would keep the file).
    ck_assert_int_eq (s_check (err, sizeof err, "-o", npy, "--checkpoint", soft), -1);
    ck_assert_ptr_nonnull (strstr (err, "symbolic link"));
    //  Not regular files: refused, by kind.
    char *fifo = th_path ("fifo");
    ck_assert_int_eq (mkfifo (fifo, 0644), 0);
    ck_assert_int_eq (s_check (err, sizeof err, "-o", fifo, NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "a FIFO, not a regular file"));
    ck_assert_int_eq (s_check (err, sizeof err, "-o", npy, "--checkpoint", fifo), -1);
    ck_assert_ptr_nonnull (strstr (err, "--checkpoint"));
    ck_assert_int_eq (s_check (err, sizeof err, "-o", th_dir, NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "a directory"));
    //  The socket file of an ipc:// --listen is one more file.
    char *listen = malloc (strlen (npy) + 8);
    sprintf (listen, "ipc://%s", npy);
    ck_assert_int_eq (s_check (err, sizeof err, "-o", npy, "--listen", listen), -1);
    ck_assert_ptr_nonnull (strstr (err, "--listen"));
    ck_assert_int_eq (s_check (err, sizeof err, "-o", png, "--listen", "ipc://@o.npy"), 0);
    free (listen);
    //  A directory that does not exist.
    char *missing = th_path ("no/such.png");
    ck_assert_int_eq (s_check (err, sizeof err, "-o", missing, NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "cannot write in"));
    //  With --view there is no -o to check.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--view", NULL, NULL, NULL), 0);
    opts.output = fifo;
    ck_assert_int_eq (mf_options_check_files (&opts, err, sizeof err), 0);
    free (png);
    free (npy);
    free (json);
    free (journal);
    free (dot);
    free (up);
    free (hard);
    free (soft);
    free (fifo);
    free (missing);
}
END_TEST

//  The viewer takes views at any depth, and --iter auto on any view
//  (it follows the depth as the user zooms).
START_TEST (viewer_at_depth)
{
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--view", "--zoom", "1e30", NULL), 0);
    ck_assert (opts.live && opts.deep && mf_deep_view_is_deep (opts.deep));
    mf_options_clear (&opts);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--view", "--iter", "auto", NULL), 0);
    ck_assert (opts.live && opts.iter_auto && !opts.deep);
    mf_options_clear (&opts);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--script", "s.txt", "--width",
                               "1e-300"), 0);
    ck_assert (opts.live && opts.deep);
    mf_options_clear (&opts);
}
END_TEST

START_TEST (movie_patterns)
{
    char err [512];
    const char *good [] = { "f%d.png", "frames/f%05d.png", "f%i-%%.png", "%u", "a%%b%3d" };
    for (size_t index = 0; index < sizeof good / sizeof good [0]; index++)
        ck_assert_msg (mf_options_check_pattern (good [index], err, sizeof err) == 0,
                       "%s: %s", good [index], err);
    const char *bad [] = { "", "f.png", "f%%d.png", "f%d%d.png", "f%s.png", "f%ld.png",
                           "f%-5d.png", "f%5.png", "f%", "f%x.png", "%n%d", "f%1234d.png",
                           "run%d/f.png" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        ck_assert_msg (mf_options_check_pattern (bad [index], err, sizeof err) == -1,
                       "%s accepted", bad [index]);
        ck_assert_msg (strncmp (err, "-o: ", 4) == 0 && strstr (err, "%d"), "%s", err);
    }
    mf_options_t opts;
    //  A movie's -o: a pattern (a default one too); its flags belong
    //  together.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "1200", NULL, NULL), 0);
    ck_assert_uint_eq (opts.movie, 1200);
    ck_assert_str_eq (opts.output, MF_MOVIE_DEFAULT_OUTPUT);
    ck_assert_ptr_null (opts.from_width);
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "5", "-o", "m.png"), -1);
    ck_assert_ptr_nonnull (strstr (err, "exactly one %d"));
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "0", NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "--movie: '0'"));
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--from-width", "4", NULL, NULL), -1);
    ck_assert_ptr_nonnull (strstr (err, "give --movie N too"));
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "5", "--from-width", "-1"),
                      -1);
    ck_assert_ptr_nonnull (strstr (err, "--from-width: '-1'"));
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "5", "--raw", "x.npy"), -1);
    ck_assert_ptr_nonnull (strstr (err, "--raw cannot be combined with --movie"));
    //  A written frame could not take a caught liar's tiles back.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "5", "--verify", "10"), -1);
    ck_assert_ptr_nonnull (strstr (err, "--verify cannot be combined with --movie"));
    //  Frames are held whole: they must fit in --memory.
    ck_assert_int_eq (s_parse (&opts, err, sizeof err, "--movie", "5", "--size", "30000x30000"),
                      -1);
    ck_assert_ptr_nonnull (strstr (err, "take more than --memory 1024 MiB"));
    //  The viewer's m key prints this form.
    char *argv [] = { "mandelfarm-master", "--movie", "1200", "--center",
                      "-0.7436438870371587,0.1318259042053119", "--width", "1e-9", "--iter",
                      "5000", "-o", "frames/f%05d.png", NULL };
    ck_assert_int_eq (mf_options_parse (11, argv, &opts, err, sizeof err), 0);
    ck_assert_str_eq (opts.output, "frames/f%05d.png");
    ck_assert (opts.view.width == 1e-9 && opts.maxiter == 5000);
    mf_options_clear (&opts);
}
END_TEST

//  Writes a 2x1 PNG at path with the given tEXt chunks.
static void
s_png (const char *path, const mf_png_text_t *texts, size_t count)
{
    FILE *file = fopen (path, "wb");
    ck_assert_ptr_nonnull (file);
    char err [256];
    mf_png_t *png = mf_png_new (file, 2, 1, texts, count, MF_PNG_DEFAULT_LEVEL, err,
                                sizeof err);
    ck_assert_msg (png != NULL, "%s", err);
    const uint8_t rgb [6] = { 0 };
    ck_assert_int_eq (mf_png_write_rows (png, rgb, 1), 0);
    ck_assert_int_eq (mf_png_finish (&png), 0);
    fclose (file);
}

START_TEST (from_a_png)
{
    char err [512];
    mf_options_t opts;
    char *deep = th_path ("deep.png"), *shallow = th_path ("shallow.png");
    char *bare = th_path ("bare.png"), *odd = th_path ("odd.png");
    const mf_png_text_t deep_texts [] = {
        { "Center", LOC_E50_CENTER }, { "Width", "1e-30" }, { "Size", "96x54" },
        { "Iterations", "20000" }, { "Palette", "fire" }, { "Software", "mandelfarm 0.1.0" },
        { "Reference", "-0.0494700290631040937516922267273536301187,-0.6747875758446753640"
                       "113920531305976563347707" }, { "ReferenceBits", "172" }
    };
    s_png (deep, deep_texts, sizeof deep_texts / sizeof deep_texts [0]);
    //  Everything from the file.
    char *argv [8] = { "mandelfarm-master", "--from", deep, NULL };
    ck_assert_msg (mf_options_parse (3, argv, &opts, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_nonnull (opts.deep);
    ck_assert (opts.view.pixel_w == 96 && opts.view.pixel_h == 54);
    ck_assert_uint_eq (opts.maxiter, 20000);
    ck_assert_str_eq (mf_palette_name (opts.palette), "fire");
    ck_assert_ptr_nonnull (opts.reference);
    ck_assert_int_eq (opts.reference_bits, 172);
    mf_options_clear (&opts);
    ck_assert_ptr_null (opts.reference);
    //  The flags given override the file, wherever they are; a view or
    //  size of one's own drops the file's reference point.
    char *flags [] = { "mandelfarm-master", "--iter", "500", "--from", deep, "--palette",
                       "classic", NULL };
    ck_assert_int_eq (mf_options_parse (7, flags, &opts, err, sizeof err), 0);
    ck_assert_uint_eq (opts.maxiter, 500);
    ck_assert_str_eq (mf_palette_name (opts.palette), "classic");
    ck_assert_ptr_nonnull (opts.reference);
    mf_options_clear (&opts);
    char *sized [] = { "mandelfarm-master", "--from", deep, "--size", "192x108", NULL };
    ck_assert_int_eq (mf_options_parse (5, sized, &opts, err, sizeof err), 0);
    ck_assert (opts.view.pixel_w == 192 && opts.view.pixel_h == 108);
    ck_assert_ptr_null (opts.reference);
    mf_options_clear (&opts);
    char *wider [] = { "mandelfarm-master", "--from", deep, "--width", "1e-3", NULL };
    ck_assert_int_eq (mf_options_parse (5, wider, &opts, err, sizeof err), 0);
    ck_assert_ptr_null (opts.deep);
    ck_assert (opts.view.width == 1e-3 && opts.view.pixel_w == 96);
    ck_assert_ptr_null (opts.reference);
    mf_options_clear (&opts);
    //  A shallow file: today's doubles.
    const mf_png_text_t shallow_texts [] = {
        { "Center", "-0.75,0.25" }, { "Width", "0.5" }, { "Size", "64x48" }
    };
    s_png (shallow, shallow_texts, 3);
    char *plain [] = { "mandelfarm-master", "--from", shallow, NULL };
    ck_assert_int_eq (mf_options_parse (3, plain, &opts, err, sizeof err), 0);
    ck_assert (opts.view.center_re == -0.75 && opts.view.center_im == 0.25);
    ck_assert (opts.view.width == 0.5 && opts.view.pixel_w == 64);
    ck_assert_uint_eq (opts.maxiter, MF_DEFAULT_ITER);
    mf_options_clear (&opts);
    //  Refused in one line: no texts, texts that do not read, a flag
    //  that conflicts, no file.
    s_png (bare, NULL, 0);
    char *refused [] = { "mandelfarm-master", "--from", bare, NULL };
    ck_assert_int_eq (mf_options_parse (3, refused, &opts, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "has no Center and Width texts"));
    const mf_png_text_t odd_texts [] = {
        { "Center", "-0.75,0.25" }, { "Width", "0.5" }, { "Iterations", "lots" }
    };
    s_png (odd, odd_texts, 3);
    refused [2] = odd;
    ck_assert_int_eq (mf_options_parse (3, refused, &opts, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "Iterations 'lots'"));
    char *region [] = { "mandelfarm-master", "--from", shallow, "--region", "-2,1,-1.125,1.125", NULL };
    ck_assert_int_eq (mf_options_parse (5, region, &opts, err, sizeof err), 0);
    ck_assert (opts.view.width == 3.0);
    mf_options_clear (&opts);
    refused [2] = "/nonexistent/x.png";
    ck_assert_int_eq (mf_options_parse (3, refused, &opts, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "--from: cannot open"));
    free (deep);
    free (shallow);
    free (bare);
    free (odd);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("options");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, defaults);
    tcase_add_test (tc, accepted_values);
    tcase_add_test (tc, refused_values);
    tcase_add_test (tc, views_of_any_depth);
    tcase_add_test (tc, listen_ports);
    tcase_add_test (tc, quiet_and_verbose);
    tcase_add_test (tc, viewer_at_depth);
    tcase_add_test (tc, movie_patterns);
    suite_add_tcase (suite, tc);
    TCase *files = tcase_create ("files");
    tcase_add_checked_fixture (files, th_dir_setup, th_dir_teardown);
    tcase_add_test (files, outputs_by_identity);
    tcase_add_test (files, from_a_png);
    suite_add_tcase (suite, files);
    return th_run_suite (suite);
}
