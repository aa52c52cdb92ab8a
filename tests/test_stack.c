/* test_stack.c: the layer-stack scene's model (app/stack.h). The lit field
 * of a clicked cell on every stage against hand-worked ranges (stride,
 * padding, dilation, pooling, a mixed stack on a non-square input, empty
 * "fed" ranges), how activations and BatchNorm fold into stages with their
 * shapes, parameters and multiply-adds, the selection and growth rules, the
 * lessons' numbers (199 to 1 in 99 layers; AlexNet 195 and VGG-16 212 with
 * jump 32) and the error messages. Every expected value is worked out in
 * the comment above it from PyTorch's rule: output o of a layer reads input
 * rows o*s - p + j*d, j = 0 .. k-1, and out = floor((H + 2p - d(k-1) - 1)/s) + 1. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions.h"
#include "stack.h"
#include "stack_kind.h"
#include "support_tmp.h"

TestSuite(stack, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* ---- helpers ---- */

/* The lit range expected on one stage: rows y_lo..y_hi, columns x_lo..x_hi
 * (lo > hi: none). */
typedef struct Lit {
    int y_lo, y_hi, x_lo, x_hi;
} Lit;

/* A --layers stack of spec on an h x w input. */
static StackScene *layers_scene(const char *spec, int h, int w)
{
    StackSource src = {.layers = spec, .size_h = h, .size_w = w};
    StackScene *s = NULL;
    Error err = {0};
    cr_assert_eq(stack_create(&src, &s, &err), CS_OK, "%s: %s", spec, err.message);
    cr_assert(s);
    return s;
}

/* The lesson called name on its own input, or on size_h x size_w (as
 * --input-size) when they are not 0, with the assets of this source tree
 * (tests run from the repository root). */
static StackScene *lesson_scene_sized(const char *name, int size_h, int size_w)
{
    char assets[4096];
    cr_assert(getcwd(assets, sizeof assets - 8));
    strcat(assets, "/assets");
    cr_assert_eq(setenv("CONVSTEP_ASSETS", assets, 1), 0);
    StackSource src = {.lesson = name, .size_h = size_h, .size_w = size_w};
    StackScene *s = NULL;
    Error err = {0};
    cr_assert_eq(stack_create(&src, &s, &err), CS_OK, "%s: %s", name, err.message);
    return s;
}

static StackScene *lesson_scene(const char *name)
{
    return lesson_scene_sized(name, 0, 0);
}

/* The error stack_create gives for src (it must fail and leave *out NULL). */
static Error create_error(const StackSource *src)
{
    StackScene *s = (StackScene *)1; /* not NULL, so the check below means stack_create cleared it */
    Error err = {0};
    cr_expect_neq(stack_create(src, &s, &err), CS_OK);
    cr_expect_null(s);
    stack_destroy(s);
    return err;
}

/* Checks the lit ranges of stages 0 .. n-1 of pane 0 for focus f. */
static void expect_fields(const StackScene *s, StackCell f, const Lit *want, size_t n)
{
    CellRange got[64][2];
    cr_assert(n <= 64);
    cr_assert_eq(stack_current(s, 0) + 1, n, "stages shown");
    stack_fields(s, 0, f, got);
    for (size_t k = 0; k < n; k++) {
        bool rows_empty = want[k].y_lo > want[k].y_hi, cols_empty = want[k].x_lo > want[k].x_hi;
        bool rows_ok = rows_empty ? got[k][0].lo > got[k][0].hi
                                  : got[k][0].lo == want[k].y_lo && got[k][0].hi == want[k].y_hi;
        bool cols_ok = cols_empty ? got[k][1].lo > got[k][1].hi
                                  : got[k][1].lo == want[k].x_lo && got[k][1].hi == want[k].x_hi;
        cr_expect(rows_ok && cols_ok,
                  "focus (stage %d, %d, %d), stage %zu: got rows [%d, %d] cols [%d, %d], "
                  "want rows [%d, %d] cols [%d, %d]",
                  f.stage, f.y, f.x, k, got[k][0].lo, got[k][0].hi, got[k][1].lo, got[k][1].hi,
                  want[k].y_lo, want[k].y_hi, want[k].x_lo, want[k].x_hi);
    }
}

/* Clicks (stage, y, x) of pane 0 and checks the lit ranges it gives. */
static void expect_click(StackScene *s, int stage, int y, int x, const Lit *want, size_t n)
{
    StackCell c = {0, stage, y, x};
    cr_assert(stack_cell_shown(s, c), "click stage %d (%d, %d)", stage, y, x);
    StackCell f = stack_focus(s, 0, c);
    cr_expect(f.pane == 0 && f.stage == stage && f.y == y && f.x == x, "the click is the focus");
    expect_fields(s, f, want, n);
}

/* The window's state on the stack spec on an h x w input. */
static App stack_app(const char *spec, int h, int w)
{
    SceneOptions o;
    scene_options_init(&o);
    o.layers = spec;
    o.size_h = h;
    o.size_w = w;
    App a;
    memset(&a, 0, sizeof a);
    Error err = {0};
    cr_assert_eq(scene_create(&o, &a.scene, &err), CS_OK, "%s: %s", spec, err.message);
    view_init(&a.view, &o);
    return a;
}

static Target stack_cell(int pane, int stage, int y, int x)
{
    return (Target){.kind = TARGET_STACK_CELL, .f = pane, .c = stage, .y = y, .x = x};
}

