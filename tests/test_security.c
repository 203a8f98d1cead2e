/*  Security: keys, the authenticator, and a farm that strangers cannot
    join. Unit checks of the pure parts (which endpoints are loopback-only,
    the certificate reader), in-process checks of the CURVE sockets and
    mf_auth, then real processes: mandelfarm-keygen, and a CURVE master
    with workers holding an allowed key, a stranger's key, no key, or the
    wrong master's key. Loopback only; every process is ended by its pid.
*/
#include "helpers.h"
#include "auth.h"
#include "engine.h"
#include "mf_curve.h"
#include "mf_endpoint.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <czmq.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zmq.h>
#include <unistd.h>

#define RENDER_MS 60000                 //  msecs any one render may take at most
#define THROUGH_MS 2000                 //  msecs an admitted client has to get a message through
#define BLOCKED_MS 400                  //  msecs a refused client is watched for leaks
#define START_MS 10000                  //  msecs a process may take to start and connect
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500"


//  A path in the test's directory (a static buffer of 8 in rotation).
static char *
s_file (const char *name)
{
    static char paths [8][600];
    static int next = 0;
    char *path = paths [next++ % 8];
    snprintf (path, 600, "%s/%s", th_dir, name);
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

//  --- which endpoints stay on this machine -----------------------------

START_TEST (endpoint_loopback)
{
    const char *loopback [] = {
        "tcp://127.0.0.1:5555", "tcp://127.3.2.1:1", "tcp://127.255.255.255:65535",
        "tcp://localhost:5555", "tcp://[::1]:5555", "tcp://[::ffff:127.0.0.1]:5555",
        "tcp://lo:5555", "tcp://127.0.0.1:*", "ipc:///tmp/farm", "ipc://@farm",
        "inproc://farm"
    };
    const char *open_to_all [] = {
        "tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://[::]:5555", "tcp://192.0.2.10:5555",
        "tcp://198.51.100.1:5555", "tcp://eth0:5555", "tcp://farm.example.org:5555",
        "tcp://128.0.0.1:5555", "tcp://::1:5555", "tcp://127.0.0.1", "tcp://127.0.0.1:",
        "tcp://127.0.0.1:0", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:55x",
        "tcp://127.1:5555", "tcp://127.0.0.1;192.0.2.1:5555", "tcp://[::1:5555",
        "tcp://:5555", "udp://127.0.0.1:5555", "ipc://", "127.0.0.1:5555", "", NULL
    };
    for (size_t index = 0; index < sizeof loopback / sizeof loopback [0]; index++)
        ck_assert_msg (mf_endpoint_is_loopback (loopback [index]),
                       "'%s' should be loopback-only", loopback [index]);
    for (size_t index = 0; index < sizeof open_to_all / sizeof open_to_all [0]; index++)
        ck_assert_msg (!mf_endpoint_is_loopback (open_to_all [index]),
                       "'%s' should not count as loopback-only",
                       open_to_all [index]? open_to_all [index]: "NULL");
}
END_TEST

//  --- the certificate reader --------------------------------------------

#define KEY_A "Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F["
#define KEY_B "H5d&zs<.Y<!WL)QgqUtw1g0W2{91.K[TaUtyzPqN"     //  KEY_A's secret
#define KEY_C "[>m4mYLo(D3d#Lot=ExTjBGmq8*}l-b7?$1nf]5Z"     //  another public key

static int
s_parse (const char *text, mf_curve_keys_t *keys, char *err)
{
    err [0] = 0;
    return mf_curve_parse (text, strlen (text), keys, err, 128);
}

START_TEST (cert_parse)
{
    mf_curve_keys_t keys;
    char err [128];
    //  What zcert_save writes.
    ck_assert_int_eq (s_parse ("#   ZeroMQ CURVE **Secret** Certificate\n\nmetadata\n"
                               "    name = \"host\"\ncurve\n    public-key = \"" KEY_A "\"\n"
                               "    secret-key = \"" KEY_B "\"\n", &keys, err), 0);
    ck_assert_str_eq (keys.public_txt, KEY_A);
    ck_assert_str_eq (keys.secret_txt, KEY_B);
    //  A public certificate; CRLF, single quotes, a trailing comment.
    ck_assert_int_eq (s_parse ("curve\r\n    public-key = '" KEY_A "'   # the key\r\n",
                               &keys, err), 0);
    ck_assert_str_eq (keys.public_txt, KEY_A);
    ck_assert_str_eq (keys.secret_txt, "");
    //  Unquoted; a deeper level under a key is not the key.
    ck_assert_int_eq (s_parse ("curve\n    public-key = " KEY_A "\n"
                               "        public-key = \"" KEY_C "\"\n", &keys, err), 0);
    ck_assert_str_eq (keys.public_txt, KEY_A);
    struct { const char *text, *why; } bad [] = {
        { "", "no public-key" },
        { "metadata\n    public-key = \"" KEY_A "\"\n", "no public-key" },
        { "curve\n    secret-key = \"" KEY_B "\"\n", "no public-key" },
        { "curve\n    public-key = \"" KEY_A "x\"\n", "Z85" },
        { "curve\n    public-key = \"short\"\n", "Z85" },
        //  '"' is not Z85, and "#####" says more than four bytes hold.
        { "curve\n    public-key = \"Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F\"\"\n", "junk follows" },
        { "curve\n    public-key = \"#####$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F[\"\n", "Z85" },
        { "curve\n    public-key = \"" KEY_A "\"\n    public-key = \"" KEY_B "\"\n", "twice" },
        { "curve\n    public-key = \"" KEY_A "\n", "not closed" },
        { "curve\n    public-key \"" KEY_A "\"\n", "NAME = VALUE" },
        { "curve\n    public-key = \"" KEY_A "\" junk\n", "junk follows" },
        //  A bad line anywhere spoils the file, as it does for zconfig.
        { "metadata\n    n\"x\"\ncurve\n    public-key = \"" KEY_A "\"\n", "NAME = VALUE" },
        { "curve junk\n    public-key = \"" KEY_A "\"\n", "NAME = VALUE" },
        { "curve\n    public-key = \"" KEY_A "\"\ncurve\n", "two curve sections" },
        { "curve\n    public-key = #" KEY_A "\n", "starts with '#'" },
        //  Only what zconfig (so zauth) reads the same way: 4 spaces a level.
        { "curve\n\tpublic-key = \"" KEY_A "\"\n", "NAME = VALUE" },
        { "curve\n  public-key = \"" KEY_A "\"\n", "indentation" },
        { "curve\n        public-key = \"" KEY_A "\"\n", "indentation" },
        { "    curve\n    public-key = \"" KEY_A "\"\n", "indentation" },
        //  Unquoted, '#' starts a comment (though it is a Z85 character).
        { "curve\n    public-key = Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F#\n", "Z85" },
        { "curve\n    public-key = Z{tD){hAU$i:l1Z]}C1b jNA>dt67qO+KzOd*T4F[\n", "Z85" },
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        ck_assert_msg (s_parse (bad [index].text, &keys, err) == -1, "case %zu accepted", index);
        ck_assert_msg (strstr (err, bad [index].why), "case %zu: '%s' lacks '%s'",
                       index, err, bad [index].why);
        ck_assert_str_eq (keys.secret_txt, "");
    }
    //  Binary data and oversized input are refused before any parsing.
    char binary [] = "curve\n    public-key = \"" KEY_A "\"\n\0";
    ck_assert_int_eq (mf_curve_parse (binary, sizeof binary, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "binary"));
    ck_assert_int_eq (mf_curve_parse (binary, MF_CURVE_FILE_MAX + 1, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "too large"));
    unsigned char bin [MF_CURVE_KEY_BIN];
    ck_assert_int_eq (mf_curve_z85_key (KEY_A, bin), 0);
    ck_assert_int_eq (mf_curve_z85_key ("0000000000000000000000000000000000000000", bin), 0);
    for (int index = 0; index < MF_CURVE_KEY_BIN; index++)
        ck_assert_uint_eq (bin [index], 0);
}
END_TEST

START_TEST (cert_load)
{
    zcert_t *cert = zcert_new ();
    ck_assert_int_eq (zcert_save (cert, s_file ("a.cert")), 0);
    chmod (s_file ("a.cert_secret"), 0600);
    mf_curve_keys_t keys;
    char err [1024];
    ck_assert_int_eq (mf_curve_load (s_file ("a.cert_secret"), true, &keys, err, sizeof err), 0);
    ck_assert_str_eq (keys.public_txt, zcert_public_txt (cert));
    ck_assert_str_eq (keys.secret_txt, zcert_secret_txt (cert));
    //  As a public certificate it still loads, saying it held a secret.
    ck_assert_int_eq (mf_curve_load (s_file ("a.cert_secret"), false, &keys, err, sizeof err), 1);
    ck_assert_str_eq (keys.secret_txt, "");
    ck_assert_int_eq (mf_curve_load (s_file ("a.cert"), false, &keys, err, sizeof err), 0);
    ck_assert_str_eq (keys.public_txt, zcert_public_txt (cert));
    //  A public certificate where a secret one is needed.
    ck_assert_int_eq (mf_curve_load (s_file ("a.cert"), true, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "holds no secret key"));
    //  A secret key others may read, as ssh refuses it.
    chmod (s_file ("a.cert_secret"), 0644);
    ck_assert_int_eq (mf_curve_load (s_file ("a.cert_secret"), true, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "chmod 600"));
    //  A secret that does not belong to its public key.
    s_write (s_file ("mixed_secret"), "curve\n    public-key = \"" KEY_C "\"\n"
             "    secret-key = \"" KEY_B "\"\n", 0600);
    ck_assert_int_eq (mf_curve_load (s_file ("mixed_secret"), true, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "does not match"));
    ck_assert_str_eq (keys.secret_txt, "");
    //  Not a file (a directory, a FIFO that must not block us), no file, a PNG.
    ck_assert_int_eq (mf_curve_load (th_dir, false, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "not a file"));
    ck_assert_int_eq (mkfifo (s_file ("fifo"), 0600), 0);
    ck_assert_int_eq (mf_curve_load (s_file ("fifo"), true, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "not a file"));
    ck_assert_int_eq (mf_curve_load (s_file ("none"), false, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "cannot read"));
    s_write (s_file ("image.png"), "\x89PNG\r\n\x1a\n", 0644);
    ck_assert_int_eq (mf_curve_load (s_file ("image.png"), false, &keys, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "not a certificate"));
    zcert_destroy (&cert);
}
END_TEST

//  --- CURVE sockets and the authenticator, in process ------------------

//  Whether one message from client reaches server within msecs.
static bool
s_gets_through (zsock_t *server, zsock_t *client, int msecs)
{
    zstr_send (client, "hello");
    zpoller_t *poller = zpoller_new (server, NULL);
    bool through = zpoller_wait (poller, msecs) == server;
    zpoller_destroy (&poller);
    if (through) {
        zmsg_t *msg = zmsg_recv (server);
        zmsg_destroy (&msg);
    }
    return through;
}

static zsock_t *
s_client (int port, const mf_curve_keys_t *keys, const char *server_key)
{
    zsock_t *client = zsock_new (ZMQ_DEALER);
    ck_assert_ptr_nonnull (client);
    zsock_set_linger (client, 0);
    char err [256];
    if (keys)
        ck_assert_int_eq (mf_curve_client (client, keys, server_key, err, sizeof err), 0);
    ck_assert_int_eq (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    return client;
}

static void
s_keys (mf_curve_keys_t *keys)
{
    ck_assert_int_eq (zmq_curve_keypair (keys->public_txt, keys->secret_txt), 0);
}

//  The reason mf_auth exists: a CURVE server with our options and no ZAP
//  handler lets nobody in, where libzmq's default lets everybody in.
START_TEST (no_handler_fails_closed)
{
    mf_curve_keys_t server_keys, client_keys;
    s_keys (&server_keys);
    s_keys (&client_keys);
    char err [256];
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (server, 0);
    ck_assert_int_eq (mf_curve_server (server, &server_keys, err, sizeof err), 0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    zsock_t *client = s_client (port, &client_keys, server_keys.public_txt);
    ck_assert_msg (!s_gets_through (server, client, BLOCKED_MS),
                   "a CURVE client got in with no ZAP handler running");
    zsock_destroy (&client);
    zsock_destroy (&server);
    //  The control: the same server without ZMQ_ZAP_ENFORCE_DOMAIN.
    server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (server, 0);
    ck_assert_int_eq (mf_curve_server (server, &server_keys, err, sizeof err), 0);
    int off = 0;
    ck_assert_int_eq (zmq_setsockopt (zsock_resolve (server), 93, &off, sizeof off), 0);
    port = zsock_bind (server, "tcp://127.0.0.1:*");
    client = s_client (port, &client_keys, server_keys.public_txt);
    ck_assert_msg (s_gets_through (server, client, THROUGH_MS),
                   "the control failed: without enforcement the client should get in");
    zsock_destroy (&client);
    zsock_destroy (&server);
    zsys_shutdown ();
}
END_TEST

//  An allow directory holding one worker's public certificate.
static void
s_allow (const mf_curve_keys_t *worker)
{
    char *allow = s_file ("allow");
    ck_assert_int_eq (mkdir (allow, 0755), 0);
    char text [256];
    snprintf (text, sizeof text, "curve\n    public-key = \"%s\"\n", worker->public_txt);
    char path [700];
    snprintf (path, sizeof path, "%s/worker.cert", allow);
    s_write (path, text, 0644);
}

START_TEST (auth_admits_only_allowed)
{
    mf_curve_keys_t master, worker, stranger, impostor;
    s_keys (&master);
    s_keys (&worker);
    s_keys (&stranger);
    s_keys (&impostor);
    s_allow (&worker);
    char err [512];
    ck_assert_int_eq (mf_auth_check_dir (s_file ("allow"), err, sizeof err), 1);
    mf_auth_t *auth = mf_auth_new (&master, s_file ("allow"), err, sizeof err);
    ck_assert_msg (auth != NULL, "%s", err);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (server, 0);
    ck_assert_int_eq (mf_auth_server (auth, server, err, sizeof err), 0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    ck_assert_int_gt (port, 0);
    //  Refused: a stranger's key, no key, the right key but another server key.
    zsock_t *clients [] = {
        s_client (port, &stranger, master.public_txt),
        s_client (port, NULL, NULL),
        s_client (port, &worker, impostor.public_txt)
    };
    for (int index = 0; index < 3; index++)
        ck_assert_msg (!s_gets_through (server, clients [index], BLOCKED_MS),
                       "refused client %d got a message through", index);
    //  The allowed worker gets in, and its messages arrive.
    zsock_t *allowed = s_client (port, &worker, master.public_txt);
    ck_assert (s_gets_through (server, allowed, THROUGH_MS));
    ck_assert (s_gets_through (server, allowed, THROUGH_MS));
    for (int index = 0; index < 3; index++)
        zsock_destroy (&clients [index]);
    zsock_destroy (&allowed);
    zsock_destroy (&server);
    mf_auth_destroy (&auth);
    mf_auth_destroy (&auth);            //  safe twice
    zsys_shutdown ();
}
END_TEST

START_TEST (engine_reports_refusals)
{
    //  The engine holds its CURVE listener's one monitor (which also caps
    //  the listener) and passes each failed handshake to mf_auth, which
    //  counts and logs it: a stranger's key, no key, the right key but
    //  another server key.
    mf_curve_keys_t master, worker, stranger, impostor;
    s_keys (&master);
    s_keys (&worker);
    s_keys (&stranger);
    s_keys (&impostor);
    s_allow (&worker);
    char err [512];
    mf_auth_t *auth = mf_auth_new (&master, s_file ("allow"), err, sizeof err);
    ck_assert_msg (auth != NULL, "%s", err);
    mf_engine_opts_t opts = { .listen_endpoint = "tcp://127.0.0.1:*", .auth = auth };
    mf_engine_t *engine = mf_engine_new (&opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    char endpoint [64];
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, sizeof endpoint), 0);
    int port = th_endpoint_port (endpoint);
    ck_assert_int_gt (port, 0);
    zsock_t *clients [] = {
        s_client (port, &stranger, master.public_txt),
        s_client (port, NULL, NULL),
        s_client (port, &worker, impostor.public_txt)
    };
    int64_t deadline = zclock_mono () + THROUGH_MS;
    while (mf_auth_refused (auth) < 3 && zclock_mono () < deadline)
        mf_engine_poll (engine, 10, NULL);
    ck_assert_uint_eq (mf_auth_refused (auth), 3);
    for (int index = 0; index < 3; index++)
        zsock_destroy (&clients [index]);
    mf_engine_destroy (&engine);
    mf_auth_destroy (&auth);
    zsys_shutdown ();
}
END_TEST

START_TEST (auth_refuses_to_start_badly)
{
    mf_curve_keys_t master;
    s_keys (&master);
    char err [512];
    //  Not a directory.
    ck_assert_ptr_null (mf_auth_new (&master, s_file ("none"), err, sizeof err));
    ck_assert_ptr_nonnull (strstr (err, "--allow"));
    ck_assert_int_eq (mf_auth_check_dir (s_file ("none"), err, sizeof err), -1);
    //  A directory named "*", zauth's word for "any key", is a directory.
    ck_assert_int_eq (mkdir (s_file ("*"), 0755), 0);
    ck_assert_int_eq (chdir (th_dir), 0);
    mf_auth_t *auth = mf_auth_new (&master, "*", err, sizeof err);
    ck_assert_msg (auth != NULL, "%s", err);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (server, 0);
    ck_assert_int_eq (mf_auth_server (auth, server, err, sizeof err), 0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    mf_curve_keys_t anyone;
    s_keys (&anyone);
    zsock_t *client = s_client (port, &anyone, master.public_txt);
    ck_assert_msg (!s_gets_through (server, client, BLOCKED_MS), "'*' let anyone in");
    zsock_destroy (&client);
    zsock_destroy (&server);
    //  A second authenticator in the process: refused, no abort.
    mf_auth_t *second = mf_auth_new (&master, "*", err, sizeof err);
    ck_assert_ptr_null (second);
    ck_assert_ptr_nonnull (strstr (err, "another ZAP handler"));
    mf_auth_destroy (&auth);
    rmdir (s_file ("*"));
    zsys_shutdown ();
}
END_TEST

//  --- mandelfarm-keygen -------------------------------------------------

static int
s_keygen (const char *path, bool force, char *out, size_t size)
{
    char *argv [] = { (char *) th_bin ("mandelfarm-keygen"), force? "--force": (char *) path,
                      force? (char *) path: NULL, NULL };
    return th_run (argv, 10000, out, size);
}

static mode_t
s_mode (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0? st.st_mode & 07777: (mode_t) -1;
}

START_TEST (keygen_round_trip)
{
    char out [2048];
    char *pub = strdup (s_file ("node.cert")), *sec = strdup (s_file ("node.cert_secret"));
    ck_assert_int_eq (s_keygen (pub, false, out, sizeof out), 0);
    ck_assert_uint_eq (s_mode (sec), 0600);
    ck_assert_uint_eq (s_mode (pub), 0644);
    //  CZMQ reads both back: the same public key, the secret only in the secret file.
    zcert_t *public_cert = zcert_load (pub);
    zcert_t *secret_cert = zcert_load (sec);
    ck_assert_ptr_nonnull (public_cert);
    ck_assert_ptr_nonnull (secret_cert);
    ck_assert_str_eq (zcert_public_txt (public_cert), zcert_public_txt (secret_cert));
    ck_assert_str_ne (zcert_secret_txt (secret_cert), "0000000000000000000000000000000000000000");
    char derived [41];
    ck_assert_int_eq (zmq_curve_public (derived, zcert_secret_txt (secret_cert)), 0);
    ck_assert_str_eq (derived, zcert_public_txt (public_cert));
    size_t size;
    char *text = (char *) th_slurp (pub, &size);
    ck_assert_ptr_nonnull (text);
    ck_assert_msg (!memmem (text, size, "secret-key", 10), "the public file holds a secret");
    free (text);
    //  Again: refused, one line naming the file and --force, nothing changed.
    uint8_t *before = th_slurp (sec, &size);
    ck_assert_int_eq (s_keygen (pub, false, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "node.cert"));
    ck_assert_ptr_nonnull (strstr (out, "--force"));
    ck_assert (strchr (out, '\n') && strchr (out, '\n') [1] == 0);
    size_t size_after;
    uint8_t *after = th_slurp (sec, &size_after);
    ck_assert (size == size_after && memcmp (before, after, size) == 0);
    free (after);
    //  Only the secret file left: still refused.
    char *lonely = strdup (s_file ("lonely.cert"));
    ck_assert_int_eq (s_keygen (lonely, false, out, sizeof out), 0);
    unlink (lonely);
    ck_assert_int_eq (s_keygen (lonely, false, out, sizeof out), 2);
    ck_assert (!th_exists (lonely));
    //  --force replaces both with a new pair.
    ck_assert_int_eq (s_keygen (pub, true, out, sizeof out), 0);
    zcert_t *again = zcert_load (pub);
    ck_assert_str_ne (zcert_public_txt (again), zcert_public_txt (public_cert));
    ck_assert_uint_eq (s_mode (sec), 0600);
    //  Bad paths: status 2, nothing written; no temporary left anywhere.
    ck_assert_int_eq (s_keygen (s_file ("no/such/dir/k.cert"), false, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "does not exist"));
    ck_assert_int_eq (s_keygen (s_file ("k_secret"), false, out, sizeof out), 2);
    ck_assert_int_eq (s_keygen (s_file (""), false, out, sizeof out), 2);
    char *none [] = { (char *) th_bin ("mandelfarm-keygen"), NULL };
    ck_assert_int_eq (th_run (none, 10000, out, sizeof out), 2);
    ck_assert_ptr_nonnull (strstr (out, "PATH"));
    ck_assert_int_eq (th_count_entries (th_dir), 3);        //  node.cert, node.cert_secret, lonely.cert_secret
    zcert_destroy (&again);
    zcert_destroy (&public_cert);
    zcert_destroy (&secret_cert);
    free (before);
    free (lonely);
    free (pub);
    free (sec);
}
END_TEST

//  --- a CURVE farm, with real processes ----------------------------------

typedef struct {
    char pub [600];                     //  public certificate
    char sec [600];                     //  secret certificate
} s_pair_t;

static void
s_make_pair (s_pair_t *pair, const char *name)
{
    snprintf (pair->pub, sizeof pair->pub, "%s/%s.cert", th_dir, name);
    snprintf (pair->sec, sizeof pair->sec, "%s/%s.cert_secret", th_dir, name);
    char out [1024];
    ck_assert_int_eq (s_keygen (pair->pub, false, out, sizeof out), 0);
}

static void
s_copy (const char *from, const char *to)
{
    size_t size;
    uint8_t *data = th_slurp (from, &size);
    ck_assert_ptr_nonnull (data);
    FILE *file = fopen (to, "wb");
    ck_assert_ptr_nonnull (file);
    ck_assert_uint_eq (fwrite (data, 1, size, file), size);
    fclose (file);
    free (data);
}

static pid_t
s_worker (const char *endpoint, const char *name, const char *cert, const char *master_key,
          const char *log)
{
    char *argv [16] = { (char *) th_bin ("mandelfarm-worker"), "--connect", (char *) endpoint,
                        "--threads", "2", "--name", (char *) name, "-v" };
    int argc = 8;
    if (cert) {
        argv [argc++] = "--cert";
        argv [argc++] = (char *) cert;
        argv [argc++] = "--master-key";
        argv [argc++] = (char *) master_key;
    }
    argv [argc] = NULL;
    return th_spawn (argv, log);
}

static void
s_stop (pid_t pid)
{
    kill (pid, SIGTERM);
    if (th_wait (pid, 5000) < 0)
        th_kill (pid);
}

//  Whether pid is still running (not exited, not reaped).
static bool
s_running (pid_t pid)
{
    int status;
    return waitpid (pid, &status, WNOHANG) == 0;
}

static char *
s_log (const char *path)
{
    size_t size;
    char *text = (char *) th_slurp (path, &size);
    if (!text)
        return strdup ("");
    char *copy = realloc (text, size + 1);
    copy [size] = 0;
    return copy;
}

static void
s_reference (char *png, char *npy)
{
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "--quiet", "-j", "1",
                      "-o", png, "--raw", npy, NULL };
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
}

START_TEST (strangers_get_no_tile)
{
    char ref_png [600], ref_npy [600];
    snprintf (ref_png, sizeof ref_png, "%s", s_file ("ref.png"));
    snprintf (ref_npy, sizeof ref_npy, "%s", s_file ("ref.npy"));
    s_reference (ref_png, ref_npy);
    //  Keys made by the real keygen: the master, an impostor master, the
    //  allowed worker and a stranger. Only "allowed" is in the allow list
    //  of both masters.
    s_pair_t master, impostor, allowed, stranger;
    s_make_pair (&master, "master");
    s_make_pair (&impostor, "impostor");
    s_make_pair (&allowed, "allowed");
    s_make_pair (&stranger, "stranger");
    char allow_dir [600];
    snprintf (allow_dir, sizeof allow_dir, "%s", s_file ("allow"));
    ck_assert_int_eq (mkdir (allow_dir, 0755), 0);
    char allowed_copy [700];
    snprintf (allowed_copy, sizeof allowed_copy, "%s/allowed.cert", allow_dir);
    s_copy (allowed.pub, allowed_copy);

    char endpoint [128], impostor_endpoint [128];
    char png [600], npy [600], master_log [600], impostor_png [600], impostor_log [600];
    snprintf (png, sizeof png, "%s", s_file ("farm.png"));
    snprintf (npy, sizeof npy, "%s", s_file ("farm.npy"));
    snprintf (master_log, sizeof master_log, "%s", s_file ("master.log"));
    snprintf (impostor_png, sizeof impostor_png, "%s", s_file ("impostor.png"));
    snprintf (impostor_log, sizeof impostor_log, "%s", s_file ("impostor.log"));
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-v", "-j", "0",
                      "--listen", "tcp://127.0.0.1:*", "--cert", master.sec, "--allow", allow_dir,
                      "-o", png, "--raw", npy, NULL };
    char *impostor_argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-v", "-j", "0",
                               "--listen", "tcp://127.0.0.1:*", "--cert", impostor.sec,
                               "--allow", allow_dir, "-o", impostor_png, NULL };
    pid_t master_pid = th_spawn (argv, master_log);
    pid_t impostor_pid = th_spawn (impostor_argv, impostor_log);
    ck_assert (th_master_endpoint (master_log, START_MS, endpoint, sizeof endpoint) == 0);
    ck_assert (th_master_endpoint (impostor_log, START_MS, impostor_endpoint,
                                   sizeof impostor_endpoint) == 0);
    //  To the real master: a stranger's key, no key at all, and the
    //  allowed key with the impostor's public key as --master-key. To the
    //  impostor: the allowed key, which checks for the real master's key.
    char logs [4][600];
    const char *names [4] = { "stranger-key", "no-key", "wrong-master-key", "to-impostor" };
    for (int index = 0; index < 4; index++)
        snprintf (logs [index], sizeof logs [index], "%s/%s.log", th_dir, names [index]);
    pid_t strangers [4] = {
        s_worker (endpoint, names [0], stranger.sec, master.pub, logs [0]),
        s_worker (endpoint, names [1], NULL, NULL, logs [1]),
        s_worker (endpoint, names [2], allowed.sec, impostor.pub, logs [2]),
        s_worker (impostor_endpoint, names [3], allowed.sec, master.pub, logs [3])
    };
    //  Each one's handshake is refused, for its own reason (libzmq tells
    //  a peer without CURVE either way); until then neither master can
    //  finish: no tile goes out, no pixel comes in.
    const char *reasons [3][2] = { { "not in the allow directory", NULL },
                                   { "does not use CURVE", "its handshake failed" },
                                   { "does not decrypt", NULL } };
    int64_t deadline = mf_clock_ms () + START_MS;
    for (int index = 0; index < 3; index++) {
        while (th_count_text (master_log, reasons [index][0]) == 0
           &&  (!reasons [index][1] || th_count_text (master_log, reasons [index][1]) == 0)
           &&  mf_clock_ms () < deadline)
            usleep (10 * 1000);
        char *said = s_log (master_log);
        ck_assert_msg (strstr (said, reasons [index][0])
                       || (reasons [index][1] && strstr (said, reasons [index][1])),
                       "%s was not refused: %s", names [index], said);
        free (said);
    }
    ck_assert_msg (th_wait_for_text (impostor_log, reasons [2][0], START_MS),
                   "the impostor did not refuse a worker expecting the real master");
    ck_assert_msg (s_running (master_pid), "the master finished with only strangers");
    ck_assert_msg (s_running (impostor_pid), "the impostor finished");
    ck_assert (!th_exists (png) && !th_exists (impostor_png));
    char *text = s_log (master_log);
    ck_assert_msg (!strstr (text, "joined"), "a stranger registered: %s", text);
    ck_assert_msg (strstr (text, "refused a connection"), "no refusal logged: %s", text);
    free (text);

    //  Now the allowed worker: the render completes, byte for byte.
    char allowed_log [600];
    snprintf (allowed_log, sizeof allowed_log, "%s", s_file ("allowed.log"));
    pid_t worker = s_worker (endpoint, "allowed", allowed.sec, master.pub, allowed_log);
    int rc = th_wait (master_pid, RENDER_MS);
    text = s_log (master_log);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, text);
    ck_assert (th_same_file (png, ref_png));
    ck_assert (th_same_file (npy, ref_npy));
    //  Only the allowed worker joined and computed tiles.
    ck_assert_msg (strstr (text, "worker allowed:") && strstr (text, "joined"),
                   "the allowed worker did not join: %s", text);
    for (int index = 0; index < 3; index++)
        ck_assert_msg (!strstr (text, names [index]), "%s reached the master: %s",
                       names [index], text);
    free (text);
    ck_assert_msg (s_running (impostor_pid), "the impostor finished");
    text = s_log (impostor_log);
    ck_assert_msg (!strstr (text, "joined"), "a worker registered with the impostor: %s", text);
    free (text);
    s_stop (impostor_pid);
    ck_assert (!th_exists (impostor_png));
    s_stop (worker);
    for (int index = 0; index < 4; index++) {
        s_stop (strangers [index]);
        text = s_log (logs [index]);
        ck_assert_msg (!strstr (text, "registered with"), "%s registered: %s", names [index], text);
        free (text);
    }
    text = s_log (allowed_log);
    ck_assert_msg (strstr (text, "registered with"), "allowed worker: %s", text);
    free (text);
}
END_TEST

