/*  mf_log: see mf_log.h. One write(2) per line so that lines of the master
    and its forked workers do not interleave mid-line.
*/
#include "mf_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 4096             //  bytes of the longest line, newline included:
                                        //  PIPE_BUF, so one write to a pipe stays whole

int mf_log_level = MF_LOG_INFO;
static char s_program [64] = "mandelfarm";

void
mf_log_init (const char *program)
{
    const char *slash = strrchr (program, '/');
    snprintf (s_program, sizeof s_program, "%s", slash? slash + 1: program);
}

//  Formats the text after a prefix already in line and writes the line.
static void
s_write (char *line, size_t size, int len, const char *format, va_list args)
{
    int more = vsnprintf (line + len, size - (size_t) len - 1, format, args);
    if (more < 0)
        more = 0;
    len += more;
    if (len > (int) size - 2)
        len = (int) size - 2;
    line [len++] = '\n';
    ssize_t rc = write (STDERR_FILENO, line, (size_t) len);
    (void) rc;   //  nowhere to report a failure to write to stderr
}

void
mf_log_write (mf_log_level_t level, const char *format, ...)
{
    static const char *names [] = { "error", "warning", "info", "debug" };
    char line [LINE_MAX_BYTES];
    int len = snprintf (line, sizeof line, "%s[%d]: %s: ",
                        s_program, (int) getpid (), names [level]);
    va_list args;
    va_start (args, format);
    s_write (line, sizeof line, len, format, args);
    va_end (args);
}

void
mf_say (const char *format, ...)
{
    char line [LINE_MAX_BYTES];
    int len = snprintf (line, sizeof line, "%s: ", s_program);
    va_list args;
    va_start (args, format);
    s_write (line, sizeof line, len, format, args);
    va_end (args);
}
