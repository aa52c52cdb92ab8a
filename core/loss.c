/* loss.c: cross-entropy with mean reduction (see loss.h).
 *
 *   m     = max_j z_j
 *   lse   = m + log(sum_j exp(z_j - m))          (in double)
 *   loss  = 1/B * sum_r (lse_r - z_r[label_r])
 *   dL/dz = (exp(z_j - lse) - [j == label]) / B
 *
 * A NaN logit is never the maximum (comparisons with it are false), but it
 * enters the sum, so its row's loss and gradient are NaN; +inf makes z - m
 * NaN too; a -inf at the label makes the loss +inf. As PyTorch. */
#include "loss.h"

#include <math.h>

double loss_cross_entropy(const float *logits, size_t batch, size_t classes,
                          const uint8_t *labels, float *grad, size_t *correct)
{
    double total = 0.0;
    size_t hits = 0;
    for (size_t r = 0; r < batch; r++) {
        const float *z = logits + r * classes;
        size_t best = 0;
        for (size_t j = 1; j < classes; j++)
            if (z[j] > z[best])
                best = j;
        const double m = z[best];
        double sum = 0.0;
        for (size_t j = 0; j < classes; j++)
            sum += exp((double)z[j] - m);
        const double lse = m + log(sum);
        total += lse - (double)z[labels[r]];
        hits += best == labels[r];
        if (grad) {
            float *g = grad + r * classes;
            for (size_t j = 0; j < classes; j++)
                g[j] = (float)((exp((double)z[j] - lse) - (j == labels[r] ? 1.0 : 0.0)) / (double)batch);
        }
    }
    if (correct)
        *correct = hits;
    return total / (double)batch;
}
