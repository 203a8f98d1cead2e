/*  mf_peers: see peers.h.

    Peers are found by routing id through a chained hash: every message
    looks its sender up, and thousands may be registered. Records and
    connections are found by linear scans: records on a HELLO only, and
    connections on an accept, a HELLO or a close, never per result.
*/
#include "peers.h"
#include "mf_vec.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool used;                          //  slot in use
    mf_peer_t peer;                     //  what the caller sees
    int next;                           //  next slot in the same hash bucket, or -1
} s_slot_t;

typedef struct {
    bool open;                          //  an accepted connection on this descriptor
    bool hello;                         //  it said HELLO
    bool early;                         //  a HELLO came on it before we knew it was open
    int link;                           //  the socket that accepted it
    int64_t opened;                     //  msecs, when it was accepted
    struct sockaddr_storage peer;       //  its remote address
    socklen_t peer_size;                //  bytes of peer (0: unknown)
} s_conn_t;

typedef struct {
    int link;                           //  the socket
    uint8_t id [MF_PEERS_ID_MAX];       //  the routing id
    size_t id_size;                     //  its bytes
} s_banned_t;

struct _mf_peers_t {
    mf_vec_t *slots;                    //  s_slot_t by slot
    int slot_bound;                     //  one more than the highest slot used
    int *buckets;                       //  first slot of each hash bucket, or -1
    size_t bucket_count;                //  a power of two, at least twice the slots
    mf_vec_t *records;                  //  every worker seen, mf_peer_record_t
    mf_vec_t *banned;                   //  ignored routing ids, s_banned_t, oldest
                                        //  first, at most MF_PEERS_BANNED
    mf_vec_t *conns;                    //  s_conn_t by descriptor
};

mf_peers_t *
mf_peers_new (void)
{
    mf_peers_t *self = calloc (1, sizeof (mf_peers_t));
    if (!self)
        return NULL;
    self->slots = mf_vec_new (sizeof (s_slot_t));
    self->records = mf_vec_new (sizeof (mf_peer_record_t));
    self->banned = mf_vec_new (sizeof (s_banned_t));
    self->conns = mf_vec_new (sizeof (s_conn_t));
    if (!self->slots || !self->records || !self->banned || !self->conns)
        mf_peers_destroy (&self);
    return self;
}

void
mf_peers_destroy (mf_peers_t **self_p)
{
    assert (self_p);
    mf_peers_t *self = *self_p;
    if (!self)
        return;
    mf_vec_destroy (&self->slots);
    free (self->buckets);
    mf_vec_destroy (&self->records);
    mf_vec_destroy (&self->banned);
    mf_vec_destroy (&self->conns);
    free (self);
    *self_p = NULL;
}

static s_slot_t *
s_slot (mf_peers_t *self, int slot)
{
    return mf_vec_at (self->slots, (size_t) slot);
}

//  FNV-1a over the link and the routing id.
static size_t
s_hash (int link, const uint8_t *id, size_t id_size)
{
    uint64_t hash = 14695981039346656037ULL ^ (uint64_t) (unsigned) link;
    hash *= 1099511628211ULL;
    for (size_t index = 0; index < id_size; index++) {
        hash ^= id [index];
        hash *= 1099511628211ULL;
    }
    return (size_t) hash;
}

static bool
s_same (const mf_peer_t *peer, int link, const uint8_t *id, size_t id_size)
{
    return peer->link == link && peer->id_size == id_size && memcmp (peer->id, id, id_size) == 0;
}

int
mf_peers_find (mf_peers_t *self, int link, const uint8_t *id, size_t id_size)
{
    if (!self->bucket_count)
        return -1;
    int slot = self->buckets [s_hash (link, id, id_size) & (self->bucket_count - 1)];
    while (slot >= 0 && !s_same (&s_slot (self, slot)->peer, link, id, id_size))
        slot = s_slot (self, slot)->next;
    return slot;
}

