/*  mf_sched: see sched.h.

    Each job keeps a state per tile, a cursor over its center-first order
    and a stack of tiles that came back (handed out again before the
    cursor moves on). Each worker keeps its leases in a small array:
    credit bounds its length, so linear scans stay short.
*/
#include "sched.h"
#include "mf_vec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    TILE_PENDING = 0,               //  waiting to be handed out
    TILE_LEASED,                    //  out with one or more workers
    TILE_CHECKING,                  //  first of two opinions in, waiting for the second
    TILE_ARBITRATING,               //  opinions differ (or none can come): the caller computes
    TILE_DONE                       //  result accepted
} s_tile_state_t;

typedef struct {
    uint8_t state;                  //  s_tile_state_t
    uint8_t leases;                 //  live leases on this tile
    uint8_t queued;                 //  1 while on the job's requeue stack
    uint8_t listed;                 //  1 while on the job's second-opinion list
    int first_ident;                //  CHECKING, ARBITRATING: who gave the first opinion
} s_tile_t;

typedef struct _s_job_t {
    uint32_t id;                    //  never 0
    mf_job_spec_t spec;             //  what the caller asked for
    mf_mapping_t map;               //  derived pixel mapping
    mf_tiles_t *tiles;              //  the grid and its order
    s_tile_t *tile;                 //  state per tile id
    uint32_t cursor;                //  next position in the dispatch order
    uint32_t horizon;               //  positions from here on wait (a poster's window)
    uint32_t *requeue;              //  tiles handed out again first (a stack)
    uint32_t requeued;              //  entries on that stack
    uint32_t *second;               //  CHECKING tiles waiting for a second lease
    uint32_t seconds;               //  entries in second
    uint32_t done;                  //  tiles accepted
    uint32_t total;                 //  tiles in all
    mf_vec_t *excluded;             //  idents kept from its tiles (int), or NULL: none
    void *user;                     //  caller's pointer
    struct _s_job_t *next;          //  next younger job
} s_job_t;

typedef struct {
    uint32_t lease;                 //  lease id
    uint32_t job;                   //  job id
    uint32_t tile;                  //  tile id
    int64_t issued;                 //  msecs, when it was handed out, caller's clock
    uint64_t work;                  //  most iterations the tile can take: pixels x maxiter
} s_lease_t;

typedef struct {
    bool used;                      //  slot in use
    int ident;                      //  who it is, for second opinions
    uint32_t credit;                //  tiles the worker can still take
    mf_vec_t *leases;               //  its live leases, s_lease_t (kept when the slot
                                    //  is reused)
    uint64_t results;               //  results accepted from it
    int64_t last_result;            //  msecs, when the last one came (INT64_MIN: never)
    double busy_ms;                 //  decayed sum of hand-out-to-result times, msecs
    double iterations;              //  decayed sum of the iterations of those results
} s_worker_t;

struct _mf_sched_t {
    s_job_t *jobs;                  //  oldest first
    uint32_t next_job;              //  last job id given
    uint32_t next_lease;            //  last lease id given
    mf_vec_t *workers;              //  s_worker_t by slot; grows by doubling
    int round_robin;                //  next slot to consider first
    mf_sched_deadlines_t deadlines; //  how long leases last
    uint64_t key [2];               //  the verification secret, as two words
    int64_t last_result;            //  msecs, the farm's last accepted result (INT64_MIN: none)
    mf_sched_counters_t counters;
};

//  A measurement's weight after each newer one: recent results count most,
//  so the estimate follows a farm whose speed changes (another view).
#define RATE_DECAY 0.9

const mf_sched_deadlines_t MF_SCHED_DEADLINES_DEFAULT = {
    .floor_ms = 3000, .factor = 8, .unmeasured_ns = 50.0
};

mf_sched_t *
mf_sched_new (void)
{
    mf_sched_t *self = calloc (1, sizeof (mf_sched_t));
    if (self) {
        self->deadlines = MF_SCHED_DEADLINES_DEFAULT;
        self->last_result = INT64_MIN;
        self->workers = mf_vec_new (sizeof (s_worker_t));
        if (!self->workers)
            mf_sched_destroy (&self);
    }
    return self;
}

//  Slots in the worker table, used or not.
static int
s_slots (const mf_sched_t *self)
{
    return (int) mf_vec_count (self->workers);
}

