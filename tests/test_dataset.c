/* test_dataset.c: the MNIST dataset loader, its shuffled order and batch
 * copies (core/dataset.h), on small MNIST folders written here (plain and
 * gzipped files) and on Debian's Fashion-MNIST when it is installed. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dataset.h"
#include "support_tmp.h"

TestSuite(dataset, .init = tmp_dir_create, .fini = tmp_dir_remove);

/* ---- small MNIST folders ------------------------------------------------ */

/* The pixel of image i at (y, x), and label i: patterns the loader cannot
 * produce by accident. */
static uint8_t pixel_of(size_t i, size_t y, size_t x)
{
    return (uint8_t)(i * 31 + y * 7 + x * 3 + (i == 0 && y == 0 && x == 0 ? 255 : 0));
}

static uint8_t label_of(size_t i)
{
    return (uint8_t)((i * 3 + 1) % 10);
}

/* Writes an IDX file of rank dims (gzipped when gz) holding data. */
static void write_idx(const char *path, size_t rank, const size_t *dims, const uint8_t *data, bool gz)
{
    size_t count = 1;
    for (size_t i = 0; i < rank; i++)
        count *= dims[i];
    size_t size = 4 + 4 * rank + count;
    unsigned char *b = malloc(size);
    cr_assert_not_null(b);
    b[0] = b[1] = 0;
    b[2] = 0x08;
    b[3] = (unsigned char)rank;
    for (size_t i = 0; i < rank; i++)
        for (int k = 0; k < 4; k++)
            b[4 + 4 * i + (size_t)k] = (unsigned char)(dims[i] >> (24 - 8 * k));
    memcpy(b + 4 + 4 * rank, data, count);
    if (!gz) {
        tmp_write_file(path, b, size);
    } else {
        uLongf zsize = compressBound(size) + 32;
        unsigned char *z = malloc(zsize);
        cr_assert_not_null(z);
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = b;
        zs.avail_in = (uInt)size;
        zs.next_out = z;
        zs.avail_out = (uInt)zsize;
        cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
        tmp_write_file(path, z, zs.total_out);
        deflateEnd(&zs);
        free(z);
    }
    free(b);
}

/* SPLIT-images-idx3-ubyte (n x h x w) and SPLIT-labels-idx1-ubyte in the
 * test folder, ".gz" added when gz. */
static void write_split(const char *split, size_t n, size_t h, size_t w, bool gz)
{
    uint8_t *pixels = malloc(n * h * w), *labels = malloc(n);
    cr_assert(pixels && labels);
    for (size_t i = 0; i < n; i++) {
        labels[i] = label_of(i);
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++)
                pixels[(i * h + y) * w + x] = pixel_of(i, y, x);
    }
    char name[64];
    size_t idims[3] = {n, h, w}, ldims[1] = {n};
    snprintf(name, sizeof name, "%s-images-idx3-ubyte%s", split, gz ? ".gz" : "");
    write_idx(tmp_path(name), 3, idims, pixels, gz);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte%s", split, gz ? ".gz" : "");
    write_idx(tmp_path(name), 1, ldims, labels, gz);
    free(pixels);
    free(labels);
}

static void expect_images(const Dataset *d, size_t count, size_t h, size_t w)
{
    cr_assert_eq(d->count, count);
    cr_expect(d->channels == 1 && d->h == h && d->w == w && d->classes == 10);
    for (size_t i = 0; i < count; i++) {
        cr_expect_eq(d->labels[i], label_of(i), "label %zu", i);
        for (size_t y = 0; y < h; y++)
            for (size_t x = 0; x < w; x++) {
                /* torchvision's ToTensor: the byte over 255, in float32. */
                float want = (float)pixel_of(i, y, x) / 255.0f;
                cr_assert_eq(d->images[(i * h + y) * w + x], want, "image %zu (%zu, %zu)", i, y, x);
            }
    }
}

static Status load(bool test_split, size_t limit, Dataset *d, Error *err)
{
    return dataset_load_mnist(tmp_dir, test_split, limit, d, err);
}

/* ---- loading ------------------------------------------------------------ */

Test(dataset, loads_both_splits_plain_or_gzipped)
{
    write_split("train", 7, 5, 4, true);
    write_split("t10k", 3, 5, 4, false);
    Dataset d;
    Error err;
    cr_assert_eq(load(false, 0, &d, &err), CS_OK, "%s", err.message);
    expect_images(&d, 7, 5, 4);
    cr_expect_eq(d.images[0], 1.0f, "255 is 1.0 exactly");
    dataset_free(&d);
    cr_assert_eq(load(true, 0, &d, &err), CS_OK, "%s", err.message);
    expect_images(&d, 3, 5, 4);
    dataset_free(&d);
    dataset_free(&d); /* safe twice */
}

