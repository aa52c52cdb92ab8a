/* fuzz_npz.c: libFuzzer harness for the weights reader (core/weights.h) on
 * .npz input: zips read by libzip from memory, members by npy.c (the seeds
 * are .npz files written by NumPy, stored and deflated, and hostile ones).
 *
 * libzip itself is not instrumented, so mutating whole zips rarely gets past
 * its checks and coverage cannot guide them. Each input is therefore also
 * read a second way: as a recipe for a well-formed zip, built here with
 * libzip, whose members' names and bytes come from the input, so the fuzzer
 * reaches npz.c and npy.c (and the rank-0 wrapper) through real archives.
 *
 * A refusal must leave nothing behind and name the file in one line. A file
 * that loads must hold consistent tensors: rank 0..4, the shape's product
 * is the tensor's count, unique names that weights_find returns, and within
 * the caps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "weights.h"

#define FUZZ_NAME "fuzz_npz"
#include "fuzz_support.h"

static void read_and_check(const uint8_t *data, size_t size)
{
    WeightsFile w;
    Error err = {0};
    Status st = weights_read_memory(data, size, "fuzz.npz", &w, &err);
    if (st != CS_OK) {
        fuzz_check(w.items == NULL && w.count == 0, "a failed read left tensors");
        fuzz_check(strstr(err.message, "fuzz.npz") != NULL, "an error does not name the file");
        fuzz_check(strchr(err.message, '\n') == NULL, "an error is not one line");
        return;
    }
    fuzz_check(w.count <= WEIGHTS_MAX_TENSORS, "more tensors than the limit");
    size_t total = 0;
    for (size_t i = 0; i < w.count; i++) {
        const NamedTensor *t = &w.items[i];
        fuzz_check(t->name != NULL && t->t.data != NULL, "a tensor without a name or data");
        fuzz_check(t->rank >= 0 && t->rank <= 4, "rank out of 0..4");
        fuzz_check(t->t.rank == (t->rank ? t->rank : 1), "tensor rank does not follow the stored rank");
        size_t count = 1;
        for (int d = 0; d < t->rank; d++)
            count *= t->shape[d];
        fuzz_check(count == tensor_count(&t->t), "the shape's product is not the tensor's count");
        fuzz_check(weights_find(&w, t->name) == t, "weights_find does not return the tensor (duplicate name?)");
        total += count;
    }
    fuzz_check(total <= WEIGHTS_MAX_ELEMENTS, "more elements than the limit");
    weights_free(&w);
}

/* The recipe: members separated by the byte 0xff; each member is a name up
 * to the first '\0' (".npy" appended unless the name's first byte is '!'),
 * then the member's bytes; a member's bytes starting with 'Z' are deflated
 * (the 'Z' dropped), others stored. At most 8 members. Returns a malloc'd
 * zip or NULL. */
static unsigned char *build_zip(const uint8_t *data, size_t size, size_t *out_size)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = buf ? zip_open_from_source(buf, ZIP_TRUNCATE, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za) {
        if (buf)
            zip_source_free(buf);
        return NULL;
    }
    zip_source_keep(buf);
    const uint8_t *p = data, *end = data + size;
    for (int m = 0; m < 8 && p < end; m++) {
        const uint8_t *stop = memchr(p, 0xff, (size_t)(end - p));
        if (!stop)
            stop = end;
        const uint8_t *nul = memchr(p, 0, (size_t)(stop - p));
        char name[80];
        size_t name_len = nul ? (size_t)(nul - p) : 0;
        if (name_len > 60)
            name_len = 60;
        bool raw = name_len > 0 && p[0] == '!';
        snprintf(name, sizeof name, "%.*s%s", (int)name_len, (const char *)p, raw ? "" : ".npy");
        const uint8_t *body = nul ? nul + 1 : p;
        bool deflate = body < stop && *body == 'Z';
        if (deflate)
            body++;
        zip_source_t *src = zip_source_buffer(za, body, (zip_uint64_t)(stop - body), 0);
        if (src) {
            zip_int64_t index = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
            if (index < 0)
                zip_source_free(src);
            else
                zip_set_file_compression(za, (zip_uint64_t)index, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
        }
        p = stop < end ? stop + 1 : end;
    }
    unsigned char *out = NULL;
    zip_stat_t zs;
    if (zip_close(za) != 0) {
        zip_discard(za);
    } else if (zip_source_stat(buf, &zs) == 0 && zip_source_open(buf) == 0) {
        out = malloc(zs.size ? zs.size : 1);
        zip_int64_t got = out ? zip_source_read(buf, out, zs.size) : -1;
        zip_source_close(buf);
        if (got != (zip_int64_t)zs.size) {
            free(out);
            out = NULL;
        }
        *out_size = (size_t)zs.size;
    }
    zip_source_free(buf);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_and_check(data, size);
    size_t zip_size = 0;
    unsigned char *zip = build_zip(data, size, &zip_size);
    if (zip) {
        read_and_check(zip, zip_size);
        free(zip);
    }
    return 0;
}
