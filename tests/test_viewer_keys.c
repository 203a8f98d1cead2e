/*  The viewer's key table (viewer/keys.c): every key has an action, a
    script name and a help line; names are unique; what a script presses
    does what the script named; the script parser takes exactly the
    table's names; the README lists exactly them. No display needed. */
#include "helpers.h"
#include "keys.h"
#include "script.h"

#include <check.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 64                    //  names a list may hold in these tests

//  Splits a space-separated list into words (in place). Returns the count.
static int
s_words (char *text, char *words [], int max)
{
    int count = 0;
    char *rest = text, *word;
    while (count < max && (word = strtok_r (rest, " ", &rest)))
        words [count++] = word;
    return count;
}

static int
s_count_of (char *words [], int count, const char *word)
{
    int found = 0;
    for (int index = 0; index < count; index++)
        found += strcmp (words [index], word) == 0;
    return found;
}

START_TEST (every_action_has_a_binding_a_name_and_help)
{
    ck_assert_ptr_nonnull (mf_keys_at (0)->help_keys);
    for (mf_key_t key = MF_KEY_NONE + 1; key < MF_KEY_COUNT; key++) {
        bool bound = false, named = false, described = false;
        const char *help = NULL;        //  the help line above the row
        for (size_t index = 0; index < mf_keys_count (); index++) {
            const mf_keys_binding_t *row = mf_keys_at (index);
            if (row->help_keys)
                help = row->help;
            if (row->key != key)
                continue;
            bound = true;
            named |= row->name != NULL;
            described |= help != NULL && *help;
        }
        ck_assert_msg (bound && named && described, "key %d: bound %d named %d described %d",
                       key, bound, named, described);
    }
    ck_assert_ptr_null (mf_keys_binding (MF_KEY_NONE));
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        ck_assert (row->key > MF_KEY_NONE && row->key < MF_KEY_COUNT);
        //  Help comes in pairs; a row never has an alias without a name.
        ck_assert ((row->help_keys == NULL) == (row->help == NULL));
        ck_assert (row->name || !row->alias);
        //  Every binding of one action repeats alike.
        ck_assert (row->repeats == mf_keys_binding (row->key)->repeats);
    }
}
END_TEST

START_TEST (names_are_unique_and_found)
{
    const char *seen [MAX_NAMES];
    int count = 0;
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        const char *names [2] = { row->name, row->alias };
        for (int which = 0; which < 2; which++) {
            if (!names [which])
                continue;
            for (int other = 0; other < count; other++)
                ck_assert_msg (strcmp (seen [other], names [which]), "'%s' twice", names [which]);
            ck_assert_int_lt (count, MAX_NAMES);
            seen [count++] = names [which];
            ck_assert_msg (mf_keys_find (names [which]) == row->key, "'%s'", names [which]);
        }
    }
    ck_assert_int_ge (count, MF_KEY_COUNT - 1);
    //  Names are case-sensitive and exact.
    const char *unknown [] = { "", "P", "x", "esc", "escape", "ESCAPE", "F1", "left", "Esc",
                               "++", " p", "p " };
    for (size_t index = 0; index < sizeof unknown / sizeof unknown [0]; index++)
        ck_assert_msg (mf_keys_find (unknown [index]) == MF_KEY_NONE, "'%s'", unknown [index]);
    //  The ones scripts were written with before the table.
    ck_assert (mf_keys_find ("plus") == MF_KEY_ITER_UP);
    ck_assert (mf_keys_find ("minus") == MF_KEY_ITER_DOWN);
    ck_assert (mf_keys_find ("S") == MF_KEY_SAVE_BIG);
    ck_assert (mf_keys_find ("Escape") == MF_KEY_QUIT);
}
END_TEST

START_TEST (lookup_follows_the_table)
{
    //  Every row's key does that row's action, and repeats only if it may.
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        ck_assert_int_eq (mf_keys_lookup (row->sym, row->shift, false), row->key);
        ck_assert_int_eq (mf_keys_lookup (row->sym, row->shift, true),
                          row->repeats? row->key: MF_KEY_NONE);
    }
    //  What a script presses is what it named.
    for (mf_key_t key = MF_KEY_NONE + 1; key < MF_KEY_COUNT; key++) {
        const mf_keys_binding_t *first = mf_keys_binding (key);
        ck_assert_ptr_nonnull (first);
        ck_assert_int_eq (mf_keys_lookup (first->sym, first->shift, false), key);
    }
    //  Shift matters only where a binding asks for it: s and S differ, a
    //  shifted p is still p, and "+" is Shift and = on a US keyboard.
    ck_assert_int_eq (mf_keys_lookup (SDLK_s, false, false), MF_KEY_SAVE);
    ck_assert_int_eq (mf_keys_lookup (SDLK_s, true, false), MF_KEY_SAVE_BIG);
    ck_assert_int_eq (mf_keys_lookup (SDLK_p, true, false), MF_KEY_PALETTE);
    ck_assert_int_eq (mf_keys_lookup (SDLK_EQUALS, true, false), MF_KEY_ITER_UP);
    ck_assert_int_eq (mf_keys_lookup (SDLK_KP_PLUS, false, true), MF_KEY_ITER_UP);
    ck_assert_int_eq (mf_keys_lookup (SDLK_F11, false, false), MF_KEY_FULLSCREEN);
    ck_assert_int_eq (mf_keys_lookup (SDLK_F1, false, false), MF_KEY_HELP);
    ck_assert_int_eq (mf_keys_lookup (SDLK_ESCAPE, false, false), MF_KEY_QUIT);
    ck_assert_int_eq (mf_keys_lookup (SDLK_ESCAPE, false, true), MF_KEY_NONE);
    ck_assert_int_eq (mf_keys_lookup (SDLK_x, false, false), MF_KEY_NONE);
    ck_assert_int_eq (mf_keys_lookup (SDLK_SPACE, true, false), MF_KEY_NONE);
}
END_TEST