/* The view's selection is (stage, y, x) of pane 0. */
static bool selected_is(const App *a, int stage, int y, int x)
{
    const Target *t = &a->view.selected;
    return t->kind == TARGET_STACK_CELL && t->f == 0 && t->c == stage && t->y == y && t->x == x;
}

static void expect_stage(const StackStage *g, size_t h, size_t w, size_t c, const char *what)
{
    cr_expect(g->h == h && g->w == w && g->c == c, "%s: got %zux%zux%zu, want %zux%zux%zu", what,
              g->h, g->w, g->c, h, w, c);
}

#define NONE 0, -1

/* ---- two 3x3 convolutions ---- */

Test(stack, two_valid_3x3_convs_field_and_fed_cells)
{
    /* 7x7 -> 5x5 -> 3x3: a valid 3x3 layer reads rows y..y+2 of the map before */
    StackScene *s = layers_scene("Conv2d(1, 1, 3), Conv2d(1, 1, 3)", 7, 7);
    cr_assert_eq(s->panes[0].n_stages, 3);
    expect_stage(&s->panes[0].stages[0], 7, 7, 1, "input");
    expect_stage(&s->panes[0].stages[1], 5, 5, 1, "stage 1");
    expect_stage(&s->panes[0].stages[2], 3, 3, 1, "stage 2");

    /* the centre output (1, 1): rows 1..3 of stage 1, then 1..5 of the input (5 = rf) */
    static const Lit centre[] = {{1, 5, 1, 5}, {1, 3, 1, 3}, {1, 1, 1, 1}};
    expect_click(s, 2, 1, 1, centre, 3);
    /* the bottom-left output (2, 0): rows 2..4 then 2..6, columns 0..2 then 0..4 */
    static const Lit corner[] = {{2, 6, 0, 4}, {2, 4, 0, 2}, {2, 2, 0, 0}};
    expect_click(s, 2, 2, 0, corner, 3);

    /* input centre (3, 3) is read by stage-1 outputs o with o <= 3 <= o+2: 1..3;
       those by stage-2 outputs 1-2 .. 3, clipped to the 3x3 map: 0..2 */
    static const Lit input_centre[] = {{3, 3, 3, 3}, {1, 3, 1, 3}, {0, 2, 0, 2}};
    expect_click(s, 0, 3, 3, input_centre, 3);
    /* input corner (0, 0) feeds only output 0 of each later map */
    static const Lit input_corner[] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    expect_click(s, 0, 0, 0, input_corner, 3);
    /* stage-1 cell (0, 4): back to input rows 0..2, cols 4..6; forward to stage-2
       rows 0..0 and cols 4-2 .. 4 clipped to 0..2: 2..2 */
    static const Lit middle[] = {{0, 2, 4, 6}, {0, 0, 4, 4}, {0, 0, 2, 2}};
    expect_click(s, 1, 0, 4, middle, 3);
    stack_destroy(s);
}

/* ---- stride ---- */

Test(stack, stride_2)
{
    /* 7x7, Conv 3 stride 2: floor((7 - 3)/2) + 1 = 3; output o reads rows 2o..2o+2 */
    StackScene *s = layers_scene("Conv2d(1, 1, 3, stride=2)", 7, 7);
    expect_stage(&s->panes[0].stages[1], 3, 3, 1, "stage 1");
    /* output (1, 2): rows 2..4, cols 4..6 */
    static const Lit out12[] = {{2, 4, 4, 6}, {1, 1, 2, 2}};
    expect_click(s, 1, 1, 2, out12, 2);
    /* input row 4 is read by o = 1 (2..4) and o = 2 (4..6); column 3 only by o = 1 (2..4) */
    static const Lit in43[] = {{4, 4, 3, 3}, {1, 2, 1, 1}};
    expect_click(s, 0, 4, 3, in43, 2);
    stack_destroy(s);

    /* 11x11, two Conv 3 stride 2: 11 -> floor(8/2)+1 = 5 -> floor(2/2)+1 = 2.
       Output (1, 0) reads stage-1 rows 2..4, cols 0..2, which read input
       rows 2*2 .. 2*4+2 = 4..10 and cols 0..6 (rf 1 + 2 + 2*2 = 7) */
    s = layers_scene("Conv2d(1, 1, 3, stride=2), Conv2d(1, 1, 3, stride=2)", 11, 11);
    expect_stage(&s->panes[0].stages[2], 2, 2, 1, "stage 2");
    static const Lit two[] = {{4, 10, 0, 6}, {2, 4, 0, 2}, {1, 1, 0, 0}};
    expect_click(s, 2, 1, 0, two, 3);
    stack_destroy(s);

    /* a 1x1 kernel with stride 2 on 7: outputs read input rows 0, 2, 4, 6 only,
       so odd input row 3 feeds nothing (lo > hi) while column 2 feeds output 1 */
    s = layers_scene("Conv2d(1, 1, 1, stride=2)", 7, 7);
    expect_stage(&s->panes[0].stages[1], 4, 4, 1, "stage 1");
    static const Lit gap[] = {{3, 3, 2, 2}, {NONE, 1, 1}};
    expect_click(s, 0, 3, 2, gap, 2);
    stack_destroy(s);
}

/* ---- padding ---- */

