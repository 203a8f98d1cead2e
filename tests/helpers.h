/*  Test helpers: start and end real processes by pid, bounded in time;
    temporary directories; the endpoint a master bound; waiting on what a
    process writes (a log line, a checkpoint) rather than sleeping;
    skipped tests that say so; reading PNGs back.
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

//  No test picks a "free" port and hands it to a process to bind (another
//  process may take it in between): a master is given --listen
//  tcp://127.0.0.1:* and the port read back with th_master_endpoint, an
//  in-process engine the same listen endpoint and the port read back with
//  mf_engine_endpoint and th_endpoint_port.

//  Waits up to timeout msecs for the line "mandelfarm-master: listening
//  on ENDPOINT" in a master's log and copies ENDPOINT (the one it really
//  bound, the port chosen where --listen said "*") into endpoint. Returns
//  0, or -1 if no such line came in time or it does not fit in size.
int th_master_endpoint (const char *log, int timeout, char *endpoint, size_t size);

//  The port of a tcp:// endpoint, or -1.
int th_endpoint_port (const char *endpoint);

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

//  Whether two PNGs hold the same size and RGB pixels; says in why how
//  many pixels differ (or which file could not be read).
bool th_same_pixels (const char *a, const char *b, char *why, size_t size);

//  Runs mandelfarm-master with args (NULL-terminated, at most 46) in the
//  test's folder (where the viewer saves), to its end within timeout
//  msecs; its stdout and stderr go to out (NUL-terminated, size bytes).
//  Returns its status as th_wait.
int th_master_here (char *out, size_t size, char *const args [], int timeout);

//  The path of a program built next to the test programs (the test
//  worker, the test master), found next to the running one; the string
//  stays valid for the whole run.
const char *th_test_program (const char *name);

//  Starts a mandelfarm-worker connected to endpoint with threads compute
//  threads, quiet, plus extra arguments (NULL-terminated list, may be
//  NULL): the test worker built next to the tests when one of them is a
//  --test-* flag, which the release worker refuses. Returns its pid.
pid_t th_worker (const char *endpoint, const char *threads, char *const extra []);

//  Ends a process started by the test: SIGCONT, SIGTERM, then SIGKILL
//  after 5 s.
void th_stop (pid_t pid);

//  Ends count processes as th_stop does, all at once: a worker gives its
//  BYE half a second to reach a master that welcomed it, and those
//  halves need not add up.
void th_stop_all (const pid_t pids [], size_t count);

//  Waits up to timeout msecs for text to appear in a file. Returns 1 or 0.
int th_wait_for_text (const char *path, const char *text, int timeout);

//  How many times text occurs in a file (0 if it cannot be read).
int th_count_text (const char *path, const char *text);

//  Waits up to timeout msecs for text to occur at least count times in a
//  file. Returns 1 or 0.
int th_wait_for_count (const char *path, const char *text, int count, int timeout);

//  Tiles a master's --checkpoint journal records as done (a torn last
//  record not counted): the render's progress as a test can watch it. 0
//  when there is no journal (yet, or any more: a complete render removes it).
int th_journal_tiles (const char *path);

//  A counter ("name": value) from a JSON file such as --stats writes, or
//  -1 if absent.
long long th_json_counter (const char *path, const char *name);

//  CPU time (user + system, clock ticks) a process has used, or -1.
long th_cpu_ticks (pid_t pid);

#include <check.h>

//  For a test that cannot run here (not root, no nft, ...): prints
//  "SKIPPED: TEST: why" and records the skip, which th_run_suite counts
//  and reports. The caller then returns; a skip never passes silently.
void th_skip (const char *why);

//  Runs a suite, printing Check's summary and the tests skipped. Where
//  MF_TEST_TALLY names a file (make check sets it), appends to it one line
//  "suite NAME TESTS FAILED SKIPPED" and one "skip NAME TEST: why" per
//  skip. Returns the exit status.
int th_run_suite (Suite *suite);

#endif
