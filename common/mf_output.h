/*  mf_output: the image files of a render, for both faces (the headless
    master's -o, --raw and --dzi, the viewer's saves), so that both write
    the same bytes: the PNG, mu colored by a palette, 8 or 16 bits per
    channel, with the tEXt metadata that makes the image again (Center,
    Width, Size, Iterations, Palette, Software; a movie's deep frame
    also Reference and ReferenceBits); the .npy of mu; and a
    folder with the 8-bit colors as a DZI tile pyramid (mf_dzi) and the
    web page that zooms into it (mf_webview).

    An output is an object: opened with its size and metadata, fed rows
    of mu in order, then committed or aborted. It is written under a
    temporary name and appears under its own only when committed whole
    (mf_outfile; a folder: mf_outdir), so an error, a stop or a crash
    never leaves part of a file. The rows are colored and compressed on
    several threads, and they need not all be in memory at once. A stop
    flag, read between bands of rows, abandons the output.

    The metadata's Center and Width are text the caller formats (a deep
    zoom needs more digits than a double has); mf_output_view_text
    formats a double-precision view.

    A deep view's mu come as doubles (mu64): its .npy is float64, and its
    colors go through the image's automatic color density first
    (mf_deep_auto.h: the caller computes it once over the whole image),
    since its mu span a narrow band far from 0 that the palettes alone
    would paint nearly flat.
*/
#ifndef MF_OUTPUT_H
#define MF_OUTPUT_H

#include "mf_deep_auto.h"
#include "mf_outfile.h"
#include "mf_palette.h"
#include "mf_region.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MF_OUTPUT_PNG,                      //  RGB PNG, mu through the palette
    MF_OUTPUT_NPY,                      //  NumPy array of mu: float32, float64 with mu64
    MF_OUTPUT_DZI                       //  a folder: DZI pyramid of the colors, web page
} mf_output_format_t;

#define MF_OUTPUT_DZI_NAME "mandelbrot" //  the pyramid in a DZI folder: NAME.dzi, NAME_files/

typedef struct {
    mf_output_format_t format;          //  what to write
    uint32_t width;                     //  pixels
    uint32_t height;                    //  pixels
    const char *center;                 //  PNG tEXt Center, "re,im"
    const char *span;                   //  PNG tEXt Width: the view's width in the plane
    uint32_t maxiter;                   //  PNG tEXt Iterations
    const mf_palette_t *palette;        //  PNG, DZI: colors mu; its name is tEXt Palette
    int depth;                          //  PNG: bits per channel, 8 (or 0) or 16
    int threads;                        //  PNG, DZI: coloring and compressing threads
                                        //  (0: all on the caller's thread)
    bool lend_rows;                     //  the rows given stay unchanged until commit or
                                        //  abort returns: read in place, not copied
    volatile sig_atomic_t *stop;        //  set: the output stops and fails (NULL: never)
    bool mu64;                          //  the rows are doubles (a deep view's mu), not
                                        //  floats
    const mf_deep_density_t *density;   //  PNG, DZI with mu64: mu go through this color
                                        //  density before the palette (NULL: as they are)
    const char *reference;              //  PNG tEXt Reference, "re,im": the reference
                                        //  point of a movie's deep frame (NULL: none,
                                        //  the view's center)
    long reference_bits;                //  PNG tEXt ReferenceBits: its precision
} mf_output_spec_t;

typedef struct _mf_output_t mf_output_t;

//  Formats a view's center ("re,im") and width as the PNG metadata has
//  them: 17 significant digits, enough to read back the same doubles.
//  center needs 80 bytes, width 32.
void mf_output_view_text (const mf_view_t *view, char *center, size_t center_size,
                          char *width, size_t width_size);

//  Opens an output to path as spec says (spec's strings are used only
//  during the call).
//  Returns NULL with the reason in err; nothing is left under path.
mf_output_t *mf_output_open (const char *path, const mf_output_spec_t *spec,
                             char *err, size_t errlen);

//  Checks that spec can be written (sizes the formats can hold; for a DZI,
//  that the web page's library is installed). Returns 0, or -1 with the
//  reason in err.
int mf_output_check (const mf_output_spec_t *spec, char *err, size_t errlen);

//  As mf_output_open, into a temporary file opened earlier (the master
//  opens its outputs before any peer can connect); takes *file_p, also on
//  failure (it is then aborted), and nulls it. path names the output in
//  messages. Not for a DZI, which is a folder (refused).
mf_output_t *mf_output_adopt (mf_outfile_t **file_p, const char *path,
                              const mf_output_spec_t *spec, char *err, size_t errlen);

//  Writes the next rows rows of mu, width values each (floats, or doubles
//  with mu64). Returns 0, or -1 with the reason in err (the output is then
//  only good to abort).
int mf_output_write_rows (mf_output_t *self, const void *mu, uint32_t rows,
                          char *err, size_t errlen);

//  Writes the end of the file once every row is written; the file keeps
//  its temporary name until commit (so that several outputs can be made
//  whole before any appears). Returns 0, or -1 with the reason in err.
int mf_output_finish (mf_output_t *self, char *err, size_t errlen);

//  Finishes the output if need be, and gives the file its name; destroys
//  the output. Returns 0, or -1 with the reason in err (nothing is left
//  under the path then).
int mf_output_commit (mf_output_t **self_p, char *err, size_t errlen);

//  Abandons the output: removes its temporary file; safe twice, nulls
//  the pointer.
void mf_output_abort (mf_output_t **self_p);

//  Writes a whole image of mu (width * height values, floats or doubles
//  as spec says, row 0 at the top) to path: open, every row, commit.
//  Returns 0, or -1 with the reason in err; nothing is left under path
//  then.
int mf_output_write (const char *path, const mf_output_spec_t *spec, const void *mu,
                     char *err, size_t errlen);

#endif
