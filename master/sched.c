/*  mf_sched: see sched.h.

    Each job keeps a state per tile, a cursor over its center-first order
    and a stack of tiles that came back (handed out again before the
    cursor moves on). Each worker keeps its leases in a small array:
    credit bounds its length, so linear scans stay short.
*/
#include "sched.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    TILE_PENDING = 0,               //  waiting to be handed out
    TILE_LEASED,                    //  out with one or two workers
    TILE_CHECKING,                  //  first of two opinions in, waiting for the second
    TILE_DONE                       //  result accepted
} s_tile_state_t;

typedef struct {
    uint8_t state;                  //  s_tile_state_t
    uint8_t leases;                 //  live leases on this tile
    uint8_t queued;                 //  1 while on the job's requeue stack
    uint8_t verify;                 //  1 if it needs two opinions
    uint8_t listed;                 //  1 while on the job's second-opinion list
    int first_ident;                //  CHECKING: who gave the first opinion
} s_tile_t;

typedef struct _s_job_t {
    uint32_t id;                    //  never 0
    mf_job_spec_t spec;             //  what the caller asked for
    mf_mapping_t map;               //  derived pixel mapping
    mf_tiles_t *tiles;              //  the grid and its order
    s_tile_t *tile;                 //  state per tile id
    uint32_t cursor;                //  next position in the dispatch order
    uint32_t *requeue;              //  tiles handed out again first (a stack)
    uint32_t requeued;              //  entries on that stack
    uint32_t *second;               //  CHECKING tiles waiting for a second lease
    uint32_t seconds;               //  entries in second
    uint32_t done;                  //  tiles accepted
    uint32_t total;                 //  tiles in all
    void *user;                     //  caller's pointer
    struct _s_job_t *next;          //  next younger job
} s_job_t;

typedef struct {
    uint32_t lease;                 //  lease id
    uint32_t job;                   //  job id
    uint32_t tile;                  //  tile id
    int64_t issued;                 //  when it was handed out, caller's clock
} s_lease_t;

typedef struct {
    bool used;                      //  slot in use
    int ident;                      //  who it is, for second opinions
    uint32_t credit;                //  tiles the worker can still take
    s_lease_t *leases;              //  its live leases
    uint32_t lease_count;           //  entries in leases
    uint32_t lease_capacity;        //  size of leases
} s_worker_t;

struct _mf_sched_t {
    s_job_t *jobs;                  //  oldest first
    uint32_t next_job;              //  last job id given
    uint32_t next_lease;            //  last lease id given
    s_worker_t *workers;            //  by slot
    int worker_capacity;            //  size of workers
    int round_robin;                //  next slot to consider first
    mf_sched_counters_t counters;
};

mf_sched_t *
mf_sched_new (void)
{
    return calloc (1, sizeof (mf_sched_t));
}

static void
s_job_free (s_job_t *job)
{
    mf_tiles_destroy (&job->tiles);
    free (job->tile);
    free (job->requeue);
    free (job->second);
    free (job);
}

void
mf_sched_destroy (mf_sched_t **self_p)
{
    assert (self_p);
    mf_sched_t *self = *self_p;
    if (!self)
        return;
    while (self->jobs) {
        s_job_t *next = self->jobs->next;
        s_job_free (self->jobs);
        self->jobs = next;
    }
    for (int slot = 0; slot < self->worker_capacity; slot++)
        free (self->workers [slot].leases);
    free (self->workers);
    free (self);
    *self_p = NULL;
}

static s_job_t *
s_job (mf_sched_t *self, uint32_t id)
{
    for (s_job_t *job = self->jobs; job; job = job->next)
        if (job->id == id)
            return job;
    return NULL;
}

static s_worker_t *
s_worker (mf_sched_t *self, int slot)
{
    assert (slot >= 0 && slot < self->worker_capacity && self->workers [slot].used);
    return &self->workers [slot];
}

uint32_t
mf_sched_job_add (mf_sched_t *self, const mf_job_spec_t *spec, void *user)
{
    s_job_t *job = calloc (1, sizeof *job);
    if (!job)
        return 0;
    job->spec = *spec;
    job->user = user;
    mf_view_mapping (&spec->view, &job->map);
    job->tiles = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    if (job->tiles) {
        job->total = mf_tiles_count (job->tiles);
        job->tile = calloc (job->total, sizeof *job->tile);
        job->requeue = malloc (job->total * sizeof *job->requeue);
        job->second = malloc (job->total * sizeof *job->second);
    }
    if (!job->tiles || !job->tile || !job->requeue || !job->second) {
        s_job_free (job);
        return 0;
    }
    //  Which tiles are verified depends only on the tile id: a resumed or
    //  repeated render checks the same ones.
    for (uint32_t tile = 0; tile < job->total; tile++) {
        job->tile [tile].first_ident = -1;
        uint32_t hash = (tile + 1) * 2654435761u;
        job->tile [tile].verify = (hash >> 16) % 100 < spec->verify_percent;
    }
    if (++self->next_job == 0)
        self->next_job = 1;
    job->id = self->next_job;
    s_job_t **tail = &self->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    return job->id;
}