START_TEST (allow_list_read_again)
{
    //  A worker's certificate copied into --allow while the master runs
    //  admits it on its next connection attempt (README).
    s_pair_t master, first, late;
    s_make_pair (&master, "master");
    s_make_pair (&first, "first");
    s_make_pair (&late, "late");
    char allow_dir [600], copy [700];
    snprintf (allow_dir, sizeof allow_dir, "%s", s_file ("allow"));
    ck_assert_int_eq (mkdir (allow_dir, 0755), 0);
    snprintf (copy, sizeof copy, "%s/first.cert", allow_dir);
    s_copy (first.pub, copy);
    char endpoint [128], png [600], master_log [600], worker_log [600];
    snprintf (png, sizeof png, "%s", s_file ("late.png"));
    snprintf (master_log, sizeof master_log, "%s", s_file ("master.log"));
    snprintf (worker_log, sizeof worker_log, "%s", s_file ("late.log"));
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-v", "-j", "0",
                      "--listen", "tcp://127.0.0.1:*", "--cert", master.sec, "--allow", allow_dir,
                      "-o", png, NULL };
    pid_t master_pid = th_spawn (argv, master_log);
    ck_assert (th_master_endpoint (master_log, START_MS, endpoint, sizeof endpoint) == 0);
    pid_t worker = s_worker (endpoint, "late", late.sec, master.pub, worker_log);
    //  Not in the list: refused, and nothing renders.
    ck_assert_msg (th_wait_for_text (master_log, "refused a connection", START_MS),
                   "the late worker was not refused");
    ck_assert (s_running (master_pid) && !th_exists (png));
    //  At once: CZMQ reads the folder again when the number of its files
    //  changes, not only when a later second shows in their times.
    snprintf (copy, sizeof copy, "%s/late.cert", allow_dir);
    s_copy (late.pub, copy);
    //  It keeps trying, with back-off of at most 4 s: its next try gets in.
    int rc = th_wait (master_pid, RENDER_MS);
    s_stop (worker);
    char *text = s_log (master_log);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, text);
    ck_assert_msg (strstr (text, "worker late:") && strstr (text, "joined"),
                   "the late worker never joined: %s", text);
    free (text);
    ck_assert (th_exists (png));
}
END_TEST

