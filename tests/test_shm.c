/*  Shared-memory results (common/mf_shm.c, RESULT's encoding 2).

    The arena: slots are taken until none is free, read only while held,
    freed once; secrets are distinct and find their region; a forked
    child's writes are what the parent reads. Then a real engine in this
    process with a fake worker on each link: a shared RESULT is accepted
    only from the connection on the forked workers' link whose HELLO said
    the region's secret; the same secret said over tcp://, a stranger on
    the local link, a slot not held or out of range, and impossible mu in
    a held slot are each rejected with their leases revoked; every slot
    named by a registered forked peer is freed once read, and so is one
    named by a forked peer after its eviction (not by a stranger). Last, whole
    renders: PNG and .npy byte-identical with shared memory on and off
    (MF_SHM=0), for -j 1, -j 2, other tiles, --verify and a deep view,
    with a forked worker killed mid-render, and with a lying remote
    worker (the test-only faulty one) caught by --verify.
*/
#include "helpers.h"
#include "engine.h"
#include "mf_kernel.h"
#include "mf_proto.h"
#include "mf_shm.h"
#include "mf_util.h"

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define RENDER_MS 120000                //  msecs a render may take at most
#define SETTLE_MS 5000                  //  msecs for the engine to handle what was sent
#define FAKE_CREDIT 4                   //  tiles each fake worker asks for
#define EDGE 64                         //  pixels, the engine test's tile edge

START_TEST (slots_taken_read_and_freed)
{
    char err [256];
    mf_shm_t *shm = mf_shm_new (3, 4, 1000, err, sizeof err);
    ck_assert_msg (shm != NULL, "%s", err);
    ck_assert_int_eq (mf_shm_regions (shm), 3);
    ck_assert_int_eq (mf_shm_slots (shm), 4);
    ck_assert_uint_eq (mf_shm_slot_bytes (shm), 1024);     //  rounded up to 64
    for (int region = 0; region < 3; region++) {
        ck_assert_uint_ne (mf_shm_uid (shm, region), 0);
        ck_assert_int_eq (mf_shm_find (shm, mf_shm_uid (shm, region)), region);
    }
    ck_assert_uint_ne (mf_shm_uid (shm, 0), mf_shm_uid (shm, 1));
    ck_assert_int_eq (mf_shm_find (shm, 0), -1);
    ck_assert_int_eq (mf_shm_find (shm, mf_shm_uid (shm, 0) ^ 1), -1);
    //  Too big for a slot: none taken.
    ck_assert_int_eq (mf_shm_take (shm, 1, 1025), -1);
    int slots [4];
    for (int index = 0; index < 4; index++) {
        slots [index] = mf_shm_take (shm, 1, 1024);
        ck_assert_int_ge (slots [index], 0);
        ck_assert_uint_eq ((uintptr_t) mf_shm_data (shm, 1, slots [index]) % 64, 0);
    }
    ck_assert_int_eq (mf_shm_take (shm, 1, 4), -1);          //  all held
    ck_assert_int_eq (mf_shm_held_count (shm, 1), 4);
    ck_assert_int_eq (mf_shm_held_count (shm, 0), 0);        //  regions are apart
    ck_assert_ptr_nonnull (mf_shm_held (shm, 1, (uint32_t) slots [2], 1024));
    ck_assert_ptr_null (mf_shm_held (shm, 1, (uint32_t) slots [2], 1025));
    ck_assert_ptr_null (mf_shm_held (shm, 1, 4, 4));          //  out of range
    ck_assert_ptr_null (mf_shm_held (shm, 0, 0, 4));          //  not held
    mf_shm_release (shm, 1, (uint32_t) slots [2]);
    mf_shm_release (shm, 1, 99);                             //  out of range: nothing
    ck_assert_ptr_null (mf_shm_held (shm, 1, (uint32_t) slots [2], 4));
    ck_assert_int_eq (mf_shm_held_count (shm, 1), 3);
    ck_assert_int_eq (mf_shm_take (shm, 1, 4), slots [2]);
    mf_shm_destroy (&shm);
    mf_shm_destroy (&shm);
    ck_assert_ptr_null (shm);
}
END_TEST

