/*  The ssh launcher, scripts/workers-ssh: its usage errors, a host that
    does not answer, what it runs on each host (run here, through a
    stand-in for ssh), and, when this test runs as root on a machine with
    Debian's openssh-server, the real thing: a private sshd on 127.0.0.1
    (a port free a moment ago, a throwaway host key and user key, everything in the
    test's folder), two workers started through it with their keys, a
    render they compute for a master that admits only them,
    status, a refused second start, and a stop that makes each worker say
    BYE to a running master. Without root or sshd the sshd test prints
    SKIPPED and why. Processes are ended by pid: sshd and the masters by
    the pids this test started; the workers by `stop`, and, should the
    test fail first, by their pid files (checked to be our worker).
*/
#include "helpers.h"
#include "mf_kernel.h"
#include "mf_util.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSH_MS 60000                    //  msecs one workers-ssh call may take at most
#define RENDER_MS 60000                 //  msecs the short render may take at most
#define JOIN_MS 30000                   //  msecs for both workers to join a master
#define LEFT_MS 20000                   //  msecs for a stopped worker's BYE to reach the master
#define SSHD_MS 10000                   //  msecs for sshd to listen
#define SSHD_TRIES 5                    //  ports tried for sshd
#define SSHD_BIN "/usr/sbin/sshd"
//  The short render, and the long one that is still running when the
//  workers are stopped: every pixel this near the cusp at 1/4 runs all
//  its --iter iterations (1e6; 2.6e8 a 16x16 tile, a fraction of a
//  second), and 1024 tiles take minutes.
#define SHORT_VIEW "--size", "256x192", "--center", "-0.7453,0.1127", "--width", "0.01", \
                   "--iter", "2000", "--tile", "32"
#define LONG_VIEW "--size", "512x512", "--center", "0.250000000002,0", "--width", "1e-12", \
                  "--iter", "1000000", "--tile", "16", "--deadline", "600"


//  The launcher, beside bin/ in the source tree.
static const char *
s_script (void)
{
    static char path [PATH_MAX + 32];
    if (!path [0]) {
        char bin [PATH_MAX];
        snprintf (bin, sizeof bin, "%s", th_bin ("mandelfarm-worker"));
        char *slash = strrchr (bin, '/');
        ck_assert_ptr_nonnull (slash);
        *slash = 0;
        snprintf (path, sizeof path, "%s/../scripts/workers-ssh", bin);
    }
    return path;
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    ck_assert_ptr_nonnull (file);
    fputs (text, file);
    ck_assert_int_eq (fclose (file), 0);
}

//  The number of lines of text.
static int
s_lines (const char *text)
{
    int count = 0;
    for (const char *at = text; *at; at++)
        count += *at == '\n';
    return count;
}

//  The folder of the workers' state folders. Made before Check forks the
//  test, so that the runner itself can end the workers of a test that
//  failed halfway (a failed test ends at once, without its teardown).
static char *s_states = NULL;

//  Reads the pid a pid file of the launcher holds (its first line), or 0.
static pid_t
s_pidfile (const char *dir)
{
    DIR *folder = opendir (dir);
    pid_t pid = 0;
    struct dirent *entry;
    while (folder && (entry = readdir (folder))) {
        size_t len = strlen (entry->d_name);
        if (len > 4 && strcmp (entry->d_name + len - 4, ".pid") == 0) {
            char path [PATH_MAX];
            snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
            FILE *file = fopen (path, "r");
            int value = 0;
            if (file && fscanf (file, "%d", &value) == 1)
                pid = value;
            if (file)
                fclose (file);
        }
    }
    if (folder)
        closedir (folder);
    return pid;
}

//  Whether pid is a live mandelfarm-worker (not a zombie, not a reused pid).
static bool
s_is_worker (pid_t pid)
{
    char path [64], exe [PATH_MAX];
    snprintf (path, sizeof path, "/proc/%d/exe", (int) pid);
    ssize_t len = pid > 0? readlink (path, exe, sizeof exe - 1): -1;
    if (len <= 0)
        return false;
    exe [len] = 0;
    return strstr (exe, "/mandelfarm-worker") != NULL;
}

