/* spec.h: the layer-spec notation (DESIGN.md "Layer specs"): PyTorch module
 * calls such as
 *     Conv2d(3, 16, kernel_size=3, stride=2, padding=1)
 *     nn.MaxPool2d(2); ReLU(inplace=True)
 * separated by commas, semicolons or newlines, optionally with the "nn."
 * prefix, optionally wrapped in (nested) Sequential(...), '#' comments,
 * positional and keyword arguments, tuple forms, True/False, and PyTorch's
 * defaults (MaxPool2d's stride defaults to its kernel size). Extensions:
 * padding may also be the strings 'valid', 'same', 'full' (quoted or not).
 *
 * Model text as people paste it is accepted too:
 *   - a "torch.nn." (or any dotted) prefix, a "self.features = " or
 *     "model = " assignment, Sequential(OrderedDict([('conv1', ...), ...]));
 *   - a whole print(model) output: "(name): " labels and printed modules of
 *     any class whose children are labelled (AlexNet(...), VGG(...),
 *     Conv2dNormActivation(...)) run in printed order. GoogLeNet's and
 *     Inception's BasicConv2d prints conv and bn but applies F.relu in its
 *     forward: a ReLU named NAME.relu follows its children;
 *   - a .py file: "import ..." and "from ... import ..." lines and
 *     "print(...)" calls at the top level are skipped;
 *   - blocks whose forward branches (BasicBlock, Bottleneck,
 *     InvertedResidual, Fire, Inception*, _DenseBlock, SqueezeExcitation,
 *     ...) are refused by name, with the advice to export the model to ONNX,
 *     and nn.Sequential(*layers) with the advice to write the layers out.
 *
 * Every layer gets the name PyTorch's state_dict gives it (its parameters
 * are NAME.weight, NAME.bias, ...): the labels of print(model) and the keys
 * of an OrderedDict, joined with dots ("features.0", "classifier.1");
 * unlabelled layers are numbered by their position as nn.Sequential numbers
 * them (activations and pools count), a nested Sequential adding a level
 * ("1.0"); "self.NAME = " names what it assigns. When the whole text is one
 * unlabelled container (nn.Sequential(...), model = ..., AlexNet(...)), that
 * container is the model and adds no level: "0", "1", ... */
#ifndef CONVSTEP_SPEC_H
#define CONVSTEP_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "act.h"
#include "geom.h"

typedef enum LayerType {
    SPEC_CONV2D,
    SPEC_CONV_TRANSPOSE2D,
    SPEC_MAXPOOL2D,
    SPEC_AVGPOOL2D,
    SPEC_RELU,
    SPEC_LEAKY_RELU,
    SPEC_SIGMOID,
    SPEC_TANH,
    SPEC_IDENTITY,
    SPEC_BATCHNORM2D,           /* in_channels = out_channels = num_features,
                                   bias = affine; identity on shapes */
    SPEC_DROPOUT,               /* Dropout and Dropout2d: identity on shapes */
    SPEC_ADAPTIVE_AVGPOOL2D,    /* adaptive_h, adaptive_w: the output size */
    SPEC_ADAPTIVE_MAXPOOL2D,
    SPEC_FLATTEN,               /* start_dim, end_dim */
    SPEC_LINEAR,                /* in_channels = in_features, out_channels =
                                   out_features, bias */
    SPEC_RELU6,                 /* act: the element-wise activations */
    SPEC_ELU,
    SPEC_SILU,
    SPEC_GELU,
    SPEC_HARDSWISH,
    SPEC_SOFTMAX,               /* dim (dim_none: dim=None) */
    SPEC_LOGSOFTMAX
} LayerType;

/* Room for a state_dict name ("features.0") and its terminator. */
#define SPEC_NAME_SIZE 96

typedef struct LayerSpec {
    LayerType type;
    char text[160];             /* the layer as written, whitespace collapsed, "nn." kept
                                   as written; truncated with "..." if longer */
    int line, column;           /* where it starts in the source (1-based) */
    char name[SPEC_NAME_SIZE];  /* the state_dict name: "features.0", "3" */
    /* Conv2d / ConvTranspose2d (BatchNorm2d: num_features; Linear: features) */
    int in_channels, out_channels;
    bool bias;                  /* default true */
    ConvParams conv;            /* stride, padding, pad_mode, dilation, groups,
                                   transposed, output_padding */
    int kernel_h, kernel_w;     /* conv and pooling */
    /* MaxPool2d / AvgPool2d */
    PoolParams pool;            /* mode, kernel, stride, pad, dilation, ceil_mode,
                                   count_include_pad */
    /* activations */
    Activation act;             /* ReLU, LeakyReLU(negative_slope), Sigmoid, Tanh, ReLU6,
                                   ELU(alpha), SiLU, GELU(approximate), Hardswish */
    float eps;                  /* BatchNorm2d; default 1e-5 */
    float momentum;             /* BatchNorm2d's running-statistics update; default 0.1;
                                   -1 for momentum=None (the cumulative average) */
    float dropout_p;            /* Dropout, Dropout2d: the probability of a zero; default 0.5 */
    bool dropout_planes;        /* Dropout2d: whole channel planes are dropped */
    bool batch_stats;           /* BatchNorm2d(track_running_stats=False): eval mode
                                   normalises with the image's own mean and variance */
    int adaptive_h, adaptive_w; /* adaptive pools' output_size; 0 where it is None
                                   (that axis keeps the input's size) */
    int start_dim, end_dim;     /* Flatten; defaults 1 and -1 (batch dimension counted) */
    int dim;                    /* Softmax / LogSoftmax, batch dimension counted */
    bool dim_none;              /* dim=None (the default): PyTorch picks dim 1 */
} LayerSpec;

typedef struct LayerStack {
    LayerSpec *layers;          /* owned */
    size_t count;
} LayerStack;

/* Parses text into *out (which must be zeroed or freed). On a syntax error
 * returns CS_ERR_SYNTAX with a message "line L, column C: expected X, found
 * Y"; on a bad value CS_ERR_RANGE naming the layer and argument ("line 2,
 * column 9: Conv2d stride must be at least 1, got 0"). Unknown layers, unknown
 * keyword arguments, missing required arguments (Conv2d needs in_channels,
 * out_channels, kernel_size), duplicated arguments and unclosed brackets are
 * errors. An empty spec (only comments/whitespace) is an error too.
 * Checks within one layer only (channel chaining is rf_/stack's job). */
Status spec_parse(const char *text, LayerStack *out, Error *err);

/* Frees the layers and empties the stack. */
void spec_free(LayerStack *stack);

/* The PyTorch class name of a layer type ("Conv2d", "MaxPool2d", ...). */
const char *spec_type_name(LayerType type);

/* True for layers with a spatial extent (conv, transposed conv, pooling,
 * adaptive pooling): the layers that make a new map. */
bool spec_is_spatial(const LayerSpec *layer);

/* True for the element-wise activations (ReLU ... Hardswish; not Softmax). */
bool spec_is_activation(const LayerSpec *layer);

/* True for Flatten and Linear, whose output is a vector of features. */
bool spec_is_flat(const LayerSpec *layer);

#endif
