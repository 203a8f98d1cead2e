/*  mf_auth: see auth.h.

    One thread besides the caller's: the ZAP handler, an actor that
    answers libzmq's requests on inproc://zeromq.zap.01. The guarded
    socket's handshake failures come from the engine, which owns that
    socket's monitor (libzmq allows one per socket, and the engine needs
    it to cap the listener); they are logged here, so an operator sees a
    stranger being turned away (and why) instead of a worker that
    silently never joins.
*/
#include "auth.h"
#include "mf_log.h"
#include "mf_vec.h"

#include <assert.h>
#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"   //  RFC 27: the one ZAP handler of a context
#define ZAP_VERSION "1.0"                       //  RFC 27's version frame
#define PROBE_SEQUENCE "mf-probe"               //  request id of our probes
#define LOG_FIRST 10                            //  refusals logged one by one, then 1 in LOG_EVERY
#define LOG_EVERY 100
#define HANDLER_TAKEN 1                         //  the ZAP endpoint is bound already
#define HANDLER_NO_MEMORY 2                     //  the handler could not start

struct _mf_auth_t {
    zactor_t *handler;                  //  the ZAP handler
    atomic_int handler_failed;          //  set by the handler before it signals: why it
                                        //  cannot run (HANDLER_TAKEN, HANDLER_NO_MEMORY)
    mf_curve_keys_t keys;               //  the master's key pair
    char dir [PATH_MAX];                //  the allow directory, absolute
    atomic_ulong refused;               //  handshakes refused so far
};

//  The allowed keys as the handler last read them (its thread's alone).
typedef struct {
    mf_vec_t *keys;                     //  public keys, binary, MF_CURVE_KEY_BIN bytes each
    uint64_t fingerprint;               //  of the directory when read; 0: never read
} s_allowed_t;

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t len = strlen (text), suffix_len = strlen (suffix);
    return len >= suffix_len && strcmp (text + len - suffix_len, suffix) == 0;
}

//  Called for each public certificate s_scan finds.
typedef void (s_found_fn) (void *arg, const mf_curve_keys_t *keys);

//  Reads dir as the handler does: every regular file not ending in
//  _secret is a certificate. Returns the number of public certificates
//  (each passed to fn if not NULL), or -1 if dir cannot be read. With
//  warn, logs what an operator should know about the other files.
static int
s_scan (const char *dir, bool warn, s_found_fn *fn, void *arg, char *err, size_t errlen)
{
    DIR *handle = opendir (dir);
    if (!handle) {
        snprintf (err, errlen, "--allow: cannot read the directory '%s': %s; give a directory "
                  "of workers' public certificates", dir, strerror (errno));
        return -1;
    }
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        if (strcmp (entry->d_name, ".") == 0 || strcmp (entry->d_name, "..") == 0)
            continue;
        char path [PATH_MAX + 256];
        snprintf (path, sizeof path, "%s/%s", dir, entry->d_name);
        struct stat st;
        if (stat (path, &st) || !S_ISREG (st.st_mode))
            continue;
        if (s_ends_with (entry->d_name, "_secret")) {
            if (warn)
                mf_warn ("--allow: '%s' is a secret certificate, which is ignored; the allow "
                         "directory needs only workers' public certificates", path);
            continue;
        }
        //  mf_curve_load refuses a file larger than a certificate unread.
        mf_curve_keys_t keys;
        char why [PATH_MAX + 256];
        int rc = mf_curve_load (path, false, &keys, why, sizeof why);
        if (rc < 0) {
            if (warn)
                mf_warn ("--allow: %s; keep only public certificates in '%s'", why, dir);
            continue;
        }
        if (rc == 1 && warn)
            mf_warn ("--allow: '%s' also holds a secret key; a worker's secret key should "
                     "never leave its machine (copy only the public certificate)", path);
        if (fn)
            fn (arg, &keys);
        count++;
    }
    closedir (handle);
    return count;
}

