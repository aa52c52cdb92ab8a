/* actions.h: what the keys and the mouse do to the window's state in every
 * scene kind, as plain functions over the App (the scene, the view and a
 * few requests for the window). They never draw and never call SDL, so the
 * tests drive them without a display. Where the kinds differ (what a click
 * means, the status line after a step, a dropped file, the wheel) these
 * call the shown kind's table (kind.h); the actions only one kind has live
 * in its folder (layer_actions.h, stack_actions.h).
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
/* One row forward / back (the kind's row_steps: all positions and filters
 * of an output row; one layer in the stack), clamped to the first / last
 * step. */
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

/* A click on t (from the kind's hit test): the kind decides (kind.h). In
 * the single layer a timeline step or an output cell jumps there; an input
 * cell selects it (the outputs it feeds are highlighted), clicking it again
 * clears the selection; a weight or the bias starts an edit; anything else
 * clears the selection. */
void action_click(App *app, Target t);
/* The second press of a double click on t: where the kind opens what it
 * selected (kind.h's activate: the network drills down like Enter), t is
 * selected (when the first press did not) and opened; elsewhere it is a
 * click like the first. */
void action_double_click(App *app, Target t);
/* The cell under the mouse (TARGET_NONE when none); returns true when the
 * hovered cell changed (a redraw is due). */
bool action_hover(App *app, Target t);
/* The wheel turned by clicks (positive: up) at pixel (x, y) of a w x h
 * window: steps back / forward in the single layer, zooms about (x, y) in
 * the layer stack. */
void action_wheel(App *app, int clicks, int x, int y, int w, int h);
/* Whether a press on empty canvas starts a drag (the kind pans). */
bool action_can_drag(const App *app);
/* The empty canvas dragged by (dx, dy) pixels (kinds that pan). */
void action_drag(App *app, int dx, int dy);

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

/* Opens a dropped file: a file some kind claims as a scene of its own (a
 * layer-spec .txt or .py: the layer stack) opens that kind; any other file
 * (image or .npy) is the shown kind's new input. A failure (broken, missing
 * or enormous file) leaves the scene as it was, with the message on the
 * status line. */
void action_open(App *app, const char *path);

/* ---- for the kinds' own actions ---- */

/* Whether a and b name the same thing (the same cell, or the same timeline
 * step). */
bool actions_same_target(const Target *a, const Target *b);
/* Moves to step index (clamped to the first and last step) and pauses. */
void actions_seek(App *app, long long index);
/* The view after the scene changed: drops the weight edit and the hover,
 * and the selection when the kind says its cell is gone. */
void actions_after_change(App *app);

#endif
