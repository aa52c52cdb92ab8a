/* layer_actions.h: what keys and the mouse do in the single-layer scene:
 * its settings (each a cycle through a fixed set of values), the
 * granularity, typing a weight, and the kind's hooks (layer_kind.c).
 *
 * A setting that the scene refuses (scene_set_* fails: output below 1x1,
 * kernel larger than the padded input, ...) leaves the scene as it was and
 * puts the scene's message on the status line in the error colour. Every
 * successful change says what it did on the status line. Like actions.h:
 * no drawing, no SDL. */
#ifndef CONVSTEP_LAYER_ACTIONS_H
#define CONVSTEP_LAYER_ACTIONS_H

#include <stdbool.h>

#include "actions.h"
#include "kind.h"

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

/* ---- the kind's hooks (kind.h) ---- */

/* The status line after the steps moved: only at the ends, and for
 * playback. */
void layer_say_step(App *app, StepMoment moment);
/* A click (see action_click in actions.h). */
void layer_click(App *app, Target t);
/* Whether t names a cell that exists in the scene. */
bool layer_target_valid(const Scene *s, const Target *t);
/* Opens path (image or .npy) as the new input. */
void layer_open_input(App *app, const char *path);
/* The wheel steps: down (negative clicks) forward. */
void layer_wheel(App *app, int clicks, int x, int y, int w, int h);

#endif
