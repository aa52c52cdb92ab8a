/* test_conv_grad.c: conv_forward_batch and conv_backward (core/conv_grad.h).
 *
 * - PyTorch autograd's own numbers: committed fixtures (tests/fixtures/grad/,
 *   written by tests/gen_grad_fixtures_conv.py) over configurations that
 *   cover stride, every padding kind and mode, dilation, groups, depthwise
 *   and transposed convolution with output_padding.
 * - A slow, obviously correct reference written here in double precision
 *   (a forward by the formula of conv.h, one term at a time, and its
 *   backward by the same loops), itself checked against central finite
 *   differences of its own forward and against conv_forward.
 * - The fast path against the reference over random configurations, on
 *   every instruction-set path; batch forward against conv_forward per
 *   image; accumulation into grad_weight / grad_bias, reuse of shaped
 *   outputs; refused shapes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "conv_grad.h"
#include "npy.h"
#include "rng.h"
#include "support_isa.h"

/* ---- helpers ---- */

static Tensor make_tensor(size_t n, size_t c, size_t h, size_t w, int rank)
{
    Tensor t;
    Error err = {0};
    cr_assert_eq(tensor_init(&t, n, c, h, w, rank, &err), CS_OK, "%s", err.message);
    return t;
}

static Tensor random_tensor(Rng *rng, size_t n, size_t c, size_t h, size_t w, int rank)
{
    Tensor t = make_tensor(n, c, h, w, rank);
    for (size_t i = 0; i < tensor_count(&t); i++)
        t.data[i] = rng_range(rng, -1.0f, 1.0f);
    return t;
}

static int rand_int(Rng *rng, int lo, int hi)
{
    return lo + (int)(rng_next(rng) % (uint64_t)(hi - lo + 1));
}

/* Every value of got within tol * (1 + |want|) of want (double), plus,
 * when mag is not NULL, 1e-7 of mag[i], the sum of the magnitudes of the
 * terms that make up want[i]: float rounding grows with that sum (a weight
 * gradient of 43,264 terms near 0.25 each is off by about 1e-4). A wrong
 * index is off by a whole term. */
static void expect_close(const float *got, const double *want, const double *mag, size_t n, double tol,
                         const char *what, const char *config)
{
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)got[i] - want[i]) <= tol * (1.0 + fabs(want[i])) + (mag ? 1e-7 * mag[i] : 0.0),
                  "%s [%s]: element %zu is %.8g, expected %.8g", what, config, i, (double)got[i], want[i]);
}

/* ---- the reference, in double ---- */

/* One layer's geometry, resolved as the core resolves it. */
typedef struct RefLayer {
    size_t n, c, h, w, f, oh, ow, kh, kw, cpg, fpg;
    Pad4 pad;
    ConvParams p;
} RefLayer;

static RefLayer ref_layer(const Tensor *x, const Tensor *w, const ConvParams *p)
{
    RefLayer l;
    Error err = {0};
    l.p = *p;
    l.n = x->n, l.c = x->c, l.h = x->h, l.w = x->w;
    l.kh = w->h, l.kw = w->w;
    l.f = p->transposed ? w->c * (size_t)p->groups : w->n;
    l.cpg = l.c / (size_t)p->groups, l.fpg = l.f / (size_t)p->groups;
    cr_assert_eq(geom_conv_output(p, l.h, l.w, l.kh, l.kw, &l.oh, &l.ow, &err), CS_OK, "%s", err.message);
    cr_assert_eq(geom_conv_padding(p, l.h, l.w, l.kh, l.kw, &l.pad, &err), CS_OK, "%s", err.message);
    return l;
}

/* Calls visit(ctx, x index, w index, out index) for every product
 * x * w that adds into an output: a regular convolution reads the padded
 * input (geom_pad_source), a transposed one scatters every input cell. */
typedef void (*RefVisit)(void *ctx, size_t xi, size_t wi, size_t oi);

