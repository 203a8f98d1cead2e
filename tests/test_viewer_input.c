/*  The viewer's input (viewer/input.c): synthetic SDL events in, exact
    navigation intents out; the drag state machine; window coordinates
    to frame pixels and back on a scaled display; the events a script
    synthesizes give back the script's own numbers. No display needed. */
#include "helpers.h"
#include "input.h"

#include <check.h>
#include <string.h>

static const mf_input_scale_t s_same = { 640, 400, 640, 400 };
static const mf_input_scale_t s_double = { 320, 200, 640, 400 };   //  a 2x display

static SDL_Event
s_button (Uint32 type, Uint8 button, int x, int y)
{
    SDL_Event event;
    SDL_zero (event);
    event.type = type;
    event.button.button = button;
    event.button.x = x;
    event.button.y = y;
    return event;
}

static SDL_Event
s_motion (int x, int y)
{
    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_MOUSEMOTION;
    event.motion.x = x;
    event.motion.y = y;
    return event;
}

static SDL_Event
s_wheel (int x, int y, int steps, bool flipped)
{
    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_MOUSEWHEEL;
    event.wheel.y = steps;
    event.wheel.mouseX = x;
    event.wheel.mouseY = y;
    event.wheel.direction = flipped? SDL_MOUSEWHEEL_FLIPPED: SDL_MOUSEWHEEL_NORMAL;
    return event;
}

static SDL_Event
s_key (SDL_Keycode sym, Uint16 mod, bool repeat)
{
    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_KEYDOWN;
    event.key.keysym.sym = sym;
    event.key.keysym.mod = mod;
    event.key.repeat = repeat;
    return event;
}

//  Feeds one event and returns its intent.
static mf_intent_t
s_feed (mf_input_t *input, SDL_Event event, const mf_input_scale_t *scale)
{
    mf_intent_t intent;
    memset (&intent, 0x5a, sizeof intent);      //  nothing may be left unset
    mf_input_event (input, &event, scale, &intent);
    return intent;
}

START_TEST (pan_drag)
{
    mf_input_t *input = mf_input_new ();
    ck_assert_ptr_nonnull (input);
    mf_drag_t drag;
    mf_input_drag (input, &drag);
    ck_assert_int_eq (drag.kind, MF_DRAG_NONE);
    mf_intent_t intent = s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_LEFT, 100, 80),
                                 &s_same);
    ck_assert_int_eq (intent.kind, MF_INTENT_NONE);
    mf_input_drag (input, &drag);
    ck_assert (drag.kind == MF_DRAG_PAN && drag.x0 == 100 && drag.y0 == 80
               && drag.x == 100 && drag.y == 80);
    //  Motion moves the far end and asks for a redraw (the image follows).
    intent = s_feed (input, s_motion (130, 70), &s_same);
    ck_assert_int_eq (intent.kind, MF_INTENT_REDRAW);
    mf_input_drag (input, &drag);
    ck_assert (drag.kind == MF_DRAG_PAN && drag.x == 130 && drag.y == 70);
    //  The wheel and another button are ignored while it is on.
    ck_assert_int_eq (s_feed (input, s_wheel (5, 5, 1, false), &s_same).kind, MF_INTENT_NONE);
    ck_assert_int_eq (s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_RIGHT, 1, 1),
                              &s_same).kind, MF_INTENT_NONE);
    ck_assert_int_eq (s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_RIGHT, 1, 1),
                              &s_same).kind, MF_INTENT_NONE);
    mf_input_drag (input, &drag);
    ck_assert_int_eq (drag.kind, MF_DRAG_PAN);
    //  The release of its button ends it: the image moved by release - press.
    intent = s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_LEFT, 140, 50), &s_same);
    ck_assert_int_eq (intent.kind, MF_INTENT_PAN);
    ck_assert_int_eq (intent.dx, 40);
    ck_assert_int_eq (intent.dy, -30);
    mf_input_drag (input, &drag);
    ck_assert_int_eq (drag.kind, MF_DRAG_NONE);
    //  A click without motion is a pan by nothing (the viewer ignores it).
    s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_LEFT, 7, 7), &s_same);
    intent = s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_LEFT, 7, 7), &s_same);
    ck_assert (intent.kind == MF_INTENT_PAN && intent.dx == 0 && intent.dy == 0);
    //  Motion and releases with no drag on mean nothing.
    ck_assert_int_eq (s_feed (input, s_motion (3, 3), &s_same).kind, MF_INTENT_NONE);
    ck_assert_int_eq (s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_LEFT, 3, 3),
                              &s_same).kind, MF_INTENT_NONE);
    mf_input_destroy (&input);
    ck_assert_ptr_null (input);
    mf_input_destroy (&input);
}
END_TEST

