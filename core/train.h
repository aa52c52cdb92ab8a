/* train.h: a network learning (DESIGN.md "Networks", training): mini-batch
 * gradient descent on labelled images with cross-entropy loss over the last
 * layer's outputs, as PyTorch's training loop computes it:
 *
 *   logits = net(images)                      train mode: BatchNorm2d uses the
 *                                             batch's statistics, Dropout a mask
 *   loss   = mean over the batch of -log softmax(logits)[label]
 *   grads  = d loss / d every parameter       (backward passes of every layer)
 *   params = optimiser step (SGD with momentum and weight decay, or Adam)
 *
 * The network is a net.h Net (so parameters have PyTorch's state_dict names,
 * and net_forward runs the trained network on one image). Initialisation is
 * net_init_default from the seed; shuffling and dropout masks also come from
 * the seed. Deterministic: the same seed, data and calls give the same weights
 * bit for bit on one machine, with or without a thread pool (work is split in
 * fixed chunks of images whose partial gradients are summed in chunk order,
 * whatever the number of threads). */
#ifndef CONVSTEP_TRAIN_H
#define CONVSTEP_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "optim.h"
#include "threads.h"

typedef struct TrainOptions {
    size_t batch;           /* images per step at most; default 64 */
    float lr;               /* learning rate; default 0.05 */
    float momentum;         /* SGD momentum; default 0.9 */
    float weight_decay;     /* L2 penalty added to the gradients; default 0 */
    OptimKind optimizer;    /* OPTIM_SGD (default) or OPTIM_ADAM (betas 0.9, 0.999, eps 1e-8) */
    uint64_t seed;          /* initialisation and dropout masks; default 1 */
} TrainOptions;

/* What one step or one evaluation saw. */
typedef struct TrainStats {
    double loss;            /* mean cross-entropy over the images */
    size_t correct;         /* images whose highest logit is their label */
    size_t count;           /* images seen */
} TrainStats;

typedef struct Trainer Trainer;

/* The defaults above (DESIGN.md's `convstep train` recipe). */
TrainOptions train_defaults(void);

/* Builds a trainer for stack on C x H x W images and `classes` labels:
 * the network (net_build), its default initialisation from o->seed, the
 * optimiser state and the buffers of one batch. Fails (one Error) when the
 * stack does not build for that input, when its last output is not a vector
 * of `classes` scores ("the network ends in 16x5x5, not 10 class scores for
 * 10 labels"), when a layer has no backward pass here, or on a bad option
 * (batch 0, a learning rate that is not a positive finite number). */
Status trainer_create(const LayerStack *stack, size_t c, size_t h, size_t w, size_t classes,
                      const TrainOptions *o, Trainer **out, Error *err);

/* Frees everything. Safe on NULL. */
void trainer_free(Trainer *t);

/* One optimisation step on n images (n x C x H x W floats, 1 <= n <= batch)
 * and their labels (< classes): forward in train mode, loss, backward,
 * optimiser step. threads may be NULL. *stats gets the step's loss and hits.
 * When the loss is not finite the parameters are left as they were before
 * the step and the step fails (CS_ERR_RANGE): "the loss is NaN at step 812:
 * kept the weights of step 811 (is the learning rate 0.5 too high?)". */
Status trainer_step(Trainer *t, const float *images, const uint8_t *labels, size_t n,
                    Threads *threads, TrainStats *stats, Error *err);

/* Runs n images in eval mode (BatchNorm2d's running statistics, no dropout),
 * in batches, without changing anything; fills *stats and, when probs is not
 * NULL, probs[i * classes + k] = softmax probability of class k for image i. */
Status trainer_evaluate(Trainer *t, const float *images, const uint8_t *labels, size_t n,
                        Threads *threads, TrainStats *stats, float *probs, Error *err);

/* The network being trained: its parameters (in state_dict order) are the
 * current weights. Owned by the trainer; valid until trainer_free. */
const Net *trainer_net(const Trainer *t);

/* The gradient of parameter i (same layout as trainer_net(t)->params[i].t)
 * from the last step, before the optimiser used it; zeros before any step. */
const float *trainer_grad(const Trainer *t, size_t i);

/* For the window's "one weight's gradient" view: from the last step, the
 * first image of the batch (C x H x W) and the gradient of the loss with
 * respect to the first layer's output for that image (F x OH x OW, before
 * any activation that follows), both copied into tensors allocated here
 * (rank 3). The weight gradient of that layer is the sum over the batch of
 * each image's window-times-error sums (the first image's is one term).
 * Fails before any step, or when the first layer is not a Conv2d. */
Status trainer_first_layer_error(const Trainer *t, Tensor *image, Tensor *grad_output, Error *err);

/* The learning rate for the next steps (a positive finite number), and the
 * current one. */
void trainer_set_lr(Trainer *t, float lr);
float trainer_lr(const Trainer *t);

/* Steps taken so far. */
size_t trainer_steps(const Trainer *t);

/* Writes the parameters as safetensors (F32, PyTorch's state_dict names and
 * shapes, plus BatchNorm2d's num_batches_tracked as I64) through fileout.h:
 * refused when path exists and !overwrite; nothing left behind on failure. */
Status trainer_save(const Trainer *t, const char *path, bool overwrite, Error *err);

#endif
