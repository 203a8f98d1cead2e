/*  The master against clumsy users and strangers (issue 13), end to end
    with the real mandelfarm-master: outputs that are one file under two
    names, or not files at all, are refused with status 2 and nothing is
    created, changed or destroyed; a 255-byte output name works; a
    symbolic link is written through; --listen ipc:// never deletes what
    its path names and removes the socket it made; a master whose
    descriptors strangers took still writes its image and stats; the
    --stats JSON stays valid whatever a peer calls itself; a huge junk
    file in --allow is not read. Loopback and ipc:// only; every process
    started is ended by its pid.
*/
#include "helpers.h"
#include "mf_curve.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define RUN_MS 60000                    //  msecs a master may take at most
#define WAIT_MS 10000                   //  msecs to wait for an event
#define FD_LIMIT 64                     //  open files of the starved master, soft and hard
#define FLOOD (FD_LIMIT + 32)           //  idle connections that starve it
#define RSS_MAX_KB (100 * 1024)         //  KiB: the master without the junk needs ~10 MB
#define JUNK_BYTES (300u << 20)         //  bytes of the sparse junk file in --allow
#define TINY "--size", "48x32", "--tile", "16", "--iter", "50", "-j", "1", "-q"

//  --- running the master -------------------------------------------------

//  Starts argv with stdout and stderr to log, and, if limit > 0, with
//  RLIMIT_NOFILE soft = limit and hard = hard (set in the child before
//  exec). Dies with the test. Returns the pid.
static pid_t
s_spawn (char *const argv [], const char *log, rlim_t limit, rlim_t hard)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        int null = open ("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
        }
        if (null >= 0)
            dup2 (null, 0);
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        if (getppid () == 1)
            _exit (127);
        if (limit > 0) {
            struct rlimit rl = { limit, hard };
            if (setrlimit (RLIMIT_NOFILE, &rl))
                _exit (126);
        }
        //  Nothing of the test's but stdio may reach the master.
        for (int other = 3; other < 1024; other++)
            close (other);
        execv (argv [0], argv);
        _exit (127);
    }
    return pid;
}

//  Waits up to timeout msecs for pid. Returns its exit status (128 +
//  signal if killed), or -1 on timeout (it is then killed); with rss,
//  its peak resident memory in KiB.
static int
s_wait (pid_t pid, int timeout, long *rss)
{
    int64_t deadline = mf_clock_ms () + timeout;
    while (true) {
        int status;
        struct rusage usage;
        pid_t rc = wait4 (pid, &status, WNOHANG, &usage);
        if (rc == pid) {
            if (rss)
                *rss = usage.ru_maxrss;
            return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
        }
        if (rc < 0 || mf_clock_ms () > deadline) {
            th_kill (pid);
            return -1;
        }
        usleep (5000);
    }
}

//  The exit status of pid if it has ended (128 + signal if killed by
//  one), or -1 if it has not yet.
static int
s_exited (pid_t pid)
{
    int status;
    if (waitpid (pid, &status, WNOHANG) != pid)
        return -1;
    return WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
}

//  Starts argv, a master told to --listen on ANY_PORT, as s_spawn with
//  soft and hard limit both limit (0: unchanged), and reads back the
//  endpoint it bound from its log. Returns the pid.
#define ANY_PORT "tcp://127.0.0.1:*"

static pid_t
s_spawn_listening (char *const argv [], const char *log, rlim_t limit, char *endpoint,
                   size_t size)
{
    pid_t pid = s_spawn (argv, log, limit, limit);
    ck_assert_msg (th_master_endpoint (log, WAIT_MS, endpoint, size) == 0,
                   "the master did not say where it listens");
    return pid;
}

//  Runs the master with argv (after the program), output into out.
//  Returns as s_wait.
#define MASTER(...) ((char *[]) { (char *) th_bin ("mandelfarm-master"), __VA_ARGS__, NULL })

static int
s_master (char *const argv [], char *out, size_t size)
{
    return th_run (argv, RUN_MS, out, size);
}

static char *
s_file (const char *name)
{
    static char paths [8][700];
    static int next = 0;
    char *path = paths [next++ % 8];
    snprintf (path, sizeof paths [0], "%s/%s", th_dir, name);
    return path;
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    chmod (path, mode);
}

