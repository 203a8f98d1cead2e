/*  The engine's deep jobs, in this process, driven by fake peers that
    speak the real protocol over loopback (bare DEALERs): DEEPTILEs that
    say what the job is, FETCH answered with exactly the bytes asked (and
    NOORBIT, and nothing beyond the orbit's end), f64 results into the
    image of doubles (and an f32 one refused), DECLINE (credit back, the
    tile out again; a refused orbit's tiles kept from its refuser, the job
    refused when nobody else is there), orbits shared by jobs and gone
    with the last; and what hostile peers can do: a FETCH flood from a
    peer that reads nothing costs a bounded queue, DECLINEs of leases it
    never had give nothing, FETCH and DECLINE from strangers draw
    REGISTER.
*/
#include "helpers.h"
#include "deep_locations.h"
#include "engine.h"
#include "mf_log.h"
#include "mf_proto.h"
#include "mf_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define SETTLE_MS 10000                 //  msecs a step may take at most
#define W 64                            //  the job's image: 8 tiles of 16 x 16
#define H 32
#define EDGE 16

//  A fake worker: a DEALER and what it received.
typedef struct {
    void *socket;
    mf_deeptile_t tiles [256];          //  DEEPTILEs received, in order
    int tile_count;
    mf_chunk_t chunks [64];             //  CHUNKs received (data copied below)
    uint8_t *chunk_data [64];
    int chunk_count;
    int noorbit;                        //  NOORBITs received
    int registers;                      //  REGISTERs received
    bool welcomed;
} s_fake_t;

