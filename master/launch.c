/*  mf_launch: see launch.h. */
#include "launch.h"
#include "announce.h"
#include "auth.h"
#include "spawn.h"
#include "worker.h"
#include "mf_curve.h"
#include "mf_endpoint.h"
#include "mf_log.h"
#include "mf_outfile.h"
#include "mf_sys.h"
#include "mf_util.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct _mf_launch_t {
    const mf_options_t *opts;           //  the command line (the caller's)
    mf_curve_keys_t keys;               //  --cert's key pair until the authenticator has it
    mf_spawn_t *spawn;                  //  the local workers, or NULL
    mf_shm_t *shm;                      //  memory shared with them, or NULL
    mf_auth_t *auth;                    //  the authenticator for --cert, or NULL
    mf_announce_t *announce;            //  the beacon for --announce, or NULL
    char public_key [MF_CURVE_KEY_TXT + 1]; //  --cert's public key (for the beacon), or ""
    mf_engine_opts_t engine_opts;       //  what the engine is made with
    const char *socket_path;            //  --listen's ipc:// file, or NULL
    bool socket_made;                   //  the engine bound it: socket_dev/ino say which
    dev_t socket_dev;                   //  device of the socket file bound
    ino_t socket_ino;                   //  its inode
};

//  Loads --cert and checks --allow. Returns 0, or 2 having printed one line.
static int
s_check_keys (mf_launch_t *self)
{
    const mf_options_t *opts = self->opts;
    char err [1024];
    if (opts->cert && mf_curve_load (opts->cert, true, &self->keys, err, sizeof err)) {
        mf_say ("--cert: %s", err);
        return 2;
    }
    snprintf (self->public_key, sizeof self->public_key, "%s", self->keys.public_txt);
    int allowed = opts->allow? mf_auth_check_dir (opts->allow, err, sizeof err): 0;
    if (allowed < 0) {
        mf_say ("%s", err);
        return 2;
    }
    if (opts->allow && allowed == 0)
        mf_warn ("--allow: no public certificate in '%s' yet: no remote worker can join "
                 "until one is copied there", opts->allow);
    if (opts->listen && !opts->cert && !mf_endpoint_is_loopback (opts->listen))
        mf_warn ("--listen %s takes workers from the network with no keys: anyone "
                 "who reaches it can take tiles and send pixels, in the clear; use --cert and "
                 "--allow (README: \"Running a secure LAN farm\")", opts->listen);
    return 0;
}

//  The file of an ipc:// endpoint, or NULL (not ipc, an abstract name
//  "@...", or "*": libzmq then makes a fresh name of its own).
static const char *
s_socket_path (const char *endpoint)
{
    if (!endpoint || strncmp (endpoint, "ipc://", 6))
        return NULL;
    const char *path = endpoint + 6;
    return path [0] == '@' || strcmp (path, "*") == 0? NULL: path;
}

//  libzmq unlinks whatever an ipc:// path names before it binds: a file,
//  or the socket of another process that listens there. Only a path that
//  is free or a stale socket (nobody listens) may be bound. Returns 0, or
//  2 having printed one line.
static int
s_check_socket_path (const char *path)
{
    struct stat st;
    if (lstat (path, &st)) {
        if (errno == ENOENT)
            return 0;
        mf_say ("--listen: cannot reach '%s': %s", path, strerror (errno));
        return 2;
    }
    if (!S_ISSOCK (st.st_mode)) {
        mf_say ("--listen: '%s' exists and is %s, not a socket; binding there would delete "
                "it: give a path that is free", path,
                mf_outfile_kind (st.st_mode)? mf_outfile_kind (st.st_mode): "a regular file");
        return 2;
    }
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof address.sun_path) {
        mf_say ("--listen: '%s' is too long for a socket path", path);
        return 2;
    }
    strcpy (address.sun_path, path);
    int fd = socket (AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        mf_say ("--listen: cannot check '%s': %s", path, strerror (errno));
        return 2;
    }
    int rc = connect (fd, (struct sockaddr *) &address, sizeof address);
    int saved = errno;
    close (fd);
    if (rc == 0) {
        mf_say ("--listen: another process listens on '%s'; stop it, or give another path",
                path);
        return 2;
    }
    if (saved != ECONNREFUSED) {
        mf_say ("--listen: cannot tell whether '%s' is in use: %s; give another path",
                path, strerror (saved));
        return 2;
    }
    return 0;                           //  a stale socket: nobody listens there
}