START_TEST (box_drag_and_other_buttons)
{
    mf_input_t *input = mf_input_new ();
    //  The middle button starts nothing.
    ck_assert_int_eq (s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_MIDDLE, 9, 9),
                              &s_same).kind, MF_INTENT_NONE);
    mf_drag_t drag;
    mf_input_drag (input, &drag);
    ck_assert_int_eq (drag.kind, MF_DRAG_NONE);
    s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_RIGHT, 300, 200), &s_same);
    s_feed (input, s_motion (250, 150), &s_same);
    mf_input_drag (input, &drag);
    ck_assert (drag.kind == MF_DRAG_BOX && drag.x0 == 300 && drag.y0 == 200
               && drag.x == 250 && drag.y == 150);
    //  The left button's release does not end a box.
    ck_assert_int_eq (s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_LEFT, 0, 0),
                              &s_same).kind, MF_INTENT_NONE);
    mf_intent_t intent = s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_RIGHT, 240, 140),
                                 &s_same);
    ck_assert_int_eq (intent.kind, MF_INTENT_BOX);
    ck_assert (intent.x0 == 300 && intent.y0 == 200 && intent.x1 == 240 && intent.y1 == 140);
    mf_input_drag (input, &drag);
    ck_assert_int_eq (drag.kind, MF_DRAG_NONE);
    mf_input_destroy (&input);
}
END_TEST

START_TEST (wheel_keys_and_window)
{
    mf_input_t *input = mf_input_new ();
    mf_intent_t intent = s_feed (input, s_wheel (100, 50, 2, false), &s_same);
    ck_assert (intent.kind == MF_INTENT_ZOOM && intent.x0 == 100 && intent.y0 == 50
               && intent.steps == 2);
    //  A flipped wheel (natural scrolling) reports the other way round.
    intent = s_feed (input, s_wheel (100, 50, 1, true), &s_same);
    ck_assert (intent.kind == MF_INTENT_ZOOM && intent.steps == -1);
    //  A horizontal-only wheel event is not a zoom.
    ck_assert_int_eq (s_feed (input, s_wheel (1, 1, 0, false), &s_same).kind, MF_INTENT_NONE);

    intent = s_feed (input, s_key (SDLK_s, KMOD_RSHIFT, false), &s_same);
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_SAVE_BIG);
    intent = s_feed (input, s_key (SDLK_s, KMOD_NONE, false), &s_same);
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_SAVE);
    //  A held s saves once; a held arrow keeps panning.
    intent = s_feed (input, s_key (SDLK_s, KMOD_NONE, true), &s_same);
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_NONE);
    intent = s_feed (input, s_key (SDLK_LEFT, KMOD_NONE, true), &s_same);
    ck_assert (intent.kind == MF_INTENT_KEY && intent.key == MF_KEY_LEFT);

    SDL_Event event;
    SDL_zero (event);
    event.type = SDL_WINDOWEVENT;
    event.window.event = SDL_WINDOWEVENT_SIZE_CHANGED;
    ck_assert_int_eq (s_feed (input, event, &s_same).kind, MF_INTENT_RESIZED);
    event.window.event = SDL_WINDOWEVENT_EXPOSED;
    ck_assert_int_eq (s_feed (input, event, &s_same).kind, MF_INTENT_REDRAW);
    SDL_zero (event);
    event.type = SDL_QUIT;
    ck_assert_int_eq (s_feed (input, event, &s_same).kind, MF_INTENT_QUIT);
    SDL_zero (event);
    event.type = SDL_USEREVENT;         //  the farm's wake-up
    ck_assert_int_eq (s_feed (input, event, &s_same).kind, MF_INTENT_NONE);
    mf_input_destroy (&input);
}
END_TEST