//  The names in th_dir, sorted and joined, to see that nothing changed.
static void
s_listing (char *out, size_t size)
{
    char names [64][300];
    int count = 0;
    DIR *dir = opendir (th_dir);
    ck_assert_ptr_nonnull (dir);
    struct dirent *entry;
    while ((entry = readdir (dir)) && count < 64)
        if (strcmp (entry->d_name, ".") && strcmp (entry->d_name, ".."))
            snprintf (names [count++], sizeof names [0], "%s", entry->d_name);
    closedir (dir);
    qsort (names, (size_t) count, sizeof names [0], (int (*) (const void *, const void *)) strcmp);
    out [0] = 0;
    for (int index = 0; index < count; index++) {
        strncat (out, names [index], size - strlen (out) - 2);
        strncat (out, "/", size - strlen (out) - 1);
    }
}

//  Runs a master that must refuse with status 2 and one line holding
//  both words, changing nothing in th_dir.
static void
s_refused (char *const argv [], const char *word, const char *other)
{
    char before [4096], after [4096], out [4096];
    s_listing (before, sizeof before);
    int rc = s_master (argv, out, sizeof out);
    s_listing (after, sizeof after);
    ck_assert_msg (rc == 2, "status %d, not 2: %s", rc, out);
    ck_assert_msg (strstr (out, word) && strstr (out, other), "'%s' lacks '%s' or '%s'",
                   out, word, other);
    ck_assert_msg (strchr (out, '\n') == out + strlen (out) - 1, "not one line: %s", out);
    ck_assert_msg (strcmp (before, after) == 0, "the folder changed: '%s' became '%s'",
                   before, after);
}

//  --- outputs -------------------------------------------------------------

START_TEST (aliases_refused)
{
    //  The same file under two spellings: each pair refused, nothing made.
    char png [700], png2 [700], npy [700], npy2 [700];
    snprintf (png, sizeof png, "%s", s_file ("o.png"));
    snprintf (png2, sizeof png2, "%s/./o.png", th_dir);
    snprintf (npy, sizeof npy, "%s", s_file ("r.npy"));
    snprintf (npy2, sizeof npy2, "%s/../%s/r.npy", th_dir, strrchr (th_dir, '/') + 1);
    s_refused (MASTER (TINY, "-o", png, "--checkpoint", png2), "--checkpoint", "-o");
    s_refused (MASTER (TINY, "--stats", png2, "-o", png), "--stats", "-o");
    s_refused (MASTER (TINY, "-o", png, "--raw", png2), "--raw", "-o");
    s_refused (MASTER (TINY, "-o", png, "--raw", npy, "--checkpoint", npy2),
               "--checkpoint", "--raw");
    //  Existing files: a hard link and a symbolic link are the same file;
    //  both stay as they were.
    s_write (png, "old image", 0644);
    ck_assert_int_eq (link (png, s_file ("hard.png")), 0);
    ck_assert_int_eq (symlink ("o.png", s_file ("soft.npy")), 0);
    s_refused (MASTER (TINY, "-o", png, "--raw", s_file ("hard.png")), "--raw", "same file");
    s_refused (MASTER (TINY, "-o", png, "--stats", s_file ("soft.npy")), "--stats", "same file");
    size_t size;
    char *text = (char *) th_slurp (png, &size);
    ck_assert (text && size == 9 && memcmp (text, "old image", 9) == 0);
    free (text);
}
END_TEST

START_TEST (fifo_refused)
{
    //  A FIFO named as any output is refused, and stays a FIFO.
    char *fifo = s_file ("pipe");
    ck_assert_int_eq (mkfifo (fifo, 0644), 0);
    char *png = s_file ("o.png");
    s_refused (MASTER (TINY, "-o", fifo), "-o", "FIFO");
    s_refused (MASTER (TINY, "-o", png, "--raw", fifo), "--raw", "FIFO");
    s_refused (MASTER (TINY, "-o", png, "--stats", fifo), "--stats", "FIFO");
    s_refused (MASTER (TINY, "-o", png, "--checkpoint", fifo), "--checkpoint", "FIFO");
    //  A directory as well.
    ck_assert_int_eq (mkdir (s_file ("dir"), 0755), 0);
    s_refused (MASTER (TINY, "-o", s_file ("dir")), "-o", "directory");
    struct stat st;
    ck_assert_int_eq (lstat (fifo, &st), 0);
    ck_assert (S_ISFIFO (st.st_mode));
}
END_TEST

