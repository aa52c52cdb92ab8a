/* support_reference.h: slow, obviously correct reference implementations of
 * convolution, transposed convolution and pooling, for differential tests.
 * One output cell at a time (transposed: one input cell scattered at a
 * time), double accumulation, padding through geom_pad_source, sizes from
 * geom_*_output. Same contracts as conv_forward / pool_forward. */
#ifndef CONVSTEP_SUPPORT_REFERENCE_H
#define CONVSTEP_SUPPORT_REFERENCE_H

#include "conv.h"
#include "pool.h"

/* Convolution (p->transposed must be false). */
Status ref_conv(const Tensor *input, const Tensor *weights, const Tensor *bias,
                const ConvParams *p, Tensor *out, Error *err);

/* Transposed convolution (p->transposed must be true), by scattering. */
Status ref_conv_transpose(const Tensor *input, const Tensor *weights, const Tensor *bias,
                          const ConvParams *p, Tensor *out, Error *err);

/* Max or average pooling, PyTorch's windows and divisors. */
Status ref_pool(const Tensor *input, const PoolParams *p, Tensor *out, Error *err);

#endif
