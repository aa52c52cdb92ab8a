/* net.c: a layer stack that runs (see net.h for what each layer computes).
 *
 * net_build walks the stack once with the shape arriving at each layer (a
 * C x H x W map, or F features once a Flatten or Linear has run), checks it
 * as PyTorch would refuse it, and lays out the parameters; net_forward then
 * runs the layers in order, each reading the previous layer's kept output. */
#include "net.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "conv.h"
#include "geom.h"
#include "kernels.h"
#include "linear.h"
#include "norm.h"
#include "pool.h"
#include "rng.h"
#include "weights.h"

/* ---- errors ---- */

/* "layer N (NAME: TEXT): message" */
static Status fail_layer(Error *err, Status status, size_t index, const LayerSpec *l, const char *fmt,
                         ...) __attribute__((format(printf, 5, 6)));

static Status fail_layer(Error *err, Status status, size_t index, const LayerSpec *l, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return error_set(err, status, "layer %zu (%s: %.80s%s): %s", index + 1, l->name, l->text,
                     strlen(l->text) > 80 ? "..." : "", msg);
}

/* Rewrites err's message (from a core call) with the layer in front. */
static Status fail_wrap(Error *err, Status status, size_t index, const LayerSpec *l)
{
    char msg[sizeof err->message];
    if (!err)
        return status;
    snprintf(msg, sizeof msg, "%s", err->message);
    return fail_layer(err, status, index, l, "%s", msg);
}

/* ---- parameters ---- */

/* How many parameters layer l has. */
static size_t layer_param_count(const LayerSpec *l)
{
    switch (l->type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
    case SPEC_LINEAR:
        return l->bias ? 2 : 1;
    case SPEC_BATCHNORM2D:
        return (l->bias ? 2 : 0) + (l->batch_stats ? 0 : 2);
    default:
        return 0;
    }
}

/* Allocates parameter *p named LAYER.what with PyTorch's shape (rank dims),
 * filled with value. */
static Status param_init(NetParam *p, const LayerSpec *l, const char *what, int rank, const size_t *shape,
                         float value, Error *err)
{
    size_t dims[4] = {1, 1, 1, 1};
    Status st;
    snprintf(p->name, sizeof p->name, "%s.%s", l->name, what);
    p->rank = rank;
    for (int i = 0; i < rank; i++) {
        p->shape[i] = shape[i];
        dims[4 - rank + i] = shape[i];
    }
    if ((st = tensor_init(&p->t, dims[0], dims[1], dims[2], dims[3], rank, err)) != CS_OK)
        return st;
    if (value != 0.0f)
        for (size_t i = 0; i < tensor_count(&p->t); i++)
            p->t.data[i] = value;
    return CS_OK;
}

/* Lays out layer L's parameters at *next (advancing it). */
static Status layer_params(NetLayer *L, NetParam **next, Error *err)
{
    const LayerSpec *l = &L->spec;
    size_t shape[4], g = l->conv.groups > 0 ? (size_t)l->conv.groups : 1;
    size_t in = (size_t)l->in_channels, out = (size_t)l->out_channels;
    Status st = CS_OK;

    switch (l->type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
        shape[0] = l->type == SPEC_CONV2D ? out : in;
        shape[1] = l->type == SPEC_CONV2D ? in / g : out / g;
        shape[2] = (size_t)l->kernel_h;
        shape[3] = (size_t)l->kernel_w;
        L->weight = (*next)++;
        if ((st = param_init(L->weight, l, "weight", 4, shape, 0.0f, err)) != CS_OK)
            return st;
        if (l->bias) {
            L->bias = (*next)++;
            st = param_init(L->bias, l, "bias", 1, &out, 0.0f, err);
        }
        return st;
    case SPEC_LINEAR:
        shape[0] = out;
        shape[1] = in;
        L->weight = (*next)++;
        if ((st = param_init(L->weight, l, "weight", 2, shape, 0.0f, err)) != CS_OK)
            return st;
        if (l->bias) {
            L->bias = (*next)++;
            st = param_init(L->bias, l, "bias", 1, &out, 0.0f, err);
        }
        return st;
    case SPEC_BATCHNORM2D:
        /* the state_dict's order: weight, bias, running_mean, running_var */
        if (l->bias) {
            L->weight = (*next)++;
            L->bias = (*next)++;
            if ((st = param_init(L->weight, l, "weight", 1, &in, 1.0f, err)) != CS_OK ||
                (st = param_init(L->bias, l, "bias", 1, &in, 0.0f, err)) != CS_OK)
                return st;
        }
        if (!l->batch_stats) {
            L->running_mean = (*next)++;
            L->running_var = (*next)++;
            if ((st = param_init(L->running_mean, l, "running_mean", 1, &in, 0.0f, err)) != CS_OK ||
                (st = param_init(L->running_var, l, "running_var", 1, &in, 1.0f, err)) != CS_OK)
                return st;
        }
        return CS_OK;
    default:
        return CS_OK;
    }
}