START_TEST (device_refused)
{
    //  A character device like /dev/null (our own, made here: the real
    //  one is never touched) is refused and left as it is.
    char *null = s_file ("null");
    if (mknod (null, S_IFCHR | 0666, makedev (1, 3))) {
        char why [160];
        snprintf (why, sizeof why, "cannot make a device node here (%s; needs root)",
                  strerror (errno));
        th_skip (why);
        return;
    }
    char *png = s_file ("o.png");
    s_refused (MASTER (TINY, "-o", null), "-o", "character device");
    s_refused (MASTER (TINY, "-o", png, "--checkpoint", null), "--checkpoint",
               "character device");
    s_refused (MASTER (TINY, "-o", png, "--raw", null), "--raw", "character device");
    struct stat st;
    ck_assert_int_eq (lstat (null, &st), 0);
    ck_assert (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
}
END_TEST

START_TEST (longest_name_works)
{
    //  255 bytes, the most a name may have: the temporary name is short.
    char name [256];
    memset (name, 'a', 251);
    memcpy (name + 251, ".png", 5);
    char *png = s_file (name);
    char out [4096];
    int rc = s_master (MASTER (TINY, "-o", png), out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, NULL, NULL, 0), 0);
    ck_assert (w == 48 && h == 32);
    free (rgb);
    ck_assert_int_eq (th_count_entries (th_dir), 1);
}
END_TEST

START_TEST (symlink_written_through)
{
    //  As git does with its lock files: the link stays, its file changes.
    ck_assert_int_eq (mkdir (s_file ("real"), 0755), 0);
    s_write (s_file ("real/image.png"), "old", 0644);
    ck_assert_int_eq (symlink ("real/image.png", s_file ("link.png")), 0);
    //  A dangling link makes its file.
    ck_assert_int_eq (symlink ("real/new.npy", s_file ("link.npy")), 0);
    char out [4096];
    int rc = s_master (MASTER (TINY, "-o", s_file ("link.png"), "--raw", s_file ("link.npy")),
                       out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    struct stat st;
    ck_assert_int_eq (lstat (s_file ("link.png"), &st), 0);
    ck_assert_msg (S_ISLNK (st.st_mode), "the link was replaced by a file");
    ck_assert_int_eq (lstat (s_file ("link.npy"), &st), 0);
    ck_assert (S_ISLNK (st.st_mode));
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (s_file ("real/image.png"), &w, &h, &rgb, NULL, NULL, 0), 0);
    free (rgb);
    ck_assert (th_exists (s_file ("real/new.npy")));
    ck_assert_int_eq (th_count_entries (s_file ("real")), 2);
    //  A journal through a link is refused: removing it at the end would
    //  remove the link and keep the journal.
    s_refused (MASTER (TINY, "-o", s_file ("x.png"), "--checkpoint", s_file ("link.png")),
               "--checkpoint", "symbolic link");
}
END_TEST

//  --- ipc:// --------------------------------------------------------------

//  A Unix socket bound at path; listening if listen, else closed at once
//  (a stale socket file). Returns the fd of a listening one, or -1.
static int
s_unix_socket (const char *path, bool listening)
{
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    ck_assert_uint_lt (strlen (path), sizeof address.sun_path);
    strcpy (address.sun_path, path);
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    if (!listening) {
        close (fd);
        return -1;
    }
    ck_assert_int_eq (listen (fd, 4), 0);
    return fd;
}

