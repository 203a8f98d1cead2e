/*  mf_worker and deep tiles: the worker loop on threads of this process,
    against a fake master on an ipc:// ROUTER that leases tiles of a real
    deep view (the line location, 64 x 36, 1.4e28, doubles) and serves
    its reference orbit, computed and packed here, to FETCHes.

    The worker fetches the orbit once, with at most MF_FETCHER_WINDOW
    chunks unanswered (the test makes chunks of 128 bytes so that there
    are dozens), and every RESULT's f64 mu is the reference perturbation
    kernel's, bit for bit. A worker that joins later fetches it too and
    helps. An orbit whose chunk was corrupted, that does not hash to its
    id, declares more than the worker's budget, is a zip bomb, or whose
    chunks contradict its lease is refused: each of its tiles is declined
    (the credit comes back), no RESULT ever comes for it, later leases of
    it are declined without a fetch, and the worker still computes. A
    master that no longer holds an orbit (NOORBIT) makes its tiles
    declined, without the orbit being held against it; one that never
    answers is given up on. CANCEL drops parked tiles; a deep tile in hand
    stops at CANCEL, at REGISTER and at the worker's stop. HELLO carries
    the cores and a measured speed.

    Every wait is bounded; the worker threads are stopped through their
    stop flags and pipes.
*/
#define ZSTD_STATIC_LINKING_ONLY
#include "deep_locations.h"
#include "helpers.h"
#include "fetcher.h"
#include "worker.h"
#include "mf_log.h"
#include "mf_perturb.h"
#include "mf_proto.h"
#include "mf_ship.h"
#include "mf_util.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include <zstd.h>

#define WAIT_MS 30000                   //  msecs an expected message may take at most
#define QUIET_MS 300                    //  msecs of listening for what must not come
#define ANSWER_MS 20                    //  msecs of silence before held FETCHes are answered
#define HB 60000                        //  msecs, the heartbeat the fake master asks for
#define CHUNK 128                       //  bytes the test worker asks per FETCH
#define W 64                            //  the view, pixels
#define H 36
#define TW 16                           //  its tiles
#define TH 12
#define TILES ((W / TW) * (H / TH))
#define PEERS 4                         //  workers the fake master tells apart
#define HELD_MAX 256                    //  FETCHes held at most
#define BUSY_TICKS 20                   //  CPU ticks that show a compute thread at work
#define INTERIOR_JOB 50                 //  jobs from here on: views all inside the set

//  ---- the deep view and its orbit ------------------------------------------

typedef struct {
    mf_deep_map_t map;
    mf_orbit_t *orbit;
    mf_orbit_id_t id;
    uint8_t *blob;                      //  shipped
    size_t blob_size;
    uint64_t raw;
    double expected [TILES][TW * TH];   //  the reference kernel's mu
} s_view_t;

static s_view_t s_line;

