/*  mf_announce: the master's half of discovery (--announce). A CZMQ
    zbeacon actor broadcasts the master's beacon (mf_beacon.h) on a UDP
    port of its LAN segment every MF_BEACON_INTERVAL, so that workers
    started without --connect find it; the address they connect to is the
    one the datagrams come from.

    It is made in two steps, because the port the beacon names is known
    only once the engine has bound --listen (a port "*" lets the system
    choose): mf_announce_new picks the interface and binds the UDP port
    before anything listens, so that a master that cannot announce says
    so at once (status 2); mf_announce_start then broadcasts.

    The interface is the one that holds --listen's address, or for a
    --listen on every address ("*") the one CZMQ picks: ZSYS_INTERFACE, else
    the first that can broadcast (mf_iface.h).
*/
#ifndef MF_ANNOUNCE_H
#define MF_ANNOUNCE_H

#include "mf_beacon.h"

#include <stddef.h>

typedef struct _mf_announce_t mf_announce_t;

//  Prepares to announce a master that listens on listen (a tcp://
//  endpoint as --listen takes it, on IPv4: "*", an address or an
//  interface name) on UDP port udp_port. Broadcasts nothing yet. Returns
//  the announcer (the caller destroys it), or NULL with one line in err.
mf_announce_t *mf_announce_new (const char *listen, int udp_port, char *err, size_t errlen);

//  Starts broadcasting beacon, now and then every MF_BEACON_INTERVAL, until
//  the announcer is stopped or destroyed. Returns 0, or -1 with one line
//  in err (a beacon that cannot be encoded).
int mf_announce_start (mf_announce_t *self, const mf_beacon_t *beacon, char *err,
                       size_t errlen);

//  The IPv4 address the beacons go out from (the one workers will
//  connect to), owned by the announcer.
const char *mf_announce_address (mf_announce_t *self);

//  Stops broadcasting (workers no longer find this master); does nothing
//  if it was not broadcasting.
void mf_announce_stop (mf_announce_t *self);

//  Stops broadcasting and the zbeacon actor; safe twice, nulls the pointer.
void mf_announce_destroy (mf_announce_t **self_p);

#endif