START_TEST (ipc_path_guarded)
{
    //  th_dir is short: a socket's name has room for 107 bytes.
    char file [700], live [700], stale [700], endpoint [720];
    snprintf (file, sizeof file, "%s", s_file ("file"));
    snprintf (live, sizeof live, "%s", s_file ("live"));
    snprintf (stale, sizeof stale, "%s", s_file ("stale"));
    char *png = s_file ("o.png");
    char out [4096];
    //  A file there: refused, and the file keeps its bytes.
    s_write (file, "precious", 0644);
    snprintf (endpoint, sizeof endpoint, "ipc://%s", file);
    int rc = s_master (MASTER (TINY, "--listen", endpoint, "-o", png), out, sizeof out);
    ck_assert_msg (rc == 2 && strstr (out, "not a socket"), "status %d: %s", rc, out);
    size_t size;
    char *text = (char *) th_slurp (file, &size);
    ck_assert (text && size == 8 && memcmp (text, "precious", 8) == 0);
    free (text);
    //  Another process listening there: refused, its socket left alone.
    int fd = s_unix_socket (live, true);
    snprintf (endpoint, sizeof endpoint, "ipc://%s", live);
    rc = s_master (MASTER (TINY, "--listen", endpoint, "-o", png), out, sizeof out);
    ck_assert_msg (rc == 2 && strstr (out, "another process"), "status %d: %s", rc, out);
    struct stat st;
    ck_assert_int_eq (lstat (live, &st), 0);
    ck_assert (S_ISSOCK (st.st_mode));
    close (fd);
    //  A stale socket is replaced; the master removes its socket at exit.
    s_unix_socket (stale, false);
    snprintf (endpoint, sizeof endpoint, "ipc://%s", stale);
    rc = s_master (MASTER (TINY, "--listen", endpoint, "-o", png), out, sizeof out);
    ck_assert_msg (rc == 0, "status %d: %s", rc, out);
    ck_assert_msg (!th_exists (stale), "the master left its socket file behind");
}
END_TEST

//  --- a fake worker that computes ------------------------------------------

typedef struct {
    void *context;
    void *socket;
} s_fake_t;

static void
s_fake_send (s_fake_t *fake, const uint8_t *data, size_t size)
{
    ck_assert_int_eq (zmq_send (fake->socket, data, size, 0), (int) size);
}

//  Connects to endpoint and says HELLO as host with kernel, with no
//  credit yet; returns once WELCOME came.
static void
s_fake_join (s_fake_t *fake, const char *endpoint, const char *host, const char *kernel)
{
    fake->context = zmq_ctx_new ();
    fake->socket = zmq_socket (fake->context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (fake->socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake->socket, endpoint), 0);
    uint8_t buf [MF_SIZE_HELLO];
    mf_hello_t hello = { .credit = 0, .threads = 1, .pid = 1, .uid = 4242 };
    snprintf (hello.host, sizeof hello.host, "%s", host);
    snprintf (hello.kernel, sizeof hello.kernel, "%s", kernel);
    s_fake_send (fake, buf, mf_proto_encode_hello (buf, sizeof buf, &hello));
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    bool welcomed = false;
    while (!welcomed && mf_clock_ms () < deadline) {
        zmq_pollitem_t item = { fake->socket, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) <= 0)
            continue;
        uint8_t in [256];
        int got = zmq_recv (fake->socket, in, sizeof in, 0);
        mf_msg_t msg;
        welcomed = got > 0 && mf_proto_decode (in, (size_t) got, &msg, NULL) == 0
                && msg.type == MF_MSG_WELCOME;
    }
    ck_assert_msg (welcomed, "the master did not welcome the fake worker");
}

//  Keeps the fake registered: one heartbeat; what came is dropped.
static void
s_fake_idle (s_fake_t *fake)
{
    uint8_t buf [MF_SIZE_EMPTY];
    s_fake_send (fake, buf, mf_proto_encode_empty (buf, sizeof buf, MF_MSG_HEARTBEAT));
    uint8_t in [256];
    while (zmq_recv (fake->socket, in, sizeof in, ZMQ_DONTWAIT) >= 0)
        ;
}

