/* test_stepper.c: the stepper against the slow references, round trips,
 * seeking, granularities, and hand-worked traces (padding sources,
 * dilation, transposed stride gaps, pooling indices and divisors). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "rng.h"
#include "stepper.h"
#include "support_reference.h"

/* ---- helpers ---- */

static void tensor_random(Tensor *t, size_t n, size_t c, size_t h, size_t w, int rank, Rng *r)
{
    cr_assert_eq(tensor_init(t, n, c, h, w, rank, NULL), CS_OK);
    for (size_t i = 0; i < tensor_count(t); i++)
        t->data[i] = rng_range(r, -1.0f, 1.0f);
}

static void tensor_values(Tensor *t, size_t c, size_t h, size_t w, const float *values)
{
    cr_assert_eq(tensor_init(t, 1, c, h, w, 3, NULL), CS_OK);
    memcpy(t->data, values, c * h * w * sizeof(float));
}

static Stepper *make(const StepperConfig *cfg)
{
    Stepper *s = NULL;
    Error err = {0};
    Status st = stepper_create(cfg, &s, &err);
    cr_assert_eq(st, CS_OK, "stepper_create failed: %s", err.message);
    cr_assert_not_null(s);
    return s;
}

static StepperConfig conv_config(const Tensor *in, const Tensor *w, const Tensor *b)
{
    StepperConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kind = LAYER_CONV;
    cfg.input = in;
    cfg.weights = w;
    cfg.bias = b;
    cfg.conv = geom_conv_defaults();
    cfg.granularity = STEP_POSITION;
    return cfg;
}

static StepperConfig pool_config(const Tensor *in, PoolParams p)
{
    StepperConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kind = LAYER_POOL;
    cfg.input = in;
    cfg.pool = p;
    cfg.granularity = STEP_POSITION;
    return cfg;
}

static bool same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* A deep copy of a trace, to compare later traces against. */
typedef struct Snapshot {
    Trace t;
    TraceChannel *channels;
    TraceCell *cells;
} Snapshot;

static void snapshot_take(Snapshot *snap, const Trace *t)
{
    size_t taps = (size_t)t->kh * (size_t)t->kw;
    snap->t = *t;
    snap->channels = malloc((size_t)t->n_channels * sizeof *snap->channels);
    snap->cells = malloc((size_t)t->n_channels * taps * sizeof *snap->cells);
    cr_assert(snap->channels && snap->cells);
    for (int i = 0; i < t->n_channels; i++) {
        snap->channels[i] = t->channels[i];
        snap->channels[i].cells = snap->cells + (size_t)i * taps;
        memcpy(snap->channels[i].cells, t->channels[i].cells, taps * sizeof *snap->cells);
    }
}

static void snapshot_free(Snapshot *snap)
{
    free(snap->channels);
    free(snap->cells);
}

/* Every field of the trace, floats bit for bit, cells by memcmp. */
static void assert_same_trace(const Trace *a, const Snapshot *snap, size_t where)
{
    const Trace *b = &snap->t;
    size_t taps = (size_t)b->kh * (size_t)b->kw;
    cr_assert(a->kind == b->kind && a->index == b->index && a->count == b->count, "step %zu", where);
    cr_assert(a->out_y == b->out_y && a->out_x == b->out_x && a->filter == b->filter, "step %zu", where);
    cr_assert(a->channel_step == b->channel_step && a->term_step == b->term_step, "step %zu", where);
    cr_assert(a->kh == b->kh && a->kw == b->kw && a->stride_h == b->stride_h &&
              a->stride_w == b->stride_w && a->dilation_h == b->dilation_h &&
              a->dilation_w == b->dilation_w, "step %zu", where);
    cr_assert(memcmp(&a->pad, &b->pad, sizeof a->pad) == 0, "step %zu", where);
    cr_assert_eq(a->n_channels, b->n_channels, "step %zu", where);
    for (int i = 0; i < b->n_channels; i++) {
        const TraceChannel *ca = &a->channels[i], *cb = &snap->channels[i];
        cr_assert(ca->channel == cb->channel && ca->done == cb->done, "step %zu channel %d", where, i);
        cr_assert(same_bits(ca->sum, cb->sum) && same_bits(ca->partial, cb->partial),
                  "step %zu channel %d", where, i);
        cr_assert(memcmp(ca->cells, cb->cells, taps * sizeof *ca->cells) == 0,
                  "step %zu channel %d cells differ", where, i);
    }
    cr_assert(same_bits(a->bias, b->bias) && a->has_bias == b->has_bias, "step %zu", where);
    cr_assert(same_bits(a->total, b->total) && same_bits(a->partial_total, b->partial_total),
              "step %zu", where);
    cr_assert(a->act.kind == b->act.kind && same_bits(a->act.slope, b->act.slope) &&
              same_bits(a->activated, b->activated), "step %zu", where);
    cr_assert(a->max_cell == b->max_cell && same_bits(a->pool_sum, b->pool_sum) &&
              a->pool_divisor == b->pool_divisor && same_bits(a->pool_result, b->pool_result),
              "step %zu", where);
}

