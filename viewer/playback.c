/*  mf_playback: see playback.h. */
#include "playback.h"
#include "mf_util.h"

#include <SDL.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _mf_playback_t {
    mf_script_t *script;                //  the actions, or NULL
    char *name;                         //  the script's file name, for messages
    volatile sig_atomic_t *stop;        //  set by a signal
    size_t step;                        //  next action
    bool step_started;                  //  its deadline is set
    int64_t step_until;                 //  msecs: its deadline
    FILE *trace;                        //  trace log, or NULL
    int64_t t0;                         //  usecs at creation, for the trace
};

mf_playback_t *
mf_playback_new (const char *path, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    mf_playback_t *self = calloc (1, sizeof *self);
    if (!self || !(self->name = strdup (path? path: ""))) {
        snprintf (err, errlen, "out of memory");
        free (self);
        return NULL;
    }
    self->t0 = mf_clock_us ();
    self->stop = stop;
    if (path && !(self->script = mf_script_load (path, err, errlen)))
        mf_playback_destroy (&self);
    return self;
}

void
mf_playback_destroy (mf_playback_t **self_p)
{
    assert (self_p);
    mf_playback_t *self = *self_p;
    if (!self)
        return;
    if (self->trace)
        fclose (self->trace);
    mf_script_destroy (&self->script);
    free (self->name);
    free (self);
    *self_p = NULL;
}

void
mf_playback_trace (mf_playback_t *self, const char *format, ...)
{
    if (!self->trace)
        return;
    fprintf (self->trace, "%.3f ", (double) (mf_clock_us () - self->t0) / 1000.0);
    va_list args;
    va_start (args, format);
    vfprintf (self->trace, format, args);
    va_end (args);
    fputc ('\n', self->trace);
}

//  Writes the failure of action into err. Returns MF_PLAY_FAILED.
static mf_play_t
s_fail (mf_playback_t *self, const mf_action_t *action, const char *what,
        char *err, size_t errlen)
{
    snprintf (err, errlen, "--script %s: line %d: %s", self->name, action->line, what);
    return MF_PLAY_FAILED;
}

static int
s_open_trace (mf_playback_t *self, const mf_action_t *action, char *err, size_t errlen)
{
    if (self->trace)
        fclose (self->trace);
    self->trace = fopen (action->path, "w");
    if (!self->trace) {
        char what [700];
        snprintf (what, sizeof what, "trace %s: %s", action->path, strerror (errno));
        s_fail (self, action, what, err, errlen);
        return -1;
    }
    return 0;
}

int
mf_playback_begin (mf_playback_t *self, char *err, size_t errlen)
{
    while (self->script && self->step < mf_script_count (self->script)
       &&  mf_script_at (self->script, self->step)->kind == MF_ACT_TRACE)
        if (s_open_trace (self, mf_script_at (self->script, self->step++), err, errlen))
            return -1;
    return 0;
}

static void
s_push (SDL_Event *events, size_t count)
{
    for (size_t index = 0; index < count; index++)
        SDL_PushEvent (&events [index]);
}

//  Plays the input action (zoom, pan, box, key): its events go into
//  SDL's queue.
static void
s_input (const mf_action_t *action, const mf_playback_facts_t *facts)
{
    SDL_Event events [3];
    const mf_input_scale_t *scale = &facts->scale;
    switch (action->kind) {
        case MF_ACT_ZOOM:
            mf_input_wheel_event (scale, facts->window, (int) action->args [0],
                                  (int) action->args [1], (int) action->args [2], &events [0]);
            s_push (events, 1);
            break;
        case MF_ACT_PAN: {
            //  From the middle of the window, so that the drag stays on it.
            int x = (int) facts->pixel_w / 2, y = (int) facts->pixel_h / 2;
            mf_input_drag_events (scale, facts->window, MF_DRAG_PAN, x, y,
                                  x + (int) action->args [0], y + (int) action->args [1], events);
            s_push (events, 3);
            break;
        }
        case MF_ACT_BOX:
            mf_input_drag_events (scale, facts->window, MF_DRAG_BOX,
                                  (int) action->args [0], (int) action->args [1],
                                  (int) action->args [2], (int) action->args [3], events);
            s_push (events, 3);
            break;
        case MF_ACT_KEY:
            if (mf_input_key_events (facts->window, action->key, events) == 0)
                s_push (events, 2);
            break;
        default:
            assert (false);
    }
}

