/* test_golden.c: golden images of the drawing path. Each case builds a
 * scene from SCENE OPTIONS, seeks to a step, renders it offscreen at 960x540
 * through render_frame (the same draw_frame the window uses) and compares
 * it with tests/golden/NAME.png. A case is known by its name alone: one
 * parameterized test runs every entry of the table, whatever its order.
 *
 * A pixel differs when its squared RGB distance exceeds GOLDEN_PIXEL_TOL;
 * a case fails when more than GOLDEN_MAX_DIFFERING of the pixels differ
 * (room for a different FreeType's anti-aliasing, not for a moved panel).
 * On failure the actual image and a diff (differing pixels in magenta over
 * a faded copy) go to $BUILD/golden/, and the message says how to update:
 * `make update-goldens` (UPDATE_GOLDENS=1) rewrites the committed images. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_write.h>

#include "render.h"
#include "text.h"
#include "scene.h"
#include "net_kind.h"
#include "stack_kind.h"
#include "view.h"

#define GOLDEN_W 960
#define GOLDEN_H 540
#define GOLDEN_PIXEL_TOL (40 * 40)
#define GOLDEN_MAX_DIFFERING 0.0025

typedef struct GoldenCase {
    const char *name;
    const char *args[12];       /* SCENE OPTIONS, NULL-terminated */
    long step;                  /* step to show; negative counts from the end */
    int click[3];               /* layer-stack scenes: stage, row, column of pane 0's
                                   clicked cell; stage 0 with row and column 0: none */
    bool table;                 /* layer-stack scenes: the table beside the maps */
    bool net_click;             /* network scenes: the selected cell is net_cell */
    int net_cell[4];            /* card, channel, row, column */
} GoldenCase;

static const GoldenCase cases[] = {
    {.name = "default", .args = {NULL}, .step = 7},
    {.name = "padding_stride", .args = {"--padding", "1", "--stride", "2", "--padding-mode", "reflect", NULL}, .step = 4},
    {.name = "dilation", .args = {"--dilation", "2", "--padding", "2", NULL}, .step = 8},
    {.name = "large_inset", .args = {"--fit", "40,60", NULL}, .step = 130},
    {.name = "pooling", .args = {"--pool", "max", "--kernel-size", "3", "--stride", "2", NULL}, .step = 5},
    {.name = "light_theme", .args = {"--theme", "light", "--step", "term", NULL}, .step = 40},
    {.name = "filters", .args = {"--filters", "3", "--padding", "same", NULL}, .step = 20},
    /* Layer stacks: a clicked cell whose field reaches into the padding,
     * with stride, pooling and dilation on the way; the growth strip
     * mid-way; the table beside the maps; every lesson at a telling step. */
    {.name = "stack_clicked",
     .args = {"--layers", "Conv2d(3, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3, dilation=2), "
      "Conv2d(16, 16, 3, stride=2)", "--input-size", "24", NULL},
     .step = -1, .click = {4, 0, 0}},
    {.name = "stack_growth", .args = {"--layers", "Conv2d(1, 4, 3), Conv2d(4, 4, 3, stride=2), Conv2d(4, 4, 3), Conv2d(4, 4, 3)",
                      "--input-size", "21", NULL}, .step = 2, .table = true},
    {.name = "lesson_199_to_1", .args = {"--lesson", "199-to-1", NULL}, .step = 60},
    {.name = "lesson_199_to_1_end", .args = {"--lesson", "199-to-1", NULL}, .step = -1},
    {.name = "lesson_why_3x3", .args = {"--lesson", "why-3x3", NULL}, .step = -1},
    {.name = "lesson_shapes", .args = {"--lesson", "shapes", NULL}, .step = 2},
    {.name = "lesson_stride_padding_pooling", .args = {"--lesson", "stride-padding-pooling", NULL}, .step = -1},
    {.name = "lesson_alexnet", .args = {"--lesson", "alexnet", NULL}, .step = -1},
    {.name = "lesson_vgg16", .args = {"--lesson", "vgg16", NULL}, .step = -1},
    {.name = "lesson_init", .args = {"--lesson", "init", NULL}, .step = -1},
    {.name = "lesson_training", .args = {"--lesson", "training", NULL}, .step = -1},
    /* Networks running on the default image: a LeNet-like stack with
     * default initialisation (maps, bars, the classes), and the VGG-style
     * fixture block with its trained-by-script weights in the light theme. */
    {.name = "net_lenet",
     .args = {"--layers", "Conv2d(3, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), MaxPool2d(2), Flatten(), "
      "Linear(400, 120), ReLU(), Linear(120, 10)", "--input-size", "32", "--normalize", "unit", "-i",
      "assets/default.png", NULL},
     .step = -1},
    /* LeNet with a cell of the second convolution clicked: its receptive
     * field outlined on every tile of the cards before it (and on the
     * picture), the cells it feeds on the cards after. */
    {.name = "net_lenet_clicked",
     .args = {"--layers", "Conv2d(3, 6, 5), ReLU(), MaxPool2d(2), Conv2d(6, 16, 5), ReLU(), MaxPool2d(2), Flatten(), "
      "Linear(400, 120), ReLU(), Linear(120, 10)", "--input-size", "32", "--normalize", "unit", "-i",
      "assets/default.png", NULL},
     .step = -1, .net_click = true, .net_cell = {4, 3, 2, 6}},
    {.name = "net_vgg_block",
     .args = {"--layers", "@tests/net/vgg_block/model.txt", "--weights", "tests/net/vgg_block/weights.safetensors",
      "--input-size", "24", "--theme", "light", "-i", "assets/default.png", NULL},
     .step = -1},
};
#define CASE_COUNT (sizeof cases / sizeof cases[0])