Test(dataset, limit_keeps_the_first_images)
{
    write_split("train", 9, 3, 3, false);
    Dataset d;
    Error err;
    for (size_t limit = 1; limit <= 12; limit++) {
        cr_assert_eq(load(false, limit, &d, &err), CS_OK, "%s", err.message);
        expect_images(&d, limit < 9 ? limit : 9, 3, 3);
        dataset_free(&d);
    }
}

/* The plain file wins over the .gz one when both are there. */
Test(dataset, prefers_the_plain_file)
{
    write_split("train", 4, 2, 2, false);
    write_split("train", 6, 2, 2, true);
    Dataset d;
    cr_assert_eq(load(false, 0, &d, NULL), CS_OK);
    cr_expect_eq(d.count, 4);
    dataset_free(&d);
}

Test(dataset, missing_folder_names_it_and_the_debian_package)
{
    Dataset d;
    Error err;
    const char *dir = tmp_path("nowhere");
    cr_assert_eq(dataset_load_mnist(dir, false, 0, &d, &err), CS_ERR_IO);
    char want[320];
    snprintf(want, sizeof want, "%s: no such folder (Debian: apt-get install dataset-fashion-mnist)", dir);
    cr_expect_str_eq(err.message, want);
    cr_expect(d.images == NULL && d.labels == NULL && d.count == 0);

    tmp_write_file(tmp_path("plain"), "x", 1);
    cr_assert_eq(dataset_load_mnist(tmp_path("plain"), false, 0, &d, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "plain: not a folder") != NULL, "%s", err.message);
}

Test(dataset, missing_file_names_it)
{
    write_split("t10k", 2, 2, 2, false);
    Dataset d;
    Error err;
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "/train-images-idx3-ubyte: no such file (nor train-images-idx3-ubyte.gz)") != NULL,
              "%s", err.message);
    remove(tmp_path("t10k-labels-idx1-ubyte"));
    cr_assert_eq(load(true, 0, &d, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "t10k-labels-idx1-ubyte: no such file") != NULL, "%s", err.message);
    cr_expect_null(d.images);
}

Test(dataset, refuses_counts_that_disagree)
{
    write_split("train", 5, 2, 2, false);
    uint8_t labels[4] = {1, 2, 3, 4};
    size_t n = 4;
    write_idx(tmp_path("train-labels-idx1-ubyte"), 1, &n, labels, false);
    Dataset d;
    Error err;
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_SHAPE);
    cr_expect(strstr(err.message, "holds 5 images but") != NULL && strstr(err.message, "holds 4 labels") != NULL,
              "%s", err.message);
    cr_expect_null(d.images);
}

Test(dataset, refuses_a_label_of_ten_or_more_naming_its_index)
{
    write_split("train", 5, 2, 2, false);
    uint8_t labels[5] = {1, 2, 3, 10, 4};
    size_t n = 5;
    write_idx(tmp_path("train-labels-idx1-ubyte"), 1, &n, labels, false);
    Dataset d;
    Error err;
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_RANGE);
    cr_expect(strstr(err.message, "train-labels-idx1-ubyte: label 10 at index 3 is not below 10") != NULL, "%s",
              err.message);
    cr_expect_null(d.labels);
    /* Beyond the limit, a bad label is not read. */
    cr_expect_eq(load(false, 3, &d, &err), CS_OK, "%s", err.message);
    dataset_free(&d);
}

Test(dataset, refuses_wrong_ranks_and_bad_files_naming_them)
{
    write_split("train", 4, 2, 2, false);
    uint8_t flat[16] = {0};
    size_t dims2[2] = {4, 4};
    write_idx(tmp_path("train-images-idx3-ubyte"), 2, dims2, flat, false);
    Dataset d;
    Error err;
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "train-images-idx3-ubyte: an IDX array of rank 2, not 3") != NULL, "%s",
              err.message);

    write_split("train", 4, 2, 2, false);
    size_t dims3[3] = {4, 2, 2};
    write_idx(tmp_path("train-labels-idx1-ubyte"), 3, dims3, flat, false);
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "train-labels-idx1-ubyte: an IDX array of rank 3, not 1") != NULL, "%s",
              err.message);

    write_split("train", 4, 2, 2, false);
    tmp_write_file(tmp_path("train-images-idx3-ubyte"), "\0\0\x08\x03\0\0", 6);
    cr_assert_eq(load(false, 0, &d, &err), CS_ERR_FORMAT);
    cr_expect(strstr(err.message, "train-images-idx3-ubyte: IDX header cut short") != NULL, "%s", err.message);
}

/* ---- order and batches ---------------------------------------------------- */

static bool is_permutation(const size_t *order, size_t count)
{
    bool *seen = calloc(count + 1, 1);
    cr_assert_not_null(seen);
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        ok = order[i] < count && !seen[order[i]];
        if (ok)
            seen[order[i]] = true;
    }
    free(seen);
    return ok;
}

