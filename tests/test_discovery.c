/*  Discovery: masters started with --announce, found by workers started
    without --connect (common/mf_beacon.c, master/announce.c,
    worker/discover.c, docs/PROTOCOL.md "Discovery beacon").

    First the beacon itself, byte by byte: its exact bytes, every
    truncation and every bad field refused, the rule a worker follows a
    beacon by, and the command lines.

    Then real processes on a LAN the test makes: beacons are UDP
    broadcasts, and a namespace with only a loopback has no interface
    that can broadcast. Each such test moves itself into a network
    namespace of its own (A, 10.77.0.1/24) and makes a second one (B,
    10.77.0.2/24) joined to it by a veth pair; the masters run in A, the
    workers in B. Both namespaces, and their addresses, exist only for
    the test and die with it. Where namespaces cannot be made (not root)
    the test says SKIPPED. Every wait is bounded and waits for what the
    processes write; every process is ended by its pid.
*/
#include "helpers.h"
#include "options.h"
#include "worker_options.h"
#include "mf_beacon.h"
#include "mf_util.h"

#include <check.h>
#include <czmq.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RENDER_MS 60000                 //  msecs any one render may take at most
#define START_MS 10000                  //  msecs a process may take to start and connect
#define FIND_MS 15000                   //  msecs a worker may take to find a master
#define SILENT_MS 2500                  //  msecs a master without --announce is listened to:
                                        //  two and a half beacon intervals
#define HB "200"                        //  msecs: the masters' heartbeat, so that a master
                                        //  gone is noticed in 600 ms
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500"
#define KEY_A "Z{tD){hAU$i:l1Z]}C1bjNA>dt67qO+KzOd*T4F["   //  a public key, Z85
#define KEY_C "[>m4mYLo(D3d#Lot=ExTjBGmq8*}l-b7?$1nf]5Z"   //  another one

//  --- the beacon's bytes ---------------------------------------------------