int
mf_auth_check_dir (const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "--allow: '%s' is not a directory; give a directory of "
                  "workers' public certificates", dir);
        return -1;
    }
    return s_scan (dir, true, NULL, NULL, err, errlen);
}

//  FNV-1a over bytes, continuing from hash.
static uint64_t
s_hash (uint64_t hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    for (size_t index = 0; index < size; index++)
        hash = (hash ^ bytes [index]) * 0x100000001b3u;
    return hash;
}

//  What the directory looks like, without reading a file: its entries'
//  names, inodes, sizes and times. 0 if it cannot be read.
static uint64_t
s_fingerprint (const char *dir)
{
    DIR *handle = opendir (dir);
    if (!handle)
        return 0;
    uint64_t hash = 0xcbf29ce484222325u;
    struct stat st;
    if (fstat (dirfd (handle), &st) == 0)
        hash = s_hash (hash, &st.st_mtim, sizeof st.st_mtim);
    struct dirent *entry;
    //  readdir's order is the directory's; one file changed still changes
    //  the sum below whatever the order.
    uint64_t sum = 0;
    while ((entry = readdir (handle))) {
        uint64_t one = s_hash (0xcbf29ce484222325u, entry->d_name, strlen (entry->d_name));
        if (fstatat (dirfd (handle), entry->d_name, &st, 0) == 0) {
            one = s_hash (one, &st.st_ino, sizeof st.st_ino);
            one = s_hash (one, &st.st_size, sizeof st.st_size);
            one = s_hash (one, &st.st_mtim, sizeof st.st_mtim);
            one = s_hash (one, &st.st_ctim, sizeof st.st_ctim);
        }
        sum += one;
    }
    closedir (handle);
    hash = s_hash (hash, &sum, sizeof sum);
    return hash? hash: 1;
}

static void
s_add_key (void *arg, const mf_curve_keys_t *keys)
{
    s_allowed_t *allowed = arg;
    unsigned char key [MF_CURVE_KEY_BIN];
    //  Out of memory that worker is refused: fail closed.
    if (mf_curve_z85_key (keys->public_txt, key) == 0)
        mf_vec_push (allowed->keys, key);
}

//  Whether key is allowed now: reads the directory again first if it
//  changed since the last time (warning about its files then, but not
//  the first time: mf_auth_check_dir did at start).
static bool
s_is_allowed (mf_auth_t *self, s_allowed_t *allowed, const unsigned char *key)
{
    uint64_t fingerprint = s_fingerprint (self->dir);
    if (fingerprint == 0) {
        mf_vec_clear (allowed->keys);
        allowed->fingerprint = 0;
        return false;
    }
    if (fingerprint != allowed->fingerprint) {
        bool again = allowed->fingerprint != 0;
        char err [PATH_MAX + 128];
        mf_vec_clear (allowed->keys);
        if (s_scan (self->dir, again, s_add_key, allowed, err, sizeof err) < 0) {
            mf_vec_clear (allowed->keys);
            return false;
        }
        allowed->fingerprint = fingerprint;
    }
    const unsigned char *known;
    for (size_t index = 0; (known = mf_vec_at (allowed->keys, index)); index++)
        if (memcmp (known, key, MF_CURVE_KEY_BIN) == 0)
            return true;
    return false;
}

