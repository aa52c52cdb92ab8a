/* test_optim.c: the optimisers (core/optim.h) against torch.optim's own
 * steps (tests/optim_fixtures.h, from tests/gen_optim_fixtures.py: SGD
 * plain, with momentum, dampening, Nesterov, weight decay, Adam with its
 * defaults, other betas, weight decay, a learning rate changed mid-run, and
 * both with hyperparameters given to torch as decimals), six steps each,
 * and the options refused. */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "optim.h"
#include "optim_fixtures.h"

#define FIXTURE_COUNT (sizeof OPTIM_FIXTURES / sizeof OPTIM_FIXTURES[0])
/* The tolerance asked of the optimisers, relative to max(|want|, 1e-3) so a
 * parameter that crosses zero is not held to an impossible precision.
 * Measured: 0, bit for bit, in every case (core/optim.c follows ATen's
 * fused multiply-adds); the log shows each case's worst. */
#define OPTIM_REL_TOL 1e-6

static OptimOptions fixture_options(const OptimFixture *f)
{
    OptimOptions o = optim_defaults(f->adam ? OPTIM_ADAM : OPTIM_SGD);
    o.lr = f->lr;
    o.weight_decay = f->weight_decay;
    if (f->adam) {
        o.beta1 = f->beta1;
        o.beta2 = f->beta2;
        o.eps = f->eps;
    } else {
        o.momentum = f->momentum;
        o.dampening = f->dampening;
        o.nesterov = f->nesterov;
    }
    return o;
}

static double check_close(const char *name, size_t step, size_t param, const float *got, const float *want,
                          size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double scale = fmax(fabs((double)want[i]), 1e-3);
        double rel = fabs((double)got[i] - (double)want[i]) / scale;
        worst = fmax(worst, rel);
        cr_expect(rel <= OPTIM_REL_TOL, "%s step %zu param %zu [%zu]: %.9g, torch %.9g (rel %.3g)", name, step + 1,
                  param, i, (double)got[i], (double)want[i], rel);
    }
    return worst;
}

Test(optim, matches_torch_optim_step_by_step)
{
    for (size_t c = 0; c < FIXTURE_COUNT; c++) {
        const OptimFixture *f = &OPTIM_FIXTURES[c];
        double worst = 0.0;
        OptimOptions o = fixture_options(f);
        const size_t counts[OPTIM_FIX_PARAMS] = {OPTIM_FIX_COUNT0, OPTIM_FIX_COUNT1};
        Optim *opt;
        Error err;
        cr_assert_eq(optim_create(&o, OPTIM_FIX_PARAMS, counts, &opt, &err), CS_OK, "%s: %s", f->name,
                     err.message);
        float p0[OPTIM_FIX_COUNT0], p1[OPTIM_FIX_COUNT1];
        memcpy(p0, f->p0, sizeof p0);
        memcpy(p1, f->p1, sizeof p1);
        float *params[OPTIM_FIX_PARAMS] = {p0, p1};
        for (size_t s = 0; s < OPTIM_FIX_STEPS; s++) {
            optim_set_lr(opt, f->lr_at[s]);
            cr_expect_eq(optim_lr(opt), f->lr_at[s]);
            const float *grads[OPTIM_FIX_PARAMS] = {f->g0[s], f->g1[s]};
            optim_step(opt, params, grads);
            worst = fmax(worst, check_close(f->name, s, 0, p0, f->want0[s], OPTIM_FIX_COUNT0));
            worst = fmax(worst, check_close(f->name, s, 1, p1, f->want1[s], OPTIM_FIX_COUNT1));
        }
        optim_free(opt);
        cr_log_info("%s: worst relative difference from torch.optim %.3g%s", f->name, worst,
                    f->literal ? " (torch had the decimals, this test their floats)" : "");
    }
}