static void
s_fake_connect (s_fake_t *fake, void *context, const char *endpoint, int rcvhwm)
{
    memset (fake, 0, sizeof *fake);
    fake->socket = zmq_socket (context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (fake->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (rcvhwm) {
        //  A peer that reads nothing: libzmq stops taking its bytes soon.
        int small = 4096;
        zmq_setsockopt (fake->socket, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
        zmq_setsockopt (fake->socket, ZMQ_RCVBUF, &small, sizeof small);
    }
    ck_assert_int_eq (zmq_connect (fake->socket, endpoint), 0);
}

static void
s_fake_send (s_fake_t *fake, const uint8_t *buf, size_t size)
{
    ck_assert_uint_ne (size, 0);
    ck_assert_int_eq (zmq_send (fake->socket, buf, size, 0), (int) size);
}

static void
s_fake_hello (s_fake_t *fake, uint64_t uid, uint32_t credit)
{
    mf_hello_t hello = { .credit = credit, .threads = 1, .pid = 1, .uid = uid };
    snprintf (hello.host, sizeof hello.host, "fake-%llu", (unsigned long long) uid);
    snprintf (hello.kernel, sizeof hello.kernel, "scalar");
    uint8_t buf [MF_SIZE_HELLO];
    s_fake_send (fake, buf, mf_proto_encode_hello (buf, sizeof buf, &hello));
}

static void
s_fake_open (s_fake_t *fake, void *context, const char *endpoint, uint64_t uid, uint32_t credit)
{
    s_fake_connect (fake, context, endpoint, 0);
    s_fake_hello (fake, uid, credit);
}

static void
s_fake_read (s_fake_t *fake)
{
    static uint8_t buf [MF_PROTO_MAX_TO_WORKER];
    int size;
    while ((size = zmq_recv (fake->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        mf_msg_t msg;
        ck_assert_int_le (size, (int) sizeof buf);
        ck_assert_int_eq (mf_proto_decode (buf, (size_t) size, &msg, NULL), 0);
        if (msg.type == MF_MSG_WELCOME)
            fake->welcomed = true;
        else
        if (msg.type == MF_MSG_DEEPTILE) {
            ck_assert_int_lt (fake->tile_count, 256);
            fake->tiles [fake->tile_count++] = msg.u.deeptile;
        }
        else
        if (msg.type == MF_MSG_CHUNK) {
            ck_assert_int_lt (fake->chunk_count, 64);
            int index = fake->chunk_count++;
            fake->chunks [index] = msg.u.chunk;
            fake->chunk_data [index] = malloc (msg.u.chunk.length);
            memcpy (fake->chunk_data [index], msg.u.chunk.data, msg.u.chunk.length);
            fake->chunks [index].data = fake->chunk_data [index];
        }
        else
        if (msg.type == MF_MSG_NOORBIT)
            fake->noorbit++;
        else
        if (msg.type == MF_MSG_REGISTER)
            fake->registers++;
        else
            ck_assert_msg (msg.type == MF_MSG_HEARTBEAT, "unexpected message %d", msg.type);
    }
}

static void
s_fake_close (s_fake_t *fake)
{
    for (int index = 0; index < fake->chunk_count; index++)
        free (fake->chunk_data [index]);
    zmq_close (fake->socket);
}

static void
s_fetch (s_fake_t *fake, const mf_orbit_id_t *id, uint64_t offset, uint32_t length)
{
    mf_fetch_t fetch = { *id, offset, length };
    uint8_t buf [MF_SIZE_FETCH];
    s_fake_send (fake, buf, mf_proto_encode_fetch (buf, sizeof buf, &fetch));
}

static void
s_decline (s_fake_t *fake, const mf_deeptile_t *tile, mf_decline_reason_t reason,
           const mf_orbit_id_t *orbit)
{
    mf_decline_t decline = { tile->job, tile->tile, tile->lease, reason, *orbit };
    uint8_t buf [MF_SIZE_DECLINE];
    s_fake_send (fake, buf, mf_proto_encode_decline (buf, sizeof buf, &decline));
}

//  The mu a fake says for pixel (i, j) of the image: a value float
//  cannot hold, below the job's maxiter.
static double
s_value (uint32_t i, uint32_t j)
{
    return 1000.0 + i + j / 64.0 + 0x1p-30;
}

//  Answers a DEEPTILE with f64 mu (or f32, to be refused).
static void
s_answer (s_fake_t *fake, const mf_deeptile_t *tile, mf_mu_format_t format)
{
    const mf_rect_t *r = &tile->rect;
    size_t pixels = (size_t) r->w * r->h;
    size_t size = mf_proto_result_size_as (format, r->w, r->h);
    uint8_t *buf = malloc (size);
    mf_result_t result = { tile->job, tile->tile, tile->lease, *r, 1, pixels, NULL,
                           format, MF_ENCODING_RAW, 0, 0 };
    size_t head = mf_proto_encode_result_head (buf, MF_SIZE_RESULT_HEAD, &result);
    for (uint32_t j = 0; j < r->h; j++)
        for (uint32_t i = 0; i < r->w; i++) {
            double mu = s_value (r->x + i, r->y + j);
            size_t at = (size_t) j * r->w + i;
            if (format == MF_MU_F64)
                mf_proto_put_f64s (buf + head + 8 * at, &mu, 1);
            else {
                float value = (float) mu;
                mf_le_put_f32s (buf + head + 4 * at, &value, 1);
            }
        }
    s_fake_send (fake, buf, size);
    free (buf);
}

//  The orbit of a public location, packed.
static mf_shipped_t *
s_orbit (const char *center, const char *zoom, uint32_t maxiter, mf_deep_map_t *map)
{
    char err [256];
    mf_deep_view_t *view = mf_deep_view_new (center, NULL, zoom, W, H, err, sizeof err);
    ck_assert_msg (view != NULL, "%s", err);
    ck_assert (mf_deep_view_is_deep (view));
    mf_deep_view_map (view, map);
    mf_orbit_t *orbit = mf_orbit_compute (view, maxiter, NULL, err, sizeof err);
    ck_assert_msg (orbit != NULL, "%s", err);
    mf_shipped_t *shipped = mf_shipped_new (orbit, err, sizeof err);
    ck_assert_msg (shipped != NULL, "%s", err);
    mf_orbit_destroy (&orbit);
    mf_deep_view_destroy (&view);
    return shipped;
}

static mf_engine_t *
s_engine_edge (char *endpoint, size_t size, uint32_t edge)
{
    mf_engine_opts_t opts = { .listen_endpoint = "tcp://127.0.0.1:*", .max_tile_edge = edge,
                              .deep = true, .heartbeat_ms = 1000 };
    char err [256];
    mf_engine_t *engine = mf_engine_new (&opts, err, sizeof err);
    ck_assert_msg (engine != NULL, "%s", err);
    ck_assert_int_eq (mf_engine_endpoint (engine, endpoint, size), 0);
    return engine;
}

static mf_engine_t *
s_engine (char *endpoint, size_t size)
{
    return s_engine_edge (endpoint, size, EDGE);
}

static mf_job_spec_t
s_spec (const mf_deep_map_t *map, uint32_t maxiter)
{
    mf_job_spec_t spec = { .view = { 0, 0, 1, W, H }, .maxiter = maxiter, .tile_edge = EDGE,
                           .deep = true, .deep_map = *map };
    return spec;
}

//  Polls the engine and reads the fakes until done says so, or fails.
typedef bool (s_until_fn) (mf_engine_t *engine, void *arg);

static void
s_run (mf_engine_t *engine, s_fake_t **fakes, int count, s_until_fn *until, void *arg)
{
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while (!until (engine, arg)) {
        ck_assert_msg (mf_clock_ms () < deadline, "the engine did not get there in time");
        mf_engine_poll (engine, 10, NULL);
        for (int index = 0; index < count; index++)
            s_fake_read (fakes [index]);
    }
}

static bool
s_tiles_at_least (mf_engine_t *engine, void *arg)
{
    s_fake_t *fake = ((void **) arg) [0];
    return fake->tile_count >= *(int *) ((void **) arg) [1];
}

static void
s_wait_tiles (mf_engine_t *engine, s_fake_t *fake, int count)
{
    void *arg [2] = { fake, &count };
    s_run (engine, &fake, 1, s_tiles_at_least, arg);
}

static bool
s_chunks_at_least (mf_engine_t *engine, void *arg)
{
    s_fake_t *fake = ((void **) arg) [0];
    return fake->chunk_count + fake->noorbit >= *(int *) ((void **) arg) [1];
}

static void
s_wait_answers (mf_engine_t *engine, s_fake_t *fake, int count)
{
    void *arg [2] = { fake, &count };
    s_run (engine, &fake, 1, s_chunks_at_least, arg);
}

static bool
s_job_done (mf_engine_t *engine, void *arg)
{
    uint32_t done, total;
    return mf_engine_progress (engine, *(uint32_t *) arg, &done, &total) == 0 && done == total;
}

//  Polls a while (msecs) for what must not happen to have a chance to.
static void
s_settle (mf_engine_t *engine, s_fake_t **fakes, int count, int msecs)
{
    int64_t until = mf_clock_ms () + msecs;
    while (mf_clock_ms () < until) {
        mf_engine_poll (engine, 10, NULL);
        for (int index = 0; index < count; index++)
            s_fake_read (fakes [index]);
    }
}

START_TEST (deep_job_end_to_end)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    mf_job_spec_t spec = s_spec (&map, LOC_LINE_ITER);
    double *image = calloc (W * H, sizeof *image);
    uint32_t job = mf_engine_submit_deep (engine, &spec, NULL, image, orbit);
    ck_assert_uint_ne (job, 0);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 11, 8);
    s_wait_tiles (engine, &fake, 8);
    size_t size;
    const uint8_t *blob = mf_shipped_blob (orbit, &size);
    //  Every DEEPTILE says the job: its map, its orbit and its sizes.
    for (int index = 0; index < fake.tile_count; index++) {
        const mf_deeptile_t *tile = &fake.tiles [index];
        ck_assert_uint_eq (tile->job, job);
        ck_assert_uint_eq (tile->maxiter, LOC_LINE_ITER);
        ck_assert (memcmp (&tile->map, &map, sizeof map) == 0);
        ck_assert (mf_orbit_id_equal (&tile->orbit, mf_shipped_id (orbit)));
        ck_assert_uint_eq (tile->shipped, size);
        ck_assert_uint_eq (tile->raw, mf_shipped_raw (orbit));
    }
    //  The orbit in two pieces, exactly as asked; an unknown id draws
    //  NOORBIT; bytes beyond the end draw nothing.
    uint32_t half = (uint32_t) (size / 2 + 1);
    s_fetch (&fake, mf_shipped_id (orbit), 0, half);
    s_fetch (&fake, mf_shipped_id (orbit), half, (uint32_t) (size - half));
    mf_orbit_id_t stranger;
    memset (&stranger, 0x5a, sizeof stranger);
    s_fetch (&fake, &stranger, 0, 100);
    s_fetch (&fake, mf_shipped_id (orbit), size - 10, 11);
    s_fetch (&fake, mf_shipped_id (orbit), size, 1);
    s_wait_answers (engine, &fake, 3);
    s_fake_t *fakes [1] = { &fake };
    s_settle (engine, fakes, 1, 200);
    ck_assert_int_eq (fake.chunk_count, 2);
    ck_assert_int_eq (fake.noorbit, 1);
    for (int index = 0; index < 2; index++) {
        const mf_chunk_t *chunk = &fake.chunks [index];
        ck_assert_uint_eq (chunk->total, size);
        ck_assert_uint_eq (chunk->offset, index? half: 0);
        ck_assert_uint_eq (chunk->length, index? size - half: half);
        ck_assert (memcmp (chunk->data, blob + chunk->offset, chunk->length) == 0);
    }
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.chunks, 2);
    ck_assert_uint_eq (stats.chunk_bytes, size);
    ck_assert_uint_eq (stats.noorbit, 1);
    ck_assert_uint_eq (stats.fetch_dropped, 2);
    ck_assert_uint_eq (stats.deep_leases, 8);
    //  An f32 result of a deep lease is refused and its tile goes out
    //  again; f64 ones go into the image, bit for bit.
    s_answer (&fake, &fake.tiles [0], MF_MU_F32);
    for (int index = 1; index < 8; index++)
        s_answer (&fake, &fake.tiles [index], MF_MU_F64);
    s_wait_tiles (engine, &fake, 9);
    ck_assert_uint_eq (fake.tiles [8].tile, fake.tiles [0].tile);
    s_answer (&fake, &fake.tiles [8], MF_MU_F64);
    s_run (engine, fakes, 1, s_job_done, &job);
    for (uint32_t j = 0; j < H; j++)
        for (uint32_t i = 0; i < W; i++)
            ck_assert_msg (image [j * W + i] == s_value (i, j), "pixel %u, %u", i, j);
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.rejected, 1);
    ck_assert_uint_eq (stats.tiles, 8);
    s_fake_close (&fake);
    zmq_ctx_term (context);
    mf_engine_release (engine, job);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
    free (image);
}
END_TEST

//  What a FETCH flood from a peer that reads nothing costs.
typedef struct {
    int sent;                           //  FETCHes the flood sent
} s_flood_t;

static bool
s_flood_settled (mf_engine_t *engine, void *arg)
{
    s_flood_t *flood = arg;
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    return (int) (stats.chunks + stats.fetch_dropped) >= flood->sent;
}

START_TEST (fetch_flood_is_bounded)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    //  e50's orbit ships 0.18 MB: each CHUNK is big.
    mf_shipped_t *orbit = s_orbit (LOC_E50_CENTER, LOC_E50_ZOOM, LOC_E50_ITER, &map);
    mf_job_spec_t spec = s_spec (&map, LOC_E50_ITER);
    uint32_t job = mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit);
    ck_assert_uint_ne (job, 0);
    size_t size;
    mf_shipped_blob (orbit, &size);
    void *context = zmq_ctx_new ();
    s_fake_t flooder;
    s_fake_connect (&flooder, context, endpoint, 1);
    s_fake_hello (&flooder, 21, 1);
    s_fake_t *fakes [1] = { &flooder };
    s_settle (engine, fakes, 0, 200);
    //  It asks for the whole orbit again and again, and never reads.
    s_flood_t flood = { 400 };
    for (int index = 0; index < flood.sent; index++)
        s_fetch (&flooder, mf_shipped_id (orbit), 0, (uint32_t) size);
    s_run (engine, fakes, 0, s_flood_settled, &flood);
    s_settle (engine, fakes, 0, 300);
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    //  At most MF_ENGINE_CHUNKS_QUEUED wait in the master's queue; what
    //  the kernel's socket buffers took beyond them (a few MB on
    //  loopback) is the rest. Without the bound every FETCH is answered.
    printf ("a FETCH flood from a peer that reads nothing: %llu of %d answered\n",
            (unsigned long long) stats.chunks, flood.sent);
    ck_assert_msg (stats.chunks < 100, "%llu of %d FETCHes answered",
                   (unsigned long long) stats.chunks, flood.sent);
    ck_assert_uint_eq (stats.chunks + stats.fetch_dropped, flood.sent);
    ck_assert_uint_eq (stats.evicted, 0);
    //  A worker that reads is served meanwhile.
    s_fake_t worker;
    s_fake_open (&worker, context, endpoint, 22, 1);
    fakes [0] = &worker;
    s_fetch (&worker, mf_shipped_id (orbit), 0, 1000);
    s_wait_answers (engine, &worker, 1);
    ck_assert_int_eq (worker.chunk_count, 1);
    s_fake_close (&worker);
    s_fake_close (&flooder);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
}
END_TEST

