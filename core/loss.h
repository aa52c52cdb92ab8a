/* loss.h: cross-entropy of class scores against labels, PyTorch's
 * F.cross_entropy with its default mean reduction:
 *
 *   loss  = 1/B * sum over rows r of ( logsumexp(z_r) - z_r[label_r] )
 *   dL/dz = (softmax(z_r) - onehot(label_r)) / B
 *
 * logsumexp subtracts the row's maximum first, so large logits (1e4) give a
 * finite loss. */
#ifndef CONVSTEP_LOSS_H
#define CONVSTEP_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* The mean cross-entropy of batch rows of `classes` logits against labels
 * (each < classes; batch, classes >= 1). grad NULL, or batch x classes
 * floats overwritten with d(mean loss)/d logits. correct NULL, or set to the
 * number of rows whose first highest logit is the label. A NaN or +inf
 * logit makes the loss NaN (and its row's gradient), a -inf logit at the
 * label makes it +inf, as in PyTorch: never finite, never a crash. */
double loss_cross_entropy(const float *logits, size_t batch, size_t classes,
                          const uint8_t *labels, float *grad, size_t *correct);

#endif