//  A beacon of a master without keys on port 5555, id 0x0102030405060708.
static const uint8_t s_plain [MF_BEACON_SIZE] = {
    'M', 'F', 'D', 'B',                 //  magic
    1,                                  //  version
    0,                                  //  flags: no CURVE
    0xb3, 0x15,                         //  port 5555, little-endian
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,     //  id, little-endian
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     //  no key: 40 zeros
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

START_TEST (beacon_bytes)
{
    uint8_t buf [MF_BEACON_SIZE + 8];
    mf_beacon_t plain = { .port = 5555, .curve = false, .id = 0x0102030405060708ULL };
    ck_assert_uint_eq (mf_beacon_encode (buf, sizeof buf, &plain), MF_BEACON_SIZE);
    ck_assert_int_eq (memcmp (buf, s_plain, MF_BEACON_SIZE), 0);
    //  With CURVE: flag 1, and the key's 40 characters as they are.
    mf_beacon_t curve = { .port = 65535, .curve = true, .id = 0xfedcba9876543210ULL };
    strcpy (curve.key, KEY_A);
    ck_assert_uint_eq (mf_beacon_encode (buf, sizeof buf, &curve), MF_BEACON_SIZE);
    const uint8_t head [16] = { 'M', 'F', 'D', 'B', 1, 1, 0xff, 0xff,
                                0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe };
    ck_assert_int_eq (memcmp (buf, head, sizeof head), 0);
    ck_assert_int_eq (memcmp (buf + 16, KEY_A, 40), 0);
    //  And back.
    mf_beacon_t back;
    mf_beacon_error_t why = MF_BEACON_E_COUNT;
    ck_assert_int_eq (mf_beacon_decode (buf, MF_BEACON_SIZE, &back, &why), 0);
    ck_assert_int_eq (why, MF_BEACON_OK);
    ck_assert_uint_eq (back.port, 65535);
    ck_assert (back.curve);
    ck_assert (back.id == 0xfedcba9876543210ULL);
    ck_assert_str_eq (back.key, KEY_A);
    ck_assert_int_eq (mf_beacon_decode (s_plain, MF_BEACON_SIZE, &back, NULL), 0);
    ck_assert_uint_eq (back.port, 5555);
    ck_assert (!back.curve);
    ck_assert (back.id == 0x0102030405060708ULL);
    ck_assert_str_eq (back.key, "");
    //  A buffer one byte short is not written past.
    memset (buf, 0xee, sizeof buf);
    ck_assert_uint_eq (mf_beacon_encode (buf, MF_BEACON_SIZE - 1, &plain), 0);
    ck_assert_uint_eq (buf [MF_BEACON_SIZE - 1], 0xee);
}
END_TEST

START_TEST (beacon_every_truncation_refused)
{
    uint8_t longer [MF_BEACON_SIZE + 1];
    memcpy (longer, s_plain, MF_BEACON_SIZE);
    longer [MF_BEACON_SIZE] = 0;
    mf_beacon_t beacon;
    for (size_t size = 0; size <= MF_BEACON_SIZE + 1; size++) {
        if (size == MF_BEACON_SIZE)
            continue;
        //  A copy of exactly size bytes, so that a read past it would be
        //  a read past an allocation (ASan builds see it).
        uint8_t *copy = malloc (size? size: 1);
        memcpy (copy, longer, size);
        mf_beacon_error_t why = MF_BEACON_OK;
        ck_assert_msg (mf_beacon_decode (copy, size, &beacon, &why) == -1,
                       "%zu bytes accepted", size);
        ck_assert_msg (why == MF_BEACON_E_SIZE, "%zu bytes: %s", size,
                       mf_beacon_error_name (why));
        free (copy);
    }
    ck_assert_int_eq (mf_beacon_decode (NULL, 0, &beacon, NULL), -1);
}
END_TEST

START_TEST (beacon_fields_refused)
{
    struct { size_t at; uint8_t value; mf_beacon_error_t why; } cases [] = {
        { 0, 'm', MF_BEACON_E_MAGIC },
        { 3, 'C', MF_BEACON_E_MAGIC },
        { 4, 0, MF_BEACON_E_VERSION },
        { 4, 2, MF_BEACON_E_VERSION },
        { 5, 0x02, MF_BEACON_E_FLAGS },
        { 5, 0x80, MF_BEACON_E_FLAGS },
        { 16, 'x', MF_BEACON_E_KEY },           //  no CURVE, yet a key byte
        { 55, 1, MF_BEACON_E_KEY },
    };
    mf_beacon_t beacon;
    for (size_t index = 0; index < sizeof cases / sizeof cases [0]; index++) {
        uint8_t bytes [MF_BEACON_SIZE];
        memcpy (bytes, s_plain, sizeof bytes);
        bytes [cases [index].at] = cases [index].value;
        mf_beacon_error_t why = MF_BEACON_OK;
        ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
        ck_assert_msg (why == cases [index].why, "case %zu: %s", index,
                       mf_beacon_error_name (why));
    }
    //  Port 0.
    uint8_t bytes [MF_BEACON_SIZE];
    memcpy (bytes, s_plain, sizeof bytes);
    bytes [6] = bytes [7] = 0;
    mf_beacon_error_t why = MF_BEACON_OK;
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_PORT);
    //  Another version is said to be one whatever its size.
    memcpy (bytes, s_plain, sizeof bytes);
    bytes [4] = 2;
    ck_assert_int_eq (mf_beacon_decode (bytes, 20, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_VERSION);
    //  CURVE with no key, or with one that is not Z85 (a space, a quote).
    memcpy (bytes, s_plain, sizeof bytes);
    bytes [5] = MF_BEACON_FLAG_CURVE;
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_KEY);
    memcpy (bytes + 16, KEY_A, 40);
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), 0);
    bytes [30] = ' ';
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_KEY);
    bytes [30] = '"';
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_KEY);
    //  Five Z85 characters worth more than four bytes.
    memcpy (bytes + 16, "#####", 5);
    ck_assert_int_eq (mf_beacon_decode (bytes, sizeof bytes, &beacon, &why), -1);
    ck_assert_int_eq (why, MF_BEACON_E_KEY);
    //  The encoder makes nothing the decoder would refuse.
    uint8_t buf [MF_BEACON_SIZE];
    mf_beacon_t bad = { .port = 0 };
    ck_assert_uint_eq (mf_beacon_encode (buf, sizeof buf, &bad), 0);
    bad = (mf_beacon_t) { .port = 5555, .curve = true };
    ck_assert_uint_eq (mf_beacon_encode (buf, sizeof buf, &bad), 0);
    strcpy (bad.key, "not a key");
    ck_assert_uint_eq (mf_beacon_encode (buf, sizeof buf, &bad), 0);
}
END_TEST

START_TEST (beacon_judge_rule)
{
    mf_beacon_t plain = { .port = 5555 }, a = { .port = 5555, .curve = true };
    strcpy (a.key, KEY_A);
    ck_assert_int_eq (mf_beacon_judge (&plain, NULL), MF_BEACON_FOLLOW);
    ck_assert_int_eq (mf_beacon_judge (&a, NULL), MF_BEACON_NEEDS_KEYS);
    ck_assert_int_eq (mf_beacon_judge (&plain, KEY_A), MF_BEACON_NO_KEYS);
    ck_assert_int_eq (mf_beacon_judge (&a, KEY_A), MF_BEACON_FOLLOW);
    ck_assert_int_eq (mf_beacon_judge (&a, KEY_C), MF_BEACON_OTHER_KEY);
    for (int verdict = 0; verdict < MF_BEACON_VERDICT_COUNT; verdict++)
        ck_assert_str_ne (mf_beacon_verdict_name (verdict), "unknown");
}
END_TEST

//  --- the command lines -----------------------------------------------------

static int
s_master_parse (mf_options_t *opts, char *err, size_t size, char *const args [])
{
    char *argv [16] = { "mandelfarm-master" };
    int argc = 1;
    while (args [argc - 1] && argc < 15) {
        argv [argc] = args [argc - 1];
        argc++;
    }
    argv [argc] = NULL;
    err [0] = 0;
    return mf_options_parse (argc, argv, opts, err, size);
}