static bool
s_refused (mf_engine_t *engine, void *arg)
{
    return mf_engine_job_refused (engine, *(uint32_t *) arg);
}

START_TEST (declines)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    mf_job_spec_t spec = s_spec (&map, LOC_LINE_ITER);
    uint32_t job = mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 31, 1);
    s_wait_tiles (engine, &fake, 1);
    s_fake_t *fakes [1] = { &fake };
    //  DECLINEs of leases it does not hold, or naming another orbit, give
    //  nothing back: a storm of them brings no tile.
    mf_deeptile_t forged = fake.tiles [0];
    forged.lease += 1000;
    mf_orbit_id_t other;
    memset (&other, 0x33, sizeof other);
    for (int index = 0; index < 50; index++) {
        s_decline (&fake, &forged, MF_DECLINE_NO_ORBIT, &forged.orbit);
        s_decline (&fake, &fake.tiles [0], MF_DECLINE_NO_ORBIT, &other);
    }
    s_settle (engine, fakes, 1, 300);
    ck_assert_int_eq (fake.tile_count, 1);
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.rejected, 100);
    ck_assert_uint_eq (stats.declined, 0);
    //  A real one (no answer, reason 4): the credit comes back and the
    //  tile goes out again, to it.
    s_decline (&fake, &fake.tiles [0], MF_DECLINE_NO_ANSWER, &fake.tiles [0].orbit);
    s_wait_tiles (engine, &fake, 2);
    ck_assert_uint_eq (fake.tiles [1].tile, fake.tiles [0].tile);
    ck_assert_uint_ne (fake.tiles [1].lease, fake.tiles [0].lease);
    //  Too large for it: it gets no more of the orbit's tiles, and with
    //  nobody else here the job is refused.
    ck_assert (!mf_engine_job_refused (engine, job));
    s_decline (&fake, &fake.tiles [1], MF_DECLINE_TOO_LARGE, &fake.tiles [1].orbit);
    s_run (engine, fakes, 1, s_refused, &job);
    s_settle (engine, fakes, 1, 300);
    ck_assert_int_eq (fake.tile_count, 2);
    mf_engine_stats (engine, &stats);
    ck_assert_uint_eq (stats.declined, 2);
    ck_assert_uint_eq (stats.refusals, 1);
    //  A later job of the same orbit is kept from it too.
    mf_job_spec_t again = s_spec (&map, LOC_LINE_ITER);
    uint32_t second = mf_engine_submit_deep (engine, &again, NULL, NULL, orbit);
    ck_assert (mf_engine_job_refused (engine, second));
    //  Another worker takes the tiles; neither job is refused any more.
    s_fake_t other_worker;
    s_fake_open (&other_worker, context, endpoint, 32, 2);
    s_wait_tiles (engine, &other_worker, 2);
    ck_assert (!mf_engine_job_refused (engine, job));
    ck_assert (!mf_engine_job_refused (engine, second));
    ck_assert_uint_eq (other_worker.tiles [0].job, job);
    s_settle (engine, fakes, 1, 200);
    ck_assert_int_eq (fake.tile_count, 2);
    s_fake_close (&other_worker);
    s_fake_close (&fake);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
}
END_TEST