START_TEST (local_workers_need_no_keys)
{
    char ref_png [600], ref_npy [600];
    snprintf (ref_png, sizeof ref_png, "%s", s_file ("ref.png"));
    snprintf (ref_npy, sizeof ref_npy, "%s", s_file ("ref.npy"));
    s_reference (ref_png, ref_npy);
    s_pair_t master;
    s_make_pair (&master, "master");
    char allow_dir [600];
    snprintf (allow_dir, sizeof allow_dir, "%s", s_file ("allow"));
    ck_assert_int_eq (mkdir (allow_dir, 0755), 0);
    char png [600], npy [600];
    snprintf (png, sizeof png, "%s", s_file ("local.png"));
    snprintf (npy, sizeof npy, "%s", s_file ("local.npy"));
    //  An empty allow directory: a warning, and the local workers render.
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "2", "--tile", "32",
                      "--listen", "tcp://127.0.0.1:*", "--cert", master.sec, "--allow", allow_dir,
                      "-o", png, "--raw", npy, NULL };
    char out [4096];
    int rc = th_run (argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, out);
    ck_assert_msg (strstr (out, "no public certificate"), "no warning: %s", out);
    ck_assert_msg (!strstr (out, "takes workers from the network"), "%s", out);
    ck_assert (th_same_file (png, ref_png));
    ck_assert (th_same_file (npy, ref_npy));
}
END_TEST

