/*  mf_script: the viewer's --script files, parsed and checked before any
    window opens. One action per line; blank lines and lines starting
    with '#' are skipped; words are separated by spaces or tabs.

        zoom X Y [STEPS]     wheel at window pixel (X, Y): STEPS notches,
                             in if > 0 (default 1), out if < 0
        pan DX DY            drag the image by (DX, DY) pixels (left button)
        box X0 Y0 X1 Y1      right-drag a box from (X0, Y0) to (X1, Y1)
        key NAME             press a key (the names of keys.h's table)
        resize W H           resize the window to W x H pixels
        wait [SECONDS]       until the frame is complete and every save is
                             written; failing after SECONDS (default 60)
        wait-tiles N         until N full-resolution tiles of the view are in
        sleep MS             keep running for MS msecs
        stall MS             block the event loop for MS msecs (a test aid:
                             results pile up as behind a busy window)
        stall-tiles N        block the event loop until N tiles wait to be
                             drawn (a test aid; failing after 60 s)
        screenshot FILE      write what the window shows as a PNG
        trace FILE           log views, drawn and dropped tiles to FILE
        quit                 quit (exit status 0)

    A script that ends without quit leaves the viewer running for a person.
*/
#ifndef MF_VIEWER_SCRIPT_H
#define MF_VIEWER_SCRIPT_H

#include "keys.h"

#include <stddef.h>

#define MF_SCRIPT_MAX_COORD 65536       //  largest |X|, |Y|, |DX|, |DY|, pixels
#define MF_SCRIPT_MAX_STEPS 64          //  largest |STEPS| of one zoom
#define MF_SCRIPT_MAX_MS 600000         //  longest sleep or stall, msecs
#define MF_SCRIPT_MAX_WAIT 3600         //  longest wait, seconds
#define MF_SCRIPT_DEFAULT_WAIT 60       //  wait without SECONDS, seconds

typedef enum {
    MF_ACT_ZOOM,                        //  args: x, y, steps
    MF_ACT_PAN,                         //  args: dx, dy
    MF_ACT_BOX,                         //  args: x0, y0, x1, y1
    MF_ACT_KEY,                         //  key
    MF_ACT_RESIZE,                      //  args: w, h
    MF_ACT_WAIT,                        //  args: seconds
    MF_ACT_WAIT_TILES,                  //  args: tiles
    MF_ACT_SLEEP,                       //  args: msecs
    MF_ACT_STALL,                       //  args: msecs
    MF_ACT_STALL_TILES,                 //  args: tiles
    MF_ACT_SCREENSHOT,                  //  path
    MF_ACT_TRACE,                       //  path
    MF_ACT_QUIT
} mf_action_kind_t;

typedef struct {
    mf_action_kind_t kind;              //  what to do
    int line;                           //  line number in the file, from 1
    long args [4];                      //  numbers, as listed for kind
    mf_key_t key;                       //  for MF_ACT_KEY
    char *path;                         //  for SCREENSHOT and TRACE (owned by the script)
} mf_action_t;

typedef struct _mf_script_t mf_script_t;

//  Parses a script held in text (name is used in messages). Returns NULL
//  with one line in err naming the line, what is wrong and what is
//  allowed.
mf_script_t *mf_script_parse (const char *text, const char *name, char *err, size_t errlen);

//  Reads and parses the file path. Returns NULL with one line in err.
mf_script_t *mf_script_load (const char *path, char *err, size_t errlen);

//  Destroys a script; safe twice, nulls the pointer.
void mf_script_destroy (mf_script_t **self_p);

//  Number of actions, and the action at index (index < count).
size_t mf_script_count (const mf_script_t *self);
const mf_action_t *mf_script_at (const mf_script_t *self, size_t index);

#endif
