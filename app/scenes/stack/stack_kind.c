/* stack_kind.c: the layer-stack scene's table (kind.h): --layers SPEC or
 * --lesson NAME build it; its steps are the growth steps (stack.h); its
 * actions are stack_actions.c's, its layout stack_layout.c's. */
#include "stack_kind.h"

#include <stdlib.h>

#include "kinds.h"
#include "stack_actions.h"
#include "stack_draw.h"
#include "stack_layout.h"

StackScene *stack_model(const Scene *s)
{
    return s->scene_kind == &stack_kind ? s->kind_model : NULL;
}

StackCell stack_cell_of(const Target *t)
{
    StackCell none = {-1, 0, 0, 0};
    return t->kind == TARGET_STACK_CELL ? (StackCell){t->f, t->c, t->y, t->x} : none;
}

static bool wants(const SceneOptions *o)
{
    return o->layers || o->lesson;
}

/* The stack o names, on the scene's -i input when one was given. */
static Status create(Scene *s, const SceneOptions *o, void **model, Error *err)
{
    *model = NULL;
    if (o->layers && o->lesson)
        return error_set(err, CS_ERR_RANGE, "--layers and --lesson: give one of them");
    StackSource src = {o->layers, o->lesson, o->size_h, o->size_w, 0, 0, 0};
    if (o->input) {
        src.input_h = s->input.h;
        src.input_w = s->input.w;
        src.input_c = s->input.c;
    }
    StackScene *made;
    Status st = stack_create(&src, &made, err);
    if (st == CS_OK)
        *model = made;
    return st;
}

static void destroy(void *model)
{
    stack_destroy(model);
}

static size_t step_count(const Scene *s)
{
    return stack_step_count(stack_model(s));
}

static size_t step_index(const Scene *s)
{
    return stack_step_index(stack_model(s));
}

static void seek(Scene *s, size_t index)
{
    stack_seek(stack_model(s), index);
}

static size_t row_steps(const Scene *s)
{
    (void)s;
    return 1;
}

/* A layer-spec file opens as a stack, whatever is shown (the network
 * claims it first while it is shown: kinds.c's order). */
static bool claims_file(const Scene *s, const char *path)
{
    (void)s;
    return stack_is_spec_file(path);
}

static void *layout(const Scene *s, const View *v, int w, int h)
{
    StackLayout *l = malloc(sizeof *l);
    if (l)
        stack_layout_compute(stack_model(s), v, w, h, l);
    return l;
}

static void layout_free(void *l)
{
    if (l)
        stack_layout_free(l);
    free(l);
}

static Target hit(const void *l, const Scene *s, const View *v, int x, int y)
{
    (void)s;
    (void)v;
    return stack_layout_hit(l, x, y);
}

static Rect timeline_bar(const void *l)
{
    return ((const StackLayout *)l)->frame.timeline_bar;
}

static void draw(Painter *p, const Scene *s, const View *v, const void *l)
{
    stack_draw_frame(p, s, v, l);
}

const SceneKind stack_kind = {
    .name = "layer stack",
    .bit = KIND_STACK,
    .wants = wants,
    .create = create,
    .destroy = destroy,
    .step_count = step_count,
    .step_index = step_index,
    .seek = seek,
    .row_steps = row_steps,
    .at_refusal = "the layer-stack scene's steps are layers added; use --from N",
    .say_step = stack_say_step,
    .click = stack_click,
    .selection_valid = stack_selection_valid,
    .open_input = stack_open,
    .claims_file = claims_file,
    .open_file = stack_open,
    .wheel = stack_wheel,
    .drag = stack_drag,
    .layout = layout,
    .layout_free = layout_free,
    .hit = hit,
    .timeline_bar = timeline_bar,
    .draw = draw,
    .help_title = "Keys (layer stack; the mouse: click a cell, drag to pan, wheel to zoom)",
};