Test(stack, padding_reaches_outside_the_map)
{
    /* 5x5, Conv 3 padding 1 keeps 5x5; output o reads rows o-1..o+1, so the
       corner (0, 0) reads -1..1 on both axes: row and column -1 are padding */
    StackScene *s = layers_scene("Conv2d(1, 1, 3, padding=1)", 5, 5);
    expect_stage(&s->panes[0].stages[1], 5, 5, 1, "stage 1");
    static const Lit corner[] = {{-1, 1, -1, 1}, {0, 0, 0, 0}};
    expect_click(s, 1, 0, 0, corner, 2);
    /* (4, 2): rows 3..5 (5 is padding below), cols 1..3 */
    static const Lit bottom[] = {{3, 5, 1, 3}, {4, 4, 2, 2}};
    expect_click(s, 1, 4, 2, bottom, 2);
    /* input (0, 4) is read by outputs -1..1 and 3..5, clipped to 0..1 and 3..4 */
    static const Lit fed[] = {{0, 0, 4, 4}, {0, 1, 3, 4}};
    expect_click(s, 0, 0, 4, fed, 2);
    stack_destroy(s);

    /* two of them: stage-2 corner reads stage-1 -1..1, which reads input -2..2
       (the full rf of 5, unclipped: two rows of it lie in padding) */
    s = layers_scene("Conv2d(1, 1, 3, padding=1), Conv2d(1, 1, 3, padding=1)", 5, 5);
    static const Lit twice[] = {{-2, 2, -2, 2}, {-1, 1, -1, 1}, {0, 0, 0, 0}};
    expect_click(s, 2, 0, 0, twice, 3);
    stack_destroy(s);
}

/* ---- dilation ---- */

Test(stack, dilation_2_spans_5)
{
    /* 9x9, Conv 3 dilation 2: k_eff = 2*(3-1) + 1 = 5, out = 9 - 4 = 5; output o
       reads rows o, o+2, o+4 */
    StackScene *s = layers_scene("Conv2d(1, 1, 3, dilation=2)", 9, 9);
    expect_stage(&s->panes[0].stages[1], 5, 5, 1, "stage 1");
    /* output (2, 0): rows 2..6, cols 0..4 (the span, gaps included) */
    static const Lit out20[] = {{2, 6, 0, 4}, {2, 2, 0, 0}};
    expect_click(s, 1, 2, 0, out20, 2);
    /* input row 3 is read by o = 3, 1, -1 (taps 0, 1, 2): 1..3 (o = 2 does not,
       but the range runs first to last); row 4 by o = 4, 2, 0: 0..4; column 0
       only by o = 0 */
    static const Lit in3[] = {{3, 3, 3, 3}, {1, 3, 1, 3}};
    expect_click(s, 0, 3, 3, in3, 2);
    static const Lit in4[] = {{4, 4, 0, 0}, {0, 4, 0, 0}};
    expect_click(s, 0, 4, 0, in4, 2);
    stack_destroy(s);

    /* 5x5 with the same layer: one output reading rows 0, 2, 4; input row 1 lies
       in a gap and feeds nothing, column 2 feeds the output */
    s = layers_scene("Conv2d(1, 1, 3, dilation=2)", 5, 5);
    expect_stage(&s->panes[0].stages[1], 1, 1, 1, "stage 1");
    static const Lit gap[] = {{1, 1, 2, 2}, {NONE, 0, 0}};
    expect_click(s, 0, 1, 2, gap, 2);
    stack_destroy(s);
}

/* ---- pooling ---- */

Test(stack, max_pool_2)
{
    /* 8x8, MaxPool 2 (stride 2): 4x4; output o reads rows 2o..2o+1 */
    StackScene *s = layers_scene("MaxPool2d(2)", 8, 8);
    expect_stage(&s->panes[0].stages[1], 4, 4, 0, "stage 1");
    static const Lit out31[] = {{6, 7, 2, 3}, {3, 3, 1, 1}};
    expect_click(s, 1, 3, 1, out31, 2);
    /* input (5, 2) lies in the block of output (2, 1) */
    static const Lit in52[] = {{5, 5, 2, 2}, {2, 2, 1, 1}};
    expect_click(s, 0, 5, 2, in52, 2);
    stack_destroy(s);

    /* 7x7: floor((7 - 2)/2) + 1 = 3; outputs read rows 0..5, so the last input row
       and column (6) feed nothing */
    s = layers_scene("MaxPool2d(2)", 7, 7);
    expect_stage(&s->panes[0].stages[1], 3, 3, 0, "stage 1");
    static const Lit dropped[] = {{6, 6, 6, 6}, {NONE, NONE}};
    expect_click(s, 0, 6, 6, dropped, 2);
    stack_destroy(s);
}

/* ---- a mixed stack on a non-square input ---- */