//  Asks for tiles and returns correct results until master exits.
//  Returns the master's exit status as s_wait, with its peak RSS in rss.
static int
s_fake_serve (s_fake_t *fake, pid_t master, long *rss)
{
    size_t capacity = MF_SIZE_RESULT_HEAD + 4 * (size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE;
    uint8_t *buf = malloc (capacity);
    float *mu = malloc ((size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE * sizeof (float));
    ck_assert (buf && mu);
    s_fake_send (fake, buf, mf_proto_encode_ready (buf, capacity, 4));
    int64_t deadline = mf_clock_ms () + RUN_MS, beat = 0;
    int rc = -1;
    while (mf_clock_ms () < deadline) {
        int status;
        struct rusage usage;
        if (wait4 (master, &status, WNOHANG, &usage) == master) {
            rc = WIFEXITED (status)? WEXITSTATUS (status): 128 + WTERMSIG (status);
            if (rss)
                *rss = usage.ru_maxrss;
            break;
        }
        if (mf_clock_ms () >= beat) {
            s_fake_send (fake, buf, mf_proto_encode_empty (buf, capacity, MF_MSG_HEARTBEAT));
            beat = mf_clock_ms () + 300;
        }
        zmq_pollitem_t item = { fake->socket, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 20) <= 0)
            continue;
        int got = zmq_recv (fake->socket, buf, capacity, 0);
        mf_msg_t msg;
        if (got <= 0 || mf_proto_decode (buf, (size_t) got, &msg, NULL) || msg.type != MF_MSG_TILE)
            continue;
        mf_tile_msg_t tile = msg.u.tile;
        uint64_t iterations = mf_kernel_reference (&tile.task, mu, NULL);
        mf_result_t result = { tile.job, tile.tile, tile.lease, tile.task.rect, 1, iterations,
                               NULL, MF_MU_F32, MF_ENCODING_RAW, 0, 0 };
        size_t head = mf_proto_encode_result_head (buf, capacity, &result);
        ck_assert_uint_gt (head, 0);
        mf_le_put_f32s (buf + head, mu, (size_t) tile.task.rect.w * tile.task.rect.h);
        s_fake_send (fake, buf, mf_proto_result_size (tile.task.rect.w, tile.task.rect.h));
    }
    if (rc < 0)
        th_kill (master);
    free (buf);
    free (mu);
    return rc;
}

static void
s_fake_leave (s_fake_t *fake)
{
    zmq_close (fake->socket);
    zmq_ctx_term (fake->context);
}

//  Whether path holds JSON that python3 reads (true when there is no
//  python3: the callers check the exact bytes too).
static bool
s_json_valid (const char *path)
{
    if (access ("/usr/bin/python3", X_OK)) {
        printf ("note: no python3; the JSON is checked by its bytes only\n");
        fflush (stdout);
        return true;
    }
    char *argv [] = { "/usr/bin/python3", "-c",
                      "import json,sys; json.load(open(sys.argv[1], encoding='utf-8'))",
                      (char *) path, NULL };
    char out [1024];
    int rc = th_run (argv, WAIT_MS, out, sizeof out);
    if (rc)
        printf ("python3: %s\n", out);
    return rc == 0;
}

//  Open descriptors of a process, or -1.
static int
s_open_fds (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/fd", (int) pid);
    return th_count_entries (path);
}

//  --- descriptors ---------------------------------------------------------

START_TEST (fd_limit_raised)
{
    //  A soft limit below the hard one is raised at start (-v says so).
    char *log = s_file ("master.log");
    pid_t pid = s_spawn (MASTER (TINY, "-v", "-o", s_file ("o.png")), log, 64, 4096);
    int rc = s_wait (pid, RUN_MS, NULL);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_msg (rc == 0, "status %d: %s", rc, text);
    ck_assert_msg (strstr (text, "open files: the limit is 4096 (raised from 64)"),
                   "the limit was not raised: %s", text);
    free (text);
}
END_TEST

START_TEST (starved_master_still_writes)
{
    //  The master may open FD_LIMIT files and cannot raise that. A worker
    //  joins, then strangers' idle connections take every descriptor it
    //  has left; then the worker computes the image. It is written, with
    //  its .npy and stats: those files were open before anyone connected.
    char endpoint [64];
    char *log = s_file ("master.log"), *png = s_file ("o.png"), *npy = s_file ("o.npy");
    char *json = s_file ("stats.json");
    pid_t master = s_spawn_listening (MASTER ("--size", "64x48", "--tile", "16", "--iter", "100",
                                              "-j", "0", "--listen", ANY_PORT, "-o", png,
                                              "--raw", npy, "--stats", json),
                                      log, FD_LIMIT, endpoint, sizeof endpoint);
    s_fake_t fake;
    s_fake_join (&fake, endpoint, "honest", "scalar");
    //  The flood: until the master has no descriptor left (or, if
    //  something caps what one listener accepts, until it stops growing).
    void *context = zmq_ctx_new ();
    void *strangers [FLOOD];
    int linger = 0;
    for (int index = 0; index < FLOOD; index++) {
        strangers [index] = zmq_socket (context, ZMQ_DEALER);
        zmq_setsockopt (strangers [index], ZMQ_LINGER, &linger, sizeof linger);
        ck_assert_int_eq (zmq_connect (strangers [index], endpoint), 0);
    }
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    int fds = 0;
    bool capped = false;
    while ((fds = s_open_fds (master)) < FD_LIMIT && mf_clock_ms () < deadline
       &&  !(capped = th_wait_for_text (log, "closed a connection that said no HELLO", 0))) {
        s_fake_idle (&fake);
        usleep (20 * 1000);
    }
    if (fds < FD_LIMIT)
        printf ("note: starved_master_still_writes: the master holds %d of %d descriptors%s\n",
                fds, FD_LIMIT, capped? " (its listener is full)": "");
    fflush (stdout);
    long rss;
    int rc = s_fake_serve (&fake, master, &rss);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_msg (rc == 0, "status %d: %s", rc, text);
    free (text);
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, NULL, NULL, 0), 0);
    ck_assert (w == 64 && h == 48);
    free (rgb);
    ck_assert (th_exists (npy));
    ck_assert_int_eq (th_json_counter (json, "tiles_total"), 12);
    ck_assert (s_json_valid (json));
    for (int index = 0; index < FLOOD; index++)
        zmq_close (strangers [index]);
    zmq_ctx_term (context);
    s_fake_leave (&fake);
}
END_TEST

