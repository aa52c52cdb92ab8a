/* test_scene.c: the scene model: SCENE OPTIONS parsing, the default scene,
 * and changes that either apply or leave the scene exactly as it was. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "kernels.h"
#include "scene.h"

/* Parses a NULL-terminated list of words as scene options; returns the last
 * parse_one result (1 when all were options). */
static int parse_words(SceneOptions *o, Error *err, const char **words)
{
    char *argv[32];
    int argc = 0;
    while (words[argc] && argc < 32) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    int r = 1;
    for (int i = 0; i < argc && r == 1; i++)
        r = scene_options_parse_one(o, argc, argv, &i, err);
    return r;
}

static Scene *default_scene(void)
{
    SceneOptions o;
    Scene *s;
    Error err = {0};
    scene_options_init(&o);
    cr_assert_eq(scene_create(&o, &s, &err), CS_OK, "%s", err.message);
    return s;
}

Test(scene_options, parses_values_and_equals_forms)
{
    SceneOptions o;
    Error err = {0};
    scene_options_init(&o);
    const char *w[] = {"--stride", "2", "--padding=same", "--dilation", "1,3", "--pool", "avg",
                       "--step", "term", "--theme", "light", "--seed=7", "--fit", "12", "--ceil-mode",
                       "--kernel", "blur", "-i", "x.png", NULL};
    cr_assert_eq(parse_words(&o, &err, w), 1, "%s", err.message);
    cr_assert_eq(o.stride_h, 2);
    cr_assert_eq(o.stride_w, 2);
    cr_assert_eq(o.padding.kind, PAD_SAME);
    cr_assert_eq(o.dilation_h, 1);
    cr_assert_eq(o.dilation_w, 3);
    cr_assert(o.pool);
    cr_assert_eq(o.pool_mode, POOL_AVG);
    cr_assert_eq(o.step, STEP_TERM);
    cr_assert_eq(o.theme, THEME_LIGHT);
    cr_assert_eq(o.seed, 7);
    cr_assert_eq(o.fit_h, 12);
    cr_assert_eq(o.fit_w, 0, "a single --fit number keeps the aspect ratio");
    cr_assert(o.ceil_mode);
    cr_assert_str_eq(o.kernel, "blur");
    cr_assert_str_eq(o.input, "x.png");
}

Test(scene_options, refuses_bad_values_and_skips_other_words)
{
    SceneOptions o;
    Error err = {0};
    scene_options_init(&o);
    const char *bad_stride[] = {"--stride", "0", NULL};
    cr_assert_eq(parse_words(&o, &err, bad_stride), -1);
    cr_assert(strstr(err.message, "--stride") && strstr(err.message, "0"), "%s", err.message);
    const char *missing[] = {"--theme", NULL};
    cr_assert_eq(parse_words(&o, &err, missing), -1);
    cr_assert(strstr(err.message, "needs a value"), "%s", err.message);
    const char *bad_theme[] = {"--theme", "blue", NULL};
    cr_assert_eq(parse_words(&o, &err, bad_theme), -1);
    const char *other[] = {"--frames", "dir", NULL};
    cr_assert_eq(parse_words(&o, &err, other), 0);
    const char *image[] = {"cat.png", NULL};
    cr_assert_eq(parse_words(&o, &err, image), 0);
}

Test(scene, default_scene_is_rgb_with_one_mixed_filter)
{
    Scene *s = default_scene();
    cr_assert_eq(s->input.c, 3);
    cr_assert_eq(s->input.h, 7);
    cr_assert_eq(s->input.w, 7);
    cr_assert(s->image_input);
    cr_assert_eq(s->weights.n, 1);
    cr_assert_eq(s->weights.c, 3);
    cr_assert(s->has_bias);
    cr_assert_float_eq(s->bias.data[0], 0.5f, 1e-6);
    /* R is sobel-x: the right column is +1 +2 +1 (kernels.c), G is sobel-y */
    cr_assert_float_eq(*tensor_at(&s->weights, 0, 0, 1, 2), 2.0f, 1e-6);
    cr_assert_float_eq(*tensor_at(&s->weights, 0, 1, 2, 1), 2.0f, 1e-6);
    cr_assert_float_eq(*tensor_at(&s->weights, 0, 2, 1, 1), -4.0f, 1e-6);
    size_t oh, ow, f;
    stepper_output_size(s->stepper, &oh, &ow, &f);
    cr_assert_eq(oh, 5);
    cr_assert_eq(ow, 5);
    cr_assert_eq(stepper_count(s->stepper), 25);
    const Trace *t = stepper_trace(s->stepper);
    float sum = t->bias;
    for (int c = 0; c < t->n_channels; c++)
        sum += t->channels[c].sum;
    cr_assert_float_eq(t->total, sum, 1e-3);
    char name[8];
    cr_assert_str_eq(scene_channel_name(s, 1, name, sizeof name), "G");
    scene_destroy(s);
}

