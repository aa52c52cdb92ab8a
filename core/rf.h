/* rf.h: receptive fields and shapes through a stack of layers.
 *
 * Per spatial layer l with kernel k, stride s, dilation d, padding p
 * (the padding applied before the first row/column) and k_eff = d*(k-1) + 1:
 *     rf_l   = rf_{l-1} + (k_eff - 1) * jump_{l-1}          rf_0 = 1
 *     jump_l = jump_{l-1} * s                               jump_0 = 1
 *     start_l = start_{l-1} + ((k_eff - 1)/2 - p) * jump_{l-1}   (centre of the
 *              first output's field in input coordinates; start_0 = 0.5 in
 *              the pixel-centre convention, kept as a double)
 *     effective_padding_l = effective_padding_{l-1} + p * jump_{l-1}
 * Activations keep rf and jump. A transposed convolution divides the jump by
 * its stride (jump may become fractional, kept as a double) and grows rf by
 * (k_eff - 1) * jump_{l-1} / s, rounded up to whole input pixels.
 * Output sizes and multiply-adds need an input size (and the channel count
 * arriving); without them those fields are 0. Parameters need only the
 * layer's own channel counts, which Conv2d, ConvTranspose2d and BatchNorm2d
 * carry (BatchNorm2d: 2*C parameters when affine, one multiply-add per
 * element; a transposed convolution: every input cell times out/groups
 * kernels). A ConvTranspose2d adds (k_eff - 1 - p)/s * jump_{l-1} to the
 * effective padding (it pads its input implicitly) and moves the start by
 * (p - (k_eff - 1)/2)/s * jump_{l-1}. rf, jump and effective padding beyond
 * 2^53 pixels are refused (CS_ERR_RANGE naming the layer).
 *
 * Adaptive pools (AdaptiveAvgPool2d, AdaptiveMaxPool2d) pick their windows
 * from the sizes (pool.h): with an input size n and output size m on an
 * axis, when m divides n they are pools of kernel and stride n/m; otherwise
 * the kernel is their largest window, the jump grows by n/m (a fraction)
 * and the cell ranges are exact. Without an input size their windows are
 * unknown and they count as 1x1 windows (rf and jump unchanged).
 * Flatten and Linear end the map: they and every layer after them are
 * `flat` (a vector of features, out_size 1x1, out_channels the number of
 * features when known); their rf, jump and start are the last map's, and a
 * layer that needs a map (conv, pooling, BatchNorm2d) after them is refused
 * (CS_ERR_SHAPE). Linear has in*out weights + out biases and in*out
 * multiply-adds; a Linear after a map expects C*H*W features (the map
 * flattened). */
#ifndef CONVSTEP_RF_H
#define CONVSTEP_RF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

typedef struct RfLayer {
    int kernel[2], stride[2], dilation[2];  /* [h, w]; 1 for activations */
    int padding[2];                         /* resolved padding before (top, left) */
    bool transposed;                        /* ConvTranspose2d: cells map the other way */
    bool adaptive;                          /* an adaptive pool whose windows vary (the
                                               output size does not divide the input's) */
    bool flat;                              /* the output is a vector of features */
    double rf[2];                           /* receptive field in input pixels */
    double jump[2];                         /* input pixels between neighbouring outputs */
    double effective_padding[2];            /* input pixels of padding the field can reach */
    double start[2];                        /* centre of output 0's field, input coords */
    size_t in_size[2], out_size[2];         /* 0 when no input size was given */
    size_t in_channels, out_channels;       /* 0 when unknown */
    uint64_t params;                        /* weights + biases */
    uint64_t macs;                          /* multiply-adds for one image */
} RfLayer;

/* Computes one RfLayer per layer of stack into out (an array of
 * stack->count). in_h/in_w may be 0 (unknown size) and in_channels 0
 * (take Conv2d's in_channels). With a size, fails with CS_ERR_RANGE naming
 * the layer ("layer 7 (Conv2d(...)): output would be 0x0") when the output
 * shrinks below 1x1, and with CS_ERR_SHAPE when a conv's in_channels does not
 * match the channels arriving. Runs in O(layers). */
Status rf_compute(const LayerStack *stack, size_t in_h, size_t in_w, size_t in_channels,
                  RfLayer *out, Error *err);

/* A closed range of cells [lo, hi] on one axis of one layer's map; lo > hi
 * means empty. lo may be negative and hi >= size where the range reaches
 * into padding. */
typedef struct CellRange {
    int lo, hi;
} CellRange;

/* The cells of the map before layer `layer` (its input) that feed cell
 * range r of its output on one axis (0 = h, 1 = w), including padding
 * cells. Activations map r to itself. With dilation the range spans the
 * gaps between taps. A transposed convolution's input has no padding: its
 * range is the first to last input cell that writes into r (clipped to the
 * input when its size is known; empty when none does). */
CellRange rf_range_back(const RfLayer *layer, int axis, CellRange r);

/* The output cells of layer `layer` that read any input cell of r on one
 * axis: from the first to the last such cell (with dilation and stride
 * some cells between may not read r), clipped to the output size (left
 * unclipped when the size is unknown). Empty when no output reads r. */
CellRange rf_range_forward(const RfLayer *layer, int axis, CellRange r);

#endif