static void ref_terms(const RefLayer *l, RefVisit visit, void *ctx)
{
    const ConvParams *p = &l->p;
    for (size_t n = 0; n < l->n; n++) {
        if (!p->transposed) {
            for (size_t f = 0; f < l->f; f++)
                for (size_t y = 0; y < l->oh; y++)
                    for (size_t x = 0; x < l->ow; x++)
                        for (size_t cc = 0; cc < l->cpg; cc++)
                            for (size_t ky = 0; ky < l->kh; ky++)
                                for (size_t kx = 0; kx < l->kw; kx++) {
                                    const size_t c = f / l->fpg * l->cpg + cc;
                                    int iy = (int)(y * (size_t)p->stride_h + ky * (size_t)p->dilation_h) - l->pad.top;
                                    int ix = (int)(x * (size_t)p->stride_w + kx * (size_t)p->dilation_w) - l->pad.left;
                                    int sy = geom_pad_source(p->pad_mode, iy, (int)l->h);
                                    int sx = geom_pad_source(p->pad_mode, ix, (int)l->w);
                                    if (sy < 0 || sx < 0)
                                        continue;
                                    visit(ctx, ((n * l->c + c) * l->h + (size_t)sy) * l->w + (size_t)sx,
                                          ((f * l->cpg + cc) * l->kh + ky) * l->kw + kx,
                                          ((n * l->f + f) * l->oh + y) * l->ow + x);
                                }
        } else {
            for (size_t c = 0; c < l->c; c++)
                for (size_t iy = 0; iy < l->h; iy++)
                    for (size_t ix = 0; ix < l->w; ix++)
                        for (size_t ff = 0; ff < l->fpg; ff++)
                            for (size_t ky = 0; ky < l->kh; ky++)
                                for (size_t kx = 0; kx < l->kw; kx++) {
                                    const size_t f = c / l->cpg * l->fpg + ff;
                                    long oy = (long)iy * p->stride_h + (long)ky * p->dilation_h - l->pad.top;
                                    long ox = (long)ix * p->stride_w + (long)kx * p->dilation_w - l->pad.left;
                                    if (oy < 0 || ox < 0 || oy >= (long)l->oh || ox >= (long)l->ow)
                                        continue;
                                    visit(ctx, ((n * l->c + c) * l->h + iy) * l->w + ix,
                                          ((c * l->fpg + ff) * l->kh + ky) * l->kw + kx,
                                          ((n * l->f + f) * l->oh + (size_t)oy) * l->ow + (size_t)ox);
                                }
        }
    }
}

typedef struct RefCtx {
    const double *x, *w, *g;
    double *out, *gx, *gw;
    double *gx_mag, *gw_mag;    /* sums of |term| of each gradient */
} RefCtx;

static void ref_visit_forward(void *ctx, size_t xi, size_t wi, size_t oi)
{
    RefCtx *r = ctx;
    r->out[oi] += r->x[xi] * r->w[wi];
}

static void ref_visit_backward(void *ctx, size_t xi, size_t wi, size_t oi)
{
    RefCtx *r = ctx;
    r->gx[xi] += r->w[wi] * r->g[oi];
    r->gw[wi] += r->x[xi] * r->g[oi];
    r->gx_mag[xi] += fabs(r->w[wi] * r->g[oi]);
    r->gw_mag[wi] += fabs(r->x[xi] * r->g[oi]);
}

static double *to_double(const float *v, size_t n)
{
    double *d = malloc(n * sizeof *d);
    cr_assert(d);
    for (size_t i = 0; i < n; i++)
        d[i] = v[i];
    return d;
}

/* out (n x f x oh x ow, calloc'd here) = the layer on x with weights w and
 * bias b (NULL: none). */
static double *ref_forward(const RefLayer *l, const double *x, const double *w, const double *b)
{
    const size_t P = l->oh * l->ow;
    RefCtx r = {x, w, NULL, calloc(l->n * l->f * P, sizeof(double)), NULL, NULL, NULL, NULL};
    cr_assert(r.out);
    ref_terms(l, ref_visit_forward, &r);
    if (b)
        for (size_t i = 0; i < l->n * l->f * P; i++)
            r.out[i] += b[i / P % l->f];
    return r.out;
}

/* The gradients for upstream g: *gx like x, *gw like w, *gb (f values);
 * mag (may be NULL) gets the sums of their terms' magnitudes, [0] for gx
 * and [1] for gw. */