static void
s_states_setup (void)
{
    s_states = th_tmpdir ();
    ck_assert_ptr_nonnull (s_states);
}

//  The workers are not our children, so no death signal reaches them: a
//  worker whose pid file is still there is ended here, by that pid.
static void
s_states_teardown (void)
{
    DIR *folder = opendir (s_states);
    struct dirent *entry;
    while (folder && (entry = readdir (folder))) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", s_states, entry->d_name);
        pid_t pid = entry->d_name [0] != '.'? s_pidfile (path): 0;
        if (s_is_worker (pid))
            kill (pid, SIGKILL);
    }
    if (folder)
        closedir (folder);
    th_rmdir (s_states);
    free (s_states);
    s_states = NULL;
}

//  --- without sshd --------------------------------------------------------

START_TEST (usage_errors)
{
    char *hosts = th_path ("hosts"), *bad_line = th_path ("bad-line"),
         *twice = th_path ("twice"), *bad_key = th_path ("bad-key"),
         *empty = th_path ("empty");
    s_write (hosts, "# a comment\n\n127.0.0.1:22 threads=2   # trailing comment\n");
    s_write (bad_line, "127.0.0.1\nuser@host:port\n");
    s_write (twice, "127.0.0.1\n127.0.0.1 threads=3\n");
    s_write (bad_key, "127.0.0.1 cores=3\n");
    s_write (empty, "# nothing\n\n");
    const char *ep = "tcp://127.0.0.1:5555";
    struct {
        const char *argv [8];
        const char *says;               //  a word the one line must hold
    } cases [] = {
        { { NULL }, "need HOSTFILE ENDPOINT" },
        { { hosts, ep }, "need HOSTFILE ENDPOINT" },
        { { hosts, ep, "restart" }, "unknown action" },
        { { hosts, "tcp://*:5555", "start" }, "no '*'" },
        { { hosts, "127.0.0.1:5555", "start" }, "tcp://MASTER-HOST:PORT" },
        { { "--threads", "0", hosts, ep, "start" }, "--threads" },
        { { "--fanout", "x", hosts, ep, "start" }, "--fanout" },
        { { "--bogus", hosts, ep, "start" }, "unknown option '--bogus'" },
        { { "--cert", "/k_secret", hosts, ep, "start" }, "--master-key" },
        { { th_dir, ep, "start" }, "cannot read the host file" },
        { { bad_line, ep, "start" }, "bad-line:2: 'user@host:port'" },
        { { twice, ep, "start" }, "twice:2: the same host and state folder as line 1" },
        { { bad_key, ep, "status" }, "unknown key 'cores'" },
        { { empty, ep, "stop" }, "names no host" },
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        char *argv [10] = { (char *) s_script () };
        for (int arg = 0; arg < 8 && cases [index].argv [arg]; arg++)
            argv [arg + 1] = (char *) cases [index].argv [arg];
        char out [2048];
        int rc = th_run (argv, SSH_MS, out, sizeof out);
        ck_assert_msg (rc == 2, "case %zu: status %d, not 2: %s", index, rc, out);
        ck_assert_msg (strncmp (out, "workers-ssh: ", 13) == 0 && s_lines (out) == 1,
                       "case %zu: not one line of its own: %s", index, out);
        ck_assert_msg (strstr (out, cases [index].says), "case %zu: '%s' not in: %s",
                       index, cases [index].says, out);
    }
    //  --help is no error, and it documents the host file.
    char out [8192];
    ck_assert_int_eq (th_run ((char *[]) { (char *) s_script (), "--help", NULL }, SSH_MS,
                              out, sizeof out), 0);
    ck_assert (strstr (out, "[user@]host[:port] [threads=N]"));
    free (hosts);
    free (bad_line);
    free (twice);
    free (bad_key);
    free (empty);
}
END_TEST