START_TEST (announce_options)
{
    mf_options_t opts;
    char err [512];
    ck_assert_int_eq (s_master_parse (&opts, err, sizeof err, (char *[]) { NULL }), 0);
    ck_assert (!opts.announce);                 //  never by default
    ck_assert_int_eq (opts.announce_port, MF_BEACON_PORT);
    ck_assert_int_eq (s_master_parse (&opts, err, sizeof err, (char *[]) {
        "--listen", "tcp://*:*", "--announce", NULL }), 0);
    ck_assert (opts.announce);
    ck_assert_int_eq (s_master_parse (&opts, err, sizeof err, (char *[]) {
        "--listen", "tcp://192.0.2.10:5555", "--announce", "--announce-port", "6000", NULL }), 0);
    ck_assert_int_eq (opts.announce_port, 6000);
    ck_assert_int_eq (s_master_parse (&opts, err, sizeof err, (char *[]) {
        "--listen", "tcp://eth0:5555", "--announce", "--view", NULL }), 0);
    struct { char *args [6]; const char *says; } refused [] = {
        { { "--announce" }, "--announce needs --listen" },
        { { "--listen", "ipc:///tmp/mf.sock", "--announce" }, "a tcp:// --listen" },
        { { "--listen", "tcp://127.0.0.1:5555", "--announce" }, "loopback" },
        { { "--listen", "tcp://localhost:*", "--announce" }, "loopback" },
        { { "--listen", "tcp://[::]:5555", "--announce" }, "IPv4" },
        { { "--listen", "tcp://*:5555", "--announce-port", "6000" }, "needs --announce" },
        { { "--listen", "tcp://*:5555", "--announce", "--announce-port", "0" }, "from 1 to 65535" },
        { { "--listen", "tcp://*:5555", "--announce", "--announce-port", "65536" },
          "from 1 to 65535" },
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused [0]; index++) {
        ck_assert_msg (s_master_parse (&opts, err, sizeof err, refused [index].args) == -1,
                       "case %zu accepted", index);
        ck_assert_msg (strstr (err, refused [index].says) && strstr (err, "announce")
                       && !strchr (err, '\n'), "case %zu: '%s'", index, err);
    }
}
END_TEST

START_TEST (discover_options)
{
    mf_worker_options_t opts;
    char err [512];
    char *none [] = { "mandelfarm-worker", NULL };
    ck_assert_int_eq (mf_worker_options_parse (1, none, &opts, err, sizeof err), 0);
    ck_assert_ptr_null (opts.worker.endpoint);
    ck_assert_int_eq (opts.worker.discover_port, MF_BEACON_PORT);
    char *port [] = { "mandelfarm-worker", "--discover-port", "6000", "-t", "2", NULL };
    ck_assert_int_eq (mf_worker_options_parse (5, port, &opts, err, sizeof err), 0);
    ck_assert_int_eq (opts.worker.discover_port, 6000);
    char *both [] = { "mandelfarm-worker", "--discover-port", "6000", "--connect",
                      "tcp://192.0.2.10:5555", NULL };
    ck_assert_int_eq (mf_worker_options_parse (5, both, &opts, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "--discover-port"));
    //  Keys go together, with or without --connect.
    char *half [] = { "mandelfarm-worker", "--cert", "w.cert_secret", NULL };
    ck_assert_int_eq (mf_worker_options_parse (3, half, &opts, err, sizeof err), -1);
    ck_assert_ptr_nonnull (strstr (err, "--master-key"));
    //  The help says what happens without --connect.
    char out [8192];
    char *help [] = { (char *) th_bin ("mandelfarm-worker"), "--help", NULL };
    ck_assert_int_eq (th_run (help, 10000, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "--discover-port PORT"));
    ck_assert_ptr_nonnull (strstr (out, "Without it, the worker finds the master"));
    char *master_help [] = { (char *) th_bin ("mandelfarm-master"), "--help", NULL };
    ck_assert_int_eq (th_run (master_help, 10000, out, sizeof out), 0);
    ck_assert_ptr_nonnull (strstr (out, "--announce "));
    ck_assert_ptr_nonnull (strstr (out, "--announce-port PORT"));
}
END_TEST

//  --- a LAN of two namespaces ---------------------------------------------

static int s_ns_a = -1;                 //  the masters' namespace (the test's own)
static int s_ns_b = -1;                 //  the workers' namespace
static char s_ref_png [600], s_ref_npy [600];

static void
s_setup (void)
{
    th_dir_setup ();
    //  CZMQ picks the beacons' interface from it: the tests choose.
    unsetenv ("ZSYS_INTERFACE");
}

static void
s_teardown (void)
{
    if (s_ns_a >= 0)
        close (s_ns_a);
    if (s_ns_b >= 0)
        close (s_ns_b);
    s_ns_a = s_ns_b = -1;
    th_dir_teardown ();
}

//  Moves the test into a network namespace of its own with only a
//  loopback, up. Returns 0, or -1 having said SKIPPED.
static int
s_private_net (void)
{
    if (unshare (CLONE_NEWNET) != 0) {
        th_skip ("cannot make a network namespace here (unshare: not root?)");
        return -1;
    }
    if (system ("ip link set lo up") != 0) {
        th_skip ("needs ip (iproute2)");
        return -1;
    }
    return 0;
}

