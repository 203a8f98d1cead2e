/*  mf_beacon: the discovery beacon, version 1. A master started with
    --announce broadcasts it over UDP every second (CZMQ zbeacon carries
    it), so that a worker started without --connect finds the master on
    its LAN segment: the beacon says on which TCP port the master listens,
    and the address is the one the UDP datagram came from.
    docs/PROTOCOL.md ("Discovery beacon") gives the bytes.

    A beacon is a hint, never a credential: anyone on the segment can
    send one. It says whether the master's link is CURVE and, if so, the
    master's public key, only so that a worker given --master-key can pass
    over the beacons of other masters at once; what decides is the CURVE
    handshake, with the key the worker was given, never the beacon's.

    Pure functions over byte buffers, as mf_proto: an encoder, a strict
    decoder (the exact size, magic, version and every field's range; it
    says why it refuses) and the rule a worker follows a beacon by. No
    function here touches a socket.
*/
#ifndef MF_BEACON_H
#define MF_BEACON_H

#include "mf_curve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_BEACON_VERSION 1
#define MF_BEACON_MAGIC "MFDB"          //  4 bytes: mandelfarm discovery beacon
#define MF_BEACON_SIZE 56               //  bytes of a version 1 beacon, exactly
#define MF_BEACON_PORT 5670             //  UDP port of the beacons unless
                                        //  --announce-port / --discover-port say
#define MF_BEACON_INTERVAL 1000         //  msecs between two beacons of a master
#define MF_BEACON_FLAG_CURVE 0x01       //  flags: the link is CURVE, key is set

typedef struct {
    uint16_t port;                      //  TCP port the master listens on, 1..65535
    bool curve;                         //  the link is CURVE (then key is set)
    uint64_t id;                        //  random id of this master run, for logs
    char key [MF_CURVE_KEY_TXT + 1];    //  with curve: the master's public key,
                                        //  Z85; "" without
} mf_beacon_t;

typedef enum {
    MF_BEACON_OK = 0,
    MF_BEACON_E_SIZE,                   //  not MF_BEACON_SIZE bytes
    MF_BEACON_E_MAGIC,                  //  not "MFDB"
    MF_BEACON_E_VERSION,                //  another beacon version
    MF_BEACON_E_FLAGS,                  //  a flag bit this version does not know
    MF_BEACON_E_PORT,                   //  port 0
    MF_BEACON_E_KEY,                    //  CURVE without a Z85 key, or plain with one
    MF_BEACON_E_COUNT
} mf_beacon_error_t;

//  What a worker does with a valid beacon (mf_beacon_judge).
typedef enum {
    MF_BEACON_FOLLOW = 0,               //  connect to it
    MF_BEACON_OTHER_KEY,                //  a CURVE master whose key is not --master-key
    MF_BEACON_NEEDS_KEYS,               //  a CURVE master; this worker has no keys
    MF_BEACON_NO_KEYS,                  //  a master without keys; this worker has them
    MF_BEACON_VERDICT_COUNT
} mf_beacon_verdict_t;

//  Writes beacon into buf. Returns MF_BEACON_SIZE, or 0 when capacity is
//  too small or the beacon breaks a rule the decoder checks (port 0, a
//  CURVE beacon without a Z85 key): no one would accept it.
size_t mf_beacon_encode (uint8_t *buf, size_t capacity, const mf_beacon_t *beacon);

//  Decodes size bytes as they came in a datagram. Returns 0 with beacon
//  filled, or -1 with *why set (why may be NULL); beacon is valid only
//  after 0.
int mf_beacon_decode (const uint8_t *data, size_t size, mf_beacon_t *beacon,
                      mf_beacon_error_t *why);

//  A short name for a decoding error, for logs and counters.
const char *mf_beacon_error_name (mf_beacon_error_t why);

//  Whether a worker follows a valid beacon: master_key is the public key
//  (Z85) the worker was given with --master-key, or NULL for a worker
//  without keys. A worker with keys follows only a CURVE beacon carrying
//  that very key; a worker without keys only a beacon without CURVE.
mf_beacon_verdict_t mf_beacon_judge (const mf_beacon_t *beacon, const char *master_key);

//  A short phrase for a verdict, for logs ("another master's key", ...).
const char *mf_beacon_verdict_name (mf_beacon_verdict_t verdict);

#endif