Test(scene, refused_change_leaves_scene_as_it_was)
{
    Scene *s = default_scene();
    Error err = {0};
    stepper_seek(s->stepper, 7);
    Stepper *before = s->stepper;
    cr_assert_neq(scene_set_stride(s, 0, 1, &err), CS_OK);
    cr_assert_neq(scene_set_kernel_size(s, 9, &err), CS_OK, "a 9x9 kernel does not fit 7x7");
    cr_assert(strstr(err.message, "9x9"), "%s", err.message);
    cr_assert_eq(s->stepper, before);
    cr_assert_eq(s->weights.h, 3);
    cr_assert_eq(stepper_index(s->stepper), 7);
    cr_assert_eq(scene_set_pad_mode(s, PADMODE_REFLECT, &err), CS_OK, "%s", err.message);
    Padding p = {PAD_EXPLICIT, 7, 7};
    cr_assert_neq(scene_set_padding(s, p, &err), CS_OK, "reflect padding 7 needs more than 7 cells");
    cr_assert_eq(s->conv.padding.h, 0);
    scene_destroy(s);
}

Test(scene, changes_keep_the_output_position)
{
    Scene *s = default_scene();
    Error err = {0};
    stepper_seek(s->stepper, stepper_index_of(s->stepper, 2, 3, 0));
    Padding p = {PAD_EXPLICIT, 1, 1};
    cr_assert_eq(scene_set_padding(s, p, &err), CS_OK, "%s", err.message);
    cr_assert_eq(stepper_count(s->stepper), 49);
    const Trace *t = stepper_trace(s->stepper);
    cr_assert_eq(t->out_y, 2);
    cr_assert_eq(t->out_x, 3);
    cr_assert_eq(scene_set_stride(s, 2, 2, &err), CS_OK, "%s", err.message);
    cr_assert_eq(stepper_count(s->stepper), 16);
    scene_destroy(s);
}

Test(scene, weight_edit_changes_the_output)
{
    Scene *s = default_scene();
    Error err = {0};
    const Trace *t = stepper_trace(s->stepper);
    float before = t->total;
    float x = t->channels[0].cells[4].value;   /* input under the R kernel's centre */
    cr_assert_eq(scene_set_weight(s, 0, 0, 1, 1, 1.0f, &err), CS_OK, "%s", err.message);
    t = stepper_trace(s->stepper);
    cr_assert_float_eq(t->total, before + x, 1e-2, "centre weight 0 -> 1 adds the input value");
    cr_assert_eq(s->kernel_source, KERNEL_EDITED);
    cr_assert_eq(scene_set_bias(s, 0, -1.5f, &err), CS_OK);
    t = stepper_trace(s->stepper);
    cr_assert_float_eq(t->total, before + x - 2.0f, 1e-2);
    cr_assert_neq(scene_set_weight(s, 1, 0, 0, 0, 1.0f, &err), CS_OK, "there is only filter 0");
    scene_destroy(s);
}

Test(scene, pooling_and_back)
{
    Scene *s = default_scene();
    Error err = {0};
    cr_assert_eq(scene_set_pool(s, true, POOL_MAX, &err), CS_OK, "%s", err.message);
    cr_assert_eq(s->kind, LAYER_POOL);
    cr_assert_eq(scene_output_maps(s), 3, "pooling keeps every channel");
    cr_assert_eq(stepper_count(s->stepper), 3 * 3 * 3, "7x7, 2x2 stride 2: 3x3 per channel");
    cr_assert_eq(scene_set_ceil_mode(s, true, &err), CS_OK);
    cr_assert_eq(stepper_count(s->stepper), 4 * 4 * 3);
    cr_assert_eq(scene_set_pool(s, false, POOL_MAX, &err), CS_OK);
    cr_assert_eq(s->kind, LAYER_CONV);
    cr_assert_eq(s->kernel_h, 3);
    scene_destroy(s);
}

Test(scene, presets_and_random_weights)
{
    Scene *s = default_scene();
    Error err = {0};
    int blur = kernels_preset_find("blur");
    cr_assert_eq(scene_set_preset(s, blur, &err), CS_OK, "%s", err.message);
    cr_assert_str_eq(s->kernel_name, kernels_preset_name(blur));
    cr_assert_float_eq(*tensor_at(&s->weights, 0, 2, 0, 0), 1.0f / 9.0f, 1e-6);
    cr_assert_eq(scene_set_init(s, INIT_HE_NORMAL, 42, &err), CS_OK);
    Tensor w1;
    cr_assert_eq(tensor_copy(&w1, &s->weights, &err), CS_OK);
    cr_assert_eq(scene_set_init(s, INIT_HE_NORMAL, 42, &err), CS_OK);
    cr_assert_eq(memcmp(w1.data, s->weights.data, 27 * sizeof(float)), 0, "same seed, same weights");
    cr_assert_eq(scene_set_kernel_size(s, 5, &err), CS_OK);
    cr_assert_eq(s->weights.h, 5);
    cr_assert_eq(stepper_count(s->stepper), 9);
    tensor_free(&w1);
    scene_destroy(s);
}

