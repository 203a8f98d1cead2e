/*  Test helpers: see helpers.h. */
#include "helpers.h"
#include "journal.h"
#include "mf_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <png.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
th_bin (const char *program)
{
    //  One stable buffer per program name: a path handed out stays valid.
    static char names [8][64], paths [8][512];
    const char *dir = getenv ("MF_BIN");
    for (int index = 0; index < 8; index++) {
        if (!names [index][0]) {
            snprintf (names [index], sizeof names [index], "%s", program);
            snprintf (paths [index], sizeof paths [index], "%s/%s", dir? dir: "bin", program);
        }
        if (strcmp (names [index], program) == 0)
            return paths [index];
    }
    abort ();               //  more than 8 programs: a bug in the tests
}

char *
th_tmpdir (void)
{
    //  Named after the suite's runner, so that the runner can remove what
    //  a test that failed before its teardown left (see th_run_suite).
    const char *runner = getenv ("MF_TEST_RUNNER");
    char name [64];
    snprintf (name, sizeof name, "/tmp/mf-test-%s-XXXXXX", runner? runner: "0");
    char *path = strdup (name);
    if (!path || !mkdtemp (path)) {
        free (path);
        return NULL;
    }
    return path;
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path) == 0 || errno == ENOENT? 0: -1;
}

void
th_rmdir (const char *path)
{
    if (!path || strncmp (path, "/tmp/mf-test-", 13))
        return;             //  only ever remove what th_tmpdir made
    //  Depth first, without following links: files, then the folders.
    nftw (path, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

char *th_dir = NULL;

void
th_dir_setup (void)
{
    th_dir = th_tmpdir ();
    ck_assert_ptr_nonnull (th_dir);
}

void
th_dir_teardown (void)
{
    th_rmdir (th_dir);
    free (th_dir);
    th_dir = NULL;
}

char *
th_path (const char *name)
{
    size_t size = strlen (th_dir) + strlen (name) + 2;
    char *path = malloc (size);
    ck_assert_ptr_nonnull (path);
    snprintf (path, size, "%s/%s", th_dir, name);
    return path;
}

pid_t
th_spawn (char *const argv [], const char *log)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log? log: "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        if (null >= 0)
            dup2 (null, 0);
        //  A new process group: signals to the test never reach it by accident.
        setpgid (0, 0);
        //  It dies with the test, even one that fails before its cleanup
        //  (the setting survives exec).
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () == 1)
            _exit (127);
        execv (argv [0], argv);
        _exit (127);
    }
    return pid;
}

int
th_wait (pid_t pid, int timeout)
{
    int64_t deadline = mf_clock_ms () + timeout;
    while (true) {
        int status;
        pid_t rc = waitpid (pid, &status, WNOHANG);
        if (rc == pid)
            return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
        if (rc < 0)
            return -1;
        if (mf_clock_ms () > deadline) {
            th_kill (pid);
            return -1;
        }
        usleep (5000);
    }
}

void
th_kill (pid_t pid)
{
    if (pid > 0) {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
    }
}

int
th_run (char *const argv [], int timeout, char *output, size_t size)
{
    char log [] = "/tmp/mf-test-log-XXXXXX";
    int fd = mkstemp (log);
    if (fd < 0)
        return -1;
    close (fd);
    int rc = th_wait (th_spawn (argv, log), timeout);
    if (output && size) {
        FILE *file = fopen (log, "r");
        size_t got = file? fread (output, 1, size - 1, file): 0;
        output [got] = 0;
        if (file)
            fclose (file);
    }
    unlink (log);
    return rc;
}