//  --- what peers send -------------------------------------------------------

START_TEST (stats_escape_peer_strings)
{
    //  A worker whose name and kernel hold JSON's special characters: the
    //  --stats file stays valid JSON and holds them escaped.
    char endpoint [64];
    char *log = s_file ("master.log"), *json = s_file ("stats.json");
    pid_t master = s_spawn_listening (MASTER ("--size", "32x32", "--tile", "16", "--iter", "50",
                                              "-j", "0", "--listen", ANY_PORT,
                                              "-o", s_file ("o.png"), "--stats", json),
                                      log, 0, endpoint, sizeof endpoint);
    s_fake_t fake;
    s_fake_join (&fake, endpoint, "h\"\\\x01q", "k\"\\");
    int rc = s_fake_serve (&fake, master, NULL);
    s_fake_leave (&fake);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_msg (rc == 0, "status %d: %s", rc, text);
    free (text);
    text = (char *) th_slurp (json, &size);
    ck_assert_ptr_nonnull (text);
    text = realloc (text, size + 1);
    text [size] = 0;
    //  The decoder turned the control byte into '?'; the rest is escaped.
    ck_assert_msg (strstr (text, "\"name\": \"h\\\"\\\\?q:1\""), "name: %s", text);
    ck_assert_msg (strstr (text, "\"kernel\": \"k\\\"\\\\\""), "kernel: %s", text);
    ck_assert (s_json_valid (json));
    free (text);
}
END_TEST

//  Writes a certificate for keys (with its secret key if secret).
static void
s_cert (const char *path, const mf_curve_keys_t *keys, bool secret)
{
    char text [256];
    snprintf (text, sizeof text, "curve\n    public-key = \"%s\"\n%s%s%s", keys->public_txt,
              secret? "    secret-key = \"": "", secret? keys->secret_txt: "",
              secret? "\"\n": "");
    s_write (path, text, secret? 0600: 0644);
}

