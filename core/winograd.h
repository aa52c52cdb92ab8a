/* winograd.h: 3x3 convolutions at stride 1 by Winograd's minimal filtering
 * F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016): 16 multiplications per 2x2 outputs instead of 36. */
#ifndef CONVSTEP_WINOGRAD_H
#define CONVSTEP_WINOGRAD_H

#include <stdbool.h>

#include "geom.h"
#include "isa.h"
#include "tensor.h"
#include "threads.h"

/* True for the layers winograd_forward computes and where it is the faster
 * way: a 3x3 kernel, stride 1, dilation 1, one group, and at least
 * WINOGRAD_MIN_CHANNELS (24) input channels and filters (with fewer, the
 * transforms cost more than the multiplications they save). */
bool winograd_applies(const Tensor *weights, const ConvParams *p);

/* As convflat_forward (same arguments and contract, threads too) for a
 * layer for which winograd_applies. Results differ from the direct sum by
 * rounding only (the transforms add and subtract, and scale by 1/2), and
 * not at all with the pool. */
Status winograd_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Threads *threads, Tensor *out, Error *err);

#endif
