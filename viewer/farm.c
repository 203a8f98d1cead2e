/*  mf_farm: see farm.h. */
#include "farm.h"
#include "mf_log.h"
#include "mf_vec.h"

#include <assert.h>
#include <czmq.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 50                      //  msecs per engine poll when idle

typedef enum { CMD_SUBMIT = 1, CMD_CANCEL = 2, CMD_PAUSE = 3 } s_cmd_type_t;

//  A command, sent down the pipe as one frame of these bytes (the same
//  process on both ends).
typedef struct {
    uint32_t type;                      //  s_cmd_type_t
    uint32_t token;                     //  the viewer's token
    mf_job_spec_t spec;                 //  for CMD_SUBMIT
    mf_tiles_t *tiles;                  //  for CMD_SUBMIT: the job's grid, which the
                                        //  engine takes (or the reader destroys)
    mf_shipped_t *orbit;                //  for a deep CMD_SUBMIT: a reference to its
                                        //  orbit, which the reader drops once submitted
} s_cmd_t;

//  A job in flight, on the engine thread only.
typedef struct {
    uint32_t job;                       //  engine's job id
    uint32_t token;                     //  viewer's token
    bool deep;                          //  its results are doubles
} s_job_t;

struct _mf_farm_t {
    zactor_t *actor;                    //  the engine thread
    const mf_engine_opts_t *opts;       //  endpoints, heartbeat (the caller's)
    mf_farm_notify_fn *notify;          //  wakes the viewer
    void *notify_arg;                   //  its argument
    pthread_mutex_t lock;               //  guards everything below
    mf_vec_t *queue;                    //  delivered tiles (mf_farm_tile_t *), oldest first
    mf_farm_status_t status;            //  published counters
    bool failed;                        //  the engine could not start
    char err [256];                     //  why
    char bound [256];                   //  the remote link as bound, or "" (written
                                        //  before the actor's start signal)
    //  Engine thread only:
    mf_vec_t *jobs;                     //  jobs in flight, s_job_t
    bool paused;                        //  the engine is not polled any more
    mf_vec_t *uids;                     //  workers (uint64_t) by their tint number
    mf_engine_t *engine;                //  the engine, for the workers' names
    //  Guarded by lock again:
    mf_vec_t *names;                    //  their names (char [MF_ENGINE_NAME_LEN]), by
                                        //  tint number, for the legend
};

//  Queues a tile for the viewer. Returns 0, or -1 when out of memory
//  (the tile is then the caller's).
static int
s_push (mf_farm_t *self, mf_farm_tile_t *tile)
{
    pthread_mutex_lock (&self->lock);
    bool was_empty = mf_vec_count (self->queue) == 0;
    bool pushed = mf_vec_push (self->queue, &tile) != NULL;
    pthread_mutex_unlock (&self->lock);
    if (!pushed)
        return -1;
    if (was_empty && self->notify)
        self->notify (self->notify_arg);
    return 0;
}

static s_job_t *
s_job_at (mf_farm_t *self, size_t index)
{
    return mf_vec_at (self->jobs, index);
}

static s_job_t *
s_find_job (mf_farm_t *self, uint32_t job)
{
    s_job_t *entry;
    for (size_t index = 0; (entry = s_job_at (self, index)); index++)
        if (entry->job == job)
            return entry;
    return NULL;
}

static void
s_forget (mf_farm_t *self, size_t index)
{
    mf_vec_swap_remove (self->jobs, index);
}

//  The worker's number for the viewer's tint: workers in the order they
//  first delivered, -1 for none (the engine names them by uid).
static int
s_worker_number (mf_farm_t *self, uint64_t uid)
{
    if (!uid)
        return -1;
    const uint64_t *known;
    size_t index = 0;
    for (; (known = mf_vec_at (self->uids, index)); index++)
        if (*known == uid)
            return (int) index;
    //  Out of memory it shares a tint; nothing else depends on it.
    if (!mf_vec_push (self->uids, &uid))
        return (int) index;
    //  Its name for the legend, from its HELLO, which came before any
    //  of its tiles.
    char name [MF_ENGINE_NAME_LEN] = "?";
    const mf_worker_info_t *info;
    for (size_t at = 0; (info = mf_engine_worker (self->engine, at)); at++)
        if (info->uid == uid) {
            snprintf (name, sizeof name, "%s", info->name);
            break;
        }
    pthread_mutex_lock (&self->lock);
    bool named = mf_vec_push (self->names, name) != NULL;
    pthread_mutex_unlock (&self->lock);
    if (!named)
        mf_vec_remove (self->uids, index);
    return (int) index;
}

