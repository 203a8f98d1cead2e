/*  mf_palette: see mf_palette.h. The lookup tables are built on first use,
    once, under pthread_once, so that coloring from several threads (the
    viewer and the engine) is safe.

    Both tables come from one interpolated value v in [0, 255] per entry
    and channel, computed in doubles (each operation exactly rounded, no
    libm, no contraction): 8 bits are floor (v + 0.5), 16 bits are
    floor (257 v + 0.5). With n the 8-bit value, n - 1/2 <= v < n + 1/2
    gives 257 n - 128 <= v16 <= 257 n + 128, so v16 / 257 is within
    128/257 < 1/2 of n: rounding it gives n back (mf_palette.h).
*/
#include "mf_palette.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define LUT_SIZE 2048                  //  entries per color cycle
#define MAX_STOPS 8

typedef struct {
    double position;                   //  in [0, 1), increasing
    uint8_t rgb [3];
} s_stop_t;

struct _mf_palette_t {
    const char *name;                  //  what --palette takes
    double scale;                      //  cycles per unit of sqrt(mu)
    double phase;                      //  offset of mu = 0 in the cycle
    int stops;                         //  number of stops
    s_stop_t stop [MAX_STOPS];         //  the cycle, wrapping from last to first
    uint8_t interior [3];              //  color of interior pixels
    uint8_t lut [LUT_SIZE][3];         //  the cycle, sampled
    uint16_t lut16 [LUT_SIZE][3];      //  the same samples at 16 bits
};

static mf_palette_t s_palettes [] = {
    { "classic", 0.22, -0.2, 5, {
        { 0.0,    {   0,   7, 100 } },
        { 0.16,   {  32, 107, 203 } },
        { 0.42,   { 237, 255, 255 } },
        { 0.6425, { 255, 170,   0 } },
        { 0.8575, {   0,   2,   0 } } }, { 0, 0, 0 }, {{ 0 }}, {{ 0 }} },
    { "fire", 0.18, 0.1, 5, {
        { 0.0,  {  10,   0,   0 } },
        { 0.25, { 150,  20,   0 } },
        { 0.5,  { 255, 120,   0 } },
        { 0.7,  { 255, 230, 120 } },
        { 0.85, { 255, 255, 240 } } }, { 0, 0, 0 }, {{ 0 }}, {{ 0 }} },
    { "ocean", 0.2, 0.0, 5, {
        { 0.0,  {   0,  12,  40 } },
        { 0.3,  {   0,  90, 150 } },
        { 0.55, {  80, 200, 220 } },
        { 0.7,  { 230, 250, 255 } },
        { 0.85, {  20,  60, 110 } } }, { 0, 0, 0 }, {{ 0 }}, {{ 0 }} },
    { "gray", 0.2, 0.0, 2, {
        { 0.0,  {  25,  25,  25 } },
        { 0.5,  { 245, 245, 245 } } }, { 0, 0, 0 }, {{ 0 }}, {{ 0 }} },
    { "rainbow", 0.25, 0.0, 6, {
        { 0.0,       { 255,   0,   0 } },
        { 1.0 / 6.0, { 255, 255,   0 } },
        { 2.0 / 6.0, {   0, 255,   0 } },
        { 3.0 / 6.0, {   0, 255, 255 } },
        { 4.0 / 6.0, {   0,   0, 255 } },
        { 5.0 / 6.0, { 255,   0, 255 } } }, { 0, 0, 0 }, {{ 0 }}, {{ 0 }} },
};

#define PALETTE_COUNT (sizeof s_palettes / sizeof s_palettes [0])

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_names [128];

static void
s_build (void)
{
    for (size_t index = 0; index < PALETTE_COUNT; index++) {
        mf_palette_t *p = &s_palettes [index];
        for (int entry = 0; entry < LUT_SIZE; entry++) {
            double t = (double) entry / LUT_SIZE;
            //  Find the stops around t, wrapping from the last to the first.
            int lo = p->stops - 1;
            for (int s = 0; s < p->stops; s++)
                if (p->stop [s].position <= t)
                    lo = s;
            int hi = (lo + 1) % p->stops;
            double a = p->stop [lo].position, b = p->stop [hi].position;
            if (b <= a)
                b += 1.0;
            double u = t < a? t + 1.0: t;
            double f = (u - a) / (b - a);
            for (int ch = 0; ch < 3; ch++) {
                double v = p->stop [lo].rgb [ch]
                         + f * (p->stop [hi].rgb [ch] - p->stop [lo].rgb [ch]);
                p->lut [entry][ch] = (uint8_t) (v + 0.5);
                p->lut16 [entry][ch] = (uint16_t) (v * 257.0 + 0.5);
            }
        }
        if (index)
            strcat (s_names, ", ");
        strcat (s_names, p->name);
    }
}

const mf_palette_t *
mf_palette_find (const char *name)
{
    pthread_once (&s_once, s_build);
    for (size_t index = 0; index < PALETTE_COUNT; index++)
        if (name && strcmp (s_palettes [index].name, name) == 0)
            return &s_palettes [index];
    return NULL;
}

const mf_palette_t *
mf_palette_at (size_t index)
{
    pthread_once (&s_once, s_build);
    return index < PALETTE_COUNT? &s_palettes [index]: NULL;
}

size_t
mf_palette_count (void)
{
    return PALETTE_COUNT;
}

const char *
mf_palette_name (const mf_palette_t *self)
{
    return self->name;
}

const char *
mf_palette_names (void)
{
    pthread_once (&s_once, s_build);
    return s_names;
}

//  The entry of the cycle for an escaped pixel's mu (m >= 0).
static inline int
s_entry (const mf_palette_t *self, float m)
{
    double t = self->scale * sqrt ((double) m) + self->phase;
    //  floor (t), exactly, without a libm call (|t| is far below 2^63).
    double whole = (double) (int64_t) t;
    if (whole > t)
        whole -= 1.0;
    t -= whole;
    int entry = (int) (t * LUT_SIZE);
    return entry < LUT_SIZE? entry: LUT_SIZE - 1;
}

void
mf_palette_color (const mf_palette_t *self, const float *mu, size_t count,
                  uint8_t *rgb)
{
    for (size_t index = 0; index < count; index++, rgb += 3) {
        float m = mu [index];
        if (!(m >= 0.0f)) {
            memcpy (rgb, self->interior, 3);
            continue;
        }
        memcpy (rgb, self->lut [s_entry (self, m)], 3);
    }
}

void
mf_palette_color16 (const mf_palette_t *self, const float *mu, size_t count,
                    uint16_t *rgb)
{
    for (size_t index = 0; index < count; index++, rgb += 3) {
        float m = mu [index];
        if (!(m >= 0.0f)) {
            for (int ch = 0; ch < 3; ch++)
                rgb [ch] = (uint16_t) (self->interior [ch] * 257u);
            continue;
        }
        memcpy (rgb, self->lut16 [s_entry (self, m)], sizeof self->lut16 [0]);
    }
}
