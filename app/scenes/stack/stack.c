/* stack.c: the layer-stack scene's model (see stack.h). Reading order:
 * reading a spec, building one pane (parse, rf_compute, fold the layers
 * into stages), building the scene from --layers or a lesson, then growth,
 * focus, lit fields and selection. */
#include "stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filein.h"
#include "paths.h"

/* The largest stack a lesson may repeat a layer into. */
#define STACK_MAX_REPEAT 10000

/* ------------------------------------------------------------- reading */

Status stack_read_spec(const char *arg, char **text, Error *err)
{
    *text = NULL;
    if (arg[0] != '@') {
        if (!(*text = strdup(arg)))
            return error_set(err, CS_ERR_NOMEM, "out of memory");
        return CS_OK;
    }
    const char *path = arg + 1;
    unsigned char *bytes;
    size_t n;
    Status status = filein_read(path, STACK_MAX_SPEC_BYTES, &bytes, &n, err);
    if (status == CS_ERR_LIMIT)
        return error_set(err, status, "%s is larger than %d bytes; is it a layer spec?", filein_name(path),
                         STACK_MAX_SPEC_BYTES);
    if (status != CS_OK)
        return status;
    if (memchr(bytes, '\0', n)) {
        free(bytes);
        return error_set(err, CS_ERR_FORMAT, "%s is not a text file", filein_name(path));
    }
    *text = (char *)bytes;
    return CS_OK;
}

/* ------------------------------------------------------------- one pane */

/* Adds layer l's numbers (and its name, when it is folded in) to stage g. */
static void stage_fold(StackStage *g, const LayerSpec *l, const RfLayer *r, bool named)
{
    g->params += r->params;
    g->macs += r->macs;
    if (spec_is_activation(l))
        g->nonlin++;
    if (!named)
        return;
    size_t used = strlen(g->folded);
    snprintf(g->folded + used, sizeof g->folded - used, "%s%s", used ? ", " : "",
             spec_type_name(l->type));
}

/* Groups p's layers into stages (see stack.h). */
static Status pane_stages(StackPane *p, size_t in_h, size_t in_w, Error *err)
{
    size_t n = 1;
    for (size_t i = 0; i < p->spec.count; i++)
        n += spec_is_spatial(&p->spec.layers[i]);
    p->stages = calloc(n, sizeof *p->stages);
    if (!p->stages)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    p->n_stages = n;
    StackStage *g = &p->stages[0];
    g->h = in_h;
    g->w = in_w;
    g->c = p->spec.count ? p->rf[0].in_channels : 0;
    size_t k = 0;
    for (size_t i = 0; i < p->spec.count; i++) {
        const LayerSpec *l = &p->spec.layers[i];
        const RfLayer *r = &p->rf[i];
        bool spatial = spec_is_spatial(l);
        if (spatial) {
            g = &p->stages[++k];
            g->layer = i;
            g->h = r->out_size[0];
            g->w = r->out_size[1];
            g->c = r->out_channels;
        }
        stage_fold(g, l, r, !spatial);
        g->last = i;
    }
    return CS_OK;
}

/* Parses text into pane p and works it out for an in_h x in_w x in_c
 * input (in_c 0: the first convolution's). */
static Status pane_build(StackPane *p, const char *text, size_t in_h, size_t in_w, size_t in_c,
                         Error *err)
{
    Status st = spec_parse(text, &p->spec, err);
    if (st != CS_OK)
        return st;
    p->rf = calloc(p->spec.count, sizeof *p->rf);
    if (!p->rf)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    st = rf_compute(&p->spec, in_h, in_w, in_c, p->rf, err);
    if (st != CS_OK) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return error_set(err, st, "with a %zux%zu input: %s", in_h, in_w, msg);
    }
    return pane_stages(p, in_h, in_w, err);
}