//  Drops a worker's lease at index (order is not kept).
static void
s_drop_lease (s_worker_t *worker, uint32_t index)
{
    worker->leases [index] = worker->leases [--worker->lease_count];
}

static void
s_requeue (s_job_t *job, uint32_t tile_id)
{
    s_tile_t *tile = &job->tile [tile_id];
    if (!tile->queued) {
        tile->queued = 1;
        job->requeue [job->requeued++] = tile_id;
    }
}

static void
s_list_second (s_job_t *job, uint32_t tile_id)
{
    s_tile_t *tile = &job->tile [tile_id];
    if (!tile->listed) {
        tile->listed = 1;
        job->second [job->seconds++] = tile_id;
    }
}

//  A tile lost a lease: with none left, it waits again (for a first
//  result, or for a second opinion).
static void
s_lease_lost (mf_sched_t *self, s_job_t *job, uint32_t tile_id)
{
    s_tile_t *tile = &job->tile [tile_id];
    assert (tile->leases > 0);
    tile->leases--;
    if (tile->leases > 0)
        return;
    if (tile->state == TILE_LEASED) {
        tile->state = TILE_PENDING;
        s_requeue (job, tile_id);
        self->counters.reissued++;
    }
    else
    if (tile->state == TILE_CHECKING) {
        s_list_second (job, tile_id);
        self->counters.reissued++;
    }
}

int
mf_sched_job_remove (mf_sched_t *self, uint32_t id)
{
    s_job_t **link = &self->jobs;
    while (*link && (*link)->id != id)
        link = &(*link)->next;
    if (!*link)
        return -1;
    s_job_t *job = *link;
    *link = job->next;
    for (int slot = 0; slot < self->worker_capacity; slot++) {
        s_worker_t *worker = &self->workers [slot];
        for (uint32_t index = 0; index < worker->lease_count; )
            if (worker->leases [index].job == id)
                s_drop_lease (worker, index);
            else
                index++;
    }
    s_job_free (job);
    return 0;
}

bool
mf_sched_job_exists (mf_sched_t *self, uint32_t job)
{
    return s_job (self, job) != NULL;
}

int
mf_sched_job_progress (mf_sched_t *self, uint32_t id, uint32_t *done, uint32_t *total)
{
    s_job_t *job = s_job (self, id);
    if (!job)
        return -1;
    *done = job->done;
    *total = job->total;
    return 0;
}

const mf_job_spec_t *
mf_sched_job_spec (mf_sched_t *self, uint32_t id)
{
    s_job_t *job = s_job (self, id);
    return job? &job->spec: NULL;
}

const mf_mapping_t *
mf_sched_job_mapping (mf_sched_t *self, uint32_t id)
{
    s_job_t *job = s_job (self, id);
    return job? &job->map: NULL;
}

const mf_tiles_t *
mf_sched_job_tiles (mf_sched_t *self, uint32_t id)
{
    s_job_t *job = s_job (self, id);
    return job? job->tiles: NULL;
}

void *
mf_sched_job_user (mf_sched_t *self, uint32_t id)
{
    s_job_t *job = s_job (self, id);
    return job? job->user: NULL;
}

int
mf_sched_tile_preset (mf_sched_t *self, uint32_t id, uint32_t tile)
{
    s_job_t *job = s_job (self, id);
    if (!job || tile >= job->total || job->tile [tile].state != TILE_PENDING)
        return -1;
    job->tile [tile].state = TILE_DONE;
    job->done++;
    return 0;
}

int
mf_sched_worker_add (mf_sched_t *self, uint32_t credit, int ident)
{
    int slot = 0;
    while (slot < self->worker_capacity && self->workers [slot].used)
        slot++;
    if (slot == self->worker_capacity) {
        int capacity = self->worker_capacity? self->worker_capacity * 2: 16;
        s_worker_t *workers = realloc (self->workers, (size_t) capacity * sizeof *workers);
        if (!workers)
            return -1;
        memset (workers + self->worker_capacity, 0,
                (size_t) (capacity - self->worker_capacity) * sizeof *workers);
        self->workers = workers;
        self->worker_capacity = capacity;
    }
    s_worker_t *worker = &self->workers [slot];
    worker->used = true;
    worker->ident = ident;
    worker->credit = credit;
    worker->lease_count = 0;
    return slot;
}