//  Links every used slot into buckets (after they grew).
static void
s_rehash (mf_peers_t *self)
{
    for (size_t bucket = 0; bucket < self->bucket_count; bucket++)
        self->buckets [bucket] = -1;
    for (int slot = 0; slot < self->slot_bound; slot++)
        if (s_slot (self, slot)->used) {
            const mf_peer_t *peer = &s_slot (self, slot)->peer;
            size_t bucket = s_hash (peer->link, peer->id, peer->id_size)
                          & (self->bucket_count - 1);
            s_slot (self, slot)->next = self->buckets [bucket];
            self->buckets [bucket] = slot;
        }
}

int
mf_peers_put (mf_peers_t *self, int slot, int link, const uint8_t *id, size_t id_size,
              size_t record, int64_t now)
{
    assert (slot >= 0 && id_size <= MF_PEERS_ID_MAX);
    if (mf_vec_grow_to (self->slots, (size_t) slot + 1))
        return -1;
    size_t slots = mf_vec_count (self->slots);
    if (self->bucket_count < 2 * slots) {
        size_t count = self->bucket_count? self->bucket_count: 32;
        while (count < 2 * slots)
            count *= 2;
        int *buckets = realloc (self->buckets, count * sizeof *buckets);
        if (!buckets)
            return -1;
        self->buckets = buckets;
        self->bucket_count = count;
        s_rehash (self);
    }
    s_slot_t *entry = s_slot (self, slot);
    assert (!entry->used);
    entry->used = true;
    entry->peer = (mf_peer_t) { .link = link, .id_size = id_size, .record = record,
                                .last_seen = now, .last_sent = now };
    memcpy (entry->peer.id, id, id_size);
    size_t bucket = s_hash (link, id, id_size) & (self->bucket_count - 1);
    entry->next = self->buckets [bucket];
    self->buckets [bucket] = slot;
    if (slot >= self->slot_bound)
        self->slot_bound = slot + 1;
    return 0;
}

void
mf_peers_drop (mf_peers_t *self, int slot)
{
    assert (slot >= 0 && slot < self->slot_bound && s_slot (self, slot)->used);
    const mf_peer_t *peer = &s_slot (self, slot)->peer;
    int *link = &self->buckets [s_hash (peer->link, peer->id, peer->id_size)
                                & (self->bucket_count - 1)];
    while (*link != slot)
        link = &s_slot (self, *link)->next;
    *link = s_slot (self, slot)->next;
    s_slot (self, slot)->used = false;
}

mf_peer_t *
mf_peers_get (mf_peers_t *self, int slot)
{
    return slot >= 0 && slot < self->slot_bound && s_slot (self, slot)->used
         ? &s_slot (self, slot)->peer: NULL;
}

int
mf_peers_slots (mf_peers_t *self)
{
    return self->slot_bound;
}

size_t
mf_peers_count (mf_peers_t *self, int link)
{
    size_t count = 0;
    for (int slot = 0; slot < self->slot_bound; slot++) {
        const s_slot_t *entry = s_slot (self, slot);
        count += entry->used && (link < 0 || entry->peer.link == link);
    }
    return count;
}

//  A record nobody needs: not connected, never did a tile, not
//  quarantined. Connected records are those of registered peers, so a
//  record in use by a slot is never recycled.
static size_t
s_idle_record (mf_peers_t *self)
{
    const mf_peer_record_t *record;
    for (size_t index = 0; (record = mf_vec_at (self->records, index)); index++) {
        const mf_worker_info_t *info = &record->info;
        if (!info->connected && !info->tiles && !info->quarantined)
            return index;
    }
    return SIZE_MAX;
}

size_t
mf_peers_find_record (mf_peers_t *self, uint64_t uid)
{
    const mf_peer_record_t *record;
    for (size_t index = 0; (record = mf_vec_at (self->records, index)); index++)
        if (record->uid == uid)
            return index;
    return SIZE_MAX;
}

