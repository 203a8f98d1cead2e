/*  mf_util: small helpers every program needs: clocks, strict number
    parsing for command lines, checked size arithmetic, exact number
    formatting and JSON strings. Calls that differ between systems live
    in mf_sys.
*/
#ifndef MF_UTIL_H
#define MF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Monotonic clock in milliseconds and microseconds.
int64_t mf_clock_ms (void);
int64_t mf_clock_us (void);

//  Parses a whole string as a decimal integer in [min, max]. Returns 0, or
//  -1 when the string is empty, has trailing characters or is out of range.
int mf_parse_long (const char *text, long min, long max, long *value);

//  Parses a whole string as a finite double. Returns 0 or -1.
int mf_parse_double (const char *text, double *value);

//  Parses "A<sep>B<sep>..." into exactly count finite doubles. Returns 0 or -1.
int mf_parse_doubles (const char *text, char sep, double *values, int count);

//  Number of online CPUs, at least 1.
int mf_online_cpus (void);

//  Formats a double with 17 significant digits, enough to read back the
//  same double; buffer must hold 32 bytes.
void mf_format_exact (double value, char *buffer, size_t size);

//  Multiplies two sizes. Returns 0 with the product in *out, or -1 when
//  it does not fit in a size_t (*out untouched).
static inline int
mf_mul_size (size_t a, size_t b, size_t *out)
{
    size_t product;
    if (__builtin_mul_overflow (a, b, &product))
        return -1;
    *out = product;
    return 0;
}

//  Writes text as a JSON string, quotes included, into buffer: '"' and
//  '\\' escaped, control characters as \n, \t, \r or \u00XX, and every
//  byte outside printable ASCII as \u00XX (its Latin-1 character), so the
//  result is valid JSON whatever bytes text holds. Returns 0, or -1 when
//  buffer is too small (it then holds "" if it has room for that).
int mf_json_string (const char *text, char *buffer, size_t size);

#endif
