/*  mf_status: see status.h. */
#include "status.h"
#include "keys.h"
#include "options.h"
#include "mf_version.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELP_KEYS_COLUMN 14             //  characters of the help overlay's keys column

struct _mf_status_t {
    char note [160];                    //  the latest note
    int64_t note_until;                 //  msecs: shown until then
    int64_t last_title;                 //  msecs: when the title was last set (0: due)
};

//  The mouse's lines of the help overlay; the keys' come from keys.h.
static const char *s_mouse [] [2] = {
    { "wheel", "zoom in / out at the pointer (2x a notch)" },
    { "left-drag", "pan" },
    { "right-drag", "zoom into the box" }
};

mf_status_t *
mf_status_new (void)
{
    return calloc (1, sizeof (mf_status_t));
}

void
mf_status_destroy (mf_status_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
mf_status_vnote (mf_status_t *self, int64_t now_ms, const char *format, va_list args)
{
    vsnprintf (self->note, sizeof self->note, format, args);
    self->note_until = now_ms + MF_STATUS_NOTE_MS;
    self->last_title = 0;
}

void
mf_status_note (mf_status_t *self, int64_t now_ms, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    mf_status_vnote (self, now_ms, format, args);
    va_end (args);
}

bool
mf_status_title_due (mf_status_t *self, int64_t now_ms, bool force)
{
    if (!force && now_ms - self->last_title < MF_STATUS_TITLE_MS)
        return false;
    self->last_title = now_ms;
    return true;
}

//  Enough decimals to tell pixels apart at pitch d.
static int
s_decimals (double d)
{
    int decimals = (int) ceil (-log10 (d)) + 1;
    return decimals < 2? 2: decimals > 17? 17: decimals;
}

void
mf_status_progress (const mf_status_facts_t *facts, int64_t now_us, char *line, size_t size)
{
    int64_t end = facts->complete_us? facts->complete_us: now_us;
    double seconds = (double) (end - facts->submit_us) / 1e6;
    double rate = seconds > 0? (double) facts->full_pixels / seconds / 1e6: 0;
    snprintf (line, size, "tiles %u/%u  %.1f Mpixel/s  %u worker%s",
              facts->full_done, facts->full_total, rate,
              facts->workers, facts->workers == 1? "": "s");
}

//  "2.1e57": a zoom given by its log10, as a power of ten.
static void
s_power (double log10_zoom, char *text, size_t size)
{
    double exponent = floor (log10_zoom);
    double mantissa = pow (10.0, log10_zoom - exponent);
    if (mantissa >= 9.95) {             //  printed as 10.0: the next power
        mantissa = 1.0;
        exponent += 1;
    }
    snprintf (text, size, "%.1fe%.0f", mantissa, exponent);
}

//  The iterations: "iter 5000", or "iter auto" while auto has not chosen.
static void
s_iter (const mf_status_facts_t *facts, char *text, size_t size)
{
    if (facts->iter_auto && !facts->maxiter)
        snprintf (text, size, "iter auto");
    else
        snprintf (text, size, "iter %u%s", facts->maxiter, facts->iter_auto? " (auto)": "");
}

//  A deep view's status line (mf_status_line): its center's first
//  digits, its width, the zoom as a power of ten, the reference orbit.
static int
s_deep_line (const mf_status_facts_t *facts, const char *progress, char *line, size_t size)
{
    char zoom [32], iter [48], reference [64] = "";
    s_power (facts->log10_zoom, zoom, sizeof zoom);
    s_iter (facts, iter, sizeof iter);
    if (facts->reference)
        snprintf (reference, sizeof reference, "reference %llu/%llu (%.0f%%)  ",
                  (unsigned long long) facts->reference_done,
                  (unsigned long long) facts->reference_limit,
                  facts->reference_limit? 100.0 * (double) facts->reference_done
                                          / (double) facts->reference_limit: 0.0);
    return snprintf (line, size, "center %.24s...  width %.4s...%s  zoom %s  %s  %s%s",
                     facts->center_text, facts->width_text,
                     strchr (facts->width_text, 'e')? strchr (facts->width_text, 'e'): "",
                     zoom, iter, reference, progress);
}

void
mf_status_line (const mf_status_t *self, const mf_status_facts_t *facts, int64_t now_us,
                char *line, size_t size)
{
    const mf_view_t *view = &facts->view;
    int decimals = s_decimals (view->width / view->pixel_w);
    char progress [128];
    mf_status_progress (facts, now_us, progress, sizeof progress);
    int len;
    if (facts->deep)
        len = s_deep_line (facts, progress, line, size);
    else
    if (facts->iter_auto) {
        char iter [48];
        s_iter (facts, iter, sizeof iter);
        len = snprintf (line, size, "center %.*f %c %.*fi  width %.3g (zoom %.3gx)  %s  %s",
                        decimals, view->center_re, view->center_im < 0? '-': '+',
                        decimals, fabs (view->center_im), view->width,
                        mf_view_zoom (view, MF_DEFAULT_VIEW_WIDTH), iter, progress);
    }
    else
        len = snprintf (line, size, "center %.*f %c %.*fi  width %.3g (zoom %.3gx)  iter %u  %s",
                        decimals, view->center_re, view->center_im < 0? '-': '+',
                        decimals, fabs (view->center_im), view->width,
                        mf_view_zoom (view, MF_DEFAULT_VIEW_WIDTH), facts->maxiter, progress);
    if (len > 0 && (size_t) len < size && facts->big)
        len += snprintf (line + len, size - (size_t) len, "  4x save %u/%u",
                         facts->big_done, facts->big_total);
    if (len > 0 && (size_t) len < size && facts->save_pending)
        len += snprintf (line + len, size - (size_t) len, "  save when complete");
    if (len > 0 && (size_t) len < size && self->note_until > now_us / 1000)
        snprintf (line + len, size - (size_t) len, "  - %s", self->note);
}

void
mf_status_title (const mf_status_t *self, const mf_status_facts_t *facts, int64_t now_us,
                 char *title, size_t size)
{
    char line [512];
    mf_status_line (self, facts, now_us, line, sizeof line);
    snprintf (title, size, "mandelfarm - %s", line);
}

//  The shortest decimal that reads back as value (what --center takes).
static void
s_shortest (double value, char *text, size_t size)
{
    for (int digits = 1; digits <= 17; digits++) {
        snprintf (text, size, "%.*g", digits, value);
        if (strtod (text, NULL) == value)
            return;
    }
}

static char *
s_help_line (mf_status_help_t *help)
{
    assert (help->count < MF_STATUS_HELP_LINES);
    return help->lines [help->count++];
}

void
mf_status_help (const mf_status_facts_t *facts, int64_t now_us, mf_status_help_t *help)
{
    help->count = 0;
    snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH,
              "mandelfarm %s - live view of the farm", MF_VERSION);
    s_help_line (help) [0] = 0;
    for (size_t index = 0; index < sizeof s_mouse / sizeof s_mouse [0]; index++)
        snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "%-*s%s", HELP_KEYS_COLUMN,
                  s_mouse [index] [0], s_mouse [index] [1]);
    for (size_t index = 0; index < mf_keys_count (); index++) {
        const mf_keys_binding_t *row = mf_keys_at (index);
        if (row->help_keys)
            snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "%-*s%s", HELP_KEYS_COLUMN,
                      row->help_keys, row->help);
    }
    s_help_line (help) [0] = 0;

    char re [32], im [32], w [32];
    const mf_view_t *view = &facts->view;
    if (facts->deep) {
        //  The exact texts, as much of them as a line holds (s and m
        //  give them whole).
        char zoom [32], iter [48];
        s_power (facts->log10_zoom, zoom, sizeof zoom);
        s_iter (facts, iter, sizeof iter);
        snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "center  %.100s%s",
                  facts->center_text, strlen (facts->center_text) > 100? "...": "");
        snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "width   %.60s (zoom %s)",
                  facts->width_text, zoom);
        snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "size    %ux%u  %s  palette %s%s",
                  view->pixel_w, view->pixel_h, iter, facts->palette,
                  facts->tint? "  (worker tint)": "");
        mf_status_progress (facts, now_us, s_help_line (help), MF_STATUS_HELP_WIDTH);
        snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH,
                  "late results dropped: %llu by the engine, %llu here",
                  (unsigned long long) facts->late, (unsigned long long) facts->dropped);
        return;
    }
    s_shortest (view->center_re, re, sizeof re);
    s_shortest (fabs (view->center_im), im, sizeof im);
    s_shortest (view->width, w, sizeof w);
    snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "center  %s %c %si", re,
              view->center_im < 0? '-': '+', im);
    snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "width   %s (zoom %.4gx)", w,
              mf_view_zoom (view, MF_DEFAULT_VIEW_WIDTH));
    snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH, "size    %ux%u  iter %u  palette %s%s",
              view->pixel_w, view->pixel_h, facts->maxiter, facts->palette,
              facts->tint? "  (worker tint)": "");
    mf_status_progress (facts, now_us, s_help_line (help), MF_STATUS_HELP_WIDTH);
    snprintf (s_help_line (help), MF_STATUS_HELP_WIDTH,
              "late results dropped: %llu by the engine, %llu here",
              (unsigned long long) facts->late, (unsigned long long) facts->dropped);
}
