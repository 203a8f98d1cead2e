/*  mf_journal: see journal.h.

    File layout, all little-endian:

      header (64 bytes)
        0  "MFJ1"           magic
        4  u32 1            version
        8  f64 center_re    12 f64s and u32s naming the render
       16  f64 center_im
       24  f64 width
       32  u32 width_px     36 u32 height_px
       40  u32 maxiter      44 u32 tile edge
       48  u32 CRC-32 of bytes 0..47
       52  zeros to 64

      record
        0  u8  type ('L', 'D', 'X')    1..3 zeros
        4  u32 tile id
        8  u32 payload size (8 + 4 * w * h for 'D', else 0)
       12  payload: for 'D', u64 owner uid (0: no single owner), then f32 mu
     12+n  u32 CRC-32 of bytes 0 .. 12+n-1

    Each record goes out in one write(2) on an O_APPEND descriptor, so a
    kill leaves at most the last record torn; the CRC finds it.
*/
#include "journal.h"
#include "mf_le.h"
#include "mf_log.h"
#include "mf_proto.h"

#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OWNER 8                         //  bytes of the owner uid in a DONE payload
#define MAX_PAYLOAD (OWNER + 4u * MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE)

struct _mf_journal_t {
    int fd;                             //  the file; -1 before it exists, or once
                                        //  writing failed
    char *path;                         //  file name, for messages and removal
    uint8_t *buffer;                    //  one record being written
    size_t capacity;                    //  bytes of buffer
    uint8_t header [MF_JOURNAL_HEADER]; //  this render's header
    bool fresh;                         //  no journal yet: start writes the header
    off_t cut_at;                       //  a torn tail starts here (start cuts it); -1
    bool started;                       //  mf_journal_start succeeded
    bool created;                       //  start created the file
};

static uint32_t
s_crc (const uint8_t *data, size_t size)
{
    return (uint32_t) crc32_z (crc32 (0L, Z_NULL, 0), data, size);
}

static void
s_header (uint8_t *h, const mf_job_spec_t *spec)
{
    memset (h, 0, MF_JOURNAL_HEADER);
    memcpy (h, "MFJ1", 4);
    mf_le_put_u32 (h + 4, 1);
    mf_le_put_f64 (h + 8, spec->view.center_re);
    mf_le_put_f64 (h + 16, spec->view.center_im);
    mf_le_put_f64 (h + 24, spec->view.width);
    mf_le_put_u32 (h + 32, spec->view.pixel_w);
    mf_le_put_u32 (h + 36, spec->view.pixel_h);
    mf_le_put_u32 (h + 40, spec->maxiter);
    mf_le_put_u32 (h + 44, spec->tile_edge);
    mf_le_put_u32 (h + 48, s_crc (h, 48));
}

size_t
mf_journal_encode (uint8_t *buf, size_t capacity, mf_journal_type_t type,
                   uint32_t tile, const uint8_t *payload, uint32_t payload_size)
{
    size_t size = MF_JOURNAL_RECORD_HEAD + (size_t) payload_size + MF_JOURNAL_RECORD_TAIL;
    if (size > capacity)
        return 0;
    memset (buf, 0, 4);
    buf [0] = (uint8_t) type;
    mf_le_put_u32 (buf + 4, tile);
    mf_le_put_u32 (buf + 8, payload_size);
    //  mf_journal_done builds the payload in place: no copy then.
    if (payload_size && payload != buf + MF_JOURNAL_RECORD_HEAD)
        memcpy (buf + MF_JOURNAL_RECORD_HEAD, payload, payload_size);
    size_t body = MF_JOURNAL_RECORD_HEAD + payload_size;
    mf_le_put_u32 (buf + body, s_crc (buf, body));
    return size;
}