START_TEST (strangers_are_asked_to_register)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    mf_job_spec_t spec = s_spec (&map, LOC_LINE_ITER);
    ck_assert_uint_ne (mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit), 0);
    void *context = zmq_ctx_new ();
    s_fake_t stranger;
    s_fake_connect (&stranger, context, endpoint, 0);
    s_fetch (&stranger, mf_shipped_id (orbit), 0, 100);
    mf_deeptile_t tile = { .job = 1, .tile = 0, .lease = 1 };
    s_decline (&stranger, &tile, MF_DECLINE_NO_MEMORY, mf_shipped_id (orbit));
    s_fake_t *fakes [1] = { &stranger };
    int64_t deadline = mf_clock_ms () + SETTLE_MS;
    while (stranger.registers < 2 && mf_clock_ms () < deadline) {
        mf_engine_poll (engine, 10, NULL);
        s_fake_read (&stranger);
    }
    s_settle (engine, fakes, 1, 100);
    ck_assert_int_eq (stranger.registers, 2);
    ck_assert_int_eq (stranger.chunk_count, 0);
    s_fake_close (&stranger);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
}
END_TEST

START_TEST (orbits_are_shared_and_go_with_their_last_job)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    mf_orbit_id_t id = *mf_shipped_id (orbit);
    //  Two jobs of one orbit, each with its own map (a movie's frames).
    mf_job_spec_t first = s_spec (&map, LOC_LINE_ITER);
    mf_job_spec_t second = first;
    second.deep_map.pitch.e -= 1;
    uint32_t one = mf_engine_submit_deep (engine, &first, NULL, NULL, orbit);
    uint32_t two = mf_engine_submit_deep (engine, &second, NULL, NULL, orbit);
    ck_assert (one && two);
    //  The engine keeps its own reference: the caller may let go.
    mf_shipped_destroy (&orbit);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 41, 0);
    s_fetch (&fake, &id, 0, 10);
    s_wait_answers (engine, &fake, 1);
    ck_assert_int_eq (fake.chunk_count, 1);
    mf_engine_release (engine, one);
    s_fetch (&fake, &id, 0, 10);
    s_wait_answers (engine, &fake, 2);
    ck_assert_int_eq (fake.chunk_count, 2);
    mf_engine_release (engine, two);
    s_fetch (&fake, &id, 0, 10);
    s_wait_answers (engine, &fake, 3);
    ck_assert_int_eq (fake.chunk_count, 2);
    ck_assert_int_eq (fake.noorbit, 1);
    s_fake_close (&fake);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
}
END_TEST

