/* net_actions.h: what keys and the mouse do in the network scene. The
 * shared actions (actions.h) call the kind's hooks below: stepping adds or
 * removes layers (growth), a click selects a cell (its value on the status
 * line), Enter opens the selected cell of a Conv2d or pooling layer in the
 * single-layer scene (the drill-down) and Backspace comes back. Zoom and
 * pan are the layer stack's (stack_actions.h), on the same view fields.
 * Like actions.h: no drawing, no SDL calls. */
#ifndef CONVSTEP_NET_ACTIONS_H
#define CONVSTEP_NET_ACTIONS_H

#include <stdbool.h>

#include "actions.h"
#include "kind.h"
#include "net_kind.h"

/* ---- key-table actions ---- */

/* Toggles the tiles' order: channels in order, or by mean activation
 * (largest first). */
void action_net_order(App *app, int arg);
/* Enter: opens the selected cell of a Conv2d, MaxPool2d or AvgPool2d card
 * in the single-layer scene: that layer's real input maps as the channels,
 * the cell's filter with its real weights and bias, the layer's stride,
 * padding and dilation, no activation (the network's activation is a card
 * of its own), the stepper at that cell with its total computed. The
 * network is kept aside (scene_push) with the view as it was. A layer the
 * single-layer scene cannot show (a filter reading more than
 * LAYOUT_MAX_CHANNELS channels, a transposed convolution, a layer without a
 * window) is refused on the status line and nothing changes. */
void action_net_drill(App *app, int arg);
/* Backspace: back from the drill-down to the network, its view (zoom, pan,
 * the selected cell) as it was. Without a network kept: says so. */
void action_net_back(App *app, int arg);

/* ---- the kind's hooks (kind.h; net_kind.c fills the table) ---- */

/* The status line after the steps moved: the newest card's layer and
 * shape. */
void net_say_step(App *app, StepMoment moment);
/* A click: a card's cell selects it (again: clears) and says its value; a
 * timeline step goes there; anything else clears the selection. */
void net_click(App *app, Target t);
/* A double click on the selected cell: Enter's drill-down. */
void net_activate(App *app);
/* Whether t is a cell of a card shown now. */
bool net_selection_valid(const Scene *s, const Target *t);
/* A dropped image or .npy: the network runs on it (on a worker thread
 * when the pass is estimated longer than the model's async_ms: the
 * network shown stays until net_tick finds the new one built); on failure
 * the scene stays as it was and the status line says why. */
void net_open_input(App *app, const char *path);
/* Whether path is a layer spec (.txt or .py) while a network is shown: a
 * network of those layers on the same picture (not the geometry stack). */
bool net_claims_file(const Scene *s, const char *path);
/* Builds that network (default initialisation from the seed: the weights
 * and labels belonged to the old layers), now or on a worker thread as
 * net_open_input. */
void net_open_file(App *app, const char *path);
/* The window's loop (kind.h's tick): takes the result of a finished
 * worker and shows it, or says how long the pass has run (every tenth of
 * a second). Returns whether something changed. */
bool net_tick(App *app);
/* Whether a pass is running on a worker thread (kind.h's busy). */
bool net_busy(const Scene *s);

#endif
