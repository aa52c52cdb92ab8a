/* net_kind.c: the network scene's table (kind.h): --layers with an input
 * (or --weights) builds it; its steps are the growth steps (net_scene.h),
 * the last one (the whole network) first; its actions are net_actions.c's,
 * its layout net_layout.c's, its zoom and pan the layer stack's. */
#include "net_kind.h"

#include <stdlib.h>

#include "kinds.h"
#include "net_actions.h"
#include "net_draw.h"
#include "net_layout.h"
#include "stack_actions.h"

NetScene *net_model(const Scene *s)
{
    return s->scene_kind == &net_kind ? s->kind_model : NULL;
}

NetScene *net_kept_model(const Scene *s)
{
    return s->kept_kind == &net_kind ? s->kept_model : NULL;
}

/* A network that runs: layers and something to run on. --layers alone
 * (no input, no weights) stays the geometry of the layer stack. */
static bool wants(const SceneOptions *o)
{
    return o->layers && !o->lesson && (o->input || o->weights);
}

/* The network o names, on the scene's input (loaded by scene_create). */
static Status create(Scene *s, const SceneOptions *o, void **model, Error *err)
{
    *model = NULL;
    NetSource src = {o->layers, o->weights, o->labels, o->normalize, o->size_h, o->size_w, o->seed};
    NetScene *made;
    Status st = net_scene_create(&src, &s->input, s->image_input, s->input_name, &made, err);
    if (st == CS_OK)
        *model = made;
    return st;
}

static void destroy(void *model)
{
    net_scene_destroy(model);
}

static size_t step_count(const Scene *s)
{
    return net_scene_step_count(net_model(s));
}

static size_t step_index(const Scene *s)
{
    return net_scene_step_index(net_model(s));
}

static void seek(Scene *s, size_t index)
{
    net_scene_seek(net_model(s), index);
}

static size_t row_steps(const Scene *s)
{
    (void)s;
    return 1;
}

/* export --png draws the whole network */
static size_t still_step(const Scene *s)
{
    return net_scene_step_count(net_model(s)) - 1;
}

static void *layout(const Scene *s, const View *v, int w, int h)
{
    NetLayout *l = malloc(sizeof *l);
    if (l)
        net_layout_compute(net_model(s), v, w, h, l);
    return l;
}

static void layout_free(void *l)
{
    if (l)
        net_layout_free(l);
    free(l);
}

static Target hit(const void *l, const Scene *s, const View *v, int x, int y)
{
    (void)s;
    (void)v;
    return net_layout_hit(l, x, y);
}

static Rect timeline_bar(const void *l)
{
    return ((const NetLayout *)l)->frame.timeline_bar;
}

static void draw(Painter *p, const Scene *s, const View *v, const void *l)
{
    net_draw_frame(p, s, v, l);
}

const SceneKind net_kind = {
    .name = "network",
    .bit = KIND_NET,
    .wants = wants,
    .create = create,
    .destroy = destroy,
    .step_count = step_count,
    .step_index = step_index,
    .seek = seek,
    .row_steps = row_steps,
    .still_step = still_step,
    .at_refusal = "the network scene's steps are layers added; use --from N",
    .say_step = net_say_step,
    .click = net_click,
    .activate = net_activate,
    .selection_valid = net_selection_valid,
    .open_input = net_open_input,
    .claims_file = net_claims_file,
    .open_file = net_open_file,
    .wheel = stack_wheel,
    .drag = stack_drag,
    .tick = net_tick,
    .busy = net_busy,
    .layout = layout,
    .layout_free = layout_free,
    .hit = hit,
    .timeline_bar = timeline_bar,
    .draw = draw,
    .help_title = "Keys (network; the mouse: click a cell, Enter opens it, drag to pan, wheel to zoom)",
};