//  A TCP socket bound to a port of 127.0.0.1 the system picks, and never
//  listening: connections to that port are refused for as long as it
//  stays open, and no other process can take the port meanwhile. Returns
//  the socket, its port in port.
static int
s_refusing_port (int *port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge (fd, 0);
    struct sockaddr_in address = { .sin_family = AF_INET };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ck_assert_int_eq (bind (fd, (struct sockaddr *) &address, sizeof address), 0);
    ck_assert_int_eq (getsockname (fd, (struct sockaddr *) &address, &size), 0);
    *port = ntohs (address.sin_port);
    return fd;
}

START_TEST (unreachable_host)
{
    //  A port nobody listens on: ssh fails at once, and says why.
    int port;
    int holder = s_refusing_port (&port);
    char *hosts = th_path ("hosts"), text [128];
    snprintf (text, sizeof text, "127.0.0.1:%d\n", port);
    s_write (hosts, text);
    char out [4096];
    char *argv [] = { (char *) s_script (), "-F", "/dev/null", "--connect-timeout", "5",
                      hosts, "tcp://127.0.0.1:5555", "start", NULL };
    int rc = th_run (argv, SSH_MS, out, sizeof out);
    ck_assert_msg (rc == 1, "status %d, not 1: %s", rc, out);
    ck_assert_msg (strstr (out, "unreachable") && strstr (out, "refused"), "%s", out);
    close (holder);
    free (hosts);
}
END_TEST

START_TEST (remote_side_here)
{
    //  What runs on each host, run here: an `ssh` first in the PATH that
    //  runs the command it is given on this machine, and a home of the
    //  test's own. Keys named ~/... are found in that home; a worker that
    //  cannot start is reported with its own words; start, status and
    //  stop find it by its pid file. (The test with a real sshd is below.)
    char *shims = th_path ("bin"), *ssh = th_path ("bin/ssh"), *home = th_path ("home");
    ck_assert_int_eq (mkdir (shims, 0700), 0);
    ck_assert_int_eq (mkdir (home, 0700), 0);
    s_write (ssh, "#!/bin/bash\n# the last argument is the remote command\nexec sh -c \"${@: -1}\"\n");
    ck_assert_int_eq (chmod (ssh, 0700), 0);
    char path [PATH_MAX + 4096];
    snprintf (path, sizeof path, "%s:%s", shims, getenv ("PATH"));
    setenv ("PATH", path, 1);
    setenv ("HOME", home, 1);
    char out [4096];
    char *master = th_path ("home/master.cert"), *worker = th_path ("home/worker.cert");
    ck_assert_int_eq (th_run ((char *[]) { (char *) th_bin ("mandelfarm-keygen"), master, NULL },
                              30000, out, sizeof out), 0);
    ck_assert_int_eq (th_run ((char *[]) { (char *) th_bin ("mandelfarm-keygen"), worker, NULL },
                              30000, out, sizeof out), 0);
    char *hosts = th_path ("hosts"), bin [PATH_MAX], line [PATH_MAX + 64];
    ck_assert_ptr_nonnull (realpath (th_bin ("mandelfarm-worker"), bin));
    snprintf (line, sizeof line, "here threads=1 bin=%s\n", bin);
    s_write (hosts, line);
    //  No master is needed: the worker runs, connecting, until stopped.
    char endpoint [PATH_MAX];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/master.sock", th_dir);
    //  A key that is not there: the worker ends at once, status 2.
    char *bad [] = { (char *) s_script (), "--cert", "~/stranger.cert_secret",
                     "--master-key", "~/master.cert", hosts, endpoint, "start", NULL };
    int rc = th_run (bad, SSH_MS, out, sizeof out);
    ck_assert_msg (rc == 1 && strstr (out, "here: the worker exited at once (status 2)")
                   && strstr (out, "--cert") && strstr (out, "/home/stranger.cert_secret"),
                   "%d: %s", rc, out);
    char *refused = th_path ("home/.mandelfarm");
    ck_assert_int_eq (s_pidfile (refused), 0);
    //  The right keys: it runs, with them, until stopped.
    //  Its pid file where the runner finds it, should the test fail.
    char states [PATH_MAX];
    snprintf (states, sizeof states, "%s/here", s_states);
    char *good [] = { (char *) s_script (), "--cert", "~/worker.cert_secret",
                      "--master-key", "~/master.cert", "--state-dir", states,
                      hosts, endpoint, "start", NULL };
    rc = th_run (good, SSH_MS, out, sizeof out);
    ck_assert_msg (rc == 0 && strstr (out, "here: started pid"), "%d: %s", rc, out);
    pid_t pid = s_pidfile (states);
    ck_assert_msg (s_is_worker (pid), "%s", out);
    char *status [] = { (char *) s_script (), "--state-dir", states, hosts, endpoint,
                        "status", NULL };
    rc = th_run (status, SSH_MS, out, sizeof out);
    char state [16], kernel [32], link [16], *at = strstr (out, "\nhere ");
    int shown = 0, threads = 0;
    ck_assert_msg (rc == 0 && at && sscanf (at, " here %15s %d %31s %d %15s", state, &shown,
                                            kernel, &threads, link) == 5, "%d: %s", rc, out);
    ck_assert_msg (!strcmp (state, "running") && shown == pid && threads == 1, "%s", out);
    char *stop [] = { (char *) s_script (), "--state-dir", states, hosts, endpoint,
                      "stop", NULL };
    rc = th_run (stop, SSH_MS, out, sizeof out);
    ck_assert_msg (rc == 0 && strstr (out, "here: stopped pid"), "%d: %s", rc, out);
    ck_assert (!s_is_worker (pid));
    ck_assert_int_eq (s_pidfile (states), 0);
    free (shims);
    free (ssh);
    free (home);
    free (master);
    free (worker);
    free (hosts);
    free (refused);
}
END_TEST

