/*  mf_journal: see journal.h.

    File layout, all little-endian (docs/PROTOCOL.md has the tables):

      header (64 bytes)
        "MFJ1", u32 version 2, u8 kind (0 shallow, 1 deep), 3 zeros,
        u32 maxiter (0: --iter auto, deep only), u32 width_px,
        u32 height_px, u32 tile edge, 32 bytes naming the view (shallow:
        f64 center_re, f64 center_im, f64 width, 8 zeros; deep: the
        BLAKE2b-256 of its canonical "CENTER WIDTH" texts), u32 CRC-32
        of everything before it

      record
        u8 type ('L', 'D', 'X'), 3 zeros, u32 tile id,
        u32 payload size n (8 + 4 * w * h for 'D', 8 + 8 * w * h when
        deep, else 0), n bytes of payload ('D': u64 owner uid, 0 for no
        single owner, then w * h f32 mu, f64 when deep), u32 CRC-32 of
        everything before it

    Both are written and read with mf_cursor: the order of the calls is
    the layout. Each record goes out in one write(2) on an O_APPEND
    descriptor, so a kill leaves at most the last record torn.

    What strangers can make us write. A peer decides how often tiles are
    leased (every HELLO voids its leases, and the tiles go out again), so
    a lease is journalled once per tile and journal: the file holds an L
    for a tile or it does not, and at most one L per tile whatever peers
    do. A withdrawal (X) is written only for a tile whose last D stands,
    so X records never outnumber D records; a D is written once each time
    the engine finishes a tile, which it does once, or again only after an
    X. So a journal holds at most T leases (T tiles), and T done tiles
    plus one more D and one X per withdrawn tile; withdrawals come only
    from a --verify quarantine, which costs the master computing a tile
    itself and bars that worker's uid for the rest of the run. Without
    --verify the whole file is at most the header, T leases and T tiles.

    Damage. The replay walks records by their length. At a record that is
    not valid for this render it looks for the next valid one: first
    where the damaged record's own length points (a flipped byte in its
    body), else at every later byte within one largest record (or
    RESYNC_MIN bytes, if more) of it (a damaged length). Found: the
    damaged bytes are skipped, left in the file, and counted. Not found:
    they were the end of the file (a torn last record) and are cut off
    when the render starts. Whether a record is valid, and so where the
    search lands, does not depend on where the file ends after it: the
    cut file replays to the same tiles.
*/
#include "journal.h"
#include "mf_cursor.h"
#include "mf_log.h"
#include "mf_proto.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define OWNER 8                         //  bytes of the owner uid in a DONE payload
#define MAX_PAYLOAD (OWNER + 8u * MF_TILE_MAX_EDGE * MF_TILE_MAX_EDGE)   //  a deep tile's
#define RECORD_MIN (MF_JOURNAL_RECORD_HEAD + MF_JOURNAL_RECORD_TAIL)  //  bytes of an L or X
#define RESYNC_MIN 65536                //  bytes searched at least for the next valid record
#define RESYNC_TRIES 64                 //  plausible records CRC-checked at most, per search

//  What the journal holds of each tile.
#define S_LEASED 1                      //  an L of it
#define S_DONE 2                        //  a D of it that no X followed

struct _mf_journal_t {
    int fd;                             //  the file; -1 before it exists, or once
                                        //  writing failed
    char *path;                         //  file name, for messages and removal
    const mf_tiles_t *tiles;            //  the job's grid (the caller's)
    uint32_t count;                     //  tiles in it
    uint32_t maxiter;                   //  the render's, to judge a D's mu (UINT32_MAX
                                        //  for --iter auto)
    bool deep;                          //  D records hold f64 mu
    size_t value;                       //  bytes of one mu: 4, or 8 when deep
    uint8_t *state;                     //  S_ bits by tile id: what the file holds
    uint8_t *buffer;                    //  one record being read or written
    size_t capacity;                    //  bytes of buffer: the largest record
    uint8_t *scan;                      //  bytes searched for the next valid record
    size_t window;                      //  offsets searched after a damaged record
    uint8_t header [MF_JOURNAL_HEADER]; //  this render's header
    bool fresh;                         //  no journal yet: start writes the header
    bool adopted;                       //  the file existed, empty: emptied, never
                                        //  removed, at the end
    off_t cut_at;                       //  a torn tail starts here (start cuts it); -1
    bool started;                       //  mf_journal_start succeeded
};