size_t
mf_peers_record_of (mf_peers_t *self, uint64_t uid)
{
    size_t index = mf_peers_find_record (self, uid);
    if (index != SIZE_MAX)
        return index;
    //  A flood of fresh uids cannot grow the table without bound: idle
    //  records are recycled first.
    size_t count = mf_vec_count (self->records);
    index = count < MF_PEERS_RECORDS? SIZE_MAX: s_idle_record (self);
    if (index == SIZE_MAX) {
        if (count >= MF_PEERS_RECORDS || !mf_vec_push (self->records, NULL))
            return SIZE_MAX;
        index = count;
    }
    mf_peer_record_t *record = mf_vec_at (self->records, index);
    memset (record, 0, sizeof *record);
    record->uid = uid;
    record->info.uid = uid;
    snprintf (record->info.name, sizeof record->info.name, "worker %016llx",
              (unsigned long long) uid);
    return index;
}

mf_peer_record_t *
mf_peers_record (mf_peers_t *self, size_t index)
{
    return mf_vec_at (self->records, index);
}

void
mf_peers_ban (mf_peers_t *self, int link, const uint8_t *id, size_t id_size)
{
    assert (id_size <= MF_PEERS_ID_MAX);
    s_banned_t entry = { .link = link, .id_size = id_size };
    memcpy (entry.id, id, id_size);
    //  The oldest makes room. Out of memory the id is not banned: its
    //  HELLOs are refused all the same (the record is quarantined).
    if (mf_vec_count (self->banned) == MF_PEERS_BANNED)
        mf_vec_shift (self->banned, NULL);
    mf_vec_push (self->banned, &entry);
}

bool
mf_peers_banned (mf_peers_t *self, int link, const uint8_t *id, size_t id_size)
{
    const s_banned_t *entry;
    for (size_t index = 0; (entry = mf_vec_at (self->banned, index)); index++)
        if (entry->id_size == id_size && entry->link == link
        &&  memcmp (entry->id, id, id_size) == 0)
            return true;
    return false;
}

//  The entry of descriptor fd, the table grown to hold it; NULL when out
//  of memory.
static s_conn_t *
s_conn (mf_peers_t *self, int fd)
{
    if (fd < 0 || mf_vec_grow_to (self->conns, (size_t) fd + 1))
        return NULL;
    return mf_vec_at (self->conns, (size_t) fd);
}

int
mf_peers_conn_open (mf_peers_t *self, int link, int fd, int64_t now,
                    const struct sockaddr_storage *peer, socklen_t peer_size)
{
    s_conn_t *conn = s_conn (self, fd);
    if (!conn)
        return -1;
    bool early = conn->early;
    *conn = (s_conn_t) { .open = true, .hello = early, .link = link, .opened = now };
    if (peer && peer_size <= sizeof conn->peer) {
        memcpy (&conn->peer, peer, peer_size);
        conn->peer_size = peer_size;
    }
    return 0;
}

void
mf_peers_conn_closed (mf_peers_t *self, int fd)
{
    s_conn_t *conn = fd >= 0? mf_vec_at (self->conns, (size_t) fd): NULL;
    if (conn)
        *conn = (s_conn_t) { .open = false };
}

void
mf_peers_conn_hello (mf_peers_t *self, int fd)
{
    //  The message and the monitor's event travel apart: a HELLO may come
    //  before we learn that its connection was accepted.
    s_conn_t *conn = s_conn (self, fd);
    if (conn && conn->open)
        conn->hello = true;
    else
    if (conn)
        conn->early = true;
}

size_t
mf_peers_conn_count (mf_peers_t *self, int link)
{
    size_t count = 0;
    const s_conn_t *conn;
    for (size_t fd = 0; (conn = mf_vec_at (self->conns, fd)); fd++)
        count += conn->open && conn->link == link;
    return count;
}

int
mf_peers_conn_idle (mf_peers_t *self, int link, int64_t before,
                    struct sockaddr_storage *peer, socklen_t *peer_size)
{
    s_conn_t *oldest = NULL, *conn;
    for (size_t fd = 0; (conn = mf_vec_at (self->conns, fd)); fd++)
        if (conn->open && !conn->hello && conn->link == link && conn->opened <= before
        &&  (!oldest || conn->opened < oldest->opened))
            oldest = conn;
    if (!oldest)
        return -1;
    oldest->open = false;
    memcpy (peer, &oldest->peer, sizeof *peer);
    *peer_size = oldest->peer_size;
    return (int) mf_vec_index (self->conns, oldest);
}