/* The gradients are inputs: a step must not change them. */
Test(optim, leaves_gradients_alone)
{
    const OptimFixture *f = &OPTIM_FIXTURES[FIXTURE_COUNT - 1];
    OptimOptions o = fixture_options(f);
    const size_t counts[OPTIM_FIX_PARAMS] = {OPTIM_FIX_COUNT0, OPTIM_FIX_COUNT1};
    Optim *opt;
    cr_assert_eq(optim_create(&o, OPTIM_FIX_PARAMS, counts, &opt, NULL), CS_OK);
    float p0[OPTIM_FIX_COUNT0], p1[OPTIM_FIX_COUNT1], g0[OPTIM_FIX_COUNT0], g1[OPTIM_FIX_COUNT1];
    memcpy(p0, f->p0, sizeof p0);
    memcpy(p1, f->p1, sizeof p1);
    memcpy(g0, f->g0[0], sizeof g0);
    memcpy(g1, f->g1[0], sizeof g1);
    float *params[OPTIM_FIX_PARAMS] = {p0, p1};
    const float *grads[OPTIM_FIX_PARAMS] = {g0, g1};
    optim_step(opt, params, grads);
    cr_expect(memcmp(g0, f->g0[0], sizeof g0) == 0 && memcmp(g1, f->g1[0], sizeof g1) == 0);
    optim_free(opt);
}

/* Hand-worked SGD with momentum 0.5, dampening 0.5, lr 1, one weight w = 0:
 *   step 1, g = 1: b = g = 1 (the gradient itself, undamped)   w = 0 - 1 = -1
 *   step 2, g = 1: b = 0.5 * 1 + (1 - 0.5) * 1 = 1             w = -1 - 1 = -2
 * (a damped first step would give b = 0.5 and w = -0.5). */
Test(optim, first_momentum_step_is_the_gradient)
{
    OptimOptions o = optim_defaults(OPTIM_SGD);
    o.lr = 1.0f;
    o.momentum = 0.5f;
    o.dampening = 0.5f;
    size_t count = 1;
    Optim *opt;
    cr_assert_eq(optim_create(&o, 1, &count, &opt, NULL), CS_OK);
    float w = 0.0f, g = 1.0f;
    float *params[1] = {&w};
    const float *grads[1] = {&g};
    optim_step(opt, params, grads);
    cr_expect_eq(w, -1.0f);
    optim_step(opt, params, grads);
    cr_expect_eq(w, -2.0f);
    optim_free(opt);
}

Test(optim, defaults_are_pytorchs)
{
    OptimOptions a = optim_defaults(OPTIM_ADAM), s = optim_defaults(OPTIM_SGD);
    cr_expect_eq(a.kind, OPTIM_ADAM);
    cr_expect_eq(a.lr, 0.001f);
    cr_expect(a.beta1 == 0.9f && a.beta2 == 0.999f && a.eps == 1e-8f && a.weight_decay == 0.0f);
    cr_expect_eq(s.kind, OPTIM_SGD);
    cr_expect(s.momentum == 0.0f && s.dampening == 0.0f && s.weight_decay == 0.0f && !s.nesterov);
}

Test(optim, no_parameters_is_a_no_op)
{
    OptimOptions o = optim_defaults(OPTIM_ADAM);
    Optim *opt;
    cr_assert_eq(optim_create(&o, 0, NULL, &opt, NULL), CS_OK);
    optim_step(opt, NULL, NULL);
    optim_free(opt);
    optim_free(NULL);
}

typedef struct BadCase {
    const char *what;
    OptimKind kind;
    void (*set)(OptimOptions *o);
    const char *message; /* a part of the message */
} BadCase;