int
th_master_endpoint (const char *log, int timeout, char *endpoint, size_t size)
{
    //  "mandelfarm-master: listening on ..." or "mandelfarm-viewer: ...".
    const char *mark = ": listening on ";
    int64_t deadline = mf_clock_ms () + timeout;
    while (true) {
        size_t got;
        char *text = (char *) th_slurp (log, &got);
        char *at = text? memmem (text, got, mark, strlen (mark)): NULL;
        if (at)
            at += strlen (mark);
        //  The whole line: the master may still be writing it.
        char *end = at? memchr (at, '\n', got - (size_t) (at - text)): NULL;
        if (end) {
            size_t len = (size_t) (end - at);
            int rc = len < size? 0: -1;
            if (rc == 0) {
                memcpy (endpoint, at, len);
                endpoint [len] = 0;
            }
            free (text);
            return rc;
        }
        free (text);
        if (mf_clock_ms () > deadline)
            return -1;
        usleep (10 * 1000);
    }
}

int
th_endpoint_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    if (strncmp (endpoint, "tcp://", 6) || !colon)
        return -1;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    return *end == 0 && port > 0 && port < 65536? (int) port: -1;
}

uint8_t *
th_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    fseek (file, 0, SEEK_END);
    long len = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = malloc (len > 0? (size_t) len: 1);
    if (data && fread (data, 1, (size_t) len, file) != (size_t) len) {
        free (data);
        data = NULL;
    }
    fclose (file);
    if (data)
        *size = (size_t) len;
    return data;
}

bool
th_same_file (const char *a, const char *b)
{
    size_t size_a, size_b;
    uint8_t *data_a = th_slurp (a, &size_a);
    uint8_t *data_b = th_slurp (b, &size_b);
    bool same = data_a && data_b && size_a == size_b && memcmp (data_a, data_b, size_a) == 0;
    free (data_a);
    free (data_b);
    return same;
}

bool
th_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

int
th_count_entries (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return -1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (dir)))
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            count++;
    closedir (dir);
    return count;
}

int
th_png_read (const char *path, uint32_t *w, uint32_t *h, uint8_t **rgb,
             const char *key, char *value, size_t size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return -1;
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct (png): NULL;
    //  Assigned after setjmp, so volatile: they must survive a longjmp.
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info || setjmp (png_jmpbuf (png))) {
        png_destroy_read_struct (&png, &info, NULL);
        free (pixels);
        free (rows);
        fclose (file);
        return -1;
    }
    png_init_io (png, file);
    png_read_info (png, info);
    if (png_get_color_type (png, info) != PNG_COLOR_TYPE_RGB
    ||  png_get_bit_depth (png, info) != 8)
        png_error (png, "not 8-bit RGB");
    *w = png_get_image_width (png, info);
    *h = png_get_image_height (png, info);
    pixels = malloc ((size_t) *w * *h * 3);
    rows = malloc (*h * sizeof *rows);
    if (!pixels || !rows)
        png_error (png, "out of memory");
    for (uint32_t row = 0; row < *h; row++)
        rows [row] = pixels + (size_t) row * *w * 3;
    png_read_image (png, rows);
    png_read_end (png, info);
    if (value && size) {
        value [0] = 0;
        png_textp text;
        int count = 0;
        png_get_text (png, info, &text, &count);
        for (int index = 0; index < count; index++)
            if (key && strcmp (text [index].key, key) == 0)
                snprintf (value, size, "%s", text [index].text);
    }
    png_destroy_read_struct (&png, &info, NULL);
    free (rows);
    fclose (file);
    *rgb = pixels;
    return 0;
}

const char *
th_test_program (const char *name)
{
    static char paths [4][600];
    static int used;
    char self [512];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        abort ();           //  no /proc: nothing else would work either
    self [len] = 0;
    char *slash = strrchr (self, '/');
    *slash = 0;
    char path [600];
    snprintf (path, sizeof path, "%s/%s", self, name);
    for (int index = 0; index < used; index++)
        if (strcmp (paths [index], path) == 0)
            return paths [index];
    if (used == 4)
        abort ();           //  a few test programs at most
    snprintf (paths [used], sizeof paths [used], "%s", path);
    return paths [used++];
}

//  The test worker (the Makefile's FAULTY_WORKER), which has the
//  --test-* flags the release worker refuses.
static const char *
s_faulty_worker (void)
{
    return th_test_program ("mandelfarm-worker-faulty");
}