static uint32_t
s_crc (const uint8_t *data, size_t size)
{
    return (uint32_t) crc32_z (crc32 (0L, Z_NULL, 0), data, size);
}

#define VIEW_BYTES 32                   //  bytes of the header that name the view

//  The header's fields, as read back.
typedef struct {
    uint8_t magic [4];
    uint32_t version;
    uint8_t kind;                       //  0 shallow, 1 deep
    uint32_t maxiter, pixel_w, pixel_h, tile_edge;
    uint8_t view [VIEW_BYTES];          //  the view's name (see the top of this file)
    size_t crc_at;                      //  bytes the CRC covers
    uint32_t crc;
} s_header_t;

static void
s_header_write (uint8_t *h, const mf_job_spec_t *spec)
{
    mf_cursor_t out = mf_cursor_writer (h, MF_JOURNAL_HEADER);
    mf_cursor_put_bytes (&out, "MFJ1", 4);
    mf_cursor_put_u32 (&out, MF_JOURNAL_VERSION);
    mf_cursor_put_u8 (&out, spec->deep? 1: 0);
    mf_cursor_put_zeros (&out, 3);
    mf_cursor_put_u32 (&out, spec->maxiter);
    mf_cursor_put_u32 (&out, spec->view.pixel_w);
    mf_cursor_put_u32 (&out, spec->view.pixel_h);
    mf_cursor_put_u32 (&out, spec->tile_edge);
    if (spec->deep)
        mf_cursor_put_bytes (&out, spec->view_id.bytes, VIEW_BYTES);
    else {
        mf_cursor_put_f64 (&out, spec->view.center_re);
        mf_cursor_put_f64 (&out, spec->view.center_im);
        mf_cursor_put_f64 (&out, spec->view.width);
        mf_cursor_put_zeros (&out, VIEW_BYTES - 24);
    }
    mf_cursor_put_u32 (&out, s_crc (h, out.pos));
    assert (mf_cursor_done (&out));
}

//  Reads a header; returns whether it is one of ours (magic, version,
//  CRC). *version is the version it says, whatever else it holds.
static bool
s_header_read (const uint8_t *h, s_header_t *header)
{
    mf_cursor_t in = mf_cursor_reader (h, MF_JOURNAL_HEADER);
    mf_cursor_get_bytes (&in, header->magic, 4);
    header->version = mf_cursor_get_u32 (&in);
    header->kind = mf_cursor_get_u8 (&in);
    mf_cursor_get_zeros (&in, 3);
    header->maxiter = mf_cursor_get_u32 (&in);
    header->pixel_w = mf_cursor_get_u32 (&in);
    header->pixel_h = mf_cursor_get_u32 (&in);
    header->tile_edge = mf_cursor_get_u32 (&in);
    mf_cursor_get_bytes (&in, header->view, VIEW_BYTES);
    header->crc_at = in.pos;
    header->crc = mf_cursor_get_u32 (&in);
    return mf_cursor_ok (&in) && memcmp (header->magic, "MFJ1", 4) == 0
        && header->version == MF_JOURNAL_VERSION && header->crc == s_crc (h, header->crc_at);
}