static void neg_lr(OptimOptions *o) { o->lr = -0.1f; }
static void nan_lr(OptimOptions *o) { o->lr = NAN; }
static void inf_lr(OptimOptions *o) { o->lr = INFINITY; }
static void neg_momentum(OptimOptions *o) { o->momentum = -0.5f; }
static void neg_decay(OptimOptions *o) { o->weight_decay = -1.0f; }
static void nan_dampening(OptimOptions *o) { o->dampening = NAN; }
static void nesterov_alone(OptimOptions *o) { o->nesterov = true; }
static void nesterov_damped(OptimOptions *o) { o->nesterov = true; o->momentum = 0.9f; o->dampening = 0.1f; }
static void beta1_one(OptimOptions *o) { o->beta1 = 1.0f; }
static void beta1_neg(OptimOptions *o) { o->beta1 = -0.1f; }
static void beta2_big(OptimOptions *o) { o->beta2 = 1.5f; }
static void beta2_nan(OptimOptions *o) { o->beta2 = NAN; }
static void neg_eps(OptimOptions *o) { o->eps = -1e-8f; }
static void adam_neg_decay(OptimOptions *o) { o->weight_decay = -0.01f; }
static void bad_kind(OptimOptions *o) { o->kind = (OptimKind)7; }

Test(optim, refuses_bad_options_naming_the_value)
{
    static const BadCase cases[] = {
        {"negative lr", OPTIM_SGD, neg_lr, "learning rate -0.1"},
        {"NaN lr", OPTIM_ADAM, nan_lr, "learning rate nan"},
        {"infinite lr", OPTIM_SGD, inf_lr, "learning rate inf"},
        {"negative momentum", OPTIM_SGD, neg_momentum, "momentum -0.5"},
        {"negative weight decay", OPTIM_SGD, neg_decay, "weight decay -1"},
        {"NaN dampening", OPTIM_SGD, nan_dampening, "dampening nan"},
        {"nesterov without momentum", OPTIM_SGD, nesterov_alone, "momentum 0 and dampening 0"},
        {"nesterov with dampening", OPTIM_SGD, nesterov_damped, "dampening 0.1"},
        {"beta1 1", OPTIM_ADAM, beta1_one, "beta1 1 is not in [0, 1)"},
        {"beta1 negative", OPTIM_ADAM, beta1_neg, "beta1 -0.1"},
        {"beta2 1.5", OPTIM_ADAM, beta2_big, "beta2 1.5"},
        {"beta2 NaN", OPTIM_ADAM, beta2_nan, "beta2 nan"},
        {"negative eps", OPTIM_ADAM, neg_eps, "eps -1e-08"},
        {"Adam negative weight decay", OPTIM_ADAM, adam_neg_decay, "weight decay -0.01"},
        {"unknown kind", OPTIM_SGD, bad_kind, "kind 7"},
    };
    size_t count = 3;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        OptimOptions o = optim_defaults(cases[i].kind);
        cases[i].set(&o);
        Optim *opt = (Optim *)&o; /* must come back NULL */
        Error err = {0};
        cr_expect_eq(optim_create(&o, 1, &count, &opt, &err), CS_ERR_RANGE, "%s: accepted", cases[i].what);
        cr_expect_null(opt, "%s", cases[i].what);
        cr_expect(strstr(err.message, cases[i].message) != NULL, "%s: message '%s' lacks '%s'", cases[i].what,
                  err.message, cases[i].message);
    }
}

/* Settings PyTorch accepts are accepted: lr 0, beta 0, eps 0, nesterov
 * with momentum and no dampening, dampening outside [0, 1]. */
Test(optim, accepts_edge_values)
{
    size_t count = 2;
    Optim *opt;
    OptimOptions a = optim_defaults(OPTIM_ADAM);
    a.lr = 0.0f;
    a.beta1 = 0.0f;
    a.beta2 = 0.0f;
    a.eps = 0.0f;
    cr_expect_eq(optim_create(&a, 1, &count, &opt, NULL), CS_OK);
    optim_free(opt);
    OptimOptions s = optim_defaults(OPTIM_SGD);
    s.momentum = 0.9f;
    s.nesterov = true;
    cr_expect_eq(optim_create(&s, 1, &count, &opt, NULL), CS_OK);
    optim_free(opt);
    s.nesterov = false;
    s.dampening = -2.0f;
    cr_expect_eq(optim_create(&s, 1, &count, &opt, NULL), CS_OK);
    optim_free(opt);
}
