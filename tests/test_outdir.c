/*  Output folders: one appears only when committed whole, under a new
    name or over an empty folder; a folder with anything in it, a file or
    a link is refused and stays as it was; an abort or a failed commit
    leaves nothing behind. */
#include "helpers.h"
#include "mf_outdir.h"

#include <check.h>
#include <stdio.h>
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

//  Writes text to a new file (or fails the test).
static void
s_put (const char *file, const char *text)
{
    FILE *out = fopen (file, "w");
    ck_assert_ptr_nonnull (out);
    fputs (text, out);
    ck_assert_int_eq (fclose (out), 0);
}

START_TEST (appears_only_when_committed)
{
    char err [512];
    mf_outdir_t *dir = mf_outdir_open (s_path ("poster"), err, sizeof err);
    ck_assert_msg (dir != NULL, "%s", err);
    //  Filling it, the final name is not there; only the temporary one.
    ck_assert_int_eq (mf_outdir_write (dir, "a.txt", "alpha", 5, err, sizeof err), 0);
    ck_assert (!th_exists (s_path ("poster")));
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    ck_assert_ptr_nonnull (strstr (mf_outdir_path (dir), "/.mandelfarm-"));
    //  A name already written is not overwritten.
    ck_assert_int_eq (mf_outdir_write (dir, "a.txt", "beta", 4, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "a.txt"));
    ck_assert_int_eq (mf_outdir_commit (&dir, err, sizeof err), 0);
    ck_assert_ptr_null (dir);
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    size_t size;
    uint8_t *data = th_slurp (s_path ("poster/a.txt"), &size);
    ck_assert (data && size == 5 && memcmp (data, "alpha", 5) == 0);
    free (data);
    //  The mode a new folder gets: the umask applies (not mkdtemp's 0700).
    mode_t mask = umask (022);
    umask (mask);
    struct stat st;
    ck_assert_int_eq (stat (s_path ("poster"), &st), 0);
    ck_assert_uint_eq (st.st_mode & 0777, 0777 & ~mask);
}
END_TEST

START_TEST (aborted_leaves_nothing)
{
    char err [512];
    mf_outdir_t *dir = mf_outdir_open (s_path ("out/"), err, sizeof err);
    ck_assert_ptr_nonnull (dir);
    char sub [700];
    snprintf (sub, sizeof sub, "%s/deep", mf_outdir_path (dir));
    ck_assert_int_eq (mkdir (sub, 0777), 0);
    ck_assert_int_eq (mf_outdir_write (dir, "deep/x", "x", 1, err, sizeof err), 0);
    mf_outdir_abort (&dir);
    ck_assert_ptr_null (dir);
    mf_outdir_abort (&dir);                 //  safe twice
    ck_assert_int_eq (th_count_entries (th_dir), 0);
}
END_TEST

START_TEST (an_empty_folder_is_replaced)
{
    char err [512];
    ck_assert_int_eq (mkdir (s_path ("empty"), 0700), 0);
    ck_assert_int_eq (mf_outdir_check (s_path ("empty"), err, sizeof err), 0);
    mf_outdir_t *dir = mf_outdir_open (s_path ("empty//"), err, sizeof err);
    ck_assert_msg (dir != NULL, "%s", err);
    ck_assert_int_eq (mf_outdir_write (dir, "f", "1", 1, err, sizeof err), 0);
    ck_assert_int_eq (mf_outdir_commit (&dir, err, sizeof err), 0);
    ck_assert (th_exists (s_path ("empty/f")));
    ck_assert_int_eq (th_count_entries (th_dir), 1);
}
END_TEST

