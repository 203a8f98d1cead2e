/*  mf_util: see mf_util.h. */
#include "mf_util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
mf_clock_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mf_clock_ms (void)
{
    return mf_clock_us () / 1000;
}

int
mf_parse_long (const char *text, long min, long max, long *value)
{
    //  strtol would skip leading blanks and take a sign of '+'; we do not.
    if (!text || !*text || !(isdigit ((unsigned char) *text) || *text == '-'))
        return -1;
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || *end || end == text || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

int
mf_parse_double (const char *text, double *value)
{
    if (!text || !*text || isspace ((unsigned char) *text))
        return -1;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno == ERANGE || *end || end == text || !isfinite (v))
        return -1;
    *value = v;
    return 0;
}

int
mf_parse_doubles (const char *text, char sep, double *values, int count)
{
    if (!text)
        return -1;
    char copy [512];
    if (strlen (text) >= sizeof copy)
        return -1;
    strcpy (copy, text);
    char *cursor = copy;
    for (int index = 0; index < count; index++) {
        char *next = strchr (cursor, sep);
        if (index < count - 1) {
            if (!next)
                return -1;
            *next = 0;
        }
        else
        if (next)
            return -1;          //  more fields than expected
        if (mf_parse_double (cursor, &values [index]))
            return -1;
        cursor = next? next + 1: NULL;
    }
    return 0;
}

int
mf_online_cpus (void)
{
    long n = sysconf (_SC_NPROCESSORS_ONLN);
    return n < 1? 1: (int) n;
}

void
mf_format_exact (double value, char *buffer, size_t size)
{
    snprintf (buffer, size, "%.17g", value);
}

int
mf_json_string (const char *text, char *buffer, size_t size)
{
    static const char hex [] = "0123456789abcdef";
    size_t len = 0;
    //  Each step writes at most 6 bytes; 2 more close the string.
    if (size < 3)
        return -1;
    buffer [len++] = '"';
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (len + 6 + 2 > size) {
            snprintf (buffer, size, "\"\"");
            return -1;
        }
        const char *named = *c == '"'? "\\\"": *c == '\\'? "\\\\": *c == '\n'? "\\n"
                          : *c == '\t'? "\\t": *c == '\r'? "\\r": NULL;
        if (named) {
            buffer [len++] = named [0];
            buffer [len++] = named [1];
        }
        else
        if (*c < 0x20 || *c >= 0x7f) {
            memcpy (buffer + len, "\\u00", 4);
            buffer [len + 4] = hex [*c >> 4];
            buffer [len + 5] = hex [*c & 15];
            len += 6;
        }
        else
            buffer [len++] = (char) *c;
    }
    buffer [len++] = '"';
    buffer [len] = 0;
    return 0;
}