void
mf_sched_worker_credit (mf_sched_t *self, int slot, uint32_t credit)
{
    s_worker_t *worker = s_worker (self, slot);
    //  Credit is capped so that a hostile peer cannot inflate it forever.
    uint64_t total = (uint64_t) worker->credit + credit;
    worker->credit = total > MF_SCHED_MAX_CREDIT? MF_SCHED_MAX_CREDIT: (uint32_t) total;
}

static uint32_t
s_void_leases (mf_sched_t *self, s_worker_t *worker)
{
    uint32_t count = worker->lease_count;
    for (uint32_t index = 0; index < worker->lease_count; index++) {
        s_job_t *job = s_job (self, worker->leases [index].job);
        if (job)
            s_lease_lost (self, job, worker->leases [index].tile);
    }
    worker->lease_count = 0;
    return count;
}

uint32_t
mf_sched_worker_reset (mf_sched_t *self, int slot, uint32_t credit)
{
    s_worker_t *worker = s_worker (self, slot);
    uint32_t voided = s_void_leases (self, worker);
    worker->credit = credit;
    return voided;
}

uint32_t
mf_sched_worker_remove (mf_sched_t *self, int slot)
{
    s_worker_t *worker = s_worker (self, slot);
    uint32_t voided = s_void_leases (self, worker);
    worker->used = false;
    worker->credit = 0;
    return voided;
}

uint32_t
mf_sched_worker_leases (mf_sched_t *self, int slot)
{
    return s_worker (self, slot)->lease_count;
}

bool
mf_sched_worker_holds (mf_sched_t *self, int slot, uint32_t job)
{
    s_worker_t *worker = s_worker (self, slot);
    for (uint32_t index = 0; index < worker->lease_count; index++)
        if (worker->leases [index].job == job)
            return true;
    return false;
}

//  A tile of job waiting for a second opinion that ident may give; it is
//  taken off the list. 0 when found.
static int
s_second (s_job_t *job, int ident, uint32_t *tile_out)
{
    for (uint32_t index = 0; index < job->seconds; ) {
        uint32_t tile = job->second [index];
        s_tile_t *t = &job->tile [tile];
        if (t->state != TILE_CHECKING || t->leases > 0) {
            //  Stale entry: settled, reopened, or leased meanwhile.
            t->listed = 0;
            job->second [index] = job->second [--job->seconds];
            continue;
        }
        if (t->first_ident != ident) {
            t->listed = 0;
            job->second [index] = job->second [--job->seconds];
            *tile_out = tile;
            return 0;
        }
        index++;
    }
    return -1;
}

//  The next tile of any job for a worker, oldest job first: second
//  opinions, then tiles that came back, then the dispatch order. 0 when
//  found.
static int
s_pending (mf_sched_t *self, int ident, s_job_t **job_out, uint32_t *tile_out)
{
    for (s_job_t *job = self->jobs; job; job = job->next) {
        if (s_second (job, ident, tile_out) == 0) {
            *job_out = job;
            return 0;
        }
        while (job->requeued) {
            uint32_t tile = job->requeue [--job->requeued];
            job->tile [tile].queued = 0;
            if (job->tile [tile].state == TILE_PENDING) {
                *job_out = job;
                *tile_out = tile;
                return 0;
            }
        }
        while (job->cursor < job->total) {
            uint32_t tile = mf_tiles_order (job->tiles, job->cursor++);
            if (job->tile [tile].state == TILE_PENDING) {
                *job_out = job;
                *tile_out = tile;
                return 0;
            }
        }
    }
    return -1;
}

//  The oldest lease of another worker on a tile out only once; 0 if found.
static int
s_backup (mf_sched_t *self, int slot, s_job_t **job_out, uint32_t *tile_out)
{
    const s_lease_t *best = NULL;
    for (int other = 0; other < self->worker_capacity; other++) {
        s_worker_t *worker = &self->workers [other];
        if (other == slot || !worker->used)
            continue;
        for (uint32_t index = 0; index < worker->lease_count; index++) {
            const s_lease_t *lease = &worker->leases [index];
            if (best && lease->issued >= best->issued)
                continue;
            s_job_t *job = s_job (self, lease->job);
            if (job && job->tile [lease->tile].leases == 1
            &&  job->tile [lease->tile].state == TILE_LEASED)
                best = lease;
        }
    }
    if (!best)
        return -1;
    //  Never two leases of one tile with the same worker.
    s_worker_t *mine = &self->workers [slot];
    for (uint32_t index = 0; index < mine->lease_count; index++)
        if (mine->leases [index].job == best->job && mine->leases [index].tile == best->tile)
            return -1;
    *job_out = s_job (self, best->job);
    *tile_out = best->tile;
    return 0;
}