static void ref_backward(const RefLayer *l, const double *x, const double *w, const double *g, size_t wcount,
                         double **gx, double **gw, double **gb, double *mag[2])
{
    const size_t P = l->oh * l->ow, xcount = l->n * l->c * l->h * l->w;
    RefCtx r = {x, w, g, NULL, calloc(xcount, sizeof(double)), calloc(wcount, sizeof(double)),
                calloc(xcount, sizeof(double)), calloc(wcount, sizeof(double))};
    cr_assert(r.gx && r.gw && r.gx_mag && r.gw_mag);
    ref_terms(l, ref_visit_backward, &r);
    if (mag) {
        mag[0] = r.gx_mag;
        mag[1] = r.gw_mag;
    } else {
        free(r.gx_mag);
        free(r.gw_mag);
    }
    *gb = calloc(l->f, sizeof(double));
    cr_assert(*gb);
    for (size_t i = 0; i < l->n * l->f * P; i++)
        (*gb)[i / P % l->f] += g[i];
    *gx = r.gx;
    *gw = r.gw;
}

/* ---- random configurations ---- */

typedef struct Case {
    Tensor x, w, b, g;
    ConvParams p;
    char text[200];
} Case;

static void case_free(Case *k)
{
    tensor_free(&k->x);
    tensor_free(&k->w);
    tensor_free(&k->b);
    tensor_free(&k->g);
}

/* A random layer that fits (every feature: stride, padding kinds and
 * modes, dilation, groups, transposed with output_padding), with a random
 * input of n images, weights, bias and upstream gradient. */
static void random_case(Rng *rng, Case *k, size_t n)
{
    static const char *kinds[] = {"explicit", "valid", "same", "full"};
    for (;;) {
        ConvParams p = geom_conv_defaults();
        size_t g = (size_t)rand_int(rng, 1, 3);
        size_t c = g * (size_t)rand_int(rng, 1, 3), f = g * (size_t)rand_int(rng, 1, 3);
        size_t h = (size_t)rand_int(rng, 1, 9), w = (size_t)rand_int(rng, 1, 9), kh = (size_t)rand_int(rng, 1, 4),
               kw = (size_t)rand_int(rng, 1, 4), oh, ow;
        Pad4 pad;
        Error err = {0};
        p.groups = (int)g;
        p.stride_h = rand_int(rng, 1, 3), p.stride_w = rand_int(rng, 1, 3);
        p.dilation_h = rand_int(rng, 1, 2), p.dilation_w = rand_int(rng, 1, 2);
        p.transposed = rand_int(rng, 0, 3) == 0;
        if (p.transposed) {
            p.padding = (Padding){PAD_EXPLICIT, rand_int(rng, 0, 2), rand_int(rng, 0, 2)};
            p.output_padding_h = rand_int(rng, 0, 2), p.output_padding_w = rand_int(rng, 0, 2);
        } else {
            p.padding.kind = (PadKind)rand_int(rng, 0, 3);
            if (p.padding.kind == PAD_EXPLICIT)
                p.padding.h = rand_int(rng, 0, 2), p.padding.w = rand_int(rng, 0, 2);
            p.pad_mode = (PadMode)rand_int(rng, 0, 3);
        }
        if (geom_conv_output(&p, h, w, kh, kw, &oh, &ow, &err) != CS_OK ||
            geom_conv_padding(&p, h, w, kh, kw, &pad, &err) != CS_OK)
            continue;
        k->p = p;
        k->x = random_tensor(rng, n, c, h, w, 4);
        k->w = p.transposed ? random_tensor(rng, c, f / g, kh, kw, 4) : random_tensor(rng, f, c / g, kh, kw, 4);
        k->b = random_tensor(rng, 1, 1, 1, f, 1);
        k->g = random_tensor(rng, n, f, oh, ow, 4);
        snprintf(k->text, sizeof k->text,
                 "n %zu c %zu %zux%zu f %zu k %zux%zu s %d,%d pad %s %d,%d mode %s d %d,%d g %zu%s op %d,%d", n, c,
                 h, w, f, kh, kw, p.stride_h, p.stride_w, kinds[p.padding.kind], p.padding.h, p.padding.w,
                 geom_pad_mode_name(p.pad_mode), p.dilation_h, p.dilation_w, g, p.transposed ? " transposed" : "",
                 p.output_padding_h, p.output_padding_w);
        return;
    }
}

