/* normalize.c: --normalize (see normalize.h): y = (x / 255 - M_c) / S_c,
 * computed in double and stored as float, as torchvision's ToTensor then
 * Normalize give it. */
#include "normalize.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

Status normalize_parse(const char *text, Normalize *out, Error *err)
{
    static const double imagenet_mean[3] = {0.485, 0.456, 0.406}, imagenet_std[3] = {0.229, 0.224, 0.225};
    Normalize n = {0, {0, 0, 0}, {1, 1, 1}, ""};
    snprintf(n.form, sizeof n.form, "%s", text);
    if (strcmp(text, "unit") == 0) {
        *out = n;
        return CS_OK;
    }
    n.channels = 3;
    if (strcmp(text, "imagenet") == 0) {
        memcpy(n.mean, imagenet_mean, sizeof n.mean);
        memcpy(n.std, imagenet_std, sizeof n.std);
        *out = n;
        return CS_OK;
    }
    char tail;
    if (sscanf(text, "%lf,%lf,%lf/%lf,%lf,%lf%c", &n.mean[0], &n.mean[1], &n.mean[2], &n.std[0], &n.std[1],
               &n.std[2], &tail) != 6)
        return error_set(err, CS_ERR_RANGE, "--normalize must be unit, imagenet or M1,M2,M3/S1,S2,S3, got '%s'",
                         text);
    for (int c = 0; c < 3; c++)
        if (!(n.std[c] > 0) || !isfinite(n.mean[c]) || !isfinite(n.std[c]))
            return error_set(err, CS_ERR_RANGE, "--normalize %s: every S must be a number above 0", text);
    *out = n;
    return CS_OK;
}

Status normalize_apply(const Normalize *n, Tensor *x, Error *err)
{
    if (n->channels && x->c != n->channels)
        return error_set(err, CS_ERR_SHAPE, "--normalize %s needs %zu channels, but the input has %zu", n->form,
                         n->channels, x->c);
    size_t plane = x->h * x->w;
    for (size_t c = 0; c < x->c; c++) {
        float *p = tensor_at(x, 0, c, 0, 0);
        size_t k = n->channels ? c : 0;
        for (size_t i = 0; i < plane; i++)
            p[i] = (float)(((double)p[i] / 255.0 - n->mean[k]) / n->std[k]);
    }
    return CS_OK;
}
