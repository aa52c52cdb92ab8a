/* scene.c: the scene model (see scene.h): SCENE OPTIONS, building the input,
 * weights and stepper, and changing one setting at a time.
 *
 * Every change works on a draft: a shallow copy of the scene whose changed
 * tensors are new allocations. scene_commit builds the draft's stepper; on
 * success the draft replaces the scene (freeing what it replaced), on failure
 * the draft's new tensors are freed and the scene is untouched. */
#include "scene.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "filein.h"
#include "image.h"
#include "input.h"
#include "kinds.h"
#include "npy.h"
#include "paths.h"
#include "view.h"

/* ------------------------------------------------------------------ options */

void scene_options_init(SceneOptions *o)
{
    memset(o, 0, sizeof *o);
    o->padding.kind = PAD_EXPLICIT;
    o->pad_mode = PADMODE_ZEROS;
    o->step = STEP_POSITION;
    o->theme = THEME_DARK;
    o->seed = 1;
    o->act = ACT_RELU;
}

/* "--fit N" keeps the aspect ratio (width 0 = derived); "H,W" is exact. */
static Status parse_fit(const char *text, SceneOptions *o, Error *err)
{
    int h, w;
    Status st = args_parse_pair("--fit", text, 1, SCENE_MAX_SIDE, &h, &w, err);
    if (st != CS_OK)
        return st;
    o->fit_h = h;
    o->fit_w = strchr(text, ',') ? w : 0;
    return CS_OK;
}

static Status parse_value(SceneOptions *o, const char *name, const char *value, Error *err)
{
    long n;
    Status st = CS_OK;
    if (strcmp(name, "-i") == 0 || strcmp(name, "--input") == 0) {
        o->input = value;
    } else if (strcmp(name, "--fit") == 0) {
        st = parse_fit(value, o, err);
    } else if (strcmp(name, "--kernel") == 0) {
        o->kernel = value;
    } else if (strcmp(name, "--bias") == 0) {
        o->bias = value;
    } else if (strcmp(name, "--kernel-size") == 0) {
        st = args_parse_pair(name, value, 1, SCENE_MAX_KERNEL, &o->kernel_h, &o->kernel_w, err);
    } else if (strcmp(name, "--stride") == 0) {
        st = args_parse_pair(name, value, 1, 1024, &o->stride_h, &o->stride_w, err);
    } else if (strcmp(name, "--padding") == 0) {
        st = args_parse_padding(name, value, &o->padding, err);
    } else if (strcmp(name, "--padding-mode") == 0) {
        st = args_parse_pad_mode(name, value, &o->pad_mode, err);
    } else if (strcmp(name, "--dilation") == 0) {
        st = args_parse_pair(name, value, 1, 64, &o->dilation_h, &o->dilation_w, err);
    } else if (strcmp(name, "--pool") == 0) {
        o->pool = true;
        if (strcmp(value, "max") == 0)
            o->pool_mode = POOL_MAX;
        else if (strcmp(value, "avg") == 0)
            o->pool_mode = POOL_AVG;
        else
            st = error_set(err, CS_ERR_RANGE, "--pool: expected max or avg, got '%s'", value);
    } else if (strcmp(name, "--layers") == 0) {
        o->layers = value;
    } else if (strcmp(name, "--lesson") == 0) {
        o->lesson = value;
    } else if (strcmp(name, "--weights") == 0) {
        o->weights = value;
    } else if (strcmp(name, "--labels") == 0) {
        o->labels = value;
    } else if (strcmp(name, "--normalize") == 0) {
        o->normalize = value;
    } else if (strcmp(name, "--input-size") == 0) {
        st = args_parse_pair(name, value, 1, 65536, &o->size_h, &o->size_w, err);
    } else if (strcmp(name, "--step") == 0) {
        if (strcmp(value, "position") == 0)
            o->step = STEP_POSITION;
        else if (strcmp(value, "channel") == 0)
            o->step = STEP_CHANNEL;
        else if (strcmp(value, "term") == 0)
            o->step = STEP_TERM;
        else
            st = error_set(err, CS_ERR_RANGE, "--step: expected position, channel or term, got '%s'",
                           value);
    } else if (strcmp(name, "--theme") == 0) {
        if (!theme_parse(value, &o->theme))
            st = error_set(err, CS_ERR_RANGE, "--theme: expected dark or light, got '%s'", value);
    } else if (strcmp(name, "--seed") == 0) {
        st = args_parse_int(name, value, 0, 2147483647L, &n, err);
        o->seed = (uint64_t)n;
        o->has_seed = true;
    } else if (strcmp(name, "--font") == 0) {
        o->font = value;
    } else if (strcmp(name, "--filters") == 0) {
        st = args_parse_int(name, value, 1, SCENE_MAX_FILTERS, &n, err);
        o->filters = (int)n;
    } else if (strcmp(name, "--act") == 0) {
        if (!act_parse(value, &o->act))
            st = error_set(err, CS_ERR_RANGE,
                           "--act: expected none, relu, leaky_relu, sigmoid or tanh, got '%s'", value);
        o->has_act = true;
    } else if (strcmp(name, "--scale") == 0) {
        st = args_parse_float(name, value, VIEW_SCALE_MIN, VIEW_SCALE_MAX, &o->ui_scale, err);
    } else {
        return CS_ERR_SYNTAX;
    }
    return st;
}

