/* train.c: mini-batch training of a net.h Net (see train.h).
 *
 * Start at trainer_step: forward over the batch layer by layer
 * (train_forward), the loss and its gradient (loss.h), backward layer by
 * layer in reverse (train_backward), then the optimiser (optim.h).
 *
 * Every layer keeps its output and the gradient of the loss with respect
 * to it for the whole batch (batch x values, image after image, the layout
 * of an N x C x H x W tensor). Convolutions and Linear layers run in chunks
 * of TRAIN_CHUNK images, as tasks of the thread pool; each chunk adds its
 * parameter gradients into its own block, and the blocks are summed in
 * chunk order afterwards, so the bits never depend on the threads. The
 * other layers are element-wise or per channel plane: they take the whole
 * batch at once as N*C planes (BatchNorm2d, whose statistics span the batch,
 * also runs whole). */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "conv_grad.h"
#include "dropout.h"
#include "linear.h"
#include "loss.h"
#include "norm.h"
#include "pool.h"
#include "rng.h"
#include "safetensors.h"

/* Images per chunk of a convolution or Linear layer: small enough that a
 * batch of 64 feeds 8 tasks, large enough to amortise each call. */
#define TRAIN_CHUNK 16

typedef struct TrainLayer {
    size_t values;          /* output values per image */
    float *out;             /* batch x values */
    float *grad;            /* batch x values: d loss / d out */
    float *mask;            /* Dropout: batch x values of 0 or 1/(1-p) */
    float *save_mean;       /* BatchNorm2d: the batch's mean and 1/sqrt(var + eps) */
    float *save_invstd;
} TrainLayer;

struct Trainer {
    Net net;
    TrainOptions o;
    size_t classes, batch, in_values, chunks;
    TrainLayer *layers;             /* net.count of them */
    float *input;                   /* batch x in_values: the images being run */
    float *input_grad;              /* batch x in_values when the first layer is a
                                       BatchNorm2d (its backward needs dx's room); else NULL */
    float *first_image;             /* the last step's first image (in_values) and the */
    float *first_grad;              /* gradient of the first layer's output for it */
    size_t last_n;                  /* images in the last step; 0 before any */
    size_t trainable;               /* floats in all weights and biases */
    size_t *offset;                 /* per parameter: where its gradient starts in a
                                       block, or SIZE_MAX for running statistics */
    float *grad;                    /* trainable floats: the step's gradient */
    float *chunk_grad;              /* chunks blocks of trainable floats */
    float *zeros;                   /* the gradient trainer_grad gives for buffers */
    Optim *optim;
    float **opt_params;             /* the trainable parameters, for optim_step */
    const float **opt_grads;
    float *stats_copy;              /* the running statistics before a step */
    size_t stats_floats;
    Rng rng;                        /* dropout masks */
    size_t steps;
    float lr;
};

TrainOptions train_defaults(void)
{
    return (TrainOptions){.batch = 64, .lr = 0.05f, .momentum = 0.9f, .optimizer = OPTIM_SGD, .seed = 1};
}

/* ---- building ---- */

static bool is_buffer(const Net *net, const NetParam *p)
{
    for (size_t i = 0; i < net->count; i++)
        if (p == net->layers[i].running_mean || p == net->layers[i].running_var)
            return true;
    return false;
}

/* The layers a step can run backwards through, and the classes check. */
static Status check_layers(const Net *net, size_t classes, Error *err)
{
    const NetLayer *last = &net->layers[net->count - 1];
    for (size_t i = 0; i < net->count; i++) {
        const LayerSpec *l = &net->layers[i].spec;
        if ((l->type == SPEC_SOFTMAX || l->type == SPEC_LOGSOFTMAX) && !l->dim_none && l->dim == 0)
            return error_set(err, CS_ERR_RANGE,
                             "layer %zu (%s: %s): a softmax over dim 0 mixes the images of a batch; "
                             "training needs dim=1", i + 1, l->name, l->text);
        if (l->type == SPEC_FLATTEN && l->start_dim == 0)
            return error_set(err, CS_ERR_RANGE,
                             "layer %zu (%s: %s): Flatten(start_dim=0) mixes the images of a batch; "
                             "training needs start_dim=1", i + 1, l->name, l->text);
    }
    if (!last->flat || last->c != classes) {
        char shape[64];
        net_shape_text(net, net->count - 1, shape, sizeof shape);
        return error_set(err, CS_ERR_SHAPE,
                         "the network ends in %s, not %zu class scores for %zu labels (end with "
                         "Flatten() and Linear(..., %zu))", shape, classes, classes, classes);
    }
    return CS_OK;
}

