/*  mf_keys: see keys.h. The table is the only place a key is spelled. */
#include "keys.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

//  Rows are in the help overlay's order; a row without help is described
//  by the nearest row above that has it. Toggles and saves act once per
//  press: holding `p` must not cycle the palettes at the repeat rate.
static const mf_keys_binding_t s_table [] = {
//    key                sym             shift  repeats name        alias    help keys    help
    { MF_KEY_LEFT,       SDLK_LEFT,      false, true,  "Left",      NULL,    "arrows",    "pan an eighth of the window" },
    { MF_KEY_RIGHT,      SDLK_RIGHT,     false, true,  "Right",     NULL,    NULL,        NULL },
    { MF_KEY_UP,         SDLK_UP,        false, true,  "Up",        NULL,    NULL,        NULL },
    { MF_KEY_DOWN,       SDLK_DOWN,      false, true,  "Down",      NULL,    NULL,        NULL },
    { MF_KEY_ITER_UP,    SDLK_PLUS,      false, true,  "+",         "plus",  "+  -",      "double / halve the iterations" },
    { MF_KEY_ITER_UP,    SDLK_KP_PLUS,   false, true,  NULL,        NULL,    NULL,        NULL },
    { MF_KEY_ITER_UP,    SDLK_EQUALS,    false, true,  NULL,        NULL,    NULL,        NULL },
    { MF_KEY_ITER_DOWN,  SDLK_MINUS,     false, true,  "-",         "minus", NULL,        NULL },
    { MF_KEY_ITER_DOWN,  SDLK_KP_MINUS,  false, true,  NULL,        NULL,    NULL,        NULL },
    { MF_KEY_PALETTE,    SDLK_p,         false, false, "p",         NULL,    "p",         "next palette" },
    { MF_KEY_TINT,       SDLK_w,         false, false, "w",         NULL,    "w",         "tint tiles by the worker that computed them" },
    { MF_KEY_SAVE,       SDLK_s,         false, false, "s",         NULL,    "s",         "save the view as mandelfarm-NNNN.png" },
    { MF_KEY_SAVE_BIG,   SDLK_s,         true,  false, "S",         NULL,    "S",         "render 4x the window and save it" },
    { MF_KEY_RESET,      SDLK_r,         false, false, "r",         NULL,    "r",         "back to the start view" },
    { MF_KEY_BACK,       SDLK_BACKSPACE, false, true,  "Backspace", NULL,    "Backspace", "the previous view" },
    { MF_KEY_MOVIE,      SDLK_m,         false, false, "m",         NULL,    "m",         "print the command that films a zoom movie into this view" },
    { MF_KEY_FULLSCREEN, SDLK_f,         false, false, "f",         NULL,    "f",         "fullscreen" },
    { MF_KEY_FULLSCREEN, SDLK_F11,       false, false, NULL,        NULL,    NULL,        NULL },
    { MF_KEY_HELP,       SDLK_h,         false, false, "h",         NULL,    "h",         "this help" },
    { MF_KEY_HELP,       SDLK_F1,        false, false, NULL,        NULL,    NULL,        NULL },
    { MF_KEY_QUIT,       SDLK_q,         false, false, "q",         NULL,    "q  Esc",    "quit" },
    { MF_KEY_QUIT,       SDLK_ESCAPE,    false, false, "Escape",    NULL,    NULL,        NULL }
};

#define TABLE_COUNT (sizeof s_table / sizeof s_table [0])

size_t
mf_keys_count (void)
{
    return TABLE_COUNT;
}

const mf_keys_binding_t *
mf_keys_at (size_t index)
{
    assert (index < TABLE_COUNT);
    return &s_table [index];
}

mf_key_t
mf_keys_lookup (SDL_Keycode sym, bool shift, bool repeat)
{
    const mf_keys_binding_t *found = NULL;
    for (size_t index = 0; index < TABLE_COUNT && !found; index++)
        if (s_table [index].sym == sym && s_table [index].shift && shift)
            found = &s_table [index];
    for (size_t index = 0; index < TABLE_COUNT && !found; index++)
        if (s_table [index].sym == sym && !s_table [index].shift)
            found = &s_table [index];
    if (!found || (repeat && !found->repeats))
        return MF_KEY_NONE;
    return found->key;
}

mf_key_t
mf_keys_find (const char *name)
{
    for (size_t index = 0; index < TABLE_COUNT; index++) {
        const mf_keys_binding_t *row = &s_table [index];
        if ((row->name && strcmp (row->name, name) == 0)
        ||  (row->alias && strcmp (row->alias, name) == 0))
            return row->key;
    }
    return MF_KEY_NONE;
}

const mf_keys_binding_t *
mf_keys_binding (mf_key_t key)
{
    for (size_t index = 0; index < TABLE_COUNT; index++)
        if (s_table [index].key == key)
            return &s_table [index];
    return NULL;
}

void
mf_keys_names (char *text, size_t size)
{
    assert (size > 0);
    size_t len = 0;
    text [0] = 0;
    for (size_t index = 0; index < TABLE_COUNT && len < size; index++) {
        if (!s_table [index].name)
            continue;
        int more = snprintf (text + len, size - len, "%s%s", len? " ": "", s_table [index].name);
        if (more < 0)
            break;
        len += (size_t) more;
    }
}