START_TEST (slots_capped_by_bytes)
{
    char err [256];
    mf_shm_t *shm = mf_shm_new (1, 1000, MF_SHM_MAX_BYTES / 8, err, sizeof err);
    ck_assert_msg (shm != NULL, "%s", err);
    ck_assert_int_eq (mf_shm_slots (shm), 8);
    mf_shm_destroy (&shm);
}
END_TEST

START_TEST (child_writes_parent_reads)
{
    char err [256];
    mf_shm_t *shm = mf_shm_new (2, 2, 4096, err, sizeof err);
    ck_assert_msg (shm != NULL, "%s", err);
    pid_t pid = fork ();
    ck_assert_int_ge (pid, 0);
    if (pid == 0) {
        int slot = mf_shm_take (shm, 1, 4096);
        if (slot < 0)
            _exit (2);
        memset (mf_shm_data (shm, 1, slot), 0xa5, 4096);
        _exit (slot);
    }
    int status;
    ck_assert_int_eq (waitpid (pid, &status, 0), pid);
    ck_assert (WIFEXITED (status));
    int slot = WEXITSTATUS (status);
    ck_assert_int_lt (slot, 2);
    const uint8_t *bytes = mf_shm_held (shm, 1, (uint32_t) slot, 4096);
    ck_assert_ptr_nonnull (bytes);
    for (int index = 0; index < 4096; index++)
        ck_assert_uint_eq (bytes [index], 0xa5);
    mf_shm_destroy (&shm);
}
END_TEST

//  A fake worker: one DEALER, the tiles it was sent.
typedef struct {
    void *socket;
    mf_tile_msg_t tiles [64];
    int tile_count;
    bool welcomed;
} s_fake_t;

