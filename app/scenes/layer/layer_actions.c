/* layer_actions.c: keys and the mouse in the single-layer scene (see
 * layer_actions.h). Reading order: helpers, the kind's hooks (status after
 * a step, clicks, a new input, the wheel), the granularity, the layer's
 * settings. Every change to the scene goes through scene.h's scene_set_*,
 * which either succeeds or leaves the scene intact; settings() below turns
 * its result into the status line. */
#include "layer_actions.h"

#include <stdarg.h>
#include <stdio.h>

#define STRIDE_MAX 4
#define DILATION_MAX 3
#define KERNEL_MAX 7
#define SCALE_STEP 1.25f

static const char *const granularity_names[] = {
    "position (one step per output cell)",
    "channel (one step per input channel)",
    "term (one step per multiply)",
};

/* ---- helpers ---- */

/* Wraps cur + dir into lo..hi (a value outside the range restarts it). */
static int cycle_int(int cur, int dir, int lo, int hi)
{
    int n = cur + (dir < 0 ? -1 : 1);
    if (n > hi)
        return cur > hi ? hi : lo;
    if (n < lo)
        return hi;
    return n;
}

/* Whether t names a cell that exists in the scene (layout_hit only gives
 * such targets; the check keeps a stale or made-up target harmless). */
bool layer_target_valid(const Scene *s, const Target *t)
{
    size_t oh, ow, maps;
    stepper_output_size(s->stepper, &oh, &ow, &maps);
    Pad4 pad = stepper_padding(s->stepper);
    bool conv = s->kind != LAYER_POOL;
    switch (t->kind) {
    case TARGET_INPUT:
        return t->c >= 0 && (size_t)t->c < s->input.c && t->y >= -pad.top &&
               t->y < (int)s->input.h + pad.bottom && t->x >= -pad.left &&
               t->x < (int)s->input.w + pad.right;
    case TARGET_OUTPUT:
        return t->f >= 0 && (size_t)t->f < maps && t->y >= 0 && (size_t)t->y < oh && t->x >= 0 &&
               (size_t)t->x < ow;
    case TARGET_WEIGHT:
        return conv && t->f >= 0 && (size_t)t->f < s->weights.n && t->c >= 0 &&
               (size_t)t->c < s->weights.c && t->y >= 0 && (size_t)t->y < s->weights.h &&
               t->x >= 0 && (size_t)t->x < s->weights.w;
    case TARGET_BIAS:
        return conv && t->f >= 0 && (size_t)t->f < s->weights.n;
    case TARGET_STACK_CELL:     /* another kind's cell */
        return false;
    case TARGET_TIMELINE:
    case TARGET_NONE:
        return true;
    }
    return false;
}

/* The result of a scene_set_* call on the status line: the scene's message
 * in the error colour, or "WHAT -> output OHxOW". */
