/*  mf_screen: see screen.h. */
#include "screen.h"
#include "font.h"
#include "mf_outfile.h"
#include "mf_png.h"
#include "mf_util.h"
#include "mf_version.h"

#include <SDL.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_ALLOWANCE 48              //  pixels of screen height kept for the title bar
#define MIN_WINDOW_W 64                 //  pixels, smallest window the user can resize to
#define MIN_WINDOW_H 48
#define OVERLAY_ALPHA 190               //  opacity of the overlay's box, 0..255
#define OVERLAY_MARGIN 8                //  pixels from the window's corner to the box
#define SCREENSHOT_LEVEL 9              //  zlib level of screenshots: rare, and kept
#define GL_RENDERER_NAME 0x1F01         //  GL_RENDERER, for glGetString

struct _mf_screen_t {
    SDL_Window *window;                 //  the window
    SDL_Renderer *renderer;             //  draws into it
    SDL_Texture *texture;               //  the frame's pixels, frame-sized; NULL until sized
    SDL_Texture *font;                  //  glyph atlas
};

void
mf_screen_fit (uint32_t *w, uint32_t *h, double max_w, double max_h)
{
    double scale = fmin (1.0, fmin (max_w / *w, max_h / *h));
    if (scale < 1.0) {
        *w = (uint32_t) fmax (1.0, floor (*w * scale));
        *h = (uint32_t) fmax (1.0, floor (*h * scale));
    }
}

//  Whether the video driver shows nothing (no real screen to fit).
static bool
s_virtual_driver (void)
{
    const char *driver = SDL_GetCurrentVideoDriver ();
    return driver && (!strcmp (driver, "offscreen") || !strcmp (driver, "dummy"));
}

//  Shrinks w x h to the usable area of the first display, or to
//  MF_SCREEN_MAX_DIM on a virtual one.
static void
s_fit_display (uint32_t *w, uint32_t *h)
{
    double max_w = MF_SCREEN_MAX_DIM, max_h = MF_SCREEN_MAX_DIM;
    SDL_Rect usable;
    if (SDL_GetCurrentVideoDriver () && !s_virtual_driver ()
    &&  SDL_GetDisplayUsableBounds (0, &usable) == 0 && usable.w > 0
    &&  usable.h > TITLE_ALLOWANCE) {
        max_w = usable.w;
        max_h = usable.h - TITLE_ALLOWANCE;
    }
    mf_screen_fit (w, h, max_w, max_h);
}

//  Whether the renderer is OpenGL running on Mesa's software rasterizer.
static bool
s_software_gl (SDL_Renderer *renderer)
{
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo (renderer, &info) || !strstr (info.name, "opengl"))
        return false;
    typedef const unsigned char *(s_get_string_fn) (unsigned int name);
    s_get_string_fn *get_string = (s_get_string_fn *) SDL_GL_GetProcAddress ("glGetString");
    const char *name = get_string? (const char *) get_string (GL_RENDERER_NAME): NULL;
    return name && (strstr (name, "llvmpipe") || strstr (name, "softpipe")
                ||  strstr (name, "Software Rasterizer"));
}

//  Makes the font atlas texture. Returns 0 or -1.
static int
s_make_font (mf_screen_t *self)
{
    int fw = mf_font_width (), fh = mf_font_height ();
    uint32_t *atlas = malloc ((size_t) MF_FONT_COUNT * fw * fh * sizeof *atlas);
    self->font = atlas? SDL_CreateTexture (self->renderer, SDL_PIXELFORMAT_ABGR8888,
                                           SDL_TEXTUREACCESS_STATIC, MF_FONT_COUNT * fw, fh): NULL;
    if (self->font) {
        mf_font_atlas (atlas);
        SDL_UpdateTexture (self->font, NULL, atlas, MF_FONT_COUNT * fw * 4);
        SDL_SetTextureBlendMode (self->font, SDL_BLENDMODE_BLEND);
    }
    free (atlas);
    return self->font? 0: -1;
}