//  Runs argv: status 2, stderr naming flag (and containing hint if not
//  NULL), and no file created in the test directory.
static void
s_refused (char *const argv [], const char *flag, const char *hint)
{
    int before = th_count_entries (th_dir);
    char out [4096];
    int rc = th_run (argv, RENDER_MS, out, sizeof out);
    ck_assert_msg (rc == 2, "%s: status %d: %s", flag, rc, out);
    ck_assert_msg (strstr (out, flag), "%s: '%s' does not name it", flag, out);
    ck_assert_msg (!hint || strstr (out, hint), "%s: '%s' lacks '%s'", flag, out, hint);
    ck_assert_msg (strchr (out, '\n') && strchr (out, '\n') [1] == 0,
                   "%s: not one line: '%s'", flag, out);
    ck_assert_int_eq (th_count_entries (th_dir), before);
}

START_TEST (bad_keys_refused)
{
    s_pair_t master, worker;
    s_make_pair (&master, "master");
    s_make_pair (&worker, "worker");
    char allow_dir [600], png [600], open_key [600];
    snprintf (allow_dir, sizeof allow_dir, "%s", s_file ("allow"));
    ck_assert_int_eq (mkdir (allow_dir, 0755), 0);
    snprintf (png, sizeof png, "%s", s_file ("out.png"));
    snprintf (open_key, sizeof open_key, "%s", s_file ("open.cert_secret"));
    s_copy (master.sec, open_key);
    chmod (open_key, 0644);
    const char *master_bin = th_bin ("mandelfarm-master");
    const char *worker_bin = th_bin ("mandelfarm-worker");
    //  Refused before anything binds or connects: the endpoints are never used.
    char endpoint [700];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/nobody", th_dir);
#define MASTER(...) (char *[]) { (char *) master_bin, "--size", "64x48", "-j", "1", "--quiet", \
                                 "-o", png, "--listen", "tcp://127.0.0.1:*", __VA_ARGS__, NULL }
    s_refused (MASTER ("--cert", master.sec), "--cert", "--allow");
    s_refused (MASTER ("--allow", allow_dir), "--allow", "--cert");
    s_refused (MASTER ("--cert", s_file ("none"), "--allow", allow_dir), "--cert", "cannot read");
    s_refused (MASTER ("--cert", master.pub, "--allow", allow_dir), "--cert", "no secret key");
    s_refused (MASTER ("--cert", open_key, "--allow", allow_dir), "--cert", "chmod 600");
    s_refused (MASTER ("--cert", master.sec, "--allow", master.pub), "--allow", "not a directory");
    char *no_listen [] = { (char *) master_bin, "--size", "64x48", "-o", png, "--cert",
                           master.sec, "--allow", allow_dir, NULL };
    s_refused (no_listen, "--listen", NULL);