Test(stack, mixed_stack_non_square)
{
    /* 16x20 input: Conv 3 p1 keeps 16x20; MaxPool 2 -> 8x10; Conv 3 dil 2
       -> 8-4 = 4 x 10-4 = 6; Conv 3 s2 -> floor(1/2)+1 = 1 x floor(3/2)+1 = 2 */
    StackScene *s = layers_scene("Conv2d(1, 1, 3, padding=1), MaxPool2d(2), "
                                 "Conv2d(1, 1, 3, dilation=2), Conv2d(1, 1, 3, stride=2)",
                                 16, 20);
    const StackPane *p = &s->panes[0];
    cr_assert_eq(p->n_stages, 5);
    expect_stage(&p->stages[0], 16, 20, 1, "input");
    expect_stage(&p->stages[1], 16, 20, 1, "conv p1");
    expect_stage(&p->stages[2], 8, 10, 1, "pool");
    expect_stage(&p->stages[3], 4, 6, 1, "conv dil 2");
    expect_stage(&p->stages[4], 1, 2, 1, "conv s2");

    /* output (0, 1), back one layer at a time:
       rows: 0 -> s2 k3: 0..2 -> dil 2: 0..2+4 = 0..6 -> pool: 0..13 -> p1: -1..14
       cols: 1 -> 2..4 -> 2..8 -> 4..17 -> 3..18
       both 16 wide = rf 1 + 2*1 + 1*1 + 4*2 + 2*2 */
    static const Lit out01[] = {{-1, 14, 3, 18}, {0, 13, 4, 17}, {0, 6, 2, 8}, {0, 2, 2, 4},
                                {0, 0, 1, 1}};
    expect_click(s, 4, 0, 1, out01, 5);
    /* output (0, 0) starts one jump (2*2 = 4 input pixels) to the left: cols
       0 -> 0..2 -> 0..6 -> 0..13 -> -1..14 */
    static const Lit out00[] = {{-1, 14, -1, 14}, {0, 13, 0, 13}, {0, 6, 0, 6}, {0, 2, 0, 2},
                                {0, 0, 0, 0}};
    expect_click(s, 4, 0, 0, out00, 5);
    cr_expect_eq(p->rf[3].rf[0], 16.0);
    cr_expect_eq(p->rf[3].rf[1], 16.0);
    cr_expect_eq(p->rf[3].jump[1], 4.0);

    /* pool cell (3, 9): back to stage-1 rows 6..7, cols 18..19, input rows 5..8,
       cols 17..20 (20 is padding: the input is 20 wide).
       Forward through dil 2 (4x6): rows o + 2j = 3 -> o = 3, 1 -> 1..3;
       cols o + 2j = 9 -> o = 9, 7, 5 -> only 5 fits.
       Then s2 k3 (1x2): rows 1..3 meet output 0's 0..2 -> 0..0; col 5 would need
       output 2 (reads 4..6) but there are only 0..1 -> none */
    static const Lit pool39[] = {{5, 8, 17, 20}, {6, 7, 18, 19}, {3, 3, 9, 9}, {1, 3, 5, 5},
                                 {0, 0, NONE}};
    expect_click(s, 2, 3, 9, pool39, 5);
    stack_destroy(s);
}

/* ---- folding ---- */

Test(stack, activations_and_batchnorm_fold_into_the_stage_before)
{
    /* 8x8x1:
       Conv2d(1,4,3): 6x6x4, params 4*1*9 + 4 = 40, macs 6*6*4 * 1*9 = 1296
       ReLU, BatchNorm2d(4): fold in; BN params 2*4 = 8, macs 6*6*4 = 144
       Conv2d(4,2,3,bias=False): 4x4x2, params 2*4*9 = 72, macs 4*4*2 * 4*9 = 1152
       ReLU: folds in
       MaxPool2d(2): 2x2x2, no params, no multiply-adds */
    StackScene *s = layers_scene("Conv2d(1, 4, 3), ReLU(), BatchNorm2d(4), "
                                 "Conv2d(4, 2, 3, bias=False), ReLU(), MaxPool2d(2)",
                                 8, 8);
    const StackPane *p = &s->panes[0];
    cr_assert_eq(p->spec.count, 6);
    cr_assert_eq(p->n_stages, 4);
    cr_expect_eq(stack_step_count(s), 4);
    cr_expect_eq(stack_step_index(s), 3, "a --layers stack starts with every layer shown");

    const StackStage *g = p->stages;
    expect_stage(&g[0], 8, 8, 1, "input");
    cr_expect(g[0].params == 0 && g[0].macs == 0 && g[0].nonlin == 0 && !g[0].folded[0]);

    expect_stage(&g[1], 6, 6, 4, "conv 1");
    cr_expect(g[1].layer == 0 && g[1].last == 2);
    cr_expect_eq(g[1].params, 40 + 8);
    cr_expect_eq(g[1].macs, 1296 + 144);
    cr_expect_eq(g[1].nonlin, 1);
    cr_expect_str_eq(g[1].folded, "ReLU, BatchNorm2d");

    expect_stage(&g[2], 4, 4, 2, "conv 2");
    cr_expect(g[2].layer == 3 && g[2].last == 4);
    cr_expect_eq(g[2].params, 72);
    cr_expect_eq(g[2].macs, 1152);
    cr_expect_eq(g[2].nonlin, 1);
    cr_expect_str_eq(g[2].folded, "ReLU");

    expect_stage(&g[3], 2, 2, 2, "pool");
    cr_expect(g[3].layer == 5 && g[3].last == 5);
    cr_expect(g[3].params == 0 && g[3].macs == 0 && g[3].nonlin == 0 && !g[3].folded[0]);

    /* folded layers do not move the field: pool (1, 1) reads conv-2 rows 2..3,
       conv-1 rows 2..5, input rows 2..7 */
    static const Lit pool11[] = {{2, 7, 2, 7}, {2, 5, 2, 5}, {2, 3, 2, 3}, {1, 1, 1, 1}};
    expect_click(s, 3, 1, 1, pool11, 4);
    stack_destroy(s);

    /* layers before the first spatial one fold into the input stage:
       BatchNorm2d(2) on 5x5x2: params 2*2 = 4, macs 5*5*2 = 50;
       Conv2d(2,1,3): 3x3x1, params 1*2*9 + 1 = 19, macs 3*3*1 * 2*9 = 162 */
    s = layers_scene("BatchNorm2d(2), ReLU(), Conv2d(2, 1, 3)", 5, 5);
    g = s->panes[0].stages;
    cr_assert_eq(s->panes[0].n_stages, 2);
    expect_stage(&g[0], 5, 5, 2, "input");
    cr_expect_eq(g[0].params, 4);
    cr_expect_eq(g[0].macs, 50);
    cr_expect_eq(g[0].nonlin, 1);
    cr_expect_str_eq(g[0].folded, "BatchNorm2d, ReLU");
    expect_stage(&g[1], 3, 3, 1, "conv");
    cr_expect_eq(g[1].params, 19);
    cr_expect_eq(g[1].macs, 162);
    stack_destroy(s);
}