mf_play_t
mf_playback_play (mf_playback_t *self, const mf_playback_host_t *host, int *wait_ms,
                  char *err, size_t errlen)
{
    *wait_ms = -1;
    while (self->script && self->step < mf_script_count (self->script)) {
        const mf_action_t *action = mf_script_at (self->script, self->step);
        int64_t now = mf_clock_ms ();
        char what [700], why [512];
        mf_playback_facts_t facts;
        if (!self->step_started) {
            self->step_started = true;
            self->step_until = now + (action->kind == MF_ACT_SLEEP? action->args [0]
                                    : action->kind == MF_ACT_WAIT? action->args [0] * 1000
                                    : MF_SCRIPT_DEFAULT_WAIT * 1000);
        }
        switch (action->kind) {
            case MF_ACT_ZOOM:
            case MF_ACT_PAN:
            case MF_ACT_BOX:
            case MF_ACT_KEY:
                host->facts (host->arg, &facts);
                s_input (action, &facts);
                break;
            case MF_ACT_RESIZE:
                host->resize (host->arg, (int) action->args [0], (int) action->args [1]);
                break;
            case MF_ACT_WAIT:
            case MF_ACT_WAIT_TILES: {
                host->facts (host->arg, &facts);
                bool done = action->kind == MF_ACT_WAIT? facts.settled
                          : !facts.changing && facts.full_done >= (uint32_t) action->args [0];
                if (done)
                    break;
                if (now < self->step_until) {
                    *wait_ms = (int) (self->step_until - now);
                    return MF_PLAY_ON;
                }
                snprintf (what, sizeof what, "the view was not %s after %ld s (%u of %u tiles, "
                          "%u worker%s connected)",
                          action->kind == MF_ACT_WAIT? "complete": "that far",
                          action->kind == MF_ACT_WAIT? action->args [0]: MF_SCRIPT_DEFAULT_WAIT,
                          facts.full_done, facts.full_total, facts.workers,
                          facts.workers == 1? "": "s");
                return s_fail (self, action, what, err, errlen);
            }
            case MF_ACT_SLEEP:
                if (now < self->step_until) {
                    *wait_ms = (int) (self->step_until - now);
                    return MF_PLAY_ON;
                }
                break;
            case MF_ACT_STALL:
                mf_playback_trace (self, "stall %ld", action->args [0]);
                SDL_Delay ((Uint32) action->args [0]);
                break;
            case MF_ACT_STALL_TILES:
                //  Blocks here, events and tiles unhandled, like a busy loop.
                mf_playback_trace (self, "stall-tiles %ld", action->args [0]);
                host->facts (host->arg, &facts);
                while (facts.queued < (size_t) action->args [0]
                   &&  mf_clock_ms () < self->step_until && !*self->stop) {
                    SDL_Delay (1);
                    host->facts (host->arg, &facts);
                }
                if (facts.queued < (size_t) action->args [0]) {
                    snprintf (what, sizeof what, "fewer than %ld tiles came within %d s",
                              action->args [0], MF_SCRIPT_DEFAULT_WAIT);
                    return s_fail (self, action, what, err, errlen);
                }
                break;
            case MF_ACT_SCREENSHOT:
                if (host->screenshot (host->arg, action->path, why, sizeof why)) {
                    snprintf (what, sizeof what, "screenshot %s: %s", action->path, why);
                    return s_fail (self, action, what, err, errlen);
                }
                mf_playback_trace (self, "screenshot %s", action->path);
                break;
            case MF_ACT_TRACE:
                if (s_open_trace (self, action, err, errlen))
                    return MF_PLAY_FAILED;
                break;
            case MF_ACT_QUIT:
                self->step++;
                self->step_started = false;
                return MF_PLAY_QUIT;
        }
        self->step++;
        self->step_started = false;
        //  Let the loop handle the input just pushed, and apply a view
        //  change, before the next action.
        if (action->kind == MF_ACT_ZOOM || action->kind == MF_ACT_PAN
        ||  action->kind == MF_ACT_BOX || action->kind == MF_ACT_KEY) {
            *wait_ms = 0;
            return MF_PLAY_ON;
        }
        if (action->kind == MF_ACT_RESIZE) {
            host->facts (host->arg, &facts);
            if (facts.changing) {
                *wait_ms = 0;
                return MF_PLAY_ON;
            }
        }
    }
    return MF_PLAY_ON;
}
