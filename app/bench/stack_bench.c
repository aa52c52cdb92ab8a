/* stack_bench.c: the layer-stack scene's row of `convstep bench` (bench.h):
 * stack_frame_ms, the time to draw one 1280x720 frame of a 200-layer stack
 * through the window's drawing path (render_frame -> draw_frame ->
 * stack_draw_frame), offscreen in SDL's software renderer. Issue 5 asks
 * that such a stack draws at 60 frames per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "render.h"
#include "scene.h"
#include "stack_kind.h"
#include "view.h"

/* The stack: a 3x64x64 input, Conv2d(3, 16, 3, padding=1) and ReLU, then
 * 199 more Conv2d(16, 16, 3, padding=1) and ReLU, three of them with stride
 * 2 (maps of 64, 32, 16 and 8 cells a side): 200 convolutions, 201 maps. */
enum {
    STACK_BENCH_CONVS = 200,
    STACK_BENCH_SIDE = 64,
    STACK_BENCH_STRIDE_EVERY = 50,
    STACK_BENCH_W = 1280,
    STACK_BENCH_H = 720,
    STACK_BENCH_FRAMES = 51,
    STACK_BENCH_WARMUP = 3
};

/* The spec text above, malloc'd (NULL when out of memory). */
static char *stack_bench_spec(void)
{
    static const char first[] = "Conv2d(3, 16, 3, padding=1), ReLU()";
    static const char plain[] = ",\nConv2d(16, 16, 3, padding=1), ReLU()";
    static const char strided[] = ",\nConv2d(16, 16, 3, stride=2, padding=1), ReLU()";
    size_t size = sizeof first + (STACK_BENCH_CONVS - 1) * sizeof strided;
    char *text = malloc(size);
    if (!text)
        return NULL;
    size_t used = (size_t)snprintf(text, size, "%s", first);
    for (int layer = 2; layer <= STACK_BENCH_CONVS; layer++)
        used += (size_t)snprintf(text + used, size - used, "%s",
                                 layer % STACK_BENCH_STRIDE_EVERY == 0 ? strided : plain);
    return text;
}

/* The stack above with every layer shown and the centre cell of its middle
 * map clicked (so its field is lit on the 100 maps before it and the cells
 * it feeds on the 100 after), drawn at 1280x720: a few untimed frames
 * first (so the text cache holds the labels, as in a window that has been
 * open a moment), then the median of STACK_BENCH_FRAMES frames in this
 * thread's CPU time (other processes on a busy machine do not count). */
Status bench_stack_frame_ms(double *value, Error *err)
{
    char *spec = stack_bench_spec();
    if (!spec)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    SceneOptions o;
    scene_options_init(&o);
    o.layers = spec;
    o.size_h = o.size_w = STACK_BENCH_SIDE;
    Scene *s = NULL;
    Render *r = NULL;
    Status st = scene_create(&o, &s, err);
    if (st == CS_OK && !stack_model(s))
        st = error_set(err, CS_ERR_FORMAT, "stack_frame_ms: the scene has no layer stack");
    if (st == CS_OK)
        st = render_open(&r, &o, STACK_BENCH_W, STACK_BENCH_H, err);
    View v;
    view_init(&v, &o);
    if (st == CS_OK) {
        /* a clicked cell in the middle of the stack */
        StackScene *stack = stack_model(s);
        int middle = (int)(stack->panes[0].n_stages / 2);
        const StackStage *g = &stack->panes[0].stages[middle];
        StackCell c = {0, middle, (int)g->h / 2, (int)g->w / 2};
        if (stack->panes[0].n_stages != STACK_BENCH_CONVS + 1 || !stack_cell_shown(stack, c))
            st = error_set(err, CS_ERR_FORMAT, "stack_frame_ms: the stack is not the one meant");
        v.selected = (Target){.kind = TARGET_STACK_CELL, .f = c.pane, .c = c.stage, .y = c.y, .x = c.x};
    }
    const uint32_t *px;
    double ms[STACK_BENCH_FRAMES];
    for (int i = -STACK_BENCH_WARMUP; i < STACK_BENCH_FRAMES && st == CS_OK; i++) {
        double start = bench_cpu_ms();
        st = render_frame(r, s, &v, &px, err);
        if (i >= 0)
            ms[i] = bench_cpu_ms() - start;
    }
    render_close(r);
    scene_destroy(s);
    free(spec);
    if (st != CS_OK)
        return st;
    *value = bench_median(ms, STACK_BENCH_FRAMES);
    return CS_OK;
}
