/*  The checkpoint journal with real masters on loopback: a HELLO flood
    cannot grow it past the tile grid; a corrupt record in the middle costs
    that record only, and the resume line says so; a FIFO or a link to a
    device is refused at once; an empty file given as the journal is still
    there after the render; and a second master on a journal in use is
    refused. Every process is ended by its pid; every wait is bounded.
*/
#include "helpers.h"
#include "journal.h"
#include "mf_proto.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define RENDER_MS 90000                 //  msecs any one render may take at most
#define REFUSE_MS 20000                 //  msecs a refusal may take at most (it is at once)
#define TILES 150                       //  tiles of VIEW in tiles of 16
#define VIEW "--size", "240x160", "--center", "-0.7436,0.1318", "--width", "0.02", \
             "--iter", "1500", "--tile", "16"

#define START_MS 10000                  //  msecs a master may take to bind
#define ANY_PORT "tcp://127.0.0.1:*"    //  --listen where the system picks the port

//  argv of a master rendering VIEW with -j 0 on endpoint to out.png, with
//  its checkpoint at journal, plus extra flags (NULL-terminated).
static void
s_master_argv (char **argv, const char *endpoint, const char *journal, char *const extra [])
{
    static char png [600], stats [600];
    snprintf (png, sizeof png, "%s/out.png", th_dir);
    snprintf (stats, sizeof stats, "%s/stats.json", th_dir);
    char *base [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "0",
                      "--listen", (char *) endpoint, "--heartbeat", "200",
                      "--checkpoint", (char *) journal, "-o", png, "--stats", stats, NULL };
    int argc = 0;
    for (; base [argc]; argc++)
        argv [argc] = base [argc];
    for (int index = 0; extra && extra [index]; index++)
        argv [argc++] = extra [index];
    argv [argc] = NULL;
}

static off_t
s_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0? st.st_size: -1;
}

START_TEST (hello_flood_bounded)
{
    //  One peer says HELLO again and again: each voids its lease and the
    //  tile goes out to it again. The journal holds that lease once.
    char endpoint [64];
    char *journal = th_path ("ck"), *log = th_path ("master.log");
    char *argv [40];
    s_master_argv (argv, ANY_PORT, journal, NULL);
    pid_t master = th_spawn (argv, log);
    ck_assert (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint) == 0);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    int linger = 0, timeout = 100;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    ck_assert_int_eq (zmq_connect (dealer, endpoint), 0);
    mf_hello_t hello = { .credit = 1, .threads = 1, .pid = 1, .uid = 0xf100dULL };
    strcpy (hello.kernel, "scalar");
    strcpy (hello.host, "flooder");
    uint8_t buf [MF_SIZE_HELLO];
    size_t size = mf_proto_encode_hello (buf, sizeof buf, &hello);
    int tiles = 0;
    //  Each round: a HELLO, then wait (bounded) for the TILE it draws.
    for (int round = 0; round < 300; round++) {
        ck_assert_int_eq (zmq_send (dealer, buf, size, 0), (int) size);
        bool leased = false;
        for (int wait = 0; wait < 100 && !leased; wait++) {
            uint8_t in [256];
            int got = zmq_recv (dealer, in, sizeof in, 0);
            mf_msg_t msg;
            leased = got > 0 && mf_proto_decode (in, (size_t) got, &msg, NULL) == 0
                  && msg.type == MF_MSG_TILE;
        }
        ck_assert_msg (leased, "round %d: no TILE for the HELLO", round);
        tiles++;
    }
    //  Every TILE was journalled (on_leased runs right after its send)
    //  before it reached us: 300 leases of at most TILES tiles.
    off_t bound = MF_JOURNAL_HEADER
                + TILES * (off_t) (MF_JOURNAL_RECORD_HEAD + MF_JOURNAL_RECORD_TAIL);
    off_t now = s_size (journal);
    ck_assert_int_eq (tiles, 300);
    ck_assert_msg (now > MF_JOURNAL_HEADER && now <= bound,
                   "300 leases made a journal of %lld bytes (bound %lld)",
                   (long long) now, (long long) bound);
    zmq_close (dealer);
    zmq_ctx_term (context);
    th_kill (master);
    free (journal);
    free (log);
}
END_TEST

//  The first line of log holding text, copied into line; 1 or 0.
static int
s_line (const char *log, const char *text, char *line, size_t size)
{
    size_t length;
    char *all = (char *) th_slurp (log, &length);
    char *at = all? strstr (all, text): NULL;
    if (at) {
        while (at > all && at [-1] != '\n')
            at--;
        size_t n = strcspn (at, "\n");
        snprintf (line, size, "%.*s", (int) n, at);
    }
    free (all);
    return at != NULL;
}

