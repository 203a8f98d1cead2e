/*  The viewer names itself: every line it writes to stderr is
    "mandelfarm-viewer[pid]: level: text" (through mf_log), a refusal is
    one such line and status 2, a failed script run says why by line and
    exits 1. Real viewers, without a display (SDL's offscreen driver). */
#include "helpers.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MS 60000                    //  msecs one viewer may take at most

static void
s_setup (void)
{
    th_dir_setup ();
#if defined (__SANITIZE_ADDRESS__)
    setenv ("SDL_VIDEODRIVER", "dummy", 1);
#else
    setenv ("SDL_VIDEODRIVER", "offscreen", 1);
#endif
}

//  Writes text as a script in the test's folder; returns its path.
static char *
s_script (const char *text)
{
    char *path = th_path ("s.txt");
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    fclose (file);
    return path;
}

//  Checks that every line of out is the viewer's, at level; returns the
//  number of lines.
static int
s_viewer_lines (const char *out, const char *level)
{
    int lines = 0;
    for (const char *line = out; *line; lines++) {
        const char *end = strchr (line, '\n');
        ck_assert_msg (end, "unterminated line: '%s'", line);
        int pid = 0, used = 0;
        char said [16] = "";
        ck_assert_msg (sscanf (line, "mandelfarm-viewer[%d]: %15[a-z]: %n", &pid, said, &used) == 2
                       && used > 0 && pid > 0, "not the viewer's line: '%.*s'",
                       (int) (end - line), line);
        ck_assert_str_eq (said, level);
        line = end + 1;
    }
    return lines;
}

START_TEST (a_bad_script_is_one_line_of_the_viewer)
{
    char *script = s_script ("zoom 1 2\nkey F12\n");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--script", script, NULL };
    char out [2048];
    int rc = th_run (argv, RUN_MS, out, sizeof out);
    ck_assert_msg (rc == 2, "status %d: %s", rc, out);
    ck_assert_int_eq (s_viewer_lines (out, "error"), 1);
    ck_assert_msg (strstr (out, "--script ") && strstr (out, "line 2: 'key F12': unknown key"),
                   "%s", out);
    free (script);
}
END_TEST

START_TEST (a_failed_run_says_why_by_line)
{
    char *script = s_script ("wait\nscreenshot /nonexistent/dir/x.png\nquit\n");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "64x48", "-j", "1",
                      "--script", script, NULL };
    char out [4096];
    int rc = th_run (argv, RUN_MS, out, sizeof out);
    ck_assert_msg (rc == 1, "status %d: %s", rc, out);
    ck_assert_int_eq (s_viewer_lines (out, "error"), 1);
    ck_assert_msg (strstr (out, "line 2: screenshot /nonexistent/dir/x.png: "), "%s", out);
    free (script);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_messages");
    TCase *tc = tcase_create ("e2e");
    tcase_add_checked_fixture (tc, s_setup, th_dir_teardown);
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, a_bad_script_is_one_line_of_the_viewer);
    tcase_add_test (tc, a_failed_run_says_why_by_line);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
