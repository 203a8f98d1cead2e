/*  Fuzzes the unpacking of a shipped reference orbit, mf_ship_inflate
    and mf_ship_unpack, as a worker meets it: a blob from the master and
    the sizes and id its lease declared.

    Input: 1 byte of mode, 8 bytes of the declared raw size (little-
    endian), 32 bytes of id, then the blob. With mode bit 0 set the id is
    replaced by the hash of what the blob inflates to, so that the
    fuzzer gets past the hash to the orbit's decoder. The limit is
    LIMIT bytes.

    Promises checked: a refusal says why, in one line, and a refusal
    before the hash is one of limit, frame, memory; nothing beyond the
    limit is ever returned; inflated bytes are exactly the declared size,
    which the frame declares too; an orbit that unpacks hashes to its id
    and encodes back to the very bytes inflated; with the id made to
    match, no refusal blames the hash.
*/
#include "fuzz.h"
#include "mf_le.h"
#include "mf_ship.h"

#include <string.h>
#include <zstd.h>

#define HEAD (1 + 8 + MF_SHIP_ID_SIZE)  //  bytes before the blob
#define LIMIT (4u << 20)                //  bytes an orbit may have here

static void
s_one_line (const char *err)
{
    FUZZ_CHECK (err [0] != 0);
    FUZZ_CHECK (strchr (err, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < HEAD)
        return 0;
    uint8_t mode = data [0];
    uint64_t raw_size = mf_le_get_u64 (data + 1);
    mf_orbit_id_t id;
    memcpy (id.bytes, data + 9, MF_SHIP_ID_SIZE);
    const uint8_t *blob = data + HEAD;
    size_t blob_size = size - HEAD;

    char err [256] = "";
    mf_ship_error_t why = MF_SHIP_E_COUNT;
    uint8_t *raw = mf_ship_inflate (blob, blob_size, raw_size, LIMIT, &why, err, sizeof err);
    if (!raw) {
        FUZZ_CHECK (why == MF_SHIP_E_LIMIT || why == MF_SHIP_E_FRAME || why == MF_SHIP_E_MEMORY);
        FUZZ_CHECK (strcmp (mf_ship_error_name (why), "unknown") != 0);
        s_one_line (err);
        //  Unpacking refuses the same way, before any hash.
        mf_ship_error_t again = MF_SHIP_E_COUNT;
        FUZZ_CHECK (!mf_ship_unpack (blob, blob_size, raw_size, &id, LIMIT, &again, err,
                                     sizeof err));
        FUZZ_CHECK (again == why);
        return 0;
    }
    FUZZ_CHECK (why == MF_SHIP_OK);
    FUZZ_CHECK (raw_size <= LIMIT);
    FUZZ_CHECK (ZSTD_getFrameContentSize (blob, blob_size) == raw_size);
    if (mode & 1)
        mf_ship_id (raw, (size_t) raw_size, &id);

    mf_orbit_t *orbit = mf_ship_unpack (blob, blob_size, raw_size, &id, LIMIT, &why, err,
                                        sizeof err);
    if (!orbit) {
        FUZZ_CHECK (why == MF_SHIP_E_HASH || why == MF_SHIP_E_ORBIT || why == MF_SHIP_E_MEMORY);
        FUZZ_CHECK (!((mode & 1) && why == MF_SHIP_E_HASH));
        s_one_line (err);
        free (raw);
        return 0;
    }
    FUZZ_CHECK (why == MF_SHIP_OK);
    FUZZ_CHECK (mf_orbit_encoded_size (orbit) == raw_size);
    uint8_t *again = malloc ((size_t) raw_size);
    FUZZ_CHECK (again != NULL);
    FUZZ_CHECK (mf_orbit_encode (orbit, again, (size_t) raw_size) == raw_size);
    FUZZ_CHECK (memcmp (again, raw, (size_t) raw_size) == 0);
    mf_orbit_id_t check;
    mf_ship_id (again, (size_t) raw_size, &check);
    FUZZ_CHECK (mf_orbit_id_equal (&check, &id));
    free (again);
    free (raw);
    mf_orbit_destroy (&orbit);
    return 0;
}