#define WORKER(...) (char *[]) { (char *) worker_bin, "--connect", endpoint, __VA_ARGS__, NULL }
    s_refused (WORKER ("--cert", worker.sec), "--master-key", NULL);
    s_refused (WORKER ("--master-key", master.pub), "--cert", NULL);
    s_refused (WORKER ("--cert", worker.pub, "--master-key", master.pub), "--cert", "no secret key");
    s_refused (WORKER ("--cert", worker.sec, "--master-key", s_file ("none")), "--master-key",
               "cannot read");
    s_refused (WORKER ("--cert", worker.sec, "--master-key", th_dir), "--master-key", "not a file");
#undef MASTER
#undef WORKER
}
END_TEST

//  The warning for a --listen that other machines can reach. The master
//  listens on every interface only inside a network namespace of its
//  own, where the only interface is a loopback that is down.
START_TEST (open_listen_warns)
{
    char png [600], log [600];
    snprintf (png, sizeof png, "%s", s_file ("w.png"));
    snprintf (log, sizeof log, "%s", s_file ("w.log"));
    pid_t pid = fork ();
    if (pid == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);     //  dies with a failed test
        if (unshare (CLONE_NEWNET))
            _exit (77);
        int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2 (fd, 2);
        char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "64x48", "-j", "1",
                          "--listen", "tcp://*:*", "-o", png, NULL };
        execv (argv [0], argv);
        _exit (127);
    }
    int rc = th_wait (pid, RENDER_MS);
    if (rc == 77) {
        th_skip ("cannot make a network namespace here (unshare: not root?)");
        return;
    }
    char *text = s_log (log);
    ck_assert_msg (rc == 0, "master: %d: %s", rc, text);
    ck_assert_msg (strstr (text, "takes workers from the network with no keys")
                   && strstr (text, "--cert"), "no warning: %s", text);
    free (text);
    //  On loopback: no warning.
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "64x48", "-j", "1",
                      "--listen", "tcp://127.0.0.1:*", "-o", png, NULL };
    char out [4096];
    ck_assert_int_eq (th_run (argv, RENDER_MS, out, sizeof out), 0);
    ck_assert_msg (!strstr (out, "takes workers from the network"), "%s", out);
}
END_TEST

