/*  mf_peers: see peers.h.

    Peers are found by routing id through a chained hash: every message
    looks its sender up, and thousands may be registered. Records and
    connections are found by linear scans: records on a HELLO only, and
    connections on an accept, a HELLO or a close, never per result.
*/
#include "peers.h"

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

struct _mf_peers_t {
    s_slot_t *slots;                    //  by slot
    int slot_capacity;                  //  size of slots
    int slot_bound;                     //  one more than the highest slot used
    int *buckets;                       //  first slot of each hash bucket, or -1
    size_t bucket_count;                //  a power of two, at least twice the slots
    mf_peer_record_t *records;          //  every worker seen
    size_t record_count;                //  entries in records
    struct {
        int link;
        uint8_t id [MF_PEERS_ID_MAX];
        size_t id_size;
    } banned [MF_PEERS_BANNED];         //  ignored routing ids (a ring)
    size_t banned_next;                 //  next entry of banned to overwrite
    s_conn_t *conns;                    //  by descriptor
    int conn_capacity;                  //  size of conns
};

mf_peers_t *
mf_peers_new (void)
{
    return calloc (1, sizeof (mf_peers_t));
}

void
mf_peers_destroy (mf_peers_t **self_p)
{
    assert (self_p);
    mf_peers_t *self = *self_p;
    if (!self)
        return;
    free (self->slots);
    free (self->buckets);
    free (self->records);
    free (self->conns);
    free (self);
    *self_p = NULL;
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
    while (slot >= 0 && !s_same (&self->slots [slot].peer, link, id, id_size))
        slot = self->slots [slot].next;
    return slot;
}

//  Links every used slot into buckets (after they grew).
static void
s_rehash (mf_peers_t *self)
{
    for (size_t bucket = 0; bucket < self->bucket_count; bucket++)
        self->buckets [bucket] = -1;
    for (int slot = 0; slot < self->slot_bound; slot++)
        if (self->slots [slot].used) {
            const mf_peer_t *peer = &self->slots [slot].peer;
            size_t bucket = s_hash (peer->link, peer->id, peer->id_size)
                          & (self->bucket_count - 1);
            self->slots [slot].next = self->buckets [bucket];
            self->buckets [bucket] = slot;
        }
}

int
mf_peers_put (mf_peers_t *self, int slot, int link, const uint8_t *id, size_t id_size,
              size_t record, int64_t now)
{
    assert (slot >= 0 && id_size <= MF_PEERS_ID_MAX);
    if (slot >= self->slot_capacity) {
        int capacity = self->slot_capacity? self->slot_capacity * 2: 16;
        while (capacity <= slot)
            capacity *= 2;
        s_slot_t *slots = realloc (self->slots, (size_t) capacity * sizeof *slots);
        if (!slots)
            return -1;
        memset (slots + self->slot_capacity, 0,
                (size_t) (capacity - self->slot_capacity) * sizeof *slots);
        self->slots = slots;
        self->slot_capacity = capacity;
    }
    if (self->bucket_count < 2 * (size_t) self->slot_capacity) {
        size_t count = self->bucket_count? self->bucket_count: 32;
        while (count < 2 * (size_t) self->slot_capacity)
            count *= 2;
        int *buckets = realloc (self->buckets, count * sizeof *buckets);
        if (!buckets)
            return -1;
        self->buckets = buckets;
        self->bucket_count = count;
        s_rehash (self);
    }
    s_slot_t *entry = &self->slots [slot];
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
    assert (slot >= 0 && slot < self->slot_bound && self->slots [slot].used);
    const mf_peer_t *peer = &self->slots [slot].peer;
    int *link = &self->buckets [s_hash (peer->link, peer->id, peer->id_size)
                                & (self->bucket_count - 1)];
    while (*link != slot)
        link = &self->slots [*link].next;
    *link = self->slots [slot].next;
    self->slots [slot].used = false;
}

mf_peer_t *
mf_peers_get (mf_peers_t *self, int slot)
{
    return slot >= 0 && slot < self->slot_bound && self->slots [slot].used
         ? &self->slots [slot].peer: NULL;
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
    for (int slot = 0; slot < self->slot_bound; slot++)
        count += self->slots [slot].used && (link < 0 || self->slots [slot].peer.link == link);
    return count;
}