static int
s_add_lease (s_worker_t *worker, const s_lease_t *lease)
{
    if (worker->lease_count == worker->lease_capacity) {
        uint32_t capacity = worker->lease_capacity? worker->lease_capacity * 2: 8;
        s_lease_t *leases = realloc (worker->leases, capacity * sizeof *leases);
        if (!leases)
            return -1;
        worker->leases = leases;
        worker->lease_capacity = capacity;
    }
    worker->leases [worker->lease_count++] = *lease;
    return 0;
}

int
mf_sched_next (mf_sched_t *self, int64_t now, mf_assign_t *out)
{
    if (self->worker_capacity == 0)
        return -1;
    for (int step = 0; step < self->worker_capacity; step++) {
        int slot = (self->round_robin + step) % self->worker_capacity;
        s_worker_t *worker = &self->workers [slot];
        if (!worker->used || worker->credit == 0)
            continue;
        s_job_t *job;
        uint32_t tile;
        bool backup = false;
        if (s_pending (self, worker->ident, &job, &tile)) {
            if (s_backup (self, slot, &job, &tile))
                continue;
            backup = true;
        }
        if (++self->next_lease == 0)
            self->next_lease = 1;
        s_lease_t lease = { self->next_lease, job->id, tile, now };
        if (s_add_lease (worker, &lease)) {
            //  Out of memory: put the tile back and give up for now.
            if (job->tile [tile].state == TILE_CHECKING)
                s_list_second (job, tile);
            else
            if (!backup)
                s_requeue (job, tile);
            return -1;
        }
        if (job->tile [tile].state == TILE_PENDING)
            job->tile [tile].state = TILE_LEASED;
        job->tile [tile].leases++;
        worker->credit--;
        self->counters.assigned++;
        self->counters.backups += backup;
        self->round_robin = (slot + 1) % self->worker_capacity;
        out->worker = slot;
        out->job = job->id;
        out->tile = tile;
        out->lease = lease.lease;
        out->backup = backup;
        out->task.map = job->map;
        out->task.maxiter = job->spec.maxiter;
        out->task.rect = mf_tiles_rect (job->tiles, tile);
        return 0;
    }
    return -1;
}

//  Index of a worker's lease, or -1.
static int
s_find_lease (const s_worker_t *worker, uint32_t lease)
{
    for (uint32_t index = 0; index < worker->lease_count; index++)
        if (worker->leases [index].lease == lease)
            return (int) index;
    return -1;
}

int
mf_sched_revoke (mf_sched_t *self, int slot, uint32_t lease)
{
    s_worker_t *worker = s_worker (self, slot);
    int index = s_find_lease (worker, lease);
    if (index < 0)
        return -1;
    s_lease_t gone = worker->leases [index];
    s_drop_lease (worker, (uint32_t) index);
    s_job_t *job = s_job (self, gone.job);
    if (job)
        s_lease_lost (self, job, gone.tile);
    return 0;
}

mf_verdict_t
mf_sched_check (mf_sched_t *self, int slot, uint32_t job_id, uint32_t tile,
                uint32_t lease, const mf_rect_t *rect, uint32_t *maxiter)
{
    s_worker_t *worker = s_worker (self, slot);
    s_job_t *job = s_job (self, job_id);
    int index = s_find_lease (worker, lease);
    if (index < 0) {
        //  Lease ids only grow: one beyond the last handed out was never ours.
        if (lease == 0 || lease > self->next_lease || !job_id || job_id > self->next_job)
            return MF_VERDICT_FOREIGN;
        //  Someone else's live lease was never this worker's either.
        for (int other = 0; other < self->worker_capacity; other++)
            if (other != slot && self->workers [other].used
            &&  s_find_lease (&self->workers [other], lease) >= 0)
                return MF_VERDICT_FOREIGN;
        if (job && tile < job->total && job->tile [tile].state == TILE_DONE)
            return MF_VERDICT_DUPLICATE;
        return MF_VERDICT_LATE;
    }
    const s_lease_t *held = &worker->leases [index];
    if (held->job != job_id || held->tile != tile)
        return MF_VERDICT_FOREIGN;
    assert (job);
    mf_rect_t want = mf_tiles_rect (job->tiles, tile);
    if (rect->x != want.x || rect->y != want.y || rect->w != want.w || rect->h != want.h)
        return MF_VERDICT_MISMATCH;
    if (job->tile [tile].state == TILE_DONE)
        return MF_VERDICT_DUPLICATE;
    if (job->tile [tile].state == TILE_CHECKING && job->tile [tile].first_ident == worker->ident)
        return MF_VERDICT_DUPLICATE;
    *maxiter = job->spec.maxiter;
    return MF_VERDICT_ACCEPT;
}

