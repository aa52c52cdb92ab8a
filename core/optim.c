/* optim.c: torch.optim.SGD and torch.optim.Adam (see optim.h for the
 * formulas), written as PyTorch 1.13's CPU kernels evaluate them, so the
 * float32 results agree with torch.optim bit for bit (measured against
 * tests/optim_fixtures.h):
 *   a.add(b, alpha=s)           fmaf(b, s, a)      ATen's add is a fused
 *                                                  multiply-add, vector and
 *                                                  scalar tail alike
 *   a.mul_(s).add_(b, alpha=t)  fmaf(b, t, a * s)
 *   a.addcmul_(b, c, value=s)   fmaf(s * b, c, a)
 *   a.addcdiv_(b, c, value=s)   a + s * b / c
 * Scalars PyTorch computes in Python (1 - beta1, lr / (1 - beta1^t), ...)
 * are computed here in double and rounded to float where the kernel takes
 * them. */
#include "optim.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct Optim {
    OptimOptions o;
    size_t n_params;
    size_t *counts;             /* n_params */
    float **buf1;               /* SGD: momentum buffers (when momentum != 0); Adam: exp_avg */
    float **buf2;               /* Adam: exp_avg_sq */
    float *block;               /* every buffer, in one allocation */
    size_t steps;               /* steps taken */
};

OptimOptions optim_defaults(OptimKind kind)
{
    OptimOptions o = {0};
    o.kind = kind;
    o.lr = kind == OPTIM_ADAM ? 0.001f : 0.01f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.eps = 1e-8f;
    return o;
}

/* ---- checking the options ---------------------------------------------- */

static Status check_at_least_zero(const char *what, float v, Error *err)
{
    if (!isfinite(v) || v < 0.0f)
        return error_set(err, CS_ERR_RANGE, "%s %g is not a number >= 0", what, (double)v);
    return CS_OK;
}

static Status check_beta(const char *what, float v, Error *err)
{
    if (!(v >= 0.0f && v < 1.0f))
        return error_set(err, CS_ERR_RANGE, "Adam's %s %g is not in [0, 1)", what, (double)v);
    return CS_OK;
}

static Status check_options(const OptimOptions *o, Error *err)
{
    Status st;
    if (o->kind != OPTIM_SGD && o->kind != OPTIM_ADAM)
        return error_set(err, CS_ERR_RANGE, "optimiser kind %d is unknown", (int)o->kind);
    if ((st = check_at_least_zero("learning rate", o->lr, err)) != CS_OK ||
        (st = check_at_least_zero("weight decay", o->weight_decay, err)) != CS_OK)
        return st;
    if (o->kind == OPTIM_ADAM) {
        if ((st = check_beta("beta1", o->beta1, err)) != CS_OK || (st = check_beta("beta2", o->beta2, err)) != CS_OK)
            return st;
        return check_at_least_zero("Adam's eps", o->eps, err);
    }
    if ((st = check_at_least_zero("momentum", o->momentum, err)) != CS_OK)
        return st;
    if (!isfinite(o->dampening))
        return error_set(err, CS_ERR_RANGE, "dampening %g is not a finite number", (double)o->dampening);
    if (o->nesterov && (o->momentum <= 0.0f || o->dampening != 0.0f))
        return error_set(err, CS_ERR_RANGE,
                         "Nesterov momentum needs a momentum above 0 and dampening 0, not momentum %g and "
                         "dampening %g",
                         (double)o->momentum, (double)o->dampening);
    return CS_OK;
}

/* ---- making one ------------------------------------------------------------ */

