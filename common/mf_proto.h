/*  mf_proto: the wire between master and workers, version 1.

    Every message is one ZeroMQ frame (the master's ROUTER adds the peer's
    routing id in front). It starts with a 4-byte header, magic "MF",
    version, type, followed by a fixed body per type; all integers and
    floats are little-endian. docs/PROTOCOL.md describes it byte by byte.

    Encoders write into a caller's buffer and return the bytes written (0
    if the buffer is too small). Each layout is written once per direction,
    as a sequence of mf_cursor calls in mf_proto.c; the MF_SIZE_ constants
    below are what those sequences add up to (asserted). The decoder checks magic, version, type,
    the exact size and every field's range before it fills a mf_msg_t;
    on failure it returns -1 and says why, and the caller counts and drops
    the message. No function here touches a socket.
*/
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include "mf_kernel.h"
#include "mf_le.h"          //  a RESULT's mu: mf_le_put_f32s, mf_le_get_f32s

#include <stddef.h>
#include <stdint.h>

#define MF_PROTO_VERSION 1
#define MF_PROTO_HEADER 4              //  bytes: 'M', 'F', version, type
#define MF_PROTO_MAX_CREDIT 1024       //  most tiles a worker may ask for at once
#define MF_PROTO_MAX_THREADS 4096      //  most compute threads a worker may report
#define MF_PROTO_KERNEL_LEN 16         //  bytes of the kernel name field
#define MF_PROTO_HOST_LEN 48           //  bytes of the host name field
#define MF_PROTO_HB_MIN 10             //  smallest heartbeat interval, msecs
#define MF_PROTO_HB_MAX 60000          //  largest heartbeat interval, msecs

//  Sizes of whole messages, header included.
#define MF_SIZE_HELLO   (MF_PROTO_HEADER + 20 + MF_PROTO_KERNEL_LEN + MF_PROTO_HOST_LEN)
#define MF_SIZE_WELCOME (MF_PROTO_HEADER + 8)
#define MF_SIZE_READY   (MF_PROTO_HEADER + 4)
#define MF_SIZE_TILE    (MF_PROTO_HEADER + 56)
#define MF_SIZE_RESULT_HEAD (MF_PROTO_HEADER + 40)   //  then 4 * w * h bytes of mu
#define MF_SIZE_EMPTY   (MF_PROTO_HEADER)
#define MF_SIZE_CANCEL  (MF_PROTO_HEADER + 4)

//  Largest message a master accepts (a full result of the largest tile).
#define MF_PROTO_MAX_MESSAGE \
    (MF_SIZE_RESULT_HEAD + 4 * (size_t) MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE)

typedef enum {
    MF_MSG_HELLO = 1,       //  worker -> master: I am here, with this much credit
    MF_MSG_WELCOME = 2,     //  master -> worker: registered; heartbeat interval
    MF_MSG_READY = 3,       //  worker -> master: more credit
    MF_MSG_TILE = 4,        //  master -> worker: compute this tile (a lease)
    MF_MSG_RESULT = 5,      //  worker -> master: mu of a leased tile
    MF_MSG_HEARTBEAT = 6,   //  both ways: still alive
    MF_MSG_CANCEL = 7,      //  master -> worker: drop every tile of this job
    MF_MSG_BYE = 8,         //  worker -> master: leaving; my leases are void
    MF_MSG_REGISTER = 9     //  master -> worker: I do not know you; send HELLO
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

typedef struct {
    uint32_t credit;                        //  tiles it can take now, 0..MAX_CREDIT
    uint32_t threads;                       //  compute threads, 1..MAX_THREADS
    uint32_t pid;                           //  process id, for people
    uint64_t uid;                           //  random id of this worker process
    char kernel [MF_PROTO_KERNEL_LEN + 1];  //  kernel variant in use
    char host [MF_PROTO_HOST_LEN + 1];      //  host name, for people
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
    const uint8_t *mu;                      //  4 * w * h bytes inside the frame
} mf_result_t;

typedef struct {
    mf_msg_type_t type;
    union {
        mf_hello_t hello;
        mf_welcome_t welcome;
        uint32_t credit;                    //  READY
        mf_tile_msg_t tile;
        mf_result_t result;
        uint32_t job;                       //  CANCEL
    } u;
} mf_msg_t;

//  Decodes one frame. Returns 0, or -1 with *why set; msg is valid only
//  after 0. A RESULT's mu points into data, which must outlive its use.
int mf_proto_decode (const uint8_t *data, size_t size, mf_msg_t *msg,
                     mf_proto_error_t *why);

//  A short name for an error, for logs and counters.
const char *mf_proto_error_name (mf_proto_error_t why);

//  Encoders: return the bytes written, or 0 when capacity is too small.
size_t mf_proto_encode_hello (uint8_t *buf, size_t capacity, const mf_hello_t *hello);
size_t mf_proto_encode_welcome (uint8_t *buf, size_t capacity, const mf_welcome_t *welcome);
size_t mf_proto_encode_ready (uint8_t *buf, size_t capacity, uint32_t credit);
size_t mf_proto_encode_tile (uint8_t *buf, size_t capacity, const mf_tile_msg_t *tile);
size_t mf_proto_encode_cancel (uint8_t *buf, size_t capacity, uint32_t job);
//  HEARTBEAT, BYE and REGISTER have no body.
size_t mf_proto_encode_empty (uint8_t *buf, size_t capacity, mf_msg_type_t type);

//  Size of a RESULT for a tile of w x h pixels.
size_t mf_proto_result_size (uint32_t w, uint32_t h);

//  Writes a RESULT's header; the caller then writes the mu values with
//  mf_le_put_f32s (mf_le.h) at buf + MF_SIZE_RESULT_HEAD. Returns the
//  header size or 0.
size_t mf_proto_encode_result_head (uint8_t *buf, size_t capacity, const mf_result_t *result);

//  Checks that every one of count little-endian mu values can occur for
//  maxiter: -1, or finite in [0, maxiter]. Returns 0 or -1.
int mf_proto_check_mu (const uint8_t *src, size_t count, uint32_t maxiter);

#endif
