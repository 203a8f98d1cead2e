/*  mf_poster: the master's window onto an image too large to hold whole
    (a poster). Its grid is dispatched row of tiles by row of tiles
    (mf_tiles_new_rows); a band is one such row of tiles, edge rows of
    pixels. The poster holds a window of consecutive bands in memory: a
    finished tile's mu go into its band, and once the band at the front
    has every tile it is written (the caller's function: to the outputs,
    mf_output_write_rows, which color and compress it on their own
    threads; or to a spill file), in order, and its memory serves the
    band after the window. The caller hands out only
    the tiles inside the window (mf_engine_horizon), so memory is the
    window's, whatever the image's size.

    The rows reach the outputs in the same order and with the same values
    as a whole image would give them: the files are byte for byte those
    of an image held in memory.

    A tile is taken only when its band is inside the window; one outside
    (a checkpoint's tile beyond it, a late duplicate of a band already
    written) is refused and, if still needed, computed again.
*/
#ifndef MF_POSTER_H
#define MF_POSTER_H

#include "mf_output.h"
#include "mf_tiles.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_POSTER_MIN_WINDOW 2          //  bands held at least
#define MF_POSTER_MAX_WINDOW 16         //  bands held at most: more buys no speed

typedef struct {
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    uint32_t edge;                      //  tile edge, pixels: a band's height
    size_t value;                       //  bytes of one mu: 4 (floats) or 8 (doubles)
    uint32_t window;                    //  bands held at once, MIN to MAX_WINDOW
} mf_poster_spec_t;

typedef struct _mf_poster_t mf_poster_t;

//  Writes the next rows rows of the image, width values each (as the
//  spec's value says), in order. Returns 0, or -1 with the reason in err.
typedef int (mf_poster_write_fn) (void *arg, const void *mu, uint32_t rows, char *err,
                                  size_t errlen);

//  The bands a poster of this width and tile edge holds within bytes of
//  memory: MF_POSTER_MIN_WINDOW to MF_POSTER_MAX_WINDOW (the least even
//  when bytes are fewer).
uint32_t mf_poster_window_for (uint32_t width, uint32_t edge, size_t value, size_t bytes);

//  Makes the window for spec, writing its bands through write (called
//  with arg). Returns NULL when out of memory.
mf_poster_t *mf_poster_new (const mf_poster_spec_t *spec, mf_poster_write_fn *write,
                            void *arg);

//  A mf_poster_write_fn that writes to outputs, an array of mf_output_t
//  pointers ending with NULL.
int mf_poster_to_outputs (void *outputs, const void *mu, uint32_t rows, char *err,
                          size_t errlen);

//  Frees the window; safe twice, nulls the pointer.
void mf_poster_destroy (mf_poster_t **self_p);

//  A finished tile: its rect's mu (native floats or doubles, rows stride
//  values apart) go into its band. Returns true when taken, false when
//  its band is outside the window (written already, or not yet open).
bool mf_poster_tile (mf_poster_t *self, uint32_t tile, const mf_rect_t *rect,
                     const void *mu, size_t stride);

//  A done tile's result was withdrawn (its worker was found faulty).
//  Returns 0 when its band is still held (the tile counts as missing
//  again), -1 when the band was written already (the outputs hold it).
int mf_poster_withdraw (mf_poster_t *self, uint32_t tile);

//  Writes every complete band at the front of the window, in order, and
//  moves the window on. Returns 0, or -1 with the reason in err (what it
//  writes to is then only good to abort).
int mf_poster_flush (mf_poster_t *self, char *err, size_t errlen);

//  The first position of the dispatch order (tile id) past the window:
//  tiles before it may be handed out.
uint32_t mf_poster_horizon (const mf_poster_t *self);

//  Bands written, and in all.
void mf_poster_bands (const mf_poster_t *self, uint32_t *written, uint32_t *total);

//  Bytes the window holds.
size_t mf_poster_bytes (const mf_poster_t *self);

//  ---------------------------------------------------------------------
//  A spill file: a deep poster's mu, written band by band as the window
//  moves on, read back at the end for its color density (a function of
//  the whole image, mf_deep_auto.h) and then its colors. It has no name
//  (O_TMPFILE in the folder given, or a name removed at once), so
//  nothing is left of it after a crash; a resumed poster fills it again
//  from its checkpoint.

typedef struct _mf_spill_t mf_spill_t;

//  Makes a spill file in the folder dir, of rows of width values of
//  value bytes. Returns NULL with the reason in err.
mf_spill_t *mf_spill_new (const char *dir, uint32_t width, size_t value, char *err,
                          size_t errlen);

//  Closes and so frees the file; safe twice, nulls the pointer.
void mf_spill_destroy (mf_spill_t **self_p);

//  A mf_poster_write_fn: appends rows to the spill (arg). Returns 0, or
//  -1 with the reason in err.
int mf_spill_write (void *self, const void *mu, uint32_t rows, char *err, size_t errlen);

//  Reads count values from value first on (row-major) into out. Returns
//  0 or -1 (an mf_deep_read_fn, on doubles).
int mf_spill_read (void *self, size_t first, size_t count, double *out);

//  As mf_spill_read, rows rows from row y on, of any value size.
int mf_spill_read_rows (mf_spill_t *self, uint32_t y, uint32_t rows, void *out);

#endif
