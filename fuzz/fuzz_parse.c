/*  Fuzzes the command-line number parsers: mf_parse_long,
    mf_parse_double, mf_parse_doubles (common/mf_util.c), mf_parse_size,
    mf_check_width and mf_view_from_region (common/mf_region.c).

    The first byte picks the parser and its bounds, the rest is the text
    (up to its first NUL, as argv would give it). What a parser accepts
    must be inside its promises: in range, finite, and read back the same
    by the C library; a refused region must come with one line of reason.
*/
#include "fuzz.h"
#include "mf_region.h"
#include "mf_util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#define TEXT_MAX 1024                   //  bytes of text looked at

static const long s_bounds [][2] = {
    { 0, 1024 }, { 1, 1000000000 }, { 8, 1024 }, { 10, 60000 }, { 1, 4095 },
    { LONG_MIN, LONG_MAX }, { -5, 5 }, { 0, 0 }
};

static void
s_long (const char *text, unsigned pick)
{
    const long *bounds = s_bounds [pick % (sizeof s_bounds / sizeof s_bounds [0])];
    long value = 12345;
    if (mf_parse_long (text, bounds [0], bounds [1], &value)) {
        FUZZ_CHECK (value == 12345);            //  untouched on failure
        return;
    }
    FUZZ_CHECK (value >= bounds [0] && value <= bounds [1]);
    FUZZ_CHECK (text [0] == '-' || (text [0] >= '0' && text [0] <= '9'));
    char *end;
    FUZZ_CHECK (strtol (text, &end, 10) == value && *end == 0);
}

static void
s_double (const char *text)
{
    double value;
    if (mf_parse_double (text, &value))
        return;
    FUZZ_CHECK (isfinite (value));
    char *end;
    double again = strtod (text, &end);
    FUZZ_CHECK (*end == 0 && memcmp (&again, &value, sizeof value) == 0);
}

static void
s_doubles (const char *text, unsigned pick)
{
    int count = 1 + (int) (pick % 4);
    double values [4];
    if (mf_parse_doubles (text, ',', values, count))
        return;
    int commas = 0;
    for (const char *cursor = text; *cursor; cursor++)
        commas += *cursor == ',';
    FUZZ_CHECK (commas == count - 1);
    for (int index = 0; index < count; index++)
        FUZZ_CHECK (isfinite (values [index]));
}

static void
s_size (const char *text)
{
    uint32_t w = 0, h = 0;
    if (mf_parse_size (text, &w, &h))
        return;
    FUZZ_CHECK (w >= 1 && w <= MF_MAX_DIM && h >= 1 && h <= MF_MAX_DIM);
    char again [32];
    snprintf (again, sizeof again, "%ux%u", w, h);
    uint32_t w2, h2;
    FUZZ_CHECK (mf_parse_size (again, &w2, &h2) == 0 && w2 == w && h2 == h);
}

static void
s_region (const char *text, unsigned pick)
{
    double region [4];
    if (mf_parse_doubles (text, ',', region, 4))
        return;
    uint32_t w = 1 + pick * 37 % MF_MAX_DIM, h = 1 + pick * 101 % MF_MAX_DIM;
    mf_view_t view;
    char err [512] = "";
    if (mf_view_from_region (region, w, h, &view, err, sizeof err)) {
        FUZZ_CHECK (err [0] != 0 && strlen (err) < sizeof err && !strchr (err, '\n'));
        return;
    }
    FUZZ_CHECK (isfinite (view.center_re) && isfinite (view.center_im));
    FUZZ_CHECK (isfinite (view.width) && view.width > 0);
    FUZZ_CHECK (view.pixel_w == w && view.pixel_h == h);
    FUZZ_CHECK (mf_check_width (view.width, w) == 0);
}

static void
s_width (const char *text, unsigned pick)
{
    double width;
    if (mf_parse_double (text, &width))
        return;
    uint32_t w = 1 + pick * 257 % MF_MAX_DIM;
    if (mf_check_width (width, w) == 0) {
        double d = width / (double) w;
        FUZZ_CHECK (width > 0 && isfinite (width) && d > 0 && isnormal (d));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data [0];
    char text [TEXT_MAX + 1];
    size_t len = size - 1 < TEXT_MAX? size - 1: TEXT_MAX;
    memcpy (text, data + 1, len);
    text [len] = 0;
    switch (pick % 6) {
        case 0: s_long (text, pick / 6); break;
        case 1: s_double (text); break;
        case 2: s_doubles (text, pick / 6); break;
        case 3: s_size (text); break;
        case 4: s_region (text, pick / 6); break;
        case 5: s_width (text, pick / 6); break;
    }
    return 0;
}
