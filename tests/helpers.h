/*  Test helpers: start and end real processes by pid, bounded in time;
    temporary directories; free loopback ports; reading PNGs back.
*/
#ifndef MF_TEST_HELPERS_H
#define MF_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

//  Path of a program in bin/ (MF_BIN set by the Makefile, else ./bin); the
//  string stays valid for the whole run.
const char *th_bin (const char *program);

//  Creates a fresh temporary directory; returns its path (static buffer
//  per call is not kept: the caller frees).
char *th_tmpdir (void);

//  Removes a directory tree made by th_tmpdir.
void th_rmdir (const char *path);

//  Each test's own temporary folder, as a Check fixture: th_dir_setup
//  makes it (th_dir is its path), th_dir_teardown removes it; th_path
//  gives a path inside it (caller frees).
extern char *th_dir;
void th_dir_setup (void);
void th_dir_teardown (void);
char *th_path (const char *name);

//  Starts argv (NULL-terminated) with stdout and stderr appended to log
//  (or /dev/null when log is NULL). Returns its pid. The process is killed
//  if the test process dies first, so a failed test leaves nothing behind.
pid_t th_spawn (char *const argv [], const char *log);

//  Waits up to timeout msecs for pid to exit. Returns its exit status,
//  128 + signal if killed by one, or -1 on timeout (it is then killed).
int th_wait (pid_t pid, int timeout);

//  Sends SIGKILL to pid and reaps it.
void th_kill (pid_t pid);

//  Runs argv to completion within timeout msecs, stderr and stdout into
//  output (NUL-terminated, truncated to size). Returns as th_wait.
int th_run (char *const argv [], int timeout, char *output, size_t size);

//  A TCP port on 127.0.0.1 that was free a moment ago.
int th_free_port (void);

//  Whether two files exist and have the same bytes.
bool th_same_file (const char *a, const char *b);

//  Whether a path exists.
bool th_exists (const char *path);

//  Number of entries in a directory (excluding . and ..).
int th_count_entries (const char *dir);

//  Reads an 8-bit RGB PNG: size, pixels (caller frees) and the value of
//  the tEXt key (or empty) into value. Returns 0 or -1.
int th_png_read (const char *path, uint32_t *w, uint32_t *h, uint8_t **rgb,
                 const char *key, char *value, size_t size);

//  Reads a whole file into memory (caller frees). Returns NULL on failure.
uint8_t *th_slurp (const char *path, size_t *size);

//  Starts a mandelfarm-worker connected to endpoint with threads compute
//  threads, quiet, plus extra arguments (NULL-terminated list, may be
//  NULL): the test worker built next to the tests when one of them is a
//  --test-* flag, which the release worker refuses. Returns its pid.
pid_t th_worker (const char *endpoint, const char *threads, char *const extra []);

//  Ends a process started by the test: SIGCONT, SIGTERM, then SIGKILL
//  after 5 s.
void th_stop (pid_t pid);

//  Waits up to timeout msecs for text to appear in a file. Returns 1 or 0.
int th_wait_for_text (const char *path, const char *text, int timeout);

//  A counter ("name": value) from a JSON file such as --stats writes, or
//  -1 if absent.
long long th_json_counter (const char *path, const char *name);

//  CPU time (user + system, clock ticks) a process has used, or -1.
long th_cpu_ticks (pid_t pid);

#include <check.h>

//  Runs a suite, printing Check's summary. Returns the exit status.
int th_run_suite (Suite *suite);

#endif
