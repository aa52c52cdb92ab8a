/* dropout.c: Dropout and Dropout2d masks (see dropout.h): one uniform draw
 * per run of `plane` values, kept (1/(1-p)) when the draw is at least p. */
#include "dropout.h"

void dropout_mask(Rng *rng, float p, size_t count, size_t plane, float *mask)
{
    const float keep = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (size_t i = 0; i < count; i += plane) {
        const float v = p <= 0.0f ? keep : p >= 1.0f ? 0.0f : rng_uniform(rng) < p ? 0.0f : keep;
        for (size_t j = i; j < i + plane && j < count; j++)
            mask[j] = v;
    }
}
