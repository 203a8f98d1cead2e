/*  mf_input: see input.h. */
#include "input.h"

#include <SDL_keyboard.h>

#include <assert.h>
#include <stdlib.h>

struct _mf_input_t {
    mf_drag_t drag;                     //  the drag in progress (kind NONE: none)
};

mf_input_t *
mf_input_new (void)
{
    return calloc (1, sizeof (mf_input_t));
}

void
mf_input_destroy (mf_input_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

void
mf_input_to_pixels (const mf_input_scale_t *scale, int x, int y, int *px, int *py)
{
    if (scale->window_w <= 0 || scale->window_h <= 0
    ||  scale->pixels_w <= 0 || scale->pixels_h <= 0) {
        *px = x;
        *py = y;
        return;
    }
    *px = (int) ((int64_t) x * scale->pixels_w / scale->window_w);
    *py = (int) ((int64_t) y * scale->pixels_h / scale->window_h);
}

void
mf_input_to_window (const mf_input_scale_t *scale, int px, int py, int *x, int *y)
{
    if (scale->window_w <= 0 || scale->window_h <= 0
    ||  scale->pixels_w <= 0 || scale->pixels_h <= 0) {
        *x = px;
        *y = py;
        return;
    }
    *x = (int) ((int64_t) px * scale->window_w / scale->pixels_w);
    *y = (int) ((int64_t) py * scale->window_h / scale->pixels_h);
}

void
mf_input_event (mf_input_t *self, const SDL_Event *event, const mf_input_scale_t *scale,
                mf_intent_t *intent)
{
    mf_drag_t *drag = &self->drag;
    *intent = (mf_intent_t) { .kind = MF_INTENT_NONE };
    int x, y;
    switch (event->type) {
        case SDL_QUIT:
            intent->kind = MF_INTENT_QUIT;
            break;
        case SDL_WINDOWEVENT:
            intent->kind = event->window.event == SDL_WINDOWEVENT_SIZE_CHANGED
                         ? MF_INTENT_RESIZED: MF_INTENT_REDRAW;
            break;
        case SDL_KEYDOWN:
            intent->kind = MF_INTENT_KEY;
            intent->key = mf_keys_lookup (event->key.keysym.sym,
                                          (event->key.keysym.mod & KMOD_SHIFT) != 0,
                                          event->key.repeat != 0);
            break;
        case SDL_MOUSEWHEEL: {
            int steps = event->wheel.y;
            if (event->wheel.direction == SDL_MOUSEWHEEL_FLIPPED)
                steps = -steps;
            if (steps == 0 || drag->kind != MF_DRAG_NONE)
                break;
            intent->kind = MF_INTENT_ZOOM;
            intent->steps = steps;
            mf_input_to_pixels (scale, event->wheel.mouseX, event->wheel.mouseY,
                                &intent->x0, &intent->y0);
            break;
        }
        case SDL_MOUSEBUTTONDOWN:
            if (drag->kind != MF_DRAG_NONE
            ||  (event->button.button != SDL_BUTTON_LEFT && event->button.button != SDL_BUTTON_RIGHT))
                break;
            mf_input_to_pixels (scale, event->button.x, event->button.y, &x, &y);
            drag->kind = event->button.button == SDL_BUTTON_LEFT? MF_DRAG_PAN: MF_DRAG_BOX;
            drag->x0 = drag->x = x;
            drag->y0 = drag->y = y;
            break;
        case SDL_MOUSEMOTION:
            if (drag->kind == MF_DRAG_NONE)
                break;
            mf_input_to_pixels (scale, event->motion.x, event->motion.y, &drag->x, &drag->y);
            intent->kind = MF_INTENT_REDRAW;
            break;
        case SDL_MOUSEBUTTONUP:
            mf_input_to_pixels (scale, event->button.x, event->button.y, &x, &y);
            if (drag->kind == MF_DRAG_PAN && event->button.button == SDL_BUTTON_LEFT) {
                intent->kind = MF_INTENT_PAN;
                intent->dx = x - drag->x0;
                intent->dy = y - drag->y0;
            }
            else
            if (drag->kind == MF_DRAG_BOX && event->button.button == SDL_BUTTON_RIGHT) {
                intent->kind = MF_INTENT_BOX;
                intent->x0 = drag->x0;
                intent->y0 = drag->y0;
                intent->x1 = x;
                intent->y1 = y;
            }
            else
                break;
            *drag = (mf_drag_t) { .kind = MF_DRAG_NONE };
            break;
        default:
            break;
    }
}

void
mf_input_drag (const mf_input_t *self, mf_drag_t *drag)
{
    *drag = self->drag;
}

void
mf_input_wheel_event (const mf_input_scale_t *scale, uint32_t window, int x, int y, int steps,
                      SDL_Event *event)
{
    SDL_zerop (event);
    event->type = SDL_MOUSEWHEEL;
    event->wheel.windowID = window;
    event->wheel.y = steps;
    event->wheel.preciseY = (float) steps;
    event->wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    mf_input_to_window (scale, x, y, &event->wheel.mouseX, &event->wheel.mouseY);
}

void
mf_input_drag_events (const mf_input_scale_t *scale, uint32_t window, mf_drag_kind_t kind,
                      int x0, int y0, int x1, int y1, SDL_Event events [3])
{
    assert (kind == MF_DRAG_PAN || kind == MF_DRAG_BOX);
    Uint8 button = kind == MF_DRAG_PAN? SDL_BUTTON_LEFT: SDL_BUTTON_RIGHT;
    int wx0, wy0, wx1, wy1;
    mf_input_to_window (scale, x0, y0, &wx0, &wy0);
    mf_input_to_window (scale, x1, y1, &wx1, &wy1);
    SDL_zerop (&events [0]);
    events [0].button = (SDL_MouseButtonEvent) { SDL_MOUSEBUTTONDOWN, 0, window, 0, button,
                                                 SDL_PRESSED, 1, 0, wx0, wy0 };
    SDL_zerop (&events [1]);
    events [1].motion = (SDL_MouseMotionEvent) { SDL_MOUSEMOTION, 0, window, 0,
                                                 SDL_BUTTON (button), wx1, wy1,
                                                 wx1 - wx0, wy1 - wy0 };
    SDL_zerop (&events [2]);
    events [2].button = (SDL_MouseButtonEvent) { SDL_MOUSEBUTTONUP, 0, window, 0, button,
                                                 SDL_RELEASED, 1, 0, wx1, wy1 };
}

int
mf_input_key_events (uint32_t window, mf_key_t key, SDL_Event events [2])
{
    const mf_keys_binding_t *binding = mf_keys_binding (key);
    if (!binding)
        return -1;
    SDL_zerop (&events [0]);
    events [0].type = SDL_KEYDOWN;
    events [0].key.windowID = window;
    events [0].key.state = SDL_PRESSED;
    events [0].key.keysym.sym = binding->sym;
    events [0].key.keysym.scancode = SDL_GetScancodeFromKey (binding->sym);
    events [0].key.keysym.mod = binding->shift? KMOD_LSHIFT: KMOD_NONE;
    events [1] = events [0];
    events [1].type = SDL_KEYUP;
    events [1].key.state = SDL_RELEASED;
    return 0;
}