static void pane_free(StackPane *p)
{
    spec_free(&p->spec);
    free(p->rf);
    free(p->stages);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------- the scene */

/* The last path component of path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A lesson pane's layer text: the spec, the model file it names, or its one
 * layer repeated until an in_h x in_w input comes out 1x1. */
static Status lesson_text(const LessonPane *lp, size_t in_h, size_t in_w, char **text, Error *err)
{
    if (lp->spec[0] == '@') {
        char name[256], path[4096];
        snprintf(name, sizeof name, "models/%s", lp->spec + 1);
        if (!paths_asset(name, path, sizeof path))
            return error_set(err, CS_ERR_IO, "cannot find the assets folder for %s (set CONVSTEP_ASSETS)",
                             name);
        char arg[4097];
        snprintf(arg, sizeof arg, "@%s", path);
        return stack_read_spec(arg, text, err);
    }
    if (!lp->repeat_to_one)
        return stack_read_spec(lp->spec, text, err);
    /* how many times the layer runs before the output is 1x1 */
    LayerStack one = {0};
    RfLayer r;
    Status st = spec_parse(lp->spec, &one, err);
    size_t h = in_h, w = in_w, count = 0;
    while (st == CS_OK && (h > 1 || w > 1)) {
        st = rf_compute(&one, h, w, (size_t)lp->in_c, &r, err);
        if (st == CS_OK && (r.out_size[0] >= h && r.out_size[1] >= w))
            st = error_set(err, CS_ERR_RANGE, "%s does not shrink a %zux%zu map", lp->spec, h, w);
        if (st == CS_OK && ++count > STACK_MAX_REPEAT)
            st = error_set(err, CS_ERR_LIMIT, "%s needs more than %d layers", lp->spec, STACK_MAX_REPEAT);
        h = r.out_size[0];
        w = r.out_size[1];
    }
    spec_free(&one);
    if (st != CS_OK)
        return st;
    size_t len = strlen(lp->spec) + 1;
    char *buf = malloc(count * len + 1);
    if (!buf)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        memcpy(buf + i * len, lp->spec, len - 1);
        buf[i * len + len - 1] = '\n';
    }
    buf[count * len] = '\0';
    *text = buf;
    return CS_OK;
}

static Status build_lesson(StackScene *s, const StackSource *src, Error *err)
{
    const Lesson *ls = lesson_find(src->lesson);
    if (!ls) {
        char names[512];
        return error_set(err, CS_ERR_RANGE, "--lesson: no lesson '%s' (lessons: %s)", src->lesson,
                         lesson_names(names, sizeof names));
    }
    s->lesson = ls;
    snprintf(s->source, sizeof s->source, "%s", ls->name);
    for (int i = 0; i < ls->n_panes; i++) {
        const LessonPane *lp = &ls->panes[i];
        char *text = NULL;
        size_t h = src->size_h > 0 ? (size_t)src->size_h : (size_t)lp->in_h;
        size_t w = src->size_w > 0 ? (size_t)src->size_w : (size_t)lp->in_w;
        Status st = lesson_text(lp, h, w, &text, err);
        if (st == CS_OK)
            st = pane_build(&s->panes[i], text, h, w, (size_t)lp->in_c, err);
        free(text);
        s->n_panes = i + 1;
        if (st != CS_OK)
            return st;
        snprintf(s->panes[i].title, sizeof s->panes[i].title, "%s", lp->title);
    }
    return CS_OK;
}

static Status build_layers(StackScene *s, const StackSource *src, Error *err)
{
    char *text = NULL;
    Status st = stack_read_spec(src->layers, &text, err);
    if (st != CS_OK)
        return st;
    snprintf(s->source, sizeof s->source, "%s",
             src->layers[0] == '@' ? base_name(filein_name(src->layers + 1)) : "--layers");
    snprintf(s->panes[0].title, sizeof s->panes[0].title, "%s", s->source);
    s->n_panes = 1;
    size_t h = STACK_DEFAULT_INPUT, w = STACK_DEFAULT_INPUT;
    bool fixed = true;
    if (src->size_h > 0) {
        h = (size_t)src->size_h;
        w = (size_t)(src->size_w > 0 ? src->size_w : src->size_h);
    } else if (src->input_h > 0) {
        h = src->input_h;
        w = src->input_w;
        s->picture = true;
    } else {
        fixed = false;
    }
    st = pane_build(&s->panes[0], text, h, w, src->input_c, err);
    if (st == CS_ERR_RANGE && !fixed) {
        pane_free(&s->panes[0]);
        snprintf(s->panes[0].title, sizeof s->panes[0].title, "%s", s->source);
        st = pane_build(&s->panes[0], text, STACK_LARGE_INPUT, STACK_LARGE_INPUT, src->input_c, err);
    }
    free(text);
    return st;
}