static void
s_line_setup (void)
{
    char err [256];
    mf_deep_view_t *view = mf_deep_view_new (LOC_LINE_CENTER, NULL, LOC_LINE_ZOOM, W, H, err,
                                              sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    mf_deep_view_map (view, &s_line.map);
    s_line.orbit = mf_orbit_compute (view, LOC_LINE_ITER, NULL, err, sizeof err);
    ck_assert_msg (s_line.orbit != NULL, "%s", err);
    mf_deep_view_destroy (&view);
    ck_assert_int_eq (mf_ship_pack_orbit (s_line.orbit, &s_line.id, &s_line.blob,
                                          &s_line.blob_size, &s_line.raw, err, sizeof err), 0);
    mf_bla_t *bla = mf_bla_new (s_line.orbit, mf_deep_map_cmax (&s_line.map), err, sizeof err);
    ck_assert_ptr_nonnull (bla);
    const mf_perturb_kernel_t *reference = mf_perturb_find ("reference");
    ck_assert_ptr_nonnull (reference);
    for (uint32_t tile = 0; tile < TILES; tile++) {
        mf_perturb_task_t task = { &s_line.map, bla, LOC_LINE_ITER,
                                   { tile % (W / TW) * TW, tile / (W / TW) * TH, TW, TH },
                                   NULL, false };
        ck_assert_int_eq (reference->fn (&task, s_line.expected [tile], NULL), 0);
    }
    mf_bla_destroy (&bla);
}

//  A deep lease of tile of the line view for job.
static mf_deeptile_t
s_deeptile (uint32_t job, uint32_t tile)
{
    mf_deeptile_t lease = {
        .job = job, .tile = tile, .lease = 1000 * job + tile, .maxiter = LOC_LINE_ITER,
        .rect = { tile % (W / TW) * TW, tile / (W / TW) * TH, TW, TH },
        .map = s_line.map, .orbit = s_line.id, .shipped = s_line.blob_size, .raw = s_line.raw
    };
    return lease;
}

//  ---- the fake master --------------------------------------------------------

//  What a FETCH of the orbit served gets.
typedef struct {
    mf_orbit_id_t id;                   //  the id it is served under
    const uint8_t *blob;                //  the bytes served
    size_t size;
    long corrupt_at;                    //  a byte flipped on its way, or -1
    uint64_t total;                     //  the total CHUNKs say (0: size)
    bool hold;                          //  FETCHes are held, not answered
    bool noorbit;                       //  FETCHes are answered with NOORBIT
} s_served_t;

#define HB_FAST 300                     //  msecs, a heartbeat the fake master answers

typedef struct {
    void *context;
    void *router;
    char endpoint [96];
    uint8_t ids [PEERS][256];           //  routing ids, by peer
    size_t id_sizes [PEERS];
    int peer_count;
    int from;                           //  peer of the last message
    uint8_t data [70000];               //  the last message
    s_served_t served;
    mf_fetch_t held [HELD_MAX];         //  FETCHes not answered yet
    int held_from [HELD_MAX];
    int held_count;
    int fetches [PEERS];                //  FETCHes received, by peer
    int in_flight [PEERS];              //  ... not answered yet
    int most_in_flight [PEERS];         //  ... at most
    uint64_t bytes_asked [PEERS];       //  bytes they asked for
    int results [PEERS];                //  deep RESULTs, checked
    int shallow;                        //  shallow RESULTs
    int interior;                       //  deep RESULTs of jobs >= INTERIOR_JOB
    int declines [PEERS];               //  DECLINEs
    mf_decline_reason_t reason;         //  of the last DECLINE
    uint32_t readies [PEERS];           //  credit given back by READY
    bool seen [PEERS][TILES];           //  tiles whose RESULT came
} s_master_t;

typedef struct {
    mf_worker_opts_t opts;
    volatile sig_atomic_t stop;
    int wake [2];
    pthread_t thread;
    int rc;
} s_worker_t;

static char *s_log;

static void
s_setup (void)
{
    th_dir_setup ();
    s_log = th_path ("worker.log");
    int fd = open (s_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    ck_assert_int_ge (fd, 0);
    dup2 (fd, 2);
    close (fd);
    mf_log_level = MF_LOG_DEBUG;
    if (!s_line.orbit)
        s_line_setup ();
}

static void
s_teardown (void)
{
    free (s_log);
    th_dir_teardown ();
}

static void
s_master_start (s_master_t *master)
{
    static int serial;
    memset (master, 0, sizeof *master);
    snprintf (master->endpoint, sizeof master->endpoint, "ipc://@mf-test-deep-%d-%d",
              (int) getpid (), serial++);
    master->context = zmq_ctx_new ();
    master->router = zmq_socket (master->context, ZMQ_ROUTER);
    int linger = 0, mandatory = 1;
    zmq_setsockopt (master->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (master->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    ck_assert_int_eq (zmq_bind (master->router, master->endpoint), 0);
    master->served = (s_served_t) { s_line.id, s_line.blob, s_line.blob_size, -1, 0, false,
                                    false };
}

static void
s_master_stop (s_master_t *master)
{
    zmq_close (master->router);
    zmq_ctx_term (master->context);
}

static void
s_send (s_master_t *master, int peer, const uint8_t *data, size_t size)
{
    ck_assert_int_lt (peer, master->peer_count);
    ck_assert_int_eq (zmq_send (master->router, master->ids [peer], master->id_sizes [peer],
                                ZMQ_SNDMORE), (int) master->id_sizes [peer]);
    ck_assert_int_eq (zmq_send (master->router, data, size, 0), (int) size);
}

//  Answers every FETCH held, as the orbit served says.
static void
s_answer_held (s_master_t *master)
{
    static uint8_t buf [MF_SIZE_CHUNK_HEAD + CHUNK];
    s_served_t *served = &master->served;
    for (int index = 0; index < master->held_count; index++) {
        const mf_fetch_t *fetch = &master->held [index];
        int peer = master->held_from [index];
        master->in_flight [peer]--;
        if (served->noorbit) {
            uint8_t none [MF_SIZE_NOORBIT];
            s_send (master, peer, none, mf_proto_encode_noorbit (none, sizeof none, &fetch->orbit));
            continue;
        }
        ck_assert (mf_orbit_id_equal (&fetch->orbit, &served->id));
        ck_assert_uint_le (fetch->offset + fetch->length, served->size);
        uint8_t data [CHUNK];
        memcpy (data, served->blob + fetch->offset, fetch->length);
        if (served->corrupt_at >= (long) fetch->offset
        &&  served->corrupt_at < (long) (fetch->offset + fetch->length))
            data [served->corrupt_at - (long) fetch->offset] ^= 0x20;
        mf_chunk_t chunk = { fetch->orbit, fetch->offset,
                             served->total? served->total: served->size, fetch->length, data };
        s_send (master, peer, buf, mf_proto_encode_chunk (buf, sizeof buf, &chunk));
    }
    master->held_count = 0;
}

//  Handles one message (RESULT checked against the reference kernel);
//  returns its type, or 0 when nothing came within msecs (and then the
//  FETCHes held are answered, unless the orbit is held back). A HELLO
//  registers its peer.
static int
s_recv (s_master_t *master, mf_msg_t *msg, int msecs)
{
    zmq_pollitem_t item = { master->router, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, msecs) <= 0) {
        if (!master->served.hold)
            s_answer_held (master);
        return 0;
    }
    uint8_t id [256];
    int id_size = zmq_recv (master->router, id, sizeof id, 0);
    ck_assert_int_gt (id_size, 0);
    int size = zmq_recv (master->router, master->data, sizeof master->data, 0);
    ck_assert_int_ge (size, 0);
    ck_assert_int_eq (mf_proto_decode (master->data, (size_t) size, msg, NULL), 0);
    master->from = -1;
    for (int peer = 0; peer < master->peer_count; peer++)
        if (master->id_sizes [peer] == (size_t) id_size
        &&  memcmp (master->ids [peer], id, (size_t) id_size) == 0)
            master->from = peer;
    if (master->from < 0) {
        ck_assert_int_eq (msg->type, MF_MSG_HELLO);
        ck_assert_int_lt (master->peer_count, PEERS);
        master->from = master->peer_count++;
        memcpy (master->ids [master->from], id, (size_t) id_size);
        master->id_sizes [master->from] = (size_t) id_size;
    }
    int peer = master->from;
    switch (msg->type) {
        case MF_MSG_FETCH: {
            const mf_fetch_t *fetch = &msg->u.fetch;
            ck_assert_uint_le (fetch->length, CHUNK);
            ck_assert_int_lt (master->held_count, HELD_MAX);
            master->held [master->held_count] = *fetch;
            master->held_from [master->held_count++] = peer;
            master->fetches [peer]++;
            master->bytes_asked [peer] += fetch->length;
            if (++master->in_flight [peer] > master->most_in_flight [peer])
                master->most_in_flight [peer] = master->in_flight [peer];
            break;
        }
        case MF_MSG_RESULT: {
            const mf_result_t *result = &msg->u.result;
            if (result->format == MF_MU_F32 && result->job == 77) {
                master->shallow++;
                break;
            }
            ck_assert_int_eq (result->format, MF_MU_F64);
            if (result->job >= INTERIOR_JOB) {
                //  Every pixel inside the set.
                size_t count = (size_t) result->rect.w * result->rect.h;
                for (size_t pixel = 0; pixel < count; pixel++)
                    ck_assert (mf_le_get_f64 (result->mu + 8 * pixel) == -1.0);
                master->interior++;
                break;
            }
            ck_assert_uint_lt (result->tile, TILES);
            mf_deeptile_t lease = s_deeptile (result->job, result->tile);
            ck_assert_uint_eq (result->lease, lease.lease);
            ck_assert (memcmp (&result->rect, &lease.rect, sizeof lease.rect) == 0);
            double mu [TW * TH];
            mf_proto_get_f64s (mu, result->mu, TW * TH);
            ck_assert_msg (memcmp (mu, s_line.expected [result->tile], sizeof mu) == 0,
                           "tile %u: not the reference kernel's mu", result->tile);
            ck_assert_int_eq (mf_proto_check_mu64 (result->mu, TW * TH, LOC_LINE_ITER), 0);
            master->seen [peer][result->tile] = true;
            master->results [peer]++;
            break;
        }
        case MF_MSG_DECLINE:
            master->declines [peer]++;
            master->reason = msg->u.decline.reason;
            break;
        case MF_MSG_READY:
            master->readies [peer] += msg->u.credit;
            break;
        case MF_MSG_HEARTBEAT: {
            //  A master that answers: a worker on a short heartbeat does
            //  not think it gone.
            uint8_t beat [MF_SIZE_EMPTY];
            s_send (master, peer, beat, mf_proto_encode_empty (beat, sizeof beat,
                                                               MF_MSG_HEARTBEAT));
            break;
        }
        default:
            break;
    }
    return msg->type;
}

//  Pumps messages until peer has sent results RESULTs, declines
//  DECLINEs and readies of credit by READY (in all, since the start),
//  passing over heartbeats; any other message fails the test.
static void
s_until (s_master_t *master, int peer, int results, int declines, uint32_t readies)
{
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (mf_clock_ms () < deadline
       &&  (master->results [peer] < results || master->declines [peer] < declines
            || master->readies [peer] < readies)) {
        mf_msg_t msg;
        int got = s_recv (master, &msg, ANSWER_MS);
        ck_assert_msg (got == 0 || got == MF_MSG_HEARTBEAT || got == MF_MSG_FETCH
                       || got == MF_MSG_RESULT || got == MF_MSG_DECLINE || got == MF_MSG_READY,
                       "unexpected type %d", got);
    }
    ck_assert_msg (master->results [peer] == results && master->declines [peer] == declines
                   && master->readies [peer] == readies,
                   "peer %d: %d results, %d declines, %u ready; wanted %d, %d, %u", peer,
                   master->results [peer], master->declines [peer], master->readies [peer],
                   results, declines, readies);
}

//  Listens QUIET_MS: nothing may change the counts of peer.
static void
s_quiet (s_master_t *master, int peer)
{
    int results = master->results [peer], declines = master->declines [peer];
    int fetches = master->fetches [peer];
    uint32_t readies = master->readies [peer];
    int64_t deadline = mf_clock_ms () + QUIET_MS;
    while (mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (master->results [peer], results);
    ck_assert_int_eq (master->declines [peer], declines);
    ck_assert_int_eq (master->fetches [peer], fetches);
    ck_assert_uint_eq (master->readies [peer], readies);
}

static void
s_send_deeptile (s_master_t *master, int peer, const mf_deeptile_t *lease)
{
    uint8_t buf [MF_SIZE_DEEPTILE];
    s_send (master, peer, buf, mf_proto_encode_deeptile (buf, sizeof buf, lease));
}

static void *
s_worker_thread (void *arg)
{
    s_worker_t *worker = arg;
    worker->rc = mf_worker_run (&worker->opts);
    return NULL;
}

//  Starts a worker of threads threads (cache_mb 0: the default) and
//  registers it as the next peer, with a heartbeat of hb msecs: returns
//  its HELLO.
static mf_hello_t
s_worker_start_hb (s_master_t *master, s_worker_t *worker, int threads, uint64_t cache_mb,
                   uint32_t hb)
{
    memset (worker, 0, sizeof *worker);
    ck_assert_int_eq (pipe (worker->wake), 0);
    worker->opts = (mf_worker_opts_t) {
        .endpoint = master->endpoint, .threads = threads, .stop = &worker->stop,
        .stop_fd = worker->wake [0], .name = "deep-worker", .cache_mb = cache_mb,
        .test_chunk_bytes = CHUNK
    };
    ck_assert_int_eq (pthread_create (&worker->thread, NULL, s_worker_thread, worker), 0);
    mf_msg_t msg;
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    int got = 0;
    while (got != MF_MSG_HELLO && mf_clock_ms () < deadline)
        got = s_recv (master, &msg, ANSWER_MS);
    ck_assert_int_eq (got, MF_MSG_HELLO);
    uint8_t buf [MF_SIZE_WELCOME];
    mf_welcome_t welcome = { hb, 1 };
    s_send (master, master->from, buf, mf_proto_encode_welcome (buf, sizeof buf, &welcome));
    return msg.u.hello;
}

static mf_hello_t
s_worker_start (s_master_t *master, s_worker_t *worker, int threads, uint64_t cache_mb)
{
    return s_worker_start_hb (master, worker, threads, cache_mb, HB);
}

static int
s_worker_stop (s_worker_t *worker)
{
    worker->stop = 1;
    ck_assert_int_eq (write (worker->wake [1], "", 1), 1);
    pthread_join (worker->thread, NULL);
    close (worker->wake [0]);
    close (worker->wake [1]);
    return worker->rc;
}

//  A shallow TILE, computed: the worker is alive and well.
static void
s_still_computes (s_master_t *master, int peer)
{
    mf_tile_msg_t tile = { .job = 77, .tile = 0, .lease = 7777, .task = {
        .map = { -2.0, 1.0, 1.0 / 32 }, .maxiter = 100, .rect = { 0, 0, 8, 8 } } };
    uint8_t buf [MF_SIZE_TILE];
    s_send (master, peer, buf, mf_proto_encode_tile (buf, sizeof buf, &tile));
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    int shallow = master->shallow;
    while (master->shallow == shallow && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        int got = s_recv (master, &msg, ANSWER_MS);
        ck_assert (got == 0 || got == MF_MSG_HEARTBEAT || got == MF_MSG_RESULT);
    }
    ck_assert_int_eq (master->shallow, shallow + 1);
}

//  ---- the tests ---------------------------------------------------------------

START_TEST (fetched_once_computed_bit_for_bit)
{
    s_master_t master;
    s_master_start (&master);
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 2, 0);
    ck_assert_uint_eq (hello.credit, 3);
    ck_assert_uint_eq (hello.cores, (uint32_t) mf_online_cpus ());
    ck_assert_uint_gt (hello.speed, 0);
    //  The first three tiles: parked, the orbit fetched in chunks.
    uint32_t sent = 0;
    for (; sent < hello.credit; sent++) {
        mf_deeptile_t lease = s_deeptile (1, sent);
        s_send_deeptile (&master, 0, &lease);
    }
    s_until (&master, 0, 3, 0, 0);
    size_t chunks = (s_line.blob_size + CHUNK - 1) / CHUNK;
    printf ("fetched_once_computed_bit_for_bit: %zu bytes shipped (%llu raw) in %d FETCHes, "
            "at most %d unanswered\n", s_line.blob_size, (unsigned long long) s_line.raw,
            master.fetches [0], master.most_in_flight [0]);
    ck_assert_uint_ge (chunks, 3 * MF_FETCHER_WINDOW);
    ck_assert_int_eq (master.fetches [0], (int) chunks);
    ck_assert_uint_eq (master.bytes_asked [0], s_line.blob_size);
    ck_assert_int_le (master.most_in_flight [0], MF_FETCHER_WINDOW);
    ck_assert_int_ge (master.most_in_flight [0], 2);
    //  The rest, as the credit comes back: no more FETCH.
    while (sent < TILES) {
        mf_deeptile_t lease = s_deeptile (1, sent++);
        s_send_deeptile (&master, 0, &lease);
        s_until (&master, 0, (int) sent, 0, 0);
    }
    ck_assert_int_eq (master.fetches [0], (int) chunks);
    for (int tile = 0; tile < TILES; tile++)
        ck_assert (master.seen [0][tile]);
    //  A worker that joins now fetches the orbit too, and helps.
    s_worker_t late;
    mf_hello_t late_hello = s_worker_start (&master, &late, 1, 0);
    ck_assert_int_eq (master.from, 1);
    for (uint32_t tile = 0; tile < late_hello.credit; tile++) {
        mf_deeptile_t lease = s_deeptile (2, tile);
        s_send_deeptile (&master, 1, &lease);
    }
    s_until (&master, 1, (int) late_hello.credit, 0, 0);
    ck_assert_int_eq (master.fetches [1], (int) chunks);
    ck_assert_int_le (master.most_in_flight [1], MF_FETCHER_WINDOW);
    ck_assert_int_eq (s_worker_stop (&late), 0);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    ck_assert_int_eq (th_wait_for_text (s_log, "fetched reference orbit", 0), 1);
    s_master_stop (&master);
}
END_TEST

//  Leases credit tiles of job 1 and expects each declined for reason,
//  no RESULT; then one more lease of the orbit, declined at once without
//  a FETCH; then the worker still computes.
static void
s_expect_refused (s_master_t *master, uint32_t credit, mf_decline_reason_t reason,
                  const mf_deeptile_t *model)
{
    for (uint32_t tile = 0; tile < credit; tile++) {
        mf_deeptile_t lease = *model;
        lease.tile = tile;
        lease.lease = 1000 + tile;
        lease.rect = s_deeptile (1, tile).rect;
        s_send_deeptile (master, 0, &lease);
    }
    s_until (master, 0, 0, (int) credit, 0);
    ck_assert_int_eq (master->reason, reason);
    int fetches = master->fetches [0];
    mf_deeptile_t again = *model;
    again.tile = credit;
    again.rect = s_deeptile (1, credit).rect;
    s_send_deeptile (master, 0, &again);
    s_until (master, 0, 0, (int) credit + 1, 0);
    ck_assert_int_eq (master->reason, reason);
    ck_assert_int_eq (master->fetches [0], fetches);
    s_quiet (master, 0);
    s_still_computes (master, 0);
    ck_assert_int_eq (master->results [0], 0);
}

START_TEST (corrupted_chunk_refused)
{
    s_master_t master;
    s_master_start (&master);
    master.served.corrupt_at = (long) s_line.blob_size / 2;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 2, 0);
    mf_deeptile_t model = s_deeptile (1, 0);
    s_expect_refused (&master, hello.credit, MF_DECLINE_BAD_ORBIT, &model);
    ck_assert_int_eq (th_count_text (s_log, "refused reference orbit"), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (wrong_hash_refused)
{
    //  The right bytes under another id.
    s_master_t master;
    s_master_start (&master);
    master.served.id.bytes [3] ^= 0x01;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, 0);
    mf_deeptile_t model = s_deeptile (1, 0);
    model.orbit = master.served.id;
    s_expect_refused (&master, hello.credit, MF_DECLINE_BAD_ORBIT, &model);
    ck_assert_int_eq (th_wait_for_text (s_log, "hash to", 0), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (oversized_orbit_refused_unfetched)
{
    //  A budget of 16 MiB, an orbit that says it has 2^32 floatexp points.
    s_master_t master;
    s_master_start (&master);
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, MF_WORKER_CACHE_MIN);
    mf_deeptile_t model = s_deeptile (1, 0);
    model.maxiter = UINT32_MAX;
    model.map.type = MF_DELTA_FEXP;
    model.raw = mf_proto_raw_max (UINT32_MAX, MF_DELTA_FEXP);
    model.shipped = 1000;
    s_expect_refused (&master, hello.credit, MF_DECLINE_TOO_LARGE, &model);
    ck_assert_int_eq (master.fetches [0], 0);
    ck_assert_int_eq (th_wait_for_text (s_log, "its 16 MiB budget; see --cache-mb", 0), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (zip_bomb_refused)
{
    //  16 MiB of zeros in a few hundred bytes, its header rewritten to
    //  declare the lease's raw size: every size matches until it is
    //  decompressed into that many bytes.
    size_t big = 16u << 20;
    uint8_t *zeros = calloc (1, big);
    size_t bound = ZSTD_compressBound (big);
    uint8_t *bomb = malloc (bound);
    size_t size = ZSTD_compress (bomb, bound, zeros, big, 3);
    ck_assert (!ZSTD_isError (size));
    free (zeros);
    uint8_t descriptor = bomb [4];
    ck_assert_int_eq (descriptor >> 6, 2);                  //  a 4-byte content size
    size_t at = 5 + (((descriptor >> 5) & 1)? 0: 1);
    mf_le_put_u32 (bomb + at, (uint32_t) s_line.raw);
    s_master_t master;
    s_master_start (&master);
    master.served.blob = bomb;
    master.served.size = size;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, 0);
    mf_deeptile_t model = s_deeptile (1, 0);
    model.shipped = size;
    s_expect_refused (&master, hello.credit, MF_DECLINE_BAD_ORBIT, &model);
    ck_assert_int_eq (th_wait_for_text (s_log, "does not decompress", 0), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
    free (bomb);
}
END_TEST

START_TEST (contradicting_chunks_refused)
{
    //  CHUNKs that say the orbit is longer than its lease does.
    s_master_t master;
    s_master_start (&master);
    master.served.total = s_line.blob_size + 1;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, 0);
    mf_deeptile_t model = s_deeptile (1, 0);
    s_expect_refused (&master, hello.credit, MF_DECLINE_BAD_ORBIT, &model);
    ck_assert_int_eq (th_wait_for_text (s_log, "were asked for", 0), 1);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (noorbit_declines_without_blame)
{
    s_master_t master;
    s_master_start (&master);
    master.served.noorbit = true;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, 0);
    for (uint32_t tile = 0; tile < hello.credit; tile++) {
        mf_deeptile_t lease = s_deeptile (1, tile);
        s_send_deeptile (&master, 0, &lease);
    }
    s_until (&master, 0, 0, (int) hello.credit, 0);
    ck_assert_int_eq (master.reason, MF_DECLINE_NO_ORBIT);
    ck_assert_int_eq (th_wait_for_text (s_log, "does not hold reference orbit", 0), 1);
    //  Not held against the orbit: the next lease fetches it, computed.
    master.served.noorbit = false;
    int fetches = master.fetches [0];
    mf_deeptile_t lease = s_deeptile (2, 0);
    s_send_deeptile (&master, 0, &lease);
    s_until (&master, 0, 1, (int) hello.credit, 0);
    ck_assert_int_gt (master.fetches [0], fetches);
    ck_assert_int_eq (th_count_text (s_log, "refused reference orbit"), 0);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (silent_master_given_up)
{
    //  FETCHes never answered: asked again after MF_WORKER_FETCH_TIMEOUT
    //  (3 heartbeats of 300 ms are less), then given up; the tile
    //  declined, the orbit not held against the master.
    s_master_t master;
    s_master_start (&master);
    master.served.hold = true;
    s_worker_t worker;
    s_worker_start_hb (&master, &worker, 1, 0, HB_FAST);
    mf_deeptile_t lease = s_deeptile (1, 0);
    s_send_deeptile (&master, 0, &lease);
    int64_t start = mf_clock_ms ();
    s_until (&master, 0, 0, 1, 0);
    int64_t took = mf_clock_ms () - start;
    ck_assert_int_eq (master.reason, MF_DECLINE_NO_ANSWER);
    printf ("silent_master_given_up: declined after %lld ms, %d FETCHes\n", (long long) took,
            master.fetches [0]);
    ck_assert_int_ge (took, (MF_FETCHER_TRIES - 1) * MF_WORKER_FETCH_TIMEOUT);
    ck_assert_int_eq (master.fetches [0], MF_FETCHER_TRIES * MF_FETCHER_WINDOW);
    ck_assert_int_eq (th_wait_for_text (s_log, "gave up fetching", 0), 1);
    ck_assert_int_eq (th_count_text (s_log, "refused reference orbit"), 0);
    master.held_count = 0;
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

START_TEST (cancel_drops_parked_tiles)
{
    //  Parked while the orbit is held back; CANCEL gives their credit
    //  back at once, and nothing is computed for them. The fetch goes on:
    //  the next job's tiles find the orbit there.
    s_master_t master;
    s_master_start (&master);
    master.served.hold = true;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 2, 0);
    for (uint32_t tile = 0; tile < hello.credit; tile++) {
        mf_deeptile_t lease = s_deeptile (5, tile);
        s_send_deeptile (&master, 0, &lease);
    }
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (master.fetches [0] == 0 && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (&master, &msg, ANSWER_MS);
    }
    ck_assert_int_gt (master.fetches [0], 0);
    uint8_t buf [MF_SIZE_CANCEL];
    s_send (&master, 0, buf, mf_proto_encode_cancel (buf, sizeof buf, 5));
    s_until (&master, 0, 0, 0, hello.credit);
    //  The orbit comes in whole; nothing is computed, nothing declined.
    master.served.hold = false;
    size_t chunks = (s_line.blob_size + CHUNK - 1) / CHUNK;
    deadline = mf_clock_ms () + WAIT_MS;
    while ((master.fetches [0] < (int) chunks || master.in_flight [0] > 0)
           && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (&master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (master.fetches [0], (int) chunks);
    s_quiet (&master, 0);
    ck_assert_int_eq (master.results [0] + master.declines [0], 0);
    for (uint32_t tile = 0; tile < hello.credit; tile++) {
        mf_deeptile_t lease = s_deeptile (6, tile);
        s_send_deeptile (&master, 0, &lease);
    }
    int fetches = master.fetches [0];
    s_until (&master, 0, (int) hello.credit, 0, hello.credit);
    ck_assert_int_eq (master.fetches [0], fetches);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
}
END_TEST

//  Waits until this process has burnt BUSY_TICKS of CPU while the test
//  only answers messages: a compute thread is iterating. (The network
//  threads' own CPU is a tick or two a second.)
static void
s_wait_in_hand (s_master_t *master)
{
    long start = th_cpu_ticks (getpid ());
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (th_cpu_ticks (getpid ()) < start + BUSY_TICKS && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (master, &msg, 10);
    }
    ck_assert_int_ge (th_cpu_ticks (getpid ()), start + BUSY_TICKS);
}

//  An orbit of the main cardioid, from c = -0.1 + im i, of count points,
//  packed: a deep lease of a size x size view of it (pitch 2^-70) that
//  never ends at maxiter 2^32 - 1, every pixel inside the set.
typedef struct {
    mf_orbit_t *orbit;
    uint8_t *blob;
    size_t size;
    uint64_t raw;
    mf_orbit_id_t id;
} s_interior_t;

static void
s_interior (s_interior_t *interior, double im, uint32_t count)
{
    char err [256];
    mpfr_t cr, ci;
    mpfr_inits2 (128, cr, ci, (mpfr_ptr) 0);
    mpfr_set_d (cr, -0.1, MPFR_RNDN);
    mpfr_set_d (ci, im, MPFR_RNDN);
    interior->orbit = mf_orbit_compute_at (cr, ci, mf_fexpc_zero (), count - 1, MF_DELTA_DOUBLE,
                                           NULL, err, sizeof err);
    mpfr_clears (cr, ci, (mpfr_ptr) 0);
    ck_assert_msg (interior->orbit && !mf_orbit_escaped (interior->orbit), "%s", err);
    ck_assert_int_eq (mf_ship_pack_orbit (interior->orbit, &interior->id, &interior->blob,
                                          &interior->size, &interior->raw, err, sizeof err), 0);
}

static mf_deeptile_t
s_interior_tile (const s_interior_t *interior, uint32_t job, uint32_t size, uint32_t maxiter)
{
    mf_deeptile_t tile = {
        .job = job, .tile = 0, .lease = 1000 * job, .maxiter = maxiter,
        .rect = { 0, 0, size, size },
        .map = { .pixel_w = size, .pixel_h = size, .pitch = { 1.0, -70 },
                 .offset = mf_fexpc_zero (), .type = MF_DELTA_DOUBLE },
        .orbit = interior->id, .shipped = interior->size, .raw = interior->raw
    };
    return tile;
}

//  Pumps messages until the worker has said it built count tables.
static void
s_until_built (s_master_t *master, int count)
{
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (th_count_text (s_log, "built the BLA table") < count && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (th_count_text (s_log, "built the BLA table"), count);
}

START_TEST (tables_wait_for_room)
{
    //  A budget of 16 MiB; two orbits of 100,001 points, each needing
    //  12.8 MB (at 128 bytes a point) to build, and holding about 9 MB
    //  as a table. While a tile computes from the first table, the
    //  second is fetched but not built: no room. Once that tile is
    //  cancelled, its table goes and the second is built and computed.
    s_interior_t a, b;
    s_interior (&a, 0.1, 100001);
    s_interior (&b, 0.11, 100001);
    s_master_t master;
    s_master_start (&master);
    master.served.id = a.id;
    master.served.blob = a.blob;
    master.served.size = a.size;
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, MF_WORKER_CACHE_MIN);
    ck_assert_uint_eq (hello.credit, 2);
    mf_deeptile_t heavy = s_interior_tile (&a, INTERIOR_JOB, 8, UINT32_MAX);
    s_send_deeptile (&master, 0, &heavy);
    s_until_built (&master, 1);
    s_wait_in_hand (&master);
    //  The second orbit: fetched whole, then it waits.
    master.served.id = b.id;
    master.served.blob = b.blob;
    master.served.size = b.size;
    int fetched = master.fetches [0];
    mf_deeptile_t light = s_interior_tile (&b, INTERIOR_JOB + 1, 4, 100000);
    s_send_deeptile (&master, 0, &light);
    size_t chunks = (b.size + CHUNK - 1) / CHUNK;
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while ((master.fetches [0] < fetched + (int) chunks || master.in_flight [0] > 0)
           && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (&master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (master.fetches [0], fetched + (int) chunks);
    s_quiet (&master, 0);
    ck_assert_int_eq (master.interior, 0);
    ck_assert_int_eq (th_count_text (s_log, "built the BLA table"), 1);
    //  The first tile goes: room, the second table, its RESULT.
    uint8_t buf [MF_SIZE_CANCEL];
    s_send (&master, 0, buf, mf_proto_encode_cancel (buf, sizeof buf, INTERIOR_JOB));
    s_until (&master, 0, 0, 0, 1);
    deadline = mf_clock_ms () + WAIT_MS;
    while (master.interior == 0 && mf_clock_ms () < deadline) {
        mf_msg_t msg;
        s_recv (&master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (master.interior, 1);
    ck_assert_int_eq (th_count_text (s_log, "built the BLA table"), 2);
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    s_master_stop (&master);
    free (a.blob);
    free (b.blob);
    mf_orbit_destroy (&a.orbit);
    mf_orbit_destroy (&b.orbit);
}
END_TEST

START_TEST (deep_tiles_in_hand_stop)
{
    //  A deep tile that never ends: every pixel inside the main cardioid
    //  (the reference -0.1 + 0.1i, 101 points), maxiter 2^32 - 1. It
    //  stops at CANCEL, at REGISTER, and when the worker stops.
    char err [256];
    mpfr_t re, im;
    mpfr_inits2 (128, re, im, (mpfr_ptr) 0);
    mpfr_set_d (re, -0.1, MPFR_RNDN);
    mpfr_set_d (im, 0.1, MPFR_RNDN);
    mf_orbit_t *orbit = mf_orbit_compute_at (re, im, mf_fexpc_zero (), 100, MF_DELTA_DOUBLE,
                                             NULL, err, sizeof err);
    mpfr_clears (re, im, (mpfr_ptr) 0);
    ck_assert_msg (orbit && !mf_orbit_escaped (orbit), "%s", err);
    s_master_t master;
    s_master_start (&master);
    uint8_t *blob;
    size_t size;
    uint64_t raw;
    ck_assert_int_eq (mf_ship_pack_orbit (orbit, &master.served.id, &blob, &size, &raw, err,
                                          sizeof err), 0);
    master.served.blob = blob;
    master.served.size = size;
    mf_deeptile_t heavy = {
        .job = 3, .tile = 0, .lease = 3000, .maxiter = UINT32_MAX, .rect = { 0, 0, 8, 8 },
        .map = { .pixel_w = 8, .pixel_h = 8, .pitch = { 1.0, -70 }, .offset = mf_fexpc_zero (),
                 .type = MF_DELTA_DOUBLE },
        .orbit = master.served.id, .shipped = size, .raw = raw
    };
    s_worker_t worker;
    mf_hello_t hello = s_worker_start (&master, &worker, 1, 0);
    ck_assert_uint_eq (hello.credit, 2);
    //  CANCEL: the tile in hand stops, its credit comes back. (In hand:
    //  its table was built, so it went to the compute thread.)
    s_send_deeptile (&master, 0, &heavy);
    int64_t built_by = mf_clock_ms () + WAIT_MS;
    while (!th_wait_for_text (s_log, "built the BLA table", 0) && mf_clock_ms () < built_by) {
        mf_msg_t msg;
        s_recv (&master, &msg, ANSWER_MS);
    }
    ck_assert_int_eq (th_wait_for_text (s_log, "built the BLA table", 0), 1);
    s_wait_in_hand (&master);
    uint8_t buf [MF_SIZE_CANCEL];
    s_send (&master, 0, buf, mf_proto_encode_cancel (buf, sizeof buf, 3));
    int64_t start = mf_clock_ms ();
    s_until (&master, 0, 0, 0, 1);
    printf ("deep_tiles_in_hand_stop: CANCEL gave the credit back in %lld ms\n",
            (long long) (mf_clock_ms () - start));
    //  REGISTER: stopped too; the new HELLO leaves it out while it runs.
    int fetches = master.fetches [0];
    heavy.job = 4;
    s_send_deeptile (&master, 0, &heavy);
    s_wait_in_hand (&master);
    uint8_t reg [MF_SIZE_EMPTY];
    s_send (&master, 0, reg, mf_proto_encode_empty (reg, sizeof reg, MF_MSG_REGISTER));
    mf_msg_t msg;
    int got = 0;
    int64_t deadline = mf_clock_ms () + WAIT_MS;
    while (got != MF_MSG_HELLO && mf_clock_ms () < deadline)
        got = s_recv (&master, &msg, ANSWER_MS);
    ck_assert_int_eq (got, MF_MSG_HELLO);
    uint8_t welcome_buf [MF_SIZE_WELCOME];
    mf_welcome_t welcome = { HB, 1 };
    s_send (&master, 0, welcome_buf, mf_proto_encode_welcome (welcome_buf, sizeof welcome_buf,
                                                              &welcome));
    s_until (&master, 0, 0, 0, 1 + (hello.credit - msg.u.hello.credit));
    //  The worker's stop: within a bounded time, tile in hand or not.
    heavy.job = 5;
    s_send_deeptile (&master, 0, &heavy);
    s_wait_in_hand (&master);
    //  Both computed from the table held: no fetch, no second build.
    ck_assert_int_eq (master.fetches [0], fetches);
    ck_assert_int_eq (th_count_text (s_log, "built the BLA table"), 1);
    start = mf_clock_ms ();
    ck_assert_int_eq (s_worker_stop (&worker), 0);
    int64_t took = mf_clock_ms () - start;
    printf ("deep_tiles_in_hand_stop: the worker stopped in %lld ms\n", (long long) took);
    ck_assert_int_lt (took, WAIT_MS);
    ck_assert_int_eq (master.results [0], 0);
    s_master_stop (&master);
    free (blob);
    mf_orbit_destroy (&orbit);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("worker_deep");
    TCase *tc = tcase_create ("core");
    tcase_set_timeout (tc, 120);
    tcase_add_checked_fixture (tc, s_setup, s_teardown);
    tcase_add_test (tc, fetched_once_computed_bit_for_bit);
    tcase_add_test (tc, corrupted_chunk_refused);
    tcase_add_test (tc, wrong_hash_refused);
    tcase_add_test (tc, oversized_orbit_refused_unfetched);
    tcase_add_test (tc, zip_bomb_refused);
    tcase_add_test (tc, contradicting_chunks_refused);
    tcase_add_test (tc, noorbit_declines_without_blame);
    tcase_add_test (tc, silent_master_given_up);
    tcase_add_test (tc, cancel_drops_parked_tiles);
    tcase_add_test (tc, deep_tiles_in_hand_stop);
    tcase_add_test (tc, tables_wait_for_room);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