size_t
mf_journal_encode (uint8_t *buf, size_t capacity, mf_journal_type_t type,
                   uint32_t tile, const uint8_t *payload, uint32_t payload_size)
{
    mf_cursor_t out = mf_cursor_writer (buf, capacity);
    mf_cursor_put_u8 (&out, (uint8_t) type);
    mf_cursor_put_zeros (&out, 3);
    mf_cursor_put_u32 (&out, tile);
    mf_cursor_put_u32 (&out, payload_size);
    uint8_t *body = mf_cursor_put_span (&out, payload_size);
    //  mf_journal_done builds the payload in place: no copy then.
    if (body && payload_size && body != payload)
        memcpy (body, payload, payload_size);
    if (mf_cursor_ok (&out))
        mf_cursor_put_u32 (&out, s_crc (buf, out.pos));
    return mf_cursor_ok (&out)? out.pos: 0;
}

size_t
mf_journal_decode (const uint8_t *data, size_t size, mf_journal_record_t *record)
{
    mf_cursor_t in = mf_cursor_reader (data, data? size: 0);
    uint8_t type = mf_cursor_get_u8 (&in);
    mf_cursor_get_zeros (&in, 3);
    uint32_t tile = mf_cursor_get_u32 (&in);
    uint32_t payload_size = mf_cursor_get_u32 (&in);
    if (!mf_cursor_ok (&in)
    ||  (type != MF_JOURNAL_LEASED && type != MF_JOURNAL_DONE && type != MF_JOURNAL_WITHDRAWN))
        return 0;
    //  Only DONE carries a payload: an owner and whole floats, no more than
    //  a tile holds.
    if (type == MF_JOURNAL_DONE? (payload_size < OWNER + 4 || payload_size % 4
                                  || payload_size > MAX_PAYLOAD)
                               : payload_size != 0)
        return 0;
    const uint8_t *payload = mf_cursor_get_span (&in, payload_size);
    size_t body = in.pos;
    uint32_t crc = mf_cursor_get_u32 (&in);
    if (!mf_cursor_ok (&in) || crc != s_crc (data, body))
        return 0;
    record->type = (mf_journal_type_t) type;
    record->tile = tile;
    record->payload_size = payload_size;
    record->payload = payload;
    return in.pos;
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
            if (got == 0)
                errno = EIO;            //  the file shrank under us
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
s_describe_mismatch (const s_header_t *have, const mf_job_spec_t *spec, char *what, size_t size)
{
    //  Compared as bits, as the headers are.
    s_header_t want;
    uint8_t bytes [MF_JOURNAL_HEADER];
    s_header_write (bytes, spec);
    s_header_read (bytes, &want);
    if (have->kind != want.kind)
        snprintf (what, size, "a %s view", have->kind? "deep": "shallow");
    else
    if (memcmp (have->view, want.view, VIEW_BYTES))
        snprintf (what, size, "another region (--center/--width/--zoom/--region)");
    else
    if (have->pixel_w != want.pixel_w || have->pixel_h != want.pixel_h)
        snprintf (what, size, "--size %ux%u", have->pixel_w, have->pixel_h);
    else
    if (have->maxiter != want.maxiter && have->maxiter == 0)
        snprintf (what, size, "--iter auto");
    else
    if (have->maxiter != want.maxiter)
        snprintf (what, size, "--iter %u", have->maxiter);
    else
        snprintf (what, size, "--tile %u", have->tile_edge);
}

//  The whole size of the record whose first MF_JOURNAL_RECORD_HEAD bytes
//  are head, if they make sense for this render (a known type, zeros, a
//  tile of the grid, the payload size of that tile's type); else 0.
static size_t
s_plausible (const mf_journal_t *self, const uint8_t *head)
{
    mf_cursor_t in = mf_cursor_reader (head, MF_JOURNAL_RECORD_HEAD);
    uint8_t type = mf_cursor_get_u8 (&in);
    mf_cursor_get_zeros (&in, 3);
    uint32_t tile = mf_cursor_get_u32 (&in);
    uint32_t payload_size = mf_cursor_get_u32 (&in);
    if (!mf_cursor_done (&in) || tile >= self->count)
        return 0;
    size_t want;
    if (type == MF_JOURNAL_DONE) {
        mf_rect_t r = mf_tiles_rect (self->tiles, tile);
        want = OWNER + self->value * r.w * r.h;
    }
    else
    if (type == MF_JOURNAL_LEASED || type == MF_JOURNAL_WITHDRAWN)
        want = 0;
    else
        return 0;
    return payload_size == want? MF_JOURNAL_RECORD_HEAD + want + MF_JOURNAL_RECORD_TAIL: 0;
}

//  The size of the record at the start of data (size bytes there) if it
//  is whole and valid for this render: plausible, its CRC right, and a
//  D's mu possible for --iter. Else 0.
static size_t
s_valid (const mf_journal_t *self, const uint8_t *data, size_t size,
         mf_journal_record_t *record)
{
    if (size < RECORD_MIN)
        return 0;
    size_t want = s_plausible (self, data);
    if (!want || want > size || mf_journal_decode (data, want, record) != want)
        return 0;
    size_t count = (record->payload_size - OWNER) / self->value;
    if (record->type == MF_JOURNAL_DONE
    &&  (self->deep? mf_proto_check_mu64 (record->payload + OWNER, count, self->maxiter)
                   : mf_proto_check_mu (record->payload + OWNER, count, self->maxiter)))
        return 0;
    return want;
}

//  Reads the record at offset into self->buffer. Returns its size if it
//  is valid, 0 if not; -1 on a read error. *announced is the size its
//  head announces, if plausible (else 0).
static ssize_t
s_record_at (mf_journal_t *self, off_t offset, off_t file_size, size_t *announced,
             mf_journal_record_t *record)
{
    *announced = 0;
    off_t left = file_size - offset;
    if (left < (off_t) RECORD_MIN)
        return 0;
    if (s_read_at (self->fd, self->buffer, MF_JOURNAL_RECORD_HEAD, offset))
        return -1;
    size_t want = s_plausible (self, self->buffer);
    *announced = want;
    if (!want || (off_t) want > left)
        return 0;
    if (s_read_at (self->fd, self->buffer, want, offset))
        return -1;
    return (ssize_t) s_valid (self, self->buffer, want, record);
}

//  After a damaged record at offset: the offset of the next valid record,
//  0 if there is none within reach, -1 on a read error. announced is the
//  size the damaged record's head announced (0: none).
static off_t
s_resync (mf_journal_t *self, off_t offset, off_t file_size, size_t announced)
{
    mf_journal_record_t record;
    size_t size;
    if (announced) {
        ssize_t rc = s_record_at (self, offset + (off_t) announced, file_size, &size, &record);
        if (rc != 0)
            return rc < 0? -1: offset + (off_t) announced;
    }
    //  Any later byte where a valid record starts, within the window.
    if (!self->scan) {
        self->scan = malloc (self->window + self->capacity);
        if (!self->scan)
            return -1;
    }
    off_t from = offset + 1;
    size_t span = self->window + self->capacity;
    if ((off_t) span > file_size - from)
        span = file_size > from? (size_t) (file_size - from): 0;
    if (span && s_read_at (self->fd, self->scan, span, from))
        return -1;
    int tries = 0;
    for (size_t at = 0; at < self->window && at + RECORD_MIN <= span; at++) {
        size_t want = s_plausible (self, self->scan + at);
        if (!want || want > span - at)
            continue;
        if (++tries > RESYNC_TRIES)
            break;
        if (s_valid (self, self->scan + at, span - at, &record))
            return from + (off_t) at;
    }
    return 0;
}

//  Replays the records after the header. Returns 0, or -1 on a read error.
static int
s_replay (mf_journal_t *self, off_t file_size, mf_journal_tile_fn *fn, void *arg,
          mf_journal_info_t *info)
{
    off_t *done_at = malloc (self->count * sizeof *done_at);    //  offset of a standing D, or -1
    if (!done_at)
        return -1;
    for (uint32_t tile = 0; tile < self->count; tile++)
        done_at [tile] = -1;
    bool torn = false;
    off_t offset = MF_JOURNAL_HEADER;
    int rc = 0;
    while (offset < file_size) {
        size_t announced;
        mf_journal_record_t record;
        ssize_t size = s_record_at (self, offset, file_size, &announced, &record);
        if (size < 0) {
            rc = -1;
            break;
        }
        if (size > 0) {
            if (record.type == MF_JOURNAL_DONE) {
                done_at [record.tile] = offset;
                self->state [record.tile] |= S_DONE;
            }
            else
            if (record.type == MF_JOURNAL_WITHDRAWN) {
                done_at [record.tile] = -1;
                self->state [record.tile] &= (uint8_t) ~S_DONE;
            }
            else
                self->state [record.tile] |= S_LEASED;
            info->records++;
            offset += size;
            continue;
        }
        //  Where the file ends plays no part in looking for the next
        //  record (a torn-looking one is searched past too): so cutting
        //  the end changes nothing before it, and a replay of the cut
        //  file finds the same records.
        off_t left = file_size - offset;
        off_t next = s_resync (self, offset, file_size, announced);
        if (next < 0) {
            rc = -1;
            break;
        }
        if (next == 0) {
            //  The end of the file is damaged: cut it, once the render
            //  really runs (mf_journal_start). Torn: a kill in the middle
            //  of a write left less than the record.
            torn = left < (off_t) RECORD_MIN || (off_t) announced > left;
            info->cut_bytes = (uint64_t) left;
            self->cut_at = offset;
            break;
        }
        info->skipped++;
        offset = next;
    }
    for (uint32_t tile = 0; tile < self->count && rc == 0; tile++) {
        if (done_at [tile] >= 0) {
            mf_rect_t r = mf_tiles_rect (self->tiles, tile);
            size_t size = OWNER + self->value * r.w * r.h;
            rc = s_read_at (self->fd, self->buffer, size, done_at [tile] + MF_JOURNAL_RECORD_HEAD);
            if (rc == 0) {
                mf_cursor_t in = mf_cursor_reader (self->buffer, size);
                uint64_t owner = mf_cursor_get_u64 (&in);
                fn (arg, tile, owner, mf_cursor_get_span (&in, size - OWNER));
                info->done++;
            }
        }
        else
        if (self->state [tile] & S_LEASED)
            info->in_flight++;
    }
    free (done_at);
    //  Say what was damaged, in words: the resume line prints it.
    int length = 0;
    if (info->skipped)
        length = snprintf (info->note, sizeof info->note, "skipped %u corrupt record%s",
                           info->skipped, info->skipped == 1? "": "s");
    if (info->cut_bytes)
        snprintf (info->note + length, sizeof info->note - (size_t) length, "%s%s",
                  length? "; ": "", torn? "cut a torn last record": "cut a damaged end");
    return rc;
}

//  Refuses, before opening it, anything at path that is not a regular
//  file: a FIFO would block us in open or write (and no signal would end
//  that), a device is not ours to write. Returns 0, or -1 with err.
static int
s_check_regular (const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat (path, &st) == 0) {
        if (S_ISREG (st.st_mode))
            return 0;
        snprintf (err, errlen, "'%s' is not a regular file; give the path of a file "
                  "(it is created if it does not exist)", path);
        return -1;
    }
    if (errno == ENOENT && lstat (path, &st) != 0)
        return 0;                       //  nothing there: start creates it
    if (errno == ENOENT)
        snprintf (err, errlen, "'%s' is a symbolic link to nothing; give the path of a "
                  "file (it is created if it does not exist)", path);
    else
        snprintf (err, errlen, "cannot open '%s': %s", path, strerror (errno));
    return -1;
}