pid_t
th_worker (const char *endpoint, const char *threads, char *const extra [])
{
    char *argv [32] = { (char *) th_bin ("mandelfarm-worker"), "--connect", (char *) endpoint,
                        "--threads", (char *) threads, "--quiet" };
    int argc = 6;
    for (int index = 0; extra && extra [index] && argc < 31; index++) {
        if (strncmp (extra [index], "--test-", 7) == 0)
            argv [0] = (char *) s_faulty_worker ();
        argv [argc++] = extra [index];
    }
    argv [argc] = NULL;
    return th_spawn (argv, NULL);
}

void
th_stop (pid_t pid)
{
    th_stop_all (&pid, 1);
}

void
th_stop_all (const pid_t pids [], size_t count)
{
    for (size_t index = 0; index < count; index++)
        if (pids [index] > 0) {
            kill (pids [index], SIGCONT);
            kill (pids [index], SIGTERM);
        }
    int64_t deadline = mf_clock_ms () + 5000;
    for (size_t index = 0; index < count; index++) {
        int64_t left = deadline - mf_clock_ms ();
        if (pids [index] > 0 && th_wait (pids [index], left > 0? (int) left: 0) < 0)
            th_kill (pids [index]);
    }
}

int
th_wait_for_text (const char *path, const char *text, int timeout)
{
    return th_wait_for_count (path, text, 1, timeout);
}

int
th_count_text (const char *path, const char *text)
{
    size_t size, len = strlen (text);
    char *data = (char *) th_slurp (path, &size);
    int count = 0;
    for (char *at = data; at && len; at += len) {
        at = memmem (at, size - (size_t) (at - data), text, len);
        if (!at)
            break;
        count++;
    }
    free (data);
    return count;
}

int
th_wait_for_count (const char *path, const char *text, int count, int timeout)
{
    int64_t deadline = mf_clock_ms () + timeout;
    while (th_count_text (path, text) < count) {
        if (mf_clock_ms () > deadline)
            return 0;
        usleep (10 * 1000);
    }
    return 1;
}

int
th_journal_tiles (const char *path)
{
    size_t size;
    uint8_t *data = th_slurp (path, &size);
    int tiles = 0;
    //  The master's own decoder: a torn or half-written record ends the count.
    mf_journal_record_t record;
    size_t at = MF_JOURNAL_HEADER, used;
    while (data && at < size && (used = mf_journal_decode (data + at, size - at, &record))) {
        tiles += record.type == MF_JOURNAL_DONE;
        at += used;
    }
    free (data);
    return tiles;
}

long long
th_json_counter (const char *path, const char *name)
{
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    if (!text)
        return -1;
    char key [64];
    snprintf (key, sizeof key, "\"%s\": ", name);
    char *at = memmem (text, size, key, strlen (key));
    long long value = at? strtoll (at + strlen (key), NULL, 10): -1;
    free (text);
    return value;
}