static Status train_alloc(Trainer *t, Error *err)
{
    const Net *net = &t->net;
    size_t b = t->batch;
    t->layers = calloc(net->count, sizeof *t->layers);
    t->input = calloc(b * t->in_values, sizeof *t->input);
    t->offset = calloc(net->n_params, sizeof *t->offset);
    t->opt_params = calloc(net->n_params, sizeof *t->opt_params);
    t->opt_grads = calloc(net->n_params, sizeof *t->opt_grads);
    if (!t->layers || !t->input || !t->offset || !t->opt_params || !t->opt_grads)
        return error_set(err, CS_ERR_NOMEM, "out of memory for the training buffers");
    for (size_t i = 0; i < net->count; i++) {
        const NetLayer *L = &net->layers[i];
        TrainLayer *T = &t->layers[i];
        T->values = L->flat ? L->c : L->c * L->h * L->w;
        T->out = calloc(b * T->values, sizeof *T->out);
        T->grad = calloc(b * T->values, sizeof *T->grad);
        if (!T->out || !T->grad)
            return error_set(err, CS_ERR_NOMEM, "out of memory for layer %zu's batch of %zu", i + 1, b);
        if (L->spec.type == SPEC_DROPOUT && !(T->mask = calloc(b * T->values, sizeof *T->mask)))
            return error_set(err, CS_ERR_NOMEM, "out of memory for layer %zu's dropout mask", i + 1);
        if (L->spec.type == SPEC_BATCHNORM2D) {
            T->save_mean = calloc(L->c, sizeof *T->save_mean);
            T->save_invstd = calloc(L->c, sizeof *T->save_invstd);
            if (!T->save_mean || !T->save_invstd)
                return error_set(err, CS_ERR_NOMEM, "out of memory for layer %zu's statistics", i + 1);
        }
    }
    if (net->layers[0].spec.type == SPEC_BATCHNORM2D && !(t->input_grad = calloc(b * t->in_values, sizeof(float))))
        return error_set(err, CS_ERR_NOMEM, "out of memory for the training buffers");
    t->first_image = calloc(t->in_values, sizeof(float));
    t->first_grad = calloc(t->layers[0].values, sizeof(float));
    if (!t->first_image || !t->first_grad)
        return error_set(err, CS_ERR_NOMEM, "out of memory for the training buffers");
    size_t largest = 0;
    for (size_t i = 0; i < net->n_params; i++) {
        size_t count = tensor_count(&net->params[i].t);
        largest = count > largest ? count : largest;
        if (is_buffer(net, &net->params[i])) {
            t->offset[i] = SIZE_MAX;
            t->stats_floats += count;
        } else {
            t->offset[i] = t->trainable;
            t->trainable += count;
        }
    }
    t->grad = calloc(t->trainable + 1, sizeof *t->grad);
    t->chunk_grad = calloc(t->chunks * t->trainable + 1, sizeof *t->chunk_grad);
    t->zeros = calloc(largest + 1, sizeof *t->zeros);
    t->stats_copy = calloc(t->stats_floats + 1, sizeof *t->stats_copy);
    if (!t->grad || !t->chunk_grad || !t->zeros || !t->stats_copy)
        return error_set(err, CS_ERR_NOMEM, "out of memory for the gradients");
    return CS_OK;
}