static int rand_int(Rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---- random layers of every kind ---- */

typedef struct Layer {
    Tensor in, w, b;
    StepperConfig cfg;
} Layer;

static void layer_free(Layer *l)
{
    tensor_free(&l->in);
    tensor_free(&l->w);
    tensor_free(&l->b);
}

/* A random small layer of the given kind; it may be geometrically invalid. */
static void layer_random(Layer *l, LayerKind kind, Rng *r)
{
    memset(l, 0, sizeof *l);
    int groups = rand_int(r, 1, 3), cpg = rand_int(r, 1, 2), fpg = rand_int(r, 1, 2);
    size_t h = (size_t)rand_int(r, 1, 8), w = (size_t)rand_int(r, 1, 8);
    if (kind == LAYER_POOL) {
        PoolParams p = geom_pool_defaults(rng_next(r) % 2 ? POOL_MAX : POOL_AVG, rand_int(r, 1, 4),
                                          rand_int(r, 1, 4));
        p.stride_h = rand_int(r, 1, 3);
        p.stride_w = rand_int(r, 1, 3);
        p.pad_h = rand_int(r, 0, p.kernel_h / 2);
        p.pad_w = rand_int(r, 0, p.kernel_w / 2);
        if (p.mode == POOL_MAX) {
            p.dilation_h = rand_int(r, 1, 2);
            p.dilation_w = rand_int(r, 1, 2);
        }
        p.ceil_mode = rng_next(r) % 2;
        p.count_include_pad = rng_next(r) % 2;
        tensor_random(&l->in, 1, (size_t)rand_int(r, 1, 3), h, w, 3, r);
        l->cfg = pool_config(&l->in, p);
        return;
    }
    tensor_random(&l->in, 1, (size_t)(groups * cpg), h, w, 3, r);
    size_t kh = (size_t)rand_int(r, 1, 3), kw = (size_t)rand_int(r, 1, 3);
    if (kind == LAYER_CONV)
        tensor_random(&l->w, (size_t)(groups * fpg), (size_t)cpg, kh, kw, 4, r);
    else
        tensor_random(&l->w, (size_t)(groups * cpg), (size_t)fpg, kh, kw, 4, r);
    bool with_bias = rng_next(r) % 2;
    if (with_bias)
        tensor_random(&l->b, 1, 1, 1, (size_t)(groups * fpg), 1, r);
    l->cfg = conv_config(&l->in, &l->w, with_bias ? &l->b : NULL);
    l->cfg.kind = kind;
    ConvParams *p = &l->cfg.conv;
    p->groups = groups;
    p->stride_h = rand_int(r, 1, 3);
    p->stride_w = rand_int(r, 1, 3);
    p->dilation_h = rand_int(r, 1, 2);
    p->dilation_w = rand_int(r, 1, 2);
    p->padding.kind = PAD_EXPLICIT;
    p->padding.h = rand_int(r, 0, 2);
    p->padding.w = rand_int(r, 0, 2);
    if (kind == LAYER_CONV) {
        p->padding.kind = (PadKind)rand_int(r, 0, 3);
        p->pad_mode = (PadMode)rand_int(r, 0, 3);
    } else {
        p->transposed = true;
        p->output_padding_h = rand_int(r, 0, 1);
        p->output_padding_w = rand_int(r, 0, 1);
    }
    l->cfg.act.kind = (ActKind)rand_int(r, 0, 4);
    l->cfg.act.slope = 0.1f;
}

static Status layer_reference(const Layer *l, Tensor *out, Error *err)
{
    switch (l->cfg.kind) {
    case LAYER_CONV:
        return ref_conv(l->cfg.input, l->cfg.weights, l->cfg.bias, &l->cfg.conv, out, err);
    case LAYER_CONV_TRANSPOSED:
        return ref_conv_transpose(l->cfg.input, l->cfg.weights, l->cfg.bias, &l->cfg.conv, out, err);
    case LAYER_POOL:
        break;
    }
    return ref_pool(l->cfg.input, &l->cfg.pool, out, err);
}

/* For `rounds` random layers of kind: the stepper exists exactly when the
 * reference does, has its shape, and at every position the trace's total
 * equals the reference within float rounding and the stepper's own output
 * bit for bit. */
static void check_against_reference(LayerKind kind, uint64_t seed, int rounds)
{
    Rng r;
    int valid = 0;
    unsigned seen = 0;      /* features met among the valid layers, see below */
    rng_seed(&r, seed);
    for (int round = 0; round < rounds; round++) {
        Layer l;
        Tensor ref = {0};
        Stepper *s = NULL;
        Error err = {0}, ref_err = {0};
        layer_random(&l, kind, &r);
        Status st = stepper_create(&l.cfg, &s, &err);
        Status ref_st = layer_reference(&l, &ref, &ref_err);
        cr_assert_eq(st, ref_st, "round %d: stepper says '%s', reference '%s'", round,
                     st ? err.message : "ok", ref_st ? ref_err.message : "ok");
        if (st != CS_OK) {
            cr_assert_null(s);
            cr_assert_str_eq(err.message, ref_err.message);
            layer_free(&l);
            continue;
        }
        valid++;
        if (kind == LAYER_POOL)
            seen |= 1u << (l.cfg.pool.mode * 4 + l.cfg.pool.ceil_mode * 2 + l.cfg.pool.count_include_pad);
        else
            seen |= 1u << l.cfg.conv.pad_mode | 1u << (4 + l.cfg.conv.padding.kind) |
                    (l.cfg.conv.groups > 1) << 8 | (l.cfg.conv.dilation_h > 1) << 9 |
                    (l.cfg.conv.stride_w > 1) << 10 | (l.cfg.bias != NULL) << 11;
        size_t oh, ow, nf;
        stepper_output_size(s, &oh, &ow, &nf);
        cr_assert(oh == ref.h && ow == ref.w && nf == ref.c, "round %d: shape", round);
        const Tensor *pre = stepper_preactivation(s), *post = stepper_output(s);
        cr_assert(pre->c == nf && pre->h == oh && pre->w == ow);
        for (int oy = 0; oy < (int)oh; oy++)
            for (int ox = 0; ox < (int)ow; ox++)
                for (int f = 0; f < (int)nf; f++) {
                    stepper_seek(s, stepper_index_of(s, oy, ox, f));
                    const Trace *t = stepper_trace(s);
                    float want = *tensor_at(&ref, 0, (size_t)f, (size_t)oy, (size_t)ox);
                    float got = kind == LAYER_POOL ? t->pool_result : t->total;
                    cr_assert(t->out_y == oy && t->out_x == ox && t->filter == f);
                    cr_assert(fabsf(got - want) <= 1e-5f * (1.0f + fabsf(want)) || got == want,
                              "round %d (%d,%d,%d): trace %.9g, reference %.9g", round, oy, ox, f,
                              got, want);
                    cr_assert(same_bits(got, *tensor_at(pre, 0, (size_t)f, (size_t)oy, (size_t)ox)),
                              "round %d: trace total is not the output cell bit for bit", round);
                    cr_assert(same_bits(t->activated,
                                        *tensor_at(post, 0, (size_t)f, (size_t)oy, (size_t)ox)));
                    cr_assert(same_bits(t->activated, act_apply(t->act, t->total)));
                }
        tensor_free(&ref);
        stepper_destroy(s);
        layer_free(&l);
    }
    cr_assert_gt(valid, rounds / 3, "only %d of %d random layers were valid", valid, rounds);
    /* Conv: every padding mode and kind, groups, dilation, stride, bias.
     * Transposed: zeros and explicit padding only. Pool: max and avg, each
     * with and without ceil_mode and count_include_pad. */
    unsigned want = kind == LAYER_CONV ? 0xFFFu : kind == LAYER_CONV_TRANSPOSED ? 0xF11u : 0xFFu;
    cr_assert_eq(seen & want, want, "features met: %#x of %#x", seen, want);
}

Test(stepper, conv_matches_reference_everywhere)
{
    check_against_reference(LAYER_CONV, 11, 1000);
}

Test(stepper, transposed_matches_reference_everywhere)
{
    check_against_reference(LAYER_CONV_TRANSPOSED, 12, 1000);
}

Test(stepper, pool_matches_reference_everywhere)
{
    check_against_reference(LAYER_POOL, 13, 1000);
}

/* ---- round trips, seeking, granularities ---- */

/* Walks forward to the end keeping every trace, then back to the start and
 * seeks at random, comparing each trace with the one kept. */
static void check_round_trip(Layer *l, StepGranularity g, Rng *r)
{
    l->cfg.granularity = g;
    Stepper *s = make(&l->cfg);
    size_t count = stepper_count(s);
    Snapshot *snaps = calloc(count, sizeof *snaps);
    cr_assert_not_null(snaps);
    cr_assert_eq(stepper_index(s), 0);
    cr_assert_eq(stepper_trace(s)->count, count);
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(stepper_index(s), i);
        cr_assert_eq(stepper_trace(s)->index, i);
        snapshot_take(&snaps[i], stepper_trace(s));
        cr_assert_eq(stepper_next(s), i + 1 < count);
    }
    cr_assert_eq(stepper_index(s), count - 1, "next past the end must stay");
    for (size_t i = count; i-- > 0;) {
        assert_same_trace(stepper_trace(s), &snaps[i], i);
        cr_assert_eq(stepper_prev(s), i > 0);
    }
    cr_assert_eq(stepper_index(s), 0, "prev before the start must stay");
    for (int k = 0; k < 50; k++) {
        size_t i = (size_t)(rng_next(r) % count);
        stepper_seek(s, i);
        assert_same_trace(stepper_trace(s), &snaps[i], i);
    }
    stepper_seek(s, count + 5);
    cr_assert_eq(stepper_index(s), count - 1, "seek clamps");
    assert_same_trace(stepper_trace(s), &snaps[count - 1], count - 1);
    for (size_t i = 0; i < count; i++)
        snapshot_free(&snaps[i]);
    free(snaps);
    stepper_destroy(s);
}

Test(stepper, round_trip_every_kind_and_granularity)
{
    Rng r;
    rng_seed(&r, 21);
    for (int kind = LAYER_CONV; kind <= LAYER_POOL; kind++) {
        int done = 0;
        while (done < 6) {
            Layer l;
            Stepper *s = NULL;
            layer_random(&l, (LayerKind)kind, &r);
            if (stepper_create(&l.cfg, &s, NULL) == CS_OK) {
                stepper_destroy(s);
                for (int g = STEP_POSITION; g <= STEP_TERM; g++)
                    check_round_trip(&l, (StepGranularity)g, &r);
                done++;
            }
            layer_free(&l);
        }
    }
}

/* A 2-channel, 2-filter 3x3 convolution with bias over a 4x4 input. */
static void layer_fixed_conv(Layer *l)
{
    Rng r;
    rng_seed(&r, 5);
    memset(l, 0, sizeof *l);
    tensor_random(&l->in, 1, 2, 4, 4, 3, &r);
    tensor_random(&l->w, 2, 2, 3, 3, 4, &r);
    tensor_random(&l->b, 1, 1, 1, 2, 1, &r);
    l->cfg = conv_config(&l->in, &l->w, &l->b);
    l->cfg.conv.padding.h = l->cfg.conv.padding.w = 1;
}

