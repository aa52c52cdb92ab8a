/* convflat.h: the direct kernel behind conv_forward for every regular
 * (not transposed) convolution, on a flattened, space-to-depth copy of the
 * padded input (see convflat.c for the layout and why). */
#ifndef CONVSTEP_CONVFLAT_H
#define CONVSTEP_CONVFLAT_H

#include "geom.h"
#include "isa.h"
#include "tensor.h"
#include "threads.h"

/* Computes the layer (shapes already checked by conv_check, padding
 * resolved into pad, output oh x ow from geom_conv_output) into *out,
 * allocated here as 1 x F x oh x ow with the given rank, with isa's copy of
 * the kernel (isa must be supported). bias may be NULL. Bands of output
 * rows and blocks of filters are split over threads' pool (NULL: one
 * thread) when the layer is large enough; the bits are the same. Fails
 * only when memory runs out (CS_ERR_NOMEM); *out is then empty. */
Status convflat_forward(const Tensor *input, const Tensor *weights, const Tensor *bias,
                        const ConvParams *p, Pad4 pad, size_t oh, size_t ow, int rank, CpuIsa isa,
                        Threads *threads, Tensor *out, Error *err);

/* As convflat_forward on one thread, for each of input's input->n images
 * (image i's F x oh x ow floats at dst + i*F*oh*ow, every one overwritten)
 * instead of into a new tensor: a batch (conv_grad.c) written in place,
 * the weights packed once. */
Status convflat_forward_to(const Tensor *input, const Tensor *weights, const Tensor *bias, const ConvParams *p,
                           Pad4 pad, size_t oh, size_t ow, CpuIsa isa, float *dst, Error *err);

/* ---- the same kernel for other algorithms (winograd.c, conv_grad.c) ---- */

/* Floats a tile may read past the end of its input planes; the caller's
 * input buffer must have this much room after its last plane. */
#define CONVFLAT_READ_PAST 128

/* Floats of the scratch convflat_matmul needs. */
size_t convflat_scratch_floats(void);

/* Packs the F x C matrix w (row-major) for convflat_matmul on isa, into
 * packed (F*C floats). */
void convflat_pack_matrix(CpuIsa isa, const float *w, size_t F, size_t C, float *packed);

/* out[f*out_pitch + i] = bias[f] + sum_{c < C} w[f][c] * in[c*in_pitch + i]
 * for f < F, i < n (w packed by convflat_pack_matrix; bias has F values,
 * zeros for none). Each sum runs c = 0, 1, ... in order. */
void convflat_matmul(CpuIsa isa, const float *packed, size_t F, size_t C, const float *in, size_t in_pitch,
                     size_t n, const float *bias, float *out, size_t out_pitch, float *scratch);

/* Writes the input padded under mode (pad.top rows before it, pad.left
 * columns, ...) into dst: channel c's row y at dst + c*plane + y*pitch
 * (pitch at least the padded width, plane at least the padded height x
 * pitch; cells past the padded input are left as they are). */
void convflat_pad(CpuIsa isa, const Tensor *input, PadMode mode, Pad4 pad, size_t pitch, size_t plane,
                  float *dst);

#endif
