/* keys.c: the key table (see keys.h). To change a key, edit its line here;
 * the `?` overlay, keys_find and the window's dispatch read this table and
 * nothing else. The kinds column says in which scene kinds (kind.h) the key
 * applies. Help
 * texts stay within 28 characters, so the overlay prints them all at one
 * size in a 1280x720 window. */
#include "keys.h"

#include "layer_actions.h"
#include "net_actions.h"
#include "stack_actions.h"

#define SHIFT KMOD_SHIFT
#define CTRL KMOD_CTRL
#define LAYER KIND_LAYER
#define STACK KIND_STACK
#define NET KIND_NET
#define ZOOMS (KIND_STACK | KIND_NET)
#define ALL KIND_ALL

static const KeyBinding bindings[] = {
    /* key           mods   kinds  action                   arg  label              help */
    {SDLK_RIGHT,     0,     ALL,   action_step,             +1,  "Right, Left",     "one step forward, back"},
    {SDLK_LEFT,      0,     ALL,   action_step,             -1,  NULL,              NULL},
    {SDLK_RIGHT,     SHIFT, ALL,   action_step_row,         +1,  "Shift+Right/Left", "one output row forward, back"},
    {SDLK_LEFT,      SHIFT, ALL,   action_step_row,         -1,  NULL,              NULL},
    {SDLK_DOWN,      0,     ALL,   action_step_row,         +1,  "Down, Up",        "one output row forward, back"},
    {SDLK_UP,        0,     ALL,   action_step_row,         -1,  NULL,              NULL},
    {SDLK_HOME,      0,     ALL,   action_step_end,         -1,  "Home, End",       "first step, last step"},
    {SDLK_END,       0,     ALL,   action_step_end,         +1,  NULL,              NULL},
    {SDLK_SPACE,     0,     ALL,   action_play_toggle,      0,   "Space",           "play, pause"},
    {SDLK_EQUALS,    0,     ALL,   action_speed,            +1,  "+, -",            "faster, slower (steps/s)"},
    {SDLK_PLUS,      0,     ALL,   action_speed,            +1,  NULL,              NULL},
    {SDLK_KP_PLUS,   0,     ALL,   action_speed,            +1,  NULL,              NULL},
    {SDLK_MINUS,     0,     ALL,   action_speed,            -1,  NULL,              NULL},
    {SDLK_KP_MINUS,  0,     ALL,   action_speed,            -1,  NULL,              NULL},
    {SDLK_g,         0,     LAYER, action_granularity,      +1,  "g, G",            "step per cell, channel, term"},
    {SDLK_g,         SHIFT, LAYER, action_granularity,      -1,  NULL,              NULL},
    {SDLK_s,         0,     LAYER, action_stride,           +1,  "s, S",            "stride 1 2 3 4 (S: back)"},
    {SDLK_s,         SHIFT, LAYER, action_stride,           -1,  NULL,              NULL},
    {SDLK_p,         0,     LAYER, action_padding,          +1,  "p, P",            "padding 0..3 valid same full"},
    {SDLK_p,         SHIFT, LAYER, action_padding,          -1,  NULL,              NULL},
    {SDLK_m,         0,     LAYER, action_pad_mode,         +1,  "m, M",            "padding mode zeros, reflect…"},
    {SDLK_m,         SHIFT, LAYER, action_pad_mode,         -1,  NULL,              NULL},
    {SDLK_d,         0,     LAYER, action_dilation,         +1,  "d, D",            "dilation 1 2 3"},
    {SDLK_d,         SHIFT, LAYER, action_dilation,         -1,  NULL,              NULL},
    {SDLK_k,         0,     LAYER, action_kernel_size,      +1,  "k, K",            "kernel size 1 to 7"},
    {SDLK_k,         SHIFT, LAYER, action_kernel_size,      -1,  NULL,              NULL},
    {SDLK_n,         0,     LAYER, action_preset,           +1,  "n, N",            "next, previous kernel preset"},
    {SDLK_n,         SHIFT, LAYER, action_preset,           -1,  NULL,              NULL},
    {SDLK_r,         0,     LAYER, action_random_weights,   0,   "r",               "random weights, next seed"},
    {SDLK_i,         0,     LAYER, action_initialiser,      +1,  "i, I",            "init: uniform, xavier, he"},
    {SDLK_i,         SHIFT, LAYER, action_initialiser,      -1,  NULL,              NULL},
    {SDLK_a,         0,     LAYER, action_activation,       +1,  "a, A",            "activation ReLU, tanh, none…"},
    {SDLK_a,         SHIFT, LAYER, action_activation,       -1,  NULL,              NULL},
    {SDLK_o,         0,     LAYER, action_layer_kind,       +1,  "o, O",            "conv, max pool, average pool"},
    {SDLK_o,         SHIFT, LAYER, action_layer_kind,       -1,  NULL,              NULL},
    {SDLK_u,         0,     LAYER, action_ceil_mode,        0,   "u",               "pooling: ceil mode on, off"},
    {SDLK_l,         0,     ALL,   action_lesson,           +1,  "l, L",            "next, previous lesson"},
    {SDLK_l,         SHIFT, ALL,   action_lesson,           -1,  NULL,              NULL},
    {SDLK_v,         0,     STACK, action_stack_table,      0,   "v",               "table of sizes"},
    {SDLK_z,         0,     ZOOMS, action_stack_zoom,       +1,  "z, Z, w",         "zoom in, out, fit"},
    {SDLK_z,         SHIFT, ZOOMS, action_stack_zoom,       -1,  NULL,              NULL},
    {SDLK_w,         0,     ZOOMS, action_stack_zoom,       0,   NULL,              NULL},
    {SDLK_RIGHT,     CTRL,  ZOOMS, action_stack_pan,        1,   "Ctrl+arrows",     "pan"},
    {SDLK_LEFT,      CTRL,  ZOOMS, action_stack_pan,        2,   NULL,              NULL},
    {SDLK_DOWN,      CTRL,  ZOOMS, action_stack_pan,        3,   NULL,              NULL},
    {SDLK_UP,        CTRL,  ZOOMS, action_stack_pan,        4,   NULL,              NULL},
    {SDLK_b,         0,     NET,   action_net_order,        0,   "b",               "sort channels by activation"},
    {SDLK_RETURN,    0,     NET,   action_net_drill,        0,   "Enter, dbl-click", "open the cell in one layer"},
    {SDLK_KP_ENTER,  0,     NET,   action_net_drill,        0,   NULL,              NULL},
    {SDLK_BACKSPACE, 0,     LAYER, action_net_back,         0,   "Backspace",       "back to the network"},
    {SDLK_c,         0,     ALL,   action_save_png,         0,   "c",               "save this frame as a PNG"},
    {SDLK_x,         0,     ALL,   action_export_gif,       0,   "x",               "export every step as a GIF"},
    {SDLK_t,         0,     ALL,   action_theme,            0,   "t",               "dark, light theme"},
    {SDLK_f,         0,     ALL,   action_fullscreen,       0,   "f, F11",          "full screen"},
    {SDLK_F11,       0,     ALL,   action_fullscreen,       0,   NULL,              NULL},
    {SDLK_EQUALS,    CTRL,  ALL,   action_scale,            +1,  "Ctrl+ +, -, 0",   "bigger, smaller, normal size"},
    {SDLK_PLUS,      CTRL,  ALL,   action_scale,            +1,  NULL,              NULL},
    {SDLK_KP_PLUS,   CTRL,  ALL,   action_scale,            +1,  NULL,              NULL},
    {SDLK_MINUS,     CTRL,  ALL,   action_scale,            -1,  NULL,              NULL},
    {SDLK_KP_MINUS,  CTRL,  ALL,   action_scale,            -1,  NULL,              NULL},
    {SDLK_0,         CTRL,  ALL,   action_scale,            0,   NULL,              NULL},
    {SDLK_KP_0,      CTRL,  ALL,   action_scale,            0,   NULL,              NULL},
    {SDLK_SLASH,     SHIFT, ALL,   action_help,             0,   "?",               "this list of keys"},
    {SDLK_QUESTION,  0,     ALL,   action_help,             0,   NULL,              NULL},
    {SDLK_F1,        0,     ALL,   action_help,             0,   NULL,              NULL},
    {SDLK_ESCAPE,    0,     ALL,   action_escape,           0,   "Escape",          "close, cancel, clear or quit"},
    {SDLK_q,         0,     ALL,   action_quit,             0,   "q",               "quit"},
};

const KeyBinding *keys_table(size_t *count)
{
    *count = sizeof bindings / sizeof bindings[0];
    return bindings;
}

static const KeyBinding *find_exact(SDL_Keycode key, Uint16 mod)
{
    for (size_t k = 0; k < sizeof bindings / sizeof bindings[0]; k++)
        if (bindings[k].key == key && bindings[k].mod == mod)
            return &bindings[k];
    return NULL;
}

const KeyBinding *keys_find(SDL_Keycode key, Uint16 mod)
{
    Uint16 want = 0;
    if (mod & KMOD_SHIFT)
        want |= SHIFT;
    if (mod & KMOD_CTRL)
        want |= CTRL;
    if (mod & KMOD_ALT)
        want |= KMOD_ALT;
    const KeyBinding *b = find_exact(key, want);
    if (!b && (want & SHIFT))
        b = find_exact(key, (Uint16)(want & ~SHIFT));
    return b;
}

void keys_run(App *app, const KeyBinding *b)
{
    const SceneKind *kind = app->scene->scene_kind;
    if (b->kinds & kind->bit) {
        b->action(app, b->arg);
        return;
    }
    view_set_status(&app->view, true, "that key does not apply to the %s scene (l goes through the lessons and back)",
                    kind->name);
}
