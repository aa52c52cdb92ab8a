/* resize.h: resampling an image to a model's input size as torchvision's
 * Resize((H, W), antialias=True) does on a float tensor (and PIL's
 * BILINEAR resize): separable, a triangle filter widened by the scale when
 * shrinking, so every input pixel counts:
 *
 *   scale = in/out, support = max(scale, 1), centre of output x = (x + 0.5)*scale
 *   out[x] = sum_i w(i) in[i] / sum_i w(i),  w(i) = max(0, 1 - |i + 0.5 - centre| / support)
 *   over the inputs i in [floor(centre - support + 0.5), floor(centre + support + 0.5)).
 *
 * Rows are resampled first, then columns, in float. PIL works on 8-bit
 * images and rounds to whole numbers after each pass, so a picture resized
 * by torchvision through PIL may differ by up to 1 in 255 per value. */
#ifndef CONVSTEP_RESIZE_H
#define CONVSTEP_RESIZE_H

#include <stddef.h>

#include "tensor.h"

/* Resamples in (1 x C x H x W) into *out (allocated here, 1 x C x out_h x
 * out_w, rank 3). */
Status resize_antialias(const Tensor *in, size_t out_h, size_t out_w, Tensor *out, Error *err);

#endif