START_TEST (what_is_not_new_or_empty_is_refused)
{
    char err [512];
    //  A folder with a file in it: refused, the file stays.
    ck_assert_int_eq (mkdir (s_path ("full"), 0777), 0);
    s_put (s_path ("full/keep"), "mine");
    ck_assert_ptr_null (mf_outdir_open (s_path ("full"), err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "is not empty"));
    ck_assert_int_eq (mf_outdir_check (s_path ("full"), err, sizeof err), -1);
    ck_assert (th_exists (s_path ("full/keep")));
    //  A file, a link (even to an empty folder), a name that is no name.
    s_put (s_path ("file"), "x");
    ck_assert_int_eq (mf_outdir_check (s_path ("file"), err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "not a directory"));
    ck_assert_int_eq (mkdir (s_path ("real"), 0777), 0);
    ck_assert_int_eq (symlink ("real", s_path ("link")), 0);
    ck_assert_int_eq (mf_outdir_check (s_path ("link"), err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "symbolic link"));
    ck_assert_int_eq (mf_outdir_check (s_path ("."), err, sizeof err), -1);
    ck_assert_int_eq (mf_outdir_check ("", err, sizeof err), -1);
    ck_assert_int_eq (mf_outdir_check ("/", err, sizeof err), -1);
    ck_assert_int_eq (mf_outdir_check (s_path ("no/such/parent"), err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "cannot write in"));
    //  Nothing was made by any of them.
    ck_assert_int_eq (th_count_entries (th_dir), 4);
}
END_TEST

START_TEST (a_folder_made_meanwhile_is_kept)
{
    //  Someone makes the final name and puts a file in it while ours is
    //  filled: the commit fails, theirs stays, ours is gone.
    char err [512];
    mf_outdir_t *dir = mf_outdir_open (s_path ("race"), err, sizeof err);
    ck_assert_ptr_nonnull (dir);
    ck_assert_int_eq (mf_outdir_write (dir, "ours", "o", 1, err, sizeof err), 0);
    ck_assert_int_eq (mkdir (s_path ("race"), 0777), 0);
    s_put (s_path ("race/theirs"), "t");
    ck_assert_int_eq (mf_outdir_commit (&dir, err, sizeof err), -1);
    ck_assert_ptr_null (dir);
    ck_assert_ptr_nonnull (strstr (err, "not empty"));
    ck_assert (th_exists (s_path ("race/theirs")));
    ck_assert (!th_exists (s_path ("race/ours")));
    ck_assert_int_eq (th_count_entries (th_dir), 1);
    ck_assert_int_eq (th_count_entries (s_path ("race")), 1);
}
END_TEST

START_TEST (trees_are_copied)
{
    char err [512];
    ck_assert_int_eq (mkdir (s_path ("lib"), 0777), 0);
    ck_assert_int_eq (mkdir (s_path ("lib/images"), 0777), 0);
    s_put (s_path ("lib/a.js"), "script");
    s_put (s_path ("lib/images/b.png"), "image");
    mf_outdir_t *dir = mf_outdir_open (s_path ("site"), err, sizeof err);
    ck_assert_ptr_nonnull (dir);
    char lib [600];
    snprintf (lib, sizeof lib, "%s", s_path ("lib"));
    ck_assert_int_eq (mf_outdir_copy (dir, "vendor", lib, err, sizeof err), 0);
    //  A source that is not there: the message names it.
    ck_assert_int_eq (mf_outdir_copy (dir, "other", "/no/such/thing", err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "/no/such/thing"));
    ck_assert_int_eq (mf_outdir_commit (&dir, err, sizeof err), 0);
    ck_assert (th_same_file (s_path ("lib/a.js"), s_path ("site/vendor/a.js")));
    ck_assert (th_same_file (s_path ("lib/images/b.png"), s_path ("site/vendor/images/b.png")));
    ck_assert_int_eq (th_count_entries (s_path ("site/vendor")), 2);
}
END_TEST

START_TEST (names_resolve)
{
    char err [512], resolved [700], want [700];
    ck_assert_int_eq (mf_outdir_resolve (s_path ("a/b/"), resolved, sizeof resolved, err,
                                         sizeof err), -1);     //  no folder a: no parent
    ck_assert_int_eq (mkdir (s_path ("a"), 0777), 0);
    ck_assert_int_eq (mf_outdir_resolve (s_path ("a/./b///"), resolved, sizeof resolved, err,
                                         sizeof err), 0);
    char *real = realpath (th_dir, NULL);
    snprintf (want, sizeof want, "%s/a/b", real);
    ck_assert_str_eq (resolved, want);
    free (real);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("outdir");
    TCase *tc = tcase_create ("core");
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, appears_only_when_committed);
    tcase_add_test (tc, aborted_leaves_nothing);
    tcase_add_test (tc, an_empty_folder_is_replaced);
    tcase_add_test (tc, what_is_not_new_or_empty_is_refused);
    tcase_add_test (tc, a_folder_made_meanwhile_is_kept);
    tcase_add_test (tc, trees_are_copied);
    tcase_add_test (tc, names_resolve);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
