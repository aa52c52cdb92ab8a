/* weights.h: named tensors read from a weights file (a PyTorch state dict
 * saved as safetensors or as a NumPy .npz), every value converted to float32.
 *
 * The format is sniffed from the content, never from the file name:
 *   safetensors   8-byte little-endian header length, then '{' (safetensors.h)
 *   .npz          a zip ("PK\3\4", or "PK\5\6" when empty) of NAME.npy (npz.h)
 *   torch.save    a zip holding data.pkl, or a pickle (0x80 0x02..0x05):
 *                 refused with the one-line Python recipe that converts it
 *                 (torchfile.h)
 * Anything else is refused as "not a safetensors or .npz file". Each kind is
 * one WeightsFormat table in its own file, listed once in weights.c.
 *
 * Every header is untrusted: lengths, offsets, dtypes, shapes and member
 * sizes are checked against the file and the caps below before anything is
 * allocated for them. Errors name the file and the tensor or member. */
#ifndef CONVSTEP_WEIGHTS_H
#define CONVSTEP_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "tensor.h"

/* The largest weights file read, the largest uncompressed .npz member and
 * the total of an .npz's uncompressed members (VGG-16 in float32 is 528 MB). */
#define WEIGHTS_MAX_BYTES ((size_t)1 << 31)
/* The most float32 values one file may decode to (2 GiB), and per tensor. */
#define WEIGHTS_MAX_ELEMENTS ((size_t)1 << 29)
#define WEIGHTS_MAX_TENSOR_ELEMENTS ((size_t)1 << 28)
/* The most tensors (or .npz members) in one file. */
#define WEIGHTS_MAX_TENSORS ((size_t)1 << 20)

/* One tensor of the file. shape[0..rank-1] is the shape as stored (rank 0
 * to 4; the unused entries are 0). t holds the values as float32, shaped
 * right-aligned as tensor.h does, with t.rank = max(rank, 1): a rank-0
 * scalar (num_batches_tracked) is a 1-element rank-1 tensor. */
typedef struct NamedTensor {
    char *name;         /* owned; the state_dict key */
    Tensor t;
    int rank;
    size_t shape[4];
} NamedTensor;

/* The tensors in the order the file lists them; names are unique. */
typedef struct WeightsFile {
    NamedTensor *items; /* owned; count entries */
    size_t count;
} WeightsFile;

/* Reads the weights file at path into *out (which the caller frees with
 * weights_free). The file is read once, whole, up to WEIGHTS_MAX_BYTES
 * (CS_ERR_LIMIT beyond). On failure *out is empty and err names the file
 * (path as given) and, where there is one, the tensor or member:
 *   CS_ERR_IO      cannot open or read the file, or it is a directory
 *   CS_ERR_FORMAT  not a weights file, a torch.save file, a malformed
 *                  header, an unsupported dtype, more than 4 dimensions
 *   CS_ERR_LIMIT   a header, member or total past the caps above
 *   CS_ERR_NOMEM   an allocation failed */
Status weights_read(const char *path, WeightsFile *out, Error *err);

/* The same from the size bytes at data, which stay the caller's; name is
 * used in messages only. */
Status weights_read_memory(const unsigned char *data, size_t size, const char *name,
                           WeightsFile *out, Error *err);

/* The tensor called name, or NULL if the file has none. */
const NamedTensor *weights_find(const WeightsFile *w, const char *name);

/* Frees every tensor and name and empties w. Safe on an empty or zeroed w. */
void weights_free(WeightsFile *w);

/* ---- for the format modules ----------------------------------------- */

/* One kind of weights file: sniff says from the first bytes (or the whole
 * content) whether the data is of this kind; read fills out (empty on
 * failure, name in every message). */
typedef struct WeightsFormat {
    const char *name;
    bool (*sniff)(const unsigned char *data, size_t size);
    Status (*read)(const unsigned char *data, size_t size, const char *name, WeightsFile *out, Error *err);
} WeightsFormat;

/* Appends a tensor to w, taking ownership of name and t (both freed by
 * weights_free, or here on failure). */
Status weights_append(WeightsFile *w, char *name, Tensor *t, int rank, const size_t *shape,
                      const char *file, Error *err);

/* Fails with CS_ERR_FORMAT naming file and a name that occurs twice among
 * names[0..count-1] (which stay the caller's). O(n log n), so a hostile
 * file with a million names is not a quadratic stall. */
Status weights_check_unique(char *const *names, size_t count, const char *file, Error *err);

/* Writes name into buf (size bytes, at most 80 characters kept) for an
 * error message: control and non-ASCII bytes become '?', a long name is cut
 * with "...". Returns buf. */
const char *weights_printable(const char *name, char *buf, size_t size);

#endif