//  Makes the LAN: the test in namespace A with va 10.77.0.1/24, namespace
//  B with vb 10.77.0.2/24, a veth pair between them. Returns 0, or -1
//  having said SKIPPED.
static int
s_lan (void)
{
    if (s_private_net ())
        return -1;
    s_ns_a = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge (s_ns_a, 0);
    ck_assert_int_eq (unshare (CLONE_NEWNET), 0);
    s_ns_b = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge (s_ns_b, 0);
    ck_assert_int_eq (system ("ip link set lo up"), 0);
    ck_assert_int_eq (setns (s_ns_a, CLONE_NEWNET), 0);
    //  B is named by the descriptor this process holds on it.
    char command [512];
    snprintf (command, sizeof command, "ip link add va type veth peer name vb netns "
              "/proc/%d/fd/%d", (int) getpid (), s_ns_b);
    if (system (command) != 0) {
        th_skip ("cannot make a veth pair here (ip link add ... type veth)");
        return -1;
    }
    ck_assert_int_eq (system ("ip addr add 10.77.0.1/24 broadcast + dev va"
                              " && ip link set va up"), 0);
    ck_assert_int_eq (setns (s_ns_b, CLONE_NEWNET), 0);
    ck_assert_int_eq (system ("ip addr add 10.77.0.2/24 broadcast + dev vb"
                              " && ip link set vb up"), 0);
    ck_assert_int_eq (setns (s_ns_a, CLONE_NEWNET), 0);
    //  The reference, in A: a -j 1 render of the same view.
    snprintf (s_ref_png, sizeof s_ref_png, "%s/ref.png", th_dir);
    snprintf (s_ref_npy, sizeof s_ref_npy, "%s/ref.npy", th_dir);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "--quiet",
                      "-o", s_ref_png, "--raw", s_ref_npy, NULL };
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
    return 0;
}

//  Starts argv in namespace B (its output appended to log). Returns its pid.
static pid_t
s_in_b (char *const argv [], const char *log)
{
    ck_assert_int_eq (setns (s_ns_b, CLONE_NEWNET), 0);
    pid_t pid = th_spawn (argv, log);
    ck_assert_int_eq (setns (s_ns_a, CLONE_NEWNET), 0);
    return pid;
}

//  A worker in B without --connect, one thread, named name, logging
//  debug lines to the test's file logname, plus extra arguments
//  (NULL-terminated, or NULL).
static pid_t
s_worker (const char *name, const char *logname, char *const extra [])
{
    char log [600];
    snprintf (log, sizeof log, "%s/%s", th_dir, logname);
    char *argv [24] = { (char *) th_bin ("mandelfarm-worker"), "-t", "1", "-v",
                        "--name", (char *) name };
    int argc = 6;
    for (int index = 0; extra && extra [index] && argc < 23; index++)
        argv [argc++] = extra [index];
    argv [argc] = NULL;
    return s_in_b (argv, log);
}

//  Ends a worker with SIGTERM, as a person or systemd would: it must
//  leave at once and cleanly (status 0), wherever it was, listening or
//  connected.
static void
s_end_worker (pid_t pid)
{
    kill (pid, SIGTERM);
    int rc = th_wait (pid, START_MS);
    ck_assert_msg (rc == 0, "the worker ended with %d", rc);
}

//  A master in A, -j 0, announcing, its outputs named after tag in the
//  test's folder (TAG.png, TAG.npy, TAG.json, TAG.log), plus extra
//  arguments. Its bound endpoint goes into endpoint (size bytes).
static pid_t
s_master (const char *tag, char *const extra [], char *endpoint, size_t size)
{
    char png [600], npy [600], stats [600], log [600];
    snprintf (png, sizeof png, "%s/%s.png", th_dir, tag);
    snprintf (npy, sizeof npy, "%s/%s.npy", th_dir, tag);
    snprintf (stats, sizeof stats, "%s/%s.json", th_dir, tag);
    snprintf (log, sizeof log, "%s/%s.log", th_dir, tag);
    char *argv [40] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0",
                        "--listen", "tcp://*:*", "--announce", "--heartbeat", HB,
                        "--tile", "16", "-v", "-o", png, "--raw", npy, "--stats", stats };
    int argc = 0;
    while (argv [argc])
        argc++;
    for (int index = 0; extra && extra [index] && argc < 39; index++)
        argv [argc++] = extra [index];
    argv [argc] = NULL;
    pid_t pid = th_spawn (argv, log);
    ck_assert_msg (th_master_endpoint (log, START_MS, endpoint, size) == 0,
                   "master %s did not say where it listens", tag);
    return pid;
}

//  Whether master tag's outputs are the reference's bytes.
static void
s_expect_identical (const char *tag)
{
    char png [600], npy [600];
    snprintf (png, sizeof png, "%s/%s.png", th_dir, tag);
    snprintf (npy, sizeof npy, "%s/%s.npy", th_dir, tag);
    ck_assert_msg (th_same_file (png, s_ref_png), "%s.png differs from a -j 1 render", tag);
    ck_assert_msg (th_same_file (npy, s_ref_npy), "%s.npy differs from a -j 1 render", tag);
}