Status optim_create(const OptimOptions *o, size_t n_params, const size_t *counts, Optim **out, Error *err)
{
    *out = NULL;
    Status st = check_options(o, err);
    if (st != CS_OK)
        return st;
    size_t per_param = o->kind == OPTIM_ADAM ? 2 : o->momentum != 0.0f ? 1 : 0;
    size_t total = 0;
    for (size_t i = 0; i < n_params; i++) {
        if (counts[i] > (SIZE_MAX / sizeof(float) / 2 - total))
            return error_set(err, CS_ERR_NOMEM, "optimiser state for %zu parameters is too large", n_params);
        total += counts[i];
    }
    Optim *p = calloc(1, sizeof *p);
    if (!p)
        return error_set(err, CS_ERR_NOMEM, "no memory for an optimiser");
    p->o = *o;
    p->n_params = n_params;
    p->counts = malloc((n_params ? n_params : 1) * sizeof *p->counts);
    p->buf1 = calloc(n_params ? n_params : 1, sizeof *p->buf1);
    p->buf2 = calloc(n_params ? n_params : 1, sizeof *p->buf2);
    p->block = calloc(per_param * total + 1, sizeof *p->block);
    if (!p->counts || !p->buf1 || !p->buf2 || !p->block) {
        optim_free(p);
        return error_set(err, CS_ERR_NOMEM, "no memory for the optimiser state of %zu floats",
                         per_param * total);
    }
    float *next = p->block;
    for (size_t i = 0; i < n_params; i++) {
        p->counts[i] = counts[i];
        if (per_param >= 1) {
            p->buf1[i] = next;
            next += counts[i];
        }
        if (per_param == 2) {
            p->buf2[i] = next;
            next += counts[i];
        }
    }
    *out = p;
    return CS_OK;
}

void optim_free(Optim *o)
{
    if (!o)
        return;
    free(o->counts);
    free(o->buf1);
    free(o->buf2);
    free(o->block);
    free(o);
}

/* ---- stepping -------------------------------------------------------------- */

static void sgd_step(Optim *o, float *p, const float *grad, float *buf, size_t n)
{
    const OptimOptions *op = &o->o;
    const float wd = op->weight_decay, m = op->momentum, neg_lr = -op->lr;
    const float keep = (float)(1.0 - (double)op->dampening);
    const bool first = o->steps == 0;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (wd != 0.0f)
            g = fmaf(p[i], wd, g);
        if (m != 0.0f) {
            buf[i] = first ? g : fmaf(g, keep, buf[i] * m);
            g = op->nesterov ? fmaf(buf[i], m, g) : buf[i];
        }
        p[i] = fmaf(g, neg_lr, p[i]);
    }
}

static void adam_step(Optim *o, float *p, const float *grad, float *exp_avg, float *exp_avg_sq, size_t n)
{
    const OptimOptions *op = &o->o;
    const double t = (double)o->steps + 1.0;
    const double correction1 = 1.0 - pow((double)op->beta1, t);
    const double correction2_sqrt = sqrt(1.0 - pow((double)op->beta2, t));
    const float wd = op->weight_decay, b1 = op->beta1, b2 = op->beta2, eps = op->eps;
    const float one_minus_b1 = (float)(1.0 - (double)op->beta1);
    const float one_minus_b2 = (float)(1.0 - (double)op->beta2);
    const float neg_step = (float)-((double)op->lr / correction1);
    const float c2 = (float)correction2_sqrt;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        if (wd != 0.0f)
            g = fmaf(p[i], wd, g);
        exp_avg[i] = fmaf(g, one_minus_b1, exp_avg[i] * b1);
        exp_avg_sq[i] = fmaf(one_minus_b2 * g, g, exp_avg_sq[i] * b2);
        float denom = sqrtf(exp_avg_sq[i]) / c2 + eps;
        p[i] = p[i] + neg_step * exp_avg[i] / denom;
    }
}

void optim_step(Optim *o, float *const *params, const float *const *grads)
{
    for (size_t k = 0; k < o->n_params; k++) {
        if (o->o.kind == OPTIM_ADAM)
            adam_step(o, params[k], grads[k], o->buf1[k], o->buf2[k], o->counts[k]);
        else
            sgd_step(o, params[k], grads[k], o->buf1[k], o->counts[k]);
    }
    o->steps++;
}

void optim_set_lr(Optim *o, float lr)
{
    o->o.lr = lr;
}

float optim_lr(const Optim *o)
{
    return o->o.lr;
}
