/* tensor.c: allocation and shape helpers for Tensor (see tensor.h). */
#include "tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mul_overflows(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *out = a * b;
    return 0;
}

Status tensor_init(Tensor *t, size_t n, size_t c, size_t h, size_t w, int rank, Error *err)
{
    size_t count, bytes;
    memset(t, 0, sizeof *t);
    if (n == 0 || c == 0 || h == 0 || w == 0)
        return error_set(err, CS_ERR_RANGE, "tensor shape %zux%zux%zux%zu has a zero dimension", n, c, h, w);
    if (rank < 1 || rank > 4)
        return error_set(err, CS_ERR_RANGE, "tensor rank %d is not between 1 and 4", rank);
    if (mul_overflows(n, c, &count) || mul_overflows(count, h, &count) ||
        mul_overflows(count, w, &count) || mul_overflows(count, sizeof(float), &bytes))
        return error_set(err, CS_ERR_NOMEM, "tensor shape %zux%zux%zux%zu is too large", n, c, h, w);
    t->data = calloc(count, sizeof(float));
    if (!t->data)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate %zu bytes for a %zux%zux%zux%zu tensor",
                         bytes, n, c, h, w);
    t->n = n;
    t->c = c;
    t->h = h;
    t->w = w;
    t->rank = rank;
    return CS_OK;
}

void tensor_free(Tensor *t)
{
    if (!t)
        return;
    free(t->data);
    memset(t, 0, sizeof *t);
}

Status tensor_copy(Tensor *dst, const Tensor *src, Error *err)
{
    Status st = tensor_init(dst, src->n, src->c, src->h, src->w, src->rank, err);
    if (st != CS_OK)
        return st;
    memcpy(dst->data, src->data, tensor_count(src) * sizeof(float));
    return CS_OK;
}

size_t tensor_count(const Tensor *t)
{
    return t->n * t->c * t->h * t->w;
}

void tensor_shape_text(const Tensor *t, char *buf, size_t size)
{
    size_t dims[4] = {t->n, t->c, t->h, t->w};
    int first = 4 - t->rank;
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (int i = first < 0 ? 0 : first; i < 4 && used < size; i++) {
        int k = snprintf(buf + used, size - used, i == first ? "%zu" : "x%zu", dims[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}
