/*  mf_keys: the viewer's key bindings, in one table.

    Each row binds one SDL key to what it does (an mf_key_t), and says
    whether auto-repeat acts again, what `--script key NAME` calls it, and
    how the help overlay describes it. Everything that spells a key reads
    this table: the event handling (mf_keys_lookup), the script parser
    (mf_keys_find, mf_keys_names), the script player pressing a key
    (mf_keys_binding) and the help overlay (mf_keys_at). A key added here
    is handled, scriptable and documented at once.
*/
#ifndef MF_VIEWER_KEYS_H
#define MF_VIEWER_KEYS_H

#include <SDL_keycode.h>

#include <stdbool.h>
#include <stddef.h>

//  What a key does; the same for a person's key press and a script's.
typedef enum {
    MF_KEY_NONE = 0,
    MF_KEY_ITER_UP,                     //  double the iterations
    MF_KEY_ITER_DOWN,                   //  halve them
    MF_KEY_PALETTE,                     //  next palette
    MF_KEY_TINT,                        //  tint tiles by worker
    MF_KEY_SAVE,                        //  save the view as PNG
    MF_KEY_SAVE_BIG,                    //  render 4x the window and save it
    MF_KEY_RESET,                       //  the start view
    MF_KEY_BACK,                        //  the previous view
    MF_KEY_MOVIE,                       //  print the command that films a zoom into the view
    MF_KEY_FULLSCREEN,                  //  fullscreen on / off
    MF_KEY_HELP,                        //  the help overlay on / off
    MF_KEY_QUIT,                        //  quit
    MF_KEY_LEFT,                        //  pan an eighth of the window
    MF_KEY_RIGHT,
    MF_KEY_UP,
    MF_KEY_DOWN
} mf_key_t;

#define MF_KEY_COUNT (MF_KEY_DOWN + 1)  //  mf_key_t values, MF_KEY_NONE included

//  One binding: a row of the table.
typedef struct {
    mf_key_t key;                       //  what it does
    SDL_Keycode sym;                    //  the key pressed
    bool shift;                         //  only with Shift held (else with or without)
    bool repeats;                       //  auto-repeat acts again (else once per press)
    const char *name;                   //  what `--script key NAME` calls it, or NULL
    const char *alias;                  //  another name a script may use, not listed, or NULL
    const char *help_keys;              //  help overlay line: the keys column, or NULL when
    const char *help;                   //  ... the line of a row above describes this row too
} mf_keys_binding_t;

//  Rows in the table, and the row at index (index < count), in the help
//  overlay's order.
size_t mf_keys_count (void);
const mf_keys_binding_t *mf_keys_at (size_t index);

//  What a press of sym does (shift: Shift is held; repeat: an auto-repeat
//  of a held key). A binding that requires Shift wins over one that does
//  not. Returns MF_KEY_NONE for an unbound key or an ignored repeat.
mf_key_t mf_keys_lookup (SDL_Keycode sym, bool shift, bool repeat);

//  The key a script names ("+", "p", "S", "Escape", "Backspace", "Left",
//  ...; names and aliases, case-sensitive), or MF_KEY_NONE.
mf_key_t mf_keys_find (const char *name);

//  The first binding of key: the one a script presses. NULL for
//  MF_KEY_NONE (every other key has one).
const mf_keys_binding_t *mf_keys_binding (mf_key_t key);

//  Writes the names mf_keys_find takes (aliases left out), separated by
//  spaces, in table order, for messages; truncated to size.
void mf_keys_names (char *text, size_t size);

#endif