//  A counter of master tag's --stats.
static long long
s_stat (const char *tag, const char *name)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.json", th_dir, tag);
    long long value = th_json_counter (path, name);
    ck_assert_msg (value >= 0, "no counter '%s' in %s.json", name, tag);
    return value;
}

//  Whether file tag.EXT (in the test's folder) holds text.
static bool
s_says (const char *file, const char *text)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", th_dir, file);
    return th_count_text (path, text) > 0;
}

//  Waits up to timeout msecs for text in the test's file.
static bool
s_wait_for (const char *file, const char *text, int timeout)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", th_dir, file);
    return th_wait_for_text (path, text, timeout) == 1;
}

//  A key pair made by the real keygen: NAME.cert and NAME.cert_secret in
//  the test's folder; the public key (Z85) into key.
static void
s_keygen (const char *name, char key [MF_CURVE_KEY_TXT + 1])
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s.cert", th_dir, name);
    char *argv [] = { (char *) th_bin ("mandelfarm-keygen"), path, NULL };
    ck_assert_int_eq (th_run (argv, 10000, NULL, 0), 0);
    mf_curve_keys_t keys;
    char err [256];
    ck_assert_msg (mf_curve_load (path, false, &keys, err, sizeof err) >= 0, "%s", err);
    strcpy (key, keys.public_txt);
}

//  The worker's public certificate in an allow folder of its own.
static void
s_allow_worker (void)
{
    char command [1400];
    snprintf (command, sizeof command, "mkdir -p '%s/allow' && cp '%s/worker.cert' '%s/allow/'",
              th_dir, th_dir, th_dir);
    ck_assert_int_eq (system (command), 0);
}

//  Listens on UDP port MF_BEACON_PORT (in A) for up to timeout msecs.
//  Returns the datagrams heard; the first valid beacon goes into first
//  (first->port stays 0 if none).
static int
s_listen (int timeout, mf_beacon_t *first)
{
    memset (first, 0, sizeof *first);
    zactor_t *listener = zactor_new (zbeacon, NULL);
    ck_assert_ptr_nonnull (listener);
    zsock_send (listener, "si", "CONFIGURE", MF_BEACON_PORT);
    char *address = zstr_recv (listener);
    ck_assert_msg (address && *address, "the test cannot listen for beacons in A");
    zstr_free (&address);
    zsock_send (listener, "sb", "SUBSCRIBE", "", (size_t) 0);
    int heard = 0;
    int64_t deadline = mf_clock_ms () + timeout;
    while (mf_clock_ms () < deadline) {
        zsock_set_rcvtimeo (listener, (int) (deadline - mf_clock_ms ()) + 1);
        zmsg_t *msg = zmsg_recv (listener);
        if (!msg)
            break;
        heard++;
        zframe_t *data = zmsg_last (msg);
        if (first->port == 0 && data)
            mf_beacon_decode (zframe_data (data), zframe_size (data), first, NULL);
        zmsg_destroy (&msg);
        if (first->port)
            break;
    }
    zactor_destroy (&listener);
    return heard;
}

START_TEST (worker_finds_master)
{
    if (s_lan ())
        return;
    //  The master first: the worker, started later, waits for at most
    //  one beacon interval.
    char endpoint [128];
    pid_t master = s_master ("m", NULL, endpoint, sizeof endpoint);
    ck_assert (s_wait_for ("m.log", "announcing tcp://10.77.0.1:", START_MS));
    int64_t started = mf_clock_ms ();
    pid_t worker = s_worker ("found-it", "w.log", NULL);
    ck_assert_msg (s_wait_for ("w.log", "found a master at tcp://10.77.0.1:", FIND_MS),
                   "the worker did not find the master");
    int64_t found = mf_clock_ms ();
    int rc = th_wait (master, RENDER_MS);
    printf ("worker_finds_master: the worker found the master %lld ms after it started "
            "(beacons every %d ms)\n", (long long) (found - started), MF_BEACON_INTERVAL);
    //  The endpoint it found is the one the master bound, on A's address.
    char expected [160];
    snprintf (expected, sizeof expected, "found a master at tcp://10.77.0.1:%d",
              th_endpoint_port (endpoint));
    ck_assert_msg (s_says ("w.log", expected), "the worker did not connect to %s", endpoint);
    ck_assert (s_says ("w.log", "registered with tcp://10.77.0.1:"));
    s_end_worker (worker);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ("m");
    //  Every tile came from the discovered worker: the master had none.
    ck_assert_int_eq (s_stat ("m", "workers_seen"), 1);
    ck_assert_int_eq (s_stat ("m", "tiles"), s_stat ("m", "tiles_total"));
    ck_assert (s_says ("m.json", "\"name\": \"found-it:"));
}
END_TEST