//  Engine thread: copy an accepted tile out, tagged with its token: the
//  floats of a shallow job, the doubles of a deep one.
static void
s_on_tile (void *arg, uint32_t job, uint32_t tile_id, const mf_rect_t *rect, const void *mu,
           size_t stride, uint64_t worker)
{
    mf_farm_t *self = arg;
    s_job_t *entry = s_find_job (self, job);
    if (!entry)
        return;                         //  not ours (cannot happen: every job is)
    size_t pixels = (size_t) rect->w * rect->h;
    size_t value = entry->deep? sizeof (double): sizeof (float);
    mf_farm_tile_t *tile = malloc (sizeof *tile + pixels * value);
    if (!tile) {
        mf_error ("out of memory delivering a tile to the viewer");
        return;
    }
    tile->token = entry->token;
    tile->rect = *rect;
    tile->worker = s_worker_number (self, worker);
    tile->deep = entry->deep;
    if (entry->deep)
        for (uint32_t row = 0; row < rect->h; row++)
            memcpy (mf_farm_tile_mu64 (tile) + (size_t) row * rect->w,
                    (const double *) mu + (size_t) row * stride, rect->w * sizeof (double));
    else
        mf_rect_copy (tile->mu, rect->w, mu, stride, rect->w, rect->h);
    if (s_push (self, tile)) {
        mf_error ("out of memory delivering a tile to the viewer");
        free (tile);
    }
}

static void
s_fail_job (mf_farm_t *self, uint32_t token)
{
    mf_farm_tile_t *tile = calloc (1, sizeof *tile);
    if (!tile)
        return;
    tile->token = token;
    if (s_push (self, tile))
        free (tile);
}

static void
s_on_command (mf_farm_t *self, mf_engine_t *engine, s_cmd_t *cmd)
{
    if (cmd->type == CMD_SUBMIT) {
        //  Registered before submit: a tile may be accepted inside it.
        s_job_t fresh = { .job = 0, .token = cmd->token, .deep = cmd->spec.deep };
        if (!mf_vec_push (self->jobs, &fresh)) {
            mf_tiles_destroy (&cmd->tiles);
            mf_shipped_destroy (&cmd->orbit);
            s_fail_job (self, cmd->token);
            return;
        }
        //  The grid the viewer counted the job's tiles on: the engine's
        //  one and only grid of this job. A deep job's orbit is held by
        //  the engine while the job lives; this reference goes.
        uint32_t job = cmd->spec.deep
                     ? mf_engine_submit_deep (engine, &cmd->spec, &cmd->tiles, NULL, cmd->orbit)
                     : mf_engine_submit_grid (engine, &cmd->spec, &cmd->tiles, NULL);
        mf_shipped_destroy (&cmd->orbit);
        size_t last = mf_vec_count (self->jobs) - 1;
        if (!job) {
            mf_vec_remove (self->jobs, last);
            s_fail_job (self, cmd->token);
            return;
        }
        s_job_at (self, last)->job = job;
    }
    else
    if (cmd->type == CMD_CANCEL) {
        s_job_t *entry;
        for (size_t index = 0; (entry = s_job_at (self, index)); index++)
            if (entry->token == cmd->token) {
                mf_engine_cancel (engine, entry->job);
                s_forget (self, index);
                break;
            }
    }
}