static Status train_optimiser(Trainer *t, Error *err)
{
    const Net *net = &t->net;
    size_t n = 0, counts[net->n_params + 1];
    for (size_t i = 0; i < net->n_params; i++) {
        if (t->offset[i] == SIZE_MAX)
            continue;
        t->opt_params[n] = net->params[i].t.data;
        t->opt_grads[n] = t->grad + t->offset[i];
        counts[n++] = tensor_count(&net->params[i].t);
    }
    OptimOptions oo = {
        .kind = t->o.optimizer, .lr = t->o.lr, .momentum = t->o.momentum,
        .weight_decay = t->o.weight_decay, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
    };
    if (t->o.optimizer == OPTIM_ADAM)
        oo.momentum = 0.0f;
    return optim_create(&oo, n, counts, &t->optim, err);
}

Status trainer_create(const LayerStack *stack, size_t c, size_t h, size_t w, size_t classes,
                      const TrainOptions *o, Trainer **out, Error *err)
{
    *out = NULL;
    if (o->batch == 0 || o->batch > 65536)
        return error_set(err, CS_ERR_RANGE, "the batch size must be 1 to 65536, got %zu", o->batch);
    if (!(o->lr > 0.0f) || !isfinite(o->lr))
        return error_set(err, CS_ERR_RANGE, "the learning rate must be a positive number, got %g", (double)o->lr);
    if (classes < 2 || classes > 256)
        return error_set(err, CS_ERR_RANGE, "training needs 2 to 256 classes, got %zu", classes);
    Trainer *t = calloc(1, sizeof *t);
    if (!t)
        return error_set(err, CS_ERR_NOMEM, "out of memory for a trainer");
    t->o = *o;
    t->classes = classes;
    t->batch = o->batch;
    t->lr = o->lr;
    t->in_values = c * h * w;
    t->chunks = (o->batch + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    rng_seed(&t->rng, o->seed ^ 0x9e3779b97f4a7c15ull);
    Status st = net_build(stack, c, h, w, &t->net, err);
    if (st == CS_OK)
        st = check_layers(&t->net, classes, err);
    if (st == CS_OK)
        st = train_alloc(t, err);
    if (st == CS_OK) {
        net_init_default(&t->net, o->seed);
        st = train_optimiser(t, err);
    }
    if (st != CS_OK) {
        trainer_free(t);
        return st;
    }
    *out = t;
    return CS_OK;
}

void trainer_free(Trainer *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->layers && i < t->net.count; i++) {
        TrainLayer *T = &t->layers[i];
        free(T->out);
        free(T->grad);
        free(T->mask);
        free(T->save_mean);
        free(T->save_invstd);
    }
    free(t->layers);
    optim_free(t->optim);
    net_free(&t->net);
    free(t->input);
    free(t->input_grad);
    free(t->first_image);
    free(t->first_grad);
    free(t->offset);
    free(t->grad);
    free(t->chunk_grad);
    free(t->zeros);
    free(t->opt_params);
    free(t->opt_grads);
    free(t->stats_copy);
    free(t);
}

/* ---- shapes of one layer's data ---- */

/* The batch tensor of n images of layer i's input (i = 0: the images) or
 * output, C x H x W each (a flat output: 1 x 1 x F). */
static Tensor batch_view(const Trainer *t, size_t i, bool input, float *data, size_t n)
{
    const Net *net = &t->net;
    if (input && i == 0)
        return (Tensor){n, net->in_c, net->in_h, net->in_w, 4, data};
    const NetLayer *L = &net->layers[input ? i - 1 : i];
    if (L->flat)
        return (Tensor){n, 1, 1, L->c, 4, data};
    return (Tensor){n, L->c, L->h, L->w, 4, data};
}

/* The same data as planes: 1 x (N*C) x H x W, as pooling takes a batch. */
static Tensor planes_view(Tensor b)
{
    return (Tensor){1, b.n * b.c, b.h, b.w, 3, b.data};
}

static float *layer_in(Trainer *t, size_t i)
{
    return i ? t->layers[i - 1].out : t->input;
}