Test(stepper, counts_per_granularity)
{
    Layer l;
    layer_fixed_conv(&l);
    size_t positions = 4 * 4 * 2;
    size_t per[3] = {1, 2, 18};
    for (int g = STEP_POSITION; g <= STEP_TERM; g++) {
        l.cfg.granularity = (StepGranularity)g;
        Stepper *s = make(&l.cfg);
        cr_assert_eq((int)stepper_granularity(s), g);
        cr_assert_eq(stepper_steps_per_position(s), per[g]);
        cr_assert_eq(stepper_count(s), positions * per[g]);
        cr_assert_eq(stepper_index_of(s, 2, 1, 1), ((2 * 4 + 1) * 2 + 1) * per[g]);
        stepper_destroy(s);
    }
    /* Pooling has one channel: channel steps equal positions. */
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 3);
    StepperConfig cfg = pool_config(&l.in, p);
    size_t pool_per[3] = {1, 1, 6};
    for (int g = STEP_POSITION; g <= STEP_TERM; g++) {
        cfg.granularity = (StepGranularity)g;
        Stepper *s = make(&cfg);
        cr_assert_eq(stepper_count(s), 2 * 1 * 2 * pool_per[g]);
        stepper_destroy(s);
    }
    layer_free(&l);
}

Test(stepper, seek_equals_walking)
{
    Layer l;
    layer_fixed_conv(&l);
    l.cfg.granularity = STEP_TERM;
    Stepper *walker = make(&l.cfg), *seeker = make(&l.cfg);
    for (size_t i = 1; i < stepper_count(walker); i += 7) {
        while (stepper_index(walker) < i)
            stepper_next(walker);
        Snapshot snap;
        snapshot_take(&snap, stepper_trace(walker));
        stepper_seek(seeker, i);
        assert_same_trace(stepper_trace(seeker), &snap, i);
        snapshot_free(&snap);
    }
    stepper_destroy(walker);
    stepper_destroy(seeker);
    layer_free(&l);
}

Test(stepper, granularity_change_keeps_the_position)
{
    Layer l;
    layer_fixed_conv(&l);
    l.cfg.granularity = STEP_TERM;
    Stepper *s = make(&l.cfg);
    /* Position (1, 2), filter 1, channel 1, kernel cell 4. */
    size_t start = stepper_index_of(s, 1, 2, 1);
    stepper_seek(s, start + 9 + 4);
    const Trace *t = stepper_trace(s);
    cr_assert(t->channel_step == 1 && t->term_step == 4);

    stepper_set_granularity(s, STEP_CHANNEL);     /* coarsen: the containing channel step */
    t = stepper_trace(s);
    cr_assert_eq(stepper_granularity(s), STEP_CHANNEL);
    cr_assert_eq(stepper_index(s), stepper_index_of(s, 1, 2, 1) + 1);
    cr_assert(t->out_y == 1 && t->out_x == 2 && t->filter == 1);
    cr_assert(t->channel_step == 1 && t->term_step == -1);
    cr_assert_eq(t->count, 4 * 4 * 2 * 2);

    stepper_set_granularity(s, STEP_TERM);        /* refine: first term of channel 1 */
    t = stepper_trace(s);
    cr_assert_eq(stepper_index(s), start + 9);
    cr_assert(t->channel_step == 1 && t->term_step == 0);

    stepper_set_granularity(s, STEP_POSITION);    /* coarsen to the position */
    t = stepper_trace(s);
    cr_assert_eq(stepper_index(s), stepper_index_of(s, 1, 2, 1));
    cr_assert(t->out_y == 1 && t->out_x == 2 && t->filter == 1 && t->channel_step == -1);

    stepper_set_granularity(s, STEP_CHANNEL);     /* refine: first channel of the position */
    t = stepper_trace(s);
    cr_assert(t->out_y == 1 && t->out_x == 2 && t->filter == 1 && t->channel_step == 0);
    stepper_destroy(s);
    layer_free(&l);
}

/* At every sub-step: channels before the current one are done, the current
 * one has the cells up to the current term done, partial sums add exactly
 * those products, and the bias joins only at the last sub-step, where
 * partial_total is the total. */
Test(stepper, sub_steps_fill_in_the_sum)
{
    Layer l;
    layer_fixed_conv(&l);
    for (int g = STEP_CHANNEL; g <= STEP_TERM; g++) {
        l.cfg.granularity = (StepGranularity)g;
        Stepper *s = make(&l.cfg);
        size_t per = stepper_steps_per_position(s);
        size_t base = stepper_index_of(s, 0, 1, 1);
        for (size_t sub = 0; sub < per; sub++) {
            stepper_seek(s, base + sub);
            const Trace *t = stepper_trace(s);
            size_t done_terms = g == STEP_CHANNEL ? (sub + 1) * 9 : sub + 1;
            float partial_total = 0.0f;
            for (int c = 0; c < 2; c++) {
                const TraceChannel *ch = &t->channels[c];
                float partial = 0.0f, sum = 0.0f;
                for (int k = 0; k < 9; k++) {
                    bool done = (size_t)(c * 9 + k) < done_terms;
                    cr_assert_eq((ch->cells[k].flags & CELL_DONE) != 0, done, "sub %zu c %d k %d", sub,
                                 c, k);
                    sum += ch->cells[k].product;
                    if (done)
                        partial += ch->cells[k].product;
                }
                cr_assert(same_bits(ch->sum, sum) && same_bits(ch->partial, partial));
                cr_assert_eq(ch->done, (size_t)(c + 1) * 9 <= done_terms);
                if ((size_t)c * 9 < done_terms)
                    partial_total += ch->partial;
            }
            bool last = sub + 1 == per;
            if (last)
                partial_total += t->bias;
            cr_assert(same_bits(t->partial_total, partial_total), "sub %zu", sub);
            cr_assert_eq(same_bits(t->partial_total, t->total), last, "sub %zu", sub);
            cr_assert_eq(stepper_cell_done(s, 0, 1, 1), last);
        }
        stepper_destroy(s);
    }
    layer_free(&l);
}

Test(stepper, cell_done_follows_the_order)
{
    Layer l;
    layer_fixed_conv(&l);
    Stepper *s = make(&l.cfg);
    stepper_seek(s, stepper_index_of(s, 1, 3, 0));
    cr_assert(stepper_cell_done(s, 0, 0, 0));
    cr_assert(stepper_cell_done(s, 1, 2, 1));
    cr_assert(stepper_cell_done(s, 1, 3, 0));
    cr_assert_not(stepper_cell_done(s, 1, 3, 1));
    cr_assert_not(stepper_cell_done(s, 2, 0, 0));
    cr_assert_not(stepper_cell_done(s, 4, 0, 0));
    cr_assert_not(stepper_cell_done(s, -1, 0, 0));
    stepper_set_granularity(s, STEP_TERM);
    cr_assert_not(stepper_cell_done(s, 1, 3, 0), "the first term does not finish the cell");
    cr_assert(stepper_cell_done(s, 1, 2, 1));
    stepper_destroy(s);
    layer_free(&l);
}

/* ---- hand-worked traces ---- */

/* 3x3 input 1..9, all-ones 3x3 kernel, padding 1, output (0,0): the window
 * is rows -1..1, cols -1..1. Padded windows by mode:
 *   zeros     0 0 0 / 0 1 2 / 0 4 5   = 12
 *   reflect   5 4 5 / 2 1 2 / 5 4 5   = 33   ((-1,-1) from (1,1))
 *   replicate 1 1 2 / 1 1 2 / 4 4 5   = 21   ((-1,-1) from (0,0))
 *   circular  9 7 8 / 3 1 2 / 6 4 5   = 45   ((-1,-1) from (2,2)) */