/* conv_backward and conv_forward_batch on k against the reference. */
static void check_case(const Case *k, double tol)
{
    const RefLayer l = ref_layer(&k->x, &k->w, &k->p);
    const size_t wcount = tensor_count(&k->w);
    double *x = to_double(k->x.data, tensor_count(&k->x)), *w = to_double(k->w.data, wcount);
    double *b = to_double(k->b.data, l.f), *g = to_double(k->g.data, tensor_count(&k->g));
    double *out = ref_forward(&l, x, w, b), *gx, *gw, *gb, *mag[2];
    Tensor y = {0}, dx = {0}, dw = make_tensor(k->w.n, k->w.c, k->w.h, k->w.w, 4), db = make_tensor(1, 1, 1, l.f, 1);
    Error err = {0};
    ref_backward(&l, x, w, g, wcount, &gx, &gw, &gb, mag);
    cr_assert_eq(conv_forward_batch(&k->x, &k->w, &k->b, &k->p, &y, &err), CS_OK, "[%s] %s", k->text, err.message);
    cr_assert(y.n == l.n && y.c == l.f && y.h == l.oh && y.w == l.ow && y.rank == 4, "[%s] output shape", k->text);
    expect_close(y.data, out, NULL, tensor_count(&y), tol, "forward", k->text);
    cr_assert_eq(conv_backward(&k->x, &k->w, &k->p, &k->g, &dx, &dw, &db, &err), CS_OK, "[%s] %s", k->text,
                 err.message);
    expect_close(dx.data, gx, mag[0], tensor_count(&dx), tol, "grad_input", k->text);
    expect_close(dw.data, gw, mag[1], wcount, tol, "grad_weight", k->text);
    expect_close(db.data, gb, NULL, l.f, tol, "grad_bias", k->text);
    free(x), free(w), free(b), free(g), free(out), free(gx), free(gw), free(gb), free(mag[0]), free(mag[1]);
    tensor_free(&y), tensor_free(&dx), tensor_free(&dw), tensor_free(&db);
}

/* ---- PyTorch's own numbers ---- */

#define FIXTURES "tests/fixtures/grad/"

static Tensor fixture(const char *name, const char *key)
{
    char path[256];
    Tensor t = {0};
    Error err = {0};
    snprintf(path, sizeof path, FIXTURES "%s_%s.npy", name, key);
    cr_assert_eq(npy_read(path, &t, &err), CS_OK, "%s", err.message);
    return t;
}

/* Every value of got within 1e-5 * (1 + |want|) of want, same count. */
static void expect_fixture(const Tensor *got, const Tensor *want, const char *what, const char *name)
{
    cr_assert_eq(tensor_count(got), tensor_count(want), "%s %s: %zu values, PyTorch has %zu", name, what,
                 tensor_count(got), tensor_count(want));
    for (size_t i = 0; i < tensor_count(want); i++)
        cr_assert(fabsf(got->data[i] - want->data[i]) <= 1e-5f * (1.0f + fabsf(want->data[i])),
                  "%s %s: element %zu is %.8g, PyTorch %.8g", name, what, i, (double)got->data[i],
                  (double)want->data[i]);
}

/* The ConvParams a case's params.npy describes (see the generator). */
static ConvParams fixture_params(const Tensor *v)
{
    ConvParams p = geom_conv_defaults();
    cr_assert_eq(tensor_count(v), 12);
    p.stride_h = (int)v->data[0], p.stride_w = (int)v->data[1];
    p.padding = (Padding){(PadKind)(int)v->data[2], (int)v->data[3], (int)v->data[4]};
    p.pad_mode = (PadMode)(int)v->data[5];
    p.dilation_h = (int)v->data[6], p.dilation_w = (int)v->data[7];
    p.groups = (int)v->data[8];
    p.transposed = v->data[9] != 0.0f;
    p.output_padding_h = (int)v->data[10], p.output_padding_w = (int)v->data[11];
    return p;
}

