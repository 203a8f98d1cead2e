/*  mf_fetcher: see fetcher.h. The requests of the orbit being fetched
    partition its bytes in order: [0, next) has been asked for, of which
    the outstanding requests are unanswered; so once every byte up to the
    total was asked for and every request answered, the buffer is whole.
*/
#include "fetcher.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t offset;                    //  first byte asked for
    uint32_t length;                    //  bytes asked for
} s_request_t;

typedef struct {
    mf_orbit_id_t id;                   //  the orbit
    uint64_t total;                     //  its shipped size, as its lease says
} s_wanted_t;

struct _mf_fetcher_t {
    uint32_t chunk_bytes;               //  bytes a request asks for, at most
    uint32_t window;                    //  requests unanswered, at most
    int timeout_ms;                     //  msecs of silence before asking again
    int tries_max;                      //  rounds of asking before giving up
    s_wanted_t queue [MF_FETCHER_QUEUE];    //  orbits waiting, oldest first
    size_t queue_count;
    //  The orbit being fetched, when active:
    bool active;
    s_wanted_t current;
    uint8_t *buffer;                    //  current.total bytes, or NULL: no memory
    uint64_t next;                      //  first byte never asked for
    uint64_t received;                  //  bytes stored
    s_request_t outstanding [MF_FETCHER_WINDOW];
    size_t outstanding_count;
    int64_t last_heard;                 //  msecs, last answer (or the start)
    int tries;                          //  silences in a row
    bool complete;                      //  every byte stored
};

mf_fetcher_t *
mf_fetcher_new (uint32_t chunk_bytes, uint32_t window, int timeout_ms, int tries)
{
    assert (chunk_bytes >= 1 && chunk_bytes <= MF_PROTO_CHUNK_MAX);
    assert (window >= 1 && window <= MF_FETCHER_WINDOW && tries >= 1);
    mf_fetcher_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->chunk_bytes = chunk_bytes;
    self->window = window;
    self->timeout_ms = timeout_ms;
    self->tries_max = tries;
    return self;
}

static void
s_end_current (mf_fetcher_t *self)
{
    free (self->buffer);
    self->buffer = NULL;
    self->active = false;
    self->complete = false;
    self->outstanding_count = 0;
}

void
mf_fetcher_destroy (mf_fetcher_t **self_p)
{
    assert (self_p);
    mf_fetcher_t *self = *self_p;
    if (!self)
        return;
    s_end_current (self);
    free (self);
    *self_p = NULL;
}

