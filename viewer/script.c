/*  mf_script: see script.h. */
#include "script.h"
#include "mf_util.h"
#include "mf_vec.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 6                     //  words a line may have (action + 4 numbers + 1)
#define MAX_SCRIPT_BYTES (1 << 20)      //  largest script file

//  How each action is written: its word, its kind, and how many numbers
//  it takes (min..max) or that it takes a path.
static const struct {
    const char *word;
    mf_action_kind_t kind;
    int min, max;                       //  numbers it takes
    bool path;                          //  takes the rest of the line as a path
    bool key;                           //  takes a key name
    const char *usage;                  //  what a correct line looks like
} s_actions [] = {
    { "zoom", MF_ACT_ZOOM, 2, 3, false, false, "zoom X Y [STEPS]" },
    { "pan", MF_ACT_PAN, 2, 2, false, false, "pan DX DY" },
    { "box", MF_ACT_BOX, 4, 4, false, false, "box X0 Y0 X1 Y1" },
    { "key", MF_ACT_KEY, 0, 0, false, true, "key NAME" },
    { "resize", MF_ACT_RESIZE, 2, 2, false, false, "resize W H" },
    { "wait", MF_ACT_WAIT, 0, 1, false, false, "wait [SECONDS]" },
    { "wait-tiles", MF_ACT_WAIT_TILES, 1, 1, false, false, "wait-tiles N" },
    { "sleep", MF_ACT_SLEEP, 1, 1, false, false, "sleep MS" },
    { "stall", MF_ACT_STALL, 1, 1, false, false, "stall MS" },
    { "stall-tiles", MF_ACT_STALL_TILES, 1, 1, false, false, "stall-tiles N" },
    { "screenshot", MF_ACT_SCREENSHOT, 0, 0, true, false, "screenshot FILE" },
    { "trace", MF_ACT_TRACE, 0, 0, true, false, "trace FILE" },
    { "quit", MF_ACT_QUIT, 0, 0, false, false, "quit" }
};

#define ACTION_COUNT (sizeof s_actions / sizeof s_actions [0])

struct _mf_script_t {
    mf_vec_t *actions;                  //  mf_action_t, in file order
};

//  The range each number of an action may take.
static void
s_range (mf_action_kind_t kind, int index, long *min, long *max)
{
    *min = -MF_SCRIPT_MAX_COORD;
    *max = MF_SCRIPT_MAX_COORD;
    switch (kind) {
        case MF_ACT_ZOOM:
            if (index == 2) {
                *min = -MF_SCRIPT_MAX_STEPS;
                *max = MF_SCRIPT_MAX_STEPS;
            }
            break;
        case MF_ACT_RESIZE:
            *min = 1;
            *max = MF_SCRIPT_MAX_COORD;
            break;
        case MF_ACT_WAIT:
            *min = 1;
            *max = MF_SCRIPT_MAX_WAIT;
            break;
        case MF_ACT_WAIT_TILES:
        case MF_ACT_STALL_TILES:
            *min = 1;
            *max = 1L << 30;
            break;
        case MF_ACT_SLEEP:
        case MF_ACT_STALL:
            *min = 0;
            *max = MF_SCRIPT_MAX_MS;
            break;
        default:
            break;
    }
}

static int
s_fail (char *err, size_t errlen, const char *name, int line, const char *text,
        const char *what)
{
    snprintf (err, errlen, "--script %s: line %d: '%s': %s", name, line, text, what);
    return -1;
}

