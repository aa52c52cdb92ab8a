/* layer_kind.c: the single-layer scene's table (kind.h): one layer on one
 * input, stepped by the core's stepper (scene.h); its actions are
 * layer_actions.c's, its layout layer_layout.c's. It takes any options, so
 * it is the last kind kinds.c tries. */
#include <stdlib.h>

#include "kinds.h"
#include "layer_actions.h"
#include "layer_draw.h"
#include "layer_layout.h"

static bool wants(const SceneOptions *o)
{
    (void)o;
    return true;
}

static size_t step_count(const Scene *s)
{
    return stepper_count(s->stepper);
}

static size_t step_index(const Scene *s)
{
    return stepper_index(s->stepper);
}

static void seek(Scene *s, size_t index)
{
    stepper_seek(s->stepper, index);
}

/* One output row: every position and filter of it. */
static size_t row_steps(const Scene *s)
{
    size_t oh, ow, maps;
    stepper_output_size(s->stepper, &oh, &ow, &maps);
    return ow * maps * stepper_steps_per_position(s->stepper);
}

static void *layout(const Scene *s, const View *v, int w, int h)
{
    Layout *l = malloc(sizeof *l);
    if (l)
        layout_compute(s, v, w, h, l);
    return l;
}

static Target hit(const void *l, const Scene *s, const View *v, int x, int y)
{
    (void)v;
    return layout_hit(l, s, x, y);
}

static Rect timeline_bar(const void *l)
{
    return ((const Layout *)l)->timeline_bar;
}

static void draw(Painter *p, const Scene *s, const View *v, const void *l)
{
    layer_draw_frame(p, s, v, l);
}

const SceneKind layer_kind = {
    .name = "single layer",
    .bit = KIND_LAYER,
    .wants = wants,
    .step_count = step_count,
    .step_index = step_index,
    .seek = seek,
    .row_steps = row_steps,
    .say_step = layer_say_step,
    .click = layer_click,
    .selection_valid = layer_target_valid,
    .open_input = layer_open_input,
    .wheel = layer_wheel,
    .layout = layout,
    .layout_free = free,
    .hit = hit,
    .timeline_bar = timeline_bar,
    .draw = draw,
    .help_title = "Keys",
};
