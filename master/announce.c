/*  mf_announce: see announce.h. */
#include "announce.h"
#include "mf_iface.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_MAX 256                    //  bytes of --listen's host part we look at

struct _mf_announce_t {
    zactor_t *beacon;                   //  the zbeacon actor, bound to the UDP port
    mf_iface_t iface;                   //  the interface it broadcasts on
    bool publishing;                    //  PUBLISH sent, no SILENCE since
};

//  The interface --listen asks for: NULL for every address ("*",
//  0.0.0.0), else its host part (an IPv4 address or an interface name)
//  in host. Returns 0, or -1 with one line in err.
static int
s_listen_host (const char *listen, char *host, size_t size, const char **want,
               char *err, size_t errlen)
{
    const char *start = strncmp (listen, "tcp://", 6) == 0? listen + 6: NULL;
    const char *colon = start? strrchr (start, ':'): NULL;
    if (!colon || (size_t) (colon - start) >= size) {
        snprintf (err, errlen, "--announce needs a tcp:// --listen, e.g. tcp://*:5555; "
                  "'%s' is not one", listen);
        return -1;
    }
    memcpy (host, start, (size_t) (colon - start));
    host [colon - start] = 0;
    if (host [0] == '[') {
        snprintf (err, errlen, "--announce: beacons are IPv4 broadcasts, and --listen %s is "
                  "IPv6; listen on tcp://*:PORT or an IPv4 address", listen);
        return -1;
    }
    *want = strcmp (host, "*") == 0 || strcmp (host, "0.0.0.0") == 0? NULL: host;
    return 0;
}

mf_announce_t *
mf_announce_new (const char *listen, int udp_port, char *err, size_t errlen)
{
    assert (udp_port > 0 && udp_port <= 65535);
    char host [HOST_MAX];
    const char *want;
    if (s_listen_host (listen, host, sizeof host, &want, err, errlen))
        return NULL;
    mf_announce_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    char why [512];
    if (mf_iface_find (want, &self->iface, why, sizeof why)) {
        snprintf (err, errlen, "--announce: %s", why);
        free (self);
        return NULL;
    }
    mf_iface_use (&self->iface);
    self->beacon = zactor_new (zbeacon, NULL);
    if (!self->beacon) {
        snprintf (err, errlen, "--announce: cannot start the beacon's thread");
        mf_announce_destroy (&self);
        return NULL;
    }
    //  zbeacon answers with the address it will broadcast from, or ""
    //  when it could not bind the UDP port there.
    zsock_send (self->beacon, "si", "CONFIGURE", udp_port);
    char *address = zstr_recv (self->beacon);
    if (!address || !*address) {
        snprintf (err, errlen, "--announce: cannot broadcast on UDP port %d from %s (%s)",
                  udp_port, self->iface.name, self->iface.address);
        zstr_free (&address);
        mf_announce_destroy (&self);
        return NULL;
    }
    //  zbeacon takes an interface by name, and then its first address: a
    //  --listen on another address of the same interface would be
    //  announced at an address that does not listen.
    struct in_addr literal;
    if (want && inet_pton (AF_INET, want, &literal) == 1 && strcmp (address, want)) {
        snprintf (err, errlen, "--announce: beacons would leave from %s, the first address of "
                  "%s, not from --listen's %s; listen on tcp://*:PORT or on %s", address,
                  self->iface.name, want, address);
        zstr_free (&address);
        mf_announce_destroy (&self);
        return NULL;
    }
    snprintf (self->iface.address, sizeof self->iface.address, "%s", address);
    zstr_free (&address);
    return self;
}

int
mf_announce_start (mf_announce_t *self, const mf_beacon_t *beacon, char *err, size_t errlen)
{
    uint8_t bytes [MF_BEACON_SIZE];
    size_t size = mf_beacon_encode (bytes, sizeof bytes, beacon);
    if (size == 0) {
        snprintf (err, errlen, "--announce: the beacon cannot be made (port %u)",
                  (unsigned) beacon->port);
        return -1;
    }
    zsock_send (self->beacon, "sbi", "PUBLISH", bytes, size, MF_BEACON_INTERVAL);
    self->publishing = true;
    return 0;
}

const char *
mf_announce_address (mf_announce_t *self)
{
    return self->iface.address;
}

void
mf_announce_stop (mf_announce_t *self)
{
    if (self && self->publishing) {
        zstr_sendx (self->beacon, "SILENCE", NULL);
        self->publishing = false;
    }
}

void
mf_announce_destroy (mf_announce_t **self_p)
{
    assert (self_p);
    mf_announce_t *self = *self_p;
    if (!self)
        return;
    mf_announce_stop (self);
    zactor_destroy (&self->beacon);
    free (self);
    *self_p = NULL;
}