Test(stepper, padding_sources_by_mode)
{
    static const float in_values[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    static const struct {
        PadMode mode;
        int corner_y, corner_x;     /* source of (-1,-1) */
        int top_y, top_x;           /* source of (-1,0) */
        float total;
    } cases[] = {
        {PADMODE_ZEROS, -1, -1, -1, -1, 12.0f},
        {PADMODE_REFLECT, 1, 1, 1, 0, 33.0f},
        {PADMODE_REPLICATE, 0, 0, 0, 0, 21.0f},
        {PADMODE_CIRCULAR, 2, 2, 2, 0, 45.0f},
    };
    Tensor in, w;
    tensor_values(&in, 1, 3, 3, in_values);
    cr_assert_eq(tensor_init(&w, 1, 1, 3, 3, 4, NULL), CS_OK);
    memcpy(w.data, ones, sizeof ones);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        StepperConfig cfg = conv_config(&in, &w, NULL);
        cfg.conv.padding.h = cfg.conv.padding.w = 1;
        cfg.conv.pad_mode = cases[i].mode;
        Stepper *s = make(&cfg);
        const Trace *t = stepper_trace(s);
        const TraceCell *c = t->channels[0].cells;
        cr_assert_eq(t->n_channels, 1);
        cr_assert(c[0].iy == -1 && c[0].ix == -1 && (c[0].flags & CELL_PAD));
        cr_assert(c[0].src_y == cases[i].corner_y && c[0].src_x == cases[i].corner_x, "mode %zu", i);
        cr_assert(c[1].src_y == cases[i].top_y && c[1].src_x == cases[i].top_x, "mode %zu", i);
        cr_assert(c[4].iy == 0 && c[4].ix == 0 && c[4].flags == CELL_DONE && c[4].src_y == 0);
        cr_assert_eq(c[4].value, 1.0f);
        if (cases[i].mode == PADMODE_ZEROS)
            cr_assert_eq(c[0].value, 0.0f);
        else
            cr_assert_eq(c[0].value, in_values[cases[i].corner_y * 3 + cases[i].corner_x]);
        cr_assert_eq(t->total, cases[i].total, "mode %zu: total %g", i, t->total);
        cr_assert_eq(*tensor_at(stepper_output(s), 0, 0, 0, 0), cases[i].total);
        cr_assert_not(t->has_bias);
        stepper_destroy(s);
    }
    tensor_free(&in);
    tensor_free(&w);
}

/* 7x7 input, 3x3 kernel, dilation 2, stride 2, no padding: output 2x2;
 * output (1, 0) reads rows 2, 4, 6 and columns 0, 2, 4. */
Test(stepper, dilation_coordinates)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 3);
    tensor_random(&in, 1, 1, 7, 7, 3, &r);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.dilation_h = cfg.conv.dilation_w = 2;
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    Stepper *s = make(&cfg);
    size_t oh, ow, nf;
    stepper_output_size(s, &oh, &ow, &nf);
    cr_assert(oh == 2 && ow == 2 && nf == 1);
    stepper_seek(s, stepper_index_of(s, 1, 0, 0));
    const Trace *t = stepper_trace(s);
    cr_assert(t->dilation_h == 2 && t->stride_w == 2);
    for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) {
            const TraceCell *c = &t->channels[0].cells[ky * 3 + kx];
            cr_assert(c->iy == 2 + 2 * ky && c->ix == 2 * kx, "cell %d,%d at %d,%d", ky, kx, c->iy, c->ix);
            cr_assert_eq(c->value, *tensor_at(&in, 0, 0, (size_t)c->iy, (size_t)c->ix));
            cr_assert_eq(c->weight, *tensor_at(&w, 0, 0, (size_t)ky, (size_t)kx));
            cr_assert(same_bits(c->product, c->value * c->weight));
        }
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* Transposed, input [[1,2],[3,4]], kernel 1..9 row-major, stride 2: the
 * output is 5x5 and out[iy*2+ky][ix*2+kx] += in[iy][ix] * w[ky][kx].
 * Output (2,2) gathers taps (0,0)<-in(1,1), (0,2)<-in(1,0), (2,0)<-in(0,1),
 * (2,2)<-in(0,0): 4*1 + 3*3 + 2*7 + 1*9 = 36; the other taps fall in
 * stride gaps. Output (1,1) gets only tap (1,1)<-in(0,0): 1*5 = 5. */
Test(stepper, transposed_stride_gaps)
{
    static const float in_values[4] = {1, 2, 3, 4};
    Tensor in, w;
    tensor_values(&in, 1, 2, 2, in_values);
    cr_assert_eq(tensor_init(&w, 1, 1, 3, 3, 4, NULL), CS_OK);
    for (int i = 0; i < 9; i++)
        w.data[i] = (float)(i + 1);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.kind = LAYER_CONV_TRANSPOSED;
    cfg.conv.transposed = true;
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    Stepper *s = make(&cfg);
    size_t oh, ow, nf;
    stepper_output_size(s, &oh, &ow, &nf);
    cr_assert(oh == 5 && ow == 5 && nf == 1);

    stepper_seek(s, stepper_index_of(s, 2, 2, 0));
    const Trace *t = stepper_trace(s);
    static const int skip22[9] = {0, 1, 0, 1, 1, 1, 0, 1, 0};
    static const int src22[9][2] = {{1, 1}, {-1, -1}, {1, 0}, {-1, -1}, {-1, -1}, {-1, -1},
                                    {0, 1}, {-1, -1}, {0, 0}};
    for (int k = 0; k < 9; k++) {
        const TraceCell *c = &t->channels[0].cells[k];
        cr_assert_eq((c->flags & CELL_SKIP) != 0, skip22[k], "tap %d", k);
        cr_assert(c->src_y == src22[k][0] && c->src_x == src22[k][1], "tap %d", k);
        cr_assert_eq(c->weight, (float)(k + 1));
        if (skip22[k])
            cr_assert(c->value == 0.0f && c->product == 0.0f);
        else
            cr_assert(c->iy == c->src_y && c->ix == c->src_x);
    }
    cr_assert_eq(t->total, 36.0f);

    stepper_seek(s, stepper_index_of(s, 1, 1, 0));
    t = stepper_trace(s);
    for (int k = 0; k < 9; k++)
        cr_assert_eq((t->channels[0].cells[k].flags & CELL_SKIP) == 0, k == 4, "tap %d", k);
    cr_assert_eq(t->total, 5.0f);
    cr_assert_eq(*tensor_at(stepper_output(s), 0, 0, 4, 4), 4.0f * 9.0f);
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* Max pooling 2x2, stride 2, ceil_mode over
 *   7 5 2
 *   7 3 7
 *   0 4 6
 * gives a 2x2 output. Window (0,0) = 7 5 / 7 3: the first 7 wins (cell 0).
 * Window (0,1) = 2 . / 7 . (cells 1 and 3 overhang): 7 at cell 2.
 * Window (1,0) = 0 4 / . .: 4 at cell 1. Window (1,1) = 6 at cell 0. */
Test(stepper, max_pool_index)
{
    static const float in_values[9] = {7, 5, 2, 7, 3, 7, 0, 4, 6};
    Tensor in;
    tensor_values(&in, 1, 3, 3, in_values);
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.ceil_mode = true;
    Stepper *s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = p});
    static const struct { int oy, ox, cell; float value; int outside_mask; } cases[] = {
        {0, 0, 0, 7.0f, 0x0}, {0, 1, 2, 7.0f, 0xA}, {1, 0, 1, 4.0f, 0xC}, {1, 1, 0, 6.0f, 0xE},
    };
    for (size_t i = 0; i < 4; i++) {
        stepper_seek(s, stepper_index_of(s, cases[i].oy, cases[i].ox, 0));
        const Trace *t = stepper_trace(s);
        cr_assert_eq(t->kind, LAYER_POOL);
        cr_assert_eq(t->n_channels, 1);
        cr_assert_eq(t->max_cell, cases[i].cell, "case %zu: max cell %d", i, t->max_cell);
        cr_assert_eq(t->pool_result, cases[i].value);
        for (int k = 0; k < 4; k++) {
            const TraceCell *c = &t->channels[0].cells[k];
            bool outside = (cases[i].outside_mask >> k) & 1;
            cr_assert_eq((c->flags & CELL_OUTSIDE) != 0, outside, "case %zu cell %d", i, k);
            if (outside)
                cr_assert(c->value == -INFINITY && c->src_y == -1);
        }
    }
    stepper_destroy(s);
    tensor_free(&in);
}