//  --- a real sshd ----------------------------------------------------------

//  One private sshd, and the files of the test.
typedef struct {
    pid_t pid;                          //  the sshd this test started
    int port;
    char user [64];                     //  who logs in: ourselves
    char key [PATH_MAX];                //  the throwaway private key
    char known [PATH_MAX];              //  its own known_hosts
} s_sshd_t;

//  One try at starting the private sshd on a port free a moment ago.
//  Returns 0 once it listens, 1 if another process took the port first,
//  or -1 with the reason in why.
static int
s_sshd_listen (s_sshd_t *self, const char *host_key, const char *authorized,
               const char *config, const char *log, char *why, size_t size)
{
    int holder = s_refusing_port (&self->port);
    close (holder);
    unlink (log);
    char out [4096];
    char conf [3 * PATH_MAX];
    snprintf (conf, sizeof conf,
              "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile none\n"
              "AuthorizedKeysFile %s\nAuthenticationMethods publickey\n"
              "PubkeyAuthentication yes\nPasswordAuthentication no\n"
              "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
              "PermitRootLogin prohibit-password\nAllowUsers %s\nPrintMotd no\n"
              "X11Forwarding no\nAllowTcpForwarding no\nLogLevel VERBOSE\n",
              self->port, host_key, authorized, self->user);
    s_write (config, conf);
    char *check_argv [] = { SSHD_BIN, "-t", "-f", (char *) config, NULL };
    if (th_run (check_argv, 30000, out, sizeof out) != 0) {
        snprintf (why, size, "sshd -t refuses to run here: %.300s", out);
        return -1;
    }
    char *argv [] = { SSHD_BIN, "-D", "-e", "-f", (char *) config, NULL };
    self->pid = th_spawn (argv, log);
    char listening [96];
    snprintf (listening, sizeof listening, "Server listening on 127.0.0.1 port %d", self->port);
    int64_t deadline = mf_clock_ms () + SSHD_MS;
    while (!th_wait_for_text (log, listening, 10)) {
        bool taken = th_wait_for_text (log, "Address already in use", 0);
        if (taken || mf_clock_ms () > deadline) {
            th_stop (self->pid);
            self->pid = 0;
            if (taken)
                return 1;
            size_t got = 0;
            char *said = (char *) th_slurp (log, &got);
            snprintf (why, size, "sshd did not listen within %d ms: %.*s", SSHD_MS,
                      said? (int) (got < 300? got: 300): 0, said? said: "");
            free (said);
            return -1;
        }
    }
    return 0;
}