void
mf_fetcher_set_timeout (mf_fetcher_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

bool
mf_fetcher_active (const mf_fetcher_t *self)
{
    return self->active;
}

bool
mf_fetcher_wants (const mf_fetcher_t *self, const mf_orbit_id_t *id)
{
    if (self->active && mf_orbit_id_equal (&self->current.id, id))
        return true;
    for (size_t index = 0; index < self->queue_count; index++)
        if (mf_orbit_id_equal (&self->queue [index].id, id))
            return true;
    return false;
}

int
mf_fetcher_want (mf_fetcher_t *self, const mf_orbit_id_t *id, uint64_t shipped)
{
    if (mf_fetcher_wants (self, id))
        return 0;
    if (self->queue_count == MF_FETCHER_QUEUE)
        return -1;
    self->queue [self->queue_count++] = (s_wanted_t) { *id, shipped };
    return 0;
}

//  Starts the next orbit waiting, when none is being fetched.
static void
s_activate (mf_fetcher_t *self, int64_t now)
{
    if (self->active || self->queue_count == 0)
        return;
    self->current = self->queue [0];
    memmove (self->queue, self->queue + 1, --self->queue_count * sizeof self->queue [0]);
    self->active = true;
    self->complete = false;
    //  Within the budget: the lease's size was checked before it was wanted.
    self->buffer = self->current.total <= SIZE_MAX? malloc ((size_t) self->current.total): NULL;
    self->next = 0;
    self->received = 0;
    self->outstanding_count = 0;
    self->last_heard = now;
    self->tries = 0;
}

size_t
mf_fetcher_requests (mf_fetcher_t *self, int64_t now, mf_fetch_t *out, size_t max)
{
    s_activate (self, now);
    if (!self->active || !self->buffer || self->complete || self->tries >= self->tries_max)
        return 0;
    size_t count = 0;
    if (self->outstanding_count && now - self->last_heard >= self->timeout_ms) {
        if (++self->tries >= self->tries_max)
            return 0;                   //  mf_fetcher_given_up says so
        self->last_heard = now;
        for (size_t index = 0; index < self->outstanding_count && count < max; index++)
            out [count++] = (mf_fetch_t) { self->current.id, self->outstanding [index].offset,
                                           self->outstanding [index].length };
    }
    while (self->outstanding_count < self->window && self->next < self->current.total
       &&  count < max) {
        uint64_t left = self->current.total - self->next;
        uint32_t length = left < self->chunk_bytes? (uint32_t) left: self->chunk_bytes;
        self->outstanding [self->outstanding_count++] = (s_request_t) { self->next, length };
        out [count++] = (mf_fetch_t) { self->current.id, self->next, length };
        self->next += length;
    }
    return count;
}

mf_chunk_verdict_t
mf_fetcher_chunk (mf_fetcher_t *self, const mf_chunk_t *chunk, int64_t now, char *err,
                  size_t errlen)
{
    if (!self->active || !self->buffer || self->complete
    ||  !mf_orbit_id_equal (&chunk->orbit, &self->current.id))
        return MF_CHUNK_UNASKED;
    size_t index = 0;
    while (index < self->outstanding_count && self->outstanding [index].offset != chunk->offset)
        index++;
    if (index == self->outstanding_count)
        return MF_CHUNK_UNASKED;
    const s_request_t *request = &self->outstanding [index];
    if (chunk->length != request->length || chunk->total != self->current.total) {
        snprintf (err, errlen, "a chunk at byte %llu carries %u bytes of %llu where %u of %llu "
                  "were asked for", (unsigned long long) chunk->offset, chunk->length,
                  (unsigned long long) chunk->total, request->length,
                  (unsigned long long) self->current.total);
        s_end_current (self);
        return MF_CHUNK_BAD;
    }
    memcpy (self->buffer + chunk->offset, chunk->data, chunk->length);
    self->received += chunk->length;
    self->outstanding [index] = self->outstanding [--self->outstanding_count];
    self->last_heard = now;
    self->tries = 0;
    if (self->received < self->current.total)
        return MF_CHUNK_TAKEN;
    self->complete = true;
    return MF_CHUNK_COMPLETE;
}

uint8_t *
mf_fetcher_take (mf_fetcher_t *self, mf_orbit_id_t *id, size_t *size)
{
    if (!self->active || !self->complete)
        return NULL;
    uint8_t *blob = self->buffer;
    *id = self->current.id;
    *size = (size_t) self->current.total;
    self->buffer = NULL;
    s_end_current (self);
    return blob;
}

int
mf_fetcher_given_up (mf_fetcher_t *self, int64_t now, mf_orbit_id_t *id, bool *no_memory)
{
    s_activate (self, now);
    if (!self->active || self->complete)
        return 0;
    if (self->buffer && self->tries < self->tries_max)
        return 0;
    *id = self->current.id;
    *no_memory = !self->buffer;
    s_end_current (self);
    return 1;
}

int
mf_fetcher_abandon (mf_fetcher_t *self, const mf_orbit_id_t *id)
{
    int found = 0;
    if (self->active && mf_orbit_id_equal (&self->current.id, id)) {
        s_end_current (self);
        found = 1;
    }
    for (size_t index = 0; index < self->queue_count; )
        if (mf_orbit_id_equal (&self->queue [index].id, id)) {
            memmove (self->queue + index, self->queue + index + 1,
                     (--self->queue_count - index) * sizeof self->queue [0]);
            found = 1;
        }
        else
            index++;
    return found;
}

void
mf_fetcher_reset (mf_fetcher_t *self)
{
    s_end_current (self);
    self->queue_count = 0;
}
