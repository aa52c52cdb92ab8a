/* geom.h: the geometry of one layer: parameters, padding resolution,
 * output sizes, where a padded value comes from and which coordinates a
 * window reads, following PyTorch (see DESIGN.md "Semantics").
 *
 *   conv:       out = floor((n + pad_before + pad_after - d*(k-1) - 1) / s) + 1
 *   transposed: out = (n-1)*s - pad_before - pad_after + d*(k-1) + output_padding + 1
 *   pool:       as conv, with ceil instead of floor under ceil_mode, and the
 *               last window dropped if it would start in the right padding.
 *   "same":     TensorFlow's rule: out = ceil(n/s), total padding
 *               max((out-1)*s + d*(k-1) + 1 - n, 0), the odd extra at the
 *               bottom/right (for s = 1 this is PyTorch's padding="same").
 *   "full":     d*(k-1) on every side.
 *   "valid":    no padding.
 *   window:     output o reads i = o*s - pad_before + k*d, k = 0..k-1
 *               (transposed: gathers i where o = i*s - pad_before + k*d). */
#ifndef CONVSTEP_GEOM_H
#define CONVSTEP_GEOM_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef enum PadKind {
    PAD_EXPLICIT,   /* Padding.h / Padding.w cells on each side */
    PAD_VALID,
    PAD_SAME,
    PAD_FULL
} PadKind;

typedef struct Padding {
    PadKind kind;
    int h, w;       /* PAD_EXPLICIT only; must be >= 0 */
} Padding;

typedef enum PadMode {
    PADMODE_ZEROS,
    PADMODE_REFLECT,    /* mirror without repeating the edge: needs pad < n */
    PADMODE_REPLICATE,  /* repeat the edge cell */
    PADMODE_CIRCULAR    /* wrap around: needs pad <= n */
} PadMode;

/* Padding actually applied on each side, after resolving valid/same/full. */
typedef struct Pad4 {
    int top, bottom, left, right;
} Pad4;

typedef struct ConvParams {
    int stride_h, stride_w;         /* >= 1 */
    Padding padding;
    PadMode pad_mode;               /* transposed convolution: zeros only */
    int dilation_h, dilation_w;     /* >= 1 */
    int groups;                     /* >= 1, divides in and out channels */
    bool transposed;
    int output_padding_h, output_padding_w; /* transposed only; < stride or < dilation */
} ConvParams;

typedef enum PoolMode { POOL_MAX, POOL_AVG } PoolMode;

typedef struct PoolParams {
    PoolMode mode;
    int kernel_h, kernel_w;     /* >= 1 */
    int stride_h, stride_w;     /* >= 1 (PyTorch's default is the kernel size) */
    int pad_h, pad_w;           /* 0 <= pad <= kernel/2 */
    int dilation_h, dilation_w; /* >= 1; max pooling only may use > 1 */
    bool ceil_mode;
    bool count_include_pad;     /* avg only; PyTorch's default is true */
} PoolParams;

/* Stride 1, padding 0 (explicit), zeros, dilation 1, groups 1, not transposed. */
ConvParams geom_conv_defaults(void);

/* Max pooling with the given kernel, stride = kernel, no padding, dilation 1,
 * floor mode, count_include_pad true. */
PoolParams geom_pool_defaults(PoolMode mode, int kernel_h, int kernel_w);

/* Resolves p->padding for an input of in_h x in_w and a kernel kh x kw into
 * per-side padding. Fails (CS_ERR_RANGE) on negative padding, stride or
 * dilation < 1, same/full or a padding mode other than zeros for a
 * transposed convolution, a zero or int-overflowing size, or
 * reflect/circular padding too wide for the input (the message names the
 * value). */
Status geom_conv_padding(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                         Pad4 *pad, Error *err);

/* Output height and width of a convolution (or transposed convolution when
 * p->transposed). Validates everything geom_conv_padding does, plus: the
 * dilated kernel must fit the padded input, output_padding must be smaller
 * than stride or dilation, and the output must be at least 1x1 and fit an
 * int. The message names the offending value, e.g. "kernel 5x5 (dilation 1)
 * is larger than the padded input 3x3". */