//  Walks the journal at path: the offset and size of its second record,
//  and the number of tiles done in it. Returns 0 or -1.
static int
s_walk (const char *path, size_t *second, size_t *second_size, bool *second_done,
        uint32_t *done)
{
    size_t size;
    uint8_t *bytes = th_slurp (path, &size);
    if (!bytes || size < MF_JOURNAL_HEADER) {
        free (bytes);
        return -1;
    }
    uint8_t is_done [TILES] = { 0 };
    size_t offset = MF_JOURNAL_HEADER;
    int index = 0;
    *done = 0;
    for (; offset < size && index < 100000; index++) {
        mf_journal_record_t record;
        size_t used = mf_journal_decode (bytes + offset, size - offset, &record);
        if (!used || record.tile >= TILES)
            break;                          //  a torn last record: the kill
        if (index == 1) {
            *second = offset;
            *second_size = used;
            *second_done = record.type == MF_JOURNAL_DONE;
        }
        if (record.type == MF_JOURNAL_DONE)
            is_done [record.tile] = 1;
        else
        if (record.type == MF_JOURNAL_WITHDRAWN)
            is_done [record.tile] = 0;
        offset += used;
    }
    for (int tile = 0; tile < TILES; tile++)
        *done += is_done [tile];
    free (bytes);
    return index >= 2? 0: -1;
}

START_TEST (corrupt_record_skipped_on_resume)
{
    //  A reference render, then one killed half way.
    char *ref = th_path ("ref.png"), *png = th_path ("out.png");
    char *ref_argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "--quiet",
                          "-o", ref, NULL };
    ck_assert_int_eq (th_run (ref_argv, RENDER_MS, NULL, 0), 0);
    //  The workers reconnect to the resumed master at the same address:
    //  an ipc:// path of the test's own, which nobody else can take
    //  meanwhile as they could a TCP port.
    char endpoint [700];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/master.sock", th_dir);
    char *journal = th_path ("ck"), *log = th_path ("master.log"), *log2 = th_path ("master2.log");
    pid_t a = th_worker (endpoint, "1", (char *[]) { "--test-delay", "15", NULL });
    pid_t b = th_worker (endpoint, "2", (char *[]) { "--test-delay", "15", NULL });
    char *argv [40];
    s_master_argv (argv, endpoint, journal, NULL);
    pid_t master = th_spawn (argv, log);
    for (int round = 0; round < 1000 && s_size (journal) <= 60 * (16 + 1040); round++)
        usleep (10 * 1000);
    th_kill (master);
    //  One byte in the middle of the second record changes.
    size_t second = 0, second_size = 0;
    bool second_done = false;
    uint32_t done_before = 0;
    ck_assert_int_eq (s_walk (journal, &second, &second_size, &second_done, &done_before), 0);
    ck_assert_uint_ge (done_before, 30);
    int fd = open (journal, O_RDWR);
    uint8_t byte;
    off_t at = (off_t) (second + second_size / 2);
    ck_assert_int_eq (pread (fd, &byte, 1, at), 1);
    byte ^= 0x20;
    ck_assert_int_eq (pwrite (fd, &byte, 1, at), 1);
    close (fd);
    //  Resumed: that record is skipped, the others restored.
    master = th_spawn (argv, log2);
    int rc = th_wait (master, RENDER_MS);
    th_stop (a);
    th_stop (b);
    ck_assert_int_eq (rc, 0);
    ck_assert_msg (th_same_file (png, ref), "the resumed render differs from a quiet one");
    char line [512];
    ck_assert_msg (s_line (log2, "resuming from", line, sizeof line), "no resume line");
    ck_assert_msg (strstr (line, "skipped 1 corrupt record"), "%s", line);
    ck_assert_msg (!strstr (line, "was cut off"), "the old message: %s", line);
    unsigned done = 0, total = 0;
    ck_assert_int_eq (sscanf (strstr (strstr (line, "resuming from"), ": ") + 2,
                              "%u of %u tiles done", &done, &total), 2);
    ck_assert_uint_eq (total, TILES);
    //  Every tile done in the journal, but the damaged record's own.
    ck_assert_uint_eq (done, done_before - (second_done? 1: 0));
    char *stats = th_path ("stats.json");
    ck_assert_int_eq (th_json_counter (stats, "restored"), done);
    ck_assert_msg (!th_exists (journal), "a complete render keeps its checkpoint");
    free (stats);
    free (ref);
    free (png);
    free (journal);
    free (log);
    free (log2);
}
END_TEST