static void
s_fake_read (s_fake_t *fake)
{
    uint8_t buf [256];
    int size;
    while ((size = zmq_recv (fake->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        mf_msg_t msg;
        ck_assert_int_eq (mf_proto_decode (buf, (size_t) size, &msg, NULL), 0);
        if (msg.type == MF_MSG_WELCOME)
            fake->welcomed = true;
        else
        if (msg.type == MF_MSG_TILE && fake->tile_count < 64)
            fake->tiles [fake->tile_count++] = msg.u.tile;
    }
}

//  Connects a fake worker to endpoint saying HELLO with uid, and polls
//  the engine until it holds FAKE_CREDIT tiles.
static void
s_fake_join (s_fake_t *fake, void *context, mf_engine_t *engine, const char *endpoint,
             uint64_t uid)
{
    fake->socket = zmq_socket (context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (fake->socket, ZMQ_LINGER, &linger, sizeof linger);
    ck_assert_int_eq (zmq_connect (fake->socket, endpoint), 0);
    uint8_t buf [MF_SIZE_HELLO];
    mf_hello_t hello = { .credit = FAKE_CREDIT, .threads = 1, .pid = 1, .uid = uid };
    strcpy (hello.host, "fake");
    strcpy (hello.kernel, "scalar");
    ck_assert_int_eq (zmq_send (fake->socket, buf, mf_proto_encode_hello (buf, sizeof buf,
                                                                          &hello), 0),
                      MF_SIZE_HELLO);
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while ((!fake->welcomed || fake->tile_count < FAKE_CREDIT) && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (fake);
    }
    ck_assert_int_ge (fake->tile_count, FAKE_CREDIT);
}

//  Sends a shared RESULT for tile naming slot.
static void
s_send_shared (s_fake_t *fake, const mf_tile_msg_t *tile, uint32_t slot)
{
    uint8_t buf [MF_SIZE_RESULT_SHARED];
    mf_result_t result = { .job = tile->job, .tile = tile->tile, .lease = tile->lease,
                           .rect = tile->task.rect, .format = MF_MU_F32,
                           .encoding = MF_ENCODING_SHARED, .slot = slot };
    ck_assert_uint_eq (mf_proto_encode_result_shared (buf, sizeof buf, &result),
                       MF_SIZE_RESULT_SHARED);
    ck_assert_int_eq (zmq_send (fake->socket, buf, sizeof buf, 0), (int) sizeof buf);
}

//  Takes a slot of region and fills it with tile's mu (poison: one value
//  replaced, 0: none). Returns the slot.
static uint32_t
s_fill (mf_shm_t *shm, int region, const mf_tile_msg_t *tile, float poison)
{
    size_t count = (size_t) tile->task.rect.w * tile->task.rect.h;
    int slot = mf_shm_take (shm, region, count * 4);
    ck_assert_int_ge (slot, 0);
    float mu [EDGE * EDGE];
    mf_kernel_reference (&tile->task, mu, NULL);
    if (poison != 0)
        mu [count / 2] = poison;
    mf_le_put_f32s (mf_shm_data (shm, region, slot), mu, count);
    return (uint32_t) slot;
}

//  Polls the engine until stats says rejected and tiles at least, or
//  SETTLE_MS pass.
static void
s_settle (mf_engine_t *engine, s_fake_t *fakes, int count, uint64_t rejected, uint64_t tiles,
          mf_engine_stats_t *stats)
{
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        for (int index = 0; index < count; index++)
            s_fake_read (&fakes [index]);
        mf_engine_stats (engine, stats);
    } while ((stats->rejected < rejected || stats->tiles < tiles) && mf_clock_ms () < deadline);
}

START_TEST (shared_results_only_from_forked_peers)
{
    char err [512];
    mf_shm_t *shm = mf_shm_new (1, 8, EDGE * EDGE * 4, err, sizeof err);
    ck_assert_msg (shm != NULL, "%s", err);
    char local [64];
    snprintf (local, sizeof local, "ipc://@mf-test-shm-%d", (int) getpid ());
    mf_engine_opts_t engine_opts = { .local_endpoint = local,
                                     .listen_endpoint = "tcp://127.0.0.1:*",
                                     .max_tile_edge = EDGE, .shm = shm };
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    char remote [64];
    ck_assert_int_eq (mf_engine_endpoint (engine, remote, sizeof remote), 0);
    mf_view_t view = { -0.75, 0, 3.5, 512, 512 };
    float *image = calloc ((size_t) view.pixel_w * view.pixel_h, sizeof *image);
    mf_job_spec_t spec = { .view = view, .maxiter = 1000, .tile_edge = EDGE };
    ck_assert_uint_ne (mf_engine_submit (engine, &spec, image), 0);

    void *context = zmq_ctx_new ();
    uint64_t secret = mf_shm_uid (shm, 0);
    s_fake_t fakes [3] = { { 0 } };
    //  The region's secret, but over the network: no region for it.
    s_fake_join (&fakes [0], context, engine, remote, secret);
    //  A stranger on the local link.
    s_fake_join (&fakes [1], context, engine, local, secret ^ 0x5555);
    //  The forked worker itself.
    s_fake_join (&fakes [2], context, engine, local, secret);
    const mf_tile_msg_t *remote_tiles = fakes [0].tiles, *stranger = fakes [1].tiles;
    const mf_tile_msg_t *forked = fakes [2].tiles;

    s_send_shared (&fakes [0], &remote_tiles [0], s_fill (shm, 0, &remote_tiles [0], 0));
    s_send_shared (&fakes [1], &stranger [0], s_fill (shm, 0, &stranger [0], 0));
    mf_engine_stats_t stats;
    s_settle (engine, fakes, 3, 2, 0, &stats);
    ck_assert_uint_eq (stats.rejected, 2);
    ck_assert_uint_eq (stats.tiles, 0);
    ck_assert_uint_eq (stats.shared, 0);
    //  Nobody with a region read them: they stay held.
    ck_assert_int_eq (mf_shm_held_count (shm, 0), 2);
    for (uint32_t slot = 0; slot < 8; slot++)
        mf_shm_release (shm, 0, slot);

    //  From the forked peer: a slot it does not hold, one out of range,
    //  impossible mu in a held one, and a good one.
    s_send_shared (&fakes [2], &forked [0], 5);
    s_send_shared (&fakes [2], &forked [1], 8);
    s_send_shared (&fakes [2], &forked [2], s_fill (shm, 0, &forked [2], NAN));
    s_send_shared (&fakes [2], &forked [3], s_fill (shm, 0, &forked [3], 0));
    s_settle (engine, fakes, 3, 5, 1, &stats);
    ck_assert_uint_eq (stats.rejected, 5);
    ck_assert_uint_eq (stats.tiles, 1);
    ck_assert_uint_eq (stats.shared, 4);
    //  Every slot it named was freed once read.
    ck_assert_int_eq (mf_shm_held_count (shm, 0), 0);
    float expected [EDGE * EDGE];
    mf_kernel_reference (&forked [3].task, expected, NULL);
    const mf_rect_t *r = &forked [3].task.rect;
    for (uint32_t row = 0; row < r->h; row++)
        ck_assert (memcmp (image + (size_t) (r->y + row) * view.pixel_w + r->x,
                           expected + (size_t) row * r->w, r->w * sizeof (float)) == 0);
    //  The rejected leases were revoked: a good result on one is late.
    uint64_t late = stats.late;
    s_send_shared (&fakes [2], &forked [2], s_fill (shm, 0, &forked [2], 0));
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        mf_engine_stats (engine, &stats);
    } while (stats.late == late && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.late, late + 1);
    ck_assert_int_eq (mf_shm_held_count (shm, 0), 0);
    for (int index = 0; index < 3; index++)
        zmq_close (fakes [index].socket);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shm_destroy (&shm);
    free (image);
}
END_TEST

//  A forked worker evicted (silent) whose shared RESULT comes after:
//  late, and its slot is let go, as the worker cannot free it itself. A
//  stranger on the same link, evicted too, frees nothing by naming a
//  slot.
START_TEST (evicted_forked_peer_slot_freed)
{
    char err [512];
    mf_shm_t *shm = mf_shm_new (1, 8, EDGE * EDGE * 4, err, sizeof err);
    ck_assert_msg (shm != NULL, "%s", err);
    char local [64];
    snprintf (local, sizeof local, "ipc://@mf-test-shm-evict-%d", (int) getpid ());
    mf_engine_opts_t engine_opts = { .local_endpoint = local, .max_tile_edge = EDGE,
                                     .shm = shm, .heartbeat_ms = 50 };
    mf_engine_t *engine = mf_engine_new (&engine_opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    mf_view_t view = { -0.75, 0, 3.5, 512, 512 };
    float *image = calloc ((size_t) view.pixel_w * view.pixel_h, sizeof *image);
    mf_job_spec_t spec = { .view = view, .maxiter = 1000, .tile_edge = EDGE };
    ck_assert_uint_ne (mf_engine_submit (engine, &spec, image), 0);
    void *context = zmq_ctx_new ();
    uint64_t secret = mf_shm_uid (shm, 0);
    s_fake_t fakes [2] = { { 0 } };
    s_fake_join (&fakes [0], context, engine, local, secret);
    s_fake_join (&fakes [1], context, engine, local, secret ^ 0x5555);
    //  Both fall silent: evicted within a few heartbeats.
    mf_engine_stats_t stats;
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        mf_engine_stats (engine, &stats);
    } while (stats.evicted < 2 && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.evicted, 2);
    uint64_t late = stats.late;
    s_send_shared (&fakes [1], &fakes [1].tiles [0], s_fill (shm, 0, &fakes [1].tiles [0], 0));
    s_send_shared (&fakes [0], &fakes [0].tiles [0], s_fill (shm, 0, &fakes [0].tiles [0], 0));
    deadline = mf_clock_ms () + SETTLE_MS;
    do {
        mf_engine_poll (engine, 10, NULL);
        mf_engine_stats (engine, &stats);
    } while (stats.late < late + 2 && mf_clock_ms () < deadline);
    ck_assert_uint_eq (stats.late, late + 2);
    ck_assert_uint_eq (stats.tiles, 0);
    //  The forked worker's slot (the second taken) is free, the one the
    //  stranger named is held still.
    ck_assert_int_eq (mf_shm_held_count (shm, 0), 1);
    ck_assert_ptr_nonnull (mf_shm_held (shm, 0, 0, 4));
    ck_assert_ptr_null (mf_shm_held (shm, 0, 1, 4));
    for (int index = 0; index < 2; index++)
        zmq_close (fakes [index].socket);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shm_destroy (&shm);
    free (image);
}
END_TEST

//  Renders with the master's arguments (NULL-terminated) into name.png
//  and name.npy, shared memory on or off; returns the "shared" counter.
static long long
s_render (const char *name, bool shared, char *const args [])
{
    char *argv [40] = { (char *) th_bin ("mandelfarm-master") };
    int argc = 1;
    for (; args [argc - 1]; argc++)
        argv [argc] = args [argc - 1];
    char png [64], npy [64], stats [64];
    snprintf (png, sizeof png, "%s.png", name);
    snprintf (npy, sizeof npy, "%s.npy", name);
    snprintf (stats, sizeof stats, "%s.json", name);
    char *paths [3] = { th_path (png), th_path (npy), th_path (stats) };
    const char *flags [3] = { "-o", "--raw", "--stats" };
    for (int index = 0; index < 3; index++) {
        argv [argc++] = (char *) flags [index];
        argv [argc++] = paths [index];
    }
    argv [argc++] = "-q";
    argv [argc] = NULL;
    setenv ("MF_SHM", shared? "1": "0", 1);
    char output [4096];
    int rc = th_run (argv, RENDER_MS, output, sizeof output);
    unsetenv ("MF_SHM");
    ck_assert_msg (rc == 0, "%s", output);
    long long count = th_json_counter (paths [2], "shared");
    ck_assert_int_eq (th_json_counter (paths [2], "rejected"), 0);
    for (int index = 0; index < 3; index++)
        free (paths [index]);
    return count;
}

//  The renders named a and b made the same PNG and .npy.
static void
s_expect_same (const char *a, const char *b)
{
    const char *kinds [] = { "png", "npy" };
    for (int index = 0; index < 2; index++) {
        char name_a [64], name_b [64];
        snprintf (name_a, sizeof name_a, "%s.%s", a, kinds [index]);
        snprintf (name_b, sizeof name_b, "%s.%s", b, kinds [index]);
        char *path_a = th_path (name_a), *path_b = th_path (name_b);
        ck_assert_msg (th_same_file (path_a, path_b), "%s and %s differ", name_a, name_b);
        free (path_a);
        free (path_b);
    }
}

#define SEAHORSE "--size", "500x300", "--center", "-0.7453,0.1127", "--width", "0.01", \
                 "--iter", "2000"

START_TEST (shared_renders_identical)
{
    char *const variants [][16] = {
        { SEAHORSE, "-j", "1", NULL },
        { SEAHORSE, "-j", "2", NULL },
        { SEAHORSE, "-j", "2", "--tile", "32", NULL },
        { SEAHORSE, "-j", "2", "--tile", "200", NULL },
        { SEAHORSE, "-j", "2", "--tile", "32", "--verify", "50", NULL },
    };
    for (size_t index = 0; index < sizeof variants / sizeof variants [0]; index++) {
        ck_assert_int_gt (s_render ("on", true, variants [index]), 0);
        ck_assert_int_eq (s_render ("off", false, variants [index]), 0);
        s_expect_same ("on", "off");
        //  -j 1 is every variant's truth.
        if (index == 0) {
            char *on = th_path ("on.png"), *truth = th_path ("truth.png");
            ck_assert_int_eq (rename (on, truth), 0);
            free (on);
            free (truth);
        }
        else {
            char *on = th_path ("on.png"), *truth = th_path ("truth.png");
            ck_assert_msg (th_same_file (on, truth), "variant %zu differs from -j 1", index);
            free (on);
            free (truth);
        }
    }
}
END_TEST

START_TEST (shared_deep_render_identical)
{
    char *const args [] = {
        "--size", "96x54", "--center",
        "4.38201090809984714798836704183781579775093781331734e-01,"
        "2.50541573359688171678400414758224860053729045156654e-01",
        "--zoom", "1.40057E28", "--iter", "2500", "-j", "2", "--tile", "16", NULL
    };
    ck_assert_int_gt (s_render ("on", true, args), 0);
    ck_assert_int_eq (s_render ("off", false, args), 0);
    s_expect_same ("on", "off");
}
END_TEST

//  The pid of a child of parent, or 0 (from /proc: each task's children).
static pid_t
s_child_of (pid_t parent)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/task/%d/children", (int) parent, (int) parent);
    FILE *file = fopen (path, "r");
    int child = 0;
    if (file) {
        if (fscanf (file, "%d", &child) != 1)
            child = 0;
        fclose (file);
    }
    return child;
}

