/*  mf_util: small helpers every program needs: clocks, strict number
    parsing for command lines, and machine facts.
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

//  Physical memory in bytes (0 if unknown).
uint64_t mf_physical_memory (void);

//  Formats a double with 17 significant digits, enough to read back the
//  same double; buffer must hold 32 bytes.
void mf_format_exact (double value, char *buffer, size_t size);

//  Sets *out to a * b. Returns 0, or -1 when the product overflows a size_t.
static inline int
mf_mul_size (size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow (a, b, out)? -1: 0;
}

#endif
