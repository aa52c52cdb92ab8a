/* stack_actions.h: what keys and the mouse do in the layer-stack scene.
 * The shared actions (actions.h) call the kind's hooks below: stepping adds
 * or removes layers (growth), Space plays the growth, a click selects a
 * cell whose field then lights up. The keys only this scene has (the
 * table, zoom and pan) and the lessons (from any scene) are rows of
 * keys.c's table like every other key. Like actions.h: no drawing, no SDL
 * calls, so tests drive them without a display. */
#ifndef CONVSTEP_STACK_ACTIONS_H
#define CONVSTEP_STACK_ACTIONS_H

#include <stdbool.h>

#include "actions.h"
#include "kind.h"
#include "stack_kind.h"

/* ---- key-table actions ---- */

/* Next (arg > 0) / previous lesson; past the last one, back to the scene
 * the program started with (a --layers stack or the single-layer scene).
 * Works from any scene; a lesson that cannot be built leaves the scene as
 * it was, with the message on the status line. */
void action_lesson(App *app, int arg);
/* Shows / hides the table of sizes, jumps and padding. */
void action_stack_table(App *app, int arg);
/* Zoom in (arg > 0, x1.25), out (< 0), or fit (0). */
void action_stack_zoom(App *app, int arg);
/* Pan 128 pixels: arg 1 right, 2 left, 3 down, 4 up (the picture moves
 * the other way). */
void action_stack_pan(App *app, int arg);

/* ---- the kind's hooks (kind.h; stack_kind.c fills the table) ---- */

/* The status line after the steps moved: the newest layer, its shape, its
 * receptive field and jump. */
void stack_say_step(App *app, StepMoment moment);
/* A click: a map cell selects it (again: clears), a timeline step goes
 * there, anything else clears the selection. */
void stack_click(App *app, Target t);
/* Whether t is a cell of a stage shown now. */
bool stack_selection_valid(const Scene *s, const Target *t);
/* Opens a dropped file: a text file (.txt, .py) as new layers (a parse
 * error names its line and column on the status line); anything else as
 * the scene's new input, then the stack is worked out again for its size.
 * On failure the scene stays as it was. */
void stack_open(App *app, const char *path);
/* Mouse wheel: zoom by 1.25^clicks about window point (x, y) of a w x h
 * window (positive clicks: in). */
void stack_wheel(App *app, int clicks, int x, int y, int w, int h);
/* Dragging the canvas by (dx, dy) pixels. */
void stack_drag(App *app, int dx, int dy);

#endif