//  Starts the private sshd. Returns 0, or -1 with the reason in why when
//  sshd cannot run here (the test is then skipped).
static int
s_sshd_start (s_sshd_t *self, char *why, size_t size)
{
    memset (self, 0, sizeof *self);
    if (geteuid () != 0) {
        snprintf (why, size, "not root (sshd must run as root to start a session)");
        return -1;
    }
    if (access (SSHD_BIN, X_OK) || access ("/usr/bin/ssh-keygen", X_OK)
    ||  access ("/usr/bin/ssh", X_OK)) {
        snprintf (why, size, "no %s, ssh or ssh-keygen (install openssh-server: "
                  "scripts/install-deps.sh)", SSHD_BIN);
        return -1;
    }
    struct passwd *me = getpwuid (geteuid ());
    ck_assert_ptr_nonnull (me);
    snprintf (self->user, sizeof self->user, "%s", me->pw_name);
    //  sshd refuses to start without its privilege separation folder,
    //  which Debian's service makes at boot; make it the same way.
    if (mkdir ("/run/sshd", 0755) && errno != EEXIST) {
        snprintf (why, size, "cannot make /run/sshd: %s", strerror (errno));
        return -1;
    }
    char *host_key = th_path ("host_key");
    snprintf (self->key, sizeof self->key, "%s/user_key", th_dir);
    snprintf (self->known, sizeof self->known, "%s/known_hosts", th_dir);
    char out [4096];
    char *host_argv [] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                           "-C", "mandelfarm-test-host", "-f", host_key, NULL };
    char *user_argv [] = { "/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                           "-C", "mandelfarm-test-user", "-f", self->key, NULL };
    ck_assert_msg (th_run (host_argv, 30000, out, sizeof out) == 0, "ssh-keygen: %s", out);
    ck_assert_msg (th_run (user_argv, 30000, out, sizeof out) == 0, "ssh-keygen: %s", out);
    char pub [PATH_MAX + 8], authorized [PATH_MAX + 32];
    snprintf (pub, sizeof pub, "%s.pub", self->key);
    snprintf (authorized, sizeof authorized, "%s/authorized_keys", th_dir);
    size_t len;
    char *key = (char *) th_slurp (pub, &len);
    ck_assert_ptr_nonnull (key);
    char *text = malloc (len + 1);
    ck_assert_ptr_nonnull (text);
    memcpy (text, key, len);
    text [len] = 0;
    s_write (authorized, text);
    free (text);
    free (key);

    //  Only our key, only our user, only loopback; no PAM, no passwords.
    //  StrictModes off: the keys live under /tmp, which all users share.
    //  sshd needs its port in its configuration (it refuses port 0), so
    //  the port is one that was free a moment ago; should another process
    //  take it first, sshd says so and another port is tried.
    char *config = th_path ("sshd_config"), *log = th_path ("sshd.log");
    for (int attempt = 0; attempt < SSHD_TRIES; attempt++) {
        int rc = s_sshd_listen (self, host_key, authorized, config, log, why, size);
        if (rc <= 0) {
            free (host_key);
            free (config);
            free (log);
            return rc;
        }
    }
    snprintf (why, size, "sshd found no free port in %d tries", SSHD_TRIES);
    free (host_key);
    free (config);
    free (log);
    return -1;
}

