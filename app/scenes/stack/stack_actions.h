/* stack_actions.h: what keys and the mouse do in the layer-stack scene
 * (issue 5). The shared actions (actions.h) hand over to these when the
 * scene is a stack: stepping adds or removes layers (growth), Space plays
 * the growth, a click selects a cell whose field then lights up. The keys
 * only this scene has (lessons, the table, zoom and pan) are rows of
 * keys.c's table like every other key. Like actions.h: no drawing, no SDL
 * calls, so tests drive them without a display. */
#ifndef CONVSTEP_STACK_ACTIONS_H
#define CONVSTEP_STACK_ACTIONS_H

#include <stdbool.h>

#include "actions.h"

/* ---- key-table actions ---- */

/* Next (arg > 0) / previous lesson; past the last one, back to the scene
 * the program started with (a --layers stack or the single-layer scene).
 * Works from any scene; a lesson that cannot be built leaves the scene as
 * it was, with the message on the status line. */
void action_lesson(App *app, int arg);
/* Layer-stack scene: shows / hides the table of sizes, jumps and padding. */
void action_stack_table(App *app, int arg);
/* Layer-stack scene: zoom in (arg > 0, x1.25), out (< 0), or fit (0). */
void action_stack_zoom(App *app, int arg);
/* Layer-stack scene: pan a tenth of the window: arg 1 right, 2 left,
 * 3 down, 4 up (the picture moves the other way). */
void action_stack_pan(App *app, int arg);

/* ---- the shared actions, in the layer-stack scene ---- */

/* arg layers forward (negative: back), clamped; pauses. */
void stack_action_step(App *app, int arg);
/* arg < 0: the input alone; > 0: every layer. */
void stack_action_step_end(App *app, int arg);
/* Play / pause the growth (from the last step: starts again at step 0). */
void stack_action_play_toggle(App *app, int arg);
/* `steps` growth steps are due while playing; stops at the last. */
void stack_action_play_advance(App *app, int steps);
/* A click: a map cell selects it (again: clears), a timeline step goes
 * there, anything else clears the selection. */
void stack_action_click(App *app, Target t);
/* The cell under the mouse; true when it changed. */
bool stack_action_hover(App *app, Target t);
/* Escape: clears the selection if there is one (returns true), else false
 * (the shared action goes on: closes the overlay or quits). */
bool stack_action_escape(App *app);
/* Mouse wheel: zoom by 1.25^clicks about window point (x, y) of a w x h
 * window (positive clicks: in). */
void stack_action_wheel(App *app, int clicks, int x, int y, int w, int h);
/* Dragging the canvas by (dx, dy) pixels. */
void stack_action_drag(App *app, int dx, int dy);
/* Opens a dropped file: a text file (.txt, .py) as new layers (a parse
 * error names its line and column on the status line); anything else as
 * the scene's new input, then the stack is worked out again for its size.
 * On failure the scene stays as it was. */
void stack_action_open(App *app, const char *path);

/* Whether a key-table action applies in the layer-stack scene (stepping,
 * playback, speed, lessons, table, zoom, pan, presentation, help, quit);
 * the window refuses the others there with a note on the status line. */
bool stack_key_applies(ActionFn fn);

#endif