/* The case named name; fails the test when the table has none. */
static const GoldenCase *golden_case(const char *name)
{
    for (size_t i = 0; i < CASE_COUNT; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    cr_assert_fail("no golden case named %s", name);
    return NULL;
}

/* Renders case c into a fresh RGB buffer (w*h*3 bytes, caller frees). */
static unsigned char *render_case(const GoldenCase *c)
{
    SceneOptions o;
    Error err = {0};
    char *argv[16];
    int argc = 0;
    scene_options_init(&o);
    while (c->args[argc]) {
        argv[argc] = (char *)c->args[argc];
        argc++;
    }
    for (int i = 0; i < argc; i++)
        cr_assert_eq(scene_options_parse_one(&o, argc, argv, &i, &err), 1, "%s: %s", c->name, err.message);
    Scene *s;
    cr_assert_eq(scene_create(&o, &s, &err), CS_OK, "%s: %s", c->name, err.message);
    size_t count = scene_step_count(s);
    scene_seek(s, c->step >= 0 ? (size_t)c->step : count - (size_t)(-c->step));
    View v;
    view_init(&v, &o);
    if (c->click[0] || c->click[1] || c->click[2]) {
        StackCell cell = {0, c->click[0], c->click[1], c->click[2]};
        cr_assert(stack_cell_shown(stack_model(s), cell), "%s: the clicked cell is shown", c->name);
        v.selected = (Target){.kind = TARGET_STACK_CELL, .c = cell.stage, .y = cell.y, .x = cell.x};
    }
    if (c->net_click) {
        Target t = {.kind = TARGET_NET_CELL, .f = c->net_cell[0], .c = c->net_cell[1], .y = c->net_cell[2],
                    .x = c->net_cell[3]};
        cr_assert(net_scene_cell_shown(net_model(s), &t), "%s: the clicked cell is shown", c->name);
        v.selected = t;
    }
    v.show_table = c->table;
    Render *r;
    cr_assert_eq(render_open(&r, &o, GOLDEN_W, GOLDEN_H, &err), CS_OK, "%s", err.message);
    const uint32_t *px;
    cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK, "%s", err.message);
    unsigned char *rgb = malloc((size_t)GOLDEN_W * GOLDEN_H * 3);
    cr_assert_not_null(rgb);
    for (size_t i = 0; i < (size_t)GOLDEN_W * GOLDEN_H; i++) {
        rgb[3 * i] = (unsigned char)(px[i] >> 16);
        rgb[3 * i + 1] = (unsigned char)(px[i] >> 8);
        rgb[3 * i + 2] = (unsigned char)px[i];
    }
    render_close(r);
    scene_destroy(s);
    return rgb;
}

static const char *build_dir(void)
{
    const char *b = getenv("BUILD");
    return b && *b ? b : "build";
}

/* Writes the actual image and the diff next to the build's objects. */
static void write_failure(const char *name, const unsigned char *actual, const unsigned char *expected)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/golden", build_dir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s-actual.png", dir, name);
    stbi_write_png(path, GOLDEN_W, GOLDEN_H, 3, actual, GOLDEN_W * 3);
    if (expected) {
        unsigned char *diff = malloc((size_t)GOLDEN_W * GOLDEN_H * 3);
        for (size_t i = 0; diff && i < (size_t)GOLDEN_W * GOLDEN_H; i++) {
            int d = 0;
            for (int k = 0; k < 3; k++) {
                int e = actual[3 * i + k] - expected[3 * i + k];
                d += e * e;
            }
            if (d > GOLDEN_PIXEL_TOL) {
                diff[3 * i] = 255;
                diff[3 * i + 1] = 0;
                diff[3 * i + 2] = 255;
            } else {
                for (int k = 0; k < 3; k++)
                    diff[3 * i + k] = (unsigned char)(128 + expected[3 * i + k] / 4);
            }
        }
        snprintf(path, sizeof path, "%s/%s-diff.png", dir, name);
        if (diff)
            stbi_write_png(path, GOLDEN_W, GOLDEN_H, 3, diff, GOLDEN_W * 3);
        free(diff);
    }
}

