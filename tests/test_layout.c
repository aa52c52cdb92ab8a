/* test_layout.c: the pure layout: every grid inside the window at any size,
 * and hit testing that finds the cell whose centre was clicked. */
#include <criterion/criterion.h>
#include <string.h>

#include "layer_layout.h"
#include "scene.h"
#include "view.h"

static Scene *make_scene(const char **words)
{
    SceneOptions o;
    Error err = {0};
    Scene *s;
    char *argv[16];
    int argc = 0;
    scene_options_init(&o);
    while (words && words[argc]) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    for (int i = 0; i < argc; i++)
        cr_assert_eq(scene_options_parse_one(&o, argc, argv, &i, &err), 1, "%s", err.message);
    cr_assert_eq(scene_create(&o, &s, &err), CS_OK, "%s", err.message);
    return s;
}

static void assert_inside(Rect r, int w, int h, const char *what)
{
    cr_assert(r.w >= 0 && r.h >= 0, "%s has a negative size", what);
    if (r.w == 0 || r.h == 0)
        return;
    cr_assert(r.x >= 0 && r.y >= 0 && r.x + r.w <= w && r.y + r.h <= h,
              "%s (%d,%d %dx%d) leaves the %dx%d window", what, r.x, r.y, r.w, r.h, w, h);
}

Test(layout, every_grid_fits_the_window_at_any_size)
{
    static const int sizes[][2] = {{1280, 720}, {1920, 1080}, {960, 540}, {800, 600}, {640, 360},
                                   {1024, 768}, {2560, 1440}, {3840, 2160}, {720, 1280}};
    const char *pool[] = {"--pool", "max", NULL};
    const char *pad[] = {"--padding", "2", "--dilation", "2", "--filters", "4", NULL};
    const char **scenes[] = {NULL, pool, pad};
    for (size_t si = 0; si < 3; si++) {
        Scene *s = make_scene(scenes[si]);
        View v;
        view_init(&v, NULL);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            Layout L;
            int w = sizes[k][0], h = sizes[k][1];
            layout_compute(s, &v, w, h, &L);
            cr_assert_eq(L.n_channels, 3);
            for (int c = 0; c < L.n_channels; c++) {
                assert_inside(L.input[c].rect, w, h, "an input grid");
                assert_inside(L.kernel[c].rect, w, h, "a kernel grid");
            }
            for (int m = 0; m < L.n_maps; m++)
                assert_inside(L.output[m].rect, w, h, "an output map");
            assert_inside(L.timeline_bar, w, h, "the timeline");
            cr_assert(L.sum_line.y >= L.input[0].rect.y + L.input[0].rect.h, "the sum line is below the grids");
            if (w >= 1280 && h >= 720 && si == 0)
                cr_assert(L.input[0].numbers, "numbers are printed at %dx%d", w, h);
        }
        scene_destroy(s);
    }
}

Test(layout, larger_window_and_scale_make_larger_cells)
{
    Scene *s = make_scene(NULL);
    View v;
    Layout a, b, c;
    view_init(&v, NULL);
    layout_compute(s, &v, 1280, 720, &a);
    layout_compute(s, &v, 1920, 1080, &b);
    cr_assert_gt(b.input[0].cell, a.input[0].cell);
    cr_assert_gt(b.text_px, a.text_px);
    v.ui_scale = 1.5f;
    layout_compute(s, &v, 1280, 720, &c);
    cr_assert_gt(c.text_px, a.text_px, "Ctrl + makes text bigger");
    scene_destroy(s);
}

Test(layout, a_large_input_becomes_a_picture_with_a_numbered_inset)
{
    const char *large[] = {"--fit", "60,90", NULL};
    Scene *s = make_scene(large);
    View v;
    Layout L;
    view_init(&v, NULL);
    layout_compute(s, &v, 1280, 720, &L);
    cr_assert(!L.input[0].numbers);
    cr_assert(L.has_inset);
    cr_assert(L.inset[0].numbers, "the inset prints its values");
    const Trace *t = stepper_trace(s->stepper);
    int row, col;
    cr_assert(layout_grid_find(&L.inset[0], t->channels[0].cells[0].iy, t->channels[0].cells[0].ix, &row, &col),
              "the inset shows the window");
    scene_destroy(s);
}

/* The centre of cell (row, col) of g. */
static void centre(const GridLayout *g, int row, int col, int *x, int *y)
{
    Rect r = layout_cell_rect(g, row, col);
    *x = r.x + r.w / 2;
    *y = r.y + r.h / 2;
}

