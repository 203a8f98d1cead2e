/*  mf_peers: the master's registry of who is on the other end.

    Three tables, no sockets:

    - peers: one per connection that said HELLO, by slot (the same slot
      number as in mf_sched), found by the link it came on and its
      ZeroMQ routing id through a hash index;
    - records: one per worker process (the random uid of its HELLO), kept
      after it leaves so the summary can say who did what; a flood of
      fresh uids recycles records that never did anything;
    - connections: one per accepted connection of a watched link, by its
      descriptor, so the engine can cap what one listener holds: it
      learns of them from the socket's monitor, before any message, and
      which of them said HELLO from the descriptor ZeroMQ reports with
      each message.

    Plus a ring of banned routing ids (a quarantined worker's), ignored.
*/
#ifndef MF_PEERS_H
#define MF_PEERS_H

#include "mf_proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MF_PEERS_ID_MAX 256             //  bytes of a ZeroMQ routing id
#define MF_PEERS_NAME_LEN 80            //  bytes of a worker's display name
#define MF_PEERS_HOST_LEN (MF_PROTO_HOST_LEN + 1)  //  bytes of its host name, with the NUL
#define MF_PEERS_BANNED 64              //  banned routing ids remembered
#define MF_PEERS_RECORDS 4096           //  worker records kept before recycling idle ones

typedef struct _mf_peers_t mf_peers_t;

//  What the summary and --stats show of a worker.
typedef struct {
    uint64_t uid;                       //  the random id of its HELLO (which the
                                        //  engine's tile callbacks name it by)
    char name [MF_PEERS_NAME_LEN];      //  host:pid as the worker reported it
    char host [MF_PEERS_HOST_LEN];      //  host name (or --name) alone
    uint32_t pid;                       //  its process id
    char kernel [24];                   //  its kernel variant
    uint32_t threads;                   //  its compute threads
    uint32_t cores;                     //  online CPUs of its machine (0: not said)
    uint32_t speed;                     //  its kernel's speed on one thread, kilo-
                                        //  iterations per second (0: not measured)
    bool connected;                     //  still connected
    bool quarantined;                   //  caught returning wrong results
    uint64_t tiles;                     //  results accepted from it
    uint64_t pixels;                    //  pixels accepted from it
    uint64_t iterations;                //  iterations its accepted results took
    uint64_t chunks;                    //  CHUNKs of reference orbits sent to it
    uint64_t chunk_bytes;               //  orbit bytes they carried
    uint64_t declined;                  //  deep leases it declined
} mf_worker_info_t;

//  One worker process.
typedef struct {
    uint64_t uid;                       //  the random id of its HELLO
    mf_worker_info_t info;              //  what the summary shows
    uint32_t expired;                   //  times it lost its leases having returned nothing
} mf_peer_record_t;

//  One registered connection.
typedef struct {
    int link;                           //  index of the socket it came on
    uint8_t id [MF_PEERS_ID_MAX];       //  its routing id
    size_t id_size;                     //  bytes of id
    size_t record;                      //  index of its worker's record
    int64_t last_seen;                  //  msecs, last message from it
    int64_t last_sent;                  //  msecs, last message to it
} mf_peer_t;

//  Creates an empty registry; NULL when out of memory.
mf_peers_t *mf_peers_new (void);

//  Destroys it; safe twice, nulls the pointer.
void mf_peers_destroy (mf_peers_t **self_p);

//  The slot of the peer with this routing id on this link, or -1.
int mf_peers_find (mf_peers_t *self, int link, const uint8_t *id, size_t id_size);

//  Registers a connection at slot (free; the scheduler chose it) for a
//  worker record, seen at now. Returns 0, or -1 when out of memory.
int mf_peers_put (mf_peers_t *self, int slot, int link, const uint8_t *id, size_t id_size,
                  size_t record, int64_t now);

//  Forgets the peer at slot (its record stays).
void mf_peers_drop (mf_peers_t *self, int slot);

//  The peer at slot, or NULL if the slot is free.
mf_peer_t *mf_peers_get (mf_peers_t *self, int slot);

//  One more than the highest slot ever used: the bound of a loop over
//  slots (with mf_peers_get skipping free ones).
int mf_peers_slots (mf_peers_t *self);

//  Peers registered now, on every link or on one (link -1: all).
size_t mf_peers_count (mf_peers_t *self, int link);

//  The record of a worker uid, made if new (named "worker UID" until
//  the caller fills in its HELLO). SIZE_MAX when out of memory, or when
//  MF_PEERS_RECORDS are all in use by workers that did something.
size_t mf_peers_record_of (mf_peers_t *self, uint64_t uid);

//  The index of the record of a uid, or SIZE_MAX if there is none.
size_t mf_peers_find_record (mf_peers_t *self, uint64_t uid);

//  The record at index, or NULL past the last one.
mf_peer_record_t *mf_peers_record (mf_peers_t *self, size_t index);

//  Remembers a routing id to ignore from now on.
void mf_peers_ban (mf_peers_t *self, int link, const uint8_t *id, size_t id_size);

//  Whether a routing id is banned.
bool mf_peers_banned (mf_peers_t *self, int link, const uint8_t *id, size_t id_size);

//  A connection was accepted on link at now, from the address peer (as
//  getpeername says it; size 0 if unknown). A descriptor seen again
//  replaces what was known of it (its old connection is gone).
//  Returns 0, or -1 when out of memory.
int mf_peers_conn_open (mf_peers_t *self, int link, int fd, int64_t now,
                        const struct sockaddr_storage *peer, socklen_t peer_size);

//  The connection on fd is closed.
void mf_peers_conn_closed (mf_peers_t *self, int fd);

//  The connection on fd said HELLO: it is a worker, never dropped as idle.
void mf_peers_conn_hello (mf_peers_t *self, int fd);

//  Connections open on link now.
size_t mf_peers_conn_count (mf_peers_t *self, int link);

//  The oldest connection on link that has not said HELLO and was opened
//  at or before before (msecs): its fd, and its address in peer, or -1 if
//  none. It is forgotten: the caller closes it.
int mf_peers_conn_idle (mf_peers_t *self, int link, int64_t before,
                        struct sockaddr_storage *peer, socklen_t *peer_size);

#endif
