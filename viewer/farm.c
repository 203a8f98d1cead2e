/*  mf_farm: see farm.h. */
#include "farm.h"
#include "mf_log.h"

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
} s_cmd_t;

//  A job in flight, on the engine thread only.
typedef struct {
    uint32_t job;                       //  engine's job id
    uint32_t token;                     //  viewer's token
} s_job_t;

struct _mf_farm_t {
    zactor_t *actor;                    //  the engine thread
    const mf_engine_opts_t *opts;       //  endpoints, heartbeat (the caller's)
    mf_farm_notify_fn *notify;          //  wakes the viewer
    void *notify_arg;                   //  its argument
    pthread_mutex_t lock;               //  guards everything below
    mf_farm_tile_t **queue;             //  ring of delivered tiles, oldest first
    size_t queue_first;                 //  index of the oldest
    size_t queue_count;                 //  tiles in the ring
    size_t queue_capacity;              //  room in the ring
    mf_farm_status_t status;            //  published counters
    bool failed;                        //  the engine could not start
    char err [256];                     //  why
    //  Engine thread only:
    s_job_t *jobs;                      //  jobs in flight
    size_t job_count;                   //  entries in jobs
    size_t job_capacity;                //  room in jobs
    bool paused;                        //  the engine is not polled any more
    uint64_t *uids;                     //  workers by their tint number
    size_t uid_count;                   //  entries in uids
    size_t uid_capacity;                //  room in uids
};

//  Queues a tile for the viewer. Returns 0, or -1 when out of memory
//  (the tile is then the caller's).
static int
s_push (mf_farm_t *self, mf_farm_tile_t *tile)
{
    pthread_mutex_lock (&self->lock);
    if (self->queue_count == self->queue_capacity) {
        size_t capacity = self->queue_capacity? 2 * self->queue_capacity: 64;
        mf_farm_tile_t **queue = malloc (capacity * sizeof *queue);
        if (!queue) {
            pthread_mutex_unlock (&self->lock);
            return -1;
        }
        for (size_t index = 0; index < self->queue_count; index++)
            queue [index] = self->queue [(self->queue_first + index) % self->queue_capacity];
        free (self->queue);
        self->queue = queue;
        self->queue_first = 0;
        self->queue_capacity = capacity;
    }
    bool was_empty = self->queue_count == 0;
    self->queue [(self->queue_first + self->queue_count++) % self->queue_capacity] = tile;
    pthread_mutex_unlock (&self->lock);
    if (was_empty && self->notify)
        self->notify (self->notify_arg);
    return 0;
}

static s_job_t *
s_find_job (mf_farm_t *self, uint32_t job)
{
    for (size_t index = 0; index < self->job_count; index++)
        if (self->jobs [index].job == job)
            return &self->jobs [index];
    return NULL;
}

static void
s_forget (mf_farm_t *self, size_t index)
{
    self->jobs [index] = self->jobs [--self->job_count];
}

//  The worker's number for the viewer's tint: workers in the order they
//  first delivered, -1 for none (the engine names them by uid).
static int
s_worker_number (mf_farm_t *self, uint64_t uid)
{
    if (!uid)
        return -1;
    for (size_t index = 0; index < self->uid_count; index++)
        if (self->uids [index] == uid)
            return (int) index;
    if (self->uid_count == self->uid_capacity) {
        size_t capacity = self->uid_capacity? 2 * self->uid_capacity: 16;
        uint64_t *uids = realloc (self->uids, capacity * sizeof *uids);
        if (!uids)
            return (int) self->uid_count;       //  shares a tint; nothing else depends on it
        self->uids = uids;
        self->uid_capacity = capacity;
    }
    self->uids [self->uid_count] = uid;
    return (int) self->uid_count++;
}

//  Engine thread: copy an accepted tile out, tagged with its token.
static void
s_on_tile (void *arg, uint32_t job, uint32_t tile_id, const mf_rect_t *rect, const float *mu,
           size_t stride, uint64_t worker)
{
    mf_farm_t *self = arg;
    s_job_t *entry = s_find_job (self, job);
    if (!entry)
        return;                         //  not ours (cannot happen: every job is)
    size_t pixels = (size_t) rect->w * rect->h;
    mf_farm_tile_t *tile = malloc (sizeof *tile + pixels * sizeof (float));
    if (!tile) {
        mf_error ("out of memory delivering a tile to the viewer");
        return;
    }
    tile->token = entry->token;
    tile->rect = *rect;
    tile->worker = s_worker_number (self, worker);
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
        if (self->job_count == self->job_capacity) {
            size_t capacity = self->job_capacity? 2 * self->job_capacity: 8;
            s_job_t *jobs = realloc (self->jobs, capacity * sizeof *jobs);
            if (!jobs) {
                mf_tiles_destroy (&cmd->tiles);
                s_fail_job (self, cmd->token);
                return;
            }
            self->jobs = jobs;
            self->job_capacity = capacity;
        }
        //  Registered before submit: a tile may be accepted inside it.
        s_job_t *entry = &self->jobs [self->job_count++];
        entry->token = cmd->token;
        entry->job = 0;
        //  The grid the viewer counted the job's tiles on: the engine's
        //  one and only grid of this job.
        uint32_t job = mf_engine_submit_grid (engine, &cmd->spec, &cmd->tiles, NULL);
        if (!job) {
            self->job_count--;
            s_fail_job (self, cmd->token);
            return;
        }
        entry->job = job;
    }
    else
    if (cmd->type == CMD_CANCEL) {
        for (size_t index = 0; index < self->job_count; index++)
            if (self->jobs [index].token == cmd->token) {
                mf_engine_cancel (engine, self->jobs [index].job);
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
    self->status.jobs = (uint32_t) self->job_count;
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
    mf_engine_on_tile (engine, s_on_tile, self);
    //  As the headless master says it (master/launch.c): where --listen
    //  let the system choose the port, this line is the only way to learn it.
    char bound [256];
    if (self->opts->listen_endpoint && mf_engine_endpoint (engine, bound, sizeof bound) == 0)
        mf_say ("listening on %s", bound);
    zsock_signal (pipe, 0);
    while (true) {
        int rc = self->paused? 1: mf_engine_poll (engine, POLL_MS, pipe);
        if (rc == 1 && s_read_pipe (self, engine, pipe))
            break;
        if (self->paused)
            continue;
        //  Release what is complete: its tiles are all delivered.
        for (size_t index = 0; index < self->job_count; ) {
            uint32_t done, total;
            if (mf_engine_progress (engine, self->jobs [index].job, &done, &total) == 0
            &&  done < total) {
                index++;
                continue;
            }
            mf_engine_release (engine, self->jobs [index].job);
            s_forget (self, index);
        }
        s_publish (self, engine);
    }
    mf_engine_destroy (&engine);
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
    for (size_t index = 0; index < self->queue_count; index++)
        free (self->queue [(self->queue_first + index) % self->queue_capacity]);
    free (self->queue);
    free (self->jobs);
    free (self->uids);
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
    s_cmd_t cmd = { CMD_SUBMIT, token, *spec,
                    mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge) };
    if (!cmd.tiles)
        return -1;
    *tiles = mf_tiles_count (cmd.tiles);
    if (s_send (self, &cmd) == 0)
        return 0;
    mf_tiles_destroy (&cmd.tiles);
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
    if (self->queue_count) {
        tile = self->queue [self->queue_first];
        self->queue_first = (self->queue_first + 1) % self->queue_capacity;
        self->queue_count--;
    }
    pthread_mutex_unlock (&self->lock);
    return tile;
}

size_t
mf_farm_queued (mf_farm_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t count = self->queue_count;
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