mf_launch_t *
mf_launch_new (const mf_options_t *opts, int *status)
{
    //  Peers must not run the master out of descriptors under a small
    //  default soft limit: take what the hard limit allows.
    uint64_t before, after;
    if (mf_sys_raise_fd_limit (&before, &after) == 0) {
        if (after != before)
            mf_info ("open files: the limit is %llu (raised from %llu)",
                     (unsigned long long) after, (unsigned long long) before);
        else
            mf_info ("open files: the limit is %llu", (unsigned long long) after);
    }
    mf_launch_t *self = calloc (1, sizeof *self);
    if (!self) {
        mf_say ("out of memory");
        *status = 1;
        return NULL;
    }
    self->opts = opts;
    self->socket_path = s_socket_path (opts->listen);
    *status = s_check_keys (self);
    if (*status == 0 && self->socket_path)
        *status = s_check_socket_path (self->socket_path);
    if (*status) {
        mf_launch_destroy (&self);
        return NULL;
    }
    return self;
}

//  Maps the memory the local workers return their results in, before
//  they are forked: per process, two slots per tile it may hold (its
//  threads x MF_WORKER_DEPTH + 1 at most: a slot stays held until the
//  master has read it; pages are given only to slots used), each
//  for a whole tile of the largest edge, f64 for a view that is or may
//  go deep (the live viewer zooms below the deep threshold whatever view
//  it starts from: f32 slots would send each deep tile raw over the
//  socket). Without it (MF_SHM_ENV=0, or no memory) results travel raw
//  over the socket.
static void
s_share (mf_launch_t *self, int processes, int threads)
{
    const char *wanted = getenv (MF_LAUNCH_SHM_ENV);
    if (wanted && strcmp (wanted, "0") == 0)
        return;
    uint32_t edge = self->opts->tile? self->opts->tile: MF_TILE_MAX_EDGE;
    bool f64 = self->opts->deep || self->opts->live;
    size_t value = f64? sizeof (double): sizeof (float);
    char err [256];
    self->shm = mf_shm_new (processes, 2 * (threads * MF_WORKER_DEPTH + 1),
                            (size_t) edge * edge * value,
                            err, sizeof err);
    if (!self->shm)
        mf_warn ("%s; local workers send their results over the socket", err);
}

int
mf_launch_start (mf_launch_t *self)
{
    assert (self && !self->spawn && !self->auth);
    const mf_options_t *opts = self->opts;
    char err [1024];
    //  Fork first: no ZeroMQ context may exist yet. A deep render forks
    //  one worker with -j threads: each process builds its own BLA table
    //  (hundreds of MB at extreme depths) and keeps its own cache, and one
    //  table serves every thread of a process. A viewer that starts
    //  shallow keeps the shallow layout, -j processes, even though it
    //  may zoom deep (each process then builds its own table): the
    //  layout is fixed at the fork, and the shallow views a viewer starts
    //  from are its common case; only its slots are sized for depth.
    if (opts->local_workers > 0) {
        bool deep = opts->deep != NULL;
        int threads = opts->local_workers < MF_WORKER_MAX_THREADS? opts->local_workers
                                                                  : MF_WORKER_MAX_THREADS;
        int processes = deep? 1: opts->local_workers;
        int process_threads = deep? threads: 1;
        s_share (self, processes, process_threads);
        self->spawn = mf_spawn_new (processes, process_threads, opts->kernel, self->shm,
                                    err, sizeof err);
        if (!self->spawn) {
            mf_say ("%s", err);
            mf_curve_wipe (&self->keys);
            return 1;
        }
    }
    //  Fail closed: no CURVE listener unless the authenticator answers.
    if (opts->cert) {
        self->auth = mf_auth_new (&self->keys, opts->allow, err, sizeof err);
        if (!self->auth) {
            mf_say ("%s", err);
            mf_curve_wipe (&self->keys);
            return 1;
        }
    }
    //  The authenticator holds what it needs; no copy of the secret stays.
    mf_curve_wipe (&self->keys);
    //  The UDP port and the interface now, before anything listens: a
    //  master asked to announce that cannot is refused like a --listen
    //  that cannot bind. It broadcasts once it knows its port.
    if (opts->announce) {
        self->announce = mf_announce_new (opts->listen, opts->announce_port, err, sizeof err);
        if (!self->announce) {
            mf_say ("%s", err);
            return 2;
        }
    }
    self->engine_opts = (mf_engine_opts_t) {
        .local_endpoint = self->spawn? mf_spawn_endpoint (self->spawn): NULL,
        .listen_endpoint = opts->listen,
        .heartbeat_ms = opts->heartbeat_ms,
        .auth = self->auth,
        .max_tile_edge = opts->tile,
        .deep = opts->deep != NULL,
        .shm = self->shm
    };
    return 0;
}