START_TEST (non_regular_checkpoint_refused)
{
    //  A FIFO would block the master in write() for good once its buffer
    //  is full; a link to /dev/null would swallow the journal and then be
    //  deleted. Both are refused at once, with status 2, and stay.
    char *fifo = th_path ("fifo"), *link = th_path ("to-null"), *png = th_path ("out.png");
    ck_assert_int_eq (mkfifo (fifo, 0600), 0);
    ck_assert_int_eq (symlink ("/dev/null", link), 0);
    const char *cases [] = { fifo, link };
    for (int index = 0; index < 2; index++) {
        char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "--quiet",
                          "--checkpoint", (char *) cases [index], "-o", png, NULL };
        char out [1024] = "";
        int rc = th_run (argv, REFUSE_MS, out, sizeof out);
        ck_assert_msg (rc == 2, "%s: status %d (-1: still running after %d ms): %s",
                       cases [index], rc, REFUSE_MS, out);
        //  The options refuse a link as a journal before the journal's own
        //  check of the file type would: either line names what is wrong.
        ck_assert_msg (strstr (out, "--checkpoint") && strstr (out, cases [index])
                       && (strstr (out, "not a regular file") || strstr (out, "symbolic link")),
                       "%s", out);
        ck_assert (!th_exists (png));
    }
    struct stat st;
    ck_assert (lstat (link, &st) == 0 && S_ISLNK (st.st_mode));
    ck_assert (lstat (fifo, &st) == 0 && S_ISFIFO (st.st_mode));
    free (fifo);
    free (link);
    free (png);
}
END_TEST

START_TEST (empty_checkpoint_kept)
{
    //  An empty file given as the checkpoint is not ours: a complete
    //  render leaves it there, empty.
    char *journal = th_path ("ck"), *png = th_path ("out.png");
    FILE *file = fopen (journal, "w");
    ck_assert_ptr_nonnull (file);
    fclose (file);
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), VIEW, "-j", "1", "--quiet",
                      "--checkpoint", journal, "-o", png, NULL };
    ck_assert_int_eq (th_run (argv, RENDER_MS, NULL, 0), 0);
    ck_assert (th_exists (png));
    ck_assert_msg (s_size (journal) == 0, "the empty checkpoint file was deleted or left full");
    free (journal);
    free (png);
}
END_TEST

START_TEST (second_master_refused)
{
    //  A master renders with a checkpoint (no worker: it waits); a second
    //  one on the same checkpoint is refused at once, naming the file, and
    //  leaves it to the first.
    char *journal = th_path ("ck"), *log = th_path ("master.log");
    char *argv [40];
    s_master_argv (argv, ANY_PORT, journal, (char *[]) { "--deadline", "60", NULL });
    pid_t first = th_spawn (argv, log);
    for (int round = 0; round < 1000 && s_size (journal) < MF_JOURNAL_HEADER; round++)
        usleep (10 * 1000);
    ck_assert_int_eq (s_size (journal), MF_JOURNAL_HEADER);
    char *second [40];
    s_master_argv (second, ANY_PORT, journal, (char *[]) { "--deadline", "1", NULL });
    char out [1024] = "";
    int rc = th_run (second, REFUSE_MS, out, sizeof out);
    ck_assert_msg (rc == 2, "the second master: status %d: %s", rc, out);
    ck_assert_msg (strstr (out, journal) && strstr (out, "another mandelfarm master"), "%s", out);
    ck_assert_int_eq (kill (first, 0), 0);              //  the first goes on
    ck_assert_int_eq (s_size (journal), MF_JOURNAL_HEADER);
    th_stop (first);
    ck_assert (th_exists (journal));
    free (journal);
    free (log);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("journal_e2e");
    TCase *tc = tcase_create ("journal_e2e");
    tcase_set_timeout (tc, 180);
    tcase_add_checked_fixture (tc, th_dir_setup, th_dir_teardown);
    tcase_add_test (tc, hello_flood_bounded);
    tcase_add_test (tc, corrupt_record_skipped_on_resume);
    tcase_add_test (tc, non_regular_checkpoint_refused);
    tcase_add_test (tc, empty_checkpoint_kept);
    tcase_add_test (tc, second_master_refused);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
