/* view.h: presentation state that is not part of the scene, for every
 * scene kind: theme, UI scale, the help overlay, the selected and hovered
 * cells, zoom and pan, the status line, playback and the weight being typed
 * in. Pure data; actions change it, layout and drawing read it. */
#ifndef CONVSTEP_VIEW_H
#define CONVSTEP_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "theme.h"

/* What is at a point of the window (layout_hit), or what is selected,
 * hovered or being edited. Coordinates are those of the model, not pixels. */
typedef enum TargetKind {
    TARGET_NONE,
    TARGET_INPUT,       /* input cell: c, y, x (y, x may lie in the padding: < 0 or >= H/W) */
    TARGET_OUTPUT,      /* output cell: f (filter or pooled channel), y, x */
    TARGET_WEIGHT,      /* weight: f, c, y = ky, x = kx */
    TARGET_BIAS,        /* filter f's bias */
    TARGET_TIMELINE,    /* the timeline bar: step = the step under the point */
    TARGET_STACK_CELL,  /* layer-stack scene (stack.h): f = pane, c = stage, y, x */
    TARGET_NET_CELL     /* network scene (net_scene.h): f = card (0 the input), c =
                           channel (a vector's feature, the classifier's class), y, x */
} TargetKind;

typedef struct Target {
    TargetKind kind;
    int f, c, y, x;
    size_t step;
} Target;

#define VIEW_SCALE_MIN 0.5f
#define VIEW_SCALE_MAX 4.0f

#define VIEW_ZOOM_MIN 0.25f
#define VIEW_ZOOM_MAX 64.0f

typedef struct View {
    ThemeKind theme;
    float ui_scale;         /* multiplies text and minimum cell sizes; 1 = default */
    bool show_help;         /* the `?` overlay listing every key */
    bool show_table;        /* layer stack: the table of sizes beside the maps */
    Target selected;        /* TARGET_INPUT: outputs it feeds are highlighted;
                               TARGET_STACK_CELL: the cell whose field is lit */
    Target hover;           /* under the mouse (drawn as a light outline), or TARGET_NONE */
    float zoom;             /* scenes that zoom (layer stack): 1 = everything fits */
    float pan_x, pan_y;     /* pixels, applied after the zoom */
    char status[256];       /* the status line */
    bool status_error;      /* draw status in the error colour */
    bool playing;
    float speed;            /* steps per second while playing (shown on the timeline) */
    Target edit;            /* TARGET_WEIGHT or TARGET_BIAS being typed in, or TARGET_NONE */
    char edit_text[32];     /* what is typed so far */
} View;

struct SceneOptions;

/* Defaults: theme and scale from o (o may be NULL: dark, 1), no overlay,
 * nothing selected, zoom 1 without pan, empty status, paused at 2 steps
 * per second. */
void view_init(View *v, const struct SceneOptions *o);

/* A new scene on screen: nothing selected or hovered, no table, zoom 1
 * without pan, paused. */
void view_reset_scene(View *v);

/* Sets the status line (printf style); error draws it in the error colour. */
void view_set_status(View *v, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