Status stack_create(const StackSource *src, StackScene **out, Error *err)
{
    *out = NULL;
    StackScene *s = calloc(1, sizeof *s);
    if (!s)
        return error_set(err, CS_ERR_NOMEM, "out of memory");
    Status st;
    if (src->lesson)
        st = build_lesson(s, src, err);
    else if (src->layers && !(s->layers = strdup(src->layers)))
        st = error_set(err, CS_ERR_NOMEM, "out of memory");
    else if (src->layers)
        st = build_layers(s, src, err);
    else
        st = error_set(err, CS_ERR_RANGE, "no layers and no lesson");
    if (st != CS_OK) {
        stack_destroy(s);
        return st;
    }
    for (int p = 0; p < s->n_panes; p++)
        if (s->panes[p].n_stages - 1 > s->max_stage)
            s->max_stage = s->panes[p].n_stages - 1;
    s->shown = s->lesson ? 0 : s->max_stage;
    s->home_h = src->size_h;
    s->home_w = src->size_w;
    *out = s;
    return CS_OK;
}

void stack_destroy(StackScene *s)
{
    if (!s)
        return;
    for (int p = 0; p < LESSON_MAX_PANES; p++)
        pane_free(&s->panes[p]);
    if (s->home_kind && s->home_kind->destroy)
        s->home_kind->destroy(s->home_model);
    free(s->layers);
    free(s);
}

/* ------------------------------------------------------------- growth */

size_t stack_step_count(const StackScene *s)
{
    return s->max_stage + 1;
}

size_t stack_step_index(const StackScene *s)
{
    return s->shown;
}

void stack_seek(StackScene *s, size_t index)
{
    s->shown = index > s->max_stage ? s->max_stage : index;
}

size_t stack_current(const StackScene *s, int p)
{
    size_t last = s->panes[p].n_stages - 1;
    return s->shown < last ? s->shown : last;
}

/* ------------------------------------------------------------- fields */

StackCell stack_focus(const StackScene *s, int p, StackCell selected)
{
    if (selected.pane == p)
        return selected;
    size_t k = stack_current(s, p);
    const StackStage *g = &s->panes[p].stages[k];
    StackCell c = {p, (int)k, (int)(g->h - 1) / 2, (int)(g->w - 1) / 2};
    return c;
}

void stack_fields(const StackScene *s, int p, StackCell f, CellRange (*out)[2])
{
    const StackPane *P = &s->panes[p];
    size_t cur = stack_current(s, p);
    out[f.stage][0] = (CellRange){f.y, f.y};
    out[f.stage][1] = (CellRange){f.x, f.x};
    for (int k = f.stage; k > 0; k--)
        for (int a = 0; a < 2; a++)
            out[k - 1][a] = rf_range_back(&P->rf[P->stages[k].layer], a, out[k][a]);
    for (size_t k = (size_t)f.stage + 1; k <= cur; k++)
        for (int a = 0; a < 2; a++)
            out[k][a] = rf_range_forward(&P->rf[P->stages[k].layer], a, out[k - 1][a]);
}

bool stack_cell_shown(const StackScene *s, StackCell c)
{
    if (c.pane < 0 || c.pane >= s->n_panes || c.stage < 0 || (size_t)c.stage > stack_current(s, c.pane))
        return false;
    const StackStage *g = &s->panes[c.pane].stages[c.stage];
    return c.y >= 0 && c.x >= 0 && (size_t)c.y < g->h && (size_t)c.x < g->w;
}

bool stack_is_spec_file(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".txt") == 0 || strcmp(dot, ".py") == 0);
}