long
th_cpu_ticks (pid_t pid)
{
    char path [64], text [1024];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = 0;
    //  The fields after the command name, which ends with the last ')'.
    char *cursor = strrchr (text, ')');
    long utime = 0, stime = 0;
    if (!cursor || sscanf (cursor + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
                           &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

//  The file where the tests of this runner record their skips (Check
//  runs each test in a child process of its own).
static void
s_skip_file (char *path, size_t size)
{
    const char *runner = getenv ("MF_TEST_RUNNER");
    snprintf (path, size, "/tmp/mf-test-%s-skipped", runner? runner: "0");
}

void
th_skip (const char *why)
{
    const char *test = tcase_name ();
    fprintf (stderr, "SKIPPED: %s: %s\n", test, why);
    char path [64];
    s_skip_file (path, sizeof path);
    FILE *file = fopen (path, "a");
    if (file) {
        fprintf (file, "%s: %s\n", test, why);
        fclose (file);
    }
}

//  Reports the skips recorded by this runner's tests, on stdout and in
//  the tally.
static void
s_report_skips (const char *suite, int tests, int failed)
{
    char path [64];
    s_skip_file (path, sizeof path);
    size_t size = 0;
    char *text = (char *) th_slurp (path, &size);
    int skipped = 0;
    for (size_t index = 0; text && index < size; index++)
        skipped += text [index] == '\n';
    if (skipped)
        printf ("%s: %d of %d tests SKIPPED:\n", suite, skipped, tests);
    const char *tally = getenv ("MF_TEST_TALLY");
    FILE *file = tally? fopen (tally, "a"): NULL;
    if (file)
        fprintf (file, "suite %s %d %d %d\n", suite, tests, failed, skipped);
    for (char *line = text; line && line < text + size; ) {
        char *end = memchr (line, '\n', size - (size_t) (line - text));
        if (!end)
            break;
        printf ("  %.*s\n", (int) (end - line), line);
        if (file)
            fprintf (file, "skip %s %.*s\n", suite, (int) (end - line), line);
        line = end + 1;
    }
    if (file)
        fclose (file);
    free (text);
    unlink (path);
}

int
th_run_suite (Suite *suite)
{
    char pid [32];
    snprintf (pid, sizeof pid, "%d", (int) getpid ());
    setenv ("MF_TEST_RUNNER", pid, 1);
    SRunner *runner = srunner_create (suite);
    srunner_run_all (runner, CK_NORMAL);
    int failed = srunner_ntests_failed (runner);
    int tests = srunner_ntests_run (runner);
    srunner_free (runner);
    s_report_skips (program_invocation_short_name, tests, failed);
    //  A test that fails ends at once (Check forks each one), before its
    //  teardown: its folders are removed here, by the name th_tmpdir gave.
    char pattern [64];
    snprintf (pattern, sizeof pattern, "/tmp/mf-test-%s-", pid);
    DIR *tmp = opendir ("/tmp");
    if (tmp) {
        struct dirent *entry;
        while ((entry = readdir (tmp))) {
            char path [300];
            snprintf (path, sizeof path, "/tmp/%s", entry->d_name);
            if (strncmp (path, pattern, strlen (pattern)) == 0)
                th_rmdir (path);
        }
        closedir (tmp);
    }
    return failed? 1: 0;
}

bool
th_same_pixels (const char *a, const char *b, char *why, size_t size)
{
    uint32_t wa, ha, wb, hb;
    uint8_t *pa = NULL, *pb = NULL;
    if (th_png_read (a, &wa, &ha, &pa, NULL, NULL, 0)
    ||  th_png_read (b, &wb, &hb, &pb, NULL, NULL, 0)) {
        snprintf (why, size, "cannot read %s or %s", a, b);
        free (pa);
        return false;
    }
    bool same = wa == wb && ha == hb;
    size_t differ = 0;
    for (size_t index = 0; same && index < (size_t) wa * ha; index++)
        differ += memcmp (pa + 3 * index, pb + 3 * index, 3) != 0;
    snprintf (why, size, "%s is %ux%u, %s is %ux%u, %zu pixels differ", a, wa, ha, b, wb, hb,
              differ);
    free (pa);
    free (pb);
    return same && differ == 0;
}

#define HERE_MAX_ARGS 48                //  arguments of th_master_here's command line

int
th_master_here (char *out, size_t size, char *const args [], int timeout)
{
    char *argv [HERE_MAX_ARGS] = { (char *) th_bin ("mandelfarm-master") };
    int argc = 1;
    for (int index = 0; args [index] && argc < HERE_MAX_ARGS - 1; index++)
        argv [argc++] = args [index];
    argv [argc] = NULL;
    char *log = th_path ("master.log");
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || chdir (th_dir))
            _exit (127);
        dup2 (fd, 1);
        dup2 (fd, 2);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        setpgid (0, 0);
        execv (argv [0], argv);
        _exit (127);
    }
    int rc = th_wait (pid, timeout);
    size_t got = 0;
    uint8_t *data = th_slurp (log, &got);
    got = got < size - 1? got: size - 1;
    if (data)
        memcpy (out, data, got);
    out [data? got: 0] = 0;
    free (data);
    unlink (log);
    free (log);
    return rc;
}