START_TEST (shared_render_survives_a_killed_worker)
{
    #define MINIBROT "--size", "960x540", "--center", \
                     "-0.7437911560181347,0.1316612922633015", "--width", "4e-10", \
                     "--iter", "100000", "--tile", "32", "-j", "2", "--heartbeat", "200"
    char *journal = th_path ("journal"), *log = th_path ("killed.log");
    char *png = th_path ("killed.png"), *npy = th_path ("killed.npy");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), MINIBROT, "--checkpoint", journal,
                      "-o", png, "--raw", npy, "-q", NULL };
    pid_t master = th_spawn (argv, log);
    //  Kill one forked worker once tiles are done, while most are left.
    int64_t deadline = mf_clock_ms () + RENDER_MS;
    while (th_journal_tiles (journal) < 8 && mf_clock_ms () < deadline)
        usleep (2000);
    pid_t child = s_child_of (master);
    ck_assert_int_gt (child, 0);
    int before = th_journal_tiles (journal);
    ck_assert_int_eq (kill (child, SIGKILL), 0);
    ck_assert_msg (before < 500, "the render was too far along (%d tiles) to tell", before);
    ck_assert_int_eq (th_wait (master, RENDER_MS), 0);
    char *const plain [] = { MINIBROT, NULL };
    ck_assert_int_eq (s_render ("plain", false, plain), 0);
    s_expect_same ("killed", "plain");
    free (journal);
    free (log);
    free (png);
    free (npy);
}
END_TEST