/* NaN and infinities in the pooling trace, as PyTorch 1.13's
 * F.max_pool2d(x, 2, return_indices=True) and F.avg_pool2d(x, 2) give them:
 *     1  nan    3  0
 *  -inf -inf  inf  2
 * max: nan at cell 1, inf at cell 2; avg: nan, inf. Over nan 5 / 7 nan the
 * last NaN wins (cell 3). Over -inf everywhere with padding 1 and stride 1,
 * each window gives -inf at its first cell inside the input. */
Test(stepper, pool_trace_nan_and_infinities)
{
    static const float grid[8] = {1, NAN, 3, 0, -INFINITY, -INFINITY, INFINITY, 2};
    Tensor in;
    tensor_values(&in, 1, 2, 4, grid);
    Stepper *s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in,
                                       .pool = geom_pool_defaults(POOL_MAX, 2, 2)});
    const Trace *t = stepper_trace(s);
    cr_expect(isnan(t->pool_result) && t->max_cell == 1, "max window 0: %g at cell %d",
              (double)t->pool_result, t->max_cell);
    cr_expect(isnan(*tensor_at(stepper_output(s), 0, 0, 0, 0)));
    stepper_next(s);
    cr_expect(t->pool_result == INFINITY && t->max_cell == 2, "max window 1: %g at cell %d",
              (double)t->pool_result, t->max_cell);
    stepper_destroy(s);

    s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = geom_pool_defaults(POOL_AVG, 2, 2)});
    t = stepper_trace(s);
    cr_expect(isnan(t->pool_result) && isnan(t->pool_sum), "avg window 0: %g", (double)t->pool_result);
    stepper_next(s);
    cr_expect(t->pool_result == INFINITY, "avg window 1: %g", (double)t->pool_result);
    stepper_destroy(s);
    tensor_free(&in);

    static const float two_nans[4] = {NAN, 5, 7, NAN};
    tensor_values(&in, 1, 2, 2, two_nans);
    s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = geom_pool_defaults(POOL_MAX, 2, 2)});
    t = stepper_trace(s);
    cr_expect(isnan(t->pool_result) && t->max_cell == 3, "two NaNs: %g at cell %d", (double)t->pool_result,
              t->max_cell);
    stepper_destroy(s);
    tensor_free(&in);

    static const float neg[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    tensor_values(&in, 1, 2, 2, neg);
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.stride_h = p.stride_w = 1;
    p.pad_h = p.pad_w = 1;
    s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = p});
    /* Window (oy, ox) starts at input (oy-1, ox-1): its first cell inside. */
    static const int first_inside[3][3] = {{3, 2, 2}, {1, 0, 0}, {1, 0, 0}};
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++) {
            stepper_seek(s, stepper_index_of(s, oy, ox, 0));
            t = stepper_trace(s);
            cr_expect(t->pool_result == -INFINITY && t->max_cell == first_inside[oy][ox],
                      "all -inf (%d,%d): %g at cell %d", oy, ox, (double)t->pool_result, t->max_cell);
        }
    stepper_destroy(s);
    tensor_free(&in);
}

/* A 1x1 convolution of weight 1 with ReLU over nan, -inf, inf, -2: the
 * trace's activation and the output map are nan, 0, inf, 0 (torch.relu). */
Test(stepper, relu_keeps_nan_in_trace_and_output)
{
    static const float values[4] = {NAN, -INFINITY, INFINITY, -2};
    Tensor in, w;
    tensor_values(&in, 1, 1, 4, values);
    cr_assert_eq(tensor_init(&w, 1, 1, 1, 1, 4, NULL), CS_OK);
    w.data[0] = 1.0f;
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.act.kind = ACT_RELU;
    Stepper *s = make(&cfg);
    for (int x = 0; x < 4; x++) {
        stepper_seek(s, stepper_index_of(s, 0, x, 0));
        const Trace *t = stepper_trace(s);
        float out = *tensor_at(stepper_output(s), 0, 0, 0, (size_t)x);
        if (x == 0) {
            cr_expect(isnan(t->total) && isnan(t->activated), "relu(nan) in the trace is %g",
                      (double)t->activated);
            cr_expect(isnan(out), "relu(nan) in the output is %g", (double)out);
        } else {
            float want = x == 2 ? INFINITY : 0.0f;
            cr_expect(t->activated == want && out == want, "relu(%g): trace %g, output %g", (double)values[x],
                      (double)t->activated, (double)out);
        }
    }
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* Pooling at term granularity over 1 2 / 3 4 (2x2 window): the running
 * sum 1, 3, 6, 10 (avg) or running max 1, 2, 3, 4 (max) fills in; the
 * result is the same at every sub-step and the cell finishes at the last. */
Test(stepper, pool_term_steps)
{
    static const float in_values[4] = {1, 2, 3, 4};
    static const float running[2][4] = {{1, 2, 3, 4}, {1, 3, 6, 10}};
    Tensor in;
    tensor_values(&in, 1, 2, 2, in_values);
    for (int mode = POOL_MAX; mode <= POOL_AVG; mode++) {
        StepperConfig cfg = pool_config(&in, geom_pool_defaults((PoolMode)mode, 2, 2));
        cfg.granularity = STEP_TERM;
        Stepper *s = make(&cfg);
        cr_assert_eq(stepper_count(s), 4);
        for (int k = 0; k < 4; k++) {
            stepper_seek(s, (size_t)k);
            const Trace *t = stepper_trace(s);
            cr_assert(t->channel_step == 0 && t->term_step == k);
            cr_assert_eq(t->channels[0].partial, running[mode][k], "mode %d step %d", mode, k);
            cr_assert_eq(t->partial_total, running[mode][k]);
            cr_assert_eq(t->pool_result, mode == POOL_MAX ? 4.0f : 2.5f);
            cr_assert_eq(t->channels[0].done, k == 3);
            cr_assert_eq(stepper_cell_done(s, 0, 0, 0), k == 3);
            for (int c = 0; c < 4; c++)
                cr_assert_eq((t->channels[0].cells[c].flags & CELL_DONE) != 0, c <= k);
        }
        stepper_destroy(s);
    }
    tensor_free(&in);
}

/* Average pooling 3x3, stride 2, padding 1, ceil_mode over a 4x4 input of
 * 1..16: output 3x3 (ceil(3/2)+1; the last window starts at row 3, inside).
 * The window of output 2 is rows 3 (input), 4 (padding), 5 (overhang).
 *   (0,0): input cells 1 2 5 6 = 14; include pad 3x3 = 9, exclude 2x2 = 4
 *   (0,2): input cells 4 8 = 12;     include 3x2 = 6,      exclude 2x1 = 2
 *   (2,2): input cell 16;            include 2x2 = 4,      exclude 1 */
Test(stepper, avg_pool_divisors)
{
    Tensor in;
    cr_assert_eq(tensor_init(&in, 1, 1, 4, 4, 3, NULL), CS_OK);
    for (int i = 0; i < 16; i++)
        in.data[i] = (float)(i + 1);
    static const struct { int oy, ox; float sum; int incl, excl; } cases[] = {
        {0, 0, 14.0f, 9, 4}, {0, 2, 12.0f, 6, 2}, {2, 2, 16.0f, 4, 1},
    };
    for (int include = 0; include < 2; include++) {
        PoolParams p = geom_pool_defaults(POOL_AVG, 3, 3);
        p.stride_h = p.stride_w = 2;
        p.pad_h = p.pad_w = 1;
        p.ceil_mode = true;
        p.count_include_pad = include;
        Stepper *s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = p});
        size_t oh, ow, nf;
        stepper_output_size(s, &oh, &ow, &nf);
        cr_assert(oh == 3 && ow == 3 && nf == 1);
        for (size_t i = 0; i < 3; i++) {
            stepper_seek(s, stepper_index_of(s, cases[i].oy, cases[i].ox, 0));
            const Trace *t = stepper_trace(s);
            int divisor = include ? cases[i].incl : cases[i].excl;
            cr_assert_eq(t->pool_sum, cases[i].sum);
            cr_assert_eq(t->pool_divisor, divisor, "case %zu include %d: divisor %d", i, include,
                         t->pool_divisor);
            cr_assert(same_bits(t->pool_result, cases[i].sum / (float)divisor));
            cr_assert_eq(t->max_cell, -1);
        }
        stepper_seek(s, stepper_index_of(s, 2, 2, 0));
        const TraceCell *c = stepper_trace(s)->channels[0].cells;
        cr_assert_eq(c[0].flags & ~CELL_DONE, 0);           /* (3,3): input */
        cr_assert_eq(c[1].flags & ~CELL_DONE, CELL_PAD);    /* (3,4): padding */
        cr_assert_eq(c[2].flags & ~CELL_DONE, CELL_OUTSIDE); /* (3,5): overhang */
        cr_assert_eq(c[8].flags & ~CELL_DONE, CELL_OUTSIDE);
        cr_assert_eq(c[1].value, 0.0f);
        stepper_destroy(s);
    }
    tensor_free(&in);
}