/* Every case of tests/fixtures/grad/cases.txt (written with PyTorch 1.13
 * autograd by tests/gen_grad_fixtures_conv.py: stride, explicit, valid,
 * same and full padding, every padding mode, dilation, groups, depthwise,
 * transposed with output_padding), on every instruction-set path. */
Test(conv_grad, pytorch_autograd_fixtures)
{
    CpuIsa isas[ISA_COUNT];
    const size_t paths = isa_paths(isas);
    size_t cases = 0;
    for (size_t i = 0; i < paths; i++) {
        char name[64];
        FILE *list = fopen(FIXTURES "cases.txt", "r");
        cr_assert(list, "cannot open " FIXTURES "cases.txt");
        isa_use(isas[i]);
        while (fscanf(list, "%63s", name) == 1) {
            Tensor x = fixture(name, "x"), w = fixture(name, "w"), b = fixture(name, "b"), g = fixture(name, "g");
            Tensor y = fixture(name, "y"), gx = fixture(name, "gx"), gw = fixture(name, "gw"), gb = fixture(name, "gb");
            Tensor pv = fixture(name, "params"), out = {0}, dx = {0};
            Tensor dw = make_tensor(w.n, w.c, w.h, w.w, 4), db = make_tensor(1, 1, 1, tensor_count(&b), 1);
            const ConvParams p = fixture_params(&pv);
            Error err = {0};
            cr_assert_eq(conv_forward_batch(&x, &w, &b, &p, &out, &err), CS_OK, "%s: %s", name, err.message);
            expect_fixture(&out, &y, "output", name);
            cr_assert_eq(conv_backward(&x, &w, &p, &g, &dx, &dw, &db, &err), CS_OK, "%s: %s", name, err.message);
            expect_fixture(&dx, &gx, "grad_input", name);
            expect_fixture(&dw, &gw, "grad_weight", name);
            expect_fixture(&db, &gb, "grad_bias", name);
            tensor_free(&x), tensor_free(&w), tensor_free(&b), tensor_free(&g), tensor_free(&y);
            tensor_free(&gx), tensor_free(&gw), tensor_free(&gb), tensor_free(&pv), tensor_free(&out);
            tensor_free(&dx), tensor_free(&dw), tensor_free(&db);
            cases++;
        }
        fclose(list);
    }
    cr_assert_geq(cases, 12 * paths, "only %zu fixture cases ran", cases);
}

/* ---- the reference checks itself ---- */

/* Central differences of sum(forward(x, w) * R) in double against the
 * reference backward with upstream R: the sum is linear in each value, so
 * the difference is exact up to rounding. */
Test(conv_grad, reference_matches_finite_differences)
{
    Rng rng;
    rng_seed(&rng, 2026);
    for (int t = 0; t < 60; t++) {
        Case k;
        random_case(&rng, &k, (size_t)rand_int(&rng, 1, 2));
        const RefLayer l = ref_layer(&k.x, &k.w, &k.p);
        const size_t xn = tensor_count(&k.x), wn = tensor_count(&k.w), on = tensor_count(&k.g);
        double *x = to_double(k.x.data, xn), *w = to_double(k.w.data, wn), *r = to_double(k.g.data, on);
        double *b = to_double(k.b.data, l.f), *gx, *gw, *gb;
        const double eps = 1e-3;
        ref_backward(&l, x, w, r, wn, &gx, &gw, &gb, NULL);
        for (int which = 0; which < 3; which++) {
            double *v = which == 0 ? x : which == 1 ? w : b, *grad = which == 0 ? gx : which == 1 ? gw : gb;
            const size_t count = which == 0 ? xn : which == 1 ? wn : l.f;
            for (size_t i = 0; i < count; i++) {
                double s[2];
                for (int side = 0; side < 2; side++) {
                    const double keep = v[i];
                    double *out;
                    v[i] = keep + (side ? -eps : eps);
                    out = ref_forward(&l, x, w, b);
                    s[side] = 0;
                    for (size_t o = 0; o < on; o++)
                        s[side] += out[o] * r[o];
                    free(out);
                    v[i] = keep;
                }
                cr_assert(fabs((s[0] - s[1]) / (2 * eps) - grad[i]) <= 1e-7 * (1 + fabs(grad[i])),
                          "[%s] %s gradient %zu: finite difference %.10g, reference %.10g", k.text,
                          which == 0 ? "input" : which == 1 ? "weight" : "bias", i, (s[0] - s[1]) / (2 * eps),
                          grad[i]);
            }
        }
        free(x), free(w), free(r), free(b), free(gx), free(gw), free(gb);
        case_free(&k);
    }
}

