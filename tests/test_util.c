/*  mf_util: strict parsers that take a whole string or nothing, the
    clocks, exact number formatting that reads back the same double,
    checked size products, and JSON strings valid whatever the bytes. */
#include "helpers.h"
#include "mf_util.h"

#include <check.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST (parse_long_strict)
{
    long value = 7;
    ck_assert_int_eq (mf_parse_long ("42", 0, 100, &value), 0);
    ck_assert_int_eq (value, 42);
    ck_assert_int_eq (mf_parse_long ("-5", -10, 10, &value), 0);
    ck_assert_int_eq (value, -5);
    ck_assert_int_eq (mf_parse_long ("0", 0, 0, &value), 0);
    ck_assert_int_eq (value, 0);
    //  The bounds are inclusive.
    ck_assert_int_eq (mf_parse_long ("100", 0, 100, &value), 0);
    ck_assert_int_eq (mf_parse_long ("101", 0, 100, &value), -1);
    ck_assert_int_eq (mf_parse_long ("-11", -10, 10, &value), -1);
    //  Not a whole decimal number, or too big for a long: value untouched.
    value = 7;
    const char *refused [] = {
        "", " 1", "1 ", "+1", "1x", "0x10", "1.5", "1e3", "--1", "-", "one",
        "99999999999999999999999", NULL
    };
    for (int index = 0; refused [index]; index++)
        ck_assert_msg (mf_parse_long (refused [index], LONG_MIN, LONG_MAX, &value) == -1,
                       "'%s' accepted", refused [index]);
    ck_assert_int_eq (mf_parse_long (NULL, 0, 1, &value), -1);
    ck_assert_int_eq (value, 7);
}
END_TEST

START_TEST (parse_double_strict)
{
    double value = 0;
    ck_assert_int_eq (mf_parse_double ("-0.75", &value), 0);
    ck_assert (value == -0.75);
    ck_assert_int_eq (mf_parse_double ("1e-300", &value), 0);
    ck_assert (value == 1e-300);
    ck_assert_int_eq (mf_parse_double ("+2", &value), 0);
    ck_assert (value == 2.0);
    value = 3;
    const char *refused [] = { "", " 1", "1 ", "1,5", "nan", "inf", "-inf", "1e400", "x", NULL };
    for (int index = 0; refused [index]; index++)
        ck_assert_msg (mf_parse_double (refused [index], &value) == -1, "'%s' accepted",
                       refused [index]);
    ck_assert (value == 3);
    double values [4];
    ck_assert_int_eq (mf_parse_doubles ("-2.5,1,-1,1", ',', values, 4), 0);
    ck_assert (values [0] == -2.5 && values [1] == 1 && values [2] == -1 && values [3] == 1);
    //  Exactly count fields, each a whole number.
    ck_assert_int_eq (mf_parse_doubles ("1,2,3", ',', values, 4), -1);
    ck_assert_int_eq (mf_parse_doubles ("1,2,3,4,5", ',', values, 4), -1);
    ck_assert_int_eq (mf_parse_doubles ("1,,3,4", ',', values, 4), -1);
    ck_assert_int_eq (mf_parse_doubles ("1,2,3,4,", ',', values, 4), -1);
    ck_assert_int_eq (mf_parse_doubles (NULL, ',', values, 1), -1);
    char long_text [600];
    memset (long_text, '1', sizeof long_text - 1);
    long_text [sizeof long_text - 1] = 0;
    ck_assert_int_eq (mf_parse_doubles (long_text, ',', values, 1), -1);
}
END_TEST

START_TEST (clocks)
{
    //  Monotonic, and the two units agree.
    int64_t us = mf_clock_us (), ms = mf_clock_ms ();
    ck_assert (ms >= us / 1000 && ms <= us / 1000 + 1000);
    usleep (20 * 1000);
    int64_t us2 = mf_clock_us ();
    ck_assert_int_ge (us2 - us, 20000);
    ck_assert_int_ge (mf_clock_ms (), ms + 20);
}
END_TEST