/* Groups: filter f of a 4-channel, 2-group layer reads channels 2 and 3
 * (absolute indices) when f is in the second group. */
Test(stepper, groups_read_their_channels)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 8);
    tensor_random(&in, 1, 4, 3, 3, 3, &r);
    tensor_random(&w, 4, 2, 1, 1, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.groups = 2;
    Stepper *s = make(&cfg);
    stepper_seek(s, stepper_index_of(s, 1, 1, 3));
    const Trace *t = stepper_trace(s);
    cr_assert_eq(t->n_channels, 2);
    cr_assert(t->channels[0].channel == 2 && t->channels[1].channel == 3);
    cr_assert_eq(t->channels[1].cells[0].value, *tensor_at(&in, 0, 3, 1, 1));
    cr_assert_eq(t->channels[1].cells[0].weight, *tensor_at(&w, 3, 1, 0, 0));
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* Only the tensors' data is borrowed: the Tensor structs the config
 * pointed at may be overwritten once the stepper exists. */
Test(stepper, tensor_headers_need_not_outlive)
{
    Layer l;
    layer_fixed_conv(&l);
    Tensor in = l.in, w = l.w, b = l.b;
    StepperConfig cfg = conv_config(&in, &w, &b);
    cfg.conv.padding.h = cfg.conv.padding.w = 1;
    Stepper *s = make(&cfg);
    float want = *tensor_at(stepper_output(s), 0, 1, 2, 3);
    memset(&in, 0xA5, sizeof in);
    memset(&w, 0xA5, sizeof w);
    memset(&b, 0xA5, sizeof b);
    stepper_seek(s, stepper_index_of(s, 2, 3, 1));
    cr_assert(same_bits(stepper_trace(s)->total, want));
    cr_assert_eq(stepper_trace(s)->channels[1].cells[4].value, *tensor_at(&l.in, 0, 1, 2, 3));
    stepper_destroy(s);
    layer_free(&l);
}

/* ---- bad configurations ---- */

/* The stepper refuses with the very message geom or conv_check give. */
Test(stepper, bad_configurations_refused)
{
    Rng r;
    Tensor in, w, w_bad;
    rng_seed(&r, 9);
    tensor_random(&in, 1, 3, 4, 4, 3, &r);
    tensor_random(&w, 2, 3, 3, 3, 4, &r);
    tensor_random(&w_bad, 2, 2, 3, 3, 4, &r);
    Error want, got;
    size_t f, oh, ow;
    Stepper *s = (Stepper *)&r;

    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.stride_h = 0;
    cr_assert_neq(geom_conv_output(&cfg.conv, 4, 4, 3, 3, &oh, &ow, &want), CS_OK);
    cr_assert_neq(stepper_create(&cfg, &s, &got), CS_OK);
    cr_assert_null(s);
    cr_assert_str_eq(got.message, want.message);

    cfg = conv_config(&in, &w_bad, NULL);
    cr_assert_neq(conv_check(&in, &w_bad, NULL, &cfg.conv, &f, &want), CS_OK);
    cr_assert_eq(stepper_create(&cfg, &s, &got), CS_ERR_SHAPE);
    cr_assert_str_eq(got.message, want.message);

    cfg = conv_config(&in, &w, NULL);
    cfg.conv.pad_mode = PADMODE_REFLECT;
    cfg.conv.padding.h = 4;
    cr_assert_neq(geom_conv_output(&cfg.conv, 4, 4, 3, 3, &oh, &ow, &want), CS_OK);
    cr_assert_eq(stepper_create(&cfg, &s, &got), CS_ERR_RANGE);
    cr_assert_str_eq(got.message, want.message);

    cfg = conv_config(&in, &w, NULL);
    cfg.conv.padding.kind = PAD_VALID;
    cfg.conv.dilation_h = 2;        /* 5 rows of kernel over 4 */
    cr_assert_neq(geom_conv_output(&cfg.conv, 4, 4, 3, 3, &oh, &ow, &want), CS_OK);
    cr_assert_eq(stepper_create(&cfg, &s, &got), CS_ERR_RANGE);
    cr_assert_str_eq(got.message, want.message);

    cfg = conv_config(&in, &w, NULL);
    cfg.kind = LAYER_CONV_TRANSPOSED;   /* params still say not transposed */
    cr_assert_eq(stepper_create(&cfg, &s, &got), CS_ERR_RANGE);
    cr_assert(strstr(got.message, "transposed") != NULL);

    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.pad_h = 2;
    cr_assert_neq(geom_pool_output(&p, 4, 4, &oh, &ow, &want), CS_OK);
    cfg = pool_config(&in, p);
    cr_assert_eq(stepper_create(&cfg, &s, &got), CS_ERR_RANGE);
    cr_assert_str_eq(got.message, want.message);
    cr_assert(strstr(got.message, "half the kernel") != NULL);

    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&w_bad);
}

/* ---- size ---- */

/* A 3x1024x1024 input through 4 filters of 3x3, padding 1, with ReLU: the
 * stepper builds in well under a second; spot cells agree with a double sum. */
Test(stepper, megapixel_input)
{
    Rng r;
    Tensor in, w, b;
    rng_seed(&r, 10);
    tensor_random(&in, 1, 3, 1024, 1024, 3, &r);
    tensor_random(&w, 4, 3, 3, 3, 4, &r);
    tensor_random(&b, 1, 1, 1, 4, 1, &r);
    StepperConfig cfg = conv_config(&in, &w, &b);
    cfg.conv.padding.h = cfg.conv.padding.w = 1;
    cfg.act.kind = ACT_RELU;
    cfg.granularity = STEP_TERM;
    Stepper *s = make(&cfg);
    cr_assert_eq(stepper_count(s), (size_t)1024 * 1024 * 4 * 27);
    static const int spots[][3] = {{0, 0, 0}, {1023, 1023, 3}, {512, 0, 1}, {0, 1023, 2}, {700, 300, 3}};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        int oy = spots[i][0], ox = spots[i][1], f = spots[i][2];
        double want = b.data[f];
        for (int c = 0; c < 3; c++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    int iy = oy - 1 + ky, ix = ox - 1 + kx;
                    if (iy >= 0 && iy < 1024 && ix >= 0 && ix < 1024)
                        want += (double)*tensor_at(&w, (size_t)f, (size_t)c, (size_t)ky, (size_t)kx) *
                                *tensor_at(&in, 0, (size_t)c, (size_t)iy, (size_t)ix);
                }
        stepper_seek(s, stepper_index_of(s, oy, ox, f) + 26);
        const Trace *t = stepper_trace(s);
        cr_assert(fabs(t->total - want) < 1e-4, "spot %zu", i);
        cr_assert(same_bits(t->total, *tensor_at(stepper_preactivation(s), 0, (size_t)f, (size_t)oy,
                                                 (size_t)ox)));
        cr_assert(same_bits(t->activated, *tensor_at(stepper_output(s), 0, (size_t)f, (size_t)oy,
                                                     (size_t)ox)));
        cr_assert(same_bits(t->activated, t->total > 0.0f ? t->total : 0.0f));
    }
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
    tensor_free(&b);
}