static void check_case(const GoldenCase *c)
{
    char path[256];
    snprintf(path, sizeof path, "tests/golden/%s.png", c->name);
    unsigned char *actual = render_case(c);
    const char *update = getenv("UPDATE_GOLDENS");
    if (update && strcmp(update, "1") == 0) {
        cr_assert(stbi_write_png(path, GOLDEN_W, GOLDEN_H, 3, actual, GOLDEN_W * 3), "cannot write %s", path);
        free(actual);
        return;
    }
    int w, h, n;
    unsigned char *expected = stbi_load(path, &w, &h, &n, 3);
    if (!expected || w != GOLDEN_W || h != GOLDEN_H) {
        write_failure(c->name, actual, NULL);
        free(actual);
        stbi_image_free(expected);
        cr_assert_fail("%s: missing or wrong-sized golden image; actual written to %s/golden/%s-actual.png; "
                       "run `make update-goldens` if the new picture is right",
                       path, build_dir(), c->name);
    }
    size_t differing = 0, total = (size_t)GOLDEN_W * GOLDEN_H;
    for (size_t i = 0; i < total; i++) {
        int d = 0;
        for (int k = 0; k < 3; k++) {
            int e = actual[3 * i + k] - expected[3 * i + k];
            d += e * e;
        }
        differing += d > GOLDEN_PIXEL_TOL;
    }
    double fraction = (double)differing / (double)total;
    if (fraction > GOLDEN_MAX_DIFFERING)
        write_failure(c->name, actual, expected);
    free(actual);
    stbi_image_free(expected);
    cr_assert(fraction <= GOLDEN_MAX_DIFFERING,
              "%s: %zu of %zu pixels differ (%.3f%%, allowed %.3f%%); see %s/golden/%s-actual.png and "
              "%s-diff.png; run `make update-goldens` if the change is intended",
              c->name, differing, total, 100.0 * fraction, 100.0 * GOLDEN_MAX_DIFFERING, build_dir(), c->name,
              c->name);
}

/* Every case in the table runs, each in its own process, and each is
 * compared with the golden file named after its own entry: the table's
 * order means nothing, so a case inserted anywhere cannot meet another
 * case's image. The parameter is the entry's index, not the entry: Criterion
 * runs each parameter in a fresh copy of the program (its own address
 * layout), where the entry's string pointers would not hold, and hands
 * parameters over through its shared cr_malloc memory. */
static void free_case_indices(struct criterion_test_params *p) { cr_free(p->params); }

ParameterizedTestParameters(golden, each_case)
{
    size_t *index = cr_malloc(CASE_COUNT * sizeof *index);
    cr_assert_not_null(index);
    for (size_t i = 0; i < CASE_COUNT; i++)
        index[i] = i;
    return cr_make_param_array(size_t, index, CASE_COUNT, free_case_indices);
}

ParameterizedTest(const size_t *index, golden, each_case) { check_case(&cases[*index]); }

/* Names are the key of the goldens, so two cases must never share one. */
Test(golden, case_names_are_unique)
{
    for (size_t i = 0; i < CASE_COUNT; i++)
        for (size_t j = i + 1; j < CASE_COUNT; j++)
            cr_assert_str_neq(cases[i].name, cases[j].name, "two cases are named %s", cases[i].name);
}

/* ---- properties of the offscreen path that the goldens rely on ---- */

Test(render, needs_no_display_and_is_deterministic)
{
    unsetenv("DISPLAY");
    unsetenv("SDL_VIDEODRIVER");
    unsigned char *a = render_case(golden_case("padding_stride"));
    unsigned char *b = render_case(golden_case("padding_stride"));
    cr_assert_eq(memcmp(a, b, (size_t)GOLDEN_W * GOLDEN_H * 3), 0, "the same state renders the same pixels");
    free(a);
    free(b);
}

Test(render, redrawing_a_frame_rasterises_no_text)
{
    SceneOptions o;
    Error err = {0};
    Scene *s;
    Render *r;
    View v;
    const uint32_t *px;
    scene_options_init(&o);
    cr_assert_eq(scene_create(&o, &s, &err), CS_OK, "%s", err.message);
    view_init(&v, &o);
    cr_assert_eq(render_open(&r, &o, 1280, 720, &err), CS_OK, "%s", err.message);
    cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK);
    size_t misses = text_cache_misses(render_text_cache(r));
    cr_assert_gt(misses, 50, "a frame draws many strings");
    cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK);
    cr_assert_eq(text_cache_misses(render_text_cache(r)), misses, "the second frame came from the cache");
    stepper_next(s->stepper);
    cr_assert_eq(render_frame(r, s, &v, &px, &err), CS_OK);
    cr_assert_lt(text_cache_misses(render_text_cache(r)) - misses, misses / 2,
                 "the next step draws mostly the same strings");
    render_close(r);
    scene_destroy(s);
}

Test(render, missing_font_is_a_clear_error)
{
    SceneOptions o;
    Error err = {0};
    Render *r;
    scene_options_init(&o);
    o.font = "/nonexistent/font.ttf";
    cr_assert_neq(render_open(&r, &o, 64, 64, &err), CS_OK);
    cr_assert_null(r);
    cr_assert(strstr(err.message, "/nonexistent/font.ttf"), "%s", err.message);
}
