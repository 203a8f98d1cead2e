/*  mf_log: the one logging module of every mandelfarm program.

    Log messages go to stderr as "program[pid]: level: text". The macros
    check the level before formatting, so a disabled debug line costs a
    compare.

    What a command-line user asked for (a refusal, what was written, the
    summary) is not a log line: mf_say writes it as "program: text",
    the voice of cp or git, whatever the level. The caller decides
    whether --quiet silences it.
*/
#ifndef MF_LOG_H
#define MF_LOG_H

typedef enum {
    MF_LOG_ERROR = 0,
    MF_LOG_WARN = 1,
    MF_LOG_INFO = 2,
    MF_LOG_DEBUG = 3
} mf_log_level_t;

extern int mf_log_level;   //  messages above this level are not formatted

//  Sets the program name shown in every line (the string is copied).
void mf_log_init (const char *program);

//  Formats and writes one line; use the macros below instead.
void mf_log_write (mf_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Writes "program: text" as one line, whatever the level.
void mf_say (const char *format, ...)
    __attribute__ ((format (printf, 1, 2)));

#define mf_log(level, ...) \
    do { if ((level) <= mf_log_level) mf_log_write ((level), __VA_ARGS__); } while (0)
#define mf_error(...) mf_log (MF_LOG_ERROR, __VA_ARGS__)
#define mf_warn(...)  mf_log (MF_LOG_WARN, __VA_ARGS__)
#define mf_info(...)  mf_log (MF_LOG_INFO, __VA_ARGS__)
#define mf_debug(...) mf_log (MF_LOG_DEBUG, __VA_ARGS__)

#endif
