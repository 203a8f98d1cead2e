/*  mf_beacon: see mf_beacon.h. The layout is one sequence of mf_cursor
    calls per direction, in the order of the bytes (docs/PROTOCOL.md has
    the same table with offsets); the cursor counts the offsets.
*/
#include "mf_beacon.h"
#include "mf_cursor.h"

#include <assert.h>
#include <string.h>

#define MAGIC_LEN 4                     //  bytes of MF_BEACON_MAGIC
#define HEAD_LEN 5                      //  bytes of magic and version: enough to say
                                        //  "another version" whatever its size

size_t
mf_beacon_encode (uint8_t *buf, size_t capacity, const mf_beacon_t *beacon)
{
    if (beacon->port == 0
    ||  (beacon->curve && mf_curve_z85_key (beacon->key, NULL)))
        return 0;
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    mf_cursor_put_bytes (&out, MF_BEACON_MAGIC, MAGIC_LEN);
    mf_cursor_put_u8 (&out, MF_BEACON_VERSION);
    mf_cursor_put_u8 (&out, beacon->curve? MF_BEACON_FLAG_CURVE: 0);
    mf_cursor_put_u16 (&out, beacon->port);
    mf_cursor_put_u64 (&out, beacon->id);
    if (beacon->curve)
        mf_cursor_put_bytes (&out, beacon->key, MF_CURVE_KEY_TXT);
    else
        mf_cursor_put_zeros (&out, MF_CURVE_KEY_TXT);
    if (!mf_cursor_ok (&out))
        return 0;
    assert (out.pos == MF_BEACON_SIZE);
    return out.pos;
}

static int
s_fail (mf_beacon_error_t *why, mf_beacon_error_t reason)
{
    if (why)
        *why = reason;
    return -1;
}

int
mf_beacon_decode (const uint8_t *data, size_t size, mf_beacon_t *beacon,
                  mf_beacon_error_t *why)
{
    //  Magic and version first, when there are that many bytes: a beacon
    //  of a later version may have another size, and a worker should say
    //  "another version", not "wrong size", of it.
    mf_cursor_t in = mf_cursor_reader (data, size);
    if (size < HEAD_LEN)
        return s_fail (why, MF_BEACON_E_SIZE);
    const uint8_t *magic = mf_cursor_get_span (&in, MAGIC_LEN);
    if (memcmp (magic, MF_BEACON_MAGIC, MAGIC_LEN))
        return s_fail (why, MF_BEACON_E_MAGIC);
    if (mf_cursor_get_u8 (&in) != MF_BEACON_VERSION)
        return s_fail (why, MF_BEACON_E_VERSION);
    if (size != MF_BEACON_SIZE)
        return s_fail (why, MF_BEACON_E_SIZE);
    uint8_t flags = mf_cursor_get_u8 (&in);
    uint16_t port = mf_cursor_get_u16 (&in);
    uint64_t id = mf_cursor_get_u64 (&in);
    const uint8_t *key = mf_cursor_get_span (&in, MF_CURVE_KEY_TXT);
    assert (mf_cursor_done (&in));
    if (flags & ~MF_BEACON_FLAG_CURVE)
        return s_fail (why, MF_BEACON_E_FLAGS);
    if (port == 0)
        return s_fail (why, MF_BEACON_E_PORT);
    bool curve = flags & MF_BEACON_FLAG_CURVE;
    char text [MF_CURVE_KEY_TXT + 1];
    memcpy (text, key, MF_CURVE_KEY_TXT);
    text [MF_CURVE_KEY_TXT] = 0;
    if (curve && mf_curve_z85_key (text, NULL))
        return s_fail (why, MF_BEACON_E_KEY);
    for (size_t index = 0; !curve && index < MF_CURVE_KEY_TXT; index++)
        if (key [index])
            return s_fail (why, MF_BEACON_E_KEY);
    beacon->port = port;
    beacon->curve = curve;
    beacon->id = id;
    memcpy (beacon->key, curve? text: "", curve? sizeof text: 1);
    if (why)
        *why = MF_BEACON_OK;
    return 0;
}

const char *
mf_beacon_error_name (mf_beacon_error_t why)
{
    static const char *names [MF_BEACON_E_COUNT] = {
        "ok", "size", "magic", "version", "flags", "port", "key"
    };
    return (unsigned) why < MF_BEACON_E_COUNT? names [why]: "unknown";
}

mf_beacon_verdict_t
mf_beacon_judge (const mf_beacon_t *beacon, const char *master_key)
{
    if (!master_key)
        return beacon->curve? MF_BEACON_NEEDS_KEYS: MF_BEACON_FOLLOW;
    if (!beacon->curve)
        return MF_BEACON_NO_KEYS;
    return strcmp (beacon->key, master_key) == 0? MF_BEACON_FOLLOW: MF_BEACON_OTHER_KEY;
}

const char *
mf_beacon_verdict_name (mf_beacon_verdict_t verdict)
{
    static const char *names [MF_BEACON_VERDICT_COUNT] = {
        "followed", "another master's key (not --master-key)",
        "a master with keys (this worker has none: --cert, --master-key)",
        "a master without keys (this worker talks only CURVE)"
    };
    return (unsigned) verdict < MF_BEACON_VERDICT_COUNT? names [verdict]: "unknown";
}
