/* safetensors.h: the safetensors format (what safetensors.torch.save_file
 * writes), read into a WeightsFile (weights.h).
 *
 * Layout:
 *   N                 uint64 little-endian, the header length
 *   header            N bytes of JSON, an object:
 *       {"NAME": {"dtype": "F32", "shape": [64, 3, 3, 3],
 *                 "data_offsets": [BEGIN, END]}, ...,
 *        "__metadata__": {"KEY": "VALUE", ...}}
 *                     optionally padded with trailing spaces
 *   data              the tensors' bytes, little-endian, C order; tensor
 *                     NAME is data[BEGIN, END)
 *
 * Read: F32, F16 (subnormals, infinities and NaNs exactly), BF16, F64
 * (rounded to the nearest float32), and I64 and I32 (converted to float,
 * exact up to 2^24) so that BatchNorm's int64 num_batches_tracked scalar
 * loads; every other dtype is refused naming the tensor and the dtype.
 *
 * The header is checked as the reference implementation (the Rust
 * `safetensors` crate) checks it, before anything is allocated for the
 * tensors: N at most SAFETENSORS_MAX_HEADER and within the file; strict
 * JSON (UTF-8, no duplicate names or keys, exactly the three keys per
 * tensor, __metadata__ a flat object of strings, ignored); rank 0 to 4 (more
 * is refused with the name); no zero dimension; no overflow in
 * product(shape) * dtype size; BEGIN <= END <= data length and
 * END - BEGIN == that size; and the tensors, in offset order, tile the data
 * exactly: no overlap, no gap, nothing after the last. */
#ifndef CONVSTEP_SAFETENSORS_H
#define CONVSTEP_SAFETENSORS_H

#include "weights.h"

/* The reference implementation's cap on the JSON header. */
#define SAFETENSORS_MAX_HEADER ((size_t)100000000)

/* One tensor to write: F32 values, or I64 ones (a counter such as
 * BatchNorm2d's num_batches_tracked, usually rank 0). */
typedef struct SafetensorsEntry {
    const char *name;           /* printable ASCII or UTF-8; escaped as JSON needs */
    bool int64;                 /* I64 from int64_t values; else F32 from floats */
    int rank;                   /* 0 to 4 */
    const size_t *shape;        /* rank dimensions */
    const void *data;           /* product(shape) values, C order */
} SafetensorsEntry;

/* Writes entries as a safetensors file at path, in the given order, the
 * header padded with spaces to a multiple of 8 bytes, the data
 * little-endian, through fileout.h (refused when path exists and
 * !overwrite; nothing is left behind on failure). safetensors.torch's
 * load_file reads it. */
Status safetensors_write(const char *path, const SafetensorsEntry *entries, size_t count, bool overwrite,
                         Error *err);

/* Sniffs at least 9 bytes whose ninth is '{' (after the 8-byte length). */
extern const WeightsFormat safetensors_format;

#endif