START_TEST (scaled_display)
{
    //  On a 2x display window coordinates are half the pixels.
    int px, py, x, y;
    mf_input_to_pixels (&s_double, 100, 51, &px, &py);
    ck_assert (px == 200 && py == 102);
    mf_input_to_window (&s_double, 201, 103, &x, &y);
    ck_assert (x == 100 && y == 51);
    //  An unknown size maps one to one.
    const mf_input_scale_t unknown = { 320, 200, 0, 0 };
    mf_input_to_pixels (&unknown, 17, 19, &px, &py);
    ck_assert (px == 17 && py == 19);
    mf_input_to_window (&unknown, 17, 19, &x, &y);
    ck_assert (x == 17 && y == 19);

    mf_input_t *input = mf_input_new ();
    mf_intent_t intent = s_feed (input, s_wheel (10, 20, 1, false), &s_double);
    ck_assert (intent.x0 == 20 && intent.y0 == 40);
    s_feed (input, s_button (SDL_MOUSEBUTTONDOWN, SDL_BUTTON_RIGHT, 10, 10), &s_double);
    intent = s_feed (input, s_button (SDL_MOUSEBUTTONUP, SDL_BUTTON_RIGHT, 60, 35), &s_double);
    ck_assert (intent.kind == MF_INTENT_BOX && intent.x0 == 20 && intent.y0 == 20
               && intent.x1 == 120 && intent.y1 == 70);
    mf_input_destroy (&input);
}
END_TEST

//  What a script pushes comes back as the script's own numbers: a
//  scripted move and a person's take one path.
START_TEST (script_events_round_trip)
{
    const mf_input_scale_t *scales [] = { &s_same, &s_double };
    for (size_t which = 0; which < 2; which++) {
        const mf_input_scale_t *scale = scales [which];
        mf_input_t *input = mf_input_new ();
        SDL_Event events [3];
        mf_input_wheel_event (scale, 7, 300, 120, -3, &events [0]);
        ck_assert_int_eq (events [0].wheel.windowID, 7);
        mf_intent_t intent = s_feed (input, events [0], scale);
        ck_assert (intent.kind == MF_INTENT_ZOOM && intent.x0 == 300 && intent.y0 == 120
                   && intent.steps == -3);

        mf_input_drag_events (scale, 7, MF_DRAG_PAN, 320, 200, 320 + 40, 200 - 24, events);
        ck_assert_int_eq (s_feed (input, events [0], scale).kind, MF_INTENT_NONE);
        ck_assert_int_eq (s_feed (input, events [1], scale).kind, MF_INTENT_REDRAW);
        intent = s_feed (input, events [2], scale);
        ck_assert (intent.kind == MF_INTENT_PAN && intent.dx == 40 && intent.dy == -24);

        mf_input_drag_events (scale, 7, MF_DRAG_BOX, 10, 20, 110, 90, events);
        s_feed (input, events [0], scale);
        s_feed (input, events [1], scale);
        intent = s_feed (input, events [2], scale);
        ck_assert (intent.kind == MF_INTENT_BOX && intent.x0 == 10 && intent.y0 == 20
                   && intent.x1 == 110 && intent.y1 == 90);
        mf_input_destroy (&input);
    }
    //  Every key a script can press comes back as that key.
    mf_input_t *input = mf_input_new ();
    for (mf_key_t key = MF_KEY_NONE + 1; key < MF_KEY_COUNT; key++) {
        SDL_Event events [2];
        ck_assert_int_eq (mf_input_key_events (3, key, events), 0);
        ck_assert (events [0].type == SDL_KEYDOWN && events [1].type == SDL_KEYUP);
        mf_intent_t intent = s_feed (input, events [0], &s_same);
        ck_assert_msg (intent.kind == MF_INTENT_KEY && intent.key == key, "key %d gave %d",
                       key, intent.key);
        ck_assert_int_eq (s_feed (input, events [1], &s_same).kind, MF_INTENT_NONE);
    }
    SDL_Event events [2];
    ck_assert_int_eq (mf_input_key_events (3, MF_KEY_NONE, events), -1);
    mf_input_destroy (&input);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("viewer_input");
    TCase *tc = tcase_create ("events");
    tcase_add_test (tc, pan_drag);
    tcase_add_test (tc, box_drag_and_other_buttons);
    tcase_add_test (tc, wheel_keys_and_window);
    tcase_add_test (tc, scaled_display);
    tcase_add_test (tc, script_events_round_trip);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