size_t
mf_journal_decode (const uint8_t *data, size_t size, mf_journal_record_t *record)
{
    if (!data || size < MF_JOURNAL_RECORD_HEAD + MF_JOURNAL_RECORD_TAIL)
        return 0;
    uint8_t type = data [0];
    if ((type != MF_JOURNAL_LEASED && type != MF_JOURNAL_DONE && type != MF_JOURNAL_WITHDRAWN)
    ||  data [1] || data [2] || data [3])
        return 0;
    uint32_t payload = mf_le_get_u32 (data + 8);
    //  Only DONE carries a payload: an owner and whole floats, no more than
    //  a tile holds.
    if (type == MF_JOURNAL_DONE? (payload < OWNER + 4 || payload % 4 || payload > MAX_PAYLOAD)
                               : payload != 0)
        return 0;
    size_t body = MF_JOURNAL_RECORD_HEAD + (size_t) payload;
    if (size < body + MF_JOURNAL_RECORD_TAIL)
        return 0;
    if (mf_le_get_u32 (data + body) != s_crc (data, body))
        return 0;
    record->type = (mf_journal_type_t) type;
    record->tile = mf_le_get_u32 (data + 4);
    record->payload_size = payload;
    record->payload = data + MF_JOURNAL_RECORD_HEAD;
    return body + MF_JOURNAL_RECORD_TAIL;
}

//  Reads exactly size bytes at offset; 0 or -1.
static int
s_read_at (int fd, uint8_t *buf, size_t size, off_t offset)
{
    while (size > 0) {
        ssize_t got = pread (fd, buf, size, offset);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            return -1;
        }
        buf += got;
        size -= (size_t) got;
        offset += got;
    }
    return 0;
}

//  Says which render parameter of the journal differs from spec.
static void
s_describe_mismatch (const uint8_t *have, const mf_job_spec_t *spec, char *what, size_t size)
{
    uint8_t want [MF_JOURNAL_HEADER];
    s_header (want, spec);
    if (memcmp (have + 8, want + 8, 24))
        snprintf (what, size, "another region (--center/--width/--region)");
    else
    if (memcmp (have + 32, want + 32, 8))
        snprintf (what, size, "--size %ux%u", mf_le_get_u32 (have + 32), mf_le_get_u32 (have + 36));
    else
    if (memcmp (have + 40, want + 40, 4))
        snprintf (what, size, "--iter %u", mf_le_get_u32 (have + 40));
    else
        snprintf (what, size, "--tile %u", mf_le_get_u32 (have + 44));
}

