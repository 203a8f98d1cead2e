/*  mf_ship: a reference orbit as it travels from the master to its
    workers, and what a worker checks before it trusts one.

    Packing. The orbit's canonical bytes (mf_orbit_encode, the "raw"
    bytes) are compressed into one zstd frame at level 3 with long
    distance matching and a window of at most 2^27 bytes, as `zstd -3
    --long=27` does, that declares its content size: the shipped "blob".
    Orbits near a minibrot repeat bit for bit, so the blob is small (the
    brief measured 3.1 MB to 0.19 MB; zlib manages 1.2x). The orbit's id
    is the BLAKE2b-256 hash (libsodium's crypto_generichash, no key) of
    the raw bytes: equal ids, equal orbits, whoever computed them.

    Unpacking trusts nothing, and checks in this order, so that nothing
    is allocated or decompressed beyond what the caller allowed:

      1. the declared raw size (the lease's) is at most the caller's
         limit;
      2. the blob is exactly one zstd frame (no skippable frame, nothing
         after it, not truncated) whose header declares its content size,
         equal to the declared raw size, and a window of at most
         2^MF_SHIP_WINDOW_LOG bytes;
      3. it decompresses, in one call, into a buffer of exactly the
         declared size, and fills it exactly (a frame that holds more
         than it declares, a zip bomb, fails here without growing
         anything);
      4. the bytes hash to the id;
      5. they are a canonical orbit (mf_orbit_decode, strict).

    Pure functions: no sockets, no globals but libsodium's one-time
    initialisation.
*/
#ifndef MF_SHIP_H
#define MF_SHIP_H

#include "mf_orbit.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_SHIP_ID_SIZE 32              //  bytes of an orbit's id (BLAKE2b-256)
#define MF_SHIP_LEVEL 3                 //  zstd compression level
#define MF_SHIP_WINDOW_LOG 27           //  log2 of the largest zstd window, bytes

//  An orbit's name: the hash of its canonical bytes.
typedef struct {
    uint8_t bytes [MF_SHIP_ID_SIZE];
} mf_orbit_id_t;

typedef enum {
    MF_SHIP_OK = 0,
    MF_SHIP_E_LIMIT,                    //  declared raw size beyond the caller's limit
    MF_SHIP_E_FRAME,                    //  not one zstd frame of exactly the declared size
    MF_SHIP_E_HASH,                     //  the bytes do not hash to the id
    MF_SHIP_E_ORBIT,                    //  the bytes are not a canonical orbit
    MF_SHIP_E_MEMORY,                   //  out of memory
    MF_SHIP_E_COUNT
} mf_ship_error_t;

//  The largest blob a raw size can give: zstd's worst case
//  (ZSTD_compressBound, raw + raw/256 + 64 at most) with room to spare.
//  A blob declared larger is refused before a byte of it is fetched.
static inline uint64_t
mf_ship_blob_max (uint64_t raw)
{
    return raw + raw / 128 + 1024;
}

//  Whether two ids are the same.
static inline bool
mf_orbit_id_equal (const mf_orbit_id_t *a, const mf_orbit_id_t *b)
{
    uint8_t diff = 0;
    for (size_t index = 0; index < MF_SHIP_ID_SIZE; index++)
        diff |= a->bytes [index] ^ b->bytes [index];
    return diff == 0;
}

//  Computes the id of raw canonical bytes into id.
void mf_ship_id (const uint8_t *raw, size_t size, mf_orbit_id_t *id);

//  Writes the first 8 bytes of an id as 16 hex digits, for logs (text
//  holds 17 bytes).
void mf_ship_id_text (const mf_orbit_id_t *id, char *text);

//  Packs raw canonical bytes: sets id and *blob_p (a new buffer of
//  *blob_size bytes, the caller frees it). Returns 0, or -1 with the
//  reason in err (out of memory, a zstd failure).
int mf_ship_pack (const uint8_t *raw, size_t size, mf_orbit_id_t *id, uint8_t **blob_p,
                  size_t *blob_size, char *err, size_t errlen);

//  The same for an orbit: encodes it, packs it, and sets *raw_size to
//  its canonical size too (what a deep lease declares).
int mf_ship_pack_orbit (const mf_orbit_t *orbit, mf_orbit_id_t *id, uint8_t **blob_p,
                        size_t *blob_size, uint64_t *raw_size, char *err, size_t errlen);

//  Checks 1 to 3 above: returns the raw bytes (raw_size of them, a new
//  buffer the caller frees), or NULL with *why and one line in err.
uint8_t *mf_ship_inflate (const uint8_t *blob, size_t blob_size, uint64_t raw_size,
                          uint64_t limit, mf_ship_error_t *why, char *err, size_t errlen);

//  Checks 1 to 5 above: returns the orbit (the caller destroys it), or
//  NULL with *why and one line in err.
mf_orbit_t *mf_ship_unpack (const uint8_t *blob, size_t blob_size, uint64_t raw_size,
                            const mf_orbit_id_t *id, uint64_t limit, mf_ship_error_t *why,
                            char *err, size_t errlen);

//  A short name for a refusal, for logs and counters.
const char *mf_ship_error_name (mf_ship_error_t why);

#endif