START_TEST (worker_follows_master_restarted_elsewhere)
{
    if (s_lan ())
        return;
    //  The worker first, then a master; when that master is done and
    //  gone, the worker looks again and finds the next one, on another
    //  port (and would on another machine).
    pid_t worker = s_worker ("roamer", "w.log", NULL);
    ck_assert (s_wait_for ("w.log", "waiting for a master: listening for beacons", START_MS));
    char first [128], second [128];
    pid_t master = s_master ("one", NULL, first, sizeof first);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    s_expect_identical ("one");
    ck_assert_int_eq (s_stat ("one", "workers_seen"), 1);
    //  Another port for the second master: the first one's is not free
    //  until its socket is gone, and a fixed one differs in any case.
    //  The worker notices the first master gone (three heartbeats) and
    //  listens again.
    ck_assert_msg (s_wait_for ("w.log", "looking for a master's beacon again", FIND_MS),
                   "the worker did not go back to listening");
    ck_assert (s_says ("w.log", "silent for"));
    int64_t started = mf_clock_ms ();
    master = s_master ("two", (char *[]) { "--listen", "tcp://*:47123", NULL }, second,
                       sizeof second);
    ck_assert_str_eq (second, "tcp://0.0.0.0:47123");
    ck_assert (s_wait_for ("w.log", "found a master at tcp://10.77.0.1:47123", FIND_MS));
    printf ("worker_follows_master_restarted_elsewhere: the waiting worker found the new "
            "master %lld ms after it was started\n", (long long) (mf_clock_ms () - started));
    ck_assert_msg (th_wait (master, RENDER_MS) == 0, "the second master was not served");
    s_end_worker (worker);
    s_expect_identical ("two");
    ck_assert_int_eq (s_stat ("two", "workers_seen"), 1);
    ck_assert_int_eq (s_stat ("two", "tiles"), s_stat ("two", "tiles_total"));
}
END_TEST

START_TEST (other_masters_key_ignored)
{
    if (s_lan ())
        return;
    //  Masters A and B on the same LAN, both admitting the worker's key;
    //  the worker knows only A's key. B announces first and longest: the
    //  worker passes it over, serves A, and B gets nothing from it.
    char key_a [MF_CURVE_KEY_TXT + 1], key_b [MF_CURVE_KEY_TXT + 1], key_w [MF_CURVE_KEY_TXT + 1];
    s_keygen ("master-a", key_a);
    s_keygen ("master-b", key_b);
    s_keygen ("worker", key_w);
    s_allow_worker ();
    char cert_a [600], cert_b [600], allow [600], wcert [600], wmaster [600];
    snprintf (cert_a, sizeof cert_a, "%s/master-a.cert_secret", th_dir);
    snprintf (cert_b, sizeof cert_b, "%s/master-b.cert_secret", th_dir);
    snprintf (allow, sizeof allow, "%s/allow", th_dir);
    snprintf (wcert, sizeof wcert, "%s/worker.cert_secret", th_dir);
    snprintf (wmaster, sizeof wmaster, "%s/master-a.cert", th_dir);
    char endpoint_a [128], endpoint_b [128];
    pid_t b = s_master ("b", (char *[]) { "--cert", cert_b, "--allow", allow, NULL },
                        endpoint_b, sizeof endpoint_b);
    ck_assert (s_wait_for ("b.log", "announcing", START_MS));
    pid_t worker = s_worker ("keyed", "w.log",
                             (char *[]) { "--cert", wcert, "--master-key", wmaster, NULL });
    ck_assert_msg (s_wait_for ("w.log", "another master's key", FIND_MS),
                   "the worker did not say it ignores B's beacons");
    pid_t a = s_master ("a", (char *[]) { "--cert", cert_a, "--allow", allow, NULL },
                        endpoint_a, sizeof endpoint_a);
    int rc = th_wait (a, RENDER_MS);
    //  B is ended by a signal: its --stats are written all the same.
    kill (b, SIGTERM);
    int rc_b = th_wait (b, START_MS);
    s_end_worker (worker);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ("a");
    ck_assert_int_eq (s_stat ("a", "workers_seen"), 1);
    ck_assert_int_eq (s_stat ("a", "tiles"), s_stat ("a", "tiles_total"));
    ck_assert_int_eq (rc_b, 1);
    ck_assert_int_eq (s_stat ("b", "tiles"), 0);
    ck_assert_int_eq (s_stat ("b", "workers_seen"), 0);
    //  B's beacon carried B's key, and the worker never went there.
    char b_port [64];
    snprintf (b_port, sizeof b_port, "10.77.0.1:%d ", th_endpoint_port (endpoint_b));
    ck_assert (!s_says ("w.log", b_port));
    ck_assert (!s_says ("b.log", "joined"));
}
END_TEST