/* The gradient of layer i's input; NULL for the first layer's (the images
 * need none) unless that layer is a BatchNorm2d. */
static float *layer_in_grad(Trainer *t, size_t i)
{
    return i ? t->layers[i - 1].grad : t->input_grad;
}

static size_t in_values(const Trainer *t, size_t i)
{
    return i ? t->layers[i - 1].values : t->in_values;
}

/* ---- chunked layers: convolutions and Linear ---- */

typedef struct ChunkRun {
    Trainer *t;
    size_t layer, n;
    bool backward;
    Status *status;                 /* per chunk */
    Error *error;                   /* per chunk */
} ChunkRun;

static float *chunk_block(const Trainer *t, size_t chunk, const NetParam *p)
{
    return t->chunk_grad + chunk * t->trainable + t->offset[p - t->net.params];
}

static Status chunk_conv(const ChunkRun *r, size_t chunk, size_t a, size_t m, Error *err)
{
    Trainer *t = r->t;
    const size_t i = r->layer;
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    const size_t iv = in_values(t, i);
    Tensor x = batch_view(t, i, true, layer_in(t, i) + a * iv, m);
    Tensor y = batch_view(t, i, false, T->out + a * T->values, m);
    if (!r->backward)
        return conv_forward_batch(&x, &L->weight->t, L->bias ? &L->bias->t : NULL, &L->spec.conv, &y, err);
    Tensor dy = batch_view(t, i, false, T->grad + a * T->values, m);
    Tensor dx = batch_view(t, i, true, i ? t->layers[i - 1].grad + a * iv : NULL, m);
    Tensor dw = L->weight->t, db = {0};
    dw.data = chunk_block(t, chunk, L->weight);
    if (L->bias) {
        db = L->bias->t;
        db.data = chunk_block(t, chunk, L->bias);
    }
    return conv_backward(&x, &L->weight->t, &L->spec.conv, &dy, i ? &dx : NULL, &dw, L->bias ? &db : NULL, err);
}

static void chunk_linear(const ChunkRun *r, size_t chunk, size_t a, size_t m)
{
    Trainer *t = r->t;
    const size_t i = r->layer;
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    const size_t in = in_values(t, i);
    const float *x = layer_in(t, i) + a * in;
    if (!r->backward) {
        linear_forward_batch(x, m, in, L->weight->t.data, L->bias ? L->bias->t.data : NULL, L->c,
                             T->out + a * T->values);
        return;
    }
    linear_backward(x, L->weight->t.data, T->grad + a * T->values, m, in, L->c,
                    i ? t->layers[i - 1].grad + a * in : NULL, chunk_block(t, chunk, L->weight),
                    L->bias ? chunk_block(t, chunk, L->bias) : NULL);
}

static void chunk_task(void *ctx, size_t chunk, size_t worker)
{
    const ChunkRun *r = ctx;
    const size_t a = chunk * TRAIN_CHUNK, m = r->n - a < TRAIN_CHUNK ? r->n - a : TRAIN_CHUNK;
    (void)worker;
    r->status[chunk] = CS_OK;
    if (r->t->net.layers[r->layer].spec.type == SPEC_LINEAR)
        chunk_linear(r, chunk, a, m);
    else
        r->status[chunk] = chunk_conv(r, chunk, a, m, &r->error[chunk]);
}

/* Runs layer i (a convolution or Linear) forward or backward over n images
 * in chunks, on the pool; fails with the first failing chunk's error. */
