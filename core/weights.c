/* weights.c: reading a weights file (see weights.h): the file is read once
 * into memory, its kind is sniffed from the content and the matching
 * WeightsFormat reads it. The kinds are the table FORMATS below; a new kind
 * (ONNX initialisers, say) is one file and one line there. */
#include "weights.h"

#include "filein.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "npz.h"
#include "safetensors.h"
#include "torchfile.h"

/* Sniffed in this order: a torch.save zip is also a zip, so torch comes
 * before npz. */
static const WeightsFormat *const FORMATS[] = {
    &safetensors_format,
    &torchfile_format,
    &npz_format,
};

#define FORMAT_COUNT (sizeof FORMATS / sizeof FORMATS[0])

/* ---- the public calls ----------------------------------------------- */

Status weights_read_memory(const unsigned char *data, size_t size, const char *name,
                           WeightsFile *out, Error *err)
{
    memset(out, 0, sizeof *out);
    if (size == 0)
        return error_set(err, CS_ERR_FORMAT, "%s is empty, not a safetensors or .npz file", name);
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        if (FORMATS[i]->sniff(data, size)) {
            Status st = FORMATS[i]->read(data, size, name, out, err);
            if (st != CS_OK)
                weights_free(out);
            return st;
        }
    }
    if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)
        return error_set(err, CS_ERR_FORMAT,
                         "%s is a single .npy array, not a safetensors or .npz file of named tensors "
                         "(numpy.savez('model.npz', **state_dict) writes one)", name);
    return error_set(err, CS_ERR_FORMAT, "%s is not a safetensors or .npz file", name);
}

Status weights_read(const char *path, WeightsFile *out, Error *err)
{
    unsigned char *data;
    size_t size;
    memset(out, 0, sizeof *out);
    Status st = filein_read(path, WEIGHTS_MAX_BYTES, &data, &size, err);
    if (st != CS_OK)
        return st;
    st = weights_read_memory(data, size, filein_name(path), out, err);
    free(data);
    return st;
}

const NamedTensor *weights_find(const WeightsFile *w, const char *name)
{
    for (size_t i = 0; i < w->count; i++)
        if (strcmp(w->items[i].name, name) == 0)
            return &w->items[i];
    return NULL;
}

void weights_free(WeightsFile *w)
{
    for (size_t i = 0; i < w->count; i++) {
        free(w->items[i].name);
        tensor_free(&w->items[i].t);
    }
    free(w->items);
    w->items = NULL;
    w->count = 0;
}

/* ---- for the format modules ----------------------------------------- */

Status weights_append(WeightsFile *w, char *name, Tensor *t, int rank, const size_t *shape,
                      const char *file, Error *err)
{
    /* Grow at powers of two: count is a power of two exactly when full. */
    if (w->count == 0 || (w->count & (w->count - 1)) == 0) {
        size_t want = w->count ? w->count * 2 : 8;
        NamedTensor *grown = realloc(w->items, want * sizeof *grown);
        if (!grown) {
            free(name);
            tensor_free(t);
            return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate the list of %zu tensors", file, want);
        }
        w->items = grown;
    }
    NamedTensor *item = &w->items[w->count++];
    memset(item, 0, sizeof *item);
    item->name = name;
    item->t = *t;
    item->rank = rank;
    for (int i = 0; i < rank; i++)
        item->shape[i] = shape[i];
    memset(t, 0, sizeof *t);
    return CS_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Status weights_check_unique(char *const *names, size_t count, const char *file, Error *err)
{
    if (count < 2)
        return CS_OK;
    char **sorted = malloc(count * sizeof *sorted);
    if (!sorted)
        return error_set(err, CS_ERR_NOMEM, "%s: cannot allocate the list of %zu names", file, count);
    memcpy(sorted, names, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare_names);
    Status st = CS_OK;
    for (size_t i = 1; i < count; i++) {
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            char shown[96];
            st = error_set(err, CS_ERR_FORMAT, "%s: the name '%s' occurs twice", file,
                           weights_printable(sorted[i], shown, sizeof shown));
            break;
        }
    }
    free(sorted);
    return st;
}

const char *weights_printable(const char *name, char *buf, size_t size)
{
    const size_t keep = 80;
    size_t n = 0, len = strlen(name);
    if (size == 0)
        return buf;
    size_t limit = len > keep ? keep : len;
    if (limit + 4 > size)
        limit = size > 4 ? size - 4 : 0;
    /* Cut a long name at a UTF-8 character boundary. */
    if (limit < len)
        while (limit > 0 && ((unsigned char)name[limit] & 0xc0) == 0x80)
            limit--;
    for (; n < limit; n++) {
        unsigned char ch = (unsigned char)name[n];
        buf[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (limit < len && n + 3 < size) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}
