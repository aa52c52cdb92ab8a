/* kind.h: a scene kind as a value. The window and the exporter never ask
 * which kind of scene they hold: they call the kind's table, in the manner
 * of SQLite's VFS or SDL's render drivers (STYLE.md, "Kinds behind one
 * interface").
 *
 * A kind is its own folder (scenes/layer/, scenes/stack/): model, actions,
 * layout and drawing of that kind, and one SceneKind table filled in its
 * KIND_kind.c. scenes/kinds.c lists every kind once; the key table (ui/keys.c)
 * has a column of kind bits saying which kinds a key applies to.
 *
 * Adding a kind: a folder with its model, its actions, its layout, its
 * drawing and a SceneKind table; a bit in SceneKindBit; one line in
 * kinds.c's table; its bit in the key table rows that apply to it. */
#ifndef CONVSTEP_KIND_H
#define CONVSTEP_KIND_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "painter.h"

struct App;
struct Scene;
struct SceneOptions;
struct Target;
struct View;

/* One bit per kind: the key table's column (ui/keys.c) is a set of them. */
typedef enum SceneKindBit {
    KIND_LAYER = 1 << 0,        /* the single layer (scenes/layer/) */
    KIND_STACK = 1 << 1,        /* the layer stack and the lessons (scenes/stack/) */
    KIND_NET = 1 << 2,          /* the network running on an image (scenes/net/) */
    KIND_ALL = KIND_LAYER | KIND_STACK | KIND_NET
} SceneKindBit;

/* Why a kind is asked for a status line after the steps moved
 * (SceneKind.say_step). */
typedef enum StepMoment {
    STEP_MOVED,                 /* a step, a row, Home/End, a timeline click */
    STEP_AT_FIRST,              /* asked to go back from the first step */
    STEP_AT_LAST,               /* asked to go on from the last step */
    STEP_PLAYING,               /* playback started */
    STEP_FINISHED               /* playback reached the last step */
} StepMoment;

typedef struct SceneKind {
    const char *name;           /* "single layer", "layer stack": status lines, the overlay */
    SceneKindBit bit;

    /* ---- the model ---- */

    /* Whether the options ask for this kind (the kinds table is tried in
     * order; the single layer, last, takes any options). */
    bool (*wants)(const struct SceneOptions *o);
    /* Builds the kind's model for scene s (whose single layer and input are
     * already built from o) into *model (NULL for a kind with no model of
     * its own). On failure err says why and *model is NULL. */
    Status (*create)(struct Scene *s, const struct SceneOptions *o, void **model, Error *err);
    /* Frees a model create made. NULL is fine. */
    void (*destroy)(void *model);
    /* The steps: count (>= 1), the current one, and going to one (index <
     * count). */
    size_t (*step_count)(const struct Scene *s);
    size_t (*step_index)(const struct Scene *s);
    void (*seek)(struct Scene *s, size_t index);
    /* Steps in one "row" (Down/Up, Shift+Right/Left). */
    size_t (*row_steps)(const struct Scene *s);
    /* The step export --png draws without --from; NULL: the first. */
    size_t (*still_step)(const struct Scene *s);
    /* Why export --at ROW,COL cannot pick a still here, or NULL when it can
     * (the stepper's output cells). */
    const char *at_refusal;

    /* ---- actions (scenes/actions.c calls them; no drawing, no SDL) ---- */

    /* The status line after the steps moved. */
    void (*say_step)(struct App *app, StepMoment moment);
    /* A click on t (from hit below); the view's selection lives in app->view. */
    void (*click)(struct App *app, struct Target t);
    /* A double click's second press, on the target the first one selected:
     * opens it (the network: Enter's drill-down). NULL: a double click is
     * two clicks. */
    void (*activate)(struct App *app);
    /* Whether the view's selection still names a cell of the scene (after a
     * change to the scene). */
    bool (*selection_valid)(const struct Scene *s, const struct Target *t);
    /* A new input file for this kind; on failure the scene stays and the
     * status line says why. */
    void (*open_input)(struct App *app, const char *path);
    /* Whether path is a source this kind opens as a scene of its own, with
     * s shown now (a layer-spec file: the layer stack's, or the network's
     * while a network is shown); NULL: none. Asked in the kinds table's
     * order. */
    bool (*claims_file)(const struct Scene *s, const char *path);
    /* Opens such a file (claims_file said yes) as the scene. */
    void (*open_file)(struct App *app, const char *path);
    /* The mouse wheel: clicks (positive: up / away) at pixel (x, y) of a
     * w x h window. */
    void (*wheel)(struct App *app, int clicks, int x, int y, int w, int h);
    /* Dragging the empty canvas by (dx, dy) pixels; NULL: it does not pan. */
    void (*drag)(struct App *app, int dx, int dy);

    /* ---- work in the background (NULL: the kind has none) ---- */

    /* Called by the window's loop on every turn (after the events): looks
     * at work running away from the loop (a network pass on a worker
     * thread) and brings its result in. Returns true when the scene or the
     * status line changed (a redraw is due). Never blocks. */
    bool (*tick)(struct App *app);
    /* Whether such work runs now: the window then wakes up on its own
     * every few tens of milliseconds to call tick, instead of sleeping
     * until the next event. */
    bool (*busy)(const struct Scene *s);

    /* ---- layout, hit testing and drawing ---- */

    /* The layout of s as v shows it in a w x h target (malloc'd; NULL when
     * out of memory), freed with layout_free. Pure: no SDL. */
    void *(*layout)(const struct Scene *s, const struct View *v, int w, int h);
    void (*layout_free)(void *layout);
    /* What is at pixel (x, y) of that layout. */
    struct Target (*hit)(const void *layout, const struct Scene *s, const struct View *v, int x, int y);
    /* The timeline bar of that layout (a drag on it seeks). */
    Rect (*timeline_bar)(const void *layout);
    /* Paints the whole frame of s as v shows it with that layout, through
     * the toolkit only (the `?` overlay is drawn over it by the caller). */
    void (*draw)(Painter *p, const struct Scene *s, const struct View *v, const void *layout);
    /* The `?` overlay's title: the kind's keys and what the mouse does. */
    const char *help_title;
} SceneKind;

#endif