//  A record nobody needs: not connected, never did a tile, not
//  quarantined. Connected records are those of registered peers, so a
//  record in use by a slot is never recycled.
static size_t
s_idle_record (mf_peers_t *self)
{
    for (size_t index = 0; index < self->record_count; index++) {
        const mf_worker_info_t *info = &self->records [index].info;
        if (!info->connected && !info->tiles && !info->quarantined)
            return index;
    }
    return SIZE_MAX;
}

size_t
mf_peers_find_record (mf_peers_t *self, uint64_t uid)
{
    for (size_t index = 0; index < self->record_count; index++)
        if (self->records [index].uid == uid)
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
    index = self->record_count < MF_PEERS_RECORDS? SIZE_MAX: s_idle_record (self);
    if (index == SIZE_MAX) {
        if (self->record_count >= MF_PEERS_RECORDS)
            return SIZE_MAX;
        mf_peer_record_t *records = realloc (self->records,
                                             (self->record_count + 1) * sizeof *records);
        if (!records)
            return SIZE_MAX;
        self->records = records;
        index = self->record_count++;
    }
    mf_peer_record_t *record = &self->records [index];
    memset (record, 0, sizeof *record);
    record->uid = uid;
    snprintf (record->info.name, sizeof record->info.name, "worker %016llx",
              (unsigned long long) uid);
    return index;
}

mf_peer_record_t *
mf_peers_record (mf_peers_t *self, size_t index)
{
    return index < self->record_count? &self->records [index]: NULL;
}

void
mf_peers_ban (mf_peers_t *self, int link, const uint8_t *id, size_t id_size)
{
    assert (id_size <= MF_PEERS_ID_MAX);
    size_t entry = self->banned_next++ % MF_PEERS_BANNED;
    self->banned [entry].link = link;
    memcpy (self->banned [entry].id, id, id_size);
    self->banned [entry].id_size = id_size;
}

bool
mf_peers_banned (mf_peers_t *self, int link, const uint8_t *id, size_t id_size)
{
    size_t used = self->banned_next < MF_PEERS_BANNED? self->banned_next: MF_PEERS_BANNED;
    for (size_t entry = 0; entry < used; entry++)
        if (self->banned [entry].id_size == id_size && self->banned [entry].link == link
        &&  memcmp (self->banned [entry].id, id, id_size) == 0)
            return true;
    return false;
}

//  The entry of descriptor fd, the table grown to hold it; NULL when out
//  of memory.
static s_conn_t *
s_conn (mf_peers_t *self, int fd)
{
    if (fd < 0)
        return NULL;
    if (fd >= self->conn_capacity) {
        int capacity = self->conn_capacity? self->conn_capacity: 64;
        while (capacity <= fd)
            capacity *= 2;
        s_conn_t *conns = realloc (self->conns, (size_t) capacity * sizeof *conns);
        if (!conns)
            return NULL;
        memset (conns + self->conn_capacity, 0,
                (size_t) (capacity - self->conn_capacity) * sizeof *conns);
        self->conns = conns;
        self->conn_capacity = capacity;
    }
    return &self->conns [fd];
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
    if (fd >= 0 && fd < self->conn_capacity)
        self->conns [fd] = (s_conn_t) { .open = false };
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
    for (int fd = 0; fd < self->conn_capacity; fd++)
        count += self->conns [fd].open && self->conns [fd].link == link;
    return count;
}

int
mf_peers_conn_idle (mf_peers_t *self, int link, int64_t before,
                    struct sockaddr_storage *peer, socklen_t *peer_size)
{
    int oldest = -1;
    for (int fd = 0; fd < self->conn_capacity; fd++) {
        const s_conn_t *conn = &self->conns [fd];
        if (conn->open && !conn->hello && conn->link == link && conn->opened <= before
        &&  (oldest < 0 || conn->opened < self->conns [oldest].opened))
            oldest = fd;
    }
    if (oldest >= 0) {
        self->conns [oldest].open = false;
        memcpy (peer, &self->conns [oldest].peer, sizeof *peer);
        *peer_size = self->conns [oldest].peer_size;
    }
    return oldest;
}