static Status run_chunks(Trainer *t, size_t i, size_t n, bool backward, Threads *threads, Error *err)
{
    const size_t chunks = (n + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    ChunkRun r = {t, i, n, backward, calloc(chunks, sizeof(Status)), calloc(chunks, sizeof(Error))};
    Status st = CS_OK;
    if (!r.status || !r.error)
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    else
        threads_run(threads, chunks, chunk_task, &r);
    for (size_t k = 0; k < chunks && st == CS_OK; k++)
        if ((st = r.status[k]) != CS_OK)
            *err = r.error[k];
    free(r.status);
    free(r.error);
    return st;
}

/* ---- forward ---- */

/* Softmax's lines in one image: outer x n x inner values around its dim
 * (dim counts the batch dimension, as PyTorch's does; check_layers refused
 * dim 0). */
static void softmax_dims(const NetLayer *L, size_t *outer, size_t *n, size_t *inner)
{
    const size_t shape[3] = {L->c, L->h, L->w};
    const int rank = L->flat ? 1 : 3;       /* without the batch dimension */
    int d = L->spec.dim_none ? 1 : L->spec.dim < 0 ? L->spec.dim + rank + 1 : L->spec.dim;
    *outer = *inner = 1;
    for (int k = 0; k < d - 1; k++)
        *outer *= shape[k];
    *n = shape[d - 1];
    for (int k = d; k < rank; k++)
        *inner *= shape[k];
}

static Status pool_layer(Trainer *t, size_t i, size_t n, bool backward, Threads *threads, Error *err)
{
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    Tensor x = planes_view(batch_view(t, i, true, layer_in(t, i), n));
    const bool adaptive = L->spec.type == SPEC_ADAPTIVE_AVGPOOL2D || L->spec.type == SPEC_ADAPTIVE_MAXPOOL2D;
    const PoolMode mode = L->spec.type == SPEC_ADAPTIVE_MAXPOOL2D ? POOL_MAX : POOL_AVG;
    Status st;
    if (backward) {
        Tensor dy = planes_view(batch_view(t, i, false, T->grad, n));
        Tensor dx = planes_view(batch_view(t, i, true, layer_in_grad(t, i), n));
        return adaptive ? pool_adaptive_backward(&x, mode, &dy, &dx, err)
                        : pool_backward(&x, &L->spec.pool, &dy, &dx, err);
    }
    if (!adaptive) {
        Tensor y = planes_view(batch_view(t, i, false, T->out, n));
        return pool_forward_into(&x, &L->spec.pool, threads, &y, err);
    }
    Tensor y = {0};
    st = pool_adaptive_forward(&x, mode, L->h, L->w, &y, err);
    if (st == CS_OK)
        memcpy(T->out, y.data, n * T->values * sizeof(float));
    tensor_free(&y);
    return st;
}

static void norm_forward(Trainer *t, size_t i, size_t n, bool training)
{
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    const float *x = layer_in(t, i), *w = L->weight ? L->weight->t.data : NULL;
    const float *b = L->bias ? L->bias->t.data : NULL;
    const size_t plane = L->h * L->w;
    float *mean = L->running_mean ? L->running_mean->t.data : NULL;
    float *var = L->running_var ? L->running_var->t.data : NULL;
    if (training) {
        /* momentum=None: the cumulative average over the steps so far */
        float momentum = L->spec.momentum < 0.0f ? 1.0f / (float)(t->steps + 1) : L->spec.momentum;
        norm_batch_train_forward(x, n, L->c, plane, w, b, L->spec.eps, momentum, mean, var, T->out,
                                 T->save_mean, T->save_invstd);
        return;
    }
    for (size_t k = 0; k < n; k++)
        norm_batch_forward(x + k * T->values, L->c, plane, mean, var, w, b, L->spec.eps, T->out + k * T->values);
}

/* Layer i forward on n images; training picks BatchNorm2d's batch
 * statistics and Dropout's masks. */
static Status layer_forward(Trainer *t, size_t i, size_t n, bool training, Threads *threads, Error *err)
{
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    const float *x = layer_in(t, i);
    const size_t count = n * T->values;
    switch (L->spec.type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
    case SPEC_LINEAR:
        return run_chunks(t, i, n, false, threads, err);
    case SPEC_MAXPOOL2D:
    case SPEC_AVGPOOL2D:
    case SPEC_ADAPTIVE_AVGPOOL2D:
    case SPEC_ADAPTIVE_MAXPOOL2D:
        return pool_layer(t, i, n, false, threads, err);
    case SPEC_BATCHNORM2D:
        if (training && n * L->h * L->w == 1)
            return error_set(err, CS_ERR_RANGE,
                             "BatchNorm2d needs more than one value per channel to train (a batch of 1 of a 1x1 "
                             "map), as PyTorch refuses too");
        norm_forward(t, i, n, training);
        return CS_OK;
    case SPEC_SOFTMAX:
    case SPEC_LOGSOFTMAX: {
        size_t outer, m, inner;
        softmax_dims(L, &outer, &m, &inner);
        memcpy(T->out, x, count * sizeof(float));
        act_softmax(T->out, n * outer, m, inner, L->spec.type == SPEC_LOGSOFTMAX);
        return CS_OK;
    }
    case SPEC_DROPOUT:
        if (!training || L->spec.dropout_p == 0.0f) {
            memcpy(T->out, x, count * sizeof(float));
            return CS_OK;
        }
        dropout_mask(&t->rng, L->spec.dropout_p, count, L->spec.dropout_planes ? L->h * L->w : 1, T->mask);
        for (size_t k = 0; k < count; k++)
            T->out[k] = x[k] * T->mask[k];
        return CS_OK;
    default:
        /* Flatten, Identity and the element-wise activations */
        act_apply_array(L->spec.act, x, T->out, count);
        return CS_OK;
    }
}

static Status train_forward(Trainer *t, size_t n, bool training, Threads *threads, Error *err)
{
    for (size_t i = 0; i < t->net.count; i++) {
        Status st = layer_forward(t, i, n, training, threads, err);
        if (st != CS_OK) {
            const LayerSpec *l = &t->net.layers[i].spec;
            Error inner = *err;
            return error_set(err, st, "layer %zu (%s: %s): %s", i + 1, l->name, l->text, inner.message);
        }
    }
    return CS_OK;
}

/* ---- backward ---- */

static Status layer_backward(Trainer *t, size_t i, size_t n, Threads *threads, Error *err)
{
    NetLayer *L = &t->net.layers[i];
    TrainLayer *T = &t->layers[i];
    const float *x = layer_in(t, i), *dy = T->grad;
    float *dx = layer_in_grad(t, i);
    const size_t count = n * T->values;
    switch (L->spec.type) {
    case SPEC_CONV2D:
    case SPEC_CONV_TRANSPOSE2D:
    case SPEC_LINEAR:
        return run_chunks(t, i, n, true, threads, err);
    default:
        break;
    }
    if (!dx)
        return CS_OK; /* a first layer without parameters: nothing before it needs a gradient */
    switch (L->spec.type) {
    case SPEC_MAXPOOL2D:
    case SPEC_AVGPOOL2D:
    case SPEC_ADAPTIVE_AVGPOOL2D:
    case SPEC_ADAPTIVE_MAXPOOL2D:
        return pool_layer(t, i, n, true, threads, err);
    case SPEC_BATCHNORM2D:
        norm_batch_backward(x, dy, n, L->c, L->h * L->w, L->weight ? L->weight->t.data : NULL, T->save_mean,
                            T->save_invstd, true, dx, L->weight ? chunk_block(t, 0, L->weight) : NULL,
                            L->bias ? chunk_block(t, 0, L->bias) : NULL);
        return CS_OK;
    case SPEC_SOFTMAX:
    case SPEC_LOGSOFTMAX: {
        size_t outer, m, inner;
        softmax_dims(L, &outer, &m, &inner);
        act_softmax_backward(T->out, dy, n * outer, m, inner, L->spec.type == SPEC_LOGSOFTMAX, dx);
        return CS_OK;
    }
    case SPEC_DROPOUT:
        if (L->spec.dropout_p == 0.0f) {
            memcpy(dx, dy, count * sizeof(float)); /* the forward drew no mask */
            return CS_OK;
        }
        for (size_t k = 0; k < count; k++)
            dx[k] = dy[k] * T->mask[k];
        return CS_OK;
    default:
        if (L->spec.act.kind == ACT_NONE)
            memcpy(dx, dy, count * sizeof(float));
        else
            act_backward(L->spec.act, x, dy, count, dx);
        return CS_OK;
    }
}

static Status train_backward(Trainer *t, size_t n, Threads *threads, Error *err)
{
    memset(t->chunk_grad, 0, t->chunks * t->trainable * sizeof(float));
    for (size_t i = t->net.count; i-- > 0;) {
        Status st = layer_backward(t, i, n, threads, err);
        if (st != CS_OK) {
            const LayerSpec *l = &t->net.layers[i].spec;
            Error inner = *err;
            return error_set(err, st, "layer %zu (%s: %s), backward: %s", i + 1, l->name, l->text,
                             inner.message);
        }
    }
    const size_t chunks = (n + TRAIN_CHUNK - 1) / TRAIN_CHUNK;
    memcpy(t->grad, t->chunk_grad, t->trainable * sizeof(float));
    for (size_t k = 1; k < chunks; k++) {
        const float *block = t->chunk_grad + k * t->trainable;
        for (size_t j = 0; j < t->trainable; j++)
            t->grad[j] += block[j];
    }
    return CS_OK;
}

/* ---- steps ---- */

/* Copies the running statistics into (save) or back from (!save) the copy. */
static void running_stats(Trainer *t, bool save)
{
    size_t at = 0;
    for (size_t i = 0; i < t->net.n_params; i++) {
        if (t->offset[i] != SIZE_MAX)
            continue;
        Tensor *p = &t->net.params[i].t;
        size_t count = tensor_count(p);
        if (save)
            memcpy(t->stats_copy + at, p->data, count * sizeof(float));
        else
            memcpy(p->data, t->stats_copy + at, count * sizeof(float));
        at += count;
    }
}

static Status check_batch(const Trainer *t, const uint8_t *labels, size_t n, Error *err)
{
    if (n == 0 || n > t->batch)
        return error_set(err, CS_ERR_RANGE, "a step takes 1 to %zu images, got %zu", t->batch, n);
    for (size_t k = 0; labels && k < n; k++)
        if (labels[k] >= t->classes)
            return error_set(err, CS_ERR_RANGE, "image %zu of the batch has label %u, but there are %zu classes",
                             k + 1, labels[k], t->classes);
    return CS_OK;
}

Status trainer_step(Trainer *t, const float *images, const uint8_t *labels, size_t n,
                    Threads *threads, TrainStats *stats, Error *err)
{
    Status st = check_batch(t, labels, n, err);
    if (st != CS_OK)
        return st;
    TrainLayer *last = &t->layers[t->net.count - 1];
    memcpy(t->input, images, n * t->in_values * sizeof(float));
    running_stats(t, true);
    if ((st = train_forward(t, n, true, threads, err)) != CS_OK)
        return st;
    *stats = (TrainStats){.count = n};
    stats->loss = loss_cross_entropy(last->out, n, t->classes, labels, last->grad, &stats->correct);
    if (!isfinite(stats->loss)) {
        running_stats(t, false);
        return error_set(err, CS_ERR_RANGE,
                         "the loss is %s at step %zu: kept the weights of step %zu (is the learning rate %g too high?)",
                         isnan(stats->loss) ? "NaN" : "infinite", t->steps + 1, t->steps, (double)t->lr);
    }
    if ((st = train_backward(t, n, threads, err)) != CS_OK) {
        running_stats(t, false);
        return st;
    }
    optim_step(t->optim, t->opt_params, t->opt_grads);
    memcpy(t->first_image, t->input, t->in_values * sizeof(float));
    memcpy(t->first_grad, t->layers[0].grad, t->layers[0].values * sizeof(float));
    t->last_n = n;
    t->steps++;
    return CS_OK;
}

Status trainer_evaluate(Trainer *t, const float *images, const uint8_t *labels, size_t n,
                        Threads *threads, TrainStats *stats, float *probs, Error *err)
{
    TrainLayer *last = &t->layers[t->net.count - 1];
    double loss_sum = 0.0;
    Status st = CS_OK;
    *stats = (TrainStats){0};
    for (size_t a = 0; a < n && st == CS_OK; a += t->batch) {
        size_t m = n - a < t->batch ? n - a : t->batch, correct = 0;
        if ((st = check_batch(t, labels + a, m, err)) != CS_OK)
            break;
        memcpy(t->input, images + a * t->in_values, m * t->in_values * sizeof(float));
        if ((st = train_forward(t, m, false, threads, err)) != CS_OK)
            break;
        loss_sum += loss_cross_entropy(last->out, m, t->classes, labels + a, NULL, &correct) * (double)m;
        stats->correct += correct;
        stats->count += m;
        if (probs) {
            memcpy(probs + a * t->classes, last->out, m * t->classes * sizeof(float));
            act_softmax(probs + a * t->classes, m, t->classes, 1, false);
        }
    }
    stats->loss = stats->count ? loss_sum / (double)stats->count : 0.0;
    return st;
}

/* ---- what the window and the command line read ---- */

const Net *trainer_net(const Trainer *t)
{
    return &t->net;
}

const float *trainer_grad(const Trainer *t, size_t i)
{
    return t->offset[i] == SIZE_MAX ? t->zeros : t->grad + t->offset[i];
}

Status trainer_first_layer_error(const Trainer *t, Tensor *image, Tensor *grad_output, Error *err)
{
    const NetLayer *L = &t->net.layers[0];
    if (t->last_n == 0)
        return error_set(err, CS_ERR_RANGE, "no training step has run yet");
    if (L->spec.type != SPEC_CONV2D)
        return error_set(err, CS_ERR_RANGE, "the first layer is %s, not a Conv2d", L->spec.text);
    Status st = tensor_init(image, 1, t->net.in_c, t->net.in_h, t->net.in_w, 3, err);
    if (st == CS_OK)
        st = tensor_init(grad_output, 1, L->c, L->h, L->w, 3, err);
    if (st != CS_OK) {
        tensor_free(image);
        return st;
    }
    memcpy(image->data, t->first_image, t->in_values * sizeof(float));
    memcpy(grad_output->data, t->first_grad, t->layers[0].values * sizeof(float));
    return CS_OK;
}

void trainer_set_lr(Trainer *t, float lr)
{
    t->lr = lr;
    optim_set_lr(t->optim, lr);
}

float trainer_lr(const Trainer *t)
{
    return t->lr;
}

size_t trainer_steps(const Trainer *t)
{
    return t->steps;
}

/* The parameters in state_dict order, with NAME.num_batches_tracked after
 * each BatchNorm2d's running_var (PyTorch counts the training batches
 * there; a strict load_state_dict wants it). */
Status trainer_save(const Trainer *t, const char *path, bool overwrite, Error *err)
{
    const Net *net = &t->net;
    const int64_t tracked = (int64_t)t->steps;
    size_t n = 0, norms = 0;
    for (size_t i = 0; i < net->count; i++)
        norms += net->layers[i].running_var != NULL;
    SafetensorsEntry *e = calloc(net->n_params + norms + 1, sizeof *e);
    char (*names)[NET_PARAM_NAME_SIZE + 32] = calloc(norms + 1, sizeof *names);
    if (!e || !names) {
        free(e);
        free(names);
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < net->count; i++) {
        const NetLayer *L = &net->layers[i];
        const NetParam *own[4] = {L->weight, L->bias, L->running_mean, L->running_var};
        for (size_t j = 0; j < 4; j++)
            if (own[j])
                e[n++] = (SafetensorsEntry){own[j]->name, false, own[j]->rank, own[j]->shape, own[j]->t.data};
        if (L->running_var) {
            snprintf(names[k], sizeof names[k], "%s.num_batches_tracked", L->spec.name);
            e[n++] = (SafetensorsEntry){names[k++], true, 0, NULL, &tracked};
        }
    }
    Status st = safetensors_write(path, e, n, overwrite, err);
    free(e);
    free(names);
    return st;
}
