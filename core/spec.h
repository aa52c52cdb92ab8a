/* spec.h: the layer-spec notation (DESIGN.md "Layer specs"): PyTorch module
 * calls such as
 *     Conv2d(3, 16, kernel_size=3, stride=2, padding=1)
 *     nn.MaxPool2d(2); ReLU(inplace=True)
 * separated by commas, semicolons or newlines, optionally with the "nn."
 * prefix, optionally wrapped in (nested) Sequential(...), '#' comments,
 * positional and keyword arguments, tuple forms, True/False, and PyTorch's
 * defaults (MaxPool2d's stride defaults to its kernel size). Extensions:
 * padding may also be the strings 'valid', 'same', 'full' (quoted or not).
 * Also accepted, so that code pasted from real models parses: a
 * "torch.nn." (or any dotted) prefix, a leading "(name): " label as
 * print(model) writes it, a leading "self.features = " assignment,
 * Sequential(OrderedDict([('conv1', Conv2d(...)), ...])), and
 * BatchNorm2d / Dropout / Dropout2d as spatially neutral layers. Other
 * layers (Linear, Flatten, AdaptiveAvgPool2d, ...) are refused by name. */
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
    SPEC_DROPOUT                /* Dropout and Dropout2d: identity on shapes */
} LayerType;

typedef struct LayerSpec {
    LayerType type;
    char text[160];             /* the layer as written, whitespace collapsed, "nn." kept
                                   as written; truncated with "..." if longer */
    int line, column;           /* where it starts in the source (1-based) */
    /* Conv2d / ConvTranspose2d */
    int in_channels, out_channels;
    bool bias;                  /* default true */
    ConvParams conv;            /* stride, padding, pad_mode, dilation, groups,
                                   transposed, output_padding */
    int kernel_h, kernel_w;     /* conv and pooling */
    /* MaxPool2d / AvgPool2d */
    PoolParams pool;            /* mode, kernel, stride, pad, dilation, ceil_mode,
                                   count_include_pad */
    /* activations */
    Activation act;             /* ReLU, LeakyReLU(negative_slope), Sigmoid, Tanh */
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

/* True for layers with a spatial extent (conv, transposed conv, pooling). */
bool spec_is_spatial(const LayerSpec *layer);

#endif