/* ---- selection and growth ---- */

Test(stack, select_refuses_cells_not_shown)
{
    /* 7x9 -> 5x7 -> 3x5 */
    App a = stack_app("Conv2d(1, 1, 3), Conv2d(1, 1, 3)", 7, 9);
    StackScene *s = stack_model(a.scene);
    cr_assert(s);
    expect_stage(&s->panes[0].stages[2], 3, 5, 1, "stage 2");
    cr_expect_eq(a.view.selected.kind, TARGET_NONE, "nothing selected at first");
    /* outside the 3x5 map, on a stage or pane that does not exist */
    static const StackCell outside[] = {{0, 2, 3, 0}, {0, 2, 0, 5}, {0, 2, -1, 0}, {0, 2, 0, -1},
                                        {0, 3, 0, 0}, {0, -1, 0, 0}, {1, 0, 0, 0}, {-1, 0, 0, 0}};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        StackCell c = outside[i];
        cr_expect_not(stack_cell_shown(s, c), "cell %zu is not shown", i);
        action_click(&a, stack_cell(c.pane, c.stage, c.y, c.x));
        cr_expect_eq(a.view.selected.kind, TARGET_NONE, "refusals leave no selection");
    }

    /* the last cell of the map is fine; a click elsewhere clears it */
    action_click(&a, stack_cell(0, 2, 2, 4));
    cr_expect(selected_is(&a, 2, 2, 4));
    action_click(&a, stack_cell(0, 2, 3, 4));
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);
    /* clicking another cell moves the selection; clicking it again clears */
    action_click(&a, stack_cell(0, 2, 2, 4));
    action_click(&a, stack_cell(0, 1, 0, 6));
    cr_expect(selected_is(&a, 1, 0, 6));
    action_click(&a, stack_cell(0, 1, 0, 6));
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);

    /* at step 1 stage 2 is not shown: refused; stage 1 is */
    action_step(&a, -1);
    cr_expect_eq(stack_step_index(s), 1);
    cr_expect_eq(stack_current(s, 0), 1);
    cr_expect_not(stack_cell_shown(s, (StackCell){0, 2, 1, 1}));
    action_click(&a, stack_cell(0, 2, 1, 1));
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);
    action_click(&a, stack_cell(0, 1, 4, 6));
    cr_expect(selected_is(&a, 1, 4, 6));
    scene_destroy(a.scene);
}

Test(stack, seek_drops_a_selection_no_longer_shown)
{
    App a = stack_app("Conv2d(1, 1, 3), Conv2d(1, 1, 3)", 7, 7);
    StackScene *s = stack_model(a.scene);
    cr_expect_eq(stack_step_count(s), 3);
    /* a selection on stage 1 survives going back to step 1, not to step 0 */
    action_click(&a, stack_cell(0, 1, 2, 3));
    action_step(&a, -1);
    cr_expect(selected_is(&a, 1, 2, 3));
    action_step(&a, -1);
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);
    /* a selection on stage 2 is gone at step 1, and stays gone back at step 2 */
    action_step_end(&a, +1);
    action_click(&a, stack_cell(0, 2, 0, 0));
    cr_expect(selected_is(&a, 2, 0, 0));
    action_step(&a, -1);
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);
    action_step(&a, +1);
    cr_expect_eq(a.view.selected.kind, TARGET_NONE);
    /* seeking past the end stops at the last step */
    stack_seek(s, 99);
    cr_expect_eq(stack_step_index(s), 2);
    scene_destroy(a.scene);
}

