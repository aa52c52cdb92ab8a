/* fuzz_spec.c: libFuzzer harness for the layer-spec parser (core/spec.h)
 * and the receptive-field code that consumes its layers (core/rf.h).
 *
 * Each input is parsed as text. A refusal must leave the stack empty and
 * say where ("line L, column C: ..."). An accepted stack must hold layers
 * whose values the parser promised to check, and must go through
 * rf_compute without and with an input size; when that succeeds, the cell
 * ranges of the centre output cell are walked back and forward through
 * every layer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rf.h"
#include "spec.h"

#define FUZZ_NAME "fuzz_spec"
#include "fuzz_support.h"

static void check_layer(const LayerSpec *l)
{
    fuzz_check(l->line >= 1 && l->column >= 1, "a layer without a position");
    fuzz_check(l->text[0] != '\0' && strlen(l->text) < sizeof l->text, "a layer without text");
    fuzz_check(strcmp(spec_type_name(l->type), "unknown") != 0, "a layer of unknown type");
    if (l->type == SPEC_CONV2D || l->type == SPEC_CONV_TRANSPOSE2D) {
        fuzz_check(l->in_channels >= 1 && l->out_channels >= 1, "conv channels below 1");
        fuzz_check(l->conv.groups >= 1 && l->in_channels % l->conv.groups == 0 &&
                  l->out_channels % l->conv.groups == 0,
              "conv groups do not divide the channels");
        fuzz_check(l->kernel_h >= 1 && l->kernel_w >= 1, "conv kernel below 1");
        fuzz_check(l->conv.stride_h >= 1 && l->conv.stride_w >= 1, "conv stride below 1");
        fuzz_check(l->conv.dilation_h >= 1 && l->conv.dilation_w >= 1, "conv dilation below 1");
        fuzz_check(l->conv.padding.h >= 0 && l->conv.padding.w >= 0, "negative conv padding");
        fuzz_check(l->conv.transposed == (l->type == SPEC_CONV_TRANSPOSE2D), "transposed flag wrong");
    }
    if (l->type == SPEC_MAXPOOL2D || l->type == SPEC_AVGPOOL2D) {
        fuzz_check(l->pool.kernel_h >= 1 && l->pool.kernel_w >= 1, "pool kernel below 1");
        fuzz_check(l->pool.stride_h >= 1 && l->pool.stride_w >= 1, "pool stride below 1");
        fuzz_check(l->pool.pad_h >= 0 && l->pool.pad_h <= l->pool.kernel_h / 2 && l->pool.pad_w >= 0 &&
                  l->pool.pad_w <= l->pool.kernel_w / 2,
              "pool padding outside 0..kernel/2");
    }
}

/* Back from the centre output cell to the input, then forward again. */
static void walk_ranges(const RfLayer *r, size_t count)
{
    for (int axis = 0; axis < 2; axis++) {
        CellRange c;
        int centre = (int)(r[count - 1].out_size[axis] / 2);
        c.lo = c.hi = centre;
        for (size_t i = count; i-- > 0;)
            c = rf_range_back(&r[i], axis, c);
        for (size_t i = 0; i < count; i++)
            c = rf_range_forward(&r[i], axis, c);
        fuzz_check(c.lo > c.hi || (c.lo >= 0 && c.hi < (int)r[count - 1].out_size[axis]),
              "a forward range left the output");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    LayerStack stack = {0};
    Error err = {0};
    Status st;

    fuzz_check(text != NULL, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    st = spec_parse(text, &stack, &err);
    free(text);
    if (st != CS_OK) {
        fuzz_check(stack.layers == NULL && stack.count == 0, "a failed parse left layers");
        fuzz_check(err.status == st, "the error record disagrees with the status");
        fuzz_check(strncmp(err.message, "line ", 5) == 0, "an error without a line");
        fuzz_check(strstr(err.message, ", column ") != NULL, "an error without a column");
        return 0;
    }
    fuzz_check(stack.count >= 1, "an accepted spec without layers");
    for (size_t i = 0; i < stack.count; i++)
        check_layer(&stack.layers[i]);

    RfLayer *r = calloc(stack.count, sizeof *r);
    fuzz_check(r != NULL, "out of memory");
    if (rf_compute(&stack, 0, 0, 0, r, &err) == CS_OK)
        fuzz_check(r[stack.count - 1].rf[0] >= 1.0 && r[stack.count - 1].jump[0] > 0.0,
              "a receptive field below one pixel");
    else
        fuzz_check(strncmp(err.message, "layer ", 6) == 0, "an rf error that names no layer");
    if (rf_compute(&stack, 24, 33, 0, r, &err) == CS_OK) {
        for (size_t i = 0; i < stack.count; i++)
            fuzz_check(r[i].out_size[0] >= 1 && r[i].out_size[1] >= 1, "an empty output map");
        walk_ranges(r, stack.count);
    } else {
        fuzz_check(strncmp(err.message, "layer ", 6) == 0, "an rf error that names no layer");
    }
    free(r);
    spec_free(&stack);
    return 0;
}
