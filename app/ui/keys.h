/* keys.h: the window's key bindings, as one table (in the manner of dwm's
 * config.h): each entry is a key, the modifiers it needs, the scene kinds
 * it applies to, the action it runs with its argument, and how the `?`
 * overlay and the README name it.
 *
 * Matching: Shift, Ctrl and Alt must be exactly the entry's modifiers (Caps
 * Lock, Num Lock and GUI are ignored); when nothing matches and Shift is
 * held, the same key without Shift is tried, so Shift+= reaches "+" and
 * Ctrl+Shift+= reaches Ctrl+= on any layout. */
#ifndef CONVSTEP_KEYS_H
#define CONVSTEP_KEYS_H

#include <stddef.h>

#include <SDL.h>

#include "actions.h"
#include "kind.h"

typedef struct KeyBinding {
    SDL_Keycode key;
    Uint16 mod;             /* 0, KMOD_SHIFT, KMOD_CTRL or a combination */
    unsigned kinds;         /* the SceneKindBits of the kinds it applies to */
    ActionFn action;
    int arg;
    const char *label;      /* the key(s) as the overlay writes them ("s, S");
                               NULL for an alias the previous lines already name */
    const char *help;       /* what it does, one short line; NULL for an alias */
} KeyBinding;

/* The whole table, in the order the overlay lists it; *count entries. */
const KeyBinding *keys_table(size_t *count);

/* The binding for key with modifiers mod (SDL_Keymod bits from an event),
 * or NULL. */
const KeyBinding *keys_find(SDL_Keycode key, Uint16 mod);

/* Runs b's action when it applies to the kind app shows; otherwise says
 * so on the status line and changes nothing else. */
void keys_run(App *app, const KeyBinding *b);

#endif
