/* net.h: a network that runs (DESIGN.md "Networks"): a layer stack built
 * for one input shape (C,H,W), its parameters named as PyTorch's state_dict
 * names them, run forward on one image (batch 1) with the numbers of
 * PyTorch's eval mode, every layer's output kept for the window.
 *
 * Layers and what they compute (batch dimension counted in dims):
 *   Conv2d, ConvTranspose2d          conv.h           weight, bias
 *   MaxPool2d, AvgPool2d             pool.h
 *   AdaptiveAvgPool2d/MaxPool2d      pool.h (floor/ceil windows)
 *   BatchNorm2d                      norm.h           weight, bias (affine),
 *                                                     running_mean, running_var
 *   Linear                           linear.h         weight (out, in), bias
 *   Flatten                          a map becomes C*H*W features in C,H,W order;
 *                                    only over every dimension after the batch
 *                                    (start_dim 0 or 1, end_dim -1)
 *   ReLU ... Hardswish               act.h, element-wise
 *   Softmax, LogSoftmax              act_softmax along dim (None: dim 1)
 *   Dropout, Dropout2d, Identity     a copy (eval mode)
 * A Linear that receives a map flattens it first, as torchvision's forward
 * does after its avgpool (print(model) does not show that flatten).
 *
 * Parameters: NAME.weight and NAME.bias for Conv2d, ConvTranspose2d, Linear
 * and an affine BatchNorm2d, NAME.running_mean and NAME.running_var for a
 * BatchNorm2d (num_batches_tracked is not kept: eval mode never reads it).
 * Shapes are PyTorch's: conv (out, in/groups, kh, kw), transposed conv
 * (in, out/groups, kh, kw), Linear (out, in), the rest (C,).
 *
 * Default initialisation (net_init_default) follows PyTorch's reset_parameters:
 * Conv2d, ConvTranspose2d and Linear draw weights and biases from
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5) gives
 * that bound; fan_in from the weight's shape as kernels_fans computes it);
 * BatchNorm2d has weight 1, bias 0, mean 0, var 1. The draws come from rng.h
 * seeded with the seed, layer after layer, weights then bias, in C order:
 * reproducible on every machine, but NOT the numbers torch.manual_seed gives.
 *
 * Memory: every layer's output is kept, one float per value (VGG-16 at
 * 224x224: 28.5 million values, 114 MB, beside its 553 MB of weights). */
#ifndef CONVSTEP_NET_H
#define CONVSTEP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"
#include "tensor.h"
#include "threads.h"

/* weights.h's file of named tensors (read by weights_read). */
typedef struct WeightsFile WeightsFile;

/* Room for a parameter's name: the layer's name and ".running_mean". */
#define NET_PARAM_NAME_SIZE (SPEC_NAME_SIZE + 16)

typedef struct NetParam {
    char name[NET_PARAM_NAME_SIZE]; /* the state_dict key: "features.0.weight" */
    int rank;                       /* PyTorch's rank: 4 conv weights, 2 Linear weights, 1 others */
    size_t shape[4];                /* PyTorch's shape, shape[0..rank-1] */
    Tensor t;                       /* the values, right-aligned as tensor.h shapes them */
} NetParam;

typedef struct NetLayer {
    LayerSpec spec;                 /* a copy of the stack's layer (text, name, options) */
    bool flat;                      /* the output is a vector of features */
    size_t c, h, w;                 /* the output: C x H x W, or c features (h = w = 1) */
    NetParam *weight, *bias;        /* into Net.params; NULL when the layer has none */
    NetParam *running_mean, *running_var;
    Tensor out;                     /* after net_forward: 1 x C x H x W (rank 3), or
                                       1 x 1 x 1 x F (rank 1) when flat; empty before */
} NetLayer;

typedef struct Net {
    size_t in_c, in_h, in_w;        /* the input it was built for */
    NetLayer *layers;               /* count layers, owned */
    size_t count;
    NetParam *params;               /* n_params, owned, in layer order */
    size_t n_params;
} Net;

/* Builds *out from stack for a C x H x W input: checks every layer's input
 * and output shape, and allocates its parameters (zeros; BatchNorm2d's
 * weight and running_var 1). On failure *out is empty and the one error
 * names the layer: "layer 3 (features.2: Conv2d(...)): expects 16 input
 * channels, but 8 arrive" (CS_ERR_SHAPE), "...: output would be 0x0"
 * (CS_ERR_RANGE), or a Flatten or Softmax dim it cannot run. */
Status net_build(const LayerStack *stack, size_t c, size_t h, size_t w, Net *out, Error *err);

/* Frees every parameter and output and empties net. Safe on a zeroed net. */
void net_free(Net *net);

/* Gives every parameter PyTorch's default initialisation, drawn from seed
 * (see the top of this file). */
void net_init_default(Net *net, uint64_t seed);

/* The parameter called name, or NULL. */
NetParam *net_find_param(const Net *net, const char *name);

/* Runs input (1 x C x H x W, rank 2 to 4, the shape net was built for)
 * through every layer, replacing the outputs of any earlier run. Fails on an
 * input of another shape (CS_ERR_SHAPE, naming both) or when memory runs out
 * (CS_ERR_NOMEM naming the layer; the outputs before it are kept). */
Status net_forward(Net *net, const Tensor *input, Error *err);

/* As net_forward, with every large layer's work split over threads' pool
 * (threads.h; NULL: one thread): convolutions and pooling
 * (conv_forward_threads, pool_forward_threads), Linear by output features,
 * element-wise layers by ranges. The layers still run one after another,
 * and every output is the same bit for bit as net_forward's. */
Status net_forward_threads(Net *net, const Tensor *input, Threads *threads, Error *err);

/* Sets every parameter from w (weights.h), strictly, as PyTorch's
 * load_state_dict(strict=True): each parameter's name must be in w with the
 * same shape, and w may hold nothing else, except that keys ending in
 * "num_batches_tracked" are ignored. Nothing is changed unless everything
 * fits. Otherwise fails (CS_ERR_SHAPE) with one message naming up to three
 * keys of each kind: "missing 0.weight (6x1x5x5), 0.bias (6); unexpected
 * fc.weight; 3.weight is 16x6x3x3 in the file, 16x6x5x5 in the network";
 * a long list ends "(+N more)". */
Status net_load_weights(Net *net, const WeightsFile *w, Error *err);

/* The last layer's output (NULL before net_forward). */
const Tensor *net_output(const Net *net);

/* Writes "3x224x224" (a map) or "1000" (features) for layer i's output. */
void net_shape_text(const Net *net, size_t i, char *buf, size_t size);

#endif