/* ---- the geometry and values a picture of the layer shows ---- */

/* 5x5 input, 3x3 kernel, stride 2, padding 1: output 3x3, window (oy, ox)
 * covers rows 2*oy-1 .. 2*oy+1 and likewise columns. Input (2, 0) is read
 * only by output (1, 0) (rows: 2 = 2*1-1+1; columns: 0 = 2*0-1+1); the
 * padding corner (-1, -1) only by (0, 0); every row and column of the
 * padded input -1..5 is read. */
Test(stepper, window_reads_stride_two_padding_one)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 5);
    tensor_random(&in, 1, 1, 5, 5, 3, &r);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    cfg.conv.padding.h = cfg.conv.padding.w = 1;
    Stepper *s = make(&cfg);
    for (int oy = 0; oy < 3; oy++)
        for (int ox = 0; ox < 3; ox++) {
            cr_expect_eq(stepper_window_reads(s, oy, ox, 2, 0), oy == 1 && ox == 0, "(%d,%d)", oy, ox);
            cr_expect_eq(stepper_window_reads(s, oy, ox, -1, -1), oy == 0 && ox == 0, "(%d,%d)", oy, ox);
        }
    cr_expect(stepper_window_reads(s, 1, 0, 3, 1));
    cr_expect(!stepper_window_reads(s, 1, 0, 4, 1));
    cr_expect(!stepper_window_reads(s, 3, 0, 5, 0), "output row 3 does not exist");
    bool unread[7];
    cr_expect_eq(stepper_unreached(s, 0, unread, 7), 0);
    cr_expect_eq(stepper_unreached(s, 1, unread, 7), 0);
    int y0, x0, rows, cols;
    stepper_input_extent(s, &y0, &x0, &rows, &cols);
    cr_expect(y0 == -1 && x0 == -1 && rows == 7 && cols == 7);
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* A 6x4 input, 3x3 kernel, stride 2, no padding: output 2x1. Rows: the
 * windows cover 0..2 and 2..4, so row 5 is unread; columns: the one
 * window covers 0..2, so column 3 is unread. With padding 1 (output 3x2)
 * the windows cover rows -1..5 and columns -1..3, and only the bottom
 * padding row 6 (j = 7) and the right padding column 4 (j = 5) are
 * unread. */
Test(stepper, unreached_rows_and_columns)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 6);
    tensor_random(&in, 1, 1, 6, 4, 3, &r);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    Stepper *s = make(&cfg);
    bool unread[8];
    cr_expect_eq(stepper_unreached(s, 0, unread, 8), 1);
    for (int j = 0; j < 6; j++)
        cr_expect_eq(unread[j], j == 5, "row %d", j);
    cr_expect_eq(stepper_unreached(s, 1, unread, 8), 1);
    for (int j = 0; j < 4; j++)
        cr_expect_eq(unread[j], j == 3, "column %d", j);
    stepper_destroy(s);
    cfg.conv.padding.h = cfg.conv.padding.w = 1;
    s = make(&cfg);
    cr_expect_eq(stepper_unreached(s, 0, unread, 8), 1);
    for (int j = 0; j < 8; j++)
        cr_expect_eq(unread[j], j == 7, "padded row %d", j - 1);
    cr_expect_eq(stepper_unreached(s, 1, unread, 8), 1);
    for (int j = 0; j < 6; j++)
        cr_expect_eq(unread[j], j == 5, "padded column %d", j - 1);
    /* A short buffer: rows -1..2 only, all read. */
    cr_expect_eq(stepper_unreached(s, 0, unread, 4), 0);
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* 7x7 input, 3x3 kernel, dilation 2, stride 2 (output 2x2): the windows
 * read rows and columns 0 2 4 and 2 4 6, so the odd ones fall in the
 * gaps: input (3, 3) feeds no output, three rows and three columns are
 * unread. */
Test(stepper, window_reads_dilation_gaps)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 7);
    tensor_random(&in, 1, 1, 7, 7, 3, &r);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.conv.dilation_h = cfg.conv.dilation_w = 2;
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    Stepper *s = make(&cfg);
    for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++) {
            cr_expect(!stepper_window_reads(s, oy, ox, 3, 3));
            cr_expect(stepper_window_reads(s, oy, ox, 4, 4));
        }
    cr_expect(stepper_window_reads(s, 1, 0, 6, 0));
    cr_expect(!stepper_window_reads(s, 0, 0, 6, 0));
    bool unread[7];
    cr_expect_eq(stepper_unreached(s, 0, unread, 7), 3);
    for (int j = 0; j < 7; j++)
        cr_expect_eq(unread[j], j % 2 == 1, "row %d", j);
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* 3x3 input 1..9, padding 1, the value read at each padding cell:
 *                 (-1,-1)  (-1,0)  (3,1)  (1,3)
 *   zeros            0       0      0      0
 *   reflect          5       4      5      5     (mirror about the edge)
 *   replicate        1       1      8      6     (the edge repeated)
 *   circular         9       7      2      4     (wrapped to the far side) */
Test(stepper, input_value_by_padding_mode)
{
    static const float in_values[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const struct {
        PadMode mode;
        float corner, top, below, right;
    } cases[] = {
        {PADMODE_ZEROS, 0, 0, 0, 0},
        {PADMODE_REFLECT, 5, 4, 5, 5},
        {PADMODE_REPLICATE, 1, 1, 8, 6},
        {PADMODE_CIRCULAR, 9, 7, 2, 4},
    };
    Rng r;
    Tensor in, w;
    rng_seed(&r, 8);
    tensor_values(&in, 1, 3, 3, in_values);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        StepperConfig cfg = conv_config(&in, &w, NULL);
        cfg.conv.padding.h = cfg.conv.padding.w = 1;
        cfg.conv.pad_mode = cases[i].mode;
        Stepper *s = make(&cfg);
        cr_expect_eq(stepper_input_value(s, 0, -1, -1), cases[i].corner, "mode %zu", i);
        cr_expect_eq(stepper_input_value(s, 0, -1, 0), cases[i].top, "mode %zu", i);
        cr_expect_eq(stepper_input_value(s, 0, 3, 1), cases[i].below, "mode %zu", i);
        cr_expect_eq(stepper_input_value(s, 0, 1, 3), cases[i].right, "mode %zu", i);
        cr_expect_eq(stepper_input_value(s, 0, 1, 2), 6.0f, "inside: the input, mode %zu", i);
        stepper_destroy(s);
    }
    tensor_free(&in);
    tensor_free(&w);
}

/* 5x5 input, 2x2 pooling, stride 2, ceil_mode: output 3x3, the last row
 * and column of windows overhang to row/column 5, so the picture shows 6x6
 * cells; output (2, 2) reads (4, 4) and the overhang (5, 5); every input
 * row is read. The overhang's value is -inf for max pooling, 0 for avg;
 * with padding 1 (avg) the padding cell (-1, -1) reads 0. */
Test(stepper, pool_ceil_mode_extent_and_values)
{
    Rng r;
    Tensor in;
    rng_seed(&r, 9);
    tensor_random(&in, 1, 2, 5, 5, 3, &r);
    PoolParams p = geom_pool_defaults(POOL_MAX, 2, 2);
    p.ceil_mode = true;
    Stepper *s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = p});
    int y0, x0, rows, cols;
    stepper_input_extent(s, &y0, &x0, &rows, &cols);
    cr_expect(y0 == 0 && x0 == 0 && rows == 6 && cols == 6, "%d %d %d %d", y0, x0, rows, cols);
    cr_expect(stepper_window_reads(s, 2, 2, 4, 4));
    cr_expect(stepper_window_reads(s, 2, 2, 5, 5));
    cr_expect(!stepper_window_reads(s, 1, 1, 4, 4));
    bool unread[5];
    cr_expect_eq(stepper_unreached(s, 0, unread, 5), 0);
    cr_expect_eq(stepper_input_value(s, 1, 5, 5), -INFINITY);
    cr_expect_eq(stepper_input_value(s, 1, 4, 3), *tensor_at(&in, 0, 1, 4, 3));
    stepper_destroy(s);
    p = geom_pool_defaults(POOL_AVG, 3, 3);
    p.pad_h = p.pad_w = 1;
    p.stride_h = p.stride_w = 2;
    s = make(&(StepperConfig){.kind = LAYER_POOL, .input = &in, .pool = p});
    cr_expect_eq(stepper_input_value(s, 0, -1, -1), 0.0f);
    stepper_input_extent(s, &y0, &x0, &rows, &cols);
    cr_expect(y0 == -1 && x0 == -1 && rows == 7 && cols == 7);
    stepper_destroy(s);
    tensor_free(&in);
}