/* Options that take a value, and the one flag. */
static const char *const value_options[] = {
    "-i", "--input", "--fit", "--kernel", "--bias", "--kernel-size", "--stride", "--padding",
    "--padding-mode", "--dilation", "--pool", "--layers", "--lesson", "--weights", "--labels", "--normalize", "--input-size", "--step", "--theme", "--seed",
    "--font", "--filters", "--act", "--scale",
};

int scene_options_parse_one(SceneOptions *o, int argc, char **argv, int *i, Error *err)
{
    const char *arg = argv[*i];
    char name[32];
    const char *value = NULL;
    const char *eq = strchr(arg, '=');
    size_t len = eq && arg[0] == '-' && arg[1] == '-' ? (size_t)(eq - arg) : strlen(arg);

    if (strcmp(arg, "--ceil-mode") == 0) {
        o->ceil_mode = true;
        return 1;
    }
    if (len >= sizeof name)
        return 0;
    memcpy(name, arg, len);
    name[len] = '\0';
    bool known = false;
    for (size_t k = 0; k < sizeof value_options / sizeof value_options[0]; k++)
        if (strcmp(name, value_options[k]) == 0)
            known = true;
    if (!known)
        return 0;
    if (len < strlen(arg)) {
        value = arg + len + 1;
    } else {
        if (*i + 1 >= argc) {
            error_set(err, CS_ERR_SYNTAX, "%s needs a value", name);
            return -1;
        }
        value = argv[++*i];
    }
    return parse_value(o, name, value, err) == CS_OK ? 1 : -1;
}

/* ------------------------------------------------------------------ weights */

static const char *const default_slices[3] = {"sobel-x", "sobel-y", "laplacian"};

/* The default teaching filter: filter f, channel c gets preset
 * default_slices[(c + f) % 3], so each channel has its own kernel. */
static Status build_default_weights(size_t filters, Tensor *w, Error *err)
{
    Status st = tensor_init(w, filters, 3, 3, 3, 4, err);
    for (size_t f = 0; st == CS_OK && f < filters; f++) {
        for (size_t c = 0; st == CS_OK && c < 3; c++) {
            Tensor slice = {0};
            st = kernels_preset_weights(kernels_preset_find(default_slices[(c + f) % 3]), 1, 1,
                                        &slice, err);
            if (st == CS_OK)
                memcpy(tensor_at(w, f, c, 0, 0), slice.data, 9 * sizeof(float));
            tensor_free(&slice);
        }
    }
    if (st != CS_OK)
        tensor_free(w);
    return st;
}

static Status build_random_weights(size_t filters, size_t channels, int kh, int kw, InitKind kind,
                                   uint64_t seed, Tensor *w, Error *err)
{
    Status st = tensor_init(w, filters, channels, (size_t)kh, (size_t)kw, 4, err);
    if (st == CS_OK)
        kernels_init(w, kind, seed);
    return st;
}