//  Reads every waiting command. Returns -1 when told to terminate.
static int
s_read_pipe (mf_farm_t *self, mf_engine_t *engine, zsock_t *pipe)
{
    if (self->paused) {
        //  Blocks until $TERM; a job submitted meanwhile never starts.
        while (true) {
            zmsg_t *msg = zmsg_recv (pipe);
            zframe_t *frame = msg? zmsg_first (msg): NULL;
            bool command = frame && zframe_size (frame) == sizeof (s_cmd_t);
            if (command) {
                s_cmd_t cmd;
                memcpy (&cmd, zframe_data (frame), sizeof cmd);
                mf_tiles_destroy (&cmd.tiles);
                mf_shipped_destroy (&cmd.orbit);
            }
            zmsg_destroy (&msg);
            if (!command)
                return -1;
        }
    }
    while (true) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, zsock_resolve (pipe), ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            return 0;
        }
        size_t size = zmq_msg_size (&msg);
        if (size == sizeof (s_cmd_t)) {
            s_cmd_t cmd;
            memcpy (&cmd, zmq_msg_data (&msg), sizeof cmd);
            zmq_msg_close (&msg);
            if (cmd.type == CMD_PAUSE) {
                self->paused = true;
                zsock_signal (pipe, 0);
                return 0;
            }
            s_on_command (self, engine, &cmd);
            continue;
        }
        //  Anything else is zactor's "$TERM".
        zmq_msg_close (&msg);
        return -1;
    }
}

static void
s_publish (mf_farm_t *self, mf_engine_t *engine)
{
    mf_engine_stats_t stats;
    mf_engine_stats (engine, &stats);
    pthread_mutex_lock (&self->lock);
    self->status.workers = stats.workers;
    self->status.jobs = (uint32_t) mf_vec_count (self->jobs);
    self->status.tiles = stats.tiles;
    self->status.pixels = stats.pixels;
    self->status.late = stats.late;
    self->status.rejected = stats.rejected;
    pthread_mutex_unlock (&self->lock);
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    mf_farm_t *self = arg;
    char err [256];
    mf_engine_t *engine = mf_engine_new (self->opts, err, sizeof err);
    if (!engine) {
        pthread_mutex_lock (&self->lock);
        self->failed = true;
        snprintf (self->err, sizeof self->err, "%s", err);
        pthread_mutex_unlock (&self->lock);
        zsock_signal (pipe, 0);
        zmsg_t *msg = zmsg_recv (pipe); //  the $TERM
        zmsg_destroy (&msg);
        return;
    }
    self->engine = engine;
    mf_engine_on_tile (engine, s_on_tile, self);
    //  As the headless master says it (master/launch.c): where --listen
    //  let the system choose the port, this line is the only way to learn it.
    if (self->opts->listen_endpoint
    &&  mf_engine_endpoint (engine, self->bound, sizeof self->bound) == 0)
        mf_say ("listening on %s", self->bound);
    else
        self->bound [0] = 0;
    zsock_signal (pipe, 0);
    while (true) {
        int rc = self->paused? 1: mf_engine_poll (engine, POLL_MS, pipe);
        if (rc == 1 && s_read_pipe (self, engine, pipe))
            break;
        if (self->paused)
            continue;
        //  Release what is complete: its tiles are all delivered.
        s_job_t *entry;
        for (size_t index = 0; (entry = s_job_at (self, index)); ) {
            uint32_t done, total;
            if (mf_engine_progress (engine, entry->job, &done, &total) == 0 && done < total) {
                index++;
                continue;
            }
            mf_engine_release (engine, entry->job);
            s_forget (self, index);
        }
        s_publish (self, engine);
    }
    mf_engine_destroy (&engine);
}

const char *
mf_farm_endpoint (mf_farm_t *self)
{
    return self->bound [0]? self->bound: NULL;
}

mf_farm_t *
mf_farm_new (const mf_engine_opts_t *opts, mf_farm_notify_fn *notify, void *arg,
             char *err, size_t errlen)
{
    mf_farm_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->opts = opts;
    self->notify = notify;
    self->notify_arg = arg;
    pthread_mutex_init (&self->lock, NULL);
    self->queue = mf_vec_new (sizeof (mf_farm_tile_t *));
    self->jobs = mf_vec_new (sizeof (s_job_t));
    self->uids = mf_vec_new (sizeof (uint64_t));
    self->names = mf_vec_new (MF_ENGINE_NAME_LEN);
    if (!self->queue || !self->jobs || !self->uids || !self->names) {
        snprintf (err, errlen, "out of memory");
        mf_farm_destroy (&self);
        return NULL;
    }
    self->actor = zactor_new (s_actor, self);
    if (!self->actor) {
        snprintf (err, errlen, "cannot start the engine thread");
        mf_farm_destroy (&self);
        return NULL;
    }
    pthread_mutex_lock (&self->lock);
    bool failed = self->failed;
    pthread_mutex_unlock (&self->lock);
    if (failed) {
        snprintf (err, errlen, "%s", self->err);
        mf_farm_destroy (&self);
        return NULL;
    }
    return self;
}