//  Replays the records after the header. Returns 0, or -1 on a read error.
static int
s_replay (mf_journal_t *self, const mf_job_spec_t *spec, off_t file_size,
          mf_journal_tile_fn *fn, void *arg, mf_journal_info_t *info)
{
    mf_tiles_t *tiles = mf_tiles_new (spec->view.pixel_w, spec->view.pixel_h, spec->tile_edge);
    if (!tiles)
        return -1;
    uint32_t count = mf_tiles_count (tiles);
    off_t *done_at = malloc (count * sizeof *done_at);       //  offset of a valid DONE, or -1
    uint8_t *leased = calloc (count, 1);
    if (!done_at || !leased) {
        free (done_at);
        free (leased);
        mf_tiles_destroy (&tiles);
        return -1;
    }
    for (uint32_t tile = 0; tile < count; tile++)
        done_at [tile] = -1;
    off_t offset = MF_JOURNAL_HEADER;
    while (offset < file_size) {
        //  Read the head first to learn the size, then the whole record.
        uint8_t head [MF_JOURNAL_RECORD_HEAD];
        if (file_size - offset < (off_t) (MF_JOURNAL_RECORD_HEAD + MF_JOURNAL_RECORD_TAIL)
        ||  s_read_at (self->fd, head, sizeof head, offset))
            break;
        uint32_t payload = mf_le_get_u32 (head + 8);
        size_t size = MF_JOURNAL_RECORD_HEAD + (size_t) payload + MF_JOURNAL_RECORD_TAIL;
        if (size > self->capacity || (off_t) size > file_size - offset
        ||  s_read_at (self->fd, self->buffer, size, offset))
            break;
        mf_journal_record_t record;
        if (mf_journal_decode (self->buffer, size, &record) != size || record.tile >= count)
            break;
        if (record.type == MF_JOURNAL_DONE) {
            mf_rect_t r = mf_tiles_rect (tiles, record.tile);
            if (record.payload_size != OWNER + 4 * r.w * r.h
            ||  mf_proto_check_mu (record.payload + OWNER, (size_t) r.w * r.h, spec->maxiter))
                break;
            done_at [record.tile] = offset;
        }
        else
        if (record.type == MF_JOURNAL_WITHDRAWN)
            done_at [record.tile] = -1;
        else
            leased [record.tile] = 1;
        info->records++;
        offset += (off_t) size;
    }
    if (offset < file_size) {
        //  A torn or corrupt record: cut it and everything after it off.
        //  Cut by mf_journal_start, once the render really runs.
        info->cut_bytes = (uint64_t) (file_size - offset);
        self->cut_at = offset;
    }
    int rc = 0;
    for (uint32_t tile = 0; tile < count && rc == 0; tile++) {
        if (done_at [tile] >= 0) {
            mf_rect_t r = mf_tiles_rect (tiles, tile);
            size_t size = OWNER + 4 * (size_t) r.w * r.h;
            rc = s_read_at (self->fd, self->buffer, size,
                            done_at [tile] + MF_JOURNAL_RECORD_HEAD);
            if (rc == 0) {
                uint64_t owner = (uint64_t) mf_le_get_u32 (self->buffer)
                               | (uint64_t) mf_le_get_u32 (self->buffer + 4) << 32;
                fn (arg, tile, owner, self->buffer + OWNER);
                info->done++;
            }
        }
        else
        if (leased [tile])
            info->in_flight++;
    }
    free (done_at);
    free (leased);
    mf_tiles_destroy (&tiles);
    return rc;
}