/* A weights .npy: (F,C,kh,kw) or (C,kh,kw) for one filter. */
static Status load_weights_file(const char *path, Tensor *w, Error *err)
{
    Status st = npy_read(path, w, err);
    if (st != CS_OK)
        return st;
    if (w->rank < 3) {
        char shape[64];
        tensor_shape_text(w, shape, sizeof shape);
        tensor_free(w);
        return error_set(err, CS_ERR_SHAPE, "%s has shape %s; weights must be (F,C,kh,kw) or (C,kh,kw)",
                         path, shape);
    }
    if (w->h > SCENE_MAX_KERNEL || w->w > SCENE_MAX_KERNEL || w->n > SCENE_MAX_FILTERS) {
        char shape[64];
        tensor_shape_text(w, shape, sizeof shape);
        tensor_free(w);
        return error_set(err, CS_ERR_LIMIT,
                         "%s has shape %s; the window shows at most %d filters of %dx%d",
                         path, shape, SCENE_MAX_FILTERS, SCENE_MAX_KERNEL, SCENE_MAX_KERNEL);
    }
    w->rank = 4;
    return CS_OK;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Builds weights for s->input's channel count from the kernel description
 * in s (source, preset, init, seed, kernel size, filters). */
static Status rebuild_weights(Scene *s, size_t filters, Tensor *w, Error *err)
{
    size_t channels = s->input.c;
    switch (s->kernel_source) {
    case KERNEL_DEFAULT:
        if (channels == 3) {
            if (filters == 1)
                snprintf(s->kernel_name, sizeof s->kernel_name, "R %s, G %s, B %s", default_slices[0],
                         default_slices[1], default_slices[2]);
            else
                snprintf(s->kernel_name, sizeof s->kernel_name, "%s, %s, %s (rotated per filter)",
                         default_slices[0], default_slices[1], default_slices[2]);
            return build_default_weights(filters, w, err);
        }
        s->kernel_source = KERNEL_PRESET;
        s->preset = kernels_preset_find("sobel-x");
        return rebuild_weights(s, filters, w, err);
    case KERNEL_PRESET:
        snprintf(s->kernel_name, sizeof s->kernel_name, "%s", kernels_preset_name(s->preset));
        return kernels_preset_weights(s->preset, filters, channels, w, err);
    case KERNEL_RANDOM:
    case KERNEL_FILE:
    case KERNEL_EDITED:
        s->kernel_source = KERNEL_RANDOM;   /* a file's or edited weights cannot follow new channels */
        snprintf(s->kernel_name, sizeof s->kernel_name, "%s (seed %llu)", kernels_init_name(s->init),
                 (unsigned long long)s->seed);
        return build_random_weights(filters, channels, s->kernel_h, s->kernel_w, s->init, s->seed, w,
                                    err);
    }
    return error_set(err, CS_ERR_RANGE, "unknown kernel source");
}

/* The weights o->kernel names, for s's input. */
static Status weights_from_options(Scene *s, const SceneOptions *o, Error *err)
{
    size_t filters = o->filters > 0 ? (size_t)o->filters : 1;
    InitKind init;
    s->preset = -1;
    s->init = INIT_UNIFORM;
    s->seed = o->seed;
    s->kernel_h = o->kernel_h > 0 ? o->kernel_h : 3;
    s->kernel_w = o->kernel_w > 0 ? o->kernel_w : 3;
    if (!o->kernel) {
        if (o->kernel_h > 0 && (o->kernel_h != 3 || o->kernel_w != 3)) {
            s->kernel_source = KERNEL_RANDOM;
        } else {
            s->kernel_source = KERNEL_DEFAULT;
        }
    } else if (kernels_preset_find(o->kernel) >= 0) {
        s->kernel_source = KERNEL_PRESET;
        s->preset = kernels_preset_find(o->kernel);
    } else if (kernels_init_parse(o->kernel, &init)) {
        s->kernel_source = KERNEL_RANDOM;
        s->init = init;
    } else {
        Error e = {0};
        Status st = load_weights_file(o->kernel, &s->weights, &e);
        if (st != CS_OK) {
            if (st == CS_ERR_IO && !strchr(o->kernel, '/') && !strstr(o->kernel, ".npy"))
                return error_set(err, CS_ERR_RANGE,
                                 "--kernel: '%s' is not a preset (sobel-x, blur, sharpen, identity, "
                                 "...), an initialiser (uniform, he-normal, ...) or a .npy file",
                                 o->kernel);
            return error_set(err, st, "--kernel: %s", e.message);
        }
        s->kernel_source = KERNEL_FILE;
        snprintf(s->kernel_name, sizeof s->kernel_name, "%s", base_name(o->kernel));
        s->kernel_h = (int)s->weights.h;
        s->kernel_w = (int)s->weights.w;
        return CS_OK;
    }
    Status st = rebuild_weights(s, filters, &s->weights, err);
    if (st == CS_OK) {
        s->kernel_h = (int)s->weights.h;
        s->kernel_w = (int)s->weights.w;
    }
    return st;
}

/* The bias o->bias names: a number for every filter, or a .npy. */
static Status bias_from_options(Scene *s, const SceneOptions *o, Error *err)
{
    size_t filters = s->weights.n;
    Status st;
    float v;
    if (!o->bias) {
        if (s->kernel_source != KERNEL_DEFAULT)
            return CS_OK;
        v = 0.5f;
    } else if (args_parse_float("--bias", o->bias, -1e30f, 1e30f, &v, NULL) != CS_OK) {
        Error e = {0};
        if ((st = npy_read(o->bias, &s->bias, &e)) != CS_OK) {
            if (st == CS_ERR_IO && !strchr(o->bias, '/') && !strstr(o->bias, ".npy"))
                return error_set(err, CS_ERR_RANGE, "--bias: expected a number or a .npy file, got '%s'",
                                 o->bias);
            return error_set(err, st, "--bias: %s", e.message);
        }
        if (tensor_count(&s->bias) != filters) {
            size_t got = tensor_count(&s->bias);
            tensor_free(&s->bias);
            return error_set(err, CS_ERR_SHAPE, "%s has %zu values; the weights have %zu filters",
                             o->bias, got, filters);
        }
        s->bias.n = s->bias.c = s->bias.h = 1;
        s->bias.w = filters;
        s->bias.rank = 1;
        s->has_bias = true;
        return CS_OK;
    }
    if ((st = tensor_init(&s->bias, 1, 1, 1, filters, 1, err)) != CS_OK)
        return st;
    for (size_t f = 0; f < filters; f++)
        s->bias.data[f] = v;
    s->has_bias = true;
    return CS_OK;
}

/* -------------------------------------------------------------------- input */

/* A .npy input is never resampled: --fit on one, or one larger than
 * SCENE_MAX_SIDE, is refused. */
static Status check_array_fit(const Tensor *in, int fit_h, const char *name, Error *err)
{
    if (fit_h > 0)
        return error_set(err, CS_ERR_RANGE, "--fit resamples images; %s is a .npy array", name);
    if (in->h > SCENE_MAX_SIDE || in->w > SCENE_MAX_SIDE)
        return error_set(err, CS_ERR_LIMIT, "%s is %zux%zu; the window shows inputs up to %dx%d",
                         name, in->h, in->w, SCENE_MAX_SIDE, SCENE_MAX_SIDE);
    return CS_OK;
}

/* Loads path (or the default asset when NULL) into *in: an image resampled
 * to fit_h x fit_w (fit_w 0: keep the aspect ratio), or down to
 * SCENE_MAX_SIDE when it is larger, while it is decoded (ImageFit); note
 * says what happened. */
static Status load_input(const char *path, int fit_h, int fit_w, Tensor *in, bool *image,
                         char *name, size_t name_size, char *note, size_t note_size, Error *err)
{
    char buf[4096];
    const char *file = path;
    if (!file) {
        file = paths_asset("default.png", buf, sizeof buf);
        if (!file)
            return error_set(err, CS_ERR_IO,
                             "cannot find the assets folder for default.png (set CONVSTEP_ASSETS)");
    }
    ImageFit fit = {.h = fit_h > 0 ? (size_t)fit_h : 0, .w = fit_w > 0 ? (size_t)fit_w : 0,
                    .max_side = SCENE_MAX_SIDE};
    InputInfo info;
    Status st = input_load(file, &fit, in, &info, err);
    if (st != CS_OK)
        return st;
    *image = info.image;
    snprintf(name, name_size, "%s", path ? base_name(filein_name(path)) : "default.png");
    if (in->c > 4 && *image) {
        tensor_free(in);
        return error_set(err, CS_ERR_FORMAT, "%s has %zu channels", file, in->c);
    }
    if (!*image && (st = check_array_fit(in, fit_h, name, err)) != CS_OK) {
        tensor_free(in);
        return st;
    }
    if (in->h != info.file_h || in->w != info.file_w)
        snprintf(note, note_size, "%s resampled from %zux%zu to %zux%zu", name, info.file_h, info.file_w, in->h,
                 in->w);
    return CS_OK;
}

/* ------------------------------------------------------------------ stepper */

/* p as the command line writes it: "5000", "5000,2", "valid", "same", "full". */
static void padding_words(Padding p, char *buf, size_t size)
{
    static const char *const names[] = {[PAD_VALID] = "valid", [PAD_SAME] = "same", [PAD_FULL] = "full"};
    if (p.kind != PAD_EXPLICIT)
        snprintf(buf, size, "%s", names[p.kind]);
    else if (p.h == p.w)
        snprintf(buf, size, "%d", p.h);
    else
        snprintf(buf, size, "%d,%d", p.h, p.w);
}

/* Refuses a layer whose padded input or output has a side past
 * SCENE_MAX_GRID, before the stepper allocates them: the window draws both
 * cell by cell (--padding 5000 took 8 s and 1.2 GB a frame, 1048576 asked
 * calloc for 17.6 TB). Only padding makes them grow past the input, so the
 * message names it. A geometry that does not work at all is left to
 * stepper_create, which says why. */
static Status check_grid(const Scene *s, Error *err)
{
    Pad4 pad;
    Padding shown;
    size_t oh, ow;
    if (s->kind == LAYER_POOL) {
        if (geom_pool_output(&s->pool, s->input.h, s->input.w, &oh, &ow, NULL) != CS_OK)
            return CS_OK;
        pad = (Pad4){s->pool.pad_h, s->pool.pad_h, s->pool.pad_w, s->pool.pad_w};
        shown = (Padding){PAD_EXPLICIT, s->pool.pad_h, s->pool.pad_w};
    } else {
        if (geom_conv_padding(&s->conv, s->input.h, s->input.w, s->weights.h, s->weights.w, &pad, NULL) != CS_OK ||
            geom_conv_output(&s->conv, s->input.h, s->input.w, s->weights.h, s->weights.w, &oh, &ow, NULL) != CS_OK)
            return CS_OK;
        shown = s->conv.padding;
    }
    size_t ph = s->input.h + (size_t)pad.top + (size_t)pad.bottom;
    size_t pw = s->input.w + (size_t)pad.left + (size_t)pad.right;
    if (ph <= SCENE_MAX_GRID && pw <= SCENE_MAX_GRID && oh <= SCENE_MAX_GRID && ow <= SCENE_MAX_GRID)
        return CS_OK;
    char text[32];
    padding_words(shown, text, sizeof text);
    return error_set(err, CS_ERR_LIMIT, "padding %s makes a %zux%zu padded input and a %zux%zu output; "
                     "the window shows up to %dx%d", text, ph, pw, oh, ow, SCENE_MAX_GRID, SCENE_MAX_GRID);
}

/* Builds the stepper for s, within the grid cap (check_grid). */
static Status build_stepper(Scene *s, StepGranularity g, Stepper **out, Error *err)
{
    Status st = check_grid(s, err);
    if (st != CS_OK)
        return st;
    StepperConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kind = s->kind;
    cfg.input = &s->input;
    cfg.granularity = g;
    if (s->kind == LAYER_POOL) {
        cfg.pool = s->pool;
    } else {
        cfg.weights = &s->weights;
        cfg.bias = s->has_bias ? &s->bias : NULL;
        cfg.conv = s->conv;
        cfg.act = s->act;
    }
    return stepper_create(&cfg, out, err);
}

/* Seeks st to output (oy, ox, f) when it still exists. */
static void restore_position(Stepper *st, int oy, int ox, int f)
{
    size_t oh, ow, fs;
    stepper_output_size(st, &oh, &ow, &fs);
    if (oy >= 0 && ox >= 0 && f >= 0 && (size_t)oy < oh && (size_t)ox < ow && (size_t)f < fs)
        stepper_seek(st, stepper_index_of(st, oy, ox, f));
}

/* Replaces *s with draft (see the top of the file). */
static Status scene_commit(Scene *s, Scene *draft, Error *err)
{
    Stepper *st;
    const Trace *t = stepper_trace(s->stepper);
    Status status = build_stepper(draft, stepper_granularity(s->stepper), &st, err);
    if (status != CS_OK) {
        if (draft->input.data != s->input.data)
            tensor_free(&draft->input);
        if (draft->weights.data != s->weights.data)
            tensor_free(&draft->weights);
        if (draft->bias.data != s->bias.data)
            tensor_free(&draft->bias);
        return status;
    }
    restore_position(st, t->out_y, t->out_x, t->filter);
    if (draft->input.data != s->input.data)
        tensor_free(&s->input);
    if (draft->weights.data != s->weights.data)
        tensor_free(&s->weights);
    if (draft->bias.data != s->bias.data)
        tensor_free(&s->bias);
    stepper_destroy(s->stepper);
    *s = *draft;
    s->stepper = st;
    return CS_OK;
}

/* ------------------------------------------------------------ create/destroy */

/* The first kind in the kinds table that o wants, with its model. */
static Status create_kind(Scene *s, const SceneOptions *o, Error *err)
{
    size_t n;
    const SceneKind *const *kinds = scene_kinds(&n);
    for (size_t k = 0; k < n; k++) {
        if (!kinds[k]->wants(o))
            continue;
        s->scene_kind = kinds[k];
        return kinds[k]->create ? kinds[k]->create(s, o, &s->kind_model, err) : CS_OK;
    }
    return error_set(err, CS_ERR_RANGE, "no scene kind takes these options");
}

Status scene_create(const SceneOptions *o, Scene **out, Error *err)
{
    Status st;
    Scene *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    s->fit_h = o->fit_h;
    s->fit_w = o->fit_w;
    st = load_input(o->input, o->fit_h, o->fit_w, &s->input, &s->image_input, s->input_name,
                    sizeof s->input_name, s->note, sizeof s->note, err);
    if (st == CS_OK)
        st = weights_from_options(s, o, err);
    if (st == CS_OK)
        st = bias_from_options(s, o, err);
    if (st == CS_OK && o->layers && !(s->layers = strdup(o->layers)))
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    if (st == CS_OK) {
        s->conv = geom_conv_defaults();
        s->conv.stride_h = o->stride_h > 0 ? o->stride_h : 1;
        s->conv.stride_w = o->stride_w > 0 ? o->stride_w : 1;
        s->conv.padding = o->padding;
        s->conv.pad_mode = o->pad_mode;
        s->conv.dilation_h = o->dilation_h > 0 ? o->dilation_h : 1;
        s->conv.dilation_w = o->dilation_w > 0 ? o->dilation_w : 1;
        s->act.kind = o->act;
        s->act.slope = 0.01f;
        int pk_h = o->kernel_h > 0 ? o->kernel_h : 2, pk_w = o->kernel_w > 0 ? o->kernel_w : 2;
        s->pool = geom_pool_defaults(o->pool_mode, pk_h, pk_w);
        s->pool.stride_h = o->stride_h > 0 ? o->stride_h : pk_h;
        s->pool.stride_w = o->stride_w > 0 ? o->stride_w : pk_w;
        s->pool.dilation_h = s->conv.dilation_h;
        s->pool.dilation_w = s->conv.dilation_w;
        s->pool.ceil_mode = o->ceil_mode;
        s->kind = o->pool ? LAYER_POOL : LAYER_CONV;
        if (o->pool) {
            if (o->padding.kind != PAD_EXPLICIT)
                st = error_set(err, CS_ERR_RANGE, "--padding: pooling takes numbers, not valid/same/full");
            s->pool.pad_h = o->padding.h;
            s->pool.pad_w = o->padding.w;
            s->kernel_h = pk_h;
            s->kernel_w = pk_w;
        }
    }
    if (st == CS_OK)
        st = build_stepper(s, o->step, &s->stepper, err);
    if (st == CS_OK)
        st = create_kind(s, o, err);
    if (st != CS_OK) {
        scene_destroy(s);
        return st;
    }
    *out = s;
    return CS_OK;
}

void scene_destroy(Scene *s)
{
    if (!s)
        return;
    stepper_destroy(s->stepper);
    tensor_free(&s->input);
    tensor_free(&s->weights);
    tensor_free(&s->bias);
    free(s->layers);
    if (s->scene_kind && s->scene_kind->destroy)
        s->scene_kind->destroy(s->kind_model);
    if (s->kept_kind && s->kept_kind->destroy)
        s->kept_kind->destroy(s->kept_model);
    free(s);
}

/* Frees the model a drill-down kept, if any. */
static void drop_kept(Scene *s)
{
    if (s->kept_kind && s->kept_kind->destroy)
        s->kept_kind->destroy(s->kept_model);
    s->kept_kind = NULL;
    s->kept_model = NULL;
}

void scene_show(Scene *s, const SceneKind *kind, void *model)
{
    drop_kept(s);
    if (s->scene_kind->destroy)
        s->scene_kind->destroy(s->kind_model);
    s->scene_kind = kind;
    s->kind_model = model;
}

void *scene_replace(Scene *s, const SceneKind *kind, void *model, const SceneKind **was)
{
    drop_kept(s);
    void *old = s->kind_model;
    *was = s->scene_kind;
    s->scene_kind = kind;
    s->kind_model = model;
    return old;
}

void scene_push(Scene *s, const SceneKind *kind, void *model)
{
    drop_kept(s);
    s->kept_kind = s->scene_kind;
    s->kept_model = s->kind_model;
    s->scene_kind = kind;
    s->kind_model = model;
}

bool scene_pop(Scene *s)
{
    if (!s->kept_kind)
        return false;
    if (s->scene_kind->destroy)
        s->scene_kind->destroy(s->kind_model);
    s->scene_kind = s->kept_kind;
    s->kind_model = s->kept_model;
    s->kept_kind = NULL;
    s->kept_model = NULL;
    return true;
}

size_t scene_step_count(const Scene *s)
{
    return s->scene_kind->step_count(s);
}

size_t scene_step_index(const Scene *s)
{
    return s->scene_kind->step_index(s);
}

void scene_seek(Scene *s, size_t index)
{
    size_t count = scene_step_count(s);
    s->scene_kind->seek(s, index < count ? index : count - 1);
}

const char *scene_channel_name(const Scene *s, int c, char *buf, size_t size)
{
    static const char *const rgba[4] = {"R", "G", "B", "A"};
    static const char *const grey[2] = {"grey", "alpha"};
    if (s->image_input && (s->input.c == 3 || s->input.c == 4) && c >= 0 && c < 4)
        snprintf(buf, size, "%s", rgba[c]);
    else if (s->image_input && s->input.c <= 2 && c >= 0 && c < 2)
        snprintf(buf, size, "%s", grey[c]);
    else
        snprintf(buf, size, "c%d", c);
    return buf;
}

size_t scene_output_maps(const Scene *s)
{
    size_t oh, ow, f;
    stepper_output_size(s->stepper, &oh, &ow, &f);
    return f;
}

/* ------------------------------------------------------------------ changes */

Status scene_set_stride(Scene *s, int stride_h, int stride_w, Error *err)
{
    Scene d = *s;
    if (stride_h < 1 || stride_w < 1)
        return error_set(err, CS_ERR_RANGE, "stride must be at least 1, got %dx%d", stride_h, stride_w);
    if (s->kind == LAYER_POOL) {
        d.pool.stride_h = stride_h;
        d.pool.stride_w = stride_w;
    } else {
        d.conv.stride_h = stride_h;
        d.conv.stride_w = stride_w;
    }
    return scene_commit(s, &d, err);
}

Status scene_set_padding(Scene *s, Padding padding, Error *err)
{
    Scene d = *s;
    if (s->kind == LAYER_POOL) {
        if (padding.kind != PAD_EXPLICIT)
            return error_set(err, CS_ERR_RANGE, "pooling takes padding as numbers, not valid/same/full");
        d.pool.pad_h = padding.h;
        d.pool.pad_w = padding.w;
    } else {
        d.conv.padding = padding;
    }
    return scene_commit(s, &d, err);
}

Status scene_set_pad_mode(Scene *s, PadMode mode, Error *err)
{
    Scene d = *s;
    if (s->kind == LAYER_POOL)
        return error_set(err, CS_ERR_RANGE, "pooling pads with -inf (max) or zeros (avg); no padding mode");
    d.conv.pad_mode = mode;
    return scene_commit(s, &d, err);
}

Status scene_set_dilation(Scene *s, int dilation_h, int dilation_w, Error *err)
{
    Scene d = *s;
    if (dilation_h < 1 || dilation_w < 1)
        return error_set(err, CS_ERR_RANGE, "dilation must be at least 1, got %dx%d", dilation_h,
                         dilation_w);
    if (s->kind == LAYER_POOL) {
        d.pool.dilation_h = dilation_h;
        d.pool.dilation_w = dilation_w;
    } else {
        d.conv.dilation_h = dilation_h;
        d.conv.dilation_w = dilation_w;
    }
    return scene_commit(s, &d, err);
}

/* Commits d with weights rebuilt from its kernel description. */
static Status commit_rebuilt_weights(Scene *s, Scene *d, Error *err)
{
    Tensor w;
    Status st = rebuild_weights(d, s->weights.n, &w, err);
    if (st != CS_OK)
        return st;
    d->weights = w;
    d->kernel_h = (int)w.h;
    d->kernel_w = (int)w.w;
    if (d->kind == LAYER_POOL) {
        d->kernel_h = s->kernel_h;
        d->kernel_w = s->kernel_w;
    }
    return scene_commit(s, d, err);
}

Status scene_set_kernel_size(Scene *s, int k, Error *err)
{
    Scene d = *s;
    if (k < 1 || k > SCENE_MAX_KERNEL)
        return error_set(err, CS_ERR_RANGE, "kernel size must be 1 to %d, got %d", SCENE_MAX_KERNEL, k);
    if (s->kind == LAYER_POOL) {
        d.pool.kernel_h = d.pool.kernel_w = k;
        d.kernel_h = d.kernel_w = k;
        return scene_commit(s, &d, err);
    }
    if ((int)s->weights.h == k && (int)s->weights.w == k)
        return CS_OK;
    d.kernel_source = KERNEL_RANDOM;
    d.kernel_h = d.kernel_w = k;
    return commit_rebuilt_weights(s, &d, err);
}

Status scene_set_preset(Scene *s, int index, Error *err)
{
    Scene d = *s;
    if (index < 0 || index >= kernels_preset_count())
        return error_set(err, CS_ERR_RANGE, "no kernel preset %d", index);
    d.kernel_source = KERNEL_PRESET;
    d.preset = index;
    return commit_rebuilt_weights(s, &d, err);
}

Status scene_set_init(Scene *s, InitKind kind, uint64_t seed, Error *err)
{
    Scene d = *s;
    d.kernel_source = KERNEL_RANDOM;
    d.preset = -1;
    d.init = kind;
    d.seed = seed;
    d.kernel_h = (int)s->weights.h;
    d.kernel_w = (int)s->weights.w;
    return commit_rebuilt_weights(s, &d, err);
}

Status scene_set_default_kernel(Scene *s, Error *err)
{
    Scene d = *s;
    if (s->input.c != 3)
        return error_set(err, CS_ERR_SHAPE, "the default filter needs 3 input channels; this input has %zu",
                         s->input.c);
    d.kernel_source = KERNEL_DEFAULT;
    d.preset = -1;
    return commit_rebuilt_weights(s, &d, err);
}

Status scene_set_pool(Scene *s, bool pool, PoolMode mode, Error *err)
{
    Scene d = *s;
    if (pool) {
        d.kind = LAYER_POOL;
        d.pool.mode = mode;
        if (mode == POOL_AVG)
            d.pool.dilation_h = d.pool.dilation_w = 1;
        d.kernel_h = d.pool.kernel_h;
        d.kernel_w = d.pool.kernel_w;
    } else {
        d.kind = LAYER_CONV;
        d.kernel_h = (int)s->weights.h;
        d.kernel_w = (int)s->weights.w;
    }
    return scene_commit(s, &d, err);
}

Status scene_set_ceil_mode(Scene *s, bool ceil_mode, Error *err)
{
    Scene d = *s;
    d.pool.ceil_mode = ceil_mode;
    return scene_commit(s, &d, err);
}

Status scene_set_activation(Scene *s, Activation act, Error *err)
{
    Scene d = *s;
    d.act = act;
    return scene_commit(s, &d, err);
}

Status scene_set_weight(Scene *s, int f, int c, int ky, int kx, float value, Error *err)
{
    Scene d = *s;
    Status st;
    if (f < 0 || c < 0 || ky < 0 || kx < 0 || (size_t)f >= s->weights.n || (size_t)c >= s->weights.c ||
        (size_t)ky >= s->weights.h || (size_t)kx >= s->weights.w)
        return error_set(err, CS_ERR_RANGE, "no weight (%d, %d, %d, %d)", f, c, ky, kx);
    if (!isfinite(value))
        return error_set(err, CS_ERR_RANGE, "a weight must be a finite number");
    if ((st = tensor_copy(&d.weights, &s->weights, err)) != CS_OK)
        return st;
    *tensor_at(&d.weights, (size_t)f, (size_t)c, (size_t)ky, (size_t)kx) = value;
    d.kernel_source = KERNEL_EDITED;
    snprintf(d.kernel_name, sizeof d.kernel_name, "edited");
    return scene_commit(s, &d, err);
}

Status scene_set_bias(Scene *s, int f, float value, Error *err)
{
    Scene d = *s;
    Status st;
    if (f < 0 || (size_t)f >= s->weights.n)
        return error_set(err, CS_ERR_RANGE, "no filter %d", f);
    if (!isfinite(value))
        return error_set(err, CS_ERR_RANGE, "a bias must be a finite number");
    if (s->has_bias)
        st = tensor_copy(&d.bias, &s->bias, err);
    else
        st = tensor_init(&d.bias, 1, 1, 1, s->weights.n, 1, err);
    if (st != CS_OK)
        return st;
    d.bias.data[f] = value;
    d.has_bias = true;
    return scene_commit(s, &d, err);
}

Status scene_set_input_tensor(Scene *s, const Tensor *input, const char *name, bool image, Error *err)
{
    Scene d = *s;
    Status st = tensor_copy(&d.input, input, err);
    if (st != CS_OK)
        return st;
    d.input.n = 1;
    d.image_input = image;
    snprintf(d.input_name, sizeof d.input_name, "%s", name);
    if (d.input.c != s->weights.c) {
        Tensor w;
        if ((st = rebuild_weights(&d, s->weights.n, &w, err)) != CS_OK) {
            tensor_free(&d.input);
            return st;
        }
        d.weights = w;
        if (d.kind != LAYER_POOL) {
            d.kernel_h = (int)w.h;
            d.kernel_w = (int)w.w;
        }
    }
    return scene_commit(s, &d, err);
}

Status scene_read_input(const Scene *s, const char *path, Tensor *in, bool *image, char *name,
                        size_t name_size, char *note, size_t note_size, Error *err)
{
    if (note_size)
        note[0] = '\0';
    return load_input(path, s->fit_h, s->fit_w, in, image, name, name_size, note, note_size, err);
}

Status scene_set_input(Scene *s, const char *path, Error *err)
{
    Tensor in;
    bool image;
    char name[128], note[160] = "";
    Status st = scene_read_input(s, path, &in, &image, name, sizeof name, note, sizeof note, err);
    if (st != CS_OK)
        return st;
    st = scene_set_input_tensor(s, &in, name, image, err);
    tensor_free(&in);
    if (st == CS_OK)
        snprintf(s->note, sizeof s->note, "%s", note);
    return st;
}

Status scene_set_layer(Scene *s, LayerKind kind, const Tensor *input, const char *input_name, bool image,
                       const Tensor *weights, const Tensor *bias, const ConvParams *conv, const PoolParams *pool,
                       Activation act, const char *kernel_name, int out_y, int out_x, Error *err)
{
    Scene d = *s;
    Status st;
    Tensor in = {0}, w = {0}, b = {0};
    if (kind == LAYER_CONV_TRANSPOSED)
        return error_set(err, CS_ERR_RANGE, "the single-layer scene shows convolution and pooling");
    if ((st = tensor_copy(&in, input, err)) != CS_OK)
        return st;
    in.n = 1;
    d.input = in;
    d.image_input = image;
    snprintf(d.input_name, sizeof d.input_name, "%s", input_name);
    d.kind = kind;
    if (kind == LAYER_CONV) {
        if (weights->n != 1 || weights->c != input->c || weights->h > SCENE_MAX_KERNEL ||
            weights->w > SCENE_MAX_KERNEL) {
            tensor_free(&in);
            return error_set(err, CS_ERR_SHAPE, "one filter of up to %dx%d over the input's %zu channels is "
                             "needed", SCENE_MAX_KERNEL, SCENE_MAX_KERNEL, input->c);
        }
        if ((st = tensor_copy(&w, weights, err)) != CS_OK || (bias && (st = tensor_copy(&b, bias, err)) != CS_OK)) {
            tensor_free(&in);
            tensor_free(&w);
            return st;
        }
        w.rank = 4;
        d.weights = w;
        d.has_bias = bias != NULL;
        d.bias = b;
        if (bias) {
            d.bias.n = d.bias.c = d.bias.h = 1;
            d.bias.w = 1;
            d.bias.rank = 1;
        }
        d.conv = *conv;
        d.conv.groups = 1;
        d.act = act;
        d.kernel_h = (int)w.h;
        d.kernel_w = (int)w.w;
        d.kernel_source = KERNEL_FILE;
        d.preset = -1;
        snprintf(d.kernel_name, sizeof d.kernel_name, "%s", kernel_name);
    } else {
        /* the weights wait for a switch back to convolution: they must
           read the new input's channels */
        if (s->weights.c != in.c) {
            if ((st = rebuild_weights(&d, s->weights.n, &w, err)) != CS_OK) {
                tensor_free(&in);
                return st;
            }
            d.weights = w;
        }
        d.pool = *pool;
        d.kernel_h = pool->kernel_h;
        d.kernel_w = pool->kernel_w;
    }
    /* scene_commit frees the replaced tensors only when they changed */
    st = scene_commit(s, &d, err);
    if (st != CS_OK)
        return st;
    s->note[0] = '\0';
    stepper_seek(s->stepper, stepper_index_of(s->stepper, out_y, out_x, 0) + stepper_steps_per_position(s->stepper) - 1);
    return CS_OK;
}

void scene_set_granularity(Scene *s, StepGranularity g)
{
    stepper_set_granularity(s->stepper, g);
}