mf_screen_t *
mf_screen_new (uint32_t w, uint32_t h, bool scripted, char *err, size_t errlen)
{
    SDL_SetHint (SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    SDL_SetHint (SDL_HINT_RENDER_SCALE_QUALITY, "nearest");
    SDL_SetHint (SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    if (SDL_Init (SDL_INIT_VIDEO)) {
        snprintf (err, errlen, "--view: cannot open a window: %s; run it in a desktop session, "
                  "or set SDL_VIDEODRIVER=offscreen to run without a display", SDL_GetError ());
        return NULL;
    }
    mf_screen_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "--view: out of memory");
        SDL_Quit ();
        return NULL;
    }
    if (s_virtual_driver () && !scripted && !getenv ("SDL_VIDEODRIVER")) {
        snprintf (err, errlen, "--view: no display to open a window on (DISPLAY and "
                  "WAYLAND_DISPLAY are unset); run it in a desktop session, or give --script "
                  "to run without one");
        mf_screen_destroy (&self);
        return NULL;
    }
    s_fit_display (&w, &h);
    self->window = SDL_CreateWindow ("mandelfarm", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                     (int) w, (int) h, SDL_WINDOW_RESIZABLE);
    if (self->window) {
        self->renderer = SDL_CreateRenderer (self->window, -1, SDL_RENDERER_ACCELERATED);
        if (self->renderer && s_software_gl (self->renderer) && !getenv ("SDL_RENDER_DRIVER")) {
            SDL_DestroyRenderer (self->renderer);
            self->renderer = NULL;
        }
        if (!self->renderer)
            self->renderer = SDL_CreateRenderer (self->window, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!self->window || !self->renderer) {
        snprintf (err, errlen, "--view: cannot open a %ux%u window: %s", w, h, SDL_GetError ());
        mf_screen_destroy (&self);
        return NULL;
    }
    SDL_SetWindowMinimumSize (self->window, (int) (w < MIN_WINDOW_W? w: MIN_WINDOW_W),
                              (int) (h < MIN_WINDOW_H? h: MIN_WINDOW_H));
    if (s_make_font (self)) {
        snprintf (err, errlen, "--view: cannot make the font texture: %s", SDL_GetError ());
        mf_screen_destroy (&self);
        return NULL;
    }
    return self;
}

void
mf_screen_destroy (mf_screen_t **self_p)
{
    assert (self_p);
    mf_screen_t *self = *self_p;
    if (!self)
        return;
    if (self->texture)
        SDL_DestroyTexture (self->texture);
    if (self->font)
        SDL_DestroyTexture (self->font);
    if (self->renderer)
        SDL_DestroyRenderer (self->renderer);
    if (self->window)
        SDL_DestroyWindow (self->window);
    SDL_Quit ();
    free (self);
    *self_p = NULL;
}

int
mf_screen_size (mf_screen_t *self, int *w, int *h)
{
    if (SDL_GetRendererOutputSize (self->renderer, w, h))
        return -1;
    if (*w <= 0 || *h <= 0) {
        SDL_SetError ("the renderer's output is %dx%d pixels", *w, *h);
        return -1;
    }
    return 0;
}

void
mf_screen_scale (mf_screen_t *self, mf_input_scale_t *scale)
{
    SDL_GetWindowSize (self->window, &scale->window_w, &scale->window_h);
    if (SDL_GetRendererOutputSize (self->renderer, &scale->pixels_w, &scale->pixels_h))
        scale->pixels_w = scale->pixels_h = 0;
}

uint32_t
mf_screen_window_id (mf_screen_t *self)
{
    return SDL_GetWindowID (self->window);
}

int
mf_screen_describe (mf_screen_t *self, const char **driver, const char **renderer)
{
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo (self->renderer, &info))
        return -1;
    *driver = SDL_GetCurrentVideoDriver ();
    *renderer = info.name;              //  a static string of SDL's
    return *driver? 0: -1;
}

void
mf_screen_set_size (mf_screen_t *self, int w, int h)
{
    SDL_SetWindowSize (self->window, w, h);
}

void
mf_screen_set_fullscreen (mf_screen_t *self, bool on)
{
    SDL_SetWindowFullscreen (self->window, on? SDL_WINDOW_FULLSCREEN_DESKTOP: 0);
}

void
mf_screen_set_title (mf_screen_t *self, const char *title)
{
    SDL_SetWindowTitle (self->window, title);
}

