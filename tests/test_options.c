/*  The master's command line: defaults, and one clear line for every
    value it refuses, naming the flag and what is allowed. */
#include "helpers.h"
#include "options.h"
#include "mf_tiles.h"

#include <check.h>
#include <string.h>

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
}
END_TEST

START_TEST (refused_values)
{
    struct { const char *a, *b, *c, *d, *flag, *allowed; } cases [] = {
        { "--size", "0x10", NULL, NULL, "--size", "from 1 to 65536" },
        { "--size", "100000x10", NULL, NULL, "--size", "from 1 to 65536" },
        { "--size", "65536x65536", NULL, NULL, "--size", "at most" },
        { "--size", "big", NULL, NULL, "--size", "WxH" },
        { "--iter", "0", NULL, NULL, "--iter", "from 1" },
        { "--iter", "-5", NULL, NULL, "--iter", "from 1" },
        { "--iter", "lots", NULL, NULL, "--iter", "from 1" },
        { "--width", "0", NULL, NULL, "--width", "above 0" },
        { "--width", "-3", NULL, NULL, "--width", "above 0" },
        { "--width", "inf", NULL, NULL, "--width", "above 0" },
        { "--width", "nan", NULL, NULL, "--width", "above 0" },
        { "--width", "1e-320", NULL, NULL, "--width", "above 0" },
        { "--width", "1e-305", NULL, NULL, "--width", "nonzero pixel" },
        { "--center", "1", NULL, NULL, "--center", "RE,IM" },
        { "--center", "1,2,3", NULL, NULL, "--center", "RE,IM" },
        { "--center", "a,b", NULL, NULL, "--center", "RE,IM" },
        { "--region", "1,2,3", NULL, NULL, "--region", "XMIN,XMAX,YMIN,YMAX" },
        { "--region", "1,0,0,1", NULL, NULL, "--region", "below" },
        { "--region", "-2,1,-1,1", NULL, NULL, "--region", "height that matches" },
        { "--region", "-2,1,-1,1", "--width", "3", "--region", "one or the other" },
        { "--palette", "neon", NULL, NULL, "--palette", "classic" },
        { "-j", "-1", NULL, NULL, "--local-workers", "from 0 to 1024" },
        { "-j", "0", NULL, NULL, "-j 0", "--listen" },
        { "--tile", "4", NULL, NULL, "--tile", "from 8 to 1024" },
        { "--listen", "5555", NULL, NULL, "--listen", "tcp://" },
        { "--heartbeat", "1", NULL, NULL, "--heartbeat", "from 10" },
        { "--kernel", "quantum", NULL, NULL, "--kernel", "auto" },
        { "--raw", "a.png", NULL, NULL, "--raw", "another name" },
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
        const char *out = cases [index].flag && strcmp (cases [index].a, "--raw") == 0? "-o": NULL;
        int rc = out? s_parse (&opts, err, sizeof err, cases [index].a, cases [index].b, "-o", "a.png")
                    : s_parse (&opts, err, sizeof err, cases [index].a, cases [index].b,
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

int
main (void)
{
    Suite *suite = suite_create ("options");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, defaults);
    tcase_add_test (tc, accepted_values);
    tcase_add_test (tc, refused_values);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