const mf_engine_opts_t *
mf_launch_engine_opts (mf_launch_t *self)
{
    return &self->engine_opts;
}

int
mf_launch_bind_failed (const char *why)
{
    mf_say ("--listen: %s; use a free port on a local address, e.g. tcp://*:5555", why);
    return 2;
}

mf_engine_t *
mf_launch_engine (mf_launch_t *self, int *status)
{
    char err [512];
    mf_engine_t *engine = mf_engine_new (&self->engine_opts, err, sizeof err);
    if (!engine) {
        *status = mf_launch_bind_failed (err);
        return NULL;
    }
    //  Even with --quiet: where --listen let the system choose the port
    //  ("*"), this line is the only way to learn it.
    char bound [256];
    if (self->engine_opts.listen_endpoint
    &&  mf_engine_endpoint (engine, bound, sizeof bound) == 0)
        mf_say ("listening on %s", bound);
    else
        bound [0] = 0;
    mf_launch_bound (self, bound [0]? bound: NULL);
    return engine;
}

//  Starts the beacon of --announce for the endpoint the engine bound
//  (its port: the one the system chose where --listen said "*").
static void
s_announce (mf_launch_t *self, const char *bound)
{
    const char *colon = bound? strrchr (bound, ':'): NULL;
    long port;
    if (!colon || mf_parse_long (colon + 1, 1, 65535, &port)) {
        mf_warn ("--announce: cannot tell the port of '%s'; no beacon", bound? bound: "");
        return;
    }
    uint64_t id;
    mf_sys_random (&id, sizeof id);
    mf_beacon_t beacon = { .port = (uint16_t) port, .curve = self->public_key [0] != 0,
                           .id = id };
    snprintf (beacon.key, sizeof beacon.key, "%s", self->public_key);
    char err [256];
    if (mf_announce_start (self->announce, &beacon, err, sizeof err)) {
        mf_warn ("%s", err);
        return;
    }
    if (!self->opts->quiet)
        mf_say ("announcing tcp://%s:%ld on UDP port %d (beacon %016llx%s): workers started "
                "without --connect find this master", mf_announce_address (self->announce),
                port, self->opts->announce_port, (unsigned long long) id,
                beacon.curve? ", CURVE": "");
}

void
mf_launch_bound (mf_launch_t *self, const char *bound)
{
    mf_spawn_go (self->spawn);
    if (self->announce)
        s_announce (self, bound);
    struct stat st;
    if (self->socket_path && lstat (self->socket_path, &st) == 0 && S_ISSOCK (st.st_mode)) {
        self->socket_made = true;
        self->socket_dev = st.st_dev;
        self->socket_ino = st.st_ino;
    }
}

void
mf_launch_stop_workers (mf_launch_t *self)
{
    mf_announce_stop (self->announce);
    mf_spawn_destroy (&self->spawn);
}

void
mf_launch_destroy (mf_launch_t **self_p)
{
    assert (self_p);
    mf_launch_t *self = *self_p;
    if (!self)
        return;
    mf_announce_destroy (&self->announce);
    mf_spawn_destroy (&self->spawn);
    mf_shm_destroy (&self->shm);
    mf_auth_destroy (&self->auth);
    //  libzmq leaves the socket file behind. Remove it only if it is still
    //  the one we bound: another master may have taken the path since.
    struct stat st;
    if (self->socket_made && lstat (self->socket_path, &st) == 0 && S_ISSOCK (st.st_mode)
    &&  st.st_dev == self->socket_dev && st.st_ino == self->socket_ino)
        unlink (self->socket_path);
    mf_curve_wipe (&self->keys);
    free (self);
    *self_p = NULL;
}
