/* fuzz_safetensors.c: libFuzzer harness for the weights reader
 * (core/weights.h) on safetensors input (the seeds are safetensors files;
 * whatever the content sniffs as is read).
 *
 * A refusal must leave nothing behind and name the file in one line. A file
 * that loads must hold consistent tensors (rank 0..4, the shape's product is
 * the tensor's count, unique names that weights_find returns) and must
 * survive a round trip: written back as float32 safetensors (names escaped
 * as JSON) and read again, the names and bits are the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights.h"

#define FUZZ_NAME "fuzz_safetensors"
#include "fuzz_support.h"

/* Appends name as a JSON string: quote, backslash and control bytes
 * escaped, everything else (valid UTF-8 from the reader) as it is. */
static void put_json_string(FILE *f, const char *name)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static unsigned char *write_f32(const WeightsFile *w, size_t *size)
{
    char *header = NULL, *out = NULL;
    size_t header_len = 0, out_len = 0, offset = 0;
    FILE *h = open_memstream(&header, &header_len);
    fuzz_check(h != NULL, "open_memstream failed");
    fputc('{', h);
    for (size_t i = 0; i < w->count; i++) {
        const NamedTensor *t = &w->items[i];
        size_t bytes = tensor_count(&t->t) * 4;
        if (i)
            fputc(',', h);
        put_json_string(h, t->name);
        fprintf(h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->rank; d++)
            fprintf(h, d ? ",%zu" : "%zu", t->shape[d]);
        fprintf(h, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
        offset += bytes;
    }
    fputc('}', h);
    fuzz_check(fclose(h) == 0, "fclose failed");
    FILE *f = open_memstream(&out, &out_len);
    fuzz_check(f != NULL, "open_memstream failed");
    for (int i = 0; i < 8; i++)
        fputc((int)(((uint64_t)header_len >> (8 * i)) & 0xff), f);
    fwrite(header, 1, header_len, f);
    for (size_t i = 0; i < w->count; i++)
        fwrite(w->items[i].t.data, 4, tensor_count(&w->items[i].t), f);   /* little-endian host */
    fuzz_check(fclose(f) == 0, "fclose failed");
    free(header);
    *size = out_len;
    return (unsigned char *)out;
}

static void check_loaded(const WeightsFile *w)
{
    fuzz_check(w->count <= WEIGHTS_MAX_TENSORS, "more tensors than the limit");
    size_t total = 0;
    for (size_t i = 0; i < w->count; i++) {
        const NamedTensor *t = &w->items[i];
        fuzz_check(t->name != NULL && t->t.data != NULL, "a tensor without a name or data");
        fuzz_check(t->rank >= 0 && t->rank <= 4, "rank out of 0..4");
        fuzz_check(t->t.rank == (t->rank ? t->rank : 1), "tensor rank does not follow the stored rank");
        size_t count = 1;
        for (int d = 0; d < t->rank; d++)
            count *= t->shape[d];
        for (int d = t->rank; d < 4; d++)
            fuzz_check(t->shape[d] == 0, "an unused shape entry is not 0");
        fuzz_check(count == tensor_count(&t->t), "the shape's product is not the tensor's count");
        fuzz_check(weights_find(w, t->name) == t, "weights_find does not return the tensor (duplicate name?)");
        total += count;
    }
    fuzz_check(total <= WEIGHTS_MAX_ELEMENTS, "more elements than the limit");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    WeightsFile w;
    Error err = {0};
    Status st = weights_read_memory(data, size, "fuzz.safetensors", &w, &err);
    if (st != CS_OK) {
        fuzz_check(w.items == NULL && w.count == 0, "a failed read left tensors");
        fuzz_check(strstr(err.message, "fuzz.safetensors") != NULL, "an error does not name the file");
        fuzz_check(strchr(err.message, '\n') == NULL, "an error is not one line");
        return 0;
    }
    check_loaded(&w);
    size_t out_size;
    unsigned char *out = write_f32(&w, &out_size);
    WeightsFile back;
    st = weights_read_memory(out, out_size, "round-trip.safetensors", &back, &err);
    if (st != CS_OK)
        fprintf(stderr, "%s\n", err.message);
    fuzz_check(st == CS_OK, "a loaded file written back as F32 does not read");
    fuzz_check(back.count == w.count, "the tensor count changed in a round trip");
    for (size_t i = 0; i < w.count; i++) {
        const NamedTensor *a = &w.items[i], *b = &back.items[i];
        fuzz_check(strcmp(a->name, b->name) == 0, "a name changed in a round trip");
        fuzz_check(a->rank == b->rank && memcmp(a->shape, b->shape, sizeof a->shape) == 0,
              "a shape changed in a round trip");
        fuzz_check(memcmp(a->t.data, b->t.data, tensor_count(&a->t) * 4) == 0, "values changed in a round trip");
    }
    weights_free(&back);
    weights_free(&w);
    free(out);
    return 0;
}