Test(stack, focus_defaults_to_the_centre_of_the_newest_stage)
{
    /* 7x9 -> 5x7 -> 3x5: centres (1, 2), (2, 3), (3, 4) */
    StackScene *s = layers_scene("Conv2d(1, 1, 3), Conv2d(1, 1, 3)", 7, 9);
    StackCell f = stack_focus(s, 0, (StackCell){-1, 0, 0, 0});
    cr_expect(f.pane == 0 && f.stage == 2 && f.y == 1 && f.x == 2, "got stage %d (%d, %d)",
              f.stage, f.y, f.x);
    /* its field: rows 1..3 then 1..5, cols 2..4 then 2..6 */
    static const Lit centre[] = {{1, 5, 2, 6}, {1, 3, 2, 4}, {1, 1, 2, 2}};
    expect_fields(s, f, centre, 3);

    stack_seek(s, 1);
    f = stack_focus(s, 0, (StackCell){-1, 0, 0, 0});
    cr_expect(f.stage == 1 && f.y == 2 && f.x == 3, "got stage %d (%d, %d)", f.stage, f.y, f.x);
    /* only stages 0..1 are lit: rows 2..4, cols 3..5 */
    static const Lit step1[] = {{2, 4, 3, 5}, {2, 2, 3, 3}};
    expect_fields(s, f, step1, 2);

    stack_seek(s, 0);
    f = stack_focus(s, 0, (StackCell){-1, 0, 0, 0});
    cr_expect(f.stage == 0 && f.y == 3 && f.x == 4, "got stage %d (%d, %d)", f.stage, f.y, f.x);

    /* a selected cell is the focus instead */
    stack_seek(s, 2);
    f = stack_focus(s, 0, (StackCell){0, 1, 0, 0});
    cr_expect(f.stage == 1 && f.y == 0 && f.x == 0);
    /* one in another pane is not */
    f = stack_focus(s, 0, (StackCell){1, 1, 0, 0});
    cr_expect(f.stage == 2);
    stack_destroy(s);
}

/* ---- lessons ---- */

Test(stack, lesson_199_to_1)
{
    /* 199 -> 197 -> ... -> 1 loses 2 per layer: (199 - 1)/2 = 99 layers, so 100
       stages and 100 steps; the field grows by 2 per layer: 1 + 2*99 = 199 */
    StackScene *s = lesson_scene("199-to-1");
    const StackPane *p = &s->panes[0];
    cr_assert_eq(s->n_panes, 1);
    cr_assert_eq(p->spec.count, 99);
    cr_assert_eq(p->n_stages, 100);
    cr_expect_eq(stack_step_count(s), 100);
    cr_expect_eq(stack_step_index(s), 0, "a lesson starts at the input alone");
    expect_stage(&p->stages[0], 199, 199, 1, "input");
    expect_stage(&p->stages[1], 197, 197, 1, "stage 1");
    expect_stage(&p->stages[50], 99, 99, 1, "stage 50");
    expect_stage(&p->stages[99], 1, 1, 1, "stage 99");
    cr_expect_eq(p->rf[98].rf[0], 199.0);
    cr_expect_eq(p->rf[98].jump[0], 1.0);

    /* at the end the focus is the single output, and its field is the whole input */
    stack_seek(s, 99);
    StackCell f = stack_focus(s, 0, (StackCell){-1, 0, 0, 0});
    cr_expect(f.stage == 99 && f.y == 0 && f.x == 0);
    static CellRange got[100][2];
    stack_fields(s, 0, f, got);
    cr_expect(got[0][0].lo == 0 && got[0][0].hi == 198 && got[0][1].lo == 0 &&
                  got[0][1].hi == 198,
              "got rows [%d, %d] cols [%d, %d]", got[0][0].lo, got[0][0].hi, got[0][1].lo,
              got[0][1].hi);
    /* and on stage k (199 - 2k wide) too: 0 .. 198 - 2k */
    cr_expect(got[50][0].lo == 0 && got[50][0].hi == 98);
    stack_destroy(s);
}

/* With --input-size the repeated layer runs until that input is 1x1: 9 ->
 * 7 -> 5 -> 3 -> 1 is (9 - 1) / 2 = 4 layers, field 1 + 2 * 4 = 9. */
Test(stack, lesson_199_to_1_counts_layers_for_the_given_input_size)
{
    StackScene *s = lesson_scene_sized("199-to-1", 9, 9);
    const StackPane *p = &s->panes[0];
    cr_expect_eq(p->spec.count, 4);
    expect_stage(&p->stages[4], 1, 1, 1, "stage 4");
    cr_expect_eq(p->rf[3].rf[0], 9.0);
    stack_destroy(s);
}

Test(stack, lesson_alexnet)
{
    /* conv 11 s4: rf 11, jump 4; pool 3 s2: 19, 8; conv 5: 51; pool 3 s2: 67, 16;
       three conv 3: 99, 131, 163; pool 3 s2: 195, 32 */
    StackScene *s = lesson_scene("alexnet");
    const StackPane *p = &s->panes[0];
    cr_assert_eq(p->spec.count, 13);
    const RfLayer *last = &p->rf[p->spec.count - 1];
    cr_expect_eq(last->rf[0], 195.0);
    cr_expect_eq(last->rf[1], 195.0);
    cr_expect_eq(last->jump[0], 32.0);
    cr_expect_eq(last->jump[1], 32.0);
    /* 8 spatial layers: 9 stages. 224 -> floor((224 + 4 - 11)/4) + 1 = 55 -> pool
       floor(52/2) + 1 = 27 -> 27 (5x5 p2) -> 13 -> 13, 13, 13 -> floor(10/2) + 1 = 6 */
    cr_assert_eq(p->n_stages, 9);
    cr_expect_eq(stack_step_count(s), 9);
    static const size_t side[] = {224, 55, 27, 27, 13, 13, 13, 13, 6};
    static const size_t chans[] = {3, 64, 64, 192, 192, 384, 256, 256, 256};
    for (size_t k = 0; k < 9; k++)
        expect_stage(&p->stages[k], side[k], side[k], chans[k], "alexnet stage");

    /* the centre output (2, 2) of the last 6x6 map, back through each stage:
       pool 3 s2: 4..6; conv 3 p1 thrice: 3..7, 2..8, 1..9; pool 3 s2: 2..20;
       conv 5 p2: 0..22; pool 3 s2: 0..46; conv 11 s4 p2: 0*4-2 .. 46*4-2+10 =
       -2..192, 195 pixels */
    stack_seek(s, 8);
    StackCell f = stack_focus(s, 0, (StackCell){-1, 0, 0, 0});
    cr_expect(f.stage == 8 && f.y == 2 && f.x == 2);
    static const Lit centre[] = {{-2, 192, -2, 192}, {0, 46, 0, 46}, {0, 22, 0, 22},
                                 {2, 20, 2, 20},     {1, 9, 1, 9},   {2, 8, 2, 8},
                                 {3, 7, 3, 7},       {4, 6, 4, 6},   {2, 2, 2, 2}};
    expect_fields(s, f, centre, 9);
    stack_destroy(s);
}

