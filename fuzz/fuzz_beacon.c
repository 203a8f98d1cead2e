/*  Fuzzes the discovery beacon's decoder, mf_beacon_decode, and the rule
    a worker follows a beacon by, mf_beacon_judge.

    The input is one UDP datagram as a worker receives it from anyone on
    its LAN. A refused one must say why with a known reason. An accepted
    one must be exactly MF_BEACON_SIZE bytes with a port from 1 and,
    with CURVE, a key of 40 Z85 characters (else none), and encoding what
    was decoded must give back the very same bytes. A worker with keys
    follows it only for its own master key; one without, only without
    CURVE.
*/
#include "fuzz.h"
#include "mf_beacon.h"

#include <string.h>

#define OTHER_KEY "[>m4mYLo(D3d#Lot=ExTjBGmq8*}l-b7?$1nf]5Z"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mf_beacon_t beacon;
    mf_beacon_error_t why = MF_BEACON_E_COUNT;
    if (mf_beacon_decode (data, size, &beacon, &why)) {
        FUZZ_CHECK (why > MF_BEACON_OK && why < MF_BEACON_E_COUNT);
        FUZZ_CHECK (strcmp (mf_beacon_error_name (why), "unknown"));
        return 0;
    }
    FUZZ_CHECK (why == MF_BEACON_OK);
    FUZZ_CHECK (size == MF_BEACON_SIZE);
    FUZZ_CHECK (beacon.port >= 1);
    if (beacon.curve)
        FUZZ_CHECK (mf_curve_z85_key (beacon.key, NULL) == 0);
    else
        FUZZ_CHECK (beacon.key [0] == 0);
    uint8_t again [MF_BEACON_SIZE];
    FUZZ_CHECK (mf_beacon_encode (again, sizeof again, &beacon) == MF_BEACON_SIZE);
    FUZZ_CHECK (memcmp (again, data, MF_BEACON_SIZE) == 0);
    //  The rule: its own key only, and no CURVE master for a worker without keys.
    FUZZ_CHECK ((mf_beacon_judge (&beacon, NULL) == MF_BEACON_FOLLOW) == !beacon.curve);
    if (beacon.curve) {
        FUZZ_CHECK (mf_beacon_judge (&beacon, beacon.key) == MF_BEACON_FOLLOW);
        FUZZ_CHECK (mf_beacon_judge (&beacon, OTHER_KEY)
                    == (strcmp (beacon.key, OTHER_KEY)? MF_BEACON_OTHER_KEY: MF_BEACON_FOLLOW));
    }
    else
        FUZZ_CHECK (mf_beacon_judge (&beacon, OTHER_KEY) == MF_BEACON_NO_KEYS);
    return 0;
}