mf_journal_t *
mf_journal_open (const char *path, const mf_job_spec_t *spec,
                 mf_journal_tile_fn *fn, void *arg,
                 mf_journal_info_t *info, char *err, size_t errlen)
{
    memset (info, 0, sizeof *info);
    mf_journal_t *self = calloc (1, sizeof *self);
    if (self) {
        self->path = strdup (path);
        //  No valid record of this render is bigger than one of its tiles.
        self->capacity = MF_JOURNAL_RECORD_HEAD + OWNER
                       + 4 * (size_t) spec->tile_edge * spec->tile_edge + MF_JOURNAL_RECORD_TAIL;
        self->buffer = malloc (self->capacity);
    }
    if (!self || !self->path || !self->buffer) {
        snprintf (err, errlen, "out of memory");
        mf_journal_destroy (&self, false);
        return NULL;
    }
    //  Reading only: nothing is written until mf_journal_start, so a run
    //  refused after this leaves the file as it was (or absent).
    self->cut_at = -1;
    s_header (self->header, spec);
    self->fd = open (path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (self->fd < 0 && errno == ENOENT) {
        self->fresh = true;
        return self;
    }
    if (self->fd < 0 || fstat (self->fd, &st)) {
        snprintf (err, errlen, "cannot open '%s': %s", path, strerror (errno));
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (st.st_size == 0) {
        self->fresh = true;     //  an empty file: it becomes this render's journal
        return self;
    }
    uint8_t header [MF_JOURNAL_HEADER];
    if (st.st_size < MF_JOURNAL_HEADER
    ||  s_read_at (self->fd, header, sizeof header, 0)
    ||  memcmp (header, "MFJ1", 4) || mf_le_get_u32 (header + 4) != 1
    ||  mf_le_get_u32 (header + 48) != s_crc (header, 48)) {
        snprintf (err, errlen, "'%s' is not a mandelfarm checkpoint (or its header is "
                  "damaged); give another file, or delete it to start over", path);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (memcmp (header, self->header, 48)) {
        char what [128];
        s_describe_mismatch (header, spec, what, sizeof what);
        snprintf (err, errlen, "'%s' belongs to another render (%s); use the same "
                  "arguments, another file, or delete it to start over", path, what);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (s_replay (self, spec, st.st_size, fn, arg, info)) {
        snprintf (err, errlen, "cannot read '%s': %s", path, strerror (errno));
        mf_journal_destroy (&self, false);
        return NULL;
    }
    return self;
}

int
mf_journal_start (mf_journal_t *self, char *err, size_t errlen)
{
    if (self->fd < 0) {
        //  O_EXCL: a file that appeared meanwhile is not ours to write.
        self->fd = open (self->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (self->fd < 0) {
            snprintf (err, errlen, "cannot create '%s': %s", self->path, strerror (errno));
            return -1;
        }
        self->created = true;
    }
    if (self->fresh
    &&  write (self->fd, self->header, sizeof self->header) != (ssize_t) sizeof self->header) {
        snprintf (err, errlen, "cannot write '%s': %s", self->path, strerror (errno));
        return -1;
    }
    if (self->cut_at >= 0 && ftruncate (self->fd, self->cut_at) != 0) {
        snprintf (err, errlen, "cannot cut the torn end of '%s': %s", self->path,
                  strerror (errno));
        return -1;
    }
    //  From here on, records only ever go to the end.
    int flags = fcntl (self->fd, F_GETFL);
    if (flags < 0 || fcntl (self->fd, F_SETFL, flags | O_APPEND) < 0) {
        snprintf (err, errlen, "cannot append to '%s': %s", self->path, strerror (errno));
        return -1;
    }
    self->started = true;
    return 0;
}

static int
s_append (mf_journal_t *self, mf_journal_type_t type, uint32_t tile,
          const uint8_t *payload, uint32_t payload_size)
{
    if (!self->started || self->fd < 0)
        return -1;
    size_t size = mf_journal_encode (self->buffer, self->capacity, type, tile,
                                     payload, payload_size);
    assert (size);
    const uint8_t *cursor = self->buffer;
    while (size > 0) {
        ssize_t done = write (self->fd, cursor, size);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0) {
            mf_warn ("cannot write the checkpoint %s (%s); the render goes on without it",
                     self->path, strerror (errno));
            close (self->fd);
            self->fd = -1;
            return -1;
        }
        cursor += done;
        size -= (size_t) done;
    }
    return 0;
}

int
mf_journal_leased (mf_journal_t *self, uint32_t tile)
{
    return s_append (self, MF_JOURNAL_LEASED, tile, NULL, 0);
}

int
mf_journal_done (mf_journal_t *self, uint32_t tile, uint64_t owner,
                 const float *mu, size_t count)
{
    if (MF_JOURNAL_RECORD_HEAD + OWNER + count * 4 + MF_JOURNAL_RECORD_TAIL > self->capacity)
        return -1;
    //  The payload is little-endian on disk, as on the wire.
    uint8_t *bytes = self->buffer + MF_JOURNAL_RECORD_HEAD;
    mf_le_put_u32 (bytes, (uint32_t) owner);
    mf_le_put_u32 (bytes + 4, (uint32_t) (owner >> 32));
    mf_le_put_f32s (bytes + OWNER, mu, count);
    return s_append (self, MF_JOURNAL_DONE, tile, bytes, (uint32_t) (OWNER + count * 4));
}

int
mf_journal_withdrawn (mf_journal_t *self, uint32_t tile)
{
    return s_append (self, MF_JOURNAL_WITHDRAWN, tile, NULL, 0);
}

void
mf_journal_destroy (mf_journal_t **self_p, bool remove)
{
    assert (self_p);
    mf_journal_t *self = *self_p;
    if (!self)
        return;
    if (self->fd >= 0)
        close (self->fd);
    //  Only a journal this run wrote is ever removed.
    if (remove && self->started && self->path)
        unlink (self->path);
    free (self->path);
    free (self->buffer);
    free (self);
    *self_p = NULL;
}