/* ---- shapes ---- */

/* The shape arriving at a layer, with the batch dimension: (1, C, H, W) for
 * a map, (1, F) for features. */
typedef struct Shape {
    bool flat;
    size_t c, h, w;
} Shape;

static int shape_rank(const Shape *s)
{
    return s->flat ? 2 : 4;
}

static size_t shape_dim(const Shape *s, int d)
{
    size_t dims[4] = {1, s->c, s->h, s->w};
    return dims[d];
}

/* A dim argument (negative counts from the end) in [0, rank), or -1. */
static int dim_resolve(int dim, int rank)
{
    int d = dim < 0 ? dim + rank : dim;
    return d >= 0 && d < rank ? d : -1;
}

/* Works out layer i's output shape from *s (updated in place), or fails
 * naming the layer. */
static Status layer_shape(const LayerSpec *l, size_t i, Shape *s, Error *err)
{
    bool needs_map = spec_is_spatial(l) || l->type == SPEC_BATCHNORM2D;
    size_t oh, ow;
    Status st;

    if (needs_map && s->flat)
        return fail_layer(err, CS_ERR_SHAPE, i, l, "needs a map (C,H,W), but %zu features arrive "
                          "(after Flatten or Linear)", s->c);
    switch (l->type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
    case SPEC_BATCHNORM2D:
        if (s->c != (size_t)l->in_channels)
            return fail_layer(err, CS_ERR_SHAPE, i, l, "expects %d input channels, but %zu arrive",
                              l->in_channels, s->c);
        if (l->type == SPEC_BATCHNORM2D)
            return CS_OK;
        if ((st = geom_conv_output(&l->conv, s->h, s->w, (size_t)l->kernel_h, (size_t)l->kernel_w, &oh,
                                   &ow, err)) != CS_OK)
            return fail_wrap(err, st, i, l);
        s->c = (size_t)l->out_channels;
        break;
    case SPEC_MAXPOOL2D:
    case SPEC_AVGPOOL2D:
        if ((st = geom_pool_output(&l->pool, s->h, s->w, &oh, &ow, err)) != CS_OK)
            return fail_wrap(err, st, i, l);
        break;
    case SPEC_ADAPTIVE_AVGPOOL2D:
    case SPEC_ADAPTIVE_MAXPOOL2D:
        oh = l->adaptive_h > 0 ? (size_t)l->adaptive_h : s->h;
        ow = l->adaptive_w > 0 ? (size_t)l->adaptive_w : s->w;
        break;
    case SPEC_LINEAR: {
        size_t features = s->c;
        if (!s->flat && (s->h != 0 && features > SIZE_MAX / s->h / s->w))
            features = SIZE_MAX;
        else if (!s->flat)
            features = s->c * s->h * s->w;
        if (features != (size_t)l->in_channels) {
            if (s->flat)
                return fail_layer(err, CS_ERR_SHAPE, i, l, "expects %d input features, but %zu arrive",
                                  l->in_channels, s->c);
            return fail_layer(err, CS_ERR_SHAPE, i, l, "expects %d input features, but a %zux%zux%zu map "
                              "arrives (%zu features when flattened)", l->in_channels, s->c, s->h, s->w,
                              features);
        }
        s->flat = true;
        s->c = (size_t)l->out_channels;
        s->h = s->w = 1;
        return CS_OK;
    }
    case SPEC_FLATTEN: {
        int rank = shape_rank(s), from = dim_resolve(l->start_dim, rank), to = dim_resolve(l->end_dim, rank);
        if (from < 0 || to < 0)
            return fail_layer(err, CS_ERR_RANGE, i, l, "start_dim %d or end_dim %d is outside the %d "
                              "dimensions arriving (%s)", l->start_dim, l->end_dim, rank,
                              s->flat ? "batch, features" : "batch, C, H, W");
        /* batch 1: flattening from dim 0 gives the same numbers */
        if (from > 1 || to != rank - 1)
            return fail_layer(err, CS_ERR_RANGE, i, l, "convstep flattens every dimension after the "
                              "batch (start_dim=1, end_dim=-1); start_dim %d, end_dim %d would keep a "
                              "map", l->start_dim, l->end_dim);
        if (!s->flat) {
            if (s->c > SIZE_MAX / s->h / s->w)
                return fail_layer(err, CS_ERR_RANGE, i, l, "%zux%zux%zu is too many features", s->c, s->h,
                                  s->w);
            s->c *= s->h * s->w;
        }
        s->flat = true;
        s->h = s->w = 1;
        return CS_OK;
    }
    case SPEC_SOFTMAX:
    case SPEC_LOGSOFTMAX:
        /* dim=None: PyTorch's legacy choice, dim 1 for 2-D and 4-D input */
        if (!l->dim_none && dim_resolve(l->dim, shape_rank(s)) < 0)
            return fail_layer(err, CS_ERR_RANGE, i, l, "dim %d is outside the %d dimensions arriving (%s)",
                              l->dim, shape_rank(s), s->flat ? "batch, features" : "batch, C, H, W");
        return CS_OK;
    default:
        return CS_OK;
    }
    s->h = oh;
    s->w = ow;
    return CS_OK;
}