static void settings(App *app, Status st, const Error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void settings(App *app, Status st, const Error *err, const char *fmt, ...)
{
    if (st != CS_OK) {
        view_set_status(&app->view, true, "%s", err->message);
        return;
    }
    actions_after_change(app);
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t oh, ow, maps;
    stepper_output_size(app->scene->stepper, &oh, &ow, &maps);
    view_set_status(&app->view, false, "%s -> output %zux%zu", what, oh, ow);
}

static bool is_pool(const App *app)
{
    return app->scene->kind == LAYER_POOL;
}

/* Refuses a convolution-only setting in the pooling scene. */
static bool need_conv(App *app, const char *what)
{
    if (!is_pool(app))
        return true;
    view_set_status(&app->view, true, "%s applies to convolution (o switches the layer)", what);
    return false;
}

/* ---- the kind's hooks ---- */

void layer_say_step(App *app, StepMoment moment)
{
    View *v = &app->view;
    switch (moment) {
    case STEP_AT_LAST:
        view_set_status(v, false, "last step (Home goes back to the first)");
        break;
    case STEP_AT_FIRST:
        view_set_status(v, false, "first step");
        break;
    case STEP_PLAYING:
        view_set_status(v, false, "playing at %g steps/s (+ and - change the speed)", v->speed);
        break;
    case STEP_FINISHED:
        view_set_status(v, false, "finished: %zu steps (Space plays again)", scene_step_count(app->scene));
        break;
    case STEP_MOVED:
        break;
    }
}

void layer_click(App *app, Target t)
{
    View *v = &app->view;
    Stepper *st = app->scene->stepper;
    char name[16];
    v->edit.kind = TARGET_NONE;
    v->edit_text[0] = '\0';
    if (!layer_target_valid(app->scene, &t))
        t.kind = TARGET_NONE;
    switch (t.kind) {
    case TARGET_TIMELINE:
        actions_seek(app, (long long)t.step);
        break;
    case TARGET_OUTPUT:
        v->selected.kind = TARGET_NONE;
        v->playing = false;
        stepper_seek(st, stepper_index_of(st, t.y, t.x, t.f));
        view_set_status(v, false, "output (%d, %d) of map %d", t.y, t.x, t.f);
        break;
    case TARGET_INPUT:
        if (actions_same_target(&v->selected, &t)) {
            v->selected.kind = TARGET_NONE;
            view_set_status(v, false, "selection cleared");
        } else {
            v->selected = t;
            view_set_status(v, false, "outputs that read %s (%d, %d) are highlighted; click it again to clear",
                            scene_channel_name(app->scene, t.c, name, sizeof name), t.y, t.x);
        }
        break;
    case TARGET_WEIGHT:
    case TARGET_BIAS:
        v->selected.kind = TARGET_NONE;
        v->playing = false;
        v->edit = t;
        if (t.kind == TARGET_WEIGHT)
            view_set_status(v, false, "weight [%d, %d, %d, %d]: type a number, Enter sets it, Escape cancels",
                            t.f, t.c, t.y, t.x);
        else
            view_set_status(v, false, "bias of filter %d: type a number, Enter sets it, Escape cancels", t.f);
        break;
    case TARGET_STACK_CELL:
    case TARGET_NONE:
        v->selected.kind = TARGET_NONE;
        break;
    }
}

void layer_open_input(App *app, const char *path)
{
    Error err;
    if (scene_set_input(app->scene, path, &err) != CS_OK) {
        view_set_status(&app->view, true, "%s", err.message);
        return;
    }
    app->view.selected.kind = TARGET_NONE;
    actions_after_change(app);
    const Scene *s = app->scene;
    view_set_status(&app->view, false, "opened %s (%zux%zux%zu)%s%s", s->input_name, s->input.c,
                    s->input.h, s->input.w, s->note[0] ? ": " : "", s->note);
}

void layer_wheel(App *app, int clicks, int x, int y, int w, int h)
{
    (void)x;
    (void)y;
    (void)w;
    (void)h;
    action_step(app, -clicks);
}

/* ---- stepping ---- */

void action_granularity(App *app, int arg)
{
    StepGranularity g = stepper_granularity(app->scene->stepper);
    g = (StepGranularity)cycle_int((int)g, arg, STEP_POSITION, STEP_TERM);
    scene_set_granularity(app->scene, g);
    view_set_status(&app->view, false, "granularity: %s", granularity_names[g]);
}

/* ---- the layer's settings ---- */

void action_stride(App *app, int arg)
{
    const Scene *s = app->scene;
    int cur = is_pool(app) ? s->pool.stride_h : s->conv.stride_h;
    int n = cycle_int(cur, arg, 1, STRIDE_MAX);
    Error err;
    Status st = scene_set_stride(app->scene, n, n, &err);
    settings(app, st, &err, "stride %d", n);
}

/* The padding cycle: explicit 0..3 then the named rules. */
static const Padding padding_cycle[] = {
    {PAD_EXPLICIT, 0, 0}, {PAD_EXPLICIT, 1, 1}, {PAD_EXPLICIT, 2, 2}, {PAD_EXPLICIT, 3, 3},
    {PAD_VALID, 0, 0},    {PAD_SAME, 0, 0},     {PAD_FULL, 0, 0},
};
#define POOL_PADDINGS 3     /* pooling: explicit 0, 1, 2 only */

static void padding_text(Padding p, char *buf, size_t size)
{
    static const char *const names[] = {"", "valid", "same", "full"};
    if (p.kind == PAD_EXPLICIT)
        snprintf(buf, size, "%d", p.h);
    else
        snprintf(buf, size, "%s", names[p.kind]);
}

void action_padding(App *app, int arg)
{
    const Scene *s = app->scene;
    int count = is_pool(app) ? POOL_PADDINGS : (int)(sizeof padding_cycle / sizeof padding_cycle[0]);
    Padding cur = s->conv.padding;
    if (is_pool(app)) {
        cur.kind = PAD_EXPLICIT;
        cur.h = s->pool.pad_h;
        cur.w = s->pool.pad_w;
    }
    int k = -1;
    for (int j = 0; j < count && k < 0; j++) {
        Padding p = padding_cycle[j];
        if (p.kind == cur.kind && (p.kind != PAD_EXPLICIT || (p.h == cur.h && p.w == cur.w)))
            k = j;
    }
    /* A padding outside the cycle (from the command line) restarts it. */
    k = k < 0 ? (arg < 0 ? count - 1 : 0) : cycle_int(k, arg, 0, count - 1);
    char text[16];
    padding_text(padding_cycle[k], text, sizeof text);
    Error err;
    Status st = scene_set_padding(app->scene, padding_cycle[k], &err);
    settings(app, st, &err, "padding %s", text);
}

void action_pad_mode(App *app, int arg)
{
    if (!need_conv(app, "the padding mode"))
        return;
    PadMode m = (PadMode)cycle_int((int)app->scene->conv.pad_mode, arg, PADMODE_ZEROS,
                                   PADMODE_CIRCULAR);
    Error err;
    Status st = scene_set_pad_mode(app->scene, m, &err);
    settings(app, st, &err, "padding mode %s", geom_pad_mode_name(m));
}

void action_dilation(App *app, int arg)
{
    const Scene *s = app->scene;
    int cur = is_pool(app) ? s->pool.dilation_h : s->conv.dilation_h;
    int n = cycle_int(cur, arg, 1, DILATION_MAX);
    Error err;
    Status st = scene_set_dilation(app->scene, n, n, &err);
    settings(app, st, &err, "dilation %d", n);
}

void action_kernel_size(App *app, int arg)
{
    int n = cycle_int(app->scene->kernel_h, arg, 1, KERNEL_MAX);
    Error err;
    Status st = scene_set_kernel_size(app->scene, n, &err);
    settings(app, st, &err, "kernel %dx%d", n, n);
}

void action_preset(App *app, int arg)
{
    if (!need_conv(app, "a kernel preset"))
        return;
    const Scene *s = app->scene;
    /* Slot -1 is the default scene's per-channel filter (3 channels only). */
    int lo = s->input.c == 3 ? -1 : 0;
    int hi = kernels_preset_count() - 1;
    int n;
    if (s->kernel_source == KERNEL_PRESET)
        n = cycle_int(s->preset, arg, lo, hi);
    else if (s->kernel_source == KERNEL_DEFAULT)
        n = cycle_int(-1, arg, lo, hi);
    else
        n = arg < 0 ? hi : lo;      /* random, file or edited weights: start the cycle */
    Error err;
    Status st;
    if (n < 0) {
        st = scene_set_default_kernel(app->scene, &err);
        settings(app, st, &err, "kernel: the default per-channel filter");
    } else {
        st = scene_set_preset(app->scene, n, &err);
        settings(app, st, &err, "kernel %s: %s", kernels_preset_name(n), kernels_preset_summary(n));
    }
}

static void draw_weights(App *app, InitKind kind, uint64_t seed)
{
    Error err;
    Status st = scene_set_init(app->scene, kind, seed, &err);
    settings(app, st, &err, "weights %s (seed %llu)", kernels_init_name(kind),
             (unsigned long long)seed);
}

void action_random_weights(App *app, int arg)
{
    (void)arg;
    if (!need_conv(app, "random weights"))
        return;
    const Scene *s = app->scene;
    bool random = s->kernel_source == KERNEL_RANDOM;
    draw_weights(app, random ? s->init : INIT_UNIFORM, random ? s->seed + 1 : s->seed);
}

void action_initialiser(App *app, int arg)
{
    if (!need_conv(app, "the initialiser"))
        return;
    const Scene *s = app->scene;
    InitKind kind;
    if (s->kernel_source == KERNEL_RANDOM)
        kind = (InitKind)cycle_int((int)s->init, arg, INIT_UNIFORM, INIT_HE_NORMAL);
    else
        kind = arg < 0 ? INIT_HE_NORMAL : INIT_UNIFORM;
    draw_weights(app, kind, s->seed);
}

void action_layer_kind(App *app, int arg)
{
    static const char *const names[] = {"convolution", "max pooling", "average pooling"};
    const Scene *s = app->scene;
    int cur = is_pool(app) ? 1 + (s->pool.mode == POOL_AVG) : 0;
    int n = cycle_int(cur, arg, 0, 2);
    Error err;
    Status st = scene_set_pool(app->scene, n != 0, n == 2 ? POOL_AVG : POOL_MAX, &err);
    if (st == CS_OK)
        app->view.selected.kind = TARGET_NONE;
    settings(app, st, &err, "%s", names[n]);
}

void action_ceil_mode(App *app, int arg)
{
    (void)arg;
    if (!is_pool(app)) {
        view_set_status(&app->view, true, "ceil mode applies to pooling (o switches the layer)");
        return;
    }
    bool ceil = !app->scene->pool.ceil_mode;
    Error err;
    Status st = scene_set_ceil_mode(app->scene, ceil, &err);
    settings(app, st, &err, "%s mode", ceil ? "ceil" : "floor");
}

void action_activation(App *app, int arg)
{
    if (!need_conv(app, "the activation"))
        return;
    Activation act = app->scene->act;
    act.kind = (ActKind)cycle_int((int)act.kind, arg, ACT_NONE, ACT_TANH);
    if (act.kind == ACT_LEAKY_RELU && !(act.slope > 0.0f))
        act.slope = 0.01f;
    Error err;
    Status st = scene_set_activation(app->scene, act, &err);
    char label[48];
    act_label(act, label, (int)sizeof label);
    settings(app, st, &err, "activation %s", label);
}