Test(stack, lesson_vgg16)
{
    /* per block, 3x3 convs add 2*jump each, the 2x2 pool adds jump and doubles it:
       5, 6 (j 2); 14, 16 (j 4); 40, 44 (j 8); 92, 100 (j 16); 196, 212 (j 32) */
    StackScene *s = lesson_scene("vgg16");
    const StackPane *p = &s->panes[0];
    cr_assert_eq(p->spec.count, 31);
    const RfLayer *last = &p->rf[p->spec.count - 1];
    cr_expect_eq(last->rf[0], 212.0);
    cr_expect_eq(last->rf[1], 212.0);
    cr_expect_eq(last->jump[0], 32.0);
    cr_expect_eq(last->jump[1], 32.0);
    /* 13 convs + 5 pools: 19 stages; 224 halves five times to 7 */
    cr_assert_eq(p->n_stages, 19);
    cr_expect_eq(stack_step_count(s), 19);
    expect_stage(&p->stages[18], 7, 7, 512, "last");
    expect_stage(&p->stages[3], 112, 112, 64, "first pool");
    stack_destroy(s);
}

Test(stack, lesson_why_3x3_panes_grow_together)
{
    /* panes: two 3x3 on 5x5 (5 -> 3 -> 1), one 5x5 (5 -> 1), three 3x3 on 7x7
       (7 -> 5 -> 3 -> 1), one 7x7 (7 -> 1): 3, 2, 4 and 2 stages, so 4 steps.
       Weights with C = 64 and no bias: 2*9 = 18, 25, 3*9 = 27 and 49 times C^2;
       non-linearities: one ReLU per convolution */
    static const size_t stages[] = {3, 2, 4, 2}, c2[] = {18, 25, 27, 49};
    static const int relus[] = {2, 1, 3, 1}, side[] = {5, 5, 7, 7};
    StackScene *s = lesson_scene("why-3x3");
    cr_assert_eq(s->n_panes, 4);
    cr_expect_eq(stack_step_count(s), 4);
    for (int p = 0; p < 4; p++) {
        const StackPane *P = &s->panes[p];
        uint64_t weights = 0;
        int nonlin = 0;
        cr_assert_eq(P->n_stages, stages[p], "pane %d", p);
        for (size_t k = 0; k < P->n_stages; k++) {
            weights += P->stages[k].params;
            nonlin += P->stages[k].nonlin;
        }
        cr_expect_eq(weights, c2[p] * 64 * 64, "pane %d", p);
        cr_expect_eq(nonlin, relus[p], "pane %d", p);
        expect_stage(&P->stages[P->n_stages - 1], 1, 1, 64, "last");
        expect_stage(&P->stages[0], (size_t)side[p], (size_t)side[p], 64, "input");
    }

    /* step 2: the 5x5 and 7x7 panes are complete (their last stage is 1), the
       three-3x3 pane is at stage 2 of 3; stage 2 of pane 1 does not exist */
    stack_seek(s, 2);
    cr_expect_eq(stack_current(s, 0), 2);
    cr_expect_eq(stack_current(s, 1), 1);
    cr_expect_eq(stack_current(s, 2), 2);
    cr_expect_not(stack_cell_shown(s, (StackCell){1, 2, 0, 0}));
    cr_expect_not(stack_cell_shown(s, (StackCell){2, 3, 0, 0}));
    /* pane 2's focus is the centre of its 3x3 stage 2: (1, 1), reading rows 1..3
       of stage 1 and 1..5 of the 7x7 input */
    StackCell f = stack_focus(s, 2, (StackCell){-1, 0, 0, 0});
    cr_expect(f.pane == 2 && f.stage == 2 && f.y == 1 && f.x == 1);
    CellRange got[4][2];
    stack_fields(s, 2, f, got);
    cr_expect(got[0][0].lo == 1 && got[0][0].hi == 5 && got[1][1].lo == 1 && got[1][1].hi == 3,
              "got input rows [%d, %d], stage-1 cols [%d, %d]", got[0][0].lo, got[0][0].hi,
              got[1][1].lo, got[1][1].hi);

    /* at the end every pane's single output sees its whole input: 5x5 or 7x7 */
    stack_seek(s, 3);
    for (int p = 0; p < 4; p++) {
        f = stack_focus(s, p, (StackCell){-1, 0, 0, 0});
        stack_fields(s, p, f, got);
        cr_expect(got[0][0].lo == 0 && got[0][0].hi == side[p] - 1 && got[0][1].lo == 0 &&
                      got[0][1].hi == side[p] - 1,
                  "pane %d: got rows [%d, %d] cols [%d, %d]", p, got[0][0].lo, got[0][0].hi,
                  got[0][1].lo, got[0][1].hi);
    }
    stack_destroy(s);
}