/* ---- building ---- */

Status net_build(const LayerStack *stack, size_t c, size_t h, size_t w, Net *out, Error *err)
{
    Shape s = {false, c, h, w};
    NetParam *next;
    Status st = CS_OK;

    memset(out, 0, sizeof *out);
    if (c == 0 || h == 0 || w == 0)
        return error_set(err, CS_ERR_SHAPE, "the input %zux%zux%zu has a zero dimension", c, h, w);
    out->in_c = c;
    out->in_h = h;
    out->in_w = w;
    out->layers = calloc(stack->count ? stack->count : 1, sizeof *out->layers);
    for (size_t i = 0; i < stack->count; i++)
        out->n_params += layer_param_count(&stack->layers[i]);
    out->params = calloc(out->n_params ? out->n_params : 1, sizeof *out->params);
    if (!out->layers || !out->params) {
        net_free(out);
        return error_set(err, CS_ERR_NOMEM, "out of memory for %zu layers", stack->count);
    }
    out->count = stack->count;
    next = out->params;
    for (size_t i = 0; i < stack->count && st == CS_OK; i++) {
        NetLayer *L = &out->layers[i];
        L->spec = stack->layers[i];
        if ((st = layer_shape(&L->spec, i, &s, err)) != CS_OK)
            break;
        L->flat = s.flat;
        L->c = s.c;
        L->h = s.h;
        L->w = s.w;
        if ((st = layer_params(L, &next, err)) != CS_OK)
            st = fail_wrap(err, st, i, &L->spec);
    }
    if (st != CS_OK)
        net_free(out);
    return st;
}

void net_free(Net *net)
{
    if (!net)
        return;
    for (size_t i = 0; i < net->count; i++)
        tensor_free(&net->layers[i].out);
    for (size_t i = 0; i < net->n_params; i++)
        tensor_free(&net->params[i].t);
    free(net->layers);
    free(net->params);
    memset(net, 0, sizeof *net);
}

