/*  mf_playback: plays a --script in the viewer, and keeps its trace.

    The player takes the actions of an mf_script_t one by one, each loop
    turn, until one has to wait: for the view to complete (wait), for
    tiles (wait-tiles), or for time (sleep). Input actions (zoom, pan,
    box, key) go into SDL's event queue as a person's would (built by
    mf_input, at the window's scale), so the same handlers see them; the
    player then returns, so that the loop handles that input and applies
    the view change before the next action. What only the viewer can do
    or know (the state of the view, resizing the window, a screenshot of
    what it draws) the player asks through an mf_playback_host_t.

    The trace (the script's `trace FILE`) is a log of what the viewer
    does, one line per event with msecs since the player was created:
    views, tiles drawn and dropped, presents, input. The viewer writes it
    through mf_playback_trace; scripts/bench-viewer.sh and the viewer's
    end-to-end tests read it. While no trace is open a trace call costs
    one test.
*/
#ifndef MF_VIEWER_PLAYBACK_H
#define MF_VIEWER_PLAYBACK_H

#include "input.h"
#include "script.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  What the player needs to know of the viewer, asked when it does.
typedef struct {
    uint32_t pixel_w, pixel_h;          //  the view on screen
    bool changing;                      //  a view change waits to be applied
    bool settled;                       //  complete, nothing waiting, every save written
    uint32_t full_done, full_total;     //  full tiles of the view
    uint32_t workers;                   //  workers connected
    size_t queued;                      //  tiles delivered, not drawn yet
    mf_input_scale_t scale;             //  the window's scale
    uint32_t window;                    //  the window's SDL id
} mf_playback_facts_t;

//  What the player asks of the viewer; arg is passed back to each.
typedef struct {
    void *arg;
    //  Fills *facts with the viewer's state now.
    void (*facts) (void *arg, mf_playback_facts_t *facts);
    //  Resizes the window to w x h and follows its new size.
    void (*resize) (void *arg, int w, int h);
    //  Draws and writes what the window shows to path. Returns 0, or -1
    //  with one line in err.
    int (*screenshot) (void *arg, const char *path, char *err, size_t errlen);
} mf_playback_host_t;

typedef enum {
    MF_PLAY_ON,                         //  call again (after *wait_ms, or on an event if -1)
    MF_PLAY_QUIT,                       //  the script said quit
    MF_PLAY_FAILED                      //  an action failed: the reason in err
} mf_play_t;

typedef struct _mf_playback_t mf_playback_t;

//  Creates a player of the script file path (loaded and checked now;
//  NULL: nothing to play). Trace times count from now. stop, set by a
//  signal, ends a stall early. Returns NULL with one line in err naming
//  what is wrong in the file and what is allowed.
mf_playback_t *mf_playback_new (const char *path, volatile sig_atomic_t *stop,
                                char *err, size_t errlen);

//  Closes the trace and destroys the script; safe twice, nulls the pointer.
void mf_playback_destroy (mf_playback_t **self_p);

//  Plays the trace actions at the head of the script at once, so that
//  the trace sees the first view. Returns 0, or -1 with one line in err.
int mf_playback_begin (mf_playback_t *self, char *err, size_t errlen);

//  Plays actions until one has to wait, or an input action was played
//  or the view is changing (the loop handles them first). Returns
//  MF_PLAY_ON with *wait_ms set to the msecs until it wants to run again
//  (-1: only when something happens), MF_PLAY_QUIT, or MF_PLAY_FAILED
//  with one line in err naming the script's line.
mf_play_t mf_playback_play (mf_playback_t *self, const mf_playback_host_t *host, int *wait_ms,
                            char *err, size_t errlen);

//  Appends a line to the trace, if one is open: the msecs since the
//  player was created, a space, then the formatted text.
void mf_playback_trace (mf_playback_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