//  Whether a process of user uid (or ours, if uid < 0) that says HELLO on
//  endpoint is welcomed within msecs. Runs in a child: exit status 0
//  welcomed, 1 not, 77 could not switch user.
static int
s_probe_local (const char *endpoint, int uid, int msecs)
{
    pid_t pid = fork ();
    if (pid == 0) {
        if (uid >= 0 && (setgid ((gid_t) uid) || setuid ((uid_t) uid)))
            _exit (77);
        void *context = zmq_ctx_new ();
        void *dealer = zmq_socket (context, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
        zmq_connect (dealer, endpoint);
        mf_hello_t hello = { .credit = 0, .threads = 1, .pid = (uint32_t) getpid (), .uid = 7 };
        strcpy (hello.host, "intruder");
        uint8_t buf [MF_SIZE_HELLO];
        zmq_send (dealer, buf, mf_proto_encode_hello (buf, sizeof buf, &hello), 0);
        zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
        int welcomed = zmq_poll (&item, 1, msecs) == 1;
        zmq_close (dealer);
        zmq_ctx_term (context);
        _exit (welcomed? 0: 1);
    }
    return th_wait (pid, msecs + 5000);
}

//  The local link has no keys, and its abstract name is in /proc/net/unix
//  for every user to read: only the master's own user may connect.
START_TEST (local_link_owner_only)
{
    if (getuid () != 0) {
        th_skip ("needs root to act as another user");
        return;
    }
    char png [600];
    snprintf (png, sizeof png, "%s", s_file ("slow.png"));
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "1920x1080",
                      "--center", "-0.743643887,0.131825904", "--width", "1e-6",
                      "--iter", "200000", "-j", "1", "--quiet", "-o", png, NULL };
    pid_t master = th_spawn (argv, NULL);
    //  Find the master's local endpoint as any user could.
    char prefix [64], endpoint [128] = "";
    snprintf (prefix, sizeof prefix, "@mandelfarm-%d-", (int) master);
    for (int round = 0; round < 100 && !endpoint [0]; round++) {
        FILE *file = fopen ("/proc/net/unix", "r");
        char line [512];
        while (file && fgets (line, sizeof line, file)) {
            char *at = strstr (line, prefix);
            if (at) {
                at [strcspn (at, " \n")] = 0;
                snprintf (endpoint, sizeof endpoint, "ipc://%s", at);
                break;
            }
        }
        if (file)
            fclose (file);
        if (!endpoint [0])
            usleep (50 * 1000);
    }
    ck_assert_msg (endpoint [0], "the master's local endpoint is not in /proc/net/unix");
    int stranger = s_probe_local (endpoint, 65534, 1500);
    int owner = s_probe_local (endpoint, -1, 3000);
    kill (master, SIGTERM);
    ck_assert_int_eq (th_wait (master, 10000), 1);             //  interrupted, as asked
    ck_assert_msg (stranger != 77, "could not switch to user 65534");
    ck_assert_msg (stranger == 1, "another user joined the local link (%d)", stranger);
    ck_assert_msg (owner == 0, "the control failed: our own user was not welcomed (%d)", owner);
    ck_assert (!th_exists (png));
}
END_TEST