void
mf_farm_destroy (mf_farm_t **self_p)
{
    assert (self_p);
    mf_farm_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    mf_farm_tile_t *tile;
    while (self->queue && mf_vec_shift (self->queue, &tile) == 0)
        free (tile);
    mf_vec_destroy (&self->queue);
    mf_vec_destroy (&self->jobs);
    mf_vec_destroy (&self->uids);
    mf_vec_destroy (&self->names);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

static int
s_send (mf_farm_t *self, const s_cmd_t *cmd)
{
    //  The pipe is inproc with a high-water mark of 1000 messages; the
    //  engine thread reads it every poll, so a send never waits long.
    return zmq_send (zsock_resolve (self->actor), cmd, sizeof *cmd, 0) == (int) sizeof *cmd
         ? 0: -1;
}

int
mf_farm_submit (mf_farm_t *self, uint32_t token, const mf_job_spec_t *spec, uint32_t *tiles)
{
    assert (token);
    assert (!spec->deep);
    s_cmd_t cmd = { CMD_SUBMIT, token, *spec,
                    mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge),
                    NULL };
    if (!cmd.tiles)
        return -1;
    *tiles = mf_tiles_count (cmd.tiles);
    if (s_send (self, &cmd) == 0)
        return 0;
    mf_tiles_destroy (&cmd.tiles);
    return -1;
}

int
mf_farm_submit_deep (mf_farm_t *self, uint32_t token, const mf_job_spec_t *spec,
                     mf_shipped_t *orbit, uint32_t *tiles)
{
    assert (token && spec->deep && orbit);
    s_cmd_t cmd = { CMD_SUBMIT, token, *spec,
                    mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge),
                    mf_shipped_ref (orbit) };
    if (!cmd.tiles) {
        mf_shipped_destroy (&cmd.orbit);
        return -1;
    }
    *tiles = mf_tiles_count (cmd.tiles);
    if (s_send (self, &cmd) == 0)
        return 0;
    mf_tiles_destroy (&cmd.tiles);
    mf_shipped_destroy (&cmd.orbit);
    return -1;
}

int
mf_farm_cancel (mf_farm_t *self, uint32_t token)
{
    s_cmd_t cmd;
    memset (&cmd, 0, sizeof cmd);
    cmd.type = CMD_CANCEL;
    cmd.token = token;
    return s_send (self, &cmd);
}

void
mf_farm_pause (mf_farm_t *self)
{
    s_cmd_t cmd;
    memset (&cmd, 0, sizeof cmd);
    cmd.type = CMD_PAUSE;
    if (s_send (self, &cmd) == 0)
        zsock_wait (self->actor);
}

mf_farm_tile_t *
mf_farm_take (mf_farm_t *self)
{
    mf_farm_tile_t *tile = NULL;
    pthread_mutex_lock (&self->lock);
    mf_vec_shift (self->queue, &tile);
    pthread_mutex_unlock (&self->lock);
    return tile;
}

size_t
mf_farm_queued (mf_farm_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t count = mf_vec_count (self->queue);
    pthread_mutex_unlock (&self->lock);
    return count;
}

void
mf_farm_status (mf_farm_t *self, mf_farm_status_t *out)
{
    pthread_mutex_lock (&self->lock);
    *out = self->status;
    pthread_mutex_unlock (&self->lock);
}

int
mf_farm_worker_name (mf_farm_t *self, int number, char *name, size_t size)
{
    pthread_mutex_lock (&self->lock);
    const char *known = number < 0? NULL: mf_vec_at (self->names, (size_t) number);
    if (known && size)
        snprintf (name, size, "%s", known);
    pthread_mutex_unlock (&self->lock);
    return known? 0: -1;
}
