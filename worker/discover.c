/*  mf_discover: see discover.h. */
#include "discover.h"
#include "mf_iface.h"
#include "mf_log.h"
#include "mf_util.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char endpoint [MF_DISCOVER_ENDPOINT_MAX];   //  passed over ...
    int64_t until;                      //  ... until then, msecs (mf_clock_ms)
} s_avoid_t;

struct _mf_discover_t {
    int port;                           //  UDP port of the beacons
    char master_key [MF_CURVE_KEY_TXT + 1];     //  --master-key, Z85, or ""
    zactor_t *beacon;                   //  the zbeacon actor while listening, or NULL
    s_avoid_t avoid [MF_DISCOVER_AVOID_MAX];    //  endpoints passed over for now
    mf_discover_stats_t stats;          //  what was heard
    unsigned logged;                    //  bit per reason already logged (decoder
                                        //  errors, then verdicts), to say each once
};

mf_discover_t *
mf_discover_new (int udp_port, const char *master_key)
{
    assert (udp_port > 0 && udp_port <= 65535);
    mf_discover_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->port = udp_port;
    snprintf (self->master_key, sizeof self->master_key, "%s", master_key? master_key: "");
    return self;
}

//  Starts the zbeacon actor on the port. Returns 0, or -1 with err.
static int
s_listen (mf_discover_t *self, char *err, size_t errlen)
{
    mf_iface_t iface;
    char why [512];
    if (mf_iface_find (NULL, &iface, why, sizeof why)) {
        snprintf (err, errlen, "cannot listen for beacons: %s", why);
        return -1;
    }
    mf_iface_use (&iface);
    self->beacon = zactor_new (zbeacon, NULL);
    if (!self->beacon) {
        snprintf (err, errlen, "cannot start the thread that listens for beacons");
        return -1;
    }
    zsock_send (self->beacon, "si", "CONFIGURE", self->port);
    char *address = zstr_recv (self->beacon);
    bool bound = address && *address;
    zstr_free (&address);
    if (!bound) {
        snprintf (err, errlen, "cannot listen for beacons on UDP port %d of %s (%s)",
                  self->port, iface.name, iface.address);
        zactor_destroy (&self->beacon);
        return -1;
    }
    //  Every datagram: the decoder, not a prefix, says what is a beacon,
    //  so that what is refused can be counted.
    zsock_send (self->beacon, "sb", "SUBSCRIBE", "", (size_t) 0);
    mf_debug ("listening for beacons on UDP port %d of %s (%s)", self->port, iface.name,
              iface.address);
    return 0;
}

//  Says once per reason that beacons are passed over, and each time in
//  the debug log.
static void
s_passed_over (mf_discover_t *self, unsigned reason_bit, const char *sender, const char *why)
{
    if (!(self->logged & reason_bit)) {
        self->logged |= reason_bit;
        mf_info ("ignoring beacons on UDP port %d such as %s's: %s (said once)", self->port,
                 sender, why);
    }
    else
        mf_debug ("ignored a beacon from %s: %s", sender, why);
}

static bool
s_avoided (mf_discover_t *self, const char *endpoint)
{
    int64_t now = mf_clock_ms ();
    for (size_t index = 0; index < MF_DISCOVER_AVOID_MAX; index++)
        if (self->avoid [index].until > now && strcmp (self->avoid [index].endpoint, endpoint) == 0)
            return true;
    return false;
}

