/* normalize.h: --normalize, how image values (0-255) enter a network
 * (DESIGN.md "Networks"):
 *   unit                   x / 255
 *   imagenet               (x / 255 - mean_c) / std_c with torchvision's ImageNet
 *                          statistics, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)
 *   M1,M2,M3/S1,S2,S3      (x / 255 - M_c) / S_c
 * The per-channel forms need 3 channels. */
#ifndef CONVSTEP_NORMALIZE_H
#define CONVSTEP_NORMALIZE_H

#include <stddef.h>

#include "error.h"
#include "tensor.h"

typedef struct Normalize {
    size_t channels;            /* 0: unit (every channel x / 255); 3: per channel */
    double mean[3], std[3];
    char form[64];              /* the text as given, for messages (cut to fit) */
} Normalize;

/* Parses text ("unit", "imagenet" or "M1,M2,M3/S1,S2,S3", every S above 0)
 * into *out; CS_ERR_RANGE with "--normalize must be unit, imagenet or
 * M1,M2,M3/S1,S2,S3, got 'TEXT'" or "--normalize TEXT: every S must be a
 * number above 0". */
Status normalize_parse(const char *text, Normalize *out, Error *err);

/* Applies n to x (1 x C x H x W) in place; CS_ERR_SHAPE ("--normalize FORM
 * needs 3 channels, but the input has C") when the per-channel form meets
 * another channel count (x is then unchanged). */
Status normalize_apply(const Normalize *n, Tensor *x, Error *err);

#endif
