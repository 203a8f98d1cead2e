/*  mf_font: see font.h. */
#include "font.h"
#include "font_data.h"

#include <string.h>

int
mf_font_width (void)
{
    return MF_FONT_W;
}

int
mf_font_height (void)
{
    return MF_FONT_H;
}

int
mf_font_pixel (char c, int x, int y)
{
    int code = (unsigned char) c;
    if (code < MF_FONT_FIRST || code >= MF_FONT_FIRST + MF_FONT_COUNT)
        code = '?';
    if (x < 0 || x >= MF_FONT_W || y < 0 || y >= MF_FONT_H)
        return 0;
    return (s_font_data [code - MF_FONT_FIRST][y] >> (7 - x)) & 1;
}

void
mf_font_atlas (uint32_t *pixels)
{
    int stride = MF_FONT_COUNT * MF_FONT_W;
    for (int glyph = 0; glyph < MF_FONT_COUNT; glyph++)
        for (int y = 0; y < MF_FONT_H; y++)
            for (int x = 0; x < MF_FONT_W; x++) {
                uint8_t rgba [4] = { 255, 255, 255, 0 };
                if (mf_font_pixel ((char) (MF_FONT_FIRST + glyph), x, y))
                    rgba [3] = 255;
                memcpy (&pixels [y * stride + glyph * MF_FONT_W + x], rgba, 4);
            }
}
