/* actions.h: everything the keys and the mouse can do to the window's
 * state, as plain functions over the App (the scene, the view and a few
 * requests for the window). They never draw and never call SDL, so the
 * tests drive them without a display.
 *
 * A setting that the scene refuses (scene_set_* fails: output below 1x1,
 * kernel larger than the padded input, ...) leaves the scene as it was and
 * puts the scene's message on the status line in the error colour. Every
 * successful change says what it did on the status line.
 *
 * Key-table actions share one signature, ActionFn: arg is the direction
 * (+1 forward / -1 backward) or the value the binding names. */
#ifndef CONVSTEP_ACTIONS_H
#define CONVSTEP_ACTIONS_H

#include <stdbool.h>

#include "scene.h"
#include "view.h"

/* The window's whole state. cli_window owns it; window.c runs it. */
typedef struct App {
    Scene *scene;           /* owned; always valid */
    View view;
    bool quit;              /* set by action_quit: the loop ends, exit 0 */
    bool fullscreen;        /* wanted full-screen state; the window applies it */
    bool save_png;          /* set by action_save_png: the window saves what it shows */
    bool export_gif;        /* set by action_export_gif: the window writes every step */
} App;

typedef void (*ActionFn)(App *app, int arg);

/* ---- stepping and playback (each manual move pauses playback) ---- */

/* arg steps forward (negative: back), clamped to the first / last step. */
void action_step(App *app, int arg);
/* One output row forward / back (all positions and filters of a row),
 * clamped to the first / last step. */
void action_step_row(App *app, int arg);
/* arg < 0: the first step; arg > 0: the last step. */
void action_step_end(App *app, int arg);
/* Play / pause; playing from the last step starts again at step 0. */
void action_play_toggle(App *app, int arg);
/* Next faster (arg > 0) or slower speed in a fixed ladder of steps per
 * second (0.5 ... 960). */
void action_speed(App *app, int arg);
/* Steps the playback clock is due: `steps` steps forward (the window's
 * accumulator decides how many); stops playing at the last step. */
void action_play_advance(App *app, int steps);
/* Cycles the granularity position -> channel -> term (arg < 0: back). */
void action_granularity(App *app, int arg);

/* ---- the layer's settings (cycling through a fixed set of values) ---- */

/* Stride 1, 2, 3, 4 (both axes), wrapping. */
void action_stride(App *app, int arg);
/* Padding 0, 1, 2, 3, valid, same, full, wrapping (pooling: 0, 1, 2). */
void action_padding(App *app, int arg);
/* Padding mode zeros, reflect, replicate, circular (convolution). */
void action_pad_mode(App *app, int arg);
/* Dilation 1, 2, 3, wrapping. */
void action_dilation(App *app, int arg);
/* Kernel (or pooling window) size 1..7, wrapping. */
void action_kernel_size(App *app, int arg);
/* Next / previous kernel preset (and the default scene's per-channel
 * filter, for 3-channel inputs). Convolution only. */
void action_preset(App *app, int arg);
/* New random weights: the current initialiser (uniform if none) with the
 * next seed. Convolution only. */
void action_random_weights(App *app, int arg);
/* Next / previous initialiser (uniform, xavier-uniform, xavier-normal,
 * he-uniform, he-normal), drawing weights with the current seed. */
void action_initialiser(App *app, int arg);
/* Cycles the layer: convolution -> max pooling -> average pooling. */
void action_layer_kind(App *app, int arg);
/* Pooling: toggles ceil mode. */
void action_ceil_mode(App *app, int arg);
/* Cycles the activation: none, ReLU, LeakyReLU, sigmoid, tanh. */
void action_activation(App *app, int arg);

/* ---- presentation ---- */

/* Dark <-> light. */
void action_theme(App *app, int arg);
/* UI scale: arg > 0 larger, < 0 smaller (x1.25 steps within
 * VIEW_SCALE_MIN..VIEW_SCALE_MAX), 0 back to 1. */
void action_scale(App *app, int arg);
/* Toggles the window's full-screen request. */
void action_fullscreen(App *app, int arg);
/* Shows / hides the key overlay. */
void action_help(App *app, int arg);
/* Escape: cancels a weight edit, else closes the overlay, else clears the
 * selection, else quits. */
void action_escape(App *app, int arg);
/* Quits. */
void action_quit(App *app, int arg);
/* Asks the window to save its current pixels as a PNG in the current folder
 * (export.h's export_pick_name; the status line names the file). */
void action_save_png(App *app, int arg);
/* Asks the window to write every step as an animated GIF at the window's
 * size and the playback speed (export_gif_scene). */
void action_export_gif(App *app, int arg);

/* ---- the mouse ---- */

/* A click on t (from layout_hit): a timeline step or an output cell jumps
 * there; an input cell selects it (the outputs it feeds are highlighted),
 * clicking it again clears the selection; a weight or the bias starts an
 * edit; anything else clears the selection. */
void action_click(App *app, Target t);
/* The cell under the mouse (TARGET_NONE when none); returns true when the
 * hovered cell changed (a redraw is due). */
bool action_hover(App *app, Target t);

/* ---- typing a weight ---- */

/* Appends typed text to the edit (ignored when nothing is being edited or
 * the text would not fit). */
void action_edit_type(App *app, const char *text);
/* Removes the last typed character. */
void action_edit_erase(App *app, int arg);
/* Enter: parses the typed number and sets the weight or bias; bad text (not
 * a finite number) keeps the edit open with a message on the status line. */
void action_edit_commit(App *app, int arg);

/* ---- files ---- */

/* Opens path (image or .npy) as the new input; a failure (broken, missing
 * or enormous file) leaves the scene as it was, with the message on the
 * status line. */
void action_open(App *app, const char *path);

#endif