int
main (void)
{
    //  The in-process authenticator logs each refusal; the tests count them.
    mf_log_level = MF_LOG_ERROR;
    Suite *suite = suite_create ("security");
    TCase *unit = tcase_create ("unit");
    tcase_add_checked_fixture (unit, th_dir_setup, th_dir_teardown);
    tcase_add_test (unit, endpoint_loopback);
    tcase_add_test (unit, cert_parse);
    tcase_add_test (unit, cert_load);
    tcase_add_test (unit, no_handler_fails_closed);
    tcase_add_test (unit, auth_admits_only_allowed);
    tcase_add_test (unit, engine_reports_refusals);
    tcase_add_test (unit, auth_refuses_to_start_badly);
    suite_add_tcase (suite, unit);
    TCase *farm = tcase_create ("farm");
    tcase_set_timeout (farm, 120);
    tcase_add_checked_fixture (farm, th_dir_setup, th_dir_teardown);
    tcase_add_test (farm, keygen_round_trip);
    tcase_add_test (farm, strangers_get_no_tile);
    tcase_add_test (farm, allow_list_read_again);
    tcase_add_test (farm, local_workers_need_no_keys);
    tcase_add_test (farm, bad_keys_refused);
    tcase_add_test (farm, open_listen_warns);
    tcase_add_test (farm, local_link_owner_only);
    suite_add_tcase (suite, farm);
    return th_run_suite (suite);
}