void net_init_default(Net *net, uint64_t seed)
{
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < net->count; i++) {
        NetLayer *L = &net->layers[i];
        double fan_in, fan_out;
        float bound;
        if (L->spec.type == SPEC_BATCHNORM2D) {
            /* weight 1, bias 0, mean 0, var 1 */
            NetParam *ones[2] = {L->weight, L->running_var}, *zeros[2] = {L->bias, L->running_mean};
            for (int k = 0; k < 2; k++) {
                for (size_t j = 0; ones[k] && j < tensor_count(&ones[k]->t); j++)
                    ones[k]->t.data[j] = 1.0f;
                for (size_t j = 0; zeros[k] && j < tensor_count(&zeros[k]->t); j++)
                    zeros[k]->t.data[j] = 0.0f;
            }
            continue;
        }
        if (!L->weight)
            continue;
        if (L->weight->rank == 4)
            kernels_fans(L->weight->shape[0], L->weight->shape[1], L->weight->shape[2], L->weight->shape[3],
                         &fan_in, &fan_out);
        else
            fan_in = (double)L->weight->shape[1];
        bound = (float)(1.0 / sqrt(fan_in));
        for (size_t j = 0; j < tensor_count(&L->weight->t); j++)
            L->weight->t.data[j] = rng_range(&rng, -bound, bound);
        for (size_t j = 0; L->bias && j < tensor_count(&L->bias->t); j++)
            L->bias->t.data[j] = rng_range(&rng, -bound, bound);
    }
}

NetParam *net_find_param(const Net *net, const char *name)
{
    for (size_t i = 0; i < net->n_params; i++)
        if (strcmp(net->params[i].name, name) == 0)
            return &net->params[i];
    return NULL;
}

/* ---- loading ---- */

/* "64x3x11x11" of a shape */
static void dims_text(int rank, const size_t *shape, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, size, "a scalar");
    for (int d = 0; d < rank && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? "x%zu" : "%zu", shape[d]);
}

static bool same_shape(const NetParam *p, const NamedTensor *t)
{
    if (p->rank != t->rank)
        return false;
    for (int d = 0; d < p->rank; d++)
        if (p->shape[d] != t->shape[d])
            return false;
    return true;
}

static bool ignored_key(const char *name)
{
    size_t n = strlen(name), k = strlen("num_batches_tracked");
    return n >= k && strcmp(name + n - k, "num_batches_tracked") == 0;
}

/* One list of the error message: up to three entries, then "(+N more)". */
typedef struct KeyList {
    char text[200];
    size_t count;
} KeyList;

static void key_list_add(KeyList *l, const char *entry)
{
    size_t used = strlen(l->text);
    if (l->count++ < 3)
        snprintf(l->text + used, sizeof l->text - used, "%s%s", used ? ", " : "", entry);
}

static void key_list_end(KeyList *l)
{
    size_t used = strlen(l->text);
    if (l->count > 3)
        snprintf(l->text + used, sizeof l->text - used, " (+%zu more)", l->count - 3);
}