START_TEST (script_takes_exactly_the_table_names)
{
    char names [256], err [512];
    mf_keys_names (names, sizeof names);
    char *words [MAX_NAMES];
    int count = s_words (names, words, MAX_NAMES);
    //  The list is the named rows, in order, no alias.
    int named = 0;
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        if (!row->name)
            continue;
        ck_assert_int_lt (named, count);
        ck_assert_str_eq (words [named++], row->name);
    }
    ck_assert_int_eq (named, count);
    //  Each name and alias parses to its action.
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        const char *both [2] = { row->name, row->alias };
        for (int which = 0; which < 2; which++) {
            if (!both [which])
                continue;
            char text [64];
            snprintf (text, sizeof text, "key %s\n", both [which]);
            mf_script_t *script = mf_script_parse (text, "k.txt", err, sizeof err);
            ck_assert_msg (script != NULL, "'%s': %s", both [which], err);
            ck_assert_int_eq (mf_script_at (script, 0)->key, row->key);
            mf_script_destroy (&script);
        }
    }
    //  Anything else is refused, and the refusal lists every name.
    const char *others [] = { "F1", "esc", "Space", "P", "Plus", "Enter" };
    for (size_t index = 0; index < sizeof others / sizeof others [0]; index++) {
        char text [64];
        snprintf (text, sizeof text, "key %s\n", others [index]);
        mf_script_t *script = mf_script_parse (text, "k.txt", err, sizeof err);
        ck_assert_msg (script == NULL, "'%s' accepted", others [index]);
        char *use = strstr (err, "use one of: ");
        ck_assert_msg (use, "%s", err);
        char listed [256];
        snprintf (listed, sizeof listed, "%s", use + strlen ("use one of: "));
        char *list [MAX_NAMES];
        int listed_count = s_words (listed, list, MAX_NAMES);
        ck_assert_int_eq (listed_count, count);
        for (int name = 0; name < count; name++)
            ck_assert_msg (s_count_of (list, listed_count, words [name]) == 1,
                           "'%s' not listed in '%s'", words [name], err);
    }
}
END_TEST

//  README.md, found beside bin/ (MF_BIN) or in the current directory.
static char *
s_readme (void)
{
    const char *bin = getenv ("MF_BIN");
    char path [PATH_MAX];
    if (bin && *bin) {
        char copy [PATH_MAX];
        snprintf (copy, sizeof copy, "%s", bin);
        snprintf (path, sizeof path, "%s/README.md", dirname (copy));
    }
    else
        snprintf (path, sizeof path, "README.md");
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    ck_assert_msg (text, "cannot read %s (run from the source tree, or set MF_BIN)", path);
    text = realloc (text, size + 1);
    text [size] = 0;
    return text;
}

START_TEST (readme_lists_exactly_the_table_names)
{
    char *readme = s_readme ();
    //  The script table's row: | `key NAME` | press a key: `+ - p ...` |
    char *row = strstr (readme, "| `key NAME` |");
    ck_assert_msg (row, "README.md has no `key NAME` row");
    char *open = strchr (row + strlen ("| `key NAME` |"), '`');
    char *close = open? strchr (open + 1, '`'): NULL;
    char *end = strchr (row, '\n');
    ck_assert_msg (open && close && (!end || close < end), "no `...` list in the `key NAME` row");
    *close = 0;
    char *documented [MAX_NAMES];
    int documented_count = s_words (open + 1, documented, MAX_NAMES);

    char names [256];
    mf_keys_names (names, sizeof names);
    char *table [MAX_NAMES];
    int table_count = s_words (names, table, MAX_NAMES);
    for (int index = 0; index < table_count; index++)
        ck_assert_msg (s_count_of (documented, documented_count, table [index]) == 1,
                       "README.md's `key NAME` row lacks '%s'", table [index]);
    for (int index = 0; index < documented_count; index++)
        ck_assert_msg (s_count_of (table, table_count, documented [index]) == 1,
                       "README.md's `key NAME` row lists '%s', which keys.c does not have",
                       documented [index]);
    free (readme);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_keys");
    TCase *tc = tcase_create ("table");
    tcase_add_test (tc, every_action_has_a_binding_a_name_and_help);
    tcase_add_test (tc, names_are_unique_and_found);
    tcase_add_test (tc, lookup_follows_the_table);
    tcase_add_test (tc, script_takes_exactly_the_table_names);
    tcase_add_test (tc, readme_lists_exactly_the_table_names);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
