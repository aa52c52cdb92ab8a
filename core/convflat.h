/* convflat.h: the direct kernel behind conv_forward for every regular
 * (not transposed) convolution, on a flattened, space-to-depth copy of the
 * padded input (see convflat.c for the layout and why). */
#ifndef CONVSTEP_CONVFLAT_H
#define CONVSTEP_CONVFLAT_H

#include "geom.h"
#include "isa.h"
#include "tensor.h"

/* Computes the layer (shapes already checked by conv_check, padding
 * resolved into pad, output oh x ow from geom_conv_output) into *out,
 * allocated here as 1 x F x oh x ow with the given rank, with isa's copy of
 * the kernel (isa must be supported). bias may be NULL. Fails only when
 * memory runs out (CS_ERR_NOMEM); *out is then empty. */
Status convflat_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Tensor *out, Error *err);

#endif