Status net_load_weights(Net *net, const WeightsFile *w, Error *err)
{
    KeyList missing = {{0}, 0}, unexpected = {{0}, 0}, mismatched = {{0}, 0};
    char a[64], b[64], entry[300];

    for (size_t i = 0; i < net->n_params; i++) {
        const NetParam *p = &net->params[i];
        const NamedTensor *t = weights_find(w, p->name);
        dims_text(p->rank, p->shape, a, sizeof a);
        if (!t) {
            snprintf(entry, sizeof entry, "%s (%s)", p->name, a);
            key_list_add(&missing, entry);
        } else if (!same_shape(p, t)) {
            dims_text(t->rank, t->shape, b, sizeof b);
            snprintf(entry, sizeof entry, "%s is %s in the file, %s in the network", p->name, b, a);
            key_list_add(&mismatched, entry);
        }
    }
    for (size_t i = 0; i < w->count; i++)
        if (!ignored_key(w->items[i].name) && !net_find_param(net, w->items[i].name))
            key_list_add(&unexpected, w->items[i].name);
    if (missing.count || unexpected.count || mismatched.count) {
        key_list_end(&missing);
        key_list_end(&unexpected);
        key_list_end(&mismatched);
        return error_set(err, CS_ERR_SHAPE, "%s%s%s%s%s%s%s", missing.count ? "missing " : "", missing.text,
                         missing.count && (unexpected.count || mismatched.count) ? "; " : "",
                         unexpected.count ? "unexpected " : "", unexpected.text,
                         unexpected.count && mismatched.count ? "; " : "", mismatched.text);
    }
    for (size_t i = 0; i < net->n_params; i++) {
        NetParam *p = &net->params[i];
        const NamedTensor *t = weights_find(w, p->name);
        memcpy(p->t.data, t->t.data, tensor_count(&p->t) * sizeof(float));
    }
    return CS_OK;
}

/* ---- running ---- */

/* Allocates L's output with L's shape. */
static Status layer_alloc(NetLayer *L, Error *err)
{
    if (L->flat)
        return tensor_init(&L->out, 1, 1, 1, L->c, 1, err);
    return tensor_init(&L->out, 1, L->c, L->h, L->w, 3, err);
}

/* Values per task at least for the element-wise layers and rows of
 * weights for a Linear: about 0.1 ms on one core. */
#define NET_TASK_VALUES (512 * 1024)

/* How many tasks to cut `amount` (values or weights) into: one below
 * 2 x NET_TASK_VALUES or on one thread, at most 4 per thread. */
static size_t net_tasks(Threads *threads, size_t amount, size_t most)
{
    size_t tasks = amount / NET_TASK_VALUES, workers = threads_count(threads);
    if (workers < 2 || tasks < 2)
        return 1;
    if (tasks > 4 * workers)
        tasks = 4 * workers;
    return tasks > most ? most : tasks;
}

/* An element-wise layer or a Linear, split into `tasks` ranges of its
 * outputs; each output is computed as on one thread. */
typedef struct NetJob {
    const NetLayer *L;
    const Tensor *x;
    size_t n, tasks;   /* outputs */
} NetJob;

static void net_copy_task(void *ctx, size_t task, size_t worker)
{
    const NetJob *j = ctx;
    const size_t a = task * j->n / j->tasks, b = (task + 1) * j->n / j->tasks;
    Tensor part = {1, 1, 1, b - a, 1, j->L->out.data + a};
    (void)worker;
    memcpy(part.data, j->x->data + a, (b - a) * sizeof(float));
    act_apply_tensor(j->L->spec.act, &part);
}

static void net_linear_task(void *ctx, size_t task, size_t worker)
{
    const NetJob *j = ctx;
    const NetLayer *L = j->L;
    const size_t a = task * j->n / j->tasks, b = (task + 1) * j->n / j->tasks, in = tensor_count(j->x);
    (void)worker;
    linear_forward(j->x->data, in, L->weight->t.data + a * in, L->bias ? L->bias->t.data + a : NULL, b - a,
                   L->out.data + a);
}

/* The same values as x, in L's shape (x has as many), with L's activation
 * (none for Flatten, Dropout, Identity) applied. */
static Status layer_copy(NetLayer *L, const Tensor *x, Threads *threads, Error *err)
{
    const size_t n = tensor_count(x);
    NetJob job = {L, x, n, net_tasks(threads, n, n)};
    Status st = layer_alloc(L, err);
    if (st == CS_OK)
        threads_run(job.tasks > 1 ? threads : NULL, job.tasks, net_copy_task, &job);
    return st;
}