//  Runs the launcher through our sshd, the workers with the keys of the
//  test's farm. Returns its exit status.
static int
s_launch (s_sshd_t *sshd, const char *hosts, const char *endpoint, const char *action,
          char *out, size_t size)
{
    char known [PATH_MAX + 32];
    snprintf (known, sizeof known, "UserKnownHostsFile=%s", sshd->known);
    char *cert = th_path ("worker.cert_secret"), *master_key = th_path ("master.cert");
    char *argv [] = { (char *) s_script (), "-F", "/dev/null", "-i", sshd->key,
                      "-o", "IdentitiesOnly=yes", "-o", known,
                      "-o", "GlobalKnownHostsFile=/dev/null", "--accept-new-host-keys",
                      "-l", sshd->user, "--stop-timeout", "20",
                      "--cert", cert, "--master-key", master_key,
                      (char *) hosts, (char *) endpoint, (char *) action, NULL };
    int rc = th_run (argv, SSH_MS, out, size);
    free (cert);
    free (master_key);
    return rc;
}

//  The keys of a secure farm: the master's, one for the workers, and the
//  master's allow folder with the workers' public certificate.
static void
s_keys (void)
{
    char out [2048];
    char *master = th_path ("master.cert"), *worker = th_path ("worker.cert"),
         *allow = th_path ("allow");
    char *master_argv [] = { (char *) th_bin ("mandelfarm-keygen"), master, NULL };
    char *worker_argv [] = { (char *) th_bin ("mandelfarm-keygen"), worker, NULL };
    ck_assert_msg (th_run (master_argv, 30000, out, sizeof out) == 0, "keygen: %s", out);
    ck_assert_msg (th_run (worker_argv, 30000, out, sizeof out) == 0, "keygen: %s", out);
    ck_assert_int_eq (mkdir (allow, 0700), 0);
    size_t size;
    uint8_t *cert = th_slurp (worker, &size);
    ck_assert_ptr_nonnull (cert);
    char *copy = th_path ("allow/render-01.cert");
    FILE *file = fopen (copy, "w");
    ck_assert_ptr_nonnull (file);
    ck_assert_int_eq (fwrite (cert, 1, size, file), size);
    ck_assert_int_eq (fclose (file), 0);
    free (cert);
    free (copy);
    free (master);
    free (worker);
    free (allow);
}

//  The line of `status` for the worker named name, parsed. Returns 0 or -1.
static int
s_status_of (const char *out, const char *name, char *state, int *pid, char *kernel,
             int *threads, char *link)
{
    char tag [32];
    snprintf (tag, sizeof tag, "(%s) ", name);
    const char *at = strstr (out, tag);
    if (!at)
        return -1;
    *pid = 0;
    *threads = 0;
    int got = sscanf (at + strlen (tag), "%15s %d %31s %d %15s", state, pid, kernel,
                      threads, link);
    return got >= 1? 0: -1;
}

