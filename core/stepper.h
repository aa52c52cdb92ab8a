/* stepper.h: walks one layer (convolution, transposed convolution or
 * pooling) one step at a time, forward, back or to any index, and reports a
 * trace of the arithmetic at the current step.
 *
 * Steps form a total order. At STEP_POSITION granularity a step is one
 * (output row, output column, filter), row slowest and filter fastest:
 *   index = (oy * OW + ox) * F + f.
 * STEP_CHANNEL subdivides each position into one step per input channel the
 * filter reads (C/groups; pooling: the single channel, so it equals
 * position). STEP_TERM subdivides each channel step into one step per kernel
 * cell (kh*kw multiplies; pooling: one per window cell). Every position has
 * the same number of sub-steps, so seeking is O(1) arithmetic.
 *
 * The trace is computed from the input and weights at the current index
 * alone, never accumulated from earlier steps, so stepping back and forth
 * reproduces every trace exactly, and the finished output cells equal
 * stepper_output(). */
#ifndef CONVSTEP_STEPPER_H
#define CONVSTEP_STEPPER_H

#include <stdbool.h>
#include <stddef.h>

#include "act.h"
#include "geom.h"
#include "tensor.h"

typedef enum LayerKind { LAYER_CONV, LAYER_CONV_TRANSPOSED, LAYER_POOL } LayerKind;

typedef enum StepGranularity { STEP_POSITION, STEP_CHANNEL, STEP_TERM } StepGranularity;

typedef struct StepperConfig {
    LayerKind kind;
    const Tensor *input;    /* 1 x C x H x W; its data is borrowed and must outlive the
                               stepper (the Tensor struct itself need not) */
    const Tensor *weights;  /* conv kinds only; data borrowed likewise */
    const Tensor *bias;     /* conv kinds only; NULL for none; data borrowed likewise */
    ConvParams conv;        /* conv kinds; .transposed must match kind */
    PoolParams pool;        /* LAYER_POOL */
    Activation act;         /* applied after bias (conv kinds) */
    StepGranularity granularity;
} StepperConfig;

/* Flags of one window cell. */
enum {
    CELL_PAD = 1,       /* outside the input: value from padding (zero, or from src_y/src_x) */
    CELL_SKIP = 2,      /* transposed conv: no input cell lands here at this tap (stride gap) */
    CELL_OUTSIDE = 4,   /* pooling: outside input and padding (ceil_mode overhang); ignored */
    CELL_DONE = 8       /* its product is already added at the current step */
};

typedef struct TraceCell {
    int iy, ix;         /* input coordinate; negative or >= H/W in the padding
                           (CELL_SKIP: floor((o + pad - k*d) / s), not an input cell) */
    int src_y, src_x;   /* input cell the value came from (= iy, ix inside the input,
                           the reflected/replicated/wrapped cell in padding, -1 for zeros) */
    int flags;          /* CELL_* */
    float value;        /* input value (padding value; pooling max padding is -inf) */
    float weight;       /* conv kinds: the weight at this tap; pooling: 0 */
    float product;      /* value * weight (conv kinds) */
} TraceCell;

typedef struct TraceChannel {
    int channel;        /* input channel index */
    TraceCell *cells;   /* kh*kw cells, row-major over the kernel */
    float sum;          /* sum of this channel's products (done or not);
                           pooling: the window's sum (avg) or max (max) */
    float partial;      /* sum of the products added by the current step;
                           pooling: sum or max over the done cells (max: -inf if none) */
    bool done;          /* every product of this channel is added at the current step */
} TraceChannel;

typedef struct Trace {
    LayerKind kind;
    size_t index, count;            /* current step and total steps */
    int out_y, out_x, filter;       /* output cell and filter (pooling: channel) */
    int channel_step;               /* index into channels of the current sub-step, or -1 */
    int term_step;                  /* kernel cell of the current sub-step, or -1 */
    int kh, kw;                     /* kernel (pooling window) size */
    int stride_h, stride_w, dilation_h, dilation_w;
    Pad4 pad;
    int n_channels;                 /* channels this filter reads (pooling: 1) */
    TraceChannel *channels;
    /* conv kinds */
    float bias;                     /* 0 when there is no bias */
    bool has_bias;
    float total;                    /* sum of channel sums + bias (pooling: pool_result) */
    float partial_total;            /* what is added so far at the current step: the
                                       started channels' partials, + bias only at the
                                       position's last sub-step (then it equals total);
                                       pooling: channels[0].partial */
    Activation act;
    float activated;                /* act(total) (pooling: pool_result) */
    /* pooling */
    int max_cell;                   /* index of the chosen cell in channels[0].cells (max;
                                       -1 for avg or a window without input cells) */
    float pool_sum;                 /* avg: sum of the counted cells */
    int pool_divisor;               /* avg: divisor */
    float pool_result;              /* the pooled value */
} Trace;