START_TEST (allow_junk_not_read)
{
    //  A 300 MB file among the allowed certificates (sparse: no disk) is
    //  not read, and the allowed worker still joins and renders.
    mf_curve_keys_t master_keys, worker_keys;
    ck_assert_int_eq (zmq_curve_keypair (master_keys.public_txt, master_keys.secret_txt), 0);
    ck_assert_int_eq (zmq_curve_keypair (worker_keys.public_txt, worker_keys.secret_txt), 0);
    s_cert (s_file ("master.cert"), &master_keys, false);
    s_cert (s_file ("master.cert_secret"), &master_keys, true);
    s_cert (s_file ("worker.cert_secret"), &worker_keys, true);
    ck_assert_int_eq (mkdir (s_file ("allow"), 0755), 0);
    s_cert (s_file ("allow/worker.cert"), &worker_keys, false);
    int fd = open (s_file ("allow/junk"), O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge (fd, 0);
    ck_assert_int_eq (ftruncate (fd, JUNK_BYTES), 0);
    close (fd);
    char endpoint [64];
    char *log = s_file ("master.log"), *png = s_file ("o.png");
    pid_t master = s_spawn_listening (MASTER ("--size", "64x64", "--tile", "32", "--iter", "100",
                                              "-j", "0", "--listen", ANY_PORT,
                                              "--cert", s_file ("master.cert_secret"),
                                              "--allow", s_file ("allow"), "-o", png),
                                      log, 0, endpoint, sizeof endpoint);
    char *extra [] = { "--cert", s_file ("worker.cert_secret"),
                       "--master-key", s_file ("master.cert"), NULL };
    pid_t worker = th_worker (endpoint, "1", extra);
    long rss = 0;
    int rc = s_wait (master, RUN_MS, &rss);
    th_stop (worker);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_msg (rc == 0, "status %d: %s", rc, text);
    ck_assert_msg (rss < RSS_MAX_KB, "the master grew to %ld KiB: %s", rss, text);
    ck_assert_msg (strstr (text, "junk") && strstr (text, "not a certificate"),
                   "the junk was not reported: %s", text);
    free (text);
    ck_assert (th_exists (png));
}
END_TEST

//  --- strangers on a CURVE listener -------------------------------------------

//  A stranger that starts a CURVE handshake and stalls: a TCP connection
//  that sends a ZMTP 3.0 greeting for CURVE as a client, then nothing
//  (libzmq keeps it until the handshake times out). -1 if the
//  connection cannot be opened now.
static int
s_stall_open (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) && errno != EINPROGRESS) {
        close (fd);
        return -1;
    }
    //  Signature, version 3.0, mechanism, as-server 0, filler: 64 bytes.
    uint8_t greeting [64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0, 'C', 'U', 'R', 'V', 'E' };
    struct pollfd item = { fd, POLLOUT, 0 };
    if (poll (&item, 1, 100) == 1 && (item.revents & POLLOUT))
        (void) !write (fd, greeting, sizeof greeting);
    return fd;
}

//  Keeps count stalled strangers on port: those the master closed (or
//  that could not connect) are opened again, what it sent is dropped.
static void
s_stall_pump (int fds [], int count, int port)
{
    for (int index = 0; index < count; index++) {
        if (fds [index] >= 0) {
            uint8_t junk [256];
            ssize_t got;
            while ((got = read (fds [index], junk, sizeof junk)) > 0)
                ;
            if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close (fds [index]);
                fds [index] = -1;
            }
        }
        if (fds [index] < 0)
            fds [index] = s_stall_open (port);
    }
}