START_TEST (forged_beacon_leads_nowhere)
{
    if (s_lan ())
        return;
    //  A forger copies master A's public key (it is public: A's own
    //  beacon carries it) into a beacon that points at master B, which
    //  has another key but would admit the worker. The worker follows it,
    //  the CURVE handshake with A's key fails at B, and the worker turns
    //  to the real A. B never gets a tile from it.
    char key_a [MF_CURVE_KEY_TXT + 1], key_b [MF_CURVE_KEY_TXT + 1], key_w [MF_CURVE_KEY_TXT + 1];
    s_keygen ("master-a", key_a);
    s_keygen ("master-b", key_b);
    s_keygen ("worker", key_w);
    s_allow_worker ();
    char cert_a [600], cert_b [600], allow [600], wcert [600], wmaster [600];
    snprintf (cert_a, sizeof cert_a, "%s/master-a.cert_secret", th_dir);
    snprintf (cert_b, sizeof cert_b, "%s/master-b.cert_secret", th_dir);
    snprintf (allow, sizeof allow, "%s/allow", th_dir);
    snprintf (wcert, sizeof wcert, "%s/worker.cert_secret", th_dir);
    snprintf (wmaster, sizeof wmaster, "%s/master-a.cert", th_dir);
    //  B listens but does not announce: only the forger points at it.
    char endpoint_b [128], endpoint_a [128];
    char png [600], stats [600], log [600];
    snprintf (png, sizeof png, "%s/b.png", th_dir);
    snprintf (stats, sizeof stats, "%s/b.json", th_dir);
    snprintf (log, sizeof log, "%s/b.log", th_dir);
    char *argv_b [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "--listen",
                        "tcp://*:*", "--cert", cert_b, "--allow", allow, "-v", "-o", png,
                        "--stats", stats, NULL };
    pid_t b = th_spawn (argv_b, log);
    ck_assert (th_master_endpoint (log, START_MS, endpoint_b, sizeof endpoint_b) == 0);
    mf_beacon_t forged = { .port = (uint16_t) th_endpoint_port (endpoint_b), .curve = true,
                           .id = 0xf0f0f0f0f0f0f0f0ULL };
    strcpy (forged.key, key_a);
    uint8_t bytes [MF_BEACON_SIZE];
    ck_assert_uint_eq (mf_beacon_encode (bytes, sizeof bytes, &forged), MF_BEACON_SIZE);
    zactor_t *forger = zactor_new (zbeacon, NULL);
    zsock_send (forger, "si", "CONFIGURE", MF_BEACON_PORT);
    char *address = zstr_recv (forger);
    ck_assert_msg (address && *address, "the forger cannot broadcast in A");
    zstr_free (&address);
    zsock_send (forger, "sbi", "PUBLISH", bytes, sizeof bytes, 200);
    pid_t worker = s_worker ("keyed", "w.log",
                             (char *[]) { "--cert", wcert, "--master-key", wmaster, NULL });
    char forged_endpoint [128];
    snprintf (forged_endpoint, sizeof forged_endpoint, "found a master at tcp://10.77.0.1:%d",
              forged.port);
    ck_assert_msg (s_wait_for ("w.log", forged_endpoint, FIND_MS),
                   "the worker did not follow the forged beacon");
    ck_assert_msg (s_wait_for ("w.log", "no answer from", FIND_MS),
                   "the worker did not give up on the forged master");
    //  Now the real A, while the forger goes on.
    pid_t a = s_master ("a", (char *[]) { "--cert", cert_a, "--allow", allow, NULL },
                        endpoint_a, sizeof endpoint_a);
    int rc = th_wait (a, RENDER_MS);
    kill (b, SIGTERM);
    int rc_b = th_wait (b, START_MS);
    s_end_worker (worker);
    zactor_destroy (&forger);
    ck_assert_int_eq (rc, 0);
    s_expect_identical ("a");
    ck_assert_int_eq (s_stat ("a", "tiles"), s_stat ("a", "tiles_total"));
    ck_assert_int_eq (rc_b, 1);
    ck_assert_int_eq (s_stat ("b", "tiles"), 0);
    ck_assert_int_eq (s_stat ("b", "workers_seen"), 0);
    ck_assert (!s_says ("b.log", "joined"));
    char registered [160];
    snprintf (registered, sizeof registered, "registered with tcp://10.77.0.1:%d",
              th_endpoint_port (endpoint_a));
    ck_assert (s_says ("w.log", registered));
}
END_TEST

START_TEST (silent_without_announce)
{
    if (s_lan ())
        return;
    //  A master listening on the LAN, without --announce: nothing on the
    //  beacons' port for two and a half intervals.
    char png [600], log [600], endpoint [128];
    snprintf (png, sizeof png, "%s/quiet.png", th_dir);
    snprintf (log, sizeof log, "%s/quiet.log", th_dir);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "--listen",
                      "tcp://*:*", "-o", png, NULL };
    pid_t quiet = th_spawn (argv, log);
    ck_assert (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0);
    mf_beacon_t beacon;
    ck_assert_int_eq (s_listen (SILENT_MS, &beacon), 0);
    ck_assert (!s_says ("quiet.log", "announcing"));
    th_stop (quiet);
    //  The control: the same listener hears a master with --announce at
    //  once, and what it says is the port it bound, without CURVE.
    pid_t loud = s_master ("loud", NULL, endpoint, sizeof endpoint);
    ck_assert_int_ge (s_listen (START_MS, &beacon), 1);
    ck_assert_int_eq (beacon.port, th_endpoint_port (endpoint));
    ck_assert (!beacon.curve);
    th_stop (loud);
}
END_TEST

