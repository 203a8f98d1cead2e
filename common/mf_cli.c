/*  mf_cli: see mf_cli.h. */
#include "mf_cli.h"
#include "mf_version.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

int
mf_cli_refuse (char *err, size_t errlen, const char *flag, const char *value,
               const char *allowed)
{
    snprintf (err, errlen, "%s: '%s' is not allowed; %s", flag, value, allowed);
    return -1;
}

int
mf_cli_getopt_error (int opt, char *const argv [], char *err, size_t errlen)
{
    if (opt == ':')
        snprintf (err, errlen, "%s needs a value; see --help", argv [optind - 1]);
    else
        snprintf (err, errlen, "unknown option '%s'; see --help", argv [optind - 1]);
    return -1;
}

int
mf_cli_unexpected (const char *arg, char *err, size_t errlen)
{
    snprintf (err, errlen, "unexpected argument '%s'; see --help", arg);
    return -1;
}

int
mf_cli_usage_error (const char *program, const char *format, ...)
{
    char line [1024];
    va_list args;
    va_start (args, format);
    vsnprintf (line, sizeof line, format, args);
    va_end (args);
    fprintf (stderr, "%s: %s\n", program, line);
    return MF_CLI_USAGE;
}

int
mf_cli_version (const char *program)
{
    printf ("%s %s\n", program, MF_VERSION);
    return 0;
}