Test(scene, missing_input_file_is_an_error)
{
    SceneOptions o;
    Scene *s;
    Error err = {0};
    scene_options_init(&o);
    o.input = "/nonexistent/cat.png";
    cr_assert_neq(scene_create(&o, &s, &err), CS_OK);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "/nonexistent/cat.png"), "%s", err.message);
}

/* The window draws the padded input and the output cell by cell, so both are
 * capped at SCENE_MAX_GRID a side, checked before anything is allocated.
 * The default input is 7x7 with a 3x3 kernel: padding p gives a padded
 * input of 7 + 2p and an output of 5 + 2p. */
Test(scene, padding_past_the_grid_cap_is_refused_and_changes_nothing)
{
    cr_assert_eq(SCENE_MAX_GRID, 1024);
    Scene *s = default_scene();
    Error err = {0};
    stepper_seek(s->stepper, 7);
    Stepper *before = s->stepper;
    Padding p = {PAD_EXPLICIT, 509, 509};       /* 1025x1025 padded, 1023x1023 output */
    cr_assert_neq(scene_set_padding(s, p, &err), CS_OK);
    cr_assert_eq(err.status, CS_ERR_LIMIT);
    cr_assert_str_eq(err.message, "padding 509 makes a 1025x1025 padded input and a 1023x1023 output; "
                     "the window shows up to 1024x1024", "%s", err.message);
    cr_assert_eq(s->stepper, before);
    cr_assert_eq(s->conv.padding.h, 0);
    cr_assert_eq(stepper_index(s->stepper), 7);
    p.h = 1048576;
    p.w = 2;
    cr_assert_neq(scene_set_padding(s, p, &err), CS_OK);
    cr_assert(strstr(err.message, "padding 1048576,2 makes a 2097159x11 padded input"), "%s", err.message);
    p.h = p.w = 508;                            /* 1023x1023 padded: allowed */
    cr_assert_eq(scene_set_padding(s, p, &err), CS_OK, "%s", err.message);
    cr_assert_eq(stepper_count(s->stepper), (size_t)1021 * 1021);
    /* A larger input under that padding is refused the same way. */
    Tensor big;
    cr_assert_eq(tensor_init(&big, 1, 1, 9, 9, 3, &err), CS_OK);
    cr_assert_neq(scene_set_input_tensor(s, &big, "big", false, &err), CS_OK);
    cr_assert(strstr(err.message, "padding 508 makes a 1025x1025 padded input"), "%s", err.message);
    cr_assert_eq(s->input.h, 7);
    tensor_free(&big);
    /* full padding: dilation*(k-1) a side; at dilation 64 a 15x15 kernel
     * pads 896 a side. */
    p = (Padding){PAD_FULL, 0, 0};
    cr_assert_eq(scene_set_padding(s, p, &err), CS_OK, "%s", err.message);
    cr_assert_eq(scene_set_dilation(s, 64, 64, &err), CS_OK, "%s", err.message);
    cr_assert_neq(scene_set_kernel_size(s, 15, &err), CS_OK);
    cr_assert(strstr(err.message, "padding full makes a 1799x1799 padded input"), "%s", err.message);
    cr_assert_eq(s->weights.h, 3);
    scene_destroy(s);
}

Test(scene, create_refuses_huge_padding_before_allocating)
{
    SceneOptions o;
    Scene *s = NULL;
    Error err = {0};
    scene_options_init(&o);
    o.padding = (Padding){PAD_EXPLICIT, 1048576, 1048576};
    cr_assert_neq(scene_create(&o, &s, &err), CS_OK);
    cr_assert_null(s);
    cr_assert_str_eq(err.message, "padding 1048576 makes a 2097159x2097159 padded input and a 2097157x2097157 "
                     "output; the window shows up to 1024x1024");
}

Test(scene, an_input_on_standard_input_is_named_stdin_and_fitted)
{
    /* a 3x8x8 RGB PPM piped in as "-", fitted to 4x4: the scene names it
     * "stdin" (also in the saved frames' names) and notes the resampling */
    unsigned char ppm[15 + 8 * 8 * 3];
    memcpy(ppm, "P6\n8 8\n255\n", 11);
    size_t head = 11;
    for (size_t i = 0; i < 8 * 8 * 3; i++)
        ppm[head + i] = (unsigned char)(i * 5);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], ppm, head + 8 * 8 * 3), (ssize_t)(head + 8 * 8 * 3));
    close(fds[1]);
    cr_assert_neq(dup2(fds[0], STDIN_FILENO), -1);
    close(fds[0]);

    SceneOptions o;
    Scene *s;
    Error err = {0};
    scene_options_init(&o);
    o.input = "-";
    o.fit_h = o.fit_w = 4;
    cr_assert_eq(scene_create(&o, &s, &err), CS_OK, "%s", err.message);
    cr_expect_str_eq(s->input_name, "stdin");
    cr_expect(s->input.c == 3 && s->input.h == 4 && s->input.w == 4, "%zux%zux%zu", s->input.c, s->input.h,
              s->input.w);
    cr_expect_str_eq(s->note, "stdin resampled from 8x8 to 4x4");
    scene_destroy(s);
}