//  Ends every lease on a tile (a backup elsewhere ends too; its result
//  will be a duplicate).
static void
s_end_leases (mf_sched_t *self, s_job_t *job, uint32_t tile_id)
{
    s_tile_t *tile = &job->tile [tile_id];
    for (int other = 0; tile->leases && other < self->worker_capacity; other++) {
        s_worker_t *peer = &self->workers [other];
        for (uint32_t k = 0; k < peer->lease_count; )
            if (peer->leases [k].job == job->id && peer->leases [k].tile == tile_id) {
                s_drop_lease (peer, k);
                tile->leases--;
            }
            else
                k++;
    }
}

mf_accepted_t
mf_sched_accept (mf_sched_t *self, int slot, uint32_t job_id, uint32_t tile_id,
                 uint32_t lease)
{
    s_job_t *job = s_job (self, job_id);
    assert (job && tile_id < job->total);
    s_tile_t *tile = &job->tile [tile_id];
    assert (tile->state == TILE_LEASED || tile->state == TILE_CHECKING);
    s_worker_t *worker = s_worker (self, slot);
    int index = s_find_lease (worker, lease);
    assert (index >= 0);
    s_drop_lease (worker, (uint32_t) index);
    tile->leases--;
    if (tile->state == TILE_CHECKING)
        return MF_ACCEPTED_SECOND;
    if (tile->verify) {
        //  First opinion: a backup lease elsewhere may give the second.
        tile->state = TILE_CHECKING;
        tile->first_ident = worker->ident;
        if (tile->leases == 0)
            s_list_second (job, tile_id);
        return MF_ACCEPTED_FIRST;
    }
    s_end_leases (self, job, tile_id);
    tile->state = TILE_DONE;
    job->done++;
    self->counters.accepted++;
    return MF_ACCEPTED_DONE;
}

void
mf_sched_settle (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    assert (job && tile_id < job->total);
    s_tile_t *tile = &job->tile [tile_id];
    assert (tile->state == TILE_CHECKING);
    s_end_leases (self, job, tile_id);
    tile->state = TILE_DONE;
    tile->first_ident = -1;
    job->done++;
    self->counters.accepted++;
    self->counters.verified++;
}

int
mf_sched_reopen (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    if (!job || tile_id >= job->total)
        return -1;
    s_tile_t *tile = &job->tile [tile_id];
    if (tile->state != TILE_DONE && tile->state != TILE_CHECKING)
        return -1;
    if (tile->state == TILE_DONE)
        job->done--;
    tile->first_ident = -1;
    //  A second-opinion lease still out now counts as a first one.
    if (tile->leases > 0)
        tile->state = TILE_LEASED;
    else {
        tile->state = TILE_PENDING;
        s_requeue (job, tile_id);
    }
    self->counters.reissued++;
    return 0;
}

int
mf_sched_first_ident (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    if (!job || tile_id >= job->total || job->tile [tile_id].state != TILE_CHECKING)
        return -1;
    return job->tile [tile_id].first_ident;
}

int
mf_sched_unverifiable (mf_sched_t *self, uint32_t *job_out, uint32_t *tile_out)
{
    for (s_job_t *job = self->jobs; job; job = job->next)
        for (uint32_t index = 0; index < job->seconds; index++) {
            uint32_t tile = job->second [index];
            const s_tile_t *t = &job->tile [tile];
            if (t->state != TILE_CHECKING || t->leases > 0)
                continue;
            bool someone = false;
            for (int slot = 0; slot < self->worker_capacity && !someone; slot++)
                someone = self->workers [slot].used
                       && self->workers [slot].ident != t->first_ident;
            if (!someone) {
                *job_out = job->id;
                *tile_out = tile;
                return 0;
            }
        }
    return -1;
}

void
mf_sched_counters (mf_sched_t *self, mf_sched_counters_t *out)
{
    *out = self->counters;
}