typedef struct Stepper Stepper;     /* opaque */

/* Validates cfg (shapes, geometry: same messages as conv_check and
 * geom_*_output), computes the full output and builds a stepper at index 0.
 * On failure *out is NULL. */
Status stepper_create(const StepperConfig *cfg, Stepper **out, Error *err);

/* Frees the stepper and its trace. NULL is fine. */
void stepper_destroy(Stepper *s);

/* Total steps, current index. count >= 1. */
size_t stepper_count(const Stepper *s);
size_t stepper_index(const Stepper *s);

/* Move one step. They return false (and stay) at the last / first step. */
bool stepper_next(Stepper *s);
bool stepper_prev(Stepper *s);

/* Jumps to index (clamped to count-1) in O(kh*kw*channels) time. */
void stepper_seek(Stepper *s, size_t index);

/* Changes granularity, keeping the same output position: refining lands on
 * the first sub-step of the current step (position -> its first channel or
 * term; channel c -> its first term), coarsening on the step containing
 * the current one. */
void stepper_set_granularity(Stepper *s, StepGranularity g);
StepGranularity stepper_granularity(const Stepper *s);

/* The trace of the current step; owned by the stepper, valid until the next
 * call that moves or destroys it. */
const Trace *stepper_trace(const Stepper *s);

/* The whole output, 1 x F x OH x OW, after activation; owned by the stepper. */
const Tensor *stepper_output(const Stepper *s);

/* The output before activation (equal to stepper_output for pooling). */
const Tensor *stepper_preactivation(const Stepper *s);

/* Index of the first step of output position (oy, ox, f), and the number of
 * steps per position (1, channels, or channels*kh*kw). */
size_t stepper_index_of(const Stepper *s, int oy, int ox, int f);
size_t stepper_steps_per_position(const Stepper *s);

/* True if the output cell (oy, ox, f) is complete at the current step (its
 * last sub-step is at or before the current index). */
bool stepper_cell_done(const Stepper *s, int oy, int ox, int f);

/* The resolved padding and output size of the layer. */
Pad4 stepper_padding(const Stepper *s);
void stepper_output_size(const Stepper *s, size_t *out_h, size_t *out_w, size_t *filters);

/* ---- the geometry and values a picture of the layer shows ----
 * Answered from the layer's parameters alone (no trace is moved), and in
 * agreement with every trace: tests/test_stepper.c checks them against
 * the cells of the trace at every position of random layers. */

/* True when the window of output cell (oy, ox) reads input coordinate
 * (iy, ix), for every filter (pooling: every channel): exactly when that
 * position's trace has a cell at (iy, ix) that is not CELL_SKIP. Padding
 * cells and a ceil_mode pooling window's overhang count; a transposed
 * convolution's stride gaps do not. False for an (oy, ox) outside the
 * output. E.g. kernel 3, stride 2, padding 1: output (1, 0) reads rows
 * 1..3 and columns -1..1. See geom_window_reads. */
bool stepper_window_reads(const Stepper *s, int oy, int ox, int iy, int ix);

/* Marks the rows (axis 0) or columns (axis 1) of the padded input that no
 * output's window reads: unread[j] is about row j - pad.top (column
 * j - pad.left), j = 0 .. H + pad.top + pad.bottom - 1 (W and left/right
 * for columns); a transposed convolution's input has no padding, so there
 * j is the row itself, j < H (and when a hard crop leaves every output
 * column in stride gaps, no row is read at all). A ceil_mode overhang is
 * not part of the padded input. At most n entries are written, later ones
 * are neither written nor counted. Returns the number marked. E.g. a 6x6 input,
 * kernel 3, stride 2, no padding: the last row and column (j = 5). */
int stepper_unreached(const Stepper *s, int axis, bool *unread, size_t n);

/* The value the layer reads at coordinate (iy, ix) of input channel c
 * (0 <= c < C; any iy, ix): the input cell inside the input; outside it
 * the padding value: for a convolution the cell geom_pad_source names
 * (the reflected, replicated or wrapped cell) or 0 under zeros padding;
 * for max pooling -inf, for average pooling 0; for a transposed
 * convolution 0. Equal to the value of every trace cell at (iy, ix) of
 * channel c that is not CELL_SKIP. */
float stepper_input_value(const Stepper *s, int c, int iy, int ix);

/* The input coordinates a picture of the layer shows, as the first row and
 * column and the number of rows and columns: the input and its padding
 * (from -pad.top, -pad.left), extended at the bottom and right as far as a
 * ceil_mode pooling window overhangs the padding; a transposed
 * convolution's input alone (from 0, 0). E.g. a 5x5 input, max pooling 2,
 * stride 2, ceil_mode: 3x3 outputs whose last windows reach row and column
 * 5, so rows = cols = 6 from y0 = x0 = 0. */
void stepper_input_extent(const Stepper *s, int *y0, int *x0, int *rows, int *cols);

#endif
