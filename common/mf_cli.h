/*  mf_cli: the command-line boilerplate the programs share. A refusal is
    one line, "program: what is wrong; what is allowed", on stderr, and
    exit status 2; the option parsers write the line into an error buffer
    (0 / -1 returns) and main prints it. getopt's own refusals (a missing
    value, an unknown option, a stray argument) read the same in every
    program, and so does --version.
*/
#ifndef MF_CLI_H
#define MF_CLI_H

#include <stddef.h>

#define MF_CLI_USAGE 2                  //  exit status of a usage error

//  Writes "FLAG: 'VALUE' is not allowed; ALLOWED" into err. Returns -1.
int mf_cli_refuse (char *err, size_t errlen, const char *flag, const char *value,
                   const char *allowed);

//  Writes getopt_long's refusal of argv [optind - 1] into err: a missing
//  value when opt is ':' (the optstring must start with ':'), else an
//  unknown option. Returns -1.
int mf_cli_getopt_error (int opt, char *const argv [], char *err, size_t errlen);

//  Writes the refusal of a stray argument into err. Returns -1.
int mf_cli_unexpected (const char *arg, char *err, size_t errlen);

//  Prints "PROGRAM: TEXT" (printf format) as one line on stderr. Returns
//  MF_CLI_USAGE, for main to return.
int mf_cli_usage_error (const char *program, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Prints "PROGRAM VERSION" on stdout, for --version. Returns 0.
int mf_cli_version (const char *program);

#endif
