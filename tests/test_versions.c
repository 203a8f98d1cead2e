/*  A peer of the first release (protocol version 1) meets a clear line on
    either side, and nothing else: the real master, told HELLO by a v1
    worker, says which version it speaks and which the master does (and
    still finishes its render with a v2 worker); the real worker, told
    WELCOME by a v1 master, says so once, however often it is told.
*/
#include "helpers.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define START_MS 10000                  //  msecs a program may take to start and say so
#define RENDER_MS 60000                 //  msecs the render may take at most
#define WAIT_MS 20000                   //  msecs an expected line may take

//  A v1 HELLO as the first release sent it (88 bytes: no cores, no speed).
static size_t
s_v1_hello (uint8_t *buf)
{
    memset (buf, 0, 88);
    buf [0] = 'M';
    buf [1] = 'F';
    buf [2] = 1;
    buf [3] = MF_MSG_HELLO;
    buf [4] = 2;                        //  credit
    buf [8] = 1;                        //  threads
    memcpy (buf + 24, "scalar", 6);
    memcpy (buf + 40, "old-worker", 10);
    return 88;
}

START_TEST (master_names_a_v1_worker)
{
    th_dir_setup ();
    char *png = th_path ("v.png"), *log = th_path ("master.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), "--size", "64x48", "--iter", "200",
                      "-j", "0", "--listen", "tcp://127.0.0.1:*", "-o", png, NULL };
    pid_t master = th_spawn (argv, log);
    char endpoint [128];
    ck_assert_int_eq (th_master_endpoint (log, START_MS, endpoint, sizeof endpoint), 0);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (dealer, endpoint), 0);
    uint8_t hello [88];
    ck_assert_int_eq (zmq_send (dealer, hello, s_v1_hello (hello), 0), 88);
    ck_assert_msg (th_wait_for_text (log, "it speaks protocol version 1, this master speaks 2",
                                     WAIT_MS), "no line names the versions");
    //  It gets no answer.
    zmq_pollitem_t item = { dealer, 0, ZMQ_POLLIN, 0 };
    ck_assert_int_eq (zmq_poll (&item, 1, 300), 0);
    zmq_close (dealer);
    zmq_ctx_term (context);
    //  A worker of this release finishes the render.
    pid_t worker = th_worker (endpoint, "1", NULL);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    th_stop (worker);
    ck_assert (th_exists (png));
    free (png);
    free (log);
    th_dir_teardown ();
}
END_TEST

START_TEST (worker_names_a_v1_master)
{
    th_dir_setup ();
    char endpoint [96];
    snprintf (endpoint, sizeof endpoint, "ipc://@mf-test-versions-%d", (int) getpid ());
    void *context = zmq_ctx_new ();
    void *router = zmq_socket (context, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_bind (router, endpoint), 0);
    char *log = th_path ("worker.log");
    char *argv [] = { (char *) th_bin ("mandelfarm-worker"), "--connect", endpoint,
                      "--threads", "1", NULL };
    pid_t worker = th_spawn (argv, log);
    //  Its HELLO (v2), answered three times with a v1 WELCOME.
    uint8_t id [256], data [256];
    zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
    ck_assert_int_eq (zmq_poll (&item, 1, START_MS), 1);
    int id_size = zmq_recv (router, id, sizeof id, 0);
    int size = zmq_recv (router, data, sizeof data, 0);
    ck_assert_int_gt (id_size, 0);
    mf_msg_t msg;
    ck_assert_int_eq (mf_proto_decode (data, (size_t) size, &msg, NULL), 0);
    ck_assert_int_eq (msg.type, MF_MSG_HELLO);
    uint8_t welcome [12] = { 'M', 'F', 1, MF_MSG_WELCOME, 0xe8, 0x03, 0, 0, 1, 0, 0, 0 };
    for (int round = 0; round < 3; round++) {
        zmq_send (router, id, (size_t) id_size, ZMQ_SNDMORE);
        zmq_send (router, welcome, sizeof welcome, 0);
    }
    ck_assert_msg (th_wait_for_text (log, "speaks protocol version 1, this worker 2", WAIT_MS),
                   "no line names the versions");
    //  Once: wait for its heartbeat (sent after the WELCOMEs were read).
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    bool beat = false;
    while (!beat && mf_clock_ms () < deadline && zmq_poll (&item, 1, 100) >= 0) {
        if (!(item.revents & ZMQ_POLLIN))
            continue;
        zmq_recv (router, id, sizeof id, 0);
        size = zmq_recv (router, data, sizeof data, 0);
        beat = mf_proto_decode (data, (size_t) size, &msg, NULL) == 0
            && msg.type == MF_MSG_HEARTBEAT;
    }
    ck_assert (beat);
    ck_assert_int_eq (th_count_text (log, "speaks protocol version 1"), 1);
    th_stop (worker);
    zmq_close (router);
    zmq_ctx_term (context);
    free (log);
    th_dir_teardown ();
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("versions");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_test (tc, master_names_a_v1_worker);
    tcase_add_test (tc, worker_names_a_v1_master);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