START_TEST (curve_listener_capped)
{
    //  With --cert/--allow, strangers' stalled CURVE handshakes, opened
    //  again as soon as they are closed, cannot take every descriptor of
    //  a master that may open FD_LIMIT: the listener holds a few, closes
    //  the oldest not-yet-HELLO connection to make room, and an allowed
    //  worker joins and the image is written. The CURVE listener used to
    //  be left uncapped (mf_auth held the socket's only monitor): the
    //  worker never got in and the master gave up at its deadline.
    mf_curve_keys_t master_keys, worker_keys;
    ck_assert_int_eq (zmq_curve_keypair (master_keys.public_txt, master_keys.secret_txt), 0);
    ck_assert_int_eq (zmq_curve_keypair (worker_keys.public_txt, worker_keys.secret_txt), 0);
    s_cert (s_file ("master.cert"), &master_keys, false);
    s_cert (s_file ("master.cert_secret"), &master_keys, true);
    s_cert (s_file ("worker.cert_secret"), &worker_keys, true);
    ck_assert_int_eq (mkdir (s_file ("allow"), 0755), 0);
    s_cert (s_file ("allow/worker.cert"), &worker_keys, false);
    char endpoint [64];
    char *log = s_file ("master.log"), *png = s_file ("o.png"), *json = s_file ("stats.json");
    pid_t master = s_spawn_listening (MASTER ("--size", "64x48", "--tile", "16", "--iter", "100",
                                              "-j", "0", "--listen", ANY_PORT,
                                              "--cert", s_file ("master.cert_secret"),
                                              "--allow", s_file ("allow"), "-o", png,
                                              "--stats", json, "--deadline", "30"),
                                      log, FD_LIMIT, endpoint, sizeof endpoint);
    int port = th_endpoint_port (endpoint);
    ck_assert_int_gt (port, 0);
    int strangers [FLOOD];
    for (int index = 0; index < FLOOD; index++)
        strangers [index] = -1;
    //  The flood, until the listener is full (the master closes one to
    //  make room) or the master has no descriptor left.
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (!th_wait_for_text (log, "closed a connection that said no HELLO", 0)
       &&  s_open_fds (master) < FD_LIMIT && mf_clock_ms () < deadline) {
        s_stall_pump (strangers, FLOOD, port);
        usleep (20 * 1000);
    }
    char *extra [] = { "--cert", s_file ("worker.cert_secret"),
                       "--master-key", s_file ("master.cert"), NULL };
    pid_t worker = th_worker (endpoint, "1", extra);
    int rc = -1;
    deadline = mf_clock_ms () + RUN_MS;
    while ((rc = s_exited (master)) < 0 && mf_clock_ms () < deadline) {
        s_stall_pump (strangers, FLOOD, port);
        usleep (20 * 1000);
    }
    th_stop (worker);
    if (rc < 0)
        th_kill (master);
    for (int index = 0; index < FLOOD; index++)
        if (strangers [index] >= 0)
            close (strangers [index]);
    size_t size;
    char *text = (char *) th_slurp (log, &size);
    ck_assert_msg (rc == 0, "status %d: %.*s", rc, (int) size, text);
    ck_assert_msg (!memmem (text, size, "Too many open files", 19), "%.*s", (int) size, text);
    ck_assert_msg (memmem (text, size, "closed a connection that said no HELLO", 38),
                   "no stranger was closed: %.*s", (int) size, text);
    //  And the worker's connection was known as one: the cap held.
    ck_assert_msg (!memmem (text, size, "no longer capped", 16), "%.*s", (int) size, text);
    free (text);
    uint32_t w, h;
    uint8_t *rgb;
    ck_assert_int_eq (th_png_read (png, &w, &h, &rgb, NULL, NULL, 0), 0);
    ck_assert (w == 64 && h == 48);
    free (rgb);
    ck_assert_int_ge (th_json_counter (json, "dropped"), 1);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("hardening");
    TCase *outputs = tcase_create ("outputs");
    tcase_set_timeout (outputs, 120);
    tcase_add_checked_fixture (outputs, th_dir_setup, th_dir_teardown);
    tcase_add_test (outputs, aliases_refused);
    tcase_add_test (outputs, fifo_refused);
    tcase_add_test (outputs, device_refused);
    tcase_add_test (outputs, longest_name_works);
    tcase_add_test (outputs, symlink_written_through);
    tcase_add_test (outputs, ipc_path_guarded);
    suite_add_tcase (suite, outputs);
    TCase *peers = tcase_create ("peers");
    tcase_set_timeout (peers, 120);
    tcase_add_checked_fixture (peers, th_dir_setup, th_dir_teardown);
    tcase_add_test (peers, fd_limit_raised);
    tcase_add_test (peers, starved_master_still_writes);
    tcase_add_test (peers, stats_escape_peer_strings);
    tcase_add_test (peers, allow_junk_not_read);
    tcase_add_test (peers, curve_listener_capped);
    suite_add_tcase (suite, peers);
    return th_run_suite (suite);
}