/* The reference forward is conv_forward's (itself tested against
 * PyTorch and tests/support_reference.c), image by image. */
Test(conv_grad, reference_forward_is_conv_forward)
{
    Rng rng;
    rng_seed(&rng, 99);
    for (int t = 0; t < 200; t++) {
        Case k;
        random_case(&rng, &k, 2);
        const RefLayer l = ref_layer(&k.x, &k.w, &k.p);
        double *x = to_double(k.x.data, tensor_count(&k.x)), *w = to_double(k.w.data, tensor_count(&k.w));
        double *b = to_double(k.b.data, l.f), *out = ref_forward(&l, x, w, b);
        for (size_t n = 0; n < l.n; n++) {
            Tensor one = {1, l.c, l.h, l.w, 3, k.x.data + n * l.c * l.h * l.w}, y = {0};
            Error err = {0};
            cr_assert_eq(conv_forward(&one, &k.w, &k.b, &k.p, &y, &err), CS_OK, "[%s] %s", k.text, err.message);
            expect_close(y.data, out + n * l.f * l.oh * l.ow, NULL, tensor_count(&y), 1e-5, "conv_forward", k.text);
            tensor_free(&y);
        }
        free(x), free(w), free(b), free(out);
        case_free(&k);
    }
}

/* ---- the fast path against the reference ---- */

Test(conv_grad, random_configurations_every_isa)
{
    CpuIsa isas[ISA_COUNT];
    const size_t paths = isa_paths(isas);
    for (size_t i = 0; i < paths; i++) {
        Rng rng;
        isa_use(isas[i]);
        rng_seed(&rng, 1000 + i);
        for (int t = 0; t < 400; t++) {
            Case k;
            random_case(&rng, &k, (size_t)rand_int(&rng, 1, 5));
            check_case(&k, 1e-5);
            case_free(&k);
        }
    }
}

/* The trainer's two layers at batch sizes that split into several chunks
 * and leave partial vectors. */
Test(conv_grad, training_shapes)
{
    static const size_t shapes[][5] = {{1, 8, 28, 28, 3}, {8, 16, 13, 13, 3}, {3, 16, 32, 32, 5}};
    static const size_t batches[] = {1, 7, 16, 64};
    Rng rng;
    rng_seed(&rng, 5);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
            Case k = {0};
            const size_t n = batches[bi], c = shapes[s][0], f = shapes[s][1], kk = shapes[s][4];
            const size_t oh = shapes[s][2] - kk + 1, ow = shapes[s][3] - kk + 1;
            k.p = geom_conv_defaults();
            k.x = random_tensor(&rng, n, c, shapes[s][2], shapes[s][3], 4);
            k.w = random_tensor(&rng, f, c, kk, kk, 4);
            k.b = random_tensor(&rng, 1, 1, 1, f, 1);
            k.g = random_tensor(&rng, n, f, oh, ow, 4);
            snprintf(k.text, sizeof k.text, "%zux%zux%zux%zu -> %zu, %zux%zu", n, c, shapes[s][2], shapes[s][3], f,
                     kk, kk);
            check_case(&k, 1e-5);
            case_free(&k);
        }
}

/* ---- accumulation and reuse ---- */