Status geom_conv_output(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                        size_t *out_h, size_t *out_w, Error *err);

/* Output height and width of pooling. Also checks pad <= kernel/2 and that
 * average pooling has dilation 1. */
Status geom_pool_output(const PoolParams *p, size_t in_h, size_t in_w,
                        size_t *out_h, size_t *out_w, Error *err);

/* Writes the output-size arithmetic of one axis in live numbers into buf,
 * e.g. "floor((7 + 1 + 1 - 2*(3-1) - 1) / 2) + 1 = 3" for a convolution,
 * "(4-1)*2 - 1 - 1 + 1*(3-1) + 0 + 1 = 7" for a transposed one, and the pool
 * form with ceil when ceil_mode (plus " - 1 = N (the last window would
 * start in the padding)" when PyTorch's rule drops a window). The dilated
 * kernel is always written d*(k-1), also for d = 1, so the formula keeps
 * its shape while the numbers change. axis 0 = height, 1 = width. Returns
 * the status of the matching geom_*_output call; on failure the text is
 * the error message, which explains why. */
Status geom_conv_explain(const ConvParams *p, size_t in_h, size_t in_w, size_t kh, size_t kw,
                         int axis, char *buf, size_t size);
Status geom_pool_explain(const PoolParams *p, size_t in_h, size_t in_w,
                         int axis, char *buf, size_t size);

/* Maps a padded coordinate i (may be < 0 or >= n) of an axis of length n to
 * the source cell its value comes from under mode, or -1 for zero padding
 * (PADMODE_ZEROS outside [0, n)). Inside [0, n) it returns i. */
int geom_pad_source(PadMode mode, int i, int n);

/* One axis of a layer's sliding window, and which coordinates it reads:
 *   convolution, pooling: output o reads the padded-input coordinates
 *                         i = o*stride - pad + k*dilation, k = 0 .. taps-1
 *                         (i < 0 or i >= size is padding, or past it the
 *                         overhang of a ceil_mode pooling window);
 *   transposed:           output o gathers input i (0 <= i < size) when
 *                         o = i*stride - pad + k*dilation for some tap k
 *                         (its other taps fall in stride gaps).
 * E.g. kernel 3, stride 2, padding 1, dilation 1 over 6 inputs: output 0
 * reads -1..1, output 1 reads 1..3, output 2 reads 3..5. */
typedef struct WindowAxis {
    int size;               /* input length along the axis, >= 1 */
    int taps;               /* kernel (pooling window) length, >= 1 */
    int stride, dilation;   /* >= 1 */
    int pad;                /* padding before the input (top or left), >= 0 */
    bool transposed;
} WindowAxis;

/* True when output o's window on axis a reads coordinate i, as above. Any
 * o and i are accepted; an o outside the output is the caller's to
 * exclude (geom_window_unreached only asks about outputs 0 .. outputs-1). */
bool geom_window_reads(const WindowAxis *a, int o, int i);

/* True when some output o in [0, outputs) reads coordinate i. O(taps). */
bool geom_window_reached(const WindowAxis *a, int outputs, int i);

/* For the coordinates lo .. hi: unread[i - lo] is set true when no output
 * o in [0, outputs) reads i, false otherwise. At most n entries are
 * written; coordinates from lo + n on are neither written nor counted.
 * Returns how many were set true. E.g. 6 inputs, kernel 3, stride 2, no
 * padding, 2 outputs: the windows read 0..2 and 2..4, so over 0..5 only
 * coordinate 5 is unread and the result is 1. O(taps) per coordinate. */
int geom_window_unreached(const WindowAxis *a, int outputs, int lo, int hi, bool *unread, size_t n);

/* Short names used by the command line and the window: "zeros", "reflect",
 * "replicate", "circular"; returns false for an unknown name. */
bool geom_pad_mode_parse(const char *name, PadMode *mode);
const char *geom_pad_mode_name(PadMode mode);

#endif