//  Answers one ZAP request (RFC 27): 200 for a CURVE client whose key is
//  allowed, 400 for anything else.
static void
s_answer (mf_auth_t *self, zsock_t *zap, s_allowed_t *allowed)
{
    zmsg_t *request = zmsg_recv (zap);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    const char *code = "400", *text = "not allowed";
    char user [MF_CURVE_KEY_TXT + 1] = "";
    if (!version || strcmp (version, ZAP_VERSION) || !sequence) {
        //  Not a request libzmq would send: answered all the same, so that
        //  the REP socket can take the next one.
        code = "500";
        text = "bad request";
    }
    else
    if (mechanism && strcmp (mechanism, "CURVE") == 0 && domain
    &&  strcmp (domain, MF_CURVE_DOMAIN) == 0 && credentials
    &&  zframe_size (credentials) == MF_CURVE_KEY_BIN
    &&  s_is_allowed (self, allowed, zframe_data (credentials))) {
        code = "200";
        text = "OK";
        zmq_z85_encode (user, zframe_data (credentials), MF_CURVE_KEY_BIN);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, ZAP_VERSION);
    zmsg_addstr (reply, sequence? sequence: "");
    zmsg_addstr (reply, code);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user);
    zmsg_addmem (reply, NULL, 0);       //  no metadata
    zmsg_send (&reply, zap);
    zmsg_destroy (&reply);
    zframe_destroy (&credentials);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zmsg_destroy (&request);
}

//  The handler actor: binds the ZAP endpoint (fails if it is taken:
//  another handler runs in this process), then answers until $TERM.
static void
s_handler (zsock_t *pipe, void *arg)
{
    mf_auth_t *self = (mf_auth_t *) arg;
    s_allowed_t allowed = { mf_vec_new (MF_CURVE_KEY_BIN), 0 };
    zsock_t *zap = allowed.keys? zsock_new (ZMQ_REP): NULL;
    if (!zap || zsock_bind (zap, ZAP_ENDPOINT) != 0) {
        atomic_store (&self->handler_failed, allowed.keys? HANDLER_TAKEN: HANDLER_NO_MEMORY);
        zsock_destroy (&zap);
        mf_vec_destroy (&allowed.keys);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_set_linger (zap, 0);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, zap, NULL);
    while (poller) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe || (!which && zpoller_terminated (poller)))
            break;              //  $TERM, or the context is going away
        if (which == zap)
            s_answer (self, zap, &allowed);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&zap);
    mf_vec_destroy (&allowed.keys);
}

//  Asks the ZAP handler about a CURVE client key, as libzmq would.
//  Returns 0 if it answered status (e.g. "400"), or -1 with the reason.
static int
s_probe (const char *key_txt, const char *status, char *err, size_t errlen)
{
    unsigned char key [MF_CURVE_KEY_BIN];
    if (mf_curve_z85_key (key_txt, key)) {
        snprintf (err, errlen, "cannot probe the authenticator: bad key");
        return -1;
    }
    zsock_t *req = zsock_new (ZMQ_REQ);
    if (!req) {
        snprintf (err, errlen, "cannot probe the authenticator: no socket");
        return -1;
    }
    zsock_set_linger (req, 0);
    zsock_set_rcvtimeo (req, MF_AUTH_PROBE_MS);
    zsock_set_sndtimeo (req, MF_AUTH_PROBE_MS);
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, ZAP_VERSION);
    zmsg_addstr (request, PROBE_SEQUENCE);
    zmsg_addstr (request, MF_CURVE_DOMAIN);
    zmsg_addstr (request, "127.0.0.1");
    zmsg_addstr (request, "");
    zmsg_addstr (request, "CURVE");
    zmsg_addmem (request, key, sizeof key);
    zmsg_t *reply = NULL;
    if (zsock_connect (req, ZAP_ENDPOINT) == 0 && zmsg_send (&request, req) == 0)
        reply = zmsg_recv (req);
    zmsg_destroy (&request);
    zsock_destroy (&req);
    char *version = reply? zmsg_popstr (reply): NULL;
    char *sequence = reply? zmsg_popstr (reply): NULL;
    char *code = reply? zmsg_popstr (reply): NULL;
    bool ok = version && sequence && code && streq (version, ZAP_VERSION)
           && streq (sequence, PROBE_SEQUENCE) && streq (code, status);
    const char *whose = streq (status, "200")? "an allowed": "a stranger's";
    if (!ok && !reply)
        snprintf (err, errlen, "the authenticator did not answer a probe for %s key "
                  "within %d ms", whose, MF_AUTH_PROBE_MS);
    else
    if (!ok)
        snprintf (err, errlen, "the authenticator answered '%s' instead of '%s' to a probe "
                  "for %s key", code? code: "", status, whose);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&code);
    zmsg_destroy (&reply);
    return ok? 0: -1;
}