//  Judges one datagram (sender, data). Returns 1 with found filled when
//  the worker may follow it, else 0 (counted, and said once per reason).
static int
s_judge (mf_discover_t *self, const char *sender, const uint8_t *data, size_t size,
         mf_discovered_t *found)
{
    self->stats.heard++;
    struct in_addr address;
    mf_beacon_t beacon;
    mf_beacon_error_t why = MF_BEACON_OK;
    if (!sender || inet_pton (AF_INET, sender, &address) != 1) {
        self->stats.malformed++;
        s_passed_over (self, 1u, "an unknown sender", "its address is not IPv4");
        return 0;
    }
    if (mf_beacon_decode (data, size, &beacon, &why)) {
        self->stats.malformed++;
        char text [96];
        snprintf (text, sizeof text, "not a beacon of version %d (%s)", MF_BEACON_VERSION,
                  mf_beacon_error_name (why));
        s_passed_over (self, 1u << why, sender, text);
        return 0;
    }
    mf_beacon_verdict_t verdict = mf_beacon_judge (&beacon,
                                                   self->master_key [0]? self->master_key: NULL);
    self->stats.passed [verdict]++;
    if (verdict != MF_BEACON_FOLLOW) {
        s_passed_over (self, 1u << (MF_BEACON_E_COUNT + verdict), sender,
                       mf_beacon_verdict_name (verdict));
        return 0;
    }
    snprintf (found->endpoint, sizeof found->endpoint, "tcp://%s:%u", sender,
              (unsigned) beacon.port);
    if (s_avoided (self, found->endpoint)) {
        self->stats.passed [verdict]--;
        self->stats.avoided++;
        mf_debug ("passed over a beacon for %s: it did not answer lately", found->endpoint);
        return 0;
    }
    snprintf (found->sender, sizeof found->sender, "%s", sender);
    found->beacon = beacon;
    return 1;
}

int
mf_discover_wait (mf_discover_t *self, int timeout, int wake_fd, mf_discovered_t *found,
                  char *err, size_t errlen)
{
    if (!self->beacon && s_listen (self, err, errlen))
        return -1;
    int64_t deadline = mf_clock_ms () + timeout;
    while (true) {
        int64_t left = deadline - mf_clock_ms ();
        zmq_pollitem_t items [] = {
            { zsock_resolve (self->beacon), 0, ZMQ_POLLIN, 0 },
            { NULL, wake_fd, ZMQ_POLLIN, 0 }
        };
        int ready = zmq_poll (items, wake_fd >= 0? 2: 1, left > 0? (long) left: 0);
        if (ready <= 0 || (items [1].revents & ZMQ_POLLIN) || !(items [0].revents & ZMQ_POLLIN))
            return 0;               //  time is up, a signal, or asked to stop
        //  zbeacon's message: the sender's address, then the datagram.
        zmsg_t *msg = zmsg_recv (self->beacon);
        char *sender = msg? zmsg_popstr (msg): NULL;
        zframe_t *data = msg? zmsg_pop (msg): NULL;
        int rc = data? s_judge (self, sender, zframe_data (data), zframe_size (data), found): 0;
        zframe_destroy (&data);
        zstr_free (&sender);
        zmsg_destroy (&msg);
        if (rc)
            return 1;
        if (mf_clock_ms () >= deadline)
            return 0;
    }
}

void
mf_discover_pause (mf_discover_t *self)
{
    zactor_destroy (&self->beacon);
}

void
mf_discover_avoid (mf_discover_t *self, const char *endpoint, int msecs)
{
    //  The slot of this endpoint, else an expired one, else the oldest.
    s_avoid_t *slot = &self->avoid [0];
    for (size_t index = 0; index < MF_DISCOVER_AVOID_MAX; index++) {
        s_avoid_t *entry = &self->avoid [index];
        if (strcmp (entry->endpoint, endpoint) == 0) {
            slot = entry;
            break;
        }
        if (entry->until < slot->until)
            slot = entry;
    }
    snprintf (slot->endpoint, sizeof slot->endpoint, "%s", endpoint);
    slot->until = mf_clock_ms () + msecs;
}

void
mf_discover_stats (mf_discover_t *self, mf_discover_stats_t *stats)
{
    *stats = self->stats;
}

int
mf_discover_port (mf_discover_t *self)
{
    return self->port;
}

void
mf_discover_destroy (mf_discover_t **self_p)
{
    assert (self_p);
    mf_discover_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->beacon);
    free (self);
    *self_p = NULL;
}