START_TEST (announce_from_listen_address)
{
    if (s_lan ())
        return;
    //  A master bound to one address announces from its interface; an
    //  address no interface holds is refused before anything listens.
    char out [2048];
    char png [600];
    snprintf (png, sizeof png, "%s/x.png", th_dir);
    char *elsewhere [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "--listen",
                           "tcp://10.99.0.1:*", "--announce", "-o", png, NULL };
    ck_assert_int_eq (th_run (elsewhere, START_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--announce: '10.99.0.1' is not the name or IPv4 address")
                   && strstr (out, "va 10.77.0.1"), "said: %s", out);
    ck_assert (!th_exists (png));
    //  A second address on va: zbeacon would send from the first, where
    //  this master does not listen.
    ck_assert_int_eq (system ("ip addr add 10.77.0.3/24 dev va"), 0);
    char *second [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0", "--listen",
                        "tcp://10.77.0.3:*", "--announce", "-o", png, NULL };
    ck_assert_int_eq (th_run (second, START_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "--announce: beacons would leave from 10.77.0.1, the first "
                           "address of va, not from --listen's 10.77.0.3"), "said: %s", out);
    //  An interface's name is its address.
    char endpoint [128];
    pid_t named = s_master ("named", (char *[]) { "--listen", "tcp://va:*", NULL }, endpoint,
                            sizeof endpoint);
    ck_assert (s_wait_for ("named.log", "announcing tcp://10.77.0.1:", START_MS));
    th_stop (named);
    pid_t master = s_master ("m", (char *[]) { "--listen", "tcp://10.77.0.1:*", NULL },
                             endpoint, sizeof endpoint);
    ck_assert (s_wait_for ("m.log", "announcing tcp://10.77.0.1:", START_MS));
    pid_t worker = s_worker ("w", "w.log", NULL);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    s_end_worker (worker);
    s_expect_identical ("m");
}
END_TEST

START_TEST (no_broadcast_interface)
{
    //  Only a loopback: a master asked to announce is refused (status 2,
    //  one line, nothing written); a worker without --connect says it
    //  cannot listen, and waits for an interface instead of exiting.
    if (s_private_net ())
        return;
    char out [2048], png [600];
    snprintf (png, sizeof png, "%s/x.png", th_dir);
    char *master [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "-q",
                        "--listen", "tcp://*:*", "--announce", "-o", png, NULL };
    ck_assert_int_eq (th_run (master, START_MS, out, sizeof out), 2);
    ck_assert_msg (strstr (out, "mandelfarm-master: --announce: no network interface here can "
                           "broadcast") && strchr (out, '\n') == out + strlen (out) - 1,
                   "said: %s", out);
    ck_assert (!th_exists (png));
    char *log = th_path ("w.log");
    char *worker_argv [] = { (char *) th_bin ("mandelfarm-worker"), "-t", "1", NULL };
    pid_t worker = th_spawn (worker_argv, log);
    ck_assert (th_wait_for_text (log, "cannot listen for beacons: no network interface", START_MS));
    ck_assert_int_eq (kill (worker, 0), 0);
    kill (worker, SIGTERM);
    ck_assert_int_eq (th_wait (worker, START_MS), 0);
    free (log);
}
END_TEST

START_TEST (viewer_announces)
{
    if (s_lan ())
        return;
    //  The viewer starts through the same launch: with --announce and no
    //  local worker, its view completes only with the discovered worker.
#if defined (__SANITIZE_ADDRESS__)
    setenv ("SDL_VIDEODRIVER", "dummy", 1);
#else
    setenv ("SDL_VIDEODRIVER", "offscreen", 1);
#endif
    char *script = th_path ("tour.txt");
    FILE *file = fopen (script, "w");
    ck_assert_ptr_nonnull (file);
    fputs ("wait 30\nquit\n", file);
    fclose (file);
    char *log = th_path ("viewer.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-viewer"), "--size", "160x120", "-j", "0",
                      "--listen", "tcp://*:*", "--announce", "--script", script, NULL };
    pid_t viewer = th_spawn (argv, log);
    ck_assert (th_wait_for_text (log, "announcing tcp://10.77.0.1:", START_MS));
    pid_t worker = s_worker ("for-the-viewer", "w.log", NULL);
    int rc = th_wait (viewer, RENDER_MS);
    s_end_worker (worker);
    ck_assert_msg (rc == 0, "the viewer ended with %d", rc);
    ck_assert (s_says ("w.log", "registered with tcp://10.77.0.1:"));
    free (script);
    free (log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("discovery");
    TCase *unit = tcase_create ("beacon");
    tcase_add_test (unit, beacon_bytes);
    tcase_add_test (unit, beacon_every_truncation_refused);
    tcase_add_test (unit, beacon_fields_refused);
    tcase_add_test (unit, beacon_judge_rule);
    tcase_add_test (unit, announce_options);
    tcase_add_test (unit, discover_options);
    suite_add_tcase (suite, unit);
    TCase *lan = tcase_create ("lan");
    tcase_set_timeout (lan, 120);
    tcase_add_checked_fixture (lan, s_setup, s_teardown);
    tcase_add_test (lan, worker_finds_master);
    tcase_add_test (lan, worker_follows_master_restarted_elsewhere);
    tcase_add_test (lan, other_masters_key_ignored);
    tcase_add_test (lan, forged_beacon_leads_nowhere);
    tcase_add_test (lan, silent_without_announce);
    tcase_add_test (lan, announce_from_listen_address);
    tcase_add_test (lan, no_broadcast_interface);
    tcase_add_test (lan, viewer_announces);
    suite_add_tcase (suite, lan);
    return th_run_suite (suite);
}
