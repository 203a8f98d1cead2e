/*  mf_proto: the wire between master and workers, version 2.

    Every message is one ZeroMQ frame (the master's ROUTER adds the peer's
    routing id in front). It starts with a 4-byte header, magic "MF",
    version, type, followed by a fixed body per type (RESULT and CHUNK
    end in a payload whose size their fields give); all integers and
    floats are little-endian. docs/PROTOCOL.md describes it byte by byte.

    Version 2 adds deep zoom: a deep lease (DEEPTILE) names its reference
    orbit by id (mf_ship.h), and a worker that does not hold that orbit
    fetches it in chunks (FETCH, CHUNK; NOORBIT when the master no longer
    holds it) or declines the lease (DECLINE). HELLO says how many cores
    the worker's machine has and how fast its kernel is; RESULT says in
    what format its mu travel (f32 for shallow tiles, f64 for deep ones)
    and how they are encoded: raw, or compressed (mf_rcodec.h), which
    mf_proto_result_plain undoes.

    Encoders write into a caller's buffer and return the bytes written (0
    if the buffer is too small). Each layout is written once per direction,
    as a sequence of mf_cursor calls in mf_proto.c; the MF_SIZE_ constants
    below are what those sequences add up to (asserted). The decoder checks
    magic, version, type, the exact size and every field's range before it
    fills a mf_msg_t; on failure it returns -1 and says why, and the caller
    counts and drops the message. No function here touches a socket.
*/
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include "mf_deep.h"
#include "mf_kernel.h"
#include "mf_le.h"          //  a RESULT's mu: mf_le_put_f32s, mf_le_get_f32s
#include "mf_rcodec.h"      //  a RESULT's compressed mu
#include "mf_ship.h"        //  mf_orbit_id_t

#include <stddef.h>
#include <stdint.h>

#define MF_PROTO_VERSION 2
#define MF_PROTO_HEADER 4              //  bytes: 'M', 'F', version, type
#define MF_PROTO_MAX_CREDIT 1024       //  most tiles a worker may ask for at once
#define MF_PROTO_MAX_THREADS 4096      //  most compute threads a worker may report
#define MF_PROTO_MAX_CORES 65536       //  most cores a worker may report (0: unknown)
#define MF_PROTO_KERNEL_LEN 16         //  bytes of the kernel name field
#define MF_PROTO_HOST_LEN 48           //  bytes of the host name field
#define MF_PROTO_HB_MIN 10             //  smallest heartbeat interval, msecs
#define MF_PROTO_HB_MAX 60000          //  largest heartbeat interval, msecs
#define MF_PROTO_CHUNK_MAX 262144      //  bytes of orbit one CHUNK carries, at most (256 KiB)
#define MF_PROTO_EXP_MIN MF_ORBIT_MIN_EXP   //  lowest exponent of a deep map's floatexp
#define MF_PROTO_EXP_MAX 1023          //  highest exponent of a deep map's floatexp

//  Sizes of whole messages, header included.
#define MF_SIZE_HELLO   (MF_PROTO_HEADER + 28 + MF_PROTO_KERNEL_LEN + MF_PROTO_HOST_LEN)
#define MF_SIZE_WELCOME (MF_PROTO_HEADER + 8)
#define MF_SIZE_READY   (MF_PROTO_HEADER + 4)
#define MF_SIZE_TILE    (MF_PROTO_HEADER + 56)
#define MF_SIZE_RESULT_HEAD (MF_PROTO_HEADER + 48)   //  then the mu payload
#define MF_SIZE_RESULT_SHARED (MF_SIZE_RESULT_HEAD + 4)  //  encoding 2: the slot
#define MF_SIZE_EMPTY   (MF_PROTO_HEADER)
#define MF_SIZE_CANCEL  (MF_PROTO_HEADER + 4)
#define MF_SIZE_DEEPTILE (MF_PROTO_HEADER + 84 + MF_SHIP_ID_SIZE + 16)
#define MF_SIZE_FETCH   (MF_PROTO_HEADER + MF_SHIP_ID_SIZE + 12)
#define MF_SIZE_CHUNK_HEAD (MF_PROTO_HEADER + MF_SHIP_ID_SIZE + 20)  //  then the bytes
#define MF_SIZE_NOORBIT (MF_PROTO_HEADER + MF_SHIP_ID_SIZE)
#define MF_SIZE_DECLINE (MF_PROTO_HEADER + 16 + MF_SHIP_ID_SIZE)

