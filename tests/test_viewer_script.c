/*  --script files: every action parses to exact values; every bad line
    is refused with one message naming the file, the line, what is wrong
    and what is allowed. And the master's viewer flags, --view and
    --script. */
#include "helpers.h"
#include "options.h"
#include "script.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST (every_action)
{
    const char *text =
        "# a comment, then a blank line\n"
        "\n"
        "zoom 100 80\n"
        "  zoom\t-5 7 -3  \n"
        "pan 10 -20\n"
        "box 1 2 300 400\n"
        "key S\n"
        "key Backspace\n"
        "resize 640 480\r\n"
        "wait\n"
        "wait 5\n"
        "wait-tiles 12\n"
        "sleep 250\n"
        "stall 0\n"
        "stall-tiles 7\n"
        "screenshot out dir/a b.png  \n"
        "trace t.log\n"
        "quit\n";
    char err [512];
    mf_script_t *script = mf_script_parse (text, "s.txt", err, sizeof err);
    ck_assert_msg (script != NULL, "%s", err);
    ck_assert_uint_eq (mf_script_count (script), 16);
    const mf_action_t *a = mf_script_at (script, 0);
    ck_assert (a->kind == MF_ACT_ZOOM && a->line == 3);
    ck_assert (a->args [0] == 100 && a->args [1] == 80 && a->args [2] == 1);
    a = mf_script_at (script, 1);
    ck_assert (a->kind == MF_ACT_ZOOM && a->args [0] == -5 && a->args [1] == 7 && a->args [2] == -3);
    a = mf_script_at (script, 2);
    ck_assert (a->kind == MF_ACT_PAN && a->args [0] == 10 && a->args [1] == -20);
    a = mf_script_at (script, 3);
    ck_assert (a->kind == MF_ACT_BOX && a->args [2] == 300 && a->args [3] == 400);
    ck_assert (mf_script_at (script, 4)->key == MF_KEY_SAVE_BIG);
    ck_assert (mf_script_at (script, 5)->key == MF_KEY_BACK);
    a = mf_script_at (script, 6);
    ck_assert (a->kind == MF_ACT_RESIZE && a->args [0] == 640 && a->args [1] == 480);
    ck_assert (mf_script_at (script, 7)->kind == MF_ACT_WAIT);
    ck_assert_int_eq (mf_script_at (script, 7)->args [0], MF_SCRIPT_DEFAULT_WAIT);
    ck_assert_int_eq (mf_script_at (script, 8)->args [0], 5);
    ck_assert (mf_script_at (script, 9)->kind == MF_ACT_WAIT_TILES);
    ck_assert_int_eq (mf_script_at (script, 9)->args [0], 12);
    ck_assert (mf_script_at (script, 10)->kind == MF_ACT_SLEEP);
    ck_assert (mf_script_at (script, 11)->kind == MF_ACT_STALL);
    ck_assert (mf_script_at (script, 12)->kind == MF_ACT_STALL_TILES);
    ck_assert_int_eq (mf_script_at (script, 12)->args [0], 7);
    a = mf_script_at (script, 13);
    ck_assert (a->kind == MF_ACT_SCREENSHOT && a->line == 16);
    ck_assert_str_eq (a->path, "out dir/a b.png");
    ck_assert_str_eq (mf_script_at (script, 14)->path, "t.log");
    ck_assert (mf_script_at (script, 15)->kind == MF_ACT_QUIT);
    mf_script_destroy (&script);
    ck_assert_ptr_null (script);
    mf_script_destroy (&script);
}
END_TEST

START_TEST (key_names)
{
    ck_assert (mf_keys_find ("+") == MF_KEY_ITER_UP);
    ck_assert (mf_keys_find ("-") == MF_KEY_ITER_DOWN);
    ck_assert (mf_keys_find ("p") == MF_KEY_PALETTE);
    ck_assert (mf_keys_find ("w") == MF_KEY_TINT);
    ck_assert (mf_keys_find ("s") == MF_KEY_SAVE);
    ck_assert (mf_keys_find ("S") == MF_KEY_SAVE_BIG);
    ck_assert (mf_keys_find ("r") == MF_KEY_RESET);
    ck_assert (mf_keys_find ("m") == MF_KEY_MOVIE);
    ck_assert (mf_keys_find ("f") == MF_KEY_FULLSCREEN);
    ck_assert (mf_keys_find ("h") == MF_KEY_HELP);
    ck_assert (mf_keys_find ("q") == MF_KEY_QUIT);
    ck_assert (mf_keys_find ("Escape") == MF_KEY_QUIT);
    ck_assert (mf_keys_find ("Left") == MF_KEY_LEFT);
    ck_assert (mf_keys_find ("x") == MF_KEY_NONE);
    ck_assert (mf_keys_find ("") == MF_KEY_NONE);
    ck_assert (mf_keys_find ("P") == MF_KEY_NONE);
}
END_TEST

