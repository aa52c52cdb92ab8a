/* dataset.c: MNIST-style labelled images from IDX files, their shuffled
 * order and batch copies (see dataset.h).
 *
 *   image[i] = idx3[i] / 255   (float32, as torchvision's ToTensor)
 *   label[i] = idx1[i]         (< 10)
 *   shuffle:   Fisher-Yates, for i from count-1 down to 1 swap order[i] with
 *              order[j], j uniform in [0, i], from a generator seeded by
 *              (seed, epoch) */
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idx.h"
#include "rng.h"

/* ---- loading ---------------------------------------------------------- */

/* DIR/BASE when it exists, else DIR/BASE.gz when that does, into path. */
static Status find_file(const char *dir, const char *base, char *path, size_t size, Error *err)
{
    struct stat sb;
    int n = snprintf(path, size, "%s/%s", dir, base);
    if (n < 0 || (size_t)n + 3 >= size)
        return error_set(err, CS_ERR_RANGE, "%s: the folder name is too long", dir);
    if (stat(path, &sb) == 0)
        return CS_OK;
    strcat(path, ".gz");
    if (stat(path, &sb) == 0)
        return CS_OK;
    return error_set(err, CS_ERR_IO, "%s/%s: no such file (nor %s.gz)", dir, base, base);
}

static Status read_part(const char *dir, const char *base, size_t rank, IdxArray *a, char *path, size_t size,
                        Error *err)
{
    Status st = find_file(dir, base, path, size, err);
    if (st == CS_OK)
        st = idx_read(path, a, err);
    if (st == CS_OK && a->rank != rank)
        st = error_set(err, CS_ERR_FORMAT, "%s: an IDX array of rank %zu, not %zu (%s)", path, a->rank, rank,
                       rank == 3 ? "images x height x width" : "one label per image");
    return st;
}

Status dataset_load_mnist(const char *dir, bool test_split, size_t limit, Dataset *out, Error *err)
{
    memset(out, 0, sizeof *out);
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return error_set(err, CS_ERR_IO, "%s: no such folder (Debian: apt-get install dataset-fashion-mnist)",
                         dir);
    if (!S_ISDIR(sb.st_mode))
        return error_set(err, CS_ERR_IO, "%s: not a folder", dir);

    const char *split = test_split ? "t10k" : "train";
    char image_base[64], label_base[64], image_path[4096], label_path[4096];
    snprintf(image_base, sizeof image_base, "%s-images-idx3-ubyte", split);
    snprintf(label_base, sizeof label_base, "%s-labels-idx1-ubyte", split);
    IdxArray images = {0}, labels = {0};
    Status st = read_part(dir, image_base, 3, &images, image_path, sizeof image_path, err);
    if (st == CS_OK)
        st = read_part(dir, label_base, 1, &labels, label_path, sizeof label_path, err);
    if (st == CS_OK && images.dims[0] != labels.dims[0])
        st = error_set(err, CS_ERR_SHAPE, "%s holds %zu images but %s holds %zu labels", image_path,
                       images.dims[0], label_path, labels.dims[0]);
    size_t count = images.dims[0];
    if (limit != 0 && limit < count)
        count = limit;
    for (size_t i = 0; st == CS_OK && i < count; i++)
        if (labels.data[i] >= DATASET_CLASSES)
            st = error_set(err, CS_ERR_RANGE, "%s: label %u at index %zu is not below %d", label_path,
                           labels.data[i], i, DATASET_CLASSES);
    if (st == CS_OK) {
        /* count * h * w <= IDX_MAX_BYTES, so the float count fits. */
        size_t pixels = count * images.dims[1] * images.dims[2];
        out->images = malloc(pixels * sizeof *out->images);
        out->labels = malloc(count);
        if (!out->images || !out->labels) {
            st = error_set(err, CS_ERR_NOMEM, "no memory for %zu images of %zux%zu", count, images.dims[1],
                           images.dims[2]);
        } else {
            for (size_t i = 0; i < pixels; i++)
                out->images[i] = (float)images.data[i] / 255.0f;
            memcpy(out->labels, labels.data, count);
            out->count = count;
            out->channels = 1;
            out->h = images.dims[1];
            out->w = images.dims[2];
            out->classes = DATASET_CLASSES;
        }
    }
    idx_free(&images);
    idx_free(&labels);
    if (st != CS_OK)
        dataset_free(out);
    return st;
}

void dataset_free(Dataset *d)
{
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}

/* ---- order and batches ------------------------------------------------ */

/* Uniform in [0, bound), bound >= 1: draws below 2^64 mod bound are
 * rejected so every value is equally likely. */
static size_t uniform_below(Rng *r, size_t bound)
{
    uint64_t b = bound;
    uint64_t threshold = (0 - b) % b;
    for (;;) {
        uint64_t x = rng_next(r);
        if (x >= threshold)
            return (size_t)(x % b);
    }
}

void dataset_shuffle(size_t *order, size_t count, uint64_t seed, size_t epoch)
{
    /* One generator per (seed, epoch): the seed's first draw, offset by the
     * epoch, seeds it, so epochs of one seed differ and no state is kept. */
    Rng r;
    rng_seed(&r, seed);
    rng_seed(&r, rng_next(&r) + (uint64_t)epoch);
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    for (size_t i = count; i > 1; i--) {
        size_t j = uniform_below(&r, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

void dataset_gather(const Dataset *d, const size_t *order, size_t start, size_t n, float *images,
                    uint8_t *labels)
{
    size_t size = d->channels * d->h * d->w;
    for (size_t i = 0; i < n; i++) {
        size_t k = order[start + i];
        memcpy(images + i * size, d->images + k * size, size * sizeof *images);
        labels[i] = d->labels[k];
    }
}
