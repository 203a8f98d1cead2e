/*  mf_font: the viewer's built-in bitmap font, so the help overlay and
    the status need no font file: the X11 misc-fixed 7x13 bold glyphs
    (public domain, from Debian's xfonts-base; scripts/gen-font.py made
    font_data.h from them), printable ASCII only.
*/
#ifndef MF_VIEWER_FONT_H
#define MF_VIEWER_FONT_H

#include <stdint.h>

#define MF_FONT_FIRST 32                //  first character with a glyph
#define MF_FONT_COUNT 95                //  glyphs: ' ' to '~'

//  Cell size of every glyph, pixels.
int mf_font_width (void);
int mf_font_height (void);

//  Whether pixel (x, y) of character c's cell is set; characters without
//  a glyph draw as '?'.
int mf_font_pixel (char c, int x, int y);

//  Draws every glyph side by side into an atlas of MF_FONT_COUNT *
//  width x height pixels, 32-bit ABGR8888 in memory order R, G, B, A:
//  white where set, fully transparent elsewhere.
void mf_font_atlas (uint32_t *pixels);

#endif
