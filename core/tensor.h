/* tensor.h: a dense float32 tensor of up to four dimensions, N x C x H x W in
 * C order (W fastest). Activations use N = 1; convolution weights use
 * N = output channels (PyTorch's (out, in/groups, kh, kw)); a transposed
 * convolution's weights are (in, out/groups, kh, kw). `rank` remembers how
 * many dimensions the tensor had where it came from (a .npy file), so it can
 * be written back with the same rank; the shape is right-aligned, so a rank-3
 * (C,H,W) array has n = 1 and a rank-1 bias has n = c = h = 1. */
#ifndef CONVSTEP_TENSOR_H
#define CONVSTEP_TENSOR_H

#include <stddef.h>

#include "error.h"

typedef struct Tensor {
    size_t n, c, h, w;
    int rank;           /* 1..4 */
    float *data;        /* owned; n*c*h*w floats */
} Tensor;

/* Allocates a zero-filled n x c x h x w tensor with the given rank. Any zero
 * dimension or a total that overflows is refused (CS_ERR_RANGE / CS_ERR_NOMEM).
 * On failure *t is left empty (data NULL). */
Status tensor_init(Tensor *t, size_t n, size_t c, size_t h, size_t w, int rank, Error *err);

/* Frees t's data and empties it. Safe on an empty or zeroed tensor. */
void tensor_free(Tensor *t);

/* Deep copy of src into dst (dst must be empty). */
Status tensor_copy(Tensor *dst, const Tensor *src, Error *err);

/* Number of elements, n*c*h*w. */
size_t tensor_count(const Tensor *t);

/* Pointer to element (n, c, y, x); indices must be in range. */
static inline float *tensor_at(const Tensor *t, size_t n, size_t c, size_t y, size_t x)
{
    return t->data + ((n * t->c + c) * t->h + y) * t->w + x;
}

/* Writes "3x512x512"-style text of the shape (rank dims) into buf. */
void tensor_shape_text(const Tensor *t, char *buf, size_t size);

#endif