int
mf_screen_set_frame_size (mf_screen_t *self, uint32_t w, uint32_t h, char *err, size_t errlen)
{
    if (self->texture)
        SDL_DestroyTexture (self->texture);
    self->texture = SDL_CreateTexture (self->renderer, SDL_PIXELFORMAT_RGB888,
                                       SDL_TEXTUREACCESS_STREAMING, (int) w, (int) h);
    if (!self->texture) {
        snprintf (err, errlen, "cannot make a %ux%u texture: %s", w, h, SDL_GetError ());
        return -1;
    }
    return 0;
}

//  Copies a rectangle of the frame into the texture. The texture is
//  XRGB8888, the format renderers and screens use natively, so that
//  drawing it is a plain copy; the conversion from the frame's RGB is
//  done here, once per changed pixel.
static void
s_upload (mf_screen_t *self, mf_frame_t *frame, const mf_rect_t *dirty)
{
    uint32_t w = mf_frame_width (frame);
    SDL_Rect rect = { (int) dirty->x, (int) dirty->y, (int) dirty->w, (int) dirty->h };
    void *pixels;
    int pitch;
    if (SDL_LockTexture (self->texture, &rect, &pixels, &pitch))
        return;
    for (uint32_t row = 0; row < dirty->h; row++) {
        const uint8_t *rgb = mf_frame_rgb (frame) + ((size_t) (dirty->y + row) * w + dirty->x) * 3;
        uint32_t *out = (uint32_t *) ((uint8_t *) pixels + (size_t) row * (size_t) pitch);
        for (uint32_t col = 0; col < dirty->w; col++, rgb += 3)
            out [col] = (uint32_t) rgb [0] << 16 | (uint32_t) rgb [1] << 8 | rgb [2];
    }
    SDL_UnlockTexture (self->texture);
}

static void
s_text (mf_screen_t *self, int x, int y, const char *text)
{
    int w = mf_font_width (), h = mf_font_height ();
    for (; *text; text++, x += w) {
        int c = (unsigned char) *text;
        if (c < MF_FONT_FIRST || c >= MF_FONT_FIRST + MF_FONT_COUNT)
            c = '?';
        SDL_Rect src = { (c - MF_FONT_FIRST) * w, 0, w, h };
        SDL_Rect dst = { x, y, w, h };
        SDL_RenderCopy (self->renderer, self->font, &src, &dst);
    }
}

//  A dark box at the top left holding the lines, one font cell of margin.
static void
s_draw_lines (mf_screen_t *self, const char *const lines [], size_t count)
{
    int fw = mf_font_width (), fh = mf_font_height ();
    int longest = 0;
    for (size_t index = 0; index < count; index++)
        if ((int) strlen (lines [index]) > longest)
            longest = (int) strlen (lines [index]);
    SDL_Rect box = { OVERLAY_MARGIN, OVERLAY_MARGIN, longest * fw + 2 * fw,
                     (int) count * (fh + 2) + fh };
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (self->renderer, 0, 0, 0, OVERLAY_ALPHA);
    SDL_RenderFillRect (self->renderer, &box);
    for (size_t index = 0; index < count; index++)
        s_text (self, box.x + fw, box.y + fh / 2 + (int) index * (fh + 2), lines [index]);
}

void
mf_screen_draw (mf_screen_t *self, mf_frame_t *frame, const mf_drag_t *drag,
                const char *const lines [], size_t count)
{
    assert (self->texture);
    mf_rect_t dirty;
    if (mf_frame_take_dirty (frame, &dirty) == 0 && dirty.w && dirty.h)
        s_upload (self, frame, &dirty);
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor (self->renderer, MF_FRAME_BACKGROUND, MF_FRAME_BACKGROUND,
                            MF_FRAME_BACKGROUND, 255);
    SDL_RenderClear (self->renderer);
    SDL_Rect dst = { 0, 0, (int) mf_frame_width (frame), (int) mf_frame_height (frame) };
    if (drag->kind == MF_DRAG_PAN) {
        dst.x += drag->x - drag->x0;
        dst.y += drag->y - drag->y0;
    }
    SDL_RenderCopy (self->renderer, self->texture, NULL, &dst);
    if (drag->kind == MF_DRAG_BOX) {
        int x0 = drag->x0 < drag->x? drag->x0: drag->x;
        int y0 = drag->y0 < drag->y? drag->y0: drag->y;
        SDL_Rect box = { x0, y0, abs (drag->x - drag->x0) + 1, abs (drag->y - drag->y0) + 1 };
        SDL_Rect shadow = { box.x + 1, box.y + 1, box.w, box.h };
        SDL_SetRenderDrawColor (self->renderer, 0, 0, 0, 255);
        SDL_RenderDrawRect (self->renderer, &shadow);
        SDL_SetRenderDrawColor (self->renderer, 255, 255, 255, 255);
        SDL_RenderDrawRect (self->renderer, &box);
    }
    if (count)
        s_draw_lines (self, lines, count);
}