START_TEST (bad_lines_refused)
{
    struct { const char *text; const char *says [3]; } cases [] = {
        { "zoom 1 2\nfly 3 4\n", { "line 2", "'fly 3 4'", "unknown action" } },
        { "zoom 1\n", { "line 1", "zoom X Y [STEPS]", NULL } },
        { "zoom 1 2 3 4\n", { "line 1", "zoom X Y [STEPS]", NULL } },
        { "zoom 1 2 0\n", { "line 1", "STEPS must not be 0", NULL } },
        { "zoom a 2\n", { "'a' is not a whole number", "-65536 to 65536", NULL } },
        { "zoom 1 2 65\n", { "-64 to 64", NULL, NULL } },
        { "pan 1.5 2\n", { "'1.5' is not a whole number", "pan DX DY", NULL } },
        { "box 1 2 3\n", { "box X0 Y0 X1 Y1", NULL, NULL } },
        { "key\n", { "key NAME", NULL, NULL } },
        { "key F12\n", { "unknown key", "Backspace", NULL } },
        { "resize 0 10\n", { "from 1 to 65536", NULL, NULL } },
        { "wait 0\n", { "from 1 to 3600", NULL, NULL } },
        { "wait-tiles\n", { "wait-tiles N", NULL, NULL } },
        { "sleep -1\n", { "from 0 to 600000", NULL, NULL } },
        { "\n\n\nscreenshot   \n", { "line 4", "screenshot FILE", NULL } },
        { "quit now\n", { "use quit", NULL, NULL } },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        char err [512] = "";
        mf_script_t *script = mf_script_parse (cases [index].text, "bad.txt", err, sizeof err);
        ck_assert_msg (script == NULL, "accepted '%s'", cases [index].text);
        ck_assert_msg (strstr (err, "--script bad.txt: line "), "'%s'", err);
        ck_assert_msg (!strchr (err, '\n'), "not one line: '%s'", err);
        for (int say = 0; say < 3 && cases [index].says [say]; say++)
            ck_assert_msg (strstr (err, cases [index].says [say]), "'%s' lacks '%s'", err,
                           cases [index].says [say]);
    }
}
END_TEST

START_TEST (files)
{
    char err [512];
    ck_assert_ptr_null (mf_script_load ("/nonexistent/s.txt", err, sizeof err));
    ck_assert_msg (strstr (err, "/nonexistent/s.txt") && strstr (err, "cannot read"), "%s", err);
    char *dir = th_tmpdir ();
    char path [600];
    snprintf (path, sizeof path, "%s/s.txt", dir);
    FILE *file = fopen (path, "w");
    fputs ("zoom 1 2\nkey p\nquit", file);      //  no newline at the end
    fclose (file);
    mf_script_t *script = mf_script_load (path, err, sizeof err);
    ck_assert_msg (script != NULL, "%s", err);
    ck_assert_uint_eq (mf_script_count (script), 3);
    mf_script_destroy (&script);
    //  Empty: a valid script with nothing to do.
    file = fopen (path, "w");
    fclose (file);
    script = mf_script_load (path, err, sizeof err);
    ck_assert (script && mf_script_count (script) == 0);
    mf_script_destroy (&script);
    th_rmdir (dir);
    free (dir);
}
END_TEST

START_TEST (viewer_flags)
{
    mf_options_t opts;
    char err [512];
    char *plain [] = { "mandelfarm-master", NULL };
    ck_assert_int_eq (mf_options_parse (1, plain, &opts, err, sizeof err), 0);
    ck_assert (!opts.live && opts.script == NULL);
    char *view [] = { "mandelfarm-master", "--view", "--size", "320x200", "-j", "2", NULL };
    ck_assert_int_eq (mf_options_parse (6, view, &opts, err, sizeof err), 0);
    ck_assert (opts.live && opts.view.pixel_w == 320 && opts.local_workers == 2);
    char *script [] = { "mandelfarm-master", "--script", "s.txt", NULL };
    ck_assert_int_eq (mf_options_parse (3, script, &opts, err, sizeof err), 0);
    ck_assert (opts.live);                      //  --script implies --view
    ck_assert_str_eq (opts.script, "s.txt");
    char *with_o [] = { "mandelfarm-master", "--view", "-o", "a.png", NULL };
    ck_assert_int_eq (mf_options_parse (4, with_o, &opts, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "-o") && strstr (err, "--view"), "%s", err);
    char *with_raw [] = { "mandelfarm-master", "--raw", "a.npy", "--script", "s.txt", NULL };
    ck_assert_int_eq (mf_options_parse (5, with_raw, &opts, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "--raw"), "%s", err);
    char *empty [] = { "mandelfarm-master", "--script", "", NULL };
    ck_assert_int_eq (mf_options_parse (3, empty, &opts, err, sizeof err), -1);
    ck_assert_msg (strstr (err, "--script"), "%s", err);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_script");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, every_action);
    tcase_add_test (tc, key_names);
    tcase_add_test (tc, bad_lines_refused);
    tcase_add_test (tc, files);
    tcase_add_test (tc, viewer_flags);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