//  Largest message a master accepts (a full f64 result of the largest
//  tile), and the largest a worker accepts (a full CHUNK).
#define MF_PROTO_MAX_MESSAGE \
    (MF_SIZE_RESULT_HEAD + 8 * (size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE)
#define MF_PROTO_MAX_TO_WORKER (MF_SIZE_CHUNK_HEAD + (size_t) MF_PROTO_CHUNK_MAX)

typedef enum {
    MF_MSG_HELLO = 1,       //  worker -> master: I am here, with this much credit
    MF_MSG_WELCOME = 2,     //  master -> worker: registered; heartbeat interval
    MF_MSG_READY = 3,       //  worker -> master: more credit
    MF_MSG_TILE = 4,        //  master -> worker: compute this tile (a lease)
    MF_MSG_RESULT = 5,      //  worker -> master: mu of a leased tile
    MF_MSG_HEARTBEAT = 6,   //  both ways: still alive
    MF_MSG_CANCEL = 7,      //  master -> worker: drop every tile of this job
    MF_MSG_BYE = 8,         //  worker -> master: leaving; my leases are void
    MF_MSG_REGISTER = 9,    //  master -> worker: I do not know you; send HELLO
    MF_MSG_DEEPTILE = 10,   //  master -> worker: compute this deep tile (a lease)
    MF_MSG_FETCH = 11,      //  worker -> master: send me these bytes of an orbit
    MF_MSG_CHUNK = 12,      //  master -> worker: bytes of an orbit, as asked
    MF_MSG_NOORBIT = 13,    //  master -> worker: I do not hold that orbit (any more)
    MF_MSG_DECLINE = 14     //  worker -> master: I cannot compute this deep lease
} mf_msg_type_t;

typedef enum {
    MF_PROTO_OK = 0,
    MF_PROTO_E_SHORT,       //  shorter than a header
    MF_PROTO_E_MAGIC,       //  not "MF"
    MF_PROTO_E_VERSION,     //  another protocol version
    MF_PROTO_E_TYPE,        //  unknown type
    MF_PROTO_E_SIZE,        //  wrong size for its type
    MF_PROTO_E_FIELD,       //  a field out of its range
    MF_PROTO_E_COUNT
} mf_proto_error_t;

//  How a RESULT's mu values travel.
typedef enum {
    MF_MU_F32 = 0,          //  binary32, 4 bytes a pixel: shallow tiles
    MF_MU_F64 = 1           //  binary64, 8 bytes a pixel: deep tiles
} mf_mu_format_t;

//  How a RESULT's payload holds its mu values.
#define MF_ENCODING_RAW 0   //  the values as they are: 4 or 8 bytes each
#define MF_ENCODING_ZSTD 1  //  compressed (mf_rcodec.h): fewer bytes than raw
#define MF_ENCODING_SHARED 2    //  in a slot of memory the master shares with the
                                //  local workers it forked (mf_shm.h): the payload
                                //  is the slot's number, 4 bytes

//  Why a worker declines a deep lease.
typedef enum {
    MF_DECLINE_TOO_LARGE = 1,   //  the orbit does not fit this worker's memory budget
    MF_DECLINE_BAD_ORBIT = 2,   //  the orbit failed a check (chunks, frame, hash, bytes)
    MF_DECLINE_NO_ORBIT = 3,    //  the master answered NOORBIT
    MF_DECLINE_NO_ANSWER = 4,   //  the master did not answer the worker's FETCHes
    MF_DECLINE_NO_MEMORY = 5,   //  the worker ran out of memory
    MF_DECLINE_COUNT
} mf_decline_reason_t;

typedef struct {
    uint32_t credit;                        //  tiles it can take now, 0..MAX_CREDIT
    uint32_t threads;                       //  compute threads, 1..MAX_THREADS
    uint32_t pid;                           //  process id, for people
    uint64_t uid;                           //  random id of this worker process
    char kernel [MF_PROTO_KERNEL_LEN + 1];  //  kernel variant in use
    char host [MF_PROTO_HOST_LEN + 1];      //  host name, for people
    uint32_t cores;                         //  online CPUs of its machine, 0: unknown
    uint32_t speed;                         //  its kernel's speed on one thread,
                                            //  kilo-iterations per second; 0: unknown
} mf_hello_t;

typedef struct {
    uint32_t heartbeat_ms;                  //  interval both sides use, msecs
    uint32_t session;                       //  random id of this master run
} mf_welcome_t;

typedef struct {
    uint32_t job;                           //  job the tile belongs to
    uint32_t tile;                          //  tile id within the job
    uint32_t lease;                         //  lease id, unique within a master run
    mf_task_t task;                         //  what to compute
} mf_tile_msg_t;

typedef struct {
    uint32_t job;
    uint32_t tile;
    uint32_t lease;
    mf_rect_t rect;                         //  must equal the leased tile's
    uint32_t compute_us;                    //  time the kernel took, usecs
    uint64_t iterations;                    //  iterations performed
    const uint8_t *mu;                      //  the payload, inside the frame
    mf_mu_format_t format;                  //  f32 or f64
    uint8_t encoding;                       //  MF_ENCODING_RAW, _ZSTD or _SHARED
    uint32_t size;                          //  bytes of the payload (the encoder
                                            //  derives it from format, w and h
                                            //  when raw; 4 when shared)
    uint32_t slot;                          //  shared: the slot holding the mu
                                            //  (mu is then NULL)
} mf_result_t;

//  A deep lease: compute this tile of the job's deep view, from the
//  reference orbit of that id.
typedef struct {
    uint32_t job;
    uint32_t tile;
    uint32_t lease;
    uint32_t maxiter;                       //  maximum iterations, >= 1
    mf_rect_t rect;                         //  the tile, in pixels of the whole image
    mf_deep_map_t map;                      //  the job's view, as the kernels take it
    mf_orbit_id_t orbit;                    //  the reference orbit's id
    uint64_t shipped;                       //  bytes of the shipped (compressed) orbit
    uint64_t raw;                           //  bytes of its canonical form
} mf_deeptile_t;

typedef struct {
    mf_orbit_id_t orbit;
    uint64_t offset;                        //  first byte of the shipped orbit wanted
    uint32_t length;                        //  bytes wanted, 1..MF_PROTO_CHUNK_MAX
} mf_fetch_t;

typedef struct {
    mf_orbit_id_t orbit;
    uint64_t offset;                        //  where these bytes sit in the shipped orbit
    uint64_t total;                         //  bytes of the whole shipped orbit
    uint32_t length;                        //  bytes carried, 1..MF_PROTO_CHUNK_MAX
    const uint8_t *data;                    //  the bytes (inside the frame, decoded)
} mf_chunk_t;

typedef struct {
    uint32_t job;                           //  from the DEEPTILE
    uint32_t tile;
    uint32_t lease;
    mf_decline_reason_t reason;
    mf_orbit_id_t orbit;                    //  the orbit it named
} mf_decline_t;

typedef struct {
    mf_msg_type_t type;
    union {
        mf_hello_t hello;
        mf_welcome_t welcome;
        uint32_t credit;                    //  READY
        mf_tile_msg_t tile;
        mf_result_t result;
        uint32_t job;                       //  CANCEL
        mf_deeptile_t deeptile;
        mf_fetch_t fetch;
        mf_chunk_t chunk;
        mf_orbit_id_t orbit;                //  NOORBIT
        mf_decline_t decline;
    } u;
} mf_msg_t;

//  Decodes one frame. Returns 0, or -1 with *why set; msg is valid only
//  after 0. A RESULT's mu and a CHUNK's data point into data, which must
//  outlive their use.
int mf_proto_decode (const uint8_t *data, size_t size, mf_msg_t *msg,
                     mf_proto_error_t *why);

//  The version byte of a frame that carries our magic, or -1: to say
//  which version a peer speaks when mf_proto_decode says E_VERSION.
int mf_proto_version_of (const uint8_t *data, size_t size);

//  A short name for an error, for logs and counters.
const char *mf_proto_error_name (mf_proto_error_t why);

//  A short name for a reason to decline, for logs ("unknown" if none).
const char *mf_proto_decline_name (mf_decline_reason_t reason);

//  Encoders: return the bytes written, or 0 when capacity is too small.
size_t mf_proto_encode_hello (uint8_t *buf, size_t capacity, const mf_hello_t *hello);
size_t mf_proto_encode_welcome (uint8_t *buf, size_t capacity, const mf_welcome_t *welcome);
size_t mf_proto_encode_ready (uint8_t *buf, size_t capacity, uint32_t credit);
size_t mf_proto_encode_tile (uint8_t *buf, size_t capacity, const mf_tile_msg_t *tile);
size_t mf_proto_encode_cancel (uint8_t *buf, size_t capacity, uint32_t job);
size_t mf_proto_encode_deeptile (uint8_t *buf, size_t capacity, const mf_deeptile_t *tile);
size_t mf_proto_encode_fetch (uint8_t *buf, size_t capacity, const mf_fetch_t *fetch);
size_t mf_proto_encode_noorbit (uint8_t *buf, size_t capacity, const mf_orbit_id_t *orbit);
size_t mf_proto_encode_decline (uint8_t *buf, size_t capacity, const mf_decline_t *decline);
//  HEARTBEAT, BYE and REGISTER have no body.
size_t mf_proto_encode_empty (uint8_t *buf, size_t capacity, mf_msg_type_t type);

//  A CHUNK, its length bytes copied from chunk->data: MF_SIZE_CHUNK_HEAD
//  + length bytes.
size_t mf_proto_encode_chunk (uint8_t *buf, size_t capacity, const mf_chunk_t *chunk);

//  Bytes a pixel's mu takes in a format: 4 or 8.
size_t mf_proto_mu_bytes (mf_mu_format_t format);

//  Size of a RESULT of f32 mu for a tile of w x h pixels (a shallow one).
size_t mf_proto_result_size (uint32_t w, uint32_t h);

//  Size of a raw RESULT in either format.
size_t mf_proto_result_size_as (mf_mu_format_t format, uint32_t w, uint32_t h);

//  Writes a RESULT's header (result->format and ->encoding; when raw,
//  result->size is ignored: the payload is w * h values; when encoded,
//  it is the payload's bytes, 1 to fewer than raw); the caller then
//  writes the payload at buf + MF_SIZE_RESULT_HEAD: raw mu with
//  mf_le_put_f32s (mf_le.h) or mf_proto_put_f64s, or what
//  mf_rcodec_encode made of them. Returns the header size or 0.
size_t mf_proto_encode_result_head (uint8_t *buf, size_t capacity, const mf_result_t *result);

//  Writes a whole RESULT of encoding 2 (shared): its head, then
//  result->slot, where the mu wait in memory shared with the master.
//  Returns MF_SIZE_RESULT_SHARED or 0.
size_t mf_proto_encode_result_shared (uint8_t *buf, size_t capacity, const mf_result_t *result);

//  Bytes of a RESULT's raw payload: 4 or 8 times w * h.
size_t mf_proto_result_raw (const mf_result_t *result);

//  Sets *plain to result with its payload raw: the same when it is,
//  -1 when shared (the engine reads those from the sender's slot), else
//  decoded with codec (plain->mu then points into the codec, valid
//  until its next call). Returns 0, or -1 with one line in err when the
//  payload does not decode to exactly its raw size. Its values are not
//  checked here (mf_proto_check_mu).
int mf_proto_result_plain (mf_rcodec_t *codec, const mf_result_t *result, mf_result_t *plain,
                           char *err, size_t errlen);

//  Stores count doubles little-endian at dst (8 bytes each), and loads
//  them back.
void mf_proto_put_f64s (uint8_t *dst, const double *src, size_t count);
void mf_proto_get_f64s (double *dst, const uint8_t *src, size_t count);

//  Checks that every one of count little-endian f32 mu values can occur
//  for maxiter: -1, or finite in [0, maxiter]. Returns 0 or -1.
int mf_proto_check_mu (const uint8_t *src, size_t count, uint32_t maxiter);

//  The same for f64 mu values.
int mf_proto_check_mu64 (const uint8_t *src, size_t count, uint32_t maxiter);

//  The most raw bytes a deep lease of maxiter and delta type may declare
//  for its orbit: the header and maxiter + 1 points (mf_orbit.h).
uint64_t mf_proto_raw_max (uint32_t maxiter, mf_delta_t type);

#endif
