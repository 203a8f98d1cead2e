/*  The viewer's status text (viewer/status.c): the title line for a given
    state, exactly; notes and their expiry; the title's pace; the help
    overlay's lines, the keys among them taken from the key table. No
    display needed: the time is passed in. */
#include "helpers.h"
#include "keys.h"
#include "status.h"
#include "mf_version.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static mf_status_facts_t
s_facts (void)
{
    mf_status_facts_t facts = {
        .view = { .center_re = -0.75, .center_im = 0.0, .width = 3.5,
                  .pixel_w = 640, .pixel_h = 400 },
        .maxiter = 1000, .palette = "classic", .tint = false,
        .full_done = 12, .full_total = 40, .full_pixels = 2000000,
        .submit_us = 1000000, .complete_us = 0, .workers = 1, .late = 4, .dropped = 2
    };
    return facts;
}

START_TEST (status_line_for_a_state)
{
    mf_status_t *status = mf_status_new ();
    ck_assert_ptr_nonnull (status);
    mf_status_facts_t facts = s_facts ();
    char line [512];
    //  One second after the submit, 2 Mpixel drawn.
    mf_status_line (status, &facts, 2000000, line, sizeof line);
    ck_assert_str_eq (line, "center -0.7500 + 0.0000i  width 3.5 (zoom 1x)  iter 1000  "
                            "tiles 12/40  2.0 Mpixel/s  1 worker");
    //  Complete: the rate stops at the last tile's time.
    facts.full_done = 40;
    facts.complete_us = 1500000;
    facts.workers = 3;
    mf_status_line (status, &facts, 9000000, line, sizeof line);
    ck_assert_str_eq (line, "center -0.7500 + 0.0000i  width 3.5 (zoom 1x)  iter 1000  "
                            "tiles 40/40  4.0 Mpixel/s  3 workers");
    //  Deeper: more decimals, a negative imaginary part, what is pending.
    facts.view = (mf_view_t) { .center_re = 0.25, .center_im = -0.125, .width = 0.0035,
                               .pixel_w = 640, .pixel_h = 400 };
    facts.big = true;
    facts.big_done = 3;
    facts.big_total = 160;
    facts.save_pending = true;
    mf_status_line (status, &facts, 9000000, line, sizeof line);
    ck_assert_str_eq (line, "center 0.2500000 - 0.1250000i  width 0.0035 (zoom 1e+03x)  "
                            "iter 1000  tiles 40/40  4.0 Mpixel/s  3 workers  4x save 3/160  "
                            "save when complete");
    //  The title is the line after the program's name; truncation is safe.
    char title [560];
    mf_status_title (status, &facts, 9000000, title, sizeof title);
    ck_assert_str_eq (title + strlen ("mandelfarm - "), line);
    ck_assert (strncmp (title, "mandelfarm - center ", 20) == 0);
    char small [16];
    mf_status_line (status, &facts, 9000000, small, sizeof small);
    ck_assert_str_eq (small, "center 0.250000");
    mf_status_destroy (&status);
    ck_assert_ptr_null (status);
    mf_status_destroy (&status);
}
END_TEST

START_TEST (notes_expire)
{
    mf_status_t *status = mf_status_new ();
    mf_status_facts_t facts = s_facts ();
    char line [512];
    mf_status_note (status, 1000, "palette %s", "fire");
    mf_status_line (status, &facts, 2000000, line, sizeof line);
    ck_assert_msg (strstr (line, "1 worker  - palette fire"), "%s", line);
    //  Shown for MF_STATUS_NOTE_MS, then gone.
    mf_status_line (status, &facts, (1000 + MF_STATUS_NOTE_MS - 1) * (int64_t) 1000,
                    line, sizeof line);
    ck_assert_msg (strstr (line, "palette fire"), "%s", line);
    mf_status_line (status, &facts, (1000 + MF_STATUS_NOTE_MS) * (int64_t) 1000,
                    line, sizeof line);
    ck_assert_msg (!strstr (line, "palette fire"), "%s", line);
    //  A new note replaces the old one.
    mf_status_note (status, 5000, "no earlier view");
    mf_status_line (status, &facts, 5000000, line, sizeof line);
    ck_assert_msg (strstr (line, "- no earlier view") && !strstr (line, "fire"), "%s", line);
    mf_status_destroy (&status);
}
END_TEST

START_TEST (title_pace)
{
    mf_status_t *status = mf_status_new ();
    ck_assert (mf_status_title_due (status, 1000, false));
    ck_assert (!mf_status_title_due (status, 1000 + MF_STATUS_TITLE_MS - 1, false));
    ck_assert (mf_status_title_due (status, 1000 + MF_STATUS_TITLE_MS, false));
    ck_assert (!mf_status_title_due (status, 1300, false));
    ck_assert (mf_status_title_due (status, 1300, true));      //  forced
    //  A note makes the next title due at once.
    ck_assert (!mf_status_title_due (status, 1301, false));
    mf_status_note (status, 1302, "saved x.png");
    ck_assert (mf_status_title_due (status, 1303, false));
    ck_assert (!mf_status_title_due (status, 1304, false));
    mf_status_destroy (&status);
}
END_TEST

