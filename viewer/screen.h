/*  mf_screen: the viewer's SDL window and everything drawn into it.

    A screen is SDL's video subsystem, one resizable window shrunk to fit
    the display, a renderer, a streaming texture the frame's pixels are
    uploaded to (only the rectangle that changed), and a texture of the
    built-in font for the help overlay. mf_screen_draw composes the
    frame, the drag feedback (the image moved while a pan drag is on, the
    box of a box drag) and an overlay of text lines; mf_screen_present
    shows it and mf_screen_screenshot writes it as a PNG.

    Where OpenGL is only Mesa's software rasterizer (no GPU), the screen
    draws with SDL's own software renderer instead: drawing a large window
    through llvmpipe takes far more CPU, which the local workers need.
    SDL_RENDER_DRIVER overrides the choice.

    With no display SDL falls back to a driver that shows nothing: fine
    for a script or when SDL_VIDEODRIVER asks for it, refused otherwise.
*/
#ifndef MF_VIEWER_SCREEN_H
#define MF_VIEWER_SCREEN_H

#include "frame.h"
#include "input.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_SCREEN_MAX_DIM 8192          //  pixels, largest window side on a virtual screen
#define MF_SCREEN_LEGEND_MAX 16         //  machines the worker tint's legend names

typedef struct _mf_screen_t mf_screen_t;

//  Starts SDL (video only) and opens a w x h window (shrunk to fit the
//  screen) titled "mandelfarm". scripted: a display that shows nothing
//  is acceptable. Returns NULL with one line in err saying what to do.
mf_screen_t *mf_screen_new (uint32_t w, uint32_t h, bool scripted, char *err, size_t errlen);

//  Closes the window and stops SDL (SDL_Quit: no SDL call may follow
//  until the next mf_screen_new); safe twice, nulls the pointer.
void mf_screen_destroy (mf_screen_t **self_p);

//  Shrinks *w x *h, keeping its aspect, to fit max_w x max_h (each side
//  at least 1). The screen's choice of a window size, kept pure.
void mf_screen_fit (uint32_t *w, uint32_t *h, double max_w, double max_h);

//  The renderer's output size, pixels. Returns 0, or -1 (with SDL's
//  reason in SDL_GetError) when it is unknown or empty.
int mf_screen_size (mf_screen_t *self, int *w, int *h);

//  How window coordinates map to pixels now.
void mf_screen_scale (mf_screen_t *self, mf_input_scale_t *scale);

//  The window's SDL id, for synthesized events.
uint32_t mf_screen_window_id (mf_screen_t *self);

//  The video driver and renderer names ("offscreen", "software"), for the
//  trace. Returns 0, or -1 when SDL cannot say.
int mf_screen_describe (mf_screen_t *self, const char **driver, const char **renderer);

//  Resizes the window; switches fullscreen (the desktop's size) on or
//  off; sets the title. The renderer's output follows (mf_screen_size).
void mf_screen_set_size (mf_screen_t *self, int w, int h);
void mf_screen_set_fullscreen (mf_screen_t *self, bool on);
void mf_screen_set_title (mf_screen_t *self, const char *title);

//  Makes the frame texture w x h pixels (its content is undefined until
//  the next upload). Returns 0, or -1 with one line in err.
int mf_screen_set_frame_size (mf_screen_t *self, uint32_t w, uint32_t h,
                              char *err, size_t errlen);

//  Draws, without presenting: frame (the size of mf_screen_set_frame_size;
//  its changed pixels are uploaded first), moved or boxed as drag says,
//  and a box of count text lines at the top left when count > 0.
void mf_screen_draw (mf_screen_t *self, mf_frame_t *frame, const mf_drag_t *drag,
                     const char *const lines [], size_t count);

//  Draws, over what mf_screen_draw drew, the legend of the worker tint:
//  a box at the bottom left with one line per worker number (0 to
//  count - 1, at most MF_SCREEN_LEGEND_MAX), a swatch of its tint color
//  (mf_frame_tint_color) and its name, then "+ more more" when more > 0.
//  Draws nothing when count and more are both 0.
void mf_screen_draw_legend (mf_screen_t *self, const char *const names [], size_t count,
                            size_t more);

//  Shows what was drawn.
void mf_screen_present (mf_screen_t *self);

//  Writes what was drawn as an 8-bit RGB PNG to path (through a
//  temporary name), then shows it. Returns 0, or -1 with one line in err
//  and nothing left at path.
int mf_screen_screenshot (mf_screen_t *self, const char *path, char *err, size_t errlen);

#endif