START_TEST (orbits_that_cannot_serve_are_refused)
{
    char endpoint [64];
    mf_engine_t *engine = s_engine (endpoint, sizeof endpoint);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    //  Another number type than the map's.
    mf_job_spec_t spec = s_spec (&map, LOC_LINE_ITER);
    spec.deep_map.type = MF_DELTA_FEXP;
    ck_assert_uint_eq (mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit), 0);
    //  More points than maxiter + 1 (the orbit escaped at 904).
    spec = s_spec (&map, 100);
    ck_assert_uint_eq (mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit), 0);
    spec = s_spec (&map, 904);
    uint32_t job = mf_engine_submit_deep (engine, &spec, NULL, NULL, orbit);
    ck_assert_uint_ne (job, 0);
    mf_engine_release (engine, job);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
}
END_TEST


START_TEST (largest_f64_results_get_in)
{
    //  One tile of the largest edge: its f64 result is twice a float one's
    //  size, beyond what ZMQ_MAXMSGSIZE lets in for shallow jobs.
    char endpoint [64];
    mf_engine_t *engine = s_engine_edge (endpoint, sizeof endpoint, 128);
    mf_deep_map_t map;
    mf_shipped_t *orbit = s_orbit (LOC_LINE_CENTER, LOC_LINE_ZOOM, LOC_LINE_ITER, &map);
    mf_job_spec_t spec = s_spec (&map, LOC_LINE_ITER);
    spec.view.pixel_w = spec.view.pixel_h = 128;
    spec.tile_edge = 128;
    spec.deep_map.pixel_w = spec.deep_map.pixel_h = 128;
    double *image = calloc (128 * 128, sizeof *image);
    uint32_t job = mf_engine_submit_deep (engine, &spec, NULL, image, orbit);
    void *context = zmq_ctx_new ();
    s_fake_t fake;
    s_fake_open (&fake, context, endpoint, 51, 1);
    s_wait_tiles (engine, &fake, 1);
    ck_assert_uint_eq (fake.tiles [0].rect.w * fake.tiles [0].rect.h, 128 * 128);
    ck_assert_uint_gt (mf_proto_result_size_as (MF_MU_F64, 128, 128),
                       mf_proto_result_size (128, 128) + 256);
    s_answer (&fake, &fake.tiles [0], MF_MU_F64);
    s_fake_t *fakes [1] = { &fake };
    s_run (engine, fakes, 1, s_job_done, &job);
    ck_assert (image [127 * 128 + 127] == s_value (127, 127));
    s_fake_close (&fake);
    zmq_ctx_term (context);
    mf_engine_destroy (&engine);
    mf_shipped_destroy (&orbit);
    free (image);
}
END_TEST

int
main (void)
{
    //  The engine warns about what these tests do on purpose.
    mf_log_level = MF_LOG_ERROR;
    Suite *suite = suite_create ("deep_engine");
    TCase *tc = tcase_create ("deep_engine");
    tcase_set_timeout (tc, 60);
    tcase_add_test (tc, deep_job_end_to_end);
    tcase_add_test (tc, fetch_flood_is_bounded);
    tcase_add_test (tc, declines);
    tcase_add_test (tc, strangers_are_asked_to_register);
    tcase_add_test (tc, orbits_are_shared_and_go_with_their_last_job);
    tcase_add_test (tc, orbits_that_cannot_serve_are_refused);
    tcase_add_test (tc, largest_f64_results_get_in);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
