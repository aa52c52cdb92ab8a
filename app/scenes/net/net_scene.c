/* net_scene.c: the network scene's model (see net_scene.h). Reading order:
 * building (the spec, the input, the net and its weights, the labels), the
 * cards and their numbers, the classifier's classes, the steps and cells,
 * the drill-down. Every number comes from core: the forward pass
 * (net_forward), resampling (resize_antialias), --normalize
 * (normalize_apply) and softmax (act_softmax); this file only gathers
 * ranges, means and orders of what they computed. */
#include "net_scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "format.h"
#include "net_job.h"
#include "normalize.h"
#include "resize.h"
#include "stack.h"
#include "weights.h"

/* ------------------------------------------------------------- helpers */

static char *dup_or_null(const char *text, bool *failed)
{
    if (!text)
        return NULL;
    char *d = strdup(text);
    if (!d)
        *failed = true;
    return d;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Layers whose output is their input's values: they fold into the card
 * before them. */
static bool folds(const LayerSpec *l)
{
    return l->type == SPEC_DROPOUT || l->type == SPEC_IDENTITY || l->type == SPEC_FLATTEN;
}

/* ------------------------------------------------------------- building */

/* The labels file, one class per line (a trailing empty line is not one). */
static Status read_labels(NetScene *s, const char *path, Error *err)
{
    char arg[4200];
    Error e = {0};
    snprintf(arg, sizeof arg, "@%s", path);
    if (stack_read_spec(arg, &s->label_text, &e) != CS_OK)
        return error_set(err, CS_ERR_IO, "--labels: %s", e.message);
    size_t n = 0;
    for (char *p = s->label_text; *p; p++)
        n += *p == '\n';
    if (!(s->label = calloc(n + 1, sizeof *s->label)))
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    for (char *p = s->label_text, *next; *p; p = next) {
        char *end = strchr(p, '\n');
        next = end ? end + 1 : p + strlen(p);
        if (end)
            *end = '\0';
        if (end && end > p && end[-1] == '\r')
            end[-1] = '\0';
        s->label[s->n_labels++] = p;
    }
    return CS_OK;
}

/* The input as the network takes it: the picture resampled to
 * --input-size, then normalised. */
static Status prepare_input(NetScene *s, const Tensor *picture, Error *err)
{
    Status st;
    if (s->size_h > 0) {
        if ((st = resize_antialias(picture, (size_t)s->size_h, (size_t)s->size_w, &s->picture, err)) != CS_OK)
            return st;
    } else if ((st = tensor_copy(&s->picture, picture, err)) != CS_OK) {
        return st;
    }
    s->picture.n = 1;
    if ((st = tensor_copy(&s->input, &s->picture, err)) != CS_OK)
        return st;
    if (s->normalize) {
        Normalize n;
        if ((st = normalize_parse(s->normalize, &n, err)) != CS_OK ||
            (st = normalize_apply(&n, &s->input, err)) != CS_OK)
            return st;
    }
    return CS_OK;
}

/* The network on the input with its parameters: the weights file
 * (strictly) or PyTorch's default initialisation from the seed. */
static Status prepare_net(NetScene *s, Error *err)
{
    Error e = {0};
    char *text = NULL;
    Status st = stack_read_spec(s->layers, &text, err);
    if (st != CS_OK)
        return st;
    st = spec_parse(text, &s->spec, &e);
    free(text);
    if (st != CS_OK)
        return error_set(err, st, "%s: %s", s->source, e.message);
    const Tensor *in = &s->input;
    if ((st = net_build(&s->spec, in->c, in->h, in->w, &s->net, &e)) != CS_OK)
        return error_set(err, st, "%s with a %zux%zux%zu input: %s", s->source, in->c, in->h, in->w, e.message);
    if (!(s->rf = calloc(s->spec.count ? s->spec.count : 1, sizeof *s->rf)))
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    if ((st = rf_compute(&s->spec, in->h, in->w, in->c, s->rf, &e)) != CS_OK)
        return error_set(err, st, "%s with a %zux%zux%zu input: %s", s->source, in->c, in->h, in->w, e.message);
    if (!s->weights) {
        net_init_default(&s->net, s->seed);
        snprintf(s->weights_name, sizeof s->weights_name, "default init, seed %llu", (unsigned long long)s->seed);
        return CS_OK;
    }
    WeightsFile w = {0};
    if ((st = weights_read(s->weights, &w, err)) != CS_OK)
        return st;
    st = net_load_weights(&s->net, &w, &e);
    weights_free(&w);
    if (st != CS_OK)
        return error_set(err, st, "%s does not fit the layers: %s", s->weights, e.message);
    snprintf(s->weights_name, sizeof s->weights_name, "%s", base_name(s->weights));
    return CS_OK;
}

/* ------------------------------------------------------------- cards */

/* Ranges, means and the order of card g's values. */
static Status card_numbers(NetCard *g, Error *err)
{
    const Tensor *t = g->values;
    size_t plane = g->flat ? 1 : g->h * g->w;
    g->mean = malloc(g->c * sizeof *g->mean);
    g->order = malloc(g->c * sizeof *g->order);
    if (!g->mean || !g->order)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    g->lo = INFINITY;
    g->hi = -INFINITY;
    for (size_t c = 0; c < g->c; c++) {
        const float *p = t->data + c * plane;
        double sum = 0.0;
        for (size_t i = 0; i < plane; i++) {
            if (p[i] < g->lo)
                g->lo = p[i];
            if (p[i] > g->hi)
                g->hi = p[i];
            sum += p[i];
        }
        g->mean[c] = (float)(sum / (double)plane);
        g->order[c] = (int)c;
    }
    if (!(g->lo <= g->hi))   /* NaN everywhere */
        g->lo = g->hi = 0.0f;
    g->is_signed = g->lo < 0.0f;
    /* insertion sort by mean, largest first (stable: ties keep channel order);
       a few thousand channels at most */
    for (size_t i = 1; i < g->c; i++) {
        int v = g->order[i];
        size_t k = i;
        while (k > 0 && g->mean[g->order[k - 1]] < g->mean[v]) {
            g->order[k] = g->order[k - 1];
            k--;
        }
        g->order[k] = v;
    }
    return CS_OK;
}

/* Card 0 (the input) and one card per layer that does not fold. */
static Status make_cards(NetScene *s, Error *err)
{
    const Net *net = &s->net;
    if (!(s->cards = calloc(net->count + 1, sizeof *s->cards)))
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    NetCard *in = &s->cards[0];
    in->c = s->input.c;
    in->h = s->input.h;
    in->w = s->input.w;
    in->values = &s->input;
    s->n_cards = 1;
    for (size_t i = 0; i < net->count; i++) {
        const NetLayer *L = &net->layers[i];
        NetCard *g = &s->cards[s->n_cards - 1];
        if (folds(&L->spec) && s->n_cards > 1) {
            /* the same values: the card keeps its own layer's shape (a
               Flatten's vector is the map it flattens, in C,H,W order) */
            size_t used = strlen(g->folded);
            snprintf(g->folded + used, sizeof g->folded - used, "%s%s", used ? ", " : "",
                     spec_type_name(L->spec.type));
            g->last = i;
            continue;
        }
        g = &s->cards[s->n_cards++];
        g->layer = g->last = i;
        g->flat = L->flat;
        g->c = L->c;
        g->h = L->flat ? 1 : L->h;
        g->w = L->flat ? 1 : L->w;
        g->values = &L->out;
    }
    for (size_t j = 0; j < s->n_cards; j++) {
        Status st = card_numbers(&s->cards[j], err);
        if (st != CS_OK)
            return st;
    }
    return CS_OK;
}

/* The classifier's top classes: the last card a vector of scores, its
 * probabilities a softmax (Softmax: as they are; LogSoftmax:
 * exponentiated; else softmax taken here, through act_softmax). */
static Status find_top(NetScene *s, Error *err)
{
    const NetLayer *last = &s->net.layers[s->net.count - 1];
    s->classifier = last->flat;
    if (!s->classifier) {
        if (s->labels)
            return error_set(err, CS_ERR_SHAPE, "--labels %s: the last layer (%s) gives a %zux%zux%zu map, not "
                             "class scores", s->labels, last->spec.name, last->c, last->h, last->w);
        return CS_OK;
    }
    size_t n = last->c;
    if (s->labels && s->n_labels < n)
        return error_set(err, CS_ERR_SHAPE, "--labels %s has %zu labels, but the network gives %zu classes", s->labels,
                         s->n_labels, n);
    Tensor p = {0};
    Status st = tensor_copy(&p, &last->out, err);
    if (st != CS_OK)
        return st;
    if (last->spec.type == SPEC_LOGSOFTMAX)
        for (size_t i = 0; i < n; i++)
            p.data[i] = expf(p.data[i]);
    else if (last->spec.type != SPEC_SOFTMAX)
        act_softmax(p.data, 1, n, 1, false);
    s->n_top = n < NET_SCENE_TOP ? n : NET_SCENE_TOP;
    for (size_t k = 0; k < s->n_top; k++)
        s->top[k] = (NetTop){0, -1.0f, 0.0f};
    for (size_t i = 0; i < n; i++) {
        float v = p.data[i];
        size_t k = s->n_top;
        while (k > 0 && v > s->top[k - 1].probability) {
            if (k < s->n_top)
                s->top[k] = s->top[k - 1];
            k--;
        }
        if (k < s->n_top)
            s->top[k] = (NetTop){i, v, last->out.data[i]};
    }
    tensor_free(&p);
    return CS_OK;
}

static Status build(NetScene *s, const Tensor *picture, Error *err)
{
    Status st;
    if ((st = prepare_input(s, picture, err)) != CS_OK || (st = prepare_net(s, err)) != CS_OK)
        return st;
    if (s->labels && (st = read_labels(s, s->labels, err)) != CS_OK)
        return st;
    Error e = {0};
    if ((st = net_forward(&s->net, &s->input, &e)) != CS_OK)
        return error_set(err, st, "%s", e.message);
    if ((st = make_cards(s, err)) != CS_OK || (st = find_top(s, err)) != CS_OK)
        return st;
    s->shown = s->n_cards - 1;
    return CS_OK;
}

Status net_scene_create(const NetSource *src, const Tensor *picture, bool image, const char *name, NetScene **out,
                        Error *err)
{
    *out = NULL;
    NetScene *s = calloc(1, sizeof *s);
    if (!s)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    bool failed = false;
    s->layers = dup_or_null(src->layers, &failed);
    s->weights = dup_or_null(src->weights, &failed);
    s->labels = dup_or_null(src->labels, &failed);
    s->normalize = dup_or_null(src->normalize, &failed);
    s->size_h = src->size_h;
    s->size_w = src->size_w > 0 ? src->size_w : src->size_h;
    s->seed = src->seed;
    s->async_ms = NET_ASYNC_MS;
    s->image = image;
    snprintf(s->input_name, sizeof s->input_name, "%s", name);
    snprintf(s->source, sizeof s->source, "%s", src->layers && src->layers[0] == '@' ? base_name(src->layers + 1)
                                                                                       : "--layers");
    Status st = failed || !s->layers ? error_set(err, CS_ERR_NOMEM, "out of memory") : build(s, picture, err);
    if (st != CS_OK) {
        net_scene_destroy(s);
        return st;
    }
    *out = s;
    return CS_OK;
}

Status net_scene_rebuild(const NetScene *old, const Tensor *picture, bool image, const char *name, NetScene **out,
                         Error *err)
{
    NetSource src = {old->layers, old->weights, old->labels, old->normalize, old->size_h, old->size_w, old->seed};
    Status st = net_scene_create(&src, picture, image, name, out, err);
    if (st == CS_OK) {
        (*out)->sorted = old->sorted;
        (*out)->async_ms = old->async_ms;
        snprintf((*out)->source, sizeof (*out)->source, "%s", old->source);
    }
    return st;
}

void net_scene_destroy(NetScene *s)
{
    if (!s)
        return;
    net_job_abandon(s->pending);
    for (size_t j = 0; s->cards && j < s->n_cards; j++) {
        free(s->cards[j].mean);
        free(s->cards[j].order);
    }
    free(s->cards);
    free(s->label);
    free(s->label_text);
    net_free(&s->net);
    free(s->rf);
    spec_free(&s->spec);
    tensor_free(&s->picture);
    tensor_free(&s->input);
    free(s->layers);
    free(s->weights);
    free(s->labels);
    free(s->normalize);
    free(s);
}

/* ------------------------------------------------------------- steps and cells */

size_t net_scene_step_count(const NetScene *s)
{
    return s->n_cards;
}

size_t net_scene_step_index(const NetScene *s)
{
    return s->shown;
}

void net_scene_seek(NetScene *s, size_t index)
{
    s->shown = index < s->n_cards ? index : s->n_cards - 1;
}

int net_scene_channel_at(const NetScene *s, size_t j, size_t k)
{
    const NetCard *g = &s->cards[j];
    if (k >= g->c)
        return -1;
    return s->sorted ? g->order[k] : (int)k;
}

float net_scene_value(const NetScene *s, size_t j, int c, int y, int x)
{
    const NetCard *g = &s->cards[j];
    if (g->flat)
        return g->values->data[c];
    return g->values->data[((size_t)c * g->h + (size_t)y) * g->w + (size_t)x];
}

bool net_scene_cell_shown(const NetScene *s, const Target *t)
{
    if (!s || t->kind != TARGET_NET_CELL || t->f < 0 || (size_t)t->f > s->shown)
        return false;
    const NetCard *g = &s->cards[t->f];
    if (t->c < 0 || (size_t)t->c >= g->c)
        return false;
    return g->flat || (t->y >= 0 && t->x >= 0 && (size_t)t->y < g->h && (size_t)t->x < g->w);
}

/* r cut to [0, size - 1] (empty stays empty). */
static CellRange clip_range(CellRange r, size_t size)
{
    if (r.lo < 0)
        r.lo = 0;
    if (r.hi > (int)size - 1)
        r.hi = (int)size - 1;
    return r;
}

bool net_scene_fields(const NetScene *s, const Target *t, CellRange (*out)[2])
{
    if (!net_scene_cell_shown(s, t) || s->cards[t->f].flat)
        return false;
    const CellRange none = {0, -1};
    size_t f = (size_t)t->f;
    CellRange at[2] = {{t->y, t->y}, {t->x, t->x}};
    out[f][0] = at[0];
    out[f][1] = at[1];
    /* back: card k's layers (k.layer .. k.last, the folded ones map a range
       to itself) from the last to the first give card k - 1's cells;
       unclipped on the way, so padding does not shift the ranges. A folded
       Flatten (flat in rf.h, its "map" 1x1) does not move the cells of the
       map it flattens: skipped. */
    CellRange r[2] = {at[0], at[1]};
    for (size_t k = f; k > 0; k--) {
        const NetCard *g = &s->cards[k];
        for (size_t i = g->last + 1; i-- > g->layer;)
            for (int a = 0; a < 2 && !s->rf[i].flat; a++)
                r[a] = rf_range_back(&s->rf[i], a, r[a]);
        const NetCard *prev = &s->cards[k - 1];
        out[k - 1][0] = clip_range(r[0], prev->h);
        out[k - 1][1] = clip_range(r[1], prev->w);
    }
    /* forward: up to the first vector card */
    r[0] = at[0];
    r[1] = at[1];
    bool flat = false;
    for (size_t k = f + 1; k <= s->shown; k++) {
        const NetCard *g = &s->cards[k];
        flat = flat || g->flat;
        for (size_t i = g->layer; !flat && i <= g->last; i++)
            for (int a = 0; a < 2 && !s->rf[i].flat; a++)
                r[a] = rf_range_forward(&s->rf[i], a, r[a]);
        out[k][0] = flat ? none : clip_range(r[0], g->h);
        out[k][1] = flat ? none : clip_range(r[1], g->w);
    }
    for (size_t k = 0; k < f; k++)
        if (s->cards[k].flat) {
            out[k][0] = none;
            out[k][1] = none;
        }
    return true;
}

const char *net_scene_class_name(const NetScene *s, size_t i, char *buf, size_t size)
{
    if (i < s->n_labels && s->label[i][0])
        snprintf(buf, size, "%s", s->label[i]);
    else
        snprintf(buf, size, "class %zu", i);
    return buf;
}

const char *net_scene_card_title(const NetScene *s, size_t j, char *buf, size_t size)
{
    if (j == 0) {
        snprintf(buf, size, "input");
        return buf;
    }
    const LayerSpec *l = &s->net.layers[s->cards[j].layer].spec;
    const char *t = l->text;
    if (strncmp(t, "torch.", 6) == 0)
        t += 6;
    if (strncmp(t, "nn.", 3) == 0)
        t += 3;
    snprintf(buf, size, "%s: %s", l->name, t);
    return buf;
}

const char *net_scene_describe(const NetScene *s, const Target *t, char *buf, size_t size)
{
    char v[32], name[96];
    buf[0] = '\0';
    if (!net_scene_cell_shown(s, t))
        return buf;
    size_t j = (size_t)t->f;
    const NetCard *g = &s->cards[j];
    if (j == 0) {
        static const char *const rgb[3] = {"R", "G", "B"};
        size_t used = (size_t)snprintf(buf, size, "input row %d, column %d:", t->y, t->x);
        for (size_t c = 0; c < g->c && used < size; c++) {
            float raw = s->picture.data[(c * g->h + (size_t)t->y) * g->w + (size_t)t->x];
            if (s->image && g->c == 3)
                snprintf(name, sizeof name, "%s", rgb[c]);
            else
                snprintf(name, sizeof name, "c%zu", c);
            used += (size_t)snprintf(buf + used, size - used, "%s %s %s", c ? "," : "", name,
                                     format_number(raw, v, sizeof v));
        }
        if (s->normalize && used < size) {
            used += (size_t)snprintf(buf + used, size - used, " -> normalised");
            for (size_t c = 0; c < g->c && used < size; c++)
                used += (size_t)snprintf(buf + used, size - used, " %s",
                                         format_number(net_scene_value(s, 0, (int)c, t->y, t->x), v, sizeof v));
        }
        return buf;
    }
    const LayerSpec *l = &s->net.layers[g->layer].spec;
    float value = net_scene_value(s, j, t->c, t->y, t->x);
    format_number(value, v, sizeof v);
    if (g->flat && j + 1 == s->n_cards && s->classifier) {
        float p = -1.0f;
        for (size_t k = 0; k < s->n_top; k++)
            if (s->top[k].index == (size_t)t->c)
                p = s->top[k].probability;
        char pt[32] = "";
        if (p >= 0.0f)
            snprintf(pt, sizeof pt, ", probability %.1f%%", p * 100.0f);
        snprintf(buf, size, "%s (%s) %s: score %s%s", l->name, spec_type_name(l->type),
                 net_scene_class_name(s, (size_t)t->c, name, sizeof name), v, pt);
    } else if (g->flat) {
        snprintf(buf, size, "%s (%s) feature %d: %s", l->name, spec_type_name(l->type), t->c, v);
    } else {
        snprintf(buf, size, "%s (%s) channel %d, row %d, column %d: %s", l->name, spec_type_name(l->type), t->c, t->y,
                 t->x, v);
    }
    return buf;
}

/* ------------------------------------------------------------- drill-down */

/* Channels first..first+count-1 of the 1 x C x H x W tensor t into *out. */
static Status slice_channels(const Tensor *t, size_t first, size_t count, Tensor *out, Error *err)
{
    Status st = tensor_init(out, 1, count, t->h, t->w, 3, err);
    if (st == CS_OK)
        memcpy(out->data, tensor_at(t, 0, first, 0, 0), count * t->h * t->w * sizeof(float));
    return st;
}

Status net_scene_drill(const NetScene *s, size_t j, int c, int y, int x, int max_channels, int max_kernel,
                       NetDrill *d, Error *err)
{
    memset(d, 0, sizeof *d);
    if (j == 0 || j >= s->n_cards)
        return error_set(err, CS_ERR_RANGE, "the input has no layer to open: click a cell of a Conv2d or pooling card");
    const NetCard *g = &s->cards[j];
    size_t i = g->layer;
    const NetLayer *L = &s->net.layers[i];
    const LayerSpec *l = &L->spec;
    char title[200];
    net_scene_card_title(s, j, title, sizeof title);
    if (l->type == SPEC_CONV_TRANSPOSE2D)
        return error_set(err, CS_ERR_RANGE, "%s: the single-layer scene does not show transposed convolutions yet",
                         title);
    if (l->type != SPEC_CONV2D && l->type != SPEC_MAXPOOL2D && l->type != SPEC_AVGPOOL2D)
        return error_set(err, CS_ERR_RANGE, "%s: Enter opens a Conv2d, MaxPool2d or AvgPool2d cell", title);
    if (g->flat || c < 0 || (size_t)c >= L->c || y < 0 || x < 0 || (size_t)y >= L->h || (size_t)x >= L->w)
        return error_set(err, CS_ERR_RANGE, "%s has no cell (%d, %d) in channel %d", title, y, x, c);
    const Tensor *in = i == 0 ? &s->input : &s->net.layers[i - 1].out;
    d->out_y = y;
    d->out_x = x;
    d->expected = net_scene_value(s, j, c, y, x);
    Status st;
    if (l->type == SPEC_CONV2D) {
        size_t groups = (size_t)l->conv.groups, per_group = L->c / groups;
        size_t reads = (size_t)l->in_channels / groups, first = (size_t)c / per_group * reads;
        if ((int)reads > max_channels)
            return error_set(err, CS_ERR_LIMIT, "%s: filter %d reads %zu input channels; the single-layer scene "
                             "shows up to %d (the many-channel layout is a later issue)", title, c, reads,
                             max_channels);
        if (l->kernel_h > max_kernel || l->kernel_w > max_kernel)
            return error_set(err, CS_ERR_LIMIT, "%s: its %dx%d kernel is larger than the single-layer scene's %dx%d",
                             title, l->kernel_h, l->kernel_w, max_kernel, max_kernel);
        d->kind = LAYER_CONV;
        const Tensor *w = &L->weight->t;
        if ((st = slice_channels(in, first, reads, &d->input, err)) != CS_OK ||
            (st = tensor_init(&d->weights, 1, reads, w->h, w->w, 4, err)) != CS_OK) {
            net_drill_free(d);
            return st;
        }
        memcpy(d->weights.data, tensor_at(w, (size_t)c, 0, 0, 0), reads * w->h * w->w * sizeof(float));
        if (L->bias) {
            if ((st = tensor_init(&d->bias, 1, 1, 1, 1, 1, err)) != CS_OK) {
                net_drill_free(d);
                return st;
            }
            d->bias.data[0] = L->bias->t.data[c];
            d->has_bias = true;
        }
        d->conv = l->conv;
        d->conv.groups = 1;
        d->image = i == 0 && s->image && first == 0 && reads == s->input.c;
        if (reads == in->c)
            snprintf(d->input_name, sizeof d->input_name, "layer %.80s's input", l->name);
        else if (reads == 1)
            snprintf(d->input_name, sizeof d->input_name, "layer %.80s's input channel %zu", l->name, first);
        else
            snprintf(d->input_name, sizeof d->input_name, "layer %.80s's input channels %zu-%zu", l->name, first,
                     first + reads - 1);
        snprintf(d->kernel_name, sizeof d->kernel_name, "layer %.60s filter %d", l->name, c);
    } else {
        d->kind = LAYER_POOL;
        if ((st = slice_channels(in, (size_t)c, 1, &d->input, err)) != CS_OK)
            return st;
        d->pool = l->pool;
        d->image = false;
        snprintf(d->input_name, sizeof d->input_name, "layer %.80s's input channel %d", l->name, c);
        snprintf(d->kernel_name, sizeof d->kernel_name, "layer %.80s", l->name);
    }
    return CS_OK;
}

void net_drill_free(NetDrill *d)
{
    tensor_free(&d->input);
    tensor_free(&d->weights);
    tensor_free(&d->bias);
}