START_TEST (format_exact_round_trip)
{
    const double values [] = {
        0.0, -0.0, 1.0, -0.75, 0.1, 1.0 / 3, 3.5, 1e-10 / 3, -0.7436438870371587,
        DBL_MAX, DBL_MIN, 4.9406564584124654e-324, 123456789012345678.0
    };
    for (size_t index = 0; index < sizeof values / sizeof values [0]; index++) {
        char text [32];
        mf_format_exact (values [index], text, sizeof text);
        //  strtod: mf_parse_double refuses a subnormal (ERANGE) by design.
        char *end;
        double back = strtod (text, &end);
        ck_assert_msg (*end == 0, "'%s' is not all a number", text);
        ck_assert_msg (memcmp (&back, &values [index], sizeof back) == 0,
                       "'%s' reads back as another double", text);
    }
    char text [32];
    mf_format_exact (0.1, text, sizeof text);
    ck_assert_str_eq (text, "0.10000000000000001");
}
END_TEST

START_TEST (mul_size_checked)
{
    size_t out = 99;
    ck_assert_int_eq (mf_mul_size (65536, 65536, &out), 0);
    ck_assert_uint_eq (out, (size_t) 1 << 32);
    ck_assert_int_eq (mf_mul_size (0, SIZE_MAX, &out), 0);
    ck_assert_uint_eq (out, 0);
    ck_assert_int_eq (mf_mul_size (SIZE_MAX, 1, &out), 0);
    ck_assert_uint_eq (out, SIZE_MAX);
    out = 99;
    ck_assert_int_eq (mf_mul_size (SIZE_MAX / 2 + 1, 2, &out), -1);
    ck_assert_int_eq (mf_mul_size (SIZE_MAX, SIZE_MAX, &out), -1);
    ck_assert_uint_eq (out, 99);
}
END_TEST

START_TEST (json_strings)
{
    char out [128];
    ck_assert_int_eq (mf_json_string ("plain name:42", out, sizeof out), 0);
    ck_assert_str_eq (out, "\"plain name:42\"");
    ck_assert_int_eq (mf_json_string ("", out, sizeof out), 0);
    ck_assert_str_eq (out, "\"\"");
    ck_assert_int_eq (mf_json_string ("k\"\\", out, sizeof out), 0);
    ck_assert_str_eq (out, "\"k\\\"\\\\\"");
    ck_assert_int_eq (mf_json_string ("a\nb\tc\rd\x01" "e\x1f" "f\x7f", out, sizeof out), 0);
    ck_assert_str_eq (out, "\"a\\nb\\tc\\rd\\u0001e\\u001ff\\u007f\"");
    //  Bytes beyond ASCII become their Latin-1 characters: valid JSON
    //  even when they are not UTF-8.
    ck_assert_int_eq (mf_json_string ("\xc3\xa9\xff", out, sizeof out), 0);
    ck_assert_str_eq (out, "\"\\u00c3\\u00a9\\u00ff\"");
    //  Too small: -1, and still a valid (empty) string, never half an escape.
    ck_assert_int_eq (mf_json_string ("abcdefgh", out, 9), -1);
    ck_assert_str_eq (out, "\"\"");
    ck_assert_int_eq (mf_json_string ("\x01\x01", out, 10), -1);
    ck_assert_str_eq (out, "\"\"");
    ck_assert_int_eq (mf_json_string ("ab", out, 2), -1);
    //  Exactly enough room for the worst case of each byte.
    char small [6 * 3 + 3];
    ck_assert_int_eq (mf_json_string ("\x01\x02\x03", small, sizeof small), 0);
    ck_assert_str_eq (small, "\"\\u0001\\u0002\\u0003\"");
}
END_TEST

START_TEST (online_cpus)
{
    ck_assert_int_ge (mf_online_cpus (), 1);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("util");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, parse_long_strict);
    tcase_add_test (tc, parse_double_strict);
    tcase_add_test (tc, clocks);
    tcase_add_test (tc, format_exact_round_trip);
    tcase_add_test (tc, mul_size_checked);
    tcase_add_test (tc, json_strings);
    tcase_add_test (tc, online_cpus);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