Test(conv_grad, weight_and_bias_gradients_accumulate_over_chunks)
{
    Rng rng;
    Case k;
    Error err = {0};
    rng_seed(&rng, 31);
    random_case(&rng, &k, 6);
    const size_t wn = tensor_count(&k.w), f = tensor_count(&k.b), xi = k.x.c * k.x.h * k.x.w,
                 gi = k.g.c * k.g.h * k.g.w;
    Tensor whole_w = make_tensor(k.w.n, k.w.c, k.w.h, k.w.w, 4), whole_b = make_tensor(1, 1, 1, f, 1);
    Tensor dw = make_tensor(k.w.n, k.w.c, k.w.h, k.w.w, 4), db = make_tensor(1, 1, 1, f, 1);
    cr_assert_eq(conv_backward(&k.x, &k.w, &k.p, &k.g, NULL, &whole_w, &whole_b, &err), CS_OK, "%s", err.message);
    /* preset values stay and the chunks add up: 7 + (images 0-1) + (2-5) */
    for (size_t i = 0; i < wn; i++)
        dw.data[i] = 7.0f;
    for (size_t i = 0; i < f; i++)
        db.data[i] = 7.0f;
    for (size_t lo = 0, hi = 2; lo < 6; lo = hi, hi = 6) {
        Tensor x = {hi - lo, k.x.c, k.x.h, k.x.w, 4, k.x.data + lo * xi};
        Tensor g = {hi - lo, k.g.c, k.g.h, k.g.w, 4, k.g.data + lo * gi};
        cr_assert_eq(conv_backward(&x, &k.w, &k.p, &g, NULL, &dw, &db, &err), CS_OK, "%s", err.message);
    }
    for (size_t i = 0; i < wn; i++)
        cr_assert_float_eq(dw.data[i], 7.0f + whole_w.data[i], 1e-4f, "[%s] grad_weight %zu", k.text, i);
    for (size_t i = 0; i < f; i++)
        cr_assert_float_eq(db.data[i], 7.0f + whole_b.data[i], 1e-4f, "[%s] grad_bias %zu", k.text, i);
    tensor_free(&whole_w), tensor_free(&whole_b), tensor_free(&dw), tensor_free(&db);
    case_free(&k);
}

Test(conv_grad, shaped_outputs_are_reused_and_overwritten)
{
    Rng rng;
    Case k;
    Error err = {0};
    rng_seed(&rng, 8);
    random_case(&rng, &k, 3);
    Tensor y1 = {0}, dx1 = {0}, y2 = make_tensor(k.g.n, k.g.c, k.g.h, k.g.w, 4),
           dx2 = make_tensor(k.x.n, k.x.c, k.x.h, k.x.w, k.x.rank);
    float *y2_data = y2.data, *dx2_data = dx2.data;
    for (size_t i = 0; i < tensor_count(&y2); i++)
        y2.data[i] = 1e6f;
    for (size_t i = 0; i < tensor_count(&dx2); i++)
        dx2.data[i] = 1e6f;
    cr_assert_eq(conv_forward_batch(&k.x, &k.w, &k.b, &k.p, &y1, &err), CS_OK, "%s", err.message);
    cr_assert_eq(conv_forward_batch(&k.x, &k.w, &k.b, &k.p, &y2, &err), CS_OK, "%s", err.message);
    cr_assert_eq(conv_backward(&k.x, &k.w, &k.p, &k.g, &dx1, NULL, NULL, &err), CS_OK, "%s", err.message);
    cr_assert_eq(conv_backward(&k.x, &k.w, &k.p, &k.g, &dx2, NULL, NULL, &err), CS_OK, "%s", err.message);
    cr_assert(y2.data == y2_data && dx2.data == dx2_data, "[%s] a shaped output was reallocated", k.text);
    cr_assert_eq(dx1.rank, k.x.rank);
    cr_assert(memcmp(y1.data, y2.data, tensor_count(&y1) * sizeof(float)) == 0, "[%s] forward differs", k.text);
    cr_assert(memcmp(dx1.data, dx2.data, tensor_count(&dx1) * sizeof(float)) == 0, "[%s] grad_input differs",
              k.text);
    tensor_free(&y1), tensor_free(&y2), tensor_free(&dx1), tensor_free(&dx2);
    case_free(&k);
}