//  Parses one non-empty line into action. Returns 0 or -1 with err set.
static int
s_parse_line (char *text, const char *name, int line, mf_action_t *action,
              char *err, size_t errlen)
{
    char copy [256];
    snprintf (copy, sizeof copy, "%s", text);
    char *words [MAX_WORDS];
    int count = 0;
    char *rest = text;
    //  Split off the action word first: a path keeps its inner spaces.
    char *word = strtok_r (rest, " \t", &rest);
    assert (word);
    size_t index;
    for (index = 0; index < ACTION_COUNT; index++)
        if (strcmp (s_actions [index].word, word) == 0)
            break;
    if (index == ACTION_COUNT)
        return s_fail (err, errlen, name, line, copy,
                       "unknown action; use one of: zoom, pan, box, key, resize, wait, "
                       "wait-tiles, sleep, stall, stall-tiles, screenshot, trace, quit");
    memset (action, 0, sizeof *action);
    action->kind = s_actions [index].kind;
    action->line = line;
    char what [160];
    snprintf (what, sizeof what, "use %s", s_actions [index].usage);
    if (s_actions [index].path) {
        while (*rest == ' ' || *rest == '\t')
            rest++;
        size_t len = strlen (rest);
        while (len && (rest [len - 1] == ' ' || rest [len - 1] == '\t'))
            rest [--len] = 0;
        if (!len)
            return s_fail (err, errlen, name, line, copy, what);
        action->path = strdup (rest);
        if (!action->path)
            return s_fail (err, errlen, name, line, copy, "out of memory");
        return 0;
    }
    while (count < MAX_WORDS && (word = strtok_r (NULL, " \t", &rest)))
        words [count++] = word;
    if (s_actions [index].key) {
        if (count != 1)
            return s_fail (err, errlen, name, line, copy, what);
        action->key = mf_keys_find (words [0]);
        if (action->key == MF_KEY_NONE) {
            char names [128];
            mf_keys_names (names, sizeof names);
            snprintf (what, sizeof what, "unknown key; use one of: %s", names);
            return s_fail (err, errlen, name, line, copy, what);
        }
        return 0;
    }
    if (count < s_actions [index].min || count > s_actions [index].max)
        return s_fail (err, errlen, name, line, copy, what);
    for (int arg = 0; arg < count; arg++) {
        long min, max;
        s_range (action->kind, arg, &min, &max);
        if (mf_parse_long (words [arg], min, max, &action->args [arg])) {
            snprintf (what, sizeof what, "'%s' is not a whole number from %ld to %ld; use %s",
                      words [arg], min, max, s_actions [index].usage);
            return s_fail (err, errlen, name, line, copy, what);
        }
    }
    if (action->kind == MF_ACT_ZOOM && count == 2)
        action->args [2] = 1;
    if (action->kind == MF_ACT_ZOOM && action->args [2] == 0)
        return s_fail (err, errlen, name, line, copy,
                       "STEPS must not be 0: positive zooms in, negative out");
    if (action->kind == MF_ACT_WAIT && count == 0)
        action->args [0] = MF_SCRIPT_DEFAULT_WAIT;
    return 0;
}

mf_script_t *
mf_script_parse (const char *text, const char *name, char *err, size_t errlen)
{
    mf_script_t *self = calloc (1, sizeof *self);
    if (self)
        self->actions = mf_vec_new (sizeof (mf_action_t));
    char *copy = strdup (text);
    if (!self || !self->actions || !copy) {
        mf_script_destroy (&self);
        free (copy);
        snprintf (err, errlen, "--script %s: out of memory", name);
        return NULL;
    }
    int line = 0;
    char *cursor = copy;
    while (cursor) {
        char *next = strchr (cursor, '\n');
        if (next)
            *next++ = 0;
        line++;
        size_t len = strlen (cursor);
        if (len && cursor [len - 1] == '\r')
            cursor [--len] = 0;
        char *start = cursor + strspn (cursor, " \t");
        cursor = next;
        if (*start == 0 || *start == '#')
            continue;
        if (strlen (start) > 200) {
            s_fail (err, errlen, name, line, "...", "line too long; keep lines under 200 characters");
            goto fail;
        }
        mf_action_t action;
        if (s_parse_line (start, name, line, &action, err, errlen))
            goto fail;
        if (!mf_vec_push (self->actions, &action)) {
            free (action.path);
            snprintf (err, errlen, "--script %s: out of memory", name);
            goto fail;
        }
    }
    free (copy);
    return self;
fail:
    free (copy);
    mf_script_destroy (&self);
    return NULL;
}

mf_script_t *
mf_script_load (const char *path, char *err, size_t errlen)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, errlen, "--script %s: cannot read it: %s; give a readable script file",
                  path, strerror (errno));
        return NULL;
    }
    char *text = malloc (MAX_SCRIPT_BYTES + 1);
    size_t size = text? fread (text, 1, MAX_SCRIPT_BYTES + 1, file): 0;
    bool failed = ferror (file);
    fclose (file);
    if (!text || failed || size > MAX_SCRIPT_BYTES) {
        snprintf (err, errlen, "--script %s: %s", path,
                  !text? "out of memory": failed? "cannot read it; give a readable script file"
                                                : "larger than 1 MiB; a script is a short list of actions");
        free (text);
        return NULL;
    }
    if (memchr (text, 0, size)) {
        snprintf (err, errlen, "--script %s: contains NUL bytes; a script is a text file", path);
        free (text);
        return NULL;
    }
    text [size] = 0;
    mf_script_t *self = mf_script_parse (text, path, err, errlen);
    free (text);
    return self;
}

void
mf_script_destroy (mf_script_t **self_p)
{
    assert (self_p);
    mf_script_t *self = *self_p;
    if (!self)
        return;
    mf_action_t *action;
    for (size_t index = 0; self->actions && (action = mf_vec_at (self->actions, index)); index++)
        free (action->path);
    mf_vec_destroy (&self->actions);
    free (self);
    *self_p = NULL;
}

size_t
mf_script_count (const mf_script_t *self)
{
    return mf_vec_count (self->actions);
}

const mf_action_t *
mf_script_at (const mf_script_t *self, size_t index)
{
    assert (index < mf_vec_count (self->actions));
    return mf_vec_at (self->actions, index);
}
