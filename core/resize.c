/* resize.c: antialiased bilinear resampling (see resize.h for the filter). */
#include "resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The filter of one axis: for output x, taps from first[x], count[x] of
 * them, weights at w[x*max_taps ...], normalised to sum 1. */
typedef struct Taps {
    size_t *first, *count;
    float *w;
    size_t max_taps;
} Taps;

static void taps_free(Taps *t)
{
    free(t->first);
    free(t->count);
    free(t->w);
}

static Status taps_make(size_t in, size_t out, Taps *t, Error *err)
{
    double scale = (double)in / (double)out, support = scale > 1.0 ? scale : 1.0;
    t->max_taps = (size_t)ceil(support) * 2 + 1;
    t->first = malloc(out * sizeof *t->first);
    t->count = malloc(out * sizeof *t->count);
    t->w = calloc(out * t->max_taps, sizeof *t->w);
    if (!t->first || !t->count || !t->w) {
        taps_free(t);
        return error_set(err, CS_ERR_NOMEM, "out of memory resizing %zu to %zu pixels", in, out);
    }
    for (size_t x = 0; x < out; x++) {
        double centre = ((double)x + 0.5) * scale, sum = 0.0;
        long lo = (long)floor(centre - support + 0.5), hi = (long)floor(centre + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > (long)in)
            hi = (long)in;
        if (hi - lo > (long)t->max_taps)
            hi = lo + (long)t->max_taps;
        t->first[x] = (size_t)lo;
        t->count[x] = (size_t)(hi - lo);
        double wt[t->max_taps];
        for (long i = lo; i < hi; i++) {
            double d = fabs(((double)i + 0.5 - centre) / support);
            wt[i - lo] = d < 1.0 ? 1.0 - d : 0.0;
            sum += wt[i - lo];
        }
        for (long i = lo; i < hi; i++)
            t->w[x * t->max_taps + (size_t)(i - lo)] = (float)(sum > 0 ? wt[i - lo] / sum : 0.0);
    }
    return CS_OK;
}

Status resize_antialias(const Tensor *in, size_t out_h, size_t out_w, Tensor *out, Error *err)
{
    Taps th = {0}, tw = {0};
    Tensor rows = {0};
    Status st;

    memset(out, 0, sizeof *out);
    if (out_h == 0 || out_w == 0)
        return error_set(err, CS_ERR_RANGE, "cannot resize to %zux%zu", out_h, out_w);
    if ((st = taps_make(in->w, out_w, &tw, err)) != CS_OK)
        return st;
    if ((st = taps_make(in->h, out_h, &th, err)) != CS_OK ||
        (st = tensor_init(&rows, 1, in->c, in->h, out_w, 3, err)) != CS_OK ||
        (st = tensor_init(out, 1, in->c, out_h, out_w, 3, err)) != CS_OK)
        goto done;
    /* along each row (the width), then along each column (the height) */
    for (size_t c = 0; c < in->c; c++)
        for (size_t y = 0; y < in->h; y++) {
            const float *src = tensor_at(in, 0, c, y, 0);
            float *dst = tensor_at(&rows, 0, c, y, 0);
            for (size_t x = 0; x < out_w; x++) {
                const float *w = tw.w + x * tw.max_taps;
                float sum = 0.0f;
                for (size_t k = 0; k < tw.count[x]; k++)
                    sum += w[k] * src[tw.first[x] + k];
                dst[x] = sum;
            }
        }
    for (size_t c = 0; c < in->c; c++)
        for (size_t y = 0; y < out_h; y++) {
            const float *w = th.w + y * th.max_taps;
            float *dst = tensor_at(out, 0, c, y, 0);
            for (size_t k = 0; k < th.count[y]; k++) {
                const float *src = tensor_at(&rows, 0, c, th.first[y] + k, 0);
                for (size_t x = 0; x < out_w; x++)
                    dst[x] += w[k] * src[x];
            }
        }
done:
    if (st != CS_OK)
        tensor_free(out);
    tensor_free(&rows);
    taps_free(&th);
    taps_free(&tw);
    return st;
}