//  A lying remote worker joins a render of forked workers whose results
//  come through shared memory, with --verify: it is caught and
//  quarantined, its tiles computed again, and the image is the plain one.
START_TEST (shared_render_catches_a_liar)
{
    #define LIAR_VIEW "--size", "960x540", "--center", \
                      "-0.7437911560181347,0.1316612922633015", "--width", "4e-10", \
                      "--iter", "100000", "--tile", "32", "-j", "2", "--verify", "30"
    char *log = th_path ("liar.log"), *stats = th_path ("liar.json");
    char *png = th_path ("liar.png"), *npy = th_path ("liar.npy");
    char *argv [] = { (char *) th_bin ("mandelfarm-master"), LIAR_VIEW, "--listen",
                      "tcp://127.0.0.1:*", "--stats", stats, "-o", png, "--raw", npy, "-v",
                      NULL };
    pid_t master = th_spawn (argv, log);
    char endpoint [128];
    ck_assert_int_eq (th_master_endpoint (log, 10000, endpoint, sizeof endpoint), 0);
    pid_t liar = th_worker (endpoint, "1", (char *[]) { "--test-corrupt", "1", "--name", "liar",
                                                        NULL });
    int rc = th_wait (master, RENDER_MS);
    th_stop (liar);
    ck_assert_int_eq (rc, 0);
    ck_assert_int_eq (th_json_counter (stats, "quarantined"), 1);
    ck_assert_int_gt (th_json_counter (stats, "shared"), 0);
    ck_assert_int_gt (th_json_counter (stats, "verified"), 0);
    char *const plain [] = { LIAR_VIEW, NULL };
    ck_assert_int_eq (s_render ("plain", false, plain), 0);
    s_expect_same ("liar", "plain");
    free (log);
    free (stats);
    free (png);
    free (npy);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("shm");
    TCase *unit = tcase_create ("arena");
    tcase_add_test (unit, slots_taken_read_and_freed);
    tcase_add_test (unit, slots_capped_by_bytes);
    tcase_add_test (unit, child_writes_parent_reads);
    suite_add_tcase (suite, unit);
    TCase *engine = tcase_create ("engine");
    tcase_set_timeout (engine, 60);
    tcase_add_test (engine, shared_results_only_from_forked_peers);
    tcase_add_test (engine, evicted_forked_peer_slot_freed);
    suite_add_tcase (suite, engine);
    TCase *e2e = tcase_create ("e2e");
    tcase_add_checked_fixture (e2e, th_dir_setup, th_dir_teardown);
    tcase_set_timeout (e2e, 240);
    tcase_add_test (e2e, shared_renders_identical);
    tcase_add_test (e2e, shared_deep_render_identical);
    tcase_add_test (e2e, shared_render_survives_a_killed_worker);
    tcase_add_test (e2e, shared_render_catches_a_liar);
    suite_add_tcase (suite, e2e);
    return th_run_suite (suite);
}