/* ---- input size ---- */

Test(stack, default_input_32_else_224)
{
    /* 15 valid 3x3 layers fit 32 (32 - 30 = 2); 16 would leave 0, so 224 */
    char spec[16 * 17 + 1] = "";
    for (int i = 0; i < 15; i++)
        strcat(spec, "Conv2d(1, 1, 3)\n");
    StackSource src = {.layers = spec};
    StackScene *s = NULL;
    Error err = {0};
    cr_assert_eq(stack_create(&src, &s, &err), CS_OK, "%s", err.message);
    expect_stage(&s->panes[0].stages[0], 32, 32, 1, "15 layers");
    expect_stage(&s->panes[0].stages[15], 2, 2, 1, "15 layers");
    stack_destroy(s);

    strcat(spec, "Conv2d(1, 1, 3)\n");
    cr_assert_eq(stack_create(&src, &s, &err), CS_OK, "%s", err.message);
    expect_stage(&s->panes[0].stages[0], 224, 224, 1, "16 layers");
    expect_stage(&s->panes[0].stages[16], 192, 192, 1, "16 layers");
    stack_destroy(s);
}

/* ---- errors ---- */

Test(stack, unknown_lesson_lists_the_names)
{
    StackSource src = {.lesson = "no-such-lesson"};
    Error err = create_error(&src);
    cr_expect(strstr(err.message, "no-such-lesson"), "%s", err.message);
    cr_expect(strstr(err.message, "199-to-1") && strstr(err.message, "vgg16"), "%s", err.message);
}

Test(stack, syntax_error_gives_line_and_column)
{
    /* line 2 is "  Conv2d(1, 1 3)": the '3' where ',' or ')' belongs is column 15
       (two spaces, "Conv2d(" in 3..9, '1' 10, ',' 11, ' ' 12, '1' 13, ' ' 14) */
    StackSource src = {.layers = "Conv2d(1, 1, 3),\n  Conv2d(1, 1 3)", .size_h = 9, .size_w = 9};
    Error err = create_error(&src);
    cr_expect_eq(err.status, CS_ERR_SYNTAX);
    cr_expect(strstr(err.message, "line 2, column 15"), "%s", err.message);
}

Test(stack, shrinking_below_1x1_names_the_layer)
{
    /* 5 -> 3 -> 1 -> (1 - 3 + 1 = -1): the third layer fails */
    StackSource src = {.layers = "Conv2d(1, 1, 3), ReLU(), Conv2d(1, 1, 3), Conv2d(1, 1, 3)",
                       .size_h = 5,
                       .size_w = 5};
    Error err = create_error(&src);
    cr_expect_eq(err.status, CS_ERR_RANGE);
    cr_expect(strstr(err.message, "5x5"), "%s", err.message);
    cr_expect(strstr(err.message, "layer 4 (Conv2d(1, 1, 3))"), "%s", err.message);

    /* the rows give out first on a 3x9 input: 3 -> 1 -> fails at layer 2 */
    StackSource wide = {.layers = "Conv2d(1, 1, 3), Conv2d(1, 1, 3)", .size_h = 3, .size_w = 9};
    err = create_error(&wide);
    cr_expect(strstr(err.message, "3x9") && strstr(err.message, "layer 2"), "%s", err.message);
}

Test(stack, channels_that_do_not_chain)
{
    StackSource src = {.layers = "Conv2d(1, 4, 3), ReLU(), Conv2d(3, 1, 3)", .size_h = 9, .size_w = 9};
    Error err = create_error(&src);
    cr_expect_eq(err.status, CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "layer 3"), "%s", err.message);
}

Test(stack, at_file)
{
    /* a missing file */
    char arg[256];
    snprintf(arg, sizeof arg, "@%s", tmp_path("missing.txt"));
    StackSource src = {.layers = arg, .size_h = 7, .size_w = 7};
    Error err = create_error(&src);
    cr_expect_eq(err.status, CS_ERR_IO);
    cr_expect(strstr(err.message, "cannot read") && strstr(err.message, "missing.txt"), "%s",
              err.message);

    /* a folder */
    snprintf(arg, sizeof arg, "@%s", tmp_dir);
    err = create_error(&src);
    cr_expect(strstr(err.message, "is a directory"), "%s", err.message);

    /* a readable one: named after the file; two 3x3 convs on 7x7 end at 3x3 */
    static const char text[] = "# two layers\nnn.Conv2d(1, 1, 3)\nnn.ReLU()\nnn.Conv2d(1, 1, 3)\n";
    tmp_write_file(tmp_path("model.txt"), text, sizeof text - 1);
    snprintf(arg, sizeof arg, "@%s", tmp_path("model.txt"));
    StackScene *s = NULL;
    cr_assert_eq(stack_create(&src, &s, &err), CS_OK, "%s", err.message);
    cr_expect_str_eq(s->source, "model.txt");
    cr_expect_eq(s->panes[0].n_stages, 3);
    expect_stage(&s->panes[0].stages[2], 3, 3, 1, "stage 2");
    stack_destroy(s);
}