//  Keeps the first key s_scan finds, for the probe.
static void
s_first_key (void *arg, const mf_curve_keys_t *keys)
{
    char *first = arg;
    if (!first [0])
        memcpy (first, keys->public_txt, sizeof keys->public_txt);
}

mf_auth_t *
mf_auth_new (const mf_curve_keys_t *keys, const char *allow_dir, char *err, size_t errlen)
{
    if (!mf_curve_available ()) {
        snprintf (err, errlen, "--cert: this libzmq was built without CURVE security; "
                  "install Debian's libzmq5 (built with libsodium)");
        return NULL;
    }
    mf_auth_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->keys = *keys;
    //  An absolute path: the working directory must not matter.
    struct stat st;
    if (!realpath (allow_dir, self->dir) || stat (self->dir, &st) || !S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "--allow: '%s' is not a directory; give a directory of "
                  "workers' public certificates", allow_dir);
        mf_auth_destroy (&self);
        return NULL;
    }
    char known [MF_CURVE_KEY_TXT + 1] = "";
    if (s_scan (self->dir, false, s_first_key, known, err, errlen) < 0) {
        mf_auth_destroy (&self);
        return NULL;
    }
    //  zactor_new returns once the handler has signalled, whatever it said.
    self->handler = zactor_new (s_handler, self);
    if (!self->handler || atomic_load (&self->handler_failed)) {
        snprintf (err, errlen, "cannot start the authenticator: %s",
                  atomic_load (&self->handler_failed) == HANDLER_TAKEN
                  ? "another ZAP handler runs in this process": "out of memory");
        mf_auth_destroy (&self);
        return NULL;
    }
    char stranger_public [MF_CURVE_KEY_TXT + 1], stranger_secret [MF_CURVE_KEY_TXT + 1];
    char why [256] = "";
    bool ok = zmq_curve_keypair (stranger_public, stranger_secret) == 0
           && s_probe (stranger_public, "400", why, sizeof why) == 0
           && (!known [0] || s_probe (known, "200", why, sizeof why) == 0);
    explicit_bzero (stranger_secret, sizeof stranger_secret);
    if (!ok) {
        snprintf (err, errlen, "cannot start the authenticator: %s; refusing to listen "
                  "without it", why [0]? why: "it could not make a probe key");
        mf_auth_destroy (&self);
        return NULL;
    }
    return self;
}

void
mf_auth_handshake_failed (mf_auth_t *self, int event, uint32_t detail)
{
    const char *why =
        event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH?
            "its key is not in the allow directory"
      : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        && detail == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH?
            "it does not use CURVE (a worker without --cert?)"
      : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        && detail == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC?
            "its CURVE handshake does not decrypt (a worker with another --master-key?)"
      :     "its handshake failed";
    unsigned long count = atomic_fetch_add (&self->refused, 1) + 1;
    if (count <= LOG_FIRST || count % LOG_EVERY == 0)
        mf_warn ("refused a connection: %s (%lu refused so far)", why, count);
}

int
mf_auth_server (mf_auth_t *self, void *socket, char *err, size_t errlen)
{
    assert (self && self->handler);
    return mf_curve_server (socket, &self->keys, err, errlen);
}

unsigned long
mf_auth_refused (mf_auth_t *self)
{
    return atomic_load (&self->refused);
}

void
mf_auth_destroy (mf_auth_t **self_p)
{
    assert (self_p);
    mf_auth_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->handler);
    mf_curve_wipe (&self->keys);
    free (self);
    *self_p = NULL;
}