/* Transposed, 2x2 input, 3x3 kernel, stride 2 (output 5x5): output (2, 2)
 * gathers all four inputs, output (1, 1) only input (0, 0) (at tap (1, 1)),
 * output (1, 2) inputs (0, 0) and (0, 1). The input has no padding. */
Test(stepper, window_reads_transposed)
{
    Rng r;
    Tensor in, w;
    rng_seed(&r, 10);
    tensor_random(&in, 1, 1, 2, 2, 3, &r);
    tensor_random(&w, 1, 1, 3, 3, 4, &r);
    StepperConfig cfg = conv_config(&in, &w, NULL);
    cfg.kind = LAYER_CONV_TRANSPOSED;
    cfg.conv.transposed = true;
    cfg.conv.stride_h = cfg.conv.stride_w = 2;
    Stepper *s = make(&cfg);
    for (int iy = 0; iy < 2; iy++)
        for (int ix = 0; ix < 2; ix++) {
            cr_expect(stepper_window_reads(s, 2, 2, iy, ix));
            cr_expect_eq(stepper_window_reads(s, 1, 1, iy, ix), iy == 0 && ix == 0);
            cr_expect_eq(stepper_window_reads(s, 1, 2, iy, ix), iy == 0);
        }
    int y0, x0, rows, cols;
    stepper_input_extent(s, &y0, &x0, &rows, &cols);
    cr_expect(y0 == 0 && x0 == 0 && rows == 2 && cols == 2);
    bool unread[2];
    cr_expect_eq(stepper_unreached(s, 0, unread, 2), 0);
    stepper_destroy(s);
    tensor_free(&in);
    tensor_free(&w);
}

/* For random layers of every kind, against the traces themselves (the
 * brute force over every output cell's window): at every position, a
 * coordinate around the picture is read exactly when the trace has a cell
 * there that is not CELL_SKIP, each such cell's value is
 * stepper_input_value's, a row or column is unreached exactly when no
 * position's trace touches it, and the picture's extent is the padded
 * input grown to the farthest trace cell. */
static void check_geometry_against_traces(LayerKind kind, uint64_t seed, int rounds)
{
    enum { MARGIN = 2, MAX_SIDE = 40 };
    Rng r;
    int valid = 0;
    rng_seed(&r, seed);
    for (int round = 0; round < rounds; round++) {
        Layer l;
        Stepper *s = NULL;
        layer_random(&l, kind, &r);
        if (stepper_create(&l.cfg, &s, NULL) != CS_OK) {
            layer_free(&l);
            continue;
        }
        valid++;
        size_t oh, ow, nf;
        int y0, x0, rows, cols;
        stepper_output_size(s, &oh, &ow, &nf);
        stepper_input_extent(s, &y0, &x0, &rows, &cols);
        cr_assert(rows + 2 * MARGIN <= MAX_SIDE && cols + 2 * MARGIN <= MAX_SIDE);
        Pad4 pad = stepper_padding(s);
        bool transposed = kind == LAYER_CONV_TRANSPOSED;
        int top = transposed ? 0 : pad.top, left = transposed ? 0 : pad.left;
        int padded_h = (int)l.in.h + (transposed ? 0 : pad.top + pad.bottom);
        int padded_w = (int)l.in.w + (transposed ? 0 : pad.left + pad.right);
        int far_y = y0 + padded_h - 1, far_x = x0 + padded_w - 1;
        bool row_read[MAX_SIDE] = {false}, col_read[MAX_SIDE] = {false};
        for (int oy = 0; oy < (int)oh; oy++)
            for (int ox = 0; ox < (int)ow; ox++) {
                bool in_window[MAX_SIDE][MAX_SIDE] = {{false}};
                for (int f = 0; f < (int)nf; f++) {
                    stepper_seek(s, stepper_index_of(s, oy, ox, f));
                    const Trace *t = stepper_trace(s);
                    for (int c = 0; c < t->n_channels; c++)
                        for (int k = 0; k < t->kh * t->kw; k++) {
                            const TraceCell *cell = &t->channels[c].cells[k];
                            if (cell->flags & CELL_SKIP)
                                continue;
                            cr_assert(same_bits(stepper_input_value(s, t->channels[c].channel, cell->iy, cell->ix),
                                                cell->value),
                                      "round %d (%d,%d,%d): value at (%d,%d)", round, oy, ox, f, cell->iy, cell->ix);
                            int wy = cell->iy - y0 + MARGIN, wx = cell->ix - x0 + MARGIN;
                            cr_assert(wy >= MARGIN && wx >= MARGIN && wy < rows + MARGIN && wx < cols + MARGIN,
                                      "round %d: trace cell (%d,%d) outside the extent", round, cell->iy, cell->ix);
                            in_window[wy][wx] = true;
                            far_y = cell->iy > far_y ? cell->iy : far_y;
                            far_x = cell->ix > far_x ? cell->ix : far_x;
                            if (cell->iy - y0 < padded_h)
                                row_read[cell->iy - y0] = true;
                            if (cell->ix - x0 < padded_w)
                                col_read[cell->ix - x0] = true;
                        }
                }
                for (int wy = 0; wy < rows + 2 * MARGIN; wy++)
                    for (int wx = 0; wx < cols + 2 * MARGIN; wx++)
                        cr_assert_eq(stepper_window_reads(s, oy, ox, wy + y0 - MARGIN, wx + x0 - MARGIN),
                                     in_window[wy][wx], "round %d: output (%d,%d), input (%d,%d)", round, oy,
                                     ox, wy + y0 - MARGIN, wx + x0 - MARGIN);
            }
        cr_assert(y0 == -top && x0 == -left, "round %d: extent origin", round);
        cr_assert(rows == far_y - y0 + 1 && cols == far_x - x0 + 1, "round %d: extent %dx%d", round, rows, cols);
        bool unread[MAX_SIDE];
        int n = stepper_unreached(s, 0, unread, MAX_SIDE), count = 0;
        for (int j = 0; j < padded_h; j++) {
            cr_assert_eq(unread[j], !row_read[j], "round %d: row %d", round, j + y0);
            count += !row_read[j];
        }
        cr_assert_eq(n, count, "round %d", round);
        n = stepper_unreached(s, 1, unread, MAX_SIDE);
        count = 0;
        for (int j = 0; j < padded_w; j++) {
            cr_assert_eq(unread[j], !col_read[j], "round %d: column %d", round, j + x0);
            count += !col_read[j];
        }
        cr_assert_eq(n, count, "round %d", round);
        cr_assert(!stepper_window_reads(s, -1, 0, y0, x0) && !stepper_window_reads(s, (int)oh, 0, y0, x0));
        stepper_destroy(s);
        layer_free(&l);
    }
    cr_assert_gt(valid, rounds / 3, "only %d of %d random layers were valid", valid, rounds);
}

Test(stepper, conv_geometry_matches_traces)
{
    check_geometry_against_traces(LAYER_CONV, 21, 300);
}

Test(stepper, transposed_geometry_matches_traces)
{
    check_geometry_against_traces(LAYER_CONV_TRANSPOSED, 22, 300);
}

Test(stepper, pool_geometry_matches_traces)
{
    check_geometry_against_traces(LAYER_POOL, 23, 300);
}