//  Takes the file's lock, or says who has it. Returns 0, or -1 with err.
static int
s_lock (mf_journal_t *self, char *err, size_t errlen)
{
    while (flock (self->fd, LOCK_EX | LOCK_NB)) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK)
            snprintf (err, errlen, "'%s' is in use by another mandelfarm master (it holds "
                      "the file's lock); wait for that render to end, or give another file",
                      self->path);
        else
            snprintf (err, errlen, "cannot lock '%s': %s", self->path, strerror (errno));
        return -1;
    }
    return 0;
}

mf_journal_t *
mf_journal_open (const char *path, const mf_job_spec_t *spec, const mf_tiles_t *tiles,
                 mf_journal_tile_fn *fn, void *arg,
                 mf_journal_info_t *info, char *err, size_t errlen)
{
    memset (info, 0, sizeof *info);
    //  One grid for the job: the caller's must be the one spec describes.
    assert (tiles && mf_tiles_count (tiles) == mf_tiles_count_for (spec->view.pixel_w,
                                                  spec->view.pixel_h, spec->tile_edge));
    mf_journal_t *self = calloc (1, sizeof *self);
    if (self) {
        self->fd = -1;
        self->cut_at = -1;
        self->tiles = tiles;
        self->count = mf_tiles_count (tiles);
        self->deep = spec->deep;
        self->value = spec->deep? 8: 4;
        self->maxiter = spec->maxiter? spec->maxiter: UINT32_MAX;
        self->path = strdup (path);
        self->state = calloc (self->count, 1);
        //  No valid record of this render is bigger than one of its tiles.
        self->capacity = MF_JOURNAL_RECORD_HEAD + OWNER
                       + self->value * spec->tile_edge * spec->tile_edge + MF_JOURNAL_RECORD_TAIL;
        self->window = self->capacity > RESYNC_MIN? self->capacity: RESYNC_MIN;
        self->buffer = malloc (self->capacity);
    }
    if (!self || !self->path || !self->state || !self->buffer) {
        snprintf (err, errlen, "out of memory");
        mf_journal_destroy (&self, false);
        return NULL;
    }
    //  Reading only: nothing is written until mf_journal_start, so a run
    //  refused after this leaves the file as it was (or absent).
    s_header_write (self->header, spec);
    if (s_check_regular (path, err, errlen)) {
        mf_journal_destroy (&self, false);
        return NULL;
    }
    //  O_NONBLOCK: should a FIFO have replaced the file since the check,
    //  opening it must not hang (fstat refuses it next).
    self->fd = open (path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (self->fd < 0 && errno == ENOENT) {
        self->fresh = true;
        return self;
    }
    struct stat st;
    if (self->fd < 0 || fstat (self->fd, &st)) {
        snprintf (err, errlen, "cannot open '%s': %s", path, strerror (errno));
        mf_journal_destroy (&self, false);
        return NULL;
    }
    int flags = fcntl (self->fd, F_GETFL);
    if (!S_ISREG (st.st_mode) || flags < 0
    ||  fcntl (self->fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        snprintf (err, errlen, "'%s' is not a regular file; give the path of a file "
                  "(it is created if it does not exist)", path);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (s_lock (self, err, errlen)) {
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (st.st_size == 0) {
        //  An empty file becomes this render's journal; it was not ours,
        //  so it is only emptied again at the end.
        self->fresh = true;
        self->adopted = true;
        return self;
    }
    uint8_t bytes [MF_JOURNAL_HEADER];
    s_header_t header;
    bool ours = st.st_size >= MF_JOURNAL_HEADER
             && s_read_at (self->fd, bytes, sizeof bytes, 0) == 0
             && s_header_read (bytes, &header);
    if (!ours && st.st_size >= MF_JOURNAL_HEADER && memcmp (bytes, "MFJ1", 4) == 0
    &&  header.version != MF_JOURNAL_VERSION) {
        snprintf (err, errlen, "'%s' is a checkpoint of another mandelfarm release (journal "
                  "version %u, this one writes %u); finish that render with that release, "
                  "or delete the file to start over", path, header.version, MF_JOURNAL_VERSION);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (!ours) {
        snprintf (err, errlen, "'%s' is not a mandelfarm checkpoint (or its header is "
                  "damaged); give another file, or delete it to start over", path);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (memcmp (bytes, self->header, header.crc_at)) {
        char what [128];
        s_describe_mismatch (&header, spec, what, sizeof what);
        snprintf (err, errlen, "'%s' belongs to another render (%s); use the same "
                  "arguments, another file, or delete it to start over", path, what);
        mf_journal_destroy (&self, false);
        return NULL;
    }
    if (s_replay (self, st.st_size, fn, arg, info)) {
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
            if (errno == EEXIST)
                snprintf (err, errlen, "'%s' appeared after this master looked (another "
                          "master starting on it?); give another file", self->path);
            else
                snprintf (err, errlen, "cannot create '%s': %s", self->path, strerror (errno));
            return -1;
        }
        if (s_lock (self, err, errlen))
            return -1;
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

//  Whether records can be appended for tile.
static bool
s_writable (const mf_journal_t *self, uint32_t tile)
{
    return self->started && self->fd >= 0 && tile < self->count;
}

int
mf_journal_leased (mf_journal_t *self, uint32_t tile)
{
    if (!s_writable (self, tile))
        return -1;
    //  Once per tile: peers decide how often a tile is leased.
    if (self->state [tile] & S_LEASED)
        return 0;
    if (s_append (self, MF_JOURNAL_LEASED, tile, NULL, 0))
        return -1;
    self->state [tile] |= S_LEASED;
    return 0;
}

int
mf_journal_done (mf_journal_t *self, uint32_t tile, uint64_t owner,
                 const void *mu, size_t count)
{
    if (!s_writable (self, tile))
        return -1;
    mf_rect_t r = mf_tiles_rect (self->tiles, tile);
    if (count != (size_t) r.w * r.h)
        return -1;
    //  The payload is built in place, little-endian, as on the wire.
    mf_cursor_t out = mf_cursor_writer (self->buffer + MF_JOURNAL_RECORD_HEAD,
                                        self->capacity - RECORD_MIN);
    mf_cursor_put_u64 (&out, owner);
    if (self->deep) {
        uint8_t *values = mf_cursor_put_span (&out, count * 8);
        if (values)
            mf_proto_put_f64s (values, mu, count);
    }
    else
        mf_cursor_put_f32s (&out, mu, count);
    assert (mf_cursor_ok (&out));
    if (s_append (self, MF_JOURNAL_DONE, tile, self->buffer + MF_JOURNAL_RECORD_HEAD,
                  (uint32_t) out.pos))
        return -1;
    self->state [tile] |= S_DONE;
    return 0;
}

int
mf_journal_withdrawn (mf_journal_t *self, uint32_t tile)
{
    if (!s_writable (self, tile))
        return -1;
    //  Only a result the journal holds can be withdrawn.
    if (!(self->state [tile] & S_DONE))
        return 0;
    if (s_append (self, MF_JOURNAL_WITHDRAWN, tile, NULL, 0))
        return -1;
    self->state [tile] &= (uint8_t) ~S_DONE;
    return 0;
}

void
mf_journal_destroy (mf_journal_t **self_p, bool remove)
{
    assert (self_p);
    mf_journal_t *self = *self_p;
    if (!self)
        return;
    //  Only a journal this run wrote is ever removed, and a file that was
    //  there, empty, before us is left there, empty.
    if (remove && self->started && self->path) {
        if (!self->adopted)
            unlink (self->path);
        else
        if ((self->fd >= 0? ftruncate (self->fd, 0): truncate (self->path, 0)) != 0)
            mf_warn ("cannot empty the checkpoint %s again: %s", self->path, strerror (errno));
    }
    //  Closing releases the lock, after the removal: no other master
    //  takes the file in between.
    if (self->fd >= 0)
        close (self->fd);
    free (self->path);
    free (self->state);
    free (self->buffer);
    free (self->scan);
    free (self);
    *self_p = NULL;
}
