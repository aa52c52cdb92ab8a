/* dataset.h: a labelled image set in memory, loaded from the four MNIST IDX
 * files (MNIST, Fashion-MNIST: DIR/{train,t10k}-images-idx3-ubyte and
 * -labels-idx1-ubyte, each plain or with .gz), with the shuffled order and
 * batch copies a training loop uses.
 *
 * Pixels are scaled to 0-1 as torchvision's ToTensor() does: value / 255 in
 * float32 (so 255 gives 1.0f exactly). */
#ifndef CONVSTEP_DATASET_H
#define CONVSTEP_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define DATASET_CLASSES 10

typedef struct Dataset {
    size_t count;           /* images */
    size_t channels, h, w;  /* each image is channels x h x w (1 x 28 x 28 for MNIST) */
    size_t classes;         /* DATASET_CLASSES */
    float *images;          /* owned; count x channels x h x w, 0-1 */
    uint8_t *labels;        /* owned; count labels, each < classes */
} Dataset;

/* Loads DIR's training split (test_split false: train-*) or test split
 * (t10k-*): for each of images and labels the plain file when it exists,
 * else the .gz one. limit 0 loads every image, else the first `limit` (or
 * all when there are fewer). Refused, one Error naming the file: a missing
 * folder ("DIR: no such folder (Debian: apt-get install
 * dataset-fashion-mnist)", CS_ERR_IO), a missing file (both names tried),
 * any IDX defect (idx.h), images that are not rank 3 (count x h x w) or
 * labels not rank 1, image and label counts that disagree, a label >= 10
 * (naming its index). On failure *out is empty. */
Status dataset_load_mnist(const char *dir, bool test_split, size_t limit, Dataset *out, Error *err);

/* Frees d's buffers and empties it. Safe on an empty or zeroed dataset. */
void dataset_free(Dataset *d);

/* Fills order[0..count) with a permutation of 0..count-1 drawn from (seed,
 * epoch) by Fisher-Yates over rng.h: the same arguments give the same
 * order on every machine; another epoch gives another order. */
void dataset_shuffle(size_t *order, size_t count, uint64_t seed, size_t epoch);

/* Copies the images order[start..start+n) into images (n x channels x h x
 * w floats) and their labels into labels (n bytes), in that order. The
 * indices must be < d->count. */
void dataset_gather(const Dataset *d, const size_t *order, size_t start, size_t n, float *images,
                    uint8_t *labels);

#endif