Test(dataset, shuffle_is_a_deterministic_permutation)
{
    static const size_t counts[] = {0, 1, 2, 3, 10, 64, 1000, 60000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        size_t *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
        cr_assert(a && b);
        for (uint64_t seed = 0; seed < 3; seed++)
            for (size_t epoch = 0; epoch < 3; epoch++) {
                dataset_shuffle(a, n, seed, epoch);
                cr_expect(is_permutation(a, n), "count %zu seed %llu epoch %zu", n, (unsigned long long)seed,
                          epoch);
                memset(b, 0xff, (n + 1) * sizeof *b); /* whatever order holds first */
                dataset_shuffle(b, n, seed, epoch);
                cr_expect(memcmp(a, b, n * sizeof *a) == 0, "count %zu: not deterministic", n);
                if (n >= 10) {
                    dataset_shuffle(b, n, seed, epoch + 1);
                    cr_expect(memcmp(a, b, n * sizeof *a) != 0, "count %zu: epoch %zu and the next agree", n, epoch);
                    dataset_shuffle(b, n, seed + 100, epoch);
                    cr_expect(memcmp(a, b, n * sizeof *a) != 0, "count %zu: seeds %llu and +100 agree", n,
                              (unsigned long long)seed);
                }
            }
        free(a);
        free(b);
    }
}

/* Each of the 6 orders of 3 items, over 6000 (seed, epoch) draws, comes
 * about 1000 times (standard deviation 29; 150 is over 5 of them): an
 * off-by-one Fisher-Yates (j in [0, i) or [0, n)) skews this badly. */
Test(dataset, shuffle_draws_every_order_equally_often)
{
    size_t hits[6] = {0};
    for (uint64_t seed = 0; seed < 1000; seed++)
        for (size_t epoch = 0; epoch < 6; epoch++) {
            size_t o[3];
            dataset_shuffle(o, 3, seed, epoch);
            size_t code = o[0] * 2 + (o[1] > o[2]); /* the 6 orders, 0..5 */
            hits[code]++;
        }
    for (size_t k = 0; k < 6; k++)
        cr_expect(hits[k] >= 850 && hits[k] <= 1150, "order %zu drawn %zu times of 6000", k, hits[k]);
}

Test(dataset, gather_copies_the_ordered_images_and_labels)
{
    write_split("train", 6, 3, 2, false);
    Dataset d;
    cr_assert_eq(load(false, 0, &d, NULL), CS_OK);
    size_t order[6] = {5, 0, 3, 1, 4, 2};
    float images[3 * 6];
    uint8_t labels[3];
    dataset_gather(&d, order, 2, 3, images, labels);
    for (size_t i = 0; i < 3; i++) {
        size_t k = order[2 + i];
        cr_expect_eq(labels[i], label_of(k));
        cr_expect(memcmp(images + i * 6, d.images + k * 6, 6 * sizeof(float)) == 0, "image %zu", i);
    }
    dataset_free(&d);
}

/* ---- the real files --------------------------------------------------------- */

Test(dataset, loads_debians_fashion_mnist)
{
    struct stat sb;
    if (stat(DATASET_DEFAULT_DIR, &sb) != 0)
        cr_skip_test("%s absent (Debian: apt-get install dataset-fashion-mnist)", DATASET_DEFAULT_DIR);
    Dataset d;
    Error err;
    cr_assert_eq(dataset_load_mnist(DATASET_DEFAULT_DIR, true, 0, &d, &err), CS_OK, "%s", err.message);
    cr_expect(d.count == 10000 && d.channels == 1 && d.h == 28 && d.w == 28 && d.classes == 10);
    static const uint8_t first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    cr_expect(memcmp(d.labels, first, 10) == 0);
    /* The first test image's bytes sum to 33456 and reach 255 (Python's
     * gzip on the same file). */
    double sum = 0.0;
    float top = 0.0f;
    for (size_t i = 0; i < 784; i++) {
        sum += (double)d.images[i] * 255.0;
        top = d.images[i] > top ? d.images[i] : top;
    }
    cr_expect(sum > 33455.99 && sum < 33456.01, "first image sums to %f", sum);
    cr_expect_eq(top, 1.0f);
    dataset_free(&d);
    cr_assert_eq(dataset_load_mnist(DATASET_DEFAULT_DIR, false, 0, &d, &err), CS_OK, "%s", err.message);
    cr_expect_eq(d.count, 60000);
    dataset_free(&d);
    cr_assert_eq(dataset_load_mnist(DATASET_DEFAULT_DIR, false, 500, &d, &err), CS_OK, "%s", err.message);
    cr_expect_eq(d.count, 500);
    cr_expect_eq(d.labels[3], 3);
    dataset_free(&d);
}
