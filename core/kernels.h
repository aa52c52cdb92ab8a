/* kernels.h: named kernel presets and weight initialisers.
 *
 * Presets (2-D, odd size): identity, box blur (1/9), gaussian-3 (1 2 1 / 16),
 * gaussian-5 (binomial 1 4 6 4 1, /256), sharpen, sobel-x, sobel-y, scharr-x,
 * scharr-y, laplacian (4-neighbour), emboss, outline (8-neighbour).
 * Initialisers, as PyTorch's torch.nn.init, which reads the fans from the
 * weight tensor: fan_in = size(1)*kh*kw, fan_out = size(0)*kh*kw. So Conv2d
 * weights (out, in/groups, kh, kw) have fan_in = in/groups*kh*kw and
 * fan_out = out*kh*kw; transposed weights (in, out/groups, kh, kw) swap the
 * roles (fan_in = out/groups*kh*kw, fan_out = in*kh*kw):
 *   uniform        U(-1/sqrt(fan_in), 1/sqrt(fan_in))   (Conv2d's default)
 *   xavier-uniform U(-a, a), a = sqrt(6/(fan_in+fan_out))
 *   xavier-normal  N(0, 2/(fan_in+fan_out))
 *   he-uniform     U(-b, b), b = sqrt(6/fan_in)
 *   he-normal      N(0, 2/fan_in)
 * Every draw comes from rng.h seeded with the given seed: the same seed gives
 * the same weights on every machine. */
#ifndef CONVSTEP_KERNELS_H
#define CONVSTEP_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "tensor.h"

typedef enum InitKind {
    INIT_UNIFORM,
    INIT_XAVIER_UNIFORM,
    INIT_XAVIER_NORMAL,
    INIT_HE_UNIFORM,
    INIT_HE_NORMAL
} InitKind;

/* Number of presets and their names, in a fixed order for cycling. */
int kernels_preset_count(void);
const char *kernels_preset_name(int index);
/* One line saying what the preset does ("detects vertical edges"). */
const char *kernels_preset_summary(int index);
/* Index of a preset by name (also accepts "blur" for box blur and
 * "gaussian" for gaussian-3), or -1. */
int kernels_preset_find(const char *name);

/* Builds weights (filters x channels x k x k, rank 4) with preset `index` in
 * every (filter, channel) slice. The preset's natural size is used. */
Status kernels_preset_weights(int index, size_t filters, size_t channels, Tensor *out, Error *err);

/* The fans of a weight tensor shaped (dim0, dim1, kh, kw), as PyTorch's
 * _calculate_fan_in_and_fan_out computes them: fan_in = dim1*kh*kw,
 * fan_out = dim0*kh*kw. For Conv2d dim0 = out and dim1 = in/groups; for a
 * transposed layer dim0 = in and dim1 = out/groups (the roles swap). */
void kernels_fans(size_t dim0, size_t dim1, size_t kh, size_t kw, double *fan_in, double *fan_out);

/* Fills w (already shaped, any layer kind) with initialiser kind,
 * deterministically from seed, drawing the weights in C order. The fans
 * come from w's shape (kernels_fans), exactly as PyTorch computes them, so
 * grouped and transposed weights need nothing more. */
void kernels_init(Tensor *w, InitKind kind, uint64_t seed);

/* "uniform", "xavier-uniform", ...; parse returns false for unknown names. */
const char *kernels_init_name(InitKind kind);
bool kernels_init_parse(const char *name, InitKind *kind);

#endif
