/*  mf_options: the master's command line, parsed and checked in one place.
    Every refusal is one line naming the flag, what was given and what is
    allowed; main prints it and exits with status 2.

    The view. --center, --width and --zoom are read exactly, with any
    number of digits and any exponent (mf_deep_view_new). A view that
    mf_deep.h's rule calls shallow becomes view, the doubles today's
    path renders (the same bytes as ever); a deeper one is kept as deep,
    and view then holds only its size: the master renders it by
    perturbation. --region takes doubles only, and is refused past the
    rule. --iter auto (deep views only) leaves maxiter 0 until the
    reference orbit chooses it (mf_deep_auto.h).

    --from FILE.png takes the view from a PNG's tEXt metadata (Center,
    Width, Size, Iterations, Palette, and a movie frame's Reference and
    ReferenceBits); each flag given overrides what the file says, where
    it appears on the command line. The file's reference point is kept
    only when the view is the file's (no --center, --width, --zoom,
    --region or --size): it names the orbit the frame was computed from,
    which another view need not suit (movie.h says why frames carry it).

    --movie N renders N frames into -o, a printf pattern with exactly one
    integer conversion (%d, %05d, ...; %% for a percent sign): movie.h.
*/
#ifndef MF_OPTIONS_H
#define MF_OPTIONS_H

#include "mf_deep.h"
#include "mf_palette.h"
#include "mf_region.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MF_DEFAULT_WIDTH_PX 1920
#define MF_DEFAULT_HEIGHT_PX 1080
#define MF_DEFAULT_CENTER_RE (-0.75)
#define MF_DEFAULT_CENTER_IM 0.0
#define MF_DEFAULT_VIEW_WIDTH 3.5
#define MF_DEFAULT_ITER 1000
#define MF_MAX_ITER 1000000000u         //  largest --iter
#define MF_MAX_LOCAL_WORKERS 1024       //  largest -j
#define MF_MAX_MOVIE_FRAMES 10000000u   //  largest --movie
#define MF_MOVIE_DEFAULT_OUTPUT "f%05d.png"     //  -o of a movie when not given

typedef struct {
    mf_view_t view;                     //  the region and size to render (a deep view:
                                        //  the size, and the center and width rounded
                                        //  to doubles, for messages only)
    mf_deep_view_t *deep;               //  the view when it is deep, else NULL (owned:
                                        //  mf_options_clear)
    char *reference;                    //  a deep view's reference point "RE,IM" from
                                        //  --from's Reference text, or NULL: the view's
                                        //  center (owned: mf_options_clear)
    long reference_bits;                //  its precision, bits (ReferenceBits)
    const char *from;                   //  --from FILE.png, or NULL
    uint32_t movie;                     //  --movie frames, 0: a single image
    const char *from_width;             //  --from-width: the first frame's width, or NULL
                                        //  (the default view's width, 3.5)
    uint32_t maxiter;                   //  --iter (0 with iter_auto, until chosen)
    bool iter_auto;                     //  --iter auto
    int local_workers;                  //  -j
    const char *listen;                 //  --listen endpoint, or NULL
    const char *cert;                   //  --cert, the master's secret certificate, or NULL
    const char *allow;                  //  --allow, directory of workers' public certificates
    bool announce;                      //  --announce: broadcast beacons (mf_beacon.h)
    int announce_port;                  //  --announce-port, UDP (MF_BEACON_PORT unless given)
    const char *output;                 //  -o, the PNG
    const char *raw;                    //  --raw, the .npy, or NULL
    bool png16;                         //  --png16: -o at 16 bits per channel
    const char *dzi;                    //  --dzi folder: tile pyramid and web page, or NULL
    uint32_t tile;                      //  --tile edge, pixels
    const mf_palette_t *palette;        //  --palette
    const char *kernel;                 //  --kernel for local workers, or NULL
    int heartbeat_ms;                   //  --heartbeat
    const char *checkpoint;             //  --checkpoint journal, or NULL
    const char *stats;                  //  --stats JSON file, or NULL
    double deadline;                    //  --deadline seconds, 0: none
    uint32_t verify_percent;            //  --verify share of tiles, 0..100
    bool live;                          //  --view: the live viewer instead of a PNG
    const char *script;                 //  --script FILE for the viewer, or NULL
    bool quiet;                         //  --quiet (the last of -q and -v counts:
    bool verbose;                       //  --verbose  never both true)
    //  Posters (issue 10).
    uint32_t memory_mb;                 //  --memory: MiB an image may take whole; larger
                                        //  shallow ones stream band by band (MiB)
    bool help;                          //  --help was given
    bool version;                       //  --version was given
} mf_options_t;

#define MF_DEFAULT_MEMORY_MB 1024       //  --memory default, MiB
#define MF_MAX_MEMORY_MB 16777216       //  --memory at most, MiB (16 TiB)

//  Parses argv into opts. Returns 0, or -1 with one line in err (and
//  nothing to clear).
int mf_options_parse (int argc, char *argv [], mf_options_t *opts, char *err, size_t errlen);

//  Frees what a parse made (the deep view); safe twice.
void mf_options_clear (mf_options_t *opts);

//  Checks the output files against the file system, before anything is
//  written: -o, --raw, --checkpoint, --stats and the socket file of an
//  ipc:// --listen must be different files, compared by identity (device
//  and inode when a file exists, else the resolved path where it will
//  be: "./o.png" is "o.png"); each output must be a regular file or not
//  exist yet, in a directory that exists; --checkpoint must not be a
//  symbolic link; the --dzi folder must not exist or be empty, in a
//  writable directory, and hold none of the others. Returns 0, or -1
//  with one line in err naming the flag (and both flags for an alias).
int mf_options_check_files (const mf_options_t *opts, char *err, size_t errlen);

//  Checks a movie's -o pattern: exactly one integer conversion (%d, %i
//  or %u with an optional 0 flag and width), any number of %%, nothing
//  else after a %. Returns 0, or -1 with one line in err.
int mf_options_check_pattern (const char *pattern, char *err, size_t errlen);

//  Reads the tEXt chunks before a PNG's image (its metadata): for each
//  of count keys, a copy of its text, or NULL when absent (the caller
//  frees them). Returns 0, or -1 with one line in err, which starts with
//  flag (all values NULL then).
int mf_options_png_texts (const char *path, const char *flag, const char *const *keys,
                          size_t count, char **values, char *err, size_t errlen);

//  Writes the --help text.
void mf_options_usage (FILE *out);

#endif