//  The worker table's entry at slot (below s_slots), used or not.
static s_worker_t *
s_slot (const mf_sched_t *self, int slot)
{
    return mf_vec_at (self->workers, (size_t) slot);
}

//  A worker's live leases (none in a slot never used), and the one at
//  index (below that count).
static uint32_t
s_leases (const s_worker_t *worker)
{
    return worker->leases? (uint32_t) mf_vec_count (worker->leases): 0;
}

static s_lease_t *
s_lease (const s_worker_t *worker, uint32_t index)
{
    return mf_vec_at (worker->leases, index);
}

void
mf_sched_set_deadlines (mf_sched_t *self, const mf_sched_deadlines_t *deadlines)
{
    assert (deadlines->factor > 0 && deadlines->unmeasured_ns > 0 && deadlines->floor_ms >= 0);
    self->deadlines = *deadlines;
}

static uint64_t
s_le64 (const uint8_t *bytes)
{
    uint64_t value = 0;
    for (int index = 7; index >= 0; index--)
        value = value << 8 | bytes [index];
    return value;
}

void
mf_sched_set_secret (mf_sched_t *self, const uint8_t *secret)
{
    self->key [0] = s_le64 (secret);
    self->key [1] = s_le64 (secret + 8);
}

static void
s_job_free (s_job_t *job)
{
    mf_tiles_destroy (&job->tiles);
    free (job->tile);
    free (job->requeue);
    free (job->second);
    mf_vec_destroy (&job->excluded);
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
    for (int slot = 0; self->workers && slot < s_slots (self); slot++)
        mf_vec_destroy (&s_slot (self, slot)->leases);
    mf_vec_destroy (&self->workers);
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

//  Whether ident is kept from job's tiles.
static bool
s_excluded (const s_job_t *job, int ident)
{
    const int *kept;
    for (size_t index = 0; job->excluded && (kept = mf_vec_at (job->excluded, index)); index++)
        if (*kept == ident)
            return true;
    return false;
}

static s_worker_t *
s_worker (mf_sched_t *self, int slot)
{
    assert (slot >= 0 && slot < s_slots (self) && s_slot (self, slot)->used);
    return s_slot (self, slot);
}

uint32_t
mf_sched_job_add_grid (mf_sched_t *self, const mf_job_spec_t *spec, mf_tiles_t **tiles_p,
                       void *user)
{
    assert (tiles_p);
    mf_tiles_t *tiles = *tiles_p;
    *tiles_p = NULL;
    s_job_t *job = calloc (1, sizeof *job);
    if (!job) {
        mf_tiles_destroy (&tiles);
        return 0;
    }
    job->spec = *spec;
    job->user = user;
    mf_view_mapping (&spec->view, &job->map);
    job->tiles = tiles;
    if (job->tiles) {
        job->total = mf_tiles_count (job->tiles);
        job->horizon = job->total;
        //  A grid of another size would send rectangles outside the image.
        assert (job->total == mf_tiles_count_for (spec->view.pixel_w, spec->view.pixel_h,
                                                  spec->tile_edge));
        job->tile = calloc (job->total, sizeof *job->tile);
        job->requeue = malloc (job->total * sizeof *job->requeue);
        job->second = malloc (job->total * sizeof *job->second);
    }
    if (!job->tiles || !job->tile || !job->requeue || !job->second) {
        s_job_free (job);
        return 0;
    }
    //  Which tiles are verified is decided as their first results arrive
    //  (mf_sched_accept), not here: nothing about a tile tells in advance.
    for (uint32_t tile = 0; tile < job->total; tile++)
        job->tile [tile].first_ident = -1;
    if (++self->next_job == 0)
        self->next_job = 1;
    job->id = self->next_job;
    s_job_t **tail = &self->jobs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    return job->id;
}

uint32_t
mf_sched_job_add (mf_sched_t *self, const mf_job_spec_t *spec, void *user)
{
    mf_tiles_t *tiles = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    return mf_sched_job_add_grid (self, spec, &tiles, user);
}

//  Drops a worker's lease at index (order is not kept).
static void
s_drop_lease (s_worker_t *worker, uint32_t index)
{
    mf_vec_swap_remove (worker->leases, index);
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
    for (int slot = 0; slot < s_slots (self); slot++) {
        s_worker_t *worker = s_slot (self, slot);
        for (uint32_t index = 0; index < s_leases (worker); )
            if (s_lease (worker, index)->job == id)
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
mf_sched_job_exclude (mf_sched_t *self, uint32_t id, int ident)
{
    s_job_t *job = s_job (self, id);
    if (!job)
        return -1;
    if (s_excluded (job, ident))
        return 0;
    if (!job->excluded && !(job->excluded = mf_vec_new (sizeof (int))))
        return -1;
    return mf_vec_push (job->excluded, &ident)? 0: -1;
}

int
mf_sched_job_horizon (mf_sched_t *self, uint32_t id, uint32_t horizon)
{
    s_job_t *job = s_job (self, id);
    if (!job)
        return -1;
    job->horizon = horizon < job->total? horizon: job->total;
    return 0;
}

bool
mf_sched_job_excluded (mf_sched_t *self, uint32_t id, int ident)
{
    s_job_t *job = s_job (self, id);
    return job && s_excluded (job, ident);
}

bool
mf_sched_job_refused (mf_sched_t *self, uint32_t id)
{
    s_job_t *job = s_job (self, id);
    if (!job || !job->excluded)
        return false;
    bool someone = false;
    for (int slot = 0; slot < s_slots (self); slot++) {
        const s_worker_t *worker = s_slot (self, slot);
        if (!worker->used)
            continue;
        if (!s_excluded (job, worker->ident))
            return false;
        someone = true;
    }
    return someone;
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
    while (slot < s_slots (self) && s_slot (self, slot)->used)
        slot++;
    //  Doubled, not one more: the round robin's modulus is the table's
    //  size, which thus changes seldom.
    if (slot == s_slots (self)
    &&  mf_vec_grow_to (self->workers, slot? 2 * (size_t) slot: 16))
        return -1;
    s_worker_t *worker = s_slot (self, slot);
    mf_vec_t *leases = worker->leases? worker->leases: mf_vec_new (sizeof (s_lease_t));
    if (!leases)
        return -1;
    mf_vec_clear (leases);
    *worker = (s_worker_t) {
        .used = true, .ident = ident, .leases = leases, .last_result = INT64_MIN
    };
    mf_sched_worker_credit (self, slot, credit);
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
    uint32_t count = s_leases (worker);
    for (uint32_t index = 0; index < s_leases (worker); index++) {
        s_job_t *job = s_job (self, s_lease (worker, index)->job);
        if (job)
            s_lease_lost (self, job, s_lease (worker, index)->tile);
    }
    mf_vec_clear (worker->leases);
    return count;
}

uint32_t
mf_sched_worker_reset (mf_sched_t *self, int slot, uint32_t credit)
{
    s_worker_t *worker = s_worker (self, slot);
    uint32_t voided = s_void_leases (self, worker);
    worker->credit = 0;
    mf_sched_worker_credit (self, slot, credit);
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
    return s_leases (s_worker (self, slot));
}

uint64_t
mf_sched_worker_results (mf_sched_t *self, int slot)
{
    return s_worker (self, slot)->results;
}

bool
mf_sched_worker_holds (mf_sched_t *self, int slot, uint32_t job)
{
    s_worker_t *worker = s_worker (self, slot);
    for (uint32_t index = 0; index < s_leases (worker); index++)
        if (s_lease (worker, index)->job == job)
            return true;
    return false;
}

//  Whether a worker holds a lease on a tile.
static bool
s_holds_tile (const s_worker_t *worker, uint32_t job, uint32_t tile)
{
    for (uint32_t index = 0; index < s_leases (worker); index++)
        if (s_lease (worker, index)->job == job && s_lease (worker, index)->tile == tile)
            return true;
    return false;
}

//  The farm's time per iteration, msecs: that of its slowest measured
//  worker (a deadline must suit every machine). 0 when nothing is measured.
static double
s_rate (mf_sched_t *self)
{
    double slowest = 0;
    for (int slot = 0; slot < s_slots (self); slot++) {
        const s_worker_t *worker = s_slot (self, slot);
        if (worker->used && worker->iterations > 0 && worker->busy_ms / worker->iterations > slowest)
            slowest = worker->busy_ms / worker->iterations;
    }
    return slowest;
}

//  When a lease falls due, given the farm's rate (msecs per iteration, 0:
//  not measured yet).
static int64_t
s_deadline (mf_sched_t *self, const s_lease_t *lease, double rate)
{
    const mf_sched_deadlines_t *d = &self->deadlines;
    double allowed = rate > 0? (double) d->factor * rate * (double) lease->work
                             : d->unmeasured_ns * 1e-6 * (double) lease->work;
    //  Past a day a lease is as good as never due (and the sum stays in range).
    if (allowed > 86400e3)
        allowed = 86400e3;
    return lease->issued + d->floor_ms + (int64_t) allowed;
}

int64_t
mf_sched_lease_deadline (mf_sched_t *self, int slot, uint32_t lease)
{
    s_worker_t *worker = s_worker (self, slot);
    for (uint32_t index = 0; index < s_leases (worker); index++)
        if (s_lease (worker, index)->lease == lease)
            return s_deadline (self, s_lease (worker, index), s_rate (self));
    return -1;
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
            //  Stale entry: settled, reopened, arbitrated or leased meanwhile.
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
        if (s_excluded (job, ident))
            continue;
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
        while (job->cursor < job->horizon) {
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

//  A backup lease for worker slot: the oldest overdue lease of another
//  worker, on a tile with room for one more lease, or else, for a worker
//  that has delivered, the oldest lease on a tile out with only one
//  worker. Never a tile this worker holds, nor a second opinion it gave
//  the first of. 0 if found; *overdue says which kind.
static int
s_backup (mf_sched_t *self, int slot, int64_t now, s_job_t **job_out, uint32_t *tile_out,
          bool *overdue)
{
    //  Peers that never delivered would otherwise take each other's tiles
    //  as backups before they are due, and leave none for anyone who works.
    bool proven = s_slot (self, slot)->results > 0;
    s_worker_t *mine = s_slot (self, slot);
    double rate = s_rate (self);
    const s_lease_t *best = NULL;
    s_job_t *best_job = NULL;
    bool best_overdue = false;
    for (int other = 0; other < s_slots (self); other++) {
        s_worker_t *worker = s_slot (self, other);
        if (other == slot || !worker->used)
            continue;
        for (uint32_t index = 0; index < s_leases (worker); index++) {
            const s_lease_t *lease = s_lease (worker, index);
            bool late = now > s_deadline (self, lease, rate);
            if (best && (best_overdue > late || (best_overdue == late
                                                 && lease->issued >= best->issued)))
                continue;
            s_job_t *job = s_job (self, lease->job);
            if (!job || s_excluded (job, mine->ident))
                continue;
            const s_tile_t *tile = &job->tile [lease->tile];
            bool wanted = late? tile->leases < MF_SCHED_TILE_LEASES
                                && (tile->state == TILE_LEASED
                                    || (tile->state == TILE_CHECKING
                                        && tile->first_ident != mine->ident))
                              : proven && tile->leases == 1 && tile->state == TILE_LEASED;
            if (wanted && !s_holds_tile (mine, lease->job, lease->tile)) {
                best = lease;
                best_job = job;
                best_overdue = late;
            }
        }
    }
    if (!best)
        return -1;
    *job_out = best_job;
    *tile_out = best->tile;
    *overdue = best_overdue;
    return 0;
}

static int
s_add_lease (s_worker_t *worker, const s_lease_t *lease)
{
    return mf_vec_push (worker->leases, lease)? 0: -1;
}

int
mf_sched_next (mf_sched_t *self, int64_t now, mf_assign_t *out)
{
    if (s_slots (self) == 0)
        return -1;
    for (int step = 0; step < s_slots (self); step++) {
        int slot = (self->round_robin + step) % s_slots (self);
        s_worker_t *worker = s_slot (self, slot);
        if (!worker->used || worker->credit == 0)
            continue;
        s_job_t *job;
        uint32_t tile;
        bool backup = false, overdue = false;
        if (s_pending (self, worker->ident, &job, &tile)) {
            if (s_backup (self, slot, now, &job, &tile, &overdue))
                continue;
            backup = true;
        }
        mf_rect_t rect = mf_tiles_rect (job->tiles, tile);
        if (++self->next_lease == 0)
            self->next_lease = 1;
        s_lease_t lease = {
            self->next_lease, job->id, tile, now,
            (uint64_t) rect.w * rect.h * job->spec.maxiter
        };
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
        self->counters.overdue += overdue;
        self->round_robin = (slot + 1) % s_slots (self);
        out->worker = slot;
        out->job = job->id;
        out->tile = tile;
        out->lease = lease.lease;
        out->backup = backup;
        out->task.map = job->map;
        out->task.maxiter = job->spec.maxiter;
        out->task.rect = rect;
        return 0;
    }
    return -1;
}

size_t
mf_sched_expire (mf_sched_t *self, int64_t now, int *slots, uint32_t *taken, size_t max)
{
    double rate = s_rate (self);
    size_t count = 0;
    for (int slot = 0; slot < s_slots (self) && count < max; slot++) {
        s_worker_t *worker = s_slot (self, slot);
        if (!worker->used)
            continue;
        bool expired = false;
        for (uint32_t index = 0; index < s_leases (worker) && !expired; index++) {
            const s_lease_t *lease = s_lease (worker, index);
            //  Overdue, nothing from this worker since, and something from
            //  another one: the farm moves and this worker does not. A
            //  farm all slower than measured keeps its leases (and gets
            //  backups for them all the same).
            expired = now > s_deadline (self, lease, rate)
                   && worker->last_result < lease->issued
                   && self->last_result > lease->issued;
        }
        if (!expired)
            continue;
        taken [count] = s_void_leases (self, worker);
        self->counters.expired += taken [count];
        worker->credit = 0;
        slots [count++] = slot;
    }
    return count;
}

//  Index of a worker's lease, or -1.
static int
s_find_lease (const s_worker_t *worker, uint32_t lease)
{
    //  Every result looks its lease up: one pass over the contiguous
    //  array (mf_vec's elements are), not a call per element.
    uint32_t count = s_leases (worker);
    const s_lease_t *leases = count? s_lease (worker, 0): NULL;
    for (uint32_t index = 0; index < count; index++)
        if (leases [index].lease == lease)
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
    s_lease_t gone = *s_lease (worker, index);
    s_drop_lease (worker, (uint32_t) index);
    s_job_t *job = s_job (self, gone.job);
    if (job)
        s_lease_lost (self, job, gone.tile);
    return 0;
}

mf_verdict_t
mf_sched_decline (mf_sched_t *self, int slot, uint32_t job_id, uint32_t tile, uint32_t lease)
{
    //  Judged as a result of the tile's own rectangle, then given up.
    s_job_t *job = s_job (self, job_id);
    mf_rect_t rect = job && tile < job->total? mf_tiles_rect (job->tiles, tile)
                                             : (mf_rect_t) { 0, 0, 0, 0 };
    uint32_t maxiter;
    mf_verdict_t verdict = mf_sched_check (self, slot, job_id, tile, lease, &rect, &maxiter);
    if (verdict == MF_VERDICT_ACCEPT)
        mf_sched_revoke (self, slot, lease);
    return verdict;
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
        for (int other = 0; other < s_slots (self); other++)
            if (other != slot && s_slot (self, other)->used
            &&  s_find_lease (s_slot (self, other), lease) >= 0)
                return MF_VERDICT_FOREIGN;
        if (job && tile < job->total && job->tile [tile].state == TILE_DONE)
            return MF_VERDICT_DUPLICATE;
        return MF_VERDICT_LATE;
    }
    const s_lease_t *held = s_lease (worker, index);
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
    for (int other = 0; tile->leases && other < s_slots (self); other++) {
        s_worker_t *peer = s_slot (self, other);
        for (uint32_t k = 0; k < s_leases (peer); )
            if (s_lease (peer, k)->job == job->id && s_lease (peer, k)->tile == tile_id) {
                s_drop_lease (peer, k);
                tile->leases--;
            }
            else
                k++;
    }
}

static uint64_t
s_rotl (uint64_t value, int bits)
{
    return value << bits | value >> (64 - bits);
}

static void
s_sip_round (uint64_t *v)
{
    v [0] += v [1]; v [1] = s_rotl (v [1], 13); v [1] ^= v [0]; v [0] = s_rotl (v [0], 32);
    v [2] += v [3]; v [3] = s_rotl (v [3], 16); v [3] ^= v [2];
    v [0] += v [3]; v [3] = s_rotl (v [3], 21); v [3] ^= v [0];
    v [2] += v [1]; v [1] = s_rotl (v [1], 17); v [1] ^= v [2]; v [2] = s_rotl (v [2], 32);
}

//  SipHash-2-4 (Aumasson and Bernstein) of the 12 bytes job, tile, lease
//  (little-endian) under the secret: without the secret its value cannot
//  be told from random, so no worker can predict the draw.
static uint64_t
s_keyed_hash (const uint64_t *key, uint32_t job, uint32_t tile, uint32_t lease)
{
    uint64_t v [4] = {
        key [0] ^ 0x736f6d6570736575ULL, key [1] ^ 0x646f72616e646f6dULL,
        key [0] ^ 0x6c7967656e657261ULL, key [1] ^ 0x7465646279746573ULL
    };
    uint64_t words [2] = { job | (uint64_t) tile << 32, lease | (uint64_t) 12 << 56 };
    for (int index = 0; index < 2; index++) {
        v [3] ^= words [index];
        s_sip_round (v);
        s_sip_round (v);
        v [0] ^= words [index];
    }
    v [2] ^= 0xff;
    for (int round = 0; round < 4; round++)
        s_sip_round (v);
    return v [0] ^ v [1] ^ v [2] ^ v [3];
}

bool
mf_sched_draw (mf_sched_t *self, uint32_t job, uint32_t tile, uint32_t lease, uint32_t percent)
{
    //  The top 32 bits scaled to [0, 100): no modulo bias worth the name.
    uint64_t hash = s_keyed_hash (self->key, job, tile, lease);
    return ((hash >> 32) * 100 >> 32) < percent;
}

mf_accepted_t
mf_sched_accept (mf_sched_t *self, int slot, uint32_t job_id, uint32_t tile_id,
                 uint32_t lease, int64_t now, uint64_t iterations)
{
    s_job_t *job = s_job (self, job_id);
    assert (job && tile_id < job->total);
    s_tile_t *tile = &job->tile [tile_id];
    assert (tile->state == TILE_LEASED || tile->state == TILE_CHECKING);
    s_worker_t *worker = s_worker (self, slot);
    int index = s_find_lease (worker, lease);
    assert (index >= 0);
    const s_lease_t *held = s_lease (worker, index);
    //  The worker's speed: every pixel takes one iteration at least and
    //  none more than maxiter, whatever it reports.
    uint64_t pixels = held->work / job->spec.maxiter;
    uint64_t counted = iterations < pixels? pixels: iterations > held->work? held->work: iterations;
    worker->busy_ms = worker->busy_ms * RATE_DECAY + (double) (now > held->issued? now - held->issued: 0);
    worker->iterations = worker->iterations * RATE_DECAY + (double) counted;
    worker->results++;
    worker->last_result = now;
    self->last_result = now;
    s_drop_lease (worker, (uint32_t) index);
    tile->leases--;
    if (tile->state == TILE_CHECKING)
        return MF_ACCEPTED_SECOND;
    if (mf_sched_draw (self, job_id, tile_id, lease, job->spec.verify_percent)) {
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

int
mf_sched_arbitrate (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    if (!job || tile_id >= job->total || job->tile [tile_id].state != TILE_CHECKING)
        return -1;
    //  A second-opinion lease still out is of no use now: its result will
    //  be late. The tile leaves the second-opinion list (lazily: s_second
    //  drops entries that are no longer CHECKING).
    s_end_leases (self, job, tile_id);
    job->tile [tile_id].state = TILE_ARBITRATING;
    return 0;
}

bool
mf_sched_arbitrating (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    return job && tile_id < job->total && job->tile [tile_id].state == TILE_ARBITRATING;
}

void
mf_sched_settle (mf_sched_t *self, uint32_t job_id, uint32_t tile_id)
{
    s_job_t *job = s_job (self, job_id);
    assert (job && tile_id < job->total);
    s_tile_t *tile = &job->tile [tile_id];
    assert (tile->state == TILE_CHECKING || tile->state == TILE_ARBITRATING);
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
    if (tile->state != TILE_DONE && tile->state != TILE_CHECKING
    &&  tile->state != TILE_ARBITRATING)
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
    if (!job || tile_id >= job->total || (job->tile [tile_id].state != TILE_CHECKING
                                          && job->tile [tile_id].state != TILE_ARBITRATING))
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
            for (int slot = 0; slot < s_slots (self) && !someone; slot++)
                someone = s_slot (self, slot)->used
                       && s_slot (self, slot)->ident != t->first_ident;
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