//  A deep view: its exact texts, the zoom as a power of ten, --iter
//  auto's state and the reference orbit's progress.
START_TEST (deep_line)
{
    mf_status_t *status = mf_status_new ();
    mf_status_facts_t facts = s_facts ();
    facts.deep = true;
    facts.center_text = "-0.04947002906310409375169222672735363011874571,-0.67478757584467536401";
    facts.width_text = "6.2210627960133914e-50";
    facts.log10_zoom = 57.32;
    facts.iter_auto = true;
    facts.maxiter = 0;
    facts.reference = true;
    facts.reference_done = 250;
    facts.reference_limit = 1000;
    char line [512];
    mf_status_line (status, &facts, 2000000, line, sizeof line);
    ck_assert_str_eq (line, "center -0.049470029063104093751...  width 6.22...e-50  zoom 2.1e57  "
                            "iter auto  reference 250/1000 (25%)  tiles 12/40  2.0 Mpixel/s  "
                            "1 worker");
    facts.reference = false;
    facts.maxiter = 5400;
    facts.log10_zoom = 299.9999;        //  9.9998: printed as the next power
    mf_status_line (status, &facts, 2000000, line, sizeof line);
    ck_assert_str_eq (line, "center -0.049470029063104093751...  width 6.22...e-50  zoom 1.0e300  "
                            "iter 5400 (auto)  tiles 12/40  2.0 Mpixel/s  1 worker");
    mf_status_help_t help;
    mf_status_help (&facts, 2000000, &help);
    bool center = false, width = false;
    for (size_t index = 0; index < help.count; index++) {
        center |= strcmp (help.lines [index], "center  -0.04947002906310409375169222672735363"
                          "011874571,-0.67478757584467536401") == 0;
        width |= strcmp (help.lines [index], "width   6.2210627960133914e-50 (zoom 1.0e300)") == 0;
    }
    ck_assert (center && width);
    mf_status_destroy (&status);
}
END_TEST

START_TEST (help_lines)
{
    mf_status_facts_t facts = s_facts ();
    facts.tint = true;
    mf_status_help_t help;
    mf_status_help (&facts, 2000000, &help);
    //  The lines of the overlay before the key table, spelled as they were.
    static const char *keys [] = {
        "mandelfarm " MF_VERSION " - live view of the farm",
        "",
        "wheel         zoom in / out at the pointer (2x a notch)",
        "left-drag     pan",
        "right-drag    zoom into the box",
        "arrows        pan an eighth of the window",
        "+  -          double / halve the iterations",
        "p             next palette",
        "w             tint tiles by the worker that computed them",
        "s             save the view as mandelfarm-NNNN.png",
        "S             render 4x the window and save it",
        "r             back to the start view",
        "Backspace     the previous view",
        "m             print the command that films a zoom movie into this view",
        "f             fullscreen",
        "h             this help",
        "q  Esc        quit",
        ""
    };
    size_t count = sizeof keys / sizeof keys [0];
    ck_assert_uint_eq (help.count, count + 5);
    for (size_t index = 0; index < count; index++)
        ck_assert_str_eq (help.lines [index], keys [index]);
    ck_assert_str_eq (help.lines [count], "center  -0.75 + 0i");
    ck_assert_str_eq (help.lines [count + 1], "width   3.5 (zoom 1x)");
    ck_assert_str_eq (help.lines [count + 2], "size    640x400  iter 1000  palette classic  "
                                              "(worker tint)");
    ck_assert_str_eq (help.lines [count + 3], "tiles 12/40  2.0 Mpixel/s  1 worker");
    ck_assert_str_eq (help.lines [count + 4], "late results dropped: 4 by the engine, 2 here");
    //  Each help line of the key table is there once.
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        if (!row->help_keys)
            continue;
        int found = 0;
        for (size_t line = 0; line < help.count; line++)
            found += strncmp (help.lines [line], row->help_keys, strlen (row->help_keys)) == 0
                  && strstr (help.lines [line], row->help) != NULL;
        ck_assert_msg (found == 1, "'%s' found %d times", row->help_keys, found);
    }
    //  The exact center: the shortest decimals that read back.
    facts.view.center_re = 0.1 + 0.2;
    facts.view.center_im = -1.0 / 3.0;
    mf_status_help (&facts, 2000000, &help);
    ck_assert_str_eq (help.lines [count], "center  0.30000000000000004 - 0.3333333333333333i");
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_status");
    TCase *tc = tcase_create ("text");
    tcase_add_test (tc, status_line_for_a_state);
    tcase_add_test (tc, notes_expire);
    tcase_add_test (tc, title_pace);
    tcase_add_test (tc, help_lines);
    tcase_add_test (tc, deep_line);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