START_TEST (start_status_stop)
{
    s_sshd_t sshd;
    char why [512];
    if (s_sshd_start (&sshd, why, sizeof why)) {
        th_skip (why);
        return;
    }
    //  The workers' binary, as a path the remote shell finds from anywhere.
    char worker [PATH_MAX];
    ck_assert_ptr_nonnull (realpath (th_bin ("mandelfarm-worker"), worker));
    char state_a [PATH_MAX], state_b [PATH_MAX];
    snprintf (state_a, sizeof state_a, "%s/a", s_states);
    snprintf (state_b, sizeof state_b, "%s/b", s_states);
    pid_t workers [2];
    char *hosts = th_path ("hosts");
    char text [8 * PATH_MAX];
    snprintf (text, sizeof text,
              "# two workers on one host, each with its own state folder\n"
              "%s@127.0.0.1:%d threads=1 name=w1 bin=%s state=%s\n"
              "127.0.0.1:%d  threads=2  name=w2  bin=%s  state=%s   # the login from -l\n",
              sshd.user, sshd.port, worker, state_a, sshd.port, worker, state_b);
    s_write (hosts, text);
    //  The workers start before the master they connect to, and a second
    //  master takes the same address: an ipc:// path of the test's own,
    //  which nobody else can take in between as they could a TCP port.
    char endpoint [PATH_MAX];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/master.sock", th_dir);
    //  A secure farm: the launcher hands the workers their keys, and the
    //  master admits only them.
    s_keys ();
    char *master_cert = th_path ("master.cert_secret"), *allow = th_path ("allow");

    //  start: both run, detached, and say where.
    char out [8192];
    int rc = s_launch (&sshd, hosts, endpoint, "start", out, sizeof out);
    ck_assert_msg (rc == 0, "start: %d: %s", rc, out);
    workers [0] = s_pidfile (state_a);
    workers [1] = s_pidfile (state_b);
    ck_assert_msg (s_is_worker (workers [0]) && s_is_worker (workers [1]),
                   "no worker runs after start: %s", out);
    ck_assert_msg (strstr (out, "(w1): started pid") && strstr (out, "(w2): started pid")
                   && strstr (out, state_a) && strstr (out, state_b), "%s", out);

    //  A second start for the same master is refused; the first ones stay.
    rc = s_launch (&sshd, hosts, endpoint, "start", out, sizeof out);
    ck_assert_msg (rc == 1, "a second start: %d: %s", rc, out);
    ck_assert_msg (strstr (out, "(w1): already running") && strstr (out, "(w2): already running"),
                   "%s", out);
    ck_assert_int_eq (s_pidfile (state_a), workers [0]);
    ck_assert_int_eq (s_pidfile (state_b), workers [1]);
    ck_assert (s_is_worker (workers [0]) && s_is_worker (workers [1]));

    //  status: running, with the kernel and threads each worker logged.
    rc = s_launch (&sshd, hosts, endpoint, "status", out, sizeof out);
    ck_assert_msg (rc == 0, "status: %d: %s", rc, out);
    char state [16], kernel [32], link [16];
    int pid, threads;
    const char *best = mf_kernel_best ()->name;
    ck_assert_msg (s_status_of (out, "w1", state, &pid, kernel, &threads, link) == 0, "%s", out);
    ck_assert_msg (!strcmp (state, "running") && pid == workers [0] && !strcmp (kernel, best)
                   && threads == 1, "w1: %s", out);
    ck_assert_msg (s_status_of (out, "w2", state, &pid, kernel, &threads, link) == 0, "%s", out);
    ck_assert_msg (!strcmp (state, "running") && pid == workers [1] && !strcmp (kernel, best)
                   && threads == 2, "w2: %s", out);

    //  A render with no local worker: every tile comes from them, and the
    //  image is the one a single local worker makes.
    char *png = th_path ("farm.png"), *ref = th_path ("ref.png"), *stats = th_path ("s.json");
    char *ref_argv [] = { (char *) th_bin ("mandelfarm-master"), SHORT_VIEW, "-j", "1",
                          "-q", "-o", ref, NULL };
    ck_assert_int_eq (th_run (ref_argv, RENDER_MS, out, sizeof out), 0);
    char listen [PATH_MAX];
    snprintf (listen, sizeof listen, "%s", endpoint);
    char *farm_argv [] = { (char *) th_bin ("mandelfarm-master"), SHORT_VIEW, "-j", "0",
                           "-q", "--listen", listen, "--cert", master_cert, "--allow", allow,
                           "--stats", stats, "-o", png, NULL };
    rc = th_run (farm_argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "the render: %d: %s", rc, out);
    ck_assert_msg (th_same_file (png, ref), "the farm's PNG differs from the -j 1 render");
    //  Each worker the master names is one the launcher started, by pid.
    size_t size;
    char *json = (char *) th_slurp (stats, &size);
    ck_assert_ptr_nonnull (json);
    json = realloc (json, size + 1);
    json [size] = 0;
    char names [2][64];
    snprintf (names [0], sizeof names [0], "\"name\": \"w1:%d\"", (int) workers [0]);
    snprintf (names [1], sizeof names [1], "\"name\": \"w2:%d\"", (int) workers [1]);
    int named = 0, ours = 0;
    for (char *at = strstr (json, "\"name\": "); at; at = strstr (at + 1, "\"name\": ")) {
        named++;
        ours += !strncmp (at, names [0], strlen (names [0]))
             || !strncmp (at, names [1], strlen (names [1]));
    }
    ck_assert_msg (named >= 1 && ours == named, "workers not started by the launcher: %s", json);
    ck_assert_int_eq (th_json_counter (stats, "local"), 0);
    free (json);

    //  A long render: both workers join it, status says they are
    //  connected, and stop makes each give its tiles back with BYE while
    //  the master still runs ("left", not evicted after its silence).
    char *log = th_path ("master.log");
    char *long_argv [] = { (char *) th_bin ("mandelfarm-master"), LONG_VIEW, "-j", "0",
                           "-q", "-v", "--listen", listen, "--cert", master_cert,
                           "--allow", allow, "-o", png, NULL };
    pid_t master = th_spawn (long_argv, log);
    char joined [2][64], left [2][64];
    for (int index = 0; index < 2; index++) {
        snprintf (joined [index], sizeof joined [index], "worker w%d:%d joined", index + 1,
                  (int) workers [index]);
        snprintf (left [index], sizeof left [index], "worker w%d:%d left", index + 1,
                  (int) workers [index]);
        ck_assert_msg (th_wait_for_text (log, joined [index], JOIN_MS), "w%d never joined",
                       index + 1);
    }
    rc = s_launch (&sshd, hosts, endpoint, "status", out, sizeof out);
    ck_assert_msg (rc == 0, "status: %d: %s", rc, out);
    ck_assert (s_status_of (out, "w1", state, &pid, kernel, &threads, link) == 0);
    ck_assert_msg (!strcmp (link, "connected"), "w1: %s", out);
    ck_assert (s_status_of (out, "w2", state, &pid, kernel, &threads, link) == 0);
    ck_assert_msg (!strcmp (link, "connected"), "w2: %s", out);

    rc = s_launch (&sshd, hosts, endpoint, "stop", out, sizeof out);
    ck_assert_msg (rc == 0, "stop: %d: %s", rc, out);
    ck_assert_msg (strstr (out, "(w1): stopped pid") && strstr (out, "(w2): stopped pid"),
                   "%s", out);
    for (int index = 0; index < 2; index++) {
        ck_assert_msg (th_wait_for_text (log, left [index], LEFT_MS),
                       "w%d said no BYE to the master", index + 1);
        ck_assert_msg (!s_is_worker (workers [index]), "w%d still runs", index + 1);
    }
    ck_assert_int_eq (s_pidfile (state_a), 0);
    ck_assert_int_eq (s_pidfile (state_b), 0);
    ck_assert_msg (kill (master, 0) == 0, "the long render ended by itself");
    th_stop (master);

    //  status of stopped workers: not running, status 1.
    rc = s_launch (&sshd, hosts, endpoint, "status", out, sizeof out);
    ck_assert_msg (rc == 1, "status: %d: %s", rc, out);
    ck_assert (s_status_of (out, "w1", state, &pid, kernel, &threads, link) == 0);
    ck_assert_str_eq (state, "stopped");
    ck_assert (s_status_of (out, "w2", state, &pid, kernel, &threads, link) == 0);
    ck_assert_str_eq (state, "stopped");
    th_stop (sshd.pid);
    free (hosts);
    free (master_cert);
    free (allow);
    free (png);
    free (ref);
    free (stats);
    free (log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("launch_ssh");
    TCase *script = tcase_create ("script");
    tcase_add_checked_fixture (script, th_dir_setup, th_dir_teardown);
    tcase_add_test (script, usage_errors);
    tcase_add_test (script, unreachable_host);
    suite_add_tcase (suite, script);
    //  The tests that start workers: the runner ends any they leave.
    TCase *sshd = tcase_create ("workers");
    tcase_set_timeout (sshd, 240);
    tcase_add_unchecked_fixture (sshd, s_states_setup, s_states_teardown);
    tcase_add_checked_fixture (sshd, th_dir_setup, th_dir_teardown);
    tcase_add_test (sshd, remote_side_here);
    tcase_add_test (sshd, start_status_stop);
    suite_add_tcase (suite, sshd);
    return th_run_suite (suite);
}