/* A rank-3 input is one image; its gradient keeps rank 3. */
Test(conv_grad, rank3_input_is_one_image)
{
    Rng rng;
    rng_seed(&rng, 3);
    Case k = {0};
    k.p = geom_conv_defaults();
    k.p.padding = (Padding){PAD_EXPLICIT, 1, 1};
    k.x = random_tensor(&rng, 1, 2, 5, 6, 3);
    k.w = random_tensor(&rng, 3, 2, 3, 3, 4);
    k.b = random_tensor(&rng, 1, 1, 1, 3, 1);
    k.g = random_tensor(&rng, 1, 3, 5, 6, 3);
    snprintf(k.text, sizeof k.text, "rank 3");
    check_case(&k, 1e-5);
    Tensor dx = {0};
    Error err = {0};
    cr_assert_eq(conv_backward(&k.x, &k.w, &k.p, &k.g, &dx, NULL, NULL, &err), CS_OK, "%s", err.message);
    cr_assert_eq(dx.rank, 3);
    tensor_free(&dx);
    case_free(&k);
}

/* ---- refused shapes ---- */

Test(conv_grad, bad_shapes_are_refused_with_their_numbers)
{
    Rng rng;
    Error err = {0};
    rng_seed(&rng, 4);
    ConvParams p = geom_conv_defaults();
    Tensor x = random_tensor(&rng, 2, 3, 8, 8, 4), w = random_tensor(&rng, 4, 3, 3, 3, 4);
    Tensor g = random_tensor(&rng, 2, 4, 5, 6, 4), g1 = random_tensor(&rng, 1, 4, 6, 6, 4);
    Tensor wrong_w = make_tensor(4, 3, 2, 3, 4), wrong_b = make_tensor(1, 1, 1, 5, 1);
    Tensor wrong_dx = make_tensor(2, 3, 8, 7, 4), wrong_y = make_tensor(2, 4, 6, 5, 4), y = {0};
    Tensor w2 = random_tensor(&rng, 4, 2, 3, 3, 4);

    cr_assert_eq(conv_backward(&x, &w, &p, &g, NULL, NULL, NULL, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "2x4x5x6") && strstr(err.message, "2x4x6x6"), "%s", err.message);
    cr_assert_eq(conv_backward(&x, &w, &p, &g1, NULL, NULL, NULL, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "1x4x6x6") && strstr(err.message, "2x4x6x6"), "%s", err.message);
    tensor_free(&g);
    g = random_tensor(&rng, 2, 4, 6, 6, 4);
    cr_assert_eq(conv_backward(&x, &w, &p, &g, NULL, &wrong_w, NULL, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "4x3x2x3") && strstr(err.message, "4x3x3x3"), "%s", err.message);
    cr_assert_eq(conv_backward(&x, &w, &p, &g, NULL, NULL, &wrong_b, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "5 values") && strstr(err.message, "4 output channels"), "%s", err.message);
    cr_assert_eq(conv_backward(&x, &w, &p, &g, &wrong_dx, NULL, NULL, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "2x3x8x7") && strstr(err.message, "2x3x8x8"), "%s", err.message);
    cr_assert_eq(conv_backward(&x, &w2, &p, &g, NULL, NULL, NULL, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "2 input channels per group") && strstr(err.message, "3 channels"), "%s",
              err.message);
    cr_assert_eq(conv_forward_batch(&x, &w, NULL, &p, &wrong_y, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "2x4x6x5") && strstr(err.message, "2x4x6x6"), "%s", err.message);
    cr_assert_eq(conv_forward_batch(&x, &w, &wrong_b, &p, &y, &err), CS_ERR_SHAPE);
    cr_assert(strstr(err.message, "bias has 5 values"), "%s", err.message);
    cr_assert_null(y.data);
    p.stride_h = 0;
    cr_assert_eq(conv_backward(&x, &w, &p, &g, NULL, NULL, NULL, &err), CS_ERR_RANGE, "%s", err.message);
    tensor_free(&x), tensor_free(&w), tensor_free(&g), tensor_free(&g1), tensor_free(&wrong_w);
    tensor_free(&wrong_b), tensor_free(&wrong_dx), tensor_free(&wrong_y), tensor_free(&w2);
}
