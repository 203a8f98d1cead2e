/*  mf_discover: the worker's half of discovery. A worker started without
    --connect listens for the beacons that masters started with --announce
    broadcast on its LAN segment (mf_beacon.h; CZMQ zbeacon on a UDP
    port), and connects to the first one it may follow: at the TCP port
    the beacon names, on the address the datagram came from.

    Which beacons a worker follows is mf_beacon_judge's rule: with keys,
    only a CURVE master whose key is the --master-key it was given (and
    then the CURVE handshake, with that key, still decides: a beacon that
    copied the key but points elsewhere leads to a handshake nobody can
    complete); without keys, any master without keys: on such a LAN,
    whoever can send a datagram can draw the worker to itself.

    Listening runs only while the worker looks for a master: it stops
    (mf_discover_pause) once one is found, and starts afresh when the
    worker looks again, so no beacon heard before, of a master since gone,
    is ever taken. An endpoint that did not answer can be passed over for
    a while (mf_discover_avoid), so that a forged beacon cannot hold the
    worker away from the real master.
*/
#ifndef MF_DISCOVER_H
#define MF_DISCOVER_H

#include "mf_beacon.h"

#include <stddef.h>
#include <stdint.h>

#define MF_DISCOVER_AVOID_MAX 16        //  endpoints passed over at once, at most
#define MF_DISCOVER_ENDPOINT_MAX 32     //  bytes of "tcp://255.255.255.255:65535" and NUL

typedef struct _mf_discover_t mf_discover_t;

//  A master found by its beacon.
typedef struct {
    char endpoint [MF_DISCOVER_ENDPOINT_MAX];   //  tcp://SENDER:PORT, to connect to
    char sender [16];                   //  the IPv4 address the beacon came from
    mf_beacon_t beacon;                 //  what it said
} mf_discovered_t;

//  What was heard and passed over since the object was made.
typedef struct {
    uint64_t heard;                     //  datagrams on the port
    uint64_t malformed;                 //  refused by the decoder (or a sender that is
                                        //  not an IPv4 address)
    uint64_t passed [MF_BEACON_VERDICT_COUNT];  //  valid, by verdict (FOLLOW: followed)
    uint64_t avoided;                   //  valid and ours, for an endpoint passed over
} mf_discover_stats_t;

//  Prepares to look for masters on UDP port udp_port (1..65535), for a
//  worker whose --master-key is master_key (Z85, copied), or NULL for a
//  worker without keys. Opens nothing yet. Returns NULL when out of memory.
mf_discover_t *mf_discover_new (int udp_port, const char *master_key);

//  Waits up to timeout msecs, or until wake_fd (-1: none) is readable,
//  for a beacon to follow, listening first if it was not. Returns 1 with
//  found filled (listening goes on until mf_discover_pause), 0 if none
//  came, or -1 with one line in err when it cannot listen here (no
//  interface that can broadcast, or the UDP port).
int mf_discover_wait (mf_discover_t *self, int timeout, int wake_fd, mf_discovered_t *found,
                      char *err, size_t errlen);

//  Stops listening and drops whatever was heard and not read. Does
//  nothing when not listening.
void mf_discover_pause (mf_discover_t *self);

//  Passes over beacons naming endpoint for the next msecs (the oldest
//  entry goes when MF_DISCOVER_AVOID_MAX are held).
void mf_discover_avoid (mf_discover_t *self, const char *endpoint, int msecs);

//  The counters so far.
void mf_discover_stats (mf_discover_t *self, mf_discover_stats_t *stats);

//  The UDP port it listens on.
int mf_discover_port (mf_discover_t *self);

//  Stops listening and frees the object; safe twice, nulls the pointer.
void mf_discover_destroy (mf_discover_t **self_p);

#endif