void
mf_screen_draw_legend (mf_screen_t *self, const char *const names [], size_t count, size_t more)
{
    count = count > MF_SCREEN_LEGEND_MAX? MF_SCREEN_LEGEND_MAX: count;
    if (!count && !more)
        return;
    int fw = mf_font_width (), fh = mf_font_height ();
    char tail [48];
    snprintf (tail, sizeof tail, "+ %zu more", more);
    //  Each line: a swatch one cell wide, a cell of space, the name.
    int longest = more? (int) strlen (tail): 0;
    for (size_t index = 0; index < count; index++)
        if ((int) strlen (names [index]) + 2 > longest)
            longest = (int) strlen (names [index]) + 2;
    int lines = (int) count + (more > 0), w = 0, h = 0;
    if (mf_screen_size (self, &w, &h))
        return;
    SDL_Rect box = { OVERLAY_MARGIN, 0, longest * fw + 2 * fw, lines * (fh + 2) + fh };
    box.y = h - OVERLAY_MARGIN - box.h;
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (self->renderer, 0, 0, 0, OVERLAY_ALPHA);
    SDL_RenderFillRect (self->renderer, &box);
    SDL_SetRenderDrawBlendMode (self->renderer, SDL_BLENDMODE_NONE);
    for (size_t index = 0; index < count; index++) {
        int y = box.y + fh / 2 + (int) index * (fh + 2);
        uint8_t rgb [3];
        mf_frame_tint_color ((int) index, rgb);
        SDL_SetRenderDrawColor (self->renderer, rgb [0], rgb [1], rgb [2], 255);
        SDL_Rect swatch = { box.x + fw, y + 1, fw, fh - 2 };
        SDL_RenderFillRect (self->renderer, &swatch);
        s_text (self, box.x + 3 * fw, y, names [index]);
    }
    if (more)
        s_text (self, box.x + fw, box.y + fh / 2 + (int) count * (fh + 2), tail);
}

void
mf_screen_present (mf_screen_t *self)
{
    SDL_RenderPresent (self->renderer);
}

int
mf_screen_screenshot (mf_screen_t *self, const char *path, char *err, size_t errlen)
{
    int w, h;
    size_t pixels, bytes;
    if (mf_screen_size (self, &w, &h)) {
        snprintf (err, errlen, "cannot read the window size: %s", SDL_GetError ());
        return -1;
    }
    uint8_t *rgb = NULL;
    if (mf_mul_size ((size_t) w, (size_t) h, &pixels) == 0
    &&  mf_mul_size (pixels, 3, &bytes) == 0)
        rgb = malloc (bytes);
    if (!rgb) {
        snprintf (err, errlen, "no memory for a %dx%d screenshot", w, h);
        return -1;
    }
    int rc = SDL_RenderReadPixels (self->renderer, NULL, SDL_PIXELFORMAT_RGB24, rgb, w * 3);
    SDL_RenderPresent (self->renderer);
    if (rc) {
        snprintf (err, errlen, "cannot read the window's pixels: %s", SDL_GetError ());
        free (rgb);
        return -1;
    }
    char software [48];
    snprintf (software, sizeof software, "mandelfarm %s (viewer screenshot)", MF_VERSION);
    mf_png_text_t texts [] = { { "Software", software } };
    mf_outfile_t *out = mf_outfile_open (path, err, errlen);
    mf_png_t *png = out? mf_png_new (mf_outfile_stream (out), (uint32_t) w, (uint32_t) h,
                                     texts, 1, SCREENSHOT_LEVEL, err, errlen): NULL;
    rc = png? mf_png_write_rows (png, rgb, (uint32_t) h): -1;
    if (png && (mf_png_finish (&png) || rc)) {
        snprintf (err, errlen, "cannot write the PNG '%s'", path);
        rc = -1;
    }
    free (rgb);
    if (rc || !out) {
        mf_outfile_abort (&out);
        return -1;
    }
    return mf_outfile_commit (&out, err, errlen);
}
