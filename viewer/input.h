/*  mf_input: SDL events in, navigation intents out.

    The viewer's event loop hands every SDL event to mf_input_event and
    acts on the intent that comes back: zoom at a pixel, pan by a drag,
    zoom into a box, a key's action (looked up in keys.h's table), follow
    a resized window, redraw, quit. The mouse drag is a small state
    machine kept here: a left press starts a pan, a right press a box;
    motion moves its far end; the release of the same button ends it with
    one intent. A press while a drag is on, or a release of the other
    button, is ignored; so is the wheel during a drag.

    Positions in intents are frame pixels. Window coordinates differ from
    them on scaled displays (a 2x screen reports half the pixels), so
    every event is mapped through an mf_input_scale_t the caller reads
    from the window just before. The inverse mapping, and the events a
    script synthesizes (wheel, drag, key), are here too, so that a
    script's input takes exactly the path a person's does.

    Nothing here draws or opens a window: the whole module is tested with
    synthetic events.
*/
#ifndef MF_VIEWER_INPUT_H
#define MF_VIEWER_INPUT_H

#include "keys.h"

#include <SDL_events.h>

#include <stdbool.h>
#include <stdint.h>

//  How window coordinates map to frame pixels: the window is window_w x
//  window_h in its own coordinates and pixels_w x pixels_h in pixels.
//  When any of them is not positive, the mapping is the identity.
typedef struct {
    int window_w, window_h;             //  window coordinates
    int pixels_w, pixels_h;             //  renderer output, pixels
} mf_input_scale_t;

typedef enum {
    MF_DRAG_NONE,                       //  no drag
    MF_DRAG_PAN,                        //  left button: moves the image
    MF_DRAG_BOX                         //  right button: a box to zoom into
} mf_drag_kind_t;

//  A drag in progress, for drawing its feedback.
typedef struct {
    mf_drag_kind_t kind;                //  which, or none
    int x0, y0;                         //  where it started, frame pixels
    int x, y;                           //  where the pointer is now, frame pixels
} mf_drag_t;

typedef enum {
    MF_INTENT_NONE,                     //  nothing to do
    MF_INTENT_REDRAW,                   //  only redraw (window shown, drag moved)
    MF_INTENT_RESIZED,                  //  the window's size changed: follow it, redraw
    MF_INTENT_QUIT,                     //  the window was closed
    MF_INTENT_KEY,                      //  key: an action (MF_KEY_NONE: none), redraw
    MF_INTENT_ZOOM,                     //  x0, y0: frame pixel; steps: notches, > 0 in
    MF_INTENT_PAN,                      //  dx, dy: pixels the image was dragged (may be 0)
    MF_INTENT_BOX                       //  x0, y0 to x1, y1: frame pixels
} mf_intent_kind_t;

typedef struct {
    mf_intent_kind_t kind;              //  what the event means
    mf_key_t key;                       //  for KEY
    int x0, y0, x1, y1;                 //  for ZOOM (x0, y0) and BOX
    int dx, dy;                         //  for PAN
    int steps;                          //  for ZOOM
} mf_intent_t;

typedef struct _mf_input_t mf_input_t;

//  Creates the input state, no drag in progress. NULL when out of memory.
mf_input_t *mf_input_new (void);

//  Destroys it; safe twice, nulls the pointer.
void mf_input_destroy (mf_input_t **self_p);

//  Reads one event (window coordinates mapped through scale) and fills
//  *intent with what it means; updates the drag.
void mf_input_event (mf_input_t *self, const SDL_Event *event, const mf_input_scale_t *scale,
                     mf_intent_t *intent);

//  The drag in progress, if any.
void mf_input_drag (const mf_input_t *self, mf_drag_t *drag);

//  Window coordinates (x, y) to frame pixels, and back.
void mf_input_to_pixels (const mf_input_scale_t *scale, int x, int y, int *px, int *py);
void mf_input_to_window (const mf_input_scale_t *scale, int px, int py, int *x, int *y);

//  The events of a person's input at frame pixels, for window (an SDL
//  window id), as a script replays it: one wheel event of steps notches
//  at (x, y); a drag of kind (PAN or BOX) from (x0, y0) to (x1, y1) as
//  press, motion, release; a key's press and release (its first binding
//  in keys.h's table; returns -1, events untouched, for MF_KEY_NONE).
void mf_input_wheel_event (const mf_input_scale_t *scale, uint32_t window, int x, int y,
                           int steps, SDL_Event *event);
void mf_input_drag_events (const mf_input_scale_t *scale, uint32_t window, mf_drag_kind_t kind,
                           int x0, int y0, int x1, int y1, SDL_Event events [3]);
int mf_input_key_events (uint32_t window, mf_key_t key, SDL_Event events [2]);

#endif