/* Runs layer L on x (the previous output, or the input) into L->out. */
static Status layer_run(NetLayer *L, const Tensor *x, Threads *threads, Error *err)
{
    const LayerSpec *l = &L->spec;
    const float *bias = L->bias ? L->bias->t.data : NULL;
    Status st;

    switch (l->type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
        return conv_forward_threads(x, &L->weight->t, L->bias ? &L->bias->t : NULL, &l->conv, threads, &L->out,
                                    err);
    case SPEC_MAXPOOL2D:
    case SPEC_AVGPOOL2D:
        return pool_forward_threads(x, &l->pool, threads, &L->out, err);
    case SPEC_ADAPTIVE_AVGPOOL2D:
    case SPEC_ADAPTIVE_MAXPOOL2D:
        return pool_adaptive_forward(x, l->type == SPEC_ADAPTIVE_MAXPOOL2D ? POOL_MAX : POOL_AVG, L->h, L->w,
                                     &L->out, err);
    case SPEC_BATCHNORM2D:
        if ((st = layer_alloc(L, err)) != CS_OK)
            return st;
        norm_batch_forward(x->data, L->c, L->h * L->w, L->running_mean ? L->running_mean->t.data : NULL,
                           L->running_var ? L->running_var->t.data : NULL,
                           L->weight ? L->weight->t.data : NULL, bias, l->eps, L->out.data);
        return CS_OK;
    case SPEC_LINEAR: {
        NetJob job = {L, x, L->c, net_tasks(threads, L->c * tensor_count(x), L->c)};
        if ((st = layer_alloc(L, err)) != CS_OK)
            return st;
        threads_run(job.tasks > 1 ? threads : NULL, job.tasks, net_linear_task, &job);
        return CS_OK;
    }
    case SPEC_SOFTMAX:
    case SPEC_LOGSOFTMAX: {
        Shape s = {L->flat, L->c, L->h, L->w};
        int rank = shape_rank(&s), d = l->dim_none ? 1 : dim_resolve(l->dim, rank);
        size_t outer = 1, inner = 1;
        if ((st = layer_copy(L, x, NULL, err)) != CS_OK)
            return st;
        for (int k = 0; k < d; k++)
            outer *= shape_dim(&s, k);
        for (int k = d + 1; k < rank; k++)
            inner *= shape_dim(&s, k);
        act_softmax(L->out.data, outer, shape_dim(&s, d), inner, l->type == SPEC_LOGSOFTMAX);
        return CS_OK;
    }
    default:
        /* Flatten, Dropout, Identity, and the element-wise activations */
        return layer_copy(L, x, threads, err);
    }
}

Status net_forward(Net *net, const Tensor *input, Error *err)
{
    return net_forward_threads(net, input, NULL, err);
}

Status net_forward_threads(Net *net, const Tensor *input, Threads *threads, Error *err)
{
    Tensor view;
    if (input->n != 1 || input->c != net->in_c || input->h != net->in_h || input->w != net->in_w) {
        char shape[64];
        tensor_shape_text(input, shape, sizeof shape);
        return error_set(err, CS_ERR_SHAPE, "the input is %s, but the network was built for %zux%zux%zu",
                         shape, net->in_c, net->in_h, net->in_w);
    }
    /* every map is rank 3 inside (C,H,W), whatever rank the input came with */
    view = *input;
    view.rank = 3;
    for (size_t i = 0; i < net->count; i++)
        tensor_free(&net->layers[i].out);
    for (size_t i = 0; i < net->count; i++) {
        NetLayer *L = &net->layers[i];
        Status st = layer_run(L, i ? &net->layers[i - 1].out : &view, threads, err);
        if (st != CS_OK)
            return fail_wrap(err, st, i, &L->spec);
    }
    return CS_OK;
}

const Tensor *net_output(const Net *net)
{
    if (net->count == 0 || !net->layers[net->count - 1].out.data)
        return NULL;
    return &net->layers[net->count - 1].out;
}

void net_shape_text(const Net *net, size_t i, char *buf, size_t size)
{
    const NetLayer *L = &net->layers[i];
    if (L->flat)
        snprintf(buf, size, "%zu", L->c);
    else
        snprintf(buf, size, "%zux%zux%zu", L->c, L->h, L->w);
}