Test(layout, hit_testing_finds_every_cell)
{
    const char *pad[] = {"--padding", "1", "--filters", "2", NULL};
    Scene *s = make_scene(pad);
    View v;
    Layout L;
    view_init(&v, NULL);
    stepper_seek(s->stepper, 5);
    layout_compute(s, &v, 1280, 720, &L);
    const Trace *t = stepper_trace(s->stepper);
    int x, y;
    for (int c = 0; c < L.n_channels; c++) {
        const GridLayout *g = &L.input[c];
        for (int row = 0; row < g->rows; row++)
            for (int col = 0; col < g->cols; col++) {
                centre(g, row, col, &x, &y);
                Target hit = layout_hit(&L, s, x, y);
                cr_assert_eq(hit.kind, TARGET_INPUT);
                cr_assert_eq(hit.c, c);
                cr_assert_eq(hit.y, row - 1, "padding 1: the first row is -1");
                cr_assert_eq(hit.x, col - 1);
            }
        centre(&L.kernel[c], 2, 1, &x, &y);
        Target w = layout_hit(&L, s, x, y);
        cr_assert_eq(w.kind, TARGET_WEIGHT);
        cr_assert_eq(w.f, t->filter);
        cr_assert_eq(w.c, c);
        cr_assert_eq(w.y, 2);
        cr_assert_eq(w.x, 1);
    }
    for (int m = 0; m < L.n_maps; m++) {
        centre(&L.output[m], 3, 4, &x, &y);
        Target o = layout_hit(&L, s, x, y);
        cr_assert_eq(o.kind, TARGET_OUTPUT);
        cr_assert_eq(o.f, m);
        cr_assert_eq(o.y, 3);
        cr_assert_eq(o.x, 4);
    }
    Target b = layout_hit(&L, s, L.bias.x + L.bias.w / 2, L.bias.y + L.bias.h / 2);
    cr_assert_eq(b.kind, TARGET_BIAS);
    Rect bar = L.timeline_bar;
    Target first = layout_hit(&L, s, bar.x, bar.y + bar.h / 2);
    Target last = layout_hit(&L, s, bar.x + bar.w - 1, bar.y + bar.h / 2);
    cr_assert_eq(first.kind, TARGET_TIMELINE);
    cr_assert_eq(first.step, 0);
    cr_assert_eq(last.step, stepper_count(s->stepper) - 1);
    cr_assert_eq(layout_hit(&L, s, 1, 1).kind, TARGET_NONE);
    scene_destroy(s);
}

Test(layout, many_channels_show_the_ones_being_worked_on)
{
    Scene *s = make_scene(NULL);
    Error err = {0};
    Tensor in;
    cr_assert_eq(tensor_init(&in, 1, 16, 5, 5, 3, &err), CS_OK);
    for (size_t i = 0; i < tensor_count(&in); i++)
        in.data[i] = (float)(i % 7);
    cr_assert_eq(scene_set_input_tensor(s, &in, "sixteen", false, &err), CS_OK, "%s", err.message);
    tensor_free(&in);
    cr_assert_eq(scene_set_pool(s, true, POOL_MAX, &err), CS_OK, "%s", err.message);
    View v;
    Layout L;
    view_init(&v, NULL);
    layout_compute(s, &v, 1280, 720, &L);
    cr_assert_eq(L.n_channels, LAYOUT_MAX_CHANNELS);
    cr_assert_eq(L.first_channel, 0, "step 0 pools channel 0");
    stepper_seek(s->stepper, stepper_count(s->stepper) - 1);     /* pools channel 15 */
    layout_compute(s, &v, 1280, 720, &L);
    cr_assert_eq(L.first_channel, 16 - LAYOUT_MAX_CHANNELS);
    cr_assert_eq(L.first_map, 16 - LAYOUT_MAX_CHANNELS);
    int x, y;
    centre(&L.input[LAYOUT_MAX_CHANNELS - 1], 0, 0, &x, &y);
    Target hit = layout_hit(&L, s, x, y);
    cr_assert_eq(hit.kind, TARGET_INPUT);
    cr_assert_eq(hit.c, 15, "the last slot shows channel 15");
    centre(&L.output[0], 0, 0, &x, &y);
    hit = layout_hit(&L, s, x, y);
    cr_assert_eq(hit.kind, TARGET_OUTPUT);
    cr_assert_eq(hit.f, 8);
    scene_destroy(s);
}
