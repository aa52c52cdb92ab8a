/* fuzz_npz.c: libFuzzer harness for the weights reader (core/weights.h) on
 * .npz input: zips read by libzip from memory, members by npy.c (the seeds
 * are .npz files written by NumPy, stored and deflated, and hostile ones).
 *
 * A refusal must leave nothing behind and name the file in one line. A file
 * that loads must hold consistent tensors: rank 0..4, the shape's product
 * is the tensor's count, unique names that weights_find returns, and within
 * the caps. libzip itself is not instrumented, so coverage guides through
 * convstep's code (npz.c, npy.c, weights.c) only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_npz: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    WeightsFile w;
    Error err = {0};
    Status st = weights_read_memory(data, size, "fuzz.npz", &w, &err);
    if (st != CS_OK) {
        check(w.items == NULL && w.count == 0, "a failed read left tensors");
        check(strstr(err.message, "fuzz.npz") != NULL, "an error does not name the file");
        check(strchr(err.message, '\n') == NULL, "an error is not one line");
        return 0;
    }
    check(w.count <= WEIGHTS_MAX_TENSORS, "more tensors than the limit");
    size_t total = 0;
    for (size_t i = 0; i < w.count; i++) {
        const NamedTensor *t = &w.items[i];
        check(t->name != NULL && t->t.data != NULL, "a tensor without a name or data");
        check(t->rank >= 0 && t->rank <= 4, "rank out of 0..4");
        check(t->t.rank == (t->rank ? t->rank : 1), "tensor rank does not follow the stored rank");
        size_t count = 1;
        for (int d = 0; d < t->rank; d++)
            count *= t->shape[d];
        check(count == tensor_count(&t->t), "the shape's product is not the tensor's count");
        check(weights_find(&w, t->name) == t, "weights_find does not return the tensor (duplicate name?)");
        total += count;
    }
    check(total <= WEIGHTS_MAX_ELEMENTS, "more elements than the limit");
    weights_free(&w);
    return 0;
}
